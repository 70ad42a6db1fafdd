//! Parsing of `#[admin(...)]` and the parts of `#[sea_orm(...)]` the derives read.
//!
//! Every mistake is recorded in a [`Ctxt`] with its span and parsing goes on, so
//! the user sees all of them at once. Cross-field rules (does this name exist, can
//! this field be filtered) are in `check.rs`.

use std::cell::RefCell;
use std::fmt::Display;
use std::thread;

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::{ToTokens, quote};
use syn::ext::IdentExt;
use syn::meta::ParseNestedMeta;
use syn::parse::ParseStream;
use syn::{Attribute, Expr, ExprLit, Ident, Lit, LitStr, Path, Token, Type, UnOp};

use crate::symbol::{
    ADMIN, AUTO_INCREMENT, BLANK, CHOICES, COLUMN_NAME, COLUMN_TYPE, CRATE, CURRENCY, CURRENCY_FIELD,
    DISPLAY, DISPLAY_WITH, ENUM_OPTIONS, FIELD_OPTIONS, FIELDSET, FILTERS, FOREIGN_KEY, HELP, HIDDEN_FOR,
    IGNORE, INPUT_FIELD_OPTIONS, INPUT_OPTIONS, LABEL, LABEL_PLURAL, LIST_DISPLAY, MAX_LENGTH,
    MODEL_ONLY_FIELD_OPTIONS, MODEL_OPTIONS, MONEY, NUM_VALUE, ORDERING, PER_PAGE, PRIMARY_KEY, READONLY,
    READONLY_FOR, REASON_REQUIRED, SEA_ORM, SEARCH, STRING_VALUE, Symbol, TABLE_NAME, UNIQUE, VALUE,
    VARIANT_OPTIONS, WIDGET, one_of,
};

/// The largest `max_length` a text field may declare (a million characters).
pub const MAX_MAX_LENGTH: u64 = 1_000_000;

/// The largest `per_page` a model may ask for.
pub const MAX_PER_PAGE: u64 = 1000;

/// Collects the errors of one derive invocation, each with its span.
///
/// It must be consumed with [`Ctxt::check`]; dropping it unchecked is a bug in this
/// crate and panics.
pub struct Ctxt {
    errors: RefCell<Option<Vec<syn::Error>>>,
}

impl Ctxt {
    /// An empty context.
    pub fn new() -> Self {
        Ctxt { errors: RefCell::new(Some(Vec::new())) }
    }

    /// Records an error that covers the tokens of `obj`.
    pub fn error_spanned_by<A: ToTokens, T: Display>(&self, obj: A, msg: T) {
        self.syn_error(syn::Error::new_spanned(obj.into_token_stream(), msg));
    }

    /// Records an error at `span`.
    pub fn error_at<T: Display>(&self, span: Span, msg: T) {
        self.syn_error(syn::Error::new(span, msg));
    }

    /// Records an error from syn.
    pub fn syn_error(&self, err: syn::Error) {
        self.errors.borrow_mut().as_mut().expect("Ctxt used after check").push(err);
    }

    /// Consumes the context.
    ///
    /// # Errors
    /// Every recorded error, combined into one.
    pub fn check(self) -> syn::Result<()> {
        let mut errors = self.errors.borrow_mut().take().expect("Ctxt checked twice").into_iter();
        let Some(mut combined) = errors.next() else {
            return Ok(());
        };
        for rest in errors {
            combined.combine(rest);
        }
        Err(combined)
    }
}

impl Drop for Ctxt {
    fn drop(&mut self) {
        if !thread::panicking() && self.errors.borrow().is_some() {
            panic!("forgot to check for errors");
        }
    }
}

/// A field name written in an option, with where it was written.
#[derive(Clone, Debug)]
pub struct Name {
    /// The field name, without any `r#`.
    pub value: String,
    /// Where to point an error about it.
    pub span: Span,
}

impl Name {
    fn from_ident(ident: &Ident) -> Self {
        Name { value: ident.unraw().to_string(), span: ident.span() }
    }
}

/// One key of `ordering = "-id,email"`.
#[derive(Clone, Debug)]
pub struct OrderKey {
    /// The field (its span is the whole string, which cannot be split on stable).
    pub name: Name,
    /// Whether the key had a `-` prefix.
    pub descending: bool,
}

/// An option's value together with the tokens of the whole option, for errors.
#[derive(Clone, Debug)]
pub struct Spanned<T> {
    /// The value.
    pub value: T,
    /// The tokens `key = value`.
    pub tokens: TokenStream,
}

/// One option while it is parsed: reports a second occurrence as a duplicate.
struct Opt<'c, T> {
    cx: &'c Ctxt,
    name: Symbol,
    seen: bool,
    value: Option<T>,
}

impl<'c, T> Opt<'c, T> {
    fn none(cx: &'c Ctxt, name: Symbol) -> Self {
        Opt { cx, name, seen: false, value: None }
    }

    /// Marks the option as seen. On a second occurrence reports it, skips its value
    /// and returns `false`.
    fn first(&mut self, meta: &ParseNestedMeta<'_>) -> syn::Result<bool> {
        if self.seen {
            self.cx.error_spanned_by(&meta.path, format!("duplicate admin option `{}`", self.name));
            skip_value(meta.input)?;
            return Ok(false);
        }
        self.seen = true;
        Ok(true)
    }

    fn set(&mut self, value: Option<T>) {
        if value.is_some() {
            self.value = value;
        }
    }

    fn get(self) -> Option<T> {
        self.value
    }
}

