//! Semantic fields: what the analyses need from a layer, where to find it, and how to read its values.
//!
//! A bureau names its fields as the last analyst chose; the defaults below recognise the usual
//! ones (三调 DLTB: BSM, DLBM, DLMC, QSXZ, QSDWMC, TBMJ, ZLDWMC; 房屋: CS, JZND, JZMJ, …), and
//! `infill.toml` can bind any field to any semantic and map any value to a category.

use std::collections::HashMap;

use serde::Serialize;

use super::Role;

/// A field the analyses read, independent of how the source names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Semantic {
    /// Identifier (标识码 BSM).
    Id,
    /// Name (名称).
    Name,
    /// Number of floors above ground (层数).
    Floors,
    /// Year built (建成年代).
    BuildYear,
    /// Land-use code, 三调 DLBM (地类编码).
    LandUse,
    /// Land-use name, 三调 DLMC (地类名称).
    LandUseName,
    /// Land ownership, 三调 QSXZ (权属性质): state or collective.
    LandOwnership,
    /// Owner's name (权属单位名称).
    OwnerName,
    /// Owner type (权属类型): agency, institution, state firm, collective, owners, private, individual.
    OwnerType,
    /// Building use (用途).
    BuildingUse,
    /// Vacant or idle (是否闲置).
    Vacant,
    /// Vacant floor area, m² (闲置面积).
    VacantArea,
    /// Gross floor area, m² (建筑面积).
    FloorArea,
    /// Footprint area, m² (基底面积).
    FootprintArea,
    /// Area as recorded, m² (图斑面积 / 面积).
    Area,
    /// Floor-area ratio as recorded (容积率).
    FarRecorded,
    /// Households (户数).
    Households,
    /// Flagged as an old neighbourhood (是否老旧小区).
    IsOld,
    /// Street office or location (所在街道 / 坐落单位名称).
    Street,
    /// Facility type (设施类型).
    FacilityType,
    /// Facility size (规模: beds, places, spaces, m²).
    Capacity,
    /// Unit of the facility size (规模单位).
    CapacityUnit,
    /// Road class (道路等级).
    RoadClass,
    /// Walkable (步行可通).
    Walkable,
    /// Vertical level of a road (层级; OSM `layer`): line ends are joined only on one level.
    RoadLevel,
    /// Bridge (是否桥梁; OSM `bridge`): any value but no/否/0/false; level 1 when no level is given.
    Bridge,
    /// Tunnel (是否隧道; OSM `tunnel`): any value but no/否/0/false; level −1 when no level is given.
    Tunnel,
    /// Idle resource kind (资源类型): idle land, idle building, owner-shared space.
    IdleKind,
    /// Years idle (闲置年限).
    IdleYears,
    /// The neighbourhood a gate belongs to, by its id or name (所属小区).
    Neighbourhood,
}

/// How a semantic field is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ValueType {
    /// Kept as text.
    Text,
    /// Parsed as a number.
    Number,
    /// Mapped to yes/no through a value map.
    Flag,
    /// Mapped to a category through a value map.
    Category,
}

impl Semantic {
    /// Every semantic field.
    pub const ALL: [Semantic; 30] = [
        Semantic::Id,
        Semantic::Name,
        Semantic::Floors,
        Semantic::BuildYear,
        Semantic::LandUse,
        Semantic::LandUseName,
        Semantic::LandOwnership,
        Semantic::OwnerName,
        Semantic::OwnerType,
        Semantic::BuildingUse,
        Semantic::Vacant,
        Semantic::VacantArea,
        Semantic::FloorArea,
        Semantic::FootprintArea,
        Semantic::Area,
        Semantic::FarRecorded,
        Semantic::Households,
        Semantic::IsOld,
        Semantic::Street,
        Semantic::FacilityType,
        Semantic::Capacity,
        Semantic::CapacityUnit,
        Semantic::RoadClass,
        Semantic::Walkable,
        Semantic::RoadLevel,
        Semantic::Bridge,
        Semantic::Tunnel,
        Semantic::IdleKind,
        Semantic::IdleYears,
        Semantic::Neighbourhood,
    ];

