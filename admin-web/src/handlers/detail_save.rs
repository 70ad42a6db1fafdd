//! The record form's saves: `POST` of an edit (with its inline rows) and of a new
//! record, answered with a redirect or the form again with what went wrong.

use admin_core::list::query::ModelFields;
use admin_core::service::InlineSave;
use admin_core::{Error as CoreError, FieldError, FormData, ModelMeta, Record};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::{Value, context};

use super::detail::Page;
use super::detail_form::{FormState, editable};
use super::{Pairs, edit_review, list_url, safe_back};
use crate::error::Result;
use crate::extract::{ModelParam, RecordKey, Submitted};
use crate::handlers::list::url_path_segment;
use crate::session::Ctx;

/// Where a saved or created record goes next: back to the list, or (with
/// `_continue`) to the record again, keeping the list's query when `keep_back`.
fn after_save(
    ctx: &Ctx,
    meta: &ModelMeta,
    record: &Record,
    form: &FormData,
    back: &str,
    keep_back: bool,
) -> Response {
    let prefix = ctx.state.prefix();
    let to = if form.get("_continue").is_some() {
        let mut to = format!("{prefix}/{}/{}", meta.slug, url_path_segment(&record.key));
        if keep_back {
            let mut s = form_urlencoded::Serializer::new(String::new());
            s.append_pair("_back", back.trim_start_matches('?'));
            to = format!("{to}?{}", s.finish());
        }
        to
    } else {
        list_url(prefix, meta.slug, back)
    };
    Redirect::to(&to).into_response()
}

/// `POST {prefix}/{model}/{id}`: fields of the form, `csrf_token`, `_version`,
/// `_back`, `_reason`. For a model that asks for a reason with every change, the
/// first POST shows the changes to confirm; the save happens when they come back
/// with `_confirmed=1` (`_edit=1` goes back to the form with the values typed).
pub async fn save(
    ModelParam(model): ModelParam,
    RecordKey(key): RecordKey,
    Submitted(ctx, form): Submitted<Pairs>,
) -> Result<Response> {
    let form = FormData::from(form);
    let meta = model.meta();
    let back = safe_back(form.get("_back"));
    let version = form.get("_version").unwrap_or("");
    if meta.reason_required && form.get(edit_review::CONFIRMED) != Some("1")
        || form.get(edit_review::EDIT) == Some("1")
    {
        let record = ctx.service().get(&ctx.caller, meta.slug, &key).await?;
        let review = edit_review::review(&ctx, model.as_ref(), &record, &form);
        if review.is_some() || form.get(edit_review::EDIT) == Some("1") {
            let state = FormState::from_record(meta, Some(&record), &[]).with_submitted(
                ctx.caller.staff(),
                meta,
                &form,
                false,
            );
            let page = Page {
                version: version.to_owned(),
                review: review.filter(|_| form.get(edit_review::EDIT) != Some("1")),
                ..Page::new(&ctx, meta, Some(&record), back, state)
            };
            return page.render(StatusCode::OK).await;
        }
    }
    let caller = ctx.caller_with_reason(form.get("_reason"));
    if !meta.inlines.is_empty() {
        return save_with_inlines(&ctx, model.as_ref(), &key, &form, back).await;
    }
    match ctx.service().update(&caller, meta.slug, &key, version, &form).await {
        Ok((record, changes)) => {
            let id = if changes.is_empty() { "flash-saved-unchanged" } else { "flash-saved" };
            ctx.flash_t(id, &[("title", record.title(meta).into())]).await;
            Ok(after_save(&ctx, meta, &record, &form, &back, true))
        }
        Err(CoreError::Invalid(errors)) => {
            let record = ctx.service().get(&ctx.caller, meta.slug, &key).await?;
            let state = FormState::from_record(meta, Some(&record), &errors).with_submitted(
                ctx.caller.staff(),
                meta,
                &form,
                false,
            );
            // The form is shown again over the version the person saw.
            let page =
                Page { version: version.to_owned(), ..Page::new(&ctx, meta, Some(&record), back, state) };
            page.render(StatusCode::BAD_REQUEST).await
        }
        Err(CoreError::Conflict { current }) => {
            let errors = [FieldError::form(
                "Someone else changed this record after you opened it, so nothing was saved. Their values are shown below; your values are filled in again, so you can review and save on top of theirs.",
            )];
            let conflict = conflict_rows(&ctx, model.as_ref(), &current, &form);
            let state = FormState::from_record(meta, Some(&current), &errors).with_submitted(
                ctx.caller.staff(),
                meta,
                &form,
                false,
            );
            let page = Page { conflict, ..Page::new(&ctx, meta, Some(&current), back, state) };
            page.render(StatusCode::CONFLICT).await
        }
        Err(e) => Err(e.into()),
    }
}

