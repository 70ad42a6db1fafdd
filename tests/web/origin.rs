//! Requests that change something with the session cookie must come from the
//! console's own pages: `Origin` (or, without it, `Referer`) is checked against the
//! public URL (or the request's host) and the trusted origins; with neither header
//! the CSRF token decides; API tokens are not subject to it.

use admin_core::audit::Context;
use axum::Router;
use axum::body::Body;
use axum::http::{Request, header};
use ops_console::models::account;
use sea_orm::EntityTrait;
use tower::ServiceExt;

use super::support::{BOB, Client, Resp, TestApp};

/// A signed-in session: its cookie and CSRF token.
struct Session {
    cookie: String,
    csrf: String,
}

async fn session(c: &mut Client) -> Session {
    let csrf = c.csrf().await;
    Session { cookie: format!("opsadmin_session={}", c.cookie("opsadmin_session").unwrap()), csrf }
}

/// Posts a change of Bob's company with the session, its CSRF token and `headers`
/// (the record's current version read through `c`).
async fn post_edit(
    c: &mut Client,
    router: &Router,
    s: &Session,
    company: &str,
    headers: &[(&str, &str)],
) -> Resp {
    let (_, form) = c.edit_form(&format!("/admin/account/{BOB}")).await;
    let version = form.iter().find(|(k, _)| k == "_version").map(|(_, v)| v.clone()).unwrap_or_default();
    let mut body = form_urlencoded::Serializer::new(String::new());
    for (k, v) in [
        ("_version", version.as_str()),
        ("csrf_token", s.csrf.as_str()),
        ("email", "user2@globex-7-inc.example"),
        ("company", company),
        ("plan", "annual"),
        ("signup_at", "2026-02-20T09:30:00"),
        ("manual_review", "1"),
    ] {
        body.append_pair(k, v);
    }
    let mut req = Request::post(format!("/admin/account/{BOB}"))
        .header(header::ACCEPT, "text/html")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, &s.cookie);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = router.clone().oneshot(req.body(Body::from(body.finish())).unwrap()).await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20).await.unwrap();
    Resp { status, headers, body: String::from_utf8_lossy(&bytes).into_owned() }
}

async fn company(app: &TestApp) -> String {
    account::Entity::find_by_id(BOB).one(&app.db).await.unwrap().unwrap().company
}

