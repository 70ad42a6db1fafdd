use opsadmin::ActionInput;

#[derive(ActionInput)]
pub struct LockInput {
    pub reason: String,
}

fn main() {}
