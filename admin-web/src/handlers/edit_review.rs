//! Checking an edit before it is saved: for a model that asks for a reason with
//! every change ([`admin_core::ModelMeta::reason_required`]), the edit form's POST
//! first shows what will change ("Email: a@x → b@x") with a "Save these changes"
//! button that sends the same values, version and reason again; only that second
//! POST saves (through the door, with its version check).

use admin_core::access::permission::{FieldAccess, field_access};
use admin_core::kernel::field::FieldKind;
use admin_core::list::query::ModelFields;
use admin_core::{FormData, Record};
use minijinja::{Value, context};

/// The field that marks the second POST: the person saw the changes and confirmed.
pub const CONFIRMED: &str = "_confirmed";
/// The button that goes back to the form with the values typed.
pub const EDIT: &str = "_edit";

/// The review of `form` against `record`: the changed fields with their values
/// before and after, as staff read them, and the pairs to send again. `None` when
/// there is nothing to review and the save should go ahead (and fail, if it must,
/// with its usual message): no change, a value that does not parse, no reason, or
/// a record that changed since the form was loaded.
pub fn review(
    ctx: &crate::session::Ctx,
    model: &dyn ModelFields,
    record: &Record,
    form: &FormData,
) -> Option<Value> {
    let meta = model.meta();
    let staff = ctx.caller.staff();
    let reason = form.get("_reason").map(str::trim).filter(|r| !r.is_empty())?;
    if form.get("_version") != Some(record.version().as_str()) {
        return None;
    }
    let mut changes = Vec::new();
    for (i, f) in meta.fields.iter().enumerate() {
        if field_access(staff, meta, f, false) != FieldAccess::Editable {
            continue;
        }
        let yours = match form.get(f.name) {
            Some(v) => v,
            None if f.kind == FieldKind::Boolean && !f.nullable => "0",
            None => "",
        };
        let new = model.parse_value(i, yours).ok()?;
        let old = model.parse_value(i, &record.cells[i].form_value()).ok();
        if old.as_ref() == Some(&new) {
            continue;
        }
        let after = match new {
            sea_orm::Value::Bool(Some(b)) => if b { "yes" } else { "no" }.to_owned(),
            _ if yours.trim().is_empty() => String::new(),
            _ => f.choice_label(yours.trim()).to_owned(),
        };
        changes.push(context! { label => f.label, before => shown(&f.display(&record.cells[i])), after => shown(&after) });
    }
    if changes.is_empty() {
        return None;
    }
    let pairs: Vec<Value> = form
        .0
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "csrf_token" | CONFIRMED | EDIT))
        .map(|(k, v)| context! { name => k, value => v })
        .collect();
    Some(context! { changes => changes, reason => reason, pairs => pairs })
}

/// A value as the review shows it: an empty one as a dash.
fn shown(v: &str) -> String {
    if v.is_empty() { "\u{2014}".to_owned() } else { v.to_owned() }
}
