//! Editing a list in place (`#[admin(list_editable(...))]`).
//!
//! The list's editable cells are form controls (the same `field.html` as a record
//! page, so widgets apply) in one form around the table, `POST {prefix}/{model}/list-edit`.
//! Each row sends `r{n}-_key`, `r{n}-_version` (the row's fingerprint as shown),
//! `r{n}-{field}` and `r{n}-_was-{field}` (the value shown, so untouched rows are
//! left alone). The first POST saves nothing: it answers with the review page,
//! only the rows that change ("Account 12 — Company: A → B"), rows someone else
//! changed meanwhile, and the reason field where one is needed; with errors, the
//! list again with each row's message (400). "Save these changes" sends the same
//! rows with `_confirmed=1`: each changed row is saved through the door in its own
//! transaction with its own audit entry. When every row is saved the answer is a
//! redirect to the list with a message; when some are not, the list again with the
//! report (what was saved, what was not and why) and the failed rows as typed (409
//! when a row went stale, else 400). `_edit=1` goes back to editing with the values
//! typed.

use std::collections::{BTreeMap, HashMap};

use admin_core::service::{FieldChange, ListEditReview, RowEdit, RowReview, RowState};
use admin_core::{Error as CoreError, FieldError, FormData, ModelMeta, Record};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::{Value, context};

use super::edit_review::{CONFIRMED, EDIT};
use super::{Pairs, list_url, safe_back};
use crate::error::Result;
use crate::extract::{ModelParam, Submitted};
use crate::handlers::list::url_path_segment;
use crate::i18n::Arg;
use crate::render::Templates;
use crate::session::Ctx;
use crate::views::field_view;

/// A row as the form sent it, with what the page should show for it again.
#[derive(Clone, Debug, Default)]
pub(crate) struct RowInput {
    /// What goes to the door.
    pub edit: RowEdit,
    /// Messages for the row's fields (and for the row, `field: None`).
    pub errors: Vec<FieldError>,
}

/// The state of an edit shown again on the list: typed values, versions and
/// messages by record key, and the report of a save.
#[derive(Debug, Default)]
pub(crate) struct EditState {
    rows: HashMap<String, RowInput>,
    report: Option<Value>,
}

/// What the list needs to edit in place: the editable columns for this user, and
/// the state of an edit shown again.
#[derive(Debug)]
pub(crate) struct Editing {
    /// The columns the user may change in place.
    pub columns: Vec<usize>,
    /// An edit shown again (back to editing, errors, a partial save).
    pub state: Option<EditState>,
}

/// The rows of a list-edit form, in order, from its fields.
fn rows_of(form: &FormData) -> Vec<RowEdit> {
    let mut rows: BTreeMap<usize, RowEdit> = BTreeMap::new();
    let mut shown: BTreeMap<usize, FormData> = BTreeMap::new();
    for (name, value) in &form.0 {
        let Some((n, rest)) = name.strip_prefix('r').and_then(|s| s.split_once('-')) else { continue };
        let Ok(n) = n.parse::<usize>() else { continue };
        let row = rows.entry(n).or_default();
        match rest {
            "_key" => row.key = value.clone(),
            "_version" => row.version = value.clone(),
            _ => match rest.strip_prefix("_was-") {
                Some(field) => shown.entry(n).or_default().0.push((field.to_owned(), value.clone())),
                None => row.values.0.push((rest.to_owned(), value.clone())),
            },
        }
    }
    rows.into_iter()
        .filter(|(_, r)| !r.key.is_empty())
        .map(|(n, mut r)| {
            r.shown = shown.remove(&n);
            r
        })
        .collect()
}

/// Text of this feature's catalog, in the reader's language.
fn text(ctx: &Ctx, id: &str, args: &[(&str, Arg)]) -> String {
    ctx.t(id, args)
}

/// `GET {prefix}/{model}/list-edit`: nothing to show on its own; back to the list.
pub async fn to_list(ctx: Ctx, ModelParam(model): ModelParam) -> Response {
    Redirect::to(&list_url(ctx.state.prefix(), model.meta().slug, "")).into_response()
}

