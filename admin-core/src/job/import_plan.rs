//! How one importer's rows are written: the plan a chunk makes from the import's
//! matching (fields, key, access, scope), and one row written with it.

use std::collections::{HashMap, HashSet};

use sea_orm::DatabaseTransaction;

use super::import::{ImportFields, ImportSpec, form_text};
use crate::access::Staff;
use crate::access::permission::FieldAccess;
use crate::access::scope::RowScope;
use crate::audit::Context;
use crate::kernel::error::{Error, Result};
use crate::kernel::record::{FormData, Record};
use crate::registry::{ModelAdmin, Registry};

/// What one row did (or, being checked, would do).
pub(super) enum Applied {
    /// A new record, with the values it got (`[label, "", value]`).
    Created(String, Vec<[String; 3]>),
    /// A record changed: its key and `[label, before, after]` per field.
    Updated(String, Vec<[String; 3]>),
    /// A record that already has the row's values.
    Unchanged(String),
}

/// What a row comes to before anything is written.
pub(super) enum Prepared {
    /// Nothing to write: its record already has its values.
    Now(Applied),
    /// A record to change: its key, its version and the row's form.
    Update(String, String, FormData),
    /// A record to add, from the row's form.
    Create(FormData),
}

/// Everything one chunk's rows are written with.
pub(super) struct Plan<'a> {
    registry: &'a Registry,
    pub(super) admin: &'a dyn ModelAdmin,
    staff: &'a Staff,
    fields: ImportFields,
    /// (column, field) pairs matched.
    columns: Vec<(usize, usize)>,
    key_col: usize,
    pub(super) key_field: usize,
    create: Vec<FieldAccess>,
    pub(super) change: Vec<FieldAccess>,
    pub(super) scope: RowScope,
    pub(super) ctx: Context,
}

impl<'a> Plan<'a> {
    pub(super) fn new(
        registry: &'a Registry,
        admin: &'a dyn ModelAdmin,
        staff: &'a Staff,
        spec: &ImportSpec,
        ctx: Context,
    ) -> std::result::Result<Self, String> {
        let meta = admin.meta();
        let fields = ImportFields::new(staff, meta);
        spec.check(&fields).map_err(|e| e.join(" "))?;
        let columns = spec.columns(meta);
        let key_name = spec.key.as_deref().unwrap_or_default();
        let (key_field, _) = meta.field(key_name).ok_or_else(|| format!("no field {key_name}"))?;
        let key_col = columns.iter().find(|(_, f)| *f == key_field).map(|(c, _)| *c).unwrap_or_default();
        // Only the matched columns are read; every other field keeps its value (or,
        // on a new record, its default).
        let only = |access: &[FieldAccess]| -> Vec<FieldAccess> {
            access
                .iter()
                .enumerate()
                .map(|(i, a)| match a {
                    FieldAccess::Editable if !columns.iter().any(|(_, f)| *f == i) => FieldAccess::ReadOnly,
                    other => *other,
                })
                .collect()
        };
        let (create, change) = (only(&fields.create), only(&fields.change));
        let scope = registry.row_scope(staff, meta.slug);
        Ok(Self { registry, admin, staff, fields, columns, key_col, key_field, create, change, scope, ctx })
    }

    pub(super) fn form(&self, cells: &[String]) -> FormData {
        let meta = self.admin.meta();
        FormData(
            self.columns
                .iter()
                .map(|&(c, f)| {
                    let field = &meta.fields[f];
                    (field.name.to_owned(), form_text(field, cells.get(c).map_or("", String::as_str)))
                })
                .collect(),
        )
    }

    /// A key as the database compares it ("007" and "7" are one number), for
    /// finding a row's record and the same record twice in a file.
    pub(super) fn canon(&self, text: &str) -> String {
        match self.admin.parse_value(self.key_field, text) {
            Ok(v) => format!("{v:?}"),
            Err(_) => text.to_owned(),
        }
    }

    pub(super) fn key_of(&self, cells: &[String]) -> String {
        form_text(
            &self.admin.meta().fields[self.key_field],
            cells.get(self.key_col).map_or("", String::as_str),
        )
    }

