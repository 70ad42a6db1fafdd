//! `{prefix}/me/tokens`: a staff user's own API tokens, for scripts calling the JSON
//! API as them. Making or revoking one asks for a recent sign-in, as the two-factor
//! settings do; a new token is shown once (only its hash is kept).

use admin_core::auth::{self, ApiTokenInfo};
use axum::extract::{Form, OriginalUri};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::{Value, context};

use super::{Pairs, field};
use crate::error::Result;
use crate::session::{Ctx, require_recent_auth};

/// Longest name kept for a token.
const NAME_MAX: usize = admin_core::text::TOKEN_NAME;

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
    let tokens: Vec<Value> = auth::api_tokens(&ctx.state.db, Some(ctx.staff.id))
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
            base => ctx.base("API tokens"),
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
pub async fn list(ctx: Ctx, OriginalUri(uri): OriginalUri) -> Result<Response> {
    require_recent_auth(&ctx, &uri)?;
    render(&ctx, View::default(), StatusCode::OK).await
}

/// `POST {prefix}/me/tokens`: `action=create` with `name`, or `action=revoke` with
/// `id`; and `csrf_token`.
pub async fn change(ctx: Ctx, OriginalUri(uri): OriginalUri, Form(form): Form<Pairs>) -> Result<Response> {
    ctx.check_csrf(field(&form, "csrf_token"))?;
    require_recent_auth(&ctx, &uri)?;
    match field(&form, "action") {
        Some("create") => {
            let name = field(&form, "name").unwrap_or("").trim();
            if name.is_empty() || name.chars().count() > NAME_MAX {
                let error = format!(
                    "Say what the token is for, in at most {NAME_MAX} characters (\u{201c}nightly billing sync\u{201d}): it is how you will tell tokens apart."
                );
                let view = View { name, error: Some(&error), ..View::default() };
                return render(&ctx, view, StatusCode::BAD_REQUEST).await;
            }
            let token =
                match auth::create_api_token(&ctx.state.db, &ctx.audit(None), ctx.staff.id, name).await {
                    Ok(token) => token,
                    Err(admin_core::Error::Invalid(errs)) => {
                        let error = errs.iter().map(|e| e.message.as_str()).collect::<Vec<_>>().join(" ");
                        let view = View { name, error: Some(&error), ..View::default() };
                        return render(&ctx, view, StatusCode::BAD_REQUEST).await;
                    }
                    Err(e) => return Err(e.into()),
                };
            tracing::info!(username = %ctx.staff.username, "API token made");
            render(&ctx, View { new_token: Some(&token), ..View::default() }, StatusCode::OK).await
        }
        Some("revoke") => {
            let Some(id) = field(&form, "id").and_then(|v| v.trim().parse::<i64>().ok()) else {
                return Err(admin_core::Error::BadRequest("Choose a token to revoke.".to_owned()).into());
            };
            // Only one's own tokens are on this page; the service checks it too.
            let mine =
                auth::api_tokens(&ctx.state.db, Some(ctx.staff.id)).await?.into_iter().find(|t| t.id == id);
            let Some(token) = mine else {
                return Err(admin_core::Error::NotFound(format!("You have no API token {id}.")).into());
            };
            auth::revoke_api_token(&ctx.state.db, &ctx.audit(None), id).await?;
            ctx.flash(&format!(
                "The token \u{201c}{}\u{201d} is revoked: calls with it are refused.",
                token.name
            ))
            .await;
            Ok(Redirect::to(&format!("{}/me/tokens", ctx.state.prefix())).into_response())
        }
        _ => {
            Err(admin_core::Error::BadRequest("Choose whether to make a token or revoke one.".to_owned())
                .into())
        }
    }
}
