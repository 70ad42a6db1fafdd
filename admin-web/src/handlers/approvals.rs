//! The approval queue: requests waiting for a second person, and their outcome.

use std::sync::Arc;

use admin_core::action::{DynAction, Preview};
use admin_core::approval::{self, request};
use admin_core::{Error as CoreError, Record};
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

fn row(ctx: &Ctx, r: &request::Model) -> Value {
    let action = ctx.state.registry.action_named(&r.model, &r.action);
    let keys = approval::keys_of(r);
    let what = ctx
        .state
        .registry
        .model(&r.model)
        .map_or_else(|| format!("{} records", keys.len()), |m| m.count_phrase(keys.len() as u64));
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
        may_decide => ctx.service().may_decide(&ctx.caller, r),
    }
}

/// The queue's query: `status`, `model`, `page`.
#[derive(Deserialize, Default)]
pub struct QueueQuery {
    /// One status of [`STATUSES`].
    pub status: Option<String>,
    /// A model's slug.
    pub model: Option<String>,
    /// The page, from 1.
    pub page: Option<String>,
}

/// The queue's filters as kept, with a sentence for each one dropped.
struct Filters {
    status: Option<String>,
    model: Option<String>,
    page: u64,
    messages: Vec<String>,
}

fn filters(ctx: &Ctx, q: QueueQuery) -> Filters {
    let given = |v: Option<String>| v.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    let mut messages = Vec::new();
    let status = given(q.status).filter(|s| {
        let ok = STATUSES.iter().any(|(k, _)| k == s);
        if !ok {
            messages.push(format!("\u{201c}{s}\u{201d} is not a status; showing every status."));
        }
        ok
    });
    let model = given(q.model).filter(|m| {
        let ok = ctx.state.registry.model(m).is_some();
        if !ok {
            messages.push(format!("\u{201c}{m}\u{201d} is not a model; showing every model."));
        }
        ok
    });
    let page = given(q.page).and_then(|p| p.parse::<u64>().ok()).filter(|p| *p >= 1).unwrap_or(1);
    Filters { status, model, page, messages }
}

impl Filters {
    /// The queue's address with these filters, `status` replaced, at `page`.
    fn url(&self, prefix: &str, status: Option<&str>, page: u64) -> String {
        let mut p: Pairs = Vec::new();
        if let Some(s) = status {
            p.push(("status".into(), s.into()));
        }
        if let Some(m) = &self.model {
            p.push(("model".into(), m.clone()));
        }
        if page > 1 {
            p.push(("page".into(), page.to_string()));
        }
        format!("{prefix}/approvals{}", query_string(&p))
    }

    fn status_links(&self, prefix: &str) -> Vec<Value> {
        std::iter::once(("", "All"))
            .chain(STATUSES.iter().copied())
            .map(|(k, l)| {
                let url = self.url(prefix, Some(k).filter(|k| !k.is_empty()), 1);
                context! { label => l, url => url, active => self.status.as_deref().unwrap_or("") == k }
            })
            .collect()
    }
}

/// `GET {prefix}/approvals`: filter by `status` and `model`; `page`.
pub async fn queue(ctx: Ctx, Query(q): Query<QueueQuery>) -> Result<Response> {
    let f = filters(&ctx, q);
    let offset = admin_core::list::query::page_offset(f.page, PER_PAGE);
    let service = ctx.service();
    let (rows, total) =
        service.approvals(&ctx.caller, f.status.as_deref(), f.model.as_deref(), offset, PER_PAGE).await?;
    let own_only = !service.sees_all_approvals(&ctx.caller);
    let prefix = ctx.state.prefix();
    let pages = total.div_ceil(PER_PAGE).max(1);
    let html = ctx.state.templates.render(
        &["admin/approvals.html".to_owned()],
        context! {
            base => ctx.base(&ctx.t("base-nav-approvals", &[])),
            rows => rows.iter().map(|r| row(&ctx, r)).collect::<Vec<_>>(),
            total_phrase => ctx.t("count-requests", &[("n", total.into()), ("count", ctx.number(total).into())]),
            status_links => f.status_links(prefix),
            messages => &f.messages,
            own_only => own_only,
            prev_url => (f.page > 1).then(|| f.url(prefix, f.status.as_deref(), f.page - 1)),
            next_url => (f.page < pages).then(|| f.url(prefix, f.status.as_deref(), f.page + 1)),
            page => f.page, pages => pages,
        },
    )?;
    Ok(html.into_response())
}

