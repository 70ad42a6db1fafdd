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
//! The guide (in `docs/src/` of the repository, and below as [`guide`] when the doc
//! tests are built) walks through the rest: actions, plugins, permissions, audit,
//! approvals, sign-in, deployment and the security model.

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
/// sample in them keeps working.
#[cfg(doctest)]
pub mod guide {
    /// `docs/src/getting-started.md`.
    #[doc = include_str!("../../docs/src/getting-started.md")]
    pub struct GettingStarted;
}
