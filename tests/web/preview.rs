//! Previews through the door: the action runs for real on the first records in a
//! transaction that is rolled back, giving each record's changes, the records the
//! run itself skips and the effects it would schedule, and uses up nothing (no
//! audit entry or sequence number, no recorded run, no changed record).

use admin_core::action::{Action, FieldChange, NoInput, Outcome, Policy, RunContext, TRIAL_RUNS};
use admin_core::audit::{Context, entry};
use admin_core::kernel::effect::Effect;
use admin_core::service::{ActionRequest, ActionResult};
use ops_console::models::account;
use opsadmin::{Registry, Staff};
use sea_orm::ActiveValue::Set;
use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel, PaginatorTrait, QueryOrder};
use serde_json::json;

use super::support::{ALICE, BOB, CAROL, PASSWORD, TestApp, caller_of};

/// Flags the account for review and schedules its welcome email; the run itself
/// skips locked accounts (Carol). Records an extra audit entry, which a preview
/// must not write.
#[derive(Default)]
struct Probe;

impl Action for Probe {
    type Model = account::Model;
    type Input = NoInput;
    const NAME: &'static str = "probe";
    const LABEL: &'static str = "Probe";

    async fn run(&self, ctx: &RunContext<'_>, a: account::Model, _: &NoInput) -> opsadmin::Result<Outcome> {
        if a.locked {
            return Ok(Outcome::Skipped(format!("Account {} is locked.", a.id)));
        }
        ctx.schedule(Effect::new("mail", format!("Send the welcome email to {}", a.email), json!({})));
        ctx.record("probe:extra", Some("account"), Some(&a.id.to_string()), json!({})).await?;
        let mut am = a.into_active_model();
        am.manual_review = Set(true);
        am.last_payment_result = Set(Some("approved".to_owned()));
        am.update(ctx.txn).await?;
        Ok(Outcome::Done(if ctx.is_preview() { "tried" } else { "probed" }.to_owned()))
    }
}

/// Refuses to run at all, as an action whose outside check fails would.
#[derive(Default)]
struct Refuses;

impl Action for Refuses {
    type Model = account::Model;
    type Input = NoInput;
    const NAME: &'static str = "refuses";
    const LABEL: &'static str = "Refuses";

    async fn run(&self, ctx: &RunContext<'_>, a: account::Model, _: &NoInput) -> opsadmin::Result<Outcome> {
        let mut am = a.into_active_model();
        am.company = Set("half-done".into());
        am.update(ctx.txn).await?;
        Err(opsadmin::Error::Refused("Cannot probe: the card network is down.".into()))
    }
}

/// Appends "!" to the company, after a second person approves.
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

fn registry() -> Registry {
    ops_console::registry().action(Probe).unwrap().action(Refuses).unwrap().action(Touch).unwrap()
}

/// The reference app's roles, with `viewer` also allowed to run the probe: it still
/// cannot see the last payment result, which the probe changes.
fn roles() -> opsadmin::Roles {
    ops_console::roles::roles().role("viewer", "Probes.", &["account.view", "account.action.probe"])
}

async fn staff(app: &TestApp, name: &str, role: &str) -> Staff {
    opsadmin::auth::create_user(&app.db, name, PASSWORD, &[role], false).await.unwrap();
    admin_core::auth::staff_by_name(&app.db, &roles(), name).await.unwrap()
}

async fn superuser(app: &TestApp, name: &str) -> Staff {
    opsadmin::auth::create_user(&app.db, name, PASSWORD, &["admin"], true).await.unwrap();
    admin_core::auth::staff_by_name(&app.db, &roles(), name).await.unwrap()
}

fn keys(ids: &[i64]) -> Vec<String> {
    ids.iter().map(ToString::to_string).collect()
}

/// What a preview must leave alone: the audit chain's head and size, the recorded
/// runs, and every account.
#[derive(Debug, PartialEq)]
struct Footprint {
    audit_head: Option<i64>,
    audit_entries: u64,
    runs: u64,
    accounts: Vec<account::Model>,
}

