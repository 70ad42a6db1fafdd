//! An action plugin in its own crate: "Refund invoice" and "Void invoice".
//!
//! A plugin brings its own view of the table it acts on (here [`invoice`], over the
//! application's `invoice` table), its actions, and one `register_action!` per
//! action. The application registers the model under the same slug and calls
//! [`link`]; `Registry::with_registered_actions` then finds the actions, with no
//! other wiring:
//!
//! ```
//! // In the application (the reference app does exactly this in `registry()`):
//! billing_plugin::link();
//! let registry = admin_core::Registry::new()
//!     .register::<billing_plugin::invoice::Model>()
//!     .with_registered_actions()
//!     .expect("action names are unique");
//! let names: Vec<_> = registry.actions_for("invoice").iter().map(|a| a.name()).collect();
//! assert!(names.contains(&"refund_invoice") && names.contains(&"void_invoice"));
//! ```
//!
//! # The linking caveat
//!
//! `register_action!` submits the action to `inventory`, which collects it when the
//! program starts. The linker only keeps a library's code if the program uses
//! something from it, so a plugin crate that the application merely lists in
//! `Cargo.toml` may be dropped, silently, with its actions. Call [`link`] once at
//! start-up (before `with_registered_actions`): it does nothing, but the call keeps
//! the crate, and the registrations beside it, in the program. The registrations
//! sit in this file, next to [`link`], so they land in the same object file.
//!
//! # The model must match the application's
//!
//! The application's model for the slug (`invoice`) is what the screens list; the
//! action loads rows through this crate's model. Keep the same columns, in the same
//! order, so a record shows and audits the same through either.

pub mod actions;
pub mod invoice;

pub use actions::{RefundInvoice, VoidInvoice};

admin_core::register_action!(actions::RefundInvoice);
admin_core::register_action!(actions::VoidInvoice);

/// Keeps this crate's action registrations in the program: call it once at start-up,
/// before `Registry::with_registered_actions`. See the crate docs for why.
#[inline(never)]
pub fn link() {}
