//! One chunk of an import, as its importer: its rows checked for the preview
//! (each written in a savepoint that is then rolled back) or written for good,
//! one audit entry per created or changed record.

use std::collections::HashMap;

use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, TransactionTrait,
};

use super::import::ImportSpec;
use super::import_plan::{Applied, Plan, Prepared};
use super::worker::{Work, worker_ctx};
use super::{JobState, record_state};
use crate::access::Staff;
use crate::audit::Context;
use crate::db::entities::{job, job_item};
use crate::kernel::clock::now;
use crate::kernel::error::{Error, Result};
use crate::kernel::record::{FormData, Record};
use crate::registry::Registry;
/// The outcome of each row of a chunk, in order.
type Outcomes = Vec<std::result::Result<Applied, String>>;

/// Writes `rows` in a savepoint of `txn`: all of them while none fails; when one
/// does, again, each row in a savepoint of its own, so it fails alone. `keep`
/// commits the savepoint (an import's run) or rolls it back (its check).
async fn write_rows(
    txn: &DatabaseTransaction,
    plan: &Plan<'_>,
    rows: &[(i64, Vec<String>)],
    dupes: &HashMap<usize, i64>,
    keep: bool,
) -> Result<Outcomes> {
    // The entries of the rows written, gathered and written at the end in a few
    // statements (the rows' own are dropped with a row that rolls back).
    let batch = plan.ctx.batch.clone().unwrap_or_default();
    for one_by_one in [false, true] {
        batch.truncate(0);
        let sp = txn.begin().await?;
        let keys: Vec<String> = rows.iter().map(|(_, c)| plan.key_of(c)).collect();
        let found = found_records(&sp, plan, &keys).await?;
        let missing = plan.missing_targets(&sp, rows).await?;
        let mut out: Vec<Option<std::result::Result<Applied, String>>> =
            (0..rows.len()).map(|_| None).collect();
        let mut updates: Vec<(usize, (String, String, FormData))> = Vec::new();
        let mut failed = false;
        for (i, (_, cells)) in rows.iter().enumerate() {
            if let Some(why) = unmatched(plan, &keys[i], dupes.get(&i)) {
                out[i] = Some(Err(why));
                continue;
            }
            let found = found.get(&plan.canon(&keys[i]));
            let applied = if one_by_one {
                let (row_sp, entries) = (sp.begin().await?, batch.len());
                let r = plan.apply(&row_sp, cells, found, &missing).await;
                if r.is_ok() {
                    row_sp.commit().await?;
                } else {
                    row_sp.rollback().await?;
                    batch.truncate(entries);
                }
                r
            } else {
                // Checked before anything is written: a refusal here is the row's.
                match plan.prepare(cells, found, &missing) {
                    Err(e) => Err(e),
                    Ok(Prepared::Now(a)) => Ok(a),
                    Ok(Prepared::Create(form)) => plan.create(&sp, &form).await,
                    Ok(Prepared::Update(key, version, form)) => {
                        updates.push((i, (key, version, form)));
                        continue;
                    }
                }
            };
            match applied {
                Ok(a) => out[i] = Some(Ok(a)),
                Err(e) if e.is_unavailable() => return Err(e),
                Err(e) if one_by_one || !wrote(&e) => out[i] = Some(Err(plan.words(&e))),
                Err(_) => {
                    failed = true;
                    break;
                }
            }
        }
        if !failed && !updates.is_empty() {
            failed = !update_all(&sp, plan, &updates, &mut out).await?;
        }
        if failed {
            sp.rollback().await?;
            continue;
        }
        if keep {
            batch.write(&sp, &plan.ctx).await?;
            sp.commit().await?;
        } else {
            batch.truncate(0);
            sp.rollback().await?;
        }
        return Ok(out
            .into_iter()
            .map(|o| o.unwrap_or_else(|| Err("The row was not written.".to_owned())))
            .collect());
    }
    Err(Error::Internal("an import's rows were written twice".to_owned()))
}

/// The records the rows' keys name, within the importer's scope, by their key
/// as the database compares it: one query.
async fn found_records(
    sp: &DatabaseTransaction,
    plan: &Plan<'_>,
    keys: &[String],
) -> Result<HashMap<String, Record>> {
    Ok(plan
        .admin
        .where_in(sp, plan.key_field, keys, &plan.scope)
        .await?
        .into_iter()
        .map(|r| (plan.canon(&r.cells[plan.key_field].form_value()), r))
        .collect())
}

/// Why a row cannot be matched to a record, if it cannot: its key is on an
/// earlier `line` of the file, or empty.
fn unmatched(plan: &Plan<'_>, key: &str, line: Option<&i64>) -> Option<String> {
    let field = &plan.admin.meta().fields[plan.key_field];
    match line {
        Some(line) => {
            Some(format!("{} {key} is on line {line} too: each record may be in the file once.", field.label))
        }
        None if key.is_empty() => {
            Some(format!("{} is empty: it is what matches the row to a record.", field.label))
        }
        None => None,
    }
}

