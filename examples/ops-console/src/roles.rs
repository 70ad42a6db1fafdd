//! The staff roles of the ops console.
//!
//! | role | may |
//! |---|---|
//! | `admin` | everything, including staff users and the audit log |
//! | `support` | view accounts, invoices and email jobs; import accounts from CSV (the fields they may change); run "mark for manual review" (and undo their own runs of it) and "retry welcome email" (at most 200 welcome emails a day) on accounts, "retry" and "requeue stuck job" on email jobs; see effects (the mail sent) and retry or give up a failed one; billing fields stay read-only |
//! | `finance` | view invoices, request (at most 2,000.00 a day per currency) and approve refunds, export; the "Billing health" page |
//! | `viewer` | view every model; not the staff users or the audit log |
//! | `trials` | the trials desk: trial accounts only, and their invoices and email jobs (row-level scopes); view, note and export them |
//!
//! Support may also correct an account's e-mail and company, but the plan and the
//! flags that actions own (manual review, locked) are read-only for them, and the
//! card processor's last answer is hidden from viewers. See [`roles`].

use opsadmin::{Limit, Scope};

/// Everything.
pub const ADMIN: &str = "admin";
/// Day-to-day customer support.
pub const SUPPORT: &str = "support";
/// Invoices, refunds and exports.
pub const FINANCE: &str = "finance";
/// Read-only access.
pub const VIEWER: &str = "viewer";
/// The trials desk: sees only trial accounts and their invoices and email jobs.
pub const TRIALS: &str = "trials";

/// Every role name, as `createuser --role` accepts them.
pub const ROLES: &[&str] = &[ADMIN, SUPPORT, FINANCE, VIEWER, TRIALS];

/// The most welcome emails one support person may retry per UTC day.
pub const WELCOME_RETRIES_PER_DAY: u64 = 200;
/// The most one finance person may ask to refund per UTC day, in each currency, in
/// its minor unit: 2,000.00. Each refund is still approved by a second person.
pub const REFUNDS_PER_DAY: i64 = 200_000;

/// The permissions behind each role, and their limits: support retries at most
/// [`WELCOME_RETRIES_PER_DAY`] welcome emails a day; finance asks for refunds of at
/// most [`REFUNDS_PER_DAY`] a day per currency. Admins have no limits.
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
                // Support's spreadsheets of corrected e-mails and company names.
                "account.import",
                "account.action.mark_for_manual_review",
                // Their own runs only; `.undo_any` would be anyone's.
                "account.action.mark_for_manual_review.undo",
                "account.action.retry_welcome_email",
                "invoice.view",
                "email_job.view",
                "email_job.action.retry_email_job",
                "email_job.action.requeue_stuck_job",
                "account.note",
                "invoice.note",
                "email_job.note",
                // The mail their actions send: see it, retry or give up a bounce.
                "effects.view",
                "effects.manage",
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
                // The "Billing health" page and its dashboard tile (see `pages`).
                crate::pages::BILLING_HEALTH,
            ],
        )
        // `*.view` covers the models only: the staff users and the audit log need
        // `staff.view` and `audit.view` by name, which only admins hold here.
        .role(VIEWER, "Looks at accounts, invoices and email jobs; changes nothing.", &["*.view"])
        .role(
            TRIALS,
            "The trials desk: trial accounts, their invoices and email jobs, nothing else.",
            &[
                "account.view",
                "account.note",
                "account.export",
                "invoice.view",
                "invoice.export",
                "invoice.note",
                "email_job.view",
                "email_job.note",
            ],
        )
        // Row-level scopes: every query the door makes for the trials desk sees
        // only trial accounts, and invoices and email jobs of trial accounts.
        .scope(TRIALS, "account", Scope::eq("plan", "trial"))
        .scope(TRIALS, "invoice", Scope::via("account_id", "account"))
        .scope(TRIALS, "email_job", Scope::via("account_id", "account"))
        // How refusals name the people to ask: "… that is done by finance."
        .called(ADMIN, "an admin")
        .called(SUPPORT, "support")
        .called(FINANCE, "finance")
        .limit(
            SUPPORT,
            "account.action.retry_welcome_email",
            Limit::records_per_day(WELCOME_RETRIES_PER_DAY).wording("retry", "welcome emails"),
        )
        // Retrying from the email job list is capped the same way, with its own
        // daily counter.
        .limit(
            SUPPORT,
            "email_job.action.retry_email_job",
            Limit::records_per_day(WELCOME_RETRIES_PER_DAY).wording("retry", "email jobs"),
        )
        .limit(
            FINANCE,
            "invoice.action.refund_invoice",
            Limit::amount_per_day(REFUNDS_PER_DAY).wording("ask to refund", "invoices"),
        )
}

/// Whether `name` is one of [`ROLES`].
#[must_use]
pub fn is_role(name: &str) -> bool {
    ROLES.contains(&name)
}
