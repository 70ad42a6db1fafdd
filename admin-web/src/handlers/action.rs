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

use std::sync::Arc;

use admin_core::action::{DynAction, Outcome, Preview, Report};
use admin_core::kernel::field::Cell;
use admin_core::kernel::model::thousands;
use admin_core::list::view::visible_columns;
use admin_core::service::{ActionRequest, ActionResult};
use admin_core::{Error as CoreError, FieldError, FormData, ModelMeta, Record};
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::{Value, context};
use serde::Deserialize;

use super::Pairs;
use crate::error::Result;
use crate::extract::{ModelParam, Submitted};
use crate::handlers::list::url_path_segment;
use crate::render::Templates;
use crate::session::{Ctx, reauth_redirect};
use crate::views::field_view;

/// How many records the confirmation page lists by name.
const SHOWN: usize = 100;

/// The `{action}` path segment.
#[derive(Debug, Deserialize)]
pub struct ActionPath {
    /// The action's name.
    pub action: String,
}

/// The selected keys: repeated `ids`; with `selection=1` the caller's stored
/// selection of the model, first brought up to date with the list page's
/// checkboxes (`ids`, `page_ids`, see [`super::selection::PageEdit`]), so what
/// the person saw checked is what runs; or with `select_all=1` every record
/// matching the list query the form carried (`q`, filters, `sort`), up to one
/// more than the batch limit, so the door can explain the limit. Past the limit
/// the refusal counts every matching record, as the list did.
async fn selected_keys(
    ctx: &Ctx,
    meta: &ModelMeta,
    action: &dyn DynAction,
    form: &FormData,
) -> Result<Vec<String>> {
    let service = ctx.service();
    if form.get("select_all") != Some("1") {
        if form.get("selection") != Some("1") {
            return Ok(form.all("ids").into_iter().map(str::to_owned).collect());
        }
        let edit = super::selection::PageEdit::from_form(form);
        service.change_selection(&ctx.caller, meta.slug, &edit.add, &edit.remove).await?;
        return Ok(service.selection(&ctx.caller, meta.slug).await?);
    }
    let is_list_param =
        |k: &str| k == "q" || k == "sort" || meta.filters.iter().any(|&i| k.starts_with(meta.fields[i].name));
    let params: Pairs = form
        .0
        .iter()
        .filter(|(k, _)| {
            !k.starts_with('_')
                && !matches!(
                    k.as_str(),
                    "ids"
                        | "page_ids"
                        | "select_all"
                        | "selection"
                        | "csrf_token"
                        | "confirm"
                        | "reason"
                        | "idempotency_key"
                )
        })
        .filter(|(k, _)| is_list_param(k.as_str()))
        .cloned()
        .collect();
    let query = service.query(&ctx.caller, meta.slug, &params)?;
    // A search or filter the list could not use would widen the selection to
    // records nobody saw: refuse rather than act on them.
    if !query.messages.is_empty() {
        return Err(
            CoreError::BadRequest(format!("{} Nothing was changed.", query.messages.join(" "))).into()
        );
    }
    let max = action.policy().max_batch as u64;
    let keys = service.keys(&ctx.caller, meta.slug, &query, max + 1).await?;
    if keys.len() as u64 > max {
        // Every matching record, as the list counts them (a cap past any table).
        let total = service.count(&ctx.caller, meta.slug, &query, i64::MAX as u64).await?;
        service.check_batch(&ctx.caller, meta.slug, action.name(), total)?;
    }
    Ok(keys)
}

/// The button's words: "Mark 12 accounts for manual review" reads best as the
/// label followed by the count: "Mark for manual review: 12 accounts".
fn button_label(action: &dyn DynAction, n: usize, approval: bool) -> String {
    let what = action.model().count_phrase(n as u64);
    if approval {
        format!("Ask for approval: {} ({what})", action.label())
    } else {
        format!("{}: {what}", action.label())
    }
}

/// The first four columns of the list the user may see: a record in a few words.
fn summary_columns(ctx: &Ctx, meta: &ModelMeta) -> Vec<usize> {
    visible_columns(meta, ctx.caller.staff()).into_iter().take(4).collect()
}

fn record_row(ctx: &Ctx, meta: &ModelMeta, r: &Record, preview: &Preview) -> Value {
    let prefix = ctx.state.prefix();
    let cells: Vec<String> =
        summary_columns(ctx, meta).iter().map(|&i| meta.fields[i].display(&r.cells[i])).collect();
    let (tried, changes, skipped) = trial_of(preview, &r.key);
    context! {
        key => &r.key,
        url => format!("{prefix}/{}/{}", meta.slug, url_path_segment(&r.key)),
        cells => cells,
        tried => tried,
        changes => changes,
        skipped => skipped,
    }
}

