//! Any OGR vector format (GeoPackage, FileGDB, KML, DXF, MapInfo, …) through the system libgdal,
//! behind the `gdal` feature.
//!
//! [`read_ogr`] reads one layer into a [`RawLayer`]:
//!
//! - **Geometry**: each feature's OGR geometry is made 2D (Z and M dropped: the analyses are planar)
//!   and converted to `geo` with the `gdal` crate's `to_geo`. Curves (arcs in FileGDB, DXF, GML)
//!   are not converted; the error names the feature and says how to linearise the layer with
//!   `ogr2ogr -nlt CONVERT_TO_LINEAR`. A feature without geometry is kept without one.
//! - **Attributes** by OGR field type: String → text, Integer and Integer64 → integer, Real → number;
//!   Date → `YYYY-MM-DD` text, DateTime → `YYYY-MM-DD HH:MM:SS +hh:mm` text, Time, lists and others → OGR's text form.
//!   OGR's boolean subtype arrives as an integer (0/1).
//! - **Text** comes from GDAL as UTF-8: the driver decodes the source (a shapefile's `.cpg` or DBF
//!   language byte, the format's own encoding otherwise). Text GDAL could not decode shows as U+FFFD
//!   and is reported once per field.
//! - **CRS** from the layer's spatial reference: its EPSG code when the authority is EPSG, else its
//!   WKT through [`crate::crs::detect_prj`]; `crs_how` says which. A layer without one is an error.

// `LoadError` is the io module's shared error type; its size is decided there, not per reader.

use std::path::Path;

use gdal::vector::{FieldValue, Geometry as OgrGeometry, LayerAccess, OGRFieldType};
use gdal::{Dataset, DatasetOptions, GdalOpenFlags};

use super::{LoadError, RawLayer};
use crate::crs::Crs;
use crate::model::{Attributes, FieldDef, FieldKind, OwnedValue, Problem, ProblemKind, Severity};

/// Read one layer of any OGR dataset (GeoPackage, FileGDB, KML, DXF, …). `layer`: the OGR layer
/// name, or the first layer when `None`.
///
/// # Errors
/// [`LoadError::Io`] when the path does not exist, [`LoadError::Unsupported`] when GDAL cannot open
/// it as vector data, [`LoadError::MissingPart`] when the named layer is not in the dataset,
/// [`LoadError::NoCrs`] / [`LoadError::Crs`] when the layer's CRS is missing or not usable,
/// [`LoadError::Empty`] for a layer without features, [`LoadError::Corrupt`] naming the layer and
/// feature id for a geometry or value GDAL cannot give.
pub fn read_ogr(path: &Path, layer: Option<&str>) -> Result<RawLayer, LoadError> {
    std::fs::metadata(path).map_err(|e| LoadError::io(path, e))?;
    let options = DatasetOptions {
        open_flags: GdalOpenFlags::GDAL_OF_VECTOR | GdalOpenFlags::GDAL_OF_READONLY,
        ..DatasetOptions::default()
    };
    let dataset = Dataset::open_ex(path, options).map_err(|e| LoadError::Unsupported {
        path: path.to_path_buf(),
        message: format!("GDAL cannot open this as vector data ({e})"),
    })?;
    let driver = dataset.driver().long_name();
    let mut ogr_layer = match layer {
        Some(name) => dataset
            .layer_by_name(name)
            .map_err(|_| LoadError::MissingPart {
                path: path.to_path_buf(),
                why: format!(
                    "the dataset has no layer named {name:?}; its layers are: {}",
                    layer_names(&dataset)
                ),
            })?,
        None => dataset.layer(0).map_err(|_| LoadError::Empty {
            path: path.to_path_buf(),
        })?,
    };
    let layer_name = ogr_layer.name();
    let (crs, crs_how) = layer_crs(path, &ogr_layer)?;

    let fields: Vec<(String, OGRFieldType::Type)> = ogr_layer
        .defn()
        .fields()
        .map(|f| (f.name(), f.field_type()))
        .collect();
    let mut attributes = Attributes::new(
        fields
            .iter()
            .map(|(name, ty)| FieldDef {
                name: name.clone(),
                kind: field_kind(*ty),
            })
            .collect(),
    );
    let mut geometries = Vec::new();
    let mut undecodable = vec![0_usize; fields.len()];
    let mut values: Vec<OwnedValue> = Vec::with_capacity(fields.len());

    for (i, feature) in ogr_layer.features().enumerate() {
        let record = i + 1;
        let at = |message: String| LoadError::Corrupt {
            path: path.to_path_buf(),
            record: Some(record),
            message: format!(
                "layer {layer_name:?}, feature {}: {message}",
                feature
                    .fid()
                    .map_or_else(|| "without FID".to_string(), |f| format!("FID {f}"))
            ),
        };
        let geometry = match feature.geometry() {
            Some(g) => to_geo(g).map_err(at)?,
            None => None,
        };
        values.clear();
        for (f, (name, ty)) in fields.iter().enumerate() {
            let value =
                field_value(&feature, f, *ty).map_err(|e| at(format!("field {name}: {e}")))?;
            if let OwnedValue::Text(s) = &value {
                if s.contains('\u{FFFD}') {
                    undecodable[f] += 1;
                }
            }
            values.push(value);
        }
        attributes
            .push_record(values.iter().map(OwnedValue::as_value))
            .map_err(at)?;
        geometries.push(geometry);
    }
    if geometries.is_empty() {
        return Err(LoadError::Empty {
            path: path.to_path_buf(),
        });
    }
    attributes.shrink_to_fit();

    let problems = fields
        .iter()
        .zip(&undecodable)
        .filter(|(_, n)| **n > 0)
        .map(|((name, _), n)| {
            Problem::new(
                Severity::Warning,
                ProblemKind::Encoding,
                format!(
                    "{n} value(s) hold text GDAL could not decode (shown as \u{FFFD}); for a shapefile add a .cpg naming its encoding, e.g. GBK"
                ),
            )
            .in_field(name.clone())
        })
        .collect();

    Ok(RawLayer {
        geometries,
        attributes,
        crs,
        crs_how,
        encoding: Some(("UTF-8".into(), format!("decoded by GDAL's {driver} driver"))),
        format: driver,
        files: vec![path.to_path_buf()],
        problems,
    })
}

