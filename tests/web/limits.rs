//! Limits per role, in the door: counted in the run's (or the request's) own
//! transaction, per UTC day, per staff member; refusals that say the limit and who
//! can go past it, audited as `limit:hit`; two instances racing for the last slot.

use admin_core::audit::{Context, entry};
use admin_core::db::entities::limit_usage;
use admin_core::service::{ActionRequest, ActionResult};
use ops_console::models::{account, email_job, invoice};
use opsadmin::{Caller, Limit, Roles, Service, Staff};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
};

use super::support::{ALICE, TestApp, caller_of, client_for};

const RETRY: &str = "account.retry_welcome_email:records";
const MARK: &str = "account.mark_for_manual_review";

fn today() -> String {
    chrono::Utc::now().date_naive().format("%Y-%m-%d").to_string()
}

async fn staff(app: &TestApp, roles: &Roles, name: &str, role: &str) -> Staff {
    opsadmin::auth::create_user(&app.db, name, super::support::PASSWORD, &[role], false).await.unwrap();
    admin_core::auth::staff_by_name(&app.db, roles, name).await.unwrap()
}

fn caller(who: &Staff) -> Caller {
    caller_of(&Context::staff(who).with_reason(Some("limits test".into())))
}

fn request(ids: &[i64]) -> ActionRequest {
    ActionRequest {
        keys: ids.iter().map(i64::to_string).collect(),
        input: serde_json::json!({}),
        idempotency_key: None,
    }
}

/// Sets what `staff_id` used of a limit on `day`.
async fn set_used(app: &TestApp, staff_id: i64, key: &str, currency: &str, day: &str, used: i64) {
    limit_usage::Entity::delete_many()
        .filter(limit_usage::Column::StaffId.eq(staff_id))
        .filter(limit_usage::Column::LimitKey.eq(key))
        .filter(limit_usage::Column::Day.eq(day))
        .filter(limit_usage::Column::Currency.eq(currency))
        .exec(&app.db)
        .await
        .unwrap();
    limit_usage::ActiveModel {
        staff_id: Set(staff_id),
        limit_key: Set(key.to_owned()),
        day: Set(day.to_owned()),
        currency: Set(currency.to_owned()),
        used: Set(used),
    }
    .insert(&app.db)
    .await
    .unwrap();
}

async fn used(app: &TestApp, staff_id: i64, key: &str, currency: &str) -> i64 {
    limit_usage::Entity::find()
        .filter(limit_usage::Column::StaffId.eq(staff_id))
        .filter(limit_usage::Column::LimitKey.eq(key))
        .filter(limit_usage::Column::Day.eq(today()))
        .filter(limit_usage::Column::Currency.eq(currency))
        .one(&app.db)
        .await
        .unwrap()
        .map_or(0, |m| m.used)
}

async fn hits(app: &TestApp) -> Vec<entry::Model> {
    entry::Entity::find()
        .filter(entry::Column::Kind.eq("limit:hit"))
        .order_by_asc(entry::Column::Seq)
        .all(&app.db)
        .await
        .unwrap()
}

async fn marked(app: &TestApp, id: i64) -> bool {
    account::Entity::find_by_id(id).one(&app.db).await.unwrap().unwrap().manual_review
}

