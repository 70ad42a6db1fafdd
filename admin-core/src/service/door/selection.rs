//! The door's selections: the records a staff user picked on a model's list, kept
//! on the server (`admin_selection`) so the picking survives paging, searching and
//! filtering and works without JavaScript. Each staff user has their own, per
//! model; signing out clears it, and a run of an action takes the records it did
//! out of it.
//!
//! A selection is not a change of the admin's data, so it writes no audit entry;
//! running an action on it does, as any run.

use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
};

use super::prelude::*;
use crate::action::Policy;
use crate::db::entities::selection;
use crate::kernel::model::thousands;

impl Service {
    // ---- selections --------------------------------------------------------

    /// How many records a selection of the model may hold: the largest batch of
    /// the model's actions (the default batch limit when it has none), so the
    /// whole selection can always be given to one run.
    #[must_use]
    pub fn selection_limit(&self, slug: &str) -> usize {
        self.registry
            .actions_for(slug)
            .iter()
            .map(|a| a.policy().max_batch)
            .max()
            .unwrap_or_else(|| Policy::default().max_batch)
    }

    /// The keys in the caller's selection of the model, oldest first.
    ///
    /// # Errors
    /// `NotFound` for an unknown model; `Forbidden` without `{model}.view`.
    pub async fn selection(&self, caller: &Caller, slug: &str) -> Result<Vec<String>> {
        self.require(caller, slug, "view")?;
        let keys: Vec<String> = selection::Entity::find()
            .filter(selection::Column::UserId.eq(caller.staff().id))
            .filter(selection::Column::Model.eq(slug))
            .order_by_asc(selection::Column::AddedAt)
            .order_by_asc(selection::Column::ObjectId)
            .all(&self.db)
            .await?
            .into_iter()
            .map(|s| s.object_id)
            .collect();
        // A record that left the caller's scope since it was selected is not theirs to see.
        let unseen = self.unseen_keys(caller, slug, &keys).await?;
        Ok(keys.into_iter().filter(|k| !unseen.contains(k)).collect())
    }

    /// How many records the caller's selection of the model holds.
    ///
    /// # Errors
    /// `NotFound` for an unknown model; `Forbidden` without `{model}.view`.
    pub async fn selection_count(&self, caller: &Caller, slug: &str) -> Result<u64> {
        self.require(caller, slug, "view")?;
        if !self.row_scope(caller, slug).is_all() {
            return Ok(self.selection(caller, slug).await?.len() as u64);
        }
        Ok(selection::Entity::find()
            .filter(selection::Column::UserId.eq(caller.staff().id))
            .filter(selection::Column::Model.eq(slug))
            .count(&self.db)
            .await?)
    }

    /// Adds records to the caller's selection; keys of records that do not exist
    /// are left out. Answers how many the selection holds now.
    ///
    /// # Errors
    /// As [`Service::change_selection`].
    pub async fn select(&self, caller: &Caller, slug: &str, keys: &[String]) -> Result<u64> {
        self.change_selection(caller, slug, keys, &[]).await
    }

    /// Takes records out of the caller's selection. Answers how many it holds now.
    ///
    /// # Errors
    /// As [`Service::change_selection`].
    pub async fn unselect(&self, caller: &Caller, slug: &str, keys: &[String]) -> Result<u64> {
        self.change_selection(caller, slug, &[], keys).await
    }

