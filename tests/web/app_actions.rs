//! The reference app's actions through `admin_core::service::run_action`, the one path
//! the screens, the JSON API and scripts share (the HTTP flow is in `actions.rs`):
//! permissions, per-record checks with plain reasons, reasons and typed input,
//! approvals, the batch limit, rollback, idempotency and registration.

use admin_core::action::{Action, NoInput, Outcome, Report, RunContext};
use admin_core::audit::{Context, entry};
use admin_core::service::{ActionRequest, ActionResult};
use ops_console::actions::MarkForManualReview;
use ops_console::cli::{self, Command};
use ops_console::commands;
use ops_console::models::{account, account_lock, email_job, invoice};
use ops_console::roles;
use opsadmin::{Error, Registry, Staff};
use sea_orm::ActiveValue::Set;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder,
};
use serde_json::json;

use super::support::{ALICE, BOB, CAROL, TestApp, USER};

const PASSWORD: &str = "a long enough pass phrase";

/// A new staff user with one of the console's roles.
async fn staff(app: &TestApp, name: &str, role: &str) -> Staff {
    opsadmin::auth::create_user(&app.db, name, PASSWORD, &[role], false).await.unwrap();
    admin_core::auth::staff_by_name(&app.db, &roles::roles(), name).await.unwrap()
}

/// The fixture's superuser.
async fn superuser(app: &TestApp) -> Staff {
    admin_core::auth::staff_by_name(&app.db, &roles::roles(), USER).await.unwrap()
}

fn keys(ids: &[i64]) -> Vec<String> {
    ids.iter().map(ToString::to_string).collect()
}

/// One action request, as the screens would send it.
struct Req<'a> {
    slug: &'a str,
    name: &'a str,
    ids: Vec<String>,
    reason: Option<&'a str>,
    input: serde_json::Value,
    idempotency_key: Option<&'a str>,
}

fn req<'a>(slug: &'a str, name: &'a str, ids: &[i64]) -> Req<'a> {
    Req { slug, name, ids: keys(ids), reason: None, input: json!({}), idempotency_key: None }
}

impl<'a> Req<'a> {
    fn reason(mut self, r: &'a str) -> Self {
        self.reason = Some(r);
        self
    }

    fn input(mut self, v: serde_json::Value) -> Self {
        self.input = v;
        self
    }

    fn key(mut self, k: &'a str) -> Self {
        self.idempotency_key = Some(k);
        self
    }

    async fn run_in(self, app: &TestApp, registry: &Registry, who: &Staff) -> opsadmin::Result<ActionResult> {
        let ctx = Context::staff(who).with_reason(self.reason.map(str::to_owned));
        let request = ActionRequest {
            keys: self.ids,
            input: self.input,
            idempotency_key: self.idempotency_key.map(str::to_owned),
        };
        super::support::run_action(&app.db, &ctx, registry, self.slug, self.name, &request).await
    }

    async fn run(self, app: &TestApp, who: &Staff) -> opsadmin::Result<ActionResult> {
        self.run_in(app, &ops_console::registry(), who).await
    }
}

#[track_caller]
fn ran(result: opsadmin::Result<ActionResult>) -> Report {
    match result {
        Ok(ActionResult::Ran(report)) => report,
        other => panic!("expected the action to run now, got {other:?}"),
    }
}

