//! What `ops-console action` and `ops-console worker` do, as library functions so
//! the tests run them without starting a process. The binary parses the command
//! line ([`crate::cli`]), opens the database and calls these.
//!
//! Every command goes through the door, [`opsadmin::Service`], as the screens do:
//! the same permission, batch limit, reason, input validation, per-record checks,
//! transaction, audit entries and approvals. A script is not a back door.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use futures_util::FutureExt;
use futures_util::future::{Fuse, FusedFuture};

use opsadmin::action::{DynAction, Report};
use opsadmin::effect::Work as EffectWork;
use opsadmin::job::Work as JobWork;
use opsadmin::service::{ActionRequest, ActionResult, Work};
use opsadmin::{Caller, Error, FormData, Registry, Roles, Service};
use sea_orm::DatabaseConnection;

use crate::cli::{ActionArgs, TokenArgs, TokenCommand};

/// Exit code when the request was refused (permission, reason, input, batch size)
/// or the work failed.
pub const EXIT_REFUSED: u8 = 1;
/// Exit code for a command that cannot be understood (unknown model, action or
/// input name).
pub const EXIT_USAGE: u8 = 2;

/// Why a command did not succeed: the exit code and a sentence for the operator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommandError {
    /// [`EXIT_REFUSED`] or [`EXIT_USAGE`].
    pub code: u8,
    /// What went wrong, in plain words.
    pub message: String,
}

impl CommandError {
    pub(crate) fn usage(message: impl Into<String>) -> Self {
        Self { code: EXIT_USAGE, message: message.into() }
    }

    pub(crate) fn refused(message: impl Into<String>) -> Self {
        Self { code: EXIT_REFUSED, message: message.into() }
    }
}

impl std::fmt::Display for CommandError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CommandError {}

/// An admin error as the operator reads it: the plain sentence, with each field's
/// message for invalid input and the database's own words for its failures.
#[must_use]
pub fn explain(e: &Error) -> String {
    match e {
        Error::Invalid(errors) => errors
            .iter()
            .map(|fe| match fe.field.as_deref() {
                Some("reason") => format!("{} Give it with --reason \"...\".", fe.message),
                Some("ids") | None => fe.message.clone(),
                Some(field) => format!("--input {field}: {}", fe.message),
            })
            .collect::<Vec<_>>()
            .join(" "),
        Error::Db(db) => format!("The database failed: {db}"),
        Error::Internal(msg) => format!("Something went wrong: {msg}"),
        other => other.to_string(),
    }
}

fn lines(out: &mut String, report: &Report) {
    for (key, note) in &report.done {
        out.push_str(&format!("\n  {key}: {note}"));
    }
    for (key, reason) in &report.skipped {
        out.push_str(&format!("\n  {key}: skipped: {reason}"));
    }
}

/// "2 done, 1 skipped."
#[must_use]
pub fn counts(report: &Report) -> String {
    format!("{} done, {} skipped.", report.done.len(), report.skipped.len())
}

/// What the operator reads after a run: a summary line, then one line per record.
#[must_use]
pub fn describe(action: &dyn DynAction, result: &ActionResult) -> String {
    let label = action.label();
    match result {
        ActionResult::Ran(report) => {
            let mut out = format!("{label}: {}", counts(report));
            lines(&mut out, report);
            out
        }
        ActionResult::AlreadyRan(report) => {
            let mut out = format!(
                "{label} already ran with this idempotency key; nothing ran again. The first run: {}",
                counts(report)
            );
            lines(&mut out, report);
            out
        }
        ActionResult::Queued { id } => format!(
            "{label}: waiting for approval as request {id}. Someone else with the {} permission approves \
             it under Approvals in the admin; a worker then carries it out.",
            action.policy().approval_permission
        ),
    }
}

fn list(names: impl Iterator<Item = String>) -> String {
    let names: Vec<String> = names.collect();
    if names.is_empty() { "none".to_owned() } else { names.join(", ") }
}

