//! Writing effects in their run's transaction, reading them, and what staff do
//! with a failed one: retry it, or give it up with a reason.

use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::{Handlers, Settled, StoredEffect, row, settle};
use crate::audit::{self, Context};
use crate::db::txn::begin_write;
use crate::kernel::clock::now;
use crate::kernel::effect::Effect;
use crate::kernel::error::{Error, Result};

/// Writes the effects a run scheduled, in the run's transaction `conn`, each with
/// a key of its own (`effect-{run}-{n}-{random}`), queued for the worker.
///
/// # Errors
/// `Db` when the database refuses; `Internal` when no key can be generated.
pub async fn write<C: ConnectionTrait>(conn: &C, run_id: i64, effects: &[Effect]) -> Result<Vec<i64>> {
    let mut ids = Vec::with_capacity(effects.len());
    let t = now();
    for (n, e) in effects.iter().enumerate() {
        let key = format!("effect-{run_id}-{n}-{}", super::random_hex(12)?);
        let row = row::ActiveModel {
            run_id: Set(run_id),
            kind: Set(e.kind.clone()),
            payload: Set(e.payload.to_string()),
            model: Set(e.model.clone()),
            object_id: Set(e.object_id.clone()),
            summary: Set(e.summary.clone()),
            idempotency_key: Set(key),
            state: Set("queued".to_owned()),
            attempts: Set(0),
            created_at: Set(t),
            ..Default::default()
        }
        .insert(conn)
        .await?;
        ids.push(row.id);
    }
    Ok(ids)
}

/// Which effects to list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    /// Only those in this state.
    pub state: Option<String>,
    /// Only those of this run.
    pub run_id: Option<i64>,
    /// Only those about this record (model slug, key).
    pub record: Option<(String, String)>,
}

/// A page of effects matching `filter`, newest first, with how many match.
///
/// # Errors
/// `Db` when the database fails.
pub async fn list<C: ConnectionTrait>(
    conn: &C,
    filter: &Filter,
    offset: u64,
    limit: u64,
) -> Result<(Vec<StoredEffect>, u64)> {
    let mut q = row::Entity::find();
    if let Some(state) = &filter.state {
        q = q.filter(row::Column::State.eq(state.as_str()));
    }
    if let Some(run) = filter.run_id {
        q = q.filter(row::Column::RunId.eq(run));
    }
    if let Some((model, key)) = &filter.record {
        q = q.filter(row::Column::Model.eq(model.as_str())).filter(row::Column::ObjectId.eq(key.as_str()));
    }
    let total = q.clone().count(conn).await?;
    let rows = q.order_by_desc(row::Column::Id).offset(offset).limit(limit).all(conn).await?;
    Ok((rows.into_iter().map(StoredEffect::from_row).collect(), total))
}

/// The effect `id`.
///
/// # Errors
/// `NotFound`; `Db`.
pub async fn get<C: ConnectionTrait>(conn: &C, id: i64) -> Result<StoredEffect> {
    row::Entity::find_by_id(id)
        .one(conn)
        .await?
        .map(StoredEffect::from_row)
        .ok_or_else(|| Error::NotFound(format!("There is no effect {id}.")))
}

/// Queues a failed effect again, with its attempts counted from zero and the same
/// key, audited as `ctx`'s actor.
///
/// # Errors
/// `Refused` when it is not failed (any more); `NotFound`; `Db`.
pub async fn retry(
    db: &DatabaseConnection,
    ctx: &Context,
    handlers: &Handlers,
    id: i64,
) -> Result<StoredEffect> {
    let txn = begin_write(db).await?;
    let changed = txn
        .execute(
            Query::update()
                .table(row::Entity)
                .value(row::Column::State, "queued")
                .value(row::Column::Attempts, 0)
                .value(row::Column::NextAttemptAt, Option::<chrono::NaiveDateTime>::None)
                .value(row::Column::FinishedAt, Option::<chrono::NaiveDateTime>::None)
                .and_where(Expr::col(row::Column::Id).eq(id))
                .and_where(Expr::col(row::Column::State).eq("failed")),
        )
        .await?;
    let effect = get(&txn, id).await?;
    if changed.rows_affected() != 1 {
        return Err(Error::Refused(format!(
            "Only a failed effect can be tried again; this one is {}.",
            effect.state_label().to_lowercase()
        )));
    }
    audit_change(&txn, ctx, &effect, "effect_retried", "failed", "queued").await?;
    settle(handlers, &txn, ctx, &effect, Settled::Retried).await?;
    txn.commit().await?;
    Ok(effect)
}

/// Gives up a failed or waiting effect for good, with `reason`, audited as `ctx`'s
/// actor. An effect being carried out cannot be given up (it may be happening).
///
/// # Errors
/// `Invalid` without a reason; `Refused` when it is running or has ended;
/// `NotFound`; `Db`.
pub async fn give_up(
    db: &DatabaseConnection,
    ctx: &Context,
    handlers: &Handlers,
    id: i64,
    reason: &str,
) -> Result<StoredEffect> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(Error::Invalid(vec![crate::kernel::error::FieldError::field(
            "reason",
            "Say why this effect is given up.",
        )]));
    }
    let by =
        ctx.actor.as_ref().map(|s| s.username.clone()).or_else(|| ctx.actor_name.clone()).unwrap_or_default();
    let txn = begin_write(db).await?;
    let before = get(&txn, id).await?;
    let changed = txn
        .execute(
            Query::update()
                .table(row::Entity)
                .value(row::Column::State, "given_up")
                .value(row::Column::GivenUpBy, by)
                .value(row::Column::GivenUpReason, reason)
                .value(row::Column::FinishedAt, now())
                .and_where(Expr::col(row::Column::Id).eq(id))
                .and_where(Expr::col(row::Column::State).is_in(["failed", "queued"])),
        )
        .await?;
    if changed.rows_affected() != 1 {
        return Err(Error::Refused(format!(
            "Only a failed or waiting effect can be given up; this one is {}.",
            before.state_label().to_lowercase()
        )));
    }
    let effect = get(&txn, id).await?;
    let ctx = Context { reason: Some(reason.to_owned()), ..ctx.clone() };
    audit_change(&txn, &ctx, &effect, "effect_given_up", &before.state, "given_up").await?;
    settle(handlers, &txn, &ctx, &effect, Settled::GivenUp(reason)).await?;
    txn.commit().await?;
    Ok(effect)
}

/// The audit entry of an effect's change of state, on the effect (`effect`, id).
pub(super) async fn audit_change<C: ConnectionTrait>(
    conn: &C,
    ctx: &Context,
    effect: &StoredEffect,
    kind: &str,
    from: &str,
    to: &str,
) -> Result<()> {
    let key = effect.id.to_string();
    let changes = serde_json::json!({ "state": [from, to], "summary": effect.summary });
    audit::record(conn, ctx, audit::Event { kind, model: Some("effect"), object_id: Some(&key), changes })
        .await?;
    Ok(())
}
