//! The walk graph: road centrelines as an undirected graph in compressed (CSR) arrays, with each
//! edge's geometry kept for drawing and an R-tree over edge segments for snapping.
//!
//! How lines become a graph:
//! - Lines connect wherever they share a vertex (an exactly equal coordinate), anywhere along them:
//!   bureau centrelines are not split at junctions, so a junction is often a vertex in the middle
//!   of a line. OSM ways share their junction nodes the same way.
//! - A line endpoint within [`GraphSpec::join_tolerance_m`] (default 0.5 m) of another line that
//!   does not contain it is joined to that line: the other line gets a vertex at the nearest point
//!   and the endpoint is extended to it by the short gap — only when both lines are on the same
//!   level ([`road_level`]), so the end of a bridge or tunnel does not join a road above or below
//!   it. A shared vertex is a junction whatever the levels (OSM shares a node where a bridge
//!   really meets the street).
//! - Lines that cross without a shared vertex are NOT connected (bridges, tunnels, a street over a
//!   railway cutting).
//! - Roads that are not walkable ([`Layer::walkable`]: BXKT=否; the OSM reader folds `foot`,
//!   `access` and motorway/trunk-without-sidewalk rules into BXKT) are left out.
//! - Steps (`HIGHWAY`/road class `steps`, or 台阶/梯道) cost [`GraphSpec::steps_factor`] times their
//!   length (default 1.5: walking up or down stairs takes about half as long again per metre of
//!   plan length). Costs are kept as "effective metres" so a speed turns them into seconds.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

use geo::{Coord, Geometry, LineString};
use rstar::{PointDistance, RTree, RTreeObject, AABB};
use thiserror::Error;

use crate::model::{Layer, Role, Semantic};

/// Why a walk graph cannot be built.
#[derive(Debug, Error)]
pub enum GraphError {
    /// The workspace has no roads layer.
    #[error("the project has no roads layer; a walk network needs road centrelines")]
    NoRoads,
    /// A layer that is not a roads layer was given.
    #[error("layer {path} is a {role} layer, not roads")]
    NotRoads {
        /// The layer's file.
        path: String,
        /// Its role.
        role: Role,
    },
    /// The option values make no sense.
    #[error("invalid graph option: {0}")]
    BadSpec(String),
}

/// How to build a walk graph.
#[derive(Clone, Debug, PartialEq)]
pub struct GraphSpec {
    /// A line endpoint this close (metres) to another line is joined to it. Default 0.5 m.
    pub join_tolerance_m: f64,
    /// Cost multiplier for steps (time per metre relative to level walking). Default 1.5.
    pub steps_factor: f64,
}

impl Default for GraphSpec {
    fn default() -> Self {
        GraphSpec {
            join_tolerance_m: 0.5,
            steps_factor: 1.5,
        }
    }
}

/// One undirected edge between two graph nodes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Edge {
    /// The node at the start of the geometry.
    pub source: u32,
    /// The node at the end of the geometry.
    pub target: u32,
    /// Plan length in metres.
    pub length_m: f64,
    /// Traversal cost in effective metres (length × the steps factor for steps).
    pub cost: f64,
    /// The road feature (0-based record of the roads layer) the edge comes from.
    pub feature: u32,
}

impl Edge {
    /// Cost per metre of plan length (1 for level ways, the steps factor for steps).
    pub fn factor(&self) -> f64 {
        if self.length_m > 0.0 {
            self.cost / self.length_m
        } else {
            1.0
        }
    }
}

/// A segment of a line in an R-tree, with its envelope computed once (rstar's own `Line`
/// recomputes it at every comparison, which made bulk loading the slowest part of the build).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Segment {
    a: Coord<f64>,
    b: Coord<f64>,
    envelope: AABB<[f64; 2]>,
    /// (line or edge id, index of the segment's first vertex).
    pub(crate) data: (u32, u32),
}

impl Segment {
    fn new(a: Coord<f64>, b: Coord<f64>, data: (u32, u32)) -> Segment {
        Segment {
            a,
            b,
            envelope: AABB::from_corners([a.x, a.y], [b.x, b.y]),
            data,
        }
    }
}

impl RTreeObject for Segment {
    type Envelope = AABB<[f64; 2]>;

    fn envelope(&self) -> Self::Envelope {
        self.envelope
    }
}

