//! The state every admin handler shares. It holds no per-user data: sessions, CSRF
//! tokens and records all live in the database, so several instances serve as one.

use std::sync::Arc;

use admin_core::Registry;
use sea_orm::DatabaseConnection;

use crate::render::Templates;

/// Settings of the admin site.
#[derive(Clone, Debug)]
pub struct Config {
    /// Where the admin is mounted, without a trailing slash (`/admin`).
    pub prefix: String,
    /// The site title shown in the header.
    pub site_title: String,
    /// Whether the session cookie carries `Secure` (set this behind HTTPS).
    pub secure_cookies: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self { prefix: "/admin".to_owned(), site_title: "Ops console".to_owned(), secure_cookies: false }
    }
}

/// The admin's shared state: the database, the registered models, templates and
/// settings. Cheap to clone.
#[derive(Clone)]
pub struct AdminState {
    /// The database connection pool.
    pub db: DatabaseConnection,
    /// The registered models.
    pub registry: Arc<Registry>,
    /// The template environment.
    pub templates: Arc<Templates>,
    /// Site settings.
    pub config: Arc<Config>,
}

impl AdminState {
    /// An admin over `db` serving the models in `registry`, mounted at `/admin`.
    #[must_use]
    pub fn new(db: DatabaseConnection, registry: Registry) -> Self {
        Self {
            db,
            registry: Arc::new(registry),
            templates: Arc::new(Templates::new()),
            config: Arc::new(Config::default()),
        }
    }

    /// Replaces the settings. The prefix must match the one given to
    /// [`crate::router_at`].
    #[must_use]
    pub fn with_config(mut self, config: Config) -> Self {
        self.config = Arc::new(config);
        self
    }

    /// The mount prefix (`/admin`).
    #[must_use]
    pub fn prefix(&self) -> &str {
        &self.config.prefix
    }
}
