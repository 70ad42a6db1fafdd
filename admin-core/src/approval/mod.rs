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
//! and the request is claimable again when its lease ends.

use chrono::{Duration, NaiveDateTime};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Statement,
};

use crate::access::Staff;
use crate::action::idempotency::Binding;
use crate::action::{Approval, Executed, Report};
use crate::audit::{self, Context};
use crate::db::txn::begin_write;
use crate::kernel::clock::now;
use crate::kernel::error::{Error, FieldError, Result};
use crate::registry::Registry;

pub use crate::db::entities::approval_request as request;

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

/// The request that staff user `requester_id` made with idempotency key `key`, if any.
///
/// # Errors
/// `Db` when the database fails.
pub async fn find_by_key<C: ConnectionTrait>(
    conn: &C,
    requester_id: i64,
    key: &str,
) -> Result<Option<request::Model>> {
    Ok(request::Entity::find()
        .filter(request::Column::RequesterId.eq(requester_id))
        .filter(request::Column::IdempotencyKey.eq(key))
        .one(conn)
        .await?)
}

/// The earlier request a key names: `Ok(Some)` for the same request, a refusal for a
/// different one.
fn replayed(existing: request::Model, binding: &Binding) -> Result<request::Model> {
    if binding.matches(&existing.model, &existing.action, existing.fingerprint.as_deref().unwrap_or_default())
    {
        Ok(existing)
    } else {
        Err(crate::action::idempotency::reused())
    }
}

/// Creates a pending request, audited (`approval_requested`). Called by
/// `service::run_action` when an action needs approval. With a `binding`,
/// the same request sent again with the same key (by the same requester) gives the
/// first request back instead of a second one. `input` is stored as given: pass the
/// input as the action reads it ([`crate::action::DynAction::normalize_input`]), as
/// `run_action` does, never the raw request.
///
/// # Errors
/// `Refused` ([`crate::action::idempotency::KEY_REUSED`]) when the requester already used
/// the key for a different request; `Db` when the database fails.
pub async fn create(
    db: &DatabaseConnection,
    ctx: &Context,
    model: &str,
    action: &str,
    keys: &[String],
    input: &serde_json::Value,
    binding: Option<&Binding>,
) -> Result<request::Model> {
    let actor = ctx.actor.as_ref().ok_or(Error::Unauthenticated)?;
    let txn = begin_write(db).await?;
    if let Some(b) = binding
        && let Some(existing) = find_by_key(&txn, actor.id, &b.key).await?
    {
        // The same confirmation sent twice: the first request stands.
        txn.commit().await?;
        return replayed(existing, b);
    }
    let inserted = request::ActiveModel {
        model: Set(model.to_owned()),
        action: Set(action.to_owned()),
        keys: Set(serde_json::to_string(keys).unwrap_or_else(|_| "[]".to_owned())),
        input: Set(input.to_string()),
        reason: Set(ctx.reason.clone()),
        requester_id: Set(actor.id),
        requester: Set(actor.username.clone()),
        requested_at: Set(now()),
        status: Set("pending".to_owned()),
        decided_by: Set(None),
        decided_by_id: Set(None),
        decided_at: Set(None),
        decision_note: Set(None),
        attempts: Set(0),
        next_attempt_at: Set(None),
        lease_until: Set(None),
        lease_token: Set(None),
        last_error: Set(None),
        report: Set(None),
        finished_at: Set(None),
        idempotency_key: Set(binding.map(|b| b.key.clone())),
        fingerprint: Set(binding.map(|b| b.fingerprint.clone())),
        ..Default::default()
    }
    .insert(&txn)
    .await;
    let saved = match inserted {
        Ok(saved) => saved,
        Err(e) => {
            txn.rollback().await?;
            // The same key, sent at the same moment, committed first: that request
            // stands (or, for a different request, the key is refused).
            if let Some(b) = binding
                && let Some(existing) = find_by_key(db, actor.id, &b.key).await?
            {
                return replayed(existing, b);
            }
            return Err(e.into());
        }
    };
    let id = saved.id.to_string();
    let changes =
        serde_json::json!({ "action": [null, action], "records": [null, keys], "input": [null, input] });
    audit::record(
        &txn,
        ctx,
        audit::Event { kind: "approval_requested", model: Some("approval"), object_id: Some(&id), changes },
    )
    .await?;
    txn.commit().await?;
    Ok(saved)
}

