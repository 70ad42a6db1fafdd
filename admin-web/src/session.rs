//! Session cookies and the signed-in user extractor.

use admin_core::Staff;
use admin_core::auth::{self, Authentication, Credential, CurrentSession, Identity, Proof};
use admin_core::service::{Caller, Service};
use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use minijinja::{Value, context};

use crate::error::{Error, Result};
use crate::i18n::{Arg, Locale};
use crate::request_log::RequestInfo;
use crate::state::{AdminState, Config};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "opsadmin_session";

/// Reads a cookie from request headers.
#[must_use]
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Lax, scoped to the admin.
#[must_use]
pub fn set_cookie(state: &AdminState, name: &str, value: &str, max_age: Option<i64>) -> String {
    let mut c = format!("{name}={value}; Path={}/; HttpOnly; SameSite=Lax", state.prefix());
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={age}"));
    }
    if state.config.secure_cookies {
        c.push_str("; Secure");
    }
    c
}

/// The request's `Accept-Language` header, if readable.
#[must_use]
pub fn accept_language(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok())
}

/// Whether the client is a browser asking for a page (else it gets 401, not a redirect).
#[must_use]
pub fn wants_html(headers: &HeaderMap) -> bool {
    headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("text/html"))
}

/// The context of a signed-in request: the state, the user and their session.
#[derive(Clone)]
pub struct Ctx {
    /// The admin's state.
    pub state: AdminState,
    /// The signed-in staff user.
    pub staff: Staff,
    /// The session's CSRF token, for forms.
    pub csrf: String,
    /// The session cookie's token.
    pub token: String,
    /// A message left by the previous request.
    pub flash: Option<String>,
    /// This request's id, recorded in audit entries.
    pub request_id: String,
    /// The client's address, when the server knows it.
    pub client_addr: Option<String>,
    /// The session as loaded.
    pub session: CurrentSession,
    /// Whether the user proved who they are recently.
    pub proof: Proof,
    /// The caller every call through the door ([`admin_core::service::Service`]) carries.
    pub caller: Caller,
    /// The language and time zone of this user's pages: their own choice, else the
    /// browser's `Accept-Language` and UTC.
    pub locale: Locale,
}

/// The request id and client address of a request, for audit entries and the log
/// line: settled once per request by the router's request layer
/// ([`crate::request_log`]) with `config`'s trusted proxies. `X-Request-Id` and
/// `X-Forwarded-For` are believed only from a trusted proxy. Without the layer (a
/// handler mounted on a router of its own), they are worked out the same way for
/// this call alone.
#[must_use]
pub fn request_meta(parts: &Parts, config: &Config) -> (String, Option<String>) {
    let meta = match parts.extensions.get::<RequestInfo>() {
        Some(info) => info.meta(&config.trusted_proxies).clone(),
        None => RequestInfo::new(&parts.headers, &parts.extensions).meta(&config.trusted_proxies).clone(),
    };
    (meta.request_id, meta.client_addr)
}

/// Notes the signed-in staff user of a request for its log line.
pub fn note_staff(parts: &Parts, staff_id: i64) {
    if let Some(info) = parts.extensions.get::<RequestInfo>() {
        info.record_staff(staff_id);
    }
}

/// With a read replica: whether this browser's staff member wrote within
/// [`crate::request_log::READ_YOUR_WRITES`] (then their reads come from the
/// primary); a request that may write marks its answer so.
fn just_wrote(state: &AdminState, parts: &Parts) -> bool {
    if state.read_db.is_none() {
        return false;
    }
    if !parts.method.is_safe()
        && let Some(info) = parts.extensions.get::<RequestInfo>()
    {
        info.record_write(state.prefix(), state.config.secure_cookies);
    }
    let window = crate::request_log::READ_YOUR_WRITES.num_seconds();
    cookie(&parts.headers, crate::request_log::WROTE_COOKIE)
        .and_then(|v| v.parse::<i64>().ok())
        .is_some_and(|at| (0..=window).contains(&(chrono::Utc::now().timestamp() - at)))
}

