//! End-to-end tests in headless Chromium, driven through chromedriver with
//! fantoccini (WebDriver over plain HTTP on 127.0.0.1).
//!
//! Each test serves the reference app in process on a free local port over a fresh
//! database, starts its own chromedriver (which starts Chromium with a new, empty
//! profile), and stops both at the end. The tests need Debian's `chromium` and
//! `chromium-driver` packages (or `CHROME_BIN` and `CHROMEDRIVER` naming the two
//! programs). Without them a test prints `skipped: chromium not installed` and
//! passes, unless `OPSADMIN_E2E=1` is set (CI sets it): then it fails and says
//! what to install.
//!
//! Every main screen is checked where a scenario reaches it ([`browser::Browser::screen`]):
//! a PNG at desktop (1280×800) and phone (390×844) size is saved to the directory
//! named by `OPSADMIN_SCREENSHOTS` (relative paths are taken from the workspace
//! root; default: `opsadmin-screenshots` in the temp dir), the page loaded nothing
//! from outside the app, axe-core (vendored in `vendor/axe-core/`) finds no serious
//! or critical problem in light and dark mode, every form control has a label, and
//! at 200% zoom (a 640px wide window) and on the phone the page does not scroll
//! sideways.
//!
//! Run only these: `cargo test -p admin-tests --test main e2e`; refresh the
//! committed screenshots: `OPSADMIN_SCREENSHOTS=docs/screenshots cargo test -p
//! admin-tests --test main e2e`.

pub mod a11y;
pub mod browser;
pub mod fixture;

mod autocomplete;
mod conflict;
mod effects;
mod finance;
mod forms;
mod imports;
mod inlines;
mod jobs;
mod keyboard;
mod languages;
mod layout;
mod limits;
mod list_editable;
mod no_script;
mod pages;
mod preview;
mod selection;
mod support_desk;
mod undo;
mod viewer;
