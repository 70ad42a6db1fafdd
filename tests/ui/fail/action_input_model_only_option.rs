use opsadmin::ActionInput;

#[derive(ActionInput)]
pub struct LockInput {
    #[admin(readonly, help = "Shown, never changed.")]
    pub note: Option<String>,
    #[admin(hidden_for(viewer))]
    pub amount_cents: i64,
}

fn main() {}
