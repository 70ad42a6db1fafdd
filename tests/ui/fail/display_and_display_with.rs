use opsadmin::{AdminModel, ModelMeta, Record};
use sea_orm::entity::prelude::*;

fn name(record: &Record, _meta: &ModelMeta) -> String {
    record.key.clone()
}

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, AdminModel)]
#[sea_orm(table_name = "account")]
#[admin(display = "{company}", display_with = name)]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub company: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

fn main() {}
