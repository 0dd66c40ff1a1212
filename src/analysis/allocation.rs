//! Location-allocation: which candidate sites to open so that the unmet demand within walking reach
//! is covered as much as possible with `k` sites (MCLP), or completely with as few sites as
//! possible (LSCP).
//!
//! This is a pure algorithm on index sets. The caller turns neighbourhoods and stock resources
//! into a [`CoverageProblem`]: demand points `i` with a weight `wᵢ ≥ 0` (the unmet demand: m²,
//! places or households in gap), and candidate sites `j`, each with a *location* `ℓ(j)` (the
//! physical stock resource), a facility type `τ(j)` and the set `Nⱼ` of demand points it covers
//! (those within the type's walking band by network time). A demand point belongs to one facility
//! type in practice (elderly-care demand of a neighbourhood is not childcare demand), so the caller
//! makes one demand point per (neighbourhood, type) when solving several types together.
//! Demand already served by existing facilities is passed with
//! [`CoverageProblem::with_existing_coverage`]: it counts in the coverage *before* and is worth
//! nothing to a new site.
//!
//! # Formulations
//!
//! **Maximal covering (MCLP)**, Church & ReVelle (1974), "The maximal covering location problem",
//! *Papers of the Regional Science Association* 32, 101–118. With `xⱼ = 1` when site `j` is
//! chosen and `yᵢ = 1` when demand point `i` is covered:
//!
//! ```text
//! maximise    Σᵢ wᵢ yᵢ
//! subject to  yᵢ ≤ Σ_{j : i ∈ Nⱼ} xⱼ        for every demand point i
//!             Σⱼ xⱼ ≤ k                      (total budget, optional)
//!             Σ_{j : τ(j) = t} xⱼ ≤ kₜ       (per-type budget, optional)
//!             Σ_{j : ℓ(j) = l} xⱼ ≤ 1        (each location used at most once)
//!             xⱼ, yᵢ ∈ {0, 1}
//! ```
//!
//! The last two rows extend the original model for solving all facility types together: a vacant
//! building proposed as both a canteen and a clinic hosts one of them. A demand point counts once
//! however many chosen sites cover it.
//!
//! **Set covering (LSCP)**, Toregas, Swain, ReVelle & Bergman (1971), "The location of emergency
//! service facilities", *Operations Research* 19(6), 1363–1373:
//!
//! ```text
//! minimise    Σⱼ xⱼ
//! subject to  Σ_{j : i ∈ Nⱼ} xⱼ ≥ 1          for every demand point i that needs cover
//!             Σ_{j : ℓ(j) = l} xⱼ ≤ 1        (each location used at most once)
//! ```
//!
//! A point needs cover when it has unmet demand (`wᵢ > 0`), is not already covered, and some
//! candidate covers it; points no candidate covers are reported as uncoverable instead of making
//! the problem infeasible. When the one-site-per-location rule makes it impossible to cover every
//! such point (two types competing for the only building near them), the solver covers as many
//! points as possible first and then uses as few sites as possible; the points left are reported as
//! uncovered.
//!
//! # Algorithms
//!
//! MCLP: lazy greedy (largest marginal gain first, ties to the lower candidate index; gains only
//! shrink as coverage grows, so stale priorities are upper bounds and the result equals plain
//! greedy), then best-improvement local search over *add* and *1-swap* (interchange) moves until no
//! move improves, then a depth-first branch and bound seeded with that solution. The bound is the
//! sum of the largest current marginal gains that the budgets allow, which is valid because
//! coverage is submodular. The search stops after [`SolveOptions::exact_work_limit`] units of work;
//! when it completes, the answer is a proven optimum ([`Optimality::Proven`]), otherwise it is
//! the local optimum of the swap search, never worse than greedy and never worse than the best
//! single site ([`Optimality::LocalOptimum`]). Small instances (tens of candidates, `k` up to a
//! handful) always complete.
//!
//! LSCP: greedy on the number of newly covered points, redundancy removal, then *add/replace and
//! drop* moves (open a site, possibly replacing the one at its location, and close every site that
//! became redundant) until none improves, then an exact branch and bound (branch on the first
//! uncovered point over the sites covering it) under the same work limit.
//!
//! Everything is deterministic: the same problem gives the same answer, ties go to lower indices.
//!
//! # Example
//!
//! ```
//! use infill::analysis::allocation::{Budget, CandidateSite, CoverageProblem};
//!
//! // Three neighbourhoods' gaps in m² of elderly day care, three vacant buildings.
//! let problem = CoverageProblem::new(
//!     vec![300.0, 200.0, 150.0],
//!     vec![
//!         CandidateSite::new(0, 0, vec![0, 1]),
//!         CandidateSite::new(1, 0, vec![1, 2]),
//!         CandidateSite::new(2, 0, vec![2]),
//!     ],
//! )
//! .unwrap();
//! let best = problem.maximal_covering(&Budget::total(1));
//! assert_eq!(best.chosen[0].candidate, 0);
//! assert_eq!(best.covered_after, 500.0);
//! assert_eq!(problem.set_covering().chosen.len(), 2);
//! ```
//!
// Absolute link targets: rustdoc joins these docs with the line in analysis/mod.rs.
//! [`CoverageProblem::with_existing_coverage`]: crate::analysis::allocation::CoverageProblem::with_existing_coverage
//! [`SolveOptions::exact_work_limit`]: crate::analysis::allocation::SolveOptions::exact_work_limit
//! [`Optimality::Proven`]: crate::analysis::allocation::Optimality::Proven
//! [`Optimality::LocalOptimum`]: crate::analysis::allocation::Optimality::LocalOptimum
//! [`CoverageProblem`]: crate::analysis::allocation::CoverageProblem

use std::cmp::Ordering;
use std::collections::{BTreeMap, BinaryHeap};

use thiserror::Error;

/// Why a [`CoverageProblem`] could not be built; each variant names the offending index.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum AllocationError {
    /// A demand weight is NaN, infinite or negative.
    #[error("demand point {demand}: weight {weight} is not a finite number ≥ 0")]
    BadWeight {
        /// Index of the demand point.
        demand: usize,
        /// The weight given.
        weight: f64,
    },
    /// A candidate's coverage names a demand point that does not exist.
    #[error(
        "candidate {candidate} covers demand point {demand}, but there are only {demand_count} demand points"
    )]
    CoverageOutOfRange {
        /// Index of the candidate.
        candidate: usize,
        /// The demand index it names.
        demand: usize,
        /// How many demand points the problem has.
        demand_count: usize,
    },
    /// The existing coverage names a demand point that does not exist.
    #[error(
        "existing coverage names demand point {demand}, but there are only {demand_count} demand points"
    )]
    ExistingOutOfRange {
        /// The demand index given.
        demand: usize,
        /// How many demand points the problem has.
        demand_count: usize,
    },
}

/// One candidate site: a facility type proposed at a location, and the demand points it would
/// serve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CandidateSite {
    /// The physical location (stock resource) id; candidates sharing it exclude each other.
    pub location: usize,
    /// The facility type id, matched against [`Budget::per_type`].
    pub facility_type: usize,
    /// Indices of the demand points within the type's walking band. Duplicates are ignored.
    pub covers: Vec<usize>,
}

impl CandidateSite {
    /// A candidate of `facility_type` at `location` covering the demand points `covers`.
    pub fn new(location: usize, facility_type: usize, covers: Vec<usize>) -> Self {
        CandidateSite {
            location,
            facility_type,
            covers,
        }
    }
}

/// How many sites MCLP may choose: a total, per facility type, or both. A type without its own
/// cap is limited only by the total; with neither, every useful site may be chosen.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Budget {
    /// At most this many sites in all (`None`: no total cap).
    pub total: Option<usize>,
    /// At most this many sites of a facility type, keyed by [`CandidateSite::facility_type`].
    pub per_type: BTreeMap<usize, usize>,
}

