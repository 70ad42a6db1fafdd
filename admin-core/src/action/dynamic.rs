//! Actions of any type: [`DynAction`], the object-safe face the registry and the
//! screens use, and [`ActionAdmin`], its bridge from a typed [`Action`].

use std::collections::HashMap;
use std::marker::PhantomData;

use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, EntityTrait,
    QueryFilter, QuerySelect, Value,
};

use super::preview::{BlockedRecord, Preview, Trial};
use super::{Action, ActionInput, Outcome, Policy, Report, RunContext, Undo};
use crate::access::scope::RowScope;
use crate::audit;
use crate::kernel::error::{Error, FieldError, Result};
use crate::kernel::field::Cell;
use crate::kernel::model::{ActiveModelOf, AdminModel, EntityOf, FieldMeta, ModelMeta};
use crate::kernel::record::{FormData, Record};
use crate::kernel::{BoxFuture, Changes};

/// Whether a run may go ahead without asking [`Action::needs_approval`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Approval {
    /// Ask the action's rule; a request that needs approval does not run.
    Ask,
    /// A second person approved this request: run it.
    Granted,
}

/// What [`DynAction::execute`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Executed {
    /// It ran; what it did to each record.
    Ran(Report),
    /// Nothing ran: the request needs approval. The caller rolls the transaction
    /// back and queues the request.
    NeedsApproval,
}

/// An action of any type, for the registry and the screens.
pub trait DynAction: Send + Sync {
    /// The model's description.
    fn model(&self) -> &'static ModelMeta;
    /// The action's name.
    fn name(&self) -> &'static str;
    /// The button label.
    fn label(&self) -> &'static str;
    /// One sentence on what it does.
    fn description(&self) -> &'static str;
    /// The policy.
    fn policy(&self) -> Policy;
    /// How a run is undone.
    fn undo(&self) -> Undo;
    /// The input form's fields.
    fn input_fields(&self) -> &'static [FieldMeta];
    /// Reads and validates the input form, giving it back as JSON.
    ///
    /// # Errors
    /// One message per wrong field.
    fn parse_input(&self, form: &FormData) -> std::result::Result<serde_json::Value, Vec<FieldError>>;
    /// Checks JSON input (from the API or an approval request).
    ///
    /// # Errors
    /// One message per field that does not fit, named by field, as
    /// [`ActionInput::parse_json`] gives them.
    fn check_input(&self, input: &serde_json::Value) -> std::result::Result<(), Vec<FieldError>>;
    /// The input as the action reads it: parsed through its input type and written
    /// back, so only what the action takes is kept (for approval requests). By
    /// default the input as given, once [`DynAction::check_input`] accepts it.
    ///
    /// # Errors
    /// One message per field that does not fit, as [`DynAction::check_input`].
    fn normalize_input(
        &self,
        input: &serde_json::Value,
    ) -> std::result::Result<serde_json::Value, Vec<FieldError>> {
        self.check_input(input).map(|()| input.clone())
    }
    /// Loads the records and checks each one (no trial: [`Preview::trial`] is
    /// `None`).
    fn preview<'a>(
        &'a self,
        db: &'a DatabaseConnection,
        keys: &'a [String],
    ) -> BoxFuture<'a, Result<Preview>>;
    /// Runs the action for real on the records of `keys` in `txn`, as a preview
    /// ([`RunContext::is_preview`]), and reads what it changed; writes no audit
    /// entry, run or effect. The caller always rolls `txn` back.
    ///
    /// # Errors
    /// `BadRequest` when `input` does not fit; any error from the action's checks
    /// or run.
    fn trial<'a>(
        &'a self,
        txn: &'a DatabaseTransaction,
        ctx: &'a audit::Context,
        keys: &'a [String],
        input: &'a serde_json::Value,
    ) -> BoxFuture<'a, Result<Trial>>;
    /// The records of `keys` that pass their checks, loaded (and locked) in `txn`, with
    /// what each moves ([`Action::amount`]): what a run or a request counts against
    /// the caller's limits.
    fn measure<'a>(
        &'a self,
        txn: &'a DatabaseTransaction,
        keys: &'a [String],
        input: &'a serde_json::Value,
    ) -> BoxFuture<'a, Result<Vec<super::Measured>>>;
    /// Loads (and locks) the records in `txn`, checks them, asks whether the request
    /// needs approval (unless `approval` is [`Approval::Granted`]), runs the action
    /// on those that pass, and writes one audit entry per changed record, all in
    /// `txn`. With [`Executed::NeedsApproval`] it has written nothing. A record
    /// outside `scope` (the caller's row-level scope, read in `txn`) is skipped as
    /// one that is not there.
    #[allow(clippy::too_many_arguments)] // each is a distinct input of one run
    fn execute<'a>(
        &'a self,
        txn: &'a DatabaseTransaction,
        ctx: &'a audit::Context,
        keys: &'a [String],
        input: &'a serde_json::Value,
        approval: Approval,
        scope: &'a RowScope,
    ) -> BoxFuture<'a, Result<Executed>>;
}

