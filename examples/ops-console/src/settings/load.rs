//! Resolving the settings: each from its flag, else the environment, else the
//! settings file, else its default; every value checked, and a bad one refused
//! with the setting's name, where it came from and what is allowed.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use super::parse;
use super::spec::{CONFIG_ENV, CONFIG_FLAG, Mask, SPECS, Scope, Spec, shown, spec_of};
use super::{LogFormat, Settings};

/// The settings given on the command line, already checked by the parser. An
/// empty list or `None` means "not given".
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Flags {
    /// `--database-url` (checked here, so that its password is never echoed).
    pub database_url: Option<String>,
    /// `--addr`.
    pub addr: Option<SocketAddr>,
    /// `--public-url`.
    pub public_url: Option<String>,
    /// `--trusted-origin`, repeated.
    pub trusted_origins: Vec<String>,
    /// `--trusted-proxy`, repeated.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// `--secure-cookies`.
    pub secure_cookies: Option<bool>,
    /// `--log-format`.
    pub log_format: Option<LogFormat>,
    /// `--log`.
    pub log_filter: Option<String>,
    /// `--metrics-addr`.
    pub metrics_addr: Option<SocketAddr>,
    /// `--shutdown-timeout`, in seconds.
    pub shutdown_timeout: Option<u64>,
    /// `--no-worker` (as `Some(false)`).
    pub worker: Option<bool>,
    /// `--config`.
    pub config: Option<PathBuf>,
}

/// Where a setting's value came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// Its default.
    Default,
    /// A command-line flag.
    Flag(&'static str),
    /// An environment variable.
    Env(&'static str),
    /// The settings file.
    File(PathBuf),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Default => f.write_str("default"),
            Self::Flag(flag) => write!(f, "flag {flag}"),
            Self::Env(name) => write!(f, "environment {name}"),
            Self::File(path) => write!(f, "file {}", path.display()),
        }
    }
}

