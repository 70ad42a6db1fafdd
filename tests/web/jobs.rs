//! Background jobs (issue 17, points 1 and 2): an action over more records than one
//! run takes, fixed when asked for, run in chunks by the worker, each chunk one
//! transaction with its audit entries; re-checked per record; exactly once across
//! workers and after a killed one; paused, resumed, cancelled and approved by the
//! right people with a reason; and the screens, the API and the command line that
//! show and steer them. Through the door and over HTTP, on the backend under test.

use admin_core::action::{Action, NoInput, Outcome, Policy, RunContext};
use admin_core::audit::entry;
use admin_core::job::control::Change;
use admin_core::job::worker::Work;
use admin_core::job::{Filter, JobState};
use admin_core::service::{JobRequest, JobStarted};
use ops_console::models::account;
use opsadmin::{Caller, Error, Registry, Service};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, IntoActiveModel, PaginatorTrait,
    QueryFilter,
};
use serde_json::json;

use super::support::{PASSWORD, TestApp, USER, api, token_for};

/// Appends "*" to the company; leaves locked accounts alone; fails for a company
/// that says FAIL. Ten records a run, so a job of sixty has six chunks.
#[derive(Default)]
struct Stamp;

impl Action for Stamp {
    type Model = account::Model;
    type Input = NoInput;
    const NAME: &'static str = "stamp";
    const LABEL: &'static str = "Stamp";

    fn policy(&self) -> Policy {
        Policy::new().max_batch(10)
    }

    fn check(&self, a: &account::Model) -> Result<(), admin_core::action::Blocked> {
        if a.locked { Err(admin_core::action::Blocked("Locked accounts are left alone.")) } else { Ok(()) }
    }

    async fn run(&self, ctx: &RunContext<'_>, a: account::Model, _: &NoInput) -> opsadmin::Result<Outcome> {
        if a.company.contains("FAIL") {
            return Err(Error::Refused(format!("The company of {} says FAIL.", a.id)));
        }
        let company = format!("{}*", a.company);
        let mut am = a.into_active_model();
        am.company = Set(company);
        am.update(ctx.txn).await?;
        Ok(Outcome::Done("stamped".into()))
    }
}

/// Stamp, for jobs past twenty records only with a second person's approval.
#[derive(Default)]
struct Guarded;

impl Action for Guarded {
    type Model = account::Model;
    type Input = NoInput;
    const NAME: &'static str = "guarded";
    const LABEL: &'static str = "Guarded stamp";

    fn policy(&self) -> Policy {
        Policy::new().max_batch(10).job_approval_above(20)
    }

    async fn run(&self, ctx: &RunContext<'_>, a: account::Model, i: &NoInput) -> opsadmin::Result<Outcome> {
        Stamp.run(ctx, a, i).await
    }
}

fn registry() -> Registry {
    ops_console::registry().action(Stamp).unwrap().action(Guarded).unwrap()
}

fn door(app: &TestApp) -> Service {
    Service::new(app.db.clone(), registry()).with_roles(ops_console::roles::roles())
}

async fn admin(service: &Service) -> Caller {
    service.local(USER).await.unwrap().with_reason(Some("Provider outage clean-up".to_owned()))
}

async fn staff(service: &Service, name: &str, role: &str) -> Caller {
    opsadmin::auth::create_user(service.db(), name, PASSWORD, &[role], false).await.unwrap();
    service.local(name).await.unwrap()
}

/// Starts "stamp" on every free-plan account (the sixty extra ones).
async fn start(service: &Service, caller: &Caller, action: &str) -> JobStarted {
    let request =
        JobRequest { query: Some("plan=free".to_owned()), input: json!({}), ..JobRequest::default() };
    service.start_job(caller, "account", action, &request).await.unwrap()
}

/// Works chunks until none is waiting; how many ran.
async fn drain(service: &Service) -> usize {
    let mut chunks = 0;
    loop {
        match service.work_jobs_once("test").await.unwrap() {
            Work::Idle => return chunks,
            Work::Chunk { .. } => chunks += 1,
            other => panic!("{other:?}"),
        }
    }
}

async fn company(app: &TestApp, id: i64) -> String {
    account::Entity::find_by_id(id).one(&app.db).await.unwrap().unwrap().company
}

async fn entries(app: &TestApp, kind: &str) -> u64 {
    entry::Entity::find().filter(entry::Column::Kind.eq(kind)).count(&app.db).await.unwrap()
}

