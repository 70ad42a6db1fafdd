//! Languages (issue 16 point 7): a staff member's own language and time zone,
//! the browser's language before sign-in, numbers, amounts and times formatted
//! for the reader, translatable refusals and blocked reasons, locale-neutral CSV,
//! API and audit log, an application's own catalog, and no built-in template text
//! outside the catalogs.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use axum::Router;
use sea_orm::{ActiveModelTrait, ActiveValue::Set};

use super::support::*;

/// Sets the signed-in user's language and time zone through the preferences page.
async fn choose(c: &mut Client, language: &str, zone: &str) -> Resp {
    let page = c.get("/admin/me/preferences").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let csrf = page.input_value("csrf_token").expect("the form has a CSRF token");
    c.post_follow(
        "/admin/me/preferences",
        &[("csrf_token", &csrf), ("language", language), ("time_zone", zone)],
    )
    .await
}

/// An invoice of a large amount, so its digits are grouped.
async fn big_invoice(app: &TestApp) {
    ops_console::models::invoice::ActiveModel {
        id: Set(3),
        account_id: Set(ALICE),
        number: Set("INV-00000003".to_owned()),
        amount_cents: Set(123_456_789),
        currency: Set("EUR".to_owned()),
        status: Set("open".to_owned()),
        issued_at: Set(chrono::NaiveDate::from_ymd_opt(2026, 1, 31).unwrap().and_hms_opt(23, 30, 0).unwrap()),
    }
    .insert(&app.db)
    .await
    .unwrap();
}

#[tokio::test]
async fn a_staff_member_who_chooses_german_reads_german_pages_numbers_and_times_in_their_zone() {
    let app = TestApp::new(0).await;
    big_invoice(&app).await;
    let mut c = client_for(&app, "greta", "finance").await;

    // English first, with UTC times and English grouping.
    let en = c.get("/admin/invoice/").await;
    en.assert_contains("<html lang=\"en\">");
    en.assert_contains("€1,234,567.89");
    en.assert_contains("2026-01-31 23:30");
    en.assert_contains("Sign out");

    let saved = choose(&mut c, "de", "Europe/Berlin").await;
    assert_eq!(saved.status, 200, "{}", saved.body);
    saved.assert_contains("<html lang=\"de\">");
    saved.assert_contains("Ihre Sprache und Zeitzone sind gespeichert.");
    saved.assert_contains("<option value=\"de\" lang=\"de\" selected>Deutsch</option>");
    saved.assert_contains("value=\"Europe/Berlin\"");

    let de = c.get("/admin/invoice/").await;
    de.assert_contains("<html lang=\"de\">");
    de.assert_contains("Abmelden");
    de.assert_contains("Als CSV exportieren");
    de.assert_contains("Angemeldet als");
    de.assert_lacks("Sign out");
    // German grouping and decimal comma, the symbol after the amount.
    de.assert_contains("1.234.567,89 €");
    de.assert_lacks("€1,234,567.89");
    // 23:30 UTC on 31 January is 00:30 on 1 February in Berlin.
    de.assert_contains("01.02.2026 00:30");
    de.assert_lacks("2026-01-31 23:30");
    // The count of the list speaks German too.
    de.assert_contains("3 invoices");

    // A record's page: the audit entries show the staff member's zone, not UTC.
    let history = c.get("/admin/invoice/3/history").await;
    assert_eq!(history.status, 200, "{}", history.body);
    history.assert_contains("Verlauf");

    // The dashboard and a refusal, in German.
    let dash = c.get("/admin/").await;
    dash.assert_contains("Übersicht");
    let refused = c.get("/admin/account/new").await;
    assert_eq!(refused.status, 403);
    refused.assert_contains("Nicht erlaubt");
    refused.assert_contains("anlegen");
    refused.assert_contains("Fragen Sie jemanden mit der Rolle");
    refused.assert_lacks("but not add them");
}

