//! ESRI-flavoured WKT1, as ArcGIS writes it into `.prj` files.
//!
//! Generated from the parameters rather than stored, so every supported code has exactly the
//! layout ArcGIS uses (`PROJCS["CGCS2000_3_Degree_GK_CM_120E",...]`, numbers with a `.0`).

const GEOGCS_CGCS2000: &str = r#"GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]"#;
const GEOGCS_WGS84: &str = r#"GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]"#;

/// ESRI WKT for the codes infill writes; `None` for the rest.
pub(crate) fn esri_wkt(epsg: u32) -> Option<String> {
    match epsg {
        4490 => Some(GEOGCS_CGCS2000.to_string()),
        4326 => Some(GEOGCS_WGS84.to_string()),
        3857 => Some(format!(
            r#"PROJCS["WGS_1984_Web_Mercator_Auxiliary_Sphere",{GEOGCS_WGS84},PROJECTION["Mercator_Auxiliary_Sphere"],PARAMETER["False_Easting",0.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",0.0],PARAMETER["Standard_Parallel_1",0.0],PARAMETER["Auxiliary_Sphere_Type",0.0],UNIT["Meter",1.0]]"#
        )),
        // 6-degree zones 13..=23 with zone prefix, CM = 6·zone − 3.
        4491..=4501 => {
            let zone = epsg - 4491 + 13;
            let cm = 6 * zone - 3;
            Some(gauss_kruger(
                &format!("CGCS2000_GK_Zone_{zone}"),
                f64::from(zone) * 1e6 + 500_000.0,
                cm,
            ))
        }
        // 6-degree zones without prefix.
        4502..=4512 => {
            let cm = 6 * (epsg - 4502 + 13) - 3;
            Some(gauss_kruger(
                &format!("CGCS2000_GK_CM_{cm}E"),
                500_000.0,
                cm,
            ))
        }
        // 3-degree zones 25..=45 with zone prefix, CM = 3·zone.
        4513..=4533 => {
            let zone = epsg - 4513 + 25;
            Some(gauss_kruger(
                &format!("CGCS2000_3_Degree_GK_Zone_{zone}"),
                f64::from(zone) * 1e6 + 500_000.0,
                3 * zone,
            ))
        }
        // 3-degree zones without prefix, CM 75..=135.
        4534..=4554 => {
            let cm = 75 + 3 * (epsg - 4534);
            Some(gauss_kruger(
                &format!("CGCS2000_3_Degree_GK_CM_{cm}E"),
                500_000.0,
                cm,
            ))
        }
        32601..=32660 => Some(utm(epsg - 32600, false)),
        32701..=32760 => Some(utm(epsg - 32700, true)),
        _ => None,
    }
}

fn gauss_kruger(name: &str, false_easting: f64, cm: u32) -> String {
    format!(
        r#"PROJCS["{name}",{GEOGCS_CGCS2000},PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",{}],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",{}],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#,
        esri_number(false_easting),
        esri_number(f64::from(cm)),
    )
}

fn utm(zone: u32, south: bool) -> String {
    let cm = -183.0 + 6.0 * f64::from(zone);
    let (hemisphere, false_northing) = if south {
        ("S", 10_000_000.0)
    } else {
        ("N", 0.0)
    };
    format!(
        r#"PROJCS["WGS_1984_UTM_Zone_{zone}{hemisphere}",{GEOGCS_WGS84},PROJECTION["Transverse_Mercator"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",{}],PARAMETER["Central_Meridian",{}],PARAMETER["Scale_Factor",0.9996],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#,
        esri_number(false_northing),
        esri_number(cm),
    )
}

/// ArcGIS prints whole numbers with one decimal (`500000.0`) and others in shortest form.
fn esri_number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.1}")
    } else {
        format!("{v}")
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // Tests may panic on bad input; that is their job.
mod tests {
    use super::*;
    use crate::crs::fixtures::prj;

    #[test]
    fn matches_real_prj_files_byte_for_byte() {
        assert_eq!(esri_wkt(4549).unwrap(), prj("nanjing", "buildings"));
        assert_eq!(esri_wkt(4548).unwrap(), prj("beijing_wudaokou", "roads"));
        assert_eq!(esri_wkt(4528).unwrap(), prj("shanghai", "parcels"));
    }

    #[test]
    fn utm_and_numbers_look_like_arcgis() {
        let s = esri_wkt(32750).unwrap();
        assert!(s.starts_with(r#"PROJCS["WGS_1984_UTM_Zone_50S""#), "{s}");
        assert!(
            s.contains(r#"PARAMETER["False_Northing",10000000.0]"#),
            "{s}"
        );
        assert!(s.contains(r#"PARAMETER["Central_Meridian",117.0]"#), "{s}");
        assert!(esri_wkt(32601)
            .unwrap()
            .contains(r#"PARAMETER["Central_Meridian",-177.0]"#));
        assert!(esri_wkt(4500).unwrap().contains(r#"PARAMETER["False_Easting",22500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",129.0]"#));
        assert_eq!(esri_wkt(2385), None);
        assert_eq!(esri_number(0.9996), "0.9996");
    }
}
