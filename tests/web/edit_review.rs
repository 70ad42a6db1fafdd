//! Edits of a model that asks for a reason with every change: the first POST shows
//! what will change and saves nothing; "Save these changes" saves, with the
//! version check; "Go back and edit" returns to the form with the values typed.

use axum::Router;
use sea_orm::ActiveValue::Set;
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, Schema};

use super::support::{Client, PASSWORD, TestApp, USER, refs};

/// A payout address: every change needs a reason.
pub mod payee {
    use opsadmin::AdminModel;
    use sea_orm::entity::prelude::*;

    /// One payee.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, AdminModel)]
    #[sea_orm(table_name = "payee")]
    #[admin(label = "Payee", label_plural = "Payees", list_display(id, email, vip), reason_required)]
    pub struct Model {
        /// Primary key.
        #[sea_orm(primary_key)]
        pub id: i64,
        /// Where payouts go.
        #[admin(label = "Email")]
        pub email: String,
        /// Paid first.
        #[admin(label = "VIP")]
        pub vip: bool,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

async fn payee_app() -> (TestApp, Client) {
    let mut app = TestApp::new(0).await;
    let schema = Schema::new(app.db.get_database_backend());
    app.db.execute(&schema.create_table_from_entity(payee::Entity)).await.unwrap();
    payee::ActiveModel { id: Set(1), email: Set("a@x.example".into()), vip: Set(false) }
        .insert(&app.db)
        .await
        .unwrap();
    let registry = opsadmin::Registry::new().register::<payee::Model>();
    app.router = Router::new()
        .merge(opsadmin::web::router())
        .with_state(opsadmin::web::AdminState::new(app.db.clone(), registry));
    let mut c = app.client();
    c.sign_in(USER, PASSWORD).await;
    (app, c)
}

async fn stored(app: &TestApp) -> payee::Model {
    payee::Entity::find_by_id(1).one(&app.db).await.unwrap().unwrap()
}

/// The hidden inputs of the "Save these changes" form, in order.
fn hidden_pairs(body: &str) -> Vec<(String, String)> {
    let start = body.find("Check your changes").expect("the review is shown");
    body[start..]
        .split("<input type=\"hidden\" name=\"")
        .skip(1)
        .map(|rest| {
            let name = &rest[..rest.find('"').unwrap()];
            let v = &rest[rest.find("value=\"").unwrap() + 7..];
            (name.to_owned(), super::support::html_unescape(&v[..v.find('"').unwrap()]))
        })
        .collect()
}

#[tokio::test]
async fn an_edit_with_a_reason_shows_the_changes_first_and_saves_only_when_confirmed() {
    let (app, mut c) = payee_app().await;
    let (_, mut form) = c.edit_form("/admin/payee/1").await;
    form.push(("email".into(), "b@x.example".into()));
    form.push(("vip".into(), "1".into()));
    form.push(("_reason".into(), "Customer moved banks".into()));
    let r = c.post("/admin/payee/1", &refs(&form)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.assert_contains("Email: a@x.example → b@x.example");
    r.assert_contains("VIP: no → yes");
    r.assert_contains("Save these changes");
    assert_eq!(stored(&app).await.email, "a@x.example", "nothing is saved before confirming");

    let again = hidden_pairs(&r.body);
    assert!(again.iter().any(|(k, v)| k == "_reason" && v == "Customer moved banks"), "{again:?}");
    assert!(again.iter().any(|(k, _)| k == "_version"));
    let saved = c.post("/admin/payee/1", &refs(&again)).await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let now = stored(&app).await;
    assert_eq!((now.email.as_str(), now.vip), ("b@x.example", true));
    let history = c.get("/admin/payee/1/history").await;
    history.assert_contains("Customer moved banks");

    // The same confirmation sent again is refused by the version check.
    let stale = c.post("/admin/payee/1", &refs(&again)).await;
    assert_eq!(stale.status, 409, "{}", stale.body);
}

#[tokio::test]
async fn going_back_to_edit_keeps_the_values_and_saves_nothing() {
    let (app, mut c) = payee_app().await;
    let (_, mut form) = c.edit_form("/admin/payee/1").await;
    form.push(("email".into(), "b@x.example".into()));
    form.push(("_reason".into(), "Typo".into()));
    let r = c.post("/admin/payee/1", &refs(&form)).await;
    let mut back = hidden_pairs(&r.body);
    back.push(("_edit".into(), "1".into()));
    let page = c.post("/admin/payee/1", &refs(&back)).await;
    assert_eq!(page.status, 200, "{}", page.body);
    page.assert_lacks("Check your changes");
    assert_eq!(page.input_value("email").as_deref(), Some("b@x.example"));
    page.assert_contains(">Typo</textarea>");
    assert_eq!(stored(&app).await.email, "a@x.example");
}

#[tokio::test]
async fn an_edit_without_its_reason_or_without_changes_skips_the_review() {
    let (app, mut c) = payee_app().await;
    let (_, mut form) = c.edit_form("/admin/payee/1").await;
    form.push(("email".into(), "b@x.example".into()));
    let r = c.post("/admin/payee/1", &refs(&form)).await;
    assert_eq!(r.status, 400, "the reason is asked for first: {}", r.body);
    r.assert_lacks("Check your changes");
    assert_eq!(stored(&app).await.email, "a@x.example");

    let (_, mut same) = c.edit_form("/admin/payee/1").await;
    same.push(("email".into(), "a@x.example".into()));
    same.push(("_reason".into(), "Checking".into()));
    let r = c.post("/admin/payee/1", &refs(&same)).await;
    assert_eq!(r.status, 303, "nothing changes, so nothing to review: {}", r.body);
}
