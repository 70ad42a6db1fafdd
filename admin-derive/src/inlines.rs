//! `#[admin(inlines(...))]` on a model: child models edited in tables on its record
//! page. The children may live in other crates, so their names and fields are
//! checked when the registry is built, not here; here only the shape is.
//!
//! ```text
//! inlines(email_job)
//! inlines(email_job(fields(kind, status, attempts), readonly(status), limit = 20, extra = 3))
//! ```

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use syn::meta::ParseNestedMeta;
use syn::{Expr, ExprLit, Lit};

use crate::attr::Ctxt;
use crate::symbol::{INLINE_OPTIONS, Symbol};

/// `extra` and `limit` are at most this.
const MAX_ROWS: u64 = 500;

/// One child model of `inlines(...)`.
pub struct Inline {
    /// The child's slug (its table name).
    pub model: String,
    /// `fields(...)`: the columns; empty for the child's list columns.
    pub fields: Vec<String>,
    /// `readonly(...)`: columns shown as text on existing rows.
    pub readonly: Vec<String>,
    /// `limit = N`.
    pub limit: Option<u64>,
    /// `extra = N`.
    pub extra: Option<u64>,
}

/// Parses `inlines(child, child(options), ...)`.
pub fn parse(cx: &Ctxt, meta: &ParseNestedMeta<'_>) -> syn::Result<Option<Vec<Inline>>> {
    if !meta.input.peek(syn::token::Paren) {
        cx.error_spanned_by(&meta.path, "expected a list of child models, like `inlines(email_job)`");
        return Ok(None);
    }
    let mut out = Vec::new();
    meta.parse_nested_meta(|child| {
        let Some(name) = child.path.get_ident().map(ToString::to_string) else {
            cx.error_spanned_by(
                &child.path,
                "expected a child model's table name, like `inlines(email_job)`",
            );
            return Ok(());
        };
        if out.iter().any(|i: &Inline| i.model == name) {
            cx.error_spanned_by(&child.path, format!("`{name}` is listed twice in `inlines`"));
        }
        let mut inline =
            Inline { model: name, fields: Vec::new(), readonly: Vec::new(), limit: None, extra: None };
        if child.input.peek(syn::token::Paren) {
            child.parse_nested_meta(|opt| option(cx, &opt, &mut inline))?;
        }
        out.push(inline);
        Ok(())
    })?;
    Ok(Some(out))
}

fn option(cx: &Ctxt, opt: &ParseNestedMeta<'_>, inline: &mut Inline) -> syn::Result<()> {
    let key = opt.path.to_token_stream().to_string();
    match key.as_str() {
        "fields" | "readonly" => {
            let mut names = Vec::new();
            opt.parse_nested_meta(|n| {
                match n.path.get_ident() {
                    Some(i) => names.push(i.to_string()),
                    None => cx.error_spanned_by(&n.path, "expected a field name"),
                }
                Ok(())
            })?;
            if key == "fields" { inline.fields = names } else { inline.readonly = names }
        }
        "limit" | "extra" => {
            let expr: Expr = opt.value()?.parse()?;
            let n = match &expr {
                Expr::Lit(ExprLit { lit: Lit::Int(i), .. }) => i.base10_parse::<u64>().ok(),
                _ => None,
            };
            let least = u64::from(key == "limit");
            match n.filter(|n| (least..=MAX_ROWS).contains(n)) {
                Some(n) if key == "limit" => inline.limit = Some(n),
                Some(n) => inline.extra = Some(n),
                None => cx.error_spanned_by(
                    expr,
                    format!("expected an integer between {least} and {MAX_ROWS}, like `{key} = 20`"),
                ),
            }
        }
        _ => {
            let hint = crate::suggest::hint(&key, INLINE_OPTIONS.iter().map(|s: &Symbol| s.0));
            let names: Vec<String> = INLINE_OPTIONS.iter().map(|s| format!("`{}`", s.0)).collect();
            cx.error_spanned_by(
                &opt.path,
                format!("unknown inline option `{key}`{hint}; expected one of: {}", names.join(", ")),
            );
            while !opt.input.is_empty() && !opt.input.peek(syn::Token![,]) {
                opt.input.parse::<proc_macro2::TokenTree>()?;
            }
        }
    }
    Ok(())
}

/// The `&[InlineMeta { .. }]` of the model's `ModelMeta`.
pub fn expand(inlines: &[Inline]) -> TokenStream {
    let items = inlines.iter().map(|i| {
        let (model, fields, readonly) = (&i.model, &i.fields, &i.readonly);
        let limit = i.limit.map_or_else(|| quote!(__a::InlineMeta::DEFAULT_LIMIT), |n| quote!(#n));
        let extra = i.extra.map_or_else(|| quote!(__a::InlineMeta::DEFAULT_EXTRA), |n| quote!(#n));
        quote!(__a::InlineMeta {
            model: #model,
            fields: &[#(#fields),*],
            readonly: &[#(#readonly),*],
            limit: #limit,
            extra: #extra,
        })
    });
    quote!(&[#(#items),*])
}
