//! A deterministic, **synthetic** demo district and its bureau-style shapefiles.
//!
//! [`generate`] lays out an invented district (澄湾市望海区 does not exist) around old residential
//! compounds: an irregular street grid with T-junctions and bends, a river crossed by a few
//! bridges, an elevated expressway over a corridor, parcels (三调 land-use codes, including
//! fragmented, idle and low-efficiency ones), building footprints, 小区 neighbourhoods, idle
//! resources and existing community facilities. [`write_shapefiles`] writes the six layers as
//! GBK shapefiles in EPSG:4549 (CGCS2000 / 3-degree Gauss-Kruger CM 120E), shaped like the data a
//! natural-resources bureau hands over; [`write_buildings_only`] streams just the footprints for
//! load benchmarks (about 1,000,000 with [`DemoSpec::scaled`]).
//!
//! Everything is a pure function of the [`DemoSpec`]: the same spec gives byte-identical files.
//!
//! ```no_run
//! use infill::demo::{generate, write_shapefiles, DemoSpec};
//! let district = generate(&DemoSpec::default_district());
//! let summary = write_shapefiles(&district, std::path::Path::new("data"))?;
//! println!("{:?}", summary.counts);
//! # Ok::<(), infill::demo::DemoError>(())
//! ```
//!
//! Modules:
//! - `rng`: SplitMix64, the seeded generator (hand-written so output never depends on a crate).
//! - `geom`: planar construction helpers (inset, split, rectangle-in-ring).
//! - `names`: invented street, compound, agency and company names.
//! - `grid`: the street grid, blocks, street and expressway polylines.
//! - `blocks`: what each block holds: parcels, buildings, lanes, neighbourhoods, idle, facilities.
//! - `write`: the shapefile / DBF writer (GBK, LDID 0x4D, `.prj`, `.cpg`).

mod blocks;
mod geom;
mod grid;
mod names;
mod rng;
mod write;

#[cfg(test)]
mod tests;

use geo_types::{LineString, Point, Polygon};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

pub use write::{BUILDINGS_LAYER, LAYERS, PRJ_EPSG_4549};

/// What to generate. `Default` (= [`DemoSpec::default_district`]) is the committed demo in `data/`.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoSpec {
    /// Seed of every random choice.
    pub seed: u64,
    /// Number of grid cells west–east (blocks before merging).
    pub blocks_x: u32,
    /// Number of grid cells south–north.
    pub blocks_y: u32,
    /// EPSG:4549 easting of the south-west grid node, metres.
    pub origin_x: f64,
    /// EPSG:4549 northing of the south-west grid node, metres.
    pub origin_y: f64,
    /// Rotation of the whole street grid, degrees counter-clockwise from east.
    pub rotation_deg: f64,
    /// Grid rows taken by a river band (rows outside the grid are ignored).
    pub river_rows: Vec<u32>,
    /// Grid columns taken by an elevated-expressway corridor.
    pub expressway_cols: Vec<u32>,
    /// How many vertical streets bridge each river (the others end at the bank roads).
    pub bridges_per_river: u32,
    /// Stop emitting buildings after this many (in generation order, south-west first); the
    /// other layers are unaffected, but parcel and neighbourhood totals count only kept buildings.
    pub max_buildings: Option<usize>,
}

impl Default for DemoSpec {
    fn default() -> Self {
        Self::default_district()
    }
}

/// Average buildings per grid cell of the generator, measured on large districts; used by
/// [`DemoSpec::scaled`] to size the grid.
const BUILDINGS_PER_CELL: f64 = 14.0;

impl DemoSpec {
    /// The committed demo: about 2.5 km × 2 km near 120.36°E 36.07°N, one river with two bridges,
    /// one expressway, 1–3 thousand buildings.
    pub fn default_district() -> Self {
        Self {
            seed: 20_251_122,
            blocks_x: 11,
            blocks_y: 9,
            origin_x: 531_200.0,
            origin_y: 3_991_400.0,
            rotation_deg: 6.0,
            river_rows: vec![4],
            expressway_cols: vec![6],
            bridges_per_river: 2,
            max_buildings: None,
        }
    }

