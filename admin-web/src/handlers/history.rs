//! A record's history, and the global audit log with its CSV export.

use std::collections::{HashMap, HashSet};

use admin_core::ModelMeta;
use admin_core::audit::{self, entry};
use admin_core::list::query::page_offset;
use axum::extract::{Path, Query};
use axum::response::{Html, Response};
use chrono::NaiveDateTime;
use minijinja::{Value, context};
use serde::Deserialize;

use super::Pairs;
use crate::error::Result;
use crate::extract::{ModelParam, record_key};
use crate::handlers::list::{csv_response, url_path_segment};
use crate::render::{Templates, query_string};
use crate::session::Ctx;
use crate::views::{entry_view, kind_label};

/// Entries per page of history or audit log.
pub const PER_PAGE: u64 = 50;

/// The audit log page counts at most this many matching entries; past it, it says
/// "More than 10,000 entries" and pages on without a last page.
pub const AUDIT_COUNT_CAP: u64 = 10_000;

fn page_of(q: &Pairs) -> (u64, Option<String>) {
    page_number(q.iter().find(|(k, _)| k == "page").map(|(_, v)| v.as_str()))
}

/// The page asked for (1 when none), with a sentence when it is not a page number.
fn page_number(raw: Option<&str>) -> (u64, Option<String>) {
    match raw.map(str::trim) {
        None | Some("") => (1, None),
        Some(v) => match v.parse::<u64>() {
            Ok(n) if n >= 1 => (n, None),
            _ => (1, Some(format!("\u{201c}{v}\u{201d} is not a page number; showing page 1."))),
        },
    }
}

/// A page of a record's history: `page`.
#[derive(Deserialize)]
pub struct PageQuery {
    /// The page, from 1.
    pub page: Option<String>,
}

/// `GET {prefix}/{model}/{id}/history`.
pub async fn record_history(
    ctx: Ctx,
    ModelParam(model): ModelParam,
    Path(path): Path<Pairs>,
    Query(q): Query<PageQuery>,
) -> Result<Html<String>> {
    let meta = model.meta();
    let key = record_key(&path);
    let (page, message) = page_number(q.page.as_deref());
    let service = ctx.service();
    let offset = page_offset(page, PER_PAGE);
    let (entries, total) = service.history(&ctx.caller, meta.slug, &key, offset, PER_PAGE).await?;
    let (exists, name) = match service.get(&ctx.caller, meta.slug, &key).await {
        Ok(record) => (true, record.display_name(meta)),
        Err(admin_core::Error::NotFound(_)) => (false, None),
        Err(e) => return Err(e.into()),
    };
    if total == 0 && !exists {
        return Err(admin_core::Error::NotFound(format!(
            "There is no {} with {} {key}, and none ever had a history here.",
            meta.label.to_lowercase(),
            meta.pk_field().name
        ))
        .into());
    }
    let rows: Vec<Value> = entries
        .iter()
        .map(|e| {
            let view = entry_view(&ctx.staff, e, Some(meta), None, false, ctx.reader());
            match &name {
                Some(name) => context! { record_title => name, ..view },
                None => view,
            }
        })
        .collect();
    let links = super::undo::history_links(&ctx, meta, &key, exists, page, &entries).await?;
    let page = HistoryPage { key: &key, name, exists, rows, links, total, page, message };
    render_history(&ctx, meta, page)
}

/// What a record's history page shows.
struct HistoryPage<'a> {
    key: &'a str,
    /// The record's display name, when its model has one and it still exists.
    name: Option<String>,
    exists: bool,
    rows: Vec<Value>,
    /// Per row: its undo and restore links.
    links: Vec<Value>,
    total: u64,
    page: u64,
    message: Option<String>,
}

