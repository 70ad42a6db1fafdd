//! The dashboard: the models this user may see, their work queues and tiles with
//! counts (in sections), the user's saved views, and approvals waiting for them.

use admin_core::service::TileLink;
use axum::extract::Path;
use axum::response::{Html, IntoResponse, Redirect, Response};
use minijinja::{Value, context};
use serde::Deserialize;

use super::Pairs;
use crate::error::Result;
use crate::extract::{ModelParam, Submitted};
use crate::render::query_string;
use crate::session::Ctx;

/// Queue counts stop here and show "10,000+", so the dashboard stays fast on big tables.
pub const QUEUE_COUNT_CAP: u64 = 10_000;

/// `GET {prefix}/`.
pub async fn show(ctx: Ctx) -> Result<Html<String>> {
    let (service, prefix) = (ctx.service(), ctx.state.prefix());
    let models: Vec<Value> = service
        .models(&ctx.caller)
        .into_iter()
        .map(|meta| {
            context! {
                label_plural => meta.label_plural,
                url => format!("{prefix}/{}/", meta.slug),
                add_url => service.may(&ctx.caller, meta.slug, "add").then(|| format!("{prefix}/{}/new", meta.slug)),
                noun => meta.label.to_lowercase(),
            }
        })
        .collect();
    let waiting = service.pending_approvals(&ctx.caller).await?;
    let (queues, tile_sections) = tiles(&ctx).await?;
    ctx.state.templates.render(
        &["admin/dashboard.html".to_owned()],
        context! {
            base => ctx.base(&ctx.t("dashboard-title", &[])),
            models => models,
            queues => queues,
            tile_sections => tile_sections,
            views => views(&ctx).await?,
            approvals_waiting => (waiting > 0).then_some(waiting),
            worker_warning => service.worker_warning(&ctx.caller).await?,
            jobs => jobs(&ctx).await?,
        },
    )
}

/// The work queues and tiles the user may see, with capped counts: those without
/// a section (the work queues), and the sections of the others in the order their
/// first tile was added.
async fn tiles(ctx: &Ctx) -> Result<(Vec<Value>, Vec<Value>)> {
    let (service, prefix) = (ctx.service(), ctx.state.prefix());
    let (mut queues, mut sections): (Vec<Value>, Vec<(String, Vec<Value>)>) = (Vec::new(), Vec::new());
    for tile in service.tiles(&ctx.caller, QUEUE_COUNT_CAP + 1).await? {
        let count = tile.count.map(|n| {
            if n > QUEUE_COUNT_CAP { format!("{}+", ctx.number(QUEUE_COUNT_CAP)) } else { ctx.number(n) }
        });
        let url = match &tile.link {
            TileLink::List { model, query } => Some(format!("{prefix}/{model}/{}", query_string(query))),
            TileLink::Path(path) => Some(format!("{prefix}{path}")),
            _ => None,
        };
        let value =
            context! { label => tile.label, empty => tile.count == Some(0), count => count, url => url };
        match tile.section {
            None => queues.push(value),
            Some(label) => match sections.iter_mut().find(|(s, _)| *s == label) {
                Some((_, tiles)) => tiles.push(value),
                None => sections.push((label, vec![value])),
            },
        }
    }
    // Effects that failed for good wait for someone to retry or give them up.
    if ctx.caller.may("effects.view") {
        let n = service.failed_effects(&ctx.caller).await?;
        queues.push(context! {
            label => ctx.t("dashboard-failed-effects", &[]), count => ctx.number(n), empty => n == 0,
            url => format!("{prefix}/effects/?state=failed"),
        });
    }
    let sections = sections.into_iter().map(|(label, tiles)| context! { label => label, tiles => tiles });
    Ok((queues, sections.collect()))
}

/// Background jobs that are not finished, and those that failed, the caller may
/// see (their own, or everyone's with `jobs.view`): the newest ten.
async fn jobs(ctx: &Ctx) -> Result<Vec<Value>> {
    use admin_core::job::JobState as S;
    let states = vec![S::AwaitingApproval, S::Queued, S::Running, S::Paused, S::Failed];
    let filter = admin_core::job::Filter { states, ..Default::default() };
    let (jobs, _) = ctx.service().jobs(&ctx.caller, &filter, 0, 10).await?;
    Ok(jobs.iter().map(|j| super::jobs::job_view(ctx, j)).collect())
}

