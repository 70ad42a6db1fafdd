//! Plugins and the registry builder: every configuration mistake is an error that
//! names it and its fix, an expected plugin that is missing stops start-up with its
//! name, and the billing plugin's actions run on the reference app's own invoices.

use admin_core::AdminModel as _;
use admin_core::audit::entry;
use ops_console::actions::MarkForManualReview;
use ops_console::models::{account, email_job, invoice};
use opsadmin::{Registry, Roles};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use super::support::TestApp;

/// A model that is not an invoice: no `status` (it has `state`), no amount.
mod note {
    use opsadmin::AdminModel;
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel, AdminModel)]
    #[sea_orm(table_name = "plugin_note")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub number: String,
        pub state: String,
        #[admin(hidden_for(suport))]
        pub secret: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

fn mistakes(builder: opsadmin::RegistryBuilder) -> Vec<String> {
    match builder.build() {
        Ok(_) => panic!("the registry was built despite its mistakes"),
        Err(e) => e.mistakes,
    }
}

fn has(mistakes: &[String], needle: &str) {
    assert!(mistakes.iter().any(|m| m.contains(needle)), "no mistake says {needle:?}: {mistakes:#?}");
}

#[test]
fn each_configuration_mistake_is_an_error_with_its_fix() {
    let roles = Roles::new()
        .role(
            "support",
            "",
            &["acount.view", "account.action.mark_for_manual_reveiw", "audit.view", "*.view"],
        )
        .role("viewer", "", &["*.view"])
        .require_two_factor("admn")
        .called("suport", "support");
    let found = mistakes(
        Registry::builder()
            .register::<account::Model>()
            .register::<account::Model>()
            .register::<email_job::Model>()
            .register::<note::Model>()
            .registered_actions()
            .action(MarkForManualReview)
            .queue("acount", "Open accounts", "manual_review=1")
            .roles(&roles),
    );
    has(&found, "two admin models share the slug `account`; table names must be unique");
    has(&found, "Two actions on `account` are named `mark_for_manual_review`");
    has(
        &found,
        "queue \u{201c}Open accounts\u{201d} lists the model `acount`, which is not registered (did you mean `account`?)",
    );
    has(
        &found,
        "plugin_note.secret: hidden_for names the role `suport`, which is not declared (did you mean `support`?)",
    );
    has(&found, "Roles::require_two_factor names the role `admn`, which is not declared; declare it");
    has(&found, "Roles::called names the role `suport`, which is not declared (did you mean `support`?)");
    has(&found, "grants `acount.view`, but no model `acount` is registered (did you mean `account`?)");
    has(&found, "`account` has no action `mark_for_manual_reveiw` (did you mean `mark_for_manual_review`?)");
    // The admin's own permissions and patterns are not mistakes.
    assert!(!found.iter().any(|m| m.contains("`audit.view`") || m.contains("`*.view`")), "{found:#?}");
    assert_eq!(found.len(), 8, "{found:#?}");
    // All of them in one message, one line each.
    let text = Registry::builder().queue("x", "X", "").queue("y", "Y", "").build().err().unwrap().to_string();
    assert!(text.starts_with("the admin's configuration has 2 mistakes:\n- "), "{text}");
}

#[test]
fn the_reference_app_builds_without_mistakes() {
    let registry = ops_console::try_registry().expect("the reference app's configuration is right");
    assert_eq!(registry.metas().len(), 3);
}

#[test]
fn an_expected_plugin_whose_actions_are_missing_stops_start_up_with_its_name() {
    // The reference app registers its own actions with `register_action!`: as a
    // plugin package, `ops-console`.
    let base = || Registry::builder().register::<account::Model>().register::<email_job::Model>();
    let found = mistakes(base().expect_plugin("ops-console", || {}));
    has(
        &found,
        "the plugin `ops-console` is expected, but its actions are not taken: add `.registered_actions()`",
    );
    let found = mistakes(
        Registry::builder()
            .register::<invoice::Model>()
            .registered_actions()
            .expect_plugin("ops-console", || {}),
    );
    has(
        &found,
        "the plugin `ops-console` acts on the model `account` (action `lock_account`), which is not registered",
    );
    let found = mistakes(base().registered_actions().expect_plugin("ops-consle", || {}));
    has(
        &found,
        "the plugin `ops-consle` is expected, but no action of it is in this program (did you mean `ops-console`?)",
    );
    let registry =
        base().registered_actions().expect_plugin("ops-console", || {}).build().expect("all there");
    assert_eq!(registry.actions_for("account").len(), 4);
}

#[test]
fn the_billing_plugin_says_what_the_model_lacks() {
    let found = mistakes(Registry::builder().plugin(billing_plugin::plugin::<note::Model>()));
    has(
        &found,
        "the plugin `billing-plugin`: the model `plugin_note` has no field `status` (text with choices), which the billing actions read (did you mean `state`?)",
    );
    has(&found, "the plugin `billing-plugin`: the model `plugin_note` has no field `amount_cents`");
    has(
        &found,
        "the plugin `billing-plugin`: The action `refund_invoice` is for model `plugin_note`, which is not registered",
    );
}

async fn audit_count(app: &TestApp, kind: &str) -> u64 {
    entry::Entity::find().filter(entry::Column::Kind.eq(kind)).count(&app.db).await.unwrap()
}

#[tokio::test]
async fn the_billing_plugin_acts_on_the_apps_own_invoice_model() {
    let app = TestApp::new(0).await;
    let registry = ops_console::registry();
    let void = registry.action_named("invoice", "void_invoice").expect("the plugin's action");
    // No copy: the action's model is the application's.
    assert!(std::ptr::eq(void.model(), invoice::Model::meta()));

    let mut admin = app.signed_in().await;
    let csrf = admin.csrf().await;
    let status_of = |id: i64| {
        let db = app.db.clone();
        async move { invoice::Entity::find_by_id(id).one(&db).await.unwrap().unwrap().status }
    };
    assert_eq!(status_of(2).await, "open");
    let form = [("csrf_token", csrf.as_str()), ("confirm", "1"), ("ids", "2"), ("reason", "Sent twice")];
    let r = admin.post("/admin/invoice/actions/void_invoice", &form).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(status_of(2).await, "void");
    assert_eq!(audit_count(&app, "action:void_invoice").await, 1);

    // Its checks read the app's fields: a void invoice cannot be voided again,
    // and a paid one is refunded, not voided.
    let form = [("csrf_token", csrf.as_str()), ("ids", "1"), ("ids", "2")];
    let page = admin.post("/admin/invoice/actions/void_invoice", &form).await;
    page.assert_contains("Cannot void: invoice INV-00000002 is already void.");
    page.assert_contains("Cannot void: invoice INV-00000001 is paid. Refund it instead.");
    assert_eq!(status_of(1).await, "paid");
}