async fn set_company(app: &TestApp, id: i64, company: &str) {
    let mut a = account::Entity::find_by_id(id).one(&app.db).await.unwrap().unwrap().into_active_model();
    a.company = Set(company.to_owned());
    a.update(&app.db).await.unwrap();
}

async fn lock(app: &TestApp, id: i64) {
    let mut a = account::Entity::find_by_id(id).one(&app.db).await.unwrap().unwrap().into_active_model();
    a.locked = Set(true);
    a.update(&app.db).await.unwrap();
}

/// Every free-plan account's company ends with exactly one star, but `except`.
async fn stamped_once(app: &TestApp, except: &[i64]) {
    for id in 4..64 {
        let c = company(app, id).await;
        if except.contains(&id) {
            assert!(!c.ends_with('*'), "{id}: {c}");
        } else {
            assert!(c.ends_with('*') && !c.ends_with("**"), "{id}: {c}");
        }
    }
}

#[tokio::test]
async fn a_job_runs_each_record_once_in_chunks_rechecking_it_with_one_audit_entry_each() {
    let app = TestApp::new(60).await;
    let service = door(&app);
    let caller = admin(&service).await;
    let started = start(&service, &caller, "stamp").await;
    assert!(!started.repeated && !started.awaiting_approval);
    let job = service.job(&caller, started.id).await.unwrap();
    assert_eq!((job.total, job.state), (60, JobState::Queued));
    assert_eq!(entries(&app, "job:created").await, 1);
    // After the job was asked for: one account is locked (its check fails now),
    // one cannot be stamped at all, and a new free account appears.
    lock(&app, 10).await;
    set_company(&app, 20, "FAIL Corp").await;
    assert_eq!(drain(&service).await, 6, "sixty records, ten a chunk");
    let job = service.job(&caller, started.id).await.unwrap();
    assert_eq!((job.state, job.done, job.skipped, job.failed), (JobState::Done, 58, 1, 1), "{job:?}");
    assert!(job.finished_at.is_some() && job.started_at.is_some());
    stamped_once(&app, &[10, 20]).await;
    assert_eq!(entries(&app, "action:stamp").await, 58, "one entry per changed record");
    assert_eq!(entries(&app, "job:finished").await, 1);
    let skipped = service.job_items(&caller, started.id, "skipped", -1, 10).await.unwrap();
    assert_eq!(skipped.len(), 1);
    assert_eq!(
        (skipped[0].key.as_str(), skipped[0].note.as_deref()),
        ("10", Some("Locked accounts are left alone."))
    );
    let failed = service.job_items(&caller, started.id, "failed", -1, 10).await.unwrap();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].note.as_deref(), Some("The company of 20 says FAIL."));
    // Each record's entry names the requester and the job's reason.
    let e = entry::Entity::find()
        .filter(entry::Column::Kind.eq("action:stamp"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(e.actor, USER);
    assert_eq!(e.reason.as_deref(), Some("Provider outage clean-up"));
    assert_eq!(e.request_id.as_deref(), Some(format!("job-{}", started.id).as_str()));
    // Nothing is left to do, and the chain holds.
    assert_eq!(service.work_jobs_once("test").await.unwrap(), Work::Idle);
    let verdict = service.audit_verify(&Caller::system("test")).await.unwrap();
    assert!(matches!(verdict, admin_core::audit::Verdict::Intact { .. }), "{verdict:?}");
    // The same request with the same key answers the same job.
    let keyed = JobRequest {
        query: Some("plan=free".to_owned()),
        input: json!({}),
        idempotency_key: Some("outage-1".to_owned()),
        ..JobRequest::default()
    };
    let first = service.start_job(&caller, "account", "stamp", &keyed).await.unwrap();
    let again = service.start_job(&caller, "account", "stamp", &keyed).await.unwrap();
    assert_eq!((again.id, again.repeated), (first.id, true));
    let other = JobRequest { query: Some("plan=annual".to_owned()), ..keyed.clone() };
    let err = service.start_job(&caller, "account", "stamp", &other).await.unwrap_err();
    assert!(admin_core::action::idempotency::is_reused(&err), "{err:?}");
}

#[tokio::test]
async fn a_chunk_stopped_midway_rolls_back_and_the_next_worker_does_it_once() {
    let app = TestApp::new(60).await;
    let service = door(&app);
    let caller = admin(&service).await;
    let started = start(&service, &caller, "stamp").await;
    assert!(matches!(service.work_jobs_once("a").await.unwrap(), Work::Chunk { done: 10, .. }));
    // A worker told to stop at once (its process going away) while its chunk runs:
    // the transaction is dropped and nothing of the chunk stays.
    let work = service.work_jobs_once_until("b", std::future::ready(())).await.unwrap();
    assert_eq!(work, Work::Released(started.id));
    let job = service.job(&caller, started.id).await.unwrap();
    assert_eq!((job.done, job.state), (10, JobState::Running));
    assert_eq!(entries(&app, "action:stamp").await, 10);
    // A worker task killed in the middle of its chunk.
    let killed = {
        let service = service.clone();
        tokio::spawn(async move { service.work_jobs_once("c").await })
    };
    tokio::task::yield_now().await;
    killed.abort();
    let _ = killed.await;
    assert_eq!(drain(&service).await, 5);
    stamped_once(&app, &[]).await;
    assert_eq!(entries(&app, "action:stamp").await, 60);
    let job = service.job(&caller, started.id).await.unwrap();
    assert_eq!((job.state, job.done), (JobState::Done, 60));
}

#[tokio::test]
async fn two_workers_share_a_job_and_each_record_runs_once() {
    let app = TestApp::new(60).await;
    // Two instances: each door has a registry (and write queue) of its own.
    let (one, two) = (door(&app), door(&app));
    let caller = admin(&one).await;
    let started = start(&one, &caller, "stamp").await;
    let (a, b) = tokio::join!(drain(&one), drain(&two));
    assert_eq!(a + b, 6, "six chunks between them: {a} and {b}");
    stamped_once(&app, &[]).await;
    assert_eq!(entries(&app, "action:stamp").await, 60);
    let job = one.job(&caller, started.id).await.unwrap();
    assert_eq!((job.state, job.done, job.skipped), (JobState::Done, 60, 0));
}

#[tokio::test]
async fn pause_resume_and_cancel_need_a_reason_and_the_right_and_act_between_chunks() {
    let app = TestApp::new(60).await;
    let service = door(&app);
    let caller = admin(&service).await;
    let started = start(&service, &caller, "stamp").await;
    let id = started.id;
    drain_one(&service).await;
    // Without a reason: refused, nothing changes.
    let bare = service.local(USER).await.unwrap();
    let err = service.change_job(&bare, id, Change::Pause).await.unwrap_err();
    assert!(matches!(&err, Error::Invalid(e) if e[0].field.as_deref() == Some("reason")), "{err:?}");
    // Someone else without jobs.manage cannot see it, let alone pause it.
    let desk = staff(&service, "desk", "support").await.with_reason(Some("curious".to_owned()));
    assert!(matches!(service.change_job(&desk, id, Change::Pause).await, Err(Error::NotFound(_))));
    assert!(matches!(service.job(&desk, id).await, Err(Error::NotFound(_))));
    assert_eq!(service.jobs(&desk, &Filter::default(), 0, 10).await.unwrap().1, 0);
    let paused = service.change_job(&caller, id, Change::Pause).await.unwrap();
    assert_eq!(paused.state, JobState::Paused);
    assert_eq!(service.work_jobs_once("test").await.unwrap(), Work::Idle, "a paused job waits");
    let err = service.change_job(&caller, id, Change::Pause).await.unwrap_err();
    assert!(matches!(&err, Error::Refused(m) if m.contains("paused")), "{err:?}");
    assert_eq!(service.change_job(&caller, id, Change::Resume).await.unwrap().state, JobState::Running);
    drain_one(&service).await;
    let cancelled = service.change_job(&caller, id, Change::Cancel).await.unwrap();
    assert_eq!((cancelled.state, cancelled.done), (JobState::Cancelled, 20));
    assert_eq!(service.work_jobs_once("test").await.unwrap(), Work::Idle, "a cancelled job is over");
    assert_eq!(entries(&app, "action:stamp").await, 20);
    for kind in ["job:paused", "job:resumed", "job:cancelled"] {
        let e = entry::Entity::find().filter(entry::Column::Kind.eq(kind)).one(&app.db).await.unwrap();
        let e = e.unwrap_or_else(|| panic!("no {kind} entry"));
        assert_eq!((e.actor.as_str(), e.reason.as_deref()), (USER, Some("Provider outage clean-up")));
    }
    assert_eq!(service.job_items(&caller, id, "pending", -1, 100).await.unwrap().len(), 40);
}

/// `GET` from the JSON API with an API token: the status and the JSON answer.
async fn api_get(app: &TestApp, token: &str, path: &str) -> (u16, serde_json::Value) {
    use tower::ServiceExt;
    let req = axum::http::Request::get(path)
        .header(axum::http::header::AUTHORIZATION, format!("Bearer {token}"))
        .body(axum::body::Body::empty())
        .unwrap();
    let resp = app.router.clone().oneshot(req).await.unwrap();
    let status = resp.status().as_u16();
    let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20).await.unwrap();
    (status, serde_json::from_slice(&bytes).unwrap_or_default())
}

