//! Stopping gracefully, for `ops-console serve` and `ops-console worker`.
//!
//! On SIGTERM or Ctrl-C ([`Stop::on_signal`]) the server stops accepting
//! connections and finishes the requests in flight; the worker finishes the
//! request or effect in hand and takes no other. When that takes longer than the
//! shutdown timeout (`Settings::shutdown_timeout`: `--shutdown-timeout`,
//! `OPSADMIN_SHUTDOWN_TIMEOUT`, 30 seconds by default), the
//! process stops anyway: it names the requests still running in a warning
//! ([`InFlight`]), and the worker gives its item back (the approved request's
//! transaction rolls back, the effect is queued again) so another worker takes it
//! at once instead of when its lease ends. A second signal stops the process at
//! once.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use tokio::sync::watch;

/// A stop: asked once (by a signal, or by [`Stop::manual`]'s sender), with the
/// hard limit that follows it. Clones share it.
#[derive(Clone, Debug)]
pub struct Stop {
    asked: watch::Receiver<Option<Instant>>,
    timeout: Duration,
}

impl Stop {
    /// A stop asked by SIGTERM or Ctrl-C (SIGINT). A second signal ends the
    /// process at once, with exit code 130. Call it inside the runtime.
    #[must_use]
    pub fn on_signal(timeout: Duration) -> Self {
        let (ask, stop) = Self::manual(timeout);
        tokio::spawn(async move {
            let signal = signal().await;
            tracing::info!(
                signal,
                timeout_seconds = timeout.as_secs(),
                "stopping: no new requests or work; finishing what is in flight"
            );
            let _ = ask.send(Some(Instant::now()));
            let again = self::signal().await;
            tracing::warn!(signal = again, "second signal: stopping at once");
            std::process::exit(130);
        });
        stop
    }

    /// A stop asked by sending `Some(Instant::now())` on the returned sender.
    #[must_use]
    pub fn manual(timeout: Duration) -> (watch::Sender<Option<Instant>>, Self) {
        let (ask, asked) = watch::channel(None);
        (ask, Self { asked, timeout })
    }

    /// The hard limit after the stop is asked.
    #[must_use]
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Completes when the stop is asked (never, if its sender is gone unasked).
    pub async fn asked(&self) {
        self.asked_at().await;
    }

    async fn asked_at(&self) -> Instant {
        let mut rx = self.asked.clone();
        let asked = rx.wait_for(Option::is_some).await.ok().and_then(|at| *at);
        match asked {
            Some(at) => at,
            None => std::future::pending().await,
        }
    }

    /// Completes [`Stop::timeout`] after the stop was asked: work still running
    /// then is given up.
    pub async fn deadline(&self) {
        let at = self.asked_at().await;
        tokio::time::sleep_until(tokio::time::Instant::from_std(at + self.timeout)).await;
    }
}

/// Waits for SIGTERM or Ctrl-C and names it.
async fn signal() -> &'static str {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => "SIGINT",
        () = terminate => "SIGTERM",
    }
}

/// The requests a server is answering, by method and path (never the query, which
/// may hold a search term), to name those a shutdown cut off.
#[derive(Clone, Debug, Default)]
pub struct InFlight {
    requests: Arc<Mutex<BTreeMap<u64, String>>>,
    next: Arc<AtomicU64>,
}

impl InFlight {
    /// `router`, with each request it answers counted here while it runs.
    pub fn track(&self, router: axum::Router) -> axum::Router {
        router.layer(axum::middleware::from_fn_with_state(self.clone(), track))
    }

    /// The requests running now, oldest first: `POST /admin/account/action`.
    #[must_use]
    pub fn running(&self) -> Vec<String> {
        self.requests.lock().map(|r| r.values().cloned().collect()).unwrap_or_default()
    }
}

/// Removes a request from [`InFlight`] when it ends, answered or dropped.
struct Entry(InFlight, u64);

impl Drop for Entry {
    fn drop(&mut self) {
        if let Ok(mut r) = self.0.requests.lock() {
            r.remove(&self.1);
        }
    }
}

async fn track(State(in_flight): State<InFlight>, request: Request, next: Next) -> Response {
    let id = in_flight.next.fetch_add(1, Ordering::Relaxed);
    let name = format!("{} {}", request.method(), request.uri().path());
    if let Ok(mut r) = in_flight.requests.lock() {
        r.insert(id, name);
    }
    let _entry = Entry(in_flight, id);
    next.run(request).await
}
