//! Time-based one-time passwords (RFC 6238): HMAC-SHA1 over 30-second steps, six
//! digits, one step of clock skew either way; and the base32 (RFC 4648, no padding)
//! that authenticator apps read secrets in. No database here: enrolment and sign-in
//! live in [`crate::auth::two_factor`].
//!
//! ```
//! use admin_core::auth::totp;
//!
//! let secret = b"12345678901234567890";
//! assert_eq!(totp::code_at(secret, 59), "287082");
//! assert_eq!(totp::verify(secret, "287082", 59, None), Some(1));
//! // A code is good once: the step it was accepted at is refused afterwards.
//! assert_eq!(totp::verify(secret, "287082", 59, Some(1)), None);
//! assert_eq!(totp::base32_decode(&totp::base32_encode(secret)).as_deref(), Some(&secret[..]));
//! ```

use std::sync::LazyLock;

use data_encoding::{BitOrder, Encoding, Specification};
use hmac::{Hmac, KeyInit, Mac};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use sha1::Sha1;

/// Seconds per time step.
pub const STEP_SECONDS: i64 = 30;
/// Digits of a code.
pub const DIGITS: u32 = 6;
/// Steps of clock skew accepted on either side of the current one.
pub const SKEW_STEPS: i64 = 1;
/// Bytes of a new secret (160 bits, as RFC 4226 recommends).
pub const SECRET_BYTES: usize = 20;

/// HMAC-SHA1 (RFC 2104) of `message` under `key`; `None` never happens in practice
/// (HMAC takes keys of any length).
fn hmac_sha1(key: &[u8], message: &[u8]) -> Option<[u8; 20]> {
    let mut mac = <Hmac<Sha1> as KeyInit>::new_from_slice(key).ok()?;
    mac.update(message);
    Some(mac.finalize().into_bytes().into())
}

/// The HOTP value (RFC 4226) of `counter`, `digits` long (at most 9). [`u32::MAX`]
/// (which no code of 9 digits or fewer equals) if the HMAC could not be keyed.
#[must_use]
pub fn hotp(key: &[u8], counter: u64, digits: u32) -> u32 {
    // HMAC takes any key; were it ever refused, no code would match.
    let Some(mac) = hmac_sha1(key, &counter.to_be_bytes()) else { return u32::MAX };
    let offset = usize::from(mac[19] & 0x0f);
    let bin = u32::from_be_bytes([mac[offset] & 0x7f, mac[offset + 1], mac[offset + 2], mac[offset + 3]]);
    bin % 10u32.pow(digits.min(9))
}

/// The time step of a Unix time.
#[must_use]
pub fn step_at(unix_time: i64) -> i64 {
    unix_time.div_euclid(STEP_SECONDS)
}

/// The six-digit code of a time step, zero-padded.
#[must_use]
pub fn code_for_step(key: &[u8], step: i64) -> String {
    let value = hotp(key, u64::try_from(step).unwrap_or(0), DIGITS);
    format!("{value:06}")
}

/// The six-digit code at a Unix time.
#[must_use]
pub fn code_at(key: &[u8], unix_time: i64) -> String {
    code_for_step(key, step_at(unix_time))
}

/// The current code of a base32 secret, or `None` when the secret is not base32.
#[must_use]
pub fn current_code(secret_base32: &str) -> Option<String> {
    let key = base32_decode(secret_base32)?;
    Some(code_at(&key, chrono::Utc::now().timestamp()))
}

/// Checks `code` at `unix_time`, allowing [`SKEW_STEPS`] either way, and returns
/// the step it matched. Steps at or before `last_step` (the last code accepted) are
/// refused, so a code works only once. Spaces in the code are ignored.
#[must_use]
pub fn verify(key: &[u8], code: &str, unix_time: i64, last_step: Option<i64>) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != DIGITS as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let now = step_at(unix_time);
    let mut found = None;
    // Every candidate is compared, in constant time, so timing tells nothing.
    for step in now - SKEW_STEPS..=now + SKEW_STEPS {
        let fresh = last_step.is_none_or(|last| step > last);
        if crate::auth::constant_time_eq(&code_for_step(key, step), &code) && fresh && found.is_none() {
            found = Some(step);
        }
    }
    found
}