/// Options of `#[derive(AdminModel)]` from the struct's attributes.
pub struct Model {
    /// `crate = "..."`.
    pub krate: Option<Path>,
    /// `#[sea_orm(table_name = "...")]`.
    pub table_name: Option<String>,
    /// `label = "..."`.
    pub label: Option<String>,
    /// `label_plural = "..."`.
    pub label_plural: Option<String>,
    /// `list_display(...)`; `None` shows every field.
    pub list_display: Option<Vec<Name>>,
    /// `list_editable(...)`: columns changed in place on the list.
    pub list_editable: Vec<Name>,
    /// `search(...)`.
    pub search: Vec<Name>,
    /// `filters(...)`.
    pub filters: Vec<Name>,
    /// `readonly(...)`.
    pub readonly: Vec<Name>,
    /// `ordering = "..."`; `None` orders by the primary key, newest first.
    pub ordering: Option<Vec<OrderKey>>,
    /// `per_page = N`.
    pub per_page: Option<u64>,
    /// The flag `reason_required`.
    pub reason_required: bool,
    /// `fieldset(...)`, each one, in order.
    pub fieldsets: Vec<crate::form::Fieldset>,
    /// `display = "..."` or `display_with = path` (see `crate::display`).
    pub display: Option<crate::display::DisplayOpt>,
    /// `inlines(...)`: child models edited on the record page.
    pub inlines: Vec<crate::inlines::Inline>,
}

impl Model {
    /// Reads the struct-level `#[admin(...)]` and `#[sea_orm(...)]` attributes.
    pub fn from_ast(cx: &Ctxt, attrs: &[Attribute]) -> Self {
        let mut krate = Opt::none(cx, CRATE);
        let mut label = Opt::none(cx, LABEL);
        let mut label_plural = Opt::none(cx, LABEL_PLURAL);
        let mut list_display = Opt::none(cx, LIST_DISPLAY);
        let mut search = Opt::none(cx, SEARCH);
        let mut list_editable = Opt::none(cx, crate::symbol::LIST_EDITABLE);
        let mut filters = Opt::none(cx, FILTERS);
        let mut readonly = Opt::none(cx, READONLY);
        let mut ordering = Opt::none(cx, ORDERING);
        let mut per_page = Opt::none(cx, PER_PAGE);
        let mut reason_required = Opt::none(cx, REASON_REQUIRED);
        let mut fieldsets = Vec::new();
        let mut display = Opt::none(cx, DISPLAY);
        let mut display_with = Opt::none(cx, DISPLAY_WITH);
        let mut inlines = Opt::none(cx, crate::symbol::INLINES);

        for attr in attrs.iter().filter(|a| a.path() == ADMIN) {
            let parsed = attr.parse_nested_meta(|meta| {
                let key = &meta.path;
                if key == LABEL {
                    if label.first(&meta)? {
                        label.set(parse_label(cx, &meta, LABEL)?);
                    }
                } else if key == LABEL_PLURAL {
                    if label_plural.first(&meta)? {
                        label_plural.set(parse_label(cx, &meta, LABEL_PLURAL)?);
                    }
                } else if key == LIST_DISPLAY {
                    if list_display.first(&meta)? {
                        let names = parse_name_list(cx, &meta, LIST_DISPLAY)?;
                        if names.as_ref().is_some_and(Vec::is_empty) {
                            cx.error_spanned_by(
                                &meta.path,
                                "list_display needs at least one field; leave it out to show every field",
                            );
                        }
                        list_display.set(names);
                    }
                } else if key == crate::symbol::LIST_EDITABLE {
                    if list_editable.first(&meta)? {
                        list_editable.set(crate::list_editable::parse(cx, &meta)?);
                    }
                } else if key == SEARCH {
                    if search.first(&meta)? {
                        search.set(parse_name_list(cx, &meta, SEARCH)?);
                    }
                } else if key == FILTERS {
                    if filters.first(&meta)? {
                        filters.set(parse_name_list(cx, &meta, FILTERS)?);
                    }
                } else if key == READONLY {
                    if readonly.first(&meta)? {
                        readonly.set(parse_name_list(cx, &meta, READONLY)?);
                    }
                } else if key == ORDERING {
                    if ordering.first(&meta)? {
                        ordering.set(parse_ordering(cx, &meta)?);
                    }
                } else if key == PER_PAGE {
                    if per_page.first(&meta)? {
                        per_page.set(parse_per_page(cx, &meta)?);
                    }
                } else if key == REASON_REQUIRED {
                    if reason_required.first(&meta)? {
                        reason_required.set(parse_flag(cx, &meta, REASON_REQUIRED)?);
                    }
                } else if key == FIELDSET {
                    fieldsets.extend(crate::form::parse_fieldset(cx, &meta)?);
                } else if key == crate::symbol::INLINES {
                    if inlines.first(&meta)? {
                        inlines.set(crate::inlines::parse(cx, &meta)?);
                    }
                } else if key == CRATE {
                    if krate.first(&meta)? {
                        krate.set(parse_crate_path(cx, &meta)?);
                    }
                } else if key == DISPLAY {
                    if display.first(&meta)? {
                        display.set(crate::display::parse_template(cx, &meta)?);
                    }
                } else if key == DISPLAY_WITH {
                    if display_with.first(&meta)? {
                        display_with.set(crate::display::parse_with(cx, &meta)?);
                    }
                } else {
                    unknown_option(cx, &meta, MODEL_OPTIONS)?;
                }
                Ok(())
            });
            if let Err(err) = parsed {
                cx.syn_error(err);
            }
        }

        let mut table_name = None;
        for attr in attrs.iter().filter(|a| a.path() == SEA_ORM) {
            // Malformed sea_orm attributes are reported by sea-orm's own derive.
            let _ = attr.parse_nested_meta(|meta| {
                if meta.path == TABLE_NAME && meta.input.peek(Token![=]) {
                    if let Expr::Lit(ExprLit { lit: Lit::Str(s), .. }) = meta.value()?.parse::<Expr>()? {
                        table_name = Some(s.value());
                    }
                } else {
                    skip_value(meta.input)?;
                }
                Ok(())
            });
        }

        Model {
            krate: krate.get(),
            table_name,
            label: label.get(),
            label_plural: label_plural.get(),
            list_display: list_display.get(),
            list_editable: list_editable.get().unwrap_or_default(),
            search: search.get().unwrap_or_default(),
            filters: filters.get().unwrap_or_default(),
            readonly: readonly.get().unwrap_or_default(),
            ordering: ordering.get(),
            per_page: per_page.get(),
            reason_required: reason_required.get().is_some(),
            fieldsets,
            display: crate::display::one_of(cx, display.get(), display_with.get()),
            inlines: inlines.get().unwrap_or_default(),
        }
    }
}

