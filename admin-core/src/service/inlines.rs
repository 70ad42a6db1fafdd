//! Inline child rows on a parent's record page: reading them for the page, and
//! saving the parent with its changed, added and deleted children in one
//! transaction, each row checked at its own version, each write audited.
//!
//! The form names a child row's fields `{child}-{n}-{field}` (see [`row_prefix`]),
//! with `{child}-{n}-_key` and `{child}-{n}-_version` on existing rows and
//! `{child}-{n}-_delete=1` to delete one; a row without a key is a new one, left
//! out while it is blank.

use std::collections::BTreeMap;

use sea_orm::{DatabaseConnection, DatabaseTransaction, TransactionTrait};

use super::{actor, mask, reason_check, reason_error, require};
use crate::access::Staff;
use crate::access::scope::RowScope;
use crate::audit::Context;
use crate::kernel::Changes;
use crate::kernel::error::{Error, FieldError, Result};
use crate::kernel::model::ModelMeta;
use crate::kernel::record::{FormData, Record};
use crate::registry::{InlineChild, ModelAdmin, Registry};

/// Most rows of one child a single form may carry.
const MAX_ROWS: usize = 1_000;

/// The prefix of a child row's form fields: `email_job-3-`.
#[must_use]
pub fn row_prefix(child: &str, n: usize) -> String {
    format!("{child}-{n}-")
}

/// One inline table of a record page: the child's rows that point at the record
/// (newest first, at most the inline's `limit`) and what the caller may do there.
pub struct InlineRows {
    /// The child, its foreign key and columns.
    pub child: InlineChild,
    /// The rows shown, hidden fields blanked.
    pub rows: Vec<Record>,
    /// How many rows point at the record in all.
    pub total: u64,
    /// The caller holds `{child}.add`.
    pub may_add: bool,
    /// The caller holds `{child}.change`.
    pub may_change: bool,
    /// The caller holds `{child}.delete`.
    pub may_delete: bool,
}

/// What [`crate::service::Service::update_with_inlines`] did.
pub enum InlineSave {
    /// Everything was saved: the parent as saved, its changes, and how many child
    /// rows were changed, added or deleted.
    Saved {
        /// The parent as saved.
        record: Record,
        /// The parent's changed fields.
        changes: Changes,
        /// Child rows changed, added or deleted.
        rows: usize,
    },
    /// A child row changed or went away since the page was loaded: nothing was
    /// saved.
    RowConflict {
        /// The child model.
        child: &'static ModelMeta,
        /// The row's key.
        key: String,
        /// The row as it is now; `None` when it was deleted.
        current: Option<Record>,
    },
}

/// The inline tables of `record`'s page: for each inline child `staff` may view.
///
/// # Errors
/// `Db` when the database fails.
pub(crate) async fn inline_rows(
    db: &DatabaseConnection,
    staff: &Staff,
    registry: &Registry,
    admin: &dyn ModelAdmin,
    record: &Record,
) -> Result<Vec<InlineRows>> {
    let mut out = Vec::new();
    for child in registry.inlines_of(admin.meta().slug) {
        let child_admin = child.admin.as_ref();
        if require(staff, child_admin, "view").is_err() {
            continue;
        }
        let Ok(value) = child_admin.parse_value(child.fk, &record.key) else { continue };
        let limit = child.inline.limit;
        // The rows the caller's row-level scope on the child shows.
        let scope = registry.row_scope(staff, child.meta().slug);
        let mut rows = child_admin.list_where(db, child.fk, value.clone(), limit, &scope).await?;
        for r in &mut rows {
            mask(staff, child_admin, r);
        }
        let total = if (rows.len() as u64) < limit {
            rows.len() as u64
        } else {
            child_admin.count_where(db, child.fk, value, &scope).await?
        };
        let may = |op: &str| staff.may(&super::permission(child.meta().slug, op));
        let (may_add, may_change, may_delete) = (may("add"), may("change"), may("delete"));
        out.push(InlineRows { child, rows, total, may_add, may_change, may_delete });
    }
    Ok(out)
}

enum Op {
    Change { key: String, version: String },
    Delete { key: String, version: String },
    Add,
}

struct RowOp {
    prefix: String,
    op: Op,
    form: FormData,
}

impl RowOp {
    /// The key of the row it changes or deletes (none for a new row).
    fn key(&self) -> Option<&str> {
        match &self.op {
            Op::Change { key, .. } | Op::Delete { key, .. } => Some(key),
            Op::Add => None,
        }
    }
}

