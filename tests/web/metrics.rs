//! Metrics in the Prometheus text format: scraped after sign-ins (accepted, refused,
//! throttled), action runs, a queued approval and an effect; served only with a
//! bearer token or on a listener of its own, never by default.
//!
//! The recorder is one per process and other tests run beside these, so counters
//! are compared before and after (they only grow); the gauges are read from this
//! test's own database at scrape time, so they are exact.

use std::net::SocketAddr;
use std::sync::Arc;

use admin_core::db::entities::approval_request;
use admin_core::effect::row as effect_row;
use admin_core::service::{ActionRequest, ActionResult, Service};
use axum::body::Body;
use axum::http::{Request, header};
use chrono::Duration;
use ops_console::settings::Settings;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tower::ServiceExt;

use super::support::{ALICE, PASSWORD, TestApp, USER, api, token_for};

const TOKEN: &str = "metrics-token-for-the-tests-0123456789";
const MARK: &str = "/admin/api/account/actions/mark_for_manual_review";

/// The test app's state, as `serve` builds it.
fn state(app: &TestApp) -> opsadmin::web::AdminState {
    ops_console::admin_state(
        app.db.clone(),
        Arc::new(ops_console::registry()),
        opsadmin::web::Config::default(),
    )
}

/// `app` served with the metrics behind [`TOKEN`].
fn with_token(app: &mut TestApp) {
    let settings = Settings { metrics_token: Some(TOKEN.to_owned()), ..Settings::default() };
    app.router = ops_console::app_with_settings(state(app), &settings);
}

/// GET `/admin/metrics` with this `Authorization` header (if any): status and body.
async fn get_metrics(app: &TestApp, authorization: Option<&str>) -> (u16, String) {
    let mut req = Request::get(ops_console::METRICS_PATH);
    if let Some(a) = authorization {
        req = req.header(header::AUTHORIZATION, a);
    }
    let resp = app.router.clone().oneshot(req.body(Body::empty()).unwrap()).await.unwrap();
    let status = resp.status().as_u16();
    let bytes = axum::body::to_bytes(resp.into_body(), 16 << 20).await.unwrap();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

async fn scrape(app: &TestApp) -> Scrape {
    let (status, body) = get_metrics(app, Some(&format!("Bearer {TOKEN}"))).await;
    assert_eq!(status, 200, "{body}");
    Scrape(body)
}

/// One scrape's text.
struct Scrape(String);

impl Scrape {
    /// The sum of the samples of `name` whose labels include all of `labels`.
    fn value(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.samples(name, labels).iter().sum()
    }

    fn samples(&self, name: &str, labels: &[(&str, &str)]) -> Vec<f64> {
        self.0
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| {
                let (series, value) = l.rsplit_once(' ')?;
                let (n, rest) = series.split_once('{').unwrap_or((series, "}"));
                let wanted = labels.iter().all(|(k, v)| rest.contains(&format!("{k}=\"{v}\"")));
                (n == name && wanted).then(|| value.parse::<f64>().unwrap())
            })
            .collect()
    }

    /// The one sample of `name` with exactly these labels.
    #[track_caller]
    fn one(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        let found = self.samples(name, labels);
        assert_eq!(found.len(), 1, "one {name} {labels:?} expected in:\n{}", self.0);
        found[0]
    }
}

/// Runs `name` on `model`'s record `key` through the door as the fixture's user.
async fn run(app: &TestApp, model: &str, name: &str, key: &str, reason: &str) -> ActionResult {
    let service =
        Service::new(app.db.clone(), ops_console::registry()).with_roles(ops_console::roles::roles());
    let caller = service.local(USER).await.unwrap().with_reason(Some(reason.to_owned()));
    let request = ActionRequest { keys: vec![key.to_owned()], input: json!({}), idempotency_key: None };
    service.run_action(&caller, model, name, &request).await.unwrap()
}

