//! The door's background jobs: starting one over more records than a run takes,
//! seeing where it stands, pausing, resuming, cancelling, approving, and the
//! worker's turn.

use super::prelude::*;
use crate::job::{self, Filter as JobFilter, Job, JobItem, control::Change};
use crate::kernel::error::FieldError;
use crate::service::actions::Scale;

/// What a caller without `jobs.manage` cannot do to someone else's job.
pub const JOBS_MANAGE_REFUSED: &str = "You can pause, resume or cancel your own background jobs only.";

/// A request to run an action as a background job.
#[derive(Clone, Debug, Default)]
pub struct JobRequest {
    /// The records' keys, when `query` is none.
    pub keys: Vec<String>,
    /// A model list's query string (`plan=annual&billing_state=failed_first_charge`,
    /// as the list screen's address carries it): the job takes every record it
    /// matches for the caller, fixed now.
    pub query: Option<String>,
    /// The typed input as JSON (`{}` for none).
    pub input: serde_json::Value,
    /// The same request sent again with the same key answers the first job.
    pub idempotency_key: Option<String>,
}

/// A job the door made, or the one the request's key had made already.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JobStarted {
    /// The job's id.
    pub id: i64,
    /// Whether this request's key had made it before (nothing new was made).
    pub repeated: bool,
    /// Whether it waits for a second person's approval.
    pub awaiting_approval: bool,
}

/// A job from a query is bound to its idempotency key by the query, not the keys
/// it matches: sent again after some chunks ran, the same query matches other
/// records, and it is still the same request.
fn query_binding(
    caller: &Caller,
    (slug, name): (&str, &str),
    request: &JobRequest,
) -> Option<crate::action::idempotency::Binding> {
    let q = request.query.as_deref()?;
    let key = crate::action::idempotency::parse_key(request.idempotency_key.as_deref()).ok()??;
    let marker = [format!("?{}", q.trim_start_matches('?'))];
    let reason = caller.context().reason.as_deref();
    Some(crate::action::idempotency::Binding::new(&key, slug, name, &marker, &request.input, reason))
}

impl Service {
    /// Starts `name` on the model's records as a background job: the records are
    /// fixed now (the keys given, or all the list query matches for the caller),
    /// checked and counted against the caller's limits as one run of that many
    /// records, and audited (`job:created`). A policy that asks for approval, or a
    /// job past [`crate::action::Policy::job_approval_above`], waits for a second
    /// person first.
    ///
    /// # Errors
    /// As [`Service::run_action`]; `Refused` past
    /// [`crate::action::Policy::max_job`], past a limit, or for an action whose
    /// caller has a money limit (measured per record, which a job of this size
    /// cannot do up front); `BadRequest` for a query the list could not use.
    pub async fn start_job(
        &self,
        caller: &Caller,
        slug: &str,
        name: &str,
        request: &JobRequest,
    ) -> Result<JobStarted> {
        let action = self.action(caller, slug, name)?;
        let policy = action.policy();
        if policy.recent_auth {
            caller.require_recent()?;
        }
        let by_query = query_binding(caller, (slug, name), request);
        if let Some(b) = &by_query
            && let Some(id) = job::prior(&self.db, caller.staff().id, b).await?
        {
            let j = job::get(&self.db, id).await?;
            let awaiting_approval = j.state == job::JobState::AwaitingApproval;
            return Ok(JobStarted { id, repeated: true, awaiting_approval });
        }
        let keys = match &request.query {
            Some(q) => self.matching_keys(caller, slug, action.as_ref(), q).await?,
            None => {
                let unseen = self.unseen_keys(caller, slug, &request.keys).await?;
                if !unseen.is_empty() {
                    return Err(Error::NotFound(super::actions::unseen_sentence(action.model(), &unseen)));
                }
                request.keys.clone()
            }
        };
        let run = ActionRequest {
            keys,
            input: request.input.clone(),
            idempotency_key: request.idempotency_key.clone(),
        };
        let ctx = caller.context();
        let (keys, input, binding) =
            crate::service::actions::checked(ctx, action.as_ref(), (slug, name), &run, Scale::Job)?;
        let binding = by_query.or(binding);
        let limits = crate::limits::Applied::new(&self.auth.roles, caller.staff(), action.as_ref());
        if limits.counts_amounts() {
            return Err(Error::Refused(format!(
                "Your role limits the amounts \u{201c}{}\u{201d} moves per day, which is counted record by record: run it on at most {} at a time instead of as a background job.",
                action.label(),
                action.model().count_phrase(policy.max_batch as u64)
            )));
        }
        let needs_approval = policy.approval || policy.job_approval_above.is_some_and(|n| keys.len() > n);
        let new = job::NewJob {
            slug,
            name,
            keys: &keys,
            input: &input,
            query: request.query.as_deref(),
            chunk_size: policy.max_batch.min(job::CHUNK),
            needs_approval,
            binding: binding.as_ref(),
        };
        let made = job::create(&self.db, ctx, &self.registry, &limits, &new).await?;
        Ok(match made {
            Ok(id) => JobStarted { id, repeated: false, awaiting_approval: needs_approval },
            Err(id) => {
                let j = job::get(&self.db, id).await?;
                JobStarted {
                    id,
                    repeated: true,
                    awaiting_approval: j.state == job::JobState::AwaitingApproval,
                }
            }
        })
    }

