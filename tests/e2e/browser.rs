//! A headless Chromium behind its own chromedriver, and the few page helpers the
//! scenarios share.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::elements::Element;
use fantoccini::key::Key;
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value as Json, json};

/// How long a test waits for an element or a page before it fails.
const WAIT: Duration = Duration::from_secs(15);

/// Chromium flags that work on these machines: headless, as root, and with no
/// background traffic to the outside (which is closed here).
const CHROMIUM_FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--disable-extensions",
    "--no-default-browser-check",
    "--hide-scrollbars",
    "--force-color-profile=srgb",
    "--lang=en-US",
    "--window-size=1280,800",
];

/// The two programs the browser tests need.
#[derive(Clone, Debug)]
pub struct Tools {
    /// The Chromium binary.
    pub chromium: PathBuf,
    /// chromedriver, of the same version.
    pub chromedriver: PathBuf,
}

/// Whether a missing browser is an error (`OPSADMIN_E2E=1`, as in CI) rather than
/// a reason to skip.
fn required() -> bool {
    matches!(std::env::var("OPSADMIN_E2E").as_deref(), Ok("1" | "true" | "yes"))
}

fn in_path(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).find_map(|dir| names.iter().map(|n| dir.join(n)).find(|p| p.is_file()))
}

fn from_env(var: &str) -> Option<PathBuf> {
    std::env::var_os(var).map(PathBuf::from).filter(|p| p.is_file())
}

/// Finds Chromium and chromedriver. `None` (after printing `skipped: chromium not
/// installed`) when they are missing and `OPSADMIN_E2E` is not set.
///
/// # Panics
/// When they are missing and `OPSADMIN_E2E=1`.
pub fn tools() -> Option<Tools> {
    // Debian's /usr/bin/chromium is a shell wrapper that adds flags and API keys;
    // the binary behind it is started directly.
    let chromium = from_env("CHROME_BIN")
        .or_else(|| Some(PathBuf::from("/usr/lib/chromium/chromium")).filter(|p| p.is_file()))
        .or_else(|| in_path(&["chromium", "chromium-browser", "google-chrome"]));
    let chromedriver = from_env("CHROMEDRIVER").or_else(|| in_path(&["chromedriver"]));
    match (chromium, chromedriver) {
        (Some(chromium), Some(chromedriver)) => Some(Tools { chromium, chromedriver }),
        (chromium, driver) => {
            let missing = [("chromium", chromium.is_none()), ("chromedriver", driver.is_none())]
                .iter()
                .filter(|(_, m)| *m)
                .map(|(n, _)| *n)
                .collect::<Vec<_>>()
                .join(" and ");
            assert!(
                !required(),
                "OPSADMIN_E2E=1 but {missing} cannot be found: install them with \
                 `apt-get install -y chromium chromium-driver` (or set CHROME_BIN and CHROMEDRIVER)"
            );
            eprintln!("skipped: chromium not installed ({missing} missing)");
            None
        }
    }
}

/// A free port on 127.0.0.1 (free when asked; the caller binds it right away).
fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).and_then(|l| l.local_addr()).expect("a free port").port()
}

static PROFILES: AtomicU64 = AtomicU64::new(0);

/// How a browser is started.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    /// Starts Chromium with JavaScript switched off for every page.
    pub no_script: bool,
}

/// One Chromium session, with its chromedriver, its profile directory and the base
/// URL of the app under test. Call [`Browser::close`] at the end; dropping it (on
/// a failed assertion) ends the session and the processes too.
pub struct Browser {
    client: Option<Client>,
    session: Option<String>,
    driver: Child,
    driver_port: u16,
    profile: PathBuf,
    base: String,
}

/// A chromedriver-specific command: one Chrome DevTools Protocol call.
#[derive(Debug)]
struct Cdp {
    cmd: &'static str,
    params: Json,
}

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(&self, base: &url::Url, session: Option<&str>) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/goog/cdp/execute", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(json!({ "cmd": self.cmd, "params": self.params }).to_string()))
    }
}

