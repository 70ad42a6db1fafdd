//! The first check of every request: text a browser cannot have sent on purpose
//! is answered 400 with the normal error page before any handler runs.
//!
//! Who answers what:
//! - this layer: a path or query string that is not valid percent-encoded UTF-8
//!   (`%zz`, a lone `%`, an overlong `%C0%80`) or that decodes to a NUL byte, and a
//!   form body (`application/x-www-form-urlencoded`) that is not valid
//!   percent-encoded UTF-8. Nothing of such a request reaches a handler.
//! - the handlers and `admin_core`: a NUL or another control character, or text over
//!   its limit, inside a well-formed form field: the form is shown again with the
//!   field's message (see `admin_core::kernel::text`). The JSON API refuses `\u0000` in its
//!   body with a JSON 400.
//! - a database that still refuses text for its characters answers 400 too
//!   (`admin_core::kernel::error::is_encoding_error`), never a 500.
//!
//! None of this is logged as an error: it is the client's mistake.

use axum::body::Body;
use axum::extract::Request;
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The largest form body read here (axum's own default limit for forms).
const FORM_LIMIT: usize = 2 * 1024 * 1024;

const BAD_ADDRESS: &str = "This address has characters that cannot be read (a NUL byte or broken %-encoding). Check the link and try again.";
const BAD_FORM: &str =
    "The form sent has characters that cannot be read (broken %-encoding). Reload the page and try again.";

fn refuse(message: &str) -> Response {
    tracing::info!(reason = message, "request refused: unreadable text");
    crate::Error::from(admin_core::Error::BadRequest(message.to_owned())).into_response()
}

/// The layer's function: see the module's documentation.
pub async fn refuse_unreadable_text(req: Request, next: Next) -> Response {
    let uri = req.uri();
    let query_ok = uri.query().is_none_or(|q| decode_strict(q.as_bytes()).is_some_and(|t| !t.contains('\0')));
    let path_ok = decode_strict(uri.path().as_bytes()).is_some_and(|t| !t.contains('\0'));
    if !path_ok || !query_ok {
        return refuse(BAD_ADDRESS);
    }
    let is_form = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| {
        v.trim_start().to_ascii_lowercase().starts_with("application/x-www-form-urlencoded")
    });
    if !is_form {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, FORM_LIMIT).await else {
        let resp = crate::Error::from(admin_core::Error::BadRequest(
            "The form sent is too large. Shorten the text and try again.".to_owned(),
        ))
        .into_response();
        let (mut parts, body) = resp.into_parts();
        parts.status = axum::http::StatusCode::PAYLOAD_TOO_LARGE;
        return Response::from_parts(parts, body);
    };
    if decode_strict(&bytes).is_none() {
        return refuse(BAD_FORM);
    }
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}

/// Percent-decodes `input` (with `+` left as it is: it only matters as a space) and
/// returns the text, or `None` when a `%` is not followed by two hex digits or the
/// bytes are not UTF-8 (which also refuses overlong forms such as `%C0%80`).
fn decode_strict(input: &[u8]) -> Option<String> {
    // `percent_decode` passes a broken escape through as it is; here it refuses.
    let escapes_whole = input
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'%')
        .all(|(i, _)| input.get(i + 1..i + 3).is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)));
    if !escapes_whole {
        return None;
    }
    percent_encoding::percent_decode(input).decode_utf8().ok().map(std::borrow::Cow::into_owned)
}

#[cfg(test)]
mod tests {
    use super::decode_strict;

    #[test]
    fn strict_decoding_refuses_broken_escapes_and_overlong_utf8() {
        assert_eq!(decode_strict(b"q=a%20b&x=%E2%80%AE").as_deref(), Some("q=a b&x=\u{202e}"));
        assert_eq!(decode_strict(b"q=a%00b").as_deref(), Some("q=a\0b"));
        assert!(decode_strict(b"q=%zz").is_none());
        assert!(decode_strict(b"q=%").is_none());
        assert!(decode_strict(b"q=%4").is_none());
        assert!(decode_strict(b"q=%C0%80").is_none());
        assert!(decode_strict(b"q=%FF").is_none());
    }
}