fn layer_names(dataset: &Dataset) -> String {
    let names: Vec<String> = dataset.layers().map(|l| l.name()).collect();
    if names.is_empty() {
        "none".into()
    } else {
        names.join(", ")
    }
}

/// The layer's CRS and how it was decided.
fn layer_crs(path: &Path, layer: &impl LayerAccess) -> Result<(Crs, String), LoadError> {
    let no_crs = || LoadError::NoCrs {
        path: path.to_path_buf(),
        prj: path.with_extension("prj"),
    };
    let Some(srs) = layer.spatial_ref() else {
        return Err(no_crs());
    };
    // GeoPackage writes "Undefined geographic/cartesian SRS" for data without a CRS; a local
    // engineering CRS cannot be placed on the earth either.
    let undefined = srs
        .name()
        .is_some_and(|n| n.trim_start().starts_with("Undefined"));
    if undefined || srs.is_local() {
        return Err(no_crs());
    }
    let crs_error = |source| LoadError::Crs {
        path: path.to_path_buf(),
        source: Box::new(source),
    };
    if srs.auth_name().as_deref() == Some("EPSG") {
        if let Some(code) = srs.auth_code().ok().and_then(|c| u32::try_from(c).ok()) {
            let crs = Crs::from_epsg(code).map_err(crs_error)?;
            return Ok((crs, format!("the layer's spatial reference is EPSG:{code}")));
        }
    }
    let wkt = srs.to_wkt().map_err(|e| LoadError::Corrupt {
        path: path.to_path_buf(),
        record: None,
        message: format!("the layer's spatial reference cannot be written as WKT ({e})"),
    })?;
    let found = crate::crs::detect_prj(&wkt).map_err(crs_error)?;
    Ok((
        found.crs,
        format!(
            "the layer's spatial reference has no EPSG code; from its WKT: {}",
            found.how
        ),
    ))
}

fn field_kind(ty: OGRFieldType::Type) -> FieldKind {
    match ty {
        OGRFieldType::OFTInteger | OGRFieldType::OFTInteger64 => FieldKind::Integer,
        OGRFieldType::OFTReal => FieldKind::Number,
        _ => FieldKind::Text,
    }
}

