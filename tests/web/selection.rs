//! The list's selection, kept on the server: it survives paging and searching,
//! an action runs on exactly it, nobody else sees it, signing out clears it, and
//! the batch limit counts what was really selected.

use ops_console::models::account;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::support::{ALICE, BOB, CAROL, Client, PASSWORD, Resp, TestApp, client_for};

const LIST: &str = "/admin/account/";
const SELECTION: &str = "/admin/account/selection";
const MARK: &str = "/admin/account/actions/mark_for_manual_review";

/// The keys of the rows a list page shows, in order.
fn page_keys(page: &Resp) -> Vec<String> {
    let marker = "name=\"ids\" value=\"";
    page.body
        .match_indices(marker)
        .map(|(i, _)| {
            let rest = &page.body[i + marker.len()..];
            rest[..rest.find('"').unwrap()].to_owned()
        })
        .collect()
}

/// The keys whose checkbox the page shows ticked.
fn checked_keys(page: &Resp) -> Vec<String> {
    page_keys(page)
        .into_iter()
        .filter(|k| {
            page.body.contains(&format!(
                "name=\"ids\" value=\"{k}\" form=\"action-form\" autocomplete=\"off\" checked"
            ))
        })
        .collect()
}

/// The tray's words.
fn tray(page: &Resp) -> String {
    let start = page.body.find("data-selection-count=").expect("the page has a selection tray");
    let rest = &page.body[start..];
    let open = rest.find('>').unwrap() + 1;
    rest[open..open + rest[open..].find('<').unwrap()].to_owned()
}

/// Submits a list page's checkboxes as the "Update selection" button does: `ticked`
/// are checked, the rest of the page is not.
async fn save_page(c: &mut Client, page: &Resp, ticked: &[&str], back: &str) -> Resp {
    let csrf = page.input_value("csrf_token").unwrap();
    let keys = page_keys(page);
    let mut form: Vec<(&str, &str)> =
        vec![("csrf_token", &csrf), ("op", "update"), ("_back", back), ("page_all_was", "0")];
    form.extend(keys.iter().map(|k| ("page_ids", k.as_str())));
    form.extend(ticked.iter().map(|k| ("ids", *k)));
    c.post(SELECTION, &form).await
}

#[tokio::test]
async fn a_selection_survives_paging_and_searching_and_an_action_runs_on_exactly_it() {
    let app = TestApp::new(150).await;
    let mut sue = client_for(&app, "sue", "support").await;
    let first = sue.get(LIST).await;
    assert_eq!(tray(&first), "Nothing selected");
    let one: Vec<String> =
        page_keys(&first).into_iter().filter(|k| k.parse::<i64>().unwrap() > 3).take(2).collect();
    let r = save_page(&mut sue, &first, &[&one[0], &one[1]], "").await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.location(), LIST);
    let first = sue.get(LIST).await;
    first.assert_contains("2 accounts selected.");
    assert_eq!(tray(&first), "2 accounts selected");
    assert_eq!(checked_keys(&first), one);

    // Page 2 shows the same tray; picking there keeps page 1's picks.
    let second = sue.get("/admin/account/?page=2").await;
    assert_eq!(tray(&second), "2 accounts selected");
    assert!(checked_keys(&second).is_empty());
    let two = page_keys(&second).into_iter().find(|k| k.parse::<i64>().unwrap() > 3).unwrap();
    let r = save_page(&mut sue, &second, &[&two], "page=2").await;
    assert_eq!(r.location(), "/admin/account/?page=2", "back to the same page");
    assert_eq!(tray(&sue.get("/admin/account/?page=2").await), "3 accounts selected");

    // A search shows its own rows and the whole selection's count.
    let found = sue.get("/admin/account/?q=acme").await;
    let mut shown = page_keys(&found);
    shown.sort();
    assert_eq!(shown, vec![ALICE.to_string(), CAROL.to_string()]);
    let r = save_page(&mut sue, &found, &[&ALICE.to_string()], "q=acme").await;
    assert_eq!(r.location(), "/admin/account/?q=acme");
    let found = sue.get("/admin/account/?q=acme").await;
    assert_eq!(tray(&found), "4 accounts selected");
    assert_eq!(checked_keys(&found), vec![ALICE.to_string()]);

    // Running on the selection from the search page takes all four, no more.
    let csrf = found.input_value("csrf_token").unwrap();
    let alice = ALICE.to_string();
    let carol = CAROL.to_string();
    let confirm = sue
        .post_follow(
            MARK,
            &[
                ("csrf_token", &csrf),
                ("selection", "1"),
                ("page_all_was", "0"),
                ("page_ids", &alice),
                ("page_ids", &carol),
                ("ids", &alice),
            ],
        )
        .await;
    assert_eq!(confirm.status, 200, "{}", confirm.body);
    confirm.assert_contains("4 accounts will be changed");
    let mut picked: Vec<String> = one.iter().cloned().chain([two.clone(), alice.clone()]).collect();
    picked.sort();
    let mut on_page: Vec<String> = page_keys(&confirm);
    on_page.sort();
    assert_eq!(on_page, picked, "the confirmation lists exactly the selection");
    let key = confirm.input_value("idempotency_key").unwrap();
    let mut form: Vec<(&str, &str)> = vec![
        ("csrf_token", &csrf),
        ("confirm", "1"),
        ("idempotency_key", &key),
        ("reason", "Checking the selected accounts by hand"),
    ];
    form.extend(picked.iter().map(|k| ("ids", k.as_str())));
    let done = sue.post(MARK, &form).await;
    assert!(done.status.is_success() || done.status.is_redirection(), "{}", done.body);
    let mut marked: Vec<String> = account::Entity::find()
        .filter(account::Column::ManualReview.eq(true))
        .filter(account::Column::Id.ne(BOB))
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.id.to_string())
        .collect();
    marked.sort();
    assert_eq!(marked, picked, "exactly the selected accounts were marked");
    // The records that were done leave the selection.
    assert_eq!(tray(&sue.get(LIST).await), "Nothing selected");
}

