//! Internal notes on records ("Called the customer, waiting for the bank") and
//! saved list views ("Trials with a failed first charge"), both kept in the database.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use crate::audit::{self, Context};
use crate::db::txn::begin_write;
use crate::kernel::error::{Error, FieldError, Result};
use crate::kernel::text::{self, Lines};

pub use crate::db::entities::{note, saved_view};

/// Longest note accepted (see [`crate::kernel::text::NOTE`]).
pub const MAX_NOTE_LEN: usize = text::NOTE;

/// The notes on a record, newest first (at most 200).
///
/// # Errors
/// `Db` when the database fails.
pub async fn notes_for(db: &DatabaseConnection, model: &str, key: &str) -> Result<Vec<note::Model>> {
    let select = note::Entity::find()
        .filter(note::Column::Model.eq(model))
        .filter(note::Column::ObjectId.eq(key))
        .order_by_desc(note::Column::Id);
    crate::db::sql::all_limited(db, select, 200, 0).await
}

/// Adds a note to a record, audited (`note`). The caller checks `{model}.note`.
///
/// # Errors
/// `Invalid` for an empty or overlong note.
pub async fn add_note(
    db: &DatabaseConnection,
    ctx: &Context,
    model: &str,
    key: &str,
    body: &str,
) -> Result<note::Model> {
    let actor = ctx.actor.as_ref().ok_or(Error::Unauthenticated)?;
    let body = body.trim();
    if body.is_empty() {
        return Err(Error::Invalid(vec![FieldError::field("body", "Write something first.")]));
    }
    if let Err(m) = text::check_named("The note", body, MAX_NOTE_LEN, Lines::Many) {
        return Err(Error::Invalid(vec![FieldError::field("body", m)]));
    }
    let txn = begin_write(db).await?;
    let saved = note::ActiveModel {
        model: Set(model.to_owned()),
        object_id: Set(key.to_owned()),
        author: Set(actor.username.clone()),
        body: Set(body.to_owned()),
        created_at: Set(Utc::now().naive_utc()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let changes = serde_json::json!({ "note": [null, body] });
    audit::record(
        &txn,
        ctx,
        audit::Event { kind: "note", model: Some(model), object_id: Some(key), changes },
    )
    .await?;
    txn.commit().await?;
    Ok(saved)
}

/// A user's saved views, by name.
///
/// # Errors
/// `Db` when the database fails.
pub async fn views_of(db: &DatabaseConnection, user_id: i64) -> Result<Vec<saved_view::Model>> {
    Ok(saved_view::Entity::find()
        .filter(saved_view::Column::UserId.eq(user_id))
        .order_by_asc(saved_view::Column::Name)
        .limit(200)
        .all(db)
        .await?)
}

/// Saves (or replaces, by name) a view of a model's list for a user.
///
/// # Errors
/// `Invalid` for an empty name, or a name or query over its limit or with control
/// characters (see [`crate::kernel::text`]).
pub async fn save_view(
    db: &DatabaseConnection,
    user_id: i64,
    model: &str,
    name: &str,
    query: &str,
) -> Result<saved_view::Model> {
    let name = name.trim().to_owned();
    if name.is_empty() {
        return Err(Error::Invalid(vec![FieldError::field("name", "Give the view a name.")]));
    }
    let mut errors = Vec::new();
    if let Err(m) = text::check_named("The name", &name, text::VIEW_NAME, Lines::One) {
        errors.push(FieldError::field("name", m));
    }
    if let Err(m) = text::check_named("The list's address", query, text::VIEW_QUERY, Lines::One) {
        errors.push(FieldError::field("query", m));
    }
    if !errors.is_empty() {
        return Err(Error::Invalid(errors));
    }
    let txn = begin_write(db).await?;
    saved_view::Entity::delete_many()
        .filter(saved_view::Column::UserId.eq(user_id))
        .filter(saved_view::Column::Model.eq(model))
        .filter(saved_view::Column::Name.eq(name.clone()))
        .exec(&txn)
        .await?;
    let saved = saved_view::ActiveModel {
        user_id: Set(user_id),
        model: Set(model.to_owned()),
        name: Set(name),
        query: Set(query.to_owned()),
        created_at: Set(Utc::now().naive_utc()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(saved)
}

/// Deletes one of a user's saved views (others' views are left alone).
///
/// # Errors
/// `NotFound` when the user has no such view.
pub async fn delete_view(db: &DatabaseConnection, user_id: i64, id: i64) -> Result<()> {
    let gone = saved_view::Entity::delete_many()
        .filter(saved_view::Column::Id.eq(id))
        .filter(saved_view::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    if gone.rows_affected == 0 {
        return Err(Error::NotFound(format!("You have no saved view {id}.")));
    }
    Ok(())
}
