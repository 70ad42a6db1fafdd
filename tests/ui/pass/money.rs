//! Money fields: minor units shown with the currency of another field or a fixed one.
use opsadmin::{AdminModel, Cell, FieldMeta};
use opsadmin::__private::MoneyCurrency;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, AdminModel)]
#[sea_orm(table_name = "invoice")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[admin(money(currency_field = "currency"))]
    pub amount_cents: i64,
    pub currency: String,
    #[admin(money(currency = "JPY"))]
    pub fee_yen: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

fn main() {
    let meta = <Model as AdminModel>::meta();
    let field = |n: &str| -> &FieldMeta { meta.field(n).unwrap().1 };
    assert_eq!(field("amount_cents").money, Some(MoneyCurrency::Field("currency")));
    assert_eq!(field("fee_yen").money, Some(MoneyCurrency::Fixed("JPY")));
    assert_eq!(field("currency").money, None);
    let m = Model { id: 1, amount_cents: 19_000, currency: "EUR".into(), fee_yen: Some(500) };
    let amount = m.cell(1);
    assert_eq!(amount.display(), "€190.00");
    assert_eq!(amount.form_value(), "190.00");
    assert_eq!(amount.export_text(), "190.00");
    assert_eq!(m.cell(3).display(), "¥500");
    let none = Model { fee_yen: None, ..m };
    assert_eq!(none.cell(3), Cell::Null);
    // The column keeps minor units: the derive's parser reads them as the integer.
    assert_eq!(Model::parse_value(1, "19000"), Ok(sea_orm::Value::BigInt(Some(19_000))));
}
