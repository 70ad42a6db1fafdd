//! The staff roles of the ops console.
//!
//! | role | may |
//! |---|---|
//! | `admin` | everything |
//! | `support` | view accounts, invoices and email jobs; run "mark for manual review" and "retry welcome email"; billing fields stay read-only |
//! | `finance` | view invoices, request and approve refunds, export |
//! | `viewer` | view only |
//!
//! The names are fixed here; the permissions behind them are wired in once the
//! core's role configuration lands. Until then every signed-in staff user may do
//! everything, so give out accounts with care.

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

/// Whether `name` is one of [`ROLES`].
#[must_use]
pub fn is_role(name: &str) -> bool {
    ROLES.contains(&name)
}