impl Browser {
    /// Starts chromedriver on a free port and a Chromium session on a new profile,
    /// for the app served at `base` (`http://127.0.0.1:PORT`).
    pub async fn start(tools: &Tools, base: &str, opts: Options) -> Self {
        let driver_port = free_port();
        let n = PROFILES.fetch_add(1, Ordering::SeqCst);
        let profile = std::env::temp_dir().join(format!("opsadmin-e2e-profile-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&profile);
        std::fs::create_dir_all(&profile).expect("profile directory");
        let driver = Command::new(&tools.chromedriver)
            .arg(format!("--port={driver_port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", tools.chromedriver.display()));
        let mut browser =
            Browser { client: None, session: None, driver, driver_port, profile, base: base.to_owned() };
        browser.wait_for_driver().await;

        let mut args: Vec<String> = CHROMIUM_FLAGS.iter().map(|s| (*s).to_owned()).collect();
        args.push(format!("--user-data-dir={}", browser.profile.display()));
        if opts.no_script {
            args.push("--blink-settings=scriptEnabled=false".to_owned());
        }
        let caps = json!({
            "browserName": "chrome",
            "pageLoadStrategy": "normal",
            "goog:chromeOptions": {
                "binary": tools.chromium,
                "args": args,
                "prefs": { "profile.default_content_setting_values.javascript": if opts.no_script { 2 } else { 1 } },
            },
        });
        let Json::Object(caps) = caps else { unreachable!() };
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{driver_port}/"))
            .await
            .unwrap_or_else(|e| panic!("chromedriver could not start Chromium: {e}"));
        browser.session = client.session_id().await.ok().flatten();
        browser.client = Some(client);
        browser.viewport(1280, 800, false).await;
        browser
    }

    async fn wait_for_driver(&mut self) {
        let deadline = Instant::now() + WAIT;
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, self.driver_port));
        while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            if let Ok(Some(status)) = self.driver.try_wait() {
                panic!("chromedriver exited at start ({status})");
            }
            assert!(Instant::now() < deadline, "chromedriver did not listen on port {}", self.driver_port);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The WebDriver client.
    pub fn client(&self) -> &Client {
        self.client.as_ref().expect("the session is open")
    }

    /// Ends the session and stops chromedriver.
    pub async fn close(mut self) {
        if let Some(client) = self.client.take() {
            let _ = client.close().await;
            self.session = None;
        }
    }

    /// One Chrome DevTools Protocol call in the current tab.
    pub async fn cdp(&self, cmd: &'static str, params: Json) -> Json {
        self.client().issue_cmd(Cdp { cmd, params }).await.unwrap_or_else(|e| panic!("{cmd}: {e}"))
    }

    /// Makes the page `width`×`height` CSS pixels, as a phone (`mobile`, which
    /// honours the viewport meta tag) or a desktop window.
    pub async fn viewport(&self, width: u32, height: u32, mobile: bool) {
        self.cdp(
            "Emulation.setDeviceMetricsOverride",
            json!({ "width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile }),
        )
        .await;
    }

    /// Emulates `prefers-color-scheme: dark` (or back to light).
    pub async fn dark(&self, dark: bool) {
        let value = if dark { "dark" } else { "light" };
        self.cdp(
            "Emulation.setEmulatedMedia",
            json!({ "features": [{ "name": "prefers-color-scheme", "value": value }] }),
        )
        .await;
    }

    /// The app's URL for `path` (`/admin/...`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Opens `path` of the app.
    pub async fn goto(&self, path: &str) {
        self.client().goto(&self.url(path)).await.unwrap_or_else(|e| panic!("open {path}: {e}"));
    }

    /// The current path and query (`/admin/account/?q=acme`).
    pub async fn path(&self) -> String {
        let u = self.client().current_url().await.expect("current url");
        match u.query() {
            Some(q) => format!("{}?{q}", u.path()),
            None => u.path().to_owned(),
        }
    }

    /// Waits until the current path and query satisfy `ok` (after a click or a key
    /// that navigates: the new page may not have started loading yet).
    pub async fn wait_path(&self, what: &str, ok: impl Fn(&str) -> bool) {
        let deadline = Instant::now() + WAIT;
        loop {
            let path = self.path().await;
            if ok(&path) {
                // And the new page has loaded.
                self.find("body").await;
                return;
            }
            assert!(Instant::now() < deadline, "still on {path}, waiting for {what}:\n{}", self.text().await);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until the current path and query contain `needle`.
    pub async fn wait_path_contains(&self, needle: &str) {
        self.wait_path(needle, |p| p.contains(needle)).await;
    }

    /// Waits until the page shows `needle` (after a form post that answers on the
    /// same URL).
    pub async fn wait_text(&self, needle: &str) {
        let deadline = Instant::now() + WAIT;
        while !self.text().await.contains(needle) {
            assert!(
                Instant::now() < deadline,
                "expected {needle:?} on {}:\n{}",
                self.path().await,
                self.text().await
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits for the first element matching `css`.
    pub async fn find(&self, css: &str) -> Element {
        match self.client().wait().at_most(WAIT).for_element(Locator::Css(css)).await {
            Ok(e) => e,
            Err(e) => panic!("no element {css:?} on {} ({e}):\n{}", self.path().await, self.text().await),
        }
    }

    /// Waits for the first element matching the XPath expression `xpath`.
    pub async fn find_x(&self, xpath: &str) -> Element {
        match self.client().wait().at_most(WAIT).for_element(Locator::XPath(xpath)).await {
            Ok(e) => e,
            Err(e) => panic!("no element {xpath:?} on {} ({e}):\n{}", self.path().await, self.text().await),
        }
    }

    /// Every element matching `css`, now (no waiting).
    pub async fn all(&self, css: &str) -> Vec<Element> {
        self.client().find_all(Locator::Css(css)).await.expect("find_all")
    }

    /// Whether an element matches `css` now.
    pub async fn has(&self, css: &str) -> bool {
        !self.all(css).await.is_empty()
    }

    /// The visible text of the page.
    pub async fn text(&self) -> String {
        match self.client().find(Locator::Css("body")).await {
            Ok(body) => body.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        }
    }

    /// The visible text of the first element matching `css`.
    pub async fn text_of(&self, css: &str) -> String {
        self.find(css).await.text().await.expect("element text")
    }

    /// The current value of the form control matching `css`.
    pub async fn value(&self, css: &str) -> String {
        self.find(css).await.prop("value").await.expect("value").unwrap_or_default()
    }

    /// What the field with this id shows: a select's chosen option, an input's
    /// value, or a read-only field's text.
    pub async fn shown(&self, id: &str) -> String {
        self.find(&format!("#{id}")).await;
        let v = self
            .js(
                r#"const e = document.getElementById(arguments[0]);
                if (e.tagName === "SELECT") return e.options[e.selectedIndex].text;
                if (e.tagName === "INPUT" || e.tagName === "TEXTAREA") return e.value;
                return e.innerText.trim();"#,
                vec![Json::String(id.to_owned())],
            )
            .await;
        v.as_str().unwrap_or_default().to_owned()
    }

    /// Asserts that the page shows `needle`.
    pub async fn sees(&self, needle: &str) {
        let text = self.text().await;
        assert!(text.contains(needle), "expected {needle:?} on {}:\n{text}", self.path().await);
    }

    /// Asserts that the page does not show `needle`.
    pub async fn does_not_see(&self, needle: &str) {
        let text = self.text().await;
        assert!(!text.contains(needle), "did not expect {needle:?} on {}:\n{text}", self.path().await);
    }

    /// Clears the field matching `css` and types `value` into it.
    pub async fn fill(&self, css: &str, value: &str) {
        let e = self.find(css).await;
        e.clear().await.unwrap_or_else(|err| panic!("clear {css}: {err}"));
        e.send_keys(value).await.unwrap_or_else(|err| panic!("type into {css}: {err}"));
    }

    /// Clicks the first element matching `css`.
    pub async fn click(&self, css: &str) {
        self.find(css).await.click().await.unwrap_or_else(|e| panic!("click {css}: {e}"));
    }

    /// Clicks the button whose text is `label`.
    pub async fn click_button(&self, label: &str) {
        let xpath = format!("//button[normalize-space()={}]", xpath_str(label));
        self.find_x(&xpath).await.click().await.unwrap_or_else(|e| panic!("click {label:?}: {e}"));
    }

    /// Clicks the link whose text is `label`, inside `scope` (a CSS selector).
    pub async fn click_link_in(&self, scope: &str, label: &str) {
        let found = self
            .find(scope)
            .await
            .find(Locator::XPath(&format!(".//a[normalize-space()={}]", xpath_str(label))))
            .await;
        let link = match found {
            Ok(link) => link,
            Err(e) => {
                panic!("no link {label:?} in {scope} on {} ({e}):\n{}", self.path().await, self.text().await)
            }
        };
        link.click().await.unwrap_or_else(|e| panic!("click {label:?}: {e}"));
    }

    /// Runs `script` in the page (a function body; `arguments` holds `args`).
    pub async fn js(&self, script: &str, args: Vec<Json>) -> Json {
        self.client().execute(script, args).await.unwrap_or_else(|e| panic!("script failed: {e}"))
    }

    /// Signs in through the form with the mouse and waits for the dashboard.
    pub async fn sign_in(&self, username: &str, password: &str) {
        self.goto("/admin/login").await;
        self.fill("#id_username", username).await;
        self.fill("#id_password", password).await;
        self.click_button("Sign in").await;
        self.wait_path("the page after signing in", |p| !p.starts_with("/admin/login")).await;
    }

    /// Signs out with the header's button.
    pub async fn sign_out(&self) {
        self.click_button("Sign out").await;
        self.find("#id_username").await;
    }

    /// Presses `keys` one after another on whatever has the focus, as a keyboard
    /// would (no element is focused first).
    pub async fn press(&self, keys: &[Key]) {
        let chars: Vec<char> = keys.iter().map(|k| char::from(*k)).collect();
        self.press_chars(&chars).await;
    }

    /// Types `text` on whatever has the focus.
    pub async fn type_text(&self, text: &str) {
        let chars: Vec<char> = text.chars().collect();
        self.press_chars(&chars).await;
    }

    async fn press_chars(&self, chars: &[char]) {
        let mut seq = KeyActions::new("keyboard".to_owned());
        for &c in chars {
            seq = seq.then(KeyAction::Down { value: c }).then(KeyAction::Up { value: c });
        }
        self.client().perform_actions(seq).await.expect("key actions");
    }

    /// Presses a key while Shift is held (Shift+Tab).
    pub async fn press_shifted(&self, key: Key) {
        let shift = char::from(Key::Shift);
        let k = char::from(key);
        let seq = KeyActions::new("keyboard".to_owned())
            .then(KeyAction::Down { value: shift })
            .then(KeyAction::Down { value: k })
            .then(KeyAction::Up { value: k })
            .then(KeyAction::Up { value: shift });
        self.client().perform_actions(seq).await.expect("key actions");
    }

    /// Saves a PNG of the current viewport to `dir/name.png`.
    pub async fn save_screenshot(&self, dir: &Path, name: &str) {
        let png = self.client().screenshot().await.expect("screenshot");
        std::fs::create_dir_all(dir).expect("screenshot directory");
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    }
}

/// `s` as an XPath string literal.
fn xpath_str(s: &str) -> String {
    if !s.contains('"') {
        format!("\"{s}\"")
    } else {
        format!("concat(\"{}\")", s.replace('"', "\", '\"', \""))
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // After a failed assertion the session is still open: end it through
        // chromedriver (which stops Chromium), then stop chromedriver.
        if let Some(session) = self.session.take() {
            let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, self.driver_port));
            if let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_secs(2)) {
                let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
                let _ = write!(
                    s,
                    "DELETE /session/{session} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n\r\n",
                    self.driver_port
                );
                let _ = s.read_to_end(&mut Vec::new());
            }
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}
