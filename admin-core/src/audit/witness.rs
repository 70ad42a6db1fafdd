//! The admin's other tables as witnesses of the log: rows always written together
//! with an entry prove that entry existed.

use chrono::{Duration, NaiveDateTime};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::entry;
use crate::kernel::error::Result;

/// The first row of the admin's other tables that is always written together with
/// an entry but whose entry is not in the log, described; `None` when every such
/// row checked has its entry. Only the newest rows are checked: entries are
/// removed from the end (a removal in the middle breaks the chain).
pub(super) async fn missing_evidence(
    db: &DatabaseConnection,
    last: Option<&entry::Model>,
) -> Result<Option<String>> {
    let gone = |what: String| match last {
        None => format!("the log has no entries, but {what} shows the admin was used: the log was emptied"),
        Some(_) => format!("{what} has no entry in the log: the newest entries were removed"),
    };
    for (what, its_entry) in witnesses(db).await? {
        if its_entry.one(db).await?.is_none() {
            return Ok(Some(gone(what)));
        }
    }
    let last_seq = last.map_or(0, |e| e.seq);
    if let Some((run, upto)) = newest_recorded_seq(db).await?
        && upto > last_seq
    {
        let what = format!("action run {run} wrote entries up to {upto}");
        return Ok(Some(match last {
            None => format!("the log has no entries, but {what}: the log was emptied"),
            Some(_) => {
                format!("{what} but the log ends at entry {last_seq}: the newest entries were removed")
            }
        }));
    }
    Ok(None)
}

/// What a witness row proves: a sentence naming it, and the query that finds the
/// entry written in its transaction.
type Witnesses = Vec<(String, sea_orm::Select<entry::Entity>)>;

/// The entry of `kind` about record `id` of `model`.
fn entry_of(kind: &'static str, model: &'static str, id: i64) -> sea_orm::Select<entry::Entity> {
    entry::Entity::find()
        .filter(entry::Column::Kind.eq(kind))
        .filter(entry::Column::Model.eq(model))
        .filter(entry::Column::ObjectId.eq(id.to_string()))
}

/// The newest row of each table whose rows are written only in the same
/// transaction as an entry, described, with the query that finds that entry. Only
/// the columns needed are read, so this works on any schema version.
async fn witnesses(db: &DatabaseConnection) -> Result<Witnesses> {
    use crate::db::entities::api_token;
    use crate::db::entities::approval_request as request;
    use crate::db::entities::note;
    let mut out = Vec::new();
    let newest: Option<i64> = request::Entity::find()
        .select_only()
        .column(request::Column::Id)
        .order_by_desc(request::Column::Id)
        .into_tuple()
        .one(db)
        .await?;
    if let Some(id) = newest {
        out.push((format!("approval request {id}"), entry_of("approval_requested", "approval", id)));
    }
    let newest: Option<i64> = api_token::Entity::find()
        .select_only()
        .column(api_token::Column::Id)
        .order_by_desc(api_token::Column::Id)
        .into_tuple()
        .one(db)
        .await?;
    if let Some(id) = newest {
        out.push((format!("API token {id}"), entry_of("token_created", "api_token", id)));
    }
    sign_in_witnesses(db, &mut out).await?;
    // A note is written with its `note` entry, after it.
    let newest: Option<(i64, String, String, NaiveDateTime)> = note::Entity::find()
        .select_only()
        .columns([note::Column::Id, note::Column::Model, note::Column::ObjectId, note::Column::CreatedAt])
        .order_by_desc(note::Column::Id)
        .into_tuple()
        .one(db)
        .await?;
    if let Some((id, model, object_id, at)) = newest {
        let its_entry = entry::Entity::find()
            .filter(entry::Column::Kind.eq("note"))
            .filter(entry::Column::Model.eq(model.as_str()))
            .filter(entry::Column::ObjectId.eq(object_id.as_str()))
            .filter(entry::Column::At.gte(slack(at)));
        out.push((format!("note {id} on {model} {object_id}"), its_entry));
    }
    approval_witnesses(db, &mut out).await?;
    Ok(out)
}

