//! The derive input turned into a model of what the admin needs: the struct's
//! columns with their types classified, or the enum's choices with their values.

use syn::ext::IdentExt;
use syn::{Data, DeriveInput, Fields, GenericArgument, Generics, Ident, PathArguments, Type, TypePath};

use crate::attr::{self, Ctxt, ValueSource};

/// A sea-orm `Model` struct with `#[derive(AdminModel)]`.
pub struct Model<'a> {
    /// The struct's name (usually `Model`).
    pub ident: &'a Ident,
    /// The struct's generics.
    pub generics: &'a Generics,
    /// The struct-level options.
    pub attrs: attr::Model,
    /// The columns, in declaration order (ignored and relation fields left out).
    pub fields: Vec<Field<'a>>,
}

/// One column of a model, or one field of an action's input.
pub struct Field<'a> {
    /// The Rust field.
    pub ident: &'a Ident,
    /// The field name without any `r#`.
    pub name: String,
    /// The field's type as written.
    pub ty: &'a Type,
    /// What the type is, `Option` removed.
    pub class: TypeClass,
    /// Whether the type is `Option<...>`.
    pub optional: bool,
    /// The field-level options.
    pub attrs: attr::Field,
}

/// What a column's type is, judged by the last path segment of the type inside any
/// `Option`. Only the checks use it; the generated code asks the `AdminField` trait.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TypeClass {
    /// `String`.
    Text,
    /// `i16`, `i32`, `i64`, `u16`, `u32` (and other integer primitives).
    Integer,
    /// `f32`, `f64`.
    Float,
    /// `Decimal`.
    Decimal,
    /// `bool`.
    Bool,
    /// `NaiveDate` (sea-orm's `Date`).
    Date,
    /// `NaiveDateTime` (sea-orm's `DateTime`), `DateTime<..>`, `DateTimeUtc`,
    /// `DateTimeWithTimeZone`.
    DateTime,
    /// Anything else: assumed to be an enum with `#[derive(AdminChoices)]`.
    EnumLike,
}

impl TypeClass {
    /// Classifies a type, `Option` removed; returns the class and whether it was optional.
    pub fn of(ty: &Type) -> (TypeClass, bool) {
        match option_inner(ty) {
            Some(inner) => (Self::of_inner(inner), true),
            None => (Self::of_inner(ty), false),
        }
    }

    fn of_inner(ty: &Type) -> TypeClass {
        let Some(last) = type_path(ty).and_then(|p| p.path.segments.last()) else {
            return TypeClass::EnumLike;
        };
        match last.ident.to_string().as_str() {
            "String" => TypeClass::Text,
            "i8" | "i16" | "i32" | "i64" | "i128" | "isize" | "u8" | "u16" | "u32" | "u64" | "u128"
            | "usize" => TypeClass::Integer,
            "f32" | "f64" => TypeClass::Float,
            "Decimal" => TypeClass::Decimal,
            "bool" => TypeClass::Bool,
            // `Date` and `DateTime` are sea-orm's prelude names for the naive types.
            "NaiveDate" | "Date" | "ChronoDate" => TypeClass::Date,
            "NaiveDateTime"
            | "DateTime"
            | "DateTimeUtc"
            | "DateTimeWithTimeZone"
            | "DateTimeLocal"
            | "ChronoDateTime"
            | "ChronoDateTimeUtc"
            | "ChronoDateTimeWithTimeZone"
            | "ChronoDateTimeLocal" => TypeClass::DateTime,
            _ => TypeClass::EnumLike,
        }
    }
}

/// The path of a type, looking through invisible groups and parentheses.
fn type_path(ty: &Type) -> Option<&TypePath> {
    match ty {
        Type::Path(path) if path.qself.is_none() => Some(path),
        Type::Group(group) => type_path(&group.elem),
        Type::Paren(paren) => type_path(&paren.elem),
        _ => None,
    }
}

