//! The command line of `ops-console`, declared with clap's derive: the commands and
//! options below are the parser, the `--help` text and the shell completions
//! (`ops-console completions bash|zsh|fish|elvish|powershell`).
//!
//! This module only parses; the binary opens the database and calls
//! [`crate::commands`]. A command line that cannot be used is a [`clap::Error`]
//! that names the problem, shows the usage and exits with code 2 (`--help` and
//! `--version` are "errors" too, printed on standard output with code 0).
//!
//! The doc comments of the commands and options are their help text, so they are
//! written for the operator.

use std::ffi::OsString;
use std::net::SocketAddr;
use std::path::PathBuf;

use clap::builder::PossibleValuesParser;
use clap::error::ErrorKind;
use clap::{ArgGroup, Args, CommandFactory, Parser, Subcommand};

use crate::roles;
use crate::settings::parse::{ip_net, listen_addr, log_filter, log_format, seconds, web_url};
use crate::settings::{Flags, LogFormat, Scope};

/// The shells `completions` writes a script for.
pub use clap_complete::Shell;

/// Where the server listens unless `--addr` says otherwise.
pub const DEFAULT_ADDR: &str = "127.0.0.1:8000";

/// The program's name in help, usage and completion scripts.
pub const BIN: &str = "ops-console";

/// The end of `ops-console --help`.
const FOOTER: &str = "\
Database URLs: sqlite://FILE (created if missing), sqlite::memory:,
postgres://USER:PASSWORD@HOST/DATABASE. Without --database-url, the environment
variable DATABASE_URL is used, else ops-console.db.
Settings: each from its flag, else its environment variable (DATABASE_URL,
OPSADMIN_*), else the TOML file given by --config or OPSADMIN_CONFIG, else its
default; `ops-console config` prints them and where each came from.
Logging: --log, else OPSADMIN_LOG or RUST_LOG (default: info); --log-format json
(LOG_FORMAT) for JSON lines.
Shell completions: see `ops-console completions --help`.";

/// The end of `ops-console action --help`.
const ACTION_FOOTER: &str = "\
Examples:
  ops-console action account retry_welcome_email --ids 42,43 --as dana
  ops-console action account lock_account --ids 7 --as root --input kind=fraud --reason \"Card testing\"

Actions: account mark_for_manual_review, retry_welcome_email, lock_account
(--input kind=fraud|chargeback|customer_request|other), unlock_account; invoice
refund_invoice (needs approval), void_invoice; email_job retry_email_job,
requeue_stuck_job (needs --reason).";

/// The end of `ops-console completions --help`.
const COMPLETIONS_FOOTER: &str = "\
Install, for example:
  bash: ops-console completions bash > ~/.local/share/bash-completion/completions/ops-console
  zsh:  ops-console completions zsh > ~/.zfunc/_ops-console   (with ~/.zfunc in $fpath)
  fish: ops-console completions fish > ~/.config/fish/completions/ops-console.fish";

/// ops-console: the reference ops console for accounts, invoices and email jobs.
///
/// Without a command, start the demo on ops-console.db in the working directory:
/// created, migrated and filled with demo data on first start, with a first
/// staff user `admin` whose password is printed once. Serves
/// `http://127.0.0.1:8000/admin/`.
#[derive(Debug, Parser)]
#[command(name = BIN, version, after_long_help = FOOTER, verbatim_doc_comment)]
pub struct Cli {
    /// What to do; the demo when none is given.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// The settings every command takes.
    #[command(flatten)]
    pub common: CommonArgs,
}

/// The settings every command takes: the settings file and logging.
#[derive(Clone, Debug, Default, PartialEq, Eq, Args)]
pub struct CommonArgs {
    /// The settings file (TOML) [env: OPSADMIN_CONFIG].
    #[arg(long, value_name = "FILE", global = true)]
    pub config: Option<PathBuf>,
    /// What to log, as RUST_LOG takes it [env: OPSADMIN_LOG, RUST_LOG] [default: info].
    #[arg(long = "log", value_name = "FILTER", value_parser = log_filter, global = true)]
    pub log_filter: Option<String>,
    /// Log lines as text or json [env: OPSADMIN_LOG_FORMAT, LOG_FORMAT] [default: text].
    #[arg(long, value_name = "FORMAT", value_parser = log_format, global = true)]
    pub log_format: Option<LogFormat>,
}

