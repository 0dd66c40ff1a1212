//! `.prj` detection: which EPSG code a WKT1 text describes, decided by its parameters.
//!
//! Names in `.prj` files are unreliable (every tool spells them differently, and hand-edited files
//! keep a name while changing a number), so the classification reads the ellipsoid, projection
//! method, central meridian, scale factor, false origin and units, and maps those to an EPSG code.
//! Names are consulted only to tell apart definitions whose parameters are identical (a GRS 1980
//! datum that is not CGCS2000; 3- versus 6-degree zones on the same meridian), and a root
//! `AUTHORITY["EPSG", …]` only as a cross-check.

use super::wkt::{self, WktNode, WktValue};
use super::{Crs, CrsError};

/// How a `.prj` was matched, for the user-facing report.
#[derive(Debug, Clone, PartialEq)]
pub struct PrjMatch {
    /// The coordinate system the `.prj` describes.
    pub crs: Crs,
    /// One line of English saying which parameters led to `crs`, e.g.
    /// `.prj parameters: Gauss-Kruger on CGCS2000, CM 120E, false easting 500000 m (no zone prefix) -> EPSG:4549`.
    pub how: String,
}

/// Identifies the CRS of a `.prj` (WKT1, ESRI or OGC flavour) from its parameters.
///
/// Recognises CGCS2000 geographic (4490) and its 3- and 6-degree Gauss–Krüger zones with or
/// without zone prefix (4491–4554), WGS 84 geographic (4326) and UTM (326xx, 327xx), and Web
/// Mercator (3857). Other datums — notably Xian 1980 and Beijing 1954 — are refused with
/// [`CrsError::Unsupported`] because converting them needs local datum-shift parameters; a false
/// easting whose zone prefix contradicts the central meridian gives [`CrsError::ZoneMismatch`].
///
/// ```
/// let prj = r#"PROJCS["CGCS2000_3_Degree_GK_CM_120E",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",120.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#;
/// let m = infill::crs::detect_prj(prj)?;
/// assert_eq!(m.crs.epsg(), 4549);
/// # Ok::<(), infill::crs::CrsError>(())
/// ```
pub fn detect_prj(wkt_text: &str) -> Result<PrjMatch, CrsError> {
    detect_node(&wkt::parse(wkt_text)?)
}

fn detect_node(root: &WktNode) -> Result<PrjMatch, CrsError> {
    let (code, body) = match root.keyword.to_ascii_uppercase().as_str() {
        "PROJCS" => detect_projected(root)?,
        "GEOGCS" => detect_geographic(root)?,
        "COMPD_CS" => {
            let horizontal = root.child(&["PROJCS", "GEOGCS"]).ok_or_else(|| {
                unsupported(root, "a compound CRS without a horizontal PROJCS or GEOGCS part")
            })?;
            let inner = detect_node(horizontal)?;
            return Ok(PrjMatch {
                crs: inner.crs,
                how: format!("compound CRS, horizontal part: {}", inner.how),
            });
        }
        "GEOCCS" => {
            return Err(unsupported(
                root,
                "geocentric X/Y/Z coordinates are not map coordinates; export the layer in a projected or geographic CRS",
            ))
        }
        "LOCAL_CS" => {
            return Err(unsupported(
                root,
                "local engineering coordinates have no georeference; infill cannot place them on the map",
            ))
        }
        "PROJCRS" | "GEOGCRS" | "GEODCRS" | "BOUNDCRS" | "COMPOUNDCRS" | "ENGCRS" | "PROJECTEDCRS"
        | "GEOGRAPHICCRS" | "GEODETICCRS" => {
            return Err(unsupported(
                root,
                "this is WKT2; infill reads WKT1 .prj files as ArcGIS, QGIS and GDAL write them for shapefiles. \
                 Save the layer as a shapefile again, or set crs = \"EPSG:…\" for the layer in the config",
            ))
        }
        other => {
            return Err(CrsError::MalformedWkt {
                reason: format!(
                    "the root keyword {other} is not a coordinate system (expected PROJCS or GEOGCS)"
                ),
                offset: None,
            })
        }
    };
    let mut how = format!(".prj parameters: {body} -> EPSG:{code}");
    match root.epsg_authority() {
        Some(a) if a == code => how.push_str(&format!("; its AUTHORITY EPSG:{a} agrees")),
        Some(a) => how.push_str(&format!(
            "; its AUTHORITY says EPSG:{a}, but the parameters say EPSG:{code}, and infill trusts the parameters"
        )),
        None => {}
    }
    Ok(PrjMatch {
        crs: Crs::from_epsg(code)?,
        how,
    })
}

// ---------------------------------------------------------------------------------------------
// Reading the tree
// ---------------------------------------------------------------------------------------------

/// The geographic part of a WKT.
struct Geog {
    datum: String,
    ellipsoid: String,
    a: f64,
    /// Inverse flattening; 0 for a sphere.
    rf: f64,
    towgs84: Vec<f64>,
    /// Radians per angular unit.
    angular_unit: f64,
    angular_unit_name: String,
}

impl Geog {
    fn is_degrees(&self) -> bool {
        (self.angular_unit - std::f64::consts::PI / 180.0).abs() < 1e-12
    }

    /// An angle written in this GEOGCS's unit, in degrees.
    fn degrees(&self, v: f64) -> f64 {
        if self.is_degrees() {
            v
        } else {
            (v * self.angular_unit).to_degrees()
        }
    }
}

