use opsadmin::ActionInput;

#[derive(ActionInput)]
pub struct LockInput {
    #[admin(placeholder = "Why?")]
    pub note: Option<String>,
}

fn main() {}
