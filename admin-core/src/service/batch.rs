//! How many records a request may name: one run's batch, or a background job's.

use crate::kernel::error::{Error, Result};

/// Refuses keys that cannot be ids, an empty selection, and one past the batch.
pub(crate) fn check_batch(action: &dyn crate::action::DynAction, keys: &[String]) -> Result<()> {
    check_keys(action, keys)?;
    check_batch_size(action, keys.len() as u64)
}

/// Refuses keys that cannot be ids, and an empty selection.
pub(crate) fn check_keys(action: &dyn crate::action::DynAction, keys: &[String]) -> Result<()> {
    let noun = action.model().noun_plural();
    // A key longer than any id, or with control characters, names no record.
    if keys.iter().any(|k| !crate::kernel::text::is_lookup(k, crate::kernel::text::LOOKUP)) {
        return Err(Error::Invalid(vec![crate::kernel::error::FieldError::field(
            "ids",
            format!(
                "One of the selected ids is not an id of the {noun}: it is longer than {} characters or has invisible control characters. Nothing was changed.",
                crate::kernel::text::LOOKUP
            ),
        )]));
    }
    if keys.is_empty() {
        return Err(Error::Invalid(vec![crate::kernel::error::FieldError::field(
            "ids",
            format!("Select at least one of the {noun} first."),
        )]));
    }
    Ok(())
}

/// Refuses a background job of `selected` records past the action's
/// [`crate::action::Policy::max_job`].
pub(crate) fn check_job_size(action: &dyn crate::action::DynAction, selected: u64) -> Result<()> {
    let label = action.label();
    past(action, selected, action.policy().max_job, |max| {
        format!("a background job of \u{201c}{label}\u{201d} takes at most {max}")
    })
}

/// Refuses `selected` records past the action's batch limit, saying how many were
/// selected (the screens pass the count of a whole "all matching" selection, of
/// which they fetch only one key past the limit).
pub(crate) fn check_batch_size(action: &dyn crate::action::DynAction, selected: u64) -> Result<()> {
    let label = action.label();
    past(action, selected, action.policy().max_batch, |max| {
        format!("\u{201c}{label}\u{201d} takes at most {max} at a time")
    })
}

/// "You selected 527 accounts; {limit}. Narrow the selection and try again." past
/// `max`.
fn past(
    action: &dyn crate::action::DynAction,
    selected: u64,
    max: usize,
    limit: impl FnOnce(String) -> String,
) -> Result<()> {
    if selected <= max as u64 {
        return Ok(());
    }
    Err(Error::Refused(format!(
        "You selected {} {}; {}. Narrow the selection and try again.",
        crate::kernel::model::thousands(selected),
        action.model().noun_plural(),
        limit(crate::kernel::model::thousands(max as u64))
    )))
}
