//! `infill check`: what was found in a project, how it was read, and what is wrong with it.
//!
//! The JSON form is stable (documented in the README): `{"usable", "working_crs", "notes",
//! "layers": [{"role", "path", "files", "format", "encoding", "encoding_how", "crs_epsg",
//! "crs_how", "count", "extent", "extent_wgs84", "fields", "problems", "error"}], "network":
//! {"nodes", "edges", "components", "largest_nodes", "disconnected": [{"nodes", "length_m",
//! "at_wgs84"}], "error"}}`.

use std::fmt::Write;

use geo::Rect;
use serde::Serialize;

use crate::config::Config;
use crate::crs::{wgs84, Crs, Transformer};
use crate::io::load::{load_report, LoadEvent, LoadReport};
use crate::io::LoadError;
use crate::model::{Layer, Problem, ProblemKind, Role, Severity};
use crate::network::{gates_by_neighbourhood, GraphSpec, WalkGraph, GATE_REACH_M};

/// The whole report.
#[derive(Debug, Serialize)]
pub struct CheckReport {
    /// True when every layer loaded (exit code 0).
    pub usable: bool,
    /// The working CRS, if one could be chosen.
    pub working_crs: Option<CrsReport>,
    /// How the layers were found.
    pub notes: Vec<String>,
    /// One entry per configured layer.
    pub layers: Vec<LayerReport>,
    /// The walk network built from the roads layer, when there is one.
    pub network: Option<NetworkReport>,
}

/// The walk network: size and connectivity. Streets cut off from the main network (a footpath
/// network in a compound drawn without its gate, a street whose end misses the road it meets)
/// make catchments stop short, so every smaller component is listed with where it is.
#[derive(Debug, Serialize)]
pub struct NetworkReport {
    /// Graph nodes (junctions and dead ends).
    pub nodes: usize,
    /// Walkable edges.
    pub edges: usize,
    /// Connected components.
    pub components: usize,
    /// Nodes in the largest component.
    pub largest_nodes: usize,
    /// Every other component, largest first.
    pub disconnected: Vec<ComponentReport>,
    /// Why no network could be built.
    pub error: Option<String>,
}

/// A component cut off from the largest one.
#[derive(Debug, Serialize)]
pub struct ComponentReport {
    /// Its nodes.
    pub nodes: usize,
    /// Its total length, metres.
    pub length_m: f64,
    /// One of its nodes in WGS84 `[lon, lat]`.
    pub at_wgs84: Option<[f64; 2]>,
}

/// A CRS and how it was decided.
#[derive(Debug, Serialize)]
pub struct CrsReport {
    /// EPSG code.
    pub epsg: u32,
    /// Name.
    pub name: String,
    /// How it was chosen.
    pub how: String,
}

/// One layer's findings.
#[derive(Debug, Serialize)]
pub struct LayerReport {
    /// Role name.
    pub role: String,
    /// Main file.
    pub path: String,
    /// Every file read.
    pub files: Vec<String>,
    /// Format.
    pub format: Option<String>,
    /// Text encoding.
    pub encoding: Option<String>,
    /// How the encoding was decided.
    pub encoding_how: Option<String>,
    /// Source CRS.
    pub crs_epsg: Option<u32>,
    /// How the source CRS was decided.
    pub crs_how: Option<String>,
    /// Features loaded.
    pub count: Option<usize>,
    /// Extent in the working CRS `[minx, miny, maxx, maxy]`.
    pub extent: Option<[f64; 4]>,
    /// Extent in WGS84 `[minlon, minlat, maxlon, maxlat]`.
    pub extent_wgs84: Option<[f64; 4]>,
    /// Semantic field bindings.
    pub fields: Vec<FieldReport>,
    /// Problems, most severe first.
    pub problems: Vec<Problem>,
    /// Why the layer could not be loaded.
    pub error: Option<String>,
}

/// A semantic field binding.
#[derive(Debug, Serialize)]
pub struct FieldReport {
    /// Semantic key (`floors`).
    pub semantic: &'static str,
    /// Source field (`CS`).
    pub field: String,
    /// `config` or `default name`.
    pub source: &'static str,
}

/// Load a project and report on it.
pub fn check(config: &Config, progress: &dyn Fn(LoadEvent)) -> CheckReport {
    CheckReport::from_load(load_report(config, progress))
}