/// The newest session and the newest last sign-in time: each was written with its
/// sign-in's entry.
async fn sign_in_witnesses(db: &DatabaseConnection, out: &mut Witnesses) -> Result<()> {
    use crate::db::entities::{session, staff_user};
    // A sign-in writes its session and its entry, after it, by the same clock.
    let newest: Option<(i64, NaiveDateTime)> = session::Entity::find()
        .select_only()
        .columns([session::Column::UserId, session::Column::CreatedAt])
        .order_by_desc(session::Column::CreatedAt)
        .into_tuple()
        .one(db)
        .await?;
    if let Some((user_id, created_at)) = newest {
        let its_entry = entry::Entity::find()
            .filter(entry::Column::Kind.is_in(["login", "login_password"]))
            .filter(entry::Column::ActorId.eq(user_id))
            .filter(entry::Column::At.gte(slack(created_at)));
        let when = created_at.format("%Y-%m-%d %H:%M:%S");
        out.push((format!("the sign-in of staff user {user_id} at {when}"), its_entry));
    }
    // Sessions end at sign-out; the last sign-in time stays. Only a complete
    // sign-in sets it, in the transaction of its `login` entry, written after it.
    let newest: Option<(i64, NaiveDateTime)> = staff_user::Entity::find()
        .select_only()
        .columns([staff_user::Column::Id, staff_user::Column::LastLoginAt])
        .filter(staff_user::Column::LastLoginAt.is_not_null())
        .order_by_desc(staff_user::Column::LastLoginAt)
        .into_tuple()
        .one(db)
        .await?;
    if let Some((user_id, at)) = newest {
        let its_entry = entry::Entity::find()
            .filter(entry::Column::Kind.eq("login"))
            .filter(entry::Column::ActorId.eq(user_id))
            .filter(entry::Column::At.gte(slack(at)));
        let when = at.format("%Y-%m-%d %H:%M:%S");
        out.push((format!("the last sign-in of staff user {user_id}, at {when},"), its_entry));
    }
    Ok(())
}

/// The newest approval decision, permanent failure and worker run: each was
/// written with its entry.
async fn approval_witnesses(db: &DatabaseConnection, out: &mut Witnesses) -> Result<()> {
    use crate::db::entities::approval_request as request;
    // Approving or rejecting writes the decision with its `approve` or `reject` entry.
    let newest: Option<i64> = request::Entity::find()
        .select_only()
        .column(request::Column::Id)
        .filter(request::Column::DecidedAt.is_not_null())
        .order_by_desc(request::Column::DecidedAt)
        .into_tuple()
        .one(db)
        .await?;
    if let Some(id) = newest {
        let its_entry = entry::Entity::find()
            .filter(entry::Column::Kind.is_in(["approve", "reject"]))
            .filter(entry::Column::Model.eq("approval"))
            .filter(entry::Column::ObjectId.eq(id.to_string()));
        out.push((format!("the decision on approval request {id}"), its_entry));
    }
    // A worker gives up on a request with its `approval_failed` entry.
    let newest: Option<i64> = request::Entity::find()
        .select_only()
        .column(request::Column::Id)
        .filter(request::Column::Status.eq("failed"))
        .order_by_desc(request::Column::FinishedAt)
        .into_tuple()
        .one(db)
        .await?;
    if let Some(id) = newest {
        out.push((
            format!("the failure of approval request {id}"),
            entry_of("approval_failed", "approval", id),
        ));
    }
    // A worker marks a request done in the transaction of the action's entries and
    // records their sequence numbers in its report: the last one must be there, as
    // the worker wrote it (the chain then vouches for every entry before it).
    let newest: Option<(i64, Option<String>)> = request::Entity::find()
        .select_only()
        .columns([request::Column::Id, request::Column::Report])
        .filter(request::Column::Status.eq("done"))
        .order_by_desc(request::Column::FinishedAt)
        .into_tuple()
        .one(db)
        .await?;
    let seqs = newest.and_then(|(id, report)| {
        let report: crate::audit::Report = serde_json::from_str(report.as_deref()?).ok()?;
        Some((id, report.audit_seqs?))
    });
    if let Some((id, (first, last))) = seqs {
        let its_entry = entry::Entity::find()
            .filter(entry::Column::Seq.eq(last))
            .filter(entry::Column::RequestId.eq(format!("approval-{id}")));
        out.push((
            format!("the run of approval request {id}, which wrote entries {first} to {last},"),
            its_entry,
        ));
    }
    Ok(())
}

/// The highest entry sequence number the newest action runs recorded in their
/// reports, with the run's id.
async fn newest_recorded_seq(db: &DatabaseConnection) -> Result<Option<(i64, i64)>> {
    use crate::db::entities::action_run;
    let runs: Vec<(i64, String)> = action_run::Entity::find()
        .select_only()
        .columns([action_run::Column::Id, action_run::Column::Report])
        .order_by_desc(action_run::Column::Id)
        .limit(50)
        .into_tuple()
        .all(db)
        .await?;
    Ok(runs
        .into_iter()
        .filter_map(|(id, report)| {
            let report: crate::audit::Report = serde_json::from_str(&report).ok()?;
            Some((id, report.audit_seqs?.1))
        })
        .max_by_key(|(_, upto)| *upto))
}

/// A moment a second before `t`: an entry is written after the row it goes with, by
/// the same clock, but stored times may be rounded differently.
fn slack(t: NaiveDateTime) -> NaiveDateTime {
    t - Duration::seconds(1)
}
