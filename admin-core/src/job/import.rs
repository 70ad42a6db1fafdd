//! CSV imports: reading the file (UTF-8 with or without a byte-order mark, `,` or
//! `;`), matching its columns to fields, and the plan one importer's rows are
//! checked and written with.
//!
//! An import is a job of kind `import`. Its rows are the job's items, each with
//! its line and cells, made when the file is read (state `draft`). Once its
//! columns are matched to fields, the worker checks every row in chunks, as the
//! importer, by writing it in a savepoint it then rolls back (state `checking`):
//! the model's own parsing, field rules, scopes and the database's constraints
//! decide, so the preview cannot promise what the write would refuse. The
//! importer confirms the preview (state `ready`), and the worker writes the rows
//! the same way, this time committed, one audit entry per created or changed
//! record.

use serde::{Deserialize, Serialize};

use crate::access::Staff;
use crate::access::permission::{FieldAccess, access_map};
use crate::kernel::model::{FieldMeta, ModelMeta};

/// The largest file an import reads, in bytes.
pub const IMPORT_MAX_BYTES: usize = 32 * 1024 * 1024;

/// The most columns an import's file may have.
pub const IMPORT_MAX_COLUMNS: usize = 200;

/// The most rows one import takes.
pub const IMPORT_MAX_ROWS: usize = 200_000;

/// A CSV file as an import reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CsvFile {
    /// The header's cells, trimmed.
    pub header: Vec<String>,
    /// The rows that are not blank: their line in the file (the header is line 1)
    /// and their cells.
    pub rows: Vec<(i64, Vec<String>)>,
    /// The separator found: `,` or `;`.
    pub delimiter: char,
}

/// Reads an uploaded CSV file: UTF-8, with or without a byte-order mark; cells
/// separated by `,` or `;` (whichever the header line has more of, outside
/// quotes); quoted cells may hold separators and line breaks.
///
/// # Errors
/// What is wrong with the file, in words: too large, not UTF-8 (with the line),
/// no header, no rows, too many rows, a quote left open.
pub fn read_csv(bytes: &[u8]) -> std::result::Result<CsvFile, String> {
    if bytes.len() > IMPORT_MAX_BYTES {
        return Err(format!(
            "The file is {} MB; an import takes at most {} MB. Split it into smaller files.",
            bytes.len().div_ceil(1024 * 1024),
            IMPORT_MAX_BYTES / (1024 * 1024)
        ));
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()].iter().filter(|b| **b == b'\n').count() + 1;
        format!(
            "The file is not UTF-8 text (line {line} has a character in another encoding). Save it as \u{201c}CSV UTF-8\u{201d} and upload it again."
        )
    })?;
    if text.trim().is_empty() {
        return Err("The file is empty.".to_owned());
    }
    let delimiter = delimiter_of(text);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter as u8)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    // The line a byte of the text is on, from 1, counted on from the last one
    // asked (bytes are asked in order), so reading stays linear in the file.
    let (mut counted_to, mut lines_before) = (0usize, 0i64);
    let mut line_at = |byte: usize| -> i64 {
        let end = byte.min(text.len()).max(counted_to);
        lines_before += text.as_bytes()[counted_to..end].iter().filter(|b| **b == b'\n').count() as i64;
        counted_to = end;
        lines_before + 1
    };
    let mut header: Option<Vec<String>> = None;
    let mut rows = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        // Where the next record starts: past any blank lines the reader skips.
        let mut at = usize::try_from(reader.position().byte()).unwrap_or(text.len()).min(text.len());
        while text.as_bytes().get(at).is_some_and(|b| *b == b'\r' || *b == b'\n') {
            at += 1;
        }
        let line = line_at(at);
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(_) => return Err(format!("Line {line} cannot be read as CSV: a cell is malformed.")),
        }
        let cells: Vec<String> = record.iter().map(str::to_owned).collect();
        if cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        if header.is_none() {
            header = Some(header_of(&cells)?);
            continue;
        }
        if rows.len() == IMPORT_MAX_ROWS {
            return Err(format!(
                "The file has more than {} rows; an import takes at most that many. Split it into smaller files.",
                crate::kernel::text::thousands(IMPORT_MAX_ROWS as u64)
            ));
        }
        rows.push((line, cells));
    }
    // A quote left open swallows the rest of the file into one cell.
    if let Some(line) = open_quote(text, delimiter) {
        return Err(format!(
            "Line {line} cannot be read as CSV: a quote opened there is never closed, so the rest of the file would be one cell."
        ));
    }
    let header = header.ok_or_else(|| "The file has no header line.".to_owned())?;
    if rows.is_empty() {
        return Err("The file has a header line but no rows.".to_owned());
    }
    Ok(CsvFile { header, rows, delimiter })
}

