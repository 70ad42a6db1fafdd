//! Staff users: creating the first user, looking users up, and the staff
//! management that `staff.change` allows (create, update, reset a password), and
//! a user changing their own password.

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::credentials::*;
use super::session::*;
use crate::access::Staff;
use crate::access::permission::Roles;
use crate::audit::{self, Context, Event};
use crate::auth::AuthConfig;
use crate::db::entities::staff_user;
use crate::db::txn::begin_write;
use crate::kernel::clock::now;
use crate::kernel::error::{Error, FieldError, Result};

/// Creates a staff user (without an audit entry: for set-up scripts and the first
/// user; the staff screens use [`admin_create_user`]).
///
/// # Errors
/// `Invalid` when the name is empty or taken or the password is too weak; `Db` when
/// the database fails.
pub async fn create_user(
    db: &DatabaseConnection,
    username: &str,
    password: &str,
    roles: &[&str],
    is_superuser: bool,
) -> Result<Staff> {
    let new = NewUser::check(db, username, password).await?;
    let txn = begin_write(db).await?;
    let user = new.insert(&txn, roles, is_superuser).await?;
    txn.commit().await?;
    Ok(Staff::from_model(&user, &Roles::new()))
}

/// A new staff user whose name and password passed the checks, with the password
/// already hashed (on the blocking pool, before any transaction).
struct NewUser {
    username: String,
    password_hash: String,
}

impl NewUser {
    /// Checks the name (not empty, not taken) and the password (strong enough),
    /// reporting every problem at once, then hashes the password.
    async fn check(db: &DatabaseConnection, username: &str, password: &str) -> Result<Self> {
        let username = username.trim();
        let mut errors = Vec::new();
        if username.is_empty() || username.chars().count() > crate::kernel::text::USERNAME {
            errors.push(FieldError::field(
                "username",
                format!("Enter a user name of at most {} characters.", crate::kernel::text::USERNAME),
            ));
        } else if crate::kernel::text::has_control(username, crate::kernel::text::Lines::One) {
            errors.push(FieldError::field(
                "username",
                "A user name cannot have invisible control characters (such as a NUL byte).",
            ));
        } else if let Some(taken) = name_taken(db, username).await? {
            errors.push(taken);
        }
        if let Err(m) = check_new_password(username, password) {
            errors.push(FieldError::field("password", m));
        }
        if !errors.is_empty() {
            return Err(Error::Invalid(errors));
        }
        let password_hash = crate::auth::password::hash(password).await?;
        Ok(Self { username: username.to_owned(), password_hash })
    }

    /// Inserts the user in the write transaction `conn`, checking again that the
    /// name was not taken while the password was hashed.
    async fn insert<C: ConnectionTrait>(
        self,
        conn: &C,
        roles: &[&str],
        is_superuser: bool,
    ) -> Result<staff_user::Model> {
        if let Some(taken) = name_taken(conn, &self.username).await? {
            return Err(Error::Invalid(vec![taken]));
        }
        let t = now();
        Ok(staff_user::ActiveModel {
            username: Set(self.username),
            password_hash: Set(self.password_hash),
            is_superuser: Set(is_superuser),
            is_active: Set(true),
            roles: Set(roles.join(",")),
            created_at: Set(t),
            last_login_at: Set(None),
            password_changed_at: Set(t),
            totp_secret: Set(None),
            totp_last_step: Set(None),
            ..Default::default()
        }
        .insert(conn)
        .await?)
    }
}

/// The error for a user name that is taken, if it is.
async fn name_taken<C: ConnectionTrait>(conn: &C, username: &str) -> Result<Option<FieldError>> {
    let n = staff_user::Entity::find().filter(staff_user::Column::Username.eq(username)).count(conn).await?;
    Ok((n > 0).then(|| {
        FieldError::field(
            "username",
            format!("A staff user named \u{201c}{username}\u{201d} already exists."),
        )
    }))
}

/// How many staff users exist.
///
/// # Errors
/// When the database fails.
pub async fn count_users(db: &DatabaseConnection) -> Result<u64> {
    Ok(staff_user::Entity::find().count(db).await?)
}

/// A staff user by name, with permissions from `roles` (for scripts acting as them).
/// The same rule as [`authenticate`](super::authenticate) with [`Credential::Local`](super::Credential::Local): the user must exist
/// and be active.
///
/// # Errors
/// `NotFound` when there is no active user of that name.
pub async fn staff_by_name(db: &DatabaseConnection, roles: &Roles, username: &str) -> Result<Staff> {
    local_user(db, roles, username).await?.ok_or_else(|| no_such_user(username))
}

pub(crate) fn no_such_user(username: &str) -> Error {
    Error::NotFound(format!("There is no active staff user named \u{201c}{}\u{201d}.", username.trim()))
}