/// What the command line asks for.
#[derive(Clone, Debug, PartialEq, Eq, Subcommand)]
pub enum Command {
    /// No command: the demo on `ops-console.db`.
    #[command(skip)]
    Demo,
    /// Serve an existing database (e.g. the benchmark data set).
    ///
    /// The admin's own tables are created or upgraded; no demo data is added.
    /// Approved requests are carried out by the server too, as by
    /// `ops-console worker`. On SIGTERM or Ctrl-C it takes no new connection and
    /// finishes the requests in flight and the worker's item, for at most
    /// OPSADMIN_SHUTDOWN_TIMEOUT seconds (default 30).
    #[command(verbatim_doc_comment)]
    Serve(ServeArgs),
    /// Create a staff user.
    ///
    /// The password comes from the environment variable ADMIN_PASSWORD, else from
    /// one line of standard input.
    #[command(name = "createuser", verbatim_doc_comment)]
    CreateUser(CreateUserArgs),
    /// Check the audit log's hash chain, or print its head.
    #[command(subcommand_required = true, arg_required_else_help = true)]
    Audit {
        /// `verify` or `checkpoint`.
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Run an action as a staff user, as the screens do.
    ///
    /// The same permission, checks, reason, approval and audit trail as the
    /// screens. Prints what happened to each record. Exit code 0 when it ran (or
    /// was queued for approval), 1 when it was refused (permission, reason, input,
    /// batch size), 2 for a model, action or input that does not exist.
    #[command(after_long_help = ACTION_FOOTER, verbatim_doc_comment)]
    Action(ActionArgs),
    /// Background jobs: list them, show one, pause, resume or cancel one.
    ///
    /// A job is an action on more records than one run takes (from the screens'
    /// "all N matching", the API, or `action --all-matching`), carried out in
    /// chunks by the workers. Pausing, resuming and cancelling are done as a staff
    /// user (--as) with a reason, as on the job's page, and audited.
    #[command(verbatim_doc_comment)]
    Job(JobArgs),
    /// Carry out approved requests (refunds, unlocks of fraud locks) and effects (mail).
    ///
    /// Runs until Ctrl-C or SIGTERM, finishing the item in hand (past
    /// OPSADMIN_SHUTDOWN_TIMEOUT seconds, default 30, it gives the item back for
    /// another worker); with --once, carries out those that are due and stops.
    /// Several workers may run at once, on several machines: each request still
    /// runs once, and each effect is claimed by one worker at a time. Mail goes
    /// over SMTP to OPS_CONSOLE_SMTP_URL (smtp://user:password@relay:25, no TLS:
    /// use a local relay) or, without it, to .eml files in OPS_CONSOLE_MAIL_DIR
    /// (default ops-console-mail/).
    #[command(verbatim_doc_comment)]
    Worker(WorkerArgs),
    /// List the columns that lists filter or sort by without an index.
    ///
    /// Prepares the database as serve does (tables, search indexes), then prints
    /// each such column with the CREATE INDEX statement to run. Exit code 0 when
    /// there are none, 1 otherwise. serve logs the same advice as warnings at
    /// start-up.
    #[command(verbatim_doc_comment)]
    Check {
        /// The database URL (default: $DATABASE_URL, else ops-console.db).
        #[arg(long, value_name = "URL", value_parser = text)]
        database_url: Option<String>,
    },
    /// API tokens for scripts calling the JSON API as a staff user.
    ///
    /// Scripts send the token as `Authorization: Bearer TOKEN`. Each change is in
    /// the audit log.
    #[command(verbatim_doc_comment)]
    Token(TokenArgs),
    /// Print every setting serve would use, where each came from; secrets masked.
    ///
    /// Takes serve's options. Each setting comes from its flag, else its
    /// environment variable, else the settings file (--config, OPSADMIN_CONFIG),
    /// else its default. A value that is not allowed is refused with its name and
    /// what is allowed (exit code 2), as at the start of serve.
    #[command(verbatim_doc_comment)]
    Config(ServeArgs),
    /// Copy a live SQLite database to PATH, consistently, while it is in use.
    ///
    /// SQLite's VACUUM INTO writes a copy of one moment while the server and
    /// workers go on writing. Prints the copy's size and the head of the audit log
    /// it holds. Refuses to replace an existing PATH unless --force. On
    /// PostgreSQL, use pg_dump -Fc (see the deployment chapter).
    ///
    /// Exit code 0 when the copy is written; 1 when it could not be made; 2 when
    /// the command line cannot be used (PATH exists, PostgreSQL, in-memory database).
    #[command(verbatim_doc_comment)]
    Backup {
        /// Where to write the copy.
        #[arg(value_name = "PATH")]
        path: PathBuf,
        /// Replace PATH if it exists.
        #[arg(long)]
        force: bool,
        /// The database URL (default: $DATABASE_URL, else ops-console.db).
        #[arg(long, value_name = "URL", value_parser = text)]
        database_url: Option<String>,
    },
    /// Put a backup made by `ops-console backup` back in place of the database.
    ///
    /// Checks PATH first: a SQLite file, PRAGMA integrity_check, the admin's
    /// tables at a schema this release knows (upgraded when older), and the audit
    /// log's hash chain as `audit verify` checks it. Then copies it beside the
    /// database file, flushes it to disk and renames it over the database; the
    /// replaced file is kept as FILE.before-restore-TIMESTAMP. Refuses while a
    /// process on this machine has the database open (seen in /proc/*/fd on Linux;
    /// another user's processes are seen only as root): stop the console and its
    /// workers first. On PostgreSQL, use pg_restore (see the deployment chapter).
    ///
    /// Exit code 0 when restored; 1 when PATH fails a check, the database is in use
    /// or the file cannot be put in place (nothing is changed then); 2 when the
    /// command line cannot be used (no such PATH, PostgreSQL).
    #[command(verbatim_doc_comment)]
    Restore {
        /// The backup file.
        #[arg(value_name = "PATH")]
        path: PathBuf,
        /// The database URL (default: $DATABASE_URL, else ops-console.db).
        #[arg(long, value_name = "URL", value_parser = text)]
        database_url: Option<String>,
    },
    /// Print a shell completion script on standard output.
    #[command(after_long_help = COMPLETIONS_FOOTER)]
    Completions {
        /// The shell to complete in.
        #[arg(value_enum)]
        shell: Shell,
    },
}

/// What `audit` does.
#[derive(Clone, Debug, PartialEq, Eq, Subcommand)]
pub enum AuditCommand {
    /// Check that the audit log is intact.
    ///
    /// Walks the log's hash chain and names the first entry that was altered,
    /// removed or inserted out of band; checks that the log's head matches the
    /// newest entry and that the admin's other tables have no row whose entry is
    /// gone. With --checkpoint, also proves
    /// that the log still holds every checkpoint in FILE (as `audit checkpoint`
    /// printed them) and everything before it.
    ///
    /// Exit code 0 when intact; 1 when broken, or when the database cannot be
    /// opened or read; 2 when the log could not be checked because the command
    /// line or the checkpoint file cannot be used (missing, unreadable, or not
    /// holding a checkpoint line). Alert on any code but 0.
    #[command(verbatim_doc_comment)]
    Verify {
        /// A file of checkpoints the log must still hold.
        #[arg(long, value_name = "FILE")]
        checkpoint: Option<PathBuf>,
        /// The database URL (default: $DATABASE_URL, else ops-console.db).
        #[arg(long, value_name = "URL", value_parser = text)]
        database_url: Option<String>,
    },
    /// Print the head of the audit log, one line per chain.
    ///
    /// Each line holds the chain's name, the newest entry's sequence number and
    /// hash. Keep the lines where the database's users cannot write, e.g. append
    /// them nightly to a file on another machine, and give that file to
    /// `audit verify --checkpoint`.
    #[command(verbatim_doc_comment)]
    Checkpoint {
        /// The database URL (default: $DATABASE_URL, else ops-console.db).
        #[arg(long, value_name = "URL", value_parser = text)]
        database_url: Option<String>,
    },
}

/// What `token` does.
#[derive(Clone, Debug, PartialEq, Eq, Subcommand)]
pub enum TokenCommand {
    /// Make a token for USER and print it once (only its hash is kept).
    Create {
        /// The staff user the token acts as.
        #[arg(value_name = "USER", value_parser = text)]
        user: String,
        /// What the token is for, e.g. "nightly billing sync".
        #[arg(long, value_name = "TEXT", value_parser = text)]
        name: String,
    },
    /// List every token, or USER's: id, user, name, made, last used, state.
    List {
        /// Only this staff user's tokens.
        #[arg(value_name = "USER", value_parser = text)]
        user: Option<String>,
    },
    /// Refuse a token from the next call on.
    Revoke {
        /// The token's id, as `token list` shows it.
        #[arg(value_name = "ID", value_parser = token_id)]
        id: i64,
    },
}

/// The options of `token`.
#[derive(Clone, Debug, PartialEq, Eq, Args)]
#[command(subcommand_required = true, arg_required_else_help = true)]
pub struct TokenArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: TokenCommand,
    /// The database URL (default: $DATABASE_URL, else ops-console.db).
    #[arg(long, value_name = "URL", value_parser = text, global = true)]
    pub database_url: Option<String>,
}

