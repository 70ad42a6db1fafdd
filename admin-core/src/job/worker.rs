//! The job worker: one chunk of one job per call, in one transaction that holds the
//! job's row from the claim to the commit.

use sea_orm::sea_query::{Expr, ExprTrait, LockBehavior, LockType, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect,
};

use super::chunk::{Run, settle};
use super::{JobState, record_state};
use crate::access::Staff;
use crate::action::Approval;
use crate::audit::Context;
use crate::db::entities::{job, job_item, staff_user};
use crate::kernel::clock::now;
use crate::kernel::error::{Error, Result};
use crate::registry::Registry;

/// What one call of [`work_once_until`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Work {
    /// No job had work waiting.
    Idle,
    /// A chunk of job `job` committed.
    Chunk {
        /// The job's id.
        job: i64,
        /// Records the action did in this chunk.
        done: u64,
        /// Records it left alone.
        skipped: u64,
        /// Records whose run failed.
        failed: u64,
        /// Whether that was the job's last chunk.
        finished: bool,
    },
    /// The action asked for a second person's approval: the job waits for it and
    /// this chunk changed nothing.
    NeedsApproval(i64),
    /// Job `id` cannot go on (its requester may no longer run the action); it is
    /// marked failed.
    Failed(i64, String),
    /// The worker was told to stop while a chunk of job `id` ran: the chunk rolled
    /// back and its records are pending for the next worker.
    Released(i64),
    /// A chunk of job `id` failed outside any one record (its stored input, the
    /// database refusing the job's own rows): rolled back, and tried again after a
    /// back-off; other jobs go first meanwhile. After [`MAX_ATTEMPTS`] tries in a
    /// row the job is failed ([`Work::Failed`]).
    Retry(i64, String),
}

/// Tries of one chunk in a row before its job is failed.
pub const MAX_ATTEMPTS: i32 = 5;

/// Takes the next chunk of a job with work waiting (of job `only`, when given)
/// and runs it, unless `stop` completes first (then the chunk is rolled back,
/// [`Work::Released`]).
///
/// # Errors
/// `Db` when the database fails; the chunk is rolled back and tried again by the
/// next call.
pub async fn work_once_until(
    db: &DatabaseConnection,
    registry: &Registry,
    roles: &crate::access::permission::Roles,
    (instance, only): (&str, Option<i64>),
    stop: impl std::future::Future<Output = ()>,
) -> Result<Work> {
    let turn = registry.write_turn(db).await;
    let txn = crate::db::txn::begin_write(db).await?;
    let Some(row) = claim(&txn, only).await? else {
        txn.commit().await?;
        return Ok(Work::Idle);
    };
    let id = row.id;
    let work = tokio::select! {
        biased;
        work = run_chunk(&txn, registry, roles, instance, row) => work,
        () = stop => None,
    };
    let Some(work) = work else {
        txn.rollback().await?;
        return Ok(Work::Released(id));
    };
    let work = match work {
        Ok(w) => w,
        Err(e) => {
            txn.rollback().await?;
            drop(turn);
            // The database away is an outage, not the job's failure: the caller
            // backs off and the chunk is taken again.
            if e.is_unavailable() {
                return Err(e);
            }
            return record_failure(db, registry, id, &e).await;
        }
    };
    crate::db::txn::commit(txn).await?;
    drop(turn);
    if matches!(work, Work::Chunk { .. }) {
        // The action may have written to any table: page anchors are outdated.
        registry.touch_all();
    }
    Ok(work)
}

