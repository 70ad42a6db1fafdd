//! Outgoing email jobs (`email_job`): welcome emails, receipts, password resets and
//! payment reminders, with their delivery attempts.

use opsadmin::{AdminChoices, AdminModel};
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;

/// An email job's name, from its kind and account ("Welcome email to account 3"):
/// the email's words fit no field-by-field template, so a function says them.
#[must_use]
pub fn job_name(record: &opsadmin::Record, meta: &opsadmin::ModelMeta) -> String {
    let text = |name: &str| meta.field(name).map(|(i, f)| f.display(&record.cells[i])).unwrap_or_default();
    let (kind, account) = (text("kind"), text("account_id"));
    if kind.is_empty() || account.is_empty() {
        return String::new();
    }
    let what = if kind.to_lowercase().contains("email") { kind } else { format!("{kind} email") };
    format!("{what} to account {account}")
}

/// What the email is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, AdminChoices)]
pub enum EmailKind {
    /// Sent once, right after signup.
    Welcome,
    /// Sent after each successful payment.
    Receipt,
    /// Sent when the customer asks to reset their password.
    PasswordReset,
    /// A reminder that a payment failed.
    #[admin(label = "Payment reminder (dunning)")]
    Dunning,
}

/// Whether the email went out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, AdminChoices)]
pub enum EmailStatus {
    /// Waiting for the mail worker to send it.
    Queued,
    /// Handed to the mail provider.
    Sent,
    /// Gave up after the last attempt; see the last error.
    Failed,
    /// The mail system refused it for good (an unknown mailbox); see the last error.
    Bounced,
}

as_str!(EmailKind, EmailStatus);

/// One email to one account, and how delivering it went.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, AdminModel)]
#[sea_orm(table_name = "email_job")]
#[admin(
    label = "Email job",
    label_plural = "Email jobs",
    display_with = job_name,
    list_display(id, account_id, kind, status, attempts, updated_at),
    search(last_error),
    filters(kind, status, account_id),
    readonly(id, updated_at),
    ordering = "-id",
    per_page = 100
)]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    #[admin(label = "ID")]
    pub id: i64,
    /// The recipient account.
    #[admin(label = "Account", foreign_key = "account", help = "The account this email goes to.")]
    pub account_id: i64,
    /// What the email is for.
    #[admin(label = "Kind", choices = EmailKind)]
    pub kind: String,
    /// Whether it went out.
    #[admin(
        label = "Status",
        choices = EmailStatus,
        help = "A queued email is sent by the mail worker once \"Retry\" or \"Requeue stuck job\" has scheduled it; then it shows Sent or Failed. A job queued for more than a day with no attempt is stuck: requeue it."
    )]
    pub status: String,
    /// How many times delivery was tried.
    #[admin(label = "Attempts", help = "How many times sending it was tried. 0 means it was never tried.")]
    pub attempts: i32,
    /// The mail provider's answer to the last failed attempt.
    #[admin(
        label = "Last error",
        widget = "textarea",
        help = "What the mail server answered to the last failed attempt."
    )]
    pub last_error: Option<String>,
    /// The last change to this row (UTC), kept by the application.
    #[admin(label = "Last changed")]
    pub updated_at: DateTime,
}

/// How long a job may stay queued with no attempt before it counts as stuck.
pub const STUCK_AFTER: chrono::TimeDelta = chrono::TimeDelta::days(1);

impl Model {
    /// Whether this job is stuck at `now`: queued for longer than [`STUCK_AFTER`]
    /// and never tried. Nothing will send it until someone requeues it.
    #[must_use]
    pub fn is_stuck(&self, now: DateTime) -> bool {
        self.status == EmailStatus::Queued.as_str()
            && self.attempts == 0
            && now - self.updated_at > STUCK_AFTER
    }

    /// Whether sending it was tried and did not work (failed or bounced).
    #[must_use]
    pub fn has_failed(&self) -> bool {
        self.status == EmailStatus::Failed.as_str() || self.status == EmailStatus::Bounced.as_str()
    }
}

/// An email job belongs to an account.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The recipient account.
    #[sea_orm(
        belongs_to = "super::account::Entity",
        from = "Column::AccountId",
        to = "super::account::Column::Id"
    )]
    Account,
}

impl Related<super::account::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Account.def()
    }
}

#[async_trait::async_trait]
impl ActiveModelBehavior for ActiveModel {
    /// Keeps `updated_at` current on every save.
    async fn before_save<C>(mut self, _db: &C, _insert: bool) -> Result<Self, DbErr>
    where
        C: ConnectionTrait,
    {
        self.updated_at = Set(super::now());
        Ok(self)
    }
}
