//! CSV imports with a preview, and exports as jobs (issue 17, points 3 and 4):
//! every kind of bad row gets its message with its line and the good rows are not
//! lost; nothing is written before the preview is confirmed, then each row once
//! with its audit entry; the same file twice changes nothing the second time; a
//! field-restricted or scoped importer cannot touch what they cannot edit; the
//! screens over HTTP; an export written by the worker and downloaded by its
//! requester only. Through the door and over HTTP, on the backend under test.

use admin_core::audit::entry;
use admin_core::job::JobState;
use admin_core::job::worker::Work;
use ops_console::models::account;
use opsadmin::{Caller, Error, Scope, Service};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use super::support::{ALICE, BOB, CAROL, PASSWORD, TestApp, USER, client_for};

fn door(app: &TestApp) -> Service {
    Service::new(app.db.clone(), ops_console::registry()).with_roles(roles())
}

/// The reference roles, and a desk that imports trial accounts only.
fn roles() -> opsadmin::Roles {
    ops_console::roles::roles()
        .role("desk", "", &["account.view", "account.change", "account.add", "account.import"])
        .scope("desk", "account", Scope::eq("plan", "trial"))
}

async fn admin(service: &Service) -> Caller {
    service.local(USER).await.unwrap().with_reason(Some("Support's corrected list".to_owned()))
}

/// Works chunks until none is waiting.
async fn drain(service: &Service) {
    loop {
        match service.work_jobs_once("test").await.unwrap() {
            Work::Idle => return,
            Work::Chunk { .. } => {}
            other => panic!("{other:?}"),
        }
    }
}

async fn account(app: &TestApp, id: i64) -> account::Model {
    account::Entity::find_by_id(id).one(&app.db).await.unwrap().unwrap()
}

async fn entries(app: &TestApp, kind: &str) -> u64 {
    entry::Entity::find().filter(entry::Column::Kind.eq(kind)).count(&app.db).await.unwrap()
}

/// Starts an import of `csv` and matches its columns as guessed, with `key`.
async fn upload(service: &Service, caller: &Caller, csv: &[u8], key: &str) -> i64 {
    let id = service.start_import(caller, "account", "accounts.csv", csv).await.unwrap();
    let (_, spec) = service.import(caller, id).await.unwrap();
    service.match_import(caller, id, spec.mapping, Some(key.to_owned())).await.unwrap();
    drain(service).await;
    id
}

/// One file with every kind of row (a `;` file with a byte-order mark, as a
/// spreadsheet saves it): lines 2 and 3 are good, the rest each fail their own way.
const FILE: &str = "\u{feff}Email;Company;Plan;Manual review\r\n\
user1@acme-42-ltd.example;Acme 42 Limited;Trial;no\r\n\
new1@import.example;New One;monthly;yes\r\n\
user2@globex-7-inc.example;Globex 7 Inc;annual;yes\r\n\
new2@import.example;Gold Co;gold;no\r\n\
new3@import.example;Bad Flag;free;maybe\r\n\
;No Email;free;no\r\n\
new1@import.example;Twice;free;no\r\n\
new4@import.example;Short row\r\n\
new5@import.example;=HYPERLINK(\"http://evil.example\");nonsense;no\r\n\
user3@acme-420-gmbh.example;Acme 420 GmbH;free;no\r\n";

