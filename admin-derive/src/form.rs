//! The form's layout options: `fieldset(...)` on a model, `widget = "..."` and
//! `blank` on a field. Parsed here, checked here, expanded here; `attr`, `check`
//! and `expand` only call in.

use std::collections::{HashMap, HashSet};

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::{ToTokens, quote};
use syn::ext::IdentExt;
use syn::meta::ParseNestedMeta;
use syn::parse::ParseStream;
use syn::{Ident, LitStr, Token};

use crate::ast::{Field, Model, TypeClass};
use crate::attr::{Ctxt, Name, Spanned};
use crate::symbol::{DESCRIPTION, FIELDS};

/// One `fieldset("Title", description = "...", fields(a, b))`.
pub struct Fieldset {
    /// The title staff see.
    pub title: String,
    /// Where the title was written.
    pub title_span: Span,
    /// `description = "..."`.
    pub description: Option<String>,
    /// `fields(...)`, in order.
    pub fields: Vec<Name>,
}

/// The widgets `widget = "..."` may name: the name and what it works on.
const WIDGETS: &[(&str, WidgetName)] = &[
    ("text", WidgetName::Text),
    ("textarea", WidgetName::Textarea),
    ("select", WidgetName::Select),
    ("radio", WidgetName::Radio),
];

/// A widget a field asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WidgetName {
    /// `"text"`: one line, even for a `Text` column.
    Text,
    /// `"textarea"`: several lines (and line breaks are accepted).
    Textarea,
    /// `"select"`: a drop-down list of the choices (the default).
    Select,
    /// `"radio"`: a radio button per choice.
    Radio,
}

const FIELDSET_EXAMPLE: &str = "fieldset(\"Billing\", description = \"...\", fields(plan, billing_state))";

/// Parses one `fieldset(...)` of a model.
pub fn parse_fieldset(cx: &Ctxt, meta: &ParseNestedMeta<'_>) -> syn::Result<Option<Fieldset>> {
    if !meta.input.peek(syn::token::Paren) {
        cx.error_spanned_by(
            &meta.path,
            format!("expected a titled list of fields, like `{FIELDSET_EXAMPLE}`"),
        );
        skip(meta.input)?;
        return Ok(None);
    }
    let content;
    syn::parenthesized!(content in meta.input);
    let Ok(title) = content.parse::<LitStr>() else {
        cx.error_at(content.span(), format!("a fieldset starts with its title, like `{FIELDSET_EXAMPLE}`"));
        while !content.is_empty() {
            content.parse::<TokenTree>()?;
        }
        return Ok(None);
    };
    let mut ok = true;
    if title.value().trim().is_empty() {
        cx.error_spanned_by(&title, "a fieldset's title cannot be empty");
        ok = false;
    }
    let mut description: Option<String> = None;
    let mut fields: Option<Vec<Name>> = None;
    while !content.is_empty() {
        content.parse::<Token![,]>()?;
        if content.is_empty() {
            break;
        }
        let key = content.call(Ident::parse_any)?;
        if key == DESCRIPTION.0 {
            content.parse::<Token![=]>()?;
            let text: LitStr = content.parse()?;
            if description.replace(text.value()).is_some() {
                cx.error_spanned_by(&key, "duplicate `description` in this fieldset");
            }
        } else if key == FIELDS.0 {
            let list = parse_names(cx, &content)?;
            if list.is_empty() {
                cx.error_spanned_by(
                    &key,
                    format!("a fieldset needs at least one field, like `{FIELDSET_EXAMPLE}`"),
                );
                ok = false;
            }
            if fields.replace(list).is_some() {
                cx.error_spanned_by(&key, "duplicate `fields` in this fieldset");
            }
        } else {
            let name = key.unraw().to_string();
            let hint = crate::suggest::hint(&name, [DESCRIPTION.0, FIELDS.0]);
            cx.error_spanned_by(
                &key,
                format!("unknown fieldset option `{name}`{hint}; expected `description = \"...\"` or `fields(...)`"),
            );
            skip(&content)?;
        }
    }
    let Some(fields) = fields else {
        cx.error_spanned_by(&title, format!("the fieldset needs its fields, like `{FIELDSET_EXAMPLE}`"));
        return Ok(None);
    };
    Ok(ok.then(|| Fieldset { title: title.value(), title_span: title.span(), description, fields }))
}

/// Parses `(a, b, c)` into field names.
fn parse_names(cx: &Ctxt, input: ParseStream<'_>) -> syn::Result<Vec<Name>> {
    let list;
    syn::parenthesized!(list in input);
    let mut names = Vec::new();
    while !list.is_empty() {
        if list.peek(Ident::peek_any) && (list.peek2(Token![,]) || peek_one(&list)) {
            let ident = list.call(Ident::parse_any)?;
            names.push(Name { value: ident.unraw().to_string(), span: ident.span() });
        } else {
            let mut bad = TokenStream::new();
            while !list.is_empty() && !list.peek(Token![,]) {
                bad.extend([list.parse::<TokenTree>()?]);
            }
            cx.error_spanned_by(bad, "expected a field name, like `fields(plan, billing_state)`");
        }
        if !list.is_empty() {
            list.parse::<Token![,]>()?;
        }
    }
    Ok(names)
}

fn peek_one(input: ParseStream<'_>) -> bool {
    input.cursor().token_tree().is_some_and(|(_, rest)| rest.eof())
}

fn skip(input: ParseStream<'_>) -> syn::Result<()> {
    while !input.is_empty() && !input.peek(Token![,]) {
        input.parse::<TokenTree>()?;
    }
    Ok(())
}

