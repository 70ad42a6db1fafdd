use admin_core::audit::{self, Verdict, entry};
use ops_console::models::account;
use sea_orm::{ConnectionTrait, EntityTrait, PaginatorTrait, QueryOrder};

use super::support::{ALICE, BOB, CAROL, Client, TestApp, USER, refs};

const BOB_FIELDS: &[(&str, &str)] = &[
    ("email", "user2@globex-7-inc.example"),
    ("company", "Globex 7 Inc"),
    ("plan", "annual"),
    ("signup_at", "2026-02-20T09:30:00"),
    ("welcome_email_sent", "0"),
    ("manual_review", "0"),
    ("manual_review", "1"),
    ("locked", "0"),
];

fn with(mut base: Vec<(String, String)>, fields: &[(&str, &str)]) -> Vec<(String, String)> {
    for (k, v) in fields {
        base.retain(|(n, _)| n != k);
        base.push(((*k).to_owned(), (*v).to_owned()));
    }
    base
}

async fn save_bob(c: &mut Client, fields: &[(&str, &str)]) -> super::support::Resp {
    let (_, form) = c.edit_form(&format!("/admin/account/{BOB}")).await;
    let form = with(with(form, BOB_FIELDS), fields);
    c.post(&format!("/admin/account/{BOB}"), &refs(&form)).await
}

async fn entries(app: &TestApp) -> Vec<entry::Model> {
    entry::Entity::find().order_by_asc(entry::Column::Seq).all(&app.db).await.unwrap()
}