#[tokio::test]
async fn an_import_previews_every_row_then_writes_the_good_ones_once_each_with_their_audit_entry() {
    let app = TestApp::new(0).await;
    let service = door(&app);
    let caller = admin(&service).await;
    let id = upload(&service, &caller, FILE.as_bytes(), "email").await;
    let job = service.job(&caller, id).await.unwrap();
    assert_eq!((job.state, job.total, job.checked), (JobState::Ready, 10, 10), "{job:?}");
    let s = service.import_summary(&caller, id).await.unwrap();
    assert_eq!((s.create, s.update, s.unchanged, s.failed), (1, 2, 1, 6), "{s:?}");
    // Checked, nothing is written yet.
    assert_eq!(account(&app, ALICE).await.company, "Acme 42 Ltd");
    assert_eq!(account::Entity::find().count(&app.db).await.unwrap(), 3);
    assert_eq!(entries(&app, "create").await + entries(&app, "update").await, 0);
    // Each bad row has its words, by line.
    let failed = service.import_rows(&caller, id, (Some("failed"), None), -1, 100).await.unwrap();
    let by_line: Vec<(i64, String)> =
        failed.iter().map(|i| (i.line.unwrap(), i.note.clone().unwrap_or_default())).collect();
    let note =
        |line: i64| by_line.iter().find(|(l, _)| *l == line).map(|(_, n)| n.clone()).unwrap_or_default();
    assert!(note(5).starts_with("Plan:"), "{by_line:?}");
    assert!(note(6).starts_with("Manual review: Choose yes or no"), "{by_line:?}");
    assert!(note(7).contains("Email is empty"), "{by_line:?}");
    assert!(note(8).contains("is on line 3 too"), "{by_line:?}");
    assert!(note(9).contains("cells"), "{by_line:?}");
    assert!(note(10).starts_with("Plan:"), "{by_line:?}");
    // Carol's plan would change without a reason the plan needs… the caller gave one,
    // so her row is a change; Bob's row is as he is.
    assert!(note(4).is_empty() && note(11).is_empty(), "{by_line:?}");
    let updates = service.import_rows(&caller, id, (None, Some("update")), -1, 100).await.unwrap();
    let lines: Vec<i64> = updates.iter().filter_map(|i| i.line).collect();
    assert!(lines.contains(&2), "{updates:?}");
    let alice = updates.iter().find(|i| i.line == Some(2)).unwrap();
    assert_eq!(
        alice.diff,
        vec![["Company".to_owned(), "Acme 42 Ltd".to_owned(), "Acme 42 Limited".to_owned()]]
    );
    // Confirmed, the worker writes the good rows: one entry each.
    service.confirm_import(&caller, id).await.unwrap();
    drain(&service).await;
    let job = service.job(&caller, id).await.unwrap();
    assert_eq!(job.state, JobState::Done, "{job:?}");
    assert_eq!(account(&app, ALICE).await.company, "Acme 42 Limited");
    let new1 = account::Entity::find()
        .filter(account::Column::Email.eq("new1@import.example"))
        .one(&app.db)
        .await
        .unwrap()
        .expect("the new account");
    assert_eq!((new1.plan.as_str(), new1.manual_review), ("monthly", true));
    assert_eq!(account(&app, CAROL).await.plan, "free");
    assert_eq!(entries(&app, "create").await, 1);
    assert_eq!(entries(&app, "update").await, 2);
    let e =
        entry::Entity::find().filter(entry::Column::Kind.eq("create")).one(&app.db).await.unwrap().unwrap();
    assert_eq!((e.actor.as_str(), e.reason.as_deref()), (USER, Some("Support's corrected list")));
    assert_eq!(e.request_id.as_deref(), Some(format!("job-{id}").as_str()));
    // The same file again changes nothing.
    let again = upload(&service, &caller, FILE.as_bytes(), "email").await;
    let s = service.import_summary(&caller, again).await.unwrap();
    assert_eq!((s.create, s.update, s.unchanged), (0, 0, 4), "{s:?}");
    let err = service.confirm_import(&caller, again).await;
    assert!(err.is_ok(), "a preview with nothing to write may be confirmed: it writes nothing");
    drain(&service).await;
    assert_eq!(entries(&app, "create").await + entries(&app, "update").await, 3);
    let verdict = service.audit_verify(&Caller::system("test")).await.unwrap();
    assert!(matches!(verdict, admin_core::audit::Verdict::Intact { .. }), "{verdict:?}");
}

