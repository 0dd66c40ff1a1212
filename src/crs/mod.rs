//! Coordinate reference systems: EPSG lookup, `.prj` detection, reprojection and the Chinese web-map
//! offsets (GCJ-02, BD-09).
//!
//! The engine works in one metric CRS per dataset, chosen by [`working_crs_for`]. Data arrive as
//! shapefiles whose `.prj` is read by [`detect_prj`] (matching on the projection *parameters*, not
//! the names), are reprojected with a [`Transformer`], and leave through an [`OutputCrs`] that a
//! client asked for — possibly GCJ-02 or BD-09, which are not EPSG systems and live in [`chinese`].
//!
//! - [`chinese`]: WGS 84 ↔ GCJ-02 ↔ BD-09 with iterative inverses.
//! - `prj`: the `.prj` classifier; `esri`: the ESRI WKT writer; `wkt`: the WKT1 reader;
//!   `transform`: the proj4rs-backed [`Transformer`].
//!
//! CGCS2000 and WGS 84 are treated as coincident (zero datum shift), as PROJ's "ballpark"
//! transformation does; the two frames differ by a few centimetres.
//!
//! ```
//! use infill::crs::{Crs, Transformer, wgs84};
//!
//! let zone = Crs::parse("EPSG:4548")?;
//! let t = Transformer::new(&wgs84(), &zone)?;
//! let (x, y) = t.transform(117.0, 36.65)?;
//! assert!((x - 500_000.0).abs() < 1e-3 && (y - 4_057_669.95).abs() < 1e-2);
//! # Ok::<(), infill::crs::CrsError>(())
//! ```

pub mod chinese;
mod esri;
mod prj;
mod transform;
mod wkt;

use std::fmt;
use std::hash::{Hash, Hasher};

pub use prj::{detect_prj, PrjMatch};
pub use transform::Transformer;

/// Everything that can go wrong while identifying or using a coordinate reference system.
#[derive(thiserror::Error, Debug)]
pub enum CrsError {
    /// The EPSG code is not in the built-in table (crs-definitions).
    #[error("EPSG:{code} is not a known EPSG code (not in the built-in EPSG table)")]
    UnknownEpsg {
        /// The code that was asked for.
        code: u32,
    },
    /// A coordinate system that was understood but cannot be used, with the reason.
    #[error("unsupported coordinate system {crs:?}: {reason}")]
    Unsupported {
        /// The coordinate system as named by its source (WKT name or EPSG code).
        crs: String,
        /// What is unsupported and what the user can do about it.
        reason: String,
    },
    /// A Gauss–Krüger false easting whose zone prefix does not fit the central meridian.
    #[error("false easting {false_easting} m does not fit central meridian {central_meridian}°: {explanation}")]
    ZoneMismatch {
        /// The false easting found in the `.prj`, metres.
        false_easting: f64,
        /// The central meridian found in the `.prj`, degrees east.
        central_meridian: f64,
        /// Which zone the prefix implies and which false eastings would fit.
        explanation: String,
    },
    /// WKT text that cannot be read.
    #[error("malformed WKT{}: {reason}", offset.map(|o| format!(" at byte {o}")).unwrap_or_default())]
    MalformedWkt {
        /// What is wrong.
        reason: String,
        /// Byte offset of the problem in the text, when known.
        offset: Option<usize>,
    },
    /// A coordinate that could not be transformed.
    #[error("cannot transform ({x}, {y}) from EPSG:{from} to EPSG:{to}: {reason}")]
    Transform {
        /// Input x (longitude in degrees or easting in metres).
        x: f64,
        /// Input y (latitude in degrees or northing in metres).
        y: f64,
        /// Source EPSG code.
        from: u32,
        /// Target EPSG code.
        to: u32,
        /// Why it failed.
        reason: String,
    },
    /// Text that does not name a coordinate system.
    #[error("cannot read {text:?} as a coordinate system: {reason}")]
    Parse {
        /// The text as given.
        text: String,
        /// What was expected.
        reason: String,
    },
}

/// A coordinate reference system identified by its EPSG code.
///
/// Two values are equal when their EPSG codes are equal. Geographic systems take (lon, lat) in
/// degrees, projected ones (easting, northing) in metres.
#[derive(Clone, Debug)]
pub struct Crs {
    epsg: u32,
    name: String,
    proj4: String,
    geographic: bool,
}

