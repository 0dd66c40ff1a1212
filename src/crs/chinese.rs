//! GCJ-02 (Amap, Tencent) and BD-09 (Baidu) web-map coordinates.
//!
//! GCJ-02 is WGS 84 with a deliberate, nonlinear offset of a few hundred metres; BD-09 adds
//! Baidu's own offset on top of GCJ-02. Neither is an EPSG system. The forward formulas are the
//! widely used `coordTransform` ones (Krasovsky a = 6378245.0, e² = 0.00669342162296594323,
//! x_pi = π·3000/180). There is no closed-form inverse: the usual one-step inverse errs by up to
//! ~5 m (GCJ-02) and the usual BD-09 inverse by up to ~0.2 m, so the inverses here iterate the
//! forward formula to convergence (≈1e-9 m).
//!
//! Outside China's bounding box ([`out_of_china`]) every function returns its input unchanged,
//! as the maps do. The box test is made on the function's input.
//!
//! ```
//! use infill::crs::chinese::{gcj02_to_wgs84, wgs84_to_gcj02};
//! let (glon, glat) = wgs84_to_gcj02(118.78, 32.04);
//! let (lon, lat) = gcj02_to_wgs84(glon, glat);
//! assert!((lon - 118.78).abs() < 1e-12 && (lat - 32.04).abs() < 1e-12);
//! ```

use std::f64::consts::PI;

/// Krasovsky 1940 semi-major axis used by the GCJ-02 formula.
const KRASOVSKY_A: f64 = 6_378_245.0;
/// Krasovsky 1940 first eccentricity squared used by the GCJ-02 formula.
const KRASOVSKY_EE: f64 = 0.006_693_421_622_965_943; // 0.00669342162296594323 in the reference
/// Baidu's angular constant.
const X_PI: f64 = PI * 3000.0 / 180.0;

/// Iterations stop when a step is below this many degrees (~1e-9 m) ...
const TOLERANCE_DEG: f64 = 1e-14;
/// ... or after this many steps; each step gains about three decimal digits.
const MAX_ITERATIONS: usize = 30;

/// True outside the rectangle 73.66–135.05°E, 3.86–53.55°N used by `coordTransform`; there the
/// offsets are not applied. Non-finite input counts as outside.
pub fn out_of_china(lon: f64, lat: f64) -> bool {
    !(lon > 73.66 && lon < 135.05 && lat > 3.86 && lat < 53.55)
}

/// WGS 84 (lon, lat) to GCJ-02.
pub fn wgs84_to_gcj02(lon: f64, lat: f64) -> (f64, f64) {
    if out_of_china(lon, lat) {
        return (lon, lat);
    }
    gcj02_offset(lon, lat)
}

/// GCJ-02 (lon, lat) to WGS 84, by iterating the forward formula (not the one-step approximation).
pub fn gcj02_to_wgs84(lon: f64, lat: f64) -> (f64, f64) {
    if out_of_china(lon, lat) {
        return (lon, lat);
    }
    invert(gcj02_offset, lon, lat, (lon, lat))
}

/// GCJ-02 (lon, lat) to BD-09.
pub fn gcj02_to_bd09(lon: f64, lat: f64) -> (f64, f64) {
    if out_of_china(lon, lat) {
        return (lon, lat);
    }
    bd09_offset(lon, lat)
}

/// BD-09 (lon, lat) to GCJ-02: Baidu's closed-form inverse refined by iterating the forward formula.
pub fn bd09_to_gcj02(lon: f64, lat: f64) -> (f64, f64) {
    if out_of_china(lon, lat) {
        return (lon, lat);
    }
    invert(bd09_offset, lon, lat, bd09_closed_form_inverse(lon, lat))
}

/// WGS 84 (lon, lat) to BD-09.
pub fn wgs84_to_bd09(lon: f64, lat: f64) -> (f64, f64) {
    if out_of_china(lon, lat) {
        return (lon, lat);
    }
    let (glon, glat) = gcj02_offset(lon, lat);
    bd09_offset(glon, glat)
}

/// BD-09 (lon, lat) to WGS 84, both steps iterative.
pub fn bd09_to_wgs84(lon: f64, lat: f64) -> (f64, f64) {
    if out_of_china(lon, lat) {
        return (lon, lat);
    }
    let (glon, glat) = invert(bd09_offset, lon, lat, bd09_closed_form_inverse(lon, lat));
    invert(gcj02_offset, glon, glat, (glon, glat))
}

