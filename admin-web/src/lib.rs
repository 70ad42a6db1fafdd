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

/// Runs approved action requests in this process until the returned task is
/// aborted: claims one due request at a time (see `admin_core::approval`), and
/// sleeps a second when none is due. Several processes may run workers at once;
/// each request still runs once.
pub fn spawn_worker(state: AdminState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            match admin_core::approval::work_once(&state.db, &state.registry, &state.auth.roles).await {
                Ok(admin_core::approval::Work::Idle) => {
                    tokio::time::sleep(std::time::Duration::from_secs(1)).await
                }
                Ok(work) => tracing::info!(?work, "approval worker"),
                Err(e) => {
                    tracing::error!(error = %e, "approval worker could not reach the database");
                    tokio::time::sleep(std::time::Duration::from_secs(5)).await;
                }
            }
        }
    })
}
