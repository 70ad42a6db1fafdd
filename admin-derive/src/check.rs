//! Rules that span several fields or options: every named field exists, filters and
//! search fit the field's type, one primary key, no duplicate choice values, and an
//! action input's fields do not collide with the action form's own.

use std::collections::{HashMap, HashSet};

use crate::ast::{Choices, Field, Input, Model, TypeClass};
use crate::attr::{Ctxt, Money, Name};
use crate::symbol::{FILTERS, LIST_DISPLAY, ORDERING, READONLY, SEARCH, Symbol};

/// Checks a model; every problem goes into `cx`.
pub fn check_model(cx: &Ctxt, model: &Model<'_>) {
    check_table_name(cx, model);
    check_primary_key(cx, model);
    crate::display::check(cx, model);
    for field in &model.fields {
        check_field_options(cx, field, "column");
        check_money(cx, model, field);
    }
    crate::form::check_fieldsets(cx, model, |name| unknown_field_message(model, name));

    let attrs = &model.attrs;
    if let Some(list_display) = &attrs.list_display {
        check_names(cx, model, LIST_DISPLAY, list_display);
    }
    crate::list_editable::check(cx, model);
    check_names(cx, model, SEARCH, &attrs.search);
    check_names(cx, model, FILTERS, &attrs.filters);
    check_names(cx, model, READONLY, &attrs.readonly);
    if let Some(ordering) = &attrs.ordering {
        let names: Vec<Name> = ordering.iter().map(|key| key.name.clone()).collect();
        check_names(cx, model, ORDERING, &names);
    }

    for name in &attrs.search {
        if let Some(i) = model.field_index(&name.value) {
            check_searchable(cx, name, &model.fields[i]);
        }
    }
    for name in &attrs.filters {
        if let Some(i) = model.field_index(&name.value) {
            check_filterable(cx, name, &model.fields[i]);
        }
    }
}

fn check_table_name(cx: &Ctxt, model: &Model<'_>) {
    if model.attrs.table_name.is_none() {
        cx.error_spanned_by(
            model.ident,
            "#[derive(AdminModel)] needs #[sea_orm(table_name = \"...\")] on the struct: the table name is the model's slug in the admin's URLs",
        );
    }
}

fn check_primary_key(cx: &Ctxt, model: &Model<'_>) {
    let mut keys = model.fields.iter().filter(|f| f.attrs.primary_key.is_some());
    if keys.next().is_none() {
        cx.error_spanned_by(
            model.ident,
            format!(
                "#[derive(AdminModel)] needs a primary key: mark one field of `{}` with #[sea_orm(primary_key)]",
                model.ident
            ),
        );
    }
    for extra in keys {
        cx.error_spanned_by(
            extra.attrs.primary_key.as_ref(),
            format!(
                "the admin supports models with one primary key; `{}` is a second one (composite keys are not supported)",
                extra.name
            ),
        );
    }
}

/// The fields of the action form itself (`admin-web`'s `handlers/action.rs`), which
/// an input field of the same name would collide with, and what each one is.
const ACTION_FORM_FIELDS: &[(&str, &str)] = &[
    ("reason", "the reason kept in the audit log"),
    ("ids", "the selected records"),
    ("select_all", "the select-all switch"),
    ("q", "the list's search, carried with select-all"),
    ("sort", "the list's order, carried with select-all"),
    ("confirm", "the confirmation switch"),
    ("csrf_token", "the CSRF token"),
    ("idempotency_key", "the key that stops a double submission"),
];

/// Checks an action's input; every problem goes into `cx`.
pub fn check_input(cx: &Ctxt, input: &Input<'_>) {
    if !input.generics.params.is_empty() {
        cx.error_spanned_by(
            &input.generics.params,
            "#[derive(ActionInput)] does not support generic parameters: an action's input is one concrete type",
        );
    }
    for field in &input.fields {
        check_field_options(cx, field, "field");
        if let Some((_, what)) = ACTION_FORM_FIELDS.iter().find(|(name, _)| *name == field.name) {
            cx.error_spanned_by(
                field.ident,
                format!(
                    "the action form already has a field named `{}` ({what}); give this input field another name",
                    field.name
                ),
            );
        }
    }
}

