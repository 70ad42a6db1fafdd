//! The effects on the screens (issue 15, point 3): the effects page with its state
//! filter, an effect's page with retry and give up (POST, then 303 to a GET), the
//! effects on a record's page, the dashboard's "Failed effects" tile and its
//! warning when no worker runs.

use admin_core::service::{ActionRequest, ActionResult};
use ops_console::mail::{MailHandler, Transport};
use ops_console::models::{account, email_job};
use opsadmin::Service;
use opsadmin::effect::Work;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait, IntoActiveModel};
use serde_json::json;

use super::support::{ALICE, PASSWORD, TestApp, client_for, html_unescape};

/// Alice's welcome email retried by support, bounced by the demo's mail folder;
/// the effect's id.
async fn bounced_welcome(app: &TestApp) -> i64 {
    let mut alice =
        account::Entity::find_by_id(ALICE).one(&app.db).await.unwrap().unwrap().into_active_model();
    alice.email = Set("bounce@acme-42-ltd.example".to_owned());
    alice.update(&app.db).await.unwrap();
    let dir = std::env::temp_dir().join(format!("opsadmin-mail-{}-screens", std::process::id()));
    let registry = ops_console::registry().effect_handler(MailHandler::new(Transport::Folder(dir)));
    let service = Service::new(app.db.clone(), registry).with_roles(ops_console::roles::roles());
    opsadmin::auth::create_user(&app.db, "sam", PASSWORD, &["support"], false).await.unwrap();
    let sam = service.local("sam").await.unwrap().with_reason(Some("Customer asked".to_owned()));
    let request = ActionRequest { keys: vec![ALICE.to_string()], input: json!({}), idempotency_key: None };
    let ran = service.run_action(&sam, "account", "retry_welcome_email", &request).await.unwrap();
    assert!(matches!(ran, ActionResult::Ran(ref r) if r.done.len() == 1), "{ran:?}");
    let Work::Failed(id, _) = service.work_effects_once("test").await.unwrap() else { panic!("not bounced") };
    id
}

