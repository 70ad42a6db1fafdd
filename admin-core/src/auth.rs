//! Staff sign-in: argon2id password hashes, database-backed sessions and their CSRF
//! tokens. Nothing lives in the web process, so several instances serve as one.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use chrono::{Duration, NaiveDateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait,
    QueryFilter,
};
use sha2::{Digest, Sha256};

use crate::entities::{session, staff_user};
use crate::error::{Error, Result};

/// The signed-in staff user, as every admin operation sees them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Staff {
    /// The user's id.
    pub id: i64,
    /// The sign-in name.
    pub username: String,
    /// Whether the user holds every permission.
    pub is_superuser: bool,
    /// The user's role names.
    pub roles: Vec<String>,
}

impl Staff {
    /// Whether this user holds `permission` (e.g. `account.change`).
    ///
    /// Until roles are configured every active staff user holds every permission;
    /// this is the one place a permission is decided.
    #[must_use]
    pub fn may(&self, _permission: &str) -> bool {
        true
    }

    fn from_model(m: &staff_user::Model) -> Self {
        Self {
            id: m.id,
            username: m.username.clone(),
            is_superuser: m.is_superuser,
            roles: m.roles.split(',').map(str::trim).filter(|r| !r.is_empty()).map(String::from).collect(),
        }
    }
}

/// How long a session lives at most.
pub const SESSION_LIFETIME: Duration = Duration::hours(12);

fn argon2() -> Argon2<'static> {
    // OWASP's argon2id minimum: 19 MiB, 2 passes, 1 lane.
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Random bytes from the operating system, as lowercase hex.
///
/// # Errors
/// When the operating system has no randomness to give.
pub fn random_hex(bytes: usize) -> Result<String> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).map_err(|e| Error::Internal(format!("no randomness: {e}")))?;
    Ok(hex(&buf))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Hashes a password with argon2id and a random salt.
///
/// # Errors
/// When randomness or hashing fails.
pub fn hash_password(password: &str) -> Result<String> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| Error::Internal(format!("no randomness: {e}")))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| Error::Internal(e.to_string()))?;
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::Internal(e.to_string()))
}

/// Whether `password` matches a stored argon2 hash.
#[must_use]
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| argon2().verify_password(password.as_bytes(), &h).is_ok())
}

fn now() -> NaiveDateTime {
    Utc::now().naive_utc()
}

