//! The planner API's analysis endpoints: stock resources with their reasons, candidate sites per
//! facility type with their explanations, the gaps summary and the facility standards in force.
//! Everything is computed at start ([`AppState::new`](super::AppState::new)); these handlers
//! filter, sort and convert.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Json;
use axum::Router;
use serde_json::{json, Value};

use super::crs::AxisOrder;
use super::params::Params;
use super::planner::{crs_and_area, feature_page, planner_crs};
use super::state::candidates_collection_id;
use super::{feature_json, json_response, typed_response, ApiError, Shared};
use crate::analysis::allocate::{allocate, AllocationRequest};
use crate::analysis::{Analysis, StockKind};
use crate::io::results;

/// The analysis routes.
pub fn router() -> Router<Shared> {
    Router::new()
        .route("/api/stock", get(stock))
        .route("/api/stock/{id}", get(stock_one))
        .route("/api/candidates", get(candidates))
        .route("/api/gaps", get(gaps))
        .route("/api/standards", get(standards))
        .route("/api/allocation", post(allocation))
}

fn analysis(s: &Shared) -> Result<&Analysis, ApiError> {
    s.analysis.as_ref().ok_or_else(|| {
        ApiError::Unavailable(
            "no analysis: the project needs a neighbourhoods and a roads layer".into(),
        )
    })
}

/// The inventory index of the neighbourhood named by parameter `name`.
fn neighbourhood_param(a: &Analysis, name: &str, id: &str) -> Result<usize, ApiError> {
    a.neighbourhoods
        .iter()
        .position(|n| n.id == id)
        .ok_or_else(|| ApiError::param(name, format!("no neighbourhood has the id {id:?}")))
}

fn facility_type<'a>(a: &'a Analysis, name: &str, t: &str) -> Result<&'a str, ApiError> {
    a.types
        .iter()
        .find(|x| x.as_str() == t)
        .map(String::as_str)
        .ok_or_else(|| {
            ApiError::param(
                name,
                format!(
                    "unknown facility type {t:?}; the types are {}",
                    a.types.join(", ")
                ),
            )
        })
}

async fn stock(
    State(s): State<Shared>,
    headers: HeaderMap,
    params: Params,
) -> Result<Response, ApiError> {
    params.allow_only(&["kind", "near", "bbox", "bbox-crs", "crs", "limit", "offset"])?;
    let a = analysis(&s)?;
    let (crs, area) = crs_and_area(&s, &params)?;
    let kinds = params
        .get("kind")
        .map(|k| {
            k.split(',')
                .map(|x| {
                    StockKind::parse(x.trim()).ok_or_else(|| {
                        ApiError::param(
                            "kind",
                            format!(
                                "{x:?} is not a stock kind; the kinds are {}",
                                StockKind::ALL.map(|k| k.key()).join(", ")
                            ),
                        )
                    })
                })
                .collect::<Result<Vec<_>, _>>()
        })
        .transpose()?;
    let near = params
        .get("near")
        .map(|id| neighbourhood_param(a, "near", id))
        .transpose()?;
    let c = s
        .collections
        .get("stock")
        .ok_or_else(|| ApiError::Internal("stock collection missing".into()))?;
    let positions: Vec<usize> = c
        .matching(area.as_ref())
        .into_iter()
        .filter(|&i| {
            let r = &a.stock[i];
            kinds
                .as_ref()
                .is_none_or(|ks| r.kinds.iter().any(|k| ks.contains(k)))
                && near.is_none_or(|n| r.near.iter().any(|x| x.neighbourhood == n))
        })
        .collect();
    feature_page(
        &s,
        &headers,
        &params,
        "/api/stock",
        c,
        &positions,
        &crs,
        &[],
    )
}

async fn stock_one(
    State(s): State<Shared>,
    Path(id): Path<String>,
    params: Params,
) -> Result<Response, ApiError> {
    params.allow_only(&["crs"])?;
    analysis(&s)?;
    let crs = planner_crs(&s, &params)?;
    let c = s
        .collections
        .get("stock")
        .ok_or_else(|| ApiError::Internal("stock collection missing".into()))?;
    let i = c
        .find(&id)
        .ok_or_else(|| ApiError::NotFound(format!("no stock resource has the id {id:?}")))?;
    let mut f = feature_json(&s.crs, c, i, &crs, AxisOrder::EastFirst)?;
    f["coordinate_system"] = json!(crs.name());
    Ok(typed_response(f, "application/geo+json", crs.uri()))
}

/// How candidates can be sorted.
const SORTS: [&str; 5] = ["score", "-score", "area", "minutes", "name"];

