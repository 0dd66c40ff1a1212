//! The analyses: old-neighbourhood inventory, stock resources, facility standards, service gaps,
//! candidate sites and location-allocation. One analysis per file, named after what it computes.
//! Nothing here reads files or knows a wire format: inputs are a loaded
//! [`Workspace`] and a [`WalkGraph`].
//!
//! - [`access`]: walking distances from every neighbourhood to stock, facilities and other neighbourhoods.
//! - [`allocate`](mod@allocate): location-allocation on the analysis: chosen sites and coverage before/after per type.
//! - [`allocation`]: location-allocation: maximal covering (MCLP) and set covering (LSCP) of demand by candidate sites.
//! - [`candidates`]: candidate sites per facility type: hard rules, score and explanation.
//! - [`gaps`]: service gaps per neighbourhood and facility type (two-step floating catchment).
//! - [`inventory`]: old-neighbourhood inventory: eligibility, households, residents, age groups, patches.
//! - [`land_efficiency`]: low-efficiency and fragmented land: FAR, coverage, shape and idle status per parcel, and the rules.
//! - [`standards`]: facility standards and analysis settings (editable TOML defaults with sources).
//! - [`stock`]: stock resources with their reasons: vacant buildings, idle land, low-efficiency land.
//!
//! [`analyze()`] runs them in order on a workspace and returns an [`Analysis`].

pub mod access;
pub mod allocate;
pub mod allocation;
pub mod candidates;
pub mod gaps;
pub mod inventory;
pub mod land_efficiency;
pub mod standards;
pub mod stock;

use std::time::Instant;

use geo::Geometry;
use serde::Serialize;
use thiserror::Error;

use crate::model::{Role, Workspace};
use crate::network::{WalkGraph, DEFAULT_SNAP_CAP_M};

pub use allocate::{allocate, AllocationRequest, AllocationResult, SiteChoice, TypeCoverage};
pub use candidates::{Candidate, Factor, Rejections, Served};
pub use gaps::{Gap, GapTotals, Supplier, TypeGaps};
pub use inventory::{Neighbourhood, Patch};
pub use standards::{AnalysisConfig, FacilityStandard, StandardsError, StockKind};
pub use stock::{Near, Reason, SourceRef, StockResource};

/// Why an analysis cannot run.
#[derive(Debug, Error)]
pub enum AnalysisError {
    /// A layer the analysis cannot do without.
    #[error("the project has no {0} layer; the analysis needs neighbourhoods and roads")]
    MissingLayer(Role),
    /// A bad setting.
    #[error(transparent)]
    Standards(#[from] StandardsError),
}

/// The candidates of one facility type.
#[derive(Clone, Debug, Serialize)]
pub struct TypeCandidates {
    /// The type id.
    pub facility_type: String,
    /// Ranked candidates.
    pub candidates: Vec<Candidate>,
    /// Stock resources that failed a hard rule, by rule.
    pub rejected: Rejections,
}

/// Everything one analysis run found.
#[derive(Clone, Debug)]
pub struct Analysis {
    /// The settings used.
    pub config: AnalysisConfig,
    /// The facility types analysed.
    pub types: Vec<String>,
    /// Every neighbourhood, old or not.
    pub neighbourhoods: Vec<Neighbourhood>,
    /// Renovation patches of old neighbourhoods.
    pub patches: Vec<Patch>,
    /// Stock resources near at least one old neighbourhood.
    pub stock: Vec<StockResource>,
    /// Stock resources found but beyond the near limit of every old neighbourhood.
    pub stock_far: usize,
    /// The land assessment of every parcel (FAR, coverage, shape, findings), when parcels and
    /// buildings were given.
    pub land: Option<land_efficiency::LandEfficiency>,
    /// Gaps per type, in `types` order.
    pub gaps: Vec<TypeGaps>,
    /// Candidates per type, in `types` order.
    pub candidates: Vec<TypeCandidates>,
    /// Things a user should know (missing layers, unsnapped origins …).
    pub notes: Vec<String>,
    /// Wall time of each step, seconds.
    pub timings: Vec<(String, f64)>,
}

impl Analysis {
    /// The gaps of a type.
    pub fn gaps_of(&self, type_id: &str) -> Option<&TypeGaps> {
        self.gaps.iter().find(|g| g.facility_type == type_id)
    }

