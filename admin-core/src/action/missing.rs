//! The sentence for selected ids that name no record.

use crate::kernel::model::ModelMeta;

/// "There is no invoice with the id 7 or 9; nothing was queued for approval.",
/// naming at most five ids.
pub(super) fn missing_sentence(meta: &ModelMeta, missing: &[String]) -> String {
    const NAMED: usize = 5;
    let mut ids: Vec<String> = missing.iter().take(NAMED).map(|k| format!("\u{201c}{k}\u{201d}")).collect();
    if missing.len() > NAMED {
        ids.push(format!("{} more", crate::kernel::model::thousands((missing.len() - NAMED) as u64)));
    }
    let list = match ids.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        Some((last, _)) => last.clone(),
        None => String::new(),
    };
    let noun = if missing.len() == 1 { "id" } else { "ids" };
    format!(
        "There is no {} with the {noun} {list}; nothing was queued for approval. Select records that exist and try again.",
        meta.label.to_lowercase()
    )
}