/// `ops-console action`: runs (or queues) an action as a staff user and says what
/// happened to each record.
///
/// # Errors
/// [`EXIT_USAGE`] for an unknown model, action or input name; [`EXIT_REFUSED`]
/// for an unknown user and for whatever `run_action` refuses (permission, batch
/// limit, missing reason, invalid input) or fails at, with its plain sentence.
pub async fn action(
    db: &DatabaseConnection,
    registry: &Registry,
    roles: &Roles,
    args: &ActionArgs,
) -> Result<String, CommandError> {
    let Some(model) = registry.model(&args.model) else {
        return Err(CommandError::usage(format!(
            "There is no model \u{201c}{}\u{201d}. Models: {}.",
            args.model,
            list(registry.metas().iter().map(|m| m.slug.to_owned()))
        )));
    };
    let slug = model.slug;
    let Some(action) = registry.action_named(slug, &args.action) else {
        return Err(CommandError::usage(format!(
            "There is no action \u{201c}{}\u{201d} on {slug}. Its actions: {}.",
            args.action,
            list(registry.actions_for(slug).iter().map(|a| a.name().to_owned()))
        )));
    };
    let fields = action.input_fields();
    let described = || {
        list(fields.iter().map(|f| match f.choices {
            Some(cs) => {
                format!("{} ({})", f.name, cs.iter().map(|c| c.value).collect::<Vec<_>>().join(", "))
            }
            None => f.name.to_owned(),
        }))
    };
    for (name, _) in &args.input {
        if !fields.iter().any(|f| f.name == name) {
            return Err(CommandError::usage(format!(
                "{} takes no input \u{201c}{name}\u{201d}. Its inputs: {}.",
                action.name(),
                described()
            )));
        }
    }
    let service = door(db, registry, roles);
    let caller = acting_as(&service, &args.user).await?.with_reason(args.reason.clone());
    let input = action.parse_input(&FormData(args.input.clone())).map_err(|errors| {
        let mut msg = explain(&Error::Invalid(errors));
        msg.push_str(&format!(" Inputs: {}.", described()));
        CommandError::refused(msg)
    })?;
    if let Some(query) = &args.all_matching {
        let request = opsadmin::job::JobRequest {
            keys: Vec::new(),
            query: Some(query.clone()),
            input,
            idempotency_key: args.idempotency_key.clone(),
        };
        return crate::jobs::start(&service, &caller, (slug, action.as_ref()), &request, !args.no_wait).await;
    }
    let request =
        ActionRequest { keys: args.ids.clone(), input, idempotency_key: args.idempotency_key.clone() };
    let result = service
        .run_action(&caller, slug, action.name(), &request)
        .await
        .map_err(|e| CommandError::refused(explain(&e)))?;
    Ok(describe(action.as_ref(), &result))
}

/// What a worker did before it stopped.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WorkerSummary {
    /// Requests carried out.
    pub done: u32,
    /// Attempts that failed and will be tried again later.
    pub retried: u32,
    /// Requests that failed for the last time.
    pub failed: u32,
    /// Requests another worker finished first.
    pub lost: u32,
    /// Effects carried out (mail sent).
    pub effects_done: u32,
    /// Effect attempts that failed and will be tried again later.
    pub effects_retried: u32,
    /// Effects that failed for the last time (a bounce).
    pub effects_failed: u32,
    /// Requests, effects and job chunks given back unfinished when the shutdown
    /// timeout ran out, for another worker to take at once.
    pub released: u32,
    /// Chunks of background jobs carried out.
    pub job_chunks: u32,
}

/// How long the worker sleeps when nothing is due.
pub const IDLE: Duration = Duration::from_secs(1);
/// How long it waits after the database first failed before it tries again; the
/// wait doubles with each failure in a row, up to [`AFTER_DB_ERROR_MAX`].
pub const AFTER_DB_ERROR: Duration = Duration::from_secs(1);
/// The longest wait between tries while the database stays away.
pub const AFTER_DB_ERROR_MAX: Duration = Duration::from_secs(30);
/// How often a running worker marks itself seen (the dashboard warns after
/// five minutes without any).
pub const HEARTBEAT: Duration = Duration::from_secs(30);

/// A name for this worker process, unique enough to tell instances apart.
pub(crate) fn instance_name() -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "ops-console".to_owned());
    let random = opsadmin::auth::random_hex(3).unwrap_or_default();
    format!("{host}:{}:{random}", std::process::id())
}

