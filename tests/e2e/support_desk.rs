//! A support person's morning on the demo data: find an account, filter the trial
//! accounts whose first charge failed, open one, and mark a selection for manual
//! review; and "Retry welcome email" on a mix of accounts.

use chrono::NaiveDate;
use ops_console::models::{account, email_job};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use super::browser::tools;
use super::fixture::{PASSWORD, Served};
use crate::web::support::{ALICE, BOB, CAROL};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn support_finds_failed_trials_opens_one_and_marks_a_selection_for_review() {
    let Some(tools) = tools() else { return };
    let served = Served::demo().await;
    served.user("sue", "support").await;
    let db = &served.app.db;
    // In the demo data a first charge fails only after an upgrade to a paid plan;
    // put four of those accounts back on the trial plan, as when the charge at the
    // end of the trial fails.
    let ids: Vec<i64> = account::Entity::find()
        .filter(account::Column::BillingState.eq("failed_first_charge"))
        .order_by_desc(account::Column::Id)
        .all(db)
        .await
        .unwrap()
        .iter()
        .take(4)
        .map(|a| a.id)
        .collect();
    account::Entity::update_many()
        .col_expr(account::Column::Plan, Expr::value("trial"))
        .col_expr(account::Column::ManualReview, Expr::value(false))
        .filter(account::Column::Id.is_in(ids))
        .exec(db)
        .await
        .unwrap();
    let b = served.browser(&tools).await;

    b.sign_in("sue", PASSWORD).await;
    assert_eq!(b.text_of("h1").await, "Dashboard");
    b.sees("Signed in as sue").await;
    b.screen("dashboard").await;

    // Search by part of an email address.
    let wanted = account::Entity::find_by_id(42).one(db).await.unwrap().expect("demo account 42");
    b.click_link_in("nav.models", "Accounts").await;
    b.wait_path_contains("/admin/account/").await;
    assert_eq!(b.text_of("h1").await, "Accounts");
    b.fill("#id_q", "user42@").await;
    b.click_button("Search").await;
    b.wait_path_contains("q=user42%40").await;
    assert_eq!(b.all("table.results tbody tr").await.len(), 1);
    b.sees(&wanted.email).await;
    b.sees("1 account").await;

    // Clear the search, then filter: trial accounts whose first charge failed.
    b.fill("#id_q", "").await;
    b.click_button("Search").await;
    b.wait_path("the search cleared", |p| !p.contains("user42")).await;
    b.click_link_in("aside.filters", "Trial").await;
    b.wait_path_contains("plan=trial").await;
    b.click_link_in("aside.filters", "Failed first charge").await;
    b.wait_path_contains("billing_state=failed_first_charge").await;
    let failed = account::Entity::find()
        .filter(account::Column::Plan.eq("trial"))
        .filter(account::Column::BillingState.eq("failed_first_charge"))
        .order_by_desc(account::Column::Id)
        .all(db)
        .await
        .unwrap();
    assert!(failed.len() >= 4, "failed trials: {}", failed.len());
    let chips = b.text_of("ul.active-filters").await;
    assert!(chips.contains("Plan: Trial") && chips.contains("Billing state: Failed first charge"), "{chips}");
    let rows = b.all("table.results tbody tr").await;
    assert_eq!(rows.len(), failed.len());
    for row in &rows {
        let text = row.text().await.unwrap();
        assert!(text.contains("Trial") && text.contains("Failed first charge"), "{text}");
    }
    b.sees(&format!("{} accounts", failed.len())).await;
    b.screen("list").await;

    // Open the first one: billing fields are shown, not editable.
    let first = &failed[0];
    assert_eq!(b.text_of("table.results tbody tr:first-child th a").await, first.id.to_string());
    b.click("table.results tbody tr:first-child th a").await;
    b.wait_path_contains(&format!("/admin/account/{}?", first.id)).await;
    assert_eq!(b.value("#id_email").await, first.email);
    assert_eq!(b.text_of("#id_billing_state").await, "Failed first charge");
    assert_eq!(b.find("#id_billing_state").await.tag_name().await.unwrap(), "div", "shown as text");
    for field in ["billing_state", "last_payment_result", "plan", "manual_review"] {
        assert!(
            !b.has(&format!("form.record [name='{field}']")).await,
            "{field} must be read-only for support"
        );
    }
    assert!(b.has("form.record input[name='email']").await, "support may correct the email");
    b.screen("detail").await;

    // Back to the filtered list; select the two newest and mark them for review.
    b.click_link_in("form.record .submit-row", "Back to the list").await;
    b.wait_path(" the filtered list", |p| p.starts_with("/admin/account/?")).await;
    assert!(b.path().await.contains("billing_state=failed_first_charge"), "{}", b.path().await);
    let picked: Vec<i64> = failed.iter().filter(|a| !a.manual_review).take(2).map(|a| a.id).collect();
    assert_eq!(picked.len(), 2);
    for id in &picked {
        b.click(&format!("input[name='ids'][value='{id}']")).await;
    }
    b.click_button("Mark for manual review…").await;
    b.find("form.action-form").await;
    b.sees("2 accounts will be changed").await;
    for id in &picked {
        assert!(b.has(&format!("form.action-form input[name='ids'][value='{id}']")).await);
    }
    b.screen("confirmation").await;
    b.fill("#id_reason", "Failed first charge, checking the card before the next invoice").await;
    b.click("form.action-form .submit-row button[type='submit']").await;
    b.find("p.flash").await;
    b.sees("2 done").await;
    b.sees(": marked for manual review").await;
    for id in &picked {
        // Each account by its display name ("Company <user286@…>").
        b.sees(&format!("user{id}@")).await;
    }
    b.accessible("action result").await;

    for id in &picked {
        let a = account::Entity::find_by_id(*id).one(db).await.unwrap().unwrap();
        assert!(a.manual_review, "account {id} is marked");
    }
    // And the account page says so.
    b.goto(&format!("/admin/account/{}", picked[0])).await;
    let shown = b.text_of("#id_manual_review").await;
    assert!(shown.contains('✔') && shown.contains("yes"), "{shown}");
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_welcome_email_on_a_mix_shows_the_blocked_ones_with_their_reasons() {
    let Some(tools) = tools() else { return };
    // Alice's welcome email failed; Bob and Carol have none; account 4's went out
    // (the row's `updated_at` becomes "now" when saved).
    let served = Served::fixture(1).await;
    email_job::ActiveModel {
        id: Set(2),
        account_id: Set(4),
        kind: Set("welcome".to_owned()),
        status: Set("sent".to_owned()),
        attempts: Set(1),
        last_error: Set(None),
        updated_at: Set(NaiveDate::from_ymd_opt(2025, 6, 1).unwrap().and_hms_opt(10, 0, 0).unwrap()),
    }
    .insert(&served.app.db)
    .await
    .unwrap();
    served.user("sue", "support").await;
    let b = served.browser(&tools).await;
    b.sign_in("sue", PASSWORD).await;
    b.goto("/admin/account/").await;
    for id in [ALICE, BOB, CAROL, 4] {
        b.click(&format!("input[name='ids'][value='{id}']")).await;
    }
    b.click_button("Retry welcome email…").await;
    b.find("section.blocked-list").await;
    b.sees("1 account will be changed").await;
    b.sees("3 accounts will be skipped").await;
    let blocked = b.text_of("section.blocked-list").await;
    for reason in [
        "Globex 7 Inc <user2@globex-7-inc.example>: Cannot retry: account 2 has no welcome email job to requeue.",
        "Acme 420 GmbH <user3@acme-420-gmbh.example>: Cannot retry: account 3 has no welcome email job to requeue.",
        ": Cannot retry: the welcome email was already sent on ",
    ] {
        assert!(blocked.contains(reason), "{reason:?} in:\n{blocked}");
    }
    b.accessible("confirmation with blocked records").await;
    b.click("form.action-form .submit-row button[type='submit']").await;
    b.find("p.flash").await;
    b.sees("1 done").await;
    b.sees("Acme 42 Ltd <user1@acme-42-ltd.example>: ").await;
    let job = email_job::Entity::find_by_id(1).one(&served.app.db).await.unwrap().unwrap();
    assert_eq!(job.status, "queued", "Alice's welcome email is queued again");
    let sent = email_job::Entity::find_by_id(2).one(&served.app.db).await.unwrap().unwrap();
    assert_eq!(sent.status, "sent", "the blocked ones are untouched");
    b.close().await;
}
