//! The one error type of admin-core. Messages are written for the staff user who
//! reads them; details for developers go to the log.

use crate::kernel::record::Record;

/// A result with [`Error`] as its default error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A problem with one field of a submitted form, or with the form as a whole.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    /// The field's name, or `None` for a problem with the whole form.
    pub field: Option<String>,
    /// What is wrong, in plain words.
    pub message: String,
}

impl FieldError {
    /// A problem with one field.
    #[must_use]
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        Self { field: Some(field.to_owned()), message: message.into() }
    }

    /// A problem with the form as a whole.
    #[must_use]
    pub fn form(message: impl Into<String>) -> Self {
        Self { field: None, message: message.into() }
    }
}

/// Everything that can go wrong in an admin operation.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The model, record or page does not exist ("No account with id 42.").
    #[error("{0}")]
    NotFound(String),
    /// The signed-in user may not do this; the sentence says who can (the roles
    /// that grant what is missing), and [`Denial::permission`] names the permission
    /// for developers.
    #[error("{0}")]
    Forbidden(Denial),
    /// Nobody is signed in.
    #[error("Please sign in to continue.")]
    Unauthenticated,
    /// The operation needs a recent sign-in (staff management, tokens, two-factor
    /// settings, actions marked `recent_auth`): confirm the password and try again.
    #[error("Confirm your password to continue: this needs a recent sign-in.")]
    ReauthRequired,
    /// A submitted form has errors; nothing was saved.
    #[error("Please correct the errors below.")]
    Invalid(Vec<FieldError>),
    /// The record changed since the form was loaded; nothing was saved.
    #[error("This record was changed by someone else since you opened it. Nothing was saved.")]
    Conflict {
        /// The record as it is now.
        current: Box<Record>,
    },
    /// The operation is refused for a business reason, said in plain words.
    #[error("{0}")]
    Refused(String),
    /// The request itself is malformed (a bad parameter).
    #[error("{0}")]
    BadRequest(String),
    /// The database failed.
    #[error("The database could not complete the request. Nothing was changed.")]
    Db(sea_orm::DbErr),
    /// The database could not be used for a moment (a lost connection, a restart,
    /// SQLite's write lock held too long): try again later. The driver's words
    /// went to the log when the error was classified ([`unavailability`]).
    #[error("{0}")]
    Unavailable(Unavailable),
    /// Anything else that should not happen; the message is for the log.
    #[error("Something went wrong on our side. Nothing was changed.")]
    Internal(String),
}

/// Why someone may not do something: the sentence for the person ("You can view
/// accounts but not delete them. Ask someone with the admin role.") and, kept out
/// of the sentence, the permission that is missing (`account.delete`) for
/// developers: the JSON API's `permission` field and the log.
///
/// It reads as its sentence: it derefs to `str` and compares with strings, and a
/// sentence alone converts into one (`Error::Forbidden("...".into())`).
///
/// ```
/// use admin_core::kernel::error::{Denial, Error};
///
/// let e = Error::Forbidden(Denial::missing("You cannot view the audit log. Ask someone with the admin role.", "audit.view"));
/// let Error::Forbidden(d) = &e else { unreachable!() };
/// assert_eq!(d.permission(), Some("audit.view"));
/// assert!(!e.to_string().contains("audit.view"));
/// assert!(d.contains("admin role"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Denial {
    sentence: String,
    permission: Option<String>,
    message: Option<crate::kernel::message::Message>,
}

impl Denial {
    /// A refusal for a missing permission.
    #[must_use]
    pub fn missing(sentence: impl Into<String>, permission: impl Into<String>) -> Self {
        Self { sentence: sentence.into(), permission: Some(permission.into()), message: None }
    }

    /// A refusal for a missing permission that screens show in the viewer's
    /// language; its sentence is the message's English text.
    #[must_use]
    pub fn missing_message(message: crate::kernel::message::Message, permission: impl Into<String>) -> Self {
        Self {
            sentence: message.english().to_owned(),
            permission: Some(permission.into()),
            message: Some(message),
        }
    }

    /// The refusal as a translatable message, when it was made from one.
    #[must_use]
    pub fn translatable(&self) -> Option<&crate::kernel::message::Message> {
        self.message.as_ref()
    }

    /// The sentence for the person.
    #[must_use]
    pub fn sentence(&self) -> &str {
        &self.sentence
    }

    /// The missing permission, when a permission is what is missing (not, say,
    /// another user's token).
    #[must_use]
    pub fn permission(&self) -> Option<&str> {
        self.permission.as_deref()
    }
}

impl std::fmt::Display for Denial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.sentence)
    }
}

impl std::ops::Deref for Denial {
    type Target = str;
    fn deref(&self) -> &str {
        &self.sentence
    }
}

