//! Two-factor sign-in: enrolment, the second step of sign-in, replay and recovery
//! codes, roles that require it, and re-authentication before changing it.

use admin_core::audit::entry;
use admin_core::auth::totp;
use admin_core::db::entities::{recovery_code, session, staff_user};
use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use super::support::{Client, PASSWORD, TestApp, USER};

const SECOND_FACTOR: &str = "/admin/login/second-factor";
const SETTINGS: &str = "/admin/me/two-factor";

async fn user(app: &TestApp) -> staff_user::Model {
    staff_user::Entity::find()
        .filter(staff_user::Column::Username.eq(USER))
        .one(&app.db)
        .await
        .unwrap()
        .expect("the fixture user")
}

/// A code for a step the server has not accepted yet: the current one, or the next
/// (within the step of skew allowed) when the current one was just used.
async fn fresh_code(app: &TestApp, secret: &str) -> String {
    let key = totp::base32_decode(secret).unwrap();
    let now = totp::step_at(Utc::now().timestamp());
    let step = user(app).await.totp_last_step.map_or(now, |last| now.max(last + 1));
    assert!(step <= now + 1, "no unused code within the allowed skew");
    totp::code_for_step(&key, step)
}

/// Six digits that are no valid code right now.
fn wrong_code(secret: &str) -> String {
    let key = totp::base32_decode(secret).unwrap();
    let now = totp::step_at(Utc::now().timestamp());
    let valid: Vec<String> = (now - 2..=now + 2).map(|s| totp::code_for_step(&key, s)).collect();
    ["000000", "111111", "222222", "333333", "444444", "555555"]
        .into_iter()
        .find(|c| !valid.iter().any(|v| v == c))
        .unwrap()
        .to_owned()
}

async fn entries(app: &TestApp, kind: &str) -> Vec<entry::Model> {
    entry::Entity::find().filter(entry::Column::Kind.eq(kind)).all(&app.db).await.unwrap()
}

/// Sets every session's last proof of identity `minutes` back.
async fn age_sessions(app: &TestApp, minutes: i64) {
    let past = Utc::now().naive_utc() - chrono::Duration::minutes(minutes);
    session::Entity::update_many()
        .col_expr(session::Column::AuthenticatedAt, Expr::val(past))
        .exec(&app.db)
        .await
        .unwrap();
}

/// Sets up two-factor sign-in through the screens; returns the secret and the
/// recovery codes shown.
async fn enrol(app: &TestApp, c: &mut Client) -> (String, Vec<String>) {
    let page = c.get(SETTINGS).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let secret = page.input_value("secret").expect("the set-up form carries the secret");
    page.assert_contains(&totp::grouped(&secret));
    page.assert_contains("otpauth://totp/Ops%20console:staff?secret=");
    let csrf = page.input_value("csrf_token").unwrap();
    let code = fresh_code(app, &secret).await;
    let r = c
        .post(SETTINGS, &[("csrf_token", &csrf), ("action", "enrol"), ("secret", &secret), ("code", &code)])
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.assert_contains("Save these recovery codes now");
    let codes: Vec<String> =
        r.body.split("<li><code>").skip(1).map(|s| s.split("</code>").next().unwrap().to_owned()).collect();
    assert_eq!(codes.len(), 10, "{}", r.body);
    (secret, codes)
}

async fn sign_out(c: &mut Client) {
    let csrf = c.csrf().await;
    let r = c.post("/admin/logout", &[("csrf_token", &csrf)]).await;
    assert_eq!(r.status, 303);
}

/// The CSRF token of the second-factor form of a half-signed-in session.
async fn second_factor_csrf(c: &mut Client) -> String {
    let page = c.get(SECOND_FACTOR).await;
    assert_eq!(page.status, 200, "{}", page.body);
    page.input_value("csrf_token").expect("the code form has a csrf token")
}

