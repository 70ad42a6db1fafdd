use opsadmin::AdminModel;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, AdminModel)]
#[sea_orm(table_name = "account")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[admin(hidden_for(viewer, "support-lead", 42, viewer))]
    pub email: String,
    #[admin(readonly_for = "support")]
    pub company: Option<String>,
    #[admin(readonly_for(""))]
    pub plan: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

fn main() {}