    /// The key used in `infill.toml` (`[layers.buildings.fields] floors = "CS"`).
    pub fn key(self) -> &'static str {
        match self {
            Semantic::Id => "id",
            Semantic::Name => "name",
            Semantic::Floors => "floors",
            Semantic::BuildYear => "build_year",
            Semantic::LandUse => "land_use",
            Semantic::LandUseName => "land_use_name",
            Semantic::LandOwnership => "land_ownership",
            Semantic::OwnerName => "owner_name",
            Semantic::OwnerType => "owner_type",
            Semantic::BuildingUse => "building_use",
            Semantic::Vacant => "vacant",
            Semantic::VacantArea => "vacant_area",
            Semantic::FloorArea => "floor_area",
            Semantic::FootprintArea => "footprint_area",
            Semantic::Area => "area",
            Semantic::FarRecorded => "far",
            Semantic::Households => "households",
            Semantic::IsOld => "is_old",
            Semantic::Street => "street",
            Semantic::FacilityType => "facility_type",
            Semantic::Capacity => "capacity",
            Semantic::CapacityUnit => "capacity_unit",
            Semantic::RoadClass => "road_class",
            Semantic::Walkable => "walkable",
            Semantic::RoadLevel => "road_level",
            Semantic::Bridge => "bridge",
            Semantic::Tunnel => "tunnel",
            Semantic::IdleKind => "idle_kind",
            Semantic::IdleYears => "idle_years",
            Semantic::Neighbourhood => "neighbourhood",
        }
    }

    /// Parse a config key.
    pub fn parse(key: &str) -> Option<Semantic> {
        Semantic::ALL.into_iter().find(|s| s.key() == key)
    }

    /// How values of this field are read.
    pub fn value_type(self) -> ValueType {
        use Semantic::*;
        match self {
            Id | Name | LandUse | LandUseName | OwnerName | Street | CapacityUnit | RoadClass
            | Bridge | Tunnel | Neighbourhood => ValueType::Text,
            Floors | BuildYear | VacantArea | FloorArea | FootprintArea | Area | FarRecorded
            | Households | Capacity | IdleYears | RoadLevel => ValueType::Number,
            Vacant | IsOld | Walkable => ValueType::Flag,
            LandOwnership | OwnerType | BuildingUse | FacilityType | IdleKind => {
                ValueType::Category
            }
        }
    }

    /// Source field names recognised without configuration, in order of preference.
    ///
    /// The first group are the bureau's pinyin abbreviations (三调 and 房屋普查 conventions, and
    /// the fields of the shared test data); English and OSM-style names follow.
    pub fn default_names(self) -> &'static [&'static str] {
        match self {
            Semantic::Id => &["BSM", "OSMID", "OBJECTID", "ID", "FID"],
            Semantic::Name => &["MC", "XQMC", "JZMC", "NAME", "ZLMC", "SSMC"],
            Semantic::Floors => &["CS", "JZCS", "DSCS", "ZCS", "FLOORS", "FLOOR", "LEVELS"],
            Semantic::BuildYear => &["JZND", "JCND", "JCNF", "JGND", "NJ", "BUILD_YEAR", "YEAR"],
            Semantic::LandUse => &["DLBM", "YDDM", "YDXZ", "LANDUSE"],
            Semantic::LandUseName => &["DLMC", "YDMC"],
            Semantic::LandOwnership => &["QSXZ"],
            Semantic::OwnerName => &["QSDWMC", "QSDW", "QSR", "OWNER"],
            Semantic::OwnerType => &["QSLX", "CQLX", "DWXZ", "OWNER_TYPE"],
            Semantic::BuildingUse => &["YT", "FWYT", "JZYT", "USE"],
            Semantic::Vacant => &["SFXZ", "XZZT", "VACANT"],
            Semantic::VacantArea => &["XZMJ", "VACANT_M2"],
            Semantic::FloorArea => &["JZMJ", "ZJZMJ", "FLOOR_AREA"],
            Semantic::FootprintArea => &["JDMJ", "ZDMJ", "FOOTPRINT"],
            Semantic::Area => &["TBMJ", "MJ", "AREA", "SHAPE_AREA"],
            Semantic::FarRecorded => &["RJL", "FAR"],
            Semantic::Households => &["HS", "ZHS", "HOUSEHOLDS"],
            Semantic::IsOld => &["LJXQ", "SFLJXQ", "IS_OLD"],
            Semantic::Street => &["SZJD", "ZLDWMC", "JDMC", "STREET"],
            Semantic::FacilityType => &["SSLX", "SSLB", "FAC_TYPE", "TYPE"],
            Semantic::Capacity => &["GM", "CAPACITY"],
            Semantic::CapacityUnit => &["GMDW", "UNIT"],
            Semantic::RoadClass => &["DLDJ", "DJ", "HIGHWAY", "CLASS"],
            Semantic::Walkable => &["BXKT", "SFBX", "WALKABLE"],
            Semantic::RoadLevel => &["LAYER", "CJ", "DLCJ", "ROAD_LEVEL"],
            Semantic::Bridge => &["BRIDGE", "SFQL"],
            Semantic::Tunnel => &["TUNNEL", "SFSD"],
            Semantic::IdleKind => &["ZYLX", "IDLE_KIND"],
            Semantic::IdleYears => &["XZNX", "IDLE_YEARS"],
            Semantic::Neighbourhood => &["SSXQ", "XQID", "XQBM", "XQMC", "NEIGHBOURHOOD"],
        }
    }
}

