//! The registry of models (Django's `AdminSite`): an object-safe `ModelAdmin` per
//! model, bridged from the static [`AdminModel`] by `EntityAdmin` (both crate-private: reads and writes go through the door).

use std::collections::BTreeMap;
use std::sync::Arc;

use sea_orm::{DatabaseConnection, EntityTrait};

use crate::action::{Action, ActionAdmin, DynAction};
use crate::kernel::error::Result;
use crate::kernel::model::{ActiveModelOf, AdminModel, EntityOf, ModelMeta};

mod builder;
mod count;
mod entity_admin;
mod inlines;
mod listing;
mod model_admin;
mod put_back;
mod scope;
mod site;
mod tiles;
mod write;
mod write_in;

pub use builder::{Plugin, RegistryBuilder};
pub(crate) use entity_admin::EntityAdmin;
pub use inlines::InlineChild;
pub use model_admin::ExportPosition;
pub(crate) use model_admin::ModelAdmin;
pub use site::{Page, PageContent, PageHandler, PageMethod, PageRequest, Visit};
pub(crate) use tiles::TileSource;
pub use tiles::{Tile, TileCounter};

/// A model that refers to another: `model.fields[field]` is a foreign key to it.
#[derive(Clone)]
pub struct Related {
    /// The referring model's admin (its data operations are the door's).
    pub(crate) admin: Arc<dyn ModelAdmin>,
    /// The index of its foreign-key field.
    pub field: usize,
}

impl Related {
    /// The referring model's description.
    #[must_use]
    pub fn meta(&self) -> &'static ModelMeta {
        self.admin.meta()
    }
}

/// Path segments the admin uses for its own pages, so no model may have them as slug.
pub const RESERVED_SLUGS: &[&str] = &[
    "login",
    "logout",
    "static",
    "audit",
    "approval",
    "approvals",
    "api",
    "staff",
    "me",
    "search",
    "views",
    "effects",
    "pages",
    "jobs",
];

/// A work queue on the dashboard: a filtered list with its count ("Accounts in
/// manual review: 12").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Queue {
    /// The model's slug.
    pub model: &'static str,
    /// What staff see ("Accounts in manual review").
    pub label: String,
    /// The list's query (`manual_review=1`), as pairs.
    pub query: Vec<(String, String)>,
}

/// Every registered model, by slug (Django's `AdminSite`), and their actions.
///
/// A registry is one admin instance: besides the models it keeps what their lists
/// remember between page views (estimates, page anchors, whether the search index
/// is in place) and its turn to write to a SQLite database. Serve each database
/// with its own registry; a clone is a new instance with the same models, actions
/// and settings and nothing remembered, so clones may serve different databases.
#[derive(Default)]
pub struct Registry {
    models: BTreeMap<&'static str, Arc<dyn ModelAdmin>>,
    order: Vec<&'static str>,
    actions: BTreeMap<(&'static str, &'static str), Arc<dyn DynAction>>,
    queues: Vec<Queue>,
    list_tuning: crate::list::count::ListTuning,
    write_turn: Arc<crate::db::txn::WriteTurn>,
    effect_handlers: crate::effect::Handlers,
    pages: Vec<Arc<site::Page>>,
    tiles: Vec<tiles::Tile>,
}

impl Clone for Registry {
    /// A new instance with the same models, actions and settings, and nothing
    /// remembered (see [`Registry`]).
    fn clone(&self) -> Self {
        Self {
            models: self.models.iter().map(|(slug, m)| (*slug, m.fresh())).collect(),
            order: self.order.clone(),
            actions: self.actions.clone(),
            queues: self.queues.clone(),
            list_tuning: self.list_tuning.clone(),
            write_turn: Arc::default(),
            effect_handlers: self.effect_handlers.clone(),
            pages: self.pages.clone(),
            tiles: self.tiles.clone(),
        }
    }
}

impl Registry {
    /// An empty registry.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers model `M`.
    ///
    /// # Panics
    /// If a model with the same slug is already registered, or the slug is one of
    /// the admin's own pages. A shortcut for samples and tests: applications use
    /// [`Registry::builder`], which returns these mistakes as an error.
    #[must_use]
    pub fn register<M>(mut self) -> Self
    where
        M: AdminModel,
        EntityOf<M>: EntityTrait<Model = M>,
        ActiveModelOf<M>: Send + Sync,
    {
        if let Err(mistake) = self.try_register::<M>() {
            panic!("{mistake}");
        }
        self
    }

