//! Proving the log whole: walking the hash chain ([`verify`]), comparing it with
//! checkpoints the operator keeps elsewhere ([`checkpoint`], [`verify_against`]),
//! and comparing it with the admin's other tables, whose rows are always written
//! together with an entry.

use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::checkpoint::{Checkpoint, MAIN_CHAIN};
use super::witness::missing_evidence;
use super::{GENESIS, entry, entry_hash, head};
use crate::kernel::error::Result;

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
