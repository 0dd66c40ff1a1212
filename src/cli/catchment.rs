//! `infill catchment`, `infill graph-export` and `infill catchment-bench`: thin calls into
//! [`crate::network`], with the GeoJSON and CSV output formats.

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use anyhow::{anyhow, bail, Context};
use geo::orient::{Direction, Orient};
use geo::{Coord, Geometry, MultiPolygon};
use serde_json::{json, Map, Value};

use crate::config::Config;
use crate::crs::{wgs84, Transformer};
use crate::io::load::load_workspace;
use crate::model::{Role, Semantic, Workspace};
use crate::network::{
    catchment, gates_by_neighbourhood, neighbourhood_origins, snap_origins, Catchment,
    CatchmentSpec, GraphSpec, Origin, OriginSnap, Profile, Search, WalkGraph, GATE_REACH_M,
};

use crate::network::polygon::{PolygonBuilder, PolygonSpec};

/// Where `infill catchment` starts.
pub enum CatchmentFrom {
    /// A WGS84 point.
    At(f64, f64),
    /// A neighbourhood by id or name.
    Neighbourhood(String),
    /// Every neighbourhood.
    AllNeighbourhoods,
}

/// Parse `LON,LAT`.
pub fn parse_lon_lat(text: &str) -> anyhow::Result<(f64, f64)> {
    let (a, b) = text
        .split_once(',')
        .ok_or_else(|| anyhow!("--at {text:?}: expected LON,LAT"))?;
    let lon: f64 = a
        .trim()
        .parse()
        .with_context(|| format!("--at {text:?}: bad longitude"))?;
    let lat: f64 = b
        .trim()
        .parse()
        .with_context(|| format!("--at {text:?}: bad latitude"))?;
    if !(-180.0..=180.0).contains(&lon) || !(-90.0..=90.0).contains(&lat) {
        bail!("--at {text:?}: longitude must be in -180..180 and latitude in -90..90");
    }
    Ok((lon, lat))
}

/// Parse `5,10,15`.
pub fn parse_minutes(text: &str) -> anyhow::Result<Vec<f64>> {
    text.split(',')
        .map(|m| {
            m.trim()
                .parse::<f64>()
                .with_context(|| format!("--minutes {text:?}: {m:?} is not a number"))
        })
        .collect()
}

/// The catchment spec from the command-line options: `--speed` overrides the profile's speed.
pub fn spec_from_args(
    minutes: Option<&str>,
    profile: Option<&str>,
    speed: Option<f64>,
) -> anyhow::Result<CatchmentSpec> {
    let mut spec = CatchmentSpec::default();
    if let Some(m) = minutes {
        spec.minutes = parse_minutes(m)?;
    }
    if let Some(p) = profile {
        spec.speed_m_per_s = Profile::named(p)?.speed_m_per_s;
    }
    if let Some(s) = speed {
        spec.speed_m_per_s = s;
    }
    Ok(spec)
}

fn load(path: &Path) -> anyhow::Result<(Workspace, WalkGraph)> {
    let config = Config::load(path)?;
    let ws = load_workspace(&config)?;
    let roads = ws
        .layer(Role::Roads)
        .ok_or(crate::network::GraphError::NoRoads)?;
    let graph = WalkGraph::from_roads(roads, &GraphSpec::default())?;
    Ok((ws, graph))
}