    /// Foreign keys of the rows that name no record the importer sees: per
    /// field, the values that are missing.
    pub(super) async fn missing_targets(
        &self,
        txn: &DatabaseTransaction,
        rows: &[(i64, Vec<String>)],
    ) -> Result<HashMap<usize, HashSet<String>>> {
        let meta = self.admin.meta();
        let mut out = HashMap::new();
        for &(c, f) in &self.columns {
            let Some(target) = meta.fields[f].foreign_key.and_then(|t| self.registry.get(t)) else {
                continue;
            };
            let wanted: HashSet<String> = rows
                .iter()
                .map(|(_, cells)| form_text(&meta.fields[f], cells.get(c).map_or("", String::as_str)))
                .filter(|v| !v.is_empty())
                .collect();
            let wanted: Vec<String> = wanted.into_iter().collect();
            let scope = self.registry.row_scope(self.staff, target.meta().slug);
            let found: HashSet<String> = target
                .where_in(txn, target.meta().pk, &wanted, &scope)
                .await?
                .into_iter()
                .map(|r| r.key)
                .collect();
            out.insert(f, wanted.into_iter().filter(|v| !found.contains(v)).collect());
        }
        Ok(out)
    }

    /// One row, written in `txn`.
    pub(super) async fn apply(
        &self,
        txn: &DatabaseTransaction,
        cells: &[String],
        found: Option<&Record>,
        missing: &HashMap<usize, HashSet<String>>,
    ) -> Result<Applied> {
        match self.prepare(cells, found, missing)? {
            Prepared::Now(applied) => Ok(applied),
            Prepared::Create(form) => self.create(txn, &form).await,
            Prepared::Update(key, version, form) => {
                let check = crate::audit::reason_check(&self.ctx, self.admin.meta());
                let (after, changes) = self
                    .admin
                    .update_in(txn, &self.ctx, &self.change, &check, &key, &version, &form, &self.scope)
                    .await?;
                Ok(self.updated(after.key, &changes))
            }
        }
    }

    /// What one row comes to, checked before anything is written.
    pub(super) fn prepare(
        &self,
        cells: &[String],
        found: Option<&Record>,
        missing: &HashMap<usize, HashSet<String>>,
    ) -> Result<Prepared> {
        let meta = self.admin.meta();
        let header_len = self.columns.iter().map(|(c, _)| c + 1).max().unwrap_or(0);
        if cells.len() < header_len {
            return Err(Error::BadRequest(format!(
                "This row has {} cells; the matched columns need {header_len}.",
                cells.len()
            )));
        }
        for (&f, values) in missing {
            let c = self.columns.iter().find(|(_, ff)| *ff == f).map_or(0, |(c, _)| *c);
            let v = form_text(&meta.fields[f], cells.get(c).map_or("", String::as_str));
            if values.contains(&v) {
                let target = meta.fields[f].foreign_key.and_then(|t| self.registry.get(t));
                let label = target.map_or("record", |t| t.meta().label);
                return Err(Error::BadRequest(format!(
                    "{}: there is no {} {v}.",
                    meta.fields[f].label, label
                )));
            }
        }
        let form = self.form(cells);
        if let Some(record) = found {
            if !self.fields.may_change {
                return Err(Error::BadRequest(format!(
                    "You cannot change {}, and {} exists.",
                    meta.noun_plural(),
                    record.title(meta)
                )));
            }
            if self.unchanged(record, &form) {
                return Ok(Prepared::Now(Applied::Unchanged(record.key.clone())));
            }
            return Ok(Prepared::Update(record.key.clone(), record.version(), form));
        }
        let key_meta = &meta.fields[self.key_field];
        if key_meta.primary_key {
            return Err(Error::BadRequest(format!(
                "There is no {} with {} {}. To add records, match rows by a field no two records share instead.",
                meta.label.to_lowercase(),
                key_meta.label,
                self.key_of(cells)
            )));
        }
        if !self.fields.may_add {
            return Err(Error::BadRequest(format!(
                "No {} has {} {}, and you cannot add {}.",
                meta.label.to_lowercase(),
                key_meta.label,
                self.key_of(cells),
                meta.noun_plural()
            )));
        }
        if self.create[self.key_field] != FieldAccess::Editable {
            return Err(Error::BadRequest(format!(
                "No {} has {} {}, and you cannot set {} on a new one, so this row cannot add it.",
                meta.label.to_lowercase(),
                key_meta.label,
                self.key_of(cells),
                key_meta.label
            )));
        }
        Ok(Prepared::Create(form))
    }

