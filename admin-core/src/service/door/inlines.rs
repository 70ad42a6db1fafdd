//! The door's inline child rows: the tables of a record page and the save of a
//! parent with its children in one transaction (see [`crate::service::InlineSave`]).

use super::prelude::*;
use crate::service::{InlineRows, InlineSave};

impl Service {
    /// The inline tables of `record`'s page (`#[admin(inlines(...))]`), for the
    /// children the caller may view, each with what the caller may do there.
    ///
    /// # Errors
    /// `NotFound` for an unknown model; `Db` when the database fails.
    pub async fn inlines(&self, caller: &Caller, slug: &str, record: &Record) -> Result<Vec<InlineRows>> {
        crate::service::inline_rows(
            &self.db,
            caller.staff(),
            &self.registry,
            self.admin(slug)?.as_ref(),
            record,
        )
        .await
    }

    /// Saves the form of record `key` last seen at `version` together with its
    /// inline children's rows, in one transaction with an audit entry per written
    /// record; a child row that changed since the page was loaded saves nothing
    /// ([`InlineSave::RowConflict`]).
    ///
    /// # Errors
    /// `Forbidden` without `{model}.change` or the child's `add`/`delete` for the
    /// rows that need them; `Invalid` with every row's errors under its form names;
    /// `Conflict` when the record itself changed meanwhile; `Refused`.
    pub async fn update_with_inlines(
        &self,
        caller: &Caller,
        slug: &str,
        key: &str,
        version: &str,
        form: &FormData,
    ) -> Result<InlineSave> {
        crate::service::update_with_inlines(
            &self.db,
            caller.context(),
            &self.registry,
            self.admin(slug)?.as_ref(),
            key,
            version,
            form,
        )
        .await
    }
}
