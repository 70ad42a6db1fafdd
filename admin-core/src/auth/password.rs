//! Password work that never blocks the server, and password checks that cannot be
//! used to guess.
//!
//! argon2 is slow on purpose (tens of milliseconds of CPU and 19 MiB per hash), so
//! it runs on tokio's blocking pool ([`hash`], [`verify`]), a few at a time, and
//! never while a write transaction is open: an async worker thread stays free for
//! other requests, and on SQLite no other writer waits for a hash. Every function
//! that checks or sets a password has the same three steps:
//!
//! 1. read what it needs (the user, their stored hash);
//! 2. hash or verify, outside any transaction;
//! 3. open a short write transaction, check again what could have changed
//!    meanwhile (the stored hash is still the one verified, the user still active:
//!    [`Proven::recheck`]), write, and record the audit entry in the same
//!    transaction.
//!
//! A signed-in user's password checked again ([`confirm`]: confirming their
//! identity before a sensitive operation, changing their own password, turning off
//! two-factor sign-in) is throttled like sign-in, with the same counters and
//! [`crate::auth::ThrottlePolicy`]: wrong passwords count for the user's name and
//! the client's address, at sign-in and here alike, and once either is locked the
//! password is not even checked until the lock passes.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> admin_core::Result<()> {
//! let stored = admin_core::auth::password::hash("correct horse battery staple").await?;
//! assert!(admin_core::auth::password::verify("correct horse battery staple", &stored).await?);
//! assert!(!admin_core::auth::password::verify("wrong", &stored).await?);
//! # Ok(())
//! # }
//! ```

use std::sync::{Arc, OnceLock};

use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait, QuerySelect};
use tokio::sync::Semaphore;

use crate::audit::{self, Context, Event};
use crate::auth::{self, AuthConfig};
use crate::db::entities::{login_throttle, staff_user};
use crate::db::txn::begin_write;
use crate::kernel::error::{Error, FieldError, Result};

/// How many hashes may run at once: one per CPU. The rest wait their turn, so a
/// flood of sign-ins queues instead of starting hundreds of threads of 19 MiB each.
/// It is per process on purpose: the CPUs and the memory are.
fn slots() -> Arc<Semaphore> {
    static SLOTS: OnceLock<Arc<Semaphore>> = OnceLock::new();
    Arc::clone(SLOTS.get_or_init(|| {
        Arc::new(Semaphore::new(std::thread::available_parallelism().map_or(2, std::num::NonZero::get)))
    }))
}

#[cfg(test)]
tokio::task_local! {
    /// In tests: runs on the blocking pool just before each piece of password work
    /// done by the task, to look at the database meanwhile.
    static PROBE: std::sync::Arc<dyn Fn() + Send + Sync>;
}

/// Runs `work` on the blocking pool when a slot is free.
async fn off_the_async_threads<T, F>(work: F) -> Result<T>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    in_a_slot(slots(), work).await
}

/// Runs `work` on the blocking pool when one of `slots` is free.
async fn in_a_slot<T, F>(slots: Arc<Semaphore>, work: F) -> Result<T>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    // The slot is moved into the blocking work: if the caller goes away (a client
    // hangs up and its request future is dropped) the hash still runs to its end,
    // and its slot stays taken until it has.
    let slot =
        slots.acquire_owned().await.map_err(|e| Error::Internal(format!("password slots closed: {e}")))?;
    #[cfg(test)]
    let probe = PROBE.try_with(std::sync::Arc::clone).ok();
    tokio::task::spawn_blocking(move || {
        let _slot = slot;
        #[cfg(test)]
        if let Some(probe) = probe {
            probe();
        }
        work()
    })
    .await
    .map_err(|e| Error::Internal(format!("password hashing did not finish: {e}")))
}

/// Hashes a password with argon2id and a random salt ([`auth::hash_password`]) on
/// the blocking pool. Call it with no transaction open.
///
/// # Errors
/// `Internal` when randomness or hashing fails.
pub async fn hash(password: &str) -> Result<String> {
    let password = password.to_owned();
    off_the_async_threads(move || auth::hash_password(&password)).await?
}

/// Whether `password` matches a stored argon2 hash ([`auth::verify_password`]), on
/// the blocking pool. Call it with no transaction open.
///
/// # Errors
/// `Internal` when the blocking pool cannot run the check (the runtime is shutting
/// down).
pub async fn verify(password: &str, stored_hash: &str) -> Result<bool> {
    let (password, stored_hash) = (password.to_owned(), stored_hash.to_owned());
    off_the_async_threads(move || auth::verify_password(&password, &stored_hash)).await
}

/// The sentence for a locked password check.
pub(crate) fn locked_message(minutes: i64) -> String {
    format!(
        "Too many wrong passwords. Wait {minutes} minute{}, then try again.",
        if minutes == 1 { "" } else { "s" }
    )
}

/// A signed-in user's password, just checked by [`confirm`]. Act on it in a write
/// transaction that starts with [`Proven::recheck`].
#[derive(Clone, Debug)]
pub struct Proven {
    user: staff_user::Model,
    user_key: String,
    field: String,
}

