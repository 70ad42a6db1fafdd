//! Every action run is recorded in `admin_action_run`, in the run's own transaction:
//! who ran what, on which model, why, with which input, and the report. The run's
//! id is what its result page, its undo and its effects hang on.

use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, EntityTrait};

use super::Report;
use crate::db::entities::action_run;
use crate::kernel::error::{Error, Result};

/// The fingerprint of a run recorded without an idempotency key: no request's
/// fingerprint (a hex digest) equals it, so a generated key is never replayed.
pub const NO_KEY: &str = "none";

/// What is recorded of one run.
#[derive(Debug)]
pub struct NewRun<'a> {
    /// Who ran it.
    pub actor_id: i64,
    /// The model's slug.
    pub model: &'a str,
    /// The action's name.
    pub action: &'a str,
    /// The reason given.
    pub reason: Option<&'a str>,
    /// The request that started it.
    pub request_id: Option<&'a str>,
    /// The input as the action read it.
    pub input: &'a serde_json::Value,
    /// The run this one undoes, if it is an undo.
    pub undo_of: Option<i64>,
}

/// Records a run with its report in `conn` (the run's transaction) under a
/// generated key, and gives its id.
///
/// # Errors
/// `Db` when the database refuses; `Internal` when a key cannot be generated.
pub async fn record<C: ConnectionTrait>(conn: &C, run: &NewRun<'_>, report: &Report) -> Result<i64> {
    let report = serde_json::to_string(report)
        .map_err(|e| Error::Internal(format!("the run's report cannot be stored: {e}")))?;
    let mut random = [0u8; 12];
    getrandom::fill(&mut random).map_err(|e| Error::Internal(format!("no randomness: {e}")))?;
    let key = format!("run-{}", hex::encode(random));
    let row = action_run::ActiveModel {
        idempotency_key: Set(key),
        actor_id: Set(run.actor_id),
        model: Set(run.model.to_owned()),
        action: Set(run.action.to_owned()),
        report: Set(report),
        created_at: Set(crate::kernel::clock::now()),
        fingerprint: Set(NO_KEY.to_owned()),
        reason: Set(run.reason.map(str::to_owned)),
        request_id: Set(run.request_id.map(str::to_owned)),
        input: Set(Some(run.input.to_string())),
        undo_of: Set(run.undo_of),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(row.id)
}

/// One recorded run, as its result page shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct ActionRun {
    /// The run's id.
    pub id: i64,
    /// The model's slug.
    pub model: String,
    /// The action's name.
    pub action: String,
    /// Who ran it (the staff user's id).
    pub actor_id: i64,
    /// Who ran it (the staff user's name, or `#id` when the user is gone).
    pub actor: String,
    /// The reason given.
    pub reason: Option<String>,
    /// The request that started it.
    pub request_id: Option<String>,
    /// The input as the action read it (`null` for runs recorded before schema
    /// version 5).
    pub input: serde_json::Value,
    /// What it did, per record; `run_id` is this run's id.
    pub report: Report,
    /// When it ran (UTC).
    pub created_at: chrono::NaiveDateTime,
    /// The run this one undid, when it is an undo.
    pub undo_of: Option<i64>,
    /// The run that undid this one, if any.
    pub undone_by: Option<i64>,
}

/// The run with `id`.
///
/// # Errors
/// `Db` when the database fails; `Internal` when its stored report is not JSON.
pub async fn find<C: ConnectionTrait>(conn: &C, id: i64) -> Result<Option<ActionRun>> {
    use crate::db::entities::staff_user;
    use sea_orm::{ColumnTrait, QueryFilter, QueryOrder};
    let Some(row) = action_run::Entity::find_by_id(id).one(conn).await? else {
        return Ok(None);
    };
    let report = report_of(&row)?;
    let actor = staff_user::Entity::find_by_id(row.actor_id)
        .one(conn)
        .await?
        .map_or_else(|| format!("#{}", row.actor_id), |u| u.username);
    let undone_by = action_run::Entity::find()
        .filter(action_run::Column::UndoOf.eq(id))
        .order_by_asc(action_run::Column::Id)
        .one(conn)
        .await?
        .map(|r| r.id);
    Ok(Some(ActionRun {
        id: row.id,
        input: row.input.as_deref().and_then(|i| serde_json::from_str(i).ok()).unwrap_or_default(),
        model: row.model,
        action: row.action,
        actor_id: row.actor_id,
        actor,
        reason: row.reason,
        request_id: row.request_id,
        report,
        created_at: row.created_at,
        undo_of: row.undo_of,
        undone_by,
    }))
}

/// The report stored with `row`, carrying the run's id.
///
/// # Errors
/// `Internal` when the stored report is not JSON.
pub fn report_of(row: &action_run::Model) -> Result<Report> {
    let mut report: Report = serde_json::from_str(&row.report)
        .map_err(|e| Error::Internal(format!("the stored report of run {} is not JSON: {e}", row.id)))?;
    report.run_id = Some(row.id);
    Ok(report)
}

/// Records run `id` as the undo of run `undo_of` (an inverse action's run), in
/// `conn` (that run's transaction); refused when `undo_of` was undone already.
///
/// # Errors
/// `Refused` when another run undid `undo_of` first; `Db` when the database fails.
pub async fn mark_undo<C: ConnectionTrait>(conn: &C, id: i64, undo_of: i64) -> Result<()> {
    use sea_orm::{ColumnTrait, QueryFilter};
    if let Some(other) =
        action_run::Entity::find().filter(action_run::Column::UndoOf.eq(undo_of)).one(conn).await?
    {
        return Err(Error::Refused(format!(
            "Run {undo_of} was already undone (by run {}); it cannot be undone twice.",
            other.id
        )));
    }
    action_run::Entity::update_many()
        .col_expr(action_run::Column::UndoOf, sea_orm::sea_query::Expr::value(undo_of))
        .filter(action_run::Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}
