//! Staff users, administered like any model: list, create, change roles, deactivate,
//! reset a password; and every user's own password change. Passwords are never
//! shown or logged.

use admin_core::auth::{self, role_names};
use admin_core::entities::staff_user;
use admin_core::{Error as CoreError, FieldError, FormData};
use axum::extract::{Form, Path};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::{Value, context};

use super::{Pairs, csrf_of};
use crate::error::Result;
use crate::session::Ctx;

fn require(ctx: &Ctx, perm: &str, sentence: &str) -> Result<()> {
    if ctx.staff.may(perm) {
        Ok(())
    } else {
        Err(CoreError::Forbidden(format!("{sentence} Ask an admin for the {perm} permission.")).into())
    }
}

fn require_view(ctx: &Ctx) -> Result<()> {
    require(ctx, "staff.view", "You cannot see the staff users.")
}

fn require_change(ctx: &Ctx) -> Result<()> {
    let sentence = if ctx.staff.may("staff.view") {
        "You can view staff users but not change them."
    } else {
        "You cannot manage staff users."
    };
    require(ctx, "staff.change", sentence)?;
    // Changing who may do what is among the riskiest operations: it needs a recent
    // proof of identity (the password again after 15 minutes).
    let back: axum::http::Uri = format!("{}/staff/", ctx.state.prefix())
        .parse()
        .map_err(|_| CoreError::Internal("bad staff path".to_owned()))?;
    crate::session::require_recent_auth(ctx, &back)
}

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
    require_view(&ctx)?;
    let users = auth::list_users(&ctx.state.db).await?;
    let rows: Vec<Value> = users.iter().map(|u| user_view(&ctx, u)).collect();
    let html = ctx.state.templates.render(
        &["admin/staff_list.html".to_owned()],
        context! {
            base => ctx.base("Staff users"),
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
        (false, "You can view staff users but not change them. Ask an admin for the staff.change permission.")
    } else if page.user.is_some_and(|u| u.is_superuser) && !ctx.staff.is_superuser {
        (false, "Only a superuser can change a superuser or reset their password.")
    } else {
        (true, "")
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
    require_change(&ctx)?;
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
pub async fn create(ctx: Ctx, Form(form): Form<Pairs>) -> Result<Response> {
    let form = FormData::from(form);
    ctx.check_csrf(csrf_of(&form))?;
    require_change(&ctx)?;
    let username = form.get("username").unwrap_or("").trim().to_owned();
    let roles: Vec<String> = form.all("roles").into_iter().map(str::to_owned).collect();
    let is_superuser = checkbox(&form, "is_superuser")?;
    let audit = ctx.audit(None);
    match auth::admin_create_user(
        &ctx.state.db,
        &ctx.state.auth,
        &audit,
        &username,
        form.get("password").unwrap_or(""),
        &roles,
        is_superuser,
    )
    .await
    {
        Ok(user) => {
            ctx.flash(&format!("Staff user {} created.", user.username)).await;
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
    require_view(&ctx)?;
    let user = auth::get_user(&ctx.state.db, parse_id(&id)?).await?;
    let page = FormPage {
        user: Some(&user),
        username: user.username.clone(),
        roles: role_names(&user.roles),
        is_superuser: user.is_superuser,
        is_active: user.is_active,
        errors: Vec::new(),
    };
    render_form(&ctx, page, StatusCode::OK)
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
pub async fn save(ctx: Ctx, Path(id): Path<String>, Form(form): Form<Pairs>) -> Result<Response> {
    let form = FormData::from(form);
    ctx.check_csrf(csrf_of(&form))?;
    require_change(&ctx)?;
    let id = parse_id(&id)?;
    let roles: Vec<String> = form.all("roles").into_iter().map(str::to_owned).collect();
    let is_active = checkbox(&form, "is_active")?;
    let is_superuser = checkbox(&form, "is_superuser")?;
    let audit = ctx.audit(None);
    match auth::admin_update_user(&ctx.state.db, &ctx.state.auth, &audit, id, &roles, is_active, is_superuser)
        .await
    {
        Ok(user) => {
            ctx.flash(&format!(
                "Staff user {} saved; their sessions were ended if anything changed.",
                user.username
            ))
            .await;
            Ok(Redirect::to(&format!("{}/staff/", ctx.state.prefix())).into_response())
        }
        Err(CoreError::Invalid(errors)) => {
            let user = auth::get_user(&ctx.state.db, id).await?;
            let page = FormPage {
                user: Some(&user),
                username: user.username.clone(),
                roles,
                is_superuser,
                is_active,
                errors,
            };
            render_form(&ctx, page, StatusCode::BAD_REQUEST)
        }
        Err(CoreError::Refused(msg)) => {
            let user = auth::get_user(&ctx.state.db, id).await?;
            let page = FormPage {
                user: Some(&user),
                username: user.username.clone(),
                roles,
                is_superuser,
                is_active,
                errors: vec![FieldError::form(msg)],
            };
            render_form(&ctx, page, StatusCode::CONFLICT)
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST {prefix}/staff/{id}/password`: `password`. Ends all of the user's sessions.
pub async fn reset_password(ctx: Ctx, Path(id): Path<String>, Form(form): Form<Pairs>) -> Result<Response> {
    let form = FormData::from(form);
    ctx.check_csrf(csrf_of(&form))?;
    require_change(&ctx)?;
    let id = parse_id(&id)?;
    let user = auth::get_user(&ctx.state.db, id).await?;
    let audit = ctx.audit(None);
    match auth::admin_set_password(&ctx.state.db, &audit, id, form.get("password").unwrap_or("")).await {
        Ok(()) => {
            ctx.flash(&format!("New password set for {}; their sessions were ended.", user.username)).await;
            Ok(Redirect::to(&format!("{}/staff/{id}", ctx.state.prefix())).into_response())
        }
        Err(CoreError::Invalid(errors)) => {
            let page = FormPage {
                user: Some(&user),
                username: user.username.clone(),
                roles: role_names(&user.roles),
                is_superuser: user.is_superuser,
                is_active: user.is_active,
                errors,
            };
            render_form(&ctx, page, StatusCode::BAD_REQUEST)
        }
        Err(e) => Err(e.into()),
    }
}

fn render_own_password(ctx: &Ctx, errors: &[FieldError], status: StatusCode) -> Result<Response> {
    let err = |f: &str| errors.iter().find(|e| e.field.as_deref() == Some(f)).map(|e| e.message.clone());
    let html = ctx.state.templates.render(
        &["admin/password.html".to_owned()],
        context! {
            base => ctx.base("Change your password"),
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

/// `POST {prefix}/me/password`: `current_password`, `new_password`, `confirm`.
pub async fn own_password(ctx: Ctx, Form(form): Form<Pairs>) -> Result<Response> {
    let form = FormData::from(form);
    ctx.check_csrf(csrf_of(&form))?;
    let new = form.get("new_password").unwrap_or("");
    if form.get("confirm").unwrap_or("") != new {
        let errors = [FieldError::field("confirm", "The two new passwords are not the same.")];
        return render_own_password(&ctx, &errors, StatusCode::BAD_REQUEST);
    }
    let audit = ctx.audit(None);
    match auth::change_own_password(
        &ctx.state.db,
        &ctx.state.auth,
        &audit,
        &ctx.token,
        form.get("current_password").unwrap_or(""),
        new,
    )
    .await
    {
        Ok(()) => {
            ctx.flash("Your password was changed. Your other sessions were signed out.").await;
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
