//! The walk network on Porto (../shared/data/osm/porto.osm.pbf): graph build, 15-minute search
//! from one node (criterion mean, plus p50/p99 over 1,000 random sources printed to stderr),
//! a 5/10/15-minute catchment without and with its band polygons (50 m / 10 m; p50/p99 of the
//! 15-minute catchment with polygon over the same sources printed too), and 1,000 snapped
//! origins in one multi-source search.
//!
//! `cargo bench --bench network`. The comparison with pgRouting/networkx goes through
//! `infill graph-export` and `infill catchment-bench [--polygon]`.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use geo::Coord;
use infill::config::Config;
use infill::io::load::load_workspace;
use infill::model::{Layer, Role, Workspace};
use infill::network::polygon::{PolygonBuilder, PolygonSpec};
use infill::network::{
    catchment, snap_node, snap_origins, CatchmentSpec, GraphSpec, Origin, OriginSnap, Search,
    WalkGraph,
};

fn porto() -> PathBuf {
    let beside = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data/osm/porto.osm.pbf");
    let path = std::env::var("INFILL_SHARED_DATA")
        .map(|d| PathBuf::from(d).join("osm/porto.osm.pbf"))
        .unwrap_or(beside);
    if path.exists() {
        path
    } else {
        PathBuf::from("/work/shared/data/osm/porto.osm.pbf")
    }
}

fn load() -> Workspace {
    load_workspace(&Config::load(&porto()).expect("config")).expect("load Porto")
}

fn roads(ws: &Workspace) -> &Layer {
    ws.layer(Role::Roads).expect("roads")
}

fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn random_nodes(g: &WalkGraph, n: usize, seed: u64) -> Vec<u32> {
    let mut s = seed;
    (0..n)
        .map(|_| (splitmix(&mut s) % g.node_count() as u64) as u32)
        .collect()
}

const BOUND_15_MIN: f64 = 900.0;

fn network(c: &mut Criterion) {
    let ws = load();
    let spec = GraphSpec::default();
    let g = WalkGraph::from_roads(roads(&ws), &spec).expect("graph");
    eprintln!(
        "Porto walk graph: {} nodes, {} edges",
        g.node_count(),
        g.edge_count()
    );

    let mut group = c.benchmark_group("network_porto");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(15));
    group.bench_function("graph_build_from_roads_layer", |b| {
        b.iter(|| WalkGraph::from_roads(roads(&ws), &spec).expect("graph"))
    });
    group.bench_function("graph_build_from_pbf", |b| {
        b.iter(|| {
            let ws = load();
            WalkGraph::from_roads(roads(&ws), &spec)
                .expect("graph")
                .edge_count()
        })
    });
    group.finish();

    // Percentiles of single searches: criterion reports means, the targets are p50/p99.
    let sources = random_nodes(&g, 1000, 1);
    let mut search = Search::new(&g);
    let mut samples = Vec::new();
    for run in 0..6 {
        for &s in &sources {
            let t = Instant::now();
            search.run(&g, &[(s, 0.0)], BOUND_15_MIN);
            std::hint::black_box(search.reached().len());
            if run > 0 {
                samples.push(t.elapsed().as_secs_f64() * 1e6);
            }
        }
    }
    samples.sort_by(f64::total_cmp);
    let pct = |p: f64| samples[((samples.len() - 1) as f64 * p).round() as usize];
    eprintln!(
        "15-minute search alone over {} sources: p50 {:.2} µs, p99 {:.2} µs",
        sources.len(),
        pct(0.5),
        pct(0.99)
    );

    let mut group = c.benchmark_group("network_porto_search");
    let mut k = 0;
    group.bench_function("search_15_min_one_source", |b| {
        b.iter(|| {
            k = (k + 1) % sources.len();
            search.run(&g, &[(sources[k], 0.0)], BOUND_15_MIN);
            search.reached().len()
        })
    });
    let cspec = CatchmentSpec::default();
    let node_origin = |n: u32| {
        vec![OriginSnap {
            origin: Origin {
                label: "node".into(),
                point: g.node(n),
            },
            snap: snap_node(&g, n),
        }]
    };
    group.bench_function("catchment_5_10_15_min", |b| {
        b.iter_batched(
            || {
                k = (k + 1) % sources.len();
                node_origin(sources[k])
            },
            |origins| catchment(&g, &mut search, origins, &cspec).expect("catchment"),
            BatchSize::SmallInput,
        )
    });
    let pspec = PolygonSpec::default();
    let mut builder = PolygonBuilder::new();
    group.bench_function("catchment_5_10_15_min_with_polygons", |b| {
        b.iter_batched(
            || {
                k = (k + 1) % sources.len();
                node_origin(sources[k])
            },
            |origins| {
                let c = catchment(&g, &mut search, origins, &cspec).expect("catchment");
                c.band_polygons(&g, &mut builder, &pspec)
            },
            BatchSize::SmallInput,
        )
    });

    // Percentiles of the 15-minute catchment with its polygon (one band, as `catchment-bench
    // --polygon` and the peers).
    let spec15 = CatchmentSpec {
        minutes: vec![15.0],
        ..CatchmentSpec::default()
    };
    // Also over each source's fastest run: a busy machine's preemption adds whole time slices
    // to single samples, which the fastest run escapes.
    let mut samples = Vec::new();
    let mut best = vec![f64::INFINITY; sources.len()];
    for run in 0..4 {
        for (k, &s) in sources.iter().enumerate() {
            let origins = node_origin(s);
            let t = Instant::now();
            let c = catchment(&g, &mut search, origins, &spec15).expect("catchment");
            std::hint::black_box(c.band_polygons(&g, &mut builder, &pspec));
            if run > 0 {
                let us = t.elapsed().as_secs_f64() * 1e6;
                samples.push(us);
                best[k] = best[k].min(us);
            }
        }
    }
    samples.sort_by(f64::total_cmp);
    best.sort_by(f64::total_cmp);
    let pct = |v: &[f64], p: f64| v[((v.len() - 1) as f64 * p).round() as usize];
    eprintln!(
        "15-minute catchment + polygon (50 m / 10 m) over {} sources: p50 {:.0} µs, p99 {:.0} µs; \
         fastest of 3 runs per source: p50 {:.0} µs, p99 {:.0} µs",
        sources.len(),
        pct(&samples, 0.5),
        pct(&samples, 0.99),
        pct(&best, 0.5),
        pct(&best, 0.99)
    );

    let extent = roads(&ws).extent().expect("extent");
    let mut s = 7;
    let points: Vec<Origin> = (0..1000)
        .map(|_| {
            let fx = (splitmix(&mut s) % 10_000) as f64 / 10_000.0;
            let fy = (splitmix(&mut s) % 10_000) as f64 / 10_000.0;
            Origin {
                label: "point".into(),
                point: Coord {
                    x: extent.min().x + fx * extent.width(),
                    y: extent.min().y + fy * extent.height(),
                },
            }
        })
        .collect();
    group.bench_function("snap_1000_origins_and_one_multi_source_catchment", |b| {
        b.iter_batched(
            || points.clone(),
            |points| {
                let origins = snap_origins(&g, points, cspec.snap_cap_m);
                catchment(&g, &mut search, origins, &cspec).expect("catchment")
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

criterion_group!(benches, network);
criterion_main!(benches);
