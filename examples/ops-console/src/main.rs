//! `ops-console`: the reference ops console. See `ops-console --help`.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use ops_console::cli::{self, ActionArgs, AuditCommand, Command, CreateUserArgs, ServeArgs, WorkerArgs};
use ops_console::{commands, roles, seed};
use sea_orm::DatabaseConnection;

/// Exit code for a command line or input that cannot be used.
const EXIT_USAGE: u8 = 2;
/// Exit code for a failure while running.
const EXIT_FAILURE: u8 = 1;

/// A failure to report: the exit code and a sentence for the operator.
struct Failure(u8, String);

type Outcome = Result<(), Failure>;

#[tokio::main]
async fn main() -> ExitCode {
    let (log_format, log_filter) = ops_console::logging::from_env();
    ops_console::logging::init(log_format, &log_filter);

    let command = match cli::parse(std::env::args_os().skip(1)) {
        Ok(c) => c,
        // A command line that cannot be used (code 2), or --help / --version (0).
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(EXIT_USAGE));
        }
    };
    let outcome = match command {
        Command::Demo => demo().await,
        Command::Serve(args) => serve_command(args).await,
        Command::CreateUser(args) => createuser(args).await,
        Command::Audit { command: AuditCommand::Verify { checkpoint, database_url } } => {
            audit_verify(database_url, checkpoint).await
        }
        Command::Audit { command: AuditCommand::Checkpoint { database_url } } => {
            audit_checkpoint(database_url).await
        }
        Command::Action(args) => action_command(args).await,
        Command::Worker(args) => worker_command(args).await,
        Command::Check { database_url } => check(database_url).await,
        Command::Token(args) => token_command(args).await,
        Command::Completions { shell } => completions(shell),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure(code, msg)) => {
            eprintln!("ops-console: {msg}");
            ExitCode::from(code)
        }
    }
}

/// `completions SHELL`: the script on standard output.
fn completions(shell: clap_complete::Shell) -> Outcome {
    let mut out = std::io::stdout().lock();
    out.write_all(&cli::completions(shell))
        .and_then(|()| out.flush())
        .map_err(|e| Failure(EXIT_FAILURE, format!("Cannot write the completion script: {e}.")))
}

/// `audit verify`: walks the chain and reports the first problem.
async fn audit_verify(database_url: Option<String>, checkpoint: Option<std::path::PathBuf>) -> Outcome {
    let url = cli::database_url(database_url, env_database_url());
    let db = open(&url, EXIT_FAILURE).await?;
    let result = commands::audit_verify(&db, checkpoint.as_deref()).await;
    db.close().await.ok();
    printed(result)
}

/// `audit checkpoint`: prints the head of every chain.
async fn audit_checkpoint(database_url: Option<String>) -> Outcome {
    let url = cli::database_url(database_url, env_database_url());
    let db = open(&url, EXIT_FAILURE).await?;
    let result = commands::audit_checkpoint(&db).await;
    db.close().await.ok();
    printed(result)
}

fn env_database_url() -> Option<String> {
    std::env::var("DATABASE_URL").ok()
}

/// Connects and brings the schema up to date.
async fn open(url: &str, code: u8) -> Result<DatabaseConnection, Failure> {
    let shown = cli::redact(url);
    let db = ops_console::connect(url)
        .await
        .map_err(|e| Failure(code, format!("Cannot open the database {shown}: {e}")))?;
    ops_console::prepare(&db)
        .await
        .map_err(|e| Failure(code, format!("Cannot prepare the database {shown}: {}", detail(&e))))?;
    tracing::info!(database = %shown, "database ready");
    Ok(db)
}

/// The error's message, with the database's own words for database failures.
fn detail(e: &opsadmin::Error) -> String {
    match e {
        opsadmin::Error::Db(db) => format!("the database failed: {db}"),
        opsadmin::Error::Internal(msg) => msg.clone(),
        opsadmin::Error::Invalid(errors) => {
            errors.iter().map(|e| e.message.as_str()).collect::<Vec<_>>().join(" ")
        }
        other => other.to_string(),
    }
}

/// The registry of models and actions, or the start-up error (two actions with one
/// name) as a failure to report.
fn registry() -> Result<opsadmin::Registry, Failure> {
    ops_console::try_registry()
        .map_err(|e| Failure(EXIT_FAILURE, format!("Cannot start: the actions are misconfigured. {e}")))
}

/// `action`: runs an action as a staff user, through the screens' path.
async fn action_command(args: ActionArgs) -> Outcome {
    let registry = registry()?;
    let url = cli::database_url(args.database_url.clone(), env_database_url());
    let db = open(&url, EXIT_FAILURE).await?;
    let result = commands::action(&db, &registry, &roles::roles(), &args).await;
    db.close().await.ok();
    printed(result)
}

