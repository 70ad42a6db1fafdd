//! Sentences for staff that a screen can show in the viewer's language: a message
//! id of the admin's catalogs (or the application's), its arguments, and the
//! English text every other way out (the JSON API, the command line, the audit log,
//! the log) keeps.
//!
//! ```
//! use admin_core::kernel::message::Message;
//!
//! let m = Message::new("refund-already-refunded", "Invoice INV-7 is already refunded.")
//!     .arg("number", "INV-7");
//! assert_eq!(m.to_string(), "Invoice INV-7 is already refunded.");
//! assert_eq!(m.id(), "refund-already-refunded");
//! ```

use serde::{Deserialize, Serialize};

/// A value handed to a message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MessageArg {
    /// Text, shown as it is (a name, an invoice number).
    Text(String),
    /// A whole number (plural rules select on it; screens group its digits).
    Number(i64),
    /// Another message, shown in the same language ("Ask someone with the admin role.").
    Message(Box<Message>),
}

impl From<&str> for MessageArg {
    fn from(s: &str) -> Self {
        Self::Text(s.to_owned())
    }
}

impl From<String> for MessageArg {
    fn from(s: String) -> Self {
        Self::Text(s)
    }
}

impl From<&String> for MessageArg {
    fn from(s: &String) -> Self {
        Self::Text(s.clone())
    }
}

impl From<i64> for MessageArg {
    fn from(n: i64) -> Self {
        Self::Number(n)
    }
}

impl From<i32> for MessageArg {
    fn from(n: i32) -> Self {
        Self::Number(i64::from(n))
    }
}

impl From<usize> for MessageArg {
    fn from(n: usize) -> Self {
        Self::Number(i64::try_from(n).unwrap_or(i64::MAX))
    }
}

impl From<Message> for MessageArg {
    fn from(m: Message) -> Self {
        Self::Message(Box::new(m))
    }
}

/// A translatable sentence: a message id with named arguments, and its English text
/// (shown where no catalog has the id, and everywhere that stays locale-neutral).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    id: String,
    args: Vec<(String, MessageArg)>,
    english: String,
}

impl Message {
    /// Message `id` whose English text is `english`.
    #[must_use]
    pub fn new(id: impl Into<String>, english: impl Into<String>) -> Self {
        Self { id: id.into(), args: Vec::new(), english: english.into() }
    }

    /// The same message with argument `name` (`{ $name }` in the catalogs).
    #[must_use]
    pub fn arg(mut self, name: impl Into<String>, value: impl Into<MessageArg>) -> Self {
        self.args.push((name.into(), value.into()));
        self
    }

    /// The message id.
    #[must_use]
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The arguments, in the order given.
    #[must_use]
    pub fn args(&self) -> &[(String, MessageArg)] {
        &self.args
    }

    /// The English text.
    #[must_use]
    pub fn english(&self) -> &str {
        &self.english
    }
}

impl std::fmt::Display for Message {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.english)
    }
}
