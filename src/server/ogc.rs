//! OGC API – Features Part 1 (core, GeoJSON, OpenAPI 3.0) and Part 2 (CRS by reference): the
//! landing page, `/conformance`, `/collections`, `/collections/{id}`, `/items` and
//! `/items/{featureId}`.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};

use super::collections::Collection;
use super::crs::{epsg_uri, AxisOrder, ClientCrs, CRS84_URI};
use super::params::{page, Params};
use super::{
    base_url, feature_json, feature_raw, json_response, link, serialized_response, typed_response,
    url_with, ApiError, FeaturePage, Shared,
};

/// Default `limit` of an items page.
pub const DEFAULT_LIMIT: usize = 10;
/// Largest `limit`; larger values are clamped to it.
pub const MAX_LIMIT: usize = 10_000;

const GEOJSON: &str = "application/geo+json";
const JSON: &str = "application/json";
/// The media type of the OpenAPI 3.0 document.
pub const OPENAPI_TYPE: &str = "application/vnd.oai.openapi+json;version=3.0";

/// The conformance classes implemented.
pub const CONFORMANCE: [&str; 4] = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
];

/// The OGC API routes.
pub fn router() -> Router<Shared> {
    Router::new()
        .route("/", get(landing))
        .route("/conformance", get(conformance))
        .route("/openapi", get(openapi))
        .route("/collections", get(collections))
        .route("/collections/{collection}", get(collection))
        .route("/collections/{collection}/items", get(items))
        .route("/collections/{collection}/items/{feature}", get(item))
}

/// `f=json` (and its spellings) is accepted; any other format is refused.
fn check_format(params: &Params) -> Result<(), ApiError> {
    match params.get("f") {
        None => Ok(()),
        Some(f) => match f.trim().to_ascii_lowercase().as_str() {
            "json" | "geojson" | "application/json" | "application/geo+json" => Ok(()),
            _ => Err(ApiError::param(
                "f",
                format!("{f:?}: only json is offered (GeoJSON for features)"),
            )),
        },
    }
}

async fn landing(
    State(s): State<Shared>,
    headers: HeaderMap,
    params: Params,
) -> Result<Response, ApiError> {
    params.allow_only(&["f"])?;
    check_format(&params)?;
    let base = base_url(&headers, &s);
    Ok(json_response(json!({
        "title": "infill",
        "description": "Old-neighbourhood renovation data: the bureau's layers and the derived walking catchments, \
                        as OGC API – Features (Part 1 and Part 2); the planner's API is under /api.",
        "links": [
            link(format!("{base}/"), "self", JSON, "this document"),
            link(format!("{base}/openapi"), "service-desc", super::ogc::OPENAPI_TYPE, "the API definition (OpenAPI 3.0)"),
            link(format!("{base}/conformance"), "conformance", JSON, "conformance classes"),
            link(format!("{base}/conformance"), "http://www.opengis.net/def/rel/ogc/1.0/conformance", JSON, "conformance classes"),
            link(format!("{base}/collections"), "data", JSON, "feature collections"),
            link(format!("{base}/collections"), "http://www.opengis.net/def/rel/ogc/1.0/data", JSON, "feature collections"),
        ],
    })))
}

async fn conformance(params: Params) -> Result<Response, ApiError> {
    params.allow_only(&["f"])?;
    check_format(&params)?;
    Ok(json_response(json!({ "conformsTo": CONFORMANCE })))
}

async fn openapi(
    State(s): State<Shared>,
    headers: HeaderMap,
    params: Params,
) -> Result<Response, ApiError> {
    params.allow_only(&["f"])?;
    check_format(&params)?;
    let base = base_url(&headers, &s);
    Ok(typed_response(
        super::openapi::document(&base, &s),
        OPENAPI_TYPE,
        None,
    ))
}

fn collection_json(base: &str, s: &Shared, c: &Collection) -> Value {
    let href = format!("{base}/collections/{}", c.id);
    let mut v = json!({
        "id": c.id,
        "title": c.title,
        "description": c.description,
        "itemType": "feature",
        "links": [
            link(href.clone(), "self", JSON, "this collection"),
            link(format!("{href}/items"), "items", GEOJSON, "the features"),
        ],
        "crs": s.crs.offered_uris(),
        "storageCrs": epsg_uri(s.crs.working().epsg()),
        "numberOfFeatures": c.len(),
    });
    if let Some(e) = c.extent_lonlat() {
        v["extent"] = json!({"spatial": {"bbox": [e], "crs": CRS84_URI}});
    }
    v
}

async fn collections(
    State(s): State<Shared>,
    headers: HeaderMap,
    params: Params,
) -> Result<Response, ApiError> {
    params.allow_only(&["f"])?;
    check_format(&params)?;
    let base = base_url(&headers, &s);
    let list: Vec<Value> = s
        .collections
        .iter()
        .map(|c| collection_json(&base, &s, c))
        .collect();
    Ok(json_response(json!({
        "links": [link(format!("{base}/collections"), "self", JSON, "the collections")],
        "collections": list,
        "crs": s.crs.offered_uris(),
    })))
}

