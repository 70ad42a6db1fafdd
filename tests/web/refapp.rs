//! The reference app is honest: its demo data agrees with itself, its dashboard tiles
//! list what they say, the account list shows and filters the payment result, and
//! support can act on email jobs where they are, with reasons in plain words.
//!
//! Runs on the demo data set, seeded into a fresh database of the backend under test.

use ops_console::models::{account, email_job, invoice};
use ops_console::seed::{DEFAULT_SEED, DemoData, seed_demo};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};

use super::support::{Backend, PASSWORD, TestApp, USER, client_for, empty_database, refs};

/// The console over a fresh database holding the demo data, and its admin user.
async fn demo_app() -> TestApp {
    let url = empty_database().await;
    let db = ops_console::connect(&url).await.expect("connect");
    ops_console::prepare(&db).await.expect("prepare");
    seed_demo(&db, DEFAULT_SEED).await.expect("seed").expect("an empty database takes the demo data");
    opsadmin::auth::create_user(&db, USER, PASSWORD, &["admin"], true).await.expect("user");
    let path = url.strip_prefix("sqlite://").and_then(|r| r.split('?').next()).unwrap_or_default().into();
    let router = ops_console::app(db.clone());
    TestApp { db, router, path, backend: Backend::from_env(), url }
}

/// The rows of the first results table.
fn tbody(body: &str) -> &str {
    let start = body.find("<tbody>").expect("a results table");
    let end = body[start..].find("</tbody>").expect("the table's end") + start;
    &body[start..end]
}

