//! The email job actions, on the email job list and each job's page, where the
//! failed and stuck jobs are: "Retry" for a job that failed or bounced, and "Requeue
//! stuck job" for one queued for more than a day that was never tried.
//!
//! Both put the job in the queue and schedule a `mail` effect for it (see
//! [`opsadmin::action::Effect`]): written in the run's transaction and carried out
//! by the mail worker after commit, which then marks the job sent or bounced. A
//! preview lists the email it would send and sends nothing.

use opsadmin::AdminChoices;
use opsadmin::action::{Action, Blocked, Effect, NoInput, Outcome, Policy, RunContext};
use sea_orm::ActiveValue::Set;
use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel};

use crate::models::account;
use crate::models::email_job::{self, EmailKind, EmailStatus, STUCK_AFTER};

/// The label staff read for a stored status ("Failed").
fn status_label(status: &str) -> &str {
    EmailStatus::CHOICES.iter().find(|c| c.value == status).map_or(status, |c| c.label)
}

/// What the email is called in a sentence ("the welcome email").
fn what(kind: &str) -> &'static str {
    match kind {
        k if k == EmailKind::Welcome.as_str() => "the welcome email",
        k if k == EmailKind::Receipt.as_str() => "the payment receipt",
        k if k == EmailKind::PasswordReset.as_str() => "the password reset email",
        k if k == EmailKind::Dunning.as_str() => "the payment reminder",
        _ => "the email",
    }
}

/// The subject and body of a job's email, as the mail effect sends it.
#[must_use]
pub fn message(job: &email_job::Model, account: &account::Model) -> (String, String) {
    let company = &account.company;
    let (subject, body) = match job.kind.as_str() {
        k if k == EmailKind::Welcome.as_str() => (
            "Welcome aboard".to_owned(),
            format!(
                "Hello {company},\n\nyour account is ready. Sign in with {} to get started.",
                account.email
            ),
        ),
        k if k == EmailKind::Receipt.as_str() => {
            ("Your receipt".to_owned(), format!("Hello {company},\n\nthank you: we received your payment."))
        }
        k if k == EmailKind::PasswordReset.as_str() => (
            "Reset your password".to_owned(),
            format!("Hello {company},\n\nfollow the link on the sign-in page to choose a new password."),
        ),
        k if k == EmailKind::Dunning.as_str() => (
            "Your payment did not go through".to_owned(),
            format!("Hello {company},\n\nyour last payment was refused. Please update your card."),
        ),
        _ => ("A message from us".to_owned(), format!("Hello {company}.")),
    };
    (subject, body)
}

/// Puts `job` back in the queue and schedules its email for the mail worker.
async fn queue_and_send(ctx: &RunContext<'_>, job: email_job::Model) -> opsadmin::Result<Outcome> {
    let account = account::Entity::find_by_id(job.account_id).one(ctx.txn).await?;
    let Some(account) = account else {
        return Ok(Outcome::Skipped(format!(
            "Cannot send: email job {} belongs to account {}, which no longer exists.",
            job.id, job.account_id
        )));
    };
    let (subject, body) = message(&job, &account);
    let (id, what) = (job.id, what(&job.kind));
    let to = account.email.clone();
    let mut am = job.into_active_model();
    am.status = Set(EmailStatus::Queued.as_str().to_owned());
    // `before_save` moves `updated_at` to now: the job's place in the queue.
    am.update(ctx.txn).await?;
    ctx.schedule(
        Effect::new(
            "mail",
            format!("Send {what} to {to}"),
            serde_json::json!({ "to": to, "subject": subject, "body": body, "email_job_id": id }),
        )
        .on("email_job", id.to_string()),
    );
    Ok(Outcome::Done(format!("queued {what} to {to}; the mail worker sends it")))
}

/// "Retry": a failed or bounced email is queued again and sent by the mail worker.
#[derive(Clone, Copy, Debug, Default)]
pub struct RetryEmailJob;

impl Action for RetryEmailJob {
    type Model = email_job::Model;
    type Input = NoInput;
    const NAME: &'static str = "retry_email_job";
    const LABEL: &'static str = "Retry";
    const DESCRIPTION: &'static str = "Queues the email again; the mail worker sends it, and the job then shows \
         Sent, or Bounced with the mail server's answer. Only failed or bounced jobs can be retried.";

    fn check(&self, job: &email_job::Model) -> Result<(), Blocked> {
        retry_check(job, crate::models::now())
    }

    async fn run(
        &self,
        ctx: &RunContext<'_>,
        job: email_job::Model,
        _: &NoInput,
    ) -> opsadmin::Result<Outcome> {
        queue_and_send(ctx, job).await
    }
}

