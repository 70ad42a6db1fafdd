use opsadmin::AdminModel;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, AdminModel)]
#[sea_orm(table_name = "account")]
#[admin(
    list_display(id, email, company, billing_state),
    readonly(billing_state),
    list_editable(id, billing_state, company)
)]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub email: String,
    pub company: Option<String>,
    pub billing_state: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

fn main() {}