/// The semantic fields each role uses; `required` ones are reported when missing.
pub fn role_fields(role: Role) -> &'static [(Semantic, Need)] {
    use Need::*;
    use Semantic::*;
    match role {
        Role::Roads => &[
            (Id, Optional),
            (Name, Optional),
            (RoadClass, Expected),
            (Walkable, Optional),
            (RoadLevel, Optional),
            (Bridge, Optional),
            (Tunnel, Optional),
        ],
        Role::Parcels => &[
            (Id, Expected),
            (LandUse, Expected),
            (LandUseName, Optional),
            (LandOwnership, Optional),
            (OwnerName, Optional),
            (Area, Optional),
            (FarRecorded, Optional),
            (Street, Optional),
            (Name, Optional),
        ],
        Role::Buildings => &[
            (Id, Optional),
            (Name, Optional),
            (Floors, Expected),
            (BuildYear, Expected),
            (BuildingUse, Expected),
            (OwnerType, Expected),
            (Vacant, Expected),
            (VacantArea, Optional),
            (FloorArea, Optional),
            (FootprintArea, Optional),
        ],
        Role::Neighbourhoods => &[
            (Id, Optional),
            (Name, Expected),
            (BuildYear, Expected),
            (Households, Expected),
            (FloorArea, Optional),
            (Street, Optional),
            (IsOld, Optional),
        ],
        Role::Idle => &[
            (Id, Optional),
            (IdleKind, Expected),
            (Name, Optional),
            (OwnerName, Optional),
            (OwnerType, Expected),
            (Area, Optional),
            (IdleYears, Optional),
        ],
        Role::Facilities => &[
            (Id, Optional),
            (FacilityType, Expected),
            (Name, Optional),
            (Capacity, Optional),
            (CapacityUnit, Optional),
        ],
        Role::Gates => &[(Id, Optional), (Name, Optional), (Neighbourhood, Optional)],
    }
}

/// Whether a missing semantic field is worth a warning.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Need {
    /// The analyses need it; its absence is reported.
    Expected,
    /// Used when present.
    Optional,
}

/// A category value a field maps to.
pub trait Category: Sized + Copy {
    /// The canonical names, as written in config value maps.
    fn canonical(self) -> &'static str;
    /// Parse a canonical name.
    fn from_canonical(name: &str) -> Option<Self>;
}

macro_rules! category {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $canon:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vdoc])* $variant),+ }
        impl Category for $name {
            fn canonical(self) -> &'static str { match self { $($name::$variant => $canon),+ } }
            fn from_canonical(name: &str) -> Option<Self> { match name { $($canon => Some($name::$variant),)+ _ => None } }
        }
        impl $name {
            /// Every variant.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
        }
    };
}

category!(
    /// Who owns a building or site (权属类型).
    OwnerType {
        /// Government agency (机关).
        Government = "government",
        /// Public institution (事业单位).
        Institution = "institution",
        /// State-owned enterprise (国有企业).
        StateEnterprise = "state_enterprise",
        /// An agency, institution or state firm, not told apart (机关企事业单位).
        Institutional = "institutional",
        /// Rural collective (集体).
        Collective = "collective",
        /// Shared by the owners of a compound (业主共有).
        OwnersShared = "owners_shared",
        /// Private firm (私营).
        Private = "private",
        /// Individual (个人).
        Individual = "individual",
    }
);

