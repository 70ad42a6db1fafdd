//! The permission-checked operations every caller uses: the screens, an API or a
//! script. Each one checks the staff user's permission first, then does the work in
//! one transaction (where the audit entry is written too).

mod caller;
mod door;

pub use caller::Caller;
pub use door::{AUDIT_REFUSED, EXPORT_PAGE, Pages, Service};

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::audit::Context;
use crate::access::Staff;
use crate::kernel::error::{Error, Result};
use crate::list::query::{ListQuery, ListResult};
use crate::kernel::record::{FormData, Record};
use crate::kernel::Changes;
use crate::registry::{ModelAdmin, Registry, Related};

/// The permission string for an operation on a model: `account.change`.
#[must_use]
pub fn permission(slug: &str, op: &str) -> String {
    format!("{slug}.{op}")
}

/// Refuses unless `staff` holds `{slug}.{op}`, with a sentence naming what is missing.
///
/// # Errors
/// `Forbidden` when the permission is missing.
pub fn require(staff: &Staff, admin: &dyn ModelAdmin, op: &str) -> Result<()> {
    let meta = admin.meta();
    let perm = permission(meta.slug, op);
    if staff.may(&perm) {
        return Ok(());
    }
    Err(Error::Forbidden(refusal(staff, meta.slug, &meta.noun_plural(), op)))
}

/// The sentence for a missing permission: "You can view accounts but not change
/// them. Ask an admin for the account.change permission."
#[must_use]
pub fn refusal(staff: &Staff, slug: &str, noun: &str, op: &str) -> String {
    let perm = permission(slug, op);
    let verb = op.replace('_', " ");
    if op != "view" && staff.may(&permission(slug, "view")) {
        format!("You can view {noun} but not {verb} them. Ask an admin for the {perm} permission.")
    } else {
        format!("You cannot {verb} {noun}. Ask an admin for the {perm} permission.")
    }
}

/// Blanks the cells of fields hidden from `staff`, so they cannot leak through any
/// screen that forgets to skip them.
pub fn mask(staff: &Staff, admin: &dyn ModelAdmin, record: &mut Record) {
    for (f, cell) in admin.meta().fields.iter().zip(record.cells.iter_mut()) {
        if crate::access::permission::hidden(staff, f) {
            *cell = crate::kernel::field::Cell::Null;
        }
    }
}

fn not_found(admin: &dyn ModelAdmin, key: &str) -> Error {
    let meta = admin.meta();
    Error::NotFound(format!(
        "There is no {} with {} {}.",
        meta.label.to_lowercase(),
        meta.pk_field().name,
        key
    ))
}

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
) -> Result<Record> {
    require(staff, admin, "view")?;
    let mut record = admin.get(db, key).await?.ok_or_else(|| not_found(admin, key))?;
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
) -> Result<Record> {
    let staff = actor(ctx)?;
    require(staff, admin, "add")?;
    let access = crate::access::permission::access_map(staff, admin.meta(), true);
    admin.create(db, ctx, &access, form).await
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
) -> Result<(Record, Changes)> {
    let staff = actor(ctx)?;
    require(staff, admin, "change")?;
    let meta = admin.meta();
    let access = crate::access::permission::access_map(staff, meta, false);
    if let Some(e) = reason_error(ctx, "_reason") {
        return Err(Error::Invalid(vec![e]));
    }
    let has_reason = ctx.reason.is_some();
    let check = move |changes: &Changes| -> Result<()> {
        if has_reason {
            return Ok(());
        }
        let needs: Vec<&str> = changes
            .iter()
            .map(|(i, _, _)| &meta.fields[*i])
            .filter(|f| meta.reason_required || f.reason_required)
            .map(|f| f.label)
            .collect();
        if needs.is_empty() {
            Ok(())
        } else {
            Err(Error::Invalid(vec![crate::kernel::error::FieldError::field(
                "_reason",
                format!(
                    "Say why you are changing {}: the reason is kept in the record's history.",
                    join_and(&needs.iter().map(|s| s.to_lowercase()).collect::<Vec<_>>())
                ),
            )]))
        }
    };
    admin.update(db, ctx, &access, &check, key, version, form).await
}

