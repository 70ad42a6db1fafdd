use opsadmin::{ActionInput, AdminChoices};

#[derive(AdminChoices)]
pub enum LockKind {
    Fraud,
    CustomerRequest,
}

#[derive(ActionInput)]
pub struct LockInput {
    #[admin(choices = LockKind)]
    pub kind: i32,
}

fn main() {}
