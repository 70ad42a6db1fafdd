//! Password checks of a signed-in user (confirming their identity, the current
//! password of a password change, the password that turns off two-factor sign-in)
//! are throttled like sign-in, with the same counters; and password work never
//! holds a write transaction.

use admin_core::audit::entry;
use admin_core::db::entities::{login_throttle, session, staff_user};
use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::support::{Client, PASSWORD, TestApp, USER};

const CONFIRM: &str = "/admin/me/confirm";
const OWN_PASSWORD: &str = "/admin/me/password";
const LOCKED: &str = "Too many wrong passwords. Wait 15 minutes, then try again.";

async fn entries(app: &TestApp, kind: &str) -> usize {
    entry::Entity::find().filter(entry::Column::Kind.eq(kind)).all(&app.db).await.unwrap().len()
}

async fn stored_hash(app: &TestApp) -> String {
    staff_user::Entity::find()
        .filter(staff_user::Column::Username.eq(USER))
        .one(&app.db)
        .await
        .unwrap()
        .expect("the fixture user")
        .password_hash
}

/// Sets every session's last proof of identity 20 minutes back, past
/// `SessionPolicy::reauth_after`.
async fn age_sessions(app: &TestApp) {
    let past = Utc::now().naive_utc() - chrono::Duration::minutes(20);
    session::Entity::update_many()
        .col_expr(session::Column::AuthenticatedAt, Expr::val(past))
        .exec(&app.db)
        .await
        .unwrap();
}

/// Lets every lock pass, as 15 minutes would.
async fn locks_pass(app: &TestApp) {
    let past = Utc::now().naive_utc() - chrono::Duration::minutes(1);
    login_throttle::Entity::update_many()
        .col_expr(login_throttle::Column::LockedUntil, Expr::val(past))
        .exec(&app.db)
        .await
        .unwrap();
}

async fn confirm(c: &mut Client, csrf: &str, password: &str) -> super::support::Resp {
    c.post(CONFIRM, &[("csrf_token", csrf), ("password", password), ("next", "/admin/staff/new")]).await
}

#[tokio::test]
async fn wrong_confirmations_lock_and_then_even_the_right_password_waits() {
    let app = TestApp::new(0).await;
    let mut c = app.signed_in().await;
    let csrf = c.csrf().await;
    age_sessions(&app).await;
    // Staff management asks for the password again.
    let r = c.get("/admin/staff/new").await;
    assert_eq!(r.status, 303);
    assert!(r.location().starts_with(CONFIRM), "{}", r.location());

    for _ in 0..4 {
        let r = confirm(&mut c, &csrf, "not my password").await;
        assert_eq!(r.status, 200);
        r.assert_contains("That is not your password.");
    }
    // The fifth wrong password in the window locks, like a fifth failed sign-in.
    let r = confirm(&mut c, &csrf, "not my password").await;
    assert_eq!(r.status, 429, "{}", r.body);
    r.assert_contains(LOCKED);
    // Now the right password is refused too, unchecked, and nothing is unlocked.
    let r = confirm(&mut c, &csrf, PASSWORD).await;
    assert_eq!(r.status, 429, "{}", r.body);
    r.assert_contains(LOCKED);
    assert_eq!(c.get("/admin/staff/new").await.status, 303, "still not confirmed");
    // It is the sign-in lock: signing in elsewhere waits as well.
    let r = app.client().sign_in(USER, PASSWORD).await;
    assert_eq!(r.status, 429);
    r.assert_contains("Too many failed sign-ins.");

    assert_eq!(entries(&app, "reauth_failed").await, 5);
    assert_eq!(entries(&app, "reauth_locked").await, 1);
    assert_eq!(entries(&app, "reauth").await, 0);

    // Once the lock has passed, the right password works and the form opens.
    locks_pass(&app).await;
    let r = confirm(&mut c, &csrf, PASSWORD).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.location(), "/admin/staff/new");
    assert_eq!(c.get("/admin/staff/new").await.status, 200);
    assert_eq!(entries(&app, "reauth").await, 1);
}

#[tokio::test]
async fn failed_sign_ins_count_towards_the_confirmation_lock() {
    let app = TestApp::new(0).await;
    let mut c = app.signed_in().await;
    let csrf = c.csrf().await;
    // Four wrong guesses at the sign-in form, from anywhere...
    for _ in 0..4 {
        app.client().sign_in(USER, "a wrong guess").await.assert_contains("Wrong username or password.");
    }
    // ...and the first wrong confirmation is the fifth failure: locked.
    let r = confirm(&mut c, &csrf, "another wrong guess").await;
    assert_eq!(r.status, 429, "{}", r.body);
    r.assert_contains(LOCKED);
}

