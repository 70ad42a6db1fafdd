//! Custom pages (`admin_core::registry::Page`) at `{prefix}/pages{path}`: the door
//! checks the permission and calls the application's code; this wraps what it
//! answers in the admin's layout. Also the nav's entries for them.

use admin_core::registry::{Page, PageContent, PageMethod};
use axum::extract::{Path, Query};
use axum::response::{Html, IntoResponse, Redirect, Response};
use minijinja::{Value, context};

use super::Pairs;
use crate::error::Result;
use crate::extract::Submitted;
use crate::session::Ctx;

/// The built-in page a custom page's HTML is shown in, and its templates extend.
pub const PAGE_TEMPLATE: &str = "admin/page.html";

/// `GET {prefix}/pages/{*path}`.
pub async fn show(Path(path): Path<String>, Query(query): Query<Pairs>, ctx: Ctx) -> Result<Response> {
    let (page, content) =
        ctx.service().open_page(&ctx.caller, &format!("/{path}"), PageMethod::Get, query, Vec::new()).await?;
    answer(&ctx, &page, content).await
}

/// `POST {prefix}/pages/{*path}`: the form's CSRF token is checked by [`Submitted`]
/// before the page's code sees the fields (the token left out).
pub async fn submit(
    Path(path): Path<String>,
    Query(query): Query<Pairs>,
    Submitted(ctx, form): Submitted<Pairs>,
) -> Result<Response> {
    let form: Pairs = form.into_iter().filter(|(k, _)| k != "csrf_token").collect();
    let (page, content) =
        ctx.service().open_page(&ctx.caller, &format!("/{path}"), PageMethod::Post, query, form).await?;
    answer(&ctx, &page, content).await
}

/// The page's content in the layout, or its redirect.
async fn answer(ctx: &Ctx, page: &Page, content: PageContent) -> Result<Response> {
    let prefix = ctx.state.prefix();
    let url = format!("{prefix}{}", page.url_path());
    let about = |title: &str| {
        context! {
            label => page.label(), title => title, section => page.section_label(),
            url => &url, takes_post => page.takes_post(),
        }
    };
    let html: Html<String> = match content {
        PageContent::Template { name, context, title } => {
            if !context.is_object() {
                return Err(admin_core::Error::Internal(format!(
                    "the page {} gave its template a context that is not an object",
                    page.path()
                ))
                .into());
            }
            let title = title.as_deref().unwrap_or(page.label());
            let own = Value::from_serialize(&context);
            ctx.state.templates.render(
                &[name],
                context! {
                    base => ctx.base(title), page => about(title), nav_current => url, csrf_token => &ctx.csrf, ..own
                },
            )?
        }
        PageContent::Html { html, title } => {
            let title = title.as_deref().unwrap_or(page.label());
            ctx.state.templates.render(
                &[PAGE_TEMPLATE.to_owned()],
                context! {
                    base => ctx.base(title), page => about(title), nav_current => url,
                    page_html => Value::from_safe_string(html),
                },
            )?
        }
        PageContent::Redirect { to, flash } => {
            if !to.starts_with('/') || to.starts_with("//") || to.contains('\\') {
                return Err(admin_core::Error::Internal(format!(
                    "the page {} redirected to {to:?}, which is not a path inside the admin",
                    page.path()
                ))
                .into());
            }
            if let Some(message) = flash {
                ctx.flash(&message).await;
            }
            return Ok(Redirect::to(&format!("{prefix}{to}")).into_response());
        }
        other => {
            return Err(admin_core::Error::Internal(format!(
                "the page {} answered content this admin cannot show: {other:?}",
                page.path()
            ))
            .into());
        }
    };
    Ok(html.into_response())
}

/// The nav's custom pages the user may open, grouped by section in the order the
/// pages were added (pages without a section form groups of their own).
#[must_use]
pub fn nav(ctx: &Ctx) -> Vec<Value> {
    let prefix = ctx.state.prefix();
    let mut groups: Vec<(Option<String>, Vec<Value>)> = Vec::new();
    for page in ctx.service().pages(&ctx.caller) {
        let entry = context! { label => page.label(), url => format!("{prefix}{}", page.url_path()) };
        let section = page.section_label().map(str::to_owned);
        match groups.iter_mut().find(|(s, _)| *s == section) {
            Some((_, pages)) => pages.push(entry),
            None => groups.push((section, vec![entry])),
        }
    }
    groups.into_iter().map(|(section, pages)| context! { section => section, pages => pages }).collect()
}
