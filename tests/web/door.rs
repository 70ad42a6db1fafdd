//! One door (issue 14, point 2): the same scenario table driven through the screens,
//! the JSON API, the command line and the door itself (a user's script) gives the
//! same outcome on every channel: the same records changed, the same refusal in the
//! same words.

use admin_core::service::{ActionRequest, ActionResult};
use ops_console::models::account;
use opsadmin::Service;
use sea_orm::EntityTrait;
use serde_json::json;

use super::support::{CAROL, PASSWORD, TestApp, api, html_unescape, token_for};

/// What became of one request, as a person using that channel would read it.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Outcome {
    /// It ran: how many records were acted on and how many skipped.
    Ran { done: usize, skipped: usize },
    /// Refused for want of a permission, with the sentence shown.
    Forbidden(String),
    /// Refused before running: the form's message.
    Invalid(String),
    /// No such action.
    NotFound,
}

/// One row of the table: who, what, on which account, and what must happen.
struct Scenario {
    user: &'static str,
    role: &'static str,
    action: &'static str,
    /// The account, or `None` for a fresh one per channel (so each channel's run
    /// changes its own record).
    account: Option<i64>,
    input: &'static [(&'static str, &'static str)],
    reason: Option<&'static str>,
    expect: Outcome,
}

fn table() -> Vec<Scenario> {
    let forbidden = "You cannot run \u{201c}Mark for manual review\u{201d} on accounts: that is done by support. Ask someone with the support role.";
    vec![
        Scenario {
            user: "sue",
            role: "support",
            action: "mark_for_manual_review",
            account: None,
            input: &[],
            reason: None,
            expect: Outcome::Ran { done: 1, skipped: 0 },
        },
        Scenario {
            user: "vic",
            role: "viewer",
            action: "mark_for_manual_review",
            account: None,
            input: &[],
            reason: None,
            expect: Outcome::Forbidden(forbidden.to_owned()),
        },
        Scenario {
            user: "ann",
            role: "admin",
            action: "lock_account",
            account: None,
            input: &[("kind", "fraud")],
            reason: None,
            expect: Outcome::Invalid("Say why you run \u{201c}Lock account\u{201d}".to_owned()),
        },
        Scenario {
            user: "ann",
            role: "admin",
            action: "lock_account",
            account: Some(CAROL),
            input: &[("kind", "fraud")],
            reason: Some("Card testing"),
            expect: Outcome::Ran { done: 0, skipped: 1 },
        },
        Scenario {
            user: "sue",
            role: "support",
            action: "no_such_action",
            account: None,
            input: &[],
            reason: None,
            expect: Outcome::NotFound,
        },
    ]
}

#[derive(Clone, Copy, Debug)]
enum Channel {
    Screens,
    Api,
    Cli,
    Door,
}

const CHANNELS: [Channel; 4] = [Channel::Screens, Channel::Api, Channel::Cli, Channel::Door];

