//! The action flow on screen and through the JSON API.

use admin_core::audit::entry;
use ops_console::models::{account, email_job, invoice};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};

use super::support::{ALICE, BOB, CAROL, PASSWORD, TestApp, client_for};

async fn audit_count(app: &TestApp, kind: &str) -> u64 {
    entry::Entity::find().filter(entry::Column::Kind.eq(kind)).count(&app.db).await.unwrap()
}

fn marked(body: &str) -> bool {
    body.contains("mark_for_manual_review")
}

#[tokio::test]
async fn lists_and_detail_pages_offer_only_the_actions_a_user_may_run() {
    let app = TestApp::new(0).await;
    let mut support = client_for(&app, "sue", "support").await;
    let list = support.get("/admin/account/").await;
    list.assert_contains("formaction=\"/admin/account/actions/mark_for_manual_review\"");
    list.assert_contains("formaction=\"/admin/account/actions/retry_welcome_email\"");
    list.assert_lacks("lock_account");
    list.assert_contains("name=\"ids\" value=\"1\" form=\"action-form\"");
    let detail = support.get(&format!("/admin/account/{ALICE}")).await;
    detail.assert_contains("action=\"/admin/account/actions/mark_for_manual_review\"");
    let mut viewer = client_for(&app, "vic", "viewer").await;
    let list = viewer.get("/admin/account/").await;
    assert!(!marked(&list.body));
    list.assert_lacks("name=\"ids\"");
    let mut admin = app.signed_in().await;
    admin.get("/admin/account/").await.assert_contains("formaction=\"/admin/account/actions/lock_account\"");
}