fn read_geogcs(node: &WktNode) -> Result<Geog, CrsError> {
    let name = node.name().unwrap_or("GEOGCS");
    let datum = node
        .child(&["DATUM"])
        .ok_or_else(|| malformed(format!("GEOGCS {name:?} has no DATUM")))?;
    let spheroid = datum.child(&["SPHEROID", "ELLIPSOID"]).ok_or_else(|| {
        malformed(format!(
            "DATUM {:?} has no SPHEROID",
            datum.name().unwrap_or("")
        ))
    })?;
    let ellipsoid = spheroid.name().unwrap_or("").to_string();
    let (a, rf) = match (spheroid.number(0), spheroid.number(1)) {
        (Some(a), Some(rf)) if a > 0.0 && rf >= 0.0 => (a, rf),
        _ => {
            return Err(malformed(format!(
                "SPHEROID {ellipsoid:?} needs a positive semi-major axis and an inverse flattening"
            )))
        }
    };
    let towgs84 = datum.child(&["TOWGS84"]).map(numbers).unwrap_or_default();
    if let Some(pm) = node.child(&["PRIMEM"]) {
        let lon = pm
            .number(0)
            .ok_or_else(|| malformed("PRIMEM without a longitude".into()))?;
        if lon != 0.0 {
            return Err(unsupported(
                node,
                &format!(
                    "prime meridian {:?} at {lon} is not Greenwich",
                    pm.name().unwrap_or("")
                ),
            ));
        }
    }
    let (angular_unit_name, angular_unit) = match node.child(&["UNIT", "ANGLEUNIT"]) {
        Some(u) => (
            u.name().unwrap_or("").to_string(),
            u.number(0).filter(|f| *f > 0.0).ok_or_else(|| {
                malformed(format!(
                    "UNIT {:?} has no conversion factor",
                    u.name().unwrap_or("")
                ))
            })?,
        ),
        None => ("degree".to_string(), std::f64::consts::PI / 180.0),
    };
    Ok(Geog {
        datum: datum.name().unwrap_or("").to_string(),
        ellipsoid,
        a,
        rf,
        towgs84,
        angular_unit,
        angular_unit_name,
    })
}

fn numbers(node: &WktNode) -> Vec<f64> {
    node.args
        .iter()
        .filter_map(|a| match a {
            WktValue::Number(v) => Some(*v),
            _ => None,
        })
        .collect()
}

