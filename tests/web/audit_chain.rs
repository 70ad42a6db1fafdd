//! The audit log cannot be emptied or cut without `audit verify` noticing (issue 13,
//! point 7): a missing head row, emptied tables, a cut tail with a rewritten head, and
//! checkpoints kept outside the database, through the library and the CLI's commands.

use admin_core::audit::{self, Checkpoint, Context, Event, Verdict, entry, head};
use ops_console::commands;
use sea_orm::ActiveValue::Set;
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, QueryOrder};

use super::support::{TestApp, USER};

/// `n` audited changes to accounts, as an application's own code writes them: they
/// leave nothing in the admin's other tables.
async fn changes(app: &TestApp, n: usize) {
    for i in 0..n {
        let txn = admin_core::db::txn::begin_write(&app.db).await.unwrap();
        let ctx = Context { actor_name: Some("billing-job".into()), ..Default::default() };
        let event = Event {
            kind: "update",
            model: Some("account"),
            object_id: Some("2"),
            changes: serde_json::json!({ "plan": [i.to_string(), (i + 1).to_string()] }),
        };
        audit::record(&txn, &ctx, event).await.unwrap();
        txn.commit().await.unwrap();
    }
}

/// A signed-in app with a few entries: a sign-in, then changes.
async fn used_app() -> TestApp {
    let app = TestApp::new(0).await;
    app.signed_in().await;
    changes(&app, 3).await;
    app
}

async fn entries(app: &TestApp) -> Vec<entry::Model> {
    entry::Entity::find().order_by_asc(entry::Column::Seq).all(&app.db).await.unwrap()
}

/// Cuts the log back to entry `keep` and sets the head to it, as someone who knows
/// the format would.
async fn cut_to(app: &TestApp, keep: i64) {
    let last = entries(app).await.into_iter().find(|e| e.seq == keep).unwrap();
    app.db.execute_unprepared(&format!("DELETE FROM admin_audit WHERE seq > {keep}")).await.unwrap();
    set_head(app, keep, &last.hash).await;
}

async fn set_head(app: &TestApp, seq: i64, hash: &str) {
    head::ActiveModel { id: Set(1), seq: Set(seq), hash: Set(hash.to_owned()) }
        .update(&app.db)
        .await
        .unwrap();
}

#[track_caller]
fn broken(verdict: &Verdict, words: &str) {
    match verdict {
        Verdict::Broken { problem, .. } => assert!(problem.contains(words), "{problem}"),
        Verdict::Intact { .. } => panic!("expected the log to be found broken ({words})"),
    }
}

fn file_with(text: &str) -> std::path::PathBuf {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let path = std::env::temp_dir().join(format!("opsadmin-checkpoint-{}-{n}.txt", std::process::id()));
    std::fs::write(&path, text).unwrap();
    path
}

#[tokio::test]
async fn an_untouched_log_passes_and_keeps_passing_against_its_checkpoints() {
    let app = used_app().await;
    let cps = audit::checkpoint(&app.db).await.unwrap();
    let last = entries(&app).await.pop().unwrap();
    assert_eq!(cps, vec![Checkpoint { chain: "main".into(), seq: last.seq, hash: last.hash.clone() }]);
    assert_eq!(
        cps[0].to_string(),
        format!("opsadmin-audit-checkpoint v1 chain=main seq={} hash={}", last.seq, last.hash)
    );
    // The CLI prints the same line; the operator appends it to a file every night.
    let printed = commands::audit_checkpoint(&app.db).await.unwrap();
    assert_eq!(printed, cps[0].to_string());
    changes(&app, 2).await;
    let later = commands::audit_checkpoint(&app.db).await.unwrap();
    let path = file_with(&format!("# nightly\n{printed}\n{later}\n"));
    let verdict =
        audit::verify_against(&app.db, &audit::parse_checkpoints(&format!("{printed}\n{later}")).unwrap())
            .await
            .unwrap();
    assert_eq!(verdict, Verdict::Intact { entries: last.seq as u64 + 2 });
    let out = commands::audit_verify(&app.db, Some(&path)).await.unwrap();
    assert!(out.contains("The audit log is intact") && out.contains("still holds every checkpoint"), "{out}");
    assert!(commands::audit_verify(&app.db, None).await.unwrap().contains("intact"));
    // A file that is not a checkpoint is a usage error, not a verdict.
    let bad = file_with("seq=3\n");
    let err = commands::audit_verify(&app.db, Some(&bad)).await.unwrap_err();
    assert_eq!(err.code, commands::EXIT_USAGE);
    assert!(err.message.contains("is not a checkpoint"), "{}", err.message);
    for p in [path, bad] {
        let _ = std::fs::remove_file(p);
    }
}

#[tokio::test]
async fn a_deleted_head_row_is_found() {
    let app = used_app().await;
    app.db.execute_unprepared("DELETE FROM admin_audit_head").await.unwrap();
    broken(&audit::verify(&app.db).await.unwrap(), "the head row (admin_audit_head) is missing");
    let err = commands::audit_verify(&app.db, None).await.unwrap_err();
    assert_eq!(err.code, commands::EXIT_REFUSED);
    assert!(err.message.starts_with("The audit log is broken at entry 5: the head row"), "{}", err.message);
    assert!(audit::checkpoint(&app.db).await.is_err(), "no checkpoint of a broken head");
}

