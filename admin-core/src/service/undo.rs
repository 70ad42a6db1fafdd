//! Undoing an action run behind the door: what the run's action declares
//! ([`Undo`]) decides how. [`Undo::PutBack`] puts back, per record, the values the
//! run changed, in one transaction with one `undo:{name}` audit entry per record,
//! recorded as a new run with `undo_of`; [`Undo::Inverse`] runs the inverse action
//! through [`super::run_action`]'s own path; [`Undo::Irreversible`] says why not.

use std::sync::Arc;

use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde_json::Value as Json;

use super::{ActionRequest, ActionResult, actor, reason_error};
use crate::access::Staff;
use crate::action::runs::{self, ActionRun};
use crate::action::{DynAction, Report, Undo};
use crate::audit::{self, Context, entry};
use crate::db::entities::action_run;
use crate::kernel::error::{Error, FieldError, Result};
use crate::kernel::field::Cell;
use crate::kernel::model::{FieldMeta, ModelMeta};
use crate::kernel::record::Record;
use crate::registry::{ModelAdmin, Registry};

/// One field an undo puts back, as a person reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldBack {
    /// The field's label.
    pub label: &'static str,
    /// Its value now (what the run left).
    pub now: String,
    /// The value it goes back to.
    pub back: String,
}

/// What an undo that puts values back does to one record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordBack {
    /// The record's key.
    pub key: String,
    /// The fields put back.
    pub fields: Vec<FieldBack>,
    /// Why this record is left alone, if it is ("someone changed it since").
    pub refused: Option<String>,
    /// `(field, form text)` to write.
    values: Vec<(usize, String)>,
}

/// How a run would be undone.
pub enum UndoPlan {
    /// The values the run changed go back, per record.
    PutBack(Vec<RecordBack>),
    /// The inverse action runs on the records the run changed, under its own rules.
    Inverse {
        /// The inverse action.
        action: Arc<dyn DynAction>,
        /// The records the run changed.
        keys: Vec<String>,
    },
    /// It cannot be undone.
    Irreversible {
        /// Why, in plain words.
        why: String,
        /// The compensating action, when there is one and the caller may run it.
        compensate: Option<Arc<dyn DynAction>>,
        /// The records the run changed (for the compensating action).
        keys: Vec<String>,
    },
}

/// What undoing a run would do.
pub struct UndoPreview {
    /// The run.
    pub run: ActionRun,
    /// Its action.
    pub action: Arc<dyn DynAction>,
    /// How it would be undone.
    pub plan: UndoPlan,
}

/// The run's action, after the checks every undo makes: it is registered, the run
/// is not an undo itself and was not undone already.
fn action_of(registry: &Registry, run: &ActionRun) -> Result<Arc<dyn DynAction>> {
    let action = registry.action_named(&run.model, &run.action).ok_or_else(|| {
        Error::NotFound(format!(
            "The action \u{201c}{}\u{201d} is no longer part of this admin; its runs cannot be undone here.",
            run.action
        ))
    })?;
    if run.undo_of.is_some() {
        return Err(Error::Refused(format!(
            "Run {} was itself an undo. To do the work again, run \u{201c}{}\u{201d} again.",
            run.id,
            action.label()
        )));
    }
    if let Some(by) = run.undone_by {
        return Err(Error::Refused(already_undone(run.id, by)));
    }
    Ok(action)
}

fn already_undone(id: i64, by: i64) -> String {
    format!("Run {id} was already undone (by run {by}); it cannot be undone twice.")
}

/// Refuses unless `staff` may put back this run: `{model}.action.{name}.undo` for
/// their own runs, `{model}.action.{name}.undo_any` for anyone's.
fn may_put_back(staff: &Staff, run: &ActionRun, action: &dyn DynAction) -> Result<()> {
    let base = format!("{}.action.{}", run.model, run.action);
    let any = staff.may(&format!("{base}.undo_any"));
    if any || (staff.id == run.actor_id && staff.may(&format!("{base}.undo"))) {
        return Ok(());
    }
    let label = action.label();
    Err(Error::Forbidden(if staff.id != run.actor_id && staff.may(&format!("{base}.undo")) {
        staff.denial(
            &format!(
                "You can undo only your own runs of \u{201c}{label}\u{201d}; this one was run by {}.",
                run.actor
            ),
            &format!("{base}.undo_any"),
        )
    } else {
        staff.denial(&format!("You cannot undo \u{201c}{label}\u{201d}."), &format!("{base}.undo"))
    }))
}

/// The keys of the records the run changed.
fn done_keys(run: &ActionRun) -> Vec<String> {
    run.report.done.iter().map(|(k, _)| k.clone()).collect()
}