impl PointDistance for Segment {
    fn distance_2(&self, p: &[f64; 2]) -> f64 {
        let p = Coord { x: p[0], y: p[1] };
        let (q, _) = project(p, self.a, self.b);
        (p.x - q.x).powi(2) + (p.y - q.y).powi(2)
    }
}

/// FxHash-style hasher for the coordinate maps of the build (keys are our own bit patterns, so
/// SipHash's flooding resistance buys nothing and costs a third of the build).
#[derive(Default, Clone, Copy)]
struct FastHasher(u64);

impl Hasher for FastHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    fn write_u64(&mut self, v: u64) {
        self.0 = (self.0.rotate_left(5) ^ v).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FastHasher>>;
type FastSet<K> = HashSet<K, BuildHasherDefault<FastHasher>>;
/// Exact coordinate bits, see [`key`].
type Key = (u64, u64);

/// The undirected walk graph in compressed arrays.
///
/// Node ids and edge ids are dense, 0-based `u32`. Adjacency is CSR: the half-edges leaving node
/// `n` are `first_out[n]..first_out[n + 1]`.
#[derive(Debug)]
pub struct WalkGraph {
    nodes: Vec<Coord<f64>>,
    edges: Vec<Edge>,
    first_out: Vec<u32>,
    head: Vec<u32>,
    half_edge: Vec<u32>,
    half_cost: Vec<f64>,
    geom_start: Vec<u32>,
    coords: Vec<Coord<f64>>,
    /// Cumulative plan length at each geometry vertex, from the edge's source.
    along: Vec<f64>,
    segments: RTree<Segment>,
}

/// Hashable exact coordinate (`-0.0` folded into `0.0`).
fn key(c: Coord<f64>) -> (u64, u64) {
    ((c.x + 0.0).to_bits(), (c.y + 0.0).to_bits())
}

fn dist(a: Coord<f64>, b: Coord<f64>) -> f64 {
    (a.x - b.x).hypot(a.y - b.y)
}

/// The nearest point on segment `a`–`b` to `p`, and its parameter in 0..=1.
pub(crate) fn project(p: Coord<f64>, a: Coord<f64>, b: Coord<f64>) -> (Coord<f64>, f64) {
    let d = b - a;
    let len2 = d.x * d.x + d.y * d.y;
    if len2 == 0.0 {
        return (a, 0.0);
    }
    let t = (((p.x - a.x) * d.x + (p.y - a.y) * d.y) / len2).clamp(0.0, 1.0);
    (a + d * t, t)
}

/// A line to be put in the graph: its vertices, cost factor and level.
struct InputLine {
    coords: Vec<Coord<f64>>,
    factor: f64,
    feature: u32,
    level: i32,
}

/// The vertical level of road `i` (0 = ground), OSM's convention: the level field
/// ([`Semantic::RoadLevel`], OSM `layer`; bureau `LAYER`, `CJ`, …) rounded when it holds a
/// number, else 1 for a bridge and −1 for a tunnel ([`Semantic::Bridge`], [`Semantic::Tunnel`]:
/// any value but no/否/0/false), else 0.
pub fn road_level(roads: &Layer, i: usize) -> i32 {
    level_from(
        roads.number(i, Semantic::RoadLevel),
        roads.text(i, Semantic::Bridge),
        roads.text(i, Semantic::Tunnel),
    )
}

fn level_from(level: Option<f64>, bridge: Option<&str>, tunnel: Option<&str>) -> i32 {
    let yes = |v: Option<&str>| {
        v.is_some_and(|v| {
            !matches!(
                v.trim().to_ascii_lowercase().as_str(),
                "" | "no" | "n" | "否" | "0" | "false" | "f"
            )
        })
    };
    match level {
        Some(l) if l.is_finite() => l.round().clamp(-100.0, 100.0) as i32,
        _ if yes(bridge) => 1,
        _ if yes(tunnel) => -1,
        _ => 0,
    }
}

impl WalkGraph {
    /// Build the walk graph from a roads layer (working CRS, metres).
    pub fn from_roads(roads: &Layer, spec: &GraphSpec) -> Result<WalkGraph, GraphError> {
        if roads.role != Role::Roads {
            return Err(GraphError::NotRoads {
                path: roads.source.path.display().to_string(),
                role: roads.role,
            });
        }
        let mut lines = Vec::new();
        for i in 0..roads.len() {
            if !roads.walkable(i) {
                continue;
            }
            let class = roads
                .text(i, Semantic::RoadClass)
                .unwrap_or("")
                .to_ascii_lowercase();
            let factor = if class == "steps" || class == "台阶" || class == "梯道" {
                spec.steps_factor
            } else {
                1.0
            };
            let level = road_level(roads, i);
            let mut push = |ls: &LineString<f64>| {
                lines.push(InputLine {
                    coords: ls.0.clone(),
                    factor,
                    feature: i as u32,
                    level,
                })
            };
            match roads.geometry(i) {
                Geometry::LineString(ls) => push(ls),
                Geometry::MultiLineString(ml) => ml.0.iter().for_each(&mut push),
                _ => {}
            }
        }
        WalkGraph::from_lines_with_factors(lines, spec)
    }

