//! The list screen's query: search, filters, sort and page, parsed from URL
//! parameters with a plain message for every value that does not make sense.
//!
//! Parsing never fails: a bad value is dropped and explained in
//! [`ListQuery::messages`], and the list is shown without it.

use sea_orm::Value;

use crate::access::Staff;
use crate::kernel::field::{FieldKind, parse_date};
use crate::kernel::model::ModelMeta;
use crate::kernel::record::Record;
use crate::list::count::{Count, ListTuning};

/// How a filter compares.
#[derive(Clone, Debug, PartialEq)]
pub enum FilterOp {
    /// `field = value`.
    Eq,
    /// `field >= value` (from a `{field}__from` date).
    From,
    /// `field < value` (the day after a `{field}__to` date).
    Before,
}

/// One active filter.
#[derive(Clone, Debug, PartialEq)]
pub struct Filter {
    /// Index of the field in `ModelMeta::fields`.
    pub field: usize,
    /// The URL parameter it came from (`plan`, `signup_at__from`).
    pub param: String,
    /// The raw value as given, for links and the "active filters" list.
    pub raw: String,
    /// How it compares.
    pub op: FilterOp,
    /// The typed value bound in SQL.
    pub value: Value,
}

/// What parsing a list query needs of a model: its description and how to read a
/// typed value from text. Every `registry::ModelAdmin` is one.
pub trait ModelFields: Send + Sync {
    /// The model's static description.
    fn meta(&self) -> &'static ModelMeta;

    /// Parses text for field `field` into a typed value.
    ///
    /// # Errors
    /// A message for the person who typed it.
    fn parse_value(&self, field: usize, raw: &str) -> Result<sea_orm::Value, String>;
}

/// A validated list query.
#[derive(Clone, Debug, PartialEq)]
pub struct ListQuery {
    /// The search text, trimmed, if any.
    pub q: Option<String>,
    /// The 1-based page.
    pub page: u64,
    /// A chosen sort: `(field, descending)`.
    pub sort: Option<(usize, bool)>,
    /// Active filters.
    pub filters: Vec<Filter>,
    /// What was wrong with the parameters, in plain words.
    pub messages: Vec<String>,
    /// The fields searched by `q`: the model's search fields this user may see.
    pub search: Vec<usize>,
    /// Per field, whether it is hidden from this user.
    pub hidden: Vec<bool>,
    /// `exact=1`: count every matching row, however many (see [`crate::list::count`]).
    pub exact: bool,
    /// `after=KEY` or `before=KEY`: the page continues from that row (the "next"
    /// and "previous" links of deep pages; see [`crate::list::seek`]).
    pub cursor: Option<Cursor>,
    /// The limits behind counting and paging.
    pub tuning: ListTuning,
    /// The rows the caller may see ([`crate::access::scope`]). The door sets it
    /// from the caller on every call, whatever a query brings.
    pub scope: crate::access::scope::RowScope,
}

/// Where a page continues from: the row with this primary key (as text).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cursor {
    /// The rows after it (`after=KEY`).
    After(String),
    /// The rows before it (`before=KEY`).
    Before(String),
}

/// Longest search text accepted (see [`crate::kernel::text::SEARCH`]).
pub const MAX_SEARCH_LEN: usize = crate::kernel::text::SEARCH;

/// The highest page number a list query keeps; a larger one reads as this one,
/// which is past the end of any list and so shows its last page.
pub const MAX_PAGE: u64 = 1 << 40;

/// The number of rows before a 1-based `page` of `per_page` rows. It saturates
/// instead of overflowing and stays within a signed 64-bit offset, which every
/// database takes, so an absurd page number (`?page=9223372036854775807`) is simply
/// a page past the end, never a panic or an error.
#[must_use]
pub fn page_offset(page: u64, per_page: u64) -> u64 {
    page.saturating_sub(1).saturating_mul(per_page).min(i64::MAX.unsigned_abs())
}

