use opsadmin::AdminChoices;

#[derive(AdminChoices)]
pub enum Plan {
    Free,
    Monthly,
    #[admin(value = "monthly", label = "Monthly (legacy)")]
    LegacyMonthly,
}

fn main() {}
