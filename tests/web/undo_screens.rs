//! The undo and restore screens: `{prefix}/runs/{id}/undo`, "Restore this version"
//! on a record's history, and restoring a deleted record from the audit log.

use admin_core::audit::entry;
use ops_console::models::account;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use super::support::{ALICE, CAROL, Client, TestApp, client_for};

/// Marks `ids` for manual review through the screens as `c`; the run's id.
async fn mark(app: &TestApp, c: &mut Client, ids: &[&str]) -> i64 {
    let csrf = c.csrf().await;
    let mut form = vec![("csrf_token", csrf.as_str()), ("confirm", "1"), ("reason", "failed first charge")];
    form.extend(ids.iter().map(|id| ("ids", *id)));
    let r = c.post("/admin/account/actions/mark_for_manual_review", &form).await;
    assert!(r.status.is_success() || r.status.is_redirection(), "{}", r.body);
    use admin_core::db::entities::action_run;
    action_run::Entity::find().order_by_desc(action_run::Column::Id).one(&app.db).await.unwrap().unwrap().id
}

async fn review(app: &TestApp, id: i64) -> bool {
    account::Entity::find_by_id(id).one(&app.db).await.unwrap().unwrap().manual_review
}

/// Saves the account's edit form with `changes` over its current values, as `c`.
async fn edit(app: &TestApp, c: &mut Client, id: i64, changes: &[(&str, &str)]) {
    let path = format!("/admin/account/{id}");
    let (_, mut form) = c.edit_form(&path).await;
    let a = account::Entity::find_by_id(id).one(&app.db).await.unwrap().unwrap();
    let signup = a.signup_at.format("%Y-%m-%d %H:%M:%S").to_string();
    let mut fields = vec![
        ("email", a.email.clone()),
        ("company", a.company.clone()),
        ("plan", a.plan.clone()),
        ("signup_at", signup),
        ("welcome_email_sent", if a.welcome_email_sent { "1" } else { "0" }.to_owned()),
        ("manual_review", if a.manual_review { "1" } else { "0" }.to_owned()),
        ("locked", if a.locked { "1" } else { "0" }.to_owned()),
    ];
    for (k, v) in changes {
        fields.retain(|(n, _)| n != k);
        fields.push((k, (*v).to_owned()));
    }
    form.extend(fields.into_iter().map(|(k, v)| (k.to_owned(), v)));
    form.push(("_reason".into(), "fixing it".into()));
    let r = c.post(&path, &super::support::refs(&form)).await;
    assert_eq!(r.status, 303, "{}", r.body);
}

