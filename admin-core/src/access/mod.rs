//! Who may do what: the acting staff member ([`Staff`]), roles and the permissions
//! they grant, and the per-field rules (hidden, read-only). Deciding a permission
//! happens here and nowhere else. The limits per role ([`limit`]) are declared here
//! too; the door counts them.

mod config;
pub mod limit;
pub mod permission;
pub mod scope;
mod staff;
mod who;

pub use config::{ConfigError, closest, did_you_mean};
pub use staff::{Staff, role_names};
