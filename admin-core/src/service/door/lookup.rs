//! The door's look-ups for foreign keys: the records of the model a field refers
//! to that match a few typed characters, for the form's autocomplete, the list's
//! filter and the pick page that works without JavaScript.
//!
//! A look-up reads the target model through the same path as its list and the
//! global search (`first_rows`: the model's `search` fields, its search index, the
//! caller's hidden fields and any row-level rules applied there), asks for at most
//! [`LOOKUP_LIMIT`] + 1 rows in the model's own order and never counts the table,
//! so it costs the same at a thousand rows and at a million.

use super::prelude::*;

/// Most suggestions a look-up returns.
pub const LOOKUP_LIMIT: u64 = 20;

/// One record a look-up offers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Suggestion {
    /// The record's key (the value the foreign key takes).
    pub key: String,
    /// Its name: [`Record::title`].
    pub text: String,
    /// Its search fields' values the caller may see, to tell similar names apart.
    pub detail: String,
}

/// What a look-up found.
#[derive(Clone, Debug)]
pub struct Suggestions {
    /// The model the field refers to.
    pub target: &'static ModelMeta,
    /// The records, at most the limit asked for.
    pub results: Vec<Suggestion>,
    /// Whether more records match than were returned.
    pub more: bool,
    /// Why the text typed matches nothing (too long, control characters), if so.
    pub message: Option<String>,
}

impl Service {
    /// The model a model's foreign-key field refers to, when the caller may see
    /// the field.
    ///
    /// # Errors
    /// `NotFound` for an unknown model, a field that is not a foreign key or one
    /// hidden from the caller, or a target that is not registered.
    pub fn lookup_target(&self, caller: &Caller, slug: &str, field: &str) -> Result<&'static ModelMeta> {
        let meta = self.model(slug)?;
        let no_such = || {
            Error::NotFound(format!(
                "{} have no field \u{201c}{field}\u{201d} that refers to another model.",
                meta.label_plural
            ))
        };
        let (_, f) = meta.field(field).ok_or_else(no_such)?;
        let target = f.foreign_key.ok_or_else(no_such)?;
        if crate::access::permission::hidden(caller.staff(), f) {
            return Err(no_such());
        }
        self.model(target)
    }

    /// The records of the model `slug`'s foreign key `field` refers to that match
    /// `q` (the target's search; all of them, newest first by its ordering, when
    /// `q` is empty), at most `limit` (capped at [`LOOKUP_LIMIT`]). Text that is a
    /// key puts that record first. Needs `{target}.view`.
    ///
    /// # Errors
    /// As [`Service::lookup_target`]; `Forbidden` without `{target}.view`, in
    /// words ("You cannot view accounts. Ask someone with the support role.").
    pub async fn lookup(
        &self,
        caller: &Caller,
        slug: &str,
        field: &str,
        q: &str,
        limit: u64,
    ) -> Result<Suggestions> {
        let target = self.lookup_target(caller, slug, field)?;
        self.require(caller, target.slug, "view")?;
        let limit = limit.clamp(1, LOOKUP_LIMIT);
        let q = q.trim();
        let pairs = if q.is_empty() { Vec::new() } else { vec![("q".to_owned(), q.to_owned())] };
        let query = self.query(caller, target.slug, &pairs)?;
        let mut results = Vec::new();
        // Typed text that is a key finds that record first.
        if !q.is_empty()
            && crate::kernel::text::is_lookup(q, crate::kernel::text::LOOKUP)
            && let Ok(r) = self.get(caller, target.slug, q).await
        {
            results.push(suggestion(caller, target, &r));
        }
        let (rows, message) = if q.is_empty() || query.q.is_some() && !query.search.is_empty() {
            (self.first_rows(caller, target.slug, &query, limit + 1).await?, None)
        } else {
            // A term the list refuses (too long, control characters) or a model
            // without search fields finds nothing more, and says why.
            let why = if query.search.is_empty() {
                format!("{} cannot be searched by name; type the id.", target.label_plural)
            } else {
                "This text cannot be searched: it is too long or has control characters.".to_owned()
            };
            (Vec::new(), Some(why))
        };
        let mut more = false;
        for r in &rows {
            if results.iter().any(|s| s.key == r.key) {
                continue;
            }
            if results.len() as u64 >= limit {
                more = true;
                break;
            }
            results.push(suggestion(caller, target, r));
        }
        Ok(Suggestions { target, results, more, message })
    }

    /// The name of the record `key` of model `slug` (its [`Record::title`]), when
    /// it exists and the caller may view it: for a foreign key's value shown beside
    /// its id and in a list's filter.
    ///
    /// # Errors
    /// `Db` when the database fails.
    pub async fn lookup_title(&self, caller: &Caller, slug: &str, key: &str) -> Result<Option<String>> {
        let Ok(meta) = self.model(slug) else { return Ok(None) };
        if key.is_empty() || !self.may(caller, slug, "view") {
            return Ok(None);
        }
        match self.get(caller, slug, key).await {
            Ok(r) => Ok(Some(r.title(meta))),
            Err(Error::NotFound(_) | Error::Forbidden(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// A record as a suggestion: its title and the search fields the caller sees.
fn suggestion(caller: &Caller, meta: &'static ModelMeta, r: &Record) -> Suggestion {
    let detail: Vec<String> = meta
        .search
        .iter()
        .filter(|&&i| !crate::access::permission::hidden(caller.staff(), &meta.fields[i]))
        .map(|&i| meta.fields[i].display(&r.cells[i]))
        .filter(|s| !s.is_empty())
        .collect();
    Suggestion { key: r.key.clone(), text: r.title(meta), detail: detail.join(" \u{b7} ") }
}
