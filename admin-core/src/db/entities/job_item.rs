use sea_orm::entity::prelude::*;

/// One record of a background job, in the order it was selected (schema version 10).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "admin_job_item")]
pub struct Model {
    /// The job (`admin_job.id`).
    #[sea_orm(primary_key, auto_increment = false)]
    pub job_id: i64,
    /// Its place in the selection, from 0.
    #[sea_orm(primary_key, auto_increment = false)]
    pub seq: i64,
    /// The record's key.
    pub object_id: String,
    /// `pending`, `done`, `skipped` or `failed`.
    pub state: String,
    /// What the action said it did, or why it was skipped or failed.
    #[sea_orm(column_type = "Text", nullable)]
    pub note: Option<String>,
    /// The run (`admin_action_run.id`) of the chunk that did it.
    pub run_id: Option<i64>,
}

/// No relations are navigated from job items.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
