//! Write transactions that behave the same on SQLite and PostgreSQL, and that
//! survive a busy or vanishing database as well as can be: a busy SQLite database
//! is waited for a bounded number of times ([`begin_write`]), and a commit whose
//! connection is lost says that its outcome is unknown ([`commit`]).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sea_orm::{
    DatabaseConnection, DatabaseTransaction, DbBackend, SqliteTransactionMode, TransactionOptions,
    TransactionTrait,
};

use crate::kernel::error::{Error, Result, Unavailable, unavailability};

/// How many times [`begin_write`] tries to take SQLite's write lock before it
/// answers [`Unavailable::Busy`]. Each try waits up to the connection's busy timeout
/// (10 s in the reference app), so a request gives up after about three of them.
pub const BUSY_ATTEMPTS: u32 = 3;

/// The pause after the first busy try; it quadruples after each further one.
pub const BUSY_BACKOFF: Duration = Duration::from_millis(100);

static BUSY_RETRIES: AtomicU64 = AtomicU64::new(0);

/// How many times, in this process, [`begin_write`] found SQLite's write lock taken
/// past the busy timeout and tried again (for metrics and tests).
#[must_use]
pub fn busy_retries() -> u64 {
    BUSY_RETRIES.load(Ordering::Relaxed)
}

/// Begins a transaction that will write.
///
/// On SQLite it takes the write lock at once (`BEGIN IMMEDIATE`), so a transaction
/// that reads, checks and then writes never fails halfway because another writer got
/// in between; concurrent writers wait (up to the busy timeout) instead. PostgreSQL
/// transactions begin as usual and lock the rows they check.
///
/// When another connection or process holds SQLite's write lock past the busy
/// timeout, nothing has been done yet, so taking the lock is tried again after
/// [`BUSY_BACKOFF`] (then four times as long), [`BUSY_ATTEMPTS`] times in all.
///
/// # Errors
/// `Unavailable` ([`Unavailable::Busy`]) when the write lock stays taken,
/// ([`Unavailable::Down`]) when the database cannot be reached; `Db` when the
/// database cannot start the transaction for another reason.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction> {
    if db.get_database_backend() != DbBackend::Sqlite {
        return Ok(db.begin_with_options(TransactionOptions::default()).await?);
    }
    let options = TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    };
    let mut pause = BUSY_BACKOFF;
    for attempt in 1.. {
        match db.begin_with_options(options).await {
            Ok(txn) => return Ok(txn),
            Err(e) if attempt < BUSY_ATTEMPTS && unavailability(&e) == Some(Unavailable::Busy) => {
                BUSY_RETRIES.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(
                    attempt,
                    of = BUSY_ATTEMPTS,
                    "the SQLite database is busy (its write lock is taken); trying again"
                );
                tokio::time::sleep(pause).await;
                pause *= 4;
            }
            Err(e) => return Err(e.into()),
        }
    }
    unreachable!("the loop returns")
}

/// Commits `txn`. When the connection is lost during the commit itself (an I/O
/// error, not the server's answer), the database may have committed or not: that is
/// [`Unavailable::MaybeSaved`], so no one is told "nothing was saved" about a change
/// that was. A refusal by the server (such as PostgreSQL shutting down, 57P01)
/// means it did not commit: [`Unavailable::Down`].
///
/// # Errors
/// `Unavailable` as above; `Db` for other failures of the commit.
pub async fn commit(txn: DatabaseTransaction) -> Result<()> {
    use sea_orm::{DbErr, RuntimeErr, sqlx};
    let e = match txn.commit().await {
        Ok(()) => return Ok(()),
        Err(e) => e,
    };
    let lost = matches!(
        &e,
        DbErr::Conn(RuntimeErr::SqlxError(err)) | DbErr::Exec(RuntimeErr::SqlxError(err)) | DbErr::Query(RuntimeErr::SqlxError(err))
            if matches!(&**err, sqlx::Error::Io(_) | sqlx::Error::Protocol(_) | sqlx::Error::Tls(_) | sqlx::Error::WorkerCrashed)
    );
    if lost {
        tracing::warn!(error = %e, "the connection was lost during a commit: it may or may not have been saved");
        return Err(Error::Unavailable(Unavailable::MaybeSaved));
    }
    Err(e.into())
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
