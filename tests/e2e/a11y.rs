//! What every main screen must pass: nothing loaded from outside the app,
//! axe-core in light and dark mode, a label for every form control, no sideways
//! scrolling at 200% zoom or on a phone, and a screenshot at desktop and phone size.

use serde_json::{Value as Json, json};

use super::browser::Browser;
use super::fixture::screenshot_dir;

/// axe-core, vendored unmodified from npm (MPL-2.0; see `vendor/axe-core/README.md`).
const AXE: &str = include_str!("vendor/axe-core/axe.min.js");

/// Desktop and phone: the screenshot sizes (CSS pixels), phone with touch layout.
const SIZES: &[(&str, u32, u32, bool)] = &[("desktop", 1280, 800, false), ("phone", 390, 844, true)];

/// A 1280px wide window at 200% zoom lays the page out in 640 CSS pixels.
const ZOOM_200: (u32, u32) = (640, 800);

/// Runs axe and returns the serious and critical violations, one line each.
const RUN_AXE: &str = r#"
const done = arguments[arguments.length - 1];
axe.run(document, { resultTypes: ["violations"] }).then(
  (r) => done(r.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.length}) at `
      + v.nodes.slice(0, 4).map((n) => n.target.join(" ") + " " + (n.failureSummary || "").replace(/\s+/g, " ")).join(" | "))),
  (e) => done(["axe failed: " + e]));
"#;

/// Form controls a person can reach that no label names.
const UNLABELLED: &str = r#"
return [...document.querySelectorAll("input, select, textarea")]
  .filter((e) => e.type !== "hidden")
  .filter((e) => !(e.labels && e.labels.length) && !e.getAttribute("aria-label") && !e.getAttribute("aria-labelledby"))
  .map((e) => e.outerHTML.slice(0, 160));
"#;

/// Resources the page loaded from anywhere but the app itself.
const FOREIGN: &str = r#"
return performance.getEntriesByType("resource").map((e) => e.name)
  .filter((u) => !u.startsWith(location.origin + "/"));
"#;

/// Whether the page itself scrolls sideways, and which elements stick out (tables
/// scroll inside their own `.table-wrap`, which is allowed; the skip link waits
/// off-screen on the left).
const SIDEWAYS: &str = r##"
const root = document.documentElement;
const width = root.clientWidth;
const out = [...document.body.querySelectorAll("*")]
  .filter((e) => !e.closest(".skip"))
  .filter((e) => !e.parentElement.closest(".table-wrap") || ["absolute", "fixed"].includes(getComputedStyle(e).position))
  .filter((e) => { const r = e.getBoundingClientRect(); return r.width > 0 && r.right > width + 1; })
  .slice(0, 6)
  .map((e) => `${e.tagName.toLowerCase()}${e.id ? "#" + e.id : ""}${e.className ? "." + String(e.className).replace(/\s+/g, ".") : ""} right=${Math.round(e.getBoundingClientRect().right)}`);
return { scroll: root.scrollWidth, width, out };
"##;

impl Browser {
    /// Checks the current page as one of the main screens named `name`
    /// (`dashboard`, `list`, ...): saves `{name}-desktop.png` and `{name}-phone.png`
    /// and runs every check of [`Browser::accessible`].
    pub async fn screen(&self, name: &str) {
        let dir = screenshot_dir();
        for &(size, w, h, mobile) in SIZES {
            self.viewport(w, h, mobile).await;
            self.settle().await;
            self.save_screenshot(&dir, &format!("{name}-{size}")).await;
            self.no_sideways_scroll(&format!("{name} at {size} width {w}")).await;
        }
        self.viewport(1280, 800, false).await;
        self.accessible(name).await;
    }

    /// The page loaded nothing from outside the app, axe-core finds no serious or
    /// critical problem in light or dark mode, every form control has a label, and
    /// at 200% zoom the page does not scroll sideways.
    pub async fn accessible(&self, name: &str) {
        let foreign = self.js(FOREIGN, vec![]).await;
        assert_eq!(foreign, json!([]), "{name}: requests that leave the app");
        let unlabelled = self.js(UNLABELLED, vec![]).await;
        assert_eq!(unlabelled, json!([]), "{name}: form controls without a label");
        for dark in [false, true] {
            self.dark(dark).await;
            let problems = self.axe().await;
            let mode = if dark { "dark" } else { "light" };
            assert!(problems.is_empty(), "{name} ({mode} mode), axe-core:\n{}", problems.join("\n"));
        }
        self.dark(false).await;
        self.viewport(ZOOM_200.0, ZOOM_200.1, false).await;
        self.settle().await;
        self.no_sideways_scroll(&format!("{name} at 200% zoom")).await;
        self.viewport(1280, 800, false).await;
    }

    async fn axe(&self) -> Vec<String> {
        let loaded = self.js("return typeof window.axe === 'object';", vec![]).await;
        if loaded != Json::Bool(true) {
            self.js(&format!("{AXE}\nreturn true;"), vec![]).await;
        }
        let out = self.client().execute_async(RUN_AXE, vec![]).await.expect("axe.run");
        serde_json::from_value(out).expect("a list of violations")
    }

    async fn no_sideways_scroll(&self, what: &str) {
        let r = self.js(SIDEWAYS, vec![]).await;
        let (scroll, width) = (r["scroll"].as_u64().unwrap_or(0), r["width"].as_u64().unwrap_or(0));
        assert!(scroll <= width, "{what}: the page scrolls sideways ({scroll}px in {width}px): {}", r["out"]);
    }

    /// Lets layout and paint catch up after a viewport change.
    async fn settle(&self) {
        self.js("window.scrollTo(0, 0); return document.body.offsetHeight;", vec![]).await;
        tokio::time::sleep(std::time::Duration::from_millis(60)).await;
    }
}
