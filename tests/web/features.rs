//! Dashboard queues, global search, internal notes and saved views.

use admin_core::audit::entry;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::support::{ALICE, TestApp, client_for};

#[tokio::test]
async fn the_dashboard_shows_work_queues_with_counts_linked_to_the_filtered_list() {
    let app = TestApp::new(0).await;
    let mut c = app.signed_in().await;
    let r = c.get("/admin/").await;
    // Bob is in manual review; Alice failed her first charge; one welcome email failed.
    r.assert_contains("<a href=\"/admin/account/?manual_review=1\" class=\"queue\"><span class=\"q-label\">Accounts in manual review</span><span class=\"sr\">: </span><strong class=\"q-count\">1</strong></a>");
    r.assert_contains(
        "Failed first charges</span><span class=\"sr\">: </span><strong class=\"q-count\">1</strong>",
    );
    r.assert_contains(
        "Failed email jobs</span><span class=\"sr\">: </span><strong class=\"q-count\">1</strong>",
    );
    r.assert_contains(
        "Disputed invoices</span><span class=\"sr\">: </span><strong class=\"q-count\">0</strong>",
    );
    // Queues of models a user may not view are not shown.
    let mut finance = client_for(&app, "fay", "finance").await;
    let r = finance.get("/admin/").await;
    r.assert_lacks("Accounts in manual review");
    r.assert_contains("Disputed invoices");
}

#[tokio::test]
async fn global_search_finds_records_across_models_the_user_may_view() {
    let app = TestApp::new(0).await;
    let mut c = app.signed_in().await;
    let r = c.get("/admin/search?q=acme-42").await;
    assert_eq!(r.status, 200);
    r.assert_contains("Accounts <span class=\"muted\">(2)</span>");
    r.assert_contains("href=\"/admin/account/1\"");
    r.assert_contains("href=\"/admin/account/?q=acme-42\"");
    let r = c.get("/admin/search?q=INV-00000002").await;
    r.assert_contains("Invoices <span class=\"muted\">(1)</span>");
    let r = c.get("/admin/search?q=zzz-nothing").await;
    r.assert_contains("Nothing matches");
    let mut finance = client_for(&app, "fay", "finance").await;
    let r = finance.get("/admin/search?q=acme").await;
    r.assert_lacks("Accounts <span");
}

#[tokio::test]
async fn staff_leave_notes_on_records_and_notes_are_audited() {
    let app = TestApp::new(0).await;
    let mut sue = client_for(&app, "sue", "support").await;
    let page = sue.get(&format!("/admin/account/{ALICE}")).await;
    page.assert_contains("No notes yet.");
    let csrf = page.input_value("csrf_token").unwrap();
    let r = sue
        .post(
            &format!("/admin/account/{ALICE}/notes"),
            &[
                ("csrf_token", &csrf),
                ("body", "Called her: the bank blocked the charge. <b>Retry Monday</b>"),
            ],
        )
        .await;
    assert_eq!(r.status, 303);
    let page = sue.get(&format!("/admin/account/{ALICE}")).await;
    page.assert_contains("Note added.");
    page.assert_contains("Called her: the bank blocked the charge. &lt;b&gt;Retry Monday&lt;/b&gt;");
    page.assert_contains("<strong>sue</strong>");
    let e = entry::Entity::find().filter(entry::Column::Kind.eq("note")).one(&app.db).await.unwrap().unwrap();
    assert_eq!((e.actor.as_str(), e.object_id.as_deref()), ("sue", Some("1")));
    // A viewer may read notes but not add them; an empty note is refused.
    let mut vic = client_for(&app, "vic", "viewer").await;
    let page = vic.get(&format!("/admin/account/{ALICE}")).await;
    page.assert_contains("Retry Monday");
    page.assert_lacks("Leave a note for the next person");
    let vcsrf = page.input_value("csrf_token").unwrap();
    let r =
        vic.post(&format!("/admin/account/{ALICE}/notes"), &[("csrf_token", &vcsrf), ("body", "hi")]).await;
    assert_eq!(r.status, 403);
    sue.post(&format!("/admin/account/{ALICE}/notes"), &[("csrf_token", &csrf), ("body", "   ")]).await;
    sue.get(&format!("/admin/account/{ALICE}"))
        .await
        .assert_contains("The note was not added: Write something first.");
    let r = sue.post(&format!("/admin/account/{ALICE}/notes"), &[("body", "no token")]).await;
    assert_eq!(r.status, 403);
}

#[tokio::test]
async fn users_save_list_views_and_find_them_on_the_dashboard() {
    let app = TestApp::new(0).await;
    let mut c = app.signed_in().await;
    let list =
        c.get("/admin/account/?plan=trial&billing_state=failed_first_charge&sort=-signup_at&page=1").await;
    let csrf = list.input_value("csrf_token").unwrap();
    let query = list.input_value("query").unwrap();
    assert_eq!(query, "plan=trial&billing_state=failed_first_charge&sort=-signup_at");
    let r = c
        .post(
            "/admin/account/views",
            &[("csrf_token", &csrf), ("query", &query), ("name", "Trials, failed first charge")],
        )
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(r.location(), "/admin/account/?plan=trial&billing_state=failed_first_charge&sort=-signup_at");
    let dash = c.get("/admin/").await;
    dash.assert_contains("<a href=\"/admin/account/?plan=trial&amp;billing_state=failed_first_charge&amp;sort=-signup_at\">Trials, failed first charge</a>");
    // Views are per user.
    let mut other = client_for(&app, "vic", "viewer").await;
    other.get("/admin/").await.assert_lacks("Trials, failed first charge");
    // And can be deleted by their owner only.
    let views = admin_core::notes::views_of(
        &app.db,
        admin_core::auth::staff_by_name(&app.db, &ops_console::roles::roles(), "staff").await.unwrap().id,
    )
    .await
    .unwrap();
    let id = views[0].id;
    let ocsrf = other.csrf().await;
    assert_eq!(other.post(&format!("/admin/views/{id}/delete"), &[("csrf_token", &ocsrf)]).await.status, 404);
    assert_eq!(c.post(&format!("/admin/views/{id}/delete"), &[("csrf_token", &csrf)]).await.status, 303);
    c.get("/admin/").await.assert_lacks("Trials, failed first charge");
}
