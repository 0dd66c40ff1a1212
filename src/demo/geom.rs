//! Small planar helpers for building the demo geometry.
//!
//! These are construction tools, not general algorithms: they cut, inset and test the simple,
//! nearly convex rings the generator makes, and compute each shared vertex exactly once so that
//! neighbouring parcels touch without gaps and streets meet at bit-identical junctions. Overlay
//! and validation of arbitrary input belong to `geo`, which the tests use as the reference.
//!
//! Internal rings are open (no repeated closing point) and counter-clockwise.

use geo_types::{Coord, LineString, Polygon};

/// `a + b`.
pub(crate) fn add(a: Coord, b: Coord) -> Coord {
    Coord {
        x: a.x + b.x,
        y: a.y + b.y,
    }
}

/// `a - b`.
pub(crate) fn sub(a: Coord, b: Coord) -> Coord {
    Coord {
        x: a.x - b.x,
        y: a.y - b.y,
    }
}

/// `a * k`.
pub(crate) fn scale(a: Coord, k: f64) -> Coord {
    Coord {
        x: a.x * k,
        y: a.y * k,
    }
}

/// 2-D cross product (z of the 3-D one).
pub(crate) fn cross(a: Coord, b: Coord) -> f64 {
    a.x * b.y - a.y * b.x
}

/// Dot product.
pub(crate) fn dot(a: Coord, b: Coord) -> f64 {
    a.x * b.x + a.y * b.y
}

/// Euclidean length.
pub(crate) fn norm(a: Coord) -> f64 {
    a.x.hypot(a.y)
}

/// `a` scaled to length 1 (unchanged if it has length 0).
pub(crate) fn unit(a: Coord) -> Coord {
    let n = norm(a);
    if n == 0.0 {
        a
    } else {
        scale(a, 1.0 / n)
    }
}

/// `a` turned 90° counter-clockwise.
pub(crate) fn left_normal(a: Coord) -> Coord {
    Coord { x: -a.y, y: a.x }
}

/// Twice the signed area of an open ring (positive when counter-clockwise).
pub(crate) fn ring_area2(ring: &[Coord]) -> f64 {
    let n = ring.len();
    (0..n)
        .map(|k| cross(ring[k], ring[(k + 1) % n]))
        .sum::<f64>()
}

/// Unsigned area of an open ring.
pub(crate) fn ring_area(ring: &[Coord]) -> f64 {
    ring_area2(ring).abs() / 2.0
}

/// Intersection of the lines `p + s·d` and `q + t·e`; `None` when (nearly) parallel.
pub(crate) fn line_intersection(p: Coord, d: Coord, q: Coord, e: Coord) -> Option<Coord> {
    let den = cross(d, e);
    if den.abs() < 1e-12 * norm(d) * norm(e) {
        return None;
    }
    let s = cross(sub(q, p), e) / den;
    Some(add(p, scale(d, s)))
}

/// Parameter `t` in [0, 1] where segment `a→b` meets the line `p + s·d`, if it does.
pub(crate) fn segment_line_param(a: Coord, b: Coord, p: Coord, d: Coord) -> Option<f64> {
    let e = sub(b, a);
    let den = cross(e, d);
    if den.abs() < 1e-12 * norm(e) * norm(d) {
        return None;
    }
    let t = cross(sub(p, a), d) / den;
    (0.0..=1.0).contains(&t).then_some(t)
}

/// Insets a counter-clockwise open ring: edge `k` (from vertex `k` to `k+1`) moves inward by
/// `dist[k]`, and each new vertex is where the moved neighbouring edges meet (a mitre).
///
/// Meant for the generator's street blocks: long edges, corners near 90° or near 180°.
pub(crate) fn inset_ring(ring: &[Coord], dist: &[f64]) -> Vec<Coord> {
    let n = ring.len();
    (0..n)
        .map(|k| {
            let prev = (k + n - 1) % n;
            let e_prev = unit(sub(ring[k], ring[prev]));
            let e_next = unit(sub(ring[(k + 1) % n], ring[k]));
            let p_prev = add(ring[prev], scale(left_normal(e_prev), dist[prev]));
            let p_next = add(ring[k], scale(left_normal(e_next), dist[k]));
            line_intersection(p_prev, e_prev, p_next, e_next).unwrap_or(p_next)
        })
        .collect()
}

