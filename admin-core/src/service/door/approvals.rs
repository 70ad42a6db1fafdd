//! The door's approval queue: listing, reading, deciding, and the worker's turn.

use super::prelude::*;

impl Service {
    // ---- approvals ---------------------------------------------------------

    pub(super) fn require_queue(&self, caller: &Caller) -> Result<()> {
        if approval::may_see_queue(caller.staff(), &self.registry) {
            Ok(())
        } else {
            Err(Error::Forbidden(caller.staff().denial(approval::QUEUE_REFUSED, "approvals.decide")))
        }
    }

    /// A page of approval requests, newest first, with the total. Those who cannot
    /// decide any see only their own requests.
    ///
    /// # Errors
    /// `Forbidden` for a caller who may neither run actions nor decide.
    pub async fn approvals(
        &self,
        caller: &Caller,
        status: Option<&str>,
        model: Option<&str>,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<request::Model>, u64)> {
        self.require_queue(caller)?;
        let staff = caller.staff();
        let mine =
            (!staff.is_superuser && !approval::may_decide_any(staff, &self.registry)).then_some(staff.id);
        if self.scoped_anywhere(caller) {
            return self.scoped_approvals(caller, (status, model, mine), offset, limit).await;
        }
        approval::list(&self.db, status, model, mine, offset, limit).await
    }

    /// How many requests wait for a decision (0 for a caller who cannot decide any).
    ///
    /// # Errors
    /// `Db` when the database fails.
    pub async fn pending_approvals(&self, caller: &Caller) -> Result<u64> {
        if !caller.staff().is_superuser && !approval::may_decide_any(caller.staff(), &self.registry) {
            return Ok(0);
        }
        if self.scoped_anywhere(caller) {
            return Ok(self.scoped_approvals(caller, (Some("pending"), None, None), 0, 1).await?.1);
        }
        Ok(approval::list(&self.db, Some("pending"), None, None, 0, 1).await?.1)
    }

    /// One approval request the caller may see.
    ///
    /// # Errors
    /// `Forbidden`; `NotFound`.
    pub async fn approval(&self, caller: &Caller, id: i64) -> Result<request::Model> {
        self.require_queue(caller)?;
        let r = approval::get(&self.db, id).await?;
        let staff = caller.staff();
        if r.requester_id != staff.id
            && !staff.is_superuser
            && !approval::may_decide_any(staff, &self.registry)
        {
            return Err(Error::NotFound(format!("There is no approval request {id}.")));
        }
        // A request about records outside the caller's scope does not exist for them.
        if !self.sees_request(caller, &r).await? {
            return Err(Error::NotFound(format!("There is no approval request {id}.")));
        }
        Ok(r)
    }

    // ---- an approval request's page (web: approvals) ----

    /// Whether the caller sees every approval request (a superuser, or someone who
    /// may decide some) rather than only their own.
    #[must_use]
    pub fn sees_all_approvals(&self, caller: &Caller) -> bool {
        caller.staff().is_superuser || approval::may_decide_any(caller.staff(), &self.registry)
    }

    /// One approval request the caller may see, with its action and what it would do
    /// now: the records ready and those that have become blocked since it was asked
    /// for (`None` when the action is no longer registered). While it waits for a
    /// decision, the preview also has the trial of its input as the caller (the
    /// approver) would run it: each record's changes and the effects, rolled back
    /// (see [`Service::preview_action`]).
    ///
    /// # Errors
    /// As [`Service::approval`].
    pub async fn approval_view(
        &self,
        caller: &Caller,
        id: i64,
    ) -> Result<(request::Model, Option<(Arc<dyn DynAction>, Preview)>)> {
        let r = self.approval(caller, id).await?;
        let Some(action) = self.registry.action_named(&r.model, &r.action) else { return Ok((r, None)) };
        let input = serde_json::from_str::<serde_json::Value>(&r.input).ok();
        let input = input.as_ref().filter(|_| r.status == "pending");
        let ctx = caller.context().clone().with_reason(r.reason.clone());
        let keys = approval::keys_of(&r);
        let preview =
            crate::service::preview_of(&self.db, &ctx, &self.registry, action.as_ref(), &keys, input).await?;
        Ok((r, Some((action, preview))))
    }

    /// Whether the caller may decide `r` (holds the permission, did not ask for it).
    #[must_use]
    pub fn may_decide(&self, caller: &Caller, r: &request::Model) -> bool {
        approval::may_decide(caller.staff(), &self.registry, r)
    }

    /// The open approval requests on one record (for its page).
    ///
    /// # Errors
    /// `Forbidden` without `{model}.view`.
    pub async fn approvals_for_record(
        &self,
        caller: &Caller,
        slug: &str,
        key: &str,
    ) -> Result<Vec<request::Model>> {
        crate::service::require(caller.staff(), self.admin(slug)?.as_ref(), "view")?;
        self.visible(caller, slug, key).await?;
        let mut out = Vec::new();
        for r in approval::open_for_record(&self.db, slug, key).await? {
            if self.sees_request(caller, &r).await? {
                out.push(r);
            }
        }
        Ok(out)
    }

    /// Approves or rejects a request, audited with the note.
    ///
    /// # Errors
    /// `Forbidden` for the requester or without the permission; `Refused` when it
    /// was decided already.
    pub async fn decide(
        &self,
        caller: &Caller,
        id: i64,
        approve: bool,
        note: Option<&str>,
    ) -> Result<request::Model> {
        // Out of the approver's scope is "no such request", before any other check.
        if let Ok(r) = approval::get(&self.db, id).await
            && !self.sees_request(caller, &r).await?
        {
            return Err(Error::NotFound(format!("There is no approval request {id}.")));
        }
        approval::decide(&self.db, caller.context(), &self.registry, id, approve, note).await
    }

    /// Carries out one approved request, if one is due. The action's own entries
    /// name its requester (whose request it was) with the approver in the reason;
    /// what the worker records on its own, such as giving up on a request, is
    /// signed `system:approval-worker`.
    ///
    /// # Errors
    /// `Db` when the database fails.
    pub async fn work_approvals_once(&self) -> Result<Work> {
        approval::work_once(&self.db, &self.registry, &self.auth.roles).await
    }

    /// [`Service::work_approvals_once`], stopped by `stop` (a stopping process's
    /// hard deadline): an action still running then is rolled back and its request
    /// given back for another worker at once ([`Work::Released`]).
    ///
    /// # Errors
    /// `Db` when the database fails.
    pub async fn work_approvals_once_until(
        &self,
        stop: impl std::future::Future<Output = ()>,
    ) -> Result<Work> {
        approval::work_once_until(&self.db, &self.registry, &self.auth.roles, stop).await
    }
}
