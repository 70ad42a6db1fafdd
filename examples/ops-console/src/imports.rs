//! `ops-console job import|confirm|export`: CSV imports and exports as background
//! jobs from the command line, through the same door as the screens.

use std::fmt::Write as _;

use opsadmin::job::{Job, JobState, Work};
use opsadmin::{Caller, Service};

use crate::cli::{ExportArgs, ImportArgs};
use crate::commands::{CommandError, acting_as, explain, instance_name};

fn refused(e: opsadmin::Error) -> CommandError {
    CommandError::refused(explain(&e))
}

/// Works job `id`'s chunks in this process (other workers may take some too),
/// with a progress bar of `what` on standard error, while `going` holds.
async fn follow(
    service: &Service,
    caller: &Caller,
    id: i64,
    what: &str,
    going: impl Fn(JobState) -> bool,
) -> Result<Job, CommandError> {
    let j = service.job(caller, id).await.map_err(refused)?;
    let bar = indicatif::ProgressBar::new(u64::try_from(j.total).unwrap_or(0));
    let template = format!("{{bar:40}} {{pos}}/{{len}} {what}, {{per_sec}}, about {{eta}} left");
    bar.set_style(
        indicatif::ProgressStyle::with_template(&template)
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let instance = instance_name();
    let last = loop {
        let work = service.work_job_once(&instance, id).await.map_err(refused)?;
        let now = service.job(caller, id).await.map_err(refused)?;
        let at = if now.state == JobState::Checking { now.checked } else { now.processed() };
        bar.set_position(u64::try_from(at).unwrap_or(0));
        if !going(now.state) {
            break now;
        }
        if work == Work::Idle {
            // Another worker holds the job's chunk: look again in a moment.
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        }
    };
    bar.finish_and_clear();
    Ok(last)
}

/// `job import MODEL FILE --as USER`: reads, matches and checks the file; with
/// `--yes`, writes the rows.
///
/// # Errors
/// `EXIT_REFUSED` for a file that cannot be read, a matching or anything else the
/// door refuses, in its words.
pub async fn import(service: &Service, args: &ImportArgs) -> Result<String, CommandError> {
    let bytes = std::fs::read(&args.file)
        .map_err(|e| CommandError::refused(format!("Cannot read {}: {e}.", args.file.display())))?;
    let caller = acting_as(service, &args.user).await?.with_reason(args.reason.clone());
    let name = args.file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let id = service.start_import(&caller, &args.model, &name, &bytes).await.map_err(refused)?;
    let (_, spec) = service.import(&caller, id).await.map_err(refused)?;
    let mut mapping = spec.mapping.clone();
    for (column, field) in &args.map {
        let Some(at) = spec.header.iter().position(|h| h == column) else {
            return Err(CommandError::usage(format!(
                "The file has no column \u{201c}{column}\u{201d}. Its columns: {}.",
                spec.header.join(", ")
            )));
        };
        mapping[at] = Some(field.clone()).filter(|f| !f.is_empty());
    }
    let key = args.key.clone().or(spec.key.clone());
    service.match_import(&caller, id, mapping, key).await.map_err(refused)?;
    let began = std::time::Instant::now();
    let checked = follow(service, &caller, id, "rows checked", |s| s == JobState::Checking).await?;
    let secs = began.elapsed().as_secs_f64();
    let s = service.import_summary(&caller, id).await.map_err(refused)?;
    let mut out = format!(
        "Import {id} of {name}: {} new, {} changed, {} unchanged, {} with problems (checked in {secs:.1} s).",
        s.create, s.update, s.unchanged, s.failed
    );
    for row in service.import_rows(&caller, id, (Some("failed"), None), -1, 20).await.map_err(refused)? {
        let _ = write!(out, "\nline {}: {}", row.line.unwrap_or_default(), row.note.unwrap_or_default());
    }
    if s.failed > 20 {
        let _ = write!(out, "\n(the first 20; the page /admin/jobs/{id} has the whole list as a CSV file)");
    }
    if checked.state != JobState::Ready || s.create + s.update == 0 {
        return Ok(out);
    }
    if !args.yes {
        let _ = write!(
            out,
            "\nNothing is written yet: review it at /admin/jobs/{id}, then confirm it there or with `ops-console job confirm {id} --as {}`.",
            args.user
        );
        return Ok(out);
    }
    let _ = write!(out, "\n{}", write_rows(service, &caller, id).await?);
    Ok(out)
}

/// Confirms import `id` and writes its rows, with a progress bar.
async fn write_rows(service: &Service, caller: &Caller, id: i64) -> Result<String, CommandError> {
    service.confirm_import(caller, id).await.map_err(refused)?;
    let began = std::time::Instant::now();
    let j = follow(service, caller, id, "rows", JobState::is_workable).await?;
    Ok(format!(
        "It is {}: {} written, {} left alone, {} failed of {} (in {:.1} s).",
        j.state.label().to_lowercase(),
        j.done,
        j.skipped,
        j.failed,
        j.total,
        began.elapsed().as_secs_f64()
    ))
}

/// `job confirm ID --as USER`.
///
/// # Errors
/// `EXIT_REFUSED` for what the door refuses.
pub async fn confirm(service: &Service, id: i64, user: &str) -> Result<String, CommandError> {
    let caller = acting_as(service, user).await?;
    write_rows(service, &caller, id).await
}

/// `job export MODEL --as USER --out PATH`: the export as a job, then its file.
///
/// # Errors
/// `EXIT_REFUSED` for what the door refuses, or a file that cannot be written.
pub async fn export(service: &Service, args: &ExportArgs) -> Result<String, CommandError> {
    use std::io::Write as _;
    let caller = acting_as(service, &args.user).await?;
    let query = args.query.as_deref().unwrap_or_default();
    let id = service.start_export_job(&caller, &args.model, query).await.map_err(refused)?;
    let j = follow(service, &caller, id, "rows", JobState::is_workable).await?;
    if j.state != JobState::Done {
        return Ok(format!(
            "Export {id} is {}: `ops-console job show {id}` says why.",
            j.state.label().to_lowercase()
        ));
    }
    let cannot =
        |e: std::io::Error| CommandError::refused(format!("Cannot write {}: {e}.", args.out.display()));
    let mut file = std::io::BufWriter::new(std::fs::File::create(&args.out).map_err(cannot)?);
    let mut seq = 0;
    while let Some(part) = service.export_file_part(&caller, id, seq).await.map_err(refused)? {
        file.write_all(part.as_bytes()).map_err(cannot)?;
        seq += 1;
    }
    file.flush().map_err(cannot)?;
    Ok(format!("Export {id}: {} rows written to {}.", j.done, args.out.display()))
}