async fn footprint(app: &TestApp) -> Footprint {
    let head = entry::Entity::find().order_by_desc(entry::Column::Seq).one(&app.db).await.unwrap();
    Footprint {
        audit_head: head.map(|e| e.seq),
        audit_entries: entry::Entity::find().count(&app.db).await.unwrap(),
        runs: admin_core::db::entities::action_run::Entity::find().count(&app.db).await.unwrap(),
        accounts: account::Entity::find().order_by_asc(account::Column::Id).all(&app.db).await.unwrap(),
    }
}

async fn preview(
    app: &TestApp,
    who: &Staff,
    action: &str,
    ids: &[i64],
) -> opsadmin::Result<admin_core::action::Preview> {
    let service = opsadmin::Service::new(app.db.clone(), registry());
    let input = json!({});
    let caller = caller_of(&Context::staff(who));
    Ok(service.preview_action(&caller, "account", action, &keys(ids), Some(&input)).await?.1)
}

fn change<'a>(changes: &'a [FieldChange], label: &str) -> Option<(&'a str, &'a str)> {
    changes.iter().find(|c| c.label == label).map(|c| (c.before.as_str(), c.after.as_str()))
}

#[tokio::test]
async fn a_preview_shows_each_change_and_uses_up_nothing_not_even_an_audit_number() {
    let app = TestApp::new(0).await;
    let sue = staff(&app, "sue", "support").await;
    let before = footprint(&app).await;

    let p = preview(&app, &sue, "mark_for_manual_review", &[ALICE, BOB]).await.unwrap();
    let trial = p.trial.as_ref().expect("the action was tried");
    assert_eq!(trial.records.len(), 1, "only the ready record is tried: {trial:?}");
    assert_eq!(trial.records[0].key, "1");
    assert_eq!(trial.records[0].outcome, Outcome::Done("marked for manual review".into()));
    assert_eq!(change(&trial.records[0].changes, "Manual review"), Some(("no", "yes")));
    assert_eq!(p.blocked[0].reason, "Account 2 is already marked for manual review.");
    assert_eq!(p.not_tried(), 0);
    assert_eq!(footprint(&app).await, before, "the preview changed something");

    // The real run gets the next audit number and the first run id: the preview
    // used none (on PostgreSQL a rolled-back insert would still use up an id).
    let req = ActionRequest { keys: keys(&[ALICE]), input: json!({}), idempotency_key: None };
    let result = opsadmin::Service::new(app.db.clone(), registry())
        .run_action(&caller_of(&Context::staff(&sue)), "account", "mark_for_manual_review", &req)
        .await
        .unwrap();
    let ActionResult::Ran(report) = result else { panic!("expected a run, got {result:?}") };
    let next = before.audit_head.unwrap_or(0) + 1;
    assert_eq!(report.audit_seqs, Some((next, next)));
    assert_eq!(report.run_id, Some(1));
}

#[tokio::test]
async fn a_preview_lists_the_effects_and_the_records_the_run_itself_skips() {
    let app = TestApp::new(0).await;
    let root = superuser(&app, "root").await;
    let before = footprint(&app).await;

    let p = preview(&app, &root, "probe", &[ALICE, CAROL]).await.unwrap();
    let trial = p.trial.as_ref().expect("tried");
    let outcomes: Vec<(&str, &Outcome)> =
        trial.records.iter().map(|r| (r.key.as_str(), &r.outcome)).collect();
    assert_eq!(
        outcomes,
        [("1", &Outcome::Done("tried".into())), ("3", &Outcome::Skipped("Account 3 is locked.".into()))],
        "the action knows it is a preview, and its own skip is shown with its reason"
    );
    assert_eq!(change(&trial.records[0].changes, "Last payment result"), Some(("", "Approved")));
    assert!(trial.records[1].changes.is_empty());
    assert_eq!(trial.effects, ["Send the welcome email to user1@acme-42-ltd.example"]);
    assert_eq!(footprint(&app).await, before, "no extra audit entry, no run, no change");
}

