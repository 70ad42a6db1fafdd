//! [`Service`]: the one door. Every read or write through the admin — by the
//! screens, the JSON API, the command line, the worker or a user's script — is a
//! method here that takes a [`Caller`] and does every check itself: the model's
//! permission, the field rules, a recent sign-in where one is needed, the batch
//! limit, and the audit entry in the same transaction as the change.

use std::collections::HashSet;
use std::sync::Arc;

use sea_orm::DatabaseConnection;

use super::caller::Caller;
use super::{ActionRequest, ActionResult, DeletePlan, RelatedRows};
use crate::action::{DynAction, Preview};
use crate::approval::{self, Work, request};
use crate::audit::{self, Filter, entry};
use crate::auth::{self, ApiTokenInfo, AuthConfig, Authentication, Credential};
use crate::db::entities::{note, saved_view, staff_user};
use crate::kernel::Changes;
use crate::kernel::error::{Error, Result};
use crate::kernel::model::ModelMeta;
use crate::kernel::record::{FormData, Record};
use crate::list::query::{ListQuery, ListResult};
use crate::registry::{ExportPosition, ModelAdmin, Registry};

/// Rows a streamed export reads from the database per query.
pub const EXPORT_PAGE: u64 = 1_000;

/// A stream of pages of rows, read from the database as it is polled.
pub type Pages<T> = futures_util::stream::BoxStream<'static, Result<Vec<T>>>;

/// The sentence for a caller without `staff.view`.
const STAFF_VIEW_REFUSED: &str =
    "You cannot see the staff users. Ask an admin for the staff.view permission.";

fn require_staff_view(caller: &Caller) -> Result<()> {
    if caller.may("staff.change") { Ok(()) } else { caller.require("staff.view", STAFF_VIEW_REFUSED) }
}

/// The sentence for a caller without `audit.view`.
pub const AUDIT_REFUSED: &str = "You cannot view the audit log. Ask an admin for the audit.view permission.";

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
    registry: Arc<Registry>,
    auth: Arc<AuthConfig>,
}

impl Service {
    /// The door over `db` for the models and actions of `registry`, with the
    /// default sign-in rules and no roles.
    #[must_use]
    pub fn new(db: DatabaseConnection, registry: impl Into<Arc<Registry>>) -> Self {
        Self { db, registry: registry.into(), auth: Arc::new(AuthConfig::default()) }
    }

