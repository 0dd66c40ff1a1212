//! Bureau-style shapefile output: `.shp/.shx` through `shapefile`, `.dbf` through `dbase` with a
//! GBK encoding, then the DBF header patched so the file says what it holds (language driver
//! 0x4D = GBK, which `dbase` writes as 0x7A) and carries a fixed date (so equal specs give equal
//! bytes), plus a `.cpg` (`GBK`) and the ESRI `.prj` of EPSG:4549.

use super::{
    Building, DemoError, District, Facility, IdleResource, Neighbourhood, Parcel, Road,
    WriteSummary,
};
use dbase::encoding::EncodingRs;
use dbase::{FieldName, FieldWriter, TableWriter, TableWriterBuilder, WritableRecord};
use geo_types::{LineString, Polygon};
use shapefile::record::EsriShape;
use shapefile::{PolygonRing, ShapeWriter};
use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// ESRI WKT of EPSG:4549 (CGCS2000 / 3-degree Gauss-Kruger CM 120E), as ArcGIS and GDAL write it.
pub const PRJ_EPSG_4549: &str = "PROJCS[\"CGCS2000_3_Degree_GK_CM_120E\",GEOGCS[\"GCS_China_Geodetic_Coordinate_System_2000\",DATUM[\"D_China_2000\",SPHEROID[\"CGCS2000\",6378137.0,298.257222101]],PRIMEM[\"Greenwich\",0.0],UNIT[\"Degree\",0.0174532925199433]],PROJECTION[\"Gauss_Kruger\"],PARAMETER[\"False_Easting\",500000.0],PARAMETER[\"False_Northing\",0.0],PARAMETER[\"Central_Meridian\",120.0],PARAMETER[\"Scale_Factor\",1.0],PARAMETER[\"Latitude_Of_Origin\",0.0],UNIT[\"Meter\",1.0]]";

/// Layer (file stem) names, in writing order.
pub const LAYERS: [&str; 6] = [
    "roads",
    "parcels",
    "buildings",
    "neighbourhoods",
    "idle",
    "facilities",
];

/// File stem of the buildings layer.
pub const BUILDINGS_LAYER: &str = "buildings";

/// DBF language driver id for Chinese GBK (code page 936).
const LDID_GBK: u8 = 0x4D;
/// Fixed DBF "last update" date (2025-01-01, as years since 1900, month, day).
const DBF_DATE: [u8; 3] = [125, 1, 1];
const BUF: usize = 1 << 20;

#[derive(Debug, Clone, Copy)]
enum Kind {
    Text(u8),
    Num(u8, u8),
}

#[derive(Debug)]
struct FieldDef {
    name: &'static str,
    kind: Kind,
}

const fn t(name: &'static str, width: u8) -> FieldDef {
    FieldDef {
        name,
        kind: Kind::Text(width),
    }
}

const fn n(name: &'static str, width: u8, decimals: u8) -> FieldDef {
    FieldDef {
        name,
        kind: Kind::Num(width, decimals),
    }
}

const ROAD_FIELDS: [FieldDef; 5] = [
    t("BSM", 18),
    t("NAME", 60),
    t("DLDJ", 12),
    t("BXKT", 2),
    n("KD", 6, 1),
];

const PARCEL_FIELDS: [FieldDef; 11] = [
    t("BSM", 18),
    t("DLBM", 5),
    t("DLMC", 40),
    t("QSXZ", 2),
    t("QSDWMC", 80),
    n("TBMJ", 15, 2),
    n("RJL", 8, 2),
    n("JZMD", 8, 2),
    t("ZLDWMC", 60),
    t("MC", 80),
    t("BZ", 80),
];

const BUILDING_FIELDS: [FieldDef; 11] = [
    t("BSM", 18),
    t("JZMC", 100),
    n("CS", 4, 0),
    n("JZND", 4, 0),
    t("YT", 20),
    t("QSLX", 20),
    t("SFXZ", 2),
    n("XZMJ", 12, 2),
    n("JZMJ", 12, 2),
    n("JDMJ", 12, 2),
    t("BZ", 40),
];

