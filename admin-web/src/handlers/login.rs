//! Sign-in and sign-out.
//!
//! The sign-in form has no session yet, so its CSRF token is a random value set in a
//! short-lived cookie and repeated in the form (double submit). A successful sign-in
//! always starts a new session (the old one, if any, is deleted), so a session id
//! planted before sign-in is worthless.

use admin_core::auth;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use serde::Deserialize;

use super::Pairs;
use crate::error::{Error, Result, Site};
use crate::extract::Submitted;
use crate::session::{SESSION_COOKIE, cookie, set_cookie};
use crate::state::AdminState;

const LOGIN_CSRF_COOKIE: &str = "opsadmin_login_csrf";

/// The request id and client address, for requests without a session (see
/// [`crate::session::request_meta`]).
pub struct RequestMeta(pub String, pub Option<String>);

impl<S> axum::extract::FromRequestParts<S> for RequestMeta
where
    AdminState: axum::extract::FromRef<S>,
    S: Send + Sync,
{
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> std::result::Result<Self, Self::Rejection> {
        let state = <AdminState as axum::extract::FromRef<S>>::from_ref(state);
        let (id, addr) = crate::session::request_meta(parts, &state.config);
        Ok(Self(id, addr))
    }
}

/// The longest `next` followed after sign-in or a confirmation; a longer one (no
/// page of the console has such an address) leads to the dashboard instead.
const MAX_NEXT: usize = 2_000;

/// Accepts `next` only as a local path of at most 2,000 characters without control
/// characters: `/admin/account/?q=x`, never `//evil` or `https://evil`. Anything
/// else leads to the dashboard.
#[must_use]
pub fn safe_next(prefix: &str, next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.len() <= MAX_NEXT
                && n.starts_with('/')
                && !n.starts_with("//")
                && !n.contains('\\')
                && !n.chars().any(char::is_control) =>
        {
            n.to_owned()
        }
        _ => format!("{prefix}/"),
    }
}

fn render_form(
    state: &AdminState,
    csrf: &str,
    next: &str,
    username: &str,
    error: Option<&str>,
    status: StatusCode,
    lang: &str,
) -> Result<Response> {
    let title = state.templates.catalogs().text(lang, "login-title", &[]);
    let html = state.templates.render(
        &["admin/login.html".to_owned()],
        context! {
            base => context! {
                prefix => state.prefix(),
                site_title => &state.config.site_title,
                title => title,
                user => (),
                csrf_token => csrf,
                flash => (),
                nav_models => Vec::<String>::new(),
                lang => lang,
                tz => "UTC",
            },
            next => next,
            username => username,
            error => error,
        },
    )?;
    let mut resp = (status, html).into_response();
    let c = set_cookie(state, LOGIN_CSRF_COOKIE, csrf, Some(3600));
    if let Ok(v) = HeaderValue::from_str(&c) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(resp)
}

/// A query that names where to go afterwards: `next`.
#[derive(Deserialize)]
pub struct NextQuery {
    /// A local path (see [`safe_next`]).
    pub next: Option<String>,
}

/// `GET {prefix}/login`.
pub async fn form(
    _: Site,
    State(state): State<AdminState>,
    headers: HeaderMap,
    Query(q): Query<NextQuery>,
) -> Result<Response> {
    let csrf = auth::random_hex(32)?;
    let lang = state.templates.catalogs().negotiate(crate::session::accept_language(&headers));
    render_form(&state, &csrf, &safe_next(state.prefix(), q.next.as_deref()), "", None, StatusCode::OK, &lang)
}

/// The sign-in form.
#[derive(Deserialize)]
pub struct LoginForm {
    /// The staff user's name.
    #[serde(default)]
    pub username: String,
    /// Their password.
    #[serde(default)]
    pub password: String,
    /// The double-submit token (also in a cookie).
    pub csrf_token: Option<String>,
    /// Where to go afterwards.
    pub next: Option<String>,
}