impl Budget {
    /// At most `k` sites in all.
    pub fn total(k: usize) -> Self {
        Budget {
            total: Some(k),
            per_type: BTreeMap::new(),
        }
    }

    /// At most `k` sites of each listed type `(type, k)`; unlisted types are not capped.
    pub fn per_type(caps: impl IntoIterator<Item = (usize, usize)>) -> Self {
        Budget {
            total: None,
            per_type: caps.into_iter().collect(),
        }
    }

    /// The same budget with a total cap of `k` added.
    pub fn with_total(mut self, k: usize) -> Self {
        self.total = Some(k);
        self
    }
}

/// Tuning of the solvers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SolveOptions {
    /// Work allowed to the exact branch and bound, counted in coverage entries visited (tens of
    /// nanoseconds each: the default stops a hopeless search within about 0.1 s); 0 skips it and
    /// returns the local-search answer.
    pub exact_work_limit: u64,
}

impl Default for SolveOptions {
    fn default() -> Self {
        SolveOptions {
            exact_work_limit: 4_000_000,
        }
    }
}

/// How good the answer is known to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Optimality {
    /// The exact search completed: no feasible choice is better.
    Proven,
    /// No improving move exists, but the exact search was skipped or ran out of work.
    LocalOptimum,
}

/// Which problem an [`Allocation`] answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Formulation {
    /// Maximal covering within a budget (MCLP).
    MaximalCovering,
    /// Fewest sites covering all coverable demand (LSCP).
    SetCovering,
}

/// A chosen site and what it adds, in selection order.
#[derive(Debug, Clone, PartialEq)]
pub struct ChosenSite {
    /// Index of the candidate in the problem.
    pub candidate: usize,
    /// Its location id.
    pub location: usize,
    /// Its facility type id.
    pub facility_type: usize,
    /// Demand weight it covers that nothing chosen before it (nor an existing facility) covers.
    pub marginal_gain: f64,
    /// The demand points (with unmet demand) it covers first.
    pub newly_covered: Vec<usize>,
    /// All unmet demand weight within its band, shared or not.
    pub covered_weight: f64,
}

/// Where a demand point stands after the allocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DemandStatus {
    /// Covered by existing facilities before any site is chosen.
    AlreadyCovered,
    /// Covered by at least one chosen site.
    Covered,
    /// Weight zero: nothing to cover.
    NoDemand,
    /// Some candidate covers it, but none of the chosen ones.
    Uncovered,
    /// No candidate covers it.
    Uncoverable,
}

/// One demand point's outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct DemandCoverage {
    /// Its weight as given.
    pub weight: f64,
    /// Its status.
    pub status: DemandStatus,
    /// The chosen candidates covering it, in selection order.
    pub covered_by: Vec<usize>,
}

/// Counters of the search, for explaining how the answer was reached.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchTrace {
    /// Sites plain greedy chose.
    pub greedy_sites: usize,
    /// Covered weight (existing coverage included) after plain greedy.
    pub greedy_covered: f64,
    /// Improving moves made by the local search after greedy.
    pub improving_moves: usize,
    /// Whether the exact search found a better answer than the local search.
    pub improved_by_exact: bool,
}

/// The answer to a location-allocation problem, with what a planner needs to explain it.
#[derive(Debug, Clone, PartialEq)]
pub struct Allocation {
    /// The problem answered.
    pub formulation: Formulation,
    /// The chosen sites, ordered so that each adds the most given the ones before it.
    pub chosen: Vec<ChosenSite>,
    /// Sum of all demand weights.
    pub total_weight: f64,
    /// Weight covered before any site is chosen (by existing facilities).
    pub covered_before: f64,
    /// Weight covered with the chosen sites (existing coverage included).
    pub covered_after: f64,
    /// Per demand point, indexed like the problem's demand.
    pub demand: Vec<DemandCoverage>,
    /// Demand points with unmet demand that a candidate covers but no chosen one does.
    pub uncovered: Vec<usize>,
    /// Demand points with unmet demand that no candidate covers.
    pub uncoverable: Vec<usize>,
    /// Whether the answer is proven optimal.
    pub optimality: Optimality,
    /// How the search went.
    pub trace: SearchTrace,
}

/// A coverage problem: weighted demand points and candidate sites with their coverage. Validated
/// on construction; solve it with [`maximal_covering`](Self::maximal_covering) or
/// [`set_covering`](Self::set_covering).
#[derive(Debug, Clone, PartialEq)]
pub struct CoverageProblem {
    weights: Vec<f64>,
    existing: Vec<bool>,
    /// Weight a new site can gain: zero where existing facilities already cover.
    gain_weights: Vec<f64>,
    candidates: Vec<CandidateSite>,
    /// Per candidate, its location and type as dense indices.
    location_of: Vec<usize>,
    type_of: Vec<usize>,
    location_count: usize,
    /// Dense type index → the caller's type id.
    type_ids: Vec<usize>,
    /// Per demand point, the candidates covering it.
    coverers: Vec<Vec<usize>>,
}

impl CoverageProblem {
    /// Validates and builds a problem. Each candidate's coverage is sorted and deduplicated.
    ///
    /// # Errors
    /// [`AllocationError::BadWeight`] for a NaN, infinite or negative weight,
    /// [`AllocationError::CoverageOutOfRange`] for a coverage index past the demand points.
    pub fn new(
        demand_weights: Vec<f64>,
        mut candidates: Vec<CandidateSite>,
    ) -> Result<Self, AllocationError> {
        if let Some((demand, &weight)) = demand_weights
            .iter()
            .enumerate()
            .find(|(_, w)| !(w.is_finite() && **w >= 0.0))
        {
            return Err(AllocationError::BadWeight { demand, weight });
        }
        let demand_count = demand_weights.len();
        let mut coverers = vec![Vec::new(); demand_count];
        for (candidate, site) in candidates.iter_mut().enumerate() {
            site.covers.sort_unstable();
            site.covers.dedup();
            if let Some(&demand) = site.covers.iter().find(|&&d| d >= demand_count) {
                return Err(AllocationError::CoverageOutOfRange {
                    candidate,
                    demand,
                    demand_count,
                });
            }
            for &d in &site.covers {
                coverers[d].push(candidate);
            }
        }
        let mut locations = BTreeMap::new();
        let mut types = BTreeMap::new();
        for site in &candidates {
            let n = locations.len();
            locations.entry(site.location).or_insert(n);
            let n = types.len();
            types.entry(site.facility_type).or_insert(n);
        }
        let location_of = candidates.iter().map(|s| locations[&s.location]).collect();
        let type_of = candidates.iter().map(|s| types[&s.facility_type]).collect();
        let mut type_ids = vec![0; types.len()];
        for (&id, &dense) in &types {
            type_ids[dense] = id;
        }
        Ok(CoverageProblem {
            existing: vec![false; demand_count],
            gain_weights: demand_weights.clone(),
            weights: demand_weights,
            candidates,
            location_of,
            type_of,
            location_count: locations.len(),
            type_ids,
            coverers,
        })
    }

    /// The same problem with the demand points in `covered` already served by existing
    /// facilities: their weight counts in the coverage before, and new sites gain nothing there.
    ///
    /// # Errors
    /// [`AllocationError::ExistingOutOfRange`] for an index past the demand points.
    pub fn with_existing_coverage(
        mut self,
        covered: impl IntoIterator<Item = usize>,
    ) -> Result<Self, AllocationError> {
        let demand_count = self.weights.len();
        for demand in covered {
            if demand >= demand_count {
                return Err(AllocationError::ExistingOutOfRange {
                    demand,
                    demand_count,
                });
            }
            self.existing[demand] = true;
            self.gain_weights[demand] = 0.0;
        }
        Ok(self)
    }