impl PartialEq for Crs {
    fn eq(&self, other: &Self) -> bool {
        self.epsg == other.epsg
    }
}

impl Eq for Crs {}

impl Hash for Crs {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.epsg.hash(state);
    }
}

impl fmt::Display for Crs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EPSG:{} ({})", self.epsg, self.name)
    }
}

impl Crs {
    /// Looks up an EPSG code in the built-in table (crs-definitions, about 6,000 codes).
    pub fn from_epsg(code: u32) -> Result<Crs, CrsError> {
        u16::try_from(code)
            .ok()
            .and_then(crs_definitions::from_code)
            .map(Crs::from_def)
            .ok_or(CrsError::UnknownEpsg { code })
    }

    /// Reads a CRS named by the user: `"EPSG:4549"`, `"epsg:4549"`, `"4549"`, `"CGCS2000"` (EPSG:4490),
    /// `"WGS84"` (EPSG:4326), `"CRS84"`, OGC URIs (`http://www.opengis.net/def/crs/EPSG/0/4549`,
    /// `urn:ogc:def:crs:EPSG::4549`).
    pub fn parse(text: &str) -> Result<Crs, CrsError> {
        Crs::from_epsg(parse_epsg_code(text)?)
    }

    /// The EPSG code.
    pub fn epsg(&self) -> u32 {
        self.epsg
    }

    /// The EPSG name, e.g. `"CGCS2000 / 3-degree Gauss-Kruger CM 120E"`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// True for longitude/latitude systems (degrees), false for projected ones (metres).
    pub fn is_geographic(&self) -> bool {
        self.geographic
    }

    /// The PROJ.4 definition used for transformations.
    pub fn proj4(&self) -> &str {
        &self.proj4
    }

    /// ESRI-flavoured WKT1 for writing a `.prj`, as ArcGIS writes it.
    ///
    /// Available for the CGCS2000 Gauss–Krüger zones (3- and 6-degree, with and without zone
    /// prefix, EPSG 4491–4554), EPSG:4490, EPSG:4326, WGS 84 / UTM (326xx, 327xx) and EPSG:3857;
    /// `None` for anything else.
    pub fn esri_wkt(&self) -> Option<String> {
        esri::esri_wkt(self.epsg)
    }

    fn from_def(def: crs_definitions::Def) -> Crs {
        // The name is the first quoted string of the definition's WKT.
        let name = def
            .wkt
            .split('"')
            .nth(1)
            .map(str::to_string)
            .unwrap_or_else(|| format!("EPSG:{}", def.code));
        let geographic =
            def.proj4.starts_with("+proj=longlat") || def.proj4.starts_with("+proj=latlong");
        Crs {
            epsg: u32::from(def.code),
            name,
            proj4: def.proj4.to_string(),
            geographic,
        }
    }

    /// A code that this crate itself picks (UTM, GK zones). They are all in the table, which a
    /// test checks; WGS 84 is the fallback so that infallible helpers stay infallible.
    fn builtin(code: u32) -> Crs {
        Crs::from_epsg(code).unwrap_or_else(|_| wgs84())
    }
}

/// WGS 84 geographic (EPSG:4326), longitude/latitude in degrees.
pub fn wgs84() -> Crs {
    Crs::from_def(crs_definitions::EPSG_4326)
}

