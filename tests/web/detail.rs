use ops_console::models::{account, email_job};
use sea_orm::EntityTrait;

use super::support::{ALICE, BOB, CAROL, TestApp, refs};

fn with(mut base: Vec<(String, String)>, fields: &[(&str, &str)]) -> Vec<(String, String)> {
    for (k, v) in fields {
        base.retain(|(n, _)| n != k);
        base.push(((*k).to_owned(), (*v).to_owned()));
    }
    base
}

/// Every editable account field with Bob's current values.
const BOB_FIELDS: &[(&str, &str)] = &[
    ("email", "user2@globex-7-inc.example"),
    ("company", "Globex 7 Inc"),
    ("plan", "annual"),
    ("signup_at", "2026-02-20T09:30:00"),
    ("welcome_email_sent", "0"),
    ("manual_review", "0"),
    ("manual_review", "1"),
    ("locked", "0"),
];

#[tokio::test]
async fn detail_page_has_a_control_per_kind_and_read_only_text() {
    let app = TestApp::new(0).await;
    let mut c = app.signed_in().await;
    let r = c.get(&format!("/admin/account/{ALICE}")).await;
    assert_eq!(r.status, 200);
    r.assert_contains("<title>Acme 42 Ltd &lt;user1@acme-42-ltd.example&gt; · Ops console</title>");
    r.assert_contains(
        "<a href=\"/admin/account/\">Accounts</a> › <span aria-current=\"page\">Acme 42 Ltd &lt;user1@acme-42-ltd.example&gt;</span>",
    );
    r.assert_contains(
        "id=\"id_email\" name=\"email\" value=\"user1@acme-42-ltd.example\" type=\"text\" maxlength=\"255\" required",
    );
    r.assert_contains("Where we send receipts and sign-in links.");
    r.assert_contains("<select id=\"id_plan\" name=\"plan\" required");
    r.assert_contains("<option value=\"trial\" selected>Trial</option>");
    r.assert_contains("type=\"checkbox\" id=\"id_locked\" name=\"locked\" value=\"1\"");
    r.assert_contains("value=\"2026-01-10T09:30:00\" type=\"datetime-local\"");
    // Billing state is read-only: text, no control.
    r.assert_contains("<div class=\"readonly\" id=\"id_billing_state\">Failed first charge</div>");
    r.assert_lacks("name=\"billing_state\"");
    assert!(r.input_value("_version").is_some_and(|v| v.len() == 20));
}

#[tokio::test]
async fn detail_page_lists_related_records_newest_first() {
    let app = TestApp::new(0).await;
    let mut c = app.signed_in().await;
    let r = c.get(&format!("/admin/account/{ALICE}")).await;
    r.assert_contains("Invoices <span class=\"muted\">(2 invoices)</span>");
    let second = r.body.find("href=\"/admin/invoice/2\"").expect("invoice 2 linked");
    let first = r.body.find("href=\"/admin/invoice/1\"").expect("invoice 1 linked");
    assert!(second < first, "newest first");
    r.assert_contains("Email jobs <span class=\"muted\">(1 email job)</span>");
    // And the invoice links back to its account.
    let r = c.get("/admin/invoice/1").await;
    r.assert_contains(
        "<a class=\"fk\" href=\"/admin/account/1\">Acme 42 Ltd &lt;user1@acme-42-ltd.example&gt;</a>",
    );
    let r = c.get("/admin/invoice/").await;
    r.assert_contains("<a href=\"/admin/account/1\">Acme 42 Ltd &lt;user1@acme-42-ltd.example&gt;</a>");
}

