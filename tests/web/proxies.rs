//! Behind a proxy, over real HTTP with the client's address (`ConnectInfo`): the
//! request id and `X-Forwarded-For` are believed only from a trusted proxy, and the
//! request id is the same in the response header, the audit entry, the error page
//! and the API's error JSON. Also the small HTTP client over TCP ([`Wire`]) that
//! the log test drives the real binary with.

use std::net::SocketAddr;
use std::sync::Arc;

use admin_core::audit::entry;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::support::{PASSWORD, Resp, TestApp, USER};

/// A browser-like client over a real TCP connection (one per request,
/// `Connection: close`): keeps cookies, asks for HTML.
pub struct Wire {
    addr: SocketAddr,
    cookies: Vec<(String, String)>,
}

impl Wire {
    pub fn new(addr: SocketAddr) -> Self {
        Self { addr, cookies: Vec::new() }
    }

    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.cookies.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// Sends one request with these extra headers and body; reads the whole answer.
    pub async fn send(&mut self, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Resp {
        let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n", self.addr);
        if !self.cookies.is_empty() {
            let jar: Vec<String> = self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect();
            head.push_str(&format!("Cookie: {}\r\n", jar.join("; ")));
        }
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
        let mut stream = tokio::net::TcpStream::connect(self.addr).await.expect("connect");
        stream.write_all(head.as_bytes()).await.unwrap();
        stream.write_all(body).await.unwrap();
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await.unwrap();
        let resp = parse_response(&raw);
        for v in resp.headers.get_all(header::SET_COOKIE) {
            let v = v.to_str().unwrap();
            let (kv, attrs) = v.split_once(';').unwrap_or((v, ""));
            let (k, val) = kv.split_once('=').unwrap();
            self.cookies.retain(|(n, _)| n != k);
            if !attrs.contains("Max-Age=0") {
                self.cookies.push((k.to_owned(), val.to_owned()));
            }
        }
        resp
    }

    pub async fn get(&mut self, path: &str) -> Resp {
        self.send("GET", path, &[("Accept", "text/html")], b"").await
    }

    /// Posts a form, with extra headers.
    pub async fn post_with(&mut self, path: &str, pairs: &[(&str, &str)], headers: &[(&str, &str)]) -> Resp {
        let mut ser = form_urlencoded::Serializer::new(String::new());
        for (k, v) in pairs {
            ser.append_pair(k, v);
        }
        let mut all = vec![("Accept", "text/html"), ("Content-Type", "application/x-www-form-urlencoded")];
        all.extend_from_slice(headers);
        self.send("POST", path, &all, ser.finish().as_bytes()).await
    }

    pub async fn post(&mut self, path: &str, pairs: &[(&str, &str)]) -> Resp {
        self.post_with(path, pairs, &[]).await
    }

    /// Signs in through the real form, with extra headers on the form's POST.
    pub async fn sign_in_with(&mut self, user: &str, password: &str, headers: &[(&str, &str)]) -> Resp {
        let form = self.get("/admin/login").await;
        let csrf = form.input_value("csrf_token").expect("the sign-in form has a CSRF token");
        self.post_with(
            "/admin/login",
            &[("username", user), ("password", password), ("csrf_token", &csrf)],
            headers,
        )
        .await
    }
}

fn parse_response(raw: &[u8]) -> Resp {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("a complete response head");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let code: u16 = status_line.split(' ').nth(1).and_then(|c| c.parse().ok()).expect("a status code");
    let mut headers = HeaderMap::new();
    for line in lines {
        let (k, v) = line.split_once(':').expect("a header line");
        headers.append(
            HeaderName::from_bytes(k.trim().as_bytes()).unwrap(),
            HeaderValue::from_str(v.trim()).unwrap(),
        );
    }
    let mut body = raw[split + 4..].to_vec();
    if headers.get(header::TRANSFER_ENCODING).is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"chunked")) {
        body = dechunk(&body);
    }
    Resp {
        status: StatusCode::from_u16(code).unwrap(),
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

fn dechunk(mut rest: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(eol) = rest.windows(2).position(|w| w == b"\r\n") else { return out };
        let size_text = String::from_utf8_lossy(&rest[..eol]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("0").trim(), 16).unwrap_or(0);
        if size == 0 || rest.len() < eol + 2 + size {
            return out;
        }
        out.extend_from_slice(&rest[eol + 2..eol + 2 + size]);
        rest = &rest[(eol + 4 + size).min(rest.len())..];
    }
}