/// The options of `action`.
#[derive(Clone, Debug, PartialEq, Eq, Args)]
pub struct ActionArgs {
    /// The model's name, e.g. account.
    #[arg(value_name = "MODEL")]
    pub model: String,
    /// The action's name, e.g. retry_welcome_email.
    #[arg(value_name = "ACTION")]
    pub action: String,
    /// The records' ids, comma-separated; may be repeated. Each runs once, in the
    /// order given.
    #[arg(
        long,
        value_name = "IDS",
        value_delimiter = ',',
        required_unless_present = "all_matching",
        conflicts_with = "all_matching"
    )]
    pub ids: Vec<String>,
    /// Every record the model's list matches with this query, as the list
    /// screen's address carries it (e.g. 'plan=annual&billing_state=failed_first_charge'),
    /// fixed now and run as a background job; the command follows it with a
    /// progress bar, working its chunks itself, until it finishes.
    #[arg(long, value_name = "QUERY", value_parser = text)]
    pub all_matching: Option<String>,
    /// With --all-matching: start the job, print its id and leave it to the workers.
    #[arg(long, requires = "all_matching")]
    pub no_wait: bool,
    /// The staff user to act as: their permissions apply and the audit log names
    /// them.
    #[arg(long = "as", value_name = "USER", value_parser = text)]
    pub user: String,
    /// Why, for the audit log (some actions require one).
    #[arg(long, value_name = "TEXT", value_parser = text)]
    pub reason: Option<String>,
    /// The action's typed input, as its form would send it, e.g. kind=fraud; may be
    /// repeated.
    #[arg(long, value_name = "NAME=VALUE", value_parser = input_pair)]
    pub input: Vec<(String, String)>,
    /// A second run with the same key by the same user reports the first run
    /// instead of running again.
    #[arg(long, value_name = "KEY", value_parser = text)]
    pub idempotency_key: Option<String>,
    /// The database URL (default: $DATABASE_URL, else ops-console.db).
    #[arg(long, value_name = "URL", value_parser = text)]
    pub database_url: Option<String>,
}

/// What `job` does.
#[derive(Clone, Debug, PartialEq, Eq, Subcommand)]
pub enum JobCommand {
    /// List the newest jobs: id, state, action, progress, who asked, when.
    List {
        /// Only jobs in this state (running, paused, failed, ...).
        #[arg(long, value_name = "STATE", value_parser = text)]
        state: Option<String>,
    },
    /// Show one job, with the records it skipped or failed and why.
    Show {
        /// The job's id, as `job list` shows it.
        #[arg(value_name = "ID", value_parser = job_id)]
        id: i64,
    },
    /// Stop a job after the chunk in progress, until it is resumed.
    Pause(JobChange),
    /// Go on with a paused job.
    Resume(JobChange),
    /// Stop a job for good; the records not reached are left as they are.
    Cancel(JobChange),
    /// Import a model's records from a CSV file, as a job.
    ///
    /// Reads the file (UTF-8, `,` or `;`), matches its columns to fields as the
    /// user's last import of the model did, else by name (--map COLUMN=FIELD
    /// changes one, --map COLUMN= leaves it out), checks every row as the user,
    /// prints what it would do and each row's problem with its line, and with
    /// --yes writes the rows, one audit entry per record. Without --yes the
    /// import waits on its page (/admin/jobs/ID) or for `job confirm ID`.
    #[command(verbatim_doc_comment)]
    Import(ImportArgs),
    /// Write a previewed import's rows (as on its page's Import button).
    Confirm {
        /// The import's job id.
        #[arg(value_name = "ID", value_parser = job_id)]
        id: i64,
        /// The staff user who uploaded it.
        #[arg(long = "as", value_name = "USER", value_parser = text)]
        user: String,
    },
    /// Export a model's list (search and filters of --query) to a CSV file, as a job.
    Export(ExportArgs),
}

