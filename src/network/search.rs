//! Bounded multi-source Dijkstra over the walk graph, with buffers reused between searches.
//!
//! The distance array is generation-stamped: a new search bumps the generation instead of
//! clearing the array, so a search costs what it reaches, not the size of the graph.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::graph::WalkGraph;

/// A reusable bounded shortest-path search. Costs are effective metres (see
/// [`Edge::cost`](super::graph::Edge::cost)).
///
/// ```
/// use geo::line_string;
/// use infill::network::{GraphSpec, Search, WalkGraph};
/// let g = WalkGraph::from_lines(&[line_string![(x: 0.0, y: 0.0), (x: 100.0, y: 0.0)]],
///     &GraphSpec::default()).unwrap();
/// let mut search = Search::new(&g);
/// search.run(&g, &[(0, 0.0)], 150.0);
/// assert_eq!(search.cost(1), Some(100.0));
/// ```
#[derive(Debug, Clone)]
pub struct Search {
    cost: Vec<f64>,
    stamp: Vec<u32>,
    generation: u32,
    // Keyed by the cost's bits: for non-negative finite f64 the bit order is the numeric order.
    heap: BinaryHeap<Reverse<(u64, u32)>>,
    settled: Vec<u32>,
    bound: f64,
}

impl Search {
    /// Buffers sized for `graph`.
    pub fn new(graph: &WalkGraph) -> Search {
        Search {
            cost: vec![f64::INFINITY; graph.node_count()],
            stamp: vec![0; graph.node_count()],
            generation: 0,
            heap: BinaryHeap::new(),
            settled: Vec::new(),
            bound: 0.0,
        }
    }

    /// Search from `sources` (node, starting cost) up to `bound` effective metres. Sources
    /// starting above the bound, or with a negative or non-finite cost, are ignored.
    pub fn run(&mut self, graph: &WalkGraph, sources: &[(u32, f64)], bound: f64) {
        if self.cost.len() != graph.node_count() {
            *self = Search::new(graph);
        }
        self.generation = self.generation.wrapping_add(1);
        if self.generation == 0 {
            self.stamp.iter_mut().for_each(|s| *s = 0);
            self.generation = 1;
        }
        let gen = self.generation;
        self.bound = bound;
        self.heap.clear();
        self.settled.clear();
        for &(n, c) in sources {
            let i = n as usize;
            if !(c >= 0.0 && c <= bound) || i >= self.cost.len() {
                continue;
            }
            if self.stamp[i] != gen || c < self.cost[i] {
                self.stamp[i] = gen;
                self.cost[i] = c;
                self.heap.push(Reverse((c.to_bits(), n)));
            }
        }
        let (first_out, head, half_cost) = graph.csr();
        while let Some(Reverse((bits, v))) = self.heap.pop() {
            let d = f64::from_bits(bits);
            let vi = v as usize;
            if d > self.cost[vi] {
                continue;
            }
            self.settled.push(v);
            for k in first_out[vi] as usize..first_out[vi + 1] as usize {
                let w = head[k] as usize;
                let nd = d + half_cost[k];
                if nd <= bound && (self.stamp[w] != gen || nd < self.cost[w]) {
                    self.stamp[w] = gen;
                    self.cost[w] = nd;
                    self.heap.push(Reverse((nd.to_bits(), w as u32)));
                }
            }
        }
    }

    /// The cost of node `n` in the last search, if it was reached within the bound.
    pub fn cost(&self, n: u32) -> Option<f64> {
        let i = n as usize;
        (i < self.stamp.len() && self.stamp[i] == self.generation && self.generation != 0)
            .then(|| self.cost[i])
    }

    /// The nodes reached by the last search, in order of increasing cost.
    pub fn reached(&self) -> &[u32] {
        &self.settled
    }

    /// The bound of the last search.
    pub fn bound(&self) -> f64 {
        self.bound
    }
}