/// Parses `widget = "radio"`.
pub fn parse_widget(cx: &Ctxt, meta: &ParseNestedMeta<'_>) -> syn::Result<Option<Spanned<WidgetName>>> {
    let key = meta.path.to_token_stream();
    let names: Vec<&str> = WIDGETS.iter().map(|(n, _)| *n).collect();
    let expected = format!("one of: {}, like `widget = \"radio\"`", names.join(", "));
    if !meta.input.peek(Token![=]) {
        cx.error_spanned_by(&meta.path, format!("expected {expected}"));
        skip(meta.input)?;
        return Ok(None);
    }
    let value = meta.value()?;
    let Ok(lit) = value.parse::<LitStr>() else {
        cx.error_at(value.span(), format!("expected a string, {expected}"));
        skip(value)?;
        return Ok(None);
    };
    let text = lit.value();
    match WIDGETS.iter().find(|(n, _)| *n == text) {
        Some((_, widget)) => Ok(Some(Spanned { value: *widget, tokens: quote!(#key = #lit) })),
        None => {
            let hint = crate::suggest::hint(&text, names.iter().copied());
            cx.error_spanned_by(&lit, format!("unknown widget `{text}`{hint}; expected {expected}"));
            Ok(None)
        }
    }
}

/// Checks a model's fieldsets: every field exists and is in at most one of them.
pub fn check_fieldsets(cx: &Ctxt, model: &Model<'_>, unknown: impl Fn(&str) -> String) {
    let mut placed: HashMap<&str, &str> = HashMap::new();
    let mut titles: HashSet<&str> = HashSet::new();
    for set in &model.attrs.fieldsets {
        if !titles.insert(set.title.as_str()) {
            cx.error_at(set.title_span, format!("two fieldsets are titled \"{}\"", set.title));
        }
        for name in &set.fields {
            if model.field_index(&name.value).is_none() {
                cx.error_at(name.span, unknown(&name.value));
            } else if let Some(first) = placed.insert(&name.value, &set.title) {
                let msg = if first == set.title {
                    format!("duplicate field `{}` in fieldset \"{first}\"", name.value)
                } else {
                    format!(
                        "field `{}` is already in fieldset \"{first}\"; a field goes in one fieldset",
                        name.value
                    )
                };
                cx.error_at(name.span, msg);
            }
        }
    }
}

/// Checks a field's `widget` and `blank` against its type.
pub fn check_field(cx: &Ctxt, field: &Field<'_>) {
    let attrs = &field.attrs;
    let has_choices = attrs.choices.is_some() || field.class == TypeClass::EnumLike;
    if let Some(widget) = &attrs.widget {
        let problem = match widget.value {
            WidgetName::Select | WidgetName::Radio if !has_choices => Some("fields with choices"),
            WidgetName::Text | WidgetName::Textarea if field.class != TypeClass::Text || has_choices => {
                Some("text fields (`String` or `Option<String>` without choices)")
            }
            _ => None,
        };
        if let Some(works_on) = problem {
            cx.error_spanned_by(
                &widget.tokens,
                format!("this widget works on {works_on}; `{}` is `{}`", field.name, field.type_name()),
            );
        }
    }
    if let Some(blank) = &attrs.blank {
        if field.class == TypeClass::Text && field.optional && attrs.choices.is_none() {
            cx.error_spanned_by(
                blank,
                format!(
                    "`{}` is `{}`: it may already be left empty (empty saves NULL); `blank` is for `String` fields",
                    field.name,
                    field.type_name()
                ),
            );
        } else if field.class != TypeClass::Text || attrs.choices.is_some() {
            cx.error_spanned_by(
                blank,
                format!(
                    "`blank` works on `String` fields without choices (empty text saves \"\"); `{}` is `{}`",
                    field.name,
                    field.type_name()
                ),
            );
        }
    }
}

/// The `fieldsets: &[...]` of a model's `ModelMeta`.
pub fn expand_fieldsets(model: &Model<'_>) -> TokenStream {
    let sets = model.attrs.fieldsets.iter().map(|set| {
        let title = &set.title;
        let description = set.description.as_deref().unwrap_or_default();
        let fields = set.fields.iter().filter_map(|n| model.field_index(&n.value));
        quote!(__a::Fieldset { title: #title, description: #description, fields: &[#(#fields),*] })
    });
    quote!(&[#(#sets),*])
}

/// A field's `widget: ...`: the one asked for, else chosen from its kind by
/// `Widget::auto` (evaluated at compile time, in the `static`).
pub fn expand_widget(
    field: &Field<'_>,
    kind: &TokenStream,
    nullable: &TokenStream,
    choices: &TokenStream,
    multiline: bool,
) -> TokenStream {
    match field.attrs.widget.as_ref().map(|w| w.value) {
        Some(WidgetName::Text) => quote!(__a::Widget::Text),
        Some(WidgetName::Textarea) => quote!(__a::Widget::Textarea),
        Some(WidgetName::Select) => quote!(__a::Widget::Select),
        Some(WidgetName::Radio) => quote!(__a::Widget::Radio),
        None => {
            let money = field.attrs.money.is_some();
            quote!(__a::Widget::auto(#kind, #nullable, #choices.is_some(), #money, #multiline))
        }
    }
}

/// Whether the field takes several lines: a `Text` column or `widget = "textarea"`.
pub fn multiline(field: &Field<'_>) -> bool {
    field.attrs.text_column || field.attrs.widget.as_ref().is_some_and(|w| w.value == WidgetName::Textarea)
}