    /// The same generator on a larger grid sized for about `buildings_target` buildings, capped
    /// at exactly that many (a river every 24 rows, an expressway every 30 columns).
    /// `scaled(1_000_000)` gives a square grid of about 280 × 280 blocks.
    pub fn scaled(buildings_target: usize) -> Self {
        let cells = buildings_target as f64 * 1.10 / BUILDINGS_PER_CELL;
        let side = (cells.sqrt().ceil() as u32).max(4);
        Self {
            blocks_x: side,
            blocks_y: side,
            river_rows: (4..side).step_by(24).collect(),
            expressway_cols: (6..side).step_by(30).collect(),
            bridges_per_river: (side / 8).max(2),
            max_buildings: Some(buildings_target),
            ..Self::default_district()
        }
    }
}

/// Road class (道路等级, field `DLDJ`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RoadClass {
    /// 快速路: the elevated expressway (not walkable, no junctions with streets).
    Expressway,
    /// 主干路.
    Arterial,
    /// 次干路.
    Secondary,
    /// 支路.
    Branch,
    /// 街巷: lanes into compounds.
    Lane,
    /// 步行道: footpaths inside compounds and parks.
    Footpath,
}

impl RoadClass {
    /// The `DLDJ` value.
    pub fn label(self) -> &'static str {
        match self {
            Self::Expressway => "快速路",
            Self::Arterial => "主干路",
            Self::Secondary => "次干路",
            Self::Branch => "支路",
            Self::Lane => "街巷",
            Self::Footpath => "步行道",
        }
    }
}

/// Land use (三调地类, fields `DLBM` / `DLMC`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LandUse {
    /// 0701 城镇住宅用地.
    UrbanResidential,
    /// 05H1 商业服务业设施用地.
    Commercial,
    /// 08H1 机关团体新闻出版用地.
    Government,
    /// 08H2 科教文卫用地.
    PublicService,
    /// 0810 公园与绿地.
    ParkGreen,
    /// 1201 空闲地.
    Vacant,
    /// 1005 交通服务场站用地.
    TransportStation,
    /// 0601 工业用地.
    Industrial,
    /// 1101 河流水面.
    River,
    /// 1004 城镇村道路用地.
    Road,
}

impl LandUse {
    /// The `DLBM` code.
    pub fn code(self) -> &'static str {
        match self {
            Self::UrbanResidential => "0701",
            Self::Commercial => "05H1",
            Self::Government => "08H1",
            Self::PublicService => "08H2",
            Self::ParkGreen => "0810",
            Self::Vacant => "1201",
            Self::TransportStation => "1005",
            Self::Industrial => "0601",
            Self::River => "1101",
            Self::Road => "1004",
        }
    }

    /// The `DLMC` name.
    pub fn name(self) -> &'static str {
        match self {
            Self::UrbanResidential => "城镇住宅用地",
            Self::Commercial => "商业服务业设施用地",
            Self::Government => "机关团体新闻出版用地",
            Self::PublicService => "科教文卫用地",
            Self::ParkGreen => "公园与绿地",
            Self::Vacant => "空闲地",
            Self::TransportStation => "交通服务场站用地",
            Self::Industrial => "工业用地",
            Self::River => "河流水面",
            Self::Road => "城镇村道路用地",
        }
    }
}

/// Land tenure (权属性质, field `QSXZ`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tenure {
    /// `10` 国有.
    State,
    /// `30` 集体.
    Collective,
}

impl Tenure {
    /// The `QSXZ` code.
    pub fn code(self) -> &'static str {
        match self {
            Self::State => "10",
            Self::Collective => "30",
        }
    }
}

/// Owner type (权属类型, field `QSLX`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OwnerType {
    /// 机关.
    Government,
    /// 事业单位.
    PublicInstitution,
    /// 国有企业.
    StateEnterprise,
    /// 私营.
    Private,
    /// 业主共有 (shared by a compound's home owners).
    OwnersCommon,
    /// 个人.
    Individual,
    /// 集体.
    Collective,
}

impl OwnerType {
    /// The `QSLX` value.
    pub fn label(self) -> &'static str {
        match self {
            Self::Government => "机关",
            Self::PublicInstitution => "事业单位",
            Self::StateEnterprise => "国有企业",
            Self::Private => "私营",
            Self::OwnersCommon => "业主共有",
            Self::Individual => "个人",
            Self::Collective => "集体",
        }
    }
}

/// Building use (用途, field `YT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BuildingUse {
    /// 住宅.
    Residential,
    /// 商业.
    Commercial,
    /// 办公.
    Office,
    /// 教育.
    Education,
    /// 医疗.
    Medical,
    /// 工业.
    Industrial,
    /// 其他 (bike sheds, guard rooms, toilets, booths …).
    Other,
}

