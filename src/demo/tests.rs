//! Tests for the demo generator and writer. Geometry checks use `geo` (validation, overlay,
//! containment) as the independent reference; heavy pairwise checks run on a small district.

use super::*;
use geo::{Area, BooleanOps, BoundingRect, Contains, Intersects, Validation};
use geo_types::{Coord, Line, Rect};
use std::collections::{BTreeMap, HashSet};

/// A small district with every feature: river with 2 bridges, one expressway corridor.
fn small_spec() -> DemoSpec {
    DemoSpec {
        blocks_x: 6,
        blocks_y: 5,
        river_rows: vec![2],
        expressway_cols: vec![3],
        bridges_per_river: 2,
        ..DemoSpec::default_district()
    }
}

fn all_polygons(d: &District) -> Vec<(&'static str, usize, &Polygon<f64>)> {
    let mut v = Vec::new();
    v.extend(
        d.parcels
            .iter()
            .enumerate()
            .map(|(i, p)| ("parcels", i, &p.geometry)),
    );
    v.extend(
        d.buildings
            .iter()
            .enumerate()
            .map(|(i, b)| ("buildings", i, &b.geometry)),
    );
    v.extend(
        d.neighbourhoods
            .iter()
            .enumerate()
            .map(|(i, n)| ("neighbourhoods", i, &n.geometry)),
    );
    v.extend(
        d.idle
            .iter()
            .enumerate()
            .map(|(i, r)| ("idle", i, &r.geometry)),
    );
    v
}

fn signed_area(ls: &LineString<f64>) -> f64 {
    ls.0.windows(2)
        .map(|w| w[0].x * w[1].y - w[1].x * w[0].y)
        .sum::<f64>()
        / 2.0
}

fn rect_of(p: &Polygon<f64>) -> Rect<f64> {
    p.bounding_rect().expect("non-empty polygon")
}

/// Pairs `(i, j)` with `i < j` whose bounding boxes overlap (sort-and-sweep on x).
fn bbox_pairs(rects: &[Rect<f64>]) -> Vec<(usize, usize)> {
    let mut order: Vec<usize> = (0..rects.len()).collect();
    order.sort_by(|a, b| rects[*a].min().x.total_cmp(&rects[*b].min().x));
    let mut pairs = Vec::new();
    for (k, &i) in order.iter().enumerate() {
        for &j in &order[k + 1..] {
            if rects[j].min().x > rects[i].max().x {
                break;
            }
            if rects[j].min().y <= rects[i].max().y && rects[i].min().y <= rects[j].max().y {
                pairs.push((i.min(j), i.max(j)));
            }
        }
    }
    pairs
}

