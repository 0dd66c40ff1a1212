//! The analysis configuration: facility standards (band, size, demand rule, site rules, which
//! stock may host each type), old-neighbourhood eligibility, population ratios, patch grouping and
//! candidate scoring. Defaults ship in `defaults.toml` beside this file, every value with its
//! source; a project overrides any key under `[analysis]` in its `infill.toml`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::model::{FacilityKind, OwnerType};
use crate::network::catchment::{DEFAULT_SPEED_M_PER_S, ELDERLY_SPEED_M_PER_S};

/// The shipped defaults, with a comment on every value's source.
pub const DEFAULTS_TOML: &str = include_str!("defaults.toml");

/// A bad analysis setting, naming the key.
#[derive(Debug, Error, PartialEq)]
pub enum StandardsError {
    /// A key is unknown, missing or of the wrong type (the key is the full dotted path).
    #[error("`{key}`: {message}")]
    Key {
        /// Full dotted key, e.g. `analysis.facilities.childcare.band_minutes`.
        key: String,
        /// What is wrong.
        message: String,
    },
}

impl StandardsError {
    fn key(key: impl Into<String>, message: impl Into<String>) -> StandardsError {
        StandardsError::Key {
            key: key.into(),
            message: message.into(),
        }
    }
}

/// Everything the analyses need to know besides the data.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AnalysisConfig {
    /// Old-neighbourhood eligibility.
    pub old: OldRules,
    /// Population ratios.
    pub population: PopulationRules,
    /// Renovation patches.
    pub patches: PatchRules,
    /// Stock-resource rules.
    pub stock: StockRules,
    /// Low-efficiency, fragmented and idle land: excluded uses, FAR and coverage minima,
    /// fragment thresholds (defaults and their sources in
    /// [`LandEfficiencyRules`](super::land_efficiency::LandEfficiencyRules)).
    #[serde(default)]
    pub land: super::land_efficiency::LandEfficiencyRules,
    /// Candidate scoring.
    pub scoring: Scoring,
    /// Facility standards by type id (`elderly_day_care`, `childcare` …).
    pub facilities: BTreeMap<String, FacilityStandard>,
}

/// Which neighbourhoods count as old (老旧小区).
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct OldRules {
    /// Built in this year or earlier (through 31 December).
    pub built_on_or_before: i32,
    /// Where the cut-off comes from.
    pub source_built_on_or_before: String,
    /// Leave out neighbourhoods whose land the parcel layer records as collective.
    pub require_state_land: bool,
}

/// Ratios that turn households into residents and age groups.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PopulationRules {
    /// Residential floor area per household, m² (households when the layer has no count).
    pub m2_per_household: f64,
    /// Source of `m2_per_household`.
    pub source_m2_per_household: String,
    /// Persons per household.
    pub persons_per_household: f64,
    /// Source of `persons_per_household`.
    pub source_persons_per_household: String,
    /// Share of residents aged 60 and over.
    pub elderly_share: f64,
    /// Source of `elderly_share`.
    pub source_elderly_share: String,
    /// Share of residents under 3.
    pub under3_share: f64,
    /// Source of `under3_share`.
    pub source_under3_share: String,
    /// Share of residents aged 3–6.
    pub age3to6_share: f64,
    /// Source of `age3to6_share`.
    pub source_age3to6_share: String,
}

/// How old neighbourhoods are grouped into renovation patches (成片改造).
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PatchRules {
    /// Neighbourhoods whose outlines come this close touch.
    pub touch_tolerance_m: f64,
    /// Neighbourhoods within this walking time of each other join a patch.
    pub max_walk_minutes: f64,
    /// Where the rule comes from.
    pub source: String,
}

/// Stock-resource rules.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct StockRules {
    /// A resource is near an old neighbourhood within this walking time (default profile).
    pub near_minutes: f64,
    /// Source of `near_minutes`.
    pub source_near_minutes: String,
    /// Owner-shared spaces smaller than this are left out, m².
    pub min_shared_space_m2: f64,
    /// Source of `min_shared_space_m2`.
    pub source_min_shared_space_m2: String,
}

/// Candidate score weights and ownership ease.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Scoring {
    /// Weight of the unmet demand a site would serve.
    pub unmet_demand: f64,
    /// Weight of how well its size fits the standard.
    pub size_fit: f64,
    /// Weight of ownership ease.
    pub ownership: f64,
    /// Weight of idle duration.
    pub idle_duration: f64,
    /// Weight of the land-efficiency gain.
    pub land_efficiency: f64,
    /// Ease (0–1) per owner type, plus `unknown`.
    pub ownership_ease: BTreeMap<String, f64>,
    /// Idle years at which the idle-duration factor reaches 1.
    pub idle_years_full: f64,
    /// Where the ordering comes from.
    pub source: String,
}

