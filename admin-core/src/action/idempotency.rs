//! Idempotency keys: a key belongs to one staff user and names one request.
//!
//! A confirmation form, an API client or a script sends a key with an action request
//! so that sending it twice runs it once. The key is its sender's own: another staff
//! user's same key is unrelated to it. And it is bound to the request it first came
//! with, through a [`fingerprint`] of the model, the action, the records (as a set),
//! the typed input and the reason. The service's `run_action` then answers:
//!
//! - the same key with the same request: the first answer again (the first run's
//!   report, or the same approval request), and nothing runs twice;
//! - the same key with a different request (other records, input, reason, action or
//!   model): a refusal, [`KEY_REUSED`], which the screens and the JSON API show as
//!   409. Never a silent skip, never another request's report.
//!
//! Runs and approval requests made before keys were bound (schema version 4) carry
//! [`LEGACY_FINGERPRINT`], which no request matches: their keys are refused rather
//! than guessed at.
//!
//! ```
//! use admin_core::action::idempotency::fingerprint;
//! use serde_json::json;
//!
//! let ids = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
//! let a = fingerprint("account", "lock_account", &ids(&["97", "3"]), &json!({"kind": "fraud"}), Some("Card testing"));
//! // The records are a set: their order does not matter.
//! let b = fingerprint("account", "lock_account", &ids(&["3", "97"]), &json!({"kind": "fraud"}), Some("Card testing"));
//! assert_eq!(a, b);
//! // Anything else does.
//! let c = fingerprint("account", "lock_account", &ids(&["96"]), &json!({"kind": "fraud"}), Some("Card testing"));
//! assert_ne!(a, c);
//! ```

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde_json::Value as Json;
use sha2::{Digest, Sha256};

use crate::db::entities::action_run;
use crate::kernel::error::{Error, FieldError, Result};

/// The refusal for a key sent again with a different request (HTTP 409).
pub const KEY_REUSED: &str = "This idempotency key was already used for a different request.";

/// The longest key accepted, in characters.
pub const MAX_KEY_LEN: usize = 100;

/// The fingerprint of runs and approval requests recorded before keys were bound to
/// their request: no request matches it, so such a key is refused, not replayed.
pub const LEGACY_FINGERPRINT: &str = "legacy";

/// A key together with the request it names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Binding {
    /// The key as sent (trimmed).
    pub key: String,
    /// The model's slug.
    pub model: String,
    /// The action's name.
    pub action: String,
    /// The request's [`fingerprint`].
    pub fingerprint: String,
}

impl Binding {
    /// Binds `key` to a request.
    #[must_use]
    pub fn new(
        key: &str,
        model: &str,
        action: &str,
        ids: &[String],
        input: &Json,
        reason: Option<&str>,
    ) -> Self {
        Self {
            key: key.to_owned(),
            model: model.to_owned(),
            action: action.to_owned(),
            fingerprint: fingerprint(model, action, ids, input, reason),
        }
    }

    /// Whether a recorded use of the key (its model, action and fingerprint) was this
    /// very request.
    #[must_use]
    pub fn matches(&self, model: &str, action: &str, fingerprint: &str) -> bool {
        self.model == model && self.action == action && self.fingerprint == fingerprint
    }
}

