//! One loaded layer: geometry in the working CRS, original attributes, field bindings, problems, index.

use std::path::PathBuf;

use geo::{BoundingRect, Geometry, Rect};
use serde::Serialize;

use super::attributes::{Attributes, Value};
use super::fields::{
    BuildingUse, FacilityKind, FieldBinding, IdleKind, LandOwnership, Mapped, OwnerType, Semantic,
};
use super::Role;
use crate::index::SpatialIndex;

/// How bad a problem is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; the layer is used as it is.
    Info,
    /// The layer is usable but a record or field will be treated specially.
    Warning,
    /// The layer cannot be used until it is fixed.
    Error,
}

/// What kind of problem.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    /// The file cannot be read as it stands (truncated, missing part, bad header …).
    Unreadable,
    /// Text that cannot be decoded in the layer's encoding.
    Encoding,
    /// No usable CRS.
    Crs,
    /// No features at all.
    EmptyLayer,
    /// A coordinate that is NaN or infinite.
    NonFiniteCoordinate,
    /// A geometry that is not OGC-valid (self-intersection, bad ring …); kept and flagged.
    InvalidGeometry,
    /// A record without geometry; kept but not indexed.
    EmptyGeometry,
    /// A geometry of a kind the role does not expect (points as parcels …).
    UnexpectedGeometryType,
    /// Coordinates outside the range of their CRS (e.g. latitude and longitude swapped).
    OutOfRange,
    /// A field the analyses expect was not found.
    MissingField,
    /// A source field that no semantic field reads; kept as an attribute.
    UnmappedField,
    /// A value the field's value map does not know.
    UnmappedValue,
    /// A value that should be a number and is not.
    NotANumber,
    /// Source objects left out or cut because the source holds only part of them (an OSM
    /// multipolygon whose member ways lie outside the extract, a road crossing its edge).
    Incomplete,
}

/// One finding about a layer, with where it is.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Problem {
    /// How bad it is.
    pub severity: Severity,
    /// What kind it is.
    pub kind: ProblemKind,
    /// The record, 1-based as in the source file (a shapefile's record number; FID + 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<usize>,
    /// The source field involved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// A sentence a user can act on.
    pub message: String,
}

impl Problem {
    /// A problem with no particular record.
    pub fn new(severity: Severity, kind: ProblemKind, message: impl Into<String>) -> Problem {
        Problem {
            severity,
            kind,
            record: None,
            field: None,
            message: message.into(),
        }
    }

    /// Attach a 1-based record number.
    pub fn at_record(mut self, record: usize) -> Problem {
        self.record = Some(record);
        self
    }

    /// Attach a field name.
    pub fn in_field(mut self, field: impl Into<String>) -> Problem {
        self.field = Some(field.into());
        self
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(r) = self.record {
            write!(f, "record {r}: ")?;
        }
        if let Some(field) = &self.field {
            write!(f, "field {field}: ")?;
        }
        f.write_str(&self.message)
    }
}

/// Where a layer came from and how it was read.
#[derive(Clone, Debug, Serialize)]
pub struct LayerSource {
    /// The main file (the `.shp`, `.geojson`, `.osm.pbf`, …).
    pub path: PathBuf,
    /// Every file read for it (`.shp`, `.shx`, `.dbf`, `.prj`, `.cpg`).
    pub files: Vec<PathBuf>,
    /// The format, e.g. `"ESRI Shapefile"`.
    pub format: String,
    /// The text encoding used, e.g. `"GBK"`; `None` for formats that are always UTF-8.
    pub encoding: Option<String>,
    /// How the encoding was decided (`.cpg "936"`, `DBF language byte 0x4D`, `config override` …).
    pub encoding_how: Option<String>,
    /// The source CRS as an EPSG code.
    pub crs_epsg: u32,
    /// How the CRS was decided.
    pub crs_how: String,
}

/// A loaded layer.
#[derive(Debug)]
pub struct Layer {
    /// What the layer is for.
    pub role: Role,
    /// Where it came from.
    pub source: LayerSource,
    geometries: Vec<Geometry<f64>>,
    attributes: Attributes,
    bindings: Vec<FieldBinding>,
    problems: Vec<Problem>,
    invalid: Vec<usize>,
    index: SpatialIndex,
    extent: Option<Rect<f64>>,
}

impl Layer {
    /// Assemble a layer from geometry already in the working CRS. Builds the spatial index.
    ///
    /// `invalid` lists the 0-based indexes of features whose geometry is flagged invalid.
    pub fn new(
        role: Role,
        source: LayerSource,
        geometries: Vec<Geometry<f64>>,
        attributes: Attributes,
        bindings: Vec<FieldBinding>,
        problems: Vec<Problem>,
        invalid: Vec<usize>,
    ) -> Layer {
        let index = SpatialIndex::build(&geometries);
        Layer::with_index(
            role, source, geometries, attributes, bindings, problems, invalid, index,
        )
    }

    /// As [`Layer::new`], with the index already built over `geometries`.
    #[allow(clippy::too_many_arguments)]
    pub fn with_index(
        role: Role,
        source: LayerSource,
        geometries: Vec<Geometry<f64>>,
        attributes: Attributes,
        bindings: Vec<FieldBinding>,
        problems: Vec<Problem>,
        invalid: Vec<usize>,
        index: SpatialIndex,
    ) -> Layer {
        debug_assert_eq!(geometries.len(), attributes.len());
        debug_assert_eq!(
            index.len(),
            geometries
                .iter()
                .filter(|g| g.bounding_rect().is_some())
                .count()
        );
        let extent = index.extent();
        Layer {
            role,
            source,
            geometries,
            attributes,
            bindings,
            problems,
            invalid,
            index,
            extent,
        }
    }