/// What deleting a record would touch: per referring model, how many rows refer to it.
#[derive(Clone)]
pub struct DeletePlan {
    /// The record to delete.
    pub record: Record,
    /// Referring models and their counts (only those with rows).
    pub blockers: Vec<(Related, u64)>,
}

impl DeletePlan {
    /// The plain sentence explaining why the record cannot be deleted, if it cannot.
    #[must_use]
    pub fn blocked_reason(&self, admin: &dyn ModelAdmin) -> Option<String> {
        if self.blockers.is_empty() {
            return None;
        }
        let parts: Vec<String> = self.blockers.iter().map(|(r, n)| r.admin.meta().count_phrase(*n)).collect();
        Some(format!(
            "{} cannot be deleted: {} still refer to it. Delete or move those first.",
            self.record.title(admin.meta()),
            join_and(&parts)
        ))
    }
}

fn join_and(parts: &[String]) -> String {
    match parts {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {}", init.join(", "), last),
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
    let record = admin.get(db, key).await?.ok_or_else(|| not_found(admin, key))?;
    let mut blockers = Vec::new();
    for rel in registry.related_to(admin.meta().slug) {
        let Ok(value) = rel.admin.parse_value(rel.field, &record.key) else {
            continue;
        };
        let n = rel.admin.count_where(db, rel.field, value).await?;
        if n > 0 {
            blockers.push((rel, n));
        }
    }
    Ok(DeletePlan { record, blockers })
}

/// What is wrong with the reason given, if anything: more than
/// [`crate::kernel::text::REASON`] characters, or control characters other than line breaks.
/// `field` is the form field it came from.
#[must_use]
pub fn reason_error(ctx: &Context, field: &str) -> Option<crate::kernel::error::FieldError> {
    let reason = ctx.reason.as_deref()?;
    crate::kernel::text::check_named("The reason", reason, crate::kernel::text::REASON, crate::kernel::text::Lines::Many)
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
    if let Some(reason) = plan.blocked_reason(admin) {
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
        let mut rows = rel.admin.list_where(db, rel.field, value.clone(), limit).await?;
        for r in &mut rows {
            mask(staff, rel.admin.as_ref(), r);
        }
        let total = if (rows.len() as u64) < limit {
            rows.len() as u64
        } else {
            rel.admin.count_where(db, rel.field, value).await?
        };
        out.push(RelatedRows {
            related: Related { admin: Arc::clone(&rel.admin), field: rel.field },
            rows,
            total,
        });
    }
    Ok(out)
}

/// A request to run an action.
#[derive(Clone, Debug, Default)]
pub struct ActionRequest {
    /// The selected records' keys.
    pub keys: Vec<String>,
    /// The typed input as JSON (`{}` for none).
    pub input: serde_json::Value,
    /// The key the confirmation form carried: the same request sent again with the
    /// same key (by the same staff user) gives the first one's result instead of
    /// running again; a different request with it is refused (see
    /// [`crate::action::idempotency`]).
    pub idempotency_key: Option<String>,
}

/// What became of an action request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ActionResult {
    /// It ran now.
    Ran(crate::action::Report),
    /// This staff user already sent this request with this idempotency key and it
    /// ran; this is the first run's report.
    AlreadyRan(crate::action::Report),
    /// It needs approval and waits as request `id`.
    Queued {
        /// The approval request's id.
        id: i64,
    },
}

/// Finds an action and checks that `staff` may run it.
///
/// # Errors
/// `NotFound` for an unknown model or action; `Forbidden` without
/// `{model}.action.{name}`.
pub fn action_for(
    staff: &Staff,
    registry: &Registry,
    slug: &str,
    name: &str,
) -> Result<Arc<dyn crate::action::DynAction>> {
    let action = registry.action_named(slug, name).ok_or_else(|| {
        Error::NotFound(format!("There is no action \u{201c}{name}\u{201d} for \u{201c}{slug}\u{201d}."))
    })?;
    let perm = format!("{slug}.action.{name}");
    if !staff.may(&perm) {
        return Err(Error::Forbidden(format!(
            "You cannot run \u{201c}{}\u{201d} on {}. Ask an admin for the {perm} permission.",
            action.label(),
            action.model().noun_plural()
        )));
    }
    Ok(action)
}

