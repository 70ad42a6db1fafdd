//! Write transactions that behave the same on SQLite and PostgreSQL.

use sea_orm::{
    DatabaseConnection, DatabaseTransaction, DbBackend, SqliteTransactionMode, TransactionOptions,
    TransactionTrait,
};

use crate::error::Result;

/// Begins a transaction that will write.
///
/// On SQLite it takes the write lock at once (`BEGIN IMMEDIATE`), so a transaction
/// that reads, checks and then writes never fails halfway because another writer got
/// in between; concurrent writers wait (up to the busy timeout) instead. PostgreSQL
/// transactions begin as usual and lock the rows they check.
///
/// # Errors
/// `Db` when the database cannot start the transaction.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction> {
    let options = if db.get_database_backend() == DbBackend::Sqlite {
        TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..Default::default()
        }
    } else {
        TransactionOptions::default()
    };
    Ok(db.begin_with_options(options).await?)
}

/// Waits for this process's turn to write to a SQLite database, and keeps it while
/// the guard lives; `None` (no waiting) on other backends.
///
/// SQLite lets one transaction write at a time. Writers that find the database
/// busy are put to sleep by SQLite's busy handler and retry (after 1, 2, 5, 10 ms
/// and so on), which wastes most of the time when many writes come at once. Taking
/// turns in the process first queues them without sleeping; the busy timeout then
/// only matters between processes. Hold the guard from before [`begin_write`]
/// until after the commit, and do not take it twice in one task.
pub async fn write_turn(db: &DatabaseConnection) -> Option<tokio::sync::MutexGuard<'static, ()>> {
    static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    if db.get_database_backend() == DbBackend::Sqlite { Some(TURN.lock().await) } else { None }
}
