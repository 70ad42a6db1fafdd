//! The command line of `ops-console`, parsed by hand: three commands and a few flags
//! do not need a parser crate.

use std::fmt;
use std::net::SocketAddr;

use crate::roles;

/// Where the server listens unless `--addr` says otherwise.
pub const DEFAULT_ADDR: &str = "127.0.0.1:8000";

/// The help text (`ops-console --help`).
pub const USAGE: &str = "\
ops-console: the reference ops console for accounts, invoices and email jobs.

Usage:
  ops-console
      Start the demo on ops-console.db in the working directory: created, migrated
      and filled with demo data on first start, with a first staff user `admin`
      whose password is printed once. Serves http://127.0.0.1:8000/admin/.

  ops-console serve [--addr HOST:PORT] [--database-url URL]
      Serve an existing database (e.g. the benchmark data set). The admin's own
      tables are created or upgraded; no demo data is added.

  ops-console createuser NAME --role ROLE [--role ROLE ...] [--superuser] [--database-url URL]
      Create a staff user. The password comes from the environment variable
      ADMIN_PASSWORD, else from one line of standard input.

  ops-console audit verify [--database-url URL]
      Check the audit log's hash chain and name the first entry that was altered,
      removed or inserted out of band. Exit code 0 when intact, 1 when broken.

  ops-console --help
      Show this help.

Roles: admin, support, finance, viewer.
Database URLs: sqlite://FILE (created if missing), sqlite::memory:,
postgres://USER:PASSWORD@HOST/DATABASE. Without --database-url, the environment
variable DATABASE_URL is used, else ops-console.db.
Logging: RUST_LOG (default: info).
";

/// What the command line asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// No arguments: the demo on `ops-console.db`.
    Demo,
    /// `serve`.
    Serve(ServeArgs),
    /// `createuser`.
    CreateUser(CreateUserArgs),
    /// `audit verify`: walk the audit log's hash chain.
    AuditVerify {
        /// `--database-url`, if given.
        database_url: Option<String>,
    },
    /// `--help` (anywhere on the line).
    Help,
}

/// The options of `serve`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServeArgs {
    /// Where to listen.
    pub addr: SocketAddr,
    /// `--database-url`, if given.
    pub database_url: Option<String>,
}

/// The options of `createuser`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreateUserArgs {
    /// The new user's sign-in name.
    pub name: String,
    /// Role names, each one of [`roles::ROLES`].
    pub roles: Vec<String>,
    /// Whether the user holds every permission.
    pub superuser: bool,
    /// `--database-url`, if given.
    pub database_url: Option<String>,
}

/// A command line that cannot be understood, with a sentence saying why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsageError(pub String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

fn usage_error(msg: impl Into<String>) -> UsageError {
    UsageError(msg.into())
}

/// The arguments after the command, as flags with values and positionals.
struct Args {
    items: std::vec::IntoIter<String>,
    command: &'static str,
}

enum Arg {
    /// `--name` or `--name=value`.
    Flag(String, Option<String>),
    Positional(String),
}

impl Args {
    fn next(&mut self) -> Option<Arg> {
        let item = self.items.next()?;
        if item.starts_with("--") && item.len() > 2 {
            Some(match item.split_once('=') {
                Some((name, value)) => Arg::Flag(name.to_owned(), Some(value.to_owned())),
                None => Arg::Flag(item, None),
            })
        } else if item.starts_with('-') && item.len() > 1 {
            Some(Arg::Flag(item, None))
        } else {
            Some(Arg::Positional(item))
        }
    }

    /// The value of `flag`: after `=`, or the next argument.
    fn value(&mut self, flag: &str, inline: Option<String>, example: &str) -> Result<String, UsageError> {
        let value = match inline {
            Some(v) => v,
            None => self
                .items
                .next()
                .filter(|v| !v.starts_with("--"))
                .ok_or_else(|| usage_error(format!("{flag} needs a value, like {flag} {example}.")))?,
        };
        if value.trim().is_empty() {
            return Err(usage_error(format!("{flag} needs a value, like {flag} {example}.")));
        }
        Ok(value)
    }

