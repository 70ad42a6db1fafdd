//! Staff users, administered like any model: list, create, change roles, deactivate,
//! reset a password; and every user's own password change. Passwords are never
//! shown or logged.

use admin_core::auth::{self, role_names};
use admin_core::db::entities::staff_user;
use admin_core::{Error as CoreError, FieldError, FormData};
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::{Value, context};
use serde::Deserialize;

use super::Pairs;
use crate::error::Result;
use crate::extract::Submitted;
use crate::session::Ctx;

fn user_view(ctx: &Ctx, u: &staff_user::Model) -> Value {
    context! {
        id => u.id,
        username => &u.username,
        roles => role_names(&u.roles),
        is_superuser => u.is_superuser,
        is_active => u.is_active,
        two_factor => u.totp_secret.is_some(),
        last_login => u.last_login_at.map(|t| t.format("%Y-%m-%d %H:%M").to_string()),
        url => format!("{}/staff/{}", ctx.state.prefix(), u.id),
    }
}

fn role_options(ctx: &Ctx, selected: &[String]) -> Vec<Value> {
    ctx.state
        .auth
        .roles
        .all()
        .map(|r| {
            context! {
                name => &r.name,
                description => &r.description,
                checked => selected.contains(&r.name),
                two_factor => r.requires_two_factor,
            }
        })
        .collect()
}

/// `GET {prefix}/staff/`.
pub async fn list(ctx: Ctx) -> Result<Response> {
    let users = ctx.service().users(&ctx.caller).await?;
    let rows: Vec<Value> = users.iter().map(|u| user_view(&ctx, u)).collect();
    let html = ctx.state.templates.render(
        &["admin/staff_list.html".to_owned()],
        context! {
            base => ctx.base(&ctx.t("staff-title", &[])),
            users => rows,
            may_change => ctx.staff.may("staff.change"),
        },
    )?;
    Ok(html.into_response())
}

struct FormPage<'a> {
    user: Option<&'a staff_user::Model>,
    username: String,
    roles: Vec<String>,
    is_superuser: bool,
    is_active: bool,
    errors: Vec<FieldError>,
}

impl<'a> FormPage<'a> {
    /// The form for `user` as saved, with `errors`.
    fn of(user: &'a staff_user::Model, errors: Vec<FieldError>) -> Self {
        FormPage {
            user: Some(user),
            username: user.username.clone(),
            roles: role_names(&user.roles),
            is_superuser: user.is_superuser,
            is_active: user.is_active,
            errors,
        }
    }
}

fn render_form(ctx: &Ctx, page: FormPage<'_>, status: StatusCode) -> Result<Response> {
    let title = match page.user {
        Some(u) => format!("Staff user {}", u.username),
        None => "Add staff user".to_owned(),
    };
    let err = |f: &str| page.errors.iter().find(|e| e.field.as_deref() == Some(f)).map(|e| e.message.clone());
    let form_errors: Vec<String> =
        page.errors.iter().filter(|e| e.field.is_none()).map(|e| e.message.clone()).collect();
    // A form the user cannot submit is not shown: without staff.change, or for a
    // superuser, whom only superusers change, the page only shows the user.
    let (may_edit, why_read_only) = if !ctx.staff.may("staff.change") {
        let what = admin_core::kernel::message::Message::new(
            "staff-view-only",
            "You can view staff users but not change them.",
        );
        let denial = ctx.staff.denial_message(what, "staff.change");
        (false, denial.translatable().map_or_else(|| denial.to_string(), |m| ctx.message(m)))
    } else if page.user.is_some_and(|u| u.is_superuser) && !ctx.staff.is_superuser {
        (false, "Only a superuser can change a superuser or reset their password.".to_owned())
    } else {
        (true, String::new())
    };
    let html = ctx.state.templates.render(
        &["admin/staff_form.html".to_owned()],
        context! {
            base => ctx.base(&title),
            title => title,
            user => page.user.map(|u| user_view(ctx, u)),
            username => page.username,
            roles => role_options(ctx, &page.roles),
            is_superuser => page.is_superuser,
            is_active => page.is_active,
            may_edit => may_edit,
            why_read_only => why_read_only,
            may_superuser => ctx.staff.is_superuser,
            errors => context! {
                username => err("username"), password => err("password").or_else(|| err("new_password")),
                roles => err("roles"), form => form_errors,
            },
            has_errors => !page.errors.is_empty(),
            is_self => page.user.is_some_and(|u| u.id == ctx.staff.id),
        },
    )?;
    Ok((status, html).into_response())
}