#[tokio::test]
async fn bad_files_and_bad_matchings_are_refused_in_words() {
    let app = TestApp::new(0).await;
    let service = door(&app);
    let caller = admin(&service).await;
    for (file, words) in
        [(&b"Email,Company\n\xff\xfe,x\n"[..], "not UTF-8"), (b"Email,Company\n", "no rows"), (b"", "empty")]
    {
        match service.start_import(&caller, "account", "x.csv", file).await {
            Err(Error::BadRequest(m)) => assert!(m.contains(words), "{m}"),
            other => panic!("{other:?}"),
        }
    }
    let id = service
        .start_import(&caller, "account", "x.csv", b"Email,Company,Nickname\na@b.example,A,x\n")
        .await
        .unwrap();
    let (_, spec) = service.import(&caller, id).await.unwrap();
    assert_eq!(spec.mapping, vec![Some("email".to_owned()), Some("company".to_owned()), None]);
    assert_eq!(spec.key.as_deref(), Some("email"));
    // Billing state is read-only; company cannot match rows (two accounts may share it).
    let map = vec![Some("email".to_owned()), Some("billing_state".to_owned()), Some("email".to_owned())];
    let Err(Error::Invalid(errs)) = service.match_import(&caller, id, map, Some("company".to_owned())).await
    else {
        panic!("a bad matching is refused");
    };
    let all: Vec<&str> = errs.iter().map(|e| e.message.as_str()).collect();
    assert!(all.iter().any(|m| m.contains("You cannot set Billing state")), "{all:?}");
    assert!(all.iter().any(|m| m.contains("Two columns are matched to Email")), "{all:?}");
    assert!(all.iter().any(|m| m.contains("Company cannot match rows")), "{all:?}");
    // An import remembers its matching for the next file of the model.
    service
        .match_import(
            &caller,
            id,
            vec![Some("email".to_owned()), None, Some("company".to_owned())],
            Some("email".to_owned()),
        )
        .await
        .unwrap();
    let next = service
        .start_import(&caller, "account", "y.csv", b"Email,Company,Nickname\nc@d.example,C,y\n")
        .await
        .unwrap();
    let (_, spec) = service.import(&caller, next).await.unwrap();
    assert_eq!(spec.mapping, vec![Some("email".to_owned()), None, Some("company".to_owned())]);
}

#[tokio::test]
async fn a_field_restricted_or_scoped_importer_cannot_touch_what_they_cannot_edit() {
    let app = TestApp::with_roles(roles()).await;
    let service = door(&app);
    // Support may change company and e-mail, not the plan.
    opsadmin::auth::create_user(service.db(), "sue", PASSWORD, &["support"], false).await.unwrap();
    let sue = service.local("sue").await.unwrap();
    let id = service
        .start_import(
            &sue,
            "account",
            "s.csv",
            b"Email,Company,Plan\nuser2@globex-7-inc.example,Globex Seven,free\n",
        )
        .await
        .unwrap();
    let (_, spec) = service.import(&sue, id).await.unwrap();
    assert_eq!(spec.mapping[2], None, "a field she cannot set is not guessed");
    let plan = vec![Some("email".to_owned()), Some("company".to_owned()), Some("plan".to_owned())];
    let Err(Error::Invalid(errs)) = service.match_import(&sue, id, plan, Some("email".to_owned())).await
    else {
        panic!("the plan column is refused");
    };
    assert!(errs[0].message.contains("You cannot set Plan"), "{errs:?}");
    // Support cannot add accounts: a new row fails, the change goes through.
    let id = upload(
        &service,
        &sue,
        b"Email,Company\nuser2@globex-7-inc.example,Globex Seven\nnew@x.example,New\n",
        "email",
    )
    .await;
    let failed = service.import_rows(&sue, id, (Some("failed"), None), -1, 10).await.unwrap();
    assert_eq!(failed.len(), 1);
    assert!(failed[0].note.as_deref().unwrap().contains("you cannot add accounts"), "{failed:?}");
    service.confirm_import(&sue, id).await.unwrap();
    drain(&service).await;
    assert_eq!(account(&app, BOB).await.company, "Globex Seven");
    // Without `account.import`, no import at all.
    opsadmin::auth::create_user(service.db(), "vic", PASSWORD, &["viewer"], false).await.unwrap();
    let vic = service.local("vic").await.unwrap();
    assert!(matches!(
        service.start_import(&vic, "account", "v.csv", b"Email\na@b.example\n").await,
        Err(Error::Forbidden(_))
    ));
    // The desk sees trial accounts only: Bob is no account of theirs, and Alice
    // cannot be moved out of the desk's scope.
    opsadmin::auth::create_user(service.db(), "dee", PASSWORD, &["desk"], false).await.unwrap();
    let dee = service.local("dee").await.unwrap().with_reason(Some("desk clean-up".to_owned()));
    let csv = b"Email,Company,Plan\nuser2@globex-7-inc.example,Taken Over,trial\nuser1@acme-42-ltd.example,Acme,annual\nuser1@acme-42-ltd.example,,trial\n";
    let id = upload(&service, &dee, csv, "email").await;
    let failed = service.import_rows(&dee, id, (Some("failed"), None), -1, 10).await.unwrap();
    let notes: Vec<String> = failed.iter().map(|i| i.note.clone().unwrap_or_default()).collect();
    assert_eq!(failed.len(), 3, "{notes:?}");
    assert!(
        notes[0].contains("already has this value"),
        "Bob's e-mail is taken, not his to change: {notes:?}"
    );
    assert!(notes[1].contains("outside the records your role looks after"), "{notes:?}");
    assert!(notes[2].contains("on line 3 too"), "{notes:?}");
    assert!(!notes.iter().any(|n| n.contains("Globex")), "nothing of Bob shows: {notes:?}");
    assert_eq!(account(&app, BOB).await.company, "Globex Seven");
    assert_eq!(account(&app, ALICE).await.plan, "trial");
}