    /// Refuses a background job of `selected` records for the action past its
    /// [`crate::action::Policy::max_job`], in the words the door would use.
    ///
    /// # Errors
    /// As [`Service::action`]; `Refused` past the limit.
    pub fn check_job_size(&self, caller: &Caller, slug: &str, name: &str, selected: u64) -> Result<()> {
        let action = self.action(caller, slug, name)?;
        crate::service::check_job_size(action.as_ref(), selected)
    }

    /// Every key the list query `q` matches for the caller, up to one past the
    /// action's largest job (refused with the count past it).
    async fn matching_keys(
        &self,
        caller: &Caller,
        slug: &str,
        action: &dyn DynAction,
        q: &str,
    ) -> Result<Vec<String>> {
        let params: Vec<(String, String)> = form_urlencoded::parse(q.trim_start_matches('?').as_bytes())
            .into_owned()
            .filter(|(k, _)| !matches!(k.as_str(), "page" | "after" | "before" | "per_page"))
            .collect();
        let query = self.query(caller, slug, &params)?;
        // A search or filter the list could not use would widen the job to records
        // nobody chose: refuse rather than act on them.
        if !query.messages.is_empty() {
            return Err(Error::BadRequest(format!("{} Nothing was started.", query.messages.join(" "))));
        }
        let max = action.policy().max_job as u64;
        let keys = self.keys(caller, slug, &query, max + 1).await?;
        if keys.len() as u64 > max {
            let total = self.count(caller, slug, &query, i64::MAX as u64).await?;
            crate::service::check_job_size(action, total)?;
        }
        Ok(keys)
    }

    /// One background job: the caller's own, or anyone's with `jobs.view` (or
    /// `audit.view`); for anyone else, the same "no such job" as for an id that
    /// does not exist.
    ///
    /// # Errors
    /// `NotFound`.
    pub async fn job(&self, caller: &Caller, id: i64) -> Result<Job> {
        let j = job::get(&self.db, id).await?;
        if self.sees_job(caller, &j) {
            Ok(j)
        } else {
            Err(Error::NotFound(format!("There is no background job {id}.")))
        }
    }

    /// Whether the caller sees the job: their own; anyone's with `jobs.view`,
    /// `audit.view` or `jobs.manage`; and one awaiting approval they may decide.
    fn sees_job(&self, caller: &Caller, j: &Job) -> bool {
        (j.requester_id != 0 && caller.staff().id == j.requester_id)
            || Self::sees_all_jobs(caller)
            || (j.state == job::JobState::AwaitingApproval && self.may_decide_job(caller, j))
    }

    fn sees_all_jobs(caller: &Caller) -> bool {
        caller.may("jobs.view") || caller.may("audit.view") || caller.may("jobs.manage")
    }

    /// The (model, action) pairs whose jobs the caller may approve.
    fn decidable(&self, caller: &Caller) -> Vec<(String, String)> {
        self.registry
            .metas()
            .iter()
            .flat_map(|m| self.registry.actions_for(m.slug))
            .filter(|a| caller.may(a.policy().approval_permission))
            .map(|a| (a.model().slug.to_owned(), a.name().to_owned()))
            .collect()
    }

    /// A page of background jobs, newest first, with how many match: everyone's
    /// with `jobs.view` (or `audit.view`, `jobs.manage`), otherwise the caller's own
    /// and those awaiting an approval the caller may give.
    ///
    /// # Errors
    /// `Db` when the database fails.
    pub async fn jobs(
        &self,
        caller: &Caller,
        filter: &JobFilter,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<Job>, u64)> {
        let mut filter = filter.clone();
        if !Self::sees_all_jobs(caller) {
            filter.visible_to = Some((caller.staff().id, self.decidable(caller)));
        }
        job::list(&self.db, &filter, offset, limit.min(500)).await
    }

