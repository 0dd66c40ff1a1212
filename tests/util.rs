//! Fixtures: the real data in ../shared/data, and helpers to write small broken shapefiles.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::path::{Path, PathBuf};

use infill::config::Config;
use infill::io::load::{load_report, LoadReport};
use infill::network::WalkGraph;

/// The shared data folder: `INFILL_SHARED_DATA`, else `../shared/data` beside the repository.
pub fn shared_data() -> PathBuf {
    if let Ok(p) = std::env::var("INFILL_SHARED_DATA") {
        return PathBuf::from(p);
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data")
}

/// One of the bureau-style city folders.
pub fn city(name: &str) -> PathBuf {
    let p = shared_data().join(name);
    assert!(p.is_dir(), "test data missing: {}", p.display());
    p
}

/// The `infill` binary built for these tests.
pub fn infill() -> std::process::Command {
    std::process::Command::new(env!("CARGO_BIN_EXE_infill"))
}

/// The real Nanjing folder.
pub fn nanjing() -> PathBuf {
    city("nanjing")
}

/// Load a folder or config with no progress output.
pub fn load(path: &Path) -> LoadReport {
    let config = Config::load(path).unwrap();
    load_report(&config, &|_| {})
}

/// Copy the files of one shapefile (every extension) into `dir`, returning the new `.shp` path.
pub fn copy_shapefile(src_dir: &Path, stem: &str, dir: &Path) -> PathBuf {
    for ext in ["shp", "shx", "dbf", "prj", "cpg"] {
        let from = src_dir.join(format!("{stem}.{ext}"));
        if from.exists() {
            std::fs::copy(&from, dir.join(format!("{stem}.{ext}"))).unwrap();
        }
    }
    dir.join(format!("{stem}.shp"))
}

/// The ESRI WKT of EPSG:4549, as the bureau's .prj files hold it.
pub const PRJ_4549: &str = r#"PROJCS["CGCS2000_3_Degree_GK_CM_120E",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",120.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#;

/// Write a small shapefile with a `MC` text field, one record per shape, plus a 4549 `.prj`.
pub fn write_shapefile<S: shapefile::record::EsriShape>(path: &Path, shapes: &[S], names: &[&str]) {
    let table = dbase::TableWriterBuilder::new()
        .add_character_field(dbase::FieldName::try_from("MC").unwrap(), 40);
    let mut w = shapefile::Writer::from_path(path, table).unwrap();
    for (s, n) in shapes.iter().zip(names) {
        let mut r = dbase::Record::default();
        r.insert("MC".into(), dbase::FieldValue::Character(Some((*n).into())));
        w.write_shape_and_record(s, &r).unwrap();
    }
    drop(w);
    std::fs::write(path.with_extension("prj"), PRJ_4549).unwrap();
}

/// Plain full Dijkstra over the edge list (its own adjacency, no bound, no stamps).
pub fn full_dijkstra(g: &WalkGraph, sources: &[(u32, f64)]) -> Vec<f64> {
    let n = g.node_count();
    let mut adj: Vec<Vec<(u32, f64)>> = vec![Vec::new(); n];
    for e in g.edges() {
        adj[e.source as usize].push((e.target, e.cost));
        adj[e.target as usize].push((e.source, e.cost));
    }
    let mut dist = vec![f64::INFINITY; n];
    let mut heap = BinaryHeap::new();
    for &(s, c) in sources {
        if c < dist[s as usize] {
            dist[s as usize] = c;
            heap.push(Reverse((c.to_bits(), s)));
        }
    }
    while let Some(Reverse((bits, v))) = heap.pop() {
        let d = f64::from_bits(bits);
        if d > dist[v as usize] {
            continue;
        }
        for &(w, c) in &adj[v as usize] {
            if d + c < dist[w as usize] {
                dist[w as usize] = d + c;
                heap.push(Reverse(((d + c).to_bits(), w)));
            }
        }
    }
    dist
}
