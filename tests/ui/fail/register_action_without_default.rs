// An action is built by `register_action!` with `Default::default()`.

use opsadmin::AdminModel;
use opsadmin::action::{Action, NoInput, Outcome, RunContext};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, AdminModel)]
#[sea_orm(table_name = "account")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

pub struct MarkForReview {
    pub note: String,
}

impl Action for MarkForReview {
    type Model = Model;
    type Input = NoInput;
    const NAME: &'static str = "mark_for_review";
    const LABEL: &'static str = "Mark for review";

    async fn run(&self, _: &RunContext<'_>, _: Model, _: &NoInput) -> opsadmin::Result<Outcome> {
        Ok(Outcome::Done(self.note.clone()))
    }
}

opsadmin::register_action!(MarkForReview);

fn main() {}
