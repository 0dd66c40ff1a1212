//! infill: stock resources and walking catchments for old-neighbourhood renovation.
//!
//! The library reads a bureau's layers (shapefiles, GeoJSON, OpenStreetMap, any OGR format with the
//! `gdal` feature) into one [`Workspace`](model::Workspace) in a single metric working CRS, indexes
//! them, and reports what it found. See the README's architecture section for the code map.

#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod analysis;
pub mod check;
pub mod cli;
pub mod config;
pub mod crs;
pub mod demo;
pub mod index;
pub mod io;
pub mod model;
pub mod network;
pub mod server;
#[cfg(test)]
mod test_support;
