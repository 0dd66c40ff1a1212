//! Service gaps: for each neighbourhood and facility type, the demand its residents make by the
//! type's standard, the supply of existing facilities within the type's walking band, and the
//! gap. A facility's capacity is shared among every neighbourhood within its band in proportion
//! to their demand (the two-step floating catchment area method, Luo & Wang 2003), so a day-care
//! centre within reach of five compounds is not counted five times. Coverage types (a clinic, a
//! canteen) need one facility within the band.

use serde::Serialize;

use super::inventory::{Neighbourhood, Patch};
use super::standards::{DemandBase, FacilityStandard};
use crate::model::{Layer, Semantic};

/// An existing facility's share of supply to one neighbourhood.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Supplier {
    /// Feature index in the facilities layer.
    pub facility: usize,
    /// Its name.
    pub name: String,
    /// Network walking distance, effective metres.
    pub distance_m: f64,
    /// Walking time at the type's profile speed, minutes.
    pub minutes: f64,
    /// Its whole capacity, in the type's unit.
    pub capacity: f64,
    /// How the capacity was read.
    pub capacity_how: String,
    /// The part of its capacity counted for this neighbourhood.
    pub share: f64,
}

/// One neighbourhood's demand, supply and gap for one facility type.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Gap {
    /// Index into the inventory.
    pub neighbourhood: usize,
    /// Demand in the type's unit (1 for coverage types).
    pub demand: f64,
    /// How the demand was computed.
    pub demand_how: String,
    /// Supply counted for it.
    pub supply: f64,
    /// The facilities within the band.
    pub suppliers: Vec<Supplier>,
    /// Unmet demand (≥ 0).
    pub gap: f64,
    /// Households whose demand is unmet: households × gap ÷ demand.
    pub gap_households: f64,
}

/// Totals over a set of neighbourhoods.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct GapTotals {
    /// Neighbourhoods counted.
    pub neighbourhoods: usize,
    /// Of which with a gap.
    pub with_gap: usize,
    /// Total demand.
    pub demand: f64,
    /// Total supply counted.
    pub supply: f64,
    /// Total gap.
    pub gap: f64,
    /// Households in gap.
    pub gap_households: f64,
}

impl GapTotals {
    fn add(&mut self, g: &Gap) {
        self.neighbourhoods += 1;
        if g.gap > 1e-9 {
            self.with_gap += 1;
        }
        self.demand += g.demand;
        self.supply += g.supply;
        self.gap += g.gap;
        self.gap_households += g.gap_households;
    }
}

/// The gaps of one facility type.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct TypeGaps {
    /// The type id.
    pub facility_type: String,
    /// The demand unit.
    pub unit: String,
    /// Per neighbourhood, in inventory order (every neighbourhood, old or not: newer compounds
    /// draw on the same facilities).
    pub gaps: Vec<Gap>,
    /// Totals over the old neighbourhoods.
    pub old_totals: GapTotals,
    /// Totals per patch, in patch order.
    pub patch_totals: Vec<GapTotals>,
}

/// Demand of one neighbourhood for a type, with how it was computed.
pub fn demand(n: &Neighbourhood, f: &FacilityStandard) -> (f64, String) {
    let a = f.demand.amount;
    let u = &f.demand.unit;
    let (base, what) = match f.demand.per {
        DemandBase::Coverage => {
            return if n.households > 0.0 {
                (
                    1.0,
                    format!("one {} within {} minutes", f.name, f.band_minutes),
                )
            } else {
                (0.0, "no households".into())
            };
        }
        DemandBase::Households => (n.households, "households"),
        DemandBase::Residents => (n.residents, "residents"),
        DemandBase::Elderly => (n.elderly, "residents aged 60+"),
        DemandBase::Under3 => (n.under3, "children under 3"),
        DemandBase::Age3to6 => (n.age3to6, "children aged 3–6"),
    };
    (a * base, format!("{a} {u} × {base:.1} {what}"))
}

