//! Health checks for load balancers and orchestrators, without sign-in.
//!
//! `{prefix}/healthz` says the process answers (it touches nothing else);
//! `{prefix}/readyz` says whether this instance can serve: the database answers and
//! the admin's schema is at the version this release knows. A worker not seen for a
//! while is reported but does not fail readiness: it is not this instance's fault,
//! and failing it would take every instance out of the load balancer at once.
//! Neither answer names a version, a host, an error or a count.

use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::state::AdminState;

/// How long readiness waits for the database before it calls it unreachable.
const DB_WAIT: Duration = Duration::from_secs(5);

fn text(status: StatusCode, body: String) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8")),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        body,
    )
        .into_response()
}

/// `GET {prefix}/healthz`: 200 `ok` while the process serves requests.
pub async fn healthz() -> Response {
    text(StatusCode::OK, "ok\n".to_owned())
}

/// `GET {prefix}/readyz`: 200 when the database answers and its admin schema is
/// current, else 503; the body names each check, one a line:
///
/// ```text
/// ready
/// database: ok
/// migrations: current
/// worker: last seen 12 s ago
/// ```
///
/// `database: unreachable`, `migrations: behind` (or `unknown` when the database
/// did not answer) and `worker: never` are the other answers.
pub async fn readyz(State(state): State<AdminState>) -> Response {
    let checks = async {
        let health = state.service().health().await;
        let current =
            if health.database { admin_core::migration::is_current(&state.db).await.ok() } else { None };
        (health, current)
    };
    let (database, current, seen) = match tokio::time::timeout(DB_WAIT, checks).await {
        Ok((h, current)) => (h.database && current.is_some(), current, h.worker_last_seen),
        Err(_) => (false, None, None),
    };
    let ready = database && current == Some(true);
    let worker = match seen {
        Some(t) => format!("last seen {} s ago", (admin_core::kernel::clock::now() - t).num_seconds().max(0)),
        None if database => "never".to_owned(),
        None => "unknown".to_owned(),
    };
    let body = format!(
        "{}\ndatabase: {}\nmigrations: {}\nworker: {worker}\n",
        if ready { "ready" } else { "not ready" },
        if database { "ok" } else { "unreachable" },
        match current {
            Some(true) => "current",
            Some(false) => "behind",
            None => "unknown",
        },
    );
    text(if ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE }, body)
}
