//! The request layer: one id per request, the client's address, and one log line
//! per request at its end.
//!
//! The router's outermost layer (`layer`) puts a [`RequestInfo`] in every
//! request's extensions. The extractors that know the site ([`Ctx`](super::session::Ctx),
//! [`Site`](super::error::Site), the API's caller) settle it with the site's
//! [`crate::Config::trusted_proxies`] through
//! [`request_meta`](super::session::request_meta):
//!
//! - the **request id** is the `X-Request-Id` header only when the connection comes
//!   from a trusted proxy and the id is 1 to 64 characters of `A-Z a-z 0-9 - _ .`;
//!   otherwise a fresh one is made. A request no such extractor saw (a static file,
//!   an unknown API address) trusts no proxy.
//! - the **client address** is the connection's peer (axum's
//!   `ConnectInfo<SocketAddr>`, present when the app is served with
//!   `into_make_service_with_connect_info`); when the peer is a trusted proxy, it is
//!   the right-most address of `X-Forwarded-For` that is not itself a trusted proxy.
//!
//! The id goes back in the `X-Request-Id` response header, into audit entries, error
//! pages and API errors. The log line (target [`LOG_TARGET`], level INFO) carries
//! `request_id`, `method`, `route` (the route template, never the path or query,
//! which may carry tokens), `status`, `latency_ms` and, when signed in, `staff_id`.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use axum::body::Body;
use axum::extract::{ConnectInfo, MatchedPath, Request};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use ipnet::IpNet;

/// The `tracing` target of the per-request log line.
pub const LOG_TARGET: &str = "opsadmin::request";

/// The header a trusted proxy sets the request id in, and the response carries it back in.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// The longest request id taken from a proxy.
pub const MAX_REQUEST_ID: usize = 64;

/// What the request layer knows of a request; in the request's extensions.
#[derive(Clone, Debug)]
pub struct RequestInfo(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    peer: Option<IpAddr>,
    offered_id: Option<String>,
    forwarded_for: Vec<String>,
    meta: OnceLock<Meta>,
    staff_id: OnceLock<i64>,
    /// The admin's prefix, when this request may write through a door with a read
    /// replica: its answer then marks the browser as having just written.
    wrote_under: OnceLock<(String, bool)>,
}

/// A request's id and client address, as settled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Meta {
    /// The request id.
    pub request_id: String,
    /// The client's address, when the server knows it.
    pub client_addr: Option<String>,
}

impl RequestInfo {
    /// What a request's headers and connection say, not settled yet.
    #[must_use]
    pub fn new(headers: &HeaderMap, extensions: &axum::http::Extensions) -> Self {
        let peer = extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
        let offered_id = headers
            .get(REQUEST_ID_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| well_formed_id(v))
            .map(str::to_owned);
        let forwarded_for = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(|s| s.trim().to_owned())
            .collect();
        Self(Arc::new(Inner {
            peer,
            offered_id,
            forwarded_for,
            meta: OnceLock::new(),
            staff_id: OnceLock::new(),
            wrote_under: OnceLock::new(),
        }))
    }

    /// The request's id and client address, settled the first time with `trusted`
    /// (the site's trusted proxies) and the same ever after.
    pub fn meta(&self, trusted: &[IpNet]) -> &Meta {
        self.0.meta.get_or_init(|| {
            resolve(self.0.peer, self.0.offered_id.as_deref(), &self.0.forwarded_for, trusted)
        })
    }

    /// Notes the signed-in staff user, for the log line.
    pub fn record_staff(&self, staff_id: i64) {
        let _ = self.0.staff_id.set(staff_id);
    }

    /// Notes that this request may write through a door with a read replica, under
    /// the admin's `prefix`: a successful answer sets [`WROTE_COOKIE`] (`Secure`
    /// with `secure`, as the session cookie), so the staff member's next reads come
    /// from the primary.
    pub fn record_write(&self, prefix: &str, secure: bool) {
        let _ = self.0.wrote_under.set((prefix.to_owned(), secure));
    }