    fn no_value(&self, flag: &str, inline: Option<String>) -> Result<(), UsageError> {
        match inline {
            Some(_) => Err(usage_error(format!("{flag} takes no value."))),
            None => Ok(()),
        }
    }

    fn unknown(&self, flag: &str) -> UsageError {
        usage_error(format!("Unknown option \u{201c}{flag}\u{201d} for {}.", self.command))
    }
}

fn is_help(arg: &str) -> bool {
    matches!(arg, "-h" | "--help" | "help")
}

/// Parses the arguments after the program name.
///
/// # Errors
/// A [`UsageError`] naming the first thing that is wrong.
pub fn parse<I>(args: I) -> Result<Command, UsageError>
where
    I: IntoIterator<Item = String>,
{
    let args: Vec<String> = args.into_iter().collect();
    if args.iter().any(|a| a == "-h" || a == "--help") {
        return Ok(Command::Help);
    }
    let mut items = args.into_iter();
    let Some(command) = items.next() else {
        return Ok(Command::Demo);
    };
    match command.as_str() {
        "serve" => parse_serve(Args { items, command: "serve" }),
        "createuser" => parse_createuser(Args { items, command: "createuser" }),
        "audit" => parse_audit(Args { items, command: "audit" }),
        c if is_help(c) => Ok(Command::Help),
        c if c.starts_with('-') => Err(usage_error(format!(
            "Unknown option \u{201c}{c}\u{201d}. Options go after the command, like `ops-console serve --addr 0.0.0.0:8000`."
        ))),
        c => Err(usage_error(format!(
            "Unknown command \u{201c}{c}\u{201d}. Commands: serve, createuser, audit verify."
        ))),
    }
}

fn parse_addr(raw: &str) -> Result<SocketAddr, UsageError> {
    raw.trim().parse().map_err(|_| {
        usage_error(format!(
            "\u{201c}{raw}\u{201d} is not an address to listen on; use IP:PORT, like {DEFAULT_ADDR} or 0.0.0.0:8000."
        ))
    })
}

fn parse_audit(mut args: Args) -> Result<Command, UsageError> {
    let mut verify = false;
    let mut database_url = None;
    while let Some(arg) = args.next() {
        match arg {
            Arg::Positional(p) if p == "verify" && !verify => verify = true,
            Arg::Flag(f, v) if f == "--database-url" => {
                database_url = Some(args.value(&f, v, "sqlite://ops-console.db")?);
            }
            Arg::Flag(f, _) => return Err(args.unknown(&f)),
            Arg::Positional(p) => {
                return Err(usage_error(format!(
                    "Unknown audit command \u{201c}{p}\u{201d}. Try `ops-console audit verify`."
                )));
            }
        }
    }
    if verify {
        Ok(Command::AuditVerify { database_url })
    } else {
        Err(usage_error("audit needs a command: `ops-console audit verify`.".to_owned()))
    }
}

fn parse_serve(mut args: Args) -> Result<Command, UsageError> {
    let mut addr = None;
    let mut database_url = None;
    while let Some(arg) = args.next() {
        match arg {
            Arg::Flag(f, v) if f == "--addr" => addr = Some(parse_addr(&args.value(&f, v, DEFAULT_ADDR)?)?),
            Arg::Flag(f, v) if f == "--database-url" => {
                database_url = Some(args.value(&f, v, "sqlite://bench.db")?);
            }
            Arg::Flag(f, _) => return Err(args.unknown(&f)),
            Arg::Positional(p) => {
                return Err(usage_error(format!(
                    "serve takes no arguments besides its options; got \u{201c}{p}\u{201d}."
                )));
            }
        }
    }
    let addr = match addr {
        Some(a) => a,
        None => parse_addr(DEFAULT_ADDR)?,
    };
    Ok(Command::Serve(ServeArgs { addr, database_url }))
}

