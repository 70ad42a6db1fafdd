//! Turns records and model metadata into the values templates show.

use admin_core::audit::{self, entry};
use admin_core::kernel::field::{Cell, FieldKind, MoneyCurrency};
use admin_core::kernel::form::{Widget, decimal_step};
use admin_core::kernel::text;
use admin_core::{FieldMeta, ForeignNames, ModelMeta, Record};
use minijinja::{Value, context};

use crate::i18n::Reader;
use crate::render::escape_html;

/// One cell for a list or related-records table.
#[must_use]
pub fn cell_view(prefix: &str, field: &FieldMeta, cell: &Cell, reader: Reader<'_>) -> Value {
    cell_view_named(prefix, field, cell, &ForeignNames::none(), reader)
}

/// One cell, a foreign key showing the display name of the record it refers to
/// (from `names`, which the door loaded for the whole page) instead of its id.
#[must_use]
pub fn cell_view_named(
    prefix: &str,
    field: &FieldMeta,
    cell: &Cell,
    names: &ForeignNames,
    reader: Reader<'_>,
) -> Value {
    match cell {
        Cell::Null => context! { kind => "null", text => "" },
        Cell::Bool(b) => {
            context! { kind => "bool", value => *b, text => reader.t(if *b { "yes" } else { "no" }, &[]) }
        }
        Cell::Int(_) if field.foreign_key.is_some() => {
            let target = field.foreign_key.unwrap_or_default();
            context! {
                kind => "link",
                text => names.of(field, cell).map_or_else(|| cell.display(), str::to_owned),
                href => format!("{prefix}/{target}/{}", cell.form_value()),
            }
        }
        Cell::Int(_) | Cell::Float(_) | Cell::Decimal(_) | Cell::Money(_) => {
            context! { kind => "number", text => reader.cell(cell).unwrap_or_else(|| cell.display()) }
        }
        Cell::Date(_) | Cell::DateTime(_) => {
            context! { kind => "text", text => reader.cell(cell).unwrap_or_else(|| field.display(cell)) }
        }
        _ => context! { kind => "text", text => field.display(cell) },
    }
}

/// A list row's cells as HTML, as `list.html` writes them through the built-in
/// `admin/includes/cell.html`: the first in a `<th>` linking to the record, the
/// others in `<td>`s. Lists render this instead of including the cell template
/// seven hundred times per page, unless that template is overridden.
#[must_use]
pub fn row_cells_html(
    prefix: &str,
    meta: &ModelMeta,
    columns: &[usize],
    record: &Record,
    url: &str,
    names: &ForeignNames,
    reader: Reader<'_>,
) -> String {
    let mut out = String::with_capacity(96 * columns.len());
    for (n, &i) in columns.iter().enumerate() {
        let field = &meta.fields[i];
        let cell = &record.cells[i];
        if n == 0 {
            out.push_str("<th scope=\"row\"><a href=\"");
            out.push_str(&escape_html(url));
            out.push_str("\">");
            cell_html(&mut out, prefix, field, cell, names, reader);
            out.push_str("</a></th>\n");
        } else {
            let numeric = matches!(cell, Cell::Int(_) | Cell::Float(_) | Cell::Decimal(_) | Cell::Money(_))
                && field.foreign_key.is_none();
            out.push_str(if numeric { "<td class=\"num\">" } else { "<td class=\"\">" });
            cell_html(&mut out, prefix, field, cell, names, reader);
            out.push_str("</td>\n");
        }
    }
    out
}

/// One cell as `admin/includes/cell.html` writes it.
pub(crate) fn cell_html(
    out: &mut String,
    prefix: &str,
    field: &FieldMeta,
    cell: &Cell,
    names: &ForeignNames,
    reader: Reader<'_>,
) {
    match cell {
        Cell::Null => out.push_str(&format!(
            "<span class=\"null\" title=\"{}\">\u{2014}</span>",
            escape_html(&reader.t("cell-empty", &[]))
        )),
        Cell::Bool(b) => {
            let (class, mark) = if *b { ("yes", "\u{2714}") } else { ("no", "\u{2718}") };
            let text = escape_html(&reader.t(class, &[]));
            out.push_str(&format!(
                "<span class=\"bool {class}\" title=\"{text}\"><span aria-hidden=\"true\">{mark}</span><span class=\"sr\">{text}</span></span>"
            ));
        }
        Cell::Int(_) if field.foreign_key.is_some() => {
            let target = field.foreign_key.unwrap_or_default();
            let href = format!("{prefix}/{target}/{}", cell.form_value());
            let text = names.of(field, cell).map_or_else(|| cell.display(), str::to_owned);
            out.push_str(&format!("<a href=\"{}\">{}</a>", escape_html(&href), escape_html(&text)));
        }
        Cell::Int(_) | Cell::Float(_) | Cell::Decimal(_) | Cell::Money(_) => {
            out.push_str(&escape_html(&reader.cell(cell).unwrap_or_else(|| cell.display())));
        }
        Cell::Date(_) | Cell::DateTime(_) => {
            out.push_str(&escape_html(&reader.cell(cell).unwrap_or_else(|| field.display(cell))));
        }
        _ => out.push_str(&escape_html(&field.display(cell))),
    }
}

/// The control `admin/includes/field.html` writes for a field: its widget's name
/// (`text`, `textarea`, `select`, `radio`, `number`, `decimal`, `money`, ...).
#[must_use]
pub fn input_type(field: &FieldMeta) -> &'static str {
    field.widget.name()
}

