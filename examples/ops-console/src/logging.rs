//! Where the console's log lines go and what they look like: standard error, as
//! text or as one JSON object per line, filtered like `RUST_LOG`.
//!
//! Every request the admin answers makes one line with target `opsadmin::request`
//! (see `admin_web::request_log`): `request_id`, `method`, `route`, `status`,
//! `latency_ms` and, when signed in, `staff_id`. No line carries a password, a
//! session id, a CSRF token, an API token or a two-factor code.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

use crate::settings::LogFormat;

/// The filter used when none is given or the one given cannot be read.
pub const DEFAULT_FILTER: &str = "info";

/// Whether `filter` is a filter `RUST_LOG` takes (`info`, `warn,opsadmin::request=info`).
///
/// # Errors
/// What is wrong with it, in words.
pub fn check_filter(filter: &str) -> Result<(), String> {
    EnvFilter::try_new(filter).map(drop).map_err(|e| {
        format!("the log filter {filter:?} cannot be read ({e}); write it like RUST_LOG, e.g. info or warn,opsadmin::request=info")
    })
}

/// Starts logging to standard error in `format`, keeping the events `filter`
/// allows (the syntax of `RUST_LOG`; one that cannot be read falls back to `info`
/// with a warning). Colours only on a terminal. Calling it again does nothing.
pub fn init(format: LogFormat, filter: &str) {
    let (filter, refused) = match EnvFilter::try_new(filter) {
        Ok(f) => (f, None),
        Err(_) => (EnvFilter::new(DEFAULT_FILTER), check_filter(filter).err()),
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    let started = match format {
        LogFormat::Text => builder.try_init(),
        // One object per line, the event's fields at the top level next to
        // `timestamp`, `level` and `target`.
        LogFormat::Json => builder.json().flatten_event(true).with_current_span(false).try_init(),
    };
    if started.is_ok()
        && let Some(why) = refused
    {
        tracing::warn!("{why}; logging at {DEFAULT_FILTER}");
    }
}
