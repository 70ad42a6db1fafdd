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
    /// The record's key (an import's new row: empty until it is created).
    pub object_id: String,
    /// `pending`, `done`, `skipped` or `failed`; an import's row not yet checked
    /// for the preview: `unchecked`.
    pub state: String,
    /// What the action said it did, or why it was skipped or failed.
    #[sea_orm(column_type = "Text", nullable)]
    pub note: Option<String>,
    /// The run (`admin_action_run.id`) of the chunk that did it.
    pub run_id: Option<i64>,
    /// An import's row: its line in the file (from 1, the header being line 1).
    pub line: Option<i64>,
    /// An import's row: its cells as read from the file, as a JSON array.
    #[sea_orm(column_type = "Text", nullable)]
    pub data: Option<String>,
    /// An import's row: `create` or `update`, as its check found it.
    pub op: Option<String>,
    /// An import's row: what it changes, as a JSON list of `[label, before, after]`.
    #[sea_orm(column_type = "Text", nullable)]
    pub diff: Option<String>,
    /// An import's row: the value of the column that matches it to a record, so a
    /// value twice in one file is caught.
    pub match_key: Option<String>,
}

/// No relations are navigated from job items.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
