//! Background jobs: the list, a job's page with its progress (which refreshes
//! itself), the records it skipped or failed with why, and the forms that pause,
//! resume, cancel, approve or reject it.

use admin_core::Error as CoreError;
use admin_core::job::control::Change;
use admin_core::job::{Filter, Job, JobKind, JobState};
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::{Value, context};
use serde::Deserialize;

use crate::error::Result;
use crate::extract::Submitted;
use crate::handlers::list::url_path_segment;
use crate::session::Ctx;

/// Jobs per page of the list.
const PER_PAGE: u64 = 50;
/// Skipped or failed records the page names.
const ITEMS_SHOWN: u64 = 100;
/// The states the list filters by.
const STATES: [JobState; 11] = [
    JobState::Draft,
    JobState::Checking,
    JobState::Ready,
    JobState::AwaitingApproval,
    JobState::Queued,
    JobState::Running,
    JobState::Paused,
    JobState::Done,
    JobState::Failed,
    JobState::Cancelled,
    JobState::Rejected,
];

fn state_label(ctx: &Ctx, s: JobState) -> String {
    ctx.t(&format!("job-state-{}", s.as_str().replace('_', "-")), &[])
}

/// A duration in seconds, roughly, in the reader's words ("about 3 minutes").
fn about(ctx: &Ctx, secs: i64) -> String {
    if secs < 60 {
        ctx.t("job-left-seconds", &[("n", secs.max(1).into())])
    } else if secs < 3600 {
        ctx.t("job-left-minutes", &[("n", ((secs + 59) / 60).into())])
    } else {
        ctx.t("job-left-hours", &[("n", ((secs + 3599) / 3600).into())])
    }
}

/// One job for a row of the list or its page.
pub fn job_view(ctx: &Ctx, j: &Job) -> Value {
    let prefix = ctx.state.prefix();
    let registry = &ctx.state.registry;
    let action = registry.action_named(&j.model, &j.action);
    let meta = registry.model(&j.model);
    let label = match j.kind {
        JobKind::Import => ctx.t("job-kind-import", &[]),
        JobKind::Export => ctx.t("job-kind-export", &[]),
        JobKind::Action => action.as_ref().map_or_else(|| j.action.clone(), |a| a.label().to_owned()),
    };
    let n = |v: i64| ctx.number(v.max(0) as u64);
    context! {
        id => j.id,
        kind => j.kind.as_str(),
        checked => n(j.checked),
        url => format!("{prefix}/jobs/{}", j.id),
        action => label,
        model => meta.map_or(j.model.as_str(), |m| m.label_plural),
        list_url => meta.map(|_| format!("{prefix}/{}/{}", j.model, j.query.as_deref().map(|q| format!("?{q}")).unwrap_or_default())),
        state => j.state.as_str(),
        state_label => state_label(ctx, j.state),
        finished => j.state.is_finished(),
        total => n(j.total), done => n(j.done), skipped => n(j.skipped), failed => n(j.failed),
        processed => n(j.processed()),
        percent => j.percent(),
        rate => j.rate().map(|r| ctx.t("job-rate-value", &[("rate", ctx.number(r.round() as u64).into())])),
        left => j.seconds_left().map(|s| about(ctx, s)),
        requester => &j.requester,
        reason => &j.reason,
        query => &j.query,
        last_error => &j.last_error,
        state_by => &j.state_by,
        state_reason => &j.state_reason,
        approved_by => &j.approved_by,
        worker => &j.worker,
        created_at => j.created_at.format("%Y-%m-%d %H:%M:%S").to_string(),
        started_at => j.started_at.map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string()),
        finished_at => j.finished_at.map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string()),
    }
}

/// The list's query: `state`, `page`.
#[derive(Deserialize, Default)]
pub struct JobsQuery {
    /// One of the states (`running`).
    pub state: Option<String>,
    /// The page, from 1.
    pub page: Option<String>,
}

fn list_url(prefix: &str, state: Option<&str>, page: u64) -> String {
    super::effects::state_page_url(&format!("{prefix}/jobs/"), state, page)
}