/// One field's value, converted to the kind [`field_kind`] gave the column.
///
/// A field that is unset (a KML or GeoJSON feature without that property) is null: OGR's text
/// form of it is empty, while the typed getters would give 0 or fail.
fn field_value(
    feature: &gdal::vector::Feature<'_>,
    f: usize,
    ty: OGRFieldType::Type,
) -> Result<OwnedValue, String> {
    let text = feature.field_as_string(f).map_err(|e| e.to_string())?;
    if ty == OGRFieldType::OFTString {
        return Ok(text.map_or(OwnedValue::Null, OwnedValue::Text));
    }
    let Some(text) = text.filter(|t| !t.is_empty()) else {
        return Ok(OwnedValue::Null);
    };
    let value = match feature.field(f) {
        Ok(v) => v,
        // Types the crate does not unpack (Time, Binary): OGR's own text form.
        Err(_) => return Ok(OwnedValue::Text(text)),
    };
    let join = |items: Vec<String>| OwnedValue::Text(items.join(","));
    Ok(match value {
        None => OwnedValue::Null,
        Some(FieldValue::StringValue(s)) => OwnedValue::Text(s),
        Some(FieldValue::IntegerValue(v)) => OwnedValue::Integer(i64::from(v)),
        Some(FieldValue::Integer64Value(v)) => OwnedValue::Integer(v),
        Some(FieldValue::RealValue(v)) => OwnedValue::Number(v),
        Some(FieldValue::DateValue(d)) => OwnedValue::Text(d.to_string()),
        Some(FieldValue::DateTimeValue(t)) => OwnedValue::Text(t.to_string()),
        Some(FieldValue::StringListValue(v)) => join(v),
        Some(FieldValue::IntegerListValue(v)) => join(v.iter().map(i32::to_string).collect()),
        Some(FieldValue::Integer64ListValue(v)) => join(v.iter().map(i64::to_string).collect()),
        Some(FieldValue::RealListValue(v)) => join(v.iter().map(f64::to_string).collect()),
    })
}

/// A feature's geometry in 2D as `geo`; `None` for an empty geometry.
fn to_geo(g: &OgrGeometry) -> Result<Option<geo::Geometry<f64>>, String> {
    if g.is_empty() {
        return Ok(None);
    }
    let mut flat = g.clone();
    flat.flatten_to_2d();
    flat.to_geo().map(Some).map_err(|e| {
        format!(
            "geometry type {} cannot be read ({e}); curves (arcs) must be linearised first, e.g. `ogr2ogr -nlt CONVERT_TO_LINEAR out.gpkg in.gdb`",
            flat.geometry_name()
        )
    })
}

#[cfg(all(test, feature = "gdal"))]
mod tests {
    use super::*;
    use crate::model::Value;
    use crate::test_support::shared_data;
    use std::process::Command;

    /// Convert with `ogr2ogr` (gdal-bin) into `out`.
    fn ogr2ogr(args: &[&str], out: &Path, input: &Path) {
        let status = Command::new("ogr2ogr")
            .args(args)
            .arg(out)
            .arg(input)
            .status()
            .expect("ogr2ogr (apt-get install gdal-bin) runs");
        assert!(status.success(), "ogr2ogr {args:?} failed");
    }

    fn geojson_features(path: &Path) -> Vec<serde_json::Value> {
        let text = std::fs::read_to_string(path).expect("GeoJSON twin");
        let json: serde_json::Value = serde_json::from_str(&text).expect("GeoJSON parses");
        json["features"].as_array().expect("features").clone()
    }

    /// Every attribute of every record equals the GeoJSON twin's property of the same name.
    fn assert_same_attributes(layer: &RawLayer, twin: &[serde_json::Value], fields: &[&str]) {
        assert_eq!(layer.attributes.len(), twin.len());
        for (i, feature) in twin.iter().enumerate() {
            for field in fields {
                let want = &feature["properties"][field];
                let got = layer.attributes.get_by_name(i, field).expect(field);
                let same = match (got, want) {
                    (Value::Text(g), serde_json::Value::String(w)) => g == w,
                    (Value::Integer(g), w) => w.as_i64() == Some(g),
                    (Value::Number(g), w) => w
                        .as_f64()
                        .is_some_and(|w| (g - w).abs() <= 1e-6 * w.abs().max(1.0)),
                    (Value::Null, serde_json::Value::Null) => true,
                    (Value::Null, serde_json::Value::String(w)) => w.is_empty(),
                    _ => false,
                };
                assert!(same, "record {}, {field}: {got:?} vs {want}", i + 1);
            }
        }
    }

