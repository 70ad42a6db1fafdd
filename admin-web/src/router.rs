//! The admin's routes, mounted at a prefix, with security headers on every response
//! and a full page for every error.

use std::sync::Arc;

use axum::Router;
use axum::extract::{FromRef, OriginalUri};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};

use crate::error::NeedsRecentSignIn;
use crate::handlers::{
    action, action_run, api, api_jobs, approvals, autocomplete, dashboard, delete, detail, effects, health,
    history, imports, jobs, list, list_edit, login, notes, pages, preferences, search, selection, staff,
    static_files, tokens, two_factor, undo,
};
use crate::session::confirm_location;
use crate::state::AdminState;

/// The admin's router at the default prefix `/admin`; merge it into your app and
/// give it an [`AdminState`] (directly or through `FromRef`).
///
/// ```no_run
/// # async fn run(db: sea_orm::DatabaseConnection) {
/// let admin = admin_web::AdminState::new(db, admin_core::Registry::new());
/// let app: axum::Router = axum::Router::new().merge(admin_web::router()).with_state(admin);
/// # let _ = app;
/// # }
/// ```
pub fn router<S>() -> Router<S>
where
    AdminState: FromRef<S>,
    S: Clone + Send + Sync + 'static,
{
    router_at("/admin")
}

/// The admin's router at another prefix (no trailing slash, e.g. `/ops`). The
/// [`crate::Config::prefix`] of the state must be the same.
///
/// # Panics
/// If `prefix` does not start with `/` or ends with `/`.
pub fn router_at<S>(prefix: &str) -> Router<S>
where
    AdminState: FromRef<S>,
    S: Clone + Send + Sync + 'static,
{
    assert!(
        prefix.starts_with('/') && !prefix.ends_with('/'),
        "the admin prefix must start with / and not end with one, like /admin"
    );
    let error_prefix: Arc<str> = Arc::from(prefix);
    let confirm_prefix: Arc<str> = Arc::from(prefix);
    let api_prefix: Arc<str> = Arc::from(format!("{prefix}/api"));
    routes(prefix)
        .fallback(crate::error::no_such_page)
        // Inside the error-page layer, so its 400s get the full page.
        .layer(axum::middleware::from_fn(crate::guard::refuse_unreadable_text))
        // The door's "confirm your password first" becomes the way to the
        // confirmation page, which comes back to this request's address.
        .layer(axum::middleware::from_fn(move |req: axum::extract::Request, next: axum::middleware::Next| {
            let prefix = Arc::clone(&confirm_prefix);
            async move {
                let uri =
                    req.extensions().get::<OriginalUri>().map_or_else(|| req.uri().clone(), |o| o.0.clone());
                let resp = next.run(req).await;
                if resp.extensions().get::<NeedsRecentSignIn>().is_some() {
                    return Redirect::to(&confirm_location(&prefix, &uri)).into_response();
                }
                resp
            }
        }))
        // Under `{prefix}/api/` every error is JSON, whichever route (or none) answered.
        .layer(axum::middleware::from_fn(move |req: axum::extract::Request, next: axum::middleware::Next| {
            let api = Arc::clone(&api_prefix);
            async move {
                let path = req.uri().path();
                let rest = if path == &*api { Some("") } else { path.strip_prefix(&*api) };
                match rest {
                    Some(rest) if rest.is_empty() || rest.starts_with('/') => {
                        // Only `/api/{model}/actions/{action}` exists: other addresses
                        // must not reach the screens' routes (`/{model}/` would).
                        // Every error names the request id.
                        let info = req.extensions().get::<crate::request_log::RequestInfo>().cloned();
                        let resp = if api::is_action_path(rest) {
                            api::json_errors(next.run(req).await)
                        } else {
                            api::not_found()
                        };
                        crate::request_log::with_request_id(info, resp).await
                    }
                    _ => next.run(req).await,
                }
            }
        }))
        // Outside the API's layer: its errors are JSON by now.
        .layer(axum::middleware::from_fn(move |req: axum::extract::Request, next: axum::middleware::Next| {
            crate::error::render_error_pages(Arc::clone(&error_prefix), req, next)
        }))
        .layer(axum::middleware::map_response(|resp: Response| async move { finish(resp) }))
        // Outermost: counts every request with the status it finally got.
        .layer(axum::middleware::from_fn(crate::metrics::track))
        // Outermost: the request id, the client address and the request's log line.
        .layer(axum::middleware::from_fn(crate::request_log::layer))
}

