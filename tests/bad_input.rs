//! Bad input: each case gives a clear error naming the file (and record and field where there is
//! one), and nothing is half-loaded.

use std::path::Path;

use infill::config::Config;
use infill::io::load::{load_report, load_workspace};
use infill::io::LoadError;
use infill::model::{ProblemKind, Role};
use shapefile::{Point, Polygon, PolygonRing};

use crate::util::{copy_shapefile, load, nanjing, write_shapefile};

/// Load a folder that must fail, returning its error; also checks that the workspace load fails
/// as a whole and the report marks the project unusable.
fn load_error(dir: &Path) -> LoadError {
    let config = Config::load(dir).unwrap();
    assert!(
        load_workspace(&config).is_err(),
        "a bad layer must fail the load"
    );
    let report = load_report(&config, &|_| {});
    assert!(!report.is_usable());
    report
        .outcomes
        .into_iter()
        .find_map(|(_, o)| o.err())
        .expect("an error")
}

fn buildings_copy() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let shp = copy_shapefile(&nanjing(), "buildings", dir.path());
    (dir, shp)
}

#[test]
fn truncated_shp() {
    let (dir, shp) = buildings_copy();
    let len = std::fs::metadata(&shp).unwrap().len();
    let f = std::fs::OpenOptions::new().write(true).open(&shp).unwrap();
    f.set_len(len / 2).unwrap();
    let e = load_error(dir.path());
    let msg = e.to_string();
    assert!(matches!(e, LoadError::Corrupt { .. }), "{msg}");
    assert!(
        msg.contains("buildings.shp") && msg.contains("truncated"),
        "{msg}"
    );
}

#[test]
fn shx_missing() {
    let (dir, shp) = buildings_copy();
    std::fs::remove_file(shp.with_extension("shx")).unwrap();
    let e = load_error(dir.path());
    assert!(matches!(e, LoadError::MissingPart { .. }), "{e}");
    assert!(e.to_string().contains("buildings.shx"), "{e}");
}

#[test]
fn dbf_with_fewer_records_than_shp() {
    let (dir, shp) = buildings_copy();
    let dbf = shp.with_extension("dbf");
    let mut bytes = std::fs::read(&dbf).unwrap();
    let n = u32::from_le_bytes(bytes[4..8].try_into().unwrap());
    let record_len = u16::from_le_bytes(bytes[10..12].try_into().unwrap()) as usize;
    let header_len = u16::from_le_bytes(bytes[8..10].try_into().unwrap()) as usize;
    bytes[4..8].copy_from_slice(&(n - 3).to_le_bytes());
    bytes.truncate(header_len + (n as usize - 3) * record_len);
    bytes.push(0x1A);
    std::fs::write(&dbf, bytes).unwrap();
    let e = load_error(dir.path());
    match &e {
        LoadError::RecordCountMismatch {
            shp_records,
            dbf_records,
            ..
        } => {
            assert_eq!((*shp_records, *dbf_records), (1247, 1244));
        }
        other => panic!("{other}"),
    }
    assert!(e.to_string().contains("buildings.dbf"), "{e}");
}

#[test]
fn no_prj_and_no_override_then_an_override_in_config() {
    let (dir, shp) = buildings_copy();
    std::fs::remove_file(shp.with_extension("prj")).unwrap();
    let e = load_error(dir.path());
    assert!(matches!(e, LoadError::NoCrs { .. }), "{e}");
    assert!(e.to_string().contains("buildings.prj"), "{e}");

    let toml = dir.path().join("infill.toml");
    std::fs::write(
        &toml,
        "[layers.buildings]\npath = \"buildings.shp\"\ncrs = \"EPSG:4549\"\n",
    )
    .unwrap();
    let ws = load_workspace(&Config::load(&toml).unwrap()).unwrap();
    let b = ws.layer(Role::Buildings).unwrap();
    assert_eq!(b.len(), 1247);
    assert!(b.source.crs_how.contains("config"), "{}", b.source.crs_how);
}

