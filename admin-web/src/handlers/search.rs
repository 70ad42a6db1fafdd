//! Global search: one box that finds records across every model the user may see,
//! by each model's search fields.

use admin_core::ModelMeta;
use admin_core::list::view::visible_columns;
use axum::extract::Query;
use axum::response::Html;
use minijinja::{Value, context};
use serde::Deserialize;

use crate::error::Result;
use crate::handlers::list::url_path_segment;
use crate::render::query_string;
use crate::session::Ctx;

/// Results shown per model.
const PER_MODEL: u64 = 5;
/// Totals stop here and show "more than 1,000".
const TOTAL_CAP: u64 = 1000;

/// `?q=`: the search text.
#[derive(Debug, Default, Deserialize)]
pub struct SearchQuery {
    /// What to look for.
    #[serde(default)]
    pub q: String,
}

/// `GET {prefix}/search?q=...`.
pub async fn search(ctx: Ctx, Query(params): Query<SearchQuery>) -> Result<Html<String>> {
    let q = params.q.trim().to_owned();
    let mut groups: Vec<Value> = Vec::new();
    if !q.is_empty() {
        for meta in ctx.service().models(&ctx.caller) {
            if let Some(group) = group(&ctx, meta, &q).await? {
                groups.push(group);
            }
        }
    }
    ctx.state.templates.render(
        &["admin/search.html".to_owned()],
        context! { base => ctx.base(&ctx.t("list-search", &[])), q => q, groups => groups },
    )
}

/// What one model has for `q`: its first rows and how many match, or nothing.
async fn group(ctx: &Ctx, meta: &'static ModelMeta, q: &str) -> Result<Option<Value>> {
    if meta.search.is_empty() {
        return Ok(None);
    }
    let (service, prefix) = (ctx.service(), ctx.state.prefix());
    let pairs = vec![("q".to_owned(), q.to_owned())];
    let query = service.query(&ctx.caller, meta.slug, &pairs)?;
    // A term the list refuses (too long, control characters) finds nothing.
    if query.search.is_empty() || query.q.is_none() {
        return Ok(None);
    }
    let rows = service.first_rows(&ctx.caller, meta.slug, &query, PER_MODEL).await?;
    if rows.is_empty() {
        return Ok(None);
    }
    let total = service.count(&ctx.caller, meta.slug, &query, TOTAL_CAP + 1).await?;
    let cols: Vec<usize> = visible_columns(meta, ctx.caller.staff()).into_iter().take(4).collect();
    let names = service.foreign_names(&ctx.caller, meta.slug, &rows).await?;
    let items: Vec<Value> = rows
        .iter()
        .map(|r| {
            // The record's display name first, where its model has one; foreign
            // keys by the names of the records they refer to.
            let mut text: Vec<String> = r.display_name(meta).into_iter().collect();
            text.extend(cols.iter().map(|&i| {
                let (f, cell) = (&meta.fields[i], &r.cells[i]);
                names.of(f, cell).map_or_else(|| f.display(cell), str::to_owned)
            }));
            context! { url => format!("{prefix}/{}/{}", meta.slug, url_path_segment(&r.key)), text => text.join(" · ") }
        })
        .collect();
    Ok(Some(context! {
        label => meta.label_plural,
        items => items,
        total => if total > TOTAL_CAP {
            ctx.t("search-more-than", &[("count", ctx.number(TOTAL_CAP).into())])
        } else {
            ctx.number(total)
        },
        all_url => format!("{prefix}/{}/{}", meta.slug, query_string(&pairs)),
    }))
}
