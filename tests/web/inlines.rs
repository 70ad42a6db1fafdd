//! Inline child rows (`#[admin(inlines(email_job(readonly(status))))]` on the
//! reference app's account): the account's email jobs are edited, added and
//! deleted in the account's form, in one transaction, each row at its version,
//! through the child's permissions and field rules, each write audited.

use ops_console::models::{account, email_job};
use sea_orm::ActiveValue::Set;
use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel};

use super::support::{ALICE, Client, Resp, TestApp, client_for, refs};

/// The fields the record form would post: its inputs (checkboxes when ticked),
/// selects (the chosen option) and text areas, in order.
pub(super) fn record_form(page: &Resp) -> Vec<(String, String)> {
    let body = &page.body;
    let start = body.find("class=\"record\"").expect("a record form");
    let form = &body[start..start + body[start..].find("</form>").unwrap()];
    let attr = |tag: &str, name: &str| -> Option<String> {
        let marker = format!(" {name}=\"");
        let s = tag.find(&marker)? + marker.len();
        Some(super::support::html_unescape(&tag[s..s + tag[s..].find('"')?]))
    };
    let mut out = Vec::new();
    let mut rest = form;
    while let Some(i) = rest.find('<') {
        rest = &rest[i..];
        let tag = &rest[..rest.find('>').unwrap() + 1];
        if tag.starts_with("<input") {
            if let Some(name) = attr(tag, "name")
                && (attr(tag, "type").as_deref() != Some("checkbox") || tag.contains(" checked"))
            {
                out.push((name, attr(tag, "value").unwrap_or_default()));
            }
        } else if tag.starts_with("<select") {
            let end = rest.find("</select>").unwrap();
            let options = &rest[..end];
            let chosen = options
                .split("<option")
                .skip(1)
                .find(|o| o[..o.find('>').unwrap()].contains(" selected"))
                .or_else(|| options.split("<option").nth(1))
                .and_then(|o| attr(&format!(" {o}"), "value"))
                .unwrap_or_default();
            out.push((attr(tag, "name").unwrap(), chosen));
        } else if tag.starts_with("<textarea") {
            let body_start = tag.len();
            let end = rest.find("</textarea>").unwrap();
            out.push((attr(tag, "name").unwrap(), super::support::html_unescape(&rest[body_start..end])));
        }
        rest = &rest[1..];
    }
    out
}

pub(super) fn set(form: &mut Vec<(String, String)>, name: &str, value: &str) {
    form.retain(|(k, _)| k != name);
    form.push((name.to_owned(), value.to_owned()));
}

async fn job(app: &TestApp, id: i64) -> Option<email_job::Model> {
    email_job::Entity::find_by_id(id).one(&app.db).await.unwrap()
}

async fn jobs_of_alice(app: &TestApp) -> Vec<email_job::Model> {
    use sea_orm::{ColumnTrait, QueryFilter};
    email_job::Entity::find().filter(email_job::Column::AccountId.eq(ALICE)).all(&app.db).await.unwrap()
}

async fn company(app: &TestApp) -> String {
    account::Entity::find_by_id(ALICE).one(&app.db).await.unwrap().unwrap().company
}

async fn alice_form(c: &mut Client) -> Vec<(String, String)> {
    let page = c.get("/admin/account/1").await;
    assert_eq!(page.status, 200, "{}", page.body);
    record_form(&page)
}

#[tokio::test]
async fn the_parent_and_its_children_are_changed_added_and_audited_in_one_post() {
    let app = TestApp::new(0).await;
    let mut c = app.signed_in().await;
    let page = c.get("/admin/account/1").await;
    page.assert_contains("id=\"inline-email_job\"");
    // The status is read-only on the account's page: shown, not offered.
    page.assert_lacks("name=\"email_job-0-status\"");
    page.assert_contains("name=\"email_job-0-attempts\"");
    // The email jobs are not listed a second time as related records.
    assert_eq!(page.body.matches("<h2>Email jobs").count() + page.body.matches(">Email jobs <").count(), 1);

    let mut form = record_form(&page);
    set(&mut form, "company", "Acme 42 Holding");
    set(&mut form, "email_job-0-attempts", "4");
    set(&mut form, "email_job-1-kind", "receipt");
    set(&mut form, "email_job-1-status", "queued");
    set(&mut form, "email_job-1-attempts", "0");
    let r = c.post("/admin/account/1", &refs(&form)).await;
    assert_eq!(r.status, 303, "{}", r.body);

    assert_eq!(company(&app).await, "Acme 42 Holding");
    assert_eq!(job(&app, 1).await.unwrap().attempts, 4);
    let jobs = jobs_of_alice(&app).await;
    assert_eq!(jobs.len(), 2, "one job added, blank rows left out");
    let added = jobs.iter().find(|j| j.id != 1).unwrap();
    assert_eq!((added.kind.as_str(), added.status.as_str(), added.account_id), ("receipt", "queued", ALICE));

    // One audit entry per written record.
    c.get("/admin/account/1/history").await.assert_contains("Acme 42 Holding");
    c.get("/admin/email_job/1/history").await.assert_contains("Attempts");
    let created = c.get(&format!("/admin/email_job/{}/history", added.id)).await;
    assert_eq!(created.status, 200);
    created.assert_contains("Created");
}

