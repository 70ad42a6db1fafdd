//! Checkpoints: the head of each chain as a line of text the operator keeps where the
//! database's writers cannot reach, for [`verify_against`](super::verify_against).
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

use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use super::{entry, head};
use crate::kernel::error::{Error, Result};

/// The first word of every checkpoint line.
pub const CHECKPOINT_TAG: &str = "opsadmin-audit-checkpoint";
/// The version of the checkpoint format this release writes and reads.
pub const CHECKPOINT_VERSION: &str = "v1";
/// The name of the one chain the log has today.
pub const MAIN_CHAIN: &str = "main";

/// The head of one chain at one moment: which entry was the newest, and its hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    /// The chain's name ([`MAIN_CHAIN`]).
    pub chain: String,
    /// The newest entry's sequence number (0 for an empty log).
    pub seq: i64,
    /// The newest entry's hash ([`GENESIS`](super::GENESIS) for an empty log).
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
/// [`verify`](super::verify) to see why); `Db` when the database fails.
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
