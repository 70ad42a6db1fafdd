//! Lists on big tables: counts exact or labelled estimates, `exact=1`, deep pages
//! that seek instead of skipping rows, the search index kept in sync, and a
//! bounded number of queries per list page. Correctness only: speed is measured by
//! `bench/run.sh`, never asserted here.
//!
//! The limits are lowered ([`ListTuning`]) so a few hundred rows reach every path.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use ops_console::models::{account, invoice};
use opsadmin::list::ListTuning;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use super::support::{ALICE, Client, TestApp, refs};

/// Limits that a list of 250 accounts exceeds: counted exactly up to 50 rows,
/// `OFFSET` for the first 20 rows, an anchor every 7 rows.
fn small_limits() -> ListTuning {
    ListTuning {
        exact_count_limit: 50,
        offset_limit: 20,
        anchor_stride: 7,
        estimate_ttl: Duration::from_secs(30),
        anchor_ttl: Duration::from_secs(60),
    }
}

/// The console's admin over `db`, with lowered list limits.
fn tuned_router(db: sea_orm::DatabaseConnection) -> Router {
    let registry = ops_console::registry().with_list_tuning(small_limits());
    let state = opsadmin::web::AdminState::new(db, registry).with_roles(ops_console::roles::roles());
    Router::new().merge(opsadmin::web::router()).with_state(state)
}

async fn tuned(extra: usize) -> (TestApp, Client) {
    let mut app = TestApp::new(extra).await;
    app.router = tuned_router(app.db.clone());
    let c = app.signed_in().await;
    (app, c)
}

fn ids_in(body: &str, slug: &str) -> Vec<i64> {
    let marker = format!("<th scope=\"row\"><a href=\"/admin/{slug}/");
    body.match_indices(&marker)
        .filter_map(|(i, _)| {
            let rest = &body[i + marker.len()..];
            rest[..rest.find(['?', '"']).unwrap()].parse().ok()
        })
        .collect()
}

/// The `href` of the link with `rel="{rel}"`, unescaped.
fn rel_link(body: &str, rel: &str) -> Option<String> {
    let end = body.find(&format!("\" rel=\"{rel}\""))?;
    let start = body[..end].rfind("href=\"")? + "href=\"".len();
    Some(super::support::html_unescape(&body[start..end]))
}

#[tokio::test]
async fn big_lists_show_a_labelled_estimate_and_count_exactly_on_request() {
    let (_app, mut c) = tuned(247).await; // 250 accounts
    let r = c.get("/admin/account/").await;
    assert_eq!(r.status, 200);
    r.assert_contains("<p class=\"count\">about ");
    r.assert_contains(
        "(an estimate: <a href=\"/admin/account/?exact=1\" rel=\"nofollow\">count exactly</a>)",
    );
    r.assert_lacks("<p class=\"count\">250 accounts");
    assert_eq!(r.row_count(), 100, "the page is whole, whatever the count");

    let r = c.get("/admin/account/?exact=1").await;
    r.assert_contains("<p class=\"count\">250 accounts, showing 1–100");
    r.assert_lacks("count exactly");

    // Past the limit with a search: still an estimate, never a wrong exact number.
    let r = c.get("/admin/account/?q=hooli").await;
    r.assert_contains("<p class=\"count\">about ");
    let r = c.get("/admin/account/?q=hooli&exact=1").await;
    r.assert_contains("<p class=\"count\">247 accounts");

    // Small filtered lists are exact, with no estimate label.
    let r = c.get("/admin/account/?plan=annual").await;
    r.assert_contains("<p class=\"count\">1 account</p>");
    let r = c.get("/admin/account/?q=acme-42").await;
    r.assert_contains("<p class=\"count\">2 accounts</p>");
}

#[tokio::test]
async fn small_lists_are_counted_exactly_with_default_limits() {
    let app = TestApp::new(47).await;
    let mut c = app.signed_in().await;
    let r = c.get("/admin/account/").await;
    r.assert_contains("<p class=\"count\">50 accounts</p>");
    r.assert_lacks("count exactly");
}

/// The ids of page `page` (1-based) of `select`, read with `OFFSET`.
async fn offset_page(
    db: &sea_orm::DatabaseConnection,
    select: sea_orm::Select<account::Entity>,
    page: u64,
) -> Vec<i64> {
    select.offset((page - 1) * 100).limit(100).all(db).await.unwrap().into_iter().map(|a| a.id).collect()
}