/// The SHA-256 (hex) of a request in canonical form: the model, the action, the
/// record keys sorted and without repeats, the input as JSON with its object keys
/// sorted, and the reason.
#[must_use]
pub fn fingerprint(model: &str, action: &str, ids: &[String], input: &Json, reason: Option<&str>) -> String {
    let mut ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    ids.sort_unstable();
    ids.dedup();
    let canonical = serde_json::json!({
        "model": model,
        "action": action,
        "ids": ids,
        "input": canonical_json(input),
        "reason": reason,
    });
    let digest = Sha256::digest(canonical_json(&canonical).to_string().as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// `value` with every object's keys in sorted order, whatever map serde_json was
/// built with.
fn canonical_json(value: &Json) -> Json {
    match value {
        Json::Object(map) => {
            let mut entries: Vec<(&String, &Json)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            Json::Object(entries.into_iter().map(|(k, v)| (k.clone(), canonical_json(v))).collect())
        }
        Json::Array(items) => Json::Array(items.iter().map(canonical_json).collect()),
        other => other.clone(),
    }
}

/// The key of a request: trimmed, `None` when absent or blank.
///
/// # Errors
/// `Invalid` (a message for the whole form) when it is longer than [`MAX_KEY_LEN`]
/// characters or holds control characters: such a key is refused, not ignored, so
/// a repeated request cannot run twice unnoticed.
pub fn parse_key(raw: Option<&str>) -> Result<Option<String>> {
    let Some(key) = raw.map(str::trim).filter(|k| !k.is_empty()) else { return Ok(None) };
    if key.chars().count() > MAX_KEY_LEN {
        return Err(Error::Invalid(vec![FieldError::form(format!(
            "The idempotency key is too long: use at most {MAX_KEY_LEN} characters."
        ))]));
    }
    if key.chars().any(char::is_control) {
        return Err(Error::Invalid(vec![FieldError::form(
            "The idempotency key may hold only printable characters.",
        )]));
    }
    Ok(Some(key.to_owned()))
}

/// The refusal for a key sent again with a different request.
#[must_use]
pub fn reused() -> Error {
    Error::Refused(KEY_REUSED.to_owned())
}

/// Whether `e` is the refusal of [`reused`].
#[must_use]
pub fn is_reused(e: &Error) -> bool {
    matches!(e, Error::Refused(m) if m == KEY_REUSED)
}

/// The run that staff user `actor_id` recorded under `key`, if any.
///
/// # Errors
/// `Db` when the database fails.
pub async fn prior_run<C: ConnectionTrait>(
    conn: &C,
    actor_id: i64,
    key: &str,
) -> Result<Option<action_run::Model>> {
    Ok(action_run::Entity::find()
        .filter(action_run::Column::ActorId.eq(actor_id))
        .filter(action_run::Column::IdempotencyKey.eq(key))
        .one(conn)
        .await?)
}

/// Puts the run `run_id` (recorded by the run itself, see [`crate::action::runs`])
/// under the request's key, in the run's transaction.
///
/// # Errors
/// `Db` when the database refuses, e.g. because the same user's same key was
/// recorded meanwhile: the caller rolls back and asks again.
pub async fn bind_run<C: ConnectionTrait>(conn: &C, run_id: i64, binding: &Binding) -> Result<()> {
    use sea_orm::sea_query::{Expr, ExprTrait, Query};
    conn.execute(
        Query::update()
            .table(action_run::Entity)
            .value(action_run::Column::IdempotencyKey, binding.key.clone())
            .value(action_run::Column::Fingerprint, binding.fingerprint.clone())
            .and_where(Expr::col(action_run::Column::Id).eq(run_id)),
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ids(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn the_fingerprint_ignores_order_and_repeats_but_nothing_else() {
        let base = fingerprint("account", "lock", &ids(&["1", "2"]), &json!({"a": 1, "b": [1, 2]}), None);
        assert_eq!(
            base,
            fingerprint("account", "lock", &ids(&["2", "1", "2"]), &json!({"b": [1, 2], "a": 1}), None)
        );
        assert_ne!(
            base,
            fingerprint("account", "lock", &ids(&["1", "2"]), &json!({"a": 1, "b": [2, 1]}), None)
        );
        assert_ne!(
            base,
            fingerprint("account", "lock", &ids(&["1", "2"]), &json!({"a": 1, "b": [1, 2]}), Some(""))
        );
        assert_ne!(
            base,
            fingerprint("account", "unlock", &ids(&["1", "2"]), &json!({"a": 1, "b": [1, 2]}), None)
        );
        assert_ne!(
            base,
            fingerprint("invoice", "lock", &ids(&["1", "2"]), &json!({"a": 1, "b": [1, 2]}), None)
        );
        assert_ne!(base, fingerprint("account", "lock", &ids(&["1"]), &json!({"a": 1, "b": [1, 2]}), None));
        assert_ne!(base, LEGACY_FINGERPRINT);
    }

    #[test]
    fn keys_are_trimmed_and_bad_ones_refused() {
        assert_eq!(parse_key(None).unwrap(), None);
        assert_eq!(parse_key(Some("  ")).unwrap(), None);
        assert_eq!(parse_key(Some(" ticket-9001 ")).unwrap().as_deref(), Some("ticket-9001"));
        assert!(matches!(parse_key(Some(&"k".repeat(101))), Err(Error::Invalid(_))));
        assert!(matches!(parse_key(Some("a\0b")), Err(Error::Invalid(_))));
        assert!(is_reused(&reused()));
    }
}
