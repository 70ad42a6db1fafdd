//! Internal notes on a record.

use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::error::Result;
use crate::extract::{ModelParam, RecordKey, Submitted};
use crate::handlers::list::url_path_segment;

/// The note form.
#[derive(Debug, Default, Deserialize)]
pub struct NoteForm {
    /// The note's text.
    #[serde(default)]
    pub body: String,
}

/// `POST {prefix}/{model}/{id}/notes`: `body`. Needs `{model}.note`; the door checks
/// that the record exists and the user may see it.
pub async fn add(
    ModelParam(model): ModelParam,
    RecordKey(key): RecordKey,
    Submitted(ctx, form): Submitted<NoteForm>,
) -> Result<Response> {
    let meta = model.meta();
    let mut key = key;
    match ctx.service().add_note(&ctx.caller, meta.slug, &key, &form.body).await {
        Ok(note) => {
            // The record's key as the door found it.
            key = note.object_id;
            ctx.flash_t("flash-note-added", &[]).await;
        }
        Err(admin_core::Error::Invalid(errs)) => {
            let msg = errs.iter().map(|e| e.message.clone()).collect::<Vec<_>>().join(" ");
            ctx.flash(&format!("The note was not added: {msg}")).await;
        }
        Err(e) => return Err(e.into()),
    }
    let to = format!("{}/{}/{}#notes", ctx.state.prefix(), meta.slug, url_path_segment(&key));
    Ok(Redirect::to(&to).into_response())
}
