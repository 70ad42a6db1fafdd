//! The web error type: wraps [`admin_core::Error`] and maps each kind to a status
//! and a page with a plain sentence. Only server errors are logged.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};

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
                // `admin_core::error::is_encoding_error`), not the server's.
                C::Db(db) if admin_core::error::is_encoding_error(db) => {
                    (StatusCode::BAD_REQUEST, "Cannot do that")
                }
                C::Conflict { .. } => (StatusCode::CONFLICT, "Changed by someone else"),
                C::Refused(_) => (StatusCode::CONFLICT, "Cannot do that"),
                C::Db(_) | C::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong"),
            },
        };
        match &self {
            Error::Core(admin_core::Error::Db(db)) if !admin_core::error::is_encoding_error(db) => {
                tracing::error!(error = %db, "database error")
            }
            Error::Core(admin_core::Error::Internal(m)) => {
                tracing::error!(error = %m, "internal error")
            }
            _ => {}
        }
        let message = match &self {
            Error::Core(admin_core::Error::Invalid(errs)) if !errs.is_empty() => {
                errs.iter().map(|e| e.message.clone()).collect::<Vec<_>>().join(" ")
            }
            Error::Core(admin_core::Error::Db(db)) if admin_core::error::is_encoding_error(db) => {
                admin_core::error::UNSTORABLE_TEXT.to_owned()
            }
            other => other.to_string(),
        };
        let mut resp = (status, message.clone()).into_response();
        resp.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
        if matches!(self, Error::Core(admin_core::Error::ReauthRequired)) {
            resp.extensions_mut().insert(NeedsRecentSignIn);
        }
        resp.extensions_mut().insert(ErrorPage { title, message });
        resp
    }
}
