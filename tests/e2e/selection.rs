//! The list's selection in a browser: checkbox clicks are kept at once and across
//! pages, the tray counts the whole selection and clears it, the header box picks
//! the page, and "run on all N matching" is never left ticked after the selection
//! changes or after Back.

use serde_json::Value as Json;

use super::browser::{Browser, tools};
use super::fixture::{PASSWORD, Served};

/// The tray's count, as it reads.
async fn tray(b: &Browser) -> String {
    b.text_of("[data-selection-count]").await
}

/// Waits until the tray reads `text` (the script saves in the background).
async fn wait_tray(b: &Browser, text: &str) {
    for _ in 0..200 {
        if tray(b).await == text {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the tray reads {:?}, expected {text:?}", tray(b).await);
}

async fn checked(b: &Browser, css: &str) -> bool {
    b.js("return document.querySelector(arguments[0]).checked;", vec![Json::from(css)]).await
        == Json::Bool(true)
}

/// The keys of the rows the page shows, past the fixture's three named accounts.
async fn plain_rows(b: &Browser) -> Vec<String> {
    let keys = b
        .js(
            "return Array.from(document.querySelectorAll(\"input[name='ids'][form='action-form']\")).map(e => e.value);",
            vec![],
        )
        .await;
    keys.as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap().to_owned())
        .filter(|k| k.parse::<i64>().unwrap() > 3)
        .collect()
}

fn row(key: &str) -> String {
    format!("input[name='ids'][value='{key}']")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_selection_across_pages_with_its_tray_and_no_stale_select_all_after_back() {
    let Some(tools) = tools() else { return };
    let served = Served::fixture(150).await;
    served.user("sue", "support").await;
    let b = served.browser(&tools).await;
    b.sign_in("sue", PASSWORD).await;

    b.goto("/admin/account/").await;
    assert_eq!(tray(&b).await, "Nothing selected");
    assert!(!b.has("button.selection-update:not([hidden])").await, "the script saves clicks itself");
    let first = plain_rows(&b).await;
    b.click(&row(&first[0])).await;
    wait_tray(&b, "1 account selected").await;
    b.click(&row(&first[1])).await;
    wait_tray(&b, "2 accounts selected").await;

    // Page 2 keeps page 1's picks and adds its own.
    b.click("a[rel='next']").await;
    b.wait_path_contains("page=2").await;
    assert_eq!(tray(&b).await, "2 accounts selected");
    let second = plain_rows(&b).await;
    b.click(&row(&second[0])).await;
    wait_tray(&b, "3 accounts selected").await;
    b.screen("list-selection").await;

    // The header box picks the whole page, and takes it back.
    let on_page = b.all("input[name='ids'][form='action-form']").await.len();
    b.click("input.select-page").await;
    wait_tray(&b, &format!("{} accounts selected", on_page + 2)).await;
    b.click("input.select-page").await;
    wait_tray(&b, "2 accounts selected").await;

    // "All N matching" is unticked as soon as the selection changes.
    b.click("input[name='select_all']").await;
    assert!(checked(&b, "input[name='select_all']").await);
    b.click(&row(&second[1])).await;
    wait_tray(&b, "3 accounts selected").await;
    assert!(!checked(&b, "input[name='select_all']").await, "a changed selection unticks all matching");

    // ... and after Back.
    b.click("input[name='select_all']").await;
    b.click("a[rel='prev']").await;
    b.wait_path("page 1", |p| !p.contains("page=2")).await;
    assert!(checked(&b, &row(&first[0])).await, "page 1 shows its stored picks");
    assert!(checked(&b, &row(&first[1])).await);
    b.client().back().await.unwrap();
    b.wait_path_contains("page=2").await;
    b.find("input[name='select_all']").await;
    assert!(!checked(&b, "input[name='select_all']").await, "no stale all-matching after Back");
    assert!(checked(&b, &row(&second[1])).await, "the page after Back shows the stored selection");
    assert_eq!(tray(&b).await, "3 accounts selected");

    // Clear, from any page.
    b.click_button("Clear selection").await;
    b.wait_text("Nothing is selected now.").await;
    assert_eq!(tray(&b).await, "Nothing selected");
    assert!(!checked(&b, &row(&second[1])).await);
    b.goto("/admin/account/").await;
    assert!(!checked(&b, &row(&first[0])).await);
    b.close().await;
}
