//! Support marks two accounts by mistake, someone changes one of them by hand,
//! and support undoes the run from an account's history: the changed account is
//! left alone and says why, the other is put back.

use ops_console::models::account;
use opsadmin::{Caller, Service};
use sea_orm::EntityTrait;

use super::browser::tools;
use super::fixture::{PASSWORD, Served};
use crate::web::support::{ALICE, CAROL, USER, caller_of};

async fn caller(served: &Served, name: &str) -> Caller {
    let who =
        admin_core::auth::staff_by_name(&served.app.db, &ops_console::roles::roles(), name).await.unwrap();
    caller_of(&admin_core::audit::Context::staff(&who))
}

async fn review(served: &Served, id: i64) -> bool {
    account::Entity::find_by_id(id).one(&served.app.db).await.unwrap().unwrap().manual_review
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undoing_a_marking_puts_back_what_nobody_touched_and_says_why_for_the_rest() {
    let Some(tools) = tools() else { return };
    let served = Served::fixture(0).await;
    served.user("sue", "support").await;
    let service =
        Service::new(served.app.db.clone(), ops_console::registry()).with_roles(ops_console::roles::roles());
    let request = opsadmin::service::ActionRequest {
        keys: vec![ALICE.to_string(), CAROL.to_string()],
        input: serde_json::json!({}),
        idempotency_key: None,
    };
    let sue = caller(&served, "sue").await;
    service.run_action(&sue, "account", "mark_for_manual_review", &request).await.unwrap();
    // An admin clears Carol's flag by hand in between.
    let boss = caller(&served, USER).await.with_reason(Some("finance looked already".into()));
    let carol = service.get(&boss, "account", &CAROL.to_string()).await.unwrap();
    let mut form = opsadmin::FormData::default();
    for (f, c) in service.model("account").unwrap().fields.iter().zip(&carol.cells) {
        let v = if f.name == "manual_review" { "0".to_owned() } else { c.form_value() };
        form.0.push((f.name.to_owned(), v));
    }
    service.update(&boss, "account", &CAROL.to_string(), &carol.version(), &form).await.unwrap();

    let b = served.browser(&tools).await;
    b.sign_in("sue", PASSWORD).await;
    b.goto(&format!("/admin/account/{ALICE}/history")).await;
    b.click_link_in("main", "Undo this run").await;
    b.wait_path_contains("/undo").await;
    b.sees("Account 3 was changed since the run").await;
    b.sees("Goes back to").await;
    b.screen("undo").await;
    b.fill("#id_reason", "marked from the wrong list").await;
    b.click_button("Put back 1 account").await;
    b.wait_path_contains("/admin/account/actions/mark_for_manual_review/runs/").await;
    assert!(!review(&served, ALICE).await, "Alice is put back");
    assert!(!review(&served, CAROL).await, "Carol stays as the admin left her");

    // The history says what happened, and the run cannot be undone again.
    b.goto(&format!("/admin/account/{ALICE}/history")).await;
    b.sees("Undone: mark for manual review").await;
    b.sees("marked from the wrong list").await;
    b.close().await;
}
