//! SQL helpers every layer above uses: pages with literal `LIMIT`s, capped counts,
//! `LIKE` escaping.

use sea_orm::sea_query::Expr;
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait, QuerySelect, QueryTrait, Select, Statement};

use crate::kernel::error::Result;

/// Runs `select` with `LIMIT` and `OFFSET` written into the SQL as numbers.
///
/// SQLite re-prepares a statement whose `LIMIT` is a bound parameter every time it
/// is bound (the planner may use the number), which costs more than the query on a
/// list page; a literal keeps the prepared statement cached and reused.
///
/// # Errors
/// `Db` when the database fails.
pub async fn all_limited<E: EntityTrait>(
    db: &impl ConnectionTrait,
    select: Select<E>,
    limit: u64,
    offset: u64,
) -> Result<Vec<E::Model>> {
    let backend = db.get_database_backend();
    let stmt = select.build(backend);
    let sql = if offset > 0 {
        format!("{} LIMIT {limit} OFFSET {offset}", stmt.sql)
    } else {
        format!("{} LIMIT {limit}", stmt.sql)
    };
    let raw = Statement::from_sql_and_values(backend, sql, stmt.values.map(|v| v.0).unwrap_or_default());
    Ok(E::find().from_raw_sql(raw).all(db).await?)
}

/// Counts the rows of `select`, stopping at `cap`.
///
/// # Errors
/// `Db` when the database fails.
pub async fn count_capped<E: EntityTrait>(
    db: &DatabaseConnection,
    select: &Select<E>,
    cap: u64,
) -> Result<u64> {
    let inner = select.clone().select_only().expr(Expr::val(1));
    let backend = db.get_database_backend();
    let stmt = inner.build(backend);
    // The cap is a literal: see `all_limited`.
    let sql = format!("SELECT COUNT(*) FROM ({} LIMIT {cap}) AS admin_c", stmt.sql);
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            sql,
            stmt.values.map(|v| v.0).unwrap_or_default(),
        ))
        .await?;
    let n: i64 = row.map(|r| r.try_get_by_index(0)).transpose()?.unwrap_or(0);
    Ok(u64::try_from(n).unwrap_or(0))
}

/// Escapes `%`, `_` and `\` for a `LIKE … ESCAPE '\'` pattern.
#[must_use]
pub fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
