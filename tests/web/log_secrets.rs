//! The logs of a full run of the real `ops-console` binary at `RUST_LOG=trace`, as
//! text and as JSON: one line per request with its id, method, route template,
//! status and latency (and the staff id when signed in), the id the same as in the
//! response and the audit entries, and no secret anywhere: not the password, the
//! session cookie, a CSRF token, the API token, the TOTP secret, a TOTP code or a
//! recovery code.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use admin_core::audit::entry;
use admin_core::auth::totp;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::proxies::{Wire, request_id_of};
use super::support::{PASSWORD, TestApp, USER};

/// The `ops-console` binary of this build.
fn binary() -> PathBuf {
    super::support::ops_console_bin()
}

/// A running `ops-console serve`, its standard output and error in files.
struct Server {
    child: Child,
    dir: PathBuf,
    addr: std::net::SocketAddr,
}

impl Server {
    async fn start(url: &str, json: bool) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "opsadmin-logs-{}-{}",
            std::process::id(),
            if json { "json" } else { "text" }
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let mut cmd = Command::new(binary());
        cmd.current_dir(&dir)
            .args(["serve", "--database-url", url, "--addr", "127.0.0.1:0"])
            .env_remove("LOG_FORMAT")
            .env_remove("OPSADMIN_LOG_FORMAT")
            .env_remove("OPSADMIN_LOG")
            .env("RUST_LOG", "trace")
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(dir.join("stdout")).unwrap())
            .stderr(std::fs::File::create(dir.join("stderr")).unwrap());
        if json {
            cmd.env("LOG_FORMAT", "json");
        }
        let child = cmd.spawn().expect("ops-console starts");
        // Wait for the line that names the address (a deadline for start-up only).
        let mut addr = None;
        for _ in 0..600 {
            let out = std::fs::read_to_string(dir.join("stdout")).unwrap_or_default();
            if let Some(rest) = out.split("Serving the ops console at http://").nth(1) {
                addr = rest.split('/').next().and_then(|a| a.parse().ok());
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let addr = addr.unwrap_or_else(|| {
            panic!(
                "ops-console did not start: {}",
                std::fs::read_to_string(dir.join("stderr")).unwrap_or_default()
            )
        });
        Self { child, dir, addr }
    }

    /// Stops the server (SIGTERM, as an operator would) and returns its standard
    /// output and standard error.
    fn stop(mut self) -> (String, String) {
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        let _ = self.child.wait();
        let read = |f: &str| std::fs::read_to_string(self.dir.join(f)).unwrap();
        let out = (read("stdout"), read("stderr"));
        let _ = std::fs::remove_dir_all(&self.dir);
        out
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

/// Every secret one session showed, and the request ids of a few answers.
#[derive(Default)]
struct Seen {
    secrets: Vec<String>,
    /// Six-digit codes, matched only as a number of their own.
    codes: Vec<String>,
    /// The answer's request id of the API call that ran an action.
    api_run_id: String,
    /// The answer's request id of the confirmed action on the screens.
    screen_run_id: String,
}

fn code_after(secret: &str, used: Option<i64>) -> (String, i64) {
    let key = totp::base32_decode(secret).unwrap();
    let now = totp::step_at(chrono::Utc::now().timestamp());
    let step = used.map_or(now, |u| now.max(u + 1));
    (totp::code_for_step(&key, step), step)
}

/// A full session over real HTTP: sign in, turn on two-factor sign-in, sign out and
/// in again with a code, make an API token and run an action with it, run an
/// action on the screens, sign out.
async fn full_session(addr: std::net::SocketAddr) -> Seen {
    let mut seen = Seen { secrets: vec![PASSWORD.to_owned()], ..Seen::default() };
    let mut c = Wire::new(addr);
    let login = c.get("/admin/login").await;
    seen.secrets.push(login.input_value("csrf_token").unwrap());
    let r = c.sign_in_with(USER, PASSWORD, &[]).await;
    assert_eq!(r.status, 303, "{}", r.body);
    seen.secrets.push(c.cookie("opsadmin_session").expect("a session cookie").to_owned());

    let page = c.get("/admin/me/two-factor").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let secret = page.input_value("secret").expect("the set-up form carries the secret");
    let csrf = page.input_value("csrf_token").unwrap();
    seen.secrets.extend([secret.clone(), totp::grouped(&secret), csrf.clone()]);
    let (code, step) = code_after(&secret, None);
    seen.codes.push(code.clone());
    let r = c
        .post(
            "/admin/me/two-factor",
            &[("csrf_token", &csrf), ("action", "enrol"), ("secret", &secret), ("code", &code)],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.assert_contains("Save these recovery codes now");
    seen.secrets
        .extend(r.body.split("<li><code>").skip(1).map(|s| s.split("</code>").next().unwrap().to_owned()));

    let r = c.post("/admin/logout", &[("csrf_token", &csrf)]).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let r = c.sign_in_with(USER, PASSWORD, &[]).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(r.location().contains("/admin/login/second-factor"), "{}", r.location());
    seen.secrets.push(c.cookie("opsadmin_session").unwrap().to_owned());
    let form = c.get(r.location()).await;
    let csrf = form.input_value("csrf_token").expect("the second step has a CSRF token");
    seen.secrets.push(csrf.clone());
    let (code, _) = code_after(&secret, Some(step));
    seen.codes.push(code.clone());
    let r = c.post("/admin/login/second-factor", &[("csrf_token", &csrf), ("code", &code)]).await;
    assert_eq!(r.status, 303, "{}", r.body);

    let page = c.get("/admin/me/tokens").await;
    let csrf = page.input_value("csrf_token").unwrap();
    let r =
        c.post("/admin/me/tokens", &[("csrf_token", &csrf), ("action", "create"), ("name", "nightly")]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let start = r.body.find("oat_").expect("the new token is on the page");
    let token = r.body[start..start + 68].to_owned();
    seen.secrets.extend([token.clone(), token["oat_".len()..].to_owned()]);
    let bearer = format!("Bearer {token}");
    let r = Wire::new(addr)
        .send(
            "POST",
            "/admin/api/account/actions/mark_for_manual_review?note=x",
            &[("Content-Type", "application/json"), ("Authorization", &bearer)],
            b"{\"ids\":[1]}",
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    seen.api_run_id = request_id_of(&r);

    let path = "/admin/account/actions/mark_for_manual_review";
    let confirm = c.post(path, &[("csrf_token", &csrf), ("ids", "3")]).await;
    assert_eq!(confirm.status, 200, "{}", confirm.body);
    let key = confirm.input_value("idempotency_key").expect("the confirmation carries a key");
    let r = c
        .post(
            path,
            &[
                ("csrf_token", &csrf),
                ("confirm", "1"),
                ("idempotency_key", &key),
                ("reason", "log test"),
                ("ids", "3"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    seen.screen_run_id = request_id_of(&r);
    assert_eq!(c.get(r.location()).await.status, 200);
    let r = c.post("/admin/logout", &[("csrf_token", &csrf)]).await;
    assert_eq!(r.status, 303, "{}", r.body);
    seen
}

/// Whether `code` stands in `text` as a number of its own (not inside a longer
/// one, nor as the fraction of a timestamp).
fn has_code(text: &str, code: &str) -> bool {
    text.match_indices(code).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + code.len()..].chars().next();
        !before.is_some_and(|c| c.is_ascii_digit() || c == '.') && !after.is_some_and(|c| c.is_ascii_digit())
    })
}

fn assert_no_secret(logs: &str, seen: &Seen) {
    for s in &seen.secrets {
        assert!(s.len() >= 8, "a secret too short to look for: {s:?}");
        if let Some(line) = logs.lines().find(|l| l.contains(s.as_str())) {
            panic!("a secret ({}…) is in a log line: {line}", &s[..4]);
        }
    }
    for code in &seen.codes {
        if let Some(line) = logs.lines().find(|l| has_code(l, code)) {
            panic!("a two-factor code is in a log line: {line}");
        }
    }
}

/// The audit entries' request ids of `kind`.
async fn audit_ids(app: &TestApp, kind: &str) -> Vec<String> {
    entry::Entity::find()
        .filter(entry::Column::Kind.eq(kind))
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|e| e.request_id)
        .collect()
}

async fn check_audit_ids(app: &TestApp, seen: &Seen) {
    let mut ids = audit_ids(app, "action:mark_for_manual_review").await;
    ids.sort();
    let mut expected = vec![seen.api_run_id.clone(), seen.screen_run_id.clone()];
    expected.sort();
    assert_eq!(ids, expected, "the audit entries carry the ids of the answers (and log lines)");
}

#[tokio::test]
async fn text_logs_have_a_line_per_request_and_no_secret() {
    let app = TestApp::new(0).await;
    let server = Server::start(&app.url, false).await;
    let seen = full_session(server.addr).await;
    let (stdout, stderr) = server.stop();
    // The scan reads the real output: trace events of the sign-ins are in it.
    assert!(stderr.contains("signed in"), "{stderr}");
    assert_no_secret(&stdout, &seen);
    assert_no_secret(&stderr, &seen);
    check_audit_ids(&app, &seen).await;

    let lines: Vec<&str> = stderr.lines().filter(|l| l.contains("opsadmin::request")).collect();
    assert!(lines.len() >= 15, "a line per request:\n{stderr}");
    for line in &lines {
        for field in ["request_id=", "method=", "route=", "status=", "latency_ms="] {
            assert!(line.contains(field), "{field} missing: {line}");
        }
        assert!(!line.contains('?'), "no query string: {line}");
    }
    let api_line = lines
        .iter()
        .find(|l| l.contains(&format!("request_id={}", seen.api_run_id)))
        .expect("the API call's line has the id of its answer and audit entry");
    for part in ["method=POST", "route=/admin/api/{model}/actions/{action}", "status=200", "staff_id="] {
        assert!(api_line.contains(part), "{part}: {api_line}");
    }
    let screen_line =
        lines.iter().find(|l| l.contains(&format!("request_id={}", seen.screen_run_id))).unwrap();
    assert!(
        screen_line.contains("route=/admin/{model}/actions/{action}") && screen_line.contains("status=303")
    );
    assert!(lines.iter().any(|l| l.contains("route=/admin/login") && !l.contains("staff_id")));
}

#[tokio::test]
async fn json_logs_are_one_object_per_line_and_carry_no_secret() {
    let app = TestApp::new(0).await;
    let server = Server::start(&app.url, true).await;
    let seen = full_session(server.addr).await;
    let (stdout, stderr) = server.stop();
    // The scan reads the real output: trace events of the sign-ins are in it.
    assert!(stderr.contains("signed in"), "{stderr}");
    assert_no_secret(&stdout, &seen);
    assert_no_secret(&stderr, &seen);
    check_audit_ids(&app, &seen).await;

    let events: Vec<serde_json::Value> = stderr
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON line ({e}): {l}")))
        .collect();
    let requests: Vec<&serde_json::Value> =
        events.iter().filter(|e| e["target"] == "opsadmin::request").collect();
    assert!(requests.len() >= 15, "a line per request:\n{stderr}");
    for r in &requests {
        assert!(r["request_id"].as_str().is_some_and(|id| !id.is_empty()), "{r}");
        assert!(r["method"].is_string() && r["route"].is_string(), "{r}");
        assert!(r["status"].is_u64() && r["latency_ms"].is_u64(), "{r}");
        assert_eq!(r["level"], "INFO", "{r}");
    }
    let api =
        requests.iter().find(|r| r["request_id"] == seen.api_run_id.as_str()).expect("the API call's line");
    assert_eq!(api["route"], "/admin/api/{model}/actions/{action}");
    assert_eq!(api["method"], "POST");
    assert_eq!(api["status"], 200);
    assert!(api["staff_id"].is_i64(), "{api}");
}
