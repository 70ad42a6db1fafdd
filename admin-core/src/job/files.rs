//! Imports and exports as jobs: an import made from its file, its columns matched
//! (again), confirmed, and summed up; an export made, and its file read back part
//! by part.

use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use super::import::{CsvFile, ImportSpec};
use super::{JobKind, JobState, record_state};
use crate::audit::{self, Context};
use crate::db::entities::{job, job_file, job_item};
use crate::kernel::clock::now;
use crate::kernel::error::{Error, Result};

/// How long an export's file is kept after it is written.
pub const EXPORT_KEPT_DAYS: i64 = 7;

/// The job's row as an import or an export is made.
fn new_row(
    (kind, slug): (JobKind, &str),
    ctx: &Context,
    (input, query): (String, Option<String>),
    (state, total): (JobState, i64),
) -> Result<job::ActiveModel> {
    let staff = ctx.actor.as_ref().ok_or(Error::Unauthenticated)?;
    let mut row = super::store::blank_row((kind, slug, kind.as_str()), staff, (state, total), now());
    row.input = Set(input);
    row.reason = Set(ctx.reason.clone());
    row.query = Set(query);
    Ok(row)
}

/// Writes the `job:created` entry of a new import or export.
async fn created<C: ConnectionTrait>(
    conn: &C,
    ctx: &Context,
    id: i64,
    what: serde_json::Value,
) -> Result<()> {
    let key = id.to_string();
    audit::record(
        conn,
        ctx,
        audit::Event {
            kind: "job:created",
            model: Some(super::AUDIT_MODEL),
            object_id: Some(&key),
            changes: what,
        },
    )
    .await?;
    Ok(())
}

/// Makes an import of `file` (its columns matched as `spec` guessed), its rows
/// the job's items, waiting for its columns to be confirmed: one transaction.
///
/// # Errors
/// `Db` when the database fails.
pub(crate) async fn create_import(
    db: &DatabaseConnection,
    registry: &crate::registry::Registry,
    ctx: &Context,
    slug: &str,
    (file, spec): (&CsvFile, &ImportSpec),
) -> Result<i64> {
    let input = serde_json::to_string(spec).map_err(|e| Error::Internal(e.to_string()))?;
    let row =
        new_row((JobKind::Import, slug), ctx, (input, None), (JobState::Draft, file.rows.len() as i64))?;
    let _turn = registry.write_turn(db).await;
    let txn = crate::db::txn::begin_write(db).await?;
    let id = job::Entity::insert(row).exec(&txn).await?.last_insert_id;
    for (n, part) in file.rows.chunks(400).enumerate() {
        let items = part.iter().enumerate().map(|(i, (line, cells))| job_item::ActiveModel {
            job_id: Set(id),
            seq: Set((n * 400 + i) as i64),
            object_id: Set(String::new()),
            state: Set("unchecked".to_owned()),
            note: Set(None),
            run_id: Set(None),
            line: Set(Some(*line)),
            data: Set(Some(serde_json::json!(cells).to_string())),
            op: Set(None),
            diff: Set(None),
            match_key: Set(None),
        });
        job_item::Entity::insert_many(items).exec_without_returning(&txn).await?;
    }
    let what = serde_json::json!({
        "import": [null, format!("{slug}: {}", spec.file)],
        "records": [null, file.rows.len()],
        "state": [null, JobState::Draft.as_str()],
    });
    created(&txn, ctx, id, what).await?;
    crate::db::txn::commit(txn).await?;
    Ok(id)
}

/// The matching of the requester's latest import of `slug` that had a key.
///
/// # Errors
/// `Db` when the database fails.
pub(crate) async fn remembered(
    db: &DatabaseConnection,
    staff_id: i64,
    slug: &str,
) -> Result<Option<ImportSpec>> {
    let rows = job::Entity::find()
        .filter(job::Column::Kind.eq(JobKind::Import.as_str()))
        .filter(job::Column::Model.eq(slug))
        .filter(job::Column::RequesterId.eq(staff_id))
        .filter(job::Column::State.ne(JobState::Draft.as_str()))
        .order_by_desc(job::Column::Id)
        .limit(1)
        .all(db)
        .await?;
    Ok(rows
        .first()
        .and_then(|j| serde_json::from_str::<ImportSpec>(&j.input).ok())
        .filter(|s| s.key.is_some()))
}

