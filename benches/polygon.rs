//! Band polygons of a realistic 15-minute catchment: a jittered street grid (~300 segments within
//! 900 m of the centre, UTM-like coordinates), 3 bands (5/10/15 minutes), width 50 m, 10 m cells.
//! Target (issue 3): p50 ≤ 1 ms, p99 ≤ 5 ms including the search (~20 µs).
//!
//! `cargo bench --bench polygon`; besides criterion's estimate it prints p50/p99 over a set of
//! differently jittered catchments.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use geo::{Coord, LineString};
use infill::network::polygon::{band_polygons, PolygonBuilder, PolygonSpec};

/// A small deterministic generator (no `rand` in the dev-dependencies).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Reached line parts of a street grid (spacing 130 m, intersections jittered ±20 m) around a
/// centre, by network distance ≈ grid (L1) distance: bands at 400, 800 and 1150 m of L1 distance,
/// streets kept within 900 m of the centre; partly reached streets are cut at the band limit.
fn catchment(seed: u64) -> Vec<Vec<LineString<f64>>> {
    let mut rng = Lcg(seed);
    let (ox, oy) = (500_000.0, 3_500_000.0);
    let n = 7i32;
    let spacing = 130.0;
    let mut node = std::collections::HashMap::new();
    for j in -n..=n {
        for i in -n..=n {
            let jitter = Coord {
                x: (rng.next() - 0.5) * 40.0,
                y: (rng.next() - 0.5) * 40.0,
            };
            node.insert(
                (i, j),
                Coord {
                    x: f64::from(i) * spacing + jitter.x,
                    y: f64::from(j) * spacing + jitter.y,
                },
            );
        }
    }
    let limits = [400.0, 800.0, 1150.0];
    let l1 = |c: Coord<f64>| c.x.abs() + c.y.abs();
    let mut bands = vec![Vec::new(); limits.len()];
    for j in -n..=n {
        for i in -n..=n {
            for (di, dj) in [(1, 0), (0, 1)] {
                let (Some(&a), Some(&b)) = (node.get(&(i, j)), node.get(&(i + di, j + dj))) else {
                    continue;
                };
                if a.x.hypot(a.y) > 900.0 || b.x.hypot(b.y) > 900.0 {
                    continue;
                }
                // Walk from the nearer end.
                let (a, b) = if l1(a) <= l1(b) { (a, b) } else { (b, a) };
                let len = (b.x - a.x).hypot(b.y - a.y);
                for (k, &limit) in limits.iter().enumerate() {
                    let reach = limit - l1(a);
                    if reach <= 0.0 {
                        continue;
                    }
                    let t = (reach / len).min(1.0);
                    let end = Coord {
                        x: a.x + t * (b.x - a.x),
                        y: a.y + t * (b.y - a.y),
                    };
                    let at = |c: Coord<f64>| Coord {
                        x: c.x + ox,
                        y: c.y + oy,
                    };
                    bands[k].push(LineString::new(vec![at(a), at(end)]));
                }
            }
        }
    }
    bands
}

fn polygons(c: &mut Criterion) {
    let spec = PolygonSpec::default();
    let inputs: Vec<_> = (1..=50).map(catchment).collect();
    let segments = inputs[0].last().map_or(0, Vec::len);
    let mut builder = PolygonBuilder::new();

    // p50/p99 over differently jittered catchments, with a kept builder.
    let mut times: Vec<Duration> = Vec::new();
    for round in 0..40 {
        for input in &inputs {
            let start = Instant::now();
            black_box(builder.band_polygons(black_box(input), &spec));
            if round > 0 {
                times.push(start.elapsed());
            }
        }
    }
    times.sort();
    let at = |q: f64| times[((times.len() - 1) as f64 * q) as usize];
    eprintln!(
        "band_polygons, {segments} segments in the 15-minute band, 3 bands, 50 m / 10 m: \
         p50 {:?}, p99 {:?}, max {:?} over {} runs",
        at(0.5),
        at(0.99),
        at(1.0),
        times.len()
    );

    let mut group = c.benchmark_group("polygon");
    group.bench_function("street_grid_300_segments_3_bands_builder", |b| {
        b.iter(|| builder.band_polygons(black_box(&inputs[0]), &spec))
    });
    group.bench_function("street_grid_300_segments_3_bands_free_fn", |b| {
        b.iter(|| band_polygons(black_box(&inputs[0]), &spec))
    });
    group.finish();
}

criterion_group!(benches, polygons);
criterion_main!(benches);
