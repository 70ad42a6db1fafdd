//! HTTP tests of the admin screens over the reference app and a real SQLite file.

mod access;
mod actions;
mod app_actions;
mod approvals;
mod audit;
mod auth;
mod detail;
mod features;
mod hostile;
mod instances;
mod list;
mod scale;
pub mod support;
mod two_factor;
