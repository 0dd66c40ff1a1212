//! Cross-cutting behaviour: ETag/304 and a response cache on GETs, and one JSON error shape for
//! errors made outside the handlers (timeouts, body limits, panics).

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hasher};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::error_response;
use super::Shared;

/// Largest response body that gets an ETag (bodies are built in memory anyway).
const ETAG_MAX_BYTES: usize = 64 * 1024 * 1024;

/// Successful GET responses, kept because everything the service answers is computed at start
/// and never changes while it runs: a repeated query (a map panning back, a page reloaded) costs a
/// lookup. Bounded in entries and bytes; when full it starts over.
#[derive(Debug, Default)]
pub struct ResponseCache {
    entries: RwLock<HashMap<String, Arc<Cached>>>,
    bytes: AtomicUsize,
    hits: AtomicU64,
}

#[derive(Debug)]
struct Cached {
    headers: HeaderMap,
    body: Bytes,
    etag: String,
}

/// Most responses kept.
const CACHE_MAX_ENTRIES: usize = 4096;
/// Most bytes kept (bodies, uncompressed).
const CACHE_MAX_BYTES: usize = 64 * 1024 * 1024;
/// Larger bodies are not kept.
const CACHE_MAX_BODY: usize = 1024 * 1024;

impl ResponseCache {
    /// (entries, bytes, hits) for `/health`.
    pub fn stats(&self) -> (usize, usize, u64) {
        let entries = self.entries.read().map(|e| e.len()).unwrap_or(0);
        (
            entries,
            self.bytes.load(Ordering::Relaxed),
            self.hits.load(Ordering::Relaxed),
        )
    }

    fn get(&self, key: &str) -> Option<Arc<Cached>> {
        let hit = self.entries.read().ok()?.get(key).cloned();
        if hit.is_some() {
            self.hits.fetch_add(1, Ordering::Relaxed);
        }
        hit
    }

    fn put(&self, key: String, cached: Cached) {
        if cached.body.len() > CACHE_MAX_BODY {
            return;
        }
        let Ok(mut entries) = self.entries.write() else {
            return;
        };
        if entries.len() >= CACHE_MAX_ENTRIES
            || self.bytes.load(Ordering::Relaxed) + cached.body.len() > CACHE_MAX_BYTES
        {
            entries.clear();
            self.bytes.store(0, Ordering::Relaxed);
        }
        self.bytes.fetch_add(cached.body.len(), Ordering::Relaxed);
        if let Some(old) = entries.insert(key, Arc::new(cached)) {
            self.bytes.fetch_sub(old.body.len(), Ordering::Relaxed);
        }
    }
}

/// The answer to a GET from a cached entry: `304` when `If-None-Match` names its ETag.
fn from_cache(c: &Cached, if_none_match: Option<&HeaderValue>) -> Response {
    let matches = if_none_match
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',').any(|t| {
                let t = t.trim();
                t == "*" || t.trim_start_matches("W/") == c.etag.trim_start_matches("W/")
            })
        });
    if matches {
        let mut r = StatusCode::NOT_MODIFIED.into_response();
        if let Some(v) = c.headers.get(header::ETAG) {
            r.headers_mut().insert(header::ETAG, v.clone());
        }
        return r;
    }
    let mut r = Response::new(Body::from(c.body.clone()));
    *r.headers_mut() = c.headers.clone();
    r
}

