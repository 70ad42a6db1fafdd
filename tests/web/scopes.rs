//! Row-level scopes (issue 16 point 6): the trials desk sees only trial accounts
//! and their invoices and email jobs. The leak test walks every way in as a
//! member of the desk and finds no out-of-scope record, id or count in any answer.

use ops_console::models::{account, email_job, invoice};
use opsadmin::Scope;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait};

use super::support::{ALICE, BOB, CAROL, Client, TestApp, api, client_for, token_for};

/// Text that belongs only to records outside the trials desk's scope.
const OUT_OF_SCOPE: &[&str] = &[
    "globex",
    "acme-420",
    "acme 420",
    "hooli",
    "user2@",
    "user3@",
    "inv-secretbob",
    "inv-secretcarol",
    "secreterr",
    "secretnote",
];

fn assert_clean(what: &str, body: &str) {
    let lower = body.to_lowercase();
    for m in OUT_OF_SCOPE {
        assert!(!lower.contains(m), "{what}: an out-of-scope record shows ({m}):\n{body}");
    }
    // 6 accounts in all, 4 invoices, 2 email jobs: no total of what is out of scope.
    for n in ["6 accounts", "5 accounts", "4 invoices", "3 invoices", "2 email jobs"] {
        assert!(!lower.contains(n), "{what}: an out-of-scope count shows ({n}):\n{body}");
    }
}

fn desk_roles() -> opsadmin::Roles {
    ops_console::roles::roles()
        .role(
            "desk",
            "",
            &[
                "account.view",
                "account.change",
                "account.export",
                "account.note",
                "account.action.mark_for_manual_review",
                "invoice.view",
                "invoice.export",
                "email_job.view",
                "email_job.change",
                "approvals.decide",
            ],
        )
        .scope("desk", "account", Scope::eq("plan", "trial"))
        .scope("desk", "invoice", Scope::via("account_id", "account"))
        .scope("desk", "email_job", Scope::via("account_id", "account"))
}

/// The fixture plus records outside the desk's scope with telltale text, a note on
/// one, and two refund requests (one about an invoice of each kind of account).
async fn fixture() -> (TestApp, i64, i64) {
    let mut app = TestApp::new(3).await;
    // The desk of the reference app, plus changing accounts, an action and deciding
    // approvals, so those paths are walked with the same scopes.
    let roles = desk_roles();
    let state = opsadmin::web::AdminState::new(app.db.clone(), ops_console::registry()).with_roles(roles);
    app.router = axum::Router::new().merge(opsadmin::web::router()).with_state(state);
    for (id, acc, number) in [(3, BOB, "INV-SECRETBOB"), (4, CAROL, "INV-SECRETCAROL")] {
        invoice::ActiveModel {
            id: Set(id),
            account_id: Set(acc),
            number: Set(number.to_owned()),
            amount_cents: Set(9900),
            currency: Set("USD".to_owned()),
            status: Set("paid".to_owned()),
            issued_at: Set(chrono::NaiveDate::from_ymd_opt(2026, 3, 1)
                .unwrap()
                .and_hms_opt(9, 0, 0)
                .unwrap()),
        }
        .insert(&app.db)
        .await
        .unwrap();
    }
    email_job::ActiveModel {
        id: Set(2),
        account_id: Set(CAROL),
        kind: Set("welcome".to_owned()),
        status: Set("failed".to_owned()),
        attempts: Set(2),
        last_error: Set(Some("SECRETERR carol's mailbox".to_owned())),
        updated_at: Set(chrono::NaiveDate::from_ymd_opt(2026, 3, 5).unwrap().and_hms_opt(9, 0, 0).unwrap()),
    }
    .insert(&app.db)
    .await
    .unwrap();
    let mut admin = app.signed_in().await;
    let csrf = admin.csrf().await;
    let r = admin
        .post(&format!("/admin/account/{BOB}/notes"), &[("csrf_token", &csrf), ("body", "SECRETNOTE")])
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let mut fay = client_for(&app, "fay", "finance").await;
    let (mut requests, csrf) = (Vec::new(), fay.csrf().await);
    for id in ["1", "3"] {
        let page =
            fay.post("/admin/invoice/actions/refund_invoice", &[("csrf_token", &csrf), ("ids", id)]).await;
        let key = page.input_value("idempotency_key").unwrap();
        let form = [
            ("csrf_token", csrf.as_str()),
            ("confirm", "1"),
            ("idempotency_key", key.as_str()),
            ("ids", id),
            ("reason", "Charged twice"),
        ];
        let r = fay.post("/admin/invoice/actions/refund_invoice", &form).await;
        assert_eq!(r.status, 303, "{}", r.body);
        requests.push(r.location().rsplit('/').next().unwrap().parse::<i64>().unwrap());
    }
    (app, requests[0], requests[1])
}

