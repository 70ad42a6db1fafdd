//! Two browser tabs edit one record: the second save gets the conflict page and
//! overwrites nothing.

use ops_console::models::account;
use sea_orm::EntityTrait;

use super::browser::tools;
use super::fixture::{PASSWORD, Served};
use crate::web::support::ALICE;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_tabs_saving_one_account_get_the_conflict_page_and_nothing_is_overwritten() {
    let Some(tools) = tools() else { return };
    let served = Served::fixture(0).await;
    served.user("sue", "support").await;
    let b = served.browser(&tools).await;
    b.sign_in("sue", PASSWORD).await;
    let page = format!("/admin/account/{ALICE}");

    // Tab one opens Alice; tab two opens her too and saves first.
    b.goto(&page).await;
    let first = b.client().window().await.unwrap();
    let second = b.client().new_window(true).await.unwrap().handle;
    b.client().switch_to_window(second).await.unwrap();
    b.goto(&page).await;
    b.fill("#id_company", "Acme 42 Limited").await;
    b.click_button("Save").await;
    b.find("p.flash").await;
    b.sees("saved").await;

    // Tab one still shows the old version; its save is refused.
    b.client().switch_to_window(first).await.unwrap();
    b.fill("#id_company", "Acme Forty-Two Ltd").await;
    b.click_button("Save").await;
    let table = b.text_of("table.conflict").await;
    assert!(table.contains("What changed meanwhile"), "{table}");
    assert!(table.contains("Acme 42 Limited") && table.contains("Acme Forty-Two Ltd"), "{table}");
    b.sees("nothing was saved").await;
    assert_eq!(b.value("#id_company").await, "Acme Forty-Two Ltd", "the person's own value is kept");
    b.screen("conflict").await;
    let saved = account::Entity::find_by_id(ALICE).one(&served.app.db).await.unwrap().unwrap();
    assert_eq!(saved.company, "Acme 42 Limited", "the first save stands");
    b.close().await;
}
