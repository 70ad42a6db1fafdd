//! Faults survived (issue 19, point 9): a PostgreSQL server restarted and stopped
//! under load, and a SQLite database whose write lock another connection holds.
//!
//! - PostgreSQL (a server of the test's own, [`PgCluster`]): the reference app over
//!   real HTTP, readers, action runs, approvals and mail effects in flight while the
//!   server restarts; every answer is a success, a refusal or the 503 that says
//!   nothing was saved, never a 500; the same app answers again afterwards; the
//!   worker carries out every approval and effect exactly once; the audit chain
//!   verifies and every record an action changed has exactly its entries.
//! - SQLite: a write lock held past the busy timeout gives the 503 "busy"; a
//!   shorter one is waited out by the retries of `begin_write`.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use admin_core::audit::{self, entry};
use admin_core::db::entities::effect as effect_row;
use admin_core::service::{ActionRequest, ActionResult};
use axum::body::Body;
use http::{HeaderMap, Request, header};
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::HttpConnector;
use ops_console::mail::{MailHandler, Transport, simulated_bounce};
use ops_console::models::{account, email_job};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter,
};
use serde_json::json;

use super::pg_cluster::{PgCluster, PgOptions};
use super::support::{PASSWORD, html_unescape};

/// The sentence of a database that went away, on the page and in the JSON.
const DOWN: &str = "The database is unavailable; nothing was saved. Try again in a moment.";
/// The sentence of a busy SQLite database.
const BUSY: &str = "The database is busy; nothing was saved. Try again in a moment.";

/// What a request got back.
#[derive(Debug)]
struct Answer {
    status: u16,
    headers: HeaderMap,
    body: String,
}

impl Answer {
    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_default()
    }

    /// A success, a redirect, a refusal, or the 503 that says what happened: never
    /// a 500, never the driver's words.
    fn assert_acceptable(&self, what: &str) {
        match self.status {
            200..=499 => {}
            503 => {
                let body = html_unescape(&self.body);
                assert!(
                    body.contains(DOWN) || body.contains("may or may not have been saved"),
                    "{what}: a 503 without the sentence: {}",
                    self.body
                );
                assert!(self.headers.contains_key(header::RETRY_AFTER), "{what}: a 503 without Retry-After");
                for driver in
                    ["Connection refused", "error communicating", "57P01", "sqlx", "Execution Error"]
                {
                    assert!(
                        !body.contains(driver),
                        "{what}: the driver's words reached the page: {}",
                        self.body
                    );
                }
            }
            s => panic!("{what}: {s} {}", self.body),
        }
    }
}

/// A browser or script talking real HTTP to the served app, with a cookie jar.
#[derive(Clone)]
struct Http {
    base: String,
    client: HyperClient<HttpConnector, Body>,
    cookies: Vec<(String, String)>,
    token: Option<String>,
}

impl Http {
    fn new(addr: std::net::SocketAddr) -> Self {
        let client = HyperClient::builder(hyper_util::rt::TokioExecutor::new()).build(HttpConnector::new());
        Self { base: format!("http://{addr}"), client, cookies: Vec::new(), token: None }
    }

    async fn send(&mut self, method: &str, path: &str, content_type: Option<&str>, body: String) -> Answer {
        let mut req = Request::builder().method(method).uri(format!("{}{path}", self.base));
        let cookie = self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ");
        if !cookie.is_empty() {
            req = req.header(header::COOKIE, cookie);
        }
        if let Some(t) = &self.token {
            req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
        } else {
            req = req.header(header::ACCEPT, "text/html");
        }
        if let Some(ct) = content_type {
            req = req.header(header::CONTENT_TYPE, ct);
        }
        let resp =
            self.client.request(req.body(Body::from(body)).unwrap()).await.expect("the server answers");
        for v in resp.headers().get_all(header::SET_COOKIE) {
            let v = v.to_str().unwrap();
            let (kv, _) = v.split_once(';').unwrap_or((v, ""));
            let (k, val) = kv.split_once('=').unwrap();
            self.cookies.retain(|(n, _)| n != k);
            self.cookies.push((k.to_owned(), val.to_owned()));
        }
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let bytes = axum::body::to_bytes(Body::new(resp.into_body()), 16 << 20).await.unwrap();
        Answer { status, headers, body: String::from_utf8_lossy(&bytes).into_owned() }
    }

