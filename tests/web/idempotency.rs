//! Idempotency keys belong to one staff user and name one request (issue 13, point 2):
//! the same request again replays the first answer, a different request with the same
//! key is refused with 409, another user's key is their own. On screen, through the
//! JSON API, for approval requests, and after upgrading a version 3 database.

use admin_core::action::idempotency::{KEY_REUSED, LEGACY_FINGERPRINT};
use admin_core::audit::{self, Context, Verdict, entry};
use admin_core::service::{ActionRequest, ActionResult};
use ops_console::models::{account, invoice};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

use super::support::{PASSWORD, TestApp, USER, api, client_for, token_for};

async fn acct(app: &TestApp, id: i64) -> account::Model {
    account::Entity::find_by_id(id).one(&app.db).await.unwrap().unwrap()
}

async fn entries_for(app: &TestApp, kind: &str, id: &str) -> u64 {
    entry::Entity::find()
        .filter(entry::Column::Kind.eq(kind))
        .filter(entry::Column::ObjectId.eq(id))
        .count(&app.db)
        .await
        .unwrap()
}

async fn all_entries(app: &TestApp) -> u64 {
    entry::Entity::find().count(&app.db).await.unwrap()
}

const MARK: &str = "/admin/api/account/actions/mark_for_manual_review";
const LOCK: &str = "/admin/api/account/actions/lock_account";

#[tokio::test]
async fn another_users_key_is_their_own_so_the_admins_lock_runs_and_is_audited() {
    // The issue's scenario: accounts 96 and 97 exist.
    let app = TestApp::new(94).await;
    let support = token_for(&app, "sue", Some("support")).await;
    let admin = token_for(&app, USER, None).await;
    let (status, json) =
        api(&app, &support, MARK, json!({"ids": [96], "idempotency_key": "ticket-9001"})).await;
    assert_eq!((status, json["status"].as_str()), (200, Some("done")), "{json}");
    let lock = json!({"ids": [97], "input": {"kind": "fraud"}, "reason": "Card testing", "idempotency_key": "ticket-9001"});
    let (status, json) = api(&app, &admin, LOCK, lock.clone()).await;
    assert_eq!(status, 200, "{json}");
    assert_eq!(json["status"], "done", "the admin's request ran, not support's report: {json}");
    assert_eq!(json["done"][0]["id"], "97");
    assert!(acct(&app, 97).await.locked);
    assert_eq!(entries_for(&app, "action:lock_account", "97").await, 1);
    // Each user's same request again: their own first answer, nothing new.
    let before = all_entries(&app).await;
    let (status, again) = api(&app, &admin, LOCK, lock).await;
    assert_eq!((status, again["status"].as_str()), (200, Some("already_done")), "{again}");
    assert_eq!(again["done"], json["done"]);
    let (status, sue_again) =
        api(&app, &support, MARK, json!({"ids": [96], "idempotency_key": "ticket-9001"})).await;
    assert_eq!((status, sue_again["status"].as_str()), (200, Some("already_done")), "{sue_again}");
    assert_eq!(sue_again["done"][0]["id"], "96");
    assert_eq!(all_entries(&app).await, before);
}

