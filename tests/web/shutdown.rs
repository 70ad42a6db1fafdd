//! Graceful shutdown of the real binary: SIGTERM (sent with the `kill` command)
//! while a request is in flight, and while the worker carries out an effect.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use admin_core::audit::entry;
use admin_core::effect::row as effect;
use ops_console::cli::ActionArgs;
use ops_console::models::email_job;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::backup::{bin, run};
use super::support::{ALICE, TestApp, USER, token_for};

/// How long a test waits for something a process is to do before it fails (a cap
/// against hanging, never a measure).
const PATIENCE: Duration = Duration::from_secs(90);

/// A running `ops-console` with its output collected.
pub struct Proc {
    child: Child,
    output: Arc<Mutex<String>>,
}

impl Proc {
    /// Starts `ops-console ARGS` with `env`.
    pub fn spawn(args: &[&str], env: &[(&str, &str)]) -> (Self, mpsc::Receiver<String>) {
        let mut child = bin()
            .args(args)
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary starts");
        let output = Arc::new(Mutex::new(String::new()));
        let (lines, rx) = mpsc::channel();
        let out = child.stdout.take().unwrap();
        let err = child.stderr.take().unwrap();
        for stream in [Box::new(out) as Box<dyn Read + Send>, Box::new(err)] {
            let (output, lines) = (output.clone(), lines.clone());
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    output.lock().unwrap().push_str(&format!("{line}\n"));
                    let _ = lines.send(line);
                }
            });
        }
        (Self { child, output }, rx)
    }

    /// Everything it printed so far.
    pub fn output(&self) -> String {
        self.output.lock().unwrap().clone()
    }

    /// Sends SIGTERM with the `kill` command.
    pub fn terminate(&self) {
        let id = self.child.id().to_string();
        let sent = std::process::Command::new("kill").args(["-TERM", &id]).status().unwrap();
        assert!(sent.success(), "kill -TERM {id}");
    }

    /// Waits until it printed a line containing `needle`.
    pub fn wait_for(&self, needle: &str) {
        let start = Instant::now();
        while !self.output().contains(needle) {
            assert!(start.elapsed() < PATIENCE, "never printed {needle:?}:\n{}", self.output());
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits for it to exit: its status and everything it printed.
    pub fn wait(mut self) -> (ExitStatus, String) {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                // The reader threads get the last lines.
                std::thread::sleep(Duration::from_millis(100));
                return (status, self.output());
            }
            if start.elapsed() > PATIENCE {
                let _ = self.child.kill();
                panic!("did not exit:\n{}", self.output());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// `ops-console serve` on a free port.
pub struct Server {
    proc: Proc,
    pub addr: SocketAddr,
}

impl Server {
    /// Serves the database at `url` on a free port of 127.0.0.1.
    pub fn start(url: &str, env: &[(&str, &str)]) -> Self {
        let (proc, lines) = Proc::spawn(&["serve", "--addr", "127.0.0.1:0", "--database-url", url], env);
        let addr = loop {
            let line =
                lines.recv_timeout(PATIENCE).unwrap_or_else(|_| panic!("no address:\n{}", proc.output()));
            if let Some(rest) = line.strip_prefix("Serving the ops console at http://") {
                break rest.split('/').next().unwrap().parse().unwrap();
            }
        };
        Self { proc, addr }
    }

    /// A whole request on a new connection: the status and the body.
    pub fn request(&self, method: &str, path: &str, token: &str, body: Option<&str>) -> (u16, String) {
        let mut conn = TcpStream::connect(self.addr).unwrap();
        let body = body.unwrap_or_default();
        write!(conn, "{}{body}", head(method, path, token, body.len(), false)).unwrap();
        response(&mut conn)
    }

    /// Stops it with SIGTERM; it exits with code 0.
    pub fn stop(self) -> String {
        self.proc.terminate();
        let (status, output) = self.proc.wait();
        assert!(status.success(), "{status}:\n{output}");
        output
    }
}

fn head(method: &str, path: &str, token: &str, length: usize, expect: bool) -> String {
    let expect = if expect { "Expect: 100-continue\r\n" } else { "" };
    format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {length}\r\n{expect}Connection: close\r\n\r\n"
    )
}

/// Reads a response to its end: the status and the body.
fn response(conn: &mut TcpStream) -> (u16, String) {
    conn.set_read_timeout(Some(PATIENCE)).unwrap();
    let mut raw = String::new();
    conn.read_to_string(&mut raw).unwrap();
    let status = raw.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = raw.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
    (status, body)
}

fn json(body: &str) -> serde_json::Value {
    let (start, end) = (body.find('{').unwrap_or(0), body.rfind('}').map_or(0, |i| i + 1));
    serde_json::from_str(&body[start..end]).unwrap_or_else(|_| panic!("not JSON: {body}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_the_request_in_flight_finish_with_its_audit_entry_and_exits_0() {
    let app = TestApp::new(0).await;
    let token = token_for(&app, USER, None).await;
    let server = Server::start(&app.url, &[("OPSADMIN_SHUTDOWN_TIMEOUT", "60")]);
    let body = r#"{"ids": [1], "reason": "in flight at SIGTERM"}"#;
    let path = "/admin/api/account/actions/mark_for_manual_review";
    let mut conn = TcpStream::connect(server.addr).unwrap();
    conn.write_all(head("POST", path, &token, body.len(), true).as_bytes()).unwrap();
    // `100 Continue`: the server is reading this request's body, so it is in flight.
    conn.set_read_timeout(Some(PATIENCE)).unwrap();
    let mut interim = [0u8; 25];
    conn.read_exact(&mut interim).unwrap();
    assert_eq!(&interim, b"HTTP/1.1 100 Continue\r\n\r\n");

    server.proc.terminate();
    server.proc.wait_for("stopping: no new requests");
    // New connections are refused from now on.
    let start = Instant::now();
    while TcpStream::connect(server.addr).is_ok() {
        assert!(start.elapsed() < PATIENCE, "still accepting:\n{}", server.proc.output());
        std::thread::sleep(Duration::from_millis(20));
    }
    // The request in flight gets its answer, and the process exits 0.
    conn.write_all(body.as_bytes()).unwrap();
    let (status, answer) = response(&mut conn);
    assert_eq!(status, 200, "{answer}");
    assert_eq!(json(&answer)["done"][0]["id"], "1", "{answer}");
    let (exit, output) = server.proc.wait();
    assert!(exit.success(), "{exit}:\n{output}");
    assert!(output.contains("stopped"), "{output}");
    let entries = entry::Entity::find()
        .filter(entry::Column::Reason.eq("in flight at SIGTERM"))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(entries.len(), 1, "one audit entry for the run: {entries:?}");
    assert_eq!(entries[0].object_id.as_deref(), Some("1"));
}

/// A mail effect for Alice's welcome email, scheduled as the CLI's `action` does.
async fn schedule_mail(app: &TestApp) -> effect::Model {
    let args = ActionArgs {
        model: "account".into(),
        action: "retry_welcome_email".into(),
        ids: vec![ALICE.to_string()],
        user: USER.into(),
        reason: Some("Customer asked again".into()),
        input: Vec::new(),
        idempotency_key: None,
        database_url: None,
        all_matching: None,
        no_wait: false,
    };
    let roles = ops_console::roles::roles();
    ops_console::commands::action(&app.db, &ops_console::registry(), &roles, &args).await.unwrap();
    let mut all = effect::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(all.len(), 1, "{all:?}");
    all.remove(0)
}

async fn effect_now(app: &TestApp, id: i64) -> effect::Model {
    effect::Entity::find_by_id(id).one(&app.db).await.unwrap().unwrap()
}

fn smtp_env(relay: &TcpListener, timeout: &str) -> Vec<(&'static str, String)> {
    let url = format!("smtp://{}", relay.local_addr().unwrap());
    vec![
        ("OPS_CONSOLE_SMTP_URL", url.clone()),
        ("OPSADMIN_SMTP_URL", url),
        ("OPSADMIN_SHUTDOWN_TIMEOUT", timeout.to_owned()),
    ]
}

fn refs<'a>(env: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    env.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// Waits (on a thread) for the worker to connect to `relay`: then it holds the effect.
fn connected(relay: TcpListener) -> TcpStream {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(relay.accept().map(|(conn, _)| conn));
    });
    rx.recv_timeout(PATIENCE).expect("the worker connects to the relay").unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_timeout_the_worker_gives_its_effect_back_and_another_sends_it_once() {
    let app = TestApp::new(0).await;
    let mail = schedule_mail(&app).await;
    // A relay that takes the connection and never answers.
    let relay = TcpListener::bind("127.0.0.1:0").unwrap();
    let env = smtp_env(&relay, "1");
    let (worker, _) = Proc::spawn(&["worker", "--database-url", &app.url], &refs(&env));
    let held = connected(relay);
    assert_eq!(effect_now(&app, mail.id).await.state, "running");
    worker.terminate();
    let (exit, output) = worker.wait();
    assert!(exit.success(), "{exit}:\n{output}");
    assert!(output.contains("1 given back unfinished"), "{output}");
    drop(held);
    let back = effect_now(&app, mail.id).await;
    assert_eq!((back.state.as_str(), back.attempts, back.lease_token), ("queued", 0, None), "{output}");

    // Another worker takes it at once (no lease to wait out) and sends it once.
    let dir = std::env::temp_dir().join(format!("opsadmin-shutdown-mail-{}-{}", std::process::id(), mail.id));
    let _ = std::fs::remove_dir_all(&dir);
    let out = bin()
        .args(["worker", "--once", "--database-url", &app.url])
        .env("OPS_CONSOLE_MAIL_DIR", &dir)
        .env("OPSADMIN_MAIL_DIR", &dir)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && said.contains("1 effects carried out"), "{said}");
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1, "one message");
    let done = effect_now(&app, mail.id).await;
    assert_eq!((done.state.as_str(), done.attempts), ("done", 1));
    let job =
        email_job::Entity::find().filter(email_job::Column::AccountId.eq(ALICE)).all(&app.db).await.unwrap();
    assert!(job.iter().any(|j| j.status == "sent"), "{job:?}");
    let again = run(&["worker", "--once", "--database-url", &app.url]);
    assert!(String::from_utf8_lossy(&again.stdout).contains("0 effects carried out"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Speaks just enough SMTP to take one message; returns how many it took.
fn smtp_session(conn: TcpStream) -> usize {
    let mut out = conn.try_clone().unwrap();
    let mut taken = 0;
    let mut lines = BufReader::new(conn).lines().map_while(Result::ok);
    out.write_all(b"220 relay.test ESMTP\r\n").unwrap();
    while let Some(line) = lines.next() {
        let verb = line.get(..4).unwrap_or_default().to_ascii_uppercase();
        let reply: &[u8] = match verb.as_str() {
            "EHLO" | "HELO" => b"250 relay.test\r\n",
            "DATA" => {
                out.write_all(b"354 go ahead\r\n").unwrap();
                for data in lines.by_ref() {
                    if data == "." {
                        break;
                    }
                }
                taken += 1;
                b"250 2.0.0 queued\r\n"
            }
            "QUIT" => {
                let _ = out.write_all(b"221 bye\r\n");
                break;
            }
            _ => b"250 OK\r\n",
        };
        out.write_all(reply).unwrap();
    }
    taken
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn within_the_timeout_the_worker_finishes_its_effect_then_exits_0() {
    let app = TestApp::new(0).await;
    let mail = schedule_mail(&app).await;
    let relay = TcpListener::bind("127.0.0.1:0").unwrap();
    let env = smtp_env(&relay, "60");
    let (worker, _) = Proc::spawn(&["worker", "--database-url", &app.url], &refs(&env));
    // The relay answers only once the stop was asked: the effect is in hand then.
    let conn = connected(relay);
    worker.terminate();
    worker.wait_for("stopping: no new requests");
    let relay = std::thread::spawn(move || smtp_session(conn));
    let (exit, output) = worker.wait();
    assert!(exit.success(), "{exit}:\n{output}");
    assert!(output.contains("1 effects carried out") && output.contains("0 given back"), "{output}");
    assert_eq!(relay.join().unwrap(), 1, "the relay took one message");
    let done = effect_now(&app, mail.id).await;
    assert_eq!((done.state.as_str(), done.attempts), ("done", 1), "{output}");
}

/// Set when `Slow` is running its first time; it then waits forever.
static SLOW_STARTED: tokio::sync::Notify = tokio::sync::Notify::const_new();
static SLOW_RAN: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Appends "!" to the company; the first time, it then never finishes (an action
/// still running when a worker's shutdown timeout runs out).
#[derive(Default)]
struct Slow;

impl admin_core::action::Action for Slow {
    type Model = ops_console::models::account::Model;
    type Input = admin_core::action::NoInput;
    const NAME: &'static str = "slow";
    const LABEL: &'static str = "Slow";

    fn policy(&self) -> admin_core::action::Policy {
        admin_core::action::Policy::new().approval()
    }

    async fn run(
        &self,
        ctx: &admin_core::action::RunContext<'_>,
        a: ops_console::models::account::Model,
        _: &admin_core::action::NoInput,
    ) -> opsadmin::Result<admin_core::action::Outcome> {
        use sea_orm::{ActiveModelTrait, ActiveValue::Set, IntoActiveModel};
        let company = format!("{}!", a.company);
        let mut am = a.into_active_model();
        am.company = Set(company);
        am.update(ctx.txn).await?;
        if !SLOW_RAN.swap(true, std::sync::atomic::Ordering::SeqCst) {
            SLOW_STARTED.notify_one();
            std::future::pending::<()>().await;
        }
        Ok(admin_core::action::Outcome::Done("touched".into()))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approved_action_cut_off_by_the_timeout_rolls_back_and_is_given_back_to_run_once() {
    use admin_core::approval::{self, Work, request};
    use admin_core::service::{ActionRequest, ActionResult};
    let app = TestApp::new(0).await;
    let registry = ops_console::registry().action(Slow).unwrap();
    let roles = ops_console::roles::roles();
    let company = |db: sea_orm::DatabaseConnection| async move {
        ops_console::models::account::Entity::find_by_id(ALICE).one(&db).await.unwrap().unwrap().company
    };
    let before = company(app.db.clone()).await;
    // Asked by one admin, approved by another.
    let asker = admin_core::auth::staff_by_name(&app.db, &roles, USER).await.unwrap();
    opsadmin::auth::create_user(&app.db, "approver", "a long enough pass phrase", &["admin"], true)
        .await
        .unwrap();
    let approver = admin_core::auth::staff_by_name(&app.db, &roles, "approver").await.unwrap();
    let ctx = admin_core::audit::Context::staff(&asker).with_reason(Some("slow".into()));
    let req =
        ActionRequest { keys: vec![ALICE.to_string()], input: serde_json::json!({}), idempotency_key: None };
    let ActionResult::Queued { id } =
        super::support::run_action(&app.db, &ctx, &registry, "account", "slow", &req).await.unwrap()
    else {
        panic!("queued for approval")
    };
    approval::decide(&app.db, &admin_core::audit::Context::staff(&approver), &registry, id, true, None)
        .await
        .unwrap();

    let (cut, cutoff) = tokio::sync::oneshot::channel::<()>();
    let worker = {
        let (db, registry, roles) = (app.db.clone(), registry.clone(), roles.clone());
        tokio::spawn(async move {
            approval::work_once_until(&db, &registry, &roles, async move {
                let _ = cutoff.await;
            })
            .await
        })
    };
    SLOW_STARTED.notified().await;
    cut.send(()).unwrap();
    assert_eq!(worker.await.unwrap().unwrap(), Work::Released(id));
    let r = request::Entity::find_by_id(id).one(&app.db).await.unwrap().unwrap();
    assert_eq!((r.status.as_str(), r.attempts, r.lease_token), ("approved", 0, None));
    assert_eq!(company(app.db.clone()).await, before, "nothing of the cut-off run was applied");
    // Another worker runs it at once, and only once.
    assert_eq!(approval::work_once(&app.db, &registry, &roles).await.unwrap(), Work::Done(id));
    assert_eq!(approval::work_once(&app.db, &registry, &roles).await.unwrap(), Work::Idle);
    assert_eq!(company(app.db.clone()).await, format!("{before}!"));
}
