//! The reference app's settings at work: the real `ops-console` binary with an
//! environment and a settings file of the test's own (`config` masking secrets,
//! bad values refused with exit code 2, `serve` from a file), and the settings
//! reaching the pool and the screens.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::{Command as Process, Output, Stdio};

use ops_console::settings::spec::SPECS;

use super::config::toml_file;

#[tokio::test]
async fn the_pool_opens_as_many_connections_as_the_setting_allows() {
    let url = super::support::empty_database().await;
    let settings = ops_console::settings::Settings { db_max_connections: Some(2), ..Default::default() };
    let db = ops_console::connect_with(&url, &settings).await.unwrap();
    let max = if url.starts_with("sqlite:") {
        db.get_sqlite_connection_pool().options().get_max_connections()
    } else {
        db.get_postgres_connection_pool().options().get_max_connections()
    };
    assert_eq!(max, 2);
    db.close().await.ok();
    let db = ops_console::connect(&url).await.unwrap();
    let max = if url.starts_with("sqlite:") {
        db.get_sqlite_connection_pool().options().get_max_connections()
    } else {
        db.get_postgres_connection_pool().options().get_max_connections()
    };
    assert_eq!(max, if url.starts_with("sqlite:") { 3 } else { 16 });
    db.close().await.ok();
    super::support::drop_database(&url).await;
}

/// The `ops-console` binary of this build.
fn binary() -> PathBuf {
    super::support::ops_console_bin()
}

/// `ops-console ARGS` with exactly this environment (and PATH).
fn run(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut p = Process::new(binary());
    p.args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .current_dir(std::env::temp_dir());
    p.envs(env.iter().copied()).output().expect("ops-console runs")
}

fn text(out: &Output) -> (String, String) {
    (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// The line of `config`'s output for `key`.
fn line<'a>(out: &'a str, key: &str) -> &'a str {
    out.lines().find(|l| l.split_whitespace().next() == Some(key)).unwrap_or_else(|| panic!("{key}: {out}"))
}

#[test]
fn config_prints_every_setting_and_its_source_with_secrets_masked() {
    let file = toml_file(
        "addr = \"127.0.0.1:7001\"\nmetrics_token = \"tok-file-0123456789abcdef\"\nshutdown_timeout = 40\n\
         smtp_url = \"smtp://mailer:mail-pw-77@relay.example:587\"\n",
    );
    let out = run(
        &[
            "config",
            "--config",
            file.to_str().unwrap(),
            "--shutdown-timeout",
            "45",
            "--trusted-proxy",
            "10.0.0.0/8",
        ],
        &[
            ("DATABASE_URL", "postgres://ops:db-pw-55@db.example:5432/ops?sslmode=require&password=db-pw-56"),
            ("OPSADMIN_ADDR", "127.0.0.1:7002"),
            ("OPSADMIN_METRICS_TOKEN", "tok-env-0123456789abcdef"),
        ],
    );
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    for key in SPECS.iter().map(|s| s.key) {
        line(&stdout, key);
    }
    assert!(
        line(&stdout, "addr").contains("127.0.0.1:7002")
            && line(&stdout, "addr").contains("environment OPSADMIN_ADDR")
    );
    assert!(
        line(&stdout, "shutdown_timeout").contains("45")
            && line(&stdout, "shutdown_timeout").contains("flag --shutdown-timeout")
    );
    assert!(line(&stdout, "trusted_proxies").contains("10.0.0.0/8"));
    assert!(line(&stdout, "log").contains("info") && line(&stdout, "log").contains("default"));
    assert!(line(&stdout, "metrics_token").contains("***"));
    assert!(line(&stdout, "database_url").contains("postgres://ops:***@db.example:5432/ops"), "{stdout}");
    assert!(line(&stdout, "smtp_url").contains("smtp://mailer:***@relay.example:587"), "{stdout}");
    assert!(line(&stdout, "smtp_url").ends_with(&format!("# file {}", file.display())), "{stdout}");
    for secret in ["db-pw-55", "db-pw-56", "tok-env", "tok-file", "mail-pw-77"] {
        assert!(!stdout.contains(secret) && !stderr.contains(secret), "{secret} shown:\n{stdout}{stderr}");
    }
    assert!(stdout.contains(&format!("settings file: {}", file.display())), "{stdout}");
    std::fs::remove_file(&file).ok();
}

/// A command line, its environment, and what standard error must say (nothing: it
/// is not refused).
type Case<'a> = (Vec<&'a str>, Vec<(&'a str, &'a str)>, String);

