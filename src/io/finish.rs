//! (in progress)
/// Placeholder.
pub struct LayerSpec;
/// Placeholder.
pub fn finish_layer() {}
