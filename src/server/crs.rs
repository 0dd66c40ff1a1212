//! Coordinate systems at the edge of the service: what a client may ask for (`crs`, `bbox-crs`),
//! axis order, bounding boxes, and converting stored geometry for a response.
//!
//! Geometry is stored in the workspace's working CRS and, precomputed, in WGS 84; a response in
//! CRS84 (the default) costs no transformation. OGC API – Features Part 2 requires the axis order
//! of the CRS's definition: EPSG:4326 and EPSG:4490 are latitude first, the CGCS2000
//! Gauss–Krüger zones (EPSG 4491–4554) northing first, EPSG:3857 and UTM easting first. The
//! planner API (`/api/…`) always answers easting/longitude first, as GeoJSON does.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use geo::{Coord, Geometry, LineString, MapCoords, Polygon};

use super::error::ApiError;
use crate::crs::{chinese, wgs84, Crs, CrsError, OutputCrs, Transformer};

/// The URI of OGC CRS84 (WGS 84 longitude/latitude), the default of OGC API – Features.
pub const CRS84_URI: &str = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";

/// The OGC URI of an EPSG code.
pub fn epsg_uri(code: u32) -> String {
    format!("http://www.opengis.net/def/crs/EPSG/0/{code}")
}

/// The coordinate system a client asked for (for a response or for its own coordinates).
#[derive(Clone, Debug, PartialEq)]
pub enum ClientCrs {
    /// WGS 84 longitude/latitude.
    Crs84,
    /// GCJ-02 longitude/latitude (Amap, Tencent); planner API only.
    Gcj02,
    /// BD-09 longitude/latitude (Baidu); planner API only.
    Bd09,
    /// An EPSG system (EPSG:4326 here means latitude first on the OGC API).
    Epsg(Crs),
}

/// Whose axis order coordinates follow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AxisOrder {
    /// The CRS definition's (OGC API – Features Part 2).
    Authority,
    /// Easting or longitude first (GeoJSON habit; the planner API).
    EastFirst,
}

impl ClientCrs {
    /// The URI for `Content-Crs` and the `crs` lists; `None` for GCJ-02 and BD-09, which have none.
    pub fn uri(&self) -> Option<String> {
        match self {
            ClientCrs::Crs84 => Some(CRS84_URI.to_string()),
            ClientCrs::Epsg(c) => Some(epsg_uri(c.epsg())),
            ClientCrs::Gcj02 | ClientCrs::Bd09 => None,
        }
    }

    /// A short name for the planner API's responses.
    pub fn name(&self) -> String {
        match self {
            ClientCrs::Crs84 => "wgs84".into(),
            ClientCrs::Gcj02 => "gcj02".into(),
            ClientCrs::Bd09 => "bd09".into(),
            ClientCrs::Epsg(c) => format!("EPSG:{}", c.epsg()),
        }
    }

    /// True for longitude/latitude systems (ranges are checked on their coordinates).
    pub fn is_geographic(&self) -> bool {
        match self {
            ClientCrs::Epsg(c) => c.is_geographic(),
            _ => true,
        }
    }

    /// True when this system's coordinates are written northing/latitude first under `order`.
    pub fn northing_first(&self, order: AxisOrder) -> bool {
        match (self, order) {
            (ClientCrs::Epsg(c), AxisOrder::Authority) => {
                c.is_geographic() || (4491..=4554).contains(&c.epsg())
            }
            _ => false,
        }
    }

    /// Reads the planner API's `crs`: `wgs84`, `gcj02`, `bd09`, an EPSG code or an OGC URI.
    pub fn parse_planner(text: &str) -> Result<ClientCrs, CrsError> {
        Ok(match OutputCrs::parse(text)? {
            OutputCrs::Wgs84 => ClientCrs::Crs84,
            OutputCrs::Gcj02 => ClientCrs::Gcj02,
            OutputCrs::Bd09 => ClientCrs::Bd09,
            OutputCrs::Epsg(c) => ClientCrs::Epsg(c),
        })
    }
}

/// The coordinate systems the service offers, and cached transformers to and from the working CRS.
#[derive(Debug)]
pub struct CrsBook {
    working: Crs,
    /// EPSG codes offered on the OGC API, besides CRS84.
    offered: Vec<u32>,
    /// EPSG code → (working → code, code → working).
    cache: RwLock<HashMap<u32, Arc<(Transformer, Transformer)>>>,
}

