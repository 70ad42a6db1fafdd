//! What an action would do, before it runs: the records it would touch and those it
//! would skip ([`Preview`]), and a trial ([`Trial`]): the action run for real on the
//! first [`TRIAL_RUNS`] records in a transaction that the caller always rolls back,
//! giving each record's changes field by field and the effects the run scheduled.
//!
//! A trial uses up nothing: it writes no audit entry (so no sequence number), no
//! run row, no idempotency key and no effect; [`RunContext::is_preview`] tells the
//! action, and [`RunContext::record`] records nothing.

use std::collections::HashMap;

use sea_orm::{DatabaseTransaction, EntityTrait};

use super::dynamic::{ActionAdmin, tally};
use super::{Action, Outcome, Report, RunContext};
use crate::audit;
use crate::kernel::error::{Error, Result};
use crate::kernel::field::Cell;
use crate::kernel::model::{ActiveModelOf, AdminModel, EntityOf};
use crate::kernel::record::Record;

/// How many records a trial runs; the other ready records are only counted.
pub const TRIAL_RUNS: usize = 25;

/// A record that cannot take the action, and why.
#[derive(Clone, Debug)]
pub struct BlockedRecord {
    /// The record.
    pub record: Record,
    /// Why, in English.
    pub reason: String,
    /// Why, as a message screens translate, when the action gave one.
    pub message: Option<crate::kernel::message::Message>,
}

/// What an action would do to the selected records.
#[derive(Clone, Debug)]
pub struct Preview {
    /// Records that will be acted on.
    pub ready: Vec<Record>,
    /// Records that will be skipped, with reasons.
    pub blocked: Vec<BlockedRecord>,
    /// Keys that match no record.
    pub missing: Vec<String>,
    /// The action run on the first ready records and rolled back: `None` when it was
    /// not tried (no input given yet, or none of the records is ready).
    pub trial: Option<Trial>,
    /// Why the trial failed, when the action refused to run on the first records:
    /// running it for real would fail the same way.
    pub trial_failed: Option<String>,
}

impl Preview {
    /// The ready records the trial did not run, only counted ("475 more will be
    /// run the same way").
    #[must_use]
    pub fn not_tried(&self) -> usize {
        self.trial.as_ref().map_or(0, |t| self.ready.len().saturating_sub(t.records.len()))
    }
}

/// One field a run changes, as staff read it ("Manual review: no → yes").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldChange {
    /// The field's index in the model's fields.
    pub field: usize,
    /// The field's label.
    pub label: &'static str,
    /// The value before, as shown (choices by label, booleans as yes/no).
    pub before: String,
    /// The value after, as shown.
    pub after: String,
}

/// What the trial run did to one record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordTrial {
    /// The record's key.
    pub key: String,
    /// Done with its note, or skipped by the run itself with its reason.
    pub outcome: Outcome,
    /// The fields it changed (empty when skipped).
    pub changes: Vec<FieldChange>,
}

/// The action run for real on the first [`TRIAL_RUNS`] ready records, then rolled
/// back.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Trial {
    /// Each record run, in the order selected.
    pub records: Vec<RecordTrial>,
    /// What each effect the run scheduled would do ("Send the welcome email to …").
    pub effects: Vec<String>,
}

/// The fields that differ between `before` and `after`, shown as staff see them;
/// those whose shown values are the same are left out.
fn field_changes(
    meta: &crate::kernel::model::ModelMeta,
    before: &[Cell],
    after: &[Cell],
) -> Vec<FieldChange> {
    before
        .iter()
        .zip(after)
        .enumerate()
        .filter(|(_, (b, a))| b != a)
        .map(|(i, (b, a))| {
            let f = &meta.fields[i];
            FieldChange { field: i, label: f.label, before: f.display(b), after: f.display(a) }
        })
        // A change too small to show (a time within the same minute) would read as
        // no change at all.
        .filter(|c| c.before != c.after)
        .collect()
}

impl<A: Action> ActionAdmin<A>
where
    EntityOf<A::Model>: EntityTrait<Model = A::Model>,
    ActiveModelOf<A::Model>: Send + Sync,
{
    /// Runs the action on the records of `keys` in `txn` as a preview (the caller
    /// rolls `txn` back) and reads what it changed.
    pub(super) async fn trial_run(
        &self,
        txn: &DatabaseTransaction,
        ctx: &audit::Context,
        keys: &[String],
        input: &serde_json::Value,
    ) -> Result<Trial> {
        let meta = A::Model::meta();
        let input = self.input(input)?;
        let actor = ctx.actor.as_ref().ok_or(Error::Unauthenticated)?;
        let (models, missing) = self.load(txn, keys, false, &crate::access::scope::RowScope::All).await?;
        let mut report = Report::default();
        for k in missing {
            report
                .skipped
                .push((k, format!("There is no {} with this id any more.", meta.label.to_lowercase())));
        }
        let (ready, before) = self.checked(txn, models, &mut report).await?;
        let run_ctx = RunContext::new(txn, actor, ctx.reason.as_deref(), ctx.request_id.as_deref(), true);
        let order: Vec<String> = ready.iter().map(|m| m.cell(meta.pk).form_value()).collect();
        let outcomes = self.action.run_many(&run_ctx, ready, &input).await?;
        let done = tally(A::NAME, order, outcomes, &mut report)?;
        let (after, _) = self.load(txn, &done, false, &crate::access::scope::RowScope::All).await?;
        let after: HashMap<String, Vec<Cell>> =
            after.iter().map(|m| (m.cell(meta.pk).form_value(), Self::cells(m))).collect();
        let mut outcome: HashMap<String, Outcome> = report
            .done
            .into_iter()
            .map(|(k, note)| (k, Outcome::Done(note)))
            .chain(report.skipped.into_iter().map(|(k, why)| (k, Outcome::Skipped(why))))
            .collect();
        let records = keys
            .iter()
            .filter_map(|k| {
                let outcome = outcome.remove(k)?;
                let changes = match (&outcome, before.get(k), after.get(k)) {
                    (Outcome::Done(_), Some(b), Some(a)) => field_changes(meta, b, a),
                    _ => Vec::new(),
                };
                Some(RecordTrial { key: k.clone(), outcome, changes })
            })
            .collect();
        let effects = run_ctx.take_effects().into_iter().map(|e| e.summary).collect();
        Ok(Trial { records, effects })
    }
}
