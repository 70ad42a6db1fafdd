//! `list_editable(a, b)`: the list columns staff may change in place, for many rows
//! at once. Parsed here, checked against the model (each name a field, shown in
//! `list_display`, not read-only) and expanded to the fields' indexes.

use proc_macro2::Literal;
use syn::meta::ParseNestedMeta;

use crate::ast::Model;
use crate::attr::{Ctxt, Name};

/// Reads `list_editable(...)`'s names (`None` after a malformed list, reported).
///
/// # Errors
/// A token stream that is not an attribute at all.
pub fn parse(cx: &Ctxt, meta: &ParseNestedMeta<'_>) -> syn::Result<Option<Vec<Name>>> {
    let names = crate::attr::parse_name_list(cx, meta, crate::symbol::LIST_EDITABLE)?;
    if names.as_ref().is_some_and(Vec::is_empty) {
        cx.error_spanned_by(
            &meta.path,
            "list_editable needs at least one field; leave it out when no column is editable",
        );
    }
    Ok(names)
}

/// Checks every name: a field of the model (with a "did you mean"), listed once, a
/// column of `list_display` (every field when that is left out), and not read-only
/// (`readonly` on the field or in the model's `readonly(...)`, or the primary key).
pub fn check(cx: &Ctxt, model: &Model<'_>) {
    let attrs = &model.attrs;
    let shown: Vec<&str> = match &attrs.list_display {
        Some(names) => names.iter().map(|n| n.value.as_str()).collect(),
        None => model.fields.iter().map(|f| f.name.as_str()).collect(),
    };
    let mut seen = std::collections::HashSet::new();
    for name in &attrs.list_editable {
        let Some(i) = model.field_index(&name.value) else {
            let names: Vec<&str> = model.fields.iter().map(|f| f.name.as_str()).collect();
            let hint = crate::suggest::hint(&name.value, names.iter().copied());
            cx.error_at(
                name.span,
                format!(
                    "unknown field `{}`{hint}; fields of {} are: {}",
                    name.value,
                    model.ident,
                    names.join(", ")
                ),
            );
            continue;
        };
        if !seen.insert(name.value.as_str()) {
            cx.error_at(name.span, format!("duplicate field `{}` in list_editable", name.value));
            continue;
        }
        if !shown.contains(&name.value.as_str()) {
            let hint = crate::suggest::hint(&name.value, shown.iter().copied());
            cx.error_at(
                name.span,
                format!(
                    "`{}` is not a column of list_display, so the list cannot edit it{hint}; add it to list_display(...) or leave it out of list_editable",
                    name.value
                ),
            );
            continue;
        }
        let field = &model.fields[i];
        let readonly = field.attrs.readonly
            || field.attrs.primary_key.is_some()
            || attrs.readonly.iter().any(|r| r.value == name.value);
        if readonly {
            let editable: Vec<&str> = shown
                .iter()
                .copied()
                .filter(|s| {
                    model.field_index(s).is_some_and(|j| {
                        let f = &model.fields[j];
                        !f.attrs.readonly
                            && f.attrs.primary_key.is_none()
                            && !attrs.readonly.iter().any(|r| r.value == *s)
                    })
                })
                .collect();
            let hint = crate::suggest::hint(&name.value, editable.iter().copied());
            cx.error_at(
                name.span,
                format!(
                    "`{}` is read-only, so the list cannot edit it{hint}; leave it out of list_editable",
                    name.value
                ),
            );
        }
    }
}

/// The indexes of the editable fields, for `ModelMeta::list_editable`.
pub fn indexes(model: &Model<'_>) -> Vec<Literal> {
    model
        .attrs
        .list_editable
        .iter()
        .filter_map(|n| model.field_index(&n.value))
        .map(Literal::usize_unsuffixed)
        .collect()
}