fn multipart(csrf: &str, reason: &str, file: &[u8]) -> (String, Vec<u8>) {
    let b = "XBOUNDARYX";
    let mut body = Vec::new();
    for (name, value) in [("csrf_token", csrf), ("reason", reason)] {
        body.extend(
            format!("--{b}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").bytes(),
        );
    }
    body.extend(
        format!("--{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"fix.csv\"\r\nContent-Type: text/csv\r\n\r\n")
            .bytes(),
    );
    body.extend(file);
    body.extend(format!("\r\n--{b}--\r\n").bytes());
    (format!("multipart/form-data; boundary={b}"), body)
}

#[tokio::test]
async fn the_import_screens_upload_match_preview_confirm_and_hand_back_the_failed_rows() {
    let app = TestApp::new(0).await;
    let mut c = app.signed_in().await;
    let list = c.get("/admin/account/").await;
    list.assert_contains("/admin/account/import");
    let form = c.get("/admin/account/import").await;
    assert_eq!(form.status, 200);
    form.assert_contains("enctype=\"multipart/form-data\"");
    let csrf = form.input_value("csrf_token").unwrap();
    // A file that is not UTF-8 keeps the form, with why.
    let (ct, body) = multipart(&csrf, "", b"Email\n\xff\n");
    let r = c
        .raw("POST", "/admin/account/import", &[("content-type", &ct), ("accept", "text/html")], body)
        .await
        .unwrap();
    assert_eq!(r.status, 400);
    r.assert_contains("not UTF-8");
    // No CSRF token, nothing made.
    let (ct, body) = multipart("wrong", "", b"Email\na@b.example\n");
    let r = c.raw("POST", "/admin/account/import", &[("content-type", &ct)], body).await.unwrap();
    assert_eq!(r.status, 403);
    let csv = "Email,Company\nuser1@acme-42-ltd.example,Acme Renamed\n=cmd@x,Formula Inc\n";
    let (ct, body) = multipart(&csrf, "Corrections", csv.as_bytes());
    let r = c.raw("POST", "/admin/account/import", &[("content-type", &ct)], body).await.unwrap();
    assert_eq!(r.status, 303, "{}", r.body);
    let job_url = r.location().to_owned();
    let page = c.get(&job_url).await;
    page.assert_contains("name=\"col_0\"");
    page.assert_contains("Columns to match");
    let id = job_url.rsplit('/').next().unwrap().to_owned();
    let r = c
        .post(
            &format!("/admin/jobs/{id}/match"),
            &[
                ("csrf_token", &csrf),
                ("col_0", "email"),
                ("col_1", "company"),
                ("key", "email"),
                ("reason", "Corrections"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    // Two rows: one chunk, checked in the request.
    let page = c.get(&job_url).await;
    page.assert_contains("Ready to import");
    page.assert_contains("Acme Renamed");
    page.assert_contains("Import: add 0, change 1");
    // The failed rows come back as the file had them, with line and problem, defused.
    let failed = c.get(&format!("/admin/jobs/{id}/failed.csv")).await;
    assert_eq!(failed.status, 200);
    assert!(failed.body.starts_with("Email,Company,Line,Problem\r\n"), "{}", failed.body);
    assert!(failed.body.contains("'=cmd@x,Formula Inc,3,"), "{}", failed.body);
    let r = c.post(&format!("/admin/jobs/{id}/confirm"), &[("csrf_token", &csrf)]).await;
    assert_eq!(r.status, 303);
    drain(&door(&app)).await;
    let page = c.get(&job_url).await;
    page.assert_contains("Finished");
    assert_eq!(account(&app, ALICE).await.company, "Acme Renamed");
    // Someone else cannot change the matching or confirm it.
    let mut viewer = client_for(&app, "vera", "viewer").await;
    assert_eq!(viewer.get("/admin/account/import").await.status, 403);
}

#[tokio::test]
async fn an_export_job_writes_the_list_to_a_file_its_requester_downloads() {
    let app = TestApp::new(30).await;
    let service = door(&app);
    let caller = admin(&service).await;
    let id = service.start_export_job(&caller, "account", "plan=free&sort=-email").await.unwrap();
    let job = service.job(&caller, id).await.unwrap();
    assert_eq!((job.state, job.total), (JobState::Queued, 30));
    assert!(matches!(service.export_file_part(&caller, id, 0).await, Err(Error::Refused(_))));
    drain(&service).await;
    let job = service.job(&caller, id).await.unwrap();
    assert_eq!((job.state, job.done), (JobState::Done, 30));
    let mut c = app.signed_in().await;
    let file = c.get(&format!("/admin/jobs/{id}/download")).await;
    assert_eq!(file.status, 200);
    let lines: Vec<&str> = file.body.lines().collect();
    assert_eq!(lines.len(), 31, "{}", file.body);
    assert!(lines[0].starts_with("ID,Email,Company,Plan"), "{}", lines[0]);
    assert!(lines[1].starts_with("4,user4@"), "primary-key order: {}", lines[1]);
    // Nobody else downloads it, not even with every job in view.
    let mut other = client_for(&app, "ann", "admin").await;
    let refused = other.get(&format!("/admin/jobs/{id}/download")).await;
    assert_eq!(refused.status, 409);
    refused.assert_contains("Only the person who started an export can download its file.");
    // Nor does anyone else read an import's rows: they hold what its file said.
    let import = service
        .start_import(
            &caller,
            "account",
            "x.csv",
            b"Email,Company
user4@hooli-4-llc.example,Secret Co
",
        )
        .await
        .unwrap();
    let page = other.get(&format!("/admin/jobs/{import}")).await;
    assert_eq!(page.status, 200);
    page.assert_contains("Only the person who imported the file sees its rows");
    page.assert_lacks("Secret Co");
    assert_eq!(other.get(&format!("/admin/jobs/{import}/failed.csv")).await.status, 409);
    // From the list's button.
    let csrf = c.csrf().await;
    let r = c.post("/admin/account/export-job", &[("csrf_token", &csrf), ("query", "q=acme")]).await;
    assert_eq!(r.status, 303);
    drain(&service).await;
    let page = c.get(r.location()).await;
    page.assert_contains("Download the CSV file");
    let file = c.get(&format!("{}/download", r.location())).await;
    assert_eq!(file.body.lines().count(), 3, "{}", file.body);
}

#[tokio::test]
async fn an_import_stopped_midway_resumes_with_nothing_written_twice() {
    let app = TestApp::new(1_200).await;
    let service = door(&app);
    let caller = admin(&service).await;
    // Every extra account gets a new company name: three chunks of 500, 500 and 200.
    let mut csv = String::from("Email,Company\n");
    for id in 4..1_204 {
        csv.push_str(&format!("user{id}@hooli-{id}-llc.example,Renamed {id}\n"));
    }
    let id = upload(&service, &caller, csv.as_bytes(), "email").await;
    service.confirm_import(&caller, id).await.unwrap();
    assert!(matches!(service.work_jobs_once("a").await.unwrap(), Work::Chunk { done: 500, .. }));
    // Told to stop at once while its chunk runs: nothing of the chunk stays.
    assert_eq!(service.work_jobs_once_until("b", std::future::ready(())).await.unwrap(), Work::Released(id));
    assert_eq!(service.job(&caller, id).await.unwrap().done, 500);
    assert_eq!(entries(&app, "update").await, 500);
    drain(&service).await;
    let job = service.job(&caller, id).await.unwrap();
    assert_eq!((job.state, job.done, job.skipped, job.failed), (JobState::Done, 1_200, 0, 0), "{job:?}");
    assert_eq!(entries(&app, "update").await, 1_200, "one entry per record, none twice");
    assert_eq!(account(&app, 1_203).await.company, "Renamed 1203");
}

#[tokio::test]
async fn the_command_line_imports_with_a_preview_and_exports_to_a_file() {
    use ops_console::cli::{ExportArgs, ImportArgs, JobArgs, JobCommand};
    let app = TestApp::new(3).await;
    let (registry, roles) = (ops_console::registry(), roles());
    let dir = std::env::temp_dir().join(format!(
        "opsadmin-cli-import-{}-{}",
        std::process::id(),
        app.path.display().to_string().len()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("names.csv");
    std::fs::write(
        &file,
        "E-mail address;Firm\nuser4@hooli-4-llc.example;Hooli Four\nuser5@hooli-5-llc.example;=SUM(1)\n",
    )
    .unwrap();
    let import = |yes: bool, map: Vec<(String, String)>| JobArgs {
        command: JobCommand::Import(ImportArgs {
            model: "account".into(),
            file: file.clone(),
            user: USER.into(),
            reason: Some("Survey".into()),
            key: Some("email".into()),
            map,
            yes,
        }),
        database_url: None,
    };
    // The columns' names are not the fields': matched by hand.
    let map =
        vec![("E-mail address".to_owned(), "email".to_owned()), ("Firm".to_owned(), "company".to_owned())];
    let out = ops_console::jobs::job(&app.db, &registry, &roles, &import(false, map.clone())).await.unwrap();
    assert!(out.contains("0 new, 2 changed, 0 unchanged, 0 with problems"), "{out}");
    assert!(out.contains("Nothing is written yet"), "{out}");
    assert_eq!(account(&app, 4).await.company, "Hooli 4 LLC");
    let out = ops_console::jobs::job(&app.db, &registry, &roles, &import(true, map.clone())).await.unwrap();
    assert!(out.contains("2 written"), "{out}");
    assert_eq!(account(&app, 4).await.company, "Hooli Four");
    assert_eq!(account(&app, 5).await.company, "=SUM(1)");
    // A column that is not in the file is a usage error.
    let wrong = vec![("Mail".to_owned(), "email".to_owned())];
    let err = ops_console::jobs::job(&app.db, &registry, &roles, &import(true, wrong)).await.unwrap_err();
    assert_eq!(err.code, ops_console::commands::EXIT_USAGE, "{err}");
    // The export writes the file; a formula-like cell comes out defused.
    let out_file = dir.join("out.csv");
    let export = JobArgs {
        command: JobCommand::Export(ExportArgs {
            model: "account".into(),
            user: USER.into(),
            query: Some("q=hooli".into()),
            out: out_file.clone(),
        }),
        database_url: None,
    };
    let out = ops_console::jobs::job(&app.db, &registry, &roles, &export).await.unwrap();
    assert!(out.contains("3 rows written"), "{out}");
    let text = std::fs::read_to_string(&out_file).unwrap();
    assert_eq!(text.lines().count(), 4, "{text}");
    assert!(text.contains(",'=SUM(1),"), "{text}");
    assert!(
        ops_console::cli::parse([
            "job", "import", "account", "f.csv", "--as", "a", "--map", "A=email", "--yes"
        ])
        .is_ok()
    );
    assert!(
        ops_console::cli::parse(["job", "import", "account", "f.csv", "--as", "a", "--map", "=email"])
            .is_err()
    );
    let _ = std::fs::remove_dir_all(&dir);
}