impl BuildingUse {
    /// The `YT` value.
    pub fn label(self) -> &'static str {
        match self {
            Self::Residential => "住宅",
            Self::Commercial => "商业",
            Self::Office => "办公",
            Self::Education => "教育",
            Self::Medical => "医疗",
            Self::Industrial => "工业",
            Self::Other => "其他",
        }
    }
}

/// Idle resource type (资源类型, field `ZYLX`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IdleKind {
    /// 闲置土地: a 1201 parcel.
    Land,
    /// 闲置房屋: a vacant building not shared by home owners.
    Building,
    /// 业主共有空间: a vacant owner-shared structure (bike shed, guard room, property office).
    OwnerShared,
}

impl IdleKind {
    /// The `ZYLX` value.
    pub fn label(self) -> &'static str {
        match self {
            Self::Land => "闲置土地",
            Self::Building => "闲置房屋",
            Self::OwnerShared => "业主共有空间",
        }
    }
}

/// Facility type (设施类型, field `SSLX`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FacilityKind {
    /// 幼儿园.
    Kindergarten,
    /// 托育.
    Childcare,
    /// 养老.
    ElderlyCare,
    /// 日间照料中心.
    DayCare,
    /// 社区卫生服务站.
    CommunityHealth,
    /// 医疗.
    Medical,
    /// 停车场.
    Parking,
    /// 助餐点.
    MealPoint,
    /// 便利店.
    ConvenienceStore,
    /// 文化活动站.
    CultureStation,
    /// 健身场地.
    Fitness,
}

impl FacilityKind {
    /// Every kind, in a fixed order.
    pub const ALL: [FacilityKind; 11] = [
        Self::Kindergarten,
        Self::Childcare,
        Self::ElderlyCare,
        Self::DayCare,
        Self::CommunityHealth,
        Self::Medical,
        Self::Parking,
        Self::MealPoint,
        Self::ConvenienceStore,
        Self::CultureStation,
        Self::Fitness,
    ];

    /// The `SSLX` value.
    pub fn label(self) -> &'static str {
        match self {
            Self::Kindergarten => "幼儿园",
            Self::Childcare => "托育",
            Self::ElderlyCare => "养老",
            Self::DayCare => "日间照料中心",
            Self::CommunityHealth => "社区卫生服务站",
            Self::Medical => "医疗",
            Self::Parking => "停车场",
            Self::MealPoint => "助餐点",
            Self::ConvenienceStore => "便利店",
            Self::CultureStation => "文化活动站",
            Self::Fitness => "健身场地",
        }
    }

    /// The capacity unit (`GMDW`) of `GM`.
    pub fn unit(self) -> &'static str {
        match self {
            Self::Kindergarten | Self::Childcare => "个(学位)",
            Self::ElderlyCare | Self::Medical => "床",
            Self::Parking => "个(泊位)",
            Self::DayCare
            | Self::CommunityHealth
            | Self::MealPoint
            | Self::ConvenienceStore
            | Self::CultureStation
            | Self::Fitness => "平方米",
        }
    }
}

/// A road centreline (layer `roads`). Streets are not split at junctions: a junction is a vertex
/// shared bit-for-bit by both lines, usually in the middle of each.
#[derive(Debug, Clone, PartialEq)]
pub struct Road {
    /// `BSM` identifier.
    pub bsm: String,
    /// `NAME` (empty for most lanes and footpaths).
    pub name: String,
    /// `DLDJ`.
    pub class: RoadClass,
    /// `BXKT` 步行可通 (false only for the expressway).
    pub walkable: bool,
    /// `KD` width in metres.
    pub width_m: f64,
    /// Centreline in EPSG:4549 metres.
    pub geometry: LineString<f64>,
}

