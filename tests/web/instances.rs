//! Two server instances over one database, talking real HTTP on their own ports:
//! sessions, approvals and workers behave as one site.

use std::net::SocketAddr;
use std::time::Duration;

use admin_core::audit::{Context, entry};
use admin_core::service::{ActionRequest, ActionResult};
use ops_console::models::invoice;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::support::TestApp;

const PASSWORD: &str = "a long enough pass phrase";

/// Starts one instance (its own connection pool, router and worker) on a free port.
async fn instance(app: &TestApp) -> (SocketAddr, tokio::task::JoinHandle<()>, tokio::task::JoinHandle<()>) {
    let db = ops_console::connect(&app.url).await.unwrap();
    let state = opsadmin::web::AdminState::new(db.clone(), ops_console::registry())
        .with_roles(ops_console::roles::roles());
    let worker = opsadmin::web::spawn_worker(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        axum::serve(listener, ops_console::app(db)).await.unwrap();
    });
    (addr, server, worker)
}

/// A response over a real socket.
struct Http {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

async fn http(addr: SocketAddr, method: &str, path: &str, cookie: &str, form: &[(&str, &str)]) -> Http {
    let body = {
        let mut s = form_urlencoded::Serializer::new(String::new());
        for (k, v) in form {
            s.append_pair(k, v);
        }
        s.finish()
    };
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAccept: text/html\r\nConnection: close\r\nCookie: {cookie}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(req.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    let headers =
        lines.filter_map(|l| l.split_once(": ")).map(|(k, v)| (k.to_lowercase(), v.to_owned())).collect();
    Http { status, headers, body: body.to_owned() }
}

impl Http {
    fn cookies(&self) -> String {
        self.headers
            .iter()
            .filter(|(k, _)| k == "set-cookie")
            .filter_map(|(_, v)| v.split(';').next())
            .filter(|kv| !kv.ends_with('='))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn input(&self, name: &str) -> String {
        let marker = format!("name=\"{name}\" value=\"");
        let start = self.body.find(&marker).unwrap() + marker.len();
        self.body[start..start + self.body[start..].find('"').unwrap()].to_owned()
    }
}

async fn sign_in(addr: SocketAddr, user: &str) -> String {
    let form = http(addr, "GET", "/admin/login", "", &[]).await;
    let pre = form.cookies();
    let csrf = form.input("csrf_token");
    let r = http(
        addr,
        "POST",
        "/admin/login",
        &pre,
        &[("username", user), ("password", PASSWORD), ("csrf_token", &csrf)],
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    r.cookies()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_share_sessions_approvals_and_run_each_request_once() {
    let app = TestApp::new(0).await;
    for name in ["fay", "fin"] {
        opsadmin::auth::create_user(&app.db, name, PASSWORD, &["finance"], false).await.unwrap();
    }
    for id in 100..120 {
        invoice::ActiveModel {
            id: Set(id),
            account_id: Set(2),
            number: Set(format!("INV-{id:08}")),
            amount_cents: Set(1000),
            currency: Set("EUR".into()),
            status: Set("paid".into()),
            issued_at: Set(chrono::Utc::now().naive_utc()),
        }
        .insert(&app.db)
        .await
        .unwrap();
    }
    let (a, server_a, worker_a) = instance(&app).await;
    let (b, server_b, worker_b) = instance(&app).await;

    // A session made on one instance is valid on the other.
    let fay = sign_in(a, "fay").await;
    let page = http(b, "GET", "/admin/invoice/", &fay, &[]).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Signed in as <strong>fay</strong>"));

    // A request made on one instance is approved on the other.
    let csrf = page.input("csrf_token");
    let r = http(
        a,
        "POST",
        "/admin/invoice/actions/refund_invoice",
        &fay,
        &[
            ("csrf_token", &csrf),
            ("confirm", "1"),
            ("idempotency_key", "i1"),
            ("ids", "100"),
            ("reason", "Double charge"),
        ],
    )
    .await;
    assert_eq!(r.status, 202, "{}", r.body);
    let (requests, _) = admin_core::approval::list(&app.db, Some("pending"), None, None, 0, 5).await.unwrap();
    let first = requests[0].id;
    let fin = sign_in(b, "fin").await;
    let fin_page = http(b, "GET", &format!("/admin/approvals/{first}"), &fin, &[]).await;
    let fin_csrf = fin_page.input("csrf_token");
    let r = http(b, "POST", &format!("/admin/approvals/{first}/approve"), &fin, &[("csrf_token", &fin_csrf)])
        .await;
    assert_eq!(r.status, 303, "{}", r.body);

    // Nineteen more, approved straight through the service; the workers of both
    // instances race for them.
    let roles = ops_console::roles::roles();
    let fay_staff = admin_core::auth::staff_by_name(&app.db, &roles, "fay").await.unwrap();
    let fin_staff = admin_core::auth::staff_by_name(&app.db, &roles, "fin").await.unwrap();
    for id in 101..120 {
        let ctx = Context::staff(&fay_staff).with_reason(Some("Batch refund".into()));
        let req =
            ActionRequest { keys: vec![id.to_string()], input: serde_json::json!({}), idempotency_key: None };
        let ActionResult::Queued { id: rid } = super::support::run_action(
            &app.db,
            &ctx,
            &ops_console::registry(),
            "invoice",
            "refund_invoice",
            &req,
        )
        .await
        .unwrap() else {
            panic!("refunds need approval")
        };
        admin_core::approval::decide(
            &app.db,
            &Context::staff(&fin_staff),
            &ops_console::registry(),
            rid,
            true,
            None,
        )
        .await
        .unwrap();
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let (_, done) = admin_core::approval::list(&app.db, Some("done"), None, None, 0, 1).await.unwrap();
        if done == 20 {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "only {done} of 20 requests finished in time");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for h in [server_a, server_b, worker_a, worker_b] {
        h.abort();
    }
    let refunded =
        invoice::Entity::find().filter(invoice::Column::Status.eq("refunded")).count(&app.db).await.unwrap();
    assert_eq!(refunded, 20);
    let runs = entry::Entity::find()
        .filter(entry::Column::Kind.eq("action:refund_invoice"))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(runs, 20, "each request ran exactly once");
}

#[tokio::test]
async fn instances_starting_together_on_an_empty_database_all_come_up() {
    use sea_orm::{ConnectionTrait, Statement};
    for _ in 0..3 {
        let url = super::support::empty_database().await;
        let mut dbs = Vec::new();
        for _ in 0..3 {
            dbs.push(ops_console::connect(&url).await.unwrap());
        }
        // Three processes' start-ups at the same moment: tables, migrations, indexes.
        let (a, b, c) = tokio::join!(
            ops_console::prepare(&dbs[0]),
            ops_console::prepare(&dbs[1]),
            ops_console::prepare(&dbs[2])
        );
        for r in [&a, &b, &c] {
            assert!(r.is_ok(), "a start-up failed: {r:?}");
        }
        let db = &dbs[0];
        let versions: Vec<i64> = db
            .query_all_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT version FROM admin_schema_version ORDER BY version",
            ))
            .await
            .unwrap()
            .iter()
            .map(|r| r.try_get_by_index(0).unwrap())
            .collect();
        let every: Vec<i64> = (1..=admin_core::migration::LATEST).collect();
        assert_eq!(versions, every, "each step recorded once");
        for db in dbs {
            db.close().await.ok();
        }
        super::support::drop_database(&url).await;
    }
}
