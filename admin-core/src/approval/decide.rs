//! Deciding approval requests: who may, and the decision itself.

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait,
    QuerySelect,
};

use super::request;
use crate::access::Staff;
use crate::audit::{self, Context};
use crate::db::txn::begin_write;
use crate::kernel::clock::now;
use crate::kernel::error::{Error, FieldError, Result};
use crate::registry::Registry;

/// The permission that may decide a request, from its action's policy.
///
/// # Errors
/// `NotFound` when the action no longer exists.
pub fn decide_permission(registry: &Registry, r: &request::Model) -> Result<&'static str> {
    registry
        .action_named(&r.model, &r.action)
        .map(|a| a.policy().approval_permission)
        .ok_or_else(|| Error::NotFound(format!("The action \u{201c}{}\u{201d} no longer exists.", r.action)))
}

/// Whether `staff` may decide some requests: `approvals.decide`, or the approval
/// permission of a registered action. Such users see every request.
#[must_use]
pub fn may_decide_any(staff: &Staff, registry: &Registry) -> bool {
    staff.may("approvals.decide")
        || registry.models().any(|m| {
            registry
                .actions_for(m.meta().slug)
                .iter()
                .any(|a| a.policy().approval && staff.may(a.policy().approval_permission))
        })
}

/// Whether the approval queue is of any use to `staff`: they may decide requests
/// ([`may_decide_any`]), or may run at least one registered action, and so may have
/// asked for approval themselves (and see their own requests). Anyone else, such as
/// a viewer, is not shown the queue.
#[must_use]
pub fn may_see_queue(staff: &Staff, registry: &Registry) -> bool {
    may_decide_any(staff, registry)
        || registry.models().any(|m| {
            let slug = m.meta().slug;
            registry.actions_for(slug).iter().any(|a| staff.may(&format!("{slug}.action.{}", a.name())))
        })
}

/// Who may see the approval queue, in a sentence for those who may not; the
/// refusal adds who decides requests ([`crate::access::Staff::denial`] for
/// `approvals.decide`).
pub const QUEUE_REFUSED: &str =
    "The approval queue is for staff who may run actions or decide approval requests.";

/// Whether `staff` may decide `r`: holds the permission and did not ask for it.
#[must_use]
pub fn may_decide(staff: &Staff, registry: &Registry, r: &request::Model) -> bool {
    decide_permission(registry, r).is_ok_and(|p| staff.may(p))
        && staff.id != r.requester_id
        && r.status == "pending"
}

/// Approves or rejects a pending request, with a note (required to reject). The
/// requester can never decide their own request, even as a superuser.
///
/// # Errors
/// `Forbidden` without the permission or for one's own request; `Refused` when it
/// is no longer pending; `Invalid` when a rejection has no note.
pub async fn decide(
    db: &DatabaseConnection,
    ctx: &Context,
    registry: &Registry,
    id: i64,
    approve: bool,
    note: Option<&str>,
) -> Result<request::Model> {
    let actor = ctx.actor.as_ref().ok_or(Error::Unauthenticated)?;
    let note = note.map(str::trim).filter(|n| !n.is_empty());
    if let Some(n) = note
        && let Err(m) = crate::kernel::text::check_named(
            "The note",
            n,
            crate::kernel::text::NOTE,
            crate::kernel::text::Lines::Many,
        )
    {
        return Err(Error::Invalid(vec![FieldError::field("note", m)]));
    }
    if !approve && note.is_none() {
        return Err(Error::Invalid(vec![FieldError::field(
            "note",
            "Say why you reject it: the requester reads this.",
        )]));
    }
    let txn = begin_write(db).await?;
    let mut q = request::Entity::find_by_id(id);
    if txn.get_database_backend() == DbBackend::Postgres {
        q = q.lock_exclusive();
    }
    let r =
        q.one(&txn).await?.ok_or_else(|| Error::NotFound(format!("There is no approval request {id}.")))?;
    let perm = decide_permission(registry, &r)?;
    if !actor.may(perm) {
        return Err(Error::Forbidden(
            actor.denial("You cannot decide approval requests for this action.", perm),
        ));
    }
    if r.requester_id == actor.id {
        return Err(Error::Forbidden(
            "You asked for this yourself, so someone else must approve or reject it.".into(),
        ));
    }
    if r.status != "pending" {
        return Err(Error::Refused(format!(
            "Request {id} was already {} by {}; nothing was changed.",
            r.status,
            r.decided_by.as_deref().unwrap_or("someone")
        )));
    }
    let status = if approve { "approved" } else { "rejected" };
    let mut am: request::ActiveModel = r.clone().into();
    am.status = Set(status.to_owned());
    am.decided_by = Set(Some(actor.username.clone()));
    am.decided_by_id = Set(Some(actor.id));
    am.decided_at = Set(Some(now()));
    am.decision_note = Set(note.map(str::to_owned));
    am.next_attempt_at = Set(approve.then(now));
    if !approve {
        am.finished_at = Set(Some(now()));
    }
    let saved = am.update(&txn).await?;
    let key = id.to_string();
    let mut actx = ctx.clone();
    actx.reason = note.map(str::to_owned);
    let changes = serde_json::json!({ "status": ["pending", status] });
    audit::record(
        &txn,
        &actx,
        audit::Event {
            kind: if approve { "approve" } else { "reject" },
            model: Some("approval"),
            object_id: Some(&key),
            changes,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(saved)
}
