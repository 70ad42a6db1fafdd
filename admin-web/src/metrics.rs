//! Metrics in the Prometheus text format.
//!
//! The admin records through the `metrics` facade: the request layer of
//! the admin's router ([`track`]) counts requests and their latency by route
//! template and status; admin-core counts sign-ins, action runs and audit entries
//! (see `admin_core::kernel::metrics`). Those calls cost next to nothing and do
//! nothing until a recorder is installed. [`install`] installs this crate's
//! Prometheus recorder for the process (once, whoever calls it how often), and
//! [`Metrics::render`] reads the queues and the connection pool at scrape time
//! (never per request) and renders every family as text.
//!
//! Nothing here is served by itself: an application mounts [`router_with_token`]
//! (a bearer token) or [`open_router`] (for a listener of its own, e.g. on a
//! private address), never public by default.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let db = sea_orm::Database::connect("sqlite::memory:").await?;
//! admin_core::migration::migrate(&db).await?;
//! let state = admin_web::AdminState::new(db, admin_core::Registry::new());
//! let app: axum::Router = axum::Router::new()
//!     .merge(admin_web::router())
//!     // Prometheus sends `Authorization: Bearer <token>`.
//!     .merge(admin_web::metrics::router_with_token("/admin/metrics", "a long random token"))
//!     .with_state(state);
//! # let _ = app;
//! # Ok(())
//! # }
//! ```

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{FromRef, MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use sea_orm::{DatabaseConnection, DbBackend};

use crate::state::AdminState;

/// Requests answered, by `method`, `route` (the route's template, like
/// `/admin/{model}/{id}`, or `unmatched`) and `status`.
pub const HTTP_REQUESTS: &str = "opsadmin_http_requests_total";
/// Seconds from a request to its response's head, by `method`, `route` and `status`.
pub const HTTP_DURATION: &str = "opsadmin_http_request_duration_seconds";
/// Approval requests waiting for a decision.
pub const APPROVALS_WAITING: &str = "opsadmin_approvals_waiting";
/// Effects by `state` (`queued`, `running`, `done`, `failed`, `given_up`).
pub const EFFECTS: &str = "opsadmin_effects";
/// Age in seconds of the oldest item due for the worker, by `queue` (`approvals`,
/// `effects`); 0 when nothing is due.
pub const WORKER_LAG: &str = "opsadmin_worker_lag_seconds";
/// When any worker was last seen, in seconds since 1970 (UTC); 0 when none ever was.
pub const WORKER_LAST_SEEN: &str = "opsadmin_worker_last_seen_timestamp_seconds";
/// 1 when a worker was seen within `admin_core::service::WORKER_SILENCE`, else 0.
pub const WORKER_UP: &str = "opsadmin_worker_up";
/// 1 when the database answered the scrape's queries, else 0.
pub const DATABASE_UP: &str = "opsadmin_database_up";
/// Connections the pool holds now (in use and idle).
pub const DB_POOL_CONNECTIONS: &str = "opsadmin_db_pool_connections";
/// Idle connections in the pool.
pub const DB_POOL_IDLE: &str = "opsadmin_db_pool_idle_connections";
/// The most connections the pool opens.
pub const DB_POOL_MAX: &str = "opsadmin_db_pool_max_connections";

/// The latency histogram's buckets, in seconds.
pub const DURATION_BUCKETS: &[f64] = &[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// How long a scrape waits for the database before it reports it down.
const DB_WAIT: Duration = Duration::from_secs(5);

/// The installed recorder's handle: renders what was recorded. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Metrics {
    handle: PrometheusHandle,
}

static INSTALLED: OnceLock<Metrics> = OnceLock::new();

/// Installs this crate's Prometheus recorder as the process's metrics recorder, on
/// the first call; later calls (another app in the same process, a test) get the
/// same one. When the application installed another recorder first, the admin's
/// metrics go to that one and [`Metrics::render`] has only the scrape-time gauges
/// (a warning is logged).
pub fn install() -> Metrics {
    INSTALLED
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Full(HTTP_DURATION.to_owned()), DURATION_BUCKETS)
                .map_or_else(
                    |_| PrometheusBuilder::new().build_recorder(),
                    PrometheusBuilder::build_recorder,
                );
            let handle = recorder.handle();
            if metrics::set_global_recorder(recorder).is_err() {
                tracing::warn!("another metrics recorder is installed: the admin's metrics go to it");
            }
            describe();
            // Histogram samples wait in the recorder until drained: drain them now
            // and then even when nobody scrapes. A thread, not a task: the recorder
            // outlives any one runtime (tests run many).
            let upkeep = handle.clone();
            let _ = std::thread::Builder::new().name("opsadmin-metrics".to_owned()).spawn(move || {
                loop {
                    std::thread::sleep(Duration::from_secs(5));
                    upkeep.run_upkeep();
                }
            });
            Metrics { handle }
        })
        .clone()
}

