//! Password checks hold under concurrent attempts, and every field of sign-in and
//! staff management is bounded: no attempt is checked past the throttle's limit, no
//! megabyte password is hashed, no user name is cut to someone else's, no `next`,
//! role list or checkbox value is taken as sent when no form could send it.

use admin_core::audit::entry;
use admin_core::db::entities::{login_throttle, staff_user};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use tokio::task::JoinSet;

use super::support::{Client, PASSWORD, Resp, TestApp, USER};

const WRONG: &str = "not my password at all";

async fn entries(app: &TestApp, kind: &str) -> usize {
    entry::Entity::find().filter(entry::Column::Kind.eq(kind)).all(&app.db).await.unwrap().len()
}

/// Sends `n` requests at once, each from its own client, and returns the answers.
async fn all_at_once<F, Fut>(clients: Vec<Client>, send: F) -> Vec<Resp>
where
    F: Fn(Client) -> Fut,
    Fut: std::future::Future<Output = Resp> + Send + 'static,
{
    let mut set = JoinSet::new();
    for c in clients {
        set.spawn(send(c));
    }
    let mut out = Vec::new();
    while let Some(r) = set.join_next().await {
        out.push(r.expect("the request task ran"));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_wrong_confirmations_are_counted_before_they_are_checked() {
    let app = TestApp::new(0).await;
    let mut c = app.signed_in().await;
    let csrf = c.csrf().await;
    let clients: Vec<Client> = (0..30).map(|_| c.clone_session(&app)).collect();
    let answers = all_at_once(clients, |mut c| {
        let csrf = csrf.clone();
        async move {
            c.post("/admin/me/confirm", &[("csrf_token", &csrf), ("password", WRONG), ("next", "/admin/")])
                .await
        }
    })
    .await;
    for r in &answers {
        assert!(r.status.as_u16() < 500, "{} {}", r.status, r.body);
    }
    // At most the limit (5) were checked; the rest were refused unchecked.
    let checked = entries(&app, "reauth_failed").await;
    assert!((1..=5).contains(&checked), "{checked} wrong passwords were checked");
    assert!(answers.iter().filter(|r| r.status == 429).count() >= 25);
    // The lock holds: even the right password waits.
    let r = c
        .post("/admin/me/confirm", &[("csrf_token", &csrf), ("password", PASSWORD), ("next", "/admin/")])
        .await;
    assert_eq!(r.status, 429, "{}", r.body);
    let row = login_throttle::Entity::find_by_id(format!("user:{USER}")).one(&app.db).await.unwrap();
    assert!(row.and_then(|r| r.locked_until).is_some(), "the user name is locked");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_wrong_sign_ins_for_a_new_name_lock_it_without_an_error() {
    let app = TestApp::new(0).await;
    let mut clients = Vec::new();
    for _ in 0..30 {
        let mut c = app.client();
        let form = c.get("/admin/login").await;
        let csrf = form.input_value("csrf_token").unwrap();
        clients.push((c, csrf));
    }
    let mut set = JoinSet::new();
    for (mut c, csrf) in clients {
        set.spawn(async move {
            c.post("/admin/login", &[("username", "nobody-yet"), ("password", WRONG), ("csrf_token", &csrf)])
                .await
        });
    }
    while let Some(r) = set.join_next().await {
        let r = r.unwrap();
        assert!(r.status.as_u16() < 500, "{} {}", r.status, r.body);
    }
    let checked = entries(&app, "login_failed").await;
    assert!((1..=5).contains(&checked), "{checked} wrong sign-ins were checked");
    let row = login_throttle::Entity::find_by_id("user:nobody-yet".to_owned()).one(&app.db).await.unwrap();
    assert!(row.and_then(|r| r.locked_until).is_some(), "the name is locked");
}

#[tokio::test]
async fn a_name_longer_than_any_staff_name_is_nobody_and_is_not_echoed_whole() {
    let app = TestApp::new(0).await;
    let name = "u".repeat(150);
    opsadmin::auth::create_user(&app.db, &name, PASSWORD, &["admin"], false).await.unwrap();
    let mut c = app.client();
    let r = c.sign_in(&format!("{name}-not-my-name"), PASSWORD).await;
    assert_eq!(r.status, 200, "{}", r.location());
    r.assert_contains("Wrong username or password.");
    // A megabyte of name: the page shows (and the log keeps) only the start of it.
    let huge = "n".repeat(1 << 20);
    let r = c.sign_in(&huge, PASSWORD).await;
    r.assert_contains("Wrong username or password.");
    assert!(r.body.len() < 100_000, "the page is {} bytes", r.body.len());
    // The real name still signs in.
    assert_eq!(c.sign_in(&name, PASSWORD).await.status, 303);
}

#[tokio::test]
async fn passwords_are_bounded_and_new_ones_have_no_control_characters() {
    let app = TestApp::new(0).await;
    let mut admin = app.signed_in().await;
    let csrf = admin.csrf().await;
    for password in [
        format!("a long pass phrase\0{}", "x".repeat(1_800_000)),
        "a long pass\0phrase".to_owned(),
        "p".repeat(1_025) + "q",
    ] {
        let r = admin
            .post(
                "/admin/staff/new",
                &[("csrf_token", &csrf), ("username", "newbie"), ("password", &password)],
            )
            .await;
        assert!(matches!(r.status.as_u16(), 400 | 422), "{} {}", r.status, r.body);
        assert!(r.body.len() < 100_000);
    }
    let n = staff_user::Entity::find()
        .filter(staff_user::Column::Username.eq("newbie"))
        .all(&app.db)
        .await
        .unwrap();
    assert!(n.is_empty(), "no user was made");
    // At sign-in a password over the limit is simply wrong, and counted.
    let mut c = app.client();
    let r = c.sign_in(USER, &format!("{PASSWORD}{}", "x".repeat(1 << 20))).await;
    r.assert_contains("Wrong username or password.");
    assert_eq!(entries(&app, "login_failed").await, 1);
}

#[tokio::test]
async fn next_is_followed_only_when_short_and_plain() {
    let app = TestApp::new(0).await;
    let long = format!("/admin/{}", "a".repeat(100_000));
    let mut c = app.client();
    let form = c.get("/admin/login").await;
    let csrf = form.input_value("csrf_token").unwrap();
    let r = c
        .post(
            "/admin/login",
            &[("username", USER), ("password", PASSWORD), ("csrf_token", &csrf), ("next", &long)],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.location(), "/admin/");
    let csrf = c.csrf().await;
    let r =
        c.post("/admin/me/confirm", &[("csrf_token", &csrf), ("password", PASSWORD), ("next", &long)]).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.location(), "/admin/");
}

#[tokio::test]
async fn repeated_or_unknown_roles_and_odd_checkbox_values_are_not_stored() {
    let app = TestApp::new(0).await;
    let id = opsadmin::auth::create_user(&app.db, "helper", PASSWORD, &["support"], false).await.unwrap().id;
    let mut admin = app.signed_in().await;
    let csrf = admin.csrf().await;
    let path = format!("/admin/staff/{id}");
    let mut form: Vec<(&str, &str)> = vec![("csrf_token", &csrf), ("is_active", "1")];
    form.extend(std::iter::repeat_n(("roles", "viewer"), 5_000));
    let r = admin.post(&path, &form).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let stored = staff_user::Entity::find_by_id(id).one(&app.db).await.unwrap().unwrap();
    assert_eq!(stored.roles, "viewer");
    // An unknown role is refused, whatever else is sent.
    let r = admin
        .post(&path, &[("csrf_token", &csrf), ("is_active", "1"), ("roles", "viewer"), ("roles", "root")])
        .await;
    assert!(matches!(r.status.as_u16(), 400 | 422), "{} {}", r.status, r.body);
    r.assert_contains("Unknown role: root.");
    // A checkbox value no form sends does not read as "unticked".
    let r = admin.post(&path, &[("csrf_token", &csrf), ("is_active", "a\0b"), ("roles", "viewer")]).await;
    assert_eq!(r.status, 400, "{}", r.body);
    let stored = staff_user::Entity::find_by_id(id).one(&app.db).await.unwrap().unwrap();
    assert!(stored.is_active, "the user is still active");
    assert_eq!(stored.roles, "viewer");
}
