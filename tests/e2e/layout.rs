//! Screens that fit the work: at 1366 px wide no list overflows its frame (long
//! values wrap, the full value stays in the cell and the record); on a phone the
//! rows come first and the filters open from a button; a dashboard tile's label
//! and count are separate elements.

use serde_json::{Value as Json, json};

use super::browser::{Browser, tools};
use super::fixture::{PASSWORD, Served};

/// The list's frame: how wide its content is against how wide it shows, and
/// the cells that stick out of it.
const FRAME: &str = r#"
const wrap = document.querySelector(".table-wrap");
if (!wrap) return null;
const right = wrap.getBoundingClientRect().right;
const out = [...wrap.querySelectorAll("th, td")]
  .filter((c) => c.getBoundingClientRect().right > right + 1)
  .slice(0, 4).map((c) => c.textContent.trim().slice(0, 40));
return { scroll: wrap.scrollWidth, client: wrap.clientWidth, out };
"#;

/// Where the rows and the filters are, and whether the filters show.
const PLACES: &str = r#"
const top = (css) => { const e = document.querySelector(css); return e ? e.getBoundingClientRect().top + window.scrollY : null; };
const option = document.querySelector(".filters .filter a");
return {
  rows: top("table.results tbody tr"),
  button: top(".filters summary"),
  option_shown: !!option && option.checkVisibility(),
  open: !!document.querySelector(".filters details[open]"),
  page: document.documentElement.scrollWidth,
};
"#;

/// Each work-queue tile of the dashboard: its label, its count, its text as read.
const TILES: &str = r#"
return [...document.querySelectorAll(".queues .queue")].map((t) => {
  const label = t.querySelector(".q-label"), count = t.querySelector(".q-count");
  const l = label && label.getBoundingClientRect(), c = count && count.getBoundingClientRect();
  return {
    label: label && label.textContent.trim(), count: count && count.textContent.trim(),
    text: t.textContent.replace(/\s+/g, " ").trim(),
    apart: !!(l && c) && (c.left >= l.right + 4 || c.top >= l.bottom),
  };
});
"#;

async fn frame_fits(b: &Browser, what: &str) {
    let r = b.js(FRAME, vec![]).await;
    assert!(r.is_object(), "{what}: no list frame");
    let (scroll, client) = (r["scroll"].as_u64().unwrap_or(0), r["client"].as_u64().unwrap_or(0));
    assert!(
        client > 0 && scroll <= client,
        "{what}: the list overflows its frame ({scroll}px in {client}px): {}",
        r["out"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_1366_px_the_account_and_email_job_lists_fit_their_frames() {
    let Some(tools) = tools() else { return };
    let served = Served::demo().await;
    served.user("ann", "admin").await;
    let b = served.browser(&tools).await;
    b.viewport(1366, 768, false).await;
    b.sign_in("ann", PASSWORD).await;
    for path in ["/admin/account/", "/admin/email_job/", "/admin/invoice/"] {
        b.goto(path).await;
        b.wait_path_contains(path).await;
        assert!(b.all("table.results tbody tr").await.len() > 10, "{path}: rows");
        frame_fits(&b, &format!("{path} at 1366 px")).await;
    }
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_phone_the_rows_come_first_and_the_filters_open_from_a_button() {
    let Some(tools) = tools() else { return };
    let served = Served::demo().await;
    served.user("sue", "support").await;
    let b = served.browser(&tools).await;
    b.viewport(390, 844, true).await;
    b.sign_in("sue", PASSWORD).await;
    b.goto("/admin/account/").await;
    b.wait_path_contains("/admin/account/").await;
    let p = b.js(PLACES, vec![]).await;
    assert_eq!(p["option_shown"], json!(false), "the filters wait behind their button: {p}");
    let (rows, button) = (p["rows"].as_f64().expect("rows"), p["button"].as_f64().expect("a filter button"));
    assert!(rows < 844.0, "the first row is on the first screen: {p}");
    assert!(button < rows, "the button is above the rows, the filters' options are not: {p}");
    b.click(".filters summary").await;
    let p = b.js(PLACES, vec![]).await;
    assert_eq!(p["option_shown"], json!(true), "the button opens the filters: {p}");
    // At desktop width the filters show beside the rows without a click.
    b.viewport(1366, 768, false).await;
    b.goto("/admin/account/").await;
    let p = b.js(PLACES, vec![]).await;
    assert_eq!(p["option_shown"], json!(true), "desktop: the filters show: {p}");
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dashboard_tile_shows_its_label_and_its_count_apart() {
    let Some(tools) = tools() else { return };
    let served = Served::demo().await;
    served.user("sue", "support").await;
    let b = served.browser(&tools).await;
    b.sign_in("sue", PASSWORD).await;
    for (w, h, mobile) in [(1366, 768, false), (390, 844, true)] {
        b.viewport(w, h, mobile).await;
        b.goto("/admin/").await;
        let tiles = b.js(TILES, vec![]).await;
        let tiles = tiles.as_array().expect("tiles");
        assert!(!tiles.is_empty(), "the dashboard has work queues");
        for t in tiles {
            let (label, count) = (t["label"].as_str().unwrap_or(""), t["count"].as_str().unwrap_or(""));
            assert!(!label.is_empty() && count.parse::<u64>().is_ok(), "at {w} px: {t}");
            assert_eq!(t["apart"], Json::Bool(true), "at {w} px the count stands apart from the label: {t}");
            assert_eq!(t["text"], format!("{label}: {count}"), "read aloud or copied, they stay apart: {t}");
        }
    }
    b.goto("/admin/").await;
    b.screen("dashboard").await;
    b.close().await;
}
