//! Loading a whole project: read every layer, choose the working CRS, finish every layer.

use std::collections::HashMap;
use std::path::PathBuf;

use geo::BoundingRect;

use super::osm::{read_osm, OsmExtract};
use super::shapefile::{read_shapefile, ShapefileOptions};
use super::{finish_layer, Format, LayerSpec, LoadError, RawLayer};
use crate::config::Config;
use crate::crs::{wgs84, working_crs_for, Crs, Transformer};
use crate::model::{Layer, Role, Workspace};

/// Progress of a load, for a progress bar.
#[derive(Clone, Debug)]
pub enum LoadEvent {
    /// Starting to read a layer (`index` of `total` steps).
    Reading {
        /// The role.
        role: Role,
        /// The file.
        path: PathBuf,
    },
    /// Checking and reprojecting a layer.
    Finishing {
        /// The role.
        role: Role,
    },
    /// One step done.
    Done,
}

/// What happened to each layer of a project.
#[derive(Debug)]
pub struct LoadReport {
    /// The working CRS and how it was chosen; `None` when no layer could be read.
    pub working_crs: Option<(Crs, String)>,
    /// Per configured layer: the loaded layer or why it failed.
    pub outcomes: Vec<(LayerSpec, Result<Layer, LoadError>)>,
    /// Notes from finding the layers.
    pub notes: Vec<String>,
}

impl LoadReport {
    /// True when at least one layer loaded and none failed.
    pub fn is_usable(&self) -> bool {
        self.outcomes.iter().any(|(_, o)| o.is_ok()) && self.outcomes.iter().all(|(_, o)| o.is_ok())
    }

    /// The workspace, when every layer loaded; else the first error.
    pub fn into_workspace(self) -> Result<Workspace, LoadError> {
        let (crs, how) = match self.working_crs {
            Some(c) => c,
            None => {
                return Err(self
                    .outcomes
                    .into_iter()
                    .find_map(|(_, o)| o.err())
                    .unwrap_or_else(|| LoadError::Unsupported {
                        path: PathBuf::from("."),
                        message: "no layer to load".into(),
                    }))
            }
        };
        let mut layers = Vec::new();
        for (_, o) in self.outcomes {
            layers.push(o?);
        }
        Ok(Workspace::new(crs, how, layers))
    }
}

/// Load every layer of a project. A layer that fails is reported and left out; the others load.
pub fn load_report(config: &Config, progress: &dyn Fn(LoadEvent)) -> LoadReport {
    let mut osm: HashMap<PathBuf, Result<OsmExtract, String>> = HashMap::new();
    let mut raws: Vec<(LayerSpec, Result<RawLayer, LoadError>)> = Vec::new();
    let mut notes = config.notes.clone();
    for spec in &config.layers {
        progress(LoadEvent::Reading {
            role: spec.role,
            path: spec.path.clone(),
        });
        let raw = read_raw(spec, &mut osm);
        progress(LoadEvent::Done);
        // An OSM extract simply may not map a role (no idle land in it): that is no error.
        if Format::of(&spec.path) == Format::OsmPbf && matches!(raw, Err(LoadError::Empty { .. })) {
            notes.push(format!(
                "{}: the OSM extract has no feature for this role; left out",
                spec.role
            ));
            continue;
        }
        raws.push((spec.clone(), raw));
    }
    let working = choose_working_crs(config, &raws);
    let mut outcomes = Vec::new();
    for (spec, raw) in raws {
        progress(LoadEvent::Finishing { role: spec.role });
        let outcome = match (&working, raw) {
            (_, Err(e)) => Err(e),
            (Some((crs, _)), Ok(raw)) => finish_layer(raw, &spec, crs),
            (None, Ok(_)) => Err(LoadError::Unsupported {
                path: spec.path.clone(),
                message: "no working CRS could be chosen".into(),
            }),
        };
        outcomes.push((spec, outcome));
        progress(LoadEvent::Done);
    }
    LoadReport {
        working_crs: working,
        outcomes,
        notes,
    }
}

/// Load a project into a workspace; the first layer error fails the whole load.
pub fn load_workspace(config: &Config) -> Result<Workspace, LoadError> {
    load_report(config, &|_| {}).into_workspace()
}

