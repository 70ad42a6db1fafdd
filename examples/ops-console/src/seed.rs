//! A small, deterministic demo data set that tells the story of one support week.
//!
//! Most accounts are healthy. Among the newest quarter of signups, the kinds of
//! trouble any SaaS support queue sees show up:
//!
//! - **Failed first charge.** The first charge after the trial was *declined* or hit
//!   *insufficient funds*: billing state *failed first charge*, the last payment
//!   result says why, one *open* invoice and no paid one, a payment reminder sent.
//! - **Past due.** A renewal charge failed: the newest invoice is *open*, the last
//!   payment result is not *approved*, and a payment reminder went out.
//! - **Welcome email never went out.** The welcome job *failed* after several
//!   attempts with the mail server's answer in `last_error`, or sits *queued* with no
//!   attempt since signup (stuck: "Requeue stuck job" is for these).
//!   `welcome_email_sent` is false exactly for these accounts.
//!
//! The rows agree with each other, as the billing system would leave them (the
//! `consistent` test checks every rule): the billing state, the last payment result,
//! the invoices and the email jobs tell the same story, so a dashboard tile or a
//! filter on one of them finds exactly the accounts it names. Accounts that upgraded
//! from the trial a few days in have a prorated, paid invoice and billing state OK.
//!
//! Older accounts rarely have any of this. The same seed always gives the same rows,
//! and no timestamp depends on the current time.

use chrono::{Duration, NaiveDate, NaiveDateTime};
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, IntoActiveModel,
    PaginatorTrait, TransactionTrait,
};

mod check;

use crate::models::account::{self, BillingState, PaymentResult, Plan};
use crate::models::email_job::{self, EmailKind, EmailStatus};
use crate::models::invoice::{self, Currency, InvoiceStatus};

/// How many accounts the demo data set has.
pub const DEMO_ACCOUNTS: usize = 300;

/// The seed `cargo run -p ops-console` uses.
pub const DEFAULT_SEED: u64 = 42;

/// Rows per `INSERT` statement (well inside SQLite's and PostgreSQL's parameter limits).
const BATCH: usize = 400;

/// Errors a failed delivery may leave behind, as mail servers word them.
pub const MAIL_ERRORS: &[&str] = &[
    "SMTP 550 mailbox unavailable",
    "SMTP 550 5.1.1 user unknown",
    "SMTP 421 4.7.0 try again later",
    "SMTP 554 5.7.1 message rejected as spam",
    "connection to smtp.mailer.example timed out after 30s",
];

/// SplitMix64: tiny, fast and good enough for demo data. Not for secrets.
#[derive(Clone, Debug)]
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Self(seed)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// A number in `lo..=hi`.
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        debug_assert!(lo <= hi);
        lo + self.below((hi - lo + 1) as u64) as i64
    }

    /// True with probability `per_mille / 1000`.
    fn chance(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }

    /// Picks by weight: `(item, weight)` pairs.
    fn weighted<T: Copy>(&mut self, items: &[(T, u64)]) -> T {
        let total: u64 = items.iter().map(|(_, w)| w).sum();
        let mut r = self.below(total);
        for &(item, w) in items {
            if r < w {
                return item;
            }
            r -= w;
        }
        items[items.len() - 1].0
    }
}

const WORDS: &[&str] = &[
    "Acme",
    "Globex",
    "Initech",
    "Umbrella",
    "Hooli",
    "Vandelay",
    "Stark",
    "Wayne",
    "Tyrell",
    "Cyberdyne",
    "Soylent",
    "Wonka",
    "Oscorp",
    "Aperture",
    "Monarch",
    "Nakatomi",
    "Sterling",
    "Dunder",
    "Bluth",
    "Prestige",
    "Gekko",
    "Weyland",
    "Yoyodyne",
    "Spacely",
    "Contoso",
    "Fabrikam",
    "Northwind",
    "Tailspin",
    "Wingtip",
    "Adatum",
];
const SUFFIXES: &[&str] = &["Ltd", "Inc", "GmbH", "LLC"];

fn ymd_hms(y: i32, m: u32, d: u32, h: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(y, m, d).and_then(|d| d.and_hms_opt(h, 0, 0)).expect("a valid constant date")
}

/// The first demo signup.
fn t_start() -> NaiveDateTime {
    ymd_hms(2025, 1, 1, 0)
}

/// "Now" in the demo world: the end of the support week. Nothing happens after it.
fn demo_now() -> NaiveDateTime {
    ymd_hms(2026, 11, 20, 17)
}

