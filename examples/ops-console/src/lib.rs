//! The reference ops console: accounts, invoices and email jobs, served by opsadmin.
//!
//! The binary (`ops-console`) is a thin shell around this library, which the
//! integration tests use directly:
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let db = ops_console::connect("sqlite::memory:").await?;
//! ops_console::prepare(&db).await?;
//! ops_console::seed::seed_demo(&db, ops_console::seed::DEFAULT_SEED).await?;
//! let app: axum::Router = ops_console::app(db);
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8000").await?;
//! axum::serve(listener, app).await?;
//! # Ok(())
//! # }
//! ```

pub mod actions;
pub mod backup;
pub mod cli;
pub mod commands;
pub mod config_cmd;
pub mod imports;
pub mod jobs;
pub mod logging;
pub mod mail;
pub mod models;
pub mod pages;
pub mod roles;
pub mod seed;
pub mod settings;
pub mod shutdown;

use std::sync::Arc;

use opsadmin::pages::Tile;
use std::time::Duration;

use axum::Router;
use axum::response::Redirect;
use axum::routing::get;
use sea_orm::sea_query::{Index, IndexCreateStatement};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbErr, Iden, Schema};

use models::{account, account_lock, email_job, invoice};

/// The database the console uses when none is given: a SQLite file in the working
/// directory, created on first start.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://ops-console.db?mode=rwc";

/// The registry of the console's models (accounts, invoices and email jobs) and of
/// every action for them: the console's own ([`actions`], found through
/// `register_action!`) and the billing plugin's (`refund_invoice`, `void_invoice`,
/// on the console's own invoice model), checked against the console's roles.
///
/// # Errors
/// Every configuration mistake (two actions with one name, a role used but not
/// declared, a grant naming an unknown model or action, a plugin's needs the
/// invoice model does not meet), one sentence each with its fix.
pub fn try_registry() -> Result<opsadmin::Registry, String> {
    try_registry_with(mail::Transport::from_env()?)
}

/// [`try_registry`] with mail sent through `transport` (the binary builds it from
/// its resolved settings: [`mail::Transport::from_settings`]).
///
/// # Errors
/// As [`try_registry`].
pub fn try_registry_with(transport: mail::Transport) -> Result<opsadmin::Registry, String> {
    opsadmin::Registry::builder()
        .register::<account::Model>()
        .register::<invoice::Model>()
        .register::<email_job::Model>()
        // The support week's work queues, on the dashboard with their counts. Each
        // selects exactly what its label says: the demo data keeps billing state,
        // last payment result, invoices and email jobs in agreement (see `seed`),
        // so every account in "failed first charge" had its last charge refused.
        .tile(Tile::list("Accounts in manual review", "account", "manual_review=1"))
        .tile(Tile::list("Failed first charges", "account", "billing_state=failed_first_charge"))
        .tile(Tile::list("Past due accounts", "account", "billing_state=past_due"))
        .tile(Tile::list("Failed email jobs", "email_job", "status=failed"))
        .tile(Tile::list("Queued welcome emails", "email_job", "kind=welcome&status=queued"))
        .tile(Tile::list("Disputed invoices", "invoice", "status=disputed"))
        // Finance's page and tile (see `pages`): counts through the door.
        .page(pages::billing_health())
        .tiles(pages::tiles())
        // The mail effects of "Retry welcome email" (and the email job actions).
        .effect_handler(mail::MailHandler::new(transport))
        .registered_actions()
        .plugin(billing_plugin::plugin::<invoice::Model>())
        .roles(&roles::roles())
        .build()
        .map_err(|e| e.to_string())
}

/// [`try_registry`], for callers that cannot go on without it (the web app, tests).
///
/// # Panics
/// When [`try_registry`] fails, with its message. The binary calls
/// [`try_registry`] first and reports the message instead.
#[must_use]
pub fn registry() -> opsadmin::Registry {
    try_registry().unwrap_or_else(|e| panic!("{e}"))
}

/// Whether a SQLite URL names an in-memory database, which lives only as long as
/// its one connection.
fn is_sqlite_memory(url: &str) -> bool {
    url.contains(":memory:") || url.contains("mode=memory")
}