    /// Registers model `M`, or says why it cannot be.
    fn try_register<M>(&mut self) -> std::result::Result<(), String>
    where
        M: AdminModel,
        EntityOf<M>: EntityTrait<Model = M>,
        ActiveModelOf<M>: Send + Sync,
    {
        let admin: Arc<dyn ModelAdmin> = Arc::new(EntityAdmin::<M>::new());
        let slug = admin.meta().slug;
        if RESERVED_SLUGS.contains(&slug) {
            return Err(format!(
                "the table name `{slug}` is taken by an admin page; give the model another table name (taken: {})",
                RESERVED_SLUGS.join(", ")
            ));
        }
        if self.models.contains_key(slug) {
            return Err(format!(
                "two admin models share the slug `{slug}`; table names must be unique: register each model once"
            ));
        }
        self.models.insert(slug, admin);
        self.order.push(slug);
        Ok(())
    }

    /// Sets the limits behind the lists' counting and paging (see
    /// [`crate::list::count::ListTuning`]; the defaults suit tables of any size).
    #[must_use]
    pub fn with_list_tuning(mut self, tuning: crate::list::count::ListTuning) -> Self {
        self.list_tuning = tuning;
        self
    }

    /// Adds the handler that carries out effects of its kind (see
    /// [`crate::effect::EffectHandler`]); the effect worker of every process serving
    /// this registry uses it. One handler per kind: a later one replaces it.
    #[must_use]
    pub fn effect_handler(mut self, handler: impl crate::effect::EffectHandler + 'static) -> Self {
        self.effect_handlers.add(Arc::new(handler));
        self
    }

    /// The effect handlers, by kind.
    #[must_use]
    pub fn effect_handlers(&self) -> &crate::effect::Handlers {
        &self.effect_handlers
    }

    /// The limits behind the lists' counting and paging.
    #[must_use]
    pub fn list_tuning(&self) -> &crate::list::count::ListTuning {
        &self.list_tuning
    }

