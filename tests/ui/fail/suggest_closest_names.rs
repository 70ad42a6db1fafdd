use opsadmin::{ActionInput, AdminModel};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, AdminModel)]
#[sea_orm(table_name = "account")]
#[admin(serch(email), ordering = "-created", listDisplay(id, email), filters(manual))]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[admin(hlep = "Receipts go here.", readonly_fr(viewer))]
    pub email: String,
    pub manual_review: bool,
    pub created_at: DateTime,
    #[admin(money(currency_feild = "curency"))]
    pub amount_cents: i64,
    pub currency: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

#[derive(ActionInput)]
pub struct LockInput {
    #[admin(lable = "Why?", foreign_kye = "account")]
    pub note: Option<String>,
}

fn main() {}
