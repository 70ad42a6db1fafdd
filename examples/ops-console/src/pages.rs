//! The console's own page and tiles: "Billing health" (how many invoices are in
//! each status and, for staff who may view accounts, how many accounts are in each
//! billing state), for finance and admins, and a dashboard tile counting the
//! invoices still waiting for payment. Every count goes through the door with the
//! signed-in caller, so it respects what that person may see.

use opsadmin::pages::{Page, PageContent, PageRequest, Tile, Visit};
use opsadmin::{AdminChoices, Caller, Service};
use serde::Serialize;

use crate::models::{account, invoice};

/// The permission of the billing health page and its tile (finance and admins).
pub const BILLING_HEALTH: &str = "reports.billing_health";

/// Where the page is, as registered (the admin serves it at `/admin/pages/reports/billing-health`).
pub const BILLING_HEALTH_PATH: &str = "/reports/billing-health";

/// The template the page renders (registered by [`crate::admin_state`]).
pub const BILLING_HEALTH_TEMPLATE: &str = "ops/billing_health.html";

/// The template's source.
pub const BILLING_HEALTH_SOURCE: &str = include_str!("../templates/ops/billing_health.html");

/// Counts no further than this (the page says "10,000+" beyond).
const CAP: u64 = 10_000;

/// The "Billing health" page, under "Reports" in the nav.
pub fn billing_health() -> Page {
    Page::new(BILLING_HEALTH_PATH, "Billing health")
        .section("Reports")
        .permission(BILLING_HEALTH)
        .handler(show_billing_health)
}

/// The console's dashboard tiles beyond the work queues.
pub fn tiles() -> Vec<Tile> {
    vec![
        Tile::counted("Invoices waiting for payment", waiting_for_payment)
            .section("Billing")
            .permission(BILLING_HEALTH)
            .link(format!("/pages{BILLING_HEALTH_PATH}")),
    ]
}

/// One line of a count table: a state's label, its count and the filtered list
/// (a path inside the admin).
#[derive(Serialize)]
struct Line {
    label: &'static str,
    count: String,
    url: String,
}

/// Counts `slug`'s records in each of `choices` of `field`, through the door;
/// `None` when the caller may not view the model.
async fn per_choice(
    service: &Service,
    caller: &Caller,
    slug: &str,
    field: &str,
    choices: &[opsadmin::Choice],
) -> opsadmin::Result<Option<Vec<Line>>> {
    if !service.may(caller, slug, "view") {
        return Ok(None);
    }
    let mut lines = Vec::new();
    for choice in choices {
        let pairs = [(field.to_owned(), choice.value.to_owned())];
        let query = service.query(caller, slug, &pairs)?;
        let n = service.count(caller, slug, &query, CAP + 1).await?;
        let count = if n > CAP { "10,000+".to_owned() } else { n.to_string() };
        lines.push(Line { label: choice.label, count, url: format!("/{slug}/?{field}={}", choice.value) });
    }
    Ok(Some(lines))
}

async fn show_billing_health(req: PageRequest) -> opsadmin::Result<PageContent> {
    let (service, caller) = (req.service(), req.caller());
    let invoices =
        per_choice(&service, &caller, "invoice", "status", invoice::InvoiceStatus::CHOICES).await?;
    let accounts =
        per_choice(&service, &caller, "account", "billing_state", account::BillingState::CHOICES).await?;
    PageContent::template(
        BILLING_HEALTH_TEMPLATE,
        serde_json::json!({ "invoices": invoices, "accounts": accounts }),
    )
}

/// Open and disputed invoices, counted through the door for the visiting caller.
async fn waiting_for_payment(visit: Visit) -> opsadmin::Result<u64> {
    let (service, caller) = (visit.service(), visit.caller());
    let mut total = 0;
    for status in ["open", "disputed"] {
        let query = service.query(&caller, "invoice", &[("status".to_owned(), status.to_owned())])?;
        total += service.count(&caller, "invoice", &query, CAP + 1).await?;
    }
    Ok(total)
}
