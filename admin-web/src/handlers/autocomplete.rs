//! Foreign keys chosen by name: the JSON suggestions behind the autocomplete
//! widget (`admin.js`), and the search-and-pick page that does the same without
//! JavaScript. Both ask the door ([`admin_core::service::Service::lookup`]), which
//! checks `{target}.view` and reads the target through its search path.
//!
//! - `GET {prefix}/{model}/autocomplete/{field}?q=` →
//!   `{"results": [{"id", "text", "detail"}], "more": bool}`; a refusal is JSON too
//!   (401 `unauthenticated`, 403 `forbidden`, 404 `not_found`).
//! - `GET {prefix}/{model}/lookup/{field}?q=&back=` → a page listing the matching
//!   records, each with a "Choose" link back to `back` (a page of the same model:
//!   its form or its list) with `{field}={id}` set.

use std::collections::HashMap;

use admin_core::service::Suggestions;
use admin_core::{ModelMeta, Staff};
use axum::Json;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use minijinja::{Value, context};
use serde::Deserialize;

use super::Pairs;
use super::api_error::ApiError;
use crate::error::{Error, Result};
use crate::render::query_string;
use crate::session::Ctx;

/// The query of both look-ups.
#[derive(Debug, Default, Deserialize)]
pub struct LookupQuery {
    /// What was typed.
    #[serde(default)]
    pub q: String,
    /// The page to go back to with the chosen id (the pick page only).
    #[serde(default)]
    pub back: String,
}

/// `GET {prefix}/{model}/autocomplete/{field}?q=`: suggestions as JSON.
pub async fn suggest(
    ctx: std::result::Result<Ctx, Error>,
    Path((model, field)): Path<(String, String)>,
    Query(params): Query<LookupQuery>,
) -> Response {
    let ctx = match ctx {
        Ok(ctx) => ctx,
        Err(Error::Core(e)) => return ApiError::from(&e).into_response(),
        Err(e) => {
            let status = e.into_response().status();
            let e = if status == StatusCode::UNAUTHORIZED {
                ApiError::new(status, "unauthenticated", "Sign in to look up records.")
            } else {
                ApiError::new(status, "forbidden", "You may not look up records.")
            };
            return e.into_response();
        }
    };
    match ctx
        .service()
        .lookup(&ctx.caller, &model, &field, &params.q, admin_core::service::LOOKUP_LIMIT)
        .await
    {
        Ok(found) => {
            let results: Vec<serde_json::Value> = found
                .results
                .iter()
                .map(|s| serde_json::json!({ "id": s.key, "text": s.text, "detail": s.detail }))
                .collect();
            let mut body = serde_json::json!({ "results": results, "more": found.more });
            if let Some(m) = found.message {
                body["message"] = serde_json::Value::String(m);
            }
            Json(body).into_response()
        }
        Err(e) => ApiError::from(&e).into_response(),
    }
}

/// `GET {prefix}/{model}/lookup/{field}?q=&back=`: the pick page.
pub async fn pick(
    ctx: Ctx,
    Path((model, field)): Path<(String, String)>,
    Query(params): Query<LookupQuery>,
) -> Result<Html<String>> {
    let service = ctx.service();
    let meta = service.model(&model)?;
    let q = params.q.trim().to_owned();
    let found = service.lookup(&ctx.caller, &model, &field, &q, admin_core::service::LOOKUP_LIMIT).await?;
    let f = meta.field(&field).map(|(_, f)| f).ok_or_else(|| admin_core::Error::NotFound(field.clone()))?;
    let prefix = ctx.state.prefix();
    let back = back_target(prefix, meta, &params.back)
        .unwrap_or_else(|| (format!("{prefix}/{}/", meta.slug), Vec::new()));
    let results = choices(&found, f.name, &back);
    let title = ctx.t("autocomplete-pick-title", &[("field", f.label.into())]);
    ctx.state.templates.render(
        &["admin/autocomplete_pick.html".to_owned()],
        context! {
            base => ctx.base(&title),
            title => title,
            model => context! { slug => meta.slug, label_plural => meta.label_plural },
            field => context! { name => f.name, label => f.label },
            target => context! { slug => found.target.slug, label => found.target.label, label_plural => found.target.label_plural },
            q => q,
            results => results,
            more => found.more,
            message => found.message,
            back_url => url(&back.0, &back.1),
            raw_back => params.back,
            action => format!("{prefix}/{}/lookup/{}", meta.slug, f.name),
        },
    )
}