/// Splits a ring by the line through `p` with normal `n`: returns (the part where
/// `(x - p)·n <= 0`, the part where it is `>= 0`). Each crossing point is computed once and
/// pushed into both parts, so the two parts share their cut edge exactly.
///
/// Correct when the line crosses the ring boundary at most twice, which holds for the nearly
/// convex blocks and lots the generator cuts.
pub(crate) fn split_ring(ring: &[Coord], p: Coord, n: Coord) -> (Vec<Coord>, Vec<Coord>) {
    let mut neg = Vec::with_capacity(ring.len() + 2);
    let mut pos = Vec::with_capacity(ring.len() + 2);
    let len = ring.len();
    for k in 0..len {
        let a = ring[k];
        let b = ring[(k + 1) % len];
        let da = dot(sub(a, p), n);
        let db = dot(sub(b, p), n);
        if da <= 0.0 {
            neg.push(a);
        }
        if da >= 0.0 {
            pos.push(a);
        }
        if (da < 0.0 && db > 0.0) || (da > 0.0 && db < 0.0) {
            let x = add(a, scale(sub(b, a), da / (da - db)));
            neg.push(x);
            pos.push(x);
        }
    }
    (neg, pos)
}

/// Cuts a strip of width `w` along edge `k` (from vertex `k` to `k+1`) off a counter-clockwise
/// ring: returns (strip, rest), sharing the two new vertices. `None` if the neighbouring edges
/// meet edge `k` at a shallow angle or are too short for the strip.
pub(crate) fn carve_strip(ring: &[Coord], k: usize, w: f64) -> Option<(Vec<Coord>, Vec<Coord>)> {
    let n = ring.len();
    if n < 4 {
        return None;
    }
    let (a, b) = (ring[k], ring[(k + 1) % n]);
    let (pv, nx) = (ring[(k + n - 1) % n], ring[(k + 2) % n]);
    let e = unit(sub(b, a));
    let o = add(a, scale(left_normal(e), w));
    let (ep, en) = (sub(a, pv), sub(nx, b));
    if cross(e, unit(ep)).abs() < 0.5 || cross(e, unit(en)).abs() < 0.5 {
        return None;
    }
    let y1 = line_intersection(o, e, pv, ep)?;
    let y2 = line_intersection(o, e, b, en)?;
    let t1 = dot(sub(y1, pv), ep) / dot(ep, ep);
    let t2 = dot(sub(y2, b), en) / dot(en, en);
    if !(t1 > 0.0 && t1 < 1.0 && t2 > 0.0 && t2 < 1.0) {
        return None;
    }
    let strip = vec![a, b, y2, y1];
    let mut rest = Vec::with_capacity(n);
    rest.push(y1);
    rest.push(y2);
    rest.extend((2..n).map(|m| ring[(k + m) % n]));
    Some((strip, rest))
}

/// Cuts a corner piece off a counter-clockwise ring at vertex `k`: `a` metres along the next edge,
/// `b` along the previous one; a parallelogram (`notch`) or a triangle. Returns (piece, rest),
/// sharing the new vertices. `None` if the corner is too sharp or flat, or the edges too short.
pub(crate) fn carve_corner(
    ring: &[Coord],
    k: usize,
    a: f64,
    b: f64,
    notch: bool,
) -> Option<(Vec<Coord>, Vec<Coord>)> {
    let n = ring.len();
    if n < 3 {
        return None;
    }
    let c0 = ring[k];
    let (dn, dp) = (sub(ring[(k + 1) % n], c0), sub(ring[(k + n - 1) % n], c0));
    if norm(dn) < a + 8.0 || norm(dp) < b + 8.0 || cross(unit(dn), unit(dp)) < 0.6 {
        return None;
    }
    let x1 = add(c0, scale(unit(dn), a));
    let x2 = add(c0, scale(unit(dp), b));
    let mut rest = Vec::with_capacity(n + 2);
    rest.push(x1);
    rest.extend((1..n).map(|m| ring[(k + m) % n]));
    rest.push(x2);
    let piece = if notch {
        let q = sub(add(x1, x2), c0);
        rest.push(q);
        vec![c0, x1, q, x2]
    } else {
        vec![c0, x1, x2]
    };
    Some((piece, rest))
}

/// Even-odd point-in-ring test.
pub(crate) fn point_in_ring(pt: Coord, ring: &[Coord]) -> bool {
    let n = ring.len();
    if n < 3 {
        return false;
    }
    let mut inside = false;
    let mut j = n - 1;
    for i in 0..n {
        let (a, b) = (ring[i], ring[j]);
        if (a.y > pt.y) != (b.y > pt.y) {
            let x = a.x + (pt.y - a.y) * (b.x - a.x) / (b.y - a.y);
            if pt.x < x {
                inside = !inside;
            }
        }
        j = i;
    }
    inside
}

