//! Extractors for path parameters that name a model or a record.

use std::sync::Arc;

use admin_core::ModelAdmin;
use axum::extract::{FromRef, FromRequestParts, Path};
use axum::http::request::Parts;

use crate::error::{Error, Result};
use crate::state::AdminState;

/// The model named by the `{model}` path segment (404 when there is none).
#[derive(Clone)]
pub struct ModelParam(pub Arc<dyn ModelAdmin>);

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
        state.registry.get(slug).cloned().map(ModelParam).ok_or_else(|| {
            admin_core::Error::NotFound(format!("There is no admin page for \u{201c}{slug}\u{201d}.")).into()
        })
    }
}

fn state_ref(s: &AdminState) -> &AdminState {
    s
}

/// The `{id}` path segment, as text.
pub fn record_key(parts: &[(String, String)]) -> String {
    parts.iter().find(|(k, _)| k == "id").map(|(_, v)| v.clone()).unwrap_or_default()
}
