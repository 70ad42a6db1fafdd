use opsadmin::AdminModel;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, AdminModel)]
#[sea_orm(table_name = "account")]
#[admin(search = "email", list_display(), filters("manual_review"))]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[admin(label = "")]
    pub email: String,
    pub manual_review: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

fn main() {}
