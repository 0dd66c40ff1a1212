//! Land efficiency on the real data: computed FAR, coverage and area against the bureau's own
//! recorded RJL, JZMD and TBMJ fields.

use geo::{Area, BoundingRect, Geometry, Rect};
use infill::analysis::land_efficiency::{
    assess_land, building_parcels, parcel_metrics, LandEfficiencyRules, LandRule,
};
use infill::model::layer::LayerSource;
use infill::model::{Attributes, Layer, Role, Semantic, Workspace};

use crate::util::{city, load};

fn workspace(name: &str) -> Workspace {
    load(&city(name)).into_workspace().unwrap()
}

fn layer(ws: &Workspace, role: Role) -> &Layer {
    ws.layer(role).unwrap()
}

/// The recorded value of a parcel field by name, as the bureau stored it.
fn recorded(parcels: &Layer, i: usize, name: &str) -> f64 {
    parcels
        .attributes()
        .get_by_name(i, name)
        .and_then(|v| v.as_f64())
        .unwrap_or_else(|| panic!("parcel {i} has no {name}"))
}

fn far_and_coverage_match_recorded(name: &str) {
    let ws = workspace(name);
    let (parcels, buildings) = (layer(&ws, Role::Parcels), layer(&ws, Role::Buildings));
    assert!(parcels.binding(Semantic::FarRecorded).is_some());
    let metrics = parcel_metrics(parcels, buildings);
    let mut bad = Vec::new();
    for m in &metrics {
        let i = m.parcel;
        let rjl = parcels.number(i, Semantic::FarRecorded).unwrap();
        let jzmd = recorded(parcels, i, "JZMD");
        let tbmj = recorded(parcels, i, "TBMJ");
        let far = m.far.unwrap();
        let coverage = m.coverage.unwrap();
        // TBMJ, RJL and JZMD are DBF numbers with 2 decimals: half a unit of the last place.
        let within = |a: f64, b: f64| (a - b).abs() <= 0.005 + 1e-9 * b.abs();
        let ok = within(far, rjl) && within(coverage, jzmd) && within(m.area_m2, tbmj);
        if !ok {
            bad.push(format!(
                "parcel {i}: FAR {far:.6} vs RJL {rjl}, coverage {coverage:.6} vs JZMD {jzmd}, area {:.3} vs TBMJ {tbmj}, {} buildings",
                m.area_m2,
                m.buildings.len()
            ));
        }
    }
    assert!(
        bad.is_empty(),
        "{name}: {} of {} parcels differ:\n{}",
        bad.len(),
        metrics.len(),
        bad.join("\n")
    );
}

#[test]
fn far_and_coverage_match_recorded_nanjing() {
    far_and_coverage_match_recorded("nanjing");
}

#[test]
fn far_and_coverage_match_recorded_beijing() {
    far_and_coverage_match_recorded("beijing_wudaokou");
}

#[test]
fn far_and_coverage_match_recorded_shanghai() {
    far_and_coverage_match_recorded("shanghai");
}

/// Buildings whose representative point lies in no parcel, as each city's README counts them.
#[test]
fn unassigned_buildings_are_the_documented_exceptions() {
    for (name, count) in [("nanjing", 2), ("beijing_wudaokou", 1), ("shanghai", 0)] {
        let ws = workspace(name);
        let result = assess_land(
            layer(&ws, Role::Parcels),
            layer(&ws, Role::Buildings),
            ws.layer(Role::Idle),
            &LandEfficiencyRules::default(),
        );
        assert_eq!(result.unassigned_buildings.len(), count, "{name}");
    }
}

/// The neighbourhoods' JZMJ is Σ building JZMJ over the buildings whose representative point is
/// inside, recorded to the cent: a sharper check of the representative-point rule than the
/// parcels' 2-decimal RJL, since one building placed wrongly shifts it by its whole floor area.
#[test]
fn representative_point_rule_reproduces_neighbourhood_floor_areas() {
    for name in ["nanjing", "beijing_wudaokou", "shanghai"] {
        let ws = workspace(name);
        let (hoods, buildings) = (
            layer(&ws, Role::Neighbourhoods),
            layer(&ws, Role::Buildings),
        );
        let owner = building_parcels(hoods, buildings);
        let mut sum = vec![0.0; hoods.len()];
        let mut count = vec![0usize; hoods.len()];
        for (b, h) in owner.iter().enumerate() {
            if let Some(h) = *h {
                sum[h] += buildings.number(b, Semantic::FloorArea).unwrap();
                count[h] += 1;
            }
        }
        for h in 0..hoods.len() {
            let recorded = hoods.number(h, Semantic::FloorArea).unwrap();
            // Each building's JZMJ and the total are rounded to the cent.
            let tolerance = 0.005 * (count[h] + 1) as f64 + 1e-9 * recorded;
            assert!(
                (sum[h] - recorded).abs() <= tolerance,
                "{name} neighbourhood {h}: Σ JZMJ {} of {} buildings vs recorded {recorded}",
                sum[h],
                count[h]
            );
        }
    }
}

