//! The names of every attribute and option the derives read, in one place.

use std::fmt;

use syn::{Ident, Path};

/// The name of an attribute (`admin`, `sea_orm`) or of an option inside one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Symbol(pub &'static str);

/// `#[admin(...)]`: this crate's attribute.
pub const ADMIN: Symbol = Symbol("admin");
/// `#[sea_orm(...)]`: sea-orm's attribute, read for table names, keys and enum values.
pub const SEA_ORM: Symbol = Symbol("sea_orm");

/// `label = "..."`: the label of a model, a field or a choice.
pub const LABEL: Symbol = Symbol("label");
/// `label_plural = "..."`: the plural label of a model.
pub const LABEL_PLURAL: Symbol = Symbol("label_plural");
/// `list_display(a, b)`: the list screen's columns.
pub const LIST_DISPLAY: Symbol = Symbol("list_display");
/// `list_editable(a, b)`: list columns changed in place, many rows at once.
pub const LIST_EDITABLE: Symbol = Symbol("list_editable");
/// `search(a, b)`: the text fields searched by `q`.
pub const SEARCH: Symbol = Symbol("search");
/// `filters(a, b)`: the fields offered as filters.
pub const FILTERS: Symbol = Symbol("filters");
/// `readonly(a, b)` on a model, or the bare flag `readonly` on a field.
pub const READONLY: Symbol = Symbol("readonly");
/// `ordering = "-id,email"`: the default order of the list.
pub const ORDERING: Symbol = Symbol("ordering");
/// `per_page = 100`: rows per list page.
pub const PER_PAGE: Symbol = Symbol("per_page");
/// `crate = "::opsadmin"`: where the generated code finds `__private`.
pub const CRATE: Symbol = Symbol("crate");
/// `display = "{company} <{email}>"`: how a model names its records.
pub const DISPLAY: Symbol = Symbol("display");
/// `display_with = path::to_fn`: a function that names a model's records.
pub const DISPLAY_WITH: Symbol = Symbol("display_with");
/// `help = "..."`: a field's help text.
pub const HELP: Symbol = Symbol("help");
/// `choices = Plan`: the allowed values of a text field.
pub const CHOICES: Symbol = Symbol("choices");
/// `foreign_key = "account"`: the model an integer field refers to.
pub const FOREIGN_KEY: Symbol = Symbol("foreign_key");
/// `money(currency_field = "currency")` or `money(currency = "EUR")` on a field.
pub const MONEY: Symbol = Symbol("money");
/// `currency_field = "..."` inside `money(...)`.
pub const CURRENCY_FIELD: Symbol = Symbol("currency_field");
/// `currency = "..."` inside `money(...)`.
pub const CURRENCY: Symbol = Symbol("currency");
/// `value = "..."`: the stored value of a choice.
pub const VALUE: Symbol = Symbol("value");

/// `hidden_for(role, ...)`: roles that do not see a field at all.
pub const HIDDEN_FOR: Symbol = Symbol("hidden_for");
/// `readonly_for(role, ...)`: roles that see a field but may not change it.
pub const READONLY_FOR: Symbol = Symbol("readonly_for");
/// `reason_required`: changes need a reason (on a model: every change; on a field:
/// changes to that field).
pub const REASON_REQUIRED: Symbol = Symbol("reason_required");

/// `max_length = N`: the most characters a text field takes.
pub const MAX_LENGTH: Symbol = Symbol("max_length");

/// `fieldset("Billing", description = "...", fields(a, b))`: a titled section of
/// the form (repeatable).
pub const FIELDSET: Symbol = Symbol("fieldset");
/// `description = "..."` inside `fieldset(...)`.
pub const DESCRIPTION: Symbol = Symbol("description");
/// `fields(a, b)` inside `fieldset(...)`.
pub const FIELDS: Symbol = Symbol("fields");
/// `widget = "radio"`: the form control of a field.
pub const WIDGET: Symbol = Symbol("widget");
/// `blank`: a non-optional text field that may be left empty.
pub const BLANK: Symbol = Symbol("blank");