#[tokio::test]
async fn support_undoes_a_marking_from_the_history_and_a_changed_record_is_left_alone() {
    let app = TestApp::new(0).await;
    let mut sam = client_for(&app, "sam", "support").await;
    let run = mark(&app, &mut sam, &["1", "3"]).await;
    // Someone else clears Carol's flag by hand before the undo.
    let mut boss = app.signed_in().await;
    edit(&app, &mut boss, CAROL, &[("manual_review", "0")]).await;

    let history = sam.get(&format!("/admin/account/{ALICE}/history")).await;
    history.assert_contains(&format!("href=\"/admin/runs/{run}/undo\""));
    let page = sam.get(&format!("/admin/runs/{run}/undo")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    page.assert_contains("Goes back to");
    page.assert_contains(
        "Account 3 was changed since the run (Manual review is now “no”, the run left “yes”)",
    );
    page.assert_contains("Put back 1 account");

    let csrf = sam.csrf().await;
    let no_reason =
        sam.post(&format!("/admin/runs/{run}/undo"), &[("csrf_token", &csrf), ("reason", " ")]).await;
    assert_eq!(no_reason.status, 422);
    no_reason.assert_contains("Say why you undo this run");
    assert!(review(&app, ALICE).await);

    let done = sam
        .post(&format!("/admin/runs/{run}/undo"), &[("csrf_token", &csrf), ("reason", "wrong list")])
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
    let new = run_after(&app, run).await;
    assert_eq!(done.location(), format!("/admin/account/actions/mark_for_manual_review/runs/{new}"));
    assert!(!review(&app, ALICE).await);
    assert!(!review(&app, CAROL).await);
    // The history shows the undo, and the run cannot be undone again.
    let history = sam.get(&format!("/admin/account/{ALICE}/history")).await;
    history.assert_contains("Undone: mark for manual review");
    let again = sam.get(&format!("/admin/runs/{run}/undo")).await;
    assert_eq!(again.status, 409);
    again.assert_contains("already undone");
}

async fn run_after(app: &TestApp, run: i64) -> i64 {
    use admin_core::db::entities::action_run;
    action_run::Entity::find()
        .filter(action_run::Column::UndoOf.eq(run))
        .one(&app.db)
        .await
        .unwrap()
        .expect("the undo is recorded as a run")
        .id
}

#[tokio::test]
async fn the_audit_log_links_runs_to_their_undo_and_an_irreversible_one_says_why() {
    let app = TestApp::new(0).await;
    let mut boss = app.signed_in().await;
    let csrf = boss.csrf().await;
    let r = boss
        .post(
            "/admin/account/actions/retry_welcome_email",
            &[("csrf_token", &csrf), ("confirm", "1"), ("ids", "1")],
        )
        .await;
    assert!(r.status.is_success() || r.status.is_redirection(), "{}", r.body);
    let run = {
        use admin_core::db::entities::action_run;
        action_run::Entity::find().one(&app.db).await.unwrap().unwrap().id
    };
    let log = boss.get("/admin/audit?kind=action%3Aretry_welcome_email").await;
    log.assert_contains(&format!("href=\"/admin/runs/{run}/undo\""));
    let page = boss.get(&format!("/admin/runs/{run}/undo")).await;
    page.assert_contains("cannot be undone: the email has been sent again");
    page.assert_lacks("name=\"reason\"");
    let refused =
        boss.post(&format!("/admin/runs/{run}/undo"), &[("csrf_token", &csrf), ("reason", "x")]).await;
    assert_eq!(refused.status, 409);
}

#[tokio::test]
async fn restore_this_version_and_a_deleted_record_through_the_screens() {
    let app = TestApp::new(1).await;
    let mut boss = app.signed_in().await;
    edit(&app, &mut boss, ALICE, &[("company", "Renamed By Mistake")]).await;
    let first = entry::Entity::find()
        .filter(entry::Column::Kind.eq("update"))
        .filter(entry::Column::ObjectId.eq("1"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .seq;
    edit(&app, &mut boss, ALICE, &[("company", "Second Mistake")]).await;
    let history = boss.get(&format!("/admin/account/{ALICE}/history")).await;
    history.assert_contains(&format!("href=\"/admin/account/1/versions/{first}\""));
    let page = boss.get(&format!("/admin/account/1/versions/{first}")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    page.assert_contains("Renamed By Mistake");
    let version = page.input_value("_version").unwrap();
    let csrf = boss.csrf().await;
    let r = boss
        .post(
            &format!("/admin/account/1/versions/{first}"),
            &[("csrf_token", &csrf), ("_version", &version), ("reason", "back to the first rename")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.location(), "/admin/account/1");
    let a = account::Entity::find_by_id(ALICE).one(&app.db).await.unwrap().unwrap();
    assert_eq!(a.company, "Renamed By Mistake");

    // Delete account 4, then bring it back from its delete entry in the audit log.
    let (_, form) = boss.edit_form("/admin/account/4/delete").await;
    let version = form.iter().find(|(k, _)| k == "_version").unwrap().1.clone();
    let r = boss.post("/admin/account/4/delete", &[("csrf_token", &csrf), ("_version", &version)]).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let seq = seq_of(&app, "delete", "4").await;
    let log = boss.get("/admin/audit?kind=delete").await;
    log.assert_contains(&format!("href=\"/admin/account/4/undelete/{seq}\""));
    let page = boss.get(&format!("/admin/account/4/undelete/{seq}")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    page.assert_contains("Restore account 4");
    let r = boss
        .post(&format!("/admin/account/4/undelete/{seq}"), &[("csrf_token", &csrf), ("reason", "wrong one")])
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.location(), "/admin/account/4");
    // Its key is taken now: a second restore is refused in words, not a 500.
    let again = boss
        .post(&format!("/admin/account/4/undelete/{seq}"), &[("csrf_token", &csrf), ("reason", "again")])
        .await;
    assert_eq!(again.status, 409, "{}", again.body);
    again.assert_contains("exists again");
}

async fn seq_of(app: &TestApp, kind: &str, key: &str) -> i64 {
    entry::Entity::find()
        .filter(entry::Column::Kind.eq(kind))
        .filter(entry::Column::ObjectId.eq(key))
        .order_by_desc(entry::Column::Seq)
        .one(&app.db)
        .await
        .unwrap()
        .map_or(0, |e| e.seq)
}

#[tokio::test]
async fn undoing_a_fraud_lock_asks_for_approval_and_others_runs_are_not_supports_to_undo() {
    let app = TestApp::new(0).await;
    let mut boss = app.signed_in().await;
    let csrf = boss.csrf().await;
    let r = boss
        .post(
            "/admin/account/actions/lock_account",
            &[
                ("csrf_token", &csrf),
                ("confirm", "1"),
                ("ids", "1"),
                ("kind", "fraud"),
                ("reason", "card testing"),
            ],
        )
        .await;
    assert!(r.status.is_success() || r.status.is_redirection(), "{}", r.body);
    let lock = {
        use admin_core::db::entities::action_run;
        action_run::Entity::find().one(&app.db).await.unwrap().unwrap().id
    };
    let page = boss.get(&format!("/admin/runs/{lock}/undo")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    page.assert_contains("Unlock account");
    page.assert_contains("the undo waits for it");
    let r = boss
        .post(&format!("/admin/runs/{lock}/undo"), &[("csrf_token", &csrf), ("reason", "false alarm")])
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(r.location().starts_with("/admin/approvals/"), "{}", r.location());
    assert!(account::Entity::find_by_id(ALICE).one(&app.db).await.unwrap().unwrap().locked);

    // Sam's marking is Sam's to undo: Sue (support too) is told so, in words.
    let mut sam = client_for(&app, "sam", "support").await;
    let run = mark(&app, &mut sam, &["2"]).await;
    let mut sue = client_for(&app, "sue", "support").await;
    let page = sue.get(&format!("/admin/runs/{run}/undo")).await;
    assert_eq!(page.status, 403);
    page.assert_contains(
        "You can undo only your own runs of “Mark for manual review”; this one was run by sam.",
    );
    page.assert_lacks("undo_any");
}
