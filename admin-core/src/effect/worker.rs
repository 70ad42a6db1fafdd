//! The effect worker: claims one due effect with a lease, carries it out through
//! its handler, and records the result while it still holds the lease.

use chrono::NaiveDateTime;
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait,
    QueryFilter, QueryOrder, Statement,
};

use super::store::audit_change;
use super::{
    Done, Failure, Handlers, LEASE, MAX_ATTEMPTS, Settled, StoredEffect, WORKER, backoff, row, settle,
};
use crate::audit::Context;
use crate::db::entities::worker_seen;
use crate::db::txn::{begin_write, commit};
use crate::kernel::clock::now;
use crate::kernel::error::Result;

/// What one call of [`work_once`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Work {
    /// Nothing was due.
    Idle,
    /// Effect `id` was carried out.
    Done(i64),
    /// Effect `id` failed and will be tried again later.
    Retry(i64, String),
    /// Effect `id` failed for the last time.
    Failed(i64, String),
    /// This worker's lease ran out before it could record the result: another
    /// worker has the effect (and carries it out again with the same key).
    Lost(i64),
    /// Effect `id` was given back unfinished because the worker was told to stop
    /// ([`work_once_until`]): queued and due at once for another worker, the
    /// interrupted attempt not counted.
    Released(i64),
}

/// Claims one due effect for worker `instance`: queued and due, or running with an
/// expired lease (its worker died). Gives it with the new lease token.
async fn claim(db: &DatabaseConnection, instance: &str) -> Result<Option<(StoredEffect, String)>> {
    let t = now();
    let token = super::random_hex(16)?;
    let txn = begin_write(db).await?;
    let candidate: Option<i64> = if txn.get_database_backend() == DbBackend::Postgres {
        let row = txn
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT id FROM admin_effect \
                 WHERE (state = 'queued' AND (next_attempt_at IS NULL OR next_attempt_at <= $1)) \
                    OR (state = 'running' AND lease_until < $1) \
                 ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED",
                [t.into()],
            ))
            .await?;
        row.and_then(|r| r.try_get::<i64>("", "id").ok())
    } else {
        // SQLite: the immediate transaction already excludes other writers.
        row::Entity::find()
            .filter(
                Condition::any()
                    .add(
                        Condition::all().add(row::Column::State.eq("queued")).add(
                            Condition::any()
                                .add(row::Column::NextAttemptAt.is_null())
                                .add(row::Column::NextAttemptAt.lte(t)),
                        ),
                    )
                    .add(
                        Condition::all()
                            .add(row::Column::State.eq("running"))
                            .add(row::Column::LeaseUntil.lt(t)),
                    ),
            )
            .order_by_asc(row::Column::Id)
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
            .table(row::Entity)
            .value(row::Column::State, "running")
            .value(row::Column::LeaseOwner, instance)
            .value(row::Column::LeaseUntil, t + LEASE)
            .value(row::Column::LeaseToken, token.clone())
            .value(row::Column::Attempts, Expr::col(row::Column::Attempts).add(1))
            .and_where(Expr::col(row::Column::Id).eq(id)),
    )
    .await?;
    let claimed = row::Entity::find_by_id(id).one(&txn).await?;
    txn.commit().await?;
    Ok(claimed.map(|r| (StoredEffect::from_row(r), token)))
}

/// Claims and carries out one due effect as worker `instance`. Call it in a loop
/// (`admin_web::spawn_worker` does, and `ops-console worker`).
///
/// # Errors
/// `Db` when the database fails (a handler's failures are recorded on the effect).
pub async fn work_once(db: &DatabaseConnection, handlers: &Handlers, instance: &str) -> Result<Work> {
    work_once_until(db, handlers, instance, std::future::pending()).await
}

