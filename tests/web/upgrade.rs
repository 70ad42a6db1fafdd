//! Upgrades: a database made by an earlier release migrates at start-up with its
//! data, sessions, API tokens and audit chain intact.
//!
//! Each directory under `tests/fixtures/upgrade/` holds what one release's
//! `ops-console` left behind after a little real use (`make.sh` there made it and
//! says how): a SQLite file, a PostgreSQL dump, and `fixture.json` with the rows
//! each table held, the raw cookies of signed-in sessions and the API tokens. The
//! test starts the current code on a copy the way `ops-console serve` does
//! ([`ops_console::prepare`] runs the migrations), then uses it as the same staff
//! would the morning after the upgrade. Every change to the admin's tables must
//! keep it passing; each release adds its fixture to [`FIXTURES`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ops_console::commands;
use opsadmin::audit::{self, Verdict};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use serde_json::{Value, json};

use super::support::{self, Backend, TestApp, api};

/// The fixtures, oldest first: `<version>-<commit>` of the release that made each.
const FIXTURES: &[&str] = &["0.1.0-d2a3a1a"];

/// Where the fixtures live.
fn fixture_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/upgrade").join(name)
}

/// One fixture's `fixture.json`, and the part of it for the backend under test.
struct Fixture {
    dir: PathBuf,
    all: Value,
    db: Value,
}

impl Fixture {
    fn load(name: &str) -> Self {
        let dir = fixture_dir(name);
        let text = std::fs::read_to_string(dir.join("fixture.json")).expect("fixture.json");
        let all: Value = serde_json::from_str(&text).expect("fixture.json is JSON");
        let db = all[backend_name()].clone();
        assert!(db.is_object(), "{name}/fixture.json has no {} part", backend_name());
        Self { dir, all, db }
    }

    fn str(&self, pointer: &str) -> String {
        self.db
            .pointer(pointer)
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("fixture has {pointer}"))
            .to_owned()
    }

    fn counts(&self) -> BTreeMap<String, u64> {
        self.db["counts"]
            .as_object()
            .expect("fixture has counts")
            .iter()
            .map(|(t, n)| (t.clone(), n.as_u64().expect("a count")))
            .collect()
    }

    fn checkpoint(&self) -> PathBuf {
        self.dir.join(format!("{}.checkpoint", backend_name()))
    }
}

fn backend_name() -> &'static str {
    match Backend::from_env() {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    }
}

/// A copy of the fixture's database, as the old release left it (nothing run on it
/// yet): the URL of a copied SQLite file, or of a new PostgreSQL database the dump
/// was loaded into.
async fn restore(fixture: &Fixture) -> String {
    let url = support::empty_database().await;
    match Backend::from_env() {
        Backend::Sqlite => {
            let path = url.trim_start_matches("sqlite://").split('?').next().unwrap_or_default();
            std::fs::copy(fixture.dir.join("sqlite.db"), path).expect("copy the SQLite fixture");
        }
        Backend::Postgres => {
            let dump = std::fs::read_to_string(fixture.dir.join("postgres.sql")).expect("postgres.sql");
            // psql's own commands (`\restrict`) are not SQL; the rest is plain
            // statements, the data as INSERTs.
            let sql: String = dump.lines().filter(|l| !l.starts_with('\\')).flat_map(|l| [l, "\n"]).collect();
            let db = sea_orm::Database::connect(&url).await.expect("connect to the new database");
            db.execute_unprepared(&sql).await.expect("load the PostgreSQL fixture");
            db.close().await.ok();
        }
    }
    url
}

/// Moves the fixture's sessions' last use and end in time as if the upgrade
/// happened a minute after the old release's last request: sessions end after
/// hours, and the fixture is older. When each session signed in stays as it was:
/// `audit verify` matches it with the sign-in's audit entry. Runs on the old
/// release's tables, before the migrations, so it names the columns as they were
/// then.
async fn bring_sessions_to_now(db: &DatabaseConnection) {
    type Stamp = chrono::NaiveDateTime;
    let rows = db
        .query_all(Query::select().columns(["id", "last_seen_at", "expires_at"]).from("admin_session"))
        .await
        .expect("read the sessions");
    let stamp = |r: &sea_orm::QueryResult, c: &str| r.try_get::<Stamp>("", c).expect("a session time");
    let Some(last) = rows.iter().map(|r| stamp(r, "last_seen_at")).max() else { return };
    let shift = chrono::Utc::now().naive_utc() - chrono::Duration::minutes(1) - last;
    for r in &rows {
        let id: String = r.try_get("", "id").expect("a session id");
        let mut update = Query::update();
        update.table("admin_session");
        for c in ["last_seen_at", "expires_at"] {
            update.value(c, Expr::val(stamp(r, c) + shift));
        }
        update.and_where(Expr::col("id").eq(id));
        db.execute(&update).await.expect("move a session in time");
    }
}