#[track_caller]
fn queued(result: opsadmin::Result<ActionResult>) -> i64 {
    match result {
        Ok(ActionResult::Queued { id }) => id,
        other => panic!("expected the action to wait for approval, got {other:?}"),
    }
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

async fn acct(app: &TestApp, id: i64) -> account::Model {
    account::Entity::find_by_id(id).one(&app.db).await.unwrap().unwrap()
}

async fn entries_of(app: &TestApp, kind: &str) -> Vec<entry::Model> {
    entry::Entity::find()
        .filter(entry::Column::Kind.eq(kind))
        .order_by_asc(entry::Column::Seq)
        .all(&app.db)
        .await
        .unwrap()
}

async fn all_entries(app: &TestApp) -> u64 {
    entry::Entity::find().count(&app.db).await.unwrap()
}

/// Runs the approved requests that are due, as `ops-console worker --once` does.
async fn work(app: &TestApp) -> commands::WorkerSummary {
    commands::worker(&app.db, &ops_console::registry(), &roles::roles(), true, std::future::pending())
        .await
        .unwrap()
}

async fn approve(app: &TestApp, who: &Staff, id: i64) {
    admin_core::approval::decide(
        &app.db,
        &Context::staff(who),
        &ops_console::registry(),
        id,
        true,
        Some("checked"),
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn viewers_and_support_are_refused_what_their_roles_do_not_grant() {
    let app = TestApp::new(0).await;
    let viewer = staff(&app, "vic", "viewer").await;
    let support = staff(&app, "sue", "support").await;
    let err = req("account", "mark_for_manual_review", &[ALICE]).run(&app, &viewer).await.unwrap_err();
    let Error::Forbidden(msg) = err else { panic!("expected a refusal, got {err:?}") };
    assert!(msg.contains("Mark for manual review"), "{msg}");
    assert!(msg.contains("Ask someone with the support role."), "{msg}");
    assert_eq!(msg.permission(), Some("account.action.mark_for_manual_review"));
    let err = req("account", "lock_account", &[ALICE])
        .reason("r")
        .input(json!({"kind": "fraud"}))
        .run(&app, &support);
    assert!(
        matches!(err.await, Err(Error::Forbidden(m)) if m.permission() == Some("account.action.lock_account"))
    );
    let err = req("invoice", "refund_invoice", &[1]).reason("r").run(&app, &support).await;
    assert!(matches!(err, Err(Error::Forbidden(m))
        if m.permission() == Some("invoice.action.refund_invoice") && m.ends_with("Ask someone with the finance role.")));
    assert!(!acct(&app, ALICE).await.manual_review);
    assert!(!acct(&app, ALICE).await.locked);
    assert_eq!(all_entries(&app).await, 0, "a refusal writes nothing");
}

#[tokio::test]
async fn a_blocked_record_is_skipped_with_its_reason_and_the_preview_says_so_first() {
    let app = TestApp::new(0).await;
    let support = staff(&app, "sue", "support").await;
    let registry = ops_console::registry();
    let caller = super::support::caller_of(&Context::staff(&support));
    let (_, preview) = opsadmin::Service::new(app.db.clone(), registry.clone())
        .preview_action(&caller, "account", "mark_for_manual_review", &keys(&[ALICE, BOB]), None)
        .await
        .unwrap();
    assert_eq!(preview.ready.iter().map(|r| r.key.as_str()).collect::<Vec<_>>(), ["1"]);
    assert_eq!(preview.blocked.len(), 1);
    assert_eq!(preview.blocked[0].record.key, "2");
    assert_eq!(preview.blocked[0].reason, "Account 2 is already marked for manual review.");

    let report = ran(req("account", "mark_for_manual_review", &[ALICE, BOB]).run(&app, &support).await);
    assert_eq!(report.done, pairs(&[("1", "marked for manual review")]));
    assert_eq!(report.skipped, pairs(&[("2", "Account 2 is already marked for manual review.")]));
    let audited: Vec<_> = entries_of(&app, "action:mark_for_manual_review").await;
    assert_eq!(audited.iter().map(|e| e.object_id.as_deref()).collect::<Vec<_>>(), [Some("1")]);
}

#[tokio::test]
async fn mark_for_manual_review_sets_the_flag_and_audits_each_record_with_the_reason() {
    let app = TestApp::new(3).await;
    let support = staff(&app, "sue", "support").await;
    let reason = "Failed first charge after a mid-cycle upgrade (ticket 4411)";
    let report = ran(req("account", "mark_for_manual_review", &[ALICE, 4, 5])
        .reason(reason)
        .run(&app, &support)
        .await);
    assert_eq!(report.done.len(), 3);
    assert!(report.skipped.is_empty());
    for id in [ALICE, 4, 5] {
        assert!(acct(&app, id).await.manual_review, "account {id}");
    }
    assert!(!acct(&app, 6).await.manual_review, "unselected accounts stay as they were");
    let audited = entries_of(&app, "action:mark_for_manual_review").await;
    assert_eq!(audited.len(), 3, "one entry per record");
    for (e, id) in audited.iter().zip(["1", "4", "5"]) {
        assert_eq!(e.object_id.as_deref(), Some(id));
        assert_eq!(e.model.as_deref(), Some("account"));
        assert_eq!(e.actor, "sue");
        assert_eq!(e.reason.as_deref(), Some(reason));
        let diff: serde_json::Value = serde_json::from_str(&e.changes).unwrap();
        assert_eq!(diff["manual_review"], json!([false, true]), "{diff}");
    }
    assert_eq!(report.audit_seqs, Some((audited[0].seq, audited[2].seq)));
}

#[tokio::test]
async fn retry_welcome_email_requeues_the_existing_job_and_creates_none() {
    let app = TestApp::new(0).await;
    let support = staff(&app, "sue", "support").await;
    let sent_on = chrono::NaiveDate::from_ymd_opt(2026, 3, 2).unwrap().and_hms_opt(14, 5, 0).unwrap();
    email_job::ActiveModel {
        id: Set(2),
        account_id: Set(BOB),
        kind: Set("welcome".to_owned()),
        status: Set("sent".to_owned()),
        attempts: Set(1),
        last_error: Set(None),
        updated_at: Set(sent_on),
    }
    .insert(&app.db)
    .await
    .unwrap();
    // The insert hook stamps `updated_at` with now; put back the day it was sent.
    email_job::Entity::update_many()
        .col_expr(email_job::Column::UpdatedAt, sea_orm::sea_query::Expr::value(sent_on))
        .filter(email_job::Column::Id.eq(2))
        .exec(&app.db)
        .await
        .unwrap();
    let jobs_before = email_job::Entity::find().count(&app.db).await.unwrap();

    let registry = ops_console::registry();
    let all = keys(&[ALICE, BOB, CAROL]);
    let caller = super::support::caller_of(&Context::staff(&support));
    let (_, preview) = opsadmin::Service::new(app.db.clone(), registry.clone())
        .preview_action(&caller, "account", "retry_welcome_email", &all, None)
        .await
        .unwrap();
    assert_eq!(preview.ready.iter().map(|r| r.key.as_str()).collect::<Vec<_>>(), ["1"]);
    let blocked: Vec<(&str, &str)> =
        preview.blocked.iter().map(|b| (b.record.key.as_str(), b.reason.as_str())).collect();
    assert_eq!(blocked[0], ("2", "Cannot retry: the welcome email was already sent on 2026-03-02."));
    assert_eq!(blocked[1].0, "3");
    assert!(blocked[1].1.starts_with("Cannot retry: account 3 has no welcome email job"), "{}", blocked[1].1);

    let report = ran(req("account", "retry_welcome_email", &[ALICE, BOB, CAROL]).run(&app, &support).await);
    assert_eq!(report.done, pairs(&[("1", "requeued welcome email job 1")]));
    assert_eq!(report.skipped.len(), 2);
    assert_eq!(report.skipped[0], ("2".to_owned(), blocked[0].1.to_owned()));
    let job = email_job::Entity::find_by_id(1).one(&app.db).await.unwrap().unwrap();
    assert_eq!(job.status, "queued");
    assert!(job.updated_at > sent_on, "updated_at is now");
    assert_eq!(job.attempts, 3, "the job is requeued, not reset");
    assert_eq!(email_job::Entity::find().count(&app.db).await.unwrap(), jobs_before, "no job is created");
    let job_entries: Vec<_> = entries_of(&app, "action:retry_welcome_email")
        .await
        .into_iter()
        .filter(|e| e.model.as_deref() == Some("email_job"))
        .collect();
    assert_eq!(job_entries.len(), 1, "the job's history shows the requeue");
    assert_eq!(job_entries[0].object_id.as_deref(), Some("1"));
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&job_entries[0].changes).unwrap()["status"],
        json!(["failed", "queued"])
    );

    let again = ran(req("account", "retry_welcome_email", &[ALICE]).run(&app, &support).await);
    assert!(again.done.is_empty());
    assert_eq!(again.skipped, pairs(&[("1", "Cannot retry: a retry is already queued.")]));
}

#[tokio::test]
async fn lock_needs_a_reason_and_a_known_kind_and_records_why() {
    let app = TestApp::new(0).await;
    let root = superuser(&app).await;
    let fraud = json!({"kind": "fraud"});
    let err =
        req("account", "lock_account", &[ALICE]).input(fraud.clone()).run(&app, &root).await.unwrap_err();
    let Error::Invalid(errors) = err else { panic!("expected invalid input, got {err:?}") };
    assert_eq!(errors[0].field.as_deref(), Some("reason"));
    assert!(errors[0].message.contains("Lock account"), "{}", errors[0].message);
    let err = req("account", "lock_account", &[ALICE])
        .reason("Card testing")
        .input(json!({"kind": "whim"}))
        .run(&app, &root)
        .await
        .unwrap_err();
    assert!(matches!(&err, Error::Invalid(e) if e[0].message.contains("Choose one of")), "{err:?}");
    assert!(!acct(&app, ALICE).await.locked, "nothing changed");

    let report = ran(req("account", "lock_account", &[ALICE, CAROL])
        .reason("Card testing from three countries")
        .input(fraud)
        .run(&app, &root)
        .await);
    assert_eq!(report.done, pairs(&[("1", "locked (fraud)")]));
    assert_eq!(report.skipped, pairs(&[("3", "Account 3 is already locked.")]));
    assert!(acct(&app, ALICE).await.locked);
    let locks = account_lock::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(locks.len(), 1);
    assert_eq!((locks[0].account_id, locks[0].kind.as_str()), (ALICE, "fraud"));
    assert_eq!(locks[0].locked_by, USER);
    assert_eq!(locks[0].reason.as_deref(), Some("Card testing from three countries"));
    let e = &entries_of(&app, "action:lock_account").await[0];
    let diff: serde_json::Value = serde_json::from_str(&e.changes).unwrap();
    assert_eq!(diff["locked"], json!([false, true]));
    assert_eq!(diff["_input"], json!({"kind": "fraud"}), "the typed input is kept in the entry");
}

#[tokio::test]
async fn unlocking_a_fraud_lock_waits_for_approval_while_other_locks_lift_at_once() {
    let app = TestApp::new(2).await;
    let root = superuser(&app).await;
    for (id, kind) in [(4, "fraud"), (5, "customer_request")] {
        ran(req("account", "lock_account", &[id])
            .reason("locking for the test")
            .input(json!({ "kind": kind }))
            .run(&app, &root)
            .await);
    }
    let unlock = |ids: &[i64]| req("account", "unlock_account", ids).reason("Customer verified by phone");

    let report = ran(unlock(&[5]).run(&app, &root).await);
    assert_eq!(report.done, pairs(&[("5", "unlocked")]));
    assert!(!acct(&app, 5).await.locked);
    // Carol was locked before lock kinds were recorded: no approval needed.
    ran(unlock(&[CAROL]).run(&app, &root).await);
    assert!(!acct(&app, CAROL).await.locked);

    let before = entries_of(&app, "action:unlock_account").await.len();
    let id = queued(unlock(&[4]).run(&app, &root).await);
    assert!(acct(&app, 4).await.locked, "nothing changes before approval");
    // The rule was asked inside the run, which was rolled back: no entry either.
    assert_eq!(entries_of(&app, "action:unlock_account").await.len(), before);
    assert_eq!(work(&app).await, commands::WorkerSummary::default(), "not approved yet");
    let err = admin_core::approval::decide(
        &app.db,
        &Context::staff(&root),
        &ops_console::registry(),
        id,
        true,
        None,
    )
    .await
    .unwrap_err();
    assert!(matches!(err, Error::Forbidden(_)), "the requester cannot approve: {err:?}");
    let other_admin = staff(&app, "ann", "admin").await;
    approve(&app, &other_admin, id).await;
    assert_eq!(work(&app).await.done, 1);
    assert!(!acct(&app, 4).await.locked);
    let e = entries_of(&app, "action:unlock_account").await.pop().unwrap();
    assert_eq!((e.object_id.as_deref(), e.actor.as_str()), (Some("4"), USER));
    assert_eq!(e.reason.as_deref(), Some("Customer verified by phone (approved by ann)"));
}

#[tokio::test]
async fn a_refund_is_queued_for_approval_and_runs_once_someone_else_approves() {
    let app = TestApp::new(0).await;
    let fay = staff(&app, "fay", "finance").await;
    let fin = staff(&app, "fin", "finance").await;
    let err = req("invoice", "refund_invoice", &[1]).run(&app, &fay).await.unwrap_err();
    assert!(matches!(&err, Error::Invalid(e) if e[0].field.as_deref() == Some("reason")), "{err:?}");
    let id = queued(req("invoice", "refund_invoice", &[1]).reason("Charged twice").run(&app, &fay).await);
    let status = |app: &TestApp| {
        let db = app.db.clone();
        async move { invoice::Entity::find_by_id(1).one(&db).await.unwrap().unwrap().status }
    };
    assert_eq!(status(&app).await, "paid");
    approve(&app, &fin, id).await;
    assert_eq!(work(&app).await.done, 1);
    assert_eq!(status(&app).await, "refunded");
    let e = entries_of(&app, "action:refund_invoice").await.pop().unwrap();
    assert_eq!((e.actor.as_str(), e.reason.as_deref()), ("fay", Some("Charged twice (approved by fin)")));

    // A second refund is queued too, but the invoice is skipped when it runs.
    let id = queued(req("invoice", "refund_invoice", &[1]).reason("Again").run(&app, &fay).await);
    approve(&app, &fin, id).await;
    work(&app).await;
    let done = admin_core::approval::get(&app.db, id).await.unwrap();
    let report = admin_core::approval::report_of(&done).unwrap();
    assert_eq!(report.skipped, pairs(&[("1", "Cannot refund: invoice INV-00000001 is already refunded.")]));
}

#[tokio::test]
async fn void_cancels_open_invoices_only() {
    let app = TestApp::new(0).await;
    let root = superuser(&app).await;
    let report =
        ran(req("invoice", "void_invoice", &[1, 2]).reason("Duplicate invoice").run(&app, &root).await);
    assert_eq!(report.done, pairs(&[("2", "voided")]));
    assert_eq!(
        report.skipped,
        pairs(&[("1", "Cannot void: invoice INV-00000001 is paid. Refund it instead.")])
    );
    let statuses: Vec<String> = invoice::Entity::find()
        .order_by_asc(invoice::Column::Id)
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.status)
        .collect();
    assert_eq!(statuses, ["paid", "void"]);
}