    /// The same door with these sign-in rules and roles.
    #[must_use]
    pub fn with_auth(mut self, auth: impl Into<Arc<AuthConfig>>) -> Self {
        self.auth = auth.into();
        self
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
    /// signs (see [`super::AuditedWrite`]).
    ///
    /// # Errors
    /// `Db` when the database fails.
    pub async fn audited_write(&self, caller: &Caller) -> Result<super::AuditedWrite> {
        let txn = crate::db::txn::begin_write(&self.db).await?;
        Ok(super::AuditedWrite { txn, caller: caller.clone() })
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

    // ---- records -----------------------------------------------------------

    fn admin(&self, slug: &str) -> Result<&Arc<dyn ModelAdmin>> {
        self.registry.get(slug).ok_or_else(|| {
            Error::NotFound(format!("There is no model \u{201c}{slug}\u{201d} in this admin."))
        })
    }

    /// A registered model's description.
    ///
    /// # Errors
    /// `NotFound` for a model that is not registered.
    pub fn model(&self, slug: &str) -> Result<&'static ModelMeta> {
        Ok(self.admin(slug)?.meta())
    }

    /// Whether the caller may do `op` (`view`, `add`, `change`, `delete`, `export`,
    /// `note`) on the model.
    #[must_use]
    pub fn may(&self, caller: &Caller, slug: &str, op: &str) -> bool {
        caller.may(&super::permission(slug, op))
    }

    /// Parses a list's query string (search, filters, sort, page) for the caller:
    /// hidden fields can be neither filtered nor sorted on.
    ///
    /// # Errors
    /// `NotFound` for an unknown model.
    pub fn query(&self, caller: &Caller, slug: &str, params: &[(String, String)]) -> Result<ListQuery> {
        Ok(ListQuery::parse(self.admin(slug)?.as_ref(), params, caller.staff()))
    }

    /// One page of a model's list.
    ///
    /// # Errors
    /// `Forbidden` without `{model}.view`.
    pub async fn list(&self, caller: &Caller, slug: &str, query: &ListQuery) -> Result<ListResult> {
        super::list(&self.db, caller.staff(), self.admin(slug)?.as_ref(), query).await
    }

    // ---- streamed exports ---------------------------------------------------

    /// The rows of a list for export, read from the database [`EXPORT_PAGE`] at a
    /// time as the stream is polled, hidden fields blanked: memory stays flat however
    /// long the export. The permission and the size are checked first, so a refusal
    /// comes before anything is sent; at most `limit` rows follow.
    ///
    /// # Errors
    /// `Forbidden` without `{model}.export`; `Refused` when more than `limit` rows
    /// match. The stream's items are `Db` errors when a later page fails.
    pub async fn export_pages(
        &self,
        caller: &Caller,
        slug: &str,
        query: &ListQuery,
        limit: u64,
    ) -> Result<Pages<Record>> {
        let admin = Arc::clone(self.admin(slug)?);
        super::require(caller.staff(), admin.as_ref(), "export")?;
        if admin.count_capped(&self.db, query, limit.saturating_add(1)).await? > limit {
            return Err(Error::Refused(format!(
                "This list has more than {} {}, more than one export may hold. Narrow it with a search or filters and export again.",
                crate::kernel::text::thousands(limit),
                admin.meta().noun_plural()
            )));
        }
        let (db, query, staff) = (self.db.clone(), query.clone(), caller.staff().clone());
        let start = (ExportPosition::default(), limit);
        Ok(Box::pin(futures_util::stream::try_unfold(Some(start), move |state| {
            let (admin, db, query, staff) = (Arc::clone(&admin), db.clone(), query.clone(), staff.clone());
            async move {
                let Some((from, left)) = state else { return Ok(None) };
                let want = EXPORT_PAGE.min(left);
                let (mut rows, next) = admin.export_page(&db, &query, &from, want).await?;
                if rows.is_empty() {
                    return Ok(None);
                }
                for r in &mut rows {
                    super::mask(&staff, admin.as_ref(), r);
                }
                let read = rows.len() as u64;
                // A short page is the last one.
                let more = read == want && left > read;
                Ok(Some((rows, more.then_some((next, left - read)))))
            }
        })))
    }

    /// The audit entries matching `filter`, newest first, read [`EXPORT_PAGE`] at a
    /// time as the stream is polled. The permission and the size are checked first.
    ///
    /// # Errors
    /// `Forbidden` without `audit.view`; `Refused` when more than `limit` entries
    /// match. The stream's items are `Db` errors when a later page fails.
    pub async fn audit_export_pages(
        &self,
        caller: &Caller,
        filter: &Filter,
        limit: u64,
    ) -> Result<Pages<entry::Model>> {
        caller.require("audit.view", AUDIT_REFUSED)?;
        if audit::count_matching(&self.db, filter, limit.saturating_add(1)).await? > limit {
            return Err(Error::Refused(format!(
                "This selection has more than {} entries, more than one export may hold. Narrow it by date or actor.",
                crate::kernel::text::thousands(limit)
            )));
        }
        let (db, filter) = (self.db.clone(), filter.clone());
        Ok(Box::pin(futures_util::stream::try_unfold(Some((None, limit)), move |state| {
            let (db, filter) = (db.clone(), filter.clone());
            async move {
                let Some((before, left)) = state else { return Ok(None) };
                let want = EXPORT_PAGE.min(left);
                let rows = audit::older_page(&db, &filter, before, want).await?;
                let Some(last) = rows.last().map(|e| e.seq) else { return Ok(None) };
                let read = rows.len() as u64;
                let more = read == want && left > read;
                Ok(Some((rows, more.then_some((Some(last), left - read)))))
            }
        })))
    }

    // ---- end of streamed exports ---------------------------------------------

    /// The rows of a list for export, at most [`super::EXPORT_LIMIT`] + 1.
    ///
    /// # Errors
    /// `Forbidden` without `{model}.export`.
    pub async fn export(&self, caller: &Caller, slug: &str, query: &ListQuery) -> Result<Vec<Record>> {
        super::export(&self.db, caller.staff(), self.admin(slug)?.as_ref(), query).await
    }

    /// The keys of the rows a list query matches, at most `limit` ("select all").
    ///
    /// # Errors
    /// `Forbidden` without `{model}.view`.
    pub async fn keys(
        &self,
        caller: &Caller,
        slug: &str,
        query: &ListQuery,
        limit: u64,
    ) -> Result<Vec<String>> {
        super::list_keys(&self.db, caller.staff(), self.admin(slug)?.as_ref(), query, limit).await
    }

    /// The first `limit` rows a list query matches, hidden fields blanked.
    ///
    /// # Errors
    /// `Forbidden` without `{model}.view`.
    pub async fn first_rows(
        &self,
        caller: &Caller,
        slug: &str,
        query: &ListQuery,
        limit: u64,
    ) -> Result<Vec<Record>> {
        super::first_rows(&self.db, caller.staff(), self.admin(slug)?.as_ref(), query, limit).await
    }

    /// One record, hidden fields blanked.
    ///
    /// # Errors
    /// `Forbidden` without `{model}.view`; `NotFound`.
    pub async fn get(&self, caller: &Caller, slug: &str, key: &str) -> Result<Record> {
        super::get(&self.db, caller.staff(), self.admin(slug)?.as_ref(), key).await
    }

    /// Creates a record from a form, audited.
    ///
    /// # Errors
    /// `Forbidden` without `{model}.add`; `Invalid` with a message per field.
    pub async fn create(&self, caller: &Caller, slug: &str, form: &FormData) -> Result<Record> {
        super::create(&self.db, caller.context(), self.admin(slug)?.as_ref(), form).await
    }

    /// Saves a form over the record last seen at `version`, audited.
    ///
    /// # Errors
    /// `Forbidden` without `{model}.change`; `Invalid`; `Conflict` when someone
    /// else saved it since.
    pub async fn update(
        &self,
        caller: &Caller,
        slug: &str,
        key: &str,
        version: &str,
        form: &FormData,
    ) -> Result<(Record, Changes)> {
        super::update(&self.db, caller.context(), self.admin(slug)?.as_ref(), key, version, form).await
    }

    /// What deleting a record would do, and what blocks it.
    ///
    /// # Errors
    /// `Forbidden` without `{model}.delete`; `NotFound`.
    pub async fn plan_delete(&self, caller: &Caller, slug: &str, key: &str) -> Result<DeletePlan> {
        super::plan_delete(&self.db, caller.staff(), &self.registry, self.admin(slug)?.as_ref(), key).await
    }

    /// Deletes a record last seen at `version`, audited with the caller's reason.
    ///
    /// # Errors
    /// As [`Service::plan_delete`]; `Refused` when something blocks it; `Conflict`.
    pub async fn delete(&self, caller: &Caller, slug: &str, key: &str, version: &str) -> Result<Record> {
        super::delete(&self.db, caller.context(), &self.registry, self.admin(slug)?.as_ref(), key, version)
            .await
    }

    /// The records of other models that point at `record`, `limit` per model, for
    /// the models the caller may view.
    ///
    /// # Errors
    /// `Db` when the database fails.
    pub async fn related(
        &self,
        caller: &Caller,
        slug: &str,
        record: &Record,
        limit: u64,
    ) -> Result<Vec<RelatedRows>> {
        super::related(&self.db, caller.staff(), &self.registry, self.admin(slug)?.as_ref(), record, limit)
            .await
    }

    // ---- for the screens: checks, visible models, capped counts --------------

    /// Refuses unless the caller may do `op` (`view`, `add`, ...) on the model, with
    /// a sentence naming the permission that is missing.
    ///
    /// # Errors
    /// `NotFound` for an unknown model; `Forbidden` without `{model}.{op}`.
    pub fn require(&self, caller: &Caller, slug: &str, op: &str) -> Result<()> {
        super::require(caller.staff(), self.admin(slug)?.as_ref(), op)
    }

    /// The registered models the caller may view, in registration order.
    #[must_use]
    pub fn models(&self, caller: &Caller) -> Vec<&'static ModelMeta> {
        self.registry.models().map(|m| m.meta()).filter(|m| self.may(caller, m.slug, "view")).collect()
    }

