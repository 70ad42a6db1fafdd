//! opsadmin: an ops console for sea-orm entities. One dependency brings the core
//! ([`admin_core`]), the derives and the web screens ([`admin_web`], as [`web`]).
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

pub use admin_core::*;
pub use admin_derive::{ActionInput, AdminChoices, AdminModel};
pub use admin_web as web;

#[doc(hidden)]
pub use admin_core::__private;

/// The README's example, compiled as a doc test so it cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;

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

    /// `docs/src/sessions.md`.
    #[doc = include_str!("../../docs/src/sessions.md")]
    pub struct Sessions;

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
