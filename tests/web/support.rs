//! A test app over a fresh SQLite file, and a small HTTP client with a cookie jar
//! that drives the real router in process.

use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::NaiveDate;
use ops_console::models::{account, email_job, invoice};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DatabaseConnection};
use tower::ServiceExt;

/// A staff user every test app has.
pub const USER: &str = "staff";
/// Their password.
pub const PASSWORD: &str = "correct horse battery staple";

static N: AtomicU64 = AtomicU64::new(0);
static SWEPT: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// A fresh app on its own database with known rows: a SQLite file, or with
/// `OPSADMIN_TEST_DB=postgres` a new PostgreSQL database on 127.0.0.1:5432.
pub struct TestApp {
    pub db: DatabaseConnection,
    pub router: Router,
    pub path: std::path::PathBuf,
    pub backend: Backend,
    /// The database URL, for opening a second connection pool (a second instance).
    pub url: String,
}

/// Which database a test app runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The backend chosen by `OPSADMIN_TEST_DB` (`sqlite`, the default, or `postgres`).
    pub fn from_env() -> Self {
        match std::env::var("OPSADMIN_TEST_DB").as_deref() {
            Ok("postgres") => Backend::Postgres,
            _ => Backend::Sqlite,
        }
    }
}

/// The PostgreSQL server tests use.
pub const PG_SERVER: &str = "postgres://postgres@127.0.0.1:5432";

impl Drop for TestApp {
    fn drop(&mut self) {
        match self.backend {
            Backend::Sqlite => {
                for ext in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{ext}", self.path.display()));
                }
            }
            Backend::Postgres => {
                // Drop the test's database on a thread of its own: Drop cannot await,
                // and the test's runtime may be shutting down.
                let name = self.url.rsplit('/').next().unwrap_or_default().to_owned();
                let _ = std::thread::spawn(move || {
                    let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
                        return;
                    };
                    rt.block_on(async move {
                        if let Ok(admin) = sea_orm::Database::connect(format!("{PG_SERVER}/test")).await {
                            let _ = admin
                                .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                                .await;
                            let _ = admin.close().await;
                        }
                    });
                })
                .join();
            }
        }
    }
}

/// Creates a fresh PostgreSQL database and returns its URL; databases left by
/// earlier runs of this process id are dropped first.
async fn fresh_pg_database(n: u64) -> String {
    let name = format!("opsadmin_t_{}_{n}", std::process::id());
    let admin = sea_orm::Database::connect(format!("{PG_SERVER}/test")).await.unwrap_or_else(|e| {
        panic!(
            "PostgreSQL is not reachable at {PG_SERVER} ({e}); start it or run with OPSADMIN_TEST_DB=sqlite"
        )
    });
    // Once per run: drop databases that runs which no longer exist left behind.
    if !SWEPT.swap(true, Ordering::SeqCst) {
        use sea_orm::{DbBackend, Statement};
        let rows = admin
            .query_all_raw(Statement::from_string(
                DbBackend::Postgres,
                "SELECT datname FROM pg_database WHERE datname LIKE 'opsadmin_t_%'",
            ))
            .await
            .unwrap_or_default();
        for row in rows {
            let Ok(db) = row.try_get::<String>("", "datname") else { continue };
            let pid = db.split('_').nth(2).and_then(|p| p.parse::<u32>().ok());
            if pid.is_some_and(|p| {
                p != std::process::id() && !std::path::Path::new(&format!("/proc/{p}")).exists()
            }) {
                let _ = admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)")).await;
            }
        }
    }
    admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await.unwrap();
    admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await.unwrap();
    admin.close().await.ok();
    format!("{PG_SERVER}/{name}")
}

/// The URL of a new, empty database of the backend under test, for tests of
/// start-up itself. The caller removes it: [`drop_database`].
pub async fn empty_database() -> String {
    let n = N.fetch_add(1, Ordering::SeqCst);
    match Backend::from_env() {
        Backend::Sqlite => {
            let path = std::env::temp_dir().join(format!("opsadmin-test-{}-{n}.db", std::process::id()));
            let _ = std::fs::remove_file(&path);
            format!("sqlite://{}?mode=rwc", path.display())
        }
        Backend::Postgres => fresh_pg_database(n).await,
    }
}