/// The rows of one child the form carries, by their number.
fn rows_in(child: &InlineChild, staff: &Staff, form: &FormData) -> Result<Vec<RowOp>> {
    let slug = child.meta().slug;
    let start = format!("{slug}-");
    let mut rows: BTreeMap<usize, Vec<(String, String)>> = BTreeMap::new();
    for (k, v) in &form.0 {
        let Some((n, name)) = k.strip_prefix(&start).and_then(|rest| rest.split_once('-')) else { continue };
        let Ok(n) = n.parse::<usize>() else { continue };
        rows.entry(n).or_default().push((name.to_owned(), v.clone()));
        if rows.len() > MAX_ROWS {
            return Err(Error::Refused(format!(
                "The form carries more than {MAX_ROWS} {}; save fewer at a time.",
                child.meta().noun_plural()
            )));
        }
    }
    let may_change = staff.may(&super::permission(slug, "change"));
    let mut out = Vec::new();
    for (n, pairs) in rows {
        let form = FormData(pairs);
        let key = form.get("_key").map(str::trim).filter(|k| !k.is_empty()).map(str::to_owned);
        let delete = form.get("_delete") == Some("1");
        let version = form.get("_version").unwrap_or_default().to_owned();
        let op = match key {
            Some(key) if delete => Op::Delete { key, version },
            // Someone who may not change the rows changes nothing in them.
            Some(_) if !may_change => continue,
            Some(key) => Op::Change { key, version },
            None if delete || blank(&form) => continue,
            None => Op::Add,
        };
        out.push(RowOp { prefix: row_prefix(slug, n), op, form });
    }
    Ok(out)
}

/// A new row nobody typed into: every value empty (or an unticked box's "0").
fn blank(form: &FormData) -> bool {
    form.0.iter().filter(|(k, _)| !k.starts_with('_')).all(|(_, v)| v.trim().is_empty() || v == "0")
}

/// The row's errors under the row's form names (`email_job-3-kind`); an error of
/// the whole row goes to `email_job-3-_row`.
fn prefixed(errors: Vec<FieldError>, prefix: &str) -> impl Iterator<Item = FieldError> {
    errors.into_iter().map(move |mut e| {
        e.field = Some(format!("{prefix}{}", e.field.as_deref().unwrap_or("_row")));
        e
    })
}

/// Saves the parent `key` from `form` (as [`super::update`] does) together with its
/// inline children's rows, in one transaction: each row at the version it was
/// loaded at, each through the child's field rules and permissions
/// (`{child}.change`, `.add`, `.delete`), each write with its audit entry. Every
/// row's errors are collected (under the row's form names) and nothing is saved
/// while there is one.
///
/// # Errors
/// `Forbidden` without `{model}.change`, or for a row to add or delete without the
/// child's permission; `Conflict` when the parent changed meanwhile; `Invalid`
/// with every error; `Refused` for a row that does not belong to the parent or a
/// delete that other records block.
pub(crate) async fn update_with_inlines(
    db: &DatabaseConnection,
    ctx: &Context,
    registry: &Registry,
    admin: &dyn ModelAdmin,
    key: &str,
    version: &str,
    form: &FormData,
) -> Result<InlineSave> {
    let staff = actor(ctx)?;
    require(staff, admin, "change")?;
    let meta = admin.meta();
    if let Some(e) = reason_error(ctx, "_reason") {
        return Err(Error::Invalid(vec![e]));
    }
    let children = registry.inlines_of(meta.slug);
    let mut plans = Vec::new();
    for child in &children {
        match plan_rows(db, staff, registry, child, form).await? {
            Ok(plan) => plans.push(plan),
            Err(conflict) => return Ok(conflict),
        }
    }

    let _turn = registry.write_turn(db).await;
    let txn = crate::db::txn::begin_write(db).await?;
    let parent = admin.get_for_write(&txn, key).await?.ok_or_else(|| super::not_found(admin, key))?;
    let mut errors = Vec::new();
    let access = crate::access::permission::access_map(staff, meta, false);
    let check = reason_check(ctx, meta);
    let scope = registry.row_scope(staff, meta.slug);
    // The parent in its own savepoint: its errors are shown with the rows'.
    let sp = txn.begin().await?;
    let saved = match admin.update_in(&sp, ctx, &access, &check, key, version, form, &scope).await {
        Ok(saved) => Some(sp.commit().await.map(|()| saved)?),
        Err(Error::Invalid(e)) => {
            sp.rollback().await?;
            errors.extend(e);
            None
        }
        Err(e) => return Err(e),
    };
    let mut written = 0;
    for (child, (rows, scope)) in children.iter().zip(plans) {
        let child_meta = child.meta();
        for row in rows {
            let sp = txn.begin().await?;
            match write_row(&sp, ctx, (child, &scope), (&parent, meta), &row).await {
                Ok(changed) => {
                    sp.commit().await?;
                    written += usize::from(changed);
                }
                Err(Error::Invalid(e)) => {
                    sp.rollback().await?;
                    add_row_errors(&mut errors, e, &row.prefix);
                }
                Err(Error::Conflict { current }) => {
                    let key = current.key.clone();
                    return Ok(InlineSave::RowConflict { child: child_meta, key, current: Some(*current) });
                }
                // Gone since the form was shown, or outside the caller's scope:
                // the form comes back with what was typed.
                Err(Error::NotFound(_)) if row.key().is_some() => {
                    let key = row.key().unwrap_or_default().to_owned();
                    return Ok(InlineSave::RowConflict { child: child_meta, key, current: None });
                }
                Err(e) => return Err(e),
            }
        }
    }
    let Some((record, changes)) = saved.filter(|_| errors.is_empty()) else {
        txn.rollback().await?;
        return Err(Error::Invalid(errors));
    };
    crate::db::txn::commit(txn).await?;
    admin.touch();
    for child in &children {
        child.admin.touch();
    }
    Ok(InlineSave::Saved { record, changes, rows: written })
}

