//! All layers of a project in one metric working CRS.

use std::collections::BTreeMap;

use geo::Rect;

use super::{Layer, Role};
use crate::crs::{wgs84, Crs, CrsError, Transformer};

/// The loaded project: at most one layer per role, all in `crs`.
#[derive(Debug)]
pub struct Workspace {
    crs: Crs,
    crs_how: String,
    layers: BTreeMap<Role, Layer>,
}

impl Workspace {
    /// Assemble a workspace from layers already in `crs`.
    pub fn new(crs: Crs, crs_how: String, layers: Vec<Layer>) -> Workspace {
        Workspace {
            crs,
            crs_how,
            layers: layers.into_iter().map(|l| (l.role, l)).collect(),
        }
    }

    /// The working CRS (metric, projected).
    pub fn crs(&self) -> &Crs {
        &self.crs
    }

    /// How the working CRS was chosen.
    pub fn crs_how(&self) -> &str {
        &self.crs_how
    }

    /// The layer of a role, if the project has one.
    pub fn layer(&self, role: Role) -> Option<&Layer> {
        self.layers.get(&role)
    }

    /// Every layer, in role order.
    pub fn layers(&self) -> impl Iterator<Item = &Layer> {
        self.layers.values()
    }

    /// The union of the layers' extents in the working CRS.
    pub fn extent(&self) -> Option<Rect<f64>> {
        self.layers
            .values()
            .filter_map(|l| l.extent())
            .reduce(|a, b| {
                Rect::new(
                    geo::Coord {
                        x: a.min().x.min(b.min().x),
                        y: a.min().y.min(b.min().y),
                    },
                    geo::Coord {
                        x: a.max().x.max(b.max().x),
                        y: a.max().y.max(b.max().y),
                    },
                )
            })
    }

    /// A transformer from the working CRS to WGS84 longitude/latitude.
    pub fn to_wgs84(&self) -> Result<Transformer, CrsError> {
        Transformer::new(&self.crs, &wgs84())
    }
}
