//! Permissions and roles.
//!
//! A permission is a string: `{model}.view`, `{model}.add`, `{model}.change`,
//! `{model}.delete`, `{model}.export`, `{model}.action.{action}`, `approvals.decide`,
//! `audit.view`, `staff.view`, `staff.change`. A role is a named set of grants,
//! declared in code; a grant is a permission or a pattern with `*` for one part
//! (`account.*`, `*.view`, `*`). Staff users have roles (stored in the database), and
//! superusers hold every permission.
//!
//! The admin's own permissions (the namespaces in [`RESERVED`]: `staff`, `audit`,
//! `approvals`, `effects`) are not granted by a pattern over models such as `*.view`: only by
//! naming them (`audit.view`, `staff.*`) or by the full grant `*`.
//!
//! ```
//! use admin_core::access::permission::Roles;
//!
//! let roles = Roles::new()
//!     .role("support", "Answers customers", &["account.view", "invoice.view", "account.action.mark_for_review"])
//!     .role("viewer", "Reads every model", &["*.view"]);
//! let perms = roles.permissions_of(&["support".to_owned()]);
//! assert!(perms.allows("account.view"));
//! assert!(!perms.allows("account.change"));
//! let viewer = roles.permissions_of(&["viewer".to_owned()]);
//! assert!(viewer.allows("email_job.view"));
//! // Who the staff are and what they did is not a model's data.
//! assert!(!viewer.allows("staff.view") && !viewer.allows("audit.view"));
//! ```

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::access::Staff;
use crate::kernel::model::{FieldMeta, ModelMeta};

/// One role: a name, what it is for, what it grants, and whether its members must
/// sign in with a second factor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Role {
    /// The role's name, as stored on staff users (`support`).
    pub name: String,
    /// What the role is for, shown on the staff screens.
    pub description: String,
    /// Permissions and patterns it grants.
    pub grants: Vec<String>,
    /// Members must use two-factor sign-in.
    pub requires_two_factor: bool,
    /// How sentences name the people who hold the role ("finance", "an admin"), as
    /// in "that is done by finance"; `None`: sentences name only the role.
    pub called: Option<String>,
}

/// The roles of an admin site, declared in code.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Roles {
    roles: Arc<BTreeMap<String, Role>>,
    limits: Vec<super::limit::RoleLimit>,
    /// Row-level scopes declared with [`Roles::scope`].
    scopes: Vec<super::scope::RoleScope>,
    /// Declarations that named an undeclared role, reported by [`Roles::check`].
    mistakes: Vec<String>,
}

impl Roles {
    /// No roles: only superusers may do anything.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) a role.
    #[must_use]
    pub fn role(mut self, name: &str, description: &str, grants: &[&str]) -> Self {
        Arc::make_mut(&mut self.roles).insert(
            name.to_owned(),
            Role {
                name: name.to_owned(),
                description: description.to_owned(),
                grants: grants.iter().map(|g| (*g).to_owned()).collect(),
                requires_two_factor: false,
                called: None,
            },
        );
        self
    }

    /// Names the people who hold `name` in sentences: with `called("finance",
    /// "finance")` a refused refund reads "You cannot run “Refund invoice” on
    /// invoices: that is done by finance. Ask someone with the finance role."
    ///
    /// A `name` that was not declared is a mistake [`Roles::check`] reports.
    #[must_use]
    pub fn called(mut self, name: &str, words: &str) -> Self {
        match Arc::make_mut(&mut self.roles).get_mut(name) {
            Some(role) => role.called = Some(words.to_owned()),
            None => self.note_undeclared("called", name),
        }
        self
    }

    /// Requires members of `name` to sign in with a second factor.
    ///
    /// A `name` that was not declared is a mistake [`Roles::check`] reports (a
    /// typo here would silently weaken sign-in, so start-up stops).
    #[must_use]
    pub fn require_two_factor(mut self, name: &str) -> Self {
        match Arc::make_mut(&mut self.roles).get_mut(name) {
            Some(role) => role.requires_two_factor = true,
            None => self.note_undeclared("require_two_factor", name),
        }
        self
    }

    /// Remembers that `method` named the undeclared role `name`.
    pub(super) fn note_undeclared(&mut self, method: &str, name: &str) {
        let mistake = format!(
            "Roles::{method} names the role `{name}`, which is not declared{}; declare it with `.role(\"{name}\", ...)` before this call, or fix the name (declared: {})",
            super::did_you_mean(name, self.roles.keys().map(String::as_str)),
            self.declared_list()
        );
        self.mistakes.push(mistake);
    }

    fn declared_list(&self) -> String {
        let declared: Vec<&str> = self.roles.keys().map(String::as_str).collect();
        if declared.is_empty() { "none".to_owned() } else { declared.join(", ") }
    }

