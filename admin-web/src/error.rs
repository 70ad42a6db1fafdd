//! The web error type: wraps [`admin_core::Error`] and maps each kind to a status
//! and a page with a plain sentence. Only server errors are logged.
//!
//! The page is rendered by a layer of the router, through the site's own templates
//! (`admin/{status}.html`, else `admin/error.html`, in the layout of
//! `admin/base.html` with the user's overrides), with the configured site title and,
//! when the request was signed in, the usual header. The layer learns the site and
//! the user from the extractors ([`crate::session::Ctx`], [`Site`]), which note
//! them on the request as they run. Every page names the request's id (see
//! [`crate::request_log`]), which the reader can quote when reporting the error.

use std::sync::{Arc, Mutex, OnceLock};

use axum::extract::{FromRef, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::{Value, context};

use crate::render::Templates;
use crate::request_log::RequestInfo;
use crate::session::Ctx;
use crate::state::{AdminState, Config};

/// A result with the web [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything a handler can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An error from the core.
    #[error(transparent)]
    Core(#[from] admin_core::Error),
    /// Nobody is signed in: pages go to the sign-in form, other clients get 401.
    #[error("Please sign in to continue.")]
    SignIn {
        /// Where to send a browser (the sign-in URL with `next`), or `None` for a 401.
        location: Option<String>,
    },
    /// A POST without a valid CSRF token.
    #[error("This form has expired or did not come from this site. Go back, reload the page and try again.")]
    Csrf,
    /// A request that changes something, carrying the session cookie, sent from a
    /// page of another site (its `Origin` or `Referer` is not the console's).
    #[error(
        "This form did not come from this site, so nothing was done. Go back to the console, reload the page and try again."
    )]
    Origin,
}

/// The catalog id of an error page's title.
fn title_id(title: &str) -> &'static str {
    match title {
        "Sign-in required" => "error-title-sign-in",
        "Form expired" => "error-title-csrf",
        "Not from this site" => "error-title-origin",
        "Not found" => "error-title-not-found",
        "Not allowed" => "error-title-forbidden",
        "Confirm your password" => "error-title-reauth",
        "Changed by someone else" => "error-title-conflict",
        "Database unavailable" => "error-title-unavailable",
        "Something went wrong" => "error-title-internal",
        _ => "error-title-cannot",
    }
}

impl Error {
    /// The error's sentence as a message screens translate: the catalogs' id for
    /// the admin's fixed sentences and translatable refusals, else `english` as it is.
    fn message_for_screens(&self, english: &str) -> admin_core::kernel::message::Message {
        use admin_core::Error as C;
        use admin_core::kernel::message::Message;
        let id = match self {
            Error::SignIn { .. } | Error::Core(C::Unauthenticated) => "error-unauthenticated",
            Error::Csrf => "error-csrf",
            Error::Origin => "error-origin",
            Error::Core(C::Forbidden(d)) => match d.translatable() {
                Some(m) => return m.clone(),
                None => return crate::i18n::sentence(english),
            },
            Error::Core(C::ReauthRequired) => "error-reauth",
            Error::Core(C::Conflict { .. }) => "error-conflict",
            Error::Core(C::Internal(_)) => "error-internal",
            _ => return crate::i18n::sentence(english),
        };
        Message::new(id, english)
    }
}

/// Marks a refusal for want of a recent sign-in: the router sends it to `{prefix}/me/confirm`.
#[derive(Clone, Copy, Debug)]
pub struct NeedsRecentSignIn;