    #[test]
    fn a_geopackage_made_from_the_nanjing_buildings_reads_back_like_its_geojson_twin() {
        let dir = tempfile::tempdir().expect("tempdir");
        let gpkg = dir.path().join("buildings.gpkg");
        let nanjing = shared_data().join("nanjing");
        ogr2ogr(&["-f", "GPKG"], &gpkg, &nanjing.join("buildings.shp"));

        let layer = read_ogr(&gpkg, None).expect("reads");
        assert_eq!(layer.geometries.len(), 1247);
        assert!(layer.geometries.iter().all(|g| matches!(
            g,
            Some(geo::Geometry::Polygon(_) | geo::Geometry::MultiPolygon(_))
        )));
        assert_eq!(layer.crs.epsg(), 4549);
        assert_eq!(layer.crs_how, "the layer's spatial reference is EPSG:4549");
        assert_eq!(layer.format, "GeoPackage");
        assert!(layer.problems.is_empty(), "{:?}", layer.problems);
        let kinds: Vec<(&str, FieldKind)> = layer
            .attributes
            .fields()
            .iter()
            .map(|f| (f.name.as_str(), f.kind))
            .collect();
        assert!(kinds.contains(&("JZMC", FieldKind::Text)), "{kinds:?}");
        assert!(kinds.contains(&("CS", FieldKind::Integer)), "{kinds:?}");
        assert!(kinds.contains(&("JZMJ", FieldKind::Number)), "{kinds:?}");

        // The GBK text, decoded by GDAL from the .cpg, equals the UTF-8 GeoJSON twin everywhere.
        let twin = geojson_features(&nanjing.join("buildings.geojson"));
        assert_same_attributes(
            &layer,
            &twin,
            &[
                "OSMID", "JZMC", "CS", "JZND", "YT", "QSLX", "SFXZ", "JZMJ", "BZ",
            ],
        );
        // A sample, spelled out.
        let yt = layer.attributes.field_index("YT").expect("YT");
        let uses: std::collections::BTreeSet<String> = (0..layer.attributes.len())
            .map(|i| layer.attributes.get(i, yt).to_string())
            .collect();
        for u in ["住宅", "商业", "办公", "教育", "医疗", "其他"] {
            assert!(uses.contains(u), "{u}");
        }

        // By name too; a wrong name lists the layers there are.
        assert_eq!(
            read_ogr(&gpkg, Some("buildings"))
                .expect("by name")
                .geometries
                .len(),
            1247
        );
        match read_ogr(&gpkg, Some("roads")) {
            Err(LoadError::MissingPart { why, .. }) => assert!(why.contains("buildings"), "{why}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn kml_facilities_read_back_as_points_in_wgs84() {
        let dir = tempfile::tempdir().expect("tempdir");
        let kml = dir.path().join("facilities.kml");
        let nanjing = shared_data().join("nanjing");
        ogr2ogr(&["-f", "KML"], &kml, &nanjing.join("facilities.shp"));

        let layer = read_ogr(&kml, None).expect("reads");
        assert_eq!(layer.geometries.len(), 34);
        assert!(layer
            .geometries
            .iter()
            .all(|g| matches!(g, Some(geo::Geometry::Point(_)))));
        assert_eq!(layer.crs.epsg(), 4326);
        let twin = geojson_features(&nanjing.join("facilities.geojson"));
        assert_same_attributes(&layer, &twin, &["SSLX", "OSMID"]);
        // KML is WGS84 lon/lat: the first point is the GeoJSON's, to KML's precision.
        let Some(geo::Geometry::Point(p)) = &layer.geometries[0] else {
            panic!("not a point")
        };
        let want = &twin[0]["geometry"]["coordinates"];
        let (x, y) = (want[0].as_f64().expect("x"), want[1].as_f64().expect("y"));
        assert!(
            (p.x() - x).abs() < 1e-6 && (p.y() - y).abs() < 1e-6,
            "{p:?} vs {want}"
        );
    }

    #[test]
    fn z_coordinates_are_dropped_and_empty_geometry_is_none() {
        let dir = tempfile::tempdir().expect("tempdir");
        let csv = dir.path().join("points.csv");
        std::fs::write(
            &csv,
            "WKT,MC,CS\n\"POINT Z (118.78 32.04 12.5)\",新街口,3\n\"\",无几何,\n",
        )
        .expect("write");
        let gpkg = dir.path().join("points.gpkg");
        ogr2ogr(&["-f", "GPKG", "-a_srs", "EPSG:4490"], &gpkg, &csv);
        let layer = read_ogr(&gpkg, None).expect("reads");
        assert_eq!(
            layer.geometries,
            vec![
                Some(geo::Geometry::Point(geo::Point::new(118.78, 32.04))),
                None
            ]
        );
        assert_eq!(
            layer.attributes.get_by_name(0, "MC"),
            Some(Value::Text("新街口"))
        );
        assert_eq!(layer.crs.epsg(), 4490);
    }

    #[test]
    fn a_layer_without_a_crs_a_missing_file_and_non_data_are_errors_naming_the_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let csv = dir.path().join("no_crs.csv");
        std::fs::write(&csv, "WKT,MC\n\"POINT (1 2)\",a\n").expect("write");
        let gpkg = dir.path().join("no_crs.gpkg");
        ogr2ogr(&["-f", "GPKG"], &gpkg, &csv);
        match read_ogr(&gpkg, None) {
            Err(e @ LoadError::NoCrs { .. }) => assert_eq!(e.path(), gpkg),
            other => panic!("{other:?}"),
        }

        let missing = dir.path().join("nothing.gpkg");
        assert!(matches!(
            read_ogr(&missing, None),
            Err(LoadError::Io { .. })
        ));

        let junk = dir.path().join("junk.gpkg");
        std::fs::write(&junk, "not a geopackage").expect("write");
        match read_ogr(&junk, None) {
            Err(e @ LoadError::Unsupported { .. }) => assert_eq!(e.path(), junk),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn curves_are_refused_naming_the_feature_and_the_fix() {
        let dir = tempfile::tempdir().expect("tempdir");
        let csv = dir.path().join("arcs.csv");
        std::fs::write(
            &csv,
            "WKT,MC\n\"LINESTRING (0 0,1 1)\",直线\n\"CIRCULARSTRING (0 0,1 1,2 0)\",弧线\n",
        )
        .expect("write");
        let gpkg = dir.path().join("arcs.gpkg");
        ogr2ogr(&["-f", "GPKG", "-a_srs", "EPSG:4549"], &gpkg, &csv);
        match read_ogr(&gpkg, None) {
            Err(LoadError::Corrupt {
                record: Some(2),
                message,
                ..
            }) => {
                assert!(message.contains("feature FID 2"), "{message}");
                assert!(message.contains("CONVERT_TO_LINEAR"), "{message}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_spatial_reference_without_an_epsg_code_goes_through_the_wkt() {
        // The Nanjing buildings with a .prj GDAL cannot match to an EPSG code (central meridian
        // 120.5°E is no standard zone).
        let dir = tempfile::tempdir().expect("tempdir");
        let nanjing = shared_data().join("nanjing");
        for ext in ["shp", "shx", "dbf", "cpg"] {
            std::fs::copy(
                nanjing.join(format!("buildings.{ext}")),
                dir.path().join(format!("custom.{ext}")),
            )
            .expect("copy");
        }
        std::fs::write(
            dir.path().join("custom.prj"),
            r#"PROJCS["Custom_GK_CM_120_5E",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",120.5],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#,
        )
        .expect("write");
        let shp = dir.path().join("custom.shp");
        match read_ogr(&shp, None) {
            Ok(layer) => {
                assert!(
                    layer.crs_how.starts_with(
                        "the layer's spatial reference has no EPSG code; from its WKT"
                    ),
                    "{}",
                    layer.crs_how
                );
                assert_eq!(layer.format, "ESRI Shapefile");
                assert_eq!(layer.geometries.len(), 1247);
            }
            // The CRS module may refuse a projection it cannot use; it must say so as a CRS error.
            Err(LoadError::Crs { path, .. }) => assert_eq!(path, shp),
            Err(other) => panic!("{other:?}"),
        }
    }
}
