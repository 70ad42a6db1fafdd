//! Extractors: the model or record a path names, and a CSRF-checked typed form.

use std::sync::Arc;

use admin_core::list::query::ModelFields;
use axum::body::Bytes;
use axum::extract::{FromRef, FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::{Error, Result};
use crate::session::Ctx;
use crate::state::AdminState;

/// The model named by the `{model}` path segment (404 when there is none).
#[derive(Clone)]
pub struct ModelParam(pub Arc<dyn ModelFields>);

impl<S> FromRequestParts<S> for ModelParam
where
    AdminState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self> {
        let state = AdminState::from_ref(state);
        let params: Path<Vec<(String, String)>> = Path::from_request_parts(parts, state_ref(&state))
            .await
            .map_err(|_| admin_core::Error::NotFound("There is no such page.".to_owned()))?;
        let slug = params.0.iter().find(|(k, _)| k == "model").map(|(_, v)| v.as_str()).unwrap_or("");
        state.registry.fields(slug).map(ModelParam).ok_or_else(|| {
            admin_core::Error::NotFound(format!("There is no admin page for \u{201c}{slug}\u{201d}.")).into()
        })
    }
}

fn state_ref(s: &AdminState) -> &AdminState {
    s
}

/// The record named by the `{id}` path segment, as text (its key; whether it exists
/// is the door's to say).
#[derive(Clone, Debug)]
pub struct RecordKey(pub String);

impl<S: Send + Sync> FromRequestParts<S> for RecordKey {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self> {
        let params: Path<Vec<(String, String)>> = Path::from_request_parts(parts, state)
            .await
            .map_err(|_| admin_core::Error::NotFound("There is no such page.".to_owned()))?;
        Ok(Self(record_key(&params.0)))
    }
}

/// The `{id}` path segment, as text.
pub fn record_key(parts: &[(String, String)]) -> String {
    parts.iter().find(|(k, _)| k == "id").map(|(_, v)| v.clone()).unwrap_or_default()
}

/// A POSTed form from a signed-in user whose CSRF token (`csrf_token`) matched
/// their session's, with its fields read into `T` (any serde type; [`FormData`]
/// pairs for record forms). Every POST handler of the screens takes one, so none can
/// forget the check.
///
/// ```
/// use admin_web::extract::Submitted;
/// use serde::Deserialize;
///
/// #[derive(Deserialize)]
/// struct Rename {
///     name: String,
/// }
///
/// async fn rename(Submitted(ctx, form): Submitted<Rename>) -> String {
///     format!("{} renames to {}", ctx.staff.username, form.name)
/// }
/// ```
///
/// [`FormData`]: admin_core::FormData
pub struct Submitted<T>(pub Ctx, pub T);

impl<S, T> FromRequest<S> for Submitted<T>
where
    AdminState: FromRef<S>,
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = Error;

    async fn from_request(req: Request, state: &S) -> Result<Self> {
        let (mut parts, body) = req.into_parts();
        let ctx = Ctx::from_request_parts(&mut parts, state).await?;
        let bytes = Bytes::from_request(Request::from_parts(parts, body), state).await.map_err(|e| {
            admin_core::Error::BadRequest(format!("The form could not be read: {}", e.body_text()))
        })?;
        let token =
            form_urlencoded::parse(&bytes).find(|(k, _)| k == "csrf_token").map(|(_, v)| v.into_owned());
        ctx.check_csrf(token.as_deref())?;
        let form = serde_urlencoded::from_bytes::<T>(&bytes)
            .map_err(|e| admin_core::Error::BadRequest(format!("The form could not be read: {e}.")))?;
        Ok(Self(ctx, form))
    }
}
