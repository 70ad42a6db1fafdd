//! The value of each kind of setting from its text, as a flag, an environment
//! variable or the settings file gives it.
//!
//! Each parser returns what the value is not and what to give instead, worded to
//! follow "`VALUE` is " (and clap's "invalid value 'VALUE' for '--flag': "), e.g.
//! "not a number of seconds; give a whole number like 30". The message never
//! repeats the value itself: the caller shows it, masked when it is a secret.

use std::net::SocketAddr;
use std::path::PathBuf;

use super::LogFormat;

/// The longest a stopping server may be told to wait: an hour.
pub const MAX_SHUTDOWN_SECONDS: u64 = 3600;
/// The longest restore window: ten years.
pub const MAX_RESTORE_DAYS: u32 = 3650;
/// The most database connections one process may be told to open.
pub const MAX_CONNECTIONS: u32 = 1000;
/// The shortest metrics token accepted.
pub const MIN_TOKEN_LEN: usize = 16;

/// A value that is not blank, trimmed.
///
/// # Errors
/// When it is blank.
pub fn text(raw: &str) -> Result<String, String> {
    let value = raw.trim();
    if value.is_empty() { Err("empty; give a value".to_owned()) } else { Ok(value.to_owned()) }
}

/// An address to listen on: `IP:PORT`.
///
/// # Errors
/// When it is not one (a host name is not: the server binds an address).
pub fn listen_addr(raw: &str) -> Result<SocketAddr, String> {
    raw.trim().parse().map_err(|_| {
        format!("not an address to listen on; use IP:PORT, like {} or 0.0.0.0:8000", crate::cli::DEFAULT_ADDR)
    })
}

/// An origin-like URL: `http(s)://host[:port]`.
///
/// # Errors
/// When it does not start with `http://` or `https://` and a host.
pub fn web_url(raw: &str) -> Result<String, String> {
    let value = raw.trim();
    match value.strip_prefix("https://").or_else(|| value.strip_prefix("http://")) {
        Some(host) if !host.is_empty() && !host.starts_with('/') && !host.contains(char::is_whitespace) => {
            Ok(value.to_owned())
        }
        _ => Err("not an address starting with https:// or http://; give one like https://ops.example.com"
            .to_owned()),
    }
}

/// A proxy's address or network: `10.0.0.5`, `10.0.0.0/8`, `::1`, `fd00::/8`.
///
/// # Errors
/// When it is neither.
pub fn ip_net(raw: &str) -> Result<ipnet::IpNet, String> {
    let value = raw.trim();
    value
        .parse::<ipnet::IpNet>()
        .or_else(|_| value.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .map_err(|_| {
            "not an IP address or network; give addresses or networks like 10.0.0.5 or 10.0.0.0/8".to_owned()
        })
}

/// A yes or no: `true`/`false`, `1`/`0`, `yes`/`no` (any case).
///
/// # Errors
/// For anything else.
pub fn boolish(raw: &str) -> Result<bool, String> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => Ok(true),
        "false" | "0" | "no" => Ok(false),
        _ => Err("not true or false; give true, false, 1, 0, yes or no".to_owned()),
    }
}

/// `text` or `json`.
///
/// # Errors
/// For any other format.
pub fn log_format(raw: &str) -> Result<LogFormat, String> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "text" => Ok(LogFormat::Text),
        "json" => Ok(LogFormat::Json),
        _ => Err("not a log format; give text or json".to_owned()),
    }
}

/// A log filter as `RUST_LOG` takes it: `info`, `warn,ops_console=debug`.
///
/// # Errors
/// When tracing cannot read it.
pub fn log_filter(raw: &str) -> Result<String, String> {
    let value = text(raw)?;
    tracing_subscriber::EnvFilter::try_new(&value).map_err(|e| {
        format!("not a log filter ({e}); give a level like info, or directives like info,admin_core=debug")
    })?;
    Ok(value)
}

/// A whole number between `min` and `max`, of `unit`s.
fn number<T: std::str::FromStr + PartialOrd + std::fmt::Display + Copy>(
    raw: &str,
    unit: &str,
    min: T,
    max: T,
    like: T,
) -> Result<T, String> {
    match raw.trim().parse::<T>() {
        Ok(n) if n >= min && n <= max => Ok(n),
        Ok(_) => Err(format!("not between {min} and {max} {unit}; give a whole number like {like}")),
        Err(_) => Err(format!("not a number of {unit}; give a whole number like {like}")),
    }
}

/// How long a stopping server waits: whole seconds, 0 to an hour.
///
/// # Errors
/// When it is not such a number.
pub fn seconds(raw: &str) -> Result<u64, String> {
    number(raw, "seconds", 0, MAX_SHUTDOWN_SECONDS, 30)
}

/// How long a deleted record can be restored: whole days, 1 to ten years.
///
/// # Errors
/// When it is not such a number.
pub fn days(raw: &str) -> Result<u32, String> {
    number(raw, "days", 1, MAX_RESTORE_DAYS, 30)
}

/// The most database connections: 1 to [`MAX_CONNECTIONS`].
///
/// # Errors
/// When it is not such a number.
pub fn connections(raw: &str) -> Result<u32, String> {
    number(raw, "connections", 1, MAX_CONNECTIONS, 16)
}

/// A database URL: `sqlite:…` or `postgres://…` (`postgresql://`).
///
/// # Errors
/// For another scheme.
pub fn database_url(raw: &str) -> Result<String, String> {
    let value = text(raw)?;
    let known = ["sqlite:", "postgres://", "postgresql://"].iter().any(|s| value.starts_with(s));
    if known {
        Ok(value)
    } else {
        Err("not a database URL; give sqlite://FILE or postgres://USER:PASSWORD@HOST/DATABASE".to_owned())
    }
}

/// The metrics token: a secret of at least [`MIN_TOKEN_LEN`] characters, no spaces.
///
/// # Errors
/// When it is shorter or holds white space.
pub fn token(raw: &str) -> Result<String, String> {
    let value = raw.trim();
    if value.chars().count() < MIN_TOKEN_LEN || value.contains(char::is_whitespace) {
        return Err(format!(
            "not a usable token; give at least {MIN_TOKEN_LEN} characters without spaces, e.g. from \
             `openssl rand -hex 32`"
        ));
    }
    Ok(value.to_owned())
}

/// The SMTP relay's URL: `SCHEME://[USER:PASSWORD@]HOST[:PORT]`.
///
/// # Errors
/// When it has no scheme or no host.
pub fn smtp_url(raw: &str) -> Result<String, String> {
    let value = text(raw)?;
    match value.split_once("://") {
        Some((scheme, rest)) if scheme.starts_with("smtp") && !rest.is_empty() => Ok(value),
        _ => Err("not an SMTP URL; give smtp://USER:PASSWORD@HOST:PORT".to_owned()),
    }
}

/// A folder.
///
/// # Errors
/// When it is blank.
pub fn path(raw: &str) -> Result<PathBuf, String> {
    text(raw).map(PathBuf::from)
}