/// Connects to the database at `url`: `sqlite:…` or `postgres://…`.
///
/// A SQLite file is created if it does not exist (unless the URL says otherwise with
/// `mode=ro` or `mode=rw`), and runs in WAL mode with a busy
/// timeout, so readers never block the writer and a briefly busy database is waited
/// for instead of failing. An in-memory SQLite database (`sqlite::memory:`) gets a
/// single connection that is never closed, so it keeps its data.
///
/// # Errors
/// When the URL is malformed or the database cannot be reached.
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    connect_with(url, &settings::Settings::default()).await
}

/// [`connect`], with the settings' pool size
/// ([`settings::Settings::db_max_connections`], `OPSADMIN_DB_MAX_CONNECTIONS`;
/// an in-memory SQLite database keeps its single connection).
///
/// # Errors
/// When the URL is malformed or the database cannot be reached.
pub async fn connect_with(url: &str, settings: &settings::Settings) -> Result<DatabaseConnection, DbErr> {
    let max = settings.db_max_connections;
    let mut opts = ConnectOptions::new(url.to_owned());
    // Each connection is checked before it is handed out, so one that a database
    // restart cut is replaced instead of failing a request: the pool reconnects on
    // its own. A request waits for a connection up to 30 s (the time a PostgreSQL
    // restart takes, and more), then gets the 503 "the database is unavailable".
    opts.sqlx_logging(false)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(30))
        .test_before_acquire(true);
    if url.starts_with("sqlite:") {
        if is_sqlite_memory(url) {
            opts.max_connections(1).min_connections(1).idle_timeout(None).max_lifetime(None);
            opts.map_sqlx_sqlite_opts(|o| o.busy_timeout(Duration::from_secs(10)));
        } else {
            // An explicit `mode=` (ro, rw, rwc) in the URL is respected.
            let create = !url.contains("mode=");
            // SQLite runs each connection on its own thread and writes one at a
            // time: three keep two cores busy. Each has its own page cache; 3 MiB
            // holds a search's candidate rows (a few hundred scattered pages), so
            // repeated searches read memory instead of the file, and three of them
            // keep the process well under 40 MiB.
            opts.max_connections(max.unwrap_or(3)).min_connections(1);
            opts.map_sqlx_sqlite_opts(move |o| {
                let o = if create { o.create_if_missing(true) } else { o };
                o.journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .busy_timeout(Duration::from_secs(10))
                    .pragma("cache_size", "-3072")
            });
        }
    } else {
        opts.max_connections(max.unwrap_or(16)).min_connections(1);
        // Plan every query for its values: a cached generic plan does not know
        // that a search term or a filter value is rare, and may scan the table
        // where an index finds the few rows (see the guide's performance chapter).
        opts.map_sqlx_postgres_opts(|o| o.options([("plan_cache_mode", "force_custom_plan")]));
    }
    Database::connect(opts).await
}

fn index(name: &str, table: impl Iden + 'static, column: impl Iden + 'static) -> IndexCreateStatement {
    Index::create().name(name).table(table).col(column).if_not_exists().to_owned()
}

