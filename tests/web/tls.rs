//! TLS where production needs it (issue 19, point 8): PostgreSQL with `sslmode=`
//! `require`, `verify-ca` and `verify-full` against a server of the test's own with a
//! certificate made for it, and the mail effect over STARTTLS and implicit TLS to a
//! real SMTP server (Python's aiosmtpd) with a CA made for the test. The SMTP tests
//! run on the backend under test; the PostgreSQL ones on their own server.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use admin_core::service::{ActionRequest, ActionResult};
use ops_console::mail::{MailHandler, SmtpRelay, Transport, parse_smtp_url};
use opsadmin::effect::Work;
use opsadmin::{Caller, Service};
use sea_orm::sea_query::Expr;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, Statement};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::pg_cluster::{PgCluster, PgOptions, make_test_certificates};
use super::support::{ALICE, PASSWORD, TestApp};

/// Whether this session's connection to the server is encrypted, as the server sees it.
async fn session_is_encrypted(db: &DatabaseConnection) -> bool {
    let sql = "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()";
    let row = db.query_one_raw(Statement::from_string(DbBackend::Postgres, sql)).await.unwrap().unwrap();
    row.try_get::<bool>("", "ssl").unwrap()
}

/// A folder of the test's own, emptied.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("opsadmin-tls-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test]
async fn postgres_sessions_are_encrypted_verified_and_refused_when_tls_is_missing() {
    let pg = PgCluster::start(PgOptions { tls: true }).expect("a PostgreSQL of our own with TLS");
    let url = pg.url("test");
    let ca = pg.ca_file();

    let db = ops_console::connect(&format!("{url}?sslmode=require")).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(session_is_encrypted(&db).await, "sslmode=require gives an encrypted session");
    db.close().await.unwrap();
    for mode in ["verify-ca", "verify-full"] {
        let verified = format!("{url}?sslmode={mode}&sslrootcert={}", ca.display());
        let db =
            ops_console::connect(&verified).await.unwrap_or_else(|e| panic!("{mode}: {e}\n{}", pg.log()));
        assert!(session_is_encrypted(&db).await, "{mode}");
        db.close().await.unwrap();
    }

    // Without the server's CA, verification fails: the certificate is not trusted.
    let err = ops_console::connect(&format!("{url}?sslmode=verify-full")).await.unwrap_err().to_string();
    assert!(err.contains("certificate") && err.contains("UnknownIssuer"), "{err}");

    // A server without TLS is refused when the URL requires it, and taken without.
    let plain = PgCluster::start(PgOptions::default()).expect("a PostgreSQL of our own without TLS");
    let err = ops_console::connect(&format!("{}?sslmode=require", plain.url("test"))).await.unwrap_err();
    assert!(err.to_string().to_lowercase().contains("tls"), "{err}");
    let db = ops_console::connect(&plain.url("test")).await.unwrap();
    assert!(!session_is_encrypted(&db).await);
}

/// One HTTP/1.1 exchange over a real socket: status and body.
async fn http(addr: SocketAddr, method: &str, path: &str, cookie: &str, body: &str) -> (u16, String, String) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAccept: text/html\r\nConnection: close\r\nCookie: {cookie}\r\n\
         Origin: http://{addr}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(req.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let cookies = head
        .lines()
        .filter_map(|l| l.strip_prefix("set-cookie: ").or_else(|| l.strip_prefix("Set-Cookie: ")))
        .filter_map(|v| v.split(';').next())
        .collect::<Vec<_>>()
        .join("; ");
    (status, cookies, body.to_owned())
}

