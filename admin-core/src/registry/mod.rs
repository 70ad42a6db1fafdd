//! The registry of models (Django's `AdminSite`): an object-safe [`ModelAdmin`] per
//! model, bridged from the static [`AdminModel`] by [`EntityAdmin`].

use std::collections::BTreeMap;
use std::marker::PhantomData;
use std::sync::Arc;

use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};
use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection,
    DbBackend, EntityTrait, Order, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Select, Value,
};

use crate::action::{Action, ActionAdmin, DynAction};
use crate::audit;
use crate::kernel::error::{Error, FieldError, Result};
use crate::kernel::field::FieldKind;
use crate::kernel::model::{ActiveModelOf, AdminModel, EntityOf, ModelMeta};
use crate::access::permission::FieldAccess;
use crate::list::query::{FilterOp, ListQuery, ListResult, ModelFields};
use crate::kernel::record::{FormData, Record};
use crate::db::txn::begin_write;

mod listing;
use crate::db::sql::{all_limited, count_capped, escape_like};

use crate::kernel::{BoxFuture, Changes};

/// One model's admin operations, independent of its Rust type.
///
/// These are the raw data operations; permission checks and audit are done by the
/// callers in the service (`service`), so every path goes through the same checks.
pub trait ModelAdmin: ModelFields {
    /// One page of the list for `query`.
    fn list<'a>(
        &'a self,
        db: &'a DatabaseConnection,
        query: &'a ListQuery,
    ) -> BoxFuture<'a, Result<ListResult>>;

    /// Every row matching `query` (for export), at most `limit`.
    fn export<'a>(
        &'a self,
        db: &'a DatabaseConnection,
        query: &'a ListQuery,
        limit: u64,
    ) -> BoxFuture<'a, Result<Vec<Record>>>;

    /// The next page of an export of `query`, in the list's order: at most `limit`
    /// rows after `from` (where the previous page ended; [`ExportPosition::default`]
    /// for the first), and where this page ends. Each page is one short query, so a
    /// long export holds no connection or transaction while its reader is slow.
    fn export_page<'a>(
        &'a self,
        db: &'a DatabaseConnection,
        query: &'a ListQuery,
        from: &'a ExportPosition,
        limit: u64,
    ) -> BoxFuture<'a, Result<(Vec<Record>, ExportPosition)>>;

    /// The record with primary key `key` (as text), if it exists.
    fn get<'a>(&'a self, db: &'a DatabaseConnection, key: &'a str) -> BoxFuture<'a, Result<Option<Record>>>;

    /// Creates a record from a form, with its audit entry in the same transaction.
    fn create<'a>(
        &'a self,
        db: &'a DatabaseConnection,
        audit: &'a audit::Context,
        access: &'a [FieldAccess],
        form: &'a FormData,
    ) -> BoxFuture<'a, Result<Record>>;

    /// Saves a form onto record `key`, if it still has version `version`, with its
    /// audit entry in the same transaction. `check` sees the changes before they are
    /// written and may refuse them (to require a reason, say).
    #[allow(clippy::too_many_arguments)] // each is a distinct input of one save
    fn update<'a>(
        &'a self,
        db: &'a DatabaseConnection,
        audit: &'a audit::Context,
        access: &'a [FieldAccess],
        check: &'a (dyn Fn(&Changes) -> Result<()> + Send + Sync),
        key: &'a str,
        version: &'a str,
        form: &'a FormData,
    ) -> BoxFuture<'a, Result<(Record, Changes)>>;

    /// Deletes record `key`, if it still has version `version`, with its audit entry
    /// in the same transaction.
    fn delete<'a>(
        &'a self,
        db: &'a DatabaseConnection,
        audit: &'a audit::Context,
        key: &'a str,
        version: &'a str,
    ) -> BoxFuture<'a, Result<Record>>;

    /// Which of `keys` exist.
    fn existing<'a>(
        &'a self,
        db: &'a DatabaseConnection,
        keys: &'a [String],
    ) -> BoxFuture<'a, Result<std::collections::HashSet<String>>>;

    /// How many rows match `query`, counting no further than `cap` (so a count on a
    /// huge table stays cheap: the answer is then `cap`, meaning "at least").
    fn count_capped<'a>(
        &'a self,
        db: &'a DatabaseConnection,
        query: &'a ListQuery,
        cap: u64,
    ) -> BoxFuture<'a, Result<u64>>;

    /// How many rows have `field = value`.
    fn count_where<'a>(
        &'a self,
        db: &'a DatabaseConnection,
        field: usize,
        value: Value,
    ) -> BoxFuture<'a, Result<u64>>;

    /// The newest `limit` rows with `field = value`.
    fn list_where<'a>(
        &'a self,
        db: &'a DatabaseConnection,
        field: usize,
        value: Value,
        limit: u64,
    ) -> BoxFuture<'a, Result<Vec<Record>>>;

    /// Notes that this instance changed the model's rows outside this trait's own
    /// writes (an action, an approved request): remembered page anchors are dropped.
    fn touch(&self);

    /// Notes whether the model's search index is in place in this instance's
    /// database (as [`crate::list::search_index::ensure`] found or made it).
    fn note_search_index(&self, present: bool);

    /// The same model for another admin instance: nothing remembered is shared.
    fn fresh(&self) -> Arc<dyn ModelAdmin>;
}