/// Runs one scenario through one channel, on account `id`.
async fn run(app: &TestApp, channel: Channel, s: &Scenario, id: i64) -> Outcome {
    let id_text = id.to_string();
    match channel {
        Channel::Screens => {
            let mut c = app.client();
            assert_eq!(c.sign_in(s.user, PASSWORD).await.status, 303);
            let csrf = c.csrf().await;
            let path = format!("/admin/account/actions/{}", s.action);
            let page = c.post(&path, &[("csrf_token", &csrf), ("ids", &id_text)]).await;
            let key = page.input_value("idempotency_key").unwrap_or_default();
            let mut form = vec![
                ("csrf_token", csrf.as_str()),
                ("confirm", "1"),
                ("idempotency_key", &key),
                ("ids", &id_text),
            ];
            form.extend(s.input.iter().copied());
            if let Some(r) = s.reason {
                form.push(("reason", r));
            }
            let mut r = c.post(&path, &form).await;
            // A run answers with its result page's address.
            if r.status.as_u16() == 303 {
                let location = r.location().to_owned();
                r = c.get(&location).await;
            }
            let body = html_unescape(&r.body);
            match r.status.as_u16() {
                200 => {
                    let done = usize::from(body.contains(": 1 done"));
                    let skipped = usize::from(body.contains("1 skipped"));
                    Outcome::Ran { done, skipped }
                }
                403 => Outcome::Forbidden(sentence_in(&body, "You cannot")),
                400 => Outcome::Invalid(sentence_in(&body, "Say why")),
                404 => Outcome::NotFound,
                other => panic!("screens answered {other}: {body}"),
            }
        }
        Channel::Api => {
            let token = token_for(app, s.user, None).await;
            let input: serde_json::Map<String, serde_json::Value> =
                s.input.iter().map(|(k, v)| ((*k).to_owned(), json!(v))).collect();
            let mut body = json!({ "ids": [id_text], "input": input });
            if let Some(r) = s.reason {
                body["reason"] = json!(r);
            }
            let (status, json) =
                api(app, &token, &format!("/admin/api/account/actions/{}", s.action), body).await;
            let message = json["message"].as_str().unwrap_or_default().to_owned();
            match status {
                200 => Outcome::Ran {
                    done: json["done"].as_array().map_or(0, Vec::len),
                    skipped: json["skipped"].as_array().map_or(0, Vec::len),
                },
                403 => Outcome::Forbidden(message),
                400 => Outcome::Invalid(first_field_message(&json).unwrap_or(message)),
                404 => Outcome::NotFound,
                other => panic!("the API answered {other}: {json}"),
            }
        }
        Channel::Cli => {
            let args = ops_console::cli::ActionArgs {
                model: "account".into(),
                action: s.action.into(),
                ids: vec![id_text.clone()],
                user: s.user.into(),
                reason: s.reason.map(str::to_owned),
                input: s.input.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
                idempotency_key: None,
                database_url: None,
                all_matching: None,
                no_wait: false,
            };
            let registry = ops_console::registry();
            match ops_console::commands::action(&app.db, &registry, &ops_console::roles::roles(), &args).await
            {
                Ok(text) => Outcome::Ran {
                    done: usize::from(text.contains(": 1 done")),
                    skipped: usize::from(text.contains("1 skipped")),
                },
                Err(e) if e.code == ops_console::commands::EXIT_USAGE => Outcome::NotFound,
                Err(e) if e.message.starts_with("You cannot") => Outcome::Forbidden(e.message),
                Err(e) => Outcome::Invalid(e.message),
            }
        }
        Channel::Door => {
            let service =
                Service::new(app.db.clone(), ops_console::registry()).with_roles(ops_console::roles::roles());
            let caller = service.local(s.user).await.unwrap().with_reason(s.reason.map(str::to_owned));
            let input: serde_json::Map<String, serde_json::Value> =
                s.input.iter().map(|(k, v)| ((*k).to_owned(), json!(v))).collect();
            let request =
                ActionRequest { keys: vec![id_text.clone()], input: input.into(), idempotency_key: None };
            match service.run_action(&caller, "account", s.action, &request).await {
                Ok(ActionResult::Ran(r) | ActionResult::AlreadyRan(r)) => {
                    Outcome::Ran { done: r.done.len(), skipped: r.skipped.len() }
                }
                Ok(ActionResult::Queued { .. }) => panic!("nothing in the table needs approval"),
                Err(opsadmin::Error::Forbidden(m)) => Outcome::Forbidden(m.to_string()),
                Err(opsadmin::Error::Invalid(errors)) => {
                    Outcome::Invalid(errors.first().map(|e| e.message.clone()).unwrap_or_default())
                }
                Err(opsadmin::Error::NotFound(_)) => Outcome::NotFound,
                Err(other) => panic!("the door answered {other:?}"),
            }
        }
    }
}

/// The sentence of `body` that starts with `start` (up to its full stop or the
/// end of the element), for comparing refusals across channels.
fn sentence_in(body: &str, start: &str) -> String {
    let Some(at) = body.find(start) else { return String::new() };
    let rest = &body[at..];
    let end = rest.find('<').unwrap_or(rest.len());
    rest[..end].trim().to_owned()
}

fn first_field_message(json: &serde_json::Value) -> Option<String> {
    json["fields"].as_object()?.values().next()?.as_str().map(str::to_owned)
}

/// Whether `got` is the outcome `want` reads as: refusals compare by their opening
/// words (a screen adds no words, the API and the command line may add the field).
fn same(want: &Outcome, got: &Outcome) -> bool {
    match (want, got) {
        (Outcome::Forbidden(w), Outcome::Forbidden(g)) => g == w,
        (Outcome::Invalid(w), Outcome::Invalid(g)) => g.contains(w.as_str()),
        _ => want == got,
    }
}

#[tokio::test]
async fn every_channel_gives_the_same_outcome_for_the_same_request() {
    let rows = table();
    // Three fixture accounts, then one fresh account per row and channel.
    let app = TestApp::new(rows.len() * CHANNELS.len()).await;
    let mut people: Vec<(&str, &str)> = rows.iter().map(|s| (s.user, s.role)).collect();
    people.sort_unstable();
    people.dedup();
    for (user, role) in people {
        opsadmin::auth::create_user(&app.db, user, PASSWORD, &[role], false).await.unwrap();
    }
    let mut next = 4;
    let mut failures = Vec::new();
    for (i, s) in rows.iter().enumerate() {
        for channel in CHANNELS {
            let id = s.account.unwrap_or_else(|| {
                next += 1;
                next - 1
            });
            let before = account::Entity::find_by_id(id).one(&app.db).await.unwrap().unwrap();
            let got = run(&app, channel, s, id).await;
            if !same(&s.expect, &got) {
                failures.push(format!(
                    "row {i} ({} as {}) via {channel:?}: expected {:?}, got {got:?}",
                    s.action, s.user, s.expect
                ));
            }
            let after = account::Entity::find_by_id(id).one(&app.db).await.unwrap().unwrap();
            let changed = before != after;
            let should_change = matches!(s.expect, Outcome::Ran { done: 1, .. });
            if changed != should_change {
                failures.push(format!(
                    "row {i} ({} as {}) via {channel:?}: the account {} changed",
                    s.action,
                    s.user,
                    if changed { "was" } else { "was not" }
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
