//! Where a request came from: requests that change something and carry the session
//! cookie must come from the console's own pages, as in Django. The browser says so
//! in `Origin` (or, without it, `Referer`); a request with neither is left to the
//! CSRF token. Requests with an API token (`Authorization: Bearer`) are not checked:
//! no browser adds a token by itself.
//!
//! The console's origin is [`Config::public_url`] when set, else the request's
//! `Host` with the scheme the cookies imply; [`Config::trusted_origins`] adds more.
//!
//! ```
//! use admin_web::Config;
//! use admin_web::origin::check;
//! use axum::http::{HeaderMap, HeaderValue, Uri, header};
//!
//! let config = Config { public_url: Some("https://ops.example.com".into()), ..Config::default() };
//! let mut headers = HeaderMap::new();
//! headers.insert(header::ORIGIN, HeaderValue::from_static("https://ops.example.com"));
//! assert!(check(&config, &headers, &Uri::from_static("/admin/account/1")).is_ok());
//! headers.insert(header::ORIGIN, HeaderValue::from_static("https://evil.example"));
//! assert!(check(&config, &headers, &Uri::from_static("/admin/account/1")).is_err());
//! ```

use axum::http::{HeaderMap, Uri, header};

use crate::error::Error;
use crate::state::Config;

/// The origin (`scheme://host[:port]`, lower case, without a default port) of a URL;
/// `None` when it has none (`null`, a relative or malformed URL).
pub(crate) fn origin_of(url: &str) -> Option<String> {
    match url::Url::parse(url.trim()).ok()?.origin() {
        o @ url::Origin::Tuple(..) => Some(o.ascii_serialization()),
        url::Origin::Opaque(_) => None,
    }
}

/// The console's own origin for a request: the configured public URL, else the
/// request's host.
fn own_origin(config: &Config, headers: &HeaderMap, uri: &Uri) -> Option<String> {
    if let Some(url) = &config.public_url {
        return origin_of(url);
    }
    let host = match headers.get(header::HOST).and_then(|h| h.to_str().ok()) {
        Some(h) => h.to_owned(),
        None => uri.authority()?.to_string(),
    };
    let scheme = if config.secure_cookies { "https" } else { "http" };
    origin_of(&format!("{scheme}://{host}"))
}

/// Checks that a request that changes something came from the console's own pages:
/// its `Origin`, or without one its `Referer`, must be the console's origin or a
/// trusted one. With neither header the request passes here and the CSRF token
/// decides. Call it for cookie-authenticated requests whose method is not safe.
///
/// # Errors
/// [`Error::Origin`] when the header names another site, is `null`, or cannot be
/// read.
pub fn check(config: &Config, headers: &HeaderMap, uri: &Uri) -> Result<(), Error> {
    let Some(sent) = headers.get(header::ORIGIN).or_else(|| headers.get(header::REFERER)) else {
        return Ok(());
    };
    let Some(sent) = sent.to_str().ok().and_then(origin_of) else {
        return Err(Error::Origin);
    };
    let own = own_origin(config, headers, uri);
    if own.as_deref() == Some(sent.as_str())
        || config.trusted_origins.iter().any(|t| origin_of(t).as_deref() == Some(sent.as_str()))
    {
        Ok(())
    } else {
        Err(Error::Origin)
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn headers(pairs: &[(header::HeaderName, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn origins_compare_normalised() {
        assert_eq!(
            origin_of("HTTPS://Ops.Example.com:443/admin/x?y").as_deref(),
            Some("https://ops.example.com")
        );
        assert_eq!(origin_of("http://a.test:8000").as_deref(), Some("http://a.test:8000"));
        assert_eq!(origin_of("null"), None);
        assert_eq!(origin_of("/admin/"), None);
    }

    #[test]
    fn the_host_decides_only_without_a_public_url() {
        let uri = Uri::from_static("/admin/x");
        let by_host = Config::default();
        let h = headers(&[(header::HOST, "ops.test:8000"), (header::ORIGIN, "http://ops.test:8000")]);
        assert!(check(&by_host, &h, &uri).is_ok());
        let public =
            Config { public_url: Some("https://ops.example.com/admin/".into()), ..Config::default() };
        assert!(check(&public, &h, &uri).is_err());
        let h = headers(&[(header::HOST, "internal:8000"), (header::ORIGIN, "https://ops.example.com")]);
        assert!(check(&public, &h, &uri).is_ok());
        let secure = Config { secure_cookies: true, ..Config::default() };
        let h = headers(&[(header::HOST, "ops.test"), (header::ORIGIN, "https://ops.test")]);
        assert!(check(&secure, &h, &uri).is_ok());
    }

    #[test]
    fn referer_counts_only_without_origin_and_neither_passes() {
        let uri = Uri::from_static("/admin/x");
        let c = Config::default();
        let h = headers(&[(header::HOST, "ops.test"), (header::REFERER, "http://evil.test/page")]);
        assert!(check(&c, &h, &uri).is_err());
        let h = headers(&[(header::HOST, "ops.test"), (header::REFERER, "http://ops.test/admin/account/")]);
        assert!(check(&c, &h, &uri).is_ok());
        assert!(check(&c, &headers(&[(header::HOST, "ops.test")]), &uri).is_ok());
        let h = headers(&[(header::HOST, "ops.test"), (header::ORIGIN, "null")]);
        assert!(check(&c, &h, &uri).is_err());
        let trusting = Config { trusted_origins: vec!["https://proxy.test".into()], ..Config::default() };
        let h = headers(&[(header::HOST, "ops.test"), (header::ORIGIN, "https://proxy.test")]);
        assert!(check(&trusting, &h, &uri).is_ok());
    }
}
