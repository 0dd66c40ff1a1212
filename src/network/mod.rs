//! The walking network and network-exact catchments (5/10/15-minute life circles).
//!
//! - [`polygon`]: band polygons from reached line parts (buffered, rasterised at ≤ 10 m, traced).

pub mod polygon;