/// What undoing `run` would do, for `staff`.
///
/// # Errors
/// `Refused` when it was undone already or is an undo; `Forbidden` without the
/// permission the undo needs; `Db`.
pub async fn preview(
    db: &DatabaseConnection,
    registry: &Registry,
    staff: &Staff,
    run: ActionRun,
) -> Result<UndoPreview> {
    let action = action_of(registry, &run)?;
    let plan = match action.undo() {
        Undo::PutBack => {
            may_put_back(staff, &run, action.as_ref())?;
            let admin = model_admin(registry, &run.model)?;
            let mut records = Vec::new();
            for (key, changes) in run_changes(db, &run).await? {
                let current = admin.get(db, &key, &crate::access::scope::RowScope::All).await?;
                records.push(plan_record(staff, admin.meta(), key, current.as_ref(), &changes));
            }
            UndoPlan::PutBack(records)
        }
        Undo::Inverse(name) => {
            let inverse = super::action_for(staff, registry, &run.model, name)?;
            UndoPlan::Inverse { action: inverse, keys: done_keys(&run) }
        }
        undo @ Undo::Irreversible { compensate, .. } => UndoPlan::Irreversible {
            why: undo.refusal(action.label()).unwrap_or_default(),
            compensate: compensate.and_then(|c| super::action_for(staff, registry, &run.model, c).ok()),
            keys: done_keys(&run),
        },
    };
    Ok(UndoPreview { run, action, plan })
}

fn model_admin<'r>(registry: &'r Registry, slug: &str) -> Result<&'r Arc<dyn ModelAdmin>> {
    registry
        .get(slug)
        .ok_or_else(|| Error::NotFound(format!("There is no model \u{201c}{slug}\u{201d} in this admin.")))
}

/// Per record the run changed, in order: `(field, before, after)` as its audit
/// entry keeps them.
async fn run_changes<C: ConnectionTrait>(
    conn: &C,
    run: &ActionRun,
) -> Result<Vec<(String, Vec<(String, Json, Json)>)>> {
    let Some((first, last)) = run.report.audit_seqs else {
        return Ok(Vec::new());
    };
    let entries = entry::Entity::find()
        .filter(entry::Column::Seq.between(first, last))
        .filter(entry::Column::Kind.eq(format!("action:{}", run.action)))
        .filter(entry::Column::Model.eq(run.model.clone()))
        .order_by_asc(entry::Column::Seq)
        .all(conn)
        .await?;
    let mut out = Vec::with_capacity(entries.len());
    for e in entries {
        let Some(key) = e.object_id else { continue };
        let Ok(Json::Object(map)) = serde_json::from_str::<Json>(&e.changes) else { continue };
        let fields = map
            .into_iter()
            .filter(|(k, _)| !k.starts_with('_'))
            .filter_map(|(k, v)| match v {
                Json::Array(mut pair) if pair.len() == 2 => {
                    let after = pair.pop()?;
                    let before = pair.pop()?;
                    Some((k, before, after))
                }
                _ => None,
            })
            .collect();
        out.push((key, fields));
    }
    Ok(out)
}

/// A kept value as `staff` reads it: choices by label, booleans as yes/no, hidden
/// fields as "(hidden)".
pub(crate) fn shown(staff: &Staff, f: &FieldMeta, v: &Json) -> String {
    if crate::access::permission::hidden(staff, f) {
        return "(hidden)".to_owned();
    }
    match v {
        Json::Null => "(empty)".to_owned(),
        Json::Bool(b) => if *b { "yes" } else { "no" }.to_owned(),
        Json::String(s) => f.choice_label(s).to_owned(),
        other => other.to_string(),
    }
}

/// The key, and timestamps the application keeps itself (a date or time field
/// read-only for everyone, like `updated_at`): an undo neither puts them back nor
/// counts their later change as a conflict; the application's own hooks set them.
fn kept_by_app(f: &FieldMeta) -> bool {
    f.primary_key || (f.readonly && f.kind.is_temporal())
}

/// What putting back `changes` on `current` (the record now) does, or why not.
fn plan_record(
    staff: &Staff,
    meta: &ModelMeta,
    key: String,
    current: Option<&Record>,
    changes: &[(String, Json, Json)],
) -> RecordBack {
    let name = format!("{} {key}", meta.label);
    let Some(current) = current else {
        let refused = Some(format!("{name} has been deleted since; there is nothing to put back."));
        return RecordBack { key, fields: Vec::new(), refused, values: Vec::new() };
    };
    let (mut fields, mut values, mut changed) = (Vec::new(), Vec::new(), Vec::new());
    for (field, before, after) in changes {
        let Some((i, f)) = meta.field(field) else { continue };
        if kept_by_app(f) {
            continue;
        }
        let now = audit::cell_json(current.cells.get(i).unwrap_or(&Cell::Null));
        if now != *after {
            changed.push(format!(
                "{} is now \u{201c}{}\u{201d}, the run left \u{201c}{}\u{201d}",
                f.label,
                shown(staff, f, &now),
                shown(staff, f, after)
            ));
            continue;
        }
        values.push((i, audit::json_form_text(before)));
        fields.push(FieldBack { label: f.label, now: shown(staff, f, after), back: shown(staff, f, before) });
    }
    let refused = if !changed.is_empty() {
        Some(format!("{name} was changed since the run ({}); it is left as it is.", changed.join("; ")))
    } else if values.is_empty() {
        Some(format!(
            "The run changed only fields the application keeps on {name}; there is nothing to put back."
        ))
    } else {
        None
    };
    if refused.is_some() {
        fields.clear();
        values.clear();
    }
    RecordBack { key, fields, refused, values }
}

