//! Support loads a spreadsheet of corrected company names: the upload, the
//! columns matched by name, the preview with the change field by field and the
//! row with a problem by its line, then the import confirmed and written by the
//! worker while the page follows it.

use ops_console::models::account;
use sea_orm::EntityTrait;

use super::browser::tools;
use super::fixture::{PASSWORD, Served};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn support_imports_corrected_company_names_after_seeing_the_preview() {
    let Some(tools) = tools() else { return };
    let served = Served::fixture(5).await;
    served.user("sue", "support").await;
    let db = served.app.db.clone();
    let file = std::env::temp_dir().join(format!("opsadmin-e2e-import-{}.csv", std::process::id()));
    std::fs::write(
        &file,
        "\u{feff}Email;Company\r\nuser4@hooli-4-llc.example;Hooli Four LLC\r\nnobody@nowhere.example;Ghost Inc\r\n",
    )
    .unwrap();
    let b = served.browser(&tools).await;
    b.sign_in("sue", PASSWORD).await;
    b.goto("/admin/account/").await;
    b.click_link_in(".tools", "Import CSV").await;
    b.wait_text("Import Accounts from a CSV file").await;
    b.find("#id_file").await.send_keys(&file.display().to_string()).await.unwrap();
    b.fill("#id_reason", "Corrected names from the customer survey").await;
    b.click_button("Upload and match columns").await;

    // The columns, matched by their names.
    b.wait_text("Columns to match").await;
    assert_eq!(b.value("#id_col_0").await, "email");
    assert_eq!(b.value("#id_col_1").await, "company");
    assert_eq!(b.value("#id_key").await, "email");
    b.accessible("import columns").await;
    b.click_button("Check the rows").await;

    // The preview: the change field by field, the row with a problem by its line.
    b.wait_text("Ready to import").await;
    b.sees("Hooli 4 LLC").await;
    b.sees("Hooli Four LLC").await;
    b.sees("you cannot add accounts").await;
    assert!(b.has("a[href$='/failed.csv']").await);
    b.screen("import-preview").await;
    b.accessible("import preview").await;
    assert_eq!(account::Entity::find_by_id(4).one(&db).await.unwrap().unwrap().company, "Hooli 4 LLC");

    // Confirmed, the worker writes it and the page follows.
    b.click_button("Import: add 0, change 1").await;
    b.find("p.flash").await;
    let worker = served.job_worker();
    b.wait_text("Finished").await;
    worker.await.unwrap();
    assert_eq!(account::Entity::find_by_id(4).one(&db).await.unwrap().unwrap().company, "Hooli Four LLC");
    b.screen("import-finished").await;
    b.close().await;
    let _ = std::fs::remove_file(&file);
}