/// One turn: one approved request and one effect, if due. Whether anything was.
/// No effect is begun once `shutdown` has completed; when `cutoff` completes, the
/// item in hand is given back.
async fn turn<S, C>(
    service: &Service,
    instance: &str,
    summary: &mut WorkerSummary,
    mut shutdown: Pin<&mut Fuse<S>>,
    mut cutoff: Pin<&mut Fuse<C>>,
) -> Result<bool, Error>
where
    S: Future<Output = ()>,
    C: Future<Output = ()>,
{
    let approval = service.work_approvals_once_until(cutoff.as_mut()).await?;
    match &approval {
        Work::Idle => {}
        Work::Done(id) => {
            summary.done += 1;
            tracing::info!(request = id, "carried out approved request");
        }
        Work::Retry(id, error) => {
            summary.retried += 1;
            tracing::warn!(request = id, %error, "approved request failed; it will be tried again");
        }
        Work::Failed(id, error) => {
            summary.failed += 1;
            tracing::error!(request = id, %error, "approved request failed for the last time");
        }
        Work::Lost(id) => {
            summary.lost += 1;
            tracing::info!(request = id, "another worker carried out the request first");
        }
        Work::Released(id) => {
            summary.released += 1;
            tracing::warn!(
                request = id,
                "the shutdown timeout ran out while the approved request ran: rolled back and given back \
                 for another worker"
            );
        }
    }
    if cutoff.is_terminated() || shutdown.is_terminated() || shutdown.as_mut().now_or_never().is_some() {
        return Ok(approval != Work::Idle);
    }
    let effect = service.work_effects_once_until(instance, cutoff.as_mut()).await?;
    match &effect {
        EffectWork::Idle => {}
        EffectWork::Done(id) => {
            summary.effects_done += 1;
            tracing::info!(effect = id, "carried out effect");
        }
        EffectWork::Retry(id, error) => {
            summary.effects_retried += 1;
            tracing::warn!(effect = id, %error, "effect failed; it will be tried again");
        }
        EffectWork::Failed(id, error) => {
            summary.effects_failed += 1;
            tracing::error!(effect = id, %error, "effect failed for the last time");
        }
        EffectWork::Lost(id) => {
            tracing::warn!(effect = id, "the lease on an effect ran out before it was recorded")
        }
        EffectWork::Released(id) => {
            summary.released += 1;
            tracing::warn!(
                effect = id,
                "the shutdown timeout ran out while the effect was carried out: given back for another worker"
            );
        }
    }
    if cutoff.is_terminated() || shutdown.is_terminated() || shutdown.as_mut().now_or_never().is_some() {
        return Ok(approval != Work::Idle || effect != EffectWork::Idle);
    }
    let job = service.work_jobs_once_until(instance, cutoff.as_mut()).await?;
    match &job {
        JobWork::Idle => {}
        JobWork::Chunk { job, done, skipped, failed, finished } => {
            summary.job_chunks += 1;
            tracing::info!(job, done, skipped, failed, finished, "ran a chunk of a background job");
        }
        JobWork::NeedsApproval(id) => {
            tracing::info!(job = id, "a background job's action asked for approval; the job waits for it")
        }
        JobWork::Failed(id, error) => tracing::error!(job = id, %error, "a background job cannot go on"),
        JobWork::Retry(id, error) => {
            tracing::warn!(job = id, %error, "a chunk of a background job failed; it will be tried again")
        }
        JobWork::Released(id) => {
            summary.released += 1;
            tracing::warn!(
                job = id,
                "the shutdown timeout ran out during a chunk of a background job: rolled back, its records wait \
                 for another worker"
            );
        }
    }
    Ok(approval != Work::Idle || effect != EffectWork::Idle || job != JobWork::Idle)
}

/// `ops-console worker`: carries out approved requests and effects (the mail of
/// "Retry welcome email") one at a time until `shutdown` completes (or, with
/// `once`, until none is due). A request or effect in progress is always finished,
/// never cut off, before the worker stops. It marks itself seen every
/// [`HEARTBEAT`], so the dashboard knows a worker is running.
///
/// # Errors
/// With `once`, when the database fails outside an action (an action's own failure
/// is recorded on its request and retried later). Without `once`, such failures are
/// logged (a warning while the database is unavailable) and retried after
/// [`AFTER_DB_ERROR`], doubling while they last; leases keep a request or effect
/// from running twice meanwhile.
pub async fn worker(
    db: &DatabaseConnection,
    registry: &Registry,
    roles: &Roles,
    once: bool,
    shutdown: impl Future<Output = ()>,
) -> Result<WorkerSummary, CommandError> {
    worker_until(db, registry, roles, once, shutdown, std::future::pending()).await
}