/// The save of a record with inline children: the record and its child rows in
/// one transaction through the door; refused, the form comes back with every
/// value typed and each error on its row's cell.
async fn save_with_inlines(
    ctx: &Ctx,
    model: &dyn ModelFields,
    key: &str,
    form: &FormData,
    back: String,
) -> Result<Response> {
    let meta = model.meta();
    let version = form.get("_version").unwrap_or("");
    let caller = ctx.caller_with_reason(form.get("_reason"));
    let staff = ctx.caller.staff();
    let outcome = ctx.service().update_with_inlines(&caller, meta.slug, key, version, form).await;
    let (errors, record, status, conflict, keep_versions, parent_version) = match outcome {
        Ok(InlineSave::Saved { record, changes, rows }) => {
            let id = if changes.is_empty() && rows == 0 { "flash-saved-unchanged" } else { "flash-saved" };
            ctx.flash_t(id, &[("title", record.title(meta).into())]).await;
            return Ok(after_save(ctx, meta, &record, form, &back, true));
        }
        Ok(InlineSave::RowConflict { child, key: row, .. }) => {
            let text = ctx.t("inline-conflict", &[("row", format!("{} {row}", child.label).into())]);
            let record = ctx.service().get(&ctx.caller, meta.slug, key).await?;
            (
                vec![FieldError::form(text)],
                record,
                StatusCode::CONFLICT,
                Vec::new(),
                false,
                version.to_owned(),
            )
        }
        Err(CoreError::Invalid(errors)) => {
            let record = ctx.service().get(&ctx.caller, meta.slug, key).await?;
            (errors, record, StatusCode::BAD_REQUEST, Vec::new(), true, version.to_owned())
        }
        Err(CoreError::Conflict { current }) => {
            let errors = vec![FieldError::form(
                "Someone else changed this record after you opened it, so nothing was saved. Their values are shown below; your values are filled in again, so you can review and save on top of theirs.",
            )];
            let conflict = conflict_rows(ctx, model, &current, form);
            let version = current.version();
            (errors, *current, StatusCode::CONFLICT, conflict, true, version)
        }
        Err(e) => return Err(e.into()),
    };
    let state = FormState::from_record(meta, Some(&record), &errors).with_submitted(staff, meta, form, false);
    let submitted = super::inline::Submitted { form, errors: &errors, keep_versions };
    let page = Page {
        version: parent_version,
        conflict,
        submitted: Some(submitted),
        ..Page::new(ctx, meta, Some(&record), back, state)
    };
    page.render(status).await
}

/// What changed meanwhile next to what this person tried to save, for the fields
/// they may change whose values differ.
fn conflict_rows(ctx: &Ctx, model: &dyn ModelFields, current: &Record, form: &FormData) -> Vec<Value> {
    let meta = model.meta();
    meta.fields
        .iter()
        .enumerate()
        .filter(|(_, f)| editable(ctx.caller.staff(), meta, f, false))
        .filter_map(|(i, f)| {
            let theirs = current.cells[i].form_value();
            let yours = form.get(f.name).unwrap_or("");
            // Compare values, not text: "09:30" and "09:30:00" are the same time.
            let same = match (model.parse_value(i, &theirs), model.parse_value(i, yours)) {
                (Ok(a), Ok(b)) => a == b,
                _ => theirs == yours,
            };
            (!same)
                .then(|| context! { label => f.label, now => f.display(&current.cells[i]), yours => yours })
        })
        .collect()
}

/// `POST {prefix}/{model}/new`.
pub async fn create(
    ModelParam(model): ModelParam,
    Submitted(ctx, form): Submitted<Pairs>,
) -> Result<Response> {
    let form = FormData::from(form);
    let meta = model.meta();
    let back = safe_back(form.get("_back"));
    let caller = ctx.caller_with_reason(form.get("_reason"));
    match ctx.service().create(&caller, meta.slug, &form).await {
        Ok(record) => {
            ctx.flash_t("flash-created", &[("title", record.title(meta).into())]).await;
            // A new record's page starts without the list's query.
            Ok(after_save(&ctx, meta, &record, &form, &back, false))
        }
        Err(CoreError::Invalid(errors)) => {
            let state = FormState::from_record(meta, None, &errors).with_submitted(
                ctx.caller.staff(),
                meta,
                &form,
                true,
            );
            Page::new(&ctx, meta, None, back, state).render(StatusCode::BAD_REQUEST).await
        }
        Err(e) => Err(e.into()),
    }
}
