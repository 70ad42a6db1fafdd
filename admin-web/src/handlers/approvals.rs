//! The approval queue: requests waiting for a second person, and their outcome.

use admin_core::approval::{self, request};
use admin_core::model::thousands;
use admin_core::{Error as CoreError, FormData};
use axum::extract::{Form, Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::{Value, context};

use super::{Pairs, csrf_of};
use crate::error::Result;
use crate::handlers::list::url_path_segment;
use crate::render::query_string;
use crate::session::Ctx;

/// Requests per page.
const PER_PAGE: u64 = 50;

/// The statuses, in the order people ask about them.
pub const STATUSES: &[(&str, &str)] = &[
    ("pending", "Waiting for approval"),
    ("approved", "Approved, about to run"),
    ("running", "Running"),
    ("done", "Done"),
    ("failed", "Failed"),
    ("rejected", "Rejected"),
];

fn status_label(s: &str) -> &str {
    STATUSES.iter().find(|(k, _)| *k == s).map_or(s, |(_, l)| l)
}

/// Whether the user sees every request (deciders) or only their own.
fn sees_all(ctx: &Ctx) -> bool {
    ctx.staff.is_superuser || approval::may_decide_any(&ctx.staff, &ctx.state.registry)
}

fn row(ctx: &Ctx, r: &request::Model) -> Value {
    let action = ctx.state.registry.action_named(&r.model, &r.action);
    let keys = approval::keys_of(r);
    let what = ctx
        .state
        .registry
        .get(&r.model)
        .map_or_else(|| format!("{} records", keys.len()), |m| m.meta().count_phrase(keys.len() as u64));
    context! {
        id => r.id,
        url => format!("{}/approvals/{}", ctx.state.prefix(), r.id),
        action => action.as_ref().map_or_else(|| r.action.clone(), |a| a.label().to_owned()),
        what => what,
        requester => &r.requester,
        requested_at => r.requested_at.format("%Y-%m-%d %H:%M").to_string(),
        status => &r.status,
        status_label => status_label(&r.status),
        decided_by => &r.decided_by,
        may_decide => approval::may_decide(&ctx.staff, &ctx.state.registry, r),
    }
}

/// `GET {prefix}/approvals`: filter by `status` and `model`; `page`.
pub async fn queue(ctx: Ctx, Query(q): Query<Pairs>) -> Result<Response> {
    if !approval::may_see_queue(&ctx.staff, &ctx.state.registry) {
        return Err(CoreError::Forbidden(approval::QUEUE_REFUSED.to_owned()).into());
    }
    let get =
        |k: &str| q.iter().find(|(n, _)| n == k).map(|(_, v)| v.trim().to_owned()).filter(|v| !v.is_empty());
    let mut messages = Vec::new();
    let status = get("status").filter(|s| {
        let ok = STATUSES.iter().any(|(k, _)| k == s);
        if !ok {
            messages.push(format!("\u{201c}{s}\u{201d} is not a status; showing every status."));
        }
        ok
    });
    let model = get("model").filter(|m| {
        let ok = ctx.state.registry.get(m).is_some();
        if !ok {
            messages.push(format!("\u{201c}{m}\u{201d} is not a model; showing every model."));
        }
        ok
    });
    let page = get("page").and_then(|p| p.parse::<u64>().ok()).filter(|p| *p >= 1).unwrap_or(1);
    let all = sees_all(&ctx);
    let requester = (!all).then_some(ctx.staff.id);
    let (rows, total) = approval::list(
        &ctx.state.db,
        status.as_deref(),
        model.as_deref(),
        requester,
        admin_core::query::page_offset(page, PER_PAGE),
        PER_PAGE,
    )
    .await?;
    let prefix = ctx.state.prefix();
    let mut params: Pairs = Vec::new();
    if let Some(s) = &status {
        params.push(("status".into(), s.clone()));
    }
    if let Some(m) = &model {
        params.push(("model".into(), m.clone()));
    }
    let pages = total.div_ceil(PER_PAGE).max(1);
    let url = |p: u64| {
        let mut params = params.clone();
        if p > 1 {
            params.push(("page".into(), p.to_string()));
        }
        format!("{prefix}/approvals{}", query_string(&params))
    };
    let status_links: Vec<Value> = std::iter::once(("", "All"))
        .chain(STATUSES.iter().copied())
        .map(|(k, l)| {
            let mut p: Pairs = Vec::new();
            if !k.is_empty() {
                p.push(("status".into(), k.into()));
            }
            if let Some(m) = &model {
                p.push(("model".into(), m.clone()));
            }
            context! { label => l, url => format!("{prefix}/approvals{}", query_string(&p)), active => status.as_deref().unwrap_or("") == k }
        })
        .collect();
    let html = ctx.state.templates.render(
        &["admin/approvals.html".to_owned()],
        context! {
            base => ctx.base("Approvals"),
            rows => rows.iter().map(|r| row(&ctx, r)).collect::<Vec<_>>(),
            total_phrase => format!("{} request{}", thousands(total), if total == 1 { "" } else { "s" }),
            status_links => status_links,
            messages => messages,
            own_only => !all,
            prev_url => (page > 1).then(|| url(page - 1)),
            next_url => (page < pages).then(|| url(page + 1)),
            page => page, pages => pages,
        },
    )?;
    Ok(html.into_response())
}

fn parse_id(raw: &str) -> Result<i64> {
    raw.parse().map_err(|_| CoreError::NotFound(format!("There is no approval request {raw}.")).into())
}

async fn render_request(ctx: &Ctx, id: i64, error: Option<String>, status: StatusCode) -> Result<Response> {
    let r = approval::get(&ctx.state.db, id).await?;
    if !sees_all(ctx) && r.requester_id != ctx.staff.id {
        return Err(CoreError::Forbidden(
            "You cannot see other people's approval requests. Ask an admin for the approvals.decide permission."
                .to_owned(),
        )
        .into());
    }
    let prefix = ctx.state.prefix();
    let action = ctx.state.registry.action_named(&r.model, &r.action);
    let keys = approval::keys_of(&r);
    // The records as they are now: some may have become blocked since the request.
    let (ready, blocked) = match &action {
        Some(a) => {
            let p = a.preview(&ctx.state.db, &keys).await?;
            let meta = a.model();
            let title = |rec: &admin_core::Record| {
                let cols: Vec<String> = meta
                    .list_display
                    .iter()
                    .copied()
                    .filter(|&i| !admin_core::permission::hidden(&ctx.staff, &meta.fields[i]))
                    .take(4)
                    .map(|i| meta.fields[i].display(&rec.cells[i]))
                    .collect();
                cols.join(" · ")
            };
            let link = |k: &str| format!("{prefix}/{}/{}", meta.slug, url_path_segment(k));
            (
                p.ready.iter().map(|rec| context! { key => &rec.key, url => link(&rec.key), title => title(rec) }).collect::<Vec<_>>(),
                p.blocked
                    .iter()
                    .map(|b| context! { key => &b.record.key, url => link(&b.record.key), title => title(&b.record), reason => &b.reason })
                    .collect::<Vec<_>>(),
            )
        }
        None => (Vec::new(), Vec::new()),
    };
    let input: Vec<Value> = match (serde_json::from_str::<serde_json::Value>(&r.input), &action) {
        (Ok(serde_json::Value::Object(map)), Some(a)) => map
            .iter()
            .map(|(k, v)| {
                let f = a.input_fields().iter().find(|f| f.name == k);
                let text = match v {
                    serde_json::Value::String(s) => {
                        f.map_or_else(|| s.clone(), |f| f.choice_label(s).to_owned())
                    }
                    serde_json::Value::Null => "—".to_owned(),
                    other => other.to_string(),
                };
                context! { label => f.map_or(k.as_str(), |f| f.label), value => text }
            })
            .collect(),
        _ => Vec::new(),
    };
    let report = approval::report_of(&r);
    let title = format!("Approval request {id}");
    let html = ctx.state.templates.render(
        &["admin/approval.html".to_owned()],
        context! {
            base => ctx.base(&title),
            title => title,
            r => row(ctx, &r),
            model_label => ctx.state.registry.get(&r.model).map_or(r.model.as_str(), |m| m.meta().label_plural),
            reason => &r.reason,
            decision_note => &r.decision_note,
            decided_at => r.decided_at.map(|t| t.format("%Y-%m-%d %H:%M").to_string()),
            attempts => r.attempts,
            last_error => &r.last_error,
            ready => ready,
            blocked => blocked,
            input => input,
            report => report.map(|rep| context! {
                done => rep.done.len(), skipped => rep.skipped.iter().map(|(k, why)| format!("{k}: {why}")).collect::<Vec<_>>(),
            }),
            own => r.requester_id == ctx.staff.id,
            may_decide => approval::may_decide(&ctx.staff, &ctx.state.registry, &r),
            error => error,
            approve_url => format!("{prefix}/approvals/{id}/approve"),
            reject_url => format!("{prefix}/approvals/{id}/reject"),
            queue_url => format!("{prefix}/approvals"),
        },
    )?;
    Ok((status, html).into_response())
}

/// `GET {prefix}/approvals/{id}`.
pub async fn show(ctx: Ctx, Path(id): Path<String>) -> Result<Response> {
    render_request(&ctx, parse_id(&id)?, None, StatusCode::OK).await
}

async fn decide(ctx: Ctx, id: String, form: Pairs, approve: bool) -> Result<Response> {
    let form = FormData::from(form);
    ctx.check_csrf(csrf_of(&form))?;
    let id = parse_id(&id)?;
    let audit = ctx.audit(None);
    match approval::decide(&ctx.state.db, &audit, &ctx.state.registry, id, approve, form.get("note")).await {
        Ok(r) => {
            let msg = if approve {
                format!("Request {} approved; it runs in a moment.", r.id)
            } else {
                format!("Request {} rejected; it will not run.", r.id)
            };
            ctx.flash(&msg).await;
            Ok(Redirect::to(&format!("{}/approvals/{id}", ctx.state.prefix())).into_response())
        }
        Err(CoreError::Invalid(errs)) => {
            let msg = errs.iter().map(|e| e.message.clone()).collect::<Vec<_>>().join(" ");
            render_request(&ctx, id, Some(msg), StatusCode::BAD_REQUEST).await
        }
        Err(CoreError::Refused(msg)) => render_request(&ctx, id, Some(msg), StatusCode::CONFLICT).await,
        Err(e) => Err(e.into()),
    }
}

/// `POST {prefix}/approvals/{id}/approve`: `csrf_token`, optional `note`.
pub async fn approve(ctx: Ctx, Path(id): Path<String>, Form(form): Form<Pairs>) -> Result<Response> {
    decide(ctx, id, form, true).await
}

/// `POST {prefix}/approvals/{id}/reject`: `csrf_token`, `note` (required).
pub async fn reject(ctx: Ctx, Path(id): Path<String>, Form(form): Form<Pairs>) -> Result<Response> {
    decide(ctx, id, form, false).await
}