const NEIGHBOURHOOD_FIELDS: [FieldDef; 8] = [
    t("BSM", 18),
    t("XQMC", 80),
    n("JCND", 4, 0),
    n("HS", 6, 0),
    n("JZMJ", 13, 2),
    t("SZJD", 50),
    t("LJXQ", 2),
    t("BZ", 60),
];

const IDLE_FIELDS: [FieldDef; 8] = [
    t("BSM", 18),
    t("ZYLX", 20),
    t("MC", 100),
    t("QSDW", 100),
    t("QSLX", 20),
    n("MJ", 12, 2),
    n("XZNX", 2, 0),
    t("YSBSM", 18),
];

const FACILITY_FIELDS: [FieldDef; 5] = [
    t("BSM", 18),
    t("SSLX", 20),
    t("MC", 100),
    n("GM", 8, 0),
    t("GMDW", 20),
];

/// GBK lookup for every BMP code point from U+0080: 0 = not in GBK, below 0x100 = one byte,
/// else the two bytes big-endian. Built once from `encoding_rs::GBK`, whose legacy CJK encoder
/// searches its index per character (it is tuned for size): checking every value with it doubled
/// the time to write a million records, so field widths are checked against this table instead.
fn gbk_table() -> &'static [u16] {
    static TABLE: OnceLock<Vec<u16>> = OnceLock::new();
    TABLE.get_or_init(|| {
        (0x80u32..0x1_0000)
            .map(|cp| {
                let Some(c) = char::from_u32(cp) else {
                    return 0;
                };
                let mut buf = [0u8; 4];
                let (bytes, _, unmappable) = encoding_rs::GBK.encode(c.encode_utf8(&mut buf));
                match (unmappable, bytes.as_ref()) {
                    (false, [b]) => u16::from(*b),
                    (false, [a, b]) => u16::from_be_bytes([*a, *b]),
                    _ => 0,
                }
            })
            .collect()
    })
}

/// Byte length of `s` in GBK, or the first character GBK lacks.
fn gbk_len(s: &str) -> Result<usize, char> {
    let table = gbk_table();
    s.chars().try_fold(0, |n, c| {
        let cp = c as u32;
        if cp < 0x80 {
            return Ok(n + 1);
        }
        match table.get(cp as usize - 0x80).copied().unwrap_or(0) {
            0 => Err(c),
            v if v < 0x100 => Ok(n + 1),
            _ => Ok(n + 2),
        }
    })
}

/// One attribute value.
enum Val<'a> {
    T(&'a str),
    N(f64),
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "是"
    } else {
        "否"
    }
}

struct Row<'a>(&'a [Val<'a>]);

impl WritableRecord for Row<'_> {
    fn write_using<W: Write>(&self, w: &mut FieldWriter<'_, W>) -> Result<(), dbase::FieldError> {
        for v in self.0 {
            match v {
                Val::T(s) => w.write_next_field_value(s)?,
                Val::N(x) => w.write_next_field_value(x)?,
            }
        }
        Ok(())
    }
}

/// Writes one layer: shapes, attributes, then header patch, `.prj` and `.cpg`.
struct LayerWriter {
    stem: PathBuf,
    shapes: ShapeWriter<BufWriter<File>>,
    table: TableWriter<BufWriter<File>>,
    fields: &'static [FieldDef],
    count: usize,
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> DemoError + '_ {
    move |source| DemoError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn create_file(path: &Path) -> Result<BufWriter<File>, DemoError> {
    let f = File::create(path).map_err(io_err(path))?;
    Ok(BufWriter::with_capacity(BUF, f))
}

impl LayerWriter {
    fn create(dir: &Path, layer: &str, fields: &'static [FieldDef]) -> Result<Self, DemoError> {
        let stem = dir.join(layer);
        let shp = stem.with_extension("shp");
        let dbf = stem.with_extension("dbf");
        let shapes = ShapeWriter::with_shx(
            create_file(&shp)?,
            create_file(&stem.with_extension("shx"))?,
        );
        let mut builder = TableWriterBuilder::with_encoding(EncodingRs::from(encoding_rs::GBK));
        for f in fields {
            let name = FieldName::try_from(f.name).map_err(|e| DemoError::Field {
                path: dbf.clone(),
                record: 0,
                field: f.name,
                value: f.name.to_string(),
                problem: e.to_string(),
            })?;
            builder = match f.kind {
                Kind::Text(w) => builder.add_character_field(name, w),
                Kind::Num(w, d) => builder.add_numeric_field(name, w, d),
            };
        }
        let table = builder.build_with_dest(create_file(&dbf)?);
        Ok(Self {
            stem,
            shapes,
            table,
            fields,
            count: 0,
        })
    }