#[tokio::test]
async fn a_scrape_counts_sign_ins_actions_requests_and_reads_the_queues() {
    let mut app = TestApp::new(0).await;
    with_token(&mut app);
    let before = scrape(&app).await;
    let sign_ins = |s: &Scrape, outcome| s.value("opsadmin_sign_ins_total", &[("outcome", outcome)]);

    // Sign-ins: one accepted, one refused, and a name locked after five failures.
    assert_eq!(app.client().sign_in(USER, PASSWORD).await.status, 303);
    assert_eq!(app.client().sign_in(USER, "not the password").await.status, 200);
    let mut guesser = app.client();
    let mut throttled = false;
    for _ in 0..6 {
        let page = guesser.sign_in("metrics-nobody", "guess").await;
        throttled |= page.body.contains("Too many");
    }
    assert!(throttled, "the sixth guess is refused unchecked");
    // Actions: done, refused (a missing reason), and the same key again (replayed).
    let token = token_for(&app, USER, None).await;
    let body = json!({"ids": [ALICE], "idempotency_key": "metrics-1"});
    assert_eq!(api(&app, &token, MARK, body.clone()).await.0, 200);
    assert_eq!(api(&app, &token, MARK, body).await.0, 200);
    let (status, _) =
        api(&app, &token, "/admin/api/account/actions/lock_account", json!({"ids": [ALICE]})).await;
    assert_eq!(status, 400, "lock_account needs a reason");
    // A refund waits for approval; a welcome email retry schedules a mail effect.
    assert!(matches!(
        run(&app, "invoice", "refund_invoice", "1", "Charged twice").await,
        ActionResult::Queued { .. }
    ));
    assert!(matches!(
        run(&app, "account", "retry_welcome_email", "1", "Asked again").await,
        ActionResult::Ran(_)
    ));
    // A page with a record's id in its address.
    let mut staff = app.signed_in().await;
    assert_eq!(staff.get(&format!("/admin/account/{ALICE}")).await.status, 200);

    let after = scrape(&app).await;
    let grew = |name: &str, labels: &[(&str, &str)]| after.value(name, labels) - before.value(name, labels);
    assert!(sign_ins(&after, "ok") - sign_ins(&before, "ok") >= 2.0, "{}", after.0);
    assert!(sign_ins(&after, "refused") - sign_ins(&before, "refused") >= 6.0);
    assert!(sign_ins(&after, "throttled") - sign_ins(&before, "throttled") >= 1.0);
    let runs = |action, outcome| {
        grew("opsadmin_action_runs_total", &[("model", "account"), ("action", action), ("outcome", outcome)])
    };
    assert!(runs("mark_for_manual_review", "done") >= 1.0, "{}", after.0);
    assert!(runs("mark_for_manual_review", "replayed") >= 1.0);
    assert!(runs("lock_account", "refused") >= 1.0);
    assert!(runs("retry_welcome_email", "done") >= 1.0);
    assert!(
        grew(
            "opsadmin_action_runs_total",
            &[("model", "invoice"), ("action", "refund_invoice"), ("outcome", "queued")]
        ) >= 1.0
    );
    // Sign-ins, failures, the lock, the runs and the request: each audited.
    assert!(grew("opsadmin_audit_entries_total", &[]) >= 10.0);

    // Requests by route template and status, never by the raw address.
    let route = [("method", "GET"), ("route", "/admin/{model}/{id}"), ("status", "200")];
    assert!(grew("opsadmin_http_requests_total", &route) >= 1.0, "{}", after.0);
    assert!(grew("opsadmin_http_request_duration_seconds_count", &route) >= 1.0);
    assert!(
        after.value(
            "opsadmin_http_request_duration_seconds_bucket",
            &[("route", "/admin/{model}/{id}"), ("le", "+Inf")]
        ) >= 1.0
    );
    let login = [("method", "POST"), ("route", "/admin/login"), ("status", "303")];
    assert!(grew("opsadmin_http_requests_total", &login) >= 2.0);
    assert!(!after.0.contains(&format!("/admin/account/{ALICE}\"")), "a raw path became a label");
    assert!(after.0.contains("# TYPE opsadmin_http_request_duration_seconds histogram"));
    assert!(after.0.contains("# TYPE opsadmin_sign_ins_total counter"));

    // The queues of this database: one request waiting, one effect queued.
    assert_eq!(after.one("opsadmin_approvals_waiting", &[]), 1.0);
    assert_eq!(after.one("opsadmin_effects", &[("state", "queued")]), 1.0);
    assert_eq!(after.one("opsadmin_effects", &[("state", "failed")]), 0.0);
    assert_eq!(after.one("opsadmin_database_up", &[]), 1.0);
    assert_eq!(after.one("opsadmin_worker_up", &[]), 0.0, "no worker has run");
    assert_eq!(after.one("opsadmin_worker_last_seen_timestamp_seconds", &[]), 0.0);
    // The pool: open connections, idle ones among them, and the limit the app set.
    let max = after.one("opsadmin_db_pool_max_connections", &[]);
    assert_eq!(max, if app.backend == super::support::Backend::Sqlite { 3.0 } else { 16.0 });
    let open = after.one("opsadmin_db_pool_connections", &[]);
    assert!((1.0..=max).contains(&open), "{open}");
    assert!(after.one("opsadmin_db_pool_idle_connections", &[]) <= open);
}

