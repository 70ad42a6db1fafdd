//! The dashboard: the models this user may see.

use axum::response::Html;
use minijinja::{Value, context};

use crate::error::Result;
use crate::session::Ctx;

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
    ctx.state.templates.render(
        &["admin/dashboard.html".to_owned()],
        context! { base => ctx.base("Dashboard"), models => models },
    )
}
