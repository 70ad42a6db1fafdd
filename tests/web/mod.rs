//! HTTP tests of the admin screens over the reference app and a real SQLite file.

mod access;
mod actions;
mod app_actions;
mod approvals;
mod audit;
mod audit_chain;
mod auth;
mod columns;
mod detail;
mod door;
mod edges;
mod features;
mod hostile;
mod idempotency;
mod identity;
mod instances;
mod list;
mod origin;
mod password_limits;
mod passwords;
mod scale;
pub mod support;
mod tenants;
mod two_factor;
