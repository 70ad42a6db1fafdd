//! One authenticator for the screens, the JSON API (session or token) and the
//! command line: the same rules give the same answers on every channel; and the
//! API's manners (the `Bearer` scheme in any case, `WWW-Authenticate` on a 401, a
//! JSON body with a stable `error` code for every failure).

use admin_core::audit::{Context, entry};
use admin_core::db::entities::{session, staff_user};
use axum::body::Body;
use axum::http::{Request, header};
use ops_console::models::invoice;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use tower::ServiceExt;

use super::support::{Client, TestApp};

const PASSWORD: &str = "a long enough pass phrase";

/// A secret that makes a user count as enrolled in two-factor sign-in.
const TOTP_SECRET: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

/// The console's roles plus `clerk`, who may mark accounts for review and void
/// invoices (an action that asks for a recent sign-in); `admin` must use two-factor
/// sign-in, `clerk` need not.
fn roles() -> opsadmin::Roles {
    ops_console::roles::roles()
        .role(
            "clerk",
            "Marks accounts and voids invoices.",
            &[
                "account.view",
                "account.action.mark_for_manual_review",
                "invoice.view",
                "invoice.action.void_invoice",
            ],
        )
        .require_two_factor("admin")
}

/// The state a user is in when they call.
#[derive(Clone, Copy, Debug)]
enum Case {
    /// Two-factor sign-in set up; a fresh sign-in.
    Enrolled,
    /// No second factor set up.
    NotEnrolled,
    /// Enrolled, but the sign-in is old and the request asks for a recent one.
    Stale,
    /// The user was deactivated after signing in and making a token.
    Deactivated,
    /// The user's API token was revoked.
    RevokedToken,
}

/// What came back, in a few words: the status, then where a redirect goes (without
/// its query) or the JSON error code.
async fn outcome(resp: axum::response::Response) -> String {
    let status = resp.status().as_u16();
    let location = resp.headers().get(header::LOCATION).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20).await.unwrap();
    if let Some(loc) = location {
        return format!("{status} {}", loc.split('?').next().unwrap_or_default());
    }
    let json: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
    match json["error"].as_str() {
        Some(code) => format!("{status} {code}"),
        None => status.to_string(),
    }
}

struct Caller {
    client: Client,
    csrf: String,
    token: String,
}

async fn caller(app: &TestApp, name: &str, role: &str, case: Case) -> Caller {
    opsadmin::auth::create_user(&app.db, name, PASSWORD, &[role], false).await.unwrap();
    let mut client = app.client();
    assert_eq!(client.sign_in(name, PASSWORD).await.status, 303, "{name} signs in");
    let staff = admin_core::auth::staff_by_name(&app.db, &roles(), name).await.unwrap();
    let token = admin_core::auth::create_api_token(&app.db, &Context::staff(&staff), staff.id, "script")
        .await
        .unwrap();
    // The CSRF token of the session, read before anything is refused.
    let csrf = admin_core::db::entities::session::Entity::find()
        .filter(session::Column::UserId.eq(staff.id))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .csrf_token;
    let user = staff_user::Entity::update_many().filter(staff_user::Column::Id.eq(staff.id));
    match case {
        Case::Enrolled | Case::Stale | Case::Deactivated | Case::RevokedToken => {
            user.col_expr(staff_user::Column::TotpSecret, Expr::val(TOTP_SECRET))
                .exec(&app.db)
                .await
                .unwrap();
        }
        Case::NotEnrolled => {}
    }
    match case {
        Case::Stale => {
            session::Entity::update_many()
                .col_expr(
                    session::Column::AuthenticatedAt,
                    Expr::val(chrono::Utc::now().naive_utc() - chrono::Duration::hours(3)),
                )
                .filter(session::Column::UserId.eq(staff.id))
                .exec(&app.db)
                .await
                .unwrap();
        }
        Case::Deactivated => {
            staff_user::Entity::update_many()
                .col_expr(staff_user::Column::IsActive, Expr::val(false))
                .filter(staff_user::Column::Id.eq(staff.id))
                .exec(&app.db)
                .await
                .unwrap();
        }
        Case::RevokedToken => {
            let id = admin_core::auth::api_tokens(&app.db, Some(staff.id)).await.unwrap()[0].id;
            admin_core::auth::revoke_api_token(&app.db, &Context::staff(&staff), id).await.unwrap();
        }
        Case::Enrolled | Case::NotEnrolled => {}
    }
    Caller { client, csrf, token }
}