    /// A job's records in one state (`skipped`, `failed`, `pending` or `done`),
    /// in order, after `after_seq` (-1 for the first). An import's rows hold what
    /// its file said, records of any scope: only its requester gets them (anyone
    /// else, none).
    ///
    /// # Errors
    /// As [`Service::job`].
    pub async fn job_items(
        &self,
        caller: &Caller,
        id: i64,
        state: &str,
        after_seq: i64,
        limit: u64,
    ) -> Result<Vec<JobItem>> {
        let j = self.job(caller, id).await?;
        if j.kind == job::JobKind::Import && j.requester_id != caller.staff().id {
            return Ok(Vec::new());
        }
        job::items(&self.db, id, state, after_seq, limit.min(1_000)).await
    }

    /// Whether the caller may pause, resume or cancel the job: their own, or
    /// anyone's with `jobs.manage`.
    #[must_use]
    pub fn may_manage_job(&self, caller: &Caller, j: &Job) -> bool {
        (caller.staff().id == j.requester_id && j.requester_id != 0) || caller.may("jobs.manage")
    }

    /// Whether the caller may approve or reject the job: someone other than its
    /// requester holding the action's approval permission.
    #[must_use]
    pub fn may_decide_job(&self, caller: &Caller, j: &Job) -> bool {
        let perm = self
            .registry
            .action_named(&j.model, &j.action)
            .map_or("approvals.decide", |a| a.policy().approval_permission);
        caller.staff().id != j.requester_id && caller.may(perm)
    }

    /// Pauses, resumes, cancels, approves or rejects a job, with the caller's
    /// reason (required), in one transaction with its audit entry
    /// (`job:paused`, …). A pause or cancel takes effect when the chunk in
    /// progress ends.
    ///
    /// # Errors
    /// `NotFound` as [`Service::job`]; `Forbidden` without the right (see
    /// [`Service::may_manage_job`], [`Service::may_decide_job`]); `Invalid` without
    /// a reason; `Refused` when the job's state does not allow it.
    pub async fn change_job(&self, caller: &Caller, id: i64, change: Change) -> Result<Job> {
        let seen = self.job(caller, id).await?;
        let mut errors: Vec<FieldError> =
            crate::service::reason_error(caller.context(), "reason").into_iter().collect();
        if caller.context().reason.is_none() {
            errors.push(FieldError::field(
                "reason",
                format!("Say why you {} this job: the reason is kept in the audit log.", change.verb()),
            ));
        }
        if !errors.is_empty() {
            return Err(Error::Invalid(errors));
        }
        let decide = matches!(change, Change::Approve | Change::Reject);
        let check = |j: &Job| -> Result<()> {
            if decide {
                if self.may_decide_job(caller, j) {
                    return Ok(());
                }
                let perm = self
                    .registry
                    .action_named(&j.model, &j.action)
                    .map_or("approvals.decide", |a| a.policy().approval_permission);
                let sentence = if caller.staff().id == j.requester_id {
                    "You cannot approve or reject your own background job: someone else must."
                } else {
                    "You cannot approve or reject this background job."
                };
                return Err(Error::Forbidden(caller.staff().denial(sentence, perm)));
            }
            if self.may_manage_job(caller, j) {
                Ok(())
            } else {
                Err(Error::Forbidden(caller.staff().denial(JOBS_MANAGE_REFUSED, "jobs.manage")))
            }
        };
        check(&seen)?;
        job::control::change((&self.db, &self.registry), caller.context(), id, change, check).await
    }

    /// Runs one chunk of a background job, if one has work waiting, unless `stop`
    /// completes first (then the chunk rolls back and its records wait for the
    /// next worker). The chunk's entries name the job's requester, with its
    /// reason; what the worker records on its own is signed `system:job-worker`.
    ///
    /// # Errors
    /// `Db` when the database fails.
    pub async fn work_jobs_once_until(
        &self,
        instance: &str,
        stop: impl std::future::Future<Output = ()>,
    ) -> Result<job::worker::Work> {
        job::worker::work_once_until(&self.db, &self.registry, &self.auth.roles, (instance, None), stop).await
    }

    /// Runs the next chunk of job `id`, if it has work waiting and no other worker
    /// holds it (a script following the job it started: see
    /// [`Service::work_jobs_once_until`]).
    ///
    /// # Errors
    /// `Db` when the database fails.
    pub async fn work_job_once(&self, instance: &str, id: i64) -> Result<job::worker::Work> {
        let roles = &self.auth.roles;
        job::worker::work_once_until(
            &self.db,
            &self.registry,
            roles,
            (instance, Some(id)),
            std::future::pending(),
        )
        .await
    }

    /// [`Service::work_jobs_once_until`] without a stop.
    ///
    /// # Errors
    /// `Db` when the database fails.
    pub async fn work_jobs_once(&self, instance: &str) -> Result<job::worker::Work> {
        self.work_jobs_once_until(instance, std::future::pending()).await
    }
}
