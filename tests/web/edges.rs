//! Edges a security review found after issue 13: JSON fields of the wrong type are
//! refused rather than ignored, absurd page numbers, the input's errors named by
//! field, the approval queue only for those it concerns, and one admin instance for
//! the screens and the approval worker of `ops-console serve`.

use std::sync::Arc;

use admin_core::audit::entry;
use ops_console::models::{account, invoice};
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::json;

use super::support::{ALICE, PASSWORD, TestApp, USER, api, client_for, token_for};

const MARK: &str = "/admin/api/account/actions/mark_for_manual_review";
const LOCK: &str = "/admin/api/account/actions/lock_account";
const REFUND: &str = "/admin/api/invoice/actions/refund_invoice";

async fn alice(app: &TestApp) -> account::Model {
    account::Entity::find_by_id(ALICE).one(&app.db).await.unwrap().unwrap()
}

async fn entries(app: &TestApp) -> u64 {
    entry::Entity::find().count(&app.db).await.unwrap()
}

#[tokio::test]
async fn an_idempotency_key_or_reason_that_is_not_text_is_refused_not_ignored() {
    let app = TestApp::new(0).await;
    let token = token_for(&app, USER, None).await;
    let before = entries(&app).await;
    for (body, field) in [
        (json!({"ids": [ALICE], "idempotency_key": {"k": "x"}}), "idempotency_key"),
        (json!({"ids": [ALICE], "idempotency_key": ["ticket-9001"]}), "idempotency_key"),
        (json!({"ids": [ALICE], "idempotency_key": 90.01}), "idempotency_key"),
        (json!({"ids": [ALICE], "reason": {"text": "Card testing"}}), "reason"),
        (json!({"ids": [ALICE], "reason": 42}), "reason"),
    ] {
        let (status, json) = api(&app, &token, MARK, body.clone()).await;
        assert_eq!((status, json["error"].as_str()), (400, Some("invalid")), "{body} gave {json}");
        assert!(json["fields"][field].as_str().is_some_and(|m| m.contains("must be text")), "{json}");
    }
    // The same for a request that would be queued for approval: nothing is queued.
    let (status, json) =
        api(&app, &token, REFUND, json!({"ids": [1], "reason": {"text": "r"}, "idempotency_key": 7})).await;
    assert_eq!((status, json["error"].as_str()), (400, Some("invalid")), "{json}");
    assert!(!alice(&app).await.manual_review, "nothing ran");
    assert_eq!(entries(&app).await, before, "nothing was audited");
    assert_eq!(admin_core::approval::list(&app.db, None, None, None, 0, 10).await.unwrap().1, 0);

    // A whole number is a key, taken as its digits: the same request again replays.
    let body = json!({"ids": [ALICE], "idempotency_key": 9001, "reason": null});
    let (status, first) = api(&app, &token, MARK, body.clone()).await;
    assert_eq!((status, first["status"].as_str()), (200, Some("done")), "{first}");
    let (status, again) = api(&app, &token, MARK, body).await;
    assert_eq!((status, again["status"].as_str()), (200, Some("already_done")), "{again}");
    let (status, as_text) = api(&app, &token, MARK, json!({"ids": [ALICE], "idempotency_key": "9001"})).await;
    assert_eq!((status, as_text["status"].as_str()), (200, Some("already_done")), "{as_text}");
    assert_eq!(entries(&app).await, before + 1, "one run, one audit entry");
}

#[tokio::test]
async fn an_absurd_page_number_gives_a_page_not_a_server_error() {
    // More accounts than a page holds, so a page continued from a row has a next one.
    let app = TestApp::new(120).await;
    let mut c = app.signed_in().await;
    for page in ["9223372036854775807", "18446744073709551615", "9223372036854775808"] {
        for path in [
            format!("/admin/approvals?page={page}"),
            format!("/admin/approvals?status=pending&page={page}"),
            format!("/admin/account/{ALICE}/history?page={page}"),
            format!("/admin/audit?page={page}"),
            format!("/admin/audit?model=account&page={page}"),
            format!("/admin/account/?page={page}"),
            format!("/admin/account/?page={page}&sort=-company"),
            format!("/admin/account/?page={page}&after=1"),
            format!("/admin/account/?page={page}&before=3"),
            format!("/admin/invoice/?page={page}"),
        ] {
            let r = c.get(&path).await;
            assert_eq!(r.status, 200, "{path}: {}", r.body);
        }
    }
}