/// [`work_once`], stopped by `stop`: when `stop` completes while the effect's
/// handler is still at work, the handler is dropped and the effect given back
/// ([`Work::Released`]), so another worker takes it at once instead of when the
/// lease ends. A shutting-down process passes its hard deadline here. (If the
/// outside system had already acted, the next worker acts again with the same
/// idempotency key, as after a crash.)
///
/// # Errors
/// `Db` when the database fails.
pub async fn work_once_until(
    db: &DatabaseConnection,
    handlers: &Handlers,
    instance: &str,
    stop: impl std::future::Future<Output = ()>,
) -> Result<Work> {
    let Some((effect, token)) = claim(db, instance).await? else { return Ok(Work::Idle) };
    let claimed = std::time::Instant::now();
    let performed = tokio::select! {
        biased;
        performed = perform(handlers, &effect) => performed,
        () = stop => return release(db, &effect, &token).await,
    };
    // The outside system has acted (or refused): record it even if the database is
    // away for a moment, while the lease lasts, rather than act again later.
    let deadline = claimed + (LEASE - chrono::Duration::seconds(10)).to_std().unwrap_or_default();
    let mut pause = std::time::Duration::from_millis(250);
    loop {
        let finished = match &performed {
            Ok(done) => finish_done(db, handlers, &effect, &token, done).await,
            Err(failure) => finish_failed(db, handlers, &effect, &token, failure).await,
        };
        match finished {
            Err(e) if e.is_unavailable() && std::time::Instant::now() + pause < deadline => {
                tracing::warn!(effect = effect.id, error = %e, "cannot record the effect's result yet; trying again");
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(std::time::Duration::from_secs(5));
            }
            other => return other,
        }
    }
}

/// Runs the effect's handler, within the lease.
async fn perform(handlers: &Handlers, effect: &StoredEffect) -> std::result::Result<Done, Failure> {
    match handlers.get(&effect.kind) {
        None => Err(Failure::transient(format!(
            "No worker here knows how to carry out effects of kind \u{201c}{}\u{201d}.",
            effect.kind
        ))),
        Some(h) => {
            // Stop a handler before the lease ends, so no other worker takes over
            // while this one may still act.
            let limit = (LEASE - chrono::Duration::seconds(5)).to_std().unwrap_or_default();
            match tokio::time::timeout(limit, h.perform(effect, &effect.idempotency_key)).await {
                Ok(result) => result,
                Err(_) => {
                    Err(Failure::transient(format!("It took longer than {} seconds.", limit.as_secs())))
                }
            }
        }
    }
}

/// Gives a claimed effect back: queued and due now, its lease cleared and the
/// interrupted attempt not counted. [`Work::Lost`] when the lease was no longer
/// this worker's.
async fn release(db: &DatabaseConnection, effect: &StoredEffect, token: &str) -> Result<Work> {
    let txn = begin_write(db).await?;
    let changed = txn
        .execute(
            Query::update()
                .table(row::Entity)
                .value(row::Column::State, "queued")
                .value(row::Column::LeaseUntil, Option::<NaiveDateTime>::None)
                .value(row::Column::LeaseToken, Option::<String>::None)
                .value(row::Column::NextAttemptAt, Option::<NaiveDateTime>::None)
                .value(row::Column::Attempts, Expr::col(row::Column::Attempts).sub(1))
                .and_where(Expr::col(row::Column::Id).eq(effect.id))
                .and_where(Expr::col(row::Column::State).eq("running"))
                .and_where(Expr::col(row::Column::LeaseToken).eq(token)),
        )
        .await?;
    commit(txn).await?;
    if changed.rows_affected() != 1 {
        return Ok(Work::Lost(effect.id));
    }
    tracing::warn!(effect = effect.id, kind = %effect.kind, "stopping: gave the effect back unfinished for another worker");
    Ok(Work::Released(effect.id))
}

fn worker_context(reason: Option<String>) -> Context {
    Context { actor_name: Some(WORKER.to_owned()), reason, ..Default::default() }
}

