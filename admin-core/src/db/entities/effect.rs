use sea_orm::entity::prelude::*;

/// One effect an action run scheduled: written in the run's transaction, carried
/// out after commit by the effect worker.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "admin_effect")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The run that scheduled it (`admin_action_run.id`).
    #[sea_orm(indexed)]
    pub run_id: i64,
    /// The handler that carries it out (`mail`).
    pub kind: String,
    /// What the handler needs, as JSON.
    #[sea_orm(column_type = "Text")]
    pub payload: String,
    /// The model of the record it is about.
    pub model: Option<String>,
    /// The key of the record it is about.
    pub object_id: Option<String>,
    /// One line for staff.
    pub summary: String,
    /// Handed to the outside system with every attempt (an `Idempotency-Key`
    /// header, a mail's `Message-ID`); the same for every attempt, unique per effect.
    #[sea_orm(unique)]
    pub idempotency_key: String,
    /// `queued`, `running`, `done`, `failed` or `given_up`.
    #[sea_orm(indexed)]
    pub state: String,
    /// Attempts so far.
    pub attempts: i32,
    /// Not to be tried before this time (UTC).
    pub next_attempt_at: Option<DateTime>,
    /// The worker instance holding it.
    pub lease_owner: Option<String>,
    /// The holding worker's random token.
    pub lease_token: Option<String>,
    /// A worker holds it until then (UTC).
    pub lease_until: Option<DateTime>,
    /// The last failure, in words.
    #[sea_orm(column_type = "Text", nullable)]
    pub last_error: Option<String>,
    /// What the receiver answered when it was done (a message id, a status).
    pub outcome: Option<String>,
    /// When it was scheduled (UTC).
    pub created_at: DateTime,
    /// When it was done, failed for the last time, or given up (UTC).
    pub finished_at: Option<DateTime>,
    /// Who gave it up.
    pub given_up_by: Option<String>,
    /// Why it was given up.
    pub given_up_reason: Option<String>,
}

/// No relations are navigated from effects.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
