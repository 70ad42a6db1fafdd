//! The web screens of opsadmin: an axum router with sign-in, CSRF protection,
//! lists, detail and edit forms, history and the audit log, actions with their
//! confirmation pages, the approval queue, staff management and a JSON API for
//! actions, rendered with minijinja templates embedded in the binary.
//!
//! Handlers are thin: extractors in ([`extract`], [`session::Ctx`]), one
//! `admin_core` call, one page out ([`render`]); every permission check and write
//! happens in `admin_core::service`. The router ([`router()`], [`router_at`]) carries
//! its own prefix and adds the security headers to every response; [`AdminState`]
//! holds the database, the registry, the roles and the settings, and nothing per
//! user, so several instances over one database serve as one.
//!
//! ```
//! use admin_web::{AdminState, Config, router};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let db = sea_orm::Database::connect("sqlite::memory:").await?;
//! admin_core::migration::migrate(&db).await?;
//! let state = AdminState::new(db, admin_core::Registry::new())
//!     .with_config(Config { secure_cookies: true, ..Config::default() });
//! let worker = admin_web::spawn_worker(state.clone()); // carries out approved actions
//! let app: axum::Router = axum::Router::new().merge(router()).with_state(state);
//! // axum::serve(tokio::net::TcpListener::bind("127.0.0.1:8000").await?, app).await?;
//! # let _ = app;
//! worker.abort();
//! # Ok(())
//! # }
//! ```

pub mod error;
pub mod extract;
mod guard;
pub mod handlers;
pub mod origin;
pub mod render;
pub mod router;
pub mod session;
pub mod state;
pub mod views;

pub use error::{Error, Result};
pub use render::{TemplateError, Templates};
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
