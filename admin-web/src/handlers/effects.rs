//! Effects: what actions asked to happen outside the database (mail, calls), their
//! state, and retrying or giving up a failed one.

use admin_core::Error as CoreError;
use admin_core::effect::{Filter, STATES, StoredEffect, state_label};
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::{Value, context};
use serde::Deserialize;

use super::Pairs;
use crate::error::Result;
use crate::extract::Submitted;
use crate::handlers::list::url_path_segment;
use crate::render::query_string;
use crate::session::Ctx;

/// Effects per page.
const PER_PAGE: u64 = 50;

/// One effect as a row of the list, the record's section and its page.
pub fn effect_row(ctx: &Ctx, e: &StoredEffect) -> Value {
    let prefix = ctx.state.prefix();
    let record_url = match (&e.model, &e.object_id) {
        (Some(m), Some(k)) if ctx.state.registry.model(m).is_some() => {
            Some(format!("{prefix}/{m}/{}", url_path_segment(k)))
        }
        _ => None,
    };
    let record_label = match (&e.model, &e.object_id) {
        (Some(m), Some(k)) => {
            Some(format!("{} {k}", ctx.state.registry.model(m).map_or(m.as_str(), |meta| meta.label)))
        }
        _ => None,
    };
    context! {
        id => e.id,
        url => format!("{prefix}/effects/{}", e.id),
        summary => &e.summary,
        kind => &e.kind,
        state => &e.state,
        state_label => e.state_label(),
        attempts => e.attempts,
        last_error => &e.last_error,
        outcome => &e.outcome,
        created_at => e.created_at.format("%Y-%m-%d %H:%M").to_string(),
        finished_at => e.finished_at.map(|t| t.format("%Y-%m-%d %H:%M").to_string()),
        next_attempt_at => e.next_attempt_at.filter(|_| e.state == "queued").map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string()),
        record_url => record_url,
        record_label => record_label,
        run_id => e.run_id,
        given_up_by => e.given_up.as_ref().map(|(by, _)| by.clone()),
        given_up_reason => e.given_up.as_ref().map(|(_, why)| why.clone()),
    }
}

/// The list's query: `state`, `page`.
#[derive(Deserialize, Default)]
pub struct EffectsQuery {
    /// One of the states (`failed`).
    pub state: Option<String>,
    /// The page, from 1.
    pub page: Option<String>,
}

fn list_url(prefix: &str, state: Option<&str>, page: u64) -> String {
    state_page_url(&format!("{prefix}/effects/"), state, page)
}

/// A list filtered by `state` at `page` (the effects', the background jobs').
pub(super) fn state_page_url(list: &str, state: Option<&str>, page: u64) -> String {
    let mut p: Pairs = Vec::new();
    if let Some(s) = state {
        p.push(("state".into(), s.into()));
    }
    if page > 1 {
        p.push(("page".into(), page.to_string()));
    }
    format!("{list}{}", query_string(&p))
}

/// `GET {prefix}/effects/`: filter by `state`; `page`.
pub async fn list(ctx: Ctx, Query(q): Query<EffectsQuery>) -> Result<Response> {
    let mut messages = Vec::new();
    let state = q.state.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).filter(|s| {
        let ok = STATES.contains(&s.as_str());
        if !ok {
            messages.push(format!("\u{201c}{s}\u{201d} is not a state; showing every state."));
        }
        ok
    });
    let page = q.page.and_then(|p| p.trim().parse::<u64>().ok()).filter(|p| *p >= 1).unwrap_or(1);
    let offset = admin_core::list::query::page_offset(page, PER_PAGE);
    let filter = Filter { state: state.clone(), ..Filter::default() };
    let (rows, total) = ctx.service().effects(&ctx.caller, &filter, offset, PER_PAGE).await?;
    let prefix = ctx.state.prefix();
    let pages = total.div_ceil(PER_PAGE).max(1);
    let state_links: Vec<Value> = std::iter::once(("", "All"))
        .chain(STATES.iter().map(|s| (*s, state_label(s))))
        .map(|(k, l)| {
            let url = list_url(prefix, Some(k).filter(|k| !k.is_empty()), 1);
            context! { label => l, url => url, active => state.as_deref().unwrap_or("") == k }
        })
        .collect();
    let html = ctx.state.templates.render(
        &["admin/effects.html".to_owned()],
        context! {
            base => ctx.base(&ctx.t("base-nav-effects", &[])),
            rows => rows.iter().map(|e| effect_row(&ctx, e)).collect::<Vec<_>>(),
            total_phrase => ctx.t("count-effects", &[("n", total.into()), ("count", ctx.number(total).into())]),
            state_links => state_links,
            messages => messages,
            prev_url => (page > 1).then(|| list_url(prefix, state.as_deref(), page - 1)),
            next_url => (page < pages).then(|| list_url(prefix, state.as_deref(), page + 1)),
            page => page, pages => pages,
        },
    )?;
    Ok(html.into_response())
}

