// A bare #[derive(AdminModel)]: every option takes its default.

use opsadmin::{AdminModel, FieldKind};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, AdminModel)]
#[sea_orm(table_name = "email_job")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub recipient: String,
    pub attempts: i16,
    pub last_error: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

fn main() {
    let meta = <Model as AdminModel>::meta();
    assert_eq!(meta.slug, "email_job");
    assert_eq!(meta.label, "Email job");
    assert_eq!(meta.label_plural, "Email jobs");
    assert_eq!(meta.count_phrase(2), "2 email jobs");
    assert_eq!(meta.list_display, &[0, 1, 2, 3]);
    assert!(meta.search.is_empty());
    assert!(meta.filters.is_empty());
    assert_eq!(meta.ordering, &[(0, true)]);
    assert_eq!(meta.per_page, 100);
    assert_eq!(meta.pk, 0);
    assert!(!meta.reason_required);

    let labels: Vec<&str> = meta.fields.iter().map(|f| f.label).collect();
    assert_eq!(labels, ["Id", "Recipient", "Attempts", "Last error"]);
    let readonly: Vec<&str> = meta.fields.iter().filter(|f| f.readonly).map(|f| f.name).collect();
    assert_eq!(readonly, ["id"]);
    assert!(meta.fields[0].auto_increment);
    assert_eq!(meta.fields[2].kind, FieldKind::Integer);
    assert!(meta.fields[3].nullable && !meta.fields[1].nullable);
    assert!(meta.fields.iter().all(|f| f.help.is_empty() && f.choices.is_none() && !f.reason_required));
}
