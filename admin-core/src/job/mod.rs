//! Background jobs: an action over more records than one run takes, stored with its
//! selection fixed (the keys, in order), and run in chunks by the job worker.
//!
//! A job is made in one transaction with its items, its `job:created` audit entry
//! and what it counts against the requester's limits (one run, and every record).
//! The worker ([`worker::work_once_until`]) takes the next chunk of pending items
//! inside the chunk's own write transaction, which holds the job's row (`FOR UPDATE
//! SKIP LOCKED` on PostgreSQL, the write lock on SQLite) until it commits: the
//! action's changes, their audit entries and effects, the items' outcomes and the
//! job's counters commit together or not at all. So a chunk runs exactly once
//! across instances, and a worker killed mid-chunk leaves its items pending for the
//! next one. Staff pause, resume and cancel a job ([`control`]), each audited with
//! a reason; a pause or cancel takes effect when the chunk in progress ends.

mod chunk;
pub mod control;
pub mod export_run;
pub mod files;
pub mod import;
mod import_plan;
mod import_run;
mod store;
pub mod worker;

pub use store::{AUDIT_MODEL, Filter, get, items, list};
pub(crate) use store::{NewJob, create, prior, record_state};

use chrono::NaiveDateTime;
use serde::Serialize;

use crate::db::entities::{job, job_item};

/// The most records one chunk of a job takes: one transaction each.
pub const CHUNK: usize = 500;

/// Where a job stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// An import whose file is read: its columns wait to be matched to fields.
    Draft,
    /// An import's rows are being checked for its preview; nothing is written.
    Checking,
    /// An import's preview is ready: it waits for its requester to confirm it.
    Ready,
    /// It waits for someone else to approve it.
    AwaitingApproval,
    /// Made, not started yet.
    Queued,
    /// Started; chunks remain.
    Running,
    /// Stopped by staff until resumed.
    Paused,
    /// Every record was done, skipped or failed.
    Done,
    /// It cannot go on (its requester may no longer run the action).
    Failed,
    /// Stopped for good by staff; the records not reached were left alone.
    Cancelled,
    /// Its approver said no; nothing ran.
    Rejected,
}

impl JobState {
    /// The stored word.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Checking => "checking",
            Self::Ready => "ready",
            Self::AwaitingApproval => "awaiting_approval",
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Paused => "paused",
            Self::Done => "done",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
            Self::Rejected => "rejected",
        }
    }

    /// The state a stored word names.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Draft,
            Self::Checking,
            Self::Ready,
            Self::AwaitingApproval,
            Self::Queued,
            Self::Running,
            Self::Paused,
            Self::Done,
            Self::Failed,
            Self::Cancelled,
            Self::Rejected,
        ]
        .into_iter()
        .find(|st| st.as_str() == s)
    }

    /// Whether the job will not change any more.
    #[must_use]
    pub fn is_finished(self) -> bool {
        matches!(self, Self::Done | Self::Failed | Self::Cancelled | Self::Rejected)
    }

    /// Whether a worker may take its next chunk.
    #[must_use]
    pub fn is_workable(self) -> bool {
        matches!(self, Self::Checking | Self::Queued | Self::Running)
    }

    /// In a few words, for people.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Draft => "Columns to match",
            Self::Checking => "Checking rows",
            Self::Ready => "Ready to import",
            Self::AwaitingApproval => "Waiting for approval",
            Self::Queued => "Waiting to start",
            Self::Running => "Running",
            Self::Paused => "Paused",
            Self::Done => "Finished",
            Self::Failed => "Failed",
            Self::Cancelled => "Cancelled",
            Self::Rejected => "Rejected",
        }
    }
}

/// What a job does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JobKind {
    /// Runs an action over records fixed when it was made.
    Action,
    /// Writes the rows of a CSV file as records, after a preview.
    Import,
    /// Writes a list to a CSV file to download later.
    Export,
}

impl JobKind {
    /// The stored word.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Action => "action",
            Self::Import => "import",
            Self::Export => "export",
        }
    }

    /// The kind a stored word names (an action for any other word).
    #[must_use]
    pub fn parse(s: &str) -> Self {
        match s {
            "import" => Self::Import,
            "export" => Self::Export,
            _ => Self::Action,
        }
    }

    /// The permission its requester must still hold when a chunk runs:
    /// `{model}.action.{name}`, `{model}.import` or `{model}.export`.
    #[must_use]
    pub fn permission(self, model: &str, action: &str) -> String {
        match self {
            Self::Action => format!("{model}.action.{action}"),
            Self::Import => format!("{model}.import"),
            Self::Export => format!("{model}.export"),
        }
    }
}

