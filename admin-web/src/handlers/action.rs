//! Running actions from the screens: the confirmation page, the run, the result.
//!
//! `POST {prefix}/{model}/actions/{action}` without `confirm=1` shows what the action
//! would do (the records, the blocked ones and why, the typed input form, the reason
//! field); with `confirm=1` it runs through [`service::run_action`], the same path as
//! the JSON API and scripts, or queues the request for approval.

use std::sync::Arc;

use admin_core::action::{DynAction, Report};
use admin_core::field::Cell;
use admin_core::model::thousands;
use admin_core::service::{self, ActionRequest, ActionResult};
use admin_core::{Error as CoreError, FieldError, FormData, ListQuery, ModelAdmin, ModelMeta, Record};
use axum::extract::{Form, Path};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use minijinja::{Value, context};

use super::{Pairs, csrf_of};
use crate::error::Result;
use crate::extract::ModelParam;
use crate::handlers::list::url_path_segment;
use crate::render::Templates;
use crate::session::Ctx;
use crate::views::field_view;

/// How many records the confirmation page lists by name.
const SHOWN: usize = 100;

/// The selected keys: repeated `ids`, or with `select_all=1` every record matching
/// the list query the form carried (`q`, filters, `sort`), up to one more than the
/// batch limit so the limit can be explained.
async fn selected_keys(
    ctx: &Ctx,
    model: &dyn ModelAdmin,
    action: &dyn DynAction,
    form: &FormData,
) -> Result<Vec<String>> {
    if form.get("select_all") == Some("1") {
        let params: Pairs = form
            .0
            .iter()
            .filter(|(k, _)| {
                !k.starts_with('_')
                    && !matches!(
                        k.as_str(),
                        "ids" | "select_all" | "csrf_token" | "confirm" | "reason" | "idempotency_key"
                    )
            })
            .filter(|(k, _)| {
                k == "q"
                    || k == "sort"
                    || model.meta().filters.iter().any(|&i| k.starts_with(model.meta().fields[i].name))
            })
            .cloned()
            .collect();
        let query = ListQuery::parse(model, &params, &ctx.staff);
        // A search or filter the list could not use would widen the selection to
        // records nobody saw: refuse rather than act on them.
        if !query.messages.is_empty() {
            return Err(
                CoreError::BadRequest(format!("{} Nothing was changed.", query.messages.join(" "))).into()
            );
        }
        let limit = action.policy().max_batch as u64 + 1;
        let rows = service::list_keys(&ctx.state.db, &ctx.staff, model, &query, limit).await?;
        return Ok(rows);
    }
    Ok(form.all("ids").into_iter().map(str::to_owned).collect())
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

fn record_row(ctx: &Ctx, meta: &ModelMeta, r: &Record) -> Value {
    let prefix = ctx.state.prefix();
    let cols: Vec<usize> = meta
        .list_display
        .iter()
        .copied()
        .filter(|&i| !admin_core::permission::hidden(&ctx.staff, &meta.fields[i]))
        .take(4)
        .collect();
    let cells: Vec<String> = cols.iter().map(|&i| meta.fields[i].display(&r.cells[i])).collect();
    context! {
        key => &r.key,
        url => format!("{prefix}/{}/{}", meta.slug, url_path_segment(&r.key)),
        cells => cells,
    }
}

struct Confirm<'a> {
    ctx: &'a Ctx,
    model: &'a dyn ModelAdmin,
    action: &'a Arc<dyn DynAction>,
    keys: Vec<String>,
    form: &'a FormData,
    errors: Vec<FieldError>,
    message: Option<String>,
    /// Give the form a new idempotency key instead of the one it came with.
    new_key: bool,
}

