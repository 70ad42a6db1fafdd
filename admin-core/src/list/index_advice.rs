//! Index advice: the list filters and sorts that no index serves.
//!
//! A list filtered or sorted by a column without an index reads the whole table
//! on every view. [`advise`] looks at every registered model's filters and
//! sortable columns (the listed ones, and the default ordering) and at the
//! database's indexes, and names each column that is not the first column of some
//! index, with the `CREATE INDEX` statement that would serve it. Applications log
//! it at start-up ([`warn`]) and show it on demand (the reference console's
//! `ops-console check`).

use std::collections::BTreeSet;

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};

use crate::kernel::error::Result;
use crate::kernel::model::ModelMeta;

/// One column a list uses without an index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Advice {
    /// The model's slug (its table).
    pub model: &'static str,
    /// The column's name in the database.
    pub field: &'static str,
    /// How lists use it: "filter", "sort" or "filter and sort".
    pub usage: &'static str,
    /// The statement that adds the index.
    pub create_index: String,
}

impl std::fmt::Display for Advice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}.{} is used to {} lists but has no index; to add one, run: {}",
            self.model, self.field, self.usage, self.create_index
        )
    }
}

/// The columns each list filters or sorts by, in field order, with their usage.
fn used_columns(meta: &ModelMeta) -> Vec<(usize, &'static str)> {
    let filters: BTreeSet<usize> = meta.filters.iter().copied().collect();
    let sorts: BTreeSet<usize> =
        meta.list_display.iter().copied().chain(meta.ordering.iter().map(|(i, _)| *i)).collect();
    filters
        .union(&sorts)
        .map(|&i| {
            let usage = match (filters.contains(&i), sorts.contains(&i)) {
                (true, true) => "filter and sort",
                (true, false) => "filter",
                _ => "sort",
            };
            (i, usage)
        })
        .collect()
}

/// The columns that lead some index of `table` (and the primary key).
async fn leading_columns(db: &DatabaseConnection, table: &str) -> Result<BTreeSet<String>> {
    let backend = db.get_database_backend();
    let stmt = match backend {
        DbBackend::Sqlite => Statement::from_sql_and_values(
            backend,
            "SELECT ii.name FROM pragma_index_list(?1) AS il, pragma_index_info(il.name) AS ii \
             WHERE ii.seqno = 0 \
             UNION SELECT name FROM pragma_table_info(?1) WHERE pk = 1",
            [table.into()],
        ),
        DbBackend::Postgres => Statement::from_sql_and_values(
            backend,
            "SELECT a.attname::text FROM pg_index i \
             JOIN pg_class c ON c.oid = i.indrelid \
             JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = current_schema() \
             JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0] \
             WHERE c.relname = $1",
            [table.into()],
        ),
        _ => return Ok(BTreeSet::new()),
    };
    Ok(db.query_all_raw(stmt).await?.iter().filter_map(|r| r.try_get_by_index::<String>(0).ok()).collect())
}

/// Every filter and sort of every registered model that no index serves.
///
/// A column counts as indexed when it is the first column of an index (or the
/// primary key); a table that does not exist yet is skipped.
///
/// # Errors
/// `Db` when the database cannot be asked about its indexes.
pub async fn advise(db: &DatabaseConnection, models: &[&ModelMeta]) -> Result<Vec<Advice>> {
    let mut out = Vec::new();
    for &meta in models {
        let indexed = leading_columns(db, meta.slug).await?;
        if indexed.is_empty() {
            continue;
        }
        for (i, usage) in used_columns(meta) {
            let field = meta.fields[i].column;
            if indexed.contains(field) {
                continue;
            }
            out.push(Advice {
                model: meta.slug,
                field,
                usage,
                create_index: format!("CREATE INDEX {0}_{1}_idx ON {0} ({1});", meta.slug, field),
            });
        }
    }
    Ok(out)
}

/// Logs one warning per column [`advise`] finds, for start-up.
///
/// # Errors
/// As [`advise`].
pub async fn warn(db: &DatabaseConnection, models: &[&ModelMeta]) -> Result<Vec<Advice>> {
    let advice = advise(db, models).await?;
    for a in &advice {
        tracing::warn!(model = a.model, column = a.field, "{a}");
    }
    Ok(advice)
}
