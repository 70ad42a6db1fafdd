//! Writing given values into records inside a caller's transaction: what an undo
//! puts back and what a restore inserts again. The door decides what may be
//! written; these only write it.

use sea_orm::{ActiveModelBehavior, ActiveModelTrait, DatabaseTransaction, DbBackend, EntityTrait};

use crate::kernel::error::{Error, Result};
use crate::kernel::model::{ActiveModelOf, AdminModel, EntityOf};
use crate::kernel::record::Record;

use super::EntityAdmin;
use super::write::exact_on;

impl<M> EntityAdmin<M>
where
    M: AdminModel,
    EntityOf<M>: EntityTrait<Model = M>,
    ActiveModelOf<M>: Send + Sync,
{
    /// Sets each `(field, form text)` of `values` on an active model.
    fn set_values(
        backend: DbBackend,
        am: &mut ActiveModelOf<M>,
        columns: &[<EntityOf<M> as EntityTrait>::Column],
        values: &[(usize, String)],
    ) -> Result<()> {
        let meta = M::meta();
        for (i, raw) in values {
            let f = &meta.fields[*i];
            let v = M::parse_value(*i, raw).and_then(|v| exact_on(backend, v)).map_err(|m| {
                Error::Refused(format!(
                    "The kept value of {} (\u{201c}{raw}\u{201d}) cannot be written back: {m}",
                    f.label.to_lowercase()
                ))
            })?;
            am.try_set(columns[*i], v).map_err(|e| Error::Internal(format!("{}: {e}", f.name)))?;
        }
        Ok(())
    }

    /// The record `key` in `txn`, row-locked on PostgreSQL.
    pub(super) async fn get_locked(&self, txn: &DatabaseTransaction, key: &str) -> Result<Option<Record>> {
        Ok(self.find_in(txn, key).await?.as_ref().map(Self::record))
    }

    /// Writes `values` onto record `key` in `txn` through its active model (so the
    /// model's own `before_save` runs), and gives the record as saved.
    pub(super) async fn write_values_in(
        &self,
        txn: &DatabaseTransaction,
        key: &str,
        values: &[(usize, String)],
    ) -> Result<Record> {
        let model = self.find_in(txn, key).await?.ok_or_else(|| self.not_found(key))?;
        let mut am = model.into_active_model();
        Self::set_values(txn_backend(txn), &mut am, &self.columns, values)?;
        let saved = am.update(txn).await.map_err(super::write::write_refused)?;
        Ok(Self::record(&saved))
    }

    /// Inserts a record with `values` (every field, the key too) in `txn`.
    pub(super) async fn insert_values_in(
        &self,
        txn: &DatabaseTransaction,
        values: &[(usize, String)],
    ) -> Result<Record> {
        let mut am = <ActiveModelOf<M> as ActiveModelBehavior>::new();
        Self::set_values(txn_backend(txn), &mut am, &self.columns, values)?;
        let saved = am.insert(txn).await.map_err(|e| {
            use crate::kernel::error::{Refusal, refusal};
            let noun = M::meta().label.to_lowercase();
            match refusal(&e) {
                Some(Refusal::Unique) => Error::Refused(format!(
                    "The {noun} cannot be restored: another {noun} now has its id or one of its unique values."
                )),
                Some(Refusal::ForeignKey) => Error::Refused(format!(
                    "The {noun} cannot be restored: a record it belongs to has been deleted since."
                )),
                _ => super::write::write_refused(e),
            }
        })?;
        Ok(Self::record(&saved))
    }
}

fn txn_backend(txn: &DatabaseTransaction) -> DbBackend {
    use sea_orm::ConnectionTrait;
    txn.get_database_backend()
}