/// The chunk's changes, their records read and locked in one query; their
/// outcomes set in `out`. `false` when the database refused one (the chunk is
/// then done again row by row).
async fn update_all(
    sp: &DatabaseTransaction,
    plan: &Plan<'_>,
    updates: &[(usize, (String, String, FormData))],
    out: &mut [Option<std::result::Result<Applied, String>>],
) -> Result<bool> {
    let check = crate::audit::reason_check(&plan.ctx, plan.admin.meta());
    let forms: Vec<(String, String, FormData)> = updates.iter().map(|(_, f)| f.clone()).collect();
    match plan.admin.update_many_in(sp, &plan.ctx, &plan.change, &check, &forms, &plan.scope).await {
        Ok(done) => {
            for ((i, _), (after, changes)) in updates.iter().zip(done) {
                out[*i] = Some(Ok(plan.updated(after.key, &changes)));
            }
            Ok(true)
        }
        Err(e) if e.is_unavailable() => Err(e),
        Err(_) => Ok(false),
    }
}

/// Whether an error came from the database's side of a write (a constraint,
/// a statement refused), after which the savepoint must be rolled back; a row's
/// own refusal before any write is not.
fn wrote(e: &Error) -> bool {
    !matches!(e, Error::BadRequest(_))
}

/// Runs one chunk of import `row` as `staff`: checks its next rows, or writes them.
pub(super) async fn chunk(
    txn: &DatabaseTransaction,
    registry: &Registry,
    staff: Staff,
    instance: &str,
    row: &job::Model,
) -> Result<std::result::Result<Work, String>> {
    let began = now();
    let Some(admin) = registry.get(&row.model) else {
        return Ok(Err(format!("The model {} is no longer registered.", row.model)));
    };
    let spec: ImportSpec = serde_json::from_str(&row.input)
        .map_err(|e| Error::Internal(format!("an import's stored input is not readable: {e}")))?;
    let checking = row.state == JobState::Checking.as_str();
    let ctx = Context {
        actor: Some(staff.clone()),
        reason: row.reason.clone(),
        request_id: Some(format!("job-{}", row.id)),
        batch: Some(crate::audit::AuditBatch::default()),
        ..Default::default()
    };
    let plan = match Plan::new(registry, admin.as_ref(), &staff, &spec, ctx) {
        Ok(plan) => plan,
        Err(why) => return Ok(Err(why)),
    };
    let items: Vec<job_item::Model> = job_item::Entity::find()
        .filter(job_item::Column::JobId.eq(row.id))
        .filter(job_item::Column::State.eq(if checking { "unchecked" } else { "pending" }))
        .order_by_asc(job_item::Column::Seq)
        .limit(u64::try_from(Ord::max(row.chunk_size, 1)).unwrap_or(1))
        .all(txn)
        .await?;
    let rows: Vec<(i64, Vec<String>)> = items
        .iter()
        .map(|i| {
            (
                i.line.unwrap_or_default(),
                serde_json::from_str(i.data.as_deref().unwrap_or("[]")).unwrap_or_default(),
            )
        })
        .collect();
    let dupes = if checking { duplicates(txn, row.id, &plan, &rows).await? } else { HashMap::new() };
    let outcomes = write_rows(txn, &plan, &rows, &dupes, !checking).await?;
    let counts = settle_rows(txn, row.id, &items, &rows, outcomes, (&plan, checking)).await?;
    finish(txn, row, (began, instance), checking, counts, items.is_empty()).await.map(Ok)
}

/// Rows whose key is on an earlier line of the file: their index in `rows`, and
/// that line.
async fn duplicates(
    txn: &DatabaseTransaction,
    id: i64,
    plan: &Plan<'_>,
    rows: &[(i64, Vec<String>)],
) -> Result<HashMap<usize, i64>> {
    let keys: Vec<String> = rows
        .iter()
        .map(|(_, c)| plan.key_of(c))
        .map(|k| if k.is_empty() { k } else { plan.canon(&k) })
        .collect();
    let mut first: HashMap<String, i64> = HashMap::new();
    for part in keys.chunks(500) {
        let earlier: Vec<job_item::Model> = job_item::Entity::find()
            .filter(job_item::Column::JobId.eq(id))
            .filter(job_item::Column::MatchKey.is_in(part.iter().filter(|k| !k.is_empty()).cloned()))
            .all(txn)
            .await?;
        for e in earlier {
            if let (Some(k), Some(line)) = (e.match_key, e.line) {
                first.entry(k).and_modify(|l| *l = Ord::min(*l, line)).or_insert(line);
            }
        }
    }
    let mut out = HashMap::new();
    for (i, k) in keys.iter().enumerate() {
        if k.is_empty() {
            continue;
        }
        match first.get(k) {
            Some(&line) => {
                out.insert(i, line);
            }
            None => {
                first.insert(k.clone(), rows[i].0);
            }
        }
    }
    Ok(out)
}

