//! N-gram indexes for the models' `search` fields, so a substring search on a big
//! table reads an index instead of every row.
//!
//! The list's search is a case-insensitive substring match over the search fields
//! (`lower(field) LIKE '%term%'`). That predicate stays the one that decides which
//! rows match; the index only narrows the rows it is checked on, so results are the
//! same with and without it.
//!
//! - **SQLite**: an FTS5 table with the trigram tokenizer, `admin_search_{table}`,
//!   holding only the index (`content=` the model's table, `detail=none`), kept in
//!   sync by three triggers on the model's table (after insert, after delete, after
//!   an update of a search field). A search term of three characters or more adds
//!   `pk IN (SELECT rowid FROM admin_search_{table} WHERE … MATCH '"acm" AND "cme" …')`
//!   to the `LIKE`; shorter terms have no trigram and use the `LIKE` alone.
//! - **PostgreSQL**: the `pg_trgm` extension and one GIN index,
//!   `admin_search_{table}_{tag}`, on the search fields joined, lower-cased and
//!   kept to their letters `a`–`z` and digits (`regexp_replace(lower(coalesce(email,
//!   '') || coalesce(company, '')), '[^a-z0-9]+', '', 'g') gin_trgm_ops`; the tag
//!   changes with the fields). A search term with three such characters or more adds
//!   that expression `LIKE '%acme42%'` (the term kept to the same characters) to the
//!   per-field `LIKE`s. Every row matching one field matches that, so it only
//!   narrows; one index scan serves all the fields; and since `pg_trgm` splits words
//!   at every other character, dropping them keeps the term's trigrams inside one
//!   word (`acm`, `cme`, `me4`, `e42`) instead of the word-boundary trigrams (`"  4"`,
//!   `"me "`) that nearly every row has.
//!
//! [`ensure`] creates what is missing and backfills it once; call it at every
//! start, after the application's own tables exist. It is idempotent: when the
//! index and its triggers are already as they should be it only checks them.
//!
//! Each admin instance (its registry) asks its own database once whether a
//! model's index is in place ([`present`]), or learns it from [`ensure`], and
//! narrows searches only where it is: a process serving several databases never
//! takes one database's index for another's.
//!
//! Writes the admin does not make are covered too: the triggers (SQLite) and the
//! index (PostgreSQL) live in the database, so every writer keeps the index in
//! sync. On SQLite such a writer must have FTS5 (any SQLite since 3.34 built with
//! it, as the usual distributions are): without it, its writes to the table fail
//! with "no such module: fts5". To drop the index, drop the table
//! `admin_search_{table}` (its triggers go with the table they are on only when
//! that table is dropped, so drop `admin_search_{table}_ai`, `_ad` and `_au` too).

use std::collections::HashSet;

use sea_orm::sea_query::{Expr, SimpleExpr};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};

use crate::db::txn::begin_startup;
use crate::kernel::error::Result;
use crate::kernel::field::FieldKind;
use crate::kernel::model::ModelMeta;

/// What [`ensure`] found or did for one model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ensured {
    /// The model's slug (its table).
    pub model: &'static str,
    /// The index's name (the FTS5 table on SQLite, the first GIN index on PostgreSQL).
    pub index: String,
    /// Whether it was created (and backfilled) now, rather than found in place.
    pub created: bool,
}

/// The name of a model's search index: `admin_search_{table}`.
#[must_use]
pub fn index_name(meta: &ModelMeta) -> String {
    format!("admin_search_{}", meta.slug)
}

/// The search fields an n-gram index can cover: text columns.
fn indexed_fields(meta: &ModelMeta) -> Vec<usize> {
    meta.search
        .iter()
        .copied()
        .filter(|&i| matches!(meta.fields[i].kind, FieldKind::Text | FieldKind::Choice))
        .collect()
}

/// Creates the search index of one model with `search` fields, where it is missing
/// or out of date, and backfills it from the table's rows. `None` when the model
/// has no indexed fields or the database cannot hold the index; the registry notes
/// the answer (`Registry::ensure_search_index` does it for every model).
///
/// Backfilling a big table takes a while once (about half a minute for a million
/// rows); later starts only check that the index is in place. On PostgreSQL the
/// `pg_trgm` extension is created if it is not there; when that is not allowed,
/// a warning is logged and searches go on without the index.
///
/// # Errors
/// When the database refuses a statement (other than `CREATE EXTENSION`).
pub async fn ensure(db: &DatabaseConnection, meta: &'static ModelMeta) -> Result<Option<Ensured>> {
    if indexed_fields(meta).is_empty() {
        return Ok(None);
    }
    let ensured = match db.get_database_backend() {
        DbBackend::Sqlite => ensure_sqlite(db, meta).await?,
        DbBackend::Postgres => ensure_postgres(db, meta).await?,
        _ => None,
    };
    if let Some(e) = &ensured
        && e.created
    {
        tracing::info!(model = meta.slug, index = %e.index, "created the search index");
    }
    Ok(ensured)
}

