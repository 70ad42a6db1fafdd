//! The reference app's settings: each from its flag, else the environment, else the
//! TOML settings file, else its default; bad values refused at start with the
//! setting's name, where it came from and what is allowed (exit code 2);
//! `ops-console config` masking every secret. The loader is tested here, in process
//! with an environment of the test's own; the real binary in `config_run.rs`.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use ops_console::settings::spec::{SPECS, Scope};
use ops_console::settings::{Flags, LogFormat, Resolved, Source, load};

static N: AtomicU64 = AtomicU64::new(0);

/// A file of the test's own in the temporary folder, holding `text`.
pub fn toml_file(text: &str) -> PathBuf {
    let n = N.fetch_add(1, Ordering::SeqCst);
    let path = std::env::temp_dir().join(format!("opsadmin-config-{}-{n}.toml", std::process::id()));
    std::fs::write(&path, text).unwrap();
    path
}

/// The settings of `serve` with these flags and this environment (nothing else of
/// the process's environment is seen).
fn resolve(flags: Flags, env: &[(&str, &str)]) -> Result<Resolved, String> {
    resolve_as(flags, env, Scope::Serve)
}

fn resolve_as(flags: Flags, env: &[(&str, &str)], scope: Scope) -> Result<Resolved, String> {
    let env: HashMap<String, String> = env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    load(flags, scope, &|name| env.get(name).cloned()).map_err(|e| e.0)
}

fn source(r: &Resolved, key: &str) -> Source {
    r.sources.iter().find(|(k, _)| *k == key).map(|(_, s)| s.clone()).unwrap_or(Source::Default)
}

#[test]
fn each_setting_comes_from_the_flag_else_the_environment_else_the_file_else_its_default() {
    let file = toml_file(
        "addr = \"10.0.0.1:7000\"\nshutdown_timeout = 11\nlog_format = \"json\"\n\
         database_url = \"sqlite://from-file.db\"\ntrusted_proxies = [\"10.0.0.0/8\", \"::1\"]\n\
         restore_window_days = 9\nworker = false\n",
    );
    let with_file = || Flags { config: Some(file.clone()), ..Flags::default() };
    let env = [
        ("OPSADMIN_ADDR", "10.0.0.2:7000"),
        ("OPSADMIN_SHUTDOWN_TIMEOUT", "12"),
        ("OPSADMIN_TRUSTED_PROXIES", "192.168.0.0/16, 172.16.0.1"),
        ("OPSADMIN_WORKER", "yes"),
    ];
    let flags = Flags {
        addr: Some("10.0.0.3:7000".parse().unwrap()),
        shutdown_timeout: Some(13),
        worker: Some(false),
        ..with_file()
    };
    // Flags win over the environment, the environment over the file.
    let r = resolve(flags, &env).unwrap();
    assert_eq!(r.settings.addr.to_string(), "10.0.0.3:7000");
    assert_eq!(r.settings.shutdown_timeout, Duration::from_secs(13));
    assert!(!r.settings.worker);
    assert_eq!(source(&r, "addr"), Source::Flag("--addr"));
    assert_eq!(source(&r, "worker"), Source::Flag("--no-worker"));
    assert_eq!(r.settings.trusted_proxies.len(), 2);
    assert_eq!(r.settings.trusted_proxies[0].to_string(), "192.168.0.0/16");
    assert_eq!(source(&r, "trusted_proxies"), Source::Env("OPSADMIN_TRUSTED_PROXIES"));
    // Without flags: the environment, then the file, then the defaults.
    let r = resolve(with_file(), &env).unwrap();
    assert_eq!(r.settings.addr.to_string(), "10.0.0.2:7000");
    assert_eq!(r.settings.shutdown_timeout, Duration::from_secs(12));
    assert!(r.settings.worker, "OPSADMIN_WORKER=yes");
    assert_eq!(source(&r, "shutdown_timeout"), Source::Env("OPSADMIN_SHUTDOWN_TIMEOUT"));
    assert_eq!(r.settings.log_format, LogFormat::Json);
    assert_eq!(source(&r, "log_format"), Source::File(file.clone()));
    assert_eq!(r.settings.database_url, "sqlite://from-file.db");
    assert_eq!(r.settings.restore_window_days, 9);
    assert_eq!(r.settings.config_file.as_deref(), Some(file.as_path()));
    assert_eq!(source(&r, "public_url"), Source::Default);
    assert_eq!(r.settings.public_url, None);
    // Without the environment: the file; a file list is a TOML list.
    let r = resolve(with_file(), &[]).unwrap();
    assert_eq!(r.settings.addr.to_string(), "10.0.0.1:7000");
    assert_eq!(
        r.settings.trusted_proxies.iter().map(ToString::to_string).collect::<Vec<_>>(),
        ["10.0.0.0/8", "::1/128"]
    );
    assert!(!r.settings.worker);
    // Nothing given: the defaults.
    let r = resolve(Flags::default(), &[]).unwrap();
    assert_eq!(r.settings.addr.to_string(), "127.0.0.1:8000");
    assert_eq!(r.settings.shutdown_timeout, Duration::from_secs(30));
    assert_eq!(r.settings.database_url, ops_console::DEFAULT_DATABASE_URL);
    assert!(r.sources.iter().all(|(_, s)| *s == Source::Default), "{:?}", r.sources);
    assert_eq!(r.sources.len(), SPECS.len(), "serve reads every setting");
    // The file named by the environment, when no flag names one; an empty
    // variable counts as unset.
    let r = resolve(Flags::default(), &[("OPSADMIN_CONFIG", file.to_str().unwrap()), ("OPSADMIN_ADDR", " ")])
        .unwrap();
    assert_eq!(r.settings.addr.to_string(), "10.0.0.1:7000");
    std::fs::remove_file(&file).ok();
}