impl Scoring {
    /// Ownership ease of an owner type (`None`: the `unknown` value).
    pub fn ease(&self, owner: Option<OwnerType>) -> f64 {
        use crate::model::fields::Category;
        let key = owner.map(|o| o.canonical()).unwrap_or("unknown");
        self.ownership_ease.get(key).copied().unwrap_or(0.0)
    }
}

/// Whether a facility needs a building, land, or either.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum SiteNeed {
    /// Floor space in an existing building.
    Building,
    /// A site of land.
    Land,
    /// Either.
    Either,
}

/// Kinds of stock resource (存量资源).
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[serde(rename_all = "snake_case")]
pub enum StockKind {
    /// Idle land (闲置土地, 三调 1201 空闲地 or the idle layer).
    IdleLand,
    /// Low-efficiency land (城镇低效用地): low FAR or coverage for its use.
    LowEfficiencyLand,
    /// Fragmented land (零星碎片化土地): small, narrow or irregular.
    FragmentedLand,
    /// A vacant building of a government agency, institution or state firm (机关企事业单位空置房屋).
    VacantInstitutionalBuilding,
    /// Another idle building from the idle layer or a vacant building of another owner.
    IdleBuilding,
    /// Owner-shared space (业主共有: bike sheds, guard rooms, basements).
    SharedSpace,
}

impl StockKind {
    /// Every kind.
    pub const ALL: [StockKind; 6] = [
        StockKind::IdleLand,
        StockKind::LowEfficiencyLand,
        StockKind::FragmentedLand,
        StockKind::VacantInstitutionalBuilding,
        StockKind::IdleBuilding,
        StockKind::SharedSpace,
    ];

    /// The key used in config and output.
    pub fn key(self) -> &'static str {
        match self {
            StockKind::IdleLand => "idle_land",
            StockKind::LowEfficiencyLand => "low_efficiency_land",
            StockKind::FragmentedLand => "fragmented_land",
            StockKind::VacantInstitutionalBuilding => "vacant_institutional_building",
            StockKind::IdleBuilding => "idle_building",
            StockKind::SharedSpace => "shared_space",
        }
    }

    /// Chinese label.
    pub fn label_zh(self) -> &'static str {
        match self {
            StockKind::IdleLand => "闲置土地",
            StockKind::LowEfficiencyLand => "城镇低效用地",
            StockKind::FragmentedLand => "零星碎片化土地",
            StockKind::VacantInstitutionalBuilding => "机关企事业单位空置房屋",
            StockKind::IdleBuilding => "闲置房屋",
            StockKind::SharedSpace => "业主共有空间",
        }
    }

    /// Land (a site) rather than floor space in a building.
    pub fn is_land(self) -> bool {
        matches!(
            self,
            StockKind::IdleLand | StockKind::LowEfficiencyLand | StockKind::FragmentedLand
        )
    }

    /// Parse a key.
    pub fn parse(key: &str) -> Option<StockKind> {
        StockKind::ALL.into_iter().find(|k| k.key() == key)
    }
}

/// What a facility's demand is counted per.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum DemandBase {
    /// Per household.
    Households,
    /// Per resident.
    Residents,
    /// Per resident aged 60+.
    Elderly,
    /// Per child under 3.
    Under3,
    /// Per child aged 3–6.
    Age3to6,
    /// One facility within the band serves the neighbourhood.
    Coverage,
}

/// A demand rule: `amount` units per one of `per`.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DemandRule {
    /// What the demand is counted per.
    pub per: DemandBase,
    /// Units per one (per household, per resident …); 1 for coverage.
    pub amount: f64,
    /// The unit: `m2`, `beds`, `places`, `spaces`, `facilities`.
    pub unit: String,
}

