//! The tag rules: which OSM objects feed which role, and the values derived from their tags.
//!
//! Pure functions of a [`Tags`] set, so every rule is unit-tested on hand-made tags. The table in
//! the parent module's doc is the user-facing summary of these rules; keep the two in step.

/// The OSM keys the reader keeps; every other tag is dropped while reading, which keeps the
/// memory per object small (an extract carries hundreds of keys nobody here reads).
const KEPT_KEYS: &[&str] = &[
    "abandoned",
    "abandoned:building",
    "access",
    "amenity",
    "area",
    "beds",
    "bridge",
    "building",
    "building:levels",
    "building:start_date",
    "capacity",
    "disused",
    "disused:building",
    "foot",
    "healthcare",
    "highway",
    "landuse",
    "layer",
    "leisure",
    "location",
    "name",
    "name:zh",
    "name:zh-Hans",
    "office",
    "parking",
    "shop",
    "sidewalk",
    "sidewalk:both",
    "sidewalk:left",
    "sidewalk:right",
    "social_facility",
    "social_facility:for",
    "start_date",
    "tourism",
    "tunnel",
    "type",
];

/// The kept tags of one OSM object.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Tags(Vec<(&'static str, Box<str>)>);

impl Tags {
    /// Keep the tags whose key infill reads.
    pub(crate) fn filtered<'a>(tags: impl Iterator<Item = (&'a str, &'a str)>) -> Tags {
        let mut kept = Vec::new();
        for (k, v) in tags {
            if let Some(key) = KEPT_KEYS.iter().find(|known| **known == k) {
                kept.push((*key, Box::from(v)));
            }
        }
        Tags(kept)
    }

    /// Tags from literal pairs (tests and examples); unknown keys are dropped as when reading.
    #[cfg(test)]
    pub(crate) fn of(pairs: &[(&str, &str)]) -> Tags {
        Tags::filtered(pairs.iter().copied())
    }

    /// The value of a key, trimmed.
    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.trim())
    }

    /// True when `key` has exactly `value`.
    pub(crate) fn is(&self, key: &str, value: &str) -> bool {
        self.get(key) == Some(value)
    }

    /// True when `key` has one of `values`.
    fn is_any(&self, key: &str, values: &[&str]) -> bool {
        self.get(key).is_some_and(|v| values.contains(&v))
    }

    /// True when no tag was kept.
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// `highway=*` values kept as roads. Anything else (platform, bus_stop, elevator, rest_area,
/// services, raceway, abandoned, razed, …) is not part of a street network and is left out.
pub(crate) const ROAD_HIGHWAYS: &[&str] = &[
    "motorway",
    "motorway_link",
    "trunk",
    "trunk_link",
    "primary",
    "primary_link",
    "secondary",
    "secondary_link",
    "tertiary",
    "tertiary_link",
    "unclassified",
    "residential",
    "living_street",
    "service",
    "road",
    "busway",
    "pedestrian",
    "footway",
    "path",
    "steps",
    "cycleway",
    "track",
    "bridleway",
    "corridor",
    "crossing",
    "construction",
    "proposed",
];

/// The `highway` value if the way is kept as a road.
pub(crate) fn road_class(t: &Tags) -> Option<&str> {
    t.get("highway").filter(|h| ROAD_HIGHWAYS.contains(h))
}

/// Step-free walking allowed explicitly by `foot`.
fn foot_allows(t: &Tags) -> bool {
    t.is_any("foot", &["yes", "designated", "permissive"])
}

/// A sidewalk drawn on this way (not `separate`: then the walk is another way).
fn has_sidewalk(t: &Tags) -> bool {
    t.is_any("sidewalk", &["both", "left", "right", "yes"])
        || ["sidewalk:both", "sidewalk:left", "sidewalk:right"]
            .iter()
            .any(|k| t.is(k, "yes"))
}

