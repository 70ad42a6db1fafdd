//! Why accounts were locked (`account_lock`): one row per lock, written by the
//! "Lock account" action in the same transaction as the lock itself.
//!
//! This table belongs to the console, not to the benchmark schema: it is created
//! where missing by [`crate::create_schema`] and never changes the bench tables.
//! It is not an admin model (staff read lock reasons in the audit log and on the
//! "Unlock account" confirmation); "Unlock account" reads it to decide whether an
//! unlock needs a second person's approval.

use opsadmin::AdminChoices;
use sea_orm::entity::prelude::*;
use sea_orm::{ColumnTrait, ConnectionTrait, QueryFilter, QueryOrder};

/// Why an account is locked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, AdminChoices)]
pub enum LockKind {
    /// Fraud signals: unlocking needs a second person's approval.
    Fraud,
    /// The customer disputed a charge with their bank.
    Chargeback,
    /// The customer asked for it.
    CustomerRequest,
    /// Anything else; say what in the reason.
    Other,
}

as_str!(LockKind);

impl LockKind {
    /// The kind stored as `value`, if it is one.
    #[must_use]
    pub fn from_value(value: &str) -> Option<Self> {
        <Self as opsadmin::AdminField>::parse_form(value).ok()
    }
}

/// One lock of one account.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "account_lock")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The locked account.
    pub account_id: i64,
    /// Why: one of [`LockKind`]'s values.
    pub kind: String,
    /// The reason the staff member gave.
    pub reason: Option<String>,
    /// Who locked it (staff user name).
    pub locked_by: String,
    /// When (UTC).
    pub locked_at: DateTime,
}

/// No relations are navigated from lock rows.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// The kind of each account's most recent lock, for those of `account_ids` that
/// have one (accounts locked before this table existed have none).
///
/// # Errors
/// When the database fails.
pub async fn latest_kinds<C: ConnectionTrait>(
    db: &C,
    account_ids: &[i64],
) -> Result<std::collections::HashMap<i64, String>, DbErr> {
    let mut latest = std::collections::HashMap::new();
    for chunk in account_ids.chunks(500) {
        // Oldest first, so each account's newest row is inserted last and wins.
        let rows = Entity::find()
            .filter(Column::AccountId.is_in(chunk.iter().copied()))
            .order_by_asc(Column::Id)
            .all(db)
            .await?;
        for r in rows {
            latest.insert(r.account_id, r.kind);
        }
    }
    Ok(latest)
}
