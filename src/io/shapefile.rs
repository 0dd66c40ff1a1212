//! ESRI shapefiles: geometry from `.shp`/`.shx` (the `shapefile` crate), attributes from `.dbf`
//! ([`super::dbf`]), CRS from `.prj`, text encoding from `.cpg` or the DBF language byte.
//!
//! Polygon rings are assigned to outer boundaries and holes by containment, not by winding:
//! bureau files come from many tools and both windings occur.

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use geo::coordinate_position::{CoordPos, CoordinatePosition};
use geo::{
    Area, BoundingRect, Coord, Geometry, LineString, MultiLineString, MultiPoint, MultiPolygon,
    Point, Polygon,
};
use shapefile::record::traits::HasXY;
use shapefile::{Shape, ShapeReader};

use super::dbf::{self, sibling, DbfHeader};
use super::encoding::{self, Decision, EncodingChoice};
use super::{LoadError, RawLayer};
use crate::crs::{detect_prj, Crs};
use crate::model::{Problem, ProblemKind, Severity};

/// Overrides from the config for one shapefile.
#[derive(Clone, Debug, Default)]
pub struct ShapefileOptions {
    /// The CRS to use instead of the `.prj`.
    pub crs: Option<Crs>,
    /// The text encoding to use instead of `.cpg` / language byte, as a label (`GBK`, `936` …).
    pub encoding: Option<String>,
    /// The config file the overrides come from, for error messages.
    pub config_path: Option<PathBuf>,
}

/// Read a shapefile.
pub fn read_shapefile(shp: &Path, options: &ShapefileOptions) -> Result<RawLayer, LoadError> {
    if !shp.exists() {
        return Err(LoadError::MissingPart {
            path: shp.to_path_buf(),
            why: "the shapefile's geometry file does not exist".into(),
        });
    }
    let shx = sibling(shp, "shx").ok_or_else(|| LoadError::MissingPart {
        path: shp.with_extension("shx"),
        why: "the .shx index is required to read the .shp safely; copy it along with the .shp, or rebuild it (e.g. `ogrinfo --config SHAPE_RESTORE_SHX YES file.shp`)".into(),
    })?;
    let dbf_path = sibling(shp, "dbf").ok_or_else(|| LoadError::MissingPart {
        path: shp.with_extension("dbf"),
        why: "the .dbf holds the attributes; copy it along with the .shp".into(),
    })?;
    let mut files = vec![shp.to_path_buf(), shx.clone(), dbf_path.clone()];

    let (crs, crs_how) = match &options.crs {
        Some(crs) => (
            crs.clone(),
            format!(
                "config override ({})",
                options
                    .config_path
                    .as_deref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_else(|| "config".into())
            ),
        ),
        None => {
            let prj = sibling(shp, "prj").ok_or_else(|| LoadError::NoCrs {
                path: shp.to_path_buf(),
                prj: shp.with_extension("prj"),
            })?;
            let wkt = std::fs::read_to_string(&prj).map_err(|e| LoadError::io(&prj, e))?;
            let m = detect_prj(&wkt).map_err(|source| LoadError::Crs {
                path: prj.clone(),
                source: Box::new(source),
            })?;
            files.push(prj);
            (m.crs, m.how)
        }
    };

    let header = dbf::read_header(&dbf_path)?;
    let declared = declared_encoding(shp, &header, options, &mut files)?;

    // Geometry and attributes are independent: read them on two threads.
    let (shapes, table) = std::thread::scope(|s| {
        let shapes = s.spawn(|| read_shapes(shp, &shx));
        let table = read_attributes(&dbf_path, &header, declared);
        let shapes = shapes.join().unwrap_or_else(|_| {
            Err(LoadError::Corrupt {
                path: shp.to_path_buf(),
                record: None,
                message: "the geometry reader failed unexpectedly".into(),
            })
        });
        (shapes, table)
    });
    let (mut geometries, mut problems) = shapes?;
    let (table, choice) = table?;

    let dbf_records = table.attributes.len() + table.deleted.len();
    if dbf_records != geometries.len() {
        return Err(LoadError::RecordCountMismatch {
            shp: shp.to_path_buf(),
            dbf: dbf_path,
            shp_records: geometries.len(),
            dbf_records,
        });
    }
    if !table.deleted.is_empty() {
        let mut keep = vec![true; geometries.len()];
        for &d in &table.deleted {
            keep[d] = false;
        }
        let mut k = keep.iter();
        geometries.retain(|_| *k.next().unwrap_or(&true));
        problems.push(
            Problem::new(
                Severity::Info,
                ProblemKind::Unreadable,
                format!(
                    "{} record(s) are marked deleted in the .dbf and were skipped with their shapes (as GDAL does)",
                    table.deleted.len()
                ),
            )
            .at_record(table.deleted[0] + 1),
        );
    }
    problems.extend(table.problems);
    Ok(RawLayer {
        geometries,
        attributes: table.attributes,
        crs,
        crs_how,
        encoding: Some((choice.label, choice.how)),
        format: "ESRI Shapefile".into(),
        files,
        problems,
    })
}

