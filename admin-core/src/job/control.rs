//! Staff's hold on a job: pause, resume, cancel, and a second person's approval
//! or rejection. Each change is one transaction with its audit entry. The job's
//! row is locked first, so a change waits for the chunk in progress to commit and
//! takes effect before the next one.

use sea_orm::{ActiveModelTrait, ActiveValue::Set, DatabaseConnection, DbBackend, EntityTrait, QuerySelect};

use super::{JobState, record_state};
use crate::audit::Context;
use crate::db::entities::job;
use crate::kernel::clock::now;
use crate::kernel::error::{Error, Result};

/// A change staff make to a job.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// Stop after the chunk in progress, until resumed.
    Pause,
    /// Go on from the next pending record.
    Resume,
    /// Stop for good; the records not reached are left alone.
    Cancel,
    /// A second person lets it run.
    Approve,
    /// A second person says no; nothing runs.
    Reject,
}

impl Change {
    /// The audit kind's suffix (`job:paused`).
    #[must_use]
    pub fn past(self) -> &'static str {
        match self {
            Self::Pause => "paused",
            Self::Resume => "resumed",
            Self::Cancel => "cancelled",
            Self::Approve => "approved",
            Self::Reject => "rejected",
        }
    }

    /// The verb, for refusals ("pause").
    #[must_use]
    pub fn verb(self) -> &'static str {
        match self {
            Self::Pause => "pause",
            Self::Resume => "resume",
            Self::Cancel => "cancel",
            Self::Approve => "approve",
            Self::Reject => "reject",
        }
    }

    /// The state it leads to from `from`, or why it cannot be made.
    fn target(self, from: JobState, started: bool) -> std::result::Result<JobState, String> {
        use JobState as S;
        let to = match (self, from) {
            (Self::Pause, S::Queued | S::Running) => S::Paused,
            (Self::Resume, S::Paused) => {
                if started {
                    S::Running
                } else {
                    S::Queued
                }
            }
            (
                Self::Cancel,
                S::Draft | S::Checking | S::Ready | S::AwaitingApproval | S::Queued | S::Running | S::Paused,
            ) => S::Cancelled,
            (Self::Approve, S::AwaitingApproval) => {
                if started {
                    S::Running
                } else {
                    S::Queued
                }
            }
            (Self::Reject, S::AwaitingApproval) => S::Rejected,
            (_, from) => {
                return Err(format!(
                    "This job cannot be {} now: it is {}.",
                    self.past(),
                    from.label().to_lowercase()
                ));
            }
        };
        Ok(to)
    }
}

/// Makes `change` to job `id` as the actor of `ctx` (whose reason goes with it),
/// after `allowed` said yes to the job as it is now, under its lock.
///
/// # Errors
/// `NotFound`; `Refused` when the job's state does not allow the change; what
/// `allowed` answers; `Db` when the database fails.
pub(crate) async fn change(
    (db, registry): (&DatabaseConnection, &crate::registry::Registry),
    ctx: &Context,
    id: i64,
    change: Change,
    allowed: impl FnOnce(&super::Job) -> Result<()>,
) -> Result<super::Job> {
    let by = ctx.actor.as_ref().map(|s| s.username.clone()).or_else(|| ctx.actor_name.clone());
    // On SQLite, after this instance's chunk in progress (its writes take turns).
    let _turn = registry.write_turn(db).await;
    let txn = crate::db::txn::begin_write(db).await?;
    let mut q = job::Entity::find_by_id(id);
    if db.get_database_backend() == DbBackend::Postgres {
        q = q.lock_exclusive();
    }
    let Some(row) = q.one(&txn).await? else {
        return Err(Error::NotFound(format!("There is no background job {id}.")));
    };
    let current = super::Job::from(row.clone());
    allowed(&current)?;
    let to = change.target(current.state, current.started_at.is_some()).map_err(Error::Refused)?;
    let t = now();
    let mut active: job::ActiveModel = row.into();
    active.state = Set(to.as_str().to_owned());
    active.state_by = Set(by.clone());
    active.state_reason = Set(ctx.reason.clone());
    active.updated_at = Set(t);
    match change {
        Change::Approve => active.approved_by = Set(by),
        Change::Resume => {
            // A paused job that was failing starts fresh.
            active.attempts = Set(0);
            active.next_attempt_at = Set(None);
        }
        _ => {}
    }
    if to.is_finished() {
        active.finished_at = Set(Some(t));
    }
    let saved = active.update(&txn).await?;
    record_state(&txn, ctx, id, change.past(), (current.state, to)).await?;
    crate::db::txn::commit(txn).await?;
    Ok(super::Job::from(saved))
}
