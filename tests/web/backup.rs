//! `ops-console backup` and `ops-console restore`, run as the operator runs them:
//! the real binary on a real SQLite file, while actions write to it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use admin_core::audit::entry;
use ops_console::cli::ActionArgs;
use sea_orm::{ConnectionTrait, DbBackend, EntityTrait, QueryOrder, Statement};

use super::support::{Backend, TestApp, USER};

/// The reference app's binary (built from its own source by this package).
pub fn bin() -> Command {
    let mut c = Command::new(super::support::ops_console_bin());
    for var in ["DATABASE_URL", "OPS_CONSOLE_SMTP_URL", "OPSADMIN_SMTP_URL", "OPSADMIN_SHUTDOWN_TIMEOUT"] {
        c.env_remove(var);
    }
    c.env("RUST_LOG", "info");
    c
}

/// Runs `ops-console ARGS` to the end.
pub fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("the binary runs")
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// A path for a file of this test in the temporary folder, removed if it exists.
pub fn temp_file(name: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("opsadmin-backup-{}-{name}", std::process::id()));
    for ext in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{ext}", path.display()));
    }
    path
}

fn url_of(path: &Path) -> String {
    format!("sqlite://{}", path.display())
}

/// Marks account `id` for manual review as the CLI's `action` does.
async fn mark(db: &sea_orm::DatabaseConnection, id: i64) {
    let args = ActionArgs {
        model: "account".into(),
        action: "mark_for_manual_review".into(),
        ids: vec![id.to_string()],
        user: USER.into(),
        reason: Some("backup test".into()),
        input: Vec::new(),
        idempotency_key: None,
        database_url: None,
        all_matching: None,
        no_wait: false,
    };
    let roles = ops_console::roles::roles();
    ops_console::commands::action(db, &ops_console::registry(), &roles, &args).await.unwrap();
}

/// Every audit entry of a database, oldest first: (seq, hash).
async fn entries(url: &str) -> Vec<(i64, String)> {
    let db = sea_orm::Database::connect(url).await.unwrap();
    let rows = entry::Entity::find().order_by_asc(entry::Column::Seq).all(&db).await.unwrap();
    db.close().await.ok();
    rows.into_iter().map(|e| (e.seq, e.hash)).collect()
}

async fn count(url: &str, sql: &str) -> i64 {
    let db = sea_orm::Database::connect(url).await.unwrap();
    let row = db.query_one_raw(Statement::from_string(DbBackend::Sqlite, sql)).await.unwrap().unwrap();
    db.close().await.ok();
    row.try_get_by_index::<i64>(0).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_while_actions_run_is_a_consistent_copy_whose_audit_log_verifies() {
    let app = TestApp::new_on(Backend::Sqlite, 1000).await;
    let live = app.url.clone();
    // Actions run without a pause until the backups are done.
    let done = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (done, stop, db) = (done.clone(), stop.clone(), app.db.clone());
        tokio::spawn(async move {
            for id in 4..=1003 {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                mark(&db, id).await;
                done.fetch_add(1, Ordering::SeqCst);
            }
        })
    };
    let mut copies = Vec::new();
    for i in 0..3 {
        while done.load(Ordering::SeqCst) < 3 + i * 5 {
            tokio::task::yield_now().await;
        }
        let copy = temp_file(&format!("live-{i}.db"));
        let (to, from) = (copy.to_str().unwrap().to_owned(), live.clone());
        let out = tokio::task::spawn_blocking(move || run(&["backup", &to, "--database-url", &from]))
            .await
            .unwrap();
        assert!(out.status.success(), "{}", text(&out));
        copies.push((copy, String::from_utf8_lossy(&out.stdout).into_owned()));
    }
    let during = done.load(Ordering::SeqCst);
    stop.store(true, Ordering::SeqCst);
    writer.await.unwrap();
    assert!(during < 1000, "the actions were still running during the backups ({during} of 1000 done)");
    let all = entries(&live).await;
    let mut previous = 0;
    for (copy, said) in &copies {
        let url = url_of(copy);
        let held = entries(&url).await;
        // The copy's log is the live log up to one moment, and says where it ends.
        assert_eq!(held[..], all[..held.len()], "{said}");
        let (seq, hash) = held.last().unwrap();
        assert!(said.contains(&format!("seq={seq} hash={hash}")), "{said}");
        assert!(said.contains(&format!("{} bytes", std::fs::metadata(copy).unwrap().len())), "{said}");
        assert!(held.len() >= previous, "later copies hold more");
        previous = held.len();
        // Its records agree with its log: one run and one flag per action it holds.
        let runs = count(&url, "SELECT COUNT(*) FROM admin_action_run").await;
        let flagged = count(&url, "SELECT COUNT(*) FROM account WHERE manual_review AND id >= 4").await;
        assert_eq!(runs, flagged, "{said}");
        let verified = run(&["audit", "verify", "--database-url", &url]);
        assert!(verified.status.success(), "{}", text(&verified));
        assert!(text(&verified).contains("The audit log is intact"), "{}", text(&verified));
    }
    // An existing file is replaced only with --force.
    let (first, _) = &copies[0];
    let again = run(&["backup", first.to_str().unwrap(), "--database-url", &live]);
    assert_eq!(again.status.code(), Some(2), "{}", text(&again));
    assert!(text(&again).contains("exists already") && text(&again).contains("--force"), "{}", text(&again));
    let forced = run(&["backup", first.to_str().unwrap(), "--force", "--database-url", &live]);
    assert!(forced.status.success(), "{}", text(&forced));
    assert_eq!(entries(&url_of(first)).await, entries(&live).await);
    for (copy, _) in copies {
        let _ = std::fs::remove_file(copy);
    }
}