#[tokio::test]
async fn a_child_row_is_deleted_with_the_parent_save() {
    let app = TestApp::new(0).await;
    let mut c = app.signed_in().await;
    let mut form = alice_form(&mut c).await;
    set(&mut form, "email_job-0-_delete", "1");
    let r = c.post("/admin/account/1", &refs(&form)).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(job(&app, 1).await.is_none());
    c.get("/admin/email_job/1/history").await.assert_contains("Deleted");
}

#[tokio::test]
async fn a_stale_child_row_saves_nothing_and_shows_the_conflict() {
    let app = TestApp::new(0).await;
    let mut c = app.signed_in().await;
    let mut form = alice_form(&mut c).await;
    // Someone else changes the job meanwhile.
    let mut other = job(&app, 1).await.unwrap().into_active_model();
    other.last_error = Set(Some("SMTP 421 try later".into()));
    other.update(&app.db).await.unwrap();

    set(&mut form, "company", "Changed Co");
    set(&mut form, "email_job-0-attempts", "7");
    let r = c.post("/admin/account/1", &refs(&form)).await;
    assert_eq!(r.status, 409, "{}", r.body);
    r.assert_contains("Someone else changed or deleted Email job 1");
    assert_eq!(company(&app).await, "Acme 42 Ltd", "nothing saved");
    assert_eq!(job(&app, 1).await.unwrap().attempts, 3, "nothing saved");
    // The values typed are kept, over the row's current version: saving again works.
    assert_eq!(r.input_value("email_job-0-attempts").as_deref(), Some("7"));
    assert_eq!(r.input_value("company").as_deref(), Some("Changed Co"));
    let again = record_form(&r);
    let saved = c.post("/admin/account/1", &refs(&again)).await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let now = job(&app, 1).await.unwrap();
    assert_eq!((now.attempts, now.last_error.as_deref()), (7, Some("SMTP 421 try later")));
}

#[tokio::test]
async fn child_field_rules_hold_and_errors_show_on_the_row_with_the_form_kept() {
    let app = TestApp::new(0).await;
    let mut c = app.signed_in().await;
    let form = alice_form(&mut c).await;
    // A read-only column (status here) is not taken from the form, even when posted.
    let mut forged = form.clone();
    set(&mut forged, "email_job-0-status", "sent");
    set(&mut forged, "email_job-0-account_id", "2");
    let r = c.post("/admin/account/1", &refs(&forged)).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let j = job(&app, 1).await.unwrap();
    assert_eq!((j.status.as_str(), j.account_id), ("failed", ALICE));

    // A bad value: the row's cell says so, every value typed is kept, nothing saved.
    let mut form = alice_form(&mut c).await;
    set(&mut form, "company", "Typed Co");
    set(&mut form, "email_job-0-attempts", "lots");
    set(&mut form, "email_job-1-kind", "receipt");
    set(&mut form, "email_job-1-status", "queued");
    set(&mut form, "email_job-1-attempts", "x");
    let r = c.post("/admin/account/1", &refs(&form)).await;
    assert_eq!(r.status, 400, "{}", r.body);
    r.assert_contains("id=\"id_email_job-0-attempts_error\"");
    r.assert_contains("id=\"id_email_job-1-attempts_error\"");
    assert_eq!(r.input_value("company").as_deref(), Some("Typed Co"));
    assert_eq!(r.input_value("email_job-0-attempts").as_deref(), Some("lots"));
    assert_eq!(company(&app).await, "Acme 42 Ltd");
    assert_eq!(jobs_of_alice(&app).await.len(), 1);
}

