//! The record form in a browser: the account page in titled sections, an invoice's
//! currency chosen by radio button beside its amount, and a company name cleared
//! and saved empty.

use ops_console::models::{account, invoice};
use sea_orm::EntityTrait;

use super::browser::tools;
use super::fixture::{PASSWORD, Served};
use crate::web::support::ALICE;

/// The section titles of the record form, in order.
const LEGENDS: &str = r#"
return [...document.querySelectorAll("form.record fieldset.section legend")].map((e) => e.textContent.trim());
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_fill_a_sectioned_form_choose_by_radio_and_save_a_blank_company() {
    let Some(tools) = tools() else { return };
    let served = Served::fixture(0).await;
    served.user("ada", "admin").await;
    let b = served.browser(&tools).await;
    b.sign_in("ada", PASSWORD).await;

    // The account page: Customer, Billing, Flags; the company may be cleared.
    b.goto(&format!("/admin/account/{ALICE}")).await;
    assert_eq!(b.js(LEGENDS, vec![]).await, serde_json::json!(["Customer", "Billing", "Flags"]));
    b.sees("Who the customer is and how we reach them.").await;
    b.screen("account-form").await;
    b.fill("#id_company", "").await;
    b.click_button("Save").await;
    b.find("p.flash").await;
    b.sees("saved").await;
    let alice = account::Entity::find_by_id(ALICE).one(&served.app.db).await.unwrap().unwrap();
    assert_eq!(alice.company, "");

    // An invoice: the currency is a radio group, shown beside the amount.
    b.goto("/admin/invoice/1").await;
    assert_eq!(b.text_of("#id_amount_cents_currency").await, "USD");
    assert!(b.has("input[type='radio'][name='currency'][value='USD']:checked").await);
    b.screen("invoice-form").await;
    b.click("input[type='radio'][name='currency'][value='EUR']").await;
    b.click_button("Save").await;
    b.find("p.flash").await;
    let inv = invoice::Entity::find_by_id(1).one(&served.app.db).await.unwrap().unwrap();
    assert_eq!(inv.currency, "EUR");
    b.goto("/admin/invoice/1").await;
    assert_eq!(b.text_of("#id_amount_cents_currency").await, "EUR");
    b.close().await;
}
