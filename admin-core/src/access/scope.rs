//! Row-level scopes: which rows of a model a role sees. A scope is a filter the
//! door adds to every query it makes for a member of the role: lists, counts,
//! searches, exports, reads of one record, selections, actions and approvals.
//! Records outside it are "no such record", never "blocked".
//!
//! Declared in code with the roles; checked when the registry is built (an
//! unknown model or field is a [`super::ConfigError`] with a "did you mean"):
//!
//! ```
//! use admin_core::access::permission::Roles;
//! use admin_core::access::scope::Scope;
//!
//! let roles = Roles::new()
//!     .role("trials", "Looks after trial accounts", &["account.view", "invoice.view"])
//!     .scope("trials", "account", Scope::eq("plan", "trial"))
//!     // Invoices of the accounts the role sees: `account_id IN (SELECT id FROM
//!     // account WHERE plan = 'trial')`.
//!     .scope("trials", "invoice", Scope::via("account_id", "account"));
//! assert_eq!(roles.scopes_of("trials", "account").count(), 1);
//! ```
//!
//! A staff member with several roles sees the union of what the roles that let
//! them view the model see; a role without a scope on a model sees all of it, and
//! superusers and system callers see everything. Several scopes of one role on one
//! model must all hold. Scopes are per role; to scope one person, give them a role
//! of their own.

use sea_orm::sea_query::{Condition, Expr, ExprTrait};

use super::permission::Roles;

/// Which rows of a model a role sees (see the [module](self)).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    /// `field = value` (the value as a form would give it: `trial`, `42`, `true`).
    Eq {
        /// The field's name.
        field: String,
        /// The value, as text.
        value: String,
    },
    /// `field IN (values…)`.
    In {
        /// The field's name.
        field: String,
        /// The values, as text.
        values: Vec<String>,
    },
    /// The rows whose foreign key `field` points at a row of `parent` that the same
    /// role sees (its scope on `parent`, which it must have).
    Via {
        /// The foreign-key field of this model.
        field: String,
        /// The parent model's slug.
        parent: String,
    },
}

impl Scope {
    /// Rows with `field = value`.
    #[must_use]
    pub fn eq(field: &str, value: &str) -> Self {
        Scope::Eq { field: field.to_owned(), value: value.to_owned() }
    }

    /// Rows whose `field` is one of `values`.
    #[must_use]
    pub fn is_in(field: &str, values: &[&str]) -> Self {
        Scope::In { field: field.to_owned(), values: values.iter().map(|v| (*v).to_owned()).collect() }
    }

    /// Rows whose foreign key `field` points at a row of `parent` the role sees.
    #[must_use]
    pub fn via(field: &str, parent: &str) -> Self {
        Scope::Via { field: field.to_owned(), parent: parent.to_owned() }
    }

    /// The field the scope filters on.
    #[must_use]
    pub fn field(&self) -> &str {
        match self {
            Scope::Eq { field, .. } | Scope::In { field, .. } | Scope::Via { field, .. } => field,
        }
    }
}

/// One declared scope: a role's [`Scope`] on a model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleScope {
    /// The role.
    pub role: String,
    /// The model's slug.
    pub model: String,
    /// The rows it sees.
    pub scope: Scope,
}

/// The rows of one model one caller sees, resolved by the door from their roles'
/// scopes: every row, or those a condition selects (on the model's table, with
/// bound values and sub-queries built by sea-orm's query builder).
#[derive(Clone, Debug, Default, PartialEq)]
pub enum RowScope {
    /// Every row (no scope applies: a superuser, a system caller, or a role without
    /// a scope on the model).
    #[default]
    All,
    /// Only the rows this condition selects.
    Only(Condition),
}

impl RowScope {
    /// No row at all (a scope that could not be resolved: the door fails closed).
    #[must_use]
    pub fn nothing() -> Self {
        RowScope::Only(Condition::all().add(Expr::val(1).eq(0)))
    }

    /// The condition to add to a query, if any.
    #[must_use]
    pub fn condition(&self) -> Option<Condition> {
        match self {
            RowScope::All => None,
            RowScope::Only(c) => Some(c.clone()),
        }
    }

    /// Whether the caller sees every row.
    #[must_use]
    pub fn is_all(&self) -> bool {
        matches!(self, RowScope::All)
    }
}

impl Roles {
    /// Limits what members of `role` see of `model` (its slug) to the rows `scope`
    /// selects, in every query the door makes for them (see [`crate::access::scope`]).
    ///
    /// A `role` that was not declared is a mistake [`Roles::check`] reports; an
    /// unknown model or field, a value that does not fit the field, or a
    /// [`Scope::via`] to a model the role has no scope on is one the registry's
    /// builder reports (`RegistryBuilder::roles`).
    #[must_use]
    pub fn scope(mut self, role: &str, model: &str, scope: Scope) -> Self {
        if self.get(role).is_none() {
            self.note_undeclared("scope", role);
            return self;
        }
        self.push_scope(RoleScope { role: role.to_owned(), model: model.to_owned(), scope });
        self
    }

    /// The scopes `role` has on `model`, in the order declared.
    pub fn scopes_of<'a>(&'a self, role: &'a str, model: &'a str) -> impl Iterator<Item = &'a Scope> + 'a {
        self.scopes().iter().filter(move |s| s.role == role && s.model == model).map(|s| &s.scope)
    }
}
