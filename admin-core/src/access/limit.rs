//! Limits per role: caps on how much a role may do with an action, on top of the
//! permission to run it and its approval. Declared with the roles
//! ([`Roles::limit`]); counted and enforced by the door (the `limits` module).
//!
//! ```
//! use admin_core::access::limit::Limit;
//! use admin_core::access::permission::Roles;
//!
//! let roles = Roles::new()
//!     .role("support", "Answers customers", &["account.action.retry_welcome_email"])
//!     .role("admin", "Everything", &["*"])
//!     .limit("support", "account.action.retry_welcome_email",
//!            Limit::records_per_day(200).wording("retry", "welcome emails"));
//! let support = roles.permissions_of(&["support".to_owned()]);
//! assert!(support.allows("account.action.retry_welcome_email"));
//! assert_eq!(roles.limits().len(), 1);
//! ```

use super::Staff;
use super::permission::Roles;

/// What a [`Limit`] caps. Days are UTC days.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Cap {
    /// Records one run (or one approval request) may change.
    RecordsPerRun(u64),
    /// Runs (and approval requests) per UTC day per staff member.
    RunsPerDay(u64),
    /// Records changed (or requested) per UTC day per staff member.
    RecordsPerDay(u64),
    /// The sum of what the records move (the action's `amount`), in the
    /// currency's minor unit (cents), per UTC day per staff member, counted for each
    /// currency apart: `200_000` is 2,000.00 euros and 2,000.00 dollars.
    AmountPerDay(i64),
}

impl Cap {
    /// The kind of cap, as the audit log and the limit status name it:
    /// `records_per_run`, `runs_per_day`, `records_per_day`, `amount_per_day`.
    #[must_use]
    pub fn kind(self) -> &'static str {
        match self {
            Cap::RecordsPerRun(_) => "records_per_run",
            Cap::RunsPerDay(_) => "runs_per_day",
            Cap::RecordsPerDay(_) => "records_per_day",
            Cap::AmountPerDay(_) => "amount_per_day",
        }
    }

    /// The cap's number (records, runs, or minor units).
    #[must_use]
    pub fn value(self) -> i64 {
        match self {
            Cap::RecordsPerRun(n) | Cap::RunsPerDay(n) | Cap::RecordsPerDay(n) => {
                i64::try_from(n).unwrap_or(i64::MAX)
            }
            Cap::AmountPerDay(n) => n,
        }
    }

    fn with_value(self, v: i64) -> Self {
        let n = u64::try_from(v).unwrap_or(0);
        match self {
            Cap::RecordsPerRun(_) => Cap::RecordsPerRun(n),
            Cap::RunsPerDay(_) => Cap::RunsPerDay(n),
            Cap::RecordsPerDay(_) => Cap::RecordsPerDay(n),
            Cap::AmountPerDay(_) => Cap::AmountPerDay(v),
        }
    }
}

/// One cap on one action, with the words its refusal uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limit {
    /// What is capped, and at how much.
    pub cap: Cap,
    /// The verb and the plural noun of the sentences ("retry", "welcome emails"):
    /// "You can retry at most 200 welcome emails a day". Without them the sentences
    /// name the action and the model ("run “Retry welcome email” on … accounts").
    pub wording: Option<(String, String)>,
}

impl Limit {
    fn of(cap: Cap) -> Self {
        Self { cap, wording: None }
    }

    /// At most `n` records per run (or per approval request).
    #[must_use]
    pub fn records_per_run(n: u64) -> Self {
        Self::of(Cap::RecordsPerRun(n))
    }

    /// At most `n` runs (or approval requests) per UTC day per staff member.
    #[must_use]
    pub fn runs_per_day(n: u64) -> Self {
        Self::of(Cap::RunsPerDay(n))
    }

    /// At most `n` records per UTC day per staff member.
    #[must_use]
    pub fn records_per_day(n: u64) -> Self {
        Self::of(Cap::RecordsPerDay(n))
    }

    /// At most `minor_units` (cents) per UTC day per staff member in each currency;
    /// the action says what each record moves with `Action::amount`.
    #[must_use]
    pub fn amount_per_day(minor_units: i64) -> Self {
        Self::of(Cap::AmountPerDay(minor_units))
    }

    /// The verb and plural noun staff read: `wording("retry", "welcome emails")`.
    #[must_use]
    pub fn wording(mut self, verb: &str, noun_plural: &str) -> Self {
        self.wording = Some((verb.to_owned(), noun_plural.to_owned()));
        self
    }
}

/// A limit declared for one role on one action's permission.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleLimit {
    /// The role it binds.
    pub role: String,
    /// The action's permission: `account.action.retry_welcome_email`.
    pub permission: String,
    /// The cap.
    pub limit: Limit,
}

/// The cap of one kind that holds for one staff member on one action, and the
/// roles that may go past it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Effective {
    /// The cap (the largest among the staff member's roles that grant the action).
    pub limit: Limit,
    /// Declared roles that grant the action with no such cap or a larger one,
    /// sorted by name.
    pub beyond: Vec<String>,
}

