//! The checks that moved from the screens into the door (`Service`): a script or
//! another front end calling the door directly meets the same refusals, and the
//! screens still send a stale sign-in to the confirmation page; the JSON API's
//! typed body refuses what it cannot read with its own error shape.

use axum::body::Body;
use axum::http::{Request, header};
use opsadmin::Error;
use opsadmin::audit::Filter;
use opsadmin::auth::AuthConfig;
use opsadmin::service::{Caller, Service};
use sea_orm::ConnectionTrait;
use tower::ServiceExt;

use super::support::{ALICE, PASSWORD, TestApp, client_for, token_for};

const MARK: &str = "/admin/api/account/actions/mark_for_manual_review";

fn roles() -> opsadmin::Roles {
    ops_console::roles::roles().role("staff_watcher", "Sees who the staff are", &["staff.view"])
}

fn door(app: &TestApp) -> Service {
    let auth = AuthConfig { roles: std::sync::Arc::new(roles()), ..Default::default() };
    Service::new(app.db.clone(), ops_console::registry()).with_auth(auth)
}

async fn caller(app: &TestApp, name: &str, role: &str) -> Caller {
    opsadmin::auth::create_user(&app.db, name, PASSWORD, &[role], false).await.unwrap();
    door(app).local(name).await.unwrap()
}

fn refused(r: Result<impl std::fmt::Debug, Error>, permission: &str) {
    match r {
        Err(Error::Forbidden(m)) => {
            assert_eq!(m.permission(), Some(permission), "{m}");
            assert!(!m.contains(permission) && m.contains("Ask someone with the "), "{m}");
        }
        other => panic!("expected a refusal naming {permission}, got {other:?}"),
    }
}

#[tokio::test]
async fn the_door_refuses_the_audit_log_without_audit_view() {
    let app = TestApp::with_roles(roles()).await;
    let service = door(&app);
    let support = caller(&app, "sue", "support").await;
    let filter = Filter::default();
    refused(service.audit_page(&support, &filter, 0, 10, 100).await.map(|p| p.1), "audit.view");
    refused(service.audit_search(&support, &filter, 0, 10).await.map(|p| p.1), "audit.view");
    refused(service.audit_facets(&support).await, "audit.view");
    refused(service.audit_existing(&support, "account", &[ALICE.to_string()]).await, "audit.view");
    // Whoever holds it reads the same log through the same door.
    let root = service.local(super::support::USER).await.unwrap();
    let (_, total, _) = service.audit_page(&root, &filter, 0, 10, 100).await.unwrap();
    assert_eq!(service.audit_search(&root, &filter, 0, 10).await.unwrap().1, total);
    let existing = service.audit_existing(&root, "account", &[ALICE.to_string(), "999999".into()]).await;
    assert_eq!(existing.unwrap().into_iter().collect::<Vec<_>>(), [ALICE.to_string()]);
}

#[tokio::test]
async fn the_door_lets_staff_viewers_look_but_not_change() {
    let app = TestApp::with_roles(roles()).await;
    let service = door(&app);
    let watcher = caller(&app, "walt", "staff_watcher").await;
    assert!(service.users(&watcher).await.unwrap().iter().any(|u| u.username == "walt"));
    refused(service.may_change_staff(&watcher), "staff.change");
    refused(service.create_user(&watcher, "sneaky", PASSWORD, &[], false).await, "staff.change");
    let support = caller(&app, "sue", "support").await;
    refused(service.users(&support).await, "staff.view");
    refused(service.user(&support, 1).await, "staff.view");
    // The queue of approvals: a support user sees only their own requests.
    assert!(!service.sees_all_approvals(&support));
    assert!(service.sees_all_approvals(&service.local(super::support::USER).await.unwrap()));
}