/// `POST {prefix}/login`: fields `username`, `password`, `csrf_token`, `next`.
pub async fn submit(
    _: Site,
    State(state): State<AdminState>,
    RequestMeta(request_id, client_addr): RequestMeta,
    uri: axum::http::Uri,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Result<Response> {
    // A sign-in posted from another site's page would sign the browser in as the
    // attacker's user.
    crate::origin::check(&state.config, &headers, &uri)?;
    let expected = cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or("");
    match form.csrf_token.as_deref() {
        Some(t) if !expected.is_empty() && auth::constant_time_eq(t, expected) => {}
        _ => return Err(Error::Csrf),
    }
    let next = safe_next(state.prefix(), form.next.as_deref());
    let username = form.username.trim();
    // What is logged and shown again of the name: at most as long as a staff name
    // can be (a megabyte of name must not make a megabyte of log line and page).
    let shown = bounded(username);
    let audit =
        admin_core::audit::Context { request_id: Some(request_id), client_addr, ..Default::default() };
    let session = match auth::sign_in(&state.db, &state.auth, username, &form.password, &audit).await? {
        auth::SignIn::Success(session) => session,
        refused => {
            let lang = state.templates.catalogs().negotiate(crate::session::accept_language(&headers));
            return refused_sign_in(&state, &next, &shown, refused, &lang).await;
        }
    };
    // Rotate: the session cookie the browser had before (if any) ends now.
    if let Some(old) = cookie(&headers, SESSION_COOKIE) {
        auth::sign_out(&state.db, old, &admin_core::audit::Context::default()).await?;
    }
    tracing::info!(username = %session.staff.username, "signed in");
    let to = if session.second_factor_pending {
        let mut q = form_urlencoded::Serializer::new(String::new());
        q.append_pair("next", &next);
        format!("{}/login/second-factor?{}", state.prefix(), q.finish())
    } else {
        next
    };
    let mut resp = Redirect::to(&to).into_response();
    let lifetime = state.auth.sessions.lifetime.num_seconds();
    for c in [
        set_cookie(&state, SESSION_COOKIE, &session.token, Some(lifetime)),
        set_cookie(&state, LOGIN_CSRF_COOKIE, "", Some(0)),
    ] {
        if let Ok(v) = HeaderValue::from_str(&c) {
            resp.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    Ok(resp)
}

/// The form again after a wrong password (after the throttle's delay) or a lock.
async fn refused_sign_in(
    state: &AdminState,
    next: &str,
    shown: &str,
    refused: auth::SignIn,
    lang: &str,
) -> Result<Response> {
    let catalogs = state.templates.catalogs();
    let csrf = auth::random_hex(32)?;
    match refused {
        auth::SignIn::Locked { minutes } => {
            tracing::warn!(username = %shown, "sign-in refused: too many failures");
            let msg = catalogs.text(lang, "login-locked", &[("minutes", minutes.into())]);
            render_form(state, &csrf, next, shown, Some(&msg), StatusCode::TOO_MANY_REQUESTS, lang)
        }
        auth::SignIn::Failed { delay } => {
            tracing::info!(username = %shown, "sign-in failed");
            tokio::time::sleep(delay).await;
            let msg = catalogs.text(lang, "login-wrong", &[]);
            render_form(state, &csrf, next, shown, Some(&msg), StatusCode::OK, lang)
        }
        auth::SignIn::Success(_) => {
            Err(admin_core::Error::Internal("a sign-in refused and made".into()).into())
        }
    }
}

/// At most [`admin_core::kernel::text::USERNAME`] characters of a submitted name, marked
/// with "…" when cut: for the log and the form shown again.
fn bounded(name: &str) -> String {
    let mut out: String = name.chars().take(admin_core::kernel::text::USERNAME).collect();
    if name.chars().count() > admin_core::kernel::text::USERNAME {
        out.push('\u{2026}');
    }
    out
}

/// `POST {prefix}/logout`: field `csrf_token`.
pub async fn logout(Submitted(ctx, _): Submitted<Pairs>) -> Result<Response> {
    auth::sign_out(&ctx.state.db, &ctx.token, ctx.caller.context()).await?;
    let mut resp = Redirect::to(&format!("{}/login", ctx.state.prefix())).into_response();
    if let Ok(v) = HeaderValue::from_str(&set_cookie(&ctx.state, SESSION_COOKIE, "", Some(0))) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_accepts_only_local_paths() {
        assert_eq!(safe_next("/admin", Some("/admin/account/?q=a")), "/admin/account/?q=a");
        assert_eq!(safe_next("/admin", Some("//evil.example/")), "/admin/");
        assert_eq!(safe_next("/admin", Some("https://evil.example/")), "/admin/");
        assert_eq!(safe_next("/admin", Some("/\\evil.example")), "/admin/");
        assert_eq!(safe_next("/admin", None), "/admin/");
        let long = format!("/admin/{}", "a".repeat(super::MAX_NEXT));
        assert_eq!(safe_next("/admin", Some(&long)), "/admin/");
        assert_eq!(safe_next("/admin", Some("/admin/a\u{0}b")), "/admin/");
    }
}