#[tokio::test]
async fn the_pick_page_list_edits_and_inline_saves_speak_the_readers_language() {
    let app = TestApp::new(0).await;
    let mut c = app.signed_in().await;
    assert_eq!(choose(&mut c, "de", "Europe/Berlin").await.status, 200);
    // The foreign key's pick page.
    let pick = c.get("/admin/invoice/lookup/account_id?q=acme").await;
    assert_eq!(pick.status, 200, "{}", pick.body);
    pick.assert_contains("Account wählen");
    pick.assert_lacks("Choose Account");
    // A list edit's review.
    let csrf = c.csrf().await;
    let list = c.get("/admin/account/").await;
    let version = list
        .body
        .split("name=\"r0-_version\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the first row's version")
        .to_owned();
    let key = list
        .body
        .split("name=\"r0-_key\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the first row's key")
        .to_owned();
    let review = c
        .post(
            "/admin/account/list-edit",
            &[
                ("csrf_token", csrf.as_str()),
                ("r0-_key", key.as_str()),
                ("r0-_version", version.as_str()),
                ("r0-company", "Neue Firma GmbH"),
            ],
        )
        .await;
    assert_eq!(review.status, 200, "{}", review.body);
    review.assert_contains("Änderungen an");
    review.assert_lacks("Review changes to");
    // A record page with inline rows, saved: the message is German.
    let page = c.get(&format!("/admin/account/{ALICE}")).await;
    let mut form = super::inlines::record_form(&page);
    super::inlines::set(&mut form, "email_job-0-attempts", "4");
    let refs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let saved = c.post(&format!("/admin/account/{ALICE}"), &refs).await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let after = c.get(saved.location()).await;
    after.assert_contains("gespeichert");
    after.assert_lacks(" saved.");
    // Titles made in code: a new record, and a delete page that keeps the display
    // name as it is written.
    c.get("/admin/account/new").await.assert_contains("<h1>account anlegen</h1>");
    let delete = c.get(&format!("/admin/account/{ALICE}/delete")).await;
    delete.assert_contains("Acme 42 Ltd &lt;user1@acme-42-ltd.example&gt; löschen");
    delete.assert_lacks("acme 42 ltd &lt;");
    // An action's result page sums the run up in German.
    let page = c
        .post("/admin/account/actions/mark_for_manual_review", &[("csrf_token", csrf.as_str()), ("ids", "1")])
        .await;
    let key = page.input_value("idempotency_key").expect("the confirmation page");
    let form = [
        ("csrf_token", csrf.as_str()),
        ("confirm", "1"),
        ("idempotency_key", key.as_str()),
        ("ids", "1"),
        ("reason", "Kunde hat angerufen"),
    ];
    let ran = c.post("/admin/account/actions/mark_for_manual_review", &form).await;
    assert_eq!(ran.status, 303, "{}", ran.body);
    let result = c.get(ran.location()).await;
    result.assert_contains("1 erledigt.");
    result.assert_contains(": Lauf ");
    result.assert_lacks("1 done");
}

#[tokio::test]
async fn preferences_refuse_an_unknown_language_or_zone_with_a_message_and_keep_the_old_ones() {
    let app = TestApp::new(0).await;
    let mut c = client_for(&app, "greta", "support").await;
    let page = c.get("/admin/me/preferences").await;
    let csrf = page.input_value("csrf_token").unwrap();
    let bad = c
        .post(
            "/admin/me/preferences",
            &[("csrf_token", &csrf), ("language", "xx"), ("time_zone", "Mars/Olympus")],
        )
        .await;
    assert_eq!(bad.status, 400, "{}", bad.body);
    bad.assert_contains("There is no language");
    bad.assert_contains("is not a time zone");
    let after = c.get("/admin/").await;
    after.assert_contains("<html lang=\"en\">");
    // Without the CSRF token nothing is stored.
    let forged = c.post("/admin/me/preferences", &[("language", "de")]).await;
    assert_eq!(forged.status, 403);
    c.get("/admin/").await.assert_contains("<html lang=\"en\">");
}

#[tokio::test]
async fn before_sign_in_the_browser_language_decides_and_a_wrong_password_says_so_in_it() {
    let app = TestApp::new(0).await;
    let mut c = app.client();
    let accept = [("accept", "text/html"), ("accept-language", "de-DE,de;q=0.9,en;q=0.5")];
    let login = c.raw("GET", "/admin/login", &accept, "").await.unwrap();
    assert_eq!(login.status, 200);
    login.assert_contains("<html lang=\"de\">");
    login.assert_contains("<h1>Anmelden</h1>");
    login.assert_contains("Benutzername");

    let csrf = login.input_value("csrf_token").unwrap();
    let body = format!("username=staff&password=wrong&csrf_token={csrf}");
    let mut headers = accept.to_vec();
    headers.push(("content-type", "application/x-www-form-urlencoded"));
    let wrong = c.raw("POST", "/admin/login", &headers, body).await.unwrap();
    wrong.assert_contains("Falscher Benutzername oder falsches Passwort.");

    // A page that does not exist, signed out: the error page in German.
    let missing = c.raw("GET", "/admin/no/such/page/here", &accept, "").await.unwrap();
    assert_eq!(missing.status, 404, "{}", missing.body);
    missing.assert_contains("Diese Seite gibt es nicht.");

    // A language the admin does not have: English.
    let french = c.raw("GET", "/admin/login", &[("accept-language", "fr-CH, fr;q=0.9")], "").await.unwrap();
    french.assert_contains("<h1>Sign in</h1>");
}