const DAY: i64 = 86_400;

/// What happened to an account, decided once per account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Story {
    Normal,
    /// Upgraded from the trial a few days in and paid a prorated invoice.
    UpgradedEarly,
    FailedFirstCharge,
}

/// What happened to the account's welcome email.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Welcome {
    Sent,
    Failed,
    Stuck,
}

/// The generated rows, ready to insert.
#[derive(Clone, Debug, Default)]
pub struct DemoData {
    /// Accounts, ids `1..=n`, oldest signup first.
    pub accounts: Vec<account::Model>,
    /// Invoices, ids from 1.
    pub invoices: Vec<invoice::Model>,
    /// Email jobs, ids from 1.
    pub email_jobs: Vec<email_job::Model>,
}

/// How many rows of each kind of trouble a data set holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Trouble {
    /// Accounts in "failed first charge" (their last payment was refused).
    pub failed_first_charge: usize,
    /// Accounts past due (a renewal charge was refused).
    pub past_due: usize,
    /// Welcome email jobs that failed.
    pub welcome_failed: usize,
    /// Welcome email jobs still queued.
    pub welcome_queued: usize,
}

impl DemoData {
    /// Counts the trouble states in these rows.
    #[must_use]
    pub fn trouble(&self) -> Trouble {
        let mut t = Trouble::default();
        for a in &self.accounts {
            if a.billing_state == BillingState::FailedFirstCharge.as_str() {
                t.failed_first_charge += 1;
            } else if a.billing_state == BillingState::PastDue.as_str() {
                t.past_due += 1;
            }
        }
        for j in &self.email_jobs {
            if j.kind == EmailKind::Welcome.as_str() {
                if j.status == EmailStatus::Failed.as_str() {
                    t.welcome_failed += 1;
                } else if j.status == EmailStatus::Queued.as_str() {
                    t.welcome_queued += 1;
                }
            }
        }
        t
    }
}

fn slug(name: &str) -> String {
    name.to_lowercase().replace(' ', "-")
}

/// About one company per ten accounts; the first is always "Acme 42 Ltd".
fn companies(rng: &mut Rng, n: usize) -> Vec<String> {
    let mut out = vec!["Acme 42 Ltd".to_owned()];
    while out.len() < n {
        let name = format!("{} {} {}", rng.pick(WORDS), rng.range(1, 99), rng.pick(SUFFIXES));
        if !out.contains(&name) {
            out.push(name);
        }
    }
    out
}

/// Rows are built here, then given ids in order.
struct Builder {
    rng: Rng,
    data: DemoData,
}

/// `seconds` after `base`, but never after the demo's "now".
fn at(base: NaiveDateTime, seconds: i64) -> NaiveDateTime {
    Ord::min(base + Duration::seconds(seconds), demo_now())
}

impl Builder {
    fn invoice(
        &mut self,
        account_id: i64,
        amount_cents: i64,
        currency: Currency,
        status: InvoiceStatus,
        issued_at: NaiveDateTime,
    ) {
        let id = self.data.invoices.len() as i64 + 1;
        self.data.invoices.push(invoice::Model {
            id,
            account_id,
            number: format!("INV-{id:08}"),
            amount_cents,
            currency: currency.as_str().to_owned(),
            status: status.as_str().to_owned(),
            issued_at,
        });
    }

    fn job(
        &mut self,
        account_id: i64,
        kind: EmailKind,
        status: EmailStatus,
        attempts: i32,
        last_error: Option<&str>,
        updated_at: NaiveDateTime,
    ) {
        let id = self.data.email_jobs.len() as i64 + 1;
        self.data.email_jobs.push(email_job::Model {
            id,
            account_id,
            kind: kind.as_str().to_owned(),
            status: status.as_str().to_owned(),
            attempts,
            last_error: last_error.map(str::to_owned),
            updated_at,
        });
    }

    /// A delivered email: one attempt, sometimes two after a soft bounce.
    fn sent_job(&mut self, account_id: i64, kind: EmailKind, when: NaiveDateTime) {
        let attempts = if self.rng.chance(100) { 2 } else { 1 };
        self.job(account_id, kind, EmailStatus::Sent, attempts, None, when);
    }