/// The working CRS for data centred at (`lon`, `lat`) in degrees.
///
/// Inside China (the GCJ-02 bounding box of [`chinese::out_of_china`]) this is the CGCS2000
/// 3-degree Gauss–Krüger zone without zone prefix (EPSG 4534–4554) whose central meridian is
/// nearest; elsewhere the WGS 84 UTM zone (326xx north, 327xx south, with the Norway and Svalbard
/// exceptions). Non-finite input is treated as (0, 0).
///
/// ```
/// assert_eq!(infill::crs::working_crs_for(118.78, 32.04).epsg(), 4549);
/// assert_eq!(infill::crs::working_crs_for(-8.61, 41.15).epsg(), 32629);
/// ```
pub fn working_crs_for(lon: f64, lat: f64) -> Crs {
    let (lon, lat) = if lon.is_finite() && lat.is_finite() {
        (lon, lat)
    } else {
        (0.0, 0.0)
    };
    if !chinese::out_of_china(lon, lat) {
        // The box spans 73.66E..135.05E, so the nearest 3-degree meridian is within 75..=135.
        let cm = ((lon / 3.0).round() * 3.0).clamp(75.0, 135.0) as u32;
        return Crs::builtin(4534 + (cm - 75) / 3);
    }
    let lon = (lon + 180.0).rem_euclid(360.0) - 180.0;
    let mut zone = (((lon + 180.0) / 6.0).floor() as u32 + 1).clamp(1, 60);
    if (56.0..64.0).contains(&lat) && (3.0..12.0).contains(&lon) {
        zone = 32;
    } else if (72.0..84.0).contains(&lat) && (0.0..42.0).contains(&lon) {
        zone = match lon {
            l if l < 9.0 => 31,
            l if l < 21.0 => 33,
            l if l < 33.0 => 35,
            _ => 37,
        };
    }
    let base = if lat >= 0.0 { 32600 } else { 32700 };
    Crs::builtin(base + zone)
}

/// Extracts an EPSG code from user text (see [`Crs::parse`]).
fn parse_epsg_code(text: &str) -> Result<u32, CrsError> {
    let lower = text.trim().to_ascii_lowercase();
    let compact: String = lower
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    let err = |reason: &str| CrsError::Parse {
        text: text.to_string(),
        reason: reason.to_string(),
    };
    let expected = "expected an EPSG code such as \"EPSG:4549\" or \"4549\", an OGC CRS URI such as \
                    \"http://www.opengis.net/def/crs/EPSG/0/4549\", or one of \"CGCS2000\", \"WGS84\", \"CRS84\"";
    match compact.as_str() {
        "cgcs2000" | "chinageodeticcoordinatesystem2000" => return Ok(4490),
        "wgs84" | "crs84" | "ogccrs84" => return Ok(4326),
        "gcj02" | "bd09" | "bd09ll" => return Err(err(
            "GCJ-02 and BD-09 are web-map offsets, not EPSG coordinate systems; they are accepted \
                 only as output coordinate systems (OutputCrs)",
        )),
        _ => {}
    }
    // OGC URIs: http(s)://www.opengis.net/def/crs/{authority}/{version}/{code}
    // and urn:ogc:def:crs:{authority}:{version}:{code}.
    let http = [
        "http://www.opengis.net/def/crs/",
        "https://www.opengis.net/def/crs/",
    ]
    .iter()
    .find_map(|p| lower.strip_prefix(p));
    let (authority, code) = if let Some(rest) = http {
        match rest
            .trim_end_matches('/')
            .split('/')
            .collect::<Vec<_>>()
            .as_slice()
        {
            [authority, _version, code] => (*authority, *code),
            _ => return Err(err(expected)),
        }
    } else if let Some(rest) = lower.strip_prefix("urn:ogc:def:crs:") {
        match rest.split(':').collect::<Vec<_>>().as_slice() {
            [authority, _, code] | [authority, code] => (*authority, *code),
            _ => return Err(err(expected)),
        }
    } else {
        match lower.split_once(':') {
            Some((authority, code)) => (authority.trim(), code.trim_start_matches(':').trim()),
            None => ("epsg", lower.as_str()),
        }
    };
    match authority {
        "epsg" => code
            .parse::<u32>()
            .map_err(|_| err(&format!("{code:?} is not an EPSG code number; {expected}"))),
        "ogc" if code == "crs84" => Ok(4326),
        _ => Err(err(expected)),
    }
}

/// An output coordinate system a client may ask for: WGS 84, GCJ-02 (Amap, Tencent), BD-09 (Baidu)
/// or an EPSG CRS.
#[derive(Clone, Debug, PartialEq)]
pub enum OutputCrs {
    /// WGS 84 longitude/latitude (EPSG:4326, CRS84).
    Wgs84,
    /// GCJ-02 longitude/latitude, the offset used by Amap and Tencent maps.
    Gcj02,
    /// BD-09 longitude/latitude, Baidu's offset on top of GCJ-02.
    Bd09,
    /// Any EPSG system other than 4326.
    Epsg(Crs),
}

impl fmt::Display for OutputCrs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OutputCrs::Wgs84 => f.write_str("WGS84"),
            OutputCrs::Gcj02 => f.write_str("GCJ-02"),
            OutputCrs::Bd09 => f.write_str("BD-09"),
            OutputCrs::Epsg(crs) => write!(f, "EPSG:{}", crs.epsg()),
        }
    }
}