/// `POST {prefix}/{model}/list-edit`: review (first), save (`_confirmed=1`) or
/// back to editing (`_edit=1`). See the module's description.
pub async fn submit(
    ModelParam(model): ModelParam,
    Submitted(ctx, form): Submitted<Pairs>,
) -> Result<Response> {
    let form = FormData::from(form);
    let meta = model.meta();
    let back = safe_back(form.get("_back"));
    let rows = rows_of(&form);
    let service = ctx.service();
    if form.get(EDIT) == Some("1") {
        let state = EditState {
            rows: rows
                .into_iter()
                .map(|edit| (edit.key.clone(), RowInput { edit, errors: Vec::new() }))
                .collect(),
            report: None,
        };
        return super::list::show_editing(&ctx, meta, &back, state, StatusCode::OK).await;
    }
    if form.get(CONFIRMED) != Some("1") {
        let review = service.review_list_edit(&ctx.caller, meta.slug, &rows).await?;
        if review.rows.iter().any(RowReview::failed) {
            let state = state_after(&ctx, meta, rows, &review, None);
            return super::list::show_editing(&ctx, meta, &back, state, StatusCode::BAD_REQUEST).await;
        }
        if review.changing() == 0 {
            ctx.flash(&text(&ctx, "list-edit-nothing-changed", &[])).await;
            return Ok(Redirect::to(&list_url(ctx.state.prefix(), meta.slug, &back)).into_response());
        }
        return review_page(&ctx, meta, &back, &form, &review, None, StatusCode::OK);
    }
    let reason = form.get("_reason");
    let caller = ctx.caller_with_reason(reason);
    match service.save_list_edit(&caller, meta.slug, &rows).await {
        Ok(outcome) => {
            let saved = outcome.rows.iter().filter(|r| matches!(r.state, RowState::Saved(_))).count();
            if !outcome.rows.iter().any(RowReview::failed) {
                let message = if saved == 0 {
                    text(&ctx, "list-edit-nothing-changed", &[])
                } else {
                    text(
                        &ctx,
                        "list-edit-saved",
                        &[
                            ("count", Arg::from(saved as i64)),
                            ("what", Arg::Text(meta.count_phrase(saved as u64))),
                        ],
                    )
                };
                ctx.flash(&message).await;
                return Ok(Redirect::to(&list_url(ctx.state.prefix(), meta.slug, &back)).into_response());
            }
            let stale = outcome.rows.iter().any(|r| matches!(r.state, RowState::Stale(_)));
            let report = report(&ctx, meta, &outcome);
            let state = state_after(&ctx, meta, rows, &outcome, Some(report));
            let status = if stale { StatusCode::CONFLICT } else { StatusCode::BAD_REQUEST };
            super::list::show_editing(&ctx, meta, &back, state, status).await
        }
        Err(CoreError::Invalid(errors)) => {
            // A reason missing or unusable: the review again, nothing saved.
            let review = service.review_list_edit(&ctx.caller, meta.slug, &rows).await?;
            let error = errors.iter().map(|e| e.message.as_str()).collect::<Vec<_>>().join(" ");
            review_page(&ctx, meta, &back, &form, &review, Some(&error), StatusCode::BAD_REQUEST)
        }
        Err(e) => Err(e.into()),
    }
}

/// The list's edit state after a review or a save: failed rows keep what was typed
/// with their messages; a stale row shows the record as it is now (its values
/// and version), with what was typed in the message.
fn state_after(
    ctx: &Ctx,
    meta: &'static ModelMeta,
    rows: Vec<RowEdit>,
    review: &ListEditReview,
    report: Option<Value>,
) -> EditState {
    let mut out = HashMap::new();
    for (edit, r) in rows.into_iter().zip(&review.rows) {
        let errors = match &r.state {
            RowState::Invalid(errors) => errors.clone(),
            RowState::Missing(m) => vec![FieldError::form(m.clone())],
            RowState::Stale(current) => {
                let typed = typed_summary(meta, &edit, current);
                let msg = text(ctx, "list-edit-stale-row", &[("typed", Arg::Text(typed))]);
                out.insert(
                    edit.key.clone(),
                    RowInput {
                        edit: RowEdit { version: current.version(), ..RowEdit::default() },
                        errors: vec![FieldError::form(msg)],
                    },
                );
                continue;
            }
            // Saved rows show their new values from the list; others as typed.
            RowState::Saved(_) => continue,
            RowState::Unchanged | RowState::Changes(_) => Vec::new(),
        };
        out.insert(edit.key.clone(), RowInput { edit, errors });
    }
    EditState { rows: out, report }
}

