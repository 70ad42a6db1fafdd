//! The account actions: the two support actions of the support week ("Mark for
//! manual review", "Retry welcome email") and the admin's "Lock account" and
//! "Unlock account".
//!
//! Each one is a typed service: the screens, `ops-console action` and the approval
//! worker all run it through `opsadmin::Service::run_action` (or the worker), with
//! the same permission, reason, checks, transaction and audit entries.

use opsadmin::action::{Action, Blocked, Effect, Message, NoInput, Outcome, Policy, RunContext, Undo};
use opsadmin::{ActionInput, AdminChoices};
use sea_orm::ActiveValue::Set;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
};

use crate::models::account;
use crate::models::account_lock::{self, LockKind};
use crate::models::email_job::{self, EmailKind, EmailStatus};

/// "Mark for manual review": finance inspects the account before the next invoice
/// runs. Does one thing: sets `manual_review`.
#[derive(Clone, Copy, Debug, Default)]
pub struct MarkForManualReview;

impl Action for MarkForManualReview {
    type Model = account::Model;
    type Input = NoInput;
    const NAME: &'static str = "mark_for_manual_review";
    const LABEL: &'static str = "Mark for manual review";
    const DESCRIPTION: &'static str =
        "Finance inspects the account before the next invoice runs. Nothing else about the account changes.";

    /// It only sets one flag: putting it back is safe.
    fn undo(&self) -> Undo {
        Undo::PutBack
    }

    /// A flag anyone can put back: a background job may take every account.
    fn policy(&self) -> Policy {
        Policy::new().max_job(1_000_000)
    }

    fn check(&self, account: &account::Model) -> Result<(), Blocked> {
        if account.manual_review {
            // A message id and its argument: screens show it in the viewer's
            // language, the API, the command line and the audit log in English.
            return Err(Blocked::message(
                Message::new(
                    "account-already-in-review",
                    format!("Account {} is already marked for manual review.", account.id),
                )
                .arg("id", account.id),
            ));
        }
        Ok(())
    }

    async fn run(
        &self,
        ctx: &RunContext<'_>,
        account: account::Model,
        _: &NoInput,
    ) -> opsadmin::Result<Outcome> {
        let mut am = account.into_active_model();
        am.manual_review = Set(true);
        am.update(ctx.txn).await?;
        Ok(Outcome::Done("marked for manual review".to_owned()))
    }

    /// The same for many accounts in one statement (`updated_at` set as
    /// [`account::ActiveModel`]'s `before_save` would).
    async fn run_many(
        &self,
        ctx: &RunContext<'_>,
        accounts: Vec<account::Model>,
        _: &NoInput,
    ) -> opsadmin::Result<Vec<Outcome>> {
        let ids: Vec<i64> = accounts.iter().map(|a| a.id).collect();
        for chunk in ids.chunks(500) {
            account::Entity::update_many()
                .col_expr(account::Column::ManualReview, sea_orm::sea_query::Expr::value(true))
                .col_expr(account::Column::UpdatedAt, sea_orm::sea_query::Expr::value(crate::models::now()))
                .filter(account::Column::Id.is_in(chunk.iter().copied()))
                .exec(ctx.txn)
                .await?;
        }
        Ok(accounts.iter().map(|_| Outcome::Done("marked for manual review".to_owned())).collect())
    }
}

opsadmin::register_action!(MarkForManualReview);

/// "Retry welcome email": requeues the account's existing welcome email job. It
/// never creates a job; an account without one is skipped with the reason.
#[derive(Clone, Copy, Debug, Default)]
pub struct RetryWelcomeEmail;

/// The account's welcome email jobs, oldest first.
async fn welcome_jobs<C: ConnectionTrait>(
    db: &C,
    account_id: i64,
) -> opsadmin::Result<Vec<email_job::Model>> {
    Ok(email_job::Entity::find()
        .filter(email_job::Column::AccountId.eq(account_id))
        .filter(email_job::Column::Kind.eq(EmailKind::Welcome.as_str()))
        .order_by_asc(email_job::Column::Id)
        .all(db)
        .await?)
}

