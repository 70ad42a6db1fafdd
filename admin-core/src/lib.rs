//! The core of opsadmin: model metadata, list queries over sea-orm, the action and
//! service layer, permissions, the audit log, approvals, staff sign-in and the
//! admin's own tables. It has no web code: the screens live in `admin-web`, and most
//! applications depend on the `opsadmin` facade, which re-exports both with the
//! derives. Plugin crates depend on this crate (and `admin-derive`) alone.
//!
//! The modules are layers, each importing only the ones above it in this list
//! (a test in the repository fails when one reaches up):
//!
//! - [`kernel`]: errors, text limits, field kinds, a model's metadata, a record, the clock;
//! - [`db`]: the admin's own tables, transactions, SQL helpers;
//! - [`access`]: the acting staff member, roles, permissions and field rules;
//! - [`audit`]: the hash-chained log, its queries and its check;
//! - [`notes`]: notes on records and saved list views;
//! - [`list`]: list queries, counts, keyset pages, the search index;
//! - [`auth`]: passwords, sessions, throttling, tokens, two-factor sign-in, and the
//!   one authenticator;
//! - [`effect`]: effects an action schedules (mail, HTTP calls), written with its
//!   run and carried out once after commit by the effect worker;
//! - [`action`]: the `Action` trait, its policy, running it on a batch;
//! - [`registry`]: the site (Django's `AdminSite`): models, their admins, actions;
//! - [`approval`]: the second person's decision and the worker;
//! - [`job`]: background jobs, an action over a fixed selection run in chunks;
//! - [`service`]: the door, [`service::Service`], which every caller goes through
//!   with a [`service::Caller`];
//! - [`migration`]: creating and upgrading the admin's tables.
//!
//! ```
//! use admin_core::access::permission::Roles;
//! use admin_core::kernel::field::{AdminField, humanize};
//!
//! assert_eq!(humanize("billing_state"), "Billing state");
//! assert_eq!(<Option<i64> as AdminField>::parse_form(""), Ok(None));
//! assert_eq!(i32::parse_form("12a"), Err("Enter a whole number.".to_owned()));
//!
//! let roles = Roles::new().role("support", "Answers customers", &["account.view", "*.action.retry"]);
//! let support = roles.permissions_of(&["support".to_owned()]);
//! assert!(support.allows("account.view") && support.allows("email_job.action.retry"));
//! assert!(!support.allows("account.change"));
//! ```

pub mod access;
pub mod action;
pub mod approval;
pub mod audit;
pub mod auth;
pub mod db;
pub mod effect;
pub mod job;
pub mod kernel;
pub mod limits;
pub mod list;
pub mod migration;
pub mod notes;
pub mod registry;
pub mod service;

pub use access::Staff;
pub use kernel::display::{Display, DisplayPart, ForeignNames};
pub use kernel::error::{Error, FieldError, Result};
pub use kernel::field::{AdminChoices, AdminField, Cell, Choice, FieldKind};
pub use kernel::form::{Fieldset, Widget};
pub use kernel::model::{AdminModel, FieldMeta, InlineMeta, ModelMeta};
pub use kernel::record::{FormData, Record};
pub use list::query::{ListQuery, ListResult};
pub use registry::Registry;

/// The sea-orm this crate is built with, for applications that want the same one.
pub use sea_orm;

/// Items the derive macros refer to. Not a public API: it may change in any release.
#[doc(hidden)]
pub mod __private {
    pub use crate::action::{ActionInput, first_error_text};
    pub use crate::kernel::display::{Display, DisplayPart};
    pub use crate::kernel::error::FieldError;
    pub use crate::kernel::field::{
        AdminChoices, AdminField, Cell, Choice, CurrencyText, FieldKind, MoneyCurrency, choose_one_of,
        money_cell, parse_blank_text, parse_choice, parse_optional_choice, required_message, to_value,
    };
    pub use crate::kernel::form::{Fieldset, Widget};
    pub use crate::kernel::model::{AdminModel, FieldMeta, InlineMeta, ModelMeta};
    pub use crate::kernel::record::FormData;
    pub use crate::kernel::text;
    pub use inventory;
    pub use sea_orm;
    pub use serde_json;
}
