//! Staff sign-in: argon2id password hashes, database-backed sessions with idle and
//! absolute timeouts, CSRF tokens, sign-in throttling, and staff management. Nothing
//! lives in the web process, so several instances serve as one.
//!
//! [`authenticate`] is the one place that decides who a caller is, for a session
//! cookie, an API token or a command-line user alike.

mod credentials;
pub mod password;
mod preferences;
mod session;
mod staff;
mod throttle;
mod tokens;
pub mod totp;
pub mod two_factor;

// The concerns live in their own files; their items keep their old paths here.
pub use credentials::*;
pub use preferences::{Preferences, known_time_zone, preferences, set_preferences};
pub use session::*;
pub use staff::*;
pub(crate) use throttle::*;
pub use tokens::*;

use std::sync::Arc;

use chrono::Duration;
use sea_orm::DatabaseConnection;

use crate::access::permission::Roles;
pub use crate::access::{Staff, role_names};
use crate::kernel::error::{Error, Result};

/// How long sessions live and when they must prove themselves again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionPolicy {
    /// A session unused this long ends.
    pub idle_timeout: Duration,
    /// A session ends this long after sign-in, used or not.
    pub lifetime: Duration,
    /// Operations marked sensitive ask for the password again when the last proof
    /// is older than this.
    pub reauth_after: Duration,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        Self {
            idle_timeout: Duration::hours(2),
            lifetime: Duration::hours(12),
            reauth_after: Duration::minutes(15),
        }
    }
}

/// When repeated failed sign-ins are slowed and then locked out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThrottlePolicy {
    /// Failures for one user name within `window` before it is locked.
    pub max_failures_per_user: i32,
    /// Failures from one address within `window` before it is locked.
    pub max_failures_per_address: i32,
    /// The window failures are counted in.
    pub window: Duration,
    /// How long a lock lasts.
    pub lockout: Duration,
}

impl Default for ThrottlePolicy {
    fn default() -> Self {
        Self {
            max_failures_per_user: 5,
            max_failures_per_address: 20,
            window: Duration::minutes(15),
            lockout: Duration::minutes(15),
        }
    }
}

/// Everything sign-in needs to know: the roles, and the session and throttle policies.
#[derive(Clone, Debug, Default)]
pub struct AuthConfig {
    /// The site's roles.
    pub roles: Arc<Roles>,
    /// Session lifetimes.
    pub sessions: SessionPolicy,
    /// Sign-in throttling.
    pub throttle: ThrottlePolicy,
}