/// The families' help texts.
fn describe() {
    use admin_core::kernel::metrics as core;
    metrics::describe_counter!(HTTP_REQUESTS, "Requests answered, by method, route template and status.");
    metrics::describe_histogram!(
        HTTP_DURATION,
        metrics::Unit::Seconds,
        "Seconds from a request to its response, by method, route template and status."
    );
    metrics::describe_counter!(core::SIGN_INS, "Sign-ins by outcome: ok, refused, throttled.");
    metrics::describe_counter!(
        core::ACTION_RUNS,
        "Action runs by model, action and outcome: done, queued, replayed, refused, failed."
    );
    metrics::describe_counter!(core::AUDIT_ENTRIES, "Audit entries appended.");
    metrics::describe_gauge!(APPROVALS_WAITING, "Approval requests waiting for a decision.");
    metrics::describe_gauge!(EFFECTS, "Effects by state.");
    metrics::describe_gauge!(WORKER_LAG, "Age in seconds of the oldest item due for the worker, by queue.");
    metrics::describe_gauge!(WORKER_LAST_SEEN, "When any worker was last seen (Unix time), 0 for never.");
    metrics::describe_gauge!(WORKER_UP, "1 when a worker was seen recently, else 0.");
    metrics::describe_gauge!(DATABASE_UP, "1 when the database answered the scrape, else 0.");
    metrics::describe_gauge!(DB_POOL_CONNECTIONS, "Connections the pool holds (in use and idle).");
    metrics::describe_gauge!(DB_POOL_IDLE, "Idle connections in the pool.");
    metrics::describe_gauge!(DB_POOL_MAX, "The most connections the pool opens.");
}

/// One scrape at a time: its gauges are set and rendered together, so two apps in
/// one process (or two scrapers) never mix their databases' numbers.
static SCRAPE: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

impl Metrics {
    /// Reads the queues, the worker's lag and the connection pool of `state`'s
    /// database now, and renders every family in the Prometheus text format.
    pub async fn render(&self, state: &AdminState) -> String {
        let _turn = SCRAPE.lock().await;
        record_gauges(state).await;
        self.handle.render()
    }
}

/// Sets the gauges that need the database, through the door.
async fn record_gauges(state: &AdminState) {
    record_pool(&state.db);
    let gauges = tokio::time::timeout(DB_WAIT, state.service().gauges()).await;
    let Ok(Ok(g)) = gauges else {
        metrics::gauge!(DATABASE_UP).set(0.0);
        return;
    };
    metrics::gauge!(DATABASE_UP).set(1.0);
    // Counts far below 2^52: exact as f64.
    #[allow(clippy::cast_precision_loss)]
    let count = |n: u64| n as f64;
    metrics::gauge!(APPROVALS_WAITING).set(count(g.approvals_waiting));
    for (s, n) in &g.effects {
        metrics::gauge!(EFFECTS, "state" => *s).set(count(*n));
    }
    metrics::gauge!(WORKER_LAG, "queue" => "approvals").set(g.approval_lag_seconds);
    metrics::gauge!(WORKER_LAG, "queue" => "effects").set(g.effect_lag_seconds);
    // Set every scrape, 0 included: another app's scrape in this process may have
    // set it before.
    #[allow(clippy::cast_precision_loss)]
    let seen = g.worker_last_seen.map_or(0.0, |t| t.and_utc().timestamp_millis() as f64 / 1000.0);
    metrics::gauge!(WORKER_LAST_SEEN).set(seen);
    let silence = g.worker_last_seen.map(|t| admin_core::kernel::clock::now() - t);
    let up = silence.is_some_and(|s| s <= admin_core::service::WORKER_SILENCE);
    metrics::gauge!(WORKER_UP).set(if up { 1.0 } else { 0.0 });
}