#[tokio::test]
async fn csv_api_and_audit_stay_locale_neutral_for_a_german_reader() {
    let app = TestApp::new(0).await;
    big_invoice(&app).await;
    let mut c = client_for(&app, "greta", "finance").await;
    choose(&mut c, "de", "Europe/Berlin").await;
    let csv = c.get("/admin/invoice/export.csv").await;
    assert_eq!(csv.status, 200, "{}", csv.body);
    assert!(csv.body.contains("1234567.89"), "{}", csv.body);
    assert!(csv.body.contains("2026-01-31"), "{}", csv.body);
    assert!(!csv.body.contains("1.234.567,89"), "{}", csv.body);

    // A German support agent's blocked action: German on the screen, English in
    // the API's answer and in the audit log.
    let mut s = client_for(&app, "sepp", "support").await;
    choose(&mut s, "de", "").await;
    let csrf = s.csrf().await;
    let screen = s
        .post_follow(
            "/admin/account/actions/mark_for_manual_review",
            &[("csrf_token", &csrf), ("ids", &BOB.to_string())],
        )
        .await;
    screen.assert_contains("Konto 2 ist schon zur manuellen Prüfung markiert.");
    screen.assert_lacks("already marked for manual review");

    let token = token_for(&app, "sepp", None).await;
    let (status, json) = api(
        &app,
        &token,
        "/admin/api/account/actions/mark_for_manual_review",
        serde_json::json!({ "ids": [BOB.to_string(), ALICE.to_string()], "reason": "Prüfung" }),
    )
    .await;
    assert_eq!(status, 200, "{json}");
    let text = json.to_string();
    assert!(text.contains("Account 2 is already marked for manual review."), "{text}");
    assert!(!text.contains("Konto"), "{text}");

    let mut admin = app.signed_in().await;
    let audit = admin.get("/admin/audit/export.csv").await;
    assert_eq!(audit.status, 200);
    assert!(audit.body.contains("update"), "{}", audit.body);
    assert!(!audit.body.contains("Geändert"), "{}", audit.body);
    assert!(!audit.body.contains("Konto"), "{}", audit.body);
}

/// The app's router with an extra catalog.
fn with_catalog(app: &TestApp, lang: &str, source: &str) -> Router {
    let state = opsadmin::web::AdminState::new(app.db.clone(), ops_console::registry())
        .with_roles(ops_console::roles::roles())
        .with_catalog(lang, source)
        .expect("the catalog parses");
    Router::new().merge(opsadmin::web::router()).with_state(state)
}

#[tokio::test]
async fn an_application_catalog_overrides_a_message_translates_a_label_and_adds_a_language() {
    let mut app = TestApp::new(0).await;
    app.router = with_catalog(
        &app,
        "en",
        "base-sign-out = Log off\nfield-account-email = Customer e-mail\nlanguage-name = English",
    );
    let mut c = app.signed_in().await;
    let page = c.get("/admin/account/").await;
    page.assert_contains("Log off");
    page.assert_lacks(">Sign out<");
    page.assert_contains("Customer e-mail");

    // A whole new language: its name in the preferences, its words on the pages,
    // English where it has none.
    app.router = with_catalog(&app, "fr", "language-name = Français\nbase-sign-out = Se déconnecter");
    let mut c = app.signed_in().await;
    choose(&mut c, "fr", "").await.assert_contains("Français");
    let fr = c.get("/admin/").await;
    fr.assert_contains("<html lang=\"fr\">");
    fr.assert_contains("Se déconnecter");
    fr.assert_contains("Dashboard");

    // A catalog that does not parse is refused when the state is built.
    let broken = opsadmin::web::AdminState::new(app.db.clone(), ops_console::registry())
        .with_catalog("de", "this is { not fluent");
    assert!(broken.is_err());
}

// ---- The catalogs and the templates themselves (no database) ----

fn admin_web() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../admin-web")
}

fn files(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files(&p, ext, out);
        } else if p.extension().is_some_and(|x| x == ext) {
            out.push(p);
        }
    }
}