    /// Every mistake in these roles and in how `models` use them: roles named by
    /// [`Roles::called`], [`Roles::require_two_factor`] or [`Roles::limit`] before
    /// (or without) being declared, and field rules (`hidden_for`, `readonly_for`)
    /// naming a role that is not declared. Start-up stops on any of them, with
    /// this error (`RegistryBuilder::roles`).
    ///
    /// # Errors
    /// One sentence per mistake, with the closest declared role when there is one.
    pub fn check(&self, models: &[&ModelMeta]) -> Result<(), super::ConfigError> {
        let mistakes = self.undeclared_in(models);
        if mistakes.is_empty() { Ok(()) } else { Err(super::ConfigError { mistakes }) }
    }

    /// The mistakes of [`Roles::check`], one sentence each: a misspelt role in
    /// `hidden_for` would leave the field visible to the role meant, so
    /// `RegistryBuilder::roles` and `AdminState::with_roles` refuse to start with any.
    #[must_use]
    pub fn undeclared_in(&self, models: &[&ModelMeta]) -> Vec<String> {
        let mut problems = self.mistakes.clone();
        for &meta in models {
            for f in meta.fields {
                for (rule, names) in [("hidden_for", f.hidden_for), ("readonly_for", f.readonly_for)] {
                    for name in names.iter().filter(|n| !self.roles.contains_key(**n)) {
                        problems.push(format!(
                            "{}.{}: {rule} names the role `{name}`, which is not declared{}; declare the role in your `Roles`, or fix the name in #[admin({rule}(...))] (declared: {})",
                            meta.slug,
                            f.name,
                            super::did_you_mean(name, self.roles.keys().map(String::as_str)),
                            self.declared_list()
                        ));
                    }
                }
            }
        }
        problems
    }

    /// A declared role.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&Role> {
        self.roles.get(name)
    }

    /// Every limit declared with [`Roles::limit`], in the order declared.
    #[must_use]
    pub fn limits(&self) -> &[super::limit::RoleLimit] {
        &self.limits
    }

    /// Every row-level scope declared with [`Roles::scope`], in the order declared.
    #[must_use]
    pub fn scopes(&self) -> &[super::scope::RoleScope] {
        &self.scopes
    }

    pub(super) fn push_scope(&mut self, scope: super::scope::RoleScope) {
        self.scopes.push(scope);
    }

    pub(super) fn push_limit(&mut self, limit: super::limit::RoleLimit) {
        self.limits.push(limit);
    }

    /// Every declared role, by name.
    pub fn all(&self) -> impl Iterator<Item = &Role> {
        self.roles.values()
    }

    /// The permissions held through `roles` (unknown role names grant nothing).
    #[must_use]
    pub fn permissions_of(&self, roles: &[String]) -> Permissions {
        let mut grants: Vec<String> =
            roles.iter().filter_map(|r| self.roles.get(r)).flat_map(|r| r.grants.iter().cloned()).collect();
        grants.sort();
        grants.dedup();
        Permissions { grants: Arc::from(grants), site: self.clone() }
    }

    /// Whether any of `roles` requires a second factor.
    #[must_use]
    pub fn two_factor_required(&self, roles: &[String]) -> bool {
        roles.iter().filter_map(|r| self.roles.get(r)).any(|r| r.requires_two_factor)
    }
}

/// A resolved set of grants, with the site's roles so a refusal can say who
/// holds what is missing ([`Permissions::who_can`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Permissions {
    grants: Arc<[String]>,
    site: Roles,
}

impl Permissions {
    /// Whether `permission` is granted, directly or by a pattern.
    #[must_use]
    pub fn allows(&self, permission: &str) -> bool {
        self.grants.iter().any(|g| matches(g, permission))
    }

    /// The grants, sorted.
    #[must_use]
    pub fn grants(&self) -> &[String] {
        &self.grants
    }

    /// The site's roles these permissions were resolved with.
    #[must_use]
    pub fn site_roles(&self) -> &Roles {
        &self.site
    }

    /// Who to ask for `permission` ([`Roles::who_can`] of the site's roles).
    #[must_use]
    pub fn who_can(&self, permission: &str) -> String {
        self.site.who_can(permission)
    }

    /// Who to ask for `permission`, as a translatable message ([`Roles::who_can_message`]).
    #[must_use]
    pub fn who_can_message(&self, permission: &str) -> crate::kernel::message::Message {
        self.site.who_can_message(permission)
    }
}

/// The namespaces of the admin's own permissions: staff users (`staff.view`,
/// `staff.change`), the audit log (`audit.view`), approvals (`approvals.decide`) and
/// effects (`effects.view`, `effects.manage`: retry or give up a failed one) and
/// background jobs (`jobs.view`: everyone's; `jobs.manage`: pause, resume or
/// cancel anyone's).
/// A pattern over models (`*.view`, `*.change`) does not reach them; a grant must
/// name them (`audit.view`, `staff.*`), or be the full grant `*`.
pub const RESERVED: &[&str] = &["staff", "audit", "approvals", "effects", "jobs"];