fn render_history(ctx: &Ctx, meta: &ModelMeta, h: HistoryPage<'_>) -> Result<Html<String>> {
    let prefix = ctx.state.prefix();
    let key = h.key;
    // "History of Acme 42 Ltd <…>", or "History of account 42" without a name.
    let name = h.name.clone().unwrap_or_else(|| format!("{} {key}", meta.label.to_lowercase()));
    let title = ctx.t("display-history-title", &[("name", crate::i18n::Arg::from(name.as_str()))]);
    let pages = h.total.div_ceil(PER_PAGE).max(1);
    let page_url = |n: u64| {
        format!(
            "{prefix}/{}/{}/history{}",
            meta.slug,
            url_path_segment(key),
            if n > 1 { format!("?page={n}") } else { String::new() }
        )
    };
    ctx.state.templates.render(
        &Templates::chain(meta.slug, "history.html"),
        context! {
            base => ctx.base(&title),
            model => context! { slug => meta.slug, label => meta.label, label_plural => meta.label_plural },
            title => title,
            key => key,
            exists => h.exists,
            record_title => h.name.clone().unwrap_or_else(|| format!("{} {key}", meta.label)),
            detail_url => format!("{prefix}/{}/{}", meta.slug, url_path_segment(key)),
            list_url => format!("{prefix}/{}/", meta.slug),
            entries => h.rows,
            links => h.links,
            total_phrase => ctx.t("count-entries", &[("n", h.total.into()), ("count", ctx.number(h.total).into())]),
            prev_url => (h.page > 1).then(|| page_url(h.page - 1)),
            next_url => (h.page < pages).then(|| page_url(h.page + 1)),
            page => h.page,
            pages => pages,
            message => h.message,
        },
    )
}

struct AuditQuery {
    filter: audit::Filter,
    params: Pairs,
    messages: Vec<String>,
    page: u64,
}

fn parse_audit_query(q: &Pairs) -> AuditQuery {
    let mut filter = audit::Filter::default();
    let mut params = Vec::new();
    let mut messages = Vec::new();
    let (page, m) = page_of(q);
    messages.extend(m);
    for (k, v) in q {
        let v = v.trim();
        if v.is_empty() {
            continue;
        }
        let keep = match k.as_str() {
            "actor" => {
                filter.actor = Some(v.to_owned());
                true
            }
            "model" => {
                filter.model = Some(v.to_owned());
                true
            }
            "kind" => {
                filter.kind = Some(v.to_owned());
                true
            }
            "object_id" => {
                filter.object_id = Some(v.to_owned());
                true
            }
            "from" | "to" => match admin_core::kernel::field::parse_date(v) {
                Ok(d) => {
                    let start: NaiveDateTime = d.and_hms_opt(0, 0, 0).unwrap_or_default();
                    if k == "from" {
                        filter.from = Some(start);
                    } else {
                        filter.before = Some(start + chrono::Duration::days(1));
                    }
                    true
                }
                Err(_) => {
                    messages
                        .push(format!("\u{201c}{v}\u{201d} is not a date; use YYYY-MM-DD. It was ignored."));
                    false
                }
            },
            "page" => false,
            other => {
                messages.push(format!(
                    "\u{201c}{other}\u{201d} is not a filter of the audit log; it was ignored."
                ));
                false
            }
        };
        if keep {
            params.push((k.clone(), v.to_owned()));
        }
    }
    AuditQuery { filter, params, messages, page }
}

/// The audit export's own check (the export is being moved to the door and a
/// streamed body separately; every other audit read asks the door).
fn require_audit(ctx: &Ctx) -> Result<()> {
    if ctx.staff.may("audit.view") {
        Ok(())
    } else {
        Err(admin_core::Error::Forbidden(ctx.staff.denial(admin_core::service::AUDIT_REFUSED, "audit.view"))
            .into())
    }
}

/// Where an audit entry's record is, and whether it was deleted since: the admin's
/// own records (approval requests, staff users) by their pages, a model's by
/// whether it still exists.
fn link_of(
    prefix: &str,
    e: &entry::Model,
    existing: &HashMap<String, HashSet<String>>,
) -> (Option<String>, bool) {
    match (&e.model, &e.object_id) {
        (Some(m), Some(o)) if m == "approval" => {
            (Some(format!("{prefix}/approvals/{}", url_path_segment(o))), false)
        }
        (Some(m), Some(o)) if m == "staff" => {
            (Some(format!("{prefix}/staff/{}", url_path_segment(o))), false)
        }
        (Some(m), Some(_)) if m == "api_token" => (None, false),
        (Some(m), Some(o)) => {
            if existing.get(m.as_str()).is_some_and(|s| s.contains(o)) {
                (Some(format!("{prefix}/{m}/{}", url_path_segment(o))), false)
            } else {
                (Some(format!("{prefix}/{m}/{}/history", url_path_segment(o))), true)
            }
        }
        _ => (None, false),
    }
}

