//! `ops-console job …` and `action --all-matching`: background jobs from the
//! command line, through the same door as the screens.

use std::fmt::Write as _;

use opsadmin::action::DynAction;
use opsadmin::job::{Change, Filter, Job, JobRequest, JobState, Work};
use opsadmin::{Caller, Registry, Roles, Service};
use sea_orm::DatabaseConnection;

use crate::cli::{JobArgs, JobChange, JobCommand};
use crate::commands::{CommandError, acting_as, door, explain, instance_name};

/// One line about a job, as `job list` prints it.
fn line(j: &Job) -> String {
    format!(
        "{:>6}  {:<18}  {}.{}  {}/{} (done {}, skipped {}, failed {})  by {}  {}",
        j.id,
        j.state.as_str(),
        j.model,
        j.action,
        j.processed(),
        j.total,
        j.done,
        j.skipped,
        j.failed,
        j.requester,
        j.created_at.format("%Y-%m-%d %H:%M:%S")
    )
}

/// `ops-console job list|show|pause|resume|cancel`. Listing and showing are the
/// operator's, who holds the database (as `token list`); changes are made as the
/// staff user of `--as`, with their permissions and reason.
///
/// # Errors
/// [`crate::commands::EXIT_USAGE`] for an unknown state; `EXIT_REFUSED` for an unknown
/// job or user, a missing right, a state that does not allow the change, or a
/// database failure.
pub async fn job(
    db: &DatabaseConnection,
    registry: &Registry,
    roles: &Roles,
    args: &JobArgs,
) -> Result<String, CommandError> {
    let refused = |e: opsadmin::Error| CommandError::refused(explain(&e));
    let service = door(db, registry, roles);
    let operator = Caller::system("cli");
    match &args.command {
        JobCommand::List { state } => {
            let states = match state {
                None => Vec::new(),
                Some(s) => vec![JobState::parse(s.trim()).ok_or_else(|| {
                    CommandError::usage(format!(
                        "\u{201c}{s}\u{201d} is not a state of a job. States: awaiting_approval, queued, running, paused, done, failed, cancelled, rejected."
                    ))
                })?],
            };
            let filter = Filter { states, ..Filter::default() };
            let (jobs, total) = service.jobs(&operator, &filter, 0, 100).await.map_err(refused)?;
            if jobs.is_empty() {
                return Ok("No background jobs.".to_owned());
            }
            let mut out = jobs.iter().map(line).collect::<Vec<_>>().join("\n");
            if total > jobs.len() as u64 {
                let _ = write!(out, "\n(the newest {} of {total})", jobs.len());
            }
            Ok(out)
        }
        JobCommand::Show { id } => {
            let j = service.job(&operator, *id).await.map_err(refused)?;
            let mut out = line(&j);
            if let Some(r) = &j.reason {
                let _ = write!(out, "\nreason: {r}");
            }
            if let Some(q) = &j.query {
                let _ = write!(
                    out,
                    "\nselection: the {} list matching `{q}`, fixed when it was asked for",
                    j.model
                );
            }
            if let (Some(by), why) = (&j.state_by, &j.state_reason) {
                let _ = write!(
                    out,
                    "\nlast changed by {by}{}",
                    why.as_deref().map(|w| format!(": {w}")).unwrap_or_default()
                );
            }
            if let Some(e) = &j.last_error {
                let _ = write!(out, "\nerror: {e}");
            }
            for state in ["failed", "skipped"] {
                let items = service.job_items(&operator, *id, state, -1, 20).await.map_err(refused)?;
                for i in &items {
                    let _ = write!(out, "\n{state} {}: {}", i.key, i.note.as_deref().unwrap_or(""));
                }
            }
            Ok(out)
        }
        JobCommand::Pause(c) => change(&service, c, Change::Pause).await,
        JobCommand::Resume(c) => change(&service, c, Change::Resume).await,
        JobCommand::Cancel(c) => change(&service, c, Change::Cancel).await,
        JobCommand::Import(a) => crate::imports::import(&service, a).await,
        JobCommand::Confirm { id, user } => crate::imports::confirm(&service, *id, user).await,
        JobCommand::Export(a) => crate::imports::export(&service, a).await,
    }
}

async fn change(service: &Service, c: &JobChange, change: Change) -> Result<String, CommandError> {
    let caller = acting_as(service, &c.user).await?.with_reason(Some(c.reason.clone()));
    let j =
        service.change_job(&caller, c.id, change).await.map_err(|e| CommandError::refused(explain(&e)))?;
    Ok(format!("Job {} is {} now.", j.id, j.state.label().to_lowercase()))
}

/// Starts `request` as a background job and, with `follow`, works its chunks in
/// this process (other workers may take chunks too) with a progress bar on
/// standard error until it stops: finished, paused, cancelled, or waiting for
/// approval. Answers what became of it.
///
/// # Errors
/// `EXIT_REFUSED` for whatever the door refuses, in its words.
pub async fn start(
    service: &Service,
    caller: &Caller,
    (slug, action): (&str, &dyn DynAction),
    request: &JobRequest,
    follow: bool,
) -> Result<String, CommandError> {
    let refused = |e: opsadmin::Error| CommandError::refused(explain(&e));
    let started = service.start_job(caller, slug, action.name(), request).await.map_err(refused)?;
    let j = service.job(caller, started.id).await.map_err(refused)?;
    let head = if started.repeated {
        format!("This request already started background job {} (the same idempotency key).", j.id)
    } else {
        format!("Started background job {} on {} {}.", j.id, j.total, action.model().noun_plural())
    };
    if started.awaiting_approval {
        return Ok(format!("{head} It waits for someone else to approve it: nothing has changed yet."));
    }
    if !follow || j.state.is_finished() {
        return Ok(format!("{head} {}", summary(&j)));
    }
    let bar = indicatif::ProgressBar::new(u64::try_from(j.total).unwrap_or(0));
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} records, {per_sec}, about {eta} left")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let instance = instance_name();
    let last = loop {
        let work = service.work_job_once(&instance, j.id).await.map_err(refused)?;
        let now = service.job(caller, j.id).await.map_err(refused)?;
        bar.set_position(u64::try_from(now.processed()).unwrap_or(0));
        if !now.state.is_workable() {
            break now;
        }
        if work == Work::Idle {
            // Another worker holds the job's chunk: look again in a moment.
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        }
    };
    bar.finish_and_clear();
    Ok(format!("{head} {}", summary(&last)))
}

/// Where a job stands, in a sentence.
fn summary(j: &Job) -> String {
    format!(
        "It is {}: {} done, {} skipped, {} failed of {} (`ops-console job show {}` lists the skipped and failed ones).",
        j.state.label().to_lowercase(),
        j.done,
        j.skipped,
        j.failed,
        j.total,
        j.id
    )
}
