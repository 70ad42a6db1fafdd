//! The JSON API: `POST {prefix}/api/{model}/actions/{action}` runs an action through
//! the same service as the screens and scripts, with the same checks.
//!
//! Authentication goes through the same authenticator as the screens
//! ([`admin_core::service::Service::authenticate`]): `Authorization: Bearer <token>` (an API token;
//! the scheme in any case), or the session cookie together with the session's CSRF
//! token in `X-CSRF-Token`, from a page of the console's own origin (see
//! [`crate::origin`]). A user whose role requires two-factor sign-in and who has not
//! set it up is refused either way, as on the screens.
//!
//! Body: `{"ids": ["1", 2], "input": {"kind": "fraud"}, "reason": "...",
//! "idempotency_key": "..."}`. `reason` and `idempotency_key` are text (a whole
//! number is taken as the key's digits) or absent; any other value is refused
//! with `invalid`, never ignored. Answers: 200 `{"status": "done" | "already_done",
//! "done": [{"id", "note"}], "skipped": [{"id", "reason"}], "audit": [first, last] |
//! null}`, 202 `{"status": "queued", "approval_id": 7}`, or an error status with
//! `{"error": "<code>", "message": "<a sentence for people>", "fields": {"reason": "..."}}`;
//! a `forbidden` answer for a missing permission also names it, for scripts:
//! `"permission": "invoice.action.refund_invoice"` (the message names the roles
//! that grant it instead).
//! Every error under `{prefix}/api/`, unknown paths and methods included, has this
//! shape; a 401 also carries `WWW-Authenticate: Bearer realm="opsadmin"`. The codes
//! are stable, the messages are not:
//!
//! | code | status | when |
//! |---|---|---|
//! | `unauthenticated` | 401 | no credentials, an unknown or revoked token, an ended session, a deactivated user |
//! | `two_factor_required` | 403 | the user's role requires two-factor sign-in and they have not set it up |
//! | `csrf_failed` | 403 | the session cookie without the session's token in `X-CSRF-Token` |
//! | `origin_refused` | 403 | the session cookie from a page of another site (`Origin`, `Referer`) |
//! | `forbidden` | 403 | a permission is missing (the same sentence as on screen, naming who can; `permission` names the code) |
//! | `recent_auth_required` | 403 | the action needs a recent sign-in, which this session or token does not have |
//! | `not_found` | 404 | an unknown model, action, record or path |
//! | `method_not_allowed` | 405 | anything but `POST` |
//! | `bad_request` | 400 | a body that is not the JSON object above |
//! | `too_large` | 413 | a body over the size limit |
//! | `invalid` | 400 | the reason or input is missing or invalid; `fields` names each field |
//! | `conflict` | 409 | the record changed meanwhile |
//! | `refused` | 409 | the action refused the request (e.g. the batch is too large) |
//! | `database_unavailable` | 503 | the database cannot be reached for a moment; nothing was saved (`Retry-After`) |
//! | `database_busy` | 503 | SQLite's write lock stayed taken; nothing was saved (`Retry-After`) |
//! | `database_outcome_unknown` | 503 | the connection was lost during the commit: it may have been saved; send it again with the same `idempotency_key` |
//! | `internal` | 500 | the server failed; nothing was changed |
//!
//! An action whose policy asks for a recent sign-in (`Policy::recent_auth`) runs only for a
//! recently proven session, as on the screens; API tokens never are (403 `recent_auth_required`).

use admin_core::action::Report;
use admin_core::auth::{self, Authentication, Credential, Proof};
use admin_core::service::{ActionRequest, ActionResult, Caller};
use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{FromRef, FromRequestParts, Path};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Map, Number, Value, json};

use crate::session::{SESSION_COOKIE, cookie, request_meta};
use crate::state::AdminState;

pub use super::api_error::{ApiError, CHALLENGE};

