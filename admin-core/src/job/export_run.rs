//! One chunk of an export job: the next rows of its list, in primary-key order
//! after the last one written, as a part of its CSV file.

use sea_orm::{ConnectionTrait, DatabaseTransaction, EntityTrait};

use super::worker::{Work, worker_ctx};
use super::{JobState, record_state};
use crate::access::Staff;
use crate::db::entities::{job, job_file};
use crate::kernel::clock::now;
use crate::kernel::error::{Error, Result};
use crate::list::query::ListQuery;
use crate::registry::{ExportPosition, Registry};

/// Rows one chunk of an export writes.
pub const EXPORT_CHUNK: u64 = 5_000;

/// What an export job keeps: the fields it writes, by name, in order.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct ExportSpec {
    /// The columns: field names.
    pub columns: Vec<String>,
}

/// The header line of an export of `spec`'s columns.
#[must_use]
pub fn header(meta: &crate::kernel::model::ModelMeta, spec: &ExportSpec) -> Vec<String> {
    spec.columns.iter().filter_map(|c| meta.field(c)).map(|(_, f)| f.label.to_owned()).collect()
}

/// Writes the next part of export `row`'s file as `staff`: rows after its cursor,
/// hidden fields (as the requester is now) left empty.
pub(super) async fn chunk(
    txn: &DatabaseTransaction,
    registry: &Registry,
    staff: &Staff,
    instance: &str,
    row: &job::Model,
) -> Result<std::result::Result<Work, String>> {
    let began = now();
    let Some(admin) = registry.get(&row.model) else {
        return Ok(Err(format!("The model {} is no longer registered.", row.model)));
    };
    let meta = admin.meta();
    let spec: ExportSpec = serde_json::from_str(&row.input)
        .map_err(|e| Error::Internal(format!("an export's stored input is not readable: {e}")))?;
    let params: Vec<(String, String)> =
        form_urlencoded::parse(row.query.as_deref().unwrap_or_default().as_bytes()).into_owned().collect();
    let mut query = ListQuery::parse(admin.as_ref(), &params, staff);
    query.sort = Some((meta.pk, false));
    query.scope = registry.row_scope(staff, meta.slug);
    let from = match row.cursor.as_deref() {
        Some(c) => ExportPosition::after(
            vec![
                admin
                    .parse_value(meta.pk, c)
                    .map_err(|e| Error::Internal(format!("an export's cursor: {e}")))?,
            ],
            u64::try_from(row.done).unwrap_or(0),
        ),
        None => ExportPosition::default(),
    };
    // Read in the chunk's own transaction: a pool of one connection has no other.
    let (rows, _) = admin.export_page_in(txn, &query, &from, EXPORT_CHUNK).await?;
    let columns: Vec<usize> = spec.columns.iter().filter_map(|c| meta.field(c).map(|(i, _)| i)).collect();
    let lines = crate::kernel::csv_text::lines(rows.iter().map(|r| {
        columns
            .iter()
            .map(|&i| {
                let f = &meta.fields[i];
                if crate::access::permission::hidden(staff, f) {
                    String::new()
                } else {
                    f.export_text(&r.cells[i])
                }
            })
            .collect()
    }))
    .map_err(|e| Error::Internal(format!("writing an export's part: {e}")))?;
    let written = rows.len() as i64;
    if written > 0 {
        let part = job_file::ActiveModel {
            job_id: sea_orm::ActiveValue::Set(row.id),
            seq: sea_orm::ActiveValue::Set(row.done / EXPORT_CHUNK as i64 + 1),
            data: sea_orm::ActiveValue::Set(String::from_utf8_lossy(&lines).into_owned()),
        };
        job_file::Entity::insert(part).exec_without_returning(txn).await?;
    }
    let finished = (written as u64) < EXPORT_CHUNK;
    let from_state = JobState::parse(&row.state).unwrap_or(JobState::Running);
    let to = if finished { JobState::Done } else { JobState::Running };
    let mut update = super::chunk::moved(row, to, (instance, began), Some((written, 0, 0)));
    if let Some(last) = rows.last() {
        update.value(job::Column::Cursor, Some(last.key.clone()));
    }
    if finished {
        // The rows written are the file's: the count at the start was an estimate.
        update.value(job::Column::Total, row.done + written);
    }
    txn.execute(&update).await?;
    if finished {
        record_state(txn, &worker_ctx(None), row.id, "finished", (from_state, to)).await?;
    }
    Ok(Ok(Work::Chunk { job: row.id, done: written as u64, skipped: 0, failed: 0, finished }))
}
