//! Internal notes on a record.

use admin_core::{FormData, notes, service};
use axum::extract::{Form, Path};
use axum::response::{IntoResponse, Redirect, Response};

use super::{Pairs, csrf_of};
use crate::error::Result;
use crate::extract::{ModelParam, record_key};
use crate::handlers::list::url_path_segment;
use crate::session::Ctx;

/// `POST {prefix}/{model}/{id}/notes`: `body`. Needs `{model}.note`.
pub async fn add(
    ctx: Ctx,
    ModelParam(model): ModelParam,
    Path(path): Path<Pairs>,
    Form(form): Form<Pairs>,
) -> Result<Response> {
    let form = FormData::from(form);
    ctx.check_csrf(csrf_of(&form))?;
    let meta = model.meta();
    service::require(&ctx.staff, model.as_ref(), "note")?;
    let key = record_key(&path);
    // The record must exist and be visible.
    let record = service::get(&ctx.state.db, &ctx.staff, model.as_ref(), &key).await?;
    match notes::add_note(
        &ctx.state.db,
        &ctx.audit(None),
        meta.slug,
        &record.key,
        form.get("body").unwrap_or(""),
    )
    .await
    {
        Ok(_) => ctx.flash("Note added.").await,
        Err(admin_core::Error::Invalid(errs)) => {
            let msg = errs.iter().map(|e| e.message.clone()).collect::<Vec<_>>().join(" ");
            ctx.flash(&format!("The note was not added: {msg}")).await;
        }
        Err(e) => return Err(e.into()),
    }
    Ok(Redirect::to(&format!("{}/{}/{}#notes", ctx.state.prefix(), meta.slug, url_path_segment(&record.key)))
        .into_response())
}