    /// Build a walk graph from plain lines (working CRS, metres), all level and walkable; line
    /// `i` is recorded as feature `i`. For tests and tools.
    pub fn from_lines(
        lines: &[LineString<f64>],
        spec: &GraphSpec,
    ) -> Result<WalkGraph, GraphError> {
        let lines: Vec<_> = lines.iter().map(|l| (l.clone(), 0)).collect();
        WalkGraph::from_lines_on_levels(&lines, spec)
    }

    /// Like [`from_lines`](Self::from_lines), each line with its level (see [`road_level`]): line
    /// ends are joined to lines on their own level only.
    pub fn from_lines_on_levels(
        lines: &[(LineString<f64>, i32)],
        spec: &GraphSpec,
    ) -> Result<WalkGraph, GraphError> {
        let lines = lines
            .iter()
            .enumerate()
            .map(|(i, (l, level))| InputLine {
                coords: l.0.clone(),
                factor: 1.0,
                feature: i as u32,
                level: *level,
            })
            .collect();
        WalkGraph::from_lines_with_factors(lines, spec)
    }

    fn from_lines_with_factors(
        mut lines: Vec<InputLine>,
        spec: &GraphSpec,
    ) -> Result<WalkGraph, GraphError> {
        if !(spec.join_tolerance_m >= 0.0 && spec.join_tolerance_m.is_finite()) {
            return Err(GraphError::BadSpec(format!(
                "join tolerance {} m must be a finite number ≥ 0",
                spec.join_tolerance_m
            )));
        }
        if !(spec.steps_factor > 0.0 && spec.steps_factor.is_finite()) {
            return Err(GraphError::BadSpec(format!(
                "steps factor {} must be a finite number > 0",
                spec.steps_factor
            )));
        }
        for l in &mut lines {
            l.coords.retain(|c| c.x.is_finite() && c.y.is_finite());
            l.coords.dedup();
        }
        lines.retain(|l| l.coords.len() >= 2);
        if spec.join_tolerance_m > 0.0 {
            join_near_endpoints(&mut lines, spec.join_tolerance_m);
        }

        // A vertex is a node when it ends a line or occurs more than once (shared by lines, or
        // a line passing through itself).
        let mut seen: FastMap<(u64, u64), u32> = FastMap::default();
        for l in &lines {
            for c in &l.coords {
                *seen.entry(key(*c)).or_default() += 1;
            }
        }
        let mut node_of: FastMap<(u64, u64), u32> = FastMap::default();
        let mut nodes: Vec<Coord<f64>> = Vec::new();
        let mut node_id = |c: Coord<f64>, nodes: &mut Vec<Coord<f64>>| -> u32 {
            *node_of.entry(key(c)).or_insert_with(|| {
                nodes.push(c);
                (nodes.len() - 1) as u32
            })
        };
        let mut edges = Vec::new();
        let mut geom_start = vec![0u32];
        let mut coords: Vec<Coord<f64>> = Vec::new();
        let mut along: Vec<f64> = Vec::new();
        for l in &lines {
            let last = l.coords.len() - 1;
            let mut start = 0;
            for j in 1..=last {
                let c = l.coords[j];
                if j != last && seen.get(&key(c)).copied().unwrap_or(0) < 2 {
                    continue;
                }
                let part = &l.coords[start..=j];
                let mut len = 0.0;
                let mut cum = Vec::with_capacity(part.len());
                cum.push(0.0);
                for w in part.windows(2) {
                    len += dist(w[0], w[1]);
                    cum.push(len);
                }
                if len > 0.0 {
                    let source = node_id(part[0], &mut nodes);
                    let target = node_id(c, &mut nodes);
                    edges.push(Edge {
                        source,
                        target,
                        length_m: len,
                        cost: len * l.factor,
                        feature: l.feature,
                    });
                    coords.extend_from_slice(part);
                    along.extend_from_slice(&cum);
                    geom_start.push(coords.len() as u32);
                }
                start = j;
            }
        }

        // Number nodes along a Z-order curve so that nodes near each other in space are near
        // each other in memory: a bounded search then touches few cache lines.
        let order = z_order(&nodes);
        let mut new_id = vec![0u32; nodes.len()];
        for (new, &old) in order.iter().enumerate() {
            new_id[old as usize] = new as u32;
        }
        let nodes: Vec<Coord<f64>> = order.iter().map(|&old| nodes[old as usize]).collect();
        for e in &mut edges {
            e.source = new_id[e.source as usize];
            e.target = new_id[e.target as usize];
        }

        // CSR adjacency, both directions of every edge.
        let n = nodes.len();
        let mut degree = vec![0u32; n + 1];
        for e in &edges {
            degree[e.source as usize] += 1;
            degree[e.target as usize] += 1;
        }
        let mut first_out = vec![0u32; n + 1];
        for v in 0..n {
            first_out[v + 1] = first_out[v] + degree[v];
        }
        let m2 = first_out[n] as usize;
        let mut fill = first_out.clone();
        let mut head = vec![0u32; m2];
        let mut half_edge = vec![0u32; m2];
        let mut half_cost = vec![0f64; m2];
        for (id, e) in edges.iter().enumerate() {
            for (from, to) in [(e.source, e.target), (e.target, e.source)] {
                let slot = fill[from as usize] as usize;
                fill[from as usize] += 1;
                head[slot] = to;
                half_edge[slot] = id as u32;
                half_cost[slot] = e.cost;
            }
        }

        let mut entries = Vec::with_capacity(coords.len());
        for id in 0..edges.len() {
            let (s, t) = (geom_start[id] as usize, geom_start[id + 1] as usize);
            for k in s..t - 1 {
                let (a, b) = (coords[k], coords[k + 1]);
                entries.push(Segment::new(a, b, (id as u32, (k - s) as u32)));
            }
        }
        Ok(WalkGraph {
            nodes,
            edges,
            first_out,
            head,
            half_edge,
            half_cost,
            geom_start,
            coords,
            along,
            segments: RTree::bulk_load(entries),
        })
    }

