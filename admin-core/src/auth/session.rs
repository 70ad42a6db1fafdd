//! Sessions in the database: sign-in, loading a session from its cookie token with
//! idle and absolute timeouts, flash messages, recent sign-in, sign-out, and the
//! sweep of ended sessions and stale throttle counters.

use chrono::{Duration, NaiveDateTime};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    QueryFilter, QuerySelect,
};

use super::credentials::*;
use super::throttle::*;
use crate::access::Staff;
use crate::audit::{self, Context, Event};
use crate::auth::{AuthConfig, SessionPolicy};
use crate::db::entities::{login_throttle, session, staff_user};
use crate::db::txn::begin_write;
use crate::kernel::clock::now;
use crate::kernel::error::Result;

/// A new session: the cookie token (secret, never stored) and the CSRF token.
#[derive(Clone, Debug)]
pub struct NewSession {
    /// Goes into the session cookie.
    pub token: String,
    /// Goes into every form.
    pub csrf_token: String,
    /// The signed-in user.
    pub staff: Staff,
    /// The second factor is still to be given before the session is usable.
    pub second_factor_pending: bool,
}

/// The outcome of a sign-in attempt.
#[derive(Clone, Debug)]
pub enum SignIn {
    /// Signed in (or, with `second_factor_pending`, half-way).
    Success(NewSession),
    /// Wrong name or password (the same for unknown, inactive or wrong). The caller
    /// should wait `delay` before answering, to slow guessing.
    Failed {
        /// How long to wait before answering.
        delay: std::time::Duration,
    },
    /// Too many failures for this name or address: refused without checking.
    Locked {
        /// Minutes until the lock ends (rounded up).
        minutes: i64,
    },
}

/// Checks a username and password and, when they match an active user, starts a
/// session. The answer is the same whether the user is unknown, inactive or the
/// password is wrong, and takes as long. Repeated failures for one name or from one
/// address lock sign-in for a while; failures and locks are audited.
///
/// The password is verified on the blocking pool before any write transaction
/// opens; the transaction that starts the session then checks that the user is
/// still active and their password unchanged.
///
/// # Errors
/// `Db` when the database fails.
pub async fn sign_in(
    db: &DatabaseConnection,
    config: &AuthConfig,
    username: &str,
    password: &str,
    ctx: &Context,
) -> Result<SignIn> {
    let answer = check_sign_in(db, config, username, password, ctx).await;
    if let Ok(a) = &answer {
        crate::kernel::metrics::sign_in(match a {
            SignIn::Success(_) => "ok",
            SignIn::Failed { .. } => "refused",
            SignIn::Locked { .. } => "throttled",
        });
    }
    answer
}

/// [`sign_in`], uncounted.
async fn check_sign_in(
    db: &DatabaseConnection,
    config: &AuthConfig,
    username: &str,
    password: &str,
    ctx: &Context,
) -> Result<SignIn> {
    // No staff name has control characters (see `NewUser::check`): one that does is
    // kept as a visibly wrong name, which matches nobody and is safe to store. A name
    // longer than any staff name is nobody's either: it is not cut to a name that
    // might be someone's, and what is kept of it (for the throttle and the audit
    // entry) is bounded and marked as cut.
    let trimmed = username.trim();
    let too_long = trimmed.chars().count() > crate::kernel::text::USERNAME;
    let mut username: String = trimmed
        .chars()
        .take(crate::kernel::text::USERNAME)
        .map(|c| if c.is_control() { char::REPLACEMENT_CHARACTER } else { c })
        .collect();
    if too_long {
        username.push('\u{2026}');
    }
    let keys = throttle_keys(&username, ctx.client_addr.as_deref());
    let mut actx = ctx.clone();
    actx.actor = None;
    actx.actor_name = Some(username.clone());
    let reservation = match reserve_attempt(db, &keys, &config.throttle).await? {
        Attempt::Go(r) => r,
        Attempt::Locked { minutes, just_locked } => {
            if just_locked {
                let txn = begin_write(db).await?;
                audit::record(&txn, &actx, bare_event("login_locked")).await?;
                txn.commit().await?;
            }
            return Ok(SignIn::Locked { minutes });
        }
    };
    let user = if too_long {
        None
    } else {
        staff_user::Entity::find().filter(staff_user::Column::Username.eq(&username)).one(db).await?
    };
    let verified = match &user {
        // A password longer than any that can be set is wrong, and not worth a hash.
        _ if password.chars().count() > crate::kernel::text::PASSWORD => false,
        Some(u) => crate::auth::password::verify(password, &u.password_hash).await? && u.is_active,
        None => {
            // Spend the same time as a real check so timing does not reveal names.
            let _ = crate::auth::password::verify(password, DUMMY_HASH).await?;
            false
        }
    };
    if let (Some(user), true) = (&user, verified) {
        let txn = begin_write(db).await?;
        // The user may have been deactivated, or their password changed, while the
        // hash was checked: then this is a failed sign-in like any other.
        let current = staff_user::Entity::find_by_id(user.id)
            .lock_exclusive()
            .one(&txn)
            .await?
            .filter(|u| u.is_active && u.password_hash == user.password_hash);
        if let Some(user) = current {
            let session = start_session(&txn, config, user, &keys, ctx).await?;
            txn.commit().await?;
            return Ok(SignIn::Success(session));
        }
        txn.rollback().await?;
    }
    let txn = begin_write(db).await?;
    let (failures, locked) = lock_reached(&txn, &keys, &reservation, &config.throttle).await?;
    audit::record(&txn, &actx, bare_event("login_failed")).await?;
    if locked {
        audit::record(&txn, &actx, bare_event("login_locked")).await?;
    }
    txn.commit().await?;
    // Slow down guessing: 250 ms more per recent failure, at most 2 s.
    let delay = std::time::Duration::from_millis(u64::try_from(failures.clamp(0, 8)).unwrap_or(0) * 250);
    Ok(SignIn::Failed { delay })
}

