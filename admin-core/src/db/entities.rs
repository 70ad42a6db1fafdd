//! The admin's own tables: staff users and their sessions.

/// Staff users (`admin_user`).
pub mod staff_user {
    use sea_orm::entity::prelude::*;

    /// A staff user who may sign in to the admin.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "admin_user")]
    pub struct Model {
        /// Primary key.
        #[sea_orm(primary_key)]
        pub id: i64,
        /// The sign-in name, unique.
        #[sea_orm(unique)]
        pub username: String,
        /// An argon2id PHC string; never shown, never logged.
        pub password_hash: String,
        /// Superusers hold every permission.
        pub is_superuser: bool,
        /// Inactive users cannot sign in.
        pub is_active: bool,
        /// Role names, comma-separated.
        pub roles: String,
        /// When the user was created (UTC).
        pub created_at: DateTime,
        /// The last successful sign-in (UTC).
        pub last_login_at: Option<DateTime>,
        /// When the password was last set (UTC).
        pub password_changed_at: DateTime,
        /// The base32 TOTP secret once two-factor sign-in is enrolled; never shown again.
        pub totp_secret: Option<String>,
        /// The last TOTP time step accepted, so a code works only once.
        pub totp_last_step: Option<i64>,
        /// The language the screens speak to this user (`de`); none: the browser's.
        pub language: Option<String>,
        /// The time zone the screens show times in (`Europe/Berlin`); none: UTC.
        pub time_zone: Option<String>,
    }

    /// No relations are navigated from staff users.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Signed-in sessions (`admin_session`).
pub mod session {
    use sea_orm::entity::prelude::*;

    /// A session: the cookie holds a random token; only its SHA-256 is stored.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "admin_session")]
    pub struct Model {
        /// Hex SHA-256 of the cookie token.
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        /// The signed-in staff user.
        #[sea_orm(indexed)]
        pub user_id: i64,
        /// The CSRF token every form of this session must carry.
        pub csrf_token: String,
        /// When the session began (UTC).
        pub created_at: DateTime,
        /// The last request seen (UTC).
        pub last_seen_at: DateTime,
        /// When the session ends at the latest (UTC).
        pub expires_at: DateTime,
        /// When the user last proved who they are (password, and second factor if
        /// enrolled): sign-in or re-authentication (UTC).
        pub authenticated_at: DateTime,
        /// The password was right but the second factor is still to come: the session
        /// may only finish signing in.
        pub second_factor_pending: bool,
        /// A message for the next page this session sees ("Account 42 saved.").
        pub flash: Option<String>,
    }

    /// No relations are navigated from sessions.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// One-time recovery codes for two-factor sign-in (`admin_recovery_code`).
pub mod recovery_code {
    use sea_orm::entity::prelude::*;

    /// A recovery code: only its SHA-256 is stored.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "admin_recovery_code")]
    pub struct Model {
        /// Primary key.
        #[sea_orm(primary_key)]
        pub id: i64,
        /// The staff user it belongs to.
        #[sea_orm(indexed)]
        pub user_id: i64,
        /// Hex SHA-256 of the code.
        pub code_hash: String,
        /// When it was used, if it was (UTC).
        pub used_at: Option<DateTime>,
    }

    /// No relations are navigated from recovery codes.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Failed sign-in counters (`admin_login_throttle`), per user name and per address.
pub mod login_throttle {
    use sea_orm::entity::prelude::*;

    /// Failures for one key (`user:alice` or `addr:10.0.0.1`).
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "admin_login_throttle")]
    pub struct Model {
        /// `user:{name}` or `addr:{ip}`.
        #[sea_orm(primary_key, auto_increment = false)]
        pub key: String,
        /// Failures since `window_start`.
        pub failures: i32,
        /// When the current window of failures began (UTC).
        pub window_start: DateTime,
        /// Sign-in refused for this key until then (UTC).
        pub locked_until: Option<DateTime>,
    }

    /// No relations are navigated from throttle rows.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Runs of actions by idempotency key (`admin_action_run`): a second submission of
/// the same request with the same key shows the first run's report instead of
/// running again (see the `idempotency` module). A key is unique per staff user (the
/// index `admin_action_run_key_scope` on `actor_id, idempotency_key`).
pub mod action_run {
    use sea_orm::entity::prelude::*;

