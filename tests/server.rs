//! The HTTP service, in-process (`tower::ServiceExt::oneshot`, no socket) on the demo district in
//! `data/`: every endpoint and every error case, paging against the layer, bbox against a brute
//! force, axis order, GCJ-02/BD-09 output against the reference formulas.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::{Arc, OnceLock};

use axum::body::Body;
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use geo::{Geometry, Intersects, Polygon};
use infill::analysis::AnalysisConfig;
use infill::config::Config;
use infill::crs::{wgs84, Crs, Transformer};
use infill::io::load::load_workspace;
use infill::model::Role;
use infill::server::{app, AppState};
use serde_json::Value;
use tower::ServiceExt;

/// The demo district's state, built once for the whole test binary.
fn state() -> &'static Arc<AppState> {
    static STATE: OnceLock<Arc<AppState>> = OnceLock::new();
    STATE.get_or_init(|| {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
        let ws = load_workspace(&Config::load(&dir).unwrap()).unwrap();
        Arc::new(AppState::new(ws, &AnalysisConfig::default(), "http://infill.test").unwrap())
    })
}

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    bytes: Vec<u8>,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.bytes).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}): {}",
                String::from_utf8_lossy(&self.bytes[..self.bytes.len().min(300)])
            )
        })
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

async fn send(req: Request<Body>) -> Reply {
    let response = app(state().clone()).oneshot(req).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap()
        .to_vec();
    Reply {
        status,
        headers,
        bytes,
    }
}

async fn get(uri: &str) -> Reply {
    send(
        Request::get(uri)
            .header(header::HOST, "infill.test")
            .body(Body::empty())
            .unwrap(),
    )
    .await
}

/// GET that must succeed; the JSON body.
async fn ok(uri: &str) -> Value {
    let r = get(uri).await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{uri}: {}",
        String::from_utf8_lossy(&r.bytes)
    );
    r.json()
}

/// Checks the one error shape and returns the description.
fn assert_error(r: &Reply, status: StatusCode, what: &str) -> String {
    assert_eq!(
        r.status,
        status,
        "{what}: {}",
        String::from_utf8_lossy(&r.bytes)
    );
    assert_eq!(r.header("content-type"), Some("application/json"), "{what}");
    let v = r.json();
    assert_eq!(v["status"], status.as_u16(), "{what}");
    assert!(v["code"].as_str().is_some_and(|c| !c.is_empty()), "{what}");
    v["description"].as_str().unwrap().to_string()
}

async fn bad(uri: &str) -> String {
    assert_error(&get(uri).await, StatusCode::BAD_REQUEST, uri)
}

fn layer_len(role: Role) -> usize {
    state().workspace.layer(role).unwrap().len()
}

fn link<'a>(v: &'a Value, rel: &str) -> Option<&'a str> {
    v["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["rel"] == rel)
        .map(|l| l["href"].as_str().unwrap())
}

/// The path and query of an absolute link of this server.
fn local(href: &str) -> &str {
    href.strip_prefix("http://infill.test").unwrap()
}

fn first_coord(v: &Value) -> (f64, f64) {
    let mut c = &v["geometry"]["coordinates"];
    while c[0].is_array() {
        c = &c[0];
    }
    (c[0].as_f64().unwrap(), c[1].as_f64().unwrap())
}

fn all_coords(v: &Value, out: &mut Vec<(f64, f64)>) {
    match v {
        Value::Array(a) if a.first().is_some_and(Value::is_number) => {
            out.push((a[0].as_f64().unwrap(), a[1].as_f64().unwrap()))
        }
        Value::Array(a) => a.iter().for_each(|x| all_coords(x, out)),
        Value::Object(m) => {
            for key in ["geometry", "coordinates"] {
                if let Some(x) = m.get(key) {
                    all_coords(x, out);
                }
            }
        }
        _ => {}
    }
}

#[tokio::test]
async fn server_landing_conformance_and_openapi() {
    let v = ok("/").await;
    for rel in ["self", "service-desc", "conformance", "data"] {
        assert!(link(&v, rel).is_some(), "landing page lacks {rel}");
    }
    let desc = v["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["rel"] == "service-desc")
        .unwrap();
    assert_eq!(desc["type"], "application/vnd.oai.openapi+json;version=3.0");
    let r = get(local(desc["href"].as_str().unwrap())).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.header("content-type"),
        Some("application/vnd.oai.openapi+json;version=3.0")
    );
    let doc = r.json();
    assert_eq!(doc["openapi"], "3.0.3");
    assert!(doc["paths"]["/collections/{collectionId}/items"]["get"].is_object());
    for path in [
        "/api/candidates",
        "/api/stock",
        "/api/gaps",
        "/api/neighbourhoods/{id}/catchment",
    ] {
        assert!(doc["paths"][path]["get"].is_object(), "{path}");
    }
    assert!(doc["paths"]["/api/allocation"]["post"]["requestBody"].is_object());
    let c = ok("/conformance").await;
    let classes: Vec<&str> = c["conformsTo"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap())
        .collect();
    for want in ["core", "geojson", "oas30"] {
        assert!(classes.contains(
            &format!("http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/{want}").as_str()
        ));
    }
    assert!(classes.contains(&"http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs"));
    assert_eq!(ok("/?f=json").await, v);
    bad("/?f=html").await;
    bad("/conformance?foo=1").await;
    let h = ok("/health").await;
    assert_eq!(h["status"], "ok");
    assert_eq!(h["working_crs"], "EPSG:4549");
}