async fn get_clean(c: &mut Client, path: &str) -> super::support::Resp {
    let r = c.get(path).await;
    assert!(r.status.as_u16() < 500, "{path}: {}", r.status);
    assert_clean(path, &r.body);
    r
}

#[tokio::test]
async fn the_trials_desk_sees_nothing_outside_its_scope_on_any_path() {
    let (app, alice_request, bob_request) = fixture().await;
    let mut tina = client_for(&app, "tina", "desk").await;

    // Lists with every filter, sort, page, search and count.
    let lists = [
        "/admin/account/",
        "/admin/account/?q=acme",
        "/admin/account/?q=acme-42",
        "/admin/account/?q=user",
        "/admin/account/?plan=monthly",
        "/admin/account/?plan=annual",
        "/admin/account/?plan=free",
        "/admin/account/?billing_state=past_due",
        "/admin/account/?manual_review=1",
        "/admin/account/?locked=1",
        "/admin/account/?signup_at__from=2020-01-01&signup_at__to=2030-01-01",
        "/admin/account/?sort=email",
        "/admin/account/?sort=-email",
        "/admin/account/?sort=-signup_at&page=2",
        "/admin/account/?exact=1",
        "/admin/account/?after=2",
        "/admin/account/?before=3",
        "/admin/invoice/",
        "/admin/invoice/?q=inv",
        "/admin/invoice/?q=secret",
        "/admin/invoice/?status=paid&exact=1",
        "/admin/invoice/?sort=number",
        "/admin/email_job/",
        "/admin/email_job/?status=failed&exact=1",
        "/admin/email_job/?q=carol",
    ];
    for path in lists {
        get_clean(&mut tina, path).await;
    }
    let all = get_clean(&mut tina, "/admin/account/?exact=1").await;
    all.assert_contains("user1@acme-42-ltd.example");
    all.assert_contains("1 account");
    get_clean(&mut tina, "/admin/invoice/").await.assert_contains("INV-00000001");
    // Search and global search.
    for q in ["acme", "user", "INV", "SECRET", "glob"] {
        get_clean(&mut tina, &format!("/admin/search?q={q}")).await;
    }
    get_clean(&mut tina, "/admin/search?q=acme").await.assert_contains("user1@acme-42-ltd.example");
    // Exports.
    for path in
        ["/admin/account/export.csv", "/admin/account/export.csv?plan=annual", "/admin/invoice/export.csv"]
    {
        let r = get_clean(&mut tina, path).await;
        assert_eq!(r.status, 200, "{path}");
    }
    // The dashboard and its queue counts.
    get_clean(&mut tina, "/admin/").await;

    // One record: out of scope is the same 404 as a missing one.
    let missing = tina.get("/admin/account/999").await;
    assert_eq!(missing.status, 404);
    for path in [
        format!("/admin/account/{BOB}"),
        format!("/admin/account/{CAROL}"),
        "/admin/account/4".to_owned(),
        "/admin/invoice/3".to_owned(),
        "/admin/invoice/4".to_owned(),
        "/admin/email_job/2".to_owned(),
        format!("/admin/account/{BOB}/history"),
        "/admin/invoice/3/history".to_owned(),
    ] {
        let r = get_clean(&mut tina, &path).await;
        assert_eq!(r.status, 404, "{path}: {}", r.body);
    }
    // The desk may not delete: refused before the record is looked at, for any id.
    assert_eq!(get_clean(&mut tina, &format!("/admin/account/{BOB}/delete")).await.status, 403);
    let alice = get_clean(&mut tina, &format!("/admin/account/{ALICE}")).await;
    alice.assert_contains("INV-00000001");
    get_clean(&mut tina, &format!("/admin/account/{ALICE}/history")).await;
    get_clean(&mut tina, "/admin/invoice/1").await;
    // Notes on an out-of-scope record: no such record.
    let csrf = tina.csrf().await;
    let r = tina.post(&format!("/admin/account/{BOB}/notes"), &[("csrf_token", &csrf), ("body", "hi")]).await;
    assert_eq!(r.status, 404, "{}", r.body);
    assert_clean("note", &r.body);

    // The selection keeps only what the desk sees, select-all counts only that.
    let r = tina
        .post(
            "/admin/account/selection",
            &[
                ("csrf_token", &csrf),
                ("_back", ""),
                ("ids", "1"),
                ("ids", "2"),
                ("ids", "3"),
                ("page_ids", "1"),
            ],
        )
        .await;
    assert!(r.status.as_u16() < 500);
    let door = opsadmin::Service::new(app.db.clone(), ops_console::registry()).with_roles(desk_roles());
    let caller = door.local("tina").await.unwrap();
    assert_eq!(door.selection(&caller, "account").await.unwrap(), ["1"]);
    let query = door.query(&caller, "account", &[]).unwrap();
    assert_eq!(door.count(&caller, "account", &query, 1000).await.unwrap(), 1);
    assert_eq!(door.keys(&caller, "account", &query, 1000).await.unwrap(), ["1"]);
    let q = door.query(&caller, "invoice", &[]).unwrap();
    assert_eq!(door.count(&caller, "invoice", &q, 1000).await.unwrap(), 2);
    get_clean(&mut tina, "/admin/account/actions/mark_for_manual_review?select_all=1").await;

    // Actions on out-of-scope ids: "no such record", nothing runs.
    let preview = get_clean(&mut tina, "/admin/account/actions/mark_for_manual_review?ids=3").await;
    assert!(preview.status.as_u16() < 500);
    let r = tina
        .post(
            "/admin/account/actions/mark_for_manual_review",
            &[("csrf_token", &csrf), ("confirm", "1"), ("ids", "3")],
        )
        .await;
    assert_clean("action run", &r.body);
    assert!(!account::Entity::find_by_id(CAROL).one(&app.db).await.unwrap().unwrap().manual_review);

    // The API and the command line.
    let token = token_for(&app, "tina", None).await;
    let (status, body) = api(
        &app,
        &token,
        "/admin/api/account/actions/mark_for_manual_review",
        serde_json::json!({"ids": ["3"]}),
    )
    .await;
    assert_eq!(status, 404, "{body}");
    assert_clean("api", &body.to_string());
    let (status, body) = api(
        &app,
        &token,
        "/admin/api/account/actions/mark_for_manual_review",
        serde_json::json!({"ids": ["1"]}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    opsadmin::auth::create_user(&app.db, "trudy", super::support::PASSWORD, &["trials"], false)
        .await
        .unwrap();
    let out = super::backup::run(&[
        "action",
        "account",
        "mark_for_manual_review",
        "--ids",
        "3",
        "--as",
        "trudy",
        "--database-url",
        &app.url,
    ]);
    assert!(!out.status.success());
    assert_clean(
        "cli",
        &format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)),
    );
    assert!(!account::Entity::find_by_id(CAROL).one(&app.db).await.unwrap().unwrap().manual_review);
    // The reference app's trials role walks the lists and searches too.
    let mut trudy = app.client();
    trudy.sign_in("trudy", super::support::PASSWORD).await;
    for path in lists {
        get_clean(&mut trudy, path).await;
    }
    get_clean(&mut trudy, "/admin/search?q=acme").await.assert_contains("user1@acme-42-ltd.example");
    assert_eq!(get_clean(&mut trudy, "/admin/invoice/3").await.status, 404);

    // Approvals: a request about an out-of-scope invoice does not exist for the desk.
    let queue = get_clean(&mut tina, "/admin/approvals").await;
    queue.assert_contains(&format!("/admin/approvals/{alice_request}"));
    queue.assert_lacks(&format!("/admin/approvals/{bob_request}\""));
    let r = get_clean(&mut tina, &format!("/admin/approvals/{bob_request}")).await;
    assert_eq!(r.status, 404);
    let r = tina.post(&format!("/admin/approvals/{bob_request}/approve"), &[("csrf_token", &csrf)]).await;
    assert_eq!(r.status, 404, "{}", r.body);
    assert_clean("approve", &r.body);
    get_clean(&mut tina, &format!("/admin/approvals/{alice_request}")).await;
    get_clean(&mut tina, "/admin/approvals?status=pending").await;

    // An unscoped user still sees everything.
    let mut admin = app.signed_in().await;
    admin.get("/admin/account/?exact=1").await.assert_contains("6 accounts");
}