/// Why "Retry" cannot take `job` at `now`, in the words support reads.
///
/// # Errors
/// `Blocked` for a job that was sent, is queued (pointing to "Requeue stuck job"
/// when it is stuck) or has a status this console does not know.
pub fn retry_check(job: &email_job::Model, now: chrono::NaiveDateTime) -> Result<(), Blocked> {
    let (id, day) = (job.id, job.updated_at.format("%Y-%m-%d"));
    if job.has_failed() {
        return Ok(());
    }
    let why = if job.status == EmailStatus::Sent.as_str() {
        format!("Cannot retry: email job {id} was already sent on {day}.")
    } else if job.is_stuck(now) {
        format!(
            "Cannot retry: email job {id} has been queued since {day} and was never tried. \
             Use \u{201c}Requeue stuck job\u{201d} instead."
        )
    } else if job.status == EmailStatus::Queued.as_str() {
        format!("Cannot retry: email job {id} is already queued; the mail worker sends it.")
    } else {
        format!("Cannot retry: email job {id} has the unknown status \u{201c}{}\u{201d}.", job.status)
    };
    Err(Blocked(why))
}

opsadmin::register_action!(RetryEmailJob);

/// "Requeue stuck job": a job queued for more than a day that was never tried is
/// queued again and sent by the mail worker. Needs a reason.
#[derive(Clone, Copy, Debug, Default)]
pub struct RequeueStuckJob;

impl Action for RequeueStuckJob {
    type Model = email_job::Model;
    type Input = NoInput;
    const NAME: &'static str = "requeue_stuck_job";
    const LABEL: &'static str = "Requeue stuck job";
    const DESCRIPTION: &'static str = "For a job queued for more than a day that was never tried: queues it \
         again, and the mail worker sends it; the job then shows Sent or Bounced. Say why in the reason.";

    fn policy(&self) -> Policy {
        Policy::new().reason_required()
    }

    fn check(&self, job: &email_job::Model) -> Result<(), Blocked> {
        requeue_check(job, crate::models::now())
    }

    async fn run(
        &self,
        ctx: &RunContext<'_>,
        job: email_job::Model,
        _: &NoInput,
    ) -> opsadmin::Result<Outcome> {
        queue_and_send(ctx, job).await
    }
}

/// Why "Requeue stuck job" cannot take `job` at `now`.
///
/// # Errors
/// `Blocked` for a job that is not queued, was tried, or was queued less than
/// [`STUCK_AFTER`] ago.
pub fn requeue_check(job: &email_job::Model, now: chrono::NaiveDateTime) -> Result<(), Blocked> {
    if job.is_stuck(now) {
        return Ok(());
    }
    let id = job.id;
    let why = if job.status != EmailStatus::Queued.as_str() {
        let status = status_label(&job.status).to_lowercase();
        let hint = if job.has_failed() { " Use \u{201c}Retry\u{201d} instead." } else { "" };
        format!("Cannot requeue: email job {id} is not queued, it is {status}.{hint}")
    } else if job.attempts > 0 {
        format!("Cannot requeue: the mail worker already tried email job {id} ({} times).", job.attempts)
    } else {
        format!(
            "Cannot requeue: email job {id} was queued less than {} hours ago; the mail worker may still send it.",
            STUCK_AFTER.num_hours()
        )
    };
    Err(Blocked(why))
}

opsadmin::register_action!(RequeueStuckJob);

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn at(day: u32, hour: u32) -> chrono::NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 3, day).unwrap().and_hms_opt(hour, 0, 0).unwrap()
    }

    fn job(status: &str, attempts: i32, updated: chrono::NaiveDateTime) -> email_job::Model {
        email_job::Model {
            id: 7,
            account_id: 1,
            kind: "welcome".into(),
            status: status.into(),
            attempts,
            last_error: None,
            updated_at: updated,
        }
    }

    #[test]
    fn retry_takes_failed_and_bounced_jobs_and_says_why_not_otherwise() {
        let now = at(10, 12);
        assert_eq!(retry_check(&job("failed", 3, at(1, 8)), now), Ok(()));
        assert_eq!(retry_check(&job("bounced", 1, at(1, 8)), now), Ok(()));
        let why = |j| retry_check(&j, now).unwrap_err().reason().to_owned();
        assert_eq!(
            why(job("sent", 1, at(2, 8))),
            "Cannot retry: email job 7 was already sent on 2026-03-02."
        );
        assert_eq!(
            why(job("queued", 0, at(10, 11))),
            "Cannot retry: email job 7 is already queued; the mail worker sends it."
        );
        assert_eq!(
            why(job("queued", 0, at(2, 8))),
            "Cannot retry: email job 7 has been queued since 2026-03-02 and was never tried. \
             Use \u{201c}Requeue stuck job\u{201d} instead."
        );
    }

    #[test]
    fn requeue_takes_only_jobs_queued_for_a_day_without_an_attempt() {
        let now = at(10, 12);
        assert_eq!(requeue_check(&job("queued", 0, at(9, 11)), now), Ok(()));
        let why = |j| requeue_check(&j, now).unwrap_err().reason().to_owned();
        assert_eq!(
            why(job("queued", 0, at(9, 13))),
            "Cannot requeue: email job 7 was queued less than 24 hours ago; the mail worker may still send it."
        );
        assert_eq!(
            why(job("queued", 2, at(1, 8))),
            "Cannot requeue: the mail worker already tried email job 7 (2 times)."
        );
        assert_eq!(
            why(job("failed", 3, at(1, 8))),
            "Cannot requeue: email job 7 is not queued, it is failed. Use \u{201c}Retry\u{201d} instead."
        );
        assert_eq!(why(job("sent", 1, at(1, 8))), "Cannot requeue: email job 7 is not queued, it is sent.");
    }
}
