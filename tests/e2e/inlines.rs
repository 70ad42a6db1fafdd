//! A staff member edits an account's email jobs in the account's own form: a bad
//! value comes back on its cell with everything typed kept, then one save changes
//! the account, a job, adds a job and deletes none it was not told to.

use ops_console::models::{account, email_job};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

use super::browser::tools;
use super::fixture::{PASSWORD, Served};
use crate::web::support::ALICE;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn email_jobs_are_edited_and_added_on_the_accounts_page_in_one_save() {
    let Some(tools) = tools() else { return };
    let served = Served::fixture(0).await;
    served.user("ada", "admin").await;
    let b = served.browser(&tools).await;
    b.sign_in("ada", PASSWORD).await;
    b.goto(&format!("/admin/account/{ALICE}")).await;
    let table = b.text_of("#inline-email_job").await;
    assert!(table.contains("Email jobs") && table.contains("Failed"), "{table}");

    b.fill("#id_company", "Acme 42 Holding").await;
    b.fill("#id_email_job-0-attempts", "lots").await;
    let pick = "document.getElementById(arguments[0]).value = arguments[1];";
    b.js(pick, vec![json!("id_email_job-1-kind"), json!("receipt")]).await;
    b.js(pick, vec![json!("id_email_job-1-status"), json!("queued")]).await;
    b.fill("#id_email_job-1-attempts", "0").await;
    b.click_button("Save and keep editing").await;
    let error = b.text_of("#id_email_job-0-attempts_error").await;
    assert!(!error.is_empty(), "the bad cell says what is wrong");
    assert_eq!(b.value("#id_company").await, "Acme 42 Holding", "the form is kept");
    assert_eq!(b.value("#id_email_job-1-kind").await, "receipt", "the new row is kept");
    b.screen("inline-error").await;

    b.fill("#id_email_job-0-attempts", "4").await;
    b.click_button("Save and keep editing").await;
    b.find("p.flash").await;
    b.sees("saved").await;
    b.screen("inline-saved").await;

    let db = &served.app.db;
    let acc = account::Entity::find_by_id(ALICE).one(db).await.unwrap().unwrap();
    assert_eq!(acc.company, "Acme 42 Holding");
    let jobs =
        email_job::Entity::find().filter(email_job::Column::AccountId.eq(ALICE)).all(db).await.unwrap();
    assert_eq!(jobs.len(), 2, "{jobs:?}");
    assert!(jobs.iter().any(|j| j.id == 1 && j.attempts == 4));
    assert!(jobs.iter().any(|j| j.kind == "receipt" && j.status == "queued"));
    // The saved page shows both rows in the table.
    assert_eq!(b.all("#inline-email_job tbody tr:not(.inline-extra)").await.len(), 2);
    b.close().await;
}