#[tokio::test]
async fn the_same_key_with_a_different_request_is_refused_through_the_api() {
    let app = TestApp::new(94).await;
    let admin = token_for(&app, USER, None).await;
    let first = json!({"ids": [97, 96], "input": {"kind": "fraud"}, "reason": "Card testing", "idempotency_key": "k-1"});
    let (status, json) = api(&app, &admin, LOCK, first).await;
    assert_eq!(status, 200, "{json}");
    // The same records in another order are the same request.
    let reordered = json!({"ids": ["96", 97], "input": {"kind": "fraud"}, "reason": "Card testing", "idempotency_key": "k-1"});
    let (status, json) = api(&app, &admin, LOCK, reordered).await;
    assert_eq!((status, json["status"].as_str()), (200, Some("already_done")), "{json}");
    let before = all_entries(&app).await;
    for (path, other) in [
        (
            LOCK,
            json!({"ids": [95], "input": {"kind": "fraud"}, "reason": "Card testing", "idempotency_key": "k-1"}),
        ),
        (
            LOCK,
            json!({"ids": [97, 96], "input": {"kind": "other"}, "reason": "Card testing", "idempotency_key": "k-1"}),
        ),
        (
            LOCK,
            json!({"ids": [97, 96], "input": {"kind": "fraud"}, "reason": "Chargeback", "idempotency_key": "k-1"}),
        ),
        (MARK, json!({"ids": [97, 96], "idempotency_key": "k-1"})),
    ] {
        let (status, json) = api(&app, &admin, path, other.clone()).await;
        assert_eq!(status, 409, "{other}: {json}");
        assert_eq!(
            (json["error"].as_str(), json["message"].as_str()),
            (Some("refused"), Some(KEY_REUSED)),
            "{other}"
        );
    }
    assert!(!acct(&app, 95).await.locked, "nothing ran");
    assert!(!acct(&app, 97).await.manual_review, "nothing ran");
    assert_eq!(all_entries(&app).await, before, "nothing was audited");
    // A key too long to keep is refused, not ignored.
    let long = "k".repeat(101);
    let (status, json) = api(&app, &admin, MARK, json!({"ids": [95], "idempotency_key": long})).await;
    assert_eq!(status, 400, "{json}");
    assert_eq!(json["error"], "invalid", "{json}");
    assert!(json["message"].as_str().unwrap().contains("too long"), "{json}");
    assert!(!acct(&app, 95).await.manual_review);
}

#[tokio::test]
async fn the_command_line_replays_the_same_request_and_refuses_another_with_the_same_key() {
    let app = TestApp::new(94).await;
    let registry = ops_console::registry();
    let roles = ops_console::roles::roles();
    opsadmin::auth::create_user(&app.db, "sue", PASSWORD, &["support"], false).await.unwrap();
    let args = |id: &str| ops_console::cli::ActionArgs {
        model: "account".into(),
        action: "mark_for_manual_review".into(),
        ids: vec![id.into()],
        user: "sue".into(),
        reason: None,
        input: Vec::new(),
        idempotency_key: Some("ticket-9001".into()),
        database_url: None,
        all_matching: None,
        no_wait: false,
    };
    let first = ops_console::commands::action(&app.db, &registry, &roles, &args("96")).await.unwrap();
    assert!(first.starts_with("Mark for manual review: 1 done"), "{first}");
    let again = ops_console::commands::action(&app.db, &registry, &roles, &args("96")).await.unwrap();
    assert!(again.contains("already ran with this idempotency key"), "{again}");
    let err = ops_console::commands::action(&app.db, &registry, &roles, &args("95")).await.unwrap_err();
    assert_eq!(err.code, ops_console::commands::EXIT_REFUSED);
    assert_eq!(err.message, KEY_REUSED);
    assert!(!acct(&app, 95).await.manual_review);
}

