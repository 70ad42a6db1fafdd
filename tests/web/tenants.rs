//! One process serving two admin instances over two databases with the same
//! tables (one process per tenant, or tests): what one instance remembers about
//! its lists, its search index and its turn to write never leaks into the other.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use sea_orm::{ConnectionTrait, DbBackend, Statement};

use super::columns::{ids_in, ledger_db, ledger_state};
use super::support::{Backend, Client, PASSWORD, TestApp, USER};

/// An instance of the ledger's admin over its own pool on `app`'s database,
/// counting the statements that take a list's page anchors.
async fn counted_instance(app: &mut TestApp) -> (opsadmin::web::AdminState, Client, Arc<AtomicUsize>) {
    let scans = Arc::new(AtomicUsize::new(0));
    let mut db = ops_console::connect(&app.url).await.unwrap();
    let n = Arc::clone(&scans);
    db.set_metric_callback(move |info| {
        if info.statement.sql.contains("(admin_rn - 1) %") {
            n.fetch_add(1, Ordering::SeqCst);
        }
    });
    let state = ledger_state(db);
    app.router = Router::new().merge(opsadmin::web::router()).with_state(state.clone());
    let mut client = app.client();
    client.sign_in(USER, PASSWORD).await;
    (state, client, scans)
}

/// Drops the ledger's search index, as a database made without it would be.
async fn drop_search_index(app: &TestApp) {
    match app.backend {
        Backend::Sqlite => {
            for trigger in ["ai", "ad", "au"] {
                app.db
                    .execute_unprepared(&format!("DROP TRIGGER admin_search_ledger_entry_{trigger}"))
                    .await
                    .unwrap();
            }
            app.db.execute_unprepared("DROP TABLE admin_search_ledger_entry").await.unwrap();
        }
        Backend::Postgres => {
            let rows = app
                .db
                .query_all_raw(Statement::from_string(
                    DbBackend::Postgres,
                    "SELECT indexname FROM pg_indexes WHERE indexname LIKE 'admin_search_ledger_entry_%'",
                ))
                .await
                .unwrap();
            assert!(!rows.is_empty(), "the index was made");
            for row in rows {
                let name: String = row.try_get_by_index(0).unwrap();
                app.db.execute_unprepared(&format!("DROP INDEX \"{name}\"")).await.unwrap();
            }
        }
    }
}

/// Runs "settle" on entry `id` through a signed-in client, and opens the result
/// page the run redirects to.
async fn settle(c: &mut Client, id: &str) -> super::support::Resp {
    let csrf = c.csrf().await;
    let r = c
        .post(
            "/admin/ledger_entry/actions/settle",
            &[
                ("csrf_token", &csrf),
                ("confirm", "1"),
                ("idempotency_key", &format!("settle-{id}")),
                ("ids", id),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    c.get(r.location()).await
}

#[tokio::test]
async fn two_instances_over_two_databases_keep_their_own_anchors_search_index_and_write_turn() {
    let (mut app_a, mut app_b) = (ledger_db(40).await, ledger_db(40).await);
    drop_search_index(&app_b).await;
    let (state_a, mut a, scans_a) = counted_instance(&mut app_a).await;
    let (_state_b, mut b, scans_b) = counted_instance(&mut app_b).await;

    // Page 7 is deep: each instance takes its list's anchors once, then reuses them.
    for (c, scans) in [(&mut a, &scans_a), (&mut b, &scans_b)] {
        for _ in 0..2 {
            let r = c.get("/admin/ledger_entry/?page=7").await;
            assert_eq!(r.status, 200, "{}", r.body);
            assert_eq!(ids_in(&r.body), [10, 9, 8, 7, 6]);
        }
        assert_eq!(scans.load(Ordering::SeqCst), 1);
    }

    // A write through A drops A's anchors, and only A's.
    let r = settle(&mut a, "1").await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.assert_contains("Settle: 1 done");
    for c in [&mut a, &mut b] {
        assert_eq!(ids_in(&c.get("/admin/ledger_entry/?page=7").await.body), [10, 9, 8, 7, 6]);
    }
    assert_eq!(scans_a.load(Ordering::SeqCst), 2, "A's write outdated A's anchors");
    assert_eq!(scans_b.load(Ordering::SeqCst), 1, "B's anchors are B's own");

    // A has its search index and B has none: both search correctly.
    for c in [&mut a, &mut b] {
        let r = c.get("/admin/ledger_entry/?q=chair").await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(ids_in(&r.body), [40, 38, 36, 34, 32]);
        r.assert_contains("20 ledger entries");
        let r = c.get("/admin/ledger_entry/export.csv?q=taxi+ride+number+3").await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body.lines().count(), 1 + 6, "entries 3 and 30-39 odd: {}", r.body);
    }

    // While A holds its turn to write, B writes to its own database.
    let turn = state_a.registry.write_turn(&state_a.db).await;
    let r = tokio::time::timeout(Duration::from_secs(60), settle(&mut b, "2"))
        .await
        .expect("B does not wait for A's turn to write");
    assert_eq!(r.status, 200, "{}", r.body);
    r.assert_contains("Settle: 1 done");
    drop(turn);
}
