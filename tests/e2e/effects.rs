//! Effects in the browser (issue 15, point 3): support retries two welcome emails;
//! the worker sends one and the other bounces; the dashboard's "Failed effects"
//! tile leads to the bounce, which support retries, then gives up with a reason.

use ops_console::mail::{MailHandler, Transport, simulated_bounce};
use ops_console::models::{account, email_job};
use opsadmin::Service;
use opsadmin::effect::Work;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait, IntoActiveModel};

use super::browser::tools;
use super::fixture::{PASSWORD, Served};
use crate::web::support::ALICE;

/// The worker's turns until nothing is due, with mail written to `dir`.
async fn work(served: &Served, dir: &std::path::Path) -> Vec<Work> {
    let registry =
        ops_console::registry().effect_handler(MailHandler::new(Transport::Folder(dir.to_owned())));
    let service = Service::new(served.app.db.clone(), registry);
    service.worker_seen("e2e-worker", "effects and approvals").await.unwrap();
    let mut done = Vec::new();
    loop {
        match service.work_effects_once("e2e-worker").await.unwrap() {
            Work::Idle => return done,
            w => done.push(w),
        }
    }
}

async fn job_status(served: &Served, id: i64) -> String {
    email_job::Entity::find_by_id(id).one(&served.app.db).await.unwrap().unwrap().status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_welcome_email_is_sent_another_bounces_and_support_retries_then_gives_it_up() {
    let Some(tools) = tools() else { return };
    let served = Served::fixture(1).await;
    let db = &served.app.db;
    // Alice's address is delivered; account 4's bounces; both welcome emails failed.
    let mut alice = account::Entity::find_by_id(ALICE).one(db).await.unwrap().unwrap().into_active_model();
    alice.email = Set("ada@acme.example".to_owned());
    alice.update(db).await.unwrap();
    assert!(!simulated_bounce("ada@acme.example"));
    let mut four = account::Entity::find_by_id(4).one(db).await.unwrap().unwrap().into_active_model();
    four.email = Set("bounce@hooli.example".to_owned());
    four.update(db).await.unwrap();
    email_job::ActiveModel {
        id: Set(2),
        account_id: Set(4),
        kind: Set("welcome".to_owned()),
        status: Set("failed".to_owned()),
        attempts: Set(1),
        last_error: Set(Some("timeout".to_owned())),
        updated_at: Set(chrono::Utc::now().naive_utc()),
    }
    .insert(db)
    .await
    .unwrap();
    let dir = std::env::temp_dir().join(format!("opsadmin-e2e-mail-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    served.user("sue", "support").await;
    let b = served.browser(&tools).await;
    b.sign_in("sue", PASSWORD).await;
    b.sees("No worker has been seen yet: effects and approvals are not being carried out").await;

    // Retry both welcome emails from the account list.
    b.goto("/admin/account/").await;
    for id in [ALICE, 4] {
        b.click(&format!("input[name='ids'][value='{id}']")).await;
    }
    b.click_button("Retry welcome email…").await;
    b.fill("#id_reason", "Customers asked again").await;
    b.click("form.action-form .submit-row button[type='submit']").await;
    b.find("p.flash").await;
    b.sees("2 done").await;
    assert_eq!(job_status(&served, 1).await, "queued");

    // The worker: Alice's is sent (a message in the folder), account 4's bounces.
    let work_done = work(&served, &dir).await;
    let sent = work_done.iter().filter(|w| matches!(w, Work::Done(_))).count();
    let bounced = work_done
        .iter()
        .filter(|w| matches!(w, Work::Failed(_, m) if m.contains("mailbox unavailable")))
        .count();
    assert_eq!((sent, bounced, work_done.len()), (1, 1, 2), "{work_done:?}");
    assert_eq!(job_status(&served, 1).await, "sent");
    assert_eq!(job_status(&served, 2).await, "bounced");
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
    b.goto("/admin/email_job/1").await;
    let effects = b.text_of("section.effects-of-record").await;
    assert!(
        effects.contains("Done") && effects.contains("Send the welcome email to ada@acme.example"),
        "{effects}"
    );

    // The dashboard's tile leads to the bounce; the worker warning is gone.
    b.goto("/admin/").await;
    b.does_not_see("No worker has been seen").await;
    b.click("ul.queues a[href$='/effects/?state=failed']").await;
    b.wait_path_contains("/admin/effects/?state=failed").await;
    assert_eq!(b.all("table.results tbody tr").await.len(), 1);
    b.sees("mailbox unavailable").await;
    b.accessible("effects list").await;
    b.click_link_in("table.results", "Send the welcome email to bounce@hooli.example").await;
    b.wait_path("the effect's page", |p| p.starts_with("/admin/effects/") && !p.contains('?')).await;
    b.sees("Failed").await;
    b.accessible("effect page").await;

    // Retried: waiting again, the job queued; the worker bounces it again.
    b.click_button("Retry").await;
    b.find("p.flash").await;
    b.sees("will be tried again in a moment.").await;
    b.sees("Waiting").await;
    assert_eq!(job_status(&served, 2).await, "queued");
    let again = work(&served, &dir).await;
    assert!(matches!(again.as_slice(), [Work::Failed(_, _)]), "{again:?}");
    b.goto(&b.path().await).await;
    b.sees("Failed").await;

    // Given up, with a reason: over for good, and the job says so.
    b.fill("#id_give_up_reason", "The address no longer exists; asked the customer by phone").await;
    b.click_button("Give up").await;
    b.find("p.flash").await;
    b.sees("Given up").await;
    b.sees("sue: The address no longer exists; asked the customer by phone").await;
    assert!(!b.has("form[action$='/retry']").await);
    assert_eq!(job_status(&served, 2).await, "failed");
    b.goto("/admin/").await;
    let tile = b.text_of("ul.queues").await;
    let words: Vec<&str> = tile.split_whitespace().collect();
    assert!(
        words
            .windows(4)
            .any(|w| w == ["Failed", "effects", ":", "0"] || w[..3] == ["Failed", "effects:", "0"]),
        "{tile}"
    );
    b.close().await;
    let _ = std::fs::remove_dir_all(&dir);
}
