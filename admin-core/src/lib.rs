//! The core of opsadmin: model metadata, list queries over sea-orm, staff sign-in and
//! the admin's own tables. Web screens live in `admin-web`; most applications depend
//! on the `opsadmin` facade, which re-exports both.
//!
//! ```
//! use admin_core::field::{AdminField, humanize};
//!
//! assert_eq!(humanize("billing_state"), "Billing state");
//! assert_eq!(<Option<i64> as AdminField>::parse_form(""), Ok(None));
//! ```

pub mod action;
pub mod approval;
pub mod audit;
pub mod auth;
pub mod entities;
pub mod error;
pub mod field;
pub mod migration;
pub mod model;
pub mod notes;
pub mod permission;
pub mod query;
pub mod record;
pub mod registry;
pub mod service;
pub mod totp;
pub mod two_factor;
pub mod txn;

pub use auth::Staff;
pub use error::{Error, FieldError, Result};
pub use field::{AdminChoices, AdminField, Cell, Choice, FieldKind};
pub use model::{AdminModel, FieldMeta, ModelMeta};
pub use query::{ListQuery, ListResult};
pub use record::{FormData, Record};
pub use registry::{ModelAdmin, Registry};

/// The sea-orm this crate is built with, for applications that want the same one.
pub use sea_orm;

/// Items the derive macros refer to. Not a public API: it may change in any release.
#[doc(hidden)]
pub mod __private {
    pub use crate::action::ActionInput;
    pub use crate::error::FieldError;
    pub use crate::field::{
        AdminChoices, AdminField, Cell, Choice, FieldKind, choose_one_of, parse_choice,
        parse_optional_choice, required_message, to_value,
    };
    pub use crate::model::{AdminModel, FieldMeta, ModelMeta};
    pub use crate::record::FormData;
    pub use inventory;
    pub use sea_orm;
    pub use serde_json;
}