/// A background job as staff see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Job {
    /// Its id.
    pub id: i64,
    /// What it does: an action over records, an import or an export.
    pub kind: JobKind,
    /// The model's slug.
    pub model: String,
    /// The action's name.
    pub action: String,
    /// Where it stands.
    pub state: JobState,
    /// Who asked for it.
    pub requester: String,
    /// Their staff id (0 for a system identity).
    pub requester_id: i64,
    /// Why, in their words.
    pub reason: Option<String>,
    /// The list query its records were taken from, if any.
    pub query: Option<String>,
    /// Records in the job.
    pub total: i64,
    /// Records the action did.
    pub done: i64,
    /// Records left alone, each with its reason.
    pub skipped: i64,
    /// Records whose run failed, each with the error.
    pub failed: i64,
    /// An import's rows checked for its preview so far.
    pub checked: i64,
    /// Records per chunk.
    pub chunk_size: i32,
    /// The last failure of a chunk, in words (tried again after a back-off, up to
    /// [`worker::MAX_ATTEMPTS`] times in a row).
    pub last_error: Option<String>,
    /// Who last paused, resumed, cancelled, approved or rejected it.
    pub state_by: Option<String>,
    /// Their reason or note.
    pub state_reason: Option<String>,
    /// Who approved it.
    pub approved_by: Option<String>,
    /// The worker that ran its latest chunk.
    pub worker: Option<String>,
    /// When it was asked for (UTC).
    pub created_at: NaiveDateTime,
    /// When its first chunk began (UTC).
    pub started_at: Option<NaiveDateTime>,
    /// When it last moved (UTC).
    pub updated_at: NaiveDateTime,
    /// When it finished (UTC).
    pub finished_at: Option<NaiveDateTime>,
}

impl Job {
    /// Records done, skipped or failed so far.
    #[must_use]
    pub fn processed(&self) -> i64 {
        self.done + self.skipped + self.failed
    }

    /// How far along it is, 0 to 100 (an import being checked: how far the check is).
    #[must_use]
    pub fn percent(&self) -> i64 {
        let n = if matches!(self.state, JobState::Draft | JobState::Checking) {
            self.checked
        } else {
            self.processed()
        };
        if self.total <= 0 { 100 } else { (n * 100 / self.total).clamp(0, 100) }
    }

    /// Records per second since its first chunk began, once it has done some.
    #[must_use]
    pub fn rate(&self) -> Option<f64> {
        let started = self.started_at?;
        let until = self.finished_at.unwrap_or(self.updated_at);
        let secs = (until - started).num_milliseconds() as f64 / 1000.0;
        (self.processed() > 0 && secs > 0.0).then(|| self.processed() as f64 / secs)
    }

    /// Seconds left at the rate so far, while it runs (not while it is paused or
    /// waits for approval).
    #[must_use]
    pub fn seconds_left(&self) -> Option<i64> {
        if !self.state.is_workable() {
            return None;
        }
        let rate = self.rate()?;
        Some((Ord::max(self.total - self.processed(), 0) as f64 / rate).ceil() as i64)
    }

    /// The audit log's name of the job: `job` and its id.
    #[must_use]
    pub fn audit_key(&self) -> String {
        self.id.to_string()
    }
}

impl From<job::Model> for Job {
    fn from(m: job::Model) -> Self {
        Self {
            id: m.id,
            kind: JobKind::parse(&m.kind),
            checked: m.checked,
            state: JobState::parse(&m.state).unwrap_or(JobState::Failed),
            model: m.model,
            action: m.action,
            requester: m.requester,
            requester_id: m.requester_id,
            reason: m.reason,
            query: m.query,
            total: m.total,
            done: m.done,
            skipped: m.skipped,
            failed: m.failed,
            chunk_size: m.chunk_size,
            last_error: m.last_error,
            state_by: m.state_by,
            state_reason: m.state_reason,
            approved_by: m.approved_by,
            worker: m.worker,
            created_at: m.created_at,
            started_at: m.started_at,
            updated_at: m.updated_at,
            finished_at: m.finished_at,
        }
    }
}

/// One record of a job and what became of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct JobItem {
    /// Its place in the selection, from 0.
    pub seq: i64,
    /// The record's key.
    pub key: String,
    /// `pending`, `done`, `skipped` or `failed`.
    pub state: String,
    /// Why it was skipped or failed, or what the action said it did.
    pub note: Option<String>,
    /// The run of the chunk that did it.
    pub run_id: Option<i64>,
    /// An import's row: its line in the file.
    pub line: Option<i64>,
    /// An import's row: `create` or `update`.
    pub op: Option<String>,
    /// An import's row: `[label, before, after]` per field it sets.
    pub diff: Vec<[String; 3]>,
    /// An import's row: its cells as read.
    pub cells: Vec<String>,
}

impl From<job_item::Model> for JobItem {
    fn from(i: job_item::Model) -> Self {
        Self {
            seq: i.seq,
            key: i.object_id,
            state: i.state,
            note: i.note,
            run_id: i.run_id,
            line: i.line,
            op: i.op,
            diff: i.diff.as_deref().and_then(|d| serde_json::from_str(d).ok()).unwrap_or_default(),
            cells: i.data.as_deref().and_then(|d| serde_json::from_str(d).ok()).unwrap_or_default(),
        }
    }
}
