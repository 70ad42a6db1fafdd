//! The dashboard: the models this user may see, their work queues with counts, the
//! user's saved views, and approvals waiting for them.

use admin_core::model::thousands;
use admin_core::{FormData, ListQuery, notes};
use axum::extract::{Form, Path};
use axum::response::{Html, IntoResponse, Redirect, Response};
use minijinja::{Value, context};

use super::{Pairs, csrf_of};
use crate::error::Result;
use crate::render::query_string;
use crate::session::Ctx;

/// Queue counts stop here and show "10,000+", so the dashboard stays fast on big tables.
pub const QUEUE_COUNT_CAP: u64 = 10_000;

/// `GET {prefix}/`.
pub async fn show(ctx: Ctx) -> Result<Html<String>> {
    let prefix = ctx.state.prefix().to_owned();
    let models: Vec<Value> = ctx
        .state
        .registry
        .models()
        .filter(|m| ctx.may(m.as_ref(), "view"))
        .map(|m| {
            let meta = m.meta();
            context! {
                label_plural => meta.label_plural,
                url => format!("{prefix}/{}/", meta.slug),
                add_url => ctx.may(m.as_ref(), "add").then(|| format!("{prefix}/{}/new", meta.slug)),
                noun => meta.label.to_lowercase(),
            }
        })
        .collect();
    let mut queues = Vec::new();
    for q in ctx.state.registry.queues() {
        let Some(model) = ctx.state.registry.get(q.model) else { continue };
        if !ctx.may(model.as_ref(), "view") {
            continue;
        }
        let query = ListQuery::parse(model.as_ref(), &q.query, &ctx.staff);
        let n = model.count_capped(&ctx.state.db, &query, QUEUE_COUNT_CAP + 1).await?;
        let count =
            if n > QUEUE_COUNT_CAP { format!("{}+", thousands(QUEUE_COUNT_CAP)) } else { thousands(n) };
        queues.push(context! {
            label => &q.label,
            count => count,
            empty => n == 0,
            url => format!("{prefix}/{}/{}", q.model, query_string(&q.query)),
        });
    }
    let views: Vec<Value> = notes::views_of(&ctx.state.db, ctx.staff.id)
        .await?
        .into_iter()
        .filter_map(|v| {
            let model = ctx.state.registry.get(&v.model)?;
            ctx.may(model.as_ref(), "view").then(|| {
                let qs = if v.query.is_empty() { String::new() } else { format!("?{}", v.query) };
                context! {
                    id => v.id, name => v.name, model => model.meta().label_plural,
                    url => format!("{prefix}/{}/{qs}", v.model),
                    delete_url => format!("{prefix}/views/{}/delete", v.id),
                }
            })
        })
        .collect();
    let (_, waiting) = admin_core::approval::list(&ctx.state.db, Some("pending"), None, None, 0, 1).await?;
    let decider = ctx.staff.may("approvals.decide");
    ctx.state.templates.render(
        &["admin/dashboard.html".to_owned()],
        context! {
            base => ctx.base("Dashboard"),
            models => models,
            queues => queues,
            views => views,
            approvals_waiting => (decider && waiting > 0).then(|| thousands(waiting)),
        },
    )
}

/// `POST {prefix}/{model}/views`: `name`, `query` (the list's query string).
pub async fn save_view(
    ctx: Ctx,
    crate::extract::ModelParam(model): crate::extract::ModelParam,
    Form(form): Form<Pairs>,
) -> Result<Response> {
    let form = FormData::from(form);
    ctx.check_csrf(csrf_of(&form))?;
    admin_core::service::require(&ctx.staff, model.as_ref(), "view")?;
    let meta = model.meta();
    // Keep only what a list understands, and never the page.
    let query: Pairs = form::urlencoded_pairs(form.get("query").unwrap_or(""))
        .into_iter()
        .filter(|(k, _)| k != "page" && !k.starts_with('_'))
        .collect();
    let qs = query_string(&query);
    let unreadable = query.iter().any(|(k, v)| {
        admin_core::text::has_control(k, admin_core::text::Lines::One)
            || admin_core::text::has_control(v, admin_core::text::Lines::One)
    });
    let saved = if unreadable {
        Err(admin_core::Error::Invalid(vec![admin_core::FieldError::field(
            "query",
            "The list's search or filters have control characters (such as a NUL byte).",
        )]))
    } else {
        notes::save_view(
            &ctx.state.db,
            ctx.staff.id,
            meta.slug,
            form.get("name").unwrap_or(""),
            qs.trim_start_matches('?'),
        )
        .await
    };
    // Back to the list with its query, unless the query is what was refused.
    let mut back = format!("{}/{}/", ctx.state.prefix(), meta.slug);
    match saved {
        Ok(v) => {
            ctx.flash(&format!("Saved the view \u{201c}{}\u{201d}; it is on your dashboard.", v.name)).await;
            back.push_str(&qs);
        }
        Err(admin_core::Error::Invalid(errs)) => {
            let msg = errs.iter().map(|e| e.message.clone()).collect::<Vec<_>>().join(" ");
            ctx.flash(&format!("The view was not saved: {msg}")).await;
            if !unreadable && qs.len() <= admin_core::text::VIEW_QUERY {
                back.push_str(&qs);
            }
        }
        Err(e) => return Err(e.into()),
    }
    Ok(Redirect::to(&back).into_response())
}

/// `POST {prefix}/views/{id}/delete`.
pub async fn delete_view(ctx: Ctx, Path(id): Path<String>, Form(form): Form<Pairs>) -> Result<Response> {
    let form = FormData::from(form);
    ctx.check_csrf(csrf_of(&form))?;
    let id: i64 =
        id.parse().map_err(|_| admin_core::Error::NotFound(format!("You have no saved view {id}.")))?;
    notes::delete_view(&ctx.state.db, ctx.staff.id, id).await?;
    ctx.flash("The saved view was deleted.").await;
    Ok(Redirect::to(&format!("{}/", ctx.state.prefix())).into_response())
}

mod form {
    /// Parses a query string into pairs.
    pub fn urlencoded_pairs(raw: &str) -> Vec<(String, String)> {
        form_urlencoded::parse(raw.trim_start_matches('?').as_bytes()).into_owned().collect()
    }
}
