//! Support marks every one of 520 matching accounts for review: more than one run
//! takes, so the confirmation offers a background job; the job's page follows it
//! as the worker runs its chunks, without a reload by hand, and says when it is
//! finished. Without JavaScript the page still reloads itself while the job runs.

use ops_console::models::account;
use opsadmin::Service;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use super::browser::tools;
use super::fixture::{PASSWORD, Served};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn support_runs_all_matching_as_a_job_and_watches_it_finish() {
    let Some(tools) = tools() else { return };
    let served = Served::fixture(520).await;
    served.user("sue", "support").await;
    let db = served.app.db.clone();
    let b = served.browser(&tools).await;
    b.sign_in("sue", PASSWORD).await;

    b.goto("/admin/account/?q=hooli").await;
    b.click("label.select-all input").await;
    b.click_button("Mark for manual review…").await;
    b.wait_text("All 520 accounts are more than one run takes").await;
    b.sees("Below are the checks for the first 500 accounts.").await;
    b.screen("job-offer").await;
    b.click_button("Start a background job: Mark for manual review (520 accounts)").await;

    // The job's page, before any worker has taken it.
    b.wait_path_contains("/admin/jobs/").await;
    b.find("p.flash").await;
    b.sees("Waiting to start").await;
    b.sees("0 of 520").await;
    assert!(b.has("progress[data-job='percent']").await);
    b.accessible("job page").await;

    // A worker runs it; the page follows without anyone reloading it.
    let worker = served.job_worker();
    b.wait_text("Finished").await;
    worker.await.unwrap();
    b.sees("520 of 520").await;
    assert_eq!(b.text_of("[data-job='done']").await, "520");
    b.screen("job-finished").await;
    let marked = account::Entity::find()
        .filter(account::Column::ManualReview.eq(true))
        .filter(account::Column::Company.contains("Hooli"))
        .count(&db)
        .await
        .unwrap();
    assert_eq!(marked, 520);
    // Without JavaScript, an unfinished job's page reloads itself.
    let door = Service::new(db.clone(), ops_console::registry()).with_roles(ops_console::roles::roles());
    let sue = door.local("sue").await.unwrap();
    let request = opsadmin::job::JobRequest {
        query: Some("q=acme".into()),
        input: serde_json::json!({}),
        ..Default::default()
    };
    let waiting = door.start_job(&sue, "account", "mark_for_manual_review", &request).await.unwrap();
    let plain = served.browser_without_script(&tools).await;
    plain.sign_in("sue", PASSWORD).await;
    plain.goto(&format!("/admin/jobs/{}", waiting.id)).await;
    plain.sees("Waiting to start").await;
    assert!(plain.has("meta[http-equiv='refresh']").await, "a reload every few seconds");
    plain.goto("/admin/jobs/").await;
    plain.sees("Finished").await;
    plain.close().await;
    b.close().await;
}