/// Removes a database made by [`empty_database`].
pub async fn drop_database(url: &str) {
    if let Some(rest) = url.strip_prefix("sqlite://") {
        let path = rest.split('?').next().unwrap_or_default();
        for ext in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{path}{ext}"));
        }
    } else if let Some(name) = url.rsplit('/').next()
        && let Ok(admin) = sea_orm::Database::connect(format!("{PG_SERVER}/test")).await
    {
        let _ = admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
        let _ = admin.close().await;
    }
}

/// A response, read whole.
pub struct Resp {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: String,
}

impl Resp {
    pub fn location(&self) -> &str {
        self.headers.get(header::LOCATION).and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    #[track_caller]
    pub fn assert_contains(&self, needle: &str) {
        assert!(
            self.body.contains(needle),
            "expected {needle:?} in the page (status {}):\n{}",
            self.status,
            self.body
        );
    }

    #[track_caller]
    pub fn assert_lacks(&self, needle: &str) {
        assert!(!self.body.contains(needle), "did not expect {needle:?} in the page:\n{}", self.body);
    }

    /// The value of the first `<input name="{name}" value="...">`.
    pub fn input_value(&self, name: &str) -> Option<String> {
        let marker = format!("name=\"{name}\" value=\"");
        let start = self.body.find(&marker)? + marker.len();
        let end = self.body[start..].find('"')? + start;
        Some(html_unescape(&self.body[start..end]))
    }

    /// How many rows the first results table has.
    pub fn row_count(&self) -> usize {
        match self.body.find("<tbody>") {
            Some(start) => {
                let end = self.body[start..].find("</tbody>").map_or(self.body.len(), |e| e + start);
                self.body[start..end].matches("<tr>").count()
            }
            None => 0,
        }
    }
}

pub fn html_unescape(s: &str) -> String {
    s.replace("&amp;", "&")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#x2f;", "/")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
}

/// Account ids the fixture creates, with their properties.
pub const ALICE: i64 = 1; // trial, failed_first_charge, acme-42, signup 2026-01-10
pub const BOB: i64 = 2; // annual, ok, Globex, signup 2026-02-20, manual review
pub const CAROL: i64 = 3; // monthly, past_due, acme-420, signup 2026-03-05, locked

fn dt(y: i32, m: u32, d: u32) -> chrono::NaiveDateTime {
    NaiveDate::from_ymd_opt(y, m, d).unwrap().and_hms_opt(9, 30, 0).unwrap()
}

impl TestApp {
    /// A fresh app with three accounts (and invoices and email jobs for Alice) plus
    /// `extra` more plain accounts.
    pub async fn new(extra: usize) -> Self {
        Self::new_on(Backend::from_env(), extra).await
    }

