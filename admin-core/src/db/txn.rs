//! Write transactions that behave the same on SQLite and PostgreSQL.

use sea_orm::{
    DatabaseConnection, DatabaseTransaction, DbBackend, SqliteTransactionMode, TransactionOptions,
    TransactionTrait,
};

use crate::kernel::error::Result;

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

/// One admin instance's queue for writing to its SQLite database.
///
/// SQLite lets one transaction write at a time. Writers that find the database
/// busy are put to sleep by SQLite's busy handler and retry (after 1, 2, 5, 10 ms
/// and so on), which wastes most of the time when many writes come at once. Taking
/// turns in the instance first queues them without sleeping; the busy timeout then
/// only matters between instances and processes. Each [`crate::Registry`] has its
/// own ([`crate::Registry::write_turn`]), so instances over different databases in
/// one process never wait for each other.
#[derive(Debug, Default)]
pub struct WriteTurn(tokio::sync::Mutex<()>);

impl WriteTurn {
    /// Waits for this instance's turn to write to a SQLite database, and keeps it
    /// while the guard lives; `None` (no waiting) on other backends. Hold the guard
    /// from before [`begin_write`] until after the commit, and do not take it twice
    /// in one task.
    pub async fn take(&self, db: &DatabaseConnection) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        if db.get_database_backend() == DbBackend::Sqlite { Some(self.0.lock().await) } else { None }
    }
}

/// The PostgreSQL advisory lock key start-ups take ("opsadmin" in ASCII).
const STARTUP_LOCK: i64 = 8_030_044_997_735_508_334;

/// Begins the transaction in which start-up work runs (creating tables and
/// indexes, migrations), so that instances starting at the same moment take turns
/// instead of failing on each other's half-made tables: `BEGIN IMMEDIATE` on
/// SQLite, and on PostgreSQL a transaction-scoped advisory lock, released at commit
/// or rollback. Check what exists inside the transaction, then create what is
/// missing, then commit.
///
/// ```no_run
/// # async fn start(db: &sea_orm::DatabaseConnection) -> admin_core::Result<()> {
/// use sea_orm::ConnectionTrait;
/// let txn = admin_core::db::txn::begin_startup(db).await?;
/// txn.execute_unprepared("CREATE TABLE IF NOT EXISTS ticket (id INTEGER PRIMARY KEY)").await?;
/// txn.commit().await?;
/// # Ok(())
/// # }
/// ```
///
/// # Errors
/// `Db` when the database cannot start the transaction or take the lock.
pub async fn begin_startup(db: &DatabaseConnection) -> Result<DatabaseTransaction> {
    use sea_orm::ConnectionTrait;
    let txn = begin_write(db).await?;
    if db.get_database_backend() == DbBackend::Postgres {
        txn.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({STARTUP_LOCK})")).await?;
    }
    Ok(txn)
}
