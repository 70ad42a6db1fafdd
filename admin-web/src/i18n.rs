//! The admin's own words in message catalogs ([Fluent](https://projectfluent.org)).
//!
//! Each language has the same `.ftl` files under `admin-web/locales/{lang}/` (one
//! file per feature), embedded in the binary. Templates call
//! `{{ t("message-id", name=value) }}`; the language is the template context's
//! `lang` (English when it has none). A message missing from a language falls back
//! to English, and a message missing from English shows its id, which the catalog
//! tests catch.

pub mod format;

use std::collections::HashMap;

use admin_core::kernel::message::{Message, MessageArg};

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use unic_langid::LanguageIdentifier;

pub use format::Locale;

/// The language every catalog falls back to.
pub const FALLBACK: &str = "en";

/// Built-in catalogs: language, file name and source.
const BUILTIN: &[(&str, &str, &str)] = &[
    ("en", "core.ftl", include_str!("../locales/en/core.ftl")),
    ("de", "core.ftl", include_str!("../locales/de/core.ftl")),
    ("en", "list_editable.ftl", include_str!("../locales/en/list_editable.ftl")),
    ("de", "list_editable.ftl", include_str!("../locales/de/list_editable.ftl")),
    ("en", "imports.ftl", include_str!("../locales/en/imports.ftl")),
    ("de", "imports.ftl", include_str!("../locales/de/imports.ftl")),
    ("en", "forms.ftl", include_str!("../locales/en/forms.ftl")),
    ("de", "forms.ftl", include_str!("../locales/de/forms.ftl")),
    ("en", "pages.ftl", include_str!("../locales/en/pages.ftl")),
    ("de", "pages.ftl", include_str!("../locales/de/pages.ftl")),
    ("en", "autocomplete.ftl", include_str!("../locales/en/autocomplete.ftl")),
    ("de", "autocomplete.ftl", include_str!("../locales/de/autocomplete.ftl")),
    ("en", "display.ftl", include_str!("../locales/en/display.ftl")),
    ("de", "display.ftl", include_str!("../locales/de/display.ftl")),
    ("en", "inline.ftl", include_str!("../locales/en/inline.ftl")),
    ("de", "inline.ftl", include_str!("../locales/de/inline.ftl")),
];

/// A value handed to a message: text, or a number (which plural rules can select on).
#[derive(Clone, Debug, PartialEq)]
pub enum Arg {
    /// Text, shown as it is.
    Text(String),
    /// A number.
    Number(f64),
}

impl From<&str> for Arg {
    fn from(s: &str) -> Self {
        Self::Text(s.to_owned())
    }
}

impl From<String> for Arg {
    fn from(s: String) -> Self {
        Self::Text(s)
    }
}

impl From<i64> for Arg {
    #[allow(clippy::cast_precision_loss)]
    fn from(n: i64) -> Self {
        Self::Number(n as f64)
    }
}

impl From<u64> for Arg {
    #[allow(clippy::cast_precision_loss)]
    fn from(n: u64) -> Self {
        Self::Number(n as f64)
    }
}

impl From<i32> for Arg {
    fn from(n: i32) -> Self {
        Self::Number(f64::from(n))
    }
}

impl From<usize> for Arg {
    #[allow(clippy::cast_precision_loss)]
    fn from(n: usize) -> Self {
        Self::Number(n as f64)
    }
}

/// The sentence of a page that does not exist.
pub const NO_SUCH_PAGE: &str = "There is no such page.";

/// Fixed English sentences of the layers below that staff see on screens, with
/// their message ids: the door and the forms keep answering in English (the API,
/// the command line and the log read them), and screens look them up here.
const SENTENCES: &[(&str, &str)] = &[
    (NO_SUCH_PAGE, "error-no-such-page"),
    ("The database could not complete the request. Nothing was changed.", "error-db"),
    ("Please correct the errors below.", "error-invalid"),
    ("Wrong username or password.", "login-wrong"),
    ("This field is required.", "form-required"),
    ("Enter a whole number.", "form-whole-number"),
    ("Enter a number.", "form-number"),
    ("Enter a decimal number, like 12.50.", "form-decimal"),
    // Filter options and states the handlers name in words.
    ("All", "word-all"),
    ("Yes", "field-yes"),
    ("No", "field-no"),
    ("Waiting for approval", "status-pending"),
    ("Approved, about to run", "status-approved"),
    ("Running", "status-running"),
    ("Done", "result-done"),
    ("Failed", "status-failed"),
    ("Rejected", "status-rejected"),
    ("Waiting", "state-queued"),
    ("Being carried out", "state-running"),
    ("Given up", "state-given-up"),
    ("Unknown", "field-unknown"),
    ("Choose yes or no.", "form-yes-no"),
    ("Enter a date as YYYY-MM-DD, like 2026-03-02.", "form-date"),
    ("Enter a date and time as YYYY-MM-DD HH:MM, like 2026-03-02 14:05.", "form-datetime"),
];

