//! What an action run did, per record: kept with its idempotency key and witnessed
//! by the audit chain.

use serde::{Deserialize, Serialize};

/// What a run did, per record. Stored with the idempotency key, so a repeated
/// submission shows it again instead of running twice.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// `(key, note)` for each record acted on.
    pub done: Vec<(String, String)>,
    /// `(key, reason)` for each record left alone.
    pub skipped: Vec<(String, String)>,
    /// The audit entries written, by sequence number (first, last), if any.
    pub audit_seqs: Option<(i64, i64)>,
    /// The run's id (`admin_action_run`), where its result page, undo and effects
    /// are found. Not stored inside the run's own row; filled in when read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_id: Option<i64>,
}
