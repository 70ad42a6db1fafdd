//! The stylesheet, served from the binary.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

const CSS: &str = include_str!("../../static/admin.css");

/// `GET {prefix}/static/{file}`.
pub async fn serve(axum::extract::Path(file): axum::extract::Path<String>) -> Response {
    match file.as_str() {
        "admin.css" => {
            let mut r = CSS.into_response();
            r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/css; charset=utf-8"));
            r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600"));
            r
        }
        _ => (StatusCode::NOT_FOUND, "Not found").into_response(),
    }
}