/// `token create|list|revoke`.
async fn token_command(args: cli::TokenArgs) -> Outcome {
    let url = cli::database_url(args.database_url.clone(), env_database_url());
    let db = open(&url, EXIT_FAILURE).await?;
    let result = commands::token(&db, &roles::roles(), &args).await;
    db.close().await.ok();
    printed(result)
}

/// A command's text on standard output, or its failure with its exit code.
fn printed(result: Result<String, commands::CommandError>) -> Outcome {
    match result {
        Ok(text) => {
            println!("{text}");
            Ok(())
        }
        Err(e) => Err(Failure(e.code, e.message)),
    }
}

/// Where mail goes, in words (the SMTP relay, or the folder of `.eml` files).
fn mail_destination() -> String {
    ops_console::mail::Transport::from_env().map_or_else(|e| e, |t| t.describe())
}

/// `worker`: carries out approved requests and effects until Ctrl-C (or, with `--once`, until
/// none is due).
async fn worker_command(args: WorkerArgs) -> Outcome {
    let registry = registry()?;
    let url = cli::database_url(args.database_url, env_database_url());
    let db = open(&url, EXIT_FAILURE).await?;
    if !args.once {
        println!("Carrying out approved requests and effects (press Ctrl-C to stop)");
        println!("Mail goes to {}.", mail_destination());
    }
    let result = commands::worker(&db, &registry, &roles::roles(), args.once, shutdown_signal()).await;
    db.close().await.ok();
    match result {
        Ok(s) => {
            println!(
                "Worker stopped: {} done, {} to be retried, {} failed, {} taken by another worker; \
                 {} effects carried out, {} to be retried, {} failed.",
                s.done, s.retried, s.failed, s.lost, s.effects_done, s.effects_retried, s.effects_failed
            );
            Ok(())
        }
        Err(e) => Err(Failure(e.code, e.message)),
    }
}

/// No arguments: the demo database, filled on first start.
async fn demo() -> Outcome {
    registry()?;
    if env_database_url().is_some() {
        tracing::info!(
            "DATABASE_URL is set, but the demo always uses ops-console.db; run `ops-console serve` to serve DATABASE_URL"
        );
    }
    let db = open(ops_console::DEFAULT_DATABASE_URL, EXIT_FAILURE).await?;
    match seed::seed_demo(&db, seed::DEFAULT_SEED).await {
        Ok(Some(summary)) => tracing::info!("filled the new database with demo data: {summary}"),
        Ok(None) => {}
        Err(e) => {
            return Err(Failure(EXIT_FAILURE, format!("Cannot fill the demo database: {e}")));
        }
    }
    first_user(&db).await?;
    serve(db, &ops_console::settings::Settings::default()).await
}

/// Creates `admin` if there is no staff user and prints its password once.
async fn first_user(db: &DatabaseConnection) -> Outcome {
    match ops_console::ensure_admin_user(db).await {
        Ok(Some(password)) => {
            println!(
                "Created staff user {} with password {password} \u{2014} shown once, store it now.",
                ops_console::FIRST_USER
            );
            Ok(())
        }
        Ok(None) => Ok(()),
        Err(e) => Err(Failure(EXIT_FAILURE, format!("Cannot create the first staff user: {}", detail(&e)))),
    }
}

/// `check`: prepares the database and reports list columns without an index.
async fn check(database_url: Option<String>) -> Outcome {
    let url = cli::database_url(database_url, env_database_url());
    let db = open(&url, EXIT_FAILURE).await?;
    let advice = ops_console::index_advice(&db)
        .await
        .map_err(|e| Failure(EXIT_FAILURE, format!("Cannot read the indexes: {}", detail(&e))))?;
    db.close().await.ok();
    if advice.is_empty() {
        println!("Every column the lists filter or sort by has an index.");
        return Ok(());
    }
    println!("Lists filter or sort by these columns, which have no index:");
    for a in &advice {
        println!("  {}.{} ({}): {}", a.model, a.field, a.usage, a.create_index);
    }
    Err(Failure(EXIT_FAILURE, format!("{} columns without an index.", advice.len())))
}

