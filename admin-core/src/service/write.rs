//! [`AuditedWrite`]: a change the application makes to its own tables, outside the
//! admin's screens, recorded in the audit log in the same transaction.

use sea_orm::DatabaseTransaction;

use super::caller::Caller;
use crate::audit::{self, Event};
use crate::kernel::error::Result;

/// A write transaction (on SQLite it holds the write lock from the start) whose
/// audit entries are signed by the caller. Make the change with [`AuditedWrite::conn`],
/// record it with [`AuditedWrite::record`], then [`AuditedWrite::commit`]; dropped
/// without committing, nothing is written.
pub struct AuditedWrite {
    pub(super) txn: DatabaseTransaction,
    pub(super) caller: Caller,
}

impl AuditedWrite {
    /// The transaction, for the application's own statements.
    #[must_use]
    pub fn conn(&self) -> &DatabaseTransaction {
        &self.txn
    }

    /// Records what changed: `kind` (`update`, `create`, `delete`, or your own),
    /// the model and record, and `{field: [before, after]}`.
    ///
    /// # Errors
    /// `Db` when the database fails.
    pub async fn record(
        &self,
        kind: &str,
        model: Option<&str>,
        object_id: Option<&str>,
        changes: serde_json::Value,
    ) -> Result<()> {
        audit::record(&self.txn, self.caller.context(), Event { kind, model, object_id, changes }).await?;
        Ok(())
    }

    /// Commits the change and its entries together.
    ///
    /// # Errors
    /// `Db` when the database fails; `Unavailable` when it cannot be reached (see
    /// [`crate::db::txn::commit`]: a connection lost during the commit leaves the
    /// outcome unknown).
    pub async fn commit(self) -> Result<()> {
        crate::db::txn::commit(self.txn).await
    }
}