#[test]
fn unknown_cpg() {
    let (dir, shp) = buildings_copy();
    std::fs::write(shp.with_extension("cpg"), "KLINGON-7").unwrap();
    let e = load_error(dir.path());
    assert!(matches!(e, LoadError::UnknownEncoding { .. }), "{e}");
    let msg = e.to_string();
    assert!(
        msg.contains("buildings.cpg") && msg.contains("KLINGON-7"),
        "{msg}"
    );
}

/// The GBK table declared UTF-8: the error names the first record and field holding non-ASCII
/// text (found independently from the GeoJSON twin).
#[test]
fn invalid_utf8_declared_as_utf8() {
    let (dir, shp) = buildings_copy();
    std::fs::write(shp.with_extension("cpg"), "UTF-8").unwrap();
    let e = load_error(dir.path());
    let LoadError::Decode { record, field, .. } = &e else {
        panic!("{e}")
    };
    let twin: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(nanjing().join("buildings.geojson")).unwrap(),
    )
    .unwrap();
    let (want_record, want_field) = twin["features"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
        .find_map(|(i, f)| {
            f["properties"]
                .as_object()
                .unwrap()
                .iter()
                .find(|(_, v)| v.as_str().is_some_and(|s| !s.is_ascii()))
                .map(|(k, _)| (i + 1, k.clone()))
        })
        .unwrap();
    assert_eq!(
        (*record, field.as_str()),
        (want_record, want_field.as_str())
    );
    let msg = e.to_string();
    assert!(
        msg.contains("buildings.dbf") && msg.contains("UTF-8"),
        "{msg}"
    );
}

#[test]
fn gbk_without_cpg_and_without_language_byte_falls_back_to_gb18030() {
    let (dir, shp) = buildings_copy();
    std::fs::remove_file(shp.with_extension("cpg")).unwrap();
    let dbf = shp.with_extension("dbf");
    let mut bytes = std::fs::read(&dbf).unwrap();
    bytes[29] = 0;
    std::fs::write(&dbf, bytes).unwrap();
    let ws = load_workspace(&Config::load(dir.path()).unwrap()).unwrap();
    let b = ws.layer(Role::Buildings).unwrap();
    assert_eq!(b.source.encoding.as_deref(), Some("gb18030"));
    let names: Vec<&str> = (0..b.len())
        .filter_map(|i| {
            b.attributes()
                .get_by_name(i, "YT")
                .and_then(|v| v.as_text())
        })
        .collect();
    assert!(names.contains(&"住宅"));
}

#[test]
fn language_byte_alone_decides_gbk() {
    let (dir, shp) = buildings_copy();
    std::fs::remove_file(shp.with_extension("cpg")).unwrap();
    let ws = load_workspace(&Config::load(dir.path()).unwrap()).unwrap();
    let b = ws.layer(Role::Buildings).unwrap();
    assert_eq!(b.source.encoding.as_deref(), Some("GBK"));
    assert!(b.source.encoding_how.as_deref().unwrap().contains("0x4D"));
}

#[test]
fn empty_layer() {
    let dir = tempfile::tempdir().unwrap();
    write_shapefile::<Point>(&dir.path().join("facilities.shp"), &[], &[]);
    let e = load_error(dir.path());
    assert!(matches!(e, LoadError::Empty { .. }), "{e}");
    assert!(e.to_string().contains("facilities.shp"), "{e}");
}

#[test]
fn nan_and_infinite_coordinates() {
    let dir = tempfile::tempdir().unwrap();
    let points = [
        Point::new(532_000.0, 3_992_000.0),
        Point::new(f64::NAN, 3_992_000.0),
        Point::new(532_100.0, 3_992_100.0),
        Point::new(532_100.0, f64::INFINITY),
    ];
    write_shapefile(
        &dir.path().join("facilities.shp"),
        &points,
        &["幼儿园", "托育", "养老", "停车场"],
    );
    let e = load_error(dir.path());
    let LoadError::Invalid { problems, .. } = &e else {
        panic!("{e}")
    };
    let records: Vec<usize> = problems.iter().filter_map(|p| p.record).collect();
    assert_eq!(records, vec![2, 4]);
    assert!(problems
        .iter()
        .all(|p| p.kind == ProblemKind::NonFiniteCoordinate));
    assert!(e.to_string().contains("facilities.shp"));
}

