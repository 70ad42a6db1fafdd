//! What a list page shows, worked out before any HTML: which columns show and how
//! they are sorted, the page numbers and where "previous" and "next" continue from,
//! the filter choices and which is active, the active filters as sentences, and the
//! messages about the query. The screens turn these into links and markup; a
//! different front end gets the same answers.
//!
//! Links are described by the query parameters they carry ([`Params`]), never as
//! URLs: the caller knows where the list is mounted.

use crate::access::Staff;
use crate::access::permission::hidden;
use crate::kernel::field::{FieldKind, parse_bool};
use crate::kernel::model::ModelMeta;
use crate::list::query::{Filter, FilterOp, ListQuery, ListResult, page_offset};

/// A list query's parameters, in order (`q`, filters, `sort`, `page` ...).
pub type Params = Vec<(String, String)>;

/// The columns of `meta`'s list that `staff` may see, in list order: for summaries
/// of records outside a list (the delete page, an action's confirmation, search).
#[must_use]
pub fn visible_columns(meta: &ModelMeta, staff: &Staff) -> Vec<usize> {
    meta.list_display.iter().copied().filter(|&i| !hidden(staff, &meta.fields[i])).collect()
}

/// The list's columns the query's reader may see, in list order.
#[must_use]
pub fn shown_columns(meta: &ModelMeta, query: &ListQuery) -> Vec<usize> {
    meta.list_display.iter().copied().filter(|&i| !query.hidden[i]).collect()
}

/// One column heading of a list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Column {
    /// Index of the field in `ModelMeta::fields`.
    pub field: usize,
    /// `Some("asc")` or `Some("desc")` when the list is sorted by this column
    /// (asked for, or the model's default ordering).
    pub sorted: Option<&'static str>,
    /// The `sort` value of the heading's link: descending when it is sorted
    /// ascending now, else ascending.
    pub sort_param: String,
    /// Whether the values are numbers (right-aligned).
    pub numeric: bool,
}

/// The column headings of a list.
#[must_use]
pub fn columns(meta: &ModelMeta, query: &ListQuery) -> Vec<Column> {
    let dir = |desc: bool| if desc { "desc" } else { "asc" };
    shown_columns(meta, query)
        .into_iter()
        .map(|i| {
            let f = &meta.fields[i];
            let sorted = match query.sort {
                Some((s, desc)) if s == i => Some(dir(desc)),
                Some(_) => None,
                None => meta.ordering.first().filter(|(s, _)| *s == i).map(|(_, d)| dir(*d)),
            };
            let sort_param = if sorted == Some("asc") { format!("-{}", f.name) } else { f.name.to_owned() };
            let numeric = matches!(f.kind, FieldKind::Integer | FieldKind::Float | FieldKind::Decimal)
                && f.foreign_key.is_none();
            Column { field: i, sorted, sort_param, numeric }
        })
        .collect()
}

/// The query's parameters with one more (after removing any with the same name).
#[must_use]
pub fn with_param(mut params: Params, name: &str, value: &str) -> Params {
    params.retain(|(k, _)| k != name);
    params.push((name.to_owned(), value.to_owned()));
    params
}

/// A link to one page of the list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageLink {
    /// The 1-based page.
    pub page: u64,
    /// `("after", key)` or `("before", key)`: the row the page continues from, so
    /// a deep page is found without a scan.
    pub cursor: Option<(&'static str, String)>,
}

impl PageLink {
    /// The parameters of the link: the query's own, then `page` (left out for
    /// page 1) and the cursor.
    #[must_use]
    pub fn params(&self, mut query: Params) -> Params {
        if self.page > 1 {
            query.push(("page".to_owned(), self.page.to_string()));
            if let Some((name, key)) = &self.cursor {
                query.push(((*name).to_owned(), key.clone()));
            }
        }
        query
    }
}

/// The paging of one list page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pagination {
    /// The page shown.
    pub page: u64,
    /// How many pages there are.
    pub pages: u64,
    /// The previous page, if any.
    pub prev: Option<PageLink>,
    /// The next page, if any.
    pub next: Option<PageLink>,
    /// The page numbers to offer, `None` for a gap ("…").
    pub numbers: Vec<Option<u64>>,
    /// The 1-based number of the first row shown (0 for an empty page).
    pub first_row: u64,
    /// The number of the last row shown.
    pub last_row: u64,
}

/// The paging of a list page: deep pages continue from their first or last row.
#[must_use]
pub fn pagination(result: &ListResult) -> Pagination {
    let page = result.page;
    let pages = result.pages();
    let (first_key, last_key) = match (result.rows.first(), result.rows.last()) {
        (Some(f), Some(l)) if result.deep => (Some(f.key.clone()), Some(l.key.clone())),
        _ => (None, None),
    };
    let first = page_offset(page, result.per_page).saturating_add(1);
    let shown = result.rows.len() as u64;
    Pagination {
        page,
        pages,
        prev: (page > 1).then(|| PageLink { page: page - 1, cursor: first_key.map(|k| ("before", k)) }),
        next: result.has_next.then(|| PageLink { page: page + 1, cursor: last_key.map(|k| ("after", k)) }),
        numbers: page_numbers(page, pages),
        first_row: if shown == 0 { 0 } else { first },
        last_row: first - 1 + shown,
    }
}

