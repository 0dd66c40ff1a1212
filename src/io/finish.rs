//! From a [`RawLayer`] to a workspace [`Layer`]: coordinate checks, reprojection, validity,
//! field bindings and value maps, index.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use geo::{BoundingRect, CoordsIter, Geometry, Rect, Validation};

use super::{LoadError, RawLayer};
use crate::crs::{wgs84, Crs, Transformer};
use crate::index::SpatialIndex;
use crate::model::fields::{default_values, role_fields, Mapped, Need, ValueType};
use crate::model::layer::LayerSource;
use crate::model::{FieldBinding, Layer, Problem, ProblemKind, Role, Semantic, Severity, Value};

/// Problems of one kind listed one by one before the rest are summarised.
const MAX_LISTED: usize = 50;

/// What the config says about one layer.
#[derive(Clone, Debug)]
pub struct LayerSpec {
    /// The layer's role.
    pub role: Role,
    /// The data file.
    pub path: PathBuf,
    /// CRS override.
    pub crs: Option<Crs>,
    /// Encoding override (label).
    pub encoding: Option<String>,
    /// Layer name inside a multi-layer source (GeoPackage, FileGDB …).
    pub layer: Option<String>,
    /// Field bindings from the config: semantic → source field name.
    pub fields: BTreeMap<Semantic, String>,
    /// Value maps from the config: semantic → raw value → meaning.
    pub values: BTreeMap<Semantic, HashMap<String, Mapped>>,
    /// The config file, for messages; `None` when the layer was found in a folder.
    pub config_path: Option<PathBuf>,
}

impl LayerSpec {
    /// A spec with no overrides.
    pub fn new(role: Role, path: impl Into<PathBuf>) -> LayerSpec {
        LayerSpec {
            role,
            path: path.into(),
            crs: None,
            encoding: None,
            layer: None,
            fields: BTreeMap::new(),
            values: BTreeMap::new(),
            config_path: None,
        }
    }

    fn config_key(&self, semantic: Semantic, table: &str) -> String {
        let file = self
            .config_path
            .as_deref()
            .map(|p| format!(" in {}", p.display()))
            .unwrap_or_default();
        format!(
            "layers.{}.{table}.{}{file}",
            self.role.name(),
            semantic.key()
        )
    }
}

/// Check, reproject to `working`, validate, bind fields and index a raw layer.
pub fn finish_layer(raw: RawLayer, spec: &LayerSpec, working: &Crs) -> Result<Layer, LoadError> {
    let path = spec.path.clone();
    if raw.geometries.is_empty() {
        return Err(LoadError::Empty { path });
    }
    let mut errors = check_coordinates(&raw);
    if !errors.is_empty() {
        errors.truncate(1000);
        return Err(LoadError::Invalid {
            path,
            problems: errors,
        });
    }

    let RawLayer {
        geometries,
        attributes,
        crs,
        crs_how,
        encoding,
        format,
        files,
        mut problems,
    } = raw;
    let transformer = Transformer::new(&crs, working).map_err(|source| LoadError::Crs {
        path: path.clone(),
        source: Box::new(source),
    })?;
    let mut out = Vec::with_capacity(geometries.len());
    for (i, g) in geometries.into_iter().enumerate() {
        let mut g = g.unwrap_or_else(|| Geometry::GeometryCollection(Default::default()));
        if !transformer.is_identity() {
            transformer
                .transform_geometry(&mut g)
                .map_err(|e| LoadError::Invalid {
                    path: path.clone(),
                    problems: vec![Problem::new(
                        Severity::Error,
                        ProblemKind::OutOfRange,
                        format!("cannot reproject to EPSG:{}: {e}", working.epsg()),
                    )
                    .at_record(i + 1)],
                })?;
        }
        out.push(g);
    }

    let mut bindings = Vec::new();
    let mut binding_errors = Vec::new();
    bind_fields(
        spec,
        &attributes,
        &mut bindings,
        &mut problems,
        &mut binding_errors,
    );
    if !binding_errors.is_empty() {
        return Err(LoadError::Invalid {
            path,
            problems: binding_errors,
        });
    }
    // Validity, the index and the value checks are independent; on a million footprints each
    // takes a good part of a second, so they share the cores.
    let ((invalid, mut geometry_problems), index, mut value_problems) = std::thread::scope(|s| {
        let validation = s.spawn(|| validate(spec.role, &out));
        let values = s.spawn(|| check_values(&attributes, &bindings));
        let index = SpatialIndex::build(&out);
        (
            validation
                .join()
                .unwrap_or_else(|_| (Vec::new(), Vec::new())),
            index,
            values.join().unwrap_or_default(),
        )
    });
    problems.append(&mut geometry_problems);
    problems.append(&mut value_problems);

    let (encoding, encoding_how) = match encoding {
        Some((e, how)) => (Some(e), Some(how)),
        None => (None, None),
    };
    let source = LayerSource {
        path: spec.path.clone(),
        files,
        format,
        encoding,
        encoding_how,
        crs_epsg: crs.epsg(),
        crs_how,
    };
    Ok(Layer::with_index(
        spec.role, source, out, attributes, bindings, problems, invalid, index,
    ))
}