    fn account(&mut self, id: i64, n: usize, companies: &[String]) {
        let rng = &mut self.rng;
        let span = (demo_now() - t_start()).num_seconds() - 30 * DAY;
        let signup_s = (id - 1) * span / n as i64 + rng.range(0, 6 * 3600);
        let signup = t_start() + Duration::seconds(signup_s);
        let recent = id as usize > n * 3 / 4;
        let company = companies[rng.below(companies.len() as u64) as usize].clone();
        let currency = rng.weighted(&[(Currency::Usd, 60), (Currency::Eur, 25), (Currency::Gbp, 15)]);

        let story = if recent {
            rng.weighted(&[(Story::Normal, 68), (Story::UpgradedEarly, 18), (Story::FailedFirstCharge, 14)])
        } else {
            rng.weighted(&[(Story::Normal, 99), (Story::FailedFirstCharge, 1)])
        };
        let welcome = if recent {
            rng.weighted(&[(Welcome::Sent, 78), (Welcome::Failed, 12), (Welcome::Stuck, 10)])
        } else {
            rng.weighted(&[(Welcome::Sent, 98), (Welcome::Failed, 2)])
        };

        let paid_plan = |rng: &mut Rng| rng.weighted(&[(Plan::Monthly, 70), (Plan::Annual, 30)]);
        let (plan, mut state, last) = match story {
            Story::Normal => {
                let mut plan = rng.weighted(&[
                    (Plan::Free, 45),
                    (Plan::Trial, 10),
                    (Plan::Monthly, 30),
                    (Plan::Annual, 15),
                ]);
                if plan == Plan::Trial && !recent {
                    // Old trials ran out long ago.
                    plan = Plan::Free;
                }
                let state = match plan {
                    Plan::Free => rng.weighted(&[(BillingState::Ok, 92), (BillingState::Canceled, 8)]),
                    Plan::Trial => BillingState::Ok,
                    Plan::Monthly => rng.weighted(&[
                        (BillingState::Ok, 86),
                        (BillingState::PastDue, 8),
                        (BillingState::Canceled, 6),
                    ]),
                    Plan::Annual => rng.weighted(&[
                        (BillingState::Ok, 90),
                        (BillingState::PastDue, 4),
                        (BillingState::Canceled, 6),
                    ]),
                };
                let paying = matches!(plan, Plan::Monthly | Plan::Annual);
                let last = match state {
                    BillingState::PastDue => Some(rng.pick(&[
                        PaymentResult::Declined,
                        PaymentResult::InsufficientFunds,
                        PaymentResult::ExpiredCard,
                    ])),
                    BillingState::Canceled if paying && rng.chance(300) => Some(PaymentResult::ExpiredCard),
                    _ if paying => Some(PaymentResult::Approved),
                    _ => None,
                };
                (plan, state, last)
            }
            Story::UpgradedEarly => (paid_plan(rng), BillingState::Ok, Some(PaymentResult::Approved)),
            Story::FailedFirstCharge => (
                paid_plan(rng),
                BillingState::FailedFirstCharge,
                Some(rng.weighted(&[(PaymentResult::Declined, 60), (PaymentResult::InsufficientFunds, 40)])),
            ),
        };

        let price = match plan {
            Plan::Annual => rng.pick(&[19_000, 49_000, 99_000]),
            _ => rng.pick(&[1_900, 4_900, 9_900]),
        };
        let manual_review = rng.chance(20);
        let locked = rng.chance(10);
        let mut touched = signup;

        // Invoices, and the receipts and reminders that go with them.
        match story {
            Story::Normal => match plan {
                Plan::Free => {}
                Plan::Trial => {
                    let when = at(signup, 60);
                    self.invoice(id, price, currency, InvoiceStatus::Draft, when);
                }
                Plan::Monthly | Plan::Annual => {
                    let (period, max) = if plan == Plan::Monthly { (30, 12) } else { (365, 2) };
                    let count = self.rng.range(2, max);
                    let dates: Vec<NaiveDateTime> = (0..count)
                        .map(|k| {
                            signup
                                + Duration::days(14 + k * period)
                                + Duration::seconds(self.rng.range(0, 3600))
                        })
                        .take_while(|t| *t <= demo_now())
                        .collect();
                    if state == BillingState::PastDue && dates.len() < 2 {
                        // Nothing was paid before the refused charge: that is a
                        // failed first charge, not a renewal.
                        state = BillingState::FailedFirstCharge;
                    }
                    let refused = matches!(state, BillingState::PastDue | BillingState::FailedFirstCharge);
                    // The newest invoice is unpaid when its charge was refused, and now
                    // and then simply not yet paid.
                    let newest_open =
                        refused || (state == BillingState::Ok && dates.len() > 1 && self.rng.chance(60));
                    // The newest invoice that was charged agrees with the last payment
                    // result: paid when it was approved (or before a refused renewal),
                    // void when a canceled account's card had expired.
                    let charged = dates.len().checked_sub(if newest_open { 2 } else { 1 });
                    for (k, &issued) in dates.iter().enumerate() {
                        let status = if k + 1 == dates.len() && newest_open {
                            InvoiceStatus::Open
                        } else if state == BillingState::FailedFirstCharge {
                            InvoiceStatus::Void
                        } else if Some(k) == charged {
                            if last == Some(PaymentResult::Approved) || state == BillingState::PastDue {
                                InvoiceStatus::Paid
                            } else {
                                InvoiceStatus::Void
                            }
                        } else {
                            self.rng.weighted(&[
                                (InvoiceStatus::Paid, 90),
                                (InvoiceStatus::Refunded, 4),
                                (InvoiceStatus::Disputed, 2),
                                (InvoiceStatus::Void, 4),
                            ])
                        };
                        self.invoice(id, price, currency, status, issued);
                        touched = issued;
                        if status == InvoiceStatus::Paid && self.rng.chance(200) {
                            let when = at(issued, 120);
                            if self.rng.chance(30) {
                                let err = self.rng.pick(MAIL_ERRORS);
                                let attempts = self.rng.range(2, 5) as i32;
                                self.job(
                                    id,
                                    EmailKind::Receipt,
                                    EmailStatus::Failed,
                                    attempts,
                                    Some(err),
                                    when,
                                );
                            } else {
                                self.sent_job(id, EmailKind::Receipt, when);
                            }
                        }
                        if status == InvoiceStatus::Open && refused {
                            let when = at(issued, 3 * DAY);
                            self.sent_job(id, EmailKind::Dunning, when);
                        }
                    }
                }
            },
            Story::UpgradedEarly => {
                // Upgraded a few days into the trial: a prorated invoice, paid at once.
                let upgraded = at(signup, self.rng.range(2 * DAY, 10 * DAY));
                let prorated = price * self.rng.range(30, 90) / 100;
                self.invoice(id, prorated, currency, InvoiceStatus::Paid, upgraded);
                self.sent_job(id, EmailKind::Receipt, at(upgraded, 60));
                touched = upgraded;
            }
            Story::FailedFirstCharge => {
                let charged = at(signup, 14 * DAY);
                self.invoice(id, price, currency, InvoiceStatus::Open, charged);
                let reminded = at(charged, 3600);
                self.sent_job(id, EmailKind::Dunning, reminded);
                touched = reminded;
            }
        }

        // The welcome email, and the account flag that must agree with it.
        match welcome {
            Welcome::Sent => {
                let when = at(signup, self.rng.range(5, 90));
                self.sent_job(id, EmailKind::Welcome, when);
            }
            Welcome::Failed => {
                let err = self.rng.pick(MAIL_ERRORS);
                let attempts = self.rng.range(3, 5) as i32;
                let when = at(signup, self.rng.range(3600, 6 * 3600));
                self.job(id, EmailKind::Welcome, EmailStatus::Failed, attempts, Some(err), when);
            }
            Welcome::Stuck => {
                let when = at(signup, self.rng.range(1, 5));
                self.job(id, EmailKind::Welcome, EmailStatus::Queued, 0, None, when);
            }
        }
        if self.rng.chance(50) {
            let when = at(signup, self.rng.range(DAY, 60 * DAY));
            self.sent_job(id, EmailKind::PasswordReset, when);
        }

        let email = format!("user{id}@{}.example", slug(&company));
        let updated_at = Ord::max(touched, at(signup, self.rng.range(0, 30 * DAY)));
        self.data.accounts.push(account::Model {
            id,
            email,
            company,
            plan: plan.as_str().to_owned(),
            billing_state: state.as_str().to_owned(),
            last_payment_result: last.map(|r| r.as_str().to_owned()),
            signup_at: signup,
            welcome_email_sent: welcome == Welcome::Sent,
            manual_review,
            locked,
            updated_at,
        });
    }
}

