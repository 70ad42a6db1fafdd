//! Every action run is recorded: its id comes back in the report, the run can be
//! read through the door by those who may see it, and a repeated request with the
//! same idempotency key answers with the same run.

use admin_core::audit::Context;
use admin_core::service::{ActionRequest, ActionResult};
use opsadmin::{Error, Service};
use sea_orm::EntityTrait;
use serde_json::json;

use super::support::{ALICE, BOB, TestApp, USER, caller_of};

const PASSWORD: &str = "a long enough pass phrase";

async fn staff(app: &TestApp, name: &str, role: &str) -> opsadmin::Staff {
    opsadmin::auth::create_user(&app.db, name, PASSWORD, &[role], false).await.unwrap();
    admin_core::auth::staff_by_name(&app.db, &ops_console::roles::roles(), name).await.unwrap()
}

fn service(app: &TestApp) -> Service {
    Service::new(app.db.clone(), ops_console::registry()).with_roles(ops_console::roles::roles())
}

fn mark(ids: &[i64], key: Option<&str>) -> ActionRequest {
    ActionRequest {
        keys: ids.iter().map(ToString::to_string).collect(),
        input: json!({}),
        idempotency_key: key.map(str::to_owned),
    }
}

#[tokio::test]
async fn every_run_is_recorded_and_readable_by_those_who_may_see_it() {
    let app = TestApp::new(0).await;
    let service = service(&app);
    let sam = staff(&app, "sam", ops_console::roles::SUPPORT).await;
    let vera = staff(&app, "vera", ops_console::roles::VIEWER).await;
    let fin = staff(&app, "fin", ops_console::roles::FINANCE).await;
    let as_sam = caller_of(&Context::staff(&sam).with_reason(Some("customer asked".into())));

    // A run without an idempotency key is recorded too.
    let result =
        service.run_action(&as_sam, "account", "mark_for_manual_review", &mark(&[ALICE], None)).await;
    let Ok(ActionResult::Ran(report)) = result else { panic!("expected a run, got {result:?}") };
    let id = report.run_id.expect("the run's id");
    let run = service.action_run(&as_sam, id).await.unwrap();
    assert_eq!((run.model.as_str(), run.action.as_str()), ("account", "mark_for_manual_review"));
    assert_eq!((run.actor.as_str(), run.reason.as_deref()), ("sam", Some("customer asked")));
    assert_eq!(run.report.done.len(), 1);
    assert_eq!(run.report.run_id, Some(id));
    assert_eq!((run.undo_of, run.undone_by), (None, None));

    // An admin with the audit log sees it; finance (who may not run it) and a
    // viewer get the same "no such run" as for an id that does not exist.
    let admin = admin_core::auth::staff_by_name(&app.db, &ops_console::roles::roles(), USER).await.unwrap();
    assert_eq!(service.action_run(&caller_of(&Context::staff(&admin)), id).await.unwrap().id, id);
    for who in [&fin, &vera] {
        let refused = service.action_run(&caller_of(&Context::staff(who)), id).await.unwrap_err();
        assert!(matches!(refused, Error::NotFound(_)), "{refused:?}");
    }
    let missing = service.action_run(&as_sam, id + 1000).await.unwrap_err();
    assert!(matches!(missing, Error::NotFound(_)), "{missing:?}");

    // With a key, the same request again answers with the same run, and no second
    // run is recorded.
    let first =
        service.run_action(&as_sam, "account", "mark_for_manual_review", &mark(&[BOB], Some("k-1"))).await;
    let Ok(ActionResult::Ran(first)) = first else { panic!("expected a run, got {first:?}") };
    let again =
        service.run_action(&as_sam, "account", "mark_for_manual_review", &mark(&[BOB], Some("k-1"))).await;
    let Ok(ActionResult::AlreadyRan(again)) = again else { panic!("expected the first run, got {again:?}") };
    assert_eq!(again.run_id, first.run_id);
    assert_ne!(first.run_id, Some(id));
    let runs = admin_core::db::entities::action_run::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(runs.len(), 2, "one row per run, none for the replay");
}
