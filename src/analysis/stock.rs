//! Stock resources (存量资源), each with its reasons: vacant buildings of government agencies,
//! institutions and state firms (机关企事业单位空置房屋), idle buildings and owner-shared spaces
//! from the idle layer, and idle, low-efficiency and fragmented land from the parcel assessment
//! ([`land_efficiency`](super::land_efficiency)). A building or parcel that several sources name
//! becomes one resource with every reason.

use geo::{Area, BoundingRect, Coord, Geometry, InteriorPoint, Intersects};
use serde::Serialize;

use super::land_efficiency::{assess_land, LandEfficiency, LandEfficiencyRules, LandRule};
use super::standards::{StockKind, StockRules};
use crate::model::{IdleKind, Layer, OwnerType, Role, Semantic};

/// Where a resource comes from: a record of an input layer.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct SourceRef {
    /// The layer's role.
    pub role: Role,
    /// Record number, 1-based as in the source file.
    pub record: usize,
    /// The record's id field, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

/// One reason a resource is stock: the rule, what was measured, the threshold, a sentence.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Reason {
    /// Rule key (`vacant_institutional`, `idle_land`, `low_far` …).
    pub rule: String,
    /// The measured value, when the rule measures one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
    /// The threshold it was compared with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f64>,
    /// A sentence a planner can read.
    pub text: String,
}

impl Reason {
    fn text(rule: &str, text: impl Into<String>) -> Reason {
        Reason {
            rule: rule.into(),
            value: None,
            threshold: None,
            text: text.into(),
        }
    }
}

/// An old neighbourhood within walking reach of a resource.
#[derive(Clone, Copy, Debug, Serialize, PartialEq)]
pub struct Near {
    /// Index into the neighbourhood inventory.
    pub neighbourhood: usize,
    /// Network walking distance, effective metres.
    pub distance_m: f64,
    /// Walking time at the default speed (1.0 m/s), minutes.
    pub minutes: f64,
}

/// A stock resource.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct StockResource {
    /// Stable id: `B<record>` (building), `L<record>` (parcel), `I<record>` (idle-layer feature
    /// with no building or parcel of its own).
    pub id: String,
    /// Its kinds, the main one first (a parcel may be idle and fragmented).
    pub kinds: Vec<StockKind>,
    /// A name: the building's, the idle record's, or the parcel's.
    pub name: String,
    /// Every record that names it.
    pub sources: Vec<SourceRef>,
    /// Outline (working CRS).
    #[serde(skip)]
    pub geometry: Geometry<f64>,
    /// Representative point (working CRS): what is snapped to the network.
    #[serde(skip)]
    pub point: Coord<f64>,
    /// Land area, m² (land resources).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub land_area_m2: Option<f64>,
    /// Vacant floor area, m² (buildings).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub floor_area_m2: Option<f64>,
    /// Footprint, m² (buildings).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub footprint_m2: Option<f64>,
    /// Floors (buildings), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub floors: Option<f64>,
    /// Owner type, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner_type: Option<OwnerType>,
    /// Owner name, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner_name: Option<String>,
    /// Years idle, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idle_years: Option<f64>,
    /// Land-use code (parcels).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub land_use: Option<String>,
    /// How much using it raises land efficiency, 0–1 (see [`StockResource::efficiency_how`]).
    pub efficiency_gain: f64,
    /// How the gain was measured.
    pub efficiency_how: String,
    /// Why it is stock.
    pub reasons: Vec<Reason>,
    /// Old neighbourhoods within the near limit, nearest first.
    pub near: Vec<Near>,
}

impl StockResource {
    /// The main kind.
    pub fn kind(&self) -> StockKind {
        self.kinds[0]
    }

    /// Whether it is land (a site) rather than floor space.
    pub fn is_land(&self) -> bool {
        self.kind().is_land()
    }
}