/// Solves `forward(p) = (lon, lat)` by fixed-point iteration from `start`. The offsets vary
/// slowly (their Jacobian is within ~1e-3 of the identity), so each step shrinks the error ~1000×.
fn invert(
    forward: fn(f64, f64) -> (f64, f64),
    lon: f64,
    lat: f64,
    start: (f64, f64),
) -> (f64, f64) {
    let (mut x, mut y) = start;
    for _ in 0..MAX_ITERATIONS {
        let (fx, fy) = forward(x, y);
        let (dx, dy) = (fx - lon, fy - lat);
        x -= dx;
        y -= dy;
        if dx.abs() <= TOLERANCE_DEG && dy.abs() <= TOLERANCE_DEG {
            break;
        }
    }
    (x, y)
}

/// The GCJ-02 forward formula without the box test.
fn gcj02_offset(lon: f64, lat: f64) -> (f64, f64) {
    let x = lon - 105.0;
    let y = lat - 35.0;
    let mut dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * x.abs().sqrt();
    dlat += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    dlat += (20.0 * (y * PI).sin() + 40.0 * (y / 3.0 * PI).sin()) * 2.0 / 3.0;
    dlat += (160.0 * (y / 12.0 * PI).sin() + 320.0 * (y * PI / 30.0).sin()) * 2.0 / 3.0;
    let mut dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * x.abs().sqrt();
    dlon += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    dlon += (20.0 * (x * PI).sin() + 40.0 * (x / 3.0 * PI).sin()) * 2.0 / 3.0;
    dlon += (150.0 * (x / 12.0 * PI).sin() + 300.0 * (x / 30.0 * PI).sin()) * 2.0 / 3.0;
    let radlat = lat / 180.0 * PI;
    let magic = 1.0 - KRASOVSKY_EE * radlat.sin() * radlat.sin();
    let sqrt_magic = magic.sqrt();
    let dlat = (dlat * 180.0) / ((KRASOVSKY_A * (1.0 - KRASOVSKY_EE)) / (magic * sqrt_magic) * PI);
    let dlon = (dlon * 180.0) / (KRASOVSKY_A / sqrt_magic * radlat.cos() * PI);
    (lon + dlon, lat + dlat)
}

/// The BD-09 forward formula without the box test.
fn bd09_offset(lon: f64, lat: f64) -> (f64, f64) {
    let z = lon.hypot(lat) + 0.00002 * (lat * X_PI).sin();
    let theta = lat.atan2(lon) + 0.000003 * (lon * X_PI).cos();
    (z * theta.cos() + 0.0065, z * theta.sin() + 0.006)
}

