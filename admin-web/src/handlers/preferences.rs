//! `{prefix}/me/preferences`: the signed-in staff member's own language and time
//! zone for the screens (stored on their staff row; times stay UTC in the database).

use admin_core::Error as CoreError;
use admin_core::auth::Preferences;
use admin_core::kernel::error::FieldError;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::{Value, context};
use serde::Deserialize;

use crate::error::Result;
use crate::extract::Submitted;
use crate::session::Ctx;

/// `GET {prefix}/me/preferences`.
pub async fn form(ctx: Ctx) -> Result<Response> {
    let prefs = ctx.service().preferences(&ctx.caller).await?;
    render(&ctx, &prefs, &[], StatusCode::OK)
}

/// The preferences form: `language` (a catalog's tag, or empty for the browser's)
/// and `time_zone` (an IANA name, or empty for UTC).
#[derive(Debug, Default, Deserialize)]
pub struct PreferencesForm {
    /// The language tag, empty for the browser's.
    #[serde(default)]
    pub language: String,
    /// The time zone's name, empty for UTC.
    #[serde(default)]
    pub time_zone: String,
}

/// `POST {prefix}/me/preferences`: stores them (with an audit entry) and shows the
/// page again in the language chosen.
pub async fn save(Submitted(ctx, form): Submitted<PreferencesForm>) -> Result<Response> {
    let prefs = Preferences {
        language: Some(form.language.trim().to_owned()).filter(|l| !l.is_empty()),
        time_zone: Some(form.time_zone.trim().to_owned()).filter(|z| !z.is_empty()),
    };
    let languages = ctx.state.templates.catalogs().languages();
    match ctx.service().set_preferences(&ctx.caller, &prefs, &languages).await {
        Ok(()) => {
            // The next page is in the new language: so is its message.
            let lang = prefs.language.clone().unwrap_or_else(|| ctx.locale.lang.clone());
            let message = ctx.state.templates.catalogs().text(&lang, "preferences-saved", &[]);
            ctx.flash(&message).await;
            Ok(Redirect::to(&format!("{}/me/preferences", ctx.state.prefix())).into_response())
        }
        Err(CoreError::Invalid(errors)) => render(&ctx, &prefs, &errors, StatusCode::BAD_REQUEST),
        Err(e) => Err(e.into()),
    }
}

fn render(ctx: &Ctx, prefs: &Preferences, errors: &[FieldError], status: StatusCode) -> Result<Response> {
    let catalogs = ctx.state.templates.catalogs();
    let chosen = prefs.language.as_deref().unwrap_or("");
    let languages: Vec<Value> = catalogs
        .languages()
        .into_iter()
        .map(|l| context! { tag => l, name => catalogs.text(l, "language-name", &[]), selected => l == chosen })
        .collect();
    let error =
        |field: &str| errors.iter().find(|e| e.field.as_deref() == Some(field)).map(|e| e.message.clone());
    let html = ctx.state.templates.render(
        &["admin/preferences.html".to_owned()],
        context! {
            base => ctx.base(&ctx.t("preferences-title", &[])),
            languages => languages,
            time_zone => prefs.time_zone.as_deref().unwrap_or(""),
            errors => context! { language => error("language"), time_zone => error("time_zone") },
        },
    )?;
    Ok((status, html).into_response())
}
