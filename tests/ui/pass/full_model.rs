// Every struct and field option of #[derive(AdminModel)], checked at run time.

use opsadmin::{AdminChoices, AdminModel, Cell, Choice, FieldKind};
use sea_orm::entity::prelude::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq, AdminChoices)]
pub enum Plan {
    Free,
    #[admin(label = "Monthly plan")]
    Monthly,
    #[admin(value = "annual_v2", label = "Annual")]
    Annual,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, AdminChoices)]
pub enum Region {
    Eu,
    Us,
}

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, AdminModel)]
#[sea_orm(table_name = "account")]
#[admin(
    crate = "::opsadmin",
    label = "Customer account",
    label_plural = "Customer accounts",
    list_display(id, email, company, plan, manual_review, signup_at),
    list_editable(company, manual_review),
    search(email, company, region),
    filters(plan, region, manual_review, signup_at, last_login_at, owner_id),
    readonly(billing_note, updated_at),
    ordering = "-signup_at, email",
    per_page = 25,
    reason_required,
)]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[admin(label = "Email", help = "Where we send receipts and sign-in links.")]
    pub email: String,
    #[sea_orm(column_type = "String(StringLen::N(120))", nullable)]
    pub company: Option<String>,
    #[admin(choices = Plan)]
    pub plan: String,
    #[admin(choices = Region)]
    pub region: Option<String>,
    pub manual_review: bool,
    pub signup_at: DateTimeUtc,
    pub last_login_at: Option<DateTime>,
    pub birthday: Option<Date>,
    pub balance: Decimal,
    pub score: f64,
    #[sea_orm(indexed)]
    #[admin(foreign_key = "staff_user", label = "Account owner")]
    pub owner_id: Option<i32>,
    #[sea_orm(column_type = "Text", nullable)]
    #[admin(readonly, reason_required)]
    pub billing_state: Option<String>,
    #[admin(max_length = 500)]
    pub billing_note: String,
    pub updated_at: DateTimeUtc,
    #[sea_orm(ignore)]
    pub scratch: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

fn names(meta: &opsadmin::ModelMeta, indexes: &[usize]) -> Vec<&'static str> {
    indexes.iter().map(|&i| meta.fields[i].name).collect()
}

