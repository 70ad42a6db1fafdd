//! Approval requests: asked for (idempotently), read one by one, listed.

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::{keys_of, request};
use crate::action::idempotency::Binding;
use crate::audit::{self, Context};
use crate::db::txn::begin_write;
use crate::kernel::clock::now;
use crate::kernel::error::{Error, Result};

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
/// The request counts against the requester's limits (`charge`: the limits that
/// hold and what the request uses) when it is made, in the transaction that records
/// it, and not again when it runs; past a limit nothing is recorded but the
/// `limit:hit` audit entry.
///
/// # Errors
/// `Refused` ([`crate::action::idempotency::KEY_REUSED`]) when the requester already used
/// the key for a different request, or past a limit; `Db` when the database fails.
pub async fn create(
    db: &DatabaseConnection,
    ctx: &Context,
    (model, action): (&str, &str),
    keys: &[String],
    input: &serde_json::Value,
    binding: Option<&Binding>,
    (limits, usage): (&crate::limits::Applied, &crate::limits::Usage),
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
    if let Some(hit) = crate::limits::charge(&txn, actor.id, limits, usage).await? {
        txn.rollback().await?;
        return Err(crate::limits::refuse(db, ctx, limits, &hit).await);
    }
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