fn overlap_area(a: &Polygon<f64>, b: &Polygon<f64>) -> f64 {
    a.intersection(b).unsigned_area()
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn hashes(files: &[PathBuf]) -> BTreeMap<String, u64> {
    files
        .iter()
        .map(|f| {
            let name = f.file_name().map(|n| n.to_string_lossy().to_string());
            let bytes = std::fs::read(f).expect("read written file");
            (name.unwrap_or_default(), fnv1a(&bytes))
        })
        .collect()
}

#[test]
fn generation_is_deterministic() {
    let spec = small_spec();
    assert_eq!(generate(&spec), generate(&spec));
    let other = DemoSpec {
        seed: spec.seed + 1,
        ..spec.clone()
    };
    assert_ne!(generate(&spec).buildings, generate(&other).buildings);
}

#[test]
fn written_bytes_are_deterministic() {
    let d = generate(&small_spec());
    let (a, b) = (
        tempfile::tempdir().expect("tmp"),
        tempfile::tempdir().expect("tmp"),
    );
    let sa = write_shapefiles(&d, a.path()).expect("write a");
    let sb = write_shapefiles(&generate(&small_spec()), b.path()).expect("write b");
    assert_eq!(sa.files.len(), 30);
    assert_eq!(sa.counts, sb.counts);
    assert_eq!(hashes(&sa.files), hashes(&sb.files));
}

#[test]
fn default_district_counts_are_in_range() {
    let d = generate(&DemoSpec::default_district());
    assert!(
        (1000..=3000).contains(&d.buildings.len()),
        "{} buildings",
        d.buildings.len()
    );
    assert!(d.parcels.len() >= 150, "{} parcels", d.parcels.len());
    let old = d.neighbourhoods.iter().filter(|n| n.old).count();
    assert!(d.neighbourhoods.len() >= 30);
    assert!(
        old * 10 >= d.neighbourhoods.len() * 6,
        "{old} old of {}",
        d.neighbourhoods.len()
    );
    for n in &d.neighbourhoods {
        assert_eq!(n.old, n.year <= 2005);
    }
    for kind in FacilityKind::ALL {
        let k = d.facilities.iter().filter(|f| f.kind == kind).count();
        assert!(k >= 2, "only {k} facilities of {}", kind.label());
    }
    for kind in [IdleKind::Land, IdleKind::Building, IdleKind::OwnerShared] {
        assert!(d.idle.iter().any(|i| i.kind == kind), "{}", kind.label());
    }
    for class in [
        RoadClass::Expressway,
        RoadClass::Arterial,
        RoadClass::Secondary,
        RoadClass::Branch,
        RoadClass::Lane,
        RoadClass::Footpath,
    ] {
        assert!(
            d.roads.iter().any(|r| r.class == class),
            "{}",
            class.label()
        );
    }
    let uses: HashSet<&str> = d.parcels.iter().map(|p| p.land_use.code()).collect();
    for code in [
        "0701", "05H1", "08H1", "08H2", "0810", "1201", "1005", "0601", "1101", "1004",
    ] {
        assert!(uses.contains(code), "no parcel with DLBM {code}");
    }
    let extent = d
        .parcels
        .iter()
        .map(|p| rect_of(&p.geometry))
        .reduce(|a, b| {
            Rect::new(
                Coord {
                    x: a.min().x.min(b.min().x),
                    y: a.min().y.min(b.min().y),
                },
                Coord {
                    x: a.max().x.max(b.max().x),
                    y: a.max().y.max(b.max().y),
                },
            )
        })
        .expect("parcels");
    // EPSG:4549 around 120.36°E 36.07°N, a few km across.
    assert!(
        extent.min().x > 528_000.0 && extent.max().x < 536_000.0,
        "{extent:?}"
    );
    assert!(
        extent.min().y > 3_988_000.0 && extent.max().y < 3_996_000.0,
        "{extent:?}"
    );
    assert!((2000.0..3500.0).contains(&extent.width()));
    assert!((1600.0..3000.0).contains(&extent.height()));
}

#[test]
fn fragmented_idle_and_low_efficiency_parcels_exist() {
    let d = generate(&DemoSpec::default_district());
    let small = d.parcels.iter().filter(|p| p.area_m2 < 500.0).count();
    // Width of a strip ≈ area / half perimeter.
    let narrow = d
        .parcels
        .iter()
        .filter(|p| {
            let per: f64 = p
                .geometry
                .exterior()
                .lines()
                .map(|l| l.dx().hypot(l.dy()))
                .sum();
            p.area_m2 > 600.0 && p.area_m2 / (per / 2.0) < 10.0
        })
        .count();
    let triangles = d
        .parcels
        .iter()
        .filter(|p| p.geometry.exterior().0.len() == 4)
        .count();
    let low = d
        .parcels
        .iter()
        .filter(|p| {
            matches!(p.land_use, LandUse::Industrial | LandUse::Commercial)
                && p.far < 0.5
                && p.area_m2 > 1000.0
        })
        .count();
    let idle_land = d
        .parcels
        .iter()
        .filter(|p| p.land_use == LandUse::Vacant)
        .count();
    assert!(small >= 5, "{small} small parcels");
    assert!(narrow >= 5, "{narrow} narrow parcels");
    assert!(triangles >= 2, "{triangles} triangular parcels");
    assert!(low >= 3, "{low} low-efficiency parcels");
    assert!(idle_land >= 5, "{idle_land} idle land parcels");
    assert_eq!(
        idle_land,
        d.idle.iter().filter(|i| i.kind == IdleKind::Land).count()
    );
    for p in d
        .parcels
        .iter()
        .filter(|p| p.land_use == LandUse::Industrial)
    {
        assert!(p.far < 0.5, "factory {} has FAR {}", p.name, p.far);
    }
}

#[test]
fn every_polygon_is_valid_and_wound_as_in_shapefiles() {
    let d = generate(&DemoSpec::default_district());
    let mut holes = 0;
    for (layer, i, p) in all_polygons(&d) {
        assert!(
            p.is_valid(),
            "{layer} {i} invalid: {:?}",
            p.validation_errors()
        );
        assert!(
            signed_area(p.exterior()) < 0.0,
            "{layer} {i} outer ring not clockwise"
        );
        for h in p.interiors() {
            holes += 1;
            assert!(
                signed_area(h) > 0.0,
                "{layer} {i} hole not counter-clockwise"
            );
        }
        assert!(p.unsigned_area() > 1.0, "{layer} {i} degenerate");
    }
    assert!(holes >= 2, "only {holes} courtyard holes");
}

#[test]
fn building_attributes_are_consistent() {
    let d = generate(&DemoSpec::default_district());
    for b in &d.buildings {
        assert!(
            (b.footprint_m2 - b.geometry.unsigned_area()).abs() < 0.01,
            "{}",
            b.bsm
        );
        assert!(
            (b.floor_area_m2 - geom::round2(b.footprint_m2 * f64::from(b.floors))).abs() < 1e-6
        );
        assert_eq!(
            b.vacant_area_m2,
            if b.vacant { b.floor_area_m2 } else { 0.0 }
        );
        assert!((1975..=2024).contains(&b.year), "{} {}", b.bsm, b.year);
        if b.note == "自行车棚" || b.note == "门卫室" {
            assert_eq!(b.floors, 1);
            assert!(
                (20.0..=60.0).contains(&b.footprint_m2),
                "{} {}",
                b.note,
                b.footprint_m2
            );
        }
        if b.note == "板式住宅" {
            assert!((4..=7).contains(&b.floors) && b.year <= 2005);
        }
    }
    let shared: Vec<&Building> = d
        .buildings
        .iter()
        .filter(|b| b.owner_type == OwnerType::OwnersCommon && b.use_ == BuildingUse::Other)
        .collect();
    assert!(shared.iter().any(|b| b.vacant) && shared.iter().any(|b| !b.vacant));
    let vacant_inst = d
        .buildings
        .iter()
        .filter(|b| {
            b.vacant
                && matches!(
                    b.owner_type,
                    OwnerType::Government
                        | OwnerType::PublicInstitution
                        | OwnerType::StateEnterprise
                )
        })
        .count();
    assert!(
        vacant_inst >= 5,
        "{vacant_inst} vacant institutional buildings"
    );
    let idle_buildings: HashSet<&str> = d
        .idle
        .iter()
        .filter(|i| i.kind != IdleKind::Land)
        .map(|i| i.source_bsm.as_str())
        .collect();
    let vacant: HashSet<&str> = d
        .buildings
        .iter()
        .filter(|b| b.vacant)
        .map(|b| b.bsm.as_str())
        .collect();
    assert_eq!(idle_buildings, vacant);
}

#[test]
fn buildings_do_not_overlap_and_lie_inside_one_parcel() {
    let d = generate(&small_spec());
    let rects: Vec<Rect<f64>> = d.buildings.iter().map(|b| rect_of(&b.geometry)).collect();
    for (i, j) in bbox_pairs(&rects) {
        let a = overlap_area(&d.buildings[i].geometry, &d.buildings[j].geometry);
        assert!(a < 1e-6, "buildings {i} and {j} overlap by {a} m²");
    }
    for (k, b) in d.buildings.iter().enumerate() {
        let inside = d
            .parcels
            .iter()
            .filter(|p| p.geometry.contains(&b.geometry))
            .count();
        assert_eq!(
            inside, 1,
            "building {k} ({}) is in {inside} parcels",
            b.name
        );
    }
}

#[test]
fn parcels_do_not_overlap_and_statistics_match_their_buildings() {
    let d = generate(&small_spec());
    let rects: Vec<Rect<f64>> = d.parcels.iter().map(|p| rect_of(&p.geometry)).collect();
    let pairs = bbox_pairs(&rects);
    assert!(!pairs.is_empty());
    for (i, j) in pairs {
        let a = overlap_area(&d.parcels[i].geometry, &d.parcels[j].geometry);
        assert!(a < 0.01, "parcels {i} and {j} overlap by {a} m²");
    }
    for p in &d.parcels {
        assert!((p.area_m2 - p.geometry.unsigned_area()).abs() < 0.01);
        let inside: Vec<&Building> = d
            .buildings
            .iter()
            .filter(|b| p.geometry.contains(&b.geometry))
            .collect();
        let floor: f64 = inside.iter().map(|b| b.floor_area_m2).sum();
        let foot: f64 = inside.iter().map(|b| b.footprint_m2).sum();
        assert!((p.far - floor / p.area_m2).abs() <= 0.0051, "{} RJL", p.bsm);
        assert!(
            (p.coverage - foot / p.area_m2).abs() <= 0.0051,
            "{} JZMD",
            p.bsm
        );
    }
    for f in &d.facilities {
        assert!(
            d.parcels.iter().any(|p| p.geometry.contains(&f.geometry)),
            "facility {} not inside a parcel",
            f.name
        );
    }
    for n in &d.neighbourhoods {
        assert!(d.parcels.iter().any(|p| p.geometry == n.geometry));
    }
}

fn lines(r: &Road) -> impl Iterator<Item = Line<f64>> + '_ {
    r.geometry.lines()
}

