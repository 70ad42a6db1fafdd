//! The permission-checked operations every caller uses: the screens, an API or a
//! script. Each one checks the staff user's permission first, then does the work in
//! one transaction (where the audit entry is written too).

mod actions;
mod batch;
mod caller;
mod door;
mod inlines;
pub(crate) mod list_edit;
mod records;
mod restore;
mod undo;
mod write;

pub use caller::Caller;
pub use door::{
    AUDIT_REFUSED, EFFECTS_MANAGE_REFUSED, EFFECTS_REFUSED, EXPORT_JOB_LIMIT, EXPORT_PAGE, Gauges, Health,
    JOBS_MANAGE_REFUSED, JobRequest, JobStarted, LOOKUP_LIMIT, Pages, RESTORE_WINDOW_DAYS, Service,
    Suggestion, Suggestions, TileCount, TileLink, WORKER_SILENCE,
};
pub use restore::{FieldRestore, RestorePlan};
pub use undo::{FieldBack, RecordBack, UndoPlan, UndoPreview};
pub use write::AuditedWrite;

pub use actions::{ActionRequest, ActionResult};
pub(crate) use actions::{action_for, action_preview, preview_of, run_action};
pub(crate) use batch::{check_batch_size, check_job_size};
pub use inlines::{InlineRows, InlineSave, row_prefix};
pub(crate) use inlines::{inline_rows, update_with_inlines};
pub use list_edit::{FieldChange, LIST_EDIT_MAX, ListEditReview, RowEdit, RowReview, RowState};
pub use records::{DeletePlan, EXPORT_LIMIT, RelatedRows};
pub(crate) use records::{
    actor, create, delete, export, first_rows, get, list, list_keys, plan_delete, reason_check, reason_error,
    related, update,
};

use crate::access::Staff;
use crate::kernel::error::{Denial, Error, Result};
use crate::kernel::record::Record;
use crate::registry::ModelAdmin;

/// The permission string for an operation on a model: `account.change`.
#[must_use]
pub fn permission(slug: &str, op: &str) -> String {
    format!("{slug}.{op}")
}

/// Refuses unless `staff` holds `{slug}.{op}`, with a sentence saying who can.
///
/// # Errors
/// `Forbidden` when the permission is missing.
pub(crate) fn require(staff: &Staff, admin: &dyn ModelAdmin, op: &str) -> Result<()> {
    let meta = admin.meta();
    let perm = permission(meta.slug, op);
    if staff.may(&perm) {
        return Ok(());
    }
    Err(Error::Forbidden(Denial::missing_message(
        refusal_message(staff, meta.slug, &meta.noun_plural(), op),
        perm,
    )))
}

/// [`refusal`] as a translatable message: `refusal-view-only` or `refusal-cannot`,
/// with `noun` (the model's plural), `op` (`view`, `change`, `delete`, ...: the
/// catalogs select their verb on it), `verb` (the English one) and `who` ([`crate::access::permission::Roles::who_can_message`]).
#[must_use]
pub fn refusal_message(staff: &Staff, slug: &str, noun: &str, op: &str) -> crate::kernel::message::Message {
    let who = staff.permissions.who_can_message(&permission(slug, op));
    let id = if op != "view" && staff.may(&permission(slug, "view")) {
        "refusal-view-only"
    } else {
        "refusal-cannot"
    };
    crate::kernel::message::Message::new(id, refusal(staff, slug, noun, op))
        .arg("noun", noun)
        .arg("model", slug)
        .arg("op", op)
        .arg("verb", op.replace('_', " "))
        .arg("who", who)
}

/// The sentence for a missing permission, naming the roles that grant it (not the
/// permission): "You can view accounts but not delete them. Ask someone with the
/// admin role."
#[must_use]
pub fn refusal(staff: &Staff, slug: &str, noun: &str, op: &str) -> String {
    let who = staff.permissions.who_can(&permission(slug, op));
    let verb = op.replace('_', " ");
    if op != "view" && staff.may(&permission(slug, "view")) {
        format!("You can view {noun} but not {verb} them. {who}")
    } else {
        format!("You cannot {verb} {noun}. {who}")
    }
}

/// Blanks the cells of fields hidden from `staff`, so they cannot leak through any
/// screen that forgets to skip them.
pub(crate) fn mask(staff: &Staff, admin: &dyn ModelAdmin, record: &mut Record) {
    for (f, cell) in admin.meta().fields.iter().zip(record.cells.iter_mut()) {
        if crate::access::permission::hidden(staff, f) {
            *cell = crate::kernel::field::Cell::Null;
        }
    }
}

pub(crate) fn not_found(admin: &dyn ModelAdmin, key: &str) -> Error {
    let meta = admin.meta();
    Error::NotFound(format!(
        "There is no {} with {} {}.",
        meta.label.to_lowercase(),
        meta.pk_field().name,
        key
    ))
}