fn token_id(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// Creates a staff user.
///
/// # Errors
/// `Invalid` when the name is empty or taken or the password is shorter than 8
/// characters; `Db` when the database fails.
pub async fn create_user(
    db: &DatabaseConnection,
    username: &str,
    password: &str,
    roles: &[&str],
    is_superuser: bool,
) -> Result<Staff> {
    use crate::error::FieldError;
    let username = username.trim();
    if username.is_empty() {
        return Err(Error::Invalid(vec![FieldError::field("username", "Enter a user name.")]));
    }
    if password.chars().count() < 8 {
        return Err(Error::Invalid(vec![FieldError::field(
            "password",
            "Use a password of at least 8 characters.",
        )]));
    }
    let taken =
        staff_user::Entity::find().filter(staff_user::Column::Username.eq(username)).count(db).await?;
    if taken > 0 {
        return Err(Error::Invalid(vec![FieldError::field(
            "username",
            format!("A staff user named \u{201c}{username}\u{201d} already exists."),
        )]));
    }
    let user = staff_user::ActiveModel {
        username: Set(username.to_owned()),
        password_hash: Set(hash_password(password)?),
        is_superuser: Set(is_superuser),
        is_active: Set(true),
        roles: Set(roles.join(",")),
        created_at: Set(now()),
        last_login_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(Staff::from_model(&user))
}

/// How many staff users exist.
///
/// # Errors
/// When the database fails.
pub async fn count_users(db: &DatabaseConnection) -> Result<u64> {
    Ok(staff_user::Entity::find().count(db).await?)
}

/// A new session: the cookie token (secret, never stored) and the CSRF token.
#[derive(Clone, Debug)]
pub struct NewSession {
    /// Goes into the session cookie.
    pub token: String,
    /// Goes into every form.
    pub csrf_token: String,
    /// The signed-in user.
    pub staff: Staff,
}

/// Checks a username and password and, when they match an active user, starts a
/// session. The answer is the same whether the user is unknown, inactive or the
/// password is wrong, and takes as long.
///
/// # Errors
/// `Db` when the database fails.
pub async fn sign_in(
    db: &DatabaseConnection,
    username: &str,
    password: &str,
    audit: &crate::audit::Context,
) -> Result<Option<NewSession>> {
    let username = username.trim();
    let user = staff_user::Entity::find().filter(staff_user::Column::Username.eq(username)).one(db).await?;
    let ok = match &user {
        Some(u) => verify_password(password, &u.password_hash) && u.is_active,
        None => {
            // Spend the same time as a real check so timing does not reveal names.
            let _ = verify_password(password, DUMMY_HASH);
            false
        }
    };
    let (Some(user), true) = (user, ok) else {
        let mut ctx = audit.clone();
        ctx.actor = None;
        ctx.actor_name = Some(username.chars().take(150).collect());
        let txn = crate::txn::begin_write(db).await?;
        crate::audit::record(&txn, &ctx, bare_event("login_failed")).await?;
        txn.commit().await?;
        return Ok(None);
    };
    let token = random_hex(32)?;
    let csrf_token = random_hex(32)?;
    let t = now();
    let staff = Staff::from_model(&user);
    let txn = crate::txn::begin_write(db).await?;
    session::ActiveModel {
        id: Set(token_id(&token)),
        user_id: Set(user.id),
        csrf_token: Set(csrf_token.clone()),
        created_at: Set(t),
        last_seen_at: Set(t),
        expires_at: Set(t + SESSION_LIFETIME),
        flash: Set(None),
    }
    .insert(&txn)
    .await?;
    let mut am: staff_user::ActiveModel = user.into();
    am.last_login_at = Set(Some(t));
    am.update(&txn).await?;
    let mut ctx = audit.clone();
    ctx.actor = Some(staff.clone());
    crate::audit::record(&txn, &ctx, bare_event("login")).await?;
    txn.commit().await?;
    Ok(Some(NewSession { token, csrf_token, staff }))
}

fn bare_event(kind: &str) -> crate::audit::Event<'_> {
    crate::audit::Event { kind, model: None, object_id: None, changes: serde_json::json!({}) }
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
}

/// Finds the live session for a cookie token: not expired, its user still active.
///
/// # Errors
/// `Db` when the database fails.
pub async fn load_session(db: &DatabaseConnection, token: &str) -> Result<Option<CurrentSession>> {
    if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(None);
    }
    let found = session::Entity::find_by_id(token_id(token)).one(db).await?;
    let Some(s) = found else { return Ok(None) };
    if s.expires_at <= now() {
        session::Entity::delete_by_id(s.id).exec(db).await?;
        return Ok(None);
    }
    let user = staff_user::Entity::find_by_id(s.user_id).one(db).await?;
    match user {
        Some(u) if u.is_active => {
            let flash = s.flash.clone();
            if flash.is_some() {
                let mut am: session::ActiveModel = s.clone().into();
                am.flash = Set(None);
                am.update(db).await?;
            }
            Ok(Some(CurrentSession { staff: Staff::from_model(&u), csrf_token: s.csrf_token, flash }))
        }
        _ => Ok(None),
    }
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

/// Ends the session of a cookie token (sign-out). Unknown tokens are ignored.
///
/// # Errors
/// `Db` when the database fails.
pub async fn sign_out(db: &DatabaseConnection, token: &str, audit: &crate::audit::Context) -> Result<()> {
    let txn = crate::txn::begin_write(db).await?;
    let gone = session::Entity::delete_by_id(token_id(token)).exec(&txn).await?;
    if gone.rows_affected > 0 && audit.actor.is_some() {
        crate::audit::record(&txn, audit, bare_event("logout")).await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Compares two secrets in time that does not depend on where they differ.
#[must_use]
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// An argon2id hash of a random password, verified against when a user is unknown.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$2Kf1QdQ4m7Rr0r4yqyXo7bO7b9x4C1k1T3eGzVwWl1M";

#[cfg(test)]
mod tests {
    use super::*;

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
    fn constant_time_eq_compares_whole_strings() {
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "abcd"));
    }
}