fn parse_id(raw: &str) -> Result<i64> {
    raw.parse().map_err(|_| CoreError::NotFound(format!("There is no effect {raw}.")).into())
}

async fn render_effect(ctx: &Ctx, id: i64, error: Option<String>, status: StatusCode) -> Result<Response> {
    let service = ctx.service();
    let e = service.effect(&ctx.caller, id).await?;
    let prefix = ctx.state.prefix();
    let title = format!("Effect {id}");
    let payload = serde_json::to_string_pretty(&e.payload).unwrap_or_default();
    let html = ctx.state.templates.render(
        &["admin/effect.html".to_owned()],
        context! {
            base => ctx.base(&title),
            title => title,
            e => effect_row(ctx, &e),
            key => &e.idempotency_key,
            payload => payload,
            may_manage => service.may_manage_effects(&ctx.caller),
            error => error,
            retry_url => format!("{prefix}/effects/{id}/retry"),
            give_up_url => format!("{prefix}/effects/{id}/give-up"),
            list_url => format!("{prefix}/effects/"),
        },
    )?;
    Ok((status, html).into_response())
}

/// `GET {prefix}/effects/{id}`.
pub async fn show(ctx: Ctx, Path(id): Path<String>) -> Result<Response> {
    render_effect(&ctx, parse_id(&id)?, None, StatusCode::OK).await
}

/// `GET {prefix}/effects/{id}/retry` (a bookmark, Back): the effect's page, where
/// the forms are.
pub async fn to_page(ctx: Ctx, Path(id): Path<String>) -> Result<Response> {
    let id = parse_id(&id)?;
    Ok(Redirect::to(&format!("{}/effects/{id}", ctx.state.prefix())).into_response())
}

/// The retry form: nothing but the CSRF token.
#[derive(Deserialize)]
pub struct RetryForm {}

/// `POST {prefix}/effects/{id}/retry`: queues a failed effect again.
pub async fn retry(Path(id): Path<String>, Submitted(ctx, _): Submitted<RetryForm>) -> Result<Response> {
    let id = parse_id(&id)?;
    match ctx.service().retry_effect(&ctx.caller, id).await {
        Ok(e) => {
            ctx.flash_t("flash-effect-retry", &[("summary", e.summary.clone().into())]).await;
            Ok(Redirect::to(&format!("{}/effects/{id}", ctx.state.prefix())).into_response())
        }
        Err(CoreError::Refused(msg)) => render_effect(&ctx, id, Some(msg), StatusCode::CONFLICT).await,
        Err(e) => Err(e.into()),
    }
}

/// The give-up form: why.
#[derive(Deserialize)]
pub struct GiveUpForm {
    /// Why, for the audit log and the record.
    pub reason: Option<String>,
}

/// `POST {prefix}/effects/{id}/give-up`: `reason` (required).
pub async fn give_up(
    Path(id): Path<String>,
    Submitted(ctx, form): Submitted<GiveUpForm>,
) -> Result<Response> {
    let id = parse_id(&id)?;
    let reason = form.reason.unwrap_or_default();
    match ctx.service().give_up_effect(&ctx.caller, id, &reason).await {
        Ok(e) => {
            ctx.flash_t("flash-effect-given-up", &[("summary", e.summary.clone().into())]).await;
            Ok(Redirect::to(&format!("{}/effects/{id}", ctx.state.prefix())).into_response())
        }
        Err(CoreError::Invalid(errs)) => {
            let msg = errs.iter().map(|e| e.message.clone()).collect::<Vec<_>>().join(" ");
            render_effect(&ctx, id, Some(msg), StatusCode::BAD_REQUEST).await
        }
        Err(CoreError::Refused(msg)) => render_effect(&ctx, id, Some(msg), StatusCode::CONFLICT).await,
        Err(e) => Err(e.into()),
    }
}
