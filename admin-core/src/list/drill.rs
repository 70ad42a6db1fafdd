//! Date drill-down (Django's `date_hierarchy`): links above a list that narrow it
//! by a date field year → month → day, through the same `{field}__from` and
//! `{field}__to` parameters as the date filter. Built from the range in the query
//! and today's date alone: no query runs for it, so it costs nothing at any size.

use chrono::{Datelike, Months, NaiveDate};

use crate::kernel::field::parse_date;
use crate::kernel::model::ModelMeta;
use crate::list::query::ListQuery;

/// How many years the top level offers, ending with this year.
pub const YEARS: i32 = 5;

/// One step of the drill-down: its label and the range it sets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// What people read: `2026`, `March 2026` (as `2026-03`), `2026-03-05`.
    pub label: String,
    /// The first day (`{field}__from`).
    pub from: NaiveDate,
    /// The last day (`{field}__to`).
    pub to: NaiveDate,
}

/// The drill-down of one list: where it stands (`path`, widest first) and the
/// narrower steps offered (`steps`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Drill {
    /// Index of the date field.
    pub field: usize,
    /// The year, month and day chosen so far.
    pub path: Vec<Step>,
    /// The next level: years, a year's months or a month's days.
    pub steps: Vec<Step>,
}

/// The drill-down over the model's first date filter, or `None` when it has none
/// the reader may see.
#[must_use]
pub fn drill(meta: &ModelMeta, query: &ListQuery, today: NaiveDate) -> Option<Drill> {
    let field =
        meta.filters.iter().copied().find(|&i| meta.fields[i].kind.is_temporal() && !query.hidden[i])?;
    let name = meta.fields[field].name;
    let given = |suffix: &str| {
        let param = format!("{name}__{suffix}");
        query.filters.iter().find(|f| f.param == param).and_then(|f| parse_date(&f.raw).ok())
    };
    let (from, to) = (given("from"), given("to"));
    let year = |y: i32| {
        let from = NaiveDate::from_ymd_opt(y, 1, 1)?;
        Some(Step { label: y.to_string(), from, to: NaiveDate::from_ymd_opt(y, 12, 31)? })
    };
    let month = |y: i32, m: u32| {
        let from = NaiveDate::from_ymd_opt(y, m, 1)?;
        let to = from.checked_add_months(Months::new(1))?.pred_opt()?;
        Some(Step { label: format!("{y}-{m:02}"), from, to })
    };
    let day = |d: NaiveDate| Step { label: d.format("%Y-%m-%d").to_string(), from: d, to: d };
    let (path, steps) = match (from, to) {
        (Some(f), Some(t)) if f == t => {
            (vec![year(f.year())?, month(f.year(), f.month())?, day(f)], Vec::new())
        }
        (Some(f), Some(t)) if f.day() == 1 && month(f.year(), f.month()).is_some_and(|m| m.to == t) => {
            let m = month(f.year(), f.month())?;
            let days = f.iter_days().take_while(|d| *d <= m.to).map(day).collect();
            (vec![year(f.year())?, m], days)
        }
        (Some(f), Some(t)) if year(f.year()).is_some_and(|y| y.from == f && y.to == t) => {
            let months = (1..=12).filter_map(|m| month(f.year(), m)).collect();
            (vec![year(f.year())?], months)
        }
        _ => {
            let years = (0..YEARS).filter_map(|k| year(today.year() - k)).collect();
            (Vec::new(), years)
        }
    };
    Some(Drill { field, path, steps })
}
