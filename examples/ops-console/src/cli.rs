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

  ops-console serve [--addr HOST:PORT] [--database-url URL] [--public-url URL]
                    [--trusted-origin URL ...]
      Serve an existing database (e.g. the benchmark data set). The admin's own
      tables are created or upgraded; no demo data is added. Approved requests
      are carried out by the server too, as by `ops-console worker`.
      --public-url is the address staff open the console at (e.g.
      https://ops.example.com): forms posted from pages of any other site are
      refused. Without it the request's Host header is trusted. Each
      --trusted-origin adds another site allowed to post, e.g. a proxy's address.

  ops-console createuser NAME --role ROLE [--role ROLE ...] [--superuser] [--database-url URL]
      Create a staff user. The password comes from the environment variable
      ADMIN_PASSWORD, else from one line of standard input.

  ops-console audit verify [--checkpoint FILE] [--database-url URL]
      Check the audit log's hash chain and name the first entry that was altered,
      removed or inserted out of band; check that its head matches the newest
      entry and that the admin's other tables have no row whose entry is gone.
      With --checkpoint, also prove that the log still holds every checkpoint in
      FILE (as `audit checkpoint` printed them) and everything before it.
      Exit code 0 when intact; 1 when broken, or when the database cannot be
      opened or read; 2 when the log could not be checked because the command
      line or the checkpoint file cannot be used (missing, unreadable, or not
      holding a checkpoint line). Alert on any code but 0.

  ops-console audit checkpoint [--database-url URL]
      Print the head of the audit log (one line per chain: its name, the newest
      entry's sequence number and hash). Keep the lines where the database's
      users cannot write, e.g. append them nightly to a file on another machine,
      and give that file to `audit verify --checkpoint`.

  ops-console action MODEL ACTION --ids 1,2,3 --as USER [--reason TEXT]
                     [--input NAME=VALUE ...] [--idempotency-key KEY] [--database-url URL]
      Run an action as staff user USER, with the same permission, checks, reason,
      approval and audit trail as the screens, e.g.
        ops-console action account retry_welcome_email --ids 42,43 --as dana
        ops-console action account lock_account --ids 7 --as root --input kind=fraud --reason \"Card testing\"
      Prints what happened to each record. Exit code 0 when it ran (or was queued
      for approval), 1 when it was refused (permission, reason, input, batch size).

  ops-console worker [--once] [--database-url URL]
      Carry out approved requests (refunds, unlocks of fraud locks) until Ctrl-C;
      with --once, carry out those that are due and stop. Several workers may run
      at once, on several machines: each request still runs once.

  ops-console check [--database-url URL]
      Prepare the database as serve does (tables, search indexes), then list the
      columns that lists filter or sort by without an index, each with the
      CREATE INDEX statement to run. Exit code 0 when there are none, 1 otherwise.
      serve logs the same advice as warnings at start-up.

  ops-console token create USER --name TEXT [--database-url URL]
  ops-console token list [USER] [--database-url URL]
  ops-console token revoke ID [--database-url URL]
      API tokens for scripts calling the JSON API as staff user USER
      (Authorization: Bearer TOKEN). create prints the token once: only its hash
      is kept. list shows every token (or USER's): id, user, name, made, last used.
      revoke refuses the token from the next call on. Each is in the audit log.

  ops-console --help
      Show this help.

Roles: admin, support, finance, viewer.
Actions: account mark_for_manual_review, retry_welcome_email, lock_account
(--input kind=fraud|chargeback|customer_request|other), unlock_account; invoice
refund_invoice (needs approval), void_invoice.
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
        /// `--checkpoint FILE`, if given: checkpoints the log must still hold.
        checkpoint: Option<std::path::PathBuf>,
        /// `--database-url`, if given.
        database_url: Option<String>,
    },
    /// `audit checkpoint`: print the head of every chain of the audit log.
    AuditCheckpoint {
        /// `--database-url`, if given.
        database_url: Option<String>,
    },
    /// `action MODEL ACTION ...`: run an action from a script.
    Action(ActionArgs),
    /// `worker`: run approved requests.
    Worker(WorkerArgs),
    /// `check`: prepare the database and report list columns without an index.
    Check {
        /// `--database-url`, if given.
        database_url: Option<String>,
    },
    /// `token create|list|revoke`: API tokens for scripts.
    Token(TokenArgs),
    /// `--help` (anywhere on the line).
    Help,
}

/// What `token` does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TokenCommand {
    /// `token create USER --name TEXT`.
    Create {
        /// The staff user the token acts as.
        user: String,
        /// What it is for.
        name: String,
    },
    /// `token list [USER]`.
    List {
        /// Only this user's tokens.
        user: Option<String>,
    },
    /// `token revoke ID`.
    Revoke {
        /// The token's id, as `token list` shows it.
        id: i64,
    },
}