/// Creates the console's tables and their indexes where they are missing.
///
/// Uses the index names of `bench/make_ops_db.py`, so on a database it made this
/// changes nothing there; it only adds the console's own `account_lock` table and
/// one index of its own, `account_billing_state_plan_id_idx`.
///
/// It runs in the start-up transaction ([`opsadmin::migration::begin_startup`]), so
/// instances starting together on an empty database take turns instead of failing
/// on each other's half-made tables.
///
/// # Errors
/// When the database refuses a statement.
pub async fn create_schema(db: &DatabaseConnection) -> opsadmin::Result<()> {
    let schema = Schema::new(db.get_database_backend());
    let txn = opsadmin::migration::begin_startup(db).await?;
    txn.execute(schema.create_table_from_entity(account::Entity).if_not_exists()).await?;
    txn.execute(schema.create_table_from_entity(invoice::Entity).if_not_exists()).await?;
    txn.execute(schema.create_table_from_entity(email_job::Entity).if_not_exists()).await?;
    txn.execute(schema.create_table_from_entity(account_lock::Entity).if_not_exists()).await?;
    let indexes = [
        index("account_plan_idx", account::Entity, account::Column::Plan),
        index("account_billing_state_idx", account::Entity, account::Column::BillingState),
        index("account_signup_at_idx", account::Entity, account::Column::SignupAt),
        index("invoice_account_id_idx", invoice::Entity, invoice::Column::AccountId),
        index("invoice_status_idx", invoice::Entity, invoice::Column::Status),
        index("email_job_account_id_idx", email_job::Entity, email_job::Column::AccountId),
        index("email_job_status_idx", email_job::Entity, email_job::Column::Status),
        index("account_lock_account_id_idx", account_lock::Entity, account_lock::Column::AccountId),
        // The support queue filters by both (failed first charges on annual plans):
        // with this index such a list counts its rows from the index alone and
        // reads its page, newest first, from the index's end.
        index("account_billing_state_plan_id_idx", account::Entity, account::Column::BillingState)
            .col(account::Column::Plan)
            .col(account::Column::Id)
            .to_owned(),
    ];
    for idx in &indexes {
        txn.execute(idx).await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Makes a database ready to serve: the console's tables ([`create_schema`]), the
/// admin's own (staff users, sessions, ...) and the search indexes of the models'
/// `search` fields ([`opsadmin::Registry::ensure_search_index`]; built once, which takes
/// about half a minute on a million accounts). Idempotent; run it at every start.
///
/// # Errors
/// When the database refuses a statement.
pub async fn prepare(db: &DatabaseConnection) -> opsadmin::Result<()> {
    create_schema(db).await?;
    opsadmin::migration::migrate(db).await?;
    let registry = try_registry().map_err(opsadmin::Error::Internal)?;
    registry.ensure_search_index(db).await?;
    Ok(())
}

/// The columns the console's lists filter or sort by without an index, each with
/// the `CREATE INDEX` statement that serves it (see [`opsadmin::list::advise`]).
///
/// # Errors
/// When the database cannot be asked about its indexes.
pub async fn index_advice(db: &DatabaseConnection) -> opsadmin::Result<Vec<opsadmin::list::Advice>> {
    let registry = try_registry().map_err(opsadmin::Error::Internal)?;
    opsadmin::list::advise(db, &registry.metas()).await
}

/// [`index_advice`], logged as one warning per column (at start-up).
///
/// # Errors
/// As [`index_advice`].
pub async fn warn_index_advice(db: &DatabaseConnection) -> opsadmin::Result<()> {
    let registry = try_registry().map_err(opsadmin::Error::Internal)?;
    opsadmin::list::warn(db, &registry.metas()).await.map(|_| ())
}

/// The web app: the admin under `/admin`, and `/` redirecting there.
pub fn app(db: DatabaseConnection) -> Router {
    app_with_config(db, opsadmin::web::Config::default())
}

/// [`app`] with site settings (the public URL and trusted origins of `serve`).
pub fn app_with_config(db: DatabaseConnection, config: opsadmin::web::Config) -> Router {
    app_with_state(admin_state(db, Arc::new(registry()), config))
}

/// The admin's state over `db`: this `registry` (shared, not copied), the console's
/// roles, the site settings and the template of the billing health page. `serve` hands the same registry to its approval
/// worker, so the worker's writes take the same SQLite write turn as the screens'
/// and outdate the screens' list caches (a second `Registry` would be a second
/// admin instance, with caches and a write turn of its own).
#[must_use]
pub fn admin_state(
    db: DatabaseConnection,
    registry: Arc<opsadmin::Registry>,
    config: opsadmin::web::Config,
) -> opsadmin::web::AdminState {
    opsadmin::web::AdminState::new(db, registry)
        .with_roles(roles::roles())
        .with_config(config)
        // An embedded template that the tests render: it parses, and nothing has
        // been rendered yet while the state is built.
        .with_template(pages::BILLING_HEALTH_TEMPLATE, pages::BILLING_HEALTH_SOURCE)
        .expect("the billing health template parses")
        // The app's own words (its actions' blocked reasons, its labels in German).
        .with_catalog("en", include_str!("../locales/en/app.ftl"))
        .and_then(|s| s.with_catalog("de", include_str!("../locales/de/app.ftl")))
        .expect("the app's catalogs parse")
}

/// The web app over an admin state: the admin under `/admin`, and `/` redirecting
/// there.
pub fn app_with_state(state: opsadmin::web::AdminState) -> Router {
    app_with_settings(state, &settings::Settings::default())
}

/// Where the web app serves metrics when [`settings::Settings::metrics_token`] is set.
pub const METRICS_PATH: &str = "/admin/metrics";

/// The web app as `serve` runs it: [`app_with_state`], plus the metrics in the
/// Prometheus text format at [`METRICS_PATH`] for requests with `Authorization:
/// Bearer {token}` when `settings` has a metrics token. Without one that address
/// is a 404 like any unknown page: metrics are never public by default.
pub fn app_with_settings(state: opsadmin::web::AdminState, settings: &settings::Settings) -> Router {
    let mut app = Router::new()
        .route("/", get(|| async { Redirect::to("/admin/") }))
        // The admin's router carries its `/admin` prefix itself.
        .merge(opsadmin::web::router());
    if let Some(token) = settings.metrics_token.as_deref().filter(|t| !t.is_empty()) {
        app = app.merge(opsadmin::web::metrics::router_with_token(METRICS_PATH, token));
    }
    app.with_state(state)
}

/// The app of the metrics listener ([`settings::Settings::metrics_addr`]): only
/// `/metrics`, without a token, for an address that only the monitoring reaches.
pub fn metrics_app(state: opsadmin::web::AdminState) -> Router {
    Router::new().merge(opsadmin::web::metrics::open_router("/metrics")).with_state(state)
}

/// Serves [`metrics_app`] on `addr` until the returned task is aborted; gives the
/// address it listens on (a port 0 becomes the one chosen).
///
/// # Errors
/// When `addr` cannot be listened on.
pub async fn serve_metrics(
    addr: std::net::SocketAddr,
    state: opsadmin::web::AdminState,
) -> std::io::Result<(std::net::SocketAddr, tokio::task::JoinHandle<()>)> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    let app = metrics_app(state);
    let task = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, "the metrics listener stopped");
        }
    });
    Ok((local, task))
}

