//! Background jobs in the JSON API, through the same door as the screens:
//!
//! - `POST {prefix}/api/{model}/actions/{action}/job`, body `{"query":
//!   "plan=annual&billing_state=failed_first_charge"}` (the list screen's query:
//!   every record it matches for the caller, fixed now) or `{"ids": [...]}`, with
//!   `input`, `reason` and `idempotency_key` as for a run: 202 `{"status":
//!   "job_started" | "job_awaiting_approval", "job_id", "url", "repeated"}`.
//! - `GET {prefix}/api/jobs` (`?state=running`): the newest 100 the caller may see.
//! - `GET {prefix}/api/jobs/{id}`: one job, with its first 100 skipped and failed
//!   records and why.
//! - `POST {prefix}/api/jobs/{id}/{pause|resume|cancel|approve|reject}`, body
//!   `{"reason": "..."}`: the job as it is after the change.
//!
//! Errors have the API's shape and codes (see [`super::api`]).

use admin_core::job::control::Change;
use admin_core::job::{Filter, Job, JobState};
use admin_core::service::JobRequest;
use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::api::{ActionPath, ApiCaller, ApiError, Given, Id, recent_auth_required, text_of};
use crate::state::AdminState;

/// A job as the API answers it.
fn job_json(prefix: &str, j: &Job) -> Value {
    let mut v = serde_json::to_value(j).unwrap_or_default();
    if let Value::Object(map) = &mut v {
        map.insert("url".to_owned(), json!(format!("{prefix}/jobs/{}", j.id)));
        map.insert("percent".to_owned(), json!(j.percent()));
        map.insert("records_per_second".to_owned(), json!(j.rate()));
        map.insert("seconds_left".to_owned(), json!(j.seconds_left()));
    }
    v
}

/// The body of `POST …/actions/{action}/job`.
#[derive(Deserialize)]
pub struct JobBody {
    #[serde(default)]
    ids: Vec<Id>,
    #[serde(default)]
    query: Option<Given>,
    #[serde(default)]
    input: Option<Map<String, Value>>,
    #[serde(default)]
    reason: Option<Given>,
    #[serde(default)]
    idempotency_key: Option<Given>,
}

impl JobBody {
    fn into_request(self) -> Result<(JobRequest, Option<String>), ApiError> {
        let keys: Vec<String> = self
            .ids
            .into_iter()
            .map(|id| match id {
                Id::Text(s) => s,
                Id::Number(n) => n.to_string(),
            })
            .collect();
        let query = text_of(self.query, "query", false, "The query must be text, like \"plan=annual\".")?;
        if query.is_some() != keys.is_empty() {
            return Err(ApiError::invalid_field(
                "query",
                "Send either `query` (the list's query string) or `ids`, not both and not neither.",
            ));
        }
        let input = Value::Object(self.input.unwrap_or_default());
        let reason =
            text_of(self.reason, "reason", false, "The reason must be text, like \"Card testing\".")?;
        let idempotency_key = text_of(
            self.idempotency_key,
            "idempotency_key",
            true,
            "The idempotency key must be text, like \"ticket-9001\"; a number is taken as its digits.",
        )?;
        let texts = keys.iter().chain(query.iter()).chain(reason.iter()).chain(idempotency_key.iter());
        if texts.into_iter().any(|t| t.contains('\0')) || admin_core::kernel::text::json_has_nul(&input) {
            return Err(ApiError::bad_request("Text in the body must not contain NUL characters (\\u0000)."));
        }
        Ok((JobRequest { keys, query, input, idempotency_key }, reason))
    }
}

/// `POST {prefix}/api/{model}/actions/{action}/job`.
pub async fn start(
    axum::extract::State(state): axum::extract::State<AdminState>,
    ApiCaller(caller): ApiCaller,
    path: Result<Path<ActionPath>, PathRejection>,
    body: Result<Json<JobBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Ok(Path(ActionPath { model, action })) = path else {
        return Err(ApiError::bad_request("The model and action in the address cannot be read."));
    };
    let service = state.service();
    let label = service.action(&caller, &model, &action)?.label().to_owned();
    let (request, reason) = body?.0.into_request()?;
    let caller = caller.with_reason(reason);
    match service.start_job(&caller, &model, &action, &request).await {
        Ok(started) => {
            let status = if started.awaiting_approval { "job_awaiting_approval" } else { "job_started" };
            let body = json!({
                "status": status,
                "job_id": started.id,
                "repeated": started.repeated,
                "url": format!("{}/jobs/{}", state.prefix(), started.id),
            });
            Ok((StatusCode::ACCEPTED, Json(body)).into_response())
        }
        Err(admin_core::Error::ReauthRequired) => Err(recent_auth_required(&state, &caller, &label)),
        Err(e) => Err(e.into()),
    }
}