#[test]
fn the_newer_environment_names_win_and_the_older_ones_are_still_read() {
    let r = resolve(Flags::default(), &[("LOG_FORMAT", "json"), ("RUST_LOG", "warn")]).unwrap();
    assert_eq!((r.settings.log_format, r.settings.log_filter.as_str()), (LogFormat::Json, "warn"));
    assert_eq!(source(&r, "log"), Source::Env("RUST_LOG"));
    let r = resolve(
        Flags::default(),
        &[
            ("LOG_FORMAT", "json"),
            ("OPSADMIN_LOG_FORMAT", "text"),
            ("RUST_LOG", "warn"),
            ("OPSADMIN_LOG", "debug"),
        ],
    )
    .unwrap();
    assert_eq!((r.settings.log_format, r.settings.log_filter.as_str()), (LogFormat::Text, "debug"));
    let r = resolve(
        Flags::default(),
        &[("OPS_CONSOLE_SMTP_URL", "smtp://relay:25"), ("OPS_CONSOLE_MAIL_DIR", "/var/mail/ops")],
    )
    .unwrap();
    assert_eq!(r.settings.smtp_url.as_deref(), Some("smtp://relay:25"));
    assert_eq!(r.settings.mail_dir, PathBuf::from("/var/mail/ops"));
    let r = resolve(
        Flags::default(),
        &[("OPS_CONSOLE_SMTP_URL", "smtp://old:25"), ("OPSADMIN_SMTP_URL", "smtp://new:25")],
    )
    .unwrap();
    assert_eq!(r.settings.smtp_url.as_deref(), Some("smtp://new:25"));
}

#[test]
fn a_command_reads_only_the_settings_it_uses() {
    let env = [
        ("OPSADMIN_ADDR", "nowhere"),
        ("OPSADMIN_METRICS_TOKEN", "short"),
        ("OPSADMIN_SHUTDOWN_TIMEOUT", "5"),
    ];
    // `worker` and `token` do not listen: a bad address does not stop them.
    let r = resolve_as(Flags::default(), &env, Scope::Worker).unwrap();
    assert_eq!(r.settings.shutdown_timeout, Duration::from_secs(5));
    assert!(r.sources.iter().all(|(k, _)| *k != "addr"), "{:?}", r.sources);
    let r = resolve_as(Flags::default(), &env, Scope::Database).unwrap();
    assert_eq!(r.settings.shutdown_timeout, Duration::from_secs(30), "token does not read it");
    // `serve` does.
    assert!(resolve(Flags::default(), &env).unwrap_err().starts_with("OPSADMIN_ADDR (environment)"));
}

