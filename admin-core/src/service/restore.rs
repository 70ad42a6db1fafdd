//! Restoring behind the door: one record back to a version from its history
//! (through the update path: version check, field rules, reason, audit), and a
//! deleted record back from the snapshot its delete entry keeps, within a window.

use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};
use serde_json::Value as Json;

use super::undo::shown;
use super::{actor, not_found, require};
use crate::access::Staff;
use crate::access::permission::{FieldAccess, access_map};
use crate::audit::{self, Context, entry};
use crate::kernel::Changes;
use crate::kernel::error::{Error, FieldError, Result};
use crate::kernel::field::Cell;
use crate::kernel::record::{FormData, Record};
use crate::registry::{ModelAdmin, Registry};

/// The most later entries a version restore walks back through.
const MAX_LATER: usize = 1_000;

/// One field a restore sets, as a person reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldRestore {
    /// The field's label.
    pub label: &'static str,
    /// Its value now ("(empty)" for none; "(hidden)" when hidden from the caller).
    pub now: String,
    /// The value it gets back.
    pub back: String,
}

/// What restoring a record (a version, or a deleted one) would do.
#[derive(Clone, Debug)]
pub struct RestorePlan {
    /// The record's key.
    pub key: String,
    /// The audit entry restored from.
    pub seq: i64,
    /// When that entry was written (UTC).
    pub at: chrono::NaiveDateTime,
    /// The record's version now (for the update's check); empty for a deleted one.
    pub version: String,
    /// The fields that change (for a deleted record: every field).
    pub fields: Vec<FieldRestore>,
    /// Fields that differ but that nobody changes by hand (read-only for everyone):
    /// they keep their value.
    pub kept: Vec<&'static str>,
    /// Why it cannot be restored, if it cannot.
    pub refused: Option<String>,
    /// `(field, form text)` of the version.
    values: Vec<(usize, String)>,
}

fn entry_at(entries: &[entry::Model], seq: i64) -> Option<&entry::Model> {
    entries.iter().find(|e| e.seq == seq)
}

/// `{field: [before, after]}` of an entry, the `_input` and other extras left out.
fn pairs(e: &entry::Model) -> Vec<(String, Json, Json)> {
    let Ok(Json::Object(map)) = serde_json::from_str::<Json>(&e.changes) else { return Vec::new() };
    map.into_iter()
        .filter_map(|(k, v)| match v {
            Json::Array(p) if p.len() == 2 && !k.starts_with('_') => Some((k, p[0].clone(), p[1].clone())),
            _ => None,
        })
        .collect()
}

/// The history of one record from `seq` on, oldest first.
async fn entries_from(db: &DatabaseConnection, slug: &str, key: &str, seq: i64) -> Result<Vec<entry::Model>> {
    Ok(entry::Entity::find()
        .filter(entry::Column::Model.eq(slug))
        .filter(entry::Column::ObjectId.eq(key))
        .filter(entry::Column::Seq.gte(seq))
        .order_by_asc(entry::Column::Seq)
        .all(db)
        .await?)
}

