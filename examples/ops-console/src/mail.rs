//! The console's mail: the handler of `mail` effects, which actions such as "Retry
//! welcome email" schedule with the payload
//! `{"to", "subject", "body", "email_job_id"}`.
//!
//! With an SMTP relay set (`OPSADMIN_SMTP_URL`, see [`smtp`] for the URLs: plain
//! `smtp://`, STARTTLS with `?tls=required`, implicit TLS with `smtps://`), messages
//! go to that relay. Otherwise each message is written as an `.eml` file to a folder
//! (`OPSADMIN_MAIL_DIR`, by default `ops-console-mail/`), and a fixed share of
//! addresses bounce, as a real provider's would, so staff see failures in the demo:
//! those containing `bounce`, and one in ten of the others (by a hash of the
//! address, the same on every run). The former names `OPS_CONSOLE_SMTP_URL` and
//! `OPS_CONSOLE_MAIL_DIR` are still read.
//!
//! Every message's `Message-ID` is derived from the effect's idempotency key, so a
//! message sent twice (a worker died after sending and before recording it) carries
//! the same id, and a mail system that drops repeated ids delivers it once.
//!
//! The email job named by `email_job_id` follows its effect: `sent` when the message
//! is accepted, `bounced` when it fails for good, `queued` again when staff retry the
//! effect, and `failed` when they give it up.

use std::path::PathBuf;

pub mod smtp;

use lettre::message::Mailbox;
use lettre::{AsyncFileTransport, AsyncTransport, Message, Tokio1Executor};
use opsadmin::effect::{BoxFuture, Done, EffectHandler, EffectWrite, Failure, Settled, StoredEffect};
use sea_orm::ActiveValue::Set;
use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel};

use crate::models::account;
use crate::models::email_job::{self, EmailKind, EmailStatus};
use crate::settings::Settings;
pub use smtp::{SMTP_CA_FILE_VAR, SmtpRelay, SmtpTls, parse_smtp_url};

/// The environment variable naming an SMTP relay (the setting `smtp_url`).
pub const SMTP_URL_VAR: &str = "OPSADMIN_SMTP_URL";
/// The former name of [`SMTP_URL_VAR`], still read.
pub const OLD_SMTP_URL_VAR: &str = "OPS_CONSOLE_SMTP_URL";
/// The environment variable naming the folder messages are written to without SMTP.
pub const MAIL_DIR_VAR: &str = "OPSADMIN_MAIL_DIR";
/// The former name of [`MAIL_DIR_VAR`], still read.
pub const OLD_MAIL_DIR_VAR: &str = "OPS_CONSOLE_MAIL_DIR";
/// The folder messages are written to by default.
pub use crate::settings::DEFAULT_MAIL_DIR;
/// The sender of every message.
pub const FROM: &str = "Ops Console <noreply@ops-console.example>";

/// Where messages go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Transport {
    /// An SMTP relay, over plain text, STARTTLS or implicit TLS.
    Smtp(SmtpRelay),
    /// `.eml` files in a folder, with simulated bounces.
    Folder(PathBuf),
}

/// The first of `names` set to something other than blanks in the environment.
fn env_var(names: &[&str]) -> Option<String> {
    names.iter().find_map(|n| std::env::var(n).ok().filter(|v| !v.trim().is_empty()))
}

impl Transport {
    /// The transport the settings ask for: the relay of `smtp_url` (trusting the CA
    /// of `smtp_ca_file` too), otherwise the folder `mail_dir`.
    ///
    /// # Errors
    /// When the SMTP URL is not one of [`smtp`]'s forms, or the CA file cannot be
    /// read or holds no certificate; the message names the setting and never shows
    /// the password.
    pub fn from_settings(settings: &Settings) -> Result<Self, String> {
        match settings.smtp_url.as_deref().map(str::trim) {
            Some(url) if !url.is_empty() => {
                let mut relay = parse_smtp_url(url)?;
                if let Some(file) = &settings.smtp_ca_file {
                    smtp::check_ca_file(file)?;
                    relay.ca_file = Some(file.clone());
                }
                Ok(Self::Smtp(relay))
            }
            _ => Ok(Self::Folder(settings.mail_dir.clone())),
        }
    }

    /// The transport the environment asks for: [`Transport::from_settings`] with
    /// `smtp_url` from [`SMTP_URL_VAR`] (or [`OLD_SMTP_URL_VAR`]), `mail_dir` from
    /// [`MAIL_DIR_VAR`] (or [`OLD_MAIL_DIR_VAR`], else [`DEFAULT_MAIL_DIR`]) and
    /// `smtp_ca_file` from [`SMTP_CA_FILE_VAR`].
    ///
    /// # Errors
    /// As [`Transport::from_settings`].
    pub fn from_env() -> Result<Self, String> {
        let mut settings = Settings {
            smtp_url: env_var(&[SMTP_URL_VAR, OLD_SMTP_URL_VAR]),
            smtp_ca_file: env_var(&[SMTP_CA_FILE_VAR]).map(PathBuf::from),
            ..Settings::default()
        };
        if let Some(dir) = env_var(&[MAIL_DIR_VAR, OLD_MAIL_DIR_VAR]) {
            settings.mail_dir = PathBuf::from(dir);
        }
        Self::from_settings(&settings)
    }

    /// Where messages go, for the start-up message (no password).
    #[must_use]
    pub fn describe(&self) -> String {
        match self {
            Self::Smtp(relay) => relay.describe(),
            Self::Folder(dir) => format!("the folder {}/ (one .eml file per message)", dir.display()),
        }
    }
}