#[tokio::test]
async fn more_records_than_the_batch_limit_are_refused_before_anything_runs() {
    let app = TestApp::new(0).await;
    let support = staff(&app, "sue", "support").await;
    let ids: Vec<i64> = (1..=501).collect();
    let err = req("account", "mark_for_manual_review", &ids).run(&app, &support).await.unwrap_err();
    let Error::Refused(msg) = err else { panic!("expected a refusal, got {err:?}") };
    assert!(msg.contains("You selected 501 accounts") && msg.contains("at most 500"), "{msg}");
    assert!(!acct(&app, ALICE).await.manual_review);
    assert_eq!(all_entries(&app).await, 0);
}

/// A test-only action that changes each record and fails on Carol.
#[derive(Default)]
struct FailHalfway;

impl Action for FailHalfway {
    type Model = account::Model;
    type Input = NoInput;
    const NAME: &'static str = "fail_halfway";
    const LABEL: &'static str = "Fail halfway";

    async fn run(&self, ctx: &RunContext<'_>, a: account::Model, _: &NoInput) -> opsadmin::Result<Outcome> {
        if a.id == CAROL {
            return Err(Error::Internal("injected failure on the second record".to_owned()));
        }
        let mut am = a.into_active_model();
        am.manual_review = Set(true);
        am.update(ctx.txn).await?;
        Ok(Outcome::Done("changed".to_owned()))
    }
}