    /// How many rows a list query matches, counting no further than `cap` (the
    /// answer `cap` means "at least"), so a count on a huge table stays cheap.
    ///
    /// # Errors
    /// `NotFound` for an unknown model; `Forbidden` without `{model}.view`.
    pub async fn count(&self, caller: &Caller, slug: &str, query: &ListQuery, cap: u64) -> Result<u64> {
        let admin = self.admin(slug)?;
        super::require(caller.staff(), admin.as_ref(), "view")?;
        admin.count_capped(&self.db, query, cap).await
    }

    // ---- actions -----------------------------------------------------------

    /// The model's actions the caller may run, in registration order.
    #[must_use]
    pub fn actions(&self, caller: &Caller, slug: &str) -> Vec<Arc<dyn DynAction>> {
        self.registry
            .actions_for(slug)
            .into_iter()
            .filter(|a| caller.may(&format!("{slug}.action.{}", a.name())))
            .collect()
    }

    /// One action, if the caller may run it.
    ///
    /// # Errors
    /// `NotFound` for an unknown action; `Forbidden` without `{model}.action.{name}`.
    pub fn action(&self, caller: &Caller, slug: &str, name: &str) -> Result<Arc<dyn DynAction>> {
        super::action_for(caller.staff(), &self.registry, slug, name)
    }

