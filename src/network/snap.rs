//! Snapping points to the nearest point on an edge (not a node) with the R-tree of segments.

use geo::Coord;
use rstar::PointDistance;

use super::graph::{project, WalkGraph};

/// Default snapping cap in metres: an origin farther than this from every walkable way is
/// reported as unsnappable.
pub const DEFAULT_SNAP_CAP_M: f64 = 250.0;

/// A position on the network and how far the original point was from it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Snap {
    /// The edge snapped to.
    pub edge: u32,
    /// Plan distance along the edge from its source node, metres.
    pub offset_m: f64,
    /// The snapped position (working CRS).
    pub point: Coord<f64>,
    /// Length of the off-network leg from the original point, metres (walked at walking speed).
    pub distance_m: f64,
}

/// Snap `p` to the nearest point on any edge within `cap_m` metres; `None` when no edge is that
/// close.
pub fn snap_point(graph: &WalkGraph, p: Coord<f64>, cap_m: f64) -> Option<Snap> {
    let q = [p.x, p.y];
    let entry = graph.segments().nearest_neighbor(&q)?;
    if entry.distance_2(&q) > cap_m * cap_m {
        return None;
    }
    let (edge, k) = entry.data;
    Some(snap_on_segment(graph, p, edge, k as usize))
}

/// The snap of `p` to segment `k` of `edge`.
pub(crate) fn snap_on_segment(graph: &WalkGraph, p: Coord<f64>, edge: u32, k: usize) -> Snap {
    let c = graph.edge_coords(edge);
    let along = graph.edge_along(edge);
    let (point, t) = project(p, c[k], c[k + 1]);
    let offset_m = (along[k] + (along[k + 1] - along[k]) * t).clamp(0.0, along[along.len() - 1]);
    Snap {
        edge,
        offset_m,
        point,
        distance_m: (p.x - point.x).hypot(p.y - point.y),
    }
}

/// A snap onto node `n` through one of its edges, with no off-network leg; `None` for a node
/// without edges.
pub fn snap_node(graph: &WalkGraph, n: u32) -> Option<Snap> {
    let (_, e, _) = graph.neighbours(n).next()?;
    let edge = graph.edge(e);
    let offset_m = if edge.source == n { 0.0 } else { edge.length_m };
    Some(Snap {
        edge: e,
        offset_m,
        point: graph.node(n),
        distance_m: 0.0,
    })
}