/// `#[sea_orm(table_name = "...")]`: the table, which is also the model's slug.
pub const TABLE_NAME: Symbol = Symbol("table_name");
/// `#[sea_orm(primary_key)]`.
pub const PRIMARY_KEY: Symbol = Symbol("primary_key");
/// `#[sea_orm(auto_increment = false)]`.
pub const AUTO_INCREMENT: Symbol = Symbol("auto_increment");
/// `#[sea_orm(ignore)]`: a field that is not a column.
pub const IGNORE: Symbol = Symbol("ignore");
/// `#[sea_orm(unique)]`.
pub const UNIQUE: Symbol = Symbol("unique");
/// `#[sea_orm(column_name = "...")]`: the column's name when it is not the field's.
pub const COLUMN_NAME: Symbol = Symbol("column_name");
/// `#[sea_orm(column_type = "Decimal(Some((12, 2)))")]`: the column's declared type,
/// read for the precision and scale of decimals and a text column's declared length.
pub const COLUMN_TYPE: Symbol = Symbol("column_type");
/// `#[sea_orm(string_value = "...")]` on an active enum's variant.
pub const STRING_VALUE: Symbol = Symbol("string_value");
/// `#[sea_orm(num_value = N)]` on an active enum's variant.
pub const NUM_VALUE: Symbol = Symbol("num_value");

/// The options `#[admin(...)]` takes on a model struct.
/// `inlines(email_job)`: child models edited on the record page.
pub const INLINES: Symbol = Symbol("inlines");
/// The options of one child in `inlines(child(...))`.
pub const INLINE_OPTIONS: &[Symbol] =
    &[Symbol("fields"), Symbol("readonly"), Symbol("limit"), Symbol("extra")];
pub const MODEL_OPTIONS: &[Symbol] = &[
    LABEL,
    LABEL_PLURAL,
    LIST_DISPLAY,
    LIST_EDITABLE,
    SEARCH,
    FILTERS,
    READONLY,
    ORDERING,
    PER_PAGE,
    REASON_REQUIRED,
    FIELDSET,
    CRATE,
    DISPLAY,
    DISPLAY_WITH,
    INLINES,
];
/// The options `#[admin(...)]` takes on a model's field.
pub const FIELD_OPTIONS: &[Symbol] = &[
    LABEL,
    HELP,
    CHOICES,
    FOREIGN_KEY,
    MAX_LENGTH,
    MONEY,
    READONLY,
    REASON_REQUIRED,
    HIDDEN_FOR,
    READONLY_FOR,
    WIDGET,
    BLANK,
];
/// The options `#[admin(...)]` takes on a struct with `#[derive(ActionInput)]`.
pub const INPUT_OPTIONS: &[Symbol] = &[CRATE];
/// The options `#[admin(...)]` takes on a field of an action's input.
pub const INPUT_FIELD_OPTIONS: &[Symbol] = &[LABEL, HELP, CHOICES, FOREIGN_KEY, MAX_LENGTH, WIDGET, BLANK];
/// The field options of models that mean nothing on an action's input (there is no
/// stored record to protect, hide or audit).
pub const MODEL_ONLY_FIELD_OPTIONS: &[Symbol] = &[MONEY, READONLY, REASON_REQUIRED, HIDDEN_FOR, READONLY_FOR];
/// The options `#[admin(...)]` takes on an enum with `#[derive(AdminChoices)]`.
pub const ENUM_OPTIONS: &[Symbol] = &[CRATE];
/// The options `#[admin(...)]` takes on a variant of such an enum.
pub const VARIANT_OPTIONS: &[Symbol] = &[VALUE, LABEL];

/// "label, help, choices" for error messages.
pub fn one_of(options: &[Symbol]) -> String {
    let names: Vec<&str> = options.iter().map(|s| s.0).collect();
    names.join(", ")
}

impl PartialEq<Symbol> for Ident {
    fn eq(&self, word: &Symbol) -> bool {
        self == word.0
    }
}

impl PartialEq<Symbol> for &Ident {
    fn eq(&self, word: &Symbol) -> bool {
        *self == word.0
    }
}

impl PartialEq<Symbol> for Path {
    fn eq(&self, word: &Symbol) -> bool {
        self.is_ident(word.0)
    }
}

impl PartialEq<Symbol> for &Path {
    fn eq(&self, word: &Symbol) -> bool {
        self.is_ident(word.0)
    }
}

impl fmt::Display for Symbol {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.0)
    }
}
