//! A list's CSV export, and the CSV writing the audit log's export shares.

use std::borrow::Cow;

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

/// Defuses a CSV cell that a spreadsheet would run as a formula: text that starts
/// with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'`. Quoting
/// is the CSV writer's (`csv_response`).
#[must_use]
pub fn csv_cell(text: &str) -> Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// CSV lines (CRLF-terminated, quoted where needed, every cell defused by
/// [`csv_cell`]) of `rows`.
fn csv_lines(rows: impl IntoIterator<Item = Vec<String>>) -> std::io::Result<Bytes> {
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new());
    for row in rows {
        let cells: Vec<Cow<'_, str>> = row.iter().map(|c| csv_cell(c)).collect();
        w.write_record(cells.iter().map(|c| c.as_bytes()))?;
    }
    w.into_inner().map(Bytes::from).map_err(|e| std::io::Error::other(e.to_string()))
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

#[cfg(test)]
mod tests {
    use super::csv_lines;

    fn line(cell: &str) -> String {
        String::from_utf8(csv_lines([vec![cell.to_owned()]]).unwrap().to_vec()).unwrap()
    }

    #[test]
    fn csv_cells_are_defused_and_quoted() {
        assert_eq!(line("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"\r\n");
        assert_eq!(line("+1"), "'+1\r\n");
        assert_eq!(line("-5"), "'-5\r\n");
        assert_eq!(line("@SUM(A1)"), "'@SUM(A1)\r\n");
        assert_eq!(line("\tx"), "'\tx\r\n");
        assert_eq!(line("a,b"), "\"a,b\"\r\n");
        assert_eq!(line("two\nlines"), "\"two\nlines\"\r\n");
        assert_eq!(line("plain"), "plain\r\n");
        let two =
            csv_lines([vec!["a".to_owned(), "=b".to_owned()], vec![String::new(), "c".to_owned()]]).unwrap();
        assert_eq!(&two[..], b"a,'=b\r\n,c\r\n");
    }
}