/// The writes of a successful sign-in, in its transaction: the session, the last
/// sign-in time (unless a second factor is still to come), the user's failures
/// cleared, dead sessions swept, and the audit entry.
async fn start_session<C: ConnectionTrait>(
    txn: &C,
    config: &AuthConfig,
    user: staff_user::Model,
    keys: &[(String, bool)],
    ctx: &Context,
) -> Result<NewSession> {
    let t = now();
    let staff = Staff::from_model(&user, &config.roles);
    let pending = user.totp_secret.is_some();
    let (token, csrf_token) = insert_session(txn, user.id, t, &config.sessions, pending).await?;
    if !pending {
        let mut am: staff_user::ActiveModel = user.into();
        am.last_login_at = Set(Some(t));
        am.update(txn).await?;
    }
    release_attempt(txn, keys).await?;
    sweep(txn, config).await?;
    let mut actx = ctx.clone();
    actx.actor = Some(staff.clone());
    audit::record(txn, &actx, bare_event(if pending { "login_password" } else { "login" })).await?;
    Ok(NewSession { token, csrf_token, staff, second_factor_pending: pending })
}

/// What [`sweep`] removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Swept {
    /// Sessions past their lifetime or idle too long.
    pub sessions: u64,
    /// Sign-in throttle rows whose window and lockout are over.
    pub throttle_rows: u64,
}

/// Deletes what can no longer be used: sessions past their lifetime or idle
/// timeout (which [`load_session`] would refuse anyway), and throttle rows whose
/// window of failures and lockout are both over (which count for nothing).
///
/// Every successful sign-in runs it in its transaction, so the tables stay about
/// as big as the sessions in use; call it from a scheduled job too if sign-ins are
/// rare.
///
/// # Errors
/// `Db` when the database fails.
pub async fn sweep<C: ConnectionTrait>(conn: &C, config: &AuthConfig) -> Result<Swept> {
    let t = now();
    let sessions = session::Entity::delete_many()
        .filter(
            sea_orm::Condition::any()
                .add(session::Column::ExpiresAt.lte(t))
                .add(session::Column::LastSeenAt.lt(t - config.sessions.idle_timeout)),
        )
        .exec(conn)
        .await?
        .rows_affected;
    let throttle_rows = login_throttle::Entity::delete_many()
        .filter(login_throttle::Column::WindowStart.lt(t - config.throttle.window))
        .filter(
            sea_orm::Condition::any()
                .add(login_throttle::Column::LockedUntil.is_null())
                .add(login_throttle::Column::LockedUntil.lt(t)),
        )
        .exec(conn)
        .await?
        .rows_affected;
    Ok(Swept { sessions, throttle_rows })
}

async fn insert_session<C: ConnectionTrait>(
    conn: &C,
    user_id: i64,
    t: NaiveDateTime,
    policy: &SessionPolicy,
    second_factor_pending: bool,
) -> Result<(String, String)> {
    let token = random_hex(32)?;
    let csrf_token = random_hex(32)?;
    session::ActiveModel {
        id: Set(token_id(&token)),
        user_id: Set(user_id),
        csrf_token: Set(csrf_token.clone()),
        created_at: Set(t),
        last_seen_at: Set(t),
        expires_at: Set(t + policy.lifetime),
        authenticated_at: Set(t),
        second_factor_pending: Set(second_factor_pending),
        flash: Set(None),
    }
    .insert(conn)
    .await?;
    Ok((token, csrf_token))
}

fn bare_event(kind: &str) -> Event<'_> {
    Event { kind, model: None, object_id: None, changes: serde_json::json!({}) }
}

/// A session found from its cookie token.
#[derive(Clone, Debug)]
pub struct CurrentSession {
    /// The signed-in user.
    pub staff: Staff,
    /// The session's CSRF token.
    pub csrf_token: String,
    /// A message left for this page by the previous request, now consumed.
    pub flash: Option<String>,
    /// When the user last proved who they are.
    pub authenticated_at: NaiveDateTime,
    /// The second factor is still to be given.
    pub second_factor_pending: bool,
    /// Whether the user has two-factor sign-in enrolled.
    pub two_factor_enrolled: bool,
    /// Whether a role of the user requires two-factor sign-in.
    pub two_factor_required: bool,
    /// The language the user chose for the screens, if any.
    pub language: Option<String>,
    /// The time zone the user chose for the screens, if any.
    pub time_zone: Option<String>,
}

