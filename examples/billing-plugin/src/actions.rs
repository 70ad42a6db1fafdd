//! The invoice actions. Refunds move money, so a second person approves each one;
//! voiding only cancels what nobody has paid, so it runs at once, with a reason.

use admin_core::action::{Action, Blocked, NoInput, Outcome, Policy, RunContext, Undo};
use sea_orm::ActiveValue::Set;
use sea_orm::{ActiveModelTrait, IntoActiveModel};

use crate::invoice::{self, InvoiceStatus};

fn is(inv: &invoice::Model, status: InvoiceStatus) -> bool {
    inv.status == status.as_str()
}

/// "Refund invoice": the money goes back to the customer. Needs a reason and the
/// approval of someone else holding `approvals.decide`.
#[derive(Clone, Copy, Debug, Default)]
pub struct RefundInvoice;

impl Action for RefundInvoice {
    type Model = invoice::Model;
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

    fn check(&self, inv: &invoice::Model) -> Result<(), Blocked> {
        let n = &inv.number;
        let why = if is(inv, InvoiceStatus::Refunded) {
            format!("Cannot refund: invoice {n} is already refunded.")
        } else if is(inv, InvoiceStatus::Draft) {
            format!("Cannot refund: invoice {n} is still a draft.")
        } else if is(inv, InvoiceStatus::Void) {
            format!("Cannot refund: invoice {n} is void.")
        } else if is(inv, InvoiceStatus::Open) {
            format!("Cannot refund: invoice {n} has not been paid yet. Void it instead.")
        } else if is(inv, InvoiceStatus::Paid) || is(inv, InvoiceStatus::Disputed) {
            return Ok(());
        } else {
            format!("Cannot refund: invoice {n} has the unknown status \u{201c}{}\u{201d}.", inv.status)
        };
        Err(Blocked(why))
    }

    /// The invoice's amount goes back: limits on refunds per day count it, in the
    /// invoice's currency.
    fn amount(&self, inv: &invoice::Model, _: &NoInput) -> Option<(String, i64)> {
        Some((inv.currency.clone(), inv.amount_cents))
    }

    async fn run(
        &self,
        ctx: &RunContext<'_>,
        inv: invoice::Model,
        _: &NoInput,
    ) -> admin_core::Result<Outcome> {
        let mut am = inv.into_active_model();
        am.status = Set(InvoiceStatus::Refunded.as_str().to_owned());
        am.update(ctx.txn).await?;
        Ok(Outcome::Done("refunded".to_owned()))
    }
}

/// "Void invoice": cancels a draft or open invoice; nothing is owed any more.
#[derive(Clone, Copy, Debug, Default)]
pub struct VoidInvoice;

impl Action for VoidInvoice {
    type Model = invoice::Model;
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

    fn check(&self, inv: &invoice::Model) -> Result<(), Blocked> {
        let n = &inv.number;
        let why = if is(inv, InvoiceStatus::Draft) || is(inv, InvoiceStatus::Open) {
            return Ok(());
        } else if is(inv, InvoiceStatus::Paid) {
            format!("Cannot void: invoice {n} is paid. Refund it instead.")
        } else if is(inv, InvoiceStatus::Disputed) {
            format!("Cannot void: invoice {n} is disputed with the customer's bank.")
        } else if is(inv, InvoiceStatus::Refunded) {
            format!("Cannot void: invoice {n} is already refunded.")
        } else if is(inv, InvoiceStatus::Void) {
            format!("Cannot void: invoice {n} is already void.")
        } else {
            format!("Cannot void: invoice {n} has the unknown status \u{201c}{}\u{201d}.", inv.status)
        };
        Err(Blocked(why))
    }

    async fn run(
        &self,
        ctx: &RunContext<'_>,
        inv: invoice::Model,
        _: &NoInput,
    ) -> admin_core::Result<Outcome> {
        let mut am = inv.into_active_model();
        am.status = Set(InvoiceStatus::Void.as_str().to_owned());
        am.update(ctx.txn).await?;
        Ok(Outcome::Done("voided".to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inv(status: &str) -> invoice::Model {
        invoice::Model {
            id: 1234,
            account_id: 1,
            number: "INV-00001234".into(),
            amount_cents: 4900,
            currency: "USD".into(),
            status: status.into(),
            issued_at: chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap().and_hms_opt(0, 0, 0).unwrap(),
        }
    }

    #[test]
    fn refunds_only_paid_or_disputed_invoices() {
        let r = RefundInvoice;
        assert_eq!(r.check(&inv("paid")), Ok(()));
        assert_eq!(r.check(&inv("disputed")), Ok(()));
        let why = |s| r.check(&inv(s)).unwrap_err().0;
        assert_eq!(why("refunded"), "Cannot refund: invoice INV-00001234 is already refunded.");
        assert_eq!(why("draft"), "Cannot refund: invoice INV-00001234 is still a draft.");
        assert_eq!(why("void"), "Cannot refund: invoice INV-00001234 is void.");
        assert!(why("open").contains("has not been paid yet"));
        let p = r.policy();
        assert!(p.approval && p.reason_required && p.dangerous);
        assert_eq!(r.amount(&inv("paid"), &NoInput), Some(("USD".to_owned(), 4900)));
    }

    #[test]
    fn voids_only_draft_or_open_invoices() {
        let v = VoidInvoice;
        assert_eq!(v.check(&inv("draft")), Ok(()));
        assert_eq!(v.check(&inv("open")), Ok(()));
        assert_eq!(
            v.check(&inv("paid")).unwrap_err().0,
            "Cannot void: invoice INV-00001234 is paid. Refund it instead."
        );
        assert!(v.check(&inv("void")).unwrap_err().0.contains("already void"));
        assert!(v.policy().reason_required && !v.policy().approval);
    }
}
