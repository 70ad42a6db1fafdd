//! A record's history, and the global audit log with its CSV export.

use std::collections::{HashMap, HashSet};

use admin_core::audit::{self, entry};
use admin_core::model::thousands;
use admin_core::query::page_offset;
use admin_core::{ModelMeta, service};
use axum::extract::{Path, Query};
use axum::response::{Html, Response};
use chrono::NaiveDateTime;
use minijinja::{Value, context};

use super::Pairs;
use crate::error::Result;
use crate::extract::{ModelParam, record_key};
use crate::handlers::list::{csv_response, url_path_segment};
use crate::render::{Templates, query_string};
use crate::session::Ctx;

/// Entries per page of history or audit log.
pub const PER_PAGE: u64 = 50;

/// The audit log page counts at most this many matching entries; past it, it says
/// "More than 10,000 entries" and pages on without a last page.
pub const AUDIT_COUNT_CAP: u64 = 10_000;

/// A kind as people read it: `action:lock` becomes "Action: lock".
fn kind_label(kind: &str) -> String {
    match kind {
        "create" => "Created".to_owned(),
        "update" => "Changed".to_owned(),
        "delete" => "Deleted".to_owned(),
        "login" => "Signed in".to_owned(),
        "login_failed" => "Sign-in failed".to_owned(),
        "logout" => "Signed out".to_owned(),
        "approve" => "Approved".to_owned(),
        "reject" => "Rejected".to_owned(),
        "approval_requested" => "Asked for approval".to_owned(),
        "approval_failed" => "Approved action failed".to_owned(),
        "login_locked" => "Sign-in locked after failures".to_owned(),
        "login_password" => "Password accepted, second factor next".to_owned(),
        "two_factor_enrolled" => "Two-factor sign-in turned on".to_owned(),
        "two_factor_disabled" => "Two-factor sign-in turned off".to_owned(),
        "reauth" => "Confirmed identity".to_owned(),
        "reauth_failed" => "Identity confirmation failed".to_owned(),
        "reauth_locked" => "Locked after wrong passwords".to_owned(),
        other => match other.strip_prefix("action:") {
            Some(a) => format!("Action: {}", a.replace('_', " ")),
            None => other.to_owned(),
        },
    }
}

fn entry_view(
    staff: &admin_core::Staff,
    e: &entry::Model,
    meta: Option<&ModelMeta>,
    record_url: Option<String>,
    deleted: bool,
) -> Value {
    let changes: Vec<Value> = audit::parse_changes(&e.changes)
        .into_iter()
        // Fields hidden from this user stay out of history too.
        .filter(|(field, _, _)| {
            meta.and_then(|m| m.field(field)).is_none_or(|(_, f)| !admin_core::permission::hidden(staff, f))
        })
        .map(|(field, before, after)| {
            let f = meta.and_then(|m| m.field(&field).map(|(_, f)| f));
            let label = f.map_or_else(|| field.clone(), |f| f.label.to_owned());
            let show = |v: &str| f.map_or_else(|| v.to_owned(), |f| f.choice_label(v).to_owned());
            context! { field => label, before => show(&before), after => show(&after) }
        })
        .collect();
    context! {
        seq => e.seq,
        at => e.at.format("%Y-%m-%d %H:%M:%S").to_string(),
        actor => &e.actor,
        kind => &e.kind,
        kind_label => kind_label(&e.kind),
        model => &e.model,
        model_label => meta.map(|m| m.label).or(match e.model.as_deref() {
            Some("approval") => Some("Approval request"),
            Some("staff") => Some("Staff user"),
            Some("api_token") => Some("API token"),
            _ => None,
        }),
        object_id => &e.object_id,
        record_url => record_url,
        deleted => deleted,
        reason => &e.reason,
        request_id => &e.request_id,
        client_addr => &e.client_addr,
        changes => changes,
    }
}

fn page_of(q: &Pairs) -> (u64, Option<String>) {
    match q.iter().find(|(k, _)| k == "page").map(|(_, v)| v.trim()) {
        None | Some("") => (1, None),
        Some(v) => match v.parse::<u64>() {
            Ok(n) if n >= 1 => (n, None),
            _ => (1, Some(format!("\u{201c}{v}\u{201d} is not a page number; showing page 1."))),
        },
    }
}

