//! The door's actions: the ones a caller may run, previews and runs.

use super::prelude::*;

impl Service {
    // ---- actions -----------------------------------------------------------

    /// The model's actions the caller may run, in registration order.
    #[must_use]
    pub fn actions(&self, caller: &Caller, slug: &str) -> Vec<Arc<dyn DynAction>> {
        self.registry
            .actions_for(slug)
            .into_iter()
            .filter(|a| caller.may(&format!("{slug}.action.{}", a.name())))
            .collect()
    }

    /// One action, if the caller may run it.
    ///
    /// # Errors
    /// `NotFound` for an unknown action; `Forbidden` without `{model}.action.{name}`.
    pub fn action(&self, caller: &Caller, slug: &str, name: &str) -> Result<Arc<dyn DynAction>> {
        crate::service::action_for(caller.staff(), &self.registry, slug, name)
    }

    /// The records an action would touch and those it would skip, with reasons.
    /// With `input` (the action's input as JSON, `{}` for none) it also runs the
    /// action for real on the first [`crate::action::TRIAL_RUNS`] ready records, as
    /// the caller, in one short transaction that is always rolled back, and gives
    /// each record's changes and the effects the run would schedule
    /// ([`Preview::trial`]). A preview uses up nothing: no audit entry or sequence
    /// number, no recorded run, no idempotency key, no effect. Hidden fields are
    /// masked.
    ///
    /// # Errors
    /// As [`Service::action`]; `Refused` past the batch limit.
    pub async fn preview_action(
        &self,
        caller: &Caller,
        slug: &str,
        name: &str,
        keys: &[String],
        input: Option<&serde_json::Value>,
    ) -> Result<(Arc<dyn DynAction>, Preview)> {
        // Records outside the caller's scope are previewed as missing, as absent ones are.
        let unseen = self.unseen_keys(caller, slug, keys).await?;
        let seen: Vec<String> = keys.iter().filter(|k| !unseen.contains(k)).cloned().collect();
        let (action, mut preview) = crate::service::action_preview(
            &self.db,
            caller.context(),
            &self.registry,
            (slug, name),
            &seen,
            input,
        )
        .await?;
        preview.missing.extend(unseen);
        Ok((action, preview))
    }

    /// Runs an action (or queues it for approval), audited with the caller's reason.
    /// An action whose policy asks for a recent sign-in refuses a stale one.
    ///
    /// # Errors
    /// As [`Service::preview_action`]; `ReauthRequired`; `Invalid` for bad input or
    /// a missing reason.
    pub async fn run_action(
        &self,
        caller: &Caller,
        slug: &str,
        name: &str,
        request: &ActionRequest,
    ) -> Result<ActionResult> {
        let result = self.run_action_uncounted(caller, slug, name, request).await;
        // Only registered actions are counted: a label never takes a name a client made up.
        if self.registry.action_named(slug, name).is_some() {
            let outcome = match &result {
                Ok(ActionResult::Ran(_)) => "done",
                Ok(ActionResult::AlreadyRan(_)) => "replayed",
                Ok(ActionResult::Queued { .. }) => "queued",
                Err(Error::Db(_) | Error::Internal(_)) => "failed",
                Err(_) => "refused",
            };
            crate::kernel::metrics::action_run(slug, name, outcome);
        }
        result
    }

    /// [`Service::run_action`], uncounted.
    async fn run_action_uncounted(
        &self,
        caller: &Caller,
        slug: &str,
        name: &str,
        request: &ActionRequest,
    ) -> Result<ActionResult> {
        let action = self.action(caller, slug, name)?;
        if action.policy().recent_auth {
            caller.require_recent()?;
        }
        // For a caller with a scope, a record outside it or missing refuses the whole
        // request, so both answer alike and nothing runs on what they cannot see.
        let unseen = self.unseen_keys(caller, slug, &request.keys).await?;
        if !unseen.is_empty() {
            return Err(Error::NotFound(unseen_sentence(action.model(), &unseen)));
        }
        let (db, roles) = (&self.db, &self.auth.roles);
        let result =
            crate::service::run_action(db, caller.context(), &self.registry, roles, slug, name, request)
                .await?;
        // The records a run did leave the caller's selection; skipped ones stay
        // there to be looked at.
        if let ActionResult::Ran(report) | ActionResult::AlreadyRan(report) = &result {
            let done: Vec<String> = report.done.iter().map(|(k, _)| k.clone()).collect();
            if let Err(e) = super::selection::forget(&self.db, caller.staff().id, slug, &done).await {
                tracing::warn!(error = %e, "could not take the done records out of the selection");
            }
        }
        Ok(result)
    }

    /// Where the caller stands today with each limit of their roles on an action
    /// (see [`crate::access::limit`]), for the confirmation page: "You can retry 188
    /// more welcome emails today (at most 200 a day)." Empty when no limit holds.
    ///
    /// # Errors
    /// As [`Service::action`]; `Db` when the database fails.
    pub async fn limit_status(
        &self,
        caller: &Caller,
        slug: &str,
        name: &str,
    ) -> Result<Vec<crate::limits::LimitStatus>> {
        let action = self.action(caller, slug, name)?;
        let applied = crate::limits::Applied::new(&self.auth.roles, caller.staff(), action.as_ref());
        if applied.is_empty() {
            return Ok(Vec::new());
        }
        crate::limits::status(&self.db, caller.staff().id, &applied).await
    }

    /// A recorded action run, for its result page: the caller's own runs, or any
    /// run of an action the caller may run, or any run with `audit.view`.
    ///
    /// # Errors
    /// `NotFound` when there is no such run or the caller may not see it (the same
    /// answer, so ids do not leak); `Db` when the database fails.
    pub async fn action_run(&self, caller: &Caller, id: i64) -> Result<crate::action::runs::ActionRun> {
        let missing = || Error::NotFound(format!("There is no action run {id}."));
        let run = crate::action::runs::find(&self.db, id).await?.ok_or_else(missing)?;
        let own = caller.staff().id == run.actor_id;
        // Another's run may be about records outside the caller's scope.
        let unscoped = self.row_scope(caller, &run.model).is_all();
        let may_run = unscoped && caller.may(&format!("{}.action.{}", run.model, run.action));
        if own || may_run || caller.may("audit.view") { Ok(run) } else { Err(missing()) }
    }
}

/// "There is no account with the id “7”; nothing was run.", naming at most five ids.
pub(super) fn unseen_sentence(meta: &ModelMeta, keys: &[String]) -> String {
    const NAMED: usize = 5;
    let mut ids: Vec<String> = keys.iter().take(NAMED).map(|k| format!("\u{201c}{k}\u{201d}")).collect();
    if keys.len() > NAMED {
        ids.push(format!("{} more", crate::kernel::model::thousands((keys.len() - NAMED) as u64)));
    }
    let noun = if keys.len() == 1 { "id" } else { "ids" };
    format!(
        "There is no {} with the {noun} {}; nothing was run. Select records that exist and try again.",
        meta.label.to_lowercase(),
        ids.join(", ")
    )
}
