//! Customer accounts (`account`): who they are, what they pay for, and the flags
//! support and finance act on.

use opsadmin::{AdminChoices, AdminModel};
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;

/// What the customer pays for now.
#[derive(Clone, Copy, Debug, PartialEq, Eq, AdminChoices)]
pub enum Plan {
    /// No payment, limited features.
    Free,
    /// The trial before the first charge.
    Trial,
    /// Billed every month.
    Monthly,
    /// Billed once a year.
    Annual,
}

/// Where the account stands with billing. Set by the billing system, read-only here.
#[derive(Clone, Copy, Debug, PartialEq, Eq, AdminChoices)]
pub enum BillingState {
    /// Paid up.
    #[admin(label = "OK")]
    Ok,
    /// A renewal charge failed; reminder (dunning) emails are going out.
    PastDue,
    /// The very first charge, after the trial or an upgrade, failed.
    FailedFirstCharge,
    /// The subscription has ended.
    Canceled,
}

/// What the card processor answered to the most recent charge.
#[derive(Clone, Copy, Debug, PartialEq, Eq, AdminChoices)]
pub enum PaymentResult {
    /// The charge went through.
    Approved,
    /// The bank refused the charge without saying why.
    Declined,
    /// Not enough money on the card.
    InsufficientFunds,
    /// The card has expired.
    ExpiredCard,
}

as_str!(Plan, BillingState, PaymentResult);

/// A customer account.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, AdminModel)]
#[sea_orm(table_name = "account")]
#[admin(
    label = "Account",
    label_plural = "Accounts",
    display = "{company} <{email}>",
    list_display(id, email, company, plan, billing_state, last_payment_result, manual_review, signup_at),
    // Support corrects company names many rows at a time; the review flag is
    // editable only where the role may change it (not for support: their action sets it).
    list_editable(company, manual_review),
    search(email, company),
    filters(plan, billing_state, last_payment_result, welcome_email_sent, manual_review, locked, signup_at),
    readonly(id, billing_state, last_payment_result, updated_at),
    ordering = "-id",
    per_page = 100,
    fieldset(
        "Customer",
        description = "Who the customer is and how we reach them.",
        fields(email, company, signup_at)
    ),
    fieldset(
        "Billing",
        description = "Set by the billing system; change the plan only when the customer asked.",
        fields(plan, billing_state, last_payment_result)
    ),
    fieldset("Flags", fields(welcome_email_sent, manual_review, locked)),
    // Email jobs are edited on the account's page; their status stays the mail
    // worker's and the actions' to set.
    inlines(email_job(readonly(status)))
)]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    #[admin(label = "ID")]
    pub id: i64,
    /// The customer's sign-in and billing address.
    #[sea_orm(unique)]
    #[admin(label = "Email", help = "Where we send receipts and sign-in links.")]
    pub email: String,
    /// The customer's company.
    #[admin(label = "Company", blank, help = "The company name the customer gave at signup.")]
    pub company: String,
    /// The current plan.
    #[admin(
        label = "Plan",
        choices = Plan,
        readonly_for(support),
        reason_required,
        help = "What the customer pays for now. A trial becomes Monthly or Annual when the customer upgrades. Changing it by hand needs a reason."
    )]
    pub plan: String,
    /// Where the account stands with billing.
    #[admin(
        label = "Billing state",
        choices = BillingState,
        help = "Set by the billing system after each charge; it agrees with the last payment result. If it looks wrong, mark the account for manual review instead of editing it."
    )]
    pub billing_state: String,
    /// The card processor's answer to the latest charge, if any.
    #[admin(
        label = "Last payment result",
        choices = PaymentResult,
        hidden_for(viewer),
        help = "What the card processor answered to the most recent charge. Empty if the account was never charged."
    )]
    pub last_payment_result: Option<String>,
    /// When the account was created (UTC).
    #[admin(label = "Signed up", help = "When the customer created the account (UTC).")]
    pub signup_at: DateTime,
    /// Whether the welcome email went out.
    #[admin(
        label = "Welcome email sent",
        help = "Whether the welcome email was handed to our mail provider. If not, the account's welcome email job says why; retry it from there."
    )]
    pub welcome_email_sent: bool,
    /// Finance inspects the account before the next invoice.
    #[admin(
        label = "Manual review",
        readonly_for(support),
        help = "Finance inspects the account before the next invoice runs. Support sets it with the \"Mark for manual review\" action."
    )]
    pub manual_review: bool,
    /// The customer cannot sign in.
    #[admin(label = "Locked", readonly_for(support), help = "Customer cannot sign in while this is set.")]
    pub locked: bool,
    /// The last change to this row (UTC), kept by the application.
    #[admin(label = "Last changed", help = "When anything on this account last changed (UTC).")]
    pub updated_at: DateTime,
}

/// An account has invoices and email jobs.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The account's invoices.
    #[sea_orm(has_many = "super::invoice::Entity")]
    Invoice,
    /// The account's email jobs.
    #[sea_orm(has_many = "super::email_job::Entity")]
    EmailJob,
}

impl Related<super::invoice::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Invoice.def()
    }
}

impl Related<super::email_job::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::EmailJob.def()
    }
}

#[async_trait::async_trait]
impl ActiveModelBehavior for ActiveModel {
    /// Keeps `updated_at` current and gives a new account its defaults: billing
    /// state OK, signed up now, no welcome email yet, no review, not locked.
    async fn before_save<C>(mut self, _db: &C, insert: bool) -> Result<Self, DbErr>
    where
        C: ConnectionTrait,
    {
        let now = super::now();
        if insert {
            if self.billing_state.is_not_set() {
                self.billing_state = Set(BillingState::Ok.as_str().to_owned());
            }
            for flag in [&mut self.welcome_email_sent, &mut self.manual_review, &mut self.locked] {
                if flag.is_not_set() {
                    *flag = Set(false);
                }
            }
            if self.signup_at.is_not_set() {
                self.signup_at = Set(now);
            }
        }
        self.updated_at = Set(now);
        Ok(self)
    }
}
