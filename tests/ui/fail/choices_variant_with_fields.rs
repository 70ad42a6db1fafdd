use opsadmin::AdminChoices;

#[derive(AdminChoices)]
pub enum Plan {
    Free,
    Custom(String),
    Trial { days: u32 },
}

fn main() {}