#[tokio::test]
async fn the_console_serves_its_pages_from_postgres_over_verified_tls() {
    let pg = PgCluster::start(PgOptions { tls: true }).expect("a PostgreSQL of our own with TLS");
    let url = format!("{}?sslmode=verify-full&sslrootcert={}", pg.url("test"), pg.ca_file().display());
    let db = ops_console::connect(&url).await.unwrap_or_else(|e| panic!("{e}\n{}", pg.log()));
    ops_console::prepare(&db).await.unwrap();
    opsadmin::auth::create_user(&db, "staff", PASSWORD, &["admin"], true).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = ops_console::app(db.clone());
    let server = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let (status, cookie, form) = http(addr, "GET", "/admin/login", "", "").await;
    assert_eq!(status, 200, "{form}");
    let marker = "name=\"csrf_token\" value=\"";
    let start = form.find(marker).expect("a CSRF token") + marker.len();
    let csrf = &form[start..start + form[start..].find('"').unwrap()];
    let login = format!("username=staff&password={}&csrf_token={csrf}", PASSWORD.replace(' ', "+"));
    let (status, session, body) = http(addr, "POST", "/admin/login", &cookie, &login).await;
    assert_eq!(status, 303, "signed in: {body}");
    let (status, _, page) = http(addr, "GET", "/admin/account/", &session, "").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Accounts"), "{page}");

    // Every session of the console's pool on this server is encrypted.
    let sql = "SELECT count(*) FILTER (WHERE ssl) AS tls, count(*) FILTER (WHERE NOT ssl) AS plain \
               FROM pg_stat_ssl JOIN pg_stat_activity USING (pid) WHERE datname = 'test'";
    let row = db.query_one_raw(Statement::from_string(DbBackend::Postgres, sql)).await.unwrap().unwrap();
    let (tls, plain): (i64, i64) = (row.try_get("", "tls").unwrap(), row.try_get("", "plain").unwrap());
    assert!(tls >= 1 && plain == 0, "{tls} encrypted and {plain} plain sessions");
    server.abort();
}

/// The SMTP server: aiosmtpd on a free port of 127.0.0.1, each message it accepts
/// written to the folder given. `mode` is `starttls` (STARTTLS offered and required
/// before mail), `implicit` (TLS from the first byte) or `plain` (no TLS at all).
const SMTP_SERVER: &str = r#"
import os, socket, ssl, sys, uuid
from aiosmtpd.controller import Controller
mode, out, cert, key = sys.argv[1:5]
class Keep:
    async def handle_DATA(self, server, session, envelope):
        with open(os.path.join(out, uuid.uuid4().hex + ".eml"), "wb") as f:
            f.write(envelope.original_content)
        return "250 2.0.0 kept"
s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
ctx.load_cert_chain(cert, key)
kw = {"starttls": dict(tls_context=ctx, require_starttls=True), "implicit": dict(ssl_context=ctx), "plain": {}}[mode]
c = Controller(Keep(), hostname="127.0.0.1", port=port, **kw)
c.start()
print(port, flush=True)
sys.stdin.read()
c.stop()
"#;

/// A running SMTP server, stopped on drop (its standard input closes, then it is killed).
struct SmtpServer {
    child: Child,
    port: u16,
    inbox: PathBuf,
}

impl SmtpServer {
    fn start(mode: &str, certs: &Path, inbox: &Path) -> Self {
        let mut child = Command::new("python3")
            .args(["-c", SMTP_SERVER, mode])
            .arg(inbox)
            .arg(certs.join("server.crt"))
            .arg(certs.join("server.key"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 (with aiosmtpd: pip install aiosmtpd)");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let port = line.trim().parse().unwrap_or_else(|_| {
            let _ = child.kill();
            panic!("the SMTP server did not start (is aiosmtpd installed? pip install aiosmtpd): {line:?}")
        });
        Self { child, port, inbox: inbox.to_owned() }
    }

