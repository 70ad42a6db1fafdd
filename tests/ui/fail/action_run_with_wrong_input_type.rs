// `type Input` says one thing, `run` takes another.

use opsadmin::action::{Action, NoInput, Outcome, RunContext};
use opsadmin::{ActionInput, AdminModel};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, AdminModel)]
#[sea_orm(table_name = "account")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub locked: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

#[derive(ActionInput)]
pub struct LockInput {
    pub note: Option<String>,
}

#[derive(Default)]
pub struct LockAccount;

impl Action for LockAccount {
    type Model = Model;
    type Input = LockInput;
    const NAME: &'static str = "lock_account";
    const LABEL: &'static str = "Lock account";

    async fn run(&self, _: &RunContext<'_>, _: Model, _: &NoInput) -> opsadmin::Result<Outcome> {
        Ok(Outcome::Done("locked".into()))
    }
}

opsadmin::register_action!(LockAccount);

fn main() {}