    /// The records an action would touch and those it would skip, with reasons.
    ///
    /// # Errors
    /// As [`Service::action`]; `Refused` past the batch limit.
    pub async fn preview_action(
        &self,
        caller: &Caller,
        slug: &str,
        name: &str,
        keys: &[String],
    ) -> Result<(Arc<dyn DynAction>, Preview)> {
        super::action_preview(&self.db, caller.staff(), &self.registry, slug, name, keys).await
    }

    /// Runs an action (or queues it for approval), audited with the caller's reason.
    /// An action whose policy asks for a recent sign-in refuses a stale one.
    ///
    /// # Errors
    /// As [`Service::preview_action`]; `ReauthRequired`; `Invalid` for bad input or
    /// a missing reason.
    pub async fn run_action(
        &self,
        caller: &Caller,
        slug: &str,
        name: &str,
        request: &ActionRequest,
    ) -> Result<ActionResult> {
        let action = self.action(caller, slug, name)?;
        if action.policy().recent_auth {
            caller.require_recent()?;
        }
        super::run_action(&self.db, caller.context(), &self.registry, slug, name, request).await
    }

    // ---- approvals ---------------------------------------------------------

    fn require_queue(&self, caller: &Caller) -> Result<()> {
        if approval::may_see_queue(caller.staff(), &self.registry) {
            Ok(())
        } else {
            Err(Error::Forbidden(approval::QUEUE_REFUSED.to_owned()))
        }
    }

    /// A page of approval requests, newest first, with the total. Those who cannot
    /// decide any see only their own requests.
    ///
    /// # Errors
    /// `Forbidden` for a caller who may neither run actions nor decide.
    pub async fn approvals(
        &self,
        caller: &Caller,
        status: Option<&str>,
        model: Option<&str>,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<request::Model>, u64)> {
        self.require_queue(caller)?;
        let staff = caller.staff();
        let mine =
            (!staff.is_superuser && !approval::may_decide_any(staff, &self.registry)).then_some(staff.id);
        approval::list(&self.db, status, model, mine, offset, limit).await
    }

    /// How many requests wait for a decision (0 for a caller who cannot decide any).
    ///
    /// # Errors
    /// `Db` when the database fails.
    pub async fn pending_approvals(&self, caller: &Caller) -> Result<u64> {
        if !caller.staff().is_superuser && !approval::may_decide_any(caller.staff(), &self.registry) {
            return Ok(0);
        }
        Ok(approval::list(&self.db, Some("pending"), None, None, 0, 1).await?.1)
    }

    /// One approval request the caller may see.
    ///
    /// # Errors
    /// `Forbidden`; `NotFound`.
    pub async fn approval(&self, caller: &Caller, id: i64) -> Result<request::Model> {
        self.require_queue(caller)?;
        let r = approval::get(&self.db, id).await?;
        let staff = caller.staff();
        if r.requester_id != staff.id
            && !staff.is_superuser
            && !approval::may_decide_any(staff, &self.registry)
        {
            return Err(Error::NotFound(format!("There is no approval request {id}.")));
        }
        Ok(r)
    }

    // ---- an approval request's page (web: approvals) ----

