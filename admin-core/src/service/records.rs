//! The permission-checked record operations behind the door: list, export, get,
//! create, update, delete and the related records.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use super::{mask, not_found, require};
use crate::access::Staff;
use crate::access::scope::RowScope;
use crate::audit::Context;
pub(crate) use crate::audit::reason_check;
use crate::kernel::Changes;
use crate::kernel::error::{Error, Result};
use crate::kernel::model::ModelMeta;
use crate::kernel::record::{FormData, Record};
pub(crate) use crate::kernel::text::join_and;
use crate::list::query::{ListQuery, ListResult};
use crate::registry::{ModelAdmin, Registry, Related};

/// One page of a model's list.
///
/// # Errors
/// `Forbidden` without `{model}.view`; `Db` when the database fails.
pub async fn list(
    db: &DatabaseConnection,
    staff: &Staff,
    admin: &dyn ModelAdmin,
    query: &ListQuery,
) -> Result<ListResult> {
    require(staff, admin, "view")?;
    let mut result = admin.list(db, query).await?;
    for r in &mut result.rows {
        mask(staff, admin, r);
    }
    Ok(result)
}

/// Largest number of rows a CSV export writes.
pub const EXPORT_LIMIT: u64 = 50_000;

/// The rows of a list for CSV export, at most `EXPORT_LIMIT + 1` (so the caller can
/// tell that the bound was reached).
///
/// # Errors
/// `Forbidden` without `{model}.export`; `Db` when the database fails.
pub async fn export(
    db: &DatabaseConnection,
    staff: &Staff,
    admin: &dyn ModelAdmin,
    query: &ListQuery,
) -> Result<Vec<Record>> {
    require(staff, admin, "export")?;
    let mut rows = admin.export(db, query, EXPORT_LIMIT + 1).await?;
    for r in &mut rows {
        mask(staff, admin, r);
    }
    Ok(rows)
}

/// One record.
///
/// # Errors
/// `Forbidden` without `{model}.view`; `NotFound` when there is no such record.
pub async fn get(
    db: &DatabaseConnection,
    staff: &Staff,
    admin: &dyn ModelAdmin,
    key: &str,
    scope: &RowScope,
) -> Result<Record> {
    require(staff, admin, "view")?;
    let mut record = admin.get(db, key, scope).await?.ok_or_else(|| not_found(admin, key))?;
    mask(staff, admin, &mut record);
    Ok(record)
}

/// Creates a record from a form.
///
/// # Errors
/// `Forbidden` without `{model}.add`; `Invalid` with a message per field.
pub async fn create(
    db: &DatabaseConnection,
    ctx: &Context,
    admin: &dyn ModelAdmin,
    form: &FormData,
    scope: &RowScope,
) -> Result<Record> {
    let staff = actor(ctx)?;
    require(staff, admin, "add")?;
    let access = crate::access::permission::access_map(staff, admin.meta(), true);
    admin.create(db, ctx, &access, form, scope).await
}

/// The staff user acting in `ctx`.
///
/// # Errors
/// `Unauthenticated` when nobody is signed in.
pub fn actor(ctx: &Context) -> Result<&Staff> {
    ctx.actor.as_ref().ok_or(Error::Unauthenticated)
}

/// Saves a form onto a record, if nobody changed it since `version` was read.
///
/// # Errors
/// `Forbidden` without `{model}.change`; `NotFound`; `Conflict` when the record
/// changed meanwhile; `Invalid` with a message per field.
pub async fn update(
    db: &DatabaseConnection,
    ctx: &Context,
    admin: &dyn ModelAdmin,
    key: &str,
    version: &str,
    form: &FormData,
    scope: &RowScope,
) -> Result<(Record, Changes)> {
    update_only(db, ctx, admin, (key, version), form, None, scope).await
}

/// [`update`], reading from the form only the fields in `only` (when given) that
/// the user may change: a list's editable columns. The rest keep their values.
/// The pair is the record's key and the version the form was made from.
///
/// # Errors
/// As [`update`].
pub async fn update_only(
    db: &DatabaseConnection,
    ctx: &Context,
    admin: &dyn ModelAdmin,
    (key, version): (&str, &str),
    form: &FormData,
    only: Option<&[usize]>,
    scope: &RowScope,
) -> Result<(Record, Changes)> {
    use crate::access::permission::FieldAccess;
    let staff = actor(ctx)?;
    require(staff, admin, "change")?;
    let meta = admin.meta();
    let mut access = crate::access::permission::access_map(staff, meta, false);
    if let Some(only) = only {
        for (i, a) in access.iter_mut().enumerate() {
            if *a == FieldAccess::Editable && !only.contains(&i) {
                *a = FieldAccess::ReadOnly;
            }
        }
    }
    if let Some(e) = reason_error(ctx, "_reason") {
        return Err(Error::Invalid(vec![e]));
    }
    let check = reason_check(ctx, meta);
    admin.update(db, ctx, &access, &check, key, version, form, scope).await
}

