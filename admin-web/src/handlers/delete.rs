//! Delete, through a confirmation page that says what else would be affected.

use admin_core::Error as CoreError;
use admin_core::list::query::ModelFields;
use admin_core::list::view::visible_columns;
use admin_core::service::DeletePlan;
use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::{Value, context};
use serde::Deserialize;

use super::detail::BackQuery;
use super::list_url;
use crate::error::Result;
use crate::extract::{ModelParam, RecordKey, Submitted};
use crate::handlers::list::url_path_segment;
use crate::render::Templates;
use crate::session::Ctx;

/// The delete form: the version the person saw, the list to go back to, and why.
#[derive(Debug, Default, Deserialize)]
pub struct DeleteForm {
    /// The record's version when the page was shown.
    #[serde(rename = "_version", default)]
    pub version: String,
    /// The list's query string.
    #[serde(rename = "_back")]
    pub back: Option<String>,
    /// Why, for the audit log.
    #[serde(rename = "_reason")]
    pub reason: Option<String>,
}

/// The records elsewhere that keep this one from being deleted, as links to them.
fn blockers(prefix: &str, plan: &DeletePlan) -> Vec<Value> {
    plan.blockers
        .iter()
        .map(|(rel, n)| {
            let m = rel.meta();
            let mut s = form_urlencoded::Serializer::new(String::new());
            s.append_pair(m.fields[rel.field].name, &plan.record.key);
            context! { phrase => m.count_phrase(*n), url => format!("{prefix}/{}/?{}", m.slug, s.finish()) }
        })
        .collect()
}

async fn render(
    ctx: &Ctx,
    model: &dyn ModelFields,
    key: &str,
    back: &str,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response> {
    let (meta, prefix) = (model.meta(), ctx.state.prefix());
    let plan = ctx.service().plan_delete(&ctx.caller, meta.slug, key).await?;
    let summary: Vec<Value> = visible_columns(meta, ctx.caller.staff())
        .into_iter()
        .map(|i| context! { label => meta.fields[i].label, value => meta.fields[i].display(&plan.record.cells[i]) })
        .collect();
    // The record's name as it is written (a display name keeps its capitals).
    let title = ctx.t("delete-submit", &[("title", plan.record.title(meta).into())]);
    let record_url = format!("{prefix}/{}/{}", meta.slug, url_path_segment(&plan.record.key));
    let html = ctx.state.templates.render(
        &Templates::chain(meta.slug, "delete.html"),
        context! {
            base => ctx.base(&title),
            model => context! { slug => meta.slug, label => meta.label, label_plural => meta.label_plural },
            title => title,
            record_title => plan.record.title(meta),
            action_url => format!("{record_url}/delete"),
            detail_url => record_url,
            list_url => list_url(prefix, meta.slug, back),
            back => back.trim_start_matches('?'),
            summary => summary,
            blocked => plan.blocked_reason(model.meta()),
            blockers => blockers(prefix, &plan),
            version => plan.record.version(),
            error => error,
        },
    )?;
    Ok((status, html).into_response())
}

/// `GET {prefix}/{model}/{id}/delete`: the confirmation page.
pub async fn confirm(
    ctx: Ctx,
    ModelParam(model): ModelParam,
    RecordKey(key): RecordKey,
    Query(q): Query<BackQuery>,
) -> Result<Response> {
    render(&ctx, model.as_ref(), &key, &q.safe(), None, StatusCode::OK).await
}

/// `POST {prefix}/{model}/{id}/delete`: fields `csrf_token`, `_version`, `_back`, `_reason`.
pub async fn delete(
    ModelParam(model): ModelParam,
    RecordKey(key): RecordKey,
    Submitted(ctx, form): Submitted<DeleteForm>,
) -> Result<Response> {
    let meta = model.meta();
    let back = super::safe_back(form.back.as_deref());
    let caller = ctx.caller_with_reason(form.reason.as_deref());
    match ctx.service().delete(&caller, meta.slug, &key, &form.version).await {
        Ok(record) => {
            ctx.flash_t("flash-deleted", &[("title", record.title(meta).into())]).await;
            Ok(Redirect::to(&list_url(ctx.state.prefix(), meta.slug, &back)).into_response())
        }
        Err(CoreError::Refused(reason)) => {
            render(&ctx, model.as_ref(), &key, &back, Some(reason), StatusCode::CONFLICT).await
        }
        Err(CoreError::Conflict { .. }) => {
            let msg = "Someone else changed this record after you opened this page, so it was not deleted. Review it as it is now before deleting.".to_owned();
            render(&ctx, model.as_ref(), &key, &back, Some(msg), StatusCode::CONFLICT).await
        }
        Err(e) => Err(e.into()),
    }
}