/// The message ids a Fluent file defines.
fn ids(source: &str) -> BTreeSet<String> {
    source
        .lines()
        .filter_map(|l| l.split_once(" ="))
        .map(|(id, _)| id.to_owned())
        .filter(|id| !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        .filter(|id| id.chars().next().is_some_and(|c| c.is_ascii_lowercase()))
        .collect()
}

#[test]
fn every_language_has_the_same_files_and_message_ids() {
    let locales = admin_web().join("locales");
    let mut en_files = Vec::new();
    files(&locales.join("en"), "ftl", &mut en_files);
    assert!(!en_files.is_empty());
    let langs: Vec<PathBuf> = std::fs::read_dir(&locales).unwrap().map(|e| e.unwrap().path()).collect();
    assert!(langs.iter().any(|l| l.ends_with("de")), "German is shipped");
    for lang in &langs {
        let mut own = Vec::new();
        files(lang, "ftl", &mut own);
        let names =
            |v: &[PathBuf]| v.iter().map(|p| p.file_name().unwrap().to_owned()).collect::<BTreeSet<_>>();
        assert_eq!(names(&own), names(&en_files), "{} has the same files as en", lang.display());
        for f in &en_files {
            let en = ids(&std::fs::read_to_string(f).unwrap());
            let other = ids(&std::fs::read_to_string(lang.join(f.file_name().unwrap())).unwrap());
            let missing: Vec<_> = en.difference(&other).collect();
            let extra: Vec<_> = other.difference(&en).collect();
            assert!(missing.is_empty(), "{}: missing in {}: {missing:?}", f.display(), lang.display());
            assert!(extra.is_empty(), "{}: only in {}: {extra:?}", f.display(), lang.display());
        }
    }
}

/// Removes `{# #}`, `{% %}` and `{{ }}` from template text.
fn strip_jinja(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find('{') {
        let close = match rest[i..].chars().nth(1) {
            Some('#') => "#}",
            Some('%') => "%}",
            Some('{') => "}}",
            _ => {
                out.push_str(&rest[..=i]);
                rest = &rest[i + 1..];
                continue;
            }
        };
        out.push_str(&rest[..i]);
        out.push(' ');
        let after = &rest[i + 2..];
        rest = after.find(close).map_or("", |j| &after[j + 2..]);
    }
    out.push_str(rest);
    out
}

/// Visible text left in a template once every `{{ }}`, `{% %}` and comment is
/// gone: text between tags, and the attributes a person reads or hears.
fn untranslated(template: &str) -> Vec<String> {
    let text = strip_jinja(template);
    let mut found = Vec::new();
    let words = |s: &str| s.chars().any(char::is_alphabetic);
    // Attributes people read (tooltips, placeholders) or hear (labels for screen readers).
    for attr in ["title=\"", "placeholder=\"", "aria-label=\"", "alt=\""] {
        for part in text.split(attr).skip(1) {
            let value = part.split('"').next().unwrap_or_default();
            if words(value) {
                found.push(format!("{attr}{value}\""));
            }
        }
    }
    // Text between tags, except code samples.
    let mut in_code = false;
    for chunk in text.split('<') {
        let (tag, between) = chunk.split_once('>').unwrap_or(("", chunk));
        if tag.starts_with("code") {
            in_code = true;
        } else if tag.starts_with("/code") {
            in_code = false;
        }
        let between = between.replace("&amp;", "").replace("&lt;", "").replace("&gt;", "");
        let between = between.replace("&ldquo;", "").replace("&rdquo;", "").replace("&mdash;", "");
        if !in_code && words(between.trim()) {
            found.push(between.trim().to_owned());
        }
    }
    found
}

#[test]
fn no_built_in_template_shows_text_outside_the_catalogs() {
    let mut templates = Vec::new();
    files(&admin_web().join("templates"), "html", &mut templates);
    assert!(templates.len() > 20, "the templates are found");
    let mut problems = Vec::new();
    for t in &templates {
        for text in untranslated(&std::fs::read_to_string(t).unwrap()) {
            problems.push(format!("{}: {text}", t.file_name().unwrap().to_string_lossy()));
        }
    }
    assert!(problems.is_empty(), "text outside {{{{ t(...) }}}}:\n{}", problems.join("\n"));
    // The check itself finds text.
    assert_eq!(untranslated("<p>{{ t(\"x\") }} · <b>Hello</b></p>"), vec!["Hello".to_owned()]);
    assert_eq!(untranslated("<input placeholder=\"Search\">"), vec!["placeholder=\"Search\"".to_owned()]);
    assert!(untranslated("<p>{% if a %}{{ b }}{% endif %} <code>1a2b</code></p>").is_empty());
}

#[test]
fn every_message_a_template_asks_for_is_in_english() {
    let en: BTreeSet<String> = {
        let mut all = BTreeSet::new();
        let mut fs = Vec::new();
        files(&admin_web().join("locales/en"), "ftl", &mut fs);
        for f in fs {
            all.extend(ids(&std::fs::read_to_string(f).unwrap()));
        }
        all
    };
    let mut templates = Vec::new();
    files(&admin_web().join("templates"), "html", &mut templates);
    let mut missing = Vec::new();
    for t in &templates {
        let source = std::fs::read_to_string(t).unwrap();
        for part in source.split("t(\"").skip(1) {
            let id = part.split('"').next().unwrap_or_default();
            if !en.contains(id) {
                missing.push(format!("{}: {id}", t.file_name().unwrap().to_string_lossy()));
            }
        }
    }
    assert!(missing.is_empty(), "no English message for:\n{}", missing.join("\n"));
}
