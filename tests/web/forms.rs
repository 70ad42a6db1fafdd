//! Record forms: titled sections (fieldsets) in the declared order, the control each
//! field gets (radio, textarea, number with a step, date, money with its currency),
//! the `maxlength` and its "at most N characters" hint, and `blank` text that saves
//! "" while a required one is refused. On SQLite and PostgreSQL.

use axum::Router;
use sea_orm::ActiveValue::Set;
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, Schema};

use super::support::{ALICE, Client, PASSWORD, TestApp, USER, refs};

/// A model with one field of each widget.
pub mod gadget {
    use opsadmin::{AdminChoices, AdminModel};
    use sea_orm::entity::prelude::*;

    /// How big it is.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, AdminChoices)]
    pub enum Size {
        /// Fits in a hand.
        Small,
        /// Needs two people.
        Large,
    }

    /// One gadget.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, AdminModel)]
    #[sea_orm(table_name = "forms_gadget")]
    #[admin(
        fieldset("Details", description = "What the gadget is & costs.", fields(size, price, note)),
        fieldset("Dates", fields(made_at, made_on))
    )]
    pub struct Model {
        /// Primary key.
        #[sea_orm(primary_key)]
        pub id: i64,
        /// Its name.
        #[admin(max_length = 40)]
        pub name: String,
        /// What people call it, if anything.
        #[admin(blank)]
        pub nickname: String,
        /// How big.
        #[admin(choices = Size, widget = "radio")]
        pub size: String,
        /// The price, to a tenth of a cent.
        #[sea_orm(column_type = "Decimal(Some((10, 3)))")]
        pub price: Decimal,
        /// Notes over several lines.
        #[sea_orm(column_type = "Text")]
        pub note: String,
        /// When it was made.
        pub made_on: Date,
        /// When it was checked.
        pub made_at: DateTime,
        /// The handling fee, in euro cents.
        #[admin(money(currency = "EUR"))]
        pub fee_cents: i64,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A test app whose database also has one gadget, served by an admin of gadgets.
async fn gadget_app() -> (TestApp, Client) {
    let mut app = TestApp::new(0).await;
    let schema = Schema::new(app.db.get_database_backend());
    app.db.execute(&schema.create_table_from_entity(gadget::Entity)).await.unwrap();
    // The key left to the database, so its sequence counts it (PostgreSQL).
    let first = gadget::ActiveModel {
        name: Set("Widget".to_owned()),
        nickname: Set(String::new()),
        size: Set("small".to_owned()),
        price: Set("12.5".parse().unwrap()),
        note: Set("First line\nSecond line".to_owned()),
        made_on: Set(chrono::NaiveDate::from_ymd_opt(2026, 3, 2).unwrap()),
        made_at: Set(chrono::NaiveDate::from_ymd_opt(2026, 3, 2).unwrap().and_hms_opt(14, 5, 0).unwrap()),
        fee_cents: Set(250),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    assert_eq!(first.id, 1);
    let registry = opsadmin::Registry::new().register::<gadget::Model>();
    let state = opsadmin::web::AdminState::new(app.db.clone(), registry);
    app.router = Router::new().merge(opsadmin::web::router()).with_state(state);
    let mut c = app.client();
    c.sign_in(USER, PASSWORD).await;
    (app, c)
}

/// Where `needle` is in `body`, or a failure naming it.
fn at(body: &str, needle: &str) -> usize {
    body.find(needle).unwrap_or_else(|| panic!("{needle:?} not on the page"))
}

/// The gadget form's fields with `changes` applied, ready to post.
async fn gadget_form(c: &mut Client, changes: &[(&str, &str)]) -> Vec<(String, String)> {
    let (_, mut pairs) = c.edit_form("/admin/forms_gadget/1").await;
    let mut fields = vec![
        ("name", "Widget"),
        ("nickname", ""),
        ("size", "small"),
        ("price", "12.500"),
        ("note", "First line\nSecond line"),
        ("made_on", "2026-03-02"),
        ("made_at", "2026-03-02T14:05:00"),
        ("fee_cents", "2.50"),
    ];
    for (name, value) in changes {
        fields.retain(|(n, _)| n != name);
        fields.push((name, value));
    }
    pairs.extend(fields.into_iter().map(|(k, v)| (k.to_owned(), v.to_owned())));
    pairs
}

/// Posts the gadget form with `changes`.
async fn save(c: &mut Client, changes: &[(&str, &str)]) -> super::support::Resp {
    let pairs = gadget_form(c, changes).await;
    c.post("/admin/forms_gadget/1", &refs(&pairs)).await
}

#[tokio::test]
async fn account_form_shows_its_sections_titled_in_the_declared_order() {
    let app = TestApp::new(0).await;
    let mut c = app.signed_in().await;
    let page = c.get(&format!("/admin/account/{ALICE}")).await;
    assert_eq!(page.status, 200);
    let body = &page.body;
    let (customer, billing, flags) = (
        at(body, "<legend>Customer</legend>"),
        at(body, "<legend>Billing</legend>"),
        at(body, "<legend>Flags</legend>"),
    );
    assert!(customer < billing && billing < flags, "Customer, Billing, Flags in that order");
    page.assert_contains("Who the customer is and how we reach them.");
    // Fields in no fieldset come first, untitled; each field sits in its own section.
    assert!(at(body, "id=\"id_id\"") < customer, "the ID comes before the first section");
    assert!(at(body, "id=\"id_updated_at\"") < customer, "so does Last changed");
    assert!((customer..billing).contains(&at(body, "id=\"id_email\"")), "email under Customer");
    assert!((customer..billing).contains(&at(body, "id=\"id_signup_at\"")), "signed up under Customer");
    assert!((billing..flags).contains(&at(body, "id=\"id_plan\"")), "plan under Billing");
    assert!(at(body, "id=\"id_locked\"") > flags, "locked under Flags");
}

#[tokio::test]
async fn gadget_form_has_the_widget_each_field_asks_for() {
    let (_app, mut c) = gadget_app().await;
    let page = c.get("/admin/forms_gadget/1").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let body = &page.body;
    // Untitled first (name, nickname, fee), then Details, then Dates.
    let (details, dates) = (at(body, "<legend>Details</legend>"), at(body, "<legend>Dates</legend>"));
    assert!(at(body, "id=\"id_name\"") < details && at(body, "id=\"id_fee_cents\"") < details);
    assert!(details < dates);
    page.assert_contains("What the gadget is &amp; costs.");
    assert!(
        at(body, "id=\"id_made_at\"") < at(body, "id=\"id_made_on\""),
        "the fieldset's order, not the struct's"
    );

    // max_length: the attribute and the hint.
    page.assert_contains("name=\"name\" value=\"Widget\" type=\"text\" maxlength=\"40\" required");
    page.assert_contains(">At most 40 characters.</p>");
    // blank: not required.
    page.assert_contains("name=\"nickname\" value=\"\" type=\"text\" maxlength=\"255\">");
    page.assert_lacks("name=\"nickname\" value=\"\" type=\"text\" maxlength=\"255\" required");
    // A radio button per choice, the stored one checked.
    page.assert_contains("type=\"radio\" name=\"size\" id=\"id_size_1\" value=\"small\" checked required");
    page.assert_contains("type=\"radio\" name=\"size\" id=\"id_size_2\" value=\"large\">");
    page.assert_lacks("<select id=\"id_size\"");
    // A decimal of scale 3 steps by 0.001.
    page.assert_contains("value=\"12.500\" type=\"number\" step=\"0.001\" inputmode=\"decimal\" required");
    // A Text column is a textarea, with its (default) limit.
    page.assert_contains("<textarea id=\"id_note\" name=\"note\" rows=\"4\" maxlength=\"10000\" required");
    page.assert_contains(">First line\nSecond line</textarea>");
    // Native date and date-time inputs.
    page.assert_contains("value=\"2026-03-02\" type=\"date\" required");
    page.assert_contains("value=\"2026-03-02T14:05:00\" type=\"datetime-local\" step=\"1\" required");
    // Money: the amount in euros with its currency next to it.
    page.assert_contains("value=\"2.50\" type=\"text\" inputmode=\"decimal\" required aria-describedby=\"id_fee_cents_currency id_fee_cents_help\"");
    page.assert_contains("<span class=\"currency\" id=\"id_fee_cents_currency\">EUR</span>");
}

#[tokio::test]
async fn a_blank_string_saves_empty_and_a_required_one_is_refused_with_its_message() {
    let (app, mut c) = gadget_app().await;
    // Given a nickname first, then cleared: "" is saved.
    let r = save(&mut c, &[("nickname", "Widgy")]).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let g = gadget::Entity::find_by_id(1).one(&app.db).await.unwrap().unwrap();
    assert_eq!(g.nickname, "Widgy");
    let r = save(&mut c, &[("nickname", "  ")]).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let g = gadget::Entity::find_by_id(1).one(&app.db).await.unwrap().unwrap();
    assert_eq!(g.nickname, "");

    // The name is not blank: empty is refused, next to the field, nothing saved.
    let r = save(&mut c, &[("name", ""), ("price", "3")]).await;
    assert_eq!(r.status, 400);
    r.assert_contains("<p class=\"error\" id=\"id_name_error\">This field is required.</p>");
    let g = gadget::Entity::find_by_id(1).one(&app.db).await.unwrap().unwrap();
    assert_eq!((g.name.as_str(), g.price), ("Widget", "12.5".parse().unwrap()));

    // Over max_length: refused by the server whatever the browser allowed.
    let long = "x".repeat(41);
    let r = save(&mut c, &[("name", &long)]).await;
    assert_eq!(r.status, 400);
    r.assert_contains("Keep this to 40 characters or fewer; it has 41.");

    // A choice a radio group does not offer is refused too.
    let r = save(&mut c, &[("size", "huge")]).await;
    assert_eq!(r.status, 400);
    r.assert_contains("Choose one of: Small, Large.");
}

#[tokio::test]
async fn a_new_gadget_with_a_blank_nickname_is_created() {
    let (app, mut c) = gadget_app().await;
    let csrf = c.csrf().await;
    let pairs = [
        ("csrf_token", csrf.as_str()),
        ("name", "Sprocket"),
        ("nickname", ""),
        ("size", "large"),
        ("price", "0.125"),
        ("note", "Made by hand"),
        ("made_on", "2026-04-01"),
        ("made_at", "2026-04-01T08:00"),
        ("fee_cents", "1.00"),
    ];
    let r = c.post("/admin/forms_gadget/new", &pairs).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let all = gadget::Entity::find().all(&app.db).await.unwrap();
    let made = all.iter().find(|g| g.name == "Sprocket").expect("created");
    assert_eq!((made.nickname.as_str(), made.size.as_str(), made.fee_cents), ("", "large", 100));
}

#[tokio::test]
async fn the_reference_app_saves_an_empty_company_but_not_an_empty_email() {
    let app = TestApp::new(0).await;
    let mut c = app.signed_in().await;
    let path = format!("/admin/account/{ALICE}");
    let fields = |company: &'static str, email: &'static str| {
        vec![
            ("email", email),
            ("company", company),
            ("plan", "trial"),
            ("signup_at", "2026-01-10T09:30:00"),
            ("welcome_email_sent", "0"),
            ("manual_review", "0"),
            ("locked", "0"),
        ]
    };
    let (_, mut pairs) = c.edit_form(&path).await;
    pairs.extend(
        fields("", "user1@acme-42-ltd.example").into_iter().map(|(k, v)| (k.to_owned(), v.to_owned())),
    );
    let r = c.post(&path, &refs(&pairs)).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let alice = ops_console::models::account::Entity::find_by_id(ALICE).one(&app.db).await.unwrap().unwrap();
    assert_eq!(alice.company, "");

    let (_, mut pairs) = c.edit_form(&path).await;
    pairs.extend(fields("Acme", "").into_iter().map(|(k, v)| (k.to_owned(), v.to_owned())));
    let r = c.post(&path, &refs(&pairs)).await;
    assert_eq!(r.status, 400);
    r.assert_contains("<p class=\"error\" id=\"id_email_error\">This field is required.</p>");
    let alice = ops_console::models::account::Entity::find_by_id(ALICE).one(&app.db).await.unwrap().unwrap();
    assert_eq!((alice.company.as_str(), alice.email.as_str()), ("", "user1@acme-42-ltd.example"));
}

#[tokio::test]
async fn invoices_choose_their_currency_by_radio_and_show_it_beside_the_amount() {
    let app = TestApp::new(0).await;
    let mut c = app.signed_in().await;
    let page = c.get("/admin/invoice/1").await;
    page.assert_contains(
        "<div class=\"radios\" role=\"radiogroup\" id=\"id_currency\" aria-labelledby=\"id_currency_label\"",
    );
    page.assert_contains("value=\"USD\" checked required> USD</label>");
    page.assert_contains("<span class=\"currency\" id=\"id_amount_cents_currency\">USD</span>");
    let job = c.get("/admin/email_job/1").await;
    job.assert_contains("<textarea id=\"id_last_error\" name=\"last_error\"");
}

#[tokio::test]
async fn the_hint_is_translated() {
    let catalogs = admin_web::i18n::Catalogs::builtin();
    let args = [("count", admin_web::i18n::Arg::from(40_usize))];
    assert_eq!(catalogs.text("en", "forms-max-length", &args), "At most 40 characters.");
    assert_eq!(catalogs.text("de", "forms-max-length", &args), "Höchstens 40 Zeichen.");
    assert!(catalogs.has("de", "forms-radio-none"));
}