/// The header's cells, trimmed, within [`IMPORT_MAX_COLUMNS`].
fn header_of(cells: &[String]) -> std::result::Result<Vec<String>, String> {
    if cells.len() > IMPORT_MAX_COLUMNS {
        return Err(format!(
            "The header has {} columns; an import takes at most {IMPORT_MAX_COLUMNS}. Remove the columns you do not import.",
            cells.len()
        ));
    }
    Ok(cells.iter().map(|c| c.trim().to_owned()).collect())
}

/// The line of a quote that opens a cell and is never closed, if any. A quote
/// inside a cell that did not start with one (`27" screen`) is text.
fn open_quote(text: &str, delimiter: char) -> Option<i64> {
    let (mut quoted, mut at_start, mut line, mut opened) = (false, true, 1i64, 0i64);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\n' {
            line += 1;
        }
        if quoted {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                } else {
                    quoted = false;
                }
            }
            continue;
        }
        match c {
            '"' if at_start => {
                quoted = true;
                opened = line;
                at_start = false;
            }
            '\n' | '\r' => at_start = true,
            d if d == delimiter => at_start = true,
            _ => at_start = false,
        }
    }
    quoted.then_some(opened)
}

/// `;` when the first line has more of them than commas, outside quotes.
fn delimiter_of(text: &str) -> char {
    let (mut commas, mut semicolons, mut quoted) = (0, 0, false);
    for c in text.chars() {
        match c {
            '"' => quoted = !quoted,
            '\n' if !quoted => break,
            ',' if !quoted => commas += 1,
            ';' if !quoted => semicolons += 1,
            _ => {}
        }
    }
    if semicolons > commas { ';' } else { ',' }
}

/// What an import's job keeps of its file and of how its columns are matched
/// (its stored input).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportSpec {
    /// The file's name, as uploaded.
    pub file: String,
    /// The header's cells.
    pub header: Vec<String>,
    /// Per column, the field it is matched to (its name), if any.
    pub mapping: Vec<Option<String>>,
    /// The field that matches a row to a record: the primary key or a unique field.
    pub key: Option<String>,
}