/// Whether a kept road can be walked (`BXKT` 是/否), in this order:
///
/// 1. `highway=construction/proposed`: no (not open);
/// 2. `foot=no` or `foot=use_sidepath`: no (the walk is a separate way);
/// 3. `foot=yes/designated/permissive`: yes;
/// 4. motorway, trunk (+ links) and busway: no unless a sidewalk is drawn on the way;
/// 5. `access=private/no`: no;
/// 6. otherwise yes.
pub(crate) fn walkable(t: &Tags) -> bool {
    let highway = t.get("highway").unwrap_or("");
    if matches!(highway, "construction" | "proposed") {
        return false;
    }
    if t.is_any("foot", &["no", "use_sidepath"]) {
        return false;
    }
    if foot_allows(t) {
        return true;
    }
    if matches!(
        highway,
        "motorway" | "motorway_link" | "trunk" | "trunk_link" | "busway"
    ) && !has_sidewalk(t)
    {
        return false;
    }
    !t.is_any("access", &["private", "no"])
}

/// True for a building structure: `building=*` (not `no`), or a lifecycle-prefixed building
/// (`disused:building=*`, `abandoned:building=*`) whose structure still stands.
/// `building:part=*` alone is a part of a building, not one.
pub(crate) fn is_building(t: &Tags) -> bool {
    let yes = |k: &str| t.get(k).is_some_and(|v| !v.is_empty() && v != "no");
    yes("building") || yes("disused:building") || yes("abandoned:building")
}

/// Below ground: `location=underground` or a negative `layer`. Such structures (metro halls,
/// underground car parks) have no footprint on the land and are left out of buildings,
/// parcels and idle.
pub(crate) fn is_underground(t: &Tags) -> bool {
    if t.is_any("location", &["underground", "underwater"]) {
        return true;
    }
    t.get("layer")
        .and_then(|l| l.split(';').next())
        .and_then(|l| l.trim().parse::<f64>().ok())
        .is_some_and(|l| l < 0.0)
}

/// A disused or abandoned building (`SFXZ` 是, and an idle building).
pub(crate) fn building_vacant(t: &Tags) -> bool {
    t.is("disused", "yes")
        || t.is("abandoned", "yes")
        || t.is_any("building", &["disused", "abandoned"])
        || t.get("disused:building").is_some_and(|v| v != "no")
        || t.get("abandoned:building").is_some_and(|v| v != "no")
}

/// Building use (`YT`) in the bureau's vocabulary, or `None` when the tags do not say.
///
/// A specific `building` value decides (apartments → 住宅); then `amenity`, `healthcare`,
/// `shop`, `office`, `tourism`; a plain `building=yes` (or a lifecycle value such as
/// `construction`) with no such hint has no use; any other `building` value is 其他.
pub(crate) fn building_use(t: &Tags) -> Option<&'static str> {
    let building = t
        .get("building")
        .filter(|b| *b != "no")
        .or_else(|| t.get("disused:building"))
        .or_else(|| t.get("abandoned:building"))
        .unwrap_or("yes");
    if let Some(u) = use_of_building_value(building) {
        return Some(u);
    }
    if let Some(u) = t.get("amenity").and_then(use_of_amenity) {
        return Some(u);
    }
    if t.get("healthcare").is_some_and(|v| v != "no") {
        return Some("医疗");
    }
    if t.get("shop").is_some_and(|v| v != "no" && v != "vacant") {
        return Some("商业");
    }
    if t.get("office").is_some_and(|v| v != "no") {
        return Some("办公");
    }
    if t.is_any("tourism", &["hotel", "hostel", "guest_house", "motel"]) {
        return Some("商业");
    }
    match building {
        "yes" | "disused" | "abandoned" | "construction" | "proposed" => None,
        _ => Some("其他"),
    }
}

fn use_of_building_value(b: &str) -> Option<&'static str> {
    Some(match b {
        "residential" | "apartments" | "house" | "detached" | "semidetached_house" | "terrace"
        | "dormitory" | "bungalow" | "cabin" | "farm" | "static_caravan" | "houseboat" | "ger"
        | "stilt_house" => "住宅",
        "commercial" | "retail" | "supermarket" | "kiosk" | "hotel" | "mall" | "shop" => "商业",
        "office" | "government" => "办公",
        "school" | "university" | "college" | "kindergarten" => "教育",
        "hospital" | "clinic" => "医疗",
        "industrial" | "warehouse" | "factory" | "manufacture" | "hangar" | "storage_tank"
        | "silo" => "工业",
        _ => return None,
    })
}