    /// Number of nodes (line ends and shared vertices).
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Number of undirected edges.
    pub fn edge_count(&self) -> usize {
        self.edges.len()
    }

    /// Position of node `n` in the working CRS.
    pub fn node(&self, n: u32) -> Coord<f64> {
        self.nodes[n as usize]
    }

    /// Edge `e`.
    pub fn edge(&self, e: u32) -> &Edge {
        &self.edges[e as usize]
    }

    /// Every edge, by id.
    pub fn edges(&self) -> &[Edge] {
        &self.edges
    }

    /// The geometry of edge `e`, from its source to its target.
    pub fn edge_coords(&self, e: u32) -> &[Coord<f64>] {
        let (s, t) = self.geom_range(e);
        &self.coords[s..t]
    }

    /// Cumulative plan length at each vertex of [`edge_coords`](Self::edge_coords).
    pub fn edge_along(&self, e: u32) -> &[f64] {
        let (s, t) = self.geom_range(e);
        &self.along[s..t]
    }

    fn geom_range(&self, e: u32) -> (usize, usize) {
        (
            self.geom_start[e as usize] as usize,
            self.geom_start[e as usize + 1] as usize,
        )
    }

    /// The half-edges leaving node `n`: (neighbour, edge id, cost).
    pub fn neighbours(&self, n: u32) -> impl Iterator<Item = (u32, u32, f64)> + '_ {
        let (s, t) = (
            self.first_out[n as usize] as usize,
            self.first_out[n as usize + 1] as usize,
        );
        (s..t).map(move |k| (self.head[k], self.half_edge[k], self.half_cost[k]))
    }

    /// CSR view for the search's inner loop: (first_out, head, cost).
    pub(crate) fn csr(&self) -> (&[u32], &[u32], &[f64]) {
        (&self.first_out, &self.head, &self.half_cost)
    }

    /// The R-tree over edge segments.
    pub(crate) fn segments(&self) -> &RTree<Segment> {
        &self.segments
    }