    async fn get(&mut self, path: &str) -> Answer {
        self.send("GET", path, None, String::new()).await
    }

    async fn sign_in(&mut self, user: &str) {
        let form = self.get("/admin/login").await;
        let csrf = input_value(&form.body, "csrf_token").expect("the sign-in form has a CSRF token");
        let body = form_urlencoded::Serializer::new(String::new())
            .append_pair("username", user)
            .append_pair("password", PASSWORD)
            .append_pair("csrf_token", &csrf)
            .finish();
        let r = self.send("POST", "/admin/login", Some("application/x-www-form-urlencoded"), body).await;
        assert_eq!(r.status, 303, "signed in: {}", r.body);
    }

    /// Runs an action through the JSON API with this client's token.
    async fn api(&mut self, action: &str, body: serde_json::Value) -> Answer {
        let path = format!("/admin/api/account/actions/{action}");
        self.send("POST", &path, Some("application/json"), body.to_string()).await
    }
}

fn input_value(html: &str, name: &str) -> Option<String> {
    let at = html.find(&format!("name=\"{name}\""))?;
    let tag_start = html[..at].rfind('<')?;
    let tag = &html[tag_start..at + html[at..].find('>')?];
    let v = tag.split("value=\"").nth(1)?.split('"').next()?;
    Some(html_unescape(v))
}

/// Accounts 1..=ACCOUNTS; 1..=MAILED have a failed welcome email to retry (to
/// addresses the demo's mail never bounces); the last LOCKED are locked for fraud.
const ACCOUNTS: i64 = 240;
const MAILED: i64 = 8;
const LOCKED: i64 = 6;

/// An address for account `id` that the demo's folder transport delivers.
fn address(id: i64) -> String {
    (0..).map(|n| format!("customer{id}-{n}@example.com")).find(|a| !simulated_bounce(a)).unwrap()
}

async fn seed(db: &DatabaseConnection) {
    let at = chrono::NaiveDate::from_ymd_opt(2026, 1, 10).unwrap().and_hms_opt(9, 0, 0).unwrap();
    for id in 1..=ACCOUNTS {
        account::ActiveModel {
            id: Set(id),
            email: Set(address(id)),
            company: Set(format!("Company {id}")),
            plan: Set("monthly".to_owned()),
            billing_state: Set("ok".to_owned()),
            last_payment_result: Set(None),
            signup_at: Set(at),
            welcome_email_sent: Set(false),
            manual_review: Set(false),
            locked: Set(false),
            updated_at: Set(at),
        }
        .insert(db)
        .await
        .unwrap();
    }
    for id in 1..=MAILED {
        email_job::ActiveModel {
            id: Set(id),
            account_id: Set(id),
            kind: Set("welcome".to_owned()),
            status: Set("failed".to_owned()),
            attempts: Set(3),
            last_error: Set(Some("SMTP 421 try later".to_owned())),
            updated_at: Set(at),
        }
        .insert(db)
        .await
        .unwrap();
    }
    if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        for table in ["account", "email_job"] {
            db.execute_unprepared(&format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) + 1 FROM {table}), false)"
            ))
            .await
            .unwrap();
        }
    }
    for name in ["staff", "approver"] {
        opsadmin::auth::create_user(db, name, PASSWORD, &["admin"], false).await.unwrap();
    }
}

