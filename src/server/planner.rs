//! The planner's API under `/api`: neighbourhoods (old only, bbox), one neighbourhood, its
//! catchment bands, and an ad-hoc catchment from a point; coordinates in WGS 84 by default, or
//! `crs=gcj02` (Amap, Tencent), `crs=bd09` (Baidu), or an EPSG code (e.g. `4549`), always
//! easting/longitude first.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use geo::Geometry;
use serde_json::{json, Value};

use super::collections::Collection;
use super::crs::{AxisOrder, ClientCrs};
use super::params::{page, Params};
use super::state::CatchmentShape;
use super::{
    base_url, feature_json, feature_raw, json_response, link, serialized_response, typed_response,
    url_with, ApiError, FeaturePage, Shared,
};
use crate::network::{snap_origins, CatchmentSpec, Origin, Profile};

const GEOJSON: &str = "application/geo+json";

/// Most bands one catchment request may ask for.
pub const MAX_BANDS: usize = 8;
/// Longest band, minutes.
pub const MAX_MINUTES: f64 = 60.0;
/// Fastest walking speed accepted, m/s.
pub const MAX_SPEED_M_PER_S: f64 = 3.0;

/// The planner API routes.
pub fn router() -> Router<Shared> {
    Router::new()
        .route("/api", get(index))
        .route("/api/neighbourhoods", get(neighbourhoods))
        .route("/api/neighbourhoods/{id}", get(neighbourhood))
        .route(
            "/api/neighbourhoods/{id}/catchment",
            get(neighbourhood_catchment),
        )
        .route("/api/catchment", get(point_catchment))
}

async fn index(
    State(s): State<Shared>,
    headers: HeaderMap,
    params: Params,
) -> Result<Response, ApiError> {
    params.allow_only(&[])?;
    let base = base_url(&headers, &s);
    Ok(json_response(json!({
        "title": "infill planner API",
        "description": "Neighbourhoods and walking catchments. Coordinates: crs=wgs84 (default), gcj02, bd09 or an EPSG code; always easting/longitude first.",
        "links": [
            link(format!("{base}/api/neighbourhoods"), "neighbourhoods", GEOJSON, "neighbourhoods (old=true, bbox, crs)"),
            link(format!("{base}/api/catchment"), "catchment", GEOJSON, "catchment from a point (at, minutes, profile, speed, crs)"),
            link(format!("{base}/openapi"), "service-desc", super::ogc::OPENAPI_TYPE, "the API definition"),
        ],
    })))
}

/// The response CRS (`crs`, default WGS 84).
pub(crate) fn planner_crs(s: &Shared, params: &Params) -> Result<ClientCrs, ApiError> {
    params
        .get("crs")
        .map(|t| s.crs.parse_planner("crs", t))
        .transpose()
        .map(|c| c.unwrap_or(ClientCrs::Crs84))
}

fn layer(s: &Shared) -> Result<&Collection, ApiError> {
    s.neighbourhoods
        .as_ref()
        .ok_or_else(|| ApiError::Unavailable("the project has no neighbourhoods layer".into()))
}

fn find(c: &Collection, id: &str) -> Result<usize, ApiError> {
    c.find(id)
        .ok_or_else(|| ApiError::NotFound(format!("no neighbourhood has the id {id:?}")))
}