/// What deleting a record would touch: per referring model, how many rows refer to it.
#[derive(Clone)]
pub struct DeletePlan {
    /// The record to delete.
    pub record: Record,
    /// Referring models and their counts (only those with rows), counted within
    /// what the user sees.
    pub blockers: Vec<(Related, u64)>,
    /// Whether records the user cannot see (outside their row-level scope) refer
    /// to it too, which also blocks the delete.
    pub unseen: bool,
}

impl DeletePlan {
    /// The plain sentence explaining why the record cannot be deleted, if it cannot.
    #[must_use]
    pub fn blocked_reason(&self, meta: &ModelMeta) -> Option<String> {
        if self.blockers.is_empty() {
            return self.unseen.then(|| {
                format!(
                    "{} cannot be deleted: records outside what your role looks after still refer to it. Ask someone whose role covers them.",
                    self.record.title(meta)
                )
            });
        }
        let parts: Vec<String> = self.blockers.iter().map(|(r, n)| r.admin.meta().count_phrase(*n)).collect();
        Some(format!(
            "{} cannot be deleted: {} still refer to it. Delete or move those first.",
            self.record.title(meta),
            join_and(&parts)
        ))
    }
}

/// Looks at what a delete would affect.
///
/// # Errors
/// `Forbidden` without `{model}.delete`; `NotFound`.
pub async fn plan_delete(
    db: &DatabaseConnection,
    staff: &Staff,
    registry: &Registry,
    admin: &dyn ModelAdmin,
    key: &str,
) -> Result<DeletePlan> {
    require(staff, admin, "delete")?;
    let scope = registry.row_scope(staff, admin.meta().slug);
    let record = admin.get(db, key, &scope).await?.ok_or_else(|| not_found(admin, key))?;
    let mut blockers = Vec::new();
    let mut unseen = false;
    for rel in registry.related_to(admin.meta().slug) {
        let Ok(value) = rel.admin.parse_value(rel.field, &record.key) else {
            continue;
        };
        // Counted within what the user sees: a count never tells of rows outside it.
        let rel_scope = registry.row_scope(staff, rel.admin.meta().slug);
        let n = rel.admin.count_where(db, rel.field, value.clone(), &rel_scope).await?;
        if n > 0 {
            blockers.push((rel, n));
        } else if !rel_scope.is_all()
            && rel.admin.count_where(db, rel.field, value, &RowScope::All).await? > 0
        {
            unseen = true;
        }
    }
    Ok(DeletePlan { record, blockers, unseen })
}

/// What is wrong with the reason given, if anything: more than
/// [`crate::kernel::text::REASON`] characters, or control characters other than line breaks.
/// `field` is the form field it came from.
#[must_use]
pub fn reason_error(ctx: &Context, field: &str) -> Option<crate::kernel::error::FieldError> {
    let reason = ctx.reason.as_deref()?;
    crate::kernel::text::check_named(
        "The reason",
        reason,
        crate::kernel::text::REASON,
        crate::kernel::text::Lines::Many,
    )
    .err()
    .map(|m| crate::kernel::error::FieldError::field(field, m))
}

/// Deletes a record, unless other records refer to it or it changed since `version`.
///
/// # Errors
/// `Forbidden`, `NotFound`, `Refused` (with the blocking sentence), `Conflict`.
pub async fn delete(
    db: &DatabaseConnection,
    ctx: &Context,
    registry: &Registry,
    admin: &dyn ModelAdmin,
    key: &str,
    version: &str,
) -> Result<Record> {
    let plan = plan_delete(db, actor(ctx)?, registry, admin, key).await?;
    if let Some(reason) = plan.blocked_reason(admin.meta()) {
        return Err(Error::Refused(reason));
    }
    if admin.meta().reason_required && ctx.reason.is_none() {
        return Err(Error::Invalid(vec![crate::kernel::error::FieldError::field(
            "_reason",
            "Say why you are deleting this record: the reason is kept in its history.",
        )]));
    }
    if let Some(e) = reason_error(ctx, "_reason") {
        return Err(Error::Invalid(vec![e]));
    }
    admin.delete(db, ctx, key, version).await
}

