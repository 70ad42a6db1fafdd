//! Deep pages without `OFFSET`: keyset ("seek") pagination under page numbers.
//!
//! A list is ordered by its sort fields and then its primary key, so every row has
//! a unique position given by those values (its key). Reading page 5,000 with
//! `OFFSET 499900` makes the database step over half a million rows; seeking with
//! `WHERE key <= (the key of row 499,901) ORDER BY … LIMIT 101` reads only the page.
//!
//! The keys of every [`ListTuning::anchor_stride`]-th row (the *anchors*) come from
//! one pass over the list's keys (`ROW_NUMBER() OVER (ORDER BY …)`, done by the
//! database, returning only the anchors), made the first time a page deeper than
//! [`ListTuning::offset_limit`] rows is asked for and kept per list (model, search,
//! filters and sort). A deep page then seeks to the anchor before it and skips the
//! fewer than `anchor_stride` rows left with a small `OFFSET`.
//!
//! Anchors are dropped when this admin instance writes to the model (any change
//! made through its registry: edits, deletes, actions, approved requests) and
//! after [`ListTuning::anchor_ttl`]; rows added or removed by other writers in the
//! meantime shift deep pages by that many rows, never more. "Next" and "previous"
//! links of deep pages carry the key of the row they continue from (`after=` or
//! `before=`), so following them never scans, whatever the anchors' age.
//!
//! What a list remembers belongs to one admin instance (its [`crate::Registry`]),
//! never to the process: two instances over two databases with the same tables
//! share nothing.
//!
//! Sorts on a column that may be `NULL` are read with `OFFSET` (the backends order
//! `NULL` differently, and a key with `NULL` has no "after").
//!
//! [`ListTuning::anchor_stride`]: crate::list::count::ListTuning::anchor_stride
//! [`ListTuning::offset_limit`]: crate::list::count::ListTuning::offset_limit
//! [`ListTuning::anchor_ttl`]: crate::list::count::ListTuning::anchor_ttl

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sea_orm::Value;
use sea_orm::sea_query::{Condition, ExprTrait, SimpleExpr};

use crate::list::count::Count;

/// One key of a list's order: the column and whether it is descending.
#[derive(Clone, Debug)]
pub struct SortKey {
    /// The column, as an expression.
    pub expr: SimpleExpr,
    /// Whether the order is descending.
    pub desc: bool,
}

/// Where a seek starts relative to the key it is given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum From {
    /// The row with the key and those after it (an anchor).
    AtOrAfter,
    /// The rows after it (the next page after a row).
    After,
    /// The rows before it, for reading backwards (the previous page before a row).
    Before,
}

/// The condition selecting the rows on one side of `key` in the order `keys`
/// (the last of which must be unique, as the primary key is).
///
/// For keys `(a DESC, id DESC)` and `From::AtOrAfter` this is
/// `a <= ?a AND (a < ?a OR (a = ?a AND id <= ?id))`: the first term lets the
/// database start from an index on `a`, the rest is the exact order.
#[must_use]
pub fn condition(keys: &[SortKey], key: &[Value], from: From) -> Condition {
    debug_assert_eq!(keys.len(), key.len());
    let forward = from != From::Before;
    // "Further along the order" for key i: `<` on a descending key, `>` on an
    // ascending one; reversed when reading backwards.
    let further = |i: usize, strict: bool| -> SimpleExpr {
        let k = &keys[i];
        let v = key[i].clone();
        let e = k.expr.clone();
        match (k.desc == forward, strict) {
            (true, true) => e.lt(v),
            (true, false) => e.lte(v),
            (false, true) => e.gt(v),
            (false, false) => e.gte(v),
        }
    };
    let last = keys.len() - 1;
    if last == 0 {
        return Condition::all().add(further(0, from != From::AtOrAfter));
    }
    let mut tail: Condition = Condition::all().add(further(last, from != From::AtOrAfter));
    for i in (0..last).rev() {
        tail = Condition::any()
            .add(further(i, true))
            .add(Condition::all().add(keys[i].expr.clone().eq(key[i].clone())).add(tail));
    }
    // Rows equal on the first key may be on either side: the range includes them.
    Condition::all().add(further(0, false)).add(tail)
}

/// The anchors of one list: the keys of rows `0, stride, 2·stride, …` (0-based).
#[derive(Clone, Debug)]
pub struct Anchors {
    /// Their keys, in order.
    pub keys: Vec<Vec<Value>>,
    /// The rows between two anchors.
    pub stride: u64,
    built: Instant,
    generation: u64,
}

impl Anchors {
    /// Anchors of a list, taken now from rows read after write number `generation`
    /// of its model ([`ListCache::generation`], read before the rows).
    #[must_use]
    pub fn new(keys: Vec<Vec<Value>>, stride: u64, generation: u64) -> Self {
        Self { keys, stride, built: Instant::now(), generation }
    }