/// Baidu's published approximate inverse; a starting point for [`invert`].
fn bd09_closed_form_inverse(lon: f64, lat: f64) -> (f64, f64) {
    let x = lon - 0.0065;
    let y = lat - 0.006;
    let z = x.hypot(y) - 0.00002 * (y * X_PI).sin();
    let theta = y.atan2(x) - 0.000003 * (x * X_PI).cos();
    (z * theta.cos(), z * theta.sin())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // Tests may panic on bad input; that is their job.
mod tests {
    use super::*;
    use crate::crs::fixtures::metres_between;

    /// Computed with the reference `coordTransform` formulas (a Python transcription of
    /// wandergis/coordTransform_py, script /tmp/crsref/gcj.py, not in the repo):
    /// (wgs_lon, wgs_lat, gcj_lon, gcj_lat, bd_lon, bd_lat), bd = gcj02_to_bd09(gcj).
    const REFERENCE: &[(f64, f64, f64, f64, f64, f64)] = &[
        (
            118.78,
            32.04,
            118.78520646038584,
            32.03795079407344,
            118.79163569873567,
            32.04420492693064,
        ),
        (
            116.33,
            39.99,
            116.3361488177379,
            39.9913185123208,
            116.34278522893116,
            39.9969830614905,
        ),
        (
            121.45,
            31.32,
            121.45459910672892,
            31.318152311645807,
            121.46102942012695,
            31.324414824287704,
        ),
        (
            117.0,
            36.65,
            117.0058403121098,
            36.65025196065558,
            117.01224478573386,
            36.65658961387282,
        ),
        (
            87.62,
            43.82,
            87.62285319208286,
            43.82121134776029,
            87.62932116463496,
            43.82731545031974,
        ),
        (
            110.35,
            20.02,
            110.35441101881037,
            20.017997369021984,
            110.36093679366026,
            20.023752903818988,
        ),
        (
            126.63,
            45.75,
            126.6359423904876,
            45.751935204908385,
            126.6425031244059,
            45.757825658267144,
        ),
    ];

    const CM: f64 = 0.01;

    #[test]
    fn forward_matches_reference_within_a_centimetre() {
        for &(lon, lat, glon, glat, blon, blat) in REFERENCE {
            let g = wgs84_to_gcj02(lon, lat);
            assert!(
                metres_between(g, (glon, glat)) < CM,
                "gcj02 of ({lon}, {lat}): {g:?}"
            );
            let b = gcj02_to_bd09(glon, glat);
            assert!(
                metres_between(b, (blon, blat)) < CM,
                "bd09 of ({glon}, {glat}): {b:?}"
            );
            let b = wgs84_to_bd09(lon, lat);
            assert!(
                metres_between(b, (blon, blat)) < CM,
                "wgs84->bd09 of ({lon}, {lat}): {b:?}"
            );
            // The offset is real: hundreds of metres, so a no-op would fail the checks above.
            assert!(metres_between((lon, lat), (glon, glat)) > 100.0);
        }
    }

    #[test]
    fn inverses_recover_reference_points_within_a_centimetre() {
        for &(lon, lat, glon, glat, blon, blat) in REFERENCE {
            assert!(metres_between(gcj02_to_wgs84(glon, glat), (lon, lat)) < CM);
            assert!(metres_between(bd09_to_gcj02(blon, blat), (glon, glat)) < CM);
            assert!(metres_between(bd09_to_wgs84(blon, blat), (lon, lat)) < CM);
        }
    }

    #[test]
    fn iterative_inverse_beats_one_step_inverse() {
        // The one-step inverse is metres off; ours must be essentially exact.
        let (lon, lat) = (117.0, 36.65);
        let (glon, glat) = wgs84_to_gcj02(lon, lat);
        let (flon, flat) = wgs84_to_gcj02(glon, glat);
        let one_step = (2.0 * glon - flon, 2.0 * glat - flat);
        assert!(metres_between(one_step, (lon, lat)) > 0.1);
        assert!(metres_between(gcj02_to_wgs84(glon, glat), (lon, lat)) < 1e-6);
    }

    #[test]
    fn round_trips_on_a_grid_over_china_below_a_micrometre() {
        let mut worst: f64 = 0.0;
        let mut lon = 74.0;
        while lon < 135.0 {
            let mut lat = 4.5;
            while lat < 53.0 {
                let g = wgs84_to_gcj02(lon, lat);
                worst = worst.max(metres_between(gcj02_to_wgs84(g.0, g.1), (lon, lat)));
                let b = gcj02_to_bd09(lon, lat);
                worst = worst.max(metres_between(bd09_to_gcj02(b.0, b.1), (lon, lat)));
                let b = wgs84_to_bd09(lon, lat);
                worst = worst.max(metres_between(bd09_to_wgs84(b.0, b.1), (lon, lat)));
                lat += 0.37;
            }
            lon += 0.53;
        }
        assert!(worst < 1e-6, "worst round trip {worst} m");
    }

    #[test]
    fn outside_china_is_unchanged() {
        for (lon, lat) in [
            (-8.61, 41.15),
            (24.94, 60.17),
            (139.69, 35.69),
            (100.0, 60.0),
            (f64::NAN, 30.0),
        ] {
            assert!(out_of_china(lon, lat));
            for f in [
                wgs84_to_gcj02,
                gcj02_to_wgs84,
                gcj02_to_bd09,
                bd09_to_gcj02,
                wgs84_to_bd09,
                bd09_to_wgs84,
            ] {
                let (x, y) = f(lon, lat);
                assert!(x.to_bits() == lon.to_bits() && y == lat);
            }
        }
        assert!(!out_of_china(118.78, 32.04));
    }
}