/// "Company: Acme Ltd" for the values typed in a stale row that differ from the
/// record now.
fn typed_summary(meta: &ModelMeta, edit: &RowEdit, current: &Record) -> String {
    let mut parts = Vec::new();
    for &i in meta.list_editable {
        let f = &meta.fields[i];
        let Some(typed) = edit.values.get(f.name) else { continue };
        if typed != current.cells[i].form_value() {
            let shown = match f.kind {
                admin_core::kernel::field::FieldKind::Boolean => {
                    if typed == "1" {
                        "yes"
                    } else {
                        "no"
                    }
                }
                _ => f.choice_label(typed),
            };
            parts.push(format!("{}: {shown}", f.label));
        }
    }
    parts.join(", ")
}

/// The report of a save in which some rows were not saved.
fn report(ctx: &Ctx, meta: &'static ModelMeta, outcome: &ListEditReview) -> Value {
    let prefix = ctx.state.prefix();
    let saved: Vec<Value> = outcome
        .rows
        .iter()
        .filter_map(|r| match &r.state {
            RowState::Saved(changes) => Some(context! {
                title => &r.title,
                url => format!("{prefix}/{}/{}", meta.slug, url_path_segment(&r.key)),
                changes => change_views(meta, changes),
            }),
            _ => None,
        })
        .collect();
    let failed: Vec<Value> = outcome
        .rows
        .iter()
        .filter(|r| r.failed())
        .map(|r| {
            let why = match &r.state {
                RowState::Stale(_) => vec![text(ctx, "list-edit-stale", &[])],
                RowState::Missing(m) => vec![m.clone()],
                RowState::Invalid(errors) => errors
                    .iter()
                    .map(|e| match e.field.as_deref().and_then(|n| meta.field(n)) {
                        Some((_, f)) => format!("{}: {}", f.label, e.message),
                        None => e.message.clone(),
                    })
                    .collect(),
                _ => Vec::new(),
            };
            context! {
                title => &r.title,
                url => format!("{prefix}/{}/{}", meta.slug, url_path_segment(&r.key)),
                why => why,
            }
        })
        .collect();
    context! {
        saved => saved,
        saved_count => outcome.rows.iter().filter(|r| matches!(r.state, RowState::Saved(_))).count(),
        failed => failed,
    }
}

fn change_views(meta: &ModelMeta, changes: &[FieldChange]) -> Vec<Value> {
    changes
        .iter()
        .map(|c| context! { label => meta.fields[c.field].label, before => shown(&c.before), after => shown(&c.after) })
        .collect()
}

/// A value as the review shows it: an empty one as a dash.
fn shown(v: &str) -> String {
    if v.is_empty() { "\u{2014}".to_owned() } else { v.to_owned() }
}

/// The review page: the rows that change, with "Save these changes" (the same
/// fields again with `_confirmed=1`) and "Back to editing" (`_edit=1`).
fn review_page(
    ctx: &Ctx,
    meta: &'static ModelMeta,
    back: &str,
    form: &FormData,
    review: &ListEditReview,
    reason_error: Option<&str>,
    status: StatusCode,
) -> Result<Response> {
    let prefix = ctx.state.prefix();
    let rows: Vec<Value> = review
        .rows
        .iter()
        .filter_map(|r| {
            let changes = r.changes()?;
            Some(context! {
                title => &r.title,
                url => format!("{prefix}/{}/{}", meta.slug, url_path_segment(&r.key)),
                changes => change_views(meta, changes),
            })
        })
        .collect();
    let pairs: Vec<Value> = form
        .0
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "csrf_token" | "_reason" | CONFIRMED | EDIT))
        .map(|(k, v)| context! { name => k, value => v })
        .collect();
    let title = text(ctx, "list-edit-review-title", &[("model", Arg::Text(meta.label_plural.to_owned()))]);
    let page = context! {
        base => ctx.base(&title),
        title => title,
        model => context! { slug => meta.slug, label => meta.label, label_plural => meta.label_plural },
        rows => rows,
        count => review.changing(),
        what => meta.count_phrase(review.changing() as u64),
        pairs => pairs,
        url => format!("{prefix}/{}/list-edit", meta.slug),
        list_url => list_url(prefix, meta.slug, back),
        reason => context! {
            wanted => review.needs_reason(),
            fields => review.reason_for.join(", "),
            error => reason_error,
            value => form.get("_reason"),
            max_length => admin_core::kernel::text::REASON,
        },
    };
    let html = ctx.state.templates.render(&Templates::chain(meta.slug, "list_edit_review.html"), page)?;
    Ok((status, html).into_response())
}