/// [`worker`] with a hard limit: after `shutdown` it finishes the item in hand
/// and begins no other; if `cutoff` (the shutdown timeout, [`crate::shutdown::Stop::deadline`])
/// completes first, the item is given back for another worker to take at once (an
/// approved request's transaction rolls back; an effect is queued again) and the
/// worker returns.
///
/// # Errors
/// As [`worker`].
pub async fn worker_until(
    db: &DatabaseConnection,
    registry: &Registry,
    roles: &Roles,
    once: bool,
    shutdown: impl Future<Output = ()>,
    cutoff: impl Future<Output = ()>,
) -> Result<WorkerSummary, CommandError> {
    let service = door(db, registry, roles);
    let instance = instance_name();
    let mut shutdown = std::pin::pin!(shutdown.fuse());
    let mut cutoff = std::pin::pin!(cutoff.fuse());
    let mut summary = WorkerSummary::default();
    let mut last_seen: Option<std::time::Instant> = None;
    let mut failures = 0u32;
    loop {
        if last_seen.is_none_or(|t| t.elapsed() >= HEARTBEAT) {
            match service.worker_seen(&instance, "effects and approvals").await {
                Ok(()) => last_seen = Some(std::time::Instant::now()),
                Err(e) => tracing::warn!(error = %explain(&e), "the worker could not mark itself seen"),
            }
        }
        let result = turn(&service, &instance, &mut summary, shutdown.as_mut(), cutoff.as_mut()).await;
        if result.is_ok() && std::mem::take(&mut failures) > 0 {
            tracing::info!("the database is back; the worker carries on");
        }
        let pause = match result {
            Ok(false) if once => break,
            Ok(false) => Some(IDLE),
            Ok(true) => None,
            Err(e) if once => return Err(CommandError::refused(explain(&e))),
            Err(e) => {
                let wait = AFTER_DB_ERROR.saturating_mul(1 << failures.min(5)).min(AFTER_DB_ERROR_MAX);
                failures += 1;
                if e.is_unavailable() {
                    tracing::warn!(error = %e, wait_secs = wait.as_secs(), "the database is unavailable; the worker waits");
                } else {
                    tracing::error!(error = %explain(&e), "the worker failed on the database; trying again");
                }
                Some(wait)
            }
        };
        // Stop between requests only: wait for the pause, or just look whether
        // shutdown was asked for.
        if cutoff.is_terminated() || shutdown.is_terminated() {
            break;
        }
        match pause {
            Some(d) => tokio::select! {
                () = &mut shutdown => break,
                () = tokio::time::sleep(d) => {}
            },
            None => {
                if shutdown.as_mut().now_or_never().is_some() {
                    break;
                }
            }
        }
    }
    Ok(summary)
}

/// The door over the command's database, registry and roles.
pub(crate) fn door(db: &DatabaseConnection, registry: &Registry, roles: &Roles) -> Service {
    Service::new(db.clone(), registry.clone()).with_roles(roles.clone())
}

/// The caller a command acts as, through the same authenticator as the screens and
/// the API (a local credential): the user must exist and be active. Whoever runs
/// the command holds the database, so no password or second factor is asked. Its
/// audit entries carry a `cli-…` request id.
pub(crate) async fn acting_as(service: &Service, username: &str) -> Result<Caller, CommandError> {
    let refused = |e: Error| CommandError::refused(explain(&e));
    service.local(username).await.map_err(refused)?.with_new_request("cli").map_err(refused)
}