/// The settings and where each came from.
#[derive(Clone, Debug)]
pub struct Resolved {
    /// The settings.
    pub settings: Settings,
    /// Where each setting the command reads came from, in the order of
    /// [`super::spec::SPECS`].
    pub sources: Vec<(&'static str, Source)>,
}

/// A setting refused at start: the message names it, where it came from and what
/// is allowed, and never holds a secret. The binary exits with code 2.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SettingsError(pub String);

impl fmt::Display for SettingsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SettingsError {}

/// The settings a command of kind `scope` runs with: `flags`, else the
/// environment as `env` reads it, else the settings file (`--config` /
/// `OPSADMIN_CONFIG`), else the defaults.
///
/// # Errors
/// When the settings file cannot be read, is not TOML or holds an unknown key,
/// or when a value is not allowed.
pub fn load(
    flags: Flags,
    scope: Scope,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Resolved, SettingsError> {
    let file = settings_file(flags.config.clone(), env)?;
    let mut layers = Layers { env, file, scope, sources: Vec::new() };
    let settings = layers.settings(flags)?;
    let mut sources = layers.sources;
    sources.sort_by_key(|(key, _)| SPECS.iter().position(|s| s.key == *key));
    Ok(Resolved { settings, sources })
}

/// The environment of this process (a value that is not UTF-8 is read lossily, and
/// then refused by its setting's check).
#[must_use]
pub fn process_env(name: &str) -> Option<String> {
    std::env::var_os(name).map(|v| v.to_string_lossy().into_owned())
}

struct SettingsFile {
    path: PathBuf,
    table: toml::Table,
}

/// The settings file named by the flag or the environment, read and its keys
/// checked; none when neither names one.
fn settings_file(
    flag: Option<PathBuf>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<SettingsFile>, SettingsError> {
    let (path, named_by) = match (flag, env(CONFIG_ENV).filter(|v| !v.trim().is_empty())) {
        (Some(p), _) => (p, format!("{CONFIG_FLAG} (command line)")),
        (None, Some(p)) => (PathBuf::from(p.trim()), format!("{CONFIG_ENV} (environment)")),
        (None, None) => return Ok(None),
    };
    let text = std::fs::read_to_string(&path).map_err(|e| {
        SettingsError(format!("{named_by}: cannot read the settings file {}: {e}", path.display()))
    })?;
    let table = read_table(&path, &text)?;
    Ok(Some(SettingsFile { path, table }))
}

/// The file's table, every key a setting.
fn read_table(path: &Path, text: &str) -> Result<toml::Table, SettingsError> {
    let table: toml::Table = toml::from_str(text).map_err(|e| {
        // The message and the line, not the error's own rendering: that quotes
        // the line, which may hold a secret.
        let line = e.span().map_or(0, |s| text[..s.start.min(text.len())].lines().count().max(1));
        SettingsError(format!(
            "{}: not a valid TOML file (line {line}): {}",
            path.display(),
            e.message().trim()
        ))
    })?;
    for key in table.keys() {
        if SPECS.iter().all(|s| s.key != key.as_str()) {
            return Err(SettingsError(format!(
                "{}: unknown setting `{key}`{}. The settings are {}.",
                path.display(),
                suggestion(key),
                SPECS.iter().map(|s| s.key).collect::<Vec<_>>().join(", ")
            )));
        }
    }
    Ok(table)
}

/// "; did you mean `addr`?" for the closest key, if one is close.
fn suggestion(key: &str) -> String {
    SPECS
        .iter()
        .map(|s| (strsim::jaro_winkler(key, s.key), s.key))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map_or_else(String::new, |(_, best)| format!("; did you mean `{best}`?"))
}

/// A setting's text from the environment or the file: one value or a list.
enum Raw {
    One(String),
    Many(Vec<String>),
}

struct Layers<'a> {
    env: &'a dyn Fn(&str) -> Option<String>,
    file: Option<SettingsFile>,
    scope: Scope,
    sources: Vec<(&'static str, Source)>,
}

/// The message for a refused value.
fn refused(spec: &Spec, source: &Source, raw: &str, why: &str) -> SettingsError {
    let name = match source {
        Source::Flag(flag) => format!("{flag} (command line)"),
        Source::Env(var) => format!("{var} (environment)"),
        Source::File(path) => format!("{} in {}", spec.key, path.display()),
        Source::Default => spec.key.to_owned(),
    };
    let shown = match spec.mask {
        Mask::Secret => "the value".to_owned(),
        mask => format!("`{}`", shown(mask, raw)),
    };
    SettingsError(format!("{name}: {shown} is {why}"))
}

/// The message for a value of a type no setting takes.
fn wrong_type(spec: &Spec, path: &Path, what: &str) -> SettingsError {
    SettingsError(format!(
        "{} in {}: {what} is not allowed; give a text in quotes, a whole number, true or false{}",
        spec.key,
        path.display(),
        if spec.flag.is_some_and(|f| f.starts_with("--trusted")) { ", or a list of texts" } else { "" }
    ))
}

impl Layers<'_> {
    /// The setting's text from the environment, else the file, with its source.
    fn lookup(&self, spec: &'static Spec) -> Result<Option<(Raw, Source)>, SettingsError> {
        for var in spec.env {
            if let Some(v) = (self.env)(var).filter(|v| !v.trim().is_empty()) {
                return Ok(Some((Raw::One(v), Source::Env(var))));
            }
        }
        let Some(file) = &self.file else { return Ok(None) };
        let Some(value) = file.table.get(spec.key) else { return Ok(None) };
        let source = Source::File(file.path.clone());
        let raw = match value {
            toml::Value::String(s) => Raw::One(s.clone()),
            toml::Value::Integer(n) => Raw::One(n.to_string()),
            toml::Value::Boolean(b) => Raw::One(b.to_string()),
            toml::Value::Array(items) => {
                let texts: Option<Vec<String>> =
                    items.iter().map(|i| i.as_str().map(str::to_owned)).collect();
                let Some(texts) = texts else {
                    return Err(wrong_type(spec, &file.path, "a list of something other than texts"));
                };
                Raw::Many(texts)
            }
            other => return Err(wrong_type(spec, &file.path, &format!("a {}", other.type_str()))),
        };
        Ok(Some((raw, source)))
    }

    /// One value: the flag, else the environment, else the file; `None` for the
    /// default (or when the command does not read it).
    fn one<T>(
        &mut self,
        key: &'static str,
        flag: Option<T>,
        parse: fn(&str) -> Result<T, String>,
    ) -> Result<Option<T>, SettingsError> {
        let spec = spec_of(key);
        if !self.scope.reads(key) {
            return Ok(None);
        }
        if let Some(value) = flag {
            self.sources.push((key, Source::Flag(spec.flag.unwrap_or(key))));
            return Ok(Some(value));
        }
        let Some((raw, source)) = self.lookup(spec)? else {
            self.sources.push((key, Source::Default));
            return Ok(None);
        };
        let text = match raw {
            Raw::One(text) => text,
            Raw::Many(items) => {
                return Err(refused(spec, &source, &items.join(", "), "a list; give one value"));
            }
        };
        let value = parse(text.trim()).map_err(|why| refused(spec, &source, text.trim(), &why))?;
        self.sources.push((key, source));
        Ok(Some(value))
    }

    /// A list: the flags, else the environment (comma-separated), else the file (a
    /// list, or one comma-separated text).
    fn many<T>(
        &mut self,
        key: &'static str,
        flag: Vec<T>,
        parse: fn(&str) -> Result<T, String>,
    ) -> Result<Option<Vec<T>>, SettingsError> {
        let spec = spec_of(key);
        if !self.scope.reads(key) {
            return Ok(None);
        }
        if !flag.is_empty() {
            self.sources.push((key, Source::Flag(spec.flag.unwrap_or(key))));
            return Ok(Some(flag));
        }
        let Some((raw, source)) = self.lookup(spec)? else {
            self.sources.push((key, Source::Default));
            return Ok(None);
        };
        let items: Vec<String> = match raw {
            Raw::One(text) => {
                text.split(',').map(str::trim).filter(|i| !i.is_empty()).map(str::to_owned).collect()
            }
            Raw::Many(items) => items,
        };
        let values = items
            .iter()
            .map(|i| parse(i.trim()).map_err(|why| refused(spec, &source, i.trim(), &why)))
            .collect::<Result<Vec<T>, _>>()?;
        self.sources.push((key, source));
        Ok(Some(values))
    }

    /// Every setting the scope reads, checked.
    fn settings(&mut self, flags: Flags) -> Result<Settings, SettingsError> {
        let mut s = Settings::default();
        let url_flag = match flags.database_url {
            Some(raw) => Some(parse::database_url(&raw).map_err(|why| {
                refused(spec_of("database_url"), &Source::Flag("--database-url"), &raw, &why)
            })?),
            None => None,
        };
        if let Some(v) = self.one("database_url", url_flag, parse::database_url)? {
            s.database_url = v;
        }
        s.read_database_url = self.one("read_database_url", None, parse::database_url)?;
        s.db_max_connections = self.one("db_max_connections", None, parse::connections)?;
        if let Some(v) = self.one("addr", flags.addr, parse::listen_addr)? {
            s.addr = v;
        }
        s.public_url = self.one("public_url", flags.public_url, parse::web_url)?;
        s.trusted_origins =
            self.many("trusted_origins", flags.trusted_origins, parse::web_url)?.unwrap_or_default();
        s.trusted_proxies =
            self.many("trusted_proxies", flags.trusted_proxies, parse::ip_net)?.unwrap_or_default();
        if let Some(v) = self.one("secure_cookies", flags.secure_cookies, parse::boolish)? {
            s.secure_cookies = v;
        }
        if let Some(v) = self.one("log_format", flags.log_format, parse::log_format)? {
            s.log_format = v;
        }
        if let Some(v) = self.one("log", flags.log_filter, parse::log_filter)? {
            s.log_filter = v;
        }
        s.metrics_token = self.one("metrics_token", None, parse::token)?;
        s.metrics_addr = self.one("metrics_addr", flags.metrics_addr, parse::listen_addr)?;
        if let Some(v) = self.one("shutdown_timeout", flags.shutdown_timeout, parse::seconds)? {
            s.shutdown_timeout = std::time::Duration::from_secs(v);
        }
        if let Some(v) = self.one("worker", flags.worker, parse::boolish)? {
            s.worker = v;
        }
        s.smtp_url = self.one("smtp_url", None, parse::smtp_url)?;
        s.smtp_ca_file = self.one("smtp_ca_file", None, parse::path)?;
        if let Some(v) = self.one("mail_dir", None, parse::path)? {
            s.mail_dir = v;
        }
        if let Some(v) = self.one("restore_window_days", None, parse::days)? {
            s.restore_window_days = v;
        }
        s.config_file = self.file.as_ref().map(|f| f.path.clone());
        Ok(s)
    }
}
