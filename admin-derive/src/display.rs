//! `#[admin(display = "{company} <{email}>")]` and `#[admin(display_with = path)]`:
//! how a model names its records. The template is parsed and checked against the
//! model's fields here, at compile time; the expansion is a static list of parts
//! (`admin_core::DisplayPart`) or the function's path.

use proc_macro2::TokenStream;
use quote::quote;
use syn::meta::ParseNestedMeta;
use syn::{Expr, ExprLit, Lit, LitStr, Path, Token};

use crate::ast::Model;
use crate::attr::Ctxt;
use crate::symbol::{DISPLAY, DISPLAY_WITH, Symbol};

/// How the model names its records, as written.
pub enum DisplayOpt {
    /// `display = "..."`.
    Template(LitStr),
    /// `display_with = path::to_fn`.
    With(Path),
}

/// One parsed piece of a template.
#[derive(Debug, PartialEq, Eq)]
enum Piece {
    Text(String),
    Field(String),
}

/// Parses `display = "..."`; checks the braces now (the field names are checked by
/// [`check`] once the fields are known).
pub fn parse_template(cx: &Ctxt, meta: &ParseNestedMeta<'_>) -> syn::Result<Option<DisplayOpt>> {
    let lit = match value(cx, meta, DISPLAY, "a string, like `display = \"{company} <{email}>\"`")? {
        Some(Expr::Lit(ExprLit { lit: Lit::Str(s), .. })) => s,
        Some(other) => {
            cx.error_spanned_by(other, "expected a string, like `display = \"{company} <{email}>\"`");
            return Ok(None);
        }
        None => return Ok(None),
    };
    match pieces(&lit.value()) {
        Err(why) => {
            cx.error_spanned_by(&lit, format!("display: {why}"));
            Ok(None)
        }
        Ok(p) if !p.iter().any(|p| matches!(p, Piece::Field(_))) => {
            cx.error_spanned_by(
                &lit,
                "display names no field; put field names in braces, like \"{company} <{email}>\"",
            );
            Ok(None)
        }
        Ok(_) => Ok(Some(DisplayOpt::Template(lit))),
    }
}

/// Parses `display_with = path::to_fn`.
pub fn parse_with(cx: &Ctxt, meta: &ParseNestedMeta<'_>) -> syn::Result<Option<DisplayOpt>> {
    let expected = "a function's path, like `display_with = crate::names::account`";
    Ok(match value(cx, meta, DISPLAY_WITH, expected)? {
        Some(Expr::Path(p)) => Some(DisplayOpt::With(p.path)),
        Some(other) => {
            cx.error_spanned_by(other, format!("expected {expected}"));
            None
        }
        None => None,
    })
}

fn value(cx: &Ctxt, meta: &ParseNestedMeta<'_>, key: Symbol, expected: &str) -> syn::Result<Option<Expr>> {
    if !meta.input.peek(Token![=]) {
        cx.error_spanned_by(&meta.path, format!("`{key}` expects {expected}"));
        return Ok(None);
    }
    meta.value()?.parse().map(Some)
}

/// Splits a template into text and field names: `{{`/`}}` are literal braces.
fn pieces(template: &str) -> Result<Vec<Piece>, String> {
    let mut out = Vec::new();
    let mut text = String::new();
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                text.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                text.push('}');
            }
            '{' => {
                let mut name = String::new();
                let mut closed = false;
                for n in chars.by_ref() {
                    if n == '}' {
                        closed = true;
                        break;
                    }
                    if n == '{' {
                        break;
                    }
                    name.push(n);
                }
                if !closed {
                    return Err("a `{` is not closed by `}`; write `{{` for a literal brace".to_owned());
                }
                let name = name.trim().to_owned();
                if name.is_empty() {
                    return Err("`{}` names no field; put a field's name between the braces".to_owned());
                }
                if !text.is_empty() {
                    out.push(Piece::Text(std::mem::take(&mut text)));
                }
                out.push(Piece::Field(name));
            }
            '}' => return Err("a `}` closes nothing; write `}}` for a literal brace".to_owned()),
            other => text.push(other),
        }
    }
    if !text.is_empty() {
        out.push(Piece::Text(text));
    }
    Ok(out)
}

/// The one rule of a model: `display` or `display_with`, not both (reported at the
/// function's path).
pub fn one_of(cx: &Ctxt, template: Option<DisplayOpt>, with: Option<DisplayOpt>) -> Option<DisplayOpt> {
    match (template, with) {
        (Some(t), Some(DisplayOpt::With(path))) => {
            cx.error_spanned_by(
                &path,
                "use either `display` (a template of fields) or `display_with` (a function), not both",
            );
            Some(t)
        }
        (t, w) => t.or(w),
    }
}

/// Checks the option against the model: every `{name}` is a field.
pub fn check(cx: &Ctxt, model: &Model<'_>) {
    let Some(DisplayOpt::Template(lit)) = &model.attrs.display else { return };
    let Ok(pieces) = pieces(&lit.value()) else { return };
    let names: Vec<&str> = model.fields.iter().map(|f| f.name.as_str()).collect();
    for piece in pieces {
        if let Piece::Field(name) = piece
            && model.field_index(&name).is_none()
        {
            let hint = crate::suggest::hint(&name, names.iter().copied());
            cx.error_spanned_by(
                lit,
                format!(
                    "display: unknown field `{name}`{hint}; fields of {} are: {}",
                    model.ident,
                    names.join(", ")
                ),
            );
        }
    }
}

/// The `ModelMeta::display` value: `None`, a template's parts, or the function.
pub fn expand(model: &Model<'_>) -> TokenStream {
    match &model.attrs.display {
        None => quote!(::core::option::Option::None),
        Some(DisplayOpt::With(path)) => quote!(::core::option::Option::Some(__a::Display::With(#path))),
        Some(DisplayOpt::Template(lit)) => {
            let parts = pieces(&lit.value()).unwrap_or_default().into_iter().filter_map(|p| match p {
                Piece::Text(t) => Some(quote!(__a::DisplayPart::Text(#t))),
                Piece::Field(name) => model.field_index(&name).map(|i| {
                    let i = proc_macro2::Literal::usize_unsuffixed(i);
                    quote!(__a::DisplayPart::Field(#i))
                }),
            });
            quote!(::core::option::Option::Some(__a::Display::Template(&[#(#parts),*])))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_split_into_text_and_fields() {
        assert_eq!(
            pieces("{company} <{email}> {{x}}").unwrap(),
            vec![
                Piece::Field("company".into()),
                Piece::Text(" <".into()),
                Piece::Field("email".into()),
                Piece::Text("> {x}".into()),
            ]
        );
        assert!(pieces("{company").unwrap_err().contains("not closed"));
        assert!(pieces("a } b").unwrap_err().contains("closes nothing"));
        assert!(pieces("a {} b").unwrap_err().contains("names no field"));
        assert!(pieces("{a{b}").unwrap_err().contains("not closed"));
    }
}