/// Where a paged export ([`ModelAdmin::export_page`]) has got to: the sort key of
/// the last row read (when the order can be sought by key) and the rows read.
#[derive(Clone, Debug, Default)]
pub struct ExportPosition {
    seek: Option<Vec<Value>>,
    read: u64,
}

/// The bridge from a derived [`AdminModel`] to the object-safe [`ModelAdmin`].
pub struct EntityAdmin<M: AdminModel> {
    columns: Vec<<EntityOf<M> as EntityTrait>::Column>,
    /// Estimates and page anchors of this model's lists.
    cache: crate::list::seek::ListCache,
    /// Whether the database has the model's search index: `None` until asked.
    search_index: std::sync::Mutex<Option<bool>>,
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
    async fn search_indexed(&self, db: &DatabaseConnection) -> Result<bool> {
        if let Some(known) = self.search_index.lock().ok().and_then(|k| *k) {
            return Ok(known);
        }
        let present = crate::list::search_index::present(db, M::meta()).await?;
        if let Ok(mut known) = self.search_index.lock() {
            *known = Some(present);
        }
        Ok(present)
    }

    fn record(m: &M) -> Record {
        let meta = M::meta();
        let cells: Vec<_> = (0..meta.fields.len()).map(|i| m.cell(i)).collect();
        let key = cells[meta.pk].form_value();
        Record::new(key, cells)
    }

    fn pk_value(&self, key: &str) -> Option<Value> {
        M::parse_value(M::meta().pk, key).ok()
    }