/// True when the closed segments `a–b` and `c–d` share a point.
pub(crate) fn segments_intersect(a: Coord, b: Coord, c: Coord, d: Coord) -> bool {
    let d1 = cross(sub(b, a), sub(c, a));
    let d2 = cross(sub(b, a), sub(d, a));
    let d3 = cross(sub(d, c), sub(a, c));
    let d4 = cross(sub(d, c), sub(b, c));
    if ((d1 > 0.0 && d2 < 0.0) || (d1 < 0.0 && d2 > 0.0))
        && ((d3 > 0.0 && d4 < 0.0) || (d3 < 0.0 && d4 > 0.0))
    {
        return true;
    }
    let on = |p: Coord, q: Coord, r: Coord, c: f64| {
        c == 0.0
            && r.x >= p.x.min(q.x)
            && r.x <= p.x.max(q.x)
            && r.y >= p.y.min(q.y)
            && r.y <= p.y.max(q.y)
    };
    on(a, b, c, d1) || on(a, b, d, d2) || on(c, d, a, d3) || on(c, d, b, d4)
}

/// A local orthonormal frame: `u` along a street, `v` 90° to its left (into the block).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Frame {
    pub(crate) origin: Coord,
    pub(crate) u: Coord,
    pub(crate) v: Coord,
}

impl Frame {
    /// A frame at `origin` whose `u` axis points along `dir`.
    pub(crate) fn new(origin: Coord, dir: Coord) -> Self {
        let u = unit(dir);
        Self {
            origin,
            u,
            v: left_normal(u),
        }
    }

    /// World coordinates of local `(a, b)`.
    pub(crate) fn world(&self, a: f64, b: f64) -> Coord {
        add(self.origin, add(scale(self.u, a), scale(self.v, b)))
    }

    /// Local coordinates of a world point.
    pub(crate) fn local(&self, p: Coord) -> (f64, f64) {
        let d = sub(p, self.origin);
        (dot(d, self.u), dot(d, self.v))
    }

    /// Local bounding box `[umin, vmin, umax, vmax]` of a ring.
    pub(crate) fn bbox(&self, ring: &[Coord]) -> [f64; 4] {
        let mut b = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
        for p in ring {
            let (a, c) = self.local(*p);
            b[0] = b[0].min(a);
            b[1] = b[1].min(c);
            b[2] = b[2].max(a);
            b[3] = b[3].max(c);
        }
        b
    }

    /// The four world corners (counter-clockwise) of the local rectangle `[u0, v0, u1, v1]`.
    pub(crate) fn rect(&self, r: [f64; 4]) -> [Coord; 4] {
        [
            self.world(r[0], r[1]),
            self.world(r[2], r[1]),
            self.world(r[2], r[3]),
            self.world(r[0], r[3]),
        ]
    }
}

/// True when the local rectangle `r`, grown by `margin`, lies inside `ring` (world coordinates):
/// its corners are inside, no ring edge crosses its edges and no ring vertex lies within it.
pub(crate) fn rect_inside_ring(frame: &Frame, r: [f64; 4], margin: f64, ring: &[Coord]) -> bool {
    let g = [r[0] - margin, r[1] - margin, r[2] + margin, r[3] + margin];
    let corners = frame.rect(g);
    if !corners.iter().all(|c| point_in_ring(*c, ring)) {
        return false;
    }
    let n = ring.len();
    for k in 0..n {
        let (a, b) = (ring[k], ring[(k + 1) % n]);
        let (lu, lv) = frame.local(a);
        if lu >= g[0] && lu <= g[2] && lv >= g[1] && lv <= g[3] {
            return false;
        }
        for m in 0..4 {
            if segments_intersect(a, b, corners[m], corners[(m + 1) % 4]) {
                return false;
            }
        }
    }
    true
}

/// Closes an open counter-clockwise ring into a `LineString` wound clockwise (shapefile outer).
pub(crate) fn closed_cw(ring: &[Coord]) -> LineString<f64> {
    let mut pts: Vec<Coord> = ring.iter().rev().copied().collect();
    if let Some(first) = pts.first().copied() {
        pts.push(first);
    }
    LineString::new(pts)
}

/// Closes an open counter-clockwise ring into a counter-clockwise `LineString` (shapefile hole).
pub(crate) fn closed_ccw(ring: &[Coord]) -> LineString<f64> {
    let mut pts: Vec<Coord> = ring.to_vec();
    if let Some(first) = pts.first().copied() {
        pts.push(first);
    }
    LineString::new(pts)
}

