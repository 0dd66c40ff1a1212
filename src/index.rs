//! Spatial index over a layer's features (rstar R*-tree of bounding boxes).
//!
//! Queries return candidate feature indexes whose bounding box meets the query; exact geometric
//! predicates are the caller's, as in PostGIS's `&&` followed by `ST_Intersects`.

use geo::{BoundingRect, Coord, Geometry, Rect};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{RTree, AABB};

type Entry = GeomWithData<Rectangle<[f64; 2]>, u32>;

/// An R-tree of feature bounding boxes, built once per layer by bulk loading.
#[derive(Debug, Default)]
pub struct SpatialIndex {
    tree: RTree<Entry>,
}

impl SpatialIndex {
    /// Bulk-load the bounding boxes of `geometries`; empty geometries are left out.
    pub fn build(geometries: &[Geometry<f64>]) -> SpatialIndex {
        let entries: Vec<Entry> = geometries
            .iter()
            .enumerate()
            .filter_map(|(i, g)| {
                let r = g.bounding_rect()?;
                Some(GeomWithData::new(
                    Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]),
                    i as u32,
                ))
            })
            .collect();
        SpatialIndex {
            tree: RTree::bulk_load(entries),
        }
    }

    /// Number of indexed features.
    pub fn len(&self) -> usize {
        self.tree.size()
    }

    /// True when nothing is indexed.
    pub fn is_empty(&self) -> bool {
        self.tree.size() == 0
    }

    /// Indexes of the features whose bounding box intersects `rect` (boundaries included), unordered.
    pub fn query_rect(&self, rect: Rect<f64>) -> impl Iterator<Item = usize> + '_ {
        let aabb = AABB::from_corners([rect.min().x, rect.min().y], [rect.max().x, rect.max().y]);
        self.tree
            .locate_in_envelope_intersecting(&aabb)
            .map(|e| e.data as usize)
    }

    /// Indexes of the features whose bounding box contains `point`.
    pub fn query_point(&self, point: Coord<f64>) -> impl Iterator<Item = usize> + '_ {
        self.tree
            .locate_all_at_point(&[point.x, point.y])
            .map(|e| e.data as usize)
    }

    /// Indexes of the features whose bounding box lies within `distance` of `point`,
    /// nearest box first.
    pub fn within_distance(
        &self,
        point: Coord<f64>,
        distance: f64,
    ) -> impl Iterator<Item = usize> + '_ {
        self.tree
            .nearest_neighbor_iter_with_distance_2(&[point.x, point.y])
            .take_while(move |(_, d2)| *d2 <= distance * distance)
            .map(|(e, _)| e.data as usize)
    }

    /// The union of all bounding boxes.
    pub fn extent(&self) -> Option<Rect<f64>> {
        if self.tree.size() == 0 {
            return None;
        }
        let env = self.tree.root().envelope();
        let (lo, hi) = (env.lower(), env.upper());
        Some(Rect::new(
            Coord { x: lo[0], y: lo[1] },
            Coord { x: hi[0], y: hi[1] },
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{polygon, Intersects};
    use proptest::prelude::*;

    fn boxes(raw: &[(f64, f64, f64, f64)]) -> Vec<Geometry<f64>> {
        raw.iter()
            .map(|&(x, y, w, h)| {
                Geometry::Polygon(polygon![
                    (x: x, y: y), (x: x + w, y: y), (x: x + w, y: y + h), (x: x, y: y + h), (x: x, y: y)
                ])
            })
            .collect()
    }

    fn linear_scan(geoms: &[Geometry<f64>], q: Rect<f64>) -> Vec<usize> {
        geoms
            .iter()
            .enumerate()
            .filter(|(_, g)| g.bounding_rect().is_some_and(|r| r.intersects(&q)))
            .map(|(i, _)| i)
            .collect()
    }

    proptest! {
        #[test]
        fn rect_query_matches_a_linear_scan(
            raw in prop::collection::vec((0.0..1000.0f64, 0.0..1000.0f64, 0.0..50.0f64, 0.0..50.0f64), 0..300),
            qx in -50.0..1000.0f64, qy in -50.0..1000.0f64, qw in 0.0..400.0f64, qh in 0.0..400.0f64,
        ) {
            let geoms = boxes(&raw);
            let index = SpatialIndex::build(&geoms);
            let q = Rect::new(Coord { x: qx, y: qy }, Coord { x: qx + qw, y: qy + qh });
            let mut got: Vec<usize> = index.query_rect(q).collect();
            got.sort_unstable();
            prop_assert_eq!(got, linear_scan(&geoms, q));
        }

        #[test]
        fn distance_query_matches_a_linear_scan(
            raw in prop::collection::vec((0.0..1000.0f64, 0.0..1000.0f64, 0.0..50.0f64, 0.0..50.0f64), 0..300),
            px in 0.0..1000.0f64, py in 0.0..1000.0f64, d in 0.0..200.0f64,
        ) {
            let geoms = boxes(&raw);
            let index = SpatialIndex::build(&geoms);
            let mut got: Vec<usize> = index.within_distance(Coord { x: px, y: py }, d).collect();
            got.sort_unstable();
            let want: Vec<usize> = geoms.iter().enumerate().filter(|(_, g)| {
                let r = g.bounding_rect().unwrap();
                let dx = (r.min().x - px).max(0.0).max(px - r.max().x);
                let dy = (r.min().y - py).max(0.0).max(py - r.max().y);
                dx * dx + dy * dy <= d * d
            }).map(|(i, _)| i).collect();
            prop_assert_eq!(got, want);
        }
    }

    #[test]
    fn empty_geometries_are_not_indexed() {
        let mut geoms = boxes(&[(0.0, 0.0, 1.0, 1.0)]);
        geoms.push(Geometry::GeometryCollection(
            geo::GeometryCollection::default(),
        ));
        let index = SpatialIndex::build(&geoms);
        assert_eq!(index.len(), 1);
        assert_eq!(
            index.extent(),
            Some(Rect::new(
                Coord { x: 0.0, y: 0.0 },
                Coord { x: 1.0, y: 1.0 }
            ))
        );
    }
}