fn record_id(layer: &Layer, i: usize) -> Option<String> {
    layer
        .text(i, Semantic::Id)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

fn source(layer: &Layer, i: usize) -> SourceRef {
    SourceRef {
        role: layer.role,
        record: i + 1,
        id: record_id(layer, i),
    }
}

fn owner_label(o: Option<OwnerType>) -> &'static str {
    match o {
        Some(OwnerType::Government) => "机关 (government agency)",
        Some(OwnerType::Institution) => "事业单位 (public institution)",
        Some(OwnerType::StateEnterprise) => "国有企业 (state firm)",
        Some(OwnerType::Institutional) => "机关企事业单位",
        Some(OwnerType::Collective) => "集体 (collective)",
        Some(OwnerType::OwnersShared) => "业主共有 (owners' shared)",
        Some(OwnerType::Private) => "私营 (private firm)",
        Some(OwnerType::Individual) => "个人 (individual)",
        None => "unknown owner",
    }
}

/// Floor area of a building: the floor-area field, else footprint × floors.
pub fn building_floor_area(buildings: &Layer, i: usize) -> Option<f64> {
    buildings
        .number(i, Semantic::FloorArea)
        .filter(|a| *a > 0.0)
        .or_else(|| Some(buildings.geometry(i).unsigned_area() * buildings.floors(i)?))
}

/// The kind of a vacant building by its owner and the idle layer's kind.
fn building_kind(owner: Option<OwnerType>, idle: Option<IdleKind>) -> StockKind {
    match (owner, idle) {
        (Some(o), _) if o.is_institutional() => StockKind::VacantInstitutionalBuilding,
        (Some(OwnerType::OwnersShared), _) | (_, Some(IdleKind::SharedSpace)) => {
            StockKind::SharedSpace
        }
        _ => StockKind::IdleBuilding,
    }
}

/// Building stock: vacant buildings of agencies, institutions and state firms and vacant
/// owner-shared buildings from the buildings layer, plus idle buildings and shared spaces from
/// the idle layer (matched to their building when one has the same footprint). Idle-layer land
/// records are returned separately (indices) for the land assessment.
pub fn building_stock(
    buildings: Option<&Layer>,
    idle: Option<&Layer>,
    rules: &StockRules,
) -> (Vec<StockResource>, Vec<usize>) {
    let mut out: Vec<StockResource> = Vec::new();
    let mut by_building: std::collections::HashMap<usize, usize> = Default::default();
    if let Some(b) = buildings {
        for i in 0..b.len() {
            if b.vacant(i) != Some(true) {
                continue;
            }
            let owner = b.owner_type(i);
            let kind = building_kind(owner, None);
            if kind == StockKind::IdleBuilding {
                // A vacant private or individual building is not stock unless the idle layer
                // lists it (the policy targets agencies, institutions, state firms and owners'
                // shared space).
                continue;
            }
            by_building.insert(i, out.len());
            out.push(building_resource(b, i, kind, owner));
        }
    }
    let mut idle_land = Vec::new();
    if let Some(l) = idle {
        for j in 0..l.len() {
            let kind = l.idle_kind(j);
            if kind == Some(IdleKind::IdleLand) {
                idle_land.push(j);
                continue;
            }
            let g = l.geometry(j);
            let matched = buildings.and_then(|b| same_footprint(b, g));
            let years = l.number(j, Semantic::IdleYears);
            let owner = l.owner_type(j);
            let idle_reason = Reason {
                rule: "idle_layer".into(),
                value: years,
                threshold: None,
                text: format!(
                    "listed in the idle layer (record {}) as {}{}",
                    j + 1,
                    match kind {
                        Some(IdleKind::SharedSpace) => "业主共有空间 (owner-shared space)",
                        _ => "闲置房屋 (idle building)",
                    },
                    years
                        .map(|y| format!(", idle {y} years"))
                        .unwrap_or_default()
                ),
            };
            let k = match matched.and_then(|bi| by_building.get(&bi).copied()) {
                Some(k) => k,
                None => {
                    let r = match (matched, buildings) {
                        (Some(bi), Some(b)) => {
                            let owner = owner.or(b.owner_type(bi));
                            let r = building_resource(b, bi, building_kind(owner, kind), owner);
                            by_building.insert(bi, out.len());
                            r
                        }
                        _ => idle_resource(l, j, building_kind(owner, kind)),
                    };
                    out.push(r);
                    out.len() - 1
                }
            };
            let r = &mut out[k];
            r.sources.push(source(l, j));
            r.reasons.push(idle_reason);
            if r.idle_years.is_none() {
                r.idle_years = years;
            }
            if r.owner_name.is_none() {
                r.owner_name = l
                    .text(j, Semantic::OwnerName)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string);
            }
            if r.owner_type.is_none() {
                r.owner_type = owner;
            }
            if r.floor_area_m2.is_none() {
                r.floor_area_m2 = l.number(j, Semantic::Area).filter(|a| *a > 0.0);
            }
            if kind == Some(IdleKind::SharedSpace) && !r.kinds.contains(&StockKind::SharedSpace) {
                r.kinds.push(StockKind::SharedSpace);
            }
        }
    }
    out.retain(|r| {
        !(r.kind() == StockKind::SharedSpace
            && r.floor_area_m2
                .is_some_and(|a| a < rules.min_shared_space_m2))
    });
    (out, idle_land)
}