/// A polygon in the shapefile winding (outer clockwise, holes counter-clockwise) from open
/// counter-clockwise rings (holes given counter-clockwise too).
pub(crate) fn shapefile_polygon(outer: &[Coord], holes: &[Vec<Coord>]) -> Polygon<f64> {
    Polygon::new(
        closed_cw(outer),
        holes.iter().map(|h| closed_ccw(h)).collect(),
    )
}

/// Rounds to 2 decimals, as the DBF numeric fields store it.
pub(crate) fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(x: f64, y: f64) -> Coord {
        Coord { x, y }
    }

    fn square() -> Vec<Coord> {
        vec![c(0.0, 0.0), c(10.0, 0.0), c(10.0, 10.0), c(0.0, 10.0)]
    }

    #[test]
    fn inset_square_shrinks_each_side() {
        let r = inset_ring(&square(), &[1.0, 2.0, 0.0, 0.0]);
        assert_eq!(r[0], c(0.0, 1.0));
        assert_eq!(r[1], c(8.0, 1.0));
        assert_eq!(r[2], c(8.0, 10.0));
        assert!((ring_area(&r) - 72.0).abs() < 1e-9);
    }

    #[test]
    fn split_shares_cut_points_and_keeps_area() {
        let (a, b) = split_ring(&square(), c(3.0, 0.0), c(1.0, 0.2));
        assert!((ring_area(&a) + ring_area(&b) - 100.0).abs() < 1e-9);
        let shared = a.iter().filter(|p| b.contains(p)).count();
        assert_eq!(shared, 2);
    }

    #[test]
    fn carving_tiles_the_ring() {
        let sq = square();
        let (strip, rest) = carve_strip(&sq, 0, 2.0).expect("strip");
        assert!((ring_area(&strip) - 20.0).abs() < 1e-9);
        assert!((ring_area(&rest) - 80.0).abs() < 1e-9);
        assert!(ring_area2(&strip) > 0.0 && ring_area2(&rest) > 0.0);
        let big: Vec<Coord> = sq.iter().map(|p| scale(*p, 10.0)).collect();
        let (piece, rest) = carve_corner(&big, 0, 20.0, 15.0, true).expect("notch");
        assert!((ring_area(&piece) - 300.0).abs() < 1e-9);
        assert!((ring_area(&rest) - 9700.0).abs() < 1e-9);
        let (tri, rest) = carve_corner(&big, 2, 20.0, 20.0, false).expect("triangle");
        assert!((ring_area(&tri) - 200.0).abs() < 1e-9);
        assert!(ring_area2(&tri) > 0.0 && ring_area2(&rest) > 0.0);
        assert!(carve_corner(&sq, 0, 20.0, 20.0, true).is_none());
    }

    #[test]
    fn rect_inside_detects_notch() {
        // An L-shaped ring: the square minus its top-right quarter.
        let ring = vec![
            c(0.0, 0.0),
            c(10.0, 0.0),
            c(10.0, 5.0),
            c(5.0, 5.0),
            c(5.0, 10.0),
            c(0.0, 10.0),
        ];
        let f = Frame::new(c(0.0, 0.0), c(1.0, 0.0));
        assert!(rect_inside_ring(&f, [1.0, 1.0, 9.0, 4.0], 0.5, &ring));
        assert!(!rect_inside_ring(&f, [1.0, 1.0, 9.0, 6.0], 0.5, &ring));
        assert!(!rect_inside_ring(&f, [4.0, 1.0, 9.0, 9.0], 0.0, &ring));
        // A U-shaped ring: all four corners are inside, but the notch pokes into the rectangle.
        let u_ring = vec![
            c(0.0, 0.0),
            c(10.0, 0.0),
            c(10.0, 10.0),
            c(6.0, 10.0),
            c(6.0, 5.0),
            c(4.0, 5.0),
            c(4.0, 10.0),
            c(0.0, 10.0),
        ];
        assert!(!rect_inside_ring(&f, [1.0, 1.0, 9.0, 8.0], 0.0, &u_ring));
        assert!(rect_inside_ring(&f, [1.0, 1.0, 9.0, 4.0], 0.5, &u_ring));
    }

    #[test]
    fn polygon_winding_is_shapefile_order() {
        let p = shapefile_polygon(&square(), &[vec![c(2.0, 2.0), c(4.0, 2.0), c(4.0, 4.0)]]);
        let ext: Vec<Coord> = p.exterior().0.clone();
        assert!(ring_area2(&ext[..ext.len() - 1]) < 0.0);
        let hole: Vec<Coord> = p.interiors()[0].0.clone();
        assert!(ring_area2(&hole[..hole.len() - 1]) > 0.0);
    }
}