/// `GET {prefix}/jobs/`: filter by `state`; `page`. Everyone's jobs with
/// `jobs.view`, otherwise the caller's own.
pub async fn list(ctx: Ctx, Query(q): Query<JobsQuery>) -> Result<Response> {
    let mut messages = Vec::new();
    let state = q.state.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).and_then(|s| {
        let found = JobState::parse(&s);
        if found.is_none() {
            messages.push(ctx.t("jobs-not-a-state", &[("state", s.into())]));
        }
        found
    });
    let page = q.page.and_then(|p| p.trim().parse::<u64>().ok()).filter(|p| *p >= 1).unwrap_or(1);
    let offset = admin_core::list::query::page_offset(page, PER_PAGE);
    let filter = Filter { states: state.into_iter().collect(), ..Filter::default() };
    let (rows, total) = ctx.service().jobs(&ctx.caller, &filter, offset, PER_PAGE).await?;
    let prefix = ctx.state.prefix();
    let pages = total.div_ceil(PER_PAGE).max(1);
    let state_links: Vec<Value> = std::iter::once(None)
        .chain(STATES.iter().copied().map(Some))
        .map(|s| {
            let label = s.map_or_else(|| ctx.t("jobs-all", &[]), |s| state_label(&ctx, s));
            let url = list_url(prefix, s.map(JobState::as_str), 1);
            context! { label => label, url => url, active => s == state }
        })
        .collect();
    let code = state.map(JobState::as_str);
    let html = ctx.state.templates.render(
        &["admin/jobs.html".to_owned()],
        context! {
            base => ctx.base(&ctx.t("base-nav-jobs", &[])),
            rows => rows.iter().map(|j| job_view(&ctx, j)).collect::<Vec<_>>(),
            total_phrase => ctx.t("count-jobs", &[("n", total.into()), ("count", ctx.number(total).into())]),
            state_links => state_links,
            messages => messages,
            prev_url => (page > 1).then(|| list_url(prefix, code, page - 1)),
            next_url => (page < pages).then(|| list_url(prefix, code, page + 1)),
            page => page, pages => pages,
        },
    )?;
    Ok(html.into_response())
}

fn parse_id(raw: &str) -> Result<i64> {
    raw.parse().map_err(|_| CoreError::NotFound(format!("There is no background job {raw}.")).into())
}

/// A job's skipped or failed records, with links to them and their runs.
async fn items_view(ctx: &Ctx, j: &Job, state: &str) -> Result<Vec<Value>> {
    let prefix = ctx.state.prefix();
    let items = ctx.service().job_items(&ctx.caller, j.id, state, -1, ITEMS_SHOWN).await?;
    let known = ctx.state.registry.model(&j.model).is_some();
    Ok(items
        .iter()
        .map(|i| {
            context! {
                key => &i.key,
                line => i.line,
                url => (known && !i.key.is_empty()).then(|| format!("{prefix}/{}/{}", j.model, url_path_segment(&i.key))),
                note => &i.note,
                run_url => i.run_id.map(|r| super::action_run::run_url(prefix, &j.model, &j.action, r)),
            }
        })
        .collect())
}

