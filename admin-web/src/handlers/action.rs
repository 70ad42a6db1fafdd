//! Running actions from the screens: the confirmation page, the run, the result.
//!
//! `POST {prefix}/{model}/actions/{action}` without `confirm=1` (or with
//! `preview=1`) shows what the action would do: the records, the blocked ones and
//! why, and, once its input is given, each record's changes from a trial run that
//! is rolled back, with the effects it would schedule; then the typed input form
//! and the reason field. With `confirm=1` it runs through the door
//! ([`admin_core::service::Service::run_action`]), the same path as the JSON API and
//! scripts, and redirects to the run's result page (or, when the request needs
//! approval, to the approval request's page).

use admin_core::action::{DynAction, Report};
use admin_core::service::{ActionRequest, ActionResult, JobRequest};
use admin_core::{Error as CoreError, FieldError, FormData, ModelMeta};
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::Pairs;
use crate::error::Result;
use crate::extract::{ModelParam, Submitted};
use crate::handlers::list::url_path_segment;
use crate::session::{Ctx, reauth_redirect};

use super::confirm_page::Confirm;
pub(crate) use super::confirm_page::{trial_of, trial_view};

/// The `{action}` path segment.
#[derive(Debug, Deserialize)]
pub struct ActionPath {
    /// The action's name.
    pub action: String,
}

/// What a list's form selected: the keys, and, for "all N matching" past the
/// action's batch limit, the whole count and the list's query, which can run as a
/// background job (the keys are then the first batch, for the preview).
pub(super) struct Selected {
    /// The keys to run on (or preview).
    pub(super) keys: Vec<String>,
    /// Every matching record's count, when it is past one run's batch.
    pub(super) job_total: Option<u64>,
    /// The list's query string, for a job.
    pub(super) query: String,
}

/// The list parameters a form carried (`q`, `sort`, the model's filters), as a
/// query string.
fn list_query(meta: &ModelMeta, form: &FormData) -> Pairs {
    let is_list_param =
        |k: &str| k == "q" || k == "sort" || meta.filters.iter().any(|&i| k.starts_with(meta.fields[i].name));
    form.0.iter().filter(|(k, _)| !k.starts_with('_') && is_list_param(k.as_str())).cloned().collect()
}

/// The selected keys: repeated `ids`; with `selection=1` the caller's stored
/// selection of the model, first brought up to date with the list page's
/// checkboxes (`ids`, `page_ids`, see [`super::selection::PageEdit`]), so what
/// the person saw checked is what runs; or with `select_all=1` every record
/// matching the list query the form carried (`q`, filters, `sort`), up to one
/// more than the batch limit. Past the limit the count of every matching record
/// comes too: up to the action's largest job the page offers a background job,
/// past it the door refuses, counting as the list did.
async fn selected_keys(
    ctx: &Ctx,
    meta: &ModelMeta,
    action: &dyn DynAction,
    form: &FormData,
) -> Result<Selected> {
    let service = ctx.service();
    let only = |keys| Selected { keys, job_total: None, query: String::new() };
    if form.get("select_all") != Some("1") {
        if form.get("selection") != Some("1") {
            return Ok(only(form.all("ids").into_iter().map(str::to_owned).collect()));
        }
        let edit = super::selection::PageEdit::from_form(form);
        service.change_selection(&ctx.caller, meta.slug, &edit.add, &edit.remove).await?;
        return Ok(only(service.selection(&ctx.caller, meta.slug).await?));
    }
    let params = list_query(meta, form);
    let query = service.query(&ctx.caller, meta.slug, &params)?;
    // A search or filter the list could not use would widen the selection to
    // records nobody saw: refuse rather than act on them.
    if !query.messages.is_empty() {
        return Err(
            CoreError::BadRequest(format!("{} Nothing was changed.", query.messages.join(" "))).into()
        );
    }
    let max = action.policy().max_batch as u64;
    let mut keys = service.keys(&ctx.caller, meta.slug, &query, max + 1).await?;
    let query_string = crate::render::query_string(&params).trim_start_matches('?').to_owned();
    if keys.len() as u64 > max {
        // Every matching record, as the list counts them (a cap past any table).
        let total = service.count(&ctx.caller, meta.slug, &query, i64::MAX as u64).await?;
        if total > action.policy().max_job as u64 {
            service.check_job_size(&ctx.caller, meta.slug, action.name(), total)?;
        }
        keys.truncate(max as usize);
        return Ok(Selected { keys, job_total: Some(total), query: query_string });
    }
    Ok(Selected { keys, job_total: None, query: query_string })
}