impl OwnerType {
    /// Government agencies, public institutions and state firms: the owners whose vacant
    /// buildings the stock-resource policy targets (机关企事业单位).
    pub fn is_institutional(self) -> bool {
        matches!(
            self,
            OwnerType::Government
                | OwnerType::Institution
                | OwnerType::StateEnterprise
                | OwnerType::Institutional
        )
    }
}

category!(
    /// Land ownership (三调 权属性质 QSXZ).
    LandOwnership {
        /// State-owned land (10/20).
        State = "state",
        /// Collective land (30–34/40).
        Collective = "collective",
    }
);

category!(
    /// Building use (房屋用途).
    BuildingUse {
        /// 住宅.
        Residential = "residential",
        /// 商业.
        Commercial = "commercial",
        /// 办公.
        Office = "office",
        /// 教育.
        Education = "education",
        /// 医疗.
        Medical = "medical",
        /// 工业 / 仓储.
        Industrial = "industrial",
        /// 其他 (sheds, guard rooms, utilities …).
        Other = "other",
    }
);

category!(
    /// Kind of idle resource (资源类型).
    IdleKind {
        /// 闲置土地.
        IdleLand = "idle_land",
        /// 闲置房屋.
        IdleBuilding = "idle_building",
        /// 业主共有空间 (bike sheds, guard rooms, basements).
        SharedSpace = "shared_space",
    }
);

category!(
    /// Existing service facility type (设施类型).
    FacilityKind {
        /// 养老院 / 敬老院 / 养老机构.
        NursingHome = "nursing_home",
        /// 日间照料中心.
        ElderlyDayCare = "elderly_day_care",
        /// 托育 / 托儿所.
        Childcare = "childcare",
        /// 幼儿园.
        Kindergarten = "kindergarten",
        /// 社区卫生服务站 / 卫生室 / 诊所.
        Clinic = "clinic",
        /// 医院 and other health care (医疗).
        Health = "health",
        /// 停车场.
        Parking = "parking",
        /// 助餐点 / 社区食堂.
        Canteen = "canteen",
        /// 便利店 / 超市.
        Convenience = "convenience",
        /// 文化活动站.
        Culture = "culture",
        /// 健身场地.
        Fitness = "fitness",
        /// Anything else.
        Other = "other",
    }
);

/// A value-mapping target: what a raw value means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mapped {
    /// Yes or no.
    Flag(bool),
    /// Owner type.
    Owner(OwnerType),
    /// Land ownership.
    Land(LandOwnership),
    /// Building use.
    Use(BuildingUse),
    /// Idle kind.
    Idle(IdleKind),
    /// Facility kind.
    Facility(FacilityKind),
}

impl Mapped {
    /// Parse a canonical name for a semantic field (`"government"` for owner type, `"true"` for a flag).
    pub fn parse(semantic: Semantic, canonical: &str) -> Option<Mapped> {
        let c = canonical.trim();
        match semantic {
            Semantic::Vacant | Semantic::IsOld | Semantic::Walkable => {
                parse_flag(c).map(Mapped::Flag)
            }
            Semantic::OwnerType => OwnerType::from_canonical(c).map(Mapped::Owner),
            Semantic::LandOwnership => LandOwnership::from_canonical(c).map(Mapped::Land),
            Semantic::BuildingUse => BuildingUse::from_canonical(c).map(Mapped::Use),
            Semantic::IdleKind => IdleKind::from_canonical(c).map(Mapped::Idle),
            Semantic::FacilityType => FacilityKind::from_canonical(c).map(Mapped::Facility),
            _ => None,
        }
    }

    /// The canonical names a semantic field accepts, for error messages.
    pub fn accepted(semantic: Semantic) -> Vec<&'static str> {
        fn names<C: Category>(all: &[C]) -> Vec<&'static str> {
            all.iter().map(|c| c.canonical()).collect()
        }
        match semantic {
            Semantic::Vacant | Semantic::IsOld | Semantic::Walkable => vec!["true", "false"],
            Semantic::OwnerType => names(OwnerType::ALL),
            Semantic::LandOwnership => names(LandOwnership::ALL),
            Semantic::BuildingUse => names(BuildingUse::ALL),
            Semantic::IdleKind => names(IdleKind::ALL),
            Semantic::FacilityType => names(FacilityKind::ALL),
            _ => Vec::new(),
        }
    }
}

