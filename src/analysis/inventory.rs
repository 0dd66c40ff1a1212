//! Old-neighbourhood inventory: which compounds are old (老旧小区) and why, their households,
//! residents and age groups, and how old neighbourhoods group into renovation patches (成片改造).

use geo::{Area, BoundingRect, Distance, Euclidean, InteriorPoint};
use serde::Serialize;

use super::standards::AnalysisConfig;
use crate::model::{BuildingUse, LandOwnership, Layer, Semantic};

/// One neighbourhood as the analyses see it.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Neighbourhood {
    /// Feature index in the neighbourhoods layer.
    pub index: usize,
    /// Its id (the layer's id field, else `#<record>`).
    pub id: String,
    /// Its name (may be empty).
    pub name: String,
    /// Year built: the layer's field, else the median of its buildings.
    pub build_year: Option<i32>,
    /// How the year was found.
    pub build_year_how: String,
    /// Old and eligible for renovation.
    pub is_old: bool,
    /// Why it is, or is not, old and eligible.
    pub old_reason: String,
    /// Households.
    pub households: f64,
    /// How the households were found.
    pub households_how: String,
    /// Residents (households × persons per household).
    pub residents: f64,
    /// Residents aged 60+.
    pub elderly: f64,
    /// Children under 3.
    pub under3: f64,
    /// Children aged 3–6.
    pub age3to6: f64,
    /// Outline area, m².
    pub area_m2: f64,
    /// Index into the patch list, for old neighbourhoods.
    pub patch: Option<usize>,
}

/// A renovation patch: old neighbourhoods that touch or lie within a short walk of each other.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Patch {
    /// `P1`, `P2` … in order of their first member.
    pub id: String,
    /// Member neighbourhoods (indices into the inventory).
    pub members: Vec<usize>,
    /// Why each link was made: (a, b, "touching" | "3.2 min walk").
    pub links: Vec<(usize, usize, String)>,
    /// Households of all members.
    pub households: f64,
    /// Residents of all members.
    pub residents: f64,
}

/// Build the inventory of every neighbourhood. `buildings` and `parcels` refine build years,
/// households and land ownership when present.
pub fn neighbourhood_inventory(
    neighbourhoods: &Layer,
    buildings: Option<&Layer>,
    parcels: Option<&Layer>,
    config: &AnalysisConfig,
) -> Vec<Neighbourhood> {
    let pop = &config.population;
    let cutoff = config.old.built_on_or_before;
    // Buildings by the neighbourhood holding their representative point: the rule the parcel
    // assessment uses (and the bureau's own totals follow).
    let mut inside: Vec<Vec<usize>> = vec![Vec::new(); neighbourhoods.len()];
    if let Some(b) = buildings {
        for (k, n) in super::land_efficiency::building_parcels(neighbourhoods, b)
            .into_iter()
            .enumerate()
        {
            if let Some(n) = n {
                inside[n].push(k);
            }
        }
    }
    (0..neighbourhoods.len())
        .map(|i| {
            let g = neighbourhoods.geometry(i);
            let id = neighbourhoods
                .text(i, Semantic::Id)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .unwrap_or_else(|| format!("#{}", i + 1));
            let name = neighbourhoods
                .text(i, Semantic::Name)
                .unwrap_or_default()
                .to_string();
            let inside: &[usize] = inside.get(i).map(Vec::as_slice).unwrap_or(&[]);

            let (build_year, build_year_how) = match neighbourhoods.build_year(i) {
                Some(y) if y > 0 => (Some(y), "the layer's build-year field".to_string()),
                _ => {
                    let mut years: Vec<i32> = inside
                        .iter()
                        .filter_map(|&b| buildings.and_then(|l| l.build_year(b)))
                        .filter(|y| *y > 0)
                        .collect();
                    years.sort_unstable();
                    match years.get(years.len().saturating_sub(1) / 2) {
                        Some(&y) => (
                            Some(y),
                            format!("median build year of its {} buildings", years.len()),
                        ),
                        None => (None, "unknown: no build year on it or its buildings".into()),
                    }
                }
            };

            let collective = parcels.and_then(|p| {
                let pt = g.interior_point()?;
                p.index()
                    .query_point(pt.0)
                    .find(|&j| geo::Intersects::intersects(p.geometry(j), &pt))
                    .filter(|&j| p.land_ownership(j) == Some(LandOwnership::Collective))
                    .map(|j| {
                        p.text(j, Semantic::Id)
                            .map(str::to_string)
                            .unwrap_or_else(|| format!("#{}", j + 1))
                    })
            });
            let flagged = neighbourhoods.flag(i, Semantic::IsOld);
            let (is_old, old_reason) = match (build_year, flagged) {
                (Some(y), _) if y > cutoff => (false, format!("built {y}, after {cutoff}")),
                (Some(y), _) => (true, format!("built {y}, on or before {cutoff}")),
                (None, Some(true)) => (
                    true,
                    "build year unknown; the layer marks it old (老旧小区)".to_string(),
                ),
                (None, Some(false)) => (
                    false,
                    "build year unknown; the layer marks it not old".to_string(),
                ),
                (None, None) => (
                    false,
                    "build year unknown and no old-neighbourhood flag: not assessed".to_string(),
                ),
            };
            let (is_old, old_reason) = match (&collective, is_old) {
                (Some(parcel), true) if config.old.require_state_land => (
                    false,
                    format!("{old_reason}, but on collective land (parcel {parcel}); state land is required"),
                ),
                _ => (is_old, old_reason),
            };

            let (households, households_how) = households(neighbourhoods, i, buildings, inside, pop.m2_per_household);
            let residents = households * pop.persons_per_household;
            Neighbourhood {
                index: i,
                id,
                name,
                build_year,
                build_year_how,
                is_old,
                old_reason,
                households,
                households_how,
                residents,
                elderly: residents * pop.elderly_share,
                under3: residents * pop.under3_share,
                age3to6: residents * pop.age3to6_share,
                area_m2: g.unsigned_area(),
                patch: None,
            }
        })
        .collect()
}