/// Every page and form of the admin, at `prefix`.
fn routes<S>(prefix: &str) -> Router<S>
where
    AdminState: FromRef<S>,
    S: Clone + Send + Sync + 'static,
{
    let p = |path: &str| format!("{prefix}{path}");
    let root = format!("{prefix}/");
    Router::new()
        .route(prefix, get(move || async move { Redirect::permanent(&root) }))
        .route(&p("/"), get(dashboard::show))
        .route(&p("/login"), get(login::form).post(login::submit))
        .route(&p("/logout"), post(login::logout))
        .route(
            &p("/login/second-factor"),
            get(two_factor::second_factor_form).post(two_factor::second_factor_submit),
        )
        .route(&p("/me/two-factor"), get(two_factor::settings).post(two_factor::change))
        .route(&p("/me/confirm"), get(two_factor::confirm_form).post(two_factor::confirm_submit))
        .route(&p("/me/tokens"), get(tokens::list).post(tokens::change))
        .route(&p("/static/{file}"), get(static_files::serve))
        .route(&p("/healthz"), get(health::healthz))
        .route(&p("/readyz"), get(health::readyz))
        .route(&p("/staff/"), get(staff::list))
        .route(&p("/staff/new"), get(staff::new_form).post(staff::create))
        .route(&p("/staff/{id}"), get(staff::show).post(staff::save))
        // A GET here (back from confirming the password) shows the user and the form.
        .route(&p("/staff/{id}/password"), get(staff::show).post(staff::reset_password))
        .route(&p("/me/password"), get(staff::own_password_form).post(staff::own_password))
        .route(&p("/me/preferences"), get(preferences::form).post(preferences::save))
        .route(&p("/api/{model}/actions/{action}"), post(api::run_action))
        .route(&p("/api/{model}/actions/{action}/job"), post(api_jobs::start))
        .route(&p("/api/jobs"), get(api_jobs::list))
        .route(&p("/api/jobs/{id}"), get(api_jobs::show))
        .route(&p("/api/jobs/{id}/{change}"), post(api_jobs::change))
        .route(&p("/search"), get(search::search))
        .route(&p("/views/{id}/delete"), post(dashboard::delete_view))
        .route(&p("/{model}/views"), post(dashboard::save_view))
        .route(&p("/{model}/{id}/notes"), post(notes::add))
        .route(&p("/approvals"), get(approvals::queue))
        .route(&p("/approvals/{id}"), get(approvals::show))
        .route(&p("/approvals/{id}/approve"), post(approvals::approve))
        .route(&p("/approvals/{id}/reject"), post(approvals::reject))
        .route(&p("/runs/{id}/undo"), get(undo::confirm).post(undo::submit))
        .route(&p("/effects/"), get(effects::list))
        .route(&p("/effects/{id}"), get(effects::show))
        .route(&p("/effects/{id}/retry"), get(effects::to_page).post(effects::retry))
        .route(&p("/effects/{id}/give-up"), get(effects::to_page).post(effects::give_up))
        .route(&p("/jobs/"), get(jobs::list))
        .route(&p("/jobs/{id}"), get(jobs::show))
        .route(&p("/jobs/{id}/progress"), get(jobs::progress))
        .route(&p("/jobs/{id}/match"), get(jobs::to_job).post(imports::match_columns))
        .route(&p("/jobs/{id}/confirm"), get(jobs::to_job).post(imports::confirm))
        .route(&p("/jobs/{id}/failed.csv"), get(imports::failed_rows))
        .route(&p("/jobs/{id}/download"), get(imports::download))
        .route(&p("/jobs/{id}/{change}"), get(jobs::to_page).post(jobs::change))
        .route(&p("/pages/{*path}"), get(pages::show).post(pages::submit))
        .route(&p("/audit"), get(history::audit_log))
        .route(&p("/audit/export.csv"), get(history::audit_export))
        .route(&p("/{model}/"), get(list::show))
        .route(&p("/{model}/export.csv"), get(list::export))
        .route(&p("/{model}/export-job"), get(list_edit::to_list).post(imports::start_export))
        .route(
            &p("/{model}/import"),
            get(imports::form).post(imports::upload).layer(axum::extract::DefaultBodyLimit::max(
                admin_core::job::import::IMPORT_MAX_BYTES + 64 * 1024,
            )),
        )
        .route(&p("/{model}/new"), get(detail::new_form).post(detail::create))
        .route(&p("/{model}/{id}"), get(detail::show).post(detail::save))
        .route(&p("/{model}/{id}/delete"), get(delete::confirm).post(delete::delete))
        .route(&p("/{model}/{id}/history"), get(history::record_history))
        .route(&p("/{model}/{id}/versions/{seq}"), get(undo::version_confirm).post(undo::version_submit))
        .route(&p("/{model}/{id}/undelete/{seq}"), get(undo::deleted_confirm).post(undo::deleted_submit))
        // A GET shows the confirmation for a selection in the query, or says what
        // to do, instead of a bare 405.
        .route(&p("/{model}/actions/{action}"), get(action::show).post(action::submit))
        .route(&p("/{model}/actions/{action}/runs/{run}"), get(action_run::show))
        .route(&p("/{model}/list-edit"), get(list_edit::to_list).post(list_edit::submit))
        .route(&p("/{model}/selection"), get(selection::show).post(selection::change))
        .route(&p("/{model}/autocomplete/{field}"), get(autocomplete::suggest))
        .route(&p("/{model}/lookup/{field}"), get(autocomplete::pick))
}

/// Adds the security headers.
fn finish(mut resp: Response) -> Response {
    let is_static =
        resp.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"text/css"));
    let h = resp.headers_mut();
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
        ),
    );
    if !is_static {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    resp
}