/// Which welcome job a retry requeues, or why there is none to requeue.
///
/// # Errors
/// `Blocked` when the email was already sent, a retry is already queued, or the
/// account has no welcome job at all.
pub fn job_to_retry<'a>(
    account: &account::Model,
    jobs: &'a [email_job::Model],
) -> Result<&'a email_job::Model, Blocked> {
    let newest = |status: EmailStatus| jobs.iter().rev().find(|j| j.status == status.as_str());
    if let Some(sent) = newest(EmailStatus::Sent) {
        return Err(Blocked(format!(
            "Cannot retry: the welcome email was already sent on {}.",
            sent.updated_at.format("%Y-%m-%d")
        )));
    }
    if account.welcome_email_sent {
        return Err(Blocked("Cannot retry: the welcome email was already sent.".to_owned()));
    }
    if let Some(queued) = newest(EmailStatus::Queued) {
        if queued.is_stuck(crate::models::now()) {
            return Err(Blocked(format!(
                "Cannot retry: welcome email job {} has been queued since {} and was never tried. \
                 Use \u{201c}Requeue stuck job\u{201d} on that email job.",
                queued.id,
                queued.updated_at.format("%Y-%m-%d")
            )));
        }
        return Err(Blocked("Cannot retry: a retry is already queued.".to_owned()));
    }
    if let Some(bounced) = newest(EmailStatus::Bounced)
        && newest(EmailStatus::Failed).is_none_or(|f| f.id < bounced.id)
    {
        return Err(Blocked(format!(
            "Cannot retry: the welcome email bounced ({}). Check the address; its effect can be retried from the effects page.",
            bounced.last_error.as_deref().unwrap_or("no reason given")
        )));
    }
    newest(EmailStatus::Failed).ok_or_else(|| {
        Blocked(format!(
            "Cannot retry: account {} has no welcome email job to requeue. Ask an engineer to look at its signup.",
            account.id
        ))
    })
}

/// The welcome email of `account`, sent for email job `job_id`.
#[must_use]
pub fn welcome_mail(account: &account::Model, job_id: i64) -> Effect {
    let payload = serde_json::json!({
        "to": account.email,
        "subject": "Welcome to Ops Console",
        "body": format!(
            "Hello,\n\nwelcome aboard, {}! Your account is ready.\n\nThe Ops Console team\n",
            account.company
        ),
        "email_job_id": job_id,
    });
    Effect::new("mail", format!("Send the welcome email to {}", account.email), payload)
        .on("email_job", job_id.to_string())
}

impl Action for RetryWelcomeEmail {
    type Model = account::Model;
    type Input = NoInput;
    const NAME: &'static str = "retry_welcome_email";
    const LABEL: &'static str = "Retry welcome email";
    const DESCRIPTION: &'static str = "Puts the account's failed welcome email back in the queue and sends it \
         again through the worker, usually within a minute; the email job then reads Sent or Bounced. No new \
         email job is created.";

    /// The job is requeued and the mail may be out already.
    fn undo(&self) -> Undo {
        Undo::Irreversible { why: "the email has been sent again (or is on its way).", compensate: None }
    }

    async fn check_async<C: ConnectionTrait>(
        &self,
        db: &C,
        account: &account::Model,
    ) -> opsadmin::Result<Result<(), Blocked>> {
        let jobs = welcome_jobs(db, account.id).await?;
        Ok(job_to_retry(account, &jobs).map(|_| ()))
    }