impl ImportSpec {
    /// Guesses each column's field: the importer's previous import of the model
    /// (`remembered`: header cell to field) first, then a field whose name or label
    /// reads the same (case, spaces and `_` aside), among those the importer may
    /// import. The key: the remembered one if still matched, else the first unique
    /// field matched that is not the primary key, else the primary key.
    #[must_use]
    pub fn guess(
        file: &str,
        header: &[String],
        fields: &ImportFields,
        remembered: Option<&ImportSpec>,
    ) -> Self {
        let meta = fields.meta;
        let simple = |s: &str| s.to_lowercase().chars().filter(|c| c.is_alphanumeric()).collect::<String>();
        let mut mapping: Vec<Option<String>> = Vec::with_capacity(header.len());
        for cell in header {
            // A column the previous file had is matched as it was then, left out too.
            let before = remembered.and_then(|r| {
                let at = r.header.iter().position(|h| h == cell)?;
                Some(r.mapping.get(at).cloned().flatten())
            });
            let field = match before {
                Some(before) => before
                    .filter(|name| fields.importable(name) || fields.keys().iter().any(|k| k.name == name)),
                None => meta
                    .fields
                    .iter()
                    .find(|f| {
                        (fields.importable(f.name) || (f.unique && !fields.hidden(f)))
                            && (simple(f.name) == simple(cell) || simple(f.label) == simple(cell))
                    })
                    .map(|f| f.name.to_owned()),
            }
            .filter(|name| !mapping.iter().flatten().any(|m| m == name));
            mapping.push(field);
        }
        let matched = |name: &str| mapping.iter().flatten().any(|m| m == name);
        let key = remembered.and_then(|r| r.key.clone()).filter(|k| matched(k)).or_else(|| {
            meta.fields
                .iter()
                .find(|f| f.unique && !f.primary_key && matched(f.name))
                .or_else(|| meta.fields.iter().find(|f| f.primary_key && matched(f.name)))
                .map(|f| f.name.to_owned())
        });
        // A field only the key may be (a read-only ID) is left out unless it is.
        for m in &mut mapping {
            if m.as_deref().is_some_and(|name| !fields.importable(name) && key.as_deref() != Some(name)) {
                *m = None;
            }
        }
        Self { file: file.to_owned(), header: header.to_vec(), mapping, key }
    }

    /// Checks a matching of columns to fields for this importer: each field known,
    /// not hidden, matched once, and one they may set (the key may be read-only: it
    /// only finds the record); the key a unique field that is matched.
    ///
    /// # Errors
    /// Every problem, in words.
    pub fn check(&self, fields: &ImportFields) -> std::result::Result<(), Vec<String>> {
        let meta = fields.meta;
        let mut errors = Vec::new();
        let mut seen: Vec<&str> = Vec::new();
        for (i, m) in self.mapping.iter().enumerate() {
            let Some(name) = m else { continue };
            let column = self.header.get(i).map_or("", String::as_str);
            let Some((_, f)) = meta.field(name).filter(|(_, f)| !fields.hidden(f)) else {
                errors.push(format!("{} has no field \u{201c}{name}\u{201d}.", meta.label_plural));
                continue;
            };
            if seen.contains(&f.name) {
                errors.push(format!("Two columns are matched to {}: match it to one column only.", f.label));
                continue;
            }
            seen.push(f.name);
            if !fields.importable(f.name) && self.key.as_deref() != Some(f.name) {
                errors.push(format!(
                    "You cannot set {}, so the column \u{201c}{column}\u{201d} cannot be imported: leave it unmatched.",
                    f.label
                ));
            }
        }
        match self.key.as_deref().map(|k| (k, meta.field(k))) {
            None => errors.push(
                "Choose the field that matches rows to records: the ID, or a field no two records share."
                    .to_owned(),
            ),
            Some((k, None)) => errors.push(format!("{} has no field \u{201c}{k}\u{201d}.", meta.label_plural)),
            Some((_, Some((_, f)))) if !f.unique => errors.push(format!(
                "{} cannot match rows to records: two {} may share it. Choose the ID or a field no two records share.",
                f.label,
                meta.noun_plural()
            )),
            Some((_, Some((_, f)))) if !seen.contains(&f.name) => errors.push(format!(
                "No column is matched to {}, the field that matches rows to records.",
                f.label
            )),
            Some(_) => {}
        }
        if errors.is_empty() { Ok(()) } else { Err(errors) }
    }

    /// The matched columns: (column, field index).
    #[must_use]
    pub fn columns(&self, meta: &ModelMeta) -> Vec<(usize, usize)> {
        self.mapping.iter().enumerate().filter_map(|(c, m)| Some((c, meta.field(m.as_deref()?)?.0))).collect()
    }
}

/// What one importer may do with a model's fields.
pub struct ImportFields {
    /// The model.
    pub meta: &'static ModelMeta,
    /// Per field, creating a record.
    pub create: Vec<FieldAccess>,
    /// Per field, changing one.
    pub change: Vec<FieldAccess>,
    /// Whether they may add records (`{model}.add`).
    pub may_add: bool,
    /// Whether they may change them (`{model}.change`).
    pub may_change: bool,
}

