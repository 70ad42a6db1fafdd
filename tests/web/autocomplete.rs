//! Foreign keys chosen by name: the autocomplete's JSON, its refusals, the pick
//! page that works without JavaScript, the list's filter by a chosen record, and
//! the look-up's query staying bounded (a limit, the search index, no count).

use std::sync::{Arc, Mutex};

use axum::Router;
use ops_console::models::invoice;
use sea_orm::EntityTrait;
use serde_json::Value as Json;

use super::support::{ALICE, BOB, CAROL, Client, TestApp, client_for, html_unescape, refs};

fn json(r: &super::support::Resp) -> Json {
    serde_json::from_str(&r.body).unwrap_or_else(|e| panic!("JSON ({e}): {}", r.body))
}

fn ids(answer: &Json) -> Vec<String> {
    answer["results"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap().to_owned()).collect()
}

/// The `href` of the first "Choose" link on a pick page whose label names `name`.
fn choose_link(page: &str, name: &str) -> String {
    let marker = format!("aria-label=\"Choose {name}\"");
    let at = page.find(&marker).unwrap_or_else(|| panic!("no Choose link for {name}:\n{page}"));
    let start = page[..at].rfind("href=\"").unwrap() + 6;
    let end = page[start..].find('"').unwrap() + start;
    html_unescape(&page[start..end])
}

#[tokio::test]
async fn suggestions_find_accounts_by_company_and_stop_at_twenty() {
    let app = TestApp::new(30).await;
    let mut c = app.signed_in().await;

    let r = c.get_api("/admin/invoice/autocomplete/account_id?q=acme").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.headers["content-type"].to_str().unwrap().starts_with("application/json"));
    let answer = json(&r);
    let mut found = ids(&answer);
    found.sort();
    assert_eq!(found, [ALICE.to_string(), CAROL.to_string()], "Acme 42 Ltd and Acme 420 GmbH");
    assert_eq!(answer["more"], Json::Bool(false));
    let alice = answer["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == Json::String(ALICE.to_string()))
        .unwrap();
    assert_eq!(alice["text"], "Acme 42 Ltd <user1@acme-42-ltd.example>", "the record's title names it");
    assert!(alice["detail"].as_str().unwrap().contains("Acme 42 Ltd"), "{alice}");

    // Thirty Hooli accounts match: twenty come, and "more" says there are others.
    let answer = json(&c.get_api("/admin/invoice/autocomplete/account_id?q=hooli").await);
    assert_eq!(ids(&answer).len(), 20);
    assert_eq!(answer["more"], Json::Bool(true));

    // An id typed puts that record first.
    let answer = json(&c.get_api(&format!("/admin/invoice/autocomplete/account_id?q={BOB}")).await);
    assert_eq!(ids(&answer).first().map(String::as_str), Some(BOB.to_string().as_str()));

    // Nothing typed: the first records in the model's order, still at most twenty.
    let answer = json(&c.get_api("/admin/invoice/autocomplete/account_id?q=").await);
    assert_eq!(ids(&answer).len(), 20);

    // Text that matches nothing, and text no search takes, answer in words, not 500.
    let answer = json(&c.get_api("/admin/invoice/autocomplete/account_id?q=zzzz-nothing").await);
    assert!(ids(&answer).is_empty());
    let long = "x".repeat(5000);
    let r = c.get_api(&format!("/admin/invoice/autocomplete/account_id?q={long}")).await;
    assert_eq!(r.status, 200);
    assert!(json(&r)["message"].as_str().unwrap().contains("cannot be searched"), "{}", r.body);
}