/// The connection pool's size, idle connections and limit.
fn record_pool(db: &DatabaseConnection) {
    let (size, idle, max) = match db.get_database_backend() {
        DbBackend::Sqlite => {
            let p = db.get_sqlite_connection_pool();
            (p.size(), p.num_idle(), p.options().get_max_connections())
        }
        DbBackend::Postgres => {
            let p = db.get_postgres_connection_pool();
            (p.size(), p.num_idle(), p.options().get_max_connections())
        }
        _ => return,
    };
    metrics::gauge!(DB_POOL_CONNECTIONS).set(f64::from(size));
    #[allow(clippy::cast_precision_loss)]
    metrics::gauge!(DB_POOL_IDLE).set(idle as f64);
    metrics::gauge!(DB_POOL_MAX).set(f64::from(max));
}

/// The request layer of the admin's router: counts each request and its latency by
/// method, route template (never the raw path: `/admin/{model}/{id}`, or
/// `unmatched`) and status. Methods other than the usual ones count as `other`.
pub async fn track(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let route = req.extensions().get::<MatchedPath>().map_or("unmatched", MatchedPath::as_str).to_owned();
    let method = method_label(req.method());
    let resp = next.run(req).await;
    let status = resp.status().as_u16().to_string();
    let labels = [("method", method.to_owned()), ("route", route), ("status", status)];
    metrics::counter!(HTTP_REQUESTS, &labels).increment(1);
    metrics::histogram!(HTTP_DURATION, &labels).record(start.elapsed().as_secs_f64());
    resp
}

/// The method as a label: one of a fixed few, so a client cannot make new series.
fn method_label(m: &Method) -> &'static str {
    match *m {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::HEAD => "HEAD",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// The Prometheus text for `state`: the handler behind [`open_router`]. It checks
/// nothing; mount it only where the network already keeps strangers out.
pub async fn scrape(State(state): State<AdminState>) -> Response {
    let text = install().render(&state).await;
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8")),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        text,
    )
        .into_response()
}

/// The metrics at `path` for anyone who can reach it (installs the recorder): for
/// a listener of its own on a private address, e.g. `127.0.0.1:9100` serving
/// `/metrics`.
pub fn open_router<S>(path: &str) -> Router<S>
where
    AdminState: FromRef<S>,
    S: Clone + Send + Sync + 'static,
{
    install();
    Router::new().route(path, get(scrape))
}

/// The metrics at `path` for requests with `Authorization: Bearer {token}`
/// (installs the recorder). The token is compared in constant time; a missing or
/// wrong one gets a bare 401. An empty token lets nobody in.
pub fn router_with_token<S>(path: &str, token: impl Into<String>) -> Router<S>
where
    AdminState: FromRef<S>,
    S: Clone + Send + Sync + 'static,
{
    install();
    let token: std::sync::Arc<str> = token.into().into();
    Router::new().route(
        path,
        get(move |headers: HeaderMap, State(state): State<AdminState>| async move {
            if bearer_matches(&headers, &token) {
                scrape(State(state)).await
            } else {
                (StatusCode::UNAUTHORIZED, [(header::WWW_AUTHENTICATE, "Bearer")]).into_response()
            }
        }),
    )
}

/// Whether the request's bearer token is `token` (never for an empty one).
fn bearer_matches(headers: &HeaderMap, token: &str) -> bool {
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    !token.is_empty() && admin_core::auth::constant_time_eq(given.trim(), token)
}