fn parse_id(raw: &str) -> Result<i64> {
    raw.parse().map_err(|_| CoreError::NotFound(format!("There is no staff user with id {raw}.")).into())
}

/// `GET {prefix}/staff/new`.
pub async fn new_form(ctx: Ctx) -> Result<Response> {
    ctx.service().may_change_staff(&ctx.caller)?;
    let page = FormPage {
        user: None,
        username: String::new(),
        roles: Vec::new(),
        is_superuser: false,
        is_active: true,
        errors: Vec::new(),
    };
    render_form(&ctx, page, StatusCode::OK)
}

/// `POST {prefix}/staff/new`: `username`, `password`, `roles` (repeated), `is_superuser`.
pub async fn create(Submitted(ctx, form): Submitted<Pairs>) -> Result<Response> {
    let form = FormData::from(form);
    let username = form.get("username").unwrap_or("").trim().to_owned();
    let roles: Vec<String> = form.all("roles").into_iter().map(str::to_owned).collect();
    let is_superuser = checkbox(&form, "is_superuser")?;
    let password = form.get("password").unwrap_or("");
    match ctx.service().create_user(&ctx.caller, &username, password, &roles, is_superuser).await {
        Ok(user) => {
            ctx.flash_t("flash-staff-created", &[("username", user.username.clone().into())]).await;
            Ok(Redirect::to(&format!("{}/staff/", ctx.state.prefix())).into_response())
        }
        Err(CoreError::Invalid(errors)) => {
            let page = FormPage { user: None, username, roles, is_superuser, is_active: true, errors };
            render_form(&ctx, page, StatusCode::BAD_REQUEST)
        }
        Err(e) => Err(e.into()),
    }
}

/// `GET {prefix}/staff/{id}`.
pub async fn show(ctx: Ctx, Path(id): Path<String>) -> Result<Response> {
    let user = ctx.service().user(&ctx.caller, parse_id(&id)?).await?;
    render_form(&ctx, FormPage::of(&user, Vec::new()), StatusCode::OK)
}

/// A checkbox of the form: ticked when sent as `1` (its value) or `on` (what a
/// browser sends for a box without one), unticked when absent. Anything else did
/// not come from the form and is refused rather than read as "unticked".
fn checkbox(form: &FormData, name: &str) -> Result<bool> {
    match form.get(name) {
        None => Ok(false),
        Some("1" | "on") => Ok(true),
        Some(_) => Err(CoreError::BadRequest(format!(
            "The \u{201c}{name}\u{201d} box can only be ticked or not; send 1 or nothing."
        ))
        .into()),
    }
}

/// `POST {prefix}/staff/{id}`: `roles` (repeated), `is_active`, `is_superuser`.
pub async fn save(Path(id): Path<String>, Submitted(ctx, form): Submitted<Pairs>) -> Result<Response> {
    let form = FormData::from(form);
    let id = parse_id(&id)?;
    let roles: Vec<String> = form.all("roles").into_iter().map(str::to_owned).collect();
    let is_active = checkbox(&form, "is_active")?;
    let is_superuser = checkbox(&form, "is_superuser")?;
    let service = ctx.service();
    let (errors, status) = match service.update_user(&ctx.caller, id, &roles, is_active, is_superuser).await {
        Ok(user) => {
            ctx.flash_t("flash-staff-saved", &[("username", user.username.clone().into())]).await;
            return Ok(Redirect::to(&format!("{}/staff/", ctx.state.prefix())).into_response());
        }
        Err(CoreError::Invalid(errors)) => (errors, StatusCode::BAD_REQUEST),
        Err(CoreError::Refused(msg)) => (vec![FieldError::form(msg)], StatusCode::CONFLICT),
        Err(e) => return Err(e.into()),
    };
    let user = service.user(&ctx.caller, id).await?;
    let page = FormPage { roles, is_superuser, is_active, ..FormPage::of(&user, errors) };
    render_form(&ctx, page, status)
}

