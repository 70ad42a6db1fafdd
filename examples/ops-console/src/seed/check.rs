//! The rules the demo data keeps: an account's billing state, last payment result,
//! invoices and email jobs tell one story. [`DemoData::inconsistencies`] lists every
//! row that breaks one, so the seed's tests (and a test over a seeded database) can
//! say which rule and which account.

use std::collections::HashMap;

use super::DemoData;
use crate::models::account::{self, BillingState, PaymentResult, Plan};
use crate::models::email_job::{self, EmailKind, EmailStatus};
use crate::models::invoice::{self, InvoiceStatus};

/// What one account's rows say, gathered once.
#[derive(Default)]
struct Story<'a> {
    invoices: Vec<&'a invoice::Model>,
    jobs: Vec<&'a email_job::Model>,
}

impl Story<'_> {
    fn has_invoice(&self, status: InvoiceStatus) -> bool {
        self.invoices.iter().any(|i| i.status == status.as_str())
    }

    /// Whether money was ever taken: an invoice paid, or paid and then refunded or
    /// disputed.
    fn charged(&self) -> bool {
        [InvoiceStatus::Paid, InvoiceStatus::Refunded, InvoiceStatus::Disputed]
            .iter()
            .any(|s| self.has_invoice(*s))
    }

    fn has_job(&self, kind: EmailKind) -> bool {
        self.jobs.iter().any(|j| j.kind == kind.as_str())
    }
}

impl DemoData {
    /// Every broken rule, one sentence each naming the account, invoice or job; empty
    /// when the rows agree with each other.
    ///
    /// The rules: an account in *failed first charge* has a refused last payment, an
    /// open invoice, no paid one and a payment reminder; a *past due* account has a
    /// refused last payment, an open newest invoice and a paid one before it; an
    /// approved last payment goes with a paid invoice and a billing state of OK or
    /// canceled; an account never charged (no last payment result, free and trial
    /// plans) has no paid invoice; payment reminders go only to accounts whose charge
    /// was refused, receipts only to accounts that paid; an account's invoices share
    /// one currency and have positive amounts; a job is *queued* with no attempt and
    /// no error, *sent* with an attempt and no error, *failed* with an attempt and
    /// the error; `welcome_email_sent` says whether the one welcome job was sent.
    #[must_use]
    pub fn inconsistencies(&self) -> Vec<String> {
        let mut stories: HashMap<i64, Story<'_>> = HashMap::new();
        for i in &self.invoices {
            stories.entry(i.account_id).or_default().invoices.push(i);
        }
        for j in &self.email_jobs {
            stories.entry(j.account_id).or_default().jobs.push(j);
        }
        let empty = Story::default();
        let mut out = Vec::new();
        for a in &self.accounts {
            let story = stories.get(&a.id).unwrap_or(&empty);
            account_rules(a, story, &mut out);
        }
        for j in &self.email_jobs {
            job_rules(j, &mut out);
        }
        out
    }
}

fn account_rules(a: &account::Model, s: &Story<'_>, out: &mut Vec<String>) {
    let mut broken = |rule: &str| out.push(format!("account {}: {rule}", a.id));
    let last = a.last_payment_result.as_deref();
    let approved = last == Some(PaymentResult::Approved.as_str());
    let refused = last.is_some() && !approved;
    let state = a.billing_state.as_str();
    if state == BillingState::FailedFirstCharge.as_str() {
        if !refused {
            broken("failed first charge, but the last payment was not refused");
        }
        if s.charged() {
            broken("failed first charge, but an invoice was paid");
        }
        if !s.has_invoice(InvoiceStatus::Open) {
            broken("failed first charge, but no invoice is open");
        }
    }
    if state == BillingState::PastDue.as_str() {
        if !refused {
            broken("past due, but the last payment was not refused");
        }
        if s.invoices.last().is_none_or(|i| i.status != InvoiceStatus::Open.as_str()) {
            broken("past due, but the newest invoice is not open");
        }
        if !s.charged() {
            broken("past due, but nothing was ever paid (a failed first charge)");
        }
    }
    let refused_state =
        state == BillingState::PastDue.as_str() || state == BillingState::FailedFirstCharge.as_str();
    if refused_state != s.has_job(EmailKind::Dunning) {
        broken("payment reminders go exactly to accounts whose charge was refused");
    }
    if approved && (refused_state || !s.has_invoice(InvoiceStatus::Paid)) {
        broken("the last payment was approved, but the billing state or the invoices disagree");
    }
    let never_charged = last.is_none() || a.plan == Plan::Free.as_str() || a.plan == Plan::Trial.as_str();
    if never_charged && (s.charged() || last.is_some()) {
        broken("never charged (free, trial or no payment result), but has a payment");
    }
    if s.has_job(EmailKind::Receipt) && !s.charged() {
        broken("a receipt was sent, but nothing was paid");
    }
    if s.invoices.iter().any(|i| i.amount_cents <= 0 || i.currency != s.invoices[0].currency) {
        broken("invoices need positive amounts in one currency");
    }
    let welcome: Vec<_> = s.jobs.iter().filter(|j| j.kind == EmailKind::Welcome.as_str()).collect();
    if welcome.len() != 1 {
        broken("an account has exactly one welcome email job");
    } else if a.welcome_email_sent != (welcome[0].status == EmailStatus::Sent.as_str()) {
        broken("welcome email sent disagrees with its job");
    }
}

fn job_rules(j: &email_job::Model, out: &mut Vec<String>) {
    let ok = match j.status.as_str() {
        s if s == EmailStatus::Queued.as_str() => j.attempts == 0 && j.last_error.is_none(),
        s if s == EmailStatus::Sent.as_str() => j.attempts >= 1 && j.last_error.is_none(),
        s if s == EmailStatus::Failed.as_str() => j.attempts >= 1 && j.last_error.is_some(),
        _ => false,
    };
    if !ok {
        out.push(format!(
            "email job {}: status {} with {} attempts and error {:?}",
            j.id, j.status, j.attempts, j.last_error
        ));
    }
}
