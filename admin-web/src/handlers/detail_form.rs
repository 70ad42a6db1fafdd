//! The record form's state: what the page was opened from, each field's value and
//! error, and which fields the user may change.

use std::collections::HashMap;

use admin_core::access::permission::{FieldAccess, field_access};
use admin_core::kernel::field::FieldKind;
use admin_core::{FieldError, FieldMeta, FormData, ModelMeta, Record, Staff};
use serde::Deserialize;

use super::safe_back;

/// The query of a page opened from a list: the list's query string to go back to.
#[derive(Debug, Default, Deserialize)]
pub struct BackQuery {
    /// The list's query string (`q=acme&plan=pro`).
    #[serde(rename = "_back")]
    pub back: Option<String>,
}

impl BackQuery {
    /// The kept list query, made safe to put into a link.
    #[must_use]
    pub fn safe(&self) -> String {
        safe_back(self.back.as_deref())
    }
}

/// What the form shows: values (from the record or from a rejected submission),
/// errors by field, and form-wide errors.
pub(super) struct FormState<'a> {
    pub(super) values: HashMap<&'static str, String>,
    pub(super) errors: &'a [FieldError],
}

impl<'a> FormState<'a> {
    pub(super) fn from_record(meta: &ModelMeta, record: Option<&Record>, errors: &'a [FieldError]) -> Self {
        let values = meta
            .fields
            .iter()
            .enumerate()
            .map(|(i, f)| (f.name, record.map(|r| r.cells[i].form_value()).unwrap_or_default()))
            .collect();
        Self { values, errors }
    }

    /// Overlays what the user submitted for editable fields.
    pub(super) fn with_submitted(
        mut self,
        staff: &Staff,
        meta: &ModelMeta,
        form: &FormData,
        creating: bool,
    ) -> Self {
        for f in meta.fields.iter().filter(|f| editable(staff, meta, f, creating)) {
            let v = match form.get(f.name) {
                Some(v) => v.to_owned(),
                None if f.kind == FieldKind::Boolean && !f.nullable => "0".to_owned(),
                None => String::new(),
            };
            self.values.insert(f.name, v);
        }
        // The reason typed is kept too, so it need not be typed again.
        if let Some(r) = form.get("_reason") {
            self.values.insert("_reason", r.to_owned());
        }
        self
    }

    pub(super) fn error(&self, name: &str) -> Option<&str> {
        self.errors.iter().find(|e| e.field.as_deref() == Some(name)).map(|e| e.message.as_str())
    }
}

pub(super) fn editable(staff: &Staff, meta: &ModelMeta, f: &FieldMeta, creating: bool) -> bool {
    field_access(staff, meta, f, creating) == FieldAccess::Editable
}

/// The `?_back=` that takes a page back to the list it came from, or "".
pub(super) fn back_query(back: &str) -> String {
    if back.is_empty() {
        return String::new();
    }
    let mut s = form_urlencoded::Serializer::new(String::new());
    s.append_pair("_back", back.trim_start_matches('?'));
    format!("?{}", s.finish())
}