impl OutputCrs {
    /// Reads a client's choice: `"wgs84"`, `"4326"`, `"EPSG:4326"`, `"gcj02"`, `"GCJ-02"`, `"bd09"`,
    /// `"BD-09"`, `"EPSG:4549"`, `"4549"`, OGC CRS URIs such as
    /// `http://www.opengis.net/def/crs/EPSG/0/4549` and `http://www.opengis.net/def/crs/OGC/1.3/CRS84`.
    pub fn parse(text: &str) -> Result<OutputCrs, CrsError> {
        let compact: String = text
            .trim()
            .to_ascii_lowercase()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect();
        match compact.as_str() {
            "gcj02" => return Ok(OutputCrs::Gcj02),
            "bd09" | "bd09ll" => return Ok(OutputCrs::Bd09),
            _ => {}
        }
        let crs = Crs::parse(text).map_err(|e| match e {
            CrsError::Parse { text, .. } => CrsError::Parse {
                text,
                reason: "expected \"wgs84\", \"gcj02\", \"bd09\", an EPSG code such as \"EPSG:4549\" or \
                         \"4549\", or an OGC CRS URI such as \"http://www.opengis.net/def/crs/EPSG/0/4549\""
                    .to_string(),
            },
            other => other,
        })?;
        Ok(if crs.epsg() == 4326 {
            OutputCrs::Wgs84
        } else {
            OutputCrs::Epsg(crs)
        })
    }

    /// Converts one WGS 84 (lon, lat) to this system.
    ///
    /// For [`OutputCrs::Epsg`] this builds a [`Transformer`] on every call; convert many points
    /// with [`OutputCrs::converter`].
    pub fn from_wgs84(&self, lon: f64, lat: f64) -> Result<(f64, f64), CrsError> {
        self.converter()?.from_wgs84(lon, lat)
    }

    /// Converts one (x, y) in this system back to WGS 84 (lon, lat), e.g. a click on an Amap map.
    pub fn to_wgs84(&self, x: f64, y: f64) -> Result<(f64, f64), CrsError> {
        self.converter()?.to_wgs84(x, y)
    }

    /// A reusable converter between WGS 84 and this system, for many points.
    pub fn converter(&self) -> Result<OutputConverter, CrsError> {
        Ok(OutputConverter(match self {
            OutputCrs::Wgs84 => Conversion::Wgs84,
            OutputCrs::Gcj02 => Conversion::Gcj02,
            OutputCrs::Bd09 => Conversion::Bd09,
            OutputCrs::Epsg(crs) => Conversion::Epsg(Box::new(EpsgConversion {
                forward: Transformer::new(&wgs84(), crs)?,
                inverse: Transformer::new(crs, &wgs84())?,
            })),
        }))
    }
}

/// Converts between WGS 84 and an [`OutputCrs`], built once by [`OutputCrs::converter`].
#[derive(Debug)]
pub struct OutputConverter(Conversion);

#[derive(Debug)]
enum Conversion {
    Wgs84,
    Gcj02,
    Bd09,
    Epsg(Box<EpsgConversion>),
}

#[derive(Debug)]
struct EpsgConversion {
    forward: Transformer,
    inverse: Transformer,
}

impl OutputConverter {
    /// WGS 84 (lon, lat) to the output system.
    pub fn from_wgs84(&self, lon: f64, lat: f64) -> Result<(f64, f64), CrsError> {
        match &self.0 {
            Conversion::Wgs84 => Ok((lon, lat)),
            Conversion::Gcj02 => Ok(chinese::wgs84_to_gcj02(lon, lat)),
            Conversion::Bd09 => Ok(chinese::wgs84_to_bd09(lon, lat)),
            Conversion::Epsg(e) => e.forward.transform(lon, lat),
        }
    }

    /// The output system's (x, y) back to WGS 84 (lon, lat).
    pub fn to_wgs84(&self, x: f64, y: f64) -> Result<(f64, f64), CrsError> {
        match &self.0 {
            Conversion::Wgs84 => Ok((x, y)),
            Conversion::Gcj02 => Ok(chinese::gcj02_to_wgs84(x, y)),
            Conversion::Bd09 => Ok(chinese::bd09_to_wgs84(x, y)),
            Conversion::Epsg(e) => e.inverse.transform(x, y),
        }
    }
}