    /// The signed-in staff user noted, if any.
    #[must_use]
    pub fn staff_id(&self) -> Option<i64> {
        self.0.staff_id.get().copied()
    }
}

/// Whether `id` may be taken as a request id: 1 to 64 characters of `A-Z a-z 0-9 - _ .`.
#[must_use]
pub fn well_formed_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_REQUEST_ID
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

fn is_trusted(ip: IpAddr, trusted: &[IpNet]) -> bool {
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    };
    trusted.iter().any(|net| net.contains(&ip))
}

/// One `X-Forwarded-For` entry as an address: `1.2.3.4`, `2001:db8::1`, or either
/// with a port (`1.2.3.4:5678`, `[2001:db8::1]:80`).
fn parse_hop(hop: &str) -> Option<IpAddr> {
    hop.parse::<IpAddr>().ok().or_else(|| hop.parse::<SocketAddr>().ok().map(|s| s.ip()))
}

/// Settles a request's id and client address (see the module's documentation).
#[must_use]
pub fn resolve(
    peer: Option<IpAddr>,
    offered_id: Option<&str>,
    forwarded_for: &[String],
    trusted: &[IpNet],
) -> Meta {
    let from_proxy = peer.is_some_and(|p| is_trusted(p, trusted));
    let request_id = match offered_id {
        Some(id) if from_proxy && well_formed_id(id) => id.to_owned(),
        _ => fresh_id(),
    };
    let mut client = peer;
    if from_proxy {
        // Right to left: each trusted hop vouches for the one before it; the first
        // hop that is not a trusted proxy is the client. An entry that is no
        // address ends the walk at the last hop that was vouched for.
        for hop in forwarded_for.iter().rev() {
            let Some(ip) = parse_hop(hop) else { break };
            client = Some(ip);
            if !is_trusted(ip, trusted) {
                break;
            }
        }
    }
    Meta { request_id, client_addr: client.map(|ip| ip.to_string()) }
}

/// A new request id: 16 hex digits.
fn fresh_id() -> String {
    admin_core::auth::random_hex(8).unwrap_or_else(|_| {
        // No randomness: still unique enough within this process for a log line.
        static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        format!("local-{}", N.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
    })
}

/// The cookie that says a browser's staff member has just written (its value: when,
/// in Unix seconds), so their reads skip the read replica for
/// [`READ_YOUR_WRITES`].
pub const WROTE_COOKIE: &str = "opsadmin_wrote";

/// How long after a write a staff member's reads come from the primary: longer
/// than a healthy replica lags.
pub const READ_YOUR_WRITES: chrono::Duration = chrono::Duration::seconds(15);

/// The layer's function: gives the request its [`RequestInfo`], echoes the id in
/// `X-Request-Id` and writes the request's log line.
pub(crate) async fn layer(mut req: Request, next: Next) -> Response {
    let started = Instant::now();
    let info = RequestInfo::new(req.headers(), req.extensions());
    req.extensions_mut().insert(info.clone());
    let method = req.method().clone();
    let route = req.extensions().get::<MatchedPath>().map(|m| m.as_str().to_owned());
    let mut resp = next.run(req).await;
    if let Some((prefix, secure)) = info.0.wrote_under.get()
        && (resp.status().is_success() || resp.status().is_redirection())
    {
        let now = chrono::Utc::now().timestamp();
        let cookie = format!(
            "{WROTE_COOKIE}={now}; Path={prefix}/; Max-Age={}; HttpOnly; SameSite=Lax{}",
            READ_YOUR_WRITES.num_seconds(),
            if *secure { "; Secure" } else { "" }
        );
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            resp.headers_mut().append(axum::http::header::SET_COOKIE, v);
        }
    }
    // Not settled by a handler of the site: no proxy is known, none is trusted.
    let meta = info.meta(&[]);
    if let Ok(v) = HeaderValue::from_str(&meta.request_id) {
        resp.headers_mut().insert(REQUEST_ID_HEADER, v);
    }
    let latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let route = route.as_deref().unwrap_or("-");
    let status = resp.status().as_u16();
    match info.staff_id() {
        Some(staff_id) => tracing::info!(
            target: LOG_TARGET,
            request_id = %meta.request_id, method = %method, route = %route, status, latency_ms, staff_id,
            "request"
        ),
        None => tracing::info!(
            target: LOG_TARGET,
            request_id = %meta.request_id, method = %method, route = %route, status, latency_ms,
            "request"
        ),
    }
    resp
}

