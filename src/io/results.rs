//! Analysis results as GeoJSON features: stock resources with their reasons, candidates with
//! their explanations, neighbourhood gaps, renovation patches, allocated sites. Coordinates are converted by the
//! caller's function (WGS84 for files; the HTTP service also offers GCJ-02, BD-09 and EPSG codes).
//! Outer rings are counter-clockwise, as RFC 7946 asks.

use geo::orient::{Direction, Orient};
use geo::{Geometry, MultiPolygon};
use serde_json::{json, Map, Value};

use crate::analysis::{AllocationResult, Analysis, Candidate, StockResource};
use crate::model::Layer;

/// Converts a geometry from the working CRS in place; an error message names what failed.
pub type Convert<'a> = &'a dyn Fn(&mut Geometry<f64>) -> Result<(), String>;

/// A GeoJSON geometry in the output CRS, polygons oriented per RFC 7946.
pub fn geometry_value(g: &Geometry<f64>, convert: Convert) -> Result<Value, String> {
    let mut g = g.clone();
    convert(&mut g)?;
    let g = match g {
        Geometry::Polygon(p) => Geometry::Polygon(p.orient(Direction::Default)),
        Geometry::MultiPolygon(mp) => Geometry::MultiPolygon(mp.orient(Direction::Default)),
        other => other,
    };
    serde_json::to_value(geojson::Geometry::new(geojson::GeometryValue::from(&g)))
        .map_err(|e| e.to_string())
}

fn feature(id: &str, geometry: Value, properties: Map<String, Value>) -> Value {
    json!({"type": "Feature", "id": id, "geometry": geometry, "properties": properties})
}

