//! (in progress: replaced by the osm branch)
use super::{LoadError, RawLayer};
use crate::model::Role;
use std::path::Path;
/// Placeholder.
pub struct OsmExtract {
    /// Placeholder.
    pub layers: Vec<(Role, RawLayer)>,
}
/// Placeholder.
pub fn read_osm(path: &Path) -> Result<OsmExtract, LoadError> {
    Err(LoadError::Unsupported { path: path.to_path_buf(), message: "OSM reader not built yet".into() })
}
