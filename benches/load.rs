//! Load + index of ~1M building footprints from one GBK shapefile (the generated district
//! scaled up). The input is generated once into `target/bench-data/buildings-1m/`.
//!
//! `cargo bench --bench load`; peak memory and the pyogrio comparison: `benches/compare_load.sh`.

use std::path::PathBuf;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use infill::config::Config;
use infill::io::load::load_workspace;

fn input() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-data/buildings-1m");
    if !dir.join("buildings.shp").exists() {
        std::fs::create_dir_all(&dir).expect("create bench-data");
        infill::demo::write_buildings_only(&infill::demo::DemoSpec::scaled(1_000_000), &dir)
            .expect("generate the benchmark input");
    }
    dir
}

fn load_1m(c: &mut Criterion) {
    let dir = input();
    let config = Config::load(&dir).expect("config");
    let mut group = c.benchmark_group("load");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(40));
    group.bench_function("buildings_1m_gbk_shapefile_load_and_index", |b| {
        b.iter(|| {
            let ws = load_workspace(&config).expect("load");
            assert!(ws.layers().next().is_some_and(|l| l.len() > 900_000));
            ws
        })
    });
    group.finish();
}

criterion_group!(benches, load_1m);
criterion_main!(benches);