fn object(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// A neighbourhood's id and name as a small object.
fn neighbourhood_ref(a: &Analysis, n: usize) -> Value {
    let nb = &a.neighbourhoods[n];
    json!({"id": nb.id, "name": nb.name})
}

/// Properties of a stock resource.
pub fn stock_properties(a: &Analysis, r: &StockResource) -> Map<String, Value> {
    let mut p = object(serde_json::to_value(r).unwrap_or_default());
    p.insert("kind".into(), json!(r.kind().key()));
    p.insert("kind_zh".into(), json!(r.kind().label_zh()));
    p.insert(
        "kinds".into(),
        json!(r.kinds.iter().map(|k| k.key()).collect::<Vec<_>>()),
    );
    p.insert(
        "near".into(),
        Value::Array(
            r.near
                .iter()
                .map(|n| {
                    let mut o = object(neighbourhood_ref(a, n.neighbourhood));
                    o.insert("distance_m".into(), json!(round2(n.distance_m)));
                    o.insert("minutes".into(), json!(round2(n.minutes)));
                    Value::Object(o)
                })
                .collect(),
        ),
    );
    p
}

/// Properties of a candidate of `type_id`.
pub fn candidate_properties(a: &Analysis, type_id: &str, c: &Candidate) -> Map<String, Value> {
    let r = &a.stock[c.stock];
    let mut p = Map::new();
    p.insert("facility_type".into(), json!(type_id));
    if let Some(f) = a.config.facilities.get(type_id) {
        p.insert("facility_name".into(), json!(f.name));
    }
    p.insert("rank".into(), json!(c.rank));
    p.insert("score".into(), json!(round4(c.score)));
    p.insert("stock_id".into(), json!(r.id));
    p.insert("stock_kind".into(), json!(r.kind().key()));
    p.insert("stock_kind_zh".into(), json!(r.kind().label_zh()));
    p.insert("name".into(), json!(r.name));
    p.insert("usable_area_m2".into(), json!(round2(c.usable_area_m2)));
    p.insert("area_basis".into(), json!(c.area_basis));
    p.insert("checks".into(), json!(c.checks));
    p.insert(
        "factors".into(),
        serde_json::to_value(&c.factors).unwrap_or_default(),
    );
    p.insert(
        "serves".into(),
        Value::Array(
            c.serves
                .iter()
                .map(|s| {
                    let mut o = object(neighbourhood_ref(a, s.neighbourhood));
                    o.insert("distance_m".into(), json!(round2(s.distance_m)));
                    o.insert("minutes".into(), json!(round2(s.minutes)));
                    o.insert("gap".into(), json!(round2(s.gap)));
                    o.insert("gap_households".into(), json!(round2(s.gap_households)));
                    Value::Object(o)
                })
                .collect(),
        ),
    );
    p.insert(
        "reasons".into(),
        serde_json::to_value(&r.reasons).unwrap_or_default(),
    );
    p
}

/// Properties of a neighbourhood with its gap per analysed type: flat `<type>_gap` values for
/// map styling and a nested `gaps` table with the suppliers.
pub fn neighbourhood_properties(a: &Analysis, n: usize) -> Map<String, Value> {
    let nb = &a.neighbourhoods[n];
    let mut p = object(serde_json::to_value(nb).unwrap_or_default());
    p.remove("index");
    p.insert(
        "patch".into(),
        json!(nb.patch.map(|k| a.patches[k].id.clone())),
    );
    let mut table = Map::new();
    for g in &a.gaps {
        let x = &g.gaps[n];
        let t = &g.facility_type;
        p.insert(format!("{t}_demand"), json!(round2(x.demand)));
        p.insert(format!("{t}_supply"), json!(round2(x.supply)));
        p.insert(format!("{t}_gap"), json!(round2(x.gap)));
        let mut o = object(serde_json::to_value(x).unwrap_or_default());
        o.remove("neighbourhood");
        o.insert("unit".into(), json!(g.unit));
        table.insert(t.clone(), Value::Object(o));
    }
    p.insert("gaps".into(), Value::Object(table));
    p
}

/// Stock resources as features.
pub fn stock_features(a: &Analysis, convert: Convert) -> Result<Vec<Value>, String> {
    a.stock
        .iter()
        .map(|r| {
            Ok(feature(
                &r.id,
                geometry_value(&r.geometry, convert)?,
                stock_properties(a, r),
            ))
        })
        .collect()
}

/// One type's candidates as features (in rank order).
pub fn candidate_features(
    a: &Analysis,
    type_id: &str,
    convert: Convert,
) -> Result<Vec<Value>, String> {
    let Some(tc) = a.candidates_of(type_id) else {
        return Ok(Vec::new());
    };
    tc.candidates
        .iter()
        .map(|c| {
            let r = &a.stock[c.stock];
            Ok(feature(
                &format!("{type_id}/{}", r.id),
                geometry_value(&r.geometry, convert)?,
                candidate_properties(a, type_id, c),
            ))
        })
        .collect()
}

/// Every neighbourhood with its gaps, as features.
pub fn gap_features(a: &Analysis, layer: &Layer, convert: Convert) -> Result<Vec<Value>, String> {
    a.neighbourhoods
        .iter()
        .enumerate()
        .map(|(n, nb)| {
            Ok(feature(
                &nb.id,
                geometry_value(layer.geometry(nb.index), convert)?,
                neighbourhood_properties(a, n),
            ))
        })
        .collect()
}

/// Renovation patches as features: the members' outlines as one MultiPolygon.
pub fn patch_features(a: &Analysis, layer: &Layer, convert: Convert) -> Result<Vec<Value>, String> {
    a.patches
        .iter()
        .enumerate()
        .map(|(k, patch)| {
            let mut polys = Vec::new();
            for &m in &patch.members {
                match layer.geometry(a.neighbourhoods[m].index) {
                    Geometry::Polygon(p) => polys.push(p.clone()),
                    Geometry::MultiPolygon(mp) => polys.extend(mp.0.iter().cloned()),
                    _ => {}
                }
            }
            let mut p = Map::new();
            p.insert("id".into(), json!(patch.id));
            p.insert(
                "members".into(),
                Value::Array(
                    patch
                        .members
                        .iter()
                        .map(|&m| neighbourhood_ref(a, m))
                        .collect(),
                ),
            );
            p.insert(
                "links".into(),
                Value::Array(
                    patch
                        .links
                        .iter()
                        .map(|(x, y, why)| {
                            json!({"a": a.neighbourhoods[*x].id, "b": a.neighbourhoods[*y].id, "why": why})
                        })
                        .collect(),
                ),
            );
            p.insert("households".into(), json!(round2(patch.households)));
            p.insert("residents".into(), json!(round2(patch.residents)));
            let mut totals = Map::new();
            for g in &a.gaps {
                let mut o = object(serde_json::to_value(&g.patch_totals[k]).unwrap_or_default());
                o.insert("unit".into(), json!(g.unit));
                totals.insert(g.facility_type.clone(), Value::Object(o));
            }
            p.insert("gaps".into(), Value::Object(totals));
            Ok(feature(
                &patch.id,
                geometry_value(&Geometry::MultiPolygon(MultiPolygon(polys)), convert)?,
                p,
            ))
        })
        .collect()
}

/// The chosen sites of an allocation as features, in order.
pub fn allocation_features(
    a: &Analysis,
    alloc: &AllocationResult,
    convert: Convert,
) -> Result<Vec<Value>, String> {
    alloc
        .chosen
        .iter()
        .map(|c| {
            let r = &a.stock[c.stock];
            let mut p = Map::new();
            p.insert("facility_type".into(), json!(c.facility_type));
            if let Some(f) = a.config.facilities.get(&c.facility_type) {
                p.insert("facility_name".into(), json!(f.name));
            }
            p.insert("order".into(), json!(c.order));
            p.insert("stock_id".into(), json!(r.id));
            p.insert("stock_kind".into(), json!(r.kind().key()));
            p.insert("name".into(), json!(r.name));
            p.insert("candidate_rank".into(), json!(c.candidate_rank));
            p.insert("gain_households".into(), json!(round2(c.gain_households)));
            p.insert(
                "newly_served".into(),
                Value::Array(
                    c.newly_served
                        .iter()
                        .map(|&n| neighbourhood_ref(a, n))
                        .collect(),
                ),
            );
            Ok(feature(
                &format!("{}/{}", c.facility_type, r.id),
                geometry_value(&r.geometry, convert)?,
                p,
            ))
        })
        .collect()
}

/// A FeatureCollection.
pub fn collection(features: Vec<Value>) -> Value {
    json!({"type": "FeatureCollection", "features": features})
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn round4(x: f64) -> f64 {
    (x * 10000.0).round() / 10000.0
}