#[tokio::test]
async fn a_form_posted_from_another_site_is_refused_even_with_a_valid_csrf_token() {
    let app = TestApp::new(0).await;
    let mut c = app.signed_in().await;
    let s = session(&mut c).await;
    let host = ("host", "ops.test:8000");

    // A foreign Origin: refused with a plain page, nothing saved.
    let r =
        post_edit(&mut c, &app.router, &s, "From evil", &[host, ("origin", "https://evil.example")]).await;
    assert_eq!(r.status, 403, "{}", r.body);
    r.assert_contains("did not come from this site");
    r.assert_contains("<main");
    assert_eq!(company(&app).await, "Globex 7 Inc");
    // `null` (a sandboxed frame, a data: page) is no origin of ours either.
    let r = post_edit(&mut c, &app.router, &s, "From null", &[host, ("origin", "null")]).await;
    assert_eq!(r.status, 403);
    // Only a foreign Referer: refused too.
    let r =
        post_edit(&mut c, &app.router, &s, "From evil", &[host, ("referer", "https://evil.example/page")])
            .await;
    assert_eq!(r.status, 403);
    assert_eq!(company(&app).await, "Globex 7 Inc");

    // The console's own origin, by Origin or by Referer: saved.
    let r =
        post_edit(&mut c, &app.router, &s, "Own origin", &[host, ("origin", "http://ops.test:8000")]).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(company(&app).await, "Own origin");
    let r = post_edit(
        &mut c,
        &app.router,
        &s,
        "Own referer",
        &[host, ("referer", "http://ops.test:8000/admin/account/2")],
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(company(&app).await, "Own referer");

    // Neither header: the CSRF token decides.
    let r = post_edit(&mut c, &app.router, &s, "No headers", &[host]).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(company(&app).await, "No headers");
    let forged = Session { cookie: s.cookie.clone(), csrf: "0".repeat(64) };
    let r = post_edit(&mut c, &app.router, &forged, "Forged", &[host]).await;
    assert_eq!(r.status, 403);
    r.assert_contains("This form has expired");
    assert_eq!(company(&app).await, "No headers");
}

#[tokio::test]
async fn the_public_url_decides_the_origin_when_it_is_set() {
    let mut app = TestApp::new(0).await;
    let config = opsadmin::web::Config {
        public_url: Some("https://ops.example.com".to_owned()),
        trusted_origins: vec!["https://proxy.example.com:8443".to_owned()],
        ..opsadmin::web::Config::default()
    };
    app.router = ops_console::app_with_config(app.db.clone(), config);
    let mut c = app.signed_in().await;
    let s = session(&mut c).await;
    // Behind a proxy the Host is internal: the public URL is what browsers send.
    let host = ("host", "10.0.0.5:8000");
    let r =
        post_edit(&mut c, &app.router, &s, "Via public URL", &[host, ("origin", "https://ops.example.com")])
            .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(company(&app).await, "Via public URL");
    // The Host's own origin is not the console's when a public URL is set.
    let r = post_edit(&mut c, &app.router, &s, "Via host", &[host, ("origin", "http://10.0.0.5:8000")]).await;
    assert_eq!(r.status, 403, "{}", r.body);
    let r =
        post_edit(&mut c, &app.router, &s, "Plain http", &[host, ("origin", "http://ops.example.com")]).await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(company(&app).await, "Via public URL");
    // A trusted origin is accepted.
    let r = post_edit(
        &mut c,
        &app.router,
        &s,
        "Via proxy",
        &[host, ("origin", "https://proxy.example.com:8443")],
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(company(&app).await, "Via proxy");
}

#[tokio::test]
async fn sign_in_from_another_site_is_refused() {
    let app = TestApp::new(0).await;
    let mut c = app.client();
    let page = c.get("/admin/login").await;
    let csrf = page.input_value("csrf_token").unwrap();
    let body = format!(
        "username={}&password={}&csrf_token={csrf}",
        super::support::USER,
        super::support::PASSWORD.replace(' ', "+")
    );
    let req = Request::post("/admin/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, format!("opsadmin_login_csrf={}", c.cookie("opsadmin_login_csrf").unwrap()))
        .header("host", "ops.test")
        .header("origin", "https://evil.example")
        .body(Body::from(body))
        .unwrap();
    let resp = app.router.clone().oneshot(req).await.unwrap();
    assert_eq!(resp.status(), 403);
    assert!(
        resp.headers()
            .get(header::SET_COOKIE)
            .is_none_or(|v| !v.to_str().unwrap().contains("opsadmin_session="))
    );
}

async fn api(router: &Router, headers: &[(&str, &str)]) -> (u16, serde_json::Value) {
    let mut req = Request::post("/admin/api/account/actions/mark_for_manual_review")
        .header(header::CONTENT_TYPE, "application/json")
        .header("host", "ops.test");
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = router.clone().oneshot(req.body(Body::from(r#"{"ids": [1]}"#)).unwrap()).await.unwrap();
    let status = resp.status().as_u16();
    let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20).await.unwrap();
    (status, serde_json::from_slice(&bytes).unwrap_or_default())
}

#[tokio::test]
async fn the_api_checks_the_origin_of_session_calls_but_not_of_token_calls() {
    let app = TestApp::new(0).await;
    let mut c = app.signed_in().await;
    let s = session(&mut c).await;
    let evil = ("origin", "https://evil.example");
    let (status, json) = api(&app.router, &[("cookie", &s.cookie), ("x-csrf-token", &s.csrf), evil]).await;
    assert_eq!((status, json["error"].as_str().unwrap_or_default()), (403, "origin_refused"), "{json}");
    let alice = account::Entity::find_by_id(super::support::ALICE).one(&app.db).await.unwrap().unwrap();
    assert!(!alice.manual_review, "nothing ran");
    let own = ("origin", "http://ops.test");
    let (status, json) = api(&app.router, &[("cookie", &s.cookie), ("x-csrf-token", &s.csrf), own]).await;
    assert_eq!(status, 200, "{json}");

    let roles = ops_console::roles::roles();
    let me = admin_core::auth::staff_by_name(&app.db, &roles, super::support::USER).await.unwrap();
    let token =
        admin_core::auth::create_api_token(&app.db, &Context::staff(&me), me.id, "script").await.unwrap();
    let bearer = format!("Bearer {token}");
    let (status, json) = api(&app.router, &[("authorization", &bearer), evil]).await;
    assert_eq!(status, 200, "a token is not sent by a browser on its own: {json}");
}
