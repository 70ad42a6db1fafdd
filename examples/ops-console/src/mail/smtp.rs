//! SMTP relays: the URL that names one, how the connection is secured, and the
//! failures of a send told in plain words.
//!
//! | URL | connection |
//! | --- | --- |
//! | `smtp://host[:port]` (port 25) | plain text, for a relay on the same host or network |
//! | `smtp://host[:port]?tls=required` (port 587) | STARTTLS, refused if the server does not offer it |
//! | `smtps://host[:port]` (port 465) | TLS from the first byte (implicit TLS) |
//!
//! User and password go before the host (`smtp://user:password@host`), percent-encoded
//! where they hold `@ : / ? #`. The relay's certificate must be valid for `host` and
//! signed by a root of webpki-roots (Mozilla's list) or by the CA of the
//! `OPSADMIN_SMTP_CA_FILE` setting (a PEM file), for a relay with a private CA.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use lettre::transport::smtp::Error as SmtpError;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use opsadmin::effect::{Done, Failure};

/// The setting naming a PEM file of CA certificates the relay's certificate may chain to.
pub const SMTP_CA_FILE_VAR: &str = "OPSADMIN_SMTP_CA_FILE";

/// How the connection to the relay is secured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmtpTls {
    /// None: plain text (`smtp://`).
    Plain,
    /// STARTTLS before anything else is said, and no mail if the server does not
    /// offer it (`smtp://…?tls=required`).
    StartTls,
    /// TLS from the first byte (`smtps://`).
    Implicit,
}

/// An SMTP relay, from its URL. Its `Debug` output masks the password.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpRelay {
    /// Host name or address; the certificate must be valid for it.
    pub host: String,
    /// Port (25, 587 with `tls=required`, 465 with `smtps://` when the URL gives none).
    pub port: u16,
    /// User and password, if the relay wants them.
    pub credentials: Option<(String, String)>,
    /// How the connection is secured.
    pub tls: SmtpTls,
    /// A PEM file of further CA certificates to trust ([`SMTP_CA_FILE_VAR`]).
    pub ca_file: Option<PathBuf>,
}

impl fmt::Debug for SmtpRelay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpRelay")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("user", &self.credentials.as_ref().map(|(user, _)| user))
            .field("password", &self.credentials.as_ref().map(|_| "***"))
            .field("tls", &self.tls)
            .field("ca_file", &self.ca_file)
            .finish()
    }
}

fn decoded(part: &str) -> String {
    percent_encoding::percent_decode_str(part).decode_utf8_lossy().into_owned()
}

/// Reads `smtp://[user:password@]host[:port][?tls=required]` or
/// `smtps://[user:password@]host[:port]`.
///
/// # Errors
/// When the URL has another scheme, no host, a port that is not a number, or an
/// option other than `tls=required`. The message never shows the password.
pub fn parse_smtp_url(url: &str) -> Result<SmtpRelay, String> {
    let bad = |why: &str| {
        format!(
            "OPSADMIN_SMTP_URL {why}: it must look like smtp://relay.internal:25, \
             smtp://user:password@relay.example:587?tls=required (STARTTLS) or \
             smtps://user:password@relay.example:465 (implicit TLS)"
        )
    };
    let (mut tls, rest) = if let Some(rest) = url.strip_prefix("smtp://") {
        (SmtpTls::Plain, rest)
    } else if let Some(rest) = url.strip_prefix("smtps://") {
        (SmtpTls::Implicit, rest)
    } else {
        return Err(bad("has another scheme"));
    };
    let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
    if query.contains('@') {
        return Err(bad("has a '?' in the user or password: write it as %3F"));
    }
    for option in query.split('&').filter(|o| !o.is_empty()) {
        match (option, tls) {
            ("tls=required", SmtpTls::Plain) => tls = SmtpTls::StartTls,
            ("tls=required", _) => {}
            _ => {
                return Err(bad(&format!(
                    "has an unknown option {:?} (only tls=required is allowed)",
                    decoded(option)
                )));
            }
        }
    }
    let rest = rest.trim_end_matches('/');
    let (credentials, hostport) = match rest.rsplit_once('@') {
        Some((userinfo, hp)) => {
            let (user, pass) = userinfo.split_once(':').unwrap_or((userinfo, ""));
            (Some((decoded(user), decoded(pass))), hp)
        }
        None => (None, rest),
    };
    let default_port = match tls {
        SmtpTls::Plain => 25,
        SmtpTls::StartTls => 587,
        SmtpTls::Implicit => 465,
    };
    // `[::1]:2525` for an IPv6 address, `host:2525` otherwise.
    let (host, port) = match hostport.strip_prefix('[').and_then(|h| h.split_once(']')) {
        Some((h, tail)) => (h, tail.strip_prefix(':')),
        None => match hostport.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (hostport, None),
        },
    };
    let port = match port {
        Some(p) => p.parse::<u16>().map_err(|_| bad(&format!("has a port that is not a number: {p:?}")))?,
        None => default_port,
    };
    if host.is_empty() || host.contains(['/', ' ']) {
        return Err(bad("has no host"));
    }
    Ok(SmtpRelay { host: host.to_owned(), port, credentials, tls, ca_file: None })
}

