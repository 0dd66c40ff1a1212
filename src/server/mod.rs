//! The HTTP service (`infill serve`): OGC API – Features (Part 1 core/GeoJSON/OpenAPI 3.0 and
//! Part 2 CRS) over every layer, and the planner's JSON API, with responses in WGS 84, GCJ-02,
//! BD-09 or an EPSG system.
//!
//! Only this module knows axum, HTTP status codes and response shapes; it converts the library's
//! types at the edge. [`app`] builds the whole service from an [`AppState`], so tests drive it
//! in-process with `tower::ServiceExt::oneshot`; [`serve`] binds it to a socket.
//!
//! - [`error`]: the one error type and JSON error shape.
//! - [`params`]: query parameters (unknown ones refused), paging.
//! - [`crs`]: `crs`/`bbox-crs`, axis order, bounding boxes, output conversion.
//! - [`collections`]: feature collections generic over their source (input layers, catchments).
//! - [`state`]: what is computed at start and shared by all requests.
//! - `ogc`: landing page, conformance, collections, items; `openapi`: the OpenAPI document.
//! - `planner`: neighbourhoods, catchments; `analysis`: stock, candidates, gaps, standards.
//! - [`middleware`]: ETag/304 and the response cache, JSON bodies for errors made outside handlers.

mod analysis;
pub mod collections;
pub mod crs;
pub mod error;
pub mod middleware;
mod ogc;
mod openapi;
pub mod params;
mod planner;
pub mod state;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::value::RawValue;
use serde_json::{json, Value};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::cors::{Any, CorsLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

pub use error::ApiError;
pub use state::{AppState, StateError};

use collections::Collection;
use crs::{AxisOrder, ClientCrs, CrsBook};

/// Largest request body accepted, bytes.
pub const BODY_LIMIT_BYTES: usize = 1024 * 1024;
/// Longest a request may take before it is answered `408`.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The shared state as handlers receive it.
pub type Shared = Arc<AppState>;

/// The whole service: every area's `router()`, the fallbacks, and the layers (CORS on every
/// response, errors included; tracing; gzip; JSON error bodies; panics caught; timeout; body
/// limit; ETag/304).
pub fn app(state: Shared) -> Router {
    // Router::layer wraps everything added before it: the last layer is the outermost.
    Router::new()
        .route("/health", get(health))
        .merge(ogc::router())
        .merge(planner::router())
        .merge(analysis::router())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::etag,
        ))
        .layer(DefaultBodyLimit::max(BODY_LIMIT_BYTES))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .layer(CatchPanicLayer::new())
        .layer(axum::middleware::from_fn(middleware::json_errors))
        .layer(CompressionLayer::new())
        .layer(TraceLayer::new_for_http())
        .layer(
            CorsLayer::new()
                .allow_origin(Any)
                .allow_methods([Method::GET, Method::HEAD, Method::POST, Method::OPTIONS])
                .allow_headers(Any)
                .expose_headers([header::ETAG, header::HeaderName::from_static("content-crs")]),
        )
        .with_state(state)
}

/// Serves `app(state)` on a bound listener until Ctrl-C or SIGTERM.
pub async fn serve(state: Shared, listener: tokio::net::TcpListener) -> std::io::Result<()> {
    axum::serve(listener, app(state))
        .with_graceful_shutdown(shutdown_signal())
        .await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
}

async fn health(axum::extract::State(state): axum::extract::State<Shared>) -> Response {
    let (entries, bytes, hits) = state.response_cache.stats();
    json_response(json!({
        "status": "ok",
        "working_crs": format!("EPSG:{}", state.workspace.crs().epsg()),
        "collections": state.collections.iter().count(),
        "network": state.graph.as_ref().map(|g| json!({"nodes": g.node_count(), "edges": g.edge_count()})),
        "response_cache": {"entries": entries, "bytes": bytes, "hits": hits},
    }))
}

async fn not_found(uri: axum::http::Uri) -> ApiError {
    ApiError::NotFound(format!("no resource at {}", uri.path()))
}

async fn method_not_allowed(method: Method, uri: axum::http::Uri) -> ApiError {
    ApiError::MethodNotAllowed(format!("{method} {}", uri.path()))
}

/// The base URL for links: the scheme and host a client used, so that `next` links work behind a
/// reverse proxy (`X-Forwarded-Proto`, `X-Forwarded-Host`), else `http://` + `Host`, else the
/// configured one. Header values that are not plain host names are ignored.
pub(crate) fn base_url(headers: &HeaderMap, state: &AppState) -> String {
    let value = |name: &str| {
        headers
            .get(name)
            .and_then(|h| h.to_str().ok())
            .and_then(|h| h.split(',').next())
            .map(str::trim)
    };
    let host = value("x-forwarded-host")
        .or_else(|| value(header::HOST.as_str()))
        .filter(|h| {
            !h.is_empty()
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b".-:[]_".contains(&b))
        });
    let scheme = match value("x-forwarded-proto") {
        Some(p) if p.eq_ignore_ascii_case("https") => "https",
        _ => "http",
    };
    match host {
        Some(h) => format!("{scheme}://{h}"),
        None => state.base_url.trim_end_matches('/').to_string(),
    }
}

