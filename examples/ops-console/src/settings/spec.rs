//! The table of every setting: its key in the settings file (and in
//! `ops-console config`), its flag, its environment variables, its default and
//! whether it is a secret. The loader, `ops-console config` and the guide's table
//! follow it.

/// How a setting's value may be shown in messages and by `ops-console config`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mask {
    /// Shown as it is.
    Plain,
    /// Never shown: `***`.
    Secret,
    /// A URL shown with its password replaced by `***`.
    UrlPassword,
}

/// One setting.
#[derive(Debug)]
pub struct Spec {
    /// The key in the settings file, e.g. `shutdown_timeout`.
    pub key: &'static str,
    /// The command-line flag, if there is one (secrets have none: a command line
    /// is visible to every user of the machine).
    pub flag: Option<&'static str>,
    /// The environment variables, the first one set winning.
    pub env: &'static [&'static str],
    /// The default, in words.
    pub default: &'static str,
    /// What it is for.
    pub meaning: &'static str,
    /// How it may be shown.
    pub mask: Mask,
}

const fn spec(
    key: &'static str,
    flag: Option<&'static str>,
    env: &'static [&'static str],
    default: &'static str,
    meaning: &'static str,
) -> Spec {
    Spec { key, flag, env, default, meaning, mask: Mask::Plain }
}

const fn masked(mut s: Spec, mask: Mask) -> Spec {
    s.mask = mask;
    s
}

/// Every setting, in the order `ops-console config` prints them.
pub const SPECS: &[Spec] = &[
    masked(
        spec(
            "database_url",
            Some("--database-url"),
            &["DATABASE_URL"],
            "sqlite://ops-console.db?mode=rwc",
            "The database: sqlite://FILE or postgres://USER:PASSWORD@HOST/DATABASE.",
        ),
        Mask::UrlPassword,
    ),
    masked(
        spec(
            "read_database_url",
            None,
            &["OPSADMIN_READ_DATABASE_URL"],
            "(none: every read from the database)",
            "A PostgreSQL replica for lists, counts, search and exports; never for what a write checks.",
        ),
        Mask::UrlPassword,
    ),
    spec(
        "db_max_connections",
        None,
        &["OPSADMIN_DB_MAX_CONNECTIONS"],
        "3 on SQLite, 16 on PostgreSQL",
        "The most database connections one process opens (1 to 1000).",
    ),
    spec("addr", Some("--addr"), &["OPSADMIN_ADDR"], "127.0.0.1:8000", "Where the server listens (IP:PORT)."),
    spec(
        "public_url",
        Some("--public-url"),
        &["OPSADMIN_PUBLIC_URL"],
        "none (the request's Host)",
        "The address staff open the console at; forms from other sites are refused.",
    ),
    spec(
        "trusted_origins",
        Some("--trusted-origin"),
        &["OPSADMIN_TRUSTED_ORIGINS"],
        "none",
        "Further sites allowed to post forms (a list; comma-separated in the environment).",
    ),
    spec(
        "trusted_proxies",
        Some("--trusted-proxy"),
        &["OPSADMIN_TRUSTED_PROXIES"],
        "none",
        "Proxies whose X-Forwarded-For and X-Request-Id are believed: addresses or networks.",
    ),
    spec(
        "secure_cookies",
        Some("--secure-cookies"),
        &["OPSADMIN_SECURE_COOKIES"],
        "false",
        "Mark the session cookie Secure (behind HTTPS).",
    ),
    spec(
        "log_format",
        Some("--log-format"),
        &["OPSADMIN_LOG_FORMAT", "LOG_FORMAT"],
        "text",
        "Log lines as text or json.",
    ),
    spec("log", Some("--log"), &["OPSADMIN_LOG", "RUST_LOG"], "info", "What to log, as RUST_LOG takes it."),
    masked(
        spec(
            "metrics_token",
            None,
            &["OPSADMIN_METRICS_TOKEN"],
            "none",
            "The bearer token that may read /admin/metrics (at least 16 characters).",
        ),
        Mask::Secret,
    ),
    spec(
        "metrics_addr",
        Some("--metrics-addr"),
        &["OPSADMIN_METRICS_ADDR"],
        "none",
        "A separate address serving only /metrics, without a token (IP:PORT).",
    ),
    spec(
        "shutdown_timeout",
        Some("--shutdown-timeout"),
        &["OPSADMIN_SHUTDOWN_TIMEOUT"],
        "30",
        "Seconds a stopping server waits for requests in flight and the worker (0 to 3600).",
    ),
    spec(
        "worker",
        Some("--no-worker"),
        &["OPSADMIN_WORKER"],
        "true",
        "Whether serve runs the worker in its own process (--no-worker turns it off).",
    ),
    masked(
        spec(
            "smtp_url",
            None,
            &["OPSADMIN_SMTP_URL", "OPS_CONSOLE_SMTP_URL"],
            "none (mail goes to mail_dir)",
            "The SMTP relay for mail: smtp://USER:PASSWORD@HOST:PORT.",
        ),
        Mask::UrlPassword,
    ),
    spec(
        "mail_dir",
        None,
        &["OPSADMIN_MAIL_DIR", "OPS_CONSOLE_MAIL_DIR"],
        "ops-console-mail",
        "The folder of .eml files when there is no SMTP relay.",
    ),
    spec(
        "smtp_ca_file",
        None,
        &["OPSADMIN_SMTP_CA_FILE"],
        "none (webpki roots only)",
        "A PEM file of CA certificates the SMTP relay's certificate may chain to, besides the public roots.",
    ),
    spec(
        "restore_window_days",
        None,
        &["OPSADMIN_RESTORE_WINDOW_DAYS"],
        "30",
        "Days a deleted record can be restored (1 to 3650).",
    ),
];

