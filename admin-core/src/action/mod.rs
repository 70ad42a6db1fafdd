//! Actions: typed, permission-checked services on selected records.
//!
//! An action declares its model, a typed input, a [`Policy`] (confirmation, reason,
//! largest batch, approval), a per-record [`Action::check`] that explains in plain
//! words why a record is blocked, and a per-record [`Action::run`]. The runtime
//! (`service::run_action`) checks the permission `{model}.action.{name}`,
//! the batch limit and the reason, runs every record in one transaction with one
//! audit entry per changed record, and rolls everything back if any record fails.
//! The screens, the JSON API and scripts all go through that one function.
//!
//! ```
//! use admin_core::action::{Action, Blocked, NoInput, Outcome, Policy, RunContext};
//! # use admin_core::{AdminModel, Cell, FieldMeta, ModelMeta, FieldKind};
//! # mod account {
//! #     use sea_orm::entity::prelude::*;
//! #     #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
//! #     #[sea_orm(table_name = "account")]
//! #     pub struct Model { #[sea_orm(primary_key)] pub id: i64, pub manual_review: bool }
//! #     #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
//! #     pub enum Relation {}
//! #     impl ActiveModelBehavior for ActiveModel {}
//! # }
//! # static FIELDS: [FieldMeta; 0] = [];
//! # static META: ModelMeta = ModelMeta { slug: "account", label: "Account", label_plural: "Accounts",
//! #     fields: &FIELDS, pk: 0, list_display: &[], search: &[], filters: &[], ordering: &[], per_page: 100,
//! #     reason_required: false };
//! # impl AdminModel for account::Model {
//! #     fn meta() -> &'static ModelMeta { &META }
//! #     fn cell(&self, _: usize) -> Cell { Cell::Null }
//! #     fn parse_value(_: usize, _: &str) -> Result<sea_orm::Value, String> { Err(String::new()) }
//! # }
//! use sea_orm::{ActiveModelTrait, ActiveValue::Set, IntoActiveModel};
//!
//! /// "Mark for manual review": finance looks at the account before the next invoice.
//! #[derive(Default)]
//! struct MarkForReview;
//!
//! impl Action for MarkForReview {
//!     type Model = account::Model;
//!     type Input = NoInput;
//!     const NAME: &'static str = "mark_for_manual_review";
//!     const LABEL: &'static str = "Mark for manual review";
//!
//!     fn check(&self, account: &account::Model) -> Result<(), Blocked> {
//!         if account.manual_review {
//!             return Err(Blocked(format!("Account {} is already marked for review.", account.id)));
//!         }
//!         Ok(())
//!     }
//!
//!     async fn run(&self, ctx: &RunContext<'_>, account: account::Model, _: &NoInput) -> admin_core::Result<Outcome> {
//!         let mut am = account.into_active_model();
//!         am.manual_review = Set(true);
//!         am.update(ctx.txn).await?;
//!         Ok(Outcome::Done("marked".into()))
//!     }
//! }
//! admin_core::register_action!(MarkForReview);
//! ```

pub mod idempotency;

use std::collections::HashMap;
use std::future::Future;
use std::marker::PhantomData;

use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, EntityTrait,
    QueryFilter, QuerySelect, Value,
};
use serde::{Deserialize, Serialize};

use crate::access::Staff;
use crate::audit;
pub use crate::audit::Report;
use crate::kernel::error::{Error, FieldError, Result};
use crate::kernel::field::Cell;
use crate::kernel::model::{ActiveModelOf, AdminModel, EntityOf, FieldMeta, ModelMeta};
use crate::kernel::record::{FormData, Record};
use crate::kernel::{BoxFuture, Changes};

/// How careful the screens and the runtime are with an action.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    /// Ask for confirmation on a page that lists the records first (the screens
    /// always show that page; scripts are not asked).
    pub confirm: bool,
    /// A reason must be given; it is kept in every audit entry.
    pub reason_required: bool,
    /// The most records one run may touch.
    pub max_batch: usize,
    /// A second person must approve each request before it runs.
    pub approval: bool,
    /// The permission that approves requests.
    pub approval_permission: &'static str,
    /// Shown as a dangerous button (money, access, or hard to undo).
    pub dangerous: bool,
    /// The user must have proved who they are recently (password again).
    pub recent_auth: bool,
}