fn households(
    layer: &Layer,
    i: usize,
    buildings: Option<&Layer>,
    inside: &[usize],
    m2_per_household: f64,
) -> (f64, String) {
    if let Some(h) = layer.households(i).filter(|h| *h > 0.0) {
        return (h, "the layer's household field".into());
    }
    if let Some(b) = buildings {
        let mut area = 0.0;
        let mut counted = 0;
        for &k in inside {
            let residential = matches!(b.building_use(k), Some(BuildingUse::Residential) | None);
            if !residential {
                continue;
            }
            let floor_area = b
                .number(k, Semantic::FloorArea)
                .filter(|a| *a > 0.0)
                .or_else(|| {
                    let floors = b.floors(k)?;
                    Some(b.geometry(k).unsigned_area() * floors)
                });
            if let Some(a) = floor_area {
                area += a;
                counted += 1;
            }
        }
        if area > 0.0 {
            return (
                (area / m2_per_household).round(),
                format!(
                    "residential floor area of {counted} buildings, {area:.0} m² ÷ {m2_per_household} m² per household"
                ),
            );
        }
    }
    if let Some(a) = layer.number(i, Semantic::FloorArea).filter(|a| *a > 0.0) {
        return (
            (a / m2_per_household).round(),
            format!("the layer's floor area {a:.0} m² ÷ {m2_per_household} m² per household"),
        );
    }
    (
        0.0,
        "no household count, no residential floor area: counted as 0 households".into(),
    )
}

/// Group old neighbourhoods into patches. `walks(a)` lists the neighbourhoods (by index into
/// `inventory`) that neighbourhood `a` reaches on foot, with the walking time in minutes, at
/// least those within the patch limit.
pub fn renovation_patches(
    inventory: &mut [Neighbourhood],
    layer: &Layer,
    config: &AnalysisConfig,
    walks: &dyn Fn(usize) -> Vec<(usize, f64)>,
) -> Vec<Patch> {
    let tol = config.patches.touch_tolerance_m;
    let old: Vec<usize> = (0..inventory.len())
        .filter(|&i| inventory[i].is_old)
        .collect();
    let mut parent: Vec<usize> = (0..inventory.len()).collect();
    fn find(p: &mut [usize], mut x: usize) -> usize {
        while p[x] != x {
            p[x] = p[p[x]];
            x = p[x];
        }
        x
    }
    // Layer feature index -> inventory index.
    let mut of_feature = vec![usize::MAX; layer.len()];
    for (i, n) in inventory.iter().enumerate() {
        of_feature[n.index] = i;
    }
    // Each linked pair once, with the closest reason: touching, else the shortest walk.
    let mut pairs: std::collections::BTreeMap<(usize, usize), (f64, String)> = Default::default();
    for &a in &old {
        let ga = layer.geometry(inventory[a].index);
        if let Some(rect) = ga.bounding_rect() {
            let grown = geo::Rect::new(
                geo::coord! { x: rect.min().x - tol, y: rect.min().y - tol },
                geo::coord! { x: rect.max().x + tol, y: rect.max().y + tol },
            );
            for f in layer.index().query_rect(grown) {
                let b = of_feature[f];
                if b == usize::MAX || b == a || !inventory[b].is_old {
                    continue;
                }
                if Euclidean.distance(ga, layer.geometry(f)) <= tol {
                    pairs.insert((a.min(b), a.max(b)), (-1.0, "touching".to_string()));
                }
            }
        }
        for (b, t) in walks(a) {
            if b == a || !inventory[b].is_old || t > config.patches.max_walk_minutes {
                continue;
            }
            let key = (a.min(b), a.max(b));
            if pairs.get(&key).is_none_or(|(best, _)| t < *best) {
                pairs.insert(key, (t, format!("{t:.1} min walk")));
            }
        }
    }
    let mut links = Vec::new();
    for ((a, b), (_, why)) in pairs {
        let (ra, rb) = (find(&mut parent, a), find(&mut parent, b));
        if ra != rb {
            parent[ra.max(rb)] = ra.min(rb);
        }
        links.push((a, b, why));
    }
    let mut patches: Vec<Patch> = Vec::new();
    let mut patch_of_root = std::collections::HashMap::new();
    for &a in &old {
        let r = find(&mut parent, a);
        let k = *patch_of_root.entry(r).or_insert_with(|| {
            patches.push(Patch {
                id: format!("P{}", patches.len() + 1),
                members: Vec::new(),
                links: Vec::new(),
                households: 0.0,
                residents: 0.0,
            });
            patches.len() - 1
        });
        let p = &mut patches[k];
        p.members.push(a);
        p.households += inventory[a].households;
        p.residents += inventory[a].residents;
        inventory[a].patch = Some(k);
    }
    for (a, b, why) in links {
        if let Some(k) = inventory[a].patch {
            patches[k].links.push((a, b, why));
        }
    }
    patches
}