#[tokio::test]
async fn suggestions_are_refused_in_json_without_permission_or_sign_in() {
    let app = TestApp::new(0).await;

    // Finance views invoices but not accounts: refused in plain words.
    let mut finance = client_for(&app, "fiona", "finance").await;
    let r = finance.get_api("/admin/invoice/autocomplete/account_id?q=acme").await;
    assert_eq!(r.status, 403, "{}", r.body);
    let answer = json(&r);
    assert_eq!(answer["error"], "forbidden");
    assert!(answer["message"].as_str().unwrap().contains("You cannot view accounts"), "{answer}");
    assert!(answer.get("results").is_none(), "no records leak with the refusal");
    // And the screens do not offer what the door refuses.
    let list = finance.get("/admin/invoice/").await;
    assert_eq!(list.status, 200);
    list.assert_lacks("data-autocomplete=");
    let pick = finance.get("/admin/invoice/lookup/account_id?q=acme").await;
    assert_eq!(pick.status, 403);
    pick.assert_lacks("Acme 42 Ltd");

    // Signed out: 401 JSON, not a redirect to the sign-in page.
    let mut anonymous = app.client();
    let r = anonymous.get_api("/admin/invoice/autocomplete/account_id?q=acme").await;
    assert_eq!(r.status, 401, "{}", r.body);
    assert_eq!(json(&r)["error"], "unauthenticated");

    // A field that is no foreign key, or an unknown model: 404 JSON.
    let mut c = app.signed_in().await;
    let r = c.get_api("/admin/invoice/autocomplete/number?q=acme").await;
    assert_eq!(r.status, 404, "{}", r.body);
    assert_eq!(json(&r)["error"], "not_found");
    let r = c.get_api("/admin/nothing/autocomplete/account_id?q=acme").await;
    assert_eq!(r.status, 404);
    assert_eq!(json(&r)["error"], "not_found");
}