/// The entries of a page of the audit log, each with a link to its record: one
/// existence query per model on the page.
async fn audit_rows(ctx: &Ctx, entries: &[entry::Model]) -> Result<Vec<Value>> {
    let mut keys: HashMap<&str, Vec<String>> = HashMap::new();
    for e in entries {
        if let (Some(m), Some(o)) = (&e.model, &e.object_id) {
            keys.entry(m.as_str()).or_default().push(o.clone());
        }
    }
    let service = ctx.service();
    let mut existing: HashMap<String, HashSet<String>> = HashMap::new();
    // Entries name records by their current display name (one query per model on
    // the page); the entries themselves keep only the key, so the chain is as it was.
    let mut names: HashMap<&str, HashMap<String, String>> = HashMap::new();
    for (m, ks) in &keys {
        existing.insert((*m).to_owned(), service.audit_existing(&ctx.caller, m, ks).await?);
        if ctx.state.registry.model(m).is_some() {
            names.insert(m, service.display_names(&ctx.caller, m, ks).await?);
        }
    }
    let prefix = ctx.state.prefix();
    Ok(entries
        .iter()
        .map(|e| {
            let meta = e.model.as_deref().and_then(|m| ctx.state.registry.model(m));
            let (url, deleted) = link_of(prefix, e, &existing);
            let view = entry_view(&ctx.staff, e, meta, url, deleted, ctx.reader());
            let name = match (&e.model, &e.object_id) {
                (Some(m), Some(o)) => names.get(m.as_str()).and_then(|n| n.get(o)),
                _ => None,
            };
            match name {
                Some(name) => context! { record_title => name, ..view },
                None => view,
            }
        })
        .collect())
}

/// `GET {prefix}/audit`: filter by `actor`, `model`, `kind`, `object_id`, `from`, `to`.
pub async fn audit_log(ctx: Ctx, Query(q): Query<Pairs>) -> Result<Html<String>> {
    let aq = parse_audit_query(&q);
    let service = ctx.service();
    // The log grows by an entry per change: count at most AUDIT_COUNT_CAP of them.
    let offset = page_offset(aq.page, PER_PAGE);
    let (entries, total, more) =
        service.audit_page(&ctx.caller, &aq.filter, offset, PER_PAGE, AUDIT_COUNT_CAP).await?;
    let rows = audit_rows(&ctx, &entries).await?;
    let links = super::undo::audit_links(&ctx, &entries, &rows).await?;
    let (actors, kinds) = service.audit_facets(&ctx.caller).await?;
    render_audit(&ctx, &aq, AuditPage { rows, links, total, more, actors, kinds })
}

/// What a page of the audit log shows besides its filters.
struct AuditPage {
    rows: Vec<Value>,
    /// Per row: its undo and restore links.
    links: Vec<Value>,
    total: u64,
    more: bool,
    actors: Vec<String>,
    kinds: Vec<String>,
}