/// The list's query: `state`.
#[derive(Deserialize, Default)]
pub struct JobsQuery {
    state: Option<String>,
}

/// `GET {prefix}/api/jobs`.
pub async fn list(
    axum::extract::State(state): axum::extract::State<AdminState>,
    ApiCaller(caller): ApiCaller,
    Query(q): Query<JobsQuery>,
) -> Result<Response, ApiError> {
    let states = match q.state.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Vec::new(),
        Some(s) => vec![JobState::parse(s).ok_or_else(|| {
            ApiError::invalid_field(
                "state",
                "Not a state of a job: awaiting_approval, queued, running, paused, done, failed, cancelled or rejected.",
            )
        })?],
    };
    let filter = Filter { states, ..Filter::default() };
    let (jobs, total) = state.service().jobs(&caller, &filter, 0, 100).await?;
    let prefix = state.prefix();
    let body =
        json!({ "total": total, "jobs": jobs.iter().map(|j| job_json(prefix, j)).collect::<Vec<_>>() });
    Ok(Json(body).into_response())
}

fn job_id(raw: &str) -> Result<i64, ApiError> {
    raw.parse().map_err(|_| admin_core::Error::NotFound(format!("There is no background job {raw}.")).into())
}

/// `GET {prefix}/api/jobs/{id}`.
pub async fn show(
    axum::extract::State(state): axum::extract::State<AdminState>,
    ApiCaller(caller): ApiCaller,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let Ok(Path(raw)) = path else { return Err(ApiError::bad_request("The job's id cannot be read.")) };
    let id = job_id(&raw)?;
    let service = state.service();
    let j = service.job(&caller, id).await?;
    let mut body = job_json(state.prefix(), &j);
    for which in ["skipped", "failed"] {
        let items = service.job_items(&caller, id, which, -1, 100).await?;
        let list: Vec<Value> =
            items.iter().map(|i| json!({ "id": i.key, "reason": i.note, "run_id": i.run_id })).collect();
        if let Value::Object(map) = &mut body {
            map.insert(format!("{which}_records"), Value::Array(list));
        }
    }
    Ok(Json(body).into_response())
}

/// The `{id}/{change}` path.
#[derive(Deserialize)]
pub struct ChangePath {
    id: String,
    change: String,
}

/// The body of a change: why.
#[derive(Deserialize, Default)]
pub struct ChangeBody {
    #[serde(default)]
    reason: Option<Given>,
}

/// `POST {prefix}/api/jobs/{id}/{change}`.
pub async fn change(
    axum::extract::State(state): axum::extract::State<AdminState>,
    ApiCaller(caller): ApiCaller,
    path: Result<Path<ChangePath>, PathRejection>,
    body: Result<Json<ChangeBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Ok(Path(p)) = path else { return Err(ApiError::bad_request("The job's id cannot be read.")) };
    let id = job_id(&p.id)?;
    let change = match p.change.as_str() {
        "pause" => Change::Pause,
        "resume" => Change::Resume,
        "cancel" => Change::Cancel,
        "approve" => Change::Approve,
        "reject" => Change::Reject,
        other => {
            return Err(admin_core::Error::NotFound(format!(
                "A background job cannot be asked to \u{201c}{other}\u{201d}: use pause, resume, cancel, approve or reject."
            ))
            .into());
        }
    };
    let reason = text_of(body?.0.reason, "reason", false, "The reason must be text.")?;
    let caller = caller.with_reason(reason);
    let j = state.service().change_job(&caller, id, change).await?;
    Ok(Json(job_json(state.prefix(), &j)).into_response())
}
