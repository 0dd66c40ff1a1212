//! The walk network: the bounded search against a plain full Dijkstra (random graphs and every
//! real network), graph topology rules, snapping and catchments.

use std::collections::BTreeSet;
use std::path::Path;

use geo::{line_string, polygon, Coord, LineString};
use infill::config::Config;
use infill::io::load::load_workspace;
use infill::model::Role;
use infill::network::{
    catchment, snap_node, snap_origins, CatchmentSpec, GraphSpec, Origin, OriginSnap, Search,
    WalkGraph,
};
use proptest::prelude::*;

use crate::util::{city, full_dijkstra, infill, shared_data, write_shapefile};

/// Reached length by the obvious rule: from each end, as far as the remaining budget goes.
fn oracle_length(g: &WalkGraph, dist: &[f64], bound: f64) -> f64 {
    g.edges()
        .iter()
        .map(|e| {
            let f = e.factor();
            let reach = |d: f64| {
                if d <= bound {
                    ((bound - d) / f).min(e.length_m)
                } else {
                    0.0
                }
            };
            (reach(dist[e.source as usize]) + reach(dist[e.target as usize])).min(e.length_m)
        })
        .sum()
}

/// Check one multi-source search against the oracle: reached nodes, costs, reached lengths.
fn check_against_oracle(g: &WalkGraph, search: &mut Search, nodes: &[u32], minutes: &[f64]) {
    let spec = CatchmentSpec {
        minutes: minutes.to_vec(),
        ..CatchmentSpec::default()
    };
    let origins: Vec<OriginSnap> = nodes
        .iter()
        .map(|&n| OriginSnap {
            origin: Origin {
                label: "node".into(),
                point: g.node(n),
            },
            snap: snap_node(g, n),
        })
        .collect();
    let c = catchment(g, search, origins, &spec).unwrap();
    let sources: Vec<(u32, f64)> = nodes.iter().map(|&n| (n, 0.0)).collect();
    let dist = full_dijkstra(g, &sources);
    for (k, band) in c.bands.iter().enumerate() {
        let bound = spec.bound(k);
        let want: BTreeSet<u32> = (0..g.node_count() as u32)
            .filter(|&n| dist[n as usize] <= bound)
            .collect();
        let got: BTreeSet<u32> = c
            .node_times()
            .filter(|(_, t)| t * spec.speed_m_per_s <= bound)
            .map(|(n, _)| n)
            .collect();
        assert_eq!(got, want, "reached nodes, band {k}");
        assert_eq!(band.reached_nodes, want.len());
        let len = oracle_length(g, &dist, bound);
        assert!(
            (band.reached_length_m - len).abs() <= 1e-6,
            "band {k}: reached length {} vs oracle {len}",
            band.reached_length_m
        );
    }
    for (n, t) in c.node_times() {
        assert_eq!(t * spec.speed_m_per_s, dist[n as usize], "cost of node {n}");
    }
}

