//! [`EntityAdmin`]: the bridge from a derived [`AdminModel`] to the object-safe
//! [`ModelAdmin`]: its reads and the operations of the trait.

use std::marker::PhantomData;
use std::sync::Arc;

use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};
use sea_orm::{
    ActiveModelBehavior, ColumnTrait, Condition, DatabaseConnection, DbBackend, EntityTrait, PaginatorTrait,
    QueryFilter, Select, Value,
};

use crate::access::permission::FieldAccess;
use crate::access::scope::RowScope;
use crate::audit;
use crate::db::txn::begin_write;
use crate::kernel::error::{Error, Result};
use crate::kernel::model::{ActiveModelOf, AdminModel, EntityOf, ModelMeta};
use crate::kernel::record::{FormData, Record};
use crate::list::query::{FilterOp, ListQuery, ListResult, ModelFields};

use crate::db::sql::{all_limited, count_capped, escape_like};

use super::ExportPosition;
use super::ModelAdmin;
use crate::kernel::{BoxFuture, Changes};

/// The bridge from a derived [`AdminModel`] to the object-safe [`ModelAdmin`].
pub struct EntityAdmin<M: AdminModel> {
    pub(super) columns: Vec<<EntityOf<M> as EntityTrait>::Column>,
    /// Estimates and page anchors of this model's lists.
    pub(super) cache: crate::list::seek::ListCache,
    /// Whether the database has the model's search index: `None` until asked.
    pub(super) search_index: std::sync::Mutex<Option<bool>>,
    _m: PhantomData<fn() -> M>,
}

impl<M> EntityAdmin<M>
where
    M: AdminModel,
    EntityOf<M>: EntityTrait<Model = M>,
{
    /// Resolves every field's column.
    ///
    /// # Panics
    /// If a field has no column of the same name; the derive only emits fields of
    /// the entity's `Model`, so this means the entity and its model disagree.
    #[must_use]
    pub fn new() -> Self {
        let columns = M::meta()
            .fields
            .iter()
            .map(|f| {
                f.name
                    .parse()
                    .unwrap_or_else(|_| panic!("model `{}` has no column `{}`", M::meta().slug, f.name))
            })
            .collect();
        Self {
            columns,
            cache: crate::list::seek::ListCache::default(),
            search_index: std::sync::Mutex::new(None),
            _m: PhantomData,
        }
    }

    /// Whether searches may narrow through the search index: it is in place in
    /// this instance's database (asked once, then remembered).
    pub(super) async fn search_indexed(&self, db: &impl sea_orm::ConnectionTrait) -> Result<bool> {
        if let Some(known) = self.search_index.lock().ok().and_then(|k| *k) {
            return Ok(known);
        }
        let present = crate::list::search_index::present(db, M::meta()).await?;
        if let Ok(mut known) = self.search_index.lock() {
            *known = Some(present);
        }
        Ok(present)
    }

    /// `select` narrowed to the rows of `scope`.
    pub(super) fn scoped(select: Select<EntityOf<M>>, scope: &RowScope) -> Select<EntityOf<M>> {
        match scope.condition() {
            Some(c) => select.filter(c),
            None => select,
        }
    }

    pub(super) fn record(m: &M) -> Record {
        let meta = M::meta();
        let cells: Vec<_> = (0..meta.fields.len()).map(|i| m.cell(i)).collect();
        let key = cells[meta.pk].form_value();
        Record::new(key, cells)
    }

    pub(super) fn pk_value(&self, key: &str) -> Option<Value> {
        M::parse_value(M::meta().pk, key).ok()
    }

    /// The rows `query` selects. `indexed`: the search index is in place and may
    /// narrow a search ([`Self::search_indexed`]).
    pub(super) fn filtered(
        &self,
        backend: DbBackend,
        query: &ListQuery,
        indexed: bool,
    ) -> Select<EntityOf<M>> {
        let mut select = Self::scoped(EntityOf::<M>::find(), &query.scope);
        for f in &query.filters {
            let col = self.columns[f.field];
            let cond = match f.op {
                FilterOp::Eq => col.eq(f.value.clone()),
                FilterOp::From => col.gte(f.value.clone()),
                FilterOp::Before => col.lt(f.value.clone()),
            };
            select = select.filter(cond);
        }
        if let Some(q) = &query.q {
            let term = q.to_lowercase();
            // The n-gram index narrows the rows; the LIKE below decides.
            if indexed
                && let Some(c) =
                    crate::list::search_index::candidates(backend, M::meta(), &query.search, &term)
            {
                select = select.filter(c);
            }
            let pattern = format!("%{}%", escape_like(&term));
            let mut any = Condition::any();
            for &i in &query.search {
                let col = self.columns[i];
                any = any.add(
                    Expr::expr(Func::lower(Expr::col(col.as_column_ref())))
                        .like(LikeExpr::new(pattern.clone()).escape('\\')),
                );
            }
            select = select.filter(any);
        }
        select
    }
}

