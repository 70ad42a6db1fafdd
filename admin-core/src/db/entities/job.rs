use sea_orm::entity::prelude::*;

/// One background job: an action run over a selection fixed when the job was made,
/// in chunks, by the job worker (schema version 10).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "admin_job")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// What the job does: `action` (an action over records), `import` (rows of a
    /// CSV file written as records) or `export` (a list written to a CSV file).
    pub kind: String,
    /// The model's slug.
    pub model: String,
    /// The action's name (`import` or `export` for those kinds).
    pub action: String,
    /// The action's input as the action reads it, as JSON; an import's file name,
    /// header, delimiter, column mapping and key; an export's columns.
    #[sea_orm(column_type = "Text")]
    pub input: String,
    /// Why, as the requester said it; every audit entry of the job carries it.
    #[sea_orm(column_type = "Text", nullable)]
    pub reason: Option<String>,
    /// The list query the selection was taken from (`plan=annual&q=…`), for people
    /// to read; the records themselves are the job's items.
    #[sea_orm(column_type = "Text", nullable)]
    pub query: Option<String>,
    /// Who asked for it (`admin_user.id`); the job runs as them.
    #[sea_orm(indexed)]
    pub requester_id: i64,
    /// Their username, as the job's page shows it.
    pub requester: String,
    /// `awaiting_approval`, `queued`, `running`, `paused`, `done`, `failed`,
    /// `cancelled` or `rejected`.
    #[sea_orm(indexed)]
    pub state: String,
    /// Records in the job (an import's rows; an export's rows when it began).
    pub total: i64,
    /// An import's rows checked for its preview so far.
    pub checked: i64,
    /// An export's position: the key of the last record written.
    #[sea_orm(column_type = "Text", nullable)]
    pub cursor: Option<String>,
    /// Records the action did.
    pub done: i64,
    /// Records left alone, with the reason on their item.
    pub skipped: i64,
    /// Records whose run failed, with the error on their item.
    pub failed: i64,
    /// Records per chunk: one transaction each.
    pub chunk_size: i32,
    /// The requester's idempotency key, if the request carried one.
    pub idempotency_key: Option<String>,
    /// What the key was used for (see `action::idempotency`).
    pub fingerprint: Option<String>,
    /// The worker instance that ran its latest chunk. A chunk is claimed by its own
    /// transaction: the job's row stays locked until the chunk commits or rolls
    /// back, so a killed worker gives it back at once.
    pub worker: Option<String>,
    /// Who approved it, when it needed approval.
    pub approved_by: Option<String>,
    /// Failed tries of the current chunk in a row.
    pub attempts: i32,
    /// Not to be taken again before this time (UTC), after a failed chunk.
    pub next_attempt_at: Option<DateTime>,
    /// The last failure, in words.
    #[sea_orm(column_type = "Text", nullable)]
    pub last_error: Option<String>,
    /// Who last paused, resumed, cancelled, approved or rejected it.
    pub state_by: Option<String>,
    /// Why (their reason or note).
    #[sea_orm(column_type = "Text", nullable)]
    pub state_reason: Option<String>,
    /// When it was asked for (UTC).
    pub created_at: DateTime,
    /// When a worker first took it (UTC).
    pub started_at: Option<DateTime>,
    /// When its last chunk committed or its state last changed (UTC).
    pub updated_at: DateTime,
    /// When it was done, failed, cancelled or rejected (UTC).
    pub finished_at: Option<DateTime>,
}

/// No relations are navigated from jobs.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
