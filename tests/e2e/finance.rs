//! A refund asked for by one finance person and approved by another.

use ops_console::models::invoice;
use sea_orm::EntityTrait;

use super::browser::tools;
use super::fixture::{PASSWORD, Served};
use crate::web::support;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refund_waits_for_a_second_finance_person_then_shows_refunded_with_both_in_history() {
    let Some(tools) = tools() else { return };
    let served = Served::fixture(0).await;
    served.user("fay", "finance").await;
    served.user("fin", "finance").await;
    let status =
        || async { invoice::Entity::find_by_id(1).one(&served.app.db).await.unwrap().unwrap().status };
    let b = served.browser(&tools).await;

    // Fay asks for the refund of the paid invoice 1.
    b.sign_in("fay", PASSWORD).await;
    b.click_link_in("nav.models", "Invoices").await;
    b.wait_path_contains("/admin/invoice/").await;
    b.click("input[name='ids'][value='1']").await;
    b.click_button("Refund invoice…").await;
    b.find("form.action-form").await;
    b.sees("This action needs a second person's approval before it runs.").await;
    b.accessible("refund confirmation").await;
    b.fill("#id_reason", "Charged twice, ticket 77").await;
    b.click("form.action-form .submit-row button[type='submit']").await;
    // The request's own page, with a notice.
    b.wait_path_contains("/admin/approvals/").await;
    b.wait_text("was sent for approval").await;
    b.sees("waits for someone else to approve it. Nothing has changed yet.").await;
    assert_eq!(status().await, "paid");
    b.sees("You asked for this, so someone else must approve or reject it.").await;
    assert!(!b.has("form[action$='/approve']").await, "no approve button for the requester");
    b.sign_out().await;

    // Fin finds it in the approval queue and approves it.
    b.sign_in("fin", PASSWORD).await;
    b.click_link_in("nav.models", "Approvals").await;
    b.wait_path_contains("/admin/approvals").await;
    let row = b.text_of("table.results tbody tr").await;
    assert!(
        row.contains("Refund invoice") && row.contains("fay") && row.contains("Waiting for approval"),
        "{row}"
    );
    b.screen("approvals").await;
    b.click_link_in("table.results tbody tr", "decide").await;
    b.wait_path_contains("/admin/approvals/").await;
    b.sees("Charged twice, ticket 77").await;
    b.accessible("approval request").await;
    b.fill("#id_approve_note", "Checked the bank statement").await;
    b.click("form[action$='/approve'] button[type='submit']").await;
    // The approval is saved; the worker (here run in the test) refunds.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while status().await != "refunded" {
        assert!(std::time::Instant::now() < deadline, "the approved refund never ran");
        served.run_worker().await;
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    // The invoice shows refunded; its history names both people.
    b.goto("/admin/invoice/1").await;
    assert_eq!(b.shown("id_status").await, "Refunded");
    b.click_link_in("form.record .submit-row", "History").await;
    b.wait_path_contains("/history").await;
    let entries = b.text_of("main").await;
    assert!(entries.contains("by fay"), "the requester:\n{entries}");
    assert!(entries.contains("Charged twice, ticket 77 (approved by fin)"), "the approver:\n{entries}");
    b.screen("history").await;
    b.sign_out().await;

    // The audit log, as an admin.
    b.sign_in(support::USER, support::PASSWORD).await;
    b.click_link_in("nav.models", "Audit log").await;
    b.wait_path_contains("/admin/audit").await;
    assert_eq!(b.text_of("h1").await, "Audit log");
    b.sees("by fin").await;
    b.sees("by fay").await;
    b.screen("audit").await;
    b.close().await;
}