/// What the trial did to the record `key`: whether it was tried, its changes
/// ("Manual review: no → yes"), and why the run itself skipped it.
pub(crate) fn trial_of(preview: &Preview, key: &str) -> (bool, Vec<String>, Option<String>) {
    let tried = preview.trial.as_ref().and_then(|t| t.records.iter().find(|t| t.key == key));
    match tried.map(|t| (t, &t.outcome)) {
        Some((t, Outcome::Done(_))) => {
            let changes = t
                .changes
                .iter()
                .map(|c| format!("{}: {} \u{2192} {}", c.label, shown(&c.before), shown(&c.after)))
                .collect();
            (true, changes, None)
        }
        Some((_, Outcome::Skipped(why))) => (true, Vec::new(), Some(why.clone())),
        None => (false, Vec::new(), None),
    }
}

/// A value as the changes show it: an empty one as a dash.
fn shown(v: &str) -> &str {
    if v.is_empty() { "\u{2014}" } else { v }
}

/// The trial for the page: whether there is one, how many records it ran, how many
/// more will run the same way, the effects, and why it failed.
pub(crate) fn trial_view(p: &Preview) -> Value {
    let skipped = p
        .trial
        .as_ref()
        .map_or(0, |t| t.records.iter().filter(|r| matches!(r.outcome, Outcome::Skipped(_))).count());
    context! {
        ran => p.trial.is_some(),
        tried => p.trial.as_ref().map_or(0, |t| t.records.len()),
        skipped => skipped,
        more => thousands(p.not_tried() as u64),
        bounded => p.not_tried() > 0,
        effects => p.trial.as_ref().map(|t| t.effects.clone()).unwrap_or_default(),
        failed => &p.trial_failed,
    }
}

struct Confirm<'a> {
    ctx: &'a Ctx,
    meta: &'static ModelMeta,
    action: &'a Arc<dyn DynAction>,
    keys: Vec<String>,
    form: &'a FormData,
    errors: Vec<FieldError>,
    message: Option<String>,
    /// Give the form a new idempotency key instead of the one it came with.
    new_key: bool,
}