async fn drain_one(service: &Service) {
    assert!(matches!(service.work_jobs_once("test").await.unwrap(), Work::Chunk { .. }));
}

#[tokio::test]
async fn a_job_past_its_approval_size_waits_for_someone_else_and_a_rejected_one_never_runs() {
    let app = TestApp::new(60).await;
    let service = door(&app);
    let caller = admin(&service).await;
    let started = start(&service, &caller, "guarded").await;
    assert!(started.awaiting_approval);
    assert_eq!(service.work_jobs_once("test").await.unwrap(), Work::Idle, "not before approval");
    let err = service.change_job(&caller, started.id, Change::Approve).await.unwrap_err();
    assert!(matches!(&err, Error::Forbidden(d) if d.sentence().contains("your own")), "{err:?}");
    let boss = staff(&service, "boss", "admin").await.with_reason(Some("Checked the list".to_owned()));
    let approved = service.change_job(&boss, started.id, Change::Approve).await.unwrap();
    assert_eq!((approved.state, approved.approved_by.as_deref()), (JobState::Queued, Some("boss")));
    assert_eq!(drain(&service).await, 6);
    let e =
        entry::Entity::find().filter(entry::Column::Kind.eq("action:guarded")).one(&app.db).await.unwrap();
    assert_eq!(e.unwrap().reason.as_deref(), Some("Provider outage clean-up (approved by boss)"));
    // A second one, rejected: nothing runs.
    let second = start(&service, &caller, "guarded").await;
    service.change_job(&boss, second.id, Change::Reject).await.unwrap();
    assert_eq!(service.work_jobs_once("test").await.unwrap(), Work::Idle);
    assert_eq!(service.job(&caller, second.id).await.unwrap().state, JobState::Rejected);
    assert_eq!(entries(&app, "action:guarded").await, 60);
}