/// The options of `job import`.
#[derive(Clone, Debug, PartialEq, Eq, Args)]
pub struct ImportArgs {
    /// The model's slug (account, invoice, ...).
    #[arg(value_name = "MODEL", value_parser = text)]
    pub model: String,
    /// The CSV file.
    #[arg(value_name = "FILE")]
    pub file: std::path::PathBuf,
    /// The staff user who imports it (their permissions, scope and field rules apply).
    #[arg(long = "as", value_name = "USER", value_parser = text)]
    pub user: String,
    /// Why, kept with every record's change.
    #[arg(long, value_name = "TEXT", value_parser = text)]
    pub reason: Option<String>,
    /// The field that matches rows to records (the ID or a unique field).
    #[arg(long, value_name = "FIELD", value_parser = text)]
    pub key: Option<String>,
    /// A column's field: COLUMN=FIELD, or COLUMN= to leave the column out.
    #[arg(long = "map", value_name = "COLUMN=FIELD", value_parser = map_pair)]
    pub map: Vec<(String, String)>,
    /// Write the rows after the check, without stopping at the preview.
    #[arg(long)]
    pub yes: bool,
}

/// The options of `job export`.
#[derive(Clone, Debug, PartialEq, Eq, Args)]
pub struct ExportArgs {
    /// The model's slug (account, invoice, ...).
    #[arg(value_name = "MODEL", value_parser = text)]
    pub model: String,
    /// The staff user who exports it (their permissions, scope and hidden fields apply).
    #[arg(long = "as", value_name = "USER", value_parser = text)]
    pub user: String,
    /// The list's query string, as its address has it (q=acme&plan=annual).
    #[arg(long, value_name = "QUERY", value_parser = text)]
    pub query: Option<String>,
    /// Where to write the file.
    #[arg(long, value_name = "PATH")]
    pub out: std::path::PathBuf,
}

/// Who changes a job, and why.
#[derive(Clone, Debug, PartialEq, Eq, Args)]
pub struct JobChange {
    /// The job's id, as `job list` shows it.
    #[arg(value_name = "ID", value_parser = job_id)]
    pub id: i64,
    /// The staff user who makes the change (their own job, or with jobs.manage).
    #[arg(long = "as", value_name = "USER", value_parser = text)]
    pub user: String,
    /// Why, for the audit log and the job's page.
    #[arg(long, value_name = "TEXT", value_parser = text)]
    pub reason: String,
}

/// The options of `job`.
#[derive(Clone, Debug, PartialEq, Eq, Args)]
#[command(subcommand_required = true, arg_required_else_help = true)]
pub struct JobArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: JobCommand,
    /// The database URL (default: $DATABASE_URL, else ops-console.db).
    #[arg(long, value_name = "URL", value_parser = text, global = true)]
    pub database_url: Option<String>,
}

/// The options of `worker`.
#[derive(Clone, Debug, PartialEq, Eq, Args)]
pub struct WorkerArgs {
    /// Carry out the requests that are due, then stop (for cron).
    #[arg(long)]
    pub once: bool,
    /// The database URL (default: $DATABASE_URL, else ops-console.db).
    #[arg(long, value_name = "URL", value_parser = text)]
    pub database_url: Option<String>,
    /// Seconds to finish the item in hand when stopping [env: OPSADMIN_SHUTDOWN_TIMEOUT] [default: 30].
    #[arg(long, value_name = "SECONDS", value_parser = seconds)]
    pub shutdown_timeout: Option<u64>,
}

/// The options of `serve`.
#[derive(Clone, Debug, PartialEq, Eq, Args)]
pub struct ServeArgs {
    /// Where to listen [env: OPSADMIN_ADDR] [default: 127.0.0.1:8000].
    #[arg(long, value_name = "IP:PORT", value_parser = listen_addr)]
    pub addr: Option<SocketAddr>,
    /// The database URL (default: $DATABASE_URL, else ops-console.db).
    #[arg(long, value_name = "URL", value_parser = text)]
    pub database_url: Option<String>,
    /// The address staff open the console at, e.g. `https://ops.example.com`:
    /// forms posted from pages of any other site are refused. Without it the
    /// request's Host header is trusted. [env: OPSADMIN_PUBLIC_URL]
    #[arg(long, value_name = "URL", value_parser = web_url, verbatim_doc_comment)]
    pub public_url: Option<String>,
    /// Another site allowed to post forms, e.g. a proxy's address; may be repeated
    /// [env: OPSADMIN_TRUSTED_ORIGINS, comma-separated].
    #[arg(long = "trusted-origin", value_name = "URL", value_parser = web_url)]
    pub trusted_origins: Vec<String>,
    /// A proxy (address or network) whose X-Forwarded-For is believed; may be
    /// repeated [env: OPSADMIN_TRUSTED_PROXIES, comma-separated].
    #[arg(long = "trusted-proxy", value_name = "IP[/BITS]", value_parser = ip_net)]
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Mark the session cookie Secure, behind HTTPS [env: OPSADMIN_SECURE_COOKIES=true].
    #[arg(long)]
    pub secure_cookies: bool,
    /// Serve only /metrics, without a token, at this address [env: OPSADMIN_METRICS_ADDR].
    #[arg(long, value_name = "IP:PORT", value_parser = listen_addr)]
    pub metrics_addr: Option<SocketAddr>,
    /// Seconds to finish requests in flight when stopping [env: OPSADMIN_SHUTDOWN_TIMEOUT] [default: 30].
    #[arg(long, value_name = "SECONDS", value_parser = seconds)]
    pub shutdown_timeout: Option<u64>,
    /// Do not run the worker in this process [env: OPSADMIN_WORKER=false].
    #[arg(long)]
    pub no_worker: bool,
}