/// Options of one field of a model, from `#[admin(...)]` and `#[sea_orm(...)]`.
pub struct Field {
    /// `label = "..."`.
    pub label: Option<String>,
    /// `help = "..."`.
    pub help: Option<String>,
    /// `choices = Type`.
    pub choices: Option<Spanned<Type>>,
    /// `foreign_key = "slug"`.
    pub foreign_key: Option<Spanned<String>>,
    /// The flag `readonly`.
    pub readonly: bool,
    /// The flag `reason_required`.
    pub reason_required: bool,
    /// `hidden_for(...)`: role names.
    pub hidden_for: Vec<String>,
    /// `readonly_for(...)`: role names.
    pub readonly_for: Vec<String>,
    /// `#[sea_orm(primary_key)]`, with the tokens to point at.
    pub primary_key: Option<TokenStream>,
    /// `#[sea_orm(auto_increment = ...)]`.
    pub auto_increment: Option<bool>,
    /// `#[sea_orm(ignore)]`: not a column.
    pub ignore: bool,
    /// `#[sea_orm(unique)]`: no two rows share a value.
    pub unique: bool,
    /// `#[sea_orm(column_name = "...")]`: the column's name, when not the field's.
    pub column_name: Option<String>,
    /// The precision and scale of `#[sea_orm(column_type = "Decimal(Some((p, s)))")]`
    /// (or `Money`).
    pub decimal_digits: Option<(u32, u32)>,
    /// `max_length = N`.
    pub max_length: Option<Spanned<u64>>,
    /// `money(currency_field = "..")` or `money(currency = "..")`.
    pub money: Option<Spanned<Money>>,
    /// The length declared by `#[sea_orm(column_type = "String(StringLen::N(120))")]`.
    pub column_length: Option<u64>,
    /// `#[sea_orm(column_type = "Text")]`: long text over several lines.
    pub text_column: bool,
    /// `widget = "..."`.
    pub widget: Option<Spanned<crate::form::WidgetName>>,
    /// The flag `blank`, with its tokens to point at.
    pub blank: Option<TokenStream>,
}

/// Where a money field's currency comes from.
pub enum Money {
    /// `currency_field = "currency"`: another field of the record, with its span.
    Field(String, Span),
    /// `currency = "EUR"`: one ISO 4217 code for every record.
    Fixed(String),
}

/// What a field belongs to, which decides the options it takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FieldOf {
    /// A sea-orm model (`#[derive(AdminModel)]`).
    Model,
    /// An action's input (`#[derive(ActionInput)]`).
    Input,
}

impl Field {
    /// Reads the attributes of a model's field.
    pub fn from_ast(cx: &Ctxt, attrs: &[Attribute]) -> Self {
        Self::parse(cx, attrs, FieldOf::Model)
    }

    /// Reads the attributes of an action input's field: `label`, `help`, `choices`
    /// and `foreign_key`; the model-only options are reported. `#[sea_orm(...)]` is
    /// not read (an input is not a table).
    pub fn from_input_ast(cx: &Ctxt, attrs: &[Attribute]) -> Self {
        Self::parse(cx, attrs, FieldOf::Input)
    }

