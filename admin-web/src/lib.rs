//! The web screens of opsadmin: an axum router with sign-in, CSRF, list, detail,
//! create and delete screens rendered with minijinja.
//!
//! ```no_run
//! use admin_web::{AdminState, router};
//!
//! # async fn run(db: sea_orm::DatabaseConnection) -> std::io::Result<()> {
//! let state = AdminState::new(db, admin_core::Registry::new());
//! let app = axum::Router::new().merge(router()).with_state(state);
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8000").await?;
//! axum::serve(listener, app).await
//! # }
//! ```

pub mod error;
pub mod extract;
pub mod handlers;
pub mod render;
pub mod router;
pub mod session;
pub mod state;
pub mod views;

pub use error::{Error, Result};
pub use router::{router, router_at};
pub use state::{AdminState, Config};