#[tokio::test]
async fn enrolled_user_signs_in_with_a_code_that_works_only_once() {
    let app = TestApp::new(0).await;
    let mut c = app.signed_in().await;
    let (secret, _) = enrol(&app, &mut c).await;
    assert_eq!(entries(&app, "two_factor_enrolled").await.len(), 1);
    let stored = user(&app).await;
    assert_eq!(stored.totp_secret.as_deref(), Some(secret.as_str()));
    sign_out(&mut c).await;

    let r = c.sign_in(USER, PASSWORD).await;
    assert_eq!(r.status, 303);
    assert_eq!(r.location(), "/admin/login/second-factor?next=%2Fadmin%2F");
    // Half signed in: no admin page yet.
    let r = c.get("/admin/account/").await;
    assert_eq!(r.status, 303);
    assert_eq!(r.location(), SECOND_FACTOR);

    let page = c.get("/admin/login/second-factor?next=%2Fadmin%2Faccount%2F").await;
    assert_eq!(page.status, 200);
    page.assert_contains("<label for=\"id_code\">Code</label>");
    let csrf = page.input_value("csrf_token").unwrap();
    assert_eq!(page.input_value("next").as_deref(), Some("/admin/account/"));

    let code = fresh_code(&app, &secret).await;
    // Without the session's CSRF token the form is refused.
    let r = c.post(SECOND_FACTOR, &[("code", &code), ("csrf_token", "0123")]).await;
    assert_eq!(r.status, 403);

    let r = c
        .post(
            SECOND_FACTOR,
            &[("csrf_token", &csrf), ("code", &wrong_code(&secret)), ("next", "/admin/account/")],
        )
        .await;
    assert_eq!(r.status, 200);
    r.assert_contains("That code is not right");
    r.assert_contains("4 more tries");
    assert_eq!(c.get("/admin/account/").await.status, 303);

    let r =
        c.post(SECOND_FACTOR, &[("csrf_token", &csrf), ("code", &code), ("next", "/admin/account/")]).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.location(), "/admin/account/");
    assert_eq!(c.get("/admin/account/").await.status, 200);
    assert!(user(&app).await.last_login_at.is_some());
    let logins = entries(&app, "login").await;
    assert!(logins.iter().any(|e| e.changes.contains("authenticator code")), "{logins:?}");
    let failures = entries(&app, "login_failed").await;
    assert!(failures.iter().any(|e| e.changes.contains("wrong or used code")), "{failures:?}");

    // The same code in a new sign-in is refused: a code is good once.
    sign_out(&mut c).await;
    c.sign_in(USER, PASSWORD).await;
    let csrf = second_factor_csrf(&mut c).await;
    let r = c.post(SECOND_FACTOR, &[("csrf_token", &csrf), ("code", &code)]).await;
    assert_eq!(r.status, 200);
    r.assert_contains("already used");
    assert_eq!(c.get("/admin/").await.status, 303);
}

#[tokio::test]
async fn recovery_codes_are_stored_hashed_and_each_signs_in_once() {
    let app = TestApp::new(0).await;
    let mut c = app.signed_in().await;
    let (_, recovery) = enrol(&app, &mut c).await;
    let rows = recovery_code::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(rows.len(), 10);
    assert!(rows.iter().all(|r| !recovery.contains(&r.code_hash) && r.code_hash.len() == 64));
    sign_out(&mut c).await;

    c.sign_in(USER, PASSWORD).await;
    let csrf = second_factor_csrf(&mut c).await;
    // Typed in capitals, as people copy them, it still works.
    let r = c.post(SECOND_FACTOR, &[("csrf_token", &csrf), ("code", &recovery[0].to_uppercase())]).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.location(), "/admin/");
    assert!(entries(&app, "login").await.iter().any(|e| e.changes.contains("recovery code")));
    sign_out(&mut c).await;

    c.sign_in(USER, PASSWORD).await;
    let csrf = second_factor_csrf(&mut c).await;
    let r = c.post(SECOND_FACTOR, &[("csrf_token", &csrf), ("code", &recovery[0])]).await;
    assert_eq!(r.status, 200);
    r.assert_contains("That code is not right, or it was already used.");
    let r = c.post(SECOND_FACTOR, &[("csrf_token", &csrf), ("code", &recovery[1])]).await;
    assert_eq!(r.status, 303);
    let page = c.get(SETTINGS).await;
    page.assert_contains("You have 8 unused recovery codes.");
}