/// Non-finite and out-of-range coordinates, in the source CRS. These make a layer unusable.
fn check_coordinates(raw: &RawLayer) -> Vec<Problem> {
    let mut errors = Vec::new();
    for (i, g) in raw.geometries.iter().enumerate() {
        let Some(g) = g else { continue };
        if g.coords_iter()
            .any(|c| !c.x.is_finite() || !c.y.is_finite())
        {
            errors.push(
                Problem::new(
                    Severity::Error,
                    ProblemKind::NonFiniteCoordinate,
                    "a coordinate is NaN or infinite",
                )
                .at_record(i + 1),
            );
        }
    }
    if !errors.is_empty() {
        return errors;
    }
    if raw.crs.is_geographic() {
        for (i, g) in raw.geometries.iter().enumerate() {
            let Some(r) = g.as_ref().and_then(|g| g.bounding_rect()) else {
                continue;
            };
            let lon_ok = r.min().x >= -180.0 && r.max().x <= 180.0;
            let lat_ok = r.min().y >= -90.0 && r.max().y <= 90.0;
            if !(lon_ok && lat_ok) {
                let swapped = r.min().x >= -90.0
                    && r.max().x <= 90.0
                    && r.min().y >= -180.0
                    && r.max().y <= 180.0;
                let msg = if swapped {
                    format!(
                        "coordinates out of range for EPSG:{} (latitude {:.6}..{:.6}); latitude and longitude look swapped: GeoJSON and WGS84 data must be [longitude, latitude]",
                        raw.crs.epsg(),
                        r.min().y,
                        r.max().y
                    )
                } else {
                    format!(
                        "coordinates out of range for EPSG:{} (x {:.3}..{:.3}, y {:.3}..{:.3}); is the data projected? then its CRS is not geographic",
                        raw.crs.epsg(),
                        r.min().x,
                        r.max().x,
                        r.min().y,
                        r.max().y
                    )
                };
                errors.push(
                    Problem::new(Severity::Error, ProblemKind::OutOfRange, msg).at_record(i + 1),
                );
            }
        }
        return errors;
    }
    if let Some((window, what)) = projected_window(&raw.crs) {
        for (i, g) in raw.geometries.iter().enumerate() {
            let Some(r) = g.as_ref().and_then(|g| g.bounding_rect()) else {
                continue;
            };
            let inside = r.min().x >= window.min().x
                && r.max().x <= window.max().x
                && r.min().y >= window.min().y
                && r.max().y <= window.max().y;
            if !inside {
                errors.push(
                    Problem::new(
                        Severity::Error,
                        ProblemKind::OutOfRange,
                        format!(
                            "coordinates x {:.1}..{:.1}, y {:.1}..{:.1} are outside {what}{}",
                            r.min().x,
                            r.max().x,
                            r.min().y,
                            r.max().y,
                            zone_hint(&raw.crs, r)
                        ),
                    )
                    .at_record(i + 1),
                );
            }
        }
    }
    errors
}