/// One request.
///
/// # Errors
/// `NotFound` when there is none.
pub async fn get(db: &DatabaseConnection, id: i64) -> Result<request::Model> {
    request::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| Error::NotFound(format!("There is no approval request {id}.")))
}

/// Requests, newest first, optionally of one status and model; `limit` after `offset`,
/// and how many match.
///
/// # Errors
/// `Db` when the database fails.
pub async fn list(
    db: &DatabaseConnection,
    status: Option<&str>,
    model: Option<&str>,
    requester: Option<i64>,
    offset: u64,
    limit: u64,
) -> Result<(Vec<request::Model>, u64)> {
    let mut q = request::Entity::find();
    if let Some(id) = requester {
        q = q.filter(request::Column::RequesterId.eq(id));
    }
    if let Some(s) = status {
        q = q.filter(request::Column::Status.eq(s));
    }
    if let Some(m) = model {
        q = q.filter(request::Column::Model.eq(m));
    }
    let total = q.clone().count(db).await?;
    let rows = q.order_by_desc(request::Column::Id).offset(offset).limit(limit).all(db).await?;
    Ok((rows, total))
}

/// Pending or approved requests that touch a record (for its detail page).
///
/// # Errors
/// `Db` when the database fails.
pub async fn open_for_record(db: &DatabaseConnection, model: &str, key: &str) -> Result<Vec<request::Model>> {
    let select = request::Entity::find()
        .filter(request::Column::Model.eq(model))
        .filter(request::Column::Status.is_in(["pending", "approved", "running"]))
        .order_by_desc(request::Column::Id);
    let rows = crate::db::sql::all_limited(db, select, 200, 0).await?;
    Ok(rows.into_iter().filter(|r| keys_of(r).iter().any(|k| k == key)).collect())
}

/// The permission that may decide a request, from its action's policy.
///
/// # Errors
/// `NotFound` when the action no longer exists.
pub fn decide_permission(registry: &Registry, r: &request::Model) -> Result<&'static str> {
    registry
        .action_named(&r.model, &r.action)
        .map(|a| a.policy().approval_permission)
        .ok_or_else(|| Error::NotFound(format!("The action \u{201c}{}\u{201d} no longer exists.", r.action)))
}

/// Whether `staff` may decide some requests: `approvals.decide`, or the approval
/// permission of a registered action. Such users see every request.
#[must_use]
pub fn may_decide_any(staff: &Staff, registry: &Registry) -> bool {
    staff.may("approvals.decide")
        || registry.models().any(|m| {
            registry
                .actions_for(m.meta().slug)
                .iter()
                .any(|a| a.policy().approval && staff.may(a.policy().approval_permission))
        })
}

/// Whether the approval queue is of any use to `staff`: they may decide requests
/// ([`may_decide_any`]), or may run at least one registered action, and so may have
/// asked for approval themselves (and see their own requests). Anyone else, such as
/// a viewer, is not shown the queue.
#[must_use]
pub fn may_see_queue(staff: &Staff, registry: &Registry) -> bool {
    may_decide_any(staff, registry)
        || registry.models().any(|m| {
            let slug = m.meta().slug;
            registry.actions_for(slug).iter().any(|a| staff.may(&format!("{slug}.action.{}", a.name())))
        })
}

/// Who may see the approval queue, in a sentence for those who may not.
pub const QUEUE_REFUSED: &str = "The approval queue is for staff who may run actions or decide approval requests. Ask an admin for the approvals.decide permission, or for permission to run an action.";

