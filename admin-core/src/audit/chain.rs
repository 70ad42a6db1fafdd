//! Proving the log whole: walking the hash chain ([`verify`]), comparing it with
//! checkpoints the operator keeps elsewhere ([`checkpoint`], [`verify_against`]),
//! and comparing it with the admin's other tables, whose rows are always written
//! together with an entry.
//!
//! A checkpoint is one line of text per chain, which names the chain so that a log
//! split into several chains later keeps the same format:
//!
//! ```text
//! opsadmin-audit-checkpoint v1 chain=main seq=1234 hash=9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
//! ```
//!
//! ```
//! use admin_core::audit::{Checkpoint, parse_checkpoints};
//!
//! let line = "opsadmin-audit-checkpoint v1 chain=main seq=2 hash=".to_owned() + &"ab".repeat(32);
//! let parsed = parse_checkpoints(&format!("# kept by the nightly job\n{line}\n")).unwrap();
//! assert_eq!(parsed, vec![Checkpoint { chain: "main".into(), seq: 2, hash: "ab".repeat(32) }]);
//! assert_eq!(parsed[0].to_string(), line);
//! assert!(parse_checkpoints("seq=2").is_err());
//! ```

use std::fmt;

use chrono::{Duration, NaiveDateTime};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::{GENESIS, entry, entry_hash, head};
use crate::kernel::error::{Error, Result};

/// The first word of every checkpoint line.
pub const CHECKPOINT_TAG: &str = "opsadmin-audit-checkpoint";
/// The version of the checkpoint format this release writes and reads.
pub const CHECKPOINT_VERSION: &str = "v1";
/// The name of the one chain the log has today.
pub const MAIN_CHAIN: &str = "main";

/// The outcome of [`verify`] and [`verify_against`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Every entry checks out.
    Intact {
        /// How many entries were checked.
        entries: u64,
    },
    /// The first problem found, and where.
    Broken {
        /// The sequence number of the entry at fault, or of the entry that should
        /// be there.
        seq: i64,
        /// Its id (0 when the entry is not there).
        id: i64,
        /// What is wrong, in plain words.
        problem: String,
    },
}

/// The head of one chain at one moment: which entry was the newest, and its hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    /// The chain's name ([`MAIN_CHAIN`]).
    pub chain: String,
    /// The newest entry's sequence number (0 for an empty log).
    pub seq: i64,
    /// The newest entry's hash ([`GENESIS`] for an empty log).
    pub hash: String,
}

impl fmt::Display for Checkpoint {
    /// `opsadmin-audit-checkpoint v1 chain=main seq=1234 hash=…`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{CHECKPOINT_TAG} {CHECKPOINT_VERSION} chain={} seq={} hash={}",
            self.chain, self.seq, self.hash
        )
    }
}

/// Reads checkpoint lines: one per chain and moment, in any number (an operator may
/// append one every night). Blank lines and lines starting with `#` are skipped.
///
/// # Errors
/// A sentence naming the first line that is not a checkpoint, or saying there is
/// none.
pub fn parse_checkpoints(text: &str) -> std::result::Result<Vec<Checkpoint>, String> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        out.push(parse_line(line).map_err(|why| format!("Line {} is not a checkpoint: {why}", n + 1))?);
    }
    if out.is_empty() {
        return Err(format!(
            "There is no checkpoint in it; a checkpoint is a line like \
             `{CHECKPOINT_TAG} {CHECKPOINT_VERSION} chain={MAIN_CHAIN} seq=1234 hash=…`, \
             as `audit checkpoint` prints it."
        ));
    }
    Ok(out)
}

fn parse_line(line: &str) -> std::result::Result<Checkpoint, String> {
    let mut words = line.split_whitespace();
    if words.next() != Some(CHECKPOINT_TAG) {
        return Err(format!("it does not start with `{CHECKPOINT_TAG}`."));
    }
    match words.next() {
        Some(CHECKPOINT_VERSION) => {}
        Some(v) => {
            return Err(format!("its format {v} is not one this release reads ({CHECKPOINT_VERSION})."));
        }
        None => return Err("it ends after the first word.".to_owned()),
    }
    let (mut chain, mut seq, mut hash) = (None, None, None);
    for word in words {
        match word.split_once('=') {
            Some(("chain", v)) if chain.is_none() && !v.is_empty() => chain = Some(v.to_owned()),
            Some(("seq", v)) if seq.is_none() => {
                seq = Some(v.parse::<i64>().ok().filter(|s| *s >= 0).ok_or("its seq is not a number.")?);
            }
            Some(("hash", v)) if hash.is_none() => {
                if v.len() != 64 || !v.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
                    return Err("its hash is not 64 lowercase hex digits.".to_owned());
                }
                hash = Some(v.to_owned());
            }
            _ => return Err(format!("\u{201c}{word}\u{201d} is not chain=, seq= or hash= (once each).")),
        }
    }
    match (chain, seq, hash) {
        (Some(chain), Some(seq), Some(hash)) => Ok(Checkpoint { chain, seq, hash }),
        _ => Err("it needs chain=, seq= and hash=.".to_owned()),
    }
}

