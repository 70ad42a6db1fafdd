//! A list's CSV export, and the CSV writing the audit log's export shares.

use admin_core::{ListQuery, service};
use axum::body::{Body, Bytes};
use axum::extract::Query;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;

use super::Pairs;
use crate::error::Result;
use crate::extract::ModelParam;
use crate::session::Ctx;

pub use admin_core::kernel::csv_text::cell as csv_cell;

/// CSV lines of `rows`, as [`admin_core::kernel::csv_text::lines`] writes them.
fn csv_lines(rows: impl IntoIterator<Item = Vec<String>>) -> std::io::Result<Bytes> {
    admin_core::kernel::csv_text::lines(rows).map(Bytes::from)
}

/// A CSV file streamed as `pages` are read from the database: the header line,
/// then one chunk per page, so memory stays flat however many rows. A page that
/// fails ends the body early (the client sees a broken download, and the log why).
pub(crate) fn csv_response<T: Send + 'static>(
    filename: &str,
    header: Vec<String>,
    pages: admin_core::service::Pages<T>,
    line: impl Fn(&T) -> Vec<String> + Send + 'static,
) -> Response {
    let first = futures_util::stream::iter([csv_lines([header])]);
    let rest = pages.map(move |page| match page {
        Ok(rows) => csv_lines(rows.iter().map(&line)),
        Err(e) => {
            tracing::error!(error = %e, "CSV export failed part way");
            Err(std::io::Error::other(e.to_string()))
        }
    });
    let mut resp = Body::from_stream(first.chain(rest)).into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}.csv\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    resp
}

/// `GET {prefix}/{model}/export.csv`: the current filtered list, up to
/// [`service::EXPORT_LIMIT`] rows, streamed from the database.
pub async fn export(
    ctx: Ctx,
    ModelParam(model): ModelParam,
    Query(params): Query<Pairs>,
) -> Result<Response> {
    let query = ListQuery::parse(model.as_ref(), &params, &ctx.staff);
    // A search or filter the list could not use would widen the export unseen.
    if !query.messages.is_empty() {
        return Err(admin_core::Error::BadRequest(format!(
            "{} Nothing was exported.",
            query.messages.join(" ")
        ))
        .into());
    }
    let meta = model.meta();
    let pages = ctx.service().export_pages(&ctx.caller, meta.slug, &query, service::EXPORT_LIMIT).await?;
    let columns: Vec<usize> = meta.list_display.iter().copied().filter(|&i| !query.hidden[i]).collect();
    // A foreign key to a model with display names gets a column of those names
    // beside its id, which stays for machines ("Account", "Account name").
    let named: Vec<bool> =
        columns.iter().map(|&i| ctx.service().names_foreign_key(&ctx.caller, &meta.fields[i])).collect();
    let mut header = Vec::new();
    for (&i, &with_name) in columns.iter().zip(&named) {
        let label = meta.fields[i].label;
        header.push(label.to_owned());
        if with_name {
            let args = [("label", crate::i18n::Arg::from(label))];
            header.push(ctx.state.templates.catalogs().text(
                crate::i18n::FALLBACK,
                "display-csv-name-column",
                &args,
            ));
        }
    }
    let (service, caller) = (ctx.service(), ctx.caller.clone());
    let pages: service::Pages<Vec<String>> = Box::pin(pages.then(move |page| {
        let (service, caller, columns, named) =
            (service.clone(), caller.clone(), columns.clone(), named.clone());
        async move {
            let rows = page?;
            let names = service.foreign_names(&caller, meta.slug, &rows).await?;
            Ok(rows
                .iter()
                .map(|r| {
                    let mut line = Vec::with_capacity(columns.len() + 1);
                    for (&i, &with_name) in columns.iter().zip(&named) {
                        let (f, cell) = (&meta.fields[i], &r.cells[i]);
                        line.push(f.export_text(cell));
                        if with_name {
                            line.push(names.of(f, cell).unwrap_or_default().to_owned());
                        }
                    }
                    line
                })
                .collect())
        }
    }));
    Ok(csv_response(meta.slug, header, pages, Vec::clone))
}
