//! Integration tests, compiled into one binary (see `util` for fixtures).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod util;

mod analysis;
mod analysis_land;
mod bad_input;
mod cities;
mod cli;
mod network;
mod server;
