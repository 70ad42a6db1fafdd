//! Appending entries: one ([`record`]) or many in one go ([`record_many`]), each
//! chained to the previous through the head row.

use chrono::NaiveDateTime;
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, EntityTrait};

use crate::kernel::error::{Error, Result};

use super::{Context, Event, entry, entry_hash, head};
use crate::kernel::clock::now;

/// Appends an entry inside `txn`, the transaction of the change it records; when
/// `ctx` carries a batch ([`Context::batch`]), gathers it there instead (the
/// answer is then the entry as it would be, without its sequence number and hash).
///
/// # Errors
/// `Db` when the database refuses; the caller's transaction must then roll back.
pub async fn record<C: ConnectionTrait>(txn: &C, ctx: &Context, event: Event<'_>) -> Result<entry::Model> {
    let mut e = entry::Model {
        id: 0,
        seq: 0,
        // Microsecond precision: what both SQLite text and PostgreSQL keep.
        at: truncate_micros(now()),
        actor_id: ctx.actor.as_ref().map(|s| s.id).filter(|&id| id != 0), // 0: a system identity
        actor: ctx
            .actor
            .as_ref()
            .map(|s| s.username.clone())
            .or_else(|| ctx.actor_name.clone())
            .unwrap_or_default(),
        model: event.model.map(str::to_owned),
        object_id: event.object_id.map(str::to_owned),
        kind: event.kind.to_owned(),
        changes: event.changes.to_string(),
        reason: ctx.reason.clone(),
        request_id: ctx.request_id.clone(),
        client_addr: ctx.client_addr.clone(),
        prev_hash: String::new(),
        hash: String::new(),
    };
    if let Some(batch) = &ctx.batch {
        batch.push(&event);
        return Ok(e);
    }
    // Take the head first: this row lock orders every appender.
    let bumped = txn
        .execute(
            Query::update()
                .table(head::Entity)
                .value(head::Column::Seq, Expr::col(head::Column::Seq).add(1i64))
                .and_where(Expr::col(head::Column::Id).eq(1)),
        )
        .await?;
    if bumped.rows_affected() != 1 {
        return Err(Error::Internal("the audit head row is missing; run migrations".to_owned()));
    }
    let head = head::Entity::find_by_id(1)
        .one(txn)
        .await?
        .ok_or_else(|| Error::Internal("the audit head row is missing".to_owned()))?;
    e.seq = head.seq;
    // Timed under the head's lock, so times follow the sequence.
    e.at = truncate_micros(now());
    e.prev_hash = head.hash.clone();
    e.hash = entry_hash(&e);
    let am = entry::ActiveModel {
        id: sea_orm::ActiveValue::NotSet,
        seq: Set(e.seq),
        at: Set(e.at),
        actor_id: Set(e.actor_id),
        actor: Set(e.actor.clone()),
        model: Set(e.model.clone()),
        object_id: Set(e.object_id.clone()),
        kind: Set(e.kind.clone()),
        changes: Set(e.changes.clone()),
        reason: Set(e.reason.clone()),
        request_id: Set(e.request_id.clone()),
        client_addr: Set(e.client_addr.clone()),
        prev_hash: Set(e.prev_hash.clone()),
        hash: Set(e.hash.clone()),
    };
    let saved = am.insert(txn).await?;
    txn.execute(
        Query::update()
            .table(head::Entity)
            .value(head::Column::Hash, e.hash.clone())
            .and_where(Expr::col(head::Column::Id).eq(1)),
    )
    .await?;
    crate::kernel::metrics::audit_entries(1);
    Ok(saved)
}

