//! Limits per role, in the door: caps on what a staff member may do with an action
//! per run and per UTC day (records, runs, amounts per currency), on top of the
//! permission and the approval.
//!
//! The limits are declared with the roles ([`crate::access::limit`]). The door finds
//! the ones that hold for the caller ([`Applied`]), and counts what a run did (the
//! records actually done, and what they move) in the run's own transaction, after
//! the action ran and before the commit ([`charge`]): the counter in
//! `admin_limit_usage` is raised only while it stays within the cap, in one
//! statement, so two instances cannot both take the last slot, and a run that does
//! not fit is rolled back whole. A request for approval counts when it is made (in
//! the transaction that records it), not again when it runs; a preview never counts.
//! A refusal says the limit, what is left and who can go past it, and is audited
//! (`limit:hit`) in a small transaction of its own ([`refuse`]).

mod count;
mod words;

use std::collections::BTreeMap;

use sea_orm::{ConnectionTrait, DatabaseConnection};
use serde::Serialize;

use crate::access::Staff;
use crate::access::limit::{Cap, Effective};
use crate::access::permission::Roles;
use crate::action::{DynAction, Measured, Report};
use crate::audit::{self, Context};
use crate::kernel::error::{Error, Result};
pub use words::money;

/// The limits that hold for one staff member on one action.
#[derive(Clone, Debug)]
pub struct Applied {
    slug: &'static str,
    name: &'static str,
    label: &'static str,
    noun: String,
    caps: Vec<Effective>,
}

impl Applied {
    /// The limits of `staff`'s roles on `action` (none for a superuser or a system
    /// caller).
    #[must_use]
    pub fn new(roles: &Roles, staff: &Staff, action: &dyn DynAction) -> Self {
        let (slug, name) = (action.model().slug, action.name());
        Self {
            slug,
            name,
            label: action.label(),
            noun: action.model().noun_plural(),
            caps: roles.limits_for(staff, &format!("{slug}.action.{name}")),
        }
    }

    /// Whether no limit holds.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.caps.is_empty()
    }

    /// Whether an amount is limited, so the run must measure what records move.
    #[must_use]
    pub fn counts_amounts(&self) -> bool {
        self.caps.iter().any(|e| matches!(e.limit.cap, Cap::AmountPerDay(_)))
    }

    /// The counter's key: `invoice.refund_invoice:amount`.
    fn key(&self, cap: Cap) -> String {
        let what = match cap {
            Cap::RecordsPerRun(_) => "run",
            Cap::RunsPerDay(_) => "runs",
            Cap::RecordsPerDay(_) => "records",
            Cap::AmountPerDay(_) => "amount",
        };
        format!("{}.{}:{what}", self.slug, self.name)
    }

    fn words(&self, eff: &Effective) -> words::Words<'static> {
        words::Words::new(eff, self.label, &self.noun)
    }
}

/// What one run or one approval request uses: the records, and per currency what
/// they move.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    /// Records done (or requested).
    pub records: u64,
    /// Minor units by currency code.
    pub amounts: BTreeMap<String, i64>,
}

impl Usage {
    /// A run's: the records it did, with what `measured` (before the run) says they move.
    #[must_use]
    pub fn of_run(report: &Report, measured: &[Measured]) -> Self {
        let done: Vec<&str> = report.done.iter().map(|(k, _)| k.as_str()).collect();
        Self::of(measured.iter().filter(|m| done.contains(&m.key.as_str())), done.len())
    }

    /// An approval request's: the records that pass their checks now.
    #[must_use]
    pub fn of_request(measured: &[Measured]) -> Self {
        Self::of(measured.iter(), measured.len())
    }

    fn of<'a>(measured: impl Iterator<Item = &'a Measured>, records: usize) -> Self {
        let mut amounts = BTreeMap::new();
        for (currency, n) in measured.filter_map(|m| m.amount.as_ref()) {
            *amounts.entry(currency.clone()).or_insert(0i64) += n;
        }
        Self { records: records as u64, amounts }
    }
}

/// A limit a run or request would go past.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hit {
    /// The kind of cap (`records_per_day`).
    pub kind: &'static str,
    /// The cap.
    pub cap: i64,
    /// What the run or request would use.
    pub requested: i64,
    /// What is left today (for a cap per run, the cap).
    pub remaining: i64,
    /// The currency, for amounts.
    pub currency: Option<String>,
    /// The refusal, in plain words.
    pub sentence: String,
}