#[tokio::test]
async fn the_screens_offer_a_job_for_all_matching_past_the_batch_and_show_its_progress() {
    let mut app = TestApp::new(60).await;
    let state =
        opsadmin::web::AdminState::new(app.db.clone(), registry()).with_roles(ops_console::roles::roles());
    app.router = axum::Router::new().merge(opsadmin::web::router()).with_state(state);
    let mut c = app.signed_in().await;
    let page = c.get("/admin/account/actions/stamp?select_all=1&plan=free").await;
    assert_eq!(page.status, 200, "{}", page.body);
    page.assert_contains("All 60 accounts are more than one run takes");
    page.assert_contains("Start a background job: Stamp (60 accounts)");
    let key = page.input_value("idempotency_key").unwrap();
    let csrf = c.csrf().await;
    let form = [
        ("csrf_token", csrf.as_str()),
        ("confirm", "1"),
        ("select_all", "1"),
        ("plan", "free"),
        ("idempotency_key", key.as_str()),
        ("reason", "Outage"),
    ];
    let resp = c.post("/admin/account/actions/stamp", &form).await;
    assert_eq!(resp.status, 303, "{}", resp.body);
    let url = resp.location().to_owned();
    assert!(url.starts_with("/admin/jobs/"), "{url}");
    let page = c.get(&url).await;
    page.assert_contains("Waiting to start");
    page.assert_contains("0 of 60");
    page.assert_contains("data-job-progress=");
    page.assert_contains("http-equiv=\"refresh\"");
    // The same form sent again starts nothing new.
    let again = c.post("/admin/account/actions/stamp", &form).await;
    assert_eq!(again.location(), url);
    // The dashboard lists it; a pause without a reason is refused in words.
    c.get("/admin/").await.assert_contains(&format!("href=\"{url}\""));
    let bare = c.post(&format!("{url}/pause"), &[("csrf_token", csrf.as_str())]).await;
    assert_eq!(bare.status, 400);
    bare.assert_contains("Say why you pause this job");
    let service = door(&app);
    drain_one(&service).await;
    let progress = c.get(&format!("{url}/progress")).await;
    let v: serde_json::Value = serde_json::from_str(&progress.body).unwrap();
    assert_eq!((v["done"].as_str(), v["percent"].as_i64()), (Some("10"), Some(16)), "{v}");
    let paused =
        c.post(&format!("{url}/pause"), &[("csrf_token", csrf.as_str()), ("reason", "Check first")]).await;
    assert_eq!(paused.status, 303);
    let page = c.get(&url).await;
    page.assert_contains("Paused");
    page.assert_contains("Check first");
    page.assert_contains(&format!("action=\"{url}/resume\""));
    c.post(&format!("{url}/resume"), &[("csrf_token", csrf.as_str()), ("reason", "Checked")]).await;
    drain(&service).await;
    let page = c.get(&url).await;
    page.assert_contains("Finished");
    page.assert_lacks("http-equiv=\"refresh\"");
    page.assert_contains("60 of 60");
    c.get("/admin/jobs/").await.assert_contains("Stamp");
    // Someone else's job is not theirs to see.
    let mut desk = super::support::client_for(&app, "desk", "support").await;
    assert_eq!(desk.get(&url).await.status, 404);
}

