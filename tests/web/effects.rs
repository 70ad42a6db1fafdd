//! Effects that happen after commit, once (issue 15, point 3): written with their
//! run, carried out by the worker with the effect's key, retried with backoff,
//! failed for good, retried or given up by staff; two workers and a killed one
//! still act once where the receiver honours the key. Through the door, on the
//! backend under test.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use admin_core::audit::entry;
use admin_core::db::entities::{effect as row, worker_seen};
use admin_core::effect::{Filter, StoredEffect};
use admin_core::kernel::effect::Effect;
use admin_core::service::{ActionRequest, ActionResult};
use ops_console::mail::{MailHandler, Transport};
use ops_console::models::{account, email_job};
use opsadmin::effect::{BoxFuture, Done, EffectHandler, Failure, Work};
use opsadmin::{Caller, Error, Registry, Service};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter};
use serde_json::json;

use super::support::{ALICE, PASSWORD, TestApp};

/// A folder of its own for one test's mail.
fn mail_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("opsadmin-mail-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn door(app: &TestApp, registry: Registry) -> Service {
    Service::new(app.db.clone(), registry).with_roles(ops_console::roles::roles())
}

/// The console's registry with its mail written to `dir`.
fn with_mail_to(dir: &std::path::Path) -> Registry {
    ops_console::registry().effect_handler(MailHandler::new(Transport::Folder(dir.to_owned())))
}

async fn staff(service: &Service, name: &str, role: &str) -> Caller {
    opsadmin::auth::create_user(service.db(), name, PASSWORD, &[role], false).await.unwrap();
    service.local(name).await.unwrap()
}

/// Retries Alice's welcome email as `caller`; the run's id.
async fn retry_welcome(service: &Service, caller: &Caller) -> i64 {
    let caller = caller.clone().with_reason(Some("Customer asked again".to_owned()));
    let request = ActionRequest { keys: vec![ALICE.to_string()], input: json!({}), idempotency_key: None };
    match service.run_action(&caller, "account", "retry_welcome_email", &request).await.unwrap() {
        ActionResult::Ran(report) => {
            assert_eq!(report.done.len(), 1, "{report:?}");
            report.run_id.unwrap()
        }
        other => panic!("{other:?}"),
    }
}

async fn job(app: &TestApp) -> email_job::Model {
    email_job::Entity::find_by_id(1).one(&app.db).await.unwrap().unwrap()
}

async fn effects(service: &Service) -> Vec<StoredEffect> {
    service.effects(&Caller::system("test"), &Filter::default(), 0, 100).await.unwrap().0
}

/// Makes every waiting effect due now (its backoff over).
async fn due_now(app: &TestApp) {
    row::Entity::update_many()
        .col_expr(row::Column::NextAttemptAt, Expr::value(Option::<chrono::NaiveDateTime>::None))
        .exec(&app.db)
        .await
        .unwrap();
}

