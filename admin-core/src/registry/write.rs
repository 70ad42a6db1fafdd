//! The write side of [`EntityAdmin`]: applying a form, loading a record for
//! writing at its version, and the messages for what the database refuses.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QuerySelect, Value,
};

use crate::access::permission::FieldAccess;
use crate::kernel::error::{Error, FieldError, Result};
use crate::kernel::field::{FieldKind, MoneyCurrency, parse_amount};
use crate::kernel::model::{ActiveModelOf, AdminModel, EntityOf};
use crate::kernel::record::{FormData, Record};

use super::EntityAdmin;

impl<M> EntityAdmin<M>
where
    M: AdminModel,
    EntityOf<M>: EntityTrait<Model = M>,
{
    /// Applies a form to an active model: every editable field, collecting errors.
    pub(super) fn apply_form(
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
            let minor = match f.money {
                Some(currency) => match minor_units(meta, am, &self.columns, form, access, currency, raw) {
                    Ok(minor) => Some(minor),
                    Err(msg) => {
                        errors.push(FieldError::field(f.name, msg));
                        continue;
                    }
                },
                None => None,
            };
            let raw = minor.as_deref().unwrap_or(raw);
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

    pub(super) async fn find_in<C: ConnectionTrait>(&self, conn: &C, key: &str) -> Result<Option<M>> {
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
    pub(super) fn not_found(&self, key: &str) -> Error {
        let meta = M::meta();
        Error::NotFound(format!(
            "There is no {} with {} {key}.",
            meta.label.to_lowercase(),
            meta.pk_field().name
        ))
    }

    /// Loads record `key` for writing (row-locked on PostgreSQL; SQLite write
    /// transactions hold the database lock) and checks it still has `version`:
    /// the model, to write onto, and the record as it was.
    pub(super) async fn locked_at_version<C: ConnectionTrait>(
        &self,
        txn: &C,
        key: &str,
        version: &str,
    ) -> Result<(M, Record)> {
        let model = self.find_in(txn, key).await?.ok_or_else(|| self.not_found(key))?;
        let record = Self::record(&model);
        if record.version() != version {
            return Err(Error::Conflict { current: Box::new(record) });
        }
        Ok((model, record))
    }
}

/// A money field's typed amount ("190.00") as the minor units its column stores
/// ("19000"), in the currency the form gives (when the user may edit it) or the
/// record has; empty text stays empty.
fn minor_units<A: ActiveModelTrait>(
    meta: &crate::kernel::model::ModelMeta,
    am: &A,
    columns: &[<A::Entity as EntityTrait>::Column],
    form: &FormData,
    access: &[FieldAccess],
    currency: MoneyCurrency,
    raw: &str,
) -> std::result::Result<String, String> {
    if raw.trim().is_empty() {
        return Ok(String::new());
    }
    let code = match currency {
        MoneyCurrency::Fixed(code) => code.to_owned(),
        MoneyCurrency::Field(name) => {
            let (j, _) = meta.field(name).ok_or_else(|| format!("{} has no field {name}", meta.slug))?;
            let typed = form.get(name).filter(|_| access.get(j) == Some(&FieldAccess::Editable));
            match (typed, am.get(columns[j])) {
                (Some(t), _) => t.trim().to_owned(),
                (
                    None,
                    sea_orm::ActiveValue::Set(Value::String(Some(s)))
                    | sea_orm::ActiveValue::Unchanged(Value::String(Some(s))),
                ) => s,
                _ => String::new(),
            }
        }
    };
    parse_amount(raw, &code).map(|minor| minor.to_string())
}

/// Refuses a decimal that `backend` cannot keep exactly: SQLite stores decimals as
/// binary floating point, exact to [`crate::kernel::field::SQLITE_EXACT_DIGITS`]
/// significant digits.
pub(super) fn exact_on(backend: DbBackend, v: Value) -> std::result::Result<Value, String> {
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
pub(super) fn write_refused(e: sea_orm::DbErr) -> Error {
    use crate::kernel::error::{Refusal, refusal};
    let msg = match refusal(&e) {
        Some(Refusal::Unique) => "Another record already has this value; it must be unique.",
        Some(Refusal::ForeignKey) => "A referenced record does not exist.",
        Some(Refusal::NotNull) => "A required value is missing.",
        Some(Refusal::Encoding | Refusal::OutOfRange) => return Error::from(e),
        // A database that is away or busy is said so (503), not "write failed".
        None if crate::kernel::error::unavailability(&e).is_some() => return Error::from(e),
        None => {
            tracing::error!(error = %e, "write failed");
            return Error::Db(e);
        }
    };
    tracing::info!(error = %e, "write refused by the database");
    Error::Invalid(vec![FieldError::form(format!("The database refused the record: {msg}"))])
}