/// Checks that `path` is a readable PEM file with at least one certificate.
///
/// # Errors
/// Naming [`SMTP_CA_FILE_VAR`], the file and what is wrong with it.
pub fn check_ca_file(path: &Path) -> Result<(), String> {
    read_ca_file(path).map(|_| ())
}

fn read_ca_file(path: &Path) -> Result<Certificate, String> {
    let pem = std::fs::read(path)
        .map_err(|e| format!("{SMTP_CA_FILE_VAR}: cannot read {}: {e}", path.display()))?;
    if !pem.windows(27).any(|w| w == b"-----BEGIN CERTIFICATE-----") {
        return Err(format!(
            "{SMTP_CA_FILE_VAR}: {} holds no certificate (a PEM file with -----BEGIN CERTIFICATE----- is expected)",
            path.display()
        ));
    }
    Certificate::from_pem(&pem).map_err(|e| {
        format!("{SMTP_CA_FILE_VAR}: {} is not a valid PEM certificate file: {e}", path.display())
    })
}

impl SmtpRelay {
    /// The relay in words, for the start-up message (no password).
    #[must_use]
    pub fn describe(&self) -> String {
        let how = match self.tls {
            SmtpTls::Plain => "plain SMTP, no TLS",
            SmtpTls::StartTls => "STARTTLS required",
            SmtpTls::Implicit => "implicit TLS",
        };
        let ca = self.ca_file.as_ref().map(|f| format!(", also trusting the CA in {}", f.display()));
        format!("the SMTP relay {}:{} ({how}{})", self.host, self.port, ca.unwrap_or_default())
    }

    fn tls_parameters(&self) -> Result<TlsParameters, Failure> {
        let mut builder = TlsParameters::builder(self.host.clone());
        if let Some(file) = &self.ca_file {
            builder = builder.add_root_certificate(read_ca_file(file).map_err(Failure::transient)?);
        }
        builder
            .build_rustls()
            .map_err(|e| Failure::transient(format!("Cannot set up TLS for {}: {e}", self.host)))
    }

    /// Sends `message` through the relay.
    ///
    /// # Errors
    /// A permanent failure when the relay refuses the message for good (5xx), a
    /// transient one otherwise (unreachable, a TLS failure, 4xx): tried again later.
    pub async fn send(&self, message: Message) -> Result<Done, Failure> {
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(self.host.as_str())
            .port(self.port)
            .timeout(Some(Duration::from_secs(30)));
        builder = match self.tls {
            SmtpTls::Plain => builder.tls(Tls::None),
            SmtpTls::StartTls => builder.tls(Tls::Required(self.tls_parameters()?)),
            SmtpTls::Implicit => builder.tls(Tls::Wrapper(self.tls_parameters()?)),
        };
        if let Some((user, pass)) = &self.credentials {
            builder = builder.credentials(Credentials::new(user.clone(), pass.clone()));
        }
        match builder.build().send(message).await {
            Ok(response) => Ok(Done {
                outcome: Some(format!(
                    "accepted by {}: {} {}",
                    self.host,
                    response.code(),
                    response.message().collect::<Vec<_>>().join(" ")
                )),
            }),
            Err(e) if e.is_permanent() => Err(Failure::permanent(format!("The relay refused it: {e}"))),
            Err(e) => Err(Failure::transient(self.explain(&e))),
        }
    }

