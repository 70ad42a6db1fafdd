//! Building a registry with every configuration mistake as one error
//! ([`RegistryBuilder`]), and plugins that bring actions to it ([`Plugin`]).

use std::collections::BTreeSet;
use std::sync::Arc;

use sea_orm::EntityTrait;

use super::Registry;
use crate::access::permission::Roles;
use crate::access::{ConfigError, did_you_mean};
use crate::action::{Action, ActionAdmin, DynAction};
use crate::kernel::model::{ActiveModelOf, AdminModel, EntityOf};

/// Actions a plugin crate brings, under the plugin's name, for
/// [`RegistryBuilder::plugin`]. A plugin whose actions are generic over the
/// application's model builds one in a function the application calls
/// (`billing_plugin::plugin::<invoice::Model>()`), and checks there that the model
/// has what its actions need ([`Plugin::mistake`]).
pub struct Plugin {
    name: &'static str,
    actions: Vec<Arc<dyn DynAction>>,
    mistakes: Vec<String>,
}

impl Plugin {
    /// A plugin named `name` (its package name, as the application's `Cargo.toml`
    /// lists it: `billing-plugin`), with no actions yet.
    #[must_use]
    pub fn new(name: &'static str) -> Self {
        Self { name, actions: Vec::new(), mistakes: Vec::new() }
    }

    /// Adds an action.
    #[must_use]
    pub fn action<A>(mut self, action: A) -> Self
    where
        A: Action,
        EntityOf<A::Model>: EntityTrait<Model = A::Model>,
        ActiveModelOf<A::Model>: Send + Sync,
    {
        self.actions.push(Arc::new(ActionAdmin::new(action)));
        self
    }

    /// Records a mistake in how the application uses the plugin (a field its
    /// actions need is missing, a choice is not offered), with the fix: the
    /// registry refuses to build, naming the plugin.
    #[must_use]
    pub fn mistake(mut self, mistake: impl Into<String>) -> Self {
        self.mistakes.push(mistake.into());
        self
    }

    /// The plugin's name.
    #[must_use]
    pub fn name(&self) -> &'static str {
        self.name
    }
}

/// Builds a [`Registry`] and reports every configuration mistake at once, as a
/// [`ConfigError`] whose sentences name each mistake and its fix: a model
/// registered twice or under a reserved slug, two actions with one name, an action
/// or dashboard queue or tile for a model that is not registered, a custom page
/// without a permission or with a path taken, a role that is used but not declared, a grant naming an unknown model or action, and a plugin the
/// application expects whose actions are missing. Nothing here panics; the order
/// of the calls does not matter.
///
/// ```
/// use admin_core::Registry;
/// use admin_core::access::permission::Roles;
///
/// let roles = Roles::new().role("support", "", &["acount.view"]).require_two_factor("suport");
/// let err = Registry::builder().roles(&roles).queue("acount", "Open", "").build().err().unwrap();
/// assert_eq!(err.mistakes.len(), 3);
/// assert!(err.mistakes[0].contains("queue \u{201c}Open\u{201d} lists the model `acount`, which is not registered"));
/// assert!(err.mistakes[1].contains("names the role `suport`, which is not declared (did you mean `support`?)"));
/// assert!(err.mistakes[2].contains("grants `acount.view`, but no model `acount` is registered"));
/// ```
#[derive(Default)]
#[must_use]
pub struct RegistryBuilder {
    registry: Registry,
    mistakes: Vec<String>,
    actions: Vec<Arc<dyn DynAction>>,
    plugins: Vec<Plugin>,
    registered_actions: bool,
    expected: Vec<&'static str>,
    queues: Vec<(&'static str, String, String)>,
    roles: Option<Roles>,
    pages: Vec<super::Page>,
    tiles: Vec<super::Tile>,
}

impl Registry {
    /// A [`RegistryBuilder`]: the way to build an application's registry.
    pub fn builder() -> RegistryBuilder {
        RegistryBuilder::default()
    }
}

impl RegistryBuilder {
    /// Registers model `M`.
    pub fn register<M>(mut self) -> Self
    where
        M: AdminModel,
        EntityOf<M>: EntityTrait<Model = M>,
        ActiveModelOf<M>: Send + Sync,
    {
        if let Err(mistake) = self.registry.try_register::<M>() {
            self.mistakes.push(mistake);
        }
        self
    }