impl Policy {
    /// The defaults: confirmation, no reason, at most 500 records, no approval.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            confirm: true,
            reason_required: false,
            max_batch: 500,
            approval: false,
            approval_permission: "approvals.decide",
            dangerous: false,
            recent_auth: false,
        }
    }

    /// Requires a reason.
    #[must_use]
    pub const fn reason_required(mut self) -> Self {
        self.reason_required = true;
        self
    }

    /// Sets the largest batch.
    #[must_use]
    pub const fn max_batch(mut self, n: usize) -> Self {
        self.max_batch = n;
        self
    }

    /// Requires approval by someone else holding `approvals.decide`.
    #[must_use]
    pub const fn approval(mut self) -> Self {
        self.approval = true;
        self
    }

    /// Requires approval by someone else holding `permission`.
    #[must_use]
    pub const fn approval_by(mut self, permission: &'static str) -> Self {
        self.approval = true;
        self.approval_permission = permission;
        self
    }

    /// Marks the action as dangerous (a red button).
    #[must_use]
    pub const fn dangerous(mut self) -> Self {
        self.dangerous = true;
        self
    }

    /// Requires a recent proof of identity.
    #[must_use]
    pub const fn recent_auth(mut self) -> Self {
        self.recent_auth = true;
        self
    }
}

impl Default for Policy {
    fn default() -> Self {
        Self::new()
    }
}

/// Why a record cannot take an action, in plain words ("Cannot refund: invoice
/// INV-00001234 is already refunded.").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Blocked(pub String);

/// What happened to one record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    /// Done; a short note ("requeued", "marked").
    Done(String),
    /// Left alone on purpose, with the reason.
    Skipped(String),
}

/// What `run` gets besides the record: the transaction to write in, who acts, why.
pub struct RunContext<'a> {
    /// The one transaction of this run; write here and only here.
    pub txn: &'a DatabaseTransaction,
    /// Who is acting.
    pub actor: &'a Staff,
    /// The reason given, if any.
    pub reason: Option<&'a str>,
    /// The request that started the run.
    pub request_id: Option<&'a str>,
}

impl RunContext<'_> {
    /// Records a further audit entry in the run's transaction, signed like the
    /// run's own (actor, reason, request id): for an action that also changes a
    /// record of another model.
    ///
    /// # Errors
    /// `Db` when the database fails.
    pub async fn record(
        &self,
        kind: &str,
        model: Option<&str>,
        object_id: Option<&str>,
        changes: serde_json::Value,
    ) -> Result<()> {
        let ctx = audit::Context {
            actor: Some(self.actor.clone()),
            reason: self.reason.map(str::to_owned),
            request_id: self.request_id.map(str::to_owned),
            ..Default::default()
        };
        audit::record(self.txn, &ctx, audit::Event { kind, model, object_id, changes }).await?;
        Ok(())
    }
}

/// The typed input of an action, read from a form (or JSON, for the API and
/// approvals). `#[derive(ActionInput)]` writes it; [`NoInput`] has none.
pub trait ActionInput: Sized + Send + Sync + 'static {
    /// The form fields, as for a model.
    fn fields() -> &'static [FieldMeta];
    /// Reads and validates a form.
    ///
    /// # Errors
    /// One message per field that is wrong.
    fn from_form(form: &FormData) -> std::result::Result<Self, Vec<FieldError>>;
    /// The input as JSON (stored with approval requests).
    fn to_json(&self) -> serde_json::Value;
    /// The input from JSON.
    ///
    /// # Errors
    /// A message when the JSON does not fit, naming the first field that does not
    /// ("amount_cents: Enter a whole number.").
    fn from_json(v: &serde_json::Value) -> std::result::Result<Self, String>;
    /// The input from JSON (the API's, or an approval request's), read like
    /// [`ActionInput::from_form`] reads a form: one [`FieldError`] per field that does
    /// not fit, so the API's `invalid` answer names each field. By default, the
    /// message of [`ActionInput::from_json`] as a form-wide error;
    /// `#[derive(ActionInput)]` gives one error per field.
    ///
    /// # Errors
    /// One message per wrong field (a form-wide one when the JSON is not an object
    /// or names a field the input does not have).
    fn parse_json(v: &serde_json::Value) -> std::result::Result<Self, Vec<FieldError>> {
        Self::from_json(v).map_err(|m| vec![FieldError::form(m)])
    }
}

