//! Invoices (`invoice`): what each account was billed, and what became of it.

use opsadmin::{AdminChoices, AdminModel};
use sea_orm::entity::prelude::*;

/// The invoice's currency, stored as its ISO 4217 code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, AdminChoices)]
pub enum Currency {
    /// US dollars.
    #[admin(value = "USD", label = "USD")]
    Usd,
    /// Euros.
    #[admin(value = "EUR", label = "EUR")]
    Eur,
    /// Pounds sterling.
    #[admin(value = "GBP", label = "GBP")]
    Gbp,
}

/// Where an invoice is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, AdminChoices)]
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

as_str!(Currency, InvoiceStatus);

/// An invoice sent to an account.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, AdminModel)]
#[sea_orm(table_name = "invoice")]
#[admin(
    label = "Invoice",
    label_plural = "Invoices",
    display = "{number} for account {account_id}",
    list_display(id, number, account_id, amount_cents, currency, status, issued_at),
    search(number),
    filters(status, currency, account_id, issued_at),
    readonly(id),
    ordering = "-id",
    per_page = 100
)]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    #[admin(label = "ID")]
    pub id: i64,
    /// The billed account.
    #[admin(label = "Account", foreign_key = "account", help = "The account this invoice bills.")]
    pub account_id: i64,
    /// The invoice number the customer sees.
    #[sea_orm(unique)]
    #[admin(label = "Invoice number", help = "The number printed on the invoice, like INV-00001234.")]
    pub number: String,
    /// The amount in the currency's smallest unit (cents), shown as money.
    #[admin(
        label = "Amount",
        money(currency_field = "currency"),
        help = "In the invoice's currency, like 190.00. Stored in cents."
    )]
    pub amount_cents: i64,
    /// The currency code.
    #[admin(label = "Currency", choices = Currency, widget = "radio")]
    pub currency: String,
    /// Where the invoice is in its life.
    #[admin(label = "Status", choices = InvoiceStatus)]
    pub status: String,
    /// When the invoice was issued (UTC).
    #[admin(label = "Issued", help = "When the invoice was sent to the customer (UTC).")]
    pub issued_at: DateTime,
}

/// An invoice belongs to an account.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The billed account.
    #[sea_orm(
        belongs_to = "super::account::Entity",
        from = "Column::AccountId",
        to = "super::account::Column::Id"
    )]
    Account,
}

impl Related<super::account::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Account.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