/// `GET {prefix}/{model}/actions/{action}`: with `ids` (repeated) or `select_all=1`
/// and the list's query, the confirmation page, as the POST without `confirm=1`
/// shows it (a GET, so Back to it after the run asks nothing and shows the
/// records as they are now); without a selection, a page that says what to do.
pub async fn show(
    ModelParam(model): ModelParam,
    Path(ActionPath { action: name }): Path<ActionPath>,
    axum::extract::Query(query): axum::extract::Query<Pairs>,
    ctx: Ctx,
) -> Result<Response> {
    let form = FormData::from(query);
    let meta = model.meta();
    let action = ctx.service().action(&ctx.caller, meta.slug, &name)?;
    let stored = form.get("selection") == Some("1");
    if form.get("select_all") != Some("1") && form.all("ids").is_empty() && !stored {
        return super::action_run::start(&ctx, meta, action.as_ref());
    }
    // A GET only reads: the stored selection as it is (the list's POST brought it
    // up to date before it sent the browser here).
    let selected = if stored && form.get("select_all") != Some("1") {
        let keys = ctx.service().selection(&ctx.caller, meta.slug).await?;
        Selected { keys, job_total: None, query: String::new() }
    } else {
        selected_keys(&ctx, meta, action.as_ref(), &form).await?
    };
    let page = Confirm {
        ctx: &ctx,
        meta,
        action: &action,
        keys: selected.keys,
        job: selected.job_total.map(|total| (total, selected.query)),
        form: &form,
        errors: Vec::new(),
        message: None,
        new_key: false,
    };
    page.render(StatusCode::OK).await
}

/// The GET address of the confirmation page for what a list's form selected: the
/// stored selection, the list's query with `select_all=1`, or the ids.
fn confirmation_url(ctx: &Ctx, slug: &str, name: &str, form: &FormData, keys: &[String]) -> String {
    let mut q = form_urlencoded::Serializer::new(String::new());
    if form.get("select_all") == Some("1") {
        for (k, v) in &form.0 {
            if !matches!(
                k.as_str(),
                "csrf_token" | "ids" | "page_ids" | "page_all" | "page_all_was" | "selection"
            ) {
                q.append_pair(k, v);
            }
        }
    } else if form.get("selection") == Some("1") {
        q.append_pair("selection", "1");
    } else {
        for k in keys {
            q.append_pair("ids", k);
        }
    }
    format!("{}/{slug}/actions/{}?{}", ctx.state.prefix(), url_path_segment(name), q.finish())
}

/// `POST {prefix}/{model}/actions/{action}`: fields `csrf_token`, `ids` (repeated) or
/// `select_all=1` with the list's query; with `confirm=1` also the typed inputs,
/// `reason` and `idempotency_key`. The door checks the permission, the batch limit
/// and, for actions that ask for it, a recent sign-in.
pub async fn submit(
    ModelParam(model): ModelParam,
    Path(ActionPath { action: name }): Path<ActionPath>,
    Submitted(ctx, form): Submitted<Pairs>,
) -> Result<Response> {
    let form = FormData::from(form);
    let meta = model.meta();
    let action = ctx.service().action(&ctx.caller, meta.slug, &name)?;
    let selected = selected_keys(&ctx, meta, action.as_ref(), &form).await?;
    let keys = selected.keys;
    let job = selected.job_total.map(|total| (total, selected.query));
    // From the list (its form runs on the stored selection, or on all matching):
    // the confirmation is a GET page, so Back and reload after the run never ask to
    // send a form again.
    let from_list = form.get("selection") == Some("1") || form.get("select_all") == Some("1");
    if from_list && form.get("confirm") != Some("1") && form.get("preview") != Some("1") {
        return Ok(see_other(&confirmation_url(&ctx, meta.slug, &name, &form, &keys)));
    }
    let confirm = |errors: Vec<FieldError>, message: Option<String>, new_key: bool| Confirm {
        ctx: &ctx,
        meta,
        action: &action,
        keys: keys.clone(),
        job: job.clone(),
        form: &form,
        errors,
        message,
        new_key,
    };
    if form.get("confirm") != Some("1") || form.get("preview") == Some("1") {
        return confirm(Vec::new(), None, false).render(StatusCode::OK).await;
    }
    let input = match action.parse_input(&form) {
        Ok(v) => v,
        Err(errors) => return confirm(errors, None, false).render(StatusCode::BAD_REQUEST).await,
    };
    let caller = ctx.caller_with_reason(form.get("reason"));
    let idempotency_key = form.get("idempotency_key").map(str::to_owned);
    let outcome = match &job {
        Some((_, query)) => {
            let request = JobRequest { keys: Vec::new(), query: Some(query.clone()), input, idempotency_key };
            ctx.service().start_job(&caller, meta.slug, &name, &request).await.map(Done::Job)
        }
        None => {
            let request = ActionRequest { keys: keys.clone(), input, idempotency_key };
            ctx.service().run_action(&caller, meta.slug, &name, &request).await.map(Done::Run)
        }
    };
    match outcome {
        Ok(Done::Job(started)) => {
            let id = if started.awaiting_approval { "flash-job-awaiting" } else { "flash-job-started" };
            ctx.flash_t(id, &[("action", action.label().into()), ("id", started.id.into())]).await;
            Ok(see_other(&format!("{}/jobs/{}", ctx.state.prefix(), started.id)))
        }
        Ok(Done::Run(ActionResult::Ran(report))) => ran(&ctx, meta, action.as_ref(), &report, false),
        Ok(Done::Run(ActionResult::AlreadyRan(report))) => ran(&ctx, meta, action.as_ref(), &report, true),
        Ok(Done::Run(ActionResult::Queued { id })) => {
            let msg = format!(
                "\u{201c}{}\u{201d} on {} was sent for approval: it waits for someone else to approve it. Nothing has changed yet.",
                action.label(),
                meta.count_phrase(keys.len() as u64)
            );
            ctx.flash(&msg).await;
            Ok(see_other(&format!("{}/approvals/{id}", ctx.state.prefix())))
        }
        Err(e) => refusal(&ctx, meta, action.as_ref(), e, confirm).await,
    }
}