#[tokio::test]
async fn deep_pages_and_their_links_equal_offset_pages() {
    let (app, mut c) = tuned(247).await;
    use account::Column as C;
    let cases: Vec<(&str, sea_orm::Select<account::Entity>)> = vec![
        ("", account::Entity::find().order_by_desc(C::Id)),
        ("sort=email", account::Entity::find().order_by_asc(C::Email).order_by_desc(C::Id)),
        // Ties: the 247 extra accounts share one signup time, so the key decides.
        ("sort=-signup_at", account::Entity::find().order_by_desc(C::SignupAt).order_by_desc(C::Id)),
        ("sort=signup_at", account::Entity::find().order_by_asc(C::SignupAt).order_by_desc(C::Id)),
        (
            "plan=free&sort=company",
            account::Entity::find().filter(C::Plan.eq("free")).order_by_asc(C::Company).order_by_desc(C::Id),
        ),
        ("q=llc", account::Entity::find().filter(C::Company.contains("LLC")).order_by_desc(C::Id)),
    ];
    for (qs, select) in cases {
        let sep = if qs.is_empty() { "" } else { "&" };
        let mut pages = Vec::new();
        for page in 1..=3u64 {
            let r = c.get(&format!("/admin/account/?{qs}{sep}page={page}")).await;
            assert_eq!(r.status, 200, "{qs} page {page}");
            let expected = offset_page(&app.db, select.clone(), page).await;
            assert_eq!(ids_in(&r.body, "account"), expected, "{qs} page {page}");
            pages.push(r);
        }
        // Deep pages link to their neighbours by key; following the links gives the
        // same pages.
        let next = rel_link(&pages[1].body, "next").expect("page 2 has a next link");
        assert!(next.contains("after="), "{qs}: {next}");
        let r = c.get(&next).await;
        assert_eq!(ids_in(&r.body, "account"), ids_in(&pages[2].body, "account"), "{qs}: {next}");
        r.assert_contains("showing 201–");
        let prev = rel_link(&pages[2].body, "prev").expect("page 3 has a previous link");
        assert!(prev.contains("before="), "{qs}: {prev}");
        let r = c.get(&prev).await;
        assert_eq!(ids_in(&r.body, "account"), ids_in(&pages[1].body, "account"), "{qs}: {prev}");
        assert!(rel_link(&pages[2].body, "next").is_none(), "{qs}: the last page has no next link");
    }

    // Pages past the end show the last one.
    let r = c.get("/admin/account/?page=40").await;
    r.assert_contains("There is no page 40; showing the last page, 3.");
    assert_eq!(
        ids_in(&r.body, "account"),
        offset_page(&app.db, account::Entity::find().order_by_desc(C::Id), 3).await
    );

    // A write through the admin is seen by deep pages at once.
    let mut created = Vec::new();
    for i in 0..3 {
        let csrf = c.csrf().await;
        let email = format!("deep{i}@example.test");
        let r = c
            .post(
                "/admin/account/new",
                &[
                    ("csrf_token", &csrf),
                    ("email", &email),
                    ("company", "Deep Co"),
                    ("plan", "free"),
                    ("signup_at", "2026-01-01 00:00"),
                ],
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        created.push(email);
    }
    let r = c.get("/admin/account/?page=3").await;
    assert_eq!(
        ids_in(&r.body, "account"),
        offset_page(&app.db, account::Entity::find().order_by_desc(C::Id), 3).await
    );
}

/// The ids the list shows for a search.
async fn search(c: &mut Client, term: &str) -> Vec<i64> {
    let q: String = form_urlencoded::byte_serialize(term.as_bytes()).collect();
    ids_in(&c.get(&format!("/admin/account/?q={q}")).await.body, "account")
}

/// The ids a plain `LIKE` search finds, newest first: what the list must show.
async fn like_search(db: &sea_orm::DatabaseConnection, term: &str) -> Vec<i64> {
    let escaped = admin_core::db::sql::escape_like(&term.to_lowercase());
    let pattern = format!("%{escaped}%");
    let sql = "SELECT id FROM account WHERE lower(email) LIKE $1 ESCAPE '\\' OR lower(company) LIKE $1 ESCAPE '\\' ORDER BY id DESC";
    let stmt = match db.get_database_backend() {
        sea_orm::DbBackend::Postgres => {
            sea_orm::Statement::from_sql_and_values(db.get_database_backend(), sql, [pattern.into()])
        }
        b => sea_orm::Statement::from_sql_and_values(b, sql.replace("$1", "?1"), [pattern.into()]),
    };
    db.query_all_raw(stmt).await.unwrap().iter().map(|r| r.try_get_by_index::<i64>(0).unwrap()).collect()
}

#[tokio::test]
async fn the_search_index_follows_every_write_and_matches_like() {
    let app = TestApp::new(30).await;
    let mut c = app.signed_in().await;

    // Created through the admin: found.
    let csrf = c.csrf().await;
    let r = c
        .post(
            "/admin/account/new",
            &[
                ("csrf_token", &csrf),
                ("email", "zed@quux-77.example"),
                ("company", "Quux 77 GmbH"),
                ("plan", "free"),
                ("signup_at", "2026-01-01 00:00"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let id = account::Entity::find()
        .filter(account::Column::Email.eq("zed@quux-77.example"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .id;
    assert_eq!(search(&mut c, "QUUX-77").await, vec![id]);

    // Updated through the admin: the old text is gone from the index, the new found.
    let (_, mut form) = c.edit_form(&format!("/admin/account/{id}")).await;
    for (k, v) in [
        ("email", "zed@blorp-88.example"),
        ("company", "Blorp 88 GmbH"),
        ("plan", "free"),
        ("signup_at", "2026-01-01T00:00:00"),
        ("welcome_email_sent", "0"),
        ("manual_review", "0"),
        ("locked", "0"),
    ] {
        form.push((k.to_owned(), v.to_owned()));
    }
    let r = c.post(&format!("/admin/account/{id}"), &refs(&form)).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(search(&mut c, "quux-77").await, Vec::<i64>::new());
    assert_eq!(search(&mut c, "blorp-88").await, vec![id]);

    // Deleted through the admin: gone.
    let version = c.get(&format!("/admin/account/{id}/delete")).await.input_value("_version").unwrap();
    let csrf = c.csrf().await;
    let r = c
        .post(&format!("/admin/account/{id}/delete"), &[("csrf_token", &csrf), ("_version", &version)])
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(search(&mut c, "blorp-88").await, Vec::<i64>::new());

    // A write the admin does not make (another program on the same database).
    account::ActiveModel {
        email: Set("outside@zork-5.example".to_owned()),
        company: Set("Zork 5 Inc".to_owned()),
        plan: Set("free".to_owned()),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    let outside = account::Entity::find()
        .filter(account::Column::Company.eq("Zork 5 Inc"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(search(&mut c, "zork-5").await, vec![outside.id]);
    app.db
        .execute_unprepared(&format!("UPDATE account SET company = 'Renamed Ltd' WHERE id = {}", outside.id))
        .await
        .unwrap();
    assert_eq!(search(&mut c, "zork 5").await, Vec::<i64>::new());
    assert_eq!(search(&mut c, "renamed").await, vec![outside.id]);

    // Every term gives what a plain LIKE gives: long, short (no trigram), odd.
    for term in [
        "acme-42",
        "ACME-420",
        "hooli",
        "llc",
        "ltd",
        "ck",
        "e",
        "4",
        "-",
        "%",
        "_",
        "user1",
        "example",
        "o 1",
        "zz",
        "example acme",
    ] {
        assert_eq!(search(&mut c, term).await, like_search(&app.db, term).await, "q={term}");
    }
}

/// The invoice list's rows and the statements its page view ran.
async fn counted_list(c: &mut Client, counted: &AtomicUsize) -> (usize, usize) {
    c.get("/admin/invoice/").await; // settles the session's first-visit writes
    counted.store(0, Ordering::SeqCst);
    let r = c.get("/admin/invoice/").await;
    assert_eq!(r.status, 200);
    (r.row_count(), counted.load(Ordering::SeqCst))
}

#[tokio::test]
async fn a_list_with_foreign_keys_runs_the_same_few_queries_for_any_page_size() {
    let mut app = TestApp::new(0).await;
    // A second pool on the same database, counting every statement it runs.
    let counted = Arc::new(AtomicUsize::new(0));
    let mut db = ops_console::connect(&app.url).await.unwrap();
    let n = Arc::clone(&counted);
    db.set_metric_callback(move |_| {
        n.fetch_add(1, Ordering::SeqCst);
    });
    app.router = Router::new().merge(opsadmin::web::router()).with_state(
        opsadmin::web::AdminState::new(db, ops_console::registry()).with_roles(ops_console::roles::roles()),
    );
    let mut c = app.signed_in().await;
    let (rows_before, queries_before) = counted_list(&mut c, &counted).await;
    assert_eq!(rows_before, 2);

    // 150 more invoices: a full page of 100 rows, each with its account link.
    for i in 0..150 {
        invoice::ActiveModel {
            account_id: Set(ALICE),
            number: Set(format!("INV-9{i:07}")),
            amount_cents: Set(100 + i),
            currency: Set("EUR".to_owned()),
            status: Set("open".to_owned()),
            issued_at: Set(chrono::NaiveDate::from_ymd_opt(2026, 2, 1)
                .unwrap()
                .and_hms_opt(0, 0, 0)
                .unwrap()),
            ..Default::default()
        }
        .insert(&app.db)
        .await
        .unwrap();
    }
    let (rows_after, queries_after) = counted_list(&mut c, &counted).await;
    assert_eq!(rows_after, 100);
    assert_eq!(queries_after, queries_before, "the number of queries does not grow with the rows shown");
    assert!(queries_after <= 6, "a list page runs at most 6 queries, ran {queries_after}");
}

/// The rows of the results table, with the whitespace between tags removed.
fn table_body(body: &str) -> String {
    let start = body.find("<tbody>").expect("a results table");
    let end = body[start..].find("</tbody>").unwrap() + start;
    let mut out = String::new();
    let mut gap = String::new();
    for c in body[start..end].chars() {
        if c.is_whitespace() {
            gap.push(c);
            continue;
        }
        // Whitespace between two tags is layout; elsewhere it is content.
        if !(c == '<' && out.ends_with('>')) {
            out.push_str(&gap);
        }
        gap.clear();
        out.push(c);
    }
    out
}

#[tokio::test]
async fn list_rows_written_directly_equal_the_cell_template() {
    let mut app = TestApp::new(5).await;
    let direct = app.signed_in().await;
    // The same admin with the built-in cell template set as an override: every
    // cell then goes through the template.
    let state = opsadmin::web::AdminState::new(app.db.clone(), ops_console::registry())
        .with_roles(ops_console::roles::roles());
    let state = state
        .with_template(
            "admin/includes/cell.html",
            include_str!("../../admin-web/templates/admin/includes/cell.html"),
        )
        .expect("registered before the first page");
    let direct_router =
        std::mem::replace(&mut app.router, Router::new().merge(opsadmin::web::router()).with_state(state));
    let mut templated = app.signed_in().await;
    app.router = direct_router;
    let mut direct = direct;
    for path in ["/admin/account/", "/admin/invoice/", "/admin/email_job/", "/admin/account/?sort=-email"] {
        let a = direct.get(path).await;
        let b = templated.get(path).await;
        assert_eq!(a.status, 200);
        assert!(a.row_count() > 0, "{path}");
        assert_eq!(table_body(&a.body), table_body(&b.body), "{path}");
    }
}

#[tokio::test]
async fn index_advice_names_unindexed_filters_and_sorts_until_indexed() {
    let app = TestApp::new(0).await;
    let registry = ops_console::registry();
    let advice = opsadmin::list::advise(&app.db, &registry.metas()).await.unwrap();
    let named = |advice: &[opsadmin::list::Advice], model: &str, field: &str| {
        advice.iter().find(|a| a.model == model && a.field == field).cloned()
    };
    let locked = named(&advice, "account", "locked").expect("locked is filtered without an index");
    assert_eq!(locked.usage, "filter");
    assert_eq!(locked.create_index, "CREATE INDEX account_locked_idx ON account (locked);");
    assert_eq!(named(&advice, "account", "company").unwrap().usage, "sort");
    assert_eq!(named(&advice, "account", "manual_review").unwrap().usage, "filter and sort");
    assert!(locked.to_string().contains("account.locked"), "{locked}");
    // Indexed columns are not named: the key, `plan` (its own index), `email` (unique).
    for field in ["id", "plan", "billing_state", "signup_at", "email"] {
        assert!(named(&advice, "account", field).is_none(), "{field}");
    }
    // Running the advice's statement silences it.
    app.db.execute_unprepared(&locked.create_index).await.unwrap();
    let advice = opsadmin::list::advise(&app.db, &registry.metas()).await.unwrap();
    assert!(named(&advice, "account", "locked").is_none());
    assert!(named(&advice, "account", "company").is_some());
}

#[tokio::test]
async fn postgres_searches_are_written_so_the_trigram_index_serves_them() {
    use sea_orm::{DbBackend, QueryTrait, Statement, TransactionTrait};
    let app = TestApp::new(30).await;
    if app.db.get_database_backend() != DbBackend::Postgres {
        return; // SQLite's index is a table the query names: nothing for a planner to miss.
    }
    let meta = <account::Model as opsadmin::AdminModel>::meta();
    let search: Vec<usize> = meta.search.to_vec();
    let narrowing = admin_core::list::search_index::candidates(DbBackend::Postgres, meta, &search, "acme-42")
        .expect("a term with three letters or digits is narrowed by the index");
    let stmt = account::Entity::find().filter(narrowing).build(DbBackend::Postgres);
    let txn = app.db.begin().await.unwrap();
    // Thirty rows would be read whole; forbid that to see whether the index can serve.
    txn.execute_unprepared("SET LOCAL enable_seqscan = off").await.unwrap();
    let plan: Vec<String> = txn
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            format!("EXPLAIN {}", stmt.sql),
            stmt.values.map(|v| v.0).unwrap_or_default(),
        ))
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get_by_index::<String>(0).unwrap())
        .collect();
    let plan = plan.join("\n");
    assert!(plan.contains("admin_search_account_"), "{plan}");
    // Two letters or digits have no trigram: no narrowing, the LIKE alone.
    assert!(admin_core::list::search_index::candidates(DbBackend::Postgres, meta, &search, "a-4").is_none());
}
