//! The irregular street grid: node positions, which street segments exist, street names and
//! classes, the blocks between streets, and the assembled street and expressway polylines.
//!
//! Cell `(i, j)` lies between vertical grid lines `i`, `i+1` and horizontal lines `j`, `j+1`.
//! Node `P(i, j)` is where those lines meet. Horizontal edge `H(i, j)` runs `P(i, j) → P(i+1, j)`,
//! vertical edge `V(i, j)` runs `P(i, j) → P(i, j+1)`. Every junction is one stored node, so all
//! streets through it use the same `Coord` value: junction vertices are bit-identical.

use super::geom::{add, inset_ring, left_normal, scale, sub, unit, Frame};
use super::names::{cn_num, street_bases};
use super::rng::{hash4, unit_f64, SplitMix64};
use super::{DemoSpec, RoadClass};
use geo_types::Coord;
use std::collections::HashMap;

const TAG_COL: u64 = 1;
const TAG_ROW: u64 = 2;
const TAG_NODE: u64 = 3;
const TAG_BEND: u64 = 4;
const TAG_EAST: u64 = 5;
const TAG_NORTH: u64 = 6;
const TAG_BRIDGE: u64 = 7;
const TAG_CLASS: u64 = 8;
const TAG_SUFFIX: u64 = 9;
const TAG_RIVER: u64 = 10;
pub(crate) const TAG_BLOCK: u64 = 11;

/// Sidewalk and verge between a street's carriageway edge and the block boundary, metres.
const SIDEWALK: f64 = 3.0;
/// Embankment green between a bank road and the water, metres (a narrow 滨河绿带 parcel).
pub(crate) const EMBANKMENT: f64 = 7.0;

/// What a block is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BlockKind {
    /// Ordinary urban block, subdivided into parcels.
    Normal,
    /// The river band: water plus embankment greens, spanning the whole district width.
    River,
    /// A cell of the expressway corridor (road land under the viaduct).
    Corridor,
}

/// A block: the inclusive cell range `[i0, i1] × [j0, j1]` bounded by streets.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Block {
    pub(crate) i0: usize,
    pub(crate) i1: usize,
    pub(crate) j0: usize,
    pub(crate) j1: usize,
    pub(crate) kind: BlockKind,
}

/// One street feature: a maximal run of consecutive existing edges on one grid line.
#[derive(Debug, Clone)]
pub(crate) struct StreetRun {
    pub(crate) horizontal: bool,
    pub(crate) line: usize,
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) name: String,
    pub(crate) class: RoadClass,
    pub(crate) width: f64,
}

/// A vertex inserted into a horizontal street edge where a lane or path joins it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Attach {
    /// Horizontal edge key (see [`Grid::h_key`]).
    pub(crate) edge: usize,
    /// Position along the edge, 0 at `P(i, j)`, 1 at `P(i+1, j)`.
    pub(crate) t: f64,
    /// The vertex, shared bit-for-bit by the street and the joining line.
    pub(crate) at: Coord,
}

/// The whole street grid of a spec, computed once (O(cells) memory, no block contents).
#[derive(Debug)]
pub(crate) struct Grid {
    pub(crate) seed: u64,
    pub(crate) nx: usize,
    pub(crate) ny: usize,
    nodes: Vec<Coord>,
    v_bend: Vec<Option<Coord>>,
    h_present: Vec<bool>,
    v_present: Vec<bool>,
    river_row: Vec<bool>,
    corridor_col: Vec<bool>,
    east: Vec<bool>,
    north: Vec<bool>,
    h_class: Vec<(RoadClass, f64)>,
    v_class: Vec<(RoadClass, f64)>,
    /// Run index (into `runs`) of each existing horizontal / vertical edge.
    h_run: Vec<u32>,
    v_run: Vec<u32>,
    pub(crate) runs: Vec<StreetRun>,
    /// River name per river row (by row index).
    river_names: HashMap<usize, String>,
    /// Expressway name per corridor column.
    expressway_names: HashMap<usize, String>,
    north_dir: Coord,
}