/// Whether `staff` may decide `r`: holds the permission and did not ask for it.
#[must_use]
pub fn may_decide(staff: &Staff, registry: &Registry, r: &request::Model) -> bool {
    decide_permission(registry, r).is_ok_and(|p| staff.may(p))
        && staff.id != r.requester_id
        && r.status == "pending"
}

/// Approves or rejects a pending request, with a note (required to reject). The
/// requester can never decide their own request, even as a superuser.
///
/// # Errors
/// `Forbidden` without the permission or for one's own request; `Refused` when it
/// is no longer pending; `Invalid` when a rejection has no note.
pub async fn decide(
    db: &DatabaseConnection,
    ctx: &Context,
    registry: &Registry,
    id: i64,
    approve: bool,
    note: Option<&str>,
) -> Result<request::Model> {
    let actor = ctx.actor.as_ref().ok_or(Error::Unauthenticated)?;
    let note = note.map(str::trim).filter(|n| !n.is_empty());
    if let Some(n) = note
        && let Err(m) = crate::kernel::text::check_named(
            "The note",
            n,
            crate::kernel::text::NOTE,
            crate::kernel::text::Lines::Many,
        )
    {
        return Err(Error::Invalid(vec![FieldError::field("note", m)]));
    }
    if !approve && note.is_none() {
        return Err(Error::Invalid(vec![FieldError::field(
            "note",
            "Say why you reject it: the requester reads this.",
        )]));
    }
    let txn = begin_write(db).await?;
    let mut q = request::Entity::find_by_id(id);
    if txn.get_database_backend() == DbBackend::Postgres {
        q = q.lock_exclusive();
    }
    let r =
        q.one(&txn).await?.ok_or_else(|| Error::NotFound(format!("There is no approval request {id}.")))?;
    let perm = decide_permission(registry, &r)?;
    if !actor.may(perm) {
        return Err(Error::Forbidden(format!(
            "You cannot decide approval requests for this action. Ask an admin for the {perm} permission."
        )));
    }
    if r.requester_id == actor.id {
        return Err(Error::Forbidden(
            "You asked for this yourself, so someone else must approve or reject it.".to_owned(),
        ));
    }
    if r.status != "pending" {
        return Err(Error::Refused(format!(
            "Request {id} was already {} by {}; nothing was changed.",
            r.status,
            r.decided_by.as_deref().unwrap_or("someone")
        )));
    }
    let status = if approve { "approved" } else { "rejected" };
    let mut am: request::ActiveModel = r.clone().into();
    am.status = Set(status.to_owned());
    am.decided_by = Set(Some(actor.username.clone()));
    am.decided_by_id = Set(Some(actor.id));
    am.decided_at = Set(Some(now()));
    am.decision_note = Set(note.map(str::to_owned));
    am.next_attempt_at = Set(approve.then(now));
    if !approve {
        am.finished_at = Set(Some(now()));
    }
    let saved = am.update(&txn).await?;
    let key = id.to_string();
    let mut actx = ctx.clone();
    actx.reason = note.map(str::to_owned);
    let changes = serde_json::json!({ "status": ["pending", status] });
    audit::record(
        &txn,
        &actx,
        audit::Event {
            kind: if approve { "approve" } else { "reject" },
            model: Some("approval"),
            object_id: Some(&key),
            changes,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(saved)
}

/// Claims one runnable request for this worker: approved and due, or running with an
/// expired lease. Returns it with the new lease token.
async fn claim(db: &DatabaseConnection) -> Result<Option<(request::Model, String)>> {
    let t = now();
    let token = crate::auth::random_hex(16)?;
    let txn = begin_write(db).await?;
    let candidate: Option<i64> = if txn.get_database_backend() == DbBackend::Postgres {
        let row = txn
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT id FROM admin_approval \
                 WHERE (status = 'approved' AND (next_attempt_at IS NULL OR next_attempt_at <= $1)) \
                    OR (status = 'running' AND lease_until < $1) \
                 ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED",
                [t.into()],
            ))
            .await?;
        row.and_then(|r| r.try_get::<i64>("", "id").ok())
    } else {
        // SQLite: the immediate transaction already excludes other writers.
        request::Entity::find()
            .filter(
                sea_orm::Condition::any()
                    .add(
                        sea_orm::Condition::all().add(request::Column::Status.eq("approved")).add(
                            sea_orm::Condition::any()
                                .add(request::Column::NextAttemptAt.is_null())
                                .add(request::Column::NextAttemptAt.lte(t)),
                        ),
                    )
                    .add(
                        sea_orm::Condition::all()
                            .add(request::Column::Status.eq("running"))
                            .add(request::Column::LeaseUntil.lt(t)),
                    ),
            )
            .order_by_asc(request::Column::Id)
            .one(&txn)
            .await?
            .map(|r| r.id)
    };
    let Some(id) = candidate else {
        txn.commit().await?;
        return Ok(None);
    };
    txn.execute(
        Query::update()
            .table(request::Entity)
            .value(request::Column::Status, "running")
            .value(request::Column::LeaseUntil, t + LEASE)
            .value(request::Column::LeaseToken, token.clone())
            .value(request::Column::Attempts, Expr::col(request::Column::Attempts).add(1))
            .and_where(Expr::col(request::Column::Id).eq(id)),
    )
    .await?;
    let claimed = request::Entity::find_by_id(id).one(&txn).await?;
    txn.commit().await?;
    Ok(claimed.map(|r| (r, token)))
}