    /// [`TestApp::new`] on `backend` whatever `OPSADMIN_TEST_DB` says (for tests of
    /// what only one backend has, such as SQLite's backup).
    pub async fn new_on(backend: Backend, extra: usize) -> Self {
        let n = N.fetch_add(1, Ordering::SeqCst);
        let path = std::env::temp_dir().join(format!("opsadmin-test-{}-{n}.db", std::process::id()));
        let url = match backend {
            Backend::Sqlite => {
                let _ = std::fs::remove_file(&path);
                format!("sqlite://{}?mode=rwc", path.display())
            }
            Backend::Postgres => fresh_pg_database(n).await,
        };
        let db = ops_console::connect(&url).await.expect("connect");
        ops_console::prepare(&db).await.expect("prepare");
        opsadmin::auth::create_user(&db, USER, PASSWORD, &["admin"], true).await.expect("user");
        let acc = |id: i64,
                   email: &str,
                   company: &str,
                   plan: &str,
                   state: &str,
                   signup,
                   review: bool,
                   locked: bool| account::ActiveModel {
            id: Set(id),
            email: Set(email.to_owned()),
            company: Set(company.to_owned()),
            plan: Set(plan.to_owned()),
            billing_state: Set(state.to_owned()),
            last_payment_result: Set(None),
            signup_at: Set(signup),
            welcome_email_sent: Set(false),
            manual_review: Set(review),
            locked: Set(locked),
            updated_at: Set(signup),
        };
        acc(
            ALICE,
            "user1@acme-42-ltd.example",
            "Acme 42 Ltd",
            "trial",
            "failed_first_charge",
            dt(2026, 1, 10),
            false,
            false,
        )
        .insert(&db)
        .await
        .unwrap();
        acc(BOB, "user2@globex-7-inc.example", "Globex 7 Inc", "annual", "ok", dt(2026, 2, 20), true, false)
            .insert(&db)
            .await
            .unwrap();
        acc(
            CAROL,
            "user3@acme-420-gmbh.example",
            "Acme 420 GmbH",
            "monthly",
            "past_due",
            dt(2026, 3, 5),
            false,
            true,
        )
        .insert(&db)
        .await
        .unwrap();
        for i in 0..extra {
            let id = 4 + i as i64;
            acc(
                id,
                &format!("user{id}@hooli-{id}-llc.example"),
                &format!("Hooli {id} LLC"),
                "free",
                "ok",
                dt(2025, 6, 1),
                false,
                false,
            )
            .insert(&db)
            .await
            .unwrap();
        }
        for (id, status) in [(1, "paid"), (2, "open")] {
            invoice::ActiveModel {
                id: Set(id),
                account_id: Set(ALICE),
                number: Set(format!("INV-{id:08}")),
                amount_cents: Set(4900),
                currency: Set("USD".to_owned()),
                status: Set(status.to_owned()),
                issued_at: Set(dt(2026, 1, 11)),
            }
            .insert(&db)
            .await
            .unwrap();
        }
        email_job::ActiveModel {
            id: Set(1),
            account_id: Set(ALICE),
            kind: Set("welcome".to_owned()),
            status: Set("failed".to_owned()),
            attempts: Set(3),
            last_error: Set(Some("SMTP 550 mailbox unavailable".to_owned())),
            updated_at: Set(dt(2026, 1, 10)),
        }
        .insert(&db)
        .await
        .unwrap();
        if backend == Backend::Postgres {
            // Rows were inserted with explicit ids: move the sequences past them.
            for table in ["account", "invoice", "email_job"] {
                db.execute_unprepared(&format!(
                    "SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)"
                ))
                .await
                .unwrap();
            }
        }
        let router = ops_console::app(db.clone());
        Self { db, router, path, backend, url }
    }

    /// A fresh app like [`TestApp::new`] (no extra accounts) whose admin has these
    /// roles instead of the console's, e.g. with `require_two_factor("admin")`.
    pub async fn with_roles(roles: opsadmin::Roles) -> Self {
        let mut app = Self::new(0).await;
        let state = opsadmin::web::AdminState::new(app.db.clone(), ops_console::registry()).with_roles(roles);
        app.router = Router::new().merge(opsadmin::web::router()).with_state(state);
        app
    }

    /// Makes every insert into `table` fail, as a broken disk or a lost connection
    /// would, until [`TestApp::heal_inserts`].
    pub async fn break_inserts(&self, table: &str) {
        let sql = match self.backend {
            Backend::Sqlite => format!(
                "CREATE TRIGGER break_{table} BEFORE INSERT ON {table} BEGIN SELECT RAISE(ABORT, 'injected failure'); END;"
            ),
            Backend::Postgres => format!(
                "CREATE FUNCTION break_{table}() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'injected failure'; END; $$ LANGUAGE plpgsql; \
                 CREATE TRIGGER break_{table} BEFORE INSERT ON {table} FOR EACH ROW EXECUTE FUNCTION break_{table}();"
            ),
        };
        self.db.execute_unprepared(&sql).await.unwrap();
    }

    /// Undoes [`TestApp::break_inserts`].
    pub async fn heal_inserts(&self, table: &str) {
        let sql = match self.backend {
            Backend::Sqlite => format!("DROP TRIGGER break_{table}"),
            Backend::Postgres => {
                format!("DROP TRIGGER break_{table} ON {table}; DROP FUNCTION break_{table}();")
            }
        };
        self.db.execute_unprepared(&sql).await.unwrap();
    }