/// Quotes an SQL identifier.
fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Quotes an SQL string literal.
fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// The FTS5 table and its triggers for a model, as `(name, CREATE statement)`.
/// SQLite keeps each statement's text as written, so comparing it with
/// `sqlite_master.sql` tells whether the index is the current one.
fn sqlite_objects(meta: &ModelMeta) -> Option<Vec<(String, String)>> {
    let pk = meta.pk_field();
    // FTS5's `content_rowid` must be the table's integer key.
    if pk.kind != FieldKind::Integer {
        return None;
    }
    let name = index_name(meta);
    let idx = ident(&name);
    let table = ident(meta.slug);
    let fields: Vec<&str> = indexed_fields(meta).iter().map(|&i| meta.fields[i].column).collect();
    let cols = fields.iter().map(|f| ident(f)).collect::<Vec<_>>().join(", ");
    let values = |row: &str| {
        std::iter::once(format!("{row}.{}", ident(pk.column)))
            .chain(fields.iter().map(|f| format!("{row}.{}", ident(f))))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let insert = format!("INSERT INTO {idx}(rowid, {cols}) VALUES ({});", values("new"));
    let delete = format!("INSERT INTO {idx}({idx}, rowid, {cols}) VALUES ('delete', {});", values("old"));
    let watched =
        fields.iter().copied().chain(std::iter::once(pk.column)).map(ident).collect::<Vec<_>>().join(", ");
    Some(vec![
        (
            name.clone(),
            format!(
                "CREATE VIRTUAL TABLE {idx} USING fts5({cols}, content={}, content_rowid={}, tokenize='trigram', detail=none)",
                literal(meta.slug),
                literal(pk.column)
            ),
        ),
        (
            format!("{name}_ai"),
            format!(
                "CREATE TRIGGER {} AFTER INSERT ON {table} BEGIN {insert} END",
                ident(&format!("{name}_ai"))
            ),
        ),
        (
            format!("{name}_ad"),
            format!(
                "CREATE TRIGGER {} AFTER DELETE ON {table} BEGIN {delete} END",
                ident(&format!("{name}_ad"))
            ),
        ),
        (
            format!("{name}_au"),
            format!(
                "CREATE TRIGGER {} AFTER UPDATE OF {watched} ON {table} BEGIN {delete} {insert} END",
                ident(&format!("{name}_au"))
            ),
        ),
    ])
}

async fn ensure_sqlite(db: &DatabaseConnection, meta: &'static ModelMeta) -> Result<Option<Ensured>> {
    let Some(objects) = sqlite_objects(meta) else {
        tracing::warn!(
            model = meta.slug,
            "no search index: its primary key is not an integer; searches scan the table"
        );
        return Ok(None);
    };
    let name = index_name(meta);
    let current = sqlite_current(db, &objects).await?;
    // Missing, or made for other search fields: build it afresh, in one
    // transaction, so a crash halfway leaves the old state. Another instance may
    // have built it while this one waited for the transaction: check again inside.
    let txn = if current { None } else { Some(begin_startup(db).await?) };
    if let Some(txn) = txn {
        if sqlite_current(&txn, &objects).await? {
            txn.commit().await?;
            return Ok(Some(Ensured { model: meta.slug, index: name, created: false }));
        }
        for (n, _) in objects.iter().skip(1) {
            txn.execute_unprepared(&format!("DROP TRIGGER IF EXISTS {}", ident(n))).await?;
        }
        txn.execute_unprepared(&format!("DROP TABLE IF EXISTS {}", ident(&name))).await?;
        for (_, sql) in &objects {
            txn.execute_unprepared(sql).await?;
        }
        txn.execute_unprepared(&format!("INSERT INTO {0}({0}) VALUES ('rebuild')", ident(&name))).await?;
        txn.commit().await?;
    }
    Ok(Some(Ensured { model: meta.slug, index: name, created: !current }))
}

/// The text PostgreSQL's trigram index holds for a row: the indexed fields joined,
/// lower-cased, kept to `a`–`z` and `0`–`9`. `table` qualifies the columns (in
/// queries); the index is written without it, and the planner matches the two.
fn pg_document(meta: &ModelMeta, table: Option<&str>) -> String {
    let prefix = table.map(|t| format!("{}.", ident(t))).unwrap_or_default();
    let parts: Vec<String> = indexed_fields(meta)
        .iter()
        .map(|&i| format!("coalesce({prefix}{}, '')", ident(meta.fields[i].column)))
        .collect();
    format!("regexp_replace(lower({}), '[^a-z0-9]+', '', 'g')", parts.join(" || "))
}

/// A (lower-cased) search term kept to the characters [`pg_document`] keeps.
fn pg_term(term: &str) -> String {
    term.chars().filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit()).collect()
}

