//! The one integration-test binary of the workspace.

mod e2e;
mod layers;
mod ui;
mod web;