fn parse_id(raw: &str) -> Result<i64> {
    raw.parse().map_err(|_| CoreError::NotFound(format!("There is no approval request {raw}.")).into())
}

/// A record in a few words, from the first columns of its list the user may see:
/// its name (the first plain column), its amounts in brackets, and what it belongs
/// to ("INV-00000620 (€30.87) for account 295"). The record's display name, where
/// its model has one, is its name and says what it belongs to; the key stands in
/// for a name otherwise.
fn describe(ctx: &Ctx, meta: &admin_core::ModelMeta, rec: &Record) -> String {
    // A model with a display name says itself what its records are called.
    let display = rec.display_name(meta);
    let (mut name, mut amounts, mut owners) = (display.clone(), Vec::new(), Vec::new());
    let visible = meta.list_display.iter().copied().filter(|&i| i != meta.pk);
    for i in visible.filter(|&i| !admin_core::access::permission::hidden(&ctx.staff, &meta.fields[i])).take(4)
    {
        let (f, cell) = (&meta.fields[i], &rec.cells[i]);
        if cell.is_null() {
            continue;
        }
        if f.foreign_key.is_some() && display.is_some() {
            continue;
        }
        if let Some(target) = f.foreign_key {
            let noun = ctx.state.registry.model(target).map_or(f.label, |m| m.label).to_lowercase();
            owners.push(format!("for {noun} {}", f.display(cell)));
        } else if f.money.is_some() {
            amounts.push(f.display(cell));
        } else if name.is_none() {
            name = Some(f.display(cell));
        }
    }
    let mut out = name.unwrap_or_else(|| rec.key.clone());
    if !amounts.is_empty() {
        out.push_str(&format!(" ({})", amounts.join(", ")));
    }
    for o in owners {
        out.push(' ');
        out.push_str(&o);
    }
    out
}

/// The records an approval would touch now, and those now blocked, as links.
fn records_view(ctx: &Ctx, action: &dyn DynAction, p: &Preview) -> (Vec<Value>, Vec<Value>) {
    let meta = action.model();
    let prefix = ctx.state.prefix();
    let title = |rec: &Record| describe(ctx, meta, rec);
    let link = |k: &str| format!("{prefix}/{}/{}", meta.slug, url_path_segment(k));
    let ready = p.ready.iter().map(|rec| {
        let (tried, changes, skipped) = super::action::trial_of(p, &rec.key);
        context! {
            key => &rec.key, url => link(&rec.key), title => title(rec),
            tried => tried, changes => changes, skipped => skipped,
        }
    });
    let blocked = p.blocked.iter().map(|b| {
        let reason = b.message.as_ref().map_or_else(|| b.reason.clone(), |m| ctx.message(m));
        context! { key => &b.record.key, url => link(&b.record.key), title => title(&b.record), reason => reason }
    });
    (ready.collect(), blocked.collect())
}

/// The input the requester gave, labelled as the action's form labels it.
fn input_view(r: &request::Model, action: &dyn DynAction) -> Vec<Value> {
    let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(&r.input) else {
        return Vec::new();
    };
    map.iter()
        .map(|(k, v)| {
            let f = action.input_fields().iter().find(|f| f.name == k);
            let text = match v {
                serde_json::Value::String(s) => f.map_or_else(|| s.clone(), |f| f.choice_label(s).to_owned()),
                serde_json::Value::Null => "—".to_owned(),
                other => other.to_string(),
            };
            context! { label => f.map_or(k.as_str(), |f| f.label), value => text }
        })
        .collect()
}

type Looked = Option<(Arc<dyn DynAction>, Preview)>;