/// The PostgreSQL index's name: `admin_search_{table}_` and a tag of its
/// expression, so a change of search fields makes a new index.
fn pg_index_name(meta: &ModelMeta) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(pg_document(meta, None).as_bytes());
    let tag = hex::encode(&digest[..4]);
    format!("{}_{tag}", index_name(meta))
}

/// Whether the FTS5 table and its triggers are there, as `objects` describes them.
async fn sqlite_current<C: ConnectionTrait>(conn: &C, objects: &[(String, String)]) -> Result<bool> {
    let names = objects.iter().map(|(n, _)| literal(n)).collect::<Vec<_>>().join(", ");
    let found: HashSet<(String, String)> = conn
        .query_all_raw(Statement::from_string(
            DbBackend::Sqlite,
            format!("SELECT name, sql FROM sqlite_master WHERE name IN ({names})"),
        ))
        .await?
        .iter()
        .filter_map(|r| Some((r.try_get_by_index(0).ok()?, r.try_get_by_index(1).ok()?)))
        .collect();
    Ok(objects.iter().all(|o| found.contains(o)))
}

async fn ensure_postgres(db: &DatabaseConnection, meta: &'static ModelMeta) -> Result<Option<Ensured>> {
    // Instances starting together take turns (`begin_startup`): one creates, the
    // others find the index in place.
    let txn = begin_startup(db).await?;
    if let Err(e) = txn.execute_unprepared("CREATE EXTENSION IF NOT EXISTS pg_trgm").await {
        txn.rollback().await.ok();
        // Without the extension, searches still work; they scan the table.
        tracing::warn!(error = %e, "cannot create the pg_trgm extension; searches will scan the table");
        return Ok(None);
    }
    let name = pg_index_name(meta);
    let prefix = format!("{}_", index_name(meta));
    let ours: Vec<String> = txn
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND tablename = $1 \
             AND left(indexname, length($2)) = $2",
            [meta.slug.into(), prefix.into()],
        ))
        .await?
        .iter()
        .filter_map(|r| r.try_get_by_index::<String>(0).ok())
        .collect();
    let created = !ours.contains(&name);
    if created {
        txn.execute_unprepared(&format!(
            "CREATE INDEX IF NOT EXISTS {} ON {} USING gin (({}) gin_trgm_ops)",
            ident(&name),
            ident(meta.slug),
            pg_document(meta, None)
        ))
        .await?;
    }
    // Indexes of earlier search fields (or one per field, as versions before 0.2
    // made) only slow writes down now.
    for stale in ours.iter().filter(|n| **n != name) {
        txn.execute_unprepared(&format!("DROP INDEX IF EXISTS {}", ident(stale))).await?;
    }
    txn.commit().await?;
    Ok(Some(Ensured { model: meta.slug, index: name, created }))
}

/// Whether `db` has the model's search index as [`ensure`] makes it (on SQLite
/// the FTS5 table and its triggers for the current search fields, on PostgreSQL
/// the GIN index over them). Searches use the index only where this holds.
///
/// # Errors
/// `Db` when the database cannot be asked.
pub async fn present(db: &impl ConnectionTrait, meta: &ModelMeta) -> Result<bool> {
    if indexed_fields(meta).is_empty() {
        return Ok(false);
    }
    match db.get_database_backend() {
        DbBackend::Sqlite => match sqlite_objects(meta) {
            Some(objects) => sqlite_current(db, &objects).await,
            None => Ok(false),
        },
        DbBackend::Postgres => Ok(db
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT 1 FROM pg_indexes WHERE schemaname = current_schema() AND tablename = $1 \
                 AND indexname = $2",
                [meta.slug.into(), pg_index_name(meta).into()],
            ))
            .await?
            .is_some()),
        _ => Ok(false),
    }
}

