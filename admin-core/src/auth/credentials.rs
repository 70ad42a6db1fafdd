//! Secrets at rest and in comparison: argon2id password hashes, the rules a new
//! password must meet, random tokens and their stored hashes, and constant-time
//! comparison.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use sha2::{Digest, Sha256};

use crate::kernel::error::{Error, Result};

/// The shortest password accepted for a staff user.
pub const MIN_PASSWORD_LEN: usize = 12;

fn argon2() -> Argon2<'static> {
    // OWASP's argon2id minimum: 19 MiB, 2 passes, 1 lane.
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Random bytes from the operating system, as lowercase hex.
///
/// # Errors
/// When the operating system has no randomness to give.
pub fn random_hex(bytes: usize) -> Result<String> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).map_err(|e| Error::Internal(format!("no randomness: {e}")))?;
    Ok(hex::encode(buf))
}

/// Hashes a password with argon2id and a random salt. This keeps the thread busy
/// for tens of milliseconds: async code calls [`crate::auth::password::hash`], which runs
/// it on the blocking pool.
///
/// # Errors
/// When randomness or hashing fails.
pub fn hash_password(password: &str) -> Result<String> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| Error::Internal(format!("no randomness: {e}")))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| Error::Internal(e.to_string()))?;
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::Internal(e.to_string()))
}

/// Whether `password` matches a stored argon2 hash. As slow as hashing: async code
/// calls [`crate::auth::password::verify`].
#[must_use]
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| argon2().verify_password(password.as_bytes(), &h).is_ok())
}

/// The stored id of a session: the SHA-256 of its cookie token, as hex.
pub(crate) fn token_id(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Passwords too common to allow, whatever their length (lower case).
const COMMON_PASSWORDS: &[&str] = &[
    "password1234",
    "123456789012",
    "qwertyuiopas",
    "passwordpassword",
    "iloveyou1234",
    "adminadmin12",
    "letmein12345",
    "welcome12345",
    "changeme1234",
    "password123!",
    "qwerty123456",
    "111111111111",
    "000000000000",
    "abcdefghijkl",
    "abc123abc123",
    "correcthorsebatterystaple",
    "trustno1trustno1",
    "passw0rdpassw0rd",
    "administrator",
    "football1234",
    "monkey123456",
    "dragon123456",
    "sunshine1234",
    "princess1234",
    "1q2w3e4r5t6y",
    "zaq12wsxcde3",
    "welcome123456",
    "password12345",
    "p@ssw0rd1234",
];

/// Checks a new password: at least [`MIN_PASSWORD_LEN`] characters and at most
/// [`crate::kernel::text::PASSWORD`], no control characters (a NUL byte, a line break: no
/// keyboard types them into a password field), not a common password, not the user
/// name.
///
/// # Errors
/// A message for the person choosing it.
pub fn check_new_password(username: &str, password: &str) -> std::result::Result<(), String> {
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Err(format!("Use at least {MIN_PASSWORD_LEN} characters; a few words in a row work well."));
    }
    if password.chars().count() > crate::kernel::text::PASSWORD {
        return Err(format!("Use at most {} characters.", crate::kernel::text::PASSWORD));
    }
    if password.chars().any(char::is_control) {
        return Err(
            "A password cannot have invisible control characters (such as a NUL byte or a line break)."
                .to_owned(),
        );
    }
    let lower = password.to_lowercase();
    if COMMON_PASSWORDS.contains(&lower.as_str())
        || lower.chars().all(|c| c == lower.chars().next().unwrap_or(' '))
    {
        return Err("This password is too common; choose another.".to_owned());
    }
    if lower.contains(&username.to_lowercase()) && !username.is_empty() {
        return Err("The password must not contain the user name.".to_owned());
    }
    Ok(())
}

/// Compares two secrets in time that does not depend on where they differ.
#[must_use]
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    // Unequal lengths are unequal at once: the length of a secret is no secret.
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

/// An argon2id hash of a random password, verified against when a user is unknown.
pub(crate) const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$2Kf1QdQ4m7Rr0r4yqyXo7bO7b9x4C1k1T3eGzVwWl1M";
