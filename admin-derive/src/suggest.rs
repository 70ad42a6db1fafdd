//! "Did you mean ...?": the closest known name to an unknown one, for every error
//! about a name the derives do not know (options, fields).

/// The candidate closest to `name` when `name` looks like a slip of it: a typo
/// (letters swapped, missing or extra, up to a third of the name), another
/// spelling of the same words (`listDisplay`, `list-display`), or a word left off
/// or added at the end (`created` for `created_at`). `None` when nothing is close.
pub fn closest<'c>(name: &str, candidates: impl IntoIterator<Item = &'c str>) -> Option<&'c str> {
    candidates
        .into_iter()
        .filter_map(|candidate| distance(name, candidate).map(|d| (d, candidate)))
        // The first of equally close candidates: the order given (declaration order).
        .fold(None, |best: Option<(usize, &str)>, (d, c)| match best {
            Some((best_d, _)) if best_d <= d => best,
            _ => Some((d, c)),
        })
        .map(|(_, candidate)| candidate)
}

/// `" (did you mean `x`?)"`, or nothing when no candidate is close.
pub fn hint<'c>(name: &str, candidates: impl IntoIterator<Item = &'c str>) -> String {
    closest(name, candidates).map(|c| format!(" (did you mean `{c}`?)")).unwrap_or_default()
}

/// How far `candidate` is from `name`, in edits; `None` when too far to suggest.
fn distance(name: &str, candidate: &str) -> Option<usize> {
    if name == candidate {
        return None;
    }
    let squash = |s: &str| s.to_lowercase().replace(['_', '-'], "");
    if squash(name) == squash(candidate) {
        return Some(0);
    }
    let edits = strsim::damerau_levenshtein(name, candidate);
    let longest = name.chars().count().max(candidate.chars().count());
    if edits <= (longest / 3).max(1) {
        return Some(edits);
    }
    // A whole word more or less at the end: `created` / `created_at`, `signup_at` /
    // `signup`. Ranked after the typos of similar length.
    let (short, long) = if name.len() < candidate.len() { (name, candidate) } else { (candidate, name) };
    let extends = long.strip_prefix(short).is_some_and(|rest| rest.starts_with('_'));
    (extends && short.len() >= 2).then_some(longest)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIELDS: [&str; 6] = ["id", "email", "company", "plan", "created_at", "manual_review"];

    #[test]
    fn typos_suggest_the_closest_name() {
        assert_eq!(closest("emial", FIELDS), Some("email"));
        assert_eq!(closest("compnay", FIELDS), Some("company"));
        assert_eq!(closest("serch", ["label", "search", "filters"]), Some("search"));
        assert_eq!(closest("lable", ["label", "label_plural"]), Some("label"));
    }

    #[test]
    fn a_word_more_or_less_or_another_spelling_is_suggested() {
        assert_eq!(closest("created", FIELDS), Some("created_at"));
        assert_eq!(closest("manualReview", FIELDS), Some("manual_review"));
        assert_eq!(closest("manual", FIELDS), Some("manual_review"));
    }

    #[test]
    fn unrelated_names_suggest_nothing() {
        assert_eq!(closest("signup_at", FIELDS), None);
        assert_eq!(closest("colour", ["label", "search", "filters", "crate"]), None);
        assert_eq!(closest("id", FIELDS), None);
        assert_eq!(hint("x", FIELDS), "");
        assert_eq!(hint("plna", FIELDS), " (did you mean `plan`?)");
    }
}