/// The response's `X-Request-Id`.
pub fn request_id_of(r: &Resp) -> String {
    r.headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .expect("every answer names its request id")
        .to_owned()
}

/// The app over real HTTP with the client's address, trusting these proxies.
async fn serve(
    trusted: &[&str],
    throttle: Option<admin_core::auth::ThrottlePolicy>,
) -> (TestApp, SocketAddr) {
    let app = TestApp::new(0).await;
    let config = opsadmin::web::Config {
        trusted_proxies: trusted.iter().map(|n| n.parse().unwrap()).collect(),
        ..opsadmin::web::Config::default()
    };
    let mut state = ops_console::admin_state(app.db.clone(), Arc::new(ops_console::registry()), config);
    if let Some(policy) = throttle {
        state = state.with_throttle_policy(policy);
    }
    let router = ops_console::app_with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>()).await.unwrap();
    });
    (app, addr)
}

/// The latest audit entry of `kind`.
async fn latest(app: &TestApp, kind: &str) -> entry::Model {
    entry::Entity::find()
        .filter(entry::Column::Kind.eq(kind))
        .order_by_desc(entry::Column::Id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("an audit entry {kind}"))
}

#[tokio::test]
async fn an_untrusted_client_chooses_neither_its_request_id_nor_its_address() {
    // A proxy is configured, but the test connects from 127.0.0.1, which is not it.
    let (app, addr) = serve(&["10.0.0.0/8"], None).await;
    let mut c = Wire::new(addr);
    let r = c
        .sign_in_with(
            USER,
            PASSWORD,
            &[("X-Request-Id", "chosen-by-client"), ("X-Forwarded-For", "203.0.113.7")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let id = request_id_of(&r);
    assert_ne!(id, "chosen-by-client");
    let login = latest(&app, "login").await;
    assert_eq!(login.request_id.as_deref(), Some(id.as_str()), "the audit entry has the answer's id");
    assert_eq!(login.client_addr.as_deref(), Some("127.0.0.1"), "the peer, not the header");
}

#[tokio::test]
async fn a_trusted_proxy_sets_the_request_id_and_the_client_address() {
    let (app, addr) = serve(&["127.0.0.1/32", "10.0.0.0/8"], None).await;
    let mut c = Wire::new(addr);
    let r = c
        .sign_in_with(
            USER,
            PASSWORD,
            &[("X-Request-Id", "edge-4f2a.9_B"), ("X-Forwarded-For", "198.51.100.1, 203.0.113.7, 10.0.0.5")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(request_id_of(&r), "edge-4f2a.9_B");
    let login = latest(&app, "login").await;
    assert_eq!(login.request_id.as_deref(), Some("edge-4f2a.9_B"));
    // Right to left: 10.0.0.5 is a proxy too, 203.0.113.7 is the client;
    // 198.51.100.1 is whatever the client claimed.
    assert_eq!(login.client_addr.as_deref(), Some("203.0.113.7"));

    // Ids too long or with other characters are replaced, even from the proxy.
    for bad in ["x".repeat(65), "a b".to_owned(), "id;drop".to_owned(), "\u{e9}t\u{e9}".to_owned()] {
        let r = c.send("GET", "/admin/", &[("X-Request-Id", &bad)], b"").await;
        assert_eq!(r.status, 200, "{}", r.body);
        let id = request_id_of(&r);
        assert_ne!(id, bad);
        assert!(!id.is_empty() && id.len() <= 64, "{id}");
    }
    let long_ok = "y".repeat(64);
    let r = c.send("GET", "/admin/", &[("X-Request-Id", &long_ok)], b"").await;
    assert_eq!(request_id_of(&r), long_ok);

    // Without X-Forwarded-For the proxy itself is the client.
    let mut d = Wire::new(addr);
    d.sign_in_with(USER, PASSWORD, &[]).await;
    assert_eq!(latest(&app, "login").await.client_addr.as_deref(), Some("127.0.0.1"));
}

#[tokio::test]
async fn sign_in_throttling_counts_the_client_address_the_proxy_forwards() {
    let policy = admin_core::auth::ThrottlePolicy { max_failures_per_address: 3, ..Default::default() };
    let (_app, addr) = serve(&["127.0.0.1/32"], Some(policy)).await;
    let from = |ip: &'static str| [("X-Forwarded-For", ip)];
    let mut c = Wire::new(addr);
    for name in ["nobody1", "nobody2", "nobody3"] {
        let r = c.sign_in_with(name, "wrong", &from("203.0.113.7")).await;
        assert_ne!(r.status, 303, "{}", r.body);
    }
    // That address is locked out, even with the right password...
    let r = c.sign_in_with(USER, PASSWORD, &from("203.0.113.7")).await;
    assert_ne!(r.status, 303, "{}", r.body);
    // ...another client behind the same proxy is not.
    let mut other = Wire::new(addr);
    let r = other.sign_in_with(USER, PASSWORD, &from("203.0.113.8")).await;
    assert_eq!(r.status, 303, "{}", r.body);
}

#[tokio::test]
async fn error_pages_and_api_errors_quote_the_request_id() {
    let (app, addr) = serve(&["127.0.0.1/32"], None).await;
    let mut c = Wire::new(addr);
    c.sign_in_with(USER, PASSWORD, &[]).await;
    let r = c.get("/admin/account/999999").await;
    assert_eq!(r.status, 404, "{}", r.body);
    let id = request_id_of(&r);
    r.assert_contains(&format!("Quote request id <code>{id}</code> when you report this."));
    // A proxy's id, on a page no handler answered (the site is known there too).
    let r = c
        .send(
            "GET",
            "/admin/no/such/page/here",
            &[("Accept", "text/html"), ("X-Request-Id", "edge-404")],
            b"",
        )
        .await;
    assert_eq!(r.status, 404);
    r.assert_contains("Quote request id <code>edge-404</code>");

    // The API: refused before and after the caller is known.
    for (auth, status) in [("Bearer nope", 401), ("", 401)] {
        let mut headers = vec![("Content-Type", "application/json"), ("X-Request-Id", "edge-api")];
        if !auth.is_empty() {
            headers.push(("Authorization", auth));
        }
        let r = Wire::new(addr)
            .send("POST", "/admin/api/account/actions/mark_for_manual_review", &headers, b"{\"ids\":[1]}")
            .await;
        assert_eq!(r.status, status, "{}", r.body);
        let json: serde_json::Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(json["request_id"], "edge-api", "{json}");
        assert_eq!(request_id_of(&r), "edge-api");
    }
    let r = Wire::new(addr).send("POST", "/admin/api/nothing", &[], b"").await;
    assert_eq!(r.status, 404);
    let json: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(json["request_id"].as_str(), Some(request_id_of(&r).as_str()), "{json}");

    // A successful API call has no request_id in its body, but the same id in its
    // header and in its audit entries.
    let token = super::support::token_for(&app, "sue", Some("support")).await;
    let bearer = format!("Bearer {token}");
    let r = Wire::new(addr)
        .send(
            "POST",
            "/admin/api/account/actions/mark_for_manual_review",
            &[
                ("Content-Type", "application/json"),
                ("Authorization", &bearer),
                ("X-Request-Id", "edge-run-1"),
            ],
            b"{\"ids\":[1]}",
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(request_id_of(&r), "edge-run-1");
    let e = latest(&app, "action:mark_for_manual_review").await;
    assert_eq!(e.request_id.as_deref(), Some("edge-run-1"));
    assert_eq!(e.client_addr.as_deref(), Some("127.0.0.1"));
}

#[tokio::test]
async fn without_the_clients_address_requests_still_get_an_id() {
    // In process (no ConnectInfo): a fresh id on every answer, a header ignored.
    let app = TestApp::new(0).await;
    let mut c = app.client();
    let r = c.raw("GET", "/admin/login", &[("x-request-id", "chosen")], "").await.unwrap();
    assert_eq!(r.status, 200);
    let id = r.headers.get("x-request-id").unwrap().to_str().unwrap();
    assert_ne!(id, "chosen");
    assert!(!id.is_empty());
}