    /// The rows `query` selects. `indexed`: the search index is in place and may
    /// narrow a search ([`Self::search_indexed`]).
    fn filtered(&self, backend: DbBackend, query: &ListQuery, indexed: bool) -> Select<EntityOf<M>> {
        let mut select = EntityOf::<M>::find();
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
                && let Some(c) = crate::list::search_index::candidates(backend, M::meta(), &query.search, &term)
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

    /// Applies a form to an active model: every editable field, collecting errors.
    fn apply_form(
        &self,
        backend: DbBackend,
        am: &mut ActiveModelOf<M>,
        form: &FormData,
        access: &[FieldAccess],
    ) -> std::result::Result<(), Vec<FieldError>> {
        let meta = M::meta();
        let mut errors = Vec::new();
        for (i, f) in meta.fields.iter().enumerate() {
            // Only what this user may edit is read from the form; the rest is ignored.
            if access.get(i) != Some(&FieldAccess::Editable) {
                continue;
            }
            let raw = match form.get(f.name) {
                Some(v) => v,
                // An unchecked checkbox sends nothing.
                None if f.kind == FieldKind::Boolean && !f.nullable => "0",
                None => "",
            };
            match M::parse_value(i, raw).and_then(|v| exact_on(backend, v)) {
                Ok(v) => {
                    if let Err(e) = am.try_set(self.columns[i], v) {
                        errors.push(FieldError::field(f.name, "This value cannot be stored."));
                        tracing::error!(model = meta.slug, field = f.name, error = %e, "try_set failed");
                    }
                }
                Err(msg) => errors.push(FieldError::field(f.name, msg)),
            }
        }
        if errors.is_empty() { Ok(()) } else { Err(errors) }
    }

    async fn find_in<C: ConnectionTrait>(&self, conn: &C, key: &str) -> Result<Option<M>> {
        let Some(pk) = self.pk_value(key) else {
            return Ok(None);
        };
        let mut select = EntityOf::<M>::find().filter(self.columns[M::meta().pk].eq(pk));
        if conn.get_database_backend() == DbBackend::Postgres {
            select = select.lock_exclusive();
        }
        Ok(select.one(conn).await?)
    }
}

impl<M> EntityAdmin<M>
where
    M: AdminModel,
    EntityOf<M>: EntityTrait<Model = M>,
{
    fn not_found(&self, key: &str) -> Error {
        let meta = M::meta();
        Error::NotFound(format!(
            "There is no {} with {} {key}.",
            meta.label.to_lowercase(),
            meta.pk_field().name
        ))
    }

    /// Loads record `key` for writing (row-locked on PostgreSQL; SQLite write
    /// transactions hold the database lock) and checks it still has `version`.
    async fn locked_at_version<C: ConnectionTrait>(
        &self,
        txn: &C,
        key: &str,
        version: &str,
    ) -> Result<Record> {
        let model = self.find_in(txn, key).await?.ok_or_else(|| self.not_found(key))?;
        let record = Self::record(&model);
        if record.version() != version {
            return Err(Error::Conflict { current: Box::new(record) });
        }
        Ok(record)
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

/// Refuses a decimal that `backend` cannot keep exactly: SQLite stores decimals as
/// binary floating point, exact to [`crate::kernel::field::SQLITE_EXACT_DIGITS`]
/// significant digits.
fn exact_on(backend: DbBackend, v: Value) -> std::result::Result<Value, String> {
    if backend == DbBackend::Sqlite
        && let Value::Decimal(Some(d)) = &v
    {
        // Significant digits: trailing zeros, before the point too, do not count.
        let mut m = d.mantissa().unsigned_abs();
        while m != 0 && m % 10 == 0 {
            m /= 10;
        }
        let digits = m.checked_ilog10().map_or(1, |n| n + 1);
        if digits > crate::kernel::field::SQLITE_EXACT_DIGITS {
            return Err(format!(
                "Enter a number with at most {} digits in all; a longer one cannot be stored exactly.",
                crate::kernel::field::SQLITE_EXACT_DIGITS
            ));
        }
    }
    Ok(v)
}

/// Turns a database error on insert or update into a message on the form.
fn write_refused(e: sea_orm::DbErr) -> Error {
    use crate::kernel::error::{Refusal, refusal};
    let msg = match refusal(&e) {
        Some(Refusal::Unique) => "Another record already has this value; it must be unique.",
        Some(Refusal::ForeignKey) => "A referenced record does not exist.",
        Some(Refusal::NotNull) => "A required value is missing.",
        Some(Refusal::Encoding | Refusal::OutOfRange) => return Error::from(e),
        None => {
            tracing::error!(error = %e, "write failed");
            return Error::Db(e);
        }
    };
    tracing::info!(error = %e, "write refused by the database");
    Error::Invalid(vec![FieldError::form(format!("The database refused the record: {msg}"))])
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
            let rows = all_limited(
                db,
                self.apply_order(filtered, &Self::order_keys(query), false),
                limit,
                0,
            )
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

    fn get<'a>(&'a self, db: &'a DatabaseConnection, key: &'a str) -> BoxFuture<'a, Result<Option<Record>>> {
        Box::pin(async move {
            let Some(pk) = self.pk_value(key) else {
                return Ok(None);
            };
            // A key finds one row at most; no `LIMIT` (see `db::sql::all_limited`).
            let m = EntityOf::<M>::find().filter(self.columns[M::meta().pk].eq(pk)).all(db).await?;
            Ok(m.first().map(Self::record))
        })
    }

    fn create<'a>(
        &'a self,
        db: &'a DatabaseConnection,
        audit: &'a audit::Context,
        access: &'a [FieldAccess],
        form: &'a FormData,
    ) -> BoxFuture<'a, Result<Record>> {
        Box::pin(async move {
            let meta = M::meta();
            let mut am = <ActiveModelOf<M> as ActiveModelBehavior>::new();
            self.apply_form(db.get_database_backend(), &mut am, form, access).map_err(Error::Invalid)?;
            let txn = begin_write(db).await?;
            let model = am.insert(&txn).await.map_err(write_refused)?;
            let record = Self::record(&model);
            let event = audit::Event {
                kind: "create",
                model: Some(meta.slug),
                object_id: Some(&record.key),
                changes: audit::snapshot_json(meta, &record.cells, true),
            };
            audit::record(&txn, audit, event).await?;
            txn.commit().await?;
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
    ) -> BoxFuture<'a, Result<(Record, Changes)>> {
        Box::pin(async move {
            let meta = M::meta();
            let txn = begin_write(db).await?;
            let before = self.locked_at_version(&txn, key, version).await?;
            let model = self.find_in(&txn, key).await?.ok_or_else(|| self.not_found(key))?;
            let mut am = model.into_active_model();
            self.apply_form(db.get_database_backend(), &mut am, form, access).map_err(Error::Invalid)?;
            let saved = am.update(&txn).await.map_err(write_refused)?;
            let after = Self::record(&saved);
            let changes: Changes = before
                .cells
                .iter()
                .zip(&after.cells)
                .enumerate()
                .filter(|(_, (b, a))| b != a)
                .map(|(i, (b, a))| (i, b.clone(), a.clone()))
                .collect();
            // A refusal here drops `txn`, which rolls the update back.
            check(&changes)?;
            if !changes.is_empty() {
                let event = audit::Event {
                    kind: "update",
                    model: Some(meta.slug),
                    object_id: Some(&after.key),
                    changes: audit::diff_json(meta, &changes),
                };
                audit::record(&txn, audit, event).await?;
            }
            txn.commit().await?;
            self.cache.touch();
            Ok((after, changes))
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
            let meta = M::meta();
            let txn = begin_write(db).await?;
            let before = self.locked_at_version(&txn, key, version).await?;
            let pk = self.pk_value(key).ok_or_else(|| self.not_found(key))?;
            EntityOf::<M>::delete_many().filter(self.columns[meta.pk].eq(pk)).exec(&txn).await.map_err(
                |e| {
                    if crate::kernel::error::refusal(&e) == Some(crate::kernel::error::Refusal::ForeignKey) {
                        Error::Refused(format!(
                            "{} cannot be deleted: other records still refer to it.",
                            before.title(meta)
                        ))
                    } else {
                        Error::from(e)
                    }
                },
            )?;
            let event = audit::Event {
                kind: "delete",
                model: Some(meta.slug),
                object_id: Some(&before.key),
                changes: audit::snapshot_json(meta, &before.cells, false),
            };
            audit::record(&txn, audit, event).await?;
            txn.commit().await?;
            self.cache.touch();
            Ok(before)
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

    fn existing<'a>(
        &'a self,
        db: &'a DatabaseConnection,
        keys: &'a [String],
    ) -> BoxFuture<'a, Result<std::collections::HashSet<String>>> {
        Box::pin(async move {
            let pk = M::meta().pk;
            let values: Vec<Value> = keys.iter().filter_map(|k| self.pk_value(k)).collect();
            if values.is_empty() {
                return Ok(std::collections::HashSet::new());
            }
            let rows = EntityOf::<M>::find().filter(self.columns[pk].is_in(values)).all(db).await?;
            Ok(rows.iter().map(|m| m.cell(pk).form_value()).collect())
        })
    }

    fn count_where<'a>(
        &'a self,
        db: &'a DatabaseConnection,
        field: usize,
        value: Value,
    ) -> BoxFuture<'a, Result<u64>> {
        Box::pin(
            async move { Ok(EntityOf::<M>::find().filter(self.columns[field].eq(value)).count(db).await?) },
        )
    }

    fn list_where<'a>(
        &'a self,
        db: &'a DatabaseConnection,
        field: usize,
        value: Value,
        limit: u64,
    ) -> BoxFuture<'a, Result<Vec<Record>>> {
        Box::pin(async move {
            let meta = M::meta();
            let select = EntityOf::<M>::find()
                .filter(self.columns[field].eq(value))
                .order_by(self.columns[meta.pk], Order::Desc);
            let rows = all_limited(db, select, limit, 0).await?;
            Ok(rows.iter().map(Self::record).collect())
        })
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