    /// A client with an empty cookie jar.
    pub fn client(&self) -> Client {
        Client { router: self.router.clone(), cookies: Vec::new() }
    }

    /// A client signed in as the fixture's staff user.
    pub async fn signed_in(&self) -> Client {
        let mut c = self.client();
        c.sign_in(USER, PASSWORD).await;
        c
    }
}

/// A browser-like client: keeps cookies, asks for HTML.
pub struct Client {
    router: Router,
    cookies: Vec<(String, String)>,
}

impl Client {
    fn cookie_header(&self) -> String {
        self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    async fn send(&mut self, req: Request<Body>) -> Resp {
        let resp = self.router.clone().oneshot(req).await.expect("router answers");
        for v in resp.headers().get_all(header::SET_COOKIE) {
            let v = v.to_str().unwrap();
            let (kv, attrs) = v.split_once(';').unwrap_or((v, ""));
            let (k, val) = kv.split_once('=').unwrap();
            self.cookies.retain(|(n, _)| n != k);
            if !attrs.contains("Max-Age=0") {
                self.cookies.push((k.to_owned(), val.to_owned()));
            }
        }
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = axum::body::to_bytes(resp.into_body(), 64 << 20).await.unwrap();
        Resp { status, headers, body: String::from_utf8_lossy(&bytes).into_owned() }
    }

    pub async fn get(&mut self, path: &str) -> Resp {
        let req = Request::get(path)
            .header(header::ACCEPT, "text/html")
            .header(header::COOKIE, self.cookie_header())
            .body(Body::empty())
            .unwrap();
        self.send(req).await
    }

    /// A GET as an API client would make it (no `Accept: text/html`).
    pub async fn get_api(&mut self, path: &str) -> Resp {
        let req =
            Request::get(path).header(header::COOKIE, self.cookie_header()).body(Body::empty()).unwrap();
        self.send(req).await
    }

    pub async fn post(&mut self, path: &str, pairs: &[(&str, &str)]) -> Resp {
        let body = {
            let mut ser = form_urlencoded::Serializer::new(String::new());
            for (k, v) in pairs {
                ser.append_pair(k, v);
            }
            ser.finish()
        };
        let req = Request::post(path)
            .header(header::ACCEPT, "text/html")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, self.cookie_header())
            .body(Body::from(body))
            .unwrap();
        self.send(req).await
    }

    /// `POST`s, and when the answer is a 303 (a list's form sent to an action's
    /// confirmation, say), `GET`s where it points, as a browser does.
    pub async fn post_follow(&mut self, path: &str, pairs: &[(&str, &str)]) -> Resp {
        let r = self.post(path, pairs).await;
        if r.status != 303 {
            return r;
        }
        let to = r.location().to_owned();
        self.get(&to).await
    }

    /// Sends a request exactly as written (the URI and body are not encoded), with
    /// the cookies and extra headers; `None` when `http` itself cannot build it (a
    /// URI no client could send, which the HTTP layer would refuse).
    pub async fn raw(
        &mut self,
        method: &str,
        uri: &str,
        headers: &[(&str, &str)],
        body: impl Into<Body>,
    ) -> Option<Resp> {
        let mut req = Request::builder().method(method).uri(uri).header(header::COOKIE, self.cookie_header());
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let req = req.body(body.into()).ok()?;
        Some(self.send(req).await)
    }

    /// Follows a redirect to `/admin/me/confirm?next=…` and confirms with the
    /// fixture's password; the answer sends the user back to `next`.
    pub async fn confirm_password(&mut self, confirm_url: &str) -> Resp {
        let page = self.get(confirm_url).await;
        let csrf = page.input_value("csrf_token").expect("the confirmation form has a CSRF token");
        let next = page.input_value("next").unwrap_or_default();
        self.post("/admin/me/confirm", &[("csrf_token", &csrf), ("password", PASSWORD), ("next", &next)])
            .await
    }

    /// Another client sharing this one's cookies (the same signed-in session).
    pub fn clone_session(&self, app: &TestApp) -> Client {
        Client { router: app.router.clone(), cookies: self.cookies.clone() }
    }

