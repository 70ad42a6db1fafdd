//! One chunk's run of a job's action, as its requester, and what it did written
//! on the job's items and counters.

use std::collections::HashMap;

use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ConnectionTrait, DatabaseTransaction, TransactionTrait};

use super::worker::{Work, worker_ctx};
use super::{JobState, record_state};
use crate::action::{Approval, DynAction, Executed, Report};
use crate::audit::Context;
use crate::db::entities::{job, job_item};
use crate::kernel::clock::now;
use crate::kernel::error::{Error, Result};

/// One job's run of its action, as its requester.
pub(super) struct Run<'a> {
    pub(super) action: &'a dyn DynAction,
    pub(super) ctx: &'a Context,
    pub(super) input: &'a serde_json::Value,
    pub(super) approval: Approval,
    pub(super) scope: &'a crate::access::scope::RowScope,
}

/// What a chunk did: the reports of its runs, and the records whose run failed.
#[derive(Default)]
pub(super) struct Outcome {
    reports: Vec<Report>,
    failed: Vec<(String, String)>,
}

impl Run<'_> {
    /// The chunk as one run, in a savepoint; when the action fails, each record in
    /// a savepoint of its own, so one bad record fails alone. `None` when the
    /// action asks for approval.
    pub(super) async fn whole(&self, txn: &DatabaseTransaction, keys: &[String]) -> Result<Option<Outcome>> {
        if keys.is_empty() {
            return Ok(Some(Outcome::default()));
        }
        match self.once(txn, keys).await {
            Ok(Some(report)) => return Ok(Some(Outcome { reports: vec![report], failed: Vec::new() })),
            Ok(None) => return Ok(None),
            Err(e) if e.is_unavailable() => return Err(e),
            Err(e) => tracing::info!(error = %e, "a job's chunk failed; its records are tried one by one"),
        }
        let mut outcome = Outcome::default();
        for key in keys {
            match self.once(txn, std::slice::from_ref(key)).await {
                Ok(Some(report)) => outcome.reports.push(report),
                Ok(None) => outcome
                    .failed
                    .push((key.clone(), "It needs a second person's approval on its own.".to_owned())),
                Err(e) if e.is_unavailable() => return Err(e),
                Err(e) => outcome.failed.push((key.clone(), failure_text(self.action.name(), &e))),
            }
        }
        Ok(Some(outcome))
    }

    /// One run on `keys` in a savepoint of `txn`, rolled back when it fails or asks
    /// for approval.
    async fn once(&self, txn: &DatabaseTransaction, keys: &[String]) -> Result<Option<Report>> {
        let sp = txn.begin().await?;
        let ran = self.action.execute(&sp, self.ctx, keys, self.input, self.approval, self.scope).await;
        match ran {
            Ok(Executed::Ran(report)) => {
                sp.commit().await?;
                Ok(Some(report))
            }
            Ok(Executed::NeedsApproval) => {
                sp.rollback().await?;
                Ok(None)
            }
            Err(e) => {
                sp.rollback().await?;
                Err(e)
            }
        }
    }
}

/// Why one record's run failed, in words for the job's page (details to the log).
fn failure_text(action: &str, e: &Error) -> String {
    match e {
        Error::Refused(m) | Error::BadRequest(m) | Error::NotFound(m) => m.clone(),
        Error::Forbidden(d) => d.sentence().to_owned(),
        Error::Invalid(errors) => errors.iter().map(|f| f.message.clone()).collect::<Vec<_>>().join(" "),
        other => {
            tracing::warn!(action, error = %other, "a record of a job failed");
            "The database refused the change.".to_owned()
        }
    }
}