#[tokio::test]
async fn retrying_a_welcome_email_sends_it_once_after_commit_and_the_job_reads_sent() {
    let app = TestApp::new(0).await;
    let dir = mail_dir("sent");
    let service = door(&app, with_mail_to(&dir));
    let sue = staff(&service, "sue", "support").await;
    let run_id = retry_welcome(&service, &sue).await;

    // Written with the run, not yet carried out: nothing was sent.
    let listed = service.effects_of_run(&sue, run_id).await.unwrap();
    assert_eq!(listed.len(), 1);
    let e = &listed[0];
    assert_eq!((e.kind.as_str(), e.state.as_str(), e.attempts), ("mail", "queued", 0));
    assert_eq!(e.payload["to"], "user1@acme-42-ltd.example");
    assert_eq!(e.payload["email_job_id"], 1);
    assert_eq!((e.model.as_deref(), e.object_id.as_deref()), (Some("email_job"), Some("1")));
    assert_eq!(job(&app).await.status, "queued");
    assert!(!dir.exists(), "nothing is sent before the worker runs");
    let on_record = service.effects_for_record(&sue, "email_job", "1").await.unwrap();
    assert_eq!(on_record.iter().map(|e| e.id).collect::<Vec<_>>(), vec![e.id]);

    assert_eq!(service.work_effects_once("w1").await.unwrap(), Work::Done(e.id));
    assert_eq!(service.work_effects_once("w1").await.unwrap(), Work::Idle, "done once");

    let files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|f| f.unwrap().path()).collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let message = std::fs::read_to_string(&files[0]).unwrap();
    assert!(
        message.contains(&format!("Message-ID: <{}@ops-console.example>", e.idempotency_key)),
        "{message}"
    );
    assert!(message.contains("To: user1@acme-42-ltd.example"), "{message}");
    assert!(message.contains("Subject: Welcome to Ops Console"), "{message}");

    let done = service.effect(&sue, e.id).await.unwrap();
    assert_eq!((done.state.as_str(), done.attempts), ("done", 1));
    assert!(done.outcome.unwrap().contains("written to"));
    let j = job(&app).await;
    assert_eq!(j.status, "sent");
    assert_eq!(j.last_error, None);
    let alice = account::Entity::find_by_id(ALICE).one(&app.db).await.unwrap().unwrap();
    assert!(alice.welcome_email_sent);
    // The worker signs what it did, in the same transaction as the job's change.
    let signed: Vec<entry::Model> = entry::Entity::find()
        .filter(entry::Column::Actor.eq("system:effect-worker"))
        .all(&app.db)
        .await
        .unwrap();
    let kinds: Vec<(&str, Option<&str>)> =
        signed.iter().map(|e| (e.kind.as_str(), e.model.as_deref())).collect();
    assert!(kinds.contains(&("effect_done", Some("effect"))), "{kinds:?}");
    assert!(kinds.contains(&("effect:mail", Some("email_job"))), "{kinds:?}");
    assert!(kinds.contains(&("effect:mail", Some("account"))), "{kinds:?}");
    // Sent: retrying again is refused, so no second mail can be scheduled.
    let again = ActionRequest { keys: vec![ALICE.to_string()], input: json!({}), idempotency_key: None };
    let caller = sue.clone().with_reason(Some("again".to_owned()));
    match service.run_action(&caller, "account", "retry_welcome_email", &again).await.unwrap() {
        ActionResult::Ran(report) => assert_eq!(report.done.len(), 0, "{report:?}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(effects(&service).await.len(), 1);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_refused_run_writes_no_effect() {
    let app = TestApp::new(0).await;
    let service = door(&app, ops_console::registry());
    let vic = staff(&service, "vic", "viewer").await.with_reason(Some("try".to_owned()));
    let request = ActionRequest { keys: vec![ALICE.to_string()], input: json!({}), idempotency_key: None };
    let refused = service.run_action(&vic, "account", "retry_welcome_email", &request).await;
    assert!(matches!(refused, Err(Error::Forbidden(_))), "{refused:?}");
    assert!(effects(&service).await.is_empty());
    let refused = service.effects(&vic, &Filter::default(), 0, 10).await;
    assert!(
        matches!(refused, Err(Error::Forbidden(ref m)) if m.contains("effects of actions")),
        "{refused:?}"
    );
}

#[tokio::test]
async fn a_bounce_fails_for_good_then_staff_retry_it_or_give_it_up_with_a_reason() {
    let app = TestApp::new(0).await;
    let mut alice =
        account::Entity::find_by_id(ALICE).one(&app.db).await.unwrap().unwrap().into_active_model();
    alice.email = Set("bounce@acme-42-ltd.example".to_owned());
    alice.update(&app.db).await.unwrap();
    let dir = mail_dir("bounce");
    let service = door(&app, with_mail_to(&dir));
    let sue = staff(&service, "sue", "support").await;
    let vic = staff(&service, "vic", "viewer").await;
    retry_welcome(&service, &sue).await;

    let Work::Failed(id, message) = service.work_effects_once("w1").await.unwrap() else {
        panic!("not failed")
    };
    assert!(message.contains("mailbox unavailable"), "{message}");
    let j = job(&app).await;
    assert_eq!(j.status, "bounced");
    assert!(j.last_error.unwrap().contains("mailbox unavailable"));
    assert_eq!(service.failed_effects(&sue).await.unwrap(), 1);
    assert_eq!(service.failed_effects(&vic).await.unwrap(), 0, "not theirs to see");
    assert!(matches!(service.retry_effect(&vic, id).await, Err(Error::Forbidden(_))));

    // Retried: the same key, attempts from zero, the job queued again.
    let retried = service.retry_effect(&sue, id).await.unwrap();
    assert_eq!((retried.state.as_str(), retried.attempts), ("queued", 0));
    assert_eq!(job(&app).await.status, "queued");
    assert!(matches!(service.retry_effect(&sue, id).await, Err(Error::Refused(_))), "only a failed one");
    assert!(matches!(service.work_effects_once("w1").await.unwrap(), Work::Failed(i, _) if i == id));
    assert_eq!(service.effect(&sue, id).await.unwrap().idempotency_key, retried.idempotency_key);

    // Given up: a reason is required; then it is over, and the job says so.
    assert!(matches!(service.give_up_effect(&sue, id, "  ").await, Err(Error::Invalid(_))));
    let given_up = service.give_up_effect(&sue, id, "Address is wrong; asked the customer").await.unwrap();
    assert_eq!(given_up.state, "given_up");
    assert_eq!(
        given_up.given_up,
        Some(("sue".to_owned(), "Address is wrong; asked the customer".to_owned()))
    );
    let j = job(&app).await;
    assert_eq!(j.status, "failed");
    assert_eq!(j.last_error.as_deref(), Some("Given up: Address is wrong; asked the customer"));
    assert!(matches!(service.retry_effect(&sue, id).await, Err(Error::Refused(_))));
    assert_eq!(service.failed_effects(&sue).await.unwrap(), 0);
    assert_eq!(service.work_effects_once("w1").await.unwrap(), Work::Idle);
    let audit: Vec<entry::Model> =
        entry::Entity::find().filter(entry::Column::Model.eq("effect")).all(&app.db).await.unwrap();
    let trail: Vec<(&str, &str)> = audit.iter().map(|e| (e.kind.as_str(), e.actor.as_str())).collect();
    assert_eq!(
        trail,
        vec![
            ("effect_failed", "system:effect-worker"),
            ("effect_retried", "sue"),
            ("effect_failed", "system:effect-worker"),
            ("effect_given_up", "sue"),
        ]
    );
    assert!(!dir.exists(), "a bounce writes no message");
}

/// A receiver that honours the key: it counts every call and acts once per key.
#[derive(Default)]
struct Receiver {
    calls: AtomicUsize,
    acted: Mutex<HashMap<String, usize>>,
    /// Keys it was called with, in order.
    seen: Mutex<Vec<String>>,
}

struct TestHandler {
    receiver: Arc<Receiver>,
    /// Transient failures before it succeeds (`usize::MAX`: never).
    failures: usize,
    /// The first call never returns (a worker killed mid-call).
    hang_first: bool,
    started: Arc<tokio::sync::Notify>,
}

impl TestHandler {
    fn new(receiver: &Arc<Receiver>) -> Self {
        Self {
            receiver: Arc::clone(receiver),
            failures: 0,
            hang_first: false,
            started: Arc::new(tokio::sync::Notify::new()),
        }
    }
}

impl EffectHandler for TestHandler {
    fn kind(&self) -> &'static str {
        "mail"
    }

    fn perform<'a>(&'a self, _: &'a StoredEffect, key: &'a str) -> BoxFuture<'a, Result<Done, Failure>> {
        Box::pin(async move {
            let n = self.receiver.calls.fetch_add(1, Ordering::SeqCst);
            self.receiver.seen.lock().unwrap().push(key.to_owned());
            if self.hang_first && n == 0 {
                self.started.notify_one();
                std::future::pending::<()>().await;
            }
            if n < self.failures {
                return Err(Failure::transient("421 try again later"));
            }
            // Some time at the receiver, so two workers overlap.
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            *self.receiver.acted.lock().unwrap().entry(key.to_owned()).or_default() += 1;
            Ok(Done { outcome: Some("accepted".to_owned()) })
        })
    }
}

