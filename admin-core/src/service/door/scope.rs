//! The door's row-level scopes ([`crate::access::scope`]) where no list query
//! carries them: one record by key, a set of keys, approval requests and action
//! runs. Out of scope is answered exactly as "no such record".

use super::prelude::*;

/// Most approval requests read to page a scoped caller's queue (filtered here,
/// since a request's records are a list in one column).
const SCOPED_QUEUE_READ: u64 = 10_000;

impl Service {
    /// Refuses, as "no such record", a key outside the caller's scope on the model
    /// (or one that does not exist, when a scope applies).
    ///
    /// # Errors
    /// `NotFound`.
    pub(super) async fn visible(&self, caller: &Caller, slug: &str, key: &str) -> Result<()> {
        let scope = self.row_scope(caller, slug);
        if scope.is_all() {
            return Ok(());
        }
        let admin = self.admin(slug)?;
        if admin.get(&self.db, key, &scope).await?.is_none() {
            return Err(crate::service::not_found(admin.as_ref(), key));
        }
        Ok(())
    }

    /// The keys among `keys` the caller may not see (outside their scope or
    /// missing), in the order given; none when no scope applies.
    ///
    /// # Errors
    /// `NotFound` for an unknown model; `Db`.
    pub(super) async fn unseen_keys(
        &self,
        caller: &Caller,
        slug: &str,
        keys: &[String],
    ) -> Result<Vec<String>> {
        let scope = self.row_scope(caller, slug);
        if scope.is_all() || keys.is_empty() {
            return Ok(Vec::new());
        }
        let seen = self.admin(slug)?.existing(&self.db, keys, &scope).await?;
        Ok(keys.iter().filter(|k| !seen.contains(k.trim())).cloned().collect())
    }

    /// Whether the caller has a scope on any registered model.
    pub(super) fn scoped_anywhere(&self, caller: &Caller) -> bool {
        let staff = caller.staff();
        !staff.is_superuser
            && !staff.permissions.site_roles().scopes().is_empty()
            && self.registry.metas().iter().any(|m| !self.row_scope(caller, m.slug).is_all())
    }

    /// Whether the caller sees every record an approval request is about (their
    /// own requests always).
    ///
    /// # Errors
    /// `Db`.
    pub(super) async fn sees_request(&self, caller: &Caller, r: &request::Model) -> Result<bool> {
        if r.requester_id == caller.staff().id {
            return Ok(true);
        }
        let scope = self.row_scope(caller, &r.model);
        if scope.is_all() {
            return Ok(true);
        }
        let Some(admin) = self.registry.get(&r.model) else { return Ok(false) };
        let keys = approval::keys_of(r);
        let seen = admin.existing(&self.db, &keys, &scope).await?;
        Ok(keys.iter().all(|k| seen.contains(k)))
    }

    /// A page of approval requests for a caller with a scope: only those about
    /// records they see, counted the same way.
    ///
    /// # Errors
    /// `Db`.
    pub(super) async fn scoped_approvals(
        &self,
        caller: &Caller,
        (status, model, mine): (Option<&str>, Option<&str>, Option<i64>),
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<request::Model>, u64)> {
        let (all, _) = approval::list(&self.db, status, model, mine, 0, SCOPED_QUEUE_READ).await?;
        let mut seen = Vec::new();
        for r in all {
            if self.sees_request(caller, &r).await? {
                seen.push(r);
            }
        }
        let total = seen.len() as u64;
        let start = usize::try_from(offset).unwrap_or(usize::MAX).min(seen.len());
        let page = seen.into_iter().skip(start).take(usize::try_from(limit).unwrap_or(usize::MAX)).collect();
        Ok((page, total))
    }

    /// A deleted record is outside every row-level scope (its row is gone, so the
    /// scope cannot be checked): a caller with a scope on the model gets "no such
    /// deleted record"; someone whose role covers the whole model restores it.
    ///
    /// # Errors
    /// `NotFound`.
    pub(super) fn no_deleted_in_scope(&self, caller: &Caller, slug: &str, seq: i64) -> Result<()> {
        if self.row_scope(caller, slug).is_all() {
            Ok(())
        } else {
            Err(Error::NotFound(format!("There is no deleted record at history entry {seq}.")))
        }
    }
}
