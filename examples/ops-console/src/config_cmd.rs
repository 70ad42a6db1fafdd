//! `ops-console config`: every setting `serve` would run with, one per line, with
//! where it came from. Secrets are masked: the database URL's and the SMTP URL's
//! passwords, and the metrics token, are never printed.

use crate::settings::spec::{SPECS, shown};
use crate::settings::{LogFormat, Resolved, Settings, Source};

/// The text `ops-console config` prints: a line per setting, `key = value` and its
/// source, aligned.
#[must_use]
pub fn render(resolved: &Resolved) -> String {
    let rows: Vec<(&str, String, String)> = SPECS
        .iter()
        .map(|spec| {
            let source = resolved
                .sources
                .iter()
                .find(|(key, _)| *key == spec.key)
                .map_or(Source::Default, |(_, s)| s.clone());
            let value = value(&resolved.settings, spec.key)
                .map_or_else(|| not_set(spec.default), |v| shown(spec.mask, &v));
            (spec.key, value, source.to_string())
        })
        .collect();
    let key_width = rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
    let value_width = rows.iter().map(|r| r.1.chars().count()).max().unwrap_or(0).min(48);
    let mut out = match &resolved.settings.config_file {
        Some(path) => format!("# settings file: {}\n", path.display()),
        None => "# settings file: none (--config FILE or OPSADMIN_CONFIG names one)\n".to_owned(),
    };
    for (key, value, source) in rows {
        out.push_str(&format!("{key:<key_width$} = {value:<value_width$}  # {source}\n"));
    }
    out.trim_end().to_owned()
}

/// An unset setting, with what that means: "(not set)", "(not set: the request's Host)".
fn not_set(default: &str) -> String {
    match default.strip_prefix("none") {
        Some("") => "(not set)".to_owned(),
        Some(rest) => format!("(not set: {})", rest.trim().trim_start_matches('(').trim_end_matches(')')),
        None => format!("(not set: {default})"),
    }
}

/// The setting's value as text, unmasked; `None` when it is not set.
fn value(s: &Settings, key: &str) -> Option<String> {
    let list = |items: Vec<String>| if items.is_empty() { None } else { Some(items.join(", ")) };
    match key {
        "database_url" => Some(s.database_url.clone()),
        "read_database_url" => s.read_database_url.clone(),
        "db_max_connections" => s.db_max_connections.map(|n| n.to_string()),
        "addr" => Some(s.addr.to_string()),
        "public_url" => s.public_url.clone(),
        "trusted_origins" => list(s.trusted_origins.clone()),
        "trusted_proxies" => list(s.trusted_proxies.iter().map(ToString::to_string).collect()),
        "secure_cookies" => Some(s.secure_cookies.to_string()),
        "log_format" => Some(match s.log_format {
            LogFormat::Text => "text".to_owned(),
            LogFormat::Json => "json".to_owned(),
        }),
        "log" => Some(s.log_filter.clone()),
        "metrics_token" => s.metrics_token.clone(),
        "metrics_addr" => s.metrics_addr.map(|a| a.to_string()),
        "shutdown_timeout" => Some(s.shutdown_timeout.as_secs().to_string()),
        "worker" => Some(s.worker.to_string()),
        "smtp_url" => s.smtp_url.clone(),
        "mail_dir" => Some(s.mail_dir.display().to_string()),
        "restore_window_days" => Some(s.restore_window_days.to_string()),
        _ => None,
    }
}