    /// The candidates of a type.
    pub fn candidates_of(&self, type_id: &str) -> Option<&TypeCandidates> {
        self.candidates.iter().find(|c| c.facility_type == type_id)
    }
}

/// Run the whole analysis on a loaded workspace and its walk graph, for the facility types
/// named (all when empty).
pub fn analyze(
    ws: &Workspace,
    graph: &WalkGraph,
    config: &AnalysisConfig,
    types: &[String],
) -> Result<Analysis, AnalysisError> {
    let mut timings = Vec::new();
    let mut clock = Instant::now();
    let mut lap = |name: &str, timings: &mut Vec<(String, f64)>| {
        timings.push((name.to_string(), clock.elapsed().as_secs_f64()));
        clock = Instant::now();
    };
    let types = config.select(types)?;
    let nl = ws
        .layer(Role::Neighbourhoods)
        .ok_or(AnalysisError::MissingLayer(Role::Neighbourhoods))?;
    if ws.layer(Role::Roads).is_none() {
        return Err(AnalysisError::MissingLayer(Role::Roads));
    }
    let buildings = ws.layer(Role::Buildings);
    let parcels = ws.layer(Role::Parcels);
    let idle = ws.layer(Role::Idle);
    let facilities = ws.layer(Role::Facilities);
    let mut notes = Vec::new();
    for (role, what) in [
        (
            Role::Buildings,
            "vacant buildings, build years and households from floor area are not assessed",
        ),
        (
            Role::Parcels,
            "low-efficiency and fragmented land is not assessed",
        ),
        (Role::Idle, "the idle layer's resources are not included"),
        (Role::Facilities, "existing supply is taken as none"),
    ] {
        if ws.layer(role).is_none() {
            notes.push(format!("no {role} layer: {what}"));
        }
    }

    let mut inventory = inventory::neighbourhood_inventory(nl, buildings, parcels, config);
    let unknown = inventory.iter().filter(|n| n.build_year.is_none()).count();
    if unknown > 0 {
        notes.push(format!(
            "{unknown} of {} neighbourhoods have no build year (on them or their buildings); they count as old only where the layer's old flag says so",
            inventory.len()
        ));
    }
    lap("inventory", &mut timings);

    let (mut stock, idle_land) = stock::building_stock(buildings, idle, &config.stock);
    let (land, land_assessment) =
        stock::land_stock(parcels, buildings, idle, &idle_land, &config.land);
    stock.extend(land);
    if parcels.is_some() && buildings.is_none() {
        notes.push("parcels not assessed for FAR and coverage: no buildings layer".into());
    }
    lap("stock", &mut timings);

    // One search per neighbourhood reaches every target: stock, facilities, other neighbourhoods.
    let areas: Vec<&Geometry<f64>> = nl.geometries().iter().collect();
    let gates = match ws.layer(Role::Gates) {
        Some(gl) => {
            let g = crate::network::gates_by_neighbourhood(nl, gl, crate::network::GATE_REACH_M);
            if !g.unassigned.is_empty() {
                notes.push(format!(
                    "{} gate(s) belong to no neighbourhood (no link, inside none, farther than {} m from all); not used",
                    g.unassigned.len(),
                    crate::network::GATE_REACH_M
                ));
            }
            let without = g.gates.iter().filter(|x| x.is_empty()).count();
            if without > 0 {
                notes.push(format!(
                    "{without} neighbourhood(s) have no gate: they start where the walk network enters or lies inside them"
                ));
            }
            g.gates
        }
        None => Vec::new(),
    };
    let origins = access::origins_of(graph, &areas, &gates, DEFAULT_SNAP_CAP_M);
    for (n, o) in inventory.iter().zip(&origins) {
        let missed = o.iter().filter(|o| o.snap.is_none()).count();
        if o.iter().all(|o| o.snap.is_none()) {
            notes.push(format!(
                "neighbourhood {} ({}): no origin within {DEFAULT_SNAP_CAP_M} m of the walk network; it reaches nothing",
                n.id, n.name
            ));
        } else if missed > 0 && n.is_old {
            notes.push(format!(
                "neighbourhood {} ({}): {missed} origin(s) farther than {DEFAULT_SNAP_CAP_M} m from the walk network",
                n.id, n.name
            ));
        }
    }
    let mut snaps = Vec::new();
    let mut owner = Vec::new();
    let s0 = 0;
    for r in &stock {
        snaps.push(crate::network::snap_point(
            graph,
            r.point,
            DEFAULT_SNAP_CAP_M,
        ));
    }
    let f0 = snaps.len();
    if let Some(fl) = facilities {
        for g in fl.geometries() {
            let p = geo::InteriorPoint::interior_point(g);
            snaps.push(p.and_then(|p| crate::network::snap_point(graph, p.0, DEFAULT_SNAP_CAP_M)));
        }
    }
    let n0 = snaps.len();
    for (n, o) in origins.iter().enumerate() {
        for s in o.iter().filter_map(|o| o.snap) {
            snaps.push(Some(s));
            owner.push(n);
        }
    }
    let targets = access::Targets::from_snaps(snaps);
    let bound = types
        .iter()
        .map(|t| config.facilities[t].band_m())
        .fold(config.stock.near_minutes * 60.0, f64::max)
        .max(config.patches.max_walk_minutes * 60.0);
    let access = access::neighbourhood_access(graph, origins, &targets, bound, DEFAULT_SNAP_CAP_M);
    lap("access", &mut timings);

    let by_target = access.by_target(targets.len());
    let walks = |a: usize| -> Vec<(usize, f64)> {
        let mut best: std::collections::BTreeMap<usize, f64> = Default::default();
        let from = access.reach[a].partition_point(|(t, _)| (*t as usize) < n0);
        for &(t, d) in &access.reach[a][from..] {
            let b = owner[t as usize - n0];
            let m = d / 60.0;
            best.entry(b).and_modify(|x| *x = x.min(m)).or_insert(m);
        }
        best.into_iter().collect()
    };
    let patches = inventory::renovation_patches(&mut inventory, nl, config, &walks);
    lap("patches", &mut timings);

    let is_old = |n: usize| inventory[n].is_old;
    let stock_reach = |k: usize| by_target[s0 + k].as_slice();
    stock::attach_near(
        &mut stock,
        &is_old,
        &stock_reach,
        config.stock.near_minutes * 60.0,
    );
    // Keep the stock near an old neighbourhood; `kept` maps the kept list to target numbers.
    let kept: Vec<usize> = (0..stock.len())
        .filter(|&k| !stock[k].near.is_empty())
        .collect();
    let stock_far = stock.len() - kept.len();
    stock.retain(|r| !r.near.is_empty());
    let kept_reach = |k: usize| by_target[s0 + kept[k]].as_slice();
    let facility_reach = |j: usize| by_target[f0 + j].as_slice();

    let mut gaps = Vec::new();
    let mut candidates = Vec::new();
    for t in &types {
        let f = &config.facilities[t];
        let g = gaps::type_gaps(t, f, &inventory, &patches, facilities, &facility_reach);
        let (c, rejected) =
            candidates::type_candidates(f, &stock, &inventory, &g, &config.scoring, &kept_reach);
        gaps.push(g);
        candidates.push(TypeCandidates {
            facility_type: t.clone(),
            candidates: c,
            rejected,
        });
    }
    lap("gaps and candidates", &mut timings);

    Ok(Analysis {
        config: config.clone(),
        types,
        neighbourhoods: inventory,
        patches,
        stock,
        stock_far,
        land: land_assessment,
        gaps,
        candidates,
        notes,
        timings,
    })
}
