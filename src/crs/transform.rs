//! Point and geometry reprojection between two [`Crs`], backed by proj4rs.

use std::fmt;

use geo_types::{Coord, Geometry, LineString, Polygon, Rect, Triangle};
use proj4rs::proj::Proj;

use super::{Crs, CrsError};

/// Reprojects coordinates from one CRS to another.
///
/// Build it once and reuse it: the proj4rs projections are set up in [`Transformer::new`]. It is
/// `Send + Sync`, so one transformer can serve many threads. Geographic coordinates are
/// (lon, lat) in degrees; projected ones are (x = easting, y = northing) in metres.
pub struct Transformer {
    from: Crs,
    to: Crs,
    projs: Option<Projs>,
}

/// The two proj4rs ends of a non-identity transformation.
struct Projs {
    src: Proj,
    dst: Proj,
}

impl fmt::Debug for Transformer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transformer")
            .field("from", &self.from.epsg())
            .field("to", &self.to.epsg())
            .field("identity", &self.is_identity())
            .finish()
    }
}

/// CGCS2000 (4490) and WGS 84 (4326) are coincident for us, as in PROJ's ballpark transformation.
fn coincident_geographic(a: u32, b: u32) -> bool {
    matches!((a, b), (4326, 4490) | (4490, 4326))
}

impl Transformer {
    /// Prepares a transformation from `from` to `to`.
    ///
    /// Fails with [`CrsError::Unsupported`] if proj4rs cannot use either definition.
    pub fn new(from: &Crs, to: &Crs) -> Result<Transformer, CrsError> {
        let identity = from.epsg() == to.epsg() || coincident_geographic(from.epsg(), to.epsg());
        let projs = if identity {
            None
        } else {
            let src = build_proj(from)?;
            let dst = build_proj(to)?;
            if !src.has_inverse() {
                return Err(unsupported(
                    from,
                    "proj4rs has no inverse for this projection",
                ));
            }
            if !dst.has_forward() {
                return Err(unsupported(
                    to,
                    "proj4rs has no forward for this projection",
                ));
            }
            Some(Projs { src, dst })
        };
        Ok(Transformer {
            from: from.clone(),
            to: to.clone(),
            projs,
        })
    }

    /// The source CRS.
    pub fn from(&self) -> &Crs {
        &self.from
    }

    /// The target CRS.
    pub fn to(&self) -> &Crs {
        &self.to
    }

    /// True when coordinates pass through unchanged (same CRS, or CGCS2000 ↔ WGS 84 geographic).
    pub fn is_identity(&self) -> bool {
        self.projs.is_none()
    }

    /// Transforms one coordinate. Geographic input/output is (lon, lat) in degrees, projected
    /// (easting, northing) in metres. Non-finite input or output is an error.
    pub fn transform(&self, x: f64, y: f64) -> Result<(f64, f64), CrsError> {
        let fail = |reason: String| CrsError::Transform {
            x,
            y,
            from: self.from.epsg(),
            to: self.to.epsg(),
            reason,
        };
        if !x.is_finite() || !y.is_finite() {
            return Err(fail("the coordinate is not a finite number".to_string()));
        }
        let Some(projs) = &self.projs else {
            return Ok((x, y));
        };
        // proj4rs works in radians for geographic coordinates.
        let mut point = if self.from.is_geographic() {
            (x.to_radians(), y.to_radians(), 0.0)
        } else {
            (x, y, 0.0)
        };
        proj4rs::transform::transform(&projs.src, &projs.dst, &mut point)
            .map_err(|e| fail(e.to_string()))?;
        let (ox, oy) = if self.to.is_geographic() {
            (point.0.to_degrees(), point.1.to_degrees())
        } else {
            (point.0, point.1)
        };
        if ox.is_finite() && oy.is_finite() {
            Ok((ox, oy))
        } else {
            Err(fail(
                "the projection gave a non-finite result (outside its valid area?)".to_string(),
            ))
        }
    }