/// Marks `effect` done, if this worker still holds its lease, with the handler's
/// own changes, in one transaction.
async fn finish_done(
    db: &DatabaseConnection,
    handlers: &Handlers,
    effect: &StoredEffect,
    token: &str,
    done: &Done,
) -> Result<Work> {
    let txn = begin_write(db).await?;
    let changed = txn
        .execute(
            Query::update()
                .table(row::Entity)
                .value(row::Column::State, "done")
                .value(row::Column::Outcome, done.outcome.clone())
                .value(row::Column::FinishedAt, now())
                .value(row::Column::LeaseUntil, Option::<NaiveDateTime>::None)
                .value(row::Column::LeaseToken, Option::<String>::None)
                .value(row::Column::LastError, Option::<String>::None)
                .and_where(Expr::col(row::Column::Id).eq(effect.id))
                .and_where(Expr::col(row::Column::State).eq("running"))
                .and_where(Expr::col(row::Column::LeaseToken).eq(token)),
        )
        .await?;
    if changed.rows_affected() != 1 {
        txn.rollback().await?;
        return Ok(Work::Lost(effect.id));
    }
    let ctx = worker_context(done.outcome.clone());
    audit_change(&txn, &ctx, effect, "effect_done", "running", "done").await?;
    settle(handlers, &txn, &ctx, effect, Settled::Done(done)).await?;
    commit(txn).await?;
    Ok(Work::Done(effect.id))
}

/// Records a failed attempt: queued again after a backoff, or failed for good after
/// [`MAX_ATTEMPTS`] or a failure that retrying will not change.
async fn finish_failed(
    db: &DatabaseConnection,
    handlers: &Handlers,
    effect: &StoredEffect,
    token: &str,
    failure: &Failure,
) -> Result<Work> {
    let last = !failure.retry || effect.attempts >= MAX_ATTEMPTS;
    let t = now();
    let mut update = Query::update();
    update
        .table(row::Entity)
        .value(row::Column::State, if last { "failed" } else { "queued" })
        .value(row::Column::LastError, failure.message.clone())
        .value(row::Column::LeaseUntil, Option::<NaiveDateTime>::None)
        .value(row::Column::LeaseToken, Option::<String>::None)
        .value(row::Column::NextAttemptAt, if last { None } else { Some(t + backoff(effect.attempts)) })
        .and_where(Expr::col(row::Column::Id).eq(effect.id))
        .and_where(Expr::col(row::Column::State).eq("running"))
        .and_where(Expr::col(row::Column::LeaseToken).eq(token));
    if last {
        update.value(row::Column::FinishedAt, Some(t));
    }
    let txn = begin_write(db).await?;
    if txn.execute(&update).await?.rows_affected() != 1 {
        txn.rollback().await?;
        return Ok(Work::Lost(effect.id));
    }
    if last {
        let ctx = worker_context(Some(failure.message.clone()));
        audit_change(&txn, &ctx, effect, "effect_failed", "running", "failed").await?;
        settle(handlers, &txn, &ctx, effect, Settled::Failed(&failure.message)).await?;
    }
    txn.commit().await?;
    tracing::warn!(effect = effect.id, attempt = effect.attempts, error = %failure.message, "effect failed");
    Ok(if last {
        Work::Failed(effect.id, failure.message.clone())
    } else {
        Work::Retry(effect.id, failure.message.clone())
    })
}

/// Marks worker `instance` (doing `name`) as seen now.
///
/// # Errors
/// `Db` when the database fails.
pub async fn seen(db: &DatabaseConnection, instance: &str, name: &str) -> Result<()> {
    let t = now();
    let txn = begin_write(db).await?;
    let updated = txn
        .execute(
            Query::update()
                .table(worker_seen::Entity)
                .value(worker_seen::Column::SeenAt, t)
                .value(worker_seen::Column::Name, name)
                .and_where(Expr::col(worker_seen::Column::Instance).eq(instance)),
        )
        .await?;
    if updated.rows_affected() == 0 {
        worker_seen::Entity::insert(worker_seen::ActiveModel {
            instance: Set(instance.to_owned()),
            name: Set(name.to_owned()),
            seen_at: Set(t),
        })
        .exec(&txn)
        .await?;
    }
    txn.commit().await?;
    Ok(())
}

/// When any worker was last seen, if ever.
///
/// # Errors
/// `Db` when the database fails.
pub async fn last_seen<C: ConnectionTrait>(conn: &C) -> Result<Option<NaiveDateTime>> {
    Ok(worker_seen::Entity::find()
        .order_by_desc(worker_seen::Column::SeenAt)
        .one(conn)
        .await?
        .map(|w| w.seen_at))
}
