use super::support::{PASSWORD, TestApp, USER};

#[tokio::test]
async fn pages_redirect_to_sign_in_and_api_clients_get_401() {
    let app = TestApp::new(0).await;
    let mut c = app.client();
    let r = c.get("/admin/account/?q=acme").await;
    assert_eq!(r.status, 303);
    assert_eq!(r.location(), "/admin/login?next=%2Fadmin%2Faccount%2F%3Fq%3Dacme");
    let r = c.get_api("/admin/account/").await;
    assert_eq!(r.status, 401);
    let r = c.get("/admin/me/tokens").await;
    assert_eq!((r.status.as_u16(), r.location()), (303, "/admin/login?next=%2Fadmin%2Fme%2Ftokens"));
    let r = c.post("/admin/me/tokens", &[("action", "create"), ("name", "x")]).await;
    assert_ne!(r.status, 200, "no session, no token");
    assert_eq!(admin_core::auth::api_tokens(&app.db, None).await.unwrap().len(), 0);
    // The static stylesheet needs no sign-in.
    let r = c.get("/admin/static/admin.css").await;
    assert_eq!(r.status, 200);
    assert!(r.headers["content-type"].to_str().unwrap().starts_with("text/css"));
}

#[tokio::test]
async fn sign_in_goes_to_next_and_sets_a_hardened_session_cookie() {
    let app = TestApp::new(0).await;
    let mut c = app.client();
    let form = c.get("/admin/login?next=/admin/invoice/").await;
    let csrf = form.input_value("csrf_token").unwrap();
    let r = c
        .post(
            "/admin/login",
            &[("username", USER), ("password", PASSWORD), ("csrf_token", &csrf), ("next", "/admin/invoice/")],
        )
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(r.location(), "/admin/invoice/");
    let set: Vec<_> =
        r.headers.get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_owned()).collect();
    let session = set.iter().find(|c| c.starts_with("opsadmin_session=")).expect("session cookie");
    assert!(session.contains("HttpOnly"));
    assert!(session.contains("SameSite=Lax"));
    let token = c.cookie("opsadmin_session").unwrap().to_owned();
    assert_eq!(token.len(), 64, "256 random bits, hex");
    let r = c.get("/admin/").await;
    assert_eq!(r.status, 200);
    r.assert_contains("Signed in as <strong>staff</strong>");
}

#[tokio::test]
async fn next_never_leaves_the_site() {
    let app = TestApp::new(0).await;
    let mut c = app.client();
    let form = c.get("/admin/login").await;
    let csrf = form.input_value("csrf_token").unwrap();
    let r = c
        .post(
            "/admin/login",
            &[
                ("username", USER),
                ("password", PASSWORD),
                ("csrf_token", &csrf),
                ("next", "//evil.example/x"),
            ],
        )
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(r.location(), "/admin/");
}

#[tokio::test]
async fn wrong_password_and_unknown_user_get_the_same_message() {
    let app = TestApp::new(0).await;
    let mut c = app.client();
    let r = c.sign_in(USER, "wrong password").await;
    assert_eq!(r.status, 200);
    r.assert_contains("Wrong username or password.");
    assert!(c.cookie("opsadmin_session").is_none());
    let r = c.sign_in("nobody", PASSWORD).await;
    r.assert_contains("Wrong username or password.");
    // The name typed is kept, the password is not.
    assert_eq!(r.input_value("username").as_deref(), Some("nobody"));
    r.assert_lacks(PASSWORD);
}

#[tokio::test]
async fn login_without_the_form_token_is_refused() {
    let app = TestApp::new(0).await;
    let mut c = app.client();
    let r = c.post("/admin/login", &[("username", USER), ("password", PASSWORD)]).await;
    assert_eq!(r.status, 403);
    assert!(c.cookie("opsadmin_session").is_none());
}