    /// A failure to send, in plain words: what is wrong and what to do.
    fn explain(&self, e: &SmtpError) -> String {
        let relay = format!("{}:{}", self.host, self.port);
        let mut chain = e.to_string();
        let mut source = std::error::Error::source(e);
        while let Some(s) = source {
            let text = s.to_string();
            if !chain.contains(&text) {
                chain.push_str(": ");
                chain.push_str(&text);
            }
            source = s.source();
        }
        let advice = if chain.contains("UnknownIssuer") || chain.contains("BadSignature") {
            format!(
                "its TLS certificate is not trusted: no known authority signed it (for a relay with \
                 a private CA, set {SMTP_CA_FILE_VAR} to that CA's certificate)"
            )
        } else if chain.contains("NotValidForName") {
            format!("its TLS certificate is not valid for the name {}", self.host)
        } else if chain.contains("Expired") {
            "its TLS certificate has expired".to_owned()
        } else if chain.contains("STARTTLS is not supported") {
            "the server does not offer STARTTLS, and the URL requires it (tls=required)".to_owned()
        } else if e.is_tls() {
            "the TLS handshake failed (does the port speak TLS from the start for smtps://, \
             or STARTTLS for smtp://…?tls=required?)"
                .to_owned()
        } else {
            return format!("The relay {relay} could not take it now ({chain}); it will be tried again.");
        };
        format!("Cannot send through {relay}: {advice}. Nothing was sent; it will be tried again. ({chain})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn relay(host: &str, port: u16, credentials: Option<(&str, &str)>, tls: SmtpTls) -> SmtpRelay {
        let credentials = credentials.map(|(u, p)| (u.to_owned(), p.to_owned()));
        SmtpRelay { host: host.into(), port, credentials, tls, ca_file: None }
    }

    #[test]
    fn smtp_urls() {
        assert_eq!(
            parse_smtp_url("smtp://relay.internal").unwrap(),
            relay("relay.internal", 25, None, SmtpTls::Plain)
        );
        assert_eq!(
            parse_smtp_url("smtp://ops:s3cret@127.0.0.1:2525/").unwrap(),
            relay("127.0.0.1", 2525, Some(("ops", "s3cret")), SmtpTls::Plain)
        );
        assert_eq!(
            parse_smtp_url("smtp://ops:p%40ss%2Fw@relay.example?tls=required").unwrap(),
            relay("relay.example", 587, Some(("ops", "p@ss/w")), SmtpTls::StartTls)
        );
        assert_eq!(
            parse_smtp_url("smtp://relay.example:2587/?tls=required").unwrap(),
            relay("relay.example", 2587, None, SmtpTls::StartTls)
        );
        assert_eq!(
            parse_smtp_url("smtps://relay.example").unwrap(),
            relay("relay.example", 465, None, SmtpTls::Implicit)
        );
        assert_eq!(parse_smtp_url("smtp://[::1]:2525").unwrap(), relay("::1", 2525, None, SmtpTls::Plain));
        assert!(parse_smtp_url("http://relay").is_err());
        assert!(parse_smtp_url("smtp://relay:port").is_err());
        assert!(parse_smtp_url("smtp://relay?tls=opportunistic").unwrap_err().contains("tls=required"));
        assert!(parse_smtp_url("smtp://").is_err());
        let err = parse_smtp_url("smtp://ops:pa?ss@relay").unwrap_err();
        assert!(err.contains("%3F") && !err.contains("ss@relay"), "{err}");
    }

    #[test]
    fn errors_and_debug_never_show_the_password() {
        let err = parse_smtp_url("smtp://ops:hunter2@relay:xx").unwrap_err();
        assert!(!err.contains("hunter2"), "{err}");
        let err = parse_smtp_url("smtp://ops:hunter2@relay?tls=maybe").unwrap_err();
        assert!(!err.contains("hunter2") && err.contains("tls=maybe"), "{err}");
        let shown = format!("{:?}", parse_smtp_url("smtps://ops:hunter2@relay").unwrap());
        assert!(!shown.contains("hunter2") && shown.contains("ops"), "{shown}");
    }

    #[test]
    fn a_ca_file_must_hold_a_certificate() {
        let dir = std::env::temp_dir().join(format!("opsadmin-ca-check-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let empty = dir.join("empty.pem");
        std::fs::write(&empty, "not a certificate").unwrap();
        let err = check_ca_file(&empty).unwrap_err();
        assert!(err.starts_with(SMTP_CA_FILE_VAR) && err.contains("holds no certificate"), "{err}");
        let err = check_ca_file(&dir.join("missing.pem")).unwrap_err();
        assert!(err.contains("cannot read"), "{err}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