#[test]
fn self_intersecting_polygon_is_reported_kept_and_flagged() {
    let dir = tempfile::tempdir().unwrap();
    let ring = |pts: &[(f64, f64)]| {
        pts.iter()
            .map(|&(x, y)| Point::new(x, y))
            .collect::<Vec<_>>()
    };
    let square = Polygon::new(PolygonRing::Outer(ring(&[
        (532_000.0, 3_992_000.0),
        (532_000.0, 3_992_050.0),
        (532_050.0, 3_992_050.0),
        (532_050.0, 3_992_000.0),
        (532_000.0, 3_992_000.0),
    ])));
    let bowtie = Polygon::new(PolygonRing::Outer(ring(&[
        (532_100.0, 3_992_000.0),
        (532_150.0, 3_992_050.0),
        (532_150.0, 3_992_000.0),
        (532_100.0, 3_992_050.0),
        (532_100.0, 3_992_000.0),
    ])));
    write_shapefile(
        &dir.path().join("buildings.shp"),
        &[square, bowtie],
        &["甲楼", "乙楼"],
    );
    let report = load(dir.path());
    assert!(report.is_usable());
    let ws = report.into_workspace().unwrap();
    let b = ws.layer(Role::Buildings).unwrap();
    assert_eq!(b.len(), 2);
    assert!(!b.is_flagged_invalid(0));
    assert!(b.is_flagged_invalid(1));
    let p = b
        .problems()
        .iter()
        .find(|p| p.kind == ProblemKind::InvalidGeometry)
        .unwrap();
    assert_eq!(p.record, Some(2));
}

#[test]
fn latitude_longitude_swapped_geojson_is_out_of_range() {
    let dir = tempfile::tempdir().unwrap();
    let mut fc: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(nanjing().join("facilities.geojson")).unwrap(),
    )
    .unwrap();
    for f in fc["features"].as_array_mut().unwrap() {
        let c = f["geometry"]["coordinates"].as_array_mut().unwrap();
        c.swap(0, 1);
    }
    std::fs::write(dir.path().join("facilities.geojson"), fc.to_string()).unwrap();
    let e = load_error(dir.path());
    let LoadError::Invalid { problems, .. } = &e else {
        panic!("{e}")
    };
    assert_eq!(problems.len(), 34);
    assert_eq!(problems[0].record, Some(1));
    assert!(problems[0].kind == ProblemKind::OutOfRange);
    assert!(e.to_string().contains("swapped"), "{e}");
}

#[test]
fn zone_prefixed_coordinates_under_an_unprefixed_crs() {
    // Shanghai's layers are EPSG:4528 (x ≈ 40,5xx,xxx); declaring 4549 must fail with a hint.
    let dir = tempfile::tempdir().unwrap();
    let shp = copy_shapefile(&crate::util::city("shanghai"), "facilities", dir.path());
    std::fs::write(shp.with_extension("prj"), crate::util::PRJ_4549).unwrap();
    let e = load_error(dir.path());
    let msg = e.to_string();
    assert!(msg.contains("EPSG:4528"), "{msg}");
}

#[test]
fn one_bad_layer_fails_the_workspace_but_the_report_shows_the_good_ones() {
    let dir = tempfile::tempdir().unwrap();
    copy_shapefile(&nanjing(), "roads", dir.path());
    let shp = copy_shapefile(&nanjing(), "buildings", dir.path());
    std::fs::remove_file(shp.with_extension("shx")).unwrap();
    let report = load(dir.path());
    assert!(!report.is_usable());
    let ok: Vec<Role> = report
        .outcomes
        .iter()
        .filter(|(_, o)| o.is_ok())
        .map(|(s, _)| s.role)
        .collect();
    assert_eq!(ok, vec![Role::Roads]);
    assert!(report.into_workspace().is_err());
}
