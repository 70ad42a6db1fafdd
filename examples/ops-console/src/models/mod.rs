//! The ops console's three tables, exactly as `bench/SCHEMA.md` describes them, so the
//! console serves both its own demo database and the benchmark data set; and one
//! table of the console's own, [`account_lock`] (why accounts were locked), which is
//! added beside them and never changes them.
//!
//! Choice columns stay plain text in the database; the enums here (with
//! `#[derive(AdminChoices)]`) only tell the admin which values are allowed and what
//! staff read for each.

use chrono::{NaiveDateTime, SubsecRound, Utc};

/// Gives choice enums an `as_str()`: the stored value, as `#[derive(AdminChoices)]`
/// lists it (its choices follow the variants' declaration order).
macro_rules! as_str {
    ($($t:ty),*) => {$(
        impl $t {
            /// The value stored in the database for this choice.
            #[must_use]
            pub fn as_str(self) -> &'static str {
                <Self as opsadmin::AdminChoices>::CHOICES[self as usize].value
            }
        }
    )*};
}

pub mod account;
pub mod account_lock;
pub mod email_job;
pub mod invoice;

/// The current time in UTC, whole seconds: the form every date-time column stores
/// (`YYYY-MM-DD HH:MM:SS` on SQLite).
#[must_use]
pub fn now() -> NaiveDateTime {
    Utc::now().naive_utc().trunc_subsecs(0)
}