impl ImportFields {
    /// The importer's access to `meta`'s fields.
    #[must_use]
    pub fn new(staff: &Staff, meta: &'static ModelMeta) -> Self {
        Self {
            meta,
            create: access_map(staff, meta, true),
            change: access_map(staff, meta, false),
            may_add: staff.may(&format!("{}.add", meta.slug)),
            may_change: staff.may(&format!("{}.change", meta.slug)),
        }
    }

    fn at(&self, name: &str) -> Option<usize> {
        self.meta.field(name).map(|(i, _)| i)
    }

    /// Whether the importer sees the field at all.
    #[must_use]
    pub fn hidden(&self, f: &FieldMeta) -> bool {
        self.at(f.name).is_some_and(|i| self.change[i] == FieldAccess::Hidden)
    }

    /// Whether a column may set the field: editable for them when creating or
    /// changing a record.
    #[must_use]
    pub fn importable(&self, name: &str) -> bool {
        self.at(name).is_some_and(|i| {
            self.create[i] == FieldAccess::Editable || self.change[i] == FieldAccess::Editable
        })
    }

    /// The fields a column may be matched to (those they may set, and unique ones
    /// they see, as keys), in the model's order.
    #[must_use]
    pub fn choices(&self) -> Vec<&'static FieldMeta> {
        self.meta.fields.iter().filter(|f| self.importable(f.name) || (f.unique && !self.hidden(f))).collect()
    }

    /// The fields that may match rows to records.
    #[must_use]
    pub fn keys(&self) -> Vec<&'static FieldMeta> {
        self.meta.fields.iter().filter(|f| f.unique && !self.hidden(f)).collect()
    }
}

/// A cell as a form would send it for `f`: trimmed; a formula defused by an
/// export (`'=…`) given back; a choice by its label or value; yes/no as a box.
#[must_use]
pub fn form_text(f: &FieldMeta, cell: &str) -> String {
    let mut t = cell.trim();
    if let Some(rest) = t.strip_prefix('\'')
        && rest.starts_with(['=', '+', '-', '@', '\t', '\r'])
    {
        t = rest;
    }
    if let Some(choices) = f.choices
        && let Some(c) = choices
            .iter()
            .find(|c| c.value == t)
            .or_else(|| choices.iter().find(|c| c.label.eq_ignore_ascii_case(t)))
    {
        return c.value.to_owned();
    }
    t.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_semicolon_file_with_a_bom_is_read() {
        let f = read_csv(b"\xEF\xBB\xBFemail;company\r\na@x.test;\"A; B\"\r\n\r\nb@x.test;C\r\n").unwrap();
        assert_eq!(f.delimiter, ';');
        assert_eq!(f.header, ["email", "company"]);
        assert_eq!(
            f.rows,
            [
                (2, vec!["a@x.test".to_owned(), "A; B".to_owned()]),
                (4, vec!["b@x.test".to_owned(), "C".to_owned()])
            ]
        );
    }

    #[test]
    fn bad_files_are_refused_in_words() {
        assert!(read_csv(b"email\n\xff\xfe\n").unwrap_err().contains("line 2"));
        assert!(read_csv(b"email,company\n").unwrap_err().contains("no rows"));
        assert!(read_csv(b"").unwrap_err().contains("empty"));
        assert!(read_csv(b"a,b\n\"open,1\n").unwrap_err().contains("Line 2"));
        // A quote inside a cell is text, not an opening one.
        assert_eq!(read_csv(b"item,size\nMonitor,27\" wide\n").unwrap().rows[0].1[1], "27\" wide");
    }

    #[test]
    fn quoted_commas_do_not_decide_the_separator() {
        assert_eq!(delimiter_of("\"a,b,c\";d;e\n1,2"), ';');
        assert_eq!(delimiter_of("a,b;c\n"), ',');
    }
}