fn report_json(status: &str, r: &Report) -> Value {
    json!({
        "status": status,
        "done": r.done.iter().map(|(k, n)| json!({ "id": k, "note": n })).collect::<Vec<_>>(),
        "skipped": r.skipped.iter().map(|(k, why)| json!({ "id": k, "reason": why })).collect::<Vec<_>>(),
        "audit": r.audit_seqs.map(|(a, b)| json!([a, b])),
        "run_id": r.run_id,
    })
}

/// The token of an `Authorization: Bearer <token>` header; the scheme is matched in
/// any case, as RFC 9110 asks.
fn bearer_token(value: &HeaderValue) -> Option<&str> {
    let (scheme, token) = value.to_str().ok()?.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

fn enrol_first() -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, "two_factor_required", auth::ENROL_FIRST)
}

/// The caller of an API request, by the screens' authenticator ([`Service::authenticate`]):
/// a token's user, or a session's user whose request came from the console's origin
/// with the session's CSRF token in `X-CSRF-Token`.
///
/// [`Service::authenticate`]: admin_core::service::Service::authenticate
pub struct ApiCaller(pub Caller);

impl<S> FromRequestParts<S> for ApiCaller
where
    AdminState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let state = AdminState::from_ref(state);
        // First, so that a refusal too carries the id the site's proxies allow.
        let (request_id, client_addr) = request_meta(parts, &state.config);
        let identity = match parts.headers.get(header::AUTHORIZATION) {
            Some(value) => by_token(&state, value).await?,
            None => by_session(&state, parts).await?,
        };
        crate::session::note_staff(parts, identity.staff.id);
        Ok(Self(Caller::from_identity(&identity).with_request(Some(request_id), client_addr)))
    }
}

async fn by_token(state: &AdminState, value: &HeaderValue) -> Result<auth::Identity, ApiError> {
    let Some(token) = bearer_token(value) else {
        return Err(ApiError::unauthenticated("Send the API token as `Authorization: Bearer <token>`."));
    };
    match state.service().authenticate(Credential::Token(token)).await? {
        Authentication::Identified(identity) => Ok(identity),
        Authentication::EnrolmentRequired(_) => Err(enrol_first()),
        _ => Err(ApiError::unauthenticated(
            "The API token is not valid (unknown, revoked, or its user is inactive). Send a valid one as `Authorization: Bearer <token>`.",
        )),
    }
}

async fn by_session(state: &AdminState, parts: &Parts) -> Result<auth::Identity, ApiError> {
    let headers: &HeaderMap = &parts.headers;
    let Some(token) = cookie(headers, SESSION_COOKIE) else {
        return Err(ApiError::unauthenticated(
            "Sign in, or send an API token as `Authorization: Bearer <token>`.",
        ));
    };
    if !parts.method.is_safe() && crate::origin::check(&state.config, headers, &parts.uri).is_err() {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "origin_refused",
            "Requests made with the session cookie must come from the console's own pages.",
        ));
    }
    let (identity, enrolled) = match state.service().authenticate(Credential::Session(token)).await? {
        Authentication::Identified(identity) => (identity, true),
        Authentication::EnrolmentRequired(identity) => (identity, false),
        _ => return Err(ApiError::unauthenticated("The session has ended; sign in again.")),
    };
    let csrf = identity.session.as_ref().map_or("", |s| s.csrf_token.as_str());
    let sent = headers.get("x-csrf-token").and_then(|v| v.to_str().ok()).unwrap_or("");
    if csrf.is_empty() || !auth::constant_time_eq(sent, csrf) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "csrf_failed",
            "Requests made with the session cookie must carry the session's CSRF token in X-CSRF-Token.",
        ));
    }
    if !enrolled {
        return Err(enrol_first());
    }
    Ok(identity)
}

/// The model and action an API address names.
#[derive(Deserialize)]
pub struct ActionPath {
    pub(super) model: String,
    pub(super) action: String,
}

/// One record id: text, or a number taken as its digits.
#[derive(Deserialize)]
#[serde(untagged)]
pub(super) enum Id {
    Text(String),
    Number(Number),
}

