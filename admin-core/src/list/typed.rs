//! A form's text for one field as the value it would store, for comparing what a
//! person typed (or a file holds) with what a record has.

use crate::kernel::field::{MoneyCurrency, parse_amount};
use crate::kernel::record::{FormData, Record};
use crate::list::query::ModelFields;

/// The typed value of field `i`: an amount of money in its currency's minor units
/// (the currency typed in the same row when that column is editable, else the
/// record's), anything else as the field parses it.
pub(crate) fn typed_value(
    admin: &dyn ModelFields,
    i: usize,
    raw: &str,
    record: &Record,
    form: &FormData,
    columns: &[usize],
) -> std::result::Result<sea_orm::Value, String> {
    let meta = admin.meta();
    let f = &meta.fields[i];
    match f.money {
        Some(currency) if !raw.trim().is_empty() => {
            let code = match currency {
                MoneyCurrency::Fixed(code) => code.to_owned(),
                MoneyCurrency::Field(name) => match meta.field(name) {
                    Some((j, _)) if columns.contains(&j) && form.get(name).is_some() => {
                        form.get(name).unwrap_or_default().trim().to_owned()
                    }
                    Some((j, _)) => record.cells[j].form_value(),
                    None => String::new(),
                },
            };
            let minor = parse_amount(raw, &code)?;
            admin.parse_value(i, &minor.to_string())
        }
        _ => admin.parse_value(i, raw),
    }
}