/// Records of other models that refer to a record, newest first.
pub struct RelatedRows {
    /// The referring model and field.
    pub related: Related,
    /// Up to the requested number of rows.
    pub rows: Vec<Record>,
    /// How many rows refer to the record in all.
    pub total: u64,
}

/// The related-records section of a detail page: for each model with a foreign key
/// to this one (and that `staff` may view), the newest `limit` rows.
///
/// # Errors
/// `Db` when the database fails.
pub async fn related(
    db: &DatabaseConnection,
    staff: &Staff,
    registry: &Registry,
    admin: &dyn ModelAdmin,
    record: &Record,
    limit: u64,
) -> Result<Vec<RelatedRows>> {
    let mut out = Vec::new();
    for rel in registry.related_to(admin.meta().slug) {
        if require(staff, rel.admin.as_ref(), "view").is_err() {
            continue;
        }
        let Ok(value) = rel.admin.parse_value(rel.field, &record.key) else {
            continue;
        };
        let scope = registry.row_scope(staff, rel.admin.meta().slug);
        let mut rows = rel.admin.list_where(db, rel.field, value.clone(), limit, &scope).await?;
        for r in &mut rows {
            mask(staff, rel.admin.as_ref(), r);
        }
        let total = if (rows.len() as u64) < limit {
            rows.len() as u64
        } else {
            rel.admin.count_where(db, rel.field, value, &scope).await?
        };
        out.push(RelatedRows {
            related: Related { admin: Arc::clone(&rel.admin), field: rel.field },
            rows,
            total,
        });
    }
    Ok(out)
}

/// The keys of the records matching a list query (for "select all N matching"),
/// at most `limit`.
///
/// # Errors
/// `Forbidden` without `{model}.view`; `Db` when the database fails.
pub async fn list_keys(
    db: &DatabaseConnection,
    staff: &Staff,
    admin: &dyn ModelAdmin,
    query: &ListQuery,
    limit: u64,
) -> Result<Vec<String>> {
    require(staff, admin, "view")?;
    Ok(admin.export(db, query, limit).await?.into_iter().map(|r| r.key).collect())
}

/// The first `limit` records matching a list query (for previews such as global
/// search), with hidden fields blanked.
///
/// # Errors
/// `Forbidden` without `{model}.view`; `Db` when the database fails.
pub async fn first_rows(
    db: &DatabaseConnection,
    staff: &Staff,
    admin: &dyn ModelAdmin,
    query: &ListQuery,
    limit: u64,
) -> Result<Vec<Record>> {
    require(staff, admin, "view")?;
    let mut rows = admin.export(db, query, limit).await?;
    for r in &mut rows {
        mask(staff, admin, r);
    }
    Ok(rows)
}

/// The display names of the records of a model with these keys, by key: one
/// query, hidden fields blanked first, only records within the caller's `scope` (an
/// out-of-scope record keeps its bare id, as a missing one does). Empty (no query) for a model without a
/// display name or a caller who may not view it: a name is never a way around
/// `{model}.view`.
///
/// # Errors
/// `Db` when the database fails.
pub async fn display_names(
    db: &DatabaseConnection,
    staff: &Staff,
    admin: &dyn ModelAdmin,
    scope: &RowScope,
    keys: &[String],
) -> Result<std::collections::HashMap<String, String>> {
    let meta = admin.meta();
    if meta.display.is_none() || keys.is_empty() || require(staff, admin, "view").is_err() {
        return Ok(std::collections::HashMap::new());
    }
    let mut keys: Vec<String> = keys.to_vec();
    keys.sort_unstable();
    keys.dedup();
    let mut out = std::collections::HashMap::new();
    // Bounded statements: a page holds at most a thousand rows, but a caller may ask
    // for more; PostgreSQL and SQLite both take this many bound values.
    for chunk in keys.chunks(1_000) {
        for mut record in admin.by_keys(db, scope, chunk).await? {
            mask(staff, admin, &mut record);
            if let Some(name) = record.display_name(meta) {
                out.insert(record.key, name);
            }
        }
    }
    Ok(out)
}