#[tokio::test]
async fn without_the_childs_permissions_the_table_is_read_only() {
    let app = TestApp::new(0).await;
    let mut c = client_for(&app, "sam", "support").await;
    let page = c.get("/admin/account/1").await;
    assert_eq!(page.status, 200);
    page.assert_contains("id=\"inline-email_job\"");
    page.assert_contains("id=\"inline-email_job-0-row\"");
    page.assert_lacks("name=\"email_job-0-attempts\"");
    page.assert_lacks("email_job-0-_delete");
    page.assert_lacks("email_job-0-_key");
    page.assert_lacks("inline-extra");

    // A forged row change is ignored, a forged add or delete refused.
    let form = record_form(&page);
    let version = {
        let mut admin = app.signed_in().await;
        admin.get("/admin/account/1").await.input_value("email_job-0-_version").unwrap()
    };
    let mut change = form.clone();
    for (k, v) in
        [("email_job-0-_key", "1"), ("email_job-0-_version", version.as_str()), ("email_job-0-attempts", "9")]
    {
        set(&mut change, k, v);
    }
    let r = c.post("/admin/account/1", &refs(&change)).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(job(&app, 1).await.unwrap().attempts, 3);

    let mut delete = change.clone();
    set(&mut delete, "email_job-0-_delete", "1");
    let r = c.post("/admin/account/1", &refs(&delete)).await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(job(&app, 1).await.is_some());

    let mut add = form.clone();
    for (k, v) in
        [("email_job-5-kind", "receipt"), ("email_job-5-status", "queued"), ("email_job-5-attempts", "1")]
    {
        set(&mut add, k, v);
    }
    let r = c.post("/admin/account/1", &refs(&add)).await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(jobs_of_alice(&app).await.len(), 1);
}

#[tokio::test]
async fn a_long_table_is_bounded_with_a_link_to_the_full_list() {
    let app = TestApp::new(0).await;
    for id in 100..125 {
        email_job::ActiveModel {
            id: Set(id),
            account_id: Set(ALICE),
            kind: Set("receipt".into()),
            status: Set("sent".into()),
            attempts: Set(1),
            last_error: Set(None),
            updated_at: Set(chrono::NaiveDate::from_ymd_opt(2026, 2, 1)
                .unwrap()
                .and_hms_opt(0, 0, 0)
                .unwrap()),
        }
        .insert(&app.db)
        .await
        .unwrap();
    }
    let mut c = app.signed_in().await;
    let page = c.get("/admin/account/1").await;
    page.assert_contains("name=\"email_job-19-attempts\"");
    page.assert_lacks("name=\"email_job-20-_key\"");
    page.assert_contains("href=\"/admin/email_job/?account_id=1\"");
    page.assert_contains("Showing 20 of 26 email jobs");
    // Saving the bounded table leaves the rows it did not show alone.
    let form = record_form(&page);
    let r = c.post("/admin/account/1", &refs(&form)).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(jobs_of_alice(&app).await.len(), 26);
}

/// A parent declaring inlines that do not resolve.
pub mod parent {
    use opsadmin::AdminModel;
    use sea_orm::entity::prelude::*;

    /// An account with mistaken inlines.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, AdminModel)]
    #[sea_orm(table_name = "account")]
    #[admin(inlines(email_job(fields(atempts)), emial_job, invoice))]
    pub struct Model {
        /// Primary key.
        #[sea_orm(primary_key)]
        pub id: i64,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A model of the invoice table without a foreign key to the account.
pub mod loose_invoice {
    use opsadmin::AdminModel;
    use sea_orm::entity::prelude::*;

    /// An invoice that names no account.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, AdminModel)]
    #[sea_orm(table_name = "invoice")]
    pub struct Model {
        /// Primary key.
        #[sea_orm(primary_key)]
        pub id: i64,
        /// Not declared a foreign key.
        pub account_id: i64,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

#[test]
fn inlines_that_do_not_resolve_are_configuration_errors() {
    let err = opsadmin::Registry::builder()
        .register::<parent::Model>()
        .register::<email_job::Model>()
        .register::<loose_invoice::Model>()
        .build()
        .err()
        .expect("refused");
    let all = err.mistakes.join("\n");
    assert_eq!(err.mistakes.len(), 3, "{all}");
    assert!(all.contains("names fields it does not have: `atempts` (did you mean `attempts`?)"), "{all}");
    assert!(
        all.contains("lists the inline `emial_job`, which is not registered (did you mean `email_job`?)"),
        "{all}"
    );
    assert!(all.contains("the inline `invoice` of `account` has no foreign key to `account`"), "{all}");
}
