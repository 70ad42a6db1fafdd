//! Every setting of `ops-console`, resolved: what the server, the worker and the
//! other commands run with.
//!
//! A setting comes from a flag, else the environment (`DATABASE_URL`, `LOG_FORMAT`,
//! `OPSADMIN_*`), else the TOML file given by `--config` / `OPSADMIN_CONFIG`, else
//! its default. `ops-console config` prints the result with secrets masked.
//!
//! [`spec::SPECS`] lists every setting with its flag, environment variables, file
//! key and default; [`load()`] resolves them, and refuses a bad value with the
//! setting's name, where it came from and what is allowed ([`SettingsError`]).

mod load;
pub mod parse;
pub mod spec;

pub use load::{Flags, Resolved, SettingsError, Source, load, process_env};
pub use spec::Scope;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// The folder mail is written to when there is no SMTP relay (`mail_dir`'s default).
pub const DEFAULT_MAIL_DIR: &str = "ops-console-mail";

/// How log lines are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LogFormat {
    /// One human-readable line per event (the default).
    #[default]
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// The resolved settings.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The database URL (`--database-url`, `DATABASE_URL`; default `sqlite://ops-console.db`).
    pub database_url: String,
    /// A read replica for lists, counts, search and exports
    /// (`OPSADMIN_READ_DATABASE_URL`; none by default).
    pub read_database_url: Option<String>,
    /// Where the server listens (`--addr`, `OPSADMIN_ADDR`).
    pub addr: SocketAddr,
    /// The address staff open the console at (`--public-url`, `OPSADMIN_PUBLIC_URL`).
    pub public_url: Option<String>,
    /// Further origins allowed to post forms (`--trusted-origin`, `OPSADMIN_TRUSTED_ORIGINS`).
    pub trusted_origins: Vec<String>,
    /// Proxies whose `X-Forwarded-For` and `X-Request-Id` are believed
    /// (`--trusted-proxy`, `OPSADMIN_TRUSTED_PROXIES`): addresses or networks.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Whether the session cookie carries `Secure` (`--secure-cookies`, `OPSADMIN_SECURE_COOKIES`).
    pub secure_cookies: bool,
    /// Text or JSON log lines (`--log-format`, `LOG_FORMAT`, `OPSADMIN_LOG_FORMAT`).
    pub log_format: LogFormat,
    /// The log filter, as `RUST_LOG` takes it (`--log`, `RUST_LOG`, `OPSADMIN_LOG`; default `info`).
    pub log_filter: String,
    /// The bearer token that may read `/admin/metrics` (`OPSADMIN_METRICS_TOKEN`; secret).
    /// Without it and without [`Settings::metrics_addr`], metrics are not served.
    pub metrics_token: Option<String>,
    /// A separate address serving only `/metrics`, without a token (`--metrics-addr`,
    /// `OPSADMIN_METRICS_ADDR`), e.g. `127.0.0.1:9100`.
    pub metrics_addr: Option<SocketAddr>,
    /// How long a stopping server waits for requests in flight and the worker's
    /// current item (`--shutdown-timeout`, `OPSADMIN_SHUTDOWN_TIMEOUT`, seconds; default 30).
    pub shutdown_timeout: Duration,
    /// Whether `serve` runs the worker in its own process (`--no-worker` turns it off,
    /// `OPSADMIN_WORKER=false`).
    pub worker: bool,
    /// The SMTP relay for mail (`OPSADMIN_SMTP_URL`, formerly `OPS_CONSOLE_SMTP_URL`; secret
    /// password inside). Without it, mail is written to [`Settings::mail_dir`].
    pub smtp_url: Option<String>,
    /// A PEM file of CA certificates the SMTP relay's certificate may chain to, besides
    /// webpki-roots (`OPSADMIN_SMTP_CA_FILE`, TOML `smtp_ca_file`): for a relay with a
    /// private CA, over STARTTLS (`smtp://…?tls=required`) or `smtps://`.
    pub smtp_ca_file: Option<PathBuf>,
    /// The folder of `.eml` files when there is no relay (`OPSADMIN_MAIL_DIR`; default `ops-console-mail`).
    pub mail_dir: PathBuf,
    /// How long a deleted record can be restored (`OPSADMIN_RESTORE_WINDOW_DAYS`; default 30).
    pub restore_window_days: u32,
    /// The most database connections one process opens (`OPSADMIN_DB_MAX_CONNECTIONS`;
    /// default 3 on SQLite, 16 on PostgreSQL).
    pub db_max_connections: Option<u32>,
    /// The TOML file the settings were read from, if any.
    pub config_file: Option<PathBuf>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            database_url: crate::DEFAULT_DATABASE_URL.to_owned(),
            read_database_url: None,
            addr: crate::cli::DEFAULT_ADDR
                .parse()
                .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 8000))),
            public_url: None,
            trusted_origins: Vec::new(),
            trusted_proxies: Vec::new(),
            secure_cookies: false,
            log_format: LogFormat::Text,
            log_filter: "info".to_owned(),
            metrics_token: None,
            metrics_addr: None,
            shutdown_timeout: Duration::from_secs(30),
            worker: true,
            smtp_url: None,
            smtp_ca_file: None,
            mail_dir: PathBuf::from(DEFAULT_MAIL_DIR),
            restore_window_days: 30,
            db_max_connections: None,
            config_file: None,
        }
    }
}

impl Settings {
    /// The admin site's settings these make.
    #[must_use]
    pub fn web_config(&self) -> opsadmin::web::Config {
        opsadmin::web::Config {
            public_url: self.public_url.clone(),
            trusted_origins: self.trusted_origins.clone(),
            trusted_proxies: self.trusted_proxies.clone(),
            secure_cookies: self.secure_cookies,
            restore_window: chrono::Duration::days(i64::from(self.restore_window_days)),
            ..opsadmin::web::Config::default()
        }
    }
}