/// Builds the demo rows for `n` accounts. Pure: the same seed and size always give
/// the same rows.
#[must_use]
pub fn generate(rng_seed: u64, n: usize) -> DemoData {
    let mut rng = Rng::new(rng_seed);
    let names = companies(&mut rng, Ord::max(n / 10, 1));
    let mut b = Builder { rng, data: DemoData::default() };
    for id in 1..=n {
        b.account(id as i64, n, &names);
    }
    b.data
}

/// What [`seed_demo`] inserted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SeedSummary {
    /// Accounts inserted.
    pub accounts: usize,
    /// Invoices inserted.
    pub invoices: usize,
    /// Email jobs inserted.
    pub email_jobs: usize,
    /// The trouble states among them.
    pub trouble: Trouble,
}

impl std::fmt::Display for SeedSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let t = &self.trouble;
        write!(
            f,
            "{} accounts, {} invoices, {} email jobs; {} failed first charges, {} past due, \
             {} failed and {} stuck welcome emails",
            self.accounts,
            self.invoices,
            self.email_jobs,
            t.failed_first_charge,
            t.past_due,
            t.welcome_failed,
            t.welcome_queued
        )
    }
}

async fn insert_batched<C, A, M>(conn: &C, rows: Vec<M>) -> Result<(), DbErr>
where
    C: ConnectionTrait,
    A: ActiveModelTrait + Send,
    M: IntoActiveModel<A>,
{
    let mut rows = rows.into_iter().map(IntoActiveModel::into_active_model).peekable();
    while rows.peek().is_some() {
        let batch: Vec<A> = rows.by_ref().take(BATCH).collect();
        <A::Entity as EntityTrait>::insert_many(batch).exec_without_returning(conn).await?;
    }
    Ok(())
}

