//! The audit trail: an append-only log of who did what, to which record, and why.
//!
//! Every entry is written in the same database transaction as the change it records,
//! so there is never a change without its entry or an entry without its change. Each
//! entry carries the SHA-256 of the previous one; [`verify`] walks the chain and
//! names the first entry that was altered, removed or inserted out of band, and
//! [`verify_against`] proves the log still holds a [`checkpoint`] the operator kept
//! elsewhere.
//!
//! Appends are serialized through a single-row head table (`admin_audit_head`): the
//! transaction that appends updates that row first, which makes concurrent appenders
//! wait their turn on PostgreSQL and SQLite alike, so the chain never forks.

use serde_json::Value as Json;
use sha2::{Digest, Sha256};

use crate::access::Staff;

mod chain;
mod checkpoint;
mod diff;
mod query;
mod reason;
mod record;
mod report;
mod witness;

pub use diff::{cell_json, diff_json, json_form_text, parse_changes, snapshot_json};
pub use query::{Filter, count_matching, facets, older_page, page, search};
pub(crate) use reason::reason_check;
pub use record::{record, record_many};
pub use report::Report;

pub use chain::{Verdict, verify, verify_against};
pub use checkpoint::{
    CHECKPOINT_TAG, CHECKPOINT_VERSION, Checkpoint, MAIN_CHAIN, checkpoint, parse_checkpoints,
};

/// Audit entries (`admin_audit`).
pub mod entry {
    use sea_orm::entity::prelude::*;

    /// One audit entry.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "admin_audit")]
    pub struct Model {
        /// Primary key.
        #[sea_orm(primary_key)]
        pub id: i64,
        /// Position in the hash chain, from 1, without gaps.
        #[sea_orm(unique)]
        pub seq: i64,
        /// When (UTC).
        #[sea_orm(indexed)]
        pub at: DateTime,
        /// The staff user's id, if a staff user acted.
        pub actor_id: Option<i64>,
        /// The staff user's name at the time (or the name tried, for failed sign-ins).
        #[sea_orm(indexed)]
        pub actor: String,
        /// The model's slug, if a record was touched.
        pub model: Option<String>,
        /// The record's primary key as text.
        pub object_id: Option<String>,
        /// `create`, `update`, `delete`, `action:{name}`, `approve`, `reject`,
        /// `login`, `login_failed`, `logout`.
        #[sea_orm(indexed)]
        pub kind: String,
        /// JSON `{field: [before, after]}`.
        #[sea_orm(column_type = "Text")]
        pub changes: String,
        /// Why, in the actor's words.
        pub reason: Option<String>,
        /// The request that made the change.
        pub request_id: Option<String>,
        /// The client's address.
        pub client_addr: Option<String>,
        /// Hash of the previous entry (64 zeros for the first).
        pub prev_hash: String,
        /// Hash of this entry.
        pub hash: String,
    }

    /// No relations are navigated from audit entries.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// The single row that orders appends (`admin_audit_head`).
pub mod head {
    use sea_orm::entity::prelude::*;

    /// The chain's head: the last sequence number and hash.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "admin_audit_head")]
    pub struct Model {
        /// Always 1.
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: i32,
        /// The last entry's sequence number.
        pub seq: i64,
        /// The last entry's hash.
        pub hash: String,
    }

    /// No relations are navigated from the head.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// The hash before the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Who is acting, why, and from which request: everything an audit entry records
/// besides the change itself.
#[derive(Clone, Debug, Default)]
pub struct Context {
    /// The staff user acting, if any (none for failed sign-ins).
    pub actor: Option<Staff>,
    /// The name to record when there is no staff user (a failed sign-in's name).
    pub actor_name: Option<String>,
    /// Why, in the actor's words.
    pub reason: Option<String>,
    /// The request id.
    pub request_id: Option<String>,
    /// The client's address.
    pub client_addr: Option<String>,
    /// When set, [`record`] gathers the entries here instead of writing them,
    /// for the caller to write them all at once ([`AuditBatch::write`]) in the
    /// same transaction: an import's chunk of hundreds of records.
    pub batch: Option<AuditBatch>,
}

/// Entries gathered by [`record`] for a [`Context`] that carries this batch, to be
/// written together, in order, by [`AuditBatch::write`] (or dropped with the rows
/// they describe: [`AuditBatch::truncate`]).
#[derive(Clone, Debug, Default)]
pub struct AuditBatch(std::sync::Arc<std::sync::Mutex<Vec<Gathered>>>);

/// One gathered entry: kind, model, record, changes.
type Gathered = (String, Option<String>, Option<String>, Json);

impl AuditBatch {
    fn push(&self, e: &Event<'_>) {
        if let Ok(mut v) = self.0.lock() {
            v.push((
                e.kind.to_owned(),
                e.model.map(str::to_owned),
                e.object_id.map(str::to_owned),
                e.changes.clone(),
            ));
        }
    }

