//! Low-efficiency and fragmented land (城镇低效用地, 零星碎片化土地): per-parcel metrics and the rules
//! that flag a parcel as stock.
//!
//! [`parcel_metrics`] measures every parcel from the buildings on it: area, footprint, floor area,
//! floor-area ratio (容积率), building coverage (建筑密度), a compactness index and the minimum width.
//! A building belongs to the parcel that holds its representative point, as the bureau computes its
//! RJL/JZMD fields (the point is [`geo::InteriorPoint`]: the middle of the widest stretch of a
//! horizontal line through the middle of the building's bounding box, so it always lies inside
//! the footprint).
//!
//! [`assess_land`] applies [`LandEfficiencyRules`]: excluded land uses (roads, water, parks, special
//! use), idle land (三调 1201 or the idle layer, 部令53号), low FAR or coverage for the land use, and
//! fragmented shape (small, narrow, irregular). Every flag carries a [`Finding`] with the measured
//! value, the threshold and a sentence; a value that cannot be measured (a building without floor
//! count, a parcel without land use) gives a note saying so, never a zero.
//!
//! Buildings are assigned through the parcels' R-tree and parcels are measured in parallel
//! (`std::thread::scope`): Nanjing's 301 parcels × 1,247 buildings take about 50 ms, a grid of
//! 100k parcels over 1M generated footprints about 25 s on two busy cores (half of it the
//! inscribed circles, most of the rest the buildings' interior points).

use std::num::NonZeroUsize;

use geo::{
    Area, BoundingRect, Distance, Euclidean, Geometry, InteriorPoint, Intersects, Length, Point,
    Polygon,
};
use serde::{Deserialize, Serialize};

use crate::model::{IdleKind, Layer, Semantic};

/// Precision of the largest-inscribed-circle search, in metres (radius).
const INSCRIBED_CIRCLE_TOLERANCE_M: f64 = 0.25;

/// What was measured on one parcel.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ParcelMetrics {
    /// The parcel (0-based feature index in the parcels layer).
    pub parcel: usize,
    /// Planar area in the working CRS, m² (holes excluded).
    pub area_m2: f64,
    /// Perimeter, outer rings and holes, m.
    pub perimeter_m: f64,
    /// The buildings whose representative point lies in the parcel (0-based, ascending).
    pub buildings: Vec<usize>,
    /// Σ planar footprint area of those buildings, m² (computed from the geometry, not a field).
    pub footprint_m2: f64,
    /// Σ floor area of those buildings, m²; `None` when any of them has neither a floor-area value
    /// nor a floor count (see [`ParcelMetrics::buildings_without_floor_area`]).
    pub floor_area_m2: Option<f64>,
    /// Buildings whose floor area came from the layer's floor-area field (建筑面积, e.g. JZMJ).
    pub floor_area_from_field: usize,
    /// Buildings whose floor area is footprint × floors (层数), for want of a floor-area value.
    pub floor_area_from_floors: usize,
    /// Buildings with neither a positive floor area nor a positive floor count.
    pub buildings_without_floor_area: usize,
    /// Floor-area ratio (容积率) = floor area / area; `None` when the floor area is unknown or the
    /// parcel has no area. A parcel with no building has a FAR of 0.
    pub far: Option<f64>,
    /// Building coverage (建筑密度) = footprint / area; `None` for a parcel with no area.
    pub coverage: Option<f64>,
    /// Polsby–Popper compactness 4πA/P²: 1 for a circle, 0.785 for a square, 0.50 for a 1:4
    /// rectangle, 0.26 for 1:10; `None` for a parcel with no area.
    pub compactness: Option<f64>,
    /// Minimum width: the diameter of the largest circle inside the parcel (the widest part when
    /// it has several), m, to within 0.5 m. Catches narrow strips and thin L-shapes that a minimum
    /// rotated rectangle would call wide. `None` when not measured: [`assess_land`] skips it
    /// for excluded parcels, since roads are long strips, the costliest shape to measure.
    pub min_width_m: Option<f64>,
}

/// The parcel holding each building's representative point: one entry per building, `None` for
/// a building whose point lies in no parcel or that has no geometry.
///
/// A point on the shared edge of two parcels, or inside overlapping parcels, goes to the parcel
/// with the lowest index, so the answer does not depend on thread scheduling.
pub fn building_parcels(parcels: &Layer, buildings: &Layer) -> Vec<Option<usize>> {
    parallel_map(buildings.len(), |b| {
        let point = representative_point(buildings.geometry(b))?;
        parcels
            .index()
            .query_point(point.0)
            .filter(|&p| parcels.geometry(p).intersects(&point))
            .min()
    })
}

/// A point inside a building or parcel ([`geo::InteriorPoint`]); `None` for an empty geometry.
pub fn representative_point(geometry: &Geometry<f64>) -> Option<Point<f64>> {
    geometry.interior_point()
}

/// Measure every parcel (one [`ParcelMetrics`] per parcel, in record order) from the buildings on it.
///
/// Floor area per building: the layer's floor-area field ([`Semantic::FloorArea`]) when bound
/// and positive, else footprint × floors ([`Semantic::Floors`]) when the floor count is positive;
/// a zero or blank floor count counts as unknown, since bureau layers use 0 for "not surveyed".
pub fn parcel_metrics(parcels: &Layer, buildings: &Layer) -> Vec<ParcelMetrics> {
    let owner = building_parcels(parcels, buildings);
    metrics_with_owners(parcels, buildings, &owner, |_| true)
}