    /// One completed run: every run is recorded (schema version 5; before it only
    /// runs sent with an idempotency key were). A run without a key gets a generated
    /// one, `run-…`, that no request carries.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "admin_action_run")]
    pub struct Model {
        /// Primary key.
        #[sea_orm(primary_key)]
        pub id: i64,
        /// The key the confirmation form (or API client, or script) carried; unique
        /// per `actor_id`.
        pub idempotency_key: String,
        /// Who ran it.
        pub actor_id: i64,
        /// The model's slug.
        pub model: String,
        /// The action's name.
        pub action: String,
        /// The report, as JSON.
        #[sea_orm(column_type = "Text")]
        pub report: String,
        /// When (UTC).
        pub created_at: DateTime,
        /// The request's fingerprint (`idempotency::fingerprint`): the key replays this
        /// run only for the same request. `legacy` for runs recorded before schema
        /// version 4, which no request matches.
        pub fingerprint: String,
        /// The reason given, as in the run's audit entries (schema version 5; runs
        /// recorded before it have none).
        #[sea_orm(column_type = "Text", nullable)]
        pub reason: Option<String>,
        /// The request that started the run (schema version 5).
        pub request_id: Option<String>,
        /// The input as the action read it, as JSON (schema version 5).
        #[sea_orm(column_type = "Text", nullable)]
        pub input: Option<String>,
        /// The run this one undid, when it is an undo (schema version 5).
        pub undo_of: Option<i64>,
    }

    /// No relations are navigated from runs.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// API tokens (`admin_api_token`): scripts and services call the JSON API as a staff
/// user with `Authorization: Bearer <token>`. Only the token's SHA-256 is stored.
pub mod api_token {
    use sea_orm::entity::prelude::*;

    /// One token.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "admin_api_token")]
    pub struct Model {
        /// Primary key.
        #[sea_orm(primary_key)]
        pub id: i64,
        /// Hex SHA-256 of the token.
        #[sea_orm(unique)]
        pub token_hash: String,
        /// The staff user it acts as.
        #[sea_orm(indexed)]
        pub user_id: i64,
        /// What it is for ("nightly billing sync").
        pub name: String,
        /// When it was made (UTC).
        pub created_at: DateTime,
        /// When it was last used (UTC).
        pub last_used_at: Option<DateTime>,
        /// Revoked tokens are refused.
        pub revoked: bool,
    }

    /// No relations are navigated from tokens.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Notes (`admin_note`).
pub mod note {
    use sea_orm::entity::prelude::*;

    /// A note a staff member left on a record for the next person.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "admin_note")]
    pub struct Model {
        /// Primary key.
        #[sea_orm(primary_key)]
        pub id: i64,
        /// The model's slug.
        #[sea_orm(indexed)]
        pub model: String,
        /// The record's key.
        #[sea_orm(indexed)]
        pub object_id: String,
        /// Who wrote it.
        pub author: String,
        /// What it says.
        #[sea_orm(column_type = "Text")]
        pub body: String,
        /// When (UTC).
        pub created_at: DateTime,
    }

    /// No relations are navigated from notes.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Saved list views (`admin_saved_view`).
pub mod saved_view {
    use sea_orm::entity::prelude::*;

    /// A named search, filters and sort of one model's list, for one user.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "admin_saved_view")]
    pub struct Model {
        /// Primary key.
        #[sea_orm(primary_key)]
        pub id: i64,
        /// Whose it is.
        #[sea_orm(indexed)]
        pub user_id: i64,
        /// The model's slug.
        pub model: String,
        /// The name the user gave it.
        pub name: String,
        /// The list's query string, without `?` and without `page`.
        pub query: String,
        /// When (UTC).
        pub created_at: DateTime,
    }

    /// No relations are navigated from saved views.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Approval requests (`admin_approval`).
pub mod approval_request {
    use sea_orm::entity::prelude::*;

