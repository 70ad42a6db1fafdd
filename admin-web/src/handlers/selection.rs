//! A model's selection, kept on the server: `POST {prefix}/{model}/selection`
//! changes it from the list's form (with or without JavaScript) and answers with a
//! redirect back to the same list page, or with the new count as JSON for the
//! list's script.

use std::collections::HashSet;

use admin_core::FormData;
use axum::Json;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::json;

use super::{Pairs, list_url, safe_back};
use crate::error::Result;
use crate::extract::{ModelParam, Submitted};
use crate::session::Ctx;

/// What the list's form says about the selection, read from its fields:
/// `ids` (the checked rows), `page_ids` (every row of the page), and the page's
/// select-all box (`page_all`, with `page_all_was`, its state when the page was
/// shown, so only a change of it counts).
pub(crate) struct PageEdit {
    /// Keys to add.
    pub add: Vec<String>,
    /// Keys to take out.
    pub remove: Vec<String>,
}

impl PageEdit {
    /// The edit the page's checkboxes make: the checked rows in, the unchecked
    /// rows of the page out; ticking the page's select-all box puts every row of
    /// the page in, clearing it takes them all out.
    pub(crate) fn from_form(form: &FormData) -> Self {
        let page: Vec<String> = form.all("page_ids").into_iter().map(str::to_owned).collect();
        let checked: HashSet<&str> = form.all("ids").into_iter().collect();
        let all_now = form.get("page_all") == Some("1");
        let all_before = form.get("page_all_was") == Some("1");
        if all_now && !all_before {
            return Self { add: page, remove: Vec::new() };
        }
        if all_before && !all_now {
            return Self { add: Vec::new(), remove: page };
        }
        // Rows checked on a page that has no `page_ids` (a hand-made form) are added.
        let mut add: Vec<String> = checked.iter().map(|&k| k.to_owned()).collect();
        add.sort();
        let remove = page.into_iter().filter(|k| !checked.contains(k.as_str())).collect();
        Self { add, remove }
    }
}

/// Whether the request is the list's script, which wants the count, not a page.
fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(axum::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/json") && !a.contains("text/html"))
}

/// `GET {prefix}/{model}/selection`: nothing to show; back to the list.
pub async fn show(ctx: Ctx, ModelParam(model): ModelParam) -> Response {
    Redirect::to(&list_url(ctx.state.prefix(), model.meta().slug, "")).into_response()
}

/// `POST {prefix}/{model}/selection`: `csrf_token`, `_back` (the list's query),
/// `op=clear` to empty the selection, else the page's checkboxes (`ids` checked,
/// `page_ids` every row, `page_all` and `page_all_was` the header box). Answers `303` back to the list page with a message, or, to the
/// list's script (`Accept: application/json`), `{"count": n, "phrase": "n accounts"}`.
pub async fn change(
    ModelParam(model): ModelParam,
    headers: HeaderMap,
    Submitted(ctx, form): Submitted<Pairs>,
) -> Result<Response> {
    let form = FormData::from(form);
    let meta = model.meta();
    let service = ctx.service();
    let outcome = if form.get("op") == Some("clear") {
        service.clear_selection(&ctx.caller, meta.slug).await.map(|_| 0)
    } else {
        let edit = PageEdit::from_form(&form);
        service.change_selection(&ctx.caller, meta.slug, &edit.add, &edit.remove).await
    };
    let json = wants_json(&headers);
    let message = match outcome {
        Ok(n) if json => {
            return Ok(Json(json!({ "count": n, "phrase": meta.count_phrase(n) })).into_response());
        }
        Ok(0) => "Nothing is selected now.".to_owned(),
        Ok(n) => format!("{} selected.", meta.count_phrase(n)),
        Err(e @ (admin_core::Error::Refused(_) | admin_core::Error::Invalid(_))) => {
            let text = match &e {
                admin_core::Error::Invalid(errs) => {
                    errs.iter().map(|e| e.message.clone()).collect::<Vec<_>>().join(" ")
                }
                other => other.to_string(),
            };
            if json {
                let n = service.selection_count(&ctx.caller, meta.slug).await?;
                let body = json!({ "count": n, "phrase": meta.count_phrase(n), "error": text });
                return Ok((axum::http::StatusCode::CONFLICT, Json(body)).into_response());
            }
            text
        }
        Err(e) => return Err(e.into()),
    };
    ctx.flash(&message).await;
    let back = safe_back(form.get("_back"));
    Ok(Redirect::to(&list_url(ctx.state.prefix(), meta.slug, &back)).into_response())
}