/// Capacity of an existing facility in the type's unit, with how it was read.
pub fn capacity(facilities: &Layer, j: usize, f: &FacilityStandard) -> (f64, String) {
    if f.demand.per == DemandBase::Coverage {
        return (1.0, "one facility".into());
    }
    let value = facilities
        .number(j, Semantic::Capacity)
        .filter(|v| *v > 0.0);
    let unit_text = facilities
        .text(j, Semantic::CapacityUnit)
        .unwrap_or_default()
        .trim()
        .to_string();
    let unit = unit_of(&unit_text);
    match (value, unit) {
        (Some(v), Some(u)) if u == f.demand.unit => {
            (v, format!("{v} {unit_text} (capacity field)"))
        }
        (Some(v), None) if unit_text.is_empty() => (
            v,
            format!("{v} (capacity field, no unit: read as {})", f.demand.unit),
        ),
        (Some(v), _) => (
            f.default_supply,
            format!(
                "capacity {v} {unit_text} is not in {}: {} {} assumed",
                f.demand.unit, f.default_supply, f.demand.unit
            ),
        ),
        (None, _) => (
            f.default_supply,
            format!(
                "no capacity recorded: {} {} assumed",
                f.default_supply, f.demand.unit
            ),
        ),
    }
}

/// Our unit for a capacity-unit text (床 → beds, 学位/托位 → places, 泊位/车位 → spaces, 平方米 → m2).
fn unit_of(text: &str) -> Option<&'static str> {
    let t = text.to_lowercase();
    if t.contains('床') || t.contains("bed") {
        Some("beds")
    } else if t.contains("学位") || t.contains("托位") || t.contains("place") {
        Some("places")
    } else if t.contains("泊位") || t.contains("车位") || t.contains("space") {
        Some("spaces")
    } else if t.contains("平方米") || t.contains('㎡') || t.contains("m2") || t.contains("m²")
    {
        Some("m2")
    } else {
        None
    }
}

/// Gaps of one type. `reach(j)` lists the (neighbourhood, network distance in effective metres)
/// pairs of facility `j` within the search bound.
pub fn type_gaps<'r>(
    type_id: &str,
    f: &FacilityStandard,
    inventory: &[Neighbourhood],
    patches: &[Patch],
    facilities: Option<&Layer>,
    reach: &dyn Fn(usize) -> &'r [(usize, f64)],
) -> TypeGaps {
    let band = f.band_m();
    let speed = f.speed_m_per_s();
    let kind = f.facility_kind();
    let demands: Vec<(f64, String)> = inventory.iter().map(|n| demand(n, f)).collect();
    let mut gaps: Vec<Gap> = inventory
        .iter()
        .enumerate()
        .map(|(i, _)| Gap {
            neighbourhood: i,
            demand: demands[i].0,
            demand_how: demands[i].1.clone(),
            supply: 0.0,
            suppliers: Vec::new(),
            gap: 0.0,
            gap_households: 0.0,
        })
        .collect();
    if let Some(fl) = facilities {
        for j in 0..fl.len() {
            if fl.facility_kind(j) != kind || kind.is_none() {
                continue;
            }
            let within: Vec<(usize, f64)> = reach(j)
                .iter()
                .copied()
                .filter(|&(_, d)| d <= band)
                .collect();
            if within.is_empty() {
                continue;
            }
            let (cap, how) = capacity(fl, j, f);
            let total: f64 = within.iter().map(|&(i, _)| demands[i].0).sum();
            let name = fl.text(j, Semantic::Name).unwrap_or_default().to_string();
            for (i, d) in within {
                let share = if f.demand.per == DemandBase::Coverage {
                    1.0
                } else if total > 0.0 {
                    cap * demands[i].0 / total
                } else {
                    0.0
                };
                gaps[i].supply += share;
                gaps[i].suppliers.push(Supplier {
                    facility: j,
                    name: name.clone(),
                    distance_m: d,
                    minutes: d / speed / 60.0,
                    capacity: cap,
                    capacity_how: how.clone(),
                    share,
                });
            }
        }
    }
    let mut old_totals = GapTotals::default();
    let mut patch_totals = vec![GapTotals::default(); patches.len()];
    for (g, n) in gaps.iter_mut().zip(inventory) {
        g.suppliers.sort_by(|a, b| {
            a.distance_m
                .total_cmp(&b.distance_m)
                .then(a.facility.cmp(&b.facility))
        });
        g.gap = if f.demand.per == DemandBase::Coverage {
            if g.supply > 0.0 {
                0.0
            } else {
                g.demand
            }
        } else {
            (g.demand - g.supply).max(0.0)
        };
        g.gap_households = if g.demand > 0.0 {
            n.households * g.gap / g.demand
        } else {
            0.0
        };
        if n.is_old {
            old_totals.add(g);
            if let Some(p) = n.patch {
                patch_totals[p].add(g);
            }
        }
    }
    TypeGaps {
        facility_type: type_id.to_string(),
        unit: f.demand.unit.clone(),
        gaps,
        old_totals,
        patch_totals,
    }
}