fn parse_flag(s: &str) -> Option<bool> {
    match s.to_ascii_lowercase().as_str() {
        "true" | "yes" | "y" | "t" | "1" => Some(true),
        "false" | "no" | "n" | "f" | "0" => Some(false),
        _ => None,
    }
}

/// The built-in vocabulary of a semantic field: raw value → meaning.
///
/// Covers the bureau's Chinese terms and the English/OSM ones; config maps add to or override it.
pub fn default_values(semantic: Semantic) -> HashMap<String, Mapped> {
    let mut m = HashMap::new();
    let mut put = |keys: &[&str], v: Mapped| {
        for k in keys {
            m.insert((*k).to_string(), v);
        }
    };
    match semantic {
        Semantic::Vacant | Semantic::IsOld | Semantic::Walkable => {
            put(
                &[
                    "是",
                    "Y",
                    "y",
                    "YES",
                    "Yes",
                    "yes",
                    "T",
                    "t",
                    "TRUE",
                    "True",
                    "true",
                    "1",
                    "designated",
                    "permissive",
                ],
                Mapped::Flag(true),
            );
            put(
                &[
                    "否", "N", "n", "NO", "No", "no", "F", "f", "FALSE", "False", "false", "0",
                    "private",
                ],
                Mapped::Flag(false),
            );
            if semantic == Semantic::Vacant {
                put(&["闲置", "空置"], Mapped::Flag(true));
                put(&["在用", "使用中", "未闲置"], Mapped::Flag(false));
            }
        }
        Semantic::OwnerType => {
            use OwnerType::*;
            put(
                &["机关", "党政机关", "行政机关", "government"],
                Mapped::Owner(Government),
            );
            put(&["事业单位", "institution"], Mapped::Owner(Institution));
            put(
                &["国有企业", "国企", "央企", "state_enterprise"],
                Mapped::Owner(StateEnterprise),
            );
            put(
                &["机关企事业单位", "企事业单位", "institutional"],
                Mapped::Owner(Institutional),
            );
            put(
                &["集体", "村集体", "集体经济组织", "collective"],
                Mapped::Owner(Collective),
            );
            put(
                &["业主共有", "全体业主", "共有", "owners_shared"],
                Mapped::Owner(OwnersShared),
            );
            put(
                &["私营", "私营企业", "民营企业", "民营", "private"],
                Mapped::Owner(Private),
            );
            put(&["个人", "私人", "individual"], Mapped::Owner(Individual));
        }
        Semantic::LandOwnership => {
            use LandOwnership::*;
            put(
                &[
                    "10",
                    "20",
                    "国有",
                    "国有土地所有权",
                    "国有土地使用权",
                    "state",
                ],
                Mapped::Land(State),
            );
            put(
                &[
                    "30",
                    "31",
                    "32",
                    "33",
                    "34",
                    "40",
                    "集体",
                    "集体土地所有权",
                    "集体土地使用权",
                    "collective",
                ],
                Mapped::Land(Collective),
            );
        }
        Semantic::BuildingUse => {
            use BuildingUse::*;
            put(
                &[
                    "住宅",
                    "居住",
                    "residential",
                    "apartments",
                    "house",
                    "dormitory",
                ],
                Mapped::Use(Residential),
            );
            put(
                &["商业", "商服", "commercial", "retail"],
                Mapped::Use(Commercial),
            );
            put(&["办公", "office"], Mapped::Use(Office));
            put(
                &["教育", "学校", "education", "school"],
                Mapped::Use(Education),
            );
            put(
                &["医疗", "卫生", "medical", "hospital"],
                Mapped::Use(Medical),
            );
            put(
                &["工业", "厂房", "仓储", "industrial", "warehouse"],
                Mapped::Use(Industrial),
            );
            put(&["其他", "其它", "other"], Mapped::Use(Other));
        }
        Semantic::IdleKind => {
            use IdleKind::*;
            put(
                &["闲置土地", "空闲地", "低效用地", "idle_land"],
                Mapped::Idle(IdleLand),
            );
            put(
                &["闲置房屋", "空置房屋", "闲置用房", "idle_building"],
                Mapped::Idle(IdleBuilding),
            );
            put(
                &[
                    "业主共有空间",
                    "共有空间",
                    "自行车棚",
                    "门卫室",
                    "地下室",
                    "shared_space",
                ],
                Mapped::Idle(SharedSpace),
            );
        }
        Semantic::FacilityType => {
            use FacilityKind::*;
            put(
                &["养老", "养老院", "敬老院", "养老机构", "nursing_home"],
                Mapped::Facility(NursingHome),
            );
            put(
                &[
                    "日间照料中心",
                    "老年日间照料中心",
                    "日间照料",
                    "elderly_day_care",
                ],
                Mapped::Facility(ElderlyDayCare),
            );
            put(
                &["托育", "托儿所", "托育机构", "childcare"],
                Mapped::Facility(Childcare),
            );
            put(&["幼儿园", "kindergarten"], Mapped::Facility(Kindergarten));
            put(
                &[
                    "社区卫生服务站",
                    "社区卫生服务中心",
                    "卫生室",
                    "诊所",
                    "clinic",
                    "doctors",
                ],
                Mapped::Facility(Clinic),
            );
            put(
                &["医疗", "医院", "health", "hospital"],
                Mapped::Facility(Health),
            );
            put(
                &["停车场", "停车", "公共停车场", "parking"],
                Mapped::Facility(Parking),
            );
            put(
                &["助餐点", "社区食堂", "老年食堂", "助餐", "canteen"],
                Mapped::Facility(Canteen),
            );
            put(
                &["便利店", "超市", "convenience", "supermarket"],
                Mapped::Facility(Convenience),
            );
            put(
                &[
                    "文化活动站",
                    "文化站",
                    "文化活动中心",
                    "culture",
                    "community_centre",
                ],
                Mapped::Facility(Culture),
            );
            put(
                &["健身场地", "健身", "健身广场", "fitness", "fitness_station"],
                Mapped::Facility(Fitness),
            );
            put(&["其他", "其它", "other"], Mapped::Facility(Other));
        }
        _ => {}
    }
    m
}

