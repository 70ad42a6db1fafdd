//! The list screen (Django's change list); its CSV export is [`export`].

use admin_core::list::view::{self, FilterChoice, Params};
use admin_core::{ForeignNames, ListQuery, ListResult, ModelMeta};
use std::collections::HashSet;

use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use minijinja::{Value, context};

use super::Pairs;
pub(crate) use super::export::csv_response;
pub use super::export::{csv_cell, export};
use super::list_count::count_phrase;
use crate::error::Result;
use crate::extract::ModelParam;
use crate::render::{Templates, query_string};
use crate::session::Ctx;
use crate::views::{cell_view_named, row_cells_html};

/// `GET {prefix}/{model}/`.
pub async fn show(ctx: Ctx, ModelParam(model): ModelParam, Query(params): Query<Pairs>) -> Result<Response> {
    render(&ctx, model.meta(), &params, None, StatusCode::OK).await
}

/// The list of `back` (the list's query) again with an edit in its cells: values
/// typed, messages, the report of a save (see [`super::list_edit`]).
pub(crate) async fn show_editing(
    ctx: &Ctx,
    meta: &'static ModelMeta,
    back: &str,
    state: super::list_edit::EditState,
    status: StatusCode,
) -> Result<Response> {
    let params: Pairs =
        form_urlencoded::parse(back.trim_start_matches('?').as_bytes()).into_owned().collect();
    render(ctx, meta, &params, Some(state), status).await
}

async fn render(
    ctx: &Ctx,
    meta: &'static ModelMeta,
    params: &Pairs,
    edit: Option<super::list_edit::EditState>,
    status: StatusCode,
) -> Result<Response> {
    let service = ctx.service();
    let query =
        service.query(&ctx.caller, meta.slug, params)?.with_tuning(service.registry().list_tuning().clone());
    let result = service.list(&ctx.caller, meta.slug, &query).await?;
    // Columns changed in place, where this user may.
    let columns = service.list_editable(&ctx.caller, meta.slug)?;
    let editing = (!columns.is_empty()).then(|| super::list_edit::Editing { columns, state: edit });
    // Foreign keys show the names of the records they refer to: one query per
    // target model for the whole page.
    let names = service.foreign_names(&ctx.caller, meta.slug, &result.rows).await?;
    // The stored selection, for the checkboxes and the tray: only where there are
    // actions to run on it.
    let selected: HashSet<String> = if service.actions(&ctx.caller, meta.slug).is_empty() {
        HashSet::new()
    } else {
        service.selection(&ctx.caller, meta.slug).await?.into_iter().collect()
    };
    // The names of the records a foreign-key filter chose, for its chip and field.
    let chosen: Vec<(&str, String)> = query
        .filters
        .iter()
        .filter(|x| meta.fields[x.field].foreign_key.is_some())
        .map(|x| (meta.fields[x.field].name, x.raw.clone()))
        .collect();
    let fk_titles = super::autocomplete::titles(ctx, meta, &chosen).await?;
    let page = ListPage {
        ctx,
        meta,
        params: query.params(meta),
        query: &query,
        result: &result,
        selected: &selected,
        editing: editing.as_ref(),
        fk_titles: &fk_titles,
        names: &names,
    };
    let html = ctx.state.templates.render(&Templates::chain(meta.slug, "list.html"), page.context())?;
    Ok((status, html).into_response())
}

/// The list page's values: the view model from [`admin_core::list::view`] turned
/// into links and markup.
struct ListPage<'a> {
    ctx: &'a Ctx,
    meta: &'static ModelMeta,
    /// The query's own parameters (without `page`), which every link keeps.
    params: Params,
    query: &'a ListQuery,
    result: &'a ListResult,
    /// The keys in the user's selection of this model.
    selected: &'a HashSet<String>,
    /// The columns edited in place, when there are any for this user.
    editing: Option<&'a super::list_edit::Editing>,
    /// The names of the records foreign-key filters chose, by field name.
    fk_titles: &'a std::collections::HashMap<String, String>,
    /// The display names the page's foreign keys refer to.
    names: &'a ForeignNames,
}

/// Hidden form fields for parameters.
fn hidden_fields(params: impl IntoIterator<Item = (String, String)>) -> Vec<Value> {
    params.into_iter().map(|(k, v)| context! { name => k, value => v }).collect()
}