fn vertices(r: &Road) -> HashSet<(u64, u64)> {
    r.geometry
        .0
        .iter()
        .map(|c| (c.x.to_bits(), c.y.to_bits()))
        .collect()
}

#[test]
fn streets_meet_at_shared_vertices_and_the_expressway_does_not() {
    let d = generate(&DemoSpec::default_district());
    let ground: Vec<&Road> = d
        .roads
        .iter()
        .filter(|r| r.class != RoadClass::Expressway)
        .collect();
    let verts: Vec<HashSet<(u64, u64)>> = ground.iter().map(|r| vertices(r)).collect();
    let rects: Vec<Rect<f64>> = ground
        .iter()
        .map(|r| r.geometry.bounding_rect().expect("line"))
        .collect();
    let mut junctions = 0;
    for (a, b) in bbox_pairs(&rects) {
        for la in lines(ground[a]) {
            for lb in lines(ground[b]) {
                if !la.intersects(&lb) {
                    continue;
                }
                let ends_a = [la.start, la.end];
                let shared = [lb.start, lb.end].iter().any(|p| ends_a.contains(p));
                assert!(
                    shared,
                    "{} and {} cross at no shared vertex",
                    ground[a].name, ground[b].name
                );
                junctions += 1;
            }
        }
    }
    assert!(junctions > 200, "{junctions} junction contacts");

    // Streets run through junctions: some junction vertex is interior to both lines.
    let streets: Vec<usize> = (0..ground.len())
        .filter(|k| {
            matches!(
                ground[*k].class,
                RoadClass::Arterial | RoadClass::Secondary | RoadClass::Branch
            )
        })
        .collect();
    let interior = |k: usize| -> HashSet<(u64, u64)> {
        let pts = &ground[k].geometry.0;
        pts[1..pts.len() - 1]
            .iter()
            .map(|c| (c.x.to_bits(), c.y.to_bits()))
            .collect()
    };
    let mut crossings = 0;
    for (x, &a) in streets.iter().enumerate() {
        for &b in &streets[x + 1..] {
            crossings += interior(a).intersection(&interior(b)).count();
        }
    }
    assert!(crossings >= 20, "{crossings} four-way junctions mid-line");

    // Every lane and footpath starts on another line's vertex (connected, not floating).
    for (k, r) in ground.iter().enumerate() {
        if matches!(r.class, RoadClass::Lane | RoadClass::Footpath) {
            let s = r.geometry.0[0];
            let key = (s.x.to_bits(), s.y.to_bits());
            assert!(
                verts
                    .iter()
                    .enumerate()
                    .any(|(m, v)| m != k && v.contains(&key)),
                "{} {} is not connected",
                r.class.label(),
                r.bsm
            );
        }
    }

    // The expressway crosses streets without sharing any vertex with them (a viaduct).
    let all: Vec<HashSet<(u64, u64)>> = verts;
    for e in d.roads.iter().filter(|r| r.class == RoadClass::Expressway) {
        assert!(!e.walkable);
        let crossed = ground
            .iter()
            .filter(|r| r.geometry.intersects(&e.geometry))
            .count();
        assert!(crossed >= 5, "expressway crosses only {crossed} streets");
        let ev = vertices(e);
        assert!(
            all.iter().all(|v| v.is_disjoint(&ev)),
            "expressway shares a vertex"
        );
    }
}

