//! The state every admin handler shares. It holds no per-user data: sessions, CSRF
//! tokens and records all live in the database, so several instances serve as one.

use std::sync::Arc;

use admin_core::Registry;
use admin_core::access::permission::Roles;
use admin_core::auth::{AuthConfig, SessionPolicy, ThrottlePolicy};
use sea_orm::DatabaseConnection;

use crate::render::{TemplateError, Templates};

/// Settings of the admin site.
#[derive(Clone, Debug)]
pub struct Config {
    /// Where the admin is mounted, without a trailing slash (`/admin`).
    pub prefix: String,
    /// The site title shown in the header.
    pub site_title: String,
    /// Whether the session cookie carries `Secure` (set this behind HTTPS).
    pub secure_cookies: bool,
    /// The address staff open the console at, e.g. `https://ops.example.com` (a
    /// path is ignored). Requests that change something and carry the session cookie
    /// must come from pages of this origin (their `Origin` header, or without it
    /// their `Referer`). Without it, the request's own `Host` is taken, with
    /// `https` when [`Config::secure_cookies`] is set, else `http`: set it whenever
    /// a proxy may rewrite `Host`.
    pub public_url: Option<String>,
    /// Further origins whose pages may send such requests (`https://ops.internal:8443`),
    /// e.g. the address of a proxy in front of the console.
    pub trusted_origins: Vec<String>,
    /// Proxies (addresses or networks) in front of the console. Only when the
    /// connection comes from one of them are its `X-Forwarded-For` (the client's
    /// address) and `X-Request-Id` believed; empty by default, so a client cannot
    /// choose the address or request id the audit log records.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// How long after its deletion a record can be restored (default
    /// [`admin_core::service::RESTORE_WINDOW_DAYS`] days): the window of the door
    /// every handler calls ([`admin_core::service::Service::with_restore_window`]).
    pub restore_window: chrono::Duration,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            prefix: "/admin".to_owned(),
            site_title: "Ops console".to_owned(),
            secure_cookies: false,
            public_url: None,
            trusted_origins: Vec::new(),
            trusted_proxies: Vec::new(),
            restore_window: chrono::Duration::days(admin_core::service::RESTORE_WINDOW_DAYS),
        }
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
    /// The template environment: the built-in templates behind the overrides given
    /// to [`AdminState::with_template`] and [`AdminState::with_template_dir`].
    pub templates: Arc<Templates>,
    /// Site settings.
    pub config: Arc<Config>,
    /// Roles, session lifetimes and sign-in throttling.
    pub auth: Arc<AuthConfig>,
    /// A read replica for lists, counts, search and exports
    /// ([`AdminState::with_read_replica`]).
    pub read_db: Option<DatabaseConnection>,
}

impl AdminState {
    /// An admin over `db` serving the models in `registry`, mounted at `/admin`.
    /// Pass an `Arc<Registry>` to share the one admin instance (its list caches and
    /// SQLite write turn) with an approval worker in the same process.
    #[must_use]
    pub fn new(db: DatabaseConnection, registry: impl Into<Arc<Registry>>) -> Self {
        Self {
            db,
            registry: registry.into(),
            templates: Arc::new(Templates::new()),
            config: Arc::new(Config::default()),
            auth: Arc::new(AuthConfig::default()),
            read_db: None,
        }
    }

    /// Reads lists, their counts, search, exports and dashboard tiles from
    /// `replica` (see [`admin_core::service::Service::with_read_replica`]), never
    /// what a write checks. A staff member who has just written through the screens
    /// reads from the primary for [`crate::request_log::READ_YOUR_WRITES`] (a
    /// cookie marks it, so it holds across instances).
    #[must_use]
    pub fn with_read_replica(mut self, replica: DatabaseConnection) -> Self {
        self.read_db = Some(replica);
        self
    }

    /// Declares the site's roles. Without roles only superusers may do anything.
    ///
    /// # Panics
    /// At start-up, when a model's `hidden_for` or `readonly_for` names a role that
    /// is not declared: a misspelt role would leave the field open to the role it
    /// was meant to restrict. The message names every such field.
    #[must_use]
    pub fn with_roles(mut self, roles: Roles) -> Self {
        let problems = roles.undeclared_in(&self.registry.metas());
        assert!(problems.is_empty(), "field rules name undeclared roles:\n{}", problems.join("\n"));
        let mut auth = (*self.auth).clone();
        auth.roles = Arc::new(roles);
        self.auth = Arc::new(auth);
        self
    }

    /// Sets session lifetimes (defaults: 2 hours idle, 12 hours in all, password
    /// again after 15 minutes for sensitive operations).
    #[must_use]
    pub fn with_session_policy(mut self, policy: SessionPolicy) -> Self {
        let mut auth = (*self.auth).clone();
        auth.sessions = policy;
        self.auth = Arc::new(auth);
        self
    }

    /// Sets sign-in throttling (defaults: 5 failures per name or 20 per address in
    /// 15 minutes lock sign-in for 15 minutes).
    #[must_use]
    pub fn with_throttle_policy(mut self, policy: ThrottlePolicy) -> Self {
        let mut auth = (*self.auth).clone();
        auth.throttle = policy;
        self.auth = Arc::new(auth);
        self
    }