impl Confirm<'_> {
    async fn render(self, status: StatusCode) -> Result<Response> {
        let meta = self.model.meta();
        let prefix = self.ctx.state.prefix();
        let action = self.action.as_ref();
        let (_, preview) = service::action_preview(
            &self.ctx.state.db,
            &self.ctx.staff,
            &self.ctx.state.registry,
            meta.slug,
            action.name(),
            &self.keys,
        )
        .await?;
        let policy = action.policy();
        let err =
            |f: &str| self.errors.iter().find(|e| e.field.as_deref() == Some(f)).map(|e| e.message.clone());
        let input_meta = admin_core::ModelMeta {
            slug: meta.slug,
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
        let inputs: Vec<Value> = action
            .input_fields()
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let value = self.form.get(f.name).unwrap_or("");
                field_view(prefix, &input_meta, i, value, &Cell::Null, false, err(f.name).as_deref())
            })
            .collect();
        let form_errors: Vec<String> = self
            .errors
            .iter()
            .filter(|e| matches!(e.field.as_deref(), None | Some("ids" | "idempotency_key")))
            .map(|e| e.message.clone())
            .collect();
        let ready: Vec<Value> =
            preview.ready.iter().take(SHOWN).map(|r| record_row(self.ctx, meta, r)).collect();
        let blocked: Vec<Value> = preview
            .blocked
            .iter()
            .take(SHOWN)
            .map(|b| context! { record => record_row(self.ctx, meta, &b.record), reason => &b.reason })
            .collect();
        let columns: Vec<&str> = meta
            .list_display
            .iter()
            .copied()
            .filter(|&i| !admin_core::permission::hidden(&self.ctx.staff, &meta.fields[i]))
            .take(4)
            .map(|i| meta.fields[i].label)
            .collect();
        let idempotency_key = match self.form.get("idempotency_key") {
            // A key that was refused (or reused for another request) is replaced, so
            // the form can be sent again.
            Some(k)
                if !k.is_empty()
                    && !self.new_key
                    && admin_core::text::is_lookup(k, admin_core::text::IDEMPOTENCY_KEY) =>
            {
                k.to_owned()
            }
            _ => admin_core::auth::random_hex(16)?,
        };
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
                inputs => inputs,
                reason => context! { required => policy.reason_required, value => self.form.get("reason").unwrap_or(""), error => err("reason"), max_length => admin_core::text::REASON },
                form_errors => form_errors,
                message => self.message,
                idempotency_key => idempotency_key,
                button => button_label(action, preview.ready.len(), policy.approval),
            },
        )?;
        Ok((status, html).into_response())
    }
}

/// `POST {prefix}/{model}/actions/{action}`: fields `csrf_token`, `ids` (repeated) or
/// `select_all=1` with the list's query; with `confirm=1` also the typed inputs,
/// `reason` and `idempotency_key`.
pub async fn submit(
    ctx: Ctx,
    ModelParam(model): ModelParam,
    Path(path): Path<Pairs>,
    Form(form): Form<Pairs>,
) -> Result<Response> {
    let form = FormData::from(form);
    ctx.check_csrf(csrf_of(&form))?;
    let meta = model.meta();
    let name = path.iter().find(|(k, _)| k == "action").map(|(_, v)| v.clone()).unwrap_or_default();
    let action = service::action_for(&ctx.staff, &ctx.state.registry, meta.slug, &name)?;
    if action.policy().recent_auth {
        let back: axum::http::Uri = format!("{}/{}/", ctx.state.prefix(), meta.slug)
            .parse()
            .map_err(|_| CoreError::Internal("bad list path".to_owned()))?;
        crate::session::require_recent_auth(&ctx, &back)?;
    }
    let keys = selected_keys(&ctx, model.as_ref(), action.as_ref(), &form).await?;
    let confirm = |errors: Vec<FieldError>, message: Option<String>, keys: Vec<String>| Confirm {
        ctx: &ctx,
        model: model.as_ref(),
        action: &action,
        keys,
        form: &form,
        errors,
        message,
        new_key: false,
    };
    if keys.is_empty() {
        let msg = format!("Select at least one of the {} first, then choose the action.", meta.noun_plural());
        return Err(CoreError::BadRequest(msg).into());
    }
    if keys.len() > action.policy().max_batch {
        let msg = format!(
            "You selected {} {}; \u{201c}{}\u{201d} takes at most {} at a time. Narrow the list with a search or filters and try again.",
            thousands(keys.len() as u64),
            meta.noun_plural(),
            action.label(),
            thousands(action.policy().max_batch as u64)
        );
        return Err(CoreError::Refused(msg).into());
    }
    if form.get("confirm") != Some("1") {
        return confirm(Vec::new(), None, keys).render(StatusCode::OK).await;
    }
    let input = match action.parse_input(&form) {
        Ok(v) => v,
        Err(errors) => return confirm(errors, None, keys).render(StatusCode::BAD_REQUEST).await,
    };
    let audit = ctx.audit(form.get("reason"));
    let request = ActionRequest {
        keys: keys.clone(),
        input,
        idempotency_key: form.get("idempotency_key").map(str::to_owned),
    };
    match service::run_action(&ctx.state.db, &audit, &ctx.state.registry, meta.slug, &name, &request).await {
        Ok(ActionResult::Ran(report)) => result_page(&ctx, meta, action.as_ref(), &report, false),
        Ok(ActionResult::AlreadyRan(report)) => result_page(&ctx, meta, action.as_ref(), &report, true),
        Ok(ActionResult::Queued { id }) => queued_page(&ctx, meta, action.as_ref(), id, keys.len()),
        Err(CoreError::Invalid(errors)) => confirm(errors, None, keys).render(StatusCode::BAD_REQUEST).await,
        Err(e @ (CoreError::Forbidden(_) | CoreError::NotFound(_) | CoreError::Unauthenticated)) => {
            Err(e.into())
        }
        Err(e) if admin_core::idempotency::is_reused(&e) => {
            // The key came with another request before: nothing ran. The page comes
            // back with a new key, so confirming it again is a new request.
            let msg = format!(
                "{e} Nothing was changed. Check the {} and the reason below, then confirm to run it as a new request.",
                meta.noun_plural()
            );
            let mut page = confirm(Vec::new(), Some(msg), keys);
            page.new_key = true;
            page.render(StatusCode::CONFLICT).await
        }
        Err(e) => {
            // The run failed: nothing was changed. Say so, with what failed.
            let what = match &e {
                CoreError::Refused(m) | CoreError::BadRequest(m) => m.clone(),
                CoreError::Db(db) => {
                    tracing::error!(action = %name, error = %db, "action failed in the database");
                    "the database refused the change".to_owned()
                }
                other => {
                    tracing::error!(action = %name, error = %other, "action failed");
                    other.to_string()
                }
            };
            let msg = format!("\u{201c}{}\u{201d} failed: {what} Nothing was changed.", action.label());
            let status =
                if e.is_server_error() { StatusCode::INTERNAL_SERVER_ERROR } else { StatusCode::CONFLICT };
            confirm(Vec::new(), Some(msg), keys).render(status).await
        }
    }
}

