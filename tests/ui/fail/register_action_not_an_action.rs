// `register_action!` on a type that does not implement `Action`.

#[derive(Default)]
pub struct MarkForReview;

opsadmin::register_action!(MarkForReview);

fn main() {}