impl ListQuery {
    /// Parses URL query pairs for the model behind `admin`, as seen by `staff`:
    /// fields hidden from them cannot be searched, filtered or sorted by.
    #[must_use]
    pub fn parse(admin: &dyn ModelFields, params: &[(String, String)], staff: &Staff) -> Self {
        let meta = admin.meta();
        let hidden: Vec<bool> =
            meta.fields.iter().map(|f| crate::access::permission::hidden(staff, f)).collect();
        let search = meta.search.iter().copied().filter(|&i| !hidden[i]).collect();
        let mut out = ListQuery {
            q: None,
            page: 1,
            sort: None,
            filters: Vec::new(),
            messages: Vec::new(),
            search,
            hidden,
            exact: false,
            cursor: None,
            tuning: ListTuning::default(),
            scope: crate::access::scope::RowScope::All,
        };
        for (key, raw) in params {
            match key.as_str() {
                "q" => out.parse_q(meta, raw),
                "page" => out.parse_page(raw),
                "sort" => out.parse_sort(meta, raw),
                "exact" => out.exact = raw.trim() == "1",
                // A key that cannot be one (control characters, too long) is ignored.
                "after"
                    if crate::kernel::text::is_lookup(raw.trim(), crate::kernel::text::LOOKUP)
                        && !raw.trim().is_empty() =>
                {
                    out.cursor = Some(Cursor::After(raw.trim().to_owned()));
                }
                "before"
                    if crate::kernel::text::is_lookup(raw.trim(), crate::kernel::text::LOOKUP)
                        && !raw.trim().is_empty() =>
                {
                    out.cursor = Some(Cursor::Before(raw.trim().to_owned()));
                }
                // Parameters the screens add for themselves.
                "_saved" | "_flash" | "after" | "before" => {}
                _ => out.parse_filter(admin, key, raw),
            }
        }
        out
    }

    /// The same query with other counting and paging limits.
    #[must_use]
    pub fn with_tuning(mut self, tuning: ListTuning) -> Self {
        self.tuning = tuning;
        self
    }

    fn parse_q(&mut self, meta: &ModelMeta, raw: &str) {
        let t = raw.trim();
        if t.is_empty() {
            return;
        }
        if self.search.is_empty() {
            self.messages.push(format!("{} cannot be searched; showing all.", meta.label_plural));
            return;
        }
        if crate::kernel::text::has_control(t, crate::kernel::text::Lines::One) {
            self.messages.push(
                "The search text has control characters (such as a NUL byte), so it was not used; showing all."
                    .to_owned(),
            );
            return;
        }
        let n = t.chars().count();
        if n > MAX_SEARCH_LEN {
            self.messages.push(format!(
                "Searches are limited to {MAX_SEARCH_LEN} characters and this one has {}, so it was not used; showing all.",
                crate::kernel::model::thousands(n as u64)
            ));
            return;
        }
        self.q = Some(t.to_owned());
    }

    fn parse_page(&mut self, raw: &str) {
        match raw.trim().parse::<u64>() {
            Ok(0) => self.messages.push("Pages start at 1; showing page 1.".to_owned()),
            // Past any list's end, yet far from where `page + 1` or a row offset
            // could overflow, whatever path the page then takes.
            Ok(n) => self.page = n.min(MAX_PAGE),
            Err(_) if raw.trim().is_empty() => {}
            Err(_) => self
                .messages
                .push(format!("\u{201c}{}\u{201d} is not a page number; showing page 1.", short(raw))),
        }
    }

    fn parse_sort(&mut self, meta: &ModelMeta, raw: &str) {
        let t = raw.trim();
        if t.is_empty() {
            return;
        }
        let (name, desc) = t.strip_prefix('-').map_or((t, false), |n| (n, true));
        match meta.field(name) {
            Some((i, _)) if meta.list_display.contains(&i) && !self.hidden[i] => self.sort = Some((i, desc)),
            _ => self.messages.push(format!(
                "The list cannot be sorted by \u{201c}{}\u{201d}; showing the default order.",
                short(name)
            )),
        }
    }