/// The keys an autocomplete answer suggests.
fn suggested(body: &str) -> Vec<String> {
    let v: serde_json::Value = serde_json::from_str(body).expect("JSON");
    v["results"].as_array().expect("results").iter().map(|r| r["id"].to_string().replace('"', "")).collect()
}

#[tokio::test]
async fn autocomplete_tiles_inlines_and_list_edits_keep_to_the_scope() {
    let (app, _, _) = fixture().await;
    let mut tina = client_for(&app, "tina", "desk").await;

    // Choosing an invoice's account by name: only trial accounts are suggested,
    // with or without JavaScript, whatever is typed (names, ids, nothing).
    for q in ["", "acme", "globex", "user", "user2", "2", "3", "4"] {
        let r = get_clean(&mut tina, &format!("/admin/invoice/autocomplete/account_id?q={q}")).await;
        assert_eq!(r.status, 200, "{q}: {}", r.body);
        for key in suggested(&r.body) {
            assert!(!["2", "3"].contains(&key.as_str()), "{q}: out-of-scope account {key} suggested");
        }
        // The pick page says what was typed back; nothing else of those accounts.
        let page = tina.get(&format!("/admin/invoice/lookup/account_id?q={q}")).await;
        assert_eq!(page.status, 200, "{q}");
        let echoes = [format!("value=\"{q}\""), format!("\u{201c}{q}\u{201d}")];
        assert_clean(q, &echoes.iter().fold(page.body.to_lowercase(), |b, e| b.replace(e.as_str(), "")));
    }
    let found = get_clean(&mut tina, "/admin/invoice/autocomplete/account_id?q=acme").await;
    assert_eq!(suggested(&found.body), ["1"]);
    // A filter naming an out-of-scope account by id shows the id, never its name.
    for path in [format!("/admin/invoice/?account_id={BOB}"), format!("/admin/email_job/?account_id={CAROL}")]
    {
        get_clean(&mut tina, &path).await;
    }

    // Dashboard tiles count only what the desk sees: Bob is in manual review and
    // Carol's welcome email failed, but neither is the desk's.
    let door = opsadmin::Service::new(app.db.clone(), ops_console::registry()).with_roles(desk_roles());
    let (desk, admin) = (door.local("tina").await.unwrap(), door.local(super::support::USER).await.unwrap());
    let counts = |tiles: Vec<opsadmin::pages::TileCount>| -> Vec<(String, Option<u64>)> {
        tiles.into_iter().map(|t| (t.label, t.count)).collect()
    };
    let seen = counts(door.tiles(&desk, 1000).await.unwrap());
    let all = counts(door.tiles(&admin, 1000).await.unwrap());
    let of = |tiles: &[(String, Option<u64>)], label: &str| {
        tiles.iter().find(|(l, _)| l == label).unwrap_or_else(|| panic!("no tile {label}: {tiles:?}")).1
    };
    assert_eq!(of(&all, "Accounts in manual review"), Some(1));
    assert_eq!(of(&seen, "Accounts in manual review"), Some(0));
    assert_eq!(of(&all, "Failed email jobs"), Some(2));
    assert_eq!(of(&seen, "Failed email jobs"), Some(1));
    get_clean(&mut tina, "/admin/").await;

    // Inlines: Alice's page lists her email job only; a forged row naming Carol's
    // job is "no such record", and nothing is saved.
    let alice = get_clean(&mut tina, &format!("/admin/account/{ALICE}")).await;
    alice.assert_contains("name=\"email_job-0-_key\"");
    alice.assert_lacks("name=\"email_job-1-_key\" value");
    let csrf = tina.csrf().await;
    let version = alice.input_value("_version").unwrap();
    let job_version = alice.input_value("email_job-0-_version").unwrap();
    for (key, job) in [("2", version.as_str()), ("2", job_version.as_str())] {
        let form = [
            ("csrf_token", csrf.as_str()),
            ("_version", version.as_str()),
            ("company", "Acme 42 Ltd"),
            ("email_job-0-_key", key),
            ("email_job-0-_version", job),
            ("email_job-0-attempts", "9"),
        ];
        let r = tina.post(&format!("/admin/account/{ALICE}"), &form).await;
        assert_clean("inline save", &r.body);
        // Not even the name of Carol's job ("Welcome email to account 3").
        r.assert_lacks("to account 3");
        assert!(r.status.as_u16() < 500 && r.status != 303, "{}: {}", r.status, r.body);
    }
    let carols = email_job::Entity::find_by_id(2).one(&app.db).await.unwrap().unwrap();
    assert_eq!(carols.attempts, 2, "an out-of-scope child row was changed");

    // List edits: rows of out-of-scope accounts are gone, in the review and the save.
    let form = [
        ("csrf_token", csrf.as_str()),
        ("r0-_key", "2"),
        ("r0-_version", "x"),
        ("r0-company", "Hijacked Inc"),
        ("r0-_was-company", "Globex 7 Inc"),
        ("r1-_key", "3"),
        ("r1-_version", "x"),
        ("r1-company", "Hijacked Inc"),
        ("r1-_was-company", "Acme 420 GmbH"),
    ];
    for save in [false, true] {
        let mut form = form.to_vec();
        if save {
            form.push(("_confirmed", "1"));
        }
        let r = tina.post("/admin/account/list-edit", &form).await;
        assert!(r.status.as_u16() < 500, "{}: {}", r.status, r.body);
        let lower = r.body.to_lowercase();
        for m in ["globex 7", "acme 420 gmbh", "user2@", "user3@"] {
            assert!(!lower.contains(m), "list edit shows {m}: {}", r.body);
        }
        if r.status == 303 {
            get_clean(&mut tina, r.location()).await;
        }
    }
    for id in [BOB, CAROL] {
        let a = account::Entity::find_by_id(id).one(&app.db).await.unwrap().unwrap();
        assert_ne!(a.company, "Hijacked Inc", "an out-of-scope account was edited in the list");
    }
}

