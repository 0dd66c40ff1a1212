//! Location-allocation on the analysis: which candidate sites to open so that the most households
//! whose demand is unmet get a facility within the type's walking band (MCLP), or the fewest sites
//! that reach all of them (LSCP). One type at a time, or all types together with each stock
//! resource used at most once. Demand is counted in households so that types can be solved
//! together: a neighbourhood's households for a type are split into the part existing facilities
//! serve (covered before) and the part in gap (what new sites can cover).
//!
//! The solver is [`allocation`](super::allocation); this file turns gaps and candidates into its
//! problem and its answer back into neighbourhoods and stock resources.

use serde::Serialize;
use thiserror::Error;

use super::allocation::{Budget, CandidateSite, CoverageProblem, Optimality};
use super::Analysis;

/// What to allocate.
#[derive(Clone, Debug, PartialEq)]
pub struct AllocationRequest {
    /// Facility types (empty: every analysed type).
    pub types: Vec<String>,
    /// Sites per type (MCLP).
    pub k: usize,
    /// Total sites over all types (MCLP, together only); `None`: no total limit.
    pub total: Option<usize>,
    /// Solve all types as one problem, each stock resource used at most once.
    pub together: bool,
    /// Set covering (LSCP): the fewest sites reaching every household in gap; `k` is ignored.
    pub cover_all: bool,
}

impl Default for AllocationRequest {
    fn default() -> Self {
        AllocationRequest {
            types: Vec::new(),
            k: 3,
            total: None,
            together: false,
            cover_all: false,
        }
    }
}

/// A request that cannot be answered.
#[derive(Debug, Error, PartialEq)]
pub enum AllocationRequestError {
    /// A type that was not analysed.
    #[error("unknown facility type {0:?}; analysed: {1}")]
    UnknownType(String, String),
    /// A bad number.
    #[error("{0}")]
    Bad(String),
}

/// One chosen site.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct SiteChoice {
    /// Facility type it is chosen for.
    pub facility_type: String,
    /// Index into the stock list.
    pub stock: usize,
    /// Its rank among the type's candidates.
    pub candidate_rank: usize,
    /// 1 = chosen first (adds the most).
    pub order: usize,
    /// Households in gap it reaches that no site chosen before it reaches.
    pub gain_households: f64,
    /// Neighbourhoods (inventory indices) it is the first chosen site to reach.
    pub newly_served: Vec<usize>,
}

/// Coverage of one type before and after.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct TypeCoverage {
    /// The type.
    pub facility_type: String,
    /// Households of the old neighbourhoods.
    pub households: f64,
    /// Households whose demand existing facilities meet.
    pub covered_before: f64,
    /// … plus those the chosen sites reach.
    pub covered_after: f64,
    /// Old neighbourhoods with a gap that no candidate reaches (inventory indices).
    pub unreachable: Vec<usize>,
    /// Old neighbourhoods with a gap that candidates reach but no chosen site does.
    pub left_uncovered: Vec<usize>,
    /// Whether the answer is proven optimal (else a local optimum of the swap search).
    pub proven_optimal: bool,
}

/// The answer.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct AllocationResult {
    /// `maximal_covering` or `set_covering`.
    pub formulation: String,
    /// Whether all types were solved together.
    pub together: bool,
    /// Sites per type asked for (MCLP).
    pub k: usize,
    /// Chosen sites in order, per type when solved apart.
    pub chosen: Vec<SiteChoice>,
    /// Coverage per type.
    pub coverage: Vec<TypeCoverage>,
    /// Households over all types (a household counts once per type).
    pub households: f64,
    /// Covered before, over all types.
    pub covered_before: f64,
    /// Covered after, over all types.
    pub covered_after: f64,
}

/// Solve a request on an analysis.
pub fn allocate(
    a: &Analysis,
    req: &AllocationRequest,
) -> Result<AllocationResult, AllocationRequestError> {
    let types: Vec<String> = if req.types.is_empty() {
        a.types.clone()
    } else {
        req.types.clone()
    };
    for t in &types {
        if a.candidates_of(t).is_none() {
            return Err(AllocationRequestError::UnknownType(
                t.clone(),
                a.types.join(", "),
            ));
        }
    }
    if !req.cover_all && req.k == 0 && req.total.is_none() {
        return Err(AllocationRequestError::Bad(
            "k must be at least 1 (or ask for cover-all)".into(),
        ));
    }
    let groups: Vec<Vec<String>> = if req.together {
        vec![types.clone()]
    } else {
        types.iter().map(|t| vec![t.clone()]).collect()
    };
    let mut chosen = Vec::new();
    let mut coverage = Vec::new();
    for group in groups {
        let (c, cov) = solve_group(a, &group, req);
        chosen.extend(c);
        coverage.extend(cov);
    }
    Ok(AllocationResult {
        formulation: if req.cover_all {
            "set_covering"
        } else {
            "maximal_covering"
        }
        .into(),
        together: req.together,
        k: req.k,
        households: coverage.iter().map(|c| c.households).sum(),
        covered_before: coverage.iter().map(|c| c.covered_before).sum(),
        covered_after: coverage.iter().map(|c| c.covered_after).sum(),
        chosen,
        coverage,
    })
}

