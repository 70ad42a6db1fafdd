use opsadmin::AdminChoices;

#[derive(AdminChoices)]
pub struct Plan {
    pub name: String,
}

fn main() {}