/// A model that refers to another: `model.fields[field]` is a foreign key to it.
#[derive(Clone)]
pub struct Related {
    /// The referring model.
    pub admin: Arc<dyn ModelAdmin>,
    /// The index of its foreign-key field.
    pub field: usize,
}

/// Path segments the admin uses for its own pages, so no model may have them as slug.
pub const RESERVED_SLUGS: &[&str] =
    &["login", "logout", "static", "audit", "approval", "approvals", "api", "staff", "me", "search", "views"];

/// A work queue on the dashboard: a filtered list with its count ("Accounts in
/// manual review: 12").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Queue {
    /// The model's slug.
    pub model: &'static str,
    /// What staff see ("Accounts in manual review").
    pub label: String,
    /// The list's query (`manual_review=1`), as pairs.
    pub query: Vec<(String, String)>,
}

/// Every registered model, by slug (Django's `AdminSite`), and their actions.
///
/// A registry is one admin instance: besides the models it keeps what their lists
/// remember between page views (estimates, page anchors, whether the search index
/// is in place) and its turn to write to a SQLite database. Serve each database
/// with its own registry; a clone is a new instance with the same models, actions
/// and settings and nothing remembered, so clones may serve different databases.
#[derive(Default)]
pub struct Registry {
    models: BTreeMap<&'static str, Arc<dyn ModelAdmin>>,
    order: Vec<&'static str>,
    actions: BTreeMap<(&'static str, &'static str), Arc<dyn DynAction>>,
    queues: Vec<Queue>,
    list_tuning: crate::list::count::ListTuning,
    write_turn: Arc<crate::db::txn::WriteTurn>,
}

