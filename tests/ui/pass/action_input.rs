// #[derive(ActionInput)]: every kind of field, an action that uses it, its
// registration, and the form and JSON round trips, checked at run time.

use chrono::NaiveDate;
use opsadmin::action::{Action, ActionInput as _, Blocked, Outcome, Policy, RunContext};
use opsadmin::{ActionInput, AdminChoices, FieldError, FieldKind, FormData};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, IntoActiveModel};
use serde_json::json;

mod account {
    use opsadmin::AdminModel;
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel, AdminModel)]
    #[sea_orm(table_name = "account")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub locked: bool,
        pub lock_note: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, AdminChoices)]
pub enum LockKind {
    Fraud,
    #[admin(label = "Asked by the customer")]
    CustomerRequest,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, AdminChoices)]
pub enum Urgency {
    Low,
    High,
}

/// The input of "Lock account", with one field of every kind.
#[derive(Clone, Debug, PartialEq, ActionInput)]
pub struct LockInput {
    #[admin(choices = LockKind)]
    pub kind: String,
    #[admin(help = "Kept with the account.")]
    pub note: Option<String>,
    #[admin(label = "Refund (cents)")]
    pub amount_cents: i64,
    pub notify: bool,
    pub review_on: Option<NaiveDate>,
    pub urgency: Urgency,
    #[admin(foreign_key = "account", label = "Move to account")]
    pub r#move: Option<i64>,
}

/// "Lock account": typed input, a per-record check and a write in the run's transaction.
#[derive(Default)]
pub struct LockAccount;

impl Action for LockAccount {
    type Model = account::Model;
    type Input = LockInput;
    const NAME: &'static str = "lock_account";
    const LABEL: &'static str = "Lock account";
    const DESCRIPTION: &'static str = "The customer cannot sign in until someone unlocks the account.";

    fn policy(&self) -> Policy {
        Policy::new().reason_required().dangerous()
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
        let mut am = account.into_active_model();
        am.locked = Set(true);
        am.lock_note = Set(input.note.clone().or_else(|| Some(input.kind.clone())));
        am.update(ctx.txn).await?;
        Ok(Outcome::Done(if input.notify { "locked, customer told" } else { "locked" }.into()))
    }
}

opsadmin::register_action!(LockAccount);

/// An action input may have no fields at all.
#[derive(Debug, PartialEq, ActionInput)]
pub struct Nothing {}

mod facade {
    pub use opsadmin::__private;
}

/// `#[admin(crate = "...")]` on an action input.
#[derive(Debug, PartialEq, ActionInput)]
#[admin(crate = "crate::facade")]
pub struct Renamed {
    pub r#type: Option<String>,
}

fn form(pairs: &[(&str, &str)]) -> FormData {
    FormData(pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect())
}

