//! Sign-in throttling: failed passwords count per user name and per client
//! address, and a count that reaches its limit locks the name or the address for a
//! while ([`crate::auth::ThrottlePolicy`]).

use chrono::NaiveDateTime;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    QueryFilter, QuerySelect,
};

use crate::auth::ThrottlePolicy;
use crate::db::entities::login_throttle;
use crate::db::txn::begin_write;
use crate::kernel::clock::now;
use crate::kernel::error::{Error, Result};

/// The throttle keys of a password check: the user name (first, flagged `true`) and
/// the client's address. Sign-in and password confirmations share them.
pub(crate) fn throttle_keys(username: &str, addr: Option<&str>) -> Vec<(String, bool)> {
    let mut keys = vec![(format!("user:{}", username.to_lowercase()), true)];
    if let Some(a) = addr {
        keys.push((format!("addr:{a}"), false));
    }
    keys
}

/// A password attempt counted before its password is checked ([`reserve_attempt`]):
/// the number of this attempt in the window, for every key of [`throttle_keys`].
#[derive(Clone, Debug)]
pub(crate) struct Reservation {
    counts: Vec<i32>,
}

/// What [`reserve_attempt`] decided.
#[derive(Clone, Debug)]
pub(crate) enum Attempt {
    /// The password may be checked.
    Go(Reservation),
    /// A key is locked: the password must not be checked. `just_locked` when this
    /// attempt, one over the limit, set the lock (to be audited).
    Locked {
        /// Minutes left on the lock (rounded up).
        minutes: i64,
        /// This attempt set the lock.
        just_locked: bool,
    },
}

fn limit_of(per_user: bool, policy: &ThrottlePolicy) -> i32 {
    if per_user { policy.max_failures_per_user } else { policy.max_failures_per_address }
}