impl Clone for Registry {
    /// A new instance with the same models, actions and settings, and nothing
    /// remembered (see [`Registry`]).
    fn clone(&self) -> Self {
        Self {
            models: self.models.iter().map(|(slug, m)| (*slug, m.fresh())).collect(),
            order: self.order.clone(),
            actions: self.actions.clone(),
            queues: self.queues.clone(),
            list_tuning: self.list_tuning.clone(),
            write_turn: Arc::default(),
        }
    }
}

impl Registry {
    /// An empty registry.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers model `M`.
    ///
    /// # Panics
    /// If a model with the same slug is already registered: two models cannot share
    /// one URL, and this is a programming error found at start-up.
    #[must_use]
    pub fn register<M>(mut self) -> Self
    where
        M: AdminModel,
        EntityOf<M>: EntityTrait<Model = M>,
        ActiveModelOf<M>: Send + Sync,
    {
        let admin: Arc<dyn ModelAdmin> = Arc::new(EntityAdmin::<M>::new());
        let slug = admin.meta().slug;
        assert!(
            !RESERVED_SLUGS.contains(&slug),
            "the table name `{slug}` is taken by an admin page; give the model another table name"
        );
        assert!(
            self.models.insert(slug, admin).is_none(),
            "two admin models share the slug `{slug}`; table names must be unique"
        );
        self.order.push(slug);
        self
    }

