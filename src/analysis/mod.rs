//! The analyses: old-neighbourhood inventory, stock resources, facility standards, service gaps,
//! candidate sites and location-allocation. One analysis per file, named after what it computes.
//! Nothing here reads files or knows a wire format: inputs are a loaded
//! [`Workspace`](crate::model::Workspace) and a [`WalkGraph`](crate::network::WalkGraph).

/// Location-allocation: maximal covering (MCLP) and set covering (LSCP) of demand by candidate sites.
pub mod allocation;
