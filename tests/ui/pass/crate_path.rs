// `#[admin(crate = "...")]` points the generated code at another path to
// `__private`, for code that re-exports opsadmin under its own name.

mod facade {
    pub use opsadmin::__private;
}

use opsadmin::{AdminChoices, AdminModel};
use sea_orm::entity::prelude::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq, AdminChoices)]
#[admin(crate = "crate::facade")]
pub enum Kind {
    Welcome,
    Receipt,
}

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, AdminModel)]
#[sea_orm(table_name = "batch")]
#[admin(crate = "crate::facade", search(r#type), filters(kind))]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub r#type: String,
    #[admin(choices = Kind)]
    pub kind: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

fn main() {
    let meta = <Model as AdminModel>::meta();
    assert_eq!(meta.label_plural, "Batches");
    assert_eq!(meta.fields[1].name, "type");
    assert_eq!(meta.fields[1].label, "Type");
    assert_eq!(meta.search, &[1]);
    assert_eq!(meta.filters, &[2]);
}