#[test]
fn the_binary_refuses_bad_settings_with_exit_code_2_and_no_panic() {
    let file = toml_file("worker = \"sometimes\"\n");
    let cases: Vec<Case<'_>> = vec![
        (vec!["serve"], vec![("OPSADMIN_SHUTDOWN_TIMEOUT", "abc")], "OPSADMIN_SHUTDOWN_TIMEOUT (environment): `abc` is not a number of seconds; give a whole number like 30".into()),
        (vec!["config"], vec![("OPSADMIN_TRUSTED_PROXIES", "proxy.internal")], "OPSADMIN_TRUSTED_PROXIES (environment): `proxy.internal` is not an IP address or network".into()),
        (vec!["serve", "--config", file.to_str().unwrap()], vec![], format!("worker in {}: `sometimes` is not true or false", file.display())),
        (vec!["token", "list"], vec![("LOG_FORMAT", "yaml")], "LOG_FORMAT (environment): `yaml` is not a log format; give text or json".into()),
        (vec!["worker", "--once"], vec![("OPSADMIN_CONFIG", "/nonexistent/ops.toml")], "OPSADMIN_CONFIG (environment): cannot read the settings file /nonexistent/ops.toml".into()),
        (vec!["serve", "--shutdown-timeout", "soon"], vec![], "invalid value 'soon' for '--shutdown-timeout <SECONDS>': not a number of seconds".into()),
        (vec!["audit", "verify", "--database-url", "sqlite::memory:"], vec![("OPSADMIN_METRICS_TOKEN", "x")], String::new()),
    ];
    for (args, env, says) in &cases {
        let out = run(args, env);
        let (stdout, stderr) = text(&out);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        if says.is_empty() {
            // A setting the command does not read is not checked: `audit verify`
            // runs (on an empty database in memory).
            assert_ne!(out.status.code(), Some(2), "{args:?}: {stdout}{stderr}");
            continue;
        }
        assert_eq!(out.status.code(), Some(2), "{args:?} {env:?}: {stdout}{stderr}");
        assert!(stderr.contains(says.as_str()), "{args:?} {env:?}: {stderr}");
    }
    std::fs::remove_file(&file).ok();
}

/// `serve` from a settings file alone: its address, database, pool size and
/// worker setting are the file's.
#[tokio::test]
async fn serve_runs_with_the_settings_files_address_database_and_worker() {
    let url = super::support::empty_database().await;
    let file = toml_file(&format!(
        "database_url = \"{url}\"\naddr = \"127.0.0.1:0\"\nworker = false\ndb_max_connections = 2\nlog = \"warn\"\n"
    ));
    let mut child = Process::new(binary())
        .args(["serve", "--config", file.to_str().unwrap()])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut lines = Vec::new();
    let mut base = None;
    for _ in 0..5 {
        let mut l = String::new();
        if stdout.read_line(&mut l).unwrap_or(0) == 0 {
            break;
        }
        if let Some(rest) = l.trim().strip_prefix("Serving the ops console at ") {
            base = rest.split_whitespace().next().map(str::to_owned);
        }
        lines.push(l);
        if lines.iter().any(|l| l.starts_with("No worker")) && base.is_some() {
            break;
        }
    }
    let answer = base
        .as_deref()
        .map(|b| get(b.trim_start_matches("http://").trim_end_matches("/admin/"), "/admin/login"));
    let _ = child.kill();
    let _ = child.wait();
    let mut stderr = String::new();
    let _ = child.stderr.take().unwrap().read_to_string(&mut stderr);
    std::fs::remove_file(&file).ok();
    super::support::drop_database(&url).await;
    assert!(base.is_some(), "serve started: {lines:?} {stderr}");
    assert!(!base.unwrap().contains(":8000"), "the file's address (port 0), not the default");
    assert!(lines.iter().any(|l| l.starts_with("No worker runs in this process")), "{lines:?}");
    assert!(answer.unwrap().starts_with("HTTP/1.1 200"), "the console answers");
    // `log = "warn"`: the info line about the database is not written.
    assert!(!stderr.contains("database ready"), "{stderr}");
}

/// A plain HTTP/1.1 GET: the status line and headers.
fn get(host: &str, path: &str) -> String {
    let mut s = std::net::TcpStream::connect(host).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out
}

/// The restore window reaches the door of the screens: with a window of zero days
/// the deleted record's page says it can no longer be restored; with the default,
/// it is restored.
#[tokio::test]
async fn the_restore_window_setting_reaches_the_screens() {
    use admin_core::audit::entry;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

    let mut app = super::support::TestApp::new(2).await;
    let narrow = opsadmin::web::Config { restore_window: chrono::Duration::zero(), ..Default::default() };
    let default = app.router.clone();
    app.router = ops_console::app_with_config(app.db.clone(), narrow);
    let mut boss = app.signed_in().await;
    let csrf = boss.csrf().await;
    let (_, form) = boss.edit_form("/admin/account/4/delete").await;
    let version = form.iter().find(|(k, _)| k == "_version").unwrap().1.clone();
    let r = boss.post("/admin/account/4/delete", &[("csrf_token", &csrf), ("_version", &version)]).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let seq = entry::Entity::find()
        .filter(entry::Column::Kind.eq("delete"))
        .filter(entry::Column::ObjectId.eq("4"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .seq;
    let path = format!("/admin/account/4/undelete/{seq}");
    let page = boss.get(&path).await;
    page.assert_contains("deleted records can be restored for 0 days");
    let r = boss.post(&path, &[("csrf_token", &csrf), ("reason", "too late")]).await;
    assert_ne!(r.status, 303, "refused: {}", r.body);
    assert_ne!(r.status, 500, "{}", r.body);
    // The same record through the default window (30 days) comes back.
    app.router = default;
    let mut boss = app.signed_in().await;
    let csrf = boss.csrf().await;
    let r = boss.post(&path, &[("csrf_token", &csrf), ("reason", "wrong one")]).await;
    assert_eq!(r.status, 303, "{}", r.body);
}
