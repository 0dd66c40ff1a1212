//! `infill analyze`: load a project, run [`crate::analysis`], write GeoJSON (WGS84) and print a
//! summary table (or JSON with `--json`).

use std::path::Path;
use std::time::Instant;

use anyhow::{anyhow, Context};
use geo::Geometry;
use serde_json::{json, Value};

use crate::analysis::{
    allocate, analyze, AllocationRequest, AllocationResult, Analysis, AnalysisConfig,
};
use crate::config::Config;
use crate::io::load::load_workspace;
use crate::io::results;
use crate::model::{Role, Workspace};
use crate::network::{GraphSpec, WalkGraph};

/// Options of `infill analyze`.
pub struct AnalyzeOptions {
    /// Facility types (all when empty).
    pub facilities: Vec<String>,
    /// Output folder for the GeoJSON files.
    pub out: Option<std::path::PathBuf>,
    /// Print JSON instead of the table.
    pub json: bool,
    /// The allocation to compute.
    pub allocation: AllocationRequest,
}

/// Load a project and analyse it: the workspace, graph, config and result.
pub fn load_and_analyze(
    path: &Path,
    facilities: &[String],
) -> anyhow::Result<(Workspace, WalkGraph, Analysis, f64)> {
    let t = Instant::now();
    let config = Config::load(path)?;
    let settings = AnalysisConfig::with_overrides(config.analysis.as_ref())
        .map_err(|e| anyhow!("{}: {e}", config.source.display()))?;
    let ws = load_workspace(&config)?;
    let roads = ws
        .layer(Role::Roads)
        .ok_or(crate::network::GraphError::NoRoads)?;
    let graph = WalkGraph::from_roads(roads, &GraphSpec::default())?;
    let load_s = t.elapsed().as_secs_f64();
    let analysis = analyze(&ws, &graph, &settings, facilities)?;
    Ok((ws, graph, analysis, load_s))
}

/// `infill analyze`.
pub fn run_analyze(path: &Path, options: &AnalyzeOptions) -> anyhow::Result<()> {
    let (ws, _graph, a, load_s) = load_and_analyze(path, &options.facilities)?;
    let t = Instant::now();
    let alloc = allocate(&a, &options.allocation)?;
    let alloc_s = t.elapsed().as_secs_f64();
    if let Some(out) = &options.out {
        write_outputs(&ws, &a, Some(&alloc), out)?;
    }
    if options.json {
        let mut v = summary_json(&a, load_s);
        v["allocation"] = allocation_json(&a, &alloc, alloc_s);
        super::emit(&format!("{}\n", serde_json::to_string_pretty(&v)?))?;
    } else {
        super::emit(&summary_table(&a, load_s))?;
        super::emit(&allocation_table(&a, &alloc, alloc_s))?;
        if let Some(out) = &options.out {
            super::emit(&format!("GeoJSON (WGS84) written to {}\n", out.display()))?;
        }
    }
    Ok(())
}

/// Write `stock.geojson`, `gaps.geojson`, `patches.geojson`, `candidates_<type>.geojson`,
/// `allocation.geojson` (when given) and `summary.json` into `out`.
pub fn write_outputs(
    ws: &Workspace,
    a: &Analysis,
    alloc: Option<&AllocationResult>,
    out: &Path,
) -> anyhow::Result<()> {
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let to_wgs84 = ws.to_wgs84()?;
    let convert = |g: &mut Geometry<f64>| to_wgs84.transform_geometry(g).map_err(|e| e.to_string());
    let nl = ws
        .layer(Role::Neighbourhoods)
        .ok_or_else(|| anyhow!("no neighbourhoods layer"))?;
    let write = |name: &str, v: &Value| -> anyhow::Result<()> {
        let p = out.join(name);
        std::fs::write(&p, serde_json::to_string(v)?)
            .with_context(|| format!("cannot write {}", p.display()))
    };
    let err = |e: String| anyhow!("converting to WGS84: {e}");
    write(
        "stock.geojson",
        &results::collection(results::stock_features(a, &convert).map_err(err)?),
    )?;
    write(
        "gaps.geojson",
        &results::collection(results::gap_features(a, nl, &convert).map_err(err)?),
    )?;
    write(
        "patches.geojson",
        &results::collection(results::patch_features(a, nl, &convert).map_err(err)?),
    )?;
    for t in &a.types {
        write(
            &format!("candidates_{t}.geojson"),
            &results::collection(results::candidate_features(a, t, &convert).map_err(err)?),
        )?;
    }
    let mut summary = summary_json(a, 0.0);
    if let Some(alloc) = alloc {
        write(
            "allocation.geojson",
            &results::collection(results::allocation_features(a, alloc, &convert).map_err(err)?),
        )?;
        summary["allocation"] = allocation_json(a, alloc, 0.0);
    }
    write("summary.json", &summary)?;
    Ok(())
}

/// The allocation's summary: formulation, coverage per type, chosen sites.
pub fn allocation_json(a: &Analysis, alloc: &AllocationResult, seconds: f64) -> Value {
    let ids = |v: &[usize]| -> Vec<String> {
        v.iter().map(|&n| a.neighbourhoods[n].id.clone()).collect()
    };
    json!({
        "formulation": alloc.formulation,
        "together": alloc.together,
        "k": alloc.k,
        "households": alloc.households,
        "covered_before": alloc.covered_before,
        "covered_after": alloc.covered_after,
        "coverage": alloc.coverage.iter().map(|c| json!({
            "facility_type": c.facility_type,
            "households": c.households,
            "covered_before": c.covered_before,
            "covered_after": c.covered_after,
            "unreachable": ids(&c.unreachable),
            "left_uncovered": ids(&c.left_uncovered),
            "proven_optimal": c.proven_optimal,
        })).collect::<Vec<_>>(),
        "chosen": alloc.chosen.iter().map(|c| json!({
            "facility_type": c.facility_type,
            "order": c.order,
            "stock_id": a.stock[c.stock].id,
            "name": a.stock[c.stock].name,
            "candidate_rank": c.candidate_rank,
            "gain_households": c.gain_households,
            "newly_served": ids(&c.newly_served),
        })).collect::<Vec<_>>(),
        "seconds": seconds,
    })
}