/// The flag and environment variable naming the settings file.
pub const CONFIG_FLAG: &str = "--config";
/// The environment variable naming the settings file.
pub const CONFIG_ENV: &str = "OPSADMIN_CONFIG";

/// The setting with this key.
///
/// # Panics
/// When there is none: a key in the code that is not in [`SPECS`].
#[must_use]
pub fn spec_of(key: &str) -> &'static Spec {
    SPECS.iter().find(|s| s.key == key).unwrap_or_else(|| panic!("no setting {key}"))
}

/// The settings each kind of command reads; the others keep their defaults and
/// are neither read nor checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// `serve`, the demo and `config`: every setting.
    Serve,
    /// `worker`: the database, mail, logs and the shutdown timeout.
    Worker,
    /// The other commands: the database and logs.
    Database,
}

impl Scope {
    /// Whether commands of this kind read the setting `key`.
    #[must_use]
    pub fn reads(self, key: &str) -> bool {
        const DATABASE: &[&str] = &["database_url", "db_max_connections", "log_format", "log"];
        const WORKER: &[&str] = &["shutdown_timeout", "smtp_url", "smtp_ca_file", "mail_dir"];
        match self {
            Self::Serve => true,
            Self::Worker => DATABASE.contains(&key) || WORKER.contains(&key),
            Self::Database => DATABASE.contains(&key),
        }
    }
}

/// `raw` as `mask` allows it to be shown: a secret as `***`, a URL with its
/// password (in the user part, or a `password=` parameter) as `***`.
#[must_use]
pub fn shown(mask: Mask, raw: &str) -> String {
    match mask {
        Mask::Plain => raw.to_owned(),
        Mask::Secret => "***".to_owned(),
        Mask::UrlPassword => url_without_password(raw),
    }
}

fn url_without_password(url: &str) -> String {
    let mut out = match url.split_once("://") {
        // The last `@` ends the user part, whatever the password holds.
        Some((scheme, rest)) => match rest.rsplit_once('@') {
            Some((userinfo, host)) => match userinfo.split_once(':') {
                Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
                None => url.to_owned(),
            },
            None => url.to_owned(),
        },
        None => url.to_owned(),
    };
    for key in ["password=", "sslpassword="] {
        let mut from = 0;
        while let Some(i) = out[from..].find(key).map(|i| i + from + key.len()) {
            let end = out[i..].find('&').map_or(out.len(), |e| e + i);
            out.replace_range(i..end, "***");
            from = i + 3;
        }
    }
    out
}