    /// Adds an action explicitly.
    pub fn action<A>(mut self, action: A) -> Self
    where
        A: Action,
        EntityOf<A::Model>: EntityTrait<Model = A::Model>,
        ActiveModelOf<A::Model>: Send + Sync,
    {
        self.actions.push(Arc::new(ActionAdmin::new(action)));
        self
    }

    /// Adds every action registered with `register_action!` in the linked crates
    /// whose model is registered here.
    pub fn registered_actions(mut self) -> Self {
        self.registered_actions = true;
        self
    }

    /// Adds a plugin's actions. An action whose model is not registered is a
    /// mistake naming the plugin, and so is each of [`Plugin::mistake`].
    pub fn plugin(mut self, plugin: Plugin) -> Self {
        self.plugins.push(plugin);
        self
    }

    /// Declares that the plugin package `name` (as in `Cargo.toml`:
    /// `billing-plugin`) registers actions with `register_action!`, and calls its
    /// `link` function, which keeps the crate in the program. `build` fails, naming
    /// the plugin and the fix, when none of its actions ends up in the registry: the
    /// registry does not take [`RegistryBuilder::registered_actions`], the models
    /// its actions act on are not registered, or no action of it was found.
    pub fn expect_plugin(mut self, name: &'static str, link: fn()) -> Self {
        link();
        self.expected.push(name);
        self
    }

    /// Adds a dashboard queue (see [`Registry::queue`]); a model that is not
    /// registered is a mistake.
    pub fn queue(mut self, model: &'static str, label: &str, query: &str) -> Self {
        self.queues.push((model, label.to_owned(), query.to_owned()));
        self
    }

    /// Adds a custom page (see [`super::Page`]): a path that is not unique or not
    /// plain, a missing permission or handler is a mistake.
    pub fn page(mut self, page: super::Page) -> Self {
        self.pages.push(page);
        self
    }

    /// Adds a dashboard tile (see [`super::Tile`]); a list tile of a model that is
    /// not registered is a mistake.
    pub fn tile(mut self, tile: super::Tile) -> Self {
        self.tiles.push(tile);
        self
    }

    /// Adds several dashboard tiles (see [`RegistryBuilder::tile`]), in order.
    pub fn tiles(mut self, tiles: impl IntoIterator<Item = super::Tile>) -> Self {
        self.tiles.extend(tiles);
        self
    }

    /// Adds an effect handler (see [`Registry::effect_handler`]).
    pub fn effect_handler(mut self, handler: impl crate::effect::EffectHandler + 'static) -> Self {
        self.registry = self.registry.effect_handler(handler);
        self
    }

    /// Sets the lists' counting and paging limits (see [`Registry::with_list_tuning`]).
    pub fn list_tuning(mut self, tuning: crate::list::count::ListTuning) -> Self {
        self.registry = self.registry.with_list_tuning(tuning);
        self
    }

    /// Checks the site's roles against the registry when it is built: the mistakes
    /// of [`Roles::check`] (field rules and declarations naming a role that is not
    /// declared), grants that name a model or an action the registry does not
    /// have (`acount.view` grants nothing), and row-level scopes naming an unknown
    /// model or field ([`crate::access::scope`]).
    pub fn roles(mut self, roles: &Roles) -> Self {
        self.roles = Some(roles.clone());
        self
    }