/// The name of the staff user created on first start.
pub const FIRST_USER: &str = "admin";

/// Creates the first staff user, `admin` (superuser, role `admin`), with a random
/// password, when there is no staff user at all. Returns the password, which is
/// stored only as a hash: show it once.
///
/// # Errors
/// When the database fails.
pub async fn ensure_admin_user(db: &DatabaseConnection) -> opsadmin::Result<Option<String>> {
    if opsadmin::auth::count_users(db).await? > 0 {
        return Ok(None);
    }
    let password = opsadmin::auth::random_hex(10)?;
    opsadmin::auth::create_user(db, FIRST_USER, &password, &[roles::ADMIN], true).await?;
    Ok(Some(password))
}

#[cfg(test)]
mod tests {
    use super::*;
    use models::account::{BillingState, PaymentResult, Plan};
    use sea_orm::ActiveValue::Set;
    use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

    async fn memory_db() -> DatabaseConnection {
        let db = connect("sqlite::memory:").await.unwrap();
        prepare(&db).await.unwrap();
        db
    }

    #[tokio::test]
    async fn prepare_is_idempotent_and_seeding_happens_once() {
        let db = memory_db().await;
        prepare(&db).await.unwrap();
        let summary = seed::seed_demo(&db, seed::DEFAULT_SEED).await.unwrap().expect("seeded");
        assert_eq!(summary.accounts, seed::DEMO_ACCOUNTS);
        assert_eq!(account::Entity::find().count(&db).await.unwrap(), summary.accounts as u64);
        assert_eq!(invoice::Entity::find().count(&db).await.unwrap(), summary.invoices as u64);
        assert_eq!(email_job::Entity::find().count(&db).await.unwrap(), summary.email_jobs as u64);
        assert!(seed::seed_demo(&db, seed::DEFAULT_SEED).await.unwrap().is_none());

        // The trouble states can be found with the list screen's filters, and no
        // account in them has an approved last payment.
        let failed = account::Entity::find()
            .filter(account::Column::BillingState.eq(BillingState::FailedFirstCharge.as_str()))
            .filter(account::Column::Plan.is_in([Plan::Monthly.as_str(), Plan::Annual.as_str()]))
            .filter(account::Column::LastPaymentResult.ne(PaymentResult::Approved.as_str()))
            .count(&db)
            .await
            .unwrap();
        assert_eq!(failed, summary.trouble.failed_first_charge as u64);
        let unwelcomed = account::Entity::find()
            .filter(account::Column::WelcomeEmailSent.eq(false))
            .count(&db)
            .await
            .unwrap();
        assert_eq!(unwelcomed, (summary.trouble.welcome_failed + summary.trouble.welcome_queued) as u64);

        // Dates come back exactly as stored.
        let first = account::Entity::find_by_id(1).one(&db).await.unwrap().unwrap();
        assert_eq!(first, seed::generate(seed::DEFAULT_SEED, seed::DEMO_ACCOUNTS).accounts[0]);
    }