    /// Transforms every coordinate of any geometry (points, lines, polygons, collections, `Rect`,
    /// `Triangle`, `Line`).
    ///
    /// Stops at the first coordinate that fails and returns its error; `g` is then left exactly
    /// as it was. A `Rect` is transformed by its two corners and stays axis-aligned; convert it to
    /// a `Polygon` first if its edges must follow the projection.
    pub fn transform_geometry(&self, g: &mut Geometry<f64>) -> Result<(), CrsError> {
        if self.is_identity() {
            return Ok(());
        }
        // Work on a copy so that a failure leaves the caller's geometry untouched.
        let mut out = g.clone();
        self.map_geometry(&mut out)?;
        *g = out;
        Ok(())
    }

    // Hand-written recursion: geo's `MapCoordsInPlace` on `Geometry` with a capturing closure hits
    // the compiler's recursion limit through `GeometryCollection`.
    fn map_geometry(&self, g: &mut Geometry<f64>) -> Result<(), CrsError> {
        match g {
            Geometry::Point(p) => self.map_coord(&mut p.0),
            Geometry::Line(l) => {
                self.map_coord(&mut l.start)?;
                self.map_coord(&mut l.end)
            }
            Geometry::LineString(ls) => self.map_line_string(ls),
            Geometry::Polygon(p) => self.map_polygon(p),
            Geometry::MultiPoint(mp) => mp.0.iter_mut().try_for_each(|p| self.map_coord(&mut p.0)),
            Geometry::MultiLineString(mls) => {
                mls.0.iter_mut().try_for_each(|ls| self.map_line_string(ls))
            }
            Geometry::MultiPolygon(mp) => mp.0.iter_mut().try_for_each(|p| self.map_polygon(p)),
            Geometry::GeometryCollection(gc) => {
                gc.0.iter_mut().try_for_each(|g| self.map_geometry(g))
            }
            Geometry::Rect(r) => {
                let (mut min, mut max) = (r.min(), r.max());
                self.map_coord(&mut min)?;
                self.map_coord(&mut max)?;
                *r = Rect::new(min, max);
                Ok(())
            }
            Geometry::Triangle(t) => {
                let mut v = t.to_array();
                v.iter_mut().try_for_each(|c| self.map_coord(c))?;
                *t = Triangle::new(v[0], v[1], v[2]);
                Ok(())
            }
        }
    }

    fn map_coord(&self, c: &mut Coord<f64>) -> Result<(), CrsError> {
        let (x, y) = self.transform(c.x, c.y)?;
        *c = Coord { x, y };
        Ok(())
    }

    fn map_line_string(&self, ls: &mut LineString<f64>) -> Result<(), CrsError> {
        ls.0.iter_mut().try_for_each(|c| self.map_coord(c))
    }

    fn map_polygon(&self, p: &mut Polygon<f64>) -> Result<(), CrsError> {
        let mut exterior = Ok(());
        p.exterior_mut(|ring| exterior = self.map_line_string(ring));
        exterior?;
        let mut interiors = Ok(());
        p.interiors_mut(|rings| {
            interiors = rings
                .iter_mut()
                .try_for_each(|ring| self.map_line_string(ring))
        });
        interiors
    }
}

fn build_proj(crs: &Crs) -> Result<Proj, CrsError> {
    Proj::from_proj_string(crs.proj4())
        .map_err(|e| unsupported(crs, &format!("proj4rs cannot use {:?}: {e}", crs.proj4())))
}