/// On every city: excluded land uses never come out as stock, every flag is explained by a
/// finding with its value and threshold, and the idle land of the idle layer is found.
#[test]
fn default_rules_on_real_data_explain_every_flag() {
    for name in ["nanjing", "beijing_wudaokou", "shanghai"] {
        let ws = workspace(name);
        let parcels = layer(&ws, Role::Parcels);
        let rules = LandEfficiencyRules::default();
        let result = assess_land(
            parcels,
            layer(&ws, Role::Buildings),
            ws.layer(Role::Idle),
            &rules,
        );
        assert_eq!(result.parcels.len(), parcels.len());
        for a in &result.parcels {
            let code = a.land_use.as_deref().unwrap();
            let excluded = ["1004", "11", "0810", "09"]
                .iter()
                .any(|c| code.starts_with(c));
            assert_eq!(
                a.excluded.is_some(),
                excluded,
                "{name} parcel {}: {code}",
                a.metrics.parcel
            );
            if excluded {
                assert!(!a.is_stock() && a.findings.is_empty());
                continue;
            }
            assert_eq!(a.is_stock(), !a.findings.is_empty());
            for f in &a.findings {
                match f.rule {
                    LandRule::IdleLandUse => assert_eq!(code, "1201"),
                    LandRule::IdleLayer => assert!(f.threshold.is_some()),
                    _ => {
                        let (v, t) = (f.value.unwrap(), f.threshold.unwrap());
                        assert!(v < t, "{name}: {}", f.message);
                    }
                }
            }
            // Every idle-land feature here is a 1201 parcel's own geometry, idle 1–8 years.
            if code == "1201" {
                assert!(a.is_idle);
                let years = a.idle_years.unwrap();
                assert!((1.0..=8.0).contains(&years), "{name}: {years}");
                assert!(a.findings.iter().any(|f| f.rule == LandRule::IdleLayer));
            } else {
                assert!(!a.is_idle, "{name} parcel {} {code}", a.metrics.parcel);
            }
        }
    }
}

/// A parcel layer of `rects` with no field, for footprint sets that come without parcels.
fn rect_parcels(rects: &[Rect<f64>]) -> Layer {
    let source = LayerSource {
        path: "grid".into(),
        files: Vec::new(),
        format: "generated".into(),
        encoding: None,
        encoding_how: None,
        crs_epsg: 4549,
        crs_how: "generated in the working CRS".into(),
    };
    let mut attributes = Attributes::new(Vec::new());
    for _ in rects {
        attributes.push_record(std::iter::empty()).unwrap();
    }
    let geometries = rects
        .iter()
        .map(|r| Geometry::Polygon(r.to_polygon()))
        .collect();
    Layer::new(
        Role::Parcels,
        source,
        geometries,
        attributes,
        Vec::new(),
        Vec::new(),
        Vec::new(),
    )
}

/// Suzhou's 3,076 real footprints with floor counts: one parcel over the whole extent has
/// Σ footprint × floors as its floor area, and a 10 × 10 grid of parcels splits that same total
/// with every building on exactly one cell.
#[test]
fn suzhou_floor_area_of_a_whole_extent_parcel_is_the_direct_sum() {
    let ws = workspace("suzhou");
    let buildings = layer(&ws, Role::Buildings);
    assert_eq!(buildings.len(), 3076);
    let direct: f64 = (0..buildings.len())
        .map(|b| buildings.geometry(b).unsigned_area() * buildings.floors(b).unwrap())
        .sum();
    let footprint: f64 = buildings
        .geometries()
        .iter()
        .map(|g| g.unsigned_area())
        .sum();
    let extent = buildings.extent().unwrap();
    let whole = rect_parcels(&[extent]);
    let m = &parcel_metrics(&whole, buildings)[0];
    assert_eq!(m.buildings.len(), buildings.len());
    assert_eq!(m.floor_area_from_floors, buildings.len());
    let area = extent.width() * extent.height();
    assert!((m.area_m2 - area).abs() < 1e-6 * area);
    assert!((m.far.unwrap() * m.area_m2 - direct).abs() < 1e-9 * direct);
    assert!((m.coverage.unwrap() * m.area_m2 - footprint).abs() < 1e-9 * footprint);

    let (w, h) = (extent.width() / 10.0, extent.height() / 10.0);
    let cells: Vec<Rect<f64>> = (0..100)
        .map(|k| {
            let (i, j) = ((k % 10) as f64, (k / 10) as f64);
            let min = (extent.min().x + i * w, extent.min().y + j * h);
            Rect::new(min, (min.0 + w, min.1 + h))
        })
        .collect();
    let grid = parcel_metrics(&rect_parcels(&cells), buildings);
    assert_eq!(
        grid.iter().map(|m| m.buildings.len()).sum::<usize>(),
        buildings.len()
    );
    let grid_floor_area: f64 = grid.iter().map(|m| m.floor_area_m2.unwrap()).sum();
    assert!((grid_floor_area - direct).abs() < 1e-9 * direct);
    for (m, cell) in grid.iter().zip(&cells) {
        for &b in &m.buildings {
            let r = buildings.geometry(b).bounding_rect().unwrap();
            // The building's interior point is in the cell, so its box meets the cell.
            assert!(r.max().x >= cell.min().x && r.min().x <= cell.max().x);
            assert!(r.max().y >= cell.min().y && r.min().y <= cell.max().y);
        }
    }
}