/// The request each case is about: a recent-sign-in action for `Stale`, an ordinary
/// one otherwise.
fn api_call(case: Case) -> (&'static str, &'static str) {
    match case {
        Case::Stale => ("/admin/api/invoice/actions/void_invoice", r#"{"ids": [2], "reason": "Sent twice"}"#),
        _ => ("/admin/api/account/actions/mark_for_manual_review", r#"{"ids": [1], "reason": "Check"}"#),
    }
}

async fn screen(app: &TestApp, c: &Caller, case: Case) -> String {
    let cookie = format!("opsadmin_session={}", c.client.cookie("opsadmin_session").unwrap());
    let req = match case {
        Case::Stale => {
            let body = format!("csrf_token={}&confirm=1&ids=2&reason=Sent+twice", c.csrf);
            Request::post("/admin/invoice/actions/void_invoice")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::ACCEPT, "text/html")
                .header(header::COOKIE, cookie)
                .body(Body::from(body))
                .unwrap()
        }
        _ => Request::get("/admin/account/")
            .header(header::ACCEPT, "text/html")
            .header(header::COOKIE, cookie)
            .body(Body::empty())
            .unwrap(),
    };
    outcome(app.router.clone().oneshot(req).await.unwrap()).await
}

async fn api_with_session(app: &TestApp, c: &Caller, case: Case) -> String {
    let (path, body) = api_call(case);
    let req = Request::post(path)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::COOKIE, format!("opsadmin_session={}", c.client.cookie("opsadmin_session").unwrap()))
        .header("x-csrf-token", &c.csrf)
        .body(Body::from(body))
        .unwrap();
    outcome(app.router.clone().oneshot(req).await.unwrap()).await
}

async fn api_with_token(app: &TestApp, c: &Caller, case: Case) -> String {
    let (path, body) = api_call(case);
    let req = Request::post(path)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::AUTHORIZATION, format!("Bearer {}", c.token))
        .body(Body::from(body))
        .unwrap();
    outcome(app.router.clone().oneshot(req).await.unwrap()).await
}

/// role × case → what the screen, the API with the session, and the API with a
/// token answer.
const TABLE: &[(&str, Case, [&str; 3])] = &[
    ("admin", Case::Enrolled, ["200", "200", "200"]),
    (
        "admin",
        Case::NotEnrolled,
        ["303 /admin/me/two-factor", "403 two_factor_required", "403 two_factor_required"],
    ),
    ("admin", Case::Stale, ["303 /admin/me/confirm", "403 recent_auth_required", "403 recent_auth_required"]),
    ("admin", Case::Deactivated, ["303 /admin/login", "401 unauthenticated", "401 unauthenticated"]),
    ("admin", Case::RevokedToken, ["200", "200", "401 unauthenticated"]),
    ("clerk", Case::Enrolled, ["200", "200", "200"]),
    ("clerk", Case::NotEnrolled, ["200", "200", "200"]),
    ("clerk", Case::Stale, ["303 /admin/me/confirm", "403 recent_auth_required", "403 recent_auth_required"]),
    ("clerk", Case::Deactivated, ["303 /admin/login", "401 unauthenticated", "401 unauthenticated"]),
    ("clerk", Case::RevokedToken, ["200", "200", "401 unauthenticated"]),
];