/// [`parcel_metrics`] with the buildings already assigned (`owner` from [`building_parcels`]).
fn metrics_with_owners(
    parcels: &Layer,
    buildings: &Layer,
    owner: &[Option<usize>],
    measure_width: impl Fn(usize) -> bool + Sync,
) -> Vec<ParcelMetrics> {
    let building_areas: Vec<(f64, Option<f64>, FloorAreaFrom)> =
        parallel_map(buildings.len(), |b| building_floor_area(buildings, b));
    let mut on_parcel: Vec<Vec<usize>> = vec![Vec::new(); parcels.len()];
    for (b, p) in owner.iter().enumerate() {
        if let Some(p) = *p {
            on_parcel[p].push(b);
        }
    }
    parallel_map(parcels.len(), |p| {
        let geometry = parcels.geometry(p);
        let area_m2 = geometry.unsigned_area();
        let perimeter_m = perimeter(geometry);
        let mut metrics = ParcelMetrics {
            parcel: p,
            area_m2,
            perimeter_m,
            buildings: on_parcel[p].clone(),
            footprint_m2: 0.0,
            floor_area_m2: Some(0.0),
            floor_area_from_field: 0,
            floor_area_from_floors: 0,
            buildings_without_floor_area: 0,
            far: None,
            coverage: None,
            compactness: None,
            min_width_m: measure_width(p).then(|| min_width(geometry)),
        };
        let mut floor_area = 0.0;
        for &b in &on_parcel[p] {
            let (footprint, floor, from) = building_areas[b];
            metrics.footprint_m2 += footprint;
            match from {
                FloorAreaFrom::Field => metrics.floor_area_from_field += 1,
                FloorAreaFrom::Floors => metrics.floor_area_from_floors += 1,
                FloorAreaFrom::Unknown => metrics.buildings_without_floor_area += 1,
            }
            floor_area += floor.unwrap_or(0.0);
        }
        metrics.floor_area_m2 = (metrics.buildings_without_floor_area == 0).then_some(floor_area);
        if area_m2 > 0.0 {
            metrics.far = metrics.floor_area_m2.map(|f| f / area_m2);
            metrics.coverage = Some(metrics.footprint_m2 / area_m2);
            if perimeter_m > 0.0 {
                metrics.compactness =
                    Some(4.0 * std::f64::consts::PI * area_m2 / (perimeter_m * perimeter_m));
            }
        }
        metrics
    })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FloorAreaFrom {
    Field,
    Floors,
    Unknown,
}

/// (footprint, floor area, where the floor area came from) of building `b`.
fn building_floor_area(buildings: &Layer, b: usize) -> (f64, Option<f64>, FloorAreaFrom) {
    let footprint = buildings.geometry(b).unsigned_area();
    let positive = |v: Option<f64>| v.filter(|v| v.is_finite() && *v > 0.0);
    if let Some(floor_area) = positive(buildings.number(b, Semantic::FloorArea)) {
        return (footprint, Some(floor_area), FloorAreaFrom::Field);
    }
    match positive(buildings.floors(b)) {
        Some(floors) => (footprint, Some(footprint * floors), FloorAreaFrom::Floors),
        None => (footprint, None, FloorAreaFrom::Unknown),
    }
}

fn polygons(geometry: &Geometry<f64>) -> Vec<&Polygon<f64>> {
    match geometry {
        Geometry::Polygon(p) => vec![p],
        Geometry::MultiPolygon(mp) => mp.0.iter().collect(),
        Geometry::GeometryCollection(gc) => gc.0.iter().flat_map(polygons).collect(),
        _ => Vec::new(),
    }
}

fn perimeter(geometry: &Geometry<f64>) -> f64 {
    polygons(geometry)
        .into_iter()
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
        .map(|ring| Euclidean.length(ring))
        .sum()
}

/// Diameter of the largest inscribed circle over the parts of `geometry` (polylabel), m.
fn min_width(geometry: &Geometry<f64>) -> f64 {
    polygons(geometry)
        .into_iter()
        .map(|polygon| 2.0 * inscribed_radius(polygon))
        .fold(0.0, f64::max)
}

fn inscribed_radius(polygon: &Polygon<f64>) -> f64 {
    // polylabel answers (0, 0) for a zero-area polygon, so it must not be asked.
    if polygon.unsigned_area() <= 0.0 {
        return 0.0;
    }
    let Ok(centre) = polylabel::polylabel(polygon, &INSCRIBED_CIRCLE_TOLERANCE_M) else {
        return 0.0;
    };
    if !polygon.intersects(&centre) {
        return 0.0;
    }
    std::iter::once(polygon.exterior())
        .chain(polygon.interiors())
        .map(|ring| Euclidean.distance(&centre, ring))
        .fold(f64::INFINITY, f64::min)
}

/// `f(0..n)` on the machine's cores, in order. Small inputs run on the calling thread.
fn parallel_map<R: Send>(n: usize, f: impl Fn(usize) -> R + Sync) -> Vec<R> {
    const MIN_PER_THREAD: usize = 512;
    let threads = std::thread::available_parallelism()
        .map(NonZeroUsize::get)
        .unwrap_or(1)
        .min(n / MIN_PER_THREAD)
        .max(1);
    if threads == 1 {
        return (0..n).map(f).collect();
    }
    let chunk = n.div_ceil(threads);
    let f = &f;
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let range = (t * chunk).min(n)..((t + 1) * chunk).min(n);
                scope.spawn(move || range.map(f).collect::<Vec<R>>())
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| match h.join() {
                Ok(part) => part,
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    })
}

// ---------------------------------------------------------------------------------------------
// Rules
// ---------------------------------------------------------------------------------------------

