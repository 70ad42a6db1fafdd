//! The counters in `admin_limit_usage`: raised only while they stay within the cap,
//! in one statement, so two runs (in two instances) cannot both take the last slot.

use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::db::entities::limit_usage::{Column, Entity};
use crate::kernel::error::Result;

/// Today, the UTC day counters are kept for: `2026-12-06`.
pub(super) fn today() -> String {
    crate::kernel::clock::now().date().format("%Y-%m-%d").to_string()
}

/// One counter: whose, which limit, which day, which currency (empty for counts).
pub(super) struct Counter<'a> {
    pub staff_id: i64,
    pub key: &'a str,
    pub day: &'a str,
    pub currency: &'a str,
}

/// Adds `n` to the counter if the sum stays within `cap`: `Ok(Ok(()))`; otherwise
/// changes nothing and gives what was used already, `Ok(Err(used))`.
///
/// One `INSERT … ON CONFLICT DO UPDATE SET used = used + n WHERE used + n <= cap`:
/// on PostgreSQL a second transaction raising the same counter waits for the
/// first's row lock and then sees its sum; on SQLite the write transaction is
/// exclusive already.
pub(super) async fn bump<C: ConnectionTrait>(
    conn: &C,
    counter: &Counter<'_>,
    n: i64,
    cap: i64,
) -> Result<std::result::Result<(), i64>> {
    if n > cap {
        return Ok(Err(used(conn, counter).await?));
    }
    let sum = Expr::col((Entity, Column::Used)).add(n);
    let stmt = Query::insert()
        .into_table(Entity)
        .columns([Column::StaffId, Column::LimitKey, Column::Day, Column::Currency, Column::Used])
        .values_panic([
            counter.staff_id.into(),
            counter.key.into(),
            counter.day.into(),
            counter.currency.into(),
            n.into(),
        ])
        .on_conflict(
            OnConflict::columns([Column::StaffId, Column::LimitKey, Column::Day, Column::Currency])
                .value(Column::Used, sum.clone())
                .action_and_where(sum.lte(cap))
                .to_owned(),
        )
        .to_owned();
    if conn.execute(&stmt).await?.rows_affected() == 1 {
        Ok(Ok(()))
    } else {
        Ok(Err(used(conn, counter).await?))
    }
}

/// What the counter holds (0 when it does not exist yet).
pub(super) async fn used<C: ConnectionTrait>(conn: &C, counter: &Counter<'_>) -> Result<i64> {
    Ok(by_currency(conn, counter.staff_id, counter.key, counter.day)
        .await?
        .into_iter()
        .find(|(c, _)| c == counter.currency)
        .map_or(0, |(_, n)| n))
}

/// Every currency's counter of one limit on one day, by currency.
pub(super) async fn by_currency<C: ConnectionTrait>(
    conn: &C,
    staff_id: i64,
    key: &str,
    day: &str,
) -> Result<Vec<(String, i64)>> {
    let mut rows: Vec<(String, i64)> = Entity::find()
        .filter(Column::StaffId.eq(staff_id))
        .filter(Column::LimitKey.eq(key))
        .filter(Column::Day.eq(day))
        .all(conn)
        .await?
        .into_iter()
        .map(|m| (m.currency, m.used))
        .collect();
    rows.sort();
    Ok(rows)
}
