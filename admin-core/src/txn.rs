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
