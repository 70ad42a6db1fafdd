//! [`Service`]: the one door. Every read or write through the admin — by the
//! screens, the JSON API, the command line, the worker or a user's script — is a
//! method here that takes a [`Caller`] and does every check itself: the model's
//! permission, the field rules, a recent sign-in where one is needed, the batch
//! limit, and the audit entry in the same transaction as the change.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use super::caller::Caller;
use crate::auth::{self, AuthConfig, Authentication, Credential};
use crate::kernel::error::Result;
use crate::registry::Registry;

mod actions;
mod approvals;
mod audit_log;
mod effects;
mod imports;
mod inlines;
mod jobs;
mod list_edit;
mod lookup;
mod notes;
mod observe;
mod records;
mod scope;
mod selection;
mod site;
mod staff;
mod undo;

pub use effects::{EFFECTS_MANAGE_REFUSED, EFFECTS_REFUSED, WORKER_SILENCE};
pub use imports::EXPORT_JOB_LIMIT;
pub use jobs::{JOBS_MANAGE_REFUSED, JobRequest, JobStarted};
pub use lookup::{LOOKUP_LIMIT, Suggestion, Suggestions};
pub use observe::{Gauges, Health};
pub use site::{TileCount, TileLink};

/// Rows a streamed export reads from the database per query.
pub const EXPORT_PAGE: u64 = 1_000;

/// A stream of pages of rows, read from the database as it is polled.
pub type Pages<T> = futures_util::stream::BoxStream<'static, Result<Vec<T>>>;

/// What a caller without `staff.view` cannot do ([`Caller::require`] adds who can).
pub(super) const STAFF_VIEW_REFUSED: &str = "You cannot see the staff users.";

pub(super) fn require_staff_view(caller: &Caller) -> Result<()> {
    if caller.may("staff.change") { Ok(()) } else { caller.require("staff.view", STAFF_VIEW_REFUSED) }
}

/// What a caller without `audit.view` cannot do ([`Caller::require`] adds who can:
/// "Ask someone with the admin role.").
pub const AUDIT_REFUSED: &str = "You cannot view the audit log.";