    fn parse(cx: &Ctxt, attrs: &[Attribute], of: FieldOf) -> Self {
        let mut primary_key = None;
        let mut auto_increment = None;
        let mut ignore = false;
        let mut unique = false;
        let mut column_name = None;
        let mut decimal_digits = None;
        let mut column_length = None;
        let mut text_column = false;
        let sea_orm_attrs = attrs.iter().filter(|a| of == FieldOf::Model && a.path() == SEA_ORM);
        for attr in sea_orm_attrs {
            // Malformed sea_orm attributes are reported by sea-orm's own derive.
            let _ = attr.parse_nested_meta(|meta| {
                if meta.path == PRIMARY_KEY {
                    primary_key = Some(meta.path.to_token_stream());
                    skip_value(meta.input)?;
                } else if meta.path == IGNORE {
                    ignore = true;
                    skip_value(meta.input)?;
                } else if meta.path == UNIQUE {
                    unique = true;
                    skip_value(meta.input)?;
                } else if meta.path == COLUMN_NAME && meta.input.peek(Token![=]) {
                    if let Expr::Lit(ExprLit { lit: Lit::Str(s), .. }) = meta.value()?.parse::<Expr>()? {
                        column_name = Some(s.value());
                    }
                } else if meta.path == COLUMN_TYPE && meta.input.peek(Token![=]) {
                    if let Expr::Lit(ExprLit { lit: Lit::Str(s), .. }) = meta.value()?.parse::<Expr>()? {
                        decimal_digits = parse_decimal_digits(&s.value());
                        (column_length, text_column) = column_type_text(&s.value());
                    }
                } else if meta.path == AUTO_INCREMENT && meta.input.peek(Token![=]) {
                    if let Expr::Lit(ExprLit { lit: Lit::Bool(b), .. }) = meta.value()?.parse::<Expr>()? {
                        auto_increment = Some(b.value);
                    }
                } else {
                    skip_value(meta.input)?;
                }
                Ok(())
            });
        }

        let mut label = Opt::none(cx, LABEL);
        let mut help = Opt::none(cx, HELP);
        let mut choices = Opt::none(cx, CHOICES);
        let mut foreign_key = Opt::none(cx, FOREIGN_KEY);
        let mut max_length = Opt::none(cx, MAX_LENGTH);
        let mut money = Opt::none(cx, MONEY);
        let mut readonly = Opt::none(cx, READONLY);
        let mut reason_required = Opt::none(cx, REASON_REQUIRED);
        let mut hidden_for = Opt::none(cx, HIDDEN_FOR);
        let mut readonly_for = Opt::none(cx, READONLY_FOR);
        let mut widget = Opt::none(cx, WIDGET);
        let mut blank = Opt::none(cx, BLANK);
        if !ignore {
            for attr in attrs.iter().filter(|a| a.path() == ADMIN) {
                let parsed = attr.parse_nested_meta(|meta| {
                    let key = &meta.path;
                    if of == FieldOf::Input
                        && let Some(option) = MODEL_ONLY_FIELD_OPTIONS.iter().find(|o| key == **o)
                    {
                        return model_only_option(cx, &meta, *option);
                    }
                    if key == LABEL {
                        if label.first(&meta)? {
                            label.set(parse_label(cx, &meta, LABEL)?);
                        }
                    } else if key == HELP {
                        if help.first(&meta)? {
                            help.set(parse_string(cx, &meta, HELP)?.map(|s| s.value()));
                        }
                    } else if key == CHOICES {
                        if choices.first(&meta)? {
                            choices.set(parse_choices(cx, &meta)?);
                        }
                    } else if key == FOREIGN_KEY {
                        if foreign_key.first(&meta)? {
                            foreign_key.set(parse_foreign_key(cx, &meta)?);
                        }
                    } else if key == MAX_LENGTH {
                        if max_length.first(&meta)? {
                            max_length.set(parse_max_length(cx, &meta)?);
                        }
                    } else if key == MONEY {
                        if money.first(&meta)? {
                            money.set(parse_money(cx, &meta)?);
                        }
                    } else if key == READONLY {
                        if readonly.first(&meta)? {
                            readonly.set(parse_flag(cx, &meta, READONLY)?);
                        }
                    } else if key == REASON_REQUIRED {
                        if reason_required.first(&meta)? {
                            reason_required.set(parse_flag(cx, &meta, REASON_REQUIRED)?);
                        }
                    } else if key == HIDDEN_FOR {
                        if hidden_for.first(&meta)? {
                            hidden_for.set(parse_role_list(cx, &meta, HIDDEN_FOR)?);
                        }
                    } else if key == READONLY_FOR {
                        if readonly_for.first(&meta)? {
                            readonly_for.set(parse_role_list(cx, &meta, READONLY_FOR)?);
                        }
                    } else if key == WIDGET {
                        if widget.first(&meta)? {
                            widget.set(crate::form::parse_widget(cx, &meta)?);
                        }
                    } else if key == BLANK {
                        if blank.first(&meta)? {
                            let tokens = meta.path.to_token_stream();
                            blank.set(parse_flag(cx, &meta, BLANK)?.map(|()| tokens));
                        }
                    } else {
                        let expected = match of {
                            FieldOf::Model => FIELD_OPTIONS,
                            FieldOf::Input => INPUT_FIELD_OPTIONS,
                        };
                        unknown_option(cx, &meta, expected)?;
                    }
                    Ok(())
                });
                if let Err(err) = parsed {
                    cx.syn_error(err);
                }
            }
        }

        Field {
            label: label.get(),
            help: help.get(),
            choices: choices.get(),
            foreign_key: foreign_key.get(),
            readonly: readonly.get().is_some(),
            reason_required: reason_required.get().is_some(),
            hidden_for: hidden_for.get().unwrap_or_default(),
            readonly_for: readonly_for.get().unwrap_or_default(),
            primary_key,
            auto_increment,
            ignore,
            unique,
            column_name,
            decimal_digits,
            max_length: max_length.get(),
            money: money.get(),
            column_length,
            text_column,
            widget: widget.get(),
            blank: blank.get(),
        }
    }
}

/// The precision and scale of a sea-orm column type written as text:
/// `Decimal(Some((12, 2)))` or `Money(Some((12, 2)))`; `None` for any other type.
fn parse_decimal_digits(column_type: &str) -> Option<(u32, u32)> {
    let compact: String = column_type.chars().filter(|c| !c.is_whitespace()).collect();
    let inner = compact
        .strip_prefix("Decimal(Some((")
        .or_else(|| compact.strip_prefix("Money(Some(("))?
        .strip_suffix(")))")?;
    let (precision, scale) = inner.split_once(',')?;
    Some((precision.parse().ok()?, scale.parse().ok()?))
}

