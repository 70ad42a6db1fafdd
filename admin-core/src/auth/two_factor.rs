//! Two-factor sign-in with an authenticator app: enrolment, the second step of
//! sign-in, one-time recovery codes, turning it off, and re-authentication with a
//! code. The codes themselves are computed in [`crate::auth::totp`].
//!
//! A code is accepted once: the time step it matched is stored on the user
//! (`totp_last_step`) and steps up to it are refused afterwards. Recovery codes are
//! stored as SHA-256 only and marked when used. Wrong codes count per user, apart
//! from password failures (a correct password does not clear them); after
//! [`crate::auth::ThrottlePolicy::max_failures_per_user`] of them the pending
//! session ends and codes are refused until the lock passes.
//!
//! ```
//! let e = admin_core::auth::two_factor::begin_enrolment("Ops console", "anna").unwrap();
//! assert_eq!(admin_core::auth::totp::base32_decode(&e.secret).unwrap().len(), 20);
//! assert!(e.otpauth_uri.starts_with("otpauth://totp/Ops%20console:anna?secret="));
//! ```

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection,
    EntityTrait, PaginatorTrait, QueryFilter,
};
use sha2::{Digest, Sha256};

use crate::audit::{self, Context, Event};
use crate::auth::totp;
use crate::auth::{self, AuthConfig};
use crate::db::entities::{login_throttle, recovery_code, session, staff_user};
use crate::db::txn::begin_write;
use crate::kernel::clock::now;
use crate::kernel::error::{Error, FieldError, Result};

/// How many recovery codes a user gets at enrolment.
pub const RECOVERY_CODES: usize = 10;

/// A new secret to show the user before they confirm it with a code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Enrolment {
    /// The secret in base32, without padding.
    pub secret: String,
    /// The `otpauth://totp/...` URI authenticator apps import.
    pub otpauth_uri: String,
}

/// How the second step of a sign-in ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SecondFactor {
    /// The code was right: the session is signed in.
    SignedIn,
    /// The code was wrong or already used.
    Wrong {
        /// Wrong codes left before the sign-in ends and codes are locked.
        tries_left: i32,
    },
    /// Too many wrong codes: the pending session has ended.
    Locked {
        /// Minutes until codes are accepted again (rounded up).
        minutes: i64,
    },
}

/// Which kind of code proved the second factor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Method {
    Authenticator,
    Recovery,
}

impl Method {
    fn label(self) -> &'static str {
        match self {
            Method::Authenticator => "authenticator code",
            Method::Recovery => "recovery code",
        }
    }
}

fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

fn invalid(field: &str, message: &str) -> Error {
    Error::Invalid(vec![FieldError::field(field, message)])
}

fn event<'a>(kind: &'a str, object_id: Option<&'a str>, changes: serde_json::Value) -> Event<'a> {
    Event { kind, model: object_id.map(|_| "staff"), object_id, changes }
}

/// The throttle key that counts a user's wrong codes.
fn throttle_key(user_id: i64) -> String {
    format!("2fa:user:{user_id}")
}

/// Minutes left on a lock of `key`, if it is locked.
async fn locked_minutes<C: ConnectionTrait>(conn: &C, key: &str) -> Result<Option<i64>> {
    let t = now();
    let row = login_throttle::Entity::find_by_id(key.to_owned()).one(conn).await?;
    Ok(row
        .and_then(|r| r.locked_until)
        .filter(|until| *until > t)
        .map(|until| ((until - t).num_seconds() + 59).div_euclid(60).max(1)))
}

const WRONG_CODE: &str =
    "That code is not right, or it was already used. Wait for the next code and try again.";

/// Starts an enrolment: a new random secret and its `otpauth://` URI for `username`
/// at `issuer` (the site title). Nothing is stored until [`confirm_enrolment`].
///
/// # Errors
/// When the operating system has no randomness to give.
pub fn begin_enrolment(issuer: &str, username: &str) -> Result<Enrolment> {
    let mut key = [0u8; totp::SECRET_BYTES];
    getrandom::fill(&mut key).map_err(|e| Error::Internal(format!("no randomness: {e}")))?;
    let secret = totp::base32_encode(&key);
    let otpauth_uri = totp::otpauth_uri(issuer, username, &secret);
    Ok(Enrolment { secret, otpauth_uri })
}