/// Fills an empty database with the demo data set ([`DEMO_ACCOUNTS`] accounts, about
/// two invoices and one and a half email jobs each), in one transaction.
///
/// Does nothing and returns `None` when there is already an account, so it is safe to
/// call at every start.
///
/// # Errors
/// When the database refuses a statement; nothing is inserted then.
pub async fn seed_demo(db: &DatabaseConnection, rng_seed: u64) -> Result<Option<SeedSummary>, DbErr> {
    if account::Entity::find().count(db).await? > 0 {
        return Ok(None);
    }
    let data = generate(rng_seed, DEMO_ACCOUNTS);
    let summary = SeedSummary {
        accounts: data.accounts.len(),
        invoices: data.invoices.len(),
        email_jobs: data.email_jobs.len(),
        trouble: data.trouble(),
    };
    let txn = db.begin().await?;
    insert_batched(&txn, data.accounts).await?;
    insert_batched(&txn, data.invoices).await?;
    insert_batched(&txn, data.email_jobs).await?;
    if txn.get_database_backend() == DbBackend::Postgres {
        // The ids were given explicitly; move the sequences past them.
        for table in ["account", "invoice", "email_job"] {
            txn.execute_unprepared(&format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"
            ))
            .await?;
        }
    }
    txn.commit().await?;
    Ok(Some(summary))
}

#[cfg(test)]
mod tests {
    use super::*;
    use opsadmin::AdminChoices;
    use std::collections::HashMap;

    #[test]
    fn the_same_seed_gives_the_same_rows() {
        let a = generate(7, DEMO_ACCOUNTS);
        let b = generate(7, DEMO_ACCOUNTS);
        assert_eq!(a.accounts, b.accounts);
        assert_eq!(a.invoices, b.invoices);
        assert_eq!(a.email_jobs, b.email_jobs);
        let c = generate(8, DEMO_ACCOUNTS);
        assert_ne!(a.accounts, c.accounts);
    }

    #[test]
    fn sizes_are_about_two_invoices_and_one_and_a_half_jobs_per_account() {
        for seed in [1, 2, 3, 4, 5, DEFAULT_SEED, 1234] {
            let d = generate(seed, DEMO_ACCOUNTS);
            assert_eq!(d.accounts.len(), DEMO_ACCOUNTS);
            let inv = d.invoices.len() as f64 / DEMO_ACCOUNTS as f64;
            let jobs = d.email_jobs.len() as f64 / DEMO_ACCOUNTS as f64;
            assert!((1.6..=2.4).contains(&inv), "seed {seed}: {inv} invoices per account");
            assert!((1.3..=1.8).contains(&jobs), "seed {seed}: {jobs} jobs per account");
        }
    }

    #[test]
    fn every_trouble_state_has_a_realistic_share() {
        for seed in [1, DEFAULT_SEED, 1234] {
            let t = generate(seed, DEMO_ACCOUNTS).trouble();
            // The newest quarter (75 accounts) holds most of it.
            assert!((5..=30).contains(&t.failed_first_charge), "seed {seed}: {t:?}");
            assert!((5..=40).contains(&t.past_due), "seed {seed}: {t:?}");
            assert!((4..=25).contains(&t.welcome_failed), "seed {seed}: {t:?}");
            assert!((1..=15).contains(&t.welcome_queued), "seed {seed}: {t:?}");
        }
    }

