//! Editing a list in place (`#[admin(list_editable(...))]`): many rows at once,
//! each through the same update path as a record page (permission `{model}.change`,
//! the field rules, the row's version, the reason, an audit entry).
//!
//! Reviewing comes first: for each row the person changed, what would change
//! ("Company: A → B"), or why it cannot be saved (a value that does not parse, a
//! row someone else changed since the page was shown). Saving reviews again and
//! writes each changed row in **its own transaction** with its own audit entry, so
//! one stale or refused row does not hold back the others; the outcome of every
//! row is returned, and nothing is said to be saved that was not.

use sea_orm::DatabaseConnection;

use super::records::{actor, join_and, reason_error, update_only};
use super::require;
use crate::access::permission::{FieldAccess, field_access};
use crate::access::scope::RowScope;
use crate::audit::Context;
use crate::kernel::error::{Error, FieldError, Result};
use crate::kernel::field::FieldKind;
use crate::kernel::model::ModelMeta;
use crate::kernel::record::{FormData, Record};
use crate::list::typed::typed_value;
use crate::registry::ModelAdmin;

/// The most rows one list edit takes: the largest list page.
pub const LIST_EDIT_MAX: usize = 1_000;

/// One row as a list edit sends it.
#[derive(Clone, Debug, Default)]
pub struct RowEdit {
    /// The record's key.
    pub key: String,
    /// The `_version` the row was shown at.
    pub version: String,
    /// The values typed, by field name (the editable columns).
    pub values: FormData,
    /// The values the page showed, by field name: a field whose typed value is the
    /// one shown was not touched. Without them (`None`), the record's current
    /// values are compared instead.
    pub shown: Option<FormData>,
}

/// One field's change: its index, and its values before and after as staff read them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldChange {
    /// Index into `ModelMeta::fields`.
    pub field: usize,
    /// The value now ("" when empty).
    pub before: String,
    /// The value typed ("" when empty).
    pub after: String,
}

/// Where one row stands.
#[derive(Clone, Debug)]
pub enum RowState {
    /// Nothing typed differs from what was shown: nothing to save.
    Unchanged,
    /// These fields would change (in a review) or changed (after saving).
    Changes(Vec<FieldChange>),
    /// Saved: these fields changed, with an audit entry.
    Saved(Vec<FieldChange>),
    /// Someone else changed the record after the page was shown; nothing of this
    /// row is saved. The record as it is now.
    Stale(Box<Record>),
    /// A value does not parse or the database refused the row: a message per field
    /// (or for the row).
    Invalid(Vec<FieldError>),
    /// The record is gone (or out of reach).
    Missing(String),
}

/// One row's review or outcome.
#[derive(Clone, Debug)]
pub struct RowReview {
    /// The record's key.
    pub key: String,
    /// "Account 12".
    pub title: String,
    /// Where it stands.
    pub state: RowState,
}

impl RowReview {
    /// Whether this row was saved, or would be.
    #[must_use]
    pub fn changes(&self) -> Option<&[FieldChange]> {
        match &self.state {
            RowState::Changes(c) | RowState::Saved(c) => Some(c),
            _ => None,
        }
    }

    /// Whether this row could not be (or was not) saved: stale, invalid or missing.
    #[must_use]
    pub fn failed(&self) -> bool {
        matches!(self.state, RowState::Stale(_) | RowState::Invalid(_) | RowState::Missing(_))
    }
}

/// What a list edit would do.
#[derive(Clone, Debug)]
pub struct ListEditReview {
    /// Every row sent, in order.
    pub rows: Vec<RowReview>,
    /// The labels of the changing fields that need a reason (every one when the
    /// model requires a reason with each change); empty when no reason is needed.
    pub reason_for: Vec<&'static str>,
}

impl ListEditReview {
    /// Whether a reason must be given to save.
    #[must_use]
    pub fn needs_reason(&self) -> bool {
        !self.reason_for.is_empty()
    }

    /// How many rows would change.
    #[must_use]
    pub fn changing(&self) -> usize {
        self.rows.iter().filter(|r| matches!(r.state, RowState::Changes(_))).count()
    }
}

/// The list-editable fields `staff` may change: the model's `list_editable`
/// columns that are editable for them (not read-only for their roles, not hidden).
#[must_use]
pub fn editable_columns(staff: &crate::access::Staff, meta: &ModelMeta) -> Vec<usize> {
    meta.list_editable
        .iter()
        .copied()
        .filter(|&i| field_access(staff, meta, &meta.fields[i], false) == FieldAccess::Editable)
        .collect()
}

fn check_size(meta: &ModelMeta, rows: &[RowEdit]) -> Result<()> {
    if rows.len() > LIST_EDIT_MAX {
        return Err(Error::Refused(format!(
            "One list edit saves at most {} {}; this one has {}. Edit fewer rows at a time.",
            crate::kernel::text::thousands(LIST_EDIT_MAX as u64),
            meta.noun_plural(),
            crate::kernel::text::thousands(rows.len() as u64)
        )));
    }
    Ok(())
}