    async fn run(
        &self,
        ctx: &RunContext<'_>,
        account: account::Model,
        _: &NoInput,
    ) -> opsadmin::Result<Outcome> {
        // The runtime checked already, in this transaction; deciding again here keeps
        // `run` safe for any caller.
        let jobs = welcome_jobs(ctx.txn, account.id).await?;
        let job = match job_to_retry(&account, &jobs) {
            Ok(job) => job.clone(),
            Err(blocked) => return Ok(Outcome::Skipped(blocked.reason().to_owned())),
        };
        let job_id = job.id;
        let before = job.status.clone();
        let mut am = job.into_active_model();
        am.status = Set(EmailStatus::Queued.as_str().to_owned());
        am.updated_at = Set(crate::models::now());
        am.update(ctx.txn).await?;
        // The job's own history shows who requeued it, beside the account's entry.
        let key = job_id.to_string();
        let changes = serde_json::json!({ "status": [before, EmailStatus::Queued.as_str()] });
        ctx.record(&format!("action:{}", Self::NAME), Some("email_job"), Some(&key), changes).await?;
        // Sent by the effect worker once this run commits; the job follows it.
        ctx.schedule(welcome_mail(&account, job_id));
        Ok(Outcome::Done(format!("requeued welcome email job {job_id}")))
    }
}

opsadmin::register_action!(RetryWelcomeEmail);

/// The input of "Lock account": why it is locked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ActionInput)]
pub struct LockInput {
    /// Why the account is locked; a fraud lock needs approval to be lifted.
    #[admin(label = "Why", help = "A fraud lock can only be lifted with a second person's approval.")]
    pub kind: LockKind,
}

/// "Lock account": the customer cannot sign in until someone unlocks it. Records
/// why in `account_lock`, in the same transaction.
#[derive(Clone, Copy, Debug, Default)]
pub struct LockAccount;

impl Action for LockAccount {
    type Model = account::Model;
    type Input = LockInput;
    const NAME: &'static str = "lock_account";
    const LABEL: &'static str = "Lock account";
    const DESCRIPTION: &'static str =
        "The customer cannot sign in until someone unlocks the account. A fraud lock needs approval to lift.";

    fn policy(&self) -> Policy {
        Policy::new().reason_required().dangerous()
    }

    /// Undoing a lock is an unlock, with unlock's own rules: lifting a fraud lock
    /// needs a second person's approval.
    fn undo(&self) -> Undo {
        Undo::Inverse("unlock_account")
    }

    fn check(&self, account: &account::Model) -> Result<(), Blocked> {
        if account.locked {
            return Err(Blocked(format!("Account {} is already locked.", account.id)));
        }
        Ok(())
    }

    async fn run(
        &self,
        ctx: &RunContext<'_>,
        account: account::Model,
        input: &LockInput,
    ) -> opsadmin::Result<Outcome> {
        let account_id = account.id;
        let mut am = account.into_active_model();
        am.locked = Set(true);
        am.update(ctx.txn).await?;
        account_lock::ActiveModel {
            account_id: Set(account_id),
            kind: Set(input.kind.as_str().to_owned()),
            reason: Set(ctx.reason.map(str::to_owned)),
            locked_by: Set(ctx.actor.username.clone()),
            locked_at: Set(crate::models::now()),
            ..Default::default()
        }
        .insert(ctx.txn)
        .await?;
        let label = <LockKind as AdminChoices>::CHOICES[input.kind as usize].label.to_lowercase();
        Ok(Outcome::Done(format!("locked ({label})")))
    }
}

opsadmin::register_action!(LockAccount);

/// "Unlock account": the customer can sign in again. Lifting a fraud lock needs a
/// second person's approval; other locks (and accounts locked before lock kinds
/// were recorded) are lifted at once.
#[derive(Clone, Copy, Debug, Default)]
pub struct UnlockAccount;

impl Action for UnlockAccount {
    type Model = account::Model;
    type Input = NoInput;
    const NAME: &'static str = "unlock_account";
    const LABEL: &'static str = "Unlock account";
    const DESCRIPTION: &'static str = "The customer can sign in again. Accounts locked for fraud are unlocked \
         only after someone else approves.";

    fn policy(&self) -> Policy {
        Policy::new().reason_required().dangerous()
    }