#[tokio::test]
async fn screens_the_api_and_tokens_apply_the_same_sign_in_rules() {
    let app = TestApp::with_roles(roles()).await;
    let mut failures = Vec::new();
    for (n, (role, case, expected)) in TABLE.iter().enumerate() {
        let c = caller(&app, &format!("{role}-{n}"), role, *case).await;
        let got = [api_with_session(&app, &c, *case).await, api_with_token(&app, &c, *case).await];
        // The screen last: a refused API call must not have changed what it sees.
        let got = [screen(&app, &c, *case).await, got[0].clone(), got[1].clone()];
        for (channel, (want, got)) in
            ["screen", "API with session", "API with token"].iter().zip(expected.iter().zip(&got))
        {
            if want != got {
                failures.push(format!("{role} {case:?} {channel}: expected {want}, got {got}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Every stale call was refused before it ran: the invoice is still open.
    let inv = invoice::Entity::find_by_id(2).one(&app.db).await.unwrap().unwrap();
    assert_eq!(inv.status, "open");
    let voids =
        entry::Entity::find().filter(entry::Column::Kind.eq("action:void_invoice")).all(&app.db).await;
    assert!(voids.unwrap().is_empty());
}

#[tokio::test]
async fn the_command_line_acts_only_as_an_active_user() {
    let app = TestApp::with_roles(roles()).await;
    opsadmin::auth::create_user(&app.db, "cleo", PASSWORD, &["clerk"], false).await.unwrap();
    let config = opsadmin::auth::AuthConfig { roles: std::sync::Arc::new(roles()), ..Default::default() };
    let who = admin_core::auth::local_identity(&app.db, &config, "cleo").await.unwrap();
    assert_eq!(who.staff.username, "cleo");
    assert!(who.proof.is_recent());
    staff_user::Entity::update_many()
        .col_expr(staff_user::Column::IsActive, Expr::val(false))
        .filter(staff_user::Column::Username.eq("cleo"))
        .exec(&app.db)
        .await
        .unwrap();
    let err = admin_core::auth::local_identity(&app.db, &config, "cleo").await.unwrap_err();
    assert_eq!(err.to_string(), "There is no active staff user named \u{201c}cleo\u{201d}.");
}

/// Sends a POST to the API and returns the status, the headers and the JSON body.
async fn call(
    app: &TestApp,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, axum::http::HeaderMap, serde_json::Value) {
    let mut req =
        Request::builder().method(method).uri(path).header(header::CONTENT_TYPE, "application/json");
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = app.router.clone().oneshot(req.body(Body::from(body.to_owned())).unwrap()).await.unwrap();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20).await.unwrap();
    let json = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| panic!("{method} {path}: not JSON: {}", String::from_utf8_lossy(&bytes)));
    (status, headers, json)
}

#[tokio::test]
async fn the_api_takes_bearer_in_any_case_and_answers_every_error_in_json() {
    let app = TestApp::new(0).await;
    let roles = ops_console::roles::roles();
    let me = admin_core::auth::staff_by_name(&app.db, &roles, super::support::USER).await.unwrap();
    let token =
        admin_core::auth::create_api_token(&app.db, &Context::staff(&me), me.id, "script").await.unwrap();
    let mark = "/admin/api/account/actions/mark_for_manual_review";
    for scheme in ["Bearer", "bearer", "BEARER"] {
        let auth = format!("{scheme} {token}");
        let (status, _, json) =
            call(&app, "POST", mark, &[("authorization", &auth)], r#"{"ids": [1]}"#).await;
        assert_eq!(status, 200, "{scheme}: {json}");
    }
    let bearer = format!("Bearer {token}");
    let auth = [("authorization", bearer.as_str())];

    // A 401 says how to authenticate.
    for headers in
        [&[][..], &[("authorization", "Bearer oat_nope")][..], &[("authorization", "Basic YTpi")][..]]
    {
        let (status, h, json) = call(&app, "POST", mark, headers, r#"{"ids": [1]}"#).await;
        assert_eq!(status, 401, "{json}");
        assert_eq!(h.get(header::WWW_AUTHENTICATE).unwrap(), "Bearer realm=\"opsadmin\"");
        assert_eq!(json["error"], "unauthenticated");
        assert!(json["message"].as_str().unwrap().contains("Bearer"), "{json}");
    }

    // Every other failure: its code, a sentence, and the fields at fault.
    let cases: &[(&str, &str, &str, u16, &str)] = &[
        ("POST", "/admin/api/nothing/actions/x", r#"{"ids": [1]}"#, 404, "not_found"),
        ("POST", "/admin/api/account/actions/no_such_action", r#"{"ids": [1]}"#, 404, "not_found"),
        ("POST", mark, "not json", 400, "bad_request"),
        ("POST", mark, r#"{"ids": "all"}"#, 400, "bad_request"),
        (
            "POST",
            "/admin/api/account/actions/lock_account",
            r#"{"ids": [3], "input": {"kind": "fraud"}}"#,
            400,
            "invalid",
        ),
        ("GET", mark, "", 405, "method_not_allowed"),
        ("GET", "/admin/api/", "", 404, "not_found"),
        ("POST", "/admin/api/account", "{}", 404, "not_found"),
        ("DELETE", "/admin/api/whatever/else/entirely", "", 404, "not_found"),
    ];
    for (method, path, body, want_status, want_code) in cases {
        let (status, _, json) = call(&app, method, path, &auth, body).await;
        assert_eq!(
            (status, json["error"].as_str().unwrap_or_default()),
            (*want_status, *want_code),
            "{method} {path}: {json}"
        );
        assert!(!json["message"].as_str().unwrap_or_default().is_empty(), "{json}");
        assert!(json["fields"].is_object(), "{json}");
    }
    let (_, _, json) = call(
        &app,
        "POST",
        "/admin/api/account/actions/lock_account",
        &auth,
        r#"{"ids": [3], "input": {"kind": "fraud"}}"#,
    )
    .await;
    assert!(json["fields"]["reason"].is_string(), "{json}");

    // A session without its CSRF header, and a permission missing.
    let mut c = app.signed_in().await;
    let cookie = format!("opsadmin_session={}", c.cookie("opsadmin_session").unwrap());
    let (status, _, json) = call(&app, "POST", mark, &[("cookie", &cookie)], r#"{"ids": [1]}"#).await;
    assert_eq!((status, json["error"].as_str().unwrap()), (403, "csrf_failed"));
    let _ = c.csrf().await;
    opsadmin::auth::create_user(&app.db, "vic", PASSWORD, &["viewer"], false).await.unwrap();
    let vic = admin_core::auth::staff_by_name(&app.db, &roles, "vic").await.unwrap();
    let vic_token =
        admin_core::auth::create_api_token(&app.db, &Context::staff(&vic), vic.id, "script").await.unwrap();
    let vic_auth = format!("Bearer {vic_token}");
    let (status, _, json) =
        call(&app, "POST", mark, &[("authorization", &vic_auth)], r#"{"ids": [1]}"#).await;
    assert_eq!((status, json["error"].as_str().unwrap()), (403, "forbidden"));
    assert!(json["message"].as_str().unwrap().contains("Ask someone with the support role."), "{json}");
    assert_eq!(json["permission"], "account.action.mark_for_manual_review", "{json}");
}
