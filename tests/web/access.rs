//! Every role against every route: status codes, refusals in words, unchanged data.

use admin_core::audit::entry;
use ops_console::models::account;
use sea_orm::{ConnectionTrait, EntityTrait, PaginatorTrait};

use super::support::{BOB, CAROL, Client, TestApp};

const PASSWORD: &str = "a long enough pass phrase";

async fn client_for(app: &TestApp, role: &str) -> Client {
    let name = format!("{role}-user");
    opsadmin::auth::create_user(&app.db, &name, PASSWORD, &[role], false).await.unwrap();
    let mut c = app.client();
    let r = c.sign_in(&name, PASSWORD).await;
    assert_eq!(r.status, 303, "{role} signs in");
    c
}

const BOB_EDIT: &[(&str, &str)] = &[
    ("email", "user2@globex-7-inc.example"),
    ("company", "Changed by a role"),
    ("plan", "annual"),
    ("signup_at", "2026-02-20T09:30:00"),
    ("welcome_email_sent", "0"),
    ("manual_review", "1"),
    ("locked", "0"),
];

const NEW_ACCOUNT: &[(&str, &str)] =
    &[("email", "made@by.role"), ("company", "Made"), ("plan", "free"), ("signup_at", "2026-01-01 00:00")];

#[derive(Clone, Copy)]
enum Req {
    Get(&'static str),
    /// A POST with the form fields (the CSRF token, and `_version` for records, are added).
    Post(&'static str, &'static [(&'static str, &'static str)]),
}

/// role × request → expected status, for admin, support, finance, viewer.
const TABLE: &[(Req, [u16; 4])] = &[
    (Req::Get("/admin/"), [200, 200, 200, 200]),
    (Req::Get("/admin/account/"), [200, 200, 403, 200]),
    (Req::Get("/admin/invoice/"), [200, 200, 200, 200]),
    (Req::Get("/admin/email_job/"), [200, 200, 403, 200]),
    (Req::Get("/admin/account/2"), [200, 200, 403, 200]),
    (Req::Get("/admin/invoice/1"), [200, 200, 200, 200]),
    (Req::Get("/admin/account/export.csv"), [200, 403, 403, 403]),
    (Req::Get("/admin/invoice/export.csv"), [200, 403, 200, 403]),
    (Req::Get("/admin/account/new"), [200, 403, 403, 403]),
    (Req::Get("/admin/account/3/delete"), [200, 403, 403, 403]),
    (Req::Get("/admin/account/2/history"), [200, 200, 403, 200]),
    // `*.view` is a grant over models: not the audit log, not the staff users.
    (Req::Get("/admin/audit"), [200, 403, 403, 403]),
    (Req::Get("/admin/audit/export.csv"), [200, 403, 403, 403]),
    (Req::Get("/admin/staff/"), [200, 403, 403, 403]),
    (Req::Get("/admin/staff/1"), [200, 403, 403, 403]),
    (Req::Get("/admin/staff/new"), [200, 403, 403, 403]),
    (Req::Get("/admin/me/password"), [200, 200, 200, 200]),
    (Req::Post("/admin/account/2", BOB_EDIT), [303, 303, 403, 403]),
    (Req::Post("/admin/account/new", NEW_ACCOUNT), [303, 403, 403, 403]),
    (
        Req::Post("/admin/staff/new", &[("username", "newbie"), ("password", "another long pass phrase")]),
        [303, 403, 403, 403],
    ),
];

const ROLES: [&str; 4] = ["admin", "support", "finance", "viewer"];

async fn version_of(app: &TestApp, path: &str) -> Option<String> {
    let mut admin = app.signed_in().await;
    admin.get(path).await.input_value("_version")
}

#[tokio::test]
async fn each_role_gets_exactly_the_access_its_permissions_give() {
    for (r, role) in ROLES.iter().enumerate() {
        // A fresh app per role, so writes by one role do not change what the next sees.
        let app = TestApp::new(0).await;
        let mut c = client_for(&app, role).await;
        let csrf = c.csrf().await;
        for (req, expected) in TABLE {
            let expected = expected[r];
            let (label, resp) = match *req {
                Req::Get(path) => (format!("GET {path}"), c.get(path).await),
                Req::Post(path, fields) => {
                    let mut form: Vec<(&str, String)> = vec![("csrf_token", csrf.clone())];
                    if let Some(v) = version_of(&app, path).await {
                        form.push(("_version", v));
                    }
                    form.extend(fields.iter().map(|(k, v)| (*k, (*v).to_owned())));
                    let refs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
                    (format!("POST {path}"), c.post(path, &refs).await)
                }
            };
            assert_eq!(resp.status.as_u16(), expected, "{role}: {label}\n{}", resp.body);
            if expected == 403 {
                // Who can, in plain words; the permission code stays out of the sentence.
                resp.assert_contains("Ask someone with the ");
                resp.assert_lacks(" permission.");
            }
        }
        // A refused POST changed nothing.
        let bob = account::Entity::find_by_id(BOB).one(&app.db).await.unwrap().unwrap();
        let changed = bob.company == "Changed by a role";
        assert_eq!(changed, matches!(*role, "admin" | "support"), "{role}");
        let made = account::Entity::find().count(&app.db).await.unwrap() == 4;
        assert_eq!(made, *role == "admin", "{role}");
    }
}

#[tokio::test]
async fn refusals_say_who_can_in_plain_words() {
    let app = TestApp::new(0).await;
    let mut viewer = client_for(&app, "viewer").await;
    let r = viewer.get("/admin/account/new").await;
    r.assert_contains("You can view accounts but not add them. Ask someone with the admin role.");
    r.assert_lacks("account.add");
    let mut finance = client_for(&app, "finance").await;
    let r = finance.get("/admin/account/").await;
    r.assert_contains("You cannot view accounts. Ask someone with the support, trials or viewer role.");
    r.assert_lacks("account.view");
    // The dashboard and the menu show only what the user may view.
    let r = finance.get("/admin/").await;
    r.assert_contains("href=\"/admin/invoice/\"");
    r.assert_lacks("href=\"/admin/account/\"");
    r.assert_lacks("href=\"/admin/audit\"");
}

#[tokio::test]
async fn screens_show_no_controls_for_what_the_user_may_not_do() {
    let app = TestApp::new(0).await;
    let mut viewer = client_for(&app, "viewer").await;
    let list = viewer.get("/admin/account/").await;
    list.assert_lacks("Add account");
    list.assert_lacks("Export CSV");
    let detail = viewer.get("/admin/account/2").await;
    detail.assert_lacks(">Save</button>");
    detail.assert_lacks("Delete…");
    detail.assert_contains("<fieldset disabled>");
    let mut support = client_for(&app, "support").await;
    let detail = support.get("/admin/account/2").await;
    detail.assert_contains(">Save</button>");
    detail.assert_lacks("Delete…");
    // Billing fields and action-owned flags are text for support, not controls.
    detail.assert_lacks("name=\"plan\"");
    detail.assert_lacks("name=\"manual_review\"");
    detail.assert_lacks("name=\"locked\"");
    detail.assert_contains("name=\"company\"");
}

#[tokio::test]
async fn read_only_for_a_role_means_ignored_when_posted() {
    let app = TestApp::new(0).await;
    let mut support = client_for(&app, "support").await;
    let (_, mut form) = support.edit_form(&format!("/admin/account/{CAROL}")).await;
    for (k, v) in [
        ("email", "user3@acme-420-gmbh.example"),
        ("company", "Support fixed the name"),
        ("plan", "free"),
        ("manual_review", "1"),
        ("locked", "0"),
        ("signup_at", "2026-03-05T09:30:00"),
    ] {
        form.push((k.to_owned(), v.to_owned()));
    }
    let r = support.post(&format!("/admin/account/{CAROL}"), &super::support::refs(&form)).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let carol = account::Entity::find_by_id(CAROL).one(&app.db).await.unwrap().unwrap();
    assert_eq!(carol.company, "Support fixed the name");
    assert_eq!((carol.plan.as_str(), carol.manual_review, carol.locked), ("monthly", false, true));
}

/// The console's roles, with `audit.view` granted to viewers by name (a pattern
/// over models does not grant it), to see what the audit log shows them.
fn viewers_read_the_audit_log() -> opsadmin::Roles {
    ops_console::roles::roles().role("viewer", "Looks, and reads the audit log.", &["*.view", "audit.view"])
}

#[tokio::test]
async fn a_hidden_field_appears_nowhere_for_that_role() {
    let app = TestApp::with_roles(viewers_read_the_audit_log()).await;
    app.db
        .execute_unprepared("UPDATE account SET last_payment_result = 'insufficient_funds' WHERE id = 2")
        .await
        .unwrap();
    // A change that touches every field lands in the audit log with the hidden one.
    let mut admin = app.signed_in().await;
    let csrf = admin.csrf().await;
    admin
        .post(
            "/admin/account/new",
            &[
                ("csrf_token", &csrf),
                ("email", "h@h.test"),
                ("company", "H"),
                ("plan", "free"),
                ("signup_at", "2026-01-01 00:00"),
            ],
        )
        .await;
    let mut viewer = client_for(&app, "viewer").await;
    for path in [
        "/admin/account/2",
        "/admin/account/",
        "/admin/account/4/history",
        "/admin/audit",
        "/admin/invoice/1",
    ] {
        let r = viewer.get(path).await;
        assert_eq!(r.status, 200, "{path}");
        r.assert_lacks("Last payment result");
        r.assert_lacks("last_payment_result");
        r.assert_lacks("Insufficient funds");
    }
    // Filtering or sorting by it is refused like an unknown field.
    let r = viewer.get("/admin/account/?last_payment_result=declined&sort=last_payment_result").await;
    r.assert_contains("is not a filter of this list");
    // The admin still sees it.
    admin.get("/admin/account/2").await.assert_contains("Insufficient funds");
    admin.get("/admin/account/4/history").await.assert_contains("Last payment result");
}

#[tokio::test]
async fn sessions_end_when_idle_too_long_or_past_their_lifetime() {
    let app = TestApp::new(0).await;
    let mut c = app.signed_in().await;
    assert_eq!(c.get("/admin/").await.status, 200);
    app.db.execute_unprepared("UPDATE admin_session SET last_seen_at = '2000-01-01 00:00:00'").await.unwrap();
    let r = c.get("/admin/").await;
    assert_eq!(r.status, 303, "idle too long");
    let mut c = app.signed_in().await;
    app.db.execute_unprepared("UPDATE admin_session SET expires_at = '2000-01-01 00:00:00'").await.unwrap();
    assert_eq!(c.get("/admin/").await.status, 303, "past its lifetime");
}

#[tokio::test]
async fn role_and_password_changes_and_deactivation_end_a_users_sessions() {
    let app = TestApp::new(0).await;
    let mut admin = app.signed_in().await;
    let csrf = admin.csrf().await;
    let mut support = client_for(&app, "support").await;
    let id: i64 = admin_core::auth::staff_by_name(&app.db, &ops_console::roles::roles(), "support-user")
        .await
        .unwrap()
        .id;
    assert_eq!(support.get("/admin/account/").await.status, 200);

    // Roles change: the session ends.
    let r = admin
        .post(
            &format!("/admin/staff/{id}"),
            &[("csrf_token", &csrf), ("roles", "viewer"), ("is_active", "1")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(support.get("/admin/account/").await.status, 303);
    // The new roles apply at the next sign-in.
    support.sign_in("support-user", PASSWORD).await;
    let detail = support.get("/admin/account/2").await;
    detail.assert_lacks(">Save</button>");

    // Password reset: the session ends and the old password no longer works.
    let r = admin
        .post(
            &format!("/admin/staff/{id}/password"),
            &[("csrf_token", &csrf), ("password", "a brand new pass phrase")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(support.get("/admin/").await.status, 303);
    support.sign_in("support-user", PASSWORD).await.assert_contains("Wrong username or password.");
    assert_eq!(support.sign_in("support-user", "a brand new pass phrase").await.status, 303);

    // Deactivation: the session ends at once and sign-in is refused.
    let r = admin.post(&format!("/admin/staff/{id}"), &[("csrf_token", &csrf), ("roles", "viewer")]).await;
    assert_eq!(r.status, 303);
    assert_eq!(support.get("/admin/").await.status, 303);
    support
        .sign_in("support-user", "a brand new pass phrase")
        .await
        .assert_contains("Wrong username or password.");
    // Staff changes are audited, and the password never appears.
    let entries = entry::Entity::find().all(&app.db).await.unwrap();
    let staff_entries: Vec<_> = entries.iter().filter(|e| e.model.as_deref() == Some("staff")).collect();
    assert_eq!(staff_entries.len(), 3);
    assert!(entries.iter().all(|e| !e.changes.contains("brand new")));
}

#[tokio::test]
async fn users_change_their_own_password_with_the_current_one() {
    let app = TestApp::new(0).await;
    let mut c = client_for(&app, "viewer").await;
    let mut other_tab = app.client();
    other_tab.sign_in("viewer-user", PASSWORD).await;
    let csrf = c.csrf().await;
    let post = |cur: &'static str, new: &'static str, confirm: &'static str| {
        vec![
            ("csrf_token".to_owned(), csrf.clone()),
            ("current_password".to_owned(), cur.to_owned()),
            ("new_password".to_owned(), new.to_owned()),
            ("confirm".to_owned(), confirm.to_owned()),
        ]
    };
    let r = c
        .post(
            "/admin/me/password",
            &super::support::refs(&post("wrong one", "a fresh long phrase", "a fresh long phrase")),
        )
        .await;
    assert_eq!(r.status, 400);
    r.assert_contains("That is not your current password.");
    let r = c.post("/admin/me/password", &super::support::refs(&post(PASSWORD, "short", "short"))).await;
    r.assert_contains("Use at least 12 characters");
    let r = c
        .post("/admin/me/password", &super::support::refs(&post(PASSWORD, "password1234", "password1234")))
        .await;
    r.assert_contains("This password is too common");
    let r = c
        .post(
            "/admin/me/password",
            &super::support::refs(&post(PASSWORD, "a fresh long phrase", "a different phrase")),
        )
        .await;
    r.assert_contains("The two new passwords are not the same.");
    let r = c
        .post(
            "/admin/me/password",
            &super::support::refs(&post(PASSWORD, "a fresh long phrase", "a fresh long phrase")),
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(c.get("/admin/").await.status, 200, "this session stays");
    assert_eq!(other_tab.get("/admin/").await.status, 303, "other sessions end");
}

#[tokio::test]
async fn repeated_failures_lock_sign_in_without_revealing_the_user() {
    let app = TestApp::new(0).await;
    for name in [super::support::USER, "no-such-user"] {
        let mut c = app.client();
        for _ in 0..5 {
            c.sign_in(name, "not the password").await.assert_contains("Wrong username or password.");
        }
        // Locked now, even with the right password, with the same words for both names.
        let r = c.sign_in(name, super::support::PASSWORD).await;
        assert_eq!(r.status, 429);
        r.assert_contains("Too many failed sign-ins. Wait 15 minutes, then try again.");
        assert!(c.cookie("opsadmin_session").is_none());
    }
    let locks = entry::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == "login_locked")
        .count();
    assert_eq!(locks, 2);
}

#[tokio::test]
async fn the_audit_export_leaves_hidden_fields_out_too() {
    let app = TestApp::with_roles(viewers_read_the_audit_log()).await;
    let mut admin = app.signed_in().await;
    let csrf = admin.csrf().await;
    admin
        .post(
            "/admin/account/new",
            &[
                ("csrf_token", &csrf),
                ("email", "h@h.test"),
                ("company", "H"),
                ("plan", "free"),
                ("signup_at", "2026-01-01 00:00"),
            ],
        )
        .await;
    let mut viewer = client_for(&app, "viewer").await;
    let csv = viewer.get("/admin/audit/export.csv?kind=create").await;
    assert_eq!(csv.status, 200);
    assert!(csv.body.contains("h@h.test"));
    assert!(!csv.body.contains("last_payment_result"), "{}", csv.body);
    let csv = admin.get("/admin/audit/export.csv?kind=create").await;
    assert!(csv.body.contains("last_payment_result"));
}

#[tokio::test]
async fn managing_staff_asks_for_the_password_again_after_fifteen_minutes() {
    let app = TestApp::new(0).await;
    let mut admin = app.signed_in().await;
    let csrf = admin.csrf().await;
    app.db
        .execute_unprepared("UPDATE admin_session SET authenticated_at = '2000-01-01 00:00:00'")
        .await
        .unwrap();
    let r = admin
        .post(
            "/admin/staff/new",
            &[("csrf_token", &csrf), ("username", "late"), ("password", "another long pass phrase")],
        )
        .await;
    assert_eq!(r.status, 303);
    assert!(r.location().starts_with("/admin/me/confirm?next="), "{}", r.location());
    assert!(admin_core::auth::staff_by_name(&app.db, &ops_console::roles::roles(), "late").await.is_err());
    // After confirming the password, it works.
    let r = admin.confirm_password(r.location()).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let r = admin
        .post(
            "/admin/staff/new",
            &[("csrf_token", &csrf), ("username", "late"), ("password", "another long pass phrase")],
        )
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(r.location(), "/admin/staff/");
}

#[tokio::test]
async fn field_rules_that_name_an_undeclared_role_stop_the_start() {
    use opsadmin::Roles;
    let registry = ops_console::registry();
    // The reference app's roles cover its field rules.
    assert_eq!(ops_console::roles::roles().undeclared_in(&registry.metas()), Vec::<String>::new());
    // Without `viewer` (say, renamed to `viewers`), the hidden card answer would show.
    let roles = Roles::new().role("admin", "", &["*"]).role("support", "", &["account.view"]).role(
        "viewers",
        "",
        &["account.view"],
    );
    let problems = roles.undeclared_in(&registry.metas());
    assert_eq!(
        problems,
        [
            "account.last_payment_result: hidden_for names the role `viewer`, which is not declared (did you mean `viewers`?); declare the role in your `Roles`, or fix the name in #[admin(hidden_for(...))] (declared: admin, support, viewers)"
        ]
    );
    let db = sea_orm::Database::connect("sqlite::memory:").await.unwrap();
    let started = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        opsadmin::web::AdminState::new(db, registry).with_roles(roles)
    }));
    let message = started.err().and_then(|e| e.downcast_ref::<String>().cloned()).unwrap_or_default();
    assert!(message.contains("account.last_payment_result: hidden_for names the role `viewer`"), "{message}");
}

#[tokio::test]
async fn viewers_see_the_models_but_not_the_staff_users_or_the_audit_log() {
    let app = TestApp::new(0).await;
    let mut viewer = client_for(&app, "viewer").await;
    for (path, permission) in [
        ("/admin/staff/", "staff.view"),
        ("/admin/staff/1", "staff.view"),
        ("/admin/audit", "audit.view"),
        ("/admin/audit/export.csv", "audit.view"),
    ] {
        let r = viewer.get(path).await;
        assert_eq!(r.status, 403, "{path}");
        r.assert_contains("Ask someone with the admin role.");
        r.assert_lacks(permission);
    }
    // The menu offers neither.
    let home = viewer.get("/admin/").await;
    assert_eq!(home.status, 200);
    home.assert_contains("href=\"/admin/account/\"");
    home.assert_lacks("href=\"/admin/staff/\"");
    home.assert_lacks("href=\"/admin/audit\"");
}

#[tokio::test]
async fn the_admins_own_pages_need_a_grant_that_names_them() {
    use opsadmin::Roles;
    let roles = ops_console::roles::roles()
        .role("every_model", "Every operation on every model", &["*.view", "*.change", "*.add", "*.delete"])
        .role("staff_watcher", "Sees who the staff are", &["staff.view"])
        .role("staff_keeper", "Manages the staff", &["staff.*"])
        .role("auditor", "Reads the audit log", &["audit.view"]);
    let app = TestApp::with_roles(Roles::clone(&roles)).await;
    let mut all_models = client_for(&app, "every_model").await;
    let csrf = all_models.csrf().await;
    for path in ["/admin/staff/", "/admin/audit", "/admin/staff/new"] {
        assert_eq!(all_models.get(path).await.status, 403, "{path}");
    }
    let r = all_models
        .post("/admin/staff/new", &[("csrf_token", &csrf), ("username", "sneaky"), ("password", PASSWORD)])
        .await;
    assert_eq!(r.status, 403);
    assert!(admin_core::auth::staff_by_name(&app.db, &roles, "sneaky").await.is_err());
    assert_eq!(all_models.get("/admin/account/2").await.status, 200);

    let mut auditor = client_for(&app, "auditor").await;
    assert_eq!(auditor.get("/admin/audit").await.status, 200);
    assert_eq!(auditor.get("/admin/audit/export.csv").await.status, 200);
    assert_eq!(auditor.get("/admin/staff/").await.status, 403);
    auditor.get("/admin/").await.assert_contains("href=\"/admin/audit\"");

    let mut keeper = client_for(&app, "staff_keeper").await;
    let list = keeper.get("/admin/staff/").await;
    assert_eq!(list.status, 200);
    list.assert_contains("Add staff user");
    let id = admin_core::auth::staff_by_name(&app.db, &roles, "auditor-user").await.unwrap().id;
    let page = keeper.get(&format!("/admin/staff/{id}")).await;
    page.assert_contains("name=\"roles\"");
    page.assert_contains(">Save</button>");
    page.assert_contains("Reset password");
}

#[tokio::test]
async fn a_staff_page_shows_no_form_to_someone_who_cannot_submit_it() {
    let roles = ops_console::roles::roles().role("staff_watcher", "Sees who the staff are", &["staff.view"]);
    let app = TestApp::with_roles(roles.clone()).await;
    let mut watcher = client_for(&app, "staff_watcher").await;
    let list = watcher.get("/admin/staff/").await;
    assert_eq!(list.status, 200);
    list.assert_lacks("Add staff user");
    let id = admin_core::auth::staff_by_name(&app.db, &roles, "staff_watcher-user").await.unwrap().id;
    for path in [format!("/admin/staff/{id}"), "/admin/staff/1".to_owned()] {
        let page = watcher.get(&path).await;
        assert_eq!(page.status, 200, "{path}");
        page.assert_contains("staff_watcher");
        page.assert_contains("You can view staff users but not change them.");
        for control in [
            "<form method=\"post\" action=\"/admin/staff/",
            "name=\"roles\"",
            "name=\"is_active\"",
            ">Save</button>",
            "Reset password",
        ] {
            page.assert_lacks(control);
        }
    }
    // Someone who manages staff but is no superuser gets no form for a superuser.
    let mut admin = client_for(&app, "admin").await;
    let page = admin.get("/admin/staff/1").await;
    assert_eq!(page.status, 200);
    page.assert_contains("Only a superuser can change a superuser");
    page.assert_lacks(">Save</button>");
    page.assert_lacks("Reset password");
    let page = admin.get(&format!("/admin/staff/{id}")).await;
    page.assert_contains(">Save</button>");
    // Superusers still see and change everything.
    let mut root = app.signed_in().await;
    let page = root.get("/admin/staff/1").await;
    page.assert_contains(">Save</button>");
    assert_eq!(root.get("/admin/audit").await.status, 200);
}
