//! The sentences of limits, in plain words, with money shown as money.

use crate::access::limit::{Cap, Effective};
use crate::kernel::model::thousands;

/// An amount in a currency's minor unit as staff read it: `€2,000.00`, `$49.00`,
/// `¥5,000`, `CHF 12.50`.
#[must_use]
pub fn money(currency: &str, minor: i64) -> String {
    let (symbol, decimals) = match currency {
        "EUR" => ("€", 2),
        "USD" => ("$", 2),
        "GBP" => ("£", 2),
        "JPY" => ("¥", 0),
        "KRW" => ("₩", 0),
        _ => ("", 2),
    };
    let sign = if minor < 0 { "-" } else { "" };
    let number = plain(minor.unsigned_abs(), decimals);
    if symbol.is_empty() { format!("{sign}{currency} {number}") } else { format!("{sign}{symbol}{number}") }
}

/// `200000` with 2 decimals: `2,000.00`.
fn plain(minor: u64, decimals: u32) -> String {
    if decimals == 0 {
        return thousands(minor);
    }
    let unit = 10u64.pow(decimals);
    format!("{}.{:0width$}", thousands(minor / unit), minor % unit, width = decimals as usize)
}

/// The words one limit's sentences use.
pub(super) struct Words<'a> {
    /// "retry", or "run “Retry welcome email” on".
    verb: String,
    /// "welcome emails", or the model's plural noun.
    noun: String,
    /// Whether the application chose the words (then "can retry more" reads well).
    chosen: bool,
    /// The action's label.
    label: &'a str,
}

impl<'a> Words<'a> {
    pub(super) fn new(eff: &Effective, label: &'a str, model_noun: &str) -> Self {
        match &eff.limit.wording {
            Some((verb, noun)) => Self { verb: verb.clone(), noun: noun.clone(), chosen: true, label },
            None => {
                let prep = if matches!(eff.limit.cap, Cap::AmountPerDay(_)) { "for" } else { "on" };
                Self {
                    verb: format!("run \u{201c}{label}\u{201d} {prep}"),
                    noun: model_noun.to_owned(),
                    chosen: false,
                    label,
                }
            }
        }
    }

    /// How much a number of this cap is, in words: `12`, `€150.00`.
    fn amount(cap: Cap, currency: Option<&str>, n: i64) -> String {
        match (cap, currency) {
            (Cap::AmountPerDay(_), Some(c)) => money(c, n),
            (Cap::AmountPerDay(_), None) => plain(n.unsigned_abs(), 2),
            _ => thousands(n.unsigned_abs()),
        }
    }

    fn left(cap: Cap, currency: Option<&str>, left: i64) -> String {
        if left <= 0 { "none".to_owned() } else { Self::amount(cap, currency, left) }
    }

    /// Why a run or request was refused, and who can go past it.
    pub(super) fn refusal(
        &self,
        eff: &Effective,
        currency: Option<&str>,
        used: i64,
        requested: i64,
    ) -> String {
        let cap = eff.limit.cap;
        let (v, noun, label) = (&self.verb, &self.noun, self.label);
        let at_most = Self::amount(cap, currency, cap.value());
        let left = Self::left(cap, currency, cap.value() - used);
        let asked = Self::amount(cap, currency, requested);
        let first = match cap {
            Cap::RecordsPerRun(_) => {
                format!("You can {v} at most {at_most} {noun} at a time; this would be {asked}.")
            }
            Cap::RunsPerDay(_) => {
                format!(
                    "You can run \u{201c}{label}\u{201d} at most {at_most} times a day; you have {left} left today."
                )
            }
            Cap::RecordsPerDay(_) => format!(
                "You can {v} at most {at_most} {noun} a day; you have {left} left today, and this would be {asked}."
            ),
            Cap::AmountPerDay(_) => format!(
                "You can {v} at most {at_most} a day per currency; you have {left} left today, and this would be {asked}."
            ),
        };
        format!("{first} {}", self.beyond(eff))
    }

    /// "Someone with the admin role can retry more."
    fn beyond(&self, eff: &Effective) -> String {
        let roles = match eff.beyond.split_last() {
            None => return "Only a superuser can go past this limit.".to_owned(),
            Some((last, [])) => format!("the {last} role"),
            Some((last, rest)) => format!("the {} or {last} role", rest.join(", ")),
        };
        if self.chosen {
            format!("Someone with {roles} can {} more.", self.verb)
        } else {
            format!("Someone with {roles} can go past this limit.")
        }
    }

    /// What is left today, for the confirmation page: "You can retry 188 more
    /// welcome emails today (at most 200 a day)."
    pub(super) fn status(&self, cap: Cap, currency: Option<&str>, used: i64) -> String {
        let (v, noun, label) = (&self.verb, &self.noun, self.label);
        let at_most = Self::amount(cap, currency, cap.value());
        let left = (cap.value() - used).max(0);
        let more = Self::amount(cap, currency, left);
        match (cap, currency) {
            (Cap::RecordsPerRun(_), _) => format!("You can {v} at most {at_most} {noun} at a time."),
            (Cap::RunsPerDay(_), _) if left == 0 => {
                format!("You cannot run \u{201c}{label}\u{201d} again today (at most {at_most} times a day).")
            }
            (Cap::RunsPerDay(_), _) => {
                format!(
                    "You can run \u{201c}{label}\u{201d} {more} more times today (at most {at_most} a day)."
                )
            }
            (Cap::RecordsPerDay(_), _) if left == 0 => {
                format!("You cannot {v} any more {noun} today (at most {at_most} a day).")
            }
            (Cap::RecordsPerDay(_), _) => {
                format!("You can {v} {more} more {noun} today (at most {at_most} a day).")
            }
            (Cap::AmountPerDay(_), Some(c)) if left == 0 => {
                format!("You cannot {v} any more in {c} today (at most {at_most} a day per currency).")
            }
            (Cap::AmountPerDay(_), Some(c)) => {
                format!("You can {v} {more} more in {c} today (at most {at_most} a day per currency).")
            }
            (Cap::AmountPerDay(_), None) => format!("You can {v} up to {at_most} a day in each currency."),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::limit::Limit;

    #[test]
    fn money_reads_as_money() {
        assert_eq!(money("EUR", 200_000), "€2,000.00");
        assert_eq!(money("USD", 4_900), "$49.00");
        assert_eq!(money("GBP", 5), "£0.05");
        assert_eq!(money("JPY", 5_000), "¥5,000");
        assert_eq!(money("CHF", 1_250), "CHF 12.50");
    }

    #[test]
    fn refusals_say_the_limit_and_who_can_go_past_it() {
        let eff = Effective {
            limit: Limit::records_per_day(200).wording("retry", "welcome emails"),
            beyond: vec!["admin".into()],
        };
        let w = Words::new(&eff, "Retry welcome email", "accounts");
        assert_eq!(
            w.refusal(&eff, None, 188, 15),
            "You can retry at most 200 welcome emails a day; you have 12 left today, and this would be 15. \
             Someone with the admin role can retry more."
        );
        assert_eq!(
            w.status(eff.limit.cap, None, 12),
            "You can retry 188 more welcome emails today (at most 200 a day)."
        );
        let eff = Effective { limit: Limit::amount_per_day(200_000), beyond: vec![] };
        let w = Words::new(&eff, "Refund invoice", "invoices");
        assert_eq!(
            w.refusal(&eff, Some("EUR"), 185_000, 19_000),
            "You can run \u{201c}Refund invoice\u{201d} for at most €2,000.00 a day per currency; you have €150.00 left today, \
             and this would be €190.00. Only a superuser can go past this limit."
        );
    }
}