/// What one call of [`work_once`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Work {
    /// Nothing was due.
    Idle,
    /// Request `id` ran and is done.
    Done(i64),
    /// Request `id` failed and will be tried again later.
    Retry(i64, String),
    /// Request `id` failed for the last time.
    Failed(i64, String),
    /// Another worker finished it first; nothing was applied here.
    Lost(i64),
}

/// Claims and runs one due request. Call it in a loop (the server does, and
/// `ops-console worker` does as a process of its own).
///
/// # Errors
/// `Db` when the database fails outside the action itself (the action's own
/// failures are recorded on the request and retried).
pub async fn work_once(
    db: &DatabaseConnection,
    registry: &Registry,
    roles: &crate::access::permission::Roles,
) -> Result<Work> {
    let Some((r, token)) = claim(db).await? else { return Ok(Work::Idle) };
    match run_claimed(db, registry, roles, &r, &token).await {
        Ok(true) => {
            // The action may have written to any table: page anchors are outdated.
            registry.touch_all();
            Ok(Work::Done(r.id))
        }
        Ok(false) => Ok(Work::Lost(r.id)),
        Err(e) => {
            let msg = match &e {
                Error::Db(db) => format!("The database failed: {db}"),
                Error::Internal(m) => m.clone(),
                other => other.to_string(),
            };
            // A refusal will not change by retrying.
            let last = r.attempts >= MAX_ATTEMPTS || matches!(e, Error::Forbidden(_));
            let t = now();
            let mut update = Query::update();
            update
                .table(request::Entity)
                .value(request::Column::Status, if last { "failed" } else { "approved" })
                .value(request::Column::LastError, msg.clone())
                .value(request::Column::LeaseUntil, Option::<NaiveDateTime>::None)
                .value(request::Column::LeaseToken, Option::<String>::None)
                .value(
                    request::Column::NextAttemptAt,
                    if last { None } else { Some(t + backoff(r.attempts)) },
                )
                .and_where(Expr::col(request::Column::Id).eq(r.id))
                .and_where(Expr::col(request::Column::LeaseToken).eq(token.clone()));
            if last {
                update.value(request::Column::FinishedAt, Some(t));
            }
            let txn = begin_write(db).await?;
            txn.execute(&update).await?;
            if last {
                let key = r.id.to_string();
                let ctx = Context {
                    actor_name: Some("worker".to_owned()),
                    reason: Some(msg.clone()),
                    ..Default::default()
                };
                let changes = serde_json::json!({ "status": ["running", "failed"] });
                audit::record(
                    &txn,
                    &ctx,
                    audit::Event {
                        kind: "approval_failed",
                        model: Some("approval"),
                        object_id: Some(&key),
                        changes,
                    },
                )
                .await?;
            }
            txn.commit().await?;
            tracing::warn!(request = r.id, attempt = r.attempts, error = %msg, "approved action failed");
            Ok(if last { Work::Failed(r.id, msg) } else { Work::Retry(r.id, msg) })
        }
    }
}