fn find<'a>(s: &'a Shared, id: &str) -> Result<&'a Collection, ApiError> {
    s.collections.get(id).ok_or_else(|| {
        ApiError::NotFound(format!(
            "no collection {id:?}; the collections are {}",
            s.collections
                .iter()
                .map(|c| c.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })
}

async fn collection(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    params: Params,
) -> Result<Response, ApiError> {
    params.allow_only(&["f"])?;
    check_format(&params)?;
    let c = find(&s, &id)?;
    Ok(json_response(collection_json(
        &base_url(&headers, &s),
        &s,
        c,
    )))
}

fn response_crs(s: &Shared, params: &Params) -> Result<ClientCrs, ApiError> {
    params
        .get("crs")
        .map(|t| s.crs.parse_ogc("crs", t))
        .transpose()
        .map(|c| c.unwrap_or(ClientCrs::Crs84))
}

async fn items(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    params: Params,
) -> Result<Response, ApiError> {
    params.allow_only(&[
        "f", "limit", "offset", "bbox", "bbox-crs", "crs", "datetime",
    ])?;
    check_format(&params)?;
    let c = find(&s, &id)?;
    let (limit, offset) = page(&params, DEFAULT_LIMIT, MAX_LIMIT)?;
    let crs = response_crs(&s, &params)?;
    let bbox_crs = params
        .get("bbox-crs")
        .map(|t| s.crs.parse_ogc("bbox-crs", t))
        .transpose()?
        .unwrap_or(ClientCrs::Crs84);
    if params.get("bbox-crs").is_some() && params.get("bbox").is_none() {
        return Err(ApiError::param("bbox-crs", "given without bbox"));
    }
    if let Some(d) = params.get("datetime") {
        // No collection has temporal data, so a well-formed interval selects every feature.
        if d.trim().is_empty() {
            return Err(ApiError::param("datetime", "is empty"));
        }
    }
    let area = params
        .get("bbox")
        .map(|b| s.crs.bbox(b, &bbox_crs, AxisOrder::Authority))
        .transpose()?;
    let matching = c.matching(area.as_ref());
    let features = matching
        .iter()
        .skip(offset)
        .take(limit)
        .map(|&i| feature_raw(&s.crs, c, i, &crs, AxisOrder::Authority, &[]))
        .collect::<Result<Vec<_>, _>>()?;
    let base = base_url(&headers, &s);
    let path = format!("/collections/{}/items", c.id);
    let returned = features.len();
    let mut links = vec![
        link(
            url_with(&base, &path, &params, &[]),
            "self",
            GEOJSON,
            "this page",
        ),
        link(
            format!("{base}/collections/{}", c.id),
            "collection",
            JSON,
            "the collection",
        ),
    ];
    if offset.saturating_add(returned) < matching.len() {
        links.push(link(
            url_with(
                &base,
                &path,
                &params,
                &[
                    ("offset", (offset + returned).to_string()),
                    ("limit", limit.to_string()),
                ],
            ),
            "next",
            GEOJSON,
            "next page",
        ));
    }
    if offset > 0 {
        links.push(link(
            url_with(
                &base,
                &path,
                &params,
                &[
                    (
                        "offset",
                        offset.saturating_sub(limit).min(matching.len()).to_string(),
                    ),
                    ("limit", limit.to_string()),
                ],
            ),
            "prev",
            GEOJSON,
            "previous page",
        ));
    }
    serialized_response(
        &FeaturePage {
            kind: "FeatureCollection",
            coordinate_system: None,
            number_matched: matching.len(),
            number_returned: returned,
            features,
            links,
        },
        GEOJSON,
        crs.uri(),
    )
}

async fn item(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path((id, feature)): Path<(String, String)>,
    params: Params,
) -> Result<Response, ApiError> {
    params.allow_only(&["f", "crs"])?;
    check_format(&params)?;
    let c = find(&s, &id)?;
    let crs = response_crs(&s, &params)?;
    let i = c.find(&feature).ok_or_else(|| {
        ApiError::NotFound(format!("collection {id:?} has no feature {feature:?}"))
    })?;
    let mut f = feature_json(&s.crs, c, i, &crs, AxisOrder::Authority)?;
    let base = base_url(&headers, &s);
    f["links"] = json!([
        link(
            url_with(
                &base,
                &format!("/collections/{id}/items/{feature}"),
                &params,
                &[]
            ),
            "self",
            GEOJSON,
            "this feature"
        ),
        link(
            format!("{base}/collections/{id}"),
            "collection",
            JSON,
            "the collection"
        ),
    ]);
    Ok(typed_response(f, GEOJSON, crs.uri()))
}