    /// The point of edge `e` at plan distance `d_m` from its source (clamped to the edge).
    pub fn point_along(&self, e: u32, d_m: f64) -> Coord<f64> {
        let (c, a) = (self.edge_coords(e), self.edge_along(e));
        let k = a.partition_point(|&x| x < d_m).clamp(1, a.len() - 1);
        let seg = a[k] - a[k - 1];
        let t = if seg > 0.0 {
            ((d_m - a[k - 1]) / seg).clamp(0.0, 1.0)
        } else {
            0.0
        };
        c[k - 1] + (c[k] - c[k - 1]) * t
    }

    /// The part of edge `e` between plan distances `from_m` and `to_m` from its source.
    pub fn edge_part(&self, e: u32, from_m: f64, to_m: f64) -> LineString<f64> {
        // Exact size: one allocation.
        let coords = self.edge_part_coords(e, from_m, to_m);
        let mut out = Vec::with_capacity(coords.size_hint().0);
        out.extend(coords);
        LineString(out)
    }

    /// The vertices of [`edge_part`](Self::edge_part), without allocating: the point at `from_m`,
    /// the edge's vertices strictly between, the point at `to_m`.
    pub fn edge_part_coords(
        &self,
        e: u32,
        from_m: f64,
        to_m: f64,
    ) -> impl ExactSizeIterator<Item = Coord<f64>> + '_ {
        let c = self.edge_coords(e);
        let a = self.edge_along(e);
        // `along` is non-decreasing: the inner vertices are one contiguous run.
        let first = a.partition_point(|&x| x <= from_m);
        let last = first + a[first..].partition_point(|&x| x < to_m);
        let ends = [self.point_along(e, from_m), self.point_along(e, to_m)];
        let n = last - first + 2;
        (0..n).map(move |k| {
            if k == 0 {
                ends[0]
            } else if k == n - 1 {
                ends[1]
            } else {
                c[first + k - 1]
            }
        })
    }

    /// Connected components as (node count, total edge length m, a node of it), largest first.
    pub fn components(&self) -> Vec<Component> {
        let n = self.nodes.len();
        let mut comp = vec![u32::MAX; n];
        let mut out = Vec::new();
        let mut stack = Vec::new();
        for start in 0..n as u32 {
            if comp[start as usize] != u32::MAX {
                continue;
            }
            let id = out.len() as u32;
            comp[start as usize] = id;
            stack.push(start);
            let mut count = 0;
            while let Some(v) = stack.pop() {
                count += 1;
                for (w, _, _) in self.neighbours(v) {
                    if comp[w as usize] == u32::MAX {
                        comp[w as usize] = id;
                        stack.push(w);
                    }
                }
            }
            out.push(Component {
                nodes: count,
                length_m: 0.0,
                node: start,
            });
        }
        for e in &self.edges {
            out[comp[e.source as usize] as usize].length_m += e.length_m;
        }
        out.sort_by(|a, b| b.nodes.cmp(&a.nodes).then(a.node.cmp(&b.node)));
        out
    }
}

/// Node ids (old) in Z-order (Morton) of their coordinates quantised to 16 bits per axis.
fn z_order(nodes: &[Coord<f64>]) -> Vec<u32> {
    let (mut min, mut max) = (
        Coord {
            x: f64::INFINITY,
            y: f64::INFINITY,
        },
        Coord {
            x: f64::NEG_INFINITY,
            y: f64::NEG_INFINITY,
        },
    );
    for c in nodes {
        min = Coord {
            x: min.x.min(c.x),
            y: min.y.min(c.y),
        };
        max = Coord {
            x: max.x.max(c.x),
            y: max.y.max(c.y),
        };
    }
    let span = (max.x - min.x).max(max.y - min.y).max(1e-9);
    let spread = |v: u32| -> u64 {
        let mut v = u64::from(v);
        v = (v | (v << 8)) & 0x00FF_00FF;
        v = (v | (v << 4)) & 0x0F0F_0F0F;
        v = (v | (v << 2)) & 0x3333_3333;
        (v | (v << 1)) & 0x5555_5555
    };
    let quantise = |v: f64, lo: f64| ((v - lo) / span * 65535.0).clamp(0.0, 65535.0) as u32;
    let mut keyed: Vec<(u64, u32)> = nodes
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let code = spread(quantise(c.x, min.x)) | (spread(quantise(c.y, min.y)) << 1);
            (code, i as u32)
        })
        .collect();
    keyed.sort_unstable();
    keyed.into_iter().map(|(_, i)| i).collect()
}

