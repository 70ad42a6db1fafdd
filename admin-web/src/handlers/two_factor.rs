//! Two-factor sign-in screens: the second step of sign-in, setting it up and turning
//! it off (`/me/two-factor`), and confirming the password again before sensitive
//! operations (`/me/confirm`).
//!
//! The second step runs for a session that is not signed in yet, so it cannot use
//! the [`Ctx`] extractor: it loads the session from the cookie itself and checks the
//! form against that session's CSRF token.

use admin_core::auth::two_factor::{self, SecondFactor};
use admin_core::auth::{self, CurrentSession};
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;

use serde::Deserialize;

use super::login::{NextQuery, RequestMeta, safe_next};
use crate::error::{Error, Result};
use crate::extract::Submitted;
use crate::session::{Ctx, SESSION_COOKIE, cookie, set_cookie};
use crate::state::AdminState;

/// The messages of an `Invalid` error, in one sentence for the form.
fn messages(errors: &[admin_core::FieldError]) -> String {
    errors.iter().map(|e| e.message.as_str()).collect::<Vec<_>>().join(" ")
}

fn to_sign_in(state: &AdminState) -> Response {
    Redirect::to(&format!("{}/login", state.prefix())).into_response()
}

/// The session of the cookie, whatever its state, with its token.
async fn cookie_session(state: &AdminState, headers: &HeaderMap) -> Result<Option<(String, CurrentSession)>> {
    let Some(token) = cookie(headers, SESSION_COOKIE) else { return Ok(None) };
    Ok(auth::load_session(&state.db, &state.auth, token).await?.map(|s| (token.to_owned(), s)))
}

/// The language of the second step: the staff member's own, else the browser's.
fn second_factor_lang(state: &AdminState, headers: &HeaderMap, session: &auth::CurrentSession) -> String {
    let catalogs = state.templates.catalogs();
    match &session.language {
        Some(l) if catalogs.languages().contains(&l.as_str()) => l.clone(),
        _ => catalogs.negotiate(crate::session::accept_language(headers)),
    }
}

fn render_second_factor(
    state: &AdminState,
    csrf: &str,
    next: &str,
    error: Option<&str>,
    locked: bool,
    status: StatusCode,
    lang: &str,
) -> Result<Response> {
    let html = state.templates.render(
        &["admin/second_factor.html".to_owned()],
        context! {
            base => context! {
                prefix => state.prefix(),
                site_title => &state.config.site_title,
                title => state.templates.catalogs().text(lang, "base-two-factor", &[]),
                user => (),
                csrf_token => csrf,
                flash => (),
                nav_models => Vec::<String>::new(),
                lang => lang,
                tz => "UTC",
            },
            next => next,
            error => error,
            locked => locked,
        },
    )?;
    Ok((status, html).into_response())
}

/// `GET {prefix}/login/second-factor`: the code form, for a session whose password
/// was right.
pub async fn second_factor_form(
    _: crate::error::Site,
    State(state): State<AdminState>,
    headers: HeaderMap,
    Query(q): Query<NextQuery>,
) -> Result<Response> {
    let next = safe_next(state.prefix(), q.next.as_deref());
    let Some((_, session)) = cookie_session(&state, &headers).await? else { return Ok(to_sign_in(&state)) };
    if !session.second_factor_pending {
        return Ok(Redirect::to(&next).into_response());
    }
    let lang = second_factor_lang(&state, &headers, &session);
    render_second_factor(&state, &session.csrf_token, &next, None, false, StatusCode::OK, &lang)
}

/// The second step's form.
#[derive(Deserialize)]
pub struct CodeForm {
    /// An authenticator or recovery code.
    pub code: Option<String>,
    /// The pending session's CSRF token.
    pub csrf_token: Option<String>,
    /// Where to go afterwards.
    pub next: Option<String>,
}