#[test]
fn river_is_crossed_only_at_the_bridges() {
    for spec in [DemoSpec::default_district(), small_spec()] {
        let d = generate(&spec);
        let rivers: Vec<&Parcel> = d
            .parcels
            .iter()
            .filter(|p| p.land_use == LandUse::River)
            .collect();
        assert_eq!(rivers.len(), spec.river_rows.len());
        for w in rivers {
            let crossing: Vec<&Road> = d
                .roads
                .iter()
                .filter(|r| r.walkable && r.geometry.intersects(&w.geometry))
                .collect();
            assert_eq!(
                crossing.len(),
                spec.bridges_per_river as usize,
                "walkable lines over the river: {:?}",
                crossing.iter().map(|r| &r.name).collect::<Vec<_>>()
            );
        }
        // Streets on the bank end there: T-junctions at the bank roads.
        let banks: Vec<&Road> = d
            .roads
            .iter()
            .filter(|r| r.name.ends_with("滨河南路") || r.name.ends_with("滨河北路"))
            .collect();
        assert_eq!(banks.len(), 2 * spec.river_rows.len());
    }
}

fn read_dbf_strings(path: &Path, field: &str) -> Vec<String> {
    let mut reader = dbase::Reader::from_path(path).expect("open dbf");
    reader
        .iter_records()
        .map(|r| {
            let r = r.expect("record");
            match r.get(field) {
                Some(dbase::FieldValue::Character(Some(s))) => s.trim().to_string(),
                Some(dbase::FieldValue::Character(None)) => String::new(),
                other => panic!("{field}: {other:?}"),
            }
        })
        .collect()
}