/// The door into the admin: the database, the registered models and actions, and
/// the sign-in rules, shared by every caller. Cheap to clone.
///
/// ```
/// # use admin_core::{Registry, service::{Caller, Service}};
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> admin_core::Result<()> {
/// let db = sea_orm::Database::connect("sqlite::memory:").await?;
/// admin_core::migration::migrate(&db).await?;
/// let service = Service::new(db, Registry::new());
/// let system = Caller::system("docs");
/// assert!(matches!(service.audit_verify(&system).await?, admin_core::audit::Verdict::Intact { .. }));
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Service {
    db: DatabaseConnection,
    read: Option<DatabaseConnection>,
    registry: Arc<Registry>,
    auth: Arc<AuthConfig>,
    restore_window: chrono::Duration,
}

/// How long a deleted record can be restored by default: 30 days.
pub const RESTORE_WINDOW_DAYS: i64 = 30;

impl Service {
    /// The door over `db` for the models and actions of `registry`, with the
    /// default sign-in rules and no roles.
    #[must_use]
    pub fn new(db: DatabaseConnection, registry: impl Into<Arc<Registry>>) -> Self {
        Self {
            db,
            read: None,
            registry: registry.into(),
            auth: Arc::new(AuthConfig::default()),
            restore_window: chrono::Duration::days(RESTORE_WINDOW_DAYS),
        }
    }

    /// The same door with these sign-in rules and roles.
    #[must_use]
    pub fn with_auth(mut self, auth: impl Into<Arc<AuthConfig>>) -> Self {
        self.auth = auth.into();
        self
    }

    /// The same door, restoring deleted records for `window` after their deletion
    /// (by default [`RESTORE_WINDOW_DAYS`] days).
    #[must_use]
    pub fn with_restore_window(mut self, window: chrono::Duration) -> Self {
        self.restore_window = window;
        self
    }

    /// The same door, reading lists, their counts, search, exports and tiles from
    /// `replica` (a PostgreSQL streaming replica of the primary, say), never the
    /// records a write checks or changes. A caller who has just written
    /// ([`Caller::with_own_writes`]) reads from the primary, so a replica that lags
    /// behind never hides their own change from them.
    #[must_use]
    pub fn with_read_replica(mut self, replica: DatabaseConnection) -> Self {
        self.read = Some(replica);
        self
    }

    /// Where `caller`'s reads for display go: the read replica, unless there is
    /// none or the caller has just written.
    pub(super) fn reader(&self, caller: &Caller) -> &DatabaseConnection {
        match &self.read {
            Some(replica) if !caller.reads_own_writes() => replica,
            _ => &self.db,
        }
    }

    /// Whether this door reads for display from a replica.
    #[must_use]
    pub fn has_read_replica(&self) -> bool {
        self.read.is_some()
    }

    /// The same door with these roles (the rest of the sign-in rules unchanged).
    #[must_use]
    pub fn with_roles(mut self, roles: crate::access::permission::Roles) -> Self {
        let mut auth = (*self.auth).clone();
        auth.roles = Arc::new(roles);
        self.auth = Arc::new(auth);
        self
    }

    /// Opens a write of the application's own tables whose audit entries the caller
    /// signs (see [`crate::service::AuditedWrite`]).
    ///
    /// # Errors
    /// `Db` when the database fails.
    pub async fn audited_write(&self, caller: &Caller) -> Result<crate::service::AuditedWrite> {
        let txn = crate::db::txn::begin_write(&self.db).await?;
        Ok(crate::service::AuditedWrite { txn, caller: caller.clone() })
    }

    /// The database the admin works on (for the application's own start-up work:
    /// migrations, health checks). Reading or writing the admin's data goes through
    /// the door's methods instead.
    #[must_use]
    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    /// The registered models and actions.
    #[must_use]
    pub fn registry(&self) -> &Arc<Registry> {
        &self.registry
    }

    /// The sign-in rules and roles.
    #[must_use]
    pub fn auth(&self) -> &Arc<AuthConfig> {
        &self.auth
    }

    // ---- identity ----------------------------------------------------------

    /// Decides who a credential (session cookie, API token, command-line user) is:
    /// the one authenticator.
    ///
    /// # Errors
    /// `Db` when the database fails.
    pub async fn authenticate(&self, credential: Credential<'_>) -> Result<Authentication> {
        auth::authenticate(&self.db, &self.auth, credential).await
    }

    /// The caller for a command-line user, who proves themselves by holding the
    /// database.
    ///
    /// # Errors
    /// `NotFound` for an unknown or deactivated user.
    pub async fn local(&self, username: &str) -> Result<Caller> {
        Ok(Caller::from_identity(&auth::local_identity(&self.db, &self.auth, username).await?))
    }
}

/// What every part of the door imports.
mod prelude {
    pub(super) use super::Service;
    pub(super) use super::{AUDIT_REFUSED, EXPORT_PAGE, Pages, require_staff_view};
    pub(super) use crate::action::{DynAction, Preview};
    pub(super) use crate::approval::{self, Work, request};
    pub(super) use crate::audit::{self, Filter, entry};
    pub(super) use crate::auth::{self, ApiTokenInfo};
    pub(super) use crate::db::entities::{note, saved_view, staff_user};
    pub(super) use crate::kernel::Changes;
    pub(super) use crate::kernel::error::{Error, Result};
    pub(super) use crate::kernel::model::ModelMeta;
    pub(super) use crate::kernel::record::{FormData, Record};
    pub(super) use crate::list::query::{ListQuery, ListResult};
    pub(super) use crate::registry::{ExportPosition, ModelAdmin};
    pub(super) use crate::service::caller::Caller;
    pub(super) use crate::service::{ActionRequest, ActionResult, DeletePlan, RelatedRows};
    pub(super) use std::collections::HashSet;
    pub(super) use std::sync::Arc;
}