impl Grid {
    /// Lays out the grid of `spec`.
    pub(crate) fn new(spec: &DemoSpec) -> Self {
        let nx = spec.blocks_x as usize;
        let ny = spec.blocks_y as usize;
        let seed = spec.seed;
        let mut river_row = vec![false; ny];
        for &r in &spec.river_rows {
            if (r as usize) < ny {
                river_row[r as usize] = true;
            }
        }
        let mut corridor_col = vec![false; nx];
        for &c in &spec.expressway_cols {
            if (c as usize) < nx {
                corridor_col[c as usize] = true;
            }
        }

        // Base line positions: varied block sizes, narrow corridor and river cells.
        let mut xs = vec![0.0; nx + 1];
        for i in 0..nx {
            let w = if corridor_col[i] {
                70.0
            } else {
                200.0 + 100.0 * unit_f64(hash4(seed, TAG_COL, i as u64, 0))
            };
            xs[i + 1] = xs[i] + w;
        }
        let mut ys = vec![0.0; ny + 1];
        for j in 0..ny {
            let h = if river_row[j] {
                90.0
            } else {
                180.0 + 90.0 * unit_f64(hash4(seed, TAG_ROW, j as u64, 0))
            };
            ys[j + 1] = ys[j] + h;
        }

        let (sin, cos) = spec.rotation_deg.to_radians().sin_cos();
        let origin = Coord {
            x: spec.origin_x,
            y: spec.origin_y,
        };
        let to_world = |x: f64, y: f64| Coord {
            x: origin.x + x * cos - y * sin,
            y: origin.y + x * sin + y * cos,
        };
        let borders_corridor =
            |i: usize| (i < nx && corridor_col[i]) || (i > 0 && corridor_col[i - 1]);
        let borders_river = |j: usize| (j < ny && river_row[j]) || (j > 0 && river_row[j - 1]);

        let mut nodes = Vec::with_capacity((nx + 1) * (ny + 1));
        for (j, y) in ys.iter().enumerate() {
            for (i, x) in xs.iter().enumerate() {
                let h = hash4(seed, TAG_NODE, i as u64, j as u64);
                let ax = if borders_corridor(i) { 3.0 } else { 14.0 };
                let ay = if borders_river(j) { 3.0 } else { 12.0 };
                let jx = ax * (2.0 * unit_f64(h) - 1.0);
                let jy = ay * (2.0 * unit_f64(h.rotate_left(32)) - 1.0);
                // A gentle wave so horizontal streets change direction slightly at junctions.
                let wave = 10.0 * (x / 700.0).sin();
                nodes.push(to_world(x + jx, y + jy + wave));
            }
        }
        let node = |i: usize, j: usize| nodes[j * (nx + 1) + i];

        // Block merges (removed street segments ending other streets at T-junctions).
        let mut east = vec![false; nx * ny];
        let mut north = vec![false; nx * ny];
        for j in 0..ny {
            for i in (0..nx.saturating_sub(1)).step_by(2) {
                let ok = !river_row[j] && !corridor_col[i] && !corridor_col[i + 1];
                east[j * nx + i] = ok && unit_f64(hash4(seed, TAG_EAST, i as u64, j as u64)) < 0.12;
            }
        }
        let in_east = |east: &[bool], i: usize, j: usize| {
            (i % 2 == 0 && east[j * nx + i]) || (i % 2 == 1 && east[j * nx + i - 1])
        };
        for j in (0..ny.saturating_sub(1)).step_by(2) {
            for i in 0..nx {
                let ok = !river_row[j]
                    && !river_row[j + 1]
                    && !corridor_col[i]
                    && !in_east(&east, i, j)
                    && !in_east(&east, i, j + 1);
                north[j * nx + i] =
                    ok && unit_f64(hash4(seed, TAG_NORTH, i as u64, j as u64)) < 0.10;
            }
        }

        // Bridges: a few vertical streets continue across each river row.
        let mut bridge = vec![false; (nx + 1) * ny];
        for (j, _) in river_row.iter().enumerate().filter(|(_, r)| **r) {
            if nx < 2 {
                continue;
            }
            let k = (spec.bridges_per_river as usize).min(nx - 1);
            let mut rng = SplitMix64::for_cell(seed, TAG_BRIDGE, j as u64, 0);
            for b in 0..k {
                let target = ((b as f64 + 0.5) * nx as f64 / k as f64 + rng.range(-0.9, 0.9))
                    .round()
                    .clamp(1.0, (nx - 1) as f64) as usize;
                // Nearest free interior line to the target.
                let mut chosen = None;
                for d in 0..nx {
                    for cand in [target.saturating_sub(d), target + d] {
                        if (1..nx).contains(&cand) && !bridge[j * (nx + 1) + cand] {
                            chosen = Some(cand);
                            break;
                        }
                    }
                    if chosen.is_some() {
                        break;
                    }
                }
                if let Some(c) = chosen {
                    bridge[j * (nx + 1) + c] = true;
                }
            }
        }

        let mut h_present = vec![true; nx * (ny + 1)];
        for j in 1..=ny {
            for i in 0..nx {
                if north[(j - 1) * nx + i] {
                    h_present[j * nx + i] = false;
                }
            }
        }
        let mut v_present = vec![true; (nx + 1) * ny];
        for j in 0..ny {
            for i in 0..=nx {
                let present = if river_row[j] {
                    bridge[j * (nx + 1) + i]
                } else {
                    !(i >= 1 && (i - 1) % 2 == 0 && i - 1 < nx && east[j * nx + i - 1])
                };
                v_present[j * (nx + 1) + i] = present;
            }
        }

        // Bends: a few vertical street segments kink mid-way.
        let mut v_bend = vec![None; (nx + 1) * ny];
        for j in 0..ny {
            for i in 0..=nx {
                if river_row[j] || borders_corridor(i) {
                    continue;
                }
                let h = hash4(seed, TAG_BEND, i as u64, j as u64);
                if unit_f64(h) < 0.08 {
                    let (a, b) = (node(i, j), node(i, j + 1));
                    let side = if h & 1 == 0 { 1.0 } else { -1.0 };
                    let off = side * (5.0 + 4.0 * unit_f64(h.rotate_left(17)));
                    let mid = scale(add(a, b), 0.5);
                    v_bend[j * (nx + 1) + i] =
                        Some(add(mid, scale(left_normal(unit(sub(b, a))), off)));
                }
            }
        }

        // Street classes per grid line.
        let line_class = |idx: usize, n: usize, bank: bool, tag: u64| -> (RoadClass, f64) {
            let h = hash4(seed, TAG_CLASS, tag, idx as u64);
            let pick = |opts: &[f64]| opts[(h % opts.len() as u64) as usize];
            if bank {
                (RoadClass::Secondary, 24.0)
            } else if idx == 0 || idx == n || idx % 4 == 0 {
                (RoadClass::Arterial, pick(&[36.0, 40.0]))
            } else if idx % 4 == 2 {
                (RoadClass::Secondary, pick(&[24.0, 28.0]))
            } else {
                (RoadClass::Branch, pick(&[12.0, 14.0, 16.0]))
            }
        };
        let h_class: Vec<(RoadClass, f64)> = (0..=ny)
            .map(|j| line_class(j, ny, borders_river(j), 0))
            .collect();
        let v_class: Vec<(RoadClass, f64)> =
            (0..=nx).map(|i| line_class(i, nx, false, 1)).collect();

        // Names: rivers and expressways first, then one base per grid line.
        let bases = street_bases(seed);
        let base = |k: usize| bases[k % bases.len()].clone();
        let mut river_names = HashMap::new();
        for (j, _) in river_row.iter().enumerate().filter(|(_, r)| **r) {
            let mut rng = SplitMix64::for_cell(seed, TAG_RIVER, j as u64, 0);
            let pre = *rng.pick(&["泊", "白", "清", "沧", "洪", "柳", "玉", "澄"]);
            let post = *rng.pick(&["川", "沙", "溪", "水", "泉", "江"]);
            river_names.insert(j, format!("{pre}{post}河"));
        }
        let mut expressway_names = HashMap::new();
        for (k, (i, _)) in corridor_col
            .iter()
            .enumerate()
            .filter(|(_, c)| **c)
            .enumerate()
        {
            let b = base(bases.len() - 1 - k % bases.len());
            expressway_names.insert(i, format!("{b}快速路"));
        }

        let mut grid = Grid {
            seed,
            nx,
            ny,
            nodes,
            v_bend,
            h_present,
            v_present,
            river_row,
            corridor_col,
            east,
            north,
            h_class,
            v_class,
            h_run: vec![u32::MAX; nx * (ny + 1)],
            v_run: vec![u32::MAX; (nx + 1) * ny],
            runs: Vec::new(),
            river_names,
            expressway_names,
            north_dir: to_world(0.0, 1.0),
        };
        grid.north_dir = sub(grid.north_dir, origin);

        // Runs of consecutive existing edges, each one street feature with one name.
        for j in 0..=ny {
            let bank_name = if j > 0 && grid.river_row[j - 1] {
                grid.river_names
                    .get(&(j - 1))
                    .map(|r| format!("{}滨河北路", trim_he(r)))
            } else if j < ny && grid.river_row[j] {
                grid.river_names
                    .get(&j)
                    .map(|r| format!("{}滨河南路", trim_he(r)))
            } else {
                None
            };
            let suffix = if unit_f64(hash4(seed, TAG_SUFFIX, 0, j as u64)) < 0.25
                && grid.h_class[j].0 == RoadClass::Branch
            {
                "街"
            } else {
                "路"
            };
            let segs: Vec<(usize, usize)> = runs_of(nx, |i| grid.h_present[j * nx + i]);
            let many = segs.len() > 1;
            for (k, (s, e)) in segs.into_iter().enumerate() {
                let name = match &bank_name {
                    Some(n) => n.clone(),
                    None if many => format!("{}{}{suffix}", base(j), cn_num(k as u32 + 1)),
                    None => format!("{}{suffix}", base(j)),
                };
                let idx = grid.runs.len() as u32;
                for i in s..e {
                    grid.h_run[j * nx + i] = idx;
                }
                let (class, width) = grid.h_class[j];
                grid.runs.push(StreetRun {
                    horizontal: true,
                    line: j,
                    start: s,
                    end: e,
                    name,
                    class,
                    width,
                });
            }
        }
        for i in 0..=nx {
            let segs: Vec<(usize, usize)> = runs_of(ny, |j| grid.v_present[j * (nx + 1) + i]);
            let many = segs.len() > 1;
            let b = base(ny + 1 + i);
            for (k, (s, e)) in segs.into_iter().enumerate() {
                let name = if many {
                    format!("{b}{}路", cn_num(k as u32 + 1))
                } else {
                    format!("{b}路")
                };
                let idx = grid.runs.len() as u32;
                for j in s..e {
                    grid.v_run[j * (nx + 1) + i] = idx;
                }
                let (class, width) = grid.v_class[i];
                grid.runs.push(StreetRun {
                    horizontal: false,
                    line: i,
                    start: s,
                    end: e,
                    name,
                    class,
                    width,
                });
            }
        }
        grid
    }