/// The reference app served on a port of its own, with its mail written to `mail`.
async fn serve(db: DatabaseConnection, registry: Arc<opsadmin::Registry>) -> std::net::SocketAddr {
    let state = ops_console::admin_state(db, registry, opsadmin::web::Config::default());
    let app = ops_console::app_with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

fn registry_mailing_to(dir: &std::path::Path) -> Arc<opsadmin::Registry> {
    Arc::new(ops_console::registry().effect_handler(MailHandler::new(Transport::Folder(dir.to_owned()))))
}

fn door(db: &DatabaseConnection, registry: &opsadmin::Registry) -> opsadmin::Service {
    opsadmin::Service::new(db.clone(), registry.clone()).with_roles(ops_console::roles::roles())
}

/// Repeats `f` while the database is unavailable (the test's own set-up writes).
async fn until_available<T, F: std::future::Future<Output = opsadmin::Result<T>>>(
    mut f: impl FnMut() -> F,
) -> opsadmin::Result<T> {
    loop {
        match f().await {
            Err(e) if e.is_unavailable() => tokio::time::sleep(Duration::from_millis(200)).await,
            other => return other,
        }
    }
}

/// Locks the last [`LOCKED`] accounts for fraud and asks to unlock them: requests
/// for approval, which `approver` approves later.
async fn fraud_unlock_requests(service: &opsadmin::Service) -> Vec<i64> {
    let staff = service.local("staff").await.unwrap().with_reason(Some("Card testing".to_owned()));
    let mut requests = Vec::new();
    for id in ACCOUNTS - LOCKED + 1..=ACCOUNTS {
        let keys = vec![id.to_string()];
        let lock =
            ActionRequest { keys: keys.clone(), input: json!({"kind": "fraud"}), idempotency_key: None };
        service.run_action(&staff, "account", "lock_account", &lock).await.unwrap();
        let unlock = ActionRequest { keys, input: json!({}), idempotency_key: None };
        match service.run_action(&staff, "account", "unlock_account", &unlock).await.unwrap() {
            ActionResult::Queued { id } => requests.push(id),
            other => panic!("a fraud unlock waits for approval: {other:?}"),
        }
    }
    requests
}

/// A reader and writer: pages, and "Mark for manual review" through the API on
/// each id of `before` (while the server has not restarted yet; the rest are
/// left alone) and then of `after` (once it has). Gives what each id's run
/// answered. Every request started after the restart must succeed.
async fn load(
    (mut browser, mut script): (Http, Http),
    (before, after): (Vec<i64>, Vec<i64>),
    sent: Arc<AtomicUsize>,
    restarted: Arc<AtomicBool>,
) -> Vec<(i64, u16, serde_json::Value)> {
    let mut outcomes = Vec::new();
    let (mut before, mut after) = (before.into_iter(), after.into_iter());
    loop {
        let since_restart = restarted.load(Ordering::SeqCst);
        let id = if since_restart { after.next() } else { before.next() };
        if since_restart && id.is_none() {
            return outcomes;
        }
        let shown = id.unwrap_or(1);
        for path in ["/admin/account/?q=Company".to_owned(), format!("/admin/account/{shown}")] {
            let page = browser.get(&path).await;
            page.assert_acceptable(&path);
            assert!(
                !since_restart || page.status == 200,
                "after the restart, {path}: {} {}",
                page.status,
                page.body
            );
        }
        if let Some(id) = id {
            let body = json!({"ids": [id], "idempotency_key": format!("mark-{id}")});
            let run = script.api("mark_for_manual_review", body).await;
            run.assert_acceptable("an action run");
            assert!(
                !since_restart || run.status == 200,
                "after the restart, a run: {} {}",
                run.status,
                run.body
            );
            outcomes.push((id, run.status, run.json()));
        }
        sent.fetch_add(1, Ordering::SeqCst);
    }
}

/// An API token for the staff user `name`.
async fn token(db: &DatabaseConnection, name: &str) -> String {
    let who = admin_core::auth::staff_by_name(db, &ops_console::roles::roles(), name).await.unwrap();
    let ctx = admin_core::audit::Context::staff(&who);
    admin_core::auth::create_api_token(db, &ctx, who.id, "script").await.unwrap()
}

/// Retries each welcome email through the API, again with the same key while the
/// database is away: each runs once.
async fn retry_mails(mut script: Http) {
    for id in 1..=MAILED {
        loop {
            let r = script
                .api("retry_welcome_email", json!({"ids": [id], "idempotency_key": format!("mail-{id}")}))
                .await;
            r.assert_acceptable("a welcome email retry");
            if r.status == 200 {
                assert_eq!(r.json()["done"].as_array().map(Vec::len), Some(1), "{}", r.body);
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

async fn count_entries(db: &DatabaseConnection, kind: &str, model: &str, id: i64) -> u64 {
    entry::Entity::find()
        .filter(entry::Column::Kind.eq(kind))
        .filter(entry::Column::Model.eq(model))
        .filter(entry::Column::ObjectId.eq(id.to_string()))
        .count(db)
        .await
        .unwrap()
}

/// Waits (no deadline but a generous guard against a hang) until the worker has
/// settled every approval and effect.
async fn worker_settles(db: &DatabaseConnection, approvals: usize) {
    for _ in 0..1500 {
        let open_approvals = admin_core::approval::request::Entity::find()
            .filter(admin_core::approval::request::Column::Status.ne("done"))
            .count(db)
            .await;
        let open_effects =
            effect_row::Entity::find().filter(effect_row::Column::State.ne("done")).count(db).await;
        let effects = effect_row::Entity::find().count(db).await;
        if let (Ok(0), Ok(0), Ok(n)) = (open_approvals, open_effects, effects)
            && n == MAILED as u64
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the worker did not carry out the {approvals} approvals and {MAILED} effects");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgresql_restarted_under_load_loses_nothing_and_runs_nothing_twice() {
    let pg = PgCluster::start(PgOptions::default()).expect("a PostgreSQL server of the test's own");
    let url = pg.url("test");
    let db = ops_console::connect(&url).await.unwrap();
    ops_console::prepare(&db).await.unwrap();
    seed(&db).await;
    let mail = std::env::temp_dir().join(format!("opsadmin-faults-mail-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&mail);
    let registry = registry_mailing_to(&mail);
    let service = door(&db, &registry);
    let requests = fraud_unlock_requests(&service).await;
    let addr = serve(db.clone(), registry.clone()).await;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let worker = {
        let (db, registry) = (db.clone(), registry.clone());
        tokio::spawn(async move {
            let roles = ops_console::roles::roles();
            let stop = async move {
                let _ = stopped.await;
            };
            ops_console::commands::worker(&db, &registry, &roles, false, stop).await.unwrap()
        })
    };
    let token = token(&db, "staff").await;
    let mut browser = Http::new(addr);
    browser.sign_in("staff").await;
    let script = Http { token: Some(token), ..Http::new(addr) };

    // Load from four tasks (three readers and writers, one retrying mail), and
    // approvals given meanwhile; the server restarts once they are under way.
    let (sent, restarted) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicBool::new(false)));
    let writers: Vec<_> = (0..3i64)
        .map(|t| {
            let mut ids: Vec<i64> = (1..=ACCOUNTS - LOCKED).filter(|id| id % 3 == t).collect();
            let after = ids.split_off(ids.len() - 3);
            let clients = (browser.clone(), script.clone());
            tokio::spawn(load(clients, (ids, after), sent.clone(), restarted.clone()))
        })
        .collect();
    let mails = tokio::spawn(retry_mails(script.clone()));
    let approvals = {
        let service = service.clone();
        let requests = requests.clone();
        tokio::spawn(async move {
            let approver = service.local("approver").await.unwrap();
            for id in requests {
                match until_available(|| service.decide(&approver, id, true, Some("checked"))).await {
                    Ok(_) => {}
                    // Its commit was cut but went through: decided already.
                    Err(opsadmin::Error::Refused(_)) => {}
                    Err(e) => panic!("approving {id}: {e}"),
                }
            }
        })
    };
    while sent.load(Ordering::SeqCst) < 6 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::task::block_in_place(|| pg.restart()).unwrap_or_else(|e| panic!("{e}\n{}", pg.log()));
    restarted.store(true, Ordering::SeqCst);
    let mut outcomes = Vec::new();
    for w in writers {
        outcomes.extend(w.await.expect("no request was answered with a 500"));
    }
    mails.await.expect("every welcome email was retried once");
    approvals.await.expect("every request was approved");

    // Stopped: requests wait for a connection, then answer 503 in the admin's
    // layout (HTML) or as JSON, with Retry-After. A second instance of the app
    // waits only briefly for a connection, so the test need not wait 30 s.
    let mut opts = sea_orm::ConnectOptions::new(url.clone());
    opts.max_connections(2).min_connections(0).acquire_timeout(Duration::from_secs(2)).sqlx_logging(false);
    let brief = sea_orm::Database::connect(opts).await.unwrap();
    tokio::task::block_in_place(|| pg.stop()).unwrap();
    {
        let other = serve(brief, registry.clone()).await;
        let mut page_client = Http { base: format!("http://{other}"), ..browser.clone() };
        let page = page_client.get("/admin/account/").await;
        assert_eq!(page.status, 503, "{}", page.body);
        assert!(html_unescape(&page.body).contains(DOWN), "{}", page.body);
        assert!(page.body.contains("<html") && page.body.contains("Database unavailable"), "{}", page.body);
        assert_eq!(page.headers.get(header::RETRY_AFTER).unwrap(), "5");
        let mut api_client = Http { base: format!("http://{other}"), ..script.clone() };
        let r = api_client.api("mark_for_manual_review", json!({"ids": [1]})).await;
        assert_eq!(r.status, 503, "{}", r.body);
        assert_eq!(r.json()["error"], "database_unavailable", "{}", r.body);
        assert_eq!(r.json()["message"], DOWN, "{}", r.body);
        assert!(r.headers.contains_key(header::RETRY_AFTER));
    }
    tokio::task::block_in_place(|| pg.start_again()).unwrap();
    // The same app, without a restart of its own, answers again.
    let page = browser.get("/admin/account/?q=Company").await;
    assert_eq!(page.status, 200, "{}", page.body);

    worker_settles(&db, requests.len()).await;
    let _ = stop.send(());
    let summary = worker.await.unwrap();
    assert_eq!(summary.effects_failed + summary.failed, 0, "{summary:?}");

    // The audit chain holds, and every record has exactly the entries of what
    // changed it: a run that answered 200 changed its record, one that answered
    // "nothing was saved" did not, and no run is half there.
    let verdict = audit::verify(&db).await.unwrap();
    assert!(matches!(verdict, audit::Verdict::Intact { .. }), "{verdict:?}");
    let mut statuses: HashMap<u16, usize> = HashMap::new();
    for (id, status, body) in &outcomes {
        *statuses.entry(*status).or_default() += 1;
        let a = account::Entity::find_by_id(*id).one(&db).await.unwrap().unwrap();
        let entries = count_entries(&db, "action:mark_for_manual_review", "account", *id).await;
        assert_eq!(
            entries,
            u64::from(a.manual_review),
            "account {id}: {entries} entries, review {}",
            a.manual_review
        );
        match (status, body["error"].as_str()) {
            (200, _) => assert!(a.manual_review, "account {id} answered done"),
            (503, Some("database_unavailable")) => {
                assert!(!a.manual_review, "account {id}: nothing was saved")
            }
            _ => {}
        }
    }
    eprintln!("answers during the restart: {statuses:?}");
    for id in 1..=MAILED {
        let job = email_job::Entity::find_by_id(id).one(&db).await.unwrap().unwrap();
        assert_eq!(job.status, "sent", "email job {id}");
        assert_eq!(count_entries(&db, "action:retry_welcome_email", "account", id).await, 1, "account {id}");
    }
    for effect in effect_row::Entity::find().all(&db).await.unwrap() {
        assert_eq!(count_entries(&db, "effect_done", "effect", effect.id).await, 1, "effect {}", effect.id);
    }
    let eml = std::fs::read_dir(&mail).map(|d| d.count()).unwrap_or(0);
    assert_eq!(eml, MAILED as usize, "each welcome email went out exactly once");
    for id in ACCOUNTS - LOCKED + 1..=ACCOUNTS {
        let a = account::Entity::find_by_id(id).one(&db).await.unwrap().unwrap();
        assert!(!a.locked, "account {id} was unlocked by its approved request");
        assert_eq!(count_entries(&db, "action:unlock_account", "account", id).await, 1, "account {id}");
    }
    assert_eq!(summary.done as usize, requests.len(), "{summary:?}");
    let _ = std::fs::remove_dir_all(&mail);
}

/// A SQLite database of the test's own whose connections give up on a held write
/// lock after `busy` (the reference app waits 10 s).
async fn sqlite_app(busy: Duration) -> (DatabaseConnection, std::path::PathBuf, std::net::SocketAddr) {
    use sea_orm::sqlx::sqlite::SqliteJournalMode;
    let n = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    let path = std::env::temp_dir().join(format!("opsadmin-faults-{}-{n}.db", std::process::id()));
    let mut opts = sea_orm::ConnectOptions::new(format!("sqlite://{}?mode=rwc", path.display()));
    opts.max_connections(3).min_connections(1).sqlx_logging(false);
    opts.map_sqlx_sqlite_opts(move |o| o.journal_mode(SqliteJournalMode::Wal).busy_timeout(busy));
    let db = sea_orm::Database::connect(opts).await.unwrap();
    ops_console::prepare(&db).await.unwrap();
    seed(&db).await;
    let addr = serve(db.clone(), Arc::new(ops_console::registry())).await;
    (db, path, addr)
}

/// Another process's writer: a connection of its own holding SQLite's write lock
/// until told to let go.
async fn hold_write_lock(
    path: &std::path::Path,
) -> (tokio::sync::oneshot::Sender<()>, tokio::task::JoinHandle<()>) {
    use sea_orm::sqlx::{Connection, SqliteConnection, query};
    let mut conn = SqliteConnection::connect(&format!("sqlite://{}", path.display())).await.unwrap();
    query("BEGIN IMMEDIATE").execute(&mut conn).await.unwrap();
    query("UPDATE account SET company = company WHERE id = 1").execute(&mut conn).await.unwrap();
    let (release, released) = tokio::sync::oneshot::channel::<()>();
    let holder = tokio::spawn(async move {
        let _ = released.await;
        query("ROLLBACK").execute(&mut conn).await.unwrap();
    });
    (release, holder)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sqlite_write_lock_held_too_long_is_a_503_busy_and_a_short_one_is_waited_out() {
    let (db, path, addr) = sqlite_app(Duration::from_millis(300)).await;
    let mut script = Http { token: Some(token(&db, "staff").await), ..Http::new(addr) };
    let mut browser = Http::new(addr);
    browser.sign_in("staff").await;

    // Held until the request has given up: 503 busy, nothing saved, never a 500.
    let (release, holder) = hold_write_lock(&path).await;
    let before = admin_core::db::txn::busy_retries();
    let r = script.api("mark_for_manual_review", json!({"ids": [2]})).await;
    assert!(
        admin_core::db::txn::busy_retries() >= before + 2,
        "begin_write tried three times: {} {}",
        r.status,
        r.body
    );
    assert_eq!(r.status, 503, "{}", r.body);
    assert_eq!(r.json()["error"], "database_busy", "{}", r.body);
    assert_eq!(r.json()["message"], BUSY);
    assert_eq!(r.headers.get(header::RETRY_AFTER).unwrap(), "2");
    let csrf = input_value(&browser.get("/admin/").await.body, "csrf_token").unwrap();
    let form = form_urlencoded::Serializer::new(String::new())
        .append_pair("csrf_token", &csrf)
        .append_pair("ids", "3")
        .append_pair("confirm", "1")
        .append_pair("idempotency_key", "busy-3")
        .finish();
    let page = browser
        .send(
            "POST",
            "/admin/account/actions/mark_for_manual_review",
            Some("application/x-www-form-urlencoded"),
            form,
        )
        .await;
    assert_eq!(page.status, 503, "{}", page.body);
    assert!(html_unescape(&page.body).contains(BUSY) && page.body.contains("<html"), "{}", page.body);
    release.send(()).unwrap();
    holder.await.unwrap();
    for id in [2, 3] {
        let a = account::Entity::find_by_id(id).one(&db).await.unwrap().unwrap();
        assert!(!a.manual_review, "account {id}: nothing was saved");
    }

    // Held only until the request's first try gave up: its retry gets the lock.
    let (release, holder) = hold_write_lock(&path).await;
    let before = admin_core::db::txn::busy_retries();
    let run = tokio::spawn({
        let mut script = script.clone();
        async move { script.api("mark_for_manual_review", json!({"ids": [4]})).await }
    });
    while admin_core::db::txn::busy_retries() == before && !run.is_finished() {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(!run.is_finished(), "the request waits for the lock: {:?}", run.await.unwrap());
    release.send(()).unwrap();
    holder.await.unwrap();
    let r = run.await.unwrap();
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(account::Entity::find_by_id(4).one(&db).await.unwrap().unwrap().manual_review);
    assert_eq!(count_entries(&db, "action:mark_for_manual_review", "account", 4).await, 1);
    let verdict = audit::verify(&db).await.unwrap();
    assert!(matches!(verdict, audit::Verdict::Intact { .. }), "{verdict:?}");
    db.close().await.unwrap();
    for ext in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{ext}", path.display()));
    }
}