    /// Whether the caller sees every approval request (a superuser, or someone who
    /// may decide some) rather than only their own.
    #[must_use]
    pub fn sees_all_approvals(&self, caller: &Caller) -> bool {
        caller.staff().is_superuser || approval::may_decide_any(caller.staff(), &self.registry)
    }

    /// One approval request the caller may see, with its action and what it would do
    /// now: the records ready and those that have become blocked since it was asked
    /// for (`None` when the action is no longer registered).
    ///
    /// # Errors
    /// As [`Service::approval`].
    pub async fn approval_view(
        &self,
        caller: &Caller,
        id: i64,
    ) -> Result<(request::Model, Option<(Arc<dyn DynAction>, Preview)>)> {
        let r = self.approval(caller, id).await?;
        let Some(action) = self.registry.action_named(&r.model, &r.action) else { return Ok((r, None)) };
        let preview = action.preview(&self.db, &approval::keys_of(&r)).await?;
        Ok((r, Some((action, preview))))
    }

    /// Whether the caller may decide `r` (holds the permission, did not ask for it).
    #[must_use]
    pub fn may_decide(&self, caller: &Caller, r: &request::Model) -> bool {
        approval::may_decide(caller.staff(), &self.registry, r)
    }

    /// The open approval requests on one record (for its page).
    ///
    /// # Errors
    /// `Forbidden` without `{model}.view`.
    pub async fn approvals_for_record(
        &self,
        caller: &Caller,
        slug: &str,
        key: &str,
    ) -> Result<Vec<request::Model>> {
        super::require(caller.staff(), self.admin(slug)?.as_ref(), "view")?;
        approval::open_for_record(&self.db, slug, key).await
    }

    /// Approves or rejects a request, audited with the note.
    ///
    /// # Errors
    /// `Forbidden` for the requester or without the permission; `Refused` when it
    /// was decided already.
    pub async fn decide(
        &self,
        caller: &Caller,
        id: i64,
        approve: bool,
        note: Option<&str>,
    ) -> Result<request::Model> {
        approval::decide(&self.db, caller.context(), &self.registry, id, approve, note).await
    }

    /// Runs one approved request, if one is due, as the worker's system identity.
    ///
    /// # Errors
    /// `Db` when the database fails.
    pub async fn work_approvals_once(&self) -> Result<Work> {
        approval::work_once(&self.db, &self.registry, &self.auth.roles).await
    }

    // ---- notes and saved views ---------------------------------------------

    /// The notes on a record, newest first.
    ///
    /// # Errors
    /// `Forbidden` without `{model}.view`.
    pub async fn notes(&self, caller: &Caller, slug: &str, key: &str) -> Result<Vec<note::Model>> {
        super::require(caller.staff(), self.admin(slug)?.as_ref(), "view")?;
        crate::notes::notes_for(&self.db, slug, key).await
    }

    /// Leaves a note on a record, audited.
    ///
    /// # Errors
    /// `Forbidden` without `{model}.note`; `NotFound`; `Invalid` for an empty or
    /// too long note.
    pub async fn add_note(&self, caller: &Caller, slug: &str, key: &str, body: &str) -> Result<note::Model> {
        let admin = self.admin(slug)?;
        super::require(caller.staff(), admin.as_ref(), "note")?;
        let record = super::get(&self.db, caller.staff(), admin.as_ref(), key).await?;
        crate::notes::add_note(&self.db, caller.context(), slug, &record.key, body).await
    }

    /// The caller's saved list views.
    ///
    /// # Errors
    /// `Db` when the database fails.
    pub async fn saved_views(&self, caller: &Caller) -> Result<Vec<saved_view::Model>> {
        crate::notes::views_of(&self.db, caller.staff().id).await
    }

    /// Saves a list view for the caller.
    ///
    /// # Errors
    /// `Forbidden` without `{model}.view`; `Invalid` for a bad name or query.
    pub async fn save_view(
        &self,
        caller: &Caller,
        slug: &str,
        name: &str,
        query: &str,
    ) -> Result<saved_view::Model> {
        super::require(caller.staff(), self.admin(slug)?.as_ref(), "view")?;
        crate::notes::save_view(&self.db, caller.staff().id, slug, name, query).await
    }

