//! The whole analysis (inventory, stock with the land assessment, access from every
//! neighbourhood, patches, gaps, candidates, allocation) on Nanjing and on the demo district
//! generated on a 60 × 60 grid (about 3,000 neighbourhoods and 6,000 stock resources; generated
//! once into `target/bench-data/district-60x60/`). Loading and the walk graph are measured
//! separately from the analysis.
//!
//! `cargo bench --bench analysis`; one fresh-process run with per-step times:
//! `cargo run --release --example analysis_timing -- --scaled 60 60`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use infill::analysis::{allocate, analyze, AllocationRequest, AnalysisConfig};
use infill::config::Config;
use infill::io::load::load_workspace;
use infill::model::{Role, Workspace};
use infill::network::{GraphSpec, WalkGraph};

fn scaled() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-data/district-60x60");
    if !dir.join("neighbourhoods.shp").exists() {
        std::fs::create_dir_all(&dir).expect("create bench-data");
        let spec = infill::demo::DemoSpec {
            blocks_x: 60,
            blocks_y: 60,
            river_rows: (4..60).step_by(24).collect(),
            expressway_cols: (6..60).step_by(30).collect(),
            bridges_per_river: 7,
            ..infill::demo::DemoSpec::default_district()
        };
        infill::demo::write_shapefiles(&infill::demo::generate(&spec), &dir)
            .expect("generate the scaled district");
    }
    dir
}

fn load(path: &Path) -> (Workspace, WalkGraph) {
    let ws = load_workspace(&Config::load(path).expect("config")).expect("load");
    let g = WalkGraph::from_roads(ws.layer(Role::Roads).expect("roads"), &GraphSpec::default())
        .expect("graph");
    (ws, g)
}

fn bench(c: &mut Criterion) {
    let config = AnalysisConfig::default();
    let nanjing = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data/nanjing");
    let mut group = c.benchmark_group("analysis");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    for (name, path) in [("nanjing", nanjing), ("district_60x60", scaled())] {
        group.bench_function(format!("{name}/load_and_graph"), |b| b.iter(|| load(&path)));
        let (ws, g) = load(&path);
        group.bench_function(format!("{name}/analysis"), |b| {
            b.iter(|| analyze(&ws, &g, &config, &[]).expect("analysis"))
        });
        let a = analyze(&ws, &g, &config, &[]).expect("analysis");
        group.bench_function(format!("{name}/allocation_k3_together"), |b| {
            let req = AllocationRequest {
                together: true,
                ..Default::default()
            };
            b.iter(|| allocate(&a, &req).expect("allocation"))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