#[tokio::test]
async fn a_run_that_fails_halfway_rolls_every_record_and_entry_back() {
    let app = TestApp::new(0).await;
    let root = superuser(&app).await;
    let registry = ops_console::registry().action(FailHalfway).unwrap();
    let before = all_entries(&app).await;
    let err =
        req("account", "fail_halfway", &[ALICE, CAROL]).run_in(&app, &registry, &root).await.unwrap_err();
    assert!(matches!(&err, Error::Internal(m) if m.contains("injected")), "{err:?}");
    assert!(!acct(&app, ALICE).await.manual_review, "the first record's change was rolled back");
    assert_eq!(all_entries(&app).await, before, "its audit entry too");
    assert_eq!(
        opsadmin::audit::verify(&app.db).await.unwrap(),
        opsadmin::audit::Verdict::Intact { entries: before }
    );
}

#[tokio::test]
async fn the_same_idempotency_key_runs_once_and_reports_the_first_run() {
    let app = TestApp::new(0).await;
    let support = staff(&app, "sue", "support").await;
    let first =
        ran(req("account", "mark_for_manual_review", &[ALICE]).key("form-7f3a").run(&app, &support).await);
    // Undo the flag by hand: a second run would set it again.
    let mut am = acct(&app, ALICE).await.into_active_model();
    am.manual_review = Set(false);
    am.update(&app.db).await.unwrap();
    let entries = all_entries(&app).await;
    let second =
        req("account", "mark_for_manual_review", &[ALICE]).key("form-7f3a").run(&app, &support).await;
    assert_eq!(second.unwrap(), ActionResult::AlreadyRan(first));
    assert!(!acct(&app, ALICE).await.manual_review, "nothing ran again");
    assert_eq!(all_entries(&app).await, entries);
}

