//! Undo through the door (`Service::undo_preview`, `Service::undo_run`) and
//! restores (`Service::restore_version`, `Service::restore_deleted`) over the
//! reference app, on SQLite and PostgreSQL (`OPSADMIN_TEST_DB=postgres`).

use admin_core::audit::{Context, entry};
use admin_core::service::{ActionRequest, ActionResult, UndoPlan};
use ops_console::models::account;
use ops_console::roles;
use opsadmin::{Caller, Error, Service, Staff};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

use super::support::{ALICE, BOB, CAROL, TestApp, USER, caller_of};

const PASSWORD: &str = "a long enough pass phrase";

fn service(app: &TestApp) -> Service {
    Service::new(app.db.clone(), ops_console::registry()).with_roles(roles::roles())
}

async fn staff(app: &TestApp, name: &str, role: &str) -> Staff {
    opsadmin::auth::create_user(&app.db, name, PASSWORD, &[role], false).await.unwrap();
    admin_core::auth::staff_by_name(&app.db, &roles::roles(), name).await.unwrap()
}

async fn caller(app: &TestApp, name: &str, role: &str) -> Caller {
    caller_of(&Context::staff(&staff(app, name, role).await))
}

async fn admin(app: &TestApp) -> Caller {
    let who = admin_core::auth::staff_by_name(&app.db, &roles::roles(), USER).await.unwrap();
    caller_of(&Context::staff(&who))
}

/// Runs `name` on `ids` and gives the run's id.
async fn run(app: &TestApp, who: &Caller, name: &str, ids: &[i64], input: serde_json::Value) -> ActionResult {
    let request =
        ActionRequest { keys: ids.iter().map(ToString::to_string).collect(), input, idempotency_key: None };
    service(app)
        .run_action(&who.clone().with_reason(Some("test".into())), "account", name, &request)
        .await
        .unwrap()
}

fn run_id(r: &ActionResult) -> i64 {
    match r {
        ActionResult::Ran(report) => report.run_id.expect("a recorded run"),
        other => panic!("expected a run, got {other:?}"),
    }
}

async fn account(app: &TestApp, id: i64) -> account::Model {
    account::Entity::find_by_id(id).one(&app.db).await.unwrap().unwrap()
}

/// Sets `manual_review` by hand, through the door, as an admin.
async fn edit_review(app: &TestApp, id: i64, value: bool) {
    let s = service(app);
    let who = admin(app).await.with_reason(Some("looked at it".into()));
    let record = s.get(&who, "account", &id.to_string()).await.unwrap();
    let mut form = opsadmin::FormData::default();
    for (f, c) in s.model("account").unwrap().fields.iter().zip(&record.cells) {
        form.0.push((f.name.to_owned(), c.form_value()));
    }
    form.0.retain(|(k, _)| k != "manual_review");
    form.0.push(("manual_review".into(), if value { "1" } else { "0" }.into()));
    s.update(&who, "account", &id.to_string(), &record.version(), &form).await.unwrap();
}

#[tokio::test]
async fn support_undoes_own_marking_and_a_record_changed_since_is_refused_in_words() {
    let app = TestApp::new(0).await;
    let sam = caller(&app, "sam", roles::SUPPORT).await;
    let id = run_id(&run(&app, &sam, "mark_for_manual_review", &[ALICE, CAROL], json!({})).await);
    // Someone clears Carol's flag by hand after the run.
    edit_review(&app, CAROL, false).await;

    let preview = service(&app).undo_preview(&sam, id).await.unwrap();
    let UndoPlan::PutBack(records) = &preview.plan else { panic!("a put-back undo") };
    let alice = records.iter().find(|r| r.key == ALICE.to_string()).unwrap();
    assert_eq!(alice.refused, None);
    assert_eq!(
        (alice.fields[0].label, alice.fields[0].now.as_str(), alice.fields[0].back.as_str()),
        ("Manual review", "yes", "no")
    );
    let carol = records.iter().find(|r| r.key == CAROL.to_string()).unwrap();
    let why = carol.refused.as_deref().unwrap();
    assert!(
        why.contains("changed since the run") && why.contains("Manual review is now \u{201c}no\u{201d}"),
        "{why}"
    );

    // A reason is required; nothing changes without one.
    let err = service(&app).undo_run(&sam, id, "  ").await.unwrap_err();
    assert!(matches!(err, Error::Invalid(_)), "{err:?}");
    assert!(account(&app, ALICE).await.manual_review);

    let result = service(&app).undo_run(&sam, id, "marked by mistake").await.unwrap();
    let ActionResult::Ran(report) = result else { panic!("ran") };
    assert_eq!(report.done.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(), [ALICE.to_string()]);
    assert_eq!(report.skipped.len(), 1);
    assert!(!account(&app, ALICE).await.manual_review);
    assert!(!account(&app, CAROL).await.manual_review, "Carol is left as the person set her");

    // One audit entry per record put back, with the reason; the run records the undo.
    let entries = entry::Entity::find()
        .filter(entry::Column::Kind.eq("undo:mark_for_manual_review"))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].object_id.as_deref(), Some("1"));
    assert_eq!(entries[0].reason.as_deref(), Some("marked by mistake"));
    assert!(entries[0].changes.contains("\"manual_review\":[true,false]"), "{}", entries[0].changes);
    let new = report.run_id.unwrap();
    let original = service(&app).action_run(&sam, id).await.unwrap();
    assert_eq!(original.undone_by, Some(new));
    assert_eq!(service(&app).action_run(&sam, new).await.unwrap().undo_of, Some(id));

    // Not twice.
    let again = service(&app).undo_run(&sam, id, "again").await.unwrap_err();
    assert!(matches!(&again, Error::Refused(m) if m.contains("already undone")), "{again:?}");
}