    /// Node `P(i, j)`.
    pub(crate) fn node(&self, i: usize, j: usize) -> Coord {
        self.nodes[j * (self.nx + 1) + i]
    }

    /// Key of horizontal edge `H(i, j)`.
    pub(crate) fn h_key(&self, i: usize, j: usize) -> usize {
        j * self.nx + i
    }

    fn h_inset(&self, i: usize, j: usize) -> f64 {
        if self.h_present[j * self.nx + i] {
            self.h_class[j].1 / 2.0 + SIDEWALK
        } else {
            0.0
        }
    }

    fn v_inset(&self, i: usize, j: usize) -> f64 {
        if self.v_present[j * (self.nx + 1) + i] {
            self.v_class[i].1 / 2.0 + SIDEWALK
        } else {
            0.0
        }
    }

    fn bend(&self, i: usize, j: usize) -> Option<Coord> {
        self.v_bend[j * (self.nx + 1) + i]
    }

    /// Name of the street that edge `H(i, j)` belongs to (empty if the edge does not exist).
    pub(crate) fn h_street_name(&self, i: usize, j: usize) -> &str {
        match self.runs.get(self.h_run[j * self.nx + i] as usize) {
            Some(r) => &r.name,
            None => "",
        }
    }

    /// Name of the street that edge `V(i, j)` belongs to (empty if the edge does not exist).
    pub(crate) fn v_street_name(&self, i: usize, j: usize) -> &str {
        match self.runs.get(self.v_run[j * (self.nx + 1) + i] as usize) {
            Some(r) => &r.name,
            None => "",
        }
    }