/// What the door did with a confirmed request: a run (or a request for approval),
/// or a background job.
enum Done {
    Run(ActionResult),
    Job(admin_core::service::JobStarted),
}

/// The answer to a request the door refused or failed: the confirmation page again
/// with why (and, for a key used before, a new key), or the error's own page.
async fn refusal<'a>(
    ctx: &Ctx,
    meta: &ModelMeta,
    action: &dyn DynAction,
    e: CoreError,
    confirm: impl Fn(Vec<FieldError>, Option<String>, bool) -> Confirm<'a>,
) -> Result<Response> {
    match e {
        CoreError::Invalid(errors) => confirm(errors, None, false).render(StatusCode::BAD_REQUEST).await,
        // A stale sign-in confirms the password, then starts again from the list.
        e @ CoreError::ReauthRequired => {
            Err(reauth_redirect(ctx, &format!("{}/{}/", ctx.state.prefix(), meta.slug), e))
        }
        e @ (CoreError::Forbidden(_) | CoreError::NotFound(_) | CoreError::Unauthenticated) => Err(e.into()),
        // The database was away or busy: the 503 page says whether anything was
        // saved; Back and confirming again is safe (the form's key runs it once).
        e if e.is_unavailable() => Err(e.into()),
        e if admin_core::action::idempotency::is_reused(&e) => {
            // The key came with another request before: nothing ran. The page comes
            // back with a new key, so confirming it again is a new request.
            let msg = format!(
                "{e} Nothing was changed. Check the {} and the reason below, then confirm to run it as a new request.",
                meta.noun_plural()
            );
            confirm(Vec::new(), Some(msg), true).render(StatusCode::CONFLICT).await
        }
        e => {
            let status =
                if e.is_server_error() { StatusCode::INTERNAL_SERVER_ERROR } else { StatusCode::CONFLICT };
            confirm(Vec::new(), Some(failure(action, &e)), false).render(status).await
        }
    }
}

/// The run failed, so nothing was changed: say so, with what failed.
fn failure(action: &dyn DynAction, e: &CoreError) -> String {
    let what = match e {
        CoreError::Refused(m) | CoreError::BadRequest(m) => m.clone(),
        CoreError::Db(db) => {
            tracing::error!(action = %action.name(), error = %db, "action failed in the database");
            "the database refused the change".to_owned()
        }
        other => {
            tracing::error!(action = %action.name(), error = %other, "action failed");
            other.to_string()
        }
    };
    format!("\u{201c}{}\u{201d} failed: {what} Nothing was changed.", action.label())
}

/// `303 See Other` to `location`: the answer to a POST that did its work, so the
/// browser shows a GET page that Back and reload leave alone.
fn see_other(location: &str) -> Response {
    Redirect::to(location).into_response()
}

/// After a run: to its result page (`?repeated=1` when this request had already
/// run). Every run is recorded, so one without an id is a fault.
fn ran(
    ctx: &Ctx,
    meta: &ModelMeta,
    action: &dyn DynAction,
    report: &Report,
    repeated: bool,
) -> Result<Response> {
    let Some(id) = report.run_id else {
        return Err(CoreError::Internal(format!("the run of {} has no id", action.name())).into());
    };
    let url = super::action_run::run_url(ctx.state.prefix(), meta.slug, action.name(), id);
    Ok(see_other(&if repeated { format!("{url}?repeated=1") } else { url }))
}
