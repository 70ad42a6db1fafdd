//! The rule that some changes need a reason, kept in the record's history.

/// The check an update runs on its changes: a change to a field (or model) that
/// requires a reason is refused when the caller gave none.
pub(crate) fn reason_check(
    ctx: &super::Context,
    meta: &'static crate::kernel::model::ModelMeta,
) -> impl Fn(&crate::kernel::Changes) -> crate::kernel::error::Result<()> + Send + Sync + use<> {
    let has_reason = ctx.reason.is_some();
    move |changes: &crate::kernel::Changes| -> crate::kernel::error::Result<()> {
        if has_reason {
            return Ok(());
        }
        let needs: Vec<&str> = changes
            .iter()
            .map(|(i, _, _)| &meta.fields[*i])
            .filter(|f| meta.reason_required || f.reason_required)
            .map(|f| f.label)
            .collect();
        if needs.is_empty() {
            Ok(())
        } else {
            Err(crate::kernel::error::Error::Invalid(vec![crate::kernel::error::FieldError::field(
                "_reason",
                format!(
                    "Say why you are changing {}: the reason is kept in the record's history.",
                    crate::kernel::text::join_and(
                        &needs.iter().map(|s| s.to_lowercase()).collect::<Vec<_>>()
                    )
                ),
            )]))
        }
    }
}