fn building_resource(
    b: &Layer,
    i: usize,
    kind: StockKind,
    owner: Option<OwnerType>,
) -> StockResource {
    let g = b.geometry(i).clone();
    let point = g.interior_point().map(|p| p.0).unwrap_or_default();
    let footprint = g.unsigned_area();
    let floor_area = building_floor_area(b, i);
    let vacant = b
        .number(i, Semantic::VacantArea)
        .filter(|a| *a > 0.0)
        .or(floor_area);
    let mut reasons = Vec::new();
    if b.vacant(i) == Some(true) {
        reasons.push(Reason {
            rule: match kind {
                StockKind::VacantInstitutionalBuilding => "vacant_institutional",
                StockKind::SharedSpace => "vacant_shared",
                _ => "vacant",
            }
            .into(),
            value: vacant,
            threshold: None,
            text: format!(
                "vacant building (buildings record {}), owner {}{}",
                i + 1,
                owner_label(owner),
                vacant
                    .map(|a| format!(", {a:.0} m² vacant"))
                    .unwrap_or_default()
            ),
        });
    }
    let gain = match (vacant, floor_area) {
        (Some(v), Some(f)) if f > 0.0 => (v / f).clamp(0.0, 1.0),
        _ => 1.0,
    };
    StockResource {
        id: format!("B{}", i + 1),
        kinds: vec![kind],
        name: b.text(i, Semantic::Name).unwrap_or_default().to_string(),
        sources: vec![source(b, i)],
        point,
        land_area_m2: None,
        floor_area_m2: vacant,
        footprint_m2: Some(footprint),
        floors: b.floors(i),
        owner_type: owner,
        owner_name: b
            .text(i, Semantic::OwnerName)
            .filter(|s| !s.is_empty())
            .map(str::to_string),
        idle_years: None,
        land_use: None,
        efficiency_gain: gain,
        efficiency_how: "share of the building's floor area standing vacant".into(),
        reasons,
        near: Vec::new(),
        geometry: g,
    }
}

fn idle_resource(l: &Layer, j: usize, kind: StockKind) -> StockResource {
    let g = l.geometry(j).clone();
    let point = g.interior_point().map(|p| p.0).unwrap_or_default();
    let area = l
        .number(j, Semantic::Area)
        .filter(|a| *a > 0.0)
        .unwrap_or_else(|| g.unsigned_area());
    let land = kind.is_land();
    StockResource {
        id: format!("I{}", j + 1),
        kinds: vec![kind],
        name: l.text(j, Semantic::Name).unwrap_or_default().to_string(),
        sources: vec![source(l, j)],
        point,
        land_area_m2: land.then_some(area),
        floor_area_m2: (!land).then_some(area),
        footprint_m2: (!land).then(|| g.unsigned_area()).filter(|a| *a > 0.0),
        floors: None,
        owner_type: l.owner_type(j),
        owner_name: l
            .text(j, Semantic::OwnerName)
            .filter(|s| !s.is_empty())
            .map(str::to_string),
        idle_years: l.number(j, Semantic::IdleYears),
        land_use: None,
        efficiency_gain: 1.0,
        efficiency_how: "idle: the whole resource is unused".into(),
        reasons: Vec::new(),
        near: Vec::new(),
        geometry: g,
    }
}