/// The active user of that name.
pub(crate) async fn local_user(
    db: &DatabaseConnection,
    roles: &Roles,
    username: &str,
) -> Result<Option<Staff>> {
    Ok(staff_user::Entity::find()
        .filter(staff_user::Column::Username.eq(username.trim()))
        .one(db)
        .await?
        .filter(|u| u.is_active)
        .map(|u| Staff::from_model(&u, roles)))
}

/// Every staff user, by name.
///
/// # Errors
/// `Db` when the database fails.
pub async fn list_users(db: &DatabaseConnection) -> Result<Vec<staff_user::Model>> {
    Ok(staff_user::Entity::find().order_by_asc(staff_user::Column::Username).all(db).await?)
}

/// One staff user by id.
///
/// # Errors
/// `NotFound` when there is none.
pub async fn get_user(db: &DatabaseConnection, id: i64) -> Result<staff_user::Model> {
    staff_user::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| Error::NotFound(format!("There is no staff user with id {id}.")))
}

/// What a caller without `staff.change` cannot do; the refusal adds who can
/// ([`Staff::denial`]).
pub const STAFF_REFUSED: &str = "You cannot manage staff users.";

fn require_staff_change(ctx: &Context) -> Result<&Staff> {
    let actor = ctx.actor.as_ref().ok_or(Error::Unauthenticated)?;
    if actor.may("staff.change") {
        Ok(actor)
    } else {
        Err(Error::Forbidden(actor.denial(STAFF_REFUSED, "staff.change")))
    }
}

/// Creates a staff user from the staff screens, audited.
///
/// # Errors
/// `Forbidden` without `staff.change` (or when a non-superuser makes a superuser);
/// `Invalid` for a bad name, password or role.
pub async fn admin_create_user(
    db: &DatabaseConnection,
    config: &AuthConfig,
    ctx: &Context,
    username: &str,
    password: &str,
    roles: &[String],
    is_superuser: bool,
) -> Result<staff_user::Model> {
    let actor = require_staff_change(ctx)?;
    if is_superuser && !actor.is_superuser {
        return Err(Error::Forbidden("Only a superuser can make another superuser.".into()));
    }
    let roles = check_roles(config, roles)?;
    let new = NewUser::check(db, username, password).await?;
    let txn = begin_write(db).await?;
    let refs: Vec<&str> = roles.iter().map(String::as_str).collect();
    let user = new.insert(&txn, &refs, is_superuser).await?;
    let id = user.id.to_string();
    let changes = serde_json::json!({
        "username": [null, user.username],
        "roles": [null, user.roles],
        "is_superuser": [null, is_superuser],
        "password": [null, "(set)"],
    });
    audit::record(&txn, ctx, Event { kind: "create", model: Some("staff"), object_id: Some(&id), changes })
        .await?;
    txn.commit().await?;
    Ok(user)
}

/// The roles asked for, each once, in the order given: refused when one is not a
/// role of the site (so there are never more than the site has).
fn check_roles(config: &AuthConfig, roles: &[String]) -> Result<Vec<String>> {
    let mut unknown: Vec<&str> = Vec::new();
    let mut kept: Vec<String> = Vec::new();
    for r in roles {
        if config.roles.get(r).is_none() {
            if !unknown.contains(&r.as_str()) && unknown.len() < 5 {
                unknown.push(r);
            }
        } else if !kept.contains(r) {
            kept.push(r.clone());
        }
    }
    if unknown.is_empty() {
        Ok(kept)
    } else {
        let shown: Vec<String> = unknown
            .iter()
            .map(|r| {
                let mut s: String =
                    r.chars().take(crate::kernel::text::USERNAME).filter(|c| !c.is_control()).collect();
                if r.chars().count() > crate::kernel::text::USERNAME {
                    s.push('\u{2026}');
                }
                s
            })
            .collect();
        Err(Error::Invalid(vec![FieldError::field("roles", format!("Unknown role: {}.", shown.join(", ")))]))
    }
}