#[tokio::test]
async fn the_api_starts_a_job_from_a_list_query_and_reads_it() {
    let mut app = TestApp::new(60).await;
    let state =
        opsadmin::web::AdminState::new(app.db.clone(), registry()).with_roles(ops_console::roles::roles());
    app.router = axum::Router::new().merge(opsadmin::web::router()).with_state(state);
    let token = token_for(&app, USER, None).await;
    let body = json!({ "query": "plan=free", "reason": "Outage", "idempotency_key": "api-1" });
    let (status, v) = api(&app, &token, "/admin/api/account/actions/stamp/job", body.clone()).await;
    assert_eq!(status, 202, "{v}");
    assert_eq!(v["status"], "job_started");
    let id = v["job_id"].as_i64().unwrap();
    let (_, again) = api(&app, &token, "/admin/api/account/actions/stamp/job", body).await;
    assert_eq!((again["job_id"].as_i64(), again["repeated"].as_bool()), (Some(id), Some(true)));
    let both = json!({ "query": "plan=free", "ids": [4] });
    let (status, v) = api(&app, &token, "/admin/api/account/actions/stamp/job", both).await;
    assert_eq!((status, v["error"].as_str()), (400, Some("invalid")), "{v}");
    drain(&door(&app)).await;
    let (status, v) = api_get(&app, &token, &format!("/admin/api/jobs/{id}")).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(
        (v["state"].as_str(), v["done"].as_i64(), v["percent"].as_i64()),
        (Some("done"), Some(60), Some(100))
    );
    let (_, list) = api_get(&app, &token, "/admin/api/jobs?state=done").await;
    assert_eq!(list["total"].as_u64(), Some(1));
    let (status, v) =
        api(&app, &token, &format!("/admin/api/jobs/{id}/pause"), json!({ "reason": "late" })).await;
    assert_eq!((status, v["error"].as_str()), (409, Some("refused")), "{v}");
}