/// What the error-page layer needs to render a full page: put on the response.
#[derive(Clone, Debug)]
pub struct ErrorPage {
    /// The heading ("Not found").
    pub title: &'static str,
    /// The sentence for the reader.
    pub message: String,
    /// The title and the sentence as message ids of the catalogs, shown in the
    /// reader's language (the plain sentence above stays English).
    pub translated: Option<(&'static str, admin_core::kernel::message::Message)>,
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        use admin_core::Error as C;
        let (status, title) = match &self {
            Error::SignIn { location: Some(loc) } => return Redirect::to(loc).into_response(),
            Error::SignIn { location: None } => (StatusCode::UNAUTHORIZED, "Sign-in required"),
            Error::Csrf => (StatusCode::FORBIDDEN, "Form expired"),
            Error::Origin => (StatusCode::FORBIDDEN, "Not from this site"),
            Error::Core(e) => match e {
                C::NotFound(_) => (StatusCode::NOT_FOUND, "Not found"),
                C::Forbidden(_) => (StatusCode::FORBIDDEN, "Not allowed"),
                C::Unauthenticated => (StatusCode::UNAUTHORIZED, "Sign-in required"),
                C::ReauthRequired => (StatusCode::FORBIDDEN, "Confirm your password"),
                C::Invalid(_) | C::BadRequest(_) => (StatusCode::BAD_REQUEST, "Cannot do that"),
                // Text the database cannot store is the request's fault (see
                // `admin_core::kernel::error::is_encoding_error`), not the server's.
                C::Db(db) if admin_core::kernel::error::is_encoding_error(db) => {
                    (StatusCode::BAD_REQUEST, "Cannot do that")
                }
                C::Conflict { .. } => (StatusCode::CONFLICT, "Changed by someone else"),
                C::Refused(_) => (StatusCode::CONFLICT, "Cannot do that"),
                // A database that is away or busy for a moment: 503, never 500.
                C::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "Database unavailable"),
                C::Db(db) if admin_core::kernel::error::unavailability(db).is_some() => {
                    (StatusCode::SERVICE_UNAVAILABLE, "Database unavailable")
                }
                C::Db(_) | C::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong"),
            },
        };
        let unavailable = match &self {
            Error::Core(e) => e.unavailable(),
            _ => None,
        };
        match &self {
            Error::Core(admin_core::Error::Db(db)) if unavailable.is_some() => {
                tracing::warn!(error = %db, "the database is unavailable")
            }
            Error::Core(admin_core::Error::Db(db)) if !admin_core::kernel::error::is_encoding_error(db) => {
                tracing::error!(error = %db, "database error")
            }
            Error::Core(admin_core::Error::Internal(m)) => {
                tracing::error!(error = %m, "internal error")
            }
            // The sentence names who can; the permission is for developers, in the log.
            Error::Core(admin_core::Error::Forbidden(denial)) => {
                if let Some(p) = denial.permission() {
                    tracing::info!(permission = %p, "refused: permission missing");
                }
            }
            _ => {}
        }
        let message = match &self {
            Error::Core(admin_core::Error::Invalid(errs)) if !errs.is_empty() => {
                errs.iter().map(|e| e.message.clone()).collect::<Vec<_>>().join(" ")
            }
            Error::Core(admin_core::Error::Db(db)) if admin_core::kernel::error::is_encoding_error(db) => {
                admin_core::kernel::error::UNSTORABLE_TEXT.to_owned()
            }
            _ if unavailable.is_some() => unavailable.map(|u| u.sentence().to_owned()).unwrap_or_default(),
            other => other.to_string(),
        };
        let mut resp = (status, message.clone()).into_response();
        resp.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
        if let Some(u) = unavailable {
            resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(u.retry_after()));
        }
        if matches!(self, Error::Core(admin_core::Error::ReauthRequired)) {
            resp.extensions_mut().insert(NeedsRecentSignIn);
        }
        let translated = Some((title_id(title), self.message_for_screens(&message)));
        resp.extensions_mut().insert(ErrorPage { title, message, translated });
        resp
    }
}

/// What the error page of a request knows about it, noted by the extractors as
/// they learn it. The error-page layer puts an empty one on every request.
#[derive(Clone, Default)]
struct PageScope(Arc<Mutex<Scope>>);

#[derive(Default)]
enum Scope {
    /// No handler of the admin ran (the request was refused before one did).
    #[default]
    Unknown,
    /// The site is known, nobody is signed in (yet).
    Site(AdminState),
    /// A signed-in request.
    SignedIn(Box<Ctx>),
}

impl PageScope {
    fn update(parts: &Parts, f: impl FnOnce(&mut Scope)) {
        if let Some(scope) = parts.extensions.get::<PageScope>() {
            f(&mut scope.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
        }
    }

    fn take(&self) -> Scope {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner))
    }
}

/// Notes the site a request is for, so its error page shows the site's title and
/// templates. Called by [`Ctx`] as it starts, and by [`Site`].
pub(crate) fn note_site(parts: &Parts, state: &AdminState) {
    // The site's trusted proxies settle the request's id and client address.
    let _ = crate::session::request_meta(parts, &state.config);
    PageScope::update(parts, |scope| {
        if matches!(scope, Scope::Unknown) {
            *scope = Scope::Site(state.clone());
        }
    });
}

/// Notes the signed-in user of a request, so its error page has the usual header.
pub(crate) fn note_signed_in(parts: &Parts, ctx: &Ctx) {
    PageScope::update(parts, |scope| *scope = Scope::SignedIn(Box::new(ctx.clone())));
}

