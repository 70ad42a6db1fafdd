//! Editing a list in place (`#[admin(list_editable(...))]`): the account list's
//! company and manual-review columns, many rows at once. The first POST shows the
//! changes and saves nothing; "Save these changes" saves each changed row through
//! the door with its own audit entry; a row changed by someone else meanwhile is
//! reported and not saved while the others are; fields a role may not change are
//! text and are ignored when posted; a reason is asked for where a field needs one;
//! a bad value gets its row's message.

use admin_core::audit::entry;
use axum::Router;
use ops_console::models::account;
use sea_orm::ActiveValue::Set;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, PaginatorTrait,
    QueryFilter, QueryOrder, Schema,
};

use super::support::{
    ALICE, BOB, CAROL, Client, PASSWORD, Resp, TestApp, USER, client_for, html_unescape, refs,
};

/// The fields of the list's edit form, as a browser would send them: hidden and
/// text inputs, selects' chosen options, checked boxes (not the selection's boxes,
/// which belong to the action form).
fn list_form(page: &Resp) -> Vec<(String, String)> {
    let body = &page.body;
    let start = body.find("id=\"list-edit-form\"").expect("the list has an edit form");
    let end = start + body[start..].find("</form>").unwrap();
    let html = &body[start..end];
    let attr = |tag: &str, name: &str| -> Option<String> {
        let marker = format!(" {name}=\"");
        let at = tag.find(&marker)? + marker.len();
        Some(html_unescape(&tag[at..at + tag[at..].find('"')?]))
    };
    let mut pairs = Vec::new();
    for chunk in html.split('<').skip(1) {
        let tag = &chunk[..chunk.find('>').unwrap_or(chunk.len())];
        if let Some(rest) = tag.strip_prefix("input ") {
            let rest = format!(" {rest}");
            if rest.contains(" form=\"") {
                continue;
            }
            let (Some(name), value) = (attr(&rest, "name"), attr(&rest, "value").unwrap_or_default()) else {
                continue;
            };
            if attr(&rest, "type").as_deref() == Some("checkbox") && !rest.contains(" checked") {
                continue;
            }
            pairs.push((name, value));
        }
    }
    pairs
}

/// The row number the form gives record `key`.
fn row_of(form: &[(String, String)], key: i64) -> String {
    let (name, _) = form
        .iter()
        .find(|(k, v)| k.ends_with("-_key") && *v == key.to_string())
        .unwrap_or_else(|| panic!("row {key} is in the form: {form:?}"));
    name.trim_end_matches("-_key").to_owned()
}

/// Types `value` into record `key`'s `field` (a checkbox: "1" ticks, "0" clears).
fn set(form: &mut Vec<(String, String)>, key: i64, field: &str, value: &str) {
    let name = format!("{}-{field}", row_of(form, key));
    let checkbox = form.iter().filter(|(k, _)| *k == name).count() > 1 || value == "0";
    if checkbox {
        // The hidden "0" stays; the box's "1" goes or comes.
        form.retain(|(k, v)| !(*k == name && v == "1"));
        if value == "1" {
            form.push((name, "1".into()));
        }
        return;
    }
    match form.iter_mut().find(|(k, _)| *k == name) {
        Some(pair) => pair.1 = value.to_owned(),
        None => form.push((name, value.to_owned())),
    }
}