/// Counts a password attempt for every key *before* the password is checked, in one
/// write transaction with an atomic upsert per key (`failures = failures + 1`), so
/// that concurrent attempts each get their own number: check and count are one
/// step. While a key is locked nothing is counted and the password is not checked;
/// an attempt past a key's limit (others still being checked) locks the key and is
/// not checked either. A right password gives its attempt back
/// ([`release_attempt`]); a wrong one locks the keys it brought to their limit
/// ([`lock_reached`]).
pub(crate) async fn reserve_attempt(
    db: &DatabaseConnection,
    keys: &[(String, bool)],
    policy: &ThrottlePolicy,
) -> Result<Attempt> {
    use sea_orm::sea_query::{Expr, OnConflict};
    let t = now();
    let txn = begin_write(db).await?;
    let mut counts = Vec::with_capacity(keys.len());
    for (key, per_user) in keys {
        login_throttle::Entity::insert(login_throttle::ActiveModel {
            key: Set(key.clone()),
            failures: Set(1),
            window_start: Set(t),
            locked_until: Set(None),
        })
        .on_conflict(
            OnConflict::column(login_throttle::Column::Key)
                .value(
                    login_throttle::Column::Failures,
                    sea_orm::sea_query::ExprTrait::add(
                        Expr::col((login_throttle::Entity, login_throttle::Column::Failures)),
                        1,
                    ),
                )
                .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
        // The upsert holds the row until commit: what is read is this attempt's count.
        let row = login_throttle::Entity::find_by_id(key.clone())
            .one(&txn)
            .await?
            .ok_or_else(|| Error::Internal("the throttle row vanished".to_owned()))?;
        if let Some(until) = row.locked_until.filter(|u| *u > t) {
            // Locked: count nothing.
            txn.rollback().await?;
            return Ok(Attempt::Locked {
                minutes: ((until - t).num_seconds() + 59).div_euclid(60).max(1),
                just_locked: false,
            });
        }
        let stale = row.locked_until.is_some() || t - row.window_start >= policy.window;
        let n = if stale { 1 } else { row.failures };
        if n > limit_of(*per_user, policy) {
            lock(&txn, key, t, policy).await?;
            txn.commit().await?;
            return Ok(Attempt::Locked { minutes: policy.lockout.num_minutes().max(1), just_locked: true });
        }
        if stale {
            let am = login_throttle::ActiveModel {
                key: Set(key.clone()),
                failures: Set(1),
                window_start: Set(t),
                locked_until: Set(None),
            };
            am.update(&txn).await?;
        }
        counts.push(n);
    }
    txn.commit().await?;
    Ok(Attempt::Go(Reservation { counts }))
}

async fn lock<C: ConnectionTrait>(
    conn: &C,
    key: &str,
    t: NaiveDateTime,
    policy: &ThrottlePolicy,
) -> Result<()> {
    login_throttle::ActiveModel {
        key: Set(key.to_owned()),
        failures: Set(0),
        window_start: Set(t),
        locked_until: Set(Some(t + policy.lockout)),
    }
    .update(conn)
    .await?;
    Ok(())
}

/// After a wrong password, in the write transaction that audits it: locks every key
/// this attempt brought to its limit (unless locked meanwhile). Returns the user
/// name's count and whether this attempt set a lock.
pub(crate) async fn lock_reached<C: ConnectionTrait>(
    conn: &C,
    keys: &[(String, bool)],
    reservation: &Reservation,
    policy: &ThrottlePolicy,
) -> Result<(i32, bool)> {
    let t = now();
    let mut locked = false;
    for ((key, per_user), n) in keys.iter().zip(&reservation.counts) {
        if *n < limit_of(*per_user, policy) {
            continue;
        }
        let row = login_throttle::Entity::find_by_id(key.clone()).lock_exclusive().one(conn).await?;
        if row.is_some_and(|r| r.locked_until.is_none_or(|u| u <= t)) {
            lock(conn, key, t, policy).await?;
            locked = true;
        }
    }
    Ok((reservation.counts.first().copied().unwrap_or(0), locked))
}

/// After a right password, in a write transaction: clears the user name's failures
/// and gives the address its attempt back.
pub(crate) async fn release_attempt<C: ConnectionTrait>(conn: &C, keys: &[(String, bool)]) -> Result<()> {
    use sea_orm::sea_query::Expr;
    for (key, per_user) in keys {
        if *per_user {
            login_throttle::Entity::delete_by_id(key.clone()).exec(conn).await?;
        } else {
            login_throttle::Entity::update_many()
                .col_expr(
                    login_throttle::Column::Failures,
                    sea_orm::sea_query::ExprTrait::sub(
                        Expr::col((login_throttle::Entity, login_throttle::Column::Failures)),
                        1,
                    ),
                )
                .filter(login_throttle::Column::Key.eq(key.as_str()))
                .filter(login_throttle::Column::Failures.gt(0))
                .filter(login_throttle::Column::LockedUntil.is_null())
                .exec(conn)
                .await?;
        }
    }
    Ok(())
}

/// Counts one failure for `key` (the two-factor code throttle); returns the failures
/// in the window and whether this one locked the key. The count is an atomic upsert,
/// so concurrent failures neither get lost nor collide on a new key.
pub(crate) async fn count_failure<C: ConnectionTrait>(
    conn: &C,
    key: &str,
    limit: i32,
    policy: &ThrottlePolicy,
) -> Result<(i32, bool)> {
    use sea_orm::sea_query::{Expr, OnConflict};
    let t = now();
    login_throttle::Entity::insert(login_throttle::ActiveModel {
        key: Set(key.to_owned()),
        failures: Set(0),
        window_start: Set(t),
        locked_until: Set(None),
    })
    .on_conflict(
        OnConflict::column(login_throttle::Column::Key)
            .value(
                login_throttle::Column::Failures,
                Expr::col((login_throttle::Entity, login_throttle::Column::Failures)),
            )
            .to_owned(),
    )
    .exec_without_returning(conn)
    .await?;
    let row = login_throttle::Entity::find_by_id(key.to_owned())
        .lock_exclusive()
        .one(conn)
        .await?
        .ok_or_else(|| Error::Internal("the throttle row vanished".to_owned()))?;
    let (failures, window_start) =
        if t - row.window_start < policy.window && row.locked_until.is_none_or(|u| u <= t) {
            (row.failures + 1, row.window_start)
        } else {
            (1, t)
        };
    let locked = failures >= limit;
    login_throttle::ActiveModel {
        key: Set(key.to_owned()),
        failures: Set(if locked { 0 } else { failures }),
        window_start: Set(if locked { t } else { window_start }),
        locked_until: Set(locked.then(|| t + policy.lockout)),
    }
    .update(conn)
    .await?;
    Ok((failures, locked))
}