/// The plausible coordinate window of a Gauss–Krüger or UTM zone: 3.5° either side of the
/// central meridian (GK zones are 3° wide, UTM 6°), between 80°S and 84°N.
fn projected_window(crs: &Crs) -> Option<(Rect<f64>, String)> {
    let e = crs.epsg();
    let (cm, half) = match e {
        4513..=4533 => (3.0 * (25 + e - 4513) as f64, 3.5),
        4534..=4554 => (75.0 + 3.0 * (e - 4534) as f64, 3.5),
        32601..=32660 => (-183.0 + 6.0 * (e - 32600) as f64, 5.0),
        32701..=32760 => (-183.0 + 6.0 * (e - 32700) as f64, 5.0),
        _ => return None,
    };
    let to = Transformer::new(&wgs84(), crs).ok()?;
    let mut xs = Vec::new();
    let mut ys = Vec::new();
    for lat in [-80.0, -40.0, 0.0, 40.0, 84.0] {
        for lon in [cm - half, cm, cm + half] {
            let (x, y) = to.transform(lon, lat).ok()?;
            xs.push(x);
            ys.push(y);
        }
    }
    let min = |v: &[f64]| v.iter().copied().fold(f64::INFINITY, f64::min);
    let max = |v: &[f64]| v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    Some((
        Rect::new(
            geo::Coord {
                x: min(&xs),
                y: min(&ys),
            },
            geo::Coord {
                x: max(&xs),
                y: max(&ys),
            },
        ),
        format!(
            "the range of EPSG:{} ({}, central meridian {cm}°E)",
            e,
            crs.name()
        ),
    ))
}

/// A hint when a GK layer's x values carry (or lack) a zone prefix its CRS does not.
fn zone_hint(crs: &Crs, r: Rect<f64>) -> String {
    let e = crs.epsg();
    let x = (r.min().x + r.max().x) / 2.0;
    let zone = (x / 1_000_000.0).floor() as u32;
    if (4534..=4554).contains(&e) && (25..=45).contains(&zone) {
        return format!(
            "; x values near {zone},500,000 carry a zone prefix: the data looks like EPSG:{} (CGCS2000 GK zone {zone}), not EPSG:{e}; set `crs = \"EPSG:{}\"` for this layer",
            4513 + zone - 25,
            4513 + zone - 25
        );
    }
    if (4513..=4533).contains(&e) && (0.0..1_000_000.0).contains(&x) {
        let cm = 3 * (25 + e - 4513);
        return format!(
            "; x values near 500,000 carry no zone prefix: the data looks like EPSG:{} (CGCS2000 GK CM {cm}E), not EPSG:{e}",
            4534 + (cm - 75) / 3
        );
    }
    String::new()
}

