//! The binary: `infill check` output and exit codes.

use crate::util::{city, infill, nanjing};

#[test]
fn check_json_reports_counts_crs_and_encoding() {
    for (dir, epsg, buildings) in [
        ("nanjing", 4549, 1247),
        ("beijing_wudaokou", 4548, 510),
        ("shanghai", 4528, 107),
    ] {
        let out = infill()
            .args(["check", "--json"])
            .arg(city(dir))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["usable"], true);
        // Bureau road layers have pieces cut off from the main network; each is listed.
        let n = &v["network"];
        let components = n["components"].as_u64().unwrap() as usize;
        assert!(components >= 1);
        assert_eq!(n["disconnected"].as_array().unwrap().len(), components - 1);
        let layers = v["layers"].as_array().unwrap();
        assert_eq!(layers.len(), 6);
        let b = layers.iter().find(|l| l["role"] == "buildings").unwrap();
        assert_eq!(b["count"], buildings);
        assert_eq!(b["crs_epsg"], epsg);
        assert_eq!(b["encoding"], "GBK");
        let e = b["extent_wgs84"].as_array().unwrap();
        assert_eq!(e.len(), 4);
        assert!(e[0].as_f64().unwrap() > 110.0 && e[1].as_f64().unwrap() > 30.0);
        for l in layers {
            for key in [
                "role",
                "path",
                "encoding",
                "crs_epsg",
                "count",
                "extent_wgs84",
                "problems",
            ] {
                assert!(l.get(key).is_some(), "{dir}: {key} missing");
            }
        }
    }
}

#[test]
fn check_exits_nonzero_on_a_bad_project_and_two_on_a_bad_config() {
    let dir = tempfile::tempdir().unwrap();
    let shp = crate::util::copy_shapefile(&nanjing(), "buildings", dir.path());
    std::fs::remove_file(shp.with_extension("prj")).unwrap();
    let out = infill().arg("check").arg(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("buildings.prj"), "{text}");

    std::fs::write(
        dir.path().join("infill.toml"),
        "[layers.bildings]\npath = \"x.shp\"\n",
    )
    .unwrap();
    let out = infill().arg("check").arg(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("layers.bildings"));
}

/// The README's first command: the embedded demo district loads cleanly.
#[test]
fn check_on_the_embedded_demo_data_is_usable() {
    let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
    let out = infill()
        .args(["check", "--json"])
        .arg(&data)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["working_crs"]["epsg"], 4549);
    // The demo's walk network is one piece (the expressway viaduct is not walkable).
    assert_eq!(v["network"]["components"], 1, "{}", v["network"]);
    assert!(v["network"]["edges"].as_u64().unwrap() > 1000);
    for l in v["layers"].as_array().unwrap() {
        assert_eq!(l["encoding"], "GBK", "{}", l["role"]);
        assert_eq!(l["crs_epsg"], 4549, "{}", l["role"]);
        assert!(l["count"].as_u64().unwrap() > 0, "{}", l["role"]);
        let errors_or_warnings = l["problems"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["severity"] != "info")
            .count();
        assert_eq!(errors_or_warnings, 0, "{}: {}", l["role"], l["problems"]);
    }
}

#[test]
fn output_piped_into_a_reader_that_stops_early_ends_quietly() {
    use std::io::Read;
    // Every neighbourhood's catchment polygons: far more than a pipe buffer holds.
    let mut child = infill()
        .args(["catchment", "--all-neighbourhoods"])
        .arg(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut head = [0u8; 64];
    child.stdout.take().unwrap().read_exact(&mut head).unwrap();
    // The read end is dropped here, like `| head -c 64`.
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert!(out.status.success(), "{err}");
}