/// What a caller presents to say who they are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Credential<'a> {
    /// The token of a session cookie (the screens, and the JSON API from a browser).
    Session(&'a str),
    /// An API token (`oat_…`), sent as `Authorization: Bearer <token>`.
    Token(&'a str),
    /// A staff user named by someone who holds the database itself: the command
    /// line and set-up scripts.
    Local(&'a str),
}

/// How the caller proved who they are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Proof {
    /// A session whose user signed in or confirmed their password within
    /// [`SessionPolicy::reauth_after`].
    Recent,
    /// A session whose last proof of identity is older than that.
    Stale,
    /// An API token: no sign-in at all, so never recent.
    Token,
    /// The command line: whoever runs it holds the database, which is more than any
    /// sign-in proves.
    Local,
}

impl Proof {
    /// Whether this proof is good enough for an operation that asks for a recent
    /// sign-in (`Policy::recent_auth`, staff management, tokens, two-factor settings).
    #[must_use]
    pub fn is_recent(self) -> bool {
        matches!(self, Proof::Recent | Proof::Local)
    }
}

/// Who is calling, as [`authenticate`] found them.
#[derive(Clone, Debug)]
pub struct Identity {
    /// The staff user, with the permissions of their roles.
    pub staff: Staff,
    /// How they proved it.
    pub proof: Proof,
    /// For a session credential, the session as loaded (its CSRF token, its flash
    /// message, whether two-factor sign-in is enrolled).
    pub session: Option<CurrentSession>,
}

/// The answer of [`authenticate`]: an identity, or why there is none.
#[derive(Clone, Debug)]
pub enum Authentication {
    /// Every rule passed.
    Identified(Identity),
    /// Nobody: no such session or it ended (idle, past its lifetime), an unknown or
    /// revoked token, or an unknown or deactivated user.
    Unknown,
    /// The password was right but the second factor is still to come (sessions only).
    SecondFactorPending,
    /// A role of the user requires two-factor sign-in and they have not set it up:
    /// nothing but setting it up (and signing out) may proceed. The identity is
    /// given so that the enrolment pages can serve the user.
    EnrolmentRequired(Identity),
}

impl Authentication {
    /// The identity when every rule passed.
    ///
    /// # Errors
    /// `Unauthenticated` when nobody is identified (or the second factor is still
    /// to come); `Forbidden` with a sentence saying so when the user must first set
    /// up two-factor sign-in.
    pub fn identity(self) -> Result<Identity> {
        match self {
            Authentication::Identified(identity) => Ok(identity),
            Authentication::Unknown | Authentication::SecondFactorPending => Err(Error::Unauthenticated),
            Authentication::EnrolmentRequired(_) => Err(Error::Forbidden(ENROL_FIRST.into())),
        }
    }
}

/// What a user who must set up two-factor sign-in first is told.
pub const ENROL_FIRST: &str =
    "Your role requires two-factor sign-in. Set it up on the Two-factor sign-in page first.";

/// The one authenticator: decides who a credential belongs to, for the screens, the
/// JSON API (session or token), and the command line alike. Its rules:
///
/// - a session must be live (not idle too long, not past its lifetime) and past its
///   second factor; its proof is [`Proof::Recent`] or [`Proof::Stale`];
/// - a token must be known and unrevoked;
/// - the user must exist and be active;
/// - a user whose role requires two-factor sign-in and who has not set it up gets
///   [`Authentication::EnrolmentRequired`], whether by session or token (the
///   command line, run by whoever holds the database, is not asked).
///
/// Whether the request itself is acceptable (CSRF token, `Origin`) is the web
/// layer's to check; what the user may do is the permission check's.
///
/// ```no_run
/// # async fn run(db: sea_orm::DatabaseConnection, config: admin_core::auth::AuthConfig) -> admin_core::Result<()> {
/// use admin_core::auth::{Credential, authenticate};
///
/// let who = authenticate(&db, &config, Credential::Local("dana")).await?.identity()?;
/// println!("acting as {}", who.staff.username);
/// # Ok(()) }
/// ```
///
/// # Errors
/// `Db` when the database fails.
pub async fn authenticate(
    db: &DatabaseConnection,
    config: &AuthConfig,
    credential: Credential<'_>,
) -> Result<Authentication> {
    let (identity, enrolled) = match credential {
        Credential::Session(token) => {
            let Some(session) = load_session(db, config, token).await? else {
                return Ok(Authentication::Unknown);
            };
            if session.second_factor_pending {
                return Ok(Authentication::SecondFactorPending);
            }
            let proof =
                if session.recently_authenticated(&config.sessions) { Proof::Recent } else { Proof::Stale };
            let enrolled = session.two_factor_enrolled;
            (Identity { staff: session.staff.clone(), proof, session: Some(session) }, enrolled)
        }
        Credential::Token(token) => match token_user(db, token).await? {
            Some(user) => {
                let staff = Staff::from_model(&user, &config.roles);
                (Identity { staff, proof: Proof::Token, session: None }, user.totp_secret.is_some())
            }
            None => return Ok(Authentication::Unknown),
        },
        Credential::Local(username) => {
            return Ok(match local_user(db, &config.roles, username).await? {
                Some(staff) => {
                    Authentication::Identified(Identity { staff, proof: Proof::Local, session: None })
                }
                None => Authentication::Unknown,
            });
        }
    };
    if config.roles.two_factor_required(&identity.staff.roles) && !enrolled {
        return Ok(Authentication::EnrolmentRequired(identity));
    }
    Ok(Authentication::Identified(identity))
}

/// The staff user of a command-line run: [`authenticate`] with
/// [`Credential::Local`], with a sentence naming the user when there is none.
///
/// # Errors
/// `NotFound` when there is no active user of that name; `Db` when the database fails.
pub async fn local_identity(
    db: &DatabaseConnection,
    config: &AuthConfig,
    username: &str,
) -> Result<Identity> {
    match authenticate(db, config, Credential::Local(username)).await? {
        Authentication::Unknown => Err(no_such_user(username)),
        other => other.identity(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::password_hash::PasswordHash;

    #[test]
    fn password_hashes_verify_and_differ_by_salt() {
        let a = hash_password("correct horse battery").unwrap();
        let b = hash_password("correct horse battery").unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &a));
        assert!(!verify_password("wrong", &a));
        assert!(!verify_password("anything", "not a hash"));
    }

    #[test]
    fn the_dummy_hash_is_checked_like_a_real_one() {
        // A hash that did not parse would be refused at once, and the time taken
        // would tell unknown names from known ones.
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
    }

    #[test]
    fn constant_time_eq_compares_whole_strings() {
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "abcd"));
    }
}