impl CurrentSession {
    /// Whether the last proof of identity is recent enough for a sensitive operation.
    #[must_use]
    pub fn recently_authenticated(&self, policy: &SessionPolicy) -> bool {
        now() - self.authenticated_at < policy.reauth_after
    }
}

/// Finds the live session for a cookie token: not past its lifetime, not idle too
/// long, its user still active. Ends sessions that fail any of these.
///
/// # Errors
/// `Db` when the database fails.
pub async fn load_session(
    db: &DatabaseConnection,
    config: &AuthConfig,
    token: &str,
) -> Result<Option<CurrentSession>> {
    if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(None);
    }
    // The session and its user in one query: every signed-in request runs it.
    let to_user = session::Entity::belongs_to(staff_user::Entity)
        .from(session::Column::UserId)
        .to(staff_user::Column::Id)
        .into();
    let found = sea_orm::QuerySelect::join(
        session::Entity::find_by_id(token_id(token)),
        sea_orm::JoinType::LeftJoin,
        to_user,
    )
    .select_also(staff_user::Entity)
    // `all`, not `one`: a key finds one row at most, and without `LIMIT ?` SQLite
    // keeps the prepared statement instead of preparing it again every time.
    .all(db)
    .await?
    .into_iter()
    .next();
    let Some((s, user)) = found else { return Ok(None) };
    let t = now();
    if s.expires_at <= t || t - s.last_seen_at > config.sessions.idle_timeout {
        session::Entity::delete_by_id(s.id).exec(db).await?;
        return Ok(None);
    }
    let Some(u) = user.filter(|u| u.is_active) else {
        session::Entity::delete_by_id(s.id).exec(db).await?;
        return Ok(None);
    };
    let flash = s.flash.clone();
    // Record activity at most once a minute, and take the flash message once.
    if flash.is_some() || t - s.last_seen_at > Duration::seconds(60) {
        let mut am: session::ActiveModel = s.clone().into();
        am.flash = Set(None);
        am.last_seen_at = Set(t);
        am.update(db).await?;
    }
    let staff = Staff::from_model(&u, &config.roles);
    let two_factor_required = config.roles.two_factor_required(&staff.roles);
    Ok(Some(CurrentSession {
        staff,
        csrf_token: s.csrf_token,
        flash,
        authenticated_at: s.authenticated_at,
        second_factor_pending: s.second_factor_pending,
        two_factor_enrolled: u.totp_secret.is_some(),
        two_factor_required,
        language: u.language,
        time_zone: u.time_zone,
    }))
}

/// Leaves a message for the next page this session sees.
///
/// # Errors
/// `Db` when the database fails.
pub async fn set_flash(db: &DatabaseConnection, token: &str, message: &str) -> Result<()> {
    session::Entity::update_many()
        .col_expr(session::Column::Flash, sea_orm::sea_query::Expr::val(message.to_owned()))
        .filter(session::Column::Id.eq(token_id(token)))
        .exec(db)
        .await?;
    Ok(())
}

/// Marks a session as having just proved the user's identity (after a second factor
/// or a re-authentication).
///
/// # Errors
/// `Db` when the database fails.
pub async fn mark_authenticated<C: ConnectionTrait>(conn: &C, token: &str) -> Result<()> {
    session::Entity::update_many()
        .col_expr(session::Column::AuthenticatedAt, sea_orm::sea_query::Expr::val(now()))
        .col_expr(session::Column::SecondFactorPending, sea_orm::sea_query::Expr::val(false))
        .filter(session::Column::Id.eq(token_id(token)))
        .exec(conn)
        .await?;
    Ok(())
}

/// Ends the session of a cookie token (sign-out). Unknown tokens are ignored.
///
/// # Errors
/// `Db` when the database fails.
pub async fn sign_out(db: &DatabaseConnection, token: &str, ctx: &Context) -> Result<()> {
    let txn = begin_write(db).await?;
    // Signing out empties the user's selections on the lists: the next sign-in
    // starts with nothing picked.
    if let Some(s) = session::Entity::find_by_id(token_id(token)).one(&txn).await? {
        use crate::db::entities::selection;
        selection::Entity::delete_many().filter(selection::Column::UserId.eq(s.user_id)).exec(&txn).await?;
    }
    let gone = session::Entity::delete_by_id(token_id(token)).exec(&txn).await?;
    if gone.rows_affected > 0 && ctx.actor.is_some() {
        audit::record(&txn, ctx, bare_event("logout")).await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Ends every session of a user, except the one with `keep` (a cookie token).
///
/// # Errors
/// `Db` when the database fails.
pub async fn revoke_sessions<C: ConnectionTrait>(conn: &C, user_id: i64, keep: Option<&str>) -> Result<u64> {
    let mut q = session::Entity::delete_many().filter(session::Column::UserId.eq(user_id));
    if let Some(k) = keep {
        q = q.filter(session::Column::Id.ne(token_id(k)));
    }
    Ok(q.exec(conn).await?.rows_affected)
}