/// The suggestions as the pick page lists them, each with its "Choose" link.
fn choices(found: &Suggestions, field: &str, back: &(String, Pairs)) -> Vec<Value> {
    found
        .results
        .iter()
        .map(|s| {
            let mut pairs: Pairs = back.1.iter().filter(|(k, _)| k != field).cloned().collect();
            pairs.push((field.to_owned(), s.key.clone()));
            context! { id => s.key, text => s.text, detail => s.detail, choose_url => url(&back.0, &pairs) }
        })
        .collect()
}

fn url(path: &str, pairs: &[(String, String)]) -> String {
    format!("{path}{}", query_string(pairs))
}

/// The page a pick goes back to: a path under `{prefix}/{model}/` (the model's
/// list, its new form or a record's page) and its query, without the list's page
/// position (a filter changes what the pages hold). Anything else is refused.
fn back_target(prefix: &str, meta: &ModelMeta, raw: &str) -> Option<(String, Pairs)> {
    let (path, query) = raw.split_once('?').unwrap_or((raw, ""));
    let own = format!("{prefix}/{}/", meta.slug);
    let rest = path.strip_prefix(&own)?;
    let plain = |s: &str| s.chars().all(|c| c.is_ascii_alphanumeric() || "-._~%".contains(c));
    if !(rest.is_empty() || plain(rest)) {
        return None;
    }
    let pairs: Pairs = form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .filter(|(k, v)| {
            !matches!(k.as_str(), "page" | "after" | "before")
                && !admin_core::kernel::text::has_control(k, admin_core::kernel::text::Lines::One)
                && !admin_core::kernel::text::has_control(v, admin_core::kernel::text::Lines::One)
        })
        .collect();
    Some((path.to_owned(), pairs))
}

/// Where a foreign-key widget sits: the page's URL to come back to, the id
/// input it completes, and whether choosing submits its form (a list's filter).
pub struct Spot<'a> {
    /// The page the pick page goes back to (path and query).
    pub here: &'a str,
    /// The `id` of the input that holds the key.
    pub input_id: &'a str,
    /// Choosing submits the form at once.
    pub submit: bool,
}

/// What a form or filter needs to offer the autocomplete for the foreign key
/// `field` of `meta`: the suggestions' URL, the pick page's URL (back to
/// `spot.here`), and the chosen record's name when there is one. `None` (a plain
/// id input) when the caller may not view the model the field refers to.
#[must_use]
pub fn widget(
    ctx: &Ctx,
    meta: &ModelMeta,
    field: &str,
    spot: &Spot<'_>,
    title: Option<&str>,
) -> Option<Value> {
    let target = meta.field(field).and_then(|(_, f)| f.foreign_key)?;
    let target = ctx.service().model(target).ok()?;
    if !ctx.may(target.slug, "view") {
        return None;
    }
    let prefix = ctx.state.prefix();
    let mut s = form_urlencoded::Serializer::new(String::new());
    s.append_pair("back", spot.here);
    Some(context! {
        url => format!("{prefix}/{}/autocomplete/{field}", meta.slug),
        lookup_url => format!("{prefix}/{}/lookup/{field}?{}", meta.slug, s.finish()),
        input_id => spot.input_id,
        target_label => target.label_plural,
        title => title,
        submit => spot.submit,
    })
}

/// The names of the records the foreign keys among `values` (field name → key)
/// point at, for the fields whose target the caller may view.
pub async fn titles(
    ctx: &Ctx,
    meta: &ModelMeta,
    values: &[(&str, String)],
) -> Result<HashMap<String, String>> {
    let mut out = HashMap::new();
    for (name, value) in values {
        let Some((_, f)) = meta.field(name) else { continue };
        let Some(target) = f.foreign_key else { continue };
        if let Some(t) = ctx.service().lookup_title(&ctx.caller, target, value).await? {
            out.insert((*name).to_owned(), t);
        }
    }
    Ok(out)
}

/// The foreign keys a form's address chose (`?account_id=7`, from the pick page):
/// the fields of `meta` that refer to another model and that `staff` may change
/// on this form, with the value given.
#[must_use]
pub fn chosen(
    meta: &'static ModelMeta,
    staff: &Staff,
    pairs: &Pairs,
    creating: bool,
) -> Vec<(&'static str, String)> {
    meta.fields
        .iter()
        .filter(|f| f.foreign_key.is_some())
        .filter(|f| {
            admin_core::access::permission::field_access(staff, meta, f, creating)
                == admin_core::access::permission::FieldAccess::Editable
        })
        .filter_map(|f| {
            let v = pairs.iter().rev().find(|(k, _)| k == f.name)?.1.trim();
            admin_core::kernel::text::is_lookup(v, admin_core::kernel::text::LOOKUP)
                .then(|| (f.name, v.to_owned()))
        })
        .collect()
}
