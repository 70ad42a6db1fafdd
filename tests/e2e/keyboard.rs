//! The support flow with the keyboard alone: sign in, jump to the search with `/`,
//! select a record, run an action through its confirmation.

use fantoccini::key::Key;
use ops_console::models::account;
use sea_orm::EntityTrait;
use serde_json::Value as Json;

use super::browser::{Browser, tools};
use super::fixture::{PASSWORD, Served};
use crate::web::support::ALICE;

/// The focused element: a short description, whether its focus can be seen, and
/// its position in document order.
const FOCUSED: &str = r##"
const e = document.activeElement;
if (!e || e === document.body) return { what: "body", visible: false, order: -1 };
const s = getComputedStyle(e);
const outline = s.outlineStyle !== "none" && parseFloat(s.outlineWidth) >= 2;
const r = e.getBoundingClientRect();
const what = `${e.tagName.toLowerCase()}${e.id ? "#" + e.id : ""}${e.name ? "[name=" + e.name + "]" : ""}${e.value && e.type === "checkbox" ? "[value=" + e.value + "]" : ""} "${(e.innerText || e.value || e.getAttribute("aria-label") || "").trim().slice(0, 40)}"`;
return {
  what,
  text: (e.innerText || "").trim(),
  visible: outline && r.width > 0 && r.height > 0,
  order: Array.prototype.indexOf.call(document.querySelectorAll("*"), e),
};
"##;

/// Presses Tab (or Shift+Tab) until the focused element's description contains
/// `target`, at most `max` times; checks that every stop shows its focus and that
/// the stops follow the page's order. Returns the descriptions of the stops.
async fn tab_to(b: &Browser, target: &str, backwards: bool, max: usize) -> Vec<String> {
    let mut stops = Vec::new();
    let mut last: Option<i64> = None;
    for _ in 0..max {
        if backwards {
            b.press_shifted(Key::Tab).await;
        } else {
            b.press(&[Key::Tab]).await;
        }
        let f = b.js(FOCUSED, vec![]).await;
        let what = f["what"].as_str().unwrap_or_default().to_owned();
        assert!(f["visible"] == Json::Bool(true), "focus is not visible on {what} (after {stops:?})");
        let order = f["order"].as_i64().unwrap_or(-1);
        if let Some(prev) = last {
            let in_order = if backwards { order < prev } else { order > prev };
            assert!(in_order, "tab order jumps back to {what} after {stops:?}");
        }
        last = Some(order);
        stops.push(what.clone());
        if what.contains(target) {
            return stops;
        }
    }
    panic!("{target:?} not reached with {max} presses of Tab; stops: {stops:#?}");
}

async fn focused(b: &Browser) -> String {
    b.js(FOCUSED, vec![]).await["what"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_support_flow_works_with_the_keyboard_alone() {
    let Some(tools) = tools() else { return };
    let served = Served::fixture(0).await;
    served.user("sue", "support").await;
    let b = served.browser(&tools).await;

    // Sign in: the username has the focus, Tab moves on, Enter submits.
    b.goto("/admin/login").await;
    b.find("#id_username").await;
    assert!(focused(&b).await.contains("#id_username"), "the username field starts focused");
    b.type_text("sue").await;
    b.press(&[Key::Tab]).await;
    assert!(focused(&b).await.contains("#id_password"));
    b.type_text(PASSWORD).await;
    b.press(&[Key::Enter]).await;
    b.wait_path("the dashboard", |p| p == "/admin/").await;
    assert_eq!(b.text_of("h1").await, "Dashboard");
    let has_js = b.js("return document.documentElement.classList.contains('js');", vec![]).await;
    assert_eq!(has_js, Json::Bool(true), "admin.js is loaded (the CSP allows it)");

    // The first stop is the skip link, shown when focused; then to "Accounts".
    let stops = tab_to(&b, "Skip to content", false, 1).await;
    assert_eq!(stops.len(), 1);
    let skip = b.find("a.skip").await.rectangle().await.unwrap();
    assert!(skip.0 >= 0.0, "the skip link comes into view when focused: {skip:?}");
    tab_to(&b, "\"Accounts\"", false, 6).await;
    b.press(&[Key::Enter]).await;
    b.wait_path_contains("/admin/account/").await;
    assert_eq!(b.text_of("h1").await, "Accounts");

    // "/" jumps to the list's search; Enter searches.
    b.type_text("/").await;
    assert!(focused(&b).await.contains("#id_q"), "/ focuses the search: {}", focused(&b).await);
    b.type_text("acme").await;
    b.press(&[Key::Enter]).await;
    b.wait_path_contains("q=acme").await;
    assert_eq!(b.all("table.results tbody tr").await.len(), 2, "Alice and Carol");

    // Select Alice with Space, go back to the action button, Enter.
    tab_to(&b, &format!("[name=ids][value={ALICE}]"), false, 40).await;
    b.press(&[Key::Space]).await;
    let checked = b.find(&format!("input[name='ids'][value='{ALICE}']")).await.prop("checked").await.unwrap();
    assert_eq!(checked.as_deref(), Some("true"));
    tab_to(&b, "Mark for manual review", true, 30).await;
    b.press(&[Key::Enter]).await;
    b.find("form.action-form").await;
    b.sees("1 account will be changed").await;

    // The reason, then the confirm button, then Enter.
    tab_to(&b, "#id_reason", false, 30).await;
    b.type_text("Asked by the customer").await;
    let stops = tab_to(&b, "button", false, 1).await;
    assert!(stops[0].contains("Mark for manual review"), "{stops:?}");
    b.press(&[Key::Enter]).await;
    b.find("p.flash").await;
    b.sees("1 done").await;
    assert!(account::Entity::find_by_id(ALICE).one(&served.app.db).await.unwrap().unwrap().manual_review);
    b.close().await;
}
