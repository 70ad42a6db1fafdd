//! The admin's clock: every timestamp it writes (sessions, audit entries, approvals,
//! throttles) is UTC without a zone, to the second's fraction the database keeps.

use chrono::{NaiveDateTime, Utc};

/// The current time in UTC, as the admin's tables store it.
#[must_use]
pub fn now() -> NaiveDateTime {
    Utc::now().naive_utc()
}
