//! The JSON API: `POST {prefix}/api/{model}/actions/{action}` runs an action through
//! the same service as the screens and scripts, with the same checks.
//!
//! Authentication: `Authorization: Bearer <token>` (an API token), or the session
//! cookie together with the session's CSRF token in `X-CSRF-Token`. Body:
//! `{"ids": ["1", 2], "input": {"kind": "fraud"}, "reason": "...", "idempotency_key": "..."}`.
//! Answers: 200 `{"status": "done" | "already_done", "done": [{"id", "note"}],
//! "skipped": [{"id", "reason"}], "audit": [first, last] | null}`, 202
//! `{"status": "queued", "approval_id": 7}`, or an error status with
//! `{"error": "...", "fields": {"reason": "..."}}`.
//!
//! An action whose policy asks for a recent sign-in (`Policy::recent_auth`) runs only
//! for a session whose user proved who they are recently, as on the screens; API
//! tokens, which have no sign-in, are refused it (403).

use admin_core::action::Report;
use admin_core::audit::Context;
use admin_core::auth;
use admin_core::service::{self, ActionRequest, ActionResult};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::Pairs;
use crate::handlers::login::RequestMeta;
use crate::session::{SESSION_COOKIE, cookie};
use crate::state::AdminState;

fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message, "fields": {} }))).into_response()
}

fn core_error(e: &admin_core::Error) -> Response {
    use admin_core::Error as C;
    let status = match e {
        C::NotFound(_) => StatusCode::NOT_FOUND,
        C::Forbidden(_) => StatusCode::FORBIDDEN,
        C::Unauthenticated => StatusCode::UNAUTHORIZED,
        C::Invalid(_) | C::BadRequest(_) => StatusCode::BAD_REQUEST,
        C::Conflict { .. } | C::Refused(_) => StatusCode::CONFLICT,
        C::Db(_) | C::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    };
    if e.is_server_error() {
        tracing::error!(error = ?e, "API action failed");
    }
    let fields: serde_json::Map<String, Value> = match e {
        C::Invalid(errs) => errs
            .iter()
            .filter_map(|f| f.field.as_ref().map(|n| (n.clone(), Value::String(f.message.clone()))))
            .collect(),
        _ => serde_json::Map::new(),
    };
    let message = match e {
        C::Invalid(errs) => errs.iter().map(|f| f.message.clone()).collect::<Vec<_>>().join(" "),
        other => other.to_string(),
    };
    (status, Json(json!({ "error": message, "fields": fields }))).into_response()
}

fn report_json(status: &str, r: &Report) -> Value {
    json!({
        "status": status,
        "done": r.done.iter().map(|(k, n)| json!({ "id": k, "note": n })).collect::<Vec<_>>(),
        "skipped": r.skipped.iter().map(|(k, why)| json!({ "id": k, "reason": why })).collect::<Vec<_>>(),
        "audit": r.audit_seqs.map(|(a, b)| json!([a, b])),
    })
}

/// How the caller proved who they are.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Proof {
    /// An API token: no sign-in at all.
    Token,
    /// A session whose last proof of identity is older than the re-authentication
    /// window.
    StaleSession,
    /// A session that signed in or confirmed recently.
    RecentSession,
}

/// Who is calling: a token's user, or a session's user with a matching CSRF header.
async fn caller(state: &AdminState, headers: &HeaderMap) -> Result<(admin_core::Staff, Proof), Response> {
    if let Some(auth_header) = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        let token = auth_header.strip_prefix("Bearer ").unwrap_or("");
        return match auth::staff_for_token(&state.db, &state.auth, token).await {
            Ok(Some(staff)) => Ok((staff, Proof::Token)),
            Ok(None) => Err(error(
                StatusCode::UNAUTHORIZED,
                "The API token is not valid (unknown, revoked, or its user is inactive).",
            )),
            Err(e) => Err(core_error(&e)),
        };
    }
    let Some(token) = cookie(headers, SESSION_COOKIE) else {
        return Err(error(
            StatusCode::UNAUTHORIZED,
            "Sign in, or send an API token as `Authorization: Bearer <token>`.",
        ));
    };
    let session = match auth::load_session(&state.db, &state.auth, token).await {
        Ok(Some(s)) if !s.second_factor_pending => s,
        Ok(_) => {
            return Err(error(StatusCode::UNAUTHORIZED, "The session has ended; sign in again."));
        }
        Err(e) => return Err(core_error(&e)),
    };
    let sent = headers.get("x-csrf-token").and_then(|v| v.to_str().ok()).unwrap_or("");
    if !auth::constant_time_eq(sent, &session.csrf_token) {
        return Err(error(
            StatusCode::FORBIDDEN,
            "Requests made with the session cookie must carry the session's CSRF token in X-CSRF-Token.",
        ));
    }
    let proof = if session.recently_authenticated(&state.auth.sessions) {
        Proof::RecentSession
    } else {
        Proof::StaleSession
    };
    Ok((session.staff, proof))
}