/// The records an action would touch and those it would skip, with reasons.
///
/// # Errors
/// As [`action_for`]; `Refused` past the batch limit.
pub async fn action_preview(
    db: &DatabaseConnection,
    staff: &Staff,
    registry: &Registry,
    slug: &str,
    name: &str,
    keys: &[String],
) -> Result<(Arc<dyn crate::action::DynAction>, crate::action::Preview)> {
    let action = action_for(staff, registry, slug, name)?;
    check_batch(action.as_ref(), keys)?;
    let mut preview = action.preview(db, keys).await?;
    if let Some(model) = registry.get(slug) {
        for r in preview.ready.iter_mut().chain(preview.blocked.iter_mut().map(|b| &mut b.record)) {
            mask(staff, model.as_ref(), r);
        }
    }
    Ok((action, preview))
}

fn check_batch(action: &dyn crate::action::DynAction, keys: &[String]) -> Result<()> {
    let noun = action.model().noun_plural();
    // A key longer than any id, or with control characters, names no record.
    if keys.iter().any(|k| !crate::kernel::text::is_lookup(k, crate::kernel::text::LOOKUP)) {
        return Err(Error::Invalid(vec![crate::kernel::error::FieldError::field(
            "ids",
            format!(
                "One of the selected ids is not an id of the {noun}: it is longer than {} characters or has invisible control characters. Nothing was changed.",
                crate::kernel::text::LOOKUP
            ),
        )]));
    }
    if keys.is_empty() {
        return Err(Error::Invalid(vec![crate::kernel::error::FieldError::field(
            "ids",
            format!("Select at least one of the {noun} first."),
        )]));
    }
    let max = action.policy().max_batch;
    if keys.len() > max {
        return Err(Error::Refused(format!(
            "You selected {} {noun}; \u{201c}{}\u{201d} takes at most {} at a time. Narrow the selection and try again.",
            crate::kernel::model::thousands(keys.len() as u64),
            action.label(),
            crate::kernel::model::thousands(max as u64)
        )));
    }
    Ok(())
}