    fn check(&self, account: &account::Model) -> Result<(), Blocked> {
        if !account.locked {
            return Err(Blocked(format!("Account {} is not locked.", account.id)));
        }
        Ok(())
    }

    async fn needs_approval<C: ConnectionTrait>(
        &self,
        db: &C,
        accounts: &[account::Model],
        _: &NoInput,
    ) -> opsadmin::Result<bool> {
        let ids: Vec<i64> = accounts.iter().filter(|a| a.locked).map(|a| a.id).collect();
        let kinds = account_lock::latest_kinds(db, &ids).await?;
        Ok(kinds.values().any(|k| k == LockKind::Fraud.as_str()))
    }

    async fn run(
        &self,
        ctx: &RunContext<'_>,
        account: account::Model,
        _: &NoInput,
    ) -> opsadmin::Result<Outcome> {
        let mut am = account.into_active_model();
        am.locked = Set(false);
        am.update(ctx.txn).await?;
        Ok(Outcome::Done("unlocked".to_owned()))
    }
}

opsadmin::register_action!(UnlockAccount);

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn account(sent: bool) -> account::Model {
        let t = NaiveDate::from_ymd_opt(2026, 1, 10).unwrap().and_hms_opt(9, 0, 0).unwrap();
        account::Model {
            id: 42,
            email: "a@b.example".into(),
            company: "B".into(),
            plan: "trial".into(),
            billing_state: "ok".into(),
            last_payment_result: None,
            signup_at: t,
            welcome_email_sent: sent,
            manual_review: false,
            locked: false,
            updated_at: t,
        }
    }

    fn job(id: i64, status: &str, day: u32) -> email_job::Model {
        email_job::Model {
            id,
            account_id: 42,
            kind: "welcome".into(),
            status: status.into(),
            attempts: 1,
            last_error: None,
            updated_at: NaiveDate::from_ymd_opt(2026, 3, day).unwrap().and_hms_opt(8, 0, 0).unwrap(),
        }
    }

    #[test]
    fn retry_picks_the_newest_failed_job_and_explains_every_refusal() {
        let a = account(false);
        let jobs = [job(1, "failed", 1), job(2, "failed", 2)];
        assert_eq!(job_to_retry(&a, &jobs).unwrap().id, 2);
        assert_eq!(
            job_to_retry(&a, &[job(1, "failed", 1), job(2, "sent", 2)]).unwrap_err().reason().to_owned(),
            "Cannot retry: the welcome email was already sent on 2026-03-02."
        );
        assert_eq!(
            job_to_retry(&a, &[job(1, "failed", 1), job(2, "queued", 2)]).unwrap_err().reason().to_owned(),
            "Cannot retry: a retry is already queued."
        );
        assert!(
            job_to_retry(&a, &[])
                .unwrap_err()
                .reason()
                .to_owned()
                .contains("account 42 has no welcome email job")
        );
        assert_eq!(
            job_to_retry(&account(true), &jobs).unwrap_err().reason().to_owned(),
            "Cannot retry: the welcome email was already sent."
        );
    }

    #[test]
    fn lock_input_reads_forms_and_json() {
        use opsadmin::FormData;
        use opsadmin::action::ActionInput as _;

        let form = FormData::from([("kind", "customer_request")]);
        let input = LockInput::from_form(&form).unwrap();
        assert_eq!(input.kind, LockKind::CustomerRequest);
        assert_eq!(LockInput::from_json(&input.to_json()), Ok(input));
        let errors = LockInput::from_form(&FormData::from([("kind", "whim")])).unwrap_err();
        assert_eq!(errors[0].field.as_deref(), Some("kind"));
        assert!(errors[0].message.contains("Customer request"), "{errors:?}");
        assert!(LockInput::from_json(&serde_json::json!({})).unwrap_err().starts_with("kind"));
        assert_eq!(LockInput::fields()[0].choices.map(<[_]>::len), Some(4));
    }
}