/// The currency shown next to a money field's input: the one every record has, else
/// the record's (none yet on a new record, whose form chooses it).
fn money_currency(field: &FieldMeta, display: &Cell) -> Option<String> {
    match (field.money?, display) {
        (MoneyCurrency::Fixed(code), _) => Some(code.to_owned()),
        (MoneyCurrency::Field(_), Cell::Money(m)) if !m.currency.is_empty() => Some(m.currency.clone()),
        (MoneyCurrency::Field(_), _) => None,
    }
}

/// The "at most N characters" hint of a text field whose limit is its own (a
/// `max_length` or the column's declared length), not the default every text field
/// has; the input's `maxlength` is written either way.
fn max_length_hint(field: &FieldMeta) -> Option<usize> {
    let default = if field.multiline { text::TEXT } else { text::LINE };
    (field.kind == FieldKind::Text && field.choices.is_none() && field.max_length != default)
        .then_some(field.max_length)
}

/// One form control: the field's metadata, its current (or submitted) value, and
/// its error, if any.
#[must_use]
#[allow(clippy::too_many_arguments)] // each is a distinct input of one control
pub fn field_view(
    prefix: &str,
    meta: &ModelMeta,
    index: usize,
    value: &str,
    display: &Cell,
    readonly: bool,
    error: Option<&str>,
    reader: Reader<'_>,
) -> Value {
    let f = &meta.fields[index];
    let choices: Vec<Value> = f
        .choices
        .unwrap_or(&[])
        .iter()
        .map(|c| context! { value => c.value, label => c.label, selected => c.value == value })
        .collect();
    let fk_url = f.foreign_key.filter(|_| !value.is_empty()).map(|t| format!("{prefix}/{t}/{value}"));
    context! {
        name => f.name,
        id => format!("id_{}", f.name),
        label => reader.field_label(meta.slug, f.name, f.label),
        help => f.help,
        input => input_type(f),
        step => (f.widget == Widget::Decimal).then(|| decimal_step(f.decimal_digits.map(|(_, s)| s))),
        currency => money_currency(f, display),
        max_length_hint => max_length_hint(f),
        value => value,
        checked => value == "1",
        display => cell_view(prefix, f, display, reader),
        readonly => readonly,
        required => f.required(),
        nullable => f.nullable,
        max_length => (f.kind == FieldKind::Text && f.choices.is_none()).then_some(f.max_length),
        error => error,
        choices => choices,
        fk_url => fk_url,
        // The autocomplete of a foreign key, where the page offers one.
        autocomplete => (),
        fk_name => Option::<String>::None,
    }
}

/// A kind as people read it: `action:lock` becomes "Action: lock" (the catalogs'
/// `kind-{kind}` messages; `kind-action` and `kind-undo` with the action's name).
#[must_use]
pub fn kind_label(kind: &str, reader: Reader<'_>) -> String {
    let known = [
        "create",
        "update",
        "delete",
        "login",
        "login_failed",
        "logout",
        "approve",
        "reject",
        "approval_requested",
        "approval_failed",
        "login_locked",
        "login_password",
        "two_factor_enrolled",
        "two_factor_disabled",
        "reauth",
        "reauth_failed",
        "reauth_locked",
        "restore",
    ];
    if known.contains(&kind) {
        return reader.t(&format!("kind-{}", kind.replace('_', "-")), &[]);
    }
    match (kind.strip_prefix("action:"), kind.strip_prefix("undo:")) {
        (Some(a), _) => reader.t("kind-action", &[("name", a.replace('_', " ").into())]),
        (_, Some(a)) => reader.t("kind-undo", &[("name", a.replace('_', " ").into())]),
        _ => kind.to_owned(),
    }
}

/// One audit entry for the history and audit-log pages, without the changes to
/// fields hidden from `staff`.
#[must_use]
pub fn entry_view(
    staff: &admin_core::Staff,
    e: &entry::Model,
    meta: Option<&ModelMeta>,
    record_url: Option<String>,
    deleted: bool,
    reader: Reader<'_>,
) -> Value {
    let changes: Vec<Value> = audit::parse_changes(&e.changes)
        .into_iter()
        // Fields hidden from this user stay out of history too.
        .filter(|(field, _, _)| {
            meta.and_then(|m| m.field(field))
                .is_none_or(|(_, f)| !admin_core::access::permission::hidden(staff, f))
        })
        .map(|(field, before, after)| {
            let f = meta.and_then(|m| m.field(&field).map(|(_, f)| f));
            let label = f.map_or_else(|| field.clone(), |f| f.label.to_owned());
            let show = |v: &str| f.map_or_else(|| v.to_owned(), |f| f.choice_label(v).to_owned());
            context! { field => label, before => show(&before), after => show(&after) }
        })
        .collect();
    let model_label = meta.map(|m| m.label.to_owned()).or(match e.model.as_deref() {
        Some("approval") => Some(reader.t("model-approval", &[])),
        Some("staff") => Some(reader.t("model-staff", &[])),
        Some("api_token") => Some(reader.t("model-api-token", &[])),
        _ => None,
    });
    // "Account 42"; the pages put the record's display name in its place where
    // the model has one (read when the log is shown: entries keep the key).
    let record_title = format!(
        "{} {}",
        model_label.as_deref().or(e.model.as_deref()).unwrap_or_default(),
        e.object_id.as_deref().unwrap_or_default()
    );
    context! {
        seq => e.seq,
        at => crate::i18n::format::datetime(reader.catalogs, reader.locale, e.at, true),
        actor => &e.actor,
        kind => &e.kind,
        kind_label => kind_label(&e.kind, reader),
        model => &e.model,
        model_label => model_label,
        object_id => &e.object_id,
        record_title => record_title,
        record_url => record_url,
        deleted => deleted,
        reason => &e.reason,
        request_id => &e.request_id,
        client_addr => &e.client_addr,
        changes => changes,
    }
}
