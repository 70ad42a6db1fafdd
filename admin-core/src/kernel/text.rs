//! The limits on text that staff and scripts send, in one place, and the check
//! every piece of such text goes through before it is stored or looked up.
//!
//! Text is refused, never cut short: a value over its limit gets a message that
//! says the limit and the length ("Keep this to 255 characters or fewer; it has
//! 1,900,000."), and nothing is saved. Control characters are refused too: a NUL
//! byte cannot be stored in PostgreSQL text and would be kept on SQLite, so both
//! backends answer the same. Tab, newline and carriage return are text where several
//! lines are allowed ([`Lines::Many`]).
//!
//! A model's text field takes its limit from `#[admin(max_length = N)]`, else from
//! the column's declared length (`String(StringLen::N(120))`), else [`LINE`] (or
//! [`TEXT`] for a `Text` column).
//!
//! ```
//! use admin_core::kernel::text::{self, Lines};
//! assert!(text::check("Acme Ltd", text::LINE, Lines::One).is_ok());
//! assert_eq!(
//!     text::check(&"x".repeat(300), text::LINE, Lines::One).unwrap_err(),
//!     "Keep this to 255 characters or fewer; it has 300."
//! );
//! assert!(text::check("a\u{0}b", text::LINE, Lines::One).is_err());
//! assert!(text::check("two\nlines", text::TEXT, Lines::Many).is_ok());
//! ```

/// One-line text fields without a declared length (`String` columns): 255 characters.
pub const LINE: usize = 255;
/// Long text (`Text` columns): 10,000 characters.
pub const TEXT: usize = 10_000;
/// The reason given for a change, a deletion or an action: 1,000 characters.
pub const REASON: usize = 1_000;
/// A note on a record, or on an approval decision: 5,000 characters.
pub const NOTE: usize = 5_000;
/// The name of a saved list view: 100 characters.
pub const VIEW_NAME: usize = 100;
/// The query string a saved list view keeps: 2,000 characters.
pub const VIEW_QUERY: usize = 2_000;
/// The name of an API token: 100 characters.
pub const TOKEN_NAME: usize = 100;
/// An idempotency key of an action request: 100 characters.
pub const IDEMPOTENCY_KEY: usize = 100;
/// A search term (a list's `q`, the global search, the audit log's search): 200
/// characters.
pub const SEARCH: usize = 200;
/// A staff user name: 150 characters.
pub const USERNAME: usize = 150;
/// The longest password: longer ones cannot be set, and at sign-in they are wrong
/// without being hashed.
pub const PASSWORD: usize = 1_024;
/// A filter value or a record key in a URL: 255 characters.
pub const LOOKUP: usize = 255;

/// Whether text may span several lines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lines {
    /// One line: every control character is refused.
    One,
    /// Several lines (a textarea): tab, newline and carriage return are allowed.
    Many,
}

/// Checks text against a limit (in characters) and for control characters.
///
/// # Errors
/// A message for the person who typed it: "Keep this to 255 characters or fewer; it
/// has 1,900,000." or "Remove the control characters …".
pub fn check(text: &str, max: usize, lines: Lines) -> Result<(), String> {
    if has_control(text, lines) {
        return Err(CONTROL_MESSAGE.to_owned());
    }
    let n = text.chars().count();
    if n > max {
        return Err(too_long(max, n));
    }
    Ok(())
}

/// Like [`check`], with messages that name the text: "The reason is too long: keep
/// it to 1,000 characters or fewer; it has 100,000."
///
/// # Errors
/// The message, starting with `what` ("The reason").
pub fn check_named(what: &str, text: &str, max: usize, lines: Lines) -> Result<(), String> {
    if has_control(text, lines) {
        return Err(format!(
            "{what} has invisible control characters (such as a NUL byte), which cannot be stored; remove them."
        ));
    }
    let n = text.chars().count();
    if n > max {
        let to_u64 = |v: usize| u64::try_from(v).unwrap_or(u64::MAX);
        return Err(format!(
            "{what} is too long: keep it to {} characters or fewer; it has {}.",
            thousands(to_u64(max)),
            thousands(to_u64(n))
        ));
    }
    Ok(())
}

/// The message for a control character (such as a NUL byte) in text.
pub const CONTROL_MESSAGE: &str =
    "Remove the invisible control characters (such as a NUL byte) from this text; they cannot be stored.";

/// "Keep this to 255 characters or fewer; it has 1,900,000."
#[must_use]
pub fn too_long(max: usize, n: usize) -> String {
    let to_u64 = |v: usize| u64::try_from(v).unwrap_or(u64::MAX);
    format!("Keep this to {} characters or fewer; it has {}.", thousands(to_u64(max)), thousands(to_u64(n)))
}

/// Whether `text` has a control character not allowed for `lines`.
#[must_use]
pub fn has_control(text: &str, lines: Lines) -> bool {
    text.chars().any(|c| c.is_control() && !(lines == Lines::Many && matches!(c, '\t' | '\n' | '\r')))
}

/// Whether `text` can be looked up at all: one line, no control characters and at
/// most `max` characters. A search, filter or key that is not can match nothing, so
/// callers answer "nothing found" without asking the database.
#[must_use]
pub fn is_lookup(text: &str, max: usize) -> bool {
    check(text, max, Lines::One).is_ok()
}

/// Whether any string in a JSON value (keys included) has a NUL character, which no
/// text field can take.
#[must_use]
pub fn json_has_nul(value: &serde_json::Value) -> bool {
    use serde_json::Value;
    match value {
        Value::String(s) => s.contains('\0'),
        Value::Array(items) => items.iter().any(json_has_nul),
        Value::Object(map) => map.iter().any(|(k, v)| k.contains('\0') || json_has_nul(v)),
        Value::Null | Value::Bool(_) | Value::Number(_) => false,
    }
}

/// Formats a count with thousands separators: `1234567` becomes "1,234,567".
#[must_use]
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Words joined for a sentence: "a", "a and b", "a, b and c".
pub(crate) fn join_and(parts: &[String]) -> String {
    match parts {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {}", init.join(", "), last),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_refused_but_lines_allowed_where_many() {
        assert!(check("a\u{0}b", TEXT, Lines::Many).is_err());
        assert!(check("a\u{1b}b", TEXT, Lines::Many).is_err());
        assert!(check("a\u{7f}b", LINE, Lines::One).is_err());
        assert!(check("a\tb\r\nc", TEXT, Lines::Many).is_ok());
        assert!(check("a\nb", LINE, Lines::One).is_err());
    }

    #[test]
    fn right_to_left_and_zero_width_characters_are_text() {
        assert!(check("abc\u{202e}def\u{200b}", LINE, Lines::One).is_ok());
    }

    #[test]
    fn nul_is_found_anywhere_in_json() {
        assert!(json_has_nul(&serde_json::json!({"input": {"note": "a\u{0}b"}})));
        assert!(json_has_nul(&serde_json::json!({"ids": ["1\u{0}"]})));
        assert!(json_has_nul(&serde_json::json!({"a\u{0}": 1})));
        assert!(!json_has_nul(&serde_json::json!({"reason": "line\none", "ids": [1]})));
    }

    #[test]
    fn the_limit_counts_characters_not_bytes() {
        assert!(check(&"é".repeat(255), LINE, Lines::One).is_ok());
        assert_eq!(
            check(&"é".repeat(1_900_000), LINE, Lines::One).unwrap_err(),
            "Keep this to 255 characters or fewer; it has 1,900,000."
        );
    }
}
