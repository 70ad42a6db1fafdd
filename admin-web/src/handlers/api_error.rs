//! The JSON API's errors: a status, a stable code, a sentence, the fields at fault
//! and, for a missing permission, its code (see [`super::api`]).

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

/// The `WWW-Authenticate` challenge of every 401.
pub const CHALLENGE: &str = "Bearer realm=\"opsadmin\"";

/// An API error: a status, a stable machine code, a sentence, and the fields at
/// fault. Its response is `{"error": code, "message": ..., "fields": {...}}`.
#[derive(Clone, Debug)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// The stable code (`unauthenticated`, `forbidden`, ...; see the module docs).
    pub code: &'static str,
    /// What went wrong, for people.
    pub message: String,
    /// The fields at fault, each with its message.
    pub fields: Map<String, Value>,
    /// The missing permission of a `forbidden` answer, for scripts (not in the message).
    pub permission: Option<String>,
}

impl ApiError {
    /// An error without fields.
    #[must_use]
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into(), fields: Map::new(), permission: None }
    }

    pub(super) fn unauthenticated(message: &str) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthenticated", message)
    }

    pub(super) fn bad_request(message: &str) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }
    /// A 400 `invalid` naming one field.
    pub(super) fn invalid_field(name: &str, message: &str) -> Self {
        let mut e = Self::new(StatusCode::BAD_REQUEST, "invalid", message);
        e.fields.insert(name.to_owned(), Value::String(message.to_owned()));
        e
    }
}

impl From<&admin_core::Error> for ApiError {
    fn from(e: &admin_core::Error) -> Self {
        use admin_core::Error as C;
        let (status, code) = match e {
            C::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            C::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            C::Unauthenticated => (StatusCode::UNAUTHORIZED, "unauthenticated"),
            C::ReauthRequired => (StatusCode::FORBIDDEN, "reauth_required"),
            C::Invalid(_) => (StatusCode::BAD_REQUEST, "invalid"),
            C::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            C::Conflict { .. } => (StatusCode::CONFLICT, "conflict"),
            C::Refused(_) => (StatusCode::CONFLICT, "refused"),
            _ if e.is_unavailable() => (StatusCode::SERVICE_UNAVAILABLE, unavailable_code(e.unavailable())),
            C::Db(_) | C::Internal(_) | C::Unavailable(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        };
        if e.is_server_error() {
            tracing::error!(error = ?e, "API request failed");
        }
        let fields = match e {
            C::Invalid(errs) => errs
                .iter()
                .filter_map(|f| f.field.as_ref().map(|n| (n.clone(), Value::String(f.message.clone()))))
                .collect(),
            _ => Map::new(),
        };
        let message = match e {
            _ if e.is_unavailable() => e.unavailable().map(|u| u.sentence().to_owned()).unwrap_or_default(),
            C::Invalid(errs) if !errs.is_empty() => {
                errs.iter().map(|f| f.message.clone()).collect::<Vec<_>>().join(" ")
            }
            other => other.to_string(),
        };
        let permission = match e {
            C::Forbidden(denial) => denial.permission().map(str::to_owned),
            _ => None,
        };
        if let Some(p) = &permission {
            tracing::info!(permission = %p, "API request refused: permission missing");
        }
        Self { status, code, message, fields, permission }
    }
}

/// The API's code for a database that cannot be used for a moment (HTTP 503 with
/// `Retry-After`): `database_unavailable`, `database_busy` (SQLite's write lock), or
/// `database_outcome_unknown` (the connection was lost during the commit: look before
/// sending again, or send again with the same `idempotency_key`, which never runs twice).
#[must_use]
pub fn unavailable_code(u: Option<admin_core::kernel::error::Unavailable>) -> &'static str {
    use admin_core::kernel::error::Unavailable;
    match u {
        Some(Unavailable::Busy) => "database_busy",
        Some(Unavailable::MaybeSaved) => "database_outcome_unknown",
        Some(Unavailable::Down) | None => "database_unavailable",
    }
}

impl From<admin_core::Error> for ApiError {
    fn from(e: admin_core::Error) -> Self {
        Self::from(&e)
    }
}

/// A body the JSON extractor could not take: 413 `too_large` for an oversized one,
/// else 400 `bad_request` with what serde said (it names the field at fault).
impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            JsonRejection::BytesRejection(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => Self::new(
                e.status(),
                "too_large",
                "The body could not be read; send a JSON object like {\"ids\": [1, 2]}.",
            ),
            JsonRejection::MissingJsonContentType(_) => Self::bad_request(
                "Send the body as JSON, with `Content-Type: application/json`, like {\"ids\": [1, 2]}.",
            ),
            JsonRejection::JsonDataError(e) => Self::bad_request(&format!(
                "The body must be a JSON object like {{\"ids\": [1, 2]}}; {}",
                e.body_text()
                    .trim_start_matches("Failed to deserialize the JSON body into the target type: ")
            )),
            _ => Self::bad_request("The body must be a JSON object like {\"ids\": [1, 2]}."),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = json!({ "error": self.code, "message": self.message, "fields": self.fields });
        if let Some(p) = self.permission {
            body["permission"] = Value::String(p);
        }
        let mut resp = (self.status, Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            resp.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(CHALLENGE));
        }
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            use admin_core::kernel::error::Unavailable;
            let u = if self.code == "database_busy" { Unavailable::Busy } else { Unavailable::Down };
            resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(u.retry_after()));
        }
        resp
    }
}
