//! The built-in templates, embedded in the binary.

/// Built-in templates: name and source.
pub(super) const BUILTIN: &[(&str, &str)] = &[
    ("admin/base.html", include_str!("../../templates/admin/base.html")),
    ("admin/login.html", include_str!("../../templates/admin/login.html")),
    ("admin/dashboard.html", include_str!("../../templates/admin/dashboard.html")),
    ("admin/list.html", include_str!("../../templates/admin/list.html")),
    ("admin/detail.html", include_str!("../../templates/admin/detail.html")),
    ("admin/delete.html", include_str!("../../templates/admin/delete.html")),
    ("admin/error.html", include_str!("../../templates/admin/error.html")),
    ("admin/history.html", include_str!("../../templates/admin/history.html")),
    ("admin/undo.html", include_str!("../../templates/admin/undo.html")),
    ("admin/restore.html", include_str!("../../templates/admin/restore.html")),
    ("admin/confirm_action.html", include_str!("../../templates/admin/confirm_action.html")),
    ("admin/approvals.html", include_str!("../../templates/admin/approvals.html")),
    ("admin/effects.html", include_str!("../../templates/admin/effects.html")),
    ("admin/job.html", include_str!("../../templates/admin/job.html")),
    ("admin/job_import.html", include_str!("../../templates/admin/job_import.html")),
    ("admin/import.html", include_str!("../../templates/admin/import.html")),
    ("admin/jobs.html", include_str!("../../templates/admin/jobs.html")),
    ("admin/effect.html", include_str!("../../templates/admin/effect.html")),
    ("admin/search.html", include_str!("../../templates/admin/search.html")),
    ("admin/approval.html", include_str!("../../templates/admin/approval.html")),
    ("admin/action_result.html", include_str!("../../templates/admin/action_result.html")),
    ("admin/action_start.html", include_str!("../../templates/admin/action_start.html")),
    ("admin/staff_list.html", include_str!("../../templates/admin/staff_list.html")),
    ("admin/staff_form.html", include_str!("../../templates/admin/staff_form.html")),
    ("admin/password.html", include_str!("../../templates/admin/password.html")),
    ("admin/audit.html", include_str!("../../templates/admin/audit.html")),
    ("admin/second_factor.html", include_str!("../../templates/admin/second_factor.html")),
    ("admin/two_factor.html", include_str!("../../templates/admin/two_factor.html")),
    ("admin/tokens.html", include_str!("../../templates/admin/tokens.html")),
    ("admin/confirm.html", include_str!("../../templates/admin/confirm.html")),
    ("admin/preferences.html", include_str!("../../templates/admin/preferences.html")),
    ("admin/includes/entry.html", include_str!("../../templates/admin/includes/entry.html")),
    ("admin/includes/effects.html", include_str!("../../templates/admin/includes/effects.html")),
    ("admin/includes/messages.html", include_str!("../../templates/admin/includes/messages.html")),
    ("admin/includes/field.html", include_str!("../../templates/admin/includes/field.html")),
    ("admin/includes/forms.html", include_str!("../../templates/admin/includes/forms.html")),
    ("admin/includes/forms_radio.html", include_str!("../../templates/admin/includes/forms_radio.html")),
    ("admin/includes/cell.html", include_str!("../../templates/admin/includes/cell.html")),
    ("admin/includes/selection.html", include_str!("../../templates/admin/includes/selection.html")),
    ("admin/includes/limits.html", include_str!("../../templates/admin/includes/limits.html")),
    ("admin/list_edit_review.html", include_str!("../../templates/admin/list_edit_review.html")),
    (
        "admin/includes/list_editable_row.html",
        include_str!("../../templates/admin/includes/list_editable_row.html"),
    ),
    (
        "admin/includes/list_editable_form.html",
        include_str!("../../templates/admin/includes/list_editable_form.html"),
    ),
    ("admin/page.html", include_str!("../../templates/admin/page.html")),
    ("admin/includes/pages_nav.html", include_str!("../../templates/admin/includes/pages_nav.html")),
    ("admin/includes/tiles.html", include_str!("../../templates/admin/includes/tiles.html")),
    ("admin/includes/tile.html", include_str!("../../templates/admin/includes/tile.html")),
    ("admin/autocomplete_pick.html", include_str!("../../templates/admin/autocomplete_pick.html")),
    ("admin/includes/autocomplete.html", include_str!("../../templates/admin/includes/autocomplete.html")),
    ("admin/includes/date_drill.html", include_str!("../../templates/admin/includes/date_drill.html")),
    ("admin/includes/inline.html", include_str!("../../templates/admin/includes/inline.html")),
];

/// The prefix under which the built-in templates stay reachable when overridden:
/// `{% extends "builtin/admin/base.html" %}`.
pub const BUILTIN_PREFIX: &str = "builtin/";

pub(super) fn builtin_source(name: &str) -> Option<String> {
    BUILTIN.iter().find(|(n, _)| *n == name).map(|(_, s)| (*s).to_owned())
}