/// A page of features of `c` at `positions` as a FeatureCollection with `numberMatched`,
/// `numberReturned` and `next`/`prev` links; properties named in `strip` are left out (heavy
/// tables that the single-feature endpoint carries).
#[allow(clippy::too_many_arguments)]
pub(crate) fn feature_page(
    s: &Shared,
    headers: &HeaderMap,
    params: &Params,
    path: &str,
    c: &Collection,
    positions: &[usize],
    crs: &ClientCrs,
    strip: &[&str],
) -> Result<Response, ApiError> {
    let (limit, offset) = page(params, super::ogc::MAX_LIMIT, super::ogc::MAX_LIMIT)?;
    let features = positions
        .iter()
        .skip(offset)
        .take(limit)
        .map(|&i| feature_raw(&s.crs, c, i, crs, AxisOrder::EastFirst, strip))
        .collect::<Result<Vec<_>, ApiError>>()?;
    let base = base_url(headers, s);
    let returned = features.len();
    let mut links = vec![link(
        url_with(&base, path, params, &[]),
        "self",
        GEOJSON,
        "this page",
    )];
    if offset.saturating_add(returned) < positions.len() {
        links.push(link(
            url_with(
                &base,
                path,
                params,
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
                path,
                params,
                &[
                    (
                        "offset",
                        offset
                            .saturating_sub(limit)
                            .min(positions.len())
                            .to_string(),
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
            coordinate_system: Some(crs.name()),
            number_matched: positions.len(),
            number_returned: returned,
            features,
            links,
        },
        GEOJSON,
        crs.uri(),
    )
}

/// The response CRS and the bbox area (working CRS) of a planner list: `bbox` is read in
/// `bbox-crs`, by default in `crs`, because a front-end sends its viewport in the system it draws.
pub(crate) fn crs_and_area(
    s: &Shared,
    params: &Params,
) -> Result<(ClientCrs, Option<geo::Polygon<f64>>), ApiError> {
    let crs = planner_crs(s, params)?;
    let bbox_crs = match params.get("bbox-crs") {
        Some(t) => s.crs.parse_planner("bbox-crs", t)?,
        None => crs.clone(),
    };
    if params.get("bbox-crs").is_some() && params.get("bbox").is_none() {
        return Err(ApiError::param("bbox-crs", "given without bbox"));
    }
    let area = params
        .get("bbox")
        .map(|b| s.crs.bbox(b, &bbox_crs, AxisOrder::EastFirst))
        .transpose()?;
    Ok((crs, area))
}

async fn neighbourhoods(
    State(s): State<Shared>,
    headers: HeaderMap,
    params: Params,
) -> Result<Response, ApiError> {
    params.allow_only(&["old", "patch", "bbox", "bbox-crs", "crs", "limit", "offset"])?;
    let c = layer(&s)?;
    let (crs, area) = crs_and_area(&s, &params)?;
    let old = params.flag("old")?;
    let patch = params.get("patch");
    if let Some(p) = patch {
        let known = s
            .analysis
            .as_ref()
            .is_some_and(|a| a.patches.iter().any(|x| x.id == p));
        if !known {
            return Err(ApiError::param(
                "patch",
                format!("{p:?} is not a renovation patch id (see /api/gaps)"),
            ));
        }
    }
    let matching: Vec<usize> = c
        .matching(area.as_ref())
        .into_iter()
        .filter(|&i| match old {
            None => true,
            Some(want) => c.properties(i).get("is_old").and_then(Value::as_bool) == Some(want),
        })
        .filter(|&i| {
            patch.is_none_or(|p| c.properties(i).get("patch").and_then(Value::as_str) == Some(p))
        })
        .collect();
    feature_page(
        &s,
        &headers,
        &params,
        "/api/neighbourhoods",
        c,
        &matching,
        &crs,
        &["gaps"],
    )
}

async fn neighbourhood(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    params: Params,
) -> Result<Response, ApiError> {
    params.allow_only(&["crs"])?;
    let c = layer(&s)?;
    let crs = planner_crs(&s, &params)?;
    let i = find(c, &id)?;
    let mut f = feature_json(&s.crs, c, i, &crs, AxisOrder::EastFirst)?;
    let base = base_url(&headers, &s);
    f["coordinate_system"] = json!(crs.name());
    f["links"] = json!([
        link(
            format!("{base}/api/neighbourhoods/{id}"),
            "self",
            GEOJSON,
            "this neighbourhood"
        ),
        link(
            format!("{base}/api/neighbourhoods/{id}/catchment"),
            "catchment",
            GEOJSON,
            "its walking catchment"
        ),
    ]);
    Ok(typed_response(f, GEOJSON, crs.uri()))
}

/// The catchment spec from `minutes`, `profile` and `speed` (speed overrides the profile), with
/// limits that keep one request cheap.
fn catchment_spec(params: &Params) -> Result<CatchmentSpec, ApiError> {
    let mut spec = CatchmentSpec::default();
    if let Some(m) = params.get("minutes") {
        let minutes = m
            .split(',')
            .map(|v| v.trim().parse::<f64>().ok().filter(|v| v.is_finite()))
            .collect::<Option<Vec<f64>>>()
            .ok_or_else(|| {
                ApiError::param(
                    "minutes",
                    format!("{m:?} is not a list of numbers such as 5,10,15"),
                )
            })?;
        if minutes.is_empty() || minutes.len() > MAX_BANDS {
            return Err(ApiError::param(
                "minutes",
                format!("give 1 to {MAX_BANDS} bands"),
            ));
        }
        if minutes.iter().any(|&v| v <= 0.0 || v > MAX_MINUTES)
            || minutes.windows(2).any(|w| w[0] >= w[1])
        {
            return Err(ApiError::param(
                "minutes",
                format!("{m:?}: bands must increase, each above 0 and at most {MAX_MINUTES}"),
            ));
        }
        spec.minutes = minutes;
    }
    if let Some(p) = params.get("profile") {
        spec.speed_m_per_s = Profile::named(p)
            .map_err(|e| ApiError::param("profile", e))?
            .speed_m_per_s;
    }
    if let Some(v) = params.parse::<f64>("speed", "a speed in m/s")? {
        if !(v.is_finite() && v > 0.0 && v <= MAX_SPEED_M_PER_S) {
            return Err(ApiError::param(
                "speed",
                format!("{v} m/s: give a speed above 0 and at most {MAX_SPEED_M_PER_S}"),
            ));
        }
        spec.speed_m_per_s = v;
    }
    Ok(spec)
}

fn catchment_response(
    s: &Shared,
    shape: &CatchmentShape,
    crs: &ClientCrs,
    neighbourhood: Option<&Value>,
) -> Result<Response, ApiError> {
    let features = shape
        .bands
        .iter()
        .map(|b| {
            let g = s.crs.output_from_working(
                &Geometry::MultiPolygon(b.polygon.clone()),
                crs,
                AxisOrder::EastFirst,
            )?;
            let geometry =
                serde_json::to_value(geojson::Geometry::new(geojson::GeometryValue::from(&g)))
                    .map_err(|e| ApiError::Internal(e.to_string()))?;
            let mut props = json!({
                "minutes": b.minutes,
                "reached_length_m": b.reached_length_m,
                "reached_nodes": b.reached_nodes,
                "speed_m_per_s": shape.speed_m_per_s,
                "origins": shape.origins,
                "unsnapped_origins": shape.unsnapped_origins,
            });
            if let Some(n) = neighbourhood {
                props["neighbourhood"] = n.clone();
            }
            Ok(json!({"type": "Feature", "geometry": geometry, "properties": props}))
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    Ok(typed_response(
        json!({"type": "FeatureCollection", "coordinate_system": crs.name(), "features": features}),
        GEOJSON,
        crs.uri(),
    ))
}

/// Runs a catchment on the blocking pool (it is CPU work of a few milliseconds).
async fn compute(
    s: &Shared,
    origins: Vec<crate::network::OriginSnap>,
    spec: CatchmentSpec,
) -> Result<CatchmentShape, ApiError> {
    let state = s.clone();
    tokio::task::spawn_blocking(move || state.catchment(origins, &spec))
        .await
        .map_err(|e| ApiError::Internal(format!("catchment task: {e}")))?
        .map_err(|e| ApiError::InvalidParameter(e.to_string()))
}

async fn neighbourhood_catchment(
    State(s): State<Shared>,
    Path(id): Path<String>,
    params: Params,
) -> Result<Response, ApiError> {
    params.allow_only(&["crs", "minutes", "profile", "speed"])?;
    let c = layer(&s)?;
    let crs = planner_crs(&s, &params)?;
    let spec = catchment_spec(&params)?;
    let i = find(c, &id)?;
    let graph = s.graph.as_ref().ok_or_else(|| {
        ApiError::Unavailable("the project has no roads layer, so no walk network".into())
    })?;
    let key = c.id(i).to_json();
    let shape = match s.default_catchments.get(i) {
        Some(Some(shape)) if spec == CatchmentSpec::default() => shape.clone(),
        _ => {
            let layer = s
                .workspace
                .layer(crate::model::Role::Neighbourhoods)
                .ok_or_else(|| ApiError::Internal("neighbourhoods layer vanished".into()))?;
            let origins = s.neighbourhood_origins(graph, layer, i, &spec);
            compute(&s, origins, spec).await?
        }
    };
    catchment_response(&s, &shape, &crs, Some(&key))
}

async fn point_catchment(State(s): State<Shared>, params: Params) -> Result<Response, ApiError> {
    params.allow_only(&["at", "crs", "minutes", "profile", "speed"])?;
    let crs = planner_crs(&s, &params)?;
    let spec = catchment_spec(&params)?;
    let at = params.get("at").ok_or_else(|| {
        ApiError::param(
            "at",
            "is required: the start as x,y (longitude,latitude) in `crs`",
        )
    })?;
    let (a, b) = at
        .split_once(',')
        .and_then(|(a, b)| Some((a.trim().parse::<f64>().ok()?, b.trim().parse::<f64>().ok()?)))
        .filter(|(a, b)| a.is_finite() && b.is_finite())
        .ok_or_else(|| ApiError::param("at", format!("{at:?} is not x,y (longitude,latitude)")))?;
    let point = s
        .crs
        .input_point("at", (a, b), &crs, AxisOrder::EastFirst)?;
    let graph = s.graph.as_ref().ok_or_else(|| {
        ApiError::Unavailable("the project has no roads layer, so no walk network".into())
    })?;
    let origins = snap_origins(
        graph,
        vec![Origin {
            label: "point".into(),
            point,
        }],
        spec.snap_cap_m,
    );
    if origins.iter().all(|o| o.snap.is_none()) {
        return Err(ApiError::param(
            "at",
            format!(
                "({a}, {b}) is farther than {} m from every walkable way",
                spec.snap_cap_m
            ),
        ));
    }
    let shape = compute(&s, origins, spec).await?;
    catchment_response(&s, &shape, &crs, None)
}