/// Checks the options of one field; `noun` is what an enum-typed field is called in
/// the hint ("column" on models, "field" on inputs).
fn check_field_options(cx: &Ctxt, field: &Field<'_>, noun: &str) {
    crate::form::check_field(cx, field);
    let attrs = &field.attrs;
    if let Some(choices) = &attrs.choices
        && field.class != TypeClass::Text
    {
        cx.error_spanned_by(
            &choices.tokens,
            format!(
                "choices work on `String` or `Option<String>` fields; `{}` is `{}`. For an enum {noun}, derive AdminChoices on the enum and leave out `choices`",
                field.name,
                field.type_name()
            ),
        );
    }
    if let Some(foreign_key) = &attrs.foreign_key
        && field.class != TypeClass::Integer
    {
        cx.error_spanned_by(
            &foreign_key.tokens,
            format!("foreign_key works on integer fields; `{}` is `{}`", field.name, field.type_name()),
        );
    }
    if let Some(max_length) = &attrs.max_length {
        if field.class != TypeClass::Text || attrs.choices.is_some() {
            cx.error_spanned_by(
                &max_length.tokens,
                format!(
                    "max_length works on text fields (`String` or `Option<String>` without choices); `{}` is `{}`",
                    field.name,
                    field.type_name()
                ),
            );
        } else if let Some(declared) = attrs.column_length
            && max_length.value > declared
        {
            cx.error_spanned_by(
                &max_length.tokens,
                format!(
                    "max_length = {} is more than the column holds: `{}` is declared with {declared} characters",
                    max_length.value, field.name
                ),
            );
        }
    }
    if let (Some(_), Some(foreign_key)) = (&attrs.choices, &attrs.foreign_key) {
        cx.error_spanned_by(
            &foreign_key.tokens,
            format!("`{}` cannot have both choices and a foreign_key", field.name),
        );
    }
}

/// A money field holds whole minor units, and its currency field exists and is text.
fn check_money(cx: &Ctxt, model: &Model<'_>, field: &Field<'_>) {
    let Some(money) = &field.attrs.money else { return };
    if field.class != TypeClass::Integer || field.attrs.foreign_key.is_some() {
        cx.error_spanned_by(
            &money.tokens,
            format!(
                "money works on integer fields holding the currency's minor unit (cents); `{}` is `{}`",
                field.name,
                field.type_name()
            ),
        );
    }
    if let Money::Field(name, span) = &money.value {
        match model.field_index(name).map(|i| &model.fields[i]) {
            None => cx.error_at(*span, unknown_field_message(model, name)),
            Some(currency) if currency.class != TypeClass::Text => cx.error_at(
                *span,
                format!(
                    "the currency field `{name}` must be text (`String` or `Option<String>`) holding an ISO 4217 code; it is `{}`",
                    currency.type_name()
                ),
            ),
            Some(_) => {}
        }
    }
}

/// Every name exists, and none is listed twice.
fn check_names(cx: &Ctxt, model: &Model<'_>, option: Symbol, names: &[Name]) {
    let mut seen = HashSet::new();
    for name in names {
        if model.field_index(&name.value).is_none() {
            cx.error_at(name.span, unknown_field_message(model, &name.value));
        } else if !seen.insert(name.value.as_str()) {
            cx.error_at(name.span, format!("duplicate field `{}` in {option}", name.value));
        }
    }
}

fn unknown_field_message(model: &Model<'_>, name: &str) -> String {
    let names: Vec<&str> = model.fields.iter().map(|f| f.name.as_str()).collect();
    let hint = crate::suggest::hint(name, names.iter().copied());
    format!("unknown field `{name}`{hint}; fields of {} are: {}", model.ident, names.join(", "))
}

fn check_searchable(cx: &Ctxt, name: &Name, field: &Field<'_>) {
    if field.class != TypeClass::Text {
        cx.error_at(
            name.span,
            format!(
                "search works on text fields; `{}` is not text (it is `{}`)",
                field.name,
                field.type_name()
            ),
        );
    }
}

fn check_filterable(cx: &Ctxt, name: &Name, field: &Field<'_>) {
    if field.attrs.choices.is_some() || field.attrs.foreign_key.is_some() {
        return;
    }
    let why = match field.class {
        TypeClass::Bool | TypeClass::Date | TypeClass::DateTime | TypeClass::EnumLike => return,
        TypeClass::Text => "text fields are searched, not filtered; put it in search(...) or give it choices",
        TypeClass::Integer => {
            "integer fields are filtered only when they refer to another model; mark it #[admin(foreign_key = \"...\")]"
        }
        TypeClass::Float | TypeClass::Decimal => {
            "numbers cannot be filtered; filters work on yes/no, date, choice and foreign key fields"
        }
    };
    cx.error_at(name.span, format!("cannot filter on `{}`: {why}", field.name));
}

/// Checks a choices enum; every problem goes into `cx`.
pub fn check_choices(cx: &Ctxt, choices: &Choices<'_>) {
    if choices.variants.is_empty() {
        cx.error_spanned_by(choices.ident, "#[derive(AdminChoices)] needs at least one variant");
    }
    let mut seen: HashMap<&str, &syn::Ident> = HashMap::new();
    for variant in &choices.variants {
        if variant.value.trim().is_empty() {
            cx.error_at(variant.value_span, format!("the value of `{}` cannot be empty", variant.ident));
        } else if variant.value.trim() != variant.value {
            cx.error_at(
                variant.value_span,
                format!("the value of `{}` cannot start or end with spaces", variant.ident),
            );
        }
        if let Some(first) = seen.insert(&variant.value, variant.ident) {
            cx.error_at(
                variant.value_span,
                format!("duplicate choice value `{}`: `{first}` already has it", variant.value),
            );
        }
    }
}