fn use_of_amenity(a: &str) -> Option<&'static str> {
    Some(match a {
        "school" | "university" | "college" | "kindergarten" | "childcare" | "language_school"
        | "training" => "教育",
        "hospital" | "clinic" | "doctors" | "dentist" => "医疗",
        "townhall" | "courthouse" | "police" => "办公",
        "restaurant" | "cafe" | "fast_food" | "bank" | "bar" | "pub" | "marketplace" | "cinema"
        | "fuel" => "商业",
        _ => return None,
    })
}

/// `amenity` values whose areas are land parcels.
const PARCEL_AMENITIES: &[&str] = &[
    "school",
    "university",
    "college",
    "kindergarten",
    "childcare",
    "hospital",
    "clinic",
    "parking",
    "library",
    "townhall",
    "police",
    "courthouse",
    "marketplace",
    "fuel",
    "community_centre",
    "social_facility",
    "nursing_home",
    "bus_station",
];

/// An area that is a land parcel: `landuse=*`, an institution's or car park's grounds
/// (`amenity` in a fixed list; not underground or rooftop parking), or `leisure=park`.
/// Buildings are not parcels even when they carry such tags: they are in the buildings layer.
pub(crate) fn is_parcel(t: &Tags) -> bool {
    if is_building(t) {
        return false;
    }
    if t.get("landuse").is_some_and(|v| !v.is_empty()) {
        return true;
    }
    if t.is("amenity", "parking") && t.is_any("parking", &["underground", "rooftop"]) {
        return false;
    }
    t.is_any("amenity", PARCEL_AMENITIES) || t.is("leisure", "park")
}

/// A residential compound: `landuse=residential`.
pub(crate) fn is_neighbourhood(t: &Tags) -> bool {
    t.is("landuse", "residential")
}

/// Idle resource kind (`ZYLX`) of an area: 闲置土地 for `landuse=brownfield/greenfield/construction`,
/// 闲置房屋 for a disused or abandoned building.
pub(crate) fn idle_kind(t: &Tags) -> Option<&'static str> {
    if is_building(t) {
        return building_vacant(t).then_some("闲置房屋");
    }
    t.is_any("landuse", &["brownfield", "greenfield", "construction"])
        .then_some("闲置土地")
}

/// Facility type (`SSLX`) in the bureau's vocabulary, or `None` when the object is no facility.
pub(crate) fn facility_type(t: &Tags) -> Option<&'static str> {
    let amenity = t.get("amenity").unwrap_or("");
    let senior = t.is_any("social_facility:for", &["senior", "elderly", "seniors"]);
    let child = t.is_any(
        "social_facility:for",
        &["child", "children", "juvenile", "toddler"],
    );
    match amenity {
        "kindergarten" => return Some("幼儿园"),
        "childcare" => return Some("托育"),
        "nursing_home" => return Some("养老"),
        "social_facility" => {
            let kind = t.get("social_facility").unwrap_or("");
            if kind == "day_care" {
                return Some(if child {
                    "托育"
                } else {
                    "日间照料中心"
                });
            }
            if senior || matches!(kind, "nursing_home" | "assisted_living") {
                return Some("养老");
            }
            return None;
        }
        "clinic" | "doctors" => return Some("社区卫生服务站"),
        "hospital" => return Some("医疗"),
        "parking" => return Some("停车场"),
        "community_centre" => return Some("文化活动站"),
        _ => {}
    }
    match t.get("healthcare") {
        Some("clinic" | "doctor" | "centre") => return Some("社区卫生服务站"),
        Some("hospital") => return Some("医疗"),
        _ => {}
    }
    if t.is_any("shop", &["convenience", "supermarket"]) {
        return Some("便利店");
    }
    if t.is("leisure", "fitness_station") {
        return Some("健身场地");
    }
    None
}