/// Adds `"request_id"` to an API error's JSON object, so a script can quote it.
pub(crate) async fn with_request_id(info: Option<RequestInfo>, resp: Response) -> Response {
    let Some(info) = info else { return resp };
    let status = resp.status();
    let is_json = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if !is_json || !(status.is_client_error() || status.is_server_error()) {
        return resp;
    }
    let (mut parts, body) = resp.into_parts();
    // An API error is a few hundred bytes; anything larger is passed on untouched.
    let Ok(bytes) = axum::body::to_bytes(body, 1 << 20).await else {
        return Response::from_parts(parts, Body::empty());
    };
    let body = match serde_json::from_slice::<serde_json::Value>(&bytes) {
        Ok(serde_json::Value::Object(mut map)) => {
            let id = info.meta(&[]).request_id.clone();
            map.insert("request_id".to_owned(), serde_json::Value::String(id));
            parts.headers.remove(header::CONTENT_LENGTH);
            Body::from(serde_json::Value::Object(map).to_string())
        }
        _ => Body::from(bytes),
    };
    Response::from_parts(parts, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter().map(|n| n.parse().unwrap()).collect()
    }

    fn hops(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn the_right_most_untrusted_hop_is_the_client() {
        let trusted = nets(&["10.0.0.0/8", "127.0.0.1/32"]);
        let peer = Some("127.0.0.1".parse().unwrap());
        let m = resolve(peer, Some("abc"), &hops(&["6.6.6.6", "203.0.113.9", "10.1.2.3"]), &trusted);
        assert_eq!(m.client_addr.as_deref(), Some("203.0.113.9"));
        assert_eq!(m.request_id, "abc");
        let m = resolve(peer, None, &hops(&["10.0.0.1:80", "10.0.0.2"]), &trusted);
        assert_eq!(m.client_addr.as_deref(), Some("10.0.0.1"), "all trusted: the left-most");
        let m = resolve(peer, None, &hops(&["203.0.113.9", "junk", "10.0.0.2"]), &trusted);
        assert_eq!(m.client_addr.as_deref(), Some("10.0.0.2"), "junk ends the walk");
        let m = resolve(peer, None, &hops(&["[2001:db8::7]:443"]), &trusted);
        assert_eq!(m.client_addr.as_deref(), Some("2001:db8::7"));
    }

    #[test]
    fn an_untrusted_peer_chooses_neither_id_nor_address() {
        let peer = Some("192.0.2.1".parse().unwrap());
        let m = resolve(peer, Some("chosen"), &hops(&["1.1.1.1"]), &nets(&["10.0.0.0/8"]));
        assert_eq!(m.client_addr.as_deref(), Some("192.0.2.1"));
        assert_ne!(m.request_id, "chosen");
        assert!(well_formed_id(&m.request_id));
        let m = resolve(None, Some("chosen"), &[], &nets(&["0.0.0.0/0"]));
        assert_eq!(m.client_addr, None);
        assert_ne!(m.request_id, "chosen");
    }

    #[test]
    fn request_ids_are_short_and_plain() {
        assert!(well_formed_id("a-B_9.z"));
        assert!(well_formed_id(&"x".repeat(64)));
        assert!(!well_formed_id(&"x".repeat(65)));
        assert!(!well_formed_id(""));
        assert!(!well_formed_id("a b"));
        assert!(!well_formed_id("a\u{e9}"));
        assert!(!well_formed_id("a;rm"));
    }
}