/// `infill catchment`: print a GeoJSON FeatureCollection (WGS84) with one feature per band.
pub fn run_catchment(path: &Path, from: CatchmentFrom, spec: &CatchmentSpec) -> anyhow::Result<()> {
    let (ws, graph) = load(path)?;
    let to_wgs84 = ws.to_wgs84()?;
    let mut search = Search::new(&graph);
    let mut runs: Vec<(Option<String>, Vec<OriginSnap>)> = Vec::new();
    match from {
        CatchmentFrom::At(lon, lat) => {
            let (x, y) = Transformer::new(&wgs84(), ws.crs())?.transform(lon, lat)?;
            let origin = Origin {
                label: "point".into(),
                point: Coord { x, y },
            };
            runs.push((None, snap_origins(&graph, vec![origin], spec.snap_cap_m)));
        }
        CatchmentFrom::Neighbourhood(_) | CatchmentFrom::AllNeighbourhoods => {
            let layer = ws
                .layer(Role::Neighbourhoods)
                .ok_or_else(|| anyhow!("the project has no neighbourhoods layer"))?;
            let label = |i: usize| {
                layer
                    .text(i, Semantic::Id)
                    .or_else(|| layer.text(i, Semantic::Name))
                    .map(str::to_string)
                    .unwrap_or_else(|| format!("#{}", i + 1))
            };
            let chosen: Vec<usize> = match &from {
                CatchmentFrom::Neighbourhood(id) => {
                    let i = (0..layer.len())
                        .find(|&i| layer.text(i, Semantic::Id) == Some(id.as_str()))
                        .or_else(|| {
                            (0..layer.len())
                                .find(|&i| layer.text(i, Semantic::Name) == Some(id.as_str()))
                        })
                        .ok_or_else(|| anyhow!("no neighbourhood has the id or name {id:?}"))?;
                    vec![i]
                }
                _ => (0..layer.len()).collect(),
            };
            let gates = ws
                .layer(Role::Gates)
                .map(|g| (g, gates_by_neighbourhood(layer, g, GATE_REACH_M)));
            if let Some((g, assigned)) = &gates {
                if !assigned.unassigned.is_empty() {
                    eprintln!(
                        "infill: {} of {} gates belong to no neighbourhood (no link, inside none, none within {GATE_REACH_M} m); not used (first: record {})",
                        assigned.unassigned.len(),
                        g.len(),
                        assigned.unassigned[0] + 1
                    );
                }
            }
            for i in chosen {
                let own: &[Coord<f64>] = gates
                    .as_ref()
                    .map_or(&[], |(_, assigned)| assigned.gates[i].as_slice());
                if gates.is_some() && own.is_empty() {
                    eprintln!(
                        "infill: neighbourhood {}: no gate; starts where the network enters or lies inside it, and at its centroid",
                        label(i)
                    );
                }
                let origins =
                    neighbourhood_origins(&graph, layer.geometry(i), own, spec.snap_cap_m);
                runs.push((Some(label(i)), origins));
            }
        }
    }
    let mut features = Vec::new();
    let mut builder = PolygonBuilder::new();
    for (neighbourhood, origins) in runs {
        for o in origins.iter().filter(|o| o.snap.is_none()) {
            eprintln!(
                "infill: {}origin {} at ({:.1}, {:.1}) is farther than {} m from every walkable way; not used",
                neighbourhood.as_deref().map(|n| format!("neighbourhood {n}: ")).unwrap_or_default(),
                o.origin.label,
                o.origin.point.x,
                o.origin.point.y,
                spec.snap_cap_m
            );
        }
        let c = catchment(&graph, &mut search, origins, spec)?;
        let polygons = c.band_polygons(&graph, &mut builder, &PolygonSpec::default());
        features.extend(band_features(
            &c,
            polygons,
            neighbourhood.as_deref(),
            &to_wgs84,
        )?);
    }
    let out = json!({"type": "FeatureCollection", "features": features});
    super::emit(&format!("{}\n", serde_json::to_string(&out)?))?;
    Ok(())
}

fn band_features(
    c: &Catchment,
    polygons: Vec<MultiPolygon<f64>>,
    neighbourhood: Option<&str>,
    to_wgs84: &Transformer,
) -> anyhow::Result<Vec<Value>> {
    let used = c.snaps.iter().filter(|s| s.snap.is_some()).count();
    let mut out = Vec::new();
    for (band, poly) in c.bands.iter().zip(polygons) {
        let mut g = Geometry::MultiPolygon(poly);
        to_wgs84.transform_geometry(&mut g)?;
        let g: MultiPolygon<f64> = match g {
            Geometry::MultiPolygon(mp) => mp.orient(Direction::Default),
            _ => MultiPolygon(Vec::new()),
        };
        let mut props = Map::new();
        if let Some(n) = neighbourhood {
            props.insert("neighbourhood".into(), json!(n));
        }
        props.insert("minutes".into(), json!(band.minutes));
        props.insert("reached_length_m".into(), json!(band.reached_length_m));
        props.insert("reached_nodes".into(), json!(band.reached_nodes));
        props.insert("speed_m_per_s".into(), json!(c.spec.speed_m_per_s));
        props.insert("origins".into(), json!(used));
        props.insert("unsnapped_origins".into(), json!(c.snaps.len() - used));
        out.push(json!({
            "type": "Feature",
            "geometry": geojson::Geometry::new(geojson::GeometryValue::from(&g)),
            "properties": props,
        }));
    }
    Ok(out)
}