/// OGC validity of polygons and geometry types expected by the role.
fn validate(role: Role, geometries: &[Geometry<f64>]) -> (Vec<usize>, Vec<Problem>) {
    let mut invalid = Vec::new();
    let mut problems = Vec::new();
    let mut wrong_type = Vec::new();
    for (i, g) in geometries.iter().enumerate() {
        let expected = match (role, g) {
            (_, Geometry::GeometryCollection(c)) if c.0.is_empty() => true,
            (Role::Roads, Geometry::LineString(_) | Geometry::MultiLineString(_)) => true,
            (Role::Roads, _) => false,
            (
                Role::Facilities,
                Geometry::Point(_)
                | Geometry::MultiPoint(_)
                | Geometry::Polygon(_)
                | Geometry::MultiPolygon(_),
            ) => true,
            (Role::Facilities, _) => false,
            (Role::Gates, Geometry::Point(_) | Geometry::MultiPoint(_)) => true,
            (Role::Gates, _) => false,
            (Role::Idle, Geometry::Point(_) | Geometry::MultiPoint(_)) => true,
            (_, Geometry::Polygon(_) | Geometry::MultiPolygon(_)) => true,
            _ => false,
        };
        if !expected {
            wrong_type.push(i);
        }
        if matches!(g, Geometry::Polygon(_) | Geometry::MultiPolygon(_)) {
            let mut reasons = Vec::new();
            let _ = g.visit_validation(Box::new(|e| {
                reasons.push(e.to_string());
                Ok::<(), ()>(())
            }));
            if !reasons.is_empty() {
                invalid.push(i);
                if invalid.len() <= MAX_LISTED {
                    problems.push(
                        Problem::new(
                            Severity::Warning,
                            ProblemKind::InvalidGeometry,
                            format!(
                                "invalid polygon ({}); kept and flagged, areas and overlays on it are unreliable",
                                reasons.join("; ")
                            ),
                        )
                        .at_record(i + 1),
                    );
                }
            }
        }
    }
    if invalid.len() > MAX_LISTED {
        problems.push(Problem::new(
            Severity::Warning,
            ProblemKind::InvalidGeometry,
            format!(
                "{} more invalid polygon(s) not listed ({} in all)",
                invalid.len() - MAX_LISTED,
                invalid.len()
            ),
        ));
    }
    if let Some(&first) = wrong_type.first() {
        problems.push(
            Problem::new(
                Severity::Warning,
                ProblemKind::UnexpectedGeometryType,
                format!(
                    "{} feature(s) have a geometry type {} layers do not use (first: {}); they are kept but ignored by analyses that need {}",
                    wrong_type.len(),
                    role,
                    geometry_kind(&geometries[first]),
                    match role {
                        Role::Roads => "lines",
                        Role::Facilities => "points or areas",
                        Role::Idle => "areas or points",
                        Role::Gates => "points",
                        _ => "areas",
                    }
                ),
            )
            .at_record(first + 1),
        );
    }
    (invalid, problems)
}

fn geometry_kind(g: &Geometry<f64>) -> &'static str {
    match g {
        Geometry::Point(_) => "Point",
        Geometry::Line(_) => "Line",
        Geometry::LineString(_) => "LineString",
        Geometry::Polygon(_) => "Polygon",
        Geometry::MultiPoint(_) => "MultiPoint",
        Geometry::MultiLineString(_) => "MultiLineString",
        Geometry::MultiPolygon(_) => "MultiPolygon",
        Geometry::GeometryCollection(_) => "GeometryCollection",
        Geometry::Rect(_) => "Rect",
        Geometry::Triangle(_) => "Triangle",
    }
}

fn bind_fields(
    spec: &LayerSpec,
    attributes: &crate::model::Attributes,
    bindings: &mut Vec<FieldBinding>,
    problems: &mut Vec<Problem>,
    errors: &mut Vec<Problem>,
) {
    let names: Vec<&str> = attributes
        .fields()
        .iter()
        .map(|f| f.name.as_str())
        .collect();
    // Config bindings first: they may name semantics the role does not list.
    for (semantic, field) in &spec.fields {
        match attributes.field_index(field) {
            Some(fi) => bindings.push(binding(spec, *semantic, fi, &names, "config")),
            None => errors.push(
                Problem::new(
                    Severity::Error,
                    ProblemKind::MissingField,
                    format!(
                        "{} = {field:?}: the layer has no such field (fields: {})",
                        spec.config_key(*semantic, "fields"),
                        names.join(", ")
                    ),
                )
                .in_field(field.clone()),
            ),
        }
    }
    for (semantic, need) in role_fields(spec.role) {
        if spec.fields.contains_key(semantic) {
            continue;
        }
        let found = semantic
            .default_names()
            .iter()
            .find_map(|n| attributes.field_index(n))
            // A field already bound to another semantic (MC as name) is not reused.
            .filter(|fi| !bindings.iter().any(|b| b.field == *fi));
        match found {
            Some(fi) => bindings.push(binding(spec, *semantic, fi, &names, "default name")),
            None if *need == Need::Expected => problems.push(Problem::new(
                Severity::Warning,
                ProblemKind::MissingField,
                format!(
                    "no field for {} (looked for {}); analyses that need it will skip it; set `{} = \"FIELD\"` under [layers.{}.fields] in infill.toml",
                    semantic.key(),
                    semantic.default_names().join(", "),
                    semantic.key(),
                    spec.role.name()
                ),
            )),
            None => {}
        }
    }
    let unmapped: Vec<&str> = names
        .iter()
        .enumerate()
        .filter(|(fi, _)| !bindings.iter().any(|b| b.field == *fi))
        .map(|(_, n)| *n)
        .collect();
    if !unmapped.is_empty() {
        problems.push(Problem::new(
            Severity::Info,
            ProblemKind::UnmappedField,
            format!(
                "field(s) kept as attributes only, read by no analysis: {}",
                unmapped.join(", ")
            ),
        ));
    }
    bindings.sort_by_key(|b| b.semantic);
}