    /// Names of the streets around a block (south, north, west, east), skipping missing ones.
    pub(crate) fn streets_around(&self, b: &Block) -> Vec<&str> {
        [
            self.h_street_name(b.i0, b.j0),
            self.h_street_name(b.i0, b.j1 + 1),
            self.v_street_name(b.i0, b.j0),
            self.v_street_name(b.i1 + 1, b.j0),
        ]
        .into_iter()
        .filter(|n| !n.is_empty())
        .collect()
    }

    /// The river name of a river row.
    pub(crate) fn river_name(&self, j: usize) -> &str {
        self.river_names.get(&j).map(String::as_str).unwrap_or("")
    }

    /// The expressway name of a corridor column.
    pub(crate) fn expressway_name(&self, i: usize) -> &str {
        self.expressway_names
            .get(&i)
            .map(String::as_str)
            .unwrap_or("")
    }

    fn group_of(&self, i: usize, j: usize) -> Option<Block> {
        let nx = self.nx;
        if self.river_row[j] {
            return (i == 0).then_some(Block {
                i0: 0,
                i1: nx - 1,
                j0: j,
                j1: j,
                kind: BlockKind::River,
            });
        }
        if i % 2 == 1 && self.east[j * nx + i - 1] {
            return None;
        }
        if j % 2 == 1 && self.north[(j - 1) * nx + i] {
            return None;
        }
        let kind = if self.corridor_col[i] {
            BlockKind::Corridor
        } else {
            BlockKind::Normal
        };
        let mut b = Block {
            i0: i,
            i1: i,
            j0: j,
            j1: j,
            kind,
        };
        if i % 2 == 0 && self.east[j * nx + i] {
            b.i1 = i + 1;
        } else if j % 2 == 0 && self.north[j * nx + i] {
            b.j1 = j + 1;
        }
        Some(b)
    }

