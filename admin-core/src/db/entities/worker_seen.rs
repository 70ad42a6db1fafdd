use sea_orm::entity::prelude::*;

/// One worker process: each of its loops marks it seen, so the dashboard can say
/// when none is running.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "admin_worker")]
pub struct Model {
    /// The process's instance name (host and a random part), unique.
    #[sea_orm(primary_key, auto_increment = false)]
    pub instance: String,
    /// What it carries out (`effects and approvals`).
    pub name: String,
    /// When it was last seen (UTC).
    #[sea_orm(indexed)]
    pub seen_at: DateTime,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