async fn candidates(
    State(s): State<Shared>,
    headers: HeaderMap,
    params: Params,
) -> Result<Response, ApiError> {
    params.allow_only(&[
        "type",
        "near",
        "patch",
        "bbox",
        "bbox-crs",
        "min_score",
        "sort",
        "crs",
        "limit",
        "offset",
    ])?;
    let a = analysis(&s)?;
    let t = params.get("type").ok_or_else(|| {
        ApiError::param(
            "type",
            format!("is required: one of {}", a.types.join(", ")),
        )
    })?;
    let t = facility_type(a, "type", t)?;
    let (crs, area) = crs_and_area(&s, &params)?;
    let near = params
        .get("near")
        .map(|id| neighbourhood_param(a, "near", id))
        .transpose()?;
    let patch = params
        .get("patch")
        .map(|p| {
            a.patches.iter().position(|x| x.id == p).ok_or_else(|| {
                ApiError::param(
                    "patch",
                    format!("{p:?} is not a renovation patch id (see /api/gaps)"),
                )
            })
        })
        .transpose()?;
    let min_score = params.parse::<f64>("min_score", "a number from 0 to 1")?;
    if let Some(m) = min_score {
        if !(0.0..=1.0).contains(&m) {
            return Err(ApiError::param(
                "min_score",
                format!("{m} is not between 0 and 1"),
            ));
        }
    }
    let sort = params.get("sort").unwrap_or("score");
    if !SORTS.contains(&sort) {
        return Err(ApiError::param(
            "sort",
            format!("{sort:?}: sort by one of {}", SORTS.join(", ")),
        ));
    }
    let tc = a
        .candidates_of(t)
        .ok_or_else(|| ApiError::Internal(format!("no candidates for {t}")))?;
    let c = s
        .collections
        .get(&candidates_collection_id(t))
        .ok_or_else(|| ApiError::Internal(format!("collection of {t} missing")))?;
    let mut positions: Vec<usize> = c
        .matching(area.as_ref())
        .into_iter()
        .filter(|&i| {
            let x = &tc.candidates[i];
            min_score.is_none_or(|m| x.score >= m)
                && near.is_none_or(|n| x.serves.iter().any(|v| v.neighbourhood == n))
                && patch.is_none_or(|p| {
                    x.serves
                        .iter()
                        .any(|v| a.neighbourhoods[v.neighbourhood].patch == Some(p))
                })
        })
        .collect();
    // Candidates are stored best first, so a stable sort keeps rank order among ties.
    let nearest = |i: usize| {
        tc.candidates[i]
            .serves
            .iter()
            .map(|v| v.minutes)
            .fold(f64::INFINITY, f64::min)
    };
    match sort {
        "-score" => positions.reverse(),
        "area" => positions.sort_by(|&x, &y| {
            tc.candidates[y]
                .usable_area_m2
                .total_cmp(&tc.candidates[x].usable_area_m2)
        }),
        "minutes" => positions.sort_by(|&x, &y| nearest(x).total_cmp(&nearest(y))),
        "name" => positions.sort_by(|&x, &y| {
            a.stock[tc.candidates[x].stock]
                .name
                .cmp(&a.stock[tc.candidates[y].stock].name)
        }),
        _ => {}
    }
    feature_page(
        &s,
        &headers,
        &params,
        "/api/candidates",
        c,
        &positions,
        &crs,
        &[],
    )
}

async fn gaps(State(s): State<Shared>, params: Params) -> Result<Response, ApiError> {
    params.allow_only(&["type"])?;
    let a = analysis(&s)?;
    let only = params
        .get("type")
        .map(|t| facility_type(a, "type", t))
        .transpose()?;
    let types: Vec<Value> = a
        .gaps
        .iter()
        .filter(|g| only.is_none_or(|t| g.facility_type == t))
        .map(|g| {
            let f = a.config.facilities.get(&g.facility_type);
            let mut worst: Vec<&crate::analysis::Gap> = g
                .gaps
                .iter()
                .filter(|x| a.neighbourhoods[x.neighbourhood].is_old && x.gap > 1e-9)
                .collect();
            worst.sort_by(|x, y| y.gap_households.total_cmp(&x.gap_households));
            json!({
                "facility_type": g.facility_type,
                "name": f.map(|f| f.name.clone()),
                "unit": g.unit,
                "band_minutes": f.map(|f| f.band_minutes),
                "profile": f.map(|f| f.profile.clone()),
                "old_totals": g.old_totals,
                "patches": a.patches.iter().zip(&g.patch_totals).map(|(p, t)| json!({"id": p.id, "totals": t})).collect::<Vec<_>>(),
                "neighbourhoods_with_gap": worst.iter().map(|x| {
                    let n = &a.neighbourhoods[x.neighbourhood];
                    json!({"id": n.id, "name": n.name, "demand": x.demand, "supply": x.supply, "gap": x.gap, "gap_households": x.gap_households})
                }).collect::<Vec<_>>(),
                "candidates": a.candidates_of(&g.facility_type).map(|c| c.candidates.len()),
            })
        })
        .collect();
    Ok(json_response(json!({
        "neighbourhoods": a.neighbourhoods.len(),
        "old_neighbourhoods": a.neighbourhoods.iter().filter(|n| n.is_old).count(),
        "patches": a.patches.iter().map(|p| json!({
            "id": p.id,
            "members": p.members.iter().map(|&m| a.neighbourhoods[m].id.clone()).collect::<Vec<_>>(),
            "households": p.households,
            "residents": p.residents,
        })).collect::<Vec<_>>(),
        "types": types,
        "notes": a.notes,
    })))
}