#[tokio::test]
async fn every_write_and_sign_in_leaves_one_entry_with_a_field_diff() {
    let app = TestApp::new(0).await;
    let mut c = app.signed_in().await;
    assert_eq!(
        save_bob(
            &mut c,
            &[("company", "Globex Seven"), ("plan", "monthly"), ("_reason", "Customer asked to downgrade")]
        )
        .await
        .status,
        303
    );
    let all = entries(&app).await;
    let kinds: Vec<&str> = all.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, vec!["login", "update"]);
    let update = &all[1];
    assert_eq!(update.actor, USER);
    assert_eq!(update.model.as_deref(), Some("account"));
    assert_eq!(update.object_id.as_deref(), Some("2"));
    let diff: serde_json::Value = serde_json::from_str(&update.changes).unwrap();
    assert_eq!(diff["company"], serde_json::json!(["Globex 7 Inc", "Globex Seven"]));
    assert_eq!(diff["plan"], serde_json::json!(["annual", "monthly"]));
    assert!(diff.get("email").is_none(), "unchanged fields are not in the diff");
    assert!(update.request_id.as_deref().is_some_and(|r| !r.is_empty()));
    assert_eq!(update.reason.as_deref(), Some("Customer asked to downgrade"));

    // Create and delete record the whole record.
    let csrf = c.csrf().await;
    let r = c
        .post(
            "/admin/account/new",
            &[
                ("csrf_token", &csrf),
                ("email", "z@z.test"),
                ("company", "Z"),
                ("plan", "free"),
                ("signup_at", "2026-01-01 00:00"),
            ],
        )
        .await;
    assert_eq!(r.status, 303);
    let version = c.get("/admin/account/4/delete").await.input_value("_version").unwrap();
    assert_eq!(
        c.post("/admin/account/4/delete", &[("csrf_token", &csrf), ("_version", &version)]).await.status,
        303
    );
    let all = entries(&app).await;
    let create = all.iter().find(|e| e.kind == "create").unwrap();
    assert!(create.changes.contains(r#""email":[null,"z@z.test"]"#), "{}", create.changes);
    let delete = all.iter().find(|e| e.kind == "delete").unwrap();
    assert!(delete.changes.contains(r#""email":["z@z.test",null]"#), "{}", delete.changes);

    // A failed sign-in is recorded with the name tried, never the password.
    let mut other = app.client();
    other.sign_in("mallory", "hunter2hunter2").await;
    let failed = entries(&app).await.into_iter().find(|e| e.kind == "login_failed").unwrap();
    assert_eq!(failed.actor, "mallory");
    assert!(!failed.changes.contains("hunter2"));
    // Sign-out too.
    let csrf = c.csrf().await;
    c.post("/admin/logout", &[("csrf_token", &csrf)]).await;
    assert_eq!(entries(&app).await.last().unwrap().kind, "logout");
    assert_eq!(audit::verify(&app.db).await.unwrap(), Verdict::Intact { entries: 6 });
}

#[tokio::test]
async fn a_failed_audit_write_rolls_the_change_back() {
    let app = TestApp::new(0).await;
    let mut c = app.signed_in().await;
    app.break_inserts("admin_audit").await;
    let r = save_bob(&mut c, &[("company", "Never saved")]).await;
    assert_eq!(r.status, 500);
    r.assert_contains("Nothing was changed.");
    r.assert_lacks("injected failure");
    let bob = account::Entity::find_by_id(BOB).one(&app.db).await.unwrap().unwrap();
    assert_eq!(bob.company, "Globex 7 Inc");
    app.heal_inserts("admin_audit").await;
    // And a change the database refuses leaves no entry.
    let before = entry::Entity::find().count(&app.db).await.unwrap();
    let r = save_bob(&mut c, &[("email", "user1@acme-42-ltd.example")]).await;
    assert_eq!(r.status, 400, "a duplicate e-mail is refused");
    assert_eq!(entry::Entity::find().count(&app.db).await.unwrap(), before);
    assert_eq!(audit::verify(&app.db).await.unwrap(), Verdict::Intact { entries: before });
}

#[tokio::test]
async fn verify_names_the_first_tampered_entry() {
    let app = TestApp::new(0).await;
    let mut c = app.signed_in().await;
    for company in ["One", "Two", "Three", "Four"] {
        assert_eq!(save_bob(&mut c, &[("company", company)]).await.status, 303);
    }
    assert_eq!(audit::verify(&app.db).await.unwrap(), Verdict::Intact { entries: 5 });

    // Someone rewrites an old entry's values with SQL.
    app.db
        .execute_unprepared("UPDATE admin_audit SET changes = '{\"company\":[\"x\",\"y\"]}' WHERE seq = 3")
        .await
        .unwrap();
    match audit::verify(&app.db).await.unwrap() {
        Verdict::Broken { seq, problem, .. } => {
            assert_eq!(seq, 3);
            assert!(problem.contains("altered"), "{problem}");
        }
        other => panic!("tampering not found: {other:?}"),
    }
}

#[tokio::test]
async fn verify_notices_removed_entries_in_the_middle_and_at_the_end() {
    let app = TestApp::new(0).await;
    let mut c = app.signed_in().await;
    for company in ["One", "Two", "Three"] {
        save_bob(&mut c, &[("company", company)]).await;
    }
    app.db.execute_unprepared("DELETE FROM admin_audit WHERE seq = 4").await.unwrap();
    match audit::verify(&app.db).await.unwrap() {
        Verdict::Broken { problem, .. } => {
            assert!(problem.contains("missing") || problem.contains("removed"), "{problem}")
        }
        other => panic!("removal at the end not found: {other:?}"),
    }
    app.db.execute_unprepared("DELETE FROM admin_audit WHERE seq = 2").await.unwrap();
    match audit::verify(&app.db).await.unwrap() {
        Verdict::Broken { seq, problem, .. } => {
            assert_eq!(seq, 3);
            assert!(problem.contains("entry 2 is missing"), "{problem}");
        }
        other => panic!("removal not found: {other:?}"),
    }
}

#[tokio::test]
async fn record_history_shows_who_changed_what_newest_first() {
    let app = TestApp::new(0).await;
    let mut c = app.signed_in().await;
    save_bob(&mut c, &[("plan", "monthly"), ("_reason", "Downgrade, ticket 118")]).await;
    save_bob(&mut c, &[("plan", "free"), ("_reason", "Card expired, ticket 131")]).await;
    let detail = c.get(&format!("/admin/account/{BOB}")).await;
    detail.assert_contains("href=\"/admin/account/2/history\"");
    let r = c.get(&format!("/admin/account/{BOB}/history")).await;
    assert_eq!(r.status, 200);
    r.assert_contains("2 entries, newest first");
    let newest = r.body.find("<td>Monthly</td><td>Free</td>").expect("the newest change, by choice label");
    let older = r.body.find("<td>Annual</td><td>Monthly</td>").expect("the older change");
    assert!(newest < older);
    r.assert_contains("by <strong>staff</strong>");
    r.assert_contains("<span class=\"muted\">Reason:</span> Card expired, ticket 131");
    // Another record's history is its own.
    let r = c.get(&format!("/admin/account/{ALICE}/history")).await;
    r.assert_contains("No changes recorded yet.");
    assert_eq!(c.get("/admin/account/424242/history").await.status, 404);
}

#[tokio::test]
async fn a_deleted_records_history_stays_reachable_from_the_audit_log() {
    let app = TestApp::new(0).await;
    let mut c = app.signed_in().await;
    let csrf = c.csrf().await;
    let version = c.get(&format!("/admin/account/{CAROL}/delete")).await.input_value("_version").unwrap();
    c.post(&format!("/admin/account/{CAROL}/delete"), &[("csrf_token", &csrf), ("_version", &version)]).await;
    let r = c.get("/admin/audit?model=account&kind=delete").await;
    assert_eq!(r.status, 200);
    r.assert_contains(
        "<a href=\"/admin/account/3/history\">Account 3</a> <span class=\"muted\">(deleted)</span>",
    );
    let h = c.get("/admin/account/3/history").await;
    assert_eq!(h.status, 200);
    h.assert_contains("has been deleted. Its history is kept.");
    h.assert_contains("user3@acme-420-gmbh.example");
}

#[tokio::test]
async fn audit_log_filters_by_actor_model_kind_object_and_date_and_exports_csv() {
    let app = TestApp::new(0).await;
    let mut c = app.signed_in().await;
    save_bob(&mut c, &[("company", "Filtered")]).await;
    let mut other = app.client();
    other.sign_in("nobody", "wrong password").await;
    let count = |r: &super::support::Resp| r.body.matches("<article class=\"entry card\">").count();
    let r = c.get("/admin/audit").await;
    assert_eq!(count(&r), 3);
    assert_eq!(count(&c.get("/admin/audit?actor=nobody").await), 1);
    assert_eq!(count(&c.get("/admin/audit?model=account").await), 1);
    assert_eq!(count(&c.get("/admin/audit?kind=login").await), 1);
    assert_eq!(count(&c.get("/admin/audit?model=account&object_id=2").await), 1);
    assert_eq!(count(&c.get("/admin/audit?model=account&object_id=1").await), 0);
    let today = chrono::Utc::now().date_naive();
    assert_eq!(count(&c.get(&format!("/admin/audit?from={today}&to={today}")).await), 3);
    assert_eq!(count(&c.get("/admin/audit?to=2020-01-01").await), 0);
    let r = c.get("/admin/audit?from=yesterday").await;
    r.assert_contains("“yesterday” is not a date");
    let csv = c.get("/admin/audit/export.csv?model=account").await;
    assert!(csv.headers["content-type"].to_str().unwrap().starts_with("text/csv"));
    let lines: Vec<&str> = csv.body.lines().collect();
    assert_eq!(lines.len(), 2);
    assert!(lines[1].contains(",staff,update,account,2,"), "{}", lines[1]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_saves_of_one_version_have_exactly_one_winner() {
    let app = TestApp::new(0).await;
    let mut c = app.signed_in().await;
    let (_, form) = c.edit_form(&format!("/admin/account/{BOB}")).await;
    let form = with(form, BOB_FIELDS);
    let before = entry::Entity::find().count(&app.db).await.unwrap();
    let mut tasks = Vec::new();
    for i in 0..50 {
        let mut client = c.clone_session(&app);
        let form = with(form.clone(), &[("company", &format!("Writer {i}"))]);
        tasks.push(tokio::spawn(async move {
            client.post(&format!("/admin/account/{BOB}"), &refs(&form)).await.status
        }));
    }
    let mut won = 0;
    let mut conflicts = 0;
    for t in tasks {
        match t.await.unwrap().as_u16() {
            303 => won += 1,
            409 => conflicts += 1,
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!((won, conflicts), (1, 49));
    let after = entry::Entity::find().count(&app.db).await.unwrap();
    assert_eq!(after - before, 1, "one audit entry per successful save");
    let bob = account::Entity::find_by_id(BOB).one(&app.db).await.unwrap().unwrap();
    assert!(bob.company.starts_with("Writer "));
    assert!(matches!(audit::verify(&app.db).await.unwrap(), Verdict::Intact { .. }));
}

#[tokio::test]
async fn a_field_that_needs_a_reason_is_refused_without_one_and_nothing_is_saved() {
    let app = TestApp::new(0).await;
    let mut c = app.signed_in().await;
    let page = c.get(&format!("/admin/account/{BOB}")).await;
    page.assert_contains("name=\"_reason\"");
    page.assert_contains("Needed when you change plan");
    let before = entry::Entity::find().count(&app.db).await.unwrap();
    let r = save_bob(&mut c, &[("plan", "free"), ("company", "Also changed")]).await;
    assert_eq!(r.status, 400);
    r.assert_contains("Say why you are changing plan: the reason is kept in the record&#x27;s history.");
    // What was typed is kept.
    r.assert_contains("<option value=\"free\" selected>Free</option>");
    let bob = account::Entity::find_by_id(BOB).one(&app.db).await.unwrap().unwrap();
    assert_eq!((bob.plan.as_str(), bob.company.as_str()), ("annual", "Globex 7 Inc"));
    assert_eq!(entry::Entity::find().count(&app.db).await.unwrap(), before);
    // Fields that need no reason save without one.
    assert_eq!(save_bob(&mut c, &[("company", "No reason needed")]).await.status, 303);
}

#[tokio::test]
async fn a_records_history_is_found_through_an_index_not_by_reading_the_log() {
    use sea_orm::{ConnectionTrait, DbBackend, Statement, TransactionTrait};
    let app = TestApp::new(0).await;
    let backend = app.db.get_database_backend();
    let sql =
        "SELECT * FROM admin_audit WHERE model = 'account' AND object_id = '1' ORDER BY seq DESC LIMIT 50";
    let txn = app.db.begin().await.unwrap();
    let explain = match backend {
        DbBackend::Postgres => {
            // A small table would be read whole; forbid that to see whether the index serves.
            txn.execute_unprepared("SET LOCAL enable_seqscan = off").await.unwrap();
            format!("EXPLAIN {sql}")
        }
        _ => format!("EXPLAIN QUERY PLAN {sql}"),
    };
    let plan: Vec<String> = txn
        .query_all_raw(Statement::from_string(backend, explain))
        .await
        .unwrap()
        .iter()
        .map(|r| {
            let col = if backend == DbBackend::Postgres { 0 } else { 3 };
            r.try_get_by_index::<String>(col).unwrap()
        })
        .collect();
    let plan = plan.join("\n");
    assert!(plan.contains("admin_audit_record_idx"), "{plan}");
}

#[tokio::test]
async fn a_long_audit_log_is_counted_up_to_ten_thousand_and_paged_on() {
    use sea_orm::TransactionTrait;
    let app = TestApp::new(0).await;
    let mut c = app.signed_in().await;
    // 10,050 entries, as a busy month of bulk actions leaves.
    let keys: Vec<String> = (1..=10_050).map(|i| i.to_string()).collect();
    let events = keys
        .iter()
        .map(|k| audit::Event {
            kind: "action:mark_for_manual_review",
            model: Some("account"),
            object_id: Some(k),
            changes: serde_json::json!({ "manual_review": [false, true] }),
        })
        .collect();
    let txn = app.db.begin().await.unwrap();
    audit::record_many(
        &txn,
        &audit::Context { actor_name: Some("bulk test".into()), ..Default::default() },
        events,
    )
    .await
    .unwrap();
    txn.commit().await.unwrap();

    // The filter menus hop through the indexes: the same values as DISTINCT gives.
    let (actors, kinds) = audit::facets(&app.db).await.unwrap();
    assert_eq!(actors, ["bulk test", USER]);
    assert_eq!(kinds, ["action:mark_for_manual_review", "login"]);

    let page = c.get("/admin/audit").await;
    assert_eq!(page.status, 200);
    page.assert_contains("More than 10,000 entries, newest first");
    page.assert_contains("<option value=\"bulk test\"");
    page.assert_contains("<span>Page 1</span>");
    page.assert_contains("rel=\"next\"");
    // The oldest bulk entries, then the last page: the sign-in before them.
    let deep = c.get("/admin/audit?page=201").await;
    deep.assert_contains("<span>Page 201</span>");
    deep.assert_contains("href=\"/admin/account/1\"");
    deep.assert_contains("rel=\"next\"");
    let last = c.get("/admin/audit?page=202").await;
    last.assert_contains("<span>Page 202</span>");
    last.assert_lacks("rel=\"next\"");
    // A filter small enough is counted exactly, with its last page.
    let one = c.get("/admin/audit?model=account&object_id=10050").await;
    one.assert_contains("1 entry, newest first");
    one.assert_lacks("<nav class=\"pages\"");
}
