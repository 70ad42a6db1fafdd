//! Global search: one box that finds records across every model the user may see,
//! by each model's search fields.

use admin_core::model::thousands;
use admin_core::{ListQuery, service};
use axum::extract::Query;
use axum::response::Html;
use minijinja::{Value, context};

use super::Pairs;
use crate::error::Result;
use crate::handlers::list::url_path_segment;
use crate::render::query_string;
use crate::session::Ctx;

/// Results shown per model.
const PER_MODEL: u64 = 5;

/// `GET {prefix}/search?q=...`.
pub async fn search(ctx: Ctx, Query(params): Query<Pairs>) -> Result<Html<String>> {
    let q = params.iter().find(|(k, _)| k == "q").map(|(_, v)| v.trim().to_owned()).unwrap_or_default();
    let prefix = ctx.state.prefix();
    let mut groups: Vec<Value> = Vec::new();
    if !q.is_empty() {
        for model in ctx.state.registry.models() {
            if !ctx.may(model.as_ref(), "view") || model.meta().search.is_empty() {
                continue;
            }
            let pairs = vec![("q".to_owned(), q.clone())];
            let query = ListQuery::parse(model.as_ref(), &pairs, &ctx.staff);
            // A term the list refuses (too long, control characters) finds nothing.
            if query.search.is_empty() || query.q.is_none() {
                continue;
            }
            let meta = model.meta();
            let rows =
                service::first_rows(&ctx.state.db, &ctx.staff, model.as_ref(), &query, PER_MODEL).await?;
            if rows.is_empty() {
                continue;
            }
            let total = model.count_capped(&ctx.state.db, &query, 1001).await?;
            let cols: Vec<usize> = meta
                .list_display
                .iter()
                .copied()
                .filter(|&i| !admin_core::permission::hidden(&ctx.staff, &meta.fields[i]))
                .take(4)
                .collect();
            let items: Vec<Value> = rows
                .iter()
                .map(|r| {
                    let text: Vec<String> = cols.iter().map(|&i| meta.fields[i].display(&r.cells[i])).collect();
                    context! { url => format!("{prefix}/{}/{}", meta.slug, url_path_segment(&r.key)), text => text.join(" · ") }
                })
                .collect();
            groups.push(context! {
                label => meta.label_plural,
                items => items,
                total => if total > 1000 { "more than 1,000".to_owned() } else { thousands(total) },
                all_url => format!("{prefix}/{}/{}", meta.slug, query_string(&pairs)),
            });
        }
    }
    ctx.state.templates.render(
        &["admin/search.html".to_owned()],
        context! { base => ctx.base("Search"), q => q, groups => groups },
    )
}