impl<S> FromRequestParts<S> for Ctx
where
    AdminState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Error;

    /// Signs the request in through the door's authenticator
    /// ([`Service::authenticate`]) with the session cookie,
    /// after checking that a request that changes something came from the console's
    /// own pages ([`crate::origin::check`]).
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self> {
        let state = AdminState::from_ref(state);
        crate::error::note_site(parts, &state);
        let sign_in = || {
            let location = wants_html(&parts.headers).then(|| {
                let next = parts.uri.path_and_query().map_or("/", |p| p.as_str());
                let mut s = form_urlencoded::Serializer::new(String::new());
                s.append_pair("next", next);
                format!("{}/login?{}", state.prefix(), s.finish())
            });
            Error::SignIn { location }
        };
        let Some(token) = cookie(&parts.headers, SESSION_COOKIE).map(str::to_owned) else {
            return Err(sign_in());
        };
        if !parts.method.is_safe() {
            crate::origin::check(&state.config, &parts.headers, &parts.uri)?;
        }
        let identity = match state.service().authenticate(Credential::Session(&token)).await? {
            Authentication::Identified(identity) => identity,
            Authentication::EnrolmentRequired(identity)
                if open_before_enrolment(&state, parts.uri.path()) =>
            {
                identity
            }
            Authentication::EnrolmentRequired(_) => return Err(enrolment_required(&state, &parts.headers)),
            Authentication::SecondFactorPending => {
                let location =
                    wants_html(&parts.headers).then(|| format!("{}/login/second-factor", state.prefix()));
                return Err(Error::SignIn { location });
            }
            Authentication::Unknown => return Err(sign_in()),
        };
        let (request_id, client_addr) = request_meta(parts, &state.config);
        note_staff(parts, identity.staff.id);
        let caller = Caller::from_identity(&identity)
            .with_request(Some(request_id.clone()), client_addr.clone())
            .with_own_writes(just_wrote(&state, parts));
        let Identity { staff, proof, session } = identity;
        let session =
            session.ok_or_else(|| admin_core::Error::Internal("a session without its row".into()))?;
        let CurrentSession { csrf_token, flash, language, time_zone, .. } = session.clone();
        let lang = match language {
            Some(l) if state.templates.catalogs().languages().contains(&l.as_str()) => l,
            _ => state.templates.catalogs().negotiate(accept_language(&parts.headers)),
        };
        let locale = Locale::new(lang, time_zone.as_deref());
        let ctx = Ctx {
            state,
            staff,
            csrf: csrf_token,
            token,
            flash,
            request_id,
            client_addr,
            session,
            proof,
            caller,
            locale,
        };
        crate::error::note_signed_in(parts, &ctx);
        Ok(ctx)
    }
}

/// The pages a user whose role requires two-factor sign-in may open before enrolling:
/// the enrolment page, the password confirmation it may ask for, and sign-out.
fn open_before_enrolment(state: &AdminState, path: &str) -> bool {
    let rest = path.strip_prefix(state.prefix()).unwrap_or("");
    matches!(rest, "/me/two-factor" | "/me/confirm" | "/logout")
}

/// Sends a user who must enrol in two-factor sign-in to the enrolment page (a 403
/// for clients that do not ask for HTML).
fn enrolment_required(state: &AdminState, headers: &HeaderMap) -> Error {
    if wants_html(headers) {
        Error::SignIn { location: Some(format!("{}/me/two-factor", state.prefix())) }
    } else {
        Error::Core(admin_core::Error::Forbidden(auth::ENROL_FIRST.into()))
    }
}

/// `{prefix}/me/confirm?next=<uri>`: where a user confirms their password (and a
/// code when enrolled) before going back to `uri`.
#[must_use]
pub fn confirm_location(prefix: &str, uri: &axum::http::Uri) -> String {
    let next = uri.path_and_query().map_or("/", |p| p.as_str());
    let mut q = form_urlencoded::Serializer::new(String::new());
    q.append_pair("next", next);
    format!("{prefix}/me/confirm?{}", q.finish())
}

/// For the riskiest operations: passes when the user proved who they are recently
/// (see [`admin_core::auth::SessionPolicy::reauth_after`]), else sends them to
/// `{prefix}/me/confirm` (password, and a code when enrolled), which returns to `uri`
/// afterwards. Calls through the door need none of this: its
/// [`admin_core::Error::ReauthRequired`] becomes the same redirect.
///
/// ```
/// use admin_web::session::{Ctx, require_recent_auth};
/// use axum::extract::OriginalUri;
///
/// async fn purge(ctx: Ctx, OriginalUri(uri): OriginalUri) -> admin_web::Result<&'static str> {
///     require_recent_auth(&ctx, &uri)?;
///     Ok("purged")
/// }
/// ```
///
/// # Errors
/// A redirect to the confirmation page when the last proof is too old.
pub fn require_recent_auth(ctx: &Ctx, uri: &axum::http::Uri) -> Result<()> {
    if ctx.proof.is_recent() {
        return Ok(());
    }
    Err(confirm_first(ctx, uri.path_and_query().map_or("/", |p| p.as_str())))
}

/// The web answer to an error from the door: `ReauthRequired` (the door's recent
/// sign-in rule) becomes the redirect to `{prefix}/me/confirm`, which returns to
/// `next` (a path of the console) afterwards; any other error stays as it is.
#[must_use]
pub fn reauth_redirect(ctx: &Ctx, next: &str, err: admin_core::Error) -> Error {
    match err {
        admin_core::Error::ReauthRequired => confirm_first(ctx, next),
        other => Error::Core(other),
    }
}