#[test]
fn two_actions_with_one_name_are_a_start_up_error() {
    let err = Registry::new()
        .register::<account::Model>()
        .action(FailHalfway)
        .unwrap()
        .action(FailHalfway)
        .err()
        .expect("a duplicate name is refused");
    assert!(err.contains("Two actions on `account` are named `fail_halfway`"), "{err}");
    let err = ops_console::registry().action(MarkForManualReview).err().expect("already registered");
    assert!(err.contains("`mark_for_manual_review`") && err.contains("Mark for manual review"), "{err}");
    let err = Registry::new().action(MarkForManualReview).err().expect("model not registered");
    assert!(err.contains("not registered"), "{err}");
}

#[test]
fn the_plugin_actions_are_registered_for_invoices() {
    let registry = ops_console::registry();
    let actions = registry.actions_for("invoice");
    let names: Vec<&str> = actions.iter().map(|a| a.name()).collect();
    assert_eq!(names, ["refund_invoice", "void_invoice"]);
    let refund = registry.action_named("invoice", "refund_invoice").unwrap();
    assert_eq!(refund.label(), "Refund invoice");
    assert_eq!(refund.model().slug, "invoice");
    let p = refund.policy();
    assert!(p.approval && p.reason_required && p.dangerous);
    assert_eq!(p.approval_permission, "approvals.decide");
}

