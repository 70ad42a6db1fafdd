//! The door's numbers for operators: what a health check and a metrics scrape read.
//! Counts and ages only, never a record, a name or an error text, so an application
//! may serve them to its monitoring without a signed-in caller.

use chrono::NaiveDateTime;
use sea_orm::sea_query::{Expr, ExprTrait, SimpleExpr};
use sea_orm::{ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect};

use super::prelude::*;
use crate::effect::{self, row as effect_row};
use crate::kernel::clock::now;

/// What the admin's queues hold now (see [`Service::gauges`]).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Gauges {
    /// Approval requests waiting for a decision (`pending`).
    pub approvals_waiting: u64,
    /// Effects in each state of [`crate::effect::STATES`], every state listed (0 included).
    pub effects: Vec<(&'static str, u64)>,
    /// Seconds since the oldest approved request became due for the worker (0 when none is due).
    pub approval_lag_seconds: f64,
    /// Seconds since the oldest effect became due for the worker (0 when none is due).
    pub effect_lag_seconds: f64,
    /// When any worker was last seen, if ever (UTC).
    pub worker_last_seen: Option<NaiveDateTime>,
}

/// The database's answer to a health check (see [`Service::health`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Health {
    /// Whether the database answered.
    pub database: bool,
    /// When any worker was last seen, if ever and if the database answered (UTC).
    pub worker_last_seen: Option<NaiveDateTime>,
}

/// `MIN(expr)` over the rows of `E` matching `cond`, as a time.
async fn oldest<E: EntityTrait>(
    db: &sea_orm::DatabaseConnection,
    expr: SimpleExpr,
    cond: Condition,
) -> Result<Option<NaiveDateTime>> {
    let found: Option<Option<NaiveDateTime>> =
        E::find().select_only().column_as(expr.min(), "oldest").filter(cond).into_tuple().one(db).await?;
    Ok(found.flatten())
}

/// Seconds from the earliest of `times` to `t`, 0 when there is none.
fn age(t: NaiveDateTime, times: [Option<NaiveDateTime>; 2]) -> f64 {
    times.into_iter().flatten().min().map_or(0.0, |due| {
        let ms = std::cmp::Ord::max((t - due).num_milliseconds(), 0);
        // Ages in milliseconds fit an f64 exactly for millions of years.
        #[allow(clippy::cast_precision_loss)]
        let secs = ms as f64 / 1000.0;
        secs
    })
}

impl Service {
    /// Whether the database answers, and when a worker was last seen: for a
    /// readiness check. Never fails: an unreachable database is `database: false`.
    pub async fn health(&self) -> Health {
        if self.db.ping().await.is_err() {
            return Health { database: false, worker_last_seen: None };
        }
        match effect::last_seen(&self.db).await {
            Ok(seen) => Health { database: true, worker_last_seen: seen },
            Err(_) => Health { database: false, worker_last_seen: None },
        }
    }

    /// The queues' numbers for metrics, read now: approvals waiting, effects by
    /// state, the worker's lag (the age of the oldest item due for it: approved
    /// and due, queued and due, or running with an expired lease) and when a worker
    /// was last seen. A handful of counting queries; call it per scrape, not per request.
    ///
    /// # Errors
    /// `Db` when the database fails.
    pub async fn gauges(&self) -> Result<Gauges> {
        let t = now();
        let db = &self.db;
        let approvals_waiting =
            request::Entity::find().filter(request::Column::Status.eq("pending")).count(db).await?;
        let counted: Vec<(String, i64)> = effect_row::Entity::find()
            .select_only()
            .column(effect_row::Column::State)
            .column_as(effect_row::Column::Id.count(), "n")
            .group_by(effect_row::Column::State)
            .into_tuple()
            .all(db)
            .await?;
        let effects = effect::STATES
            .iter()
            .map(|&s| {
                let n = counted.iter().find(|(state, _)| state == s).map_or(0, |(_, n)| *n);
                (s, n.unsigned_abs())
            })
            .collect();
        let due = |status: SimpleExpr, next: SimpleExpr| {
            Condition::all().add(status).add(Condition::any().add(next.clone().is_null()).add(next.lte(t)))
        };
        let approval_due = oldest::<request::Entity>(
            db,
            Expr::expr(Expr::col(request::Column::NextAttemptAt))
                .if_null(Expr::col(request::Column::DecidedAt)),
            due(request::Column::Status.eq("approved"), Expr::col(request::Column::NextAttemptAt)),
        )
        .await?;
        let approval_stuck = oldest::<request::Entity>(
            db,
            Expr::col(request::Column::LeaseUntil),
            Condition::all()
                .add(request::Column::Status.eq("running"))
                .add(request::Column::LeaseUntil.lt(t)),
        )
        .await?;
        let effect_due = oldest::<effect_row::Entity>(
            db,
            Expr::expr(Expr::col(effect_row::Column::NextAttemptAt))
                .if_null(Expr::col(effect_row::Column::CreatedAt)),
            due(effect_row::Column::State.eq("queued"), Expr::col(effect_row::Column::NextAttemptAt)),
        )
        .await?;
        let effect_stuck = oldest::<effect_row::Entity>(
            db,
            Expr::col(effect_row::Column::LeaseUntil),
            Condition::all()
                .add(effect_row::Column::State.eq("running"))
                .add(effect_row::Column::LeaseUntil.lt(t)),
        )
        .await?;
        Ok(Gauges {
            approvals_waiting,
            effects,
            approval_lag_seconds: age(t, [approval_due, approval_stuck]),
            effect_lag_seconds: age(t, [effect_due, effect_stuck]),
            worker_last_seen: effect::last_seen(db).await?,
        })
    }
}