fn main() {
    // fields(): labels, help, kinds, nullability, choices, foreign keys.
    let fields = LockInput::fields();
    let names: Vec<&str> = fields.iter().map(|f| f.name).collect();
    assert_eq!(names, ["kind", "note", "amount_cents", "notify", "review_on", "urgency", "move"]);
    let labels: Vec<&str> = fields.iter().map(|f| f.label).collect();
    assert_eq!(
        labels,
        ["Kind", "Note", "Refund (cents)", "Notify", "Review on", "Urgency", "Move to account"]
    );
    let kinds: Vec<FieldKind> = fields.iter().map(|f| f.kind).collect();
    assert_eq!(
        kinds,
        [
            FieldKind::Choice,
            FieldKind::Text,
            FieldKind::Integer,
            FieldKind::Boolean,
            FieldKind::Date,
            FieldKind::Choice,
            FieldKind::Integer,
        ]
    );
    let nullable: Vec<bool> = fields.iter().map(|f| f.nullable).collect();
    assert_eq!(nullable, [false, true, false, false, true, false, true]);
    assert_eq!(fields[0].choices, Some(<LockKind as AdminChoices>::CHOICES));
    assert_eq!(fields[5].choices, Some(<Urgency as AdminChoices>::CHOICES));
    assert_eq!(fields[1].choices, None);
    assert_eq!(fields[1].help, "Kept with the account.");
    assert_eq!(fields[0].help, "");
    assert_eq!(fields[6].foreign_key, Some("account"));
    assert!(fields.iter().all(|f| !f.primary_key && !f.auto_increment && !f.readonly && !f.reason_required));
    assert!(fields.iter().all(|f| f.hidden_for.is_empty() && f.readonly_for.is_empty()));

    // from_form: text is trimmed, numbers may have separators, empty optional fields
    // are None, and an unchecked checkbox (left out of the form) is false.
    let input = LockInput::from_form(&form(&[
        ("kind", " customer_request "),
        ("note", ""),
        ("amount_cents", "1,250"),
        ("review_on", "2026-03-02"),
        ("urgency", "high"),
        ("move", "42"),
    ]))
    .unwrap();
    let expected = LockInput {
        kind: "customer_request".to_owned(),
        note: None,
        amount_cents: 1250,
        notify: false,
        review_on: NaiveDate::from_ymd_opt(2026, 3, 2),
        urgency: Urgency::High,
        r#move: Some(42),
    };
    assert_eq!(input, expected);

    // The last value wins, as for model forms: hidden 0 then a checked box's 1.
    let checked = LockInput::from_form(&form(&[
        ("kind", "fraud"),
        ("note", "Card testing"),
        ("amount_cents", "-5"),
        ("notify", "0"),
        ("notify", "1"),
        ("urgency", "low"),
    ]))
    .unwrap();
    assert_eq!(checked.note.as_deref(), Some("Card testing"));
    assert!(checked.notify);
    assert_eq!(checked.review_on, None);
    assert_eq!(checked.r#move, None);

    // One error per wrong field, in field order, named by field.
    let errors = LockInput::from_form(&form(&[
        ("kind", "stolen"),
        ("amount_cents", "twelve"),
        ("notify", "maybe"),
        ("review_on", "02/03/2026"),
        ("move", "1.5"),
    ]))
    .unwrap_err();
    assert_eq!(
        errors,
        vec![
            FieldError::field("kind", "Choose one of: Fraud, Asked by the customer."),
            FieldError::field("amount_cents", "Enter a whole number."),
            FieldError::field("notify", "Choose yes or no."),
            FieldError::field("review_on", "Enter a date as YYYY-MM-DD, like 2026-03-02."),
            FieldError::field("urgency", "This field is required."),
            FieldError::field("move", "Enter a whole number."),
        ]
    );
    let errors = LockInput::from_form(&FormData::default()).unwrap_err();
    let fields_in_error: Vec<&str> = errors.iter().filter_map(|e| e.field.as_deref()).collect();
    assert_eq!(fields_in_error, ["kind", "amount_cents", "urgency"]);
    assert!(errors.iter().all(|e| e.message == "This field is required."));

    // to_json: each field's form text, null for None; no serde derive needed.
    let stored = input.to_json();
    assert_eq!(
        stored,
        json!({
            "kind": "customer_request",
            "note": null,
            "amount_cents": "1250",
            "notify": "0",
            "review_on": "2026-03-02",
            "urgency": "high",
            "move": "42",
        })
    );
    assert_eq!(LockInput::from_json(&stored), Ok(input.clone()));
    assert_eq!(LockInput::from_json(&checked.to_json()), Ok(checked));

    // from_json also takes JSON's own numbers and booleans, and a left-out bool is false.
    let api = json!({
        "kind": "fraud",
        "amount_cents": 99,
        "notify": true,
        "review_on": null,
        "urgency": "low",
    });
    let from_api = LockInput::from_json(&api).unwrap();
    assert_eq!((from_api.amount_cents, from_api.notify, from_api.note), (99, true, None));
    let without_notify = json!({ "kind": "fraud", "amount_cents": 1, "urgency": "low" });
    assert!(!LockInput::from_json(&without_notify).unwrap().notify);

    // ... and says which field does not fit.
    let mut bad = stored.clone();
    bad["amount_cents"] = json!("lots");
    assert_eq!(LockInput::from_json(&bad), Err("amount_cents: Enter a whole number.".to_owned()));
    bad["amount_cents"] = json!([1, 2]);
    assert_eq!(
        LockInput::from_json(&bad),
        Err("amount_cents: expected text, a number, true or false, or null".to_owned())
    );
    let mut bad = stored.clone();
    bad["urgency"] = json!(null);
    assert_eq!(LockInput::from_json(&bad), Err("urgency: This field is required.".to_owned()));
    let mut bad = stored.clone();
    bad["amount"] = json!(1);
    assert_eq!(
        LockInput::from_json(&bad),
        Err("unknown field `amount`; the fields are: kind, note, amount_cents, notify, review_on, urgency, move"
            .to_owned())
    );
    assert_eq!(
        LockInput::from_json(&json!([1])),
        Err("expected a JSON object of the input's fields, not `[1]`".to_owned())
    );

    // An empty input.
    assert!(Nothing::fields().is_empty());
    assert_eq!(Nothing::from_form(&form(&[("reason", "x")])), Ok(Nothing {}));
    assert_eq!(Nothing {}.to_json(), json!({}));
    assert_eq!(Nothing::from_json(&json!({})), Ok(Nothing {}));
    assert_eq!(
        Nothing::from_json(&json!({ "x": 1 })),
        Err("unknown field `x`: this action takes no input".to_owned())
    );

    // A raw identifier is named without `r#`; the crate path may be changed.
    assert_eq!(Renamed::fields()[0].name, "type");
    assert_eq!(Renamed::fields()[0].label, "Type");
    let renamed = Renamed::from_form(&form(&[("type", "x")])).unwrap();
    assert_eq!(renamed, Renamed { r#type: Some("x".to_owned()) });
    assert_eq!(Renamed::from_json(&renamed.to_json()), Ok(renamed));

    // register_action! puts the action where the admin finds it, with this input.
    let lock = admin_core::action::registered()
        .find(|a| a.name() == "lock_account")
        .expect("lock_account is registered");
    assert_eq!(lock.label(), "Lock account");
    assert_eq!(lock.model().slug, "account");
    assert!(lock.policy().reason_required && lock.policy().dangerous);
    assert!(std::ptr::eq(lock.input_fields(), LockInput::fields()));
    let parsed =
        lock.parse_input(&form(&[("kind", "fraud"), ("amount_cents", "0"), ("urgency", "low")])).unwrap();
    assert_eq!(parsed["kind"], json!("fraud"));
    assert_eq!(parsed["notify"], json!("0"));
    assert_eq!(lock.check_input(&parsed), Ok(()));
    // check_input names every field that does not fit, as from_form does.
    let errors = lock.check_input(&json!({ "kind": "xyz", "amount_cents": "lots", "urgency": "low" })).unwrap_err();
    assert_eq!(
        errors,
        vec![
            FieldError::field("kind", "Choose one of: Fraud, Asked by the customer."),
            FieldError::field("amount_cents", "Enter a whole number."),
        ]
    );
    assert_eq!(LockInput::parse_json(&json!([1])).unwrap_err()[0].field, None);
}