/// What restoring record `key` to the version right after audit entry `seq` does.
///
/// # Errors
/// `Forbidden` without `{model}.view`; `NotFound` for no such entry or record.
pub async fn version_plan(
    db: &DatabaseConnection,
    staff: &Staff,
    admin: &dyn ModelAdmin,
    key: &str,
    seq: i64,
) -> Result<RestorePlan> {
    require(staff, admin, "view")?;
    let meta = admin.meta();
    let entries = entries_from(db, meta.slug, key, seq).await?;
    let chosen = entry_at(&entries, seq).ok_or_else(|| {
        Error::NotFound(format!("The history of {} {key} has no entry {seq}.", meta.label.to_lowercase()))
    })?;
    let current = admin
        .get(db, key, &crate::access::scope::RowScope::All)
        .await?
        .ok_or_else(|| not_found(admin, key))?;
    let mut target: Vec<Json> = current.cells.iter().map(audit::cell_json).collect();
    let later: Vec<&entry::Model> = entries.iter().filter(|e| e.seq > seq).collect();
    let mut refused = None;
    if later.len() > MAX_LATER {
        refused =
            Some(format!("This version is more than {MAX_LATER} changes old; it cannot be restored here."));
    } else if let Some(e) = later.iter().find(|e| matches!(e.kind.as_str(), "create" | "delete" | "restore"))
    {
        refused = Some(format!(
            "The record was deleted and made again since (entry {}); choose a version after that.",
            e.seq
        ));
    }
    // Walk back from now: each later change's `before` is the value at `seq`.
    for e in later.iter().rev() {
        for (field, before, _) in pairs(e) {
            if let Some((i, _)) = meta.field(&field) {
                target[i] = before;
            }
        }
    }
    let access = access_map(staff, meta, false);
    let (mut fields, mut kept, mut values, mut locked) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (i, f) in meta.fields.iter().enumerate() {
        let now = audit::cell_json(&current.cells[i]);
        if now == target[i] || f.primary_key {
            continue;
        }
        if f.readonly {
            kept.push(f.label);
        } else if access.get(i) == Some(&FieldAccess::Editable) {
            values.push((i, audit::json_form_text(&target[i])));
            fields.push(FieldRestore {
                label: f.label,
                now: shown(staff, f, &now),
                back: shown(staff, f, &target[i]),
            });
        } else if crate::access::permission::hidden(staff, f) {
            if !locked.contains(&"a field hidden from you".to_owned()) {
                locked.push("a field hidden from you".to_owned());
            }
        } else {
            locked.push(f.label.to_lowercase());
        }
    }
    if refused.is_none() && !locked.is_empty() {
        refused = Some(format!(
            "This version differs in {}, which you may not change; ask someone who may to restore it.",
            locked.join(", ")
        ));
    } else if refused.is_none() && fields.is_empty() {
        refused = Some(format!("{} {key} already has the values of this version.", meta.label));
    }
    Ok(RestorePlan {
        key: key.to_owned(),
        seq,
        at: chosen.at,
        version: current.version(),
        fields,
        kept,
        refused,
        values,
    })
}

/// Restores record `key` to the version right after entry `seq`, if it is still at
/// `version`: an update through the door with the caller's reason (required).
///
/// # Errors
/// As [`version_plan`]; `Refused` with the plan's sentence; `Invalid` without a
/// reason; `Conflict` when the record changed since `version`.
pub async fn restore_version(
    db: &DatabaseConnection,
    ctx: &Context,
    admin: &dyn ModelAdmin,
    key: &str,
    (seq, version): (i64, &str),
    scope: &crate::access::scope::RowScope,
) -> Result<(Record, Changes)> {
    let staff = actor(ctx)?;
    require(staff, admin, "change")?;
    let plan = version_plan(db, staff, admin, key, seq).await?;
    if let Some(r) = plan.refused {
        return Err(Error::Refused(r));
    }
    need_reason(ctx, "the version you restore")?;
    let meta = admin.meta();
    let current = admin
        .get(db, key, &crate::access::scope::RowScope::All)
        .await?
        .ok_or_else(|| not_found(admin, key))?;
    let mut form = FormData::default();
    for (i, f) in meta.fields.iter().enumerate() {
        let restored =
            plan.values.iter().find(|(j, _)| *j == i).map(|(_, v)| form_amount(&current.cells[i], v));
        form.0.push((f.name.to_owned(), restored.unwrap_or_else(|| current.cells[i].form_value())));
    }
    super::update(db, ctx, admin, key, version, &form, scope).await
}

/// A kept value as the form reads it: the audit keeps money in minor units
/// (`19000`), the form takes the amount (`190.00`).
fn form_amount(now: &crate::kernel::field::Cell, kept: &str) -> String {
    match (now, kept.parse::<i64>()) {
        (crate::kernel::field::Cell::Money(m), Ok(minor)) => {
            crate::kernel::field::Money::new(minor, m.currency.clone()).amount()
        }
        _ => kept.to_owned(),
    }
}

fn need_reason(ctx: &Context, what: &str) -> Result<()> {
    let mut errors: Vec<FieldError> = super::reason_error(ctx, "reason").into_iter().collect();
    if ctx.reason.is_none() {
        errors.push(FieldError::field(
            "reason",
            format!("Say why you restore {what}: the reason is kept in its history."),
        ));
    }
    if errors.is_empty() { Ok(()) } else { Err(Error::Invalid(errors)) }
}

