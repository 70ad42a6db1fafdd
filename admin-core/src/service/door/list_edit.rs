//! The door's list edit: reviewing and saving many rows' editable columns at once
//! (see [`crate::service::RowEdit`]).

use super::prelude::*;
use crate::service::{ListEditReview, RowEdit};

impl Service {
    /// The list columns the caller may change in place: the model's
    /// `list_editable` fields that are editable for them, none without
    /// `{model}.change`.
    ///
    /// # Errors
    /// `NotFound` for an unknown model.
    pub fn list_editable(&self, caller: &Caller, slug: &str) -> Result<Vec<usize>> {
        let meta = self.model(slug)?;
        if !self.may(caller, slug, "change") {
            return Ok(Vec::new());
        }
        Ok(crate::service::list_edit::editable_columns(caller.staff(), meta))
    }

    /// What a list edit would save: per row, the changes, or why it cannot be
    /// saved (stale, invalid, gone). Writes nothing.
    ///
    /// # Errors
    /// `Forbidden` without `{model}.change`; `Refused` for too many rows or a model
    /// the caller cannot edit in the list.
    pub async fn review_list_edit(
        &self,
        caller: &Caller,
        slug: &str,
        rows: &[RowEdit],
    ) -> Result<ListEditReview> {
        let scope = self.row_scope(caller, slug);
        crate::service::list_edit::review(
            &self.db,
            caller.context(),
            self.admin(slug)?.as_ref(),
            rows,
            &scope,
        )
        .await
    }

    /// Saves a list edit with the caller's reason: each changed row in its own
    /// transaction with its own audit entry (`update`), through the same checks as
    /// [`Service::update`]. The answer says, per row, what was saved and what was
    /// not (stale, invalid, gone).
    ///
    /// # Errors
    /// As [`Service::review_list_edit`]; `Invalid` on `_reason` when a changed field
    /// needs a reason and none was given (nothing is saved).
    pub async fn save_list_edit(
        &self,
        caller: &Caller,
        slug: &str,
        rows: &[RowEdit],
    ) -> Result<ListEditReview> {
        let scope = self.row_scope(caller, slug);
        crate::service::list_edit::save(&self.db, caller.context(), self.admin(slug)?.as_ref(), rows, &scope)
            .await
    }
}