/// The feature of `layer` with the same outline as `g`: its interior point lies in `g`, `g`'s
/// interior point lies in it, and the areas agree within 10%.
pub fn same_footprint(layer: &Layer, g: &Geometry<f64>) -> Option<usize> {
    let rect = g.bounding_rect()?;
    let p = g.interior_point()?;
    let area = g.unsigned_area();
    layer.index().query_rect(rect).find(|&k| {
        let h = layer.geometry(k);
        let a = h.unsigned_area();
        h.intersects(&p)
            && h.interior_point().is_some_and(|q| g.intersects(&q))
            && (a - area).abs() <= 0.1 * area.max(a)
    })
}

/// A stock resource for an idle-layer land record that matches no parcel.
pub fn idle_land_resource(idle: &Layer, j: usize) -> StockResource {
    let mut r = idle_resource(idle, j, StockKind::IdleLand);
    let years = idle.number(j, Semantic::IdleYears);
    r.reasons.push(Reason {
        rule: "idle_layer".into(),
        value: years,
        threshold: None,
        text: format!(
            "listed in the idle layer (record {}) as 闲置土地 (idle land){}",
            j + 1,
            years
                .map(|y| format!(", idle {y} years"))
                .unwrap_or_default()
        ),
    });
    r
}

/// Attach the near old neighbourhoods (within `near_m`) to each resource: `reach(k)` lists the
/// (neighbourhood, network distance) pairs of resource `k` within the search bound.
pub fn attach_near<'r>(
    stock: &mut [StockResource],
    is_old: &dyn Fn(usize) -> bool,
    reach: &dyn Fn(usize) -> &'r [(usize, f64)],
    near_m: f64,
) {
    for (k, r) in stock.iter_mut().enumerate() {
        r.near = reach(k)
            .iter()
            .filter(|&&(n, d)| is_old(n) && d <= near_m)
            .map(|&(n, d)| Near {
                neighbourhood: n,
                distance_m: d,
                minutes: d / 60.0,
            })
            .collect();
        r.near.sort_by(|a, b| {
            a.distance_m
                .total_cmp(&b.distance_m)
                .then(a.neighbourhood.cmp(&b.neighbourhood))
        });
    }
}

/// Text reason used when a resource was not assessed for a rule.
pub fn note(rule: &str, text: impl Into<String>) -> Reason {
    Reason::text(rule, text)
}