/// Options of `#[derive(ActionInput)]` from the struct's attributes.
pub struct Input {
    /// `crate = "..."`.
    pub krate: Option<Path>,
}

impl Input {
    /// Reads the struct-level `#[admin(...)]` attributes.
    pub fn from_ast(cx: &Ctxt, attrs: &[Attribute]) -> Self {
        let mut krate = Opt::none(cx, CRATE);
        for attr in attrs.iter().filter(|a| a.path() == ADMIN) {
            let parsed = attr.parse_nested_meta(|meta| {
                if meta.path == CRATE {
                    if krate.first(&meta)? {
                        krate.set(parse_crate_path(cx, &meta)?);
                    }
                } else {
                    unknown_option(cx, &meta, INPUT_OPTIONS)?;
                }
                Ok(())
            });
            if let Err(err) = parsed {
                cx.syn_error(err);
            }
        }
        Input { krate: krate.get() }
    }
}

/// Options of `#[derive(AdminChoices)]` from the enum's attributes.
pub struct Choices {
    /// `crate = "..."`.
    pub krate: Option<Path>,
}

impl Choices {
    /// Reads the enum-level `#[admin(...)]` attributes.
    pub fn from_ast(cx: &Ctxt, attrs: &[Attribute]) -> Self {
        let mut krate = Opt::none(cx, CRATE);
        for attr in attrs.iter().filter(|a| a.path() == ADMIN) {
            let parsed = attr.parse_nested_meta(|meta| {
                if meta.path == CRATE {
                    if krate.first(&meta)? {
                        krate.set(parse_crate_path(cx, &meta)?);
                    }
                } else {
                    unknown_option(cx, &meta, ENUM_OPTIONS)?;
                }
                Ok(())
            });
            if let Err(err) = parsed {
                cx.syn_error(err);
            }
        }
        Choices { krate: krate.get() }
    }
}

/// Where a choice's stored value comes from.
#[derive(Clone, Debug)]
pub enum ValueSource {
    /// `#[admin(value = "...")]`.
    Admin(LitStr),
    /// `#[sea_orm(string_value = "...")]`.
    StringValue(LitStr),
    /// `#[sea_orm(num_value = N)]`, as decimal text.
    NumValue(String, Span),
}

/// Options of one variant of an enum with `#[derive(AdminChoices)]`.
pub struct Variant {
    /// The stored value, if one was given.
    pub value: Option<ValueSource>,
    /// `label = "..."`.
    pub label: Option<String>,
}

impl Variant {
    /// Reads a variant's `#[admin(...)]` and `#[sea_orm(...)]` attributes.
    pub fn from_ast(cx: &Ctxt, attrs: &[Attribute]) -> Self {
        let mut value = Opt::none(cx, VALUE);
        let mut label = Opt::none(cx, LABEL);
        for attr in attrs.iter().filter(|a| a.path() == ADMIN) {
            let parsed = attr.parse_nested_meta(|meta| {
                if meta.path == VALUE {
                    if value.first(&meta)? {
                        value.set(parse_string(cx, &meta, VALUE)?);
                    }
                } else if meta.path == LABEL {
                    if label.first(&meta)? {
                        label.set(parse_label(cx, &meta, LABEL)?);
                    }
                } else {
                    unknown_option(cx, &meta, VARIANT_OPTIONS)?;
                }
                Ok(())
            });
            if let Err(err) = parsed {
                cx.syn_error(err);
            }
        }

        let mut string_value = None;
        let mut num_value = None;
        for attr in attrs.iter().filter(|a| a.path() == SEA_ORM) {
            // Malformed sea_orm attributes are reported by sea-orm's own derive.
            let _ = attr.parse_nested_meta(|meta| {
                if meta.path == STRING_VALUE && meta.input.peek(Token![=]) {
                    if let Expr::Lit(ExprLit { lit: Lit::Str(s), .. }) = meta.value()?.parse::<Expr>()? {
                        string_value = Some(s);
                    }
                } else if meta.path == NUM_VALUE && meta.input.peek(Token![=]) {
                    let expr: Expr = meta.value()?.parse()?;
                    num_value = int_text(&expr).map(|text| (text, expr_span(&expr)));
                } else {
                    skip_value(meta.input)?;
                }
                Ok(())
            });
        }

        let value = value
            .get()
            .map(ValueSource::Admin)
            .or(string_value.map(ValueSource::StringValue))
            .or(num_value.map(|(text, span)| ValueSource::NumValue(text, span)));
        Variant { value, label: label.get() }
    }
}

/// Skips an option's value, whatever its shape: `= value`, `(...)` or nothing.
fn skip_value(input: ParseStream<'_>) -> syn::Result<()> {
    while !input.is_empty() && !input.peek(Token![,]) {
        input.parse::<TokenTree>()?;
    }
    Ok(())
}

/// Reports an unknown option and skips its value.
fn unknown_option(cx: &Ctxt, meta: &ParseNestedMeta<'_>, expected: &[Symbol]) -> syn::Result<()> {
    let key = meta.path.to_token_stream().to_string().replace(' ', "");
    let hint = crate::suggest::hint(&key, expected.iter().map(|s| s.0));
    cx.error_spanned_by(
        &meta.path,
        format!("unknown admin option `{key}`{hint}; expected one of: {}", one_of(expected)),
    );
    skip_value(meta.input)
}

/// Reports a model field option written on an action input's field, and skips its
/// value.
fn model_only_option(cx: &Ctxt, meta: &ParseNestedMeta<'_>, option: Symbol) -> syn::Result<()> {
    cx.error_spanned_by(
        &meta.path,
        format!(
            "`{option}` is not an option of action inputs (it is one of model fields); action input fields take: {}",
            one_of(INPUT_FIELD_OPTIONS)
        ),
    );
    skip_value(meta.input)
}