impl Proven {
    /// The user as read before the check.
    #[must_use]
    pub fn user(&self) -> &staff_user::Model {
        &self.user
    }

    /// In the write transaction that acts on the check: reads the user again (locking
    /// the row on PostgreSQL; SQLite's write transaction holds the whole database),
    /// makes sure they are still active and their stored hash is still the one that
    /// was verified, and clears their failed-password count, as a sign-in does.
    /// Returns the user as they are now.
    ///
    /// # Errors
    /// `Invalid` (the checked field) when the password was changed meanwhile;
    /// `Unauthenticated` when the user was deactivated or removed meanwhile; `Db`
    /// when the database fails.
    pub async fn recheck<C: ConnectionTrait>(&self, conn: &C) -> Result<staff_user::Model> {
        let now = staff_user::Entity::find_by_id(self.user.id).lock_exclusive().one(conn).await?;
        match now {
            Some(u) if u.is_active && u.password_hash == self.user.password_hash => {
                login_throttle::Entity::delete_by_id(self.user_key.clone()).exec(conn).await?;
                Ok(u)
            }
            Some(u) if u.is_active => Err(Error::Invalid(vec![FieldError::field(
                &self.field,
                "Your password was changed a moment ago. Enter the new one.",
            )])),
            _ => Err(Error::Unauthenticated),
        }
    }
}

