//! Land efficiency on the real data: computed FAR, coverage and area against the bureau's own
//! recorded RJL, JZMD and TBMJ fields.

use infill::analysis::land_efficiency::{assess_land, parcel_metrics, LandEfficiencyRules};
use infill::model::{Layer, Role, Semantic, Workspace};

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

#[test]
fn defaults_assess_nanjing() {
    let ws = workspace("nanjing");
    let result = assess_land(
        layer(&ws, Role::Parcels),
        layer(&ws, Role::Buildings),
        ws.layer(Role::Idle),
        &LandEfficiencyRules::default(),
    );
    assert_eq!(result.unassigned_buildings.len(), 2);
}
