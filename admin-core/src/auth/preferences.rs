//! A staff member's own preferences for the screens: the language they read and the
//! time zone they see times in. Times stay stored in UTC; the zone is for display.

use sea_orm::{ActiveModelTrait, ActiveValue::Set, DatabaseConnection, EntityTrait, QuerySelect};

use crate::audit::{self, Context, Event};
use crate::db::entities::staff_user;
use crate::db::txn::begin_write;
use crate::kernel::error::{Error, FieldError, Result};

/// What a staff member chose; `None` is "the default": the browser's language, UTC.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Preferences {
    /// A language tag among the admin's catalogs (`en`, `de`).
    pub language: Option<String>,
    /// An IANA time zone name (`Europe/Berlin`).
    pub time_zone: Option<String>,
}

/// Whether `zone` is an IANA time zone name the admin knows (`Europe/Berlin`, `UTC`).
#[must_use]
pub fn known_time_zone(zone: &str) -> bool {
    zone.parse::<chrono_tz::Tz>().is_ok()
}

/// Checks `prefs` (`languages`: those the admin has catalogs for), then stores them
/// on the staff user of `ctx` with an audit entry, in one transaction.
///
/// # Errors
/// `Invalid` for a language without a catalog or an unknown time zone; `Db`.
pub async fn set_preferences(
    db: &DatabaseConnection,
    ctx: &Context,
    prefs: &Preferences,
    languages: &[&str],
) -> Result<()> {
    let actor = ctx.actor.as_ref().ok_or(Error::Unauthenticated)?;
    let mut errors = Vec::new();
    let language = prefs.language.as_deref().map(str::trim).filter(|l| !l.is_empty());
    if let Some(l) = language
        && !languages.contains(&l)
    {
        errors.push(FieldError::field("language", format!("There is no language \u{201c}{l}\u{201d} here.")));
    }
    let zone = prefs.time_zone.as_deref().map(str::trim).filter(|z| !z.is_empty());
    if let Some(z) = zone
        && !known_time_zone(z)
    {
        errors.push(FieldError::field(
            "time_zone",
            format!("\u{201c}{z}\u{201d} is not a time zone; use a name such as Europe/Berlin."),
        ));
    }
    if !errors.is_empty() {
        return Err(Error::Invalid(errors));
    }
    let txn = begin_write(db).await?;
    let user = staff_user::Entity::find_by_id(actor.id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or_else(|| Error::NotFound(format!("There is no staff user with id {}.", actor.id)))?;
    let show = |v: &Option<String>| serde_json::Value::from(v.clone().unwrap_or_default());
    let (new_language, new_zone) = (language.map(str::to_owned), zone.map(str::to_owned));
    let mut changes = serde_json::Map::new();
    if user.language != new_language {
        changes.insert("language".into(), serde_json::json!([show(&user.language), show(&new_language)]));
    }
    if user.time_zone != new_zone {
        changes.insert("time_zone".into(), serde_json::json!([show(&user.time_zone), show(&new_zone)]));
    }
    if changes.is_empty() {
        return Ok(());
    }
    let key = user.id.to_string();
    let mut am: staff_user::ActiveModel = user.into();
    am.language = Set(new_language);
    am.time_zone = Set(new_zone);
    am.update(&txn).await?;
    let changes = serde_json::Value::Object(changes);
    audit::record(&txn, ctx, Event { kind: "update", model: Some("staff"), object_id: Some(&key), changes })
        .await?;
    txn.commit().await?;
    Ok(())
}

/// The stored preferences of staff user `id`.
///
/// # Errors
/// `NotFound` for no such user; `Db`.
pub async fn preferences(db: &DatabaseConnection, id: i64) -> Result<Preferences> {
    let user = staff_user::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| Error::NotFound(format!("There is no staff user with id {id}.")))?;
    Ok(Preferences { language: user.language, time_zone: user.time_zone })
}
