//! The one integration-test binary of the workspace.

mod e2e;
mod ui;
mod web;
