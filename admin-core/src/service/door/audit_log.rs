//! The door's audit log: pages, exports, facets, a record's history and the chain's check.

use super::prelude::*;

impl Service {
    // ---- the audit log -----------------------------------------------------

    /// A page of the audit log: entries, a count capped at `cap`, and whether
    /// there are more.
    ///
    /// # Errors
    /// `Forbidden` without `audit.view`.
    pub async fn audit_page(
        &self,
        caller: &Caller,
        filter: &Filter,
        offset: u64,
        limit: u64,
        cap: u64,
    ) -> Result<(Vec<entry::Model>, u64, bool)> {
        caller.require("audit.view", AUDIT_REFUSED)?;
        audit::page(&self.db, filter, offset, limit, cap).await
    }

    /// Audit entries matching `filter` (for export), with the total.
    ///
    /// # Errors
    /// `Forbidden` without `audit.view`.
    pub async fn audit_search(
        &self,
        caller: &Caller,
        filter: &Filter,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<entry::Model>, u64)> {
        caller.require("audit.view", AUDIT_REFUSED)?;
        audit::search(&self.db, filter, offset, limit).await
    }

    /// The actors and kinds the audit log holds, for its filter menus.
    ///
    /// # Errors
    /// `Forbidden` without `audit.view`.
    pub async fn audit_facets(&self, caller: &Caller) -> Result<(Vec<String>, Vec<String>)> {
        caller.require("audit.view", AUDIT_REFUSED)?;
        audit::facets(&self.db).await
    }

    /// One record's history, newest first, with the total.
    ///
    /// # Errors
    /// `Forbidden` without `{model}.view`.
    pub async fn history(
        &self,
        caller: &Caller,
        slug: &str,
        key: &str,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<entry::Model>, u64)> {
        crate::service::require(caller.staff(), self.admin(slug)?.as_ref(), "view")?;
        self.visible(caller, slug, key).await?;
        let filter =
            Filter { model: Some(slug.to_owned()), object_id: Some(key.to_owned()), ..Filter::default() };
        audit::search(&self.db, &filter, offset, limit).await
    }

    // ---- the audit log's links (web: history) ----

    /// Which of `keys` still exist in the model, so the audit log links to a record
    /// or says it was deleted. An unknown model has none.
    ///
    /// # Errors
    /// `Forbidden` without `audit.view`.
    pub async fn audit_existing(
        &self,
        caller: &Caller,
        slug: &str,
        keys: &[String],
    ) -> Result<HashSet<String>> {
        caller.require("audit.view", AUDIT_REFUSED)?;
        match self.registry.get(slug) {
            Some(admin) => admin.existing(&self.db, keys, &self.row_scope(caller, slug)).await,
            None => Ok(HashSet::new()),
        }
    }

    /// Checks the audit chain end to end.
    ///
    /// # Errors
    /// `Forbidden` without `audit.view`.
    pub async fn audit_verify(&self, caller: &Caller) -> Result<audit::Verdict> {
        caller.require("audit.view", AUDIT_REFUSED)?;
        audit::verify(&self.db).await
    }
}
