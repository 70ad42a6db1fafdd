//! A viewer looks and changes nothing: no edit controls, and a plain refusal when
//! they try anyway.

use super::browser::tools;
use super::fixture::{PASSWORD, Served};

/// Form controls of the record form a person could still change.
const ENABLED_CONTROLS: &str = r#"
return [...document.querySelectorAll("form.record input, form.record select, form.record textarea")]
  .filter((e) => e.type !== "hidden" && !e.matches(":disabled"))
  .map((e) => e.name);
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_viewer_sees_no_edit_controls_and_a_plain_refusal_when_trying_anyway() {
    let Some(tools) = tools() else { return };
    let served = Served::fixture(0).await;
    served.user("vic", "viewer").await;
    let b = served.browser(&tools).await;
    b.sign_in("vic", PASSWORD).await;

    b.click_link_in("nav.models", "Accounts").await;
    b.wait_path_contains("/admin/account/").await;
    assert_eq!(b.all("table.results tbody tr").await.len(), 3);
    assert!(!b.has("input[name='ids']").await, "no selection boxes");
    assert!(!b.has("form.action-bar").await, "no actions");
    b.does_not_see("Add account").await;

    b.click("table.results tbody tr:last-child th a").await;
    b.wait_path_contains("/admin/account/1?").await;
    assert_eq!(b.js(ENABLED_CONTROLS, vec![]).await, serde_json::json!([]), "every field is read-only");
    assert!(!b.has("form.record button[type='submit']").await, "no Save button");
    assert!(!b.has(".record-actions").await, "no action buttons");
    b.does_not_see("Delete…").await;
    b.sees("History").await;

    b.goto("/admin/account/new").await;
    assert_eq!(b.text_of("h1").await, "Not allowed");
    b.sees("You can view accounts but not add them.").await;
    b.screen("403").await;
    b.close().await;
}