    #[test]
    fn rows_agree_with_the_schema_and_each_other() {
        let d = generate(DEFAULT_SEED, DEMO_ACCOUNTS);
        let valid = |choices: &[opsadmin::Choice], v: &str| choices.iter().any(|c| c.value == v);
        let mut welcome: HashMap<i64, &str> = HashMap::new();
        for j in &d.email_jobs {
            assert!(valid(EmailKind::CHOICES, &j.kind), "{j:?}");
            assert!(valid(EmailStatus::CHOICES, &j.status), "{j:?}");
            assert_eq!(j.status == "failed", j.last_error.is_some(), "{j:?}");
            if j.kind == "welcome" {
                assert!(welcome.insert(j.account_id, &j.status).is_none(), "one welcome job per account");
            }
        }
        let mut emails = std::collections::HashSet::new();
        for (i, a) in d.accounts.iter().enumerate() {
            assert_eq!(a.id, i as i64 + 1);
            assert!(a.email.starts_with(&format!("user{}@", a.id)) && a.email.ends_with(".example"));
            assert!(emails.insert(a.email.clone()));
            assert!(valid(Plan::CHOICES, &a.plan), "{a:?}");
            assert!(valid(BillingState::CHOICES, &a.billing_state), "{a:?}");
            if let Some(r) = &a.last_payment_result {
                assert!(valid(PaymentResult::CHOICES, r), "{a:?}");
            }
            assert!(a.updated_at >= a.signup_at && a.updated_at <= demo_now());
            assert_eq!(a.welcome_email_sent, welcome[&a.id] == "sent", "{a:?}");
        }
        let mut prev = None;
        for inv in &d.invoices {
            assert!(valid(Currency::CHOICES, &inv.currency), "{inv:?}");
            assert!(valid(InvoiceStatus::CHOICES, &inv.status), "{inv:?}");
            assert_eq!(inv.number, format!("INV-{:08}", inv.id));
            assert!(inv.issued_at >= d.accounts[inv.account_id as usize - 1].signup_at);
            assert!(prev < Some(inv.id));
            prev = Some(inv.id);
        }
        assert!(d.accounts.iter().any(|a| a.company == "Acme 42 Ltd"));
        assert!(d.accounts.windows(2).all(|w| w[0].signup_at < w[1].signup_at), "ids grow with signup");
    }

    #[test]
    fn consistent_billing_state_payment_result_invoices_and_email_jobs() {
        for seed in [1, 2, 3, DEFAULT_SEED, 1234, 99_999] {
            let problems = generate(seed, DEMO_ACCOUNTS).inconsistencies();
            assert!(problems.is_empty(), "seed {seed}:\n{}", problems.join("\n"));
        }
        // The check does catch a stale flag: a paid account still marked as failed.
        let mut d = generate(DEFAULT_SEED, DEMO_ACCOUNTS);
        let paid =
            d.accounts.iter_mut().find(|a| a.last_payment_result.as_deref() == Some("approved")).unwrap();
        paid.billing_state = BillingState::FailedFirstCharge.as_str().to_owned();
        let id = paid.id;
        let problems = d.inconsistencies();
        assert!(
            problems.contains(&format!(
                "account {id}: failed first charge, but the last payment was not refused"
            )),
            "{problems:?}"
        );
    }

    #[test]
    fn choice_values_match_the_stored_text() {
        assert_eq!(Plan::Annual.as_str(), "annual");
        assert_eq!(BillingState::FailedFirstCharge.as_str(), "failed_first_charge");
        assert_eq!(PaymentResult::InsufficientFunds.as_str(), "insufficient_funds");
        assert_eq!(Currency::Gbp.as_str(), "GBP");
        assert_eq!(InvoiceStatus::Refunded.as_str(), "refunded");
        assert_eq!(EmailKind::PasswordReset.as_str(), "password_reset");
        assert_eq!(EmailStatus::Queued.as_str(), "queued");
    }

    #[test]
    fn rng_ranges_stay_in_bounds() {
        let mut rng = Rng::new(3);
        for _ in 0..10_000 {
            let v = rng.range(-2, 5);
            assert!((-2..=5).contains(&v));
        }
        assert_eq!(Rng::new(9).next_u64(), Rng::new(9).next_u64());
    }
}