#[tokio::test]
async fn a_stale_sign_in_goes_to_the_confirmation_and_back_to_the_page_it_left() {
    let app = TestApp::new(0).await;
    let mut c = app.signed_in().await;
    let csrf = c.csrf().await;
    app.db
        .execute_unprepared("UPDATE admin_session SET authenticated_at = '2000-01-01 00:00:00'")
        .await
        .unwrap();
    for (path, next) in
        [("/admin/staff/new", "%2Fadmin%2Fstaff%2Fnew"), ("/admin/me/tokens", "%2Fadmin%2Fme%2Ftokens")]
    {
        let r = c.get(path).await;
        assert_eq!(r.status, 303, "{path}");
        assert_eq!(r.location(), format!("/admin/me/confirm?next={next}"), "{path}");
    }
    // A refused form comes back to an address that shows the form again.
    let r = c
        .post("/admin/staff/1/password", &[("csrf_token", &csrf), ("password", "a new long pass phrase")])
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(r.location(), "/admin/me/confirm?next=%2Fadmin%2Fstaff%2F1%2Fpassword");
    let r = c.confirm_password(r.location()).await;
    assert_eq!(r.location(), "/admin/staff/1/password");
    let page = c.get("/admin/staff/1/password").await;
    assert_eq!(page.status, 200);
    page.assert_contains("Reset password");
    // Nothing was changed meanwhile: the old password still signs in.
    let mut again = app.client();
    assert_eq!(again.sign_in(super::support::USER, PASSWORD).await.status, 303);
}

async fn post_json(
    app: &TestApp,
    token: &str,
    content_type: Option<&str>,
    body: &str,
) -> (u16, serde_json::Value) {
    let mut req = Request::post(MARK).header(header::AUTHORIZATION, format!("Bearer {token}"));
    if let Some(t) = content_type {
        req = req.header(header::CONTENT_TYPE, t);
    }
    let resp = app.router.clone().oneshot(req.body(Body::from(body.to_owned())).unwrap()).await.unwrap();
    let status = resp.status().as_u16();
    let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20).await.unwrap();
    (status, serde_json::from_slice(&bytes).expect("a JSON answer"))
}

#[tokio::test]
async fn the_apis_typed_body_refuses_what_it_cannot_read_in_its_own_shape() {
    let app = TestApp::new(0).await;
    let token = token_for(&app, "scripter", Some("support")).await;
    let json = Some("application/json");
    for (content_type, body, names) in [
        (json, r#"{"ids": [true]}"#, "ids"),
        (json, r#"{"ids": [1], "input": [1]}"#, "input"),
        (json, r#"{"input": {}}"#, "ids"),
        (json, r#"[1, 2]"#, "JSON object"),
        (json, r#"{"ids": [1]"#, "JSON object"),
        (None, r#"{"ids": [1]}"#, "Content-Type"),
        (Some("text/plain"), r#"{"ids": [1]}"#, "Content-Type"),
    ] {
        let (status, answer) = post_json(&app, &token, content_type, body).await;
        assert_eq!((status, answer["error"].as_str()), (400, Some("bad_request")), "{body}: {answer}");
        let message = answer["message"].as_str().unwrap_or_default();
        assert!(message.contains(names), "{body}: {message}");
        assert!(answer["fields"].is_object(), "{answer}");
    }
    let (status, answer) =
        post_json(&app, &token, json, &format!(r#"{{"ids": [{ALICE}], "reason": 7}}"#)).await;
    assert_eq!((status, answer["error"].as_str()), (400, Some("invalid")), "{answer}");
    assert!(answer["fields"]["reason"].is_string(), "{answer}");
    let (status, answer) = post_json(&app, &token, json, &format!(r#"{{"ids": [{ALICE}]}}"#)).await;
    assert_eq!((status, answer["status"].as_str()), (200, Some("done")), "{answer}");
    // The same door behind the screens: a support user still cannot read the audit log.
    let mut sue = client_for(&app, "sue", "support").await;
    assert_eq!(sue.get("/admin/audit").await.status, 403);
}