    fn parse_filter(&mut self, admin: &dyn ModelFields, key: &str, raw: &str) {
        let meta = admin.meta();
        let (name, op) = if let Some(n) = key.strip_suffix("__from") {
            (n, FilterOp::From)
        } else if let Some(n) = key.strip_suffix("__to") {
            (n, FilterOp::Before)
        } else {
            (key, FilterOp::Eq)
        };
        let Some((idx, field)) =
            meta.field(name).filter(|(i, _)| meta.filters.contains(i) && !self.hidden[*i])
        else {
            self.messages.push(format!(
                "\u{201c}{}\u{201d} is not a filter of this list; it was ignored.",
                short(key)
            ));
            return;
        };
        if raw.trim().is_empty() {
            return;
        }
        let temporal = field.kind.is_temporal();
        let value = match (&op, temporal) {
            (FilterOp::Eq, _) => admin.parse_value(idx, raw).map_err(|e| {
                format!(
                    "\u{201c}{}\u{201d} is not a valid {} filter ({}); it was ignored.",
                    short(raw),
                    field.label,
                    e.trim_end_matches('.')
                )
            }),
            (_, true) => parse_date(raw)
                .map(|d| if op == FilterOp::Before { d.succ_opt().unwrap_or(d) } else { d })
                .and_then(|d| {
                    let text = if field.kind == FieldKind::Date {
                        d.format("%Y-%m-%d").to_string()
                    } else {
                        d.format("%Y-%m-%d 00:00:00").to_string()
                    };
                    admin.parse_value(idx, &text)
                })
                .map_err(|_| {
                    format!(
                        "\u{201c}{}\u{201d} is not a date for {}; use YYYY-MM-DD. It was ignored.",
                        short(raw),
                        field.label
                    )
                }),
            (_, false) => Err(format!(
                "{} is not a date, so it has no range filter; \u{201c}{}\u{201d} was ignored.",
                field.label,
                short(key)
            )),
        };
        match value {
            Ok(value) => {
                self.filters.retain(|f| f.param != key);
                self.filters.push(Filter {
                    field: idx,
                    param: key.to_owned(),
                    raw: raw.trim().to_owned(),
                    op,
                    value,
                });
            }
            Err(m) => self.messages.push(m),
        }
    }

    /// The query's parameters (without `page`), for building links that keep them.
    #[must_use]
    pub fn params(&self, meta: &ModelMeta) -> Vec<(String, String)> {
        let mut p = Vec::new();
        if let Some(q) = &self.q {
            p.push(("q".to_owned(), q.clone()));
        }
        for f in &self.filters {
            p.push((f.param.clone(), f.raw.clone()));
        }
        if let Some((i, desc)) = self.sort {
            let name = meta.fields[i].name;
            p.push(("sort".to_owned(), if desc { format!("-{name}") } else { name.to_owned() }));
        }
        p
    }
}

/// Cuts user input for quoting in a message.
fn short(s: &str) -> String {
    // Control characters are shown as the replacement character, never echoed.
    let cleaned: String = s.chars().map(|c| if c.is_control() { '\u{fffd}' } else { c }).collect();
    let t = cleaned.trim();
    if t.chars().count() > 40 {
        let mut c: String = t.chars().take(40).collect();
        c.push('\u{2026}');
        c
    } else {
        t.to_owned()
    }
}

/// One page of a list.
#[derive(Clone, Debug)]
pub struct ListResult {
    /// The rows of this page.
    pub rows: Vec<Record>,
    /// How many rows match in all: exact, or an estimate said as such.
    pub count: Count,
    /// The page shown (1-based; clamped to the last page).
    pub page: u64,
    /// Rows per page.
    pub per_page: u64,
    /// Whether there are rows after this page (known exactly, whatever the count).
    pub has_next: bool,
    /// Whether this page is deep enough for its "next" and "previous" links to
    /// continue from its first and last rows (`after=`, `before=`) instead of
    /// finding the page again by its number.
    pub deep: bool,
}

impl ListResult {
    /// How many rows match, exactly or as estimated ([`ListResult::count`] says which).
    #[must_use]
    pub fn total(&self) -> u64 {
        self.count.value()
    }

    /// How many pages there are (at least 1, and at least up to the next page
    /// when the count is an estimate).
    #[must_use]
    pub fn pages(&self) -> u64 {
        let counted = self.count.value().div_ceil(self.per_page).max(1);
        if self.count.is_exact() { counted } else { counted.max(self.page + u64::from(self.has_next)) }
    }
}

#[cfg(test)]
mod tests {
    use super::{MAX_PAGE, page_offset};

    #[test]
    fn page_offsets_saturate_within_a_signed_64_bit_offset() {
        assert_eq!(page_offset(1, 50), 0);
        assert_eq!(page_offset(0, 50), 0);
        assert_eq!(page_offset(3, 50), 100);
        assert_eq!(page_offset(u64::MAX, 50), i64::MAX.unsigned_abs());
        assert_eq!(page_offset(i64::MAX.unsigned_abs(), 1000), i64::MAX.unsigned_abs());
        // A clamped page leaves room for `page + 1` and an offset.
        assert!(MAX_PAGE.checked_add(2).is_some());
        assert!((MAX_PAGE - 1).checked_mul(1_000_000).is_some());
    }
}
