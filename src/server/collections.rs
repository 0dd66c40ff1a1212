//! Feature collections as the service holds them: generic over where the features come from
//! (an input layer, catchments, analysis results), so derived layers register like input ones.

use std::collections::HashMap;

use geo::orient::{Direction, Orient};
use geo::{BoundingRect, Geometry, Intersects, Polygon};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::crs::{CrsError, Transformer};
use crate::index::SpatialIndex;
use crate::model::{Layer, Value as AttrValue};

/// The id of a feature: a number (record numbers) or text.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum FeatureId {
    /// A whole number, written as a JSON number.
    Number(u64),
    /// Text, written as a JSON string.
    Text(String),
}

impl FeatureId {
    /// The id as it appears in a URL path.
    pub fn key(&self) -> String {
        match self {
            FeatureId::Number(n) => n.to_string(),
            FeatureId::Text(t) => t.clone(),
        }
    }

    /// The id as JSON.
    pub fn to_json(&self) -> Value {
        match self {
            FeatureId::Number(n) => Value::from(*n),
            FeatureId::Text(t) => Value::from(t.as_str()),
        }
    }
}

/// One feature to put in a collection: geometry in the working CRS, properties as JSON.
#[derive(Clone, Debug)]
pub struct FeatureRecord {
    /// Unique within the collection.
    pub id: FeatureId,
    /// Working-CRS geometry; `None` for a feature without geometry.
    pub geometry: Option<Geometry<f64>>,
    /// Properties, in order.
    pub properties: Map<String, Value>,
}

/// A collection: features with their WGS 84 geometry precomputed and an R-tree for `bbox`.
#[derive(Debug)]
pub struct Collection {
    /// The id in URLs (`/collections/{id}`).
    pub id: String,
    /// A human title.
    pub title: String,
    /// What the features are.
    pub description: String,
    ids: Vec<FeatureId>,
    by_key: HashMap<String, usize>,
    working: Vec<Geometry<f64>>,
    lonlat: Vec<Geometry<f64>>,
    has_geometry: Vec<bool>,
    properties: Vec<Map<String, Value>>,
    /// The same serialised once: pages are written from these without cloning the maps.
    properties_raw: Vec<Box<RawValue>>,
    /// The WGS 84 geometry serialised once (`null` without geometry), for CRS84 pages.
    lonlat_raw: Vec<Box<RawValue>>,
    index: SpatialIndex,
    extent_lonlat: Option<[f64; 4]>,
}

/// Features without geometry are stored with this placeholder (never written out).
fn empty() -> Geometry<f64> {
    Geometry::GeometryCollection(geo::GeometryCollection(Vec::new()))
}

impl Collection {
    /// Builds a collection; `to_wgs84` converts from the working CRS. Ids must be unique.
    pub fn new(
        id: impl Into<String>,
        title: impl Into<String>,
        description: impl Into<String>,
        features: Vec<FeatureRecord>,
        to_wgs84: &Transformer,
    ) -> Result<Collection, CrsError> {
        let n = features.len();
        let mut c = Collection {
            id: id.into(),
            title: title.into(),
            description: description.into(),
            ids: Vec::with_capacity(n),
            by_key: HashMap::with_capacity(n),
            working: Vec::with_capacity(n),
            lonlat: Vec::with_capacity(n),
            has_geometry: Vec::with_capacity(n),
            properties: Vec::with_capacity(n),
            properties_raw: Vec::with_capacity(n),
            lonlat_raw: Vec::with_capacity(n),
            index: SpatialIndex::default(),
            extent_lonlat: None,
        };
        let mut extent: Option<[f64; 4]> = None;
        for f in features {
            let (working, lonlat, has) = match f.geometry {
                Some(g) => {
                    let mut ll = g.clone();
                    to_wgs84.transform_geometry(&mut ll)?;
                    let ll = orient(ll);
                    if let Some(r) = ll.bounding_rect() {
                        let e = extent.get_or_insert([r.min().x, r.min().y, r.max().x, r.max().y]);
                        e[0] = e[0].min(r.min().x);
                        e[1] = e[1].min(r.min().y);
                        e[2] = e[2].max(r.max().x);
                        e[3] = e[3].max(r.max().y);
                    }
                    (g, ll, true)
                }
                None => (empty(), empty(), false),
            };
            c.lonlat_raw.push(if has {
                geometry_raw(&lonlat)
            } else {
                raw("null")
            });
            c.properties_raw
                .push(serde_json::value::to_raw_value(&f.properties).unwrap_or_else(|_| raw("{}")));
            c.by_key.insert(f.id.key(), c.ids.len());
            c.ids.push(f.id);
            c.working.push(working);
            c.lonlat.push(lonlat);
            c.has_geometry.push(has);
            c.properties.push(f.properties);
        }
        c.index = SpatialIndex::build(&c.working);
        c.extent_lonlat = extent;
        Ok(c)
    }

