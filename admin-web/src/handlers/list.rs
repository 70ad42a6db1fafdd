//! The list screen (Django's change list) and its CSV export.

use admin_core::field::FieldKind;
use admin_core::model::thousands;
use admin_core::query::FilterOp;
use admin_core::{ListQuery, ListResult, ModelAdmin, ModelMeta, service};
use std::borrow::Cow;

use axum::body::{Body, Bytes};
use axum::extract::Query;
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use futures_util::StreamExt;
use minijinja::{Value, context};

use super::Pairs;
use crate::error::Result;
use crate::extract::ModelParam;
use crate::render::{Templates, query_string};
use crate::session::Ctx;
use crate::views::{cell_view, row_cells_html};

/// `GET {prefix}/{model}/`.
pub async fn show(
    ctx: Ctx,
    ModelParam(model): ModelParam,
    Query(params): Query<Pairs>,
) -> Result<Html<String>> {
    let query = ListQuery::parse(model.as_ref(), &params, &ctx.staff)
        .with_tuning(ctx.state.registry.list_tuning().clone());
    let result = service::list(&ctx.state.db, &ctx.staff, model.as_ref(), &query).await?;
    let page = ListPage { ctx: &ctx, model: model.as_ref(), query: &query, result: &result };
    let meta = model.meta();
    ctx.state.templates.render(&Templates::chain(meta.slug, "list.html"), page.context())
}

struct ListPage<'a> {
    ctx: &'a Ctx,
    model: &'a dyn ModelAdmin,
    query: &'a ListQuery,
    result: &'a ListResult,
}

