//! [`EntityAdmin`]'s writes inside a caller's transaction: create, update and
//! delete, each with its audit entry, the row-level scope checked after the write.

use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait,
    PaginatorTrait, QueryFilter, QuerySelect,
};

use crate::access::permission::FieldAccess;
use crate::access::scope::RowScope;
use crate::audit;
use crate::kernel::Changes;
use crate::kernel::error::{Error, Result};
use crate::kernel::model::{ActiveModelOf, AdminModel, EntityOf};
use crate::kernel::record::{FormData, Record};

use super::EntityAdmin;

/// What a save may write (each field's access) and the check its changes pass.
type Rules<'a> = (&'a [FieldAccess], &'a (dyn Fn(&Changes) -> Result<()> + Send + Sync));
use super::write::write_refused;

impl<M> EntityAdmin<M>
where
    M: AdminModel,
    EntityOf<M>: EntityTrait<Model = M>,
    ActiveModelOf<M>: Send + Sync,
{
    /// Refuses a write that leaves record `key` outside `scope`: read again in
    /// `txn`, after the write, so the caller's transaction rolls it back.
    pub(super) async fn still_in_scope(
        &self,
        txn: &sea_orm::DatabaseTransaction,
        key: &str,
        scope: &RowScope,
    ) -> Result<()> {
        if scope.is_all() {
            return Ok(());
        }
        let pk = self.pk_value(key).ok_or_else(|| self.not_found(key))?;
        let found = Self::scoped(EntityOf::<M>::find().filter(self.columns[M::meta().pk].eq(pk)), scope)
            .count(txn)
            .await?;
        if found == 0 {
            return Err(Error::Refused(format!(
                "This {} would be outside the records your role looks after, so it was not saved. Change the values that decide that, or ask someone whose role covers it.",
                M::meta().label.to_lowercase()
            )));
        }
        Ok(())
    }

    /// Refuses record `key` as "no such record" when it is outside `scope`, read in
    /// `txn` before a write.
    async fn within(&self, txn: &DatabaseTransaction, key: &str, scope: &RowScope) -> Result<()> {
        if scope.is_all() {
            return Ok(());
        }
        let pk = self.pk_value(key).ok_or_else(|| self.not_found(key))?;
        let select = EntityOf::<M>::find().filter(self.columns[M::meta().pk].eq(pk));
        if Self::scoped(select, scope).count(txn).await? == 0 {
            return Err(self.not_found(key));
        }
        Ok(())
    }

    /// The records within `scope` whose `field` holds one of `values` (form text),
    /// read in `txn`, 500 values a statement.
    pub(super) async fn rows_where_in(
        &self,
        txn: &DatabaseTransaction,
        field: usize,
        values: &[String],
        scope: &RowScope,
    ) -> Result<Vec<Record>> {
        let parsed: Vec<sea_orm::Value> =
            values.iter().filter_map(|v| M::parse_value(field, v).ok()).collect();
        let mut out = Vec::new();
        for chunk in parsed.chunks(500) {
            let select = EntityOf::<M>::find().filter(self.columns[field].is_in(chunk.to_vec()));
            out.extend(Self::scoped(select, scope).all(txn).await?.iter().map(Self::record));
        }
        Ok(out)
    }

    /// Inserts a record from `form` in `txn`, with its `create` entry; refused
    /// when it would fall outside `scope`.
    pub(super) async fn insert_in(
        &self,
        txn: &DatabaseTransaction,
        audit: &audit::Context,
        access: &[FieldAccess],
        form: &FormData,
        scope: &RowScope,
    ) -> Result<Record> {
        let meta = M::meta();
        let mut am = <ActiveModelOf<M> as ActiveModelBehavior>::new();
        self.apply_form(txn.get_database_backend(), &mut am, form, access).map_err(Error::Invalid)?;
        let model = am.insert(txn).await.map_err(write_refused)?;
        let record = Self::record(&model);
        self.still_in_scope(txn, &record.key, scope).await?;
        let event = audit::Event {
            kind: "create",
            model: Some(meta.slug),
            object_id: Some(&record.key),
            changes: audit::snapshot_json(meta, &record.cells, true),
        };
        audit::record(txn, audit, event).await?;
        Ok(record)
    }

    /// Saves `form` onto record `key` at `version` in `txn`, with its `update`
    /// entry when anything changed; `check` may refuse the changes.
    #[allow(clippy::too_many_arguments)] // each is a distinct input of one save
    pub(super) async fn save_in(
        &self,
        txn: &DatabaseTransaction,
        audit: &audit::Context,
        access: &[FieldAccess],
        check: &(dyn Fn(&Changes) -> Result<()> + Send + Sync),
        (key, version): (&str, &str),
        form: &FormData,
        scope: &RowScope,
    ) -> Result<(Record, Changes)> {
        self.within(txn, key, scope).await?;
        let (model, before) = self.locked_at_version(txn, key, version).await?;
        self.write_loaded(txn, audit, (access, check), (model, before), form, scope).await
    }

    /// [`Self::save_in`] for several records: read and locked in one query
    /// within `scope`, each checked at its version and written in order.
    pub(super) async fn save_many_in(
        &self,
        txn: &DatabaseTransaction,
        audit: &audit::Context,
        rules: Rules<'_>,
        rows: &[(String, String, FormData)],
        scope: &RowScope,
    ) -> Result<Vec<(Record, Changes)>> {
        let meta = M::meta();
        let mut models: std::collections::HashMap<String, M> = std::collections::HashMap::new();
        let pks: Vec<sea_orm::Value> = rows.iter().filter_map(|(k, _, _)| self.pk_value(k)).collect();
        for part in pks.chunks(500) {
            let mut select =
                Self::scoped(EntityOf::<M>::find().filter(self.columns[meta.pk].is_in(part.to_vec())), scope);
            if txn.get_database_backend() == sea_orm::DbBackend::Postgres {
                select = select.lock_exclusive();
            }
            for m in select.all(txn).await? {
                models.insert(Self::record(&m).key, m);
            }
        }
        let mut out = Vec::with_capacity(rows.len());
        for (key, version, form) in rows {
            let model = models.remove(key).ok_or_else(|| self.not_found(key))?;
            let before = Self::record(&model);
            if before.version() != *version {
                return Err(Error::Conflict { current: Box::new(before) });
            }
            out.push(self.write_loaded(txn, audit, rules, (model, before), form, scope).await?);
        }
        Ok(out)
    }

    /// Writes `form` onto `model` (read and locked, `before` as it was), with its
    /// `update` entry when anything changed; `check` may refuse the changes.
    async fn write_loaded(
        &self,
        txn: &DatabaseTransaction,
        audit: &audit::Context,
        (access, check): Rules<'_>,
        (model, before): (M, Record),
        form: &FormData,
        scope: &RowScope,
    ) -> Result<(Record, Changes)> {
        let meta = M::meta();
        let mut am = model.into_active_model();
        self.apply_form(txn.get_database_backend(), &mut am, form, access).map_err(Error::Invalid)?;
        let saved = am.update(txn).await.map_err(write_refused)?;
        let after = Self::record(&saved);
        self.still_in_scope(txn, &after.key, scope).await?;
        let changes = crate::kernel::changes(&before.cells, &after.cells);
        check(&changes)?;
        if !changes.is_empty() {
            let event = audit::Event {
                kind: "update",
                model: Some(meta.slug),
                object_id: Some(&after.key),
                changes: audit::diff_json(meta, &changes),
            };
            audit::record(txn, audit, event).await?;
        }
        Ok((after, changes))
    }

    /// Deletes record `key` at `version` in `txn`, with its `delete` entry; one
    /// outside `scope` is "no such record".
    pub(super) async fn remove_in(
        &self,
        txn: &DatabaseTransaction,
        audit: &audit::Context,
        key: &str,
        version: &str,
        scope: &RowScope,
    ) -> Result<Record> {
        let meta = M::meta();
        self.within(txn, key, scope).await?;
        let (_, before) = self.locked_at_version(txn, key, version).await?;
        let pk = self.pk_value(key).ok_or_else(|| self.not_found(key))?;
        EntityOf::<M>::delete_many().filter(self.columns[meta.pk].eq(pk)).exec(txn).await.map_err(|e| {
            if crate::kernel::error::refusal(&e) == Some(crate::kernel::error::Refusal::ForeignKey) {
                Error::Refused(format!(
                    "{} cannot be deleted: other records still refer to it.",
                    before.title(meta)
                ))
            } else {
                Error::from(e)
            }
        })?;
        let event = audit::Event {
            kind: "delete",
            model: Some(meta.slug),
            object_id: Some(&before.key),
            changes: audit::snapshot_json(meta, &before.cells, false),
        };
        audit::record(txn, audit, event).await?;
        Ok(before)
    }
}
