//! Network-exact walking catchments: every band from one bounded multi-source search, partly
//! reached edges counted by their reachable fraction, membership of features by network time.
//!
//! Walking speeds follow GB 50180-2018 《城市居住区规划设计标准》, whose life circles are
//! 15 minutes ≈ 800–1000 m, 10 minutes ≈ 500 m and 5 minutes ≈ 300 m on foot: the default profile
//! walks 1.0 m/s (900 m in 15 minutes, mid-range of the standard), the `elderly` profile 0.8 m/s
//! (720 m in 15 minutes).

use geo::{Contains, Coord, Geometry, InteriorPoint, Line, LineString, MultiPolygon, Point};
use thiserror::Error;

use super::graph::WalkGraph;
use super::polygon::{BandLines, PolygonBuilder, PolygonSpec};
use super::search::Search;
use super::snap::{snap_on_segment, snap_point, Snap, DEFAULT_SNAP_CAP_M};
use crate::model::{Layer, Semantic};

/// Default walking speed, m/s (GB 50180-2018: 15 min ≈ 800–1000 m; 1.0 m/s gives 900 m).
pub const DEFAULT_SPEED_M_PER_S: f64 = 1.0;
/// Walking speed of the `elderly` profile, m/s (720 m in 15 minutes).
pub const ELDERLY_SPEED_M_PER_S: f64 = 0.8;
/// Default bands in minutes: the 5-, 10- and 15-minute life circles of GB 50180-2018
/// (≈ 300 m, ≈ 500 m, ≈ 800–1000 m).
pub const DEFAULT_MINUTES: [f64; 3] = [5.0, 10.0, 15.0];

/// Why a catchment cannot be computed.
#[derive(Debug, Error, PartialEq)]
pub enum CatchmentError {
    /// The options make no sense.
    #[error("invalid catchment option: {0}")]
    BadSpec(String),
    /// A profile name that is not known.
    #[error("unknown walking profile {0:?} (known: default, elderly)")]
    UnknownProfile(String),
}

/// A walking profile: a named speed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Profile {
    /// `default` or `elderly`.
    pub name: &'static str,
    /// Walking speed, m/s.
    pub speed_m_per_s: f64,
}

impl Profile {
    /// The profile of a name: `default` (1.0 m/s) or `elderly` (0.8 m/s).
    pub fn named(name: &str) -> Result<Profile, CatchmentError> {
        match name.trim().to_ascii_lowercase().as_str() {
            "default" | "" => Ok(Profile {
                name: "default",
                speed_m_per_s: DEFAULT_SPEED_M_PER_S,
            }),
            "elderly" => Ok(Profile {
                name: "elderly",
                speed_m_per_s: ELDERLY_SPEED_M_PER_S,
            }),
            other => Err(CatchmentError::UnknownProfile(other.to_string())),
        }
    }
}

/// What to compute.
#[derive(Clone, Debug, PartialEq)]
pub struct CatchmentSpec {
    /// Band limits in minutes, increasing. Default 5, 10, 15.
    pub minutes: Vec<f64>,
    /// Walking speed, m/s. Default 1.0.
    pub speed_m_per_s: f64,
    /// Snapping cap, metres. Default 250.
    pub snap_cap_m: f64,
}

impl Default for CatchmentSpec {
    fn default() -> Self {
        CatchmentSpec {
            minutes: DEFAULT_MINUTES.to_vec(),
            speed_m_per_s: DEFAULT_SPEED_M_PER_S,
            snap_cap_m: DEFAULT_SNAP_CAP_M,
        }
    }
}

