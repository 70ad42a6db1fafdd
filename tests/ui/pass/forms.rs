use opsadmin::{AdminChoices, AdminModel};
use sea_orm::entity::prelude::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq, AdminChoices)]
pub enum Plan {
    Free,
    Paid,
}

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, AdminModel)]
#[sea_orm(table_name = "account")]
#[admin(
    fieldset("Customer", description = "Who they are.", fields(company, email)),
    fieldset("Billing", fields(plan)),
)]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub email: String,
    #[admin(blank, max_length = 80)]
    pub company: String,
    #[admin(choices = Plan, widget = "radio")]
    pub plan: String,
    #[sea_orm(column_type = "Text")]
    #[admin(widget = "text")]
    pub motto: Option<String>,
    #[admin(widget = "textarea")]
    pub notes: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

fn main() {
    use opsadmin::Widget;
    let meta = Model::meta();
    let titles: Vec<&str> = meta.fieldsets.iter().map(|s| s.title).collect();
    assert_eq!(titles, ["Customer", "Billing"]);
    assert_eq!(meta.fieldsets[0].fields, [2, 1]);
    assert_eq!(meta.fieldsets[0].description, "Who they are.");
    let sections = meta.sections();
    assert_eq!(sections[0].fields, [0, 4, 5]);
    let widget = |n: &str| meta.field(n).unwrap().1.widget;
    assert_eq!(widget("plan"), Widget::Radio);
    assert_eq!(widget("email"), Widget::Text);
    assert_eq!(widget("motto"), Widget::Text);
    assert_eq!(widget("notes"), Widget::Textarea);
    assert_eq!(widget("id"), Widget::Integer);
    assert!(meta.field("notes").unwrap().1.multiline);
    assert!(meta.field("company").unwrap().1.blank);
    assert!(!meta.field("company").unwrap().1.required());
    assert!(meta.field("email").unwrap().1.required());
    assert_eq!(Model::parse_value(2, "  "), Ok(sea_orm::Value::from(String::new())));
    assert!(Model::parse_value(1, "").is_err());
}