/// The land-efficiency rules and thresholds, as embedded in the analysis config (TOML).
///
/// Land-use codes are 三调 (GB/T 21010-2017 based) DLBM codes, matched as prefixes of the parcel's
/// code after trimming, ignoring ASCII case: `"11"` matches 1101 and 1104, `"0810"` matches 0810
/// and 0810A. Every field has a default ([`Default`]); a config gives only what it changes.
///
/// ```
/// use infill::analysis::land_efficiency::LandEfficiencyRules;
/// let rules: LandEfficiencyRules = toml::from_str(r#"
///     fragment_max_area_m2 = 1500.0
///     min_idle_years = 2.0
/// "#).unwrap();
/// assert_eq!(rules.fragment_max_area_m2, 1500.0);
/// assert!(rules.validate().is_ok());
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LandEfficiencyRules {
    /// Land uses that are never stock, each with the reason the result gives.
    ///
    /// Defaults: transport lines 1001 铁路, 1002 轨道交通, 1003 公路, 1004 城镇村道路, 1006 农村道路,
    /// 1007 机场, 1008 港口码头, 1009 管道运输 (roads and networks, not sites); water 11 (河流、湖泊、
    /// 坑塘、沟渠、水工建筑 …); parks and green 0810 (incl. 0810A 广场); special use 09 (military,
    /// religious, prisons, cemeteries: not available for community redevelopment); farmland,
    /// orchards, forest and grass 01–04 (not construction land). **1005 交通服务场站用地 is not
    /// excluded**: a bus station or surface car park is a site, and a flat car park is the classic
    /// low-efficiency parcel that can host parking or services. This choice is a local planning
    /// assumption, not a citation.
    pub excluded: Vec<ExcludedUse>,
    /// Land-use codes that are idle land by themselves. Default `["1201"]` (三调 1201 空闲地).
    pub idle_land_codes: Vec<String>,
    /// Years idle from which an idle-layer feature counts as idle land. Default 1:
    /// 《闲置土地处置办法》(国土资源部令第53号, 2012) art. 2 calls land idle when development has not
    /// started more than one year after the agreed start date (or started with less than 1/3 of
    /// the area developed or less than 25% of the investment made and halted for a year or more).
    pub min_idle_years: f64,
    /// Share of a parcel's area an idle-land feature of the idle layer must cover for the parcel
    /// to count as idle. Default 0.5 (the parcel is mostly idle); a local assumption.
    pub idle_overlap_min_share: f64,
    /// FAR and coverage minima by land-use class; the first class whose codes match applies.
    /// See [`UseClassRule`] for the defaults and their sources.
    pub use_classes: Vec<UseClassRule>,
    /// Parcels smaller than this are fragmented (零星), m². Default 2,000 m² (3 亩 ≈ 2,000 m²,
    /// a size many local 零星用地 policies use); a local planning assumption, not a citation.
    pub fragment_max_area_m2: f64,
    /// Parcels narrower than this (largest inscribed circle diameter) are fragmented, m.
    /// Default 15 m: about the depth of one small building with setbacks on both sides; a local
    /// planning assumption, not a citation.
    pub fragment_min_width_m: f64,
    /// Parcels less compact than this (Polsby–Popper) are irregular and fragmented. Default 0.3
    /// (a 1:8 rectangle scores 0.31, a square 0.785); a local planning assumption, not a citation.
    pub fragment_min_compactness: f64,
}

/// A group of land uses excluded from the stock, with why.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExcludedUse {
    /// 三调 code prefixes.
    pub codes: Vec<String>,
    /// The reason the result gives, e.g. `"road (道路用地)"`.
    pub reason: String,
}

/// Minimum FAR and coverage for one land-use class.
///
/// Defaults:
/// - **industrial** (0601 工业用地; 0508 物流仓储用地): coverage ≥ 0.30 — 《工业项目建设用地控制
///   指标》(试行) item 4(3) says 建筑系数 must not be below 30% (read in a copy of that text; the
///   2008 and 2023 editions were not checked, and 建筑系数 also counts structures and open
///   storage yards, so footprint coverage is a stricter measure). FAR ≥ 0.6 is a local planning
///   assumption: the standard sets FAR minima per industry (its table 2), not checked here.
///   0602 采矿用地 is left out: a mine is not judged by FAR.
/// - **commercial** (05, 三调 05H1 商业服务业设施用地): FAR ≥ 1.0, coverage ≥ 0.20 — local planning
///   assumptions, not citations.
/// - **residential** (07, 0701 城镇住宅用地): FAR ≥ 1.0, coverage ≥ 0.15 — local planning
///   assumptions, not citations (old inner-city compounds of 5–7 storeys are typically 1.2–2.0).
/// - **public** (08 公共管理与公共服务用地, e.g. 08H1, 08H2, 0809; 0810 is excluded first): FAR ≥
///   0.5, coverage ≥ 0.15 — local planning assumptions, not citations.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UseClassRule {
    /// Name used in findings, e.g. `"industrial"`.
    pub name: String,
    /// 三调 code prefixes.
    pub codes: Vec<String>,
    /// Minimum floor-area ratio (容积率); no FAR rule when absent.
    #[serde(default)]
    pub min_far: Option<f64>,
    /// Minimum building coverage (建筑密度); no coverage rule when absent.
    #[serde(default)]
    pub min_coverage: Option<f64>,
}

impl Default for LandEfficiencyRules {
    fn default() -> LandEfficiencyRules {
        let strings = |codes: &[&str]| codes.iter().map(|c| (*c).to_string()).collect();
        let excluded = |codes: &[&str], reason: &str| ExcludedUse {
            codes: strings(codes),
            reason: reason.to_string(),
        };
        let class = |name: &str, codes: &[&str], far: f64, coverage: f64| UseClassRule {
            name: name.to_string(),
            codes: strings(codes),
            min_far: Some(far),
            min_coverage: Some(coverage),
        };
        LandEfficiencyRules {
            excluded: vec![
                excluded(
                    &[
                        "1001", "1002", "1003", "1004", "1006", "1007", "1008", "1009",
                    ],
                    "road or transport line (交通运输用地)",
                ),
                excluded(&["11"], "water (水域及水利设施用地)"),
                excluded(&["0810"], "park or green space (公园与绿地)"),
                excluded(&["09"], "special use (特殊用地)"),
                excluded(
                    &["01", "02", "03", "04"],
                    "farmland, orchard, forest or grassland, not construction land (农用地)",
                ),
            ],
            idle_land_codes: strings(&["1201"]),
            min_idle_years: 1.0,
            idle_overlap_min_share: 0.5,
            use_classes: vec![
                class("industrial", &["0601", "0508"], 0.6, 0.30),
                class("commercial", &["05"], 1.0, 0.20),
                class("residential", &["07"], 1.0, 0.15),
                class("public", &["08"], 0.5, 0.15),
            ],
            fragment_max_area_m2: 2000.0,
            fragment_min_width_m: 15.0,
            fragment_min_compactness: 0.3,
        }
    }
}

/// A rule set that cannot be used, naming the key.
#[derive(thiserror::Error, Debug, PartialEq)]
pub enum RulesError {
    /// A threshold that is negative, NaN or infinite.
    #[error("land_efficiency.{key} = {value}: must be a finite number ≥ 0")]
    BadThreshold {
        /// The config key, e.g. `use_classes[2].min_far`.
        key: String,
        /// The value given.
        value: f64,
    },
    /// A share outside 0–1.
    #[error("land_efficiency.{key} = {value}: must be between 0 and 1")]
    BadShare {
        /// The config key.
        key: String,
        /// The value given.
        value: f64,
    },
    /// A code list entry that is blank.
    #[error("land_efficiency.{key}: a land-use code is blank")]
    BlankCode {
        /// The config key.
        key: String,
    },
}