/// `T` of `Option<T>` (also `std::option::Option<T>`).
fn option_inner(ty: &Type) -> Option<&Type> {
    let last = type_path(ty)?.path.segments.last()?;
    if last.ident != "Option" {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.first() {
        Some(GenericArgument::Type(inner)) if args.args.len() == 1 => Some(inner),
        _ => None,
    }
}

/// sea-orm 2's relation fields (`HasMany<Entity>` and friends) are not columns.
fn is_relation(ty: &Type) -> bool {
    type_path(ty)
        .and_then(|p| p.path.segments.last())
        .is_some_and(|s| matches!(s.ident.to_string().as_str(), "HasOne" | "HasMany" | "BelongsTo"))
}

impl<'a> Model<'a> {
    /// Reads the input of `#[derive(AdminModel)]`; `None` if it is not a struct with
    /// named fields (the error is in `cx`).
    pub fn from_ast(cx: &Ctxt, input: &'a DeriveInput) -> Option<Model<'a>> {
        let named = match &input.data {
            Data::Struct(data) => match &data.fields {
                Fields::Named(named) => named,
                Fields::Unnamed(_) | Fields::Unit => {
                    cx.error_spanned_by(
                        &input.ident,
                        "#[derive(AdminModel)] needs a struct with named fields: a sea-orm entity's `Model`",
                    );
                    return None;
                }
            },
            Data::Enum(data) => {
                cx.error_spanned_by(
                    data.enum_token,
                    "#[derive(AdminModel)] goes on a sea-orm entity's `Model` struct, not on an enum; for an enum of choices use #[derive(AdminChoices)]",
                );
                return None;
            }
            Data::Union(data) => {
                cx.error_spanned_by(
                    data.union_token,
                    "#[derive(AdminModel)] goes on a sea-orm entity's `Model` struct, not on a union",
                );
                return None;
            }
        };
        let attrs = attr::Model::from_ast(cx, &input.attrs);
        let fields = named
            .named
            .iter()
            .filter(|field| !is_relation(&field.ty))
            .filter_map(|field| {
                let ident = field.ident.as_ref()?;
                let attrs = attr::Field::from_ast(cx, &field.attrs);
                if attrs.ignore {
                    return None;
                }
                let (class, optional) = TypeClass::of(&field.ty);
                Some(Field { ident, name: ident.unraw().to_string(), ty: &field.ty, class, optional, attrs })
            })
            .collect();
        Some(Model { ident: &input.ident, generics: &input.generics, attrs, fields })
    }

    /// The index of the field called `name`.
    pub fn field_index(&self, name: &str) -> Option<usize> {
        self.fields.iter().position(|f| f.name == name)
    }

    /// The index of the (first) primary key field.
    pub fn pk_index(&self) -> Option<usize> {
        self.fields.iter().position(|f| f.attrs.primary_key.is_some())
    }

    /// The singular label: `label = ...`, else the humanized table name.
    pub fn label(&self) -> String {
        match (&self.attrs.label, &self.attrs.table_name) {
            (Some(label), _) => label.clone(),
            (None, Some(table)) => humanize(table),
            (None, None) => humanize(&self.ident.to_string()),
        }
    }

    /// The plural label: `label_plural = ...`, else the label made plural.
    pub fn label_plural(&self) -> String {
        self.attrs.label_plural.clone().unwrap_or_else(|| pluralize(&self.label()))
    }
}

impl Field<'_> {
    /// The label: `label = ...`, else the humanized field name.
    pub fn label(&self) -> String {
        self.attrs.label.clone().unwrap_or_else(|| humanize(&self.name))
    }

    /// Whether the database assigns this field on insert: sea-orm's rule, a single
    /// primary key is auto-increment unless its type is a string or a UUID or it says
    /// `auto_increment = false`.
    pub fn auto_increment(&self) -> bool {
        if self.attrs.primary_key.is_none() {
            return false;
        }
        self.attrs.auto_increment.unwrap_or_else(|| {
            let inner = option_inner(self.ty).unwrap_or(self.ty);
            let last = type_path(inner)
                .and_then(|p| p.path.segments.last())
                .map(|s| s.ident.to_string())
                .unwrap_or_default();
            !(last.ends_with("String") || last.ends_with("Uuid"))
        })
    }

    /// The type as the user wrote it, for messages: `Option<String>`.
    pub fn type_name(&self) -> String {
        let ty = self.ty;
        quote::quote!(#ty)
            .to_string()
            .replace(" <", "<")
            .replace("< ", "<")
            .replace(" >", ">")
            .replace(" ::", "::")
            .replace(":: ", "::")
            .replace(" ,", ",")
    }
}

/// A struct with `#[derive(ActionInput)]`: the typed input of an action.
pub struct Input<'a> {
    /// The struct's name.
    pub ident: &'a Ident,
    /// The struct's generics (rejected by the checks).
    pub generics: &'a Generics,
    /// The struct-level options.
    pub attrs: attr::Input,
    /// The fields, in declaration order; empty when the struct has no named fields
    /// (which is reported).
    pub fields: Vec<Field<'a>>,
}

impl<'a> Input<'a> {
    /// Reads the input of `#[derive(ActionInput)]`; `None` if it is not a struct (the
    /// error is in `cx`). A tuple or unit struct is reported and read without fields,
    /// so a placeholder impl can still be emitted.
    pub fn from_ast(cx: &Ctxt, input: &'a DeriveInput) -> Option<Input<'a>> {
        let fields = match &input.data {
            Data::Struct(data) => match &data.fields {
                Fields::Named(named) => Some(named),
                Fields::Unnamed(_) | Fields::Unit => {
                    cx.error_spanned_by(
                        &input.ident,
                        "#[derive(ActionInput)] needs a struct with named fields, like `struct LockInput { note: String }`; for an action without input, write `type Input = NoInput;`",
                    );
                    None
                }
            },
            Data::Enum(data) => {
                cx.error_spanned_by(
                    data.enum_token,
                    "#[derive(ActionInput)] goes on a struct with named fields, not on an enum; for a field with a fixed set of values, derive AdminChoices on the enum and use it as a field's type",
                );
                return None;
            }
            Data::Union(data) => {
                cx.error_spanned_by(
                    data.union_token,
                    "#[derive(ActionInput)] goes on a struct with named fields, not on a union",
                );
                return None;
            }
        };
        let attrs = attr::Input::from_ast(cx, &input.attrs);
        let fields = fields
            .into_iter()
            .flat_map(|named| &named.named)
            .filter_map(|field| {
                let ident = field.ident.as_ref()?;
                let attrs = attr::Field::from_input_ast(cx, &field.attrs);
                let (class, optional) = TypeClass::of(&field.ty);
                Some(Field { ident, name: ident.unraw().to_string(), ty: &field.ty, class, optional, attrs })
            })
            .collect();
        Some(Input { ident: &input.ident, generics: &input.generics, attrs, fields })
    }
}

/// An enum with `#[derive(AdminChoices)]`.
pub struct Choices<'a> {
    /// The enum's name.
    pub ident: &'a Ident,
    /// The enum's generics.
    pub generics: &'a Generics,
    /// The enum-level options.
    pub attrs: attr::Choices,
    /// The variants, in declaration order.
    pub variants: Vec<Variant<'a>>,
}

/// One variant of a choices enum: one allowed value.
pub struct Variant<'a> {
    /// The variant's name.
    pub ident: &'a Ident,
    /// The stored value.
    pub value: String,
    /// Where to point an error about the value.
    pub value_span: proc_macro2::Span,
    /// The label staff see.
    pub label: String,
}

