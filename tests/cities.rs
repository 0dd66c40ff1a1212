//! The three bureau-style datasets in ../shared/data: counts, CRS, encoding, exact Chinese
//! values against the GeoJSON twins, and coordinates within 5 cm after reprojection.

use geo::{Area, Coord, CoordsIter, Distance, Euclidean, Geometry, LineString, Point};
use infill::config::Config;
use infill::io::load::load_report;
use infill::io::LayerSpec;
use infill::model::{Layer, Role, Semantic, Value};

use crate::util::{city, load};

struct Expect {
    dir: &'static str,
    epsg: u32,
    cpg: &'static str,
    counts: [(Role, usize); 6],
}

/// Feature counts from each folder's README.
const CITIES: [Expect; 3] = [
    Expect {
        dir: "nanjing",
        epsg: 4549,
        cpg: "GBK",
        counts: [
            (Role::Roads, 382),
            (Role::Parcels, 301),
            (Role::Buildings, 1247),
            (Role::Neighbourhoods, 43),
            (Role::Idle, 62),
            (Role::Facilities, 34),
        ],
    },
    Expect {
        dir: "beijing_wudaokou",
        epsg: 4548,
        cpg: "GBK",
        counts: [
            (Role::Roads, 634),
            (Role::Parcels, 155),
            (Role::Buildings, 510),
            (Role::Neighbourhoods, 10),
            (Role::Idle, 28),
            (Role::Facilities, 39),
        ],
    },
    Expect {
        dir: "shanghai",
        epsg: 4528,
        cpg: "936",
        counts: [
            (Role::Roads, 192),
            (Role::Parcels, 44),
            (Role::Buildings, 107),
            (Role::Neighbourhoods, 1),
            (Role::Idle, 7),
            (Role::Facilities, 7),
        ],
    },
];

#[test]
fn every_city_loads_with_the_readme_counts_crs_and_encoding() {
    for c in &CITIES {
        let report = load(&city(c.dir));
        assert!(report.is_usable(), "{}", c.dir);
        let (crs, how) = report.working_crs.clone().unwrap();
        assert_eq!(crs.epsg(), c.epsg, "{}: {how}", c.dir);
        let ws = report.into_workspace().unwrap();
        for (role, n) in c.counts {
            let layer = ws.layer(role).unwrap();
            assert_eq!(layer.len(), n, "{} {role}", c.dir);
            assert_eq!(layer.source.crs_epsg, c.epsg, "{} {role}", c.dir);
            assert_eq!(
                layer.source.encoding.as_deref(),
                Some("GBK"),
                "{} {role}",
                c.dir
            );
            let how = layer.source.encoding_how.as_deref().unwrap();
            assert!(
                how.contains(&format!("{:?}", c.cpg)),
                "{} {role}: {how}",
                c.dir
            );
            assert_eq!(layer.index().len(), n);
        }
    }
}

/// Every attribute of every record equals the GeoJSON twin's (UTF-8), and every geometry lies
/// within 5 cm of the twin's after reprojecting the twin from WGS84 to the city's CRS.
#[test]
fn attributes_and_coordinates_match_the_geojson_twins() {
    for c in &CITIES {
        let dir = city(c.dir);
        let shp = load(&dir).into_workspace().unwrap();
        // The city folders have every role but gates.
        let roles: Vec<Role> = c.counts.iter().map(|(r, _)| *r).collect();
        let twin_config = Config {
            source: dir.clone(),
            working_crs: Some(shp.crs().clone()),
            layers: roles
                .iter()
                .map(|r| LayerSpec::new(*r, dir.join(format!("{}.geojson", r.name()))))
                .collect(),
            notes: vec![],
            analysis: None,
        };
        let twin = load_report(&twin_config, &|_| {}).into_workspace().unwrap();
        for &role in &roles {
            let a = shp.layer(role).unwrap();
            let b = twin.layer(role).unwrap();
            assert_eq!(a.len(), b.len(), "{} {role}", c.dir);
            compare_attributes(c.dir, a, b);
            let mut worst = 0.0f64;
            let mut repaired = 0;
            for i in 0..a.len() {
                let (ga, gb) = (a.geometry(i), b.geometry(i));
                let d = hausdorff(ga, gb);
                worst = worst.max(d);
                if d > 0.05 {
                    // The twin's README: polygons whose rounding to 1e-7° merged vertices were
                    // repaired, which can cut a zero-width spike. Then every twin vertex still lies
                    // on the shapefile's outline and the areas agree.
                    let back = directed(gb, ga);
                    let da = (ga.unsigned_area() - gb.unsigned_area()).abs();
                    assert!(
                        back <= 0.05 && da <= 0.01 * ga.unsigned_area(),
                        "{} {role} record {}: {d} m apart (twin to shapefile {back} m, area difference {da} m²)",
                        c.dir,
                        i + 1
                    );
                    repaired += 1;
                }
            }
            assert!(
                repaired <= 35,
                "{} {role}: {repaired} records differ",
                c.dir
            );
            assert!(
                worst > 0.0,
                "{} {role}: identical coordinates are suspicious",
                c.dir
            );
        }
    }
}