impl LandEfficiencyRules {
    /// Check every threshold; the error names the config key.
    pub fn validate(&self) -> Result<(), RulesError> {
        let threshold = |key: String, value: f64| {
            if value.is_finite() && value >= 0.0 {
                Ok(())
            } else {
                Err(RulesError::BadThreshold { key, value })
            }
        };
        let codes = |key: String, codes: &[String]| {
            if codes.iter().any(|c| c.trim().is_empty()) {
                Err(RulesError::BlankCode { key })
            } else {
                Ok(())
            }
        };
        threshold("min_idle_years".into(), self.min_idle_years)?;
        threshold("fragment_max_area_m2".into(), self.fragment_max_area_m2)?;
        threshold("fragment_min_width_m".into(), self.fragment_min_width_m)?;
        threshold(
            "fragment_min_compactness".into(),
            self.fragment_min_compactness,
        )?;
        let share = self.idle_overlap_min_share;
        if !(share > 0.0 && share <= 1.0) {
            return Err(RulesError::BadShare {
                key: "idle_overlap_min_share".into(),
                value: share,
            });
        }
        codes("idle_land_codes".into(), &self.idle_land_codes)?;
        for (i, e) in self.excluded.iter().enumerate() {
            codes(format!("excluded[{i}].codes"), &e.codes)?;
        }
        for (i, c) in self.use_classes.iter().enumerate() {
            codes(format!("use_classes[{i}].codes"), &c.codes)?;
            if let Some(v) = c.min_far {
                threshold(format!("use_classes[{i}].min_far"), v)?;
            }
            if let Some(v) = c.min_coverage {
                threshold(format!("use_classes[{i}].min_coverage"), v)?;
            }
        }
        Ok(())
    }
}

fn code_matches(code: &str, prefixes: &[String]) -> bool {
    let code = code.trim();
    prefixes.iter().any(|p| {
        let p = p.trim();
        code.len() >= p.len()
            && code.is_char_boundary(p.len())
            && code[..p.len()].eq_ignore_ascii_case(p)
    })
}

// ---------------------------------------------------------------------------------------------
// Assessment
// ---------------------------------------------------------------------------------------------

/// Which rule a finding is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LandRule {
    /// The land-use code is idle land (三调 1201 空闲地).
    IdleLandUse,
    /// An idle-land feature of the idle layer covers the parcel, idle long enough.
    IdleLayer,
    /// FAR below the minimum for the land use (容积率偏低).
    LowFar,
    /// Building coverage below the minimum for the land use (建筑密度偏低).
    LowCoverage,
    /// Smaller than the fragment area (零星).
    Small,
    /// Narrower than the minimum width.
    Narrow,
    /// Less compact than the minimum (irregular shape).
    Irregular,
}

/// One failed rule: what was measured, against what, in a sentence.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Finding {
    /// The rule.
    pub rule: LandRule,
    /// The measured value (FAR, coverage, m², m, index, years); `None` for a rule that is a
    /// classification (1201 空闲地, or idle years not recorded).
    pub value: Option<f64>,
    /// The threshold it was held against.
    pub threshold: Option<f64>,
    /// A sentence for the planner, e.g. "FAR 0.35 below 0.6 for industrial land (容积率)".
    pub message: String,
}

/// Why a parcel is not stock at all.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Exclusion {
    /// The parcel's land-use code.
    pub land_use: String,
    /// The reason from [`ExcludedUse::reason`].
    pub reason: String,
}

/// The assessment of one parcel.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LandAssessment {
    /// What was measured.
    pub metrics: ParcelMetrics,
    /// The land-use code (三调 DLBM), if recorded.
    pub land_use: Option<String>,
    /// The [`UseClassRule::name`] that applied, if any.
    pub use_class: Option<String>,
    /// Set when the land use is excluded; such a parcel has no finding and no flag.
    pub excluded: Option<Exclusion>,
    /// Every rule the parcel failed.
    pub findings: Vec<Finding>,
    /// What could not be assessed and why ("FAR not assessed: no floor count or floor area on 3
    /// of 7 buildings"), and idle land in the idle layer idle for too few years to flag it.
    pub notes: Vec<String>,
    /// FAR or coverage below the minimum for its land use (城镇低效用地).
    pub is_low_efficiency: bool,
    /// Small, narrow or irregular (零星碎片化).
    pub is_fragmented: bool,
    /// Idle land by its code or by the idle layer (闲置土地).
    pub is_idle: bool,
    /// The longest idle years of the idle-layer features covering it, when recorded.
    pub idle_years: Option<f64>,
}

impl LandAssessment {
    /// Stock: not excluded, and idle, low-efficiency or fragmented.
    pub fn is_stock(&self) -> bool {
        self.excluded.is_none() && (self.is_idle || self.is_low_efficiency || self.is_fragmented)
    }
}

/// The assessment of a parcel layer.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LandEfficiency {
    /// One per parcel, in record order.
    pub parcels: Vec<LandAssessment>,
    /// Buildings whose representative point lies in no parcel (0-based): counted nowhere.
    pub unassigned_buildings: Vec<usize>,
}

/// Measure every parcel and apply `rules`.
///
/// `idle` is the idle layer, if any: its features of kind [`IdleKind::IdleLand`] (资源类型 闲置土地)
/// mark the parcels they cover (by at least [`LandEfficiencyRules::idle_overlap_min_share`] of the
/// parcel's area) as idle when their idle years ([`Semantic::IdleYears`]) reach
/// [`LandEfficiencyRules::min_idle_years`] or are not recorded (then a note says so).
/// Call [`LandEfficiencyRules::validate`] first; an invalid threshold is not checked here.
pub fn assess_land(
    parcels: &Layer,
    buildings: &Layer,
    idle: Option<&Layer>,
    rules: &LandEfficiencyRules,
) -> LandEfficiency {
    let owner = building_parcels(parcels, buildings);
    let unassigned_buildings = owner
        .iter()
        .enumerate()
        .filter(|(b, p)| p.is_none() && buildings.geometry(*b).bounding_rect().is_some())
        .map(|(b, _)| b)
        .collect();
    let metrics = metrics_with_owners(parcels, buildings, &owner, |p| {
        excluded_use(parcels, p, rules).is_none()
    });
    let assessments = parallel_map(metrics.len(), |p| {
        assess_parcel(parcels, idle, rules, metrics[p].clone())
    });
    LandEfficiency {
        parcels: assessments,
        unassigned_buildings,
    }
}