/// A connected part of the walk network.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Component {
    /// Number of nodes in it.
    pub nodes: usize,
    /// Total plan length of its edges, metres.
    pub length_m: f64,
    /// One of its nodes (where it is: [`WalkGraph::node`]).
    pub node: u32,
}

/// Join line endpoints lying within `tol` of another line on the same level: give that line a
/// vertex at the nearest point and extend the endpoint to it.
fn join_near_endpoints(lines: &mut [InputLine], tol: f64) {
    let mut segs: Vec<Segment> = Vec::new();
    for (li, l) in lines.iter().enumerate() {
        for (k, w) in l.coords.windows(2).enumerate() {
            segs.push(Segment::new(w[0], w[1], (li as u32, k as u32)));
        }
    }
    let tree = RTree::bulk_load(segs);
    let mut count: FastMap<(u64, u64), u32> = FastMap::default();
    for l in lines.iter() {
        for c in &l.coords {
            *count.entry(key(*c)).or_default() += 1;
        }
    }
    // Inserts: (line, segment, t, point); endpoint extensions: (line, at_start, point).
    let mut inserts: Vec<(u32, u32, f64, Coord<f64>)> = Vec::new();
    let mut extends: Vec<(u32, bool, Coord<f64>)> = Vec::new();
    // Vertex-to-vertex joins already made, so two nearby ends are joined once, not twice.
    let mut joined: FastSet<(Key, Key)> = FastSet::default();
    for (li, l) in lines.iter().enumerate() {
        let ends = [(true, l.coords[0]), (false, l.coords[l.coords.len() - 1])];
        for (at_start, p) in ends {
            // An endpoint shared with another line (or its own) is connected already.
            if count.get(&key(p)).copied().unwrap_or(0) >= 2 {
                continue;
            }
            let mut best: Option<(f64, u32, u32, f64, Coord<f64>)> = None;
            for s in tree.locate_within_distance([p.x, p.y], tol * tol) {
                let (oi, k) = s.data;
                let ol = &lines[oi as usize];
                if oi as usize == li || ol.level != l.level {
                    continue;
                }
                let (a, b) = (ol.coords[k as usize], ol.coords[k as usize + 1]);
                let (q, t) = project(p, a, b);
                let d = dist(p, q);
                if best.is_none_or(|(bd, ..)| d < bd) {
                    best = Some((d, oi, k, t, q));
                }
            }
            let Some((_, oi, k, t, q)) = best else {
                continue;
            };
            let ol = &lines[oi as usize];
            let (a, b) = (ol.coords[k as usize], ol.coords[k as usize + 1]);
            // Join to the other line's vertex when one is within the tolerance (no sliver
            // edges), else to a new vertex at the nearest point.
            let (da, db) = (dist(p, a), dist(p, b));
            let q = if da <= tol && da <= db {
                a
            } else if db <= tol {
                b
            } else {
                inserts.push((oi, k, t, q));
                q
            };
            if q != p {
                let pair = if key(p) < key(q) {
                    (key(p), key(q))
                } else {
                    (key(q), key(p))
                };
                if joined.insert(pair) {
                    extends.push((li as u32, at_start, q));
                }
            }
        }
    }
    inserts.sort_by(|x, y| (x.0, x.1).cmp(&(y.0, y.1)).then(x.2.total_cmp(&y.2)));
    let mut by_line: HashMap<u32, Vec<(u32, Coord<f64>)>> = HashMap::new();
    for (li, k, _, q) in inserts {
        by_line.entry(li).or_default().push((k, q));
    }
    for (li, ins) in by_line {
        let l = &mut lines[li as usize];
        let mut out = Vec::with_capacity(l.coords.len() + ins.len());
        let mut it = ins.into_iter().peekable();
        for (k, c) in l.coords.iter().enumerate() {
            out.push(*c);
            while let Some((_, q)) = it.next_if(|(sk, _)| *sk as usize == k) {
                out.push(q);
            }
        }
        out.dedup();
        l.coords = out;
    }
    for (li, at_start, q) in extends {
        let l = &mut lines[li as usize];
        if at_start {
            l.coords.insert(0, q);
        } else {
            l.coords.push(q);
        }
        l.coords.dedup();
    }
}
