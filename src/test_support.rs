//! Helpers for unit tests: where the shared real data lives.

use std::path::PathBuf;

/// The shared data folder: `$INFILL_SHARED_DATA`, else `../shared/data` beside the crate (where CI
/// and every checkout have it).
pub fn shared_data() -> PathBuf {
    match std::env::var_os("INFILL_SHARED_DATA") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data"),
    }
}