impl Roles {
    /// Caps what members of `role` may do with the action whose permission is
    /// `permission` (`invoice.action.refund_invoice`). A staff member with several
    /// roles that grant the action gets the most generous of them: a role that
    /// grants it without this kind of cap lifts it. Superusers have no limits.
    ///
    /// A `role` that was not declared is a mistake [`Roles::check`] reports (a typo
    /// would silently leave the role unlimited, so start-up stops).
    #[must_use]
    pub fn limit(mut self, role: &str, permission: &str, limit: Limit) -> Self {
        if self.get(role).is_none() {
            self.note_undeclared("limit", role);
            return self;
        }
        self.push_limit(RoleLimit { role: role.to_owned(), permission: permission.to_owned(), limit });
        self
    }

    /// The caps that hold for `staff` on the action with `permission`, one per kind
    /// of cap, in the order of [`Cap`]'s kinds.
    #[must_use]
    pub fn limits_for(&self, staff: &Staff, permission: &str) -> Vec<Effective> {
        if staff.is_superuser {
            return Vec::new();
        }
        let grants = |role: &str| self.permissions_of(&[role.to_owned()]).allows(permission);
        // For each role that grants the action: its smallest cap of each kind.
        let cap_of = |role: &str, kind: &str| -> Option<&Limit> {
            self.limits()
                .iter()
                .filter(|l| l.role == role && l.permission == permission && l.limit.cap.kind() == kind)
                .map(|l| &l.limit)
                .min_by_key(|l| l.cap.value())
        };
        let mine: Vec<&str> = staff.roles.iter().map(String::as_str).filter(|r| grants(r)).collect();
        let mut kinds: Vec<Cap> = self
            .limits()
            .iter()
            .filter(|l| l.permission == permission && mine.contains(&l.role.as_str()))
            .map(|l| l.limit.cap.with_value(0))
            .collect();
        kinds.sort_unstable();
        kinds.dedup();
        let mut out = Vec::new();
        for kind in kinds {
            let caps: Option<Vec<&Limit>> = mine.iter().map(|r| cap_of(r, kind.kind())).collect();
            // A role of theirs that grants the action without this kind of cap lifts it.
            let Some(limit) = caps.and_then(|c| c.into_iter().max_by_key(|l| l.cap.value())) else {
                continue;
            };
            let mut beyond: Vec<String> = self
                .all()
                .filter(|r| !staff.roles.contains(&r.name) && grants(&r.name))
                .filter(|r| cap_of(&r.name, kind.kind()).is_none_or(|c| c.cap.value() > limit.cap.value()))
                .map(|r| r.name.clone())
                .collect();
            beyond.sort();
            out.push(Effective { limit: limit.clone(), beyond });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::permission::Permissions;

    fn staff(roles: &[&str], r: &Roles) -> Staff {
        let names: Vec<String> = roles.iter().map(|s| (*s).to_owned()).collect();
        Staff {
            id: 7,
            username: "x".into(),
            is_superuser: false,
            permissions: r.permissions_of(&names),
            roles: names,
        }
    }

    fn roles() -> Roles {
        Roles::new()
            .role("admin", "", &["*"])
            .role("support", "", &["a.action.go"])
            .role("lead", "", &["a.action.go"])
            .role("viewer", "", &["*.view"])
            .limit("support", "a.action.go", Limit::records_per_day(200))
            .limit("lead", "a.action.go", Limit::records_per_day(1000))
            .limit("support", "a.action.go", Limit::records_per_run(50))
    }

    #[test]
    fn the_most_generous_role_wins_and_others_can_go_past() {
        let r = roles();
        let s = r.limits_for(&staff(&["support"], &r), "a.action.go");
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].limit.cap, Cap::RecordsPerRun(50));
        assert_eq!(s[0].beyond, ["admin", "lead"]);
        assert_eq!(s[1].limit.cap, Cap::RecordsPerDay(200));
        assert_eq!(s[1].beyond, ["admin", "lead"]);
        // Support and lead: 1000 a day; lead has no per-run cap, so none holds.
        let both = r.limits_for(&staff(&["support", "lead"], &r), "a.action.go");
        assert_eq!(both.len(), 1);
        assert_eq!(both[0].limit.cap, Cap::RecordsPerDay(1000));
        assert_eq!(both[0].beyond, ["admin"]);
        // A role that does not grant the action neither lifts nor adds a cap.
        assert_eq!(r.limits_for(&staff(&["support", "viewer"], &r), "a.action.go").len(), 2);
        assert!(r.limits_for(&staff(&["admin"], &r), "a.action.go").is_empty());
        let mut su = staff(&["support"], &r);
        su.is_superuser = true;
        su.permissions = Permissions::default();
        assert!(r.limits_for(&su, "a.action.go").is_empty());
    }

    #[test]
    fn a_limit_for_an_undeclared_role_is_a_mistake_start_up_reports() {
        let r = Roles::new().role("support", "", &[]).limit("suport", "a.action.go", Limit::runs_per_day(1));
        assert!(r.limits().is_empty());
        let err = r.check(&[]).unwrap_err().to_string();
        assert!(err.contains("Roles::limit names the role `suport`"), "{err}");
        assert!(err.contains("(did you mean `support`?)"), "{err}");
    }
}