/// `POST {prefix}/login/second-factor`: fields `code` (authenticator or recovery
/// code), `csrf_token`, `next`.
pub async fn second_factor_submit(
    _: crate::error::Site,
    State(state): State<AdminState>,
    RequestMeta(request_id, client_addr): RequestMeta,
    uri: axum::http::Uri,
    headers: HeaderMap,
    Form(form): Form<CodeForm>,
) -> Result<Response> {
    crate::origin::check(&state.config, &headers, &uri)?;
    let Some((token, session)) = cookie_session(&state, &headers).await? else {
        return Ok(to_sign_in(&state));
    };
    match form.csrf_token.as_deref() {
        Some(t) if auth::constant_time_eq(t, &session.csrf_token) => {}
        _ => return Err(Error::Csrf),
    }
    let next = safe_next(state.prefix(), form.next.as_deref());
    if !session.second_factor_pending {
        return Ok(Redirect::to(&next).into_response());
    }
    let audit =
        admin_core::audit::Context { request_id: Some(request_id), client_addr, ..Default::default() };
    let code = form.code.as_deref().unwrap_or("");
    let username = &session.staff.username;
    match two_factor::complete_second_factor(&state.db, &state.auth, &token, code, &audit).await? {
        SecondFactor::SignedIn => {
            tracing::info!(%username, "signed in with a second factor");
            Ok(Redirect::to(&next).into_response())
        }
        SecondFactor::Wrong { tries_left } => {
            tracing::info!(%username, "second factor refused");
            let lang = second_factor_lang(&state, &headers, &session);
            let msg = state.templates.catalogs().text(&lang, "second-wrong", &[("n", tries_left.into())]);
            render_second_factor(&state, &session.csrf_token, &next, Some(&msg), false, StatusCode::OK, &lang)
        }
        SecondFactor::Locked { minutes } => {
            tracing::warn!(%username, "second factor locked: too many wrong codes");
            let lang = second_factor_lang(&state, &headers, &session);
            let msg = state.templates.catalogs().text(&lang, "second-locked", &[("minutes", minutes.into())]);
            let mut resp = render_second_factor(
                &state,
                "",
                &next,
                Some(&msg),
                true,
                StatusCode::TOO_MANY_REQUESTS,
                &lang,
            )?;
            if let Ok(v) = HeaderValue::from_str(&set_cookie(&state, SESSION_COOKIE, "", Some(0))) {
                resp.headers_mut().append(header::SET_COOKIE, v);
            }
            Ok(resp)
        }
    }
}

/// What the two-factor page shows besides the layout.
#[derive(Default)]
struct SettingsView<'a> {
    /// The secret being set up (kept when a code was wrong, so the user need not
    /// add the account to their app again).
    secret: Option<&'a str>,
    /// Just enrolled: the recovery codes, shown this once.
    recovery_codes: Option<&'a [String]>,
    error: Option<String>,
}

async fn render_settings(ctx: &Ctx, view: SettingsView<'_>, status: StatusCode) -> Result<Response> {
    let state = &ctx.state;
    let enrolled = ctx.session.two_factor_enrolled;
    let (secret, uri) = match (enrolled, view.secret, view.recovery_codes) {
        (false, Some(s), None) => (
            s.to_owned(),
            admin_core::auth::totp::otpauth_uri(&state.config.site_title, &ctx.staff.username, s),
        ),
        (false, None, None) => {
            let e = two_factor::begin_enrolment(&state.config.site_title, &ctx.staff.username)?;
            (e.secret, e.otpauth_uri)
        }
        _ => (String::new(), String::new()),
    };
    let codes_left =
        if enrolled { two_factor::recovery_codes_left(&state.db, ctx.staff.id).await? } else { 0 };
    let html = state.templates.render(
        &["admin/two_factor.html".to_owned()],
        context! {
            base => ctx.base(&ctx.t("base-two-factor", &[])),
            enrolled => enrolled,
            required => ctx.session.two_factor_required,
            secret => secret,
            secret_grouped => admin_core::auth::totp::grouped(&secret),
            otpauth_uri => uri,
            recovery_codes => view.recovery_codes,
            codes_left => codes_left,
            error => view.error,
        },
    )?;
    Ok((status, html).into_response())
}

/// `GET {prefix}/me/two-factor`: set up two-factor sign-in, or turn it off.
pub async fn settings(ctx: Ctx) -> Result<Response> {
    ctx.caller.require_recent()?;
    render_settings(&ctx, SettingsView::default(), StatusCode::OK).await
}

/// Turn two-factor sign-in on or off.
#[derive(Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TwoFactorAction {
    /// Turn it on with `secret` and a `code` from the app.
    Enrol,
    /// Turn it off with the `password`.
    Disable,
}

/// The two-factor settings form.
#[derive(Deserialize)]
pub struct TwoFactorForm {
    /// On or off.
    pub action: TwoFactorAction,
    /// The secret being set up.
    #[serde(default)]
    pub secret: String,
    /// A code from the app.
    #[serde(default)]
    pub code: String,
    /// The password, to turn it off.
    #[serde(default)]
    pub password: String,
}

