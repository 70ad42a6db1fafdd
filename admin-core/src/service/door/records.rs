//! The door's record operations: lists, exports (streamed), reads, writes, deletes, related records, and the checks the screens ask before showing a button.

use super::prelude::*;
use crate::kernel::display::ForeignNames;
use crate::kernel::field::Cell;

impl Service {
    // ---- records -----------------------------------------------------------

    pub(super) fn admin(&self, slug: &str) -> Result<&Arc<dyn ModelAdmin>> {
        self.registry.get(slug).ok_or_else(|| {
            Error::NotFound(format!("There is no model \u{201c}{slug}\u{201d} in this admin."))
        })
    }

    /// A registered model's description.
    ///
    /// # Errors
    /// `NotFound` for a model that is not registered.
    pub fn model(&self, slug: &str) -> Result<&'static ModelMeta> {
        Ok(self.admin(slug)?.meta())
    }

    /// Whether the caller may do `op` (`view`, `add`, `change`, `delete`, `export`,
    /// `note`) on the model.
    #[must_use]
    pub fn may(&self, caller: &Caller, slug: &str, op: &str) -> bool {
        caller.may(&crate::service::permission(slug, op))
    }

    /// The rows of `slug` the caller sees: their roles' row-level scopes
    /// ([`crate::access::scope`]) resolved for the model. The door applies it on
    /// every read and write it makes for the caller; work the door does not do yet
    /// (jobs, imports) must apply it too: this is the hook.
    #[must_use]
    pub fn row_scope(&self, caller: &Caller, slug: &str) -> crate::access::scope::RowScope {
        self.registry.row_scope(caller.staff(), slug)
    }

    /// `query` with the caller's scope on the model, whatever it carried.
    pub(super) fn scoped(&self, caller: &Caller, slug: &str, query: &ListQuery) -> ListQuery {
        let mut q = query.clone();
        q.scope = self.row_scope(caller, slug);
        q
    }

    /// Parses a list's query string (search, filters, sort, page) for the caller:
    /// hidden fields can be neither filtered nor sorted on.
    ///
    /// # Errors
    /// `NotFound` for an unknown model.
    pub fn query(&self, caller: &Caller, slug: &str, params: &[(String, String)]) -> Result<ListQuery> {
        let mut query = ListQuery::parse(self.admin(slug)?.as_ref(), params, caller.staff());
        query.scope = self.row_scope(caller, slug);
        Ok(query)
    }

    /// One page of a model's list, from the read replica if the door has one and
    /// the caller has not just written.
    ///
    /// # Errors
    /// `Forbidden` without `{model}.view`.
    pub async fn list(&self, caller: &Caller, slug: &str, query: &ListQuery) -> Result<ListResult> {
        let query = self.scoped(caller, slug, query);
        crate::service::list(self.reader(caller), caller.staff(), self.admin(slug)?.as_ref(), &query).await
    }

    // ---- streamed exports ---------------------------------------------------

    /// The rows of a list for export, read from the database [`EXPORT_PAGE`] at a
    /// time as the stream is polled, hidden fields blanked: memory stays flat however
    /// long the export. The permission and the size are checked first, so a refusal
    /// comes before anything is sent; at most `limit` rows follow.
    ///
    /// # Errors
    /// `Forbidden` without `{model}.export`; `Refused` when more than `limit` rows
    /// match. The stream's items are `Db` errors when a later page fails.
    pub async fn export_pages(
        &self,
        caller: &Caller,
        slug: &str,
        query: &ListQuery,
        limit: u64,
    ) -> Result<Pages<Record>> {
        let admin = Arc::clone(self.admin(slug)?);
        crate::service::require(caller.staff(), admin.as_ref(), "export")?;
        let query = &self.scoped(caller, slug, query);
        let db = self.reader(caller).clone();
        if admin.count_capped(&db, query, limit.saturating_add(1)).await? > limit {
            return Err(Error::Refused(format!(
                "This list has more than {} {}, more than one export may hold. Narrow it with a search or filters and export again.",
                crate::kernel::text::thousands(limit),
                admin.meta().noun_plural()
            )));
        }
        let (query, staff) = (query.clone(), caller.staff().clone());
        let start = (ExportPosition::default(), limit);
        Ok(Box::pin(futures_util::stream::try_unfold(Some(start), move |state| {
            let (admin, db, query, staff) = (Arc::clone(&admin), db.clone(), query.clone(), staff.clone());
            async move {
                let Some((from, left)) = state else { return Ok(None) };
                let want = EXPORT_PAGE.min(left);
                let (mut rows, next) = admin.export_page(&db, &query, &from, want).await?;
                if rows.is_empty() {
                    return Ok(None);
                }
                for r in &mut rows {
                    crate::service::mask(&staff, admin.as_ref(), r);
                }
                let read = rows.len() as u64;
                // A short page is the last one.
                let more = read == want && left > read;
                Ok(Some((rows, more.then_some((next, left - read)))))
            }
        })))
    }

    /// The audit entries matching `filter`, newest first, read [`EXPORT_PAGE`] at a
    /// time as the stream is polled. The permission and the size are checked first.
    ///
    /// # Errors
    /// `Forbidden` without `audit.view`; `Refused` when more than `limit` entries
    /// match. The stream's items are `Db` errors when a later page fails.
    pub async fn audit_export_pages(
        &self,
        caller: &Caller,
        filter: &Filter,
        limit: u64,
    ) -> Result<Pages<entry::Model>> {
        caller.require("audit.view", AUDIT_REFUSED)?;
        if audit::count_matching(&self.db, filter, limit.saturating_add(1)).await? > limit {
            return Err(Error::Refused(format!(
                "This selection has more than {} entries, more than one export may hold. Narrow it by date or actor.",
                crate::kernel::text::thousands(limit)
            )));
        }
        let (db, filter) = (self.db.clone(), filter.clone());
        Ok(Box::pin(futures_util::stream::try_unfold(Some((None, limit)), move |state| {
            let (db, filter) = (db.clone(), filter.clone());
            async move {
                let Some((before, left)) = state else { return Ok(None) };
                let want = EXPORT_PAGE.min(left);
                let rows = audit::older_page(&db, &filter, before, want).await?;
                let Some(last) = rows.last().map(|e| e.seq) else { return Ok(None) };
                let read = rows.len() as u64;
                let more = read == want && left > read;
                Ok(Some((rows, more.then_some((Some(last), left - read)))))
            }
        })))
    }

    // ---- end of streamed exports ---------------------------------------------

    /// The rows of a list for export, at most [`crate::service::EXPORT_LIMIT`] + 1.
    ///
    /// # Errors
    /// `Forbidden` without `{model}.export`.
    pub async fn export(&self, caller: &Caller, slug: &str, query: &ListQuery) -> Result<Vec<Record>> {
        let query = self.scoped(caller, slug, query);
        crate::service::export(self.reader(caller), caller.staff(), self.admin(slug)?.as_ref(), &query).await
    }

    /// The keys of the rows a list query matches, at most `limit` ("select all").
    ///
    /// # Errors
    /// `Forbidden` without `{model}.view`.
    pub async fn keys(
        &self,
        caller: &Caller,
        slug: &str,
        query: &ListQuery,
        limit: u64,
    ) -> Result<Vec<String>> {
        let query = self.scoped(caller, slug, query);
        crate::service::list_keys(&self.db, caller.staff(), self.admin(slug)?.as_ref(), &query, limit).await
    }

    /// The first `limit` rows a list query matches, hidden fields blanked, for
    /// people to read (search, suggestions): from the read replica, if any.
    ///
    /// # Errors
    /// `Forbidden` without `{model}.view`.
    pub async fn first_rows(
        &self,
        caller: &Caller,
        slug: &str,
        query: &ListQuery,
        limit: u64,
    ) -> Result<Vec<Record>> {
        let query = self.scoped(caller, slug, query);
        let db = self.reader(caller);
        crate::service::first_rows(db, caller.staff(), self.admin(slug)?.as_ref(), &query, limit).await
    }

    /// One record, hidden fields blanked.
    ///
    /// # Errors
    /// `Forbidden` without `{model}.view`; `NotFound`.
    pub async fn get(&self, caller: &Caller, slug: &str, key: &str) -> Result<Record> {
        let scope = self.row_scope(caller, slug);
        crate::service::get(&self.db, caller.staff(), self.admin(slug)?.as_ref(), key, &scope).await
    }

    /// The display names of records of `slug` by key (`#[admin(display = ...)]`),
    /// in one query, hidden fields blanked. Empty for a model without a display
    /// name, or when the caller may not view the model.
    ///
    /// # Errors
    /// `NotFound` for an unknown model; `Db`.
    pub async fn display_names(
        &self,
        caller: &Caller,
        slug: &str,
        keys: &[String],
    ) -> Result<std::collections::HashMap<String, String>> {
        let scope = self.row_scope(caller, slug);
        crate::service::records::display_names(
            &self.db,
            caller.staff(),
            self.admin(slug)?.as_ref(),
            &scope,
            keys,
        )
        .await
    }

    /// Whether a foreign-key `field` shows the display names of the records it
    /// refers to for this caller: its target model has them and the caller may view it.
    #[must_use]
    pub fn names_foreign_key(&self, caller: &Caller, field: &crate::kernel::model::FieldMeta) -> bool {
        field
            .foreign_key
            .and_then(|t| self.registry.get(t))
            .is_some_and(|a| a.meta().display.is_some() && self.may(caller, a.meta().slug, "view"))
    }

    /// The display names of the records that `rows` of model `slug` refer to by
    /// foreign key: one query per target model with a display name the caller may
    /// view, never one per row. Foreign keys to other models keep their ids.
    ///
    /// # Errors
    /// `NotFound` for an unknown model; `Db`.
    pub async fn foreign_names(&self, caller: &Caller, slug: &str, rows: &[Record]) -> Result<ForeignNames> {
        let meta = self.admin(slug)?.meta();
        let mut wanted: Vec<(&'static str, Vec<String>)> = Vec::new();
        for (i, f) in meta.fields.iter().enumerate() {
            let Some(target) = f.foreign_key else { continue };
            if self.registry.get(target).is_none_or(|a| a.meta().display.is_none()) {
                continue;
            }
            let keys =
                rows.iter().filter_map(|r| r.cells.get(i)).filter(|c| !c.is_null()).map(Cell::form_value);
            match wanted.iter_mut().find(|(t, _)| *t == target) {
                Some((_, list)) => list.extend(keys),
                None => wanted.push((target, keys.collect())),
            }
        }
        let mut names = ForeignNames::none();
        for (target, keys) in wanted {
            let target_meta = self.admin(target)?.meta();
            for (key, name) in self.display_names(caller, target, &keys).await? {
                names.insert(target_meta.slug, key, name);
            }
        }
        Ok(names)
    }

    /// Creates a record from a form, audited.
    ///
    /// # Errors
    /// `Forbidden` without `{model}.add`; `Invalid` with a message per field.
    pub async fn create(&self, caller: &Caller, slug: &str, form: &FormData) -> Result<Record> {
        let scope = self.row_scope(caller, slug);
        crate::service::create(&self.db, caller.context(), self.admin(slug)?.as_ref(), form, &scope).await
    }

    /// Saves a form over the record last seen at `version`, audited.
    ///
    /// # Errors
    /// `Forbidden` without `{model}.change`; `Invalid`; `Conflict` when someone
    /// else saved it since.
    pub async fn update(
        &self,
        caller: &Caller,
        slug: &str,
        key: &str,
        version: &str,
        form: &FormData,
    ) -> Result<(Record, Changes)> {
        let scope = self.row_scope(caller, slug);
        let admin = self.admin(slug)?.as_ref();
        crate::service::update(&self.db, caller.context(), admin, key, version, form, &scope).await
    }

    /// What deleting a record would do, and what blocks it.
    ///
    /// # Errors
    /// `Forbidden` without `{model}.delete`; `NotFound`.
    pub async fn plan_delete(&self, caller: &Caller, slug: &str, key: &str) -> Result<DeletePlan> {
        crate::service::plan_delete(&self.db, caller.staff(), &self.registry, self.admin(slug)?.as_ref(), key)
            .await
    }

    /// Deletes a record last seen at `version`, audited with the caller's reason.
    ///
    /// # Errors
    /// As [`Service::plan_delete`]; `Refused` when something blocks it; `Conflict`.
    pub async fn delete(&self, caller: &Caller, slug: &str, key: &str, version: &str) -> Result<Record> {
        crate::service::delete(
            &self.db,
            caller.context(),
            &self.registry,
            self.admin(slug)?.as_ref(),
            key,
            version,
        )
        .await
    }

    /// The records of other models that point at `record`, `limit` per model, for
    /// the models the caller may view.
    ///
    /// # Errors
    /// `Db` when the database fails.
    pub async fn related(
        &self,
        caller: &Caller,
        slug: &str,
        record: &Record,
        limit: u64,
    ) -> Result<Vec<RelatedRows>> {
        crate::service::related(
            &self.db,
            caller.staff(),
            &self.registry,
            self.admin(slug)?.as_ref(),
            record,
            limit,
        )
        .await
    }

    // ---- for the screens: checks, visible models, capped counts --------------

    /// Refuses unless the caller may do `op` (`view`, `add`, ...) on the model, with
    /// a sentence naming the permission that is missing.
    ///
    /// # Errors
    /// `NotFound` for an unknown model; `Forbidden` without `{model}.{op}`.
    pub fn require(&self, caller: &Caller, slug: &str, op: &str) -> Result<()> {
        crate::service::require(caller.staff(), self.admin(slug)?.as_ref(), op)
    }

    /// The registered models the caller may view, in registration order.
    #[must_use]
    pub fn models(&self, caller: &Caller) -> Vec<&'static ModelMeta> {
        self.registry.models().map(|m| m.meta()).filter(|m| self.may(caller, m.slug, "view")).collect()
    }

    /// How many rows a list query matches, counting no further than `cap` (the
    /// answer `cap` means "at least"), so a count on a huge table stays cheap. A
    /// count is for people to read: it comes from the read replica, if any.
    ///
    /// # Errors
    /// `NotFound` for an unknown model; `Forbidden` without `{model}.view`.
    pub async fn count(&self, caller: &Caller, slug: &str, query: &ListQuery, cap: u64) -> Result<u64> {
        let admin = self.admin(slug)?;
        crate::service::require(caller.staff(), admin.as_ref(), "view")?;
        admin.count_capped(self.reader(caller), &self.scoped(caller, slug, query), cap).await
    }
}