/// Reviews a list edit: per row, what would change, or why it cannot be saved.
/// A row outside `scope` is answered as gone, like one that does not exist.
///
/// # Errors
/// `Forbidden` without `{model}.change`; `Refused` for more than
/// [`LIST_EDIT_MAX`] rows or a model without editable columns for this user.
pub async fn review(
    db: &DatabaseConnection,
    ctx: &Context,
    admin: &dyn ModelAdmin,
    rows: &[RowEdit],
    scope: &RowScope,
) -> Result<ListEditReview> {
    let staff = actor(ctx)?;
    require(staff, admin, "change")?;
    let meta = admin.meta();
    check_size(meta, rows)?;
    let columns = editable_columns(staff, meta);
    if columns.is_empty() {
        return Err(Error::Refused(format!("You cannot change {} in the list.", meta.noun_plural())));
    }
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let title = format!("{} {}", meta.label, row.key);
        // Through the door's read, so whatever narrows what this user sees applies.
        let record = match super::records::get(db, staff, admin, &row.key, scope).await {
            Ok(r) => r,
            Err(Error::NotFound(gone)) => {
                out.push(RowReview { key: row.key.clone(), title, state: RowState::Missing(gone) });
                continue;
            }
            Err(e) => return Err(e),
        };
        let state = review_row(admin, &columns, &record, row);
        out.push(RowReview { key: row.key.clone(), title, state });
    }
    let mut reason_for: Vec<&'static str> = Vec::new();
    for change in out.iter().filter_map(RowReview::changes).flatten() {
        let f = &meta.fields[change.field];
        if (meta.reason_required || f.reason_required) && !reason_for.contains(&f.label) {
            reason_for.push(f.label);
        }
    }
    Ok(ListEditReview { rows: out, reason_for })
}

/// One row against its record: untouched, stale, invalid, or its changes.
fn review_row(admin: &dyn ModelAdmin, columns: &[usize], record: &Record, row: &RowEdit) -> RowState {
    let meta = admin.meta();
    let mut errors = Vec::new();
    let mut touched = false;
    let mut changes = Vec::new();
    for &i in columns {
        let f = &meta.fields[i];
        let typed = typed_text(f, row.values.get(f.name));
        let new = match typed_value(admin, i, typed, record, &row.values, columns) {
            Ok(v) => v,
            Err(msg) => {
                errors.push(FieldError::field(f.name, msg));
                touched = true;
                continue;
            }
        };
        let current =
            typed_value(admin, i, &record.cells[i].form_value(), record, &FormData::default(), &[]).ok();
        let shown = match &row.shown {
            Some(shown) => {
                typed_value(admin, i, typed_text(f, shown.get(f.name)), record, shown, columns).ok()
            }
            None => current.clone(),
        };
        if shown.as_ref() != Some(&new) {
            touched = true;
        }
        if current.as_ref() != Some(&new) {
            changes.push(FieldChange {
                field: i,
                before: f.display(&record.cells[i]),
                after: after_text(f, typed, &new),
            });
        }
    }
    if !touched {
        return RowState::Unchanged;
    }
    if record.version() != row.version {
        return RowState::Stale(Box::new(record.clone()));
    }
    if !errors.is_empty() {
        return RowState::Invalid(errors);
    }
    if changes.is_empty() { RowState::Unchanged } else { RowState::Changes(changes) }
}

/// What a field's form control sends when it sends nothing: an unchecked box is "0".
fn typed_text<'a>(f: &crate::kernel::model::FieldMeta, raw: Option<&'a str>) -> &'a str {
    match raw {
        Some(v) => v,
        None if f.kind == FieldKind::Boolean && !f.nullable => "0",
        None => "",
    }
}

/// A typed value as the review shows it.
fn after_text(f: &crate::kernel::model::FieldMeta, typed: &str, value: &sea_orm::Value) -> String {
    match value {
        sea_orm::Value::Bool(Some(b)) => if *b { "yes" } else { "no" }.to_owned(),
        _ if typed.trim().is_empty() => String::new(),
        _ => f.choice_label(typed.trim()).to_owned(),
    }
}

/// Saves a list edit: reviews it again, refuses the whole batch when a reason is
/// needed and missing (or unusable), then saves each changed row in its own
/// transaction, with its own audit entry. Rows that went stale or were refused
/// meanwhile are reported and not saved; the others are.
///
/// # Errors
/// As [`review`]; `Invalid` on `_reason` when a reason is needed and missing.
pub async fn save(
    db: &DatabaseConnection,
    ctx: &Context,
    admin: &dyn ModelAdmin,
    rows: &[RowEdit],
    scope: &RowScope,
) -> Result<ListEditReview> {
    let mut review = review(db, ctx, admin, rows, scope).await?;
    if let Some(e) = reason_error(ctx, "_reason") {
        return Err(Error::Invalid(vec![e]));
    }
    if review.needs_reason() && ctx.reason.is_none() {
        let fields: Vec<String> = review.reason_for.iter().map(|l| l.to_lowercase()).collect();
        return Err(Error::Invalid(vec![FieldError::field(
            "_reason",
            format!(
                "Say why you are changing {}: the reason is kept in each record's history.",
                join_and(&fields)
            ),
        )]));
    }
    let staff = actor(ctx)?;
    let columns = editable_columns(staff, admin.meta());
    let mut stopped: Option<String> = None;
    for (row, out) in rows.iter().zip(review.rows.iter_mut()) {
        let RowState::Changes(changes) = &out.state else { continue };
        if let Some(why) = &stopped {
            out.state = RowState::Invalid(vec![FieldError::form(why.clone())]);
            continue;
        }
        let changes = changes.clone();
        out.state =
            match update_only(db, ctx, admin, (&row.key, &row.version), &row.values, Some(&columns), scope)
                .await
            {
                Ok(_) => RowState::Saved(changes),
                Err(Error::Conflict { current }) => RowState::Stale(current),
                Err(Error::Invalid(errors)) => RowState::Invalid(errors),
                Err(Error::NotFound(m)) => RowState::Missing(m),
                // Anything else (a database that went away, say) stops the batch: the
                // rows before are saved, this one and the rest are reported as not.
                Err(e) => {
                    stopped = Some(format!("Not saved: saving stopped at {} ({e}).", out.title));
                    RowState::Invalid(vec![FieldError::form(e.to_string())])
                }
            };
    }
    Ok(review)
}