/// The message of [`ActionInput::from_json`] for the errors of
/// [`ActionInput::parse_json`]: the first one, after its field's name.
#[doc(hidden)]
#[must_use]
pub fn first_error_text(errors: &[FieldError]) -> String {
    match errors.first() {
        Some(FieldError { field: Some(f), message }) => format!("{f}: {message}"),
        Some(FieldError { field: None, message }) => message.clone(),
        None => "the input does not fit".to_owned(),
    }
}

/// The input of an action that needs none.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NoInput;

impl ActionInput for NoInput {
    fn fields() -> &'static [FieldMeta] {
        &[]
    }
    fn from_form(_: &FormData) -> std::result::Result<Self, Vec<FieldError>> {
        Ok(NoInput)
    }
    fn to_json(&self) -> serde_json::Value {
        serde_json::json!({})
    }
    fn from_json(v: &serde_json::Value) -> std::result::Result<Self, String> {
        match v {
            serde_json::Value::Null => Ok(NoInput),
            serde_json::Value::Object(map) if map.is_empty() => Ok(NoInput),
            _ => Err("this action takes no input; leave the input out.".to_owned()),
        }
    }
}

/// A typed action on records of one model.
#[diagnostic::on_unimplemented(
    note = "implement `admin_core::action::Action` for it, then `register_action!` it"
)]
pub trait Action: Default + Send + Sync + 'static {
    /// The model (sea-orm `Model`) it acts on.
    type Model: AdminModel;
    /// Its typed input ([`NoInput`] for none).
    type Input: ActionInput;
    /// The name in URLs and permissions: `mark_for_manual_review`.
    const NAME: &'static str;
    /// The label on buttons: "Mark for manual review".
    const LABEL: &'static str;
    /// One sentence on what it does, for the confirmation page.
    const DESCRIPTION: &'static str = "";

    /// How careful to be.
    fn policy(&self) -> Policy {
        Policy::new()
    }

    /// Whether this record can take the action now; if not, why, in plain words.
    /// Rules that need other rows belong in [`Action::check_async`].
    ///
    /// # Errors
    /// `Blocked` with the reason.
    fn check(&self, _record: &Self::Model) -> std::result::Result<(), Blocked> {
        Ok(())
    }

    /// Like [`Action::check`], with the database at hand, for rules that depend on
    /// other rows ("Cannot retry: a retry is already queued."). The confirmation
    /// page calls it with the connection; a run calls it inside the run's
    /// transaction, after the records were loaded (and locked), so the decision and
    /// the change see the same data. By default it is [`Action::check`].
    ///
    /// # Errors
    /// The outer `Err` when the database fails (the whole request fails); the inner
    /// `Err` is `Blocked` with the reason, as for [`Action::check`].
    fn check_async<C: ConnectionTrait>(
        &self,
        _db: &C,
        record: &Self::Model,
    ) -> impl Future<Output = Result<std::result::Result<(), Blocked>>> + Send {
        let checked = self.check(record);
        async move { Ok(checked) }
    }

    /// Whether this request needs approval (by default: when the policy says so).
    /// Override for a typed rule, e.g. only above an amount, or only for accounts
    /// that were locked for fraud (the database is there to look that up).
    ///
    /// It is asked inside the run's transaction, with the records that passed their
    /// checks as the run loaded (and, on PostgreSQL, locked) them, so the decision
    /// and the change see the same rows and the records are read once. When it
    /// says yes, nothing is changed: the transaction is rolled back and the request
    /// waits for a second person. A request run after its approval is not asked
    /// again.
    ///
    /// # Errors
    /// When the rule cannot be decided (the request is then refused).
    fn needs_approval<C: ConnectionTrait>(
        &self,
        _db: &C,
        _records: &[Self::Model],
        _input: &Self::Input,
    ) -> impl Future<Output = Result<bool>> + Send {
        let required = self.policy().approval;
        async move { Ok(required) }
    }

    /// Does the work for one record, writing only through `ctx.txn`.
    ///
    /// # Errors
    /// Any error rolls back the whole run: every record, every audit entry.
    fn run(
        &self,
        ctx: &RunContext<'_>,
        record: Self::Model,
        input: &Self::Input,
    ) -> impl Future<Output = Result<Outcome>> + Send;

    /// Does the work for every record that passed its checks, writing only through
    /// `ctx.txn`; one outcome per record, in the order given. By default it runs
    /// [`Action::run`] for each in turn. Override it to do the same work in a few
    /// set-based statements (one `UPDATE … WHERE id IN (…)` for a hundred records),
    /// which is what makes a bulk action fast; the checks, the audit entries (one per
    /// changed record) and the transaction stay the framework's.
    ///
    /// # Errors
    /// Any error rolls back the whole run: every record, every audit entry.
    fn run_many(
        &self,
        ctx: &RunContext<'_>,
        records: Vec<Self::Model>,
        input: &Self::Input,
    ) -> impl Future<Output = Result<Vec<Outcome>>> + Send {
        async move {
            let mut outcomes = Vec::with_capacity(records.len());
            for record in records {
                outcomes.push(self.run(ctx, record, input).await?);
            }
            Ok(outcomes)
        }
    }
}