    /// Number of features.
    pub fn len(&self) -> usize {
        self.geometries.len()
    }

    /// True when the layer has no feature.
    pub fn is_empty(&self) -> bool {
        self.geometries.is_empty()
    }

    /// Geometry of feature `i` (0-based) in the working CRS. Empty geometries are empty collections.
    pub fn geometry(&self, i: usize) -> &Geometry<f64> {
        &self.geometries[i]
    }

    /// All geometries, in record order.
    pub fn geometries(&self) -> &[Geometry<f64>] {
        &self.geometries
    }

    /// The original attributes.
    pub fn attributes(&self) -> &Attributes {
        &self.attributes
    }

    /// The semantic field bindings.
    pub fn bindings(&self) -> &[FieldBinding] {
        &self.bindings
    }

    /// What loading found: warnings and notes (errors make loading fail instead).
    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }

    /// Whether feature `i` (0-based) has a geometry flagged as invalid.
    pub fn is_flagged_invalid(&self, i: usize) -> bool {
        self.invalid.binary_search(&i).is_ok()
    }

    /// The spatial index over the features' bounding boxes.
    pub fn index(&self) -> &SpatialIndex {
        &self.index
    }

    /// Extent in the working CRS, `None` for a layer with no geometry.
    pub fn extent(&self) -> Option<Rect<f64>> {
        self.extent
    }

    /// The binding of a semantic field, if the layer has one.
    pub fn binding(&self, semantic: Semantic) -> Option<&FieldBinding> {
        self.bindings.iter().find(|b| b.semantic == semantic)
    }

    /// The raw value of a semantic field for feature `i`.
    pub fn raw(&self, i: usize, semantic: Semantic) -> Option<Value<'_>> {
        self.binding(semantic)
            .map(|b| self.attributes.get(i, b.field))
            .filter(|v| !v.is_blank())
    }

    /// A text semantic field (name, land-use code, …), trimmed.
    pub fn text(&self, i: usize, semantic: Semantic) -> Option<&str> {
        match self.raw(i, semantic)? {
            Value::Text(s) => Some(s.trim()),
            _ => None,
        }
    }

    /// A numeric semantic field (floors, build year, households, …).
    pub fn number(&self, i: usize, semantic: Semantic) -> Option<f64> {
        self.raw(i, semantic)?.as_f64()
    }

    fn mapped(&self, i: usize, semantic: Semantic) -> Option<Mapped> {
        let b = self.binding(semantic)?;
        match self.attributes.get(i, b.field) {
            Value::Text(s) => b.map(s),
            Value::Bool(v) => Some(Mapped::Flag(v)),
            Value::Integer(v) => b.map(&v.to_string()),
            Value::Number(v) => b.map(&v.to_string()),
            Value::Null => None,
        }
    }

    /// A yes/no semantic field (vacant, walkable, old) through its value map.
    pub fn flag(&self, i: usize, semantic: Semantic) -> Option<bool> {
        match self.mapped(i, semantic)? {
            Mapped::Flag(v) => Some(v),
            _ => None,
        }
    }

    /// Number of floors.
    pub fn floors(&self, i: usize) -> Option<f64> {
        self.number(i, Semantic::Floors)
    }

    /// Year built.
    pub fn build_year(&self, i: usize) -> Option<i32> {
        self.number(i, Semantic::BuildYear)
            .map(|y| y.round() as i32)
    }

    /// Land-use code (三调 DLBM).
    pub fn land_use(&self, i: usize) -> Option<&str> {
        self.text(i, Semantic::LandUse)
    }

    /// Owner type.
    pub fn owner_type(&self, i: usize) -> Option<OwnerType> {
        match self.mapped(i, Semantic::OwnerType)? {
            Mapped::Owner(v) => Some(v),
            _ => None,
        }
    }

    /// Land ownership (state / collective).
    pub fn land_ownership(&self, i: usize) -> Option<LandOwnership> {
        match self.mapped(i, Semantic::LandOwnership)? {
            Mapped::Land(v) => Some(v),
            _ => None,
        }
    }

    /// Building use.
    pub fn building_use(&self, i: usize) -> Option<BuildingUse> {
        match self.mapped(i, Semantic::BuildingUse)? {
            Mapped::Use(v) => Some(v),
            _ => None,
        }
    }

    /// Vacant or idle.
    pub fn vacant(&self, i: usize) -> Option<bool> {
        self.flag(i, Semantic::Vacant)
    }

    /// Households.
    pub fn households(&self, i: usize) -> Option<f64> {
        self.number(i, Semantic::Households)
    }

    /// Idle resource kind.
    pub fn idle_kind(&self, i: usize) -> Option<IdleKind> {
        match self.mapped(i, Semantic::IdleKind)? {
            Mapped::Idle(v) => Some(v),
            _ => None,
        }
    }

    /// Facility kind.
    pub fn facility_kind(&self, i: usize) -> Option<FacilityKind> {
        match self.mapped(i, Semantic::FacilityType)? {
            Mapped::Facility(v) => Some(v),
            _ => None,
        }
    }

    /// Walkable (roads); roads without the field count as walkable.
    pub fn walkable(&self, i: usize) -> bool {
        self.flag(i, Semantic::Walkable).unwrap_or(true)
    }
}

/// Bounding rectangle of a geometry, `None` when it is empty.
pub fn geometry_rect(g: &Geometry<f64>) -> Option<Rect<f64>> {
    g.bounding_rect()
}
