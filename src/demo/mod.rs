//! (in progress: replaced by the demo branch)
#![allow(missing_docs)]
use std::path::{Path, PathBuf};
pub struct DemoSpec;
impl DemoSpec {
    pub fn default_district() -> Self {
        DemoSpec
    }
    pub fn scaled(_n: usize) -> Self {
        DemoSpec
    }
}
pub struct District;
pub fn generate(_s: &DemoSpec) -> District {
    District
}
pub struct WriteSummary {
    pub files: Vec<PathBuf>,
    pub counts: Vec<(&'static str, usize)>,
}
#[derive(thiserror::Error, Debug)]
pub enum DemoError {
    #[error("demo generator not built yet")]
    NotYet,
}
pub fn write_shapefiles(_d: &District, _dir: &Path) -> Result<WriteSummary, DemoError> {
    Err(DemoError::NotYet)
}
pub fn write_buildings_only(_s: &DemoSpec, _dir: &Path) -> Result<WriteSummary, DemoError> {
    Err(DemoError::NotYet)
}