/// Facility size and its unit (`GM`, `GMDW`): `capacity` (places, spaces, beds) or `beds`.
pub(crate) fn facility_capacity(t: &Tags, kind: &str) -> Option<(f64, &'static str)> {
    let number = |k: &str| {
        t.get(k)
            .and_then(|v| v.parse::<f64>().ok())
            .filter(|v| v.is_finite() && *v >= 0.0)
    };
    let unit_of_capacity = match kind {
        "停车场" => "个(泊位)",
        "幼儿园" | "托育" => "个(学位)",
        "养老" | "日间照料中心" | "医疗" | "社区卫生服务站" => "床",
        _ => return None,
    };
    if let Some(beds) = number("beds") {
        return Some((beds, "床"));
    }
    number("capacity").map(|c| (c, unit_of_capacity))
}

/// Number of floors (`CS`) from `building:levels`: the largest number in it (`3;5` → 5).
pub(crate) fn levels(t: &Tags) -> Option<f64> {
    t.get("building:levels")?
        .split([';', ','])
        .filter_map(|p| p.trim().parse::<f64>().ok())
        .filter(|v| v.is_finite() && *v >= 0.0)
        .reduce(f64::max)
}

/// Year built (`JZND`) from `start_date` or `building:start_date`: the first four-digit year
/// (`1995-05` → 1995, `~1930` → 1930, `1990s` → 1990).
pub(crate) fn build_year(t: &Tags) -> Option<i64> {
    let text = t
        .get("start_date")
        .or_else(|| t.get("building:start_date"))?;
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit() {
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            if i - start == 4 {
                return text[start..i].parse().ok();
            }
        } else {
            i += 1;
        }
    }
    None
}

/// The name (`NAME`): `name` when it contains Chinese, else `name:zh`, else `name:zh-Hans`,
/// else `name` (the rule the shared data's layers were made with).
pub(crate) fn name(t: &Tags) -> Option<&str> {
    let name = t.get("name").filter(|n| !n.is_empty());
    if name.is_some_and(has_chinese) {
        return name;
    }
    t.get("name:zh")
        .filter(|n| !n.is_empty())
        .or_else(|| t.get("name:zh-Hans").filter(|n| !n.is_empty()))
        .or(name)
}