#[tokio::test]
async fn saving_an_edit_returns_to_the_same_filtered_list_with_a_message() {
    let app = TestApp::new(0).await;
    let mut c = app.signed_in().await;
    let list = c.get("/admin/account/?plan=annual&sort=email").await;
    assert_eq!(list.status, 200);
    let (_, form) = c.edit_form(&format!("/admin/account/{BOB}?_back=plan%3Dannual%26sort%3Demail")).await;
    let form = with(form, BOB_FIELDS);
    let form = with(form, &[("company", "Globex Seven Inc")]);
    let r = c.post(&format!("/admin/account/{BOB}"), &refs(&form)).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.location(), "/admin/account/?plan=annual&sort=email");
    let r = c.get(r.location()).await;
    r.assert_contains("Globex Seven Inc &lt;user2@globex-7-inc.example&gt; saved.");
    r.assert_contains("Globex Seven Inc");
    // The message shows once.
    c.get("/admin/account/").await.assert_lacks(" saved.");
    let bob = account::Entity::find_by_id(BOB).one(&app.db).await.unwrap().unwrap();
    assert_eq!(bob.company, "Globex Seven Inc");
    assert!(bob.manual_review, "a checked box saves as true");
}

#[tokio::test]
async fn validation_errors_keep_the_input_and_save_nothing() {
    let app = TestApp::new(0).await;
    let mut c = app.signed_in().await;
    let (_, form) = c.edit_form(&format!("/admin/account/{BOB}")).await;
    let form = with(form, BOB_FIELDS);
    let form = with(
        form,
        &[("company", "Typed by hand"), ("email", ""), ("signup_at", "yesterday"), ("plan", "platinum")],
    );
    let r = c.post(&format!("/admin/account/{BOB}"), &refs(&form)).await;
    assert_eq!(r.status, 400);
    r.assert_contains("This field is required.");
    r.assert_contains("Enter a date and time as YYYY-MM-DD HH:MM");
    r.assert_contains("Choose one of: Free, Trial, Monthly, Annual.");
    assert_eq!(r.input_value("company").as_deref(), Some("Typed by hand"));
    assert_eq!(r.input_value("signup_at").as_deref(), Some("yesterday"));
    let bob = account::Entity::find_by_id(BOB).one(&app.db).await.unwrap().unwrap();
    assert_eq!(bob.company, "Globex 7 Inc");
}

#[tokio::test]
async fn read_only_fields_are_ignored_when_posted() {
    let app = TestApp::new(0).await;
    let mut c = app.signed_in().await;
    let (_, form) = c.edit_form(&format!("/admin/account/{BOB}")).await;
    let form = with(form, BOB_FIELDS);
    let form =
        with(form, &[("billing_state", "canceled"), ("id", "77"), ("last_payment_result", "declined")]);
    let r = c.post(&format!("/admin/account/{BOB}"), &refs(&form)).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let bob = account::Entity::find_by_id(BOB).one(&app.db).await.unwrap().unwrap();
    assert_eq!(bob.billing_state, "ok");
    assert_eq!(bob.last_payment_result, None);
    assert!(account::Entity::find_by_id(77).one(&app.db).await.unwrap().is_none());
}

#[tokio::test]
async fn a_post_without_a_valid_csrf_token_is_403_and_changes_nothing() {
    let app = TestApp::new(0).await;
    let mut c = app.signed_in().await;
    let (_, form) = c.edit_form(&format!("/admin/account/{BOB}")).await;
    let good = with(form, BOB_FIELDS);
    let good = with(good, &[("company", "Hijacked")]);
    let missing: Vec<_> = good.iter().filter(|(k, _)| k != "csrf_token").cloned().collect();
    let wrong = with(good.clone(), &[("csrf_token", &"0".repeat(64))]);
    for form in [missing, wrong] {
        let r = c.post(&format!("/admin/account/{BOB}"), &refs(&form)).await;
        assert_eq!(r.status, 403);
        r.assert_contains("This form has expired or did not come from this site.");
    }
    for path in ["/admin/account/new", &format!("/admin/account/{BOB}/delete")] {
        assert_eq!(c.post(path, &[("company", "x")]).await.status, 403, "{path}");
    }
    let bob = account::Entity::find_by_id(BOB).one(&app.db).await.unwrap().unwrap();
    assert_eq!(bob.company, "Globex 7 Inc");
}