#[tokio::test]
async fn five_wrong_codes_end_the_sign_in_and_lock_codes_for_a_while() {
    let app = TestApp::new(0).await;
    let mut c = app.signed_in().await;
    let (secret, _) = enrol(&app, &mut c).await;
    sign_out(&mut c).await;
    c.sign_in(USER, PASSWORD).await;
    let csrf = second_factor_csrf(&mut c).await;
    let wrong = wrong_code(&secret);
    for left in (1..=4).rev() {
        let r = c.post(SECOND_FACTOR, &[("csrf_token", &csrf), ("code", &wrong)]).await;
        assert_eq!(r.status, 200);
        r.assert_contains(&format!("{left} more {}", if left == 1 { "try" } else { "tries" }));
    }
    let r = c.post(SECOND_FACTOR, &[("csrf_token", &csrf), ("code", &wrong)]).await;
    assert_eq!(r.status, 429);
    r.assert_contains("Too many wrong codes");
    assert!(c.cookie("opsadmin_session").is_none(), "the session cookie is cleared");
    assert_eq!(session::Entity::find().count(&app.db).await.unwrap(), 0, "the pending session ended");
    assert_eq!(entries(&app, "login_locked").await.len(), 1);

    // The password again does not reopen the door: even a right code waits.
    let r = c.sign_in(USER, PASSWORD).await;
    assert_eq!(r.status, 303);
    let csrf = second_factor_csrf(&mut c).await;
    let code = fresh_code(&app, &secret).await;
    let r = c.post(SECOND_FACTOR, &[("csrf_token", &csrf), ("code", &code)]).await;
    assert_eq!(r.status, 429);
    assert_eq!(c.get("/admin/").await.status, 303);
}

#[tokio::test]
async fn a_role_that_requires_two_factor_sends_its_members_to_enrol_first() {
    let app = TestApp::with_roles(ops_console::roles::roles().require_two_factor("admin")).await;
    let mut c = app.signed_in().await;
    for path in ["/admin/", "/admin/account/", "/admin/account/1", "/admin/audit"] {
        let r = c.get(path).await;
        assert_eq!(r.status, 303, "{path}");
        assert_eq!(r.location(), SETTINGS, "{path}");
    }
    assert_eq!(c.get_api("/admin/account/").await.status, 403);
    assert_eq!(c.get("/admin/static/admin.css").await.status, 200);
    let page = c.get(SETTINGS).await;
    assert_eq!(page.status, 200);
    page.assert_contains("Your role requires two-factor sign-in.");

    // Signing out still works before enrolling.
    let mut other = app.signed_in().await;
    let csrf = other.get(SETTINGS).await.input_value("csrf_token").unwrap();
    let r = other.post("/admin/logout", &[("csrf_token", &csrf)]).await;
    assert_eq!(r.status, 303);
    assert_eq!(r.location(), "/admin/login");

    enrol(&app, &mut c).await;
    assert_eq!(c.get("/admin/account/").await.status, 200);
    sign_out(&mut c).await;
    let r = c.sign_in(USER, PASSWORD).await;
    assert_eq!(r.location(), "/admin/login/second-factor?next=%2Fadmin%2F");
}