    /// Adds `add` to the caller's selection and takes `remove` out of it, in one
    /// step (a list page sends both: its checked and its unchecked rows). Keys of
    /// records that do not exist are not added. Answers how many the selection
    /// holds now.
    ///
    /// # Errors
    /// `NotFound` for an unknown model; `Forbidden` without `{model}.view`;
    /// `Invalid` for a key that cannot be an id; `Refused` when the selection
    /// would hold more than [`Service::selection_limit`] (then nothing changes).
    pub async fn change_selection(
        &self,
        caller: &Caller,
        slug: &str,
        add: &[String],
        remove: &[String],
    ) -> Result<u64> {
        let admin = self.admin(slug)?;
        crate::service::require(caller.staff(), admin.as_ref(), "view")?;
        let meta = admin.meta();
        if add.iter().chain(remove).any(|k| !crate::kernel::text::is_lookup(k, crate::kernel::text::LOOKUP)) {
            return Err(Error::Invalid(vec![crate::kernel::error::FieldError::field(
                "ids",
                format!(
                    "One of the ids is not an id of the {}. The selection was not changed.",
                    meta.noun_plural()
                ),
            )]));
        }
        let limit = self.selection_limit(slug);
        let removing: HashSet<&String> = remove.iter().collect();
        let mut seen = HashSet::new();
        let wanted: Vec<String> =
            add.iter().filter(|k| !removing.contains(k) && seen.insert(*k)).cloned().collect();
        if wanted.len() > limit {
            return Err(too_many(meta, limit, 0, wanted.len()));
        }
        let scope = self.row_scope(caller, slug);
        let existing = if wanted.is_empty() {
            HashSet::new()
        } else {
            admin.existing(&self.db, &wanted, &scope).await?
        };
        let user = caller.staff().id;
        let txn = crate::db::txn::begin_write(&self.db).await?;
        if !remove.is_empty() {
            mine(caller, slug)
                .filter(selection::Column::ObjectId.is_in(remove.iter().cloned()))
                .exec(&txn)
                .await?;
        }
        let held: HashSet<String> = keys_of(&txn, user, slug).await?.into_iter().collect();
        let new: Vec<String> =
            wanted.into_iter().filter(|k| existing.contains(k) && !held.contains(k)).collect();
        let total = held.len() + new.len();
        if total > limit {
            return Err(too_many(meta, limit, held.len(), total));
        }
        let at = crate::kernel::clock::now();
        for chunk in new.chunks(200) {
            let rows = chunk.iter().map(|k| selection::ActiveModel {
                user_id: Set(user),
                model: Set(slug.to_owned()),
                object_id: Set(k.clone()),
                added_at: Set(at),
            });
            selection::Entity::insert_many(rows)
                .on_conflict(
                    OnConflict::columns([
                        selection::Column::UserId,
                        selection::Column::Model,
                        selection::Column::ObjectId,
                    ])
                    .do_nothing()
                    .to_owned(),
                )
                .exec_without_returning(&txn)
                .await?;
        }
        txn.commit().await?;
        Ok(total as u64)
    }

    /// Refuses a selection of `selected` records for the action when it is past
    /// the action's batch limit, in the words the run itself would use. For a
    /// caller that hands over fewer keys than were selected ("all 528 matching",
    /// of which one key past the limit is fetched).
    ///
    /// # Errors
    /// As [`Service::action`]; `Refused` past the batch limit.
    pub fn check_batch(&self, caller: &Caller, slug: &str, name: &str, selected: u64) -> Result<()> {
        let action = self.action(caller, slug, name)?;
        crate::service::check_batch_size(action.as_ref(), selected)
    }

    /// Empties the caller's selection of the model. Answers how many records it held.
    ///
    /// # Errors
    /// `NotFound` for an unknown model; `Forbidden` without `{model}.view`.
    pub async fn clear_selection(&self, caller: &Caller, slug: &str) -> Result<u64> {
        self.require(caller, slug, "view")?;
        let txn = crate::db::txn::begin_write(&self.db).await?;
        let gone = mine(caller, slug).exec(&txn).await?.rows_affected;
        txn.commit().await?;
        Ok(gone)
    }
}

/// The refusal of a selection past its limit.
fn too_many(meta: &ModelMeta, limit: usize, held: usize, total: usize) -> Error {
    let held = if held == 0 { String::new() } else { format!(" It holds {} now.", thousands(held as u64)) };
    Error::Refused(format!(
        "A selection can hold at most {}; these would make {}.{held} Nothing was added: run an action on the selection, or clear it, first.",
        meta.count_phrase(limit as u64),
        thousands(total as u64),
    ))
}

/// The caller's rows of the model, to delete.
fn mine(caller: &Caller, slug: &str) -> sea_orm::DeleteMany<selection::Entity> {
    selection::Entity::delete_many()
        .filter(selection::Column::UserId.eq(caller.staff().id))
        .filter(selection::Column::Model.eq(slug))
}

async fn keys_of<C: ConnectionTrait>(conn: &C, user: i64, slug: &str) -> Result<Vec<String>> {
    Ok(selection::Entity::find()
        .filter(selection::Column::UserId.eq(user))
        .filter(selection::Column::Model.eq(slug))
        .all(conn)
        .await?
        .into_iter()
        .map(|s| s.object_id)
        .collect())
}

/// Takes `keys` out of a staff user's selection of the model (the records a run
/// did).
///
/// # Errors
/// `Db` when the database fails.
pub(super) async fn forget(
    db: &sea_orm::DatabaseConnection,
    user: i64,
    slug: &str,
    keys: &[String],
) -> Result<()> {
    if keys.is_empty() {
        return Ok(());
    }
    let txn = crate::db::txn::begin_write(db).await?;
    for chunk in keys.chunks(200) {
        selection::Entity::delete_many()
            .filter(selection::Column::UserId.eq(user))
            .filter(selection::Column::Model.eq(slug))
            .filter(selection::Column::ObjectId.is_in(chunk.iter().cloned()))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(())
}
