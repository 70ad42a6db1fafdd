//! The door's undo and restore: undoing an action run as its action declares,
//! restoring a record to a version from its history, and a deleted record from
//! its last snapshot.

use std::collections::HashMap;

use super::prelude::*;
use crate::service::{RestorePlan, UndoPreview};

impl Service {
    /// What undoing run `run_id` would do: per record, the values put back and
    /// those refused (someone changed the record since); or the inverse action that
    /// would run; or why it cannot be undone, with the compensating action.
    ///
    /// # Errors
    /// `NotFound` when the caller may not see the run; `Refused` when it was undone
    /// already or is an undo itself; `Forbidden` without the undo's permission.
    pub async fn undo_preview(&self, caller: &Caller, run_id: i64) -> Result<UndoPreview> {
        let run = self.action_run(caller, run_id).await?;
        crate::service::undo::preview(&self.db, &self.registry, caller.staff(), run).await
    }

    /// Undoes run `run_id` with `reason` (required), as a new run recorded with
    /// `undo_of`: the values put back in one transaction with one `undo:{name}`
    /// audit entry per record, or the inverse action run (or queued for approval)
    /// under its own rules. A run is undone once.
    ///
    /// # Errors
    /// As [`Service::undo_preview`]; `Invalid` without a reason; `Refused` for an
    /// irreversible run or when no record can be put back; `ReauthRequired` when the
    /// action (or its inverse) asks for a recent sign-in.
    pub async fn undo_run(&self, caller: &Caller, run_id: i64, reason: &str) -> Result<ActionResult> {
        let run = self.action_run(caller, run_id).await?;
        let caller = caller.clone().with_reason(Some(reason.to_owned()));
        if let Some(action) = self.registry.action_named(&run.model, &run.action) {
            let inverse = match action.undo() {
                crate::action::Undo::Inverse(name) => self.registry.action_named(&run.model, name),
                _ => None,
            };
            if action.policy().recent_auth || inverse.is_some_and(|a| a.policy().recent_auth) {
                caller.require_recent()?;
            }
        }
        crate::service::undo::undo(&self.db, caller.context(), (&self.registry, &self.auth.roles), run).await
    }

    /// The runs behind the `action:{name}` entries among `entries`, by entry
    /// sequence number: the run of the entry's model and action, recorded in the
    /// same transaction (within seconds of it), whose audit entries include it.
    /// Entries of runs the caller may not see are left out.
    ///
    /// # Errors
    /// `Db` when the database fails.
    pub async fn runs_of_entries(
        &self,
        caller: &Caller,
        entries: &[entry::Model],
    ) -> Result<HashMap<i64, i64>> {
        use crate::db::entities::action_run;
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        let mut out = HashMap::new();
        // One query per model and action on the page, over the time its entries span.
        let mut groups: HashMap<(&str, &str), Vec<&entry::Model>> = HashMap::new();
        for e in entries {
            if let (Some(action), Some(model)) = (e.kind.strip_prefix("action:"), e.model.as_deref()) {
                groups.entry((model, action)).or_default().push(e);
            }
        }
        let slack = chrono::Duration::seconds(5);
        for ((model, action), group) in groups {
            let (Some(from), Some(to)) = (group.iter().map(|e| e.at).min(), group.iter().map(|e| e.at).max())
            else {
                continue;
            };
            let may_all = caller.may(&format!("{model}.action.{action}")) || caller.may("audit.view");
            let rows = action_run::Entity::find()
                .filter(action_run::Column::Model.eq(model))
                .filter(action_run::Column::Action.eq(action))
                .filter(action_run::Column::CreatedAt.between(from - slack, to + slack))
                .all(&self.db)
                .await?;
            for row in rows {
                let Ok(report) = crate::action::runs::report_of(&row) else { continue };
                let (Some((a, b)), true) = (report.audit_seqs, may_all || row.actor_id == caller.staff().id)
                else {
                    continue;
                };
                for e in group.iter().filter(|e| (a..=b).contains(&e.seq)) {
                    out.insert(e.seq, row.id);
                }
            }
        }
        Ok(out)
    }

    /// What restoring record `key` to the version right after its audit entry
    /// `seq` would change, and what stops it (fields the caller may not change).
    ///
    /// # Errors
    /// `Forbidden` without `{model}.view`; `NotFound`.
    pub async fn restore_plan(
        &self,
        caller: &Caller,
        slug: &str,
        key: &str,
        seq: i64,
    ) -> Result<RestorePlan> {
        self.visible(caller, slug, key).await?;
        crate::service::restore::version_plan(&self.db, caller.staff(), self.admin(slug)?.as_ref(), key, seq)
            .await
    }

    /// Restores record `key` to the version right after entry `seq`, if it is still
    /// at `version`: an update with `reason` (required), audited as one.
    ///
    /// # Errors
    /// As [`Service::update`]; `Refused` when a field of the version may not be
    /// changed by the caller or the record already has those values.
    pub async fn restore_version(
        &self,
        caller: &Caller,
        slug: &str,
        key: &str,
        seq: i64,
        version: &str,
        reason: &str,
    ) -> Result<(Record, Changes)> {
        self.visible(caller, slug, key).await?;
        let caller = caller.clone().with_reason(Some(reason.to_owned()));
        let admin = self.admin(slug)?.as_ref();
        let scope = self.row_scope(&caller, slug);
        crate::service::restore::restore_version(
            &self.db,
            caller.context(),
            admin,
            key,
            (seq, version),
            &scope,
        )
        .await
    }

    /// What restoring the record deleted by audit entry `seq` would bring back, and
    /// what stops it: the restore window ([`Service::with_restore_window`]), its key
    /// taken again, a record it refers to gone.
    ///
    /// # Errors
    /// `Forbidden` without `{model}.add`; `NotFound` when the entry is not a deletion.
    pub async fn deleted_plan(&self, caller: &Caller, slug: &str, seq: i64) -> Result<RestorePlan> {
        self.no_deleted_in_scope(caller, slug, seq)?;
        let admin = self.admin(slug)?.as_ref();
        crate::service::restore::deleted_plan(
            &self.db,
            caller.staff(),
            &self.registry,
            admin,
            seq,
            self.restore_window,
        )
        .await
    }

    /// Restores the record deleted by entry `seq` from the snapshot the entry keeps,
    /// with `reason` (required), audited as `restore`.
    ///
    /// # Errors
    /// As [`Service::deleted_plan`]; `Refused` in words when it cannot be restored;
    /// `Invalid` without a reason.
    pub async fn restore_deleted(
        &self,
        caller: &Caller,
        slug: &str,
        seq: i64,
        reason: &str,
    ) -> Result<Record> {
        self.no_deleted_in_scope(caller, slug, seq)?;
        let caller = caller.clone().with_reason(Some(reason.to_owned()));
        let admin = self.admin(slug)?.as_ref();
        crate::service::restore::restore_deleted(
            &self.db,
            caller.context(),
            &self.registry,
            admin,
            seq,
            self.restore_window,
        )
        .await
    }
}