impl From<String> for Denial {
    /// A refusal that is not about one permission (another user's token).
    fn from(sentence: String) -> Self {
        Self { sentence, permission: None, message: None }
    }
}

impl From<&str> for Denial {
    fn from(sentence: &str) -> Self {
        Self::from(sentence.to_owned())
    }
}

impl PartialEq<str> for Denial {
    fn eq(&self, other: &str) -> bool {
        self.sentence == other
    }
}

impl PartialEq<&str> for Denial {
    fn eq(&self, other: &&str) -> bool {
        self.sentence == *other
    }
}

impl PartialEq<String> for Denial {
    fn eq(&self, other: &String) -> bool {
        &self.sentence == other
    }
}

/// The message for text the database cannot store (on PostgreSQL, a NUL byte).
pub const UNSTORABLE_TEXT: &str =
    "The text sent has characters that cannot be stored (such as a NUL byte). Remove them and try again.";

/// The message for a value the database cannot hold (a date before 4713 BC on
/// PostgreSQL, a number too large for its column).
pub const OUT_OF_RANGE: &str = "A value sent is out of the range the database can store (a date or a number too large or too small). Change it and try again.";

impl From<sea_orm::DbErr> for Error {
    /// A database error; text the database refuses for its characters is the
    /// request's fault, not the server's, and becomes [`Error::BadRequest`]; a
    /// database that cannot be reached or is busy becomes [`Error::Unavailable`].
    fn from(e: sea_orm::DbErr) -> Self {
        if let Some(u) = unavailability(&e) {
            tracing::warn!(error = %e, "the database is unavailable");
            return Error::Unavailable(u);
        }
        match refusal(&e) {
            Some(Refusal::Encoding) => {
                tracing::info!(error = %e, "text refused by the database");
                Error::BadRequest(UNSTORABLE_TEXT.to_owned())
            }
            Some(Refusal::OutOfRange) => {
                tracing::info!(error = %e, "value refused by the database as out of range");
                Error::BadRequest(OUT_OF_RANGE.to_owned())
            }
            _ => Error::Db(e),
        }
    }
}

/// Why the database refused a statement, for the refusals the admin explains to
/// the person who sent it. Unique and foreign-key violations come from sea-orm's own
/// classification ([`sea_orm::DbErr::sql_err`]); the rest, which sea-orm does not
/// classify, from the driver's error kind or the SQLSTATE code, all in
/// [`refusal`] and nowhere else.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Another row already has the value of a unique column.
    Unique,
    /// A referenced row does not exist, or other rows still refer to this one.
    ForeignKey,
    /// A required value is missing.
    NotNull,
    /// Text the database cannot store for its characters (PostgreSQL: a NUL byte).
    Encoding,
    /// A value out of the range the column can hold.
    OutOfRange,
}

/// Classifies a database error, or `None` when it is none of the [`Refusal`]s
/// (a lost connection, a bug): the server's fault, not the request's. Checked by
/// kind and code, never by message, so a server whose messages are in another
/// language is recognised too.
#[must_use]
pub fn refusal(e: &sea_orm::DbErr) -> Option<Refusal> {
    use sea_orm::{DbErr, RuntimeErr, SqlErr, sqlx};
    match e.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => return Some(Refusal::Unique),
        Some(SqlErr::ForeignKeyConstraintViolation(_)) => return Some(Refusal::ForeignKey),
        _ => {}
    }
    let (DbErr::Exec(RuntimeErr::SqlxError(err)) | DbErr::Query(RuntimeErr::SqlxError(err))) = e else {
        return None;
    };
    let sqlx::Error::Database(db) = &**err else { return None };
    if db.kind() == sqlx::error::ErrorKind::NotNullViolation {
        return Some(Refusal::NotNull);
    }
    // PostgreSQL's SQLSTATE codes, which neither sea-orm nor sqlx classify:
    // 22021 "invalid byte sequence for encoding" (a NUL byte), 22P05
    // "untranslatable character"; 22008 "date/time field value out of range",
    // 22003 "numeric value out of range".
    match db.code().as_deref() {
        Some("22021" | "22P05") => Some(Refusal::Encoding),
        Some("22008" | "22003") => Some(Refusal::OutOfRange),
        _ => None,
    }
}

/// Whether the database refused text for its characters ([`Refusal::Encoding`]).
#[must_use]
pub fn is_encoding_error(e: &sea_orm::DbErr) -> bool {
    refusal(e) == Some(Refusal::Encoding)
}

/// Whether the database refused a value as out of its range ([`Refusal::OutOfRange`]).
#[must_use]
pub fn is_out_of_range(e: &sea_orm::DbErr) -> bool {
    refusal(e) == Some(Refusal::OutOfRange)
}