    /// The registry, or every mistake found.
    ///
    /// # Errors
    /// A [`ConfigError`] with one sentence per mistake.
    pub fn build(self) -> Result<Registry, ConfigError> {
        let Self {
            mut registry,
            mut mistakes,
            actions,
            plugins,
            registered_actions,
            expected,
            queues,
            roles,
            pages,
            tiles,
        } = self;
        for action in actions {
            mistakes.extend(registry.try_add_action(action).err());
        }
        for plugin in plugins {
            add_plugin(&mut registry, &mut mistakes, plugin);
        }
        add_registered(&mut registry, &mut mistakes, registered_actions, &expected);
        mistakes.extend(registry.inline_mistakes());
        for (model, label, query) in queues {
            mistakes.extend(registry.try_queue(model, &label, &query).err());
        }
        for page in pages {
            mistakes.extend(registry.try_page(page).err());
        }
        for tile in tiles {
            mistakes.extend(registry.try_tile(tile).err());
        }
        if let Some(roles) = roles {
            mistakes.extend(roles.undeclared_in(&registry.metas()));
            mistakes.extend(unknown_grants(&registry, &roles));
            mistakes.extend(registry.scope_mistakes(&roles));
        }
        if mistakes.is_empty() { Ok(registry) } else { Err(ConfigError { mistakes }) }
    }
}

fn add_plugin(registry: &mut Registry, mistakes: &mut Vec<String>, plugin: Plugin) {
    let name = plugin.name;
    mistakes.extend(plugin.mistakes.into_iter().map(|m| format!("the plugin `{name}`: {m}")));
    for action in plugin.actions {
        if let Err(why) = registry.try_add_action(action) {
            mistakes.push(format!("the plugin `{name}`: {why}"));
        }
    }
}

/// Adds the actions of `register_action!` and checks the expected plugins.
fn add_registered(
    registry: &mut Registry,
    mistakes: &mut Vec<String>,
    wanted: bool,
    expected: &[&'static str],
) {
    if !wanted && expected.is_empty() {
        return;
    }
    let mut found: Vec<(&'static str, Box<dyn DynAction>)> = crate::action::registered_by_package().collect();
    // Inventory's order is unspecified: sort, so errors and menus are stable.
    found.sort_by_key(|(_, a)| (a.model().slug, a.name()));
    let packages: BTreeSet<&str> = found.iter().map(|(p, _)| *p).collect();
    for name in expected {
        let fix = format!(
            "add `.registered_actions()` to the registry builder so the plugin `{name}`'s actions are added"
        );
        if !wanted {
            mistakes.push(format!("the plugin `{name}` is expected, but its actions are not taken: {fix}"));
        } else if !packages.contains(name) {
            mistakes.push(format!(
                "the plugin `{name}` is expected, but no action of it is in this program{}: add the crate to Cargo.toml and pass its link function to `expect_plugin` (packages with actions: {})",
                did_you_mean(name, packages.iter().copied()),
                packages.iter().copied().collect::<Vec<_>>().join(", ")
            ));
        }
    }
    if !wanted {
        return;
    }
    for (package, action) in found {
        let slug = action.model().slug;
        if registry.models.contains_key(slug) {
            mistakes.extend(registry.try_add_action(Arc::from(action)).err());
        } else if expected.contains(&package) {
            mistakes.push(format!(
                "the plugin `{package}` acts on the model `{slug}` (action `{}`), which is not registered: register the application's model of the table `{slug}`",
                action.name()
            ));
        }
    }
}

/// Grants that name a model or an action this registry does not have.
fn unknown_grants(registry: &Registry, roles: &Roles) -> Vec<String> {
    let mut out = Vec::new();
    // Custom pages' permissions (`reports.view`) name a namespace of their own.
    let pages = registry.page_namespaces();
    for role in roles.all() {
        for grant in &role.grants {
            let mut parts = grant.split('.');
            let (Some(model), second, third) = (parts.next(), parts.next(), parts.next()) else { continue };
            if model == "*" || crate::access::permission::RESERVED.contains(&model) || pages.contains(model) {
                continue;
            }
            if !registry.models.contains_key(model) {
                out.push(format!(
                    "the role `{}` grants `{grant}`, but no model `{model}` is registered{}: fix the grant (models: {})",
                    role.name,
                    did_you_mean(model, registry.order.iter().copied()),
                    registry.order.join(", ")
                ));
                continue;
            }
            if let (Some("action"), Some(action)) = (second, third)
                && action != "*"
                && registry.action_named(model, action).is_none()
            {
                let names: Vec<&str> = registry.actions_for(model).iter().map(|a| a.name()).collect();
                out.push(format!(
                    "the role `{}` grants `{grant}`, but `{model}` has no action `{action}`{}: fix the grant (actions: {})",
                    role.name,
                    did_you_mean(action, names.iter().copied()),
                    if names.is_empty() { "none".to_owned() } else { names.join(", ") }
                ));
            }
        }
    }
    out
}
