//! The invoice actions, generic over the application's invoice model: they read
//! and write it through `AdminModel` (see [`crate::invoice`]), so the plugin has no
//! copy of the entity. Refunds move money, so a second person approves each one;
//! voiding only cancels what nobody has paid, so it runs at once, with a reason.

use std::marker::PhantomData;

use admin_core::AdminModel;
use admin_core::action::{Action, Blocked, NoInput, Outcome, Policy, RunContext, Undo};
use admin_core::kernel::model::{ActiveModelOf, EntityOf};
use sea_orm::{ActiveModelTrait, EntityTrait};

use crate::invoice::{self, AMOUNT, CURRENCY, NUMBER, STATUS, status};

/// Saves `inv` with the status `to`.
async fn set_status<M>(ctx: &RunContext<'_>, inv: M, to: &str) -> admin_core::Result<()>
where
    M: AdminModel,
    EntityOf<M>: EntityTrait<Model = M>,
    ActiveModelOf<M>: Send + Sync,
{
    invoice::with_text(inv, STATUS, to)?.update(ctx.txn).await?;
    Ok(())
}

/// "Refund invoice": the money goes back to the customer. Needs a reason and the
/// approval of someone else holding `approvals.decide`.
pub struct RefundInvoice<M>(PhantomData<fn() -> M>);

impl<M> Default for RefundInvoice<M> {
    fn default() -> Self {
        Self(PhantomData)
    }
}

impl<M> Action for RefundInvoice<M>
where
    M: AdminModel,
    EntityOf<M>: EntityTrait<Model = M>,
    ActiveModelOf<M>: Send + Sync,
{
    type Model = M;
    type Input = NoInput;
    const NAME: &'static str = "refund_invoice";
    const LABEL: &'static str = "Refund invoice";
    const DESCRIPTION: &'static str = "Marks the invoice refunded once someone else approves the request. \
         Only paid or disputed invoices can be refunded.";

    fn policy(&self) -> Policy {
        Policy::new().reason_required().dangerous().approval()
    }

    /// The money went back to the customer: marking the invoice paid again would
    /// not bring it back.
    fn undo(&self) -> Undo {
        Undo::Irreversible { why: "money moved back to the customer's card.", compensate: None }
    }

    fn check(&self, inv: &M) -> Result<(), Blocked> {
        let (n, st) = (invoice::text(inv, NUMBER), invoice::text(inv, STATUS));
        let is = |s: &str| st == s;
        let why = if is(status::REFUNDED) {
            format!("Cannot refund: invoice {n} is already refunded.")
        } else if is(status::DRAFT) {
            format!("Cannot refund: invoice {n} is still a draft.")
        } else if is(status::VOID) {
            format!("Cannot refund: invoice {n} is void.")
        } else if is(status::OPEN) {
            format!("Cannot refund: invoice {n} has not been paid yet. Void it instead.")
        } else if is(status::PAID) || is(status::DISPUTED) {
            return Ok(());
        } else {
            format!("Cannot refund: invoice {n} has the unknown status \u{201c}{}\u{201d}.", st)
        };
        Err(Blocked(why))
    }

    /// The invoice's amount goes back: limits on refunds per day count it, in the
    /// invoice's currency.
    fn amount(&self, inv: &M, _: &NoInput) -> Option<(String, i64)> {
        Some((invoice::text(inv, CURRENCY), invoice::number(inv, AMOUNT)))
    }

    async fn run(&self, ctx: &RunContext<'_>, inv: M, _: &NoInput) -> admin_core::Result<Outcome> {
        set_status(ctx, inv, status::REFUNDED).await?;
        Ok(Outcome::Done("refunded".to_owned()))
    }
}

/// "Void invoice": cancels a draft or open invoice; nothing is owed any more.
pub struct VoidInvoice<M>(PhantomData<fn() -> M>);

impl<M> Default for VoidInvoice<M> {
    fn default() -> Self {
        Self(PhantomData)
    }
}

impl<M> Action for VoidInvoice<M>
where
    M: AdminModel,
    EntityOf<M>: EntityTrait<Model = M>,
    ActiveModelOf<M>: Send + Sync,
{
    type Model = M;
    type Input = NoInput;
    const NAME: &'static str = "void_invoice";
    const LABEL: &'static str = "Void invoice";
    const DESCRIPTION: &'static str =
        "Cancels the invoice: the customer owes nothing for it. Only draft or open invoices can be voided.";

    /// Money the customer owes disappears: a reason, a red button, and a sign-in
    /// that is recent (on the screens and the API; API tokens cannot void).
    fn policy(&self) -> Policy {
        Policy::new().reason_required().dangerous().recent_auth()
    }

    /// Voiding only changes the invoice's status, and nothing outside happens:
    /// putting the status back makes the invoice owed again.
    fn undo(&self) -> Undo {
        Undo::PutBack
    }

    fn check(&self, inv: &M) -> Result<(), Blocked> {
        let (n, st) = (invoice::text(inv, NUMBER), invoice::text(inv, STATUS));
        let is = |s: &str| st == s;
        let why = if is(status::DRAFT) || is(status::OPEN) {
            return Ok(());
        } else if is(status::PAID) {
            format!("Cannot void: invoice {n} is paid. Refund it instead.")
        } else if is(status::DISPUTED) {
            format!("Cannot void: invoice {n} is disputed with the customer's bank.")
        } else if is(status::REFUNDED) {
            format!("Cannot void: invoice {n} is already refunded.")
        } else if is(status::VOID) {
            format!("Cannot void: invoice {n} is already void.")
        } else {
            format!("Cannot void: invoice {n} has the unknown status \u{201c}{}\u{201d}.", st)
        };
        Err(Blocked(why))
    }

    async fn run(&self, ctx: &RunContext<'_>, inv: M, _: &NoInput) -> admin_core::Result<Outcome> {
        set_status(ctx, inv, status::VOID).await?;
        Ok(Outcome::Done("voided".to_owned()))
    }
}