/// A deterministic generator (splitmix64) for picking benchmark sources.
fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// `infill graph-export`: `DIR/edges.csv` (`id,source,target,length_m`, one row per edge),
/// `DIR/nodes.csv` (`node,x,y`, metres in the working CRS) and `DIR/sources.csv` (`node`,
/// `sources` distinct random nodes with at least one edge, by seed).
pub fn run_graph_export(path: &Path, out: &Path, sources: usize, seed: u64) -> anyhow::Result<()> {
    let (_, graph) = load(path)?;
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let edges_path = out.join("edges.csv");
    let mut w = std::io::BufWriter::new(
        std::fs::File::create(&edges_path)
            .with_context(|| format!("cannot write {}", edges_path.display()))?,
    );
    writeln!(w, "id,source,target,length_m")?;
    for (id, e) in graph.edges().iter().enumerate() {
        writeln!(w, "{id},{},{},{}", e.source, e.target, e.length_m)?;
    }
    w.flush()?;
    let nodes_path = out.join("nodes.csv");
    let mut w = std::io::BufWriter::new(
        std::fs::File::create(&nodes_path)
            .with_context(|| format!("cannot write {}", nodes_path.display()))?,
    );
    writeln!(w, "node,x,y")?;
    for v in 0..graph.node_count() as u32 {
        let c = graph.node(v);
        writeln!(w, "{v},{},{}", c.x, c.y)?;
    }
    w.flush()?;
    let n = graph.node_count() as u64;
    if sources as u64 > n {
        bail!("--sources {sources}: the graph has only {n} nodes");
    }
    let mut state = seed;
    let mut picked = std::collections::BTreeSet::new();
    let mut order = Vec::new();
    while order.len() < sources {
        let v = (splitmix(&mut state) % n) as u32;
        if graph.neighbours(v).next().is_some() && picked.insert(v) {
            order.push(v);
        }
    }
    let sources_path = out.join("sources.csv");
    let mut w = std::io::BufWriter::new(
        std::fs::File::create(&sources_path)
            .with_context(|| format!("cannot write {}", sources_path.display()))?,
    );
    writeln!(w, "node")?;
    for v in order {
        writeln!(w, "{v}")?;
    }
    w.flush()?;
    eprintln!(
        "{} nodes, {} edges written to {}",
        graph.node_count(),
        graph.edge_count(),
        out.display()
    );
    Ok(())
}

/// `infill catchment-bench`: time the search alone (or search + catchment + polygon with
/// `polygon`) from every source node in `sources_csv`; prints one line
/// `sources=N runs=R p50_us=… p99_us=… median_reached_nodes=… best_p50_us=… best_p99_us=…`.
/// `p50`/`p99` are over every timed run; `best_` ones over each source's fastest run, which a
/// shared machine's preemption (a whole time slice added to one sample) does not inflate.
pub fn run_catchment_bench(
    path: &Path,
    sources_csv: &Path,
    minutes: f64,
    speed: f64,
    polygon: bool,
) -> anyhow::Result<()> {
    let (_, graph) = load(path)?;
    let text = std::fs::read_to_string(sources_csv)
        .with_context(|| format!("cannot read {}", sources_csv.display()))?;
    let mut sources = Vec::new();
    for (i, line) in text.lines().enumerate().skip(1) {
        if line.trim().is_empty() {
            continue;
        }
        let n: u32 = line.trim().parse().with_context(|| {
            format!(
                "{} line {}: {line:?} is not a node id",
                sources_csv.display(),
                i + 1
            )
        })?;
        if n as usize >= graph.node_count() {
            bail!(
                "{} line {}: node {n} is not in the graph ({} nodes)",
                sources_csv.display(),
                i + 1,
                graph.node_count()
            );
        }
        sources.push(n);
    }
    if sources.is_empty() {
        bail!("{}: no source nodes", sources_csv.display());
    }
    let spec = CatchmentSpec {
        minutes: vec![minutes],
        speed_m_per_s: speed,
        ..CatchmentSpec::default()
    };
    let bound = spec.bound(0);
    let mut search = Search::new(&graph);
    let mut builder = PolygonBuilder::new();
    let runs = if polygon { 3 } else { 5 };
    let mut samples = Vec::with_capacity(sources.len() * runs);
    let mut reached = Vec::with_capacity(sources.len());
    let mut best = vec![f64::INFINITY; sources.len()];
    for run in 0..=runs {
        for (k, &s) in sources.iter().enumerate() {
            let t = Instant::now();
            if polygon {
                let origins = vec![OriginSnap {
                    origin: Origin {
                        label: "node".into(),
                        point: graph.node(s),
                    },
                    snap: crate::network::snap_node(&graph, s),
                }];
                let c = catchment(&graph, &mut search, origins, &spec)?;
                std::hint::black_box(c.band_polygons(
                    &graph,
                    &mut builder,
                    &PolygonSpec::default(),
                ));
            } else {
                search.run(&graph, &[(s, 0.0)], bound);
                std::hint::black_box(search.reached().len());
            }
            let us = t.elapsed().as_secs_f64() * 1e6;
            // Run 0 warms caches and is not counted.
            if run > 0 {
                samples.push(us);
                best[k] = best[k].min(us);
                if run == 1 {
                    reached.push(search.reached().len());
                }
            }
        }
    }
    samples.sort_by(f64::total_cmp);
    best.sort_by(f64::total_cmp);
    reached.sort_unstable();
    let pct = |v: &[f64], p: f64| v[((v.len() - 1) as f64 * p).round() as usize];
    println!(
        "sources={} runs={runs} p50_us={:.2} p99_us={:.2} median_reached_nodes={} best_p50_us={:.2} best_p99_us={:.2}",
        sources.len(),
        pct(&samples, 0.5),
        pct(&samples, 0.99),
        reached[reached.len() / 2],
        pct(&best, 0.5),
        pct(&best, 0.99)
    );
    Ok(())
}
