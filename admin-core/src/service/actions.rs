//! Running actions behind the door: finding one the caller may run, the preview,
//! the batch limit, the reason and input checks, idempotency and approvals.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use super::batch::{check_batch, check_job_size, check_keys};
use super::{actor, mask, reason_error};
use crate::access::Staff;
use crate::audit::Context;
use crate::kernel::error::{Denial, Error, Result};
use crate::registry::Registry;

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
        let roles = staff.permissions.site_roles();
        let done_by = roles.done_by(&perm).map(|who| format!(": that is done by {who}")).unwrap_or_default();
        let sentence = format!(
            "You cannot run \u{201c}{}\u{201d} on {}{done_by}. {}",
            action.label(),
            action.model().noun_plural(),
            roles.who_can(&perm)
        );
        return Err(Error::Forbidden(Denial::missing(sentence, perm)));
    }
    Ok(action)
}

/// The records an action would touch and those it would skip, with reasons; with
/// `input`, also a trial: the action run on the first
/// [`crate::action::TRIAL_RUNS`] ready records and rolled back (see
/// [`preview_of`]). The actor, reason and request id come from `ctx`.
///
/// # Errors
/// As [`action_for`]; `Refused` past the batch limit.
pub async fn action_preview(
    db: &DatabaseConnection,
    ctx: &Context,
    registry: &Registry,
    (slug, name): (&str, &str),
    keys: &[String],
    input: Option<&serde_json::Value>,
) -> Result<(Arc<dyn crate::action::DynAction>, crate::action::Preview)> {
    let staff = actor(ctx)?;
    let action = action_for(staff, registry, slug, name)?;
    check_batch(action.as_ref(), keys)?;
    let preview = preview_of(db, ctx, registry, action.as_ref(), keys, input).await?;
    Ok((action, preview))
}

/// The preview of `action` on `keys` for the actor of `ctx`, without asking whether
/// the actor may run it (an approver previews someone else's request): the checks
/// on every record, then, with `input`, the action run for real on the first
/// [`crate::action::TRIAL_RUNS`] ready records in one short write transaction that
/// is always rolled back. It uses up nothing: no audit entry or sequence number, no
/// run, no idempotency key, no effect. Hidden fields are masked in the records and
/// in the changes. A trial that fails is not an error: why is kept in
/// [`crate::action::Preview::trial_failed`], since the run would fail the same way.
///
/// # Errors
/// `Unauthenticated` without an actor; `Db` when the database fails.
pub(crate) async fn preview_of(
    db: &DatabaseConnection,
    ctx: &Context,
    registry: &Registry,
    action: &dyn crate::action::DynAction,
    keys: &[String],
    input: Option<&serde_json::Value>,
) -> Result<crate::action::Preview> {
    let staff = actor(ctx)?;
    let mut preview = action.preview(db, keys).await?;
    if let Some(input) = input
        && !preview.ready.is_empty()
    {
        let tried: Vec<String> =
            preview.ready.iter().take(crate::action::TRIAL_RUNS).map(|r| r.key.clone()).collect();
        let turn = registry.write_turn(db).await;
        let txn = crate::db::txn::begin_write(db).await?;
        let trial = action.trial(&txn, ctx, &tried, input).await;
        // Always rolled back: a preview changes nothing.
        txn.rollback().await?;
        drop(turn);
        match trial {
            Ok(t) => preview.trial = Some(t),
            Err(e) => preview.trial_failed = Some(refusal_text(action.name(), &e)),
        }
    }
    if let Some(model) = registry.get(action.model().slug) {
        for r in preview.ready.iter_mut().chain(preview.blocked.iter_mut().map(|b| &mut b.record)) {
            mask(staff, model.as_ref(), r);
        }
    }
    let fields = action.model().fields;
    for c in preview.trial.iter_mut().flat_map(|t| t.records.iter_mut()).flat_map(|r| r.changes.iter_mut()) {
        if crate::access::permission::hidden(staff, &fields[c.field]) {
            HIDDEN.clone_into(&mut c.before);
            HIDDEN.clone_into(&mut c.after);
        }
    }
    Ok(preview)
}

/// What a change of a field the caller may not see shows instead of its values.
const HIDDEN: &str = "(hidden)";

/// Why a trial failed, for the preview page: the action's refusal as it is, a
/// fault in a few plain words (the details go to the log).
fn refusal_text(action: &str, e: &Error) -> String {
    match e {
        Error::Refused(m) | Error::BadRequest(m) | Error::NotFound(m) => m.clone(),
        Error::Forbidden(d) => d.sentence().to_owned(),
        Error::Invalid(errors) => errors.iter().map(|f| f.message.clone()).collect::<Vec<_>>().join(" "),
        Error::Db(db) => {
            tracing::warn!(action, error = %db, "an action's preview failed in the database");
            "the database refused the change.".to_owned()
        }
        other => {
            tracing::warn!(action, error = %other, "an action's preview failed");
            other.to_string()
        }
    }
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
    roles: &crate::access::permission::Roles,
    slug: &str,
    name: &str,
    request: &ActionRequest,
) -> Result<ActionResult> {
    run_action_undoing(db, ctx, (registry, roles), slug, name, request, None).await
}