fn keys_of(v: Option<&Value>) -> Result<Vec<String>, &'static str> {
    match v {
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| match i {
                Value::String(s) => Ok(s.clone()),
                Value::Number(n) => Ok(n.to_string()),
                _ => Err("`ids` must be a list of ids (strings or numbers)."),
            })
            .collect(),
        _ => Err("Send the records to act on as `ids`, a list."),
    }
}

/// `POST {prefix}/api/{model}/actions/{action}`.
pub async fn run_action(
    State(state): State<AdminState>,
    Path(path): Path<Pairs>,
    RequestMeta(request_id, client_addr): RequestMeta,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (staff, proof) = match caller(&state, &headers).await {
        Ok(s) => s,
        Err(resp) => return resp,
    };
    let get = |k: &str| path.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
    let (slug, name) = (get("model"), get("action"));
    // The permission first (the same refusal as the screens), then the sign-in's age.
    let action = match service::action_for(&staff, &state.registry, &slug, &name) {
        Ok(a) => a,
        Err(e) => return core_error(&e),
    };
    if action.policy().recent_auth && proof != Proof::RecentSession {
        let label = action.label();
        let why = if proof == Proof::Token {
            format!(
                "\u{201c}{label}\u{201d} needs a recent sign-in, which an API token cannot give: run it from the admin screens, or through the API with a session that signed in recently."
            )
        } else {
            format!(
                "\u{201c}{label}\u{201d} needs a recent sign-in: confirm your password at {}/me/confirm, then send the request again.",
                state.prefix()
            )
        };
        return error(StatusCode::FORBIDDEN, &why);
    }
    let body: Value = match serde_json::from_slice(&body) {
        Ok(v @ Value::Object(_)) => v,
        _ => return error(StatusCode::BAD_REQUEST, "The body must be a JSON object like {\"ids\": [1, 2]}."),
    };
    if admin_core::text::json_has_nul(&body) {
        return error(StatusCode::BAD_REQUEST, "Text in the body must not contain NUL characters (\\u0000).");
    }
    let keys = match keys_of(body.get("ids")) {
        Ok(k) => k,
        Err(msg) => return error(StatusCode::BAD_REQUEST, msg),
    };
    let input = body.get("input").cloned().unwrap_or_else(|| json!({}));
    if !input.is_object() {
        return error(StatusCode::BAD_REQUEST, "`input` must be a JSON object of field values.");
    }
    let reason = body.get("reason").and_then(Value::as_str).map(str::to_owned);
    let ctx = Context {
        actor: Some(staff),
        actor_name: None,
        reason: None,
        request_id: Some(request_id),
        client_addr,
    }
    .with_reason(reason);
    let request = ActionRequest {
        keys,
        input,
        idempotency_key: body.get("idempotency_key").and_then(Value::as_str).map(str::to_owned),
    };
    match service::run_action(&state.db, &ctx, &state.registry, &slug, &name, &request).await {
        Ok(ActionResult::Ran(r)) => (StatusCode::OK, Json(report_json("done", &r))).into_response(),
        Ok(ActionResult::AlreadyRan(r)) => (StatusCode::OK, Json(report_json("already_done", &r))).into_response(),
        Ok(ActionResult::Queued { id }) => (
            StatusCode::ACCEPTED,
            Json(json!({ "status": "queued", "approval_id": id, "url": format!("{}/approvals/{id}", state.prefix()) })),
        )
            .into_response(),
        Err(e) => core_error(&e),
    }
}