fn has_chinese(s: &str) -> bool {
    s.chars()
        .any(|c| matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn walk(pairs: &[(&str, &str)]) -> bool {
        walkable(&Tags::of(pairs))
    }

    #[test]
    fn ordinary_streets_and_paths_are_walkable() {
        for h in [
            "residential",
            "footway",
            "steps",
            "primary",
            "service",
            "path",
        ] {
            assert!(walk(&[("highway", h)]), "{h}");
        }
        assert!(walk(&[("highway", "service"), ("access", "destination")]));
    }

    #[test]
    fn motorways_and_trunks_are_not_walkable_unless_a_sidewalk_or_foot_allows() {
        for h in ["motorway", "motorway_link", "trunk", "trunk_link"] {
            assert!(!walk(&[("highway", h)]), "{h}");
            assert!(walk(&[("highway", h), ("sidewalk", "both")]), "{h}");
            assert!(walk(&[("highway", h), ("sidewalk:left", "yes")]), "{h}");
            assert!(walk(&[("highway", h), ("foot", "yes")]), "{h}");
            assert!(!walk(&[("highway", h), ("sidewalk", "separate")]), "{h}");
            assert!(!walk(&[("highway", h), ("sidewalk", "no")]), "{h}");
        }
    }

    #[test]
    fn construction_and_proposed_are_not_walkable_even_with_foot() {
        assert!(!walk(&[("highway", "construction")]));
        assert!(!walk(&[("highway", "proposed"), ("foot", "yes")]));
    }

    #[test]
    fn private_access_is_not_walkable_unless_foot_allows() {
        assert!(!walk(&[("highway", "service"), ("access", "private")]));
        assert!(!walk(&[("highway", "footway"), ("access", "no")]));
        for f in ["yes", "designated", "permissive"] {
            assert!(walk(&[
                ("highway", "service"),
                ("access", "no"),
                ("foot", f)
            ]));
        }
        assert!(!walk(&[
            ("highway", "service"),
            ("access", "private"),
            ("foot", "private")
        ]));
    }

    #[test]
    fn foot_no_wins_over_everything_but_nothing_wins_over_it() {
        assert!(!walk(&[("highway", "residential"), ("foot", "no")]));
        assert!(!walk(&[
            ("highway", "primary"),
            ("sidewalk", "both"),
            ("foot", "no")
        ]));
        assert!(!walk(&[("highway", "cycleway"), ("foot", "use_sidepath")]));
    }

    #[test]
    fn road_classes_keep_streets_and_drop_stops_and_platforms() {
        assert_eq!(
            road_class(&Tags::of(&[("highway", "living_street")])),
            Some("living_street")
        );
        assert_eq!(
            road_class(&Tags::of(&[("highway", "construction")])),
            Some("construction")
        );
        for junk in [
            "platform",
            "bus_stop",
            "elevator",
            "rest_area",
            "services",
            "raceway",
        ] {
            assert_eq!(road_class(&Tags::of(&[("highway", junk)])), None, "{junk}");
        }
    }

    #[test]
    fn buildings_exclude_parts_and_no() {
        assert!(is_building(&Tags::of(&[("building", "yes")])));
        assert!(is_building(&Tags::of(&[("disused:building", "yes")])));
        assert!(!is_building(&Tags::of(&[("building", "no")])));
        assert!(!is_building(&Tags::of(&[("building:part", "yes")])));
        assert!(is_underground(&Tags::of(&[
            ("building", "yes"),
            ("layer", "-1")
        ])));
        assert!(is_underground(&Tags::of(&[("location", "underground")])));
        assert!(!is_underground(&Tags::of(&[("layer", "1")])));
    }

    #[test]
    fn building_use_prefers_the_building_value_then_hints() {
        let u = |p: &[(&str, &str)]| building_use(&Tags::of(p));
        assert_eq!(
            u(&[("building", "apartments"), ("shop", "bakery")]),
            Some("住宅")
        );
        assert_eq!(
            u(&[("building", "yes"), ("amenity", "school")]),
            Some("教育")
        );
        assert_eq!(u(&[("building", "yes"), ("shop", "mall")]), Some("商业"));
        assert_eq!(
            u(&[("building", "yes"), ("office", "company")]),
            Some("办公")
        );
        assert_eq!(u(&[("building", "yes")]), None);
        assert_eq!(u(&[("building", "garage")]), Some("其他"));
        assert_eq!(u(&[("building", "warehouse")]), Some("工业"));
        assert_eq!(u(&[("disused:building", "industrial")]), Some("工业"));
    }

    #[test]
    fn vacancy_and_idle_kinds() {
        let vacant = |p: &[(&str, &str)]| building_vacant(&Tags::of(p));
        assert!(vacant(&[("building", "yes"), ("disused", "yes")]));
        assert!(vacant(&[("building", "abandoned")]));
        assert!(vacant(&[("abandoned:building", "house")]));
        assert!(!vacant(&[("building", "yes"), ("disused", "no")]));
        assert_eq!(
            idle_kind(&Tags::of(&[("landuse", "brownfield")])),
            Some("闲置土地")
        );
        assert_eq!(
            idle_kind(&Tags::of(&[("landuse", "construction")])),
            Some("闲置土地")
        );
        assert_eq!(idle_kind(&Tags::of(&[("landuse", "residential")])), None);
        assert_eq!(
            idle_kind(&Tags::of(&[("building", "disused")])),
            Some("闲置房屋")
        );
        assert_eq!(idle_kind(&Tags::of(&[("building", "yes")])), None);
    }

    #[test]
    fn facility_types_use_the_bureau_vocabulary() {
        let f = |p: &[(&str, &str)]| facility_type(&Tags::of(p));
        assert_eq!(f(&[("amenity", "kindergarten")]), Some("幼儿园"));
        assert_eq!(f(&[("amenity", "childcare")]), Some("托育"));
        assert_eq!(f(&[("amenity", "nursing_home")]), Some("养老"));
        assert_eq!(
            f(&[
                ("amenity", "social_facility"),
                ("social_facility", "day_care")
            ]),
            Some("日间照料中心")
        );
        assert_eq!(
            f(&[
                ("amenity", "social_facility"),
                ("social_facility", "day_care"),
                ("social_facility:for", "child")
            ]),
            Some("托育")
        );
        assert_eq!(
            f(&[
                ("amenity", "social_facility"),
                ("social_facility", "group_home"),
                ("social_facility:for", "senior")
            ]),
            Some("养老")
        );
        assert_eq!(
            f(&[
                ("amenity", "social_facility"),
                ("social_facility", "shelter")
            ]),
            None
        );
        assert_eq!(f(&[("amenity", "clinic")]), Some("社区卫生服务站"));
        assert_eq!(f(&[("amenity", "hospital")]), Some("医疗"));
        assert_eq!(f(&[("amenity", "parking")]), Some("停车场"));
        assert_eq!(f(&[("amenity", "parking_space")]), None);
        assert_eq!(f(&[("shop", "convenience")]), Some("便利店"));
        assert_eq!(f(&[("amenity", "bench")]), None);
    }

    #[test]
    fn every_derived_value_is_in_the_default_vocabulary() {
        use crate::model::fields::{default_values, Semantic};
        let uses = default_values(Semantic::BuildingUse);
        for u in ["住宅", "商业", "办公", "教育", "医疗", "工业", "其他"] {
            assert!(uses.contains_key(u), "{u}");
        }
        let facilities = default_values(Semantic::FacilityType);
        for f in [
            "幼儿园",
            "托育",
            "养老",
            "日间照料中心",
            "社区卫生服务站",
            "医疗",
            "停车场",
            "便利店",
            "文化活动站",
            "健身场地",
        ] {
            assert!(facilities.contains_key(f), "{f}");
        }
        let idle = default_values(Semantic::IdleKind);
        assert!(idle.contains_key("闲置土地") && idle.contains_key("闲置房屋"));
        let flags = default_values(Semantic::Walkable);
        assert!(flags.contains_key("是") && flags.contains_key("否"));
    }

    #[test]
    fn parcels_and_neighbourhoods() {
        assert!(is_parcel(&Tags::of(&[("landuse", "retail")])));
        assert!(is_parcel(&Tags::of(&[("amenity", "school")])));
        assert!(is_parcel(&Tags::of(&[("leisure", "park")])));
        assert!(!is_parcel(&Tags::of(&[
            ("amenity", "school"),
            ("building", "yes")
        ])));
        assert!(!is_parcel(&Tags::of(&[
            ("amenity", "parking"),
            ("parking", "underground")
        ])));
        assert!(!is_parcel(&Tags::of(&[("amenity", "bench")])));
        assert!(is_neighbourhood(&Tags::of(&[("landuse", "residential")])));
    }

    #[test]
    fn levels_years_and_names() {
        assert_eq!(levels(&Tags::of(&[("building:levels", "3;5")])), Some(5.0));
        assert_eq!(levels(&Tags::of(&[("building:levels", "many")])), None);
        assert_eq!(
            build_year(&Tags::of(&[("start_date", "1995-05")])),
            Some(1995)
        );
        assert_eq!(
            build_year(&Tags::of(&[("start_date", "~1930s")])),
            Some(1930)
        );
        assert_eq!(build_year(&Tags::of(&[("start_date", "C19")])), None);
        let t = Tags::of(&[("name", "Xinjiekou"), ("name:zh", "新街口")]);
        assert_eq!(name(&t), Some("新街口"));
        let t = Tags::of(&[("name", "新街口"), ("name:zh", "新街口站")]);
        assert_eq!(name(&t), Some("新街口"));
        assert_eq!(name(&Tags::of(&[("name", "Kamppi")])), Some("Kamppi"));
        assert_eq!(name(&Tags::of(&[])), None);
    }
}