fn unsupported(crs: &Crs, reason: &str) -> CrsError {
    CrsError::Unsupported {
        crs: crs.to_string(),
        reason: reason.to_string(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // Tests may panic on bad input; that is their job.
mod tests {
    use super::*;
    use crate::crs::{fixtures::metres_between, wgs84};
    use geo_types::{
        coord, line_string, point, polygon, GeometryCollection, Line, LineString, MultiLineString,
        MultiPoint, MultiPolygon, Rect, Triangle,
    };

    /// Reference values computed with pyproj 3.7.2 (PROJ 9.5.1), `Transformer.from_crs(src, dst,
    /// always_xy=True)`: (src, dst, x_in, y_in, x_out, y_out). PROJ uses its "ballpark" (null)
    /// transformation between WGS 84 and CGCS2000. Script: /tmp/crsref/ref.py (not in the repo).
    const PROJ_REFERENCE: &[(u32, u32, f64, f64, f64, f64)] = &[
        (
            4490,
            4548,
            118.78,
            32.04,
            668136.6448435845,
            3547673.751588371,
        ),
        (
            4490,
            4548,
            116.33,
            39.99,
            442777.54080488003,
            4428633.703793466,
        ),
        (
            4490,
            4548,
            121.45,
            31.32,
            923765.2884128348,
            3475018.4155515824,
        ),
        (4490, 4548, 117.0, 36.65, 500000.0, 4057669.9464940177),
        (
            4490,
            4527,
            118.78,
            32.04,
            39668136.644843586,
            3547673.751588371,
        ),
        (4490, 4527, 117.0, 36.65, 39500000.0, 4057669.9464940177),
        (
            4326,
            4549,
            118.78,
            32.04,
            384764.6067938719,
            3546938.8411548226,
        ),
        (
            4326,
            4549,
            116.33,
            39.99,
            186521.15387247992,
            4434875.586805251,
        ),
        (
            4326,
            4549,
            121.45,
            31.32,
            638023.4146046056,
            3467361.414164421,
        ),
        (
            4326,
            4528,
            118.78,
            32.04,
            40384764.60679387,
            3546938.8411548226,
        ),
        (
            4326,
            4528,
            116.33,
            39.99,
            40186521.15387248,
            4434875.586805251,
        ),
        (
            4326,
            4528,
            121.45,
            31.32,
            40638023.414604604,
            3467361.414164421,
        ),
        (
            4326,
            32650,
            118.78,
            32.04,
            668069.3901848703,
            3546254.682187553,
        ),
        (
            4326,
            32650,
            116.33,
            39.99,
            442800.4297889461,
            4426862.250425815,
        ),
        (
            4326,
            32650,
            121.45,
            31.32,
            923595.7822955839,
            3473628.408283598,
        ),
        (4326, 32650, 117.0, 36.65, 500000.0, 4056046.8786240853),
        (
            4326,
            32651,
            121.45,
            31.32,
            352515.70588833664,
            3466104.0020789527,
        ),
        (
            4326,
            3857,
            118.78,
            32.04,
            13222529.116425034,
            3768562.3947497285,
        ),
        (
            4326,
            3857,
            116.33,
            39.99,
            12949796.363981513,
            4864489.213147095,
        ),
        (
            4326,
            3857,
            121.45,
            31.32,
            13519752.156843076,
            3674377.3393038865,
        ),
        (
            4326,
            3857,
            117.0,
            36.65,
            13024380.422813008,
            4390432.9404951185,
        ),
        (4326, 4548, 117.0, 36.65, 500000.0, 4057669.9464940177),
        (
            4326,
            4527,
            116.33,
            39.99,
            39442777.54080488,
            4428633.703793466,
        ),
        (
            4326,
            32629,
            -8.61,
            41.15,
            532725.1591872805,
            4555481.992291499,
        ),
        (
            4326,
            32635,
            24.94,
            60.17,
            385700.42138632183,
            6672126.743133654,
        ),
    ];

    /// Inverse references, same source: (src, dst, x_in, y_in, lon_out, lat_out).
    const PROJ_INVERSE_REFERENCE: &[(u32, u32, f64, f64, f64, f64)] = &[
        (
            4549,
            4326,
            500000.0,
            3500000.0,
            119.99999999999999,
            31.62255494399461,
        ),
        (
            4549,
            4326,
            380000.0,
            3547000.0,
            118.72955978354835,
            32.04005603960087,
        ),
        (
            4549,
            4326,
            640000.0,
            3466000.0,
            121.47056840672715,
            31.30748905313017,
        ),
        (
            4549,
            4326,
            120000.0,
            4200000.0,
            115.68318961414106,
            37.85322086780404,
        ),
        (32750, 4326, 500000.0, 9000000.0, 117.0, -9.046562463768952),
        (
            32750,
            4326,
            300000.0,
            7000000.0,
            114.98249434480634,
            -27.10797952362664,
        ),
    ];

    fn transformer(from: u32, to: u32) -> Transformer {
        Transformer::new(&Crs::from_epsg(from).unwrap(), &Crs::from_epsg(to).unwrap()).unwrap()
    }

    #[test]
    fn transformer_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Transformer>();
    }

    #[test]
    fn known_point_matches_proj_figures() {
        let (x, y) = transformer(4326, 4548).transform(117.0, 36.65).unwrap();
        assert!((x - 500_000.0).abs() < 1e-3, "{x}");
        // The brief's 4057669.95 is PROJ's 4057669.9464940 rounded to centimetres, so the
        // millimetre check is against the unrounded PROJ value.
        assert!((y - 4_057_669.946_494_017_7).abs() < 1e-3, "{y}");
        assert_eq!((y * 100.0).round() / 100.0, 4_057_669.95);
        let (x, _) = transformer(4326, 4527).transform(117.0, 36.65).unwrap();
        assert!((x - 39_500_000.0).abs() < 1e-3, "{x}");
    }

    #[test]
    fn forward_matches_pyproj_within_a_millimetre() {
        for &(src, dst, x, y, ex, ey) in PROJ_REFERENCE {
            let (ox, oy) = transformer(src, dst).transform(x, y).unwrap();
            assert!(
                (ox - ex).abs() < 1e-3 && (oy - ey).abs() < 1e-3,
                "{src}->{dst} ({x}, {y}): got ({ox}, {oy}), PROJ ({ex}, {ey})"
            );
        }
    }

    #[test]
    fn inverse_matches_pyproj_within_a_millimetre() {
        for &(src, dst, x, y, elon, elat) in PROJ_INVERSE_REFERENCE {
            let got = transformer(src, dst).transform(x, y).unwrap();
            let d = metres_between(got, (elon, elat));
            assert!(
                d < 1e-3,
                "{src}->{dst} ({x}, {y}): got {got:?}, off by {d} m"
            );
        }
    }

    #[test]
    fn round_trips_within_a_micrometre() {
        let points = [
            (118.78, 32.04),
            (116.33, 39.99),
            (121.45, 31.32),
            (117.0, 36.65),
        ];
        for code in [4548, 4549, 4527, 4528, 32650, 32651, 3857, 4490] {
            let fwd = transformer(4326, code);
            let inv = transformer(code, 4326);
            for &(lon, lat) in &points {
                let (x, y) = fwd.transform(lon, lat).unwrap();
                let back = inv.transform(x, y).unwrap();
                assert!(
                    metres_between(back, (lon, lat)) < 1e-6,
                    "EPSG:{code} ({lon}, {lat}) -> {back:?}"
                );
                // Projected -> geographic -> projected as well.
                let (x2, y2) = fwd.transform(back.0, back.1).unwrap();
                assert!(
                    (x2 - x).abs() < 1e-6 && (y2 - y).abs() < 1e-6,
                    "EPSG:{code}"
                );
            }
        }
        // Zone to zone, prefixed to unprefixed.
        let (x, y) = transformer(4549, 4528)
            .transform(384_764.606_793_871_9, 3_546_938.841_154_822_6)
            .unwrap();
        assert!(
            (x - 40_384_764.606_793_87).abs() < 1e-6 && (y - 3_546_938.841_154_822_6).abs() < 1e-6
        );
    }

    #[test]
    fn identity_and_coincident_geographic_pass_through() {
        let t = transformer(4549, 4549);
        assert!(t.is_identity());
        assert_eq!(t.transform(1.5, 2.5).unwrap(), (1.5, 2.5));
        let t = transformer(4326, 4490);
        assert!(t.is_identity());
        assert_eq!(t.transform(118.78, 32.04).unwrap(), (118.78, 32.04));
        assert!(!transformer(4326, 4549).is_identity());
    }

    #[test]
    fn non_finite_coordinates_are_errors_with_the_coordinate() {
        let t = transformer(4326, 4549);
        match t.transform(f64::NAN, 32.0) {
            Err(CrsError::Transform {
                y,
                from: 4326,
                to: 4549,
                ..
            }) => assert_eq!(y, 32.0),
            other => panic!("{other:?}"),
        }
        assert!(t.transform(118.0, f64::INFINITY).is_err());
    }

    #[test]
    fn transform_geometry_handles_every_variant() {
        let t = transformer(4326, 4548);
        let p = |lon: f64, lat: f64| {
            let (x, y) = t.transform(lon, lat).unwrap();
            coord! { x: x, y: y }
        };
        let a = coord! { x: 117.0, y: 36.65 };
        let b = coord! { x: 117.01, y: 36.66 };
        let c = coord! { x: 117.02, y: 36.65 };
        let ls: LineString<f64> = line_string![a, b, c];
        let poly = polygon![a, b, c, a];
        let geoms: Vec<Geometry<f64>> = vec![
            point!(a).into(),
            Line::new(a, b).into(),
            ls.clone().into(),
            poly.clone().into(),
            MultiPoint::from(vec![point!(a), point!(b)]).into(),
            MultiLineString::new(vec![ls.clone()]).into(),
            MultiPolygon::new(vec![poly.clone()]).into(),
            Rect::new(a, b).into(),
            Triangle::new(a, b, c).into(),
            Geometry::GeometryCollection(GeometryCollection::new_from(vec![
                point!(c).into(),
                ls.clone().into(),
            ])),
        ];
        for mut g in geoms {
            let before = g.clone();
            t.transform_geometry(&mut g).unwrap();
            let moved: Vec<Coord<f64>> = coords(&g);
            let expected: Vec<Coord<f64>> =
                coords(&before).into_iter().map(|c| p(c.x, c.y)).collect();
            assert_eq!(moved.len(), expected.len());
            for (m, e) in moved.iter().zip(&expected) {
                assert!(
                    (m.x - e.x).abs() < 1e-9 && (m.y - e.y).abs() < 1e-9,
                    "{before:?}"
                );
            }
        }
        // Polygon interiors too.
        let mut with_hole: Geometry<f64> = polygon!(
            exterior: [a, b, c, a],
            interiors: [[coord! { x: 117.005, y: 36.652 }, coord! { x: 117.006, y: 36.653 }, coord! { x: 117.007, y: 36.652 }]],
        )
        .into();
        t.transform_geometry(&mut with_hole).unwrap();
        let Geometry::Polygon(poly) = with_hole else {
            panic!()
        };
        assert!(poly.interiors()[0].0[0].x > 500_000.0);
    }

    #[test]
    fn transform_geometry_failure_names_the_coordinate_and_leaves_input_intact() {
        let t = transformer(4326, 4549);
        let mut g: Geometry<f64> =
            line_string![(x: 118.0, y: 32.0), (x: f64::NAN, y: 7.25), (x: 119.0, y: 33.0)].into();
        let before = format!("{g:?}");
        match t.transform_geometry(&mut g) {
            Err(CrsError::Transform { y, .. }) => assert_eq!(y, 7.25),
            other => panic!("{other:?}"),
        }
        assert_eq!(format!("{g:?}"), before);
    }

    #[test]
    fn geometry_round_trip_in_working_crs() {
        let t = Transformer::new(&wgs84(), &Crs::from_epsg(4549).unwrap()).unwrap();
        let back = Transformer::new(t.to(), t.from()).unwrap();
        let mut g: Geometry<f64> = polygon![(x: 118.78, y: 32.04), (x: 118.79, y: 32.05), (x: 118.80, y: 32.04), (x: 118.78, y: 32.04)].into();
        let original = g.clone();
        t.transform_geometry(&mut g).unwrap();
        back.transform_geometry(&mut g).unwrap();
        for (m, o) in coords(&g).iter().zip(coords(&original)) {
            assert!(metres_between((m.x, m.y), (o.x, o.y)) < 1e-6);
        }
    }

    fn coords(g: &Geometry<f64>) -> Vec<Coord<f64>> {
        use geo::CoordsIter;
        match g {
            // CoordsIter on Rect yields four corners; compare its two defining corners instead.
            Geometry::Rect(r) => vec![r.min(), r.max()],
            other => other.coords_iter().collect(),
        }
    }
}
