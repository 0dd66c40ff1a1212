//! The analyses: old-neighbourhood inventory, stock resources, facility standards, service gaps,
//! candidate sites and location-allocation. One analysis per file, named after what it computes.
//! Nothing here reads files or knows a wire format: inputs are a loaded
//! [`Workspace`](crate::model::Workspace) and a [`WalkGraph`](crate::network::WalkGraph).

/// Low-efficiency and fragmented land: FAR, coverage, shape and idle status per parcel, and the rules.
pub mod land_efficiency;