impl Confirm<'_> {
    fn error(&self, field: &str) -> Option<String> {
        self.errors.iter().find(|e| e.field.as_deref() == Some(field)).map(|e| e.message.clone())
    }

    /// The action's typed inputs as form controls.
    fn inputs(&self) -> Vec<Value> {
        let action = self.action.as_ref();
        let input_meta = ModelMeta {
            slug: self.meta.slug,
            label: action.label(),
            label_plural: action.label(),
            fields: action.input_fields(),
            pk: 0,
            list_display: &[],
            search: &[],
            filters: &[],
            ordering: &[],
            per_page: 1,
            reason_required: false,
        };
        let prefix = self.ctx.state.prefix();
        action
            .input_fields()
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let value = self.form.get(f.name).unwrap_or("");
                field_view(prefix, &input_meta, i, value, &Cell::Null, false, self.error(f.name).as_deref())
            })
            .collect()
    }

    /// The form's idempotency key: the one it came with, unless that was refused
    /// (or reused for another request), so the form can be sent again.
    fn idempotency_key(&self) -> Result<String> {
        match self.form.get("idempotency_key") {
            Some(k)
                if !k.is_empty()
                    && !self.new_key
                    && admin_core::kernel::text::is_lookup(k, admin_core::kernel::text::IDEMPOTENCY_KEY) =>
            {
                Ok(k.to_owned())
            }
            _ => Ok(admin_core::auth::random_hex(16)?),
        }
    }

    async fn render(self, status: StatusCode) -> Result<Response> {
        let (meta, prefix, action) = (self.meta, self.ctx.state.prefix(), self.action.as_ref());
        let service = self.ctx.service();
        // The trial needs the input: until the form has one that fits, only the
        // checks are shown.
        let input = action.parse_input(self.form).ok();
        let caller = self.ctx.caller_with_reason(self.form.get("reason"));
        let (_, preview) =
            service.preview_action(&caller, meta.slug, action.name(), &self.keys, input.as_ref()).await?;
        let policy = action.policy();
        let form_errors: Vec<String> = self
            .errors
            .iter()
            .filter(|e| matches!(e.field.as_deref(), None | Some("ids" | "idempotency_key")))
            .map(|e| e.message.clone())
            .collect();
        let ready: Vec<Value> =
            preview.ready.iter().take(SHOWN).map(|r| record_row(self.ctx, meta, r, &preview)).collect();
        let blocked: Vec<Value> = preview
            .blocked
            .iter()
            .take(SHOWN)
            .map(|b| context! { record => record_row(self.ctx, meta, &b.record, &preview), reason => &b.reason })
            .collect();
        let columns: Vec<&str> =
            summary_columns(self.ctx, meta).into_iter().map(|i| meta.fields[i].label).collect();
        let title = format!("{}?", action.label());
        let html = self.ctx.state.templates.render(
            &Templates::chain(meta.slug, "confirm_action.html"),
            context! {
                base => self.ctx.base(&title),
                model => context! { slug => meta.slug, label => meta.label, label_plural => meta.label_plural, noun_plural => meta.noun_plural() },
                action => context! {
                    name => action.name(), label => action.label(), description => action.description(),
                    dangerous => policy.dangerous, approval => policy.approval,
                },
                title => title,
                action_url => format!("{prefix}/{}/actions/{}", meta.slug, action.name()),
                list_url => format!("{prefix}/{}/", meta.slug),
                keys => preview.ready.iter().map(|r| r.key.clone()).collect::<Vec<_>>(),
                ready => ready,
                ready_count => preview.ready.len(),
                ready_more => preview.ready.len().saturating_sub(SHOWN),
                ready_phrase => meta.count_phrase(preview.ready.len() as u64),
                blocked => blocked,
                blocked_count => preview.blocked.len(),
                blocked_phrase => meta.count_phrase(preview.blocked.len() as u64),
                missing => preview.missing,
                columns => columns,
                trial => trial_view(&preview),
                needs_input => !action.input_fields().is_empty(),
                inputs => self.inputs(),
                reason => context! { required => policy.reason_required, value => self.form.get("reason").unwrap_or(""), error => self.error("reason"), max_length => admin_core::kernel::text::REASON },
                form_errors => form_errors,
                message => &self.message,
                limits => service.limit_status(&self.ctx.caller, meta.slug, action.name()).await?,
                idempotency_key => self.idempotency_key()?,
                button => button_label(action, preview.ready.len(), policy.approval),
            },
        )?;
        Ok((status, html).into_response())
    }
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
    let keys = if stored && form.get("select_all") != Some("1") {
        ctx.service().selection(&ctx.caller, meta.slug).await?
    } else {
        selected_keys(&ctx, meta, action.as_ref(), &form).await?
    };
    let page = Confirm {
        ctx: &ctx,
        meta,
        action: &action,
        keys,
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
    let keys = selected_keys(&ctx, meta, action.as_ref(), &form).await?;
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
    let request = ActionRequest {
        keys: keys.clone(),
        input,
        idempotency_key: form.get("idempotency_key").map(str::to_owned),
    };
    match ctx.service().run_action(&caller, meta.slug, &name, &request).await {
        Ok(ActionResult::Ran(report)) => ran(&ctx, meta, action.as_ref(), &report, false),
        Ok(ActionResult::AlreadyRan(report)) => ran(&ctx, meta, action.as_ref(), &report, true),
        Ok(ActionResult::Queued { id }) => {
            let msg = format!(
                "\u{201c}{}\u{201d} on {} was sent for approval: it waits for someone else to approve it. Nothing has changed yet.",
                action.label(),
                meta.count_phrase(keys.len() as u64)
            );
            ctx.flash(&msg).await;
            Ok(see_other(&format!("{}/approvals/{id}", ctx.state.prefix())))
        }
        Err(CoreError::Invalid(errors)) => confirm(errors, None, false).render(StatusCode::BAD_REQUEST).await,
        // A stale sign-in confirms the password, then starts again from the list.
        Err(e @ CoreError::ReauthRequired) => {
            Err(reauth_redirect(&ctx, &format!("{}/{}/", ctx.state.prefix(), meta.slug), e))
        }
        Err(e @ (CoreError::Forbidden(_) | CoreError::NotFound(_) | CoreError::Unauthenticated)) => {
            Err(e.into())
        }
        Err(e) if admin_core::action::idempotency::is_reused(&e) => {
            // The key came with another request before: nothing ran. The page comes
            // back with a new key, so confirming it again is a new request.
            let msg = format!(
                "{e} Nothing was changed. Check the {} and the reason below, then confirm to run it as a new request.",
                meta.noun_plural()
            );
            confirm(Vec::new(), Some(msg), true).render(StatusCode::CONFLICT).await
        }
        Err(e) => {
            let status =
                if e.is_server_error() { StatusCode::INTERNAL_SERVER_ERROR } else { StatusCode::CONFLICT };
            confirm(Vec::new(), Some(failure(action.as_ref(), &e)), false).render(status).await
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
