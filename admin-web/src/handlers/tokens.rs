//! `{prefix}/me/tokens`: a staff user's own API tokens, for scripts calling the JSON
//! API as them. Making or revoking one asks for a recent sign-in, as the two-factor
//! settings do (the door refuses a stale one and the router sends the person to
//! confirm their password); a new token is shown once (only its hash is kept).

use admin_core::auth::ApiTokenInfo;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::{Value, context};
use serde::Deserialize;

use crate::error::Result;
use crate::extract::Submitted;
use crate::session::Ctx;

/// Longest name kept for a token.
const NAME_MAX: usize = admin_core::kernel::text::TOKEN_NAME;

/// What the page shows besides the list.
#[derive(Default)]
struct View<'a> {
    /// A token just made: shown this once.
    new_token: Option<&'a str>,
    /// The name typed, when the form comes back with an error.
    name: &'a str,
    error: Option<&'a str>,
}

async fn render(ctx: &Ctx, view: View<'_>, status: StatusCode) -> Result<Response> {
    let at = |t: chrono::NaiveDateTime| t.format("%Y-%m-%d %H:%M").to_string();
    let tokens: Vec<Value> = ctx
        .service()
        .tokens(&ctx.caller, false)
        .await?
        .into_iter()
        .map(|t: ApiTokenInfo| {
            context! {
                id => t.id, name => t.name, made => at(t.created_at),
                last_used => t.last_used_at.map(at), revoked => t.revoked,
            }
        })
        .collect();
    let html = ctx.state.templates.render(
        &["admin/tokens.html".to_owned()],
        context! {
            base => ctx.base(&ctx.t("base-tokens", &[])),
            tokens => tokens,
            new_token => view.new_token,
            name => view.name,
            error => view.error,
            name_max => NAME_MAX,
            api_url => format!("{}/api/", ctx.state.prefix()),
        },
    )?;
    Ok((status, html).into_response())
}

/// `GET {prefix}/me/tokens`: your tokens, and a form to make one.
pub async fn list(ctx: Ctx) -> Result<Response> {
    ctx.service().may_change_tokens(&ctx.caller)?;
    render(&ctx, View::default(), StatusCode::OK).await
}

/// What the token form asks for.
#[derive(Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenAction {
    /// Make a token called `name`.
    Create,
    /// Revoke the token `id`.
    Revoke,
}

/// The token form: `action=create` with `name`, or `action=revoke` with `id`.
#[derive(Deserialize)]
pub struct TokenForm {
    /// Make or revoke.
    pub action: TokenAction,
    /// What a new token is for.
    #[serde(default)]
    pub name: String,
    /// The token to revoke.
    pub id: Option<i64>,
}

/// `POST {prefix}/me/tokens`: `action=create` with `name`, or `action=revoke` with
/// `id`; and `csrf_token`.
pub async fn change(Submitted(ctx, form): Submitted<TokenForm>) -> Result<Response> {
    match (form.action, form.id) {
        (TokenAction::Create, _) => create(&ctx, &form.name).await,
        (TokenAction::Revoke, Some(id)) => revoke(&ctx, id).await,
        (TokenAction::Revoke, None) => {
            Err(admin_core::Error::BadRequest("Choose a token to revoke.".to_owned()).into())
        }
    }
}

async fn create(ctx: &Ctx, name: &str) -> Result<Response> {
    let name = name.trim();
    match ctx.service().create_token(&ctx.caller, None, name).await {
        Ok(token) => {
            tracing::info!(username = %ctx.staff.username, "API token made");
            render(ctx, View { new_token: Some(&token), ..View::default() }, StatusCode::OK).await
        }
        Err(admin_core::Error::Invalid(errs)) => {
            let error = errs.iter().map(|e| e.message.as_str()).collect::<Vec<_>>().join(" ");
            let view = View { name, error: Some(&error), ..View::default() };
            render(ctx, view, StatusCode::BAD_REQUEST).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn revoke(ctx: &Ctx, id: i64) -> Result<Response> {
    let service = ctx.service();
    service.revoke_token(&ctx.caller, id).await?;
    let name = service.tokens(&ctx.caller, false).await?.into_iter().find(|t| t.id == id).map(|t| t.name);
    ctx.flash_t("flash-token-revoked", &[("name", name.unwrap_or_else(|| id.to_string()).into())]).await;
    Ok(Redirect::to(&format!("{}/me/tokens", ctx.state.prefix())).into_response())
}
