//! The workspace: layers by role, in one metric working CRS, with typed access to the fields
//! the analyses need.
//!
//! - [`attributes`]: columnar storage of the original attributes.
//! - [`fields`]: the semantic fields (floors, build year, owner type, …), their default source
//!   names and value vocabularies, and the bindings from a layer's fields to them.
//! - [`layer`]: one loaded layer with its geometry, attributes, bindings, problems and index.
//! - [`workspace`]: all layers of a project and their working CRS.

pub mod attributes;
pub mod fields;
pub mod layer;
pub mod workspace;

pub use attributes::{Attributes, FieldDef, FieldKind, OwnedValue, Value};
pub use fields::{
    BuildingUse, Category, FacilityKind, FieldBinding, IdleKind, LandOwnership, OwnerType, Semantic,
};
pub use layer::{Layer, Problem, ProblemKind, Severity};
pub use workspace::Workspace;

use serde::{Deserialize, Serialize};

/// What a layer is for in the analyses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Road centrelines: the walking network.
    Roads,
    /// Land parcels (地块, 三调 DLTB 图斑).
    Parcels,
    /// Building footprints (房屋).
    Buildings,
    /// Residential compounds (小区), old or not.
    Neighbourhoods,
    /// Idle land, idle buildings and owner-shared spaces (闲置资源).
    Idle,
    /// Existing service facilities (现状设施).
    Facilities,
    /// Neighbourhood gates (小区出入口): where a compound's residents step onto the street.
    Gates,
}

impl Role {
    /// Every role, in the order reports list them.
    pub const ALL: [Role; 7] = [
        Role::Roads,
        Role::Parcels,
        Role::Buildings,
        Role::Neighbourhoods,
        Role::Idle,
        Role::Facilities,
        Role::Gates,
    ];

    /// The role's name as used in config keys and reports.
    pub fn name(self) -> &'static str {
        match self {
            Role::Roads => "roads",
            Role::Parcels => "parcels",
            Role::Buildings => "buildings",
            Role::Neighbourhoods => "neighbourhoods",
            Role::Idle => "idle",
            Role::Facilities => "facilities",
            Role::Gates => "gates",
        }
    }

    /// Parse a role name (`neighborhoods` accepted too).
    pub fn parse(name: &str) -> Option<Role> {
        let n = name.trim().to_ascii_lowercase();
        Role::ALL
            .into_iter()
            .find(|r| r.name() == n)
            .or(if n == "neighborhoods" {
                Some(Role::Neighbourhoods)
            } else {
                None
            })
    }

    /// File stems that name a layer of this role in a data folder, English and Chinese.
    pub fn file_stems(self) -> &'static [&'static str] {
        match self {
            Role::Roads => &["roads", "road", "道路", "道路中心线"],
            Role::Parcels => &["parcels", "parcel", "地块", "dltb", "用地"],
            Role::Buildings => &["buildings", "building", "房屋", "建筑", "楼栋"],
            Role::Neighbourhoods => &[
                "neighbourhoods",
                "neighborhoods",
                "neighbourhood",
                "neighborhood",
                "小区",
                "老旧小区",
            ],
            Role::Idle => &["idle", "闲置", "闲置资源", "存量资源"],
            Role::Facilities => &["facilities", "facility", "设施", "现状设施"],
            Role::Gates => &["gates", "gate", "出入口", "小区出入口", "大门"],
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