/// Moves import `id` on under its row's lock: `change` sees it as it is and
/// returns its next state and what else to write; audited as `job:{what}`.
async fn step(
    (db, registry): (&DatabaseConnection, &crate::registry::Registry),
    ctx: &Context,
    id: i64,
    what: &str,
    change: impl FnOnce(&job::Model, ImportSummary) -> Result<(JobState, Vec<(job::Column, sea_orm::Value)>)>,
) -> Result<(job::Model, JobState)> {
    let _turn = registry.write_turn(db).await;
    let txn = crate::db::txn::begin_write(db).await?;
    let mut q = job::Entity::find_by_id(id);
    if db.get_database_backend() == DbBackend::Postgres {
        q = q.lock_exclusive();
    }
    let row =
        q.one(&txn).await?.ok_or_else(|| Error::NotFound(format!("There is no background job {id}.")))?;
    let from = JobState::parse(&row.state).unwrap_or(JobState::Failed);
    // Counted under the job's lock: no other change moves its rows meanwhile.
    let counts = summary(&txn, id).await?;
    let (to, values) = change(&row, counts)?;
    let mut update = Query::update();
    update
        .table(job::Entity)
        .value(job::Column::State, to.as_str())
        .value(job::Column::UpdatedAt, now())
        .and_where(Expr::col(job::Column::Id).eq(id));
    for (c, v) in values {
        update.value(c, v);
    }
    txn.execute(&update).await?;
    if to == JobState::Checking {
        // Matched again: every row is checked again.
        txn.execute(
            Query::update()
                .table(job_item::Entity)
                .value(job_item::Column::State, "unchecked")
                .value(job_item::Column::ObjectId, "")
                .value(job_item::Column::Note, Option::<String>::None)
                .value(job_item::Column::Op, Option::<String>::None)
                .value(job_item::Column::Diff, Option::<String>::None)
                .value(job_item::Column::MatchKey, Option::<String>::None)
                .and_where(Expr::col(job_item::Column::JobId).eq(id))
                .and_where(Expr::col(job_item::Column::State).ne("unchecked")),
        )
        .await?;
    }
    record_state(&txn, ctx, id, what, (from, to)).await?;
    crate::db::txn::commit(txn).await?;
    Ok((row, to))
}

/// Matches import `id`'s columns as `spec` says, with the importer's reason, and
/// has every row checked again (state `checking`).
///
/// # Errors
/// `Refused` once the import was confirmed or ended; `Db`.
pub(crate) async fn rematch(
    (db, registry): (&DatabaseConnection, &crate::registry::Registry),
    ctx: &Context,
    id: i64,
    spec: &ImportSpec,
) -> Result<()> {
    let input = serde_json::to_string(spec).map_err(|e| Error::Internal(e.to_string()))?;
    step((db, registry), ctx, id, "matched", |row, _| match JobState::parse(&row.state) {
        Some(JobState::Draft | JobState::Checking | JobState::Ready) => Ok((
            JobState::Checking,
            vec![
                (job::Column::Input, input.into()),
                (job::Column::Reason, ctx.reason.clone().into()),
                (job::Column::Checked, 0i64.into()),
            ],
        )),
        _ => Err(Error::Refused(
            "This import was confirmed or has ended: its columns can no longer change.".to_owned(),
        )),
    })
    .await?;
    Ok(())
}

/// Confirms import `id` after its preview: its rows to write are queued, those
/// that would change nothing or failed their check count as skipped or failed.
///
/// # Errors
/// `Refused` unless its preview is ready; `Db`.
pub(crate) async fn confirm(
    (db, registry): (&DatabaseConnection, &crate::registry::Registry),
    ctx: &Context,
    id: i64,
) -> Result<()> {
    step((db, registry), ctx, id, "confirmed", |row, counts| match JobState::parse(&row.state) {
        Some(JobState::Ready) => Ok((
            JobState::Queued,
            vec![
                (job::Column::Skipped, counts.unchanged.into()),
                (job::Column::Failed, counts.failed.into()),
            ],
        )),
        Some(JobState::Checking | JobState::Draft) => Err(Error::Refused(
            "This import's rows are still being checked: confirm it once its preview is ready.".to_owned(),
        )),
        Some(s) => Err(Error::Refused(format!(
            "This import cannot be confirmed: it is {}.",
            s.label().to_lowercase()
        ))),
        None => Err(Error::Refused("This import cannot be confirmed.".to_owned())),
    })
    .await?;
    Ok(())
}

/// What an import's rows do, or would do.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct ImportSummary {
    /// Rows that add a record.
    pub create: i64,
    /// Rows that change one.
    pub update: i64,
    /// Rows whose record already has their values.
    pub unchanged: i64,
    /// Rows that cannot be written, each with why.
    pub failed: i64,
    /// Rows not checked yet.
    pub unchecked: i64,
}

