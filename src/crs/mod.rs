//! TEMPORARY interface stub, replaced by the crs branch.
#![allow(missing_docs, dead_code)]
#[derive(Clone, Debug)]
pub struct Crs { epsg: u32 }
impl PartialEq for Crs { fn eq(&self, o: &Crs) -> bool { self.epsg == o.epsg } }
impl Crs {
    pub fn from_epsg(code: u32) -> Result<Crs, CrsError> { Ok(Crs { epsg: code }) }
    pub fn parse(text: &str) -> Result<Crs, CrsError> { text.trim_start_matches("EPSG:").parse().map(|epsg| Crs { epsg }).map_err(|_| CrsError::Parse(text.into())) }
    pub fn epsg(&self) -> u32 { self.epsg }
    pub fn name(&self) -> &str { "stub" }
    pub fn is_geographic(&self) -> bool { self.epsg == 4326 || self.epsg == 4490 }
    pub fn proj4(&self) -> &str { "" }
    pub fn esri_wkt(&self) -> Option<String> { None }
}
pub fn wgs84() -> Crs { Crs { epsg: 4326 } }
pub struct PrjMatch { pub crs: Crs, pub how: String }
pub fn detect_prj(_wkt: &str) -> Result<PrjMatch, CrsError> { Ok(PrjMatch { crs: Crs { epsg: 4549 }, how: "stub".into() }) }
pub struct Transformer;
impl Transformer {
    pub fn new(_from: &Crs, _to: &Crs) -> Result<Transformer, CrsError> { Ok(Transformer) }
    pub fn is_identity(&self) -> bool { true }
    pub fn transform(&self, x: f64, y: f64) -> Result<(f64, f64), CrsError> { Ok((x, y)) }
    pub fn transform_geometry(&self, _g: &mut geo_types::Geometry<f64>) -> Result<(), CrsError> { Ok(()) }
}
pub fn working_crs_for(_lon: f64, _lat: f64) -> Crs { Crs { epsg: 4549 } }
#[derive(thiserror::Error, Debug)]
pub enum CrsError { #[error("parse {0}")] Parse(String) }
