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
        /// A message for the next page this session sees ("Account 42 saved.").
        pub flash: Option<String>,
    }

    /// No relations are navigated from sessions.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
