//! The walking network and network-exact catchments (5/10/15-minute life circles).
//!
//! - [`graph`]: the walk graph from the roads layer (CSR arrays, edge geometry, segment R-tree).
//! - [`snap`]: snapping points to the nearest point on an edge, within a cap.
//! - [`search`]: bounded multi-source Dijkstra with reusable, generation-stamped buffers.
//! - [`catchment`](mod@catchment): bands, reached edges and per-feature network times from one search.
//! - [`polygon`]: band polygons from reached line parts (buffered, rasterised at ≤ 10 m, traced).

pub mod catchment;
pub mod graph;
pub mod polygon;
pub mod search;
pub mod snap;

pub use catchment::{
    catchment, feature_times, gates_by_neighbourhood, neighbourhood_origins, snap_origins, Band,
    Catchment, CatchmentError, CatchmentSpec, NeighbourhoodGates, Origin, OriginSnap, Profile,
    ReachedEdge, GATE_REACH_M,
};
pub use graph::{road_level, Component, Edge, GraphError, GraphSpec, WalkGraph};
pub use search::Search;
pub use snap::{snap_node, snap_point, Snap, DEFAULT_SNAP_CAP_M};
