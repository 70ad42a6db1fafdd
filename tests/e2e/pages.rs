//! Finance opens the "Billing health" page from the nav and from its dashboard tile:
//! it is a screen of the console like the others (layout, nav, no accessibility
//! problems), and support, who lack its permission, find no way to it.

use super::browser::tools;
use super::fixture::{PASSWORD, Served};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finance_opens_billing_health_from_the_nav_and_the_tile_and_support_sees_neither() {
    let Some(tools) = tools() else { return };
    let served = Served::fixture(0).await;
    served.user("fiona", "finance").await;
    served.user("sam", "support").await;
    let b = served.browser(&tools).await;
    b.sign_in("fiona", PASSWORD).await;

    b.sees("Invoices waiting for payment").await;
    b.screen("dashboard-tiles").await;
    b.click_link_in("nav.models", "Billing health").await;
    b.wait_path_contains("/admin/pages/reports/billing-health").await;
    assert_eq!(b.text_of("h1").await, "Billing health");
    b.sees("Invoices by status").await;
    b.screen("custom-page").await;

    b.goto("/admin/").await;
    b.click("a.queue[href$='/pages/reports/billing-health']").await;
    b.wait_path_contains("/admin/pages/reports/billing-health").await;
    b.sign_out().await;

    b.sign_in("sam", PASSWORD).await;
    b.does_not_see("Billing health").await;
    b.does_not_see("Invoices waiting for payment").await;
    b.goto("/admin/pages/reports/billing-health").await;
    assert_eq!(b.text_of("h1").await, "Not allowed");
    b.sees("Ask someone with the finance role.").await;
    b.close().await;
}
