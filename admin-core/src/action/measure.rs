//! What a run or an approval request counts against the caller's limits: the
//! records that pass their checks and what each one moves ([`Action::amount`]).

use sea_orm::{DatabaseTransaction, EntityTrait};

use super::{Action, ActionAdmin, ActionInput};
use crate::kernel::error::{Error, Result};
use crate::kernel::model::{AdminModel, EntityOf};

/// One record a run or a request would count, and what it moves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Measured {
    /// The record's key.
    pub key: String,
    /// The currency's code and the amount in its minor unit, when the action has one.
    pub amount: Option<(String, i64)>,
}

/// [`super::DynAction::measure`] for a typed action.
pub(super) async fn measure<A: Action>(
    admin: &ActionAdmin<A>,
    txn: &DatabaseTransaction,
    keys: &[String],
    input: &serde_json::Value,
) -> Result<Vec<Measured>>
where
    EntityOf<A::Model>: EntityTrait<Model = A::Model>,
{
    let input = A::Input::from_json(input)
        .map_err(|m| Error::BadRequest(format!("The action's input does not fit: {m}")))?;
    let (models, _) = admin.load(txn, keys, true, &crate::access::scope::RowScope::All).await?;
    let mut out = Vec::with_capacity(models.len());
    for m in &models {
        if admin.action.check_async(txn, m).await?.is_ok() {
            let key = m.cell(A::Model::meta().pk).form_value();
            out.push(Measured { key, amount: admin.action.amount(m, &input) });
        }
    }
    Ok(out)
}
