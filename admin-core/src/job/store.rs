//! Writing and reading jobs: a new job with its items, one job, a page of jobs, a
//! job's items, and a job's audit entries about itself.

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};

use super::{CHUNK, Job, JobItem, JobState};
use crate::audit::{self, Context};
use crate::db::entities::{job, job_item};
use crate::kernel::clock::now;
use crate::kernel::error::{Error, Result};

/// A new job, checked by the door.
pub(crate) struct NewJob<'a> {
    pub slug: &'a str,
    pub name: &'a str,
    pub keys: &'a [String],
    pub input: &'a serde_json::Value,
    pub query: Option<&'a str>,
    pub chunk_size: usize,
    pub needs_approval: bool,
    pub binding: Option<&'a crate::action::idempotency::Binding>,
}

/// The audit entries' model for jobs.
pub const AUDIT_MODEL: &str = "job";

/// Writes a new job with its items, its audit entry and what it counts against the
/// requester's limits, in one transaction. `Ok(Err(id))` when the requester's
/// idempotency key already made job `id` for this very request.
///
/// # Errors
/// `Refused` past a limit (audited as `limit:hit`) or for a key used for another
/// request; `Db` when the database fails.
pub(crate) async fn create(
    db: &DatabaseConnection,
    ctx: &Context,
    turn: &crate::registry::Registry,
    limits: &crate::limits::Applied,
    new: &NewJob<'_>,
) -> Result<std::result::Result<i64, i64>> {
    let staff = ctx.actor.as_ref().ok_or(Error::Unauthenticated)?;
    if let Some(b) = new.binding
        && let Some(id) = prior(db, staff.id, b).await?
    {
        return Ok(Err(id));
    }
    let t = now();
    let state = if new.needs_approval { JobState::AwaitingApproval } else { JobState::Queued };
    let guard = turn.write_turn(db).await;
    let txn = crate::db::txn::begin_write(db).await?;
    let row = new_row(new, staff, (state, t), ctx.reason.clone());
    let inserted = job::Entity::insert(row).exec(&txn).await;
    let id = match inserted {
        Ok(r) => r.last_insert_id,
        Err(e) => {
            // The same key sent twice at once: the first one's job is the answer.
            txn.rollback().await?;
            drop(guard);
            if let Some(b) = new.binding
                && let Some(id) = prior(db, staff.id, b).await?
            {
                return Ok(Err(id));
            }
            return Err(e.into());
        }
    };
    insert_items(&txn, id, new.keys).await?;
    // A job is one run for the limits, and each of its records counts as a record.
    let usage = crate::limits::Usage { records: new.keys.len() as u64, ..Default::default() };
    if let Some(hit) = crate::limits::charge(&txn, staff.id, limits, &usage).await? {
        txn.rollback().await?;
        drop(guard);
        return Err(crate::limits::refuse(db, ctx, limits, &hit).await);
    }
    let key = id.to_string();
    let changes = serde_json::json!({
        "action": [null, format!("{}.{}", new.slug, new.name)],
        "records": [null, new.keys.len()],
        "state": [null, state.as_str()],
    });
    audit::record(
        &txn,
        ctx,
        audit::Event { kind: "job:created", model: Some(AUDIT_MODEL), object_id: Some(&key), changes },
    )
    .await?;
    crate::db::txn::commit(txn).await?;
    Ok(Ok(id))
}

/// The job's row as it is made.
fn new_row(
    new: &NewJob<'_>,
    staff: &crate::access::Staff,
    (state, t): (JobState, chrono::NaiveDateTime),
    reason: Option<String>,
) -> job::ActiveModel {
    let mut row =
        blank_row((super::JobKind::Action, new.slug, new.name), staff, (state, new.keys.len() as i64), t);
    row.input = Set(new.input.to_string());
    row.reason = Set(reason);
    row.query = Set(new.query.map(str::to_owned));
    row.chunk_size = Set(i32::try_from(new.chunk_size.clamp(1, CHUNK)).unwrap_or(CHUNK as i32));
    row.idempotency_key = Set(new.binding.map(|b| b.key.clone()));
    row.fingerprint = Set(new.binding.map(|b| b.fingerprint.clone()));
    row
}

/// A new job's row of `kind` on model `slug` (action `name`), asked for by
/// `staff` at `t`, in `state`, over `total` records: nothing done, no input,
/// reason or query yet, chunks of [`CHUNK`].
pub(super) fn blank_row(
    (kind, slug, name): (super::JobKind, &str, &str),
    staff: &crate::access::Staff,
    (state, total): (JobState, i64),
    t: chrono::NaiveDateTime,
) -> job::ActiveModel {
    job::ActiveModel {
        kind: Set(kind.as_str().to_owned()),
        model: Set(slug.to_owned()),
        action: Set(name.to_owned()),
        input: Set("{}".to_owned()),
        reason: Set(None),
        query: Set(None),
        requester_id: Set(staff.id),
        requester: Set(staff.username.clone()),
        state: Set(state.as_str().to_owned()),
        total: Set(total),
        checked: Set(0),
        cursor: Set(None),
        done: Set(0),
        skipped: Set(0),
        failed: Set(0),
        chunk_size: Set(CHUNK as i32),
        idempotency_key: Set(None),
        fingerprint: Set(None),
        worker: Set(None),
        approved_by: Set(None),
        attempts: Set(0),
        next_attempt_at: Set(None),
        last_error: Set(None),
        state_by: Set(None),
        state_reason: Set(None),
        created_at: Set(t),
        started_at: Set(None),
        updated_at: Set(t),
        finished_at: Set(None),
        ..Default::default()
    }
}