/// Checks the password of the signed-in user of `ctx` again, throttled like sign-in:
/// this is the one check behind confirming one's identity (`/me/confirm`), changing
/// one's own password and turning off two-factor sign-in. `field` names the form
/// field the password was typed in, for the error.
///
/// While the user's name or the client's address is locked (by wrong passwords here
/// or at sign-in) the password is not checked. A wrong password counts as a failure
/// for both, is audited as `reauth_failed`, and the failure that reaches the limit
/// locks them (audited as `reauth_locked`) for [`crate::auth::ThrottlePolicy::lockout`].
/// The hash is verified on the blocking pool with no transaction open.
///
/// # Errors
/// `Refused` with a sentence saying when to try again while locked (or when this
/// failure locked); `Invalid` (field `field`) for a wrong password; `Unauthenticated`
/// without a signed-in, active user; `Db` when the database fails.
pub async fn confirm(
    db: &DatabaseConnection,
    config: &AuthConfig,
    ctx: &Context,
    password: &str,
    field: &str,
) -> Result<Proven> {
    let actor = ctx.actor.as_ref().ok_or(Error::Unauthenticated)?;
    let user = staff_user::Entity::find_by_id(actor.id)
        .one(db)
        .await?
        .filter(|u| u.is_active)
        .ok_or(Error::Unauthenticated)?;
    let keys = auth::throttle_keys(&user.username, ctx.client_addr.as_deref());
    // The attempt is counted before the password is checked, so that concurrent
    // wrong passwords cannot all be checked before the first is counted.
    let reservation = match auth::reserve_attempt(db, &keys, &config.throttle).await? {
        auth::Attempt::Go(r) => r,
        auth::Attempt::Locked { minutes, just_locked } => {
            if just_locked {
                let txn = begin_write(db).await?;
                let changes = serde_json::json!({});
                audit::record(
                    &txn,
                    ctx,
                    Event { kind: "reauth_locked", model: None, object_id: None, changes },
                )
                .await?;
                txn.commit().await?;
            }
            return Err(Error::Refused(locked_message(minutes)));
        }
    };
    // A password longer than any that can be set is wrong, and not worth a hash.
    if password.chars().count() <= crate::kernel::text::PASSWORD
        && verify(password, &user.password_hash).await?
    {
        let txn = begin_write(db).await?;
        auth::release_attempt(&txn, &keys).await?;
        txn.commit().await?;
        let user_key = keys[0].0.clone();
        return Ok(Proven { user, user_key, field: field.to_owned() });
    }
    let txn = begin_write(db).await?;
    let (_, locked) = auth::lock_reached(&txn, &keys, &reservation, &config.throttle).await?;
    let changes = serde_json::json!({ "password": [null, "wrong"] });
    audit::record(&txn, ctx, Event { kind: "reauth_failed", model: None, object_id: None, changes }).await?;
    if locked {
        let changes = serde_json::json!({});
        audit::record(&txn, ctx, Event { kind: "reauth_locked", model: None, object_id: None, changes })
            .await?;
    }
    txn.commit().await?;
    if locked {
        return Err(Error::Refused(locked_message(config.throttle.lockout.num_minutes().max(1))));
    }
    let message = if field == "current_password" {
        "That is not your current password."
    } else {
        "That is not your password."
    };
    Err(Error::Invalid(vec![FieldError::field(field, message)]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashing_runs_on_the_blocking_pool_and_round_trips() {
        // A current-thread runtime has one async thread: the work must go elsewhere.
        let caller = std::thread::current().id();
        let seen = off_the_async_threads(move || std::thread::current().id()).await.unwrap();
        assert_ne!(seen, caller);
        let stored = hash("correct horse battery").await.unwrap();
        assert!(verify("correct horse battery", &stored).await.unwrap());
        assert!(!verify("correct horse battery!", &stored).await.unwrap());
    }

    /// On SQLite one transaction writes at a time: a hash made inside a write
    /// transaction would hold every other writer for its whole length. Each flow
    /// that hashes or verifies a password is run with a probe that, while the hash
    /// is being made, tries to take the write lock from a second connection that
    /// does not wait: it must get it every time.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn no_write_transaction_is_open_while_a_password_is_hashed() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::{Arc, Mutex};

        use crate::access::Staff;
        use crate::access::permission::Roles;
        use crate::auth;

        let path = std::env::temp_dir().join(format!("opsadmin-password-probe-{}.db", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let url = format!("sqlite://{}?mode=rwc", path.display());
        let db = sea_orm::Database::connect(&url).await.unwrap();
        crate::migration::migrate(&db).await.unwrap();
        let mut opts = sea_orm::ConnectOptions::new(url.clone());
        opts.max_connections(1).map_sqlx_sqlite_opts(|o| o.busy_timeout(std::time::Duration::ZERO));
        let other = sea_orm::Database::connect(opts).await.unwrap();

        let probes = Arc::new(AtomicUsize::new(0));
        let held = Arc::new(Mutex::new(Vec::<String>::new()));
        let probe: Arc<dyn Fn() + Send + Sync> = {
            let (probes, held) = (Arc::clone(&probes), Arc::clone(&held));
            Arc::new(move || {
                probes.fetch_add(1, Ordering::SeqCst);
                let took = tokio::runtime::Handle::current().block_on(async {
                    let txn = begin_write(&other).await?;
                    txn.rollback().await?;
                    Ok::<_, Error>(())
                });
                if let Err(e) = took {
                    held.lock().unwrap().push(e.to_string());
                }
            })
        };

        let config = AuthConfig::default();
        let flows = async {
            let admin = auth::create_user(&db, "root", "a long admin pass phrase", &["admin"], true).await?;
            let ctx = Context { actor: Some(admin.clone()), ..Context::default() };
            let right = auth::sign_in(&db, &config, "root", "a long admin pass phrase", &ctx).await?;
            assert!(matches!(right, auth::SignIn::Success(_)));
            let wrong = auth::sign_in(&db, &config, "root", "not the pass phrase", &ctx).await?;
            assert!(matches!(wrong, auth::SignIn::Failed { .. }));
            let unknown = auth::sign_in(&db, &config, "nobody", "not the pass phrase", &ctx).await?;
            assert!(matches!(unknown, auth::SignIn::Failed { .. }));
            let user =
                auth::admin_create_user(&db, &config, &ctx, "anna", "a long first pass phrase", &[], false)
                    .await?;
            auth::admin_set_password(&db, &ctx, user.id, "a newer long pass phrase").await?;
            let anna = Context { actor: Some(Staff::from_model(&user, &Roles::new())), ..Context::default() };
            auth::change_own_password(
                &db,
                &config,
                &anna,
                "t",
                "a newer long pass phrase",
                "the newest pass phrase",
            )
            .await?;
            auth::two_factor::reauthenticate_with_code(
                &db,
                &config,
                "t",
                "the newest pass phrase",
                "",
                &anna,
            )
            .await?;
            Ok::<_, Error>(())
        };
        PROBE.scope(probe, flows).await.unwrap();
        // create, three sign-ins, create, reset, change (verify and hash), confirm.
        assert_eq!(probes.load(Ordering::SeqCst), 9);
        assert_eq!(held.lock().unwrap().as_slice(), &[] as &[String], "a write transaction was open");
        drop(db);
        for ext in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{ext}", path.display()));
        }
    }

    /// A request whose client hangs up is dropped mid-hash; the hash runs on, and
    /// must keep its slot until it ends, or a flood of abandoned sign-ins would run
    /// more hashes at once than there are CPUs.
    #[tokio::test]
    async fn a_dropped_caller_does_not_free_the_slot_of_a_running_hash() {
        let slots = Arc::new(Semaphore::new(1));
        let (started_tx, started_rx) = tokio::sync::oneshot::channel::<()>();
        let (finish_tx, finish_rx) = std::sync::mpsc::channel::<()>();
        let caller = tokio::spawn(in_a_slot(Arc::clone(&slots), move || {
            let _ = started_tx.send(());
            let _ = finish_rx.recv();
        }));
        started_rx.await.unwrap();
        caller.abort();
        assert!(caller.await.unwrap_err().is_cancelled());
        assert_eq!(slots.available_permits(), 0, "the running hash still holds its slot");
        finish_tx.send(()).unwrap();
        // The slot comes back once the work ends.
        let again = slots.acquire().await.unwrap();
        drop(again);
    }

    #[test]
    fn locked_message_counts_minutes() {
        assert_eq!(locked_message(1), "Too many wrong passwords. Wait 1 minute, then try again.");
        assert_eq!(locked_message(15), "Too many wrong passwords. Wait 15 minutes, then try again.");
    }
}