/// A record that cannot take the action, and why.
#[derive(Clone, Debug)]
pub struct BlockedRecord {
    /// The record.
    pub record: Record,
    /// Why.
    pub reason: String,
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
}

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
    /// Loads the records and checks each one.
    fn preview<'a>(
        &'a self,
        db: &'a DatabaseConnection,
        keys: &'a [String],
    ) -> BoxFuture<'a, Result<Preview>>;
    /// Loads (and locks) the records in `txn`, checks them, asks whether the request
    /// needs approval (unless `approval` is [`Approval::Granted`]), runs the action
    /// on those that pass, and writes one audit entry per changed record, all in
    /// `txn`. With [`Executed::NeedsApproval`] it has written nothing.
    fn execute<'a>(
        &'a self,
        txn: &'a DatabaseTransaction,
        ctx: &'a audit::Context,
        keys: &'a [String],
        input: &'a serde_json::Value,
        approval: Approval,
    ) -> BoxFuture<'a, Result<Executed>>;
}

/// The bridge from a typed [`Action`] to [`DynAction`].
pub struct ActionAdmin<A: Action> {
    action: A,
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
    fn cells(m: &A::Model) -> Vec<Cell> {
        (0..A::Model::meta().fields.len()).map(|i| m.cell(i)).collect()
    }

    /// Loads the records for `keys`, in the order given; unknown keys come back apart.
    async fn load<C: ConnectionTrait>(
        &self,
        conn: &C,
        keys: &[String],
        lock: bool,
    ) -> Result<(Vec<A::Model>, Vec<String>)> {
        let meta = A::Model::meta();
        let values: Vec<Value> = keys.iter().filter_map(|k| A::Model::parse_value(meta.pk, k).ok()).collect();
        let mut found: HashMap<String, A::Model> = HashMap::new();
        // Chunks keep the statement's parameter count within every database's limit.
        for chunk in values.chunks(500) {
            let mut q = EntityOf::<A::Model>::find().filter(self.pk_column.is_in(chunk.to_vec()));
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

    fn input(&self, json: &serde_json::Value) -> Result<A::Input> {
        A::Input::from_json(json)
            .map_err(|m| Error::BadRequest(format!("The action's input does not fit: {m}")))
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
            let (models, missing) = self.load(db, keys, false).await?;
            let mut ready = Vec::new();
            let mut blocked = Vec::new();
            for m in &models {
                match self.action.check_async(db, m).await? {
                    Ok(()) => ready.push(Self::record(m)),
                    Err(Blocked(reason)) => blocked.push(BlockedRecord { record: Self::record(m), reason }),
                }
            }
            Ok(Preview { ready, blocked, missing })
        })
    }

