use opsadmin::{AdminChoices, AdminModel};
use sea_orm::entity::prelude::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq, AdminChoices)]
pub enum Plan {
    Free,
    Paid,
}

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, AdminModel)]
#[sea_orm(table_name = "account")]

pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    
    pub email: String,
    #[admin(choices = Plan, widget = "radios")]
    pub plan: String,
    
    pub company: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

fn main() {}
