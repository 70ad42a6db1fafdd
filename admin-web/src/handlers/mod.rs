//! One module per screen. Handlers are thin: extractors in, one admin-core call,
//! one render out.

pub mod action;
pub mod action_run;
pub mod api;
mod api_error;
pub mod api_jobs;
pub mod approvals;
pub mod autocomplete;
mod confirm_page;
pub mod dashboard;
pub mod delete;
pub mod detail;
mod detail_form;
mod detail_save;
pub mod edit_review;
pub mod effects;
mod export;
pub mod health;
pub mod history;
pub mod imports;
mod inline;
pub mod jobs;
pub mod list;
mod list_count;
pub mod list_edit;
pub mod login;
pub mod notes;
pub mod pages;
pub mod preferences;
pub mod search;
pub mod selection;
pub mod staff;
pub mod static_files;
pub mod tokens;
pub mod two_factor;
pub mod undo;

use admin_core::FormData;

/// A query or form's pairs, in order.
pub type Pairs = Vec<(String, String)>;

/// Keeps only a list query string that is safe to append to a list URL: it must
/// parse as pairs and carry no path, so it can never redirect elsewhere.
#[must_use]
pub fn safe_back(raw: Option<&str>) -> String {
    let raw = raw.unwrap_or("").trim_start_matches('?');
    // No list query is that long; a longer one is not echoed into a `Location`.
    if raw.is_empty() || raw.len() > admin_core::kernel::text::VIEW_QUERY {
        return String::new();
    }
    // A pair with a control character (a NUL byte, say) is no list query's: dropped.
    let pairs: Pairs = form_urlencoded::parse(raw.as_bytes())
        .into_owned()
        .filter(|(k, v)| {
            !admin_core::kernel::text::has_control(k, admin_core::kernel::text::Lines::One)
                && !admin_core::kernel::text::has_control(v, admin_core::kernel::text::Lines::One)
        })
        .collect();
    crate::render::query_string(&pairs)
}

/// The list URL of a model with a kept query string.
#[must_use]
pub fn list_url(prefix: &str, slug: &str, back: &str) -> String {
    format!("{prefix}/{slug}/{back}")
}

/// The last value a form gave for `name`.
#[must_use]
pub fn field<'a>(pairs: &'a Pairs, name: &str) -> Option<&'a str> {
    pairs.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// The CSRF token a form carried.
#[must_use]
pub fn csrf_of(form: &FormData) -> Option<&str> {
    form.get("csrf_token")
}