#[tokio::test]
async fn the_pick_page_chooses_an_account_for_a_new_invoice_without_script() {
    let app = TestApp::new(0).await;
    let mut c = app.signed_in().await;

    // The form's field offers the pick page, back to this very form.
    let form = c.get("/admin/invoice/new").await;
    assert_eq!(form.status, 200);
    form.assert_contains("data-autocomplete=\"/admin/invoice/autocomplete/account_id\"");
    form.assert_contains("href=\"/admin/invoice/lookup/account_id?back=%2Fadmin%2Finvoice%2Fnew\"");

    let page = c.get("/admin/invoice/lookup/account_id?q=globex&back=%2Fadmin%2Finvoice%2Fnew").await;
    assert_eq!(page.status, 200, "{}", page.body);
    page.assert_contains("Globex 7 Inc");
    page.assert_contains("id 2");
    page.assert_lacks("Acme 42 Ltd");
    let to = choose_link(&page.body, "Globex 7 Inc &lt;user2@globex-7-inc.example&gt;");
    assert_eq!(to, "/admin/invoice/new?account_id=2");

    // Back on the form, the id is filled in and the account named.
    let form = c.get(&to).await;
    assert_eq!(form.status, 200);
    assert_eq!(form.input_value("account_id").as_deref(), Some("2"));
    form.assert_contains("Chosen: Globex 7 Inc &lt;user2@globex-7-inc.example&gt;");
    let csrf = form.input_value("csrf_token").unwrap();
    let r = c
        .post(
            "/admin/invoice/new",
            &[
                ("csrf_token", &csrf),
                ("account_id", "2"),
                ("number", "INV-77770001"),
                ("amount_cents", "12.00"),
                ("currency", "EUR"),
                ("status", "open"),
                ("issued_at", "2026-04-01T10:00:00"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let made = invoice::Entity::find().all(&app.db).await.unwrap();
    let made = made.iter().find(|i| i.number == "INV-77770001").expect("the invoice was created");
    assert_eq!(made.account_id, BOB);
}

#[tokio::test]
async fn the_pick_page_goes_back_to_an_edit_form_and_only_to_this_models_pages() {
    let app = TestApp::new(0).await;
    let mut c = app.signed_in().await;

    let back = "/admin/invoice/1?_back=status%3Dpaid";
    let mut s = form_urlencoded::Serializer::new(String::new());
    s.append_pair("q", "acme 420").append_pair("back", back);
    let page = c.get(&format!("/admin/invoice/lookup/account_id?{}", s.finish())).await;
    assert_eq!(page.status, 200);
    let to = choose_link(&page.body, "Acme 420 GmbH &lt;user3@acme-420-gmbh.example&gt;");
    assert_eq!(to, "/admin/invoice/1?_back=status%3Dpaid&account_id=3");
    let (form, mut pairs) = c.edit_form(&to).await;
    assert_eq!(form.input_value("account_id").as_deref(), Some("3"), "the chosen id, not the stored one");
    form.assert_contains("Chosen: Acme 420 GmbH &lt;user3@acme-420-gmbh.example&gt;");
    for (k, v) in [
        ("account_id", "3"),
        ("number", "INV-00000001"),
        ("amount_cents", "49.00"),
        ("currency", "USD"),
        ("status", "paid"),
        ("issued_at", "2026-01-11T09:30:00"),
    ] {
        pairs.push((k.to_owned(), v.to_owned()));
    }
    let r = c.post("/admin/invoice/1", &refs(&pairs)).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(invoice::Entity::find_by_id(1).one(&app.db).await.unwrap().unwrap().account_id, CAROL);

    // A "back" elsewhere (another site, another model) is not followed: the list.
    for bad in [
        "https://evil.example/admin/invoice/",
        "/admin/account/1",
        "//evil.example/x",
        "/admin/invoice/1/delete",
    ] {
        let mut s = form_urlencoded::Serializer::new(String::new());
        s.append_pair("q", "globex").append_pair("back", bad);
        let page = c.get(&format!("/admin/invoice/lookup/account_id?{}", s.finish())).await;
        assert_eq!(page.status, 200, "back={bad}");
        assert_eq!(
            choose_link(&page.body, "Globex 7 Inc &lt;user2@globex-7-inc.example&gt;"),
            "/admin/invoice/?account_id=2",
            "back={bad}"
        );
    }
}

#[tokio::test]
async fn the_list_filters_invoices_by_an_account_chosen_by_name() {
    let app = TestApp::new(0).await;
    let mut c = app.signed_in().await;

    let list = c.get("/admin/invoice/?status=open&page=1").await;
    assert_eq!(list.status, 200);
    list.assert_contains("data-autocomplete=\"/admin/invoice/autocomplete/account_id\"");
    list.assert_contains("data-submit=\"1\"");

    // Without script: the pick page, back to the list with its other filters.
    let page = c
        .get("/admin/invoice/lookup/account_id?q=acme&back=%2Fadmin%2Finvoice%2F%3Fstatus%3Dopen%26page%3D2")
        .await;
    let to = choose_link(&page.body, "Acme 42 Ltd &lt;user1@acme-42-ltd.example&gt;");
    assert_eq!(to, "/admin/invoice/?status=open&account_id=1", "the page position is dropped");
    let list = c.get(&to).await;
    assert_eq!(list.status, 200);
    assert_eq!(list.row_count(), 1, "Alice's open invoice");
    // The chip names the account, not its bare id.
    list.assert_contains("Account: <strong>Acme 42 Ltd &lt;user1@acme-42-ltd.example&gt;</strong>");
    list.assert_contains("Chosen: Acme 42 Ltd &lt;user1@acme-42-ltd.example&gt;");

    // Bob has no invoices.
    let list = c.get(&format!("/admin/invoice/?account_id={BOB}")).await;
    assert_eq!(list.row_count(), 0);
    list.assert_contains("Account: <strong>Globex 7 Inc &lt;user2@globex-7-inc.example&gt;</strong>");
}

/// Every statement a look-up runs, with a counting connection in front of the app.
async fn statements(app: &mut TestApp) -> (Client, Arc<Mutex<Vec<String>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let mut db = ops_console::connect(&app.url).await.unwrap();
    let log = Arc::clone(&seen);
    db.set_metric_callback(move |info| log.lock().unwrap().push(info.statement.sql.clone()));
    app.router = Router::new().merge(opsadmin::web::router()).with_state(
        opsadmin::web::AdminState::new(db, ops_console::registry()).with_roles(ops_console::roles::roles()),
    );
    let c = app.signed_in().await;
    (c, seen)
}

#[tokio::test]
async fn a_lookup_reads_at_most_twenty_one_rows_through_the_search_index_and_counts_nothing() {
    let mut app = TestApp::new(30).await;
    let (mut c, seen) = statements(&mut app).await;
    c.get_api("/admin/invoice/autocomplete/account_id?q=hooli").await; // the session's first-visit writes
    seen.lock().unwrap().clear();

    let r = c.get_api("/admin/invoice/autocomplete/account_id?q=hooli").await;
    assert_eq!(r.status, 200);
    let sql = seen.lock().unwrap().clone();
    let on_accounts: Vec<&String> = sql.iter().filter(|s| s.contains("FROM \"account\"")).collect();
    assert_eq!(on_accounts.len(), 1, "one query reads the accounts: {sql:#?}");
    let q = on_accounts[0];
    assert!(q.contains("LIMIT"), "bounded: {q}");
    assert!(!sql.iter().any(|s| s.to_uppercase().contains("COUNT(")), "no count: {sql:#?}");
    let indexed = match app.backend {
        super::support::Backend::Sqlite => q.contains("admin_search_account"),
        super::support::Backend::Postgres => q.contains("regexp_replace"),
    };
    assert!(indexed, "the search index narrows the rows: {q}");
    let limit = q.rsplit("LIMIT").next().unwrap().trim();
    // The limit is a bound value on PostgreSQL ($n) and SQLite (?): read it from the rows.
    assert!(limit.starts_with('$') || limit.starts_with('?') || limit.starts_with("21"), "{q}");
    assert_eq!(ids(&json(&r)).len(), 20);
}

/// The `href` of the link with text `label` inside the date drill-down.
fn drill_link(page: &str, label: &str) -> String {
    let start = page.find("<nav class=\"date-drill\"").unwrap_or_else(|| panic!("no drill-down:\n{page}"));
    let nav = &page[start..start + page[start..].find("</nav>").unwrap()];
    let marker = format!("\">{label}</a>");
    let at = nav.find(&marker).unwrap_or_else(|| panic!("no {label} link in {nav}"));
    let href = nav[..at].rfind("href=\"").unwrap() + 6;
    html_unescape(&nav[href..at])
}

#[tokio::test]
async fn the_date_drill_down_narrows_invoices_by_year_month_and_day() {
    use chrono::Datelike;
    let app = TestApp::new(0).await;
    let mut c = app.signed_in().await;

    let list = c.get("/admin/invoice/?status=paid").await;
    assert_eq!(list.status, 200);
    let this_year = chrono::Utc::now().year();
    let to = drill_link(&list.body, &this_year.to_string());
    assert!(
        to.contains(&format!("issued_at__from={this_year}-01-01&issued_at__to={this_year}-12-31")),
        "{to}"
    );
    assert!(to.contains("status=paid"), "the other filters stay: {to}");

    // The fixture's invoices were issued on 2026-01-11.
    let year = c.get("/admin/invoice/?issued_at__from=2026-01-01&issued_at__to=2026-12-31").await;
    assert_eq!(year.row_count(), 2);
    year.assert_contains("<strong aria-current=\"true\">2026</strong>");
    let month = c.get(&drill_link(&year.body, "2026-01")).await;
    assert_eq!(month.row_count(), 2);
    month.assert_contains("<strong aria-current=\"true\">2026-01</strong>");
    assert!(month.body.contains(">2026-01-31</a>"), "every day of January");
    let day = c.get(&drill_link(&month.body, "2026-01-11")).await;
    assert_eq!(day.row_count(), 2);
    day.assert_contains("<strong aria-current=\"true\">2026-01-11</strong>");
    let other_day = c.get(&drill_link(&month.body, "2026-01-12")).await;
    assert_eq!(other_day.row_count(), 0);
    // "All dates" drops the range again.
    let all = c.get(&drill_link(&day.body, "All dates")).await;
    assert_eq!(all.row_count(), 2);
    assert!(!drill_link(&day.body, "All dates").contains("issued_at__"));
}