#[test]
fn dbf_is_gbk_with_language_byte_and_prj_is_exact() {
    let d = generate(&small_spec());
    let dir = tempfile::tempdir().expect("tmp");
    let summary = write_shapefiles(&d, dir.path()).expect("write");
    let expected_prj = r#"PROJCS["CGCS2000_3_Degree_GK_CM_120E",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",120.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#;
    for layer in LAYERS {
        let stem = dir.path().join(layer);
        let dbf = std::fs::read(stem.with_extension("dbf")).expect("dbf");
        assert_eq!(dbf[29], 0x4D, "{layer} LDID");
        assert_eq!(&dbf[1..4], &[125, 1, 1], "{layer} fixed date");
        let prj = std::fs::read_to_string(stem.with_extension("prj")).expect("prj");
        assert_eq!(prj, expected_prj);
        let cpg = std::fs::read_to_string(stem.with_extension("cpg")).expect("cpg");
        assert_eq!(cpg, "GBK");
    }
    // Read back with dbase, which picks GBK from the 0x4D byte.
    let names = read_dbf_strings(&dir.path().join("buildings.dbf"), "JZMC");
    let expected: Vec<String> = d.buildings.iter().map(|b| b.name.clone()).collect();
    assert_eq!(names, expected);
    let uses = read_dbf_strings(&dir.path().join("parcels.dbf"), "DLMC");
    assert!(uses.iter().any(|u| u == "城镇住宅用地"));
    let owners = read_dbf_strings(&dir.path().join("idle.dbf"), "QSDW");
    assert_eq!(
        owners,
        d.idle.iter().map(|i| i.owner.clone()).collect::<Vec<_>>()
    );
    // The bytes really are GBK, not UTF-8: 住宅 is D7 A1 D5 AC in GBK.
    let raw = std::fs::read(dir.path().join("buildings.dbf")).expect("dbf");
    assert!(raw.windows(4).any(|w| w == [0xD7, 0xA1, 0xD5, 0xAC]));
    assert!(std::str::from_utf8(&raw[1000..]).is_err());
    assert_eq!(summary.counts.len(), 6);
}

/// Ring windings straight from the `.shp` bytes: outer (first part) clockwise, the rest holes.
fn shp_ring_windings(path: &Path) -> Vec<Vec<f64>> {
    let b = std::fs::read(path).expect("shp");
    let le_i32 = |o: usize| i32::from_le_bytes(b[o..o + 4].try_into().expect("4 bytes"));
    let le_f64 = |o: usize| f64::from_le_bytes(b[o..o + 8].try_into().expect("8 bytes"));
    let mut pos = 100;
    let mut out = Vec::new();
    while pos < b.len() {
        let len = i32::from_be_bytes(b[pos + 4..pos + 8].try_into().expect("4 bytes")) as usize * 2;
        let rec = pos + 8;
        assert_eq!(le_i32(rec), 5, "polygon shape type");
        let nparts = le_i32(rec + 36) as usize;
        let npts = le_i32(rec + 40) as usize;
        let mut parts: Vec<usize> = (0..nparts)
            .map(|k| le_i32(rec + 44 + 4 * k) as usize)
            .collect();
        parts.push(npts);
        let p0 = rec + 44 + 4 * nparts;
        let pt = |k: usize| (le_f64(p0 + 16 * k), le_f64(p0 + 16 * k + 8));
        out.push(
            parts
                .windows(2)
                .map(|w| {
                    (w[0]..w[1] - 1)
                        .map(|k| {
                            let (a, c) = (pt(k), pt(k + 1));
                            a.0 * c.1 - c.0 * a.1
                        })
                        .sum::<f64>()
                })
                .collect(),
        );
        pos = rec + len;
    }
    out
}