    /// Deletes one of the caller's saved views.
    ///
    /// # Errors
    /// `NotFound` when the caller has no such view.
    pub async fn delete_view(&self, caller: &Caller, id: i64) -> Result<()> {
        crate::notes::delete_view(&self.db, caller.staff().id, id).await
    }

    // ---- the audit log -----------------------------------------------------

    /// A page of the audit log: entries, a count capped at `cap`, and whether
    /// there are more.
    ///
    /// # Errors
    /// `Forbidden` without `audit.view`.
    pub async fn audit_page(
        &self,
        caller: &Caller,
        filter: &Filter,
        offset: u64,
        limit: u64,
        cap: u64,
    ) -> Result<(Vec<entry::Model>, u64, bool)> {
        caller.require("audit.view", AUDIT_REFUSED)?;
        audit::page(&self.db, filter, offset, limit, cap).await
    }

    /// Audit entries matching `filter` (for export), with the total.
    ///
    /// # Errors
    /// `Forbidden` without `audit.view`.
    pub async fn audit_search(
        &self,
        caller: &Caller,
        filter: &Filter,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<entry::Model>, u64)> {
        caller.require("audit.view", AUDIT_REFUSED)?;
        audit::search(&self.db, filter, offset, limit).await
    }

    /// The actors and kinds the audit log holds, for its filter menus.
    ///
    /// # Errors
    /// `Forbidden` without `audit.view`.
    pub async fn audit_facets(&self, caller: &Caller) -> Result<(Vec<String>, Vec<String>)> {
        caller.require("audit.view", AUDIT_REFUSED)?;
        audit::facets(&self.db).await
    }

    /// One record's history, newest first, with the total.
    ///
    /// # Errors
    /// `Forbidden` without `{model}.view`.
    pub async fn history(
        &self,
        caller: &Caller,
        slug: &str,
        key: &str,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<entry::Model>, u64)> {
        super::require(caller.staff(), self.admin(slug)?.as_ref(), "view")?;
        let filter =
            Filter { model: Some(slug.to_owned()), object_id: Some(key.to_owned()), ..Filter::default() };
        audit::search(&self.db, &filter, offset, limit).await
    }

    // ---- the audit log's links (web: history) ----

    /// Which of `keys` still exist in the model, so the audit log links to a record
    /// or says it was deleted. An unknown model has none.
    ///
    /// # Errors
    /// `Forbidden` without `audit.view`.
    pub async fn audit_existing(
        &self,
        caller: &Caller,
        slug: &str,
        keys: &[String],
    ) -> Result<HashSet<String>> {
        caller.require("audit.view", AUDIT_REFUSED)?;
        match self.registry.get(slug) {
            Some(admin) => admin.existing(&self.db, keys).await,
            None => Ok(HashSet::new()),
        }
    }

    /// Checks the audit chain end to end.
    ///
    /// # Errors
    /// `Forbidden` without `audit.view`.
    pub async fn audit_verify(&self, caller: &Caller) -> Result<audit::Verdict> {
        caller.require("audit.view", AUDIT_REFUSED)?;
        audit::verify(&self.db).await
    }

    // ---- staff and tokens --------------------------------------------------

    /// Every staff user (staff management).
    ///
    /// # Errors
    /// `Forbidden` without `staff.view` (or `staff.change`).
    pub async fn users(&self, caller: &Caller) -> Result<Vec<staff_user::Model>> {
        require_staff_view(caller)?;
        auth::list_users(&self.db).await
    }

    /// One staff user (staff management).
    ///
    /// # Errors
    /// `Forbidden` without `staff.view` (or `staff.change`); `NotFound`.
    pub async fn user(&self, caller: &Caller, id: i64) -> Result<staff_user::Model> {
        require_staff_view(caller)?;
        auth::get_user(&self.db, id).await
    }

    // ---- before a form that needs a recent sign-in (web: staff, tokens) ----

    /// Refuses, before the staff form is shown, a caller who could not submit it:
    /// without `staff.change`, or without a recent sign-in (so the person confirms
    /// their password before filling it in, not after).
    ///
    /// # Errors
    /// `Forbidden`; `ReauthRequired`.
    pub fn may_change_staff(&self, caller: &Caller) -> Result<()> {
        caller.require("staff.change", auth::STAFF_REFUSED)?;
        caller.require_recent()
    }