#[tokio::test]
async fn wrong_current_passwords_on_a_password_change_lock_and_nothing_changes() {
    let app = TestApp::new(0).await;
    let mut c = app.signed_in().await;
    let csrf = c.csrf().await;
    let before = stored_hash(&app).await;
    let change = |current: &str| {
        [
            ("csrf_token", csrf.clone()),
            ("current_password", current.to_owned()),
            ("new_password", "a brand new pass phrase".to_owned()),
            ("confirm", "a brand new pass phrase".to_owned()),
        ]
    };
    for _ in 0..4 {
        let form = change("not the current one");
        let r = c.post(OWN_PASSWORD, &form.iter().map(|(k, v)| (*k, v.as_str())).collect::<Vec<_>>()).await;
        assert_eq!(r.status, 400);
        r.assert_contains("That is not your current password.");
    }
    let form = change("not the current one");
    let r = c.post(OWN_PASSWORD, &form.iter().map(|(k, v)| (*k, v.as_str())).collect::<Vec<_>>()).await;
    assert_eq!(r.status, 429, "{}", r.body);
    r.assert_contains(LOCKED);
    // The right current password waits for the lock too; the password is unchanged.
    let form = change(PASSWORD);
    let r = c.post(OWN_PASSWORD, &form.iter().map(|(k, v)| (*k, v.as_str())).collect::<Vec<_>>()).await;
    assert_eq!(r.status, 429, "{}", r.body);
    r.assert_contains(LOCKED);
    assert_eq!(stored_hash(&app).await, before);
    assert_eq!(entries(&app, "reauth_failed").await, 5);
    assert_eq!(entries(&app, "reauth_locked").await, 1);

    locks_pass(&app).await;
    let form = change(PASSWORD);
    let r = c.post(OWN_PASSWORD, &form.iter().map(|(k, v)| (*k, v.as_str())).collect::<Vec<_>>()).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_ne!(stored_hash(&app).await, before);
    assert_eq!(app.client().sign_in(USER, "a brand new pass phrase").await.status, 303);
}

#[tokio::test]
async fn a_right_confirmation_clears_earlier_wrong_ones() {
    let app = TestApp::new(0).await;
    let mut c = app.signed_in().await;
    let csrf = c.csrf().await;
    for round in 0..2 {
        for _ in 0..4 {
            assert_eq!(confirm(&mut c, &csrf, "not my password").await.status, 200, "round {round}");
        }
        let r = confirm(&mut c, &csrf, PASSWORD).await;
        assert_eq!(r.status, 303, "round {round}: {}", r.body);
    }
}

#[tokio::test]
async fn wrong_passwords_when_turning_off_two_factor_lock_too() {
    let app = TestApp::new(0).await;
    let mut c = app.signed_in().await;
    let csrf = c.csrf().await;
    // Enrol through the core, with the code of the current step.
    let me = admin_core::auth::staff_by_name(&app.db, &opsadmin::Roles::new(), USER).await.unwrap();
    let ctx = admin_core::audit::Context { actor: Some(me.clone()), ..Default::default() };
    let e = admin_core::auth::two_factor::begin_enrolment("Ops console", USER).unwrap();
    let code = admin_core::auth::totp::current_code(&e.secret).unwrap();
    admin_core::auth::two_factor::confirm_enrolment(&app.db, &ctx, me.id, &e.secret, &code).await.unwrap();

    let disable = |password: &'static str| {
        [("csrf_token", csrf.clone()), ("action", "disable".to_owned()), ("password", password.to_owned())]
    };
    for _ in 0..4 {
        let form = disable("not my password");
        let r = c
            .post("/admin/me/two-factor", &form.iter().map(|(k, v)| (*k, v.as_str())).collect::<Vec<_>>())
            .await;
        r.assert_contains("That is not your password.");
    }
    for password in ["not my password", PASSWORD] {
        let form = disable(password);
        let r = c
            .post("/admin/me/two-factor", &form.iter().map(|(k, v)| (*k, v.as_str())).collect::<Vec<_>>())
            .await;
        assert!(r.status.is_client_error(), "{}", r.status);
        r.assert_contains(LOCKED);
    }
    let user = staff_user::Entity::find_by_id(me.id).one(&app.db).await.unwrap().unwrap();
    assert!(user.totp_secret.is_some(), "still on");
    assert_eq!(entries(&app, "reauth_locked").await, 1);
}