#[tokio::test]
async fn a_stale_version_gets_a_conflict_page_and_overwrites_nothing() {
    let app = TestApp::new(0).await;
    let mut first = app.signed_in().await;
    let mut second = app.signed_in().await;
    let (_, form1) = first.edit_form(&format!("/admin/account/{BOB}")).await;
    let (_, form2) = second.edit_form(&format!("/admin/account/{BOB}")).await;
    let r = first
        .post(
            &format!("/admin/account/{BOB}"),
            &refs(&with(with(form1, BOB_FIELDS), &[("company", "First wins")])),
        )
        .await;
    assert_eq!(r.status, 303);
    let r = second
        .post(
            &format!("/admin/account/{BOB}"),
            // A browser sends the time without seconds; that is no difference.
            &refs(&with(
                with(form2, BOB_FIELDS),
                &[("company", "Second loses"), ("signup_at", "2026-02-20T09:30")],
            )),
        )
        .await;
    assert_eq!(r.status, 409);
    r.assert_lacks("<th scope=\"row\">Signed up</th>");
    r.assert_contains("Someone else changed this record after you opened it, so nothing was saved.");
    r.assert_contains("<th scope=\"row\">Company</th><td>First wins</td><td>Second loses</td>");
    let bob = account::Entity::find_by_id(BOB).one(&app.db).await.unwrap().unwrap();
    assert_eq!(bob.company, "First wins");
    // Re-applying on top of the new version works.
    let mut again: Vec<(String, String)> = ["csrf_token", "_version", "_back"]
        .iter()
        .filter_map(|n| r.input_value(n).map(|v| ((*n).to_owned(), v)))
        .collect();
    again = with(with(again, BOB_FIELDS), &[("company", "Second, on top")]);
    let r = second.post(&format!("/admin/account/{BOB}"), &refs(&again)).await;
    assert_eq!(r.status, 303, "{}", r.body);
}

#[tokio::test]
async fn nullable_fields_can_be_cleared() {
    let app = TestApp::new(0).await;
    let mut c = app.signed_in().await;
    let (_, form) = c.edit_form("/admin/email_job/1").await;
    let form = with(
        form,
        &[
            ("account_id", "1"),
            ("kind", "welcome"),
            ("status", "queued"),
            ("attempts", "3"),
            ("last_error", ""),
        ],
    );
    let r = c.post("/admin/email_job/1", &refs(&form)).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let job = email_job::Entity::find_by_id(1).one(&app.db).await.unwrap().unwrap();
    assert_eq!(job.last_error, None);
    assert_eq!(job.status, "queued");
}