#[tokio::test]
async fn a_head_that_does_not_match_the_newest_entry_is_found() {
    let app = used_app().await;
    let all = entries(&app).await;
    set_head(&app, 4, &all[1].hash).await;
    broken(&audit::verify(&app.db).await.unwrap(), "the head's hash does not match entry 4");
    set_head(&app, 3, &all[2].hash).await;
    broken(&audit::verify(&app.db).await.unwrap(), "the head was rewritten");
}

#[tokio::test]
async fn emptied_audit_tables_are_found_from_the_admins_other_tables() {
    let app = used_app().await;
    app.db.execute_unprepared("DELETE FROM admin_audit").await.unwrap();
    app.db.execute_unprepared("DELETE FROM admin_audit_head").await.unwrap();
    broken(&audit::verify(&app.db).await.unwrap(), "missing");
    // Even with the head put back as a new database has it.
    head::ActiveModel { id: Set(1), seq: Set(0), hash: Set(audit::GENESIS.to_owned()) }
        .insert(&app.db)
        .await
        .unwrap();
    let verdict = audit::verify(&app.db).await.unwrap();
    broken(&verdict, "the log has no entries, but the sign-in of staff user");
    broken(&verdict, "the log was emptied");
    let err = commands::audit_verify(&app.db, None).await.unwrap_err();
    assert!(err.message.contains("the log was emptied"), "{}", err.message);
    // A new database, never used, is intact with no entries.
    let fresh = super::support::empty_database().await;
    let db = ops_console::connect(&fresh).await.unwrap();
    ops_console::prepare(&db).await.unwrap();
    assert_eq!(audit::verify(&db).await.unwrap(), Verdict::Intact { entries: 0 });
    db.close().await.unwrap();
    super::support::drop_database(&fresh).await;
}

#[tokio::test]
async fn a_cut_tail_with_a_rewritten_head_is_found_when_the_admins_tables_remember_it() {
    let app = used_app().await;
    let keep = entries(&app).await.pop().unwrap().seq;
    let roles = ops_console::roles::roles();
    let me = admin_core::auth::staff_by_name(&app.db, &roles, USER).await.unwrap();
    admin_core::auth::create_api_token(&app.db, &Context::staff(&me), me.id, "nightly sync").await.unwrap();
    changes(&app, 2).await;
    assert!(matches!(audit::verify(&app.db).await.unwrap(), Verdict::Intact { .. }));
    cut_to(&app, keep).await;
    broken(&audit::verify(&app.db).await.unwrap(), "API token 1 has no entry in the log");
    let err = commands::audit_verify(&app.db, None).await.unwrap_err();
    assert!(err.message.contains("the newest entries were removed"), "{}", err.message);
}

#[tokio::test]
async fn a_checkpoint_proves_the_prefix_against_a_cut_or_a_rewrite_that_verify_alone_misses() {
    let app = used_app().await;
    changes(&app, 2).await;
    let kept = commands::audit_checkpoint(&app.db).await.unwrap();
    let path = file_with(&format!("{kept}\n"));
    let cps = audit::parse_checkpoints(&kept).unwrap();
    let at = cps[0].seq;
    changes(&app, 2).await;
    // Cut back to before the checkpoint, head rewritten: the chain alone looks whole.
    cut_to(&app, at - 2).await;
    assert!(matches!(audit::verify(&app.db).await.unwrap(), Verdict::Intact { .. }));
    broken(&audit::verify_against(&app.db, &cps).await.unwrap(), "the log was cut back");
    let err = commands::audit_verify(&app.db, Some(&path)).await.unwrap_err();
    assert_eq!(err.code, commands::EXIT_REFUSED);
    assert!(
        err.message.contains(&format!("entry {at}, which the checkpoint records, is not in the log")),
        "{}",
        err.message
    );

    // A full rewrite from entry 2 on, every hash recomputed.
    let app = used_app().await;
    changes(&app, 2).await;
    let cps = audit::checkpoint(&app.db).await.unwrap();
    let mut prev = audit::GENESIS.to_owned();
    for mut e in entries(&app).await {
        if e.seq == 2 {
            e.actor = "someone-else".into();
        }
        e.prev_hash = prev;
        e.hash = audit::entry_hash(&e);
        prev = e.hash.clone();
        let mut am: entry::ActiveModel = e.into();
        am.actor = sea_orm::ActiveValue::Set(am.actor.take().unwrap());
        am.prev_hash = sea_orm::ActiveValue::Set(am.prev_hash.take().unwrap());
        am.hash = sea_orm::ActiveValue::Set(am.hash.take().unwrap());
        am.update(&app.db).await.unwrap();
    }
    let last = entries(&app).await.pop().unwrap();
    set_head(&app, last.seq, &last.hash).await;
    assert!(matches!(audit::verify(&app.db).await.unwrap(), Verdict::Intact { .. }));
    broken(&audit::verify_against(&app.db, &cps).await.unwrap(), "differs from the checkpoint");
    let _ = std::fs::remove_file(path);
}