fn main() {
    let meta = <Model as AdminModel>::meta();
    assert_eq!(meta.slug, "account");
    assert_eq!(meta.label, "Customer account");
    assert_eq!(meta.label_plural, "Customer accounts");
    assert_eq!(meta.per_page, 25);
    assert!(meta.reason_required);

    // `scratch` is #[sea_orm(ignore)]: not a column, not in the admin.
    let all: Vec<&str> = meta.fields.iter().map(|f| f.name).collect();
    assert_eq!(
        all,
        [
            "id", "email", "company", "plan", "region", "manual_review", "signup_at",
            "last_login_at", "birthday", "balance", "score", "owner_id", "billing_state",
            "billing_note", "updated_at",
        ]
    );
    assert_eq!(meta.pk, 0);
    assert_eq!(
        names(meta, meta.list_display),
        ["id", "email", "company", "plan", "manual_review", "signup_at"]
    );
    assert_eq!(names(meta, meta.list_editable), ["company", "manual_review"]);
    assert_eq!(names(meta, meta.search), ["email", "company", "region"]);
    assert_eq!(
        names(meta, meta.filters),
        ["plan", "region", "manual_review", "signup_at", "last_login_at", "owner_id"]
    );
    let signup_at = meta.field("signup_at").unwrap().0;
    let email = meta.field("email").unwrap().0;
    assert_eq!(meta.ordering, &[(signup_at, true), (email, false)]);

    let id = meta.pk_field();
    assert_eq!((id.label, id.kind), ("Id", FieldKind::Integer));
    assert!(id.primary_key && id.auto_increment && id.readonly && !id.nullable);

    let (_, email) = meta.field("email").unwrap();
    assert_eq!(email.label, "Email");
    assert_eq!(email.help, "Where we send receipts and sign-in links.");
    assert_eq!(email.kind, FieldKind::Text);
    assert!(!email.readonly && !email.primary_key && !email.auto_increment);
    assert!(email.choices.is_none() && email.foreign_key.is_none());

    let (_, company) = meta.field("company").unwrap();
    assert!(company.nullable);
    assert_eq!((company.label, company.help), ("Company", ""));

    let (plan_index, plan) = meta.field("plan").unwrap();
    assert_eq!(plan.kind, FieldKind::Choice);
    assert!(!plan.nullable);
    assert_eq!(
        plan.choices.unwrap(),
        &[
            Choice { value: "free", label: "Free" },
            Choice { value: "monthly", label: "Monthly plan" },
            Choice { value: "annual_v2", label: "Annual" },
        ]
    );
    assert!(plan.filterable());

    let (region_index, region) = meta.field("region").unwrap();
    assert_eq!(region.kind, FieldKind::Choice);
    assert!(region.nullable);

    let kinds: Vec<FieldKind> = ["manual_review", "signup_at", "last_login_at", "birthday", "balance", "score"]
        .iter()
        .map(|name| meta.field(name).unwrap().1.kind)
        .collect();
    assert_eq!(
        kinds,
        [
            FieldKind::Boolean,
            FieldKind::DateTimeUtc,
            FieldKind::DateTime,
            FieldKind::Date,
            FieldKind::Decimal,
            FieldKind::Float,
        ]
    );

    let (owner_index, owner) = meta.field("owner_id").unwrap();
    assert_eq!(owner.label, "Account owner");
    assert_eq!(owner.foreign_key, Some("staff_user"));
    assert_eq!(owner.kind, FieldKind::Integer);
    assert!(owner.nullable && owner.filterable());

    let readonly: Vec<&str> = meta.fields.iter().filter(|f| f.readonly).map(|f| f.name).collect();
    assert_eq!(readonly, ["id", "billing_state", "billing_note", "updated_at"]);
    let needs_reason: Vec<&str> = meta.fields.iter().filter(|f| f.reason_required).map(|f| f.name).collect();
    assert_eq!(needs_reason, ["billing_state"]);

    // Values in and out.
    let now = chrono::Utc::now();
    let model = Model {
        id: 7,
        email: "ada@example.com".into(),
        company: None,
        plan: "monthly".into(),
        region: Some("eu".into()),
        manual_review: true,
        signup_at: now,
        last_login_at: None,
        birthday: None,
        balance: Decimal::new(1250, 2),
        score: 0.5,
        owner_id: Some(3),
        billing_state: None,
        billing_note: String::new(),
        updated_at: now,
        scratch: String::new(),
    };
    assert_eq!(model.cell(0), Cell::Int(7));
    assert_eq!(model.cell(1), Cell::Text("ada@example.com".into()));
    assert_eq!(model.cell(2), Cell::Null);
    assert_eq!(model.cell(plan_index), Cell::Text("monthly".into()));
    assert_eq!(plan.display(&model.cell(plan_index)), "Monthly plan");
    assert_eq!(model.cell(owner_index), Cell::Int(3));
    assert_eq!(model.cell(meta.field("manual_review").unwrap().0), Cell::Bool(true));
    assert_eq!(model.cell(999), Cell::Null);

    assert_eq!(Model::parse_value(0, " 42 "), Ok(Value::from(42i64)));
    assert_eq!(Model::parse_value(0, "x"), Err("Enter a whole number.".to_owned()));
    assert_eq!(Model::parse_value(plan_index, "free"), Ok(Value::from("free".to_owned())));
    assert_eq!(
        Model::parse_value(plan_index, "gold"),
        Err("Choose one of: Free, Monthly plan, Annual.".to_owned())
    );
    assert_eq!(Model::parse_value(plan_index, ""), Err("This field is required.".to_owned()));
    assert_eq!(Model::parse_value(region_index, ""), Ok(Value::from(None::<String>)));
    assert_eq!(Model::parse_value(region_index, "us"), Ok(Value::from(Some("us".to_owned()))));
    assert!(Model::parse_value(region_index, "asia").is_err());
    assert_eq!(Model::parse_value(owner_index, ""), Ok(Value::from(None::<i32>)));
    assert!(Model::parse_value(999, "1").is_err());

    // Text limits: the column's declared length, `max_length`, else the defaults.
    let (company_index, company) = meta.field("company").unwrap();
    assert_eq!(company.max_length, 120);
    assert_eq!(meta.field("billing_note").unwrap().1.max_length, 500);
    assert_eq!(meta.field("email").unwrap().1.max_length, admin_core::kernel::text::LINE);
    let billing_state = meta.field("billing_state").unwrap().1;
    assert!(billing_state.multiline && billing_state.max_length == admin_core::kernel::text::TEXT);
    assert!(!meta.field("email").unwrap().1.multiline);
    assert_eq!(
        Model::parse_value(company_index, &"x".repeat(121)),
        Err("Keep this to 120 characters or fewer; it has 121.".to_owned())
    );
    assert!(Model::parse_value(company_index, &"x".repeat(120)).is_ok());
    assert_eq!(Model::parse_value(1, "a\u{0}b"), Err(admin_core::kernel::text::CONTROL_MESSAGE.to_owned()));
    assert!(Model::parse_value(0, "4\u{0}2").is_err());
}