#[test]
fn shapefiles_read_back_with_spec_windings() {
    let d = generate(&small_spec());
    let dir = tempfile::tempdir().expect("tmp");
    write_shapefiles(&d, dir.path()).expect("write");
    for layer in ["parcels", "buildings", "neighbourhoods", "idle"] {
        let windings = shp_ring_windings(&dir.path().join(format!("{layer}.shp")));
        assert!(!windings.is_empty());
        for (i, rings) in windings.iter().enumerate() {
            assert!(rings[0] < 0.0, "{layer} {i}: outer ring not clockwise");
            assert!(
                rings[1..].iter().all(|a| *a > 0.0),
                "{layer} {i}: hole not CCW"
            );
        }
    }
    // The shapefile crate (which rejects holes before an outer ring) reads the same geometry.
    let shapes: Vec<shapefile::Polygon> =
        shapefile::read_shapes_as(dir.path().join("buildings.shp")).expect("read shp");
    assert_eq!(shapes.len(), d.buildings.len());
    for (s, b) in shapes.into_iter().zip(&d.buildings) {
        let mp: geo_types::MultiPolygon<f64> = s.try_into().expect("convert");
        assert_eq!(mp.0.len(), 1);
        assert_eq!(mp.0[0], b.geometry);
    }
    let lines: Vec<shapefile::Polyline> =
        shapefile::read_shapes_as(dir.path().join("roads.shp")).expect("read roads");
    assert_eq!(lines.len(), d.roads.len());
}

#[test]
fn streaming_buildings_matches_full_write() {
    let spec = small_spec();
    let full = tempfile::tempdir().expect("tmp");
    let only = tempfile::tempdir().expect("tmp");
    write_shapefiles(&generate(&spec), full.path()).expect("full");
    let s = write_buildings_only(&spec, only.path()).expect("only");
    assert_eq!(s.files.len(), 5);
    for ext in ["shp", "shx", "dbf", "prj", "cpg"] {
        let a = std::fs::read(full.path().join(format!("buildings.{ext}"))).expect("a");
        let b = std::fs::read(only.path().join(format!("buildings.{ext}"))).expect("b");
        assert!(a == b, "buildings.{ext} differs");
    }
}

#[test]
fn scaled_spec_caps_buildings_exactly() {
    let spec = DemoSpec::scaled(3_000);
    assert!(spec.blocks_x > DemoSpec::default_district().blocks_x);
    let dir = tempfile::tempdir().expect("tmp");
    let s = write_buildings_only(&spec, dir.path()).expect("write");
    assert_eq!(s.counts, vec![(BUILDINGS_LAYER, 3_000)]);
    assert_eq!(generate(&spec).buildings.len(), 3_000);
    let big = DemoSpec::scaled(1_000_000);
    let cells = f64::from(big.blocks_x) * f64::from(big.blocks_y);
    assert!(cells * BUILDINGS_PER_CELL > 1_000_000.0);
    assert!(cells * BUILDINGS_PER_CELL < 1_300_000.0);
}

#[test]
fn degenerate_specs_do_not_panic() {
    let dir = tempfile::tempdir().expect("tmp");
    for (bx, by, river, road) in [
        (0, 0, 0, 0),
        (1, 1, 0, 0),
        (2, 1, 0, 1),
        (1, 3, 1, 0),
        (3, 2, 5, 7),
    ] {
        let spec = DemoSpec {
            blocks_x: bx,
            blocks_y: by,
            river_rows: vec![river],
            expressway_cols: vec![road],
            ..DemoSpec::default_district()
        };
        let d = generate(&spec);
        let s = write_shapefiles(&d, dir.path()).expect("write");
        assert_eq!(s.counts[2], ("buildings", d.buildings.len()));
        write_buildings_only(&spec, dir.path()).expect("write buildings");
    }
}

#[test]
fn committed_demo_matches_the_generator() {
    // Re-bless with: cargo run --release -- demo data/
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
    let dir = tempfile::tempdir().expect("tmp");
    let s = write_shapefiles(&generate(&DemoSpec::default_district()), dir.path()).expect("write");
    for f in &s.files {
        let name = f.file_name().expect("file name");
        let committed = std::fs::read(data.join(name)).unwrap_or_default();
        let fresh = std::fs::read(f).expect("fresh");
        assert!(
            committed == fresh,
            "data/{} is stale; regenerate it",
            name.to_string_lossy()
        );
    }
}
