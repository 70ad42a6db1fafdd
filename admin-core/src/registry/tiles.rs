//! Dashboard tiles ([`Tile`]): a label and a count, in a section of the dashboard,
//! shown to staff with its permission. A list tile counts a model's list with
//! filters through the door and links to that list; a counted tile runs the
//! application's own async function (given the door and the caller) and links
//! where it says. The door's side is `Service::tiles`.

use std::sync::Arc;

use super::Registry;
use super::site::Visit;
use crate::kernel::BoxFuture;
use crate::kernel::error::Result;

/// The function behind a counted tile: any `async fn(Visit) -> Result<u64>`.
pub trait TileCounter: Send + Sync + 'static {
    /// Counts, for this visit's caller.
    fn count(&self, visit: Visit) -> BoxFuture<'static, Result<u64>>;
}

impl<F, Fut> TileCounter for F
where
    F: Fn(Visit) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<u64>> + Send + 'static,
{
    fn count(&self, visit: Visit) -> BoxFuture<'static, Result<u64>> {
        Box::pin(self(visit))
    }
}

/// Where a tile's count comes from.
#[derive(Clone)]
pub(crate) enum TileSource {
    /// A model's list with filters, counted through the door.
    List { model: String, query: Vec<(String, String)> },
    /// The application's function, and where the tile links (a path inside the admin).
    Counted { counter: Arc<dyn TileCounter>, link: Option<String> },
}

/// A tile of the dashboard: a label and a count, in a section, for staff with its
/// permission. Add it with `RegistryBuilder::tile`.
///
/// ```
/// use admin_core::Registry;
/// use admin_core::registry::Tile;
///
/// let registry = Registry::builder()
///     .tile(
///         Tile::counted("Invoices to chase", |_visit| async { Ok(3) })
///             .section("Billing")
///             .permission("reports.view")
///             .link("/pages/reports/daily"),
///     )
///     .build()
///     .unwrap();
/// assert_eq!(registry.tiles()[0].label(), "Invoices to chase");
/// ```
#[derive(Clone)]
#[must_use]
pub struct Tile {
    label: String,
    section: Option<String>,
    permission: Option<String>,
    pub(crate) source: TileSource,
}

impl std::fmt::Debug for Tile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tile")
            .field("label", &self.label)
            .field("section", &self.section)
            .field("permission", &self.permission)
            .finish_non_exhaustive()
    }
}

impl Tile {
    /// A tile counting `model`'s list filtered by `query` (a list's query string,
    /// `billing_state=past_due&plan=annual`) and linking to that list. Staff see it
    /// when they may view the model (and hold [`Tile::permission`], when given).
    pub fn list(label: impl Into<String>, model: impl Into<String>, query: &str) -> Self {
        let query = query
            .trim_start_matches('?')
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        Self {
            label: label.into(),
            section: None,
            permission: None,
            source: TileSource::List { model: model.into(), query },
        }
    }

    /// A tile whose count `counter` works out: an async function given the
    /// [`Visit`] (read through `visit.service()` with `visit.caller()`, so the
    /// count respects what the caller may see). Give it a [`Tile::permission`].
    pub fn counted(label: impl Into<String>, counter: impl TileCounter) -> Self {
        Self {
            label: label.into(),
            section: None,
            permission: None,
            source: TileSource::Counted { counter: Arc::new(counter), link: None },
        }
    }

    /// The dashboard section the tile is shown in ("Billing"); without one it is
    /// among the work queues.
    pub fn section(mut self, section: impl Into<String>) -> Self {
        self.section = Some(section.into());
        self
    }

    /// The permission a staff member needs to see the tile (`reports.view`).
    pub fn permission(mut self, permission: impl Into<String>) -> Self {
        self.permission = Some(permission.into());
        self
    }

    /// Where a counted tile links: a path inside the admin (`/pages/reports/daily`,
    /// `/invoice/?status=open`). A list tile links to its list.
    pub fn link(mut self, path: impl Into<String>) -> Self {
        if let TileSource::Counted { link, .. } = &mut self.source {
            *link = Some(path.into());
        }
        self
    }

    /// What staff see.
    #[must_use]
    pub fn label(&self) -> &str {
        &self.label
    }

    /// The dashboard section.
    #[must_use]
    pub fn section_label(&self) -> Option<&str> {
        self.section.as_deref()
    }

    /// The permission the tile needs besides its model's `view`, if any.
    #[must_use]
    pub fn required_permission(&self) -> Option<&str> {
        self.permission.as_deref()
    }
}

impl Registry {
    /// Adds a tile, or says why it cannot be added.
    pub(crate) fn try_tile(&mut self, tile: Tile) -> std::result::Result<(), String> {
        let name = format!("the dashboard tile \u{201c}{}\u{201d}", tile.label);
        match &tile.source {
            TileSource::List { model, .. } if !self.models.contains_key(model.as_str()) => {
                return Err(format!(
                    "{name} lists the model `{model}`, which is not registered{}; register it or fix the slug",
                    crate::access::did_you_mean(model, self.order.iter().copied())
                ));
            }
            TileSource::Counted { link: Some(link), .. }
                if !link.starts_with('/') || link.starts_with("//") =>
            {
                return Err(format!(
                    "{name} links to `{link}`: give a path inside the admin, like `/pages/reports/daily`"
                ));
            }
            TileSource::List { .. } | TileSource::Counted { .. } => {}
        }
        self.tiles.push(tile);
        Ok(())
    }

    /// The tiles added with `RegistryBuilder::tile`, in order (the work queues of
    /// [`Registry::queue`] are in [`Registry::queues`]).
    pub fn tiles(&self) -> &[Tile] {
        &self.tiles
    }
}
