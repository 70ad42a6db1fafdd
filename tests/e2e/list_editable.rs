//! Editing the account list in place in a browser: support types new company names
//! into two rows, reviews the changes (nothing saved yet), goes back to editing
//! with the values kept, and saves; the flag support may not change is text.

use ops_console::models::account;
use sea_orm::EntityTrait;

use super::browser::tools;
use super::fixture::{PASSWORD, Served};
use crate::web::support::{ALICE, BOB, CAROL};

async fn company(served: &Served, id: i64) -> String {
    account::Entity::find_by_id(id).one(&served.app.db).await.unwrap().unwrap().company
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn support_reviews_and_saves_company_names_of_two_rows_from_the_list() {
    let Some(tools) = tools() else { return };
    let served = Served::fixture(0).await;
    served.user("sue", "support").await;
    let b = served.browser(&tools).await;
    b.sign_in("sue", PASSWORD).await;

    // Sorted by id, Alice is row 0 and Bob row 1.
    b.goto("/admin/account/?sort=id").await;
    assert_eq!(b.value("#id_r0-company").await, "Acme 42 Ltd");
    assert!(!b.has("#id_r0-manual_review").await, "support may not change the review flag: text");
    b.screen("list_editable").await;
    b.fill("#id_r0-company", "Acme Holdings").await;
    b.fill("#id_r1-company", "Globex Worldwide").await;
    b.click_button("Review changes").await;

    b.wait_text("Save these changes").await;
    let review = b.text_of(".list-edit-review").await;
    assert!(review.contains("Account 1 — Company: Acme 42 Ltd → Acme Holdings"), "{review}");
    assert!(review.contains("Account 2 — Company: Globex 7 Inc → Globex Worldwide"), "{review}");
    assert!(!review.contains("Account 3"), "{review}");
    b.screen("list_editable_review").await;
    assert_eq!(company(&served, ALICE).await, "Acme 42 Ltd", "nothing is saved before confirming");

    // Back to editing keeps what was typed; a second look, then save.
    b.click_button("Back to editing").await;
    b.wait_text("Review changes").await;
    assert_eq!(b.value("#id_r0-company").await, "Acme Holdings");
    assert_eq!(b.value("#id_r1-company").await, "Globex Worldwide");
    b.click_button("Review changes").await;
    b.wait_text("Save these changes").await;
    b.click_button("Save these changes").await;
    b.find("p.flash").await;
    b.sees("Saved the changes to 2 accounts.").await;
    assert_eq!(b.value("#id_r0-company").await, "Acme Holdings");

    assert_eq!(company(&served, ALICE).await, "Acme Holdings");
    assert_eq!(company(&served, BOB).await, "Globex Worldwide");
    assert_eq!(company(&served, CAROL).await, "Acme 420 GmbH");
    b.close().await;
}