#[tokio::test]
async fn a_record_that_leaves_the_scope_while_an_action_waits_is_skipped_inside_its_transaction() {
    use sea_orm::{ConnectionTrait, TransactionTrait};
    let (app, _, _) = fixture().await;
    opsadmin::auth::create_user(&app.db, "tina", super::support::PASSWORD, &["desk"], false).await.unwrap();
    let door = opsadmin::Service::new(app.db.clone(), ops_console::registry()).with_roles(desk_roles());
    let tina = door.local("tina").await.unwrap().with_reason(Some("Customer called".into()));
    // Someone else moves Alice off the trial plan and holds the write open; the
    // desk's run checks its scope (Alice is still a trial there), then waits.
    let other = app.db.begin().await.unwrap();
    other
        .execute_unprepared(&format!("UPDATE account SET plan = 'annual' WHERE id = {ALICE}"))
        .await
        .unwrap();
    let run = tokio::spawn({
        let door = door.clone();
        async move {
            let request = opsadmin::service::ActionRequest {
                keys: vec![ALICE.to_string()],
                input: serde_json::json!({}),
                idempotency_key: None,
            };
            door.run_action(&tina, "account", "mark_for_manual_review", &request).await
        }
    });
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    other.commit().await.unwrap();
    let result = run.await.unwrap().expect("the run answers");
    // The run read Alice again in its transaction, outside the desk's scope now:
    // skipped as not there, and not marked.
    match result {
        opsadmin::service::ActionResult::Ran(report) => {
            assert!(report.done.is_empty(), "{report:?}");
            assert_eq!(report.skipped.len(), 1, "{report:?}");
        }
        other => panic!("expected a run that skipped Alice: {other:?}"),
    }
    assert!(!account::Entity::find_by_id(ALICE).one(&app.db).await.unwrap().unwrap().manual_review);
}