impl Error {
    /// Whether this is the server's fault (and should be logged as an error). A
    /// database that is unavailable for a moment is not ([`Error::is_unavailable`]).
    #[must_use]
    pub fn is_server_error(&self) -> bool {
        matches!(self, Error::Db(_) | Error::Internal(_))
    }

    /// Why the database could not be used, when that is what went wrong: the
    /// screens answer 503 with [`Unavailable::retry_after`], and a worker backs off.
    #[must_use]
    pub fn unavailable(&self) -> Option<Unavailable> {
        match self {
            Error::Unavailable(u) => Some(*u),
            Error::Db(e) => unavailability(e),
            _ => None,
        }
    }

    /// Whether the database could not be used for a moment ([`Error::unavailable`]).
    #[must_use]
    pub fn is_unavailable(&self) -> bool {
        self.unavailable().is_some()
    }
}

/// Why the database could not be used, for a moment. Each reads as the sentence
/// the person who asked is shown.
///
/// ```
/// use admin_core::kernel::error::{Error, Unavailable};
///
/// let e = Error::Unavailable(Unavailable::Down);
/// assert!(e.is_unavailable() && !e.is_server_error());
/// assert!(e.to_string().contains("nothing was saved"));
/// assert!(Unavailable::MaybeSaved.to_string().contains("may or may not"));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unavailable {
    /// The connection was refused, cut or timed out, or the server is shutting
    /// down or starting: nothing was saved.
    Down,
    /// SQLite's write lock stayed with another connection or process past the busy
    /// timeout and the retries of `db::txn::begin_write`: nothing was saved.
    Busy,
    /// The connection was lost while the transaction was being committed, so the
    /// database may have committed it or not (`db::txn::commit`).
    MaybeSaved,
}

impl Unavailable {
    /// The sentence for the person who asked.
    #[must_use]
    pub fn sentence(self) -> &'static str {
        match self {
            Unavailable::Down => "The database is unavailable; nothing was saved. Try again in a moment.",
            Unavailable::Busy => "The database is busy; nothing was saved. Try again in a moment.",
            Unavailable::MaybeSaved => {
                "The database became unavailable while saving, so the change may or may not have been saved. \
                 Check it in a moment before trying again (a confirmation sent again never runs twice)."
            }
        }
    }

    /// How long a client should wait before trying again (`Retry-After`), in seconds.
    #[must_use]
    pub fn retry_after(self) -> u32 {
        match self {
            Unavailable::Busy => 2,
            Unavailable::Down | Unavailable::MaybeSaved => 5,
        }
    }
}

impl std::fmt::Display for Unavailable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.sentence())
    }
}

/// Classifies a database error as the database being unavailable for a moment, or
/// `None` when it is something else (a refusal, a bug). By kind and code, never by
/// message:
///
/// - no connection to be had: the pool timed out or is closed, an I/O error (refused,
///   reset, closed), a TLS or protocol failure of the connection, a crashed driver worker;
/// - PostgreSQL's SQLSTATE class 08 (connection exception), 57P01 (admin shutdown),
///   57P02 (crash shutdown), 57P03 (cannot connect now), 53300 (too many connections);
/// - SQLite's `SQLITE_BUSY` and `SQLITE_LOCKED` (any extended code), and
///   PostgreSQL's 40001 (serialization failure), 40P01 (deadlock) and 55P03 (lock
///   not available): [`Unavailable::Busy`].
#[must_use]
pub fn unavailability(e: &sea_orm::DbErr) -> Option<Unavailable> {
    use sea_orm::{DbErr, RuntimeErr, sqlx};
    let err = match e {
        DbErr::ConnectionAcquire(_) => return Some(Unavailable::Down),
        DbErr::Conn(RuntimeErr::SqlxError(err))
        | DbErr::Exec(RuntimeErr::SqlxError(err))
        | DbErr::Query(RuntimeErr::SqlxError(err)) => err,
        _ => return None,
    };
    match &**err {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::WorkerCrashed => Some(Unavailable::Down),
        sqlx::Error::Database(db) => {
            let code = db.code()?;
            if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
                // Extended result codes: the primary code is the low byte
                // (5 SQLITE_BUSY, 6 SQLITE_LOCKED).
                let primary = code.parse::<i32>().ok()? & 0xff;
                return matches!(primary, 5 | 6).then_some(Unavailable::Busy);
            }
            // A deadlock, a serialization failure or a lock not granted in time:
            // the same statement succeeds when tried again.
            if matches!(&*code, "40001" | "40P01" | "55P03") {
                return Some(Unavailable::Busy);
            }
            let down = code.starts_with("08") || matches!(&*code, "57P01" | "57P02" | "57P03" | "53300");
            down.then_some(Unavailable::Down)
        }
        _ => None,
    }
}
