//! Child models edited on a parent's record page (`#[admin(inlines(...))]`):
//! resolving each child, its foreign key to the parent and its columns, and the
//! mistakes [`super::RegistryBuilder::build`] reports about them.

use std::sync::Arc;

use crate::access::Staff;
use crate::access::did_you_mean;
use crate::access::permission::{FieldAccess, field_access};
use crate::kernel::model::{InlineMeta, ModelMeta};

use super::{ModelAdmin, Registry};

/// One inline child of a parent model, resolved in a registry.
#[derive(Clone)]
pub struct InlineChild {
    /// The declaration on the parent.
    pub inline: &'static InlineMeta,
    /// The child's admin.
    pub(crate) admin: Arc<dyn ModelAdmin>,
    /// The child's foreign key to the parent (an index into its fields).
    pub fk: usize,
    /// The child's fields shown as columns (indexes), before hiding per staff member.
    pub columns: Vec<usize>,
}

impl InlineChild {
    /// The child model's description.
    #[must_use]
    pub fn meta(&self) -> &'static ModelMeta {
        self.admin.meta()
    }

    /// What `staff` may do with field `field` of a child row in the inline table:
    /// on an existing row (`new_row` false) the inline's `readonly` columns and the
    /// foreign key are read-only; on a new row the foreign key is set to the parent
    /// by the door; fields that are not columns are never taken from the form.
    #[must_use]
    pub fn access(&self, staff: &Staff, field: usize, new_row: bool) -> FieldAccess {
        let meta = self.meta();
        let f = &meta.fields[field];
        if field == self.fk {
            return if new_row { FieldAccess::Editable } else { FieldAccess::ReadOnly };
        }
        let access = field_access(staff, meta, f, new_row);
        if access == FieldAccess::Hidden {
            return access;
        }
        if !self.columns.contains(&field) || (!new_row && self.inline.readonly.contains(&f.name)) {
            return FieldAccess::ReadOnly;
        }
        access
    }

    /// [`InlineChild::access`] for every field of the child.
    #[must_use]
    pub fn access_map(&self, staff: &Staff, new_row: bool) -> Vec<FieldAccess> {
        (0..self.meta().fields.len()).map(|i| self.access(staff, i, new_row)).collect()
    }
}

impl Registry {
    /// The inline children of model `slug` that resolve in this registry (the
    /// builder refuses those that do not), in the order declared.
    #[must_use]
    pub fn inlines_of(&self, slug: &str) -> Vec<InlineChild> {
        let Some(parent) = self.models.get(slug) else { return Vec::new() };
        parent.meta().inlines.iter().filter_map(|inline| self.resolve(slug, inline).ok()).collect()
    }

    fn resolve(&self, parent: &str, inline: &'static InlineMeta) -> Result<InlineChild, String> {
        let Some(admin) = self.models.get(inline.model) else {
            return Err(format!(
                "the model `{parent}` lists the inline `{}`, which is not registered{}: register it or fix the name in `inlines(...)`",
                inline.model,
                did_you_mean(inline.model, self.order.iter().copied())
            ));
        };
        let meta = admin.meta();
        let Some(fk) = meta.fields.iter().position(|f| f.foreign_key == Some(parent)) else {
            return Err(format!(
                "the inline `{}` of `{parent}` has no foreign key to `{parent}`: add `#[admin(foreign_key = \"{parent}\")]` to the field of `{}` that holds the {parent}'s key",
                inline.model, inline.model
            ));
        };
        let names: Vec<&str> = meta.fields.iter().map(|f| f.name).collect();
        let mut unknown = Vec::new();
        for name in inline.fields.iter().chain(inline.readonly) {
            if !names.contains(name) {
                unknown.push(format!("`{name}`{}", did_you_mean(name, names.iter().copied())));
            }
        }
        if !unknown.is_empty() {
            return Err(format!(
                "the inline `{}` of `{parent}` names fields it does not have: {} (fields: {})",
                inline.model,
                unknown.join(", "),
                names.join(", ")
            ));
        }
        let columns: Vec<usize> = if inline.fields.is_empty() {
            meta.list_display.iter().copied().filter(|&i| i != fk).collect()
        } else {
            inline
                .fields
                .iter()
                .filter_map(|n| names.iter().position(|m| m == n))
                .filter(|&i| i != fk)
                .collect()
        };
        Ok(InlineChild { inline, admin: Arc::clone(admin), fk, columns })
    }

    /// Every inline that does not resolve: an unknown child, one without a foreign
    /// key to its parent, or a field name the child does not have.
    pub(super) fn inline_mistakes(&self) -> Vec<String> {
        let mut out = Vec::new();
        for slug in &self.order {
            for inline in self.models[slug].meta().inlines {
                out.extend(self.resolve(slug, inline).err());
            }
        }
        out
    }
}
