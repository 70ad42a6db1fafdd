//! Creates and upgrades the admin's own tables, on SQLite and PostgreSQL alike.
//!
//! Each step runs once, in order, and is recorded in `admin_schema_version`, so a
//! database made by an older release is brought up to date at start-up. All of it
//! runs in one transaction begun with [`crate::txn::begin_startup`], so instances
//! starting together take turns: the first applies the steps, the others find them
//! done.

use sea_orm::sea_query::{ColumnDef, Expr, Query, Table};
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait, Schema};

use crate::audit::{GENESIS, entry, head};
use crate::entities::{action_run, login_throttle, recovery_code, session, staff_user};
use crate::error::Result;

const VERSION_TABLE: &str = "admin_schema_version";

/// Brings the admin tables up to date. Safe to call at every start, from several
/// instances at once: each step runs once and is recorded when it is done.
///
/// # Errors
/// When the database refuses a statement.
pub async fn migrate(db: &DatabaseConnection) -> Result<()> {
    let backend = db.get_database_backend();
    // One transaction, taken in turn by instances starting at the same moment
    // (`begin_startup`): the steps are checked and applied inside it.
    let txn = crate::txn::begin_startup(db).await?;
    txn.execute(
        Table::create()
            .table(VERSION_TABLE)
            .if_not_exists()
            .col(ColumnDef::new("version").big_integer().not_null().primary_key()),
    )
    .await?;
    let applied: Vec<i64> = txn
        .query_all(Query::select().column("version").from(VERSION_TABLE))
        .await?
        .iter()
        .filter_map(|r| r.try_get::<i64>("", "version").ok())
        .collect();
    let schema = Schema::new(backend);
    if !applied.contains(&1) {
        create_entity(&txn, &schema, staff_user::Entity).await?;
        create_entity(&txn, &schema, session::Entity).await?;
        create_entity(&txn, &schema, recovery_code::Entity).await?;
        create_entity(&txn, &schema, login_throttle::Entity).await?;
        create_entity(&txn, &schema, action_run::Entity).await?;
        create_entity(&txn, &schema, crate::entities::api_token::Entity).await?;
        create_entity(&txn, &schema, crate::notes::note::Entity).await?;
        create_entity(&txn, &schema, crate::notes::saved_view::Entity).await?;
        create_entity(&txn, &schema, crate::approval::request::Entity).await?;
        record(&txn, 1).await?;
    }
    if !applied.contains(&2) {
        create_entity(&txn, &schema, entry::Entity).await?;
        create_entity(&txn, &schema, head::Entity).await?;
        txn.execute(
            Query::insert()
                .into_table(head::Entity)
                .columns([head::Column::Id, head::Column::Seq, head::Column::Hash])
                .values_panic([Expr::val(1i32), Expr::val(0i64), Expr::val(GENESIS)]),
        )
        .await?;
        record(&txn, 2).await?;
    }
    if !applied.contains(&3) {
        // A record's history (and the audit log filtered to one record) finds its
        // entries through this index instead of reading the whole log: 0.5 s at
        // 175,000 entries without it, growing with the log.
        txn.execute(
            &sea_orm::sea_query::Index::create()
                .name("admin_audit_record_idx")
                .table(entry::Entity)
                .col(entry::Column::Model)
                .col(entry::Column::ObjectId)
                .col(entry::Column::Seq)
                .if_not_exists()
                .to_owned(),
        )
        .await?;
        record(&txn, 3).await?;
    }
    txn.commit().await?;
    Ok(())
}

async fn record<C: ConnectionTrait>(conn: &C, version: i64) -> Result<()> {
    conn.execute(
        Query::insert().into_table(VERSION_TABLE).columns(["version"]).values_panic([Expr::val(version)]),
    )
    .await?;
    Ok(())
}

async fn create_entity<C: ConnectionTrait, E: EntityTrait>(conn: &C, schema: &Schema, e: E) -> Result<()> {
    conn.execute(schema.create_table_from_entity(e).if_not_exists()).await?;
    for mut idx in schema.create_index_from_entity(e) {
        conn.execute(idx.if_not_exists()).await?;
    }
    Ok(())
}
