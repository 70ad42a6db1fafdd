use opsadmin::AdminModel;

#[derive(AdminModel)]
pub enum Plan {
    Free,
    Paid,
}

fn main() {}