#[tokio::test]
async fn the_command_line_starts_a_job_from_a_list_query_follows_it_and_looks_after_jobs() {
    let app = TestApp::new(60).await;
    let registry = ops_console::registry();
    let roles = ops_console::roles::roles();
    let args = ops_console::cli::ActionArgs {
        model: "account".into(),
        action: "mark_for_manual_review".into(),
        ids: Vec::new(),
        all_matching: Some("plan=free".into()),
        no_wait: false,
        user: USER.into(),
        reason: Some("Outage".into()),
        input: Vec::new(),
        idempotency_key: None,
        database_url: None,
    };
    let out = ops_console::commands::action(&app.db, &registry, &roles, &args).await.unwrap();
    assert!(out.starts_with("Started background job 1 on 60 accounts. It is finished: 60 done"), "{out}");
    let reviewed = account::Entity::find()
        .filter(account::Column::Plan.eq("free"))
        .filter(account::Column::ManualReview.eq(true))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(reviewed, 60);
    // A second job left to the workers, paused and listed.
    let waiting = ops_console::cli::ActionArgs { no_wait: true, ..args.clone() };
    let out = ops_console::commands::action(&app.db, &registry, &roles, &waiting).await.unwrap();
    assert!(out.contains("background job 2") && out.contains("waiting to start"), "{out}");
    let job = |command| ops_console::cli::JobArgs { command, database_url: None };
    let change = ops_console::cli::JobChange { id: 2, user: USER.into(), reason: "Not now".into() };
    let out =
        ops_console::jobs::job(&app.db, &registry, &roles, &job(ops_console::cli::JobCommand::Pause(change)))
            .await
            .unwrap();
    assert_eq!(out, "Job 2 is paused now.");
    let list = job(ops_console::cli::JobCommand::List { state: Some("paused".into()) });
    let out = ops_console::jobs::job(&app.db, &registry, &roles, &list).await.unwrap();
    assert!(out.contains("     2  paused") && !out.contains("     1  "), "{out}");
    let bad = job(ops_console::cli::JobCommand::List { state: Some("sleeping".into()) });
    let err = ops_console::jobs::job(&app.db, &registry, &roles, &bad).await.unwrap_err();
    assert_eq!(err.code, ops_console::commands::EXIT_USAGE, "{err}");
    let show = job(ops_console::cli::JobCommand::Show { id: 1 });
    let out = ops_console::jobs::job(&app.db, &registry, &roles, &show).await.unwrap();
    assert!(out.contains("done") && out.contains("reason: Outage") && out.contains("plan=free"), "{out}");
    // The command line parses both forms, and refuses --ids with --all-matching.
    let parsed =
        ops_console::cli::parse(["action", "account", "x", "--as", "a", "--all-matching", "plan=free"]);
    assert!(parsed.is_ok(), "{parsed:?}");
    let both = ops_console::cli::parse([
        "action",
        "account",
        "x",
        "--as",
        "a",
        "--ids",
        "1",
        "--all-matching",
        "q=a",
    ]);
    assert!(both.is_err());
    assert!(ops_console::cli::parse(["job", "pause", "2", "--as", "a", "--reason", "r"]).is_ok());
}

#[tokio::test]
async fn a_scoped_job_takes_only_what_its_requester_sees_and_counts_against_their_limits() {
    use opsadmin::Limit;
    use opsadmin::Scope;
    let app = TestApp::new(60).await;
    // A desk that sees only free-plan accounts, may stamp at most 50 records a day
    // and three runs a day.
    let roles = ops_console::roles::roles()
        .role("desk", "", &["account.view", "account.action.stamp"])
        .scope("desk", "account", Scope::eq("plan", "free"))
        .limit("desk", "account.action.stamp", Limit::records_per_day(50))
        .limit("desk", "account.action.stamp", Limit::runs_per_day(3));
    let service = Service::new(app.db.clone(), registry()).with_roles(roles);
    let desk = staff(&service, "desk", "desk").await.with_reason(Some("Clean-up".to_owned()));
    // All sixty free accounts are past the records a day: refused whole, in words.
    let everything = JobRequest { query: Some(String::new()), input: json!({}), ..JobRequest::default() };
    let err = service.start_job(&desk, "account", "stamp", &everything).await.unwrap_err();
    assert!(matches!(&err, Error::Refused(m) if m.contains("50")), "{err:?}");
    assert_eq!(entries(&app, "limit:hit").await, 1);
    // "Acme" matches only Alice and Carol, outside the desk's scope: nothing to take.
    let acme = JobRequest { query: Some("q=acme".to_owned()), input: json!({}), ..JobRequest::default() };
    let err = service.start_job(&desk, "account", "stamp", &acme).await.unwrap_err();
    assert!(matches!(&err, Error::Invalid(e) if e[0].message.contains("Select at least one")), "{err:?}");
    let hooli = JobRequest { query: Some("q=hooli 1".to_owned()), input: json!({}), ..JobRequest::default() };
    let started = service.start_job(&desk, "account", "stamp", &hooli).await.unwrap();
    let job = service.job(&desk, started.id).await.unwrap();
    assert_eq!(job.total, 10, "Hooli 10 to 19");
    // Named keys outside the scope are refused as records that are not there.
    let alice = JobRequest { keys: vec!["1".into(), "4".into()], input: json!({}), ..JobRequest::default() };
    assert!(matches!(service.start_job(&desk, "account", "stamp", &alice).await, Err(Error::NotFound(_))));
    // One account leaves the scope before its chunk runs: left alone, as not there.
    let mut moved = account::Entity::find_by_id(10).one(&app.db).await.unwrap().unwrap().into_active_model();
    moved.plan = Set("annual".to_owned());
    moved.update(&app.db).await.unwrap();
    drain(&service).await;
    let job = service.job(&desk, started.id).await.unwrap();
    assert_eq!((job.state, job.done, job.skipped), (JobState::Done, 9, 1), "{job:?}");
    assert!(!company(&app, 10).await.ends_with('*'));
    // The job counted its ten records: 40 of 50 are left today.
    let more = JobRequest {
        keys: (20..61).map(|i| i.to_string()).collect(),
        input: json!({}),
        ..JobRequest::default()
    };
    let err = service.start_job(&desk, "account", "stamp", &more).await.unwrap_err();
    assert!(matches!(&err, Error::Refused(m) if m.contains("40 left")), "{err:?}");
}

