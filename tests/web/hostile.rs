//! Hostile text: NUL bytes, broken %-encoding, overlong UTF-8, huge values and
//! right-to-left or zero-width characters, sent to every route and form field as
//! every role and signed out. None may get a server error, on either backend; what
//! is refused is not saved.

use admin_core::kernel::text;
use sea_orm::{ConnectionTrait, EntityTrait, PaginatorTrait};

use super::support::{ALICE, Client, PASSWORD, Resp, TestApp, USER, refs};

/// Text as it goes into a URL or a form body, already %-encoded (or deliberately
/// not), with a name for the failure report.
const HOSTILE: &[(&str, &str)] = &[
    ("NUL", "a%00b"),
    ("broken escape", "%zz"),
    ("lone percent", "%"),
    ("overlong UTF-8", "%C0%80"),
    ("escape character", "a%1Bb"),
    ("RTL and zero-width", "%E2%80%AEevil%E2%80%8B"),
];

/// The longest value put into a URL: `http` refuses URIs of 64 KiB and more, as
/// servers refuse long request lines themselves.
const BIG_IN_URL: usize = 60_000;
/// The big value of form bodies: 1 MB.
const BIG_IN_BODY: usize = 1_000_000;

/// A route: method, path, and its parameters or fields with a valid value each.
type Route = (&'static str, &'static str, &'static [(&'static str, &'static str)]);

/// Every route of `admin-web/src/router.rs`: method, path (placeholders in braces),
/// and the query parameters (GET) or form fields (POST) it reads, with a valid value
/// each. `{model}` is `account`, `{id}` Alice, `{staff}` a staff user made for this
/// test, `{approval}` and `{view}` ids that may or may not exist.
const ROUTES: &[Route] = &[
    ("GET", "/admin", &[]),
    ("GET", "/admin/", &[("_flash", "1")]),
    ("GET", "/admin/login", &[("next", "/admin/")]),
    (
        "POST",
        "/admin/login",
        &[("username", "nobody"), ("password", "not the password"), ("next", "/admin/")],
    ),
    ("POST", "/admin/logout", &[("csrf_token", "stale")]),
    ("GET", "/admin/login/second-factor", &[("next", "/admin/")]),
    ("POST", "/admin/login/second-factor", &[("code", "123456"), ("next", "/admin/")]),
    ("GET", "/admin/me/two-factor", &[]),
    (
        "POST",
        "/admin/me/two-factor",
        &[("action", "start"), ("code", "123456"), ("secret", "ABCDEFGH"), ("password", PASSWORD)],
    ),
    ("GET", "/admin/me/confirm", &[("next", "/admin/")]),
    ("POST", "/admin/me/confirm", &[("password", "not the password"), ("next", "/admin/")]),
    ("GET", "/admin/me/tokens", &[]),
    ("POST", "/admin/me/tokens", &[("action", "create"), ("name", "nightly sync"), ("id", "999")]),
    ("GET", "/admin/static/{file}", &[]),
    ("GET", "/admin/staff/", &[]),
    ("GET", "/admin/staff/new", &[]),
    (
        "POST",
        "/admin/staff/new",
        &[("username", "newcomer"), ("password", "short"), ("roles", "viewer"), ("is_superuser", "0")],
    ),
    ("GET", "/admin/staff/{staff}", &[]),
    ("POST", "/admin/staff/{staff}", &[("roles", "viewer"), ("is_active", "1"), ("is_superuser", "0")]),
    ("POST", "/admin/staff/{staff}/password", &[("password", "short")]),
    ("GET", "/admin/me/password", &[]),
    (
        "POST",
        "/admin/me/password",
        &[("current_password", "not the password"), ("new_password", "short"), ("confirm", "short")],
    ),
    ("POST", "/admin/api/{model}/actions/{action}", &[("ids", "1")]),
    ("GET", "/admin/search", &[("q", "acme")]),
    ("POST", "/admin/views/{view}/delete", &[]),
    ("POST", "/admin/{model}/views", &[("name", "Trials"), ("query", "q=acme&plan=trial")]),
    ("POST", "/admin/{model}/{id}/notes", &[("body", "Called the customer.")]),
    ("GET", "/admin/approvals", &[("status", "pending"), ("page", "1")]),
    ("GET", "/admin/approvals/{approval}", &[]),
    ("POST", "/admin/approvals/{approval}/approve", &[("note", "Looks right.")]),
    ("POST", "/admin/approvals/{approval}/reject", &[("note", "Not this one.")]),
    (
        "GET",
        "/admin/audit",
        &[
            ("actor", USER),
            ("kind", "update"),
            ("model", "account"),
            ("object_id", "1"),
            ("from", "2026-01-01"),
            ("to", "2026-12-31"),
            ("q", "acme"),
            ("page", "1"),
        ],
    ),
    (
        "GET",
        "/admin/audit/export.csv",
        &[("actor", USER), ("kind", "update"), ("model", "account"), ("object_id", "1")],
    ),
    (
        "GET",
        "/admin/{model}/",
        &[
            ("q", "acme"),
            ("plan", "trial"),
            ("signup_at__from", "2026-01-01"),
            ("sort", "-id"),
            ("page", "1"),
            ("after", "2"),
            ("before", "3"),
            ("exact", "1"),
        ],
    ),
    ("GET", "/admin/{model}/export.csv", &[("q", "acme"), ("plan", "trial"), ("manual_review", "1")]),
    ("GET", "/admin/{model}/new", &[]),
    (
        "POST",
        "/admin/{model}/new",
        &[
            ("email", "new@example.com"),
            ("company", "New Co"),
            ("plan", "free"),
            ("signup_at", "2026-03-02T14:05"),
            ("_back", "q=acme"),
        ],
    ),
    ("GET", "/admin/{model}/{id}", &[("_back", "q=acme")]),
    (
        "POST",
        "/admin/{model}/{id}",
        &[
            ("_version", "{version}"),
            ("email", "user1@acme-42-ltd.example"),
            ("company", "Acme 42 Ltd"),
            ("plan", "trial"),
            ("signup_at", "2026-01-10T09:30:00"),
            ("welcome_email_sent", "0"),
            ("manual_review", "0"),
            ("locked", "0"),
            ("_reason", "Customer asked."),
            ("_back", "q=acme"),
            ("_continue", "1"),
        ],
    ),
    ("GET", "/admin/{model}/{id}/delete", &[("_back", "q=acme")]),
    (
        "POST",
        "/admin/{model}/{id}/delete",
        &[("_version", "{version}"), ("_reason", "Duplicate."), ("_back", "q=acme")],
    ),
    ("GET", "/admin/{model}/{id}/history", &[("page", "1")]),
    (
        "POST",
        "/admin/{model}/actions/{action}",
        &[
            ("ids", "1"),
            ("confirm", "1"),
            ("reason", "Customer asked."),
            ("idempotency_key", "ticket-1"),
            ("select_all", "0"),
            ("q", "acme"),
        ],
    ),
];

/// Every editable field of Alice's account with her values.
const ALICE_FIELDS: &[(&str, &str)] = &[
    ("email", "user1@acme-42-ltd.example"),
    ("company", "Acme 42 Ltd"),
    ("plan", "trial"),
    ("signup_at", "2026-01-10T09:30:00"),
    ("welcome_email_sent", "0"),
    ("manual_review", "0"),
    ("locked", "0"),
];

/// Alice's edit form, ready to post, with `company` instead of hers.
async fn alice_form(c: &mut Client, company: &str) -> Vec<(String, String)> {
    let (_, mut pairs) = c.edit_form(&format!("/admin/account/{ALICE}")).await;
    for (k, v) in ALICE_FIELDS {
        pairs.push(((*k).to_owned(), if *k == "company" { company.to_owned() } else { (*v).to_owned() }));
    }
    pairs
}

fn encode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// `k=v&…` with every value %-encoded except field `raw_at`, whose value `raw` goes
/// in as it is.
fn pairs_text(pairs: &[(String, String)], raw_at: Option<usize>, raw: &str) -> String {
    pairs
        .iter()
        .enumerate()
        .map(
            |(i, (k, v))| if Some(i) == raw_at { format!("{k}={raw}") } else { format!("{k}={}", encode(v)) },
        )
        .collect::<Vec<_>>()
        .join("&")
}

/// One signed-in (or signed-out) client and what it needs to fill in valid forms.
struct Who {
    role: &'static str,
    client: Client,
    csrf: String,
    /// Alice's record version as this client last saw it.
    version: Option<String>,
}

impl Who {
    async fn new(app: &TestApp, role: &'static str, user: Option<&str>) -> Self {
        let mut client = app.client();
        let csrf = match user {
            Some(name) => {
                let r = client.sign_in(name, PASSWORD).await;
                assert!(r.status.is_redirection(), "{name} signs in: {}", r.status);
                client.csrf().await
            }
            None => client.get("/admin/login").await.input_value("csrf_token").unwrap_or_default(),
        };
        Self { role, client, csrf, version: None }
    }
}

async fn current_version(client: &mut Client) -> String {
    client.get(&format!("/admin/account/{ALICE}")).await.input_value("_version").unwrap_or_default()
}

/// The path with its placeholders filled in, `hostile_at` (a placeholder's name)
/// replaced by `raw`.
fn fill_path(template: &str, staff_id: i64, hostile_at: Option<&str>, raw: &str) -> String {
    let staff = staff_id.to_string();
    let alice = ALICE.to_string();
    let valid = [
        ("{model}", "account"),
        ("{id}", alice.as_str()),
        ("{action}", "mark_for_manual_review"),
        ("{file}", "admin.css"),
        ("{staff}", staff.as_str()),
        ("{approval}", "1"),
        ("{view}", "1"),
    ];
    let mut out = template.to_owned();
    for (name, value) in valid {
        out = out.replace(name, if hostile_at == Some(name) { raw } else { value });
    }
    out
}

fn placeholders(template: &str) -> Vec<&str> {
    template.split('/').filter(|s| s.starts_with('{') && s.ends_with('}')).collect()
}

#[tokio::test]
async fn no_route_answers_hostile_text_with_a_server_error_for_any_role() {
    let app = TestApp::new(0).await;
    for (name, role) in [("sam", "support"), ("fiona", "finance"), ("vic", "viewer"), ("target", "viewer")] {
        opsadmin::auth::create_user(&app.db, name, PASSWORD, &[role], false).await.unwrap();
    }
    let staff_id =
        admin_core::auth::staff_by_name(&app.db, &ops_console::roles::roles(), "target").await.unwrap().id;
    let mut people = vec![
        Who::new(&app, "admin", Some(USER)).await,
        Who::new(&app, "support", Some("sam")).await,
        Who::new(&app, "finance", Some("fiona")).await,
        Who::new(&app, "viewer", Some("vic")).await,
        Who::new(&app, "signed out", None).await,
    ];
    let big_url = "a".repeat(BIG_IN_URL);
    let big_body = "a".repeat(BIG_IN_BODY);
    let mut failures = Vec::new();
    let mut requests = 0;
    let mut check = |who: &str, what: String, resp: Option<Resp>| {
        requests += 1;
        if let Some(r) = resp
            && r.status.is_server_error()
        {
            failures.push(format!("{who}: {what} -> {}", r.status));
        }
    };
    for who in &mut people {
        let signed_in = who.role != "signed out";
        for &(method, template, fields) in ROUTES {
            // Sign-in is for the signed out; the others would only sign in again.
            if template == "/admin/login" && method == "POST" && signed_in {
                continue;
            }
            for (label, raw) in HOSTILE.iter().copied().chain([("big", big_url.as_str())]) {
                // In each part of the path.
                for at in placeholders(template) {
                    let path = fill_path(template, staff_id, Some(at), raw);
                    let body = format!("csrf_token={}", encode(&who.csrf));
                    let headers =
                        [("content-type", "application/x-www-form-urlencoded"), ("accept", "text/html")];
                    let resp = who.client.raw(method, &path, &headers, body).await;
                    check(who.role, format!("{method} {template} with {label} in {at}"), resp);
                }
                // In the query string: every parameter at once, and once more with the
                // text as a parameter's name.
                if method == "GET" {
                    let path = fill_path(template, staff_id, None, "");
                    let names: Vec<&str> = fields.iter().map(|(k, _)| *k).chain(["q", "page"]).collect();
                    let query = names.iter().map(|k| format!("{k}={raw}")).collect::<Vec<_>>().join("&");
                    let resp = who
                        .client
                        .raw("GET", &format!("{path}?{query}"), &[("accept", "text/html")], "")
                        .await;
                    check(who.role, format!("GET {template}?…={label}"), resp);
                    let resp = who
                        .client
                        .raw("GET", &format!("{path}?{raw}=1"), &[("accept", "text/html")], "")
                        .await;
                    check(who.role, format!("GET {template}?{label}=1"), resp);
                }
            }
            if method != "POST" {
                continue;
            }
            // In each form field, the others valid (a fresh version for the edit form).
            let path = fill_path(template, staff_id, None, "");
            for (label, raw) in HOSTILE.iter().copied().chain([("big", big_body.as_str())]) {
                for at in 0..fields.len() {
                    let mut pairs: Vec<(String, String)> = Vec::new();
                    // Logout's only field is its CSRF token; every other form gets a valid one.
                    if template != "/admin/logout" {
                        pairs.push(("csrf_token".to_owned(), who.csrf.clone()));
                    }
                    for &(k, v) in fields {
                        let v = match v {
                            "{version}" => match &who.version {
                                Some(v) => v.clone(),
                                None => current_version(&mut who.client).await,
                            },
                            // A new name each time: the sign-in throttle's growing delay
                            // would slow the table down.
                            "nobody" => format!("nobody-{label}-{at}"),
                            _ => v.to_owned(),
                        };
                        pairs.push((k.to_owned(), v));
                    }
                    let raw_at = at + usize::from(template != "/admin/logout");
                    let body = pairs_text(&pairs, Some(raw_at), raw);
                    let headers =
                        [("content-type", "application/x-www-form-urlencoded"), ("accept", "text/html")];
                    let resp = who.client.raw("POST", &path, &headers, body).await;
                    // A save changes the version; read it again only then.
                    let saved = resp.as_ref().is_none_or(|r| r.status.is_redirection());
                    if fields.iter().any(|(_, v)| *v == "{version}") {
                        who.version = if saved {
                            None
                        } else {
                            pairs.iter().find(|(k, _)| k == "_version").map(|(_, v)| v.clone())
                        };
                    }
                    check(who.role, format!("POST {template} with {label} in {}", fields[at].0), resp);
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {requests} requests got a server error:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(requests > 1_000, "the table ran ({requests} requests)");

    // Nothing with a NUL or another control character was stored anywhere.
    if app.backend == super::support::Backend::Sqlite {
        for (table, column) in [
            ("account", "email"),
            ("account", "company"),
            ("admin_note", "body"),
            ("admin_saved_view", "name"),
            ("admin_saved_view", "query"),
            ("admin_api_token", "name"),
            ("admin_user", "username"),
            ("admin_audit", "changes"),
            ("admin_audit", "reason"),
            ("admin_audit", "actor"),
            ("admin_approval", "decision_note"),
        ] {
            let sql = format!(
                "SELECT COUNT(*) AS n FROM {table} WHERE instr({column}, char(0)) > 0 OR instr({column}, char(27)) > 0"
            );
            let row = app
                .db
                .query_one_raw(sea_orm::Statement::from_string(sea_orm::DbBackend::Sqlite, sql))
                .await
                .unwrap()
                .unwrap();
            assert_eq!(row.try_get::<i64>("", "n").unwrap(), 0, "{table}.{column} holds a control character");
        }
    }
    // Nothing over its limit was stored.
    let accounts = ops_console::models::account::Entity::find().all(&app.db).await.unwrap();
    assert!(
        accounts
            .iter()
            .all(|a| a.company.chars().count() <= text::LINE && a.email.chars().count() <= text::LINE)
    );
    let notes = admin_core::notes::note::Entity::find().all(&app.db).await.unwrap();
    assert!(notes.iter().all(|n| n.body.chars().count() <= text::NOTE));
    let audit = admin_core::audit::entry::Entity::find().all(&app.db).await.unwrap();
    assert!(audit.iter().all(|e| e.changes.len() < 100_000), "no audit entry carries a huge value");
}

#[tokio::test]
async fn a_nul_byte_in_a_form_field_is_refused_with_the_fields_message_and_nothing_is_saved() {
    let app = TestApp::new(0).await;
    let mut c = app.signed_in().await;
    let audit_before = admin_core::audit::entry::Entity::find().count(&app.db).await.unwrap();
    let path = format!("/admin/account/{ALICE}");
    let pairs = alice_form(&mut c, "Acme\0 42 Ltd").await;
    let r = c.post(&path, &refs(&pairs)).await;
    assert!(r.status == 400 || r.status == 422, "the form is shown again: {}", r.status);
    r.assert_contains("cannot be stored");
    r.assert_contains("id=\"id_company_error\"");
    let alice = ops_console::models::account::Entity::find_by_id(ALICE).one(&app.db).await.unwrap().unwrap();
    assert_eq!(alice.company, "Acme 42 Ltd");
    assert_eq!(admin_core::audit::entry::Entity::find().count(&app.db).await.unwrap(), audit_before);
}

#[tokio::test]
async fn an_oversized_company_name_is_refused_with_its_length_not_cut_short() {
    let app = TestApp::new(0).await;
    let mut c = app.signed_in().await;
    let audit_before = admin_core::audit::entry::Entity::find().count(&app.db).await.unwrap();
    let path = format!("/admin/account/{ALICE}");
    let page = c.get(&path).await;
    page.assert_contains("name=\"company\" value=\"Acme 42 Ltd\" type=\"text\" maxlength=\"255\"");
    let pairs = alice_form(&mut c, &"a".repeat(1_900_000)).await;
    let r = c.post(&path, &refs(&pairs)).await;
    assert_eq!(r.status, 400);
    r.assert_contains("Keep this to 255 characters or fewer; it has 1,900,000.");
    let alice = ops_console::models::account::Entity::find_by_id(ALICE).one(&app.db).await.unwrap().unwrap();
    assert_eq!(alice.company, "Acme 42 Ltd");
    assert_eq!(admin_core::audit::entry::Entity::find().count(&app.db).await.unwrap(), audit_before);
}

#[tokio::test]
async fn a_huge_action_reason_is_refused_and_nothing_runs() {
    let app = TestApp::new(0).await;
    let mut c = app.signed_in().await;
    let csrf = c.csrf().await;
    let audit_before = admin_core::audit::entry::Entity::find().count(&app.db).await.unwrap();
    let reason = "r".repeat(100_000);
    let ids = ALICE.to_string();
    let r = c
        .post(
            "/admin/account/actions/mark_for_manual_review",
            &[("csrf_token", &csrf), ("ids", &ids), ("confirm", "1"), ("reason", &reason)],
        )
        .await;
    assert_eq!(r.status, 400);
    r.assert_contains("The reason is too long: keep it to 1,000 characters or fewer; it has 100,000.");
    let alice = ops_console::models::account::Entity::find_by_id(ALICE).one(&app.db).await.unwrap().unwrap();
    assert!(!alice.manual_review, "the action did not run");
    assert_eq!(admin_core::audit::entry::Entity::find().count(&app.db).await.unwrap(), audit_before);
    // A NUL in the idempotency key: refused the same way.
    let r = c
        .post(
            "/admin/account/actions/mark_for_manual_review",
            &[("csrf_token", &csrf), ("ids", &ids), ("confirm", "1"), ("idempotency_key", "ticket\0-9")],
        )
        .await;
    assert_eq!(r.status, 400);
    r.assert_contains("The idempotency key has invisible control characters");
    assert_eq!(admin_core::audit::entry::Entity::find().count(&app.db).await.unwrap(), audit_before);
}

#[tokio::test]
async fn saving_a_view_refuses_a_huge_query_without_echoing_it() {
    let app = TestApp::new(0).await;
    let mut c = app.signed_in().await;
    let csrf = c.csrf().await;
    let query = format!("q={}", "a".repeat(100_000));
    let r =
        c.post("/admin/account/views", &[("csrf_token", &csrf), ("name", "Huge"), ("query", &query)]).await;
    assert!(r.status.is_redirection());
    assert!(r.location().len() < 3_000, "the Location header stays short ({} bytes)", r.location().len());
    let list = c.get(r.location()).await;
    list.assert_contains("The view was not saved");
    let name = "n".repeat(101);
    let r =
        c.post("/admin/account/views", &[("csrf_token", &csrf), ("name", &name), ("query", "q=acme")]).await;
    let list = c.get(r.location()).await;
    list.assert_contains("The name is too long: keep it to 100 characters or fewer; it has 101.");
    assert_eq!(admin_core::notes::saved_view::Entity::find().count(&app.db).await.unwrap(), 0);
}

#[tokio::test]
async fn right_to_left_and_zero_width_text_is_accepted_and_shown_escaped() {
    let app = TestApp::new(0).await;
    let mut c = app.signed_in().await;
    let path = format!("/admin/account/{ALICE}");
    let company = "<b>\u{202e}Acme\u{200b} Ltd</b>";
    let pairs = alice_form(&mut c, company).await;
    let r = c.post(&path, &refs(&pairs)).await;
    assert!(r.status.is_redirection(), "saved: {}", r.status);
    let alice = ops_console::models::account::Entity::find_by_id(ALICE).one(&app.db).await.unwrap().unwrap();
    assert_eq!(alice.company, company);
    let page = c.get(&path).await;
    page.assert_contains("&lt;b&gt;\u{202e}Acme\u{200b} Ltd&lt;/b&gt;");
    page.assert_lacks("<b>\u{202e}");
}

#[tokio::test]
async fn nul_in_an_address_or_a_sign_in_gets_a_plain_answer_not_a_server_error() {
    let app = TestApp::new(0).await;
    let mut out = app.client();
    let form = out.get("/admin/login").await;
    let csrf = form.input_value("csrf_token").unwrap();
    let r =
        out.post("/admin/login", &[("username", "ad\0min"), ("password", "x"), ("csrf_token", &csrf)]).await;
    assert_eq!(r.status, 200);
    r.assert_contains("Wrong username or password.");
    let mut c = app.signed_in().await;
    for path in [
        "/admin/account/?q=a%00b",
        "/admin/account/%00/history",
        "/admin/search?q=%00",
        "/admin/audit?actor=%00",
    ] {
        let r = c.get(path).await;
        assert_eq!(r.status, 400, "{path}");
        r.assert_contains("cannot be read");
    }
    let r = c.raw("GET", "/admin/account/?q=%zz", &[("accept", "text/html")], "").await.unwrap();
    assert_eq!(r.status, 400);
    // A search term that is too long finds nothing and says why, everywhere.
    let long = "a".repeat(201);
    let r = c.get(&format!("/admin/account/?q={long}")).await;
    assert_eq!(r.status, 200);
    r.assert_contains("Searches are limited to 200 characters");
    let r = c.get(&format!("/admin/search?q={long}")).await;
    r.assert_lacks("Acme 42 Ltd");
    let r = c.get(&format!("/admin/account/export.csv?q={long}")).await;
    assert_eq!(r.status, 400, "an export never widens to every row");
    r.assert_contains("Nothing was exported.");
}

#[tokio::test]
async fn the_api_refuses_nul_in_json_with_a_json_400() {
    let app = TestApp::new(0).await;
    let mut c = app.signed_in().await;
    let csrf = c.csrf().await;
    let audit_before = admin_core::audit::entry::Entity::find().count(&app.db).await.unwrap();
    for body in [
        r#"{"ids": ["1\u0000"]}"#,
        r#"{"ids": [1], "reason": "a\u0000b"}"#,
        r#"{"ids": [1], "idempotency_key": "k\u0000"}"#,
        r#"{"ids": [1], "input": {"x\u0000": 1}}"#,
    ] {
        let headers = [("content-type", "application/json"), ("x-csrf-token", csrf.as_str())];
        let r =
            c.raw("POST", "/admin/api/account/actions/mark_for_manual_review", &headers, body).await.unwrap();
        assert_eq!(r.status, 400, "{body}");
        let json: serde_json::Value = serde_json::from_str(&r.body).expect("a JSON answer");
        assert_eq!(json["error"], "bad_request", "{json}");
        assert!(json["message"].as_str().is_some_and(|e| e.contains("NUL")), "{json}");
    }
    let headers = [("content-type", "application/json"), ("x-csrf-token", csrf.as_str())];
    let overlong: &[u8] = b"{\"ids\": [1], \"reason\": \"\xC0\x80\"}";
    let r = c
        .raw("POST", "/admin/api/account/actions/mark_for_manual_review", &headers, overlong.to_vec())
        .await
        .unwrap();
    assert_eq!(r.status, 400);
    assert_eq!(admin_core::audit::entry::Entity::find().count(&app.db).await.unwrap(), audit_before);
}

/// How many accounts are marked for manual review.
async fn marked_for_review(app: &TestApp) -> u64 {
    use sea_orm::{ColumnTrait, QueryFilter};
    ops_console::models::account::Entity::find()
        .filter(ops_console::models::account::Column::ManualReview.eq(true))
        .count(&app.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn select_all_with_a_search_or_filter_the_list_cannot_use_changes_nothing() {
    let app = TestApp::new(40).await;
    let mut c = app.signed_in().await;
    let csrf = c.csrf().await;
    let audit_before = admin_core::audit::entry::Entity::find().count(&app.db).await.unwrap();
    let marked_before = marked_for_review(&app).await;
    let long = "a".repeat(text::SEARCH + 1);
    for (name, value) in [("q", "a\u{1}b"), ("q", "a\0b"), ("q", long.as_str()), ("plan", "a\u{1}b")] {
        let r = c
            .post(
                "/admin/account/actions/mark_for_manual_review",
                &[
                    ("csrf_token", &csrf),
                    ("select_all", "1"),
                    (name, value),
                    ("confirm", "1"),
                    ("reason", "x"),
                    ("idempotency_key", "k"),
                ],
            )
            .await;
        assert_eq!(r.status, 400, "{name}={value:.20}: {}", r.body);
        r.assert_contains("Nothing was changed.");
        assert_eq!(marked_for_review(&app).await, marked_before, "{name}={value:.20}");
    }
    assert_eq!(admin_core::audit::entry::Entity::find().count(&app.db).await.unwrap(), audit_before);
}

#[tokio::test]
async fn action_keys_that_are_no_ids_or_name_no_record_queue_nothing() {
    let app = TestApp::new(0).await;
    let mut c = app.signed_in().await;
    let csrf = c.csrf().await;
    let audit_before = admin_core::audit::entry::Entity::find().count(&app.db).await.unwrap();
    let approvals = || async { admin_core::approval::request::Entity::find().count(&app.db).await.unwrap() };
    let huge = "a".repeat(BIG_IN_BODY);
    for (what, ids) in [("huge", huge.as_str()), ("NUL", "a\0b"), ("missing", "999999")] {
        let r = c
            .post(
                "/admin/invoice/actions/refund_invoice",
                &[
                    ("csrf_token", &csrf),
                    ("ids", ids),
                    ("confirm", "1"),
                    ("reason", "x"),
                    ("idempotency_key", what),
                ],
            )
            .await;
        assert!(r.status == 400 || r.status == 404, "{what}: {} {}", r.status, r.body);
        assert!(r.body.len() < 100_000, "{what}: the key is not echoed");
        assert_eq!(approvals().await, 0, "{what}: nothing queued");
    }
    let r = c
        .post(
            "/admin/invoice/actions/refund_invoice",
            &[("csrf_token", &csrf), ("ids", "1"), ("ids", "999999"), ("confirm", "1"), ("reason", "x")],
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.body);
    r.assert_contains(
        "There is no invoice with the id \u{201c}999999\u{201d}; nothing was queued for approval.",
    );
    assert_eq!(approvals().await, 0);
    // Through the API: two keys far longer than any id.
    let headers = [("content-type", "application/json"), ("x-csrf-token", csrf.as_str())];
    let body = serde_json::json!({
        "ids": ["a".repeat(1_000_000), "b".repeat(500_000)],
        "idempotency_key": "x",
        "reason": "x",
    })
    .to_string();
    let r = c.raw("POST", "/admin/api/invoice/actions/refund_invoice", &headers, body).await.unwrap();
    assert_eq!(r.status, 400, "{:.300}", r.body);
    assert!(r.body.len() < 10_000);
    assert_eq!(approvals().await, 0);
    assert_eq!(admin_core::audit::entry::Entity::find().count(&app.db).await.unwrap(), audit_before);
}

#[tokio::test]
async fn an_action_without_input_refuses_input_and_approvals_keep_no_raw_json() {
    let app = TestApp::new(0).await;
    let mut c = app.signed_in().await;
    let csrf = c.csrf().await;
    let headers = [("content-type", "application/json"), ("x-csrf-token", csrf.as_str())];
    let junk = serde_json::json!({ "ids": [1], "input": { "junk": "j".repeat(1_000_000) }, "reason": "x" });
    let r =
        c.raw("POST", "/admin/api/invoice/actions/refund_invoice", &headers, junk.to_string()).await.unwrap();
    assert_eq!(r.status, 400, "{:.300}", r.body);
    assert!(r.body.contains("takes no input"), "{:.300}", r.body);
    assert_eq!(admin_core::approval::request::Entity::find().count(&app.db).await.unwrap(), 0);
    // An empty input is no input: queued, and stored as the action reads it.
    let ok = serde_json::json!({ "ids": [1], "input": {}, "reason": "x" });
    let r =
        c.raw("POST", "/admin/api/invoice/actions/refund_invoice", &headers, ok.to_string()).await.unwrap();
    assert_eq!(r.status, 202, "{}", r.body);
    let stored = admin_core::approval::request::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].input, "{}");
}

#[tokio::test]
async fn the_audit_export_refuses_filters_it_cannot_use() {
    let app = TestApp::new(0).await;
    let mut c = app.signed_in().await;
    for query in ["q=a%01b", "from=2026-13-45", "to=2026-99-99"] {
        let r = c.get(&format!("/admin/audit/export.csv?{query}")).await;
        assert_eq!(r.status, 400, "{query}: {:.300}", r.body);
        r.assert_contains("Nothing was exported.");
    }
    // A page number is no filter of an export.
    let r = c.get("/admin/audit/export.csv?page=2").await;
    assert_eq!(r.status, 200, "{:.300}", r.body);
}

#[tokio::test]
async fn a_back_link_with_control_characters_is_not_echoed_into_the_redirect() {
    let app = TestApp::new(0).await;
    let mut c = app.signed_in().await;
    let mut pairs = alice_form(&mut c, "Acme 43 Ltd").await;
    pairs.retain(|(k, _)| k != "_back");
    pairs.push(("_back".to_owned(), "a\0b=1&plan=pro".to_owned()));
    let r = c.post(&format!("/admin/account/{ALICE}"), &refs(&pairs)).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(!r.location().contains("%00"), "{}", r.location());
    assert!(r.location().contains("plan=pro"), "{}", r.location());
    pairs.retain(|(k, _)| k != "_back" && k != "_version");
    pairs.push(("_version".to_owned(), current_version(&mut c).await));
    pairs.push(("_back".to_owned(), "a\0b".to_owned()));
    let r = c.post(&format!("/admin/account/{ALICE}"), &refs(&pairs)).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.location(), "/admin/account/");
}