    /// Number of demand points.
    pub fn demand_count(&self) -> usize {
        self.weights.len()
    }

    /// The candidates, coverage normalised (sorted, deduplicated).
    pub fn candidates(&self) -> &[CandidateSite] {
        &self.candidates
    }

    /// Maximal covering (MCLP) within `budget`, with the default [`SolveOptions`].
    pub fn maximal_covering(&self, budget: &Budget) -> Allocation {
        self.maximal_covering_with(budget, &SolveOptions::default())
    }

    /// Maximal covering (MCLP) within `budget`: greedy, swap improvement, then exact search
    /// within `options.exact_work_limit`.
    pub fn maximal_covering_with(&self, budget: &Budget, options: &SolveOptions) -> Allocation {
        let caps = self.caps(budget);
        let weights = &self.gain_weights;
        let tol = 1e-9 * weights.iter().sum::<f64>();
        let mut selection = Selection::new(self);
        greedy(&mut selection, weights, &caps);
        let greedy_sites = selection.members.len();
        let greedy_covered = self.covered_weight(&selection);
        let improving_moves = improve_by_swaps(&mut selection, weights, &caps, tol);
        let mut sites = selection.members.clone();
        sites.sort_unstable();
        let local_value = selection.value(weights);
        let mut improved_by_exact = false;
        let optimality =
            match exact_maximal_covering(self, &caps, &sites, local_value, tol, options) {
                Some(best) => {
                    improved_by_exact = best != sites;
                    sites = best;
                    Optimality::Proven
                }
                None => Optimality::LocalOptimum,
            };
        let trace = SearchTrace {
            greedy_sites,
            greedy_covered,
            improving_moves,
            improved_by_exact,
        };
        self.report(
            Formulation::MaximalCovering,
            &sites,
            weights,
            optimality,
            trace,
        )
    }

    /// Set covering (LSCP) with the default [`SolveOptions`].
    pub fn set_covering(&self) -> Allocation {
        self.set_covering_with(&SolveOptions::default())
    }

    /// Set covering (LSCP): the fewest sites, one per location, covering every point with unmet
    /// demand that some candidate covers (as many as the location rule allows).
    pub fn set_covering_with(&self, options: &SolveOptions) -> Allocation {
        // Each point needing cover is worth 1: the objective counts points, not weight.
        let unit: Vec<f64> = (0..self.demand_count())
            .map(|d| f64::from(u8::from(self.needs_cover(d))))
            .collect();
        let caps = Caps {
            per_type: vec![usize::MAX; self.type_ids.len()],
            total: usize::MAX,
        };
        let mut selection = Selection::new(self);
        greedy(&mut selection, &unit, &caps);
        let greedy_sites = selection.members.len();
        let greedy_covered = self.covered_weight(&selection);
        remove_redundant(&mut selection, &unit);
        let improving_moves = improve_set_cover(&mut selection, &unit);
        let mut sites = selection.members.clone();
        sites.sort_unstable();
        let mut improved_by_exact = false;
        let optimality = match exact_set_covering(self, &unit, &sites, options) {
            Some(best) => {
                improved_by_exact = best != sites;
                sites = best;
                Optimality::Proven
            }
            None => Optimality::LocalOptimum,
        };
        let trace = SearchTrace {
            greedy_sites,
            greedy_covered,
            improving_moves,
            improved_by_exact,
        };
        self.report(Formulation::SetCovering, &sites, &unit, optimality, trace)
    }

    fn needs_cover(&self, demand: usize) -> bool {
        self.gain_weights[demand] > 0.0 && !self.coverers[demand].is_empty()
    }

    fn caps(&self, budget: &Budget) -> Caps {
        Caps {
            per_type: self
                .type_ids
                .iter()
                .map(|id| budget.per_type.get(id).copied().unwrap_or(usize::MAX))
                .collect(),
            total: budget.total.unwrap_or(usize::MAX),
        }
    }

    fn covers(&self, candidate: usize) -> &[usize] {
        &self.candidates[candidate].covers
    }

    /// Weight covered by `selection` or existing facilities, summed in demand order.
    fn covered_weight(&self, selection: &Selection) -> f64 {
        (0..self.demand_count())
            .filter(|&d| self.existing[d] || selection.cover_count[d] > 0)
            .map(|d| self.weights[d])
            .sum()
    }

    /// Orders `sites` greedily by `order_weights` (dropping any that add nothing) and describes
    /// the result.
    fn report(
        &self,
        formulation: Formulation,
        sites: &[usize],
        order_weights: &[f64],
        optimality: Optimality,
        trace: SearchTrace,
    ) -> Allocation {
        let mut selection = Selection::new(self);
        let mut remaining = sites.to_vec();
        let mut chosen = Vec::new();
        loop {
            let best = remaining
                .iter()
                .enumerate()
                .map(|(pos, &c)| (pos, c, selection.gain(c, order_weights)))
                .max_by(|a, b| a.2.total_cmp(&b.2).then(b.1.cmp(&a.1)));
            let Some((pos, candidate, gain)) = best else {
                break;
            };
            if gain <= 0.0 {
                break;
            }
            remaining.swap_remove(pos);
            let newly_covered: Vec<usize> = self
                .covers(candidate)
                .iter()
                .copied()
                .filter(|&d| selection.cover_count[d] == 0 && self.gain_weights[d] > 0.0)
                .collect();
            let site = &self.candidates[candidate];
            chosen.push(ChosenSite {
                candidate,
                location: site.location,
                facility_type: site.facility_type,
                marginal_gain: newly_covered.iter().map(|&d| self.gain_weights[d]).sum(),
                newly_covered,
                covered_weight: site.covers.iter().map(|&d| self.gain_weights[d]).sum(),
            });
            selection.add(candidate);
        }
        let mut demand: Vec<DemandCoverage> = self
            .weights
            .iter()
            .map(|&weight| DemandCoverage {
                weight,
                status: DemandStatus::Uncovered,
                covered_by: Vec::new(),
            })
            .collect();
        for site in &chosen {
            for &d in self.covers(site.candidate) {
                demand[d].covered_by.push(site.candidate);
            }
        }
        let (mut uncovered, mut uncoverable) = (Vec::new(), Vec::new());
        for (d, point) in demand.iter_mut().enumerate() {
            point.status = if self.existing[d] {
                DemandStatus::AlreadyCovered
            } else if !point.covered_by.is_empty() {
                DemandStatus::Covered
            } else if point.weight == 0.0 {
                DemandStatus::NoDemand
            } else if self.coverers[d].is_empty() {
                uncoverable.push(d);
                DemandStatus::Uncoverable
            } else {
                uncovered.push(d);
                DemandStatus::Uncovered
            };
        }
        Allocation {
            formulation,
            total_weight: self.weights.iter().sum(),
            covered_before: (0..self.demand_count())
                .filter(|&d| self.existing[d])
                .map(|d| self.weights[d])
                .sum(),
            covered_after: self.covered_weight(&selection),
            chosen,
            demand,
            uncovered,
            uncoverable,
            optimality,
            trace,
        }
    }
}

/// Budgets on dense type indices; `usize::MAX` means no cap.
struct Caps {
    per_type: Vec<usize>,
    total: usize,
}

/// A set of chosen sites with the counters every move needs.
struct Selection<'p> {
    problem: &'p CoverageProblem,
    /// Per demand point, how many chosen sites cover it.
    cover_count: Vec<u32>,
    /// Per demand point, the sum of the chosen sites covering it: the sole one when the count is 1.
    coverer_sum: Vec<usize>,
    location_user: Vec<Option<usize>>,
    type_count: Vec<usize>,
    chosen: Vec<bool>,
    members: Vec<usize>,
}