#[tokio::test]
async fn another_users_session_sees_none_of_it_and_signing_out_clears_it() {
    let app = TestApp::new(0).await;
    let mut sue = client_for(&app, "sue", "support").await;
    let page = sue.get(LIST).await;
    save_page(&mut sue, &page, &[&ALICE.to_string(), &CAROL.to_string()], "").await;
    assert_eq!(tray(&sue.get(LIST).await), "2 accounts selected");

    let mut sam = client_for(&app, "sam", "support").await;
    let theirs = sam.get(LIST).await;
    assert_eq!(tray(&theirs), "Nothing selected");
    assert!(checked_keys(&theirs).is_empty());
    // Running "on the selection" runs on sam's own, which is empty.
    let csrf = theirs.input_value("csrf_token").unwrap();
    let r = sam.post_follow(MARK, &[("csrf_token", &csrf), ("selection", "1")]).await;
    r.assert_contains("Select at least one of the accounts first.");
    r.assert_lacks("will be changed");
    // Clearing is one's own too.
    sam.post(SELECTION, &[("csrf_token", &csrf), ("op", "clear")]).await;
    assert_eq!(tray(&sue.get(LIST).await), "2 accounts selected");

    // Sue signs out and back in: nothing is selected any more.
    let csrf = sue.csrf().await;
    assert_eq!(sue.post("/admin/logout", &[("csrf_token", &csrf)]).await.status, 303);
    assert_eq!(sue.sign_in("sue", PASSWORD).await.status, 303);
    let again = sue.get(LIST).await;
    assert_eq!(tray(&again), "Nothing selected");
    assert!(checked_keys(&again).is_empty());
}