/// Adds a weak ETag to successful GET/HEAD responses, answers `304 Not Modified` when the
/// request's `If-None-Match` names it, and serves repeated GETs from the [`ResponseCache`] (keyed
/// by the links' base URL and the request URI, since links are the only part that depends on
/// the request's headers).
pub async fn etag(State(state): State<Shared>, request: Request, next: Next) -> Response {
    if !matches!(*request.method(), Method::GET | Method::HEAD) {
        return next.run(request).await;
    }
    let if_none_match = request.headers().get(header::IF_NONE_MATCH).cloned();
    let key = format!(
        "{}{}",
        super::base_url(request.headers(), &state),
        request.uri()
    );
    // `/health` reports live counters, so it is never kept.
    let cacheable = request.uri().path() != "/health";
    if cacheable {
        if let Some(c) = state.response_cache.get(&key) {
            return from_cache(&c, if_none_match.as_ref());
        }
    }
    let response = next.run(request).await;
    if response.status() != StatusCode::OK {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let bytes = match axum::body::to_bytes(body, ETAG_MAX_BYTES).await {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(error = %e, "reading a response body for its ETag");
            return error_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalError",
                "internal error; the server log has the details",
            );
        }
    };
    let mut h = DefaultHasher::new();
    h.write(bytes.as_ref());
    let tag = format!("W/\"{:016x}{:08x}\"", h.finish(), bytes.len() as u32);
    let Ok(value) = HeaderValue::from_str(&tag) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    parts.headers.insert(header::ETAG, value);
    let cached = Cached {
        headers: parts.headers.clone(),
        body: bytes.clone(),
        etag: tag,
    };
    let response = from_cache(&cached, if_none_match.as_ref());
    if cacheable {
        state.response_cache.put(key, cached);
    }
    response
}

/// Replaces the body of any error response that is not already JSON (a timeout's empty 408, the
/// body limit's 413, a caught panic's 500) with the service's JSON error shape.
pub async fn json_errors(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        return response;
    }
    let (code, description) = match status {
        StatusCode::REQUEST_TIMEOUT => (
            "Timeout",
            "the request took longer than the server allows".to_string(),
        ),
        StatusCode::PAYLOAD_TOO_LARGE => (
            "PayloadTooLarge",
            format!(
                "the request body is larger than {} bytes",
                super::BODY_LIMIT_BYTES
            ),
        ),
        s if s.is_server_error() => {
            tracing::error!(status = s.as_u16(), "error response made outside a handler");
            (
                "InternalError",
                "internal error; the server log has the details".to_string(),
            )
        }
        s => (
            "BadRequest",
            s.canonical_reason().unwrap_or("bad request").to_string(),
        ),
    };
    let mut r = error_response(status, code, &description);
    if let Some(allow) = response.headers().get(header::ALLOW) {
        r.headers_mut().insert(header::ALLOW, allow.clone());
    }
    r
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use axum::routing::get;
    use axum::Router;
    use tower::ServiceExt;

    async fn call(router: Router, uri: &str) -> (StatusCode, serde_json::Value) {
        let r = router
            .oneshot(Request::get(uri).body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = r.status();
        let bytes = axum::body::to_bytes(r.into_body(), usize::MAX)
            .await
            .unwrap();
        (status, serde_json::from_slice(&bytes).unwrap())
    }

    #[tokio::test]
    async fn errors_made_outside_handlers_get_the_json_shape() {
        let router = Router::new()
            .route("/slow", get(|| async { StatusCode::REQUEST_TIMEOUT }))
            .route(
                "/text",
                get(|| async { (StatusCode::IM_A_TEAPOT, "plain text") }),
            )
            .route(
                "/panic",
                get(|| async {
                    if true {
                        panic!("a bug");
                    }
                    "unreachable"
                }),
            )
            .layer(tower_http::catch_panic::CatchPanicLayer::new())
            .layer(axum::middleware::from_fn(super::json_errors));
        let (s, v) = call(router.clone(), "/slow").await;
        assert_eq!(s, StatusCode::REQUEST_TIMEOUT);
        assert_eq!(v["code"], "Timeout");
        assert_eq!(v["status"], 408);
        let (s, v) = call(router.clone(), "/text").await;
        assert_eq!(s, StatusCode::IM_A_TEAPOT);
        assert_eq!(v["status"], 418);
        let (s, v) = call(router, "/panic").await;
        assert_eq!(s, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(v["code"], "InternalError");
        assert!(!v["description"].as_str().unwrap().contains("a bug"));
    }
}
