// sea-orm 2's dense entity format: `#[sea_orm::model]` with relation fields. Relation
// fields are not columns, and the `ModelEx` twin the attribute creates gets no impl.

mod cake {
    use opsadmin::AdminModel;
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel, AdminModel)]
    #[sea_orm(table_name = "cake")]
    #[admin(search(name))]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub name: String,
        #[sea_orm(has_many)]
        pub fruits: HasMany<super::fruit::Entity>,
    }

    impl ActiveModelBehavior for ActiveModel {}
}

mod fruit {
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "fruit")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub cake_id: Option<i32>,
        #[sea_orm(belongs_to, from = "cake_id", to = "id")]
        pub cake: HasOne<super::cake::Entity>,
    }

    impl ActiveModelBehavior for ActiveModel {}
}

fn main() {
    use opsadmin::AdminModel;
    let meta = <cake::Model as AdminModel>::meta();
    let names: Vec<&str> = meta.fields.iter().map(|f| f.name).collect();
    assert_eq!(names, ["id", "name"]);
    assert_eq!(meta.search, &[1]);
    assert_eq!(meta.label_plural, "Cakes");
}
