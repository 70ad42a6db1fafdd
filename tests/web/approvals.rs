//! Approvals and the worker: self-approval refused, retries with backoff, give-up
//! after the last attempt, recovery after a worker dies, and exactly-once runs.

use std::sync::atomic::{AtomicUsize, Ordering};

use admin_core::action::{Action, NoInput, Outcome, Policy, RunContext};
use admin_core::approval::{self, Work};
use admin_core::audit::{Context, entry};
use admin_core::service::{ActionRequest, ActionResult};
use ops_console::models::account;
use opsadmin::{Registry, Staff};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel,
    PaginatorTrait, QueryFilter,
};

use super::support::TestApp;

static FLAKY_FAILURES: AtomicUsize = AtomicUsize::new(0);

/// Appends "!" to the company.
#[derive(Default)]
struct Touch;

impl Action for Touch {
    type Model = account::Model;
    type Input = NoInput;
    const NAME: &'static str = "touch";
    const LABEL: &'static str = "Touch";

    fn policy(&self) -> Policy {
        Policy::new().approval()
    }

    async fn run(&self, ctx: &RunContext<'_>, a: account::Model, _: &NoInput) -> opsadmin::Result<Outcome> {
        let company = format!("{}!", a.company);
        let mut am = a.into_active_model();
        am.company = Set(company);
        am.update(ctx.txn).await?;
        Ok(Outcome::Done("touched".into()))
    }
}

/// Like `Touch`, but fails while `FLAKY_FAILURES` is above zero (only one test uses it).
#[derive(Default)]
struct Flaky;

impl Action for Flaky {
    type Model = account::Model;
    type Input = NoInput;
    const NAME: &'static str = "flaky";
    const LABEL: &'static str = "Flaky";

    fn policy(&self) -> Policy {
        Policy::new().approval()
    }

    async fn run(&self, ctx: &RunContext<'_>, a: account::Model, _: &NoInput) -> opsadmin::Result<Outcome> {
        let company = format!("{}!", a.company);
        let mut am = a.into_active_model();
        am.company = Set(company);
        am.update(ctx.txn).await?;
        // Fail after writing, so a rollback is visible if it did not happen.
        if FLAKY_FAILURES.load(Ordering::SeqCst) > 0 {
            FLAKY_FAILURES.fetch_sub(1, Ordering::SeqCst);
            return Err(opsadmin::Error::Internal("the payment provider timed out".into()));
        }
        Ok(Outcome::Done("touched".into()))
    }
}

/// Always fails.
#[derive(Default)]
struct Broken;

impl Action for Broken {
    type Model = account::Model;
    type Input = NoInput;
    const NAME: &'static str = "broken";
    const LABEL: &'static str = "Broken";

    fn policy(&self) -> Policy {
        Policy::new().approval()
    }

    async fn run(&self, ctx: &RunContext<'_>, a: account::Model, _: &NoInput) -> opsadmin::Result<Outcome> {
        let mut am = a.into_active_model();
        am.company = Set("half-done".into());
        am.update(ctx.txn).await?;
        Err(opsadmin::Error::Internal("the card network is down".into()))
    }
}

fn registry() -> Registry {
    ops_console::registry().action(Touch).unwrap().action(Flaky).unwrap().action(Broken).unwrap()
}

async fn staff(app: &TestApp, name: &str) -> Staff {
    opsadmin::auth::create_user(&app.db, name, "a long enough pass phrase", &["admin"], true).await.unwrap();
    admin_core::auth::staff_by_name(&app.db, &ops_console::roles::roles(), name).await.unwrap()
}

async fn request(app: &TestApp, who: &Staff, action: &str, ids: &[i64]) -> i64 {
    let ctx = Context::staff(who).with_reason(Some("test".into()));
    let req = ActionRequest {
        keys: ids.iter().map(i64::to_string).collect(),
        input: serde_json::json!({}),
        idempotency_key: None,
    };
    match super::support::run_action(&app.db, &ctx, &registry(), "account", action, &req).await.unwrap() {
        ActionResult::Queued { id } => id,
        other => panic!("expected a queued request, got {other:?}"),
    }
}

async fn approve(app: &TestApp, who: &Staff, id: i64) {
    approval::decide(&app.db, &Context::staff(who), &registry(), id, true, None).await.unwrap();
}

async fn work(app: &TestApp) -> Work {
    approval::work_once(&app.db, &registry(), &ops_console::roles::roles()).await.unwrap()
}

async fn company(app: &TestApp, id: i64) -> String {
    account::Entity::find_by_id(id).one(&app.db).await.unwrap().unwrap().company
}

async fn make_due(app: &TestApp) {
    app.db
        .execute_unprepared("UPDATE admin_approval SET next_attempt_at = '2000-01-01 00:00:00'")
        .await
        .unwrap();
}

#[tokio::test]
async fn nobody_approves_their_own_request_not_even_a_superuser() {
    let app = TestApp::new(0).await;
    let ann = staff(&app, "ann").await;
    let id = request(&app, &ann, "touch", &[1]).await;
    let err =
        approval::decide(&app.db, &Context::staff(&ann), &registry(), id, true, None).await.unwrap_err();
    assert!(err.to_string().contains("someone else must approve"), "{err}");
    assert_eq!(work(&app).await, Work::Idle, "pending requests never run");
    assert_eq!(company(&app, 1).await, "Acme 42 Ltd");
}

