//! One fresh-process run of the whole analysis on a dataset, with the time of each step and the
//! sizes that matter (neighbourhoods, stock, candidates). With `--scaled BX BY` it first
//! generates the demo district on a BX × BY grid into `target/bench-data/district-BXxBY/`.
//!
//! `cargo run --release --example analysis_timing -- ../shared/data/nanjing`
//! `cargo run --release --example analysis_timing -- --scaled 80 80`

use std::path::PathBuf;
use std::time::Instant;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let path = if args.first().map(String::as_str) == Some("--scaled") {
        let bx: u32 = args.get(1).map(|s| s.parse()).transpose()?.unwrap_or(80);
        let by: u32 = args.get(2).map(|s| s.parse()).transpose()?.unwrap_or(bx);
        scaled_district(bx, by)?
    } else {
        PathBuf::from(args.first().map(String::as_str).unwrap_or("data"))
    };
    let t = Instant::now();
    let (_ws, graph, a, load_s) = infill::cli::analyze::load_and_analyze(&path, &[])?;
    let total = t.elapsed().as_secs_f64();
    let candidates: usize = a.candidates.iter().map(|c| c.candidates.len()).sum();
    println!(
        "{}: {} neighbourhoods ({} old), {} patches, graph {} nodes / {} edges, stock {} (+{} beyond reach), candidates {} over {} types",
        path.display(),
        a.neighbourhoods.len(),
        a.neighbourhoods.iter().filter(|n| n.is_old).count(),
        a.patches.len(),
        graph.node_count(),
        graph.edge_count(),
        a.stock.len(),
        a.stock_far,
        candidates,
        a.types.len()
    );
    for (step, s) in &a.timings {
        println!("  {step:<22} {s:>8.3} s");
    }
    let analysis: f64 = a.timings.iter().map(|t| t.1).sum();
    println!("  load + graph           {load_s:>8.3} s");
    println!("  analysis               {analysis:>8.3} s");
    println!("  total                  {total:>8.3} s");
    Ok(())
}

/// The demo generator on a larger grid (a river every 24 rows, an expressway every 30 columns).
pub fn scaled_district(bx: u32, by: u32) -> anyhow::Result<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join(format!("target/bench-data/district-{bx}x{by}"));
    if !dir.join("neighbourhoods.shp").exists() {
        std::fs::create_dir_all(&dir)?;
        let spec = infill::demo::DemoSpec {
            blocks_x: bx,
            blocks_y: by,
            river_rows: (4..by).step_by(24).collect(),
            expressway_cols: (6..bx).step_by(30).collect(),
            bridges_per_river: (bx / 8).max(2),
            ..infill::demo::DemoSpec::default_district()
        };
        let district = infill::demo::generate(&spec);
        infill::demo::write_shapefiles(&district, &dir)?;
    }
    Ok(dir)
}
