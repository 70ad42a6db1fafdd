//! Who may do what is missing: the roles that grant a permission, and the
//! sentence that sends the person to them ("Ask someone with the finance role.").

use super::permission::{Role, Roles, matches};
use crate::kernel::message::Message;

impl Roles {
    /// The roles that grant `permission`: first those that name it or reach it by
    /// a pattern (`account.*`, `*.view`), by name; then those that grant
    /// everything (`*`), by name. Empty when only a superuser may.
    ///
    /// ```
    /// use admin_core::access::permission::Roles;
    ///
    /// let roles = Roles::new()
    ///     .role("admin", "", &["*"])
    ///     .role("finance", "", &["invoice.action.refund_invoice"])
    ///     .role("viewer", "", &["*.view"]);
    /// let names = |p| roles.granting(p).iter().map(|r| r.name.as_str()).collect::<Vec<_>>();
    /// assert_eq!(names("invoice.action.refund_invoice"), ["finance", "admin"]);
    /// assert_eq!(names("invoice.view"), ["viewer", "admin"]);
    /// assert_eq!(names("audit.view"), ["admin"]);
    /// assert!(Roles::new().granting("audit.view").is_empty());
    /// ```
    #[must_use]
    pub fn granting(&self, permission: &str) -> Vec<&Role> {
        let (mut specific, mut everything) = (Vec::new(), Vec::new());
        for role in self.all() {
            if role.grants.iter().any(|g| g == "*") {
                everything.push(role);
            } else if role.grants.iter().any(|g| matches(g, permission)) {
                specific.push(role);
            }
        }
        specific.append(&mut everything);
        specific
    }

    /// Who to ask for `permission`, in a sentence: the roles that grant it
    /// without granting everything, or else those that grant everything ("Ask
    /// someone with the finance role.", "Ask someone with the support or viewer
    /// role."); "No role can do this; a superuser can." when no role grants it.
    ///
    /// ```
    /// use admin_core::access::permission::Roles;
    ///
    /// let roles = Roles::new().role("admin", "", &["*"]).role("finance", "", &["invoice.*"]);
    /// assert_eq!(roles.who_can("invoice.export"), "Ask someone with the finance role.");
    /// assert_eq!(roles.who_can("account.delete"), "Ask someone with the admin role.");
    /// assert_eq!(Roles::new().who_can("account.delete"), "No role can do this; a superuser can.");
    /// ```
    #[must_use]
    pub fn who_can(&self, permission: &str) -> String {
        self.who_can_among(permission, |_| true)
    }

    /// [`Roles::who_can`] as a translatable message (`who-can-none`,
    /// `who-can-one` with `role`, `who-can-many` with `roles` and `last`).
    #[must_use]
    pub fn who_can_message(&self, permission: &str) -> Message {
        let english = self.who_can(permission);
        let names: Vec<&str> =
            Self::preferred(self.granting(permission)).iter().map(|r| r.name.as_str()).collect();
        match names.as_slice() {
            [] => Message::new("who-can-none", english),
            [one] => Message::new("who-can-one", english).arg("role", *one),
            [rest @ .., last] => {
                Message::new("who-can-many", english).arg("roles", rest.join(", ")).arg("last", *last)
            }
        }
    }

    /// [`Roles::who_can`] among the roles `eligible` keeps (for a field that some
    /// roles may not change although they may change the record).
    #[must_use]
    pub fn who_can_among(&self, permission: &str, eligible: impl Fn(&Role) -> bool) -> String {
        let mut all = self.granting(permission);
        all.retain(|r| eligible(r));
        let names: Vec<&str> = Self::preferred(all).iter().map(|r| r.name.as_str()).collect();
        match names.as_slice() {
            [] => "No role can do this; a superuser can.".to_owned(),
            [one] => format!("Ask someone with the {one} role."),
            [rest @ .., last] => format!("Ask someone with the {} or {last} role.", rest.join(", ")),
        }
    }

    /// How sentences name the people who may do `permission` ("finance"), when
    /// every role [`Roles::who_can`] names declares how it is called
    /// ([`Roles::called`]).
    #[must_use]
    pub fn done_by(&self, permission: &str) -> Option<String> {
        let called: Option<Vec<&str>> =
            self.first_choice(permission).iter().map(|r| r.called.as_deref()).collect();
        match called?.as_slice() {
            [] => None,
            [one] => Some((*one).to_owned()),
            [rest @ .., last] => Some(format!("{} or {last}", rest.join(", "))),
        }
    }

    /// The roles [`Roles::who_can`] names: the specific ones, else those granting everything.
    fn first_choice(&self, permission: &str) -> Vec<&Role> {
        Self::preferred(self.granting(permission))
    }

    /// Of the roles granting a permission, the specific ones, else those granting everything.
    fn preferred(all: Vec<&Role>) -> Vec<&Role> {
        let specific: Vec<&Role> =
            all.iter().copied().filter(|r| !r.grants.iter().any(|g| g == "*")).collect();
        if specific.is_empty() { all } else { specific }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn who_can_names_specific_roles_before_those_granting_everything() {
        let roles = Roles::new()
            .role("admin", "", &["*"])
            .role("support", "", &["account.view", "account.action.mark"])
            .role("viewer", "", &["*.view"])
            .role("auditor", "", &["audit.view"])
            .called("support", "support")
            .called("admin", "an admin");
        assert_eq!(roles.who_can("account.view"), "Ask someone with the support or viewer role.");
        assert_eq!(roles.who_can("account.delete"), "Ask someone with the admin role.");
        // A model pattern does not reach the admin's own permissions.
        assert_eq!(roles.who_can("audit.view"), "Ask someone with the auditor role.");
        assert_eq!(roles.who_can("staff.view"), "Ask someone with the admin role.");
        assert_eq!(roles.done_by("account.action.mark").as_deref(), Some("support"));
        assert_eq!(roles.done_by("account.delete").as_deref(), Some("an admin"));
        // Not every role named has a name for sentences: none is made up.
        assert_eq!(roles.done_by("account.view"), None);
        let three =
            Roles::new().role("a", "", &["x.view"]).role("b", "", &["x.*"]).role("c", "", &["*.view"]);
        assert_eq!(three.who_can("x.view"), "Ask someone with the a, b or c role.");
        assert_eq!(
            Roles::new().role("a", "", &["x.view"]).who_can("x.delete"),
            "No role can do this; a superuser can."
        );
    }
}