/// `serve`: an existing database, never filled with demo data.
async fn serve_command(args: ServeArgs) -> Outcome {
    registry()?;
    let url = cli::database_url(args.database_url, env_database_url());
    let db = open(&url, EXIT_FAILURE).await?;
    match opsadmin::auth::count_users(&db).await {
        Ok(0) => tracing::warn!(
            "there is no staff user yet, so nobody can sign in; create one with \
             `ops-console createuser NAME --role admin --superuser`"
        ),
        Ok(_) => {}
        Err(e) => {
            return Err(Failure(EXIT_FAILURE, format!("Cannot read the staff users: {}", detail(&e))));
        }
    }
    // Filters and sorts without an index: a warning each, with the fix.
    if let Err(e) = ops_console::warn_index_advice(&db).await {
        tracing::warn!(error = %detail(&e), "could not check the indexes");
    }
    let settings = ops_console::settings::Settings {
        database_url: url,
        addr: args.addr,
        public_url: args.public_url,
        trusted_origins: args.trusted_origins,
        ..ops_console::settings::Settings::default()
    };
    serve(db, &settings).await
}

/// Serves the app until Ctrl-C or SIGTERM, then closes the database.
async fn serve(db: DatabaseConnection, settings: &ops_console::settings::Settings) -> Outcome {
    let addr = settings.addr;
    let config = settings.web_config();
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| Failure(EXIT_FAILURE, format!("Cannot listen on {addr}: {e}.")))?;
    let local = listener.local_addr().unwrap_or(addr);
    println!("Serving the ops console at http://{local}/admin/ (press Ctrl-C to stop)");
    println!(
        "A worker runs in this process: approved requests and mail; mail goes to {}.",
        mail_destination()
    );
    // One admin instance for the screens and the worker: the worker's writes take
    // the same SQLite write turn and outdate the same list caches.
    let state = ops_console::admin_state(db.clone(), std::sync::Arc::new(registry()?), config);
    let registry = std::sync::Arc::clone(&state.registry);
    let app = ops_console::app_with_state(state);
    // Approved requests and effects (mail) are carried out in this process too; the
    // worker finishes the one in hand when the server stops.
    let (stop_worker, stopped) = tokio::sync::oneshot::channel::<()>();
    let worker = {
        let db = db.clone();
        tokio::spawn(async move {
            let stop = async {
                let _ = stopped.await;
            };
            commands::worker(&db, &registry, &roles::roles(), false, stop).await
        })
    };
    // With the client's address (`ConnectInfo`), for audit entries, sign-in
    // throttling and the trusted-proxy check.
    let app = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await
        .map_err(|e| Failure(EXIT_FAILURE, format!("The server stopped: {e}.")));
    let _ = stop_worker.send(());
    match worker.await {
        Ok(Ok(s)) => {
            tracing::info!(
                done = s.done,
                failed = s.failed,
                effects_done = s.effects_done,
                effects_failed = s.effects_failed,
                "worker stopped"
            )
        }
        Ok(Err(e)) => tracing::warn!(error = %e, "approval worker stopped"),
        Err(e) => tracing::warn!(error = %e, "approval worker ended abnormally"),
    }
    served?;
    if let Err(e) = db.close().await {
        tracing::warn!(error = %e, "closing the database failed");
    }
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

/// The new user's password: `ADMIN_PASSWORD`, else one line of standard input.
fn read_password(name: &str) -> Result<String, Failure> {
    if let Ok(p) = std::env::var("ADMIN_PASSWORD") {
        return Ok(p);
    }
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("Password for {name} (typing is visible; set ADMIN_PASSWORD to avoid that): ");
        let _ = std::io::stderr().flush();
    }
    let mut line = String::new();
    let n = stdin
        .lock()
        .read_line(&mut line)
        .map_err(|e| Failure(EXIT_USAGE, format!("Cannot read the password from standard input: {e}.")))?;
    let password = line.trim_end_matches(['\n', '\r']).to_owned();
    if n == 0 || password.is_empty() {
        return Err(Failure(
            EXIT_USAGE,
            "No password given: set ADMIN_PASSWORD or type the password as one line on standard input."
                .into(),
        ));
    }
    Ok(password)
}

/// `createuser`.
async fn createuser(args: CreateUserArgs) -> Outcome {
    let password = read_password(&args.name)?;
    let url = cli::database_url(args.database_url, env_database_url());
    let db = open(&url, EXIT_USAGE).await?;
    let roles: Vec<&str> = args.roles.iter().map(String::as_str).collect();
    let created = opsadmin::auth::create_user(&db, &args.name, &password, &roles, args.superuser).await;
    db.close().await.ok();
    match created {
        Ok(staff) => {
            println!("Created staff user {}.", staff.username);
            Ok(())
        }
        Err(e) => Err(Failure(EXIT_USAGE, format!("Cannot create staff user {}: {}", args.name, detail(&e)))),
    }
}