/// The FTS5 query for a (lower-cased) term: some of its trigrams, quoted, all
/// required. `None` for terms under three characters, which have no trigram.
///
/// Each trigram makes FTS5 read the list of rows that contain it, so the query
/// takes the first and the last (they overlap least), and for long terms a few
/// between: the candidates they leave are checked by the `LIKE` anyway.
#[must_use]
pub fn trigram_query(term: &str) -> Option<String> {
    let chars: Vec<char> = term.chars().collect();
    if chars.len() < 3 || chars.contains(&'\0') {
        return None;
    }
    let mut seen = HashSet::new();
    let all: Vec<String> =
        chars.windows(3).map(|w| w.iter().collect::<String>()).filter(|t| seen.insert(t.clone())).collect();
    let last = all.len() - 1;
    // One more trigram between for every six characters, up to two.
    let between = (all.len() / 6).min(2);
    let mut picked: Vec<usize> = vec![0];
    picked.extend((1..=between).map(|k| k * last / (between + 1)));
    picked.push(last);
    picked.dedup();
    Some(
        picked
            .iter()
            .map(|&i| format!("\"{}\"", all[i].replace('"', "\"\"")))
            .collect::<Vec<_>>()
            .join(" AND "),
    )
}

/// The condition that narrows a search to the index's candidates, when the term is
/// long enough: to be added to the `LIKE` condition, never to replace it, and only
/// where the index is in place ([`present`]). `fields` are the fields searched
/// (those the user may see); the candidates are the rows with the term's trigrams
/// in any indexed field, a superset of the rows the `LIKE` then keeps (`detail=none`
/// indexes cannot be asked about one column, and need not be).
#[must_use]
pub fn candidates(backend: DbBackend, meta: &ModelMeta, fields: &[usize], term: &str) -> Option<SimpleExpr> {
    if fields.is_empty() {
        return None;
    }
    let indexed = indexed_fields(meta);
    // A field outside the index (not text) could hold the match: no narrowing.
    if !fields.iter().all(|f| indexed.contains(f)) {
        return None;
    }
    match backend {
        DbBackend::Sqlite => {}
        // Wherever one field contains the term, the joined text kept to letters
        // and digits contains the term kept to them. Under three such characters
        // there is no trigram to look up. Letters and digits need no `LIKE` escape.
        DbBackend::Postgres => {
            let kept = pg_term(term);
            if kept.len() < 3 {
                return None;
            }
            // sea-query numbers PostgreSQL's placeholders: `$1` is this value.
            let sql = format!("{} LIKE $1", pg_document(meta, Some(meta.slug)));
            return Some(Expr::cust_with_values(sql, [format!("%{kept}%")]));
        }
        _ => return None,
    }
    let query = trigram_query(term)?;
    let name = ident(&index_name(meta));
    let sql = format!(
        "{}.{} IN (SELECT rowid FROM {name} WHERE {name} MATCH ?)",
        ident(meta.slug),
        ident(meta.pk_field().column)
    );
    Some(Expr::cust_with_values(sql, [query]))
}

#[cfg(test)]
mod tests {
    use super::trigram_query;

    #[test]
    fn postgres_terms_keep_letters_and_digits_as_the_index_does() {
        assert_eq!(super::pg_term("acme-42"), "acme42");
        assert_eq!(super::pg_term("user1@acme.example"), "user1acmeexample");
        assert_eq!(super::pg_term("50%_off\\"), "50off");
        assert_eq!(super::pg_term("é-ü"), "");
    }

    #[test]
    fn terms_become_quoted_trigrams() {
        assert_eq!(trigram_query("ab"), None);
        assert_eq!(trigram_query("acme-42").as_deref(), Some("\"acm\" AND \"-42\""));
        assert_eq!(trigram_query("acme").as_deref(), Some("\"acm\" AND \"cme\""));
        assert_eq!(trigram_query("abc").as_deref(), Some("\"abc\""));
        assert_eq!(trigram_query("acme-42-ltd").as_deref(), Some("\"acm\" AND \"-42\" AND \"ltd\""));
        assert_eq!(trigram_query("a\"b").as_deref(), Some("\"a\"\"b\""));
        assert_eq!(trigram_query("aaaa").as_deref(), Some("\"aaa\""));
        let long = "x".repeat(10) + &"abcdefghijklmnopqrstuvwxyz".repeat(2);
        let q = trigram_query(&long).unwrap();
        // The first and the last distinct trigram, and two between.
        assert!(q.starts_with("\"xxx\"") && q.ends_with("\"zab\""), "{q}");
        assert_eq!(q.matches(" AND ").count(), 3, "{q}");
    }
}