impl CatchmentSpec {
    fn validate(&self) -> Result<(), CatchmentError> {
        if self.minutes.is_empty() {
            return Err(CatchmentError::BadSpec("no band given".into()));
        }
        if self.minutes.iter().any(|m| !(m.is_finite() && *m > 0.0))
            || self.minutes.windows(2).any(|w| w[0] >= w[1])
        {
            return Err(CatchmentError::BadSpec(format!(
                "bands {:?} must be positive minutes in increasing order",
                self.minutes
            )));
        }
        if !(self.speed_m_per_s.is_finite() && self.speed_m_per_s > 0.0) {
            return Err(CatchmentError::BadSpec(format!(
                "speed {} m/s must be a positive number",
                self.speed_m_per_s
            )));
        }
        if !(self.snap_cap_m.is_finite() && self.snap_cap_m >= 0.0) {
            return Err(CatchmentError::BadSpec(format!(
                "snap cap {} m must be a number ≥ 0",
                self.snap_cap_m
            )));
        }
        Ok(())
    }

    /// The cost bound (effective metres) of band `k`.
    pub fn bound(&self, k: usize) -> f64 {
        self.minutes[k] * 60.0 * self.speed_m_per_s
    }
}

/// Where a search starts.
#[derive(Clone, Debug, PartialEq)]
pub struct Origin {
    /// What it is, for reports (`"point"`, `"centroid"`, `"entry"`, `"inside"` …).
    pub label: String,
    /// Its position (working CRS).
    pub point: Coord<f64>,
}

/// An origin and where it sits on the network; `snap` is `None` for an origin farther than the
/// cap from every walkable way (reported, never dropped silently).
#[derive(Clone, Debug, PartialEq)]
pub struct OriginSnap {
    /// The origin.
    pub origin: Origin,
    /// Its snap, if within the cap.
    pub snap: Option<Snap>,
}

/// One band of a catchment.
#[derive(Clone, Debug, PartialEq)]
pub struct Band {
    /// The band's limit, minutes.
    pub minutes: f64,
    /// Sum of reached edge length (partly reached edges by their reached part), metres.
    pub reached_length_m: f64,
    /// Number of graph nodes reached within the limit.
    pub reached_nodes: usize,
}

/// An edge reached by the outermost band; its reached fractions per band are
/// [`Catchment::fractions`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ReachedEdge {
    /// The edge id.
    pub edge: u32,
}

/// A computed catchment.
#[derive(Clone, Debug, PartialEq)]
pub struct Catchment {
    /// What was computed.
    pub spec: CatchmentSpec,
    /// Bands in increasing time; nested by construction (one search).
    pub bands: Vec<Band>,
    /// Every edge the outermost band reaches, by edge id.
    pub reached_edges: Vec<ReachedEdge>,
    /// Reached fraction (0..=1) of each reached edge per band: `bands.len()` values per entry of
    /// `reached_edges`, in the same order (one flat array: no allocation per edge).
    fractions: Vec<f64>,
    /// Where each (reached edge, band)'s stretches end in `stretches`, in the order of
    /// `fractions`, after a leading 0.
    stretch_end: Vec<u32>,
    /// Reached stretches of the reached edges as (from, to) metres from the edge's source:
    /// sorted, disjoint, each of positive length.
    stretches: Vec<(f64, f64)>,
    /// Every origin and its snap, unsnappable ones included.
    pub snaps: Vec<OriginSnap>,
    /// Reached nodes with their cost (effective metres), sorted by node.
    node_costs: Vec<(u32, f64)>,
    /// Origins on the network: (edge, offset m, starting cost), sorted by edge.
    seeds: Vec<(u32, f64, f64)>,
}

impl Catchment {
    /// Reached fraction of the `i`-th reached edge's length per band, in band order.
    pub fn fractions(&self, i: usize) -> &[f64] {
        let nb = self.bands.len();
        &self.fractions[i * nb..(i + 1) * nb]
    }

    /// Reached stretches of the `i`-th reached edge in band `k`, as (from, to) plan distances in
    /// metres from the edge's source: sorted, disjoint, each of positive length.
    pub fn stretches(&self, i: usize, k: usize) -> &[(f64, f64)] {
        let at = i * self.bands.len() + k;
        &self.stretches[self.stretch_end[at] as usize..self.stretch_end[at + 1] as usize]
    }