    /// The messages it accepted so far.
    fn received(&self) -> Vec<String> {
        std::fs::read_dir(&self.inbox)
            .unwrap()
            .map(|f| std::fs::read_to_string(f.unwrap().path()).unwrap())
            .collect()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The door of `app` with the console's mail sent through `relay`.
fn door(app: &TestApp, relay: SmtpRelay) -> Service {
    let registry = ops_console::registry().effect_handler(MailHandler::new(Transport::Smtp(relay)));
    Service::new(app.db.clone(), registry).with_roles(ops_console::roles::roles())
}

/// Support retries Alice's welcome email: one mail effect waits for the worker.
async fn retry_welcome(service: &Service) {
    opsadmin::auth::create_user(service.db(), "sue", PASSWORD, &["support"], false).await.unwrap();
    let sue = service.local("sue").await.unwrap().with_reason(Some("Customer asked again".to_owned()));
    let request = ActionRequest { keys: vec![ALICE.to_string()], input: json!({}), idempotency_key: None };
    let result = service.run_action(&sue, "account", "retry_welcome_email", &request).await.unwrap();
    assert!(matches!(result, ActionResult::Ran(_)), "{result:?}");
}

/// The one mail effect: its state, attempts and last error.
async fn the_effect(service: &Service) -> (String, i32, Option<String>) {
    let all = service.effects(&Caller::system("test"), &Default::default(), 0, 10).await.unwrap().0;
    assert_eq!(all.len(), 1, "{all:?}");
    let e = &all[0];
    (e.state.clone(), e.attempts, e.last_error.clone())
}

/// Makes every waiting effect due now (its backoff over).
async fn due_now(app: &TestApp) {
    use admin_core::db::entities::effect as row;
    row::Entity::update_many()
        .col_expr(row::Column::NextAttemptAt, Expr::value(Option::<chrono::NaiveDateTime>::None))
        .exec(&app.db)
        .await
        .unwrap();
}

#[tokio::test]
async fn mail_goes_over_starttls_to_a_relay_whose_ca_is_trusted_and_waits_while_it_is_not() {
    let certs = scratch("smtp-certs");
    make_test_certificates(&certs).unwrap();
    let server = SmtpServer::start("starttls", &certs, &scratch("smtp-inbox"));
    let app = TestApp::new(0).await;

    // Not trusting the relay's CA: nothing is sent, the effect waits to be tried
    // again, and the reason is in plain words without the password.
    let url = format!("smtp://ops:hunter2@127.0.0.1:{}?tls=required", server.port);
    let untrusted = door(&app, parse_smtp_url(&url).unwrap());
    retry_welcome(&untrusted).await;
    let Work::Retry(_, why) = untrusted.work_effects_once("w1").await.unwrap() else { panic!("not retried") };
    assert!(why.contains("certificate is not trusted") && why.contains("OPSADMIN_SMTP_CA_FILE"), "{why}");
    assert!(!why.contains("hunter2"), "{why}");
    let (state, attempts, last_error) = the_effect(&untrusted).await;
    assert_eq!((state.as_str(), attempts), ("queued", 1));
    assert_eq!(last_error.as_deref(), Some(why.as_str()));
    assert!(server.received().is_empty());

    // Trusting it (the setting's CA file), the next attempt delivers the message once.
    let settings = ops_console::settings::Settings {
        smtp_url: Some(format!("smtp://127.0.0.1:{}?tls=required", server.port)),
        smtp_ca_file: Some(certs.join("ca.crt")),
        ..Default::default()
    };
    let Transport::Smtp(relay) = Transport::from_settings(&settings).unwrap() else { panic!("a relay") };
    assert!(relay.describe().contains("STARTTLS required"), "{}", relay.describe());
    let trusted = door(&app, relay);
    due_now(&app).await;
    let Work::Done(_) = trusted.work_effects_once("w1").await.unwrap() else { panic!("not sent") };
    assert_eq!(trusted.work_effects_once("w1").await.unwrap(), Work::Idle);
    let received = server.received();
    assert_eq!(received.len(), 1, "{received:?}");
    assert!(received[0].contains("To: user1@acme-42-ltd.example"), "{}", received[0]);
    assert!(received[0].contains("Subject: Welcome to Ops Console"), "{}", received[0]);
    let (state, attempts, _) = the_effect(&trusted).await;
    assert_eq!((state.as_str(), attempts), ("done", 2));
}

#[tokio::test]
async fn mail_goes_over_implicit_tls_and_waits_when_starttls_is_required_but_not_offered() {
    let certs = scratch("smtps-certs");
    make_test_certificates(&certs).unwrap();
    let app = TestApp::new(0).await;

    let plain = SmtpServer::start("plain", &certs, &scratch("plain-inbox"));
    let mut relay = parse_smtp_url(&format!("smtp://127.0.0.1:{}?tls=required", plain.port)).unwrap();
    relay.ca_file = Some(certs.join("ca.crt"));
    let service = door(&app, relay);
    retry_welcome(&service).await;
    let Work::Retry(_, why) = service.work_effects_once("w1").await.unwrap() else { panic!("not retried") };
    assert!(why.contains("does not offer STARTTLS"), "{why}");
    assert!(plain.received().is_empty(), "nothing went out in plain text");

    let implicit = SmtpServer::start("implicit", &certs, &scratch("smtps-inbox"));
    let mut relay = parse_smtp_url(&format!("smtps://127.0.0.1:{}", implicit.port)).unwrap();
    relay.ca_file = Some(certs.join("ca.crt"));
    let service = door(&app, relay);
    due_now(&app).await;
    let Work::Done(_) = service.work_effects_once("w1").await.unwrap() else { panic!("not sent") };
    assert_eq!(implicit.received().len(), 1);
}