impl ServeArgs {
    /// The settings these flags give.
    #[must_use]
    pub fn flags(&self, common: &CommonArgs) -> Flags {
        Flags {
            database_url: self.database_url.clone(),
            addr: self.addr,
            public_url: self.public_url.clone(),
            trusted_origins: self.trusted_origins.clone(),
            trusted_proxies: self.trusted_proxies.clone(),
            secure_cookies: self.secure_cookies.then_some(true),
            metrics_addr: self.metrics_addr,
            shutdown_timeout: self.shutdown_timeout,
            worker: self.no_worker.then_some(false),
            ..common.flags()
        }
    }
}

impl CommonArgs {
    /// The settings these flags give.
    #[must_use]
    pub fn flags(&self) -> Flags {
        Flags {
            config: self.config.clone(),
            log_filter: self.log_filter.clone(),
            log_format: self.log_format,
            ..Flags::default()
        }
    }
}

impl Command {
    /// The settings this command's flags give, and the settings it reads; `None`
    /// for `completions`, which reads none.
    #[must_use]
    pub fn settings(&self, common: &CommonArgs) -> Option<(Flags, Scope)> {
        let with_url = |url: &Option<String>| Flags { database_url: url.clone(), ..common.flags() };
        Some(match self {
            Self::Demo => (common.flags(), Scope::Serve),
            Self::Serve(args) | Self::Config(args) => (args.flags(common), Scope::Serve),
            Self::Worker(args) => (
                Flags { shutdown_timeout: args.shutdown_timeout, ..with_url(&args.database_url) },
                Scope::Worker,
            ),
            Self::CreateUser(CreateUserArgs { database_url, .. })
            | Self::Audit { command: AuditCommand::Verify { database_url, .. } }
            | Self::Audit { command: AuditCommand::Checkpoint { database_url } }
            | Self::Action(ActionArgs { database_url, .. })
            | Self::Check { database_url }
            | Self::Token(TokenArgs { database_url, .. })
            | Self::Job(JobArgs { database_url, .. })
            | Self::Backup { database_url, .. }
            | Self::Restore { database_url, .. } => (with_url(database_url), Scope::Database),
            Self::Completions { .. } => return None,
        })
    }
}

/// The options of `createuser`.
#[derive(Clone, Debug, PartialEq, Eq, Args)]
#[command(group(ArgGroup::new("grant").required(true).multiple(true).args(["roles", "superuser"])))]
pub struct CreateUserArgs {
    /// The new user's sign-in name.
    #[arg(value_name = "NAME", value_parser = text)]
    pub name: String,
    /// A role to give; may be repeated. At least one, unless --superuser.
    #[arg(
        long = "role",
        value_name = "ROLE",
        value_parser = PossibleValuesParser::new(roles::ROLES)
    )]
    pub roles: Vec<String>,
    /// Give the user every permission.
    #[arg(long)]
    pub superuser: bool,
    /// The database URL (default: $DATABASE_URL, else ops-console.db).
    #[arg(long, value_name = "URL", value_parser = text)]
    pub database_url: Option<String>,
}

/// Parses the arguments after the program name.
///
/// # Errors
/// A [`clap::Error`] to print with [`clap::Error::print`] and exit with
/// [`clap::Error::exit_code`]: 2 for a command line that cannot be used (the
/// message names the first problem), 0 for `--help` and `--version`, whose text
/// it holds.
pub fn parse<I, T>(args: I) -> Result<Command, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    parse_line(args).map(|(command, _)| command)
}

/// [`parse`], with the settings every command takes (`--config`, `--log`,
/// `--log-format`).
///
/// # Errors
/// As [`parse`].
pub fn parse_line<I, T>(args: I) -> Result<(Command, CommonArgs), clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let line = std::iter::once(OsString::from(BIN)).chain(args.into_iter().map(Into::into));
    let cli = Cli::try_parse_from(line)?;
    let common = cli.common;
    let command = match cli.command {
        None => Ok(Command::Demo),
        Some(Command::Action(args)) => args.checked().map(Command::Action),
        Some(Command::CreateUser(mut args)) => {
            args.roles = without_repeats(args.roles);
            Ok(Command::CreateUser(args))
        }
        Some(other) => Ok(other),
    }?;
    Ok((command, common))
}

impl ActionArgs {
    /// The ids trimmed, without empty ones or repeats; an error when none is left
    /// (and no --all-matching query stands for them).
    fn checked(mut self) -> Result<Self, clap::Error> {
        let ids = self.ids.iter().map(|id| id.trim().to_owned()).filter(|id| !id.is_empty()).collect();
        self.ids = without_repeats(ids);
        if self.ids.is_empty() && self.all_matching.is_none() {
            return Err(error_in(
                "action",
                ErrorKind::ValueValidation,
                "--ids needs at least one id, like --ids 42 or --ids 42,43",
            ));
        }
        Ok(self)
    }
}