/// A value that must be text (or a whole number, for the idempotency key): kept
/// whatever it is, so that anything else is refused by name, never dropped.
#[derive(Deserialize)]
#[serde(untagged)]
pub(super) enum Given {
    Text(String),
    Number(Number),
    Other(serde::de::IgnoredAny),
}

/// The body of `POST {prefix}/api/{model}/actions/{action}`.
#[derive(Deserialize)]
pub struct ActionBody {
    ids: Vec<Id>,
    #[serde(default)]
    input: Option<Map<String, Value>>,
    #[serde(default)]
    reason: Option<Given>,
    #[serde(default)]
    idempotency_key: Option<Given>,
}

/// The text at `name`: `None` when absent or `null`; a whole number as its digits
/// for the idempotency key only. Anything else is refused (400 `invalid`, naming the
/// field), never dropped: a dropped key would let a retried request run twice, a
/// dropped reason would let an action run without one.
pub(super) fn text_of(
    value: Option<Given>,
    name: &str,
    whole_numbers: bool,
    message: &str,
) -> Result<Option<String>, ApiError> {
    match value {
        None => Ok(None),
        Some(Given::Text(s)) => Ok(Some(s)),
        Some(Given::Number(n)) if whole_numbers && (n.is_u64() || n.is_i64()) => Ok(Some(n.to_string())),
        Some(_) => Err(ApiError::invalid_field(name, message)),
    }
}

impl ActionBody {
    /// The request the body asks for, and its reason; text with a NUL character is
    /// refused (no database stores it).
    fn into_request(self) -> Result<(ActionRequest, Option<String>), ApiError> {
        let keys: Vec<String> = self
            .ids
            .into_iter()
            .map(|id| match id {
                Id::Text(s) => s,
                Id::Number(n) => n.to_string(),
            })
            .collect();
        let input = Value::Object(self.input.unwrap_or_default());
        let reason =
            text_of(self.reason, "reason", false, "The reason must be text, like \"Card testing\".")?;
        let idempotency_key = text_of(
            self.idempotency_key,
            "idempotency_key",
            true,
            "The idempotency key must be text, like \"ticket-9001\"; a number is taken as its digits.",
        )?;
        let texts = keys.iter().chain(reason.iter()).chain(idempotency_key.iter());
        if texts.into_iter().any(|t| t.contains('\0')) || admin_core::kernel::text::json_has_nul(&input) {
            return Err(ApiError::bad_request("Text in the body must not contain NUL characters (\\u0000)."));
        }
        Ok((ActionRequest { keys, input, idempotency_key }, reason))
    }
}

/// The refusal of an action that needs a recent sign-in the caller does not have.
pub(super) fn recent_auth_required(state: &AdminState, caller: &Caller, label: &str) -> ApiError {
    let why = if caller.proof() == Proof::Token {
        format!(
            "\u{201c}{label}\u{201d} needs a recent sign-in, which an API token cannot give: run it from the admin screens, or through the API with a session that signed in recently."
        )
    } else {
        format!(
            "\u{201c}{label}\u{201d} needs a recent sign-in: confirm your password at {}/me/confirm, then send the request again.",
            state.prefix()
        )
    };
    ApiError::new(StatusCode::FORBIDDEN, "recent_auth_required", why)
}