#[tokio::test]
async fn only_own_runs_without_undo_any_and_nothing_to_put_back_is_refused() {
    let app = TestApp::new(0).await;
    let sam = caller(&app, "sam", roles::SUPPORT).await;
    let sue = caller(&app, "sue", roles::SUPPORT).await;
    let id = run_id(&run(&app, &sam, "mark_for_manual_review", &[ALICE], json!({})).await);
    let err = service(&app).undo_run(&sue, id, "not mine").await.unwrap_err();
    assert!(
        matches!(&err, Error::Forbidden(m) if m.contains("only your own runs") && m.contains("sam")),
        "{err:?}"
    );
    assert!(account(&app, ALICE).await.manual_review);
    // An admin (every permission, `.undo_any` included) may undo anyone's run.
    // When every record changed since, nothing is undone and the run stays undoable.
    edit_review(&app, ALICE, false).await;
    let err = service(&app).undo_run(&admin(&app).await, id, "cleanup").await.unwrap_err();
    assert!(matches!(&err, Error::Refused(m) if m.starts_with("Nothing was undone")), "{err:?}");
    assert_eq!(service(&app).action_run(&sam, id).await.unwrap().undone_by, None);
}

#[tokio::test]
async fn undoing_a_lock_is_an_unlock_and_a_fraud_lock_waits_for_approval() {
    let app = TestApp::new(0).await;
    let boss = admin(&app).await;
    let plain =
        run_id(&run(&app, &boss, "lock_account", &[ALICE], json!({"kind": "customer_request"})).await);
    let fraud = run_id(&run(&app, &boss, "lock_account", &[BOB], json!({"kind": "fraud"})).await);

    let preview = service(&app).undo_preview(&boss, plain).await.unwrap();
    let UndoPlan::Inverse { action, keys } = &preview.plan else { panic!("an inverse undo") };
    assert_eq!((action.name(), keys.as_slice()), ("unlock_account", [ALICE.to_string()].as_slice()));
    let ActionResult::Ran(report) = service(&app).undo_run(&boss, plain, "customer asked").await.unwrap()
    else {
        panic!("unlocked at once")
    };
    assert!(!account(&app, ALICE).await.locked);
    assert_eq!(service(&app).action_run(&boss, plain).await.unwrap().undone_by, report.run_id);
    assert!(service(&app).undo_run(&boss, plain, "again").await.is_err());

    let queued = service(&app).undo_run(&boss, fraud, "false alarm").await.unwrap();
    assert!(matches!(queued, ActionResult::Queued { .. }), "{queued:?}");
    assert!(account(&app, BOB).await.locked, "a fraud lock stays until someone approves");
}

#[tokio::test]
async fn an_irreversible_run_says_why_and_support_cannot_undo_a_lock() {
    let app = TestApp::new(0).await;
    let sam = caller(&app, "sam", roles::SUPPORT).await;
    let id = run_id(&run(&app, &sam, "retry_welcome_email", &[ALICE], json!({})).await);
    let preview = service(&app).undo_preview(&sam, id).await.unwrap();
    assert!(
        matches!(&preview.plan, UndoPlan::Irreversible { why, .. } if why.contains("the email has been sent again"))
    );
    let err = service(&app).undo_run(&sam, id, "oops").await.unwrap_err();
    assert!(matches!(&err, Error::Refused(m) if m.contains("cannot be undone")), "{err:?}");

    let lock = run_id(
        &run(&app, &admin(&app).await, "lock_account", &[CAROL], json!({"kind": "customer_request"})).await,
    );
    // Support sees no lock runs of others, and could not unlock anyway.
    assert!(service(&app).undo_run(&sam, lock, "no").await.is_err());
}