fn parse_createuser(mut args: Args) -> Result<Command, UsageError> {
    let mut name: Option<String> = None;
    let mut role_names = Vec::new();
    let mut superuser = false;
    let mut database_url = None;
    let role_list = roles::ROLES.join(", ");
    while let Some(arg) = args.next() {
        match arg {
            Arg::Flag(f, v) if f == "--role" => {
                let role = args.value(&f, v, "support")?;
                if !roles::is_role(&role) {
                    return Err(usage_error(format!(
                        "Unknown role \u{201c}{role}\u{201d}. Roles: {role_list}."
                    )));
                }
                if !role_names.contains(&role) {
                    role_names.push(role);
                }
            }
            Arg::Flag(f, v) if f == "--superuser" => {
                args.no_value(&f, v)?;
                superuser = true;
            }
            Arg::Flag(f, v) if f == "--database-url" => {
                database_url = Some(args.value(&f, v, "sqlite://ops-console.db")?);
            }
            Arg::Flag(f, _) => return Err(args.unknown(&f)),
            Arg::Positional(p) => match &name {
                None => name = Some(p),
                Some(first) => {
                    return Err(usage_error(format!(
                        "createuser takes one user name; got \u{201c}{first}\u{201d} and \u{201c}{p}\u{201d}."
                    )));
                }
            },
        }
    }
    let Some(name) = name.filter(|n| !n.trim().is_empty()) else {
        return Err(usage_error(
            "createuser needs the new user's name, like `ops-console createuser alice --role support`.",
        ));
    };
    if role_names.is_empty() && !superuser {
        return Err(usage_error(format!(
            "Give {name} a role with --role ROLE ({role_list}), or all permissions with --superuser."
        )));
    }
    Ok(Command::CreateUser(CreateUserArgs { name, roles: role_names, superuser, database_url }))
}

/// The database URL to use: the flag, else `DATABASE_URL`, else the default SQLite
/// file.
#[must_use]
pub fn database_url(flag: Option<String>, env: Option<String>) -> String {
    flag.or(env.filter(|v| !v.trim().is_empty())).unwrap_or_else(|| crate::DEFAULT_DATABASE_URL.to_owned())
}