/// The head of every chain now, for the operator to keep where the database's users
/// cannot write (a log store, a ticket, a printout). One chain today: [`MAIN_CHAIN`].
///
/// # Errors
/// `Refused` when the head row is missing or does not match the newest entry (run
/// [`verify`] to see why); `Db` when the database fails.
pub async fn checkpoint(db: &DatabaseConnection) -> Result<Vec<Checkpoint>> {
    let head = head::Entity::find_by_id(1).one(db).await?.ok_or_else(|| {
        Error::Refused("The audit log's head row is missing, so there is no head to record.".to_owned())
    })?;
    if head.seq > 0 {
        let newest = entry::Entity::find().filter(entry::Column::Seq.eq(head.seq)).one(db).await?;
        if newest.is_none_or(|e| e.hash != head.hash) {
            return Err(Error::Refused(format!(
                "The audit log's head (entry {}) does not match its entries, so it is not recorded; \
                 run `audit verify` to see what is wrong.",
                head.seq
            )));
        }
    }
    Ok(vec![Checkpoint { chain: MAIN_CHAIN.to_owned(), seq: head.seq, hash: head.hash }])
}

/// Walks the whole chain in order and reports the first problem: an entry altered,
/// removed or inserted out of band; a head row that is missing or does not match the
/// newest entry; or a log that lacks entries the admin's other tables prove were
/// written (an emptied log, or one cut back with its head rewritten to match, when
/// a record of the cut part survives elsewhere).
///
/// Someone who can write to the database and rewrites the chain from some entry on,
/// hashes included, is found only by [`verify_against`] a checkpoint taken before.
///
/// # Errors
/// `Db` when the database fails.
pub async fn verify(db: &DatabaseConnection) -> Result<Verdict> {
    const BATCH: u64 = 5_000;
    let mut prev = GENESIS.to_owned();
    let mut expected_seq = 1i64;
    let mut checked = 0u64;
    let mut last: Option<entry::Model> = None;
    loop {
        let batch = entry::Entity::find()
            .filter(entry::Column::Seq.gte(expected_seq))
            .order_by_asc(entry::Column::Seq)
            .limit(BATCH)
            .all(db)
            .await?;
        if batch.is_empty() {
            break;
        }
        for e in &batch {
            let broken = |problem: String| Verdict::Broken { seq: e.seq, id: e.id, problem };
            if e.seq != expected_seq {
                return Ok(broken(format!("entry {expected_seq} is missing (the next one is {})", e.seq)));
            }
            if e.prev_hash != prev {
                return Ok(broken(format!(
                    "entry {} does not follow entry {}: an entry was removed or inserted",
                    e.seq,
                    e.seq - 1
                )));
            }
            if entry_hash(e) != e.hash {
                return Ok(broken(format!("entry {} was altered after it was written", e.seq)));
            }
            prev.clone_from(&e.hash);
            expected_seq += 1;
            checked += 1;
        }
        last = batch.into_iter().last();
    }
    let last_seq = expected_seq - 1;
    let broken = |problem: String| Verdict::Broken { seq: expected_seq, id: 0, problem };
    // The head is written with every entry: it must name the newest one.
    let Some(h) = head::Entity::find_by_id(1).one(db).await? else {
        return Ok(broken(format!(
            "the head row (admin_audit_head) is missing, with {last_seq} entries in the log: \
             it was deleted out of band"
        )));
    };
    if h.seq > last_seq {
        return Ok(broken(format!(
            "the log ends at entry {last_seq} but {} entries were written: the newest were removed",
            h.seq
        )));
    }
    if h.seq < last_seq {
        return Ok(broken(format!(
            "the head says {} entries were written but the log goes on to entry {last_seq}: \
             the head was rewritten",
            h.seq
        )));
    }
    if h.hash != prev {
        return Ok(broken(format!(
            "the head's hash does not match entry {last_seq}: the head was rewritten"
        )));
    }
    if let Some(problem) = missing_evidence(db, last.as_ref()).await? {
        return Ok(broken(problem));
    }
    Ok(Verdict::Intact { entries: checked })
}

/// Like [`verify`], and then proves that the log still holds each checkpoint's
/// entry with its hash, and so (the chain being intact) every entry before it as it
/// was when the checkpoint was taken.
///
/// # Errors
/// `Db` when the database fails.
pub async fn verify_against(db: &DatabaseConnection, checkpoints: &[Checkpoint]) -> Result<Verdict> {
    let verdict = verify(db).await?;
    if matches!(verdict, Verdict::Broken { .. }) {
        return Ok(verdict);
    }
    for cp in checkpoints {
        let broken = |id: i64, problem: String| Ok(Verdict::Broken { seq: cp.seq, id, problem });
        if cp.chain != MAIN_CHAIN {
            return broken(
                0,
                format!(
                    "the checkpoint names the chain \u{201c}{}\u{201d}, which this log does not have",
                    cp.chain
                ),
            );
        }
        if cp.seq == 0 {
            if cp.hash != GENESIS {
                return broken(
                    0,
                    "the checkpoint of the empty log has a hash other than the start's".to_owned(),
                );
            }
            continue;
        }
        match entry::Entity::find().filter(entry::Column::Seq.eq(cp.seq)).one(db).await? {
            None => {
                return broken(
                    0,
                    format!(
                        "entry {}, which the checkpoint records, is not in the log: the log was cut back",
                        cp.seq
                    ),
                );
            }
            Some(e) if e.hash != cp.hash => {
                return broken(
                    e.id,
                    format!(
                        "entry {} differs from the checkpoint: the log was rewritten at or before it",
                        cp.seq
                    ),
                );
            }
            Some(_) => {}
        }
    }
    Ok(verdict)
}

/// The first row of the admin's other tables that is always written together with
/// an entry but whose entry is not in the log, described; `None` when every such
/// row checked has its entry. Only the newest rows are checked: entries are
/// removed from the end (a removal in the middle breaks the chain).
async fn missing_evidence(db: &DatabaseConnection, last: Option<&entry::Model>) -> Result<Option<String>> {
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
