//! Custom pages ([`Page`]): an application's own screens inside the admin, with a
//! nav entry under a section, a permission, and code that gets the door and the
//! caller ([`PageRequest`]) and answers with content the admin wraps in its layout
//! ([`PageContent`]). The door's side (the permission check, calling the code)
//! is `Service::open_page`; `Visit::service` and `Visit::caller` give the code its
//! door and identity.

use std::collections::BTreeSet;
use std::sync::Arc;

use sea_orm::DatabaseConnection;

use super::Registry;
use crate::kernel::BoxFuture;
use crate::kernel::error::{Error, Result};

/// Who is asking, and the door they ask through: what a custom page's code and a
/// counted tile's function are called with. `visit.service()` is the door and
/// `visit.caller()` the signed-in staff member (both made by the door itself, so
/// every call the code makes is checked and audited like the screens' own).
#[derive(Clone)]
pub struct Visit {
    pub(crate) db: DatabaseConnection,
    pub(crate) registry: Arc<Registry>,
    pub(crate) auth: Arc<crate::auth::AuthConfig>,
    pub(crate) restore_window: chrono::Duration,
    pub(crate) actor: crate::audit::Context,
    pub(crate) proof: crate::auth::Proof,
    pub(crate) system: Option<&'static str>,
}

impl Visit {
    /// The staff member asking.
    ///
    /// # Panics
    /// Never: a visit always has its actor.
    #[must_use]
    pub fn staff(&self) -> &crate::access::Staff {
        self.actor.actor.as_ref().expect("a visit always has an actor")
    }
}

/// Whether a custom page was opened (GET) or sent a form (POST).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PageMethod {
    /// The page was opened.
    Get,
    /// A form of the page was sent; its CSRF token was already checked.
    Post,
}

/// One request of a custom page: the visit (door and caller), the method, the query
/// string and, for a POST, the form's fields (the CSRF token already checked and
/// left out).
#[derive(Clone)]
pub struct PageRequest {
    pub(crate) visit: Visit,
    pub(crate) method: PageMethod,
    pub(crate) query: Vec<(String, String)>,
    pub(crate) form: Vec<(String, String)>,
}

impl PageRequest {
    /// The visit: `req.visit().service()`, `req.visit().caller()`.
    #[must_use]
    pub fn visit(&self) -> &Visit {
        &self.visit
    }

    /// GET or POST.
    #[must_use]
    pub fn method(&self) -> PageMethod {
        self.method
    }

    /// The query string's pairs, in order.
    #[must_use]
    pub fn query(&self) -> &[(String, String)] {
        &self.query
    }

    /// The first value of the query parameter `name`.
    #[must_use]
    pub fn query_value(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// The posted form's pairs, in order (empty for a GET).
    #[must_use]
    pub fn form(&self) -> &[(String, String)] {
        &self.form
    }

    /// The first value of the posted field `name`.
    #[must_use]
    pub fn form_value(&self, name: &str) -> Option<&str> {
        self.form.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

/// What a custom page answers; the admin wraps a template or HTML in its layout
/// (the header with the signed-in user, the nav, breadcrumbs and messages).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum PageContent {
    /// One of the application's templates (registered with
    /// `AdminState::with_template` or `with_template_dir`), rendered with `context`
    /// (its keys at the top level) beside the layout's `base` and the page's
    /// `page` (`label`, `section`, `url`). Extend `admin/page.html` and fill its
    /// `content` block. Values are escaped as in every template.
    Template {
        /// The template's name (`reports/daily.html`).
        name: String,
        /// The values the template reads, a JSON object.
        context: serde_json::Value,
        /// The title for the tab and the heading, when not the nav label.
        title: Option<String>,
    },
    /// HTML the application made (and escaped) itself, shown under the page's heading.
    Html {
        /// The markup, inserted as it is.
        html: String,
        /// The title for the tab and the heading, when not the nav label.
        title: Option<String>,
    },
    /// A redirect to another page of the admin: what a POST answers.
    Redirect {
        /// A path inside the admin, starting with `/` (`/pages/reports/daily`,
        /// `/account/?plan=trial`); the admin's prefix is put in front.
        to: String,
        /// A message shown on the next page.
        flash: Option<String>,
    },
}

impl PageContent {
    /// The template `name` with `context` (any value that serializes to a JSON object).
    ///
    /// # Errors
    /// `Internal` when `context` does not serialize.
    pub fn template(name: impl Into<String>, context: impl serde::Serialize) -> Result<Self> {
        let context = serde_json::to_value(context)
            .map_err(|e| Error::Internal(format!("a custom page's template context: {e}")))?;
        Ok(Self::Template { name: name.into(), context, title: None })
    }

    /// HTML made (and escaped) by the application.
    #[must_use]
    pub fn html(html: impl Into<String>) -> Self {
        Self::Html { html: html.into(), title: None }
    }

    /// A redirect to `to`, a path inside the admin (`/pages/reports/daily`).
    #[must_use]
    pub fn redirect(to: impl Into<String>) -> Self {
        Self::Redirect { to: to.into(), flash: None }
    }

    /// The same redirect with a message for the next page (ignored by other content).
    #[must_use]
    pub fn with_flash(mut self, message: impl Into<String>) -> Self {
        if let Self::Redirect { flash, .. } = &mut self {
            *flash = Some(message.into());
        }
        self
    }

    /// The same content with its own title (ignored by a redirect).
    #[must_use]
    pub fn with_title(mut self, new: impl Into<String>) -> Self {
        if let Self::Template { title, .. } | Self::Html { title, .. } = &mut self {
            *title = Some(new.into());
        }
        self
    }
}

/// The code of a custom page: any `async fn(PageRequest) -> Result<PageContent>`.
pub trait PageHandler: Send + Sync + 'static {
    /// Answers one request.
    fn call(&self, request: PageRequest) -> BoxFuture<'static, Result<PageContent>>;
}

impl<F, Fut> PageHandler for F
where
    F: Fn(PageRequest) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<PageContent>> + Send + 'static,
{
    fn call(&self, request: PageRequest) -> BoxFuture<'static, Result<PageContent>> {
        Box::pin(self(request))
    }
}