    /// What an update did, as the file's columns see it: what the model changes
    /// on its own (a "last changed" time) is not the file's.
    pub(super) fn updated(&self, key: String, changes: &crate::kernel::Changes) -> Applied {
        let meta = self.admin.meta();
        let diff: Vec<[String; 3]> = changes
            .iter()
            .filter(|(i, _, _)| self.columns.iter().any(|(_, f)| f == i))
            .map(|(i, b, a)| {
                let f = &meta.fields[*i];
                [f.label.to_owned(), f.display(b), f.display(a)]
            })
            .collect();
        if diff.is_empty() { Applied::Unchanged(key) } else { Applied::Updated(key, diff) }
    }

    /// A new record from a row's form, in `txn`.
    pub(super) async fn create(&self, txn: &DatabaseTransaction, form: &FormData) -> Result<Applied> {
        let meta = self.admin.meta();
        let created = self.admin.create_in(txn, &self.ctx, &self.create, form, &self.scope).await?;
        let values = self
            .columns
            .iter()
            .map(|&(_, f)| {
                let field = &meta.fields[f];
                [field.label.to_owned(), String::new(), field.display(&created.cells[f])]
            })
            .collect();
        Ok(Applied::Created(created.key, values))
    }

    /// Whether the record already holds every value the row sets (then nothing is
    /// written: importing a file twice changes nothing the second time).
    pub(super) fn unchanged(&self, record: &Record, form: &FormData) -> bool {
        use crate::list::typed::typed_value;
        let meta = self.admin.meta();
        let mapped: Vec<usize> = self.columns.iter().map(|(_, f)| *f).collect();
        mapped.iter().all(|&f| {
            let typed = form.get(meta.fields[f].name).unwrap_or_default();
            let new = typed_value(self.admin, f, typed, record, form, &mapped);
            let now = record.cells[f].form_value();
            let current = typed_value(self.admin, f, &now, record, &FormData::default(), &[]);
            matches!((new, current), (Ok(a), Ok(b)) if a == b)
        })
    }

    /// A failed row's words: the form's messages with their fields' labels; for a
    /// required value missing on a new record, the fields no column sets.
    pub(super) fn words(&self, e: &Error) -> String {
        let meta = self.admin.meta();
        match e {
            Error::Invalid(errors) => errors
                .iter()
                .map(|fe| match fe.field.as_deref().and_then(|n| meta.field(n)) {
                    Some((_, f)) => format!("{}: {}", f.label, fe.message),
                    None if fe.message.contains("A required value is missing") => {
                        let unset: Vec<String> = meta
                            .fields
                            .iter()
                            .enumerate()
                            .filter(|(i, f)| {
                                !f.nullable && !f.auto_increment && !self.columns.iter().any(|(_, c)| c == i)
                            })
                            .map(|(_, f)| f.label.to_owned())
                            .collect();
                        format!(
                            "{} No column is matched to {}.",
                            fe.message,
                            crate::kernel::text::join_and(&unset)
                        )
                    }
                    None => fe.message.clone(),
                })
                .collect::<Vec<_>>()
                .join(" "),
            Error::Refused(m) | Error::BadRequest(m) | Error::NotFound(m) => m.clone(),
            Error::Forbidden(d) => d.sentence().to_owned(),
            Error::Conflict { .. } => {
                "The record changed while this row was written; import it again.".to_owned()
            }
            other => {
                tracing::warn!(error = %other, "a row of an import failed");
                "The database refused the row.".to_owned()
            }
        }
    }
}
