//! Code generation: the checked model becomes static metadata and trait impls.
//!
//! Everything is emitted inside `const _: () = { ... };` and reaches the library
//! only through `#krate::__private` (`::opsadmin::__private` unless the input says
//! `#[admin(crate = "...")]`). When the input has errors, they are emitted together
//! with a placeholder impl whose bodies are `unreachable!()`, so code that uses the
//! trait does not pile up secondary errors.

use std::collections::HashSet;

use proc_macro2::{Literal, Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{DeriveInput, Ident, Path, Type, parse_quote};

use crate::ast::{Choices, Field, Input, Model, TypeClass};
use crate::attr::{Ctxt, Money};
use crate::check;

/// The name sea-orm's `#[sea_orm::model]` gives the model-with-relations twin.
const MODEL_EX: &str = "ModelEx";

/// The library the generated code names unless told otherwise: the `opsadmin`
/// facade, or `admin-core` when the calling crate depends on that and not on the
/// facade (a plugin), under the name the caller's `Cargo.toml` gives it.
fn default_crate() -> Path {
    use proc_macro_crate::{FoundCrate, crate_name};
    for (package, own) in [("opsadmin", "opsadmin"), ("admin-core", "admin_core")] {
        match crate_name(package) {
            // The library's own doc tests and examples name it from outside.
            Ok(FoundCrate::Itself) => return path_of(own),
            Ok(FoundCrate::Name(name)) => return path_of(&name),
            Err(_) => {}
        }
    }
    parse_quote!(::opsadmin)
}

fn path_of(name: &str) -> Path {
    let ident = Ident::new(name, Span::call_site());
    parse_quote!(::#ident)
}

/// Expands `#[derive(AdminModel)]`.
pub fn derive_admin_model(input: &DeriveInput) -> TokenStream {
    // sea-orm's `#[sea_orm::model]` repeats the struct's derives and attributes on its
    // `ModelEx` twin (the model with relations loaded). The admin serves `Model`, and
    // the options were already checked there, so the twin gets nothing.
    if input.ident == MODEL_EX {
        return TokenStream::new();
    }
    let cx = Ctxt::new();
    let model = Model::from_ast(&cx, input);
    if let Some(model) = &model {
        check::check_model(&cx, model);
    }
    match (cx.check(), model) {
        (Ok(()), Some(model)) => expand_model(&model),
        (Err(err), model) => {
            let errors = err.to_compile_error();
            let placeholder = model.as_ref().map(model_placeholder);
            quote!(#errors #placeholder)
        }
        (Ok(()), None) => TokenStream::new(),
    }
}

/// Expands `#[derive(ActionInput)]`.
pub fn derive_action_input(input: &DeriveInput) -> TokenStream {
    let cx = Ctxt::new();
    let model = Input::from_ast(&cx, input);
    if let Some(model) = &model {
        check::check_input(&cx, model);
    }
    match (cx.check(), model) {
        (Ok(()), Some(model)) => expand_input(&model),
        (Err(err), model) => {
            let errors = err.to_compile_error();
            // A generic placeholder would only add errors about its parameters.
            let placeholder = model.as_ref().filter(|m| m.generics.params.is_empty()).map(input_placeholder);
            quote!(#errors #placeholder)
        }
        (Ok(()), None) => TokenStream::new(),
    }
}

/// Expands `#[derive(AdminChoices)]`.
pub fn derive_admin_choices(input: &DeriveInput) -> TokenStream {
    let cx = Ctxt::new();
    let choices = Choices::from_ast(&cx, input);
    if let Some(choices) = &choices {
        check::check_choices(&cx, choices);
    }
    match (cx.check(), choices) {
        (Ok(()), Some(choices)) => expand_choices(&choices),
        (Err(err), choices) => {
            let errors = err.to_compile_error();
            let placeholder = choices.as_ref().map(choices_placeholder);
            quote!(#errors #placeholder)
        }
        (Ok(()), None) => TokenStream::new(),
    }
}

fn expand_model(model: &Model<'_>) -> TokenStream {
    let krate = model.attrs.krate.clone().unwrap_or_else(default_crate);
    let ident = model.ident;
    let (impl_generics, ty_generics, where_clause) = model.generics.split_for_impl();
    let attrs = &model.attrs;
    let index = |name: &str| {
        let i = model.field_index(name).expect("field names are checked before expansion");
        Literal::usize_unsuffixed(i)
    };

    let pk = model.pk_index().expect("the primary key is checked before expansion");
    let readonly: HashSet<&str> = attrs.readonly.iter().map(|n| n.value.as_str()).collect();
    let field_metas = model.fields.iter().enumerate().map(|(i, field)| {
        let is_pk = i == pk;
        field_meta(field, is_pk, is_pk || field.attrs.readonly || readonly.contains(field.name.as_str()))
    });
    let field_count = Literal::usize_unsuffixed(model.fields.len());

    let slug = attrs.table_name.as_deref().unwrap_or_default();
    let label = model.label();
    let label_plural = model.label_plural();
    let pk_lit = Literal::usize_unsuffixed(pk);
    let list_display: Vec<Literal> = match &attrs.list_display {
        Some(names) => names.iter().map(|n| index(&n.value)).collect(),
        None => (0..model.fields.len()).map(Literal::usize_unsuffixed).collect(),
    };
    let list_editable = crate::list_editable::indexes(model);
    let search = attrs.search.iter().map(|n| index(&n.value));
    let filters = attrs.filters.iter().map(|n| index(&n.value));
    let ordering: Vec<TokenStream> = match &attrs.ordering {
        Some(keys) => keys
            .iter()
            .map(|key| {
                let i = index(&key.name.value);
                let descending = key.descending;
                quote!((#i, #descending))
            })
            .collect(),
        None => vec![quote!((#pk_lit, true))],
    };
    let per_page = Literal::u64_unsuffixed(attrs.per_page.unwrap_or(100));
    let reason_required = attrs.reason_required;
    let fieldsets = crate::form::expand_fieldsets(model);
    let display = crate::display::expand(model);
    let inlines = crate::inlines::expand(&attrs.inlines);

    let cell_arms = model.fields.iter().enumerate().map(|(i, field)| {
        let i = Literal::usize_unsuffixed(i);
        let member = field.ident;
        let ty = field.ty;
        // `self` keeps the call-site span: only the trait path points at the type.
        let value = quote!(&self.#member);
        let field_impl = as_admin_field(ty);
        let to_cell = match (field.attrs.decimal_digits, field.attrs.money.as_ref().map(|m| &m.value)) {
            // Shown and compared with the column's scale, whatever the backend gave.
            (Some((_, scale)), _) => quote!(#field_impl::to_cell(#value).with_scale(#scale)),
            (None, Some(Money::Fixed(code))) => quote!(__a::money_cell(#field_impl::to_cell(#value), #code)),
            (None, Some(Money::Field(name, _))) => {
                let currency = model.fields.iter().find(|f| f.name == *name).map(|f| f.ident);
                quote!(__a::money_cell(
                    #field_impl::to_cell(#value),
                    __a::CurrencyText::currency_text(&self.#currency),
                ))
            }
            (None, None) => quote!(#field_impl::to_cell(#value)),
        };
        quote!(#i => #to_cell,)
    });
    let parse_arms = model.fields.iter().enumerate().map(|(i, field)| {
        let i = Literal::usize_unsuffixed(i);
        let parse = parse_value(field);
        quote!(#i => #parse,)
    });

    quote! {
        const _: () = {
            use #krate::__private as __a;

            static __ADMIN_FIELDS: [__a::FieldMeta; #field_count] = [#(#field_metas),*];

            static __ADMIN_META: __a::ModelMeta = __a::ModelMeta {
                slug: #slug,
                label: #label,
                label_plural: #label_plural,
                fields: &__ADMIN_FIELDS,
                pk: #pk_lit,
                list_display: &[#(#list_display),*],
                search: &[#(#search),*],
                filters: &[#(#filters),*],
                ordering: &[#(#ordering),*],
                per_page: #per_page,
                reason_required: #reason_required,
                list_editable: &[#(#list_editable),*],
                fieldsets: #fieldsets,
                display: #display,
                inlines: #inlines,
            };

            #[automatically_derived]
            impl #impl_generics __a::AdminModel for #ident #ty_generics #where_clause {
                fn meta() -> &'static __a::ModelMeta {
                    &__ADMIN_META
                }

                fn cell(&self, field: usize) -> __a::Cell {
                    match field {
                        #(#cell_arms)*
                        _ => __a::Cell::Null,
                    }
                }

                fn parse_value(
                    field: usize,
                    raw: &str,
                ) -> ::core::result::Result<__a::sea_orm::Value, ::std::string::String> {
                    if let ::core::option::Option::Some(__admin_field) = __ADMIN_FIELDS.get(field) {
                        __admin_field.check_text(raw)?;
                    }
                    match field {
                        #(#parse_arms)*
                        _ => ::core::result::Result::Err(::std::format!(
                            "{} has no field number {}", #slug, field,
                        )),
                    }
                }
            }
        };
    }
}

/// The `FieldMeta { ... }` of one field.
fn field_meta(field: &Field<'_>, primary_key: bool, readonly: bool) -> TokenStream {
    let name = &field.name;
    let label = field.label();
    let help = field.attrs.help.as_deref().unwrap_or_default();
    let field_impl = as_admin_field(field.ty);
    let (kind, choices) = match &field.attrs.choices {
        Some(choices) => {
            let choices_impl = as_admin_choices(&choices.value);
            (quote!(__a::FieldKind::Choice), quote!(::core::option::Option::Some(#choices_impl::CHOICES)))
        }
        None => (quote!(#field_impl::KIND), quote!(#field_impl::CHOICES)),
    };
    let nullable = quote!(#field_impl::NULLABLE);
    let auto_increment = field.auto_increment();
    let reason_required = field.attrs.reason_required;
    let hidden_for = &field.attrs.hidden_for;
    let readonly_for = &field.attrs.readonly_for;
    let column = field.attrs.column_name.as_deref().unwrap_or(name.as_str());
    let decimal_digits = match field.attrs.decimal_digits {
        Some((precision, scale)) => quote!(::core::option::Option::Some((#precision, #scale))),
        None => quote!(::core::option::Option::None),
    };
    let foreign_key = match &field.attrs.foreign_key {
        Some(slug) => {
            let slug = &slug.value;
            quote!(::core::option::Option::Some(#slug))
        }
        None => quote!(::core::option::Option::None),
    };
    let multiline = crate::form::multiline(field);
    let widget = crate::form::expand_widget(field, &kind, &nullable, &choices, multiline);
    let blank = field.attrs.blank.is_some();
    let unique = field.attrs.unique || primary_key;
    let money = match field.attrs.money.as_ref().map(|m| &m.value) {
        Some(Money::Field(name, _)) => {
            quote!(::core::option::Option::Some(__a::MoneyCurrency::Field(#name)))
        }
        Some(Money::Fixed(code)) => quote!(::core::option::Option::Some(__a::MoneyCurrency::Fixed(#code))),
        None => quote!(::core::option::Option::None),
    };
    let max_length = match (&field.attrs.max_length, field.attrs.column_length) {
        (Some(n), _) => {
            let n = Literal::u64_unsuffixed(n.value);
            quote!(#n)
        }
        (None, Some(n)) => {
            let n = Literal::u64_unsuffixed(n);
            quote!(#n)
        }
        (None, None) if field.attrs.text_column => quote!(__a::text::TEXT),
        (None, None) => quote!(__a::text::LINE),
    };
    quote! {
        __a::FieldMeta {
            name: #name,
            label: #label,
            help: #help,
            kind: #kind,
            nullable: #nullable,
            primary_key: #primary_key,
            auto_increment: #auto_increment,
            readonly: #readonly,
            choices: #choices,
            foreign_key: #foreign_key,
            reason_required: #reason_required,
            hidden_for: &[#(#hidden_for),*],
            readonly_for: &[#(#readonly_for),*],
            column: #column,
            decimal_digits: #decimal_digits,
            max_length: #max_length,
            multiline: #multiline,
            money: #money,
            widget: #widget,
            blank: #blank,
            unique: #unique,
        }
    }
}

/// The expression that parses `raw` for one field into a `sea_orm::Value`.
fn parse_value(field: &Field<'_>) -> TokenStream {
    let parse = parse_typed(field, &quote!(raw));
    match field.attrs.decimal_digits {
        Some((precision, scale)) => {
            let field_impl = as_admin_field(field.ty);
            quote!(#parse.and_then(|v| #field_impl::fit_digits(v, #precision, #scale)).map(__a::to_value))
        }
        None => quote!(#parse.map(__a::to_value)),
    }
}

/// The expression that parses the `&str` expression `raw` into the field's type:
/// `Result<FieldType, String>`.
fn parse_typed(field: &Field<'_>, raw: &TokenStream) -> TokenStream {
    if field.attrs.blank.is_some() {
        return quote!(__a::parse_blank_text(#raw));
    }
    match &field.attrs.choices {
        Some(choices) if field.class == TypeClass::Text => {
            let choices_impl = as_admin_choices(&choices.value);
            let parse =
                if field.optional { quote!(__a::parse_optional_choice) } else { quote!(__a::parse_choice) };
            quote!(#parse(#raw, #choices_impl::CHOICES))
        }
        _ => {
            let field_impl = as_admin_field(field.ty);
            quote!(#field_impl::parse_form(#raw))
        }
    }
}

/// The text a field reads when the form (or the JSON) leaves it out: "0" for a
/// non-nullable yes/no field, whose unchecked checkbox sends nothing, else "".
fn missing_text(field: &Field<'_>) -> TokenStream {
    if field.attrs.choices.is_some() {
        return quote!("");
    }
    let field_impl = as_admin_field(field.ty);
    quote! {
        if ::core::matches!(#field_impl::KIND, __a::FieldKind::Boolean) && !#field_impl::NULLABLE {
            "0"
        } else {
            ""
        }
    }
}

/// `<Ty as __a::AdminField>`. The angle brackets carry the type's span, so an
/// unsupported type is reported at the field's type; the library path keeps the
/// call-site span, so lints on the user's code (`unused_qualifications` when the trait
/// is imported there) do not look at it.
fn as_admin_field(ty: &Type) -> TokenStream {
    let admin_field = quote!(__a::AdminField);
    quote_spanned!(ty.span()=> <#ty as #admin_field>)
}

/// `<Ty as __a::AdminChoices>`, spanned like [`as_admin_field`].
fn as_admin_choices(ty: &Type) -> TokenStream {
    let admin_choices = quote!(__a::AdminChoices);
    quote_spanned!(ty.span()=> <#ty as #admin_choices>)
}

/// An impl with the right signatures and no content, emitted next to errors.
fn model_placeholder(model: &Model<'_>) -> TokenStream {
    let krate = model.attrs.krate.clone().unwrap_or_else(default_crate);
    let ident = model.ident;
    let (impl_generics, ty_generics, where_clause) = model.generics.split_for_impl();
    quote! {
        const _: () = {
            use #krate::__private as __a;

            #[automatically_derived]
            impl #impl_generics __a::AdminModel for #ident #ty_generics #where_clause {
                fn meta() -> &'static __a::ModelMeta {
                    ::core::unreachable!()
                }

                fn cell(&self, _: usize) -> __a::Cell {
                    ::core::unreachable!()
                }

                fn parse_value(
                    _: usize,
                    _: &str,
                ) -> ::core::result::Result<__a::sea_orm::Value, ::std::string::String> {
                    ::core::unreachable!()
                }
            }
        };
    }
}

/// A local of the generated code, `__admin_{name}`. Mixed-site hygiene keeps it
/// apart from the user's locals; the prefix keeps it from naming one of the user's
/// constants (a pattern that names a constant would match against it).
fn local(name: &str) -> Ident {
    Ident::new(&format!("__admin_{name}"), Span::mixed_site())
}

fn expand_input(input: &Input<'_>) -> TokenStream {
    let krate = input.attrs.krate.clone().unwrap_or_else(default_crate);
    let ident = input.ident;
    let field_metas = input.fields.iter().map(|field| field_meta(field, false, false));
    let field_count = Literal::usize_unsuffixed(input.fields.len());

    let form = local("form");
    let json = local("json");
    let object = local("object");
    let raw = local("raw");
    let message = local("message");
    let errors = local("errors");
    let key = local("key");
    let values: Vec<Ident> = (0..input.fields.len()).map(|i| local(&format!("v{i}"))).collect();
    let names: Vec<&str> = input.fields.iter().map(|f| f.name.as_str()).collect();
    let members: Vec<&Ident> = input.fields.iter().map(|f| f.ident).collect();
    // The form gives `&str`, the JSON a `String`.
    // Every field's text is checked (control characters, length) before it is parsed.
    let form_parses = input.fields.iter().enumerate().map(|(i, field)| {
        let i = Literal::usize_unsuffixed(i);
        let parse = parse_typed(field, &quote!(#raw));
        quote!(__ADMIN_INPUT_FIELDS[#i].check_text(#raw).and_then(|()| #parse))
    });
    let json_parses = input.fields.iter().enumerate().map(|(i, field)| {
        let i = Literal::usize_unsuffixed(i);
        let parse = parse_typed(field, &quote!(&#raw));
        quote!(__ADMIN_INPUT_FIELDS[#i].check_text(&#raw).and_then(|()| #parse))
    });
    let missing: Vec<TokenStream> = input.fields.iter().map(missing_text).collect();
    let to_cells = input.fields.iter().map(|field| {
        let field_impl = as_admin_field(field.ty);
        let member = field.ident;
        quote!(#field_impl::to_cell(&self.#member))
    });

    let from_form = if input.fields.is_empty() {
        quote!(::core::result::Result::Ok(Self {}))
    } else {
        quote! {
            #(
                let #values = {
                    let #raw: &str = #form.get(#names).unwrap_or(#missing);
                    #form_parses
                };
            )*
            match (#(#values,)*) {
                (#(::core::result::Result::Ok(#values),)*) => {
                    ::core::result::Result::Ok(Self { #(#members: #values),* })
                }
                (#(#values,)*) => {
                    let mut #errors = ::std::vec::Vec::new();
                    #(
                        if let ::core::result::Result::Err(#message) = #values {
                            #errors.push(__a::FieldError::field(#names, #message));
                        }
                    )*
                    ::core::result::Result::Err(#errors)
                }
            }
        }
    };

    let from_json_fields = if input.fields.is_empty() {
        quote!(::core::result::Result::Ok(Self {}))
    } else {
        quote! {
            #(
                let #values = __admin_json_text(#object.get(#names), #missing)
                    .and_then(|#raw| #json_parses);
            )*
            match (#(#values,)*) {
                (#(::core::result::Result::Ok(#values),)*) => {
                    ::core::result::Result::Ok(Self { #(#members: #values),* })
                }
                (#(#values,)*) => {
                    let mut #errors = ::std::vec::Vec::new();
                    #(
                        if let ::core::result::Result::Err(#message) = #values {
                            #errors.push(__a::FieldError::field(#names, #message));
                        }
                    )*
                    ::core::result::Result::Err(#errors)
                }
            }
        }
    };

    let field_list = names.join(", ");
    let unknown_key = if input.fields.is_empty() {
        quote! {
            if let ::core::option::Option::Some(#key) = #object.keys().next() {
                return ::core::result::Result::Err(::std::vec![__a::FieldError::form(::std::format!(
                    "unknown field `{}`: this action takes no input", #key,
                ))]);
            }
        }
    } else {
        quote! {
            for #key in #object.keys() {
                if !::core::matches!(#key.as_str(), #(#names)|*) {
                    return ::core::result::Result::Err(::std::vec![__a::FieldError::form(::std::format!(
                        "unknown field `{}`; the fields are: {}", #key, #field_list,
                    ))]);
                }
            }
        }
    };

    // The helpers are emitted only when a field uses them, so an empty input does
    // not warn about dead code.
    let helpers = (!input.fields.is_empty()).then(|| {
        quote! {
            /// A field's value as JSON: its form text, or `null`.
            fn __admin_cell_json(__admin_cell: __a::Cell) -> __a::serde_json::Value {
                match __admin_cell {
                    __a::Cell::Null => __a::serde_json::Value::Null,
                    __admin_cell => __a::serde_json::Value::String(__admin_cell.form_value()),
                }
            }

            /// A field's form text from JSON: text as it is, `null` as "", yes/no as
            /// "1"/"0", a number as its digits; `missing` when the key is absent.
            fn __admin_json_text(
                __admin_value: ::core::option::Option<&__a::serde_json::Value>,
                __admin_missing: &str,
            ) -> ::core::result::Result<::std::string::String, ::std::string::String> {
                match __admin_value {
                    ::core::option::Option::None => {
                        ::core::result::Result::Ok(::std::borrow::ToOwned::to_owned(__admin_missing))
                    }
                    ::core::option::Option::Some(__a::serde_json::Value::Null) => {
                        ::core::result::Result::Ok(::std::string::String::new())
                    }
                    ::core::option::Option::Some(__a::serde_json::Value::String(__admin_text)) => {
                        ::core::result::Result::Ok(::core::clone::Clone::clone(__admin_text))
                    }
                    ::core::option::Option::Some(__a::serde_json::Value::Bool(__admin_yes)) => {
                        ::core::result::Result::Ok(::std::borrow::ToOwned::to_owned(if *__admin_yes { "1" } else { "0" }))
                    }
                    ::core::option::Option::Some(__a::serde_json::Value::Number(__admin_number)) => {
                        ::core::result::Result::Ok(::std::string::ToString::to_string(__admin_number))
                    }
                    ::core::option::Option::Some(_) => ::core::result::Result::Err(::std::borrow::ToOwned::to_owned(
                        "expected text, a number, true or false, or null",
                    )),
                }
            }
        }
    });

    quote! {
        const _: () = {
            use #krate::__private as __a;

            static __ADMIN_INPUT_FIELDS: [__a::FieldMeta; #field_count] = [#(#field_metas),*];

            #helpers

            #[automatically_derived]
            impl __a::ActionInput for #ident {
                fn fields() -> &'static [__a::FieldMeta] {
                    &__ADMIN_INPUT_FIELDS
                }

                fn from_form(
                    #form: &__a::FormData,
                ) -> ::core::result::Result<Self, ::std::vec::Vec<__a::FieldError>> {
                    #from_form
                }

                fn to_json(&self) -> __a::serde_json::Value {
                    #[allow(unused_mut)]
                    let mut #object = __a::serde_json::Map::new();
                    #(
                        #object.insert(
                            ::std::borrow::ToOwned::to_owned(#names),
                            __admin_cell_json(#to_cells),
                        );
                    )*
                    __a::serde_json::Value::Object(#object)
                }

                fn from_json(
                    #json: &__a::serde_json::Value,
                ) -> ::core::result::Result<Self, ::std::string::String> {
                    <Self as __a::ActionInput>::parse_json(#json)
                        .map_err(|#errors| __a::first_error_text(&#errors))
                }

                fn parse_json(
                    #json: &__a::serde_json::Value,
                ) -> ::core::result::Result<Self, ::std::vec::Vec<__a::FieldError>> {
                    let __a::serde_json::Value::Object(#object) = #json else {
                        return ::core::result::Result::Err(::std::vec![__a::FieldError::form(::std::format!(
                            "expected a JSON object of the input's fields, not `{}`", #json,
                        ))]);
                    };
                    #unknown_key
                    #from_json_fields
                }
            }
        };
    }
}

/// An impl with the right signatures and no content, emitted next to errors.
fn input_placeholder(input: &Input<'_>) -> TokenStream {
    let krate = input.attrs.krate.clone().unwrap_or_else(default_crate);
    let ident = input.ident;
    quote! {
        const _: () = {
            use #krate::__private as __a;

            #[automatically_derived]
            impl __a::ActionInput for #ident {
                fn fields() -> &'static [__a::FieldMeta] {
                    ::core::unreachable!()
                }

                fn from_form(
                    _: &__a::FormData,
                ) -> ::core::result::Result<Self, ::std::vec::Vec<__a::FieldError>> {
                    ::core::unreachable!()
                }

                fn to_json(&self) -> __a::serde_json::Value {
                    ::core::unreachable!()
                }

                fn from_json(
                    _: &__a::serde_json::Value,
                ) -> ::core::result::Result<Self, ::std::string::String> {
                    ::core::unreachable!()
                }
            }
        };
    }
}

fn expand_choices(choices: &Choices<'_>) -> TokenStream {
    let krate = choices.attrs.krate.clone().unwrap_or_else(default_crate);
    let ident = choices.ident;
    let (impl_generics, ty_generics, where_clause) = choices.generics.split_for_impl();
    let entries = choices.variants.iter().map(|variant| {
        let value = &variant.value;
        let label = &variant.label;
        quote!(__a::Choice { value: #value, label: #label })
    });
    let parse_arms = choices.variants.iter().map(|variant| {
        let value = &variant.value;
        let variant = variant.ident;
        quote!(#value => ::core::result::Result::Ok(Self::#variant),)
    });
    let value_arms = choices.variants.iter().map(|variant| {
        let value = &variant.value;
        let variant = variant.ident;
        quote!(Self::#variant => #value,)
    });

    quote! {
        const _: () = {
            use #krate::__private as __a;

            #[automatically_derived]
            impl #impl_generics __a::AdminChoices for #ident #ty_generics #where_clause {
                const CHOICES: &'static [__a::Choice] = &[#(#entries),*];
            }

            #[automatically_derived]
            impl #impl_generics __a::AdminField for #ident #ty_generics #where_clause {
                const KIND: __a::FieldKind = __a::FieldKind::Choice;
                const CHOICES: ::core::option::Option<&'static [__a::Choice]> =
                    ::core::option::Option::Some(<Self as __a::AdminChoices>::CHOICES);

                fn parse_form(
                    raw: &str,
                ) -> ::core::result::Result<Self, ::std::string::String> {
                    match raw.trim() {
                        #(#parse_arms)*
                        "" => ::core::result::Result::Err(__a::required_message()),
                        _ => ::core::result::Result::Err(__a::choose_one_of(
                            <Self as __a::AdminChoices>::CHOICES,
                        )),
                    }
                }

                fn to_cell(&self) -> __a::Cell {
                    let value: &'static str = match self {
                        #(#value_arms)*
                    };
                    __a::Cell::Text(::std::borrow::ToOwned::to_owned(value))
                }
            }
        };
    }
}

/// Impls with the right signatures and no content, emitted next to errors.
fn choices_placeholder(choices: &Choices<'_>) -> TokenStream {
    let krate = choices.attrs.krate.clone().unwrap_or_else(default_crate);
    let ident = choices.ident;
    let (impl_generics, ty_generics, where_clause) = choices.generics.split_for_impl();
    quote! {
        const _: () = {
            use #krate::__private as __a;

            #[automatically_derived]
            impl #impl_generics __a::AdminChoices for #ident #ty_generics #where_clause {
                const CHOICES: &'static [__a::Choice] = &[];
            }

            #[automatically_derived]
            impl #impl_generics __a::AdminField for #ident #ty_generics #where_clause {
                const KIND: __a::FieldKind = __a::FieldKind::Choice;

                fn parse_form(
                    _: &str,
                ) -> ::core::result::Result<Self, ::std::string::String> {
                    ::core::unreachable!()
                }

                fn to_cell(&self) -> __a::Cell {
                    ::core::unreachable!()
                }
            }
        };
    }
}
