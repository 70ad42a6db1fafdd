//! How many rows a list has, said honestly and found cheaply.
//!
//! A list page never counts a big table row by row. It counts exactly when that
//! is cheap, and otherwise says it estimates:
//!
//! 1. `exact=1` in the URL: an exact `COUNT(*)`, however long it takes (the list
//!    offers the link next to every estimate).
//! 2. A list with no search and no filter whose estimated size is well past
//!    [`ListTuning::exact_count_limit`]: the estimate, "about 1.0 million accounts".
//! 3. Otherwise the rows are counted, but no further than the limit
//!    (`SELECT COUNT(*) FROM (… LIMIT limit + 1)`): at most the limit, the count is
//!    exact ("6,155 accounts"); past it, the list shows an estimate.
//!
//! Estimates come from the database's planner on PostgreSQL (`EXPLAIN`, which uses
//! the table statistics `ANALYZE` keeps), and on SQLite from a sample: the rows in
//! 32 evenly spaced windows of the primary key's range, scaled to the whole range
//! (tables without an integer key get "more than 10,000"). An estimate is reused
//! for [`ListTuning::estimate_ttl`]; it is labelled an estimate, so that is honest.

use std::time::Duration;

use crate::kernel::model::{ModelMeta, thousands};

/// How many rows match a list's query.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Count {
    /// Exactly this many.
    Exact(u64),
    /// About this many: an estimate, shown as "about 1.0 million".
    About(u64),
    /// More than this many: counted that far, with no estimate beyond.
    MoreThan(u64),
}

impl Count {
    /// The number: exact, estimated, or the bound.
    #[must_use]
    pub fn value(self) -> u64 {
        match self {
            Count::Exact(n) | Count::About(n) | Count::MoreThan(n) => n,
        }
    }

    /// Whether the number is exact.
    #[must_use]
    pub fn is_exact(self) -> bool {
        matches!(self, Count::Exact(_))
    }

    /// "1 account", "6,155 accounts", "about 1.0 million accounts", "more than
    /// 10,000 accounts".
    #[must_use]
    pub fn phrase(self, meta: &ModelMeta) -> String {
        match self {
            Count::Exact(n) => meta.count_phrase(n),
            Count::About(n) => format!("about {} {}", approximately(n), meta.noun_plural()),
            Count::MoreThan(n) => format!("more than {} {}", thousands(n), meta.noun_plural()),
        }
    }
}

/// A number rounded for an estimate: two significant digits, millions in words.
/// `1_000_000` is "1.0 million", `452_113` is "450,000", `12_345` is "12,000".
#[must_use]
pub fn approximately(n: u64) -> String {
    if n >= 1_000_000 {
        let tenths = (n + 50_000) / 100_000;
        return format!("{}.{} million", tenths / 10, tenths % 10);
    }
    let digits = n.checked_ilog10().unwrap_or(0);
    let unit = 10u64.pow(digits.saturating_sub(1));
    thousands((n + unit / 2) / unit * unit)
}

/// The limits and lifetimes behind a list's counting and paging. The defaults
/// suit tables of any size; tests lower them to reach every path with a few rows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListTuning {
    /// Lists with at most this many matching rows are counted exactly on every
    /// view; past it they show an estimate (10,000).
    pub exact_count_limit: u64,
    /// Pages that start at most this many rows in are read with `OFFSET`; deeper
    /// pages seek from a stored page boundary (10,000).
    pub offset_limit: u64,
    /// Rows between two stored page boundaries (1,000).
    pub anchor_stride: u64,
    /// How long an estimate is reused (30 s).
    pub estimate_ttl: Duration,
    /// How long stored page boundaries are reused (60 s). Any write made through
    /// the admin to the model drops them at once; writes made elsewhere can shift
    /// deep pages by the rows they add or remove until then.
    pub anchor_ttl: Duration,
}

impl Default for ListTuning {
    fn default() -> Self {
        Self {
            exact_count_limit: 10_000,
            offset_limit: 10_000,
            anchor_stride: 1_000,
            estimate_ttl: Duration::from_secs(30),
            anchor_ttl: Duration::from_secs(60),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::approximately;

    #[test]
    fn estimates_are_rounded_to_two_digits() {
        assert_eq!(approximately(1_000_000), "1.0 million");
        assert_eq!(approximately(1_049_999), "1.0 million");
        assert_eq!(approximately(1_050_000), "1.1 million");
        assert_eq!(approximately(23_456_789), "23.5 million");
        assert_eq!(approximately(452_113), "450,000");
        assert_eq!(approximately(12_345), "12,000");
        assert_eq!(approximately(10_001), "10,000");
        assert_eq!(approximately(99), "99");
        assert_eq!(approximately(7), "7");
        assert_eq!(approximately(0), "0");
    }
}