impl<'p> Selection<'p> {
    fn new(problem: &'p CoverageProblem) -> Self {
        let demand = problem.demand_count();
        Selection {
            problem,
            cover_count: vec![0; demand],
            coverer_sum: vec![0; demand],
            location_user: vec![None; problem.location_count],
            type_count: vec![0; problem.type_ids.len()],
            chosen: vec![false; problem.candidates.len()],
            members: Vec::new(),
        }
    }

    fn can_add(&self, c: usize, caps: &Caps) -> bool {
        let t = self.problem.type_of[c];
        !self.chosen[c]
            && self.location_user[self.problem.location_of[c]].is_none()
            && self.type_count[t] < caps.per_type[t]
            && self.members.len() < caps.total
    }

    fn add(&mut self, c: usize) {
        for &d in self.problem.covers(c) {
            self.cover_count[d] += 1;
            self.coverer_sum[d] += c;
        }
        self.location_user[self.problem.location_of[c]] = Some(c);
        self.type_count[self.problem.type_of[c]] += 1;
        self.chosen[c] = true;
        self.members.push(c);
    }

    fn remove(&mut self, c: usize) {
        for &d in self.problem.covers(c) {
            self.cover_count[d] -= 1;
            self.coverer_sum[d] -= c;
        }
        self.location_user[self.problem.location_of[c]] = None;
        self.type_count[self.problem.type_of[c]] -= 1;
        self.chosen[c] = false;
        self.members.retain(|&m| m != c);
    }

    /// Weight `c` would add: its points nobody chosen covers yet.
    fn gain(&self, c: usize, weights: &[f64]) -> f64 {
        self.problem
            .covers(c)
            .iter()
            .filter(|&&d| self.cover_count[d] == 0)
            .map(|&d| weights[d])
            .sum()
    }

    /// Weight lost if the chosen `c` were removed: its points no other chosen site covers.
    fn loss(&self, c: usize, weights: &[f64]) -> f64 {
        self.problem
            .covers(c)
            .iter()
            .filter(|&&d| self.cover_count[d] == 1)
            .map(|&d| weights[d])
            .sum()
    }

    fn value(&self, weights: &[f64]) -> f64 {
        (0..weights.len())
            .filter(|&d| self.cover_count[d] > 0)
            .map(|d| weights[d])
            .sum()
    }

    /// Points of positive weight covered, for the LSCP objective (unit weights).
    fn covered_points(&self, unit: &[f64]) -> usize {
        (0..unit.len())
            .filter(|&d| self.cover_count[d] > 0 && unit[d] > 0.0)
            .count()
    }
}

/// A candidate ranked by (gain, lower index first) for the greedy priority queue.
#[derive(Debug, PartialEq)]
struct Ranked {
    gain: f64,
    candidate: usize,
}

impl Eq for Ranked {}

impl Ord for Ranked {
    fn cmp(&self, other: &Self) -> Ordering {
        self.gain
            .total_cmp(&other.gain)
            .then_with(|| other.candidate.cmp(&self.candidate))
    }
}

impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Lazy greedy: adds the feasible candidate of largest positive gain (lowest index on ties) until
/// none is left. Equal to plain greedy because gains only shrink as coverage grows (also in
/// floating point: each gain is a sum of the same non-negative terms in the same order, minus
/// some) and a candidate that became infeasible never becomes feasible again.
fn greedy(selection: &mut Selection, weights: &[f64], caps: &Caps) {
    let mut heap: BinaryHeap<Ranked> = (0..selection.problem.candidates.len())
        .filter_map(|candidate| {
            let gain = selection.gain(candidate, weights);
            (gain > 0.0).then_some(Ranked { gain, candidate })
        })
        .collect();
    while let Some(top) = heap.pop() {
        if selection.members.len() >= caps.total {
            break;
        }
        if !selection.can_add(top.candidate, caps) {
            continue;
        }
        let gain = selection.gain(top.candidate, weights);
        if gain <= 0.0 {
            continue;
        }
        let fresh = Ranked {
            gain,
            candidate: top.candidate,
        };
        if heap.peek().is_none_or(|next| fresh > *next) {
            selection.add(fresh.candidate);
        } else {
            heap.push(fresh);
        }
    }
}

/// An improving move of the MCLP local search: add `add`, removing `remove` first if any.
struct Move {
    delta: f64,
    add: usize,
    remove: Option<usize>,
}

/// Best-improvement local search over add and 1-swap moves that keep every budget and the
/// one-site-per-location rule; returns the number of moves made. A move must gain more than `tol`
/// so rounding cannot make it cycle.
fn improve_by_swaps(selection: &mut Selection, weights: &[f64], caps: &Caps, tol: f64) -> usize {
    let problem = selection.problem;
    let n = problem.candidates.len();
    let mut loss = vec![0.0; n];
    let mut bonus = vec![0.0; n];
    let mut touched = Vec::new();
    let mut moves = 0;
    loop {
        // The cheapest site to remove, overall and per type (lowest index on ties).
        let mut cheapest: Option<(f64, usize)> = None;
        let mut cheapest_of_type: Vec<Option<(f64, usize)>> = vec![None; problem.type_ids.len()];
        let mut members = selection.members.clone();
        members.sort_unstable();
        for &i in &members {
            loss[i] = selection.loss(i, weights);
            let t = problem.type_of[i];
            for slot in [&mut cheapest, &mut cheapest_of_type[t]] {
                if slot.is_none_or(|(l, _)| loss[i] < l) {
                    *slot = Some((loss[i], i));
                }
            }
        }
        let mut best: Option<Move> = None;
        let mut consider = |delta: f64, add: usize, remove: Option<usize>| {
            if delta > tol && best.as_ref().is_none_or(|b| delta > b.delta) {
                best = Some(Move { delta, add, remove });
            }
        };
        for j in 0..n {
            if selection.chosen[j] {
                continue;
            }
            // gain0: points nobody covers; bonus[i]: points only i covers, which j would take over.
            let mut gain0 = 0.0;
            for &d in problem.covers(j) {
                let w = weights[d];
                if w <= 0.0 {
                    continue;
                }
                match selection.cover_count[d] {
                    0 => gain0 += w,
                    1 => {
                        let i = selection.coverer_sum[d];
                        if bonus[i] == 0.0 {
                            touched.push(i);
                        }
                        bonus[i] += w;
                    }
                    _ => {}
                }
            }
            let t = problem.type_of[j];
            let type_room = selection.type_count[t] < caps.per_type[t];
            match selection.location_user[problem.location_of[j]] {
                Some(i0) => {
                    if type_room || problem.type_of[i0] == t {
                        consider(gain0 + bonus[i0] - loss[i0], j, Some(i0));
                    }
                }
                None => {
                    if type_room && selection.members.len() < caps.total {
                        consider(gain0, j, None);
                    }
                    let pool = if type_room {
                        cheapest
                    } else {
                        cheapest_of_type[t]
                    };
                    if let Some((l, i)) = pool {
                        consider(gain0 + bonus[i] - l, j, Some(i));
                    }
                    for &i in &touched {
                        if type_room || problem.type_of[i] == t {
                            consider(gain0 + bonus[i] - loss[i], j, Some(i));
                        }
                    }
                }
            }
            for &i in &touched {
                bonus[i] = 0.0;
            }
            touched.clear();
        }
        let Some(step) = best else {
            return moves;
        };
        if let Some(i) = step.remove {
            selection.remove(i);
        }
        selection.add(step.add);
        moves += 1;
    }
}

/// Recursion depth (sites in a solution) beyond which the exact MCLP search is not tried.
const MAX_EXACT_SITES: usize = 256;

