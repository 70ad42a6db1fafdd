//! The door's notes on records and saved list views.

use super::prelude::*;

impl Service {
    // ---- notes and saved views ---------------------------------------------

    /// The notes on a record, newest first.
    ///
    /// # Errors
    /// `Forbidden` without `{model}.view`.
    pub async fn notes(&self, caller: &Caller, slug: &str, key: &str) -> Result<Vec<note::Model>> {
        crate::service::require(caller.staff(), self.admin(slug)?.as_ref(), "view")?;
        self.visible(caller, slug, key).await?;
        crate::notes::notes_for(&self.db, slug, key).await
    }

    /// Leaves a note on a record, audited.
    ///
    /// # Errors
    /// `Forbidden` without `{model}.note`; `NotFound`; `Invalid` for an empty or
    /// too long note.
    pub async fn add_note(&self, caller: &Caller, slug: &str, key: &str, body: &str) -> Result<note::Model> {
        let admin = self.admin(slug)?;
        crate::service::require(caller.staff(), admin.as_ref(), "note")?;
        let scope = self.row_scope(caller, slug);
        let record = crate::service::get(&self.db, caller.staff(), admin.as_ref(), key, &scope).await?;
        crate::notes::add_note(&self.db, caller.context(), slug, &record.key, body).await
    }

    /// The caller's saved list views.
    ///
    /// # Errors
    /// `Db` when the database fails.
    pub async fn saved_views(&self, caller: &Caller) -> Result<Vec<saved_view::Model>> {
        crate::notes::views_of(&self.db, caller.staff().id).await
    }

    /// Saves a list view for the caller.
    ///
    /// # Errors
    /// `Forbidden` without `{model}.view`; `Invalid` for a bad name or query.
    pub async fn save_view(
        &self,
        caller: &Caller,
        slug: &str,
        name: &str,
        query: &str,
    ) -> Result<saved_view::Model> {
        crate::service::require(caller.staff(), self.admin(slug)?.as_ref(), "view")?;
        crate::notes::save_view(&self.db, caller.staff().id, slug, name, query).await
    }

    /// Deletes one of the caller's saved views.
    ///
    /// # Errors
    /// `NotFound` when the caller has no such view.
    pub async fn delete_view(&self, caller: &Caller, id: i64) -> Result<()> {
        crate::notes::delete_view(&self.db, caller.staff().id, id).await
    }
}