#[tokio::test]
async fn sign_in_rotates_the_session_and_logout_ends_it_on_the_server() {
    let app = TestApp::new(0).await;
    let mut c = app.signed_in().await;
    let first = c.cookie("opsadmin_session").unwrap().to_owned();
    c.sign_in(USER, PASSWORD).await;
    let second = c.cookie("opsadmin_session").unwrap().to_owned();
    assert_ne!(first, second);
    // The old session no longer works.
    let mut old = app.client();
    old.cookies_set("opsadmin_session", &first);
    assert_eq!(old.get("/admin/").await.status, 303);

    let csrf = c.csrf().await;
    // Logout needs the CSRF token too.
    assert_eq!(c.post("/admin/logout", &[]).await.status, 403);
    let r = c.post("/admin/logout", &[("csrf_token", &csrf)]).await;
    assert_eq!(r.status, 303);
    let mut replay = app.client();
    replay.cookies_set("opsadmin_session", &second);
    assert_eq!(replay.get("/admin/").await.status, 303, "a logged-out session is dead on the server");
}

#[tokio::test]
async fn every_response_carries_security_headers() {
    let app = TestApp::new(0).await;
    let mut c = app.signed_in().await;
    for path in ["/admin/login", "/admin/", "/admin/account/", "/admin/nope/"] {
        let r = c.get(path).await;
        assert_eq!(r.headers["x-frame-options"], "DENY", "{path}");
        assert_eq!(r.headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(r.headers["referrer-policy"], "same-origin", "{path}");
        assert!(r.headers["content-security-policy"].to_str().unwrap().contains("frame-ancestors 'none'"));
        assert_eq!(r.headers["cache-control"], "no-store", "{path}");
        assert!(r.headers.get("server").is_none());
    }
}

#[tokio::test]
async fn unknown_model_and_record_are_404_pages() {
    let app = TestApp::new(0).await;
    let mut c = app.signed_in().await;
    let r = c.get("/admin/nope/").await;
    assert_eq!(r.status, 404);
    r.assert_contains("There is no admin page for “nope”.");
    let r = c.get("/admin/account/999999").await;
    assert_eq!(r.status, 404);
    r.assert_contains("There is no account with id 999999.");
    let r = c.get("/admin/account/not-a-number").await;
    assert_eq!(r.status, 404);
    let r = c.get("/admin/account/999999/delete").await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn signing_in_sweeps_dead_sessions_and_spent_throttle_rows() {
    use sea_orm::{ConnectionTrait, EntityTrait, PaginatorTrait};
    let app = TestApp::new(0).await;
    let sessions =
        || async { admin_core::db::entities::session::Entity::find().count(&app.db).await.unwrap() };
    let throttle =
        || async { admin_core::db::entities::login_throttle::Entity::find().count(&app.db).await.unwrap() };

    let mut gone = app.signed_in().await;
    app.client().sign_in("nobody", "not the password at all").await;
    assert!(throttle().await > 0);
    // Two days pass: that session is idle and past its life, the failures spent.
    app.db
        .execute_unprepared(
            "UPDATE admin_session SET last_seen_at = '2000-01-01 00:00:00', expires_at = '2000-01-02 00:00:00'",
        )
        .await
        .unwrap();
    app.db
        .execute_unprepared(
            "UPDATE admin_login_throttle SET window_start = '2000-01-01 00:00:00', locked_until = NULL",
        )
        .await
        .unwrap();
    let mut kept = app.signed_in().await;
    let before = throttle().await;
    app.client().sign_in("someone", "not the password either").await;
    let fresh = throttle().await - before;
    assert!(fresh > 0);

    // The next sign-in sweeps what is dead and keeps what is alive.
    let mut next = app.signed_in().await;
    assert_eq!(sessions().await, 2, "the live session and the new one");
    assert_eq!(throttle().await, fresh, "only the recent failures still count");
    assert_eq!(gone.get("/admin/").await.status, 303);
    assert_eq!(kept.get("/admin/").await.status, 200);
    assert_eq!(next.get("/admin/").await.status, 200);
}