impl ListPage<'_> {
    fn meta(&self) -> &'static ModelMeta {
        self.model.meta()
    }

    fn base_url(&self) -> String {
        format!("{}/{}/", self.ctx.state.prefix(), self.meta().slug)
    }

    /// The list URL for the current query changed by `edit`.
    fn url_with(&self, edit: impl FnOnce(&mut Pairs)) -> String {
        let mut p = self.query.params(self.meta());
        edit(&mut p);
        format!("{}{}", self.base_url(), query_string(&p))
    }

    fn page_url(&self, page: u64) -> String {
        self.url_with(|p| {
            if page > 1 {
                p.push(("page".to_owned(), page.to_string()));
            }
        })
    }

    /// The link to page `page` that continues from a row of this page (`after=` or
    /// `before=` its key), so the next deep page is found without a scan.
    fn page_url_from(&self, page: u64, cursor: &str, key: &str) -> String {
        if page <= 1 {
            return self.page_url(1);
        }
        self.url_with(|p| {
            p.push(("page".to_owned(), page.to_string()));
            p.push((cursor.to_owned(), key.to_owned()));
        })
    }

    fn context(&self) -> Value {
        let meta = self.meta();
        let prefix = self.ctx.state.prefix();
        let current_qs = {
            let mut p = self.query.params(meta);
            if self.result.page > 1 {
                p.push(("page".to_owned(), self.result.page.to_string()));
            }
            query_string(&p)
        };
        let back = {
            let mut s = form_urlencoded::Serializer::new(String::new());
            s.append_pair("_back", current_qs.trim_start_matches('?'));
            s.finish()
        };
        let columns: Vec<Value> = self
            .columns()
            .into_iter()
            .map(|i| {
                let f = &meta.fields[i];
                let sorted = match self.query.sort {
                    Some((s, desc)) if s == i => Some(if desc { "desc" } else { "asc" }),
                    Some(_) => None,
                    None => meta.ordering.first().filter(|(s, _)| *s == i).map(|(_, d)| if *d { "desc" } else { "asc" }),
                };
                let next = if sorted == Some("asc") { format!("-{}", f.name) } else { f.name.to_owned() };
                let sort_url = self.url_with(|p| {
                    p.retain(|(k, _)| k != "sort");
                    p.push(("sort".to_owned(), next));
                });
                let numeric = matches!(f.kind, FieldKind::Integer | FieldKind::Float | FieldKind::Decimal)
                    && f.foreign_key.is_none();
                context! { name => f.name, label => f.label, sort_url => sort_url, sorted => sorted, numeric => numeric }
            })
            .collect();
        // The built-in cell markup is written here, a row at a time; an overridden
        // cell template gets every cell to render itself.
        let fast = !self.ctx.state.templates.is_overridden("admin/includes/cell.html");
        let shown = self.columns();
        let rows: Vec<Value> = self
            .result
            .rows
            .iter()
            .map(|r| {
                let url = format!("{prefix}/{}/{}?{back}", meta.slug, url_path_segment(&r.key));
                let (cells, cells_html) = if fast {
                    (Vec::new(), Some(Value::from_safe_string(row_cells_html(prefix, meta, &shown, r, &url))))
                } else {
                    let cells: Vec<Value> =
                        shown.iter().map(|&i| cell_view(prefix, &meta.fields[i], &r.cells[i])).collect();
                    (cells, None)
                };
                context! { key => &r.key, url => url, cells => cells, cells_html => cells_html }
            })
            .collect();
        let total = self.result.total();
        let pages = self.result.pages();
        let page = self.result.page;
        let (first_key, last_key) = match (self.result.rows.first(), self.result.rows.last()) {
            (Some(f), Some(l)) if self.result.deep => (Some(f.key.as_str()), Some(l.key.as_str())),
            _ => (None, None),
        };
        let first_row = admin_core::query::page_offset(page, self.result.per_page).saturating_add(1);
        let pagination = context! {
            page => page,
            pages => pages,
            prev_url => (page > 1).then(|| match first_key {
                Some(k) => self.page_url_from(page - 1, "before", k),
                None => self.page_url(page - 1),
            }),
            next_url => self.result.has_next.then(|| match last_key {
                Some(k) => self.page_url_from(page + 1, "after", k),
                None => self.page_url(page + 1),
            }),
            links => self.page_links(page, pages),
            first_row => if self.result.rows.is_empty() { "0".to_owned() } else { thousands(first_row) },
            last_row => thousands(first_row - 1 + self.result.rows.len() as u64),
        };
        // An estimate comes with the way to the exact number.
        let exact_url = (!self.result.count.is_exact()).then(|| {
            self.url_with(|p| {
                if page > 1 {
                    p.push(("page".to_owned(), page.to_string()));
                }
                p.push(("exact".to_owned(), "1".to_owned()));
            })
        });
        let mut messages = self.query.messages.clone();
        if self.query.page > page && total > 0 {
            messages.push(format!("There is no page {}; showing the last page, {}.", self.query.page, page));
        }
        let search_labels: Vec<&str> = self.query.search.iter().map(|&i| meta.fields[i].label).collect();
        // The search form keeps filters and sort as hidden fields.
        let keep: Vec<Value> = self
            .query
            .params(meta)
            .into_iter()
            .filter(|(k, _)| k != "q")
            .map(|(k, v)| context! { name => k, value => v })
            .collect();
        context! {
            base => self.ctx.base(meta.label_plural),
            model => context! { slug => meta.slug, label => meta.label, label_plural => meta.label_plural, noun_plural => meta.noun_plural() },
            columns => columns,
            rows => rows,
            total => total,
            total_phrase => self.result.count.phrase(meta),
            count_exact => self.result.count.is_exact(),
            exact_url => exact_url,
            q => self.query.q.clone().unwrap_or_default(),
            searchable => !self.query.search.is_empty(),
            search_labels => search_labels.join(", "),
            keep => keep,
            filters => self.filters(),
            active_filters => self.active_filters(),
            clear_url => (self.query.q.is_some() || !self.query.filters.is_empty()).then(|| self.url_with(|p| p.retain(|(k, _)| k == "sort"))),
            pagination => pagination,
            messages => messages,
            add_url => self.ctx.may(self.model, "add").then(|| format!("{prefix}/{}/new?{back}", meta.slug)),
            export_url => self.ctx.may(self.model, "export").then(|| format!("{prefix}/{}/export.csv{current_qs}", meta.slug)),
            actions => self.actions(),
            view_query => query_string(&self.query.params(meta)).trim_start_matches('?').to_owned(),
            list_params => self.query.params(meta).into_iter().map(|(k, v)| context! { name => k, value => v }).collect::<Vec<_>>(),
        }
    }

    fn page_links(&self, page: u64, pages: u64) -> Vec<Value> {
        let mut shown: Vec<u64> = vec![1, 2, pages.saturating_sub(1), pages];
        shown.extend(page.saturating_sub(2)..=(page + 2));
        shown.retain(|&n| n >= 1 && n <= pages);
        shown.sort_unstable();
        shown.dedup();
        let mut out = Vec::new();
        let mut last = 0;
        for n in shown {
            if n > last + 1 {
                out.push(context! { gap => true });
            }
            out.push(
                context! { gap => false, n => thousands(n), url => self.page_url(n), current => n == page },
            );
            last = n;
        }
        out
    }

    /// The actions this user may run on this model.
    fn actions(&self) -> Vec<Value> {
        let meta = self.meta();
        self.ctx
            .state
            .registry
            .actions_for(meta.slug)
            .into_iter()
            .filter(|a| {
                admin_core::service::action_for(
                    &self.ctx.staff,
                    &self.ctx.state.registry,
                    meta.slug,
                    a.name(),
                )
                .is_ok()
            })
            .map(|a| {
                context! {
                    name => a.name(),
                    label => a.label(),
                    url => format!("{}/{}/actions/{}", self.ctx.state.prefix(), meta.slug, a.name()),
                    dangerous => a.policy().dangerous,
                    max_batch => a.policy().max_batch,
                }
            })
            .collect()
    }

    /// The listed columns this user may see.
    fn columns(&self) -> Vec<usize> {
        self.meta().list_display.iter().copied().filter(|&i| !self.query.hidden[i]).collect()
    }

    fn filters(&self) -> Vec<Value> {
        let meta = self.meta();
        meta.filters
            .iter()
            .filter(|&&i| !self.query.hidden[i])
            .map(|&i| {
                let f = &meta.fields[i];
                let current = self.query.filters.iter().find(|x| x.field == i && x.op == FilterOp::Eq);
                let option = |value: &str, label: &str| {
                    let v = value.to_owned();
                    let url = self.url_with(|p| {
                        p.retain(|(k, _)| k != f.name);
                        if !v.is_empty() {
                            p.push((f.name.to_owned(), v.clone()));
                        }
                    });
                    let active = current.map_or(value.is_empty(), |c| c.raw == value);
                    context! { label => label, url => url, active => active }
                };
                if f.kind.is_temporal() {
                    let get = |suffix: &str| {
                        self.query
                            .filters
                            .iter()
                            .find(|x| x.param == format!("{}{suffix}", f.name))
                            .map(|x| x.raw.clone())
                            .unwrap_or_default()
                    };
                    let keep: Vec<Value> = self
                        .query
                        .params(meta)
                        .into_iter()
                        .filter(|(k, _)| !k.starts_with(&format!("{}__", f.name)))
                        .map(|(k, v)| context! { name => k, value => v })
                        .collect();
                    return context! {
                        kind => "date", name => f.name, label => f.label,
                        from => get("__from"), to => get("__to"), keep => keep,
                    };
                }
                if f.foreign_key.is_some() {
                    let keep: Vec<Value> = self
                        .query
                        .params(meta)
                        .into_iter()
                        .filter(|(k, _)| k != f.name)
                        .map(|(k, v)| context! { name => k, value => v })
                        .collect();
                    return context! {
                        kind => "fk", name => f.name, label => f.label,
                        value => current.map(|c| c.raw.clone()).unwrap_or_default(), keep => keep,
                    };
                }
                let mut options = vec![option("", "All")];
                if let Some(choices) = f.choices {
                    options.extend(choices.iter().map(|c| option(c.value, c.label)));
                } else if f.kind == FieldKind::Boolean {
                    options.push(option("1", "Yes"));
                    options.push(option("0", "No"));
                }
                context! { kind => "options", name => f.name, label => f.label, options => options }
            })
            .collect()
    }

    fn active_filters(&self) -> Vec<Value> {
        let meta = self.meta();
        let mut out: Vec<Value> = self
            .query
            .filters
            .iter()
            .map(|x| {
                let f = &meta.fields[x.field];
                let value = match x.op {
                    FilterOp::Eq if f.kind == FieldKind::Boolean => {
                        if matches!(x.raw.as_str(), "1" | "true" | "yes" | "on") {
                            "yes".to_owned()
                        } else {
                            "no".to_owned()
                        }
                    }
                    FilterOp::Eq => f.choice_label(&x.raw).to_owned(),
                    FilterOp::From => format!("from {}", x.raw),
                    FilterOp::Before => format!("to {}", x.raw),
                };
                let param = x.param.clone();
                let url = self.url_with(|p| p.retain(|(k, _)| *k != param));
                context! { label => f.label, value => value, remove_url => url }
            })
            .collect();
        if let Some(q) = &self.query.q {
            let url = self.url_with(|p| p.retain(|(k, _)| k != "q"));
            out.insert(
                0,
                context! { label => "Search", value => format!("\u{201c}{q}\u{201d}"), remove_url => url },
            );
        }
        out
    }
}

/// What a path segment leaves as it is: letters, digits and `*-._`; everything else,
/// `/`, `?`, `#`, `%` and spaces included, is percent-encoded.
const PATH_SEGMENT: &percent_encoding::AsciiSet =
    &percent_encoding::NON_ALPHANUMERIC.remove(b'*').remove(b'-').remove(b'.').remove(b'_');

/// Percent-encodes a key for use as one path segment.
#[must_use]
pub fn url_path_segment(key: &str) -> String {
    percent_encoding::utf8_percent_encode(key, PATH_SEGMENT).to_string()
}

/// Defuses a CSV cell that a spreadsheet would run as a formula: text that starts
/// with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'`. Quoting
/// is the CSV writer's ([`csv_response`]).
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
    let header = columns.iter().map(|&i| meta.fields[i].label.to_owned()).collect();
    Ok(csv_response(meta.slug, header, pages, move |r| {
        columns.iter().map(|&i| meta.fields[i].display(&r.cells[i])).collect()
    }))
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