/// Every kind of bad value, from the environment: the message names the variable,
/// says it came from the environment and what is allowed.
#[test]
fn bad_values_are_refused_with_the_settings_name_where_it_came_from_and_what_is_allowed() {
    let cases: &[(&str, &str, &str)] = &[
        ("OPSADMIN_SHUTDOWN_TIMEOUT", "abc", "`abc` is not a number of seconds; give a whole number like 30"),
        ("OPSADMIN_SHUTDOWN_TIMEOUT", "3601", "`3601` is not between 0 and 3600 seconds"),
        ("OPSADMIN_ADDR", "localhost:80", "`localhost:80` is not an address to listen on; use IP:PORT"),
        ("OPSADMIN_METRICS_ADDR", "9100", "is not an address to listen on"),
        ("OPSADMIN_PUBLIC_URL", "ops.example.com", "starting with https:// or http://"),
        (
            "OPSADMIN_TRUSTED_ORIGINS",
            "https://a.example, b.example",
            "`b.example` is not an address starting with",
        ),
        ("OPSADMIN_TRUSTED_PROXIES", "10.0.0.0/8,10.0.0.300", "`10.0.0.300` is not an IP address or network"),
        (
            "OPSADMIN_SECURE_COOKIES",
            "maybe",
            "`maybe` is not true or false; give true, false, 1, 0, yes or no",
        ),
        ("OPSADMIN_WORKER", "off", "give true, false, 1, 0, yes or no"),
        ("LOG_FORMAT", "xml", "`xml` is not a log format; give text or json"),
        ("RUST_LOG", "info,=[", "is not a log filter"),
        ("OPSADMIN_DB_MAX_CONNECTIONS", "0", "`0` is not between 1 and 1000 connections"),
        ("OPSADMIN_DB_MAX_CONNECTIONS", "many", "not a number of connections"),
        ("OPSADMIN_RESTORE_WINDOW_DAYS", "-3", "not a number of days"),
        ("OPSADMIN_RESTORE_WINDOW_DAYS", "4000", "not between 1 and 3650 days"),
        (
            "DATABASE_URL",
            "mysql://ops:hunter22@db/ops",
            "`mysql://ops:***@db/ops` is not a database URL; give sqlite://FILE or postgres://",
        ),
        ("OPSADMIN_SMTP_URL", "relay.example:25", "is not an SMTP URL; give smtp://"),
        (
            "OPSADMIN_METRICS_TOKEN",
            "tooshort",
            "the value is not a usable token; give at least 16 characters",
        ),
    ];
    for (var, value, says) in cases {
        let e = resolve(Flags::default(), &[(var, value)]).expect_err(var);
        assert!(e.starts_with(&format!("{var} (environment): ")), "{var}={value}: {e}");
        assert!(e.contains(says), "{var}={value}: {e}");
    }
    // Secrets are never repeated.
    for (var, value) in
        [("OPSADMIN_METRICS_TOKEN", "tooshort"), ("DATABASE_URL", "mysql://ops:hunter22@db/ops")]
    {
        let e = resolve(Flags::default(), &[(var, value)]).unwrap_err();
        assert!(!e.contains("tooshort") && !e.contains("hunter22"), "{e}");
    }
    // From the file: the key and the file.
    let file = toml_file("shutdown_timeout = \"abc\"\n");
    let e = resolve(Flags { config: Some(file.clone()), ..Flags::default() }, &[]).unwrap_err();
    assert_eq!(
        e,
        format!(
            "shutdown_timeout in {}: `abc` is not a number of seconds; give a whole number like 30",
            file.display()
        )
    );
    // The flag's own value is checked by the command line's parser (see `cli.rs`);
    // the database URL's here, so that its password is not echoed.
    let flags = Flags { database_url: Some("pg://u:pw-secret@h/d".into()), ..Flags::default() };
    let e = resolve(flags, &[]).unwrap_err();
    assert!(e.starts_with("--database-url (command line): `pg://u:***@h/d` is not a database URL"), "{e}");
    std::fs::remove_file(&file).ok();
}

