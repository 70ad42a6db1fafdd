//! Approvals: one person asks, another approves, a worker runs it.
//!
//! An action whose policy (or typed rule) needs approval becomes a pending
//! [`request::Model`] instead of running: the action, the record keys, the typed
//! input as JSON, the reason and the requester. Someone else holding the action's
//! approval permission approves or rejects it with a note; the requester never can,
//! even as a superuser. Approved requests are run by [`work_once`], which claims one
//! with a lease (`FOR UPDATE SKIP LOCKED` on PostgreSQL; a conditional update inside
//! an immediate transaction on SQLite), re-checks every record, and runs the action
//! in one transaction that also marks the request done, so a request runs at most
//! once however many workers and instances poll. A failure is retried with backoff
//! up to [`MAX_ATTEMPTS`], then the request is marked failed with the error. A
//! worker that dies mid-run leaves nothing applied (its transaction never commits)
//! and the request is claimable again when its lease ends; one told to stop for good
//! ([`work_once_until`]) rolls back and gives the request back at once.

use chrono::Duration;

use crate::action::Report;

mod decide;
mod queue;
mod worker;

pub use crate::db::entities::approval_request as request;
pub use decide::{QUEUE_REFUSED, decide, decide_permission, may_decide, may_decide_any, may_see_queue};
pub use queue::{create, find_by_key, get, list, open_for_record};
pub use worker::{Work, work_once, work_once_until};

/// How often an approved request is tried before it is marked failed.
pub const MAX_ATTEMPTS: i32 = 5;
/// How long a worker holds a request it claimed.
pub const LEASE: Duration = Duration::seconds(60);

/// The wait before attempt `n + 1`: 2, 4, 8, 16 … seconds, at most 5 minutes.
#[must_use]
pub fn backoff(attempts: i32) -> Duration {
    Duration::seconds(Ord::min(1i64 << attempts.clamp(1, 8), 300))
}

/// The record keys of a request.
#[must_use]
pub fn keys_of(r: &request::Model) -> Vec<String> {
    serde_json::from_str(&r.keys).unwrap_or_default()
}

/// Parses a stored report.
#[must_use]
pub fn report_of(r: &request::Model) -> Option<Report> {
    r.report.as_deref().and_then(|s| serde_json::from_str(s).ok())
}
