//! The bottom layer: what every other layer needs and nothing else. Errors, the
//! limits on text, field kinds and their parsing, a model's metadata, a record, an
//! effect to carry out after commit, and the clock. It imports nothing from the rest of the crate.

pub mod clock;
pub mod csv_text;
pub mod display;
pub mod effect;
pub mod error;
pub mod field;
pub mod form;
pub mod message;
pub mod metrics;
pub mod model;
pub mod record;
pub mod text;

use std::future::Future;
use std::pin::Pin;

/// A boxed, sendable future, as returned by the object-safe traits
/// (`registry::ModelAdmin`, `action::DynAction`).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What a save changed: `(field index, before, after)` for every changed field.
pub type Changes = Vec<(usize, field::Cell, field::Cell)>;

/// The fields whose cells differ between `before` and `after` (a record's cells,
/// in field order), with both values.
#[must_use]
pub fn changes(before: &[field::Cell], after: &[field::Cell]) -> Changes {
    before
        .iter()
        .zip(after)
        .enumerate()
        .filter(|(_, (b, a))| b != a)
        .map(|(i, (b, a))| (i, b.clone(), a.clone()))
        .collect()
}
