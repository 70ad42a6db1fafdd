//! The door's side of custom pages and dashboard tiles: which pages and tiles a
//! caller may see, opening a page (the permission checked here, then the
//! application's code called with a [`Visit`]), and counting tiles.

use super::prelude::*;
use crate::registry::{Page, PageContent, PageMethod, PageRequest, TileSource, Visit};

/// Where a dashboard tile links.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TileLink {
    /// A model's list with this query (the pairs of its query string).
    List {
        /// The model's slug.
        model: String,
        /// The list's query, as pairs.
        query: Vec<(String, String)>,
    },
    /// A path inside the admin (`/pages/reports/daily`).
    Path(String),
    /// Nowhere: the tile only counts.
    None,
}

/// A dashboard tile as one caller sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TileCount {
    /// What staff see ("Past due accounts").
    pub label: String,
    /// The dashboard section, if any.
    pub section: Option<String>,
    /// The count, no further than the cap asked for (`cap` means "at least");
    /// `None` when the tile's own function failed (the failure is logged).
    pub count: Option<u64>,
    /// Where the tile links.
    pub link: TileLink,
}

impl Service {
    /// The visit a custom page's code or a tile's function gets: this door and `caller`.
    #[must_use]
    pub fn visit(&self, caller: &Caller) -> Visit {
        Visit {
            db: self.db.clone(),
            registry: Arc::clone(&self.registry),
            auth: Arc::clone(&self.auth),
            restore_window: self.restore_window,
            actor: caller.context().clone(),
            proof: caller.proof(),
            system: caller.system_name(),
        }
    }

    /// The custom pages the caller may open (hold the permission of), in the order
    /// added: what the nav lists.
    #[must_use]
    pub fn pages(&self, caller: &Caller) -> Vec<Arc<Page>> {
        self.registry.pages().iter().filter(|p| caller.may(p.required_permission())).cloned().collect()
    }

    /// Opens the custom page at `path` (as registered: `/reports/daily`): checks
    /// the caller's permission, then calls the page's code for `method` with the
    /// query and, for a POST, the form (whose CSRF token the caller checked).
    ///
    /// # Errors
    /// `NotFound` for a path no page has; `Forbidden` without the page's permission,
    /// naming who can; `BadRequest` for a POST to a page that takes no form; and
    /// whatever the page's code answers.
    pub async fn open_page(
        &self,
        caller: &Caller,
        path: &str,
        method: PageMethod,
        query: Vec<(String, String)>,
        form: Vec<(String, String)>,
    ) -> Result<(Arc<Page>, PageContent)> {
        let page = self
            .registry
            .page_at(path)
            .cloned()
            .ok_or_else(|| Error::NotFound("There is no such page.".to_owned()))?;
        caller.require(
            page.required_permission(),
            &format!("You cannot open the page \u{201c}{}\u{201d}.", page.label()),
        )?;
        let handler = page
            .handler_for(method)
            .ok_or_else(|| Error::BadRequest("This page takes no form.".to_owned()))?;
        let request = PageRequest { visit: self.visit(caller), method, query, form };
        let content = handler.call(request).await?;
        Ok((page, content))
    }

    /// The dashboard's tiles the caller may see, counted: first the work queues
    /// ([`crate::Registry::queue`]), then the tiles, in the order added. A list
    /// tile needs `{model}.view` and counts through [`Service::count`] (no further
    /// than `cap`); every tile needs its own permission when it has one.
    ///
    /// # Errors
    /// `Db` when counting a list fails. A counted tile whose function fails is
    /// shown without a count instead (and the failure logged).
    pub async fn tiles(&self, caller: &Caller, cap: u64) -> Result<Vec<TileCount>> {
        let mut out = Vec::new();
        for q in self.registry.queues() {
            if self.registry.get(q.model).is_none() || !self.may(caller, q.model, "view") {
                continue;
            }
            let query = self.query(caller, q.model, &q.query)?;
            out.push(TileCount {
                label: q.label.clone(),
                section: None,
                count: Some(self.count(caller, q.model, &query, cap).await?),
                link: TileLink::List { model: q.model.to_owned(), query: q.query.clone() },
            });
        }
        for tile in self.registry.tiles() {
            if tile.required_permission().is_some_and(|p| !caller.may(p)) {
                continue;
            }
            let (count, link) = match &tile.source {
                TileSource::List { model, query: pairs } => {
                    if !self.may(caller, model, "view") {
                        continue;
                    }
                    let query = self.query(caller, model, pairs)?;
                    let n = self.count(caller, model, &query, cap).await?;
                    (Some(n), TileLink::List { model: model.clone(), query: pairs.clone() })
                }
                TileSource::Counted { counter, link } => {
                    let n = match counter.count(self.visit(caller)).await {
                        Ok(n) => Some(n.min(cap)),
                        Err(e) => {
                            tracing::warn!(tile = %tile.label(), error = %e, "a dashboard tile could not count");
                            None
                        }
                    };
                    (n, link.clone().map_or(TileLink::None, TileLink::Path))
                }
            };
            out.push(TileCount {
                label: tile.label().to_owned(),
                section: tile.section_label().map(str::to_owned),
                count,
                link,
            });
        }
        Ok(out)
    }
}

impl Visit {
    /// The door, for the calls of a custom page's code or a tile's function.
    #[must_use]
    pub fn service(&self) -> Service {
        // A page's own code reads from the primary.
        Service {
            db: self.db.clone(),
            read: None,
            registry: Arc::clone(&self.registry),
            auth: Arc::clone(&self.auth),
            restore_window: self.restore_window,
        }
    }

    /// Who is asking: the caller to hand to every call through the door.
    #[must_use]
    pub fn caller(&self) -> Caller {
        Caller::from_parts(self.actor.clone(), self.proof, self.system)
    }
}

impl PageRequest {
    /// The door ([`Visit::service`]).
    #[must_use]
    pub fn service(&self) -> Service {
        self.visit.service()
    }

    /// Who is asking ([`Visit::caller`]).
    #[must_use]
    pub fn caller(&self) -> Caller {
        self.visit.caller()
    }
}
