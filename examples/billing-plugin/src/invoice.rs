//! What the billing actions need of the application's invoice model, read through
//! `AdminModel` (which `#[derive(AdminModel)]` implements): the fields by name, and
//! the check that the model has them ([`check`]).

use admin_core::kernel::model::{ActiveModelOf, EntityOf};
use admin_core::{AdminModel, Cell, FieldKind};
use sea_orm::{ActiveModelTrait, EntityTrait, IdenStatic, Iterable};

/// The invoice number the customer sees (text).
pub const NUMBER: &str = "number";
/// The status (text with choices): the plugin reads and writes the values in [`STATUSES`].
pub const STATUS: &str = "status";
/// The amount in the currency's minor unit (an integer).
pub const AMOUNT: &str = "amount_cents";
/// The ISO 4217 currency code (text).
pub const CURRENCY: &str = "currency";

/// The statuses the actions read and write, as the `status` field stores them.
pub mod status {
    /// Being prepared; the customer has not seen it.
    pub const DRAFT: &str = "draft";
    /// Sent and waiting for payment.
    pub const OPEN: &str = "open";
    /// Paid in full.
    pub const PAID: &str = "paid";
    /// The customer disputed the charge with their bank.
    pub const DISPUTED: &str = "disputed";
    /// The money went back to the customer.
    pub const REFUNDED: &str = "refunded";
    /// Cancelled before payment; nothing is owed.
    pub const VOID: &str = "void";
}

/// Every status in [`status`]: the application's `status` field must offer them all.
pub const STATUSES: [&str; 6] =
    [status::DRAFT, status::OPEN, status::PAID, status::DISPUTED, status::REFUNDED, status::VOID];

/// What is wrong with `M` as an invoice for the billing actions, one sentence each
/// with the fix (none when `M` fits).
#[must_use]
pub fn check<M: AdminModel>() -> Vec<String> {
    let meta = M::meta();
    let mut out = Vec::new();
    let needs = [
        (NUMBER, "text", FieldKind::Text),
        (STATUS, "text with choices", FieldKind::Text),
        (AMOUNT, "an integer (minor units)", FieldKind::Integer),
        (CURRENCY, "text", FieldKind::Text),
    ];
    for (name, what, kind) in needs {
        match meta.field(name) {
            None => out.push(format!(
                "the model `{}` has no field `{name}` ({what}), which the billing actions read{}; add it, or rename the field that holds it",
                meta.slug,
                admin_core::access::did_you_mean(name, meta.fields.iter().map(|f| f.name))
            )),
            Some((_, f)) if f.kind != kind && !(kind == FieldKind::Text && f.kind == FieldKind::Choice) => {
                out.push(format!("the field `{}.{name}` must be {what}; it is {:?}", meta.slug, f.kind));
            }
            Some(_) => {}
        }
    }
    if let Some((_, f)) = meta.field(STATUS) {
        let offered: Vec<&str> = f.choices.unwrap_or_default().iter().map(|c| c.value).collect();
        let missing: Vec<&str> = STATUSES.iter().copied().filter(|s| !offered.contains(s)).collect();
        if !missing.is_empty() {
            out.push(format!(
                "the field `{}.{STATUS}` must offer the choices {}; it lacks {}",
                meta.slug,
                STATUSES.join(", "),
                missing.join(", ")
            ));
        }
    }
    out
}

/// The text of field `name` of `record` ("" when it is not text).
#[must_use]
pub fn text<M: AdminModel>(record: &M, name: &str) -> String {
    match M::meta().field(name).map(|(i, _)| record.cell(i)) {
        Some(Cell::Text(s)) => s,
        _ => String::new(),
    }
}

/// The whole number in field `name` of `record`, in the minor unit for a money
/// field (0 when it is not a number).
#[must_use]
pub fn number<M: AdminModel>(record: &M, name: &str) -> i64 {
    match M::meta().field(name).map(|(i, _)| record.cell(i)) {
        Some(Cell::Int(n)) => n,
        Some(Cell::Money(m)) => m.minor,
        _ => 0,
    }
}

/// `record` with field `name` set to `value`, ready to save.
///
/// # Errors
/// When the model has no such field or column, or `value` does not fit it (what
/// [`check`] rules out at start-up).
pub fn with_text<M>(record: M, name: &str, value: &str) -> admin_core::Result<ActiveModelOf<M>>
where
    M: AdminModel,
    EntityOf<M>: EntityTrait<Model = M>,
{
    let meta = M::meta();
    let missing = || admin_core::Error::Internal(format!("the model `{}` has no field `{name}`", meta.slug));
    let (i, field) = meta.field(name).ok_or_else(missing)?;
    let column = <EntityOf<M> as EntityTrait>::Column::iter()
        .find(|c| c.as_str() == field.column)
        .ok_or_else(missing)?;
    let value = M::parse_value(i, value).map_err(admin_core::Error::Internal)?;
    let mut am: ActiveModelOf<M> = record.into_active_model();
    am.set(column, value);
    Ok(am)
}