#[tokio::test]
async fn changing_two_factor_asks_for_the_password_and_a_code_after_15_minutes() {
    let app = TestApp::new(0).await;
    let mut c = app.signed_in().await;
    let confirm = "/admin/me/confirm?next=%2Fadmin%2Fme%2Ftwo-factor";

    // Without two-factor sign-in, the password alone confirms.
    age_sessions(&app, 20).await;
    let r = c.get(SETTINGS).await;
    assert_eq!(r.status, 303);
    assert_eq!(r.location(), confirm);
    let page = c.get(confirm).await;
    assert_eq!(page.status, 200);
    page.assert_lacks("id=\"id_code\"");
    let csrf = page.input_value("csrf_token").unwrap();
    assert_eq!(page.input_value("next").as_deref(), Some(SETTINGS));
    let r = c.post("/admin/me/confirm", &[("password", PASSWORD), ("next", SETTINGS)]).await;
    assert_eq!(r.status, 403, "no CSRF token, no confirmation");
    let r = c
        .post(
            "/admin/me/confirm",
            &[("csrf_token", &csrf), ("password", "not it at all"), ("next", SETTINGS)],
        )
        .await;
    assert_eq!(r.status, 200);
    r.assert_contains("That is not your password.");
    let r = c
        .post("/admin/me/confirm", &[("csrf_token", &csrf), ("password", PASSWORD), ("next", SETTINGS)])
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(r.location(), SETTINGS);
    let (secret, _) = enrol(&app, &mut c).await;

    // Later, turning it off is held back until the user confirms again, and nothing
    // changes meanwhile.
    age_sessions(&app, 20).await;
    let r = c.post(SETTINGS, &[("csrf_token", &csrf), ("action", "disable"), ("password", PASSWORD)]).await;
    assert_eq!(r.status, 303);
    assert_eq!(r.location(), confirm);
    assert!(user(&app).await.totp_secret.is_some());

    let page = c.get(confirm).await;
    page.assert_contains("<label for=\"id_code\">");
    let r = c
        .post("/admin/me/confirm", &[("csrf_token", &csrf), ("password", PASSWORD), ("next", SETTINGS)])
        .await;
    assert_eq!(r.status, 200);
    r.assert_contains("Enter the 6-digit code from your authenticator app as well.");
    let r = c
        .post(
            "/admin/me/confirm",
            &[
                ("csrf_token", &csrf),
                ("password", PASSWORD),
                ("code", &wrong_code(&secret)),
                ("next", SETTINGS),
            ],
        )
        .await;
    assert_eq!(r.status, 200);
    r.assert_contains("That code is not right");
    assert_eq!(c.get(SETTINGS).await.status, 303, "still not confirmed");
    let code = fresh_code(&app, &secret).await;
    let r = c
        .post(
            "/admin/me/confirm",
            &[("csrf_token", &csrf), ("password", PASSWORD), ("code", &code), ("next", SETTINGS)],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.location(), SETTINGS);

    // Now the change goes through, after the password once more.
    let r = c
        .post(SETTINGS, &[("csrf_token", &csrf), ("action", "disable"), ("password", "wrong password")])
        .await;
    assert_eq!(r.status, 200);
    r.assert_contains("That is not your password.");
    let r = c.post(SETTINGS, &[("csrf_token", &csrf), ("action", "disable"), ("password", PASSWORD)]).await;
    assert_eq!(r.status, 303);
    assert_eq!(r.location(), SETTINGS);
    let stored = user(&app).await;
    assert!(stored.totp_secret.is_none() && stored.totp_last_step.is_none());
    assert_eq!(recovery_code::Entity::find().count(&app.db).await.unwrap(), 0);
    assert_eq!(entries(&app, "two_factor_disabled").await.len(), 1);
    assert_eq!(entries(&app, "reauth").await.len(), 2);
    // Two at the confirmation (no code, a wrong code), one wrong password there
    // earlier, and the wrong password that tried to turn it off.
    assert_eq!(entries(&app, "reauth_failed").await.len(), 4);

    // After confirming, `next` never leaves the site.
    age_sessions(&app, 20).await;
    let r = c
        .post(
            "/admin/me/confirm",
            &[("csrf_token", &csrf), ("password", PASSWORD), ("next", "https://evil.example/")],
        )
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(r.location(), "/admin/");
}