impl Editing {
    /// The list's form around the table: where it posts, and the report of a save.
    pub(crate) fn form(&self, ctx: &Ctx, meta: &ModelMeta, back_qs: &str) -> Value {
        let report = self.state.as_ref().and_then(|s| s.report.clone());
        let errors = self.state.as_ref().is_some_and(|s| s.rows.values().any(|r| !r.errors.is_empty()));
        context! {
            url => format!("{}/{}/list-edit", ctx.state.prefix(), meta.slug),
            back => back_qs,
            report => report,
            has_errors => errors,
        }
    }

    /// One row's cells: the editable columns as form controls (with the row's key,
    /// version and the values shown as hidden fields), the others as the list
    /// shows them.
    pub(crate) fn cells(
        &self,
        ctx: &Ctx,
        meta: &'static ModelMeta,
        shown_columns: &[usize],
        (n, record, url): (usize, &Record, &str),
        names: &admin_core::ForeignNames,
    ) -> Vec<Value> {
        let prefix = ctx.state.prefix();
        let input = self.state.as_ref().and_then(|s| s.rows.get(&record.key));
        let fast = !ctx.state.templates.is_overridden("admin/includes/cell.html");
        let version = input
            .map(|i| i.edit.version.clone())
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| record.version());
        let row_errors: Vec<&str> = input
            .map(|i| i.errors.iter().filter(|e| e.field.is_none()).map(|e| e.message.as_str()).collect())
            .unwrap_or_default();
        let mut first_editable = true;
        shown_columns
            .iter()
            .enumerate()
            .map(|(pos, &i)| {
                let f = &meta.fields[i];
                let cell = &record.cells[i];
                let numeric = matches!(cell, admin_core::kernel::field::Cell::Int(_) | admin_core::kernel::field::Cell::Float(_) | admin_core::kernel::field::Cell::Decimal(_) | admin_core::kernel::field::Cell::Money(_)) && f.foreign_key.is_none();
                if !self.columns.contains(&i) {
                    let html = fast.then(|| {
                        let mut out = String::new();
                        crate::views::cell_html(&mut out, prefix, f, cell, names, ctx.reader());
                        Value::from_safe_string(out)
                    });
                    let view = (!fast).then(|| crate::views::cell_view_named(prefix, f, cell, names, ctx.reader()));
                    return context! { first => pos == 0, url => url, numeric => numeric, html => html, cell => view, field => None::<Value>, hidden => Vec::<Value>::new(), messages => Vec::<&str>::new() };
                }
                // What the page showed: kept from the first showing when editing goes on.
                let was = input
                    .and_then(|inp| inp.edit.shown.as_ref())
                    .and_then(|s| s.get(f.name))
                    .map_or_else(|| cell.form_value(), str::to_owned);
                let value = input
                    .and_then(|inp| inp.edit.values.get(f.name).map(str::to_owned).or_else(|| {
                        (f.kind == admin_core::kernel::field::FieldKind::Boolean && !f.nullable && !inp.edit.values.0.is_empty()).then(|| "0".to_owned())
                    }))
                    .unwrap_or_else(|| was.clone());
                let error = input.and_then(|inp| inp.errors.iter().find(|e| e.field.as_deref() == Some(f.name))).map(|e| e.message.as_str());
                let view = field_view(prefix, meta, i, &value, cell, false, error, ctx.reader());
                let label = text(ctx, "list-edit-cell-label", &[("field", Arg::Text(f.label.to_owned())), ("row", Arg::Text(record.title(meta)))]);
                let field = context! {
                    name => format!("r{n}-{}", f.name),
                    id => format!("id_r{n}-{}", f.name),
                    label => label,
                    help => "",
                    ..view
                };
                let hidden = if std::mem::take(&mut first_editable) {
                    vec![
                        context! { name => format!("r{n}-_key"), value => &record.key },
                        context! { name => format!("r{n}-_version"), value => &version },
                    ]
                } else {
                    Vec::new()
                };
                let messages = if hidden.is_empty() { Vec::new() } else { row_errors.clone() };
                let mut hidden = hidden;
                hidden.push(context! { name => format!("r{n}-_was-{}", f.name), value => was });
                context! { first => pos == 0, url => url, numeric => false, field => field, hidden => hidden, messages => messages, html => None::<Value>, cell => None::<Value> }
            })
            .collect()
    }
}