fn confirm_first(ctx: &Ctx, next: &str) -> Error {
    let mut q = form_urlencoded::Serializer::new(String::new());
    q.append_pair("next", next);
    Error::SignIn { location: Some(format!("{}/me/confirm?{}", ctx.state.prefix(), q.finish())) }
}

impl Ctx {
    /// Checks a submitted CSRF token against the session's.
    ///
    /// # Errors
    /// `Csrf` when it is missing or wrong.
    pub fn check_csrf(&self, submitted: Option<&str>) -> Result<()> {
        match submitted {
            Some(t) if auth::constant_time_eq(t, &self.csrf) => Ok(()),
            _ => Err(Error::Csrf),
        }
    }

    /// The audit context of this request: who, from where, and why.
    #[must_use]
    pub fn audit(&self, reason: Option<&str>) -> admin_core::audit::Context {
        admin_core::audit::Context {
            actor: Some(self.staff.clone()),
            actor_name: None,
            reason: None,
            request_id: Some(self.request_id.clone()),
            client_addr: self.client_addr.clone(),
            batch: None,
        }
        .with_reason(reason.map(str::to_owned))
    }

    /// The door, for this request's calls (with [`Ctx::caller`]).
    #[must_use]
    pub fn service(&self) -> Service {
        self.state.service()
    }

    /// The caller with the reason the person gave, for a write that records one.
    #[must_use]
    pub fn caller_with_reason(&self, reason: Option<&str>) -> Caller {
        self.caller.clone().with_reason(reason.map(str::to_owned))
    }

    /// Message `id` of the catalogs in this user's language, with `args`.
    #[must_use]
    pub fn t(&self, id: &str, args: &[(&str, Arg)]) -> String {
        self.state.templates.catalogs().text(&self.locale.lang, id, args)
    }

    /// The catalogs and this user's language and zone, for text made in Rust.
    #[must_use]
    pub fn reader(&self) -> crate::i18n::Reader<'_> {
        crate::i18n::Reader { catalogs: self.state.templates.catalogs(), locale: &self.locale }
    }

    /// A whole number as this user reads it (`1,234`, `1.234`).
    #[must_use]
    pub fn number(&self, n: impl TryInto<i64>) -> String {
        crate::i18n::format::integer(&self.locale.lang, n.try_into().unwrap_or(i64::MAX))
    }

    /// A stored UTC time in this user's zone and language (`seconds`: with them).
    #[must_use]
    pub fn datetime(&self, utc: chrono::NaiveDateTime, seconds: bool) -> String {
        crate::i18n::format::datetime(self.state.templates.catalogs(), &self.locale, utc, seconds)
    }

    /// A message from the layers below in this user's language.
    #[must_use]
    pub fn message(&self, message: &admin_core::kernel::message::Message) -> String {
        self.state.templates.catalogs().message(&self.locale.lang, message)
    }

    /// Leaves message `id` (with `args`), in this user's language, for the next page.
    pub async fn flash_t(&self, id: &str, args: &[(&str, Arg)]) {
        self.flash(&self.t(id, args)).await;
    }

    /// Leaves a message for the next page.
    pub async fn flash(&self, message: &str) {
        if let Err(e) = auth::set_flash(&self.state.db, &self.token, message).await {
            tracing::warn!(error = %e, "could not store a flash message");
        }
    }

    /// The values every page's layout needs.
    #[must_use]
    pub fn base(&self, title: &str) -> Value {
        let models: Vec<Value> = self
            .service()
            .models(&self.caller)
            .into_iter()
            .map(|meta| context! { slug => meta.slug, label_plural => meta.label_plural })
            .collect();
        context! {
            prefix => self.state.prefix(),
            site_title => &self.state.config.site_title,
            title => title,
            user => &self.staff.username,
            csrf_token => &self.csrf,
            flash => &self.flash,
            nav_models => models,
            may_staff => self.staff.may("staff.view"),
            may_audit => self.staff.may("audit.view"),
            may_approvals => admin_core::approval::may_see_queue(&self.staff, &self.state.registry),
            may_effects => self.staff.may("effects.view"),
            nav_pages => crate::handlers::pages::nav(self),
            lang => &self.locale.lang,
            tz => self.locale.tz_name(),
        }
    }

    /// Whether the user may do `op` (`view`, `add`, `change`, ...) on the model `slug`.
    #[must_use]
    pub fn may(&self, slug: &str, op: &str) -> bool {
        self.service().may(&self.caller, slug, op)
    }
}