/// A JSON body with `application/json`.
pub(crate) fn json_response(body: Value) -> Response {
    typed_response(body, "application/json", None)
}

/// A body of the given media type, with `Content-Crs` when given.
pub(crate) fn typed_response(
    body: Value,
    content_type: &str,
    content_crs: Option<String>,
) -> Response {
    let mut r = (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_str(content_type)
                .unwrap_or(HeaderValue::from_static("application/json")),
        )],
        body.to_string(),
    )
        .into_response();
    if let Some(uri) = content_crs.and_then(|u| HeaderValue::from_str(&format!("<{u}>")).ok()) {
        r.headers_mut()
            .insert(header::HeaderName::from_static("content-crs"), uri);
    }
    r
}

/// Feature `i` of a collection as a GeoJSON Feature in `crs`.
pub(crate) fn feature_json(
    book: &CrsBook,
    c: &Collection,
    i: usize,
    crs: &ClientCrs,
    order: AxisOrder,
) -> Result<Value, ApiError> {
    let geometry = match c.geometry(i) {
        Some((working, lonlat)) => {
            let g = book.output(working, lonlat, crs, order)?;
            serde_json::to_value(geojson::Geometry::new(geojson::GeometryValue::from(&g)))
                .map_err(|e| ApiError::Internal(e.to_string()))?
        }
        None => Value::Null,
    };
    Ok(json!({
        "type": "Feature",
        "id": c.id(i).to_json(),
        "geometry": geometry,
        "properties": c.properties(i),
    }))
}

/// Feature `i` of a collection as serialised GeoJSON in `crs`, without cloning its properties:
/// what pages are made of. CRS84 uses the geometry serialised at start. Properties named in
/// `strip` are left out (then the properties are cloned).
pub(crate) fn feature_raw(
    book: &CrsBook,
    c: &Collection,
    i: usize,
    crs: &ClientCrs,
    order: AxisOrder,
    strip: &[&str],
) -> Result<Box<RawValue>, ApiError> {
    let converted;
    let geometry: &RawValue = match (c.geometry(i), crs) {
        (None, _) | (Some(_), ClientCrs::Crs84) => c.lonlat_raw(i),
        (Some((working, lonlat)), _) => {
            converted = collections::geometry_raw(&book.output(working, lonlat, crs, order)?);
            &converted
        }
    };
    let stripped;
    let properties: &RawValue = if strip.is_empty() {
        c.properties_raw(i)
    } else {
        let mut p = c.properties(i).clone();
        for k in strip {
            p.remove(*k);
        }
        stripped =
            serde_json::value::to_raw_value(&p).map_err(|e| ApiError::Internal(e.to_string()))?;
        &stripped
    };
    let text = format!(
        r#"{{"type":"Feature","id":{},"geometry":{},"properties":{}}}"#,
        c.id(i).to_json(),
        geometry.get(),
        properties.get()
    );
    RawValue::from_string(text).map_err(|e| ApiError::Internal(e.to_string()))
}

/// A page of features: a GeoJSON FeatureCollection with the OGC paging members.
#[derive(serde::Serialize)]
pub(crate) struct FeaturePage {
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The planner API names its coordinate system; the OGC API uses `Content-Crs` only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coordinate_system: Option<String>,
    #[serde(rename = "numberMatched")]
    pub number_matched: usize,
    #[serde(rename = "numberReturned")]
    pub number_returned: usize,
    pub features: Vec<Box<RawValue>>,
    pub links: Vec<Value>,
}

/// A serialised body of the given media type, with `Content-Crs` when given.
pub(crate) fn serialized_response(
    body: &impl serde::Serialize,
    content_type: &str,
    content_crs: Option<String>,
) -> Result<Response, ApiError> {
    let text = serde_json::to_string(body).map_err(|e| ApiError::Internal(e.to_string()))?;
    let mut r = (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_str(content_type)
                .unwrap_or(HeaderValue::from_static("application/json")),
        )],
        text,
    )
        .into_response();
    if let Some(uri) = content_crs.and_then(|u| HeaderValue::from_str(&format!("<{u}>")).ok()) {
        r.headers_mut()
            .insert(header::HeaderName::from_static("content-crs"), uri);
    }
    Ok(r)
}

/// A link object.
pub(crate) fn link(href: String, rel: &str, kind: &str, title: &str) -> Value {
    json!({"href": href, "rel": rel, "type": kind, "title": title})
}

/// `base + path` with the request's parameters, `replace`d ones set to new values (for
/// `self`/`next`/`prev` links).
pub(crate) fn url_with(
    base: &str,
    path: &str,
    params: &params::Params,
    replace: &[(&str, String)],
) -> String {
    let mut q = form_urlencoded::Serializer::new(String::new());
    for (k, v) in params.pairs() {
        if !replace.iter().any(|(r, _)| r == k) {
            q.append_pair(k, v);
        }
    }
    for (k, v) in replace {
        q.append_pair(k, v);
    }
    let q = q.finish();
    if q.is_empty() {
        format!("{base}{path}")
    } else {
        format!("{base}{path}?{q}")
    }
}
