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
//! #     reason_required: false, list_editable: &[], fieldsets: &[], display: None, inlines: &[] };
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

mod dynamic;
pub mod idempotency;
mod measure;
mod missing;
mod policy;
mod preview;
mod registration;
pub mod runs;
mod undo;

pub use dynamic::{ActionAdmin, Approval, DynAction, Executed};
pub use measure::Measured;
pub use policy::Policy;
pub use preview::{BlockedRecord, FieldChange, Preview, RecordTrial, TRIAL_RUNS, Trial};
pub use registration::{ActionRegistration, registered, registered_by_package};
pub use undo::Undo;

use std::future::Future;

use sea_orm::{ConnectionTrait, DatabaseTransaction};
use serde::{Deserialize, Serialize};

use crate::access::Staff;
use crate::audit;
pub use crate::audit::Report;
use crate::kernel::effect::Effect;
use crate::kernel::error::{FieldError, Result};
use crate::kernel::model::{AdminModel, FieldMeta};
use crate::kernel::record::FormData;

/// Why a record cannot take an action, in plain words ("Cannot refund: invoice
/// INV-00001234 is already refunded."). Make one with [`Blocked()`] from an English
/// sentence, or with [`Blocked::message`] from a message id and its arguments, which
/// screens show in the viewer's language (the JSON API, the command line and the
/// audit log keep the English text).
///
/// ```
/// use admin_core::action::Blocked;
/// use admin_core::kernel::message::Message;
///
/// let plain = Blocked("Account 7 is locked.".to_owned());
/// assert_eq!(plain.reason(), "Account 7 is locked.");
/// let translatable = Blocked::message(
///     Message::new("account-locked", "Account 7 is locked.").arg("id", 7),
/// );
/// assert_eq!(translatable.reason(), "Account 7 is locked.");
/// assert_eq!(translatable.translatable().map(|m| m.id()), Some("account-locked"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Blocked {
    reason: String,
    message: Option<crate::kernel::message::Message>,
}

/// A [`Blocked`](struct@Blocked) with an English sentence, as `Blocked(format!(...))` has always read.
#[allow(non_snake_case)]
#[must_use]
pub fn Blocked(reason: impl Into<String>) -> Blocked {
    Blocked { reason: reason.into(), message: None }
}

impl Blocked {
    /// A reason screens translate: `message`'s id and arguments, its English text for
    /// every other way out.
    #[must_use]
    pub fn message(message: crate::kernel::message::Message) -> Self {
        Self { reason: message.english().to_owned(), message: Some(message) }
    }

    /// The reason in English.
    #[must_use]
    pub fn reason(&self) -> &str {
        &self.reason
    }

    /// The translatable message, when the action gave one.
    #[must_use]
    pub fn translatable(&self) -> Option<&crate::kernel::message::Message> {
        self.message.as_ref()
    }

    /// The English reason and the translatable message.
    #[must_use]
    pub fn into_parts(self) -> (String, Option<crate::kernel::message::Message>) {
        (self.reason, self.message)
    }
}

impl std::fmt::Display for Blocked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.reason)
    }
}

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
    /// A preview: the transaction is rolled back afterwards, nothing is audited and
    /// no effect is written.
    preview: bool,
    /// The effects the run scheduled, written after it (or listed, in a preview).
    effects: std::sync::Mutex<Vec<Effect>>,
}

impl<'a> RunContext<'a> {
    /// The context of a run (`preview` false) or of a preview in a transaction that
    /// will be rolled back (`preview` true).
    pub(crate) fn new(
        txn: &'a DatabaseTransaction,
        actor: &'a Staff,
        reason: Option<&'a str>,
        request_id: Option<&'a str>,
        preview: bool,
    ) -> Self {
        Self { txn, actor, reason, request_id, preview, effects: std::sync::Mutex::new(Vec::new()) }
    }

    /// Whether this is a preview: the changes are rolled back after it, so the action
    /// must not call an outside system or use up anything here (that is what
    /// [`RunContext::schedule`] is for).
    #[must_use]
    pub fn is_preview(&self) -> bool {
        self.preview
    }

    /// Schedules `effect` to be carried out after the run commits, by the effect
    /// worker, with retries. Written in the run's transaction, so an effect happens
    /// only when its run's changes do; a preview only lists it.
    pub fn schedule(&self, effect: Effect) {
        self.effects.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(effect);
    }

    /// The effects scheduled so far, taken out of the context.
    pub(crate) fn take_effects(&self) -> Vec<Effect> {
        std::mem::take(&mut *self.effects.lock().unwrap_or_else(std::sync::PoisonError::into_inner))
    }

    /// Records a further audit entry in the run's transaction, signed like the
    /// run's own (actor, reason, request id): for an action that also changes a
    /// record of another model. In a preview it records nothing.
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
        if self.preview {
            return Ok(());
        }
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

    /// How a run is undone ([`Undo`]): by default it cannot be ([`Undo::NOT_DECLARED`]),
    /// since only the action knows what else it wrote or set in motion.
    fn undo(&self) -> Undo {
        Undo::NOT_DECLARED
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

    /// What one record moves, for limits on amounts
    /// ([`crate::access::limit::Limit::amount_per_day`]): the currency's code and the
    /// amount in its minor unit (`("EUR", 19_000)` for €190.00). `None` (the default)
    /// counts nothing.
    fn amount(&self, _record: &Self::Model, _input: &Self::Input) -> Option<(String, i64)> {
        None
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