/// `english` as a message: its id when it is one of the admin's fixed sentences
/// (the table `SENTENCES`), else the text as it is in every language.
#[must_use]
pub fn sentence(english: &str) -> Message {
    let id = SENTENCES.iter().find(|(e, _)| *e == english).map_or("", |(_, id)| *id);
    Message::new(id, english)
}

/// Who reads a page: the catalogs and the reader's language and zone, for text
/// made in Rust (list cells, audit kinds).
#[derive(Clone, Copy, Debug)]
pub struct Reader<'a> {
    /// The message catalogs.
    pub catalogs: &'a Catalogs,
    /// The reader's language and time zone.
    pub locale: &'a Locale,
}

impl Reader<'_> {
    /// Message `id` in the reader's language.
    #[must_use]
    pub fn t(&self, id: &str, args: &[(&str, Arg)]) -> String {
        self.catalogs.text(&self.locale.lang, id, args)
    }

    /// A field's label for the reader: the application's message
    /// `field-{model}-{field}` when a catalog of the reader's language has it,
    /// else the label the derive gave (`label = "..."`).
    #[must_use]
    pub fn field_label(&self, model: &str, field: &str, label: &str) -> String {
        let id = format!("field-{model}-{}", field.replace('_', "-"));
        if self.catalogs.has(&self.locale.lang, &id) { self.t(&id, &[]) } else { label.to_owned() }
    }

    /// A cell's text for the reader, or `None` when it does not depend on them.
    #[must_use]
    pub fn cell(&self, cell: &admin_core::kernel::field::Cell) -> Option<String> {
        format::cell(self.catalogs, self.locale, cell)
    }
}

/// Why a catalog was refused.
#[derive(Debug, thiserror::Error)]
#[error("the message catalog {lang}/{file} does not parse: {message}")]
pub struct CatalogError {
    /// The language (`de`).
    pub lang: String,
    /// The file or name the catalog came from.
    pub file: String,
    /// What is wrong with it.
    pub message: String,
}

/// The message catalogs of every language the admin speaks.
pub struct Catalogs {
    bundles: HashMap<String, FluentBundle<FluentResource>>,
}

impl std::fmt::Debug for Catalogs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Catalogs").field("languages", &self.languages()).finish()
    }
}

impl Catalogs {
    /// The built-in catalogs (English and German).
    ///
    /// # Panics
    /// Never for the built-in files: the catalog tests parse every one.
    #[must_use]
    pub fn builtin() -> Self {
        let mut catalogs = Self { bundles: HashMap::new() };
        for (lang, file, source) in BUILTIN {
            catalogs.add(lang, file, source).expect("the built-in catalogs parse");
        }
        catalogs
    }