/// Records the chunk's outcome on its items and the job's counters, and finishes
/// the job when no record is left.
pub(super) async fn settle(
    txn: &DatabaseTransaction,
    (row, began): (&job::Model, chrono::NaiveDateTime),
    instance: &str,
    pending: &[job_item::Model],
    outcome: Outcome,
) -> Result<Work> {
    let seq_of: HashMap<&str, i64> = pending.iter().map(|i| (i.object_id.as_str(), i.seq)).collect();
    let mut left: HashMap<i64, ()> = pending.iter().map(|i| (i.seq, ())).collect();
    let (mut done, mut skipped, mut failed) = (0u64, 0u64, 0u64);
    for report in &outcome.reports {
        let seqs: Vec<i64> = report
            .done
            .iter()
            .filter_map(|(k, _)| seq_of.get(k.as_str()).copied())
            .filter(|s| left.remove(s).is_some())
            .collect();
        done += seqs.len() as u64;
        for part in seqs.chunks(500) {
            txn.execute(
                Query::update()
                    .table(job_item::Entity)
                    .value(job_item::Column::State, "done")
                    .value(job_item::Column::RunId, report.run_id)
                    .and_where(Expr::col(job_item::Column::JobId).eq(row.id))
                    .and_where(Expr::col(job_item::Column::Seq).is_in(part.iter().copied())),
            )
            .await?;
        }
        for (k, why) in &report.skipped {
            if let Some(&seq) = seq_of.get(k.as_str())
                && left.remove(&seq).is_some()
            {
                skipped += 1;
                mark(txn, row.id, seq, "skipped", why, report.run_id).await?;
            }
        }
    }
    for (k, why) in &outcome.failed {
        if let Some(&seq) = seq_of.get(k.as_str())
            && left.remove(&seq).is_some()
        {
            failed += 1;
            mark(txn, row.id, seq, "failed", why, None).await?;
        }
    }
    // Every record the chunk took leaves `pending`, so the job always moves on.
    for seq in left.into_keys() {
        skipped += 1;
        mark(txn, row.id, seq, "skipped", "The action did not say what it did with this record.", None)
            .await?;
    }
    let processed = row.done + row.skipped + row.failed + (done + skipped + failed) as i64;
    let finished = processed >= row.total || pending.is_empty();
    let from = JobState::parse(&row.state).unwrap_or(JobState::Running);
    let to = if finished { JobState::Done } else { JobState::Running };
    let update = moved(row, to, (instance, began), Some((done as i64, skipped as i64, failed as i64)));
    txn.execute(&update).await?;
    if finished {
        record_state(txn, &worker_ctx(None), row.id, "finished", (from, to)).await?;
    }
    Ok(Work::Chunk { job: row.id, done, skipped, failed, finished })
}

/// The update that records a chunk on its job: its next state, the worker, no
/// failure pending; with `counts` (done, skipped, failed), those added, when it
/// began (its first chunk) and, when `to` ends it, when it ended.
pub(super) fn moved(
    row: &job::Model,
    to: JobState,
    (instance, began): (&str, chrono::NaiveDateTime),
    counts: Option<(i64, i64, i64)>,
) -> sea_orm::sea_query::UpdateStatement {
    let t = now();
    let mut update = Query::update();
    update
        .table(job::Entity)
        .value(job::Column::State, to.as_str())
        .value(job::Column::Worker, instance)
        .value(job::Column::Attempts, 0)
        .value(job::Column::LastError, Option::<String>::None)
        .value(job::Column::UpdatedAt, t)
        .and_where(Expr::col(job::Column::Id).eq(row.id));
    if let Some((done, skipped, failed)) = counts {
        update
            .value(job::Column::Done, Expr::col(job::Column::Done).add(done))
            .value(job::Column::Skipped, Expr::col(job::Column::Skipped).add(skipped))
            .value(job::Column::Failed, Expr::col(job::Column::Failed).add(failed));
        if row.started_at.is_none() {
            update.value(job::Column::StartedAt, Some(began));
        }
        if to.is_finished() {
            update.value(job::Column::FinishedAt, Some(t));
        }
    }
    update
}

/// Marks one item with its outcome.
async fn mark(
    txn: &DatabaseTransaction,
    job_id: i64,
    seq: i64,
    state: &str,
    note: &str,
    run_id: Option<i64>,
) -> Result<()> {
    txn.execute(
        Query::update()
            .table(job_item::Entity)
            .value(job_item::Column::State, state)
            .value(job_item::Column::Note, note)
            .value(job_item::Column::RunId, run_id)
            .and_where(Expr::col(job_item::Column::JobId).eq(job_id))
            .and_where(Expr::col(job_item::Column::Seq).eq(seq)),
    )
    .await?;
    Ok(())
}
