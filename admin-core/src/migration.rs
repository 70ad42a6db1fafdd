//! Creates and upgrades the admin's own tables, on SQLite and PostgreSQL alike.
//!
//! Each step runs once, in order, and is recorded in `admin_schema_version`, so a
//! database made by an older release is brought up to date at start-up. All of it
//! runs in one transaction begun with [`crate::db::txn::begin_startup`], so instances
//! starting together take turns: the first applies the steps, the others find them
//! done.

use sea_orm::sea_query::{ColumnDef, Expr, Index, Query, Table};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, Schema, Statement};

use crate::audit::{GENESIS, entry, head};
use crate::db::entities::{action_run, login_throttle, recovery_code, session, staff_user};
use crate::kernel::error::Result;

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
    let txn = crate::db::txn::begin_startup(db).await?;
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
    for version in 1..=LATEST {
        if !applied.contains(&version) {
            step(&txn, &schema, version).await?;
            record(&txn, version).await?;
        }
    }
    txn.commit().await?;
    Ok(())
}

/// Whether every schema step this release knows (1 to [`LATEST`]) has been applied:
/// what a readiness check asks before sending traffic to an instance. A database
/// without the version table (never migrated) is not current.
///
/// # Errors
/// When the database cannot be reached.
pub async fn is_current(db: &DatabaseConnection) -> Result<bool> {
    let rows = match db.query_all(Query::select().column("version").from(VERSION_TABLE)).await {
        Ok(rows) => rows,
        // Reachable, but the table is missing: never migrated.
        Err(_) if db.ping().await.is_ok() => return Ok(false),
        Err(e) => return Err(e.into()),
    };
    let applied: Vec<i64> = rows.iter().filter_map(|r| r.try_get::<i64>("", "version").ok()).collect();
    Ok((1..=LATEST).all(|v| applied.contains(&v)))
}

/// The newest schema version this release knows.
pub const LATEST: i64 = 10;

