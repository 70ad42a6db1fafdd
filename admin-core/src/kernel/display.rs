//! A record's display name (Django's `__str__`): how pages, links, foreign-key
//! cells, the audit log and search results name one record ("Acme <billing@acme.test>"
//! rather than "Account 42"). Written by `#[derive(AdminModel)]` from
//! `#[admin(display = "{company} <{email}>")]` or `#[admin(display_with = path)]`.

use crate::kernel::field::Cell;
use crate::kernel::model::{FieldMeta, ModelMeta};
use crate::kernel::record::Record;

/// How a model names its records.
#[derive(Clone, Copy, Debug)]
pub enum Display {
    /// A template of literal text and field values, each field shown as its
    /// [`crate::FieldMeta::display`] (choices by label, money as money).
    Template(&'static [DisplayPart]),
    /// A function of the record as the admin holds it (hidden fields blanked), for
    /// names a template cannot say: `#[admin(display_with = path::to_fn)]`.
    With(fn(&Record, &ModelMeta) -> String),
}

/// One piece of a display template.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DisplayPart {
    /// Literal text (`{{` and `}}` already turned into braces).
    Text(&'static str),
    /// The value of the field at this index of `ModelMeta::fields`.
    Field(usize),
}

impl Display {
    /// The record's name by this rule, trimmed; empty when every value is empty.
    #[must_use]
    pub fn name(&self, record: &Record, meta: &ModelMeta) -> String {
        match self {
            Display::Template(parts) => {
                let mut out = String::new();
                for part in *parts {
                    match part {
                        DisplayPart::Text(t) => out.push_str(t),
                        DisplayPart::Field(i) => {
                            if let (Some(f), Some(c)) = (meta.fields.get(*i), record.cells.get(*i)) {
                                out.push_str(&f.display(c));
                            }
                        }
                    }
                }
                // Without any value the template is only its punctuation ("<>"): no name.
                let any_value = parts.iter().any(|p| match p {
                    DisplayPart::Field(i) => {
                        record.cells.get(*i).is_some_and(|c| !c.display().trim().is_empty())
                    }
                    DisplayPart::Text(_) => false,
                });
                if any_value { out.trim().to_owned() } else { String::new() }
            }
            Display::With(f) => f(record, meta).trim().to_owned(),
        }
    }
}

/// The display names of the records a page refers to, by target model and key:
/// what foreign-key cells show instead of a bare id. Built by the door
/// (`Service::foreign_names`, one query per target model), empty where the target
/// model has no display name or the caller may not view it.
#[derive(Clone, Debug, Default)]
pub struct ForeignNames {
    names: std::collections::HashMap<&'static str, std::collections::HashMap<String, String>>,
}

impl ForeignNames {
    /// No names: every foreign key shows its id.
    #[must_use]
    pub fn none() -> Self {
        Self::default()
    }

    /// Adds the name of record `key` of model `slug`.
    pub fn insert(&mut self, slug: &'static str, key: String, name: String) {
        self.names.entry(slug).or_default().insert(key, name);
    }

    /// The name of record `key` of model `slug`, if known.
    #[must_use]
    pub fn get(&self, slug: &str, key: &str) -> Option<&str> {
        self.names.get(slug).and_then(|m| m.get(key)).map(String::as_str)
    }

    /// The name a foreign-key `cell` of `field` refers to, if known.
    #[must_use]
    pub fn of(&self, field: &FieldMeta, cell: &Cell) -> Option<&str> {
        let target = field.foreign_key?;
        if cell.is_null() {
            return None;
        }
        self.get(target, &cell.form_value())
    }

    /// Whether no name is known.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.names.values().all(std::collections::HashMap::is_empty)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::field::FieldKind;

    const fn field(name: &'static str) -> FieldMeta {
        FieldMeta {
            name,
            label: name,
            help: "",
            kind: FieldKind::Text,
            nullable: true,
            primary_key: false,
            auto_increment: false,
            readonly: false,
            choices: None,
            foreign_key: None,
            reason_required: false,
            hidden_for: &[],
            readonly_for: &[],
            column: name,
            decimal_digits: None,
            max_length: 255,
            multiline: false,
            money: None,
            widget: crate::kernel::form::Widget::auto(FieldKind::Text, false, false, false, false),
            blank: false,
            unique: false,
        }
    }

    static FIELDS: [FieldMeta; 2] = [field("company"), field("email")];
    static PARTS: [DisplayPart; 4] =
        [DisplayPart::Field(0), DisplayPart::Text(" <"), DisplayPart::Field(1), DisplayPart::Text(">")];
    static META: ModelMeta = ModelMeta {
        slug: "account",
        label: "Account",
        label_plural: "Accounts",
        fields: &FIELDS,
        pk: 0,
        list_display: &[],
        search: &[],
        filters: &[],
        ordering: &[],
        per_page: 10,
        reason_required: false,
        list_editable: &[],
        inlines: &[],
        fieldsets: &[],
        display: Some(Display::Template(&PARTS)),
    };

    #[test]
    fn a_template_names_the_record_and_falls_back_when_empty() {
        let r = Record::new("7".into(), vec![Cell::Text("Acme".into()), Cell::Text("a@acme.test".into())]);
        assert_eq!(r.title(&META), "Acme <a@acme.test>");
        let blank = Record::new("7".into(), vec![Cell::Null, Cell::Null]);
        assert_eq!(blank.title(&META), "Account 7");
    }
}