/// Exact MCLP by depth-first branch and bound over candidate combinations, seeded with the
/// local-search answer. Returns the optimal sites (sorted) if the search completes within the work
/// limit.
fn exact_maximal_covering(
    problem: &CoverageProblem,
    caps: &Caps,
    incumbent: &[usize],
    incumbent_value: f64,
    tol: f64,
    options: &SolveOptions,
) -> Option<Vec<usize>> {
    let weights = &problem.gain_weights;
    let empty = Selection::new(problem);
    let mut per_type = vec![0usize; problem.type_ids.len()];
    let mut order: Vec<(f64, usize)> = Vec::new();
    for c in 0..problem.candidates.len() {
        let gain = empty.gain(c, weights);
        if gain > 0.0 && caps.per_type[problem.type_of[c]] > 0 {
            order.push((gain, c));
            per_type[problem.type_of[c]] += 1;
        }
    }
    let max_sites = per_type
        .iter()
        .zip(&caps.per_type)
        .map(|(&n, &cap)| n.min(cap))
        .fold(0usize, usize::saturating_add)
        .min(caps.total)
        .min(problem.location_count);
    if options.exact_work_limit == 0 || max_sites > MAX_EXACT_SITES {
        return None;
    }
    // Large first gains first: good solutions early, and a cheap bound in the loop.
    order.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut search = McSearch {
        selection: empty,
        weights,
        caps,
        first_gain: order.iter().map(|o| o.0).collect(),
        order: order.iter().map(|o| o.1).collect(),
        best_value: incumbent_value,
        best_sites: incumbent.to_vec(),
        current: Vec::new(),
        tol,
        work: 0,
        work_limit: options.exact_work_limit,
        aborted: false,
        gains: Vec::new(),
        type_left: Vec::new(),
    };
    search.branch(0, 0.0);
    if search.aborted {
        return None;
    }
    search.best_sites.sort_unstable();
    Some(search.best_sites)
}

struct McSearch<'p, 'a> {
    selection: Selection<'p>,
    weights: &'a [f64],
    caps: &'a Caps,
    /// Candidates with positive gain, by decreasing gain on the empty selection.
    order: Vec<usize>,
    first_gain: Vec<f64>,
    best_value: f64,
    best_sites: Vec<usize>,
    current: Vec<usize>,
    tol: f64,
    work: u64,
    work_limit: u64,
    aborted: bool,
    gains: Vec<(f64, usize)>,
    type_left: Vec<usize>,
}

impl McSearch<'_, '_> {
    fn gain(&mut self, c: usize) -> f64 {
        self.work += self.selection.problem.covers(c).len() as u64 + 1;
        self.selection.gain(c, self.weights)
    }

    /// Explores every extension of the current sites by candidates from `order[start..]`.
    fn branch(&mut self, start: usize, value: f64) {
        if value > self.best_value + self.tol {
            self.best_value = value;
            self.best_sites = self.current.clone();
        }
        let total_left = self.caps.total - self.selection.members.len();
        if total_left == 0 {
            return;
        }
        // Bound: the largest current gains the budgets allow (locations relaxed).
        self.gains.clear();
        for pos in start..self.order.len() {
            let c = self.order[pos];
            if self.selection.can_add(c, self.caps) {
                let gain = self.gain(c);
                if gain > 0.0 {
                    self.gains.push((gain, self.selection.problem.type_of[c]));
                }
            }
        }
        if self.work > self.work_limit {
            self.aborted = true;
            return;
        }
        self.gains.sort_by(|a, b| b.0.total_cmp(&a.0));
        self.type_left.clear();
        self.type_left.extend(
            self.caps
                .per_type
                .iter()
                .zip(&self.selection.type_count)
                .map(|(&cap, &n)| cap - n),
        );
        let (mut bound, mut taken) = (0.0, 0);
        for &(gain, t) in &self.gains {
            if taken == total_left {
                break;
            }
            if self.type_left[t] > 0 {
                self.type_left[t] -= 1;
                bound += gain;
                taken += 1;
            }
        }
        if value + bound <= self.best_value + self.tol {
            return;
        }
        for pos in start..self.order.len() {
            let c = self.order[pos];
            let slots = total_left.min(self.order.len() - pos) as f64;
            if value + slots * self.first_gain[pos] <= self.best_value + self.tol {
                break;
            }
            if !self.selection.can_add(c, self.caps) {
                continue;
            }
            let gain = self.gain(c);
            if gain <= 0.0 {
                continue;
            }
            self.work += 2 * self.selection.problem.covers(c).len() as u64;
            self.selection.add(c);
            self.current.push(c);
            self.branch(pos + 1, value + gain);
            self.current.pop();
            self.selection.remove(c);
            if self.aborted {
                return;
            }
        }
    }
}

/// Removes chosen sites whose every point is covered by another chosen site, latest first.
fn remove_redundant(selection: &mut Selection, unit: &[f64]) {
    let members = selection.members.clone();
    for &c in members.iter().rev() {
        if selection.loss(c, unit) == 0.0 {
            selection.remove(c);
        }
    }
}

/// LSCP local search: open a site (replacing the one at its location, if any), close every site
/// that became redundant, keep the move if it covers more points or uses fewer sites. First
/// improvement in candidate order, until a full pass finds none; returns the moves made. Expects
/// a selection without redundant sites and keeps it so.
fn improve_set_cover(selection: &mut Selection, unit: &[f64]) -> usize {
    let problem = selection.problem;
    let mut moves = 0;
    loop {
        let mut improved = false;
        for j in 0..problem.candidates.len() {
            if selection.chosen[j]
                || !problem
                    .covers(j)
                    .iter()
                    .any(|&d| unit[d] > 0.0 && selection.cover_count[d] <= 1)
            {
                continue;
            }
            // Points gained and sites saved by the move; only the occupant's removal can lose
            // points (dropped sites are redundant by definition).
            let size_before = selection.members.len();
            let occupant = selection.location_user[problem.location_of[j]];
            let mut points_gained = 0i64;
            if let Some(i0) = occupant {
                points_gained -= unit_count(selection.loss(i0, unit));
                selection.remove(i0);
            }
            points_gained += unit_count(selection.gain(j, unit));
            // The selection had no redundant site, so only a sole coverer of one of j's points
            // can become redundant.
            let mut suspects: Vec<usize> = problem
                .covers(j)
                .iter()
                .filter(|&&d| unit[d] > 0.0 && selection.cover_count[d] == 1)
                .map(|&d| selection.coverer_sum[d])
                .collect();
            suspects.sort_unstable();
            suspects.dedup();
            selection.add(j);
            let mut dropped = Vec::new();
            for i in suspects {
                if selection.loss(i, unit) == 0.0 {
                    selection.remove(i);
                    dropped.push(i);
                }
            }
            if points_gained > 0 || (points_gained == 0 && selection.members.len() < size_before) {
                improved = true;
                moves += 1;
            } else {
                for &i in dropped.iter().rev() {
                    selection.add(i);
                }
                selection.remove(j);
                if let Some(i0) = occupant {
                    selection.add(i0);
                }
            }
        }
        if !improved {
            return moves;
        }
    }
}

/// A sum of unit weights as the whole number it is.
fn unit_count(sum: f64) -> i64 {
    sum.round() as i64
}

/// Exact LSCP (lexicographic: fewest points left uncovered, then fewest sites) by branch and
/// bound: take the first point needing cover and branch over the sites that could cover it, or
/// leave it uncovered. Seeded with the local-search answer; `None` if the work limit is reached.
fn exact_set_covering(
    problem: &CoverageProblem,
    unit: &[f64],
    incumbent: &[usize],
    options: &SolveOptions,
) -> Option<Vec<usize>> {
    if options.exact_work_limit == 0 {
        return None;
    }
    let mut start = Selection::new(problem);
    for &c in incumbent {
        start.add(c);
    }
    let needy: Vec<usize> = (0..unit.len()).filter(|&d| unit[d] > 0.0).collect();
    let incumbent_key = (needy.len() - start.covered_points(unit), incumbent.len());
    let max_cover = (0..problem.candidates.len())
        .map(|c| problem.covers(c).iter().filter(|&&d| unit[d] > 0.0).count())
        .max()
        .unwrap_or(0)
        .max(1);
    let mut search = ScSearch {
        selection: Selection::new(problem),
        unit,
        needy,
        abandoned: vec![false; unit.len()],
        max_cover,
        best_key: incumbent_key,
        best_sites: incumbent.to_vec(),
        current: Vec::new(),
        work: 0,
        work_limit: options.exact_work_limit,
        aborted: false,
    };
    search.branch(0, 0);
    if search.aborted {
        return None;
    }
    search.best_sites.sort_unstable();
    Some(search.best_sites)
}