/// Base32 (RFC 4648) without padding: upper case out; lower case read as upper
/// case in, and bits left over past the last whole byte are ignored, as
/// authenticator apps do.
fn base32() -> &'static Encoding {
    static BASE32: LazyLock<Encoding> = LazyLock::new(|| {
        let mut spec = Specification::new();
        spec.symbols.push_str("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567");
        spec.bit_order = BitOrder::MostSignificantFirst;
        spec.check_trailing_bits = false;
        spec.translate.from.push_str("abcdefghijklmnopqrstuvwxyz");
        spec.translate.to.push_str("ABCDEFGHIJKLMNOPQRSTUVWXYZ");
        // The specification is fixed and valid; `BASE32_NOPAD` is the fallback all the same.
        spec.encoding().unwrap_or_else(|_| data_encoding::BASE32_NOPAD.clone())
    });
    &BASE32
}

/// Base32 (RFC 4648) without padding, upper case.
#[must_use]
pub fn base32_encode(data: &[u8]) -> String {
    base32().encode(data)
}

/// Decodes base32 (RFC 4648), ignoring case, spaces, dashes and trailing `=`.
/// `None` when a character is not base32 or the length is impossible.
#[must_use]
pub fn base32_decode(text: &str) -> Option<Vec<u8>> {
    let cleaned: Vec<u8> = text
        .trim_end_matches(|c: char| c == '=' || c.is_whitespace())
        .bytes()
        .filter(|b| !b.is_ascii_whitespace() && *b != b'-')
        .collect();
    base32().decode(&cleaned).ok()
}

/// A secret as people copy it: groups of four characters separated by spaces.
#[must_use]
pub fn grouped(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    chars.chunks(4).map(|c| c.iter().collect::<String>()).collect::<Vec<_>>().join(" ")
}