/// Parses `key = <expr>`, or reports that `key` needs `= value` and returns `None`.
fn parse_expr_value(cx: &Ctxt, meta: &ParseNestedMeta<'_>, expected: &str) -> syn::Result<Option<Expr>> {
    if !meta.input.peek(Token![=]) {
        cx.error_spanned_by(&meta.path, format!("expected {expected}"));
        skip_value(meta.input)?;
        return Ok(None);
    }
    meta.value()?.parse().map(Some)
}

/// Parses `key = "text"`.
fn parse_string(cx: &Ctxt, meta: &ParseNestedMeta<'_>, key: Symbol) -> syn::Result<Option<LitStr>> {
    let expected = format!("a string, like `{key} = \"...\"`");
    Ok(match parse_expr_value(cx, meta, &expected)? {
        Some(Expr::Lit(ExprLit { lit: Lit::Str(s), .. })) => Some(s),
        Some(other) => {
            cx.error_spanned_by(other, format!("expected {expected}"));
            None
        }
        None => None,
    })
}

/// Parses `key = "text"` where the text is a label and must not be blank.
fn parse_label(cx: &Ctxt, meta: &ParseNestedMeta<'_>, key: Symbol) -> syn::Result<Option<String>> {
    let Some(lit) = parse_string(cx, meta, key)? else {
        return Ok(None);
    };
    let value = lit.value();
    if value.trim().is_empty() {
        cx.error_spanned_by(&lit, format!("`{key}` cannot be empty"));
        return Ok(None);
    }
    Ok(Some(value))
}

