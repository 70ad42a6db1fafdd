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
//! let worker = admin_web::spawn_worker(state.clone()); // carries out approved actions and effects
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
pub mod i18n;
pub mod metrics;
pub mod origin;
pub mod render;
pub mod request_log;
pub mod router;
pub mod session;
pub mod state;
pub mod views;

pub use error::{Error, Result};
pub use render::{TemplateError, Templates};
pub use router::{router, router_at};
pub use state::{AdminState, Config};

/// Runs approved action requests and effects in this process until the returned
/// task is aborted: each turn claims one due request
/// ([`admin_core::service::Service::work_approvals_once`]) and one due effect
/// ([`admin_core::service::Service::work_effects_once`], with the handlers
/// registered on the registry), and sleeps a second when neither was due. It marks
/// itself seen every 30 seconds, so the dashboard can tell when no worker runs.
/// Several processes may run workers at once: a request runs once, and an effect is
/// claimed by one worker at a time.
pub fn spawn_worker(state: AdminState) -> tokio::task::JoinHandle<()> {
    let service = state.service();
    tokio::spawn(async move {
        let instance =
            format!("{}:{}", std::process::id(), admin_core::auth::random_hex(4).unwrap_or_default());
        let mut seen: Option<std::time::Instant> = None;
        loop {
            if seen.is_none_or(|t| t.elapsed() >= std::time::Duration::from_secs(30)) {
                match service.worker_seen(&instance, "effects and approvals").await {
                    Ok(()) => seen = Some(std::time::Instant::now()),
                    Err(e) => tracing::warn!(error = %e, "the worker could not mark itself seen"),
                }
            }
            let approvals = service.work_approvals_once().await;
            let effects = service.work_effects_once(&instance).await;
            let jobs = service.work_jobs_once(&instance).await;
            match (approvals, effects, jobs) {
                (
                    Ok(admin_core::approval::Work::Idle),
                    Ok(admin_core::effect::Work::Idle),
                    Ok(admin_core::job::worker::Work::Idle),
                ) => {
                    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                }
                (Ok(a), Ok(e), Ok(j)) => tracing::info!(approval = ?a, effect = ?e, job = ?j, "worker"),
                (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => {
                    tracing::error!(error = %e, "the worker could not reach the database");
                    tokio::time::sleep(std::time::Duration::from_secs(5)).await;
                }
            }
        }
    })
}