/// Records a chunk's failure on its job, in a transaction of its own: tried again
/// after a back-off (the job goes to the back of the line), or failed for good
/// after [`MAX_ATTEMPTS`] tries in a row, with an audit entry.
async fn record_failure(db: &DatabaseConnection, registry: &Registry, id: i64, e: &Error) -> Result<Work> {
    let msg = match e {
        Error::Db(db) => format!("The database failed: {db}"),
        Error::Internal(m) => m.clone(),
        other => other.to_string(),
    };
    tracing::warn!(job = id, error = %msg, "a chunk of a background job failed");
    let _turn = registry.write_turn(db).await;
    let txn = crate::db::txn::begin_write(db).await?;
    let Some(row) = job::Entity::find_by_id(id).one(&txn).await? else {
        txn.rollback().await?;
        return Ok(Work::Retry(id, msg));
    };
    let attempts = row.attempts + 1;
    let last = attempts >= MAX_ATTEMPTS;
    let t = now();
    let from = JobState::parse(&row.state).unwrap_or(JobState::Running);
    let mut update = Query::update();
    update
        .table(job::Entity)
        .value(job::Column::Attempts, attempts)
        .value(job::Column::LastError, msg.clone())
        .value(job::Column::UpdatedAt, t)
        .and_where(Expr::col(job::Column::Id).eq(id));
    if last {
        update.value(job::Column::State, JobState::Failed.as_str()).value(job::Column::FinishedAt, Some(t));
    } else {
        update.value(job::Column::NextAttemptAt, Some(t + crate::approval::backoff(attempts)));
    }
    txn.execute(&update).await?;
    if last {
        record_state(&txn, &worker_ctx(Some(msg.clone())), id, "failed", (from, JobState::Failed)).await?;
    }
    crate::db::txn::commit(txn).await?;
    Ok(if last { Work::Failed(id, msg) } else { Work::Retry(id, msg) })
}

/// Wraps the chunk's future so that [`work_once_until`] can tell a stop from a result.
async fn run_chunk(
    txn: &DatabaseTransaction,
    registry: &Registry,
    roles: &crate::access::permission::Roles,
    instance: &str,
    row: job::Model,
) -> Option<Result<Work>> {
    let staff = match requester(txn, roles, &row).await {
        Ok(Ok(staff)) => staff,
        Ok(Err(why)) => return Some(fail(txn, &row, why).await),
        Err(e) => return Some(Err(e)),
    };
    let other = match super::JobKind::parse(&row.kind) {
        super::JobKind::Action => return Some(chunk(txn, registry, staff, instance, row).await),
        super::JobKind::Import => super::import_run::chunk(txn, registry, staff, instance, &row).await,
        super::JobKind::Export => super::export_run::chunk(txn, registry, &staff, instance, &row).await,
    };
    Some(match other {
        Ok(Ok(work)) => Ok(work),
        Ok(Err(why)) => fail(txn, &row, why).await,
        Err(e) => Err(e),
    })
}

/// The next job with work waiting, locked for this transaction: the one whose
/// last chunk is oldest, so jobs take turns.
async fn claim(txn: &DatabaseTransaction, only: Option<i64>) -> Result<Option<job::Model>> {
    let t = now();
    let mut q = job::Entity::find();
    if let Some(id) = only {
        q = q.filter(job::Column::Id.eq(id));
    }
    let mut q = q
        .filter(job::Column::State.is_in([
            JobState::Checking.as_str(),
            JobState::Queued.as_str(),
            JobState::Running.as_str(),
        ]))
        .filter(
            sea_orm::Condition::any()
                .add(job::Column::NextAttemptAt.is_null())
                .add(job::Column::NextAttemptAt.lte(t)),
        )
        .order_by_asc(job::Column::UpdatedAt)
        .order_by_asc(job::Column::Id)
        .limit(1);
    if txn.get_database_backend() == DbBackend::Postgres {
        q = q.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
    }
    Ok(q.one(txn).await?)
}

/// Who the job runs as: its requester as they are now, or the system identity
/// that asked for it. `Err` with the sentence when they may no longer run it.
async fn requester(
    txn: &DatabaseTransaction,
    roles: &crate::access::permission::Roles,
    row: &job::Model,
) -> Result<std::result::Result<Staff, String>> {
    let perm = super::JobKind::parse(&row.kind).permission(&row.model, &row.action);
    // A system identity (`system:nightly-bot`, staff id 0) holds every permission.
    if row.requester_id == 0 && row.requester.starts_with("system:") {
        return Ok(Ok(Staff {
            id: 0,
            username: row.requester.clone(),
            is_superuser: true,
            roles: Vec::new(),
            permissions: crate::access::permission::Permissions::default(),
        }));
    }
    let found = staff_user::Entity::find_by_id(row.requester_id).one(txn).await?;
    let staff = found.as_ref().map(|m| (m.is_active, Staff::from_model(m, roles)));
    match staff {
        Some((true, staff)) if staff.may(&perm) => Ok(Ok(staff)),
        _ => Ok(Err(format!(
            "{} can no longer {} (inactive, or their roles no longer allow it), so the job stopped. {}",
            row.requester,
            match super::JobKind::parse(&row.kind) {
                super::JobKind::Action => "run this action",
                super::JobKind::Import => "import these records",
                super::JobKind::Export => "export these records",
            },
            roles.who_can(&perm)
        ))),
    }
}

