//! Template overrides: embedded and from a directory, model-specific, refused when
//! late or broken, escaped like the built-ins; error pages in the site's layout.

use std::sync::Arc;

use opsadmin::web::{AdminState, Config, TemplateError};

use super::support::{Client, TestApp, client_for};

const TITLE: &str = "Acme ops";

/// The reference app's admin over `app`'s database, titled [`TITLE`] (or `title`).
fn state(app: &TestApp, title: &str) -> AdminState {
    let config = Config { site_title: title.to_owned(), ..Config::default() };
    ops_console::admin_state(app.db.clone(), Arc::new(ops_console::registry()), config)
}

/// Serves `state` from `app` from now on.
fn serve(app: &mut TestApp, state: AdminState) {
    app.router = ops_console::app_with_state(state);
}

/// The refusal of a registration that must fail.
#[track_caller]
fn refused(result: Result<AdminState, TemplateError>) -> TemplateError {
    result.err().expect("the override is refused")
}

/// A fresh directory under the system's temporary one, removed on drop.
struct TempDir(std::path::PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("opsadmin-templates-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    fn write(&self, name: &str, source: &str) {
        let path = self.0.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, source).unwrap();
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const FOOTER: &str = r#"{% extends "builtin/admin/base.html" %}
{% block footer %}<footer id="site-footer">On call: ops-oncall</footer>{% endblock %}"#;

#[tokio::test]
async fn a_block_override_of_the_layout_shows_on_every_page_and_keeps_the_rest() {
    let mut app = TestApp::new(0).await;
    let state = state(&app, TITLE).with_template("admin/base.html", FOOTER).unwrap();
    serve(&mut app, state);
    let mut staff = app.signed_in().await;
    for path in ["/admin/", "/admin/account/", "/admin/invoice/1", "/admin/audit"] {
        let page = staff.get(path).await;
        assert_eq!(page.status, 200, "{path}");
        page.assert_contains(r#"<footer id="site-footer">On call: ops-oncall</footer>"#);
        // The blocks not overridden are the built-in ones.
        page.assert_contains("Signed in as <strong>staff</strong>");
        page.assert_contains(&format!("· {TITLE}</title>"));
    }
    // Signed out, the sign-in page has the footer too.
    app.client().get("/admin/login").await.assert_contains(r#"<footer id="site-footer">"#);
}

#[tokio::test]
async fn a_model_specific_override_changes_that_model_only() {
    let mut app = TestApp::new(0).await;
    let state = state(&app, TITLE)
        .with_template(
            "admin/invoice/list.html",
            r#"{% extends "admin/list.html" %}
{% block crumbs %}{{ super() }} <span id="invoice-only">Billing desk</span>{% endblock %}"#,
        )
        .unwrap();
    serve(&mut app, state);
    let mut staff = app.signed_in().await;
    let invoices = staff.get("/admin/invoice/").await;
    assert_eq!(invoices.status, 200);
    invoices.assert_contains(r#"<span id="invoice-only">Billing desk</span>"#);
    // `super()` kept the built-in crumbs and the page is still the list.
    invoices.assert_contains("INV-00000001");
    let accounts = staff.get("/admin/account/").await;
    assert_eq!(accounts.status, 200);
    accounts.assert_lacks("invoice-only");
    accounts.assert_contains("user1@acme-42-ltd.example");
}

#[tokio::test]
async fn a_template_directory_overrides_by_path_and_embedded_overrides_win() {
    let dir = TempDir::new("dir");
    dir.write("admin/base.html", FOOTER);
    dir.write(
        "admin/account/detail.html",
        r#"{% extends "admin/detail.html" %}
{% block crumbs %}{{ super() }} <b id="from-dir">Account desk</b>{% endblock %}"#,
    );
    dir.write("admin/404.html", "from the directory, never shown");
    dir.write(".hidden/admin/list.html", "{% broken");
    let mut app = TestApp::new(0).await;
    let state = state(&app, TITLE)
        .with_template("admin/404.html", r#"{% extends "admin/error.html" %}"#)
        .unwrap()
        .with_template_dir(&dir.0)
        .unwrap();
    serve(&mut app, state);
    let mut staff = app.signed_in().await;
    let account = staff.get("/admin/account/1").await;
    assert_eq!(account.status, 200);
    account.assert_contains(r#"<b id="from-dir">Account desk</b>"#);
    account.assert_contains(r#"<footer id="site-footer">"#);
    let invoice = staff.get("/admin/invoice/1").await;
    invoice.assert_lacks("from-dir");
    invoice.assert_contains(r#"<footer id="site-footer">"#);
    // The embedded `admin/404.html` wins over the directory's.
    let missing = staff.get("/admin/no/such/page").await;
    assert_eq!(missing.status, 404);
    missing.assert_lacks("never shown");
    missing.assert_contains("There is no such page.");
    // Files were read at start-up: removing them changes nothing.
    drop(dir);
    staff.get("/admin/account/2").await.assert_contains(r#"id="from-dir""#);
}

#[tokio::test]
async fn an_override_after_the_first_page_is_refused_not_ignored() {
    let mut app = TestApp::new(0).await;
    let state = state(&app, TITLE);
    serve(&mut app, state.clone());
    let mut staff = app.signed_in().await;
    assert_eq!(staff.get("/admin/").await.status, 200);

    let late = refused(state.clone().with_template("admin/base.html", FOOTER));
    assert!(matches!(late, TemplateError::Late { ref name } if name == "admin/base.html"), "{late:?}");
    let late = state.templates.set_override("admin/account/list.html", "late");
    assert!(matches!(late, Err(TemplateError::Late { .. })), "{late:?}");
    let dir = TempDir::new("late");
    dir.write("admin/base.html", FOOTER);
    let late = refused(state.clone().with_template_dir(&dir.0));
    assert!(matches!(late, TemplateError::Late { .. }), "{late:?}");
    let message = late.to_string();
    assert!(message.contains("while building the AdminState"), "{message}");

    // Nothing of it reached the pages.
    let page = staff.get("/admin/account/").await;
    assert_eq!(page.status, 200);
    page.assert_lacks("site-footer");
}

#[tokio::test]
async fn a_broken_override_is_refused_when_registered() {
    let app = TestApp::new(0).await;
    let syntax =
        refused(state(&app, TITLE).with_template("admin/list.html", "{% block content %}never closed"));
    assert!(
        matches!(syntax, TemplateError::Syntax { ref name, .. } if name == "admin/list.html"),
        "{syntax:?}"
    );
    let itself = state(&app, TITLE).with_template("admin/base.html", r#"{% extends "admin/base.html" %}"#);
    let message = itself.err().expect("an override extending itself is refused").to_string();
    assert!(message.contains("builtin/admin/base.html"), "{message}");
    let builtin = refused(state(&app, TITLE).with_template("builtin/admin/base.html", "x"));
    assert!(matches!(builtin, TemplateError::Syntax { .. }), "{builtin:?}");
    let missing = refused(state(&app, TITLE).with_template_dir("/nonexistent/opsadmin-templates"));
    assert!(matches!(missing, TemplateError::Directory { .. }), "{missing:?}");
    let dir = TempDir::new("broken");
    dir.write("admin/account/list.html", "{{ unclosed");
    let broken = state(&app, TITLE).with_template_dir(&dir.0);
    let message = broken.err().expect("a broken file is refused").to_string();
    assert!(message.contains("admin/account/list.html"), "{message}");
}

/// Asserts the page is in the site's layout with the signed-in header of `user`.
#[track_caller]
fn assert_signed_in_layout(page: &super::support::Resp, title: &str, user: &str) {
    page.assert_contains(&format!("<title>{title} · {TITLE}</title>"));
    page.assert_contains(&format!(r#"<a class="brand" href="/admin/">{TITLE}</a>"#));
    page.assert_contains(&format!("Signed in as <strong>{user}</strong>"));
    page.assert_contains(r#"<nav class="models" aria-label="Models">"#);
}

#[tokio::test]
async fn error_pages_have_the_site_title_the_signed_in_header_and_the_overrides() {
    let mut app = TestApp::new(0).await;
    let state = state(&app, TITLE).with_template("admin/base.html", FOOTER).unwrap();
    serve(&mut app, state);
    let mut staff = app.signed_in().await;
    // No route at all, and a route whose model does not exist.
    for path in ["/admin/no/such/page", "/admin/nomodel/", "/admin/account/999999"] {
        let page = staff.get(path).await;
        assert_eq!(page.status, 404, "{path}");
        assert_signed_in_layout(&page, "Not found", "staff");
        page.assert_contains(r#"<footer id="site-footer">"#);
        page.assert_contains(r#"<a href="/admin/account/">Accounts</a>"#);
    }
    staff.get("/admin/account/999999").await.assert_contains("There is no account with id 999999.");
    // Signed out: the site's title and layout, no header.
    let page = app.client().get("/admin/no/such/page").await;
    assert_eq!(page.status, 404);
    page.assert_contains(&format!("<title>Not found · {TITLE}</title>"));
    page.assert_contains(r#"<footer id="site-footer">"#);
    page.assert_lacks("Signed in as");
}

#[tokio::test]
async fn a_refusal_keeps_the_layout_and_says_who_can() {
    let mut app = TestApp::new(0).await;
    let state = state(&app, TITLE);
    serve(&mut app, state);
    let mut viewer: Client = client_for(&app, "vera", "viewer").await;
    let page = viewer.get("/admin/account/1/delete").await;
    assert_eq!(page.status, 403);
    assert_signed_in_layout(&page, "Not allowed", "vera");
    page.assert_contains("You can view accounts but not delete them. Ask someone with the admin role.");
    page.assert_lacks("account.delete");
    // The viewer's navigation, not an admin's.
    page.assert_lacks(r#"href="/admin/staff/""#);
    // A form that fails its CSRF check is refused in the layout as well.
    let page = viewer.post("/admin/account/1", &[("csrf_token", "wrong")]).await;
    assert_eq!(page.status, 403);
    assert_signed_in_layout(&page, "Form expired", "vera");
    // So is a sign-in form posted without its token, with the site's title.
    let page = app.client().post("/admin/login", &[("username", "x"), ("password", "y")]).await;
    assert_eq!(page.status, 403);
    page.assert_contains(&format!("<title>Form expired · {TITLE}</title>"));
}

#[tokio::test]
async fn an_error_page_of_its_own_can_be_given_per_status() {
    let mut app = TestApp::new(0).await;
    let state = state(&app, TITLE)
        .with_template(
            "admin/404.html",
            r#"{% extends "admin/error.html" %}
{% block content %}<p id="lost">{{ message }} ({{ status }})</p>{% endblock %}"#,
        )
        .unwrap();
    serve(&mut app, state);
    let mut staff = app.signed_in().await;
    let page = staff.get("/admin/nothing/here/at-all").await;
    assert_eq!(page.status, 404);
    page.assert_contains(r#"<p id="lost">There is no such page. (404)</p>"#);
    assert_signed_in_layout(&page, "Not found", "staff");
    // Other statuses keep the general error page.
    let mut viewer = client_for(&app, "vera", "viewer").await;
    let refused = viewer.get("/admin/account/1/delete").await;
    assert_eq!(refused.status, 403);
    refused.assert_lacks("id=\"lost\"");
}

#[tokio::test]
async fn overrides_escape_html_like_the_built_in_templates() {
    let dir = TempDir::new("escape");
    dir.write(
        "admin/account/list.html",
        r#"{% extends "admin/list.html" %}
{% block crumbs %}<span id="dir-title">{{ base.site_title }}</span>{% endblock %}"#,
    );
    let mut app = TestApp::new(0).await;
    let title = "<script>alert(1)</script>Acme";
    let state = state(&app, title)
        .with_template(
            "admin/base.html",
            r#"{% extends "builtin/admin/base.html" %}
{% block footer %}<footer>{{ base.site_title }} / {{ base.user }}</footer>{% endblock %}"#,
        )
        .unwrap()
        .with_template_dir(&dir.0)
        .unwrap();
    serve(&mut app, state);
    let mut staff = app.signed_in().await;
    let page = staff.get("/admin/account/").await;
    assert_eq!(page.status, 200);
    let escaped = "&lt;script&gt;alert(1)&lt;/script&gt;Acme";
    page.assert_contains(&format!("<footer>{escaped} / staff</footer>"));
    page.assert_contains(&format!(r#"<span id="dir-title">{escaped}</span>"#));
    page.assert_lacks("<script>alert(1)</script>");
}
