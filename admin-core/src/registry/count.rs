//! How many rows a model's list has: exact when that is cheap, else estimated
//! (see [`crate::list::count`]).

use sea_orm::sea_query::{Condition, Expr, Func};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, PaginatorTrait, QueryFilter,
    QuerySelect, QueryTrait, Select, Statement,
};

use super::EntityAdmin;
use crate::db::sql::count_capped;
use crate::kernel::error::Result;
use crate::kernel::field::FieldKind;
use crate::kernel::model::{AdminModel, EntityOf};
use crate::list::count::Count;
use crate::list::query::ListQuery;

/// Windows of the key range an SQLite estimate samples.
const SAMPLE_WINDOWS: i64 = 32;
/// Most keys per sampled window.
const SAMPLE_WIDTH: i64 = 256;

impl<M> EntityAdmin<M>
where
    M: AdminModel,
    EntityOf<M>: EntityTrait<Model = M>,
{
    /// How many rows the list has, exactly when that is cheap (see [`crate::list::count`]).
    pub(super) async fn count(
        &self,
        db: &DatabaseConnection,
        filtered: &Select<EntityOf<M>>,
        query: &ListQuery,
        list: &str,
    ) -> Result<Count> {
        if query.exact {
            return Ok(Count::Exact(filtered.clone().count(db).await?));
        }
        let limit = query.tuning.exact_count_limit;
        if query.filters.is_empty() && query.q.is_none() {
            // The whole table: a big one is not counted at all.
            if let Some(Count::About(n)) = self.estimate(db, filtered, list, query).await?
                && n > limit.saturating_mul(2)
            {
                return Ok(Count::About(n));
            }
        }
        let counted = count_capped(db, filtered, limit + 1).await?;
        if counted <= limit {
            return Ok(Count::Exact(counted));
        }
        Ok(match self.estimate(db, filtered, list, query).await? {
            Some(Count::About(n)) => Count::About(n.max(limit + 1)),
            _ => Count::MoreThan(limit),
        })
    }

    /// An estimate of the list's size, remembered for a while.
    async fn estimate(
        &self,
        db: &DatabaseConnection,
        filtered: &Select<EntityOf<M>>,
        list: &str,
        query: &ListQuery,
    ) -> Result<Option<Count>> {
        if let Some(c) = self.cache.estimate(list, query.tuning.estimate_ttl) {
            return Ok(Some(c));
        }
        let n = match db.get_database_backend() {
            DbBackend::Postgres => planner_estimate(db, filtered).await?,
            DbBackend::Sqlite => self.sample_estimate(db, filtered).await?,
            _ => None,
        };
        let count = n.map(Count::About);
        if let Some(c) = count {
            self.cache.set_estimate(list, c);
        }
        Ok(count)
    }

    /// SQLite: the matching rows in evenly spaced windows of the primary key's
    /// range, scaled to the whole range. `None` without an integer key.
    async fn sample_estimate(
        &self,
        db: &DatabaseConnection,
        filtered: &Select<EntityOf<M>>,
    ) -> Result<Option<u64>> {
        let meta = M::meta();
        if meta.pk_field().kind != FieldKind::Integer {
            return Ok(None);
        }
        let pk = self.columns[meta.pk];
        let bound = |max: bool| {
            let e = Expr::col(pk);
            let f = if max { Func::max(e) } else { Func::min(e) };
            EntityOf::<M>::find().select_only().expr_as(f, "v").into_tuple::<Option<i64>>().one(db)
        };
        let (Some(Some(lo)), Some(Some(hi))) = (bound(false).await?, bound(true).await?) else {
            return Ok(Some(0));
        };
        let span = hi - lo + 1;
        let width = (span / SAMPLE_WINDOWS).clamp(1, SAMPLE_WIDTH);
        if span <= SAMPLE_WINDOWS * width {
            return Ok(Some(filtered.clone().count(db).await?));
        }
        let mut windows = Condition::any();
        for k in 0..SAMPLE_WINDOWS {
            let start = lo + k * (span - width) / (SAMPLE_WINDOWS - 1);
            windows = windows.add(pk.between(start, start + width - 1));
        }
        let found = filtered.clone().filter(windows).count(db).await?;
        let sampled = u64::try_from(SAMPLE_WINDOWS * width).unwrap_or(1);
        let span = u64::try_from(span).unwrap_or(0);
        Ok(Some(found.saturating_mul(span) / sampled))
    }
}

/// PostgreSQL: the planner's row estimate for the query (from `ANALYZE`'s statistics).
async fn planner_estimate<E: EntityTrait>(
    db: &DatabaseConnection,
    select: &Select<E>,
) -> Result<Option<u64>> {
    let stmt = select.clone().build(DbBackend::Postgres);
    let sql = format!("EXPLAIN (FORMAT JSON) {}", stmt.sql);
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            sql,
            stmt.values.map(|v| v.0).unwrap_or_default(),
        ))
        .await?;
    let Some(row) = row else { return Ok(None) };
    let plan: serde_json::Value = row.try_get_by_index(0)?;
    Ok(plan[0]["Plan"]["Plan Rows"].as_f64().map(|r| r.max(0.0) as u64))
}
