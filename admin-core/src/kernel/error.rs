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
    /// The signed-in user may not do this; the message names the missing permission.
    #[error("{0}")]
    Forbidden(String),
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
    /// Anything else that should not happen; the message is for the log.
    #[error("Something went wrong on our side. Nothing was changed.")]
    Internal(String),
}

/// The message for text the database cannot store (on PostgreSQL, a NUL byte).
pub const UNSTORABLE_TEXT: &str =
    "The text sent has characters that cannot be stored (such as a NUL byte). Remove them and try again.";

/// The message for a value the database cannot hold (a date before 4713 BC on
/// PostgreSQL, a number too large for its column).
pub const OUT_OF_RANGE: &str = "A value sent is out of the range the database can store (a date or a number too large or too small). Change it and try again.";

impl From<sea_orm::DbErr> for Error {
    /// A database error; text the database refuses for its characters is the
    /// request's fault, not the server's, and becomes [`Error::BadRequest`].
    fn from(e: sea_orm::DbErr) -> Self {
        if is_encoding_error(&e) {
            tracing::info!(error = %e, "text refused by the database");
            Error::BadRequest(UNSTORABLE_TEXT.to_owned())
        } else if is_out_of_range(&e) {
            tracing::info!(error = %e, "value refused by the database as out of range");
            Error::BadRequest(OUT_OF_RANGE.to_owned())
        } else {
            Error::Db(e)
        }
    }
}

/// Whether the database refused text for its characters: PostgreSQL's "invalid byte
/// sequence for encoding" (SQLSTATE 22021, a NUL byte) or "untranslatable character"
/// (22P05). Checked by code, so a server whose messages are in another language is
/// recognised too.
#[must_use]
pub fn is_encoding_error(e: &sea_orm::DbErr) -> bool {
    use sea_orm::{DbErr, RuntimeErr, sqlx};
    if let DbErr::Exec(RuntimeErr::SqlxError(err)) | DbErr::Query(RuntimeErr::SqlxError(err)) = e
        && let sqlx::Error::Database(db) = &**err
    {
        return matches!(db.code().as_deref(), Some("22021" | "22P05"));
    }
    false
}

/// Whether the database refused a value as out of its range: PostgreSQL's
/// "date/time field value out of range" and "timestamp out of range" (SQLSTATE 22008)
/// or "numeric value out of range" (22003). Checked by code, like
/// [`is_encoding_error`].
#[must_use]
pub fn is_out_of_range(e: &sea_orm::DbErr) -> bool {
    use sea_orm::{DbErr, RuntimeErr, sqlx};
    if let DbErr::Exec(RuntimeErr::SqlxError(err)) | DbErr::Query(RuntimeErr::SqlxError(err)) = e
        && let sqlx::Error::Database(db) = &**err
    {
        return matches!(db.code().as_deref(), Some("22008" | "22003"));
    }
    false
}

impl Error {
    /// Whether this is the server's fault (and should be logged as an error).
    #[must_use]
    pub fn is_server_error(&self) -> bool {
        matches!(self, Error::Db(_) | Error::Internal(_))
    }
}