/// One facility type's standard.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FacilityStandard {
    /// Chinese name.
    pub name: String,
    /// The facilities-layer kind that counts as existing supply.
    pub kind: String,
    /// The life circle it must lie within, minutes.
    pub band_minutes: f64,
    /// Walking profile for the band: `default` or `elderly`.
    pub profile: String,
    /// Building, land or either.
    pub site: SiteNeed,
    /// Stock kinds that may host it.
    pub hosts: Vec<StockKind>,
    /// Minimum usable floor area, m² (building sites).
    #[serde(default)]
    pub min_floor_area_m2: Option<f64>,
    /// Floor area beyond which the extra space is not needed, m².
    #[serde(default)]
    pub max_floor_area_m2: Option<f64>,
    /// Minimum land area, m² (land sites).
    #[serde(default)]
    pub min_land_area_m2: Option<f64>,
    /// Land area beyond which the extra land is not needed, m².
    #[serde(default)]
    pub max_land_area_m2: Option<f64>,
    /// Highest storey that may be used (floor space above it does not count).
    #[serde(default)]
    pub max_floor: Option<u32>,
    /// The demand rule.
    pub demand: DemandRule,
    /// Supply counted for an existing facility whose capacity is missing or in another unit.
    pub default_supply: f64,
    /// Where the values come from.
    pub sources: Vec<String>,
}

impl FacilityStandard {
    /// Walking speed of the type's profile, m/s.
    pub fn speed_m_per_s(&self) -> f64 {
        if self.profile == "elderly" {
            ELDERLY_SPEED_M_PER_S
        } else {
            DEFAULT_SPEED_M_PER_S
        }
    }

    /// The band as a walking distance at the profile's speed, metres.
    pub fn band_m(&self) -> f64 {
        self.band_minutes * 60.0 * self.speed_m_per_s()
    }

    /// The facilities-layer kind.
    pub fn facility_kind(&self) -> Option<FacilityKind> {
        use crate::model::fields::Category;
        FacilityKind::from_canonical(&self.kind)
    }

    /// Whether a stock kind may host it.
    pub fn hosted_by(&self, kind: StockKind) -> bool {
        self.hosts.contains(&kind)
    }
}

impl Default for AnalysisConfig {
    fn default() -> Self {
        // The shipped defaults are tested to parse (see the tests below); a failure here is a
        // build defect, never user input.
        #[allow(clippy::expect_used)]
        AnalysisConfig::with_overrides(None).expect("the shipped analysis defaults parse")
    }
}