/// Runs one chunk of `row` in `txn`.
async fn chunk(
    txn: &DatabaseTransaction,
    registry: &Registry,
    staff: Staff,
    instance: &str,
    row: job::Model,
) -> Result<Work> {
    let began = now();
    let from = JobState::parse(&row.state).unwrap_or(JobState::Running);
    let Some(action) = registry.action_named(&row.model, &row.action) else {
        let why =
            format!("The action \u{201c}{}\u{201d} on {} is no longer registered.", row.action, row.model);
        return fail(txn, &row, why).await;
    };
    let pending: Vec<job_item::Model> = job_item::Entity::find()
        .filter(job_item::Column::JobId.eq(row.id))
        .filter(job_item::Column::State.eq("pending"))
        .order_by_asc(job_item::Column::Seq)
        .limit(u64::try_from(Ord::max(row.chunk_size, 1)).unwrap_or(1))
        .all(txn)
        .await?;
    let input: serde_json::Value = serde_json::from_str(&row.input)
        .map_err(|e| Error::Internal(format!("a job's stored input is not JSON: {e}")))?;
    let reason = match (&row.reason, &row.approved_by) {
        (Some(reason), Some(by)) => Some(format!("{reason} (approved by {by})")),
        (None, Some(by)) => Some(format!("approved by {by}")),
        (reason, None) => reason.clone(),
    };
    let scope = registry.row_scope(&staff, &row.model);
    let ctx = Context {
        actor: Some(staff),
        reason,
        request_id: Some(format!("job-{}", row.id)),
        ..Default::default()
    };
    let approval = if row.approved_by.is_some() { Approval::Granted } else { Approval::Ask };
    let keys: Vec<String> = pending.iter().map(|i| i.object_id.clone()).collect();
    let run = Run { action: action.as_ref(), ctx: &ctx, input: &input, approval, scope: &scope };
    let outcome = match run.whole(txn, &keys).await? {
        Some(outcome) => outcome,
        None => {
            let to = JobState::AwaitingApproval;
            txn.execute(
                Query::update()
                    .table(job::Entity)
                    .value(job::Column::State, to.as_str())
                    .value(job::Column::StateBy, "system:job-worker")
                    .value(
                        job::Column::StateReason,
                        "The action asks for a second person's approval for these records.",
                    )
                    .value(job::Column::UpdatedAt, now())
                    .and_where(Expr::col(job::Column::Id).eq(row.id)),
            )
            .await?;
            record_state(txn, &worker_ctx(None), row.id, "needs_approval", (from, to)).await?;
            return Ok(Work::NeedsApproval(row.id));
        }
    };
    settle(txn, (&row, began), instance, &pending, outcome).await
}

/// The job worker's own audit context.
pub(super) fn worker_ctx(reason: Option<String>) -> Context {
    Context { actor_name: Some("system:job-worker".to_owned()), reason, ..Default::default() }
}

/// Marks the job failed, with why, and audits it.
async fn fail(txn: &DatabaseTransaction, row: &job::Model, why: String) -> Result<Work> {
    let from = JobState::parse(&row.state).unwrap_or(JobState::Running);
    let t = now();
    txn.execute(
        Query::update()
            .table(job::Entity)
            .value(job::Column::State, JobState::Failed.as_str())
            .value(job::Column::LastError, why.clone())
            .value(job::Column::UpdatedAt, t)
            .value(job::Column::FinishedAt, Some(t))
            .and_where(Expr::col(job::Column::Id).eq(row.id)),
    )
    .await?;
    record_state(txn, &worker_ctx(Some(why.clone())), row.id, "failed", (from, JobState::Failed)).await?;
    Ok(Work::Failed(row.id, why))
}