#[tokio::test]
async fn the_apis_invalid_input_names_each_field() {
    let app = TestApp::new(0).await;
    let token = token_for(&app, USER, None).await;
    let (status, json) =
        api(&app, &token, LOCK, json!({"ids": [ALICE], "input": {"kind": "xyz"}, "reason": "r"})).await;
    assert_eq!((status, json["error"].as_str()), (400, Some("invalid")), "{json}");
    let kind = json["fields"]["kind"].as_str().unwrap_or_else(|| panic!("fields names kind: {json}"));
    assert!(kind.starts_with("Choose one of"), "{json}");
    assert!(!alice(&app).await.locked);
    // Several wrong fields, several names; with the reason's error beside them.
    let (status, json) = api(&app, &token, LOCK, json!({"ids": [ALICE], "input": {"kind": 5}})).await;
    assert_eq!(status, 400, "{json}");
    assert!(json["fields"]["kind"].is_string() && json["fields"]["reason"].is_string(), "{json}");
    // A field the input does not have is said in the message.
    let (status, json) =
        api(&app, &token, LOCK, json!({"ids": [ALICE], "input": {"kind": "fraud", "knd": 1}, "reason": "r"}))
            .await;
    assert_eq!((status, json["error"].as_str()), (400, Some("invalid")), "{json}");
    assert!(json["message"].as_str().unwrap().contains("knd"), "{json}");

    // On screen, the same message stands next to the field.
    let mut c = app.signed_in().await;
    let csrf = c.csrf().await;
    let id = ALICE.to_string();
    let r = c
        .post(
            "/admin/account/actions/lock_account",
            &[("csrf_token", &csrf), ("ids", &id), ("confirm", "1"), ("kind", "xyz"), ("reason", "r")],
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    r.assert_contains("has-error");
    r.assert_contains("Choose one of");
    assert!(!alice(&app).await.locked);
}

#[tokio::test]
async fn the_approval_queue_is_only_for_those_who_may_ask_or_decide() {
    let app = TestApp::new(0).await;
    let mut viewer = client_for(&app, "vic", "viewer").await;
    let home = viewer.get("/admin/").await;
    assert_eq!(home.status, 200);
    home.assert_lacks("/admin/approvals\"");
    let r = viewer.get("/admin/approvals").await;
    assert_eq!(r.status, 403, "{}", r.body);
    r.assert_contains("The approval queue is for staff who may run actions or decide approval requests.");

    // Support may run actions (and so may ask for approval): the queue is theirs.
    let mut support = client_for(&app, "sue", "support").await;
    support.get("/admin/").await.assert_contains("/admin/approvals\"");
    assert_eq!(support.get("/admin/approvals").await.status, 200);

    // A requester sees their own request, a decider every request, a viewer neither.
    let fred = token_for(&app, "fred", Some("finance")).await;
    let (status, json) = api(&app, &fred, REFUND, json!({"ids": [1], "reason": "Charged twice"})).await;
    assert_eq!((status, json["status"].as_str()), (202, Some("queued")), "{json}");
    let url = format!("/admin/approvals/{}", json["approval_id"]);
    let mut fred = app.client();
    assert_eq!(fred.sign_in("fred", PASSWORD).await.status, 303);
    fred.get("/admin/").await.assert_contains("/admin/approvals\"");
    assert_eq!(fred.get("/admin/approvals").await.status, 200);
    assert_eq!(fred.get(&url).await.status, 200);
    let mut admin = app.signed_in().await;
    assert_eq!(admin.get("/admin/approvals").await.status, 200);
    assert_eq!(admin.get(&url).await.status, 200);
    assert_eq!(viewer.get(&url).await.status, 403);
}

#[tokio::test]
async fn the_app_and_its_worker_share_one_registry() {
    let mut app = TestApp::new(0).await;
    let registry = Arc::new(ops_console::registry());
    let state = ops_console::admin_state(app.db.clone(), Arc::clone(&registry), Default::default());
    assert!(Arc::ptr_eq(&state.registry, &registry), "the state keeps the registry it was given");
    // The worker `serve` runs takes the state's registry: an approved request it
    // carries out goes through the same admin instance as the screens.
    app.router = ops_console::app_with_state(state.clone());
    let fred = token_for(&app, "fred", Some("finance")).await;
    let (status, json) = api(&app, &fred, REFUND, json!({"ids": [1], "reason": "Charged twice"})).await;
    assert_eq!(status, 202, "{json}");
    let id = json["approval_id"].as_i64().unwrap();
    let mut admin = app.signed_in().await;
    let csrf = admin.csrf().await;
    let r = admin.post(&format!("/admin/approvals/{id}/approve"), &[("csrf_token", &csrf)]).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let done = ops_console::commands::worker(
        &app.db,
        &state.registry,
        &ops_console::roles::roles(),
        true,
        std::future::pending(),
    )
    .await
    .unwrap();
    assert_eq!(done.done, 1);
    let refunded = invoice::Entity::find_by_id(1).one(&app.db).await.unwrap().unwrap();
    assert_eq!(refunded.status, "refunded");
}