/// Rows created or changed, left alone, and failed, in one chunk.
#[derive(Default)]
struct Counts {
    done: i64,
    skipped: i64,
    failed: i64,
}

/// Writes each row's outcome on its item.
async fn settle_rows(
    txn: &DatabaseTransaction,
    id: i64,
    items: &[job_item::Model],
    rows: &[(i64, Vec<String>)],
    outcomes: Outcomes,
    (plan, checking): (&Plan<'_>, bool),
) -> Result<Counts> {
    let mut counts = Counts::default();
    let mut settled: Vec<job_item::Model> = Vec::with_capacity(items.len());
    for ((item, (_, cells)), outcome) in items.iter().zip(rows).zip(outcomes) {
        let (state, op, key, diff, note) = match outcome {
            Ok(Applied::Created(key, values)) => {
                let note = format!("Added {} {key}.", plan.admin.meta().label.to_lowercase());
                ("done", Some("create"), if checking { String::new() } else { key }, Some(values), note)
            }
            Ok(Applied::Updated(key, diff)) => {
                let labels: Vec<String> = diff.iter().map(|d| d[0].clone()).collect();
                let note = format!("Changed {}.", crate::kernel::text::join_and(&labels));
                ("done", Some("update"), key, Some(diff), note)
            }
            Ok(Applied::Unchanged(key)) => {
                ("skipped", None, key, None, "No change: the record already has these values.".to_owned())
            }
            Err(why) => ("failed", None, item.object_id.clone(), None, why),
        };
        match state {
            "done" => counts.done += 1,
            "skipped" => counts.skipped += 1,
            _ => counts.failed += 1,
        }
        // Checked, a row that would be written waits for the import to be confirmed.
        let state = if checking && state == "done" { "pending" } else { state };
        let mut m = item.clone();
        m.state = state.to_owned();
        m.object_id = key;
        m.note = Some(note);
        if checking {
            m.op = op.map(str::to_owned);
            m.diff = diff.map(|d| serde_json::json!(d).to_string());
            m.match_key = Some(plan.key_of(cells)).filter(|k| !k.is_empty()).map(|k| plan.canon(&k));
        }
        settled.push(m);
    }
    // The chunk's items written again whole: two statements a few hundred rows,
    // not one a row.
    let seqs: Vec<i64> = settled.iter().map(|m| m.seq).collect();
    for part in seqs.chunks(500) {
        job_item::Entity::delete_many()
            .filter(job_item::Column::JobId.eq(id))
            .filter(job_item::Column::Seq.is_in(part.iter().copied()))
            .exec(txn)
            .await?;
    }
    for part in settled.chunks(400) {
        let rows = part.iter().map(|m| job_item::ActiveModel {
            job_id: Set(m.job_id),
            seq: Set(m.seq),
            object_id: Set(m.object_id.clone()),
            state: Set(m.state.clone()),
            note: Set(m.note.clone()),
            run_id: Set(m.run_id),
            line: Set(m.line),
            data: Set(m.data.clone()),
            op: Set(m.op.clone()),
            diff: Set(m.diff.clone()),
            match_key: Set(m.match_key.clone()),
        });
        job_item::Entity::insert_many(rows).exec_without_returning(txn).await?;
    }
    Ok(counts)
}

/// The job's counters after a chunk, and its next state when no row is left.
async fn finish(
    txn: &DatabaseTransaction,
    row: &job::Model,
    (began, instance): (chrono::NaiveDateTime, &str),
    checking: bool,
    c: Counts,
    empty: bool,
) -> Result<Work> {
    let from = JobState::parse(&row.state).unwrap_or(JobState::Running);
    let processed = if checking {
        row.checked + c.done + c.skipped + c.failed
    } else {
        row.done + row.skipped + row.failed + c.done + c.skipped + c.failed
    };
    let finished = empty || processed >= row.total;
    let to = match (checking, finished) {
        (true, true) => JobState::Ready,
        (true, false) => JobState::Checking,
        (false, true) => JobState::Done,
        (false, false) => JobState::Running,
    };
    let counts = (!checking).then_some((c.done, c.skipped, c.failed));
    let mut update = super::chunk::moved(row, to, (instance, began), counts);
    if checking {
        update.value(job::Column::Checked, processed);
    }
    txn.execute(&update).await?;
    if finished {
        let what = if checking { "checked" } else { "finished" };
        record_state(txn, &worker_ctx(None), row.id, what, (from, to)).await?;
    }
    let (done, skipped, failed) = (c.done as u64, c.skipped as u64, c.failed as u64);
    Ok(Work::Chunk { job: row.id, done, skipped, failed, finished: finished && !checking })
}