#[tokio::test]
async fn the_confirmation_page_lists_records_blocked_ones_and_says_what_will_happen() {
    let app = TestApp::new(0).await;
    let mut c = client_for(&app, "sue", "support").await;
    let csrf = c.csrf().await;
    let r = c
        .post(
            "/admin/account/actions/mark_for_manual_review",
            &[("csrf_token", &csrf), ("ids", "1"), ("ids", "2"), ("ids", "3")],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.assert_contains("2 accounts will be changed");
    r.assert_contains("1 account will be skipped");
    r.assert_contains("Account 2 is already marked for manual review.");
    r.assert_contains("Mark for manual review: 2 accounts");
    // Nothing ran yet.
    let alice = account::Entity::find_by_id(ALICE).one(&app.db).await.unwrap().unwrap();
    assert!(!alice.manual_review);
    assert_eq!(audit_count(&app, "action:mark_for_manual_review").await, 0);
}

#[tokio::test]
async fn confirming_runs_once_even_when_submitted_twice() {
    let app = TestApp::new(0).await;
    let mut c = client_for(&app, "sue", "support").await;
    let csrf = c.csrf().await;
    let confirm = c
        .post(
            "/admin/account/actions/mark_for_manual_review",
            &[("csrf_token", &csrf), ("ids", "1"), ("ids", "2"), ("ids", "3")],
        )
        .await;
    let key = confirm.input_value("idempotency_key").expect("the confirmation carries a key");
    let form = [
        ("csrf_token", csrf.as_str()),
        ("confirm", "1"),
        ("idempotency_key", key.as_str()),
        ("reason", "Upgraded mid-cycle, billing flag looks wrong"),
        ("ids", "1"),
        ("ids", "2"),
        ("ids", "3"),
    ];
    let r = c.post("/admin/account/actions/mark_for_manual_review", &form).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let r = c.get(r.location()).await;
    r.assert_contains("Mark for manual review: 2 done, 1 skipped.");
    r.assert_contains("Account 2 is already marked for manual review.");
    r.assert_contains("/admin/audit?model=account&amp;kind=action%3Amark_for_manual_review");
    assert_eq!(audit_count(&app, "action:mark_for_manual_review").await, 2);
    let e = entry::Entity::find()
        .filter(entry::Column::Kind.eq("action:mark_for_manual_review"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(e.reason.as_deref(), Some("Upgraded mid-cycle, billing flag looks wrong"));
    assert!(e.changes.contains(r#""manual_review":[false,true]"#), "{}", e.changes);
    // The same form again (a double click, a reload): the first result, nothing new.
    let again = c.post("/admin/account/actions/mark_for_manual_review", &form).await;
    assert_eq!(again.status, 303);
    c.get(again.location()).await.assert_contains("nothing ran again");
    assert_eq!(audit_count(&app, "action:mark_for_manual_review").await, 2);
    for id in [ALICE, CAROL] {
        assert!(account::Entity::find_by_id(id).one(&app.db).await.unwrap().unwrap().manual_review);
    }
}

#[tokio::test]
async fn actions_refuse_without_csrf_or_permission_and_change_nothing() {
    let app = TestApp::new(0).await;
    let mut viewer = client_for(&app, "vic", "viewer").await;
    let csrf = viewer.csrf().await;
    let r = viewer
        .post(
            "/admin/account/actions/mark_for_manual_review",
            &[("csrf_token", &csrf), ("confirm", "1"), ("ids", "1")],
        )
        .await;
    assert_eq!(r.status, 403);
    r.assert_contains("You cannot run “Mark for manual review” on accounts: that is done by support. Ask someone with the support role.");
    r.assert_lacks("account.action.mark_for_manual_review");
    let mut support = client_for(&app, "sue", "support").await;
    let r = support
        .post("/admin/account/actions/mark_for_manual_review", &[("confirm", "1"), ("ids", "1")])
        .await;
    assert_eq!(r.status, 403);
    let support_csrf = support.csrf().await;
    let r = support
        .post("/admin/account/actions/no_such_action", &[("csrf_token", &support_csrf), ("ids", "1")])
        .await;
    assert_eq!(r.status, 404);
    assert!(!account::Entity::find_by_id(ALICE).one(&app.db).await.unwrap().unwrap().manual_review);
    assert_eq!(audit_count(&app, "action:mark_for_manual_review").await, 0);
}

#[tokio::test]
async fn reasons_and_typed_inputs_are_checked_before_anything_runs() {
    let app = TestApp::new(0).await;
    let mut admin = app.signed_in().await;
    let csrf = admin.csrf().await;
    let page =
        admin.post("/admin/account/actions/lock_account", &[("csrf_token", &csrf), ("ids", "1")]).await;
    page.assert_contains("name=\"reason\"");
    page.assert_contains("<select id=\"id_kind\" name=\"kind\"");
    let key = page.input_value("idempotency_key").unwrap();
    let r = admin
        .post(
            "/admin/account/actions/lock_account",
            &[
                ("csrf_token", &csrf),
                ("confirm", "1"),
                ("idempotency_key", &key),
                ("ids", "1"),
                ("kind", "fraud"),
            ],
        )
        .await;
    assert_eq!(r.status, 400);
    r.assert_contains("Say why you run “Lock account”");
    let r = admin
        .post(
            "/admin/account/actions/lock_account",
            &[
                ("csrf_token", &csrf),
                ("confirm", "1"),
                ("idempotency_key", &key),
                ("ids", "1"),
                ("kind", "whim"),
                ("reason", "Chargeback filed"),
            ],
        )
        .await;
    assert_eq!(r.status, 400);
    r.assert_contains("Choose one of:");
    r.assert_contains("Chargeback filed");
    assert!(!account::Entity::find_by_id(ALICE).one(&app.db).await.unwrap().unwrap().locked);
    let r = admin
        .post(
            "/admin/account/actions/lock_account",
            &[
                ("csrf_token", &csrf),
                ("confirm", "1"),
                ("idempotency_key", &key),
                ("ids", "1"),
                ("kind", "chargeback"),
                ("reason", "Chargeback filed"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(account::Entity::find_by_id(ALICE).one(&app.db).await.unwrap().unwrap().locked);
}

#[tokio::test]
async fn retry_welcome_email_shows_blocked_records_with_their_reasons() {
    let app = TestApp::new(0).await;
    let mut c = client_for(&app, "sue", "support").await;
    let csrf = c.csrf().await;
    // Alice's welcome job failed; Bob and Carol have none.
    let r = c
        .post(
            "/admin/account/actions/retry_welcome_email",
            &[("csrf_token", &csrf), ("ids", "1"), ("ids", "2"), ("ids", "3")],
        )
        .await;
    r.assert_contains("1 account will be changed");
    r.assert_contains("2 accounts will be skipped");
    let key = r.input_value("idempotency_key").unwrap();
    let r = c
        .post(
            "/admin/account/actions/retry_welcome_email",
            &[("csrf_token", &csrf), ("confirm", "1"), ("idempotency_key", &key), ("ids", "1"), ("ids", "2")],
        )
        .await;
    c.get(r.location()).await.assert_contains("1 done, 1 skipped");
    let job = email_job::Entity::find_by_id(1).one(&app.db).await.unwrap().unwrap();
    assert_eq!(job.status, "queued");
    assert_eq!(email_job::Entity::find().count(&app.db).await.unwrap(), 1, "only requeues, never creates");
    // Now a retry is queued: a second retry is blocked with that reason.
    let r =
        c.post("/admin/account/actions/retry_welcome_email", &[("csrf_token", &csrf), ("ids", "1")]).await;
    r.assert_contains("Cannot retry: a retry is already queued.");
}

#[tokio::test]
async fn selecting_more_than_the_batch_limit_offers_a_background_job_instead() {
    let app = TestApp::new(501).await;
    let mut c = client_for(&app, "sue", "support").await;
    let csrf = c.csrf().await;
    let r = c
        .post_follow(
            "/admin/account/actions/mark_for_manual_review",
            &[("csrf_token", &csrf), ("select_all", "1"), ("q", "hooli")],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.assert_contains("All 501 accounts are more than one run takes");
    r.assert_contains("Below are the checks for the first 500 accounts.");
    r.assert_contains("Start a background job: Mark for manual review (501 accounts)");
    // Selecting all matching a narrower search works and covers every page.
    let r = c
        .post_follow(
            "/admin/account/actions/mark_for_manual_review",
            &[("csrf_token", &csrf), ("select_all", "1"), ("q", "acme")],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.assert_contains("2 accounts will be changed");
}

#[tokio::test]
async fn refunds_wait_for_a_second_finance_person_and_history_shows_both() {
    let app = TestApp::new(0).await;
    let mut fay = client_for(&app, "fay", "finance").await;
    let mut fin = client_for(&app, "fin", "finance").await;
    let csrf = fay.csrf().await;
    let page =
        fay.post("/admin/invoice/actions/refund_invoice", &[("csrf_token", &csrf), ("ids", "1")]).await;
    page.assert_contains("needs a second person");
    let key = page.input_value("idempotency_key").unwrap();
    let r = fay
        .post(
            "/admin/invoice/actions/refund_invoice",
            &[
                ("csrf_token", &csrf),
                ("confirm", "1"),
                ("idempotency_key", &key),
                ("ids", "1"),
                ("reason", "Charged twice, ticket 77"),
            ],
        )
        .await;
    // A request that needs approval goes to its own page, with a notice.
    assert_eq!(r.status, 303, "{}", r.body);
    let url = r.location().to_owned();
    assert!(url.starts_with("/admin/approvals/"), "{url}");
    fay.get(&url).await.assert_contains("was sent for approval");
    let id = url.rsplit('/').next().unwrap().to_owned();
    assert_eq!(invoice::Entity::find_by_id(1).one(&app.db).await.unwrap().unwrap().status, "paid");
    // The invoice page shows the pending request.
    fin.get("/admin/invoice/1").await.assert_contains(&format!("request {id}</a> by fay"));
    // Fay cannot approve her own request.
    let own = fay.get(&url).await;
    own.assert_contains("someone else must approve or reject it");
    let r = fay.post(&format!("{url}/approve"), &[("csrf_token", &csrf)]).await;
    assert_eq!(r.status, 403);
    // Fin approves; the worker runs it.
    let fin_csrf = fin.csrf().await;
    let r = fin
        .post(&format!("{url}/approve"), &[("csrf_token", &fin_csrf), ("note", "Checked the bank statement")])
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let work =
        admin_core::approval::work_once(&app.db, &ops_console::registry(), &ops_console::roles::roles())
            .await
            .unwrap();
    assert!(matches!(work, admin_core::approval::Work::Done(_)), "{work:?}");
    assert_eq!(invoice::Entity::find_by_id(1).one(&app.db).await.unwrap().unwrap().status, "refunded");
    let history = fin.get("/admin/invoice/1/history").await;
    history.assert_contains("by <strong>fay</strong>");
    history.assert_contains("Charged twice, ticket 77 (approved by fin)");
    let queue = fin.get(&url).await;
    queue.assert_contains("Done");
    queue.assert_contains("Checked the bank statement");
}

#[tokio::test]
async fn a_rejection_needs_a_note_and_never_runs() {
    let app = TestApp::new(0).await;
    let mut fay = client_for(&app, "fay", "finance").await;
    let mut fin = client_for(&app, "fin", "finance").await;
    let csrf = fay.csrf().await;
    let r = fay
        .post(
            "/admin/invoice/actions/refund_invoice",
            &[
                ("csrf_token", &csrf),
                ("confirm", "1"),
                ("idempotency_key", "k1"),
                ("ids", "1"),
                ("reason", "Goodwill"),
            ],
        )
        .await;
    assert_eq!(r.status, 303);
    let (requests, _) = admin_core::approval::list(&app.db, None, None, None, 0, 10).await.unwrap();
    let url = format!("/admin/approvals/{}", requests[0].id);
    let fin_csrf = fin.csrf().await;
    let r = fin.post(&format!("{url}/reject"), &[("csrf_token", &fin_csrf)]).await;
    assert_eq!(r.status, 400);
    r.assert_contains("Say why you reject it");
    let r =
        fin.post(&format!("{url}/reject"), &[("csrf_token", &fin_csrf), ("note", "Not our mistake")]).await;
    assert_eq!(r.status, 303);
    let work =
        admin_core::approval::work_once(&app.db, &ops_console::registry(), &ops_console::roles::roles())
            .await
            .unwrap();
    assert_eq!(work, admin_core::approval::Work::Idle);
    assert_eq!(invoice::Entity::find_by_id(1).one(&app.db).await.unwrap().unwrap().status, "paid");
    fay.get(&url).await.assert_contains("Not our mistake");
    // A decided request cannot be decided again.
    let r = fin.post(&format!("{url}/approve"), &[("csrf_token", &fin_csrf)]).await;
    assert_eq!(r.status, 409, "{}", r.body);
    r.assert_contains("was already rejected by fin; nothing was changed.");
}

#[tokio::test]
async fn the_json_api_runs_the_same_service_with_the_same_checks() {
    use axum::body::Body;
    use axum::http::{Request, header};
    use tower::ServiceExt;

    let app = TestApp::new(0).await;
    let roles = ops_console::roles::roles();
    let sue = opsadmin::auth::create_user(&app.db, "sue", PASSWORD, &["support"], false).await.unwrap();
    let sue = admin_core::auth::staff_by_name(&app.db, &roles, &sue.username).await.unwrap();
    let token = admin_core::auth::create_api_token(
        &app.db,
        &admin_core::audit::Context::staff(&sue),
        sue.id,
        "script",
    )
    .await
    .unwrap();
    let call = |auth: Option<String>,
                cookie: Option<String>,
                csrf: Option<String>,
                path: &'static str,
                body: &'static str| {
        let router = app.router.clone();
        async move {
            let mut req = Request::post(path).header(header::CONTENT_TYPE, "application/json");
            if let Some(a) = auth {
                req = req.header(header::AUTHORIZATION, a);
            }
            if let Some(c) = cookie {
                req = req.header(header::COOKIE, c);
            }
            if let Some(t) = csrf {
                req = req.header("x-csrf-token", t);
            }
            let resp = router.oneshot(req.body(Body::from(body)).unwrap()).await.unwrap();
            let status = resp.status().as_u16();
            let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20).await.unwrap();
            (status, serde_json::from_slice::<serde_json::Value>(&bytes).unwrap_or_default())
        }
    };
    let bearer = Some(format!("Bearer {token}"));
    let (status, json) = call(
        bearer.clone(),
        None,
        None,
        "/admin/api/account/actions/mark_for_manual_review",
        r#"{"ids": [1, "2"], "reason": "From the nightly script"}"#,
    )
    .await;
    assert_eq!(status, 200, "{json}");
    assert_eq!(json["status"], "done");
    assert_eq!(json["done"][0]["id"], "1");
    assert_eq!(json["skipped"][0]["reason"], "Account 2 is already marked for manual review.");
    // Permission refusal: the same sentence as on screen.
    let (status, json) = call(
        bearer.clone(),
        None,
        None,
        "/admin/api/account/actions/lock_account",
        r#"{"ids": [3], "reason": "x", "input": {"kind": "fraud"}}"#,
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(json["error"], "forbidden");
    assert!(json["message"].as_str().unwrap().contains("Ask someone with the admin role."), "{json}");
    assert!(!json["message"].as_str().unwrap().contains("account.action.lock_account"), "{json}");
    assert_eq!(json["permission"], "account.action.lock_account", "the code, for scripts");
    // Bad tokens and bodies.
    let (status, _) = call(
        Some("Bearer oat_nope".into()),
        None,
        None,
        "/admin/api/account/actions/mark_for_manual_review",
        r#"{"ids": [1]}"#,
    )
    .await;
    assert_eq!(status, 401);
    let (status, json) = call(
        bearer.clone(),
        None,
        None,
        "/admin/api/account/actions/mark_for_manual_review",
        r#"{"ids": "all"}"#,
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(json["error"], "bad_request");
    assert!(json["message"].as_str().unwrap().contains("ids"));
    // A session needs its CSRF token in a header.
    let mut c = app.signed_in().await;
    let csrf = c.csrf().await;
    let cookie = format!("opsadmin_session={}", c.cookie("opsadmin_session").unwrap());
    let (status, _) = call(
        None,
        Some(cookie.clone()),
        None,
        "/admin/api/account/actions/mark_for_manual_review",
        r#"{"ids": [3]}"#,
    )
    .await;
    assert_eq!(status, 403);
    let (status, json) = call(
        None,
        Some(cookie),
        Some(csrf),
        "/admin/api/account/actions/mark_for_manual_review",
        r#"{"ids": [3]}"#,
    )
    .await;
    assert_eq!(status, 200, "{json}");
    assert!(account::Entity::find_by_id(CAROL).one(&app.db).await.unwrap().unwrap().manual_review);
    assert!(account::Entity::find_by_id(ALICE).one(&app.db).await.unwrap().unwrap().manual_review);
    let _ = BOB;
}

#[tokio::test]
async fn a_request_for_approval_sent_twice_is_one_request() {
    let app = TestApp::new(0).await;
    let mut fay = client_for(&app, "fay", "finance").await;
    let csrf = fay.csrf().await;
    let form = [
        ("csrf_token", csrf.as_str()),
        ("confirm", "1"),
        ("idempotency_key", "same-click"),
        ("ids", "1"),
        ("reason", "Goodwill"),
    ];
    let first = fay.post("/admin/invoice/actions/refund_invoice", &form).await;
    assert_eq!(first.status, 303);
    let again = fay.post("/admin/invoice/actions/refund_invoice", &form).await;
    assert_eq!((again.status.as_u16(), again.location()), (303, first.location()), "the same request's page");
    let (_, total) = admin_core::approval::list(&app.db, None, None, None, 0, 10).await.unwrap();
    assert_eq!(total, 1);
    assert_eq!(audit_count(&app, "approval_requested").await, 1);
}

#[tokio::test]
async fn an_action_that_needs_a_recent_sign_in_asks_for_one_on_screen_and_through_the_api() {
    use axum::body::Body;
    use axum::http::{Request, header};
    use tower::ServiceExt;

    let app = TestApp::new(0).await;
    let roles = ops_console::roles::roles();
    let mut admin = app.signed_in().await;
    let csrf = admin.csrf().await;
    let me = admin_core::auth::staff_by_name(&app.db, &roles, super::support::USER).await.unwrap();
    let token =
        admin_core::auth::create_api_token(&app.db, &admin_core::audit::Context::staff(&me), me.id, "script")
            .await
            .unwrap();
    let cookie = format!("opsadmin_session={}", admin.cookie("opsadmin_session").unwrap());
    let call = |auth: Option<String>, session: bool| {
        let router = app.router.clone();
        let (cookie, csrf) = (cookie.clone(), csrf.clone());
        async move {
            let mut req = Request::post("/admin/api/invoice/actions/void_invoice")
                .header(header::CONTENT_TYPE, "application/json");
            if let Some(a) = auth {
                req = req.header(header::AUTHORIZATION, a);
            }
            if session {
                req = req.header(header::COOKIE, cookie).header("x-csrf-token", csrf);
            }
            let body = Body::from(r#"{"ids": [2], "reason": "Sent twice"}"#);
            let resp = router.oneshot(req.body(body).unwrap()).await.unwrap();
            let status = resp.status().as_u16();
            let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20).await.unwrap();
            (status, serde_json::from_slice::<serde_json::Value>(&bytes).unwrap_or_default())
        }
    };
    let status_of_2 = || async { invoice::Entity::find_by_id(2).one(&app.db).await.unwrap().unwrap().status };
    assert_eq!(status_of_2().await, "open");

    // A token has no sign-in to be recent: refused, whoever holds it.
    let (status, json) = call(Some(format!("Bearer {token}")), false).await;
    assert_eq!(status, 403, "{json}");
    assert_eq!(json["error"], "recent_auth_required");
    assert!(json["message"].as_str().unwrap().contains("an API token cannot give"), "{json}");

    // A sign-in from yesterday: the screen asks for the password, the API says so.
    app.db
        .execute_unprepared("UPDATE admin_session SET authenticated_at = '2000-01-01 00:00:00'")
        .await
        .unwrap();
    let form = [("csrf_token", csrf.as_str()), ("confirm", "1"), ("ids", "2"), ("reason", "Sent twice")];
    let r = admin.post("/admin/invoice/actions/void_invoice", &form).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(r.location().starts_with("/admin/me/confirm?next="), "{}", r.location());
    let (status, json) = call(None, true).await;
    assert_eq!(status, 403, "{json}");
    assert_eq!(json["error"], "recent_auth_required");
    assert!(json["message"].as_str().unwrap().contains("/admin/me/confirm"), "{json}");
    assert_eq!(status_of_2().await, "open", "nothing ran");
    assert_eq!(audit_count(&app, "action:void_invoice").await, 0);

    // After confirming the password, the same call runs.
    let r = admin.confirm_password(r.location()).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let (status, json) = call(None, true).await;
    assert_eq!(status, 200, "{json}");
    assert_eq!(json["done"][0]["id"], "2");
    assert_eq!(status_of_2().await, "void");
    assert_eq!(audit_count(&app, "action:void_invoice").await, 1);
}

#[tokio::test]
async fn staff_make_and_revoke_their_own_api_tokens_on_a_page() {
    use axum::body::Body;
    use axum::http::{Request, header};
    use tower::ServiceExt;

    let app = TestApp::new(0).await;
    let mut sue = client_for(&app, "sue", "support").await;
    let api = |token: String| {
        let router = app.router.clone();
        async move {
            let req = Request::post("/admin/api/account/actions/mark_for_manual_review")
                .header(header::CONTENT_TYPE, "application/json")
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .body(Body::from(r#"{"ids": [1]}"#))
                .unwrap();
            router.oneshot(req).await.unwrap().status().as_u16()
        }
    };
    let page = sue.get("/admin/me/tokens").await;
    assert_eq!(page.status, 200);
    page.assert_contains("You have no API tokens.");
    let csrf = page.input_value("csrf_token").unwrap();

    // A name is needed; a script-like name is shown escaped.
    let r = sue.post("/admin/me/tokens", &[("csrf_token", &csrf), ("action", "create"), ("name", " ")]).await;
    assert_eq!(r.status, 400);
    r.assert_contains("Say what the token is for");
    let r = sue.post("/admin/me/tokens", &[("action", "create"), ("name", "sync")]).await;
    assert_eq!(r.status, 403, "no CSRF token, no token");
    let r = sue
        .post(
            "/admin/me/tokens",
            &[("csrf_token", &csrf), ("action", "create"), ("name", "<b>nightly</b> sync")],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.assert_contains("This is the only time it is shown");
    r.assert_contains("&lt;b&gt;nightly&lt;/b&gt; sync");
    let start = r.body.find("oat_").expect("the new token is on the page");
    let token = r.body[start..start + 68].to_owned();
    assert_eq!(api(token.clone()).await, 200, "the token acts as sue");
    assert!(account::Entity::find_by_id(1).one(&app.db).await.unwrap().unwrap().manual_review);

    // Listed without the token itself, used just now; revoked, it stops working.
    let page = sue.get("/admin/me/tokens").await;
    page.assert_lacks("oat_");
    page.assert_contains("active");
    let id = admin_core::auth::api_tokens(&app.db, None).await.unwrap()[0].id.to_string();
    let r = sue.post("/admin/me/tokens", &[("csrf_token", &csrf), ("action", "revoke"), ("id", &id)]).await;
    assert_eq!(r.status, 303, "{}", r.body);
    sue.get("/admin/me/tokens").await.assert_contains("is revoked: calls with it are refused");
    assert_eq!(api(token).await, 401);
    assert_eq!(audit_count(&app, "token_created").await, 1);
    assert_eq!(audit_count(&app, "token_revoked").await, 1);

    // Someone else's token is not on anyone's page to revoke.
    let mut vic = client_for(&app, "vic", "viewer").await;
    let vcsrf = vic.csrf().await;
    let r = vic.post("/admin/me/tokens", &[("csrf_token", &vcsrf), ("action", "revoke"), ("id", &id)]).await;
    assert_eq!(r.status, 404, "{}", r.body);
    // An old sign-in confirms the password first.
    app.db
        .execute_unprepared("UPDATE admin_session SET authenticated_at = '2000-01-01 00:00:00'")
        .await
        .unwrap();
    let r = vic.get("/admin/me/tokens").await;
    assert_eq!(r.status, 303);
    assert!(r.location().starts_with("/admin/me/confirm?next="), "{}", r.location());
}