/// An error about the command line of `subcommand`, with its usage.
fn error_in(subcommand: &str, kind: ErrorKind, message: &str) -> clap::Error {
    let mut cli = Cli::command();
    cli.build();
    match cli.find_subcommand_mut(subcommand) {
        Some(sub) => sub.error(kind, message),
        None => cli.error(kind, message),
    }
}

fn without_repeats(items: Vec<String>) -> Vec<String> {
    let mut kept: Vec<String> = Vec::with_capacity(items.len());
    for item in items {
        if !kept.contains(&item) {
            kept.push(item);
        }
    }
    kept
}

/// The shell completion script for `shell`, naming every command and option.
#[must_use]
pub fn completions(shell: Shell) -> Vec<u8> {
    let mut script = Vec::new();
    // Into memory first: the generator panics when a write fails (a closed pipe).
    clap_complete::generate(shell, &mut Cli::command(), BIN, &mut script);
    if shell == Shell::Bash {
        // clap_complete 4.6 spells a hyphenated program name two ways in the bash
        // script (`ops__console` where it tracks the command typed so far,
        // `ops__subcmd__console` in the branches it compares that with), so
        // nothing after the command name would complete (clap-rs/clap#6421).
        // Spell both alike; once clap's fix is released this changes nothing.
        let text = String::from_utf8_lossy(&script);
        script = text.replace(&BIN.replace('-', "__subcmd__"), &BIN.replace('-', "__")).into_bytes();
    }
    script
}

/// A value that is not blank, trimmed.
fn text(raw: &str) -> Result<String, String> {
    let value = raw.trim();
    if value.is_empty() { Err("it is empty".to_owned()) } else { Ok(value.to_owned()) }
}

fn token_id(raw: &str) -> Result<i64, String> {
    raw.trim().parse().map_err(|_| "not a token id; `ops-console token list` shows the ids".to_owned())
}

/// A background job's id.
fn job_id(raw: &str) -> Result<i64, String> {
    raw.trim().parse().map_err(|_| "not a job id; `ops-console job list` shows the ids".to_owned())
}

/// `COLUMN=FIELD`: the column as the file's header has it, the field (or nothing).
fn map_pair(raw: &str) -> Result<(String, String), String> {
    match raw.split_once('=') {
        Some((column, field)) if !column.trim().is_empty() => {
            Ok((column.trim().to_owned(), field.trim().to_owned()))
        }
        _ => Err("use COLUMN=FIELD, like \"E-mail address=email\", or COLUMN= to leave it out".to_owned()),
    }
}