#[test]
fn postgresql_and_memory_databases_are_sent_to_their_own_tools() {
    let out = run(&["backup", "/tmp/x.db", "--database-url", "postgres://ops:s3cret@db.internal/ops"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("pg_dump -Fc") && !text(&out).contains("s3cret"), "{}", text(&out));
    let out = run(&["restore", "/tmp/x.db", "--database-url", "postgres://ops@db.internal/ops"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("pg_restore"), "{}", text(&out));
    let out = run(&["backup", "/tmp/x.db", "--database-url", "sqlite::memory:"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("in-memory"), "{}", text(&out));
}

/// A backup of a fresh app with one action run, and the app (its pool closed).
async fn backed_up(name: &str) -> (TestApp, PathBuf) {
    let app = TestApp::new_on(Backend::Sqlite, 3).await;
    mark(&app.db, 4).await;
    let copy = temp_file(name);
    let out = run(&["backup", copy.to_str().unwrap(), "--database-url", &app.url]);
    assert!(out.status.success(), "{}", text(&out));
    (app, copy)
}

fn refused(from: &Path, target: &str, why: &str) {
    let out = run(&["restore", from.to_str().unwrap(), "--database-url", target]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains(why), "expected {why:?}: {}", text(&out));
    assert!(text(&out).contains("Nothing was changed"), "{}", text(&out));
}

#[tokio::test]
async fn restore_refuses_what_is_not_a_sound_backup_and_a_database_in_use() {
    let (app, good) = backed_up("sound.db").await;
    // The test holds the live database open: it is in use.
    refused(&good, &app.url, "is in use by process");
    app.db.clone().close().await.unwrap();
    let before = std::fs::read(&app.path).unwrap();

    let not_sqlite = temp_file("notes.txt");
    std::fs::write(&not_sqlite, "name,email\nalice,a@example.com\n").unwrap();
    refused(&not_sqlite, &app.url, "is not a SQLite database");

    // Damaged pages behind an intact header.
    let damaged = temp_file("damaged.db");
    let mut bytes = std::fs::read(&good).unwrap();
    let page = usize::from(u16::from_be_bytes([bytes[16], bytes[17]]));
    for b in &mut bytes[page * 2..] {
        *b = 0x5a;
    }
    std::fs::write(&damaged, &bytes).unwrap();
    refused(&damaged, &app.url, "damaged");

    // One audit entry altered after the fact.
    let tampered = temp_file("tampered.db");
    std::fs::copy(&good, &tampered).unwrap();
    let db = sea_orm::Database::connect(url_of(&tampered)).await.unwrap();
    db.execute_unprepared("UPDATE admin_audit SET reason = 'nothing to see' WHERE seq = 1").await.unwrap();
    db.close().await.unwrap();
    refused(&tampered, &app.url, "fails the audit check");

    // A SQLite file of something else.
    let other = temp_file("other.db");
    let db = sea_orm::Database::connect(format!("{}?mode=rwc", url_of(&other))).await.unwrap();
    db.execute_unprepared("CREATE TABLE notes (id INTEGER PRIMARY KEY)").await.unwrap();
    db.close().await.unwrap();
    refused(&other, &app.url, "has no admin tables");

    assert!(std::fs::read(&app.path).unwrap() == before, "the database was not touched");
    for f in [good, not_sqlite, damaged, tampered, other] {
        let _ = std::fs::remove_file(f);
    }
}

#[tokio::test]
async fn a_restored_backup_is_served_and_the_replaced_database_is_kept() {
    let (app, copy) = backed_up("restore.db").await;
    // After the backup: account 5 is marked too, then the database is stopped.
    mark(&app.db, 5).await;
    app.db.clone().close().await.unwrap();

    let out = run(&["restore", copy.to_str().unwrap(), "--database-url", &app.url]);
    assert!(out.status.success(), "{}", text(&out));
    let said = text(&out);
    assert!(said.contains("integrity check passed") && said.contains("The audit log is intact"), "{said}");
    let kept = said
        .split("kept as ")
        .nth(1)
        .and_then(|rest| rest.split(".\n").next())
        .map(PathBuf::from)
        .unwrap_or_else(|| panic!("names the kept file: {said}"));
    assert!(kept.to_string_lossy().contains(".before-restore-"), "{said}");
    // The kept file is the database as it was, account 5 marked.
    let flagged = |url: String| async move {
        count(&url, "SELECT COUNT(*) FROM account WHERE manual_review AND id IN (4, 5)").await
    };
    assert_eq!(flagged(url_of(&kept)).await, 2);
    assert_eq!(flagged(app.url.clone()).await, 1);

    // The server serves the restored data.
    let token = run(&["token", "create", USER, "--name", "after restore", "--database-url", &app.url]);
    assert!(token.status.success(), "{}", text(&token));
    let token = String::from_utf8_lossy(&token.stdout).lines().nth(1).unwrap_or_default().trim().to_owned();
    let server = super::shutdown::Server::start(&app.url, &[]);
    let body = r#"{"ids": [4, 5], "reason": "after the restore"}"#;
    let path = "/admin/api/account/actions/mark_for_manual_review";
    let (status, answer) = server.request("POST", path, &token, Some(body));
    assert_eq!(status, 200, "{answer}");
    // Account 4 was marked before the backup; account 5 only after it.
    let answer: serde_json::Value = serde_json::from_str(&answer).unwrap();
    assert_eq!(answer["done"][0]["id"], "5", "{answer}");
    assert_eq!(answer["skipped"][0]["reason"], "Account 4 is already marked for manual review.", "{answer}");
    server.stop();
    for f in [copy, kept] {
        let _ = std::fs::remove_file(f);
    }
}
