//! Configuration mistakes found at start-up ([`ConfigError`]) and the "did you
//! mean" suggestions in their messages.

use std::fmt;

/// Everything wrong with an admin's configuration (roles, models, actions,
/// plugins), found when it is built: one sentence per mistake, each naming the
/// mistake and its fix. `RegistryBuilder::build` returns it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    /// The mistakes, in the order found.
    pub mistakes: Vec<String>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.mistakes.as_slice() {
            [one] => write!(f, "the admin's configuration has a mistake: {one}"),
            many => {
                write!(f, "the admin's configuration has {} mistakes:", many.len())?;
                many.iter().try_for_each(|m| write!(f, "\n- {m}"))
            }
        }
    }
}

impl std::error::Error for ConfigError {}

/// The candidate closest to `name` when `name` looks like a slip of it (a typo of
/// up to a third of its letters, another spelling of the same words, or a word
/// more or less at the end: `suport` for `support`, `created` for `created_at`).
#[must_use]
pub fn closest<'c>(name: &str, candidates: impl IntoIterator<Item = &'c str>) -> Option<&'c str> {
    let squash = |s: &str| s.to_lowercase().replace(['_', '-', ' '], "");
    let distance = |candidate: &str| -> Option<usize> {
        if name == candidate {
            return None;
        }
        if squash(name) == squash(candidate) {
            return Some(0);
        }
        let edits = strsim::damerau_levenshtein(name, candidate);
        let longest = name.chars().count().max(candidate.chars().count());
        if edits <= (longest / 3).max(1) {
            return Some(edits);
        }
        let (short, long) = if name.len() < candidate.len() { (name, candidate) } else { (candidate, name) };
        let extends = long.strip_prefix(short).is_some_and(|rest| rest.starts_with(['_', '-', '.']));
        (extends && short.len() >= 2).then_some(longest)
    };
    let mut best: Option<(usize, &str)> = None;
    for candidate in candidates {
        if let Some(d) = distance(candidate)
            && best.is_none_or(|(b, _)| d < b)
        {
            best = Some((d, candidate));
        }
    }
    best.map(|(_, c)| c)
}

/// `" (did you mean `x`?)"`, or nothing when no candidate is close.
#[must_use]
pub fn did_you_mean<'c>(name: &str, candidates: impl IntoIterator<Item = &'c str>) -> String {
    closest(name, candidates).map(|c| format!(" (did you mean `{c}`?)")).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_and_messages() {
        assert_eq!(closest("suport", ["admin", "support", "viewer"]), Some("support"));
        assert_eq!(closest("support_lead", ["support", "support-lead"]), Some("support-lead"));
        assert_eq!(closest("finance", ["admin", "support"]), None);
        assert_eq!(did_you_mean("acount", ["account", "invoice"]), " (did you mean `account`?)");
        let one = ConfigError { mistakes: vec!["a".into()] };
        assert_eq!(one.to_string(), "the admin's configuration has a mistake: a");
        let two = ConfigError { mistakes: vec!["a".into(), "b".into()] };
        assert_eq!(two.to_string(), "the admin's configuration has 2 mistakes:\n- a\n- b");
    }
}