/// Where a layer's semantic field comes from and how its values are read.
#[derive(Clone, Debug)]
pub struct FieldBinding {
    /// The semantic field.
    pub semantic: Semantic,
    /// Index of the source field in the layer's attributes.
    pub field: usize,
    /// The source field's name.
    pub field_name: String,
    /// How it was chosen: `"config"` or `"default name"`.
    pub source: &'static str,
    /// Raw value → meaning, for flag and category fields.
    pub values: HashMap<String, Mapped>,
}

impl FieldBinding {
    /// Map a raw value; `None` for blank values and for values the map does not know.
    pub fn map(&self, raw: &str) -> Option<Mapped> {
        let t = raw.trim();
        if t.is_empty() {
            return None;
        }
        self.values
            .get(t)
            .or_else(|| self.values.get(&t.to_ascii_lowercase()))
            .copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_semantic_key_parses_back() {
        for s in Semantic::ALL {
            assert_eq!(Semantic::parse(s.key()), Some(s));
        }
    }

    #[test]
    fn default_vocabularies_map_to_their_own_semantic() {
        for s in Semantic::ALL {
            for (raw, mapped) in default_values(s) {
                let ok = matches!(
                    (s, mapped),
                    (
                        Semantic::Vacant | Semantic::IsOld | Semantic::Walkable,
                        Mapped::Flag(_)
                    ) | (Semantic::OwnerType, Mapped::Owner(_))
                        | (Semantic::LandOwnership, Mapped::Land(_))
                        | (Semantic::BuildingUse, Mapped::Use(_))
                        | (Semantic::IdleKind, Mapped::Idle(_))
                        | (Semantic::FacilityType, Mapped::Facility(_))
                );
                assert!(ok, "{raw} for {s:?}");
            }
        }
    }

    #[test]
    fn policy_owner_types_are_institutional() {
        let m = default_values(Semantic::OwnerType);
        for raw in ["机关", "事业单位", "国有企业"] {
            let Some(Mapped::Owner(o)) = m.get(raw) else {
                panic!("{raw}")
            };
            assert!(o.is_institutional());
        }
        assert_eq!(
            m.get("业主共有"),
            Some(&Mapped::Owner(OwnerType::OwnersShared))
        );
        assert!(!OwnerType::Private.is_institutional());
    }
}