/// The signed-in user of `ctx`, who must be `user_id`: people enrol and turn off
/// their own second factor only.
fn own_account(ctx: &Context, user_id: i64) -> Result<()> {
    match &ctx.actor {
        None => Err(Error::Unauthenticated),
        Some(a) if a.id == user_id => Ok(()),
        Some(_) => {
            Err(Error::Forbidden("You can change two-factor sign-in for your own account only.".into()))
        }
    }
}

/// A new recovery code, `xxxx-xxxx` from 8 random hex characters.
fn new_recovery_code() -> Result<String> {
    let h = auth::random_hex(4)?;
    Ok(format!("{}-{}", &h[..4], &h[4..]))
}

/// A typed recovery code in its stored form (`xxxx-xxxx`), if it looks like one.
fn canonical_recovery_code(typed: &str) -> Option<String> {
    let hex: String =
        typed.chars().filter(|c| !c.is_whitespace() && *c != '-').map(|c| c.to_ascii_lowercase()).collect();
    (hex.len() == 8 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| format!("{}-{}", &hex[..4], &hex[4..]))
}

/// Turns on two-factor sign-in for `user_id` (the signed-in user of `ctx`) once they
/// have typed a right `code` for `secret` (from [`begin_enrolment`]). Replaces their
/// recovery codes with [`RECOVERY_CODES`] new ones and returns them: they are stored
/// only as hashes, so show them now. Audited as `two_factor_enrolled`.
///
/// # Errors
/// `Invalid` (field `code`) for a wrong code; `BadRequest` for a damaged secret;
/// `Refused` when two-factor sign-in is already on; `Forbidden` for another user's
/// account.
pub async fn confirm_enrolment(
    db: &DatabaseConnection,
    ctx: &Context,
    user_id: i64,
    secret: &str,
    code: &str,
) -> Result<Vec<String>> {
    own_account(ctx, user_id)?;
    let key = totp::base32_decode(secret).filter(|k| k.len() >= 16).ok_or_else(|| {
        Error::BadRequest("The set-up form was damaged. Reload the page and start again.".to_owned())
    })?;
    let Some(step) = totp::verify(&key, code, Utc::now().timestamp(), None) else {
        return Err(invalid(
            "code",
            "That code is not right. Check that the app shows the account just added and try the newest code.",
        ));
    };
    let codes = (0..RECOVERY_CODES).map(|_| new_recovery_code()).collect::<Result<Vec<_>>>()?;
    let txn = begin_write(db).await?;
    let user = staff_user::Entity::find_by_id(user_id).one(&txn).await?.ok_or(Error::Unauthenticated)?;
    if user.totp_secret.is_some() {
        return Err(Error::Refused(
            "Two-factor sign-in is already on. To move it to a new device, turn it off first.".to_owned(),
        ));
    }
    let mut am: staff_user::ActiveModel = user.into();
    am.totp_secret = Set(Some(totp::base32_encode(&key)));
    am.totp_last_step = Set(Some(step));
    am.update(&txn).await?;
    recovery_code::Entity::delete_many().filter(recovery_code::Column::UserId.eq(user_id)).exec(&txn).await?;
    for c in &codes {
        recovery_code::ActiveModel {
            user_id: Set(user_id),
            code_hash: Set(sha256_hex(c)),
            used_at: Set(None),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    let id = user_id.to_string();
    let changes = serde_json::json!({
        "two_factor": ["off", "on"],
        "recovery_codes": [null, format!("{RECOVERY_CODES} new")],
    });
    audit::record(&txn, ctx, event("two_factor_enrolled", Some(&id), changes)).await?;
    txn.commit().await?;
    Ok(codes)
}

/// Turns off two-factor sign-in for `user_id` (the signed-in user of `ctx`), who must
/// give their current password (checked by [`crate::auth::password::confirm`], throttled
/// like sign-in). Their recovery codes are deleted. Audited as `two_factor_disabled`.
///
/// # Errors
/// `Invalid` (field `password`) for a wrong password; `Refused` when it is already
/// off, or while too many wrong passwords lock the user or their address;
/// `Forbidden` for another user's account.
pub async fn disable(
    db: &DatabaseConnection,
    config: &AuthConfig,
    ctx: &Context,
    user_id: i64,
    password: &str,
) -> Result<()> {
    own_account(ctx, user_id)?;
    let proven = crate::auth::password::confirm(db, config, ctx, password, "password").await?;
    let txn = begin_write(db).await?;
    let user = proven.recheck(&txn).await?;
    if user.totp_secret.is_none() {
        return Err(Error::Refused("Two-factor sign-in is already off.".to_owned()));
    }
    let mut am: staff_user::ActiveModel = user.into();
    am.totp_secret = Set(None);
    am.totp_last_step = Set(None);
    am.update(&txn).await?;
    recovery_code::Entity::delete_many().filter(recovery_code::Column::UserId.eq(user_id)).exec(&txn).await?;
    let id = user_id.to_string();
    let changes =
        serde_json::json!({ "two_factor": ["on", "off"], "recovery_codes": ["(kept)", "(deleted)"] });
    audit::record(&txn, ctx, event("two_factor_disabled", Some(&id), changes)).await?;
    txn.commit().await?;
    Ok(())
}

/// How many unused recovery codes a user has.
///
/// # Errors
/// `Db` when the database fails.
pub async fn recovery_codes_left(db: &DatabaseConnection, user_id: i64) -> Result<u64> {
    Ok(recovery_code::Entity::find()
        .filter(recovery_code::Column::UserId.eq(user_id))
        .filter(recovery_code::Column::UsedAt.is_null())
        .count(db)
        .await?)
}

/// Uses a code of `user`: a six-digit authenticator code not used before, or (when
/// `allow_recovery`) an unused recovery code, which is marked used. The updates are
/// conditional, so of two requests racing with the same code only one wins.
async fn use_code<C: ConnectionTrait>(
    conn: &C,
    user: &staff_user::Model,
    code: &str,
    allow_recovery: bool,
) -> Result<Option<Method>> {
    let cleaned: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if cleaned.len() == totp::DIGITS as usize && cleaned.bytes().all(|b| b.is_ascii_digit()) {
        let Some(key) = user.totp_secret.as_deref().and_then(totp::base32_decode) else { return Ok(None) };
        let Some(step) = totp::verify(&key, &cleaned, Utc::now().timestamp(), user.totp_last_step) else {
            return Ok(None);
        };
        let done = staff_user::Entity::update_many()
            .col_expr(staff_user::Column::TotpLastStep, Expr::val(step))
            .filter(staff_user::Column::Id.eq(user.id))
            .filter(
                Condition::any()
                    .add(staff_user::Column::TotpLastStep.is_null())
                    .add(staff_user::Column::TotpLastStep.lt(step)),
            )
            .exec(conn)
            .await?;
        return Ok((done.rows_affected == 1).then_some(Method::Authenticator));
    }
    if !allow_recovery {
        return Ok(None);
    }
    let Some(canonical) = canonical_recovery_code(&cleaned) else { return Ok(None) };
    let done = recovery_code::Entity::update_many()
        .col_expr(recovery_code::Column::UsedAt, Expr::val(now()))
        .filter(recovery_code::Column::UserId.eq(user.id))
        .filter(recovery_code::Column::CodeHash.eq(sha256_hex(&canonical)))
        .filter(recovery_code::Column::UsedAt.is_null())
        .exec(conn)
        .await?;
    Ok((done.rows_affected > 0).then_some(Method::Recovery))
}

/// The second step of sign-in, for a session whose password was right
/// (`second_factor_pending`): accepts an authenticator code or an unused recovery
/// code, then marks the session signed in and sets the user's last sign-in. Audited
/// as `login` on success and `login_failed` (with a note) for a wrong code. Wrong
/// codes count per user; reaching the limit ends the pending session (`login_locked`).
///
/// # Errors
/// `Unauthenticated` when `token` has no live session; `BadRequest` when the
/// session is not waiting for a second factor; `Db` when the database fails.
pub async fn complete_second_factor(
    db: &DatabaseConnection,
    config: &AuthConfig,
    token: &str,
    code: &str,
    ctx: &Context,
) -> Result<SecondFactor> {
    let current = auth::load_session(db, config, token).await?.ok_or(Error::Unauthenticated)?;
    if !current.second_factor_pending {
        return Err(Error::BadRequest("This sign-in is already complete.".to_owned()));
    }
    let user = auth::get_user(db, current.staff.id).await?;
    let mut actx = ctx.clone();
    actx.actor = Some(current.staff.clone());
    let key = throttle_key(user.id);
    let session_id = auth::token_id(token);
    if let Some(minutes) = locked_minutes(db, &key).await? {
        session::Entity::delete_by_id(session_id).exec(db).await?;
        return Ok(SecondFactor::Locked { minutes });
    }
    let txn = begin_write(db).await?;
    if let Some(method) = use_code(&txn, &user, code, true).await? {
        auth::mark_authenticated(&txn, token).await?;
        staff_user::Entity::update_many()
            .col_expr(staff_user::Column::LastLoginAt, Expr::val(now()))
            .filter(staff_user::Column::Id.eq(user.id))
            .exec(&txn)
            .await?;
        login_throttle::Entity::delete_by_id(key).exec(&txn).await?;
        let changes = serde_json::json!({ "second_factor": [null, method.label()] });
        audit::record(&txn, &actx, event("login", None, changes)).await?;
        txn.commit().await?;
        return Ok(SecondFactor::SignedIn);
    }
    let limit = config.throttle.max_failures_per_user;
    let (failures, locked) = auth::count_failure(&txn, &key, limit, &config.throttle).await?;
    let changes = serde_json::json!({ "second_factor": [null, "wrong or used code"] });
    audit::record(&txn, &actx, event("login_failed", None, changes)).await?;
    if locked {
        session::Entity::delete_by_id(session_id).exec(&txn).await?;
        audit::record(&txn, &actx, event("login_locked", None, serde_json::json!({}))).await?;
    }
    txn.commit().await?;
    if locked {
        let minutes = config.throttle.lockout.num_minutes().max(1);
        return Ok(SecondFactor::Locked { minutes });
    }
    Ok(SecondFactor::Wrong { tries_left: (limit - failures).max(0) })
}

/// Re-authenticates the signed-in user of `ctx` (session `token`) before a sensitive
/// operation: their password (checked by [`crate::auth::password::confirm`], throttled
/// like sign-in) and, when two-factor sign-in is on, a new authenticator code.
/// Audited as `reauth` or `reauth_failed`.
///
/// # Errors
/// `Invalid` (field `password` or `code`) when either is wrong; `Refused` while too
/// many wrong passwords lock the user or their address, or too many wrong codes lock
/// the user's codes; `Unauthenticated` without a signed-in user.
pub async fn reauthenticate_with_code(
    db: &DatabaseConnection,
    config: &AuthConfig,
    token: &str,
    password: &str,
    code: &str,
    ctx: &Context,
) -> Result<()> {
    let staff = ctx.actor.as_ref().ok_or(Error::Unauthenticated)?;
    let user = staff_user::Entity::find_by_id(staff.id).one(db).await?.ok_or(Error::Unauthenticated)?;
    let key = throttle_key(user.id);
    if user.totp_secret.is_some()
        && let Some(minutes) = locked_minutes(db, &key).await?
    {
        return Err(Error::Refused(format!(
            "Too many wrong codes. Wait {minutes} minute{}, then try again.",
            if minutes == 1 { "" } else { "s" }
        )));
    }
    let proven = crate::auth::password::confirm(db, config, ctx, password, "password").await?;
    let txn = begin_write(db).await?;
    let user = proven.recheck(&txn).await?;
    if user.totp_secret.is_some() && use_code(&txn, &user, code, false).await?.is_none() {
        let limit = config.throttle.max_failures_per_user;
        auth::count_failure(&txn, &key, limit, &config.throttle).await?;
        let changes = serde_json::json!({ "second_factor": [null, "wrong or used code"] });
        audit::record(&txn, ctx, event("reauth_failed", None, changes)).await?;
        txn.commit().await?;
        let message = if code.trim().is_empty() {
            "Enter the 6-digit code from your authenticator app as well."
        } else {
            WRONG_CODE
        };
        return Err(invalid("code", message));
    }
    auth::mark_authenticated(&txn, token).await?;
    login_throttle::Entity::delete_by_id(key).exec(&txn).await?;
    audit::record(&txn, ctx, event("reauth", None, serde_json::json!({}))).await?;
    txn.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovery_codes_are_eight_hex_characters_with_a_dash() {
        let c = new_recovery_code().unwrap();
        assert_eq!(c.len(), 9);
        assert_eq!(canonical_recovery_code(&c).as_deref(), Some(c.as_str()));
        assert_eq!(canonical_recovery_code(" ABCD EF01 ").as_deref(), Some("abcd-ef01"));
        assert_eq!(canonical_recovery_code("abcdef0"), None);
        assert_eq!(canonical_recovery_code("abcd-efgh"), None);
    }

    #[test]
    fn enrolment_secrets_are_new_each_time() {
        let a = begin_enrolment("Ops", "anna").unwrap();
        let b = begin_enrolment("Ops", "anna").unwrap();
        assert_ne!(a.secret, b.secret);
        assert_eq!(a.secret.len(), 32);
        assert!(a.otpauth_uri.contains(&format!("secret={}", a.secret)));
    }
}
