//! Delete, through a confirmation page that says what else would be affected.

use admin_core::{Error as CoreError, FormData, ModelAdmin, service};
use axum::extract::{Form, Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::{Value, context};

use super::{Pairs, csrf_of, list_url, safe_back};
use crate::error::Result;
use crate::extract::{ModelParam, record_key};
use crate::handlers::list::url_path_segment;
use crate::render::Templates;
use crate::session::Ctx;

async fn render(
    ctx: &Ctx,
    model: &dyn ModelAdmin,
    key: &str,
    back: &str,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response> {
    let meta = model.meta();
    let prefix = ctx.state.prefix();
    let plan = service::plan_delete(&ctx.state.db, &ctx.staff, &ctx.state.registry, model, key).await?;
    let blockers: Vec<Value> = plan
        .blockers
        .iter()
        .map(|(rel, n)| {
            let m = rel.admin.meta();
            let mut s = form_urlencoded::Serializer::new(String::new());
            s.append_pair(m.fields[rel.field].name, &plan.record.key);
            context! { phrase => m.count_phrase(*n), url => format!("{prefix}/{}/?{}", m.slug, s.finish()) }
        })
        .collect();
    let summary: Vec<Value> = meta
        .list_display
        .iter()
        .filter(|&&i| !admin_core::permission::hidden(&ctx.staff, &meta.fields[i]))
        .map(|&i| context! { label => meta.fields[i].label, value => meta.fields[i].display(&plan.record.cells[i]) })
        .collect();
    let title = format!("Delete {}", plan.record.title(meta).to_lowercase());
    let html = ctx.state.templates.render(
        &Templates::chain(meta.slug, "delete.html"),
        context! {
            base => ctx.base(&title),
            model => context! { slug => meta.slug, label => meta.label, label_plural => meta.label_plural },
            title => title,
            record_title => plan.record.title(meta),
            detail_url => format!("{prefix}/{}/{}", meta.slug, url_path_segment(&plan.record.key)),
            action_url => format!("{prefix}/{}/{}/delete", meta.slug, url_path_segment(&plan.record.key)),
            list_url => list_url(prefix, meta.slug, back),
            back => back.trim_start_matches('?'),
            summary => summary,
            blocked => plan.blocked_reason(model),
            blockers => blockers,
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
    Path(path): Path<Pairs>,
    Query(q): Query<Pairs>,
) -> Result<Response> {
    let back = safe_back(q.iter().find(|(k, _)| k == "_back").map(|(_, v)| v.as_str()));
    render(&ctx, model.as_ref(), &record_key(&path), &back, None, StatusCode::OK).await
}

/// `POST {prefix}/{model}/{id}/delete`: fields `csrf_token`, `_version`, `_back`.
pub async fn delete(
    ctx: Ctx,
    ModelParam(model): ModelParam,
    Path(path): Path<Pairs>,
    Form(form): Form<Pairs>,
) -> Result<Response> {
    let form = FormData::from(form);
    ctx.check_csrf(csrf_of(&form))?;
    let key = record_key(&path);
    let back = safe_back(form.get("_back"));
    let meta = model.meta();
    let version = form.get("_version").unwrap_or("");
    let audit = ctx.audit(form.get("_reason"));
    match service::delete(&ctx.state.db, &audit, &ctx.state.registry, model.as_ref(), &key, version).await {
        Ok(record) => {
            ctx.flash(&format!("{} deleted.", record.title(meta))).await;
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