    /// One request to run an action that needs a second person's approval.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "admin_approval")]
    pub struct Model {
        /// Primary key.
        #[sea_orm(primary_key)]
        pub id: i64,
        /// The model's slug.
        pub model: String,
        /// The action's name.
        pub action: String,
        /// The record keys, as a JSON array of strings.
        #[sea_orm(column_type = "Text")]
        pub keys: String,
        /// The typed input, as JSON.
        #[sea_orm(column_type = "Text")]
        pub input: String,
        /// Why, in the requester's words.
        pub reason: Option<String>,
        /// The requester's id.
        pub requester_id: i64,
        /// The requester's name.
        pub requester: String,
        /// When it was asked (UTC).
        pub requested_at: DateTime,
        /// `pending`, `approved`, `running`, `done`, `failed` or `rejected`.
        #[sea_orm(indexed)]
        pub status: String,
        /// Who decided.
        pub decided_by: Option<String>,
        /// Their id.
        pub decided_by_id: Option<i64>,
        /// When (UTC).
        pub decided_at: Option<DateTime>,
        /// The decider's note (required for a rejection).
        pub decision_note: Option<String>,
        /// Runs tried so far.
        pub attempts: i32,
        /// Not to be tried before this time (UTC).
        pub next_attempt_at: Option<DateTime>,
        /// A worker holds it until then (UTC).
        pub lease_until: Option<DateTime>,
        /// The holding worker's random token.
        pub lease_token: Option<String>,
        /// The last failure, in words.
        pub last_error: Option<String>,
        /// The run's report, as JSON, once done.
        #[sea_orm(column_type = "Text", nullable)]
        pub report: Option<String>,
        /// When it finished (done or failed), UTC.
        pub finished_at: Option<DateTime>,
        /// The confirmation form's key: the same submission twice makes one request.
        /// Unique per requester (the index `admin_approval_key_scope` on
        /// `requester_id, idempotency_key`).
        pub idempotency_key: Option<String>,
        /// The request's fingerprint (see `action::idempotency`), with the key: the key
        /// finds this request again only for the same request. `legacy` for requests
        /// made before schema version 4, which no request matches.
        pub fingerprint: Option<String>,
    }

    /// No relations are navigated from requests.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Selections (`admin_selection`): the records a staff user picked on a model's
/// list, kept on the server so the picking survives paging, searching and
/// filtering, and works without JavaScript (schema version 8).
pub mod selection {
    use sea_orm::entity::prelude::*;

    /// One selected record of one staff user.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "admin_selection")]
    pub struct Model {
        /// Whose selection it is.
        #[sea_orm(primary_key, auto_increment = false)]
        pub user_id: i64,
        /// The model's slug.
        #[sea_orm(primary_key, auto_increment = false)]
        pub model: String,
        /// The record's key.
        #[sea_orm(primary_key, auto_increment = false)]
        pub object_id: String,
        /// When it was picked (UTC).
        pub added_at: DateTime,
    }

    /// No relations are navigated from selections.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// What staff members used of their limits per role (`admin_limit_usage`, schema
/// version 7): one counter per staff member, limit, UTC day and currency, raised in
/// the transaction of the run (or approval request) it counts, and only while it
/// stays within the cap (see the `limits` module).
pub mod limit_usage {
    use sea_orm::entity::prelude::*;

    /// One counter.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "admin_limit_usage")]
    pub struct Model {
        /// The staff member's id.
        #[sea_orm(primary_key, auto_increment = false)]
        pub staff_id: i64,
        /// The action and the kind of limit: `invoice.refund_invoice:amount`.
        #[sea_orm(primary_key, auto_increment = false)]
        pub limit_key: String,
        /// The UTC day, `2026-12-06`.
        #[sea_orm(primary_key, auto_increment = false)]
        pub day: String,
        /// The currency's code for amounts; empty for counts of records or runs.
        #[sea_orm(primary_key, auto_increment = false)]
        pub currency: String,
        /// Used so far that day: records, runs, or minor units of the currency.
        pub used: i64,
    }

    /// No relations are navigated from counters.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
/// Effects waiting for, or done by, the effect worker (`admin_effect`, schema
/// version 6).
pub mod effect;

/// The last time each worker process was seen (`admin_worker`, schema version 6).
pub mod worker_seen;

/// Background jobs (`admin_job`, schema version 10): an action over a fixed
/// selection, run in chunks by the job worker.
pub mod job;

/// The records of background jobs (`admin_job_item`, schema version 10).
pub mod job_item;

/// The files export jobs write, in parts (`admin_job_file`, schema version 10).
pub mod job_file;