fn refused(r: opsadmin::Result<ActionResult>) -> String {
    match r {
        Err(opsadmin::Error::Refused(m)) => m,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// The console's roles with small caps on "mark for manual review" for support.
fn marking_roles(limits: &[Limit]) -> Roles {
    limits.iter().fold(ops_console::roles::roles(), |r, l| {
        r.limit("support", "account.action.mark_for_manual_review", l.clone())
    })
}

#[tokio::test]
async fn support_retries_at_most_200_welcome_emails_a_day_and_the_refusal_says_who_can_do_more() {
    let app = TestApp::new(0).await;
    let roles = ops_console::roles::roles();
    let service = Service::new(app.db.clone(), ops_console::registry()).with_roles(roles.clone());
    let sue = staff(&app, &roles, "sue", "support").await;
    // 198 retried earlier today, 200 yesterday (yesterday does not count).
    set_used(&app, sue.id, RETRY, "", &today(), 198).await;
    set_used(&app, sue.id, RETRY, "", "2000-01-01", 200).await;
    let status = service.limit_status(&caller(&sue), "account", "retry_welcome_email").await.unwrap();
    assert_eq!(status.len(), 1);
    assert_eq!(status[0].sentence, "You can retry 2 more welcome emails today (at most 200 a day).");
    // A preview uses up nothing.
    service
        .preview_action(&caller(&sue), "account", "retry_welcome_email", &["1".into()], None)
        .await
        .unwrap();
    assert_eq!(used(&app, sue.id, RETRY, "").await, 198);
    // The 199th goes through; the job is requeued and counted.
    let r = service
        .run_action(&caller(&sue), "account", "retry_welcome_email", &request(&[ALICE]))
        .await
        .unwrap();
    assert!(matches!(r, ActionResult::Ran(ref rep) if rep.done.len() == 1), "{r:?}");
    assert_eq!(used(&app, sue.id, RETRY, "").await, 199);
    // Past the 200th it is refused, nothing changes, and the hit is audited.
    set_used(&app, sue.id, RETRY, "", &today(), 200).await;
    email_job::ActiveModel { id: Set(1), status: Set("failed".into()), ..Default::default() }
        .update(&app.db)
        .await
        .unwrap();
    let m = refused(
        service.run_action(&caller(&sue), "account", "retry_welcome_email", &request(&[ALICE])).await,
    );
    assert_eq!(
        m,
        "You can retry at most 200 welcome emails a day; you have none left today, and this would be 1. \
         Someone with the admin role can retry more."
    );
    let job = email_job::Entity::find_by_id(1).one(&app.db).await.unwrap().unwrap();
    assert_eq!(job.status, "failed", "a refused run changes nothing");
    assert_eq!(used(&app, sue.id, RETRY, "").await, 200);
    let hit = hits(&app).await;
    assert_eq!(hit.len(), 1);
    assert_eq!(hit[0].actor, "sue");
    assert_eq!(hit[0].model.as_deref(), Some("account"));
    let changes: serde_json::Value = serde_json::from_str(&hit[0].changes).unwrap();
    assert_eq!(changes["action"][1], "retry_welcome_email");
    assert_eq!(changes["limit"][1], "records_per_day");
    assert_eq!((changes["requested"][1].as_i64(), changes["remaining"][1].as_i64()), (Some(1), Some(0)));
    let status = service.limit_status(&caller(&sue), "account", "retry_welcome_email").await.unwrap();
    assert_eq!(status[0].sentence, "You cannot retry any more welcome emails today (at most 200 a day).");
    // Retrying from the email job list has its own cap of the same size.
    let jobs = service.limit_status(&caller(&sue), "email_job", "retry_email_job").await.unwrap();
    assert_eq!(jobs[0].sentence, "You can retry 200 more email jobs today (at most 200 a day).");
    // An admin has no limit.
    let ada = staff(&app, &roles, "ada", "admin").await;
    assert!(service.limit_status(&caller(&ada), "account", "retry_welcome_email").await.unwrap().is_empty());
    let r = service
        .run_action(&caller(&ada), "account", "retry_welcome_email", &request(&[ALICE]))
        .await
        .unwrap();
    assert!(matches!(r, ActionResult::Ran(ref rep) if rep.done.len() == 1), "{r:?}");
}

#[tokio::test]
async fn caps_per_run_and_runs_per_day_count_only_records_actually_done() {
    let app = TestApp::new(6).await;
    let roles =
        marking_roles(&[Limit::records_per_run(2), Limit::runs_per_day(2), Limit::records_per_day(3)]);
    let service = Service::new(app.db.clone(), ops_console::registry()).with_roles(roles.clone());
    let sam = staff(&app, &roles, "sam", "support").await;
    let run = |ids: &'static [i64]| {
        let (service, who) = (&service, caller(&sam));
        async move { service.run_action(&who, "account", "mark_for_manual_review", &request(ids)).await }
    };
    let m = refused(run(&[4, 5, 6]).await);
    assert!(m.starts_with("You can run \u{201c}Mark for manual review\u{201d} on at most 2 accounts at a time; this would be 3."), "{m}");
    assert!(m.ends_with("Someone with the admin role can go past this limit."), "{m}");
    assert!(!marked(&app, 4).await);
    // Bob is already marked: skipped, so this run does one record.
    assert!(matches!(run(&[2, 4]).await.unwrap(), ActionResult::Ran(ref r) if r.done.len() == 1));
    assert_eq!(used(&app, sam.id, &format!("{MARK}:records"), "").await, 1);
    // A run that does nothing uses up nothing.
    assert!(matches!(run(&[2]).await.unwrap(), ActionResult::Ran(ref r) if r.done.is_empty()));
    assert_eq!(used(&app, sam.id, &format!("{MARK}:runs"), "").await, 1);
    assert!(matches!(run(&[5, 6]).await.unwrap(), ActionResult::Ran(ref r) if r.done.len() == 2));
    let m = refused(run(&[7]).await);
    assert!(m.starts_with("You can run \u{201c}Mark for manual review\u{201d} at most 2 times a day; you have none left today."), "{m}");
    assert!(!marked(&app, 7).await);
    assert_eq!(hits(&app).await.len(), 2);
}

#[tokio::test]
async fn the_same_request_sent_twice_with_its_key_counts_once() {
    let app = TestApp::new(2).await;
    let roles = marking_roles(&[Limit::records_per_day(5)]);
    let service = Service::new(app.db.clone(), ops_console::registry()).with_roles(roles.clone());
    let sam = staff(&app, &roles, "sam", "support").await;
    let mut req = request(&[4, 5]);
    req.idempotency_key = Some("same-confirmation".into());
    service.run_action(&caller(&sam), "account", "mark_for_manual_review", &req).await.unwrap();
    let again = service.run_action(&caller(&sam), "account", "mark_for_manual_review", &req).await.unwrap();
    assert!(matches!(again, ActionResult::AlreadyRan(_)), "{again:?}");
    assert_eq!(used(&app, sam.id, &format!("{MARK}:records"), "").await, 2);
}

async fn paid_invoice(app: &TestApp, id: i64, cents: i64, currency: &str) {
    invoice::ActiveModel {
        id: Set(id),
        account_id: Set(ALICE),
        number: Set(format!("INV-{id:08}")),
        amount_cents: Set(cents),
        currency: Set(currency.to_owned()),
        status: Set("paid".to_owned()),
        issued_at: Set(chrono::NaiveDate::from_ymd_opt(2026, 1, 11).unwrap().and_hms_opt(9, 0, 0).unwrap()),
    }
    .insert(&app.db)
    .await
    .unwrap();
}

#[tokio::test]
async fn finance_asks_for_at_most_2000_a_day_per_currency_counted_when_asked_not_when_run() {
    let app = TestApp::new(0).await;
    let roles = ops_console::roles::roles();
    let registry = ops_console::registry();
    let service = Service::new(app.db.clone(), registry.clone()).with_roles(roles.clone());
    let fay = staff(&app, &roles, "fay", "finance").await;
    let fred = staff(&app, &roles, "fred", "finance").await;
    paid_invoice(&app, 10, 150_000, "EUR").await;
    paid_invoice(&app, 11, 60_000, "EUR").await;
    paid_invoice(&app, 12, 60_000, "USD").await;
    let refund = |ids: &'static [i64]| {
        let (service, who) = (&service, caller(&fay));
        async move { service.run_action(&who, "invoice", "refund_invoice", &request(ids)).await }
    };
    let ActionResult::Queued { id: first } = refund(&[10]).await.unwrap() else { panic!("a request") };
    assert_eq!(used(&app, fay.id, "invoice.refund_invoice:amount", "EUR").await, 150_000);
    let m = refused(refund(&[11]).await);
    assert_eq!(
        m,
        "You can ask to refund at most €2,000.00 a day per currency; you have €500.00 left today, and this would be €600.00. \
         Someone with the admin role can ask to refund more."
    );
    assert_eq!(
        admin_core::approval::list(&app.db, None, None, None, 0, 10).await.unwrap().1,
        1,
        "no request made"
    );
    let changes: serde_json::Value = serde_json::from_str(&hits(&app).await[0].changes).unwrap();
    assert_eq!(changes["currency"][1], "EUR");
    assert_eq!(
        (changes["requested"][1].as_i64(), changes["remaining"][1].as_i64()),
        (Some(60_000), Some(50_000))
    );
    // Dollars are counted apart.
    assert!(matches!(refund(&[12]).await.unwrap(), ActionResult::Queued { .. }));
    let status = service.limit_status(&caller(&fay), "invoice", "refund_invoice").await.unwrap();
    let sentences: Vec<&str> = status.iter().map(|s| s.sentence.as_str()).collect();
    assert_eq!(
        sentences,
        [
            "You can ask to refund €500.00 more in EUR today (at most €2,000.00 a day per currency).",
            "You can ask to refund $1,400.00 more in USD today (at most $2,000.00 a day per currency)."
        ]
    );
    // Another finance person approves; the run does not count again.
    admin_core::approval::decide(&app.db, &Context::staff(&fred), &registry, first, true, None)
        .await
        .unwrap();
    admin_core::approval::work_once(&app.db, &registry, &roles).await.unwrap();
    let inv = invoice::Entity::find_by_id(10).one(&app.db).await.unwrap().unwrap();
    assert_eq!(inv.status, "refunded");
    assert_eq!(used(&app, fay.id, "invoice.refund_invoice:amount", "EUR").await, 150_000);
    assert_eq!(used(&app, fred.id, "invoice.refund_invoice:amount", "EUR").await, 0);
    // Support still cannot refund at all.
    let sue = staff(&app, &roles, "sue", "support").await;
    let r = service.run_action(&caller(&sue), "invoice", "refund_invoice", &request(&[11])).await;
    assert!(matches!(r, Err(opsadmin::Error::Forbidden(_))), "{r:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_racing_for_the_last_slot_let_exactly_one_through() {
    let app = TestApp::new(12).await;
    let roles = marking_roles(&[Limit::records_per_day(3)]);
    let sam = staff(&app, &roles, "sam", "support").await;
    let instance = || async {
        let db = ops_console::connect(&app.url).await.unwrap();
        Service::new(db, ops_console::registry()).with_roles(roles.clone())
    };
    let (a, b) = (instance().await, instance().await);
    for round in 0..5i64 {
        set_used(&app, sam.id, &format!("{MARK}:records"), "", &today(), 2).await;
        let (x, y) = (4 + 2 * round, 5 + 2 * round);
        let run = |s: Service, id: i64, who: Staff| {
            tokio::spawn(async move {
                s.run_action(&caller(&who), "account", "mark_for_manual_review", &request(&[id])).await
            })
        };
        let (ra, rb) = (run(a.clone(), x, sam.clone()), run(b.clone(), y, sam.clone()));
        let (ra, rb) = (ra.await.unwrap(), rb.await.unwrap());
        let ok = [&ra, &rb].iter().filter(|r| matches!(r, Ok(ActionResult::Ran(_)))).count();
        let no = [&ra, &rb].iter().filter(|r| matches!(r, Err(opsadmin::Error::Refused(_)))).count();
        assert_eq!((ok, no), (1, 1), "round {round}: {ra:?} / {rb:?}");
        assert_eq!(u8::from(marked(&app, x).await) + u8::from(marked(&app, y).await), 1, "round {round}");
        assert_eq!(used(&app, sam.id, &format!("{MARK}:records"), "").await, 3, "round {round}");
    }
    assert_eq!(hits(&app).await.len(), 5);
    let marked_total =
        account::Entity::find().filter(account::Column::ManualReview.eq(true)).count(&app.db).await.unwrap();
    assert_eq!(marked_total, 1 + 5, "Bob, and one account per round");
}

#[tokio::test]
async fn the_confirmation_page_shows_what_is_left_and_a_hit_refuses_with_the_limit() {
    let app = TestApp::new(0).await;
    let mut c = client_for(&app, "sue", "support").await;
    let sue = admin_core::auth::staff_by_name(&app.db, &ops_console::roles::roles(), "sue").await.unwrap();
    set_used(&app, sue.id, RETRY, "", &today(), 188).await;
    let csrf = c.csrf().await;
    let page =
        c.post("/admin/account/actions/retry_welcome_email", &[("csrf_token", &csrf), ("ids", "1")]).await;
    assert_eq!(page.status, 200, "{}", page.body);
    page.assert_contains("You can retry 12 more welcome emails today (at most 200 a day).");
    let key = page.input_value("idempotency_key").unwrap();
    set_used(&app, sue.id, RETRY, "", &today(), 200).await;
    let r = c
        .post(
            "/admin/account/actions/retry_welcome_email",
            &[("csrf_token", &csrf), ("confirm", "1"), ("idempotency_key", &key), ("ids", "1")],
        )
        .await;
    assert_eq!(r.status, 409, "{}", r.body);
    r.assert_contains("You can retry at most 200 welcome emails a day; you have none left today");
    r.assert_contains("Someone with the admin role can retry more.");
    r.assert_contains("Nothing was changed.");
    r.assert_lacks("account.action.");
    let job = email_job::Entity::find_by_id(1).one(&app.db).await.unwrap().unwrap();
    assert_eq!(job.status, "failed");
    // Staff without a limit see no limits box.
    let mut admin = app.signed_in().await;
    let csrf = admin.csrf().await;
    let page = admin
        .post("/admin/account/actions/retry_welcome_email", &[("csrf_token", &csrf), ("ids", "1")])
        .await;
    page.assert_lacks("Your limits");
}

/// The counter itself, below a whole run (whose audit entries also order writers):
/// two open transactions, in two instances, raise it for the last slot; the second
/// waits for the first and is refused, whichever backend.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_counter_gives_the_last_slot_to_one_of_two_open_transactions() {
    use admin_core::limits::{Usage, charge};
    let app = TestApp::new(0).await;
    let roles = marking_roles(&[Limit::records_per_day(3)]);
    let sam = staff(&app, &roles, "sam", "support").await;
    set_used(&app, sam.id, &format!("{MARK}:records"), "", &today(), 2).await;
    let service = Service::new(app.db.clone(), ops_console::registry()).with_roles(roles.clone());
    let action = service.action(&caller(&sam), "account", "mark_for_manual_review").unwrap();
    let applied = admin_core::limits::Applied::new(&roles, &sam, action.as_ref());
    let usage = Usage { records: 1, ..Usage::default() };
    let first = admin_core::db::txn::begin_write(&app.db).await.unwrap();
    assert_eq!(charge(&first, sam.id, &applied, &usage).await.unwrap(), None);
    let second = tokio::spawn({
        let (db, applied, usage, id) =
            (ops_console::connect(&app.url).await.unwrap(), applied.clone(), usage.clone(), sam.id);
        async move {
            let txn = admin_core::db::txn::begin_write(&db).await.unwrap();
            let hit = charge(&txn, id, &applied, &usage).await.unwrap();
            txn.commit().await.unwrap();
            hit
        }
    });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    first.commit().await.unwrap();
    let hit = second.await.unwrap().expect("the second transaction finds no slot left");
    assert_eq!((hit.kind, hit.requested, hit.remaining), ("records_per_day", 1, 0));
    assert_eq!(used(&app, sam.id, &format!("{MARK}:records"), "").await, 3);
}