    /// Checks that every value fits its field (GBK bytes for text), so nothing is silently cut.
    fn check(&self, vals: &[Val<'_>]) -> Result<(), DemoError> {
        for (f, v) in self.fields.iter().zip(vals) {
            let problem = match (f.kind, v) {
                (Kind::Text(w), Val::T(s)) => match gbk_len(s) {
                    Err(c) => Some(format!("has {c:?}, which GBK cannot represent")),
                    Ok(len) if len > usize::from(w) => {
                        Some(format!("takes {len} bytes in GBK; the field holds {w}"))
                    }
                    Ok(_) => None,
                },
                (Kind::Num(w, d), Val::N(x)) => {
                    // Digits left for the integer part (sign and decimal point included).
                    let int_digits = i32::from(w)
                        - i32::from(d)
                        - i32::from(d > 0)
                        - i32::from(x.is_sign_negative());
                    let rounded = x.abs() + 0.5 * 10f64.powi(-i32::from(d));
                    (!x.is_finite() || rounded >= 10f64.powi(int_digits.max(0)))
                        .then(|| format!("does not fit N({w},{d})"))
                }
                _ => Some("has the wrong type for the field".to_string()),
            };
            if let Some(problem) = problem {
                return Err(DemoError::Field {
                    path: self.stem.with_extension("dbf"),
                    record: self.count,
                    field: f.name,
                    value: match v {
                        Val::T(s) => (*s).to_string(),
                        Val::N(x) => x.to_string(),
                    },
                    problem,
                });
            }
        }
        if vals.len() != self.fields.len() {
            return Err(DemoError::Field {
                path: self.stem.with_extension("dbf"),
                record: self.count,
                field: "",
                value: String::new(),
                problem: format!("{} values for {} fields", vals.len(), self.fields.len()),
            });
        }
        Ok(())
    }

    fn write<S: EsriShape>(&mut self, shape: &S, vals: &[Val<'_>]) -> Result<(), DemoError> {
        self.check(vals)?;
        self.shapes
            .write_shape(shape)
            .map_err(|source| DemoError::Shapefile {
                path: self.stem.with_extension("shp"),
                source,
            })?;
        self.table
            .write_record(&Row(vals))
            .map_err(|source| DemoError::Dbase {
                path: self.stem.with_extension("dbf"),
                source,
            })?;
        self.count += 1;
        Ok(())
    }

    fn finish(mut self) -> Result<(Vec<PathBuf>, usize), DemoError> {
        let shp = self.stem.with_extension("shp");
        let dbf = self.stem.with_extension("dbf");
        self.shapes
            .finalize()
            .map_err(|source| DemoError::Shapefile {
                path: shp.clone(),
                source,
            })?;
        self.table.finalize().map_err(|source| DemoError::Dbase {
            path: dbf.clone(),
            source,
        })?;
        let (fields, count) = (self.fields, self.count);
        // Dropping the writers flushes their buffers (errors there are caught by the length check).
        drop(self.table);
        drop(self.shapes);
        patch_dbf_header(&dbf, fields, count)?;
        let prj = self.stem.with_extension("prj");
        std::fs::write(&prj, PRJ_EPSG_4549).map_err(io_err(&prj))?;
        let cpg = self.stem.with_extension("cpg");
        std::fs::write(&cpg, "GBK").map_err(io_err(&cpg))?;
        let files = ["shp", "shx", "dbf", "prj", "cpg"]
            .iter()
            .map(|e| self.stem.with_extension(e))
            .collect();
        Ok((files, count))
    }
}

/// Sets the fixed date and the GBK language driver id, after checking the file is complete.
fn patch_dbf_header(dbf: &Path, fields: &[FieldDef], count: usize) -> Result<(), DemoError> {
    let record: usize = 1 + fields
        .iter()
        .map(|f| match f.kind {
            Kind::Text(w) | Kind::Num(w, _) => usize::from(w),
        })
        .sum::<usize>();
    let expected = (32 + 32 * fields.len() + 1 + record * count + 1) as u64;
    let mut f = OpenOptions::new()
        .read(true)
        .write(true)
        .open(dbf)
        .map_err(io_err(dbf))?;
    let actual = f.metadata().map_err(io_err(dbf))?.len();
    if actual != expected {
        return Err(DemoError::Io {
            path: dbf.to_path_buf(),
            source: std::io::Error::other(format!(
                "DBF is {actual} bytes, expected {expected} (incomplete write)"
            )),
        });
    }
    f.seek(SeekFrom::Start(1)).map_err(io_err(dbf))?;
    f.write_all(&DBF_DATE).map_err(io_err(dbf))?;
    f.seek(SeekFrom::Start(29)).map_err(io_err(dbf))?;
    f.write_all(&[LDID_GBK]).map_err(io_err(dbf))?;
    f.sync_all().map_err(io_err(dbf))
}

fn sp(c: &geo_types::Coord) -> shapefile::Point {
    shapefile::Point::new(c.x, c.y)
}

/// Shapefile polygon from a geo polygon already wound as the spec wants.
fn to_shp_polygon(p: &Polygon<f64>) -> shapefile::Polygon {
    let mut rings = Vec::with_capacity(1 + p.interiors().len());
    rings.push(PolygonRing::Outer(p.exterior().0.iter().map(sp).collect()));
    for h in p.interiors() {
        rings.push(PolygonRing::Inner(h.0.iter().map(sp).collect()));
    }
    shapefile::Polygon::with_rings(rings)
}

fn to_shp_line(l: &LineString<f64>) -> shapefile::Polyline {
    shapefile::Polyline::new(l.0.iter().map(sp).collect())
}

fn road_vals(r: &Road) -> [Val<'_>; 5] {
    [
        Val::T(&r.bsm),
        Val::T(&r.name),
        Val::T(r.class.label()),
        Val::T(yes_no(r.walkable)),
        Val::N(r.width_m),
    ]
}

fn parcel_vals(p: &Parcel) -> [Val<'_>; 11] {
    [
        Val::T(&p.bsm),
        Val::T(p.land_use.code()),
        Val::T(p.land_use.name()),
        Val::T(p.tenure.code()),
        Val::T(&p.owner),
        Val::N(p.area_m2),
        Val::N(p.far),
        Val::N(p.coverage),
        Val::T(&p.location),
        Val::T(&p.name),
        Val::T(&p.note),
    ]
}

fn building_vals(b: &Building) -> [Val<'_>; 11] {
    [
        Val::T(&b.bsm),
        Val::T(&b.name),
        Val::N(f64::from(b.floors)),
        Val::N(f64::from(b.year)),
        Val::T(b.use_.label()),
        Val::T(b.owner_type.label()),
        Val::T(yes_no(b.vacant)),
        Val::N(b.vacant_area_m2),
        Val::N(b.floor_area_m2),
        Val::N(b.footprint_m2),
        Val::T(&b.note),
    ]
}

fn neighbourhood_vals(n: &Neighbourhood) -> [Val<'_>; 8] {
    [
        Val::T(&n.bsm),
        Val::T(&n.name),
        Val::N(f64::from(n.year)),
        Val::N(f64::from(n.households)),
        Val::N(n.floor_area_m2),
        Val::T(&n.street_office),
        Val::T(yes_no(n.old)),
        Val::T(&n.note),
    ]
}

fn idle_vals(i: &IdleResource) -> [Val<'_>; 8] {
    [
        Val::T(&i.bsm),
        Val::T(i.kind.label()),
        Val::T(&i.name),
        Val::T(&i.owner),
        Val::T(i.owner_type.label()),
        Val::N(i.area_m2),
        Val::N(f64::from(i.idle_years)),
        Val::T(&i.source_bsm),
    ]
}

fn facility_vals(f: &Facility) -> [Val<'_>; 5] {
    [
        Val::T(&f.bsm),
        Val::T(f.kind.label()),
        Val::T(&f.name),
        Val::N(f64::from(f.capacity)),
        Val::T(f.kind.unit()),
    ]
}

fn create_dir(dir: &Path) -> Result<(), DemoError> {
    std::fs::create_dir_all(dir).map_err(io_err(dir))
}

/// Writes all six layers.
pub(crate) fn write_all(d: &District, dir: &Path) -> Result<WriteSummary, DemoError> {
    create_dir(dir)?;
    let mut summary = WriteSummary {
        files: Vec::new(),
        counts: Vec::new(),
    };
    let mut record = |(files, count): (Vec<PathBuf>, usize), layer: &'static str| {
        summary.files.extend(files);
        summary.counts.push((layer, count));
    };

    let mut w = LayerWriter::create(dir, LAYERS[0], &ROAD_FIELDS)?;
    for r in &d.roads {
        w.write(&to_shp_line(&r.geometry), &road_vals(r))?;
    }
    record(w.finish()?, LAYERS[0]);

    let mut w = LayerWriter::create(dir, LAYERS[1], &PARCEL_FIELDS)?;
    for p in &d.parcels {
        w.write(&to_shp_polygon(&p.geometry), &parcel_vals(p))?;
    }
    record(w.finish()?, LAYERS[1]);

    let mut w = BuildingsWriter::create(dir)?;
    for b in &d.buildings {
        w.write(b)?;
    }
    record(w.inner.finish()?, LAYERS[2]);

    let mut w = LayerWriter::create(dir, LAYERS[3], &NEIGHBOURHOOD_FIELDS)?;
    for n in &d.neighbourhoods {
        w.write(&to_shp_polygon(&n.geometry), &neighbourhood_vals(n))?;
    }
    record(w.finish()?, LAYERS[3]);

    let mut w = LayerWriter::create(dir, LAYERS[4], &IDLE_FIELDS)?;
    for i in &d.idle {
        w.write(&to_shp_polygon(&i.geometry), &idle_vals(i))?;
    }
    record(w.finish()?, LAYERS[4]);

    let mut w = LayerWriter::create(dir, LAYERS[5], &FACILITY_FIELDS)?;
    for f in &d.facilities {
        let p = shapefile::Point::new(f.geometry.x(), f.geometry.y());
        w.write(&p, &facility_vals(f))?;
    }
    record(w.finish()?, LAYERS[5]);

    Ok(summary)
}

/// Streams buildings into `buildings.*`.
pub(crate) struct BuildingsWriter {
    inner: LayerWriter,
}

impl BuildingsWriter {
    /// Creates `dir` if needed and opens `buildings.shp/.shx/.dbf`.
    pub(crate) fn create(dir: &Path) -> Result<Self, DemoError> {
        create_dir(dir)?;
        Ok(Self {
            inner: LayerWriter::create(dir, BUILDINGS_LAYER, &BUILDING_FIELDS)?,
        })
    }

    /// Appends one building.
    pub(crate) fn write(&mut self, b: &Building) -> Result<(), DemoError> {
        self.inner
            .write(&to_shp_polygon(&b.geometry), &building_vals(b))
    }

    /// Finalises the files and reports them.
    pub(crate) fn finish(self) -> Result<WriteSummary, DemoError> {
        let (files, count) = self.inner.finish()?;
        Ok(WriteSummary {
            files,
            counts: vec![(BUILDINGS_LAYER, count)],
        })
    }
}