/// The user's saved views of models they may still view.
async fn views(ctx: &Ctx) -> Result<Vec<Value>> {
    let (service, prefix) = (ctx.service(), ctx.state.prefix());
    Ok(service
        .saved_views(&ctx.caller)
        .await?
        .into_iter()
        .filter(|v| service.may(&ctx.caller, &v.model, "view"))
        .filter_map(|v| {
            let model = service.model(&v.model).ok()?;
            let qs = if v.query.is_empty() { String::new() } else { format!("?{}", v.query) };
            Some(context! {
                id => v.id, name => v.name, model => model.label_plural,
                url => format!("{prefix}/{}/{qs}", v.model),
                delete_url => format!("{prefix}/views/{}/delete", v.id),
            })
        })
        .collect())
}

/// The form that saves a list view: its name and the list's query string.
#[derive(Debug, Default, Deserialize)]
pub struct SaveViewForm {
    /// The view's name.
    #[serde(default)]
    pub name: String,
    /// The list's query string.
    #[serde(default)]
    pub query: String,
}

/// Keeps only what a list understands from a query string, and never the page;
/// `None` when it has control characters (a NUL byte, say).
fn list_query(raw: &str) -> Option<String> {
    let query: Pairs = form_urlencoded::parse(raw.trim_start_matches('?').as_bytes())
        .into_owned()
        .filter(|(k, _)| k != "page" && !k.starts_with('_'))
        .collect();
    let unreadable = query.iter().any(|(k, v)| {
        admin_core::kernel::text::has_control(k, admin_core::kernel::text::Lines::One)
            || admin_core::kernel::text::has_control(v, admin_core::kernel::text::Lines::One)
    });
    (!unreadable).then(|| query_string(&query))
}

/// `POST {prefix}/{model}/views`: `name`, `query` (the list's query string).
pub async fn save_view(
    ModelParam(model): ModelParam,
    Submitted(ctx, form): Submitted<SaveViewForm>,
) -> Result<Response> {
    let meta = model.meta();
    let service = ctx.service();
    service.require(&ctx.caller, meta.slug, "view")?;
    let qs = list_query(&form.query);
    let saved = match &qs {
        Some(qs) => service.save_view(&ctx.caller, meta.slug, &form.name, qs.trim_start_matches('?')).await,
        None => Err(admin_core::Error::Invalid(vec![admin_core::FieldError::field(
            "query",
            "The list's search or filters have control characters (such as a NUL byte).",
        )])),
    };
    // Back to the list with its query, unless the query is what was refused.
    let mut back = format!("{}/{}/", ctx.state.prefix(), meta.slug);
    match saved {
        Ok(v) => {
            ctx.flash_t("flash-view-saved", &[("name", v.name.clone().into())]).await;
            back.push_str(qs.as_deref().unwrap_or(""));
        }
        Err(admin_core::Error::Invalid(errs)) => {
            let msg = errs.iter().map(|e| e.message.clone()).collect::<Vec<_>>().join(" ");
            ctx.flash(&format!("The view was not saved: {msg}")).await;
            back.push_str(
                qs.as_deref().filter(|qs| qs.len() <= admin_core::kernel::text::VIEW_QUERY).unwrap_or(""),
            );
        }
        Err(e) => return Err(e.into()),
    }
    Ok(Redirect::to(&back).into_response())
}

/// `POST {prefix}/views/{id}/delete`.
pub async fn delete_view(Path(id): Path<String>, Submitted(ctx, _): Submitted<Pairs>) -> Result<Response> {
    let id: i64 =
        id.parse().map_err(|_| admin_core::Error::NotFound(format!("You have no saved view {id}.")))?;
    ctx.service().delete_view(&ctx.caller, id).await?;
    ctx.flash_t("flash-view-deleted", &[]).await;
    Ok(Redirect::to(&format!("{}/", ctx.state.prefix())).into_response())
}