/// Whether the demo's folder transport bounces mail to `to`: addresses containing
/// `bounce`, and one in ten others (FNV-1a of the address, so the same on every
/// run and machine).
#[must_use]
pub fn simulated_bounce(to: &str) -> bool {
    let to = to.trim().to_ascii_lowercase();
    let hash =
        to.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
    to.contains("bounce") || hash % 10 == 0
}

/// The `Message-ID` of the effect with idempotency key `key`.
#[must_use]
pub fn message_id(key: &str) -> String {
    format!("<{key}@ops-console.example>")
}

/// The handler of `mail` effects.
#[derive(Clone, Debug)]
pub struct MailHandler {
    transport: Transport,
}

impl MailHandler {
    /// A handler sending through `transport`.
    #[must_use]
    pub fn new(transport: Transport) -> Self {
        Self { transport }
    }

    /// Where it sends.
    #[must_use]
    pub fn transport(&self) -> &Transport {
        &self.transport
    }

    async fn send(&self, message: Message, to: &str) -> Result<Done, Failure> {
        match &self.transport {
            Transport::Folder(dir) => {
                if simulated_bounce(to) {
                    return Err(Failure::permanent(format!(
                        "550 5.1.1 <{to}>: mailbox unavailable (a bounce the demo simulates)"
                    )));
                }
                std::fs::create_dir_all(dir)
                    .map_err(|e| Failure::transient(format!("Cannot create {}: {e}", dir.display())))?;
                let id = AsyncFileTransport::<Tokio1Executor>::new(dir)
                    .send(message)
                    .await
                    .map_err(|e| Failure::transient(format!("Cannot write the message: {e}")))?;
                Ok(Done { outcome: Some(format!("written to {}", dir.join(format!("{id}.eml")).display())) })
            }
            Transport::Smtp(relay) => relay.send(message).await,
        }
    }
}

/// A payload field as text.
fn field<'a>(effect: &'a StoredEffect, name: &str) -> Result<&'a str, Failure> {
    effect
        .payload
        .get(name)
        .and_then(serde_json::Value::as_str)
        .ok_or_else(|| Failure::permanent(format!("The mail has no {name:?}.")))
}

impl EffectHandler for MailHandler {
    fn kind(&self) -> &'static str {
        "mail"
    }

    fn perform<'a>(&'a self, effect: &'a StoredEffect, key: &'a str) -> BoxFuture<'a, Result<Done, Failure>> {
        Box::pin(async move {
            let to = field(effect, "to")?;
            let mailbox: Mailbox =
                to.parse().map_err(|e| Failure::permanent(format!("{to:?} is not an email address: {e}")))?;
            let from: Mailbox = FROM.parse().map_err(|e| Failure::permanent(format!("bad sender: {e}")))?;
            let message = Message::builder()
                .message_id(Some(message_id(key)))
                .from(from)
                .to(mailbox)
                .subject(field(effect, "subject")?)
                .body(field(effect, "body")?.to_owned())
                .map_err(|e| Failure::permanent(format!("The message cannot be built: {e}")))?;
            self.send(message, to).await
        })
    }

    fn settled<'a>(
        &'a self,
        write: &'a EffectWrite<'a>,
        effect: &'a StoredEffect,
        state: Settled<'a>,
    ) -> BoxFuture<'a, opsadmin::Result<()>> {
        Box::pin(async move {
            let Some(job_id) = effect.payload.get("email_job_id").and_then(serde_json::Value::as_i64) else {
                return Ok(());
            };
            let Some(job) = email_job::Entity::find_by_id(job_id).one(write.conn()).await? else {
                return Ok(());
            };
            let (status, error) = match state {
                Settled::Done(_) => (EmailStatus::Sent, None),
                Settled::Failed(message) => (EmailStatus::Bounced, Some(message.to_owned())),
                Settled::Retried => (EmailStatus::Queued, job.last_error.clone()),
                Settled::GivenUp(reason) => (EmailStatus::Failed, Some(format!("Given up: {reason}"))),
            };
            let before = job.status.clone();
            let welcome = job.kind == EmailKind::Welcome.as_str();
            let account_id = job.account_id;
            let attempts = job.attempts;
            let mut am = job.into_active_model();
            am.status = Set(status.as_str().to_owned());
            am.last_error = Set(error);
            if !matches!(state, Settled::Retried) {
                am.attempts = Set(attempts + effect.attempts);
            }
            am.updated_at = Set(crate::models::now());
            am.update(write.conn()).await?;
            let key = job_id.to_string();
            let changes = serde_json::json!({ "status": [before, status.as_str()] });
            write.record("effect:mail", Some("email_job"), Some(&key), changes).await?;
            if welcome && matches!(state, Settled::Done(_)) {
                mark_welcome_sent(write, account_id).await?;
            }
            Ok(())
        })
    }
}

/// The account's welcome email went out: its flag says so, audited.
async fn mark_welcome_sent(write: &EffectWrite<'_>, account_id: i64) -> opsadmin::Result<()> {
    let Some(acc) = account::Entity::find_by_id(account_id).one(write.conn()).await? else { return Ok(()) };
    if acc.welcome_email_sent {
        return Ok(());
    }
    let mut am = acc.into_active_model();
    am.welcome_email_sent = Set(true);
    am.update(write.conn()).await?;
    let key = account_id.to_string();
    let changes = serde_json::json!({ "welcome_email_sent": [false, true] });
    write.record("effect:mail", Some("account"), Some(&key), changes).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_share_of_addresses_bounces_the_same_way_every_time() {
        assert!(simulated_bounce("bounce@example.com"));
        let bounced = (0..1000).filter(|i| simulated_bounce(&format!("user{i}@example.com"))).count();
        assert!((50..150).contains(&bounced), "{bounced} of 1000 bounced");
        assert_eq!(simulated_bounce("user7@example.com"), simulated_bounce("USER7@example.com"));
    }
}