/// Everything but RFC 3986's unreserved characters is percent-encoded.
const NOT_UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// The `otpauth://` URI authenticator apps import (as a link or a QR code).
#[must_use]
pub fn otpauth_uri(issuer: &str, username: &str, secret_base32: &str) -> String {
    let issuer = utf8_percent_encode(issuer, NOT_UNRESERVED);
    format!(
        "otpauth://totp/{issuer}:{}?secret={secret_base32}&issuer={issuer}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}",
        utf8_percent_encode(username, NOT_UNRESERVED)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const RFC_SECRET: &[u8] = b"12345678901234567890";
    const RFC_VECTORS: &[(i64, &str)] = &[
        (59, "94287082"),
        (1_111_111_109, "07081804"),
        (1_111_111_111, "14050471"),
        (1_234_567_890, "89005924"),
        (2_000_000_000, "69279037"),
        (20_000_000_000, "65353130"),
    ];

    #[test]
    fn totp_matches_the_rfc_6238_sha1_vectors_with_8_digits() {
        for (t, want) in RFC_VECTORS {
            let step = u64::try_from(step_at(*t)).unwrap();
            assert_eq!(format!("{:08}", hotp(RFC_SECRET, step, 8)), *want, "time {t}");
        }
    }

    #[test]
    fn six_digit_totp_is_the_last_six_digits_of_the_rfc_vectors() {
        for (t, want) in RFC_VECTORS {
            assert_eq!(code_at(RFC_SECRET, *t), want[2..], "time {t}");
        }
    }

    #[test]
    fn hmac_sha1_matches_rfc_2202() {
        let hex = |b: Option<[u8; 20]>| hex::encode(b.unwrap());
        assert_eq!(hex(hmac_sha1(&[0x0b; 20], b"Hi There")), "b617318655057264e28bc0b6fb378c8ef146be00");
        assert_eq!(
            hex(hmac_sha1(b"Jefe", b"what do ya want for nothing?")),
            "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"
        );
        // A key longer than the block is hashed first.
        assert_eq!(
            hex(hmac_sha1(&[0xaa; 80], b"Test Using Larger Than Block-Size Key - Hash Key First")),
            "aa4ae5e15272d00e95705637ce8a3b55ed402112"
        );
    }

    #[test]
    fn verify_accepts_one_step_of_skew_and_refuses_more() {
        let t = 1_111_111_111;
        let now = step_at(t);
        for d in -1..=1 {
            let code = code_for_step(RFC_SECRET, now + d);
            assert_eq!(verify(RFC_SECRET, &code, t, None), Some(now + d), "skew {d}");
        }
        for d in [-2, 2] {
            let code = code_for_step(RFC_SECRET, now + d);
            assert_eq!(verify(RFC_SECRET, &code, t, None), None, "skew {d}");
        }
    }

    #[test]
    fn verify_refuses_a_replayed_or_older_step() {
        let t = 1_234_567_890;
        let now = step_at(t);
        let code = code_for_step(RFC_SECRET, now);
        assert_eq!(verify(RFC_SECRET, &code, t, Some(now)), None);
        assert_eq!(verify(RFC_SECRET, &code, t, Some(now + 1)), None);
        assert_eq!(verify(RFC_SECRET, &code, t, Some(now - 1)), Some(now));
        let next = code_for_step(RFC_SECRET, now + 1);
        assert_eq!(verify(RFC_SECRET, &next, t, Some(now)), Some(now + 1));
    }

    #[test]
    fn verify_refuses_malformed_codes() {
        let code = code_at(RFC_SECRET, 59);
        assert_eq!(verify(RFC_SECRET, &format!("{} {}", &code[..3], &code[3..]), 59, None), Some(1));
        for bad in ["", "12345", "1234567", "abcdef", "２８７０８２"] {
            assert_eq!(verify(RFC_SECRET, bad, 59, None), None, "{bad:?}");
        }
    }

    #[test]
    fn base32_matches_rfc_4648_without_padding() {
        for (plain, enc) in [
            ("", ""),
            ("f", "MY"),
            ("fo", "MZXQ"),
            ("foo", "MZXW6"),
            ("foob", "MZXW6YQ"),
            ("fooba", "MZXW6YTB"),
            ("foobar", "MZXW6YTBOI"),
        ] {
            assert_eq!(base32_encode(plain.as_bytes()), enc);
            assert_eq!(base32_decode(enc).unwrap(), plain.as_bytes());
        }
        assert_eq!(base32_decode("mzxw 6ytb oi======").unwrap(), b"foobar");
        assert_eq!(base32_encode(RFC_SECRET), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
    }

    #[test]
    fn base32_round_trips_every_length_and_refuses_garbage() {
        let data: Vec<u8> = (0..=255u8).collect();
        for n in 0..48 {
            let slice = &data[n * 3..n * 3 + n];
            assert_eq!(base32_decode(&base32_encode(slice)).as_deref(), Some(slice), "length {n}");
        }
        assert_eq!(base32_decode("MZXW1"), None);
        assert_eq!(base32_decode("M"), None);
        assert_eq!(base32_decode("MZX"), None);
    }

    #[test]
    fn otpauth_uri_percent_encodes_the_label() {
        assert_eq!(
            otpauth_uri("Ops console", "anna b@x", "ABCD"),
            "otpauth://totp/Ops%20console:anna%20b%40x?secret=ABCD&issuer=Ops%20console&algorithm=SHA1&digits=6&period=30"
        );
        assert_eq!(grouped("ABCDEFGHIJ"), "ABCD EFGH IJ");
    }
}