#[tokio::test]
async fn the_worker_lag_is_the_age_of_the_oldest_due_item() {
    let mut app = TestApp::new(0).await;
    with_token(&mut app);
    assert!(matches!(
        run(&app, "invoice", "refund_invoice", "1", "Charged twice").await,
        ActionResult::Queued { .. }
    ));
    assert!(matches!(
        run(&app, "account", "retry_welcome_email", "1", "Asked again").await,
        ActionResult::Ran(_)
    ));
    let now = admin_core::kernel::clock::now();
    // The refund was approved ten minutes ago and waits for a worker; the mail has
    // been due for two.
    approval_request::Entity::update_many()
        .col_expr(approval_request::Column::Status, Expr::value("approved"))
        .col_expr(approval_request::Column::DecidedAt, Expr::value(now - Duration::minutes(10)))
        .exec(&app.db)
        .await
        .unwrap();
    effect_row::Entity::update_many()
        .col_expr(effect_row::Column::CreatedAt, Expr::value(now - Duration::minutes(2)))
        .filter(effect_row::Column::State.eq("queued"))
        .exec(&app.db)
        .await
        .unwrap();
    let s = scrape(&app).await;
    assert_eq!(s.one("opsadmin_approvals_waiting", &[]), 0.0, "approved, no longer waiting for a decision");
    let approvals = s.one("opsadmin_worker_lag_seconds", &[("queue", "approvals")]);
    let effects = s.one("opsadmin_worker_lag_seconds", &[("queue", "effects")]);
    assert!((600.0..900.0).contains(&approvals), "{approvals}");
    assert!((120.0..400.0).contains(&effects), "{effects}");

    // A worker seen now: up, with the time it was seen; its retry later is not due yet.
    let service = Service::new(app.db.clone(), ops_console::registry());
    service.worker_seen("metrics-test", "effects and approvals").await.unwrap();
    effect_row::Entity::update_many()
        .col_expr(effect_row::Column::NextAttemptAt, Expr::value(Some(now + Duration::minutes(5))))
        .exec(&app.db)
        .await
        .unwrap();
    let s = scrape(&app).await;
    assert_eq!(s.one("opsadmin_worker_up", &[]), 1.0);
    let seen = s.one("opsadmin_worker_last_seen_timestamp_seconds", &[]);
    #[allow(clippy::cast_precision_loss)]
    let unix_now = now.and_utc().timestamp() as f64;
    assert!((unix_now - 5.0..unix_now + 60.0).contains(&seen), "{seen} vs {unix_now}");
    assert_eq!(s.one("opsadmin_worker_lag_seconds", &[("queue", "effects")]), 0.0, "nothing due");
}

#[tokio::test]
async fn metrics_are_served_only_with_the_token_and_never_by_default() {
    let mut app = TestApp::new(0).await;
    // The app as `serve` runs it without a metrics setting: no such page.
    assert_eq!(get_metrics(&app, None).await.0, 404);
    assert_eq!(get_metrics(&app, Some(&format!("Bearer {TOKEN}"))).await.0, 404);
    // An empty token is no token.
    let empty = Settings { metrics_token: Some(String::new()), ..Settings::default() };
    app.router = ops_console::app_with_settings(state(&app), &empty);
    assert_eq!(get_metrics(&app, Some("Bearer ")).await.0, 404);

    with_token(&mut app);
    for wrong in [
        None,
        Some("Bearer"),
        Some("Bearer wrong"),
        Some(&format!("Basic {TOKEN}")[..]),
        Some(&format!("Bearer {TOKEN}x")[..]),
    ] {
        let (status, body) = get_metrics(&app, wrong).await;
        assert_eq!(status, 401, "{wrong:?}");
        assert!(body.is_empty(), "a refusal says nothing: {body}");
    }
    let (status, body) = get_metrics(&app, Some(&format!("Bearer {TOKEN}"))).await;
    assert_eq!(status, 200);
    assert!(body.contains("opsadmin_approvals_waiting"), "{body}");
    assert!(!body.contains(TOKEN), "the token is not echoed");
}

/// GET `path` on `addr` over a real socket: status and body.
async fn http_get(addr: SocketAddr, path: &str) -> (u16, String) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(req.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, body.to_owned())
}

#[tokio::test]
async fn a_listener_of_its_own_serves_metrics_without_a_token() {
    let app = TestApp::new(0).await;
    let (addr, task) = ops_console::serve_metrics("127.0.0.1:0".parse().unwrap(), state(&app)).await.unwrap();
    let (status, body) = http_get(addr, "/metrics").await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("opsadmin_effects{state=\"queued\"} 0"), "{body}");
    // Only the metrics: not the admin, not the token's address.
    assert_eq!(http_get(addr, "/admin/").await.0, 404);
    assert_eq!(http_get(addr, ops_console::METRICS_PATH).await.0, 404);
    task.abort();
}
