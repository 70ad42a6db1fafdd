//! A staff member chooses German on the preferences page in a real browser and
//! reads the console in German, times in their own zone.

use super::browser::tools;
use super::fixture::{PASSWORD, Served};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_staff_member_switches_to_german_and_reads_german_pages() {
    let Some(tools) = tools() else { return };
    let served = Served::fixture(0).await;
    served.user("greta", "support").await;
    let b = served.browser(&tools).await;
    b.sign_in("greta", PASSWORD).await;

    b.click_link_in("header", "Language and time zone").await;
    b.wait_path_contains("/admin/me/preferences").await;
    b.js("document.querySelector('#id_language').value = 'de';", vec![]).await;
    b.fill("#id_time_zone", "Europe/Berlin").await;
    b.click_button("Save").await;
    b.wait_text("Ihre Sprache und Zeitzone sind gespeichert.").await;
    assert_eq!(b.js("return document.documentElement.lang;", vec![]).await, serde_json::json!("de"));
    assert_eq!(b.text_of("h1").await, "Sprache und Zeitzone");

    b.click_link_in("nav.models", "Accounts").await;
    b.wait_path_contains("/admin/account/").await;
    b.sees("Suchen").await;
    b.sees("Abmelden").await;
    b.does_not_see("Sign out").await;
    // Bob signed up on 2026-02-20 at 09:30 UTC: 10:30 in Berlin, written the German way.
    b.sees("20.02.2026 10:30").await;

    b.click_button("Abmelden").await;
    b.find("#id_username").await;
    b.close().await;
}