/// Changes a staff user's roles, superuser flag and whether they may sign in. Any
/// change ends all of their sessions at once.
///
/// # Errors
/// `Forbidden` without `staff.change`, for superuser changes by a non-superuser, or
/// when users would lock themselves out; `Invalid` for an unknown role.
pub async fn admin_update_user(
    db: &DatabaseConnection,
    config: &AuthConfig,
    ctx: &Context,
    id: i64,
    roles: &[String],
    is_active: bool,
    is_superuser: bool,
) -> Result<staff_user::Model> {
    let actor = require_staff_change(ctx)?;
    let roles = check_roles(config, roles)?;
    let txn = begin_write(db).await?;
    let user = staff_user::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| Error::NotFound(format!("There is no staff user with id {id}.")))?;
    if (user.is_superuser != is_superuser || user.is_superuser) && !actor.is_superuser {
        return Err(Error::Forbidden("Only a superuser can change a superuser or make one.".into()));
    }
    if user.id == actor.id && (!is_active || (actor.is_superuser && !is_superuser)) {
        return Err(Error::Refused(
            "You cannot deactivate yourself or drop your own superuser status; ask another admin.".to_owned(),
        ));
    }
    let new_roles = roles.join(",");
    let mut changes = serde_json::Map::new();
    if user.roles != new_roles {
        changes.insert("roles".into(), serde_json::json!([user.roles, new_roles]));
    }
    if user.is_active != is_active {
        changes.insert("is_active".into(), serde_json::json!([user.is_active, is_active]));
    }
    if user.is_superuser != is_superuser {
        changes.insert("is_superuser".into(), serde_json::json!([user.is_superuser, is_superuser]));
    }
    if changes.is_empty() {
        txn.commit().await?;
        return Ok(user);
    }
    let mut am: staff_user::ActiveModel = user.into();
    am.roles = Set(new_roles);
    am.is_active = Set(is_active);
    am.is_superuser = Set(is_superuser);
    let saved = am.update(&txn).await?;
    revoke_sessions(&txn, id, None).await?;
    let key = id.to_string();
    audit::record(
        &txn,
        ctx,
        Event {
            kind: "update",
            model: Some("staff"),
            object_id: Some(&key),
            changes: serde_json::Value::Object(changes),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(saved)
}

/// Sets a staff user's password (an admin's reset). Ends all of their sessions.
/// The new password is hashed before the write transaction opens.
///
/// # Errors
/// `Forbidden` without `staff.change` (or for a superuser's password, unless the
/// actor is one); `Invalid` for a weak password.
pub async fn admin_set_password(
    db: &DatabaseConnection,
    ctx: &Context,
    id: i64,
    password: &str,
) -> Result<()> {
    let actor = require_staff_change(ctx)?;
    let user = get_user(db, id).await?;
    may_reset_password(actor, &user)?;
    check_new_password(&user.username, password)
        .map_err(|m| Error::Invalid(vec![FieldError::field("new_password", m)]))?;
    let new_hash = crate::auth::password::hash(password).await?;
    let txn = begin_write(db).await?;
    // Read again: the user may have been made a superuser while the hash was made.
    let user = staff_user::Entity::find_by_id(id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or_else(|| Error::NotFound(format!("There is no staff user with id {id}.")))?;
    may_reset_password(actor, &user)?;
    store_password(&txn, ctx, user, new_hash, None).await?;
    txn.commit().await?;
    Ok(())
}

fn may_reset_password(actor: &Staff, user: &staff_user::Model) -> Result<()> {
    if user.is_superuser && !actor.is_superuser {
        return Err(Error::Forbidden("Only a superuser can reset a superuser's password.".into()));
    }
    Ok(())
}

/// Changes the signed-in user's own password; the current one is required, and
/// checked like a confirmation of identity ([`crate::auth::password::confirm`]: wrong ones
/// count towards the sign-in lock). Ends their other sessions.
///
/// # Errors
/// `Invalid` when the current password is wrong or the new one is weak; `Refused`
/// while too many wrong passwords lock the user or their address.
pub async fn change_own_password(
    db: &DatabaseConnection,
    config: &AuthConfig,
    ctx: &Context,
    token: &str,
    current: &str,
    new: &str,
) -> Result<()> {
    let proven = crate::auth::password::confirm(db, config, ctx, current, "current_password").await?;
    if current == new {
        return Err(Error::Invalid(vec![FieldError::field(
            "new_password",
            "Choose a password different from the current one.",
        )]));
    }
    check_new_password(&proven.user().username, new)
        .map_err(|m| Error::Invalid(vec![FieldError::field("new_password", m)]))?;
    let new_hash = crate::auth::password::hash(new).await?;
    let txn = begin_write(db).await?;
    let user = proven.recheck(&txn).await?;
    store_password(&txn, ctx, user, new_hash, Some(token)).await?;
    txn.commit().await?;
    Ok(())
}

/// Stores a new password hash in the write transaction `txn`, ends the user's
/// sessions (but `keep_session`) and records the audit entry.
async fn store_password<C: ConnectionTrait>(
    txn: &C,
    ctx: &Context,
    user: staff_user::Model,
    new_hash: String,
    keep_session: Option<&str>,
) -> Result<()> {
    let id = user.id;
    let mut am: staff_user::ActiveModel = user.into();
    am.password_hash = Set(new_hash);
    am.password_changed_at = Set(now());
    am.update(txn).await?;
    revoke_sessions(txn, id, keep_session).await?;
    let key = id.to_string();
    // The hash is a secret too: the entry says only that it changed.
    let changes = serde_json::json!({ "password": ["(hidden)", "(changed)"] });
    audit::record(txn, ctx, Event { kind: "update", model: Some("staff"), object_id: Some(&key), changes })
        .await?;
    Ok(())
}