    /// The reached line parts of band `k` (working CRS), one per reached stretch of an edge.
    /// Built on demand: the search itself draws nothing.
    pub fn band_parts(&self, graph: &WalkGraph, k: usize) -> Vec<LineString<f64>> {
        (0..self.reached_edges.len())
            .flat_map(|i| {
                let e = self.reached_edges[i].edge;
                self.stretches(i, k)
                    .iter()
                    .map(move |&(a, z)| graph.edge_part(e, a, z))
            })
            .collect()
    }

    /// Writes every reached stretch into `out` once, with the first band that reaches it: band
    /// `k` gets what it reaches beyond band `k − 1` (bands are nested, so band `k`'s lines are
    /// those of bands ≤ `k`). The input of [`PolygonBuilder::lines_polygons`].
    pub fn band_lines(&self, graph: &WalkGraph, out: &mut BandLines) {
        let nb = self.bands.len();
        out.clear(nb);
        for k in 0..nb {
            for (i, r) in self.reached_edges.iter().enumerate() {
                let before: &[(f64, f64)] = if k > 0 { self.stretches(i, k - 1) } else { &[] };
                let mut before = before.iter().peekable();
                for &(a, z) in self.stretches(i, k) {
                    // The stretches of band k − 1 lie within those of band k: emit the gaps.
                    let mut at = a;
                    while let Some(&&(pa, pz)) = before.peek() {
                        if pa >= z {
                            break;
                        }
                        if pa > at {
                            out.push_line(k, graph.edge_part_coords(r.edge, at, pa));
                        }
                        at = at.max(pz);
                        before.next();
                    }
                    if z > at {
                        out.push_line(k, graph.edge_part_coords(r.edge, at, z));
                    }
                }
            }
        }
    }

    /// One polygon per band (see [`super::polygon`]): the reached stretches buffered by
    /// `spec.width_m` on one grid, nested exactly. `builder` keeps its buffers between calls.
    pub fn band_polygons(
        &self,
        graph: &WalkGraph,
        builder: &mut PolygonBuilder,
        spec: &PolygonSpec,
    ) -> Vec<MultiPolygon<f64>> {
        builder.polygons_with(spec, |lines| self.band_lines(graph, lines))
    }

    /// Network walking time in seconds from the catchment's origins to a snapped position
    /// (its off-network leg included); `None` beyond the outermost band.
    pub fn time_s(&self, graph: &WalkGraph, snap: &Snap) -> Option<f64> {
        let e = graph.edge(snap.edge);
        let f = e.factor();
        let node = |n: u32| {
            self.node_costs
                .binary_search_by_key(&n, |x| x.0)
                .ok()
                .map(|i| self.node_costs[i].1)
        };
        let mut best = f64::INFINITY;
        if let Some(c) = node(e.source) {
            best = best.min(c + snap.offset_m * f);
        }
        if let Some(c) = node(e.target) {
            best = best.min(c + (e.length_m - snap.offset_m) * f);
        }
        let from = self.seeds.partition_point(|s| s.0 < snap.edge);
        for s in self.seeds[from..].iter().take_while(|s| s.0 == snap.edge) {
            best = best.min(s.2 + (s.1 - snap.offset_m).abs() * f);
        }
        let total = best + snap.distance_m;
        let bound = self.spec.bound(self.spec.minutes.len() - 1);
        (total <= bound).then(|| total / self.spec.speed_m_per_s)
    }

    /// Reached nodes with their network time in seconds, sorted by node.
    pub fn node_times(&self) -> impl Iterator<Item = (u32, f64)> + '_ {
        self.node_costs
            .iter()
            .map(|&(n, c)| (n, c / self.spec.speed_m_per_s))
    }
}