/// `*` matches everything; `a.*` matches `a.` and anything after it; `*.view`
/// matches one leading part that is not [`RESERVED`]; otherwise the grant must
/// equal the permission.
pub(super) fn matches(grant: &str, permission: &str) -> bool {
    if grant == "*" || grant == permission {
        return true;
    }
    if let Some(prefix) = grant.strip_suffix(".*") {
        return permission.strip_prefix(prefix).is_some_and(|rest| rest.starts_with('.'));
    }
    if let Some(suffix) = grant.strip_prefix("*.") {
        return permission
            .split_once('.')
            .is_some_and(|(namespace, rest)| rest == suffix && !RESERVED.contains(&namespace));
    }
    false
}

/// What a user may do with one field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldAccess {
    /// The field does not exist for this user: not listed, shown, filtered,
    /// searched, exported, or in history.
    Hidden,
    /// Shown as text; ignored when posted.
    ReadOnly,
    /// Shown as a form control and saved when posted.
    Editable,
}

/// Whether every one of the user's roles is in `listed` (so no role lifts the rule).
fn all_roles_in(staff: &Staff, listed: &[&str]) -> bool {
    !listed.is_empty() && !staff.is_superuser && staff.roles.iter().all(|r| listed.contains(&r.as_str()))
}

/// The user's access to one field, for editing an existing record (`creating` false)
/// or a new one.
#[must_use]
pub fn field_access(staff: &Staff, meta: &ModelMeta, field: &FieldMeta, creating: bool) -> FieldAccess {
    if all_roles_in(staff, field.hidden_for) {
        return FieldAccess::Hidden;
    }
    let op = if creating { "add" } else { "change" };
    let structural = if field.primary_key { !creating || field.auto_increment } else { field.readonly };
    if structural || all_roles_in(staff, field.readonly_for) || !staff.may(&format!("{}.{op}", meta.slug)) {
        FieldAccess::ReadOnly
    } else {
        FieldAccess::Editable
    }
}

/// Why `staff` sees a field but may not change it, when a role rule is why
/// (`readonly_for` names every role they have), with who can: "Read-only for
/// your role. Ask someone with the admin role." `None` for a field they may
/// change, a hidden one, one nobody changes (a key, a read-only field), or when
/// they may not change the record at all (the page says that once, with
/// the door's `refusal`).
#[must_use]
pub fn read_only_reason(
    staff: &Staff,
    meta: &ModelMeta,
    field: &FieldMeta,
    creating: bool,
) -> Option<String> {
    let op = if creating { "add" } else { "change" };
    let perm = format!("{}.{op}", meta.slug);
    let structural = if field.primary_key { !creating || field.auto_increment } else { field.readonly };
    if structural || all_roles_in(staff, field.hidden_for) || !staff.may(&perm) {
        return None;
    }
    if !all_roles_in(staff, field.readonly_for) {
        return None;
    }
    let who = staff
        .permissions
        .site_roles()
        .who_can_among(&perm, |r| !field.readonly_for.contains(&r.name.as_str()));
    Some(format!("Read-only for your role. {who}"))
}

/// The access to every field of a model, in field order.
#[must_use]
pub fn access_map(staff: &Staff, meta: &ModelMeta, creating: bool) -> Vec<FieldAccess> {
    meta.fields.iter().map(|f| field_access(staff, meta, f, creating)).collect()
}

/// Whether the field is hidden from this user.
#[must_use]
pub fn hidden(staff: &Staff, field: &FieldMeta) -> bool {
    all_roles_in(staff, field.hidden_for)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_one_part() {
        assert!(matches("*", "account.view"));
        assert!(matches("account.*", "account.action.lock"));
        assert!(matches("account.*", "account.view"));
        assert!(!matches("account.*", "accounting.view"));
        assert!(matches("*.view", "invoice.view"));
        assert!(!matches("*.view", "invoice.action.view"));
        assert!(!matches("account.view", "account.change"));
    }

    #[test]
    fn model_patterns_do_not_reach_the_admins_own_permissions() {
        for p in ["staff.view", "staff.change", "audit.view", "approvals.decide"] {
            assert!(!matches("*.view", p) && !matches("*.change", p) && !matches("*.decide", p), "{p}");
            assert!(matches("*", p), "{p}");
        }
        assert!(matches("staff.*", "staff.change"));
        assert!(matches("audit.*", "audit.view"));
        assert!(matches("audit.view", "audit.view"));
        assert!(!matches("staff.*", "audit.view"));
    }

    #[test]
    fn unknown_roles_grant_nothing_and_roles_combine() {
        let roles = Roles::new().role("a", "", &["x.view"]).role("b", "", &["y.view"]);
        assert!(!roles.permissions_of(&["nope".into()]).allows("x.view"));
        let both = roles.permissions_of(&["a".into(), "b".into()]);
        assert!(both.allows("x.view") && both.allows("y.view"));
    }
}