/// What restoring the record deleted by entry `seq` does: its snapshot back, if it
/// was deleted less than `window` ago, its key is free and the records it refers
/// to still exist.
///
/// # Errors
/// `Forbidden` without `{model}.add`; `NotFound` when `seq` is not a delete of the model.
pub async fn deleted_plan(
    db: &DatabaseConnection,
    staff: &Staff,
    registry: &Registry,
    admin: &dyn ModelAdmin,
    seq: i64,
    window: chrono::Duration,
) -> Result<RestorePlan> {
    require(staff, admin, "add")?;
    let meta = admin.meta();
    let e = entry::Entity::find()
        .filter(entry::Column::Seq.eq(seq))
        .filter(entry::Column::Model.eq(meta.slug))
        .filter(entry::Column::Kind.eq("delete"))
        .one(db)
        .await?
        .ok_or_else(|| {
            Error::NotFound(
                format!("Entry {seq} is not the deletion of {} .", meta.label_plural.to_lowercase())
                    .replace(" .", "."),
            )
        })?;
    let key = e.object_id.clone().unwrap_or_default();
    let snapshot = pairs(&e);
    let name = format!("{} {key}", meta.label);
    let (mut fields, mut values) = (Vec::new(), Vec::new());
    let mut refused = None;
    for (field, before, _) in &snapshot {
        let Some((i, f)) = meta.field(field) else { continue };
        values.push((i, audit::json_form_text(before)));
        fields.push(FieldRestore {
            label: f.label,
            now: "(deleted)".to_owned(),
            back: shown(staff, f, before),
        });
        if let (Some(target), false) = (f.foreign_key, before.is_null())
            && let Some(other) = registry.get(target)
            && refused.is_none()
        {
            let k = audit::json_form_text(before);
            if other
                .existing(db, std::slice::from_ref(&k), &crate::access::scope::RowScope::All)
                .await?
                .is_empty()
            {
                refused = Some(format!(
                    "{name} cannot be restored: {} {k}, which it belongs to, has been deleted too. Restore that first.",
                    other.meta().label
                ));
            }
        }
    }
    if values.len() != meta.fields.len() {
        refused = Some(format!("The deletion of {name} did not keep every field; it cannot be restored."));
    }
    if admin.get(db, &key, &crate::access::scope::RowScope::All).await?.is_some() {
        refused = Some(format!(
            "{name} exists again: its id is taken, so the deleted one cannot be restored over it."
        ));
    }
    let age = crate::kernel::clock::now() - e.at;
    if age > window {
        refused = Some(format!(
            "{name} was deleted on {}, more than {} days ago; deleted records can be restored for {} days.",
            e.at.format("%Y-%m-%d"),
            window.num_days(),
            window.num_days()
        ));
    }
    Ok(RestorePlan { key, seq, at: e.at, version: String::new(), fields, kept: Vec::new(), refused, values })
}

/// Restores the record deleted by entry `seq` from its snapshot, in one
/// transaction with its `restore` audit entry; the reason is required.
///
/// # Errors
/// As [`deleted_plan`]; `Refused` with the plan's sentence, or when the database
/// finds a unique value taken or a related record gone; `Invalid` without a reason.
pub async fn restore_deleted(
    db: &DatabaseConnection,
    ctx: &Context,
    registry: &Registry,
    admin: &dyn ModelAdmin,
    seq: i64,
    window: chrono::Duration,
) -> Result<Record> {
    let staff = actor(ctx)?;
    let plan = deleted_plan(db, staff, registry, admin, seq, window).await?;
    if let Some(r) = plan.refused {
        return Err(Error::Refused(r));
    }
    need_reason(ctx, "a deleted record")?;
    let meta = admin.meta();
    let turn = registry.write_turn(db).await;
    let txn = crate::db::txn::begin_write(db).await?;
    let record = admin.insert_values(&txn, &plan.values).await?;
    let cells: Vec<Cell> = record.cells.clone();
    let event = audit::Event {
        kind: "restore",
        model: Some(meta.slug),
        object_id: Some(&record.key),
        changes: audit::snapshot_json(meta, &cells, true),
    };
    audit::record(&txn, ctx, event).await?;
    txn.commit().await?;
    drop(turn);
    admin.touch();
    Ok(record)
}
