//! API tokens: created for a staff user and shown once (only their SHA-256 is
//! stored), listed, revoked, and turned back into the staff user they belong to.

use chrono::{Duration, NaiveDateTime};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
};

use super::credentials::*;
use super::staff::*;
use super::{Authentication, Credential, authenticate};
use crate::access::Staff;
use crate::audit::{self, Context, Event};
use crate::auth::AuthConfig;
use crate::db::entities::staff_user;
use crate::db::txn::begin_write;
use crate::kernel::clock::now;
use crate::kernel::error::{Error, FieldError, Result};

/// Creates an API token for a staff user; returns the token, shown once (only its
/// hash is stored). Audited as `token_created`.
///
/// # Errors
/// `Forbidden` unless the actor holds `staff.change` or makes a token for
/// themselves; `NotFound` for an unknown user.
pub async fn create_api_token(
    db: &DatabaseConnection,
    ctx: &Context,
    user_id: i64,
    name: &str,
) -> Result<String> {
    use crate::db::entities::api_token;
    let actor = ctx.actor.as_ref().ok_or(Error::Unauthenticated)?;
    if actor.id != user_id && !actor.may("staff.change") {
        return Err(Error::Forbidden(
            actor.denial("You can make API tokens only for yourself.", "staff.change"),
        ));
    }
    let name = name.trim();
    if let Err(m) = crate::kernel::text::check_named(
        "The name",
        name,
        crate::kernel::text::TOKEN_NAME,
        crate::kernel::text::Lines::One,
    ) {
        return Err(Error::Invalid(vec![FieldError::field("name", m)]));
    }
    let user = get_user(db, user_id).await?;
    let token = format!("oat_{}", random_hex(32)?);
    let txn = begin_write(db).await?;
    let saved = api_token::ActiveModel {
        token_hash: Set(token_id(&token)),
        user_id: Set(user.id),
        name: Set(name.to_owned()),
        created_at: Set(now()),
        last_used_at: Set(None),
        revoked: Set(false),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let key = saved.id.to_string();
    let changes = serde_json::json!({ "user": [null, user.username], "name": [null, saved.name] });
    audit::record(
        &txn,
        ctx,
        Event { kind: "token_created", model: Some("api_token"), object_id: Some(&key), changes },
    )
    .await?;
    txn.commit().await?;
    Ok(token)
}

/// An API token as listed (never the token itself, which is not stored).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiTokenInfo {
    /// Its id, for revoking it.
    pub id: i64,
    /// The staff user it acts as.
    pub username: String,
    /// What it is for.
    pub name: String,
    /// When it was made (UTC).
    pub created_at: NaiveDateTime,
    /// When it was last used (UTC, to the minute), if ever.
    pub last_used_at: Option<NaiveDateTime>,
    /// Whether it was revoked.
    pub revoked: bool,
}

/// The API tokens, of one user or of everyone, newest first.
///
/// # Errors
/// `Db` when the database fails.
pub async fn api_tokens(db: &DatabaseConnection, user_id: Option<i64>) -> Result<Vec<ApiTokenInfo>> {
    use crate::db::entities::api_token;
    let mut q = api_token::Entity::find().order_by_desc(api_token::Column::Id);
    if let Some(id) = user_id {
        q = q.filter(api_token::Column::UserId.eq(id));
    }
    let tokens = q.all(db).await?;
    let mut ids: Vec<i64> = tokens.iter().map(|t| t.user_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut names = std::collections::HashMap::new();
    for chunk in ids.chunks(500) {
        for u in
            staff_user::Entity::find().filter(staff_user::Column::Id.is_in(chunk.to_vec())).all(db).await?
        {
            names.insert(u.id, u.username);
        }
    }
    Ok(tokens
        .into_iter()
        .map(|t| ApiTokenInfo {
            id: t.id,
            username: names.get(&t.user_id).cloned().unwrap_or_default(),
            name: t.name,
            created_at: t.created_at,
            last_used_at: t.last_used_at,
            revoked: t.revoked,
        })
        .collect())
}

/// Revokes an API token: calls with it are refused from now on. Audited as
/// `token_revoked`; revoking a revoked token changes nothing and writes nothing.
///
/// # Errors
/// `NotFound` for an unknown id; `Forbidden` unless the actor owns the token or
/// holds `staff.change`.
pub async fn revoke_api_token(db: &DatabaseConnection, ctx: &Context, id: i64) -> Result<()> {
    use crate::db::entities::api_token;
    let actor = ctx.actor.as_ref().ok_or(Error::Unauthenticated)?;
    let txn = begin_write(db).await?;
    let t = api_token::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| Error::NotFound(format!("There is no API token {id}.")))?;
    if actor.id != t.user_id && !actor.may("staff.change") {
        return Err(Error::Forbidden(
            actor.denial("You can revoke only your own API tokens.", "staff.change"),
        ));
    }
    if t.revoked {
        return Ok(());
    }
    let key = t.id.to_string();
    let changes = serde_json::json!({ "revoked": [false, true] });
    let mut am: api_token::ActiveModel = t.into();
    am.revoked = Set(true);
    am.update(&txn).await?;
    audit::record(
        &txn,
        ctx,
        Event { kind: "token_revoked", model: Some("api_token"), object_id: Some(&key), changes },
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// The staff user an API token acts as, if [`authenticate`] accepts the token: known,
/// unrevoked, its user active (and enrolled in two-factor sign-in when a role
/// requires it).
///
/// # Errors
/// `Db` when the database fails.
pub async fn staff_for_token(
    db: &DatabaseConnection,
    config: &AuthConfig,
    token: &str,
) -> Result<Option<Staff>> {
    Ok(match authenticate(db, config, Credential::Token(token)).await? {
        Authentication::Identified(identity) => Some(identity.staff),
        _ => None,
    })
}

/// The active user of a known, unrevoked API token; notes when the token was used
/// (at most once a minute).
pub(crate) async fn token_user(db: &DatabaseConnection, token: &str) -> Result<Option<staff_user::Model>> {
    use crate::db::entities::api_token;
    let token = token.trim();
    if !token.starts_with("oat_") || token.len() != 68 {
        return Ok(None);
    }
    let Some(t) = api_token::Entity::find()
        .filter(api_token::Column::TokenHash.eq(token_id(token)))
        .filter(api_token::Column::Revoked.eq(false))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let Some(user) = staff_user::Entity::find_by_id(t.user_id).one(db).await?.filter(|u| u.is_active) else {
        return Ok(None);
    };
    if t.last_used_at.is_none_or(|at| now() - at > Duration::seconds(60)) {
        let mut am: api_token::ActiveModel = t.into();
        am.last_used_at = Set(Some(now()));
        // Only a note: a database too busy to take it does not refuse the request.
        match am.update(db).await {
            Err(e) if crate::kernel::error::unavailability(&e).is_some() => {
                tracing::warn!(error = %e, "could not note when the API token was used");
            }
            other => {
                other?;
            }
        }
    }
    Ok(Some(user))
}