#[tokio::test]
async fn the_confirmation_flow_replays_the_same_request_and_refuses_another_with_the_same_key() {
    let app = TestApp::new(94).await;
    let mut sue = client_for(&app, "sue", "support").await;
    let csrf = sue.csrf().await;
    let path = "/admin/account/actions/mark_for_manual_review";
    let page = sue.post(path, &[("csrf_token", &csrf), ("ids", "96")]).await;
    let key = page.input_value("idempotency_key").expect("the confirmation carries a key");
    let form = |id: &'static str| {
        vec![
            ("csrf_token", csrf.clone()),
            ("confirm", "1".into()),
            ("idempotency_key", key.clone()),
            ("ids", id.into()),
        ]
    };
    let send = |form: Vec<(&'static str, String)>| {
        let mut c = sue.clone_session(&app);
        async move {
            let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            c.post(path, &pairs).await
        }
    };
    let r = send(form("96")).await;
    assert_eq!(r.status, 303, "{}", r.body);
    sue.clone_session(&app).get(r.location()).await.assert_contains("Mark for manual review: 1 done.");
    let again = send(form("96")).await;
    assert_eq!(again.status, 303);
    assert_eq!(again.location(), format!("{}?repeated=1", r.location()));
    sue.clone_session(&app).get(again.location()).await.assert_contains("nothing ran again");
    // The same key with other records: refused, nothing runs, and the confirmation
    // comes back with a new key so that confirming it is a new request.
    let other = send(form("95")).await;
    assert_eq!(other.status, 409, "{}", other.body);
    other.assert_contains(KEY_REUSED);
    other.assert_contains("Nothing was changed.");
    other.assert_contains("Mark for manual review?");
    other.assert_contains("name=\"ids\" value=\"95\"");
    let new_key = other.input_value("idempotency_key").unwrap();
    assert_ne!(new_key, key);
    assert!(!acct(&app, 95).await.manual_review);
    let mut confirmed = form("95");
    confirmed[2].1 = new_key;
    let r = send(confirmed).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(acct(&app, 95).await.manual_review);

    // The admin's screens, with support's key: their own request runs.
    let mut admin = app.signed_in().await;
    let csrf = admin.csrf().await;
    let r = admin
        .post(
            "/admin/account/actions/lock_account",
            &[
                ("csrf_token", &csrf),
                ("confirm", "1"),
                ("idempotency_key", &key),
                ("ids", "97"),
                ("kind", "fraud"),
                ("reason", "Card testing"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    admin.get(r.location()).await.assert_contains("Lock account: 1 done.");
    assert!(acct(&app, 97).await.locked);
    assert_eq!(entries_for(&app, "action:lock_account", "97").await, 1);
}

#[tokio::test]
async fn an_approval_request_is_found_again_only_for_the_same_request_and_user() {
    let app = TestApp::new(0).await;
    let mut fay = client_for(&app, "fay", "finance").await;
    let csrf = fay.csrf().await;
    let form = |id: &'static str, reason: &'static str| {
        vec![
            ("csrf_token", csrf.clone()),
            ("confirm", "1".to_owned()),
            ("idempotency_key", "refund-77".to_owned()),
            ("ids", id.to_owned()),
            ("reason", reason.to_owned()),
        ]
    };
    let path = "/admin/invoice/actions/refund_invoice";
    let post = |form: Vec<(&'static str, String)>| {
        let mut c = fay.clone_session(&app);
        async move {
            let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            c.post(path, &pairs).await
        }
    };
    let first = post(form("1", "Charged twice")).await;
    assert_eq!(first.status, 303, "{}", first.body);
    let again = post(form("1", "Charged twice")).await;
    assert_eq!((again.status.as_u16(), again.location()), (303, first.location()));
    assert_eq!(admin_core::approval::list(&app.db, None, None, None, 0, 10).await.unwrap().1, 1);
    for other in [form("2", "Charged twice"), form("1", "Goodwill")] {
        let r = post(other).await;
        assert_eq!(r.status, 409, "{}", r.body);
        r.assert_contains(KEY_REUSED);
    }
    assert_eq!(admin_core::approval::list(&app.db, None, None, None, 0, 10).await.unwrap().1, 1);
    // Through the API, the same request is the same approval request.
    let token = token_for(&app, "fay", None).await;
    let body = json!({"ids": [1], "reason": "Charged twice", "idempotency_key": "refund-77"});
    let (status, json) = api(&app, &token, "/admin/api/invoice/actions/refund_invoice", body).await;
    let (requests, _) = admin_core::approval::list(&app.db, None, None, None, 0, 10).await.unwrap();
    assert_eq!((status, json["approval_id"].as_i64()), (202, Some(requests[0].id)), "{json}");
    let body = json!({"ids": [2], "reason": "Charged twice", "idempotency_key": "refund-77"});
    let (status, json) = api(&app, &token, "/admin/api/invoice/actions/refund_invoice", body).await;
    assert_eq!(
        (status, json["error"].as_str(), json["message"].as_str()),
        (409, Some("refused"), Some(KEY_REUSED))
    );
    // Another finance user's same key is their own request.
    let fin = token_for(&app, "fin", Some("finance")).await;
    let body = json!({"ids": [1], "reason": "Charged twice", "idempotency_key": "refund-77"});
    let (status, json) = api(&app, &fin, "/admin/api/invoice/actions/refund_invoice", body).await;
    assert_eq!(status, 202, "{json}");
    let (requests, total) = admin_core::approval::list(&app.db, None, None, None, 0, 10).await.unwrap();
    assert_eq!(total, 2);
    assert_eq!(requests[0].requester, "fin");
    assert_eq!(invoice::Entity::find_by_id(1).one(&app.db).await.unwrap().unwrap().status, "paid");
}

/// The two tables as release 3 made them: the key unique across the whole table,
/// no fingerprint.
mod v3 {
    pub mod action_run {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
        #[sea_orm(table_name = "admin_action_run")]
        pub struct Model {
            #[sea_orm(primary_key)]
            pub id: i64,
            #[sea_orm(unique)]
            pub idempotency_key: String,
            pub actor_id: i64,
            pub model: String,
            pub action: String,
            #[sea_orm(column_type = "Text")]
            pub report: String,
            pub created_at: DateTime,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }

    pub mod approval {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
        #[sea_orm(table_name = "admin_approval")]
        pub struct Model {
            #[sea_orm(primary_key)]
            pub id: i64,
            pub model: String,
            pub action: String,
            #[sea_orm(column_type = "Text")]
            pub keys: String,
            #[sea_orm(column_type = "Text")]
            pub input: String,
            pub reason: Option<String>,
            pub requester_id: i64,
            pub requester: String,
            pub requested_at: DateTime,
            #[sea_orm(indexed)]
            pub status: String,
            pub decided_by: Option<String>,
            pub decided_by_id: Option<i64>,
            pub decided_at: Option<DateTime>,
            pub decision_note: Option<String>,
            pub attempts: i32,
            pub next_attempt_at: Option<DateTime>,
            pub lease_until: Option<DateTime>,
            pub lease_token: Option<String>,
            pub last_error: Option<String>,
            #[sea_orm(column_type = "Text", nullable)]
            pub report: Option<String>,
            pub finished_at: Option<DateTime>,
            #[sea_orm(unique)]
            pub idempotency_key: Option<String>,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }
}

/// Turns the test app's database back into one made by release 3: the two tables in
/// their old shape, holding a run and an approval request with keys, and the
/// version table without step 4. The audit log keeps what it had.
async fn reshape_to_v3(app: &TestApp, actor_id: i64) {
    use sea_orm::ActiveValue::Set;
    use sea_orm::{ActiveModelTrait, Schema};
    // One transaction, so one connection: another connection of the pool may still
    // hold SQLite's schema from before the drops, and SQLite parses `CREATE INDEX`
    // against that copy ("index already exists") instead of reloading it.
    let txn = admin_core::db::txn::begin_write(&app.db).await.unwrap();
    let db = &txn;
    db.execute_unprepared("DROP TABLE admin_action_run").await.unwrap();
    db.execute_unprepared("DROP TABLE admin_approval").await.unwrap();
    db.execute_unprepared("DELETE FROM admin_schema_version WHERE version >= 4").await.unwrap();
    let schema = Schema::new(db.get_database_backend());
    db.execute(&schema.create_table_from_entity(v3::action_run::Entity)).await.unwrap();
    db.execute(&schema.create_table_from_entity(v3::approval::Entity)).await.unwrap();
    for idx in schema.create_index_from_entity(v3::approval::Entity) {
        db.execute(&idx).await.unwrap();
    }
    let at = chrono::Utc::now().naive_utc();
    v3::action_run::ActiveModel {
        idempotency_key: Set("old-form".into()),
        actor_id: Set(actor_id),
        model: Set("account".into()),
        action: Set("mark_for_manual_review".into()),
        report: Set(r#"{"done":[["1","marked"]],"skipped":[],"audit_seqs":null}"#.into()),
        created_at: Set(at),
        ..Default::default()
    }
    .insert(db)
    .await
    .unwrap();
    let request = v3::approval::ActiveModel {
        model: Set("account".into()),
        action: Set("unlock_account".into()),
        keys: Set(r#"["3"]"#.into()),
        input: Set("{}".into()),
        reason: Set(Some("Customer called".into())),
        requester_id: Set(actor_id),
        requester: Set(USER.into()),
        requested_at: Set(at),
        status: Set("rejected".into()),
        decided_by: Set(None),
        decided_by_id: Set(None),
        decided_at: Set(None),
        decision_note: Set(None),
        attempts: Set(0),
        next_attempt_at: Set(None),
        lease_until: Set(None),
        lease_token: Set(None),
        last_error: Set(None),
        report: Set(None),
        finished_at: Set(None),
        idempotency_key: Set(Some("old-request".into())),
        ..Default::default()
    }
    .insert(db)
    .await
    .unwrap();
    // Release 3 wrote its entry with it, as this one does.
    let event = audit::Event {
        kind: "approval_requested",
        model: Some("approval"),
        object_id: Some(&request.id.to_string()),
        changes: json!({}),
    };
    audit::record(&txn, &Context { actor_name: Some(USER.into()), ..Default::default() }, event)
        .await
        .unwrap();
    txn.commit().await.unwrap();
}

#[tokio::test]
async fn a_version_3_database_is_upgraded_keeping_its_runs_and_refusing_their_old_keys() {
    let app = TestApp::new(0).await;
    let registry = ops_console::registry();
    let roles = ops_console::roles::roles();
    let mut c = app.signed_in().await;
    let _ = c.csrf().await;
    let admin = admin_core::auth::staff_by_name(&app.db, &roles, USER).await.unwrap();
    reshape_to_v3(&app, admin.id).await;
    let before = audit::verify(&app.db).await.unwrap();
    assert!(matches!(before, Verdict::Intact { .. }), "{before:?}");

    opsadmin::migration::migrate(&app.db).await.expect("the upgrade runs");
    opsadmin::migration::migrate(&app.db).await.expect("and finds itself done the next time");
    assert_eq!(audit::verify(&app.db).await.unwrap(), before);
    let runs = admin_core::db::entities::action_run::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(
        (runs[0].idempotency_key.as_str(), runs[0].fingerprint.as_str()),
        ("old-form", LEGACY_FINGERPRINT)
    );
    let requests = admin_core::approval::request::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].idempotency_key.as_deref(), Some("old-request"));
    assert_eq!(requests[0].fingerprint.as_deref(), Some(LEGACY_FINGERPRINT));

    // An old key cannot be matched to its request: its owner is refused, not replayed.
    let run = |who: &opsadmin::Staff, name: &'static str, key: &'static str, input: Value| {
        let ctx = Context::staff(who).with_reason(Some("Customer called".into()));
        let request = ActionRequest { keys: vec!["1".into()], input, idempotency_key: Some(key.to_owned()) };
        let registry = &registry;
        let db = app.db.clone();
        async move { super::support::run_action(&db, &ctx, registry, "account", name, &request).await }
    };
    for key in ["old-form", "old-request"] {
        let refused = run(&admin, "mark_for_manual_review", key, json!({})).await;
        assert!(matches!(&refused, Err(opsadmin::Error::Refused(m)) if m == KEY_REUSED), "{refused:?}");
    }
    assert!(!acct(&app, 1).await.manual_review);
    // Another user's same key is theirs; new keys replay.
    let sue = opsadmin::auth::create_user(&app.db, "sue", PASSWORD, &["support"], false).await.unwrap();
    let sue = admin_core::auth::staff_by_name(&app.db, &roles, &sue.username).await.unwrap();
    let ran = run(&sue, "mark_for_manual_review", "old-form", json!({})).await.unwrap();
    assert!(matches!(&ran, ActionResult::Ran(r) if r.done.len() == 1), "{ran:?}");
    let again = run(&sue, "mark_for_manual_review", "old-form", json!({})).await.unwrap();
    assert!(matches!(again, ActionResult::AlreadyRan(_)));
    // The key is unique per user in the upgraded table.
    let dup = app
        .db
        .execute_unprepared(&format!(
            "INSERT INTO admin_action_run (idempotency_key, actor_id, model, action, report, created_at, fingerprint) \
             VALUES ('old-form', {}, 'account', 'x', '{{}}', '2026-01-01 00:00:00', 'f')",
            sue.id
        ))
        .await;
    assert!(dup.is_err(), "a user's key is unique");
    assert!(matches!(audit::verify(&app.db).await.unwrap(), Verdict::Intact { .. }));
}
