//! One page of a model's list: counted as [`crate::list::count`] explains, read with
//! `OFFSET` near the top and by seeking deeper down ([`crate::list::seek`]).

use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, Order, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, QueryTrait, Select, Statement, Value,
};

use super::EntityAdmin;
use crate::db::sql::all_limited;
use crate::kernel::error::Result;
use crate::kernel::field::FieldKind;
use crate::kernel::model::{AdminModel, EntityOf};
use crate::list::count::Count;
use crate::list::query::{Cursor, ListQuery, ListResult};
use crate::list::seek::{self, Anchors, From, SortKey};

impl<M> EntityAdmin<M>
where
    M: AdminModel,
    EntityOf<M>: EntityTrait<Model = M>,
{
    /// The list's order: the chosen sort (or the model's ordering), then the
    /// primary key, descending, unless it is sorted by already.
    pub(super) fn order_keys(query: &ListQuery) -> Vec<(usize, bool)> {
        let meta = M::meta();
        let mut keys: Vec<(usize, bool)> = match query.sort {
            Some(s) => vec![s],
            None => meta.ordering.to_vec(),
        };
        if let Some(i) = keys.iter().position(|(f, _)| *f == meta.pk) {
            // Nothing after a unique key changes the order.
            keys.truncate(i + 1);
        } else {
            keys.push((meta.pk, true));
        }
        keys
    }

    pub(super) fn apply_order(
        &self,
        mut select: Select<EntityOf<M>>,
        keys: &[(usize, bool)],
        reverse: bool,
    ) -> Select<EntityOf<M>> {
        for &(i, desc) in keys {
            select = select.order_by(self.columns[i], if desc != reverse { Order::Desc } else { Order::Asc });
        }
        select
    }

    /// Whether the order can be sought by key: no column in it may be `NULL`, and
    /// every one is a plain value the backends compare alike (a decimal needs its
    /// declared scale: see [`exact_key`]).
    fn seekable(keys: &[(usize, bool)]) -> bool {
        let meta = M::meta();
        keys.iter().all(|&(i, _)| {
            let f = &meta.fields[i];
            !f.nullable
                && f.kind != FieldKind::Choice
                && (f.kind != FieldKind::Decimal || f.decimal_digits.is_some())
        })
    }

    fn sort_keys(&self, keys: &[(usize, bool)]) -> Vec<SortKey> {
        keys.iter().map(|&(i, desc)| SortKey { expr: Expr::col(self.columns[i]), desc }).collect()
    }

    fn key_of(&self, m: &M, keys: &[(usize, bool)]) -> Vec<Value> {
        keys.iter().map(|&(i, _)| exact_key(&M::meta().fields[i], m.get(self.columns[i]))).collect()
    }

    /// The text that identifies a list (its filtered query and its order), for
    /// remembering estimates and anchors.
    fn list_key(backend: DbBackend, filtered: &Select<EntityOf<M>>, keys: &[(usize, bool)]) -> String {
        let stmt = filtered.clone().build(backend);
        format!("{}|{:?}|{keys:?}", stmt.sql, stmt.values)
    }

    /// One page of the list for `query`.
    pub(super) async fn list_page(&self, db: &DatabaseConnection, query: &ListQuery) -> Result<ListResult> {
        let meta = M::meta();
        let backend = db.get_database_backend();
        let per_page = meta.per_page;
        let tuning = &query.tuning;
        let indexed = query.q.is_some() && self.search_indexed(db).await?;
        let filtered = self.filtered(backend, query, indexed);
        let keys = Self::order_keys(query);
        if indexed && let Some(found) = self.indexed_search_page(db, &filtered, &keys, query).await? {
            return Ok(found);
        }
        let list = Self::list_key(backend, &filtered, &keys);
        let count = self.count(db, &filtered, query, &list).await?;
        let mut page = query.page;
        if count.is_exact() {
            page = page.min(count.value().div_ceil(per_page).max(1));
        }
        let seekable = Self::seekable(&keys);
        let mut fetched = None;
        if seekable && let Some(cursor) = &query.cursor {
            fetched = self.page_from_cursor(db, &filtered, &keys, cursor, per_page).await?;
        }
        let (mut rows, mut has_next) = match fetched {
            Some(found) => found,
            None => self.at_page(db, &filtered, &keys, &list, page, query).await?,
        };
        if rows.is_empty() && page > 1 {
            // Past the end of an estimated list: find the real last page.
            let total = filtered.clone().count(db).await?;
            page = page.min(total.div_ceil(per_page).max(1));
            (rows, has_next) = self.at_page(db, &filtered, &keys, &list, page, query).await?;
        }
        let deep = seekable && crate::list::query::page_offset(page, per_page) > tuning.offset_limit;
        Ok(ListResult {
            rows: rows.iter().map(Self::record).collect(),
            count,
            page,
            per_page,
            has_next,
            deep,
        })
    }

    /// The newest `limit` rows within `scope` with `field = value`.
    pub(super) async fn rows_where(
        &self,
        db: &DatabaseConnection,
        (field, value): (usize, Value),
        limit: u64,
        scope: &crate::access::scope::RowScope,
    ) -> Result<Vec<crate::kernel::record::Record>> {
        let meta = M::meta();
        let select = Self::scoped(EntityOf::<M>::find(), scope)
            .filter(self.columns[field].eq(value))
            .order_by(self.columns[meta.pk], Order::Desc);
        let rows = all_limited(db, select, limit, 0).await?;
        Ok(rows.iter().map(Self::record).collect())
    }

    /// The records with these keys within `scope`, in one query.
    pub(super) async fn rows_by_keys(
        &self,
        db: &DatabaseConnection,
        scope: &crate::access::scope::RowScope,
        keys: &[String],
    ) -> Result<Vec<crate::kernel::record::Record>> {
        let values: Vec<Value> = keys.iter().filter_map(|k| self.pk_value(k)).collect();
        if values.is_empty() {
            return Ok(Vec::new());
        }
        let select = EntityOf::<M>::find().filter(self.columns[M::meta().pk].is_in(values));
        let rows = Self::scoped(select, scope).all(db).await?;
        Ok(rows.iter().map(Self::record).collect())
    }

    /// Which of `keys` exist within `scope`, 500 keys a statement.
    pub(super) async fn keys_existing(
        &self,
        db: &DatabaseConnection,
        keys: &[String],
        scope: &crate::access::scope::RowScope,
    ) -> Result<std::collections::HashSet<String>> {
        let pk = M::meta().pk;
        let values: Vec<Value> = keys.iter().filter_map(|k| self.pk_value(k)).collect();
        let mut out = std::collections::HashSet::new();
        // Chunks keep the statement's parameter count within every database's limit.
        for chunk in values.chunks(500) {
            let select = EntityOf::<M>::find().filter(self.columns[pk].is_in(chunk.to_vec()));
            let rows = Self::scoped(select, scope).all(db).await?;
            out.extend(rows.iter().map(|m| m.cell(pk).form_value()));
        }
        Ok(out)
    }

    /// The page of an export after `from`: sought by the last row's sort key when
    /// the order allows ([`Self::seekable`]), else skipped to by `OFFSET`.
    pub(super) async fn export_after(
        &self,
        db: &impl sea_orm::ConnectionTrait,
        query: &ListQuery,
        from: &super::ExportPosition,
        limit: u64,
    ) -> Result<(Vec<crate::kernel::record::Record>, super::ExportPosition)> {
        let indexed = query.q.is_some() && self.search_indexed(db).await?;
        let mut filtered = self.filtered(db.get_database_backend(), query, indexed);
        let keys = Self::order_keys(query);
        let seekable = Self::seekable(&keys);
        let mut offset = from.read;
        if seekable {
            offset = 0;
            if let Some(key) = &from.seek {
                filtered = filtered.filter(seek::condition(&self.sort_keys(&keys), key, From::After));
            }
        }
        let rows = all_limited(db, self.apply_order(filtered, &keys, false), limit, offset).await?;
        let next = super::ExportPosition {
            seek: rows
                .last()
                .filter(|_| seekable)
                .map(|m| self.key_of(m, &keys))
                .or_else(|| from.seek.clone()),
            read: from.read + rows.len() as u64,
        };
        Ok((rows.iter().map(Self::record).collect(), next))
    }

    /// `ORDER BY` text for the list's order, with quoted column names.
    fn order_sql(keys: &[(usize, bool)]) -> String {
        let meta = M::meta();
        keys.iter()
            .map(|&(i, desc)| {
                format!(
                    "\"{}\".\"{}\" {}",
                    meta.slug,
                    meta.fields[i].column,
                    if desc { "DESC" } else { "ASC" }
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// A search through the n-gram index reads the index once: one
    /// statement counts the matches (up to the limit) and picks the page's keys,
    /// a second reads those rows by key. `None` when this does not apply (no
    /// index, a deep page, an exact count asked for) or the matches pass the
    /// limit; the general path then takes over.
    async fn indexed_search_page(
        &self,
        db: &DatabaseConnection,
        filtered: &Select<EntityOf<M>>,
        keys: &[(usize, bool)],
        query: &ListQuery,
    ) -> Result<Option<ListResult>> {
        let meta = M::meta();
        let backend = db.get_database_backend();
        let per_page = meta.per_page;
        let limit = query.tuning.exact_count_limit;
        let offset = crate::list::query::page_offset(query.page, per_page);
        let indexed = query.q.as_ref().is_some_and(|q| {
            crate::list::search_index::candidates(backend, meta, &query.search, &q.to_lowercase()).is_some()
        });
        let integer_key = meta.pk_field().kind == FieldKind::Integer;
        if !indexed || !integer_key || query.exact || query.cursor.is_some() || offset + per_page >= limit {
            return Ok(None);
        }
        let page_ids = format!(
            "CASE WHEN admin_rn > {offset} AND admin_rn <= {} THEN admin_id END",
            offset + per_page + 1
        );
        let page_ids = match backend {
            DbBackend::Postgres => format!("string_agg(CAST({page_ids} AS TEXT), ',')"),
            _ => format!("group_concat({page_ids})"),
        };
        let pk = self.columns[meta.pk];
        let inner = filtered
            .clone()
            .select_only()
            .column_as(pk, "admin_id")
            .expr_as(
                Expr::cust(format!("ROW_NUMBER() OVER (ORDER BY {})", Self::order_sql(keys))),
                "admin_rn",
            )
            .build(backend);
        let sql = format!("SELECT COUNT(*), {page_ids} FROM ({} LIMIT {}) AS admin_c", inner.sql, limit + 1);
        let stmt =
            Statement::from_sql_and_values(backend, sql, inner.values.map(|v| v.0).unwrap_or_default());
        let Some(row) = db.query_one_raw(stmt).await? else { return Ok(None) };
        let n = u64::try_from(row.try_get_by_index::<i64>(0)?).unwrap_or(0);
        let ids: Option<String> = row.try_get_by_index(1)?;
        let pages = n.div_ceil(per_page).max(1);
        if n > limit || query.page > pages {
            return Ok(None);
        }
        let ids: Vec<i64> = ids.iter().flat_map(|s| s.split(',')).filter_map(|k| k.parse().ok()).collect();
        let mut rows = if ids.is_empty() {
            Vec::new()
        } else {
            self.apply_order(EntityOf::<M>::find().filter(pk.is_in(ids)), keys, false).all(db).await?
        };
        let has_next = rows.len() as u64 > per_page;
        rows.truncate(usize::try_from(per_page).unwrap_or(usize::MAX));
        Ok(Some(ListResult {
            rows: rows.iter().map(Self::record).collect(),
            count: Count::Exact(n),
            page: query.page,
            per_page,
            has_next,
            deep: false,
        }))
    }

    /// The rows of page `page` (1-based) and whether more follow.
    async fn at_page(
        &self,
        db: &DatabaseConnection,
        filtered: &Select<EntityOf<M>>,
        keys: &[(usize, bool)],
        list: &str,
        page: u64,
        query: &ListQuery,
    ) -> Result<(Vec<M>, bool)> {
        let per_page = M::meta().per_page;
        let tuning = &query.tuning;
        let offset = crate::list::query::page_offset(page, per_page);
        let ordered = self.apply_order(filtered.clone(), keys, false);
        let (select, skip) = if offset <= tuning.offset_limit || !Self::seekable(keys) {
            (ordered, offset)
        } else {
            let anchors = match self.cache.anchors(list, tuning.anchor_ttl) {
                Some(a) => a,
                None => {
                    let gate = self.cache.gate(list);
                    let _one_at_a_time = gate.lock().await;
                    match self.cache.anchors(list, tuning.anchor_ttl) {
                        Some(a) => a,
                        None => {
                            let a = self.anchors(db, filtered, keys, tuning.anchor_stride).await?;
                            self.cache.set_anchors(list, a.clone());
                            a
                        }
                    }
                }
            };
            let Some((key, skip)) = anchors.locate(offset) else {
                return Ok((Vec::new(), false));
            };
            (ordered.filter(seek::condition(&self.sort_keys(keys), key, From::AtOrAfter)), skip)
        };
        let mut rows = all_limited(db, select, per_page + 1, skip).await?;
        let has_next = rows.len() as u64 > per_page;
        rows.truncate(usize::try_from(per_page).unwrap_or(usize::MAX));
        Ok((rows, has_next))
    }

    /// The page after or before the cursor's row; `None` when that row is gone.
    async fn page_from_cursor(
        &self,
        db: &DatabaseConnection,
        filtered: &Select<EntityOf<M>>,
        keys: &[(usize, bool)],
        cursor: &Cursor,
        per_page: u64,
    ) -> Result<Option<(Vec<M>, bool)>> {
        let (key, from) = match cursor {
            Cursor::After(k) => (k, From::After),
            Cursor::Before(k) => (k, From::Before),
        };
        let Some(pk) = self.pk_value(key) else { return Ok(None) };
        // The cursor's row must be one the caller sees: another's says nothing.
        let found = filtered.clone().filter(self.columns[M::meta().pk].eq(pk)).all(db).await?;
        let Some(row) = found.into_iter().next() else {
            return Ok(None);
        };
        let cond = seek::condition(&self.sort_keys(keys), &self.key_of(&row, keys), from);
        let select = self.apply_order(filtered.clone().filter(cond), keys, from == From::Before);
        let mut rows = all_limited(db, select, per_page + 1, 0).await?;
        let more = rows.len() as u64 > per_page;
        rows.truncate(usize::try_from(per_page).unwrap_or(usize::MAX));
        if rows.is_empty() {
            return Ok(None);
        }
        Ok(Some(if from == From::Before {
            rows.reverse();
            // The cursor's row follows this page.
            (rows, true)
        } else {
            (rows, more)
        }))
    }

    /// Takes the anchors of a list: the keys of every `stride`-th row, found by
    /// the database in one pass over the list's keys.
    async fn anchors(
        &self,
        db: &DatabaseConnection,
        filtered: &Select<EntityOf<M>>,
        keys: &[(usize, bool)],
        stride: u64,
    ) -> Result<Anchors> {
        let meta = M::meta();
        // Taken before the rows are read: a write committed meanwhile outdates them.
        let generation = self.cache.generation();
        let backend = db.get_database_backend();
        let order = Self::order_sql(keys);
        let mut inner = filtered.clone().select_only();
        for (n, &(i, _)) in keys.iter().enumerate() {
            inner = inner.column_as(self.columns[i], format!("admin_k{n}"));
        }
        let inner = inner
            .expr_as(Expr::cust(format!("ROW_NUMBER() OVER (ORDER BY {order})")), "admin_rn")
            .build(backend);
        let sql = format!(
            "SELECT * FROM ({}) AS admin_s WHERE (admin_rn - 1) % {stride} = 0 ORDER BY admin_rn",
            inner.sql
        );
        let stmt =
            Statement::from_sql_and_values(backend, sql, inner.values.map(|v| v.0).unwrap_or_default());
        let rows = db.query_all_raw(stmt).await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            let key = keys
                .iter()
                .enumerate()
                .map(|(n, &(i, _))| {
                    key_value(row, &format!("admin_k{n}"), meta.fields[i].kind)
                        .map(|v| exact_key(&meta.fields[i], v))
                })
                .collect::<std::result::Result<Vec<_>, _>>()?;
            out.push(key);
        }
        Ok(Anchors::new(out, stride, generation))
    }
}

/// A key value as the database compares it with the stored one. SQLite hands a
/// decimal back as a binary float, which sea-orm turns into a decimal that may
/// differ in its last digits; rounded to the column's scale it is the stored value
/// again, and compares equal to it.
fn exact_key(field: &crate::kernel::model::FieldMeta, v: Value) -> Value {
    match (v, field.decimal_digits) {
        (Value::Decimal(Some(d)), Some((_, scale))) => {
            Value::Decimal(Some(crate::kernel::field::rescaled(d, scale)))
        }
        (v, _) => v,
    }
}

/// Reads one key column as the value sea-orm binds for its kind.
fn key_value(row: &sea_orm::QueryResult, col: &str, kind: FieldKind) -> Result<Value> {
    Ok(match kind {
        // Whatever the column's width, as the widest of its type.
        FieldKind::Integer => Value::from(
            row.try_get::<i64>("", col)
                .or_else(|_| row.try_get::<i32>("", col).map(i64::from))
                .or_else(|_| row.try_get::<i16>("", col).map(i64::from))?,
        ),
        FieldKind::Float => {
            Value::from(row.try_get::<f64>("", col).or_else(|_| row.try_get::<f32>("", col).map(f64::from))?)
        }
        FieldKind::Decimal => Value::from(row.try_get::<rust_decimal::Decimal>("", col)?),
        FieldKind::Boolean => Value::from(row.try_get::<bool>("", col)?),
        FieldKind::Date => Value::from(row.try_get::<chrono::NaiveDate>("", col)?),
        FieldKind::DateTime => Value::from(row.try_get::<chrono::NaiveDateTime>("", col)?),
        FieldKind::DateTimeUtc => Value::from(row.try_get::<chrono::DateTime<chrono::Utc>>("", col)?),
        FieldKind::Text | FieldKind::Choice => Value::from(row.try_get::<String>("", col)?),
    })
}
