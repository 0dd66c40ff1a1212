//! Walking access from every neighbourhood: one bounded network search per neighbourhood (from
//! its origins, as [`neighbourhood_origins`] defines them) and the network distance to every target
//! point (stock resources, facilities, other neighbourhoods' origins) within the bound. Targets are
//! snapped once, like origins; membership is decided by network distance, never by a drawn polygon.
//!
//! Distances are effective metres (steps weighted as the graph weights them), so one search serves
//! every walking profile: a type's time is distance ÷ its profile's speed.

use std::collections::HashMap;

use geo::{Coord, Geometry};

use crate::network::{
    catchment, neighbourhood_origins, snap_point, CatchmentSpec, OriginSnap, Search, Snap,
    WalkGraph,
};

/// Targets snapped to the walk network once, indexed by the edge they sit on.
#[derive(Clone, Debug, Default)]
pub struct Targets {
    snaps: Vec<Option<Snap>>,
    by_edge: HashMap<u32, Vec<u32>>,
}

impl Targets {
    /// Snap every point within `cap_m` of the network; farther points are never reached.
    pub fn snap(graph: &WalkGraph, points: &[Coord<f64>], cap_m: f64) -> Targets {
        Targets::from_snaps(
            points
                .iter()
                .map(|p| snap_point(graph, *p, cap_m))
                .collect(),
        )
    }

    /// Targets already snapped (`None`: off the network).
    pub fn from_snaps(snaps: Vec<Option<Snap>>) -> Targets {
        let mut by_edge: HashMap<u32, Vec<u32>> = HashMap::new();
        for (i, s) in snaps.iter().enumerate() {
            if let Some(s) = s {
                by_edge.entry(s.edge).or_default().push(i as u32);
            }
        }
        Targets { snaps, by_edge }
    }

    /// Number of targets.
    pub fn len(&self) -> usize {
        self.snaps.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.snaps.is_empty()
    }

    /// The snap of target `i`.
    pub fn snap_of(&self, i: usize) -> Option<&Snap> {
        self.snaps.get(i).and_then(|s| s.as_ref())
    }
}

/// Network distances from each neighbourhood to the targets within the bound.
#[derive(Clone, Debug, Default)]
pub struct Access {
    /// The search bound, effective metres.
    pub bound_m: f64,
    /// Per neighbourhood (in the order given): (target, distance m) sorted by target.
    pub reach: Vec<Vec<(u32, f64)>>,
    /// Per neighbourhood: its origins and their snaps (unsnapped ones included, for reports).
    pub origins: Vec<Vec<OriginSnap>>,
}

impl Access {
    /// The same distances by target: for each of `targets` targets, (neighbourhood, distance)
    /// sorted by neighbourhood.
    pub fn by_target(&self, targets: usize) -> Vec<Vec<(usize, f64)>> {
        let mut out = vec![Vec::new(); targets];
        for (n, r) in self.reach.iter().enumerate() {
            for &(t, d) in r {
                out[t as usize].push((n, d));
            }
        }
        out
    }

    /// Distance from neighbourhood `n` to target `t`, if within the bound.
    pub fn distance(&self, n: usize, t: u32) -> Option<f64> {
        let r = &self.reach[n];
        r.binary_search_by_key(&t, |x| x.0).ok().map(|i| r[i].1)
    }
}

/// Every neighbourhood's origins (see [`neighbourhood_origins`]: its gates when it has any,
/// else where the network enters or lies inside it and its centroid), in the order given.
/// `gates[i]` are the gates of `areas[i]` (empty when there is no gates layer).
pub fn origins_of(
    graph: &WalkGraph,
    areas: &[&Geometry<f64>],
    gates: &[Vec<Coord<f64>>],
    snap_cap_m: f64,
) -> Vec<Vec<OriginSnap>> {
    areas
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let g = gates.get(i).map(Vec::as_slice).unwrap_or(&[]);
            neighbourhood_origins(graph, a, g, snap_cap_m)
        })
        .collect()
}

/// Search from every neighbourhood's origins up to `bound_m` (effective metres) and record the
/// distance to every target within it. Runs on all cores; the result does not depend on their
/// number.
pub fn neighbourhood_access(
    graph: &WalkGraph,
    origins: Vec<Vec<OriginSnap>>,
    targets: &Targets,
    bound_m: f64,
    snap_cap_m: f64,
) -> Access {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 8);
    let chunk = origins.len().div_ceil(threads).max(1);
    let spec = CatchmentSpec {
        minutes: vec![bound_m / 60.0],
        speed_m_per_s: 1.0,
        snap_cap_m,
    };
    let mut reach: Vec<Vec<(u32, f64)>> = Vec::with_capacity(origins.len());
    std::thread::scope(|scope| {
        let handles: Vec<_> = origins
            .chunks(chunk)
            .map(|part| {
                let spec = &spec;
                scope.spawn(move || {
                    let mut search = Search::new(graph);
                    part.iter()
                        .map(|o| reach_from(graph, &mut search, o, targets, spec))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for h in handles {
            match h.join() {
                Ok(part) => reach.extend(part),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
    });
    Access {
        bound_m,
        reach,
        origins,
    }
}

fn reach_from(
    graph: &WalkGraph,
    search: &mut Search,
    origins: &[OriginSnap],
    targets: &Targets,
    spec: &CatchmentSpec,
) -> Vec<(u32, f64)> {
    if spec.minutes[0] <= 0.0 || !origins.iter().any(|o| o.snap.is_some()) {
        return Vec::new();
    }
    let Ok(c) = catchment(graph, search, origins.to_vec(), spec) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for r in &c.reached_edges {
        if let Some(ts) = targets.by_edge.get(&r.edge) {
            for &t in ts {
                if let Some(s) = &targets.snaps[t as usize] {
                    if let Some(d) = c.time_s(graph, s) {
                        out.push((t, d));
                    }
                }
            }
        }
    }
    out.sort_unstable_by_key(|x| x.0);
    out.dedup_by_key(|x| x.0);
    out
}