impl CheckReport {
    /// Summarise a load.
    pub fn from_load(report: LoadReport) -> CheckReport {
        let usable = report.is_usable();
        let network = report
            .outcomes
            .iter()
            .find_map(|(_, o)| o.as_ref().ok().filter(|l| l.role == Role::Roads))
            .map(|roads| {
                network_report(
                    roads,
                    report
                        .working_crs
                        .as_ref()
                        .and_then(|(c, _)| Transformer::new(c, &wgs84()).ok())
                        .as_ref(),
                )
            });
        let to_wgs84 = report
            .working_crs
            .as_ref()
            .and_then(|(c, _)| Transformer::new(c, &wgs84()).ok());
        let layers = report
            .outcomes
            .iter()
            .map(|(spec, outcome)| match outcome {
                Ok(layer) => layer_report(layer, to_wgs84.as_ref()),
                Err(e) => LayerReport {
                    role: spec.role.name().into(),
                    path: spec.path.display().to_string(),
                    files: Vec::new(),
                    format: None,
                    encoding: None,
                    encoding_how: None,
                    crs_epsg: None,
                    crs_how: None,
                    count: None,
                    extent: None,
                    extent_wgs84: None,
                    fields: Vec::new(),
                    problems: error_problems(e),
                    error: Some(e.to_string()),
                },
            })
            .collect();
        let mut notes = report.notes;
        notes.extend(gates_note(&report.outcomes));
        CheckReport {
            usable,
            working_crs: report.working_crs.map(|(c, how)| crs_report(&c, how)),
            notes,
            layers,
            network,
        }
    }

    /// The report as text for a terminal.
    pub fn render_text(&self) -> String {
        let mut s = String::new();
        match &self.working_crs {
            Some(c) => {
                let _ = writeln!(s, "working CRS  EPSG:{} {} ({})", c.epsg, c.name, c.how);
            }
            None => s.push_str("working CRS  none: no layer could be read\n"),
        }
        for n in &self.notes {
            let _ = writeln!(s, "note         {n}");
        }
        for l in &self.layers {
            let _ = writeln!(s, "\n{:<16}{}", l.role, l.path);
            if let Some(f) = &l.format {
                let enc = match (&l.encoding, &l.encoding_how) {
                    (Some(e), Some(how)) => format!("; encoding {e} ({how})"),
                    _ => String::new(),
                };
                let _ = writeln!(s, "  format     {f}{enc}");
            }
            if let (Some(e), Some(how)) = (l.crs_epsg, &l.crs_how) {
                let _ = writeln!(s, "  CRS        EPSG:{e} ({how})");
            }
            if let Some(n) = l.count {
                let _ = writeln!(s, "  features   {n}");
            }
            if let (Some(e), Some(w)) = (l.extent, l.extent_wgs84) {
                let _ = writeln!(
                    s,
                    "  extent     x {:.1}..{:.1}  y {:.1}..{:.1}  (lon {:.5}..{:.5}, lat {:.5}..{:.5})",
                    e[0], e[2], e[1], e[3], w[0], w[2], w[1], w[3]
                );
            }
            if !l.fields.is_empty() {
                let f: Vec<String> = l
                    .fields
                    .iter()
                    .map(|f| format!("{}←{}", f.semantic, f.field))
                    .collect();
                let _ = writeln!(s, "  fields     {}", f.join(" "));
            }
            if let Some(e) = &l.error {
                let _ = writeln!(s, "  ERROR      {}", e.replace('\n', "\n             "));
            } else {
                for p in &l.problems {
                    let tag = match p.severity {
                        Severity::Error => "error",
                        Severity::Warning => "warning",
                        Severity::Info => "note",
                    };
                    let _ = writeln!(s, "  {tag:<10} {p}");
                }
            }
        }
        if let Some(n) = &self.network {
            match &n.error {
                Some(e) => {
                    let _ = writeln!(s, "\nwalk network   cannot be built: {e}");
                }
                None => {
                    let _ = writeln!(
                        s,
                        "\nwalk network   {} nodes, {} edges, {} component(s); the largest has {} nodes",
                        n.nodes, n.edges, n.components, n.largest_nodes
                    );
                    for c in n.disconnected.iter().take(20) {
                        let at = c
                            .at_wgs84
                            .map(|[x, y]| format!(" near {x:.5}, {y:.5}"))
                            .unwrap_or_default();
                        let _ = writeln!(
                            s,
                            "  cut off    {} node(s), {:.0} m of way{at}",
                            c.nodes, c.length_m
                        );
                    }
                    if n.disconnected.len() > 20 {
                        let _ = writeln!(s, "  … and {} more", n.disconnected.len() - 20);
                    }
                }
            }
        }
        let _ = writeln!(
            s,
            "\n{}",
            if self.usable {
                "usable: every layer loaded"
            } else {
                "NOT usable: fix the errors above"
            }
        );
        s
    }
}

/// How the gates layer's gates fall to neighbourhoods (catchments start at a neighbourhood's
/// gates when it has any), when both layers loaded.
fn gates_note<S>(outcomes: &[(S, Result<Layer, LoadError>)]) -> Option<String> {
    let layer = |role: Role| {
        outcomes
            .iter()
            .find_map(|(_, o)| o.as_ref().ok().filter(|l| l.role == role))
    };
    let (hoods, gates) = (layer(Role::Neighbourhoods)?, layer(Role::Gates)?);
    let assigned = gates_by_neighbourhood(hoods, gates, GATE_REACH_M);
    let with = assigned.gates.iter().filter(|g| !g.is_empty()).count();
    let mut note = format!(
        "gates: {with} of {} neighbourhoods have gates and start their catchments there; the others start where the network enters them",
        hoods.len()
    );
    if let Some(first) = assigned.unassigned.first() {
        note.push_str(&format!(
            "; {} of {} gates belong to no neighbourhood (no link, inside none, none within {GATE_REACH_M} m; first: record {})",
            assigned.unassigned.len(),
            gates.len(),
            first + 1
        ));
    }
    Some(note)
}

