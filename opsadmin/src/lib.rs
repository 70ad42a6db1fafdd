//! opsadmin: an ops console for sea-orm entities. One dependency brings the derives,
//! the door every caller goes through ([`Service`], with a [`Caller`]), actions,
//! roles and the web screens ([`web`]). [`prelude`] holds what most applications
//! import.
//!
//! ```
//! use opsadmin::{AdminModel, Registry, web};
//! use sea_orm::entity::prelude::*;
//!
//! #[derive(Clone, Debug, PartialEq, DeriveEntityModel, AdminModel)]
//! #[sea_orm(table_name = "customer")]
//! #[admin(search(email), filters(vip))]
//! pub struct Model {
//!     #[sea_orm(primary_key)]
//!     pub id: i64,
//!     pub email: String,
//!     pub vip: bool,
//! }
//! # #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
//! # pub enum Relation {}
//! # impl ActiveModelBehavior for ActiveModel {}
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let db = sea_orm::Database::connect("sqlite::memory:").await?;
//! opsadmin::migration::migrate(&db).await?; // the admin's own tables
//! let state = web::AdminState::new(db, Registry::new().register::<Model>());
//! let app: axum::Router = axum::Router::new().merge(web::router()).with_state(state);
//! assert_eq!(Model::meta().label_plural, "Customers");
//! # let _ = app;
//! # Ok(())
//! # }
//! ```
//!
//! The guide, in `docs/src/` of the repository (an mdBook), walks through the rest:
//! actions, plugins, permissions, audit, approvals, sign-in, deployment and the
//! security model. Its samples are compiled as this crate's doc tests.

pub use admin_core::access::ConfigError;
pub use admin_core::access::{Staff, limit::Limit, permission::Roles, scope::Scope};
pub use admin_core::kernel::display::{Display, DisplayPart, ForeignNames};
pub use admin_core::kernel::error::{Denial, Error, FieldError, Result};
pub use admin_core::kernel::field::{AdminChoices, AdminField, Cell, Choice, FieldKind};
pub use admin_core::kernel::form::{Fieldset, Widget};
pub use admin_core::kernel::model::{AdminModel, FieldMeta, ModelMeta};
pub use admin_core::kernel::record::{FormData, Record};
pub use admin_core::registry::{Plugin, Registry, RegistryBuilder};
pub use admin_core::service::{Caller, Service};
pub use admin_core::{register_action, sea_orm};
pub use admin_derive::{ActionInput, AdminChoices, AdminModel};

/// What most applications import: `use opsadmin::prelude::*;`.
pub mod prelude {
    pub use crate::action::{Action, Blocked, Outcome, Policy, RunContext};
    pub use crate::{
        ActionInput, AdminChoices, AdminModel, Caller, Error, FieldError, Registry, Result, Roles, Service,
        register_action,
    };
}

/// Actions: the trait an operation implements, its policy (reason, batch limit,
/// approval, recent sign-in) and what a run reports.
pub mod action {
    pub use admin_core::action::{
        Action, ActionInput, Blocked, BlockedRecord, DynAction, NoInput, Outcome, Policy, Preview, Report,
        RunContext, Undo,
    };
    /// An effect a run schedules with [`RunContext::schedule`].
    pub use admin_core::kernel::effect::Effect;
    /// A translatable sentence ([`Blocked::message`]): a message id, its arguments
    /// and the English text.
    pub use admin_core::kernel::message::{Message, MessageArg};
}

/// Effects carried out after an action's run commits: the handler a kind of effect
/// needs (register it with `Registry::effect_handler`), what it answers, and what
/// the worker did.
pub mod effect {
    pub use admin_core::effect::{
        Done, EffectHandler, EffectWrite, Failure, LEASE, MAX_ATTEMPTS, Settled, StoredEffect, WORKER, Work,
    };
    /// The future a handler's methods return.
    pub use admin_core::kernel::BoxFuture;
    pub use admin_core::kernel::effect::Effect;
}

/// Background jobs: an action over more records than one run takes, fixed when
/// it is asked for ([`Service::start_job`]) and run in chunks by the worker
/// ([`Service::work_jobs_once_until`]); CSV imports with a preview
/// ([`Service::start_import`]) and exports to a file ([`Service::start_export_job`]);
/// where one stands ([`job::Job`]) and the changes staff make to it
/// ([`Service::change_job`]).
pub mod job {
    pub use admin_core::job::control::Change;
    pub use admin_core::job::files::ImportSummary;
    pub use admin_core::job::import::{IMPORT_MAX_BYTES, IMPORT_MAX_ROWS, ImportFields, ImportSpec};
    pub use admin_core::job::worker::Work;
    pub use admin_core::job::{CHUNK, Filter, Job, JobItem, JobKind, JobState};
    pub use admin_core::service::{JOBS_MANAGE_REFUSED, JobRequest, JobStarted};
}

/// The door: [`Service`] and [`Caller`], and the
/// requests and answers of its methods.
pub mod service {
    /// What one call of [`Service::work_approvals_once`] did (a worker of your own
    /// loops over it).
    pub use admin_core::approval::Work;
    /// Where a caller stands with a limit of their roles ([`Service::limit_status`]).
    pub use admin_core::limits::LimitStatus;
    pub use admin_core::service::{
        ActionRequest, ActionResult, AuditedWrite, Caller, DeletePlan, EXPORT_LIMIT, FieldBack, FieldRestore,
        JobRequest, JobStarted, LOOKUP_LIMIT, RESTORE_WINDOW_DAYS, RecordBack, RelatedRows, RestorePlan,
        Service, Suggestion, Suggestions, UndoPlan, UndoPreview,
    };
    /// A list edited in place ([`Service::review_list_edit`], [`Service::save_list_edit`]).
    pub use admin_core::service::{FieldChange, LIST_EDIT_MAX, ListEditReview, RowEdit, RowReview, RowState};
}