/// The bridge from a typed [`Action`] to [`DynAction`].
pub struct ActionAdmin<A: Action> {
    pub(super) action: A,
    pk_column: <EntityOf<A::Model> as EntityTrait>::Column,
    _a: PhantomData<fn() -> A>,
}

impl<A: Action> ActionAdmin<A>
where
    EntityOf<A::Model>: EntityTrait<Model = A::Model>,
{
    /// Wraps an action.
    ///
    /// # Panics
    /// If the model's primary key has no column of its name (the derive guarantees
    /// it has).
    #[must_use]
    pub fn new(action: A) -> Self {
        let meta = A::Model::meta();
        let pk_column = meta
            .pk_field()
            .name
            .parse()
            .unwrap_or_else(|_| panic!("model `{}` has no column `{}`", meta.slug, meta.pk_field().name));
        Self { action, pk_column, _a: PhantomData }
    }

    fn record(m: &A::Model) -> Record {
        let cells = Self::cells(m);
        Record::new(cells[A::Model::meta().pk].form_value(), cells)
    }

    /// Every field's value, for the audit diffs (no version fingerprint needed).
    pub(super) fn cells(m: &A::Model) -> Vec<Cell> {
        (0..A::Model::meta().fields.len()).map(|i| m.cell(i)).collect()
    }

    /// Loads the records for `keys`, in the order given; unknown keys come back apart.
    pub(super) async fn load<C: ConnectionTrait>(
        &self,
        conn: &C,
        keys: &[String],
        lock: bool,
        scope: &RowScope,
    ) -> Result<(Vec<A::Model>, Vec<String>)> {
        let meta = A::Model::meta();
        let values: Vec<Value> = keys.iter().filter_map(|k| A::Model::parse_value(meta.pk, k).ok()).collect();
        let mut found: HashMap<String, A::Model> = HashMap::new();
        // Chunks keep the statement's parameter count within every database's limit.
        for chunk in values.chunks(500) {
            let mut q = EntityOf::<A::Model>::find().filter(self.pk_column.is_in(chunk.to_vec()));
            if let Some(only) = scope.condition() {
                q = q.filter(only);
            }
            if lock && conn.get_database_backend() == DbBackend::Postgres {
                q = q.lock_exclusive();
            }
            for m in q.all(conn).await? {
                found.insert(m.cell(meta.pk).form_value(), m);
            }
        }
        let mut models = Vec::new();
        let mut missing = Vec::new();
        for k in keys {
            match found.remove(k) {
                Some(m) => models.push(m),
                None if !models.iter().any(|m: &A::Model| m.cell(meta.pk).form_value() == *k) => {
                    missing.push(k.clone())
                }
                None => {}
            }
        }
        Ok((models, missing))
    }

    pub(super) fn input(&self, json: &serde_json::Value) -> Result<A::Input> {
        A::Input::from_json(json)
            .map_err(|m| Error::BadRequest(format!("The action's input does not fit: {m}")))
    }

    /// The records the action's check lets through, with every field's value before
    /// the run; the others go to `report` as skipped, with the check's reason.
    pub(super) async fn checked(
        &self,
        txn: &DatabaseTransaction,
        models: Vec<A::Model>,
        report: &mut Report,
    ) -> Result<(Vec<A::Model>, HashMap<String, Vec<Cell>>)> {
        let meta = A::Model::meta();
        let mut ready = Vec::with_capacity(models.len());
        let mut before: HashMap<String, Vec<Cell>> = HashMap::new();
        for m in models {
            let key = m.cell(meta.pk).form_value();
            if let Err(blocked) = self.action.check_async(txn, &m).await? {
                report.skipped.push((key, blocked.into_parts().0));
                continue;
            }
            before.insert(key, Self::cells(&m));
            ready.push(m);
        }
        Ok((ready, before))
    }

    /// The audit diff of each record in `done`: its fields `before` the run and as
    /// the action left them (read in one query), with the input as `_input`.
    async fn diffs(
        &self,
        txn: &DatabaseTransaction,
        done: &[String],
        before: &HashMap<String, Vec<Cell>>,
        input_json: &serde_json::Value,
    ) -> Result<Vec<serde_json::Value>> {
        let meta = A::Model::meta();
        let (after, _) = self.load(txn, done, false, &RowScope::All).await?;
        let after: HashMap<String, Vec<Cell>> =
            after.iter().map(|m| (m.cell(meta.pk).form_value(), Self::cells(m))).collect();
        let mut diffs = Vec::with_capacity(done.len());
        for key in done {
            let changes: Changes = match (before.get(key), after.get(key)) {
                (Some(b), Some(a)) => crate::kernel::changes(b, a),
                _ => Vec::new(),
            };
            let mut diff = audit::diff_json(meta, &changes);
            if let (serde_json::Value::Object(map), serde_json::Value::Object(inp)) = (&mut diff, input_json)
                && !inp.is_empty()
            {
                map.insert("_input".to_owned(), serde_json::Value::Object(inp.clone()));
            }
            diffs.push(diff);
        }
        Ok(diffs)
    }
}