/// The URL with any password replaced by `***`, fit for logs and messages.
#[must_use]
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, tail) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _password)) => format!("{scheme}://{user}:***@{host}{tail}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(args: &[&str]) -> Result<Command, UsageError> {
        parse(args.iter().map(|s| (*s).to_owned()))
    }

    fn serve(addr: &str, url: Option<&str>) -> Command {
        Command::Serve(ServeArgs { addr: addr.parse().unwrap(), database_url: url.map(str::to_owned) })
    }

    #[test]
    fn audit_verify_takes_a_database_url_and_nothing_else() {
        assert_eq!(p(&["audit", "verify"]), Ok(Command::AuditVerify { database_url: None }));
        assert_eq!(
            p(&["audit", "verify", "--database-url=sqlite://x.db"]),
            Ok(Command::AuditVerify { database_url: Some("sqlite://x.db".into()) })
        );
        assert!(p(&["audit"]).unwrap_err().to_string().contains("ops-console audit verify"));
        assert!(p(&["audit", "fix"]).unwrap_err().to_string().contains("Unknown audit command"));
    }

    #[test]
    fn no_arguments_start_the_demo_and_help_wins_anywhere() {
        assert_eq!(p(&[]), Ok(Command::Demo));
        assert_eq!(p(&["--help"]), Ok(Command::Help));
        assert_eq!(p(&["-h"]), Ok(Command::Help));
        assert_eq!(p(&["help"]), Ok(Command::Help));
        assert_eq!(p(&["serve", "--bogus", "--help"]), Ok(Command::Help));
    }

    #[test]
    fn serve_takes_an_address_and_a_database_url() {
        assert_eq!(p(&["serve"]), Ok(serve(DEFAULT_ADDR, None)));
        assert_eq!(
            p(&["serve", "--addr", "0.0.0.0:9000", "--database-url", "sqlite:///tmp/b.db?mode=rwc"]),
            Ok(serve("0.0.0.0:9000", Some("sqlite:///tmp/b.db?mode=rwc")))
        );
        assert_eq!(p(&["serve", "--addr=127.0.0.1:1"]), Ok(serve("127.0.0.1:1", None)));
    }

    #[test]
    fn serve_explains_bad_input() {
        let err = |args: &[&str]| p(args).unwrap_err().0;
        assert!(err(&["serve", "--addr"]).contains("--addr needs a value"));
        assert!(err(&["serve", "--addr", "localhost"]).contains("is not an address"));
        assert!(err(&["serve", "--port", "80"]).contains("Unknown option \u{201c}--port\u{201d} for serve"));
        assert!(err(&["serve", "extra"]).contains("no arguments"));
        assert!(
            err(&["serve", "--database-url", "--addr", "1.2.3.4:5"]).contains("--database-url needs a value")
        );
        assert!(err(&["launch"]).contains("Unknown command \u{201c}launch\u{201d}"));
        assert!(err(&["--addr", "1.2.3.4:5"]).contains("Options go after the command"));
    }

    #[test]
    fn createuser_takes_a_name_roles_and_superuser() {
        assert_eq!(
            p(&["createuser", "alice", "--role", "support", "--role=finance", "--role", "support"]),
            Ok(Command::CreateUser(CreateUserArgs {
                name: "alice".into(),
                roles: vec!["support".into(), "finance".into()],
                superuser: false,
                database_url: None,
            }))
        );
        assert_eq!(
            p(&["createuser", "--superuser", "root", "--database-url", "postgres://u:p@h/db"]),
            Ok(Command::CreateUser(CreateUserArgs {
                name: "root".into(),
                roles: vec![],
                superuser: true,
                database_url: Some("postgres://u:p@h/db".into()),
            }))
        );
    }

    #[test]
    fn createuser_explains_bad_input() {
        let err = |args: &[&str]| p(args).unwrap_err().0;
        assert!(err(&["createuser", "--role", "admin"]).contains("needs the new user's name"));
        assert!(err(&["createuser", "bob"]).contains("Give bob a role"));
        assert!(err(&["createuser", "bob", "--role", "root"]).contains("Unknown role \u{201c}root\u{201d}"));
        assert!(err(&["createuser", "bob", "carol", "--role", "viewer"]).contains("one user name"));
        assert!(err(&["createuser", "bob", "--superuser=yes"]).contains("takes no value"));
    }

    #[test]
    fn the_database_url_comes_from_the_flag_then_the_environment() {
        let s = |v: &str| Some(v.to_owned());
        assert_eq!(database_url(s("sqlite://a.db"), s("postgres://x/y")), "sqlite://a.db");
        assert_eq!(database_url(None, s("postgres://x/y")), "postgres://x/y");
        assert_eq!(database_url(None, s(" ")), crate::DEFAULT_DATABASE_URL);
        assert_eq!(database_url(None, None), crate::DEFAULT_DATABASE_URL);
    }

    #[test]
    fn passwords_are_redacted_from_urls() {
        assert_eq!(redact("postgres://ops:s3cret@db:5432/ops"), "postgres://ops:***@db:5432/ops");
        assert_eq!(redact("postgres://ops@db/ops"), "postgres://ops@db/ops");
        assert_eq!(redact("sqlite://ops-console.db?mode=rwc"), "sqlite://ops-console.db?mode=rwc");
        assert_eq!(redact("sqlite::memory:"), "sqlite::memory:");
    }
}
