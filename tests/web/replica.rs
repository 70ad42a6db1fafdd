//! A read replica (issue 17, point 5): lists, counts and search come from it, the
//! records a write checks and takes from the primary, and a staff member who has
//! just saved sees their change at once while others see the replica until it
//! catches up. The "replica" is a second database of the backend under test,
//! which the test keeps in sync by copying the accounts, so its lag is whatever
//! the test leaves it.

use ops_console::models::account;
use opsadmin::Service;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, DatabaseConnection, EntityTrait, IntoActiveModel};

use super::support::{ALICE, BOB, TestApp, client_for, drop_database, empty_database, refs};

/// Makes the replica's accounts the primary's.
async fn sync(primary: &DatabaseConnection, replica: &DatabaseConnection) {
    account::Entity::delete_many().exec(replica).await.unwrap();
    for a in account::Entity::find().all(primary).await.unwrap() {
        a.into_active_model().reset_all().insert(replica).await.unwrap();
    }
}

async fn rename(db: &DatabaseConnection, id: i64, company: &str) {
    let mut a = account::Entity::find_by_id(id).one(db).await.unwrap().unwrap().into_active_model();
    a.company = Set(company.to_owned());
    a.update(db).await.unwrap();
}

#[tokio::test]
async fn lists_read_the_replica_writes_check_the_primary_and_a_writer_sees_their_own_change() {
    let mut app = TestApp::new(0).await;
    let url = empty_database().await;
    let replica = ops_console::connect(&url).await.unwrap();
    ops_console::prepare(&replica).await.unwrap();
    sync(&app.db, &replica).await;
    let state = opsadmin::web::AdminState::new(app.db.clone(), ops_console::registry())
        .with_roles(ops_console::roles::roles())
        .with_read_replica(replica.clone());
    app.router = axum::Router::new().merge(opsadmin::web::router()).with_state(state);
    let mut sue = app.signed_in().await;
    let mut sam = client_for(&app, "sam", "support").await;
    sue.get("/admin/account/").await.assert_contains("Acme 42 Ltd");

    // The primary moves on; the replica has not caught up yet.
    rename(&app.db, ALICE, "Acme 42 Renamed").await;
    let list = sue.get("/admin/account/").await;
    list.assert_contains("Acme 42 Ltd");
    list.assert_lacks("Acme 42 Renamed");
    // A record's page (its form and version) is the primary's.
    sue.get(&format!("/admin/account/{ALICE}")).await.assert_contains("Acme 42 Renamed");

    // The admin saves Bob: from then on her lists are the primary's, with her change.
    let (page, mut fields) = sue.edit_form(&format!("/admin/account/{BOB}")).await;
    assert_eq!(page.status, 200);
    for (k, v) in [
        ("email", "user2@globex-7-inc.example"),
        ("company", "Globex Saved"),
        ("plan", "annual"),
        ("signup_at", "2026-02-20T09:30:00"),
        ("welcome_email_sent", "0"),
        ("manual_review", "1"),
        ("locked", "0"),
    ] {
        fields.push((k.to_owned(), v.to_owned()));
    }
    let saved = sue.post(&format!("/admin/account/{BOB}"), &refs(&fields)).await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    assert!(
        saved
            .headers
            .get_all("set-cookie")
            .iter()
            .any(|c| c.to_str().unwrap().starts_with("opsadmin_wrote=")),
        "the save marks the browser as having written"
    );
    let list = sue.get("/admin/account/").await;
    list.assert_contains("Globex Saved");
    list.assert_contains("Acme 42 Renamed");
    // Sam has not written: the replica, still behind.
    let list = sam.get("/admin/account/").await;
    list.assert_lacks("Globex Saved");
    list.assert_contains("Acme 42 Ltd");

    // What a write takes comes from the primary: "all matching" finds a record the
    // replica does not have yet, while the list and its count do not show it.
    let service = Service::new(app.db.clone(), ops_console::registry())
        .with_roles(ops_console::roles::roles())
        .with_read_replica(replica.clone());
    let caller = service.local("sam").await.unwrap();
    rename(&app.db, super::support::CAROL, "Acme 420 Moved").await;
    let query = service.query(&caller, "account", &[("q".to_owned(), "moved".to_owned())]).unwrap();
    assert_eq!(service.keys(&caller, "account", &query, 10).await.unwrap(), vec!["3".to_owned()]);
    assert_eq!(service.count(&caller, "account", &query, 10).await.unwrap(), 0);
    let own = caller.clone().with_own_writes(true);
    assert_eq!(service.count(&own, "account", &query, 10).await.unwrap(), 1);

    // The replica catches up: everyone sees it.
    sync(&app.db, &replica).await;
    sam.get("/admin/account/").await.assert_contains("Globex Saved");
    replica.close().await.ok();
    drop_database(&url).await;
}