impl<'a> Choices<'a> {
    /// Reads the input of `#[derive(AdminChoices)]`; `None` if it is not an enum (the
    /// error is in `cx`).
    pub fn from_ast(cx: &Ctxt, input: &'a DeriveInput) -> Option<Choices<'a>> {
        let Data::Enum(data) = &input.data else {
            cx.error_spanned_by(
                &input.ident,
                "#[derive(AdminChoices)] goes on an enum whose variants have no fields, like `enum Plan { Free, Paid }`",
            );
            return None;
        };
        let attrs = attr::Choices::from_ast(cx, &input.attrs);
        let variants = data
            .variants
            .iter()
            .map(|variant| {
                if !matches!(variant.fields, Fields::Unit) {
                    cx.error_spanned_by(
                        &variant.fields,
                        format!(
                            "#[derive(AdminChoices)] needs variants without fields; `{}` has fields",
                            variant.ident
                        ),
                    );
                }
                let attrs = attr::Variant::from_ast(cx, &variant.attrs);
                let (value, value_span, from_number) = match attrs.value {
                    Some(ValueSource::Admin(lit) | ValueSource::StringValue(lit)) => {
                        (lit.value(), lit.span(), false)
                    }
                    Some(ValueSource::NumValue(text, span)) => (text, span, true),
                    None => (snake_case(&variant.ident.unraw().to_string()), variant.ident.span(), false),
                };
                let label = attrs.label.unwrap_or_else(|| {
                    if from_number {
                        humanize(&snake_case(&variant.ident.unraw().to_string()))
                    } else {
                        humanize(&value)
                    }
                });
                Variant { ident: &variant.ident, value, value_span, label }
            })
            .collect();
        Some(Choices { ident: &input.ident, generics: &input.generics, attrs, variants })
    }
}

/// Turns a name into a label: `billing_state` becomes "Billing state" (the same rule
/// as `admin_core::field::humanize`).
pub fn humanize(name: &str) -> String {
    let words = name.trim_matches('_').replace('_', " ");
    let mut chars = words.chars();
    let mut out = String::with_capacity(words.len());
    if let Some(first) = chars.next() {
        out.extend(first.to_uppercase());
    }
    out.extend(chars);
    out
}

/// English plural of a label: "Account" → "Accounts", "Box" → "Boxes",
/// "Company" → "Companies".
pub fn pluralize(label: &str) -> String {
    let lower = label.to_lowercase();
    if ["s", "x", "z", "ch", "sh"].iter().any(|end| lower.ends_with(end)) {
        return format!("{label}es");
    }
    let mut rev = lower.chars().rev();
    if let (Some('y'), Some(before)) = (rev.next(), rev.next())
        && before.is_alphabetic()
        && !"aeiou".contains(before)
    {
        return format!("{}ies", &label[..label.len() - 1]);
    }
    format!("{label}s")
}

/// `FailedFirstCharge` → `failed_first_charge`, `HTTPError` → `http_error`.
pub fn snake_case(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_uppercase() {
            let prev = i.checked_sub(1).map(|p| chars[p]);
            let next = chars.get(i + 1).copied();
            let starts_word = match prev {
                None | Some('_') => false,
                Some(p) if p.is_lowercase() || p.is_ascii_digit() => true,
                Some(p) if p.is_uppercase() => next.is_some_and(char::is_lowercase),
                Some(_) => false,
            };
            if starts_word {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_come_from_names() {
        assert_eq!(humanize("billing_state"), "Billing state");
        assert_eq!(humanize("email_job"), "Email job");
        assert_eq!(humanize("id"), "Id");
        assert_eq!(humanize("_private_"), "Private");
    }

    #[test]
    fn plurals_follow_english_endings() {
        assert_eq!(pluralize("Account"), "Accounts");
        assert_eq!(pluralize("Email job"), "Email jobs");
        assert_eq!(pluralize("Status"), "Statuses");
        assert_eq!(pluralize("Box"), "Boxes");
        assert_eq!(pluralize("Batch"), "Batches");
        assert_eq!(pluralize("Wish"), "Wishes");
        assert_eq!(pluralize("Company"), "Companies");
        assert_eq!(pluralize("Day"), "Days");
        assert_eq!(pluralize("Key"), "Keys");
    }

    #[test]
    fn variant_names_become_snake_case_values() {
        assert_eq!(snake_case("FailedFirstCharge"), "failed_first_charge");
        assert_eq!(snake_case("Free"), "free");
        assert_eq!(snake_case("HTTPError"), "http_error");
        assert_eq!(snake_case("Plan2Annual"), "plan2_annual");
        assert_eq!(snake_case("already_snake"), "already_snake");
    }

    #[test]
    fn option_types_are_unwrapped_and_classified() {
        let ty: Type = syn::parse_quote!(Option<String>);
        assert_eq!(TypeClass::of(&ty), (TypeClass::Text, true));
        let ty: Type = syn::parse_quote!(::std::option::Option<chrono::DateTime<Utc>>);
        assert_eq!(TypeClass::of(&ty), (TypeClass::DateTime, true));
        let ty: Type = syn::parse_quote!(i64);
        assert_eq!(TypeClass::of(&ty), (TypeClass::Integer, false));
        let ty: Type = syn::parse_quote!(rust_decimal::Decimal);
        assert_eq!(TypeClass::of(&ty), (TypeClass::Decimal, false));
        let ty: Type = syn::parse_quote!(BillingState);
        assert_eq!(TypeClass::of(&ty), (TypeClass::EnumLike, false));
    }
}