#[tokio::test]
async fn a_scoped_edit_that_leaves_the_scope_is_refused() {
    let roles = ops_console::roles::roles().role("desk", "", &["account.view", "account.change"]).scope(
        "desk",
        "account",
        Scope::eq("plan", "trial"),
    );
    let app = TestApp::with_roles(roles).await;
    let mut tina = client_for(&app, "tina", "desk").await;
    let path = format!("/admin/account/{ALICE}");
    let form = |plan: &str, company: &str| {
        vec![
            ("email".to_owned(), "user1@acme-42-ltd.example".to_owned()),
            ("company".to_owned(), company.to_owned()),
            ("plan".to_owned(), plan.to_owned()),
            ("signup_at".to_owned(), "2026-01-10T09:30:00".to_owned()),
            ("welcome_email_sent".to_owned(), "0".to_owned()),
            ("manual_review".to_owned(), "0".to_owned()),
            ("locked".to_owned(), "0".to_owned()),
        ]
    };
    let (_, mut pairs) = tina.edit_form(&path).await;
    pairs.extend(form("monthly", "Acme 42 Ltd"));
    let r = tina.post(&path, &super::support::refs(&pairs)).await;
    assert!(r.status.as_u16() < 500 && r.status != 303, "{}: {}", r.status, r.body);
    r.assert_contains("outside the records your role looks after");
    assert_eq!(account::Entity::find_by_id(ALICE).one(&app.db).await.unwrap().unwrap().plan, "trial");
    // Editing within the scope saves.
    let (_, mut pairs) = tina.edit_form(&path).await;
    pairs.extend(form("trial", "Acme 42 Trials"));
    let r = tina.post(&path, &super::support::refs(&pairs)).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(
        account::Entity::find_by_id(ALICE).one(&app.db).await.unwrap().unwrap().company,
        "Acme 42 Trials"
    );
}