/// Demand points: per type and old neighbourhood, the met part (existing coverage) and the gap.
fn solve_group(
    a: &Analysis,
    types: &[String],
    req: &AllocationRequest,
) -> (Vec<SiteChoice>, Vec<TypeCoverage>) {
    let old: Vec<usize> = (0..a.neighbourhoods.len())
        .filter(|&n| a.neighbourhoods[n].is_old)
        .collect();
    let mut weights = Vec::new();
    let mut existing = Vec::new();
    // (type index in `types`, neighbourhood) of each gap point.
    let mut gap_point: Vec<(usize, usize)> = Vec::new();
    let mut point_of: std::collections::HashMap<(usize, usize), usize> = Default::default();
    for (ti, t) in types.iter().enumerate() {
        let Some(g) = a.gaps_of(t) else { continue };
        for &n in &old {
            let x = &g.gaps[n];
            let hh = a.neighbourhoods[n].households;
            let met = (hh - x.gap_households).max(0.0);
            if met > 0.0 {
                existing.push(weights.len());
                weights.push(met);
                gap_point.push((ti, usize::MAX));
            }
            point_of.insert((ti, n), weights.len());
            weights.push(x.gap_households.max(0.0));
            gap_point.push((ti, n));
        }
    }
    let mut sites = Vec::new();
    let mut site_ref = Vec::new();
    for (ti, t) in types.iter().enumerate() {
        let Some(tc) = a.candidates_of(t) else {
            continue;
        };
        for c in &tc.candidates {
            let covers: Vec<usize> = c
                .serves
                .iter()
                .filter_map(|s| point_of.get(&(ti, s.neighbourhood)).copied())
                .collect();
            sites.push(CandidateSite::new(c.stock, ti, covers));
            site_ref.push((ti, c.stock, c.rank));
        }
    }
    let problem = CoverageProblem::new(weights.clone(), sites)
        .and_then(|p| p.with_existing_coverage(existing.iter().copied()));
    let mut coverage: Vec<TypeCoverage> = types
        .iter()
        .map(|t| TypeCoverage {
            facility_type: t.clone(),
            households: 0.0,
            covered_before: 0.0,
            covered_after: 0.0,
            unreachable: Vec::new(),
            left_uncovered: Vec::new(),
            proven_optimal: true,
        })
        .collect();
    for (i, &(ti, _)) in gap_point.iter().enumerate() {
        coverage[ti].households += weights[i];
    }
    let Ok(problem) = problem else {
        // Weights come from the analysis (finite, ≥ 0) and coverage from its own lists, so the
        // problem is always valid; report nothing chosen rather than fail if it ever is not.
        return (Vec::new(), coverage);
    };
    let answer = if req.cover_all {
        problem.set_covering()
    } else {
        let budget = if req.together {
            let b = Budget::per_type((0..types.len()).map(|t| (t, req.k.max(1))));
            match req.total {
                Some(total) => b.with_total(total),
                None => b,
            }
        } else {
            Budget::total(req.k)
        };
        problem.maximal_covering(&budget)
    };
    let mut chosen = Vec::new();
    for (order, s) in answer.chosen.iter().enumerate() {
        let (ti, stock, rank) = site_ref[s.candidate];
        chosen.push(SiteChoice {
            facility_type: types[ti].clone(),
            stock,
            candidate_rank: rank,
            order: order + 1,
            gain_households: s.marginal_gain,
            newly_served: s
                .newly_covered
                .iter()
                .map(|&d| gap_point[d].1)
                .filter(|&n| n != usize::MAX)
                .collect(),
        });
    }
    for (i, d) in answer.demand.iter().enumerate() {
        use super::allocation::DemandStatus::*;
        let (ti, n) = gap_point[i];
        match d.status {
            AlreadyCovered => {
                coverage[ti].covered_before += d.weight;
                coverage[ti].covered_after += d.weight;
            }
            Covered => coverage[ti].covered_after += d.weight,
            Uncovered if n != usize::MAX => coverage[ti].left_uncovered.push(n),
            Uncoverable if n != usize::MAX => coverage[ti].unreachable.push(n),
            _ => {}
        }
    }
    let proven = answer.optimality == Optimality::Proven;
    for c in &mut coverage {
        c.proven_optimal = proven;
    }
    (chosen, coverage)
}