fn compare_attributes(city: &str, a: &Layer, b: &Layer) {
    let fields: Vec<String> = a
        .attributes()
        .fields()
        .iter()
        .map(|f| f.name.clone())
        .collect();
    let mut chinese = 0;
    for i in 0..a.len() {
        for name in &fields {
            let va = a.attributes().get_by_name(i, name).unwrap();
            let vb = b
                .attributes()
                .get_by_name(i, name)
                .unwrap_or_else(|| panic!("{city} {}: twin lacks {name}", a.role));
            let same = match (va, vb) {
                (Value::Text(x), Value::Text(y)) => x == y,
                (Value::Null, Value::Text("")) | (Value::Text(""), Value::Null) => true,
                (Value::Null, Value::Null) => true,
                (x, y) => match (x.as_f64(), y.as_f64()) {
                    (Some(p), Some(q)) => (p - q).abs() <= 1e-6 * p.abs().max(1.0),
                    _ => false,
                },
            };
            assert!(
                same,
                "{city} {} record {} field {name}: {va:?} vs {vb:?}",
                a.role,
                i + 1
            );
            if let Value::Text(t) = va {
                if !t.is_ascii() {
                    chinese += 1;
                }
            }
        }
    }
    if a.role != Role::Roads || city != "shanghai" {
        assert!(chinese > 0, "{city} {}: no Chinese text compared", a.role);
    }
}

/// Symmetric Hausdorff distance measured to the other geometry's linework (not just its
/// vertices), so that a collinear vertex dropped by the twin's repair does not count.
fn hausdorff(a: &Geometry<f64>, b: &Geometry<f64>) -> f64 {
    directed(a, b).max(directed(b, a))
}

fn directed(from: &Geometry<f64>, to: &Geometry<f64>) -> f64 {
    let lines = linework(to);
    from.coords_iter()
        .map(|c| {
            let p = Point::from(c);
            lines
                .iter()
                .map(|l| Euclidean.distance(&p, l))
                .fold(f64::INFINITY, f64::min)
        })
        .fold(0.0, f64::max)
}

fn linework(g: &Geometry<f64>) -> Vec<LineString<f64>> {
    match g {
        Geometry::Point(p) => vec![LineString::new(vec![p.0, p.0])],
        Geometry::LineString(l) => vec![l.clone()],
        Geometry::MultiLineString(m) => m.0.clone(),
        Geometry::Polygon(p) => std::iter::once(p.exterior().clone())
            .chain(p.interiors().iter().cloned())
            .collect(),
        Geometry::MultiPolygon(m) => {
            m.0.iter()
                .flat_map(|p| {
                    std::iter::once(p.exterior().clone()).chain(p.interiors().iter().cloned())
                })
                .collect()
        }
        other => other
            .coords_iter()
            .map(|c: Coord<f64>| LineString::new(vec![c, c]))
            .collect(),
    }
}

