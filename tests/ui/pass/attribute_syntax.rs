// Options split over several #[admin] attributes, trailing commas, raw identifiers,
// and sea_orm attributes of every shape next to them.

use opsadmin::AdminModel;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, AdminModel)]
#[sea_orm(schema_name = "public", table_name = "ledger_entry", comment = "money")]
#[admin(search(memo,),)]
#[admin(filters(posted_on), list_display(id, r#type, amount,))]
#[admin(readonly(amount))]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = true, column_name = "entry_id")]
    pub id: i64,
    #[sea_orm(column_type = "Decimal(Some((16, 4)))", default_value = 0)]
    pub amount: Decimal,
    #[sea_orm(column_type = "Text", nullable, indexed)]
    pub memo: Option<String>,
    #[sea_orm(unique)]
    pub r#type: String,
    pub posted_on: Option<::chrono::NaiveDate>,
    #[sea_orm(ignore)]
    #[admin(label = "Never shown")]
    pub cached_total: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

fn main() {
    let meta = <Model as AdminModel>::meta();
    assert_eq!(meta.label, "Ledger entry");
    assert_eq!(meta.label_plural, "Ledger entries");
    let names: Vec<&str> = meta.fields.iter().map(|f| f.name).collect();
    assert_eq!(names, ["id", "amount", "memo", "type", "posted_on"]);
    assert_eq!(meta.search, &[2]);
    assert_eq!(meta.filters, &[4]);
    assert_eq!(meta.list_display, &[0, 3, 1]);
    assert!(meta.fields[1].readonly && meta.fields[0].auto_increment);
    assert_eq!(meta.fields[4].kind, opsadmin::FieldKind::Date);
}
