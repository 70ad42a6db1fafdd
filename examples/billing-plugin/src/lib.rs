//! An action plugin in its own crate: "Refund invoice" and "Void invoice", on the
//! application's own invoice model.
//!
//! The plugin has no copy of the entity it acts on. Its actions are generic over
//! the application's model and reach it through `AdminModel`, which
//! `#[derive(AdminModel)]` implements: they read and write the fields by name
//! ([`invoice`]: `number`, `status`, `amount_cents`, `currency`). The application
//! adds them with one call, naming its model:
//!
//! ```ignore
//! let registry = opsadmin::Registry::builder()
//!     .register::<invoice::Model>()
//!     .plugin(billing_plugin::plugin::<invoice::Model>())
//!     .build()?;
//! ```
//!
//! [`plugin`] checks that the model has what the actions need (the four fields,
//! with these types, and the six statuses among the status field's choices);
//! anything missing makes `build` fail with the plugin's name and the fix, at
//! start-up. Nothing is collected at link time, so there is no `link()` to forget.
//! The workspace's tests run both actions on the reference app's invoices.

pub mod actions;
pub mod invoice;

use admin_core::AdminModel;
use admin_core::kernel::model::{ActiveModelOf, EntityOf};
use admin_core::registry::Plugin;
use sea_orm::EntityTrait;

pub use actions::{RefundInvoice, VoidInvoice};

/// The plugin's name in configuration errors: its package name.
pub const NAME: &str = env!("CARGO_PKG_NAME");

/// The billing actions on the application's invoice model `M`, for
/// `RegistryBuilder::plugin`; with a mistake for each thing `M` lacks.
#[must_use]
pub fn plugin<M>() -> Plugin
where
    M: AdminModel,
    EntityOf<M>: EntityTrait<Model = M>,
    ActiveModelOf<M>: Send + Sync,
{
    invoice::check::<M>()
        .into_iter()
        .fold(Plugin::new(NAME), Plugin::mistake)
        .action(RefundInvoice::<M>::default())
        .action(VoidInvoice::<M>::default())
}
