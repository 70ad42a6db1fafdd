//! `ops-console`: the reference ops console. See `ops-console --help`.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use ops_console::cli::{self, ActionArgs, AuditCommand, Command, CreateUserArgs, WorkerArgs};
use ops_console::settings::{self, Settings};
use ops_console::{commands, roles, seed, shutdown};
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
    let (command, common) = match cli::parse_line(std::env::args_os().skip(1)) {
        Ok(c) => c,
        // A command line that cannot be used (code 2), or --help / --version (0).
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(EXIT_USAGE));
        }
    };
    // Flags, else the environment, else the settings file, else the defaults; a
    // value that is not allowed stops here, before anything runs.
    let resolved = match command.settings(&common) {
        Some((flags, scope)) => match settings::load(flags, scope, &settings::process_env) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("ops-console: {e}");
                return ExitCode::from(EXIT_USAGE);
            }
        },
        None => settings::Resolved { settings: Settings::default(), sources: Vec::new() },
    };
    init_logging(&resolved.settings);
    let s = &resolved.settings;
    let outcome = match command {
        Command::Demo => demo(s).await,
        Command::Serve(_) => serve_command(s).await,
        Command::Config(_) => {
            println!("{}", ops_console::config_cmd::render(&resolved));
            Ok(())
        }
        Command::CreateUser(args) => createuser(args, s).await,
        Command::Audit { command: AuditCommand::Verify { checkpoint, .. } } => {
            audit_verify(s, checkpoint).await
        }
        Command::Audit { command: AuditCommand::Checkpoint { .. } } => audit_checkpoint(s).await,
        Command::Action(args) => action_command(args, s).await,
        Command::Worker(args) => worker_command(args, s).await,
        Command::Check { .. } => check(s).await,
        Command::Token(args) => token_command(args, s).await,
        Command::Job(args) => job_command(args, s).await,
        Command::Backup { path, force, .. } => backup(s, &path, force).await,
        Command::Restore { path, .. } => restore(s, &path).await,
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

/// Log lines on standard error, filtered by the `log` setting.
fn init_logging(settings: &Settings) {
    ops_console::logging::init(settings.log_format, &settings.log_filter);
}

/// `completions SHELL`: the script on standard output.
fn completions(shell: clap_complete::Shell) -> Outcome {
    let mut out = std::io::stdout().lock();
    out.write_all(&cli::completions(shell))
        .and_then(|()| out.flush())
        .map_err(|e| Failure(EXIT_FAILURE, format!("Cannot write the completion script: {e}.")))
}

/// `audit verify`: walks the chain and reports the first problem.
async fn audit_verify(settings: &Settings, checkpoint: Option<std::path::PathBuf>) -> Outcome {
    let db = open(settings, EXIT_FAILURE).await?;
    let result = commands::audit_verify(&db, checkpoint.as_deref()).await;
    db.close().await.ok();
    printed(result)
}

/// `audit checkpoint`: prints the head of every chain.
async fn audit_checkpoint(settings: &Settings) -> Outcome {
    let db = open(settings, EXIT_FAILURE).await?;
    let result = commands::audit_checkpoint(&db).await;
    db.close().await.ok();
    printed(result)
}

/// `backup PATH`: a consistent copy of the live SQLite database.
async fn backup(settings: &Settings, path: &std::path::Path, force: bool) -> Outcome {
    printed(ops_console::backup::backup(&settings.database_url, path, force).await)
}

/// `restore PATH`: a checked backup put in place of the SQLite database.
async fn restore(settings: &Settings, path: &std::path::Path) -> Outcome {
    printed(ops_console::backup::restore(path, &settings.database_url).await)
}

/// Connects to the settings' database and brings the schema up to date.
async fn open(settings: &Settings, code: u8) -> Result<DatabaseConnection, Failure> {
    let url = &settings.database_url;
    let shown = settings::spec::shown(settings::spec::Mask::UrlPassword, url);
    let db = ops_console::connect_with(url, settings)
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

/// The registry of models and actions, with mail sent as the settings say, or the
/// start-up error as a failure to report: a mail setting that cannot be used (exit
/// code 2), or two actions with one name.
fn registry(settings: &Settings) -> Result<opsadmin::Registry, Failure> {
    let transport = ops_console::mail::Transport::from_settings(settings)
        .map_err(|e| Failure(EXIT_USAGE, format!("Cannot start: {e}")))?;
    ops_console::try_registry_with(transport)
        .map_err(|e| Failure(EXIT_FAILURE, format!("Cannot start: the actions are misconfigured. {e}")))
}

/// `action`: runs an action as a staff user, through the screens' path.
async fn action_command(args: ActionArgs, settings: &Settings) -> Outcome {
    let registry = registry(settings)?;
    let db = open(settings, EXIT_FAILURE).await?;
    let result = commands::action(&db, &registry, &roles::roles(), &args).await;
    db.close().await.ok();
    printed(result)
}

/// `token create|list|revoke`.
async fn token_command(args: cli::TokenArgs, settings: &Settings) -> Outcome {
    let db = open(settings, EXIT_FAILURE).await?;
    let result = commands::token(&db, &roles::roles(), &args).await;
    db.close().await.ok();
    printed(result)
}

/// `job list|show|pause|resume|cancel`.
async fn job_command(args: cli::JobArgs, settings: &Settings) -> Outcome {
    let registry = registry(settings)?;
    let db = open(settings, EXIT_FAILURE).await?;
    let result = ops_console::jobs::job(&db, &registry, &roles::roles(), &args).await;
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
fn mail_destination(settings: &Settings) -> String {
    ops_console::mail::Transport::from_settings(settings).map_or_else(|e| e, |t| t.describe())
}

/// `worker`: carries out approved requests and effects until Ctrl-C (or, with `--once`, until
/// none is due).
async fn worker_command(args: WorkerArgs, settings: &Settings) -> Outcome {
    let registry = registry(settings)?;
    let db = open(settings, EXIT_FAILURE).await?;
    if !args.once {
        println!("Carrying out approved requests and effects (press Ctrl-C to stop)");
        println!("Mail goes to {}.", mail_destination(settings));
    }
    // On SIGTERM or Ctrl-C: finish the item in hand; past the timeout, give it back.
    let stop = shutdown::Stop::on_signal(settings.shutdown_timeout);
    let result =
        commands::worker_until(&db, &registry, &roles::roles(), args.once, stop.asked(), stop.deadline())
            .await;
    db.close().await.ok();
    match result {
        Ok(s) => {
            println!(
                "Worker stopped: {} done, {} to be retried, {} failed, {} taken by another worker; \
                 {} effects carried out, {} to be retried, {} failed; {} given back unfinished.",
                s.done,
                s.retried,
                s.failed,
                s.lost,
                s.effects_done,
                s.effects_retried,
                s.effects_failed,
                s.released
            );
            Ok(())
        }
        Err(e) => Err(Failure(e.code, e.message)),
    }
}

/// No arguments: the demo database, filled on first start.
async fn demo(settings: &Settings) -> Outcome {
    registry(settings)?;
    if settings.database_url != ops_console::DEFAULT_DATABASE_URL {
        tracing::info!(
            "a database URL is set, but the demo always uses ops-console.db; run `ops-console serve` to serve it"
        );
    }
    let settings =
        Settings { database_url: ops_console::DEFAULT_DATABASE_URL.to_owned(), ..settings.clone() };
    let db = open(&settings, EXIT_FAILURE).await?;
    match seed::seed_demo(&db, seed::DEFAULT_SEED).await {
        Ok(Some(summary)) => tracing::info!("filled the new database with demo data: {summary}"),
        Ok(None) => {}
        Err(e) => {
            return Err(Failure(EXIT_FAILURE, format!("Cannot fill the demo database: {e}")));
        }
    }
    first_user(&db).await?;
    serve(db, &settings).await
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
async fn check(settings: &Settings) -> Outcome {
    let db = open(settings, EXIT_FAILURE).await?;
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
async fn serve_command(settings: &Settings) -> Outcome {
    registry(settings)?;
    let db = open(settings, EXIT_FAILURE).await?;
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
    serve(db, settings).await
}

/// Serves the app until Ctrl-C or SIGTERM: then it takes no new connection,
/// finishes the requests in flight and the worker's item in hand, and closes the
/// database; past `settings.shutdown_timeout` it stops anyway, naming what was
/// still running (the worker gives its item back for another worker).
async fn serve(db: DatabaseConnection, settings: &Settings) -> Outcome {
    let addr = settings.addr;
    let config = settings.web_config();
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| Failure(EXIT_FAILURE, format!("Cannot listen on {addr}: {e}.")))?;
    let local = listener.local_addr().unwrap_or(addr);
    println!("Serving the ops console at http://{local}/admin/ (press Ctrl-C to stop)");
    if !settings.worker {
        println!(
            "No worker runs in this process (--no-worker): run `ops-console worker` for approved requests and mail."
        );
    }
    // One admin instance for the screens and the worker: the worker's writes take
    // the same SQLite write turn and outdate the same list caches.
    let mut state = ops_console::admin_state(db.clone(), std::sync::Arc::new(registry(settings)?), config);
    if let Some(url) = &settings.read_database_url {
        let replica = ops_console::connect_with(url, settings).await.map_err(|e| {
            Failure(EXIT_FAILURE, format!("Cannot open the read replica (OPSADMIN_READ_DATABASE_URL): {e}."))
        })?;
        state = state.with_read_replica(replica);
    }
    let registry = std::sync::Arc::clone(&state.registry);
    let in_flight = shutdown::InFlight::default();
    let metrics = metrics_listener(settings, &state).await?;
    let app = in_flight.track(ops_console::app_with_settings(state, settings));
    let stop = shutdown::Stop::on_signal(settings.shutdown_timeout);
    // Approved requests and effects (mail) are carried out in this process too.
    let worker = settings.worker.then(|| {
        println!(
            "A worker runs in this process: approved requests and mail; mail goes to {}.",
            mail_destination(settings)
        );
        let (db, stop) = (db.clone(), stop.clone());
        tokio::spawn(async move {
            commands::worker_until(&db, &registry, &roles::roles(), false, stop.asked(), stop.deadline())
                .await
        })
    });
    let mut server = tokio::spawn({
        let stop = stop.clone();
        // With the client's address (`ConnectInfo`), for audit entries, sign-in
        // throttling and the trusted-proxy check.
        let app = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
        axum::serve(listener, app).with_graceful_shutdown(async move { stop.asked().await }).into_future()
    });
    let served = tokio::select! {
        served = &mut server => Some(served),
        () = stop.deadline() => None,
    };
    let served = match served {
        Some(Ok(result)) => result.map_err(|e| Failure(EXIT_FAILURE, format!("The server stopped: {e}."))),
        Some(Err(e)) => Err(Failure(EXIT_FAILURE, format!("The server stopped abnormally: {e}."))),
        None => {
            let running = in_flight.running();
            tracing::warn!(
                timeout_seconds = settings.shutdown_timeout.as_secs(),
                requests = running.len(),
                running = %running.join(", "),
                "the shutdown timeout ran out: stopping with requests still running"
            );
            server.abort();
            Ok(())
        }
    };
    if let Some(worker) = worker {
        stopped_worker(worker).await;
    }
    if let Some(m) = metrics {
        m.abort();
    }
    served?;
    if let Err(e) = db.close().await {
        tracing::warn!(error = %e, "closing the database failed");
    }
    tracing::info!("stopped");
    Ok(())
}

/// Waits for the server's worker, which returns by the shutdown timeout (giving its
/// item back then), and logs what it did.
async fn stopped_worker(
    worker: tokio::task::JoinHandle<Result<commands::WorkerSummary, commands::CommandError>>,
) {
    match worker.await {
        Ok(Ok(s)) => {
            tracing::info!(
                done = s.done,
                failed = s.failed,
                effects_done = s.effects_done,
                effects_failed = s.effects_failed,
                given_back = s.released,
                "worker stopped"
            )
        }
        Ok(Err(e)) => tracing::warn!(error = %e, "approval worker stopped"),
        Err(e) => tracing::warn!(error = %e, "approval worker ended abnormally"),
    }
}

/// The metrics listener of `settings.metrics_addr`, if set: `/metrics` without a token.
async fn metrics_listener(
    settings: &ops_console::settings::Settings,
    state: &opsadmin::web::AdminState,
) -> Result<Option<tokio::task::JoinHandle<()>>, Failure> {
    let Some(addr) = settings.metrics_addr else { return Ok(None) };
    let (local, task) = ops_console::serve_metrics(addr, state.clone())
        .await
        .map_err(|e| Failure(EXIT_FAILURE, format!("Cannot listen on {addr} for metrics: {e}.")))?;
    println!("Metrics (Prometheus text) at http://{local}/metrics");
    Ok(Some(task))
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
async fn createuser(args: CreateUserArgs, settings: &Settings) -> Outcome {
    let password = read_password(&args.name)?;
    let db = open(settings, EXIT_USAGE).await?;
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
