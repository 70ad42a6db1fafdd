//! POST → redirect → GET for actions: a confirmed run answers 303 to its result
//! page, which reloads without running again; the same form sent again lands on
//! the same page saying nothing ran again; a request that needs approval goes to
//! its request page; a GET on an action's address says what to do.

use admin_core::audit::entry;
use ops_console::models::account;
use sea_orm::{EntityTrait, PaginatorTrait};

use super::support::{ALICE, TestApp, client_for};

const MARK: &str = "/admin/account/actions/mark_for_manual_review";

async fn entries(app: &TestApp) -> u64 {
    entry::Entity::find().count(&app.db).await.unwrap()
}

async fn manual_review(app: &TestApp, id: i64) -> bool {
    account::Entity::find_by_id(id).one(&app.db).await.unwrap().unwrap().manual_review
}

#[tokio::test]
async fn the_confirmation_page_shows_each_change_before_anything_runs() {
    let app = TestApp::new(0).await;
    let mut sue = client_for(&app, "sue", "support").await;
    let csrf = sue.csrf().await;
    let before = entries(&app).await;
    let page = sue.post(MARK, &[("csrf_token", &csrf), ("ids", "1"), ("ids", "2")]).await;
    assert_eq!(page.status, 200, "{}", page.body);
    page.assert_contains("Manual review: no \u{2192} yes");
    page.assert_contains("Account 2 is already marked for manual review.");
    page.assert_contains("nothing has changed yet");
    assert!(!manual_review(&app, ALICE).await, "the preview was rolled back");
    assert_eq!(entries(&app).await, before, "and wrote no audit entry");
}

#[tokio::test]
async fn a_confirmed_run_redirects_to_its_result_page_which_reloads_without_running_again() {
    let app = TestApp::new(0).await;
    let mut sue = client_for(&app, "sue", "support").await;
    let csrf = sue.csrf().await;
    let page = sue.post(MARK, &[("csrf_token", &csrf), ("ids", "1")]).await;
    let key = page.input_value("idempotency_key").expect("the form has an idempotency key");
    let form = [
        ("csrf_token", csrf.as_str()),
        ("ids", "1"),
        ("confirm", "1"),
        ("reason", "failed first charge"),
        ("idempotency_key", key.as_str()),
    ];
    let r = sue.post(MARK, &form).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let url = r.location().to_owned();
    assert!(url.starts_with(&format!("{MARK}/runs/")), "{url}");
    let run_id = url.rsplit('/').next().unwrap().to_owned();
    assert!(manual_review(&app, ALICE).await);
    let after_run = entries(&app).await;

    for _ in 0..2 {
        let result = sue.get(&url).await;
        assert_eq!(result.status, 200, "{}", result.body);
        result.assert_contains("Mark for manual review: 1 done.");
        result.assert_contains("sue");
        result.assert_contains("failed first charge");
        result.assert_contains("href=\"/admin/account/1\"");
        result.assert_contains(&format!("href=\"/admin/runs/{run_id}/undo\""));
        result.assert_lacks("had already run");
    }
    assert_eq!(entries(&app).await, after_run, "reloading the result page runs nothing");

    // The same form again (Back, then resubmitting): the same run's page, saying so.
    let again = sue.post(MARK, &form).await;
    assert_eq!(again.status, 303);
    assert_eq!(again.location(), format!("{url}?repeated=1"));
    sue.get(again.location()).await.assert_contains("This request had already run; nothing ran again.");
    assert_eq!(entries(&app).await, after_run);
}

#[tokio::test]
async fn a_run_page_is_found_only_under_its_own_action_and_by_those_who_may_see_it() {
    let app = TestApp::new(0).await;
    let mut sue = client_for(&app, "sue", "support").await;
    let csrf = sue.csrf().await;
    let r = sue.post(MARK, &[("csrf_token", &csrf), ("ids", "1"), ("confirm", "1")]).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let id = r.location().rsplit('/').next().unwrap().to_owned();
    let wrong = sue.get(&format!("/admin/account/actions/retry_welcome_email/runs/{id}")).await;
    assert_eq!(wrong.status, 404);
    assert_eq!(sue.get(&format!("{MARK}/runs/x")).await.status, 404);
    assert_eq!(sue.get(&format!("{MARK}/runs/999")).await.status, 404);
    let mut fay = client_for(&app, "fay", "finance").await;
    assert_eq!(fay.get(r.location()).await.status, 404, "finance may not see support's runs");
}

#[tokio::test]
async fn a_get_on_an_action_address_says_what_to_do() {
    let app = TestApp::new(0).await;
    let mut sue = client_for(&app, "sue", "support").await;
    let page = sue.get(MARK).await;
    assert_eq!(page.status, 200, "{}", page.body);
    page.assert_contains("Select accounts on the list, then choose");
    page.assert_contains("href=\"/admin/account/\"");
    page.assert_contains("<nav");
    // With a selection in the query (the record page's buttons), the confirmation:
    // a GET page, so Back to it after the run asks nothing.
    let confirm = sue.get(&format!("{MARK}?ids=1")).await;
    assert_eq!(confirm.status, 200, "{}", confirm.body);
    confirm.assert_contains("Manual review: no \u{2192} yes");
    confirm.assert_contains("name=\"idempotency_key\"");
    assert!(!manual_review(&app, ALICE).await);
    let detail = sue.get("/admin/account/1").await;
    detail.assert_contains(&format!("<form method=\"get\" action=\"{MARK}\">"));
}

#[tokio::test]
async fn a_request_that_needs_approval_redirects_to_its_request_page() {
    let app = TestApp::new(0).await;
    let mut fay = client_for(&app, "fay", "finance").await;
    let csrf = fay.csrf().await;
    let form = [("csrf_token", csrf.as_str()), ("ids", "1"), ("confirm", "1"), ("reason", "double charge")];
    let r = fay.post("/admin/invoice/actions/refund_invoice", &form).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(r.location().starts_with("/admin/approvals/"), "{}", r.location());
    let page = fay.get(r.location()).await;
    page.assert_contains("was sent for approval");
    page.assert_contains("Nothing has changed yet.");
    // The approver sees what approving it would change, before deciding.
    let mut fin = client_for(&app, "fin", "finance").await;
    let before = entries(&app).await;
    let request = fin.get(r.location()).await;
    assert_eq!(request.status, 200, "{}", request.body);
    request.assert_contains("What approving it changes");
    request.assert_contains("Status: Paid \u{2192} Refunded");
    assert_eq!(entries(&app).await, before, "looking changes nothing");
    let invoice = ops_console::models::invoice::Entity::find_by_id(1).one(&app.db).await.unwrap().unwrap();
    assert_eq!(invoice.status, "paid");
}
