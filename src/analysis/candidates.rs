//! Candidate sites: per facility type, the stock resources that pass the type's hard rules (a
//! stock kind that may host it, enough usable floor space on the allowed floors or enough land,
//! within the type's walking band of an old neighbourhood), scored by the unmet demand they would
//! serve, size fit, ownership ease, idle duration and land-efficiency gain. Every candidate
//! carries its explanation: each factor with its value, weight and contribution, the hard rules it
//! passed, and the neighbourhoods it would serve with their walking times.

use serde::Serialize;

use super::gaps::TypeGaps;
use super::inventory::Neighbourhood;
use super::standards::{FacilityStandard, Scoring};
use super::stock::StockResource;

/// One factor of a candidate's score.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Factor {
    /// `unmet_demand`, `size_fit`, `ownership`, `idle_duration`, `land_efficiency`.
    pub name: String,
    /// The measured value (in `unit`).
    pub value: f64,
    /// Its unit or scale.
    pub unit: String,
    /// The value on a 0–1 scale.
    pub normalized: f64,
    /// The weight (weights sum to 1).
    pub weight: f64,
    /// normalized × weight.
    pub contribution: f64,
    /// How it was measured.
    pub how: String,
}

/// An old neighbourhood a candidate would serve.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Served {
    /// Index into the inventory.
    pub neighbourhood: usize,
    /// Network walking distance, effective metres.
    pub distance_m: f64,
    /// Walking time at the type's profile speed, minutes.
    pub minutes: f64,
    /// The neighbourhood's gap for the type.
    pub gap: f64,
    /// Its households in gap.
    pub gap_households: f64,
}

/// A candidate site for one facility type.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Candidate {
    /// Index into the stock list.
    pub stock: usize,
    /// 1 = best.
    pub rank: usize,
    /// Score 0–1: the sum of the factor contributions.
    pub score: f64,
    /// Usable area for the type, m² (floor area on the allowed floors, or land area).
    pub usable_area_m2: f64,
    /// `floor` or `land`.
    pub area_basis: String,
    /// The hard rules it passed, with values.
    pub checks: Vec<String>,
    /// The score's factors.
    pub factors: Vec<Factor>,
    /// Old neighbourhoods within the band, nearest first.
    pub serves: Vec<Served>,
}

/// Why a stock resource was not a candidate (counted for the summary).
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct Rejections {
    /// No kind of it may host the type.
    pub kind: usize,
    /// Too small (on the allowed floors).
    pub size: usize,
    /// No old neighbourhood within the band.
    pub band: usize,
}

/// Usable area of a resource for a type, with the hard-rule check sentence; `Err` names the
/// failed rule.
fn usable_area(
    r: &StockResource,
    f: &FacilityStandard,
) -> Result<(f64, String, Vec<String>), String> {
    let mut checks = Vec::new();
    if r.is_land() {
        let area = r.land_area_m2.unwrap_or(0.0);
        if let Some(min) = f.min_land_area_m2 {
            if area < min {
                return Err(format!("land {area:.0} m² < {min:.0} m²"));
            }
            checks.push(format!("land {area:.0} m² ≥ {min:.0} m²"));
        }
        return Ok((area, "land".into(), checks));
    }
    let vacant = r.floor_area_m2.unwrap_or(0.0);
    let mut usable = vacant;
    match (f.max_floor, r.floors, r.footprint_m2) {
        (Some(m), Some(floors), Some(fp)) if floors > m as f64 => {
            let low = fp * m as f64;
            usable = vacant.min(low);
            checks.push(format!(
                "{floors:.0} floors: only floors 1–{m} count, at most {m} × {fp:.0} m² = {low:.0} m²"
            ));
        }
        (Some(m), Some(floors), _) => {
            checks.push(format!("{floors:.0} floors ≤ {m} allowed"));
        }
        (Some(m), None, _) => {
            checks.push(format!(
                "floors unknown: the rule \"not above floor {m}\" could not be checked"
            ));
        }
        (None, _, _) => {}
    }
    if let Some(min) = f.min_floor_area_m2 {
        if usable < min {
            return Err(format!("usable floor area {usable:.0} m² < {min:.0} m²"));
        }
        checks.push(format!("usable floor area {usable:.0} m² ≥ {min:.0} m²"));
    }
    Ok((usable, "floor".into(), checks))
}

