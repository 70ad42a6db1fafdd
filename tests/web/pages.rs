//! Custom pages and dashboard tiles: the reference app's "Billing health" page and
//! tile, and a page with a form registered here, over real HTTP on SQLite or
//! PostgreSQL (`OPSADMIN_TEST_DB`).

use axum::Router;
use ops_console::models::{account, email_job, invoice};
use opsadmin::pages::{Page, PageContent, PageRequest, Tile};
use opsadmin::{Registry, Roles};

use super::support::{Client, TestApp, client_for};

const BILLING_HEALTH: &str = "/admin/pages/reports/billing-health";

#[tokio::test]
async fn finance_finds_billing_health_in_the_nav_and_reads_invoice_counts_in_the_layout() {
    let app = TestApp::new(0).await;
    let mut finance = client_for(&app, "fiona", "finance").await;
    let home = finance.get("/admin/").await;
    assert_eq!(home.status, 200);
    // Under its section in the nav.
    home.assert_contains(&format!(
        r#"<span class="nav-section" role="group" aria-label="Reports"><span class="nav-section-label">Reports:</span> <a href="{BILLING_HEALTH}">Billing health</a></span>"#
    ));
    let page = finance.get(BILLING_HEALTH).await;
    assert_eq!(page.status, 200, "{}", page.body);
    // Inside the layout: the signed-in header, the nav entry marked current, crumbs.
    page.assert_contains("Signed in as <strong>fiona</strong>");
    page.assert_contains(&format!(r#"<a href="{BILLING_HEALTH}" aria-current="page">Billing health</a>"#));
    page.assert_contains(r#"<span>Reports</span> › <span aria-current="page">Billing health</span>"#);
    page.assert_contains("<title>Billing health · Ops console</title>");
    // The fixture has one paid and one open invoice, counted through the door.
    page.assert_contains(r#"<a href="/admin/invoice/?status=paid">Paid</a></td><td class="num">1</td>"#);
    page.assert_contains(r#"<a href="/admin/invoice/?status=open">Open</a></td><td class="num">1</td>"#);
    page.assert_contains(
        r#"<a href="/admin/invoice/?status=disputed">Disputed</a></td><td class="num">0</td>"#,
    );
    // Finance may not view accounts: the door does not count them for her.
    page.assert_contains("You cannot view accounts, so their billing states are not counted here.");
    page.assert_lacks("Accounts by billing state");
}

#[tokio::test]
async fn an_admin_also_reads_the_accounts_per_billing_state() {
    let app = TestApp::new(2).await;
    let mut admin = app.signed_in().await;
    let page = admin.get(BILLING_HEALTH).await;
    assert_eq!(page.status, 200, "{}", page.body);
    page.assert_contains("Accounts by billing state");
    // Bob and the two extra accounts are OK; Alice failed her first charge; Carol is past due.
    page.assert_contains(r#"<a href="/admin/account/?billing_state=ok">OK</a></td><td class="num">3</td>"#);
    page.assert_contains(
        r#"<a href="/admin/account/?billing_state=failed_first_charge">Failed first charge</a></td><td class="num">1</td>"#,
    );
    page.assert_contains(
        r#"<a href="/admin/account/?billing_state=past_due">Past due</a></td><td class="num">1</td>"#,
    );
}

#[tokio::test]
async fn support_has_no_billing_health_entry_and_gets_a_403_page_saying_who_can() {
    let app = TestApp::new(0).await;
    let mut support = client_for(&app, "sam", "support").await;
    let home = support.get("/admin/").await;
    home.assert_lacks("Billing health");
    home.assert_lacks("/admin/pages/");
    let refused = support.get(BILLING_HEALTH).await;
    assert_eq!(refused.status, 403);
    // A full page of the console, with the header and a sentence naming the role.
    refused.assert_contains("Signed in as <strong>sam</strong>");
    refused.assert_contains(
        "You cannot open the page \u{201c}Billing health\u{201d}. Ask someone with the finance role.",
    );
    refused.assert_lacks("Invoices by status");
    // A page nobody registered is a 404, not someone else's route.
    let missing = support.get("/admin/pages/reports/nightly").await;
    assert_eq!(missing.status, 404);
    missing.assert_contains("There is no such page.");
}

#[tokio::test]
async fn the_billing_tile_counts_waiting_invoices_for_finance_only() {
    let app = TestApp::new(0).await;
    let mut finance = client_for(&app, "fiona", "finance").await;
    let home = finance.get("/admin/").await;
    // Its own section, linking to the page; one open invoice and no disputed one.
    home.assert_contains(r#"<h2 id="tiles-h-1">Billing</h2>"#);
    home.assert_contains(&format!(
        r#"<a href="{BILLING_HEALTH}" class="queue"><span class="q-label">Invoices waiting for payment</span><span class="sr">: </span><strong class="q-count">1</strong></a>"#
    ));
    // The list tiles she may see (invoices), not those of accounts she may not view.
    home.assert_contains(r#"<a href="/admin/invoice/?status=disputed" class="queue empty-queue"><span class="q-label">Disputed invoices</span>"#);
    home.assert_lacks("Failed first charges");
    let mut support = client_for(&app, "sam", "support").await;
    let home = support.get("/admin/").await;
    home.assert_lacks("Invoices waiting for payment");
    home.assert_contains(
        "Failed first charges</span><span class=\"sr\">: </span><strong class=\"q-count\">1</strong>",
    );
}

// ---- a page with a form, registered here ----------------------------------

/// The console's roles and two more: `desk` may use the page, `reader` may only
/// view accounts and note on them.
fn desk_roles() -> Roles {
    ops_console::roles::roles()
        .role("desk", "Leaves quick notes.", &["desk.note", "account.view", "account.note"])
        .role("reader", "Reads accounts.", &["account.view", "account.note"])
}

const DESK_TEMPLATE: &str = r#"{% extends "admin/page.html" %}
{% block content %}
<h1>{{ page.title }}</h1>
{% if error %}<p class="errors" role="alert">{{ error }}</p>{% endif %}
<p id="notes">Notes on Alice: {{ notes }}</p>
<p id="hello">Hello {{ who }}</p>
<form method="post" action="{{ page.url }}">
<input type="hidden" name="csrf_token" value="{{ csrf_token }}">
<label for="id_body">Note</label><textarea id="id_body" name="body"></textarea>
<button type="submit">Add</button>
</form>
{% endblock %}"#;

/// Shows the form with the number of notes on Alice, read through the door.
async fn desk_form(req: PageRequest, error: Option<String>) -> opsadmin::Result<PageContent> {
    let (service, caller) = (req.service(), req.caller());
    let notes = service.notes(&caller, "account", "1").await?.len();
    let who = req.query_value("who").unwrap_or("there").to_owned();
    PageContent::template("desk/note.html", serde_json::json!({ "notes": notes, "who": who, "error": error }))
}

/// Adds the note through the door (audited), then back to the page with a message.
async fn desk_submit(req: PageRequest) -> opsadmin::Result<PageContent> {
    let body = req.form_value("body").unwrap_or("").to_owned();
    match req.service().add_note(&req.caller(), "account", "1", &body).await {
        Ok(_) => Ok(PageContent::redirect("/pages/desk/notes").with_flash("The note was added.")),
        Err(opsadmin::Error::Invalid(errors)) => {
            let message = errors.iter().map(|e| e.message.clone()).collect::<Vec<_>>().join(" ");
            desk_form(req, Some(message)).await
        }
        Err(other) => Err(other),
    }
}

fn desk_registry() -> Registry {
    Registry::builder()
        .register::<account::Model>()
        .register::<invoice::Model>()
        .register::<email_job::Model>()
        .page(
            Page::new("/desk/notes", "Quick note")
                .section("Desk")
                .permission("desk.note")
                .handler(|req| desk_form(req, None))
                .post(desk_submit),
        )
        .tile(Tile::list("Trial accounts", "account", "plan=trial").section("Sales").permission("desk.note"))
        .tile(
            Tile::counted("Broken count", |_visit| async {
                Err(opsadmin::Error::Internal("the count's source is down".into()))
            })
            .section("Sales"),
        )
        .build()
        .expect("the desk registry builds")
}

async fn desk_app() -> TestApp {
    let mut app = TestApp::new(0).await;
    let state = opsadmin::web::AdminState::new(app.db.clone(), desk_registry())
        .with_roles(desk_roles())
        .with_template("desk/note.html", DESK_TEMPLATE)
        .expect("the desk template parses");
    app.router = Router::new().merge(opsadmin::web::router()).with_state(state);
    app
}

async fn notes_on_alice(client: &mut Client) -> String {
    let page = client.get("/admin/pages/desk/notes").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let start = page.body.find("Notes on Alice: ").expect("the count") + "Notes on Alice: ".len();
    page.body[start..].split('<').next().unwrap().to_owned()
}

#[tokio::test]
async fn a_page_form_posts_with_its_csrf_token_and_the_write_goes_through_the_door() {
    let app = desk_app().await;
    let mut desk = client_for(&app, "dana", "desk").await;
    let page = desk.get("/admin/pages/desk/notes?who=%3Cscript%3Ealert(1)%3C/script%3E").await;
    assert_eq!(page.status, 200, "{}", page.body);
    page.assert_contains("Signed in as <strong>dana</strong>");
    // Values from the request are escaped like anywhere in the admin.
    page.assert_contains("Hello &lt;script&gt;alert(1)&lt;/script&gt;");
    page.assert_lacks("<script>alert(1)");
    let csrf = page.input_value("csrf_token").expect("the form carries the token");
    assert_eq!(notes_on_alice(&mut desk).await, "0");

    // Without the token: refused, nothing written.
    let forged = desk.post("/admin/pages/desk/notes", &[("body", "forged")]).await;
    assert_eq!(forged.status, 403);
    forged.assert_contains("This form has expired or did not come from this site.");
    let wrong = desk.post("/admin/pages/desk/notes", &[("csrf_token", "nope"), ("body", "forged")]).await;
    assert_eq!(wrong.status, 403);
    assert_eq!(notes_on_alice(&mut desk).await, "0");

    // With it: the note is added (and audited), and the answer is a redirect to the page.
    let sent = desk.post("/admin/pages/desk/notes", &[("csrf_token", &csrf), ("body", "Called back")]).await;
    assert_eq!(sent.status, 303, "{}", sent.body);
    assert_eq!(sent.location(), "/admin/pages/desk/notes");
    let back = desk.get("/admin/pages/desk/notes").await;
    back.assert_contains("The note was added.");
    assert_eq!(notes_on_alice(&mut desk).await, "1");
    let admin_history = app.signed_in().await.get("/admin/audit").await;
    admin_history.assert_contains("dana");

    // A note the door refuses (empty): the same form with the message, nothing written.
    let empty = desk.post("/admin/pages/desk/notes", &[("csrf_token", &csrf), ("body", "  ")]).await;
    assert_eq!(empty.status, 200, "{}", empty.body);
    empty.assert_contains(r#"<p class="errors" role="alert">"#);
    assert_eq!(notes_on_alice(&mut desk).await, "1");
}

#[tokio::test]
async fn without_the_permission_the_page_is_not_in_the_nav_and_get_and_post_are_refused() {
    let app = desk_app().await;
    let mut reader = client_for(&app, "rita", "reader").await;
    let home = reader.get("/admin/").await;
    assert_eq!(home.status, 200);
    home.assert_lacks("Quick note");
    home.assert_lacks(r#"aria-label="Desk""#);
    let refused = reader.get("/admin/pages/desk/notes").await;
    assert_eq!(refused.status, 403);
    refused.assert_contains(
        "You cannot open the page \u{201c}Quick note\u{201d}. Ask someone with the desk role.",
    );
    // A valid token does not get her past the permission: nothing is written.
    let csrf = reader.csrf().await;
    let posted = reader.post("/admin/pages/desk/notes", &[("csrf_token", &csrf), ("body", "sneaky")]).await;
    assert_eq!(posted.status, 403);
    let mut desk = client_for(&app, "dana", "desk").await;
    assert_eq!(notes_on_alice(&mut desk).await, "0");
}

#[tokio::test]
async fn tiles_count_through_the_door_link_to_the_filtered_list_and_hide_without_permission() {
    let app = desk_app().await;
    let mut desk = client_for(&app, "dana", "desk").await;
    let home = desk.get("/admin/").await;
    assert_eq!(home.status, 200, "{}", home.body);
    home.assert_contains(r#"<h2 id="tiles-h-1">Sales</h2>"#);
    // Alice is the one trial account.
    home.assert_contains(r#"<a href="/admin/account/?plan=trial" class="queue"><span class="q-label">Trial accounts</span><span class="sr">: </span><strong class="q-count">1</strong></a>"#);
    let list = desk.get("/admin/account/?plan=trial").await;
    list.assert_contains("user1@acme-42-ltd.example");
    list.assert_lacks("user2@globex-7-inc.example");
    // A tile whose function fails shows no number; the dashboard still answers.
    home.assert_contains(r#"<span class="q-label">Broken count</span><span class="sr">: </span><strong class="q-count" title="This count is not available right now.">–</strong>"#);
    // The reader may view accounts but lacks the tile's permission.
    let mut reader = client_for(&app, "rita", "reader").await;
    let home = reader.get("/admin/").await;
    home.assert_lacks("Trial accounts");
    home.assert_contains("Broken count");
}

#[test]
fn page_and_tile_mistakes_are_configuration_errors() {
    let err = Registry::builder()
        .register::<account::Model>()
        .page(
            Page::new("/desk/notes", "Notes")
                .permission("desk.note")
                .handler(|_req| async { Ok(PageContent::html("")) }),
        )
        .page(
            Page::new("/desk/notes", "Again")
                .permission("desk.note")
                .handler(|_req| async { Ok(PageContent::html("")) }),
        )
        .page(Page::new("/desk/other", "Quick note").handler(|_req| async { Ok(PageContent::html("")) }))
        .page(Page::new("Desk", "Bad path").permission("audit.view"))
        .tile(Tile::list("Open", "acount", "status=open"))
        .roles(&Roles::new().role("desk", "", &["desk.note", "desks.note"]))
        .build()
        .err()
        .expect("mistakes");
    let text = err.to_string();
    assert!(text.contains("the page \u{201c}Quick note\u{201d} has no permission"), "{text}");
    assert!(text.contains("two pages have the path `/desk/notes`"), "{text}");
    assert!(text.contains("the page \u{201c}Bad path\u{201d} has the path `Desk`"), "{text}");
    assert!(text.contains("in a namespace of the admin's own"), "{text}");
    assert!(text.contains("has no handler"), "{text}");
    assert!(text.contains("tile \u{201c}Open\u{201d} lists the model `acount`, which is not registered (did you mean `account`?)"), "{text}");
    // A page's permission is a known grant; a misspelt one is not.
    assert!(!text.contains("grants `desk.note`"), "{text}");
    assert!(text.contains("grants `desks.note`, but no model `desks` is registered"), "{text}");
}