/// The options of `token`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenArgs {
    /// What to do.
    pub command: TokenCommand,
    /// `--database-url`, if given.
    pub database_url: Option<String>,
}

/// The options of `action`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActionArgs {
    /// The model's slug (`account`).
    pub model: String,
    /// The action's name (`retry_welcome_email`).
    pub action: String,
    /// The records' keys, from `--ids` (comma-separated, repeatable), in order,
    /// without repeats.
    pub ids: Vec<String>,
    /// The staff user to act as (`--as`).
    pub user: String,
    /// `--reason`, if given.
    pub reason: Option<String>,
    /// `--input NAME=VALUE` pairs, in order: the action's typed input, as its form
    /// would send it.
    pub input: Vec<(String, String)>,
    /// `--idempotency-key`: a second run with the same key reports the first one.
    pub idempotency_key: Option<String>,
    /// `--database-url`, if given.
    pub database_url: Option<String>,
}

/// The options of `worker`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkerArgs {
    /// `--database-url`, if given.
    pub database_url: Option<String>,
    /// `--once`: run what is due, then stop.
    pub once: bool,
}

/// The options of `serve`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServeArgs {
    /// Where to listen.
    pub addr: SocketAddr,
    /// `--database-url`, if given.
    pub database_url: Option<String>,
    /// `--public-url`: the address staff open the console at, if given.
    pub public_url: Option<String>,
    /// `--trusted-origin` (repeatable): more origins whose pages may post to it.
    pub trusted_origins: Vec<String>,
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
        "action" => parse_action(Args { items, command: "action" }),
        "worker" => parse_worker(Args { items, command: "worker" }),
        "check" => parse_check(Args { items, command: "check" }),
        "token" => parse_token(Args { items, command: "token" }),
        c if is_help(c) => Ok(Command::Help),
        c if c.starts_with('-') => Err(usage_error(format!(
            "Unknown option \u{201c}{c}\u{201d}. Options go after the command, like `ops-console serve --addr 0.0.0.0:8000`."
        ))),
        c => Err(usage_error(format!(
            "Unknown command \u{201c}{c}\u{201d}. Commands: serve, createuser, audit verify, audit checkpoint, action, worker, check, token."
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
    let mut what: Option<String> = None;
    let mut checkpoint = None;
    let mut database_url = None;
    while let Some(arg) = args.next() {
        match arg {
            Arg::Positional(p) if what.is_none() && (p == "verify" || p == "checkpoint") => what = Some(p),
            Arg::Flag(f, v) if f == "--database-url" => {
                database_url = Some(args.value(&f, v, "sqlite://ops-console.db")?);
            }
            Arg::Flag(f, v) if f == "--checkpoint" && what.as_deref() == Some("verify") => {
                checkpoint = Some(std::path::PathBuf::from(args.value(&f, v, "checkpoints.txt")?));
            }
            Arg::Flag(f, _) => return Err(args.unknown(&f)),
            Arg::Positional(p) => {
                return Err(usage_error(format!(
                    "Unknown audit command \u{201c}{p}\u{201d}. Try `ops-console audit verify` or `ops-console audit checkpoint`."
                )));
            }
        }
    }
    match what.as_deref() {
        Some("verify") => Ok(Command::AuditVerify { checkpoint, database_url }),
        Some(_) => Ok(Command::AuditCheckpoint { database_url }),
        None => Err(usage_error(
            "audit needs a command: `ops-console audit verify` or `ops-console audit checkpoint`.".to_owned(),
        )),
    }
}

fn parse_token(mut args: Args) -> Result<Command, UsageError> {
    let mut positionals = Vec::new();
    let mut name = None;
    let mut database_url = None;
    while let Some(arg) = args.next() {
        match arg {
            Arg::Flag(f, v) if f == "--name" => name = Some(args.value(&f, v, "\"nightly billing sync\"")?),
            Arg::Flag(f, v) if f == "--database-url" => {
                database_url = Some(args.value(&f, v, "sqlite://ops-console.db")?);
            }
            Arg::Flag(f, _) => return Err(args.unknown(&f)),
            Arg::Positional(p) => positionals.push(p),
        }
    }
    let mut positionals = positionals.into_iter();
    let what = positionals.next();
    let rest: Vec<String> = positionals.collect();
    let command = match (what.as_deref(), rest.as_slice()) {
        (Some("create"), [user]) => {
            let name = name.take().map(|n| n.trim().to_owned()).filter(|n| !n.is_empty()).ok_or_else(|| {
                usage_error(
                    "token create needs --name, saying what the token is for, like --name \"nightly billing sync\".",
                )
            })?;
            TokenCommand::Create { user: user.trim().to_owned(), name }
        }
        (Some("list"), []) => TokenCommand::List { user: None },
        (Some("list"), [user]) => TokenCommand::List { user: Some(user.trim().to_owned()) },
        (Some("revoke"), [id]) => TokenCommand::Revoke {
            id: id.trim().parse().map_err(|_| {
                usage_error(format!(
                    "\u{201c}{id}\u{201d} is not a token id; `ops-console token list` shows the ids."
                ))
            })?,
        },
        _ => {
            return Err(usage_error(
                "token takes: `token create USER --name TEXT`, `token list [USER]` or `token revoke ID`."
                    .to_owned(),
            ));
        }
    };
    if name.is_some() && !matches!(command, TokenCommand::Create { .. }) {
        return Err(usage_error("--name goes with `token create` only.".to_owned()));
    }
    Ok(Command::Token(TokenArgs { command, database_url }))
}

fn parse_check(mut args: Args) -> Result<Command, UsageError> {
    let mut database_url = None;
    while let Some(arg) = args.next() {
        match arg {
            Arg::Flag(f, v) if f == "--database-url" => {
                database_url = Some(args.value(&f, v, "sqlite://ops-console.db")?);
            }
            Arg::Flag(f, _) => return Err(args.unknown(&f)),
            Arg::Positional(p) => {
                return Err(usage_error(format!(
                    "check takes no arguments besides --database-url; got \u{201c}{p}\u{201d}."
                )));
            }
        }
    }
    Ok(Command::Check { database_url })
}

/// An origin-like URL given on the command line: `http(s)://host[:port]`.
fn parse_web_url(flag: &str, value: String) -> Result<String, UsageError> {
    let rest = value.strip_prefix("https://").or_else(|| value.strip_prefix("http://"));
    match rest {
        Some(host) if !host.is_empty() && !host.starts_with('/') => Ok(value),
        _ => Err(usage_error(format!(
            "{flag} takes an address starting with https:// or http://, like {flag} https://ops.example.com; got \u{201c}{value}\u{201d}."
        ))),
    }
}

fn parse_serve(mut args: Args) -> Result<Command, UsageError> {
    let mut addr = None;
    let mut database_url = None;
    let mut public_url = None;
    let mut trusted_origins = Vec::new();
    while let Some(arg) = args.next() {
        match arg {
            Arg::Flag(f, v) if f == "--addr" => addr = Some(parse_addr(&args.value(&f, v, DEFAULT_ADDR)?)?),
            Arg::Flag(f, v) if f == "--public-url" => {
                public_url = Some(parse_web_url(&f, args.value(&f, v, "https://ops.example.com")?)?);
            }
            Arg::Flag(f, v) if f == "--trusted-origin" => {
                trusted_origins.push(parse_web_url(&f, args.value(&f, v, "https://proxy.example.com")?)?);
            }
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
    Ok(Command::Serve(ServeArgs { addr, database_url, public_url, trusted_origins }))
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

const ACTION_EXAMPLE: &str = "`ops-console action account retry_welcome_email --ids 42 --as dana`";

fn parse_action(mut args: Args) -> Result<Command, UsageError> {
    let mut positionals = Vec::new();
    let mut ids: Vec<String> = Vec::new();
    let mut user = None;
    let mut reason = None;
    let mut input = Vec::new();
    let mut idempotency_key = None;
    let mut database_url = None;
    while let Some(arg) = args.next() {
        match arg {
            Arg::Flag(f, v) if f == "--ids" => {
                for id in args.value(&f, v, "1,2,3")?.split(',').map(str::trim).filter(|i| !i.is_empty()) {
                    if !ids.iter().any(|x| x == id) {
                        ids.push(id.to_owned());
                    }
                }
            }
            Arg::Flag(f, v) if f == "--as" => user = Some(args.value(&f, v, "dana")?.trim().to_owned()),
            Arg::Flag(f, v) if f == "--reason" => {
                reason = Some(args.value(&f, v, "\"Customer asked on ticket 4411\"")?.trim().to_owned());
            }
            Arg::Flag(f, v) if f == "--input" => {
                let pair = args.value(&f, v, "kind=fraud")?;
                match pair.split_once('=') {
                    Some((name, value)) if !name.trim().is_empty() => {
                        input.push((name.trim().to_owned(), value.to_owned()));
                    }
                    _ => {
                        return Err(usage_error(format!(
                            "--input takes NAME=VALUE, like --input kind=fraud; got \u{201c}{pair}\u{201d}."
                        )));
                    }
                }
            }
            Arg::Flag(f, v) if f == "--idempotency-key" => {
                idempotency_key = Some(args.value(&f, v, "ticket-4411")?.trim().to_owned());
            }
            Arg::Flag(f, v) if f == "--database-url" => {
                database_url = Some(args.value(&f, v, "sqlite://ops-console.db")?);
            }
            Arg::Flag(f, _) => return Err(args.unknown(&f)),
            Arg::Positional(p) => positionals.push(p),
        }
    }
    let (model, action) = match <[String; 2]>::try_from(positionals) {
        Ok([model, action]) => (model, action),
        Err(got) if got.len() < 2 => {
            return Err(usage_error(format!("action needs a model and an action, like {ACTION_EXAMPLE}.")));
        }
        Err(got) => {
            return Err(usage_error(format!(
                "action takes a model and an action; \u{201c}{}\u{201d} is one too many. Give ids with --ids 1,2,3.",
                got[2]
            )));
        }
    };
    if ids.is_empty() {
        return Err(usage_error(format!("action needs the records' ids with --ids, like {ACTION_EXAMPLE}.")));
    }
    let Some(user) = user.filter(|u| !u.is_empty()) else {
        return Err(usage_error(format!(
            "action needs the staff user to act as, with --as, like {ACTION_EXAMPLE}: \
             their permissions apply and the audit log names them."
        )));
    };
    Ok(Command::Action(ActionArgs {
        model,
        action,
        ids,
        user,
        reason: reason.filter(|r| !r.is_empty()),
        input,
        idempotency_key: idempotency_key.filter(|k| !k.is_empty()),
        database_url,
    }))
}

fn parse_worker(mut args: Args) -> Result<Command, UsageError> {
    let mut once = false;
    let mut database_url = None;
    while let Some(arg) = args.next() {
        match arg {
            Arg::Flag(f, v) if f == "--once" => {
                args.no_value(&f, v)?;
                once = true;
            }
            Arg::Flag(f, v) if f == "--database-url" => {
                database_url = Some(args.value(&f, v, "sqlite://ops-console.db")?);
            }
            Arg::Flag(f, _) => return Err(args.unknown(&f)),
            Arg::Positional(p) => {
                return Err(usage_error(format!(
                    "worker takes no arguments besides its options; got \u{201c}{p}\u{201d}."
                )));
            }
        }
    }
    Ok(Command::Worker(WorkerArgs { database_url, once }))
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
        Command::Serve(ServeArgs {
            addr: addr.parse().unwrap(),
            database_url: url.map(str::to_owned),
            public_url: None,
            trusted_origins: Vec::new(),
        })
    }

    fn action(ids: &[&str], input: &[(&str, &str)]) -> ActionArgs {
        ActionArgs {
            model: "account".into(),
            action: "lock_account".into(),
            ids: ids.iter().map(|s| (*s).to_owned()).collect(),
            user: "root".into(),
            reason: None,
            input: input.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
            idempotency_key: None,
            database_url: None,
        }
    }

    #[test]
    fn action_takes_a_model_an_action_ids_a_user_and_options() {
        assert_eq!(
            p(&["action", "account", "lock_account", "--ids", "1, 2,,3", "--as", "root"]),
            Ok(Command::Action(action(&["1", "2", "3"], &[])))
        );
        assert_eq!(
            p(&[
                "action",
                "--as=root",
                "account",
                "--ids=7",
                "lock_account",
                "--ids",
                "8,7",
                "--input",
                "kind=fraud",
                "--input=note=a=b",
                "--reason",
                " Card testing ",
                "--idempotency-key",
                "k1",
                "--database-url",
                "sqlite://x.db",
            ]),
            Ok(Command::Action(ActionArgs {
                reason: Some("Card testing".into()),
                idempotency_key: Some("k1".into()),
                database_url: Some("sqlite://x.db".into()),
                ..action(&["7", "8"], &[("kind", "fraud"), ("note", "a=b")])
            }))
        );
    }

    #[test]
    fn action_explains_what_is_missing() {
        let err = |args: &[&str]| p(args).unwrap_err().0;
        assert!(err(&["action"]).contains("needs a model and an action"));
        assert!(
            err(&["action", "account", "--ids", "1", "--as", "a"]).contains("needs a model and an action")
        );
        assert!(err(&["action", "account", "x", "y", "--ids", "1", "--as", "a"]).contains("one too many"));
        assert!(err(&["action", "account", "x", "--as", "a"]).contains("--ids"));
        assert!(err(&["action", "account", "x", "--ids", " , ", "--as", "a"]).contains("--ids"));
        assert!(err(&["action", "account", "x", "--ids", "1"]).contains("--as"));
        assert!(
            err(&["action", "account", "x", "--ids", "1", "--as", "a", "--input", "kind"])
                .contains("NAME=VALUE")
        );
        assert!(
            err(&["action", "account", "x", "--ids", "1", "--as", "a", "--input", "=v"])
                .contains("NAME=VALUE")
        );
        assert!(err(&["action", "account", "x", "--ids", "1", "--as"]).contains("--as needs a value"));
        assert!(
            err(&["action", "account", "x", "--ids", "1", "--as", "a", "--force"]).contains("Unknown option")
        );
    }

    #[test]
    fn worker_takes_once_and_a_database_url() {
        assert_eq!(p(&["worker"]), Ok(Command::Worker(WorkerArgs { database_url: None, once: false })));
        assert_eq!(
            p(&["worker", "--once", "--database-url", "sqlite://x.db"]),
            Ok(Command::Worker(WorkerArgs { database_url: Some("sqlite://x.db".into()), once: true }))
        );
        assert!(p(&["worker", "--once=yes"]).unwrap_err().0.contains("takes no value"));
        assert!(p(&["worker", "now"]).unwrap_err().0.contains("no arguments"));
    }

    #[test]
    fn audit_verify_takes_a_checkpoint_file_and_a_database_url() {
        assert_eq!(
            p(&["audit", "verify"]),
            Ok(Command::AuditVerify { checkpoint: None, database_url: None })
        );
        assert_eq!(
            p(&["audit", "verify", "--database-url=sqlite://x.db"]),
            Ok(Command::AuditVerify { checkpoint: None, database_url: Some("sqlite://x.db".into()) })
        );
        assert_eq!(
            p(&["audit", "verify", "--checkpoint", "cp.txt"]),
            Ok(Command::AuditVerify { checkpoint: Some("cp.txt".into()), database_url: None })
        );
        assert_eq!(p(&["audit", "checkpoint"]), Ok(Command::AuditCheckpoint { database_url: None }));
        assert!(
            p(&["audit", "checkpoint", "--checkpoint", "x"])
                .unwrap_err()
                .to_string()
                .contains("Unknown option")
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
    fn serve_takes_the_public_url_and_trusted_origins() {
        let Ok(Command::Serve(args)) = p(&[
            "serve",
            "--public-url",
            "https://ops.example.com",
            "--trusted-origin=https://proxy.example.com",
            "--trusted-origin",
            "http://10.0.0.5:8000",
        ]) else {
            panic!("serve parses");
        };
        assert_eq!(args.public_url.as_deref(), Some("https://ops.example.com"));
        assert_eq!(args.trusted_origins, ["https://proxy.example.com", "http://10.0.0.5:8000"]);
        let err = |a: &[&str]| p(a).unwrap_err().0;
        assert!(err(&["serve", "--public-url", "ops.example.com"]).contains("starting with https://"));
        assert!(err(&["serve", "--trusted-origin"]).contains("--trusted-origin needs a value"));
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
