//! With JavaScript switched off, sign-in, search, an edit and an action all work:
//! script only adds shortcuts.

use ops_console::models::account;
use sea_orm::EntityTrait;
use serde_json::Value as Json;

use super::browser::tools;
use super::fixture::{PASSWORD, Served};
use crate::web::support::{ALICE, CAROL};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_search_edit_and_an_action_work_without_javascript() {
    let Some(tools) = tools() else { return };
    let served = Served::fixture(0).await;
    served.user("sue", "support").await;
    let db = &served.app.db;
    let b = served.browser_without_script(&tools).await;

    b.sign_in("sue", PASSWORD).await;
    assert_eq!(b.text_of("h1").await, "Dashboard");
    let has_js = b.js("return document.documentElement.classList.contains('js');", vec![]).await;
    assert_eq!(has_js, Json::Bool(false), "the page's own script did not run");

    // Search.
    b.click_link_in("nav.models", "Accounts").await;
    b.wait_path_contains("/admin/account/").await;
    b.fill("#id_q", "acme").await;
    b.click_button("Search").await;
    b.wait_path_contains("q=acme").await;
    assert_eq!(b.all("table.results tbody tr").await.len(), 2, "Alice and Carol");

    // Edit.
    b.click(&format!("table.results th a[href^='/admin/account/{ALICE}']")).await;
    b.wait_path_contains(&format!("/admin/account/{ALICE}?")).await;
    b.fill("#id_company", "Acme 42 Limited").await;
    b.click_button("Save").await;
    b.find("p.flash").await;
    b.sees("saved").await;
    assert_eq!(account::Entity::find_by_id(ALICE).one(db).await.unwrap().unwrap().company, "Acme 42 Limited");

    // An action on a selection, through its confirmation.
    b.goto("/admin/account/?q=acme").await;
    b.click(&format!("input[name='ids'][value='{ALICE}']")).await;
    b.click(&format!("input[name='ids'][value='{CAROL}']")).await;
    b.click_button("Mark for manual review…").await;
    b.find("form.action-form").await;
    b.sees("2 accounts will be changed").await;
    b.click("form.action-form .submit-row button[type='submit']").await;
    b.find("p.flash").await;
    b.sees("2 done").await;
    for id in [ALICE, CAROL] {
        assert!(
            account::Entity::find_by_id(id).one(db).await.unwrap().unwrap().manual_review,
            "account {id}"
        );
    }
    b.close().await;
}