/// A tiny deterministic generator for picking sources.
fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn random_lines() -> impl Strategy<Value = Vec<LineString<f64>>> {
    // Vertices from a 12 × 12 grid of 40 m, so lines share vertices often.
    let vertex = (0u8..12, 0u8..12).prop_map(|(i, j)| Coord {
        x: f64::from(i) * 40.0,
        y: f64::from(j) * 40.0,
    });
    prop::collection::vec(
        prop::collection::vec(vertex, 2..5).prop_map(LineString),
        1..60,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn bounded_search_matches_full_dijkstra_on_random_graphs(
        lines in random_lines(),
        picks in prop::collection::vec(any::<u32>(), 1..4),
        minutes in prop::collection::vec(0.5f64..8.0, 1..4),
    ) {
        let g = WalkGraph::from_lines(&lines, &GraphSpec::default()).unwrap();
        prop_assume!(g.node_count() > 0);
        let mut minutes = minutes;
        minutes.sort_by(f64::total_cmp);
        minutes.dedup();
        let nodes: Vec<u32> = picks.iter().map(|p| p % g.node_count() as u32).collect();
        let mut search = Search::new(&g);
        // Twice with the same buffers: the second run must not see the first.
        check_against_oracle(&g, &mut search, &nodes, &minutes);
        check_against_oracle(&g, &mut search, &nodes[..1], &minutes);
    }
}

fn roads_graph(path: &Path) -> WalkGraph {
    let config = Config::load(path).unwrap();
    let ws = load_workspace(&config).unwrap();
    WalkGraph::from_roads(ws.layer(Role::Roads).unwrap(), &GraphSpec::default()).unwrap()
}

fn oracle_on_real_network(path: &Path, sources: usize) {
    let g = roads_graph(path);
    assert!(
        g.edge_count() > 100,
        "{}: {} edges",
        path.display(),
        g.edge_count()
    );
    let mut search = Search::new(&g);
    let mut state = 42;
    for _ in 0..sources {
        let n = (splitmix(&mut state) % g.node_count() as u64) as u32;
        check_against_oracle(&g, &mut search, &[n], &[5.0, 10.0, 15.0]);
    }
    let many: Vec<u32> = (0..20)
        .map(|_| (splitmix(&mut state) % g.node_count() as u64) as u32)
        .collect();
    check_against_oracle(&g, &mut search, &many, &[5.0, 10.0, 15.0]);
}

#[test]
fn bounded_search_matches_full_dijkstra_on_nanjing() {
    oracle_on_real_network(&city("nanjing"), 20);
}

#[test]
fn bounded_search_matches_full_dijkstra_on_beijing_wudaokou() {
    oracle_on_real_network(&city("beijing_wudaokou"), 20);
}

#[test]
fn bounded_search_matches_full_dijkstra_on_shanghai() {
    oracle_on_real_network(&city("shanghai"), 20);
}

#[test]
fn bounded_search_matches_full_dijkstra_on_porto() {
    oracle_on_real_network(&shared_data().join("osm/porto.osm.pbf"), 10);
}

#[test]
fn streets_either_side_of_a_river_without_a_bridge_are_not_joined() {
    let dir = tempfile::tempdir().unwrap();
    // Two streets along a 30 m river, a bridge crossing both without sharing a vertex with
    // them, and a lane ending 0.3 m short of the north street (joined by the tolerance).
    let (x0, y0) = (500_000.0, 3_500_000.0);
    let line = |pts: &[(f64, f64)]| {
        shapefile::Polyline::new(
            pts.iter()
                .map(|&(x, y)| shapefile::Point::new(x0 + x, y0 + y))
                .collect(),
        )
    };
    let shapes = vec![
        line(&[(0.0, 0.0), (200.0, 0.0)]),
        line(&[(0.0, 30.0), (200.0, 30.0)]),
        line(&[(100.0, -50.0), (100.0, 80.0)]),
        line(&[(50.0, 80.0), (50.0, 30.3)]),
    ];
    let path = dir.path().join("roads.shp");
    write_shapefile(&path, &shapes, &["south", "north", "bridge", "lane"]);
    let g = roads_graph(dir.path());
    let comps = g.components();
    assert_eq!(comps.len(), 3, "{comps:?}");
    // The lane joins the north street; the bridge stays apart from both.
    let north = infill::network::snap_point(
        &g,
        Coord {
            x: x0 + 10.0,
            y: y0 + 30.0,
        },
        5.0,
    )
    .unwrap();
    let lane_end = infill::network::snap_point(
        &g,
        Coord {
            x: x0 + 50.0,
            y: y0 + 79.0,
        },
        5.0,
    )
    .unwrap();
    let south = infill::network::snap_point(
        &g,
        Coord {
            x: x0 + 10.0,
            y: y0,
        },
        5.0,
    )
    .unwrap();
    let mut search = Search::new(&g);
    let c = catchment(
        &g,
        &mut search,
        snap_origins(
            &g,
            vec![Origin {
                label: "n".into(),
                point: north.point,
            }],
            250.0,
        ),
        &CatchmentSpec::default(),
    )
    .unwrap();
    assert!(c.time_s(&g, &lane_end).is_some());
    assert!(
        c.time_s(&g, &south).is_none(),
        "the south street must not be reachable"
    );
}

#[test]
fn lines_connect_at_shared_vertices_in_their_middle() {
    // A T-junction where the crossing street's end is a vertex in the middle of the main line.
    let lines = vec![
        line_string![(x: 0.0, y: 0.0), (x: 50.0, y: 0.0), (x: 100.0, y: 0.0)],
        line_string![(x: 50.0, y: 0.0), (x: 50.0, y: 70.0)],
    ];
    let g = WalkGraph::from_lines(&lines, &GraphSpec::default()).unwrap();
    assert_eq!((g.node_count(), g.edge_count()), (4, 3));
    // A crossing with no shared vertex is not a junction.
    let lines = vec![
        line_string![(x: 0.0, y: 0.0), (x: 100.0, y: 0.0)],
        line_string![(x: 50.0, y: -50.0), (x: 50.0, y: 50.0)],
    ];
    let g = WalkGraph::from_lines(&lines, &GraphSpec::default()).unwrap();
    assert_eq!((g.node_count(), g.edge_count()), (4, 2));
}

#[test]
fn endpoints_within_the_tolerance_join_the_other_line_in_its_middle() {
    let lines = vec![
        line_string![(x: 0.0, y: 0.0), (x: 100.0, y: 0.0)],
        line_string![(x: 40.0, y: 0.4), (x: 40.0, y: 60.0)],
        line_string![(x: 70.0, y: 0.8), (x: 70.0, y: 60.0)],
    ];
    let g = WalkGraph::from_lines(&lines, &GraphSpec::default()).unwrap();
    // Split at x = 40 (joined); x = 70 is 0.8 m away, beyond 0.5 m: separate.
    assert_eq!(g.components().len(), 2);
    let total: f64 = g.edges().iter().map(|e| e.length_m).sum();
    assert!((total - (100.0 + 60.0 + 59.2)).abs() < 1e-9, "{total}");
}

#[test]
fn a_bridge_or_tunnel_end_near_a_road_on_another_level_is_not_joined() {
    let street = line_string![(x: 0.0, y: 0.0), (x: 70.0, y: 0.0), (x: 100.0, y: 0.0)];
    // An end 0.3 m from the street, within the join tolerance.
    let near_end = line_string![(x: 40.0, y: 0.3), (x: 40.0, y: 60.0)];
    let components = |level: i32| {
        let lines = vec![(street.clone(), 0), (near_end.clone(), level)];
        WalkGraph::from_lines_on_levels(&lines, &GraphSpec::default())
            .unwrap()
            .components()
            .len()
    };
    assert_eq!(components(0), 1, "same level: joined");
    assert_eq!(
        components(1),
        2,
        "a bridge end above the street: not joined"
    );
    assert_eq!(
        components(-1),
        2,
        "a tunnel end below the street: not joined"
    );
    // A shared vertex is a junction whatever the levels: the bridge meets the street there.
    let ramp = line_string![(x: 70.0, y: 0.0), (x: 70.0, y: 60.0)];
    let lines = vec![(street.clone(), 0), (ramp, 1)];
    let g = WalkGraph::from_lines_on_levels(&lines, &GraphSpec::default()).unwrap();
    assert_eq!(g.components().len(), 1);
}

#[test]
fn road_levels_come_from_the_level_field_else_bridge_and_tunnel() {
    use infill::network::road_level;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("roads.shp");
    let name = |n: &str| dbase::FieldName::try_from(n).unwrap();
    let table = dbase::TableWriterBuilder::new()
        .add_character_field(name("DLDJ"), 20)
        .add_character_field(name("CJ"), 10)
        .add_character_field(name("BRIDGE"), 10)
        .add_character_field(name("TUNNEL"), 10);
    let mut w = shapefile::Writer::from_path(&path, table).unwrap();
    // (level field, bridge, tunnel) → level.
    let rows = [
        ("", "", "", 0),
        ("", "yes", "", 1),
        ("", "viaduct", "", 1),
        ("", "no", "", 0),
        ("", "", "yes", -1),
        ("", "", "否", 0),
        ("2", "yes", "", 2),
        ("-1", "", "", -1),
    ];
    for (k, (level, bridge, tunnel, _)) in rows.iter().enumerate() {
        let x = k as f64 * 100.0 + 500_000.0;
        let line = shapefile::Polyline::new(vec![
            shapefile::Point::new(x, 3_500_000.0),
            shapefile::Point::new(x, 3_500_050.0),
        ]);
        let mut r = dbase::Record::default();
        for (field, v) in [
            ("DLDJ", "支路"),
            ("CJ", level),
            ("BRIDGE", bridge),
            ("TUNNEL", tunnel),
        ] {
            r.insert(
                field.into(),
                dbase::FieldValue::Character(Some(v.to_string())),
            );
        }
        w.write_shape_and_record(&line, &r).unwrap();
    }
    drop(w);
    std::fs::write(path.with_extension("prj"), crate::util::PRJ_4549).unwrap();
    let ws = load_workspace(&Config::load(dir.path()).unwrap()).unwrap();
    let roads = ws.layer(Role::Roads).unwrap();
    let levels: Vec<i32> = (0..roads.len()).map(|i| road_level(roads, i)).collect();
    let expected: Vec<i32> = rows.iter().map(|r| r.3).collect();
    assert_eq!(levels, expected);
}

#[test]
fn partial_edges_count_by_the_reachable_fraction_from_either_end() {
    // A 1,000 m street, origin snapped in its middle 20 m off the street: 5 min at 1 m/s =
    // 300 m, 20 m spent on the off-network leg, so 280 m either way.
    let lines = vec![line_string![(x: 0.0, y: 0.0), (x: 1000.0, y: 0.0)]];
    let g = WalkGraph::from_lines(&lines, &GraphSpec::default()).unwrap();
    let mut search = Search::new(&g);
    let origins = snap_origins(
        &g,
        vec![
            Origin {
                label: "a".into(),
                point: Coord { x: 500.0, y: 20.0 },
            },
            Origin {
                label: "far".into(),
                point: Coord { x: 500.0, y: 400.0 },
            },
        ],
        250.0,
    );
    let c = catchment(&g, &mut search, origins, &CatchmentSpec::default()).unwrap();
    assert!(
        c.snaps[1].snap.is_none(),
        "the far origin is reported unsnapped"
    );
    assert!((c.bands[0].reached_length_m - 560.0).abs() < 1e-9);
    assert_eq!(c.bands[0].reached_nodes, 0);
    assert!((c.bands[2].reached_length_m - 1000.0).abs() < 1e-9);
    assert_eq!(c.bands[2].reached_nodes, 2);
    assert!((c.fractions(0)[0] - 0.56).abs() < 1e-12);
}

fn catchment_json(args: &[&str]) -> serde_json::Value {
    let out = infill().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn band_lengths(fc: &serde_json::Value) -> Vec<f64> {
    fc["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["reached_length_m"].as_f64().unwrap())
        .collect()
}

#[test]
fn cli_catchment_from_a_point_with_either_profile_gives_nested_bands_in_wgs84() {
    let nanjing = city("nanjing");
    let path = nanjing.to_str().unwrap();
    let default = catchment_json(&["catchment", path, "--at", "118.7892689,32.0470488"]);
    let elderly = catchment_json(&[
        "catchment",
        path,
        "--at",
        "118.7892689,32.0470488",
        "--profile",
        "elderly",
    ]);
    let features = default["features"].as_array().unwrap();
    assert_eq!(features.len(), 3);
    let minutes: Vec<f64> = features
        .iter()
        .map(|f| f["properties"]["minutes"].as_f64().unwrap())
        .collect();
    assert_eq!(minutes, [5.0, 10.0, 15.0]);
    let (d, e) = (band_lengths(&default), band_lengths(&elderly));
    assert!(d.windows(2).all(|w| w[0] < w[1]), "{d:?}");
    assert!(d.iter().zip(&e).all(|(d, e)| e < d), "{d:?} vs {e:?}");
    for f in features {
        assert!(f["properties"]["reached_nodes"].as_u64().unwrap() > 0);
        assert_eq!(f["geometry"]["type"], "MultiPolygon");
        let first = &f["geometry"]["coordinates"][0][0][0];
        let (lon, lat) = (first[0].as_f64().unwrap(), first[1].as_f64().unwrap());
        assert!((118.7..118.9).contains(&lon) && (31.9..32.2).contains(&lat));
    }
}

#[test]
fn cli_catchment_from_a_neighbourhood_and_all_neighbourhoods() {
    let nanjing = city("nanjing");
    let path = nanjing.to_str().unwrap();
    let one = catchment_json(&[
        "catchment",
        path,
        "--neighbourhood",
        "w333038082",
        "--speed",
        "0.9",
    ]);
    let features = one["features"].as_array().unwrap();
    assert_eq!(features.len(), 3);
    assert_eq!(features[0]["properties"]["neighbourhood"], "w333038082");
    let all = catchment_json(&["catchment", path, "--all-neighbourhoods", "--minutes", "5"]);
    let n = infill::io::load::load_workspace(&Config::load(&nanjing).unwrap())
        .unwrap()
        .layer(Role::Neighbourhoods)
        .unwrap()
        .len();
    assert_eq!(all["features"].as_array().unwrap().len(), n);
    let bad = infill()
        .args(["catchment", path, "--neighbourhood", "nowhere"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn cli_graph_export_and_catchment_bench_agree_on_the_formats() {
    let dir = tempfile::tempdir().unwrap();
    let nanjing = city("nanjing");
    let out = infill()
        .args(["graph-export", nanjing.to_str().unwrap(), "--out"])
        .arg(dir.path())
        .args(["--sources", "30", "--seed", "7"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let edges = std::fs::read_to_string(dir.path().join("edges.csv")).unwrap();
    let sources = std::fs::read_to_string(dir.path().join("sources.csv")).unwrap();
    assert_eq!(edges.lines().next(), Some("id,source,target,length_m"));
    assert_eq!(sources.lines().next(), Some("node"));
    assert_eq!(sources.lines().count(), 31);
    let g = roads_graph(&nanjing);
    assert_eq!(edges.lines().count(), g.edge_count() + 1);
    for (i, line) in edges.lines().skip(1).enumerate() {
        let f: Vec<&str> = line.split(',').collect();
        let e = g.edge(i as u32);
        assert_eq!(f[0].parse::<usize>().unwrap(), i);
        assert_eq!(f[1].parse::<u32>().unwrap(), e.source);
        assert_eq!(f[2].parse::<u32>().unwrap(), e.target);
        assert_eq!(f[3].parse::<f64>().unwrap(), e.length_m);
    }
    let nodes = std::fs::read_to_string(dir.path().join("nodes.csv")).unwrap();
    assert_eq!(nodes.lines().next(), Some("node,x,y"));
    assert_eq!(nodes.lines().count(), g.node_count() + 1);
    for (i, line) in nodes.lines().skip(1).enumerate() {
        let f: Vec<f64> = line.split(',').map(|v| v.parse().unwrap()).collect();
        let c = g.node(i as u32);
        assert_eq!((f[0] as usize, f[1], f[2]), (i, c.x, c.y));
    }
    // Same seed, same sources.
    let again = tempfile::tempdir().unwrap();
    infill()
        .args(["graph-export", nanjing.to_str().unwrap(), "--out"])
        .arg(again.path())
        .args(["--sources", "30", "--seed", "7"])
        .output()
        .unwrap();
    assert_eq!(
        sources,
        std::fs::read_to_string(again.path().join("sources.csv")).unwrap()
    );
    let bench = infill()
        .args(["catchment-bench", nanjing.to_str().unwrap(), "--sources"])
        .arg(dir.path().join("sources.csv"))
        .args(["--minutes", "15", "--speed", "1.0"])
        .output()
        .unwrap();
    assert!(
        bench.status.success(),
        "{}",
        String::from_utf8_lossy(&bench.stderr)
    );
    let line = String::from_utf8(bench.stdout).unwrap();
    assert!(line.starts_with("sources=30 runs=5 p50_us="), "{line}");
    assert!(line.contains(" p99_us="), "{line}");
}

#[test]
fn a_neighbourhood_starts_where_the_network_enters_or_lies_inside_it_and_at_its_centroid() {
    let lines = vec![
        line_string![(x: -200.0, y: 50.0), (x: 300.0, y: 50.0)],
        line_string![(x: 20.0, y: 20.0), (x: 80.0, y: 20.0)],
    ];
    let g = WalkGraph::from_lines(&lines, &GraphSpec::default()).unwrap();
    let square = geo::Geometry::Polygon(polygon![
        (x: 0.0, y: 0.0), (x: 100.0, y: 0.0), (x: 100.0, y: 100.0), (x: 0.0, y: 100.0)
    ]);
    let origins = infill::network::neighbourhood_origins(&g, &square, &[], 250.0);
    let mut labels: Vec<&str> = origins.iter().map(|o| o.origin.label.as_str()).collect();
    labels.sort_unstable();
    assert_eq!(labels, ["centroid", "entry", "entry", "inside", "inside"]);
    assert!(origins.iter().all(|o| o.snap.is_some()));
    let mut search = Search::new(&g);
    let c = catchment(&g, &mut search, origins, &CatchmentSpec::default()).unwrap();
    // From the entry at x = 100, a point at x = 250 on the through street is 150 s away.
    let p = infill::network::snap_point(&g, Coord { x: 250.0, y: 60.0 }, 250.0).unwrap();
    assert!((c.time_s(&g, &p).unwrap() - 160.0).abs() < 1e-9);
    // The inner street, disconnected from the rest, is reached from its nodes inside.
    let q = infill::network::snap_point(&g, Coord { x: 50.0, y: 20.0 }, 1.0).unwrap();
    assert_eq!(c.time_s(&g, &q), Some(30.0));
}

#[test]
fn a_neighbourhood_with_gates_starts_at_its_gates_and_one_without_at_its_entries() {
    use infill::network::{gates_by_neighbourhood, neighbourhood_origins, GATE_REACH_M};
    use shapefile::{Point as P, Polygon, PolygonRing, Polyline};
    let dir = tempfile::tempdir().unwrap();
    let (x0, y0) = (500_000.0, 3_500_000.0);
    let square = |x: f64| {
        Polygon::new(PolygonRing::Outer(vec![
            P::new(x0 + x, y0),
            P::new(x0 + x, y0 + 100.0),
            P::new(x0 + x + 100.0, y0 + 100.0),
            P::new(x0 + x + 100.0, y0),
            P::new(x0 + x, y0),
        ]))
    };
    // A street through both compounds.
    let street = Polyline::new(vec![
        P::new(x0 - 50.0, y0 + 50.0),
        P::new(x0 + 400.0, y0 + 50.0),
    ]);
    write_shapefile(&dir.path().join("roads.shp"), &[street], &["街"]);
    write_shapefile(
        &dir.path().join("neighbourhoods.shp"),
        &[square(0.0), square(200.0)],
        &["甲小区", "乙小区"],
    );
    // One gate inside 甲, one 10 m outside its north wall, one far from both.
    let gates = [
        P::new(x0 + 50.0, y0 + 95.0),
        P::new(x0 + 20.0, y0 + 110.0),
        P::new(x0 + 2_000.0, y0 + 2_000.0),
    ];
    write_shapefile(
        &dir.path().join("出入口.shp"),
        &gates,
        &["北门", "东门", "远门"],
    );
    let ws = load_workspace(&Config::load(dir.path()).unwrap()).unwrap();
    let hoods = ws.layer(Role::Neighbourhoods).unwrap();
    let assigned = gates_by_neighbourhood(hoods, ws.layer(Role::Gates).unwrap(), GATE_REACH_M);
    assert_eq!(
        assigned.gates.iter().map(Vec::len).collect::<Vec<_>>(),
        [2, 0]
    );
    assert_eq!(assigned.unassigned, [2]);
    let g = WalkGraph::from_roads(ws.layer(Role::Roads).unwrap(), &GraphSpec::default()).unwrap();
    let labels = |i: usize| {
        let origins = neighbourhood_origins(&g, hoods.geometry(i), &assigned.gates[i], 250.0);
        assert!(origins.iter().all(|o| o.snap.is_some()));
        let mut l: Vec<String> = origins.into_iter().map(|o| o.origin.label).collect();
        l.sort_unstable();
        l
    };
    assert_eq!(labels(0), ["gate", "gate"]);
    assert_eq!(labels(1), ["centroid", "entry", "entry"]);
    // `check` says so.
    let report = infill::check::check(&Config::load(dir.path()).unwrap(), &|_| {});
    assert!(
        report
            .notes
            .iter()
            .any(|n| n.starts_with("gates: 1 of 2 neighbourhoods have gates")
                && n.contains("; 1 of 3 gates belong to no neighbourhood")),
        "{:?}",
        report.notes
    );
}

#[test]
fn feature_membership_is_by_network_time() {
    let nanjing = city("nanjing");
    let ws = load_workspace(&Config::load(&nanjing).unwrap()).unwrap();
    let g = WalkGraph::from_roads(ws.layer(Role::Roads).unwrap(), &GraphSpec::default()).unwrap();
    let hoods = ws.layer(Role::Neighbourhoods).unwrap();
    let mut search = Search::new(&g);
    let spec = CatchmentSpec::default();
    let origins =
        infill::network::neighbourhood_origins(&g, hoods.geometry(0), &[], spec.snap_cap_m);
    let c = catchment(&g, &mut search, origins, &spec).unwrap();
    let times = infill::network::feature_times(&g, &c, ws.layer(Role::Buildings).unwrap());
    assert_eq!(times.len(), ws.layer(Role::Buildings).unwrap().len());
    let inside = times.iter().flatten().count();
    assert!(
        inside > 0 && inside < times.len(),
        "{inside} of {}",
        times.len()
    );
    assert!(times.iter().flatten().all(|t| (0.0..=900.0).contains(t)));
}

/// Catchment polygons on real networks: OGC-valid, nested (5 ⊆ 10 ⊆ 15 minutes, no area of a
/// band outside the next), every point of every reached part inside (or on) its band.
#[test]
fn catchment_polygons_are_valid_nested_and_cover_their_reached_edges() {
    use geo::{Area, BooleanOps, Contains, Intersects, Point, Validation};
    use infill::network::polygon::{band_polygons, PolygonBuilder, PolygonSpec};
    for dir in ["nanjing", "beijing_wudaokou", "shanghai"] {
        let g = roads_graph(&city(dir));
        let mut search = Search::new(&g);
        let mut builder = PolygonBuilder::new();
        let mut state = 7;
        for _ in 0..6 {
            let n = (splitmix(&mut state) % g.node_count() as u64) as u32;
            let origins = snap_origins(
                &g,
                vec![Origin {
                    label: "point".into(),
                    point: g.node(n),
                }],
                250.0,
            );
            let c = catchment(&g, &mut search, origins, &CatchmentSpec::default()).unwrap();
            let parts: Vec<Vec<LineString<f64>>> =
                (0..c.bands.len()).map(|k| c.band_parts(&g, k)).collect();
            let polygons = c.band_polygons(&g, &mut builder, &PolygonSpec::default());
            // Each stretch once with its first band draws what every band's full parts draw.
            assert_eq!(polygons, band_polygons(&parts, &PolygonSpec::default()));
            assert_eq!(polygons.len(), 3);
            for (k, p) in polygons.iter().enumerate() {
                assert!(p.is_valid(), "{dir} node {n} band {k}: invalid polygon");
                for part in &parts[k] {
                    for c in part.coords() {
                        let pt = Point::from(*c);
                        assert!(
                            p.contains(&pt) || p.intersects(&pt),
                            "{dir} node {n} band {k}: reached point {c:?} outside its band"
                        );
                    }
                }
                if k + 1 < polygons.len() {
                    let outside = p.difference(&polygons[k + 1]).unsigned_area();
                    assert!(
                        outside < 1e-6,
                        "{dir} node {n}: band {k} has {outside} m² outside band {}",
                        k + 1
                    );
                }
            }
        }
    }
}

/// [`WalkGraph::edge_part`] as first written: every vertex strictly between the two distances,
/// by a plain filter (the end points come from the same `point_along`; the oracle checks the
/// choice of inner vertices).
fn edge_part_by_filter(g: &WalkGraph, e: u32, from_m: f64, to_m: f64) -> LineString<f64> {
    let (c, a) = (g.edge_coords(e), g.edge_along(e));
    let at = |d: f64| g.point_along(e, d);
    let mut out = vec![at(from_m)];
    out.extend(
        a.iter()
            .zip(c)
            .filter(|(d, _)| **d > from_m && **d < to_m)
            .map(|(_, p)| *p),
    );
    out.push(at(to_m));
    LineString(out)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn edge_part_matches_a_plain_filter_of_the_vertices(
        points in prop::collection::vec((0i32..6, 0i32..6), 2..9),
        cuts in prop::collection::vec((prop::bool::ANY, 0.0..1.0f64, 0usize..9), 2),
    ) {
        // A small lattice gives repeated vertices (zero-length steps) and cuts exactly on vertices.
        let line: LineString<f64> = points
            .iter()
            .map(|&(x, y)| Coord { x: f64::from(x) * 10.0, y: f64::from(y) * 10.0 })
            .collect();
        let Ok(g) = WalkGraph::from_lines(&[line], &GraphSpec::default()) else {
            return Ok(());
        };
        for e in 0..g.edge_count() as u32 {
            let a = g.edge_along(e);
            let total = a.last().copied().unwrap_or(0.0);
            let mut d: Vec<f64> = cuts
                .iter()
                .map(|&(on_vertex, t, k)| if on_vertex { a[k % a.len()] } else { t * total })
                .collect();
            d.sort_by(f64::total_cmp);
            prop_assert_eq!(g.edge_part(e, d[0], d[1]), edge_part_by_filter(&g, e, d[0], d[1]));
        }
    }
}
