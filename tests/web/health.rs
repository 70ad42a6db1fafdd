//! `/admin/healthz` and `/admin/readyz`: without sign-in, naming each check and
//! nothing else; a schema behind or a database gone makes the instance not ready,
//! a silent worker is only reported.

use admin_core::db::entities::worker_seen;
use chrono::Duration;
use sea_orm::sea_query::Expr;
use sea_orm::{ConnectionTrait, EntityTrait};

use super::support::{Resp, TestApp};

async fn ready(app: &TestApp) -> Resp {
    let r = app.client().get("/admin/readyz").await;
    assert_eq!(r.headers.get("cache-control").and_then(|v| v.to_str().ok()), Some("no-store"));
    assert!(
        r.headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/plain")),
        "{:?}",
        r.headers
    );
    r
}

/// The body's lines, checked to be only the known checks with known answers.
#[track_caller]
fn lines(r: &Resp) -> Vec<&str> {
    let lines: Vec<&str> = r.body.lines().collect();
    assert_eq!(lines.len(), 4, "{}", r.body);
    assert!(["ready", "not ready"].contains(&lines[0]), "{}", r.body);
    assert!(["database: ok", "database: unreachable"].contains(&lines[1]), "{}", r.body);
    assert!(
        ["migrations: current", "migrations: behind", "migrations: unknown"].contains(&lines[2]),
        "{}",
        r.body
    );
    let worker = lines[3].strip_prefix("worker: ").expect("a worker line");
    let seen = worker.strip_prefix("last seen ").and_then(|w| w.strip_suffix(" s ago"));
    assert!(
        ["never", "unknown"].contains(&worker) || seen.is_some_and(|n| n.parse::<u64>().is_ok()),
        "{}",
        r.body
    );
    lines
}

/// Seconds in `worker: last seen N s ago`.
fn seen_ago(line: &str) -> i64 {
    line.trim_start_matches("worker: last seen ").trim_end_matches(" s ago").parse().unwrap()
}

#[tokio::test]
async fn healthz_and_readyz_answer_without_sign_in() {
    let app = TestApp::new(0).await;
    let live = app.client().get("/admin/healthz").await;
    assert_eq!((live.status.as_u16(), live.body.as_str()), (200, "ok\n"));
    let r = ready(&app).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(lines(&r), ["ready", "database: ok", "migrations: current", "worker: never"]);
    // Both are plain answers, not the admin's pages (no session, no redirect).
    assert!(r.headers.get("set-cookie").is_none());
    // Under another prefix, they move with the admin.
    let state = opsadmin::web::AdminState::new(app.db.clone(), ops_console::registry())
        .with_config(opsadmin::web::Config { prefix: "/ops".to_owned(), ..Default::default() });
    let ops: axum::Router = axum::Router::new().merge(opsadmin::web::router_at("/ops")).with_state(state);
    let resp = tower::ServiceExt::oneshot(
        ops,
        axum::http::Request::get("/ops/readyz").body(axum::body::Body::empty()).unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn a_silent_worker_is_reported_but_the_instance_stays_ready() {
    let app = TestApp::new(0).await;
    let service = opsadmin::Service::new(app.db.clone(), ops_console::registry());
    service.worker_seen("health-test", "effects and approvals").await.unwrap();
    let r = ready(&app).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(seen_ago(lines(&r)[3]) < 60, "{}", r.body);

    // The only worker went quiet an hour ago: still ready, and it says so.
    worker_seen::Entity::update_many()
        .col_expr(
            worker_seen::Column::SeenAt,
            Expr::value(admin_core::kernel::clock::now() - Duration::hours(1)),
        )
        .exec(&app.db)
        .await
        .unwrap();
    let r = ready(&app).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(lines(&r)[..3], ["ready", "database: ok", "migrations: current"]);
    let ago = seen_ago(lines(&r)[3]);
    assert!((3600..3700).contains(&ago), "{}", r.body);
}

#[tokio::test]
async fn a_schema_behind_this_release_is_not_ready() {
    let app = TestApp::new(0).await;
    // The newest step's row gone: as a database an older release migrated.
    let latest = admin_core::migration::LATEST;
    app.db
        .execute_unprepared(&format!("DELETE FROM admin_schema_version WHERE version = {latest}"))
        .await
        .unwrap();
    let r = ready(&app).await;
    assert_eq!(r.status, 503, "{}", r.body);
    assert_eq!(lines(&r), ["not ready", "database: ok", "migrations: behind", "worker: never"]);
    // Liveness does not care: the process is up.
    assert_eq!(app.client().get("/admin/healthz").await.status, 200);

    app.db
        .execute_unprepared(&format!("INSERT INTO admin_schema_version (version) VALUES ({latest})"))
        .await
        .unwrap();
    assert_eq!(ready(&app).await.status, 200);
}

#[tokio::test]
async fn a_database_that_does_not_answer_is_not_ready_and_nothing_leaks() {
    let app = TestApp::new(0).await;
    // Every connection of the app's pool closed, as a database gone away.
    app.db.clone().close().await.unwrap();
    let r = ready(&app).await;
    assert_eq!(r.status, 503, "{}", r.body);
    assert_eq!(lines(&r), ["not ready", "database: unreachable", "migrations: unknown", "worker: unknown"]);
    for secret in ["sqlite", "postgres", "error", "closed", "127.0.0.1", "opsadmin-test", "version"] {
        assert!(!r.body.to_lowercase().contains(secret), "{secret} in {}", r.body);
    }
    assert_eq!(app.client().get("/admin/healthz").await.status, 200);
}
