//! A record as the admin sees it: its key and one [`Cell`] per field, plus the
//! submitted form data that edits it.

use sha2::{Digest, Sha256};

use crate::kernel::field::Cell;
use crate::kernel::model::ModelMeta;

/// One row of a model, model-independent.
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    /// The primary key as text, as it appears in URLs.
    pub key: String,
    /// One cell per field, in `ModelMeta::fields` order.
    pub cells: Vec<Cell>,
    fingerprint: String,
}

impl Record {
    /// A record with its key and cells; its version is computed from the cells now,
    /// so it stays the record's version even after hidden fields are blanked.
    #[must_use]
    pub fn new(key: String, cells: Vec<Cell>) -> Self {
        let fingerprint = fingerprint(&cells);
        Self { key, cells, fingerprint }
    }

    /// A short fingerprint of every value as stored, carried by edit forms as
    /// `_version`.
    ///
    /// A save is refused when the record's fingerprint no longer matches the one
    /// the form was loaded with, so nobody overwrites a change they did not see.
    #[must_use]
    pub fn version(&self) -> String {
        self.fingerprint.clone()
    }
}

fn fingerprint(cells: &[Cell]) -> String {
    {
        let mut h = Sha256::new();
        for c in cells {
            // The variant tag keeps `NULL` apart from an empty string. Lists make a
            // record per row, so the common cells are hashed without allocating.
            let tag: u8 = match c {
                Cell::Null => 0,
                Cell::Bool(_) => 1,
                Cell::Int(_) => 2,
                Cell::Float(_) => 3,
                Cell::Decimal(_) => 4,
                Cell::Text(_) => 5,
                Cell::Date(_) => 6,
                Cell::DateTime(_) => 7,
                Cell::Money(_) => 8,
            };
            h.update([tag]);
            match c {
                Cell::Null => {}
                Cell::Bool(b) => h.update([u8::from(*b)]),
                Cell::Int(i) => h.update(i.to_le_bytes()),
                Cell::Money(m) => {
                    h.update(m.minor.to_le_bytes());
                    h.update(m.currency.as_bytes());
                }
                Cell::Text(t) => h.update(t.as_bytes()),
                Cell::DateTime(dt) => {
                    h.update(dt.and_utc().timestamp().to_le_bytes());
                    h.update(dt.and_utc().timestamp_subsec_nanos().to_le_bytes());
                }
                other => h.update(other.form_value().as_bytes()),
            }
            h.update([0u8]);
        }
        let digest = h.finalize();
        hex::encode(&digest[..10])
    }
}

impl Record {
    /// The cell of the field named `name`.
    #[must_use]
    pub fn get<'a>(&'a self, meta: &ModelMeta, name: &str) -> Option<&'a Cell> {
        meta.field(name).and_then(|(i, _)| self.cells.get(i))
    }

    /// The record's name for headings, breadcrumbs and links: its display name
    /// (`#[admin(display = "{company} <{email}>")]`: "Acme <a@acme.test>"), or
    /// "Account 42" for a model without one or when every value it names is empty
    /// (hidden from this user, say).
    #[must_use]
    pub fn title(&self, meta: &ModelMeta) -> String {
        self.display_name(meta).unwrap_or_else(|| format!("{} {}", meta.label, self.key))
    }

    /// The record's display name, when its model has one and it is not empty.
    #[must_use]
    pub fn display_name(&self, meta: &ModelMeta) -> Option<String> {
        meta.display.as_ref().map(|d| d.name(self, meta)).filter(|n| !n.is_empty())
    }
}

/// Submitted form fields, in the order they came. Repeated names are kept; the last
/// one wins for single-valued fields (so a hidden `0` before a checked box's `1`
/// reads as checked).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FormData(pub Vec<(String, String)>);

impl FormData {
    /// The last value given for `name`.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// Every value given for `name`, in order.
    #[must_use]
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str()).collect()
    }
}

impl From<Vec<(String, String)>> for FormData {
    fn from(v: Vec<(String, String)>) -> Self {
        Self(v)
    }
}

impl<const N: usize> From<[(&str, &str); N]> for FormData {
    fn from(v: [(&str, &str); N]) -> Self {
        Self(v.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_changes_with_any_value_and_tells_null_from_empty() {
        let a = Record::new("1".into(), vec![Cell::Int(1), Cell::Text(String::new())]);
        let b = Record::new("1".into(), vec![Cell::Int(1), Cell::Null]);
        let c = Record::new("1".into(), vec![Cell::Int(2), Cell::Text(String::new())]);
        assert_ne!(a.version(), b.version());
        assert_ne!(a.version(), c.version());
        assert_eq!(a.version(), a.clone().version());
        assert_eq!(a.version().len(), 20);
    }

    #[test]
    fn form_data_last_value_wins() {
        let f = FormData::from([("locked", "0"), ("locked", "1"), ("ids", "3")]);
        assert_eq!(f.get("locked"), Some("1"));
        assert_eq!(f.all("locked"), vec!["0", "1"]);
        assert_eq!(f.get("missing"), None);
    }
}
