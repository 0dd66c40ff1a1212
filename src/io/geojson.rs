//! GeoJSON (RFC 7946): a FeatureCollection in WGS84 longitude/latitude.
//!
//! A legacy (2008) `crs` member naming an EPSG code is honoured, since QGIS and older GDAL still
//! write one; a config override wins over both.

use std::path::Path;

use geo::Geometry;
use serde_json::Value as Json;

use super::{LoadError, RawLayer};
use crate::crs::{wgs84, Crs};
use crate::model::{Attributes, FieldDef, FieldKind, Problem, ProblemKind, Severity, Value};

/// Read a GeoJSON file: a FeatureCollection, a single Feature, or a bare geometry.
pub fn read_geojson(path: &Path, crs_override: Option<&Crs>) -> Result<RawLayer, LoadError> {
    let text = std::fs::read_to_string(path).map_err(|e| LoadError::io(path, e))?;
    let corrupt = |record: Option<usize>, message: String| LoadError::Corrupt {
        path: path.to_path_buf(),
        record,
        message,
    };
    let root: Json =
        serde_json::from_str(&text).map_err(|e| corrupt(None, format!("not valid JSON: {e}")))?;
    let (crs, crs_how) = match crs_override {
        Some(c) => (c.clone(), "config override".to_string()),
        None => match legacy_crs(&root) {
            Some(code) => (
                Crs::from_epsg(code).map_err(|source| LoadError::Crs {
                    path: path.to_path_buf(),
                    source: Box::new(source),
                })?,
                format!("legacy GeoJSON \"crs\" member names EPSG:{code}"),
            ),
            None => (
                wgs84(),
                "GeoJSON (RFC 7946) is WGS84 longitude/latitude".into(),
            ),
        },
    };
    let features: Vec<Json> = match root.get("type").and_then(Json::as_str) {
        Some("FeatureCollection") => match root.get("features") {
            Some(Json::Array(f)) => f.clone(),
            _ => {
                return Err(corrupt(
                    None,
                    "FeatureCollection without a \"features\" array".into(),
                ))
            }
        },
        Some("Feature") => vec![root.clone()],
        Some(_) => vec![serde_json::json!({"type": "Feature", "geometry": root, "properties": {}})],
        None => return Err(corrupt(None, "no \"type\" member: not GeoJSON".into())),
    };

    // The schema is the union of property names in order of first appearance; a field's kind is
    // the narrowest that holds every value.
    let mut names: Vec<String> = Vec::new();
    let mut kinds: Vec<Option<FieldKind>> = Vec::new();
    for f in &features {
        if let Some(Json::Object(props)) = f.get("properties") {
            for (k, v) in props {
                let i = match names.iter().position(|n| n == k) {
                    Some(i) => i,
                    None => {
                        names.push(k.clone());
                        kinds.push(None);
                        names.len() - 1
                    }
                };
                kinds[i] = widen(kinds[i], v);
            }
        }
    }
    let defs: Vec<FieldDef> = names
        .iter()
        .zip(&kinds)
        .map(|(n, k)| FieldDef {
            name: n.clone(),
            kind: k.unwrap_or(FieldKind::Text),
        })
        .collect();
    let mut attributes = Attributes::new(defs);
    let mut geometries = Vec::with_capacity(features.len());
    let mut problems = Vec::new();
    for (i, f) in features.iter().enumerate() {
        let record = i + 1;
        if f.get("type").and_then(Json::as_str) != Some("Feature") {
            return Err(corrupt(Some(record), "not a Feature".into()));
        }
        let g = match f.get("geometry") {
            None | Some(Json::Null) => None,
            Some(g) => {
                let geometry = serde_json::from_value::<geojson::Geometry>(g.clone())
                    .map_err(|e| corrupt(Some(record), format!("bad geometry: {e}")))?;
                let g: Geometry<f64> = geometry.try_into().map_err(|e: geojson::Error| {
                    corrupt(Some(record), format!("bad geometry: {e}"))
                })?;
                Some(g)
            }
        };
        if g.is_none() {
            problems.push(
                Problem::new(
                    Severity::Warning,
                    ProblemKind::EmptyGeometry,
                    "feature without geometry: kept, not indexed",
                )
                .at_record(record),
            );
        }
        geometries.push(g);
        let props = f.get("properties").and_then(Json::as_object);
        let texts: Vec<Option<String>> = names
            .iter()
            .map(|n| match props.and_then(|p| p.get(n)) {
                Some(Json::Object(_)) | Some(Json::Array(_)) => {
                    props.and_then(|p| p.get(n)).map(|v| v.to_string())
                }
                _ => None,
            })
            .collect();
        let row = names
            .iter()
            .enumerate()
            .map(|(fi, n)| match props.and_then(|p| p.get(n)) {
                None | Some(Json::Null) => Value::Null,
                Some(Json::Bool(b)) => Value::Bool(*b),
                Some(Json::Number(num)) => match num.as_i64() {
                    Some(v) => Value::Integer(v),
                    None => num.as_f64().map_or(Value::Null, Value::Number),
                },
                Some(Json::String(s)) => Value::Text(s),
                Some(_) => texts[fi].as_deref().map_or(Value::Null, Value::Text),
            });
        attributes
            .push_record(row)
            .map_err(|m| corrupt(Some(record), m))?;
    }
    Ok(RawLayer {
        geometries,
        attributes,
        crs,
        crs_how,
        encoding: None,
        format: "GeoJSON".into(),
        files: vec![path.to_path_buf()],
        problems,
    })
}

fn widen(current: Option<FieldKind>, v: &Json) -> Option<FieldKind> {
    let this = match v {
        Json::Null => return current,
        Json::Bool(_) => FieldKind::Bool,
        Json::Number(n) if n.is_i64() => FieldKind::Integer,
        Json::Number(_) => FieldKind::Number,
        _ => FieldKind::Text,
    };
    Some(match (current, this) {
        (None, t) => t,
        (Some(a), b) if a == b => a,
        (Some(FieldKind::Integer), FieldKind::Number)
        | (Some(FieldKind::Number), FieldKind::Integer) => FieldKind::Number,
        _ => FieldKind::Text,
    })
}

/// The EPSG code of a 2008-style `"crs": {"type": "name", "properties": {"name": "EPSG:4549"}}`.
fn legacy_crs(root: &Json) -> Option<u32> {
    let name = root.get("crs")?.get("properties")?.get("name")?.as_str()?;
    if name.contains("CRS84") {
        return Some(4326);
    }
    let digits: String = name
        .rsplit(|c: char| !c.is_ascii_digit())
        .find(|s| !s.is_empty())?
        .to_string();
    digits.parse().ok()
}