/// [`run_action`], recording the run as the undo of run `undo_of` (an inverse
/// action run to undo another run) in the same transaction.
///
/// # Errors
/// As [`run_action`].
pub(crate) async fn run_action_undoing(
    db: &DatabaseConnection,
    ctx: &Context,
    (registry, roles): (&Registry, &crate::access::permission::Roles),
    slug: &str,
    name: &str,
    request: &ActionRequest,
    undo_of: Option<i64>,
) -> Result<ActionResult> {
    let staff = actor(ctx)?;
    let action = action_for(staff, registry, slug, name)?;
    let (keys, input, binding) = checked(ctx, action.as_ref(), (slug, name), request, Scale::Run)?;
    if let Some(b) = &binding
        && let Some(answer) = replay(db, staff.id, b).await?
    {
        return Ok(answer);
    }
    let limits = crate::limits::Applied::new(roles, staff, action.as_ref());
    let target = (action.as_ref(), &limits);
    execute(db, ctx, registry, target, (slug, name, undo_of), &keys, request, &input, binding.as_ref()).await
}

/// How many records a request may name: one run's batch, or a background job's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Scale {
    /// [`crate::action::Policy::max_batch`].
    Run,
    /// [`crate::action::Policy::max_job`].
    Job,
}

/// The request's distinct keys, the input as the action reads it, and the binding
/// of its idempotency key, after every check that needs no database: the batch
/// limit, the reason, the key and the input.
pub(crate) fn checked(
    ctx: &Context,
    action: &dyn crate::action::DynAction,
    (slug, name): (&str, &str),
    request: &ActionRequest,
    scale: Scale,
) -> Result<(Vec<String>, serde_json::Value, Option<crate::action::idempotency::Binding>)> {
    let mut keys: Vec<String> = Vec::with_capacity(request.keys.len());
    let mut seen = std::collections::HashSet::with_capacity(request.keys.len());
    for k in &request.keys {
        let k = k.trim();
        if !k.is_empty() && seen.insert(k) {
            keys.push(k.to_owned());
        }
    }
    match scale {
        Scale::Run => check_batch(action, &keys)?,
        Scale::Job => {
            check_keys(action, &keys)?;
            check_job_size(action, keys.len() as u64)?;
        }
    }
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
                None => {
                    crate::kernel::error::FieldError::form(format!("The input does not fit: {}", f.message))
                }
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
    Ok((keys, input, binding))
}

/// Runs the checked request in one transaction, or queues it when the action asks
/// for approval; records the run under its idempotency key. What it did counts
/// against the caller's `limits` in the same transaction (a request for approval,
/// in the request's); past a limit nothing is changed and the hit is audited.
#[allow(clippy::too_many_arguments)]
async fn execute(
    db: &DatabaseConnection,
    ctx: &Context,
    registry: &Registry,
    (action, limits): (&dyn crate::action::DynAction, &crate::limits::Applied),
    (slug, name, undo_of): (&str, &str, Option<i64>),
    keys: &[String],
    request: &ActionRequest,
    input: &serde_json::Value,
    binding: Option<&crate::action::idempotency::Binding>,
) -> Result<ActionResult> {
    use crate::action::{Approval, Executed};

    let staff = actor(ctx)?;
    let turn = registry.write_turn(db).await;
    let txn = crate::db::txn::begin_write(db).await?;
    // What the records move is read (and locked) before the run changes them.
    let measured =
        if limits.counts_amounts() { action.measure(&txn, keys, input).await? } else { Vec::new() };
    // The action's approval rule is asked inside the run, on the records it loaded
    // (and locked): a request that needs approval changes nothing and is queued.
    // The caller's row-level scope holds inside the transaction too: a record that
    // left it since the door's check is skipped as not there.
    let scope = registry.row_scope(staff, slug);
    let report = match action.execute(&txn, ctx, keys, &request.input, Approval::Ask, &scope).await? {
        Executed::Ran(report) => report,
        Executed::NeedsApproval => {
            let usage = if limits.is_empty() {
                crate::limits::Usage::default()
            } else {
                crate::limits::Usage::of_request(&action.measure(&txn, keys, input).await?)
            };
            txn.rollback().await?;
            drop(turn);
            let charge = (limits, &usage);
            let r = crate::approval::create(db, ctx, (slug, name), keys, input, binding, charge).await?;
            return Ok(ActionResult::Queued { id: r.id });
        }
    };
    let usage = crate::limits::Usage::of_run(&report, &measured);
    if let Some(hit) = crate::limits::charge(&txn, staff.id, limits, &usage).await? {
        txn.rollback().await?;
        return Err(crate::limits::refuse(db, ctx, limits, &hit).await);
    }
    if let (Some(of), Some(run_id)) = (undo_of, report.run_id) {
        crate::action::runs::mark_undo(&txn, run_id, of).await?;
    }
    if let (Some(b), Some(run_id)) = (binding, report.run_id)
        && let Err(e) = crate::action::idempotency::bind_run(&txn, run_id, b).await
    {
        // A concurrent submission with the same key committed first: undo this run
        // and answer as that one decides.
        txn.rollback().await?;
        return match replay(db, staff.id, b).await? {
            Some(answer) => Ok(answer),
            None => Err(e),
        };
    }
    // A connection lost at the commit is "may or may not have been saved".
    crate::db::txn::commit(txn).await?;
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
        return Ok(Some(ActionResult::AlreadyRan(crate::action::runs::report_of(&done)?)));
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