struct ScSearch<'p, 'a> {
    selection: Selection<'p>,
    unit: &'a [f64],
    /// Points needing cover, in index order.
    needy: Vec<usize>,
    /// Points this branch has given up on.
    abandoned: Vec<bool>,
    /// Most points needing cover any one candidate covers.
    max_cover: usize,
    /// (points left uncovered, sites) of the best answer so far.
    best_key: (usize, usize),
    best_sites: Vec<usize>,
    current: Vec<usize>,
    work: u64,
    work_limit: u64,
    aborted: bool,
}

impl ScSearch<'_, '_> {
    /// `abandoned`: points given up on so far; every point in `needy[..from]` is covered or
    /// given up on. Along the path to any solution X, the points given up on are ones X leaves
    /// uncovered, so `abandoned` bounds X's uncovered count from below.
    fn branch(&mut self, from: usize, abandoned: usize) {
        let unresolved = |s: &Self, d: usize| s.selection.cover_count[d] == 0 && !s.abandoned[d];
        let Some(offset) = self.needy[from..].iter().position(|&d| unresolved(self, d)) else {
            self.work += self.needy.len() as u64;
            let uncovered = self.needy.len() - self.selection.covered_points(self.unit);
            let key = (uncovered, self.current.len());
            if key < self.best_key {
                self.best_key = key;
                self.best_sites = self.current.clone();
            }
            return;
        };
        let at = from + offset;
        let point = self.needy[at];
        if abandoned > self.best_key.0 {
            return;
        }
        if abandoned == self.best_key.0 {
            // Nothing more may be given up: every unresolved point needs a site.
            let remaining = self.needy[at..]
                .iter()
                .filter(|&&d| unresolved(self, d))
                .count();
            self.work += (self.needy.len() - at) as u64;
            let lower = remaining.div_ceil(self.max_cover);
            if self.current.len() + lower >= self.best_key.1 {
                return;
            }
        }
        let problem = self.selection.problem;
        let mut options: Vec<(f64, usize)> = problem.coverers[point]
            .iter()
            .filter(|&&c| self.selection.location_user[problem.location_of[c]].is_none())
            .map(|&c| {
                self.work += problem.covers(c).len() as u64 + 1;
                (self.selection.gain(c, self.unit), c)
            })
            .collect();
        if self.work > self.work_limit {
            self.aborted = true;
            return;
        }
        options.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        for (_, c) in options {
            self.work += 2 * problem.covers(c).len() as u64;
            self.selection.add(c);
            self.current.push(c);
            self.branch(at + 1, abandoned);
            self.current.pop();
            self.selection.remove(c);
            if self.aborted {
                return;
            }
        }
        if abandoned < self.best_key.0 {
            self.abandoned[point] = true;
            self.branch(at + 1, abandoned + 1);
            self.abandoned[point] = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const EPS: f64 = 1e-9;

    fn site(location: usize, facility_type: usize, covers: &[usize]) -> CandidateSite {
        CandidateSite::new(location, facility_type, covers.to_vec())
    }

    /// A random instance: demand weights (small integers, so sums are exact), candidates with
    /// few locations and types (so they collide), and a few points already covered.
    #[derive(Debug, Clone)]
    struct Instance {
        weights: Vec<f64>,
        candidates: Vec<CandidateSite>,
        existing: Vec<usize>,
    }

    impl Instance {
        fn problem(&self) -> CoverageProblem {
            CoverageProblem::new(self.weights.clone(), self.candidates.clone())
                .unwrap()
                .with_existing_coverage(self.existing.iter().copied())
                .unwrap()
        }
    }

    fn instance() -> impl Strategy<Value = Instance> {
        (1usize..=15).prop_flat_map(|demand| {
            (
                prop::collection::vec(prop_oneof![1 => Just(0u32), 4 => 1u32..20], demand),
                prop::collection::vec(
                    (
                        0usize..8,
                        0usize..3,
                        prop::collection::vec(prop::bool::weighted(0.3), demand),
                    ),
                    0..=12,
                ),
                prop::collection::vec(prop::bool::weighted(0.1), demand),
            )
                .prop_map(|(weights, raw, existing)| Instance {
                    weights: weights.into_iter().map(f64::from).collect(),
                    candidates: raw
                        .into_iter()
                        .map(|(location, facility_type, mask)| {
                            let covers = (0..mask.len()).filter(|&d| mask[d]).collect();
                            CandidateSite::new(location, facility_type, covers)
                        })
                        .collect(),
                    existing: (0..existing.len()).filter(|&d| existing[d]).collect(),
                })
        })
    }

    fn budget() -> impl Strategy<Value = Budget> {
        (
            prop::option::of(0usize..=4),
            prop::collection::vec(prop::option::of(0usize..=3), 3),
        )
            .prop_map(|(total, caps)| Budget {
                total,
                per_type: caps
                    .into_iter()
                    .enumerate()
                    .filter_map(|(t, k)| k.map(|k| (t, k)))
                    .collect(),
            })
            // At least one cap, so that k stays small like the issue's instances.
            .prop_filter("some cap", |b| b.total.is_some() || b.per_type.len() == 3)
    }

    /// Every subset of candidates, as sorted index lists.
    fn subsets(n: usize) -> impl Iterator<Item = Vec<usize>> {
        (0u32..1 << n).map(move |mask| (0..n).filter(|&c| mask >> c & 1 == 1).collect())
    }

    fn respects_locations(problem: &CoverageProblem, sites: &[usize]) -> bool {
        let mut locations: Vec<usize> = sites
            .iter()
            .map(|&c| problem.candidates()[c].location)
            .collect();
        locations.sort_unstable();
        locations.windows(2).all(|w| w[0] != w[1])
    }

    fn within_budget(problem: &CoverageProblem, budget: &Budget, sites: &[usize]) -> bool {
        budget.total.is_none_or(|k| sites.len() <= k)
            && budget.per_type.iter().all(|(&t, &k)| {
                sites
                    .iter()
                    .filter(|&&c| problem.candidates()[c].facility_type == t)
                    .count()
                    <= k
            })
    }

    /// Unmet demand weight newly covered by `sites` (existing coverage excluded).
    fn gained(instance: &Instance, problem: &CoverageProblem, sites: &[usize]) -> f64 {
        (0..instance.weights.len())
            .filter(|d| !instance.existing.contains(d))
            .filter(|&d| {
                sites
                    .iter()
                    .any(|&c| problem.candidates()[c].covers.contains(&d))
            })
            .map(|d| instance.weights[d])
            .sum()
    }

    fn chosen_sites(allocation: &Allocation) -> Vec<usize> {
        let mut sites: Vec<usize> = allocation.chosen.iter().map(|s| s.candidate).collect();
        sites.sort_unstable();
        sites
    }

    /// The exhaustive MCLP optimum: best gain over every feasible subset.
    fn exhaustive_mclp(instance: &Instance, problem: &CoverageProblem, budget: &Budget) -> f64 {
        subsets(instance.candidates.len())
            .filter(|s| respects_locations(problem, s) && within_budget(problem, budget, s))
            .map(|s| gained(instance, problem, &s))
            .fold(0.0, f64::max)
    }

    /// Points needing cover: unmet demand, not already covered, covered by some candidate.
    fn needy(instance: &Instance) -> Vec<usize> {
        (0..instance.weights.len())
            .filter(|d| instance.weights[*d] > 0.0 && !instance.existing.contains(d))
            .filter(|d| instance.candidates.iter().any(|c| c.covers.contains(d)))
            .collect()
    }

    /// (needy points left uncovered, sites) of a subset.
    fn lscp_key(instance: &Instance, sites: &[usize]) -> (usize, usize) {
        let uncovered = needy(instance)
            .into_iter()
            .filter(|d| {
                !sites
                    .iter()
                    .any(|&c| instance.candidates[c].covers.contains(d))
            })
            .count();
        (uncovered, sites.len())
    }

    /// Plain (not lazy) greedy, as the definition reads.
    fn plain_greedy(instance: &Instance, problem: &CoverageProblem, budget: &Budget) -> Vec<usize> {
        let mut sites: Vec<usize> = Vec::new();
        loop {
            let current = gained(instance, problem, &sites);
            let best = (0..instance.candidates.len())
                .filter(|c| !sites.contains(c))
                .filter(|&c| {
                    let mut with = sites.clone();
                    with.push(c);
                    respects_locations(problem, &with) && within_budget(problem, budget, &with)
                })
                .map(|c| {
                    let mut with = sites.clone();
                    with.push(c);
                    (gained(instance, problem, &with) - current, c)
                })
                .fold(None, |best: Option<(f64, usize)>, (g, c)| match best {
                    Some((bg, _)) if bg >= g => best,
                    _ => Some((g, c)),
                });
            match best {
                Some((gain, c)) if gain > 0.0 => sites.push(c),
                _ => return sites,
            }
        }
    }

    /// Plain greedy set covering: most newly covered points needing cover, lowest index on ties.
    fn plain_greedy_lscp(instance: &Instance, problem: &CoverageProblem) -> Vec<usize> {
        let mut sites: Vec<usize> = Vec::new();
        loop {
            let uncovered = lscp_key(instance, &sites).0;
            let best = (0..instance.candidates.len())
                .filter(|c| !sites.contains(c))
                .filter_map(|c| {
                    let mut with = sites.clone();
                    with.push(c);
                    let gain = uncovered - lscp_key(instance, &with).0;
                    (respects_locations(problem, &with) && gain > 0).then_some((gain, c))
                })
                .fold(None, |best: Option<(usize, usize)>, (g, c)| match best {
                    Some((bg, _)) if bg >= g => best,
                    _ => Some((g, c)),
                });
            match best {
                Some((_, c)) => sites.push(c),
                None => return sites,
            }
        }
    }

    /// What every allocation must satisfy whatever the solver: the before/after totals, the
    /// marginal gains, and the per-point statuses agree with the chosen sites.
    fn check_report(instance: &Instance, problem: &CoverageProblem, allocation: &Allocation) {
        let sites = chosen_sites(allocation);
        assert!(respects_locations(problem, &sites));
        let before: f64 = instance.existing.iter().map(|&d| instance.weights[d]).sum();
        assert!((allocation.covered_before - before).abs() < EPS);
        let gain = gained(instance, problem, &sites);
        assert!((allocation.covered_after - before - gain).abs() < EPS);
        let marginal: f64 = allocation.chosen.iter().map(|s| s.marginal_gain).sum();
        assert!((marginal - gain).abs() < EPS);
        for (d, point) in allocation.demand.iter().enumerate() {
            let by: Vec<usize> = allocation
                .chosen
                .iter()
                .map(|s| s.candidate)
                .filter(|&c| instance.candidates[c].covers.contains(&d))
                .collect();
            assert_eq!(point.covered_by, by);
            let coverable = instance.candidates.iter().any(|c| c.covers.contains(&d));
            let expected = if instance.existing.contains(&d) {
                DemandStatus::AlreadyCovered
            } else if !by.is_empty() {
                DemandStatus::Covered
            } else if instance.weights[d] == 0.0 {
                DemandStatus::NoDemand
            } else if coverable {
                DemandStatus::Uncovered
            } else {
                DemandStatus::Uncoverable
            };
            assert_eq!(point.status, expected, "demand point {d}");
            assert_eq!(
                allocation.uncovered.contains(&d),
                expected == DemandStatus::Uncovered
            );
            assert_eq!(
                allocation.uncoverable.contains(&d),
                expected == DemandStatus::Uncoverable
            );
        }
        for site in &allocation.chosen {
            assert!(site.marginal_gain > 0.0 || allocation.formulation == Formulation::SetCovering);
            assert!(!site.newly_covered.is_empty());
        }
    }

    const HEURISTIC_ONLY: SolveOptions = SolveOptions {
        exact_work_limit: 0,
    };

    proptest! {
        #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

        #[test]
        fn mclp_matches_the_exhaustive_optimum(instance in instance(), budget in budget()) {
            let problem = instance.problem();
            let allocation = problem.maximal_covering(&budget);
            check_report(&instance, &problem, &allocation);
            let sites = chosen_sites(&allocation);
            prop_assert!(within_budget(&problem, &budget, &sites));
            prop_assert_eq!(allocation.optimality, Optimality::Proven);
            let optimum = exhaustive_mclp(&instance, &problem, &budget);
            let got = allocation.covered_after - allocation.covered_before;
            prop_assert!((got - optimum).abs() < EPS, "got {got}, optimum {optimum}");
        }

        #[test]
        fn mclp_local_search_beats_greedy_and_any_single_site(
            instance in instance(), budget in budget(),
        ) {
            let problem = instance.problem();
            let allocation = problem.maximal_covering_with(&budget, &HEURISTIC_ONLY);
            check_report(&instance, &problem, &allocation);
            let sites = chosen_sites(&allocation);
            prop_assert!(within_budget(&problem, &budget, &sites));
            prop_assert_eq!(allocation.optimality, Optimality::LocalOptimum);
            // The lazy greedy inside is plain greedy.
            let greedy = plain_greedy(&instance, &problem, &budget);
            let greedy_covered = allocation.covered_before + gained(&instance, &problem, &greedy);
            prop_assert!((allocation.trace.greedy_covered - greedy_covered).abs() < EPS);
            prop_assert_eq!(allocation.trace.greedy_sites, greedy.len());
            prop_assert!(allocation.covered_after >= greedy_covered - EPS);
            let best_single = (0..instance.candidates.len())
                .filter(|&c| within_budget(&problem, &budget, &[c]))
                .map(|c| gained(&instance, &problem, &[c]))
                .fold(0.0, f64::max);
            prop_assert!(allocation.covered_after - allocation.covered_before >= best_single - EPS);
            // Never worse than the exact answer claims to be, and the exact one never worse.
            let exact = problem.maximal_covering(&budget);
            prop_assert!(exact.covered_after >= allocation.covered_after - EPS);
        }

        #[test]
        fn lscp_matches_the_exhaustive_minimum(instance in instance()) {
            let problem = instance.problem();
            let allocation = problem.set_covering();
            check_report(&instance, &problem, &allocation);
            prop_assert_eq!(allocation.optimality, Optimality::Proven);
            let best = subsets(instance.candidates.len())
                .filter(|s| respects_locations(&problem, s))
                .map(|s| lscp_key(&instance, &s))
                .min();
            prop_assert_eq!(Some(lscp_key(&instance, &chosen_sites(&allocation))), best);
        }

        #[test]
        fn lscp_local_search_is_irredundant_and_no_worse_than_greedy(instance in instance()) {
            let problem = instance.problem();
            let allocation = problem.set_covering_with(&HEURISTIC_ONLY);
            check_report(&instance, &problem, &allocation);
            let sites = chosen_sites(&allocation);
            // Lexicographically no worse than greedy: uncovered points first, then sites. (Fewer
            // sites is not enough: a replacement can cover more with one more site.)
            let greedy = plain_greedy_lscp(&instance, &problem);
            prop_assert_eq!(greedy.len(), allocation.trace.greedy_sites);
            prop_assert!(lscp_key(&instance, &sites) <= lscp_key(&instance, &greedy));
            // Irredundant: each site covers a point needing cover that no other chosen site does.
            for &c in &sites {
                let others: Vec<usize> = sites.iter().copied().filter(|&o| o != c).collect();
                prop_assert!(lscp_key(&instance, &others).0 > lscp_key(&instance, &sites).0);
            }
            // Without competing candidates at one location, everything coverable is covered.
            if respects_locations(&problem, &(0..instance.candidates.len()).collect::<Vec<_>>()) {
                prop_assert!(allocation.uncovered.is_empty());
            }
        }

        #[test]
        fn same_input_same_answer(instance in instance(), budget in budget()) {
            let problem = instance.problem();
            prop_assert_eq!(problem.maximal_covering(&budget), instance.problem().maximal_covering(&budget));
            prop_assert_eq!(
                problem.maximal_covering_with(&budget, &HEURISTIC_ONLY),
                problem.maximal_covering_with(&budget, &HEURISTIC_ONLY)
            );
            prop_assert_eq!(problem.set_covering(), instance.problem().set_covering());
        }
    }

    #[test]
    fn greedy_trap_is_fixed_by_a_swap() {
        // Site 0 covers the most, but sites 1 and 2 together cover everything.
        let problem = CoverageProblem::new(
            vec![1.0; 6],
            vec![
                site(0, 0, &[0, 1, 2, 3]),
                site(1, 0, &[0, 1, 4]),
                site(2, 0, &[2, 3, 5]),
            ],
        )
        .unwrap();
        let allocation = problem.maximal_covering_with(&Budget::total(2), &HEURISTIC_ONLY);
        assert_eq!(allocation.trace.greedy_covered, 5.0);
        assert_eq!(allocation.trace.improving_moves, 1);
        assert_eq!(allocation.covered_after, 6.0);
        assert_eq!(chosen_sites(&allocation), vec![1, 2]);
        let first = &allocation.chosen[0];
        assert_eq!((first.candidate, first.marginal_gain), (1, 3.0));
        assert_eq!(first.newly_covered, vec![0, 1, 4]);
    }

    #[test]
    fn one_location_hosts_one_facility_type() {
        // Location 7 is proposed as a canteen (type 0) and a clinic (type 1).
        let problem = CoverageProblem::new(
            vec![10.0, 8.0, 3.0],
            vec![site(7, 0, &[0]), site(7, 1, &[1]), site(9, 1, &[1, 2])],
        )
        .unwrap();
        let allocation = problem.maximal_covering(&Budget::per_type([(0, 1), (1, 1)]));
        assert_eq!(chosen_sites(&allocation), vec![0, 2]);
        assert_eq!(allocation.covered_after, 21.0);
        // Set covering cannot use location 7 twice either, and needs no more than two sites.
        let cover = problem.set_covering();
        assert_eq!(chosen_sites(&cover), vec![0, 2]);
        assert!(cover.uncovered.is_empty());
    }

    #[test]
    fn competing_types_leave_a_point_uncovered_in_set_covering() {
        let problem =
            CoverageProblem::new(vec![1.0, 1.0], vec![site(3, 0, &[0]), site(3, 1, &[1])]).unwrap();
        let cover = problem.set_covering();
        assert_eq!(chosen_sites(&cover), vec![0]);
        assert_eq!(cover.uncovered, vec![1]);
        assert_eq!(cover.optimality, Optimality::Proven);
    }

    #[test]
    fn existing_coverage_counts_before_and_gains_nothing() {
        let problem = CoverageProblem::new(
            vec![50.0, 20.0, 5.0],
            vec![site(0, 0, &[0]), site(1, 0, &[1, 2])],
        )
        .unwrap()
        .with_existing_coverage([0])
        .unwrap();
        let allocation = problem.maximal_covering(&Budget::total(1));
        assert_eq!(allocation.covered_before, 50.0);
        assert_eq!(allocation.covered_after, 75.0);
        assert_eq!(allocation.total_weight, 75.0);
        assert_eq!(chosen_sites(&allocation), vec![1]);
        assert_eq!(allocation.demand[0].status, DemandStatus::AlreadyCovered);
        assert_eq!(problem.set_covering().chosen.len(), 1);
    }

    #[test]
    fn zero_budget_chooses_nothing() {
        let problem = CoverageProblem::new(vec![4.0, 0.0], vec![site(0, 0, &[0, 1])]).unwrap();
        for budget in [Budget::total(0), Budget::per_type([(0, 0)])] {
            let allocation = problem.maximal_covering(&budget);
            assert!(allocation.chosen.is_empty());
            assert_eq!(allocation.covered_after, 0.0);
            assert_eq!(allocation.uncovered, vec![0]);
            assert_eq!(allocation.demand[1].status, DemandStatus::NoDemand);
        }
    }

    #[test]
    fn uncoverable_points_are_reported_not_fatal() {
        let problem = CoverageProblem::new(vec![1.0, 2.0, 0.0], vec![site(0, 0, &[0])]).unwrap();
        for allocation in [
            problem.set_covering(),
            problem.maximal_covering(&Budget::total(3)),
        ] {
            assert_eq!(chosen_sites(&allocation), vec![0]);
            assert_eq!(allocation.uncoverable, vec![1]);
            assert!(allocation.uncovered.is_empty());
        }
    }

    #[test]
    fn empty_problem_is_fine() {
        let problem = CoverageProblem::new(Vec::new(), Vec::new()).unwrap();
        assert!(problem
            .maximal_covering(&Budget::default())
            .chosen
            .is_empty());
        assert!(problem.set_covering().chosen.is_empty());
    }

    #[test]
    fn bad_input_names_the_index() {
        let nan = CoverageProblem::new(vec![1.0, f64::NAN], Vec::new()).unwrap_err();
        assert!(matches!(nan, AllocationError::BadWeight { demand: 1, .. }));
        let negative = CoverageProblem::new(vec![-2.0], Vec::new()).unwrap_err();
        assert_eq!(
            negative,
            AllocationError::BadWeight {
                demand: 0,
                weight: -2.0
            }
        );
        let infinite = CoverageProblem::new(vec![f64::INFINITY], Vec::new()).unwrap_err();
        assert!(matches!(
            infinite,
            AllocationError::BadWeight { demand: 0, .. }
        ));
        let out = CoverageProblem::new(vec![1.0; 3], vec![site(0, 0, &[0]), site(1, 0, &[2, 5])])
            .unwrap_err();
        assert_eq!(
            out,
            AllocationError::CoverageOutOfRange {
                candidate: 1,
                demand: 5,
                demand_count: 3
            }
        );
        assert_eq!(
            out.to_string(),
            "candidate 1 covers demand point 5, but there are only 3 demand points"
        );
        let existing = CoverageProblem::new(vec![1.0], Vec::new())
            .unwrap()
            .with_existing_coverage([4])
            .unwrap_err();
        assert_eq!(
            existing,
            AllocationError::ExistingOutOfRange {
                demand: 4,
                demand_count: 1
            }
        );
    }

    #[test]
    fn duplicate_coverage_counts_once() {
        let problem = CoverageProblem::new(vec![2.0, 3.0], vec![site(0, 0, &[1, 0, 1])]).unwrap();
        assert_eq!(problem.candidates()[0].covers, vec![0, 1]);
        assert_eq!(
            problem.maximal_covering(&Budget::total(1)).covered_after,
            5.0
        );
    }
}