#[tokio::test]
async fn create_validates_then_saves() {
    let app = TestApp::new(0).await;
    let mut c = app.signed_in().await;
    let page = c.get("/admin/account/new").await;
    assert_eq!(page.status, 200);
    page.assert_lacks("name=\"id\"");
    let csrf = page.input_value("csrf_token").unwrap();
    let r = c
        .post(
            "/admin/account/new",
            &[("csrf_token", &csrf), ("email", "new@example.test"), ("plan", "trial")],
        )
        .await;
    assert_eq!(r.status, 400);
    r.assert_contains("This field is required.");
    assert_eq!(r.input_value("email").as_deref(), Some("new@example.test"));
    let r = c
        .post(
            "/admin/account/new",
            &[
                ("csrf_token", &csrf),
                ("email", "new@example.test"),
                ("company", "New Co"),
                ("plan", "trial"),
                ("signup_at", "2026-11-01 10:00"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.location(), "/admin/account/");
    c.get("/admin/account/").await.assert_contains("New Co &lt;new@example.test&gt; created.");
    let created = account::Entity::find_by_id(4).one(&app.db).await.unwrap().unwrap();
    assert_eq!(created.company, "New Co");
    assert_eq!(created.billing_state, "ok", "defaults come from the model's behaviour");
    // A duplicate e-mail is refused with a sentence, not a 500.
    let r = c
        .post(
            "/admin/account/new",
            &[
                ("csrf_token", &csrf),
                ("email", "new@example.test"),
                ("company", "Again"),
                ("plan", "trial"),
                ("signup_at", "2026-11-01 10:00"),
            ],
        )
        .await;
    assert_eq!(r.status, 400);
    r.assert_contains("Another record already has this value");
}

#[tokio::test]
async fn delete_asks_first_and_refuses_while_other_records_refer() {
    let app = TestApp::new(0).await;
    let mut c = app.signed_in().await;
    let r = c.get(&format!("/admin/account/{ALICE}/delete")).await;
    assert_eq!(r.status, 200);
    r.assert_contains("Acme 42 Ltd &lt;user1@acme-42-ltd.example&gt; cannot be deleted: 2 invoices and 1 email job still refer to it.");
    r.assert_lacks("<button type=\"submit\" class=\"danger\">");
    let csrf = c.csrf().await;
    let version = c.get(&format!("/admin/account/{ALICE}")).await.input_value("_version").unwrap();
    let r = c
        .post(&format!("/admin/account/{ALICE}/delete"), &[("csrf_token", &csrf), ("_version", &version)])
        .await;
    assert_eq!(r.status, 409);
    assert!(account::Entity::find_by_id(ALICE).one(&app.db).await.unwrap().is_some());

    let r = c.get(&format!("/admin/account/{CAROL}/delete")).await;
    r.assert_contains("Nothing else refers to Acme 420 GmbH &lt;user3@acme-420-gmbh.example&gt;.");
    let version = r.input_value("_version").unwrap();
    // A stale version is refused.
    let r = c
        .post(&format!("/admin/account/{CAROL}/delete"), &[("csrf_token", &csrf), ("_version", "stale")])
        .await;
    assert_eq!(r.status, 409);
    let r = c
        .post(&format!("/admin/account/{CAROL}/delete"), &[("csrf_token", &csrf), ("_version", &version)])
        .await;
    assert_eq!(r.status, 303);
    c.get("/admin/account/")
        .await
        .assert_contains("Acme 420 GmbH &lt;user3@acme-420-gmbh.example&gt; deleted.");
    assert!(account::Entity::find_by_id(CAROL).one(&app.db).await.unwrap().is_none());
}

#[tokio::test]
async fn output_is_escaped() {
    let app = TestApp::new(0).await;
    let mut c = app.signed_in().await;
    let (_, form) = c.edit_form(&format!("/admin/account/{BOB}")).await;
    let form = with(with(form, BOB_FIELDS), &[("company", "<script>alert(1)</script>")]);
    assert_eq!(c.post(&format!("/admin/account/{BOB}"), &refs(&form)).await.status, 303);
    for path in ["/admin/account/", "/admin/account/2", "/admin/account/?q=%3Cscript%3E"] {
        let r = c.get(path).await;
        r.assert_lacks("<script>alert(1)</script>");
        r.assert_contains("&lt;script&gt;");
    }
}

#[tokio::test]
async fn a_date_outside_the_years_both_backends_store_is_refused_not_a_server_error() {
    let app = TestApp::new(0).await;
    let mut c = app.signed_in().await;
    // Lists, exports and the audit log take such a date as a filter they cannot use.
    for path in [
        "/admin/account/?signup_at__from=-100000-01-01",
        "/admin/account/?signup_at__to=-4714-01-01",
        "/admin/account/export.csv?signup_at__from=-4714-01-01",
        "/admin/audit?from=-4714-01-01",
    ] {
        let r = c.get(path).await;
        assert!(r.status.as_u16() < 500, "{path}: {}", r.status);
    }
    // The edit form shows the field's message and saves nothing.
    let path = format!("/admin/account/{BOB}");
    let (_, base) = c.edit_form(&path).await;
    let before = account::Entity::find_by_id(BOB).one(&app.db).await.unwrap().unwrap();
    for (date, message) in [
        ("-100000-01-01T00:00", "Enter a date"),
        ("-4714-01-01T00:00", "Enter a date between the years 1 and 9999."),
        ("+10000-01-01T00:00", "Enter a date between the years 1 and 9999."),
    ] {
        let pairs = with(with(base.clone(), BOB_FIELDS), &[("signup_at", date)]);
        let r = c.post(&path, &refs(&pairs)).await;
        assert_eq!(r.status, 400, "{date}");
        r.assert_contains(message);
    }
    let after = account::Entity::find_by_id(BOB).one(&app.db).await.unwrap().unwrap();
    assert_eq!(before.signup_at, after.signup_at);
}
