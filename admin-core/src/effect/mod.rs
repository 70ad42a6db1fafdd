//! Effects: what an action asks to happen outside the database (send an email, call
//! an HTTP API), carried out after its run commits, once.
//!
//! An action schedules a [`crate::kernel::effect::Effect`] with
//! `RunContext::schedule`; the run writes it to `admin_effect` in its own
//! transaction ([`write()`]), so an effect exists only when its run's changes do. The
//! worker ([`work_once`]) claims one queued effect at a time with a lease (`FOR
//! UPDATE SKIP LOCKED` on PostgreSQL, a conditional update in an immediate
//! transaction on SQLite), so two workers never carry out one effect at the same
//! time; it hands the effect's [`EffectHandler`] the effect and its idempotency key,
//! and marks it done in a transaction that holds the lease. A failure is tried again
//! with backoff up to [`MAX_ATTEMPTS`], then the effect is `failed`, and staff can
//! retry it or give it up with a reason.
//!
//! A worker that dies after the outside system acted but before it recorded that
//! leaves the effect `running` until the lease ends; another worker then carries it
//! out again with the same key. A worker told to stop for good
//! ([`work_once_until`]) gives its effect back at once instead. So an effect happens **exactly once where the
//! receiver honours the key** (an HTTP API reading `Idempotency-Key`, a mail system
//! that drops a repeated `Message-ID`), and **at least once** otherwise.

use chrono::Duration;
use sea_orm::DatabaseTransaction;

use crate::audit;
use crate::kernel::BoxFuture;
use crate::kernel::error::Result;

mod store;
mod worker;

pub use crate::db::entities::effect as row;
pub use store::{Filter, get, give_up, list, retry, write};
pub use worker::{Work, last_seen, seen, work_once, work_once_until};

/// How often an effect is tried before it is marked failed.
pub const MAX_ATTEMPTS: i32 = 5;
/// How long a worker holds an effect it claimed; a handler that takes longer is
/// stopped and the attempt counts as failed.
pub const LEASE: Duration = Duration::seconds(60);
/// The name the worker signs its audit entries with.
pub const WORKER: &str = "system:effect-worker";

/// The wait before attempt `n + 1`: 2, 4, 8, 16 … seconds, at most 5 minutes.
#[must_use]
pub fn backoff(attempts: i32) -> Duration {
    Duration::seconds(Ord::min(1i64 << attempts.clamp(1, 8), 300))
}

/// Random bytes as hex (keys and lease tokens).
fn random_hex(bytes: usize) -> Result<String> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf)
        .map_err(|e| crate::kernel::error::Error::Internal(format!("no randomness: {e}")))?;
    Ok(hex::encode(buf))
}

/// One stored effect, as handlers and screens see it.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredEffect {
    /// Its id.
    pub id: i64,
    /// The run that scheduled it.
    pub run_id: i64,
    /// The handler's kind (`mail`).
    pub kind: String,
    /// What the handler needs.
    pub payload: serde_json::Value,
    /// The model of the record it is about.
    pub model: Option<String>,
    /// The key of that record.
    pub object_id: Option<String>,
    /// One line for staff.
    pub summary: String,
    /// The key handed to the outside system, the same on every attempt.
    pub idempotency_key: String,
    /// `queued`, `running`, `done`, `failed` or `given_up`.
    pub state: String,
    /// Attempts so far.
    pub attempts: i32,
    /// Not tried again before this time (UTC).
    pub next_attempt_at: Option<chrono::NaiveDateTime>,
    /// The last failure.
    pub last_error: Option<String>,
    /// What the receiver answered when it was done.
    pub outcome: Option<String>,
    /// When it was scheduled (UTC).
    pub created_at: chrono::NaiveDateTime,
    /// When it ended (UTC).
    pub finished_at: Option<chrono::NaiveDateTime>,
    /// Who gave it up, and why.
    pub given_up: Option<(String, String)>,
}

impl StoredEffect {
    /// The effect as stored in `row`.
    #[must_use]
    pub fn from_row(r: row::Model) -> Self {
        let given_up = r.given_up_by.map(|by| (by, r.given_up_reason.unwrap_or_default()));
        Self {
            id: r.id,
            run_id: r.run_id,
            kind: r.kind,
            payload: serde_json::from_str(&r.payload).unwrap_or(serde_json::Value::Null),
            model: r.model,
            object_id: r.object_id,
            summary: r.summary,
            idempotency_key: r.idempotency_key,
            state: r.state,
            attempts: r.attempts,
            next_attempt_at: r.next_attempt_at,
            last_error: r.last_error,
            outcome: r.outcome,
            created_at: r.created_at,
            finished_at: r.finished_at,
            given_up,
        }
    }

    /// The state in words for staff: "Done", "Failed", "Waiting", ….
    #[must_use]
    pub fn state_label(&self) -> &'static str {
        state_label(&self.state)
    }
}

