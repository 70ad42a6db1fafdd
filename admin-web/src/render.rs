//! Templates: minijinja with HTML autoescape, built-in templates embedded in the
//! binary, the user's overrides in front of them (embedded strings or a directory,
//! registered while the [`crate::AdminState`] is built), and an override chain (a
//! model's own template first, then the default). See [`Templates`].

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use axum::response::Html;
use minijinja::value::Kwargs;
use minijinja::{Environment, State, UndefinedBehavior, Value};

use crate::error::Result;
use crate::i18n::{Arg, Catalogs, FALLBACK};
pub use builtin::BUILTIN_PREFIX;
use builtin::builtin_source;

mod builtin;

/// Why a template override was refused. Every case is a mistake in the code that
/// builds the admin, so it surfaces at start-up, not as a broken page later.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TemplateError {
    /// The override came after the first page was rendered: the environment is
    /// built by then and would never see it.
    #[error(
        "the template override {name} came after the admin rendered its first page; register overrides while building the AdminState"
    )]
    Late {
        /// The template (or directory) that came too late.
        name: String,
    },
    /// The template does not parse.
    #[error("the template {name} does not compile: {message}")]
    Syntax {
        /// The template's name (`admin/list.html`).
        name: String,
        /// minijinja's message, with the line.
        message: String,
    },
    /// A message catalog given with `AdminState::with_catalog` does not parse.
    #[error(transparent)]
    Catalog(#[from] crate::i18n::CatalogError),
    /// The template directory cannot be read, or holds a file that is not UTF-8.
    #[error("the template directory {}: {message}", path.display())]
    Directory {
        /// The directory or the file in it.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
}

/// The overrides registered so far, by template name.
#[derive(Default)]
struct Pending {
    overrides: HashMap<String, String>,
    /// The application's catalogs: language, name and Fluent source.
    catalogs: Vec<(String, String, String)>,
    /// Set when the environment is built: later overrides are refused.
    closed: bool,
}

/// The environment, built at the first render from the overrides registered by then.
struct Built {
    env: Environment<'static>,
    overrides: Arc<HashMap<String, String>>,
    catalogs: Arc<Catalogs>,
}

/// The template environment of an admin site: the user's overrides in front of the
/// built-in templates, behind one loader.
///
/// A name is looked up in this order, the first that has it wins:
/// 1. embedded overrides ([`Templates::set_override`], `AdminState::with_template`);
///    registering the same name again replaces the source;
/// 2. template directories ([`Templates::add_dir`], `AdminState::with_template_dir`),
///    in the order they were added;
/// 3. the built-in templates (`admin-web/templates/`).
///
/// Pages of a model ask for `admin/{slug}/{page}` first, then `admin/{page}`
/// ([`Templates::chain`]), so an override can target one model. The built-in
/// templates go through the same loader as the overrides (not `add_template`, which
/// would win over any loader), so an override of `admin/base.html` changes every
/// page, error pages included.
///
/// The environment is built when the first page is rendered; from then on
/// [`Templates::set_override`] and [`Templates::add_dir`] answer
/// [`TemplateError::Late`] instead of being ignored.
pub struct Templates {
    pending: Mutex<Pending>,
    built: OnceLock<Built>,
}

impl Default for Templates {
    fn default() -> Self {
        Self::new()
    }
}

impl Templates {
    /// The built-in templates, open for overrides until the first render.
    #[must_use]
    pub fn new() -> Self {
        Self { pending: Mutex::default(), built: OnceLock::new() }
    }

    /// The message catalogs the templates' `t(...)` reads: the built-in ones with
    /// the application's ([`Templates::add_catalog`]) over them. Asking for them
    /// closes registration, as the first render does.
    #[must_use]
    pub fn catalogs(&self) -> &Catalogs {
        &self.built().catalogs
    }

    /// Adds the Fluent messages of `source` to language `lang` (a new language, or
    /// one the admin has, whose messages with the same ids it replaces); `name`
    /// names it in errors (`de/app.ftl`). The source is parsed now, so a broken
    /// catalog stops the start-up.
    ///
    /// # Errors
    /// [`TemplateError::Catalog`] when the tag or the source does not parse, and
    /// [`TemplateError::Late`] once a page was rendered.
    pub fn add_catalog(
        &self,
        lang: impl Into<String>,
        name: impl Into<String>,
        source: impl Into<String>,
    ) -> Result<(), TemplateError> {
        let (lang, name, source) = (lang.into(), name.into(), source.into());
        Catalogs::builtin().add(&lang, &name, &source)?;
        let mut pending = self.pending();
        if pending.closed {
            return Err(TemplateError::Late { name });
        }
        pending.catalogs.push((lang, name, source));
        Ok(())
    }

    /// Replaces a template (`admin/list.html`), adds a model-specific one
    /// (`admin/account/list.html`, which wins over the default for that model) or
    /// a template of your own (`admin/includes/brand.html`). Names ending in
    /// `.html` are HTML-escaped, like the built-in ones.
    ///
    /// # Errors
    /// [`TemplateError::Syntax`] when `source` does not parse, and
    /// [`TemplateError::Late`] once a page was rendered.
    pub fn set_override(
        &self,
        name: impl Into<String>,
        source: impl Into<String>,
    ) -> Result<(), TemplateError> {
        let (name, source) = (name.into(), source.into());
        check_syntax(&name, &source)?;
        let mut pending = self.pending();
        if pending.closed {
            return Err(TemplateError::Late { name });
        }
        pending.overrides.insert(name, source);
        Ok(())
    }

    /// Adds every file under `dir` as an override, named by its path below `dir`
    /// with `/` separators: `dir/admin/base.html` overrides `admin/base.html`,
    /// `dir/admin/account/list.html` the list of accounts only. Files and folders
    /// whose name starts with `.` are skipped. The files are read (and parsed) now,
    /// so a broken template stops the start-up instead of a page; edits take effect
    /// at the next start.
    ///
    /// # Errors
    /// [`TemplateError::Directory`] when `dir` is not a readable directory or a file
    /// in it is not UTF-8, [`TemplateError::Syntax`] when a file does not parse, and
    /// [`TemplateError::Late`] once a page was rendered.
    pub fn add_dir(&self, dir: impl AsRef<Path>) -> Result<(), TemplateError> {
        let dir = dir.as_ref();
        if self.pending().closed {
            return Err(TemplateError::Late { name: dir.display().to_string() });
        }
        let mut found = Vec::new();
        read_dir_templates(dir, "", 0, &mut found)?;
        for (name, source) in &found {
            check_syntax(name, source)?;
        }
        let mut pending = self.pending();
        if pending.closed {
            return Err(TemplateError::Late { name: dir.display().to_string() });
        }
        for (name, source) in found {
            // An embedded override, or an earlier directory, keeps the name.
            pending.overrides.entry(name).or_insert(source);
        }
        Ok(())
    }

    /// Whether `name` is overridden (embedded or from a directory).
    #[must_use]
    pub fn is_overridden(&self, name: &str) -> bool {
        self.built().overrides.contains_key(name)
    }

    /// Renders the first template of `names` that exists.
    ///
    /// # Errors
    /// `Internal` when no template exists or rendering fails.
    pub fn render(&self, names: &[String], ctx: Value) -> Result<Html<String>> {
        let env = &self.built().env;
        for name in names {
            match env.get_template(name) {
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

    fn pending(&self) -> std::sync::MutexGuard<'_, Pending> {
        self.pending.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The environment, built (and the overrides closed) on the first call.
    fn built(&self) -> &Built {
        self.built.get_or_init(|| {
            let mut pending = self.pending();
            // Closed under the same lock `set_override` checks, so an override
            // either makes it into the environment or is refused.
            pending.closed = true;
            let overrides = Arc::new(std::mem::take(&mut pending.overrides));
            let mut catalogs = Catalogs::builtin();
            for (lang, name, source) in std::mem::take(&mut pending.catalogs) {
                if let Err(e) = catalogs.add(&lang, &name, &source) {
                    // Checked when added; kept out rather than failing every page.
                    tracing::error!(error = %e, "a message catalog was left out");
                }
            }
            let catalogs = Arc::new(catalogs);
            Built { env: environment(Arc::clone(&overrides), Arc::clone(&catalogs)), overrides, catalogs }
        })
    }
}

/// The one environment: overrides, then built-ins, through one loader.
fn environment(overrides: Arc<HashMap<String, String>>, catalogs: Arc<Catalogs>) -> Environment<'static> {
    let mut env = Environment::new();
    // `{{ t("message-id", name=value) }}`: the message in the page's language (the
    // context's `lang`), escaped like any other text.
    let for_t = Arc::clone(&catalogs);
    env.add_function(
        "t",
        move |state: &State, key: &str, kwargs: Kwargs| -> Result<String, minijinja::Error> {
            let catalogs = &for_t;
            let lang = page_locale(state).lang;
            let lang = Some(lang);
            let mut args = Vec::new();
            for name in kwargs.args() {
                let value: Value = kwargs.get(name)?;
                let arg = match value.as_i64() {
                    Some(n) if value.kind() == minijinja::value::ValueKind::Number => Arg::from(n),
                    _ => Arg::Text(value.to_string()),
                };
                args.push((name, arg));
            }
            Ok(catalogs.text(lang.as_deref().unwrap_or(FALLBACK), key, &args))
        },
    );
    // `{{ n|number }}`: a count or amount with the page language's digit grouping.
    env.add_filter("number", |state: &State, value: Value| -> String {
        let lang = page_locale(state).lang;
        match value.as_i64() {
            Some(n) if value.kind() == minijinja::value::ValueKind::Number => {
                crate::i18n::format::integer(&lang, n)
            }
            _ => crate::i18n::format::decimal(&lang, &value.to_string()),
        }
    });
    // `{{ at|datetime }}`: a UTC time as the handlers write it, in the page's time
    // zone and language (its zone is the context's `tz`).
    let for_dt = Arc::clone(&catalogs);
    env.add_filter("datetime", move |state: &State, value: Value| -> String {
        let text = value.as_str().map(str::to_owned).unwrap_or_else(|| value.to_string());
        match crate::i18n::format::parse_utc(&text) {
            Some((t, seconds)) => crate::i18n::format::datetime(&for_dt, &page_locale(state), t, seconds),
            None => text,
        }
    });
    // `{{ error|sentence }}`: one of the admin's fixed English sentences (a form
    // error from the layers below) in the page's language; other text as it is.
    let for_sentence = Arc::clone(&catalogs);
    env.add_filter("sentence", move |state: &State, value: Value| -> String {
        let text = value.as_str().map(str::to_owned).unwrap_or_else(|| value.to_string());
        for_sentence.message(&page_locale(state).lang, &crate::i18n::sentence(&text))
    });
    env.set_loader(move |name| {
        // `builtin/admin/base.html` is always the built-in one, so an override of
        // `admin/base.html` can extend it.
        if let Some(builtin) = name.strip_prefix(BUILTIN_PREFIX) {
            return Ok(builtin_source(builtin));
        }
        if let Some(src) = overrides.get(name) {
            return Ok(Some(src.clone()));
        }
        Ok(builtin_source(name))
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
    env
}

/// The page's language and zone: the context's `lang` and `tz`, else `base.lang`
/// and `base.tz` (every page's layout values), else English and UTC.
fn page_locale(state: &State) -> crate::i18n::Locale {
    let get = |name: &str| {
        state
            .lookup(name)
            .filter(|v| !v.is_undefined() && !v.is_none())
            .or_else(|| state.lookup("base").and_then(|b| b.get_attr(name).ok()))
            .and_then(|v| v.as_str().map(str::to_owned))
    };
    crate::i18n::Locale::new(get("lang").unwrap_or_else(|| FALLBACK.to_owned()), get("tz").as_deref())
}

/// Parses `source` as the template `name` would be, without keeping it, and
/// refuses an override that extends itself (it would recurse on every page).
fn check_syntax(name: &str, source: &str) -> Result<(), TemplateError> {
    if name.starts_with(BUILTIN_PREFIX) {
        return Err(TemplateError::Syntax {
            name: name.to_owned(),
            message: format!(
                "names under {BUILTIN_PREFIX} are the built-in templates and cannot be overridden"
            ),
        });
    }
    let compact: String = source.chars().filter(|c| !c.is_whitespace()).collect();
    if ['"', '\''].iter().any(|q| compact.contains(&format!("extends{q}{name}{q}"))) {
        return Err(TemplateError::Syntax {
            name: name.to_owned(),
            message: format!(
                "it extends itself; extend the built-in one instead: {{% extends \"{BUILTIN_PREFIX}{name}\" %}}"
            ),
        });
    }
    let mut env = Environment::new();
    env.set_trim_blocks(true);
    env.set_lstrip_blocks(true);
    env.template_from_named_str(name, source)
        .map(drop)
        .map_err(|e| TemplateError::Syntax { name: name.to_owned(), message: e.to_string() })
}

/// Folders deeper than this are not read (a symbolic link to a parent would loop).
const MAX_DEPTH: usize = 16;

/// Collects the files under `dir` as `(name, source)`, `name` prefixed by `prefix`.
fn read_dir_templates(
    dir: &Path,
    prefix: &str,
    depth: usize,
    found: &mut Vec<(String, String)>,
) -> Result<(), TemplateError> {
    let fail = |path: &Path, e: &dyn std::fmt::Display| TemplateError::Directory {
        path: path.to_owned(),
        message: e.to_string(),
    };
    if depth > MAX_DEPTH {
        return Err(fail(dir, &"folders nest too deep (a symbolic link loop?)"));
    }
    let entries = std::fs::read_dir(dir).map_err(|e| fail(dir, &e))?;
    let mut entries: Vec<_> = entries.collect::<std::io::Result<_>>().map_err(|e| fail(dir, &e))?;
    entries.sort_by_key(std::fs::DirEntry::file_name);
    for entry in entries {
        let path = entry.path();
        let Some(file_name) = entry.file_name().to_str().map(str::to_owned) else {
            return Err(fail(&path, &"the name is not UTF-8"));
        };
        if file_name.starts_with('.') {
            continue;
        }
        let name = format!("{prefix}{file_name}");
        let meta = std::fs::metadata(&path).map_err(|e| fail(&path, &e))?;
        if meta.is_dir() {
            read_dir_templates(&path, &format!("{name}/"), depth + 1, found)?;
        } else if meta.is_file() {
            let source = std::fs::read_to_string(&path).map_err(|e| fail(&path, &e))?;
            found.push((name, source));
        }
    }
    Ok(())
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