/// Appends several entries inside `txn`, in order, as [`record`] would one by one,
/// with a fixed number of statements (the head is taken once, the entries are
/// inserted a few hundred per statement). Returns their sequence numbers, first
/// and last; `None` for no events.
///
/// # Errors
/// `Db` when the database refuses; the caller's transaction must then roll back.
pub async fn record_many<C: ConnectionTrait>(
    txn: &C,
    ctx: &Context,
    events: Vec<Event<'_>>,
) -> Result<Option<(i64, i64)>> {
    let Ok(n) = i64::try_from(events.len()) else {
        return Err(Error::Internal("too many audit entries at once".to_owned()));
    };
    if n == 0 {
        return Ok(None);
    }
    // Take the head first, for all of them: this row lock orders every appender.
    let head = take_head(txn, n).await?;
    let first = head.seq - n + 1;
    let (rows, prev) = chained(ctx, events, first, head.hash);
    // 13 values a row: 500 rows stay within every database's parameter limit.
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<_> = rows.by_ref().take(500).collect();
        entry::Entity::insert_many(chunk).exec_without_returning(txn).await?;
    }
    txn.execute(
        Query::update()
            .table(head::Entity)
            .value(head::Column::Hash, prev)
            .and_where(Expr::col(head::Column::Id).eq(1)),
    )
    .await?;
    crate::kernel::metrics::audit_entries(n.unsigned_abs());
    Ok(Some((first, head.seq)))
}

/// Moves the head `n` entries on (locking its row until the transaction ends) and
/// returns it as moved.
async fn take_head<C: ConnectionTrait>(txn: &C, n: i64) -> Result<head::Model> {
    let bumped = txn
        .execute(
            Query::update()
                .table(head::Entity)
                .value(head::Column::Seq, Expr::col(head::Column::Seq).add(n))
                .and_where(Expr::col(head::Column::Id).eq(1)),
        )
        .await?;
    if bumped.rows_affected() != 1 {
        return Err(Error::Internal("the audit head row is missing; run migrations".to_owned()));
    }
    head::Entity::find_by_id(1)
        .one(txn)
        .await?
        .ok_or_else(|| Error::Internal("the audit head row is missing".to_owned()))
}

/// The rows of `events`, numbered from `first` on and each chained to the one
/// before (the first to `prev`), with the hash of the last.
fn chained(
    ctx: &Context,
    events: Vec<Event<'_>>,
    first: i64,
    mut prev: String,
) -> (Vec<entry::ActiveModel>, String) {
    let at = truncate_micros(now());
    let actor_id = ctx.actor.as_ref().map(|s| s.id);
    let actor =
        ctx.actor.as_ref().map(|s| s.username.clone()).or_else(|| ctx.actor_name.clone()).unwrap_or_default();
    let mut rows = Vec::with_capacity(events.len());
    for (seq, event) in (first..).zip(events) {
        let mut e = entry::Model {
            id: 0,
            seq,
            at,
            actor_id,
            actor: actor.clone(),
            model: event.model.map(str::to_owned),
            object_id: event.object_id.map(str::to_owned),
            kind: event.kind.to_owned(),
            changes: event.changes.to_string(),
            reason: ctx.reason.clone(),
            request_id: ctx.request_id.clone(),
            client_addr: ctx.client_addr.clone(),
            prev_hash: prev,
            hash: String::new(),
        };
        e.hash = entry_hash(&e);
        prev = e.hash.clone();
        rows.push(entry::ActiveModel {
            id: sea_orm::ActiveValue::NotSet,
            seq: Set(e.seq),
            at: Set(e.at),
            actor_id: Set(e.actor_id),
            actor: Set(e.actor),
            model: Set(e.model),
            object_id: Set(e.object_id),
            kind: Set(e.kind),
            changes: Set(e.changes),
            reason: Set(e.reason),
            request_id: Set(e.request_id),
            client_addr: Set(e.client_addr),
            prev_hash: Set(e.prev_hash),
            hash: Set(e.hash),
        });
    }
    (rows, prev)
}

fn truncate_micros(t: NaiveDateTime) -> NaiveDateTime {
    use chrono::Timelike;
    let micros = t.nanosecond() / 1000 * 1000;
    t.with_nanosecond(micros).unwrap_or(t)
}