    /// How many entries are gathered.
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.lock().map_or(0, |v| v.len())
    }

    /// Whether none is.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drops the entries gathered after the first `n` (the writes they describe
    /// were rolled back).
    pub fn truncate(&self, n: usize) {
        if let Ok(mut v) = self.0.lock() {
            v.truncate(n);
        }
    }

    /// Writes the gathered entries in `txn` with `ctx`'s actor, reason and
    /// request (as [`record_many`]), and empties the batch.
    ///
    /// # Errors
    /// `Db` when the database refuses; the caller's transaction must then roll back.
    pub async fn write<C: sea_orm::ConnectionTrait>(
        &self,
        txn: &C,
        ctx: &Context,
    ) -> crate::kernel::error::Result<()> {
        let taken = self.0.lock().map(|mut v| std::mem::take(&mut *v)).unwrap_or_default();
        let events = taken
            .iter()
            .map(|(kind, model, object_id, changes)| Event {
                kind,
                model: model.as_deref(),
                object_id: object_id.as_deref(),
                changes: changes.clone(),
            })
            .collect();
        record_many(txn, ctx, events).await?;
        Ok(())
    }
}

impl Context {
    /// A context for a staff user's request.
    #[must_use]
    pub fn staff(staff: &Staff) -> Self {
        Self { actor: Some(staff.clone()), ..Self::default() }
    }

    /// Adds a reason.
    #[must_use]
    pub fn with_reason(mut self, reason: Option<String>) -> Self {
        self.reason = reason.map(|r| r.trim().to_owned()).filter(|r| !r.is_empty());
        self
    }
}

/// What to record: the kind, the record, and the field changes.
#[derive(Clone, Debug)]
pub struct Event<'a> {
    /// `create`, `update`, `delete`, `action:{name}`, `login`, ….
    pub kind: &'a str,
    /// The model's slug.
    pub model: Option<&'a str>,
    /// The record's key.
    pub object_id: Option<&'a str>,
    /// `{field: [before, after]}`.
    pub changes: Json,
}

/// The hash of an entry: SHA-256 over its previous hash and every recorded value,
/// each length-prefixed so no two different entries hash the same.
#[must_use]
pub fn entry_hash(e: &entry::Model) -> String {
    let mut h = Sha256::new();
    let at = e.at.format("%Y-%m-%d %H:%M:%S%.6f").to_string();
    let actor_id = e.actor_id.map(|i| i.to_string());
    let parts: [Option<&str>; 11] = [
        Some(&e.prev_hash),
        Some(&e.seq.to_string()),
        Some(&at),
        actor_id.as_deref(),
        Some(&e.actor),
        e.model.as_deref(),
        e.object_id.as_deref(),
        Some(&e.kind),
        Some(&e.changes),
        e.reason.as_deref(),
        e.request_id.as_deref(),
    ];
    for p in parts.iter().chain([&e.client_addr.as_deref()]) {
        match p {
            Some(s) => {
                h.update((s.len() as u64).to_be_bytes());
                h.update(s.as_bytes());
            }
            None => h.update(u64::MAX.to_be_bytes()),
        }
    }
    hex::encode(h.finalize())
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDateTime;

    use super::*;

    fn sample() -> entry::Model {
        entry::Model {
            id: 1,
            seq: 1,
            at: NaiveDateTime::default(),
            actor_id: Some(1),
            actor: "alice".into(),
            model: Some("account".into()),
            object_id: Some("42".into()),
            kind: "update".into(),
            changes: r#"{"plan":["trial","annual"]}"#.into(),
            reason: None,
            request_id: None,
            client_addr: None,
            prev_hash: GENESIS.into(),
            hash: String::new(),
        }
    }

    #[test]
    fn the_hash_covers_every_recorded_value() {
        let base = entry_hash(&sample());
        let mut e = sample();
        e.reason = Some(String::new());
        assert_ne!(entry_hash(&e), base, "an empty reason differs from none");
        let mut e = sample();
        e.changes = r#"{"plan":["trial","monthly"]}"#.into();
        assert_ne!(entry_hash(&e), base);
        let mut e = sample();
        e.actor = "mallory".into();
        assert_ne!(entry_hash(&e), base);
        let mut e = sample();
        e.client_addr = Some("10.0.0.1".into());
        assert_ne!(entry_hash(&e), base);
        assert_eq!(entry_hash(&sample()), base);
    }

    #[test]
    fn stored_changes_parse_back_for_display() {
        let rows = parse_changes(r#"{"manual_review":[false,true],"last_error":["x",null]}"#);
        assert!(rows.contains(&("manual_review".into(), "no".into(), "yes".into())));
        assert!(rows.contains(&("last_error".into(), "x".into(), String::new())));
        assert!(parse_changes("not json").is_empty());
    }
}