    pub fn cookies_set(&mut self, name: &str, value: &str) {
        self.cookies.retain(|(k, _)| k != name);
        self.cookies.push((name.to_owned(), value.to_owned()));
    }

    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.cookies.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// Signs in through the real form.
    pub async fn sign_in(&mut self, user: &str, password: &str) -> Resp {
        let form = self.get("/admin/login").await;
        let csrf = form.input_value("csrf_token").expect("login form has a csrf token");
        self.post("/admin/login", &[("username", user), ("password", password), ("csrf_token", &csrf)]).await
    }

    /// The CSRF token of the signed-in session, read from a page's form.
    pub async fn csrf(&mut self) -> String {
        self.get("/admin/").await.input_value("csrf_token").expect("page has a csrf token")
    }

    /// GETs a record's edit page and returns its form's fields as pairs (the
    /// hidden and visible inputs), ready to post back.
    pub async fn edit_form(&mut self, path: &str) -> (Resp, Vec<(String, String)>) {
        let page = self.get(path).await;
        let mut pairs = Vec::new();
        for name in ["csrf_token", "_version", "_back"] {
            if let Some(v) = page.input_value(name) {
                pairs.push((name.to_owned(), v));
            }
        }
        (page, pairs)
    }
}

/// Borrows owned pairs as `(&str, &str)`.
pub fn refs(pairs: &[(String, String)]) -> Vec<(&str, &str)> {
    pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

/// A client signed in as a new staff user `name` with `role` (password [`PASSWORD`]).
pub async fn client_for(app: &TestApp, name: &str, role: &str) -> Client {
    opsadmin::auth::create_user(&app.db, name, PASSWORD, &[role], false).await.unwrap();
    let mut c = app.client();
    assert_eq!(c.sign_in(name, PASSWORD).await.status, 303);
    c
}

/// An API token for the staff user `name` (created first, with `role`, if given).
pub async fn token_for(app: &TestApp, name: &str, role: Option<&str>) -> String {
    if let Some(role) = role {
        opsadmin::auth::create_user(&app.db, name, PASSWORD, &[role], false).await.unwrap();
    }
    let who = admin_core::auth::staff_by_name(&app.db, &ops_console::roles::roles(), name).await.unwrap();
    let ctx = admin_core::audit::Context::staff(&who);
    admin_core::auth::create_api_token(&app.db, &ctx, who.id, "script").await.unwrap()
}

/// `POST` to the JSON API with an API token: the status and the JSON answer.
pub async fn api(
    app: &TestApp,
    token: &str,
    path: &str,
    body: serde_json::Value,
) -> (u16, serde_json::Value) {
    let req = Request::post(path)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::from(body.to_string()))
        .unwrap();
    let resp = app.router.clone().oneshot(req).await.unwrap();
    let status = resp.status().as_u16();
    let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20).await.unwrap();
    (status, serde_json::from_slice(&bytes).unwrap_or_default())
}

/// The door's caller for an audit context built the old way (a staff user, a
/// reason, a request id), as a command-line user proves themselves.
pub fn caller_of(ctx: &admin_core::audit::Context) -> opsadmin::Caller {
    let identity = opsadmin::auth::Identity {
        staff: ctx.actor.clone().expect("a staff user"),
        proof: opsadmin::auth::Proof::Local,
        session: None,
    };
    opsadmin::Caller::from_identity(&identity)
        .with_reason(ctx.reason.clone())
        .with_request(ctx.request_id.clone(), ctx.client_addr.clone())
}

/// Runs an action through the door as the staff user of `ctx`.
pub async fn run_action(
    db: &sea_orm::DatabaseConnection,
    ctx: &admin_core::audit::Context,
    registry: &opsadmin::Registry,
    slug: &str,
    name: &str,
    request: &admin_core::service::ActionRequest,
) -> opsadmin::Result<admin_core::service::ActionResult> {
    opsadmin::Service::new(db.clone(), registry.clone())
        .run_action(&caller_of(ctx), slug, name, request)
        .await
}

/// The reference app's binary as this build made it: `ops-console-under-test`,
/// compiled from `examples/ops-console/src/main.rs` by this package (Cargo gives a
/// package's integration tests the paths of its own binaries only).
#[must_use]
pub fn ops_console_bin() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_BIN_EXE_ops-console-under-test"))
}
