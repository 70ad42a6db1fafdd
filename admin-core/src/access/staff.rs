//! The acting staff member, as every admin operation sees them.

use crate::access::permission::{Permissions, Roles};
use crate::db::entities::staff_user;
use crate::kernel::error::Denial;

/// The signed-in staff user, as every admin operation sees them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Staff {
    /// The user's id.
    pub id: i64,
    /// The sign-in name.
    pub username: String,
    /// Whether the user holds every permission.
    pub is_superuser: bool,
    /// The user's role names.
    pub roles: Vec<String>,
    /// What the roles grant.
    pub permissions: Permissions,
}

impl Staff {
    /// Whether this user holds `permission` (e.g. `account.change`). This is the one
    /// place a permission is decided.
    #[must_use]
    pub fn may(&self, permission: &str) -> bool {
        self.is_superuser || self.permissions.allows(permission)
    }

    /// The refusal for a missing `permission`: `what` the user cannot do ("You
    /// cannot view the audit log.") and who can ("Ask someone with the admin
    /// role."), with the permission kept apart for developers.
    #[must_use]
    pub fn denial(&self, what: &str, permission: &str) -> Denial {
        Denial::missing(format!("{what} {}", self.permissions.who_can(permission)), permission)
    }

    /// [`Staff::denial`] from a translatable `what` (`denial` with `what` and `who`).
    #[must_use]
    pub fn denial_message(&self, what: crate::kernel::message::Message, permission: &str) -> Denial {
        let who = self.permissions.who_can_message(permission);
        let english = format!("{what} {who}");
        Denial::missing_message(
            crate::kernel::message::Message::new("denial", english).arg("what", what).arg("who", who),
            permission,
        )
    }

    /// The user as the given roles make them.
    #[must_use]
    pub fn from_model(m: &staff_user::Model, roles: &Roles) -> Self {
        let names = role_names(&m.roles);
        Self {
            id: m.id,
            username: m.username.clone(),
            is_superuser: m.is_superuser,
            permissions: roles.permissions_of(&names),
            roles: names,
        }
    }
}

/// Splits the stored comma-separated role list.
#[must_use]
pub fn role_names(stored: &str) -> Vec<String> {
    stored.split(',').map(str::trim).filter(|r| !r.is_empty()).map(String::from).collect()
}