/// Counts import `id`'s rows by what they do.
///
/// # Errors
/// `Db` when the database fails.
pub async fn summary(db: &impl ConnectionTrait, id: i64) -> Result<ImportSummary> {
    let groups: Vec<(String, Option<String>, i64)> = job_item::Entity::find()
        .select_only()
        .column(job_item::Column::State)
        .column(job_item::Column::Op)
        .column_as(Expr::col(job_item::Column::Seq).count(), "n")
        .filter(job_item::Column::JobId.eq(id))
        .group_by(job_item::Column::State)
        .group_by(job_item::Column::Op)
        .into_tuple()
        .all(db)
        .await?;
    let mut s = ImportSummary::default();
    for (state, op, n) in groups {
        match (state.as_str(), op.as_deref()) {
            ("skipped", _) => s.unchanged += n,
            ("failed", _) => s.failed += n,
            ("unchecked", _) => s.unchecked += n,
            (_, Some("create")) => s.create += n,
            (_, Some("update")) => s.update += n,
            _ => {}
        }
    }
    Ok(s)
}

/// Makes an export job of `slug`'s list for `query`, its file's header written,
/// queued; parts of the requester's exports older than [`EXPORT_KEPT_DAYS`] are
/// deleted.
///
/// # Errors
/// `Db` when the database fails.
pub(crate) async fn create_export(
    (db, registry): (&DatabaseConnection, &crate::registry::Registry),
    ctx: &Context,
    (slug, query): (&str, &str),
    (spec, header, total): (&super::export_run::ExportSpec, &[u8], i64),
) -> Result<i64> {
    let input = serde_json::to_string(spec).map_err(|e| Error::Internal(e.to_string()))?;
    let row =
        new_row((JobKind::Export, slug), ctx, (input, Some(query.to_owned())), (JobState::Queued, total))?;
    let staff_id = ctx.actor.as_ref().map_or(0, |s| s.id);
    let _turn = registry.write_turn(db).await;
    let txn = crate::db::txn::begin_write(db).await?;
    let old = job::Entity::find()
        .select_only()
        .column(job::Column::Id)
        .filter(job::Column::Kind.eq(JobKind::Export.as_str()))
        .filter(job::Column::RequesterId.eq(staff_id))
        .filter(job::Column::FinishedAt.lt(now() - chrono::Duration::days(EXPORT_KEPT_DAYS)))
        .into_tuple::<i64>()
        .all(&txn)
        .await?;
    for part in old.chunks(400) {
        job_file::Entity::delete_many()
            .filter(job_file::Column::JobId.is_in(part.to_vec()))
            .exec(&txn)
            .await?;
    }
    let id = job::Entity::insert(row).exec(&txn).await?.last_insert_id;
    let head = job_file::ActiveModel {
        job_id: Set(id),
        seq: Set(0),
        data: Set(String::from_utf8_lossy(header).into_owned()),
    };
    job_file::Entity::insert(head).exec_without_returning(&txn).await?;
    let what = serde_json::json!({
        "export": [null, slug],
        "query": [null, query],
        "state": [null, JobState::Queued.as_str()],
    });
    created(&txn, ctx, id, what).await?;
    crate::db::txn::commit(txn).await?;
    Ok(id)
}

/// Part `seq` of job `id`'s file, if there is one.
///
/// # Errors
/// `Db` when the database fails.
pub async fn file_part(db: &DatabaseConnection, id: i64, seq: i64) -> Result<Option<String>> {
    Ok(job_file::Entity::find_by_id((id, seq)).one(db).await?.map(|p| p.data))
}

/// Job `id`'s stored input.
///
/// # Errors
/// `NotFound`; `Db` when the database fails.
pub async fn input(db: &DatabaseConnection, id: i64) -> Result<String> {
    job::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(|j| j.input)
        .ok_or_else(|| Error::NotFound(format!("There is no background job {id}.")))
}

/// An import's rows in `state` and/or with `op`, in file order after `after_seq`.
///
/// # Errors
/// `Db` when the database fails.
pub async fn rows(
    db: &DatabaseConnection,
    id: i64,
    (state, op): (Option<&str>, Option<&str>),
    after_seq: i64,
    limit: u64,
) -> Result<Vec<super::JobItem>> {
    let mut q = job_item::Entity::find()
        .filter(job_item::Column::JobId.eq(id))
        .filter(Expr::col(job_item::Column::Seq).gt(after_seq));
    if let Some(state) = state {
        q = q.filter(job_item::Column::State.eq(state));
    }
    if let Some(op) = op {
        q = q.filter(job_item::Column::Op.eq(op));
    }
    Ok(q.order_by_asc(job_item::Column::Seq)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}
