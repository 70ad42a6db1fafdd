//! The app under test, served over real HTTP on a free local port, with the staff
//! users the scenarios sign in as.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use tokio::task::JoinHandle;

use super::browser::{Browser, Options, Tools};
use crate::web::support::{Backend, TestApp};

/// The password of every user the scenarios create.
pub const PASSWORD: &str = "a long enough pass phrase";

static N: AtomicU64 = AtomicU64::new(0);

/// The reference app served on `127.0.0.1:PORT` over its own database, with a
/// browser pointed at it.
pub struct Served {
    /// The database and router (the fixture's rows, or the demo data set).
    pub app: TestApp,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    server: JoinHandle<()>,
}

impl Drop for Served {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl Served {
    /// The HTTP tests' fixture (Alice 1, Bob 2, Carol 3, invoices 1 paid and 2 open,
    /// Alice's failed welcome email) plus `extra` plain accounts.
    pub async fn fixture(extra: usize) -> Self {
        Self::serve(TestApp::new(extra).await).await
    }

    /// The demo data set of `cargo run -p ops-console` (300 accounts with their
    /// invoices and email jobs), on a fresh SQLite file.
    pub async fn demo() -> Self {
        let n = N.fetch_add(1, Ordering::SeqCst);
        let path = std::env::temp_dir().join(format!("opsadmin-e2e-{}-{n}.db", std::process::id()));
        for ext in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{ext}", path.display()));
        }
        let url = format!("sqlite://{}?mode=rwc", path.display());
        let db = ops_console::connect(&url).await.expect("connect");
        ops_console::prepare(&db).await.expect("prepare");
        ops_console::seed::seed_demo(&db, ops_console::seed::DEFAULT_SEED)
            .await
            .expect("seed")
            .expect("an empty database takes the demo data");
        let router = ops_console::app(db.clone());
        Self::serve(TestApp { db, router, path, backend: Backend::Sqlite, url }).await
    }

    async fn serve(app: TestApp) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind a free port");
        let base = format!("http://{}", listener.local_addr().expect("address"));
        let router: Router = app.router.clone();
        let server = tokio::spawn(async move {
            axum::serve(listener, router).await.expect("serve");
        });
        Served { app, base, server }
    }

    /// Creates a staff user with one role and [`PASSWORD`].
    pub async fn user(&self, name: &str, role: &str) {
        opsadmin::auth::create_user(&self.app.db, name, PASSWORD, &[role], false).await.expect("create user");
    }

    /// A job worker on this app's database, running chunks until none is left
    /// (a pause between them, so a page can be seen following it).
    pub fn job_worker(&self) -> tokio::task::JoinHandle<()> {
        let service = opsadmin::Service::new(self.app.db.clone(), ops_console::registry())
            .with_roles(ops_console::roles::roles());
        tokio::spawn(async move {
            loop {
                match service.work_jobs_once("e2e").await.expect("worker") {
                    opsadmin::job::Work::Idle => break,
                    _ => tokio::time::sleep(std::time::Duration::from_millis(300)).await,
                }
            }
        })
    }

    /// A new browser session on this app.
    pub async fn browser(&self, tools: &Tools) -> Browser {
        Browser::start(tools, &self.base, Options::default()).await
    }

    /// A new browser session on this app, with JavaScript switched off.
    pub async fn browser_without_script(&self, tools: &Tools) -> Browser {
        Browser::start(tools, &self.base, Options { no_script: true }).await
    }

    /// Runs the approval worker until no approved request is due.
    pub async fn run_worker(&self) {
        loop {
            let work = admin_core::approval::work_once(
                &self.app.db,
                &ops_console::registry(),
                &ops_console::roles::roles(),
            )
            .await
            .expect("worker");
            if matches!(work, admin_core::approval::Work::Idle) {
                break;
            }
        }
    }
}

/// Where screenshots go: `OPSADMIN_SCREENSHOTS` (relative to the workspace root),
/// else `opsadmin-screenshots` in the temp dir.
pub fn screenshot_dir() -> PathBuf {
    match std::env::var_os("OPSADMIN_SCREENSHOTS") {
        Some(dir) if !dir.is_empty() => {
            let dir = PathBuf::from(dir);
            if dir.is_absolute() {
                dir
            } else {
                PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join(dir)
            }
        }
        _ => std::env::temp_dir().join("opsadmin-screenshots"),
    }
}