    /// All blocks, south to north then west to east by their south-west cell.
    pub(crate) fn blocks(&self) -> impl Iterator<Item = Block> + '_ {
        (0..self.ny).flat_map(move |j| (0..self.nx).filter_map(move |i| self.group_of(i, j)))
    }

    /// The block's boundary along street centrelines (counter-clockwise, open) with the inset of
    /// each edge (half the street width plus sidewalk; 0 where no street runs), plus `extra` on
    /// existing horizontal streets (used for the river's embankment).
    pub(crate) fn block_ring(&self, b: &Block, extra: f64) -> (Vec<Coord>, Vec<f64>) {
        let mut ring = Vec::new();
        let mut dist = Vec::new();
        let h = |i: usize, j: usize| {
            let d = self.h_inset(i, j);
            if d > 0.0 {
                d + extra
            } else {
                d
            }
        };
        for i in b.i0..=b.i1 {
            ring.push(self.node(i, b.j0));
            dist.push(h(i, b.j0));
        }
        for j in b.j0..=b.j1 {
            ring.push(self.node(b.i1 + 1, j));
            dist.push(self.v_inset(b.i1 + 1, j));
            if let Some(m) = self.bend(b.i1 + 1, j) {
                ring.push(m);
                dist.push(self.v_inset(b.i1 + 1, j));
            }
        }
        for i in (b.i0..=b.i1).rev() {
            ring.push(self.node(i + 1, b.j1 + 1));
            dist.push(h(i, b.j1 + 1));
        }
        for j in (b.j0..=b.j1).rev() {
            ring.push(self.node(b.i0, j + 1));
            dist.push(self.v_inset(b.i0, j));
            if let Some(m) = self.bend(b.i0, j) {
                ring.push(m);
                dist.push(self.v_inset(b.i0, j));
            }
        }
        (ring, dist)
    }

    /// The land inside a block: its ring inset from the street centrelines.
    pub(crate) fn block_land(&self, b: &Block) -> Vec<Coord> {
        let (ring, dist) = self.block_ring(b, 0.0);
        inset_ring(&ring, &dist)
    }

    /// The block's local frame: origin at its south-west node, `u` along its southern street.
    pub(crate) fn block_frame(&self, b: &Block) -> Frame {
        let a = self.node(b.i0, b.j0);
        Frame::new(a, sub(self.node(b.i1 + 1, b.j0), a))
    }

    /// Where the line through `p` along `d` crosses the block's southern (`top == false`) or
    /// northern street centreline, away from the junctions.
    pub(crate) fn attach(&self, b: &Block, top: bool, p: Coord, d: Coord) -> Option<Attach> {
        let j = if top { b.j1 + 1 } else { b.j0 };
        for i in b.i0..=b.i1 {
            let (a, e) = (self.node(i, j), self.node(i + 1, j));
            if let Some(t) = super::geom::segment_line_param(a, e, p, d) {
                if (0.04..=0.96).contains(&t) {
                    return Some(Attach {
                        edge: self.h_key(i, j),
                        t,
                        at: add(a, scale(sub(e, a), t)),
                    });
                }
            }
        }
        None
    }

    /// Community-service level of a cell in [0, 1]: 1 in the south-west half, falling to 0 in
    /// the north-east corner, so that the north-east compounds are clearly underserved.
    pub(crate) fn service_level(&self, i: usize, j: usize) -> f64 {
        let fx = (i as f64 + 0.5) / self.nx.max(1) as f64;
        let fy = (j as f64 + 0.5) / self.ny.max(1) as f64;
        let d = (fx + fy) / 2.0;
        let t = ((d - 0.45) / 0.3).clamp(0.0, 1.0);
        1.0 - t * t * (3.0 - 2.0 * t)
    }

    /// Index of the street-office region (5 × 5 cells) of a cell.
    pub(crate) fn region(&self, i: usize, j: usize) -> u64 {
        let per_row = self.nx.div_ceil(5).max(1);
        ((j / 5) * per_row + i / 5) as u64
    }

    /// Street polylines, each run as one line through all its junctions, with the given
    /// attachment vertices inserted into their edges.
    pub(crate) fn street_lines(
        &self,
        attaches: &HashMap<usize, Vec<Attach>>,
    ) -> Vec<(&StreetRun, Vec<Coord>)> {
        self.runs
            .iter()
            .map(|run| {
                let mut pts = Vec::new();
                for k in run.start..run.end {
                    if run.horizontal {
                        pts.push(self.node(k, run.line));
                        if let Some(list) = attaches.get(&self.h_key(k, run.line)) {
                            let mut list = list.clone();
                            list.sort_by(|a, b| a.t.total_cmp(&b.t));
                            list.dedup_by(|a, b| a.at == b.at);
                            pts.extend(list.iter().map(|a| a.at));
                        }
                    } else {
                        pts.push(self.node(run.line, k));
                        if let Some(m) = self.bend(run.line, k) {
                            pts.push(m);
                        }
                    }
                }
                pts.push(if run.horizontal {
                    self.node(run.end, run.line)
                } else {
                    self.node(run.line, run.end)
                });
                (run, pts)
            })
            .collect()
    }

    /// One expressway line per corridor column: through the corridor cell centres, from south of
    /// the district to north of it. Its vertices are mid-block, so it crosses every street
    /// without sharing a vertex (a viaduct).
    pub(crate) fn expressway_lines(&self) -> Vec<(&str, Vec<Coord>)> {
        let mut out = Vec::new();
        if self.ny == 0 {
            return out;
        }
        for i in 0..self.nx {
            if !self.corridor_col[i] {
                continue;
            }
            let centre = |j: usize| {
                let s = add(
                    add(self.node(i, j), self.node(i + 1, j)),
                    add(self.node(i, j + 1), self.node(i + 1, j + 1)),
                );
                scale(s, 0.25)
            };
            let mut pts = vec![add(centre(0), scale(self.north_dir, -260.0))];
            pts.extend((0..self.ny).map(centre));
            pts.push(add(centre(self.ny - 1), scale(self.north_dir, 260.0)));
            out.push((self.expressway_name(i), pts));
        }
        out
    }
}

fn trim_he(river: &str) -> &str {
    river.strip_suffix('河').unwrap_or(river)
}

/// Maximal runs `[start, end)` of indices in `0..n` where `present` holds.
fn runs_of(n: usize, present: impl Fn(usize) -> bool) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = None;
    for k in 0..=n {
        let p = k < n && present(k);
        match (p, start) {
            (true, None) => start = Some(k),
            (false, Some(s)) => {
                out.push((s, k));
                start = None;
            }
            _ => {}
        }
    }
    out
}