#[tokio::test]
async fn the_seeded_demo_rows_agree_with_each_other() {
    let app = demo_app().await;
    let data = DemoData {
        accounts: account::Entity::find().order_by_asc(account::Column::Id).all(&app.db).await.unwrap(),
        invoices: invoice::Entity::find().order_by_asc(invoice::Column::Id).all(&app.db).await.unwrap(),
        email_jobs: email_job::Entity::find().order_by_asc(email_job::Column::Id).all(&app.db).await.unwrap(),
    };
    assert_eq!(data.accounts.len(), ops_console::seed::DEMO_ACCOUNTS);
    let problems = data.inconsistencies();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[tokio::test]
async fn failed_first_charges_tile_lists_only_refused_payments_shown_in_their_own_column() {
    let app = demo_app().await;
    let mut c = app.signed_in().await;
    let expected = account::Entity::find()
        .filter(account::Column::BillingState.eq("failed_first_charge"))
        .count(&app.db)
        .await
        .unwrap();
    assert!(expected >= 5, "the demo has failed first charges: {expected}");
    let dash = c.get("/admin/").await;
    dash.assert_contains("href=\"/admin/account/?billing_state=failed_first_charge\"");
    let list = c.get("/admin/account/?billing_state=failed_first_charge").await;
    assert_eq!(list.row_count() as u64, expected);
    list.assert_contains("Last payment result");
    let rows = tbody(&list.body);
    assert!(!rows.contains("Approved"), "a failed first charge with an approved payment:\n{rows}");
    let refused = ["Declined", "Insufficient funds", "Expired card"];
    assert_eq!(
        refused.iter().map(|r| rows.matches(&format!(">{r}<")).count() as u64).sum::<u64>(),
        expected,
        "each row shows why its charge was refused"
    );

    // The list filters by the payment result too: no approved payment hides there.
    let none = c.get("/admin/account/?billing_state=failed_first_charge&last_payment_result=approved").await;
    assert_eq!(none.status, 200);
    assert_eq!(none.row_count(), 0);
    let declined = account::Entity::find()
        .filter(account::Column::LastPaymentResult.eq("declined"))
        .count(&app.db)
        .await
        .unwrap();
    let r = c.get("/admin/account/?last_payment_result=declined").await;
    assert_eq!(r.row_count() as u64, declined.min(100));
    // And by whether the welcome email went out.
    let r = c.get("/admin/account/?welcome_email_sent=0").await;
    let unwelcomed = account::Entity::find()
        .filter(account::Column::WelcomeEmailSent.eq(false))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(r.row_count() as u64, unwelcomed.min(100));
}

/// The demo's first email job with this status (and, for queued ones, no attempt).
async fn first_job(app: &TestApp, status: &str) -> email_job::Model {
    email_job::Entity::find()
        .filter(email_job::Column::Status.eq(status))
        .filter(email_job::Column::Kind.eq("welcome"))
        .order_by_asc(email_job::Column::Id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("a {status} welcome job in the demo"))
}

#[tokio::test]
async fn support_retries_and_requeues_from_the_email_job_list_with_plain_reasons() {
    let app = demo_app().await;
    let mut sue = client_for(&app, "sue", "support").await;
    let list = sue.get("/admin/email_job/?status=failed").await;
    list.assert_contains("name=\"ids\"");
    list.assert_contains("Retry");
    list.assert_contains("Requeue stuck job");
    let (failed, sent, stuck) =
        (first_job(&app, "failed").await, first_job(&app, "sent").await, first_job(&app, "queued").await);
    // The job page offers them too.
    let page = sue.get(&format!("/admin/email_job/{}", failed.id)).await;
    page.assert_contains("/admin/email_job/actions/retry_email_job");
    page.assert_contains("/admin/email_job/actions/requeue_stuck_job");

    // The confirmation names what would be skipped, and why, in plain words.
    let csrf = sue.csrf().await;
    let ids = [failed.id.to_string(), sent.id.to_string(), stuck.id.to_string()];
    let confirm = sue
        .post(
            "/admin/email_job/actions/retry_email_job",
            &[("csrf_token", &csrf), ("ids", &ids[0]), ("ids", &ids[1]), ("ids", &ids[2])],
        )
        .await;
    assert_eq!(confirm.status, 200);
    confirm.assert_contains("1 email job will be changed");
    confirm.assert_contains("2 email jobs will be skipped");
    confirm.assert_contains(&format!(
        "Cannot retry: email job {} was already sent on {}.",
        sent.id,
        sent.updated_at.format("%Y-%m-%d")
    ));
    confirm.assert_contains(&format!(
        "Cannot retry: email job {} has been queued since {} and was never tried.",
        stuck.id,
        stuck.updated_at.format("%Y-%m-%d")
    ));

    // Requeue takes the stuck job only, and asks for a reason.
    let confirm = sue
        .post(
            "/admin/email_job/actions/requeue_stuck_job",
            &[("csrf_token", &csrf), ("ids", &ids[0]), ("ids", &ids[2])],
        )
        .await;
    confirm.assert_contains("1 email job will be changed");
    confirm.assert_contains(&format!(
        "Cannot requeue: email job {} is not queued, it is failed. Use \u{201c}Retry\u{201d} instead.",
        failed.id
    ));
    confirm.assert_contains("id=\"id_reason\"");

    // A viewer sees the jobs but not the actions.
    let mut vic = client_for(&app, "vic", "viewer").await;
    vic.get("/admin/email_job/").await.assert_lacks("Requeue stuck job");
}

#[tokio::test]
async fn the_account_retry_points_a_stuck_welcome_email_to_the_requeue() {
    let app = demo_app().await;
    let stuck = first_job(&app, "queued").await;
    let mut sue = client_for(&app, "sue", "support").await;
    let csrf = sue.csrf().await;
    let r = sue
        .post(
            "/admin/account/actions/retry_welcome_email",
            &[("csrf_token", &csrf), ("ids", &stuck.account_id.to_string())],
        )
        .await;
    r.assert_contains(&format!(
        "Cannot retry: welcome email job {} has been queued since {} and was never tried. \
         Use \u{201c}Requeue stuck job\u{201d} on that email job.",
        stuck.id,
        stuck.updated_at.format("%Y-%m-%d")
    ));
    r.assert_lacks("a retry is already queued");
}

/// The fields of invoice 1 of the small fixture (4900 USD, paid), as its form posts them.
fn invoice_fields(amount: &str, currency: &str) -> Vec<(String, String)> {
    [
        ("account_id", "1"),
        ("number", "INV-00000001"),
        ("amount_cents", amount),
        ("currency", currency),
        ("status", "paid"),
        ("issued_at", "2026-01-11T09:30:00"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect()
}

#[tokio::test]
async fn amounts_read_as_money_and_are_typed_in_major_units() {
    let app = TestApp::new(0).await;
    let mut c = app.signed_in().await;
    let list = c.get("/admin/invoice/").await;
    assert!(tbody(&list.body).contains("$49.00"), "{}", tbody(&list.body));
    list.assert_lacks("Amount (cents)");
    let (page, mut form) = c.edit_form("/admin/invoice/1").await;
    assert_eq!(page.input_value("amount_cents").as_deref(), Some("49.00"));
    page.assert_contains("inputmode=\"decimal\"");

    // "1,250.5" euros are stored as 125050 cents, and shown in euros.
    form.extend(invoice_fields("1,250.5", "EUR"));
    let r = c.post("/admin/invoice/1", &refs(&form)).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let inv = invoice::Entity::find_by_id(1).one(&app.db).await.unwrap().unwrap();
    assert_eq!((inv.amount_cents, inv.currency.as_str()), (125_050, "EUR"));
    c.get("/admin/invoice/").await.assert_contains("€1,250.50");
    // A CSV export keeps a plain, locale-neutral amount next to the currency.
    let csv = c.get("/admin/invoice/export.csv").await;
    assert!(csv.body.contains(",1250.50,") || csv.body.contains(",1250.50\r\n"), "{}", csv.body);
    csv.assert_lacks("€");

    // More decimals than the currency has is refused with a plain message.
    let (_, mut form) = c.edit_form("/admin/invoice/1").await;
    form.extend(invoice_fields("19.999", "EUR"));
    let r = c.post("/admin/invoice/1", &refs(&form)).await;
    assert_eq!(r.status, 400);
    r.assert_contains("Enter an amount with at most 2 decimal places.");
    let (_, mut form) = c.edit_form("/admin/invoice/1").await;
    form.extend(invoice_fields("lots", "USD"));
    let r = c.post("/admin/invoice/1", &refs(&form)).await;
    r.assert_contains("Enter an amount like 190.00.");
    assert_eq!(invoice::Entity::find_by_id(1).one(&app.db).await.unwrap().unwrap().amount_cents, 125_050);
}

#[tokio::test]
async fn a_refund_reads_as_money_and_a_finished_approval_shows_one_outcome() {
    let app = TestApp::new(0).await;
    let mut fay = client_for(&app, "fay", "finance").await;
    let mut fin = client_for(&app, "fin", "finance").await;
    let csrf = fay.csrf().await;
    let page =
        fay.post("/admin/invoice/actions/refund_invoice", &[("csrf_token", &csrf), ("ids", "1")]).await;
    page.assert_contains("$49.00");
    let key = page.input_value("idempotency_key").unwrap();
    let r = fay
        .post(
            "/admin/invoice/actions/refund_invoice",
            &[
                ("csrf_token", &csrf),
                ("confirm", "1"),
                ("idempotency_key", &key),
                ("ids", "1"),
                ("reason", "Charged twice"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let url = r.location().to_owned();
    assert!(url.starts_with("/admin/approvals/"), "{url}");
    let pending = fin.get(&url).await;
    pending.assert_contains("Refund invoice INV-00000001 for account 1 ($49.00)");
    pending.assert_contains("The records as they are now");

    let fin_csrf = fin.csrf().await;
    assert_eq!(fin.post(&format!("{url}/approve"), &[("csrf_token", &fin_csrf)]).await.status, 303);
    let work =
        admin_core::approval::work_once(&app.db, &ops_console::registry(), &ops_console::roles::roles())
            .await
            .unwrap();
    assert!(matches!(work, admin_core::approval::Work::Done(_)), "{work:?}");
    let done = fin.get(&url).await;
    done.assert_contains("Done: refunded INV-00000001 for account 1 ($49.00)");
    // The invoice is refunded now, which would block a new refund: that is no
    // failure of this request, so it is not shown as one.
    done.assert_lacks("Blocked since the request");
    done.assert_lacks("already refunded");
}