/// The rows of `child` the form carries, checked before the save begins: the
/// caller may add, change or delete them, a row to delete is not blocked by
/// referring rows (counted within what the caller sees, as on the delete page),
/// and a row to change or delete is within the caller's scope on the child. A row
/// gone or out of scope is `Ok(Err(conflict))`: the form comes back with what was
/// typed.
async fn plan_rows(
    db: &DatabaseConnection,
    staff: &Staff,
    registry: &Registry,
    child: &InlineChild,
    form: &FormData,
) -> Result<std::result::Result<(Vec<RowOp>, RowScope), InlineSave>> {
    let rows = rows_in(child, staff, form)?;
    let scope = registry.row_scope(staff, child.meta().slug);
    let gone =
        |key: &String| InlineSave::RowConflict { child: child.meta(), key: key.clone(), current: None };
    for row in &rows {
        match &row.op {
            Op::Add => require(staff, child.admin.as_ref(), "add")?,
            Op::Delete { key, .. } => {
                let plan =
                    match super::records::plan_delete(db, staff, registry, child.admin.as_ref(), key).await {
                        Err(Error::NotFound(_)) => return Ok(Err(gone(key))),
                        plan => plan?,
                    };
                if let Some(why) = plan.blocked_reason(child.meta()) {
                    return Err(Error::Refused(why));
                }
            }
            Op::Change { key, .. } => {
                if !in_scope(db, child, key, &scope).await? {
                    return Ok(Err(gone(key)));
                }
            }
        }
    }
    Ok(Ok((rows, scope)))
}

/// Writes one child row in the savepoint `sp`: whether it changed anything. A row
/// that is gone is `NotFound`; one that is not the parent's is refused, named by
/// the key the form sent (the row may be outside the caller's scope, and its name
/// is not theirs to read).
async fn write_row(
    sp: &DatabaseTransaction,
    ctx: &Context,
    (child, scope): (&InlineChild, &RowScope),
    (parent, meta): (&Record, &'static ModelMeta),
    row: &RowOp,
) -> Result<bool> {
    let staff = actor(ctx)?;
    let (child_admin, child_meta) = (child.admin.as_ref(), child.meta());
    match &row.op {
        Op::Change { key, version } | Op::Delete { key, version } => {
            let current = child_admin
                .get_for_write(sp, key)
                .await?
                .ok_or_else(|| super::not_found(child_admin, key))?;
            if current.cells[child.fk].form_value() != parent.key {
                return Err(Error::Refused(format!(
                    "{} {key} does not belong to {}, so nothing was saved.",
                    child_meta.label,
                    parent.title(meta)
                )));
            }
            if matches!(row.op, Op::Delete { .. }) {
                if child_meta.reason_required && ctx.reason.is_none() {
                    return Err(Error::Invalid(vec![FieldError::field(
                        "_reason",
                        "Say why you are deleting this record: the reason is kept in its history.",
                    )]));
                }
                child_admin.delete_in(sp, ctx, key, version, scope).await.map(|_| true)
            } else {
                let access = child.access_map(staff, false);
                let check = reason_check(ctx, child_meta);
                child_admin
                    .update_in(sp, ctx, &access, &check, key, version, &row.form, scope)
                    .await
                    .map(|(_, changes)| !changes.is_empty())
            }
        }
        Op::Add => {
            let mut form = row.form.clone();
            form.0.push((child_meta.fields[child.fk].name.to_owned(), parent.key.clone()));
            let access = child.access_map(staff, true);
            child_admin.create_in(sp, ctx, &access, &form, scope).await.map(|_| true)
        }
    }
}

/// Adds a refused row's errors to the form's: its fields under the row's prefix,
/// and a reason error once (the reason is the form's, not the row's).
fn add_row_errors(errors: &mut Vec<FieldError>, row_errors: Vec<FieldError>, prefix: &str) {
    let (reason, rest): (Vec<_>, Vec<_>) =
        row_errors.into_iter().partition(|e| e.field.as_deref() == Some("_reason"));
    for r in reason {
        if !errors.iter().any(|e| e.field.as_deref() == Some("_reason")) {
            errors.push(r);
        }
    }
    errors.extend(prefixed(rest, prefix));
}

/// Whether child row `key` exists within the caller's row-level `scope` on the
/// child (an update checks again in its transaction).
async fn in_scope(db: &DatabaseConnection, child: &InlineChild, key: &str, scope: &RowScope) -> Result<bool> {
    Ok(scope.is_all() || !child.admin.existing(db, &[key.to_owned()], scope).await?.is_empty())
}