fn result_page(
    ctx: &Ctx,
    meta: &ModelMeta,
    action: &dyn DynAction,
    report: &Report,
    repeated: bool,
) -> Result<Response> {
    let prefix = ctx.state.prefix();
    let link = |k: &str| format!("{prefix}/{}/{}", meta.slug, url_path_segment(k));
    let done: Vec<Value> =
        report.done.iter().map(|(k, note)| context! { key => k, url => link(k), note => note }).collect();
    let skipped: Vec<Value> = report
        .skipped
        .iter()
        .map(|(k, reason)| context! { key => k, url => link(k), reason => reason })
        .collect();
    let summary = format!(
        "{}: {} done{}.",
        action.label(),
        thousands(report.done.len() as u64),
        if report.skipped.is_empty() { String::new() } else { format!(", {} skipped", report.skipped.len()) }
    );
    let audit_url = format!("{prefix}/audit?model={}&kind=action%3A{}", meta.slug, action.name());
    let html = ctx.state.templates.render(
        &Templates::chain(meta.slug, "action_result.html"),
        context! {
            base => ctx.base(action.label()),
            model => context! { slug => meta.slug, label => meta.label, label_plural => meta.label_plural },
            title => action.label(),
            summary => summary,
            repeated => repeated,
            done => done,
            skipped => skipped,
            audit_url => audit_url,
            audit_seqs => report.audit_seqs.map(|(a, b)| if a == b { format!("entry {a}") } else { format!("entries {a}–{b}") }),
            list_url => format!("{prefix}/{}/", meta.slug),
        },
    )?;
    Ok(html.into_response())
}

fn queued_page(ctx: &Ctx, meta: &ModelMeta, action: &dyn DynAction, id: i64, n: usize) -> Result<Response> {
    let prefix = ctx.state.prefix();
    let html = ctx.state.templates.render(
        &Templates::chain(meta.slug, "action_queued.html"),
        context! {
            base => ctx.base("Sent for approval"),
            model => context! { slug => meta.slug, label => meta.label, label_plural => meta.label_plural },
            action => action.label(),
            what => meta.count_phrase(n as u64),
            request_url => format!("{prefix}/approvals/{id}"),
            id => id,
            list_url => format!("{prefix}/{}/", meta.slug),
        },
    )?;
    Ok((StatusCode::ACCEPTED, html).into_response())
}