/// The page's text without tags, spaces squeezed.
fn text(body: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for ch in body.chars() {
        match ch {
            '<' => in_tag = true,
            '>' => in_tag = false,
            _ if !in_tag => out.push(ch),
            _ => {}
        }
    }
    html_unescape(&out).split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The hidden fields of the review page's form (to send "Save these changes").
fn review_form(page: &Resp) -> Vec<(String, String)> {
    let start = page.body.find("class=\"list-edit-confirm\"").expect("the review page is shown");
    let html = &page.body[start..];
    html.split("<input type=\"hidden\" name=\"")
        .skip(1)
        .map(|rest| {
            let name = &rest[..rest.find('"').unwrap()];
            let v = &rest[rest.find("value=\"").unwrap() + 7..];
            (name.to_owned(), html_unescape(&v[..v.find('"').unwrap()]))
        })
        .collect()
}

async fn account(app: &TestApp, id: i64) -> account::Model {
    account::Entity::find_by_id(id).one(&app.db).await.unwrap().unwrap()
}

async fn updates(app: &TestApp) -> Vec<entry::Model> {
    entry::Entity::find()
        .filter(entry::Column::Kind.eq("update"))
        .order_by_asc(entry::Column::Seq)
        .all(&app.db)
        .await
        .unwrap()
}

async fn list_page(c: &mut Client) -> (Resp, Vec<(String, String)>) {
    let page = c.get("/admin/account/?sort=id").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let form = list_form(&page);
    (page, form)
}

#[tokio::test]
async fn editable_columns_are_inputs_only_where_the_role_may_change_them() {
    let app = TestApp::new(0).await;
    let mut admin = app.signed_in().await;
    let (page, form) = list_page(&mut admin).await;
    let row = row_of(&form, ALICE);
    page.assert_contains(&format!("name=\"{row}-company\" value=\"Acme 42 Ltd\""));
    page.assert_contains(&format!("name=\"{row}-manual_review\" value=\"1\""));
    page.assert_contains("Review changes");
    // Columns that are not editable stay text.
    page.assert_lacks(&format!("name=\"{row}-email\""));

    // Support may change the company but not the review flag: text for them.
    let mut support = client_for(&app, "sam", "support").await;
    let (page, form) = list_page(&mut support).await;
    let row = row_of(&form, ALICE);
    page.assert_contains(&format!("name=\"{row}-company\""));
    page.assert_lacks(&format!("name=\"{row}-manual_review\""));

    // A viewer changes nothing: no form, no inputs.
    let mut viewer = client_for(&app, "vic", "viewer").await;
    let page = viewer.get("/admin/account/").await;
    assert_eq!(page.status, 200);
    page.assert_lacks("list-edit-form");
    page.assert_lacks("-company\"");
}

#[tokio::test]
async fn the_first_post_shows_only_the_changed_rows_and_saves_nothing() {
    let app = TestApp::new(0).await;
    let mut c = app.signed_in().await;
    let (_, mut form) = list_page(&mut c).await;
    set(&mut form, ALICE, "company", "Acme Holdings");
    set(&mut form, BOB, "manual_review", "0");
    let r = c.post("/admin/account/list-edit", &refs(&form)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let shown = text(&r.body);
    assert!(shown.contains("Account 1 — Company: Acme 42 Ltd → Acme Holdings"), "{shown}");
    assert!(shown.contains("Account 2 — Manual review: yes → no"), "{shown}");
    assert!(!shown.contains("Account 3"), "an untouched row is not listed: {shown}");
    r.assert_contains("Save these changes");
    r.assert_contains("Back to editing");
    assert_eq!(account(&app, ALICE).await.company, "Acme 42 Ltd", "nothing is saved before confirming");
    assert!(account(&app, BOB).await.manual_review);
    assert!(updates(&app).await.is_empty());

    // Back to editing: the list again with the values typed, still nothing saved.
    let mut back = review_form(&r);
    back.push(("_edit".into(), "1".into()));
    let again = c.post("/admin/account/list-edit", &refs(&back)).await;
    assert_eq!(again.status, 200, "{}", again.body);
    let row = row_of(&list_form(&again), ALICE);
    assert_eq!(again.input_value(&format!("{row}-company")).as_deref(), Some("Acme Holdings"));
    assert_eq!(account(&app, ALICE).await.company, "Acme 42 Ltd");
}

#[tokio::test]
async fn saving_changes_each_row_with_its_own_audit_entry() {
    let app = TestApp::new(2).await;
    let mut c = app.signed_in().await;
    let (_, mut form) = list_page(&mut c).await;
    set(&mut form, ALICE, "company", "Acme Holdings");
    set(&mut form, CAROL, "company", "Acme 420 AG");
    set(&mut form, 4, "manual_review", "1");
    let review = c.post("/admin/account/list-edit", &refs(&form)).await;
    assert_eq!(review.status, 200, "{}", review.body);
    let mut confirm = review_form(&review);
    confirm.push(("_confirmed".into(), "1".into()));
    let saved = c.post("/admin/account/list-edit", &refs(&confirm)).await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    assert!(saved.location().starts_with("/admin/account/"), "{}", saved.location());
    let list = c.get(saved.location()).await;
    list.assert_contains("Saved the changes to 3 accounts.");

    assert_eq!(account(&app, ALICE).await.company, "Acme Holdings");
    assert_eq!(account(&app, CAROL).await.company, "Acme 420 AG");
    assert!(account(&app, 4).await.manual_review);
    assert_eq!(account(&app, BOB).await.company, "Globex 7 Inc");
    let entries = updates(&app).await;
    let mut ids: Vec<&str> = entries.iter().filter_map(|e| e.object_id.as_deref()).collect();
    ids.sort_unstable();
    assert_eq!(ids, ["1", "3", "4"], "one audit entry per saved row");
    assert!(entries.iter().all(|e| e.actor == USER && e.model.as_deref() == Some("account")));
    let alice = entries.iter().find(|e| e.object_id.as_deref() == Some("1")).unwrap();
    assert!(
        alice.changes.contains("Acme Holdings") && !alice.changes.contains("manual_review"),
        "{}",
        alice.changes
    );

    // The same confirmation again: every row is stale now, nothing is saved twice.
    let again = c.post("/admin/account/list-edit", &refs(&confirm)).await;
    assert_eq!(again.status, 409, "{}", again.body);
    assert_eq!(updates(&app).await.len(), 3);
}

#[tokio::test]
async fn a_row_changed_by_someone_else_is_reported_and_not_saved_while_the_others_are() {
    let app = TestApp::new(0).await;
    let mut c = app.signed_in().await;
    let (_, mut form) = list_page(&mut c).await;
    set(&mut form, ALICE, "company", "Acme Holdings");
    set(&mut form, BOB, "company", "Globex Worldwide");
    let review = c.post("/admin/account/list-edit", &refs(&form)).await;
    assert_eq!(review.status, 200, "{}", review.body);

    // Someone else renames Bob's company while the review is open.
    let mut bob = account(&app, BOB).await.into_active_model();
    bob.company = Set("Globex (renamed elsewhere)".into());
    bob.update(&app.db).await.unwrap();

    let mut confirm = review_form(&review);
    confirm.push(("_confirmed".into(), "1".into()));
    let r = c.post("/admin/account/list-edit", &refs(&confirm)).await;
    assert_eq!(r.status, 409, "{}", r.body);
    let shown = text(&r.body);
    assert!(shown.contains("1 row saved; 1 row was not saved"), "{shown}");
    assert!(shown.contains("Account 2: someone else changed it after you opened the list"), "{shown}");
    assert!(shown.contains("you had typed Company: Globex Worldwide"), "{shown}");
    // The stale row shows their value now, at their version.
    let row = row_of(&list_form(&r), BOB);
    assert_eq!(r.input_value(&format!("{row}-company")).as_deref(), Some("Globex (renamed elsewhere)"));

    assert_eq!(account(&app, ALICE).await.company, "Acme Holdings", "the other row is saved");
    assert_eq!(account(&app, BOB).await.company, "Globex (renamed elsewhere)", "theirs is kept");
    let entries = updates(&app).await;
    assert_eq!(entries.len(), 1, "only the saved row is audited");
    assert_eq!(entries[0].object_id.as_deref(), Some("1"));
}

#[tokio::test]
async fn a_field_read_only_for_the_role_is_not_changed_even_when_posted() {
    let app = TestApp::new(0).await;
    let mut support = client_for(&app, "sam", "support").await;
    let (_, mut form) = list_page(&mut support).await;
    let row = row_of(&form, ALICE);
    // A hand-made field for the flag support may not change, beside a real change.
    form.push((format!("{row}-manual_review"), "1".into()));
    form.push((format!("{row}-_was-manual_review"), "0".into()));
    set(&mut form, ALICE, "company", "Acme Holdings");
    let review = support.post("/admin/account/list-edit", &refs(&form)).await;
    assert_eq!(review.status, 200, "{}", review.body);
    let shown = text(&review.body);
    assert!(shown.contains("Company: Acme 42 Ltd → Acme Holdings"), "{shown}");
    assert!(!shown.contains("Manual review"), "{shown}");
    let mut confirm = review_form(&review);
    confirm.push(("_confirmed".into(), "1".into()));
    let saved = support.post("/admin/account/list-edit", &refs(&confirm)).await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let alice = account(&app, ALICE).await;
    assert_eq!(alice.company, "Acme Holdings");
    assert!(!alice.manual_review, "support cannot set the review flag from the list");

    // Only the flag: nothing to save.
    let (_, mut form) = list_page(&mut support).await;
    let row = row_of(&form, CAROL);
    form.push((format!("{row}-manual_review"), "1".into()));
    let r = support.post("/admin/account/list-edit", &refs(&form)).await;
    assert_eq!(r.status, 303, "{}", r.body);
    support.get(r.location()).await.assert_contains("Nothing was changed, so nothing was saved.");
    assert!(!account(&app, CAROL).await.manual_review);

    // A viewer may not post at all.
    let mut viewer = client_for(&app, "vic", "viewer").await;
    let csrf = viewer.csrf().await;
    let r = viewer
        .post(
            "/admin/account/list-edit",
            &[("csrf_token", &csrf), ("r0-_key", "1"), ("r0-_version", "x"), ("r0-company", "Mine")],
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(account(&app, ALICE).await.company, "Acme Holdings");
}

#[tokio::test]
async fn a_post_without_the_csrf_token_is_refused() {
    let app = TestApp::new(0).await;
    let mut c = app.signed_in().await;
    let (_, mut form) = list_page(&mut c).await;
    form.retain(|(k, _)| k != "csrf_token");
    set(&mut form, ALICE, "company", "Acme Holdings");
    form.push(("_confirmed".into(), "1".into()));
    let r = c.post("/admin/account/list-edit", &refs(&form)).await;
    assert_eq!(r.status, 403);
    assert_eq!(account(&app, ALICE).await.company, "Acme 42 Ltd");
}

#[tokio::test]
async fn a_bad_value_gets_its_rows_message_and_nothing_is_saved() {
    let app = TestApp::new(0).await;
    let mut c = app.signed_in().await;
    let (_, mut form) = list_page(&mut c).await;
    set(&mut form, ALICE, "company", "Acme Holdings");
    set(&mut form, BOB, "company", &"G".repeat(300));
    let r = c.post("/admin/account/list-edit", &refs(&form)).await;
    assert_eq!(r.status, 400, "{}", r.body);
    let bob_row = row_of(&list_form(&r), BOB);
    let alice_row = row_of(&list_form(&r), ALICE);
    // The message sits with Bob's company, and Alice's typed value is kept.
    let at =
        r.body.find(&format!("id=\"id_{bob_row}-company_error\"")).expect("Bob's company has its message");
    assert!(r.body[at..at + 200].contains("255"), "{}", &r.body[at..at + 200]);
    assert_eq!(r.input_value(&format!("{alice_row}-company")).as_deref(), Some("Acme Holdings"));
    r.assert_contains("Nothing was saved");
    assert_eq!(account(&app, ALICE).await.company, "Acme 42 Ltd");
    assert!(updates(&app).await.is_empty());

    // A control character is refused the same way, never a 500.
    let (_, mut form) = list_page(&mut c).await;
    set(&mut form, ALICE, "company", "Acme\u{0}Ltd");
    let r = c.post("/admin/account/list-edit", &refs(&form)).await;
    assert!(r.status == 400, "{} {}", r.status, r.body);
}

/// A model whose `urgent` flag needs a reason to change, to check the batch's reason.
pub mod ticket {
    use opsadmin::AdminModel;
    use sea_orm::entity::prelude::*;

    /// One ticket.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, AdminModel)]
    #[sea_orm(table_name = "ticket")]
    #[admin(label = "Ticket", list_display(id, subject, urgent), list_editable(subject, urgent))]
    pub struct Model {
        /// Primary key.
        #[sea_orm(primary_key)]
        pub id: i64,
        /// What it is about.
        #[admin(label = "Subject")]
        pub subject: String,
        /// Jumps the queue.
        #[admin(label = "Urgent", reason_required)]
        pub urgent: bool,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

async fn ticket_app() -> (TestApp, Client) {
    let mut app = TestApp::new(0).await;
    let schema = Schema::new(app.db.get_database_backend());
    app.db.execute(&schema.create_table_from_entity(ticket::Entity)).await.unwrap();
    for (id, subject) in [(1, "Printer"), (2, "Invoice copy")] {
        ticket::ActiveModel { id: Set(id), subject: Set(subject.into()), urgent: Set(false) }
            .insert(&app.db)
            .await
            .unwrap();
    }
    let registry = opsadmin::Registry::new().register::<ticket::Model>();
    app.router = Router::new()
        .merge(opsadmin::web::router())
        .with_state(opsadmin::web::AdminState::new(app.db.clone(), registry));
    let mut c = app.client();
    c.sign_in(USER, PASSWORD).await;
    (app, c)
}

async fn ticket(app: &TestApp, id: i64) -> ticket::Model {
    ticket::Entity::find_by_id(id).one(&app.db).await.unwrap().unwrap()
}

#[tokio::test]
async fn a_field_that_needs_a_reason_asks_one_reason_for_the_batch() {
    let (app, mut c) = ticket_app().await;
    let page = c.get("/admin/ticket/").await;
    let mut form = list_form(&page);
    set(&mut form, 1, "urgent", "1");
    set(&mut form, 2, "urgent", "1");
    set(&mut form, 2, "subject", "Invoice copy (March)");
    let review = c.post("/admin/ticket/list-edit", &refs(&form)).await;
    assert_eq!(review.status, 200, "{}", review.body);
    review.assert_contains("name=\"_reason\"");
    assert_eq!(review.body.matches("name=\"_reason\"").count(), 1, "one reason for the batch");

    // Without the reason: refused, nothing saved, the review again with the message.
    let mut confirm = review_form(&review);
    confirm.push(("_confirmed".into(), "1".into()));
    let r = c.post("/admin/ticket/list-edit", &refs(&confirm)).await;
    assert_eq!(r.status, 400, "{}", r.body);
    r.assert_contains("Say why you are changing urgent");
    r.assert_contains("Save these changes");
    assert!(!ticket(&app, 1).await.urgent && !ticket(&app, 2).await.urgent);
    assert!(updates(&app).await.is_empty());

    confirm.push(("_reason".into(), "Outage at the customer".into()));
    let r = c.post("/admin/ticket/list-edit", &refs(&confirm)).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(ticket(&app, 1).await.urgent && ticket(&app, 2).await.urgent);
    assert_eq!(ticket(&app, 2).await.subject, "Invoice copy (March)");
    let entries = updates(&app).await;
    assert_eq!(entries.len(), 2);
    assert!(entries.iter().all(|e| e.reason.as_deref() == Some("Outage at the customer")), "{entries:?}");
    assert_eq!(
        entry::Entity::find().filter(entry::Column::Model.eq("ticket")).count(&app.db).await.unwrap(),
        2
    );
}

#[tokio::test]
async fn a_subject_change_alone_needs_no_reason() {
    let (app, mut c) = ticket_app().await;
    let page = c.get("/admin/ticket/").await;
    let mut form = list_form(&page);
    set(&mut form, 1, "subject", "Printer on floor 2");
    let review = c.post("/admin/ticket/list-edit", &refs(&form)).await;
    assert_eq!(review.status, 200, "{}", review.body);
    review.assert_lacks("name=\"_reason\"");
    let mut confirm = review_form(&review);
    confirm.push(("_confirmed".into(), "1".into()));
    let r = c.post("/admin/ticket/list-edit", &refs(&confirm)).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(ticket(&app, 1).await.subject, "Printer on floor 2");
}