/// `NAME=VALUE`: the name trimmed and not empty, the value as given.
fn input_pair(raw: &str) -> Result<(String, String), String> {
    match raw.split_once('=') {
        Some((name, value)) if !name.trim().is_empty() => Ok((name.trim().to_owned(), value.to_owned())),
        _ => Err("use NAME=VALUE, like kind=fraud".to_owned()),
    }
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

    fn p(args: &[&str]) -> Result<Command, clap::Error> {
        parse(args.iter().copied())
    }

    /// The message of a command line that cannot be used; it exits with code 2.
    fn err(args: &[&str]) -> String {
        let e = p(args).expect_err("the command line is refused");
        assert_eq!(e.exit_code(), 2, "{args:?}: {e}");
        e.to_string()
    }

    fn serve_args(addr: Option<&str>, url: Option<&str>) -> ServeArgs {
        ServeArgs {
            addr: addr.map(|a| a.parse().unwrap()),
            database_url: url.map(str::to_owned),
            public_url: None,
            trusted_origins: Vec::new(),
            trusted_proxies: Vec::new(),
            secure_cookies: false,
            metrics_addr: None,
            shutdown_timeout: None,
            no_worker: false,
        }
    }

    fn serve(addr: Option<&str>, url: Option<&str>) -> Command {
        Command::Serve(serve_args(addr, url))
    }

    fn action(ids: &[&str], input: &[(&str, &str)]) -> ActionArgs {
        ActionArgs {
            model: "account".into(),
            action: "lock_account".into(),
            ids: ids.iter().map(|s| (*s).to_owned()).collect(),
            all_matching: None,
            no_wait: false,
            user: "root".into(),
            reason: None,
            input: input.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
            idempotency_key: None,
            database_url: None,
        }
    }

    #[test]
    fn the_declared_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn action_takes_a_model_an_action_ids_a_user_and_options() {
        assert_eq!(
            p(&["action", "account", "lock_account", "--ids", "1, 2,,3", "--as", "root"]).unwrap(),
            Command::Action(action(&["1", "2", "3"], &[]))
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
            ])
            .unwrap(),
            Command::Action(ActionArgs {
                reason: Some("Card testing".into()),
                idempotency_key: Some("k1".into()),
                database_url: Some("sqlite://x.db".into()),
                ..action(&["7", "8"], &[("kind", "fraud"), ("note", "a=b")])
            })
        );
    }

    #[test]
    fn action_explains_what_is_missing() {
        assert!(err(&["action"]).contains("<MODEL>"));
        assert!(err(&["action", "account", "--ids", "1", "--as", "a"]).contains("<ACTION>"));
        assert!(
            err(&["action", "account", "x", "y", "--ids", "1", "--as", "a"])
                .contains("unexpected argument 'y'")
        );
        assert!(err(&["action", "account", "x", "--as", "a"]).contains("--ids <IDS>"));
        assert!(
            err(&["action", "account", "x", "--ids", " , ", "--as", "a"])
                .contains("--ids needs at least one id")
        );
        assert!(err(&["action", "account", "x", "--ids", "1"]).contains("--as <USER>"));
        for bad in ["kind", "=v"] {
            let e = err(&["action", "account", "x", "--ids", "1", "--as", "a", "--input", bad]);
            assert!(e.contains("NAME=VALUE"), "{e}");
        }
        assert!(
            err(&["action", "account", "x", "--ids", "1", "--as"]).contains("a value is required for '--as")
        );
        assert!(err(&["action", "account", "x", "--ids", "1", "--as", " "]).contains("it is empty"));
        assert!(
            err(&["action", "account", "x", "--ids", "1", "--as", "a", "--force"])
                .contains("unexpected argument '--force'")
        );
    }

    #[test]
    fn worker_takes_once_and_a_database_url() {
        assert_eq!(
            p(&["worker"]).unwrap(),
            Command::Worker(WorkerArgs { database_url: None, once: false, shutdown_timeout: None })
        );
        assert_eq!(
            p(&["worker", "--once", "--database-url", "sqlite://x.db", "--shutdown-timeout", "5"]).unwrap(),
            Command::Worker(WorkerArgs {
                database_url: Some("sqlite://x.db".into()),
                once: true,
                shutdown_timeout: Some(5)
            })
        );
        assert!(err(&["worker", "--shutdown-timeout", "soon"]).contains("not a number of seconds"));
        assert!(err(&["worker", "--once=yes"]).contains("unexpected value 'yes' for '--once'"));
        assert!(err(&["worker", "now"]).contains("unexpected argument 'now'"));
    }

    #[test]
    fn audit_verify_takes_a_checkpoint_file_and_a_database_url() {
        let verify = |checkpoint: Option<&str>, url: Option<&str>| Command::Audit {
            command: AuditCommand::Verify {
                checkpoint: checkpoint.map(PathBuf::from),
                database_url: url.map(str::to_owned),
            },
        };
        assert_eq!(p(&["audit", "verify"]).unwrap(), verify(None, None));
        assert_eq!(
            p(&["audit", "verify", "--database-url=sqlite://x.db"]).unwrap(),
            verify(None, Some("sqlite://x.db"))
        );
        assert_eq!(p(&["audit", "verify", "--checkpoint", "cp.txt"]).unwrap(), verify(Some("cp.txt"), None));
        assert_eq!(
            p(&["audit", "checkpoint"]).unwrap(),
            Command::Audit { command: AuditCommand::Checkpoint { database_url: None } }
        );
        assert!(
            err(&["audit", "checkpoint", "--checkpoint", "x"]).contains("unexpected argument '--checkpoint'")
        );
        // Without a command, `audit` shows its commands (and exits 2).
        let e = err(&["audit"]);
        assert!(e.contains("verify") && e.contains("checkpoint"), "{e}");
        assert!(err(&["audit", "fix"]).contains("unrecognized subcommand 'fix'"));
    }

    #[test]
    fn no_arguments_start_the_demo_and_help_is_printed_with_code_0() {
        assert_eq!(p(&[]).unwrap(), Command::Demo);
        for line in [&["--help"][..], &["-h"], &["help"], &["serve", "--help"], &["help", "serve"]] {
            let e = p(line).expect_err("help is shown, not run");
            assert_eq!(e.exit_code(), 0, "{line:?}");
            assert!(!e.use_stderr(), "help goes to standard output");
            assert!(e.to_string().contains("Usage: ops-console"), "{line:?}: {e}");
        }
    }

    #[test]
    fn serve_takes_an_address_and_a_database_url() {
        // No address given: the environment, the settings file or the default decide.
        assert_eq!(p(&["serve"]).unwrap(), serve(None, None));
        assert_eq!(
            p(&["serve", "--addr", "0.0.0.0:9000", "--database-url", "sqlite:///tmp/b.db?mode=rwc"]).unwrap(),
            serve(Some("0.0.0.0:9000"), Some("sqlite:///tmp/b.db?mode=rwc"))
        );
        assert_eq!(p(&["serve", "--addr=127.0.0.1:1"]).unwrap(), serve(Some("127.0.0.1:1"), None));
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
        assert!(err(&["serve", "--public-url", "ops.example.com"]).contains("starting with https://"));
        assert!(err(&["serve", "--public-url", "https:///x"]).contains("starting with https://"));
        assert!(err(&["serve", "--trusted-origin"]).contains("a value is required for '--trusted-origin"));
    }

    #[test]
    fn serve_explains_bad_input() {
        assert!(err(&["serve", "--addr"]).contains("a value is required for '--addr"));
        assert!(err(&["serve", "--addr", "localhost"]).contains("not an address to listen on"));
        assert!(err(&["serve", "--port", "80"]).contains("unexpected argument '--port'"));
        assert!(err(&["serve", "extra"]).contains("unexpected argument 'extra'"));
        assert!(
            err(&["serve", "--database-url", "--addr", "1.2.3.4:5"])
                .contains("a value is required for '--database-url")
        );
        assert!(err(&["launch"]).contains("unrecognized subcommand 'launch'"));
        assert!(err(&["servr"]).contains("similar subcommands exist: 'restore', 'serve'"));
        assert!(err(&["--addr", "1.2.3.4:5"]).contains("unexpected argument '--addr'"));
    }

    #[test]
    fn serve_and_config_take_every_setting_as_a_flag() {
        let line = [
            "--trusted-proxy",
            "10.0.0.0/8",
            "--trusted-proxy=192.168.1.7",
            "--secure-cookies",
            "--metrics-addr",
            "127.0.0.1:9100",
            "--shutdown-timeout",
            "12",
            "--no-worker",
            "--log",
            "warn,ops_console=debug",
            "--log-format",
            "json",
            "--config",
            "ops.toml",
        ];
        let expected = ServeArgs {
            trusted_proxies: vec!["10.0.0.0/8".parse().unwrap(), "192.168.1.7/32".parse().unwrap()],
            secure_cookies: true,
            metrics_addr: Some("127.0.0.1:9100".parse().unwrap()),
            shutdown_timeout: Some(12),
            no_worker: true,
            ..serve_args(None, None)
        };
        for command in ["serve", "config"] {
            let (parsed, common) = parse_line([&[command][..], &line].concat()).unwrap();
            let args = match parsed {
                Command::Serve(args) | Command::Config(args) => args,
                other => panic!("{other:?}"),
            };
            assert_eq!(args, expected);
            assert_eq!(common.config, Some(PathBuf::from("ops.toml")));
            assert_eq!(common.log_format, Some(LogFormat::Json));
            let flags = args.flags(&common);
            assert_eq!((flags.worker, flags.secure_cookies), (Some(false), Some(true)));
            assert_eq!(flags.log_filter.as_deref(), Some("warn,ops_console=debug"));
        }
        // The settings every command takes come before or after the command.
        let (_, common) = parse_line(["--log-format=text", "token", "list", "--config", "x.toml"]).unwrap();
        assert_eq!(
            (common.log_format, common.config),
            (Some(LogFormat::Text), Some(PathBuf::from("x.toml")))
        );
        assert!(err(&["serve", "--trusted-proxy", "10.0.0.0/33"]).contains("not an IP address or network"));
        assert!(err(&["serve", "--shutdown-timeout=-1"]).contains("not a number of seconds"));
        assert!(err(&["serve", "--shutdown-timeout", "99999"]).contains("not between 0 and 3600 seconds"));
        assert!(err(&["serve", "--metrics-addr", "metrics"]).contains("not an address to listen on"));
        assert!(err(&["--log-format", "xml"]).contains("give text or json"));
        assert!(err(&["check", "--log", "info,=["]).contains("not a log filter"));
        assert!(err(&["serve", "--no-worker=yes"]).contains("unexpected value 'yes'"));
    }

    #[test]
    fn createuser_takes_a_name_roles_and_superuser() {
        assert_eq!(
            p(&["createuser", "alice", "--role", "support", "--role=finance", "--role", "support"]).unwrap(),
            Command::CreateUser(CreateUserArgs {
                name: "alice".into(),
                roles: vec!["support".into(), "finance".into()],
                superuser: false,
                database_url: None,
            })
        );
        assert_eq!(
            p(&["createuser", "--superuser", "root", "--database-url", "postgres://u:p@h/db"]).unwrap(),
            Command::CreateUser(CreateUserArgs {
                name: "root".into(),
                roles: vec![],
                superuser: true,
                database_url: Some("postgres://u:p@h/db".into()),
            })
        );
    }

    #[test]
    fn createuser_explains_bad_input() {
        assert!(err(&["createuser", "--role", "admin"]).contains("<NAME>"));
        assert!(err(&["createuser", " ", "--role", "admin"]).contains("it is empty"));
        assert!(err(&["createuser", "bob"]).contains("<--role <ROLE>|--superuser>"));
        let e = err(&["createuser", "bob", "--role", "root"]);
        assert!(e.contains("invalid value 'root'") && e.contains(&roles::ROLES.join(", ")), "{e}");
        assert!(
            err(&["createuser", "bob", "carol", "--role", "viewer"]).contains("unexpected argument 'carol'")
        );
        assert!(err(&["createuser", "bob", "--superuser=yes"]).contains("unexpected value 'yes'"));
    }

    #[test]
    fn token_takes_create_list_and_revoke() {
        let token = |command: TokenCommand, url: Option<&str>| {
            Command::Token(TokenArgs { command, database_url: url.map(str::to_owned) })
        };
        assert_eq!(
            p(&["token", "create", " sue ", "--name", " nightly sync "]).unwrap(),
            token(TokenCommand::Create { user: "sue".into(), name: "nightly sync".into() }, None)
        );
        // --database-url before or after the token command.
        for line in [
            &["token", "--database-url", "sqlite://t.db", "list"][..],
            &["token", "list", "--database-url=sqlite://t.db"],
        ] {
            assert_eq!(p(line).unwrap(), token(TokenCommand::List { user: None }, Some("sqlite://t.db")));
        }
        assert_eq!(
            p(&["token", "list", "sue"]).unwrap(),
            token(TokenCommand::List { user: Some("sue".into()) }, None)
        );
        assert_eq!(p(&["token", "revoke", "7"]).unwrap(), token(TokenCommand::Revoke { id: 7 }, None));
        assert!(err(&["token", "create", "sue"]).contains("--name <TEXT>"));
        assert!(err(&["token", "create", "sue", "--name", "  "]).contains("it is empty"));
        assert!(err(&["token", "revoke", "seven"]).contains("not a token id"));
        assert!(err(&["token", "list", "--name", "x"]).contains("unexpected argument '--name'"));
    }

    #[test]
    fn completions_take_a_shell() {
        assert_eq!(p(&["completions", "zsh"]).unwrap(), Command::Completions { shell: Shell::Zsh });
        let e = err(&["completions", "tcsh"]);
        assert!(e.contains("bash") && e.contains("fish"), "the shells are listed: {e}");
        for shell in [Shell::Bash, Shell::Zsh, Shell::Fish, Shell::Elvish, Shell::PowerShell] {
            let script = String::from_utf8(completions(shell)).unwrap();
            assert!(script.contains("createuser") && script.contains("trusted-origin"), "{shell}");
        }
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