#[tokio::test]
async fn the_cli_action_command_parses_and_runs_through_the_same_service() {
    let app = TestApp::new(0).await;
    staff(&app, "sue", "support").await;
    staff(&app, "vic", "viewer").await;
    let args = |line: &[&str]| match cli::parse(line.iter().map(|s| (*s).to_owned())) {
        Ok(Command::Action(a)) => a,
        other => panic!("expected an action command, got {other:?}"),
    };
    let registry = ops_console::registry();
    let roles = roles::roles();
    let run = |line: &'static [&'static str]| {
        let (db, registry, roles) = (app.db.clone(), registry.clone(), roles.clone());
        let a = args(line);
        async move { commands::action(&db, &registry, &roles, &a).await }
    };

    let out =
        run(&["action", "account", "retry_welcome_email", "--ids", "1,3", "--as", "sue"]).await.unwrap();
    assert!(out.starts_with("Retry welcome email: 1 done, 1 skipped."), "{out}");
    assert!(out.contains("\n  1: requeued welcome email job 1"), "{out}");
    assert!(out.contains("\n  3: skipped: Cannot retry: account 3 has no welcome email job"), "{out}");
    assert_eq!(email_job::Entity::find_by_id(1).one(&app.db).await.unwrap().unwrap().status, "queued");

    let refused = run(&["action", "account", "retry_welcome_email", "--ids", "1", "--as", "vic"]).await;
    let e = refused.unwrap_err();
    assert_eq!(e.code, commands::EXIT_REFUSED);
    assert!(e.message.contains("Ask someone with the support role."), "{e}");
    assert!(!e.message.contains("account.action.retry_welcome_email"), "{e}");

    let e =
        run(&["action", "account", "lock_account", "--ids", "1", "--as", "staff", "--input", "kind=fraud"])
            .await
            .unwrap_err();
    assert_eq!(e.code, commands::EXIT_REFUSED);
    assert!(e.message.contains("--reason"), "{e}");

    let e =
        run(&["action", "account", "lock_account", "--ids", "1", "--as", "staff", "--input", "kind=whim"])
            .await
            .unwrap_err();
    assert_eq!(e.code, commands::EXIT_REFUSED);
    assert!(e.message.contains("--input kind") && e.message.contains("customer_request"), "{e}");

    let e =
        run(&["action", "account", "lock_account", "--ids", "1", "--as", "staff", "--input", "color=red"])
            .await
            .unwrap_err();
    assert_eq!(e.code, commands::EXIT_USAGE);
    assert!(e.message.contains("no input \u{201c}color\u{201d}"), "{e}");

    let e =
        run(&["action", "account", "delete_everything", "--ids", "1", "--as", "staff"]).await.unwrap_err();
    assert_eq!(e.code, commands::EXIT_USAGE);
    assert!(e.message.contains("mark_for_manual_review"), "lists the actions: {e}");

    let e = run(&["action", "account", "mark_for_manual_review", "--ids", "1", "--as", "nobody"])
        .await
        .unwrap_err();
    assert_eq!(e.code, commands::EXIT_REFUSED);
    assert!(e.message.contains("no active staff user"), "{e}");

    let out = run(&[
        "action",
        "invoice",
        "refund_invoice",
        "--ids",
        "1",
        "--as",
        "staff",
        "--reason",
        "Charged twice",
    ])
    .await
    .unwrap();
    assert!(out.contains("waiting for approval as request"), "{out}");
}