#[test]
fn scope_mistakes_stop_the_registry_with_suggestions() {
    let roles = opsadmin::Roles::new()
        .role("desk", "", &["account.view", "invoice.view", "email_job.view"])
        .scope("desk", "acount", Scope::eq("plan", "trial"))
        .scope("desk", "account", Scope::eq("plna", "trial"))
        .scope("desk", "email_job", Scope::via("account_id", "account"))
        .scope("desk", "invoice", Scope::via("acount_id", "account"))
        .scope("dsk", "account", Scope::eq("plan", "trial"));
    let err = opsadmin::Registry::builder()
        .register::<account::Model>()
        .register::<invoice::Model>()
        .register::<email_job::Model>()
        .roles(&roles)
        .build()
        .err()
        .expect("mistakes");
    let text = err.to_string();
    assert!(text.contains("names the role `dsk`, which is not declared (did you mean `desk`?)"), "{text}");
    assert!(text.contains("no model `acount` is registered (did you mean `account`?)"), "{text}");
    assert!(
        text.contains("the field `plna`, which `account` does not have (did you mean `plan`?)"),
        "{text}"
    );
    assert!(
        text.contains("the field `acount_id`, which `invoice` does not have (did you mean `account_id`?)"),
        "{text}"
    );
    // A good declaration builds.
    let fine = opsadmin::Roles::new()
        .role("desk", "", &["account.view", "invoice.view"])
        .role("support", "", &[])
        .role("viewer", "", &[])
        .scope("desk", "account", Scope::is_in("plan", &["trial", "free"]))
        .scope("desk", "invoice", Scope::via("account_id", "account"));
    let built = opsadmin::Registry::builder()
        .register::<account::Model>()
        .register::<invoice::Model>()
        // The account page edits its email jobs inline, so their model is registered.
        .register::<email_job::Model>()
        .roles(&fine)
        .build();
    assert!(built.is_ok(), "{:?}", built.err());
}