    /// The anchor at or before row `offset` (0-based) and the rows from it to there.
    #[must_use]
    pub fn locate(&self, offset: u64) -> Option<(&[Value], u64)> {
        let i = usize::try_from(offset / self.stride).ok()?;
        self.keys.get(i).map(|k| (k.as_slice(), offset % self.stride))
    }
}

/// What a model's lists remember between page views, in one admin instance:
/// estimates and anchors, per list (the SQL of its filtered query is the key), and
/// how many writes the instance has made to the model.
#[derive(Debug, Default)]
pub struct ListCache {
    estimates: Mutex<HashMap<String, (Count, Instant)>>,
    anchors: Mutex<HashMap<String, Anchors>>,
    gates: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    generation: AtomicU64,
}

/// Most lists remembered per model; past it, all are forgotten at once.
const MAX_LISTS: usize = 256;

impl ListCache {
    /// A remembered estimate younger than `ttl`.
    #[must_use]
    pub fn estimate(&self, list: &str, ttl: Duration) -> Option<Count> {
        let map = self.estimates.lock().ok()?;
        let (count, at) = map.get(list)?;
        (at.elapsed() < ttl).then_some(*count)
    }

    /// Remembers an estimate.
    pub fn set_estimate(&self, list: &str, count: Count) {
        if let Ok(mut map) = self.estimates.lock() {
            if map.len() >= MAX_LISTS {
                map.clear();
            }
            map.insert(list.to_owned(), (count, Instant::now()));
        }
    }

    /// Remembered anchors younger than `ttl` and not outdated by an admin write.
    #[must_use]
    pub fn anchors(&self, list: &str, ttl: Duration) -> Option<Anchors> {
        let map = self.anchors.lock().ok()?;
        let a = map.get(list)?;
        (a.built.elapsed() < ttl && a.generation == self.generation()).then(|| a.clone())
    }

    /// The number of writes to the model this instance has made.
    #[must_use]
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Notes a write to the model made through this instance: anchors taken
    /// before are dropped. Call it after the write commits.
    pub fn touch(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// The lock that lets one request take a list's anchors while others wait for
    /// them, instead of all scanning the list at once.
    #[must_use]
    pub fn gate(&self, list: &str) -> Arc<tokio::sync::Mutex<()>> {
        let Ok(mut map) = self.gates.lock() else { return Arc::default() };
        if map.len() >= MAX_LISTS {
            map.clear();
        }
        Arc::clone(map.entry(list.to_owned()).or_default())
    }

    /// Remembers anchors.
    pub fn set_anchors(&self, list: &str, anchors: Anchors) {
        if let Ok(mut map) = self.anchors.lock() {
            if map.len() >= MAX_LISTS {
                map.clear();
            }
            map.insert(list.to_owned(), anchors);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::sea_query::{Expr, Query, SqliteQueryBuilder};

    fn sql(c: Condition) -> String {
        Query::select().column("x").from("t").cond_where(c).to_string(SqliteQueryBuilder)
    }

    fn keys(spec: &[(&'static str, bool)]) -> Vec<SortKey> {
        spec.iter().map(|(c, desc)| SortKey { expr: Expr::col(*c), desc: *desc }).collect()
    }

    #[test]
    fn one_key_seeks_by_range() {
        let k = keys(&[("id", true)]);
        let v = [Value::from(7i64)];
        assert!(sql(condition(&k, &v, From::AtOrAfter)).ends_with(r#"WHERE "id" <= 7"#));
        assert!(sql(condition(&k, &v, From::After)).ends_with(r#"WHERE "id" < 7"#));
        assert!(sql(condition(&k, &v, From::Before)).ends_with(r#"WHERE "id" > 7"#));
    }

    #[test]
    fn two_keys_are_lexicographic() {
        let k = keys(&[("email", false), ("id", true)]);
        let v = [Value::from("b"), Value::from(7i64)];
        assert!(
            sql(condition(&k, &v, From::AtOrAfter))
                .ends_with(r#"WHERE "email" >= 'b' AND ("email" > 'b' OR ("email" = 'b' AND "id" <= 7))"#),
            "{}",
            sql(condition(&k, &v, From::AtOrAfter))
        );
    }

    #[test]
    fn anchors_locate_rows() {
        let a = Anchors::new(vec![vec![Value::from(1i64)], vec![Value::from(2i64)]], 10, 0);
        assert_eq!(a.locate(0).map(|(_, r)| r), Some(0));
        assert_eq!(a.locate(13).map(|(k, r)| (k[0].clone(), r)), Some((Value::from(2i64), 3)));
        assert!(a.locate(20).is_none());
    }

    #[test]
    fn a_write_drops_the_anchors_of_its_own_cache_only() {
        let (mine, other) = (ListCache::default(), ListCache::default());
        for cache in [&mine, &other] {
            cache.set_anchors("l", Anchors::new(vec![vec![Value::from(1i64)]], 10, cache.generation()));
        }
        mine.touch();
        assert!(mine.anchors("l", Duration::from_secs(60)).is_none());
        assert!(other.anchors("l", Duration::from_secs(60)).is_some());
    }
}
