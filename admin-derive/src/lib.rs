//! Derives for opsadmin: `#[derive(AdminModel)]` on a sea-orm entity's `Model`,
//! `#[derive(AdminChoices)]` on an enum of allowed values and
//! `#[derive(ActionInput)]` on the typed input of an action. Use them through the
//! `opsadmin` facade, which re-exports all three.
//!
//! ```
//! use admin_derive::{AdminChoices, AdminModel};
//! use sea_orm::entity::prelude::*;
//!
//! #[derive(Clone, Copy, Debug, PartialEq, Eq, AdminChoices)]
//! #[admin(crate = "::admin_core")] // through the facade, leave this out
//! pub enum Plan {
//!     Free,
//!     #[admin(label = "Monthly plan")]
//!     Monthly,
//! }
//!
//! #[derive(Clone, Debug, PartialEq, DeriveEntityModel, AdminModel)]
//! #[sea_orm(table_name = "account")]
//! #[admin(crate = "::admin_core", list_display(id, email, plan), search(email), filters(plan), per_page = 50)]
//! pub struct Model {
//!     #[sea_orm(primary_key)]
//!     pub id: i64,
//!     #[admin(help = "Where we send receipts.")]
//!     pub email: String,
//!     #[admin(choices = Plan)]
//!     pub plan: String,
//! }
//! # #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
//! # pub enum Relation {}
//! # impl ActiveModelBehavior for ActiveModel {}
//!
//! use admin_core::AdminModel as _;
//! let meta = Model::meta();
//! assert_eq!((meta.slug, meta.label_plural, meta.per_page), ("account", "Accounts", 50));
//! assert_eq!(meta.fields[1].help, "Where we send receipts.");
//! assert_eq!(meta.fields[2].choice_label("monthly"), "Monthly plan");
//! ```
//!
//! The generated code names the library by absolute path: `::opsadmin` unless
//! `#[admin(crate = "...")]` says otherwise, as above, where the example depends on
//! `admin-core` directly (as plugin crates do). Every option, with the compile error
//! each mistake gives, is in the guide's derive reference (`docs/src/derive.md`);
//! the UI tests in `tests/ui/` check them.
//!
//! Inside, the derives work like serde's: the input is parsed into a model
//! (`ast`, with the options of `attr`), checked across fields (`check`), then
//! expanded (`expand`). Mistakes are collected with their spans and reported
//! together.

extern crate proc_macro;

mod ast;
mod attr;
mod check;
mod display;
mod expand;
mod form;
mod inlines;
mod list_editable;
mod suggest;
mod symbol;

use proc_macro::TokenStream;
use syn::{DeriveInput, parse_macro_input};

/// Describes a sea-orm `Model` to the admin: implements `AdminModel` with a static
/// `ModelMeta` (fields, labels, list columns, search, filters, ordering, page size).
///
/// Struct options, all optional, in `#[admin(...)]`:
///
/// | option | meaning | default |
/// |---|---|---|
/// | `label = "Account"` | singular label | the table name, humanized |
/// | `label_plural = "Accounts"` | plural label | the label made plural |
/// | `list_display(id, email)` | list columns | every field |
/// | `list_editable(company, manual_review)` | list columns changed in place (in `list_display`, not read-only) | none |
/// | `search(email, company)` | text fields searched by `q` | none |
/// | `filters(plan, locked)` | filters (yes/no, dates, choices, foreign keys, enums) | none |
/// | `readonly(id, billing_state)` | fields never taken from a form | the primary key |
/// | `ordering = "-signup_at, id"` | default order, `-` for descending | `"-{pk}"` |
/// | `per_page = 50` | rows per page, 1 to 1000 | 100 |
/// | `reason_required` | every change needs a reason, kept in the audit log | off |
/// | `crate = "::opsadmin"` | where `__private` lives | `::opsadmin` |
/// | `display = "{company} <{email}>"` | a record's name: field values in braces, `{{`/`}}` for braces | "Account 42" |
/// | `display_with = path::to_fn` | a record's name from `fn(&Record, &ModelMeta) -> String` | "Account 42" |
///
/// Field options: `label = "..."`, `help = "..."`, `choices = Plan` (a type with
/// `AdminChoices`, on `String` or `Option<String>` fields), `foreign_key = "account"`
/// (on integer fields), the flags `readonly` and `reason_required` (changing this
/// field needs a reason), and `hidden_for(viewer, "support-lead")` and
/// `readonly_for(support)`: the roles (identifiers or strings) that do not see the
/// field, or see it but may not change it.
///
/// The struct needs `#[sea_orm(table_name = "...")]` (the table name is the model's
/// slug) and exactly one `#[sea_orm(primary_key)]` field. Fields with
/// `#[sea_orm(ignore)]` and sea-orm relation fields are left out.
#[proc_macro_derive(AdminModel, attributes(admin))]
pub fn derive_admin_model(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand::derive_admin_model(&input).into()
}

