use opsadmin::ActionInput;

#[derive(ActionInput)]
pub struct LockInput(String, bool);

fn main() {}