/// Lower-case letters and digits only: `False_Easting` and `false easting` both become `falseeasting`.
fn normalize(s: &str) -> String {
    s.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// The projection part of a PROJCS, angles in degrees, lengths in the linear unit.
struct Projection {
    /// The method as written, e.g. `Gauss_Kruger`.
    method: String,
    /// The method normalised, e.g. `gausskruger`.
    method_key: String,
    false_easting: f64,
    false_northing: f64,
    central_meridian: Option<f64>,
    scale_factor: f64,
    latitude_of_origin: f64,
    standard_parallel_1: Option<f64>,
    auxiliary_sphere_type: Option<f64>,
    /// Parameters this reader does not know, as written.
    other_parameters: Vec<String>,
    /// A sphere radius stated by an `EXTENSION["PROJ4", "... +a=R +b=R ..."]`.
    proj4_sphere: Option<f64>,
}

fn read_projection(root: &WktNode, geog: &Geog) -> Result<Projection, CrsError> {
    let method = root
        .child(&["PROJECTION"])
        .and_then(|p| p.name())
        .ok_or_else(|| {
            malformed(format!(
                "PROJCS {:?} has no PROJECTION",
                root.name().unwrap_or("")
            ))
        })?
        .to_string();
    let mut p = Projection {
        method_key: normalize(&method),
        method,
        false_easting: 0.0,
        false_northing: 0.0,
        central_meridian: None,
        scale_factor: 1.0,
        latitude_of_origin: 0.0,
        standard_parallel_1: None,
        auxiliary_sphere_type: None,
        other_parameters: Vec::new(),
        proj4_sphere: None,
    };
    for param in root.children_named("PARAMETER") {
        let name = param.name().unwrap_or("");
        let value = param
            .number(0)
            .ok_or_else(|| malformed(format!("PARAMETER {name:?} has no numeric value")))?;
        match normalize(name).as_str() {
            "falseeasting" => p.false_easting = value,
            "falsenorthing" => p.false_northing = value,
            "centralmeridian"
            | "longitudeofcenter"
            | "longitudeoforigin"
            | "longitudeofnaturalorigin" => p.central_meridian = Some(geog.degrees(value)),
            "scalefactor" | "scalefactoratnaturalorigin" => p.scale_factor = value,
            "latitudeoforigin" | "latitudeofcenter" | "latitudeofnaturalorigin" => {
                p.latitude_of_origin = geog.degrees(value)
            }
            "standardparallel1" => p.standard_parallel_1 = Some(geog.degrees(value)),
            "auxiliaryspheretype" => p.auxiliary_sphere_type = Some(value),
            _ => p.other_parameters.push(name.to_string()),
        }
    }
    p.proj4_sphere = root
        .children_named("EXTENSION")
        .find(|e| e.name().is_some_and(|n| n.eq_ignore_ascii_case("PROJ4")))
        .and_then(|e| {
            e.args.iter().skip(1).find_map(|a| match a {
                WktValue::Text(s) => Some(s.as_str()),
                _ => None,
            })
        })
        .and_then(proj4_sphere_radius);
    Ok(p)
}

/// The radius of a sphere declared in a PROJ.4 string by `+R=` or equal `+a=` and `+b=`.
fn proj4_sphere_radius(proj4: &str) -> Option<f64> {
    let value = |key: &str| {
        proj4
            .split_whitespace()
            .find_map(|t| t.strip_prefix(key))
            .and_then(|v| v.parse::<f64>().ok())
    };
    if let Some(r) = value("+R=") {
        return Some(r);
    }
    match (value("+a="), value("+b=")) {
        (Some(a), Some(b)) if a == b => Some(a),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// Classification
// ---------------------------------------------------------------------------------------------

const CGCS2000_RF: f64 = 298.257_222_101;
const WGS84_RF: f64 = 298.257_223_563;
const WGS84_A: f64 = 6_378_137.0;
/// 1/f of CGCS2000 and WGS 84 differ by 1.5e-6; this tolerance separates them.
const RF_TOLERANCE: f64 = 1e-7;
const A_TOLERANCE: f64 = 1e-3;
/// Lengths (false easting/northing) are compared to the millimetre.
const LENGTH_TOLERANCE: f64 = 1e-3;
const ANGLE_TOLERANCE: f64 = 1e-9;

fn close(a: f64, b: f64, tolerance: f64) -> bool {
    (a - b).abs() <= tolerance
}

/// What the ellipsoid and datum say.
enum Datum {
    Cgcs2000,
    Wgs84,
    /// A sphere of this radius (the datum of some Web Mercator `.prj` files).
    Sphere(f64),
    /// A datum infill cannot use; the text says why.
    Foreign(String),
}

impl Datum {
    fn label(&self) -> &'static str {
        match self {
            Datum::Cgcs2000 => "CGCS2000",
            Datum::Wgs84 => "WGS 84",
            Datum::Sphere(_) => "a sphere",
            Datum::Foreign(_) => "another datum",
        }
    }
}

/// Datums on the GRS 1980 ellipsoid, whose numbers are exactly CGCS2000's, recognised by name.
const OTHER_GRS80_DATUMS: &[(&str, &str)] = &[
    ("nad83", "NAD83 (North America)"),
    ("northamerican", "NAD83 (North America)"),
    ("etrs", "ETRS89 (Europe)"),
    ("europeanterrestrial", "ETRS89 (Europe)"),
    ("gda", "GDA94/GDA2020 (Australia)"),
    ("geocentricdatumofaustralia", "GDA94/GDA2020 (Australia)"),
    ("nzgd", "NZGD2000 (New Zealand)"),
    ("newzealandgeodetic", "NZGD2000 (New Zealand)"),
    ("sirgas", "SIRGAS (Latin America)"),
    ("jgd", "JGD2000/2011 (Japan)"),
    ("japangeodetic", "JGD2000/2011 (Japan)"),
    ("korea", "Korea 2000"),
    ("twd97", "TWD97 (Taiwan)"),
];

const DATUM_SHIFT_ADVICE: &str = "converting it to CGCS2000 needs a datum shift whose local parameters (a 7-parameter \
     transformation or a correction grid for your area) the bureau must supply; infill does not guess them";

fn classify_datum(g: &Geog) -> Datum {
    let describe = || {
        format!(
            "datum {:?} on ellipsoid {:?} (a = {} m, 1/f = {})",
            g.datum, g.ellipsoid, g.a, g.rf
        )
    };
    let shift_declared = g.towgs84.iter().any(|v| *v != 0.0);
    if g.rf == 0.0 || g.rf > 1e9 {
        return Datum::Sphere(g.a);
    }
    if close(g.a, WGS84_A, A_TOLERANCE) && close(g.rf, CGCS2000_RF, RF_TOLERANCE) {
        let key = normalize(&g.datum);
        if let Some((_, other)) = OTHER_GRS80_DATUMS
            .iter()
            .find(|(needle, _)| key.contains(needle))
        {
            return Datum::Foreign(format!(
                "{}: the GRS 1980 ellipsoid has the same numbers as CGCS2000's, but this datum is {other}, not CGCS2000",
                describe()
            ));
        }
        if shift_declared {
            return Datum::Foreign(format!(
                "{} declares a shift TOWGS84{:?}, which infill does not apply",
                describe(),
                g.towgs84
            ));
        }
        return Datum::Cgcs2000;
    }
    if close(g.a, WGS84_A, A_TOLERANCE) && close(g.rf, WGS84_RF, RF_TOLERANCE) {
        if shift_declared {
            return Datum::Foreign(format!(
                "{} declares a shift TOWGS84{:?}, which infill does not apply",
                describe(),
                g.towgs84
            ));
        }
        return Datum::Wgs84;
    }
    if close(g.a, 6_378_140.0, A_TOLERANCE) && close(g.rf, 298.257, 1e-6) {
        return Datum::Foreign(format!(
            "{} is Xian 1980 (IAG 1975 ellipsoid), not CGCS2000: {DATUM_SHIFT_ADVICE}",
            describe()
        ));
    }
    if close(g.a, 6_378_245.0, A_TOLERANCE) && close(g.rf, 298.3, 1e-6) {
        return Datum::Foreign(format!(
            "{} is Beijing 1954 (Krasovsky 1940 ellipsoid), not CGCS2000: {DATUM_SHIFT_ADVICE}",
            describe()
        ));
    }
    Datum::Foreign(format!(
        "{} is neither CGCS2000 nor WGS 84: {DATUM_SHIFT_ADVICE}",
        describe()
    ))
}

fn override_hint(code: Option<u32>) -> String {
    let code = code.map_or_else(|| "…".to_string(), |c| c.to_string());
    format!(
        ". If you know the coordinates are really CGCS2000 despite this .prj, set crs = \"EPSG:{code}\" for this layer in the config"
    )
}

fn detect_geographic(root: &WktNode) -> Result<(u32, String), CrsError> {
    let geog = read_geogcs(root)?;
    if !geog.is_degrees() {
        return Err(unsupported(
            root,
            &format!(
                "the angular unit {:?} ({} rad) is not the degree",
                geog.angular_unit_name, geog.angular_unit
            ),
        ));
    }
    let code = match classify_datum(&geog) {
        Datum::Cgcs2000 => 4490,
        Datum::Wgs84 => 4326,
        Datum::Sphere(r) => {
            return Err(unsupported(
                root,
                &format!(
                    "geographic coordinates on a sphere of radius {r} m are not a supported datum"
                ),
            ))
        }
        Datum::Foreign(reason) => {
            return Err(unsupported(root, &(reason + &override_hint(Some(4490)))))
        }
    };
    Ok((
        code,
        format!(
            "geographic on {} (a = {} m, 1/f = {})",
            if code == 4490 { "CGCS2000" } else { "WGS 84" },
            geog.a,
            geog.rf
        ),
    ))
}

fn detect_projected(root: &WktNode) -> Result<(u32, String), CrsError> {
    let geogcs = root.child(&["GEOGCS"]).ok_or_else(|| {
        malformed(format!(
            "PROJCS {:?} has no GEOGCS",
            root.name().unwrap_or("")
        ))
    })?;
    let geog = read_geogcs(geogcs)?;
    let p = read_projection(root, &geog)?;
    if let Some(unit) = root.child(&["UNIT", "LENGTHUNIT"]) {
        let factor = unit.number(0).unwrap_or(f64::NAN);
        if !close(factor, 1.0, 1e-12) {
            return Err(unsupported(
                root,
                &format!(
                    "the linear unit {:?} ({factor} m) is not the metre; infill expects coordinates in metres",
                    unit.name().unwrap_or("")
                ),
            ));
        }
    }
    let name = root.name().unwrap_or("");
    let authority = root.epsg_authority();
    let key = p.method_key.as_str();
    let is_tm = matches!(
        key,
        "transversemercator" | "gausskruger" | "gausskrueger" | "transversemercatorcomplex"
    );
    let is_mercator = matches!(
        key,
        "mercatorauxiliarysphere"
            | "popularvisualisationpseudomercator"
            | "pseudomercator"
            | "mercator"
            | "mercator1sp"
            | "mercator2sp"
    );
    let datum = classify_datum(&geog);
    if let Datum::Foreign(reason) = &datum {
        // Would these parameters be a CGCS2000 zone? Then suggest that code as the override.
        let hint = if is_tm {
            cgcs2000_zone(root, &p, name, authority)
                .ok()
                .map(|(c, _)| c)
        } else {
            None
        };
        return Err(unsupported(
            root,
            &format!("{reason}{}", override_hint(hint)),
        ));
    }
    if is_tm {
        let method = if key.starts_with("gauss") {
            "Gauss-Kruger"
        } else {
            "Transverse Mercator"
        };
        if !p.other_parameters.is_empty() {
            return Err(unsupported(
                root,
                &format!(
                    "{method} with unexpected parameters {:?} is not a standard zone",
                    p.other_parameters
                ),
            ));
        }
        match datum {
            Datum::Cgcs2000 => cgcs2000_zone(root, &p, name, authority)
                .map(|(code, detail)| (code, format!("{method} on CGCS2000, {detail}"))),
            Datum::Wgs84 => wgs84_utm(root, &p, method, name, authority)
                .map(|(code, detail)| (code, format!("{method} on WGS 84, {detail}"))),
            _ => Err(unsupported(
                root,
                &format!("{method} on {} is not supported", datum.label()),
            )),
        }
    } else if is_mercator {
        web_mercator(root, &p, &datum)
    } else {
        Err(unsupported(
            root,
            &format!(
                "the projection {:?} is not supported; infill reads CGCS2000 Gauss-Kruger zones, WGS 84 UTM \
                 zones and Web Mercator",
                p.method
            ),
        ))
    }
}

fn central_meridian(p: &Projection) -> Result<f64, CrsError> {
    p.central_meridian.ok_or_else(|| {
        malformed(format!(
            "PROJECTION {:?} has no central_meridian parameter",
            p.method
        ))
    })
}

/// East or west longitude for messages: `120E`, `8.61W`.
fn lon_label(lon: f64) -> String {
    if lon < 0.0 {
        format!("{}W", -lon)
    } else {
        format!("{lon}E")
    }
}

/// Maps Gauss–Krüger parameters on CGCS2000 to EPSG 4491–4554: (code, detail for `how`).
fn cgcs2000_zone(
    root: &WktNode,
    p: &Projection,
    name: &str,
    authority: Option<u32>,
) -> Result<(u32, String), CrsError> {
    let cm_deg = central_meridian(p)?;
    let not_a_zone = |what: String| {
        unsupported(
            root,
            &format!(
                "{what} is not a standard CGCS2000 Gauss-Kruger zone (those have scale factor 1, latitude of \
                 origin 0, false northing 0 and a central meridian that is a multiple of 3° from 75E to 135E), \
                 so it has no EPSG code infill can use"
            ),
        )
    };
    if !close(p.scale_factor, 1.0, 1e-10) {
        return Err(not_a_zone(format!("scale factor {}", p.scale_factor)));
    }
    if !close(p.latitude_of_origin, 0.0, ANGLE_TOLERANCE) {
        return Err(not_a_zone(format!(
            "latitude of origin {}",
            p.latitude_of_origin
        )));
    }
    if !close(p.false_northing, 0.0, LENGTH_TOLERANCE) {
        return Err(not_a_zone(format!("false northing {} m", p.false_northing)));
    }
    let cm_rounded = cm_deg.round();
    if !close(cm_deg, cm_rounded, 1e-7)
        || cm_rounded % 3.0 != 0.0
        || !(75.0..=135.0).contains(&cm_rounded)
    {
        return Err(not_a_zone(format!(
            "central meridian {} (a local city grid?)",
            lon_label(cm_deg)
        )));
    }
    let cm = cm_rounded as u32;
    let zone3 = cm / 3;
    let zone6 = (cm % 6 == 3).then_some((cm + 3) / 6);
    let fits = {
        let mut s = format!(
            "a zone on CM {cm}E has false easting 500000 m (no zone prefix) or {zone3}500000 m (3-degree zone {zone3})"
        );
        if let Some(z) = zone6 {
            s.push_str(&format!(" or {z}500000 m (6-degree zone {z})"));
        }
        s
    };
    let mismatch = |explanation: String| CrsError::ZoneMismatch {
        false_easting: p.false_easting,
        central_meridian: cm_deg,
        explanation,
    };
    let prefix_exact = (p.false_easting - 500_000.0) / 1e6;
    let prefix = prefix_exact.round();
    if !close(prefix_exact, prefix, LENGTH_TOLERANCE / 1e6) || prefix < 0.0 {
        return Err(mismatch(format!(
            "it is not 500000 m plus a whole zone number in millions; {fits}"
        )));
    }
    let prefix = prefix as u32;
    if prefix == 0 {
        let three = 4534 + (cm - 75) / 3;
        let Some(z6) = zone6 else {
            return Ok((
                three,
                format!("CM {cm}E, false easting 500000 m (no zone prefix)"),
            ));
        };
        // The 3-degree and 6-degree zones on this meridian are the same projection; pick by
        // AUTHORITY, then by name, then 3-degree (the bureau's convention).
        let six = 4502 + (z6 - 13);
        let lower = name.to_ascii_lowercase();
        let says_three = ["3_degree", "3-degree", "3 degree", "3degree"]
            .iter()
            .any(|s| lower.contains(s));
        let says_six = !says_three
            && [
                "gk_cm",
                "gauss-kruger cm",
                "gauss_kruger_cm",
                "6_degree",
                "6-degree",
            ]
            .iter()
            .any(|s| lower.contains(s));
        let (code, other, why) = if authority == Some(six) {
            (six, three, "the AUTHORITY picks the 6-degree code")
        } else if authority == Some(three) {
            (three, six, "the AUTHORITY picks the 3-degree code")
        } else if says_three {
            (three, six, "the name says 3-degree")
        } else if says_six {
            (six, three, "the name says 6-degree")
        } else {
            (three, six, "3-degree assumed")
        };
        return Ok((
            code,
            format!(
                "CM {cm}E, false easting 500000 m (no zone prefix; same parameters as EPSG:{other}, {why})"
            ),
        ));
    }
    if prefix == zone3 {
        return Ok((
            4513 + (zone3 - 25),
            format!(
                "CM {cm}E, false easting {} m (3-degree zone {zone3} prefix)",
                p.false_easting
            ),
        ));
    }
    if Some(prefix) == zone6 {
        return Ok((
            4491 + (prefix - 13),
            format!(
                "CM {cm}E, false easting {} m (6-degree zone {prefix} prefix)",
                p.false_easting
            ),
        ));
    }
    let implied = match prefix {
        25..=45 => format!("3-degree zone {prefix} (CM {}E)", prefix * 3),
        13..=23 => format!("6-degree zone {prefix} (CM {}E)", prefix * 6 - 3),
        _ => format!("zone {prefix}, which is not a CGCS2000 Gauss-Kruger zone"),
    };
    Err(mismatch(format!(
        "the prefix {prefix} names {implied}, but the central meridian is {cm}E; {fits}. \
         The .prj contradicts itself: fix it, or set crs = \"EPSG:…\" for this layer in the config"
    )))
}

/// Maps Transverse Mercator parameters on WGS 84 to a UTM zone: (code, detail for `how`).
fn wgs84_utm(
    root: &WktNode,
    p: &Projection,
    method: &str,
    name: &str,
    authority: Option<u32>,
) -> Result<(u32, String), CrsError> {
    let cm = central_meridian(p)?;
    let zone_exact = (cm + 183.0) / 6.0;
    let zone = zone_exact.round();
    let north = close(p.false_northing, 0.0, LENGTH_TOLERANCE);
    let south = close(p.false_northing, 10_000_000.0, LENGTH_TOLERANCE);
    if close(p.scale_factor, 0.9996, 1e-10)
        && close(p.false_easting, 500_000.0, LENGTH_TOLERANCE)
        && close(p.latitude_of_origin, 0.0, ANGLE_TOLERANCE)
        && close(zone_exact, zone, 1e-9)
        && (1.0..=60.0).contains(&zone)
        && (north || south)
    {
        let zone = zone as u32;
        let (code, hemisphere) = if north {
            (32600 + zone, 'N')
        } else {
            (32700 + zone, 'S')
        };
        return Ok((
            code,
            format!(
                "CM {}, scale factor 0.9996, false easting 500000 m, false northing {} m (UTM zone {zone}{hemisphere})",
                lon_label(cm),
                p.false_northing
            ),
        ));
    }
    // Chinese software often labels Gauss-Kruger zones "WGS 84"; say which code fits if so.
    let hint = match cgcs2000_zone(root, p, name, authority) {
        Ok((code, _)) => format!(
            ". The parameters are those of a CGCS2000 Gauss-Kruger zone: if the data are CGCS2000, set \
             crs = \"EPSG:{code}\" for this layer in the config"
        ),
        Err(_) => String::new(),
    };
    Err(unsupported(
        root,
        &format!(
            "{method} on WGS 84 with CM {}, scale factor {}, false easting {} m, false northing {} m \
             is not a UTM zone (UTM: scale factor 0.9996, false easting 500000 m, false northing 0 or 10000000 m, \
             CM = 6·zone − 183){hint}",
            lon_label(cm),
            p.scale_factor,
            p.false_easting,
            p.false_northing
        ),
    ))
}

/// Recognises Web Mercator (EPSG:3857) in its ESRI, GDAL and PROJ.4-extension spellings.
fn web_mercator(root: &WktNode, p: &Projection, datum: &Datum) -> Result<(u32, String), CrsError> {
    let a_is_wgs84 = matches!(datum, Datum::Wgs84 | Datum::Cgcs2000);
    let sphere = if let Some(r) = p.proj4_sphere {
        Some((r, "sphere from the PROJ4 EXTENSION"))
    } else if let Datum::Sphere(r) = datum {
        Some((*r, "spherical datum"))
    } else if p.method_key == "mercatorauxiliarysphere" && a_is_wgs84 {
        let kind = p.auxiliary_sphere_type.unwrap_or(0.0);
        if kind != 0.0 {
            return Err(unsupported(
                root,
                &format!(
                    "Mercator_Auxiliary_Sphere with Auxiliary_Sphere_Type {kind} is not Web Mercator (which uses type 0)"
                ),
            ));
        }
        Some((WGS84_A, "auxiliary sphere on the semi-major axis"))
    } else if matches!(
        p.method_key.as_str(),
        "popularvisualisationpseudomercator" | "pseudomercator"
    ) && a_is_wgs84
    {
        Some((WGS84_A, "pseudo-Mercator on the semi-major axis"))
    } else {
        None
    };
    let Some((radius, source)) = sphere else {
        return Err(unsupported(
            root,
            &format!(
                "{} on the {} ellipsoid is ellipsoidal Mercator (like EPSG:3395), which infill does not support; \
                 if the coordinates are really Web Mercator, set crs = \"EPSG:3857\" for this layer in the config",
                p.method,
                datum.label()
            ),
        ));
    };
    if !close(radius, WGS84_A, A_TOLERANCE) {
        return Err(unsupported(
            root,
            &format!(
                "Mercator on a sphere of radius {radius} m is not Web Mercator (radius 6378137 m)"
            ),
        ));
    }
    let cm = p.central_meridian.unwrap_or(0.0);
    let standard = close(cm, 0.0, ANGLE_TOLERANCE)
        && close(p.false_easting, 0.0, LENGTH_TOLERANCE)
        && close(p.false_northing, 0.0, LENGTH_TOLERANCE)
        && close(p.scale_factor, 1.0, 1e-10)
        && close(p.latitude_of_origin, 0.0, ANGLE_TOLERANCE)
        && close(p.standard_parallel_1.unwrap_or(0.0), 0.0, ANGLE_TOLERANCE)
        && p.other_parameters.is_empty();
    if !standard {
        return Err(unsupported(
            root,
            &format!(
                "Mercator with CM {}, false easting {} m, false northing {} m, scale factor {}, standard parallel {} \
                 and other parameters {:?} is not standard Web Mercator (all zero, scale factor 1)",
                lon_label(cm),
                p.false_easting,
                p.false_northing,
                p.scale_factor,
                p.standard_parallel_1.unwrap_or(0.0),
                p.other_parameters
            ),
        ));
    }
    Ok((
        3857,
        format!(
            "{} on a sphere of radius 6378137 m ({source}), CM 0, no false origin",
            p.method
        ),
    ))
}

fn unsupported(node: &WktNode, reason: &str) -> CrsError {
    CrsError::Unsupported {
        crs: node.name().unwrap_or(&node.keyword).to_string(),
        reason: reason.to_string(),
    }
}

fn malformed(reason: String) -> CrsError {
    CrsError::MalformedWkt {
        reason,
        offset: None,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // Tests may panic on bad input; that is their job.
mod tests {
    use super::*;
    use crate::crs::fixtures::prj;

    fn wgs84_esri() -> String {
        crate::crs::wgs84().esri_wkt().unwrap()
    }

    fn code_of(wkt: &str) -> u32 {
        match detect_prj(wkt) {
            Ok(m) => m.crs.epsg(),
            Err(e) => panic!("{e}\n{wkt}"),
        }
    }

    /// Codes whose OGC WKT (from crs-definitions) must be recognised.
    fn supported_codes() -> impl Iterator<Item = u32> {
        (4491..=4554)
            .chain([4490, 4326, 3857])
            .chain(32601..=32660)
            .chain(32701..=32760)
    }

    #[test]
    fn ogc_wkt_from_epsg_table_is_detected_as_its_code() {
        for code in supported_codes() {
            let def = crs_definitions::from_code(code as u16).unwrap();
            let m = detect_prj(def.wkt).unwrap_or_else(|e| panic!("EPSG:{code}: {e}"));
            assert_eq!(m.crs.epsg(), code, "{}", m.how);
            assert!(m.how.contains("agrees"), "{}", m.how);
        }
    }

    #[test]
    fn esri_wkt_round_trips() {
        for code in supported_codes() {
            let crs = Crs::from_epsg(code).unwrap();
            let esri = crs
                .esri_wkt()
                .unwrap_or_else(|| panic!("no ESRI WKT for {code}"));
            assert_eq!(code_of(&esri), code, "{esri}");
        }
    }

    #[test]
    fn real_prj_files_are_detected() {
        for layer in [
            "buildings",
            "facilities",
            "idle",
            "neighbourhoods",
            "parcels",
            "roads",
        ] {
            assert_eq!(code_of(&prj("nanjing", layer)), 4549, "nanjing {layer}");
            assert_eq!(
                code_of(&prj("beijing_wudaokou", layer)),
                4548,
                "beijing {layer}"
            );
            assert_eq!(code_of(&prj("shanghai", layer)), 4528, "shanghai {layer}");
        }
        let m = detect_prj(&prj("nanjing", "buildings")).unwrap();
        assert_eq!(
            m.how,
            ".prj parameters: Gauss-Kruger on CGCS2000, CM 120E, false easting 500000 m (no zone prefix) -> EPSG:4549"
        );
        let m = detect_prj(&prj("shanghai", "roads")).unwrap();
        assert!(m.how.contains("3-degree zone 40 prefix"), "{}", m.how);
    }

    /// The Nanjing `.prj` with its numbers edited.
    fn nanjing_with(from: &str, to: &str) -> String {
        let text = prj("nanjing", "buildings");
        assert!(text.contains(from));
        text.replace(from, to)
    }

    #[test]
    fn parameters_win_over_names_and_authority() {
        // Named CM 120E but its parameters say CM 117E.
        let wkt = nanjing_with(
            r#"PARAMETER["Central_Meridian",120.0]"#,
            r#"PARAMETER["Central_Meridian",117.0]"#,
        );
        assert_eq!(code_of(&wkt), 4548);
        // AUTHORITY disagrees with the parameters.
        let wkt = crs_definitions::EPSG_4549.wkt.replace(
            r#"AUTHORITY["EPSG","4549"]]"#,
            r#"AUTHORITY["EPSG","4548"]]"#,
        );
        let m = detect_prj(&wkt).unwrap();
        assert_eq!(m.crs.epsg(), 4549);
        assert!(m.how.contains("AUTHORITY says EPSG:4548"), "{}", m.how);
    }

    #[test]
    fn same_parameters_three_and_six_degree_are_told_apart_by_authority_then_name() {
        // CM 117E, FE 500000 is both EPSG:4548 (3-degree) and EPSG:4509 (6-degree).
        assert_eq!(code_of(crs_definitions::EPSG_4509.wkt), 4509);
        assert_eq!(code_of(crs_definitions::EPSG_4548.wkt), 4548);
        let esri_six = Crs::from_epsg(4509).unwrap().esri_wkt().unwrap();
        assert_eq!(code_of(&esri_six), 4509);
        let anonymous = esri_six.replace("CGCS2000_GK_CM_117E", "my layer");
        let m = detect_prj(&anonymous).unwrap();
        assert_eq!(m.crs.epsg(), 4548);
        assert!(m.how.contains("EPSG:4509"), "{}", m.how);
    }

    #[test]
    fn geographic_and_web_mercator_spellings() {
        assert_eq!(
            code_of(&Crs::from_epsg(4490).unwrap().esri_wkt().unwrap()),
            4490
        );
        assert_eq!(code_of(&wgs84_esri()), 4326);
        for wkt in [
            // ESRI auxiliary sphere.
            r#"PROJCS["WGS_1984_Web_Mercator_Auxiliary_Sphere",GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Mercator_Auxiliary_Sphere"],PARAMETER["False_Easting",0.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",0.0],PARAMETER["Standard_Parallel_1",0.0],PARAMETER["Auxiliary_Sphere_Type",0.0],UNIT["Meter",1.0]]"#,
            // Old ESRI major auxiliary sphere.
            r#"PROJCS["WGS_1984_Web_Mercator",GEOGCS["GCS_WGS_1984_Major_Auxiliary_Sphere",DATUM["D_WGS_1984_Major_Auxiliary_Sphere",SPHEROID["WGS_1984_Major_Auxiliary_Sphere",6378137.0,0.0]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Mercator_1SP"],PARAMETER["False_Easting",0.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",0.0],PARAMETER["latitude_of_origin",0.0],UNIT["Meter",1.0]]"#,
            // GDAL.
            r#"PROJCS["WGS 84 / Pseudo-Mercator",GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563]],PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]],PROJECTION["Popular_Visualisation_Pseudo_Mercator"],PARAMETER["latitude_of_origin",0],PARAMETER["central_meridian",0],PARAMETER["scale_factor",1],PARAMETER["false_easting",0],PARAMETER["false_northing",0],UNIT["metre",1]]"#,
        ] {
            assert_eq!(code_of(wkt), 3857, "{wkt}");
        }
        // Ellipsoidal Mercator is not Web Mercator.
        let ellipsoidal = crs_definitions::EPSG_3857
            .wkt
            .replace(r#"EXTENSION["PROJ4","#, r#"EXTENSION["NOTE","#);
        match detect_prj(&ellipsoidal) {
            Err(CrsError::Unsupported { reason, .. }) => {
                assert!(reason.contains("EPSG:3857"), "{reason}")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn xian_1980_is_refused_with_advice() {
        let esri = r#"PROJCS["Xian_1980_3_Degree_GK_CM_120E",GEOGCS["GCS_Xian_1980",DATUM["D_Xian_1980",SPHEROID["Xian_1980",6378140.0,298.257]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",120.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#;
        for wkt in [esri, crs_definitions::EPSG_2385.wkt] {
            match detect_prj(wkt) {
                Err(CrsError::Unsupported { reason, .. }) => {
                    assert!(
                        reason.contains("Xian 1980") && reason.contains("6378140"),
                        "{reason}"
                    );
                    assert!(reason.contains("local parameters"), "{reason}");
                    assert!(reason.contains("crs = \"EPSG:4549\""), "{reason}");
                }
                other => panic!("{other:?}"),
            }
        }
        assert!(matches!(
            detect_prj(crs_definitions::EPSG_4610.wkt),
            Err(CrsError::Unsupported { reason, .. }) if reason.contains("Xian 1980") && reason.contains("EPSG:4490")
        ));
    }

    #[test]
    fn beijing_1954_is_refused_with_advice() {
        let esri = r#"PROJCS["Beijing_1954_3_Degree_GK_CM_117E",GEOGCS["GCS_Beijing_1954",DATUM["D_Beijing_1954",SPHEROID["Krasovsky_1940",6378245.0,298.3]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",117.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#;
        for wkt in [
            esri,
            crs_definitions::EPSG_2436.wkt,
            crs_definitions::EPSG_4214.wkt,
        ] {
            match detect_prj(wkt) {
                Err(CrsError::Unsupported { reason, .. }) => {
                    assert!(
                        reason.contains("Beijing 1954") && reason.contains("Krasovsky"),
                        "{reason}"
                    );
                    assert!(reason.contains("datum shift"), "{reason}");
                }
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn other_grs80_datums_are_not_mistaken_for_cgcs2000() {
        // NAD83 has CGCS2000's ellipsoid numbers.
        match detect_prj(crs_definitions::EPSG_4269.wkt) {
            Err(CrsError::Unsupported { reason, .. }) => {
                assert!(reason.contains("NAD83"), "{reason}")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn wrong_zone_prefix_is_a_mismatch() {
        let wkt = nanjing_with(
            r#"PARAMETER["False_Easting",500000.0]"#,
            r#"PARAMETER["False_Easting",39500000.0]"#,
        );
        match detect_prj(&wkt) {
            Err(CrsError::ZoneMismatch {
                false_easting,
                central_meridian,
                explanation,
            }) => {
                assert_eq!(false_easting, 39_500_000.0);
                assert_eq!(central_meridian, 120.0);
                assert!(
                    explanation.contains("3-degree zone 39 (CM 117E)"),
                    "{explanation}"
                );
                assert!(explanation.contains("40500000 m"), "{explanation}");
            }
            other => panic!("{other:?}"),
        }
        let odd = nanjing_with(
            r#"PARAMETER["False_Easting",500000.0]"#,
            r#"PARAMETER["False_Easting",250000.0]"#,
        );
        assert!(matches!(
            detect_prj(&odd),
            Err(CrsError::ZoneMismatch { .. })
        ));
    }

    #[test]
    fn non_standard_grids_are_refused() {
        for (from, to, needle) in [
            (
                r#""Central_Meridian",120.0"#,
                r#""Central_Meridian",118.5"#,
                "local city grid",
            ),
            (
                r#""Central_Meridian",120.0"#,
                r#""Central_Meridian",141.0"#,
                "141E",
            ),
            (
                r#""Scale_Factor",1.0"#,
                r#""Scale_Factor",0.9996"#,
                "scale factor 0.9996",
            ),
            (
                r#""False_Northing",0.0"#,
                r#""False_Northing",-3000000.0"#,
                "false northing",
            ),
            (
                r#"UNIT["Meter",1.0]]"#,
                r#"UNIT["Foot_US",0.3048006096012192]]"#,
                "not the metre",
            ),
            (
                r#"PROJECTION["Gauss_Kruger"]"#,
                r#"PROJECTION["Lambert_Conformal_Conic"]"#,
                "Lambert",
            ),
        ] {
            match detect_prj(&nanjing_with(from, to)) {
                Err(CrsError::Unsupported { reason, crs }) => {
                    assert!(reason.contains(needle), "{needle}: {reason}");
                    assert_eq!(crs, "CGCS2000_3_Degree_GK_CM_120E");
                }
                other => panic!("{needle}: {other:?}"),
            }
        }
    }

    #[test]
    fn gauss_kruger_labelled_wgs84_suggests_the_cgcs2000_code() {
        let wkt = nanjing_with("298.257222101", "298.257223563");
        match detect_prj(&wkt) {
            Err(CrsError::Unsupported { reason, .. }) => {
                assert!(
                    reason.contains("not a UTM zone") && reason.contains("EPSG:4549"),
                    "{reason}"
                )
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn malformed_and_foreign_texts_give_the_right_error() {
        let text = prj("nanjing", "buildings");
        for bad in [
            &text[..text.len() - 1],
            &text[..text.len() / 2],
            "PROJCS[\"x\",GEOGCS[\"y\"]]]",
            "",
            "   ",
            "not wkt at all",
            "PROJCS[\"x\",PROJECTION[\"Gauss_Kruger\"]]",
            "GEOGCS[\"x\",DATUM[\"d\",SPHEROID[\"s\",6378137.0]]]",
        ] {
            assert!(
                matches!(detect_prj(bad), Err(CrsError::MalformedWkt { .. })),
                "{bad:?} gave {:?}",
                detect_prj(bad)
            );
        }
        let unbalanced = detect_prj(&text[..text.len() - 1]).unwrap_err().to_string();
        assert!(unbalanced.contains("unbalanced brackets"), "{unbalanced}");
        let wkt2 = r#"GEOGCRS["WGS 84",DATUM["World Geodetic System 1984",ELLIPSOID["WGS 84",6378137,298.257223563]]]"#;
        assert!(
            matches!(detect_prj(wkt2), Err(CrsError::Unsupported { reason, .. }) if reason.contains("WKT2"))
        );
    }

    #[test]
    fn compound_crs_uses_its_horizontal_part() {
        let wkt = format!(
            r#"COMPD_CS["with height",{},VERT_CS["Yellow Sea 1985",VERT_DATUM["Yellow Sea 1985",2005],UNIT["metre",1]]]"#,
            prj("nanjing", "buildings")
        );
        let m = detect_prj(&wkt).unwrap();
        assert_eq!(m.crs.epsg(), 4549);
        assert!(m.how.starts_with("compound CRS"));
    }
}