    /// Waits for this instance's turn to write to a SQLite database (see
    /// [`crate::db::txn::WriteTurn`]); `None` on other backends.
    pub async fn write_turn(&self, db: &DatabaseConnection) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        self.write_turn.take(db).await
    }

    /// Notes that this instance changed rows of every model (an action or an
    /// approved request, which may write to any table): the lists' remembered page
    /// anchors are dropped.
    pub fn touch_all(&self) {
        for admin in self.models.values() {
            admin.touch();
        }
    }

    /// The model with this slug.
    #[must_use]
    pub(crate) fn get(&self, slug: &str) -> Option<&Arc<dyn ModelAdmin>> {
        self.models.get(slug)
    }

    /// Adds an action explicitly (besides those found through `register_action!`).
    ///
    /// # Errors
    /// When its model is not registered or another action on it has the same name.
    pub fn action<A>(self, action: A) -> std::result::Result<Self, String>
    where
        A: Action,
        EntityOf<A::Model>: EntityTrait<Model = A::Model>,
        ActiveModelOf<A::Model>: Send + Sync,
    {
        self.add_action(Arc::new(ActionAdmin::new(action)))
    }

    /// Adds every action registered with `register_action!` in the linked crates
    /// whose model is registered here. Call it after registering the models.
    ///
    /// # Errors
    /// When two actions on one model share a name: a start-up error that names both.
    pub fn with_registered_actions(mut self) -> std::result::Result<Self, String> {
        let mut found: Vec<Box<dyn DynAction>> = crate::action::registered().collect();
        // Inventory's order is unspecified: sort, so errors and menus are stable.
        found.sort_by_key(|a| (a.model().slug, a.name()));
        for a in found {
            if self.models.contains_key(a.model().slug) {
                self = self.add_action(Arc::from(a))?;
            }
        }
        Ok(self)
    }

    fn add_action(mut self, action: Arc<dyn DynAction>) -> std::result::Result<Self, String> {
        self.try_add_action(action)?;
        Ok(self)
    }

    fn try_add_action(&mut self, action: Arc<dyn DynAction>) -> std::result::Result<(), String> {
        let slug = action.model().slug;
        if !self.models.contains_key(slug) {
            return Err(format!(
                "The action `{}` is for model `{slug}`, which is not registered{}. Register the model first.",
                action.name(),
                crate::access::did_you_mean(slug, self.order.iter().copied())
            ));
        }
        // The screens show an action's records with the registered model's fields, so
        // a plugin's own model of the same table must have the same fields, in order.
        let registered: Vec<&str> = self.models[slug].meta().fields.iter().map(|f| f.name).collect();
        let own: Vec<&str> = action.model().fields.iter().map(|f| f.name).collect();
        if registered != own {
            return Err(format!(
                "The action `{}` acts on a model of `{slug}` whose fields ({}) differ from the registered model's ({}). Give it the same fields in the same order.",
                action.name(),
                own.join(", "),
                registered.join(", ")
            ));
        }
        if let Some(other) = self.actions.get(&(slug, action.name())) {
            return Err(format!(
                "Two actions on `{slug}` are named `{}` (\u{201c}{}\u{201d} and \u{201c}{}\u{201d}). Action names must be unique per model; rename one.",
                action.name(),
                other.label(),
                action.label()
            ));
        }
        self.actions.insert((slug, action.name()), action);
        Ok(())
    }

    /// Adds a dashboard queue: `model`'s list filtered by `query` (a query string such
    /// as `manual_review=1&plan=annual`), shown with its count.
    ///
    /// # Panics
    /// If `model` is not registered. A shortcut for samples and tests: applications
    /// use [`RegistryBuilder::queue`], which returns the mistake as an error.
    #[must_use]
    pub fn queue(mut self, model: &'static str, label: &str, query: &str) -> Self {
        if let Err(mistake) = self.try_queue(model, label, query) {
            panic!("{mistake}");
        }
        self
    }

    fn try_queue(
        &mut self,
        model: &'static str,
        label: &str,
        query: &str,
    ) -> std::result::Result<(), String> {
        if !self.models.contains_key(model) {
            return Err(format!(
                "the dashboard queue \u{201c}{label}\u{201d} lists the model `{model}`, which is not registered{}; register it or fix the slug",
                crate::access::did_you_mean(model, self.order.iter().copied())
            ));
        }
        let query = query
            .trim_start_matches('?')
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        self.queues.push(Queue { model, label: label.to_owned(), query });
        Ok(())
    }

    /// The dashboard queues, in the order added.
    #[must_use]
    pub fn queues(&self) -> &[Queue] {
        &self.queues
    }

    /// The actions of a model, by label.
    #[must_use]
    pub fn actions_for(&self, slug: &str) -> Vec<Arc<dyn DynAction>> {
        let mut out: Vec<_> =
            self.actions.iter().filter(|((s, _), _)| *s == slug).map(|(_, a)| Arc::clone(a)).collect();
        out.sort_by_key(|a| a.label());
        out
    }

    /// One action of a model.
    #[must_use]
    pub fn action_named(&self, slug: &str, name: &str) -> Option<Arc<dyn DynAction>> {
        self.actions.iter().find(|((s, n), _)| *s == slug && *n == name).map(|(_, a)| Arc::clone(a))
    }

    /// Creates or checks the search index of every model with `search` fields (see
    /// [`crate::list::search_index::ensure`]) and remembers which models have one.
    ///
    /// # Errors
    /// When the database refuses a statement.
    pub async fn ensure_search_index(
        &self,
        db: &DatabaseConnection,
    ) -> Result<Vec<crate::list::search_index::Ensured>> {
        let mut out = Vec::new();
        for admin in self.models() {
            let ensured = crate::list::search_index::ensure(db, admin.meta()).await?;
            admin.note_search_index(ensured.is_some());
            out.extend(ensured);
        }
        Ok(out)
    }

    /// A registered model's description and value parser (what a screen needs to
    /// read a list query or a form), without its data operations: reading and
    /// writing go through the door.
    #[must_use]
    pub fn fields(&self, slug: &str) -> Option<Arc<dyn crate::list::query::ModelFields>> {
        self.models.get(slug).map(|m| Arc::clone(m) as Arc<dyn crate::list::query::ModelFields>)
    }

    /// A registered model's description.
    #[must_use]
    pub fn model(&self, slug: &str) -> Option<&'static ModelMeta> {
        self.models.get(slug).map(|m| m.meta())
    }

    /// Every model's description, in registration order.
    pub fn metas(&self) -> Vec<&'static ModelMeta> {
        self.models().map(|m| m.meta()).collect()
    }

    /// Every registered model's admin, in registration order.
    pub(crate) fn models(&self) -> impl Iterator<Item = &Arc<dyn ModelAdmin>> {
        self.order.iter().filter_map(|s| self.models.get(s))
    }

    /// The models with a foreign key to `slug`, in registration order.
    #[must_use]
    pub fn related_to(&self, slug: &str) -> Vec<Related> {
        let mut out = Vec::new();
        for admin in self.models() {
            for (i, f) in admin.meta().fields.iter().enumerate() {
                if f.foreign_key == Some(slug) {
                    out.push(Related { admin: Arc::clone(admin), field: i });
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use crate::db::sql::escape_like;

    #[test]
    fn sqlite_refuses_decimals_it_cannot_keep_exactly() {
        use sea_orm::{DbBackend, Value};
        let d = |s: &str| Value::Decimal(Some(s.parse().unwrap()));
        assert!(super::write::exact_on(DbBackend::Sqlite, d("9999999999999.99")).is_ok());
        assert!(super::write::exact_on(DbBackend::Sqlite, d("1000000000000000.00")).is_ok());
        assert!(
            super::write::exact_on(DbBackend::Sqlite, d("99999999999999.99"))
                .unwrap_err()
                .contains("at most 15 digits")
        );
        assert!(super::write::exact_on(DbBackend::Postgres, d("99999999999999.99")).is_ok());
    }

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(escape_like("50%_off\\"), "50\\%\\_off\\\\");
        assert_eq!(escape_like("acme-42"), "acme-42");
    }
}