/// Writes `n` mail effects for one made-up run, as an action's run does.
async fn schedule(app: &TestApp, n: usize) {
    let effects: Vec<Effect> = (0..n)
        .map(|i| Effect::new("mail", format!("mail {i}"), json!({ "to": format!("u{i}@example.com") })))
        .collect();
    admin_core::effect::write(&app.db, 999, &effects).await.unwrap();
}

#[tokio::test]
async fn a_failure_is_tried_again_with_backoff_then_marked_failed() {
    let app = TestApp::new(0).await;
    let receiver = Arc::new(Receiver::default());
    let handler = TestHandler { failures: usize::MAX, ..TestHandler::new(&receiver) };
    let service = door(&app, ops_console::registry().effect_handler(handler));
    schedule(&app, 1).await;
    let mut outcomes = Vec::new();
    for _ in 0..admin_core::effect::MAX_ATTEMPTS {
        let work = service.work_effects_once("w1").await.unwrap();
        // Waiting out the backoff: nothing is due until then.
        assert_eq!(service.work_effects_once("w1").await.unwrap(), Work::Idle);
        outcomes.push(work);
        due_now(&app).await;
    }
    let retries = outcomes.iter().filter(|w| matches!(w, Work::Retry(..))).count();
    assert_eq!(retries as i32, admin_core::effect::MAX_ATTEMPTS - 1, "{outcomes:?}");
    assert!(matches!(outcomes.last(), Some(Work::Failed(_, m)) if m == "421 try again later"));
    let e = &effects(&service).await[0];
    assert_eq!((e.state.as_str(), e.attempts), ("failed", admin_core::effect::MAX_ATTEMPTS));
    assert_eq!(receiver.calls.load(Ordering::SeqCst), admin_core::effect::MAX_ATTEMPTS as usize);
    let keys = receiver.seen.lock().unwrap().clone();
    assert!(keys.iter().all(|k| *k == e.idempotency_key), "the same key on every attempt");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_carry_out_each_effect_exactly_once() {
    let app = TestApp::new(0).await;
    const N: usize = 30;
    schedule(&app, N).await;
    let receiver = Arc::new(Receiver::default());
    // Two instances: two connection pools, two registries, one database.
    let second = ops_console::connect(&app.url).await.unwrap();
    let services = [
        door(&app, ops_console::registry().effect_handler(TestHandler::new(&receiver))),
        Service::new(second, ops_console::registry().effect_handler(TestHandler::new(&receiver))),
    ];
    let tasks: Vec<_> = services
        .into_iter()
        .enumerate()
        .map(|(i, service)| {
            tokio::spawn(async move {
                let mut done = 0;
                loop {
                    match service.work_effects_once(&format!("w{i}")).await.unwrap() {
                        Work::Idle => break done,
                        Work::Done(_) => done += 1,
                        other => panic!("{other:?}"),
                    }
                }
            })
        })
        .collect();
    let mut per_worker = Vec::new();
    for t in tasks {
        per_worker.push(t.await.unwrap());
    }
    assert_eq!(per_worker.iter().sum::<usize>(), N, "{per_worker:?}");
    assert_eq!(receiver.calls.load(Ordering::SeqCst), N, "no effect was carried out twice");
    let acted = receiver.acted.lock().unwrap().clone();
    assert_eq!(acted.len(), N);
    assert!(acted.values().all(|n| *n == 1));
    let all = row::Entity::find().all(&app.db).await.unwrap();
    assert!(all.iter().all(|e| e.state == "done" && e.attempts == 1), "{all:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_worker_s_effect_is_carried_out_again_with_the_same_key_and_acted_on_once() {
    let app = TestApp::new(0).await;
    schedule(&app, 1).await;
    let receiver = Arc::new(Receiver::default());
    let hanging = TestHandler { hang_first: true, ..TestHandler::new(&receiver) };
    let started = Arc::clone(&hanging.started);
    let first = door(&app, ops_console::registry().effect_handler(hanging));
    let second = door(&app, ops_console::registry().effect_handler(TestHandler::new(&receiver)));

    let killed = tokio::spawn(async move { first.work_effects_once("doomed").await });
    started.notified().await;
    killed.abort();
    assert!(killed.await.unwrap_err().is_cancelled());
    let e = &effects(&second).await[0];
    assert_eq!((e.state.as_str(), e.attempts), ("running", 1));

    // Its lease still holds: nobody else takes the effect.
    assert_eq!(second.work_effects_once("rescuer").await.unwrap(), Work::Idle);
    // The lease runs out (moved into the past rather than waited for).
    row::Entity::update_many()
        .col_expr(
            row::Column::LeaseUntil,
            Expr::value(chrono::Utc::now().naive_utc() - chrono::Duration::seconds(1)),
        )
        .exec(&app.db)
        .await
        .unwrap();
    assert_eq!(second.work_effects_once("rescuer").await.unwrap(), Work::Done(e.id));
    let after = &effects(&second).await[0];
    assert_eq!((after.state.as_str(), after.attempts), ("done", 2));
    // Called twice with one key, so the receiver acted once.
    let seen = receiver.seen.lock().unwrap().clone();
    assert_eq!(seen, vec![e.idempotency_key.clone(), e.idempotency_key.clone()]);
    assert_eq!(receiver.acted.lock().unwrap().get(&e.idempotency_key), Some(&1));
}

#[tokio::test]
async fn the_dashboard_warning_says_when_no_worker_was_seen() {
    let app = TestApp::new(0).await;
    let service = door(&app, ops_console::registry());
    let sue = staff(&service, "sue", "support").await;
    let vic = staff(&service, "vic", "viewer").await;
    let never = service.worker_warning(&sue).await.unwrap().unwrap();
    assert!(
        never.starts_with("No worker has been seen yet: effects and approvals are not being carried out"),
        "{never}"
    );
    assert_eq!(service.worker_warning(&vic).await.unwrap(), None);
    service.worker_seen("host:1", "effects and approvals").await.unwrap();
    assert_eq!(service.worker_warning(&sue).await.unwrap(), None);
    worker_seen::Entity::update_many()
        .col_expr(
            worker_seen::Column::SeenAt,
            Expr::value(chrono::Utc::now().naive_utc() - chrono::Duration::minutes(12)),
        )
        .exec(&app.db)
        .await
        .unwrap();
    let silent = service.worker_warning(&sue).await.unwrap().unwrap();
    assert!(
        silent.starts_with(
            "No worker has been seen for 12 minutes: effects and approvals are not being carried out"
        ),
        "{silent}"
    );
    // Seen again: one row per instance, updated in place.
    service.worker_seen("host:1", "effects and approvals").await.unwrap();
    assert_eq!(service.worker_warning(&sue).await.unwrap(), None);
    assert_eq!(worker_seen::Entity::find().all(&app.db).await.unwrap().len(), 1);
}