#[tokio::test]
async fn a_failure_is_retried_with_backoff_then_succeeds_once() {
    let app = TestApp::new(0).await;
    let (ann, bob) = (staff(&app, "ann").await, staff(&app, "bob").await);
    let id = request(&app, &ann, "flaky", &[2]).await;
    approve(&app, &bob, id).await;
    FLAKY_FAILURES.store(2, Ordering::SeqCst);
    assert!(matches!(work(&app).await, Work::Retry(i, ref m) if i == id && m.contains("timed out")));
    assert_eq!(company(&app, 2).await, "Globex 7 Inc", "the failed attempt left nothing behind");
    // Not due yet: the backoff holds it back.
    assert_eq!(work(&app).await, Work::Idle);
    make_due(&app).await;
    assert!(matches!(work(&app).await, Work::Retry(..)));
    make_due(&app).await;
    assert_eq!(work(&app).await, Work::Done(id));
    assert_eq!(company(&app, 2).await, "Globex 7 Inc!");
    let r = approval::get(&app.db, id).await.unwrap();
    assert_eq!((r.status.as_str(), r.attempts), ("done", 3));
    make_due(&app).await;
    assert_eq!(work(&app).await, Work::Idle, "done requests never run again");
}

#[tokio::test]
async fn after_the_last_attempt_a_request_is_marked_failed_with_its_error() {
    let app = TestApp::new(0).await;
    let (ann, bob) = (staff(&app, "ann").await, staff(&app, "bob").await);
    let id = request(&app, &ann, "broken", &[3]).await;
    approve(&app, &bob, id).await;
    for _ in 1..approval::MAX_ATTEMPTS {
        make_due(&app).await;
        assert!(matches!(work(&app).await, Work::Retry(..)));
    }
    make_due(&app).await;
    assert!(
        matches!(work(&app).await, Work::Failed(i, ref m) if i == id && m.contains("card network is down"))
    );
    let r = approval::get(&app.db, id).await.unwrap();
    assert_eq!(r.status, "failed");
    assert!(r.last_error.unwrap().contains("card network is down"));
    assert_eq!(company(&app, 3).await, "Acme 420 GmbH", "nothing half-done stays behind");
    let failed =
        entry::Entity::find().filter(entry::Column::Kind.eq("approval_failed")).all(&app.db).await.unwrap();
    assert_eq!(failed.len(), 1);
    // Nobody signed in for the give-up: the worker's system identity signs it.
    assert_eq!(failed[0].actor, "system:approval-worker");
    assert_eq!(failed[0].actor_id, None);
}

#[tokio::test]
async fn a_request_held_by_a_dead_worker_runs_once_after_its_lease_ends() {
    let app = TestApp::new(0).await;
    let (ann, bob) = (staff(&app, "ann").await, staff(&app, "bob").await);
    let id = request(&app, &ann, "touch", &[1]).await;
    approve(&app, &bob, id).await;
    // A worker claimed it and died before committing: running, lease still held.
    app.db
        .execute_unprepared(&format!(
            "UPDATE admin_approval SET status = 'running', attempts = 1, lease_token = 'dead', lease_until = '2999-01-01 00:00:00' WHERE id = {id}"
        ))
        .await
        .unwrap();
    assert_eq!(work(&app).await, Work::Idle, "another worker leaves a held request alone");
    app.db.execute_unprepared("UPDATE admin_approval SET lease_until = '2000-01-01 00:00:00'").await.unwrap();
    assert_eq!(work(&app).await, Work::Done(id));
    assert_eq!(company(&app, 1).await, "Acme 42 Ltd!");
    assert_eq!(work(&app).await, Work::Idle);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_approved_requests_run_exactly_once_with_four_workers_at_once() {
    let app = TestApp::new(20).await;
    let (ann, bob) = (staff(&app, "ann").await, staff(&app, "bob").await);
    for id in 4..24 {
        let req = request(&app, &ann, "touch", &[id]).await;
        approve(&app, &bob, req).await;
    }
    let mut workers = Vec::new();
    for _ in 0..4 {
        let db = app.db.clone();
        workers.push(tokio::spawn(async move {
            let mut done = 0;
            loop {
                match approval::work_once(&db, &registry(), &ops_console::roles::roles()).await.unwrap() {
                    Work::Idle => break,
                    Work::Done(_) => done += 1,
                    other => panic!("{other:?}"),
                }
            }
            done
        }));
    }
    let mut total = 0;
    for w in workers {
        total += w.await.unwrap();
    }
    assert_eq!(total, 20);
    for id in 4..24 {
        assert_eq!(company(&app, id).await, format!("Hooli {id} LLC!"), "account {id} touched exactly once");
    }
    let runs =
        entry::Entity::find().filter(entry::Column::Kind.eq("action:touch")).count(&app.db).await.unwrap();
    assert_eq!(runs, 20);
    assert!(matches!(
        opsadmin::audit::verify(&app.db).await.unwrap(),
        opsadmin::audit::Verdict::Intact { .. }
    ));
}

#[tokio::test]
async fn a_request_whose_requester_lost_access_fails_without_running() {
    let app = TestApp::new(0).await;
    let (ann, bob) = (staff(&app, "ann").await, staff(&app, "bob").await);
    let id = request(&app, &ann, "touch", &[1]).await;
    approve(&app, &bob, id).await;
    app.db
        .execute_unprepared("UPDATE admin_user SET is_active = false WHERE username = 'ann'")
        .await
        .unwrap();
    assert!(
        matches!(work(&app).await, Work::Failed(i, ref m) if i == id && m.contains("ann can no longer run this action"))
    );
    assert_eq!(company(&app, 1).await, "Acme 42 Ltd");
}