/// Applies schema step `version`.
async fn step<C: ConnectionTrait>(txn: &C, schema: &Schema, version: i64) -> Result<()> {
    match version {
        1 => {
            create_entity(txn, schema, staff_user::Entity).await?;
            create_entity(txn, schema, session::Entity).await?;
            create_entity(txn, schema, recovery_code::Entity).await?;
            create_entity(txn, schema, login_throttle::Entity).await?;
            create_entity(txn, schema, action_run::Entity).await?;
            create_entity(txn, schema, crate::db::entities::api_token::Entity).await?;
            create_entity(txn, schema, crate::db::entities::note::Entity).await?;
            create_entity(txn, schema, crate::db::entities::saved_view::Entity).await?;
            create_entity(txn, schema, crate::db::entities::approval_request::Entity).await?;
        }
        2 => {
            create_entity(txn, schema, entry::Entity).await?;
            create_entity(txn, schema, head::Entity).await?;
            txn.execute(
                Query::insert()
                    .into_table(head::Entity)
                    .columns([head::Column::Id, head::Column::Seq, head::Column::Hash])
                    .values_panic([Expr::val(1i32), Expr::val(0i64), Expr::val(GENESIS)]),
            )
            .await?;
        }
        // A record's history (and the audit log filtered to one record) finds its
        // entries through this index instead of reading the whole log: 0.5 s at
        // 175,000 entries without it, growing with the log.
        3 => {
            txn.execute(
                &Index::create()
                    .name("admin_audit_record_idx")
                    .table(entry::Entity)
                    .col(entry::Column::Model)
                    .col(entry::Column::ObjectId)
                    .col(entry::Column::Seq)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        }
        // Idempotency keys belong to one staff user and one request: the key's
        // uniqueness moves from the whole table to (user, key), and each run and
        // approval request keeps the fingerprint of its request.
        4 => scope_idempotency_keys(txn, schema).await?,
        // Every action run is recorded, with its reason, request and input, so its
        // result page, its undo and its effects can find it.
        5 => record_every_run(txn).await?,
        // Effects written by action runs and carried out by the worker after
        // commit, and the workers' heartbeats.
        6 => {
            use crate::db::entities::effect;
            create_entity(txn, schema, effect::Entity).await?;
            create_entity(txn, schema, crate::db::entities::worker_seen::Entity).await?;
            // A record's page lists its effects.
            txn.execute(
                &Index::create()
                    .name("admin_effect_record_idx")
                    .table(effect::Entity)
                    .col(effect::Column::Model)
                    .col(effect::Column::ObjectId)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        }
        // Limits per role count what each staff member used per UTC day.
        7 => create_entity(txn, schema, crate::db::entities::limit_usage::Entity).await?,
        // A staff user's selection on a model's list, kept on the server so it
        // survives paging and searching and works without JavaScript.
        8 => create_entity(txn, schema, crate::db::entities::selection::Entity).await?,
        // Each staff user's language and time zone for the screens.
        9 => staff_preferences(txn).await?,
        // Background jobs: an action over a selection fixed when the job is made,
        // run in chunks by the job worker; each record is an item.
        10 => background_jobs(txn, schema).await?,
        _ => {}
    }
    Ok(())
}

/// Step 10: background jobs and their items, with the index a chunk reads its next
/// pending items by and the one that makes a requester's idempotency key unique.
async fn background_jobs<C: ConnectionTrait>(txn: &C, schema: &Schema) -> Result<()> {
    use crate::db::entities::{job, job_file, job_item};
    create_entity(txn, schema, job::Entity).await?;
    create_entity(txn, schema, job_item::Entity).await?;
    create_entity(txn, schema, job_file::Entity).await?;
    // A chunk takes the next pending items in order.
    txn.execute(
        &Index::create()
            .name("admin_job_item_state_idx")
            .table(job_item::Entity)
            .col(job_item::Column::JobId)
            .col(job_item::Column::State)
            .col(job_item::Column::Seq)
            .if_not_exists()
            .to_owned(),
    )
    .await?;
    // An import's check finds a value twice in one file.
    txn.execute(
        &Index::create()
            .name("admin_job_item_match_idx")
            .table(job_item::Entity)
            .col(job_item::Column::JobId)
            .col(job_item::Column::MatchKey)
            .if_not_exists()
            .to_owned(),
    )
    .await?;
    // A requester's idempotency key names one job.
    txn.execute(
        &Index::create()
            .name("admin_job_key_idx")
            .table(job::Entity)
            .col(job::Column::RequesterId)
            .col(job::Column::IdempotencyKey)
            .unique()
            .if_not_exists()
            .to_owned(),
    )
    .await?;
    Ok(())
}

/// Step 5: the run table gets the columns of a full run record. Tables made by
/// step 1 of this release have them already.
async fn record_every_run<C: ConnectionTrait>(conn: &C) -> Result<()> {
    use sea_orm::sea_query::Alias;
    for (column, text) in [("reason", true), ("request_id", false), ("input", true), ("undo_of", false)] {
        if has_column(conn, "admin_action_run", column).await? {
            continue;
        }
        let mut def = ColumnDef::new(Alias::new(column));
        match (column, text) {
            ("undo_of", _) => def.big_integer().null(),
            (_, true) => def.text().null(),
            _ => def.string().null(),
        };
        conn.execute(&Table::alter().table(action_run::Entity).add_column(&mut def).to_owned()).await?;
    }
    Ok(())
}

/// Step 9: the staff table gets `language` and `time_zone` (both empty: the
/// browser's language, UTC). Tables made by step 1 of this release have them.
async fn staff_preferences<C: ConnectionTrait>(conn: &C) -> Result<()> {
    use sea_orm::sea_query::Alias;
    for column in ["language", "time_zone"] {
        if has_column(conn, "admin_user", column).await? {
            continue;
        }
        let mut def = ColumnDef::new(Alias::new(column));
        def.string().null();
        conn.execute(&Table::alter().table(staff_user::Entity).add_column(&mut def).to_owned()).await?;
    }
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

/// Step 4. Tables made by step 1 of this release already have the `fingerprint`
/// column and no table-wide unique key; tables made by an earlier release (up to
/// version 3) get the column, filled with [`crate::action::idempotency::LEGACY_FINGERPRINT`]
/// (no request matches it, so an old key is refused rather than replayed), and lose
/// the unique constraint on `idempotency_key` alone. Both then get the unique index
/// on (user, key).
async fn scope_idempotency_keys<C: ConnectionTrait>(conn: &C, schema: &Schema) -> Result<()> {
    use crate::db::entities::approval_request as request;
    if !has_column(conn, "admin_action_run", "fingerprint").await? {
        add_fingerprint(conn, schema, action_run::Entity, false).await?;
    }
    if !has_column(conn, "admin_approval", "fingerprint").await? {
        add_fingerprint(conn, schema, request::Entity, true).await?;
    }
    for (name, table, owner) in [
        ("admin_action_run_key_scope", "admin_action_run", "actor_id"),
        ("admin_approval_key_scope", "admin_approval", "requester_id"),
    ] {
        conn.execute(
            &Index::create()
                .name(name)
                .table(table)
                .col(owner)
                .col("idempotency_key")
                .unique()
                .if_not_exists()
                .to_owned(),
        )
        .await?;
    }
    Ok(())
}

/// Whether `table` has a column `column` (both names are this module's constants).
async fn has_column<C: ConnectionTrait>(conn: &C, table: &str, column: &str) -> Result<bool> {
    let backend = conn.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => {
            "SELECT COUNT(*) AS n FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = $1 AND column_name = $2"
        }
        _ => "SELECT COUNT(*) AS n FROM pragma_table_info(?) WHERE name = ?",
    };
    let row = conn
        .query_one_raw(Statement::from_sql_and_values(backend, sql, [table.into(), column.into()]))
        .await?;
    Ok(row.and_then(|r| r.try_get::<i64>("", "n").ok()).unwrap_or(0) > 0)
}

/// Adds the `fingerprint` column to a table made before version 4, with the legacy
/// value in every existing row, and drops the unique constraint on
/// `idempotency_key` alone.
///
/// PostgreSQL alters the table in place. SQLite cannot drop a column's inline
/// `UNIQUE`, so the table is rebuilt, as SQLite's manual prescribes: renamed, made
/// again from the entity, filled from the old one (ids kept), and the old one
/// dropped.
async fn add_fingerprint<C: ConnectionTrait, E: EntityTrait>(
    conn: &C,
    schema: &Schema,
    entity: E,
    nullable: bool,
) -> Result<()> {
    let table = entity.table_name().to_owned();
    let backend = conn.get_database_backend();
    let legacy = crate::action::idempotency::LEGACY_FINGERPRINT;
    if backend == DbBackend::Postgres {
        // The default fills the existing rows; new rows always say theirs.
        let not_null = if nullable { "" } else { " NOT NULL" };
        conn.execute_unprepared(&format!(
            "ALTER TABLE \"{table}\" ADD COLUMN \"fingerprint\" varchar{not_null} DEFAULT '{legacy}'"
        ))
        .await?;
        conn.execute_unprepared(&format!(
            "ALTER TABLE \"{table}\" ALTER COLUMN \"fingerprint\" DROP DEFAULT"
        ))
        .await?;
        let constraints = conn
            .query_all_raw(Statement::from_sql_and_values(
                backend,
                "SELECT c.conname FROM pg_constraint c \
                 JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] \
                 WHERE c.conrelid = to_regclass($1) AND c.contype = 'u' \
                   AND cardinality(c.conkey) = 1 AND a.attname = 'idempotency_key'",
                [table.clone().into()],
            ))
            .await?;
        for row in constraints {
            let name: String = row.try_get("", "conname")?;
            // The name comes from the catalog, not from a user.
            let quoted = name.replace('"', "\"\"");
            conn.execute_unprepared(&format!("ALTER TABLE \"{table}\" DROP CONSTRAINT \"{quoted}\"")).await?;
        }
        return Ok(());
    }
    let old = format!("{table}_v3");
    conn.execute(&Table::rename().table(table.clone(), old.clone()).to_owned()).await?;
    conn.execute(&schema.create_table_from_entity(entity)).await?;
    let old_columns: Vec<String> = conn
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            "SELECT name FROM pragma_table_info(?)",
            [old.clone().into()],
        ))
        .await?
        .iter()
        .filter_map(|r| r.try_get::<String>("", "name").ok())
        .collect();
    let columns: Vec<String> =
        old_columns.iter().map(|c| format!("\"{}\"", c.replace('"', "\"\""))).collect();
    let list = columns.join(", ");
    conn.execute_unprepared(&format!(
        "INSERT INTO \"{table}\" ({list}, \"fingerprint\") SELECT {list}, '{legacy}' FROM \"{old}\""
    ))
    .await?;
    conn.execute(&Table::drop().table(old).to_owned()).await?;
    for mut idx in schema.create_index_from_entity(entity) {
        conn.execute(idx.if_not_exists()).await?;
    }
    Ok(())
}
