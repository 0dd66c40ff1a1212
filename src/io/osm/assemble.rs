//! Multipolygon assembly: member ways joined end to end into closed rings, rings arranged into
//! polygons with holes by containment.
//!
//! Written by hand because the georust crates build polygons from rings but not rings from OSM
//! way fragments, and the rule is short. Member roles (`outer`/`inner`) are not trusted: they are
//! often wrong or missing in real data, and containment decides.

use std::collections::HashSet;

use geo::orient::{Direction, Orient};
use geo::{Area, Contains, Coord, LineString, MultiPolygon, Point, Polygon};

/// Why a relation's rings could not be built.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum RingError {
    /// The member ways do not join into closed rings; the chain ends at this node.
    Unclosed {
        /// The OSM node where an open chain ends.
        node: i64,
    },
    /// A closed ring with fewer than three distinct corners.
    Degenerate,
}

/// Join node-id chains (the member ways' node lists) end to end into closed rings.
///
/// Each ring is returned closed (first id = last id). A chain that cannot be closed fails the whole
/// set: a polygon with a missing piece of boundary would be a different shape.
pub(crate) fn join_rings(chains: Vec<Vec<i64>>) -> Result<Vec<Vec<i64>>, RingError> {
    let mut rings = Vec::new();
    let mut open = Vec::new();
    for chain in chains {
        match (chain.first(), chain.last()) {
            (Some(a), Some(b)) if chain.len() >= 2 && a == b => rings.push(chain),
            (Some(_), Some(_)) if chain.len() >= 2 => open.push(chain),
            _ => return Err(RingError::Degenerate),
        }
    }
    while let Some(mut ring) = open.pop() {
        loop {
            let (first, last) = match (ring.first(), ring.last()) {
                (Some(f), Some(l)) => (*f, *l),
                _ => return Err(RingError::Degenerate),
            };
            if first == last {
                rings.push(ring);
                break;
            }
            // Relations have tens of members at most in practice, so a linear scan is fine.
            let Some(i) = open
                .iter()
                .position(|c| c.first() == Some(&last) || c.last() == Some(&last))
            else {
                return Err(RingError::Unclosed { node: last });
            };
            let mut next = open.swap_remove(i);
            if next.first() != Some(&last) {
                next.reverse();
            }
            ring.extend_from_slice(&next[1..]);
        }
    }
    for ring in &rings {
        let distinct: HashSet<i64> = ring.iter().copied().collect();
        if ring.len() < 4 || distinct.len() < 3 {
            return Err(RingError::Degenerate);
        }
    }
    Ok(rings)
}

/// Arrange closed rings (node ids and coordinates) into polygons: a ring inside an even number of
/// other rings is a shell, one inside an odd number is a hole of the smallest ring around it.
/// Shells come out counter-clockwise, holes clockwise.
pub(crate) fn rings_to_polygons(rings: Vec<(Vec<i64>, LineString<f64>)>) -> MultiPolygon<f64> {
    let mut rings: Vec<(Vec<i64>, Polygon<f64>, f64)> = rings
        .into_iter()
        .map(|(ids, line)| {
            let poly = Polygon::new(line, Vec::new());
            let area = poly.unsigned_area();
            (ids, poly, area)
        })
        .collect();
    rings.sort_by(|a, b| b.2.total_cmp(&a.2));

    // parent[i]: the smallest ring containing ring i (rings are sorted largest first, so the
    // candidates are the rings before i, and the nearest one found scanning back is the smallest).
    let mut depth = vec![0_usize; rings.len()];
    let mut parent = vec![None; rings.len()];
    for i in 0..rings.len() {
        for j in (0..i).rev() {
            if ring_inside(&rings[i].0, &rings[i].1, &rings[j].0, &rings[j].1) {
                parent[i] = Some(j);
                depth[i] = depth[j] + 1;
                break;
            }
        }
    }

    let mut shells: Vec<Option<Polygon<f64>>> = vec![None; rings.len()];
    let mut holes: Vec<Vec<LineString<f64>>> = vec![Vec::new(); rings.len()];
    for (i, (_, poly, _)) in rings.into_iter().enumerate() {
        let (exterior, _) = poly.into_inner();
        match parent[i] {
            Some(p) if depth[i] % 2 == 1 => holes[p].push(exterior),
            _ => shells[i] = Some(Polygon::new(exterior, Vec::new())),
        }
    }
    let polygons = shells
        .into_iter()
        .zip(holes)
        .filter_map(|(shell, holes)| {
            shell.map(|s| Polygon::new(s.into_inner().0, holes).orient(Direction::Default))
        })
        .collect();
    MultiPolygon(polygons)
}

/// True when ring `a` lies inside ring `b`: a corner of `a` that is not a node of `b` is inside `b`.
/// Rings of a valid multipolygon do not cross, so one corner decides; corners shared with `b`
/// (touching rings) say nothing and are passed over.
fn ring_inside(a_ids: &[i64], a: &Polygon<f64>, b_ids: &[i64], b: &Polygon<f64>) -> bool {
    let b_nodes: HashSet<i64> = b_ids.iter().copied().collect();
    let corner: Option<Coord<f64>> = a_ids
        .iter()
        .zip(a.exterior().coords())
        .find(|(id, _)| !b_nodes.contains(id))
        .map(|(_, c)| *c);
    corner.is_some_and(|c| b.contains(&Point::from(c)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chains_join_in_any_direction() {
        let rings = join_rings(vec![vec![1, 2, 3], vec![5, 4, 3], vec![5, 1]]).expect("closes");
        assert_eq!(rings.len(), 1);
        assert_eq!(rings[0], vec![5, 1, 2, 3, 4, 5]);
    }

    #[test]
    fn an_open_chain_is_refused() {
        assert_eq!(
            join_rings(vec![vec![1, 2, 3], vec![3, 4]]),
            Err(RingError::Unclosed { node: 4 })
        );
        assert_eq!(join_rings(vec![vec![1, 2, 1]]), Err(RingError::Degenerate));
    }

    fn square(ids: [i64; 4], x0: f64, y0: f64, side: f64) -> (Vec<i64>, LineString<f64>) {
        let c = [
            (x0, y0),
            (x0 + side, y0),
            (x0 + side, y0 + side),
            (x0, y0 + side),
        ];
        let mut ids = ids.to_vec();
        ids.push(ids[0]);
        let mut line: Vec<(f64, f64)> = c.to_vec();
        line.push(c[0]);
        (ids, LineString::from(line))
    }

    #[test]
    fn a_ring_inside_another_is_a_hole_and_an_island_in_it_a_shell() {
        let outer = square([1, 2, 3, 4], 0.0, 0.0, 10.0);
        let hole = square([5, 6, 7, 8], 2.0, 2.0, 6.0);
        let island = square([9, 10, 11, 12], 4.0, 4.0, 2.0);
        let apart = square([13, 14, 15, 16], 20.0, 0.0, 1.0);
        let mp = rings_to_polygons(vec![island, apart, hole, outer]);
        assert_eq!(mp.0.len(), 3);
        let big = &mp.0[0];
        assert_eq!(big.interiors().len(), 1);
        assert!((big.unsigned_area() - 64.0).abs() < 1e-9);
        assert!(big.exterior().is_closed());
        assert_eq!(mp.0.iter().map(|p| p.interiors().len()).sum::<usize>(), 1);
        // Shell counter-clockwise, hole clockwise.
        assert!(big.signed_area() > 0.0);
    }
}