async fn standards(State(s): State<Shared>, params: Params) -> Result<Response, ApiError> {
    params.allow_only(&[])?;
    let v = serde_json::to_value(&s.settings)
        .map_err(|e| ApiError::Internal(format!("serialising the standards: {e}")))?;
    Ok(json_response(v))
}

/// Most sites per type, or in total, one allocation may ask for.
pub const MAX_SITES: usize = 1000;

/// The body of `POST /api/allocation`.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct AllocationBody {
    /// Facility types (default: every analysed type).
    #[serde(default)]
    types: Vec<String>,
    /// Sites per type (maximal covering); default 3.
    k: Option<usize>,
    /// Total sites over all types (with `together`).
    total: Option<usize>,
    /// Solve the types as one problem, each stock resource used at most once.
    #[serde(default)]
    together: bool,
    /// The fewest sites reaching every household in gap (set covering); `k` is ignored.
    #[serde(default)]
    cover_all: bool,
}

async fn allocation(
    State(s): State<Shared>,
    params: Params,
    body: Result<Json<AllocationBody>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    params.allow_only(&["crs"])?;
    let crs = planner_crs(&s, &params)?;
    let Json(body) = body?;
    analysis(&s)?;
    let k = body.k.unwrap_or(AllocationRequest::default().k);
    if k > MAX_SITES || body.total.is_some_and(|t| t > MAX_SITES) {
        return Err(ApiError::InvalidBody(format!(
            "k and total may be at most {MAX_SITES}"
        )));
    }
    if body.total.is_some() && !body.together {
        return Err(ApiError::InvalidBody(
            "total limits the sites of all types solved together: give \"together\": true".into(),
        ));
    }
    let request = AllocationRequest {
        types: body.types,
        k,
        total: body.total,
        together: body.together,
        cover_all: body.cover_all,
    };
    let state = s.clone();
    let result = tokio::task::spawn_blocking(move || {
        let a = state
            .analysis
            .as_ref()
            .ok_or_else(|| ApiError::Internal("analysis vanished".into()))?;
        allocate(a, &request).map_err(|e| ApiError::InvalidBody(e.to_string()))
    })
    .await
    .map_err(|e| ApiError::Internal(format!("allocation task: {e}")))??;
    let a = analysis(&s)?;
    let convert = |g: &mut geo::Geometry<f64>| -> Result<(), String> {
        *g = s
            .crs
            .output_from_working(g, &crs, AxisOrder::EastFirst)
            .map_err(|e| e.to_string())?;
        Ok(())
    };
    let features =
        results::allocation_features(a, &result, &convert).map_err(ApiError::Internal)?;
    let ids = |ns: &[usize]| -> Vec<&str> {
        ns.iter()
            .map(|&n| a.neighbourhoods[n].id.as_str())
            .collect()
    };
    let coverage: Vec<Value> = result
        .coverage
        .iter()
        .map(|c| {
            json!({
                "facility_type": c.facility_type,
                "households": c.households,
                "covered_before": c.covered_before,
                "covered_after": c.covered_after,
                "unreachable": ids(&c.unreachable),
                "left_uncovered": ids(&c.left_uncovered),
                "proven_optimal": c.proven_optimal,
            })
        })
        .collect();
    Ok(typed_response(
        json!({
            "type": "FeatureCollection",
            "coordinate_system": crs.name(),
            "formulation": result.formulation,
            "together": result.together,
            "k": result.k,
            "households": result.households,
            "covered_before": result.covered_before,
            "covered_after": result.covered_after,
            "coverage": coverage,
            "features": features,
        }),
        "application/geo+json",
        crs.uri(),
    ))
}