/// The staff password form: the new password.
#[derive(Deserialize)]
pub struct NewPassword {
    /// The new password.
    #[serde(default)]
    pub password: String,
}

/// `POST {prefix}/staff/{id}/password`: `password`. Ends all of the user's sessions.
pub async fn reset_password(
    Path(id): Path<String>,
    Submitted(ctx, form): Submitted<NewPassword>,
) -> Result<Response> {
    let id = parse_id(&id)?;
    let service = ctx.service();
    match service.set_password(&ctx.caller, id, &form.password).await {
        Ok(()) => {
            let user = service.user(&ctx.caller, id).await?;
            ctx.flash_t("flash-staff-password", &[("username", user.username.clone().into())]).await;
            Ok(Redirect::to(&format!("{}/staff/{id}", ctx.state.prefix())).into_response())
        }
        Err(CoreError::Invalid(errors)) => {
            let user = service.user(&ctx.caller, id).await?;
            render_form(&ctx, FormPage::of(&user, errors), StatusCode::BAD_REQUEST)
        }
        Err(e) => Err(e.into()),
    }
}

fn render_own_password(ctx: &Ctx, errors: &[FieldError], status: StatusCode) -> Result<Response> {
    let err = |f: &str| errors.iter().find(|e| e.field.as_deref() == Some(f)).map(|e| e.message.clone());
    let html = ctx.state.templates.render(
        &["admin/password.html".to_owned()],
        context! {
            base => ctx.base(&ctx.t("password-title", &[])),
            errors => context! { current => err("current_password"), new => err("new_password"), confirm => err("confirm") },
            min_len => auth::MIN_PASSWORD_LEN,
        },
    )?;
    Ok((status, html).into_response())
}

/// `GET {prefix}/me/password`.
pub async fn own_password_form(ctx: Ctx) -> Result<Response> {
    render_own_password(&ctx, &[], StatusCode::OK)
}

/// The own-password form.
#[derive(Deserialize)]
pub struct OwnPassword {
    /// The password now.
    #[serde(default)]
    pub current_password: String,
    /// The new password.
    #[serde(default)]
    pub new_password: String,
    /// The new password again.
    #[serde(default)]
    pub confirm: String,
}

/// `POST {prefix}/me/password`: `current_password`, `new_password`, `confirm`.
pub async fn own_password(Submitted(ctx, form): Submitted<OwnPassword>) -> Result<Response> {
    if form.confirm != form.new_password {
        let errors = [FieldError::field("confirm", "The two new passwords are not the same.")];
        return render_own_password(&ctx, &errors, StatusCode::BAD_REQUEST);
    }
    let state = &ctx.state;
    let audit = ctx.caller.context();
    match auth::change_own_password(
        &state.db,
        &state.auth,
        audit,
        &ctx.token,
        &form.current_password,
        &form.new_password,
    )
    .await
    {
        Ok(()) => {
            ctx.flash_t("flash-password-changed", &[]).await;
            Ok(Redirect::to(&format!("{}/", ctx.state.prefix())).into_response())
        }
        Err(CoreError::Invalid(errors)) => render_own_password(&ctx, &errors, StatusCode::BAD_REQUEST),
        // Too many wrong passwords: the sentence says when to try again.
        Err(CoreError::Refused(msg)) => {
            let errors = [FieldError::field("current_password", msg)];
            render_own_password(&ctx, &errors, StatusCode::TOO_MANY_REQUESTS)
        }
        Err(e) => Err(e.into()),
    }
}
