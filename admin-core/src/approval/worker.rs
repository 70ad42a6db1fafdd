//! The approval worker: claims an approved request with a lease and runs it once.

use chrono::NaiveDateTime;
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, QueryFilter, QueryOrder,
    Statement,
};

use super::{LEASE, MAX_ATTEMPTS, backoff, keys_of, request};
use crate::access::Staff;
use crate::action::{Approval, Executed, Report};
use crate::audit::{self, Context};
use crate::db::txn::{begin_write, commit};
use crate::kernel::clock::now;
use crate::kernel::error::{Denial, Error, Result};
use crate::registry::Registry;

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
    /// Request `id` was given back unfinished because the worker was told to stop
    /// ([`work_once_until`]): its transaction rolled back, nothing was applied, and
    /// it is due at once for another worker, the interrupted attempt not counted.
    Released(i64),
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
    work_once_until(db, registry, roles, std::future::pending()).await
}

/// [`work_once`], stopped by `stop`: when `stop` completes while the request's
/// action is still running, its transaction is dropped (rolled back) and the
/// request given back ([`Work::Released`]) for another worker to take at once. A
/// shutting-down process passes its hard deadline here.
///
/// # Errors
/// `Db` when the database fails outside the action itself.
pub async fn work_once_until(
    db: &DatabaseConnection,
    registry: &Registry,
    roles: &crate::access::permission::Roles,
    stop: impl std::future::Future<Output = ()>,
) -> Result<Work> {
    let Some((r, token)) = claim(db).await? else { return Ok(Work::Idle) };
    let ran = tokio::select! {
        biased;
        ran = run_claimed(db, registry, roles, &r, &token) => ran,
        () = stop => {
            let work = release(db, r.id, &token).await?;
            if matches!(work, Work::Done(_)) {
                registry.touch_all();
            }
            return Ok(work);
        }
    };
    match ran {
        Ok(true) => {
            crate::kernel::metrics::action_run(&r.model, &r.action, "done");
            // The action may have written to any table: page anchors are outdated.
            registry.touch_all();
            Ok(Work::Done(r.id))
        }
        Ok(false) => Ok(Work::Lost(r.id)),
        // The database went away: the run did not commit (or, if its commit was
        // cut, did, and is `done`). Not the action's failure: give the request
        // back without counting the attempt, if the database lets us; else its
        // lease runs out and it is claimed again. The caller backs off.
        Err(e) if e.is_unavailable() => {
            if let Err(again) = release(db, r.id, &token).await {
                tracing::debug!(request = r.id, error = %again, "could not give the request back yet");
            }
            Err(e)
        }
        Err(e) => record_failure(db, &r, &token, &e).await,
    }
}

/// Records a failed run on its request: due again after a back-off, or failed for
/// good (with an audit entry) after the last attempt or a refusal.
async fn record_failure(db: &DatabaseConnection, r: &request::Model, token: &str, e: &Error) -> Result<Work> {
    crate::kernel::metrics::action_run(&r.model, &r.action, "failed");
    let msg = match e {
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
        .value(request::Column::NextAttemptAt, if last { None } else { Some(t + backoff(r.attempts)) })
        .and_where(Expr::col(request::Column::Id).eq(r.id))
        .and_where(Expr::col(request::Column::Status).eq("running"))
        .and_where(Expr::col(request::Column::LeaseToken).eq(token));
    if last {
        update.value(request::Column::FinishedAt, Some(t));
    }
    let txn = begin_write(db).await?;
    txn.execute(&update).await?;
    if last {
        let key = r.id.to_string();
        let ctx = Context {
            actor_name: Some("system:approval-worker".to_owned()),
            reason: Some(msg.clone()),
            ..Default::default()
        };
        let changes = serde_json::json!({ "status": ["running", "failed"] });
        audit::record(
            &txn,
            &ctx,
            audit::Event { kind: "approval_failed", model: Some("approval"), object_id: Some(&key), changes },
        )
        .await?;
    }
    txn.commit().await?;
    tracing::warn!(request = r.id, attempt = r.attempts, error = %msg, "approved action failed");
    Ok(if last { Work::Failed(r.id, msg) } else { Work::Retry(r.id, msg) })
}

/// Gives a claimed request back: approved and due now, its lease cleared and the
/// interrupted attempt not counted. When the lease is no longer this worker's, the
/// request's status says what happened: done (its commit got through before the
/// stop) or another worker's.
async fn release(db: &DatabaseConnection, id: i64, token: &str) -> Result<Work> {
    let txn = begin_write(db).await?;
    let changed = txn
        .execute(
            Query::update()
                .table(request::Entity)
                .value(request::Column::Status, "approved")
                .value(request::Column::LeaseUntil, Option::<NaiveDateTime>::None)
                .value(request::Column::LeaseToken, Option::<String>::None)
                .value(request::Column::NextAttemptAt, Option::<NaiveDateTime>::None)
                .value(request::Column::Attempts, Expr::col(request::Column::Attempts).sub(1))
                .and_where(Expr::col(request::Column::Id).eq(id))
                .and_where(Expr::col(request::Column::Status).eq("running"))
                .and_where(Expr::col(request::Column::LeaseToken).eq(token)),
        )
        .await?;
    commit(txn).await?;
    if changed.rows_affected() == 1 {
        tracing::warn!(
            request = id,
            "stopping: gave the approved request back unfinished for another worker"
        );
        return Ok(Work::Released(id));
    }
    let now_done = request::Entity::find_by_id(id).one(db).await?.is_some_and(|r| r.status == "done");
    Ok(if now_done { Work::Done(id) } else { Work::Lost(id) })
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
        let who = roles.who_can(&perm);
        return Err(Error::Forbidden(Denial::missing(
            format!(
                "{} can no longer run this action (inactive, or their roles no longer allow it), so it must be requested again. {who}",
                requester.username
            ),
            perm,
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
    let report: Report = match action
        .execute(&txn, &ctx, &keys, &input, Approval::Granted, &crate::access::scope::RowScope::All)
        .await?
    {
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
    commit(txn).await?;
    Ok(true)
}