#[tokio::test]
async fn server_collections_describe_every_layer_and_the_catchments() {
    let v = ok("/collections").await;
    let ids: Vec<&str> = v["collections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    let a = state().analysis.as_ref().unwrap();
    let mut want = vec![
        "roads".to_string(),
        "parcels".into(),
        "buildings".into(),
        "neighbourhoods".into(),
        "idle".into(),
        "facilities".into(),
        "stock".into(),
    ];
    want.extend(a.types.iter().map(|t| format!("candidates-{t}")));
    want.push("catchments".into());
    assert_eq!(ids, want);
    assert!(a.types.len() >= 9);
    for c in v["collections"].as_array().unwrap() {
        let crs: Vec<&str> = c["crs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_str().unwrap())
            .collect();
        assert_eq!(crs[0], "http://www.opengis.net/def/crs/OGC/1.3/CRS84");
        for code in [4326, 4490, 4549, 4513, 4554, 3857] {
            assert!(crs.contains(&format!("http://www.opengis.net/def/crs/EPSG/0/{code}").as_str()));
        }
        assert_eq!(
            c["storageCrs"],
            "http://www.opengis.net/def/crs/EPSG/0/4549"
        );
        let bbox = &c["extent"]["spatial"]["bbox"][0];
        let (w, s, e, n) = (
            bbox[0].as_f64().unwrap(),
            bbox[1].as_f64().unwrap(),
            bbox[2].as_f64().unwrap(),
            bbox[3].as_f64().unwrap(),
        );
        assert!(
            120.3 < w && w < e && e < 120.4 && 36.0 < s && s < n && n < 36.1,
            "{bbox}"
        );
        let one = ok(&format!("/collections/{}", c["id"].as_str().unwrap())).await;
        assert_eq!(&one, c);
        assert!(link(&one, "items").is_some());
    }
    let d = assert_error(
        &get("/collections/nope").await,
        StatusCode::NOT_FOUND,
        "unknown collection",
    );
    assert!(d.contains("buildings"), "{d}");
    bad("/collections?limit=3").await;
}

#[tokio::test]
async fn server_items_page_through_every_feature() {
    for role in [Role::Buildings, Role::Roads, Role::Facilities] {
        let n = layer_len(role);
        let first = ok(&format!("/collections/{role}/items")).await;
        assert_eq!(first["numberReturned"], 10);
        assert_eq!(first["numberMatched"], n);
        assert!(link(&first, "prev").is_none());
        let mut ids = Vec::new();
        let mut uri = format!("/collections/{role}/items?limit=97");
        let mut pages = 0;
        loop {
            let r = get(&uri).await;
            assert_eq!(r.status, StatusCode::OK);
            assert_eq!(r.header("content-type"), Some("application/geo+json"));
            assert_eq!(
                r.header("content-crs"),
                Some("<http://www.opengis.net/def/crs/OGC/1.3/CRS84>")
            );
            let v = r.json();
            assert_eq!(v["numberMatched"], n);
            let feats = v["features"].as_array().unwrap();
            assert_eq!(v["numberReturned"], feats.len());
            ids.extend(feats.iter().map(|f| f["id"].as_u64().unwrap()));
            if pages > 0 {
                assert!(link(&v, "prev").is_some());
            }
            pages += 1;
            match link(&v, "next") {
                Some(next) => uri = local(next).to_string(),
                None => break,
            }
        }
        assert_eq!(pages, n.div_ceil(97));
        assert_eq!(ids, (1..=n as u64).collect::<Vec<_>>(), "{role}");
    }
    // Past the end: an empty page with a prev link.
    let v = ok("/collections/facilities/items?offset=100000").await;
    assert_eq!(v["numberReturned"], 0);
    assert!(link(&v, "next").is_none() && link(&v, "prev").is_some());
    // limit above the maximum is clamped, not refused.
    let v = ok("/collections/buildings/items?limit=50000").await;
    assert_eq!(v["numberReturned"], layer_len(Role::Buildings));
    let next = ok("/collections/idle/items?limit=5&offset=5").await;
    let prev = link(&next, "prev").unwrap();
    assert!(
        prev.contains("offset=0") && prev.contains("limit=5"),
        "{prev}"
    );
    for q in [
        "limit=0",
        "limit=-1",
        "limit=abc",
        "offset=-1",
        "offset=x",
        "limit=1&limit=2",
        "foo=bar",
        "f=html",
        "datetime=",
    ] {
        let d = bad(&format!("/collections/buildings/items?{q}")).await;
        assert!(!d.is_empty());
    }
    assert_eq!(
        ok("/collections/buildings/items?datetime=2020-01-01T00:00:00Z/..").await["numberMatched"],
        layer_len(Role::Buildings)
    );
    assert_error(
        &get("/collections/nope/items").await,
        StatusCode::NOT_FOUND,
        "items of unknown",
    );
}

#[tokio::test]
async fn server_items_bbox_matches_a_brute_force() {
    let s = state();
    let layer = s.workspace.layer(Role::Buildings).unwrap();
    let to_working = Transformer::new(&wgs84(), s.workspace.crs()).unwrap();
    let (w, so, e, n) = (120.35, 36.055, 120.36, 36.065);
    // The box's edges, densified, in the working CRS.
    let mut ring = Vec::new();
    let corners = [(w, so), (e, so), (e, n), (w, n)];
    for k in 0..4 {
        let (p, q) = (corners[k], corners[(k + 1) % 4]);
        for t in 0..8 {
            let t = t as f64 / 8.0;
            let (x, y) = to_working
                .transform(p.0 + (q.0 - p.0) * t, p.1 + (q.1 - p.1) * t)
                .unwrap();
            ring.push(geo::Coord { x, y });
        }
    }
    ring.push(ring[0]);
    let bbox = Polygon::new(geo::LineString(ring), vec![]);
    let expected: BTreeSet<u64> = (0..layer.len())
        .filter(|&i| layer.geometry(i).intersects(&bbox))
        .map(|i| i as u64 + 1)
        .collect();
    assert!(expected.len() > 50 && expected.len() < layer.len());
    let got = |v: &Value| -> BTreeSet<u64> {
        v["features"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["id"].as_u64().unwrap())
            .collect()
    };
    let v = ok(&format!(
        "/collections/buildings/items?bbox={w},{so},{e},{n}&limit=10000"
    ))
    .await;
    assert_eq!(got(&v), expected);
    assert_eq!(v["numberMatched"], expected.len());
    // The same box as EPSG:4326 (latitude first) and as six numbers.
    let v = ok(&format!(
        "/collections/buildings/items?bbox={so},{w},{n},{e}&bbox-crs=http://www.opengis.net/def/crs/EPSG/0/4326&limit=10000"
    ))
    .await;
    assert_eq!(got(&v), expected);
    let v = ok(&format!(
        "/collections/buildings/items?bbox={w},{so},0,{e},{n},10&limit=10000"
    ))
    .await;
    assert_eq!(got(&v), expected);
    // A box in the working CRS (northing first, as EPSG defines 4549) selects by its own edges.
    let v = ok("/collections/buildings/items?bbox=3992000,531500,3992500,532500&bbox-crs=http://www.opengis.net/def/crs/EPSG/0/4549&limit=10000").await;
    let rect = geo::Rect::new(
        geo::Coord {
            x: 531_500.0,
            y: 3_992_000.0,
        },
        geo::Coord {
            x: 532_500.0,
            y: 3_992_500.0,
        },
    );
    let expected: BTreeSet<u64> = (0..layer.len())
        .filter(|&i| layer.geometry(i).intersects(&rect))
        .map(|i| i as u64 + 1)
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(got(&v), expected);
    // Paging keeps the bbox.
    let v = ok(&format!(
        "/collections/buildings/items?bbox={w},{so},{e},{n}&limit=10"
    ))
    .await;
    assert!(link(&v, "next").unwrap().contains("bbox="));
    for q in [
        "bbox=1,2,3",
        "bbox=a,b,c,d",
        "bbox=120.36,36.0,120.35,36.1",
        "bbox=120.3,36.1,120.4,36.0",
        "bbox=100,36,200,37",
        "bbox=120,-95,121,36",
        "bbox=1,2,3,4,5",
        "bbox=",
        "bbox=120,36,121,37&bbox-crs=EPSG:2000",
        "bbox-crs=http://www.opengis.net/def/crs/EPSG/0/4326",
    ] {
        bad(&format!("/collections/buildings/items?{q}")).await;
    }
    // Outside the data: nothing, not an error.
    let v = ok("/collections/buildings/items?bbox=10,10,11,11").await;
    assert_eq!(v["numberMatched"], 0);
}

#[tokio::test]
async fn server_items_crs_follows_the_axis_order_of_the_crs() {
    let crs84 = ok("/collections/facilities/items?limit=3").await;
    let r =
        get("/collections/facilities/items?limit=3&crs=http://www.opengis.net/def/crs/EPSG/0/4326")
            .await;
    assert_eq!(
        r.header("content-crs"),
        Some("<http://www.opengis.net/def/crs/EPSG/0/4326>")
    );
    let latlon = r.json();
    let r =
        get("/collections/facilities/items?limit=3&crs=http://www.opengis.net/def/crs/EPSG/0/4549")
            .await;
    assert_eq!(
        r.header("content-crs"),
        Some("<http://www.opengis.net/def/crs/EPSG/0/4549>")
    );
    let zone = r.json();
    let r = get("/collections/facilities/items?limit=3&crs=EPSG:3857").await;
    assert_eq!(r.status, StatusCode::OK);
    let merc = r.json();
    let layer = state().workspace.layer(Role::Facilities).unwrap();
    let to_merc = Transformer::new(&wgs84(), &Crs::from_epsg(3857).unwrap()).unwrap();
    for i in 0..3 {
        let (lon, lat) = first_coord(&crs84["features"][i]);
        assert!((118.0..122.0).contains(&lon) && (35.0..37.0).contains(&lat));
        let close =
            |a: (f64, f64), b: (f64, f64)| (a.0 - b.0).abs() < 1e-9 && (a.1 - b.1).abs() < 1e-9;
        assert!(close(first_coord(&latlon["features"][i]), (lat, lon)));
        let Geometry::Point(p) = layer.geometry(i) else {
            panic!("not a point")
        };
        assert!(close(first_coord(&zone["features"][i]), (p.y(), p.x())));
        let (mx, my) = to_merc.transform(lon, lat).unwrap();
        let (gx, gy) = first_coord(&merc["features"][i]);
        assert!((gx - mx).abs() < 1e-6 && (gy - my).abs() < 1e-6);
    }
    // Another zone (CM 117E, zone prefix 39) works too.
    let v =
        ok("/collections/facilities/items?limit=1&crs=http://www.opengis.net/def/crs/EPSG/0/4527")
            .await;
    let (n, e) = first_coord(&v["features"][0]);
    assert!(e > 39_000_000.0 && n > 3_900_000.0, "{e} {n}");
    for c in ["gcj02", "EPSG:32650", "EPSG:99999", "nonsense"] {
        let d = bad(&format!("/collections/facilities/items?crs={c}")).await;
        assert!(d.contains("crs"), "{d}");
    }
    bad("/collections/facilities/items/1?crs=bd09").await;
}

#[tokio::test]
async fn server_item_by_id() {
    let r = get("/collections/idle/items/3").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("content-type"), Some("application/geo+json"));
    assert_eq!(
        r.header("content-crs"),
        Some("<http://www.opengis.net/def/crs/OGC/1.3/CRS84>")
    );
    let v = r.json();
    assert_eq!(v["type"], "Feature");
    assert_eq!(v["id"], 3);
    let layer = state().workspace.layer(Role::Idle).unwrap();
    assert_eq!(
        v["properties"]["BSM"],
        layer
            .attributes()
            .get_by_name(2, "BSM")
            .unwrap()
            .to_string()
    );
    assert!(link(&v, "self").is_some() && link(&v, "collection").is_some());
    let page = ok("/collections/idle/items?offset=2&limit=1").await;
    assert_eq!(page["features"][0]["geometry"], v["geometry"]);
    let v = ok("/collections/idle/items/3?crs=http://www.opengis.net/def/crs/EPSG/0/4490").await;
    assert!(first_coord(&v).0 < 40.0);
    for id in ["0", "100000", "abc"] {
        assert_error(
            &get(&format!("/collections/idle/items/{id}")).await,
            StatusCode::NOT_FOUND,
            id,
        );
    }
    bad("/collections/idle/items/3?limit=1").await;
    let c = ok("/collections/catchments/items/1").await;
    assert_eq!(c["properties"]["minutes"], 5.0);
}

#[tokio::test]
async fn server_errors_share_one_shape_and_carry_cors() {
    let r = send(
        Request::get("/no/such/path")
            .header(header::ORIGIN, "http://amap.example")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_error(&r, StatusCode::NOT_FOUND, "unknown path");
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    let r = send(
        Request::post("/collections")
            .header(header::ORIGIN, "http://amap.example")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from("{}"))
            .unwrap(),
    )
    .await;
    assert_error(&r, StatusCode::METHOD_NOT_ALLOWED, "POST collections");
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    assert!(r.header("allow").unwrap().contains("GET"));
    for (method, uri) in [
        (Method::DELETE, "/collections/buildings/items/1"),
        (Method::PUT, "/api/neighbourhoods"),
        (Method::POST, "/"),
    ] {
        let r = send(
            Request::builder()
                .method(method)
                .uri(uri)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        assert_error(&r, StatusCode::METHOD_NOT_ALLOWED, uri);
    }
    let r = send(
        Request::get("/collections/buildings/items?bbox=1,2")
            .header(header::ORIGIN, "http://amap.example")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_error(&r, StatusCode::BAD_REQUEST, "bad bbox");
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    // A bad query string (not percent-decodable as UTF-8).
    bad("/collections/buildings/items?limit=%FF").await;
    // Preflight.
    let r = send(
        Request::builder()
            .method(Method::OPTIONS)
            .uri("/collections/buildings/items")
            .header(header::ORIGIN, "http://amap.example")
            .header(header::ACCESS_CONTROL_REQUEST_METHOD, "GET")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert!(r.status.is_success());
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
}

#[tokio::test]
async fn server_gzip_and_etag() {
    let r = send(
        Request::get("/collections/buildings/items?limit=100")
            .header(header::ACCEPT_ENCODING, "gzip")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("content-encoding"), Some("gzip"));
    assert_eq!(&r.bytes[..2], &[0x1f, 0x8b]);
    let plain = get("/collections/buildings/items?limit=100").await;
    assert!(plain.header("content-encoding").is_none());
    assert!(r.bytes.len() * 3 < plain.bytes.len());
    let tag = plain.header("etag").unwrap().to_string();
    assert!(tag.starts_with("W/\""));
    assert_eq!(
        get("/collections/buildings/items?limit=100")
            .await
            .header("etag"),
        Some(tag.as_str())
    );
    assert_ne!(
        get("/collections/buildings/items?limit=99")
            .await
            .header("etag"),
        Some(tag.as_str())
    );
    let r = send(
        Request::get("/collections/buildings/items?limit=100")
            .header(header::IF_NONE_MATCH, &tag)
            .header(header::ORIGIN, "http://amap.example")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_MODIFIED);
    assert!(r.bytes.is_empty());
    assert_eq!(r.header("etag"), Some(tag.as_str()));
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    let r = send(
        Request::get("/collections/buildings/items?limit=100")
            .header(header::IF_NONE_MATCH, "W/\"other\"")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    // Errors carry no ETag.
    assert!(get("/collections/nope").await.header("etag").is_none());
}

/// The GCJ-02 forward formula as published in coordTransform / eviltransform, written out here
/// independently of `infill::crs::chinese`.
fn reference_gcj02(lon: f64, lat: f64) -> (f64, f64) {
    use std::f64::consts::PI;
    let a = 6378245.0;
    #[allow(clippy::excessive_precision)] // As published.
    let ee = 0.00669342162296594323;
    let (x, y) = (lon - 105.0, lat - 35.0);
    let mut dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * x.abs().sqrt();
    dlat += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    dlat += (20.0 * (y * PI).sin() + 40.0 * (y / 3.0 * PI).sin()) * 2.0 / 3.0;
    dlat += (160.0 * (y / 12.0 * PI).sin() + 320.0 * (y * PI / 30.0).sin()) * 2.0 / 3.0;
    let mut dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * x.abs().sqrt();
    dlon += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    dlon += (20.0 * (x * PI).sin() + 40.0 * (x / 3.0 * PI).sin()) * 2.0 / 3.0;
    dlon += (150.0 * (x / 12.0 * PI).sin() + 300.0 * (x / 30.0 * PI).sin()) * 2.0 / 3.0;
    let radlat = lat / 180.0 * PI;
    let magic = 1.0 - ee * radlat.sin() * radlat.sin();
    let sqrtmagic = magic.sqrt();
    dlat = (dlat * 180.0) / ((a * (1.0 - ee)) / (magic * sqrtmagic) * PI);
    dlon = (dlon * 180.0) / (a / sqrtmagic * radlat.cos() * PI);
    (lon + dlon, lat + dlat)
}

/// Baidu's BD-09 from GCJ-02 (coordTransform's gcj02tobd09).
fn reference_bd09(lon: f64, lat: f64) -> (f64, f64) {
    let x_pi = std::f64::consts::PI * 3000.0 / 180.0;
    let z = (lon * lon + lat * lat).sqrt() + 0.00002 * (lat * x_pi).sin();
    let theta = lat.atan2(lon) + 0.000003 * (lon * x_pi).cos();
    (z * theta.cos() + 0.0065, z * theta.sin() + 0.006)
}

fn metres(a: (f64, f64), b: (f64, f64)) -> f64 {
    let r = 6_378_137.0;
    let dx = (a.0 - b.0).to_radians() * r * a.1.to_radians().cos();
    let dy = (a.1 - b.1).to_radians() * r;
    dx.hypot(dy)
}

#[test]
fn server_reference_formula_matches_published_values() {
    // coordTransform's README example: wgs84togcj02(116.404, 39.915).
    let g = reference_gcj02(116.404, 39.915);
    assert!(
        metres(g, (116.41024449916938, 39.91640428150164)) < 0.01,
        "{g:?}"
    );
    let b = reference_bd09(116.404, 39.915);
    assert!(
        metres(b, (116.41036949371029, 39.92133699351022)) < 0.01,
        "{b:?}"
    );
}

#[tokio::test]
async fn server_gcj02_and_bd09_match_the_reference_within_a_centimetre() {
    for uri in [
        "/api/neighbourhoods?limit=5",
        "/api/neighbourhoods/3799020400000001/catchment",
    ] {
        let sep = if uri.contains('?') { '&' } else { '?' };
        let wgs = ok(uri).await;
        let gcj = ok(&format!("{uri}{sep}crs=gcj02")).await;
        let bd = ok(&format!("{uri}{sep}crs=bd09")).await;
        assert_eq!(gcj["coordinate_system"], "gcj02");
        let (mut w, mut g, mut b) = (Vec::new(), Vec::new(), Vec::new());
        all_coords(&wgs["features"], &mut w);
        all_coords(&gcj["features"], &mut g);
        all_coords(&bd["features"], &mut b);
        assert!(w.len() > 20);
        assert_eq!((w.len(), w.len()), (g.len(), b.len()));
        for ((w, g), b) in w.iter().zip(&g).zip(&b) {
            let rg = reference_gcj02(w.0, w.1);
            assert!(metres(*g, rg) < 0.01, "{uri}: {g:?} vs {rg:?}");
            // GCJ-02 moves points here by hundreds of metres.
            assert!(metres(*g, *w) > 100.0);
            let rb = reference_bd09(rg.0, rg.1);
            assert!(metres(*b, rb) < 0.01, "{uri}: {b:?} vs {rb:?}");
        }
    }
}

#[tokio::test]
async fn server_planner_neighbourhoods() {
    let layer = state().workspace.layer(Role::Neighbourhoods).unwrap();
    let all = ok("/api/neighbourhoods").await;
    assert_eq!(all["numberMatched"], layer.len());
    assert_eq!(all["features"].as_array().unwrap().len(), layer.len());
    let old = ok("/api/neighbourhoods?old=true").await;
    let not_old = ok("/api/neighbourhoods?old=false").await;
    let n_old = old["numberMatched"].as_u64().unwrap();
    let a = state().analysis.as_ref().unwrap();
    assert_eq!(
        n_old as usize,
        a.neighbourhoods.iter().filter(|n| n.is_old).count()
    );
    assert!(n_old > 30);
    assert_eq!(
        n_old + not_old["numberMatched"].as_u64().unwrap(),
        layer.len() as u64
    );
    for f in old["features"].as_array().unwrap() {
        assert_eq!(f["properties"]["is_old"], true);
        assert!(f["properties"]["build_year"].as_i64().unwrap() <= 2005);
        assert!(f["properties"]["households"].as_f64().unwrap() > 0.0);
        // Lists carry the flat per-type gaps; the full table is on the single neighbourhood.
        assert!(f["properties"]["gaps"].is_null());
        assert!(f["properties"]["elderly_day_care_gap"].is_number());
    }
    let patch = a.patches.iter().find(|p| p.members.len() > 1).unwrap();
    let in_patch = ok(&format!("/api/neighbourhoods?patch={}", patch.id)).await;
    assert_eq!(in_patch["numberMatched"], patch.members.len());
    let page = ok("/api/neighbourhoods?old=true&limit=10&offset=10").await;
    assert_eq!(page["features"][0]["id"], old["features"][10]["id"]);
    assert!(link(&page, "next").is_some());
    // bbox defaults to the response's crs; bbox-crs overrides it.
    let sub = ok("/api/neighbourhoods?bbox=120.345,36.05,120.36,36.06").await;
    let n_sub = sub["numberMatched"].as_u64().unwrap();
    assert!(n_sub > 0 && n_sub < layer.len() as u64);
    let (gw, gs) = reference_gcj02(120.345, 36.05);
    let (ge, gn) = reference_gcj02(120.36, 36.06);
    let via_gcj = ok(&format!(
        "/api/neighbourhoods?crs=gcj02&bbox={gw},{gs},{ge},{gn}"
    ))
    .await;
    assert_eq!(via_gcj["numberMatched"], n_sub);
    let mixed =
        ok("/api/neighbourhoods?crs=gcj02&bbox=120.345,36.05,120.36,36.06&bbox-crs=wgs84").await;
    assert_eq!(mixed["numberMatched"], n_sub);
    // The bureau's projection, easting first on the planner API.
    let zone = ok("/api/neighbourhoods?crs=4549&limit=1").await;
    let (x, y) = first_coord(&zone["features"][0]);
    assert!((531_000.0..534_000.0).contains(&x) && (3_991_000.0..3_994_000.0).contains(&y));
    assert_eq!(zone["coordinate_system"], "EPSG:4549");
    for q in [
        "old=maybe",
        "crs=mars",
        "crs=EPSG:99999",
        "bbox=1,2,3",
        "limit=0",
        "patches=3",
        "bbox-crs=nonsense&bbox=1,2,3,4",
        "bbox-crs=wgs84",
    ] {
        bad(&format!("/api/neighbourhoods?{q}")).await;
    }
    let one = ok("/api/neighbourhoods/3799020400000001").await;
    assert_eq!(one["properties"]["name"], "胜泉一路新村");
    for t in &a.types {
        let g = &one["properties"]["gaps"][t];
        assert!(
            g["demand"].is_number() && g["gap"].is_number() && g["suppliers"].is_array(),
            "{t}: {g}"
        );
        assert_eq!(
            g["gap"].as_f64().unwrap(),
            a.gaps_of(t).unwrap().gaps[0].gap
        );
    }
    bad("/api/neighbourhoods?patch=P999").await;
    assert_eq!(one["geometry"], all["features"][0]["geometry"]);
    assert!(link(&one, "catchment").is_some());
    assert_error(
        &get("/api/neighbourhoods/nope").await,
        StatusCode::NOT_FOUND,
        "unknown neighbourhood",
    );
    bad("/api/neighbourhoods/3799020400000001?old=true").await;
    let index = ok("/api").await;
    assert!(link(&index, "neighbourhoods").is_some());
}

fn band_summary(v: &Value) -> Vec<(f64, f64)> {
    v["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["properties"]["minutes"].as_f64().unwrap(),
                f["properties"]["reached_length_m"].as_f64().unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn server_planner_catchments() {
    let id = "3799020400000001";
    let v = ok(&format!("/api/neighbourhoods/{id}/catchment")).await;
    let bands = band_summary(&v);
    assert_eq!(
        bands.iter().map(|b| b.0).collect::<Vec<_>>(),
        [5.0, 10.0, 15.0]
    );
    assert!(bands.windows(2).all(|w| w[0].1 < w[1].1), "{bands:?}");
    assert_eq!(v["features"][0]["properties"]["neighbourhood"], id);
    assert_eq!(v["features"][0]["geometry"]["type"], "MultiPolygon");
    // The precomputed default equals a fresh computation with the same spec.
    let fresh = ok(&format!(
        "/api/neighbourhoods/{id}/catchment?minutes=5,10,15&speed=1.0&profile=default"
    ))
    .await;
    assert_eq!(band_summary(&fresh), bands);
    // ... and the OGC collection holds the same bands.
    let coll = ok("/collections/catchments/items?limit=3").await;
    assert_eq!(
        coll["features"][2]["properties"]["reached_length_m"],
        v["features"][2]["properties"]["reached_length_m"]
    );
    let elderly = band_summary(
        &ok(&format!(
            "/api/neighbourhoods/{id}/catchment?profile=elderly"
        ))
        .await,
    );
    assert!(elderly[2].1 < bands[2].1);
    let one = band_summary(
        &ok(&format!(
            "/api/neighbourhoods/{id}/catchment?minutes=7.5&speed=1.2"
        ))
        .await,
    );
    assert_eq!(one.len(), 1);
    for q in [
        "minutes=10,5",
        "minutes=0",
        "minutes=61",
        "minutes=a",
        "minutes=",
        "minutes=1,2,3,4,5,6,7,8,9",
        "speed=0",
        "speed=-1",
        "speed=9",
        "speed=fast",
        "profile=runner",
        "at=1,2",
    ] {
        bad(&format!("/api/neighbourhoods/{id}/catchment?{q}")).await;
    }
    assert_error(
        &get("/api/neighbourhoods/nope/catchment").await,
        StatusCode::NOT_FOUND,
        "unknown",
    );

    // From a point: the same place given in WGS 84, GCJ-02 and EPSG:4549 gives the same catchment.
    let (lon, lat) = (120.355, 36.06);
    let w = ok(&format!("/api/catchment?at={lon},{lat}&minutes=5,10")).await;
    let (glon, glat) = reference_gcj02(lon, lat);
    let g = ok(&format!(
        "/api/catchment?at={glon},{glat}&minutes=5,10&crs=gcj02"
    ))
    .await;
    let (x, y) = Transformer::new(&wgs84(), &Crs::from_epsg(4549).unwrap())
        .unwrap()
        .transform(lon, lat)
        .unwrap();
    let z = ok(&format!(
        "/api/catchment?at={x},{y}&minutes=5,10&crs=EPSG:4549"
    ))
    .await;
    let wb = band_summary(&w);
    assert_eq!(wb.len(), 2);
    for other in [band_summary(&g), band_summary(&z)] {
        for (a, b) in wb.iter().zip(&other) {
            assert!((a.1 - b.1).abs() < 0.01, "{wb:?} vs {other:?}");
        }
    }
    let (gx, gy) = first_coord(&g["features"][1]);
    assert!(gx > 120.0 && gy > 36.0);
    for q in [
        "",
        "at=120.355",
        "at=a,b",
        "at=200,36",
        "at=10,10",
        "at=120.355,36.06&minutes=0",
        "at=120.355,36.06&crs=mars",
        "at=120.355,36.06&zoom=3",
    ] {
        bad(&format!("/api/catchment?{q}")).await;
    }
}

#[test]
fn server_is_the_default_command() {
    use clap::Parser;
    let cli = infill::cli::Cli::try_parse_from(["infill"]).unwrap();
    assert!(cli.command.is_none());
    let cli =
        infill::cli::Cli::try_parse_from(["infill", "serve", "data", "--addr", "127.0.0.1:0"])
            .unwrap();
    assert!(matches!(
        cli.command,
        Some(infill::cli::Command::Serve { .. })
    ));
    assert!(infill::cli::Cli::try_parse_from(["infill", "serve", "--addr", "nowhere"]).is_err());
}

#[test]
fn server_binary_serves_over_a_socket_and_prints_its_url() {
    use std::io::{BufRead, BufReader, Read, Write};
    let mut child = crate::util::infill()
        .args(["serve", "data", "--addr", "127.0.0.1:0"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let result = std::panic::catch_unwind(|| {
        let url = line.trim().rsplit(' ').next().unwrap().to_string();
        assert!(url.starts_with("http://127.0.0.1:"), "{line}");
        let host = url.trim_start_matches("http://").trim_end_matches('/');
        let mut s = std::net::TcpStream::connect(host).unwrap();
        write!(
            s,
            "GET /health HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut reply = String::new();
        s.read_to_string(&mut reply).unwrap();
        assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
        assert!(reply.contains("\"status\":\"ok\""), "{reply}");
    });
    child.kill().unwrap();
    child.wait().unwrap();
    result.unwrap();
}

fn ids_of(v: &Value) -> Vec<String> {
    v["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn server_stock_resources_with_reasons() {
    let a = state().analysis.as_ref().unwrap();
    let all = ok("/api/stock").await;
    assert_eq!(all["numberMatched"], a.stock.len());
    assert_eq!(
        ids_of(&all),
        a.stock.iter().map(|r| r.id.clone()).collect::<Vec<_>>()
    );
    for f in all["features"].as_array().unwrap() {
        let p = &f["properties"];
        assert!(!p["reasons"].as_array().unwrap().is_empty(), "{p}");
        assert!(!p["near"].as_array().unwrap().is_empty(), "{p}");
        assert!(p["kind"].is_string() && p["kind_zh"].is_string());
    }
    for kind in ["vacant_institutional_building", "shared_space", "idle_land"] {
        let want: Vec<String> = a
            .stock
            .iter()
            .filter(|r| r.kinds.iter().any(|k| k.key() == kind))
            .map(|r| r.id.clone())
            .collect();
        assert_eq!(
            ids_of(&ok(&format!("/api/stock?kind={kind}")).await),
            want,
            "{kind}"
        );
    }
    let both = ok("/api/stock?kind=shared_space,idle_land").await;
    assert!(both["numberMatched"].as_u64().unwrap() > 0);
    let n = a.stock[0].near[0].neighbourhood;
    let nid = &a.neighbourhoods[n].id;
    let want: Vec<String> = a
        .stock
        .iter()
        .filter(|r| r.near.iter().any(|x| x.neighbourhood == n))
        .map(|r| r.id.clone())
        .collect();
    assert_eq!(ids_of(&ok(&format!("/api/stock?near={nid}")).await), want);
    let in_box = ok("/api/stock?bbox=120.35,36.055,120.36,36.065").await;
    assert!(in_box["numberMatched"].as_u64().unwrap() < a.stock.len() as u64);
    let gcj = ok("/api/stock?crs=gcj02&limit=1").await;
    let (x, y) = first_coord(&gcj["features"][0]);
    let (x0, y0) = first_coord(&all["features"][0]);
    assert!(metres((x, y), reference_gcj02(x0, y0)) < 0.01);
    let one = ok(&format!("/api/stock/{}", a.stock[0].id)).await;
    assert_eq!(one["properties"], all["features"][0]["properties"]);
    assert_error(
        &get("/api/stock/nope").await,
        StatusCode::NOT_FOUND,
        "unknown stock",
    );
    for q in [
        "kind=castle",
        "kind=",
        "near=nope",
        "bbox=1,2",
        "type=x",
        "crs=mars",
    ] {
        bad(&format!("/api/stock?{q}")).await;
    }
    // The derived OGC collection holds the same features.
    let coll = ok("/collections/stock/items?limit=10000").await;
    assert_eq!(coll["numberMatched"], a.stock.len());
    let item = ok(&format!("/collections/stock/items/{}", a.stock[0].id)).await;
    assert_eq!(item["properties"], one["properties"]);
}

#[tokio::test]
async fn server_candidates_with_explanations() {
    let a = state().analysis.as_ref().unwrap();
    let t = "elderly_day_care";
    let tc = a.candidates_of(t).unwrap();
    assert!(tc.candidates.len() > 3);
    let v = ok(&format!("/api/candidates?type={t}")).await;
    assert_eq!(v["numberMatched"], tc.candidates.len());
    let feats = v["features"].as_array().unwrap();
    assert_eq!(feats.len(), tc.candidates.len());
    for (k, f) in feats.iter().enumerate() {
        let p = &f["properties"];
        assert_eq!(p["rank"], k + 1);
        let factors = p["factors"].as_array().unwrap();
        let weights: f64 = factors.iter().map(|x| x["weight"].as_f64().unwrap()).sum();
        let total: f64 = factors
            .iter()
            .map(|x| x["contribution"].as_f64().unwrap())
            .sum();
        assert!((weights - 1.0).abs() < 1e-6, "{weights}");
        assert!(
            (total - p["score"].as_f64().unwrap()).abs() < 1e-3,
            "{total} {p}"
        );
        assert!(!p["serves"].as_array().unwrap().is_empty());
        assert!(!p["checks"].as_array().unwrap().is_empty());
        assert!(!p["reasons"].as_array().unwrap().is_empty());
    }
    let scores: Vec<f64> = feats
        .iter()
        .map(|f| f["properties"]["score"].as_f64().unwrap())
        .collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]));
    let m = tc.candidates[tc.candidates.len() / 2].score;
    let above = ok(&format!("/api/candidates?type={t}&min_score={m}")).await;
    assert_eq!(
        above["numberMatched"],
        tc.candidates.iter().filter(|c| c.score >= m).count()
    );
    let worst = ok(&format!("/api/candidates?type={t}&sort=-score&limit=1")).await;
    assert_eq!(worst["features"][0]["id"], feats.last().unwrap()["id"]);
    let column = |v: &Value, f: &dyn Fn(&Value) -> f64| -> Vec<f64> {
        v["features"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| f(&x["properties"]))
            .collect()
    };
    let areas = column(
        &ok(&format!("/api/candidates?type={t}&sort=area")).await,
        &|p| p["usable_area_m2"].as_f64().unwrap(),
    );
    assert!(areas.windows(2).all(|w| w[0] >= w[1]), "{areas:?}");
    let nearest = column(
        &ok(&format!("/api/candidates?type={t}&sort=minutes")).await,
        &|p| {
            p["serves"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["minutes"].as_f64().unwrap())
                .fold(f64::INFINITY, f64::min)
        },
    );
    assert!(nearest.windows(2).all(|w| w[0] <= w[1]), "{nearest:?}");
    let by_name = ok(&format!("/api/candidates?type={t}&sort=name")).await;
    assert_eq!(by_name["numberMatched"], tc.candidates.len());
    // Near a neighbourhood and within a patch, against the analysis.
    let n = tc.candidates[0].serves[0].neighbourhood;
    let want = tc
        .candidates
        .iter()
        .filter(|c| c.serves.iter().any(|s| s.neighbourhood == n))
        .count();
    let near = ok(&format!(
        "/api/candidates?type={t}&near={}",
        a.neighbourhoods[n].id
    ))
    .await;
    assert_eq!(near["numberMatched"], want);
    if let Some(p) = a.neighbourhoods[n].patch {
        let want = tc
            .candidates
            .iter()
            .filter(|c| {
                c.serves
                    .iter()
                    .any(|s| a.neighbourhoods[s.neighbourhood].patch == Some(p))
            })
            .count();
        let v = ok(&format!(
            "/api/candidates?type={t}&patch={}",
            a.patches[p].id
        ))
        .await;
        assert_eq!(v["numberMatched"], want);
    }
    let page = ok(&format!("/api/candidates?type={t}&limit=2&offset=2")).await;
    assert_eq!(page["features"][0]["id"], feats[2]["id"]);
    assert!(link(&page, "next").is_some() && link(&page, "prev").is_some());
    for q in [
        String::new(),
        "type=spaceport".into(),
        format!("type={t}&min_score=2"),
        format!("type={t}&min_score=abc"),
        format!("type={t}&sort=height"),
        format!("type={t}&near=nope"),
        format!("type={t}&patch=P999"),
        format!("type={t}&bbox=3,2,1,0"),
        format!("type={t}&kind=idle_land"),
        format!("type={t}&limit=0"),
    ] {
        bad(&format!("/api/candidates?{q}")).await;
    }
    // Every type has its OGC collection with the same features in rank order.
    for tc in &a.candidates {
        let v = ok(&format!(
            "/collections/candidates-{}/items?limit=10000",
            tc.facility_type
        ))
        .await;
        assert_eq!(v["numberMatched"], tc.candidates.len());
        let ids: Vec<String> = tc
            .candidates
            .iter()
            .map(|c| a.stock[c.stock].id.clone())
            .collect();
        assert_eq!(ids_of(&v), ids);
    }
}

#[tokio::test]
async fn server_gaps_summary_and_standards() {
    let a = state().analysis.as_ref().unwrap();
    let v = ok("/api/gaps").await;
    assert_eq!(v["neighbourhoods"], a.neighbourhoods.len());
    assert_eq!(v["patches"].as_array().unwrap().len(), a.patches.len());
    let types = v["types"].as_array().unwrap();
    assert_eq!(types.len(), a.types.len());
    for (t, g) in types.iter().zip(&a.gaps) {
        assert_eq!(t["facility_type"], g.facility_type);
        assert_eq!(t["old_totals"]["gap"].as_f64().unwrap(), g.old_totals.gap);
        assert_eq!(
            t["neighbourhoods_with_gap"].as_array().unwrap().len(),
            g.old_totals.with_gap
        );
        assert_eq!(t["patches"].as_array().unwrap().len(), a.patches.len());
    }
    let one = ok("/api/gaps?type=childcare").await;
    assert_eq!(one["types"].as_array().unwrap().len(), 1);
    bad("/api/gaps?type=spaceport").await;
    bad("/api/gaps?limit=1").await;
    let s = ok("/api/standards").await;
    for t in &a.types {
        let f = &s["facilities"][t];
        assert!(f["band_minutes"].is_number(), "{t}");
        assert!(!f["sources"].as_array().unwrap().is_empty(), "{t}");
    }
    assert_eq!(s["facilities"]["elderly_day_care"]["band_minutes"], 5.0);
    bad("/api/standards?type=x").await;
}

async fn post(uri: &str, content_type: Option<&str>, body: impl Into<Body>) -> Reply {
    let mut req = Request::post(uri).header(header::HOST, "infill.test");
    if let Some(t) = content_type {
        req = req.header(header::CONTENT_TYPE, t);
    }
    send(req.body(body.into()).unwrap()).await
}

async fn allocate(body: &str) -> Value {
    let r = post(
        "/api/allocation",
        Some("application/json"),
        body.to_string(),
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{body}: {}",
        String::from_utf8_lossy(&r.bytes)
    );
    assert_eq!(r.header("content-type"), Some("application/geo+json"));
    r.json()
}

#[tokio::test]
async fn server_allocation_chooses_sites_and_reports_coverage() {
    let a = state().analysis.as_ref().unwrap();
    let all = allocate("{}").await;
    assert_eq!(all["formulation"], "maximal_covering");
    assert_eq!(all["k"], 3);
    let coverage = all["coverage"].as_array().unwrap();
    assert_eq!(coverage.len(), a.types.len());
    for c in coverage {
        let (before, after) = (
            c["covered_before"].as_f64().unwrap(),
            c["covered_after"].as_f64().unwrap(),
        );
        assert!(
            before <= after + 1e-9 && after <= c["households"].as_f64().unwrap() + 1e-6,
            "{c}"
        );
    }
    let feats = all["features"].as_array().unwrap();
    assert!(!feats.is_empty() && feats.len() <= 3 * a.types.len());
    for f in feats {
        assert!(f["properties"]["gain_households"].as_f64().unwrap() > 0.0);
        assert!(f["geometry"]["type"].is_string());
    }
    // More sites never cover less; the first site of k = 2 is the site of k = 1 or better.
    let t = "elderly_day_care";
    let one = allocate(&format!(r#"{{"types": ["{t}"], "k": 1}}"#)).await;
    let two = allocate(&format!(r#"{{"types": ["{t}"], "k": 2}}"#)).await;
    assert_eq!(one["features"].as_array().unwrap().len(), 1);
    assert!(two["covered_after"].as_f64().unwrap() >= one["covered_after"].as_f64().unwrap());
    // No single candidate beats the k = 1 choice: compare with each candidate's households in gap.
    let best_single = a
        .candidates_of(t)
        .unwrap()
        .candidates
        .iter()
        .map(|c| c.serves.iter().map(|s| s.gap_households).sum::<f64>())
        .fold(0.0, f64::max);
    let gain = one["features"][0]["properties"]["gain_households"]
        .as_f64()
        .unwrap();
    assert!(gain + 1e-6 >= best_single, "{gain} < {best_single}");
    // Cover-all leaves no reachable gap uncovered.
    let cover = allocate(&format!(r#"{{"types": ["{t}"], "cover_all": true}}"#)).await;
    assert_eq!(cover["formulation"], "set_covering");
    assert!(cover["coverage"][0]["left_uncovered"]
        .as_array()
        .unwrap()
        .is_empty());
    // Together with a total: each stock resource used once, at most `total` sites.
    let together = allocate(r#"{"together": true, "total": 5, "k": 5}"#).await;
    let ids: Vec<&str> = together["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["stock_id"].as_str().unwrap())
        .collect();
    assert!(ids.len() <= 5);
    assert_eq!(ids.iter().collect::<BTreeSet<_>>().len(), ids.len());
    // In GCJ-02.
    let r = post(
        "/api/allocation?crs=gcj02",
        Some("application/json"),
        format!(r#"{{"types": ["{t}"], "k": 1}}"#),
    )
    .await;
    let g = r.json();
    assert_eq!(g["coordinate_system"], "gcj02");
    let (w, gc) = (
        first_coord(&one["features"][0]),
        first_coord(&g["features"][0]),
    );
    assert!(metres(gc, reference_gcj02(w.0, w.1)) < 0.01);
}

#[tokio::test]
async fn server_allocation_errors() {
    for body in [
        r#"{"types": ["spaceport"]}"#,
        r#"{"k": 0}"#,
        r#"{"k": -1}"#,
        r#"{"k": "three"}"#,
        r#"{"k": 100000}"#,
        r#"{"total": 3}"#,
        r#"{"kk": 3}"#,
        r#"{"types": "parking"}"#,
        "{not json",
        "",
        "[]",
    ] {
        let r = post(
            "/api/allocation",
            Some("application/json"),
            body.to_string(),
        )
        .await;
        assert_error(&r, StatusCode::BAD_REQUEST, body);
    }
    for t in [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
    ] {
        let r = post("/api/allocation", t, "{}").await;
        assert_error(&r, StatusCode::UNSUPPORTED_MEDIA_TYPE, &format!("{t:?}"));
    }
    let big = format!(r#"{{"types": ["{}"]}}"#, "x".repeat(2 * 1024 * 1024));
    let r = post("/api/allocation", Some("application/json"), big).await;
    assert_error(&r, StatusCode::PAYLOAD_TOO_LARGE, "2 MiB body");
    let r = post("/api/allocation?crs=mars", Some("application/json"), "{}").await;
    assert_error(&r, StatusCode::BAD_REQUEST, "crs=mars");
    let r = post("/api/allocation?k=3", Some("application/json"), "{}").await;
    assert_error(&r, StatusCode::BAD_REQUEST, "k as a parameter");
    let r = get("/api/allocation").await;
    assert_error(&r, StatusCode::METHOD_NOT_ALLOWED, "GET allocation");
    assert!(r.header("allow").unwrap().contains("POST"));
}

#[tokio::test]
async fn server_links_follow_the_host_and_a_reverse_proxy() {
    let page = |headers: &[(&str, &str)]| {
        let mut req = Request::get("/collections/idle/items?limit=5");
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        send(req.body(Body::empty()).unwrap())
    };
    let next = |r: Reply| link(&r.json(), "next").unwrap().to_string();
    assert!(next(page(&[("host", "gis.example:8080")]).await)
        .starts_with("http://gis.example:8080/collections/idle/items?"));
    let behind = next(
        page(&[
            ("host", "127.0.0.1:8080"),
            ("x-forwarded-host", "maps.bureau.example"),
            ("x-forwarded-proto", "https"),
        ])
        .await,
    );
    assert!(
        behind.starts_with("https://maps.bureau.example/collections/idle/items?"),
        "{behind}"
    );
    // No Host: the configured base URL; a Host that is not a host name is ignored.
    assert!(next(page(&[]).await).starts_with("http://infill.test/"));
    assert!(
        next(page(&[("host", "evil.example/<script>")]).await).starts_with("http://infill.test/")
    );
}

#[tokio::test]
async fn server_repeated_gets_come_from_the_cache_unchanged() {
    let uri =
        "/collections/facilities/items?limit=7&crs=http://www.opengis.net/def/crs/EPSG/0/4549";
    let first = get(uri).await;
    let (_, _, hits_before) = state().response_cache.stats();
    let second = get(uri).await;
    let (entries, bytes, hits_after) = state().response_cache.stats();
    assert!(hits_after > hits_before);
    assert!(entries > 0 && bytes > 0);
    assert_eq!(second.bytes, first.bytes);
    for h in ["content-type", "content-crs", "etag"] {
        assert_eq!(second.header(h), first.header(h), "{h}");
    }
    // A different host gets its own links, not the cached ones.
    let other = send(
        Request::get(uri)
            .header(header::HOST, "other.example")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert!(link(&other.json(), "next")
        .unwrap()
        .starts_with("http://other.example/"));
    let h = ok("/health").await;
    assert!(h["response_cache"]["hits"].as_u64().unwrap() > 0);
    // /health itself is live, never cached.
    let _ = get(uri).await;
    let again = ok("/health").await;
    assert!(again["response_cache"]["hits"].as_u64() > h["response_cache"]["hits"].as_u64());
}