    /// Replaces the settings. The prefix must match the one given to
    /// [`crate::router_at`].
    ///
    /// # Panics
    /// At start-up, when [`Config::public_url`] or one of [`Config::trusted_origins`]
    /// is not a URL with a host (`https://ops.example.com`): a typo there would
    /// refuse every form.
    #[must_use]
    pub fn with_config(mut self, config: Config) -> Self {
        let bad: Vec<&str> = config
            .public_url
            .iter()
            .chain(&config.trusted_origins)
            .filter(|u| crate::origin::origin_of(u).is_none())
            .map(String::as_str)
            .collect();
        assert!(
            bad.is_empty(),
            "the public URL and trusted origins must be URLs like https://ops.example.com; these are not: {}",
            bad.join(", ")
        );
        self.config = Arc::new(config);
        self
    }

    /// The door every handler calls: this state's database, registry and sign-in rules.
    #[must_use]
    pub fn service(&self) -> admin_core::service::Service {
        let service = admin_core::service::Service::new(self.db.clone(), Arc::clone(&self.registry))
            .with_auth(Arc::clone(&self.auth))
            .with_restore_window(self.config.restore_window);
        match &self.read_db {
            Some(replica) => service.with_read_replica(replica.clone()),
            None => service,
        }
    }

    /// Overrides the template `name` with `source`: a page (`admin/list.html`), one
    /// model's page (`admin/account/list.html`, which wins over the default for that
    /// model), a part of the layout (`admin/base.html`) or a template of your own.
    /// Start from the built-in page (`{% extends "builtin/admin/list.html" %}`, or
    /// for one model's page `{% extends "admin/list.html" %}`) and replace only the
    /// blocks you need; the guide's "Templates" chapter lists them.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let db = sea_orm::Database::connect("sqlite::memory:").await?;
    /// let state = admin_web::AdminState::new(db, admin_core::Registry::new()).with_template(
    ///     "admin/base.html",
    ///     r#"{% extends "builtin/admin/base.html" %}
    /// {% block footer %}<footer>Support: ops@example.com</footer>{% endblock %}"#,
    /// )?;
    /// # let _ = state;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`TemplateError::Syntax`] when `source` does not parse, and
    /// [`TemplateError::Late`] when this state (or a clone of it) has already
    /// rendered a page: the override would never be seen.
    pub fn with_template(
        self,
        name: impl Into<String>,
        source: impl Into<String>,
    ) -> Result<Self, TemplateError> {
        self.templates.set_override(name, source)?;
        Ok(self)
    }

    /// Adds an application catalog of messages (Fluent) to language `lang`: the
    /// application's own messages (`field-account-email`, its actions' blocked
    /// reasons), a replacement for some of the admin's, or a whole new language
    /// (then give every message of `admin-web/locales/en/`, else those missing show
    /// in English).
    ///
    /// # Errors
    /// [`TemplateError::Catalog`] when it does not parse; [`TemplateError::Late`]
    /// after the first page.
    pub fn with_catalog(self, lang: &str, source: impl Into<String>) -> Result<Self, TemplateError> {
        self.templates.add_catalog(lang, format!("{lang}/app.ftl"), source)?;
        Ok(self)
    }

    /// Adds every `*.ftl` file under `dir/{lang}/` as [`AdminState::with_catalog`]
    /// does (`dir/de/app.ftl`, `dir/fr/core.ftl`), read now.
    ///
    /// # Errors
    /// [`TemplateError::Directory`] when it cannot be read, [`TemplateError::Catalog`]
    /// when a file does not parse.
    pub fn with_catalog_dir(self, dir: impl AsRef<std::path::Path>) -> Result<Self, TemplateError> {
        let dir = dir.as_ref();
        let fail = |path: &std::path::Path, e: &dyn std::fmt::Display| TemplateError::Directory {
            path: path.to_owned(),
            message: e.to_string(),
        };
        let mut langs: Vec<_> = std::fs::read_dir(dir)
            .map_err(|e| fail(dir, &e))?
            .collect::<std::io::Result<_>>()
            .map_err(|e| fail(dir, &e))?;
        langs.sort_by_key(std::fs::DirEntry::file_name);
        for lang_dir in langs.into_iter().filter(|d| d.path().is_dir()) {
            let lang = lang_dir.file_name().to_string_lossy().into_owned();
            let mut files: Vec<_> = std::fs::read_dir(lang_dir.path())
                .map_err(|e| fail(&lang_dir.path(), &e))?
                .collect::<std::io::Result<_>>()
                .map_err(|e| fail(&lang_dir.path(), &e))?;
            files.sort_by_key(std::fs::DirEntry::file_name);
            for file in files.into_iter().filter(|f| f.path().extension().is_some_and(|x| x == "ftl")) {
                let source = std::fs::read_to_string(file.path()).map_err(|e| fail(&file.path(), &e))?;
                let name = format!("{lang}/{}", file.file_name().to_string_lossy());
                self.templates.add_catalog(&lang, name, source)?;
            }
        }
        Ok(self)
    }

    /// Overrides templates with the files under `dir`, named by their path below it
    /// (`dir/admin/base.html` replaces `admin/base.html`). The files are read now;
    /// embedded overrides ([`AdminState::with_template`]) win over a directory, and
    /// a directory added earlier wins over a later one.
    ///
    /// # Errors
    /// [`TemplateError::Directory`] when `dir` cannot be read or holds a file that
    /// is not UTF-8, [`TemplateError::Syntax`] when a file does not parse, and
    /// [`TemplateError::Late`] when a page was already rendered.
    pub fn with_template_dir(self, dir: impl AsRef<std::path::Path>) -> Result<Self, TemplateError> {
        self.templates.add_dir(dir)?;
        Ok(self)
    }

    /// The mount prefix (`/admin`).
    #[must_use]
    pub fn prefix(&self) -> &str {
        &self.config.prefix
    }
}