    /// Sets the limits behind the lists' counting and paging (see
    /// [`crate::list::count::ListTuning`]; the defaults suit tables of any size).
    #[must_use]
    pub fn with_list_tuning(mut self, tuning: crate::list::count::ListTuning) -> Self {
        self.list_tuning = tuning;
        self
    }

    /// The limits behind the lists' counting and paging.
    #[must_use]
    pub fn list_tuning(&self) -> &crate::list::count::ListTuning {
        &self.list_tuning
    }

    /// Waits for this instance's turn to write to a SQLite database (see
    /// [`crate::db::txn::WriteTurn`]); `None` on other backends.
    pub async fn write_turn(&self, db: &DatabaseConnection) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        self.write_turn.take(db).await
    }

    /// Notes that this instance changed rows of every model (an action or an
    /// approved request, which may write to any table): the lists' remembered page
    /// anchors are dropped.
    pub fn touch_all(&self) {
        for admin in self.models.values() {
            admin.touch();
        }
    }

    /// The model with this slug.
    #[must_use]
    pub fn get(&self, slug: &str) -> Option<&Arc<dyn ModelAdmin>> {
        self.models.get(slug)
    }

    /// Adds an action explicitly (besides those found through `register_action!`).
    ///
    /// # Errors
    /// When its model is not registered or another action on it has the same name.
    pub fn action<A>(self, action: A) -> std::result::Result<Self, String>
    where
        A: Action,
        EntityOf<A::Model>: EntityTrait<Model = A::Model>,
        ActiveModelOf<A::Model>: Send + Sync,
    {
        self.add_action(Arc::new(ActionAdmin::new(action)))
    }

    /// Adds every action registered with `register_action!` in the linked crates
    /// whose model is registered here. Call it after registering the models.
    ///
    /// # Errors
    /// When two actions on one model share a name: a start-up error that names both.
    pub fn with_registered_actions(mut self) -> std::result::Result<Self, String> {
        let mut found: Vec<Box<dyn DynAction>> = crate::action::registered().collect();
        // Inventory's order is unspecified: sort, so errors and menus are stable.
        found.sort_by_key(|a| (a.model().slug, a.name()));
        for a in found {
            if self.models.contains_key(a.model().slug) {
                self = self.add_action(Arc::from(a))?;
            }
        }
        Ok(self)
    }

    fn add_action(mut self, action: Arc<dyn DynAction>) -> std::result::Result<Self, String> {
        let slug = action.model().slug;
        if !self.models.contains_key(slug) {
            return Err(format!(
                "The action `{}` is for model `{slug}`, which is not registered. Register the model first.",
                action.name()
            ));
        }
        // The screens show an action's records with the registered model's fields, so
        // a plugin's own model of the same table must have the same fields, in order.
        let registered: Vec<&str> = self.models[slug].meta().fields.iter().map(|f| f.name).collect();
        let own: Vec<&str> = action.model().fields.iter().map(|f| f.name).collect();
        if registered != own {
            return Err(format!(
                "The action `{}` acts on a model of `{slug}` whose fields ({}) differ from the registered model's ({}). Give it the same fields in the same order.",
                action.name(),
                own.join(", "),
                registered.join(", ")
            ));
        }
        if let Some(other) = self.actions.get(&(slug, action.name())) {
            return Err(format!(
                "Two actions on `{slug}` are named `{}` (\u{201c}{}\u{201d} and \u{201c}{}\u{201d}). Action names must be unique per model; rename one.",
                action.name(),
                other.label(),
                action.label()
            ));
        }
        self.actions.insert((slug, action.name()), action);
        Ok(self)
    }

    /// Adds a dashboard queue: `model`'s list filtered by `query` (a query string such
    /// as `manual_review=1&plan=annual`), shown with its count.
    ///
    /// # Panics
    /// If `model` is not registered (a start-up programming error).
    #[must_use]
    pub fn queue(mut self, model: &'static str, label: &str, query: &str) -> Self {
        assert!(self.models.contains_key(model), "queue `{label}`: model `{model}` is not registered");
        let query = query
            .trim_start_matches('?')
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        self.queues.push(Queue { model, label: label.to_owned(), query });
        self
    }

    /// The dashboard queues, in the order added.
    #[must_use]
    pub fn queues(&self) -> &[Queue] {
        &self.queues
    }

    /// The actions of a model, by label.
    #[must_use]
    pub fn actions_for(&self, slug: &str) -> Vec<Arc<dyn DynAction>> {
        let mut out: Vec<_> =
            self.actions.iter().filter(|((s, _), _)| *s == slug).map(|(_, a)| Arc::clone(a)).collect();
        out.sort_by_key(|a| a.label());
        out
    }

    /// One action of a model.
    #[must_use]
    pub fn action_named(&self, slug: &str, name: &str) -> Option<Arc<dyn DynAction>> {
        self.actions.iter().find(|((s, n), _)| *s == slug && *n == name).map(|(_, a)| Arc::clone(a))
    }

    /// Creates or checks the search index of every model with `search` fields (see
    /// [`crate::list::search_index::ensure`]) and remembers which models have one.
    ///
    /// # Errors
    /// When the database refuses a statement.
    pub async fn ensure_search_index(
        &self,
        db: &DatabaseConnection,
    ) -> Result<Vec<crate::list::search_index::Ensured>> {
        let mut out = Vec::new();
        for admin in self.models() {
            let ensured = crate::list::search_index::ensure(db, admin.meta()).await?;
            admin.note_search_index(ensured.is_some());
            out.extend(ensured);
        }
        Ok(out)
    }

    /// Every model's description, in registration order.
    pub fn metas(&self) -> Vec<&'static ModelMeta> {
        self.models().map(|m| m.meta()).collect()
    }

    /// Every registered model's admin, in registration order.
    pub fn models(&self) -> impl Iterator<Item = &Arc<dyn ModelAdmin>> {
        self.order.iter().filter_map(|s| self.models.get(s))
    }

    /// The models with a foreign key to `slug`, in registration order.
    #[must_use]
    pub fn related_to(&self, slug: &str) -> Vec<Related> {
        let mut out = Vec::new();
        for admin in self.models() {
            for (i, f) in admin.meta().fields.iter().enumerate() {
                if f.foreign_key == Some(slug) {
                    out.push(Related { admin: Arc::clone(admin), field: i });
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use crate::db::sql::escape_like;

    #[test]
    fn sqlite_refuses_decimals_it_cannot_keep_exactly() {
        use sea_orm::{DbBackend, Value};
        let d = |s: &str| Value::Decimal(Some(s.parse().unwrap()));
        assert!(super::exact_on(DbBackend::Sqlite, d("9999999999999.99")).is_ok());
        assert!(super::exact_on(DbBackend::Sqlite, d("1000000000000000.00")).is_ok());
        assert!(
            super::exact_on(DbBackend::Sqlite, d("99999999999999.99"))
                .unwrap_err()
                .contains("at most 15 digits")
        );
        assert!(super::exact_on(DbBackend::Postgres, d("99999999999999.99")).is_ok());
    }

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(escape_like("50%_off\\"), "50\\%\\_off\\\\");
        assert_eq!(escape_like("acme-42"), "acme-42");
    }
}