/// Compute a catchment from origins already snapped (see [`snap_origins`],
/// [`neighbourhood_origins`]). Unsnapped origins are kept in [`Catchment::snaps`] and do not
/// contribute. `search` is reused between calls.
pub fn catchment(
    graph: &WalkGraph,
    search: &mut Search,
    origins: Vec<OriginSnap>,
    spec: &CatchmentSpec,
) -> Result<Catchment, CatchmentError> {
    spec.validate()?;
    let outer = spec.bound(spec.minutes.len() - 1);
    let mut seeds: Vec<(u32, f64, f64)> = Vec::new();
    let mut sources: Vec<(u32, f64)> = Vec::new();
    for o in &origins {
        if let Some(s) = &o.snap {
            let e = graph.edge(s.edge);
            let f = e.factor();
            seeds.push((s.edge, s.offset_m, s.distance_m));
            sources.push((e.source, s.distance_m + s.offset_m * f));
            sources.push((e.target, s.distance_m + (e.length_m - s.offset_m) * f));
        }
    }
    seeds.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
    search.run(graph, &sources, outer);
    let mut node_costs: Vec<(u32, f64)> = search
        .reached()
        .iter()
        .filter_map(|&n| search.cost(n).map(|c| (n, c)))
        .collect();
    node_costs.sort_by_key(|x| x.0);

    // Candidate edges: those at reached nodes, and those holding an origin.
    let mut edges: Vec<u32> = search
        .reached()
        .iter()
        .flat_map(|&n| graph.neighbours(n).map(|(_, e, _)| e))
        .chain(seeds.iter().map(|s| s.0))
        .collect();
    edges.sort_unstable();
    edges.dedup();

    let mut bands: Vec<Band> = spec
        .minutes
        .iter()
        .map(|&m| Band {
            minutes: m,
            reached_length_m: 0.0,
            reached_nodes: 0,
        })
        .collect();
    for &(_, c) in &node_costs {
        for (k, band) in bands.iter_mut().enumerate() {
            if c <= spec.bound(k) {
                band.reached_nodes += 1;
            }
        }
    }
    let mut reached_edges = Vec::new();
    let mut fractions: Vec<f64> = Vec::new();
    let mut stretch_end: Vec<u32> = vec![0];
    let mut stretches: Vec<(f64, f64)> = Vec::new();
    let mut intervals: Vec<(f64, f64)> = Vec::new();
    let mut merged: Vec<(f64, f64)> = Vec::new();
    for e in edges {
        let edge = graph.edge(e);
        let (len, f) = (edge.length_m, edge.factor());
        let (cs, ct) = (search.cost(edge.source), search.cost(edge.target));
        let from = seeds.partition_point(|s| s.0 < e);
        let on_edge = &seeds[from..from + seeds[from..].iter().take_while(|s| s.0 == e).count()];
        let (start, stretches_start) = (fractions.len(), stretches.len());
        for (k, band) in bands.iter_mut().enumerate() {
            let b = spec.bound(k);
            intervals.clear();
            if let Some(c) = cs.filter(|c| *c <= b) {
                intervals.push((0.0, ((b - c) / f).min(len)));
            }
            if let Some(c) = ct.filter(|c| *c <= b) {
                intervals.push(((len - (b - c) / f).max(0.0), len));
            }
            for &(_, o, c) in on_edge.iter().filter(|s| s.2 <= b) {
                let r = (b - c) / f;
                intervals.push(((o - r).max(0.0), (o + r).min(len)));
            }
            intervals.sort_by(|x, y| x.0.total_cmp(&y.0));
            let mut reached = 0.0;
            merged.clear();
            for &(a, z) in &intervals {
                match merged.last_mut() {
                    Some(last) if a <= last.1 => last.1 = last.1.max(z),
                    _ => merged.push((a, z)),
                }
            }
            for &(a, z) in &merged {
                reached += z - a;
                if z > a {
                    stretches.push((a, z));
                }
            }
            band.reached_length_m += reached;
            fractions.push(if len > 0.0 { reached / len } else { 0.0 });
            stretch_end.push(stretches.len() as u32);
        }
        if fractions.last().is_some_and(|f| *f > 0.0) {
            reached_edges.push(ReachedEdge { edge: e });
        } else {
            fractions.truncate(start);
            stretches.truncate(stretches_start);
            stretch_end.truncate(start + 1);
        }
    }
    Ok(Catchment {
        spec: spec.clone(),
        bands,
        reached_edges,
        fractions,
        stretch_end,
        stretches,
        snaps: origins,
        node_costs,
        seeds,
    })
}