#[tokio::test]
async fn the_cli_makes_lists_and_revokes_api_tokens_with_audit_entries() {
    let app = TestApp::new(0).await;
    staff(&app, "sue", "support").await;
    let parse = |line: &[&str]| cli::parse(line.iter().map(|s| (*s).to_owned()));
    let run = |line: &'static [&'static str]| {
        let db = app.db.clone();
        let parsed = parse(line);
        async move {
            match parsed {
                Ok(Command::Token(a)) => commands::token(&db, &roles::roles(), &a).await,
                other => panic!("expected a token command, got {other:?}"),
            }
        }
    };
    // Usage mistakes are named before anything is opened, with exit code 2.
    for (line, says) in [
        (&["token"][..], "Make a token for USER"),
        (&["token", "create", "sue"][..], "--name <TEXT>"),
        (&["token", "revoke", "seven"][..], "not a token id"),
        (&["token", "list", "--name", "x"][..], "unexpected argument '--name'"),
    ] {
        let e = parse(line).unwrap_err();
        assert_eq!(e.exit_code(), 2, "{line:?}: {e}");
        assert!(e.to_string().contains(says), "{line:?}: {e}");
    }

    let out = run(&["token", "create", "sue", "--name", "nightly sync"]).await.unwrap();
    let token = out.lines().nth(1).unwrap().to_owned();
    assert!(out.starts_with("API token 1 for sue (nightly sync):"), "{out}");
    assert!(token.starts_with("oat_"), "{out}");
    let auth = opsadmin::auth::AuthConfig::default();
    let found = admin_core::auth::staff_for_token(&app.db, &auth, &token).await.unwrap();
    assert_eq!(found.map(|s| s.username).as_deref(), Some("sue"));

    let listed = run(&["token", "list", "sue"]).await.unwrap();
    assert!(listed.contains("\n1\tsue\tnightly sync\t") && listed.ends_with("\tactive"), "{listed}");
    assert!(!listed.contains("never"), "it was just used: {listed}");
    assert!(!listed.contains("oat_"), "the list never shows a token");

    let out = run(&["token", "revoke", "1"]).await.unwrap();
    assert!(out.starts_with("Revoked API token 1 (sue: nightly sync)"), "{out}");
    assert!(admin_core::auth::staff_for_token(&app.db, &auth, &token).await.unwrap().is_none());
    assert!(run(&["token", "list"]).await.unwrap().ends_with("\trevoked"));
    assert!(run(&["token", "revoke", "1"]).await.unwrap().contains("already revoked"));
    let e = run(&["token", "revoke", "99"]).await.unwrap_err();
    assert_eq!(e.code, commands::EXIT_REFUSED);
    assert!(e.message.contains("There is no API token 99"), "{e}");

    let made = entries_of(&app, "token_created").await;
    let revoked = entries_of(&app, "token_revoked").await;
    assert_eq!((made.len(), revoked.len()), (1, 1), "one entry each, none for the repeated revoke");
    assert_eq!(revoked[0].actor, "sue");
    assert!(revoked[0].request_id.as_deref().is_some_and(|r| r.starts_with("cli-")));
}
