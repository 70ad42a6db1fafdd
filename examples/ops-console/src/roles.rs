//! The staff roles of the ops console.
//!
//! | role | may |
//! |---|---|
//! | `admin` | everything, including staff users and the audit log |
//! | `support` | view accounts, invoices and email jobs; run "mark for manual review" and "retry welcome email" on accounts, "retry" and "requeue stuck job" on email jobs; billing fields stay read-only |
//! | `finance` | view invoices, request and approve refunds, export |
//! | `viewer` | view every model; not the staff users or the audit log |
//!
//! Support may also correct an account's e-mail and company, but the plan and the
//! flags that actions own (manual review, locked) are read-only for them, and the
//! card processor's last answer is hidden from viewers. See [`roles`].

/// Everything.
pub const ADMIN: &str = "admin";
/// Day-to-day customer support.
pub const SUPPORT: &str = "support";
/// Invoices, refunds and exports.
pub const FINANCE: &str = "finance";
/// Read-only access.
pub const VIEWER: &str = "viewer";

/// Every role name, as `createuser --role` accepts them.
pub const ROLES: &[&str] = &[ADMIN, SUPPORT, FINANCE, VIEWER];

/// The permissions behind each role.
#[must_use]
pub fn roles() -> opsadmin::Roles {
    opsadmin::Roles::new()
        .role(ADMIN, "Everything, including staff users and the audit log.", &["*"])
        .role(
            SUPPORT,
            "Finds and fixes accounts, runs the support actions.",
            &[
                "account.view",
                "account.change",
                "account.action.mark_for_manual_review",
                "account.action.retry_welcome_email",
                "invoice.view",
                "email_job.view",
                "email_job.action.retry_email_job",
                "email_job.action.requeue_stuck_job",
                "account.note",
                "invoice.note",
                "email_job.note",
            ],
        )
        .role(
            FINANCE,
            "Invoices, refunds (asking and approving) and exports.",
            &[
                "invoice.view",
                "invoice.export",
                "invoice.action.refund_invoice",
                "approvals.decide",
                "invoice.note",
            ],
        )
        // `*.view` covers the models only: the staff users and the audit log need
        // `staff.view` and `audit.view` by name, which only admins hold here.
        .role(VIEWER, "Looks at accounts, invoices and email jobs; changes nothing.", &["*.view"])
}

/// Whether `name` is one of [`ROLES`].
#[must_use]
pub fn is_role(name: &str) -> bool {
    ROLES.contains(&name)
}