/// An extractor for handlers that serve pages without a session (sign-in): it
/// only notes the site, so their error pages show its title and templates.
/// Handlers that take a [`Ctx`] need not take it.
#[derive(Clone, Copy, Debug)]
pub struct Site;

impl<S> FromRequestParts<S> for Site
where
    AdminState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> std::result::Result<Self, Self::Rejection> {
        note_site(parts, &AdminState::from_ref(state));
        Ok(Site)
    }
}

/// The answer for an address the admin does not have: 404, with the header of
/// whoever is signed in (taking the [`Ctx`] notes them; its refusal is not this
/// page's business).
pub(crate) async fn no_such_page(signed_in: Result<Ctx>) -> Error {
    drop(signed_in);
    admin_core::Error::NotFound(crate::i18n::NO_SUCH_PAGE.to_owned()).into()
}

/// The layer's function: renders each [`ErrorPage`] (except 401s, which go to
/// clients that are not browsers) as a full page. When the page cannot be
/// rendered (a broken override), the plain sentence stays and the reason is logged.
pub(crate) async fn render_error_pages(prefix: Arc<str>, mut req: Request, next: Next) -> Response {
    let scope = PageScope::default();
    req.extensions_mut().insert(scope.clone());
    let accept_language = crate::session::accept_language(req.headers()).map(str::to_owned);
    let info = req.extensions().get::<RequestInfo>().cloned();
    let mut resp = next.run(req).await;
    let Some(page) = resp.extensions_mut().remove::<ErrorPage>() else { return resp };
    let status = resp.status();
    if status == StatusCode::UNAUTHORIZED {
        return resp;
    }
    let names = [format!("admin/{}.html", status.as_u16()), "admin/error.html".to_owned()];
    let scope = scope.take();
    // The id to quote: settled by now when a handler of the site ran, else made
    // without trusting any proxy (the site, and so its proxies, is unknown).
    let request_id = info.map(|i| {
        let trusted: &[ipnet::IpNet] = match &scope {
            Scope::SignedIn(ctx) => ctx.state.config.trusted_proxies.as_slice(),
            Scope::Site(state) => state.config.trusted_proxies.as_slice(),
            Scope::Unknown => &[],
        };
        i.meta(trusted).request_id.clone()
    });
    // The title and sentence in the reader's language: their own, else the browser's.
    let words = |templates: &Templates, lang: &str| match &page.translated {
        Some((title, message)) => {
            let catalogs = templates.catalogs();
            (catalogs.text(lang, title, &[]), catalogs.message(lang, message))
        }
        None => (page.title.to_owned(), page.message.clone()),
    };
    let page_ctx = |base: Value, (title, message): (String, String)| {
        context! {
            base => base, title => title, message => message, status => status.as_u16(),
            request_id => &request_id,
        }
    };
    let rendered = match scope {
        Scope::SignedIn(ctx) => {
            let (title, message) = words(&ctx.state.templates, &ctx.locale.lang);
            ctx.state.templates.render(&names, page_ctx(ctx.base(&title), (title, message)))
        }
        Scope::Site(state) => {
            let lang = state.templates.catalogs().negotiate(accept_language.as_deref());
            let (title, message) = words(&state.templates, &lang);
            let base = signed_out_base(state.prefix(), &state.config, &title, &lang);
            state.templates.render(&names, page_ctx(base, (title, message)))
        }
        Scope::Unknown => {
            // Refused before any handler ran, so the site is unknown: the built-in
            // templates and the default title.
            static BUILT_IN: OnceLock<(Templates, Config)> = OnceLock::new();
            let (templates, config) = BUILT_IN.get_or_init(|| (Templates::new(), Config::default()));
            let lang = templates.catalogs().negotiate(accept_language.as_deref());
            let (title, message) = words(templates, &lang);
            let base = signed_out_base(&prefix, config, &title, &lang);
            templates.render(&names, page_ctx(base, (title, message)))
        }
    };
    match rendered {
        Ok(html) => {
            let retry_after = resp.headers().get(header::RETRY_AFTER).cloned();
            resp = (status, html).into_response();
            if let Some(v) = retry_after {
                resp.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        Err(e) => tracing::error!(error = %e, "the error page could not be rendered"),
    }
    resp
}

/// The layout's values for a page without a signed-in user.
pub(crate) fn signed_out_base(prefix: &str, config: &Config, title: &str, lang: &str) -> Value {
    context! {
        prefix => prefix, site_title => &config.site_title, title => title,
        user => (), csrf_token => (), flash => (), nav_models => Vec::<Value>::new(),
        lang => lang, tz => "UTC",
    }
}