impl<A: Action> DynAction for ActionAdmin<A>
where
    EntityOf<A::Model>: EntityTrait<Model = A::Model>,
    ActiveModelOf<A::Model>: Send + Sync,
{
    fn model(&self) -> &'static ModelMeta {
        A::Model::meta()
    }
    fn name(&self) -> &'static str {
        A::NAME
    }
    fn label(&self) -> &'static str {
        A::LABEL
    }
    fn description(&self) -> &'static str {
        A::DESCRIPTION
    }
    fn policy(&self) -> Policy {
        self.action.policy()
    }
    fn undo(&self) -> Undo {
        self.action.undo()
    }
    fn input_fields(&self) -> &'static [FieldMeta] {
        A::Input::fields()
    }
    fn parse_input(&self, form: &FormData) -> std::result::Result<serde_json::Value, Vec<FieldError>> {
        A::Input::from_form(form).map(|i| i.to_json())
    }
    fn check_input(&self, input: &serde_json::Value) -> std::result::Result<(), Vec<FieldError>> {
        A::Input::parse_json(input).map(|_| ())
    }
    fn normalize_input(
        &self,
        input: &serde_json::Value,
    ) -> std::result::Result<serde_json::Value, Vec<FieldError>> {
        A::Input::parse_json(input).map(|i| i.to_json())
    }

    fn preview<'a>(
        &'a self,
        db: &'a DatabaseConnection,
        keys: &'a [String],
    ) -> BoxFuture<'a, Result<Preview>> {
        Box::pin(async move {
            let (models, missing) = self.load(db, keys, false, &RowScope::All).await?;
            let mut ready = Vec::new();
            let mut blocked = Vec::new();
            for m in &models {
                match self.action.check_async(db, m).await? {
                    Ok(()) => ready.push(Self::record(m)),
                    Err(why) => {
                        let (reason, message) = why.into_parts();
                        blocked.push(BlockedRecord { record: Self::record(m), reason, message });
                    }
                }
            }
            Ok(Preview { ready, blocked, missing, trial: None, trial_failed: None })
        })
    }

    fn trial<'a>(
        &'a self,
        txn: &'a DatabaseTransaction,
        ctx: &'a audit::Context,
        keys: &'a [String],
        input: &'a serde_json::Value,
    ) -> BoxFuture<'a, Result<Trial>> {
        Box::pin(self.trial_run(txn, ctx, keys, input))
    }

    fn measure<'a>(
        &'a self,
        txn: &'a DatabaseTransaction,
        keys: &'a [String],
        input: &'a serde_json::Value,
    ) -> BoxFuture<'a, Result<Vec<super::Measured>>> {
        Box::pin(super::measure::measure(self, txn, keys, input))
    }

    fn execute<'a>(
        &'a self,
        txn: &'a DatabaseTransaction,
        ctx: &'a audit::Context,
        keys: &'a [String],
        input: &'a serde_json::Value,
        approval: Approval,
        scope: &'a RowScope,
    ) -> BoxFuture<'a, Result<Executed>> {
        Box::pin(async move {
            let meta = A::Model::meta();
            let input = self.input(input)?;
            let actor = ctx.actor.as_ref().ok_or(Error::Unauthenticated)?;
            let (models, missing) = self.load(txn, keys, true, scope).await?;
            let mut report = Report::default();
            for k in missing.iter().cloned() {
                report
                    .skipped
                    .push((k, format!("There is no {} with this id any more.", meta.label.to_lowercase())));
            }
            let (ready, before) = self.checked(txn, models, &mut report).await?;
            if approval == Approval::Ask && self.action.needs_approval(txn, &ready, &input).await? {
                // A request for records that do not exist is not worth a second
                // person's time: refuse it rather than queue it.
                if !missing.is_empty() {
                    return Err(Error::NotFound(super::missing::missing_sentence(meta, &missing)));
                }
                return Ok(Executed::NeedsApproval);
            }
            let run_ctx =
                RunContext::new(txn, actor, ctx.reason.as_deref(), ctx.request_id.as_deref(), false);
            let keys_in_order: Vec<String> = ready.iter().map(|m| m.cell(meta.pk).form_value()).collect();
            let outcomes = self.action.run_many(&run_ctx, ready, &input).await?;
            let done = tally(A::NAME, keys_in_order, outcomes, &mut report)?;
            let diffs = self.diffs(txn, &done, &before, &input.to_json()).await?;
            let kind = format!("action:{}", A::NAME);
            let events = done
                .iter()
                .zip(diffs)
                .map(|(key, changes)| audit::Event {
                    kind: &kind,
                    model: Some(meta.slug),
                    object_id: Some(key),
                    changes,
                })
                .collect();
            report.audit_seqs = audit::record_many(txn, ctx, events).await?;
            let effects = run_ctx.take_effects();
            let input_json = input.to_json();
            let run = super::runs::NewRun {
                actor_id: actor.id,
                model: meta.slug,
                action: A::NAME,
                reason: ctx.reason.as_deref(),
                request_id: ctx.request_id.as_deref(),
                input: &input_json,
                undo_of: None,
            };
            let run_id = super::runs::record(txn, &run, &report).await?;
            report.run_id = Some(run_id);
            // The effects commit with the run, or not at all; the worker carries
            // them out after commit.
            crate::effect::write(txn, run_id, &effects).await?;
            Ok(Executed::Ran(report))
        })
    }
}

/// Sorts a run's outcomes (one per key of `keys`, in order) into `report`, and
/// returns the keys of the records the action changed.
pub(super) fn tally(
    action: &str,
    keys: Vec<String>,
    outcomes: Vec<Outcome>,
    report: &mut Report,
) -> Result<Vec<String>> {
    if outcomes.len() != keys.len() {
        return Err(Error::Internal(format!(
            "the action {action} gave {} outcomes for {} records",
            outcomes.len(),
            keys.len()
        )));
    }
    let mut done = Vec::new();
    for (key, outcome) in keys.into_iter().zip(outcomes) {
        match outcome {
            Outcome::Done(note) => {
                report.done.push((key.clone(), note));
                done.push(key);
            }
            Outcome::Skipped(reason) => report.skipped.push((key, reason)),
        }
    }
    Ok(done)
}