fn network_report(roads: &Layer, to_wgs84: Option<&Transformer>) -> NetworkReport {
    match WalkGraph::from_roads(roads, &GraphSpec::default()) {
        Err(e) => NetworkReport {
            nodes: 0,
            edges: 0,
            components: 0,
            largest_nodes: 0,
            disconnected: Vec::new(),
            error: Some(e.to_string()),
        },
        Ok(g) => {
            let components = g.components();
            NetworkReport {
                nodes: g.node_count(),
                edges: g.edge_count(),
                components: components.len(),
                largest_nodes: components.first().map_or(0, |c| c.nodes),
                disconnected: components
                    .iter()
                    .skip(1)
                    .map(|c| {
                        let p = g.node(c.node);
                        ComponentReport {
                            nodes: c.nodes,
                            length_m: c.length_m,
                            at_wgs84: to_wgs84
                                .and_then(|t| t.transform(p.x, p.y).ok())
                                .map(|(x, y)| [x, y]),
                        }
                    })
                    .collect(),
                error: None,
            }
        }
    }
}

fn crs_report(c: &Crs, how: String) -> CrsReport {
    CrsReport {
        epsg: c.epsg(),
        name: c.name().to_string(),
        how,
    }
}

fn rect_array(r: Rect<f64>) -> [f64; 4] {
    [r.min().x, r.min().y, r.max().x, r.max().y]
}

/// The WGS84 bounds of a working-CRS rectangle, sampling its edges (projected edges curve).
fn rect_to_wgs84(r: Rect<f64>, t: &Transformer) -> Option<[f64; 4]> {
    let mut out = [
        f64::INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    ];
    let n = 8;
    for i in 0..=n {
        let f = i as f64 / n as f64;
        let x = r.min().x + f * r.width();
        let y = r.min().y + f * r.height();
        for (px, py) in [
            (x, r.min().y),
            (x, r.max().y),
            (r.min().x, y),
            (r.max().x, y),
        ] {
            let (lon, lat) = t.transform(px, py).ok()?;
            out[0] = out[0].min(lon);
            out[1] = out[1].min(lat);
            out[2] = out[2].max(lon);
            out[3] = out[3].max(lat);
        }
    }
    Some(out)
}

fn layer_report(layer: &Layer, to_wgs84: Option<&Transformer>) -> LayerReport {
    let mut problems = layer.problems().to_vec();
    problems.sort_by_key(|p| std::cmp::Reverse(p.severity));
    LayerReport {
        role: layer.role.name().into(),
        path: layer.source.path.display().to_string(),
        files: layer
            .source
            .files
            .iter()
            .map(|p| p.display().to_string())
            .collect(),
        format: Some(layer.source.format.clone()),
        encoding: layer.source.encoding.clone(),
        encoding_how: layer.source.encoding_how.clone(),
        crs_epsg: Some(layer.source.crs_epsg),
        crs_how: Some(layer.source.crs_how.clone()),
        count: Some(layer.len()),
        extent: layer.extent().map(rect_array),
        extent_wgs84: layer
            .extent()
            .and_then(|r| to_wgs84.and_then(|t| rect_to_wgs84(r, t))),
        fields: layer
            .bindings()
            .iter()
            .map(|b| FieldReport {
                semantic: b.semantic.key(),
                field: b.field_name.clone(),
                source: b.source,
            })
            .collect(),
        problems,
        error: None,
    }
}

/// A load error as problems with record and field where the error has them.
fn error_problems(e: &LoadError) -> Vec<Problem> {
    let one = |kind| vec![Problem::new(Severity::Error, kind, e.to_string())];
    match e {
        LoadError::Invalid { problems, .. } => problems.clone(),
        LoadError::Decode { record, field, .. } => {
            vec![
                Problem::new(Severity::Error, ProblemKind::Encoding, e.to_string())
                    .at_record(*record)
                    .in_field(field.clone()),
            ]
        }
        LoadError::Corrupt {
            record: Some(r), ..
        } => vec![
            Problem::new(Severity::Error, ProblemKind::Unreadable, e.to_string()).at_record(*r),
        ],
        LoadError::UnknownEncoding { .. } => one(ProblemKind::Encoding),
        LoadError::NoCrs { .. } | LoadError::Crs { .. } => one(ProblemKind::Crs),
        LoadError::Empty { .. } => one(ProblemKind::EmptyLayer),
        _ => one(ProblemKind::Unreadable),
    }
}