    /// Refuses, before the token page is shown, a caller whose sign-in is too old
    /// to make or revoke a token.
    ///
    /// # Errors
    /// `ReauthRequired`.
    pub fn may_change_tokens(&self, caller: &Caller) -> Result<()> {
        caller.require_recent()
    }

    /// Creates a staff user, audited. Needs a recent sign-in.
    ///
    /// # Errors
    /// `Forbidden`; `ReauthRequired`; `Invalid` for a bad name, password or role.
    pub async fn create_user(
        &self,
        caller: &Caller,
        username: &str,
        password: &str,
        roles: &[String],
        is_superuser: bool,
    ) -> Result<staff_user::Model> {
        caller.require("staff.change", auth::STAFF_REFUSED)?;
        caller.require_recent()?;
        auth::admin_create_user(
            &self.db,
            &self.auth,
            caller.context(),
            username,
            password,
            roles,
            is_superuser,
        )
        .await
    }

    /// Changes a staff user's roles and flags, audited. Needs a recent sign-in.
    ///
    /// # Errors
    /// `Forbidden`; `ReauthRequired`; `Invalid`.
    pub async fn update_user(
        &self,
        caller: &Caller,
        id: i64,
        roles: &[String],
        is_active: bool,
        is_superuser: bool,
    ) -> Result<staff_user::Model> {
        caller.require("staff.change", auth::STAFF_REFUSED)?;
        caller.require_recent()?;
        auth::admin_update_user(&self.db, &self.auth, caller.context(), id, roles, is_active, is_superuser)
            .await
    }

    /// Sets another staff user's password, audited. Needs a recent sign-in.
    ///
    /// # Errors
    /// `Forbidden`; `ReauthRequired`; `Invalid` for a weak password.
    pub async fn set_password(&self, caller: &Caller, id: i64, password: &str) -> Result<()> {
        caller.require("staff.change", auth::STAFF_REFUSED)?;
        caller.require_recent()?;
        auth::admin_set_password(&self.db, caller.context(), id, password).await
    }

    /// The caller's own API tokens (or, with `staff.change`, everyone's when
    /// `all` is set).
    ///
    /// # Errors
    /// `Forbidden` for `all` without `staff.change`.
    pub async fn tokens(&self, caller: &Caller, all: bool) -> Result<Vec<ApiTokenInfo>> {
        if all {
            caller.require("staff.change", auth::STAFF_REFUSED)?;
        }
        auth::api_tokens(&self.db, (!all).then_some(caller.staff().id)).await
    }

    /// Makes an API token for the caller (or, with `staff.change`, for `user_id`);
    /// the secret is shown once. Needs a recent sign-in.
    ///
    /// # Errors
    /// `Forbidden`; `ReauthRequired`; `Invalid` for an empty, too long or unreadable name.
    pub async fn create_token(&self, caller: &Caller, user_id: Option<i64>, name: &str) -> Result<String> {
        let user_id = match user_id {
            Some(id) if id != caller.staff().id => {
                caller.require("staff.change", auth::STAFF_REFUSED)?;
                id
            }
            _ => caller.staff().id,
        };
        caller.require_recent()?;
        if name.trim().is_empty() {
            let max = crate::kernel::text::TOKEN_NAME;
            return Err(Error::Invalid(vec![crate::kernel::error::FieldError::field(
                "name",
                format!(
                    "Say what the token is for, in at most {max} characters (\u{201c}nightly billing sync\u{201d}): it is how you will tell tokens apart."
                ),
            )]));
        }
        auth::create_api_token(&self.db, caller.context(), user_id, name).await
    }

    /// Revokes an API token: the caller's own, or anyone's with `staff.change`.
    /// Needs a recent sign-in.
    ///
    /// # Errors
    /// `NotFound` for a token that is not the caller's (without `staff.change`);
    /// `ReauthRequired`.
    pub async fn revoke_token(&self, caller: &Caller, id: i64) -> Result<()> {
        caller.require_recent()?;
        if !caller.may("staff.change") {
            let mine = auth::api_tokens(&self.db, Some(caller.staff().id)).await?;
            if !mine.iter().any(|t| t.id == id) {
                return Err(Error::NotFound(format!("You have no API token {id}.")));
            }
        }
        auth::revoke_api_token(&self.db, caller.context(), id).await
    }
}