/// A state in words for staff.
#[must_use]
pub fn state_label(state: &str) -> &'static str {
    match state {
        "queued" => "Waiting",
        "running" => "Being carried out",
        "done" => "Done",
        "failed" => "Failed",
        "given_up" => "Given up",
        _ => "Unknown",
    }
}

/// The states, in the order the effects page offers them as filters.
pub const STATES: &[&str] = &["queued", "running", "done", "failed", "given_up"];

/// The outside system did what was asked.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Done {
    /// What it answered, for staff (a message id, a status), if anything.
    pub outcome: Option<String>,
}

/// The outside system did not do what was asked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// Whether trying again may help (a timeout, a busy server); `false` for a
    /// refusal that will not change (a bounced address).
    pub retry: bool,
    /// What went wrong, for staff.
    pub message: String,
}

impl Failure {
    /// A failure worth trying again.
    #[must_use]
    pub fn transient(message: impl Into<String>) -> Self {
        Self { retry: true, message: message.into() }
    }

    /// A failure that trying again will not change.
    #[must_use]
    pub fn permanent(message: impl Into<String>) -> Self {
        Self { retry: false, message: message.into() }
    }
}

/// How an effect's state changed, for [`EffectHandler::settled`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Settled<'a> {
    /// It was carried out.
    Done(&'a Done),
    /// It failed for the last time (the message).
    Failed(&'a str),
    /// Staff asked for it to be tried again.
    Retried,
    /// Staff gave it up (the reason).
    GivenUp(&'a str),
}

/// The transaction an effect's change of state is written in, for a handler that
/// keeps its application's tables in step; entries recorded here are signed by
/// whoever changed the state (the worker as `system:effect-worker`, or the staff
/// member who retried or gave up).
pub struct EffectWrite<'a> {
    txn: &'a DatabaseTransaction,
    ctx: &'a audit::Context,
}

impl EffectWrite<'_> {
    /// The transaction, for the application's own statements.
    #[must_use]
    pub fn conn(&self) -> &DatabaseTransaction {
        self.txn
    }

    /// Records what changed, as `AuditedWrite::record` does.
    ///
    /// # Errors
    /// `Db` when the database fails.
    pub async fn record(
        &self,
        kind: &str,
        model: Option<&str>,
        object_id: Option<&str>,
        changes: serde_json::Value,
    ) -> Result<()> {
        audit::record(self.txn, self.ctx, audit::Event { kind, model, object_id, changes }).await?;
        Ok(())
    }
}

/// Carries out the effects of one kind.
///
/// `perform` talks to the outside system and must hand it `key` (the same on every
/// attempt of this effect) so the receiver can drop a repeat; it runs outside any
/// transaction. `settled` runs in the transaction that records the effect's new
/// state, so an application table that follows the effect (an email job's status)
/// changes with it or not at all.
pub trait EffectHandler: Send + Sync {
    /// The kind it carries out (`mail`).
    fn kind(&self) -> &'static str;

    /// Carries out `effect`, handing `key` to the receiver.
    fn perform<'a>(
        &'a self,
        effect: &'a StoredEffect,
        key: &'a str,
    ) -> BoxFuture<'a, std::result::Result<Done, Failure>>;

    /// Keeps the application's tables in step with the effect's new state. By
    /// default nothing.
    fn settled<'a>(
        &'a self,
        write: &'a EffectWrite<'a>,
        effect: &'a StoredEffect,
        state: Settled<'a>,
    ) -> BoxFuture<'a, Result<()>> {
        let _ = (write, effect, state);
        Box::pin(async { Ok(()) })
    }
}

/// The handlers the worker knows, by kind.
#[derive(Clone, Default)]
pub struct Handlers(std::collections::BTreeMap<&'static str, std::sync::Arc<dyn EffectHandler>>);

impl Handlers {
    /// Adds `handler` for its kind, replacing one of the same kind.
    pub fn add(&mut self, handler: std::sync::Arc<dyn EffectHandler>) {
        self.0.insert(handler.kind(), handler);
    }

    /// The handler of `kind`.
    #[must_use]
    pub fn get(&self, kind: &str) -> Option<&std::sync::Arc<dyn EffectHandler>> {
        self.0.get(kind)
    }

    /// The kinds handled, sorted.
    #[must_use]
    pub fn kinds(&self) -> Vec<&'static str> {
        self.0.keys().copied().collect()
    }
}

impl std::fmt::Debug for Handlers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.0.keys()).finish()
    }
}

/// Calls the handler's `settled` for `effect` in `txn`, if a handler of its kind is
/// known, with entries signed by `ctx`.
pub(crate) async fn settle(
    handlers: &Handlers,
    txn: &DatabaseTransaction,
    ctx: &audit::Context,
    effect: &StoredEffect,
    state: Settled<'_>,
) -> Result<()> {
    if let Some(h) = handlers.get(&effect.kind) {
        h.settled(&EffectWrite { txn, ctx }, effect, state).await?;
    }
    Ok(())
}