/// Snap point origins within `cap_m`.
pub fn snap_origins(graph: &WalkGraph, origins: Vec<Origin>, cap_m: f64) -> Vec<OriginSnap> {
    origins
        .into_iter()
        .map(|origin| OriginSnap {
            snap: snap_point(graph, origin.point, cap_m),
            origin,
        })
        .collect()
}

/// How far (metres) outside every neighbourhood a gate without a link may lie and still belong
/// to the nearest one: a gate drawn on the kerb or the wall line rather than inside.
pub const GATE_REACH_M: f64 = 30.0;

/// Gates (points of the gates layer) sorted by neighbourhood, see [`gates_by_neighbourhood`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NeighbourhoodGates {
    /// Per neighbourhood (record order of the neighbourhoods layer), its gates' positions.
    pub gates: Vec<Vec<Coord<f64>>>,
    /// Gates (0-based records of the gates layer) that belong to no neighbourhood: no link that
    /// names one, inside none, and farther than the reach from all.
    pub unassigned: Vec<usize>,
}

/// Which neighbourhood each gate belongs to: the one its link field
/// ([`Semantic::Neighbourhood`]: `SSXQ`, `XQID`, …) names by id or name; else the one whose
/// polygon contains it; else the nearest within `reach_m` (default [`GATE_REACH_M`]).
pub fn gates_by_neighbourhood(
    neighbourhoods: &Layer,
    gates: &Layer,
    reach_m: f64,
) -> NeighbourhoodGates {
    use geo::{BoundingRect, Distance, Euclidean};
    let n = neighbourhoods.len();
    let mut out = NeighbourhoodGates {
        gates: vec![Vec::new(); n],
        unassigned: Vec::new(),
    };
    let mut by_key: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    // Ids first, so that an id wins over another neighbourhood's equal name.
    for semantic in [Semantic::Name, Semantic::Id] {
        for j in 0..n {
            if let Some(k) = neighbourhoods.text(j, semantic).filter(|k| !k.is_empty()) {
                by_key.insert(k, j);
            }
        }
    }
    let boxes: Vec<_> = neighbourhoods
        .geometries()
        .iter()
        .map(|g| g.bounding_rect())
        .collect();
    for i in 0..gates.len() {
        let point = match gates.geometry(i) {
            Geometry::Point(p) => *p,
            Geometry::MultiPoint(mp) if !mp.0.is_empty() => mp.0[0],
            _ => {
                out.unassigned.push(i);
                continue;
            }
        };
        let linked = gates
            .text(i, Semantic::Neighbourhood)
            .and_then(|k| by_key.get(k).copied());
        let inside = || {
            (0..n).find(|&j| {
                boxes[j].is_some_and(|b| {
                    b.min().x <= point.x()
                        && point.x() <= b.max().x
                        && b.min().y <= point.y()
                        && point.y() <= b.max().y
                }) && neighbourhoods.geometry(j).contains(&point)
            })
        };
        let nearest = || {
            (0..n)
                .filter(|&j| {
                    boxes[j].is_some_and(|b| {
                        b.min().x - reach_m <= point.x()
                            && point.x() <= b.max().x + reach_m
                            && b.min().y - reach_m <= point.y()
                            && point.y() <= b.max().y + reach_m
                    })
                })
                .map(|j| (Euclidean.distance(neighbourhoods.geometry(j), &point), j))
                .filter(|(d, _)| *d <= reach_m)
                .min_by(|a, b| a.0.total_cmp(&b.0))
                .map(|(_, j)| j)
        };
        match linked.or_else(inside).or_else(nearest) {
            Some(j) => out.gates[j].push(point.0),
            None => out.unassigned.push(i),
        }
    }
    out
}