/// Counts `usage` against the limits in `conn` (the run's or the request's
/// transaction). `Some` names the first limit it would go past: the caller rolls
/// the transaction back (some counters may have been raised in it) and refuses with
/// [`refuse`].
///
/// # Errors
/// `Db` when the database fails.
pub async fn charge<C: ConnectionTrait>(
    conn: &C,
    staff_id: i64,
    applied: &Applied,
    usage: &Usage,
) -> Result<Option<Hit>> {
    if usage.records == 0 {
        return Ok(None);
    }
    let day = count::today();
    let records = i64::try_from(usage.records).unwrap_or(i64::MAX);
    for eff in &applied.caps {
        let cap = eff.limit.cap;
        let key = applied.key(cap);
        let wants: Vec<(&str, i64)> = match cap {
            Cap::RecordsPerRun(_) => {
                if records > cap.value() {
                    let sentence = applied.words(eff).refusal(eff, None, 0, records);
                    return Ok(Some(hit(cap, records, cap.value(), None, sentence)));
                }
                continue;
            }
            Cap::RunsPerDay(_) => vec![("", 1)],
            Cap::RecordsPerDay(_) => vec![("", records)],
            Cap::AmountPerDay(_) => usage.amounts.iter().map(|(c, n)| (c.as_str(), *n)).collect(),
        };
        for (currency, n) in wants {
            let counter = count::Counter { staff_id, key: &key, day: &day, currency };
            if let Err(used) = count::bump(conn, &counter, n, cap.value()).await? {
                let cur = (!currency.is_empty()).then_some(currency);
                let sentence = applied.words(eff).refusal(eff, cur, used, n);
                let remaining = (cap.value() - used).max(0);
                return Ok(Some(hit(cap, n, remaining, cur.map(str::to_owned), sentence)));
            }
        }
    }
    Ok(None)
}

fn hit(cap: Cap, requested: i64, remaining: i64, currency: Option<String>, sentence: String) -> Hit {
    Hit { kind: cap.kind(), cap: cap.value(), requested, remaining, currency, sentence }
}

/// Audits `hit` (`limit:hit`, with the actor, the action, the limit, what was
/// requested and what remains) in a transaction of its own, and gives the refusal.
/// Call it after rolling back the run's transaction; on SQLite hold the instance's
/// write turn, if any, as for any write.
///
/// It returns the refusal (`Refused`, with [`Hit::sentence`]), or `Db` when the
/// audit entry cannot be written.
pub async fn refuse(db: &DatabaseConnection, ctx: &Context, applied: &Applied, hit: &Hit) -> Error {
    let mut changes = serde_json::json!({
        "action": [null, applied.name],
        "limit": [null, hit.kind],
        "cap": [null, hit.cap],
        "requested": [null, hit.requested],
        "remaining": [null, hit.remaining],
    });
    if let (Some(c), serde_json::Value::Object(map)) = (&hit.currency, &mut changes) {
        map.insert("currency".to_owned(), serde_json::json!([null, c]));
    }
    let event = audit::Event { kind: "limit:hit", model: Some(applied.slug), object_id: None, changes };
    let written = async {
        let txn = crate::db::txn::begin_write(db).await?;
        audit::record(&txn, ctx, event).await?;
        txn.commit().await?;
        Ok::<(), Error>(())
    };
    match written.await {
        Ok(()) => Error::Refused(hit.sentence.clone()),
        Err(e) => e,
    }
}

/// Where one limit stands today, for the confirmation page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LimitStatus {
    /// The kind of cap (`records_per_day`).
    pub kind: &'static str,
    /// The cap.
    pub cap: i64,
    /// Used today (0 for a cap per run).
    pub used: i64,
    /// Left today (for a cap per run, the cap).
    pub left: i64,
    /// The currency, for an amount some of which was used today.
    pub currency: Option<String>,
    /// In plain words: "You can retry 188 more welcome emails today (at most 200 a day)."
    pub sentence: String,
}

/// Where each of `applied`'s limits stands today for staff member `staff_id`.
///
/// # Errors
/// `Db` when the database fails.
pub async fn status<C: ConnectionTrait>(
    conn: &C,
    staff_id: i64,
    applied: &Applied,
) -> Result<Vec<LimitStatus>> {
    let day = count::today();
    let mut out = Vec::new();
    for eff in &applied.caps {
        let cap = eff.limit.cap;
        let rows = match cap {
            Cap::RecordsPerRun(_) => vec![(String::new(), 0)],
            _ => count::by_currency(conn, staff_id, &applied.key(cap), &day).await?,
        };
        let rows = if rows.is_empty() { vec![(String::new(), 0)] } else { rows };
        for (currency, used) in rows {
            let cur = (!currency.is_empty()).then_some(currency);
            out.push(LimitStatus {
                kind: cap.kind(),
                cap: cap.value(),
                used,
                left: (cap.value() - used).max(0),
                sentence: applied.words(eff).status(cap, cur.as_deref(), used),
                currency: cur,
            });
        }
    }
    Ok(out)
}