/// Land stock: parcels the land assessment flags as idle, low-efficiency or fragmented (never an
/// excluded use; never housing land with homes on it, which is renovated rather than
/// redeveloped), plus idle-layer land records (`idle_land`, indices into `idle`) that match no
/// such parcel and lie on no excluded parcel. Returns the resources and the assessment.
pub fn land_stock(
    parcels: Option<&Layer>,
    buildings: Option<&Layer>,
    idle: Option<&Layer>,
    idle_land: &[usize],
    rules: &LandEfficiencyRules,
) -> (Vec<StockResource>, Option<LandEfficiency>) {
    let mut out: Vec<StockResource> = Vec::new();
    // FAR and coverage need the buildings; without them parcels are not assessed (a note says so).
    let assessment = parcels
        .zip(buildings)
        .map(|(p, b)| assess_land(p, b, idle, rules));
    let mut by_parcel = std::collections::HashMap::new();
    if let (Some(p), Some(le)) = (parcels, &assessment) {
        for a in &le.parcels {
            if !a.is_stock() {
                continue;
            }
            let i = a.metrics.parcel;
            let housing = a
                .land_use
                .as_deref()
                .is_some_and(|c| c.trim().starts_with("07"))
                && !a.metrics.buildings.is_empty();
            if housing && !a.is_idle {
                continue;
            }
            let mut kinds = Vec::new();
            if a.is_idle {
                kinds.push(StockKind::IdleLand);
            }
            if a.is_low_efficiency {
                kinds.push(StockKind::LowEfficiencyLand);
            }
            if a.is_fragmented {
                kinds.push(StockKind::FragmentedLand);
            }
            let g = p.geometry(i).clone();
            let point = g.interior_point().map(|q| q.0).unwrap_or_default();
            let open = (a.metrics.area_m2 - a.metrics.footprint_m2).max(0.0);
            let mut reasons: Vec<Reason> = a
                .findings
                .iter()
                .map(|f| Reason {
                    rule: serde_json::to_value(f.rule)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default(),
                    value: f.value,
                    threshold: f.threshold,
                    text: f.message.clone(),
                })
                .collect();
            reasons.extend(a.notes.iter().map(|n| Reason::text("note", n.clone())));
            let (gain, how) = if a.is_idle {
                (1.0, "idle land: the whole parcel is unused".to_string())
            } else {
                let shortfall = a
                    .findings
                    .iter()
                    .filter_map(|f| match (f.value, f.threshold) {
                        (Some(v), Some(t))
                            if t > 0.0
                                && matches!(f.rule, LandRule::LowFar | LandRule::LowCoverage) =>
                        {
                            Some((1.0 - v / t).clamp(0.0, 1.0))
                        }
                        _ => None,
                    })
                    .fold(None, |m: Option<f64>, x| Some(m.map_or(x, |m| m.max(x))));
                match shortfall {
                    Some(s) => (s, "shortfall of FAR or coverage below the minimum for its use (1 − value ÷ threshold)".into()),
                    None => (
                        1.0 - a.metrics.coverage.unwrap_or(0.0).clamp(0.0, 1.0),
                        "share of the parcel not covered by buildings".into(),
                    ),
                }
            };
            by_parcel.insert(i, out.len());
            out.push(StockResource {
                id: format!("L{}", i + 1),
                kinds,
                name: p
                    .text(i, Semantic::Name)
                    .filter(|s| !s.is_empty())
                    .or_else(|| p.text(i, Semantic::LandUseName))
                    .unwrap_or_default()
                    .to_string(),
                sources: vec![source(p, i)],
                point,
                land_area_m2: Some(open),
                floor_area_m2: None,
                footprint_m2: None,
                floors: None,
                owner_type: p.owner_type(i).or_else(|| {
                    (p.land_ownership(i) == Some(crate::model::LandOwnership::Collective))
                        .then_some(OwnerType::Collective)
                }),
                owner_name: p
                    .text(i, Semantic::OwnerName)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string),
                idle_years: a.idle_years,
                land_use: a.land_use.clone(),
                efficiency_gain: gain,
                efficiency_how: how,
                reasons,
                near: Vec::new(),
                geometry: g,
            });
            if let Some(r) = out.last_mut().filter(|_| open < a.metrics.area_m2) {
                r.reasons.push(Reason {
                    rule: "open_land".into(),
                    value: Some(open),
                    threshold: None,
                    text: format!(
                        "{open:.0} m² of its {:.0} m² is not covered by buildings (the land a new facility could use)",
                        a.metrics.area_m2
                    ),
                });
            }
        }
    }
    if let Some(l) = idle {
        for &j in idle_land {
            let g = l.geometry(j);
            let on = parcels.zip(assessment.as_ref()).and_then(|(p, le)| {
                let q = g.interior_point()?;
                p.index()
                    .query_point(q.0)
                    .find(|&k| p.geometry(k).intersects(&q))
                    .map(|k| (k, le.parcels[k].excluded.is_some()))
            });
            match on {
                Some((_, true)) => continue,
                Some((k, false)) if by_parcel.contains_key(&k) => {
                    let r = &mut out[by_parcel[&k]];
                    r.sources.push(source(l, j));
                    let years = l.number(j, Semantic::IdleYears);
                    r.reasons.push(Reason {
                        rule: "idle_layer".into(),
                        value: years,
                        threshold: None,
                        text: format!(
                            "listed in the idle layer (record {}) as 闲置土地 (idle land){}",
                            j + 1,
                            years
                                .map(|y| format!(", idle {y} years"))
                                .unwrap_or_default()
                        ),
                    });
                    if r.owner_type.is_none() {
                        r.owner_type = l.owner_type(j);
                    }
                }
                _ => out.push(idle_land_resource(l, j)),
            }
        }
    }
    (out, assessment)
}