/// A neighbourhood's origins. With gates (its entries from a gates layer, see
/// [`gates_by_neighbourhood`]) those are its origins, each snapped within `cap_m` (`gate`).
/// Without, every place where the walk network crosses its boundary (`entry`), every network
/// node inside it (`inside`), and its centroid snapped within `cap_m` (`centroid`, unsnapped
/// when too far). Entries and inside nodes start at cost 0.
pub fn neighbourhood_origins(
    graph: &WalkGraph,
    area: &Geometry<f64>,
    gates: &[Coord<f64>],
    cap_m: f64,
) -> Vec<OriginSnap> {
    use geo::BoundingRect;
    if !gates.is_empty() {
        let gates = gates
            .iter()
            .map(|&point| Origin {
                label: "gate".into(),
                point,
            })
            .collect();
        return snap_origins(graph, gates, cap_m);
    }
    let mut out = Vec::new();
    let Some(rect) = area.bounding_rect() else {
        return out;
    };
    let env = rstar::AABB::from_corners([rect.min().x, rect.min().y], [rect.max().x, rect.max().y]);
    let polygons: Vec<&geo::Polygon<f64>> = match area {
        Geometry::Polygon(p) => vec![p],
        Geometry::MultiPolygon(mp) => mp.0.iter().collect(),
        _ => Vec::new(),
    };
    let ring_lines: Vec<Line<f64>> = polygons
        .iter()
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
        .flat_map(|r| r.lines())
        .collect();
    let mut inside_nodes = Vec::new();
    for entry in graph.segments().locate_in_envelope_intersecting(&env) {
        let (e, k) = entry.data;
        let c = graph.edge_coords(e);
        let seg = Line::new(c[k as usize], c[k as usize + 1]);
        for r in &ring_lines {
            if let Some(x) = geo::line_intersection::line_intersection(seg, *r) {
                let p = match x {
                    geo::line_intersection::LineIntersection::SinglePoint {
                        intersection, ..
                    } => intersection,
                    geo::line_intersection::LineIntersection::Collinear { intersection } => {
                        intersection.start
                    }
                };
                out.push(OriginSnap {
                    origin: Origin {
                        label: "entry".into(),
                        point: p,
                    },
                    snap: Some(snap_on_segment(graph, p, e, k as usize)),
                });
            }
        }
        let edge = graph.edge(e);
        let last = c.len() - 2;
        for (at, n) in [(0usize, edge.source), (last, edge.target)] {
            if k as usize == at && area.contains(&Point::from(graph.node(n))) {
                inside_nodes.push(n);
            }
        }
    }
    inside_nodes.sort_unstable();
    inside_nodes.dedup();
    for n in inside_nodes {
        out.push(OriginSnap {
            origin: Origin {
                label: "inside".into(),
                point: graph.node(n),
            },
            snap: super::snap::snap_node(graph, n),
        });
    }
    if let Some(c) = geo::Centroid::centroid(area) {
        out.push(OriginSnap {
            origin: Origin {
                label: "centroid".into(),
                point: c.0,
            },
            snap: snap_point(graph, c.0, cap_m),
        });
    }
    out
}

/// Network time (seconds) of every feature of a layer (buildings, parcels, idle properties,
/// facilities) from a catchment's origins: each feature's interior point is snapped like an
/// origin. `None` for a feature beyond the outermost band, unsnappable, or without geometry.
/// This, not the drawn polygon, decides membership.
pub fn feature_times(graph: &WalkGraph, catchment: &Catchment, layer: &Layer) -> Vec<Option<f64>> {
    layer
        .geometries()
        .iter()
        .map(|g| {
            let p = g.interior_point()?;
            let s = snap_point(graph, p.0, catchment.spec.snap_cap_m)?;
            catchment.time_s(graph, &s)
        })
        .collect()
}