/// A custom page of the admin, served at `{prefix}/pages{path}` inside the admin's
/// layout, listed in the nav (under its section) for staff who hold its permission,
/// and refused with a 403 page saying who can to everyone else. Add it with
/// `RegistryBuilder::page`.
///
/// ```
/// use admin_core::Registry;
/// use admin_core::registry::{Page, PageContent};
///
/// let registry = Registry::builder()
///     .page(
///         Page::new("/reports/daily", "Daily report")
///             .section("Reports")
///             .permission("reports.view")
///             .handler(|_req| async { Ok(PageContent::html("<p>All quiet.</p>")) }),
///     )
///     .build()
///     .unwrap();
/// assert_eq!(registry.pages()[0].url_path(), "/pages/reports/daily");
/// ```
#[derive(Clone)]
#[must_use]
pub struct Page {
    path: String,
    label: String,
    section: Option<String>,
    permission: Option<String>,
    get: Option<Arc<dyn PageHandler>>,
    post: Option<Arc<dyn PageHandler>>,
}

impl std::fmt::Debug for Page {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Page")
            .field("path", &self.path)
            .field("label", &self.label)
            .field("section", &self.section)
            .field("permission", &self.permission)
            .field("takes_post", &self.post.is_some())
            .finish_non_exhaustive()
    }
}

impl Page {
    /// A page at `path` (`/reports/daily`: lowercase letters, digits, `-` and `_`
    /// in `/`-separated parts) with `label` in the nav and as its heading.
    pub fn new(path: impl Into<String>, label: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            label: label.into(),
            section: None,
            permission: None,
            get: None,
            post: None,
        }
    }

    /// The nav section the page is listed under ("Reports").
    pub fn section(mut self, section: impl Into<String>) -> Self {
        self.section = Some(section.into());
        self
    }

    /// The permission a staff member needs to see and open the page
    /// (`reports.view`); grant it in a role like any other. Required.
    pub fn permission(mut self, permission: impl Into<String>) -> Self {
        self.permission = Some(permission.into());
        self
    }

    /// The code that answers a GET. Required.
    pub fn handler(mut self, handler: impl PageHandler) -> Self {
        self.get = Some(Arc::new(handler));
        self
    }

    /// The code that answers a POST of the page's form (its CSRF token checked
    /// before): do the work through the door, then answer
    /// [`PageContent::redirect`] (or the page again, with the errors).
    pub fn post(mut self, handler: impl PageHandler) -> Self {
        self.post = Some(Arc::new(handler));
        self
    }

    /// The path given to [`Page::new`] (`/reports/daily`).
    #[must_use]
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Where the page is inside the admin (`/pages/reports/daily`).
    #[must_use]
    pub fn url_path(&self) -> String {
        format!("/pages{}", self.path)
    }

    /// The label in the nav and the heading.
    #[must_use]
    pub fn label(&self) -> &str {
        &self.label
    }

    /// The nav section.
    #[must_use]
    pub fn section_label(&self) -> Option<&str> {
        self.section.as_deref()
    }

    /// The permission a staff member needs (always set once the registry is built).
    #[must_use]
    pub fn required_permission(&self) -> &str {
        self.permission.as_deref().unwrap_or("")
    }

    /// Whether the page takes a form (has a [`Page::post`] handler).
    #[must_use]
    pub fn takes_post(&self) -> bool {
        self.post.is_some()
    }

    /// The handler for `method`.
    pub(crate) fn handler_for(&self, method: PageMethod) -> Option<&Arc<dyn PageHandler>> {
        match method {
            PageMethod::Get => self.get.as_ref(),
            PageMethod::Post => self.post.as_ref(),
        }
    }
}