/// Shared test helpers: the real `.prj` fixtures and metre distances.
#[cfg(test)]
pub(crate) mod fixtures {
    pub use crate::test_support::shared_data;

    /// The text of `<shared>/<city>/<layer>.prj`.
    pub fn prj(city: &str, layer: &str) -> String {
        let path = shared_data().join(city).join(format!("{layer}.prj"));
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
    }

    /// Approximate ground distance in metres between two lon/lat points a few metres apart.
    pub fn metres_between(a: (f64, f64), b: (f64, f64)) -> f64 {
        const R: f64 = 6_378_137.0;
        let dx = (a.0 - b.0).to_radians() * R * a.1.to_radians().cos();
        let dy = (a.1 - b.1).to_radians() * R;
        dx.hypot(dy)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // Tests may panic on bad input; that is their job.
mod tests {
    use super::*;

    #[test]
    fn from_epsg_reads_the_table() {
        let c = Crs::from_epsg(4549).unwrap();
        assert_eq!(c.epsg(), 4549);
        assert_eq!(c.name(), "CGCS2000 / 3-degree Gauss-Kruger CM 120E");
        assert!(!c.is_geographic());
        assert!(c.proj4().contains("+lon_0=120"));
        let g = Crs::from_epsg(4490).unwrap();
        assert!(g.is_geographic());
        assert_eq!(g.name(), "China Geodetic Coordinate System 2000");
        assert_eq!(wgs84(), Crs::from_epsg(4326).unwrap());
        assert!(wgs84().is_geographic());
    }

    #[test]
    fn from_epsg_rejects_unknown_codes() {
        for code in [0, 1, 99_999, 4_294_967_295] {
            assert!(
                matches!(Crs::from_epsg(code), Err(CrsError::UnknownEpsg { code: c }) if c == code)
            );
        }
    }

    #[test]
    fn parse_accepts_the_usual_spellings() {
        for (text, code) in [
            ("EPSG:4549", 4549),
            ("epsg:4549", 4549),
            (" 4549 ", 4549),
            ("EPSG::4549", 4549),
            ("CGCS2000", 4490),
            ("cgcs 2000", 4490),
            ("WGS84", 4326),
            ("WGS 84", 4326),
            ("wgs-84", 4326),
            ("CRS84", 4326),
            ("OGC:CRS84", 4326),
            ("http://www.opengis.net/def/crs/EPSG/0/4549", 4549),
            ("https://www.opengis.net/def/crs/EPSG/0/4528", 4528),
            ("http://www.opengis.net/def/crs/OGC/1.3/CRS84", 4326),
            ("urn:ogc:def:crs:EPSG::32650", 32650),
            ("urn:ogc:def:crs:EPSG:9.5:3857", 3857),
            ("urn:ogc:def:crs:OGC:1.3:CRS84", 4326),
        ] {
            assert_eq!(Crs::parse(text).unwrap().epsg(), code, "{text}");
        }
    }

    #[test]
    fn parse_rejects_junk_clearly() {
        for text in [
            "",
            "EPSG:",
            "EPSG:abc",
            "nonsense",
            "ESRI:102100",
            "http://www.opengis.net/def/crs/EPSG/0",
            "12.5",
        ] {
            match Crs::parse(text) {
                Err(CrsError::Parse { text: t, reason }) => {
                    assert_eq!(t, text);
                    assert!(reason.contains("EPSG"), "{reason}");
                }
                other => panic!("{text:?} gave {other:?}"),
            }
        }
        assert!(matches!(
            Crs::parse("EPSG:99999"),
            Err(CrsError::UnknownEpsg { code: 99999 })
        ));
        let gcj = Crs::parse("GCJ-02").unwrap_err().to_string();
        assert!(gcj.contains("OutputCrs"), "{gcj}");
    }

    #[test]
    fn working_crs_picks_gk_zone_in_china_and_utm_elsewhere() {
        for ((lon, lat), code) in [
            ((118.78, 32.04), 4549),
            ((117.0, 36.65), 4548),
            ((116.33, 39.99), 4548),
            ((121.45, 31.32), 4549),
            ((87.62, 43.82), 4538),
            ((73.7, 39.0), 4534),
            ((135.0, 48.0), 4554),
            ((-8.61, 41.15), 32629),
            ((24.94, 60.17), 32635),
            ((151.2, -33.87), 32756),
            ((5.32, 60.39), 32632),
            ((15.6, 78.2), 32633),
            ((-180.0, 10.0), 32601),
            ((180.0, 10.0), 32601),
            ((f64::NAN, 1.0), 32631),
        ] {
            let crs = working_crs_for(lon, lat);
            assert_eq!(crs.epsg(), code, "({lon}, {lat})");
            assert!(!crs.is_geographic());
        }
    }

    #[test]
    fn every_code_working_crs_can_return_is_in_the_table() {
        for code in (4534..=4554).chain(32601..=32660).chain(32701..=32760) {
            assert_eq!(Crs::from_epsg(code).unwrap().epsg(), code);
        }
    }

    #[test]
    fn output_crs_parse_accepts_listed_spellings() {
        for (text, want) in [
            ("wgs84", OutputCrs::Wgs84),
            ("WGS84", OutputCrs::Wgs84),
            ("4326", OutputCrs::Wgs84),
            ("EPSG:4326", OutputCrs::Wgs84),
            (
                "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
                OutputCrs::Wgs84,
            ),
            ("gcj02", OutputCrs::Gcj02),
            ("GCJ-02", OutputCrs::Gcj02),
            ("gcj_02", OutputCrs::Gcj02),
            ("bd09", OutputCrs::Bd09),
            ("BD-09", OutputCrs::Bd09),
            ("bd09ll", OutputCrs::Bd09),
            ("EPSG:4549", OutputCrs::Epsg(Crs::from_epsg(4549).unwrap())),
            ("4549", OutputCrs::Epsg(Crs::from_epsg(4549).unwrap())),
            (
                "http://www.opengis.net/def/crs/EPSG/0/4549",
                OutputCrs::Epsg(Crs::from_epsg(4549).unwrap()),
            ),
        ] {
            assert_eq!(OutputCrs::parse(text).unwrap(), want, "{text}");
        }
    }

    #[test]
    fn output_crs_parse_rejects_junk() {
        for text in ["", "mars", "gcj03", "EPSG:", "wgs85"] {
            match OutputCrs::parse(text) {
                Err(CrsError::Parse { reason, .. }) => {
                    assert!(
                        reason.contains("gcj02") && reason.contains("bd09"),
                        "{reason}"
                    )
                }
                other => panic!("{text:?} gave {other:?}"),
            }
        }
        assert!(matches!(
            OutputCrs::parse("EPSG:1"),
            Err(CrsError::UnknownEpsg { code: 1 })
        ));
    }

    #[test]
    fn output_crs_converts_from_wgs84() {
        let (lon, lat) = (118.78, 32.04);
        assert_eq!(OutputCrs::Wgs84.from_wgs84(lon, lat).unwrap(), (lon, lat));
        assert_eq!(
            OutputCrs::Gcj02.from_wgs84(lon, lat).unwrap(),
            chinese::wgs84_to_gcj02(lon, lat)
        );
        assert_eq!(
            OutputCrs::Bd09.from_wgs84(lon, lat).unwrap(),
            chinese::wgs84_to_bd09(lon, lat)
        );
        let zone = OutputCrs::parse("EPSG:4549").unwrap();
        let (x, y) = zone.from_wgs84(lon, lat).unwrap();
        // pyproj 3.7.2 / PROJ 9.5.1, EPSG:4326 -> EPSG:4549.
        assert!(
            (x - 384_764.606_793_871_9).abs() < 1e-3 && (y - 3_546_938.841_154_822_6).abs() < 1e-3
        );
        let back = zone.to_wgs84(x, y).unwrap();
        assert!(fixtures::metres_between(back, (lon, lat)) < 1e-6);
        for out in [OutputCrs::Gcj02, OutputCrs::Bd09] {
            let p = out.from_wgs84(lon, lat).unwrap();
            assert!(fixtures::metres_between(out.to_wgs84(p.0, p.1).unwrap(), (lon, lat)) < 1e-6);
        }
        assert_eq!(OutputCrs::Gcj02.to_string(), "GCJ-02");
        assert_eq!(zone.to_string(), "EPSG:4549");
    }
}