/// The encoding declared by config, `.cpg` or language byte; `None` when nothing declares one.
fn declared_encoding(
    shp: &Path,
    header: &DbfHeader,
    options: &ShapefileOptions,
    files: &mut Vec<PathBuf>,
) -> Result<Option<EncodingChoice>, LoadError> {
    if let Some(label) = &options.encoding {
        let config = options
            .config_path
            .clone()
            .unwrap_or_else(|| PathBuf::from("config"));
        let e = encoding::from_label(label).ok_or_else(|| LoadError::UnknownEncoding {
            path: config.clone(),
            label: label.clone(),
        })?;
        return Ok(Some(EncodingChoice {
            encoding: e,
            label: e.name().to_string(),
            decision: Decision::Override,
            how: format!("config override {label:?} ({})", config.display()),
        }));
    }
    if let Some(cpg) = sibling(shp, "cpg") {
        let bytes = std::fs::read(&cpg).map_err(|e| LoadError::io(&cpg, e))?;
        let label = String::from_utf8_lossy(&bytes).trim().to_string();
        if !label.is_empty() {
            let e = encoding::from_label(&label).ok_or_else(|| LoadError::UnknownEncoding {
                path: cpg.clone(),
                label: label.clone(),
            })?;
            files.push(cpg);
            return Ok(Some(EncodingChoice {
                encoding: e,
                label: e.name().to_string(),
                decision: Decision::Cpg,
                how: format!(".cpg says {label:?}"),
            }));
        }
    }
    if let Some(e) = encoding::from_language_byte(header.language_byte) {
        return Ok(Some(EncodingChoice {
            encoding: e,
            label: e.name().to_string(),
            decision: Decision::LanguageByte(header.language_byte),
            how: format!(
                "no .cpg; DBF language byte 0x{:02X} means {}",
                header.language_byte,
                e.name()
            ),
        }));
    }
    Ok(None)
}

/// Decode the table in the declared encoding, or try UTF-8 and then GB18030 when none is declared.
fn read_attributes(
    dbf_path: &Path,
    header: &DbfHeader,
    declared: Option<EncodingChoice>,
) -> Result<(dbf::DbfTable, EncodingChoice), LoadError> {
    if let Some(choice) = declared {
        return match dbf::read_table(dbf_path, header, choice.encoding)? {
            Ok(t) => Ok((t, choice)),
            Err(m) => Err(LoadError::Decode {
                path: dbf_path.to_path_buf(),
                record: m.record,
                field: m.field,
                detail: format!(
                    "text is not valid {} ({}); bytes {}",
                    choice.label, choice.how, m.bytes
                ),
            }),
        };
    }
    let lang = format!(
        "no .cpg and DBF language byte 0x{:02X}",
        header.language_byte
    );
    match dbf::read_table(dbf_path, header, encoding_rs::UTF_8)? {
        Ok(t) => Ok((
            t,
            EncodingChoice {
                encoding: encoding_rs::UTF_8,
                label: "UTF-8".into(),
                decision: Decision::ValidUtf8,
                how: format!("{lang}; every text value is valid UTF-8"),
            },
        )),
        Err(first) => match dbf::read_table(dbf_path, header, encoding_rs::GB18030)? {
            Ok(t) => Ok((
                t,
                EncodingChoice {
                    encoding: encoding_rs::GB18030,
                    label: "gb18030".into(),
                    decision: Decision::Gb18030Fallback,
                    how: format!(
                        "{lang}; text is not UTF-8 (record {}, field {}), read as GB18030",
                        first.record, first.field
                    ),
                },
            )),
            Err(m) => Err(LoadError::Decode {
                path: dbf_path.to_path_buf(),
                record: m.record,
                field: m.field,
                detail: format!(
                    "text is neither UTF-8 nor GB18030 ({lang}); bytes {}",
                    m.bytes
                ),
            }),
        },
    }
}

type Shapes = (Vec<Option<Geometry<f64>>>, Vec<Problem>);