#[tokio::test]
async fn a_preview_tries_the_first_records_and_counts_the_rest() {
    let app = TestApp::new(TRIAL_RUNS + 10).await;
    let sue = staff(&app, "sue", "support").await;
    let ids: Vec<i64> = footprint(&app).await.accounts.iter().map(|a| a.id).collect();
    let before = footprint(&app).await;

    let p = preview(&app, &sue, "mark_for_manual_review", &ids).await.unwrap();
    let ready = ids.len() - 1; // Bob is already marked
    assert_eq!(p.ready.len(), ready);
    let trial = p.trial.as_ref().unwrap();
    assert_eq!(trial.records.len(), TRIAL_RUNS);
    assert_eq!(p.not_tried(), ready - TRIAL_RUNS);
    let tried: Vec<&str> = trial.records.iter().map(|r| r.key.as_str()).collect();
    let first: Vec<&str> = p.ready.iter().take(TRIAL_RUNS).map(|r| r.key.as_str()).collect();
    assert_eq!(tried, first, "the first ready records, in the order selected");
    assert_eq!(footprint(&app).await, before);
}

#[tokio::test]
async fn hidden_fields_are_masked_in_the_changes_too() {
    let app = TestApp::new(0).await;
    let pat = staff(&app, "pat", "viewer").await;
    let p = preview(&app, &pat, "probe", &[ALICE]).await.unwrap();
    let changes = &p.trial.as_ref().unwrap().records[0].changes;
    assert_eq!(change(changes, "Last payment result"), Some(("(hidden)", "(hidden)")));
    assert_eq!(change(changes, "Manual review"), Some(("no", "yes")));
}

#[tokio::test]
async fn a_preview_the_action_refuses_says_why_and_changes_nothing() {
    let app = TestApp::new(0).await;
    let root = superuser(&app, "root").await;
    let before = footprint(&app).await;
    let p = preview(&app, &root, "refuses", &[ALICE]).await.unwrap();
    assert!(p.trial.is_none());
    assert_eq!(p.trial_failed.as_deref(), Some("Cannot probe: the card network is down."));
    assert_eq!(footprint(&app).await, before);
}

#[tokio::test]
async fn without_input_a_preview_only_checks() {
    let app = TestApp::new(0).await;
    let sue = staff(&app, "sue", "support").await;
    let service = opsadmin::Service::new(app.db.clone(), registry());
    let caller = caller_of(&Context::staff(&sue));
    let (_, p) = service
        .preview_action(&caller, "account", "mark_for_manual_review", &keys(&[ALICE]), None)
        .await
        .unwrap();
    assert_eq!(p.ready.len(), 1);
    assert!(p.trial.is_none() && p.trial_failed.is_none());
}

#[tokio::test]
async fn the_approver_sees_what_approving_would_change_and_the_view_uses_up_nothing() {
    let app = TestApp::new(0).await;
    let ann = superuser(&app, "ann").await;
    let bob = superuser(&app, "bob").await;
    let req = ActionRequest { keys: keys(&[ALICE]), input: json!({}), idempotency_key: None };
    let ctx = Context::staff(&ann).with_reason(Some("customer asked".into()));
    let service = opsadmin::Service::new(app.db.clone(), registry());
    let id = match service.run_action(&caller_of(&ctx), "account", "touch", &req).await.unwrap() {
        ActionResult::Queued { id } => id,
        other => panic!("expected a queued request, got {other:?}"),
    };
    let before = footprint(&app).await;

    let (_, looked) = service.approval_view(&caller_of(&Context::staff(&bob)), id).await.unwrap();
    let (_, p) = looked.expect("the action is registered");
    let trial = p.trial.expect("a pending request is tried");
    assert_eq!(change(&trial.records[0].changes, "Company"), Some(("Acme 42 Ltd", "Acme 42 Ltd!")));
    assert_eq!(footprint(&app).await, before);
}