/// `GET {prefix}/{model}/{id}/history`.
pub async fn record_history(
    ctx: Ctx,
    ModelParam(model): ModelParam,
    Path(path): Path<Pairs>,
    Query(q): Query<Pairs>,
) -> Result<Html<String>> {
    service::require(&ctx.staff, model.as_ref(), "view")?;
    let meta = model.meta();
    let key = record_key(&path);
    let prefix = ctx.state.prefix();
    let (page, message) = page_of(&q);
    let filter = audit::Filter {
        model: Some(meta.slug.to_owned()),
        object_id: Some(key.clone()),
        ..Default::default()
    };
    let (entries, total) =
        audit::search(&ctx.state.db, &filter, page_offset(page, PER_PAGE), PER_PAGE).await?;
    let exists = model.get(&ctx.state.db, &key).await?.is_some();
    if total == 0 && !exists {
        return Err(admin_core::Error::NotFound(format!(
            "There is no {} with {} {key}, and none ever had a history here.",
            meta.label.to_lowercase(),
            meta.pk_field().name
        ))
        .into());
    }
    let title = format!("History of {} {key}", meta.label.to_lowercase());
    let rows: Vec<Value> =
        entries.iter().map(|e| entry_view(&ctx.staff, e, Some(meta), None, false)).collect();
    let pages = total.div_ceil(PER_PAGE).max(1);
    let page_url = |n: u64| {
        format!(
            "{prefix}/{}/{}/history{}",
            meta.slug,
            url_path_segment(&key),
            if n > 1 { format!("?page={n}") } else { String::new() }
        )
    };
    ctx.state.templates.render(
        &Templates::chain(meta.slug, "history.html"),
        context! {
            base => ctx.base(&title),
            model => context! { slug => meta.slug, label => meta.label, label_plural => meta.label_plural },
            title => title,
            key => &key,
            exists => exists,
            record_title => format!("{} {key}", meta.label),
            detail_url => format!("{prefix}/{}/{}", meta.slug, url_path_segment(&key)),
            list_url => format!("{prefix}/{}/", meta.slug),
            entries => rows,
            total_phrase => format!("{} {}", thousands(total), if total == 1 { "entry" } else { "entries" }),
            prev_url => (page > 1).then(|| page_url(page - 1)),
            next_url => (page < pages).then(|| page_url(page + 1)),
            page => page,
            pages => pages,
            message => message,
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
            "from" | "to" => match admin_core::field::parse_date(v) {
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

fn require_audit(ctx: &Ctx) -> Result<()> {
    if ctx.staff.may("audit.view") {
        Ok(())
    } else {
        Err(admin_core::Error::Forbidden(
            "You cannot view the audit log. Ask an admin for the audit.view permission.".to_owned(),
        )
        .into())
    }
}

/// `GET {prefix}/audit`: filter by `actor`, `model`, `kind`, `object_id`, `from`, `to`.
pub async fn audit_log(ctx: Ctx, Query(q): Query<Pairs>) -> Result<Html<String>> {
    require_audit(&ctx)?;
    let prefix = ctx.state.prefix();
    let aq = parse_audit_query(&q);
    // The log grows by an entry per change: count at most AUDIT_COUNT_CAP of them.
    let (entries, total, more) =
        audit::page(&ctx.state.db, &aq.filter, page_offset(aq.page, PER_PAGE), PER_PAGE, AUDIT_COUNT_CAP)
            .await?;
    // One existence query per model on the page, to link or say "deleted".
    let mut keys: HashMap<&str, Vec<String>> = HashMap::new();
    for e in &entries {
        if let (Some(m), Some(o)) = (&e.model, &e.object_id) {
            keys.entry(m.as_str()).or_default().push(o.clone());
        }
    }
    let mut existing: HashMap<&str, HashSet<String>> = HashMap::new();
    for (m, ks) in &keys {
        if let Some(admin) = ctx.state.registry.get(m) {
            existing.insert(m, admin.existing(&ctx.state.db, ks).await?);
        }
    }
    let rows: Vec<Value> = entries
        .iter()
        .map(|e| {
            let admin = e.model.as_deref().and_then(|m| ctx.state.registry.get(m));
            let meta = admin.map(|a| a.meta());
            let (url, deleted) = match (&e.model, &e.object_id) {
                // The admin's own records: approval requests and staff users.
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
            };
            entry_view(&ctx.staff, e, meta, url, deleted)
        })
        .collect();
    let (actors, kinds) = audit::facets(&ctx.state.db).await?;
    let models: Vec<Value> = ctx
        .state
        .registry
        .models()
        .map(|m| context! { slug => m.meta().slug, label => m.meta().label_plural })
        .collect();
    let get = |k: &str| aq.params.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
    let capped = total > AUDIT_COUNT_CAP;
    // Past the cap the number of pages is not known: "Page 12", and "Older" while
    // older entries follow.
    let pages = if capped { 0 } else { total.div_ceil(PER_PAGE).max(1) };
    let url_for = |page: u64| {
        let mut p = aq.params.clone();
        if page > 1 {
            p.push(("page".to_owned(), page.to_string()));
        }
        format!("{prefix}/audit{}", query_string(&p))
    };
    let total_phrase = if capped {
        format!("More than {} entries", thousands(AUDIT_COUNT_CAP))
    } else {
        format!("{} {}", thousands(total), if total == 1 { "entry" } else { "entries" })
    };
    let kind_options: Vec<Value> =
        kinds.iter().map(|k| context! { value => k, label => kind_label(k) }).collect();
    ctx.state.templates.render(
        &["admin/audit.html".to_owned()],
        context! {
            base => ctx.base("Audit log"),
            entries => rows,
            total_phrase => total_phrase,
            actors => actors,
            kinds => kind_options,
            models => models,
            actor => get("actor"), model => get("model"), kind => get("kind"),
            object_id => get("object_id"), from => get("from"), to => get("to"),
            messages => aq.messages,
            prev_url => (aq.page > 1).then(|| url_for(aq.page - 1)),
            next_url => more.then(|| url_for(aq.page + 1)),
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
    let meta = e.model.as_deref().and_then(|m| ctx.state.registry.get(m)).map(|a| a.meta());
    let Some(meta) = meta else { return e.changes.clone() };
    match serde_json::from_str::<serde_json::Value>(&e.changes) {
        Ok(serde_json::Value::Object(mut map)) => {
            map.retain(|k, _| {
                meta.field(k).is_none_or(|(_, f)| !admin_core::permission::hidden(&ctx.staff, f))
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
