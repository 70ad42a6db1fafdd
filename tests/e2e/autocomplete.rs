//! Foreign keys chosen by name in a real browser: type a company, pick it with the
//! keyboard, save; filter a list the same way; and, with JavaScript off, the pick
//! page fills the id in.

use fantoccini::key::Key;
use ops_console::models::invoice;
use sea_orm::EntityTrait;
use serde_json::Value as Json;

use super::browser::{Browser, tools};
use super::fixture::{PASSWORD, Served};
use crate::web::support::{BOB, CAROL};

/// Focuses the box matching `css`, selects what it holds and types `text` over it,
/// as a person does (WebDriver's clear would leave the box first).
async fn retype(b: &Browser, css: &str, text: &str) {
    b.find(css).await.click().await.unwrap();
    b.js("document.querySelector(arguments[0]).select();", vec![Json::String(css.to_owned())]).await;
    b.type_text(text).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_company_typed_and_picked_with_the_keyboard_is_saved_as_the_invoices_account() {
    let Some(tools) = tools() else { return };
    let served = Served::fixture(0).await;
    served.user("ada", "admin").await;
    let b = served.browser(&tools).await;
    b.sign_in("ada", PASSWORD).await;

    b.goto("/admin/invoice/1").await;
    // The id input became a combobox named by the field's label, showing the name.
    let combo = "input#id_account_id[role='combobox']";
    b.find(combo).await;
    assert_eq!(b.value(combo).await, "Acme 42 Ltd <user1@acme-42-ltd.example>");
    assert_eq!(b.value("#id_account_id_value").await, "1");
    assert_eq!(b.find(combo).await.attr("aria-expanded").await.unwrap().as_deref(), Some("false"));

    retype(&b, combo, "globex").await;
    let option = "#id_account_id_listbox li[role='option']";
    b.find(option).await;
    b.wait_text("Globex 7 Inc").await;
    assert_eq!(b.find(combo).await.attr("aria-expanded").await.unwrap().as_deref(), Some("true"));
    assert_eq!(b.all(option).await.len(), 1, "only Globex matches");
    b.press(&[Key::Down]).await;
    let active = b.find(combo).await.attr("aria-activedescendant").await.unwrap();
    assert_eq!(active.as_deref(), Some("id_account_id_listbox_0"), "Down highlights the first suggestion");
    assert_eq!(
        b.find("#id_account_id_listbox_0").await.attr("aria-selected").await.unwrap().as_deref(),
        Some("true")
    );
    b.press(&[Key::Enter]).await;
    assert_eq!(b.value(combo).await, "Globex 7 Inc <user2@globex-7-inc.example>");
    assert_eq!(b.value("#id_account_id_value").await, BOB.to_string());
    assert_eq!(b.find(combo).await.attr("aria-expanded").await.unwrap().as_deref(), Some("false"));

    // Escape closes a list without choosing; a name typed and not picked goes back.
    retype(&b, combo, "acme").await;
    b.wait_text("Acme 420 GmbH").await;
    b.press(&[Key::Escape]).await;
    assert_eq!(b.find(combo).await.attr("aria-expanded").await.unwrap().as_deref(), Some("false"));
    b.press(&[Key::Escape]).await;
    assert_eq!(b.value(combo).await, "Globex 7 Inc <user2@globex-7-inc.example>");

    b.click_button("Save").await;
    b.find("p.flash").await;
    let saved = invoice::Entity::find_by_id(1).one(&served.app.db).await.unwrap().unwrap();
    assert_eq!(saved.account_id, BOB, "the picked account was saved");

    // The list's filter: pick Carol's company, the list filters at once and the
    // chip names her account.
    b.goto("/admin/invoice/").await;
    let filter = "input#id_filter_account_id[role='combobox']";
    retype(&b, filter, "acme 420").await;
    b.find("#id_filter_account_id_listbox li[role='option']").await;
    b.wait_text("Acme 420 GmbH").await;
    b.press(&[Key::Down, Key::Enter]).await;
    b.wait_path_contains(&format!("account_id={CAROL}")).await;
    assert!(
        b.text_of("ul.active-filters li")
            .await
            .starts_with("Account: Acme 420 GmbH <user3@acme-420-gmbh.example>")
    );
    b.sees("No invoices match").await;

    // The pick page passes the console's checks (axe-core, labels, no sideways scroll).
    b.goto("/admin/invoice/lookup/account_id?q=acme&back=%2Fadmin%2Finvoice%2Fnew").await;
    b.find("ul.lookup-results").await;
    b.screen("autocomplete-pick").await;
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_javascript_the_pick_page_fills_in_the_account() {
    let Some(tools) = tools() else { return };
    let served = Served::fixture(0).await;
    served.user("ada", "admin").await;
    let b = served.browser_without_script(&tools).await;
    b.sign_in("ada", PASSWORD).await;
    let has_js = b.js("return document.documentElement.classList.contains('js');", vec![]).await;
    assert_eq!(has_js, Json::Bool(false), "the page's own script did not run");

    b.goto("/admin/invoice/2").await;
    // The plain id input stays, with the account's name and the way to the pick page.
    assert_eq!(b.value("input#id_account_id[type='number']").await, "1");
    b.sees("Chosen: Acme 42 Ltd <user1@acme-42-ltd.example>").await;
    b.click("a.fk-find").await;
    b.wait_path_contains("/admin/invoice/lookup/account_id").await;
    b.fill("#id_lookup_q", "globex").await;
    b.click_button("Search").await;
    b.wait_path_contains("q=globex").await;
    b.sees("Globex 7 Inc").await;
    b.does_not_see("Acme 42 Ltd").await;
    b.click("a[aria-label='Choose Globex 7 Inc <user2@globex-7-inc.example>']").await;
    b.wait_path_contains("account_id=2").await;
    assert_eq!(b.value("input#id_account_id").await, BOB.to_string());
    b.click_button("Save").await;
    b.find("p.flash").await;
    let saved = invoice::Entity::find_by_id(2).one(&served.app.db).await.unwrap().unwrap();
    assert_eq!(saved.account_id, BOB);
    b.close().await;
}