#[test]
fn a_settings_file_with_an_unknown_key_a_wrong_type_or_bad_toml_is_refused() {
    let check = |text: &str, says: &[&str]| {
        let file = toml_file(text);
        let e = resolve(Flags { config: Some(file.clone()), ..Flags::default() }, &[]).unwrap_err();
        for s in says {
            assert!(e.contains(s), "{text:?}: {e}");
        }
        assert!(e.contains(&file.display().to_string()), "{e}");
        std::fs::remove_file(&file).ok();
        e
    };
    check(
        "adr = \"127.0.0.1:1\"\n",
        &["unknown setting `adr`; did you mean `addr`?", "The settings are database_url,"],
    );
    check("shutdown_timout = 3\n", &["did you mean `shutdown_timeout`?"]);
    let e = check("colour = \"blue\"\n", &["unknown setting `colour`. The settings are"]);
    assert!(!e.contains("did you mean"), "{e}");
    check("[server]\naddr = \"127.0.0.1:1\"\n", &["unknown setting `server`"]);
    check("shutdown_timeout = 1.5\n", &["shutdown_timeout in", "a float is not allowed"]);
    check("trusted_proxies = [1, 2]\n", &["trusted_proxies in", "a list of something other than texts"]);
    check("addr = [\"127.0.0.1:1\"]\n", &["addr in", "is a list; give one value"]);
    // Bad TOML: the line, never the line's text (it may hold a secret).
    let e = check(
        "addr = \"127.0.0.1:1\"\nmetrics_token = \"s3cret-s3cret-s3cret\n",
        &["not a valid TOML file (line 2)"],
    );
    assert!(!e.contains("s3cret"), "{e}");
    // A file that was named but is missing is an error, however it was named.
    let missing = std::env::temp_dir().join("opsadmin-no-such-settings.toml");
    let e = resolve(Flags { config: Some(missing.clone()), ..Flags::default() }, &[]).unwrap_err();
    assert!(e.starts_with("--config (command line): cannot read the settings file"), "{e}");
    let e = resolve(Flags::default(), &[("OPSADMIN_CONFIG", missing.to_str().unwrap())]).unwrap_err();
    assert!(e.starts_with("OPSADMIN_CONFIG (environment): cannot read the settings file"), "{e}");
}

#[test]
fn the_settings_reach_the_site_and_the_pool() {
    let r = resolve(
        Flags::default(),
        &[
            ("OPSADMIN_RESTORE_WINDOW_DAYS", "3"),
            ("OPSADMIN_SECURE_COOKIES", "1"),
            ("OPSADMIN_TRUSTED_PROXIES", "10.1.0.0/16"),
        ],
    )
    .unwrap();
    let web = r.settings.web_config();
    assert_eq!(web.restore_window, chrono::Duration::days(3));
    assert!(web.secure_cookies);
    assert_eq!(web.trusted_proxies, r.settings.trusted_proxies);
    assert_eq!(opsadmin::web::Config::default().restore_window, chrono::Duration::days(30));
}

#[test]
fn the_guide_lists_every_setting() {
    let guide = include_str!("../../docs/src/deployment.md");
    let section = guide.split("## Configuration").nth(1).expect("a Configuration section");
    for spec in SPECS {
        let row = section
            .lines()
            .find(|l| l.starts_with(&format!("| `{}`", spec.key)))
            .unwrap_or_else(|| panic!("no row for {}", spec.key));
        for name in spec.flag.iter().chain(spec.env.iter()) {
            assert!(row.contains(name), "{}: {name} missing in {row}", spec.key);
        }
    }
}