fn read_raw(
    spec: &LayerSpec,
    osm: &mut HashMap<PathBuf, Result<OsmExtract, String>>,
) -> Result<RawLayer, LoadError> {
    match Format::of(&spec.path) {
        Format::Shapefile => read_shapefile(
            &spec.path,
            &ShapefileOptions {
                crs: spec.crs.clone(),
                encoding: spec.encoding.clone(),
                config_path: spec.config_path.clone(),
            },
        ),
        Format::GeoJson => super::geojson::read_geojson(&spec.path, spec.crs.as_ref()),
        Format::OsmPbf => {
            let extract = osm
                .entry(spec.path.clone())
                .or_insert_with(|| read_osm(&spec.path).map_err(|e| e.to_string()));
            match extract {
                Err(message) => Err(LoadError::Unsupported {
                    path: spec.path.clone(),
                    message: message.clone(),
                }),
                Ok(x) => x.take_layer(spec.role).ok_or_else(|| LoadError::Empty {
                    path: spec.path.clone(),
                }),
            }
        }
        Format::Other => read_other(spec),
    }
}

#[cfg(feature = "gdal")]
fn read_other(spec: &LayerSpec) -> Result<RawLayer, LoadError> {
    let mut raw = super::gdal::read_ogr(&spec.path, spec.layer.as_deref())?;
    if let Some(crs) = &spec.crs {
        raw.crs = crs.clone();
        raw.crs_how = "config override".into();
    }
    Ok(raw)
}

#[cfg(not(feature = "gdal"))]
fn read_other(spec: &LayerSpec) -> Result<RawLayer, LoadError> {
    Err(LoadError::Unsupported {
        path: spec.path.clone(),
        message: "this format needs GDAL: build infill with `--features gdal` (and the system libgdal), or convert the layer to a shapefile or GeoJSON".into(),
    })
}

/// The config's CRS; else the projected CRS most layers use; else a CGCS2000 GK zone (or UTM)
/// chosen for the data's centre.
fn choose_working_crs(
    config: &Config,
    raws: &[(LayerSpec, Result<RawLayer, LoadError>)],
) -> Option<(Crs, String)> {
    if let Some(c) = &config.working_crs {
        return Some((c.clone(), format!("set in {}", config.source.display())));
    }
    let read: Vec<&RawLayer> = raws.iter().filter_map(|(_, r)| r.as_ref().ok()).collect();
    if read.is_empty() {
        return None;
    }
    let mut counts: Vec<(u32, usize, Crs)> = Vec::new();
    for r in read.iter().filter(|r| !r.crs.is_geographic()) {
        match counts.iter_mut().find(|c| c.0 == r.crs.epsg()) {
            Some(c) => c.1 += 1,
            None => counts.push((r.crs.epsg(), 1, r.crs.clone())),
        }
    }
    if let Some(best) = counts.iter().max_by_key(|c| c.1) {
        let how = if counts.len() == 1 {
            "the layers' projected CRS".to_string()
        } else {
            format!(
                "the projected CRS most layers use ({} of {}); the others are reprojected",
                best.1,
                read.len()
            )
        };
        return Some((best.2.clone(), how));
    }
    // All geographic: find the centre in WGS84.
    let mut lon = Vec::new();
    let mut lat = Vec::new();
    for r in &read {
        let Ok(t) = Transformer::new(&r.crs, &wgs84()) else {
            continue;
        };
        for g in r.geometries.iter().flatten() {
            if let Some(b) = g.bounding_rect() {
                let c = b.center();
                if let Ok((x, y)) = t.transform(c.x, c.y) {
                    if x.is_finite() && y.is_finite() && x.abs() <= 180.0 && y.abs() <= 90.0 {
                        lon.push(x);
                        lat.push(y);
                    }
                }
            }
        }
    }
    if lon.is_empty() {
        return Some((
            working_crs_for(0.0, 0.0),
            "no usable coordinates; default zone".into(),
        ));
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (clon, clat) = (median(&mut lon), median(&mut lat));
    let crs = working_crs_for(clon, clat);
    let how = format!(
        "geographic input; chosen for the data's centre ({clon:.4}, {clat:.4}): EPSG:{}",
        crs.epsg()
    );
    Some((crs, how))
}