/// Undoes the run `run_id` as its action declares, with the reason of `ctx`
/// (required).
///
/// # Errors
/// As [`preview`]; `Invalid` without a reason; `Refused` for an irreversible run
/// or when no record can be put back; `ReauthRequired` is the door's (it asks for a
/// recent sign-in before calling this); errors of the inverse action's run.
pub async fn undo(
    db: &DatabaseConnection,
    ctx: &Context,
    (registry, roles): (&Registry, &crate::access::permission::Roles),
    run: ActionRun,
) -> Result<ActionResult> {
    let staff = actor(ctx)?;
    let action = action_of(registry, &run)?;
    let mut errors: Vec<FieldError> = reason_error(ctx, "reason").into_iter().collect();
    if ctx.reason.is_none() {
        errors.push(FieldError::field(
            "reason",
            "Say why you undo this run: the reason is kept in the audit log.",
        ));
    }
    match action.undo() {
        Undo::PutBack => {
            may_put_back(staff, &run, action.as_ref())?;
            if !errors.is_empty() {
                return Err(Error::Invalid(errors));
            }
            put_back(db, ctx, registry, &run).await
        }
        Undo::Inverse(name) => {
            super::action_for(staff, registry, &run.model, name)?;
            if !errors.is_empty() {
                return Err(Error::Invalid(errors));
            }
            let request =
                ActionRequest { keys: done_keys(&run), input: serde_json::json!({}), idempotency_key: None };
            super::actions::run_action_undoing(
                db,
                ctx,
                (registry, roles),
                &run.model,
                name,
                &request,
                Some(run.id),
            )
            .await
        }
        undo @ Undo::Irreversible { .. } => {
            Err(Error::Refused(undo.refusal(action.label()).unwrap_or_default()))
        }
    }
}

/// Puts back the values `run` changed, in one transaction: one `undo:{name}` audit
/// entry per record put back, the others skipped with the reason, recorded as a run
/// with `undo_of`.
async fn put_back(
    db: &DatabaseConnection,
    ctx: &Context,
    registry: &Registry,
    run: &ActionRun,
) -> Result<ActionResult> {
    let staff = actor(ctx)?;
    let admin = model_admin(registry, &run.model)?;
    let meta = admin.meta();
    let turn = registry.write_turn(db).await;
    let txn = crate::db::txn::begin_write(db).await?;
    // The run's row, locked: two undos of one run wait for each other here.
    let mut q = action_run::Entity::find_by_id(run.id);
    if txn.get_database_backend() == DbBackend::Postgres {
        q = q.lock_exclusive();
    }
    q.one(&txn).await?;
    if let Some(by) =
        action_run::Entity::find().filter(action_run::Column::UndoOf.eq(run.id)).one(&txn).await?
    {
        return Err(Error::Refused(already_undone(run.id, by.id)));
    }
    let mut report = Report::default();
    let mut diffs = Vec::new();
    for (key, changes) in run_changes(&txn, run).await? {
        let current = admin.get_for_write(&txn, &key).await?;
        let plan = plan_record(staff, meta, key, current.as_ref(), &changes);
        if let Some(reason) = plan.refused {
            report.skipped.push((plan.key, reason));
            continue;
        }
        let (Some(before), after) = (current, admin.write_values(&txn, &plan.key, &plan.values).await?)
        else {
            continue;
        };
        let changed = crate::kernel::changes(&before.cells, &after.cells);
        diffs.push((plan.key.clone(), audit::diff_json(meta, &changed)));
        report.done.push((plan.key, "put back".to_owned()));
    }
    if report.done.is_empty() {
        let why: Vec<&str> = report.skipped.iter().map(|(_, r)| r.as_str()).take(5).collect();
        return Err(Error::Refused(format!("Nothing was undone. {}", why.join(" "))));
    }
    let kind = format!("undo:{}", run.action);
    let events = diffs
        .iter()
        .map(|(key, changes)| audit::Event {
            kind: &kind,
            model: Some(meta.slug),
            object_id: Some(key),
            changes: changes.clone(),
        })
        .collect();
    report.audit_seqs = audit::record_many(&txn, ctx, events).await?;
    let input = serde_json::json!({});
    let new_run = runs::NewRun {
        actor_id: staff.id,
        model: meta.slug,
        action: &run.action,
        reason: ctx.reason.as_deref(),
        request_id: ctx.request_id.as_deref(),
        input: &input,
        undo_of: Some(run.id),
    };
    report.run_id = Some(runs::record(&txn, &new_run, &report).await?);
    txn.commit().await?;
    drop(turn);
    registry.touch_all();
    Ok(ActionResult::Ran(report))
}