impl AnalysisConfig {
    /// The defaults with a project's `[analysis]` table merged over them key by key. Errors name
    /// the full key (`analysis.facilities.childcare.band_minutes`).
    pub fn with_overrides(overrides: Option<&toml::Table>) -> Result<Self, StandardsError> {
        let mut table: toml::Table = DEFAULTS_TOML
            .parse()
            .map_err(|e: toml::de::Error| StandardsError::key("analysis", e.to_string()))?;
        if let Some(o) = overrides {
            merge(&mut table, o);
        }
        let de = toml::Value::Table(table);
        let config: AnalysisConfig = serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            let key = if path == "." || path.is_empty() {
                "analysis".to_string()
            } else {
                format!("analysis.{path}")
            };
            StandardsError::key(key, e.into_inner().to_string())
        })?;
        config.validate()?;
        Ok(config)
    }

    /// Values that parse but make no sense.
    fn validate(&self) -> Result<(), StandardsError> {
        let positive = |key: String, v: f64| {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err(StandardsError::key(
                    key,
                    format!("must be a positive number, not {v}"),
                ))
            }
        };
        let share = |key: String, v: f64| {
            if (0.0..=1.0).contains(&v) {
                Ok(())
            } else {
                Err(StandardsError::key(
                    key,
                    format!("must be between 0 and 1, not {v}"),
                ))
            }
        };
        let p = &self.population;
        positive(
            "analysis.population.m2_per_household".into(),
            p.m2_per_household,
        )?;
        positive(
            "analysis.population.persons_per_household".into(),
            p.persons_per_household,
        )?;
        share("analysis.population.elderly_share".into(), p.elderly_share)?;
        share("analysis.population.under3_share".into(), p.under3_share)?;
        share("analysis.population.age3to6_share".into(), p.age3to6_share)?;
        positive(
            "analysis.stock.near_minutes".into(),
            self.stock.near_minutes,
        )?;
        if !(self.patches.max_walk_minutes >= 0.0 && self.patches.touch_tolerance_m >= 0.0) {
            return Err(StandardsError::key(
                "analysis.patches",
                "max_walk_minutes and touch_tolerance_m must be ≥ 0",
            ));
        }
        let s = &self.scoring;
        for (k, w) in [
            ("unmet_demand", s.unmet_demand),
            ("size_fit", s.size_fit),
            ("ownership", s.ownership),
            ("idle_duration", s.idle_duration),
            ("land_efficiency", s.land_efficiency),
        ] {
            if !(w.is_finite() && w >= 0.0) {
                return Err(StandardsError::key(
                    format!("analysis.scoring.{k}"),
                    format!("a weight must be ≥ 0, not {w}"),
                ));
            }
        }
        if s.unmet_demand + s.size_fit + s.ownership + s.idle_duration + s.land_efficiency <= 0.0 {
            return Err(StandardsError::key(
                "analysis.scoring",
                "at least one weight must be positive",
            ));
        }
        for (owner, v) in &s.ownership_ease {
            use crate::model::fields::Category;
            if owner != "unknown" && OwnerType::from_canonical(owner).is_none() {
                return Err(StandardsError::key(
                    format!("analysis.scoring.ownership_ease.{owner}"),
                    format!(
                        "unknown owner type; known: {}, unknown",
                        OwnerType::ALL
                            .iter()
                            .map(|o| o.canonical())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
            }
            share(format!("analysis.scoring.ownership_ease.{owner}"), *v)?;
        }
        positive("analysis.scoring.idle_years_full".into(), s.idle_years_full)?;
        for (id, f) in &self.facilities {
            let key = |k: &str| format!("analysis.facilities.{id}.{k}");
            if f.facility_kind().is_none() {
                use crate::model::fields::Category;
                return Err(StandardsError::key(
                    key("kind"),
                    format!(
                        "unknown facility kind {:?}; known: {}",
                        f.kind,
                        FacilityKind::ALL
                            .iter()
                            .map(|k| k.canonical())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
            }
            positive(key("band_minutes"), f.band_minutes)?;
            if f.profile != "default" && f.profile != "elderly" {
                return Err(StandardsError::key(
                    key("profile"),
                    format!(
                        "unknown walking profile {:?} (known: default, elderly)",
                        f.profile
                    ),
                ));
            }
            if f.hosts.is_empty() {
                return Err(StandardsError::key(
                    key("hosts"),
                    "no stock kind may host it",
                ));
            }
            for (k, v) in [
                ("min_floor_area_m2", f.min_floor_area_m2),
                ("max_floor_area_m2", f.max_floor_area_m2),
                ("min_land_area_m2", f.min_land_area_m2),
                ("max_land_area_m2", f.max_land_area_m2),
            ] {
                if let Some(v) = v {
                    if !(v.is_finite() && v >= 0.0) {
                        return Err(StandardsError::key(key(k), format!("must be ≥ 0, not {v}")));
                    }
                }
            }
            if let (Some(a), Some(b)) = (f.min_floor_area_m2, f.max_floor_area_m2) {
                if a > b {
                    return Err(StandardsError::key(
                        key("max_floor_area_m2"),
                        format!("{b} is below min_floor_area_m2 {a}"),
                    ));
                }
            }
            if let (Some(a), Some(b)) = (f.min_land_area_m2, f.max_land_area_m2) {
                if a > b {
                    return Err(StandardsError::key(
                        key("max_land_area_m2"),
                        format!("{b} is below min_land_area_m2 {a}"),
                    ));
                }
            }
            if f.max_floor == Some(0) {
                return Err(StandardsError::key(key("max_floor"), "must be 1 or more"));
            }
            if !(f.demand.amount.is_finite() && f.demand.amount >= 0.0) {
                return Err(StandardsError::key(
                    key("demand.amount"),
                    format!("must be ≥ 0, not {}", f.demand.amount),
                ));
            }
            if !matches!(
                f.demand.unit.as_str(),
                "m2" | "beds" | "places" | "spaces" | "facilities"
            ) {
                return Err(StandardsError::key(
                    key("demand.unit"),
                    format!(
                        "unknown unit {:?} (known: m2, beds, places, spaces, facilities)",
                        f.demand.unit
                    ),
                ));
            }
            if !(f.default_supply.is_finite() && f.default_supply >= 0.0) {
                return Err(StandardsError::key(key("default_supply"), "must be ≥ 0"));
            }
            if f.sources.is_empty() {
                return Err(StandardsError::key(
                    key("sources"),
                    "say where the values come from (a standard, a policy, or \"local assumption\")",
                ));
            }
        }
        Ok(())
    }

    /// The facility types to analyse: all, or those named (unknown names are an error naming
    /// the known ones).
    pub fn select(&self, names: &[String]) -> Result<Vec<String>, StandardsError> {
        if names.is_empty() {
            return Ok(self.facilities.keys().cloned().collect());
        }
        names
            .iter()
            .map(|n| {
                if self.facilities.contains_key(n) {
                    Ok(n.clone())
                } else {
                    Err(StandardsError::key(
                        format!("facility {n}"),
                        format!(
                            "unknown facility type; known: {}",
                            self.facilities
                                .keys()
                                .cloned()
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    ))
                }
            })
            .collect()
    }
}

/// Merge `over` into `base`: tables merge key by key, anything else replaces.
fn merge(base: &mut toml::Table, over: &toml::Table) {
    for (k, v) in over {
        match (base.get_mut(k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            _ => {
                base.insert(k.clone(), v.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(text: &str) -> Result<AnalysisConfig, StandardsError> {
        let t: toml::Table = text.parse().unwrap();
        AnalysisConfig::with_overrides(Some(&t))
    }

    #[test]
    fn the_shipped_defaults_parse_and_cite_a_source_for_every_type() {
        let c = AnalysisConfig::default();
        for id in [
            "elderly_day_care",
            "nursing_home",
            "childcare",
            "kindergarten",
            "parking",
            "clinic",
            "canteen",
            "fitness",
            "culture",
        ] {
            let f = &c.facilities[id];
            assert!(!f.sources.is_empty(), "{id}");
            assert!(f.facility_kind().is_some(), "{id}");
        }
        assert_eq!(
            c.facilities["elderly_day_care"].min_floor_area_m2,
            Some(350.0)
        );
        assert_eq!(c.facilities["childcare"].max_floor, Some(3));
        assert_eq!(c.old.built_on_or_before, 2005);
    }

    #[test]
    fn overrides_merge_key_by_key() {
        let c = with(
            "[facilities.childcare]\nband_minutes = 10.0\n[population]\nm2_per_household = 80.0",
        )
        .unwrap();
        assert_eq!(c.facilities["childcare"].band_minutes, 10.0);
        assert_eq!(c.facilities["childcare"].max_floor, Some(3));
        assert_eq!(c.population.m2_per_household, 80.0);
        assert_eq!(c.population.persons_per_household, 2.62);
    }

    #[test]
    fn a_project_can_add_a_facility_type() {
        let c = with(
            r#"[facilities.bike_parking]
            name = "非机动车停车场"
            kind = "parking"
            band_minutes = 5.0
            profile = "default"
            site = "land"
            hosts = ["fragmented_land"]
            demand = { per = "households", amount = 1.0, unit = "spaces" }
            default_supply = 20.0
            sources = ["local assumption"]"#,
        )
        .unwrap();
        assert!(c.facilities.contains_key("bike_parking"));
    }

    #[test]
    fn errors_name_the_key() {
        let cases = [
            ("[facilities.childcare]\nband_minute = 10.0", "analysis.facilities.childcare"),
            ("[facilities.childcare]\nband_minutes = \"ten\"", "analysis.facilities.childcare.band_minutes"),
            ("[facilities.childcare]\nband_minutes = -5.0", "analysis.facilities.childcare.band_minutes"),
            ("[facilities.childcare]\nhosts = [\"castle\"]", "analysis.facilities.childcare.hosts"),
            ("[facilities.childcare]\nprofile = \"runner\"", "analysis.facilities.childcare.profile"),
            ("[facilities.childcare]\nkind = \"spa\"", "analysis.facilities.childcare.kind"),
            ("[facilities.childcare]\ndemand = { per = \"cats\", amount = 1.0, unit = \"places\" }", "analysis.facilities.childcare.demand.per"),
            ("[population]\nelderly_share = 1.5", "analysis.population.elderly_share"),
            ("[scoring]\nsize_fit = -1.0", "analysis.scoring.size_fit"),
            ("[scoring.ownership_ease]\nmartians = 0.5", "analysis.scoring.ownership_ease.martians"),
            ("[facilities.new_type]\nname = \"x\"", "analysis.facilities.new_type"),
            ("[old]\nbuilt_on_or_before = \"2005\"", "analysis.old.built_on_or_before"),
        ];
        for (text, key) in cases {
            let e = with(text).unwrap_err().to_string();
            assert!(e.contains(key), "{key} not in {e}");
        }
    }

    #[test]
    fn selecting_an_unknown_type_names_the_known_ones() {
        let c = AnalysisConfig::default();
        let e = c.select(&["daycare".into()]).unwrap_err().to_string();
        assert!(e.contains("elderly_day_care"), "{e}");
        assert_eq!(c.select(&[]).unwrap().len(), 9);
    }
}