/// A job's page, with `error` above it (a refused form) and `status`.
pub(crate) async fn render_job(
    ctx: &Ctx,
    id: i64,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response> {
    let service = ctx.service();
    let j = service.job(&ctx.caller, id).await?;
    let prefix = ctx.state.prefix();
    let title = ctx.t("job-title", &[("id", id.into())]);
    // An import's preview lists its rows itself, before it is confirmed.
    let preview = matches!(j.state, JobState::Draft | JobState::Checking | JobState::Ready);
    let skipped = if preview { Vec::new() } else { items_view(ctx, &j, "skipped").await? };
    let failed = if preview { Vec::new() } else { items_view(ctx, &j, "failed").await? };
    let import = match j.kind {
        JobKind::Import => Some(super::imports::import_view(ctx, &j).await?),
        _ => None,
    };
    let export = (j.kind == JobKind::Export).then(|| super::imports::export_view(ctx, &j));
    let may_manage = service.may_manage_job(&ctx.caller, &j);
    let may_decide = service.may_decide_job(&ctx.caller, &j);
    let html = ctx.state.templates.render(
        &["admin/job.html".to_owned()],
        context! {
            base => ctx.base(&title),
            title => title,
            j => job_view(ctx, &j),
            skipped => skipped,
            failed => failed,
            import => import,
            export => export,
            items_shown => ITEMS_SHOWN,
            error => error,
            may_pause => may_manage && matches!(j.state, JobState::Queued | JobState::Running),
            may_resume => may_manage && j.state == JobState::Paused,
            may_cancel => may_manage && !j.state.is_finished(),
            may_decide => may_decide && j.state == JobState::AwaitingApproval,
            change_url => format!("{prefix}/jobs/{id}/"),
            progress_url => format!("{prefix}/jobs/{id}/progress"),
            audit_url => format!("{prefix}/audit?model=job&object_id={id}"),
            list_url => format!("{prefix}/jobs/"),
        },
    )?;
    Ok((status, html).into_response())
}

/// `GET {prefix}/jobs/{id}`.
pub async fn show(ctx: Ctx, Path(id): Path<String>) -> Result<Response> {
    render_job(&ctx, parse_id(&id)?, None, StatusCode::OK).await
}

/// `GET {prefix}/jobs/{id}/progress`: where the job stands, as JSON, for the page's
/// script (the same numbers the page shows, in the reader's words).
pub async fn progress(ctx: Ctx, Path(id): Path<String>) -> Result<Response> {
    let j = ctx.service().job(&ctx.caller, parse_id(&id)?).await?;
    let v = job_view(&ctx, &j);
    Ok(axum::Json(serde_json::to_value(&v).unwrap_or_default()).into_response())
}

/// The `{id}/{change}` path.
#[derive(Deserialize)]
pub struct ChangePath {
    /// The job's id.
    pub id: String,
    /// `pause`, `resume`, `cancel`, `approve` or `reject`.
    pub change: String,
}

fn change_of(raw: &str) -> Option<Change> {
    match raw {
        "pause" => Some(Change::Pause),
        "resume" => Some(Change::Resume),
        "cancel" => Some(Change::Cancel),
        "approve" => Some(Change::Approve),
        "reject" => Some(Change::Reject),
        _ => None,
    }
}

/// `GET {prefix}/jobs/{id}/{change}` (a bookmark, Back): the job's page, where the
/// forms are.
pub async fn to_page(ctx: Ctx, Path(p): Path<ChangePath>) -> Result<Response> {
    let id = parse_id(&p.id)?;
    Ok(Redirect::to(&format!("{}/jobs/{id}", ctx.state.prefix())).into_response())
}

/// `GET {prefix}/jobs/{id}/match` or `/confirm` (a bookmark, Back): the job's page.
pub async fn to_job(ctx: Ctx, Path(id): Path<String>) -> Result<Response> {
    let id = parse_id(&id)?;
    Ok(Redirect::to(&format!("{}/jobs/{id}", ctx.state.prefix())).into_response())
}

/// A change's form: why.
#[derive(Deserialize)]
pub struct ChangeForm {
    /// Why, for the audit log and the job's page.
    pub reason: Option<String>,
}

/// `POST {prefix}/jobs/{id}/{pause|resume|cancel|approve|reject}`: `reason`
/// (required); 303 to the job's page.
pub async fn change(
    Path(p): Path<ChangePath>,
    Submitted(ctx, form): Submitted<ChangeForm>,
) -> Result<Response> {
    let id = parse_id(&p.id)?;
    let Some(change) = change_of(&p.change) else {
        return Err(CoreError::NotFound(format!(
            "A background job cannot be asked to \u{201c}{}\u{201d}.",
            p.change
        ))
        .into());
    };
    let caller = ctx.caller_with_reason(form.reason.as_deref());
    match ctx.service().change_job(&caller, id, change).await {
        Ok(_) => {
            ctx.flash_t(&format!("flash-job-{}", change.past()), &[("id", id.into())]).await;
            Ok(Redirect::to(&format!("{}/jobs/{id}", ctx.state.prefix())).into_response())
        }
        Err(CoreError::Invalid(errs)) => {
            let msg = errs.iter().map(|e| e.message.clone()).collect::<Vec<_>>().join(" ");
            render_job(&ctx, id, Some(msg), StatusCode::BAD_REQUEST).await
        }
        Err(CoreError::Refused(msg)) => render_job(&ctx, id, Some(msg), StatusCode::CONFLICT).await,
        Err(e) => Err(e.into()),
    }
}