/// The sequence number of the newest entry of `kind`.
async fn seq_of(app: &TestApp, kind: &str) -> i64 {
    entries(app).await.into_iter().rev().find(|e| e.kind == kind).unwrap().seq
}

#[tokio::test]
async fn an_emptied_or_cut_log_is_found_after_everyone_signed_out() {
    let app = TestApp::new(0).await;
    let mut c = app.signed_in().await;
    let csrf = c.csrf().await;
    let r = c.post("/admin/account/1/notes", &[("csrf_token", &csrf), ("body", "Called the customer")]).await;
    assert!(r.status.as_u16() < 400, "{}", r.body);
    c.post("/admin/logout", &[("csrf_token", &csrf)]).await;
    // Nobody is signed in: no session is left to give a cut away.
    assert_eq!(admin_core::db::entities::session::Entity::find().all(&app.db).await.unwrap().len(), 0);
    assert!(matches!(audit::verify(&app.db).await.unwrap(), Verdict::Intact { .. }));

    // Cut back to the sign-in, head rewritten: the note remembers its entry.
    let login = seq_of(&app, "login").await;
    cut_to(&app, login).await;
    broken(&audit::verify(&app.db).await.unwrap(), "note 1 on account 1 has no entry in the log");

    // Emptied, head put back as a new database has it: the last sign-in remembers.
    app.db.execute_unprepared("DELETE FROM admin_audit").await.unwrap();
    set_head(&app, 0, audit::GENESIS).await;
    let verdict = audit::verify(&app.db).await.unwrap();
    broken(&verdict, "the log has no entries, but the last sign-in of staff user 1");
    broken(&verdict, "the log was emptied");
    let err = commands::audit_verify(&app.db, None).await.unwrap_err();
    assert_eq!(err.code, commands::EXIT_REFUSED);
    assert!(err.message.contains("the log was emptied"), "{}", err.message);
}

#[tokio::test]
async fn a_cut_approved_run_or_decision_is_found_from_the_approval() {
    use admin_core::service::{ActionRequest, ActionResult};
    let app = TestApp::new(0).await;
    let roles = ops_console::roles::roles();
    let registry = ops_console::registry();
    let mut finance = Vec::new();
    for name in ["fay", "fin"] {
        opsadmin::auth::create_user(&app.db, name, "a long enough pass phrase", &["finance"], false)
            .await
            .unwrap();
        finance.push(admin_core::auth::staff_by_name(&app.db, &roles, name).await.unwrap());
    }
    let ctx = Context::staff(&finance[0]).with_reason(Some("Charged twice".into()));
    let req = ActionRequest { keys: vec!["1".into()], input: serde_json::json!({}), idempotency_key: None };
    let id = match super::support::run_action(&app.db, &ctx, &registry, "invoice", "refund_invoice", &req)
        .await
        .unwrap()
    {
        ActionResult::Queued { id } => id,
        other => panic!("expected a queued request, got {other:?}"),
    };
    admin_core::approval::decide(&app.db, &Context::staff(&finance[1]), &registry, id, true, None)
        .await
        .unwrap();
    let work = admin_core::approval::work_once(&app.db, &registry, &roles).await.unwrap();
    assert_eq!(work, admin_core::approval::Work::Done(id));
    let report =
        admin_core::approval::report_of(&admin_core::approval::get(&app.db, id).await.unwrap()).unwrap();
    let (first, last) = report.audit_seqs.unwrap();
    assert_eq!(last, entries(&app).await.pop().unwrap().seq);
    assert!(matches!(audit::verify(&app.db).await.unwrap(), Verdict::Intact { .. }));

    // The refund's entries cut off, head rewritten: the request's report remembers them.
    cut_to(&app, first - 1).await;
    broken(
        &audit::verify(&app.db).await.unwrap(),
        &format!("the run of approval request {id}, which wrote entries {first} to {last}, has no entry"),
    );
    // The approval cut off too: the decision remembers it.
    let approved = seq_of(&app, "approve").await;
    cut_to(&app, approved - 1).await;
    let verdict = audit::verify(&app.db).await.unwrap();
    broken(&verdict, &format!("the decision on approval request {id} has no entry in the log"));
    broken(&verdict, "the newest entries were removed");
}

#[tokio::test]
async fn a_checkpoint_file_that_cannot_be_read_is_a_usage_error_not_a_verdict() {
    let app = used_app().await;
    let missing = std::env::temp_dir().join("opsadmin-no-such-checkpoint-file.txt");
    let err = commands::audit_verify(&app.db, Some(&missing)).await.unwrap_err();
    assert_eq!(err.code, commands::EXIT_USAGE);
    assert!(err.message.starts_with("Cannot read the checkpoint file"), "{}", err.message);
    assert!(err.message.contains("nothing was checked"), "{}", err.message);
    // The help says what each exit code means.
    let help = ops_console::cli::parse(["audit", "verify", "--help"]).unwrap_err().to_string();
    assert!(help.contains("2 when the log could not be checked"), "{help}");
}