/// The allocation's table.
pub fn allocation_table(a: &Analysis, alloc: &AllocationResult, seconds: f64) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let what = if alloc.formulation == "set_covering" {
        "fewest sites reaching every household in gap".to_string()
    } else {
        format!("up to {} sites per type", alloc.k)
    };
    let _ = writeln!(
        s,
        "\nallocation ({what}{}): households served within the band, before → after",
        if alloc.together {
            ", all types together, one facility per site"
        } else {
            ""
        }
    );
    let pct = |x: f64, of: f64| if of > 0.0 { 100.0 * x / of } else { 100.0 };
    for c in &alloc.coverage {
        let sites: Vec<String> = alloc
            .chosen
            .iter()
            .filter(|x| x.facility_type == c.facility_type)
            .map(|x| a.stock[x.stock].id.clone())
            .collect();
        let _ = writeln!(
            s,
            "{:<18} {:>8.0} → {:>8.0} of {:>8.0} ({:>5.1}% → {:>5.1}%)  sites: {}{}",
            c.facility_type,
            c.covered_before,
            c.covered_after,
            c.households,
            pct(c.covered_before, c.households),
            pct(c.covered_after, c.households),
            if sites.is_empty() {
                "-".to_string()
            } else {
                sites.join(", ")
            },
            if c.unreachable.is_empty() {
                String::new()
            } else {
                format!(
                    "; {} neighbourhood(s) no candidate reaches",
                    c.unreachable.len()
                )
            }
        );
    }
    let _ = writeln!(s, "allocated in {seconds:.3} s");
    s
}

/// The machine-readable summary.
pub fn summary_json(a: &Analysis, load_s: f64) -> Value {
    let old = a.neighbourhoods.iter().filter(|n| n.is_old).count();
    let mut by_kind = serde_json::Map::new();
    for k in crate::analysis::StockKind::ALL {
        let n = a.stock.iter().filter(|r| r.kind() == k).count();
        by_kind.insert(k.key().into(), json!(n));
    }
    let types: Vec<Value> = a
        .types
        .iter()
        .zip(&a.gaps)
        .zip(&a.candidates)
        .map(|((t, g), c)| {
            json!({
                "facility_type": t,
                "name": a.config.facilities[t].name,
                "unit": g.unit,
                "old_totals": g.old_totals,
                "candidates": c.candidates.len(),
                "rejected": c.rejected,
                "top": c.candidates.first().map(|x| json!({
                    "stock_id": a.stock[x.stock].id,
                    "score": x.score,
                })),
            })
        })
        .collect();
    json!({
        "neighbourhoods": a.neighbourhoods.len(),
        "old_neighbourhoods": old,
        "patches": a.patches.len(),
        "stock": a.stock.len(),
        "stock_by_kind": by_kind,
        "stock_beyond_reach": a.stock_far,
        "types": types,
        "notes": a.notes,
        "timings_s": a.timings.iter().map(|(k, v)| json!({"step": k, "seconds": v})).collect::<Vec<_>>(),
        "load_s": load_s,
    })
}

/// The summary table printed by default.
pub fn summary_table(a: &Analysis, load_s: f64) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let old = a.neighbourhoods.iter().filter(|n| n.is_old).count();
    let households: f64 = a
        .neighbourhoods
        .iter()
        .filter(|n| n.is_old)
        .map(|n| n.households)
        .sum::<f64>()
        + 0.0;
    let _ = writeln!(
        s,
        "{} neighbourhoods, {old} old ({households:.0} households) in {} patches",
        a.neighbourhoods.len(),
        a.patches.len()
    );
    let kinds: Vec<String> = crate::analysis::StockKind::ALL
        .iter()
        .filter_map(|k| {
            let n = a.stock.iter().filter(|r| r.kind() == *k).count();
            (n > 0).then(|| format!("{} {n}", k.label_zh()))
        })
        .collect();
    let _ = writeln!(
        s,
        "stock within {} min of an old neighbourhood: {} ({}); {} more beyond reach",
        a.config.stock.near_minutes,
        a.stock.len(),
        kinds.join(", "),
        a.stock_far
    );
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "{:<18} {:>10} {:>11} {:>11} {:>11} {:>9} {:>10}  top candidate",
        "facility", "unit", "demand", "supply", "gap", "gap nbhd", "candidates"
    );
    for ((t, g), c) in a.types.iter().zip(&a.gaps).zip(&a.candidates) {
        let o = &g.old_totals;
        let top = c
            .candidates
            .first()
            .map(|x| {
                let r = &a.stock[x.stock];
                format!("{} {} ({:.2})", r.id, r.name, x.score)
            })
            .unwrap_or_else(|| "-".into());
        let _ = writeln!(
            s,
            "{:<18} {:>10} {:>11.1} {:>11.1} {:>11.1} {:>4}/{:<4} {:>10}  {}",
            t,
            g.unit,
            o.demand,
            o.supply,
            o.gap,
            o.with_gap,
            o.neighbourhoods,
            c.candidates.len(),
            top
        );
    }
    for n in &a.notes {
        let _ = writeln!(s, "note: {n}");
    }
    let total: f64 = a.timings.iter().map(|t| t.1).sum();
    let _ = writeln!(s, "loaded in {load_s:.2} s, analysed in {total:.2} s");
    s
}