/// Candidates of one type, ranked. `reach(k)` lists the (neighbourhood, network distance) pairs
/// of stock resource `k` within the search bound.
pub fn type_candidates<'r>(
    f: &FacilityStandard,
    stock: &[StockResource],
    inventory: &[Neighbourhood],
    gaps: &TypeGaps,
    scoring: &Scoring,
    reach: &dyn Fn(usize) -> &'r [(usize, f64)],
) -> (Vec<Candidate>, Rejections) {
    let band = f.band_m();
    let speed = f.speed_m_per_s();
    let mut rejected = Rejections::default();
    let mut out = Vec::new();
    for (k, r) in stock.iter().enumerate() {
        let Some(host) = r.kinds.iter().find(|k| f.hosted_by(**k)) else {
            rejected.kind += 1;
            continue;
        };
        let (usable, basis, mut checks) = match usable_area(r, f) {
            Ok(x) => x,
            Err(_) => {
                rejected.size += 1;
                continue;
            }
        };
        let mut serves: Vec<Served> = reach(k)
            .iter()
            .filter(|&&(n, d)| inventory[n].is_old && d <= band)
            .map(|&(n, d)| {
                let g = &gaps.gaps[n];
                Served {
                    neighbourhood: n,
                    distance_m: d,
                    minutes: d / speed / 60.0,
                    gap: g.gap,
                    gap_households: g.gap_households,
                }
            })
            .collect();
        if serves.is_empty() {
            rejected.band += 1;
            continue;
        }
        serves.sort_by(|a, b| {
            a.distance_m
                .total_cmp(&b.distance_m)
                .then(a.neighbourhood.cmp(&b.neighbourhood))
        });
        checks.insert(0, format!("{} may host {}", host.key(), f.name));
        checks.push(format!(
            "{} old neighbourhood(s) within {} minutes ({} profile), nearest {:.1} min",
            serves.len(),
            f.band_minutes,
            f.profile,
            serves[0].minutes
        ));
        out.push(Candidate {
            stock: k,
            rank: 0,
            score: 0.0,
            usable_area_m2: usable,
            area_basis: basis,
            checks,
            factors: Vec::new(),
            serves,
        });
    }
    let max_unmet = out.iter().map(unmet).fold(0.0_f64, f64::max);
    let total_w = scoring.unmet_demand
        + scoring.size_fit
        + scoring.ownership
        + scoring.idle_duration
        + scoring.land_efficiency;
    for c in &mut out {
        let r = &stock[c.stock];
        let u = unmet(c);
        let (min, max) = if c.area_basis == "land" {
            (f.min_land_area_m2, f.max_land_area_m2)
        } else {
            (f.min_floor_area_m2, f.max_floor_area_m2)
        };
        let (fit, fit_how) = match max {
            Some(max) if c.usable_area_m2 > max && c.usable_area_m2 > 0.0 => (
                max / c.usable_area_m2,
                format!(
                    "{:.0} m² is more than the {max:.0} m² needed: fit = {max:.0} ÷ {:.0}",
                    c.usable_area_m2, c.usable_area_m2
                ),
            ),
            _ => (
                1.0,
                format!(
                    "{:.0} m² within the standard{}",
                    c.usable_area_m2,
                    match (min, max) {
                        (Some(a), Some(b)) => format!(" ({a:.0}–{b:.0} m²)"),
                        (Some(a), None) => format!(" (≥ {a:.0} m²)"),
                        _ => String::new(),
                    }
                ),
            ),
        };
        let ease = scoring.ease(r.owner_type);
        let years = r.idle_years;
        let idle = years
            .map(|y| (y / scoring.idle_years_full).clamp(0.0, 1.0))
            .unwrap_or(0.0);
        let factors = [
            (
                "unmet_demand",
                u,
                "households in gap",
                if max_unmet > 0.0 { u / max_unmet } else { 0.0 },
                scoring.unmet_demand,
                format!(
                    "households in gap in the {} old neighbourhood(s) within the band, relative to the best candidate ({max_unmet:.0})",
                    c.serves.len()
                ),
            ),
            ("size_fit", c.usable_area_m2, "m²", fit, scoring.size_fit, fit_how),
            (
                "ownership",
                ease,
                "ease 0–1",
                ease,
                scoring.ownership,
                format!(
                    "owner type {}",
                    r.owner_type
                        .map(|o| {
                            use crate::model::fields::Category;
                            o.canonical().to_string()
                        })
                        .unwrap_or_else(|| "unknown".into())
                ),
            ),
            (
                "idle_duration",
                years.unwrap_or(0.0),
                "years",
                idle,
                scoring.idle_duration,
                match years {
                    Some(y) => format!("idle {y} years; full marks at {} years", scoring.idle_years_full),
                    None => "idle duration unknown: counted 0".into(),
                },
            ),
            (
                "land_efficiency",
                r.efficiency_gain,
                "gain 0–1",
                r.efficiency_gain,
                scoring.land_efficiency,
                r.efficiency_how.clone(),
            ),
        ];
        c.factors = factors
            .into_iter()
            .map(|(name, value, unit, normalized, w, how)| {
                let weight = w / total_w;
                Factor {
                    name: name.into(),
                    value,
                    unit: unit.into(),
                    normalized,
                    weight,
                    contribution: normalized * weight,
                    how,
                }
            })
            .collect();
        c.score = c.factors.iter().map(|f| f.contribution).sum();
    }
    out.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| stock[a.stock].id.cmp(&stock[b.stock].id))
    });
    for (i, c) in out.iter_mut().enumerate() {
        c.rank = i + 1;
    }
    (out, rejected)
}

/// Households in gap within a candidate's band.
fn unmet(c: &Candidate) -> f64 {
    c.serves.iter().map(|s| s.gap_households).sum()
}