/// A land parcel (layer `parcels`, 图斑). Polygons in every layer are wound as in a shapefile:
/// outer ring clockwise, holes counter-clockwise.
#[derive(Debug, Clone, PartialEq)]
pub struct Parcel {
    /// `BSM`.
    pub bsm: String,
    /// `DLBM` / `DLMC`.
    pub land_use: LandUse,
    /// `QSXZ`.
    pub tenure: Tenure,
    /// `QSDWMC` owner organisation.
    pub owner: String,
    /// `TBMJ` area, m² (2 decimals).
    pub area_m2: f64,
    /// `RJL` floor-area ratio: Σ building floor area / `TBMJ`.
    pub far: f64,
    /// `JZMD` coverage: Σ building footprint / `TBMJ`.
    pub coverage: f64,
    /// `ZLDWMC` district + street office.
    pub location: String,
    /// `MC` name.
    pub name: String,
    /// `BZ` note: how the parcel was made (碎片, 低效用地 …).
    pub note: String,
    /// Outline in EPSG:4549 metres.
    pub geometry: Polygon<f64>,
}

/// A building footprint (layer `buildings`).
#[derive(Debug, Clone, PartialEq)]
pub struct Building {
    /// `BSM`.
    pub bsm: String,
    /// `JZMC` name.
    pub name: String,
    /// `CS` floors.
    pub floors: u32,
    /// `JZND` year built.
    pub year: u32,
    /// `YT`.
    pub use_: BuildingUse,
    /// `QSLX`.
    pub owner_type: OwnerType,
    /// `SFXZ` 是否闲置.
    pub vacant: bool,
    /// `XZMJ` vacant floor area, m² (= `JZMJ` when vacant, else 0).
    pub vacant_area_m2: f64,
    /// `JZMJ` floor area, m² (= `JDMJ` × `CS`).
    pub floor_area_m2: f64,
    /// `JDMJ` footprint area, m².
    pub footprint_m2: f64,
    /// `BZ` note: the building type (板式住宅, 自行车棚, 门卫室 …).
    pub note: String,
    /// Footprint in EPSG:4549 metres.
    pub geometry: Polygon<f64>,
}

/// A residential compound (layer `neighbourhoods`, 小区): the geometry of its parcel.
#[derive(Debug, Clone, PartialEq)]
pub struct Neighbourhood {
    /// `BSM`.
    pub bsm: String,
    /// `XQMC` name.
    pub name: String,
    /// `JCND` year built.
    pub year: u32,
    /// `HS` households (residential floor area / 90 m²).
    pub households: u32,
    /// `JZMJ` total floor area of its buildings, m².
    pub floor_area_m2: f64,
    /// `SZJD` street office.
    pub street_office: String,
    /// `LJXQ` 老旧小区: built 2005 or earlier.
    pub old: bool,
    /// `BZ` note.
    pub note: String,
    /// Outline in EPSG:4549 metres.
    pub geometry: Polygon<f64>,
}

/// An idle resource (layer `idle`): idle land, a vacant building or a vacant owner-shared space.
#[derive(Debug, Clone, PartialEq)]
pub struct IdleResource {
    /// `BSM`.
    pub bsm: String,
    /// `ZYLX`.
    pub kind: IdleKind,
    /// `MC` name.
    pub name: String,
    /// `QSDW` owner.
    pub owner: String,
    /// `QSLX`.
    pub owner_type: OwnerType,
    /// `MJ` area, m²: parcel area for land, vacant floor area for buildings.
    pub area_m2: f64,
    /// `XZNX` years idle (1–10).
    pub idle_years: u32,
    /// `YSBSM`: `BSM` of the source parcel or building.
    pub source_bsm: String,
    /// Parcel or footprint outline in EPSG:4549 metres.
    pub geometry: Polygon<f64>,
}

/// An existing community facility (layer `facilities`).
#[derive(Debug, Clone, PartialEq)]
pub struct Facility {
    /// `BSM`.
    pub bsm: String,
    /// `SSLX`.
    pub kind: FacilityKind,
    /// `MC` name.
    pub name: String,
    /// `GM` capacity, in [`FacilityKind::unit`] (`GMDW`).
    pub capacity: u32,
    /// Location in EPSG:4549 metres (inside its building or parcel).
    pub geometry: Point<f64>,
}

/// A generated district: six layers in EPSG:4549 metres.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct District {
    /// Streets (long lines through junctions), the expressway, lanes and footpaths.
    pub roads: Vec<Road>,
    /// Non-overlapping land parcels.
    pub parcels: Vec<Parcel>,
    /// Non-overlapping footprints, each inside one parcel.
    pub buildings: Vec<Building>,
    /// Residential compounds.
    pub neighbourhoods: Vec<Neighbourhood>,
    /// Idle land, vacant buildings and vacant owner-shared spaces.
    pub idle: Vec<IdleResource>,
    /// Existing facilities (points).
    pub facilities: Vec<Facility>,
}