#[tokio::test]
async fn support_sees_a_bounce_on_the_dashboard_the_job_and_the_effects_page_and_retries_then_gives_up() {
    let app = TestApp::new(0).await;
    let id = bounced_welcome(&app).await;
    let mut sue = client_for(&app, "sue", "support").await;

    let home = sue.get("/admin/").await;
    home.assert_contains("No worker has been seen yet: effects and approvals are not being carried out");
    home.assert_contains(r#"<a href="/admin/effects/?state=failed" class="queue"><span class="q-label">Failed effects</span><span class="sr">: </span><strong class="q-count">1</strong>"#);
    home.assert_contains(r#"<a href="/admin/effects/">Effects</a>"#);

    let job = sue.get("/admin/email_job/1").await;
    job.assert_contains(r#"<h2 id="effects-heading">Effects</h2>"#);
    job.assert_contains("Failed</span> <a href=\"/admin/effects/");
    job.assert_contains("Send the welcome email to bounce@acme-42-ltd.example");

    let failed = sue.get("/admin/effects/?state=failed").await;
    assert_eq!(failed.status, 200);
    assert_eq!(failed.row_count(), 1);
    failed.assert_contains("mailbox unavailable");
    let done = sue.get("/admin/effects/?state=done").await;
    assert_eq!(done.row_count(), 0);
    done.assert_contains("No effects here.");
    sue.get("/admin/effects/?state=lost").await.assert_contains("is not a state; showing every state.");

    let url = format!("/admin/effects/{id}");
    let page = sue.get(&url).await;
    page.assert_contains("<span class=\"status status-failed\">Failed</span>");
    page.assert_contains(">Retry</button>");
    let csrf = page.input_value("csrf_token").unwrap();
    // A bookmark or Back on the form's address lands on the page, not an error.
    assert_eq!(sue.get(&format!("{url}/retry")).await.location(), url);

    let r = sue.post(&format!("{url}/retry"), &[("csrf_token", &csrf)]).await;
    assert_eq!((r.status.as_u16(), r.location()), (303, url.as_str()), "{}", r.body);
    let page = sue.get(&url).await;
    page.assert_contains("will be tried again in a moment.");
    page.assert_contains("<span class=\"status status-queued\">Waiting</span>");
    let job = email_job::Entity::find_by_id(1).one(&app.db).await.unwrap().unwrap();
    assert_eq!(job.status, "queued");
    // Retrying again is refused in words, on the page.
    let again = sue.post(&format!("{url}/retry"), &[("csrf_token", &csrf)]).await;
    assert_eq!(again.status, 409);
    again.assert_contains("Only a failed effect can be tried again; this one is waiting.");

    let no_reason = sue.post(&format!("{url}/give-up"), &[("csrf_token", &csrf), ("reason", " ")]).await;
    assert_eq!(no_reason.status, 400);
    no_reason.assert_contains("Say why this effect is given up.");
    let r = sue
        .post(&format!("{url}/give-up"), &[("csrf_token", &csrf), ("reason", "Customer gave a new address")])
        .await;
    assert_eq!((r.status.as_u16(), r.location()), (303, url.as_str()));
    let page = sue.get(&url).await;
    page.assert_contains("<span class=\"status status-given_up\">Given up</span>");
    assert!(html_unescape(&page.body).contains("sue: Customer gave a new address"));
    page.assert_lacks(">Retry</button>");
    let job = email_job::Entity::find_by_id(1).one(&app.db).await.unwrap().unwrap();
    assert_eq!(job.status, "failed");

    let home = sue.get("/admin/").await;
    home.assert_contains(r#"<span class="q-label">Failed effects</span><span class="sr">: </span><strong class="q-count">0</strong>"#);
}

#[tokio::test]
async fn a_viewer_sees_the_record_s_effects_but_not_the_effects_pages_and_cannot_retry() {
    let app = TestApp::new(0).await;
    let id = bounced_welcome(&app).await;
    let mut vic = client_for(&app, "vic", "viewer").await;
    let home = vic.get("/admin/").await;
    home.assert_lacks("Failed effects");
    home.assert_lacks("No worker has been seen");
    home.assert_lacks(r#"<a href="/admin/effects/">"#);
    // The record's own page shows what happened to it, without links to the queue.
    let job = vic.get("/admin/email_job/1").await;
    job.assert_contains("Send the welcome email to bounce@acme-42-ltd.example");
    job.assert_lacks("href=\"/admin/effects/");
    assert_eq!(vic.get("/admin/effects/").await.status, 403);
    assert_eq!(vic.get(&format!("/admin/effects/{id}")).await.status, 403);
    let csrf = vic.csrf().await;
    let r = vic.post(&format!("/admin/effects/{id}/retry"), &[("csrf_token", &csrf)]).await;
    assert_eq!(r.status, 403);
    let e = admin_core::effect::get(&app.db, id).await.unwrap();
    assert_eq!(e.state, "failed");
}

#[tokio::test]
async fn a_runs_page_shows_the_effects_it_scheduled_and_where_they_stand() {
    let app = TestApp::new(0).await;
    bounced_welcome(&app).await;
    let run_id = admin_core::db::entities::action_run::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .max()
        .expect("the retry's run");
    let page = format!("/admin/account/actions/retry_welcome_email/runs/{run_id}");
    // Support holds effects.view: the run's page lists the mail, failed, with a link.
    let mut sue = client_for(&app, "sue", "support").await;
    let shown = sue.get(&page).await;
    assert_eq!(shown.status, 200, "{}", shown.body);
    shown.assert_contains("<h2 id=\"effects-heading\">Effects</h2>");
    assert!(html_unescape(&shown.body).contains("Send the welcome email to bounce@acme-42-ltd.example"));
    shown.assert_contains("status-failed");
    shown.assert_contains("href=\"/admin/effects/");
}