fn read_shapes(shp: &Path, shx: &Path) -> Result<Shapes, LoadError> {
    let corrupt = |record: Option<usize>, message: String| LoadError::Corrupt {
        path: shp.to_path_buf(),
        record,
        message,
    };
    let file = File::open(shp).map_err(|e| LoadError::io(shp, e))?;
    let actual = file.metadata().map_err(|e| LoadError::io(shp, e))?.len();
    let shx_file = File::open(shx).map_err(|e| LoadError::io(shx, e))?;
    let mut reader = ShapeReader::with_shx(
        BufReader::with_capacity(1 << 20, file),
        BufReader::new(shx_file),
    )
    .map_err(|e| corrupt(None, format!("cannot read the header: {e}")))?;
    let declared = reader.header().file_length as u64 * 2;
    if actual < declared {
        return Err(corrupt(
            None,
            format!(
                "truncated: the header says {declared} bytes, the file has {actual}; the copy is incomplete"
            ),
        ));
    }
    let count = reader
        .shape_count()
        .map_err(|e| corrupt(None, format!("cannot read the .shx index: {e}")))?;
    let mut geometries = Vec::with_capacity(count);
    let mut problems = Vec::new();
    for (i, shape) in reader.iter_shapes().enumerate() {
        let shape =
            shape.map_err(|e| corrupt(Some(i + 1), format!("cannot read the shape: {e}")))?;
        let g = convert(shape).map_err(|m| corrupt(Some(i + 1), m))?;
        if g.is_none() {
            problems.push(
                Problem::new(
                    Severity::Warning,
                    ProblemKind::EmptyGeometry,
                    "null shape: kept without geometry, not indexed",
                )
                .at_record(i + 1),
            );
        }
        geometries.push(g);
    }
    if geometries.len() != count {
        return Err(corrupt(
            Some(geometries.len() + 1),
            format!(
                "the .shx lists {count} shapes but only {} could be read",
                geometries.len()
            ),
        ));
    }
    Ok((geometries, problems))
}

fn coords<P: HasXY>(points: &[P]) -> Vec<Coord<f64>> {
    points
        .iter()
        .map(|p| Coord { x: p.x(), y: p.y() })
        .collect()
}

/// Convert one shape to geo (2D kept, Z and M dropped); `Ok(None)` for a null or empty shape.
fn convert(shape: Shape) -> Result<Option<Geometry<f64>>, String> {
    macro_rules! polyline {
        ($p:expr) => {{
            let parts: Vec<LineString<f64>> = $p
                .parts()
                .iter()
                .filter(|part| !part.is_empty())
                .map(|part| LineString::new(coords(part)))
                .collect();
            lines(parts)
        }};
    }
    macro_rules! polygon {
        ($p:expr) => {{
            let rings: Vec<Vec<Coord<f64>>> = $p
                .rings()
                .iter()
                .map(|r| coords(r.points()))
                .filter(|r| !r.is_empty())
                .collect();
            assemble_polygon(rings)
        }};
    }
    macro_rules! multipoint {
        ($p:expr) => {{
            let pts: Vec<Point<f64>> = coords($p.points()).into_iter().map(Point::from).collect();
            match pts.len() {
                0 => None,
                1 => Some(Geometry::Point(pts[0])),
                _ => Some(Geometry::MultiPoint(MultiPoint::new(pts))),
            }
        }};
    }
    Ok(match shape {
        Shape::NullShape => None,
        Shape::Point(p) => Some(Geometry::Point(Point::new(p.x, p.y))),
        Shape::PointM(p) => Some(Geometry::Point(Point::new(p.x, p.y))),
        Shape::PointZ(p) => Some(Geometry::Point(Point::new(p.x, p.y))),
        Shape::Polyline(p) => polyline!(p),
        Shape::PolylineM(p) => polyline!(p),
        Shape::PolylineZ(p) => polyline!(p),
        Shape::Polygon(p) => polygon!(p),
        Shape::PolygonM(p) => polygon!(p),
        Shape::PolygonZ(p) => polygon!(p),
        Shape::Multipoint(p) => multipoint!(p),
        Shape::MultipointM(p) => multipoint!(p),
        Shape::MultipointZ(p) => multipoint!(p),
        Shape::Multipatch(_) => {
            return Err(
                "MultiPatch (3D surface) shapes are not supported; export footprints as polygons"
                    .into(),
            )
        }
    })
}

fn lines(mut parts: Vec<LineString<f64>>) -> Option<Geometry<f64>> {
    match parts.len() {
        0 => None,
        1 => parts.pop().map(Geometry::LineString),
        _ => Some(Geometry::MultiLineString(MultiLineString::new(parts))),
    }
}