#[tokio::test]
async fn the_header_box_picks_the_page_and_clear_empties_the_selection() {
    let app = TestApp::new(120).await;
    let mut sue = client_for(&app, "sue", "support").await;
    let page = sue.get(LIST).await;
    let keys = page_keys(&page);
    assert_eq!(keys.len(), 100);
    let csrf = page.input_value("csrf_token").unwrap();
    // Without JavaScript: ticking the header box and pressing "Update selection".
    let mut form: Vec<(&str, &str)> =
        vec![("csrf_token", &csrf), ("op", "update"), ("page_all", "1"), ("page_all_was", "0")];
    form.extend(keys.iter().map(|k| ("page_ids", k.as_str())));
    assert_eq!(sue.post(SELECTION, &form).await.status, 303);
    let page = sue.get(LIST).await;
    assert_eq!(tray(&page), "100 accounts selected");
    assert_eq!(checked_keys(&page).len(), 100);
    page.assert_contains("class=\"select-page\" checked");
    // Every row is still ticked but one: the header box stays, the row leaves.
    let mut form: Vec<(&str, &str)> =
        vec![("csrf_token", &csrf), ("op", "update"), ("page_all", "1"), ("page_all_was", "1")];
    form.extend(keys.iter().map(|k| ("page_ids", k.as_str())));
    form.extend(keys.iter().skip(1).map(|k| ("ids", k.as_str())));
    sue.post(SELECTION, &form).await;
    assert_eq!(tray(&sue.get(LIST).await), "99 accounts selected");

    // The script's answer is the count, and no message is left for the next page.
    let body = format!("csrf_token={csrf}&op=update&page_ids={0}&ids={0}", keys[0]);
    let r = sue
        .raw(
            "POST",
            SELECTION,
            &[("accept", "application/json"), ("content-type", "application/x-www-form-urlencoded")],
            body,
        )
        .await
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.body);
    let answer: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(answer["count"], 100);
    assert_eq!(answer["phrase"], "100 accounts");
    sue.get(LIST).await.assert_lacks("class=\"flash");

    // Clear.
    let r = sue.post(SELECTION, &[("csrf_token", &csrf), ("op", "clear"), ("_back", "page=2")]).await;
    assert_eq!(r.location(), "/admin/account/?page=2");
    let page = sue.get("/admin/account/?page=2").await;
    page.assert_contains("Nothing is selected now.");
    assert_eq!(tray(&page), "Nothing selected");
    // A GET of the selection's URL goes back to the list.
    let r = sue.get(SELECTION).await;
    assert_eq!((r.status.as_u16(), r.location()), (303, LIST));
}

#[tokio::test]
async fn limits_count_what_was_really_selected() {
    let app = TestApp::new(527).await;
    let mut sue = client_for(&app, "sue", "support").await;
    let list = sue.get("/admin/account/?q=hooli").await;
    list.assert_contains("527 accounts");
    // "All 527 matching" says the same number the list says.
    list.assert_contains("run on all 527 accounts matching");
    let csrf = list.input_value("csrf_token").unwrap();
    // Past one run's batch it is offered as a background job, of the same number.
    let r = sue.post_follow(MARK, &[("csrf_token", &csrf), ("select_all", "1"), ("q", "hooli")]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.assert_contains("All 527 accounts are more than one run takes");
    r.assert_contains("(527 accounts)");

    // The selection itself holds at most one run's worth, and says so.
    let keys: Vec<String> = (4..=504).map(|i: i64| i.to_string()).collect();
    let mut form: Vec<(&str, &str)> = vec![("csrf_token", &csrf), ("op", "update")];
    form.extend(keys.iter().map(|k| ("ids", k.as_str())));
    let r = sue.post(SELECTION, &form).await;
    assert_eq!(r.status, 303);
    let page = sue.get(LIST).await;
    page.assert_contains("A selection can hold at most 500 accounts; these would make 501.");
    assert_eq!(tray(&page), "Nothing selected");
    // Ids of records that do not exist are not added.
    let r = sue
        .post(SELECTION, &[("csrf_token", &csrf), ("op", "update"), ("ids", "999999"), ("ids", "4")])
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(tray(&sue.get(LIST).await), "1 account selected");
}

#[tokio::test]
async fn every_model_with_actions_gets_checkboxes_and_the_tray_on_its_list() {
    let app = TestApp::new(0).await;
    let registry = ops_console::registry();
    let mut admin = app.signed_in().await;
    let mut with_actions = 0;
    for meta in registry.metas() {
        let page = admin.get(&format!("/admin/{}/", meta.slug)).await;
        assert_eq!(page.status, 200, "{}", meta.slug);
        if registry.actions_for(meta.slug).is_empty() {
            page.assert_lacks("data-selection-count");
            continue;
        }
        with_actions += 1;
        if page.row_count() > 0 {
            assert_eq!(tray(&page), "Nothing selected", "{}", meta.slug);
            page.assert_contains("class=\"select-page\"");
            page.assert_contains(&format!("formaction=\"/admin/{}/selection\"", meta.slug));
        }
    }
    assert!(with_actions >= 2, "accounts and invoices have actions");
}
