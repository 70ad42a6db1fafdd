//! What the admin knows about a model: its fields and options, written by
//! `#[derive(AdminModel)]` into a static [`ModelMeta`].

use sea_orm::{EntityTrait, IntoActiveModel, ModelTrait, Value};

use crate::kernel::display::Display;
use crate::kernel::field::{Cell, Choice, FieldKind, MoneyCurrency};
use crate::kernel::form::{Fieldset, Section, Widget};
use crate::kernel::text::{self, Lines};

/// One field of a model as the admin shows it.
#[derive(Debug)]
pub struct FieldMeta {
    /// The Rust field name, which is also the form field name (the column's name
    /// may differ: see [`FieldMeta::column`]).
    pub name: &'static str,
    /// The label staff see ("Billing state").
    pub label: &'static str,
    /// Help text shown under the form control, or "".
    pub help: &'static str,
    /// The form control and display kind.
    pub kind: FieldKind,
    /// Whether the column may be `NULL`.
    pub nullable: bool,
    /// Whether this is the primary key.
    pub primary_key: bool,
    /// Whether the database assigns the value on insert (auto-increment keys).
    pub auto_increment: bool,
    /// Read-only: shown as text, never taken from a form.
    pub readonly: bool,
    /// The allowed values, for choice fields.
    pub choices: Option<&'static [Choice]>,
    /// The slug of the model this column refers to, for foreign keys.
    pub foreign_key: Option<&'static str>,
    /// Changing this field needs a reason, kept in the audit log.
    pub reason_required: bool,
    /// Roles that do not see this field at all (a user all of whose roles are listed).
    pub hidden_for: &'static [&'static str],
    /// Roles that see this field but may not change it.
    pub readonly_for: &'static [&'static str],
    /// The column's name in the database: the field's name unless
    /// `#[sea_orm(column_name = "...")]` says otherwise. SQL the admin writes by
    /// hand names columns with it.
    pub column: &'static str,
    /// A decimal column's declared precision and scale (`(12, 2)` for
    /// `#[sea_orm(column_type = "Decimal(Some((12, 2)))")]`): values are shown with
    /// that many decimal places and input with more is refused.
    pub decimal_digits: Option<(u32, u32)>,
    /// The most characters a text value may have: `#[admin(max_length = N)]`, else
    /// the column's declared length, else a default from [`crate::kernel::text`].
    pub max_length: usize,
    /// Text over several lines is allowed (a `Text` column, shown as a textarea).
    pub multiline: bool,
    /// An integer amount of a currency's minor unit, shown and typed as money
    /// (`#[admin(money(currency_field = "currency"))]`): where its currency comes from.
    pub money: Option<MoneyCurrency>,
    /// The form control: from the kind, or `#[admin(widget = "radio")]` and the like.
    pub widget: Widget,
    /// A non-optional text field that may be left empty (`#[admin(blank)]`): empty
    /// text saves "" instead of being refused as required.
    pub blank: bool,
    /// No two rows share a value (`#[sea_orm(unique)]`, or the primary key): an
    /// import may match its rows to records by it.
    pub unique: bool,
}

impl FieldMeta {
    /// The label of a stored choice value, or the value itself if it is unknown.
    #[must_use]
    pub fn choice_label<'a>(&self, value: &'a str) -> &'a str
    where
        'static: 'a,
    {
        self.choices.and_then(|cs| cs.iter().find(|c| c.value == value)).map_or(value, |c| c.label)
    }

    /// The text a person sees for this field's value (choices by label, booleans as yes/no).
    #[must_use]
    pub fn display(&self, cell: &Cell) -> String {
        match cell {
            Cell::Text(s) if self.choices.is_some() => self.choice_label(s).to_owned(),
            other => other.display(),
        }
    }

    /// The text a CSV export writes for this field's value: choices by label, money
    /// as a plain decimal (see [`Cell::export_text`]).
    #[must_use]
    pub fn export_text(&self, cell: &Cell) -> String {
        match cell {
            Cell::Money(_) => cell.export_text(),
            other => self.display(other),
        }
    }

    /// Checks form or query text for this field before it is parsed: no control
    /// characters (tab and line breaks only in a multi-line field) and, for text, at
    /// most [`FieldMeta::max_length`] characters.
    ///
    /// # Errors
    /// The message for the person who typed it.
    pub fn check_text(&self, raw: &str) -> Result<(), String> {
        let lines = if self.multiline { Lines::Many } else { Lines::One };
        let raw = raw.trim();
        if text::has_control(raw, lines) {
            return Err(text::CONTROL_MESSAGE.to_owned());
        }
        let n = raw.chars().count();
        if self.kind == FieldKind::Text && n > self.max_length {
            return Err(text::too_long(self.max_length, n));
        }
        Ok(())
    }

    /// Whether a value is required: not for optional fields, yes/no fields (unchecked
    /// is "no") or `blank` text.
    #[must_use]
    pub fn required(&self) -> bool {
        !self.nullable && !self.blank && self.kind != FieldKind::Boolean
    }

    /// Whether a filter can be offered on this field.
    #[must_use]
    pub fn filterable(&self) -> bool {
        self.choices.is_some()
            || self.foreign_key.is_some()
            || matches!(self.kind, FieldKind::Boolean | FieldKind::Choice)
            || self.kind.is_temporal()
    }
}