/// One pending item per key, in order, 400 rows a statement.
async fn insert_items<C: ConnectionTrait>(conn: &C, id: i64, keys: &[String]) -> Result<()> {
    for (n, chunk) in keys.chunks(400).enumerate() {
        let rows = chunk.iter().enumerate().map(|(i, k)| job_item::ActiveModel {
            job_id: Set(id),
            seq: Set((n * 400 + i) as i64),
            object_id: Set(k.clone()),
            state: Set("pending".to_owned()),
            note: Set(None),
            run_id: Set(None),
            line: Set(None),
            data: Set(None),
            op: Set(None),
            diff: Set(None),
            match_key: Set(None),
        });
        job_item::Entity::insert_many(rows).exec_without_returning(conn).await?;
    }
    Ok(())
}

/// The job a requester's key already made for this request, or the refusal of a
/// key used for another one.
pub(crate) async fn prior(
    db: &DatabaseConnection,
    staff_id: i64,
    binding: &crate::action::idempotency::Binding,
) -> Result<Option<i64>> {
    let found = job::Entity::find()
        .filter(job::Column::RequesterId.eq(staff_id))
        .filter(job::Column::IdempotencyKey.eq(binding.key.clone()))
        .one(db)
        .await?;
    match found {
        None => Ok(None),
        Some(j) if binding.matches(&j.model, &j.action, j.fingerprint.as_deref().unwrap_or_default()) => {
            Ok(Some(j.id))
        }
        Some(_) => Err(crate::action::idempotency::reused()),
    }
}

/// One job.
///
/// # Errors
/// `NotFound` when there is none; `Db` when the database fails.
pub async fn get<C: ConnectionTrait>(conn: &C, id: i64) -> Result<Job> {
    job::Entity::find_by_id(id)
        .one(conn)
        .await?
        .map(Job::from)
        .ok_or_else(|| Error::NotFound(format!("There is no background job {id}.")))
}

/// Which jobs to list.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// Only this requester's (their staff id).
    pub requester_id: Option<i64>,
    /// Only those this staff member may see without `jobs.view`: their own, and
    /// those awaiting approval of one of these (model, action) pairs that someone
    /// else asked for.
    pub visible_to: Option<(i64, Vec<(String, String)>)>,
    /// Only jobs in these states (none: all).
    pub states: Vec<JobState>,
}

/// A page of jobs, newest first, with how many match.
///
/// # Errors
/// `Db` when the database fails.
pub async fn list(
    db: &DatabaseConnection,
    filter: &Filter,
    offset: u64,
    limit: u64,
) -> Result<(Vec<Job>, u64)> {
    let mut q = job::Entity::find();
    if let Some(r) = filter.requester_id {
        q = q.filter(job::Column::RequesterId.eq(r));
    }
    if let Some((me, pairs)) = &filter.visible_to {
        let mut decidable = sea_orm::Condition::any();
        for (model, action) in pairs {
            decidable = decidable.add(
                sea_orm::Condition::all()
                    .add(job::Column::Model.eq(model))
                    .add(job::Column::Action.eq(action)),
            );
        }
        let waiting = sea_orm::Condition::all()
            .add(job::Column::State.eq(JobState::AwaitingApproval.as_str()))
            .add(job::Column::RequesterId.ne(*me))
            .add(if pairs.is_empty() {
                sea_orm::Condition::all().add(Expr::val(1).eq(0))
            } else {
                decidable
            });
        q = q.filter(sea_orm::Condition::any().add(job::Column::RequesterId.eq(*me)).add(waiting));
    }
    if !filter.states.is_empty() {
        q = q.filter(job::Column::State.is_in(filter.states.iter().map(|s| s.as_str())));
    }
    let total = q.clone().count(db).await?;
    let rows = q.order_by_desc(job::Column::Id).offset(offset).limit(limit).all(db).await?;
    Ok((rows.into_iter().map(Job::from).collect(), total))
}

/// A job's items in one state (`skipped`, `failed`, `pending`, `done`), in order,
/// from `after_seq` on.
///
/// # Errors
/// `Db` when the database fails.
pub async fn items(
    db: &DatabaseConnection,
    id: i64,
    state: &str,
    after_seq: i64,
    limit: u64,
) -> Result<Vec<JobItem>> {
    Ok(job_item::Entity::find()
        .filter(job_item::Column::JobId.eq(id))
        .filter(job_item::Column::State.eq(state))
        .filter(Expr::col(job_item::Column::Seq).gt(after_seq))
        .order_by_asc(job_item::Column::Seq)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(JobItem::from)
        .collect())
}

/// Writes a job's audit entry about itself (`job:{what}`) with its state change.
pub(crate) async fn record_state<C: ConnectionTrait>(
    conn: &C,
    ctx: &Context,
    id: i64,
    what: &str,
    (from, to): (JobState, JobState),
) -> Result<()> {
    let key = id.to_string();
    let kind = format!("job:{what}");
    let changes = serde_json::json!({ "state": [from.as_str(), to.as_str()] });
    audit::record(
        conn,
        ctx,
        audit::Event { kind: &kind, model: Some(AUDIT_MODEL), object_id: Some(&key), changes },
    )
    .await?;
    Ok(())
}