#[test]
fn bureau_fields_bind_by_default_and_values_map() {
    let ws = load(&city("nanjing")).into_workspace().unwrap();
    let b = ws.layer(Role::Buildings).unwrap();
    for s in [
        Semantic::Floors,
        Semantic::BuildYear,
        Semantic::BuildingUse,
        Semantic::OwnerType,
        Semantic::Vacant,
    ] {
        assert!(b.binding(s).is_some(), "{s:?}");
    }
    // README: 54 of 1247 buildings are vacant (SFXZ 是); 10 owned by 机关.
    let vacant = (0..b.len()).filter(|&i| b.vacant(i) == Some(true)).count();
    assert_eq!(vacant, 54);
    let agencies = (0..b.len())
        .filter(|&i| b.owner_type(i) == Some(infill::model::OwnerType::Government))
        .count();
    assert_eq!(agencies, 10);
    let n = ws.layer(Role::Neighbourhoods).unwrap();
    // README: LJXQ 是 34.
    let old = (0..n.len())
        .filter(|&i| n.flag(i, Semantic::IsOld) == Some(true))
        .count();
    assert_eq!(old, 34);
    let p = ws.layer(Role::Parcels).unwrap();
    // README: DLBM 1201 空闲地 8.
    assert_eq!(
        (0..p.len())
            .filter(|&i| p.land_use(i) == Some("1201"))
            .count(),
        8
    );
    // No value-mapping misses on the bureau's own vocabulary.
    for layer in ws.layers() {
        for problem in layer.problems() {
            assert_ne!(
                problem.kind,
                infill::model::ProblemKind::UnmappedValue,
                "{}: {problem}",
                layer.role
            );
        }
    }
}

/// The real Nanjing OpenStreetMap extract, read through the whole pipeline. Counts were
/// cross-checked with libosmium (pyosmium) when the reader was written; idle is absent because
/// the extract tags no brownfield/greenfield/construction land and no disused building.
#[test]
fn nanjing_osm_extract_loads_into_every_mapped_role() {
    let report = load(&city("nanjing").join("source.osm.pbf"));
    assert!(report.is_usable());
    let (crs, _) = report.working_crs.clone().unwrap();
    assert_eq!(crs.epsg(), 4549, "CGCS2000 GK zone of Nanjing (CM 120E)");
    let ws = report.into_workspace().unwrap();
    for (role, n) in [
        (Role::Roads, 384),
        (Role::Parcels, 170),
        (Role::Buildings, 1271),
        (Role::Neighbourhoods, 11),
        (Role::Facilities, 34),
    ] {
        assert_eq!(ws.layer(role).map(|l| l.len()), Some(n), "{role}");
    }
    assert!(ws.layer(Role::Idle).is_none());
    // Projected OSM roads land on the bureau layer's roads (same OSM ways, same projection).
    let bureau = load(&city("nanjing")).into_workspace().unwrap();
    let (a, b) = (
        ws.layer(Role::Roads).unwrap().extent().unwrap(),
        bureau.layer(Role::Roads).unwrap().extent().unwrap(),
    );
    assert!(
        (a.center().x - b.center().x).abs() < 300.0 && (a.center().y - b.center().y).abs() < 300.0
    );
}

/// The R-tree against a linear scan of bounding boxes, on every real layer.
#[test]
fn spatial_index_matches_a_linear_scan_on_real_layers() {
    use geo::{BoundingRect, Intersects, Rect};
    for c in &CITIES {
        let ws = load(&city(c.dir)).into_workspace().unwrap();
        for layer in ws.layers() {
            let e = layer.extent().unwrap();
            // A deterministic spread of query boxes over the extent, small to large.
            for k in 0..40u32 {
                let fx = f64::from(k * 37 % 41) / 41.0;
                let fy = f64::from(k * 53 % 43) / 43.0;
                let size = 5.0 * f64::from(1 + k % 7).powi(3);
                let min = geo::Coord {
                    x: e.min().x + fx * e.width(),
                    y: e.min().y + fy * e.height(),
                };
                let q = Rect::new(
                    min,
                    geo::Coord {
                        x: min.x + size,
                        y: min.y + size,
                    },
                );
                let mut got: Vec<usize> = layer.index().query_rect(q).collect();
                got.sort_unstable();
                let want: Vec<usize> = (0..layer.len())
                    .filter(|&i| {
                        layer
                            .geometry(i)
                            .bounding_rect()
                            .is_some_and(|r| r.intersects(&q))
                    })
                    .collect();
                assert_eq!(got, want, "{} {} query {k}", c.dir, layer.role);
            }
        }
    }
}