/// Parses a bare flag; `flag = ...` or `flag(...)` is reported.
fn parse_flag(cx: &Ctxt, meta: &ParseNestedMeta<'_>, key: Symbol) -> syn::Result<Option<()>> {
    if meta.input.is_empty() || meta.input.peek(Token![,]) {
        return Ok(Some(()));
    }
    let start = meta.path.to_token_stream();
    let mut rest = TokenStream::new();
    while !meta.input.is_empty() && !meta.input.peek(Token![,]) {
        rest.extend([meta.input.parse::<TokenTree>()?]);
    }
    cx.error_spanned_by(quote!(#start #rest), format!("`{key}` takes no value: write `#[admin({key})]`"));
    Ok(None)
}

/// Parses `key(a, b, c)` into field names.
pub(crate) fn parse_name_list(
    cx: &Ctxt,
    meta: &ParseNestedMeta<'_>,
    key: Symbol,
) -> syn::Result<Option<Vec<Name>>> {
    if !meta.input.peek(syn::token::Paren) {
        cx.error_spanned_by(&meta.path, format!("expected a list of field names, like `{key}(id, email)`"));
        skip_value(meta.input)?;
        return Ok(None);
    }
    let content;
    syn::parenthesized!(content in meta.input);
    let mut names = Vec::new();
    while !content.is_empty() {
        if content.peek(Ident::peek_any) && (content.peek2(Token![,]) || peek_last(&content)) {
            names.push(Name::from_ident(&content.call(Ident::parse_any)?));
        } else {
            let mut bad = TokenStream::new();
            while !content.is_empty() && !content.peek(Token![,]) {
                bad.extend([content.parse::<TokenTree>()?]);
            }
            cx.error_spanned_by(bad, format!("expected a field name, like `{key}(id, email)`"));
        }
        if !content.is_empty() {
            content.parse::<Token![,]>()?;
        }
    }
    Ok(Some(names))
}

/// Parses `key(viewer, "support-lead")` into role names: identifiers or string
/// literals, each at most once.
fn parse_role_list(cx: &Ctxt, meta: &ParseNestedMeta<'_>, key: Symbol) -> syn::Result<Option<Vec<String>>> {
    let example = format!("`{key}(viewer)`");
    if !meta.input.peek(syn::token::Paren) {
        cx.error_spanned_by(&meta.path, format!("expected a list of role names, like {example}"));
        skip_value(meta.input)?;
        return Ok(None);
    }
    let content;
    syn::parenthesized!(content in meta.input);
    let mut roles: Vec<String> = Vec::new();
    while !content.is_empty() {
        let single = content.peek2(Token![,]) || peek_last(&content);
        let role = if single && content.peek(Ident::peek_any) {
            let ident = content.call(Ident::parse_any)?;
            Some((ident.unraw().to_string(), ident.span()))
        } else if single && content.peek(LitStr) {
            let lit: LitStr = content.parse()?;
            let value = lit.value();
            if value.trim().is_empty() || value.trim() != value {
                cx.error_spanned_by(&lit, "a role name cannot be empty or start or end with spaces");
                None
            } else {
                Some((value, lit.span()))
            }
        } else {
            let mut bad = TokenStream::new();
            while !content.is_empty() && !content.peek(Token![,]) {
                bad.extend([content.parse::<TokenTree>()?]);
            }
            cx.error_spanned_by(
                bad,
                format!("expected a role name, like {example} (or a string, like `{key}(\"support-lead\")`)"),
            );
            None
        };
        if let Some((role, span)) = role {
            if roles.contains(&role) {
                cx.error_at(span, format!("duplicate role `{role}` in {key}"));
            } else {
                roles.push(role);
            }
        }
        if !content.is_empty() {
            content.parse::<Token![,]>()?;
        }
    }
    Ok(Some(roles))
}

/// Whether the stream holds exactly one token tree.
fn peek_last(input: ParseStream<'_>) -> bool {
    let mut cursor = input.cursor();
    match cursor.token_tree() {
        Some((_, rest)) => {
            cursor = rest;
            cursor.eof()
        }
        None => false,
    }
}

/// Parses `ordering = "-id, email"`.
fn parse_ordering(cx: &Ctxt, meta: &ParseNestedMeta<'_>) -> syn::Result<Option<Vec<OrderKey>>> {
    let Some(lit) = parse_string(cx, meta, ORDERING)? else {
        return Ok(None);
    };
    match parse_ordering_text(&lit.value()) {
        Ok(keys) => Ok(Some(
            keys.into_iter()
                .map(|(name, descending)| OrderKey {
                    name: Name { value: name, span: lit.span() },
                    descending,
                })
                .collect(),
        )),
        Err(msg) => {
            cx.error_spanned_by(&lit, msg);
            Ok(None)
        }
    }
}

/// Splits `"-id, email"` into `[("id", true), ("email", false)]`.
fn parse_ordering_text(text: &str) -> Result<Vec<(String, bool)>, String> {
    if text.trim().is_empty() {
        return Err(
            "ordering needs at least one field, like `ordering = \"-id\"`; leave it out to order by the primary key, newest first"
                .to_owned(),
        );
    }
    text.split(',')
        .map(|part| {
            let part = part.trim();
            let (name, descending) = match part.strip_prefix('-') {
                Some(rest) => (rest.trim(), true),
                None => (part, false),
            };
            let is_name = name
                .chars()
                .next()
                .is_some_and(|c| c.is_alphabetic() || c == '_')
                && name.chars().all(|c| c.is_alphanumeric() || c == '_');
            if is_name {
                Ok((name.to_owned(), descending))
            } else {
                Err(format!(
                    "expected field names separated by commas, each with an optional `-` for descending order, like \"-id, email\"; found `{part}`"
                ))
            }
        })
        .collect()
}

/// Parses `per_page = N` with `1 <= N <= 1000`.
fn parse_per_page(cx: &Ctxt, meta: &ParseNestedMeta<'_>) -> syn::Result<Option<u64>> {
    let expected = format!("an integer between 1 and {MAX_PER_PAGE}, like `per_page = 100`");
    let Some(expr) = parse_expr_value(cx, meta, &expected)? else {
        return Ok(None);
    };
    if let Expr::Lit(ExprLit { lit: Lit::Int(int), .. }) = &expr
        && let Ok(n) = int.base10_parse::<u64>()
        && (1..=MAX_PER_PAGE).contains(&n)
    {
        return Ok(Some(n));
    }
    cx.error_spanned_by(expr, format!("expected {expected}"));
    Ok(None)
}

/// Parses `max_length = N` with `1 <= N <= 1,000,000`.
fn parse_max_length(cx: &Ctxt, meta: &ParseNestedMeta<'_>) -> syn::Result<Option<Spanned<u64>>> {
    let key = meta.path.to_token_stream();
    let expected = "a number of characters between 1 and 1000000, like `max_length = 120`";
    let Some(expr) = parse_expr_value(cx, meta, expected)? else {
        return Ok(None);
    };
    if let Expr::Lit(ExprLit { lit: Lit::Int(int), .. }) = &expr
        && let Ok(n) = int.base10_parse::<u64>()
        && (1..=MAX_MAX_LENGTH).contains(&n)
    {
        return Ok(Some(Spanned { value: n, tokens: quote!(#key = #expr) }));
    }
    cx.error_spanned_by(expr, format!("expected {expected}"));
    Ok(None)
}

/// What a sea-orm `column_type` says about text: its declared length
/// (`String(StringLen::N(120))`, `Char(Some(2))`) and whether it is long text
/// (`Text`). Other column types say nothing.
fn column_type_text(column_type: &str) -> (Option<u64>, bool) {
    let t: String = column_type.chars().filter(|c| !c.is_whitespace()).collect();
    if t == "Text" {
        return (None, true);
    }
    let digits = t
        .strip_prefix("String(StringLen::N(")
        .or_else(|| t.strip_prefix("Char(Some("))
        .and_then(|rest| rest.strip_suffix("))"));
    (digits.and_then(|d| d.parse().ok()), false)
}

/// Parses `crate = "::path"`.
fn parse_crate_path(cx: &Ctxt, meta: &ParseNestedMeta<'_>) -> syn::Result<Option<Path>> {
    let Some(lit) = parse_string(cx, meta, CRATE)? else {
        return Ok(None);
    };
    match lit.parse::<Path>() {
        Ok(path) => Ok(Some(path)),
        Err(_) => {
            cx.error_spanned_by(
                &lit,
                "expected the path of the opsadmin crate, like `crate = \"::opsadmin\"`",
            );
            Ok(None)
        }
    }
}

/// Parses `choices = Type`.
fn parse_choices(cx: &Ctxt, meta: &ParseNestedMeta<'_>) -> syn::Result<Option<Spanned<Type>>> {
    let key = meta.path.to_token_stream();
    if !meta.input.peek(Token![=]) {
        cx.error_spanned_by(&meta.path, "expected a type path, like `choices = Plan`");
        skip_value(meta.input)?;
        return Ok(None);
    }
    let value = meta.value()?;
    if value.peek(Lit) {
        let lit: Lit = value.parse()?;
        let msg = match &lit {
            Lit::Str(s) => format!("expected a type path, not a string: write `choices = {}`", s.value()),
            _ => "expected a type path, like `choices = Plan`".to_owned(),
        };
        cx.error_spanned_by(lit, msg);
        return Ok(None);
    }
    let ty: Type = value.parse()?;
    if let Type::Path(_) = &ty {
        Ok(Some(Spanned { tokens: quote!(#key = #ty), value: ty }))
    } else {
        cx.error_spanned_by(ty, "expected a type path, like `choices = Plan`");
        Ok(None)
    }
}

/// Parses `money(currency_field = "currency")` or `money(currency = "EUR")`.
fn parse_money(cx: &Ctxt, meta: &ParseNestedMeta<'_>) -> syn::Result<Option<Spanned<Money>>> {
    let tokens = meta.path.to_token_stream();
    let expected = "expected `money(currency_field = \"currency\")` (a field holding the ISO 4217 code) or `money(currency = \"EUR\")`";
    if !meta.input.peek(syn::token::Paren) {
        cx.error_spanned_by(&meta.path, expected);
        skip_value(meta.input)?;
        return Ok(None);
    }
    let mut found: Option<Money> = None;
    let mut reported = false;
    meta.parse_nested_meta(|inner| {
        let lit: LitStr = inner.value()?.parse()?;
        let value = lit.value();
        let money = if inner.path == CURRENCY_FIELD {
            Money::Field(value, lit.span())
        } else if inner.path == CURRENCY {
            if value.len() != 3 || !value.bytes().all(|b| b.is_ascii_uppercase()) {
                cx.error_spanned_by(
                    &lit,
                    "expected an ISO 4217 currency code of three capital letters, like `currency = \"EUR\"`",
                );
                reported = true;
                return Ok(());
            }
            Money::Fixed(value)
        } else {
            let key = inner.path.to_token_stream().to_string().replace(' ', "");
            let hint = crate::suggest::hint(&key, [CURRENCY_FIELD.0, CURRENCY.0]);
            cx.error_spanned_by(&inner.path, format!("unknown money option `{key}`{hint}; {expected}"));
            reported = true;
            return Ok(());
        };
        if found.replace(money).is_some() {
            cx.error_spanned_by(&lit, "give the currency once: `currency_field` or `currency`, not both");
        }
        Ok(())
    })?;
    if found.is_none() && !reported {
        cx.error_spanned_by(&meta.path, expected);
    }
    Ok(found.map(|value| Spanned { value, tokens }))
}

/// Parses `foreign_key = "slug"`.
fn parse_foreign_key(cx: &Ctxt, meta: &ParseNestedMeta<'_>) -> syn::Result<Option<Spanned<String>>> {
    let key = meta.path.to_token_stream();
    let Some(lit) = parse_string(cx, meta, FOREIGN_KEY)? else {
        return Ok(None);
    };
    let slug = lit.value();
    if slug.trim().is_empty() || slug.chars().any(char::is_whitespace) {
        cx.error_spanned_by(
            &lit,
            "expected the slug (table name) of the model this field refers to, like `foreign_key = \"account\"`",
        );
        return Ok(None);
    }
    Ok(Some(Spanned { value: slug, tokens: quote!(#key = #lit) }))
}

/// The decimal text of an integer literal, possibly negated: `-3` gives "-3".
fn int_text(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Lit(ExprLit { lit: Lit::Int(int), .. }) => Some(int.base10_digits().to_owned()),
        Expr::Unary(unary) if matches!(unary.op, UnOp::Neg(_)) => {
            int_text(&unary.expr).map(|digits| format!("-{digits}"))
        }
        Expr::Group(group) => int_text(&group.expr),
        Expr::Paren(paren) => int_text(&paren.expr),
        _ => None,
    }
}

fn expr_span(expr: &Expr) -> Span {
    syn::spanned::Spanned::span(expr)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordering_text_is_split_into_keys() {
        assert_eq!(
            parse_ordering_text("-id, email").unwrap(),
            vec![("id".to_owned(), true), ("email".to_owned(), false)]
        );
        assert_eq!(parse_ordering_text(" - signup_at ").unwrap(), vec![("signup_at".to_owned(), true)]);
    }

    #[test]
    fn ordering_text_rejects_blanks_and_junk() {
        assert!(parse_ordering_text("").is_err());
        assert!(parse_ordering_text("id,").is_err());
        assert!(parse_ordering_text("id email").is_err());
        assert!(parse_ordering_text("+id").is_err());
    }

    #[test]
    fn column_types_give_text_lengths() {
        assert_eq!(column_type_text("String(StringLen::N(120))"), (Some(120), false));
        assert_eq!(column_type_text("Char(Some(2))"), (Some(2), false));
        assert_eq!(column_type_text("Text"), (None, true));
        assert_eq!(column_type_text("String(StringLen::None)"), (None, false));
        assert_eq!(column_type_text("Decimal(Some((12, 2)))"), (None, false));
    }

    #[test]
    fn num_values_become_decimal_text() {
        let expr: Expr = syn::parse_quote!(-0x10);
        assert_eq!(int_text(&expr).as_deref(), Some("-16"));
        let expr: Expr = syn::parse_quote!(7i32);
        assert_eq!(int_text(&expr).as_deref(), Some("7"));
    }

    #[test]
    fn decimal_column_types_give_precision_and_scale() {
        assert_eq!(parse_decimal_digits("Decimal(Some((12, 2)))"), Some((12, 2)));
        assert_eq!(parse_decimal_digits("Money(Some((19,4)))"), Some((19, 4)));
        assert_eq!(parse_decimal_digits("Decimal(None)"), None);
        assert_eq!(parse_decimal_digits("Text"), None);
    }
}