/// Whether `path` is a page path: `/` then parts of `[a-z0-9_-]` separated by `/`.
fn valid_path(path: &str) -> bool {
    path.strip_prefix('/').is_some_and(|rest| {
        !rest.is_empty()
            && rest.split('/').all(|part| {
                !part.is_empty()
                    && part
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
            })
    })
}

/// Whether `permission` reads `namespace.verb` with plain parts.
fn valid_permission(permission: &str) -> bool {
    let parts: Vec<&str> = permission.split('.').collect();
    parts.len() >= 2
        && parts.iter().all(|p| {
            !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        })
}

impl Registry {
    /// Adds a custom page, or says why it cannot be added.
    pub(crate) fn try_page(&mut self, page: Page) -> std::result::Result<(), String> {
        let name = format!("the page \u{201c}{}\u{201d}", page.label);
        let mut mistakes = Vec::new();
        if !valid_path(&page.path) {
            mistakes.push(format!(
                "{name} has the path `{}`: give a path like `/reports/daily` (lowercase letters, digits, - and _)",
                page.path
            ));
        }
        match page.permission.as_deref() {
            None => mistakes.push(format!(
                "{name} has no permission: add `.permission(\"reports.view\")` (or another) and grant it to the roles that may open it"
            )),
            Some(p) if !valid_permission(p) => mistakes.push(format!(
                "{name} has the permission `{p}`: name it like `reports.view` (lowercase, a namespace and a verb)"
            )),
            Some(p) if crate::access::permission::RESERVED.contains(&p.split('.').next().unwrap_or("")) => {
                mistakes.push(format!(
                    "{name} has the permission `{p}`, in a namespace of the admin's own ({}): choose another, like `reports.view`",
                    crate::access::permission::RESERVED.join(", ")
                ));
            }
            Some(_) => {}
        }
        if page.get.is_none() {
            mistakes
                .push(format!("{name} has no handler: add `.handler(...)` with the code that answers it"));
        }
        if self.pages.iter().any(|p| p.path == page.path) {
            mistakes.push(format!("two pages have the path `{}`: give each page its own path", page.path));
        }
        if !mistakes.is_empty() {
            return Err(mistakes.join("; "));
        }
        self.pages.push(Arc::new(page));
        Ok(())
    }

    /// The custom pages, in the order added.
    #[must_use]
    pub fn pages(&self) -> &[Arc<Page>] {
        &self.pages
    }

    /// The custom page at `path` (as given to [`Page::new`]: `/reports/daily`).
    #[must_use]
    pub fn page_at(&self, path: &str) -> Option<&Arc<Page>> {
        self.pages.iter().find(|p| p.path == path)
    }

    /// The namespaces of the custom pages' permissions (`reports` of `reports.view`),
    /// which grants may name besides the models.
    pub(crate) fn page_namespaces(&self) -> BTreeSet<&str> {
        self.pages.iter().filter_map(|p| p.permission.as_deref()?.split('.').next()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_paths_and_permissions_are_checked() {
        assert!(valid_path("/reports/daily") && valid_path("/billing-health"));
        for bad in ["", "/", "reports", "/Reports", "/a//b", "/a/", "/a b", "/../x"] {
            assert!(!valid_path(bad), "{bad}");
        }
        assert!(valid_permission("reports.view") && valid_permission("billing.health.view"));
        for bad in ["reports", "Reports.view", "reports.", ".view", "reports.*", "*"] {
            assert!(!valid_permission(bad), "{bad}");
        }
    }
}
