//! opsadmin: an ops console for sea-orm entities. One dependency brings the core
//! ([`admin_core`]), the derives and the web screens ([`admin_web`]).
//!
//! ```
//! use opsadmin::field::humanize;
//! assert_eq!(humanize("manual_review"), "Manual review");
//! ```

pub use admin_core::*;
pub use admin_derive::{ActionInput, AdminChoices, AdminModel};
pub use admin_web as web;

#[doc(hidden)]
pub use admin_core::__private;

/// The README's example, compiled as a doc test so it cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