fn assess_parcel(
    parcels: &Layer,
    idle: Option<&Layer>,
    rules: &LandEfficiencyRules,
    metrics: ParcelMetrics,
) -> LandAssessment {
    let p = metrics.parcel;
    let land_use = parcels.land_use(p).map(str::to_string);
    let excluded = excluded_use(parcels, p, rules);
    let mut a = LandAssessment {
        metrics,
        land_use: land_use.clone(),
        use_class: None,
        excluded: None,
        findings: Vec::new(),
        notes: Vec::new(),
        is_low_efficiency: false,
        is_fragmented: false,
        is_idle: false,
        idle_years: None,
    };
    if let (Some(code), Some(e)) = (&land_use, excluded) {
        a.excluded = Some(Exclusion {
            land_use: code.clone(),
            reason: e.reason.clone(),
        });
        return a;
    }
    assess_idle(parcels, idle, rules, &mut a);
    assess_use(rules, &mut a);
    assess_shape(rules, &mut a);
    a
}

fn excluded_use<'r>(
    parcels: &Layer,
    p: usize,
    rules: &'r LandEfficiencyRules,
) -> Option<&'r ExcludedUse> {
    let code = parcels.land_use(p)?;
    rules.excluded.iter().find(|e| code_matches(code, &e.codes))
}

fn assess_idle(
    parcels: &Layer,
    idle: Option<&Layer>,
    rules: &LandEfficiencyRules,
    a: &mut LandAssessment,
) {
    if let Some(code) = &a.land_use {
        if code_matches(code, &rules.idle_land_codes) {
            a.is_idle = true;
            a.findings.push(Finding {
                rule: LandRule::IdleLandUse,
                value: None,
                threshold: None,
                message: format!("land use {code} is idle land (空闲地)"),
            });
        }
    }
    let Some(idle) = idle else { return };
    let parcel = parcels.geometry(a.metrics.parcel);
    let Some(rect) = parcel.bounding_rect() else {
        return;
    };
    if a.metrics.area_m2 <= 0.0 {
        return;
    }
    // (share of the parcel covered, idle years) of each idle-land feature that covers enough.
    let mut covering: Vec<(f64, Option<f64>)> = Vec::new();
    for i in idle.index().query_rect(rect) {
        if idle.idle_kind(i) != Some(IdleKind::IdleLand) {
            continue;
        }
        let share = overlap_area(parcel, idle.geometry(i)) / a.metrics.area_m2;
        if share >= rules.idle_overlap_min_share {
            covering.push((share, idle.number(i, Semantic::IdleYears)));
        }
    }
    if covering.is_empty() {
        return;
    }
    let years = covering
        .iter()
        .filter_map(|c| c.1)
        .fold(None, |m: Option<f64>, y| Some(m.map_or(y, |m| m.max(y))));
    let share = covering.iter().map(|c| c.0).fold(0.0, f64::max);
    a.idle_years = years;
    match years {
        Some(y) if y >= rules.min_idle_years => {
            a.is_idle = true;
            a.findings.push(Finding {
                rule: LandRule::IdleLayer,
                value: Some(y),
                threshold: Some(rules.min_idle_years),
                message: format!(
                    "idle land for {y} years, at least {} (闲置土地, 部令53号 art. 2); the idle layer covers {:.0}% of the parcel",
                    rules.min_idle_years,
                    share * 100.0
                ),
            });
        }
        Some(y) => a.notes.push(format!(
            "the idle layer marks it idle land for {y} years, less than {} (闲置土地, 部令53号 art. 2): not flagged",
            rules.min_idle_years
        )),
        None => {
            a.is_idle = true;
            a.findings.push(Finding {
                rule: LandRule::IdleLayer,
                value: None,
                threshold: Some(rules.min_idle_years),
                message: format!(
                    "idle land in the idle layer (闲置土地), covering {:.0}% of the parcel; idle years not recorded",
                    share * 100.0
                ),
            });
        }
    }
}

fn overlap_area(a: &Geometry<f64>, b: &Geometry<f64>) -> f64 {
    use geo::BooleanOps;
    let (a, b) = (polygons(a), polygons(b));
    let a = geo::MultiPolygon::new(a.into_iter().cloned().collect());
    let b = geo::MultiPolygon::new(b.into_iter().cloned().collect());
    a.intersection(&b).unsigned_area()
}

fn assess_use(rules: &LandEfficiencyRules, a: &mut LandAssessment) {
    let Some(code) = a.land_use.clone() else {
        a.notes.push(
            "land use not recorded: FAR and coverage not held against a land-use minimum".into(),
        );
        return;
    };
    let Some(class) = rules
        .use_classes
        .iter()
        .find(|c| code_matches(&code, &c.codes))
    else {
        return;
    };
    a.use_class = Some(class.name.clone());
    let m = &a.metrics;
    if let Some(min) = class.min_far {
        match m.far {
            Some(far) if far < min => {
                a.is_low_efficiency = true;
                a.findings.push(Finding {
                    rule: LandRule::LowFar,
                    value: Some(far),
                    threshold: Some(min),
                    message: format!(
                        "FAR {far:.2} below {min} for {} land {code} (容积率)",
                        class.name
                    ),
                });
            }
            Some(_) => {}
            None if m.area_m2 <= 0.0 => a.notes.push("FAR not assessed: no area".into()),
            None => a.notes.push(format!(
                "FAR not assessed: no floor count or floor area on {} of {} buildings",
                m.buildings_without_floor_area,
                m.buildings.len()
            )),
        }
    }
    if let Some(min) = class.min_coverage {
        if let Some(coverage) = m.coverage.filter(|c| *c < min) {
            a.is_low_efficiency = true;
            a.findings.push(Finding {
                rule: LandRule::LowCoverage,
                value: Some(coverage),
                threshold: Some(min),
                message: format!(
                    "building coverage {:.0}% below {:.0}% for {} land {code} (建筑密度)",
                    coverage * 100.0,
                    min * 100.0,
                    class.name
                ),
            });
        }
    }
}