/// Custom pages and dashboard tiles: a [`pages::Page`] inside the admin's layout
/// and nav, the request its code gets (the door and the caller) and what it
/// answers; a [`pages::Tile`] on the dashboard, counting a list or with a function
/// of your own. Add them with [`RegistryBuilder::page`] and [`RegistryBuilder::tile`].
pub mod pages {
    pub use admin_core::registry::{
        Page, PageContent, PageHandler, PageMethod, PageRequest, Tile, TileCounter, Visit,
    };
    pub use admin_core::service::{TileCount, TileLink};
}

/// Sign-in: the rules (sessions, throttling, roles), the credentials the
/// authenticator accepts, and creating the first staff user.
pub mod auth {
    /// The rules a new password must meet, for a form of your own that sets one.
    pub use admin_core::auth::check_new_password;
    pub use admin_core::auth::{
        AuthConfig, Authentication, Credential, Identity, MIN_PASSWORD_LEN, Proof, SessionPolicy,
        ThrottlePolicy, count_users, create_user, random_hex,
    };
}

/// The audit log's hash chain: checking it, and checkpoints kept elsewhere.
pub mod audit {
    pub use admin_core::audit::{
        Checkpoint, Filter, Verdict, checkpoint, parse_checkpoints, verify, verify_against,
    };
}

/// Lists: the query a list screen parses, and the tuning of counts and deep pages.
pub mod list {
    pub use admin_core::list::count::ListTuning;
    pub use admin_core::list::index_advice::{Advice, advise, warn};
    pub use admin_core::list::query::{ListQuery, ListResult};
}

/// The admin's own tables: creating and upgrading them at start-up, and the
/// start-up transaction (one instance at a time) for the application's own.
pub mod migration {
    pub use admin_core::db::txn::begin_startup;
    pub use admin_core::migration::{LATEST, migrate};
}

/// The web screens: the router, its state and settings, the approval worker, and
/// what a custom page needs (the signed-in request context, the CSRF-checked form).
pub mod web {
    pub use admin_web::extract::Submitted;
    /// The admin's languages: message catalogs, the reader's language and time
    /// zone, and formatting numbers and times for them.
    pub use admin_web::i18n;
    /// Metrics in the Prometheus text format: the recorder, and routers serving it
    /// behind a bearer token or on a listener of its own.
    pub use admin_web::metrics;
    pub use admin_web::session::Ctx;
    /// Sends a custom page's user to confirm their password when their last proof
    /// is older than the session policy allows (and back afterwards).
    pub use admin_web::session::require_recent_auth;
    pub use admin_web::{AdminState, Config, Error, Result, TemplateError, router, router_at, spawn_worker};
}

/// Items the derive macros refer to. Not a public API: it may change in any release.
#[doc(hidden)]
pub use admin_core::__private;

/// The README's example, compiled as a doc test so it cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;

/// This crate's own README (its crates.io page), compiled as a doc test too.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct CrateReadmeDoctests;

/// The guide's pages (`docs/src/*.md`), compiled and run as doc tests so every
/// sample in them keeps working: `cargo test --doc -p opsadmin`.
#[cfg(doctest)]
pub mod guide {
    /// `docs/src/introduction.md`.
    #[doc = include_str!("../../docs/src/introduction.md")]
    pub struct Introduction;

    /// `docs/src/getting-started.md`.
    #[doc = include_str!("../../docs/src/getting-started.md")]
    pub struct GettingStarted;

    /// `docs/src/derive.md`.
    #[doc = include_str!("../../docs/src/derive.md")]
    pub struct Derive;

    /// `docs/src/screens.md`.
    #[doc = include_str!("../../docs/src/screens.md")]
    pub struct Screens;

    /// `docs/src/templates.md`.
    #[doc = include_str!("../../docs/src/templates.md")]
    pub struct Templates;

    /// `docs/src/actions.md`.
    #[doc = include_str!("../../docs/src/actions.md")]
    pub struct Actions;

    /// `docs/src/pages.md`.
    #[doc = include_str!("../../docs/src/pages.md")]
    pub struct Pages;

    /// `docs/src/plugins.md`.
    #[doc = include_str!("../../docs/src/plugins.md")]
    pub struct Plugins;

    /// `docs/src/permissions.md`.
    #[doc = include_str!("../../docs/src/permissions.md")]
    pub struct Permissions;

    /// `docs/src/audit.md`.
    #[doc = include_str!("../../docs/src/audit.md")]
    pub struct Audit;

    /// `docs/src/approvals.md`.
    #[doc = include_str!("../../docs/src/approvals.md")]
    pub struct Approvals;

    /// `docs/src/effects.md`.
    #[doc = include_str!("../../docs/src/effects.md")]
    pub struct Effects;

    /// `docs/src/sessions.md`.
    #[doc = include_str!("../../docs/src/sessions.md")]
    pub struct Sessions;

    /// `docs/src/languages.md`.
    #[doc = include_str!("../../docs/src/languages.md")]
    pub struct Languages;

    /// `docs/src/deployment.md`.
    #[doc = include_str!("../../docs/src/deployment.md")]
    pub struct Deployment;

    /// `docs/src/security.md`.
    #[doc = include_str!("../../docs/src/security.md")]
    pub struct Security;

    /// `docs/src/performance.md`.
    #[doc = include_str!("../../docs/src/performance.md")]
    pub struct Performance;

    /// `docs/src/when-not-to-use.md`.
    #[doc = include_str!("../../docs/src/when-not-to-use.md")]
    pub struct WhenNotToUse;
}
