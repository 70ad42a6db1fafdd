//! How actions are found at start-up: [`crate::register_action!`] submits an
//! [`ActionRegistration`] to the `inventory` of every linked crate.

use super::DynAction;

/// How an action is found at start-up: plugins `inventory::submit!` one of these
/// through [`crate::register_action!`].
pub struct ActionRegistration {
    /// Builds the action.
    pub make: fn() -> Box<dyn DynAction>,
    /// The package that registered it (`billing-plugin`), which
    /// `RegistryBuilder::expect_plugin` looks for.
    pub package: &'static str,
}

inventory::collect!(ActionRegistration);

/// Every action registered with [`crate::register_action!`] in any crate linked
/// into the program.
pub fn registered() -> impl Iterator<Item = Box<dyn DynAction>> {
    inventory::iter::<ActionRegistration>.into_iter().map(|r| (r.make)())
}

/// [`registered`], each with the package that registered it.
pub fn registered_by_package() -> impl Iterator<Item = (&'static str, Box<dyn DynAction>)> {
    inventory::iter::<ActionRegistration>.into_iter().map(|r| (r.package, (r.make)()))
}

/// Registers an action type (which implements [`Action`](crate::action::Action) and `Default`) so the
/// admin finds it at start-up, from any crate.
///
/// A plugin crate's registrations survive linking only if the application uses
/// something of the crate: call a function of it, or write `use my_plugin as _;`
/// and reference one item, as the reference app does with `billing_plugin::link()`.
#[macro_export]
macro_rules! register_action {
    ($action:ty) => {
        $crate::__private::inventory::submit! {
            $crate::action::ActionRegistration {
                make: || ::std::boxed::Box::new($crate::action::ActionAdmin::<$action>::new(
                    <$action as ::core::default::Default>::default(),
                )),
                package: ::core::env!("CARGO_PKG_NAME"),
            }
        }
    };
}
