//! What the service holds in memory: the workspace, the walk graph, the collections, the
//! coordinate systems, and every neighbourhood's default catchment, all computed at start.

use std::sync::Mutex;
use std::time::Instant;

use geo::{Area, Geometry, MultiPolygon};
use serde_json::{json, Map};

use super::collections::{Collection, Collections, FeatureId, FeatureRecord};
use super::crs::CrsBook;
use crate::analysis::{analyze, Analysis, AnalysisConfig};
use crate::crs::{CrsError, Transformer};
use crate::io::results;
use crate::model::{Role, Semantic, Workspace};
use crate::network::polygon::{PolygonBuilder, PolygonSpec};
use crate::network::{
    catchment, gates_by_neighbourhood, neighbourhood_origins, CatchmentError, CatchmentSpec,
    GraphError, GraphSpec, OriginSnap, Search, WalkGraph, GATE_REACH_M,
};

/// Why the service cannot start on a workspace.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// A coordinate system could not be set up or the data could not be converted.
    #[error("coordinate systems: {0}")]
    Crs(#[from] CrsError),
    /// The walk graph could not be built from the roads layer.
    #[error("walk network: {0}")]
    Graph(#[from] GraphError),
    /// A default catchment could not be computed.
    #[error("catchments: {0}")]
    Catchment(#[from] CatchmentError),
    /// The analysis could not run.
    #[error("analysis: {0}")]
    Analysis(#[from] crate::analysis::AnalysisError),
}

/// The last year of construction that makes a neighbourhood "old" (老旧小区: built before the end
/// of 2005), used where the data has no 是否老旧小区 flag.
pub const OLD_BUILT_BY_YEAR: i32 = 2005;

/// One band of a computed catchment, its polygon in the working CRS.
#[derive(Clone, Debug)]
pub struct BandShape {
    /// The band's limit, minutes.
    pub minutes: f64,
    /// Reached edge length, metres.
    pub reached_length_m: f64,
    /// Reached graph nodes.
    pub reached_nodes: usize,
    /// The band polygon (working CRS).
    pub polygon: MultiPolygon<f64>,
}

/// A computed catchment, ready to be written out.
#[derive(Clone, Debug)]
pub struct CatchmentShape {
    /// Walking speed used, m/s.
    pub speed_m_per_s: f64,
    /// Origins on the network.
    pub origins: usize,
    /// Origins farther than the snapping cap from every walkable way.
    pub unsnapped_origins: usize,
    /// Bands in increasing time.
    pub bands: Vec<BandShape>,
}

/// The state shared by every request.
#[derive(Debug)]
pub struct AppState {
    /// The loaded project.
    pub workspace: Workspace,
    /// The walk network; `None` without a roads layer.
    pub graph: Option<WalkGraph>,
    /// Offered coordinate systems and cached transformers.
    pub crs: CrsBook,
    /// The OGC API collections.
    pub collections: Collections,
    /// The analysis settings in force (facility standards, eligibility, scoring).
    pub settings: AnalysisConfig,
    /// The analysis (stock, gaps, candidates), run at start; `None` without neighbourhoods and
    /// roads.
    pub analysis: Option<Analysis>,
    /// The planner's view of the neighbourhoods, in layer order: with an analysis, its inventory
    /// and gap tables (ids as the analysis gives them); without, the layer's id when unique, else
    /// the record number. `None` without a neighbourhoods layer.
    pub neighbourhoods: Option<Collection>,
    /// Per neighbourhood (layer order), its gates from the gates layer (empty without one, or
    /// for a neighbourhood no gate belongs to: it then starts at its entries and centroid).
    pub gates: Vec<Vec<geo::Coord<f64>>>,
    /// Per neighbourhood (same order), its default catchment (5/10/15 min at 1.0 m/s).
    pub default_catchments: Vec<Option<CatchmentShape>>,
    /// Base URL for links when the request has no `Host` (e.g. `http://127.0.0.1:8080`).
    pub base_url: String,
    /// Successful GET responses (everything above is immutable while serving).
    pub response_cache: super::middleware::ResponseCache,
    searches: Mutex<Vec<Search>>,
    builders: Mutex<Vec<PolygonBuilder>>,
}

impl AppState {
    /// Builds the state: the walk graph (when there are roads), the analysis with `settings`
    /// (when there are also neighbourhoods), one collection per input layer, the derived
    /// collections (`stock`, `candidates-<type>`, `catchments`), the planner's neighbourhoods and
    /// every neighbourhood's default catchment.
    pub fn new(
        workspace: Workspace,
        settings: &AnalysisConfig,
        base_url: impl Into<String>,
    ) -> Result<AppState, StateError> {
        let started = Instant::now();
        let graph = match workspace.layer(Role::Roads) {
            Some(roads) => Some(WalkGraph::from_roads(roads, &GraphSpec::default())?),
            None => None,
        };
        let analysis = match (&graph, workspace.layer(Role::Neighbourhoods)) {
            (Some(g), Some(_)) => {
                let a = analyze(&workspace, g, settings, &[])?;
                tracing::info!(
                    elapsed_ms = started.elapsed().as_millis() as u64,
                    stock = a.stock.len(),
                    types = a.types.len(),
                    "analysis done"
                );
                Some(a)
            }
            _ => None,
        };
        let crs = CrsBook::new(workspace.crs())?;
        let to_wgs84 = workspace.to_wgs84()?;
        let mut collections = Collections::default();
        for layer in workspace.layers() {
            let (title, description) = layer_title(layer.role);
            collections.register(Collection::from_layer(
                &layer.role.to_string(),
                title,
                &format!(
                    "{description}; read from {}. Feature ids are record numbers (1-based, as in \
                     the file); properties are the original attributes.",
                    layer.source.path.display()
                ),
                layer,
                &to_wgs84,
            )?);
        }
        let neighbourhoods = match &analysis {
            Some(a) => analysed_neighbourhoods(&workspace, a, &to_wgs84)?,
            None => planner_neighbourhoods(&workspace, &to_wgs84)?,
        };
        if let Some(a) = &analysis {
            for c in derived_collections(a, &to_wgs84)? {
                collections.register(c);
            }
        }
        let mut state = AppState {
            workspace,
            graph,
            settings: settings.clone(),
            analysis,
            crs,
            collections,
            neighbourhoods,
            gates: Vec::new(),
            default_catchments: Vec::new(),
            base_url: base_url.into(),
            response_cache: Default::default(),
            searches: Mutex::new(Vec::new()),
            builders: Mutex::new(Vec::new()),
        };
        if let (Some(nl), Some(gl)) = (
            state.workspace.layer(Role::Neighbourhoods),
            state.workspace.layer(Role::Gates),
        ) {
            let assigned = gates_by_neighbourhood(nl, gl, GATE_REACH_M);
            if !assigned.unassigned.is_empty() {
                tracing::warn!(
                    unassigned = assigned.unassigned.len(),
                    gates = gl.len(),
                    "gates that belong to no neighbourhood are not used"
                );
            }
            state.gates = assigned.gates;
        }
        state.default_catchments = state.compute_default_catchments()?;
        if let Some(c) = state.catchments_collection(&to_wgs84)? {
            state.collections.register(c);
        }
        tracing::debug!(
            elapsed_ms = started.elapsed().as_millis() as u64,
            "state built"
        );
        Ok(state)
    }

    fn compute_default_catchments(&self) -> Result<Vec<Option<CatchmentShape>>, StateError> {
        let (Some(graph), Some(layer)) = (&self.graph, self.workspace.layer(Role::Neighbourhoods))
        else {
            return Ok(Vec::new());
        };
        let spec = CatchmentSpec::default();
        let mut out = Vec::with_capacity(layer.len());
        for i in 0..layer.len() {
            let origins = self.neighbourhood_origins(graph, layer, i, &spec);
            let shape = self.catchment(origins, &spec)?;
            out.push((shape.origins > 0).then_some(shape));
        }
        Ok(out)
    }

    fn catchments_collection(
        &self,
        to_wgs84: &Transformer,
    ) -> Result<Option<Collection>, CrsError> {
        let Some(nb) = &self.neighbourhoods else {
            return Ok(None);
        };
        let mut features = Vec::new();
        for (i, shape) in self.default_catchments.iter().enumerate() {
            let Some(shape) = shape else { continue };
            for band in &shape.bands {
                let mut props = Map::new();
                props.insert("neighbourhood".into(), nb.id(i).to_json());
                props.insert(
                    "name".into(),
                    nb.properties(i).get("name").cloned().unwrap_or_default(),
                );
                props.insert("minutes".into(), json!(band.minutes));
                props.insert("speed_m_per_s".into(), json!(shape.speed_m_per_s));
                props.insert("reached_length_m".into(), json!(band.reached_length_m));
                props.insert("reached_nodes".into(), json!(band.reached_nodes));
                features.push(FeatureRecord {
                    id: FeatureId::Number(features.len() as u64 + 1),
                    geometry: Some(Geometry::MultiPolygon(band.polygon.clone())),
                    properties: props,
                });
            }
        }
        Ok(Some(Collection::new(
            "catchments",
            "Walking catchments of the neighbourhoods",
            "Derived: every neighbourhood's 5-, 10- and 15-minute walking catchment (GB 50180-2018 \
             life circles) on the street network at 1.0 m/s, one feature per neighbourhood and band; \
             bands of one neighbourhood nest.",
            features,
            to_wgs84,
        )?))
    }

    /// Where neighbourhood `i` starts: its gates, else its entries, inside nodes and centroid.
    pub fn neighbourhood_origins(
        &self,
        graph: &WalkGraph,
        layer: &crate::model::Layer,
        i: usize,
        spec: &CatchmentSpec,
    ) -> Vec<OriginSnap> {
        let gates = self.gates.get(i).map_or(&[][..], Vec::as_slice);
        neighbourhood_origins(graph, layer.geometry(i), gates, spec.snap_cap_m)
    }

    /// Computes a catchment from snapped origins with pooled search and polygon buffers.
    pub fn catchment(
        &self,
        origins: Vec<OriginSnap>,
        spec: &CatchmentSpec,
    ) -> Result<CatchmentShape, CatchmentError> {
        let Some(graph) = &self.graph else {
            return Err(CatchmentError::BadSpec(
                "the project has no walk network".into(),
            ));
        };
        let mut search = self
            .searches
            .lock()
            .ok()
            .and_then(|mut p| p.pop())
            .unwrap_or_else(|| Search::new(graph));
        let mut builder = self
            .builders
            .lock()
            .ok()
            .and_then(|mut p| p.pop())
            .unwrap_or_default();
        let result = catchment(graph, &mut search, origins, spec);
        let shape = result.map(|c| {
            let polygons = c.band_polygons(graph, &mut builder, &PolygonSpec::default());
            let origins = c.snaps.iter().filter(|s| s.snap.is_some()).count();
            CatchmentShape {
                speed_m_per_s: c.spec.speed_m_per_s,
                origins,
                unsnapped_origins: c.snaps.len() - origins,
                bands: c
                    .bands
                    .iter()
                    .zip(polygons)
                    .map(|(b, polygon)| BandShape {
                        minutes: b.minutes,
                        reached_length_m: b.reached_length_m,
                        reached_nodes: b.reached_nodes,
                        polygon,
                    })
                    .collect(),
            }
        });
        if let Ok(mut p) = self.searches.lock() {
            p.push(search);
        }
        if let Ok(mut p) = self.builders.lock() {
            p.push(builder);
        }
        shape
    }
}

/// True when neighbourhood `i` is old: the 是否老旧小区 flag where the data has one, else built by
/// [`OLD_BUILT_BY_YEAR`]; `None` when neither is known.
pub fn is_old(layer: &crate::model::Layer, i: usize) -> Option<bool> {
    layer
        .flag(i, Semantic::IsOld)
        .or_else(|| layer.build_year(i).map(|y| y <= OLD_BUILT_BY_YEAR))
}

/// The analysis's neighbourhoods: inventory, patch and gap table per type.
fn analysed_neighbourhoods(
    ws: &Workspace,
    a: &Analysis,
    to_wgs84: &Transformer,
) -> Result<Option<Collection>, CrsError> {
    let Some(layer) = ws.layer(Role::Neighbourhoods) else {
        return Ok(None);
    };
    let features = a
        .neighbourhoods
        .iter()
        .enumerate()
        .map(|(n, nb)| {
            let mut p = Map::new();
            p.insert("id".into(), json!(nb.id));
            p.insert("record".into(), json!(nb.index + 1));
            p.extend(results::neighbourhood_properties(a, n));
            FeatureRecord {
                id: FeatureId::Text(nb.id.clone()),
                geometry: Some(layer.geometry(nb.index).clone()),
                properties: p,
            }
        })
        .collect();
    Ok(Some(Collection::new(
        "neighbourhoods",
        "Neighbourhoods",
        "planner view",
        features,
        to_wgs84,
    )?))
}

/// The OGC collection id of a facility type's candidates.
pub fn candidates_collection_id(type_id: &str) -> String {
    format!("candidates-{type_id}")
}

/// `stock` and one `candidates-<type>` per analysed type, in the analysis's order (collection
/// position = position in `Analysis::stock` or in the type's candidate list).
fn derived_collections(a: &Analysis, to_wgs84: &Transformer) -> Result<Vec<Collection>, CrsError> {
    let stock = a
        .stock
        .iter()
        .map(|r| FeatureRecord {
            id: FeatureId::Text(r.id.clone()),
            geometry: Some(r.geometry.clone()),
            properties: results::stock_properties(a, r),
        })
        .collect();
    let mut out = vec![Collection::new(
        "stock",
        "Stock resources (存量资源)",
        format!(
            "Derived: vacant institutional buildings, idle buildings, owner-shared spaces and idle, \
             low-efficiency or fragmented land within {} minutes' walk of an old neighbourhood, \
             each with its reasons (rule, measured value, threshold) and the old neighbourhoods \
             near it.",
            a.config.stock.near_minutes
        ),
        stock,
        to_wgs84,
    )?];
    for tc in &a.candidates {
        let t = &tc.facility_type;
        let name = a
            .config
            .facilities
            .get(t)
            .map(|f| f.name.as_str())
            .unwrap_or(t);
        let features = tc
            .candidates
            .iter()
            .map(|c| FeatureRecord {
                id: FeatureId::Text(a.stock[c.stock].id.clone()),
                geometry: Some(a.stock[c.stock].geometry.clone()),
                properties: results::candidate_properties(a, t, c),
            })
            .collect();
        out.push(Collection::new(
            candidates_collection_id(t),
            format!("Candidate sites: {name} ({t})"),
            format!(
                "Derived: stock resources that pass the hard rules for {name}, ranked by score, \
                 each with its explanation (factors with value, weight and contribution; checks; \
                 the old neighbourhoods it serves with walking times)."
            ),
            features,
            to_wgs84,
        )?);
    }
    Ok(out)
}

fn planner_neighbourhoods(
    ws: &Workspace,
    to_wgs84: &Transformer,
) -> Result<Option<Collection>, CrsError> {
    let Some(layer) = ws.layer(Role::Neighbourhoods) else {
        return Ok(None);
    };
    let ids: Vec<Option<&str>> = (0..layer.len())
        .map(|i| layer.text(i, Semantic::Id).filter(|s| !s.trim().is_empty()))
        .collect();
    let mut seen = std::collections::HashSet::new();
    let unique = ids.iter().all(|id| id.is_some_and(|id| seen.insert(id)));
    let features = (0..layer.len())
        .map(|i| {
            let id = match ids[i] {
                Some(id) if unique => FeatureId::Text(id.to_string()),
                _ => FeatureId::Number(i as u64 + 1),
            };
            let g = layer.geometry(i);
            let mut p = Map::new();
            p.insert("id".into(), id.to_json());
            p.insert("record".into(), json!(i + 1));
            p.insert("name".into(), json!(layer.text(i, Semantic::Name)));
            p.insert("is_old".into(), json!(is_old(layer, i)));
            p.insert("build_year".into(), json!(layer.build_year(i)));
            p.insert("households".into(), json!(layer.households(i)));
            p.insert("street".into(), json!(layer.text(i, Semantic::Street)));
            p.insert(
                "area_m2".into(),
                json!((g.unsigned_area() * 10.0).round() / 10.0),
            );
            FeatureRecord {
                id,
                geometry: Some(g.clone()),
                properties: p,
            }
        })
        .collect();
    Ok(Some(Collection::new(
        "neighbourhoods",
        "Neighbourhoods",
        "planner view",
        features,
        to_wgs84,
    )?))
}

fn layer_title(role: Role) -> (&'static str, &'static str) {
    match role {
        Role::Roads => (
            "Roads (道路)",
            "Road centrelines, the walking network's source",
        ),
        Role::Parcels => ("Parcels (地块)", "Land parcels"),
        Role::Buildings => ("Buildings (房屋)", "Building footprints"),
        Role::Neighbourhoods => ("Neighbourhoods (小区)", "Residential compounds, old or not"),
        Role::Idle => (
            "Idle resources (闲置资源)",
            "Idle land, idle buildings and owner-shared spaces",
        ),
        Role::Facilities => ("Facilities (现状设施)", "Existing service facilities"),
        Role::Gates => (
            "Gates (小区出入口)",
            "Neighbourhood gates, where catchments start",
        ),
    }
}