impl<M> Default for EntityAdmin<M>
where
    M: AdminModel,
    EntityOf<M>: EntityTrait<Model = M>,
{
    fn default() -> Self {
        Self::new()
    }
}

impl<M> ModelFields for EntityAdmin<M>
where
    M: AdminModel,
    EntityOf<M>: EntityTrait<Model = M>,
    ActiveModelOf<M>: Send + Sync,
{
    fn meta(&self) -> &'static ModelMeta {
        M::meta()
    }

    fn parse_value(&self, field: usize, raw: &str) -> Result<Value, String> {
        M::parse_value(field, raw)
    }
}

impl<M> ModelAdmin for EntityAdmin<M>
where
    M: AdminModel,
    EntityOf<M>: EntityTrait<Model = M>,
    ActiveModelOf<M>: Send + Sync,
{
    fn list<'a>(
        &'a self,
        db: &'a DatabaseConnection,
        query: &'a ListQuery,
    ) -> BoxFuture<'a, Result<ListResult>> {
        Box::pin(self.list_page(db, query))
    }

    fn export<'a>(
        &'a self,
        db: &'a DatabaseConnection,
        query: &'a ListQuery,
        limit: u64,
    ) -> BoxFuture<'a, Result<Vec<Record>>> {
        Box::pin(async move {
            let indexed = query.q.is_some() && self.search_indexed(db).await?;
            let filtered = self.filtered(db.get_database_backend(), query, indexed);
            let rows = all_limited(db, self.apply_order(filtered, &Self::order_keys(query), false), limit, 0)
                .await?;
            Ok(rows.iter().map(Self::record).collect())
        })
    }

    fn export_page<'a>(
        &'a self,
        db: &'a DatabaseConnection,
        query: &'a ListQuery,
        from: &'a ExportPosition,
        limit: u64,
    ) -> BoxFuture<'a, Result<(Vec<Record>, ExportPosition)>> {
        Box::pin(self.export_after(db, query, from, limit))
    }

    fn export_page_in<'a>(
        &'a self,
        txn: &'a sea_orm::DatabaseTransaction,
        query: &'a ListQuery,
        from: &'a ExportPosition,
        limit: u64,
    ) -> BoxFuture<'a, Result<(Vec<Record>, ExportPosition)>> {
        Box::pin(self.export_after(txn, query, from, limit))
    }

    fn get<'a>(
        &'a self,
        db: &'a DatabaseConnection,
        key: &'a str,
        scope: &'a RowScope,
    ) -> BoxFuture<'a, Result<Option<Record>>> {
        Box::pin(async move {
            let Some(pk) = self.pk_value(key) else {
                return Ok(None);
            };
            // A key finds one row at most; no `LIMIT` (see `db::sql::all_limited`).
            let select = EntityOf::<M>::find().filter(self.columns[M::meta().pk].eq(pk));
            let m = Self::scoped(select, scope).all(db).await?;
            Ok(m.first().map(Self::record))
        })
    }

    fn create<'a>(
        &'a self,
        db: &'a DatabaseConnection,
        audit: &'a audit::Context,
        access: &'a [FieldAccess],
        form: &'a FormData,
        scope: &'a RowScope,
    ) -> BoxFuture<'a, Result<Record>> {
        Box::pin(async move {
            // The form is checked before a write transaction is begun.
            let mut am = <ActiveModelOf<M> as ActiveModelBehavior>::new();
            self.apply_form(db.get_database_backend(), &mut am, form, access).map_err(Error::Invalid)?;
            let txn = begin_write(db).await?;
            let record = self.create_in(&txn, audit, access, form, scope).await?;
            crate::db::txn::commit(txn).await?;
            self.cache.touch();
            Ok(record)
        })
    }

    fn update<'a>(
        &'a self,
        db: &'a DatabaseConnection,
        audit: &'a audit::Context,
        access: &'a [FieldAccess],
        check: &'a (dyn Fn(&Changes) -> Result<()> + Send + Sync),
        key: &'a str,
        version: &'a str,
        form: &'a FormData,
        scope: &'a RowScope,
    ) -> BoxFuture<'a, Result<(Record, Changes)>> {
        Box::pin(async move {
            let txn = begin_write(db).await?;
            // A refusal drops `txn`, which rolls the update back.
            let saved = self.update_in(&txn, audit, access, check, key, version, form, scope).await?;
            crate::db::txn::commit(txn).await?;
            self.cache.touch();
            Ok(saved)
        })
    }

    fn delete<'a>(
        &'a self,
        db: &'a DatabaseConnection,
        audit: &'a audit::Context,
        key: &'a str,
        version: &'a str,
    ) -> BoxFuture<'a, Result<Record>> {
        Box::pin(async move {
            let txn = begin_write(db).await?;
            // The door planned the delete within the caller's scope.
            let before = self.delete_in(&txn, audit, key, version, &RowScope::All).await?;
            crate::db::txn::commit(txn).await?;
            self.cache.touch();
            Ok(before)
        })
    }

    fn create_in<'a>(
        &'a self,
        txn: &'a sea_orm::DatabaseTransaction,
        audit: &'a audit::Context,
        access: &'a [FieldAccess],
        form: &'a FormData,
        scope: &'a RowScope,
    ) -> BoxFuture<'a, Result<Record>> {
        Box::pin(self.insert_in(txn, audit, access, form, scope))
    }

    fn update_in<'a>(
        &'a self,
        txn: &'a sea_orm::DatabaseTransaction,
        audit: &'a audit::Context,
        access: &'a [FieldAccess],
        check: &'a (dyn Fn(&Changes) -> Result<()> + Send + Sync),
        key: &'a str,
        version: &'a str,
        form: &'a FormData,
        scope: &'a RowScope,
    ) -> BoxFuture<'a, Result<(Record, Changes)>> {
        Box::pin(self.save_in(txn, audit, access, check, (key, version), form, scope))
    }

    fn update_many_in<'a>(
        &'a self,
        txn: &'a sea_orm::DatabaseTransaction,
        audit: &'a audit::Context,
        access: &'a [FieldAccess],
        check: &'a (dyn Fn(&Changes) -> Result<()> + Send + Sync),
        rows: &'a [(String, String, FormData)],
        scope: &'a RowScope,
    ) -> BoxFuture<'a, Result<Vec<(Record, Changes)>>> {
        Box::pin(self.save_many_in(txn, audit, (access, check), rows, scope))
    }

    fn delete_in<'a>(
        &'a self,
        txn: &'a sea_orm::DatabaseTransaction,
        audit: &'a audit::Context,
        key: &'a str,
        version: &'a str,
        scope: &'a RowScope,
    ) -> BoxFuture<'a, Result<Record>> {
        Box::pin(self.remove_in(txn, audit, key, version, scope))
    }

    fn get_for_write<'a>(
        &'a self,
        txn: &'a sea_orm::DatabaseTransaction,
        key: &'a str,
    ) -> BoxFuture<'a, Result<Option<Record>>> {
        Box::pin(self.get_locked(txn, key))
    }

    fn write_values<'a>(
        &'a self,
        txn: &'a sea_orm::DatabaseTransaction,
        key: &'a str,
        values: &'a [(usize, String)],
    ) -> BoxFuture<'a, Result<Record>> {
        Box::pin(async move {
            let r = self.write_values_in(txn, key, values).await?;
            self.cache.touch();
            Ok(r)
        })
    }

    fn insert_values<'a>(
        &'a self,
        txn: &'a sea_orm::DatabaseTransaction,
        values: &'a [(usize, String)],
    ) -> BoxFuture<'a, Result<Record>> {
        Box::pin(async move {
            let r = self.insert_values_in(txn, values).await?;
            self.cache.touch();
            Ok(r)
        })
    }

    fn count_capped<'a>(
        &'a self,
        db: &'a DatabaseConnection,
        query: &'a ListQuery,
        cap: u64,
    ) -> BoxFuture<'a, Result<u64>> {
        Box::pin(async move {
            let indexed = query.q.is_some() && self.search_indexed(db).await?;
            count_capped(db, &self.filtered(db.get_database_backend(), query, indexed), cap).await
        })
    }

    fn by_keys<'a>(
        &'a self,
        db: &'a DatabaseConnection,
        scope: &'a RowScope,
        keys: &'a [String],
    ) -> BoxFuture<'a, Result<Vec<Record>>> {
        Box::pin(self.rows_by_keys(db, scope, keys))
    }

    fn where_in<'a>(
        &'a self,
        txn: &'a sea_orm::DatabaseTransaction,
        field: usize,
        values: &'a [String],
        scope: &'a RowScope,
    ) -> BoxFuture<'a, Result<Vec<Record>>> {
        Box::pin(self.rows_where_in(txn, field, values, scope))
    }

    fn existing<'a>(
        &'a self,
        db: &'a DatabaseConnection,
        keys: &'a [String],
        scope: &'a RowScope,
    ) -> BoxFuture<'a, Result<std::collections::HashSet<String>>> {
        Box::pin(self.keys_existing(db, keys, scope))
    }

    fn count_where<'a>(
        &'a self,
        db: &'a DatabaseConnection,
        field: usize,
        value: Value,
        scope: &'a RowScope,
    ) -> BoxFuture<'a, Result<u64>> {
        Box::pin(async move {
            let select = EntityOf::<M>::find().filter(self.columns[field].eq(value));
            Ok(Self::scoped(select, scope).count(db).await?)
        })
    }

    fn list_where<'a>(
        &'a self,
        db: &'a DatabaseConnection,
        field: usize,
        value: Value,
        limit: u64,
        scope: &'a RowScope,
    ) -> BoxFuture<'a, Result<Vec<Record>>> {
        Box::pin(self.rows_where(db, (field, value), limit, scope))
    }

    fn touch(&self) {
        self.cache.touch();
    }

    fn note_search_index(&self, present: bool) {
        if let Ok(mut known) = self.search_index.lock() {
            *known = Some(present);
        }
    }

    fn fresh(&self) -> Arc<dyn ModelAdmin> {
        Arc::new(Self::new())
    }
}