fn render_audit(ctx: &Ctx, aq: &AuditQuery, p: AuditPage) -> Result<Html<String>> {
    let prefix = ctx.state.prefix();
    let models: Vec<Value> = ctx
        .state
        .registry
        .metas()
        .into_iter()
        .map(|m| context! { slug => m.slug, label => m.label_plural })
        .collect();
    let get = |k: &str| aq.params.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
    let capped = p.total > AUDIT_COUNT_CAP;
    // Past the cap the number of pages is not known: "Page 12", and "Older" while
    // older entries follow.
    let pages = if capped { 0 } else { p.total.div_ceil(PER_PAGE).max(1) };
    let url_for = |page: u64| {
        let mut q = aq.params.clone();
        if page > 1 {
            q.push(("page".to_owned(), page.to_string()));
        }
        format!("{prefix}/audit{}", query_string(&q))
    };
    let total_phrase = if capped {
        ctx.t("count-entries-more", &[("count", ctx.number(AUDIT_COUNT_CAP).into())])
    } else {
        ctx.t("count-entries", &[("n", p.total.into()), ("count", ctx.number(p.total).into())])
    };
    let kind_options: Vec<Value> =
        p.kinds.iter().map(|k| context! { value => k, label => kind_label(k, ctx.reader()) }).collect();
    ctx.state.templates.render(
        &["admin/audit.html".to_owned()],
        context! {
            base => ctx.base(&ctx.t("base-nav-audit", &[])),
            entries => p.rows,
            links => p.links,
            total_phrase => total_phrase,
            actors => p.actors,
            kinds => kind_options,
            models => models,
            actor => get("actor"), model => get("model"), kind => get("kind"),
            object_id => get("object_id"), from => get("from"), to => get("to"),
            messages => &aq.messages,
            prev_url => (aq.page > 1).then(|| url_for(aq.page - 1)),
            next_url => p.more.then(|| url_for(aq.page + 1)),
            page => if capped { aq.page } else { aq.page.min(pages) },
            pages => pages,
            paged => capped || pages > 1,
            export_url => format!("{prefix}/audit/export.csv{}", query_string(&aq.params)),
            clear_url => (!aq.params.is_empty()).then(|| format!("{prefix}/audit")),
        },
    )
}

/// The entry's changes without the fields hidden from this user.
fn visible_changes(ctx: &Ctx, e: &entry::Model) -> String {
    let meta = e.model.as_deref().and_then(|m| ctx.state.registry.model(m));
    let Some(meta) = meta else { return e.changes.clone() };
    match serde_json::from_str::<serde_json::Value>(&e.changes) {
        Ok(serde_json::Value::Object(mut map)) => {
            map.retain(|k, _| {
                meta.field(k).is_none_or(|(_, f)| !admin_core::access::permission::hidden(&ctx.staff, f))
            });
            serde_json::Value::Object(map).to_string()
        }
        _ => e.changes.clone(),
    }
}

/// Largest number of entries one audit CSV export holds.
pub const AUDIT_EXPORT_LIMIT: u64 = 100_000;

/// `GET {prefix}/audit/export.csv`: the filtered audit log as CSV.
pub async fn audit_export(ctx: Ctx, Query(q): Query<Pairs>) -> Result<Response> {
    require_audit(&ctx)?;
    // The export has no pages; any other part it could not use would widen it unseen.
    let q: Pairs = q.into_iter().filter(|(k, _)| k != "page").collect();
    let aq = parse_audit_query(&q);
    if !aq.messages.is_empty() {
        return Err(admin_core::Error::BadRequest(format!(
            "{} Nothing was exported.",
            aq.messages.join(" ")
        ))
        .into());
    }
    let pages = ctx.service().audit_export_pages(&ctx.caller, &aq.filter, AUDIT_EXPORT_LIMIT).await?;
    let header = [
        "seq",
        "time",
        "actor",
        "kind",
        "model",
        "object_id",
        "reason",
        "changes",
        "request_id",
        "client_addr",
        "hash",
    ];
    let header = header.iter().map(|h| (*h).to_owned()).collect();
    let line_ctx = ctx.clone();
    Ok(csv_response("audit", header, pages, move |e: &entry::Model| {
        vec![
            e.seq.to_string(),
            e.at.format("%Y-%m-%d %H:%M:%S").to_string(),
            e.actor.clone(),
            e.kind.clone(),
            e.model.clone().unwrap_or_default(),
            e.object_id.clone().unwrap_or_default(),
            e.reason.clone().unwrap_or_default(),
            visible_changes(&line_ctx, e),
            e.request_id.clone().unwrap_or_default(),
            e.client_addr.clone().unwrap_or_default(),
            e.hash.clone(),
        ]
    }))
}