/// The page numbers a list offers: the first two, the last two and two either
/// side of `page`, with `None` where numbers are left out.
#[must_use]
pub fn page_numbers(page: u64, pages: u64) -> Vec<Option<u64>> {
    let mut shown: Vec<u64> = vec![1, 2, pages.saturating_sub(1), pages];
    shown.extend(page.saturating_sub(2)..=page.saturating_add(2));
    shown.retain(|&n| n >= 1 && n <= pages);
    shown.sort_unstable();
    shown.dedup();
    let mut out = Vec::with_capacity(shown.len() + 2);
    let mut last = 0;
    for n in shown {
        if n > last + 1 {
            out.push(None);
        }
        out.push(Some(n));
        last = n;
    }
    out
}

/// One way to narrow a list by one field, as its side panel offers it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FilterChoice {
    /// A date range: `{name}__from` and `{name}__to`, with the values given.
    Dates {
        /// Index of the field.
        field: usize,
        /// The `__from` value given, or "".
        from: String,
        /// The `__to` value given, or "".
        to: String,
    },
    /// A foreign key, typed in: the value given, or "".
    Lookup {
        /// Index of the field.
        field: usize,
        /// The value given, or "".
        value: String,
    },
    /// A choice among values ("All" first, with the value "").
    Options {
        /// Index of the field.
        field: usize,
        /// The values offered.
        options: Vec<FilterOption>,
    },
}

/// One value a filter offers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FilterOption {
    /// The parameter's value ("" for all).
    pub value: String,
    /// What staff read.
    pub label: String,
    /// Whether the list is filtered by it now.
    pub active: bool,
}

fn eq_filter(query: &ListQuery, field: usize) -> Option<&Filter> {
    query.filters.iter().find(|x| x.field == field && x.op == FilterOp::Eq)
}

/// Whether a filter's given value is `value`: yes/no values compare as yes or no,
/// so `?active=true` marks the "Yes" choice.
fn same_value(kind: FieldKind, given: &str, value: &str) -> bool {
    if kind == FieldKind::Boolean {
        return matches!((parse_bool(given), parse_bool(value)), (Ok(a), Ok(b)) if a == b);
    }
    given == value
}

/// The filters of a list the reader may use, with the values given.
#[must_use]
pub fn filter_choices(meta: &ModelMeta, query: &ListQuery) -> Vec<FilterChoice> {
    let given = |param: String| {
        query.filters.iter().find(|x| x.param == param).map(|x| x.raw.clone()).unwrap_or_default()
    };
    meta.filters
        .iter()
        .copied()
        .filter(|&i| !query.hidden[i])
        .map(|i| {
            let f = &meta.fields[i];
            if f.kind.is_temporal() {
                let (from, to) = (given(format!("{}__from", f.name)), given(format!("{}__to", f.name)));
                return FilterChoice::Dates { field: i, from, to };
            }
            let current = eq_filter(query, i);
            if f.foreign_key.is_some() {
                return FilterChoice::Lookup {
                    field: i,
                    value: current.map(|c| c.raw.clone()).unwrap_or_default(),
                };
            }
            let option = |value: &str, label: &str| FilterOption {
                value: value.to_owned(),
                label: label.to_owned(),
                active: current
                    .map_or(value.is_empty(), |c| !value.is_empty() && same_value(f.kind, &c.raw, value)),
            };
            let mut options = vec![option("", "All")];
            if let Some(choices) = f.choices {
                options.extend(choices.iter().map(|c| option(c.value, c.label)));
            } else if f.kind == FieldKind::Boolean {
                options.extend([option("1", "Yes"), option("0", "No")]);
            }
            FilterChoice::Options { field: i, options }
        })
        .collect()
}

/// A filter (or the search) the list is narrowed by, said in words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActiveFilter {
    /// The field's label, or "Search".
    pub label: String,
    /// The value in words ("yes", a choice's label, "from 2026-01-01").
    pub value: String,
    /// The parameter to drop to remove it.
    pub param: String,
}

/// The search and filters a list is narrowed by, the search first.
#[must_use]
pub fn active_filters(meta: &ModelMeta, query: &ListQuery) -> Vec<ActiveFilter> {
    let search = query.q.as_ref().map(|q| ActiveFilter {
        label: "Search".to_owned(),
        value: format!("\u{201c}{q}\u{201d}"),
        param: "q".to_owned(),
    });
    let filters = query.filters.iter().map(|x| {
        let f = &meta.fields[x.field];
        let value = match x.op {
            FilterOp::Eq if f.kind == FieldKind::Boolean => {
                if parse_bool(&x.raw) == Ok(true) { "yes" } else { "no" }.to_owned()
            }
            FilterOp::Eq => f.choice_label(&x.raw).to_owned(),
            FilterOp::From => format!("from {}", x.raw),
            FilterOp::Before => format!("to {}", x.raw),
        };
        ActiveFilter { label: f.label.to_owned(), value, param: x.param.clone() }
    });
    search.into_iter().chain(filters).collect()
}

/// What the list says about its query: the values it could not use, and a page
/// asked for past the end.
#[must_use]
pub fn messages(query: &ListQuery, result: &ListResult) -> Vec<String> {
    let mut out = query.messages.clone();
    if query.page > result.page && result.total() > 0 {
        out.push(format!("There is no page {}; showing the last page, {}.", query.page, result.page));
    }
    out
}

#[cfg(test)]
mod tests;