    /// A collection of every feature of an input layer: id = record number (1-based, as in the
    /// source file), properties = the original attributes as read.
    pub fn from_layer(
        id: &str,
        title: &str,
        description: &str,
        layer: &Layer,
        to_wgs84: &Transformer,
    ) -> Result<Collection, CrsError> {
        let attrs = layer.attributes();
        let features = (0..layer.len())
            .map(|i| FeatureRecord {
                id: FeatureId::Number(i as u64 + 1),
                geometry: Some(layer.geometry(i).clone()).filter(|g| g.bounding_rect().is_some()),
                properties: attrs
                    .record(i)
                    .map(|(k, v)| (k.to_string(), attr_json(v)))
                    .collect(),
            })
            .collect();
        Collection::new(id, title, description, features, to_wgs84)
    }

    /// Number of features.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The WGS 84 extent `[west, south, east, north]`.
    pub fn extent_lonlat(&self) -> Option<[f64; 4]> {
        self.extent_lonlat
    }

    /// The position of the feature with this id.
    pub fn find(&self, key: &str) -> Option<usize> {
        self.by_key.get(key).copied()
    }

    /// The id of the feature at `i`.
    pub fn id(&self, i: usize) -> &FeatureId {
        &self.ids[i]
    }

    /// The geometry at `i` in the working CRS and in WGS 84; `None` without geometry.
    pub fn geometry(&self, i: usize) -> Option<(&Geometry<f64>, &Geometry<f64>)> {
        self.has_geometry[i].then(|| (&self.working[i], &self.lonlat[i]))
    }

    /// The properties at `i`.
    pub fn properties(&self, i: usize) -> &Map<String, Value> {
        &self.properties[i]
    }

    /// The properties at `i`, serialised.
    pub fn properties_raw(&self, i: usize) -> &RawValue {
        &self.properties_raw[i]
    }

    /// The WGS 84 geometry at `i` as GeoJSON (`null` without geometry).
    pub fn lonlat_raw(&self, i: usize) -> &RawValue {
        &self.lonlat_raw[i]
    }

    /// Positions of the features meeting `area` (working CRS; every feature without it), in
    /// collection order.
    pub fn matching(&self, area: Option<&Polygon<f64>>) -> Vec<usize> {
        match area {
            None => (0..self.len()).collect(),
            Some(area) => {
                let Some(rect) = area.bounding_rect() else {
                    return Vec::new();
                };
                let mut hits: Vec<usize> = self
                    .index
                    .query_rect(rect)
                    .filter(|&i| self.working[i].intersects(area))
                    .collect();
                hits.sort_unstable();
                hits
            }
        }
    }
}

/// A GeoJSON geometry, serialised.
pub(crate) fn geometry_raw(g: &Geometry<f64>) -> Box<RawValue> {
    serde_json::value::to_raw_value(&geojson::Geometry::new(geojson::GeometryValue::from(g)))
        .unwrap_or_else(|_| raw("null"))
}

/// A constant JSON text as a raw value.
fn raw(text: &str) -> Box<RawValue> {
    RawValue::from_string(text.to_string()).unwrap_or_else(|_| Box::<RawValue>::default())
}

/// Polygons with counter-clockwise exteriors, as RFC 7946 asks of longitude/latitude output.
pub(crate) fn orient(g: Geometry<f64>) -> Geometry<f64> {
    match g {
        Geometry::Polygon(p) => Geometry::Polygon(p.orient(Direction::Default)),
        Geometry::MultiPolygon(p) => Geometry::MultiPolygon(p.orient(Direction::Default)),
        other => other,
    }
}

/// An attribute value as JSON (non-finite numbers as null).
pub fn attr_json(v: AttrValue<'_>) -> Value {
    match v {
        AttrValue::Null => Value::Null,
        AttrValue::Text(s) => Value::from(s),
        AttrValue::Number(n) => serde_json::Number::from_f64(n)
            .map(Value::Number)
            .unwrap_or(Value::Null),
        AttrValue::Integer(n) => Value::from(n),
        AttrValue::Bool(b) => Value::from(b),
    }
}

/// The collections of the service, in listing order.
#[derive(Debug, Default)]
pub struct Collections {
    list: Vec<Collection>,
    by_id: HashMap<String, usize>,
}

impl Collections {
    /// Adds (or replaces) a collection.
    pub fn register(&mut self, c: Collection) {
        match self.by_id.get(&c.id) {
            Some(&i) => self.list[i] = c,
            None => {
                self.by_id.insert(c.id.clone(), self.list.len());
                self.list.push(c);
            }
        }
    }

    /// The collection with this id.
    pub fn get(&self, id: &str) -> Option<&Collection> {
        self.by_id.get(id).map(|&i| &self.list[i])
    }

    /// Every collection, in order.
    pub fn iter(&self) -> impl Iterator<Item = &Collection> {
        self.list.iter()
    }
}