/// The admin as `ops-console serve` starts it: connected, the tables migrated
/// ([`ops_console::prepare`]), the console's router.
async fn start(url: &str) -> TestApp {
    let db = ops_console::connect(url).await.expect("connect");
    ops_console::prepare(&db).await.expect("the migrations run at start-up");
    let router = ops_console::app(db.clone());
    let path = PathBuf::from(url.trim_start_matches("sqlite://").split('?').next().unwrap_or_default());
    TestApp { db, router, path, backend: Backend::from_env(), url: url.to_owned() }
}

fn raw(db: &DatabaseConnection, sql: &str) -> Statement {
    Statement::from_string(db.get_database_backend(), sql.to_owned())
}

/// Every table of the database with its rows, but the search indexes' own tables
/// (derived from the models' rows).
async fn counts(db: &DatabaseConnection) -> BTreeMap<String, u64> {
    let list = match db.get_database_backend() {
        DbBackend::Postgres => {
            "SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1"
        }
        _ => "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY 1",
    };
    let mut out = BTreeMap::new();
    for row in db.query_all_raw(raw(db, list)).await.expect("list the tables") {
        let table: String = row.try_get("", "name").expect("a table name");
        if table.contains("_fts") || table.contains("_search") {
            continue;
        }
        let n = db
            .query_one_raw(raw(db, &format!("SELECT COUNT(*) AS n FROM \"{table}\"")))
            .await
            .expect("count a table")
            .and_then(|r| r.try_get::<i64>("", "n").ok())
            .unwrap_or_default();
        out.insert(table, u64::try_from(n).unwrap_or_default());
    }
    out
}

/// The tables an upgrade may add rows to.
const GROWING: &[&str] = &["admin_audit", "admin_schema_version"];

/// What a migration lost: each table of the fixture whose rows are not all there.
/// The audit log and the schema versions may only grow (a migration may log what
/// it did); other tables keep exactly their rows.
fn lost(before: &BTreeMap<String, u64>, after: &BTreeMap<String, u64>) -> Vec<String> {
    before
        .iter()
        .filter_map(|(table, &n)| match after.get(table) {
            None => Some(format!("{table}: the table is gone ({n} rows)")),
            Some(&m) if GROWING.contains(&table.as_str()) && m >= n => None,
            Some(&m) if m == n => None,
            Some(&m) => Some(format!("{table}: {n} rows before the upgrade, {m} after")),
        })
        .collect()
}

/// The schema versions applied, and every admin table's columns.
async fn schema(db: &DatabaseConnection) -> (Vec<i64>, BTreeMap<String, Vec<String>>) {
    let versions = db
        .query_all_raw(raw(db, "SELECT version FROM admin_schema_version ORDER BY version"))
        .await
        .expect("read the schema versions")
        .iter()
        .map(|r| r.try_get::<i64>("", "version").expect("a version"))
        .collect();
    let sql = match db.get_database_backend() {
        DbBackend::Postgres => {
            "SELECT table_name AS t, column_name AS c FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name LIKE 'admin\\_%' ORDER BY 1, 2"
        }
        _ => {
            "SELECT m.name AS t, p.name AS c FROM sqlite_master m, pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name LIKE 'admin\\_%' ESCAPE '\\' ORDER BY 1, 2"
        }
    };
    let mut columns: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in db.query_all_raw(raw(db, sql)).await.expect("read the columns") {
        let t: String = r.try_get("", "t").expect("a table");
        if t.contains("_search") {
            continue;
        }
        columns.entry(t).or_default().push(r.try_get("", "c").expect("a column"));
    }
    (versions, columns)
}

/// The versions and columns of a database the current code makes from nothing.
async fn fresh_schema() -> (Vec<i64>, BTreeMap<String, Vec<String>>) {
    let url = support::empty_database().await;
    let app = start(&url).await;
    let fresh = schema(&app.db).await;
    drop(app);
    fresh
}

/// `audit verify` as the command line runs it, with the fixture's checkpoints: the
/// chain is whole and still holds every entry the old release wrote.
async fn verify(db: &DatabaseConnection, fixture: &Fixture) -> Result<String, String> {
    commands::audit_verify(db, Some(&fixture.checkpoint())).await.map_err(|e| e.message)
}

async fn audit_entries(db: &DatabaseConnection) -> u64 {
    match audit::verify(db).await.expect("read the audit log") {
        Verdict::Intact { entries } => entries,
        Verdict::Broken { seq, problem, .. } => panic!("the audit log is broken at {seq}: {problem}"),
    }
}

