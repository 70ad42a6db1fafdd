//! Refusals that guide: a refused person keeps the layout and the navigation and
//! is told, in plain words, who can do it (the roles that grant it), never a
//! permission code; the code stays available to scripts (the API's `permission`
//! field). Read-only screens say why once, and fields a role may not change say
//! who can. On SQLite, or PostgreSQL with `OPSADMIN_TEST_DB=postgres`.

use serde_json::json;

use super::support::{Client, Resp, TestApp, api, client_for, html_unescape, token_for};

/// The refusal of a refund to anyone but finance (and admins), as the reference
/// app's roles word it.
const REFUND_REFUSED: &str = "You cannot run \u{201c}Refund invoice\u{201d} on invoices: that is done by finance. Ask someone with the finance role.";

/// The refused page is a full page of the console: the header, the user's
/// navigation and the heading, with `sentence` and no permission code.
fn assert_guiding_refusal(page: &Resp, user: &str, sentence: &str, code: &str) {
    assert_eq!(page.status, 403, "{}", page.body);
    let body = html_unescape(&page.body);
    assert!(body.contains(r#"<nav class="models" aria-label="Models">"#), "the navigation stays: {body}");
    assert!(body.contains(&format!("Signed in as <strong>{user}</strong>")), "the header stays: {body}");
    assert!(body.contains("<h1>Not allowed</h1>"), "{body}");
    assert!(body.contains(sentence), "expected {sentence:?} in {body}");
    assert!(!body.contains(code), "the permission code {code} is not for the reader: {body}");
    assert!(!body.contains(" permission."), "no permission talk: {body}");
}

async fn post_action(c: &mut Client, path: &str, pairs: &[(&str, &str)]) -> Resp {
    let csrf = c.csrf().await;
    let mut form = vec![("csrf_token", csrf.as_str())];
    form.extend_from_slice(pairs);
    c.post(path, &form).await
}

#[tokio::test]
async fn a_support_user_refused_a_refund_keeps_the_navigation_and_is_sent_to_finance() {
    let app = TestApp::new(0).await;
    let mut sue = client_for(&app, "sue", "support").await;
    // Asking for the confirmation page and confirming are refused alike.
    for pairs in [&[("ids", "1")][..], &[("ids", "1"), ("confirm", "1"), ("reason", "Customer asked")][..]] {
        let page = post_action(&mut sue, "/admin/invoice/actions/refund_invoice", pairs).await;
        assert_guiding_refusal(&page, "sue", REFUND_REFUSED, "invoice.action.refund_invoice");
        // Support's own menu: what they may view, not the admin's pages.
        page.assert_contains(r#"href="/admin/invoice/""#);
        page.assert_lacks(r#"href="/admin/audit""#);
    }
    // The invoice list offers support no refund button to begin with.
    let list = sue.get("/admin/invoice/").await;
    assert_eq!(list.status, 200);
    list.assert_lacks("Refund invoice");
}

#[tokio::test]
async fn a_viewer_refused_a_delete_is_told_who_can_on_the_page_and_on_the_form() {
    let app = TestApp::new(0).await;
    let mut vic = client_for(&app, "vic", "viewer").await;
    let sentence = "You can view accounts but not delete them. Ask someone with the admin role.";
    let page = vic.get("/admin/account/1/delete").await;
    assert_guiding_refusal(&page, "vic", sentence, "account.delete");
    let page = post_action(&mut vic, "/admin/account/1/delete", &[("confirm", "1")]).await;
    assert_guiding_refusal(&page, "vic", sentence, "account.delete");
    // The record page hides the controls the viewer cannot use and says once why
    // the record is read-only, and who can change it.
    let detail = vic.get("/admin/account/1").await;
    assert_eq!(detail.status, 200);
    detail.assert_lacks("Delete…");
    detail.assert_lacks(r#"<button type="submit" class="primary">Save</button>"#);
    detail.assert_contains("You can view accounts but not change them. Ask someone with the support role.");
}

#[tokio::test]
async fn a_field_read_only_for_a_role_says_who_can_change_it() {
    let app = TestApp::new(0).await;
    let mut sue = client_for(&app, "sue", "support").await;
    let page = sue.get("/admin/account/1").await;
    assert_eq!(page.status, 200);
    // Support may change the account, but not its plan: the plan says who can.
    page.assert_contains(r#"<button type="submit" class="primary">Save</button>"#);
    page.assert_contains(r#"<p class="help readonly-why" id="id_plan_why">Read-only for your role. Ask someone with the admin role.</p>"#);
    page.assert_contains(r#"title="Read-only for your role. Ask someone with the admin role.""#);
    // Fields support may change carry no such hint, and the page no read-only note.
    page.assert_lacks(r#"id="id_company_why""#);
    page.assert_lacks("but not change them");
}

#[tokio::test]
async fn the_api_refusal_names_who_can_and_keeps_the_permission_for_scripts() {
    let app = TestApp::new(0).await;
    let token = token_for(&app, "sue", Some("support")).await;
    let (status, body) = api(
        &app,
        &token,
        "/admin/api/invoice/actions/refund_invoice",
        json!({ "ids": [1], "reason": "Customer asked" }),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"], "forbidden");
    assert_eq!(body["message"], REFUND_REFUSED);
    assert_eq!(body["permission"], "invoice.action.refund_invoice");
    // Other errors carry no permission.
    let (status, body) =
        api(&app, &token, "/admin/api/account/actions/mark_for_manual_review", json!({ "ids": [] })).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.get("permission").is_none(), "{body}");
}

#[tokio::test]
async fn the_command_line_refusal_names_who_can() {
    let app = TestApp::new(0).await;
    opsadmin::auth::create_user(&app.db, "sue", super::support::PASSWORD, &["support"], false).await.unwrap();
    let args = ops_console::cli::ActionArgs {
        model: "invoice".into(),
        action: "refund_invoice".into(),
        ids: vec!["1".into()],
        user: "sue".into(),
        reason: Some("Customer asked".into()),
        input: Vec::new(),
        idempotency_key: None,
        database_url: None,
        all_matching: None,
        no_wait: false,
    };
    let registry = ops_console::registry();
    let err = ops_console::commands::action(&app.db, &registry, &ops_console::roles::roles(), &args)
        .await
        .unwrap_err();
    assert_eq!(err.code, ops_console::commands::EXIT_REFUSED);
    assert_eq!(err.message, REFUND_REFUSED);
}

#[tokio::test]
async fn when_no_role_grants_it_the_refusal_says_a_superuser_can() {
    // The field rules of the reference app name `support`: it must be declared.
    let roles = opsadmin::Roles::new().role("viewer", "Looks", &["*.view"]).role(
        "support",
        "Reads",
        &["account.view"],
    );
    let app = TestApp::with_roles(roles).await;
    let mut vic = client_for(&app, "vic", "viewer").await;
    let page = vic.get("/admin/account/new").await;
    assert_guiding_refusal(
        &page,
        "vic",
        "You can view accounts but not add them. No role can do this; a superuser can.",
        "account.add",
    );
    let page = vic.get("/admin/audit").await;
    assert_guiding_refusal(
        &page,
        "vic",
        "You cannot view the audit log. No role can do this; a superuser can.",
        "audit.view",
    );
}
