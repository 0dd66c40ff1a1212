//! Reading layers from files into the workspace.
//!
//! Every reader produces a [`RawLayer`] (geometry in the source CRS, attributes, how the encoding
//! and CRS were decided, and what it noticed). [`finish_layer`] then checks coordinates, reprojects
//! to the working CRS, validates geometry, binds semantic fields and builds the index. Nothing is
//! kept from a layer that fails: a load either returns a whole [`Layer`](crate::model::Layer) or an error.
//!
//! - [`shapefile`]: ESRI shapefiles (`.shp/.shx/.dbf/.prj/.cpg`), GBK-aware.
//! - [`geojson`]: RFC 7946 GeoJSON (WGS84).
//! - [`load`]: a whole project: read, choose the working CRS, finish.
//! - [`osm`]: OpenStreetMap PBF extracts, mapped to roles by tags.
//! - [`dbf`]: dBase attribute tables decoded straight into columns.
//! - [`encoding`]: DBF text encodings.
//! - [`finish`]: the shared pipeline from raw layer to workspace layer.
//! - [`results`]: analysis results (stock, candidates, gaps, patches) as GeoJSON features.
//! - `gdal` (feature `gdal`): any OGR format.

pub mod dbf;
pub mod encoding;
pub mod finish;
pub mod geojson;
pub mod load;
pub mod osm;
pub mod results;
pub mod shapefile;

#[cfg(feature = "gdal")]
pub mod gdal;

use std::path::{Path, PathBuf};

use geo::Geometry;

use crate::crs::{Crs, CrsError};
use crate::model::{Attributes, Problem};

pub use finish::{finish_layer, LayerSpec};

/// A layer as read from its source, before reprojection and checks.
#[derive(Debug)]
pub struct RawLayer {
    /// Geometry per record in the source CRS; `None` for a record without geometry.
    pub geometries: Vec<Option<Geometry<f64>>>,
    /// Attributes per record.
    pub attributes: Attributes,
    /// The source CRS.
    pub crs: Crs,
    /// How the CRS was decided.
    pub crs_how: String,
    /// Text encoding used and how it was decided, for formats that have one.
    pub encoding: Option<(String, String)>,
    /// Format name, e.g. `"ESRI Shapefile"`.
    pub format: String,
    /// Every file read.
    pub files: Vec<PathBuf>,
    /// Findings while reading (warnings; errors abort the read instead).
    pub problems: Vec<Problem>,
}

/// Why a layer could not be loaded. Every variant names the file, and the record and field where
/// there is one; records are 1-based as in the file.
#[derive(thiserror::Error, Debug)]
pub enum LoadError {
    /// The file could not be opened or read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A companion file the format requires is missing.
    #[error("{path}: missing; {why}")]
    MissingPart {
        /// The missing file.
        path: PathBuf,
        /// Why it is needed and what to do.
        why: String,
    },
    /// The file's content is damaged or not what its format says.
    #[error("{path}{}: {message}", record.map(|r| format!(", record {r}")).unwrap_or_default())]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// The record, when the damage is in one.
        record: Option<usize>,
        /// What is wrong.
        message: String,
    },
    /// The `.shp` and `.dbf` disagree on the number of records.
    #[error("{dbf}: {dbf_records} records but {shp} has {shp_records} shapes; the two files must have one record per shape (was one of them cut short or replaced?)")]
    RecordCountMismatch {
        /// The geometry file.
        shp: PathBuf,
        /// The attribute file.
        dbf: PathBuf,
        /// Shapes in the `.shp`.
        shp_records: usize,
        /// Records in the `.dbf`.
        dbf_records: usize,
    },
    /// Neither the file nor the config gives a CRS.
    #[error("{path}: no CRS: {prj} is missing (or the source declares none) and the config sets none; add the .prj, or set `crs = \"EPSG:4549\"` (say) for this layer in infill.toml")]
    NoCrs {
        /// The data file.
        path: PathBuf,
        /// The `.prj` looked for.
        prj: PathBuf,
    },
    /// The CRS could not be recognised or used.
    #[error("{path}: {source}")]
    Crs {
        /// The file that gave the CRS.
        path: PathBuf,
        /// The cause.
        source: Box<CrsError>,
    },
    /// The declared encoding is not one infill knows.
    #[error("{path}: unknown text encoding {label:?}; use a code page such as 936 or a name such as GBK, UTF-8, GB18030, 1252, or set `encoding` for this layer in infill.toml")]
    UnknownEncoding {
        /// The `.cpg` or config that declared it.
        path: PathBuf,
        /// The label as written.
        label: String,
    },
    /// Text that is not valid in the layer's encoding.
    #[error("{path}, record {record}, field {field}: {detail}; fix the .cpg or set `encoding` for this layer in infill.toml")]
    Decode {
        /// The `.dbf`.
        path: PathBuf,
        /// The record (1-based).
        record: usize,
        /// The field.
        field: String,
        /// The encoding tried, how it was decided, and the offending bytes.
        detail: String,
    },
    /// The layer holds no feature.
    #[error("{path}: the layer is empty (no records)")]
    Empty {
        /// The file.
        path: PathBuf,
    },
    /// The format is not one this build reads.
    #[error("{path}: {message}")]
    Unsupported {
        /// The file.
        path: PathBuf,
        /// What is unsupported and what to do.
        message: String,
    },
    /// Records with coordinates that cannot be used (non-finite, out of range).
    #[error("{path}: {} problem(s) make the layer unusable:\n{}", problems.len(), problems.iter().take(20).map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n"))]
    Invalid {
        /// The file.
        path: PathBuf,
        /// Every problem found (the message shows the first 20).
        problems: Vec<Problem>,
    },
}

impl LoadError {
    /// Wrap an I/O error with its path.
    pub fn io(path: &Path, source: std::io::Error) -> LoadError {
        LoadError::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    /// The file the error is about.
    pub fn path(&self) -> &Path {
        match self {
            LoadError::Io { path, .. }
            | LoadError::MissingPart { path, .. }
            | LoadError::Corrupt { path, .. }
            | LoadError::NoCrs { path, .. }
            | LoadError::Crs { path, .. }
            | LoadError::UnknownEncoding { path, .. }
            | LoadError::Decode { path, .. }
            | LoadError::Empty { path }
            | LoadError::Unsupported { path, .. }
            | LoadError::Invalid { path, .. } => path,
            LoadError::RecordCountMismatch { dbf, .. } => dbf,
        }
    }
}

/// The file formats infill reads, by file name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// `.shp`
    Shapefile,
    /// `.geojson` / `.json`
    GeoJson,
    /// `.osm.pbf` / `.pbf`
    OsmPbf,
    /// Anything else: read through GDAL when built with the `gdal` feature.
    Other,
}

impl Format {
    /// Guess the format from a path's extension.
    pub fn of(path: &Path) -> Format {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(|e| e.to_ascii_lowercase());
        match ext.as_deref() {
            Some("shp") => Format::Shapefile,
            Some("geojson") | Some("json") => Format::GeoJson,
            Some("pbf") => Format::OsmPbf,
            _ => Format::Other,
        }
    }
}