fn binding(
    spec: &LayerSpec,
    semantic: Semantic,
    field: usize,
    names: &[&str],
    source: &'static str,
) -> FieldBinding {
    let mut values = HashMap::new();
    if matches!(semantic.value_type(), ValueType::Flag | ValueType::Category) {
        values = default_values(semantic);
        if let Some(config) = spec.values.get(&semantic) {
            values.extend(config.iter().map(|(k, v)| (k.clone(), *v)));
        }
    }
    FieldBinding {
        semantic,
        field,
        field_name: names[field].to_string(),
        source,
        values,
    }
}

/// Values a value map does not know, and numbers that are not numbers.
fn check_values(attributes: &crate::model::Attributes, bindings: &[FieldBinding]) -> Vec<Problem> {
    let mut problems = Vec::new();
    for b in bindings {
        match b.semantic.value_type() {
            ValueType::Flag | ValueType::Category => {
                let mut misses: BTreeMap<String, (usize, usize)> = BTreeMap::new();
                for r in 0..attributes.len() {
                    let raw = match attributes.get(r, b.field) {
                        Value::Null | Value::Bool(_) => continue,
                        Value::Text(s) if s.trim().is_empty() || b.map(s).is_some() => continue,
                        Value::Text(s) => s.to_string(),
                        other => other.to_string(),
                    };
                    if b.map(&raw).is_some() {
                        continue;
                    }
                    misses.entry(raw).or_insert((0, r)).0 += 1;
                }
                if misses.is_empty() {
                    continue;
                }
                let total: usize = misses.values().map(|m| m.0).sum();
                let first = misses.values().map(|m| m.1).min().unwrap_or(0);
                let listed: Vec<String> = misses
                    .iter()
                    .take(20)
                    .map(|(v, (n, _))| format!("{v:?} ×{n}"))
                    .collect();
                problems.push(
                    Problem::new(
                        Severity::Warning,
                        ProblemKind::UnmappedValue,
                        format!(
                            "{total} value(s) of {} not in its value map: {}{}; map them under [layers.<role>.values.{}] (accepted: {})",
                            b.semantic.key(),
                            listed.join(", "),
                            if misses.len() > 20 { ", …" } else { "" },
                            b.semantic.key(),
                            Mapped::accepted(b.semantic).join(", ")
                        ),
                    )
                    .at_record(first + 1)
                    .in_field(b.field_name.clone()),
                );
            }
            ValueType::Number => {
                let mut count = 0;
                let mut first = None;
                for r in 0..attributes.len() {
                    let v = attributes.get(r, b.field);
                    if !v.is_blank() && v.as_f64().is_none() {
                        count += 1;
                        first.get_or_insert((r, v.to_string()));
                    }
                }
                if let Some((r, sample)) = first {
                    problems.push(
                        Problem::new(
                            Severity::Warning,
                            ProblemKind::NotANumber,
                            format!(
                                "{count} value(s) of {} are not numbers (first {sample:?}); read as missing",
                                b.semantic.key()
                            ),
                        )
                        .at_record(r + 1)
                        .in_field(b.field_name.clone()),
                    );
                }
            }
            ValueType::Text => {}
        }
    }
    problems
}