#[tokio::test]
async fn a_chunk_that_keeps_failing_is_retried_later_lets_other_jobs_go_first_then_fails_the_job() {
    let app = TestApp::new(60).await;
    let service = door(&app);
    let caller = admin(&service).await;
    let broken = start(&service, &caller, "stamp").await.id;
    let healthy = start(&service, &caller, "stamp").await.id;
    // The first job's stored input is damaged: no record is to blame.
    use sea_orm::ConnectionTrait;
    app.db
        .execute_unprepared(&format!("UPDATE admin_job SET input = 'not json' WHERE id = {broken}"))
        .await
        .unwrap();
    let work = service.work_jobs_once("test").await.unwrap();
    assert!(matches!(&work, Work::Retry(id, m) if *id == broken && m.contains("not JSON")), "{work:?}");
    // The broken job waits for its back-off; the healthy one runs meanwhile.
    assert!(
        matches!(service.work_jobs_once("test").await.unwrap(), Work::Chunk { job, .. } if job == healthy)
    );
    let seen = service.job(&caller, broken).await.unwrap();
    assert!(seen.last_error.as_deref().is_some_and(|e| e.contains("not JSON")), "{seen:?}");
    assert_eq!(seen.state, JobState::Queued);
    // Due again at once, four more tries: then it is failed, with an entry.
    let mut last = Work::Idle;
    for _ in 0..4 {
        app.db.execute_unprepared("UPDATE admin_job SET next_attempt_at = NULL").await.unwrap();
        last = service.work_jobs_once_until("test", std::future::pending()).await.unwrap();
        if let Work::Chunk { .. } = last {
            // The healthy job's turn; the broken one is next.
            last = service.work_jobs_once("test").await.unwrap();
        }
    }
    assert!(matches!(&last, Work::Failed(id, _) if *id == broken), "{last:?}");
    assert_eq!(service.job(&caller, broken).await.unwrap().state, JobState::Failed);
    assert_eq!(entries(&app, "job:failed").await, 1);
    assert_eq!(entries(&app, "action:stamp").await as i64, service.job(&caller, healthy).await.unwrap().done);
}

#[tokio::test]
async fn whoever_may_approve_a_waiting_job_sees_it_and_nobody_else_does() {
    let app = TestApp::new(60).await;
    let roles = ops_console::roles::roles().role("approver", "", &["account.view", "approvals.decide"]).role(
        "desk",
        "",
        &["account.view", "account.action.guarded"],
    );
    let service = Service::new(app.db.clone(), registry()).with_roles(roles);
    let desk = staff(&service, "desk", "desk").await.with_reason(Some("Clean-up".to_owned()));
    let started = start(&service, &desk, "guarded").await;
    assert!(started.awaiting_approval);
    let fay = staff(&service, "fay", "approver").await.with_reason(Some("Looked at the list".to_owned()));
    let other = staff(&service, "otto", "desk").await;
    let (waiting, total) = service.jobs(&fay, &Filter::default(), 0, 10).await.unwrap();
    assert_eq!((waiting.len(), total), (1, 1));
    assert_eq!(service.jobs(&other, &Filter::default(), 0, 10).await.unwrap().1, 0);
    assert!(matches!(service.job(&other, started.id).await, Err(Error::NotFound(_))));
    let approved = service.change_job(&fay, started.id, Change::Approve).await.unwrap();
    assert_eq!(approved.state, JobState::Queued);
    // Approved, it is no longer hers to see.
    assert!(matches!(service.job(&fay, started.id).await, Err(Error::NotFound(_))));
}