/// Everything the admin knows about one model.
#[derive(Debug)]
pub struct ModelMeta {
    /// The URL slug: the table name (`account`, `email_job`).
    pub slug: &'static str,
    /// The singular label ("Account").
    pub label: &'static str,
    /// The plural label ("Accounts").
    pub label_plural: &'static str,
    /// Every field, in declaration order.
    pub fields: &'static [FieldMeta],
    /// Index of the primary key in `fields`.
    pub pk: usize,
    /// Columns on the list screen (indexes into `fields`).
    pub list_display: &'static [usize],
    /// Columns searched by `q` (case-insensitive substring).
    pub search: &'static [usize],
    /// Columns offered as filters.
    pub filters: &'static [usize],
    /// Default order: `(field, descending)` pairs.
    pub ordering: &'static [(usize, bool)],
    /// Rows per list page.
    pub per_page: u64,
    /// Every change to a record needs a reason, kept in the audit log.
    pub reason_required: bool,
    /// Indexes into `fields` of the list columns staff may change in place, many
    /// rows at once (`#[admin(list_editable(...))]`): each is in `list_display` and
    /// not read-only. Empty for a list that only shows.
    pub list_editable: &'static [usize],
    /// The form's titled sections, in order (`#[admin(fieldset(...))]`); fields in
    /// none of them come first, untitled. Empty: one form of every field.
    pub fieldsets: &'static [Fieldset],
    /// How a record is named on pages, in links and in the audit log
    /// (`#[admin(display = "...")]` or `display_with`); `None` names it
    /// "Account 42". See [`crate::Record::title`].
    pub display: Option<Display>,
    /// Child models edited on this model's record page (`#[admin(inlines(...))]`).
    pub inlines: &'static [InlineMeta],
}

/// A child model whose rows are edited in a table on the parent's record page,
/// found by its foreign key to the parent (`#[admin(inlines(email_job))]`). The
/// names are checked when the registry is built (the child may live in another crate).
#[derive(Debug)]
pub struct InlineMeta {
    /// The child model's slug.
    pub model: &'static str,
    /// The child's fields shown as columns; empty: its `list_display` minus the
    /// foreign key to the parent.
    pub fields: &'static [&'static str],
    /// Columns shown as text on the child's existing rows (a new row takes them as
    /// the child's own add form does).
    pub readonly: &'static [&'static str],
    /// How many rows the table shows at most; a link leads to the full list.
    pub limit: u64,
    /// How many blank rows are offered for adding children.
    pub extra: u64,
}

impl InlineMeta {
    /// The default number of rows an inline table shows.
    pub const DEFAULT_LIMIT: u64 = 20;
    /// The default number of blank rows for adding.
    pub const DEFAULT_EXTRA: u64 = 3;
}

impl ModelMeta {
    /// Finds a field by name.
    #[must_use]
    pub fn field(&self, name: &str) -> Option<(usize, &'static FieldMeta)> {
        self.fields.iter().enumerate().find(|(_, f)| f.name == name)
    }

    /// The primary key field.
    #[must_use]
    pub fn pk_field(&self) -> &'static FieldMeta {
        &self.fields[self.pk]
    }

    /// The form's sections: the fields no fieldset names (untitled, in declaration
    /// order, when there are any), then each fieldset in order.
    #[must_use]
    pub fn sections(&self) -> Vec<Section> {
        crate::kernel::form::sections(self.fieldsets, self.fields.len())
    }

    /// The plural label in lower case, for sentences ("1,234 accounts").
    #[must_use]
    pub fn noun_plural(&self) -> String {
        self.label_plural.to_lowercase()
    }

    /// "1 account" or "1,234 accounts".
    #[must_use]
    pub fn count_phrase(&self, n: u64) -> String {
        if n == 1 {
            format!("1 {}", self.label.to_lowercase())
        } else {
            format!("{} {}", thousands(n), self.noun_plural())
        }
    }
}

pub use crate::kernel::text::thousands;

/// The sea-orm entity of a model.
pub type EntityOf<M> = <M as ModelTrait>::Entity;
/// The sea-orm active model of a model.
pub type ActiveModelOf<M> = <EntityOf<M> as EntityTrait>::ActiveModel;

/// A sea-orm `Model` the admin can serve. Written by `#[derive(AdminModel)]`.
#[diagnostic::on_unimplemented(note = "add #[derive(AdminModel)] to the entity's Model")]
pub trait AdminModel:
    ModelTrait
    + sea_orm::FromQueryResult
    + IntoActiveModel<ActiveModelOf<Self>>
    + Clone
    + Send
    + Sync
    + Sized
    + 'static
{
    /// The static description of the model.
    fn meta() -> &'static ModelMeta;

    /// The value of field `field` (an index into `meta().fields`).
    fn cell(&self, field: usize) -> Cell;

    /// Parses form or query text for field `field` into the value sea-orm binds.
    ///
    /// # Errors
    /// A message for the person who typed it.
    fn parse_value(field: usize, raw: &str) -> Result<Value, String>;
}