impl CrsBook {
    /// The book for a working CRS: CRS84, EPSG:4326, EPSG:4490, the working CRS, the CGCS2000
    /// 3-degree Gauss–Krüger zones with and without zone prefix (4513–4554) and EPSG:3857.
    /// Transformers for all of them are built now, so that a bad definition fails at start.
    pub fn new(working: &Crs) -> Result<CrsBook, CrsError> {
        let mut offered = vec![4326, 4490];
        if !(4513..=4554).contains(&working.epsg()) && !offered.contains(&working.epsg()) {
            offered.push(working.epsg());
        }
        offered.extend(4513..=4554);
        offered.push(3857);
        let book = CrsBook {
            working: working.clone(),
            offered,
            cache: RwLock::new(HashMap::new()),
        };
        for &code in &book.offered {
            book.transformers(&Crs::from_epsg(code)?)?;
        }
        Ok(book)
    }

    /// The working CRS.
    pub fn working(&self) -> &Crs {
        &self.working
    }

    /// The URIs of every CRS offered on the OGC API, CRS84 first.
    pub fn offered_uris(&self) -> Vec<String> {
        std::iter::once(CRS84_URI.to_string())
            .chain(self.offered.iter().map(|&c| epsg_uri(c)))
            .collect()
    }

    /// Reads the OGC API's `crs` or `bbox-crs`: one of the offered systems, as a URI (or the
    /// usual short spellings such as `EPSG:4549`).
    pub fn parse_ogc(&self, name: &str, text: &str) -> Result<ClientCrs, ApiError> {
        let compact: String = text
            .to_ascii_lowercase()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect();
        if compact.ends_with("crs84") {
            return Ok(ClientCrs::Crs84);
        }
        let unsupported = || {
            ApiError::param(
                name,
                format!(
                    "{text:?} is not offered; use one of the collection's `crs` list: {CRS84_URI} \
                     or http://www.opengis.net/def/crs/EPSG/0/{{code}} with code {}",
                    self.offered
                        .iter()
                        .map(u32::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        };
        let crs = Crs::parse(text).map_err(|_| unsupported())?;
        if self.offered.contains(&crs.epsg()) {
            Ok(ClientCrs::Epsg(crs))
        } else {
            Err(unsupported())
        }
    }

    /// Reads the planner API's `crs`: `wgs84`, `gcj02`, `bd09`, any EPSG code proj4rs can use.
    pub fn parse_planner(&self, name: &str, text: &str) -> Result<ClientCrs, ApiError> {
        let crs = ClientCrs::parse_planner(text).map_err(|e| ApiError::param(name, e))?;
        if let ClientCrs::Epsg(c) = &crs {
            self.transformers(c).map_err(|e| ApiError::param(name, e))?;
        }
        Ok(crs)
    }

    /// (working → crs, crs → working), built once per code.
    fn transformers(&self, crs: &Crs) -> Result<Arc<(Transformer, Transformer)>, CrsError> {
        if let Some(t) = self
            .cache
            .read()
            .ok()
            .and_then(|c| c.get(&crs.epsg()).cloned())
        {
            return Ok(t);
        }
        let t = Arc::new((
            Transformer::new(&self.working, crs)?,
            Transformer::new(crs, &self.working)?,
        ));
        if let Ok(mut c) = self.cache.write() {
            c.insert(crs.epsg(), t.clone());
        }
        Ok(t)
    }

    /// Converts stored geometry (`working` in the working CRS, `lonlat` the same in WGS 84) to
    /// `crs`, in `order`.
    pub fn output(
        &self,
        working: &Geometry<f64>,
        lonlat: &Geometry<f64>,
        crs: &ClientCrs,
        order: AxisOrder,
    ) -> Result<Geometry<f64>, ApiError> {
        let g = match crs {
            ClientCrs::Crs84 => lonlat.clone(),
            ClientCrs::Gcj02 => lonlat.map_coords(|c| {
                let (x, y) = chinese::wgs84_to_gcj02(c.x, c.y);
                Coord { x, y }
            }),
            ClientCrs::Bd09 => lonlat.map_coords(|c| {
                let (x, y) = chinese::wgs84_to_bd09(c.x, c.y);
                Coord { x, y }
            }),
            ClientCrs::Epsg(c) if matches!(c.epsg(), 4326 | 4490) => lonlat.clone(),
            ClientCrs::Epsg(c) if *c == self.working => working.clone(),
            ClientCrs::Epsg(c) => {
                let t = self
                    .transformers(c)
                    .map_err(|e| ApiError::param("crs", e))?;
                let mut g = working.clone();
                t.0.transform_geometry(&mut g).map_err(|e| {
                    ApiError::param(
                        "crs",
                        format!("the data cannot be expressed in EPSG:{}: {e}", c.epsg()),
                    )
                })?;
                g
            }
        };
        Ok(if crs.northing_first(order) {
            g.map_coords(|c| Coord { x: c.y, y: c.x })
        } else {
            g
        })
    }

    /// Converts geometry held only in the working CRS (e.g. a catchment just computed) to `crs`.
    pub fn output_from_working(
        &self,
        working: &Geometry<f64>,
        crs: &ClientCrs,
        order: AxisOrder,
    ) -> Result<Geometry<f64>, ApiError> {
        let needs_lonlat = match crs {
            ClientCrs::Epsg(c) => matches!(c.epsg(), 4326 | 4490),
            _ => true,
        };
        if !needs_lonlat {
            return self.output(working, working, crs, order);
        }
        let mut lonlat = working.clone();
        self.transformers(&wgs84())
            .and_then(|t| t.0.transform_geometry(&mut lonlat))
            .map_err(|e| ApiError::Internal(format!("working CRS to WGS 84: {e}")))?;
        self.output(working, &super::collections::orient(lonlat), crs, order)
    }

    /// Converts a client's point (in `crs`, in `order`) to the working CRS.
    pub fn input_point(
        &self,
        name: &str,
        (a, b): (f64, f64),
        crs: &ClientCrs,
        order: AxisOrder,
    ) -> Result<Coord<f64>, ApiError> {
        let (x, y) = if crs.northing_first(order) {
            (b, a)
        } else {
            (a, b)
        };
        if crs.is_geographic() && !((-180.0..=180.0).contains(&x) && (-90.0..=90.0).contains(&y)) {
            return Err(ApiError::param(
                name,
                format!(
                    "({a}, {b}) is outside longitude -180..180 / latitude -90..90 in {}",
                    crs.name()
                ),
            ));
        }
        let bad = |e: CrsError| ApiError::param(name, e);
        let (x, y) = match crs {
            ClientCrs::Crs84 => (x, y),
            ClientCrs::Gcj02 => chinese::gcj02_to_wgs84(x, y),
            ClientCrs::Bd09 => chinese::bd09_to_wgs84(x, y),
            ClientCrs::Epsg(c) => {
                let (x, y) = self
                    .transformers(c)
                    .map_err(bad)?
                    .1
                    .transform(x, y)
                    .map_err(bad)?;
                return Ok(Coord { x, y });
            }
        };
        let (x, y) = self
            .transformers(&wgs84())
            .map_err(bad)?
            .1
            .transform(x, y)
            .map_err(bad)?;
        Ok(Coord { x, y })
    }

    /// A `bbox` (4 or 6 numbers; the heights of 6 are ignored) in `crs` and `order`, as a
    /// polygon in the working CRS whose edges are densified so that they follow the projection.
    pub fn bbox(
        &self,
        text: &str,
        crs: &ClientCrs,
        order: AxisOrder,
    ) -> Result<Polygon<f64>, ApiError> {
        let numbers = text
            .split(',')
            .map(|v| v.trim().parse::<f64>().ok().filter(|v| v.is_finite()))
            .collect::<Option<Vec<f64>>>()
            .ok_or_else(|| {
                ApiError::param("bbox", format!("{text:?} is not a list of 4 or 6 numbers"))
            })?;
        let [a1, b1, a2, b2] = match numbers.as_slice() {
            [a1, b1, a2, b2] | [a1, b1, _, a2, b2, _] => [*a1, *b1, *a2, *b2],
            _ => {
                return Err(ApiError::param(
                    "bbox",
                    format!(
                        "{text:?} has {} numbers; expected 4 (min, min, max, max) or 6",
                        numbers.len()
                    ),
                ))
            }
        };
        if a1 > a2 || b1 > b2 {
            return Err(ApiError::param(
                "bbox",
                format!("{text:?} is inverted: each minimum must not exceed its maximum"),
            ));
        }
        let (minx, miny, maxx, maxy) = if crs.northing_first(order) {
            (b1, a1, b2, a2)
        } else {
            (a1, b1, a2, b2)
        };
        // Densify each side so a lon/lat box stays right in a projection (and back).
        const STEPS: usize = 8;
        let mut ring = Vec::with_capacity(4 * STEPS + 1);
        let corners = [(minx, miny), (maxx, miny), (maxx, maxy), (minx, maxy)];
        for k in 0..4 {
            let (p, q) = (corners[k], corners[(k + 1) % 4]);
            for s in 0..STEPS {
                let t = s as f64 / STEPS as f64;
                let (x, y) = (p.0 + (q.0 - p.0) * t, p.1 + (q.1 - p.1) * t);
                let (a, b) = if crs.northing_first(order) {
                    (y, x)
                } else {
                    (x, y)
                };
                ring.push(self.input_point("bbox", (a, b), crs, order)?);
            }
        }
        ring.push(ring[0]);
        Ok(Polygon::new(LineString::from(ring), Vec::new()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{BoundingRect, Point};

    fn book() -> CrsBook {
        CrsBook::new(&Crs::from_epsg(4549).unwrap()).unwrap()
    }

    #[test]
    fn offered_systems_parse_and_others_are_refused() {
        let b = book();
        assert_eq!(b.parse_ogc("crs", CRS84_URI).unwrap(), ClientCrs::Crs84);
        for code in [4326, 4490, 4513, 4549, 4554, 3857] {
            let c = b.parse_ogc("crs", &epsg_uri(code)).unwrap();
            assert_eq!(c, ClientCrs::Epsg(Crs::from_epsg(code).unwrap()));
        }
        for bad in [
            "http://www.opengis.net/def/crs/EPSG/0/32650",
            "gcj02",
            "nonsense",
        ] {
            assert!(b.parse_ogc("crs", bad).is_err(), "{bad}");
        }
        assert_eq!(b.offered_uris().len(), 1 + 2 + 42 + 1);
    }

    #[test]
    fn axis_order_follows_the_authority_on_the_ogc_api_only() {
        let c4326 = ClientCrs::Epsg(wgs84());
        let c4549 = ClientCrs::Epsg(Crs::from_epsg(4549).unwrap());
        let c3857 = ClientCrs::Epsg(Crs::from_epsg(3857).unwrap());
        assert!(c4326.northing_first(AxisOrder::Authority));
        assert!(c4549.northing_first(AxisOrder::Authority));
        assert!(!c3857.northing_first(AxisOrder::Authority));
        assert!(!ClientCrs::Crs84.northing_first(AxisOrder::Authority));
        assert!(!c4326.northing_first(AxisOrder::EastFirst));
    }

    #[test]
    fn output_converts_and_swaps() {
        let b = book();
        let (lon, lat) = (120.35, 36.06);
        let t = Transformer::new(&wgs84(), b.working()).unwrap();
        let (x, y) = t.transform(lon, lat).unwrap();
        let working = Geometry::Point(Point::new(x, y));
        let lonlat = Geometry::Point(Point::new(lon, lat));
        let out = |crs: &ClientCrs, order| match b.output(&working, &lonlat, crs, order).unwrap() {
            Geometry::Point(p) => (p.x(), p.y()),
            _ => unreachable!(),
        };
        assert_eq!(out(&ClientCrs::Crs84, AxisOrder::Authority), (lon, lat));
        assert_eq!(
            out(&ClientCrs::Epsg(wgs84()), AxisOrder::Authority),
            (lat, lon)
        );
        let zone = ClientCrs::Epsg(Crs::from_epsg(4549).unwrap());
        assert_eq!(out(&zone, AxisOrder::Authority), (y, x));
        assert_eq!(out(&zone, AxisOrder::EastFirst), (x, y));
        assert_eq!(
            out(&ClientCrs::Gcj02, AxisOrder::EastFirst),
            chinese::wgs84_to_gcj02(lon, lat)
        );
        let (mx, my) = out(
            &ClientCrs::Epsg(Crs::from_epsg(3857).unwrap()),
            AxisOrder::Authority,
        );
        // Spherical Mercator: x = R·λ, y = R·ln tan(π/4 + φ/2).
        let r = 6_378_137.0;
        let (ex, ey) = (
            r * lon.to_radians(),
            r * (std::f64::consts::FRAC_PI_4 + lat.to_radians() / 2.0)
                .tan()
                .ln(),
        );
        assert!(
            (mx - ex).abs() < 1e-3 && (my - ey).abs() < 1e-3,
            "{mx} {my}"
        );
    }

    #[test]
    fn bbox_in_any_order_lands_in_the_same_place() {
        let b = book();
        let a = b
            .bbox(
                "120.3,36.0,120.4,36.1",
                &ClientCrs::Crs84,
                AxisOrder::Authority,
            )
            .unwrap();
        let c = b
            .bbox(
                "36.0,120.3,36.1,120.4",
                &ClientCrs::Epsg(wgs84()),
                AxisOrder::Authority,
            )
            .unwrap();
        let (ra, rc) = (a.bounding_rect().unwrap(), c.bounding_rect().unwrap());
        assert!((ra.min().x - rc.min().x).abs() < 1e-6 && (ra.max().y - rc.max().y).abs() < 1e-6);
        for bad in [
            "1,2,3",
            "a,b,c,d",
            "120.4,36.0,120.3,36.1",
            "120,36,200,37",
            "NaN,1,2,3",
        ] {
            assert!(
                b.bbox(bad, &ClientCrs::Crs84, AxisOrder::Authority)
                    .is_err(),
                "{bad}"
            );
        }
        assert!(b
            .bbox("0,0,1,1,2,2", &ClientCrs::Crs84, AxisOrder::Authority)
            .is_ok());
    }
}