/// Runs a claimed request; `Ok(false)` when the lease was lost before commit.
async fn run_claimed(
    db: &DatabaseConnection,
    registry: &Registry,
    roles: &crate::access::permission::Roles,
    r: &request::Model,
    token: &str,
) -> Result<bool> {
    let action = registry.action_named(&r.model, &r.action).ok_or_else(|| {
        Error::Internal(format!("the action `{}` on `{}` is not registered", r.action, r.model))
    })?;
    let requester = crate::db::entities::staff_user::Entity::find_by_id(r.requester_id)
        .one(db)
        .await?
        .ok_or_else(|| Error::Internal("the requester no longer exists".to_owned()))?;
    let staff = Staff::from_model(&requester, roles);
    // The request runs as its requester: they must still be allowed to run it.
    let perm = format!("{}.action.{}", r.model, r.action);
    if !requester.is_active || !staff.may(&perm) {
        return Err(Error::Forbidden(format!(
            "{} can no longer run this action (inactive, or without the {perm} permission); ask them or an admin to request it again.",
            requester.username
        )));
    }
    let input: serde_json::Value = serde_json::from_str(&r.input)
        .map_err(|e| Error::Internal(format!("stored input is not JSON: {e}")))?;
    let keys = keys_of(r);
    let reason = match (&r.reason, &r.decided_by) {
        (Some(reason), Some(by)) => Some(format!("{reason} (approved by {by})")),
        (None, Some(by)) => Some(format!("approved by {by}")),
        (reason, None) => reason.clone(),
    };
    let ctx = Context {
        actor: Some(staff),
        reason,
        request_id: Some(format!("approval-{}", r.id)),
        ..Default::default()
    };
    let txn = begin_write(db).await?;
    let report: Report = match action.execute(&txn, &ctx, &keys, &input, Approval::Granted).await? {
        Executed::Ran(report) => report,
        Executed::NeedsApproval => {
            return Err(Error::Internal("an approved request was asked for approval again".to_owned()));
        }
    };
    // Done only if this worker still holds the lease: then the action's changes and
    // the status commit together, or not at all.
    let done = txn
        .execute(
            Query::update()
                .table(request::Entity)
                .value(request::Column::Status, "done")
                .value(request::Column::Report, serde_json::to_string(&report).unwrap_or_default())
                .value(request::Column::FinishedAt, now())
                .value(request::Column::LeaseUntil, Option::<NaiveDateTime>::None)
                .value(request::Column::LastError, Option::<String>::None)
                .and_where(Expr::col(request::Column::Id).eq(r.id))
                .and_where(Expr::col(request::Column::Status).eq("running"))
                .and_where(Expr::col(request::Column::LeaseToken).eq(token)),
        )
        .await?;
    if done.rows_affected() != 1 {
        txn.rollback().await?;
        return Ok(false);
    }
    txn.commit().await?;
    Ok(true)
}

/// Parses a stored report.
#[must_use]
pub fn report_of(r: &request::Model) -> Option<Report> {
    r.report.as_deref().and_then(|s| serde_json::from_str(s).ok())
}
