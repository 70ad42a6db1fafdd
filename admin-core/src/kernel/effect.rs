//! An effect: something an action asks to happen outside the database (send an
//! email, call an HTTP API, publish a webhook) once its transaction has committed.
//!
//! An action schedules effects with `RunContext::schedule`; the framework writes them
//! in the run's transaction and the effect worker carries them out after commit. A
//! preview only lists them.

use serde::{Deserialize, Serialize};

/// One effect to carry out after the run commits.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Effect {
    /// The handler that carries it out (`mail`, `webhook`): a name registered with the
    /// effect worker.
    pub kind: String,
    /// What the handler needs (recipient, body, URL …), as JSON.
    pub payload: serde_json::Value,
    /// The model of the record it is about, if any (shown on that record's page).
    pub model: Option<String>,
    /// The key of the record it is about, if any.
    pub object_id: Option<String>,
    /// One line for staff: "Send the welcome email to ada@example.com".
    pub summary: String,
}

impl Effect {
    /// An effect of handler `kind` with its `payload`, described to staff as
    /// `summary`.
    #[must_use]
    pub fn new(kind: &str, summary: impl Into<String>, payload: serde_json::Value) -> Self {
        Self { kind: kind.to_owned(), payload, model: None, object_id: None, summary: summary.into() }
    }

    /// The same effect, about the record `object_id` of `model`.
    #[must_use]
    pub fn on(mut self, model: &str, object_id: impl Into<String>) -> Self {
        self.model = Some(model.to_owned());
        self.object_id = Some(object_id.into());
        self
    }
}
