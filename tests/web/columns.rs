//! A model whose columns are named differently from its fields
//! (`#[sea_orm(column_name = "...")]`) and which keeps money in a decimal column
//! (`Decimal(Some((12, 2)))`): every screen that reads or writes it works, and
//! amounts are shown and kept exactly, with their two decimal places, on both
//! backends.

use std::time::Duration;

use admin_core::action::{Action, Blocked, NoInput, Outcome, RunContext};
use axum::Router;
use opsadmin::list::ListTuning;
use sea_orm::ActiveValue::Set;
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, IntoActiveModel, Schema};

use super::support::{Client, PASSWORD, TestApp, USER, refs};

/// A bookkeeping entry: no field is stored under its own name.
pub mod ledger {
    use opsadmin::{AdminChoices, AdminModel};
    use sea_orm::entity::prelude::*;

    /// What the money was spent on.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, AdminChoices)]
    pub enum Category {
        /// Trains and taxis.
        Travel,
        /// Chairs and paper.
        Office,
    }

    /// One entry.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, AdminModel)]
    #[sea_orm(table_name = "ledger_entry")]
    #[admin(
        label = "Ledger entry",
        label_plural = "Ledger entries",
        list_display(id, memo, category, amount, booked_on, settled),
        search(memo),
        filters(category, settled, booked_on),
        ordering = "-id",
        per_page = 5
    )]
    pub struct Model {
        /// Primary key.
        #[sea_orm(primary_key, column_name = "entry_no")]
        pub id: i64,
        /// What it was for.
        #[sea_orm(column_name = "memo_text")]
        pub memo: String,
        /// The kind of spending.
        #[sea_orm(column_name = "cat")]
        #[admin(choices = Category)]
        pub category: String,
        /// How much.
        #[sea_orm(column_name = "amt", column_type = "Decimal(Some((12, 2)))")]
        pub amount: Decimal,
        /// When it was booked.
        #[sea_orm(column_name = "booked")]
        pub booked_on: Date,
        /// Whether it has been paid out.
        #[sea_orm(column_name = "is_settled")]
        pub settled: bool,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// "Settle": marks entries paid out.
#[derive(Clone, Copy, Debug, Default)]
struct Settle;

impl Action for Settle {
    type Model = ledger::Model;
    type Input = NoInput;
    const NAME: &'static str = "settle";
    const LABEL: &'static str = "Settle";

    fn check(&self, entry: &ledger::Model) -> Result<(), Blocked> {
        if entry.settled { Err(Blocked(format!("Entry {} is already settled.", entry.id))) } else { Ok(()) }
    }

    async fn run(
        &self,
        ctx: &RunContext<'_>,
        entry: ledger::Model,
        _: &NoInput,
    ) -> opsadmin::Result<Outcome> {
        let mut am = entry.into_active_model();
        am.settled = Set(true);
        am.update(ctx.txn).await?;
        Ok(Outcome::Done("settled".to_owned()))
    }
}

/// Limits 40 entries exceed: counted exactly up to 20, `OFFSET` for the first
/// 10 rows, an anchor every 3 rows deeper down.
fn small_limits() -> ListTuning {
    ListTuning {
        exact_count_limit: 20,
        offset_limit: 10,
        anchor_stride: 3,
        estimate_ttl: Duration::from_secs(30),
        anchor_ttl: Duration::from_secs(60),
    }
}

pub(super) fn registry() -> opsadmin::Registry {
    opsadmin::Registry::new()
        .register::<ledger::Model>()
        .with_list_tuning(small_limits())
        .action(Settle)
        .expect("the action's model is registered")
}

/// Entry `n`'s amount: distinct, in an order unlike the ids' (`7n mod 40` runs
/// through 0..40), with cents `n`.
fn amount_of(n: i64) -> String {
    format!("{}.{n:02}", (n * 7) % 40)
}

/// A fresh test app whose database also holds the ledger table (made by sea-orm
/// from the entity, with its search index) and `n` entries; its router is the
/// reference console's.
pub(super) async fn ledger_db(n: i64) -> TestApp {
    let app = TestApp::new(0).await;
    let schema = Schema::new(app.db.get_database_backend());
    app.db.execute(&schema.create_table_from_entity(ledger::Entity)).await.unwrap();
    let made = registry().ensure_search_index(&app.db).await.expect("the search index is made");
    assert!(made.iter().any(|e| e.model == "ledger_entry"), "{made:?}");
    for i in 1..=n {
        ledger::ActiveModel {
            id: Set(i),
            memo: Set(format!("{} number {i}", if i % 2 == 0 { "Office chair" } else { "Taxi ride" })),
            category: Set(if i % 2 == 0 { "office" } else { "travel" }.to_owned()),
            amount: Set(amount_of(i).parse().unwrap()),
            booked_on: Set(
                chrono::NaiveDate::from_ymd_opt(2026, 1, u32::try_from(i % 28 + 1).unwrap()).unwrap()
            ),
            settled: Set(i % 5 == 0),
        }
        .insert(&app.db)
        .await
        .unwrap();
    }
    app
}

/// The ledger's admin over `db`: an instance of its own.
pub(super) fn ledger_state(db: sea_orm::DatabaseConnection) -> opsadmin::web::AdminState {
    opsadmin::web::AdminState::new(db, registry())
}

/// [`ledger_db`] served by the ledger's admin, and a signed-in superuser.
async fn ledger_app(n: i64) -> (TestApp, Client) {
    let mut app = ledger_db(n).await;
    app.router = Router::new().merge(opsadmin::web::router()).with_state(ledger_state(app.db.clone()));
    let mut c = app.client();
    c.sign_in(USER, PASSWORD).await;
    (app, c)
}

/// The entry ids of a list page, in order.
pub(super) fn ids_in(body: &str) -> Vec<i64> {
    let marker = "<th scope=\"row\"><a href=\"/admin/ledger_entry/";
    body.match_indices(marker)
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
async fn the_metadata_carries_column_names_and_decimal_digits() {
    use opsadmin::AdminModel;
    let meta = <ledger::Model as AdminModel>::meta();
    let columns: Vec<(&str, &str)> = meta.fields.iter().map(|f| (f.name, f.column)).collect();
    assert_eq!(
        columns,
        [
            ("id", "entry_no"),
            ("memo", "memo_text"),
            ("category", "cat"),
            ("amount", "amt"),
            ("booked_on", "booked"),
            ("settled", "is_settled")
        ]
    );
    assert_eq!(meta.field("amount").unwrap().1.decimal_digits, Some((12, 2)));
    assert_eq!(meta.field("memo").unwrap().1.decimal_digits, None);
}

#[tokio::test]
async fn renamed_columns_work_in_lists_deep_pages_search_filters_sort_export_and_actions() {
    let (app, mut c) = ledger_app(40).await;

    let r = c.get("/admin/ledger_entry/").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(ids_in(&r.body), [40, 39, 38, 37, 36]);

    // Page 7 starts 30 rows in, past the `OFFSET` limit: read by seeking from an anchor.
    let r = c.get("/admin/ledger_entry/?page=7").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(ids_in(&r.body), [10, 9, 8, 7, 6]);
    let next = rel_link(&r.body, "next").expect("a deep page links to the next");
    assert!(next.contains("after=6"), "{next}");
    assert_eq!(ids_in(&c.get(&next).await.body), [5, 4, 3, 2, 1]);

    // Sorted by the decimal column, deep down too, and the same through both paths.
    let mut by_amount: Vec<i64> = (1..=40).collect();
    by_amount.sort_by_key(|&n| amount_of(n).parse::<sea_orm::prelude::Decimal>().unwrap());
    let mut seen = Vec::new();
    for page in 1..=8 {
        let r = c.get(&format!("/admin/ledger_entry/?sort=amount&page={page}")).await;
        assert_eq!(r.status, 200, "{}", r.body);
        seen.extend(ids_in(&r.body));
    }
    assert_eq!(seen, by_amount);
    let r = c.get("/admin/ledger_entry/?sort=-booked_on&page=6").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(ids_in(&r.body).len(), 5);

    // Search through the index (a term of three letters and more), and filters.
    let r = c.get("/admin/ledger_entry/?q=chair").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(ids_in(&r.body), [40, 38, 36, 34, 32]);
    r.assert_contains("20 ledger entries");
    let r = c.get("/admin/ledger_entry/?q=taxi&category=travel&settled=1&exact=1").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(ids_in(&r.body), [35, 25, 15, 5]);
    let r = c.get("/admin/ledger_entry/?booked_on__from=2026-01-28&booked_on__to=2026-01-28").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(ids_in(&r.body), [27]);
    let r = c.get("/admin/search?q=chair+number+12").await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.assert_contains("Office chair number 12");

    let csv = c.get("/admin/ledger_entry/export.csv?q=taxi&settled=1").await;
    assert_eq!(csv.status, 200, "{}", csv.body);
    assert!(csv.body.contains("35,Taxi ride number 35,Travel,5.35,2026-01-08,yes"), "{}", csv.body);
    assert_eq!(csv.body.lines().count(), 5, "{}", csv.body);

    // An action, and the list afterwards (its anchors dropped by the write).
    let csrf = c.csrf().await;
    let confirm = c
        .post("/admin/ledger_entry/actions/settle", &[("csrf_token", &csrf), ("ids", "7"), ("ids", "10")])
        .await;
    assert_eq!(confirm.status, 200, "{}", confirm.body);
    let key = confirm.input_value("idempotency_key").unwrap_or_default();
    let r = c
        .post(
            "/admin/ledger_entry/actions/settle",
            &[
                ("csrf_token", &csrf),
                ("confirm", "1"),
                ("idempotency_key", &key),
                ("ids", "7"),
                ("ids", "10"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    c.get(r.location()).await.assert_contains("Settle: 1 done, 1 skipped.");
    // Index advice names columns, and sees the indexes on them.
    app.db.execute_unprepared("CREATE INDEX ledger_entry_cat_idx ON ledger_entry (cat)").await.unwrap();
    let advice = opsadmin::list::advise(&app.db, &registry().metas()).await.unwrap();
    let advised: Vec<&str> = advice.iter().map(|a| a.field).collect();
    assert_eq!(advised, ["memo_text", "amt", "booked", "is_settled"]);
    assert_eq!(
        advice[3].create_index,
        "CREATE INDEX ledger_entry_is_settled_idx ON ledger_entry (is_settled);"
    );

    let seven = ledger::Entity::find_by_id(7).one(&app.db).await.unwrap().unwrap();
    assert!(seven.settled);
    let r = c.get("/admin/ledger_entry/?settled=1&page=2").await;
    assert_eq!(ids_in(&r.body), [15, 10, 7, 5]);
}

/// The amount shown in the first row of a list page.
fn first_amount(body: &str) -> String {
    let marker = "<td class=\"num\">";
    let start = body.find(marker).expect("a numeric cell") + marker.len();
    body[start..start + body[start..].find('<').unwrap()].trim().to_owned()
}

#[tokio::test]
async fn money_round_trips_exactly_through_form_list_csv_and_history() {
    let (app, mut c) = ledger_app(0).await;
    let page = c.get("/admin/ledger_entry/new").await;
    let csrf = page.input_value("csrf_token").expect("the form has a CSRF token");
    let fields = |amount: &'static str| {
        vec![
            ("csrf_token".to_owned(), csrf.clone()),
            ("memo".to_owned(), "Train to Lyon".to_owned()),
            ("category".to_owned(), "travel".to_owned()),
            ("amount".to_owned(), amount.to_owned()),
            ("booked_on".to_owned(), "2026-02-03".to_owned()),
        ]
    };
    let r = c.post("/admin/ledger_entry/new", &refs(&fields("0.10"))).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(ids_in(&c.get("/admin/ledger_entry/").await.body), [1]);
    let path = "/admin/ledger_entry/1";
    assert_eq!(c.get(path).await.input_value("amount").as_deref(), Some("0.10"));

    // Each edit: the form, the export and the history show exactly what was typed,
    // with two places; the list groups the figure for its reader (English here).
    let mut before = "0.10";
    for (typed, shown, listed) in [
        ("19.99", "19.99", "19.99"),
        ("1234567.89", "1234567.89", "1,234,567.89"),
        ("250", "250.00", "250.00"),
        ("9999999999.9", "9999999999.90", "9,999,999,999.90"),
    ] {
        let (_, mut form) = c.edit_form(path).await;
        form.extend(fields(typed).into_iter().skip(1));
        let r = c.post(path, &refs(&form)).await;
        assert_eq!(r.status, 303, "{typed}: {}", r.body);
        assert_eq!(c.get(path).await.input_value("amount").as_deref(), Some(shown), "{typed}");
        assert_eq!(first_amount(&c.get("/admin/ledger_entry/").await.body), listed, "{typed}");
        let csv = c.get("/admin/ledger_entry/export.csv").await;
        assert!(csv.body.contains(&format!(",Travel,{shown},")), "{typed}: {}", csv.body);
        let history = c.get(&format!("{path}/history")).await;
        history.assert_contains(before);
        history.assert_contains(shown);
        before = shown;
    }
    let entries = admin_core::audit::entry::Entity::find().all(&app.db).await.unwrap();
    let diffs: Vec<&str> =
        entries.iter().filter(|e| e.kind == "update").map(|e| e.changes.as_str()).collect();
    assert_eq!(
        diffs,
        [
            r#"{"amount":["0.10","19.99"]}"#,
            r#"{"amount":["19.99","1234567.89"]}"#,
            r#"{"amount":["1234567.89","250.00"]}"#,
            r#"{"amount":["250.00","9999999999.90"]}"#,
        ]
    );

    // Too many places or digits: refused with the field's message, nothing saved.
    for (typed, message) in [
        ("0.125", "Enter a number with at most 2 decimal places."),
        ("12345678901", "Enter a number with at most 10 digits before the decimal point."),
    ] {
        let (_, mut form) = c.edit_form(path).await;
        form.extend(fields(typed).into_iter().skip(1));
        let r = c.post(path, &refs(&form)).await;
        assert!(r.status == 400 || r.status == 422, "{typed}: {}", r.status);
        r.assert_contains(message);
    }
    assert_eq!(c.get(path).await.input_value("amount").as_deref(), Some("9999999999.90"));
    assert_eq!(
        admin_core::audit::entry::Entity::find().all(&app.db).await.unwrap().len(),
        entries.len(),
        "a refused edit is not audited"
    );
}

#[tokio::test]
async fn money_sorts_by_value_not_by_text() {
    let (app, mut c) = ledger_app(0).await;
    for (i, amount) in ["100.00", "19.99", "0.10", "1234567.89", "9.50", "250.00"].into_iter().enumerate() {
        ledger::ActiveModel {
            id: Set(i64::try_from(i).unwrap() + 1),
            memo: Set(format!("Entry {i}")),
            category: Set("office".to_owned()),
            amount: Set(amount.parse().unwrap()),
            booked_on: Set(chrono::NaiveDate::from_ymd_opt(2026, 3, 1).unwrap()),
            settled: Set(false),
        }
        .insert(&app.db)
        .await
        .unwrap();
    }
    let mut shown = Vec::new();
    for page in 1..=2 {
        let body = c.get(&format!("/admin/ledger_entry/?sort=amount&page={page}")).await.body;
        let marker = "<td class=\"num\">";
        shown.extend(body.match_indices(marker).map(|(i, _)| {
            let rest = &body[i + marker.len()..];
            rest[..rest.find('<').unwrap()].trim().to_owned()
        }));
    }
    assert_eq!(shown, ["0.10", "9.50", "19.99", "100.00", "250.00", "1,234,567.89"]);
}
