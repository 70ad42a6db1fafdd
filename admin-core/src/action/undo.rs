//! How an action run is undone: [`Undo`], declared by [`super::Action::undo`].

/// How a run of an action can be undone, as the action declares it
/// ([`super::Action::undo`]).
///
/// The default is [`Undo::NOT_DECLARED`] (irreversible, without a reason): the
/// framework only knows the fields a run changed on its own records, not what else
/// the action wrote or scheduled (another table, an email, a payment), so putting
/// values back is safe only when the action says so.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Undo {
    /// The framework puts back, per record, the values the run changed (all but
    /// the key and the timestamps the application keeps: a date or time field
    /// read-only for everyone, like `updated_at`). A record someone changed since
    /// is refused, in words. Declare it only for an action that changes nothing
    /// but its records' fields and schedules nothing.
    /// Permission: `{model}.action.{name}.undo` undoes the staff member's own runs,
    /// `{model}.action.{name}.undo_any` anyone's.
    PutBack,
    /// Undoing runs the named action of the same model on the records the run
    /// changed, with that action's own permission, approval, limits and checks
    /// (undoing a fraud lock is an unlock, which needs approval).
    Inverse(&'static str),
    /// The run cannot be undone; `why` says so in plain words ("The email has been
    /// sent again."), and `compensate` names an action of the same model that makes
    /// up for it, offered in its place.
    Irreversible {
        /// Why, for the staff member who asked.
        why: &'static str,
        /// An action of the same model that compensates, if there is one.
        compensate: Option<&'static str>,
    },
}

impl Undo {
    /// What an action that says nothing gets: it cannot be undone.
    pub const NOT_DECLARED: Undo = Undo::Irreversible { why: "", compensate: None };

    /// The sentence shown when an irreversible run is asked to be undone.
    #[must_use]
    pub fn refusal(&self, label: &str) -> Option<String> {
        match self {
            Undo::Irreversible { why: "", .. } => Some(format!(
                "\u{201c}{label}\u{201d} cannot be undone here: the action does not say how to undo it."
            )),
            Undo::Irreversible { why, .. } => {
                Some(format!("\u{201c}{label}\u{201d} cannot be undone: {}", why.trim()))
            }
            _ => None,
        }
    }
}