    #[tokio::test]
    async fn new_accounts_get_defaults_and_saves_touch_updated_at() {
        let db = memory_db().await;
        let a = account::ActiveModel {
            email: Set("new@example.com".into()),
            company: Set("Initech 3 LLC".into()),
            plan: Set(Plan::Trial.as_str().into()),
            ..Default::default()
        }
        .insert(&db)
        .await
        .unwrap();
        assert_eq!(a.billing_state, "ok");
        assert!(!a.welcome_email_sent && !a.manual_review && !a.locked);
        assert_eq!(a.last_payment_result, None);
        assert!((models::now() - a.signup_at).num_seconds().abs() < 5);
        assert_eq!(a.updated_at, a.signup_at);

        let mut am: account::ActiveModel = a.clone().into();
        am.updated_at = Set(chrono::NaiveDateTime::default());
        am.manual_review = Set(true);
        let b = am.update(&db).await.unwrap();
        assert!(b.manual_review);
        assert!(b.updated_at >= a.updated_at, "before_save overrides updated_at");
    }

    #[test]
    fn the_registry_has_the_console_and_the_plugin_actions() {
        let r = registry();
        let names = |slug| r.actions_for(slug).iter().map(|a| a.name()).collect::<Vec<_>>();
        assert_eq!(
            names("account"),
            ["lock_account", "mark_for_manual_review", "retry_welcome_email", "unlock_account"]
        );
        assert_eq!(names("invoice"), ["refund_invoice", "void_invoice"]);
        assert_eq!(names("email_job"), ["requeue_stuck_job", "retry_email_job"]);
    }

    #[tokio::test]
    async fn the_first_start_creates_one_admin() {
        let db = memory_db().await;
        let password = ensure_admin_user(&db).await.unwrap().expect("created");
        assert_eq!(password.len(), 20);
        assert!(ensure_admin_user(&db).await.unwrap().is_none());
        let users = admin_core::db::entities::staff_user::Entity::find().all(&db).await.unwrap();
        assert_eq!(users.len(), 1);
        assert_eq!(users[0].username, FIRST_USER);
        assert!(users[0].is_superuser && users[0].is_active);
        assert_eq!(users[0].roles, "admin");
        assert!(admin_core::auth::verify_password(&password, &users[0].password_hash));
    }

    /// Runs on PostgreSQL when `OPS_CONSOLE_TEST_POSTGRES_URL` names an empty database.
    #[tokio::test]
    async fn postgres_is_prepared_seeded_and_writable() {
        let Ok(url) = std::env::var("OPS_CONSOLE_TEST_POSTGRES_URL") else {
            return;
        };
        let db = connect(&url).await.unwrap();
        prepare(&db).await.unwrap();
        prepare(&db).await.unwrap();
        let summary = seed::seed_demo(&db, seed::DEFAULT_SEED).await.unwrap().expect("an empty database");
        assert!(seed::seed_demo(&db, seed::DEFAULT_SEED).await.unwrap().is_none());
        let first = account::Entity::find_by_id(1).one(&db).await.unwrap().unwrap();
        assert_eq!(first, seed::generate(seed::DEFAULT_SEED, seed::DEMO_ACCOUNTS).accounts[0]);
        // The sequences moved past the seeded ids.
        let a = account::ActiveModel {
            email: Set("pg@example.com".into()),
            company: Set("Hooli 9 Inc".into()),
            plan: Set(Plan::Free.as_str().into()),
            ..Default::default()
        }
        .insert(&db)
        .await
        .unwrap();
        assert_eq!(a.id, summary.accounts as i64 + 1);
        assert!(ensure_admin_user(&db).await.unwrap().is_some());
    }

    #[tokio::test]
    async fn a_sqlite_file_is_created_in_wal_mode() {
        let dir = std::env::temp_dir().join(format!("ops-console-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("fresh.db");
        let _ = std::fs::remove_file(&path);
        let db = connect(&format!("sqlite://{}", path.display())).await.unwrap();
        prepare(&db).await.unwrap();
        let row = db
            .query_one_raw(sea_orm::Statement::from_string(db.get_database_backend(), "PRAGMA journal_mode"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.try_get_by_index::<String>(0).unwrap(), "wal");
        db.close().await.unwrap();
        assert!(path.exists());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
