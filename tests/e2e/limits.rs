//! A support person near their daily limit of welcome-email retries: the
//! confirmation page says what is left, and a run past the limit is refused with the
//! limit and who can go past it, changing nothing.

use admin_core::audit::entry;
use admin_core::db::entities::limit_usage;
use ops_console::models::email_job;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use super::browser::tools;
use super::fixture::{PASSWORD, Served};
use crate::web::support::ALICE;

/// Sets what `staff_id` retried today.
async fn retried_today(db: &sea_orm::DatabaseConnection, staff_id: i64, n: i64) {
    limit_usage::Entity::delete_many()
        .filter(limit_usage::Column::StaffId.eq(staff_id))
        .exec(db)
        .await
        .unwrap();
    limit_usage::ActiveModel {
        staff_id: Set(staff_id),
        limit_key: Set("account.retry_welcome_email:records".to_owned()),
        day: Set(chrono::Utc::now().date_naive().format("%Y-%m-%d").to_string()),
        currency: Set(String::new()),
        used: Set(n),
    }
    .insert(db)
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn support_sees_what_is_left_today_and_a_retry_past_the_limit_is_refused() {
    let Some(tools) = tools() else { return };
    let served = Served::fixture(0).await;
    served.user("sue", "support").await;
    let db = &served.app.db;
    let sue = admin_core::auth::staff_by_name(db, &ops_console::roles::roles(), "sue").await.unwrap();
    retried_today(db, sue.id, 188).await;
    let b = served.browser(&tools).await;
    b.sign_in("sue", PASSWORD).await;
    b.goto("/admin/account/").await;
    b.click(&format!("input[name='ids'][value='{ALICE}']")).await;
    b.click_button("Retry welcome email…").await;
    b.find("section.limits").await;
    assert_eq!(
        b.text_of("section.limits li").await,
        "You can retry 12 more welcome emails today (at most 200 a day)."
    );
    b.accessible("confirmation with a limit").await;

    // Meanwhile the rest of today's allowance was used (in another tab).
    retried_today(db, sue.id, 200).await;
    b.click("form.action-form .submit-row button[type='submit']").await;
    b.wait_text("you have none left today").await;
    let alert = b.text_of("div.errors[role='alert']").await;
    assert!(
        alert.contains(
            "You can retry at most 200 welcome emails a day; you have none left today, and this would be 1. \
             Someone with the admin role can retry more."
        ) && alert.contains("Nothing was changed."),
        "{alert}"
    );
    b.sees("You cannot retry any more welcome emails today (at most 200 a day).").await;
    b.does_not_see("account.action").await;
    b.screen("limit-hit").await;
    b.accessible("limit hit").await;
    let job = email_job::Entity::find_by_id(1).one(db).await.unwrap().unwrap();
    assert_eq!(job.status, "failed", "the refused retry changed nothing");
    let hits = entry::Entity::find().filter(entry::Column::Kind.eq("limit:hit")).count(db).await.unwrap();
    assert_eq!(hits, 1, "the hit is in the audit log");
    b.close().await;
}
