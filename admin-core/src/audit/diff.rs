//! How changes are shown in the log: `{field: [before, after]}` diffs and snapshots,
//! and parsing a stored diff back for display.

use serde_json::{Map, Value as Json};

use crate::kernel::Changes;
use crate::kernel::field::Cell;
use crate::kernel::model::ModelMeta;

/// Renders field changes as `{field: [before, after]}` with form-style values
/// (`null` for `NULL`).
#[must_use]
pub fn diff_json(meta: &ModelMeta, changes: &Changes) -> Json {
    let mut map = Map::new();
    for (i, before, after) in changes {
        let f = &meta.fields[*i];
        map.insert(f.name.to_owned(), Json::Array(vec![cell_json(before), cell_json(after)]));
    }
    Json::Object(map)
}

/// All fields of a record as `{field: [null, value]}` (create) or
/// `{field: [value, null]}` (delete).
#[must_use]
pub fn snapshot_json(meta: &ModelMeta, cells: &[Cell], created: bool) -> Json {
    let mut map = Map::new();
    for (f, c) in meta.fields.iter().zip(cells) {
        let v = cell_json(c);
        let pair = if created { vec![Json::Null, v] } else { vec![v, Json::Null] };
        map.insert(f.name.to_owned(), Json::Array(pair));
    }
    Json::Object(map)
}

/// One value as the log keeps it: `null`, a boolean, a whole number, or text (a
/// date-time to the second, so an undo or a restore can write it back exactly).
#[must_use]
pub fn cell_json(c: &Cell) -> Json {
    match c {
        Cell::Null => Json::Null,
        Cell::Bool(b) => Json::Bool(*b),
        // Money is kept in minor units, as stored: what putting a value back reads.
        Cell::Int(i) | Cell::Money(crate::kernel::field::Money { minor: i, .. }) => Json::from(*i),
        Cell::DateTime(dt) => Json::String(dt.format("%Y-%m-%d %H:%M:%S").to_string()),
        other => Json::String(other.display()),
    }
}

/// A value as the log keeps it, as form text that the field's parser reads back
/// (`1`/`0` for booleans, the empty text for `null`).
#[must_use]
pub fn json_form_text(v: &Json) -> String {
    match v {
        Json::Null => String::new(),
        Json::Bool(b) => if *b { "1" } else { "0" }.to_owned(),
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Parses a stored `{field: [before, after]}` into rows for display.
#[must_use]
pub fn parse_changes(changes: &str) -> Vec<(String, String, String)> {
    let Ok(Json::Object(map)) = serde_json::from_str::<Json>(changes) else { return Vec::new() };
    map.into_iter()
        .map(|(k, v)| {
            let text = |j: Option<&Json>| match j {
                None | Some(Json::Null) => String::new(),
                Some(Json::String(s)) => s.clone(),
                Some(Json::Bool(b)) => if *b { "yes" } else { "no" }.to_owned(),
                Some(other) => other.to_string(),
            };
            let arr = v.as_array();
            (k, text(arr.and_then(|a| a.first())), text(arr.and_then(|a| a.get(1))))
        })
        .collect()
}
