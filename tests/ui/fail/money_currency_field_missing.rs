use opsadmin::AdminModel;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, AdminModel)]
#[sea_orm(table_name = "invoice")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[admin(money(currency_field = "currncy"))]
    pub amount_cents: i64,
    pub currency: String,
    #[admin(money(currency_field = "id"))]
    pub tax_cents: i64,
    #[admin(money(currency = "euro"))]
    pub fee_cents: i64,
    #[admin(money(currency = "EUR"))]
    pub note: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

fn main() {}
