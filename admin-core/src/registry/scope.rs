//! Resolving the roles' row-level scopes ([`crate::access::scope`]) against the
//! registered models: the condition the door adds to every query of a caller, and
//! the mistakes in the declarations, found when the registry is built.

use sea_orm::sea_query::{Alias, Condition, Expr, ExprTrait, Query};

use super::Registry;
use crate::access::Staff;
use crate::access::did_you_mean;
use crate::access::permission::Roles;
use crate::access::scope::{RowScope, Scope};

/// How deep [`Scope::via`] may follow parents (a loop of `via`s is a mistake).
const MAX_DEPTH: usize = 8;

impl Registry {
    /// The rows of `slug` that `staff` sees: the union over their roles that let
    /// them view the model (all their roles when none does) of each role's scopes
    /// on it; [`RowScope::All`] for a superuser or when one of those roles has no
    /// scope on the model. A declaration that does not resolve (the registry was
    /// built without [`super::RegistryBuilder::roles`]) sees nothing: it fails closed.
    #[must_use]
    pub(crate) fn row_scope(&self, staff: &Staff, slug: &str) -> RowScope {
        if staff.is_superuser {
            return RowScope::All;
        }
        let site = staff.permissions.site_roles();
        if site.scopes().is_empty() {
            return RowScope::All;
        }
        let mine: Vec<&str> =
            staff.roles.iter().map(String::as_str).filter(|r| site.get(r).is_some()).collect();
        let view = format!("{slug}.view");
        let viewing: Vec<&str> =
            mine.iter().copied().filter(|r| site.permissions_of(&[(*r).to_owned()]).allows(&view)).collect();
        let contributing = if viewing.is_empty() { mine } else { viewing };
        if contributing.is_empty() {
            return RowScope::nothing();
        }
        let mut any = Condition::any();
        for role in contributing {
            match self.role_condition(site, role, slug, 0) {
                Ok(None) => return RowScope::All,
                Ok(Some(c)) => any = any.add(c),
                Err(mistake) => {
                    tracing::warn!(
                        role,
                        model = slug,
                        mistake,
                        "a row-level scope does not resolve; its role sees none of the model"
                    );
                }
            }
        }
        if any.is_empty() { RowScope::nothing() } else { RowScope::Only(any) }
    }

    /// The condition of `role`'s scopes on `slug` (all must hold), `None` when it
    /// has none, or what is wrong with one.
    fn role_condition(
        &self,
        roles: &Roles,
        role: &str,
        slug: &str,
        depth: usize,
    ) -> Result<Option<Condition>, String> {
        let mut all = Condition::all();
        let mut some = false;
        for scope in roles.scopes_of(role, slug) {
            all = all.add(self.scope_condition(roles, role, slug, scope, depth)?);
            some = true;
        }
        Ok(some.then_some(all))
    }

    /// One scope's condition on the table of `slug`.
    fn scope_condition(
        &self,
        roles: &Roles,
        role: &str,
        slug: &str,
        scope: &Scope,
        depth: usize,
    ) -> Result<Condition, String> {
        let fields = self.fields(slug).ok_or_else(|| {
            format!(
                "the role `{role}` has a scope on `{slug}`, but no model `{slug}` is registered{}: fix the slug (models: {})",
                did_you_mean(slug, self.order.iter().copied()),
                self.order.join(", ")
            )
        })?;
        let meta = fields.meta();
        let name = scope.field();
        let (i, f) = meta.field(name).ok_or_else(|| {
            format!(
                "the role `{role}`'s scope on `{slug}` names the field `{name}`, which `{slug}` does not have{}: fix the name (fields: {})",
                did_you_mean(name, meta.fields.iter().map(|f| f.name)),
                meta.fields.iter().map(|f| f.name).collect::<Vec<_>>().join(", ")
            )
        })?;
        let col = Expr::col((Alias::new(meta.slug), Alias::new(f.column)));
        let parse = |raw: &str| {
            fields.parse_value(i, raw).map_err(|why| {
                format!("the role `{role}`'s scope on `{slug}` compares `{name}` with \u{201c}{raw}\u{201d}, which does not fit the field: {why}")
            })
        };
        Ok(match scope {
            Scope::Eq { value, .. } => Condition::all().add(col.eq(parse(value)?)),
            Scope::In { values, .. } => {
                if values.is_empty() {
                    return Err(format!(
                        "the role `{role}`'s scope on `{slug}` lists no values for `{name}`: give at least one"
                    ));
                }
                let values = values.iter().map(|v| parse(v)).collect::<Result<Vec<_>, _>>()?;
                Condition::all().add(col.is_in(values))
            }
            Scope::Via { parent, .. } => {
                let Some(parent_meta) = self.model(parent) else {
                    return Err(format!(
                        "the role `{role}`'s scope on `{slug}` follows `{name}` to `{parent}`, but no model `{parent}` is registered{}: fix the slug (models: {})",
                        did_you_mean(parent, self.order.iter().copied()),
                        self.order.join(", ")
                    ));
                };
                if let Some(fk) = f.foreign_key
                    && fk != parent.as_str()
                {
                    return Err(format!(
                        "the role `{role}`'s scope on `{slug}` follows `{name}` to `{parent}`, but `{name}` refers to `{fk}`: follow it to `{fk}`"
                    ));
                }
                if depth >= MAX_DEPTH {
                    return Err(format!(
                        "the role `{role}`'s scopes follow parents in a loop through `{slug}`: end the chain with a scope that is not `via`"
                    ));
                }
                let Some(parent_cond) = self.role_condition(roles, role, parent, depth + 1)? else {
                    return Err(format!(
                        "the role `{role}`'s scope on `{slug}` follows `{name}` to `{parent}`, but the role has no scope on `{parent}`: declare one with `.scope(\"{role}\", \"{parent}\", ...)`, or drop this one (the role sees every `{slug}`)"
                    ));
                };
                let pk = parent_meta.pk_field().column;
                let sub = Query::select()
                    .column((Alias::new(parent_meta.slug), Alias::new(pk)))
                    .from(Alias::new(parent_meta.slug))
                    .cond_where(parent_cond)
                    .to_owned();
                Condition::all().add(col.in_subquery(sub))
            }
        })
    }

    /// Every mistake in the roles' scopes: an unknown model or field (with the
    /// closest name), a value that does not fit its field, a `via` to a model the
    /// role has no scope on or that the foreign key does not refer to.
    #[must_use]
    pub(crate) fn scope_mistakes(&self, roles: &Roles) -> Vec<String> {
        let mut out = Vec::new();
        for s in roles.scopes() {
            if let Err(m) = self.scope_condition(roles, &s.role, &s.model, &s.scope, 0)
                && !out.contains(&m)
            {
                out.push(m);
            }
        }
        out
    }
}