/// Build polygons from rings by containment, whatever their winding (as GDAL's
/// `organizePolygons`): rings sorted by area; each ring's parent is the smallest larger ring that
/// contains it; a ring inside an outer ring is its hole, a ring inside a hole is a new outer ring.
pub fn assemble_polygon(rings: Vec<Vec<Coord<f64>>>) -> Option<Geometry<f64>> {
    let mut rings: Vec<LineString<f64>> = rings
        .into_iter()
        .map(|mut r| {
            if r.first() != r.last() {
                if let Some(&f) = r.first() {
                    r.push(f);
                }
            }
            LineString::new(r)
        })
        .collect();
    match rings.len() {
        0 => return None,
        // The common case: one ring, no containment to work out.
        1 => {
            let r = rings.pop()?;
            return Some(Geometry::Polygon(Polygon::new(r, vec![])));
        }
        _ => {}
    }
    let areas: Vec<f64> = rings
        .iter()
        .map(|r| Polygon::new(r.clone(), vec![]).unsigned_area())
        .collect();
    let mut order: Vec<usize> = (0..rings.len()).collect();
    order.sort_by(|&a, &b| areas[b].total_cmp(&areas[a]));
    // For each placed ring: (ring index, is outer, polygon index it belongs to).
    let mut placed: Vec<(usize, bool, usize)> = Vec::new();
    let mut polygons: Vec<(usize, Vec<usize>)> = Vec::new();
    for &i in &order {
        let parent = placed
            .iter()
            .rev()
            .find(|&&(j, _, _)| ring_inside(&rings[i], &rings[j]));
        match parent {
            Some(&(_, true, poly)) => {
                polygons[poly].1.push(i);
                placed.push((i, false, poly));
            }
            _ => {
                polygons.push((i, Vec::new()));
                placed.push((i, true, polygons.len() - 1));
            }
        }
    }
    let mut out: Vec<Polygon<f64>> = polygons
        .into_iter()
        .map(|(outer, holes)| {
            Polygon::new(
                rings[outer].clone(),
                holes.into_iter().map(|h| rings[h].clone()).collect(),
            )
        })
        .collect();
    if out.len() == 1 {
        out.pop().map(Geometry::Polygon)
    } else {
        Some(Geometry::MultiPolygon(MultiPolygon::new(out)))
    }
}

/// Whether ring `inner` lies inside ring `outer`: bounding boxes first, then the first vertex of
/// `inner` that is not on `outer`'s boundary (rings may touch at a vertex).
fn ring_inside(inner: &LineString<f64>, outer: &LineString<f64>) -> bool {
    let (Some(a), Some(b)) = (inner.bounding_rect(), outer.bounding_rect()) else {
        return false;
    };
    if a.min().x < b.min().x
        || a.min().y < b.min().y
        || a.max().x > b.max().x
        || a.max().y > b.max().y
    {
        return false;
    }
    let outer_polygon = Polygon::new(outer.clone(), vec![]);
    for c in inner.coords() {
        match outer_polygon.coordinate_position(c) {
            CoordPos::Inside => return true,
            CoordPos::Outside => return false,
            CoordPos::OnBoundary => continue,
        }
    }
    // Every vertex on the boundary: the same ring twice; treat as not nested.
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square(x: f64, y: f64, s: f64, clockwise: bool) -> Vec<Coord<f64>> {
        let mut r = vec![
            Coord { x, y },
            Coord { x: x + s, y },
            Coord { x: x + s, y: y + s },
            Coord { x, y: y + s },
            Coord { x, y },
        ];
        if clockwise {
            r.reverse();
        }
        r
    }

    #[test]
    fn holes_are_found_by_containment_whatever_the_winding() {
        for (outer_cw, hole_cw) in [(true, false), (false, true), (true, true), (false, false)] {
            let g = assemble_polygon(vec![
                square(0.0, 0.0, 10.0, outer_cw),
                square(2.0, 2.0, 3.0, hole_cw),
            ])
            .unwrap();
            let Geometry::Polygon(p) = g else {
                panic!("expected one polygon with a hole, got {g:?}")
            };
            assert_eq!(p.interiors().len(), 1);
            assert_eq!(p.unsigned_area(), 100.0 - 9.0);
        }
    }

    #[test]
    fn an_island_in_a_hole_is_a_new_polygon_and_disjoint_rings_are_parts() {
        let g = assemble_polygon(vec![
            square(3.0, 3.0, 2.0, false), // island, listed first
            square(0.0, 0.0, 10.0, false),
            square(2.0, 2.0, 6.0, false), // hole
            square(20.0, 0.0, 5.0, true), // another part
        ])
        .unwrap();
        let Geometry::MultiPolygon(mp) = g else {
            panic!("expected a multipolygon")
        };
        assert_eq!(mp.0.len(), 3);
        assert_eq!(mp.unsigned_area(), 100.0 - 36.0 + 4.0 + 25.0);
    }

    #[test]
    fn a_hole_touching_its_outer_ring_at_a_vertex_is_still_a_hole() {
        let g = assemble_polygon(vec![
            square(0.0, 0.0, 10.0, true),
            vec![
                Coord { x: 0.0, y: 0.0 },
                Coord { x: 4.0, y: 2.0 },
                Coord { x: 2.0, y: 4.0 },
                Coord { x: 0.0, y: 0.0 },
            ],
        ])
        .unwrap();
        assert!(matches!(g, Geometry::Polygon(ref p) if p.interiors().len() == 1));
    }
}
