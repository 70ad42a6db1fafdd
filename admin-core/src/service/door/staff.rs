//! The door's staff management and API tokens.

use super::prelude::*;

impl Service {
    // ---- staff and tokens --------------------------------------------------

    /// Every staff user (staff management).
    ///
    /// # Errors
    /// `Forbidden` without `staff.view` (or `staff.change`).
    pub async fn users(&self, caller: &Caller) -> Result<Vec<staff_user::Model>> {
        require_staff_view(caller)?;
        auth::list_users(&self.db).await
    }

    /// One staff user (staff management).
    ///
    /// # Errors
    /// `Forbidden` without `staff.view` (or `staff.change`); `NotFound`.
    pub async fn user(&self, caller: &Caller, id: i64) -> Result<staff_user::Model> {
        require_staff_view(caller)?;
        auth::get_user(&self.db, id).await
    }

    // ---- before a form that needs a recent sign-in (web: staff, tokens) ----

    /// Refuses, before the staff form is shown, a caller who could not submit it:
    /// without `staff.change`, or without a recent sign-in (so the person confirms
    /// their password before filling it in, not after).
    ///
    /// # Errors
    /// `Forbidden`; `ReauthRequired`.
    pub fn may_change_staff(&self, caller: &Caller) -> Result<()> {
        caller.require("staff.change", auth::STAFF_REFUSED)?;
        caller.require_recent()
    }

    /// Refuses, before the token page is shown, a caller whose sign-in is too old
    /// to make or revoke a token.
    ///
    /// # Errors
    /// `ReauthRequired`.
    pub fn may_change_tokens(&self, caller: &Caller) -> Result<()> {
        caller.require_recent()
    }

    /// Creates a staff user, audited. Needs a recent sign-in.
    ///
    /// # Errors
    /// `Forbidden`; `ReauthRequired`; `Invalid` for a bad name, password or role.
    pub async fn create_user(
        &self,
        caller: &Caller,
        username: &str,
        password: &str,
        roles: &[String],
        is_superuser: bool,
    ) -> Result<staff_user::Model> {
        caller.require("staff.change", auth::STAFF_REFUSED)?;
        caller.require_recent()?;
        auth::admin_create_user(
            &self.db,
            &self.auth,
            caller.context(),
            username,
            password,
            roles,
            is_superuser,
        )
        .await
    }

    /// Changes a staff user's roles and flags, audited. Needs a recent sign-in.
    ///
    /// # Errors
    /// `Forbidden`; `ReauthRequired`; `Invalid`.
    pub async fn update_user(
        &self,
        caller: &Caller,
        id: i64,
        roles: &[String],
        is_active: bool,
        is_superuser: bool,
    ) -> Result<staff_user::Model> {
        caller.require("staff.change", auth::STAFF_REFUSED)?;
        caller.require_recent()?;
        auth::admin_update_user(&self.db, &self.auth, caller.context(), id, roles, is_active, is_superuser)
            .await
    }

    /// Sets another staff user's password, audited. Needs a recent sign-in.
    ///
    /// # Errors
    /// `Forbidden`; `ReauthRequired`; `Invalid` for a weak password.
    pub async fn set_password(&self, caller: &Caller, id: i64, password: &str) -> Result<()> {
        caller.require("staff.change", auth::STAFF_REFUSED)?;
        caller.require_recent()?;
        auth::admin_set_password(&self.db, caller.context(), id, password).await
    }

    /// The caller's own language and time zone for the screens.
    ///
    /// # Errors
    /// `NotFound` for a system caller; `Db`.
    pub async fn preferences(&self, caller: &Caller) -> Result<auth::Preferences> {
        auth::preferences(&self.db, caller.staff().id).await
    }

    /// Stores the caller's own language (one of `languages`, those with a catalog)
    /// and time zone, with its audit entry. Anyone signed in may set their own.
    ///
    /// # Errors
    /// `Invalid` for a language without a catalog or an unknown time zone; `Db`.
    pub async fn set_preferences(
        &self,
        caller: &Caller,
        prefs: &auth::Preferences,
        languages: &[&str],
    ) -> Result<()> {
        auth::set_preferences(&self.db, caller.context(), prefs, languages).await
    }

    /// The caller's own API tokens (or, with `staff.change`, everyone's when
    /// `all` is set).
    ///
    /// # Errors
    /// `Forbidden` for `all` without `staff.change`.
    pub async fn tokens(&self, caller: &Caller, all: bool) -> Result<Vec<ApiTokenInfo>> {
        if all {
            caller.require("staff.change", auth::STAFF_REFUSED)?;
        }
        auth::api_tokens(&self.db, (!all).then_some(caller.staff().id)).await
    }

    /// Makes an API token for the caller (or, with `staff.change`, for `user_id`);
    /// the secret is shown once. Needs a recent sign-in.
    ///
    /// # Errors
    /// `Forbidden`; `ReauthRequired`; `Invalid` for an empty, too long or unreadable name.
    pub async fn create_token(&self, caller: &Caller, user_id: Option<i64>, name: &str) -> Result<String> {
        let user_id = match user_id {
            Some(id) if id != caller.staff().id => {
                caller.require("staff.change", auth::STAFF_REFUSED)?;
                id
            }
            _ => caller.staff().id,
        };
        caller.require_recent()?;
        if name.trim().is_empty() {
            let max = crate::kernel::text::TOKEN_NAME;
            return Err(Error::Invalid(vec![crate::kernel::error::FieldError::field(
                "name",
                format!(
                    "Say what the token is for, in at most {max} characters (\u{201c}nightly billing sync\u{201d}): it is how you will tell tokens apart."
                ),
            )]));
        }
        auth::create_api_token(&self.db, caller.context(), user_id, name).await
    }

    /// Revokes an API token: the caller's own, or anyone's with `staff.change`.
    /// Needs a recent sign-in.
    ///
    /// # Errors
    /// `NotFound` for a token that is not the caller's (without `staff.change`);
    /// `ReauthRequired`.
    pub async fn revoke_token(&self, caller: &Caller, id: i64) -> Result<()> {
        caller.require_recent()?;
        if !caller.may("staff.change") {
            let mine = auth::api_tokens(&self.db, Some(caller.staff().id)).await?;
            if !mine.iter().any(|t| t.id == id) {
                return Err(Error::NotFound(format!("You have no API token {id}.")));
            }
        }
        auth::revoke_api_token(&self.db, caller.context(), id).await
    }
}
