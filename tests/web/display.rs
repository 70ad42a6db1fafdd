//! Display names (`#[admin(display = "...")]`, `display_with`): records are named
//! by them in titles, breadcrumbs, foreign-key cells and links, history, the audit
//! log, approvals, action pages, global search and CSV, on both backends. The
//! reference app names accounts "{company} <{email}>", invoices "{number} for
//! account {account_id}" and email jobs by a function ("Welcome email to account 1").

use super::support::{ALICE, TestApp, client_for};

/// Alice's account by its display name, as HTML escapes it (the `<` and `>` of the
/// template are text, never markup).
const ALICE_HTML: &str = "Acme 42 Ltd &lt;user1@acme-42-ltd.example&gt;";
/// The same name as text (CSV).
const ALICE_TEXT: &str = "Acme 42 Ltd <user1@acme-42-ltd.example>";

#[tokio::test]
async fn a_record_page_is_titled_by_its_display_name() {
    let app = TestApp::new(0).await;
    let mut c = app.signed_in().await;
    let r = c.get(&format!("/admin/account/{ALICE}")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.assert_contains(&format!("<title>{ALICE_HTML} · Ops console</title>"));
    r.assert_contains(&format!(
        "<a href=\"/admin/account/\">Accounts</a> › <span aria-current=\"page\">{ALICE_HTML}</span>"
    ));
    r.assert_contains(&format!("<h1>{ALICE_HTML}</h1>"));
    r.assert_lacks("<h1>Account 1</h1>");
    // A name made by a function (`display_with`), choices by their label.
    let job = c.get("/admin/email_job/1").await;
    job.assert_contains("<h1>Welcome email to account 1</h1>");
    let invoice = c.get("/admin/invoice/1").await;
    invoice.assert_contains("<h1>INV-00000001 for account 1</h1>");
}

#[tokio::test]
async fn foreign_keys_show_the_name_of_the_record_they_refer_to_and_link_to_it() {
    let app = TestApp::new(0).await;
    let mut c = app.signed_in().await;
    let list = c.get("/admin/invoice/").await;
    assert_eq!(list.status, 200, "{}", list.body);
    let link = format!("<a href=\"/admin/account/{ALICE}\">{ALICE_HTML}</a>");
    assert_eq!(list.body.matches(&link).count(), 2, "both invoices name their account: {}", list.body);
    list.assert_lacks(&format!("<a href=\"/admin/account/{ALICE}\">1</a>"));

    let jobs = c.get("/admin/email_job/").await;
    jobs.assert_contains(&link);

    // On the record page, the editable key keeps its id in the control and names
    // the record beside it; read-only it is the named link.
    let invoice = c.get("/admin/invoice/1").await;
    invoice.assert_contains("name=\"account_id\" value=\"1\"");
    invoice.assert_contains(&format!("<a class=\"fk\" href=\"/admin/account/{ALICE}\">{ALICE_HTML}</a>"));
    let mut viewer = client_for(&app, "vic", "viewer").await;
    let read_only = viewer.get("/admin/invoice/1").await;
    assert_eq!(read_only.status, 200, "{}", read_only.body);
    read_only.assert_contains(&link);

    // The account's page lists its invoices and jobs by their own names' pages.
    let account = c.get(&format!("/admin/account/{ALICE}")).await;
    account.assert_contains("href=\"/admin/invoice/1\"");
    account.assert_contains("href=\"/admin/email_job/1\"");
}

#[tokio::test]
async fn a_caller_who_may_not_view_the_target_sees_the_id_not_its_name() {
    let app = TestApp::new(0).await;
    // Finance views invoices but not accounts: a name would leak what the key hides.
    let mut fay = client_for(&app, "fay", "finance").await;
    let list = fay.get("/admin/invoice/").await;
    assert_eq!(list.status, 200, "{}", list.body);
    list.assert_contains(&format!("<a href=\"/admin/account/{ALICE}\">1</a>"));
    list.assert_lacks("Acme 42 Ltd");
    let csv = fay.get("/admin/invoice/export.csv").await;
    assert_eq!(csv.status, 200, "{}", csv.body);
    let header = csv.body.lines().next().unwrap();
    assert!(!header.contains("Account name"), "{header}");
    assert!(!csv.body.contains("Acme 42 Ltd"), "{}", csv.body);
}

#[tokio::test]
async fn csv_exports_keep_the_id_and_add_the_name_beside_it() {
    let app = TestApp::new(0).await;
    let mut c = app.signed_in().await;
    let csv = c.get("/admin/invoice/export.csv").await;
    assert_eq!(csv.status, 200, "{}", csv.body);
    let mut lines = csv.body.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let at = header.iter().position(|h| *h == "Account").expect("the id column stays");
    assert_eq!(header[at + 1], "Account name", "{header:?}");
    let row = lines.find(|l| l.starts_with("1,")).expect("invoice 1");
    assert!(row.contains(&format!(",1,{ALICE_TEXT},")), "{row}");
}

#[tokio::test]
async fn history_and_the_audit_log_name_the_record() {
    let app = TestApp::new(0).await;
    let mut c = app.signed_in().await;
    let (_, mut form) = c.edit_form(&format!("/admin/account/{ALICE}")).await;
    for (k, v) in [
        ("email", "user1@acme-42-ltd.example"),
        ("company", "Acme Renamed"),
        ("plan", "trial"),
        ("signup_at", "2026-01-10T09:30:00"),
        ("welcome_email_sent", "0"),
        ("manual_review", "0"),
        ("locked", "0"),
    ] {
        form.push((k.to_owned(), v.to_owned()));
    }
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let saved = c.post(&format!("/admin/account/{ALICE}"), &pairs).await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let renamed = "Acme Renamed &lt;user1@acme-42-ltd.example&gt;";

    let history = c.get(&format!("/admin/account/{ALICE}/history")).await;
    assert_eq!(history.status, 200, "{}", history.body);
    history.assert_contains(&format!("<h1>History of {renamed}</h1>"));
    history.assert_contains(&format!("<a href=\"/admin/account/{ALICE}\">{renamed}</a> › "));

    // The log names the record by its name now; the entry itself keeps the key,
    // so the chain verifies as before.
    let log = c.get("/admin/audit?model=account").await;
    assert_eq!(log.status, 200, "{}", log.body);
    log.assert_contains(&format!("<a href=\"/admin/account/{ALICE}\">{renamed}</a>"));
    let service = opsadmin::Service::new(app.db.clone(), ops_console::registry());
    let verdict = service.audit_verify(&opsadmin::Caller::system("test")).await.unwrap();
    assert!(matches!(verdict, opsadmin::audit::Verdict::Intact { .. }), "{verdict:?}");
}

#[tokio::test]
async fn action_confirmation_and_run_pages_name_the_records() {
    let app = TestApp::new(0).await;
    let mut sue = client_for(&app, "sue", "support").await;
    let csrf = sue.csrf().await;
    const MARK: &str = "/admin/account/actions/mark_for_manual_review";
    // Bob (2) is already marked: blocked, and named so.
    let page = sue.post(MARK, &[("csrf_token", &csrf), ("ids", "1"), ("ids", "2")]).await;
    assert_eq!(page.status, 200, "{}", page.body);
    page.assert_contains(&format!("<a href=\"/admin/account/{ALICE}\">{ALICE_HTML}</a>"));
    page.assert_contains("<a href=\"/admin/account/2\">Globex 7 Inc &lt;user2@globex-7-inc.example&gt;</a>:");
    let form = [("csrf_token", csrf.as_str()), ("ids", "1"), ("confirm", "1"), ("reason", "check")];
    let r = sue.post(MARK, &form).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let run = sue.get(r.location()).await;
    assert_eq!(run.status, 200, "{}", run.body);
    run.assert_contains(&format!("<a href=\"/admin/account/{ALICE}\">{ALICE_HTML}</a>:"));
    run.assert_lacks("Account 1</a>");
}

#[tokio::test]
async fn approval_pages_name_the_records() {
    let app = TestApp::new(0).await;
    let mut fay = client_for(&app, "fay", "finance").await;
    let csrf = fay.csrf().await;
    let form = [("csrf_token", csrf.as_str()), ("ids", "1"), ("confirm", "1"), ("reason", "double charge")];
    let r = fay.post("/admin/invoice/actions/refund_invoice", &form).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let mut fin = client_for(&app, "fin", "finance").await;
    let request = fin.get(r.location()).await;
    assert_eq!(request.status, 200, "{}", request.body);
    request.assert_contains("INV-00000001 for account 1 ($49.00)");
    request.assert_lacks("INV-00000001 ($49.00) for account 1");
}

#[tokio::test]
async fn global_search_names_what_it_found() {
    let app = TestApp::new(0).await;
    let mut c = app.signed_in().await;
    let r = c.get("/admin/search?q=globex").await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.assert_contains("Globex 7 Inc &lt;user2@globex-7-inc.example&gt;");
}