/// What the request asks, in one line: "Refund invoice INV-00000620 (€30.87) for
/// account 295", or "Refund invoice: 3 invoices".
fn summary(ctx: &Ctx, r: &request::Model, looked: &Looked) -> String {
    let label = ctx
        .state
        .registry
        .action_named(&r.model, &r.action)
        .map_or_else(|| r.action.clone(), |a| a.label().to_owned());
    if let Some((action, p)) = looked
        && approval::keys_of(r).len() == 1
        && let Some(one) = p.ready.iter().chain(p.blocked.iter().map(|b| &b.record)).next()
    {
        return format!("{label} {}", describe(ctx, action.model(), one));
    }
    let n = approval::keys_of(r).len() as u64;
    let what =
        ctx.state.registry.model(&r.model).map_or_else(|| format!("{n} records"), |m| m.count_phrase(n));
    format!("{label}: {what}")
}

/// A finished request's outcome, one line per record: "Done: refunded
/// INV-00000620 (€30.87) for account 295", "Skipped INV-…: Cannot refund: …".
fn outcome(ctx: &Ctx, r: &request::Model, looked: &Looked) -> Vec<String> {
    let Some(report) = approval::report_of(r) else { return Vec::new() };
    let name = |key: &str| {
        looked
            .as_ref()
            .and_then(|(a, p)| {
                let mut all = p.ready.iter().chain(p.blocked.iter().map(|b| &b.record));
                all.find(|rec| rec.key == key).map(|rec| describe(ctx, a.model(), rec))
            })
            .unwrap_or_else(|| key.to_owned())
    };
    let done = report.done.iter().map(|(k, note)| format!("Done: {note} {}", name(k)));
    let skipped = report.skipped.iter().map(|(k, why)| format!("Skipped {}: {why}", name(k)));
    done.chain(skipped).collect()
}

async fn render_request(ctx: &Ctx, id: i64, error: Option<String>, status: StatusCode) -> Result<Response> {
    let (r, looked): (request::Model, Looked) = ctx.service().approval_view(&ctx.caller, id).await?;
    let prefix = ctx.state.prefix();
    let (ready, blocked) = looked.as_ref().map(|(a, p)| records_view(ctx, a.as_ref(), p)).unwrap_or_default();
    let input = looked.as_ref().map(|(a, _)| input_view(&r, a.as_ref())).unwrap_or_default();
    // The records as they are now, and what would block them, matter only while
    // someone can still decide; afterwards the outcome says what happened.
    let pending = r.status == "pending";
    let (ready, blocked) = if pending { (ready, blocked) } else { (Vec::new(), Vec::new()) };
    let title = ctx.t("approval-title", &[("id", id.to_string().into())]);
    let html = ctx.state.templates.render(
        &["admin/approval.html".to_owned()],
        context! {
            base => ctx.base(&title),
            title => title,
            r => row(ctx, &r),
            model_label => ctx.state.registry.model(&r.model).map_or(r.model.as_str(), |m| m.label_plural),
            reason => &r.reason,
            decision_note => &r.decision_note,
            decided_at => r.decided_at.map(|t| t.format("%Y-%m-%d %H:%M").to_string()),
            attempts => r.attempts,
            last_error => &r.last_error,
            ready => ready,
            blocked => blocked,
            trial => looked.as_ref().map(|(_, p)| super::action::trial_view(p)),
            input => input,
            summary => summary(ctx, &r, &looked),
            outcome => outcome(ctx, &r, &looked),
            pending => pending,
            own => r.requester_id == ctx.staff.id,
            may_decide => ctx.service().may_decide(&ctx.caller, &r),
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

/// The decision form: an optional note (required to reject).
#[derive(Deserialize)]
pub struct Decision {
    /// Why, for the requester and the audit log.
    pub note: Option<String>,
}

async fn decide(ctx: Ctx, id: String, form: Decision, approve: bool) -> Result<Response> {
    let id = parse_id(&id)?;
    match ctx.service().decide(&ctx.caller, id, approve, form.note.as_deref()).await {
        Ok(r) => {
            let id_arg = [("id", crate::i18n::Arg::from(r.id.to_string()))];
            ctx.flash_t(if approve { "flash-approved" } else { "flash-rejected" }, &id_arg).await;
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
pub async fn approve(Path(id): Path<String>, Submitted(ctx, form): Submitted<Decision>) -> Result<Response> {
    decide(ctx, id, form, true).await
}

/// `POST {prefix}/approvals/{id}/reject`: `csrf_token`, `note` (required).
pub async fn reject(Path(id): Path<String>, Submitted(ctx, form): Submitted<Decision>) -> Result<Response> {
    decide(ctx, id, form, false).await
}