fn assess_shape(rules: &LandEfficiencyRules, a: &mut LandAssessment) {
    let m = &a.metrics;
    let mut found = Vec::new();
    if m.area_m2 < rules.fragment_max_area_m2 {
        found.push(Finding {
            rule: LandRule::Small,
            value: Some(m.area_m2),
            threshold: Some(rules.fragment_max_area_m2),
            message: format!(
                "area {:.0} m² below {} m² (零星地块)",
                m.area_m2, rules.fragment_max_area_m2
            ),
        });
    }
    if let Some(width) = m.min_width_m.filter(|w| *w < rules.fragment_min_width_m) {
        found.push(Finding {
            rule: LandRule::Narrow,
            value: Some(width),
            threshold: Some(rules.fragment_min_width_m),
            message: format!(
                "at most {:.1} m wide (largest inscribed circle), below {} m (狭长地块)",
                width, rules.fragment_min_width_m
            ),
        });
    }
    if let Some(c) = m
        .compactness
        .filter(|c| *c < rules.fragment_min_compactness)
    {
        found.push(Finding {
            rule: LandRule::Irregular,
            value: Some(c),
            threshold: Some(rules.fragment_min_compactness),
            message: format!(
                "compactness {c:.2} below {} (Polsby–Popper 4πA/P², 形状不规则)",
                rules.fragment_min_compactness
            ),
        });
    }
    a.is_fragmented = !found.is_empty();
    a.findings.extend(found);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fields::{default_values, FieldBinding};
    use crate::model::layer::LayerSource;
    use crate::model::{Attributes, FieldDef, FieldKind, OwnedValue, Role};
    use geo::{polygon, Rect};
    use proptest::prelude::*;

    fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> Geometry<f64> {
        Geometry::Polygon(Rect::new((x0, y0), (x1, y1)).to_polygon())
    }

    /// A layer of `role` with one field per semantic, values given per record.
    fn layer(
        role: Role,
        geometries: Vec<Geometry<f64>>,
        fields: &[(&str, Semantic, FieldKind)],
        rows: &[Vec<OwnedValue>],
    ) -> Layer {
        let mut attributes = Attributes::new(
            fields
                .iter()
                .map(|(name, _, kind)| FieldDef {
                    name: (*name).to_string(),
                    kind: *kind,
                })
                .collect(),
        );
        for row in rows {
            attributes
                .push_record(row.iter().map(OwnedValue::as_value))
                .unwrap();
        }
        let bindings = fields
            .iter()
            .enumerate()
            .map(|(field, (name, semantic, _))| FieldBinding {
                semantic: *semantic,
                field,
                field_name: (*name).to_string(),
                source: "default name",
                values: default_values(*semantic),
            })
            .collect();
        let source = LayerSource {
            path: "test".into(),
            files: Vec::new(),
            format: "test".into(),
            encoding: None,
            encoding_how: None,
            crs_epsg: 4549,
            crs_how: "test".into(),
        };
        Layer::new(
            role,
            source,
            geometries,
            attributes,
            bindings,
            Vec::new(),
            Vec::new(),
        )
    }

    fn text(s: &str) -> OwnedValue {
        OwnedValue::Text(s.into())
    }

    fn parcels(geometries: Vec<Geometry<f64>>, codes: &[&str]) -> Layer {
        let rows: Vec<_> = codes.iter().map(|c| vec![text(c)]).collect();
        layer(
            Role::Parcels,
            geometries,
            &[("DLBM", Semantic::LandUse, FieldKind::Text)],
            &rows,
        )
    }

    /// Buildings with floors only (`None` = blank).
    fn buildings(geometries: Vec<Geometry<f64>>, floors: &[Option<i64>]) -> Layer {
        let rows: Vec<_> = floors
            .iter()
            .map(|f| vec![f.map_or(OwnedValue::Null, OwnedValue::Integer)])
            .collect();
        layer(
            Role::Buildings,
            geometries,
            &[("CS", Semantic::Floors, FieldKind::Integer)],
            &rows,
        )
    }

    fn rules_of(a: &LandAssessment) -> Vec<LandRule> {
        a.findings.iter().map(|f| f.rule).collect()
    }

    #[test]
    fn metrics_of_a_square_parcel_with_two_buildings() {
        let p = parcels(vec![rect(0.0, 0.0, 100.0, 100.0)], &["0701"]);
        let b = buildings(
            vec![rect(10.0, 10.0, 30.0, 30.0), rect(50.0, 50.0, 60.0, 70.0)],
            &[Some(6), Some(2)],
        );
        let m = &parcel_metrics(&p, &b)[0];
        assert_eq!(m.buildings, vec![0, 1]);
        assert!((m.area_m2 - 10_000.0).abs() < 1e-9);
        assert!((m.footprint_m2 - 600.0).abs() < 1e-9);
        assert_eq!(m.floor_area_m2, Some(400.0 * 6.0 + 200.0 * 2.0));
        assert_eq!(m.far, Some(0.28));
        assert_eq!(m.coverage, Some(0.06));
        assert_eq!(m.floor_area_from_floors, 2);
        let c = m.compactness.unwrap();
        assert!((c - std::f64::consts::FRAC_PI_4).abs() < 1e-12, "{c}");
        let width = m.min_width_m.unwrap();
        assert!((width - 100.0).abs() <= 0.5, "{width}");
    }

    #[test]
    fn min_width_sees_a_narrow_strip_and_the_arm_of_an_l() {
        let strip = rect(0.0, 0.0, 200.0, 8.0);
        // An L of two 6 m arms, 100 m long: its minimum rotated rectangle is 100 m wide.
        let l_shape = Geometry::Polygon(polygon![
            (x: 0.0, y: 0.0), (x: 100.0, y: 0.0), (x: 100.0, y: 6.0), (x: 6.0, y: 6.0),
            (x: 6.0, y: 100.0), (x: 0.0, y: 100.0), (x: 0.0, y: 0.0)
        ]);
        let p = parcels(vec![strip, l_shape], &["05H1", "05H1"]);
        let b = buildings(Vec::new(), &[]);
        let m = parcel_metrics(&p, &b);
        let (strip, l_shape) = (m[0].min_width_m.unwrap(), m[1].min_width_m.unwrap());
        assert!((strip - 8.0).abs() <= 0.5, "{strip}");
        // The widest spot of an L is its corner, a little wider than an arm.
        assert!(
            (5.5..6.0 * 2.0_f64.sqrt() * 1.2).contains(&l_shape),
            "{l_shape}"
        );
    }

    #[test]
    fn floor_area_field_wins_over_floors_and_missing_floors_give_no_far() {
        let p = parcels(
            vec![rect(0.0, 0.0, 100.0, 100.0), rect(100.0, 0.0, 200.0, 100.0)],
            &["0601", "0601"],
        );
        let rows = vec![
            vec![OwnedValue::Integer(2), OwnedValue::Number(5000.0)],
            vec![OwnedValue::Integer(2), OwnedValue::Null],
            vec![OwnedValue::Null, OwnedValue::Null],
            vec![OwnedValue::Integer(0), OwnedValue::Number(0.0)],
        ];
        let b = layer(
            Role::Buildings,
            vec![
                rect(10.0, 10.0, 20.0, 20.0),
                rect(30.0, 30.0, 40.0, 40.0),
                rect(110.0, 10.0, 120.0, 20.0),
                rect(130.0, 10.0, 140.0, 20.0),
            ],
            &[
                ("CS", Semantic::Floors, FieldKind::Integer),
                ("JZMJ", Semantic::FloorArea, FieldKind::Number),
            ],
            &rows,
        );
        let result = assess_land(&p, &b, None, &LandEfficiencyRules::default());
        let first = &result.parcels[0];
        assert_eq!(first.metrics.floor_area_m2, Some(5000.0 + 200.0));
        assert_eq!(first.metrics.floor_area_from_field, 1);
        assert_eq!(first.metrics.floor_area_from_floors, 1);
        let second = &result.parcels[1];
        assert_eq!(second.metrics.far, None);
        assert_eq!(second.metrics.buildings_without_floor_area, 2);
        assert!(!rules_of(second).contains(&LandRule::LowFar));
        assert!(
            second
                .notes
                .iter()
                .any(|n| n == "FAR not assessed: no floor count or floor area on 2 of 2 buildings"),
            "{:?}",
            second.notes
        );
        // Coverage needs no floors: 2% is below the industrial 30%.
        assert!(rules_of(second).contains(&LandRule::LowCoverage));
    }

    #[test]
    fn a_building_on_a_shared_edge_goes_to_the_lower_parcel() {
        let p = parcels(
            vec![rect(100.0, 0.0, 200.0, 100.0), rect(0.0, 0.0, 100.0, 100.0)],
            &["0701", "0701"],
        );
        // Centred on x = 100: its interior point lies on the shared edge.
        let b = buildings(vec![rect(90.0, 40.0, 110.0, 60.0)], &[Some(3)]);
        assert_eq!(building_parcels(&p, &b), vec![Some(0)]);
        let outside = buildings(vec![rect(300.0, 0.0, 310.0, 10.0)], &[Some(3)]);
        assert_eq!(building_parcels(&p, &outside), vec![None]);
        let result = assess_land(&p, &outside, None, &LandEfficiencyRules::default());
        assert_eq!(result.unassigned_buildings, vec![0]);
    }

    #[test]
    fn low_far_finding_names_value_threshold_and_use() {
        let p = parcels(vec![rect(0.0, 0.0, 100.0, 100.0)], &["0601"]);
        // 3,500 m² floor area on 10,000 m²: FAR 0.35; footprint 35%.
        let b = buildings(vec![rect(0.0, 0.0, 50.0, 70.0)], &[Some(1)]);
        let a = &assess_land(&p, &b, None, &LandEfficiencyRules::default()).parcels[0];
        assert_eq!(a.use_class.as_deref(), Some("industrial"));
        assert!(a.is_low_efficiency && !a.is_fragmented && !a.is_idle);
        assert_eq!(a.findings.len(), 1);
        let f = &a.findings[0];
        assert_eq!(f.rule, LandRule::LowFar);
        assert_eq!((f.value, f.threshold), (Some(0.35), Some(0.6)));
        assert_eq!(
            f.message,
            "FAR 0.35 below 0.6 for industrial land 0601 (容积率)"
        );
        assert!(a.is_stock());
    }

    #[test]
    fn an_empty_commercial_parcel_has_far_zero_and_is_low_efficiency() {
        let p = parcels(vec![rect(0.0, 0.0, 100.0, 100.0)], &["05H1"]);
        let a = &assess_land(&p, &buildings(Vec::new(), &[]), None, &Default::default()).parcels[0];
        assert_eq!(a.metrics.far, Some(0.0));
        assert_eq!(rules_of(a), vec![LandRule::LowFar, LandRule::LowCoverage]);
    }

    #[test]
    fn excluded_uses_say_why_and_carry_no_flag() {
        let strip = rect(0.0, 0.0, 300.0, 10.0);
        let p = parcels(
            vec![
                strip.clone(),
                strip.clone(),
                strip.clone(),
                strip.clone(),
                strip,
            ],
            &["1004", "1104", "0810", "09", "1005"],
        );
        let result = assess_land(&p, &buildings(Vec::new(), &[]), None, &Default::default());
        let reasons: Vec<_> = result
            .parcels
            .iter()
            .map(|a| a.excluded.as_ref().map(|e| e.reason.as_str()))
            .collect();
        assert_eq!(
            reasons,
            vec![
                Some("road or transport line (交通运输用地)"),
                Some("water (水域及水利设施用地)"),
                Some("park or green space (公园与绿地)"),
                Some("special use (特殊用地)"),
                None,
            ]
        );
        for a in &result.parcels[..4] {
            assert!(a.findings.is_empty() && !a.is_stock());
            assert_eq!(a.metrics.min_width_m, None);
        }
        // A station or car park site is assessed: here narrow and irregular.
        assert_eq!(
            rules_of(&result.parcels[4]),
            vec![LandRule::Narrow, LandRule::Irregular]
        );
    }

    #[test]
    fn missing_land_use_is_noted_and_shape_still_assessed() {
        let p = layer(
            Role::Parcels,
            vec![rect(0.0, 0.0, 30.0, 30.0)],
            &[("DLBM", Semantic::LandUse, FieldKind::Text)],
            &[vec![OwnedValue::Null]],
        );
        let a = &assess_land(&p, &buildings(Vec::new(), &[]), None, &Default::default()).parcels[0];
        assert_eq!(a.land_use, None);
        assert_eq!(rules_of(a), vec![LandRule::Small]);
        assert_eq!(
            a.findings[0].message,
            "area 900 m² below 2000 m² (零星地块)"
        );
        assert!(a.notes[0].starts_with("land use not recorded"));
    }

    #[test]
    fn idle_by_code_and_by_the_idle_layer_with_its_years() {
        let p = parcels(
            vec![
                rect(0.0, 0.0, 100.0, 100.0),
                rect(100.0, 0.0, 200.0, 100.0),
                rect(200.0, 0.0, 300.0, 100.0),
                rect(300.0, 0.0, 400.0, 100.0),
            ],
            &["1201", "0701", "0701", "0701"],
        );
        let idle = layer(
            Role::Idle,
            vec![
                rect(100.0, 0.0, 200.0, 100.0),
                rect(200.0, 0.0, 300.0, 100.0),
                rect(300.0, 0.0, 320.0, 100.0),
                rect(300.0, 0.0, 400.0, 100.0),
            ],
            &[
                ("ZYLX", Semantic::IdleKind, FieldKind::Text),
                ("XZNX", Semantic::IdleYears, FieldKind::Number),
            ],
            &[
                vec![text("闲置土地"), OwnedValue::Number(3.0)],
                vec![text("闲置土地"), OwnedValue::Number(0.5)],
                // Too small a share of parcel 3 …
                vec![text("闲置土地"), OwnedValue::Number(5.0)],
                // … and a building, not land.
                vec![text("闲置房屋"), OwnedValue::Number(5.0)],
            ],
        );
        let b = buildings(Vec::new(), &[]);
        let result = assess_land(&p, &b, Some(&idle), &Default::default());
        let [code, layer_idle, too_recent, not_land] = &result.parcels[..] else {
            panic!()
        };
        assert!(code.is_idle);
        assert_eq!(code.findings[0].rule, LandRule::IdleLandUse);
        assert!(layer_idle.is_idle);
        assert_eq!(layer_idle.idle_years, Some(3.0));
        let f = &layer_idle.findings[0];
        assert_eq!(
            (f.rule, f.value, f.threshold),
            (LandRule::IdleLayer, Some(3.0), Some(1.0))
        );
        assert!(!too_recent.is_idle);
        assert_eq!(too_recent.idle_years, Some(0.5));
        assert!(too_recent.notes.iter().any(|n| n.contains("0.5 years")));
        assert!(!not_land.is_idle && not_land.idle_years.is_none());
    }

    #[test]
    fn rules_read_from_toml_with_defaults_and_refuse_unknown_keys() {
        let rules: LandEfficiencyRules = toml::from_str(
            r#"
            min_idle_years = 2.0
            [[use_classes]]
            name = "industrial"
            codes = ["0601"]
            min_coverage = 0.4
            "#,
        )
        .unwrap();
        assert_eq!(rules.min_idle_years, 2.0);
        assert_eq!(rules.use_classes.len(), 1);
        assert_eq!(rules.use_classes[0].min_far, None);
        assert_eq!(rules.excluded, LandEfficiencyRules::default().excluded);
        let err = toml::from_str::<LandEfficiencyRules>("min_far = 1.0").unwrap_err();
        assert!(err.to_string().contains("min_far"), "{err}");
        let back: LandEfficiencyRules =
            toml::from_str(&toml::to_string(&LandEfficiencyRules::default()).unwrap()).unwrap();
        assert_eq!(back, LandEfficiencyRules::default());
    }

    #[test]
    fn validation_names_the_key() {
        assert_eq!(LandEfficiencyRules::default().validate(), Ok(()));
        let mut rules = LandEfficiencyRules::default();
        rules.use_classes[2].min_far = Some(-1.0);
        let err = rules.validate().unwrap_err();
        assert_eq!(
            err.to_string(),
            "land_efficiency.use_classes[2].min_far = -1: must be a finite number ≥ 0"
        );
        let rules = LandEfficiencyRules {
            idle_overlap_min_share: 1.5,
            ..LandEfficiencyRules::default()
        };
        assert!(rules
            .validate()
            .unwrap_err()
            .to_string()
            .contains("idle_overlap_min_share"));
    }

    #[test]
    fn codes_match_as_prefixes_ignoring_case() {
        let codes = vec!["11".to_string(), "0810".to_string(), "05h1".to_string()];
        for hit in ["1101", "11", " 1104 ", "0810A", "05H1"] {
            assert!(code_matches(hit, &codes), "{hit}");
        }
        for miss in ["1", "0811", "1011", "", "08"] {
            assert!(!code_matches(miss, &codes), "{miss}");
        }
        assert!(!code_matches("空闲", &["空闲地".to_string()]));
    }

    #[test]
    fn parallel_map_keeps_order() {
        for n in [0, 1, 511, 512, 2049, 10_000] {
            assert_eq!(
                parallel_map(n, |i| i * 2),
                (0..n).map(|i| i * 2).collect::<Vec<_>>()
            );
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(32))]

        /// The R-tree assignment equals a linear scan over every parcel, and FAR and coverage
        /// equal sums over that scan.
        #[test]
        fn assignment_and_sums_match_a_linear_scan(
            cells in 1usize..6,
            raw in prop::collection::vec((0.0..500.0f64, 0.0..500.0f64, 1.0..40.0f64, 1.0..40.0f64, 1i64..20), 0..200),
        ) {
            let size = 500.0 / cells as f64;
            let mut grid = Vec::new();
            for i in 0..cells {
                for j in 0..cells {
                    let (x, y) = (i as f64 * size, j as f64 * size);
                    grid.push(rect(x, y, x + size, y + size));
                }
            }
            let codes = vec!["0701"; grid.len()];
            let p = parcels(grid, &codes);
            let geoms: Vec<_> = raw.iter().map(|&(x, y, w, h, _)| rect(x, y, x + w, y + h)).collect();
            let floors: Vec<_> = raw.iter().map(|r| Some(r.4)).collect();
            let b = buildings(geoms, &floors);
            let fast = building_parcels(&p, &b);
            let slow: Vec<Option<usize>> = (0..b.len())
                .map(|i| {
                    let point = b.geometry(i).interior_point().unwrap();
                    (0..p.len()).find(|&j| p.geometry(j).intersects(&point))
                })
                .collect();
            prop_assert_eq!(&fast, &slow);
            let metrics = parcel_metrics(&p, &b);
            for m in &metrics {
                let on: Vec<usize> = (0..b.len()).filter(|&i| slow[i] == Some(m.parcel)).collect();
                prop_assert_eq!(&m.buildings, &on);
                let floor_area: f64 = on.iter().map(|&i| b.geometry(i).unsigned_area() * raw[i].4 as f64).sum();
                let far = m.far.unwrap();
                prop_assert!((far * m.area_m2 - floor_area).abs() < 1e-6 * (1.0 + floor_area));
            }
        }
    }
}
