//! How a record's form is laid out: the control each field gets ([`Widget`]) and
//! the titled sections (fieldsets) that group fields ([`Fieldset`]).
//!
//! `#[derive(AdminModel)]` writes both: a field's widget from its kind unless
//! `#[admin(widget = "radio")]` (or `"select"`, `"textarea"`, `"text"`) says
//! otherwise, and the model's sections from `#[admin(fieldset("Billing", ...))]`.
//! The screens (the record form, editable list cells) render the widget one way,
//! in `admin/includes/field.html`. Server-side parsing stays the source of truth:
//! a widget only helps the browser.

use crate::kernel::field::FieldKind;

/// The form control a field gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Widget {
    /// A one-line text input.
    Text,
    /// A text area over several lines (`Text` columns, or `widget = "textarea"`).
    Textarea,
    /// A whole number (`type="number"`, `step="1"`).
    Integer,
    /// A floating point number (`type="number"`, `step="any"`).
    Float,
    /// An exact decimal (`type="number"` whose `step` comes from the column's scale:
    /// `0.01` for two decimal places, `any` when the column declares none).
    Decimal,
    /// An amount of money in major units, with its currency shown next to the input.
    Money,
    /// A checkbox (a non-optional yes/no field).
    Checkbox,
    /// Yes, no or unknown (an optional yes/no field).
    YesNoUnknown,
    /// A calendar date (`type="date"`).
    Date,
    /// A date and time (`type="datetime-local"`).
    DateTime,
    /// A drop-down list of the choices (the default for choices).
    Select,
    /// One radio button per choice (`widget = "radio"`: for a few choices).
    Radio,
}

impl Widget {
    /// The control a field gets when it names none: from its kind, whether it may
    /// be empty, has choices, is money or takes several lines. Used by the derive in
    /// a `static`, hence `const`.
    #[must_use]
    pub const fn auto(kind: FieldKind, nullable: bool, choices: bool, money: bool, multiline: bool) -> Self {
        if choices {
            return Self::Select;
        }
        if money {
            return Self::Money;
        }
        match kind {
            FieldKind::Boolean if nullable => Self::YesNoUnknown,
            FieldKind::Boolean => Self::Checkbox,
            FieldKind::Integer => Self::Integer,
            FieldKind::Float => Self::Float,
            FieldKind::Decimal => Self::Decimal,
            FieldKind::Date => Self::Date,
            FieldKind::DateTime | FieldKind::DateTimeUtc => Self::DateTime,
            FieldKind::Choice => Self::Select,
            FieldKind::Text if multiline => Self::Textarea,
            FieldKind::Text => Self::Text,
        }
    }

    /// The name templates switch on (`admin/includes/field.html`'s `f.input`).
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Textarea => "textarea",
            Self::Integer => "number",
            Self::Float => "number-any",
            Self::Decimal => "decimal",
            Self::Money => "money",
            Self::Checkbox => "checkbox",
            Self::YesNoUnknown => "select-bool",
            Self::Date => "date",
            Self::DateTime => "datetime-local",
            Self::Select => "select",
            Self::Radio => "radio",
        }
    }
}

/// The `step` of a decimal's number input for a column of `scale` decimal places:
/// `"1"`, `"0.1"`, `"0.01"`, ...; `"any"` when the scale is unknown.
#[must_use]
pub fn decimal_step(scale: Option<u32>) -> String {
    match scale {
        None => "any".to_owned(),
        Some(0) => "1".to_owned(),
        Some(s) => format!("0.{}1", "0".repeat(usize::try_from(s).unwrap_or(1).saturating_sub(1))),
    }
}

/// A titled section of a record's form: `#[admin(fieldset("Billing", description =
/// "...", fields(plan, billing_state)))]`.
#[derive(Debug)]
pub struct Fieldset {
    /// The title staff see ("Billing").
    pub title: &'static str,
    /// A sentence under the title, or "".
    pub description: &'static str,
    /// The fields, in the order they are shown (indexes into `ModelMeta::fields`).
    pub fields: &'static [usize],
}

/// One section of a form as shown: an untitled first section (`fieldset` is
/// `None`) holds the fields no fieldset names, in declaration order.
#[derive(Debug)]
pub struct Section {
    /// The fieldset, or `None` for the untitled section.
    pub fieldset: Option<&'static Fieldset>,
    /// The fields, in the order they are shown (indexes into `ModelMeta::fields`).
    pub fields: Vec<usize>,
}

/// The sections of a form over `field_count` fields: first the fields no fieldset
/// names (if any), untitled, then each fieldset in the order declared. Without
/// fieldsets, one untitled section of every field in declaration order.
#[must_use]
pub fn sections(fieldsets: &'static [Fieldset], field_count: usize) -> Vec<Section> {
    let named: Vec<usize> = fieldsets.iter().flat_map(|s| s.fields.iter().copied()).collect();
    let rest: Vec<usize> = (0..field_count).filter(|i| !named.contains(i)).collect();
    let mut out = Vec::with_capacity(fieldsets.len() + 1);
    if !rest.is_empty() {
        out.push(Section { fieldset: None, fields: rest });
    }
    out.extend(fieldsets.iter().map(|s| Section { fieldset: Some(s), fields: s.fields.to_vec() }));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widgets_follow_the_kind_unless_choices_or_money_say_otherwise() {
        assert_eq!(Widget::auto(FieldKind::Text, false, false, false, true), Widget::Textarea);
        assert_eq!(Widget::auto(FieldKind::Text, false, true, false, false), Widget::Select);
        assert_eq!(Widget::auto(FieldKind::Integer, false, false, true, false), Widget::Money);
        assert_eq!(Widget::auto(FieldKind::Boolean, true, false, false, false), Widget::YesNoUnknown);
        assert_eq!(Widget::auto(FieldKind::DateTimeUtc, false, false, false, false).name(), "datetime-local");
    }

    #[test]
    fn decimal_steps_come_from_the_scale() {
        assert_eq!(decimal_step(Some(2)), "0.01");
        assert_eq!(decimal_step(Some(1)), "0.1");
        assert_eq!(decimal_step(Some(0)), "1");
        assert_eq!(decimal_step(None), "any");
    }

    #[test]
    fn unnamed_fields_come_first_then_the_fieldsets_in_order() {
        static SETS: [Fieldset; 2] = [
            Fieldset { title: "Billing", description: "", fields: &[3, 1] },
            Fieldset { title: "Flags", description: "", fields: &[4] },
        ];
        let s = sections(&SETS, 5);
        assert_eq!(s.len(), 3);
        assert!(s[0].fieldset.is_none());
        assert_eq!(s[0].fields, [0, 2]);
        assert_eq!(s[1].fieldset.map(|f| f.title), Some("Billing"));
        assert_eq!(s[1].fields, [3, 1]);
        let all = sections(&[], 3);
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].fields, [0, 1, 2]);
    }
}