async fn upgrade(name: &str) {
    let fixture = Fixture::load(name);
    let url = restore(&fixture).await;
    {
        let old = sea_orm::Database::connect(&url).await.expect("open the old database");
        bring_sessions_to_now(&old).await;
        old.close().await.ok();
    }
    let app = start(&url).await;
    let db = &app.db;

    // The schema is the newest: the same steps applied, the same columns, as on a
    // database the current code makes from nothing.
    let (versions, columns) = schema(db).await;
    let (fresh_versions, fresh_columns) = fresh_schema().await;
    assert_eq!(versions, fresh_versions, "{name}: schema versions after the upgrade");
    assert_eq!(columns, fresh_columns, "{name}: the admin's columns after the upgrade");

    // Every row is still there.
    let before = fixture.counts();
    assert!(
        before.get("admin_audit").copied().unwrap_or_default() > 5,
        "{name}: the fixture has an audit log"
    );
    let missing = lost(&before, &counts(db).await);
    assert!(missing.is_empty(), "{name}: the upgrade lost rows:\n{}", missing.join("\n"));

    // The audit chain is whole and holds what the old release wrote.
    let verified = verify(db, &fixture).await;
    assert!(verified.as_ref().is_ok_and(|t| t.contains("intact")), "{name}: audit verify: {verified:?}");

    // A signed-in session goes on: the cookie the old release set (its name too)
    // opens pages.
    let cookie = fixture.all["session_cookie"].as_str().expect("fixture has the cookie's name").to_owned();
    let mut root = app.client();
    root.cookies_set(&cookie, &fixture.str("/sessions/root"));
    let page = root.get("/admin/account/1").await;
    assert_eq!(page.status, 200, "{name}: root's session after the upgrade: {}", page.location());
    page.assert_contains("Acme 42 Ltd");
    page.assert_contains("Called the customer about the declined card");
    let dashboard = root.get("/admin/").await;
    assert_eq!(dashboard.status, 200);
    dashboard.assert_contains("Failed first charges");
    let lock = root.get("/admin/account/2").await;
    lock.assert_contains("Globex 7 Inc");
    let pending = root.get("/admin/approvals/2").await;
    assert_eq!(pending.status, 200);
    pending.assert_contains("Goodwill");
    let audit_page = root.get("/admin/audit").await;
    assert_eq!(audit_page.status, 200);
    audit_page.assert_contains("lock_account");

    // Another user's session, with another role: the refund they approved was
    // carried out.
    let mut fay = app.client();
    fay.cookies_set(&cookie, &fixture.str("/sessions/fay"));
    let invoice = fay.get("/admin/invoice/1").await;
    assert_eq!(invoice.status, 200, "{name}: fay's session after the upgrade: {}", invoice.location());
    invoice.assert_contains(">Refunded<");
    let approved = fay.get("/admin/approvals/1").await;
    approved.assert_contains("Checked the card statement");

    // A session that had signed out stays out.
    let mut gone = app.client();
    gone.cookies_set(&cookie, &fixture.str("/signed_out_session"));
    let refused = gone.get("/admin/").await;
    assert!(refused.location().contains("/admin/login"), "{name}: a signed-out session was let in");

    // Passwords still sign in.
    let password = fixture.all["password"].as_str().expect("fixture has the password");
    let mut dana = app.client();
    assert_eq!(dana.sign_in("dana", password).await.status, 303, "{name}: dana signs in with her password");

    // The API token works, and the revoked one stays refused.
    let entries = audit_entries(db).await;
    let token = fixture.str("/api_token");
    let mark = "/admin/api/account/actions/mark_for_manual_review";
    let replay = json!({"ids": ["3"], "reason": "Past due twice", "idempotency_key": "fixture-api-1"});
    let (status, answer) = api(&app, &token, mark, replay).await;
    assert_eq!((status, answer["status"].as_str()), (200, Some("already_done")), "{name}: {answer}");
    let (status, _) = api(&app, &fixture.str("/revoked_api_token"), mark, json!({"ids": ["2"]})).await;
    assert_eq!(status, 401, "{name}: the revoked token after the upgrade");
    assert_eq!(audit_entries(db).await, entries, "{name}: a replay and a refused call wrote no audit entry");

    // A write after the upgrade extends the chain, which still verifies.
    let (status, answer) =
        api(&app, &token, mark, json!({"ids": ["2"], "reason": "After the upgrade"})).await;
    assert_eq!((status, answer["status"].as_str()), (200, Some("done")), "{name}: {answer}");
    assert!(audit_entries(db).await > entries, "{name}: the write after the upgrade is in the audit log");
    let verified = verify(db, &fixture).await;
    assert!(verified.is_ok(), "{name}: audit verify after a write: {verified:?}");
    drop(app);
}

#[tokio::test]
async fn a_database_of_each_earlier_release_upgrades_with_its_data_sessions_and_audit_chain() {
    for name in FIXTURES {
        upgrade(name).await;
    }
}

/// The checks above can fail: a lost row and an altered audit entry are noticed.
#[tokio::test]
async fn the_upgrade_check_notices_a_lost_row_and_a_broken_chain() {
    let name = FIXTURES.last().expect("a fixture");
    let fixture = Fixture::load(name);
    let url = restore(&fixture).await;
    let app = start(&url).await;
    let db = &app.db;
    db.execute_raw(raw(db, "DELETE FROM admin_note")).await.expect("lose the notes");
    let missing = lost(&fixture.counts(), &counts(db).await);
    assert_eq!(missing.len(), 1, "{missing:?}");
    assert!(missing[0].starts_with("admin_note: 1 rows before"), "{missing:?}");
    assert!(verify(db, &fixture).await.is_ok());
    db.execute_raw(raw(db, "UPDATE admin_audit SET actor = 'mallory' WHERE seq = 3"))
        .await
        .expect("alter an entry");
    let verified = verify(db, &fixture).await;
    assert!(verified.as_ref().is_err_and(|e| e.contains("broken at entry 3")), "{verified:?}");
}