/// Runs an action, or queues it for approval when its policy says so. The one path
/// for the screens, the JSON API and scripts: permission, batch limit, reason, input
/// validation, per-record checks, one transaction with one audit entry per changed
/// record, and at most one run per idempotency key: a key is the staff user's own and
/// names one request (model, action, records, input, reason), see
/// [`crate::action::idempotency`].
///
/// # Errors
/// `Forbidden`, `NotFound`, `Refused` (batch limit, or
/// [`crate::action::idempotency::KEY_REUSED`] for a key already used for a different
/// request), `Invalid` (reason, input or key); any error from the action itself, in
/// which case nothing was changed.
pub async fn run_action(
    db: &DatabaseConnection,
    ctx: &Context,
    registry: &Registry,
    slug: &str,
    name: &str,
    request: &ActionRequest,
) -> Result<ActionResult> {
    use crate::action::{Approval, Executed};

    let staff = actor(ctx)?;
    let action = action_for(staff, registry, slug, name)?;
    let mut keys: Vec<String> = Vec::with_capacity(request.keys.len());
    let mut seen = std::collections::HashSet::with_capacity(request.keys.len());
    for k in &request.keys {
        let k = k.trim();
        if !k.is_empty() && seen.insert(k) {
            keys.push(k.to_owned());
        }
    }
    check_batch(action.as_ref(), &keys)?;
    let policy = action.policy();
    let mut errors = Vec::new();
    if policy.reason_required && ctx.reason.is_none() {
        errors.push(crate::kernel::error::FieldError::field(
            "reason",
            format!(
                "Say why you run \u{201c}{}\u{201d}: the reason is kept in the audit log.",
                action.label()
            ),
        ));
    }
    errors.extend(reason_error(ctx, "reason"));
    if let Some(k) = &request.idempotency_key
        && let Err(m) = crate::kernel::text::check_named(
            "The idempotency key",
            k.trim(),
            crate::kernel::text::IDEMPOTENCY_KEY,
            crate::kernel::text::Lines::One,
        )
    {
        errors.push(crate::kernel::error::FieldError::field("idempotency_key", m));
    }
    // Approval requests keep the input as the action reads it, never the raw request.
    let input = match action.normalize_input(&request.input) {
        Ok(input) => input,
        Err(e) => {
            // Each input field's own message, under its name (`fields` in the API).
            errors.extend(e.into_iter().map(|f| match f.field {
                Some(_) => f,
                None => crate::kernel::error::FieldError::form(format!("The input does not fit: {}", f.message)),
            }));
            serde_json::Value::Null
        }
    };
    let idem = match crate::action::idempotency::parse_key(request.idempotency_key.as_deref()) {
        Ok(k) => k,
        Err(Error::Invalid(e)) => {
            errors.extend(e);
            None
        }
        Err(e) => return Err(e),
    };
    if !errors.is_empty() {
        return Err(Error::Invalid(errors));
    }
    let binding = idem.map(|k| {
        crate::action::idempotency::Binding::new(&k, slug, name, &keys, &request.input, ctx.reason.as_deref())
    });
    if let Some(b) = &binding
        && let Some(answer) = replay(db, staff.id, b).await?
    {
        return Ok(answer);
    }
    let turn = registry.write_turn(db).await;
    let txn = crate::db::txn::begin_write(db).await?;
    // The action's approval rule is asked inside the run, on the records it loaded
    // (and locked): a request that needs approval changes nothing and is queued.
    let report = match action.execute(&txn, ctx, &keys, &request.input, Approval::Ask).await? {
        Executed::Ran(report) => report,
        Executed::NeedsApproval => {
            txn.rollback().await?;
            drop(turn);
            let r = crate::approval::create(db, ctx, slug, name, &keys, &input, binding.as_ref()).await?;
            return Ok(ActionResult::Queued { id: r.id });
        }
    };
    if let Some(b) = &binding
        && let Err(e) = crate::action::idempotency::record_run(&txn, staff.id, b, &report).await
    {
        // A concurrent submission with the same key committed first: undo this run
        // and answer as that one decides.
        txn.rollback().await?;
        return match replay(db, staff.id, b).await? {
            Some(answer) => Ok(answer),
            None => Err(e),
        };
    }
    txn.commit().await?;
    // An action may write to any table: every list's page anchors are outdated.
    registry.touch_all();
    Ok(ActionResult::Ran(report))
}

/// The first answer to a request whose key `staff_id` already used: the run's
/// report again, or the same approval request. `None` when the key is new.
///
/// # Errors
/// `Refused` ([`crate::action::idempotency::KEY_REUSED`]) when the key was used for a
/// different request; `Db` when the database fails.
async fn replay(
    db: &DatabaseConnection,
    staff_id: i64,
    binding: &crate::action::idempotency::Binding,
) -> Result<Option<ActionResult>> {
    if let Some(done) = crate::action::idempotency::prior_run(db, staff_id, &binding.key).await? {
        if !binding.matches(&done.model, &done.action, &done.fingerprint) {
            return Err(crate::action::idempotency::reused());
        }
        let report = serde_json::from_str(&done.report)
            .map_err(|e| Error::Internal(format!("the stored report of run {} is not JSON: {e}", done.id)))?;
        return Ok(Some(ActionResult::AlreadyRan(report)));
    }
    if let Some(queued) = crate::approval::find_by_key(db, staff_id, &binding.key).await? {
        if !binding.matches(&queued.model, &queued.action, queued.fingerprint.as_deref().unwrap_or_default())
        {
            return Err(crate::action::idempotency::reused());
        }
        return Ok(Some(ActionResult::Queued { id: queued.id }));
    }
    Ok(None)
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
