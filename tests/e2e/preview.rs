//! Support sees what "Mark for manual review" changes before it runs, confirms,
//! lands on the run's own page, and presses reload and Back without the browser
//! asking to send a form again and without running anything twice (a confirmation
//! restored by Back and sent again is the same request, which had already run).

use admin_core::audit::entry;
use ops_console::models::account;
use sea_orm::{EntityTrait, PaginatorTrait};

use super::browser::tools;
use super::fixture::{PASSWORD, Served};
use crate::web::support::{ALICE, BOB};

/// What Chromium shows instead of a page when Back would send a form again.
const RESUBMIT: [&str; 2] = ["Confirm Form Resubmission", "ERR_CACHE_MISS"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn support_sees_the_changes_confirms_and_goes_back_without_a_resubmission_prompt() {
    let Some(tools) = tools() else { return };
    let served = Served::fixture(0).await;
    served.user("sue", "support").await;
    let db = &served.app.db;
    let entries = || async { entry::Entity::find().count(db).await.unwrap() };
    let b = served.browser(&tools).await;
    b.sign_in("sue", PASSWORD).await;

    // From the list: Alice is ready, Bob is already marked. The confirmation
    // shows Alice's change as staff read it, and Bob's reason.
    b.goto("/admin/account/").await;
    for id in [ALICE, BOB] {
        b.click(&format!("input[name='ids'][value='{id}']")).await;
    }
    b.click_button("Mark for manual review…").await;
    b.find("form.action-form").await;
    let changes = b.text_of("section.preview").await;
    assert!(changes.contains("Manual review: no → yes"), "{changes}");
    assert!(changes.contains("nothing has changed yet"), "{changes}");
    b.sees("Account 2 is already marked for manual review.").await;
    b.screen("action-preview").await;
    assert!(!account::Entity::find_by_id(ALICE).one(db).await.unwrap().unwrap().manual_review);
    b.click_link_in("form.action-form .submit-row", "Cancel").await;
    b.wait_path(" the list", |p| p.starts_with("/admin/account/")).await;

    // From Alice's page: the same preview, as a page of its own.
    b.goto(&format!("/admin/account/{ALICE}")).await;
    b.click_button("Mark for manual review…").await;
    b.wait_path_contains("/admin/account/actions/mark_for_manual_review?").await;
    b.find("form.action-form").await;
    b.sees("Manual review: no → yes").await;
    b.fill("#id_reason", "First charge failed twice").await;
    b.click("form.action-form .submit-row button[type='submit']").await;

    // The run's own page.
    b.wait_path_contains("/admin/account/actions/mark_for_manual_review/runs/").await;
    let result = b.path().await;
    b.find("p.flash").await;
    b.sees("1 done").await;
    b.sees("First charge failed twice").await;
    assert!(b.has("a[href$='/undo']").await, "the run can be undone from its page");
    b.accessible("action run").await;
    assert!(account::Entity::find_by_id(ALICE).one(db).await.unwrap().unwrap().manual_review);
    let after = entries().await;

    // Reload: the same page, nothing runs again.
    b.client().refresh().await.unwrap();
    b.find("p.flash").await;
    assert_eq!(b.path().await, result);
    assert_eq!(entries().await, after);

    // Back: the confirmation again, as things are now, with no prompt.
    b.client().back().await.unwrap();
    b.wait_path(" the confirmation", |p| p.contains("/actions/mark_for_manual_review?")).await;
    b.find("main h1").await;
    for prompt in RESUBMIT {
        b.does_not_see(prompt).await;
    }
    assert_eq!(entries().await, after, "Back ran nothing");
    if b.has("form.action-form").await {
        // Restored as it was (the back-forward cache): confirming it again is the
        // same request, which had already run.
        b.click("form.action-form .submit-row button[type='submit']").await;
        b.wait_path_contains("?repeated=1").await;
        b.sees("This request had already run; nothing ran again.").await;
        assert!(b.path().await.starts_with(&result), "{}", b.path().await);
    } else {
        b.sees("Account 1 is already marked for manual review.").await;
    }
    assert_eq!(entries().await, after, "nothing ran twice");
    b.close().await;
}
