//! Templates: minijinja with HTML autoescape, built-in templates embedded in the
//! binary, and an override chain (a model's own template first, then the default).

use std::collections::HashMap;
use std::sync::RwLock;

use axum::response::Html;
use minijinja::{Environment, UndefinedBehavior, Value};

use crate::error::Result;

/// Built-in templates: name and source.
const BUILTIN: &[(&str, &str)] = &[
    ("admin/base.html", include_str!("../templates/admin/base.html")),
    ("admin/login.html", include_str!("../templates/admin/login.html")),
    ("admin/dashboard.html", include_str!("../templates/admin/dashboard.html")),
    ("admin/list.html", include_str!("../templates/admin/list.html")),
    ("admin/detail.html", include_str!("../templates/admin/detail.html")),
    ("admin/delete.html", include_str!("../templates/admin/delete.html")),
    ("admin/error.html", include_str!("../templates/admin/error.html")),
    ("admin/history.html", include_str!("../templates/admin/history.html")),
    ("admin/confirm_action.html", include_str!("../templates/admin/confirm_action.html")),
    ("admin/approvals.html", include_str!("../templates/admin/approvals.html")),
    ("admin/search.html", include_str!("../templates/admin/search.html")),
    ("admin/approval.html", include_str!("../templates/admin/approval.html")),
    ("admin/action_result.html", include_str!("../templates/admin/action_result.html")),
    ("admin/action_queued.html", include_str!("../templates/admin/action_queued.html")),
    ("admin/staff_list.html", include_str!("../templates/admin/staff_list.html")),
    ("admin/staff_form.html", include_str!("../templates/admin/staff_form.html")),
    ("admin/password.html", include_str!("../templates/admin/password.html")),
    ("admin/audit.html", include_str!("../templates/admin/audit.html")),
    ("admin/second_factor.html", include_str!("../templates/admin/second_factor.html")),
    ("admin/two_factor.html", include_str!("../templates/admin/two_factor.html")),
    ("admin/tokens.html", include_str!("../templates/admin/tokens.html")),
    ("admin/confirm.html", include_str!("../templates/admin/confirm.html")),
    ("admin/includes/entry.html", include_str!("../templates/admin/includes/entry.html")),
    ("admin/includes/messages.html", include_str!("../templates/admin/includes/messages.html")),
    ("admin/includes/field.html", include_str!("../templates/admin/includes/field.html")),
    ("admin/includes/cell.html", include_str!("../templates/admin/includes/cell.html")),
];

/// The template environment of an admin site.
pub struct Templates {
    env: Environment<'static>,
    overrides: std::sync::Arc<RwLock<HashMap<String, String>>>,
}

impl Default for Templates {
    fn default() -> Self {
        Self::new()
    }
}

impl Templates {
    /// The built-in templates, strict about undefined values in debug builds so a
    /// typo in a template fails the tests instead of rendering blank.
    #[must_use]
    pub fn new() -> Self {
        let overrides: std::sync::Arc<RwLock<HashMap<String, String>>> = std::sync::Arc::default();
        let mut env = Environment::new();
        let ov = std::sync::Arc::clone(&overrides);
        // Overrides and built-ins go through the same loader, overrides first, so a
        // user's `admin/list.html` replaces the built-in one everywhere it is used.
        env.set_loader(move |name| {
            if let Some(src) = ov.read().ok().and_then(|m| m.get(name).cloned()) {
                return Ok(Some(src));
            }
            Ok(BUILTIN.iter().find(|(n, _)| *n == name).map(|(_, s)| (*s).to_owned()))
        });
        if cfg!(debug_assertions) {
            env.set_undefined_behavior(UndefinedBehavior::Strict);
        } else {
            env.set_undefined_behavior(UndefinedBehavior::Chainable);
        }
        // HTML escaping of the five characters that matter; minijinja's default also
        // escapes `/`, which makes every URL in an attribute unreadable in the source.
        env.set_formatter(|out, state, value| {
            if state.auto_escape() == minijinja::AutoEscape::Html
                && !value.is_safe()
                && let Some(s) = value.as_str()
            {
                return out.write_str(&escape_html(s)).map_err(minijinja::Error::from);
            }
            minijinja::escape_formatter(out, state, value)
        });
        env.set_trim_blocks(true);
        env.set_lstrip_blocks(true);
        Self { env, overrides }
    }

    /// Replaces a template (`admin/list.html`) or adds a model-specific one
    /// (`admin/account/list.html`), which wins over the default for that model.
    pub fn set_override(&self, name: &str, source: &str) {
        if let Ok(mut m) = self.overrides.write() {
            m.insert(name.to_owned(), source.to_owned());
        }
    }

    /// Whether `name` is overridden with [`Templates::set_override`].
    #[must_use]
    pub fn is_overridden(&self, name: &str) -> bool {
        self.overrides.read().is_ok_and(|m| m.contains_key(name))
    }

    /// Renders the first template of `names` that exists.
    ///
    /// # Errors
    /// `Internal` when no template exists or rendering fails.
    pub fn render(&self, names: &[String], ctx: Value) -> Result<Html<String>> {
        for name in names {
            match self.env.get_template(name) {
                Ok(t) => {
                    return t
                        .render(ctx)
                        .map(Html)
                        .map_err(|e| admin_core::Error::Internal(format!("rendering {name}: {e:#}")).into());
                }
                Err(e) if e.kind() == minijinja::ErrorKind::TemplateNotFound => {}
                Err(e) => {
                    return Err(admin_core::Error::Internal(format!("loading {name}: {e:#}")).into());
                }
            }
        }
        Err(admin_core::Error::Internal(format!("no template among {names:?}")).into())
    }

    /// The override chain for a model's page: `admin/{slug}/{page}`, then `admin/{page}`.
    #[must_use]
    pub fn chain(slug: &str, page: &str) -> Vec<String> {
        vec![format!("admin/{slug}/{page}"), format!("admin/{page}")]
    }
}

/// Escapes `& < > " '` for HTML text and attribute values.
#[must_use]
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
    out
}

/// Builds a query string (`?a=1&b=2`, or "" when empty) from pairs.
#[must_use]
pub fn query_string(pairs: &[(String, String)]) -> String {
    if pairs.is_empty() {
        return String::new();
    }
    let mut ser = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        ser.append_pair(k, v);
    }
    format!("?{}", ser.finish())
}