/// `ops-console token create|list|revoke`: API tokens for scripts. Tokens are made
/// and revoked as their own user (whoever runs the command holds the database, and
/// the audit log records the token's user, with a `cli-` request id).
///
/// # Errors
/// [`EXIT_REFUSED`] for an unknown user or token id, or when the database fails.
pub async fn token(db: &DatabaseConnection, roles: &Roles, args: &TokenArgs) -> Result<String, CommandError> {
    let refused = |e: Error| CommandError::refused(explain(&e));
    let service = door(db, &Registry::new(), roles);
    // Listing every user's tokens is the operator's, who holds the database.
    let operator = Caller::system("cli");
    match &args.command {
        TokenCommand::Create { user, name } => {
            let caller = acting_as(&service, user).await?;
            let token = service.create_token(&caller, None, name).await.map_err(refused)?;
            let id = service
                .tokens(&caller, false)
                .await
                .map_err(refused)?
                .first()
                .map_or_else(String::new, |t| t.id.to_string());
            Ok(format!(
                "API token {id} for {} ({name}):\n{token}\nIt is shown only now; keep it where the script reads it, \
                 and send it as `Authorization: Bearer <token>`. Revoke it with `ops-console token revoke {id}`.",
                caller.staff().username
            ))
        }
        TokenCommand::List { user } => {
            let tokens = match user {
                Some(name) => service.tokens(&acting_as(&service, name).await?, false).await,
                None => service.tokens(&operator, true).await,
            }
            .map_err(refused)?;
            if tokens.is_empty() {
                return Ok("No API tokens.".to_owned());
            }
            let at = |t: chrono::NaiveDateTime| t.format("%Y-%m-%d %H:%M").to_string();
            let mut out = String::from("id\tuser\tname\tmade (UTC)\tlast used (UTC)\tstate");
            for t in tokens {
                out.push_str(&format!(
                    "\n{}\t{}\t{}\t{}\t{}\t{}",
                    t.id,
                    t.username,
                    t.name,
                    at(t.created_at),
                    t.last_used_at.map_or_else(|| "never".to_owned(), at),
                    if t.revoked { "revoked" } else { "active" }
                ));
            }
            Ok(out)
        }
        TokenCommand::Revoke { id } => {
            let Some(t) =
                service.tokens(&operator, true).await.map_err(refused)?.into_iter().find(|t| t.id == *id)
            else {
                return Err(CommandError::refused(format!(
                    "There is no API token {id}; `ops-console token list` shows the ids."
                )));
            };
            if t.revoked {
                return Ok(format!("API token {id} ({}: {}) was already revoked.", t.username, t.name));
            }
            let caller = acting_as(&service, &t.username).await?;
            service.revoke_token(&caller, *id).await.map_err(refused)?;
            Ok(format!(
                "Revoked API token {id} ({}: {}): calls with it are refused from now on.",
                t.username, t.name
            ))
        }
    }
}

/// `ops-console audit verify [--checkpoint FILE]`: walks the audit log's chain and
/// checks its head and the admin's other tables against it; with `checkpoint`,
/// also proves the log still holds every checkpoint in the file.
///
/// # Errors
/// [`EXIT_REFUSED`] when the log is broken (the sentence names the entry and the
/// problem) or cannot be read; [`EXIT_USAGE`] when the checkpoint file cannot be
/// read or holds no checkpoint (then nothing was checked).
pub async fn audit_verify(
    db: &DatabaseConnection,
    checkpoint: Option<&std::path::Path>,
) -> Result<String, CommandError> {
    use opsadmin::audit::Verdict;
    let verdict = match checkpoint {
        None => opsadmin::audit::verify(db).await,
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                CommandError::usage(format!(
                    "Cannot read the checkpoint file {}: {e}; nothing was checked.",
                    path.display()
                ))
            })?;
            let checkpoints = opsadmin::audit::parse_checkpoints(&text).map_err(|why| {
                CommandError::usage(format!(
                    "The checkpoint file {} cannot be used, so nothing was checked. {why}",
                    path.display()
                ))
            })?;
            opsadmin::audit::verify_against(db, &checkpoints).await
        }
    }
    .map_err(|e| CommandError::refused(format!("Cannot read the audit log: {}", explain(&e))))?;
    match (verdict, checkpoint) {
        (Verdict::Intact { entries }, None) => {
            Ok(format!("The audit log is intact: {entries} entries, every link checked."))
        }
        (Verdict::Intact { entries }, Some(path)) => Ok(format!(
            "The audit log is intact: {entries} entries, every link checked, and it still holds every checkpoint in {}.",
            path.display()
        )),
        (Verdict::Broken { seq, problem, .. }, _) => {
            Err(CommandError::refused(format!("The audit log is broken at entry {seq}: {problem}.")))
        }
    }
}

/// `ops-console audit checkpoint`: the head of every chain of the audit log, one
/// line each, for the operator to keep where the database's users cannot write.
///
/// # Errors
/// [`EXIT_REFUSED`] when the head is missing or does not match the newest entry, or
/// the database fails.
pub async fn audit_checkpoint(db: &DatabaseConnection) -> Result<String, CommandError> {
    let checkpoints =
        opsadmin::audit::checkpoint(db).await.map_err(|e| CommandError::refused(explain(&e)))?;
    Ok(checkpoints.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))
}