/// `POST {prefix}/me/two-factor`: `action=enrol` with `secret` and `code`, or
/// `action=disable` with `password`; and `csrf_token`. Asks for the password again
/// first when the last proof is old.
pub async fn change(Submitted(ctx, form): Submitted<TwoFactorForm>) -> Result<Response> {
    ctx.caller.require_recent()?;
    match form.action {
        TwoFactorAction::Enrol => enrol(&ctx, &form.secret, &form.code).await,
        TwoFactorAction::Disable => disable(&ctx, &form.password).await,
    }
}

async fn enrol(ctx: &Ctx, secret: &str, code: &str) -> Result<Response> {
    match two_factor::confirm_enrolment(&ctx.state.db, ctx.caller.context(), ctx.staff.id, secret, code).await
    {
        Ok(codes) => {
            tracing::info!(username = %ctx.staff.username, "two-factor sign-in enrolled");
            let view = SettingsView { recovery_codes: Some(&codes), ..SettingsView::default() };
            render_settings(ctx, view, StatusCode::OK).await
        }
        Err(admin_core::Error::Invalid(errors)) => {
            let view = SettingsView {
                secret: Some(secret),
                error: Some(messages(&errors)),
                ..SettingsView::default()
            };
            render_settings(ctx, view, StatusCode::OK).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn disable(ctx: &Ctx, password: &str) -> Result<Response> {
    let state = &ctx.state;
    match two_factor::disable(&state.db, &state.auth, ctx.caller.context(), ctx.staff.id, password).await {
        Ok(()) => {
            tracing::info!(username = %ctx.staff.username, "two-factor sign-in turned off");
            ctx.flash_t("flash-two-factor-off", &[]).await;
            Ok(Redirect::to(&format!("{}/me/two-factor", ctx.state.prefix())).into_response())
        }
        Err(admin_core::Error::Invalid(errors)) => {
            let view = SettingsView { error: Some(messages(&errors)), ..SettingsView::default() };
            render_settings(ctx, view, StatusCode::OK).await
        }
        Err(e) => Err(e.into()),
    }
}

fn render_confirm(ctx: &Ctx, next: &str, error: Option<&str>, status: StatusCode) -> Result<Response> {
    let html = ctx.state.templates.render(
        &["admin/confirm.html".to_owned()],
        context! {
            base => ctx.base(&ctx.t("confirm-me-title", &[])),
            next => next,
            needs_code => ctx.session.two_factor_enrolled,
            error => error,
        },
    )?;
    Ok((status, html).into_response())
}

/// `GET {prefix}/me/confirm?next=...`: asks for the password (and a code when
/// two-factor sign-in is on) before a sensitive operation.
pub async fn confirm_form(ctx: Ctx, Query(q): Query<NextQuery>) -> Result<Response> {
    let next = safe_next(ctx.state.prefix(), q.next.as_deref());
    render_confirm(&ctx, &next, None, StatusCode::OK)
}

/// The confirmation form.
#[derive(Deserialize)]
pub struct ConfirmForm {
    /// The password.
    #[serde(default)]
    pub password: String,
    /// A code from the app, when enrolled.
    #[serde(default)]
    pub code: String,
    /// Where to go back to.
    pub next: Option<String>,
}

/// `POST {prefix}/me/confirm`: fields `password`, `code`, `next`, `csrf_token`; on
/// success a 303 to `next` (a local path only).
pub async fn confirm_submit(Submitted(ctx, form): Submitted<ConfirmForm>) -> Result<Response> {
    let next = safe_next(ctx.state.prefix(), form.next.as_deref());
    let state = &ctx.state;
    let audit = ctx.caller.context();
    match two_factor::reauthenticate_with_code(
        &state.db,
        &state.auth,
        &ctx.token,
        &form.password,
        &form.code,
        audit,
    )
    .await
    {
        Ok(()) => {
            ctx.flash_t("flash-confirmed", &[]).await;
            Ok(Redirect::to(&next).into_response())
        }
        Err(admin_core::Error::Invalid(errors)) => {
            render_confirm(&ctx, &next, Some(&messages(&errors)), StatusCode::OK)
        }
        Err(admin_core::Error::Refused(m)) => {
            render_confirm(&ctx, &next, Some(&m), StatusCode::TOO_MANY_REQUESTS)
        }
        Err(e) => Err(e.into()),
    }
}