/// `POST {prefix}/api/{model}/actions/{action}`.
pub async fn run_action(
    axum::extract::State(state): axum::extract::State<AdminState>,
    ApiCaller(caller): ApiCaller,
    path: Result<Path<ActionPath>, PathRejection>,
    body: Result<Json<ActionBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Ok(Path(ActionPath { model, action })) = path else {
        return Err(ApiError::bad_request("The model and action in the address cannot be read."));
    };
    let service = state.service();
    // The permission first (the same refusal as the screens), then the body.
    let label = service.action(&caller, &model, &action)?.label().to_owned();
    let (request, reason) = body?.0.into_request()?;
    let caller = caller.with_reason(reason);
    match service.run_action(&caller, &model, &action, &request).await {
        Ok(ActionResult::Ran(r)) => Ok((StatusCode::OK, Json(report_json("done", &r))).into_response()),
        Ok(ActionResult::AlreadyRan(r)) => {
            Ok((StatusCode::OK, Json(report_json("already_done", &r))).into_response())
        }
        Ok(ActionResult::Queued { id }) => Ok((
            StatusCode::ACCEPTED,
            Json(json!({ "status": "queued", "approval_id": id, "url": format!("{}/approvals/{id}", state.prefix()) })),
        )
            .into_response()),
        Err(admin_core::Error::ReauthRequired) => Err(recent_auth_required(&state, &caller, &label)),
        Err(e) => Err(e.into()),
    }
}

/// Turns an error answered under `{prefix}/api/` by anything but the API handler
/// (no such address, a method other than POST, a sign-in refusal, an oversized
/// request) into the API's JSON error; JSON answers pass unchanged.
#[must_use]
pub fn json_errors(resp: Response) -> Response {
    let status = resp.status();
    let is_json = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if is_json || !(status.is_client_error() || status.is_server_error()) {
        return resp;
    }
    let page = resp.extensions().get::<crate::error::ErrorPage>().map(|p| p.message.clone());
    let (code, default) = match status {
        StatusCode::NOT_FOUND => {
            ("not_found", "There is no such API address; actions are at /api/{model}/actions/{action}.")
        }
        StatusCode::METHOD_NOT_ALLOWED => (
            "method_not_allowed",
            "This API address does not take that method: actions and job changes are POST, jobs are read with GET.",
        ),
        StatusCode::UNAUTHORIZED => {
            ("unauthenticated", "Send an API token as `Authorization: Bearer <token>`.")
        }
        StatusCode::FORBIDDEN => ("forbidden", "You may not do this."),
        StatusCode::PAYLOAD_TOO_LARGE => ("too_large", "The request is too large."),
        // The database was away while the token or session was checked.
        StatusCode::SERVICE_UNAVAILABLE => {
            use admin_core::kernel::error::Unavailable;
            let u = [Unavailable::Busy, Unavailable::MaybeSaved]
                .into_iter()
                .find(|u| page.as_deref() == Some(u.sentence()))
                .unwrap_or(Unavailable::Down);
            (super::api_error::unavailable_code(Some(u)), u.sentence())
        }
        s if s.is_server_error() => ("internal", "Something went wrong on our side. Nothing was changed."),
        _ => ("bad_request", "The request cannot be read."),
    };
    let message = match (status, page) {
        // The screens' 404 names a model; the API's address is what is unknown.
        (StatusCode::NOT_FOUND, _) | (_, None) => default.to_owned(),
        (_, Some(m)) => m,
    };
    let allow = resp.headers().get(header::ALLOW).cloned();
    let mut out = ApiError::new(status, code, message).into_response();
    if let Some(a) = allow {
        out.headers_mut().insert(header::ALLOW, a);
    }
    out
}

/// Whether a path after `{prefix}/api` has a shape the API answers:
/// `/{model}/actions/{action}` (and `…/job`), `/jobs`, `/jobs/{id}` and
/// `/jobs/{id}/{change}`.
#[must_use]
pub fn is_action_path(rest: &str) -> bool {
    let parts: Vec<&str> = rest.strip_prefix('/').unwrap_or("").split('/').collect();
    match parts.as_slice() {
        [model, "actions", action] | [model, "actions", action, "job"] => {
            !model.is_empty() && !action.is_empty()
        }
        ["jobs"] => true,
        ["jobs", id] | ["jobs", id, _] => !id.is_empty(),
        _ => false,
    }
}

/// Any other address under `{prefix}/api/`: 404, in JSON.
#[must_use]
pub fn not_found() -> Response {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "There is no such API address; actions are at /api/{model}/actions/{action}.",
    )
    .into_response()
}