impl ListPage<'_> {
    /// The list URL for the current query changed by `edit`.
    fn url_with(&self, edit: impl FnOnce(&mut Params)) -> String {
        let mut p = self.params.clone();
        edit(&mut p);
        format!("{}/{}/{}", self.ctx.state.prefix(), self.meta.slug, query_string(&p))
    }

    fn link(&self, to: &view::PageLink) -> String {
        self.url_with(|p| *p = to.params(std::mem::take(p)))
    }

    fn without(&self, param: &str) -> String {
        self.url_with(|p| p.retain(|(k, _)| k != param))
    }

    fn context(&self) -> Value {
        let (meta, prefix, page) = (self.meta, self.ctx.state.prefix(), self.result.page);
        let current_qs = query_string(&view::PageLink { page, cursor: None }.params(self.params.clone()));
        let back = {
            let mut s = form_urlencoded::Serializer::new(String::new());
            s.append_pair("_back", current_qs.trim_start_matches('?'));
            s.finish()
        };
        // An estimate comes with the way to the exact number.
        let exact_url = (!self.result.count.is_exact()).then(|| {
            let at = view::PageLink { page, cursor: None };
            self.url_with(|p| *p = view::with_param(at.params(std::mem::take(p)), "exact", "1"))
        });
        let search_labels: Vec<&str> = self.query.search.iter().map(|&i| meta.fields[i].label).collect();
        let (service, caller) = (self.ctx.service(), &self.ctx.caller);
        let narrowed = self.query.q.is_some() || !self.query.filters.is_empty();
        context! {
            base => self.ctx.base(meta.label_plural),
            model => context! { slug => meta.slug, label => meta.label, label_plural => meta.label_plural, noun_plural => meta.noun_plural() },
            columns => self.columns(),
            rows => self.rows(&back),
            total => self.result.total(),
            total_phrase => count_phrase(self.ctx, meta, self.result.count),
            count_exact => self.result.count.is_exact(),
            exact_url => exact_url,
            q => self.query.q.clone().unwrap_or_default(),
            searchable => !self.query.search.is_empty(),
            search_labels => search_labels.join(", "),
            // The search form keeps filters and sort as hidden fields.
            keep => hidden_fields(self.params.iter().filter(|(k, _)| k != "q").cloned()),
            filters => self.filters(),
            active_filters => self.active_filters(),
            drill => self.drill(),
            clear_url => narrowed.then(|| self.url_with(|p| p.retain(|(k, _)| k == "sort"))),
            pagination => self.pagination(),
            messages => view::messages(self.query, self.result),
            add_url => service.may(caller, meta.slug, "add").then(|| format!("{prefix}/{}/new?{back}", meta.slug)),
            export_url => service.may(caller, meta.slug, "export").then(|| format!("{prefix}/{}/export.csv{current_qs}", meta.slug)),
            export_job_url => format!("{prefix}/{}/export-job", meta.slug),
            import_url => service.may(caller, meta.slug, "import").then(|| format!("{prefix}/{}/import", meta.slug)),
            actions => self.actions(),
            view_query => query_string(&self.params).trim_start_matches('?').to_owned(),
            list_params => hidden_fields(self.params.clone()),
            selection => self.selection(),
            back_qs => current_qs.trim_start_matches('?').to_owned(),
            list_edit => self.editing.map(|e| e.form(self.ctx, meta, current_qs.trim_start_matches('?'))),
        }
    }

    /// The selection tray: how many records are selected (on every page), how many
    /// of them this page shows, and where the selection is changed.
    fn selection(&self) -> Value {
        let n = self.selected.len() as u64;
        let here = self.result.rows.iter().filter(|r| self.selected.contains(&r.key)).count();
        context! {
            count => n,
            phrase => count_phrase(self.ctx, self.meta, admin_core::list::count::Count::Exact(n)),
            here => here,
            page_all => here > 0 && here == self.result.rows.len(),
            url => format!("{}/{}/selection", self.ctx.state.prefix(), self.meta.slug),
        }
    }

    fn columns(&self) -> Vec<Value> {
        view::columns(self.meta, self.query)
            .into_iter()
            .map(|c| {
                let f = &self.meta.fields[c.field];
                let sort_url = self.url_with(|p| *p = view::with_param(std::mem::take(p), "sort", &c.sort_param));
                context! { name => f.name, label => self.ctx.reader().field_label(self.meta.slug, f.name, f.label), sort_url => sort_url, sorted => c.sorted, numeric => c.numeric }
            })
            .collect()
    }

    /// The rows. The built-in cell markup is written here, a row at a time; an
    /// overridden cell template gets every cell to render itself.
    fn rows(&self, back: &str) -> Vec<Value> {
        let (meta, prefix) = (self.meta, self.ctx.state.prefix());
        let fast = !self.ctx.state.templates.is_overridden("admin/includes/cell.html");
        let shown = view::shown_columns(meta, self.query);
        self.result
            .rows
            .iter()
            .enumerate()
            .map(|(n, r)| {
                let url = format!("{prefix}/{}/{}?{back}", meta.slug, url_path_segment(&r.key));
                let selected = self.selected.contains(&r.key);
                if let Some(editing) = self.editing {
                    let edit_cells = editing.cells(self.ctx, meta, &shown, (n, r, &url), self.names);
                    return context! { key => &r.key, url => url, edit_cells => edit_cells, selected => selected };
                }
                let (cells, cells_html) = if fast {
                    (
                        Vec::new(),
                        Some(Value::from_safe_string(row_cells_html(
                            prefix,
                            meta,
                            &shown,
                            r,
                            &url,
                            self.names,
                            self.ctx.reader(),
                        ))),
                    )
                } else {
                    let cells: Vec<Value> = shown
                        .iter()
                        .map(|&i| cell_view_named(prefix, &meta.fields[i], &r.cells[i], self.names, self.ctx.reader()))
                        .collect();
                    (cells, None)
                };
                context! { key => &r.key, url => url, cells => cells, cells_html => cells_html, selected => selected }
            })
            .collect()
    }

    fn pagination(&self) -> Value {
        let p = view::pagination(self.result);
        let links: Vec<Value> = p
            .numbers
            .iter()
            .map(|n| match n {
                None => context! { gap => true },
                Some(n) => context! {
                    gap => false, n => self.ctx.number(*n), current => *n == p.page,
                    url => self.link(&view::PageLink { page: *n, cursor: None }),
                },
            })
            .collect();
        context! {
            page => p.page,
            pages => p.pages,
            prev_url => p.prev.as_ref().map(|l| self.link(l)),
            next_url => p.next.as_ref().map(|l| self.link(l)),
            links => links,
            first_row => self.ctx.number(p.first_row),
            last_row => self.ctx.number(p.last_row),
        }
    }

    /// The actions this user may run on this model.
    fn actions(&self) -> Vec<Value> {
        let slug = self.meta.slug;
        self.ctx
            .service()
            .actions(&self.ctx.caller, slug)
            .into_iter()
            .map(|a| {
                context! {
                    name => a.name(),
                    label => a.label(),
                    url => format!("{}/{slug}/actions/{}", self.ctx.state.prefix(), a.name()),
                    dangerous => a.policy().dangerous,
                    max_batch => a.policy().max_batch,
                }
            })
            .collect()
    }

    fn filters(&self) -> Vec<Value> {
        view::filter_choices(self.meta, self.query).into_iter().map(|c| self.filter(c)).collect()
    }

    fn filter(&self, choice: FilterChoice) -> Value {
        let fields = self.meta.fields;
        // The filter's form keeps the other parameters as hidden fields.
        let keep_except = |drop: &dyn Fn(&str) -> bool| {
            hidden_fields(self.params.iter().filter(|(k, _)| !drop(k.as_str())).cloned())
        };
        match choice {
            FilterChoice::Dates { field, from, to } => {
                let (name, label) = (fields[field].name, fields[field].label);
                let own = format!("{name}__");
                let keep = keep_except(&|k| k.starts_with(&own));
                context! { kind => "date", name => name, label => label, from => from, to => to, keep => keep }
            }
            FilterChoice::Lookup { field, value } => {
                let (name, label) = (fields[field].name, fields[field].label);
                let keep = keep_except(&|k| k == name);
                let (id, here) = (format!("id_filter_{name}"), self.url_with(|_| {}));
                let spot = super::autocomplete::Spot { here: &here, input_id: &id, submit: true };
                let title = self.fk_titles.get(name).map(String::as_str);
                let autocomplete = super::autocomplete::widget(self.ctx, self.meta, name, &spot, title);
                context! { kind => "fk", name => name, label => label, value => value, keep => keep, autocomplete => autocomplete }
            }
            FilterChoice::Options { field, options } => {
                let name = fields[field].name;
                let options: Vec<Value> = options
                    .into_iter()
                    .map(|o| {
                        let url = self.url_with(|p| {
                            p.retain(|(k, _)| k != name);
                            if !o.value.is_empty() {
                                p.push((name.to_owned(), o.value.clone()));
                            }
                        });
                        context! { label => o.label, url => url, active => o.active }
                    })
                    .collect();
                context! { kind => "options", name => name, label => fields[field].label, options => options }
            }
        }
    }

    /// The date drill-down: year → month → day links over the first date filter.
    fn drill(&self) -> Option<Value> {
        let today = admin_core::kernel::clock::now().date();
        let d = admin_core::list::drill::drill(self.meta, self.query, today)?;
        let name = self.meta.fields[d.field].name;
        let (from, to) = (format!("{name}__from"), format!("{name}__to"));
        let url = |step: Option<&admin_core::list::drill::Step>| {
            self.url_with(|p| {
                p.retain(|(k, _)| *k != from && *k != to && k != "after" && k != "before");
                if let Some(s) = step {
                    p.push((from.clone(), s.from.to_string()));
                    p.push((to.clone(), s.to.to_string()));
                }
            })
        };
        let steps = |v: &[admin_core::list::drill::Step]| -> Vec<Value> {
            v.iter().map(|s| context! { label => s.label, url => url(Some(s)) }).collect()
        };
        Some(context! {
            label => self.meta.fields[d.field].label,
            all_url => (!d.path.is_empty()).then(|| url(None)),
            path => steps(&d.path),
            steps => steps(&d.steps),
        })
    }

    fn active_filters(&self) -> Vec<Value> {
        view::active_filters(self.meta, self.query)
            .into_iter()
            .map(|a| {
                // A foreign key's chip names the chosen record, not its bare id.
                let value = self.fk_titles.get(&a.param).cloned().unwrap_or(a.value);
                context! { label => a.label, value => value, remove_url => self.without(&a.param) }
            })
            .collect()
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