    fn execute<'a>(
        &'a self,
        txn: &'a DatabaseTransaction,
        ctx: &'a audit::Context,
        keys: &'a [String],
        input: &'a serde_json::Value,
        approval: Approval,
    ) -> BoxFuture<'a, Result<Executed>> {
        Box::pin(async move {
            let meta = A::Model::meta();
            let input = self.input(input)?;
            let actor = ctx.actor.as_ref().ok_or(Error::Unauthenticated)?;
            let (models, missing) = self.load(txn, keys, true).await?;
            let mut report = Report::default();
            for k in missing.iter().cloned() {
                report
                    .skipped
                    .push((k, format!("There is no {} with this id any more.", meta.label.to_lowercase())));
            }
            let run_ctx = RunContext {
                txn,
                actor,
                reason: ctx.reason.as_deref(),
                request_id: ctx.request_id.as_deref(),
            };
            let kind = format!("action:{}", A::NAME);
            let mut ready = Vec::with_capacity(models.len());
            let mut before: HashMap<String, Vec<Cell>> = HashMap::new();
            for m in models {
                let key = m.cell(meta.pk).form_value();
                if let Err(Blocked(reason)) = self.action.check_async(txn, &m).await? {
                    report.skipped.push((key, reason));
                    continue;
                }
                before.insert(key, Self::cells(&m));
                ready.push(m);
            }
            if approval == Approval::Ask && self.action.needs_approval(txn, &ready, &input).await? {
                // A request for records that do not exist is not worth a second
                // person's time: refuse it rather than queue it.
                if !missing.is_empty() {
                    return Err(Error::NotFound(missing_sentence(meta, &missing)));
                }
                return Ok(Executed::NeedsApproval);
            }
            let keys_in_order: Vec<String> = ready.iter().map(|m| m.cell(meta.pk).form_value()).collect();
            let outcomes = self.action.run_many(&run_ctx, ready, &input).await?;
            if outcomes.len() != keys_in_order.len() {
                return Err(Error::Internal(format!(
                    "the action {} gave {} outcomes for {} records",
                    A::NAME,
                    outcomes.len(),
                    keys_in_order.len()
                )));
            }
            let mut done = Vec::new();
            for (key, outcome) in keys_in_order.into_iter().zip(outcomes) {
                match outcome {
                    Outcome::Done(note) => {
                        report.done.push((key.clone(), note));
                        done.push(key);
                    }
                    Outcome::Skipped(reason) => report.skipped.push((key, reason)),
                }
            }
            // The records as the action left them, for the audit diffs: one query.
            let (after, _) = self.load(txn, &done, false).await?;
            let after: HashMap<String, Vec<Cell>> =
                after.iter().map(|m| (m.cell(meta.pk).form_value(), Self::cells(m))).collect();
            let input_json = input.to_json();
            let mut diffs = Vec::with_capacity(done.len());
            for key in &done {
                let changes: Changes = match (before.get(key), after.get(key)) {
                    (Some(b), Some(a)) => b
                        .iter()
                        .zip(a)
                        .enumerate()
                        .filter(|(_, (b, a))| b != a)
                        .map(|(i, (b, a))| (i, b.clone(), a.clone()))
                        .collect(),
                    _ => Vec::new(),
                };
                let mut diff = audit::diff_json(meta, &changes);
                if let (serde_json::Value::Object(map), serde_json::Value::Object(inp)) =
                    (&mut diff, &input_json)
                    && !inp.is_empty()
                {
                    map.insert("_input".to_owned(), serde_json::Value::Object(inp.clone()));
                }
                diffs.push(diff);
            }
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
            Ok(Executed::Ran(report))
        })
    }
}

/// "There is no invoice with the id 7 or 9; nothing was queued for approval.",
/// naming at most five ids.
fn missing_sentence(meta: &ModelMeta, missing: &[String]) -> String {
    const NAMED: usize = 5;
    let mut ids: Vec<String> = missing.iter().take(NAMED).map(|k| format!("\u{201c}{k}\u{201d}")).collect();
    if missing.len() > NAMED {
        ids.push(format!("{} more", crate::kernel::model::thousands((missing.len() - NAMED) as u64)));
    }
    let list = match ids.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        Some((last, _)) => last.clone(),
        None => String::new(),
    };
    let noun = if missing.len() == 1 { "id" } else { "ids" };
    format!(
        "There is no {} with the {noun} {list}; nothing was queued for approval. Select records that exist and try again.",
        meta.label.to_lowercase()
    )
}

/// How an action is found at start-up: plugins `inventory::submit!` one of these
/// through [`crate::register_action!`].
pub struct ActionRegistration {
    /// Builds the action.
    pub make: fn() -> Box<dyn DynAction>,
}

inventory::collect!(ActionRegistration);

/// Every action registered with [`crate::register_action!`] in any crate linked
/// into the program.
pub fn registered() -> impl Iterator<Item = Box<dyn DynAction>> {
    inventory::iter::<ActionRegistration>.into_iter().map(|r| (r.make)())
}

/// Registers an action type (which implements [`Action`] and `Default`) so the
/// admin finds it at start-up, from any crate.
///
/// A plugin crate's registrations survive linking only if the application uses
/// something of the crate: call a function of it, or write `use my_plugin as _;`
/// and reference one item, as the reference app does with `billing_plugin::link()`.
#[macro_export]
macro_rules! register_action {
    ($action:ty) => {
        $crate::__private::inventory::submit! {
            $crate::action::ActionRegistration {
                make: || ::std::boxed::Box::new($crate::action::ActionAdmin::<$action>::new(
                    <$action as ::core::default::Default>::default(),
                )),
            }
        }
    };
}
