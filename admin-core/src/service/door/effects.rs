//! The door's effects: what actions asked to happen outside the database, their
//! state, retrying or giving up a failed one, and the worker's turn.

use super::prelude::*;
use crate::effect::{self, Filter, StoredEffect};

/// What a caller without `effects.view` cannot do (the refusal adds who can).
pub const EFFECTS_REFUSED: &str = "You cannot see the effects of actions (emails sent, calls made).";
/// What a caller without `effects.manage` cannot do (the refusal adds who can).
pub const EFFECTS_MANAGE_REFUSED: &str = "You can see effects but not retry or give them up.";
/// A worker not seen for this long is taken for gone.
pub const WORKER_SILENCE: chrono::Duration = chrono::Duration::minutes(5);

impl Service {
    /// A page of effects matching `filter`, newest first, with how many match.
    ///
    /// # Errors
    /// `Forbidden` without `effects.view`.
    pub async fn effects(
        &self,
        caller: &Caller,
        filter: &Filter,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<StoredEffect>, u64)> {
        caller.require("effects.view", EFFECTS_REFUSED)?;
        effect::list(&self.db, filter, offset, limit.min(500)).await
    }

    /// One effect.
    ///
    /// # Errors
    /// `Forbidden` without `effects.view`; `NotFound`.
    pub async fn effect(&self, caller: &Caller, id: i64) -> Result<StoredEffect> {
        caller.require("effects.view", EFFECTS_REFUSED)?;
        effect::get(&self.db, id).await
    }

    /// Whether the caller may retry or give up effects.
    #[must_use]
    pub fn may_manage_effects(&self, caller: &Caller) -> bool {
        caller.may("effects.manage")
    }

    /// The latest effects about one record (at most 20), for its page: whoever may
    /// view the record sees them.
    ///
    /// # Errors
    /// `Forbidden` without `{model}.view`.
    pub async fn effects_for_record(
        &self,
        caller: &Caller,
        slug: &str,
        key: &str,
    ) -> Result<Vec<StoredEffect>> {
        crate::service::require(caller.staff(), self.admin(slug)?.as_ref(), "view")?;
        let filter = Filter { record: Some((slug.to_owned(), key.to_owned())), ..Filter::default() };
        Ok(effect::list(&self.db, &filter, 0, 20).await?.0)
    }

    /// The effects a run scheduled, for its result page: its own runner or whoever
    /// holds `effects.view` sees them.
    ///
    /// # Errors
    /// `Forbidden` for anyone else.
    pub async fn effects_of_run(&self, caller: &Caller, run_id: i64) -> Result<Vec<StoredEffect>> {
        if !caller.may("effects.view") {
            let run = crate::action::runs::find(&self.db, run_id).await?;
            if run.is_none_or(|r| r.actor_id != caller.staff().id) {
                return Err(Error::Forbidden(caller.staff().denial(EFFECTS_REFUSED, "effects.view")));
            }
        }
        let filter = Filter { run_id: Some(run_id), ..Filter::default() };
        Ok(effect::list(&self.db, &filter, 0, 500).await?.0)
    }

    /// How many effects failed for good and wait for staff (0 for a caller without
    /// `effects.view`), for the dashboard.
    ///
    /// # Errors
    /// `Db` when the database fails.
    pub async fn failed_effects(&self, caller: &Caller) -> Result<u64> {
        if !caller.may("effects.view") {
            return Ok(0);
        }
        let filter = Filter { state: Some("failed".to_owned()), ..Filter::default() };
        Ok(effect::list(&self.db, &filter, 0, 1).await?.1)
    }

    /// Queues a failed effect again (same key, attempts from zero), audited.
    ///
    /// # Errors
    /// `Forbidden` without `effects.manage`; `Refused` when it is not failed;
    /// `NotFound`.
    pub async fn retry_effect(&self, caller: &Caller, id: i64) -> Result<StoredEffect> {
        caller.require("effects.manage", EFFECTS_MANAGE_REFUSED)?;
        let done = effect::retry(&self.db, caller.context(), self.registry.effect_handlers(), id).await?;
        self.registry.touch_all();
        Ok(done)
    }

    /// Gives a failed or waiting effect up for good with `reason`, audited.
    ///
    /// # Errors
    /// `Forbidden` without `effects.manage`; `Invalid` without a reason; `Refused`
    /// when it is running or has ended; `NotFound`.
    pub async fn give_up_effect(&self, caller: &Caller, id: i64, reason: &str) -> Result<StoredEffect> {
        caller.require("effects.manage", EFFECTS_MANAGE_REFUSED)?;
        let done =
            effect::give_up(&self.db, caller.context(), self.registry.effect_handlers(), id, reason).await?;
        self.registry.touch_all();
        Ok(done)
    }

    /// Carries out one due effect as worker `instance` (a name unique to the
    /// process), with the registry's handlers. What it records is signed
    /// `system:effect-worker`.
    ///
    /// # Errors
    /// `Db` when the database fails.
    pub async fn work_effects_once(&self, instance: &str) -> Result<effect::Work> {
        self.work_effects_once_until(instance, std::future::pending()).await
    }

    /// [`Service::work_effects_once`], stopped by `stop` (a stopping process's hard
    /// deadline): a handler still at work then is dropped and its effect given back
    /// for another worker at once ([`effect::Work::Released`]).
    ///
    /// # Errors
    /// `Db` when the database fails.
    pub async fn work_effects_once_until(
        &self,
        instance: &str,
        stop: impl std::future::Future<Output = ()>,
    ) -> Result<effect::Work> {
        let work = effect::work_once_until(&self.db, self.registry.effect_handlers(), instance, stop).await?;
        if matches!(work, effect::Work::Done(_) | effect::Work::Failed(..)) {
            // A handler may have changed the application's tables.
            self.registry.touch_all();
        }
        Ok(work)
    }

    /// Marks worker `instance` as alive now (each worker loop calls it every so
    /// often; the dashboard warns when none has for [`WORKER_SILENCE`]).
    ///
    /// # Errors
    /// `Db` when the database fails.
    pub async fn worker_seen(&self, instance: &str, name: &str) -> Result<()> {
        effect::seen(&self.db, instance, name).await
    }

    /// The dashboard's warning when no worker has been seen for
    /// [`WORKER_SILENCE`]: "No worker has been seen for 12 minutes: effects and
    /// approvals are not being carried out." `None` when one has, or for a caller
    /// without `effects.view`.
    ///
    /// # Errors
    /// `Db` when the database fails.
    pub async fn worker_warning(&self, caller: &Caller) -> Result<Option<String>> {
        if !caller.may("effects.view") {
            return Ok(None);
        }
        let tail = "effects and approvals are not being carried out. Start one with the server or as a worker process.";
        Ok(match effect::last_seen(&self.db).await? {
            None => Some(format!("No worker has been seen yet: {tail}")),
            Some(t) => {
                let silent = crate::kernel::clock::now() - t;
                (silent > WORKER_SILENCE)
                    .then(|| format!("No worker has been seen for {} minutes: {tail}", silent.num_minutes()))
            }
        })
    }
}
