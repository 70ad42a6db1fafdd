// A sea-orm ActiveEnum as a column type, with #[derive(AdminChoices)]; values come
// from `string_value`, `num_value`, `#[admin(value)]` or the variant's name.

use opsadmin::{AdminChoices, AdminField, AdminModel, Cell, Choice, FieldKind};
use sea_orm::entity::prelude::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum, AdminChoices)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum BillingState {
    #[sea_orm(string_value = "ok")]
    Ok,
    #[sea_orm(string_value = "failed_first_charge")]
    FailedFirstCharge,
    #[sea_orm(string_value = "past_due")]
    #[admin(label = "Past due (dunning)")]
    PastDue,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum, AdminChoices)]
#[sea_orm(rs_type = "i32", db_type = "Integer")]
pub enum Priority {
    #[sea_orm(num_value = 0)]
    Low,
    #[sea_orm(num_value = 10)]
    VeryHigh,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, AdminChoices)]
pub enum Mood {
    #[admin(value = "meh")]
    SoSo,
    RatherGood,
}

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, AdminModel)]
#[sea_orm(table_name = "invoice")]
#[admin(filters(billing_state, priority), readonly(billing_state))]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub number: i64,
    pub billing_state: BillingState,
    pub priority: Option<Priority>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

fn main() {
    assert_eq!(
        <BillingState as AdminChoices>::CHOICES,
        &[
            Choice { value: "ok", label: "Ok" },
            Choice { value: "failed_first_charge", label: "Failed first charge" },
            Choice { value: "past_due", label: "Past due (dunning)" },
        ]
    );
    assert_eq!(
        <Priority as AdminChoices>::CHOICES,
        &[
            Choice { value: "0", label: "Low" },
            Choice { value: "10", label: "Very high" },
        ]
    );
    assert_eq!(
        <Mood as AdminChoices>::CHOICES,
        &[
            Choice { value: "meh", label: "Meh" },
            Choice { value: "rather_good", label: "Rather good" },
        ]
    );

    assert_eq!(<BillingState as AdminField>::KIND, FieldKind::Choice);
    assert_eq!(BillingState::parse_form(" past_due "), Ok(BillingState::PastDue));
    assert_eq!(BillingState::parse_form(""), Err("This field is required.".to_owned()));
    assert_eq!(
        BillingState::parse_form("PastDue"),
        Err("Choose one of: Ok, Failed first charge, Past due (dunning).".to_owned())
    );
    assert_eq!(BillingState::FailedFirstCharge.to_cell(), Cell::Text("failed_first_charge".into()));
    assert_eq!(Priority::parse_form("10"), Ok(Priority::VeryHigh));
    assert_eq!(<Option<Priority> as AdminField>::parse_form(""), Ok(None));

    let meta = <Model as AdminModel>::meta();
    assert_eq!(meta.label, "Invoice");
    assert_eq!(meta.label_plural, "Invoices");
    assert_eq!(meta.ordering, &[(0, true)]);
    let number = meta.pk_field();
    assert!(number.primary_key && number.readonly && !number.auto_increment);
    let (state_index, state) = meta.field("billing_state").unwrap();
    assert_eq!(state.kind, FieldKind::Choice);
    assert!(state.readonly && state.filterable());
    assert_eq!(state.choices, Some(<BillingState as AdminChoices>::CHOICES));
    let (priority_index, priority) = meta.field("priority").unwrap();
    assert!(priority.nullable && priority.filterable());
    assert_eq!(priority.choices.unwrap().len(), 2);

    let model = Model { number: 1, billing_state: BillingState::PastDue, priority: None };
    assert_eq!(model.cell(state_index), Cell::Text("past_due".into()));
    assert_eq!(state.display(&model.cell(state_index)), "Past due (dunning)");
    assert_eq!(model.cell(priority_index), Cell::Null);

    // The ActiveEnum's own conversion gives the value sea-orm stores.
    assert_eq!(
        Model::parse_value(state_index, "failed_first_charge"),
        Ok(Value::from(BillingState::FailedFirstCharge))
    );
    assert_eq!(Model::parse_value(priority_index, "10"), Ok(Value::from(Some(Priority::VeryHigh))));
    assert!(Model::parse_value(priority_index, "5").is_err());
}
