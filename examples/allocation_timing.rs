//! Times location-allocation on a large synthetic instance and prints what each solver achieved:
//! `cargo run --release --example allocation_timing -- [DEMAND CANDIDATES K RADIUS_M]`
//! (defaults 1000 5000 20 500).
//!
//! Demand points and candidate sites are scattered uniformly over a 6 km × 6 km district; a site
//! covers the points within `RADIUS_M` (straight line here, standing in for the network band).
//! Candidates come in pairs at one location with two facility types, and demand in two types,
//! so the all-types run exercises the one-site-per-location rule.

use std::time::Instant;

use infill::analysis::allocation::{
    Allocation, Budget, CandidateSite, CoverageProblem, SolveOptions,
};

fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn uniform(state: &mut u64, max: f64) -> f64 {
    (splitmix(state) >> 11) as f64 / (1u64 << 53) as f64 * max
}

const SIDE_M: f64 = 6000.0;

/// Demand of type `d % 2`; candidate `c` at location `c / 2` of type `c % 2`.
fn district(demand: usize, candidates: usize, radius: f64) -> CoverageProblem {
    let mut rng = 7;
    let points: Vec<(f64, f64)> = (0..demand)
        .map(|_| (uniform(&mut rng, SIDE_M), uniform(&mut rng, SIDE_M)))
        .collect();
    let weights = (0..demand)
        .map(|_| uniform(&mut rng, 500.0).round())
        .collect();
    let mut sites = Vec::with_capacity(candidates);
    let mut at = (0.0, 0.0);
    for c in 0..candidates {
        if c % 2 == 0 {
            at = (uniform(&mut rng, SIDE_M), uniform(&mut rng, SIDE_M));
        }
        let covers = (0..demand)
            .filter(|&d| d % 2 == c % 2)
            .filter(|&d| (points[d].0 - at.0).hypot(points[d].1 - at.1) <= radius)
            .collect();
        sites.push(CandidateSite::new(c / 2, c % 2, covers));
    }
    CoverageProblem::new(weights, sites).unwrap_or_else(|e| panic!("synthetic instance: {e}"))
}

fn timed(label: &str, solve: impl Fn() -> Allocation) {
    // One warm-up run, then the median of five.
    let mut times = Vec::new();
    let mut answer = solve();
    for _ in 0..5 {
        let start = Instant::now();
        answer = solve();
        times.push(start.elapsed().as_secs_f64() * 1e3);
    }
    times.sort_by(f64::total_cmp);
    println!(
        "{label:<44} {:>9.2} ms  sites {:>4}  covered {:>9.0} of {:>9.0}  (greedy {:>9.0}, moves {:>3}, {:?})",
        times[2],
        answer.chosen.len(),
        answer.covered_after,
        answer.total_weight,
        answer.trace.greedy_covered,
        answer.trace.improving_moves,
        answer.optimality,
    );
}

fn main() {
    let args: Vec<f64> = std::env::args()
        .skip(1)
        .map(|a| a.parse().unwrap_or_else(|_| panic!("not a number: {a}")))
        .collect();
    let arg = |i: usize, default: f64| args.get(i).copied().unwrap_or(default);
    let (demand, candidates) = (arg(0, 1000.0) as usize, arg(1, 5000.0) as usize);
    let (k, radius) = (arg(2, 20.0) as usize, arg(3, 500.0));
    let start = Instant::now();
    let problem = district(demand, candidates, radius);
    let entries: usize = problem.candidates().iter().map(|c| c.covers.len()).sum();
    println!(
        "{demand} demand points, {candidates} candidates ({} locations), k = {k}, radius {radius} m: \
         {entries} coverage entries ({:.1} per candidate), built in {:.0} ms",
        candidates.div_ceil(2),
        entries as f64 / candidates as f64,
        start.elapsed().as_secs_f64() * 1e3
    );
    let heuristic = SolveOptions {
        exact_work_limit: 0,
    };
    let exact = SolveOptions::default();
    let single_type = Budget::per_type([(0, k), (1, 0)]);
    let all_types = Budget::per_type([(0, k), (1, k)]).with_total(k * 3 / 2);
    timed("MCLP one type, greedy + swap", || {
        problem.maximal_covering_with(&single_type, &heuristic)
    });
    timed("MCLP one type, + exact search (default)", || {
        problem.maximal_covering_with(&single_type, &exact)
    });
    timed("MCLP all types (k per type, 1.5k total)", || {
        problem.maximal_covering_with(&all_types, &heuristic)
    });
    timed("MCLP all types, + exact search (default)", || {
        problem.maximal_covering_with(&all_types, &exact)
    });
    timed("LSCP, greedy + improvement", || {
        problem.set_covering_with(&heuristic)
    });
    timed("LSCP, + exact search (default)", || {
        problem.set_covering_with(&exact)
    });
}