    /// Adds the messages of `source` to `lang`'s catalog (made when new). A message
    /// id already in the catalog takes the new text: the application's catalogs,
    /// added after the built-in ones, replace the admin's words.
    ///
    /// # Errors
    /// [`CatalogError`] when the language tag or the Fluent text does not parse.
    pub fn add(&mut self, lang: &str, file: &str, source: &str) -> Result<(), CatalogError> {
        let error = |message: String| CatalogError { lang: lang.to_owned(), file: file.to_owned(), message };
        let id: LanguageIdentifier = lang.parse().map_err(|e| error(format!("{e}")))?;
        let resource = FluentResource::try_new(source.to_owned()).map_err(|(_, errors)| {
            error(errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))
        })?;
        let bundle = self.bundles.entry(lang.to_owned()).or_insert_with(|| {
            let mut bundle = FluentBundle::new_concurrent(vec![id]);
            // Output goes into HTML and plain text, not into bidirectional UI.
            bundle.set_use_isolating(false);
            bundle
        });
        bundle.add_resource_overriding(resource);
        Ok(())
    }

    /// The languages with a catalog, sorted.
    #[must_use]
    pub fn languages(&self) -> Vec<&str> {
        let mut langs: Vec<&str> = self.bundles.keys().map(String::as_str).collect();
        langs.sort_unstable();
        langs
    }

    /// Whether `lang`'s own catalog has message `key` (no fallback).
    #[must_use]
    pub fn has(&self, lang: &str, key: &str) -> bool {
        self.bundles.get(lang).is_some_and(|b| b.has_message(key))
    }

    /// The language of `lang`'s catalog that best fits an `Accept-Language` header
    /// (`de-DE,de;q=0.9,en;q=0.8` gives `de`), else English.
    #[must_use]
    pub fn negotiate(&self, accept_language: Option<&str>) -> String {
        let mut wanted: Vec<(f32, usize, String)> = accept_language
            .unwrap_or("")
            .split(',')
            .enumerate()
            .filter_map(|(i, part)| {
                let mut bits = part.split(';');
                let tag = bits.next()?.trim().to_ascii_lowercase();
                let q = bits
                    .find_map(|b| b.trim().strip_prefix("q=").and_then(|q| q.trim().parse::<f32>().ok()))
                    .unwrap_or(1.0);
                (!tag.is_empty() && q > 0.0).then_some((q, i, tag))
            })
            .collect();
        wanted.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        for (_, _, tag) in &wanted {
            let primary = tag.split(['-', '_']).next().unwrap_or_default();
            for lang in [tag.as_str(), primary] {
                if let Some(found) = self.bundles.keys().find(|k| k.eq_ignore_ascii_case(lang)) {
                    return found.clone();
                }
            }
        }
        FALLBACK.to_owned()
    }

    /// A message from the layers below ([`Message`]) in `lang`: its id in the
    /// catalogs, with its arguments (numbers grouped for the language, messages
    /// given as arguments in the same language), else its English text.
    #[must_use]
    pub fn message(&self, lang: &str, message: &Message) -> String {
        if !self.has(lang, message.id()) && !self.has(FALLBACK, message.id()) {
            return message.english().to_owned();
        }
        let args: Vec<(&str, Arg)> = message
            .args()
            .iter()
            .map(|(name, value)| {
                let arg = match value {
                    MessageArg::Text(t) => Arg::Text(t.clone()),
                    MessageArg::Number(n) => Arg::Text(format::integer(lang, *n)),
                    MessageArg::Message(m) => Arg::Text(self.message(lang, m)),
                };
                (name.as_str(), arg)
            })
            .collect();
        self.text(lang, message.id(), &args)
    }

    /// Message `key` in `lang` with `args`, else in English, else the key itself.
    #[must_use]
    pub fn text(&self, lang: &str, key: &str, args: &[(&str, Arg)]) -> String {
        for lang in [lang, FALLBACK] {
            let Some(bundle) = self.bundles.get(lang) else { continue };
            let Some(pattern) = bundle.get_message(key).and_then(|m| m.value()) else { continue };
            let mut fluent_args = FluentArgs::new();
            for (name, arg) in args {
                match arg {
                    Arg::Text(s) => fluent_args.set(*name, FluentValue::from(s.as_str())),
                    Arg::Number(n) => fluent_args.set(*name, FluentValue::from(*n)),
                }
            }
            let mut errors = Vec::new();
            return bundle.format_pattern(pattern, Some(&fluent_args), &mut errors).into_owned();
        }
        key.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_catalogs_parse_and_fall_back_to_english() {
        let catalogs = Catalogs::builtin();
        assert_eq!(catalogs.languages(), vec!["de", "en"]);
        assert_eq!(catalogs.text("de", "language-name", &[]), "Deutsch");
        assert_eq!(catalogs.text("fr", "language-name", &[]), "English");
        assert_eq!(catalogs.text("de", "no-such-message", &[]), "no-such-message");
    }
}

#[cfg(test)]
mod template_tests {
    use minijinja::context;

    use crate::Templates;

    #[test]
    fn templates_translate_with_the_context_language_and_escape_the_result() {
        let templates = Templates::new();
        templates
            .set_override("admin/t.html", r#"{{ t("language-name") }}|{{ t("no-such", x=1) }}"#)
            .unwrap();
        let names = ["admin/t.html".to_owned()];
        assert_eq!(templates.render(&names, context! { lang => "de" }).unwrap().0, "Deutsch|no-such");
        assert_eq!(templates.render(&names, context! {}).unwrap().0, "English|no-such");
    }
}
