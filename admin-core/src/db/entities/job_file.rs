use sea_orm::entity::prelude::*;

/// One part of the file an export job writes, in order (schema version 10): the
/// header first, then one part per chunk. The download sends them one after the
/// other, so neither the worker nor the download holds the whole file.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "admin_job_file")]
pub struct Model {
    /// The job (`admin_job.id`).
    #[sea_orm(primary_key, auto_increment = false)]
    pub job_id: i64,
    /// The part's place in the file, from 0.
    #[sea_orm(primary_key, auto_increment = false)]
    pub seq: i64,
    /// The part's CSV lines.
    #[sea_orm(column_type = "Text")]
    pub data: String,
}

/// No relations are navigated from file parts.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