/// Makes a struct with named fields the typed input of an action: implements
/// `ActionInput` (the form fields, reading and checking a submitted form, and the
/// JSON kept with approval requests), so no serde derive is needed.
///
/// ```
/// use admin_core::action::ActionInput as _;
/// use admin_core::FormData;
/// use admin_derive::{ActionInput, AdminChoices};
///
/// #[derive(Clone, Copy, Debug, PartialEq, Eq, AdminChoices)]
/// #[admin(crate = "::admin_core")] // through the `opsadmin` facade, leave this out
/// pub enum LockKind {
///     Fraud,
///     #[admin(label = "Asked by the customer")]
///     CustomerRequest,
/// }
///
/// #[derive(Debug, PartialEq, ActionInput)]
/// #[admin(crate = "::admin_core")]
/// pub struct LockInput {
///     #[admin(choices = LockKind)]
///     kind: String,
///     #[admin(help = "Shown to the customer.")]
///     note: Option<String>,
///     #[admin(label = "Refund (cents)")]
///     amount_cents: i64,
///     notify: bool,
/// }
///
/// let form = FormData::from([("kind", "fraud"), ("amount_cents", "1,200")]);
/// let input = LockInput::from_form(&form).unwrap();
/// assert_eq!(input, LockInput { kind: "fraud".into(), note: None, amount_cents: 1200, notify: false });
/// assert_eq!(LockInput::from_json(&input.to_json()), Ok(input));
/// assert_eq!(LockInput::fields()[2].label, "Refund (cents)");
/// ```
///
/// Fields take any type a model column takes (anything with `AdminField`: text,
/// numbers, `bool`, dates, enums with `AdminChoices`, and `Option` of these) and the
/// options `label = "..."`, `help = "..."`, `choices = Type` (on `String` or
/// `Option<String>` fields) and `foreign_key = "account"` (on integer fields). The
/// model-only options `readonly`, `reason_required`, `hidden_for` and `readonly_for`
/// are refused, and so are field names the action form uses itself (`reason`, `ids`,
/// `q`, ...). The struct takes `#[admin(crate = "...")]` like `AdminModel`; it
/// cannot be generic.
///
/// The generated code:
///
/// - `fields()`: a static `FieldMeta` per field, labelled with the field name
///   humanized unless `label` is given.
/// - `from_form(form)`: parses each field's text (a missing field reads as "", or
///   as "0" for a non-nullable `bool`, which an unchecked checkbox leaves out) and
///   returns one `FieldError` per field that is wrong, or the value if none is.
/// - `to_json()`: `{"field": "form text"}`, with `null` for `None`.
/// - `from_json(json)`: reads that object back with the same parsing; also takes
///   `true`/`false` and numbers, refuses unknown fields, and names the field in its
///   message ("amount_cents: Enter a whole number.").
/// - `parse_json(json)`: the same, with one `FieldError` per field that does not
///   fit (what the JSON API answers in `fields`); an unknown field or JSON that is
///   not an object is an error of the whole input.
#[proc_macro_derive(ActionInput, attributes(admin))]
pub fn derive_action_input(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand::derive_action_input(&input).into()
}

/// Makes a fieldless enum a set of choices: implements `AdminChoices` (the values and
/// labels, for `#[admin(choices = ThisEnum)]`) and `AdminField` (so the enum can be a
/// column's type, as a sea-orm `ActiveEnum`).
///
/// A variant's value is `#[admin(value = "...")]`, else sea-orm's
/// `#[sea_orm(string_value = "...")]` or `#[sea_orm(num_value = N)]`, else its name
/// in snake case (`FailedFirstCharge` is `failed_first_charge`). Its label is
/// `#[admin(label = "...")]`, else the value humanized ("Failed first charge"), or
/// for a `num_value` the variant name humanized. The enum takes
/// `#[admin(crate = "...")]` like `AdminModel`.
#[proc_macro_derive(AdminChoices, attributes(admin))]
pub fn derive_admin_choices(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand::derive_admin_choices(&input).into()
}