#[tokio::test]
async fn restore_this_version_puts_one_record_back_through_the_update_path() {
    let app = TestApp::new(0).await;
    let s = service(&app);
    let boss = admin(&app).await;
    let key = ALICE.to_string();
    let set = |company: &'static str, plan: &'static str| {
        let (s, boss, key) = (s.clone(), boss.clone(), key.clone());
        async move {
            let record = s.get(&boss, "account", &key).await.unwrap();
            let mut form = opsadmin::FormData::default();
            for (f, c) in s.model("account").unwrap().fields.iter().zip(&record.cells) {
                let v = match f.name {
                    "company" => company.to_owned(),
                    "plan" => plan.to_owned(),
                    _ => c.form_value(),
                };
                form.0.push((f.name.to_owned(), v));
            }
            s.update(&boss.with_reason(Some("edit".into())), "account", &key, &record.version(), &form)
                .await
                .unwrap();
        }
    };
    set("First Name Ltd", "trial").await;
    set("Second Name Ltd", "monthly").await;
    let first = entry::Entity::find()
        .filter(entry::Column::ObjectId.eq(key.as_str()))
        .filter(entry::Column::Kind.eq("update"))
        .all(&app.db)
        .await
        .unwrap()[0]
        .seq;

    // Support may not change the plan: the version differs in it, so it is refused.
    let sam = caller(&app, "sam", roles::SUPPORT).await;
    let plan = s.restore_plan(&sam, "account", &key, first).await.unwrap();
    assert!(
        plan.refused.as_deref().unwrap().contains("plan, which you may not change"),
        "{:?}",
        plan.refused
    );

    let plan = s.restore_plan(&boss, "account", &key, first).await.unwrap();
    assert_eq!(plan.refused, None);
    let labels: Vec<_> = plan.fields.iter().map(|f| (f.label, f.back.as_str())).collect();
    assert!(
        labels.contains(&("Company", "First Name Ltd")) && labels.contains(&("Plan", "Trial")),
        "{labels:?}"
    );
    let err = s.restore_version(&boss, "account", &key, first, "stale", "because").await.unwrap_err();
    assert!(matches!(err, Error::Conflict { .. }), "{err:?}");
    s.restore_version(&boss, "account", &key, first, &plan.version, "wrong rename").await.unwrap();
    let a = account(&app, ALICE).await;
    assert_eq!((a.company.as_str(), a.plan.as_str()), ("First Name Ltd", "trial"));
    let plan = s.restore_plan(&boss, "account", &key, first).await.unwrap();
    assert!(plan.refused.unwrap().contains("already has the values"));
}

#[tokio::test]
async fn a_deleted_record_comes_back_unless_its_account_is_gone_or_the_window_passed() {
    let app = TestApp::new(1).await;
    let s = service(&app);
    let boss = admin(&app).await.with_reason(Some("cleanup".into()));
    let before = account(&app, 4).await;
    let seq = delete(&app, &s, &boss, "account", "4").await;
    let plan = s.deleted_plan(&boss, "account", seq).await.unwrap();
    assert_eq!(plan.refused, None);
    assert!(plan.fields.iter().any(|f| f.label == "Email" && f.back == before.email));
    let narrow = s.clone().with_restore_window(chrono::Duration::zero());
    let err = narrow.restore_deleted(&boss, "account", seq, "oops").await.unwrap_err();
    assert!(matches!(&err, Error::Refused(m) if m.contains("can be restored for 0 days")), "{err:?}");
    s.restore_deleted(&boss, "account", seq, "deleted the wrong one").await.unwrap();
    let after = account(&app, 4).await;
    // Every field as it was, to the second; `updated_at` is the application's (now).
    assert_eq!(account::Model { updated_at: before.updated_at, ..after }, before);
    let err = s.restore_deleted(&boss, "account", seq, "again").await.unwrap_err();
    assert!(matches!(&err, Error::Refused(m) if m.contains("exists again")), "{err:?}");

    // An invoice whose account is gone too cannot come back, in words.
    let inv = delete(&app, &s, &boss, "invoice", "2").await;
    delete(&app, &s, &boss, "invoice", "1").await;
    delete(&app, &s, &boss, "email_job", "1").await;
    delete(&app, &s, &boss, "account", "1").await;
    let err = s.restore_deleted(&boss, "invoice", inv, "oops").await.unwrap_err();
    assert!(
        matches!(&err, Error::Refused(m) if m.contains("Account 1, which it belongs to, has been deleted too")),
        "{err:?}"
    );
    // Support may not add accounts, so may not restore one.
    let sam = caller(&app, "sam", roles::SUPPORT).await;
    assert!(matches!(s.deleted_plan(&sam, "account", seq).await, Err(Error::Forbidden(_))));
}

/// Deletes a record through the door and gives its delete entry's sequence number.
async fn delete(app: &TestApp, s: &Service, who: &Caller, slug: &str, key: &str) -> i64 {
    let r = s.get(who, slug, key).await.unwrap();
    s.delete(who, slug, key, &r.version()).await.unwrap();
    entry::Entity::find()
        .filter(entry::Column::Kind.eq("delete"))
        .filter(entry::Column::Model.eq(slug))
        .filter(entry::Column::ObjectId.eq(key))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .seq
}
