//! The plugin's view of the application's `invoice` table: the same columns, in the
//! same order, with just enough admin metadata for its actions.

use admin_derive::{AdminChoices, AdminModel};
use sea_orm::entity::prelude::*;

/// Where an invoice is in its life, as the `status` column stores it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, AdminChoices)]
#[admin(crate = "::admin_core")]
pub enum InvoiceStatus {
    /// Being prepared; the customer has not seen it.
    Draft,
    /// Sent and waiting for payment.
    Open,
    /// Paid in full.
    Paid,
    /// The customer disputed the charge with their bank.
    Disputed,
    /// The money went back to the customer.
    Refunded,
    /// Cancelled before payment; nothing is owed.
    Void,
}

impl InvoiceStatus {
    /// The value stored in the database for this status.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        <Self as admin_core::AdminChoices>::CHOICES[self as usize].value
    }
}

/// An invoice, as the billing actions see it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, AdminModel)]
#[sea_orm(table_name = "invoice")]
#[admin(
    crate = "::admin_core",
    label = "Invoice",
    label_plural = "Invoices",
    list_display(id, number, account_id, amount_cents, currency, status),
    readonly(id)
)]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    #[admin(label = "ID")]
    pub id: i64,
    /// The billed account.
    #[admin(label = "Account", foreign_key = "account")]
    pub account_id: i64,
    /// The invoice number the customer sees (`INV-00001234`).
    #[sea_orm(unique)]
    #[admin(label = "Invoice number")]
    pub number: String,
    /// The amount in the currency's smallest unit (cents), shown as money.
    #[admin(label = "Amount", money(currency_field = "currency"))]
    pub amount_cents: i64,
    /// The currency code.
    #[admin(label = "Currency")]
    pub currency: String,
    /// Where the invoice is in its life.
    #[admin(label = "Status", choices = InvoiceStatus)]
    pub status: String,
    /// When the invoice was issued (UTC).
    #[admin(label = "Issued")]
    pub issued_at: DateTime,
}

/// No relations are navigated from the plugin's model.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