/// What [`write_shapefiles`] or [`write_buildings_only`] wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct WriteSummary {
    /// Every file written (`.shp`, `.shx`, `.dbf`, `.prj`, `.cpg` per layer).
    pub files: Vec<PathBuf>,
    /// Feature count per layer name.
    pub counts: Vec<(&'static str, usize)>,
}

/// Errors writing the demo shapefiles; each names the file it concerns.
#[derive(thiserror::Error, Debug)]
pub enum DemoError {
    /// Creating, writing or patching a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The shapefile writer failed.
    #[error("{path}: writing shapes: {source}")]
    Shapefile {
        /// The `.shp` file.
        path: PathBuf,
        /// The underlying error.
        source: shapefile::Error,
    },
    /// The DBF writer failed.
    #[error("{path}: writing attributes: {source}")]
    Dbase {
        /// The `.dbf` file.
        path: PathBuf,
        /// The underlying error.
        source: dbase::Error,
    },
    /// A value does not fit its DBF field, or is not representable in GBK.
    #[error("{path}: record {record}, field {field}: value {value:?} {problem}")]
    Field {
        /// The `.dbf` file.
        path: PathBuf,
        /// 0-based record number.
        record: usize,
        /// Field name.
        field: &'static str,
        /// The offending value.
        value: String,
        /// What is wrong with it.
        problem: String,
    },
}

/// Generates the district described by `spec`. Deterministic: equal specs give equal districts.
pub fn generate(spec: &DemoSpec) -> District {
    let grid = grid::Grid::new(spec);
    let mut state = blocks::GenState::new(spec);
    let mut district = District::default();
    let mut attaches: HashMap<usize, Vec<grid::Attach>> = HashMap::new();
    let mut paths = Vec::new();
    for block in grid.blocks() {
        let out = blocks::fill_block(&grid, &block, &mut state);
        district.parcels.extend(out.parcels);
        district.buildings.extend(out.buildings);
        district.neighbourhoods.extend(out.neighbourhoods);
        district.idle.extend(out.idle);
        district.facilities.extend(out.facilities);
        for a in out.attaches {
            attaches.entry(a.edge).or_default().push(a);
        }
        paths.extend(out.paths);
    }

    let mut seq = 0u64;
    let mut next_bsm = || {
        seq += 1;
        blocks::bsm(blocks::LAYER_ROADS, seq)
    };
    for (run, pts) in grid.street_lines(&attaches) {
        district.roads.push(Road {
            bsm: next_bsm(),
            name: run.name.clone(),
            class: run.class,
            walkable: true,
            width_m: run.width,
            geometry: LineString::new(pts),
        });
    }
    for (name, pts) in grid.expressway_lines() {
        district.roads.push(Road {
            bsm: next_bsm(),
            name: name.to_string(),
            class: RoadClass::Expressway,
            walkable: false,
            width_m: 25.0,
            geometry: LineString::new(pts),
        });
    }
    for p in paths {
        district.roads.push(Road {
            bsm: next_bsm(),
            name: p.name,
            class: p.class,
            walkable: true,
            width_m: p.width,
            geometry: LineString::new(p.points),
        });
    }
    district
}

/// Writes the six layers of `district` into `dir` (created if missing) as
/// `roads|parcels|buildings|neighbourhoods|idle|facilities` `.shp/.shx/.dbf/.prj/.cpg`.
pub fn write_shapefiles(district: &District, dir: &Path) -> Result<WriteSummary, DemoError> {
    write::write_all(district, dir)
}

/// Writes only `buildings.*` for `spec` into `dir`, generating block by block and streaming each
/// footprint to the writer, so memory stays small even for millions of buildings. The file is
/// byte-identical to the buildings layer [`write_shapefiles`] writes for `generate(spec)`.
pub fn write_buildings_only(spec: &DemoSpec, dir: &Path) -> Result<WriteSummary, DemoError> {
    let grid = grid::Grid::new(spec);
    let mut state = blocks::GenState::new(spec);
    let mut writer = write::BuildingsWriter::create(dir)?;
    for block in grid.blocks() {
        if state.buildings_full() {
            break;
        }
        let out = blocks::fill_block(&grid, &block, &mut state);
        for b in &out.buildings {
            writer.write(b)?;
        }
    }
    writer.finish()
}
