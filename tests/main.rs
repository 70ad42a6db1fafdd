//! The one integration-test binary of the workspace.

mod ui;
mod web;
