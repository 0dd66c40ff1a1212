//! What each block holds: parcels, buildings, lanes and footpaths, neighbourhoods, idle
//! resources and facilities.
//!
//! A block is generated from its own random stream (seed + block position), so the district can
//! be produced block by block; only the identifier counters and the compound-name registry in
//! [`GenState`] run across blocks, in a fixed order.
//!
//! Layout, in the block's local frame (`u` along its southern street, `v` into the block):
//! optional narrow strip along the north or south street (碎片:狭长), then lots cut across `u`,
//! optional small corner pieces (碎片:小地块 / 不规则), and in each lot rows of buildings either
//! side of a lane that enters from the southern street, with footpaths between the rows.

use super::geom::{
    add, carve_corner, carve_strip, dot, rect_inside_ring, ring_area, round2, scale,
    shapefile_polygon, split_ring, sub, unit, Frame,
};
use super::grid::{Attach, Block, BlockKind, Grid, EMBANKMENT, TAG_BLOCK};
use super::names::{
    cn_num, collective, factory, private_company, state_company, street_office, two_syllables,
    NameRegistry, AGENCIES, CITY, DISTRICT, INSTITUTES,
};
use super::rng::SplitMix64;
use super::{
    Building, BuildingUse, DemoSpec, Facility, FacilityKind, IdleKind, IdleResource, LandUse,
    Neighbourhood, OwnerType, Parcel, RoadClass, Tenure,
};
use geo_types::{Coord, Point};

/// Layer codes inside `BSM`.
pub(crate) const LAYER_ROADS: u8 = 1;
const LAYER_PARCELS: u8 = 2;
const LAYER_BUILDINGS: u8 = 3;
const LAYER_NEIGHBOURHOODS: u8 = 4;
const LAYER_IDLE: u8 = 5;
const LAYER_FACILITIES: u8 = 6;

/// Invented administrative code prefix of every `BSM` (37 = Shandong; 99 is not a real
/// prefecture code, matching the invented city).
const ADMIN_CODE: &str = "379902";

/// Half the width kept free of buildings along a compound lane, metres.
const LANE_HALF: f64 = 3.5;

/// `BSM` value: admin code, 2-digit layer code, 8-digit sequence.
pub(crate) fn bsm(layer: u8, seq: u64) -> String {
    format!("{ADMIN_CODE}{layer:02}{seq:08}")
}

/// State that runs across blocks: identifier counters, compound names, the building cap.
#[derive(Debug)]
pub(crate) struct GenState {
    cap: Option<usize>,
    names: NameRegistry,
    parcels: u64,
    buildings: u64,
    neighbourhoods: u64,
    idle: u64,
    facilities: u64,
}

impl GenState {
    /// Fresh counters for a spec.
    pub(crate) fn new(spec: &DemoSpec) -> Self {
        Self {
            cap: spec.max_buildings,
            names: NameRegistry::default(),
            parcels: 0,
            buildings: 0,
            neighbourhoods: 0,
            idle: 0,
            facilities: 0,
        }
    }

    /// True once `max_buildings` buildings have been emitted.
    pub(crate) fn buildings_full(&self) -> bool {
        self.cap.is_some_and(|c| self.buildings as usize >= c)
    }
}

/// A lane or footpath generated inside a block.
#[derive(Debug, Clone)]
pub(crate) struct PathLine {
    pub(crate) name: String,
    pub(crate) class: RoadClass,
    pub(crate) width: f64,
    pub(crate) points: Vec<Coord>,
}

/// Everything one block contributes.
#[derive(Debug, Default)]
pub(crate) struct BlockOut {
    pub(crate) parcels: Vec<Parcel>,
    pub(crate) buildings: Vec<Building>,
    pub(crate) neighbourhoods: Vec<Neighbourhood>,
    pub(crate) idle: Vec<IdleResource>,
    pub(crate) facilities: Vec<Facility>,
    pub(crate) paths: Vec<PathLine>,
    pub(crate) attaches: Vec<Attach>,
}

/// Generates the contents of one block.
pub(crate) fn fill_block(grid: &Grid, block: &Block, state: &mut GenState) -> BlockOut {
    let office = street_office(grid.region(block.i0, block.j0));
    let mut ctx = Ctx {
        grid,
        block,
        frame: grid.block_frame(block),
        rng: SplitMix64::for_cell(grid.seed, TAG_BLOCK, block.i0 as u64, block.j0 as u64),
        state,
        out: BlockOut::default(),
        street: grid.h_street_name(block.i0, block.j0).to_string(),
        location: format!("{DISTRICT}{office}"),
        office,
        service: grid.service_level(block.i0, block.j0),
    };
    match block.kind {
        BlockKind::River => ctx.river(),
        BlockKind::Corridor => ctx.corridor(),
        BlockKind::Normal => ctx.normal(),
    }
    ctx.out
}

/// Building footprint shapes, as local rectangles `[u0, v0, u1, v1]`.
#[derive(Debug, Clone, Copy)]
enum Shape {
    Rect([f64; 4]),
    /// 回字形: a rectangle with a courtyard hole, ring width given.
    Courtyard([f64; 4], f64),
    /// L-shaped: the rectangle minus its north-east quarter.
    Ell([f64; 4]),
}

/// Attributes of a building about to be emitted.
struct BuildingDraft {
    shape: Shape,
    floors: u32,
    year: u32,
    use_: BuildingUse,
    owner_type: OwnerType,
    vacant: bool,
    name: String,
    note: &'static str,
    /// Owner name for the idle layer (`QSDW`) if the building is vacant.
    owner: String,
}

/// A lot (future parcel) in the block frame.
#[derive(Debug, Clone)]
struct Lot {
    ring: Vec<Coord>,
    bbox: [f64; 4],
}

/// Keeps footprints apart and inside a lot.
struct Placer {
    ring: Vec<Coord>,
    setback: f64,
    taken: Vec<[f64; 4]>,
}

impl Placer {
    fn new(ring: &[Coord], setback: f64) -> Self {
        Self {
            ring: ring.to_vec(),
            setback,
            taken: Vec::new(),
        }
    }

    fn fits(&self, frame: &Frame, r: [f64; 4], gap: f64) -> bool {
        let clear = self.taken.iter().all(|t| {
            r[0] >= t[2] + gap || r[2] <= t[0] - gap || r[1] >= t[3] + gap || r[3] <= t[1] - gap
        });
        clear && rect_inside_ring(frame, r, self.setback, &self.ring)
    }

    fn try_take(&mut self, frame: &Frame, r: [f64; 4], gap: f64) -> bool {
        if self.fits(frame, r, gap) {
            self.taken.push(r);
            true
        } else {
            false
        }
    }

    fn reserve(&mut self, r: [f64; 4]) {
        self.taken.push(r);
    }
}

/// Who keeps a guard room, and its attributes.
struct Keeper {
    owner_type: OwnerType,
    name: String,
    owner: String,
    p_vacant: f64,
    year: u32,
}

/// One row style: slab depth, candidate lengths (longest first), floors, gap between slabs.
struct RowStyle {
    depth: f64,
    lengths: Vec<f64>,
    floors: u32,
    end_gap: f64,
    courtyard: bool,
}

#[derive(Debug, Clone, Copy)]
struct Slab {
    r: [f64; 4],
    floors: u32,
    row: usize,
    courtyard: bool,
}

#[derive(Debug, Clone, Copy)]
struct Row {
    v0: f64,
    v1: f64,
}

/// Rows of buildings either side of a lane at `lane_u`.
struct Layout {
    lane_u: f64,
    rows: Vec<Row>,
    slabs: Vec<Slab>,
}

/// Row layout parameters.
struct RowPlan {
    front: f64,
    spacing: f64,
    min_gap: f64,
    max_rows: usize,
}

struct Ctx<'a> {
    grid: &'a Grid,
    block: &'a Block,
    frame: Frame,
    rng: SplitMix64,
    state: &'a mut GenState,
    out: BlockOut,
    street: String,
    office: String,
    location: String,
    service: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LotUse {
    OldResidential,
    NewResidential,
    Government,
    Institution,
    Commercial,
    Factory,
    Park,
    Idle,
    Parking,
}

impl<'a> Ctx<'a> {
    // ----- records -------------------------------------------------------------------------

    fn world_ring(&self, local: &[(f64, f64)]) -> Vec<Coord> {
        local
            .iter()
            .map(|(a, b)| self.frame.world(*a, *b))
            .collect()
    }

    fn centre(&self, r: [f64; 4]) -> Coord {
        self.frame.world((r[0] + r[2]) / 2.0, (r[1] + r[3]) / 2.0)
    }

    /// Emits a building (unless the cap is reached) and, if vacant, its idle record.
    fn add_building(&mut self, d: BuildingDraft) -> Option<usize> {
        if self.state.buildings_full() {
            return None;
        }
        let (outer, holes): (LocalRing, Vec<LocalRing>) = match d.shape {
            Shape::Rect(r) => (rect_local(r), vec![]),
            Shape::Courtyard(r, t) => (
                rect_local(r),
                vec![rect_local([r[0] + t, r[1] + t, r[2] - t, r[3] - t])],
            ),
            Shape::Ell(r) => {
                let um = (r[0] + r[2]) / 2.0;
                let vm = (r[1] + r[3]) / 2.0;
                (
                    vec![
                        (r[0], r[1]),
                        (r[2], r[1]),
                        (r[2], vm),
                        (um, vm),
                        (um, r[3]),
                        (r[0], r[3]),
                    ],
                    vec![],
                )
            }
        };
        let outer = self.world_ring(&outer);
        let holes: Vec<Vec<Coord>> = holes.iter().map(|h| self.world_ring(h)).collect();
        let footprint = round2(ring_area(&outer) - holes.iter().map(|h| ring_area(h)).sum::<f64>());
        let floor_area = round2(footprint * f64::from(d.floors));
        self.state.buildings += 1;
        let id = bsm(LAYER_BUILDINGS, self.state.buildings);
        let geometry = shapefile_polygon(&outer, &holes);
        if d.vacant {
            let kind = if d.owner_type == OwnerType::OwnersCommon {
                IdleKind::OwnerShared
            } else {
                IdleKind::Building
            };
            let years = self.rng.int(1, 10);
            self.add_idle(IdleResource {
                bsm: String::new(),
                kind,
                name: d.name.clone(),
                owner: d.owner.clone(),
                owner_type: d.owner_type,
                area_m2: floor_area,
                idle_years: years,
                source_bsm: id.clone(),
                geometry: geometry.clone(),
            });
        }
        self.out.buildings.push(Building {
            bsm: id,
            name: d.name,
            floors: d.floors,
            year: d.year,
            use_: d.use_,
            owner_type: d.owner_type,
            vacant: d.vacant,
            vacant_area_m2: if d.vacant { floor_area } else { 0.0 },
            floor_area_m2: floor_area,
            footprint_m2: footprint,
            note: d.note.to_string(),
            geometry,
        });
        Some(self.out.buildings.len() - 1)
    }

    fn add_idle(&mut self, mut r: IdleResource) {
        self.state.idle += 1;
        r.bsm = bsm(LAYER_IDLE, self.state.idle);
        self.out.idle.push(r);
    }

    /// Emits a parcel whose statistics count the buildings emitted since `first_building`.
    #[allow(clippy::too_many_arguments)]
    fn add_parcel(
        &mut self,
        ring: &[Coord],
        land_use: LandUse,
        tenure: Tenure,
        owner: String,
        name: String,
        note: String,
        first_building: usize,
    ) -> (String, f64) {
        let area = round2(ring_area(ring));
        let (floor, foot) = self.out.buildings[first_building..]
            .iter()
            .fold((0.0, 0.0), |(f, p), b| {
                (f + b.floor_area_m2, p + b.footprint_m2)
            });
        let (far, coverage) = if area > 0.0 {
            (round2(floor / area), round2(foot / area))
        } else {
            (0.0, 0.0)
        };
        self.state.parcels += 1;
        let id = bsm(LAYER_PARCELS, self.state.parcels);
        self.out.parcels.push(Parcel {
            bsm: id.clone(),
            land_use,
            tenure,
            owner,
            area_m2: area,
            far,
            coverage,
            location: self.location.clone(),
            name,
            note,
            geometry: shapefile_polygon(ring, &[]),
        });
        (id, area)
    }

    fn add_neighbourhood(
        &mut self,
        ring: &[Coord],
        name: String,
        year: u32,
        first: usize,
        note: &str,
    ) {
        let bs = &self.out.buildings[first..];
        let floor_area = round2(bs.iter().map(|b| b.floor_area_m2).sum::<f64>());
        let residential: f64 = bs
            .iter()
            .filter(|b| b.use_ == BuildingUse::Residential)
            .map(|b| b.floor_area_m2)
            .sum();
        self.state.neighbourhoods += 1;
        self.out.neighbourhoods.push(Neighbourhood {
            bsm: bsm(LAYER_NEIGHBOURHOODS, self.state.neighbourhoods),
            name,
            year,
            households: (residential / 90.0).round() as u32,
            floor_area_m2: floor_area,
            street_office: self.office.clone(),
            old: year <= 2005,
            note: note.to_string(),
            geometry: shapefile_polygon(ring, &[]),
        });
    }

    fn add_facility(&mut self, kind: FacilityKind, name: String, capacity: u32, at: Coord) {
        self.state.facilities += 1;
        self.out.facilities.push(Facility {
            bsm: bsm(LAYER_FACILITIES, self.state.facilities),
            kind,
            name,
            capacity: capacity.max(1),
            geometry: Point(at),
        });
    }

    fn add_idle_land(
        &mut self,
        ring: &[Coord],
        parcel: (String, f64),
        name: String,
        owner: String,
        owner_type: OwnerType,
    ) {
        let years = self.rng.int(1, 10);
        self.add_idle(IdleResource {
            bsm: String::new(),
            kind: IdleKind::Land,
            name,
            owner,
            owner_type,
            area_m2: parcel.1,
            idle_years: years,
            source_bsm: parcel.0,
            geometry: shapefile_polygon(ring, &[]),
        });
    }

    /// One of the streets around the block, for naming a compound after it.
    fn any_street(&mut self) -> String {
        let names = self.grid.streets_around(self.block);
        if names.is_empty() {
            return self.street.clone();
        }
        (*self.rng.pick(&names)).to_string()
    }

    fn street_base(&self) -> String {
        self.street
            .trim_end_matches('路')
            .trim_end_matches('街')
            .to_string()
    }

    // ----- special blocks ----------------------------------------------------------------------

    fn river(&mut self) {
        let (ring, dist) = self.grid.block_ring(self.block, 0.0);
        let outer = super::geom::inset_ring(&ring, &dist);
        let (_, dist_w) = self.grid.block_ring(self.block, EMBANKMENT);
        let water = super::geom::inset_ring(&ring, &dist_w);
        let nb = self.block.i1 - self.block.i0 + 1;
        let n = ring.len();
        let river = self.grid.river_name(self.block.j0).to_string();
        let first = self.out.buildings.len();
        self.add_parcel(
            &water,
            LandUse::River,
            Tenure::State,
            format!("{DISTRICT}水务局"),
            river.clone(),
            "合成;河道".to_string(),
            first,
        );
        let mut south: Vec<Coord> = outer[..=nb].to_vec();
        south.extend(water[..=nb].iter().rev());
        let mut north: Vec<Coord> = water[nb + 1..].iter().rev().copied().collect();
        north.extend(outer[nb + 1..n].iter());
        for strip in [south, north] {
            self.add_parcel(
                &strip,
                LandUse::ParkGreen,
                Tenure::State,
                format!("{DISTRICT}园林绿化局"),
                format!("{river}滨河绿带"),
                format!("合成;碎片:狭长地块(宽{EMBANKMENT:.0}米)"),
                first,
            );
        }
    }

    fn corridor(&mut self) {
        let land = self.grid.block_land(self.block);
        let name = self.grid.expressway_name(self.block.i0).to_string();
        let first = self.out.buildings.len();
        let green = self.rng.chance(0.25);
        let (use_, owner, mc) = if green {
            (
                LandUse::ParkGreen,
                format!("{DISTRICT}园林绿化局"),
                format!("{name}桥下绿地"),
            )
        } else {
            (LandUse::Road, format!("{DISTRICT}城市管理局"), name.clone())
        };
        let (_, area) = self.add_parcel(
            &land,
            use_,
            Tenure::State,
            owner,
            mc,
            "合成;高架快速路下方用地".to_string(),
            first,
        );
        if self.rng.chance(0.35) {
            let c = ring_centroid(&land);
            let spaces = (area * 0.5 / 30.0) as u32;
            self.add_facility(
                FacilityKind::Parking,
                format!("{name}桥下停车场"),
                spaces,
                c,
            );
        }
    }

    // ----- ordinary blocks ---------------------------------------------------------------------

    fn normal(&mut self) {
        let mut main = self.grid.block_land(self.block);
        let single = self.block.i0 == self.block.i1 && self.block.j0 == self.block.j1;
        if single && self.rng.chance(0.25) {
            let top = self.rng.chance(0.5);
            let k = edge_along(&main, self.frame.u, top);
            let w = self.rng.range(6.0, 9.5);
            if let Some((strip, rest)) = carve_strip(&main, k, w) {
                self.strip_parcel(&strip, w);
                main = rest;
            }
        }

        let bb = self.frame.bbox(&main);
        let width = bb[2] - bb[0];
        let n = if width < 110.0 {
            1
        } else {
            ((width / self.rng.range(120.0, 190.0)).round() as usize).clamp(1, 4)
        };
        let mut lots = Vec::with_capacity(n);
        let mut rest = main;
        for k in 1..n {
            let cut =
                bb[0] + width * k as f64 / n as f64 + self.rng.range(-0.1, 0.1) * width / n as f64;
            let (left, right) = split_ring(&rest, self.frame.world(cut, 0.0), self.frame.u);
            lots.push(left);
            rest = right;
        }
        lots.push(rest);

        for ring in lots {
            if ring.len() < 3 || ring_area(&ring) < 50.0 {
                continue;
            }
            let bbox = self.frame.bbox(&ring);
            let w = bbox[2] - bbox[0];
            let weights = if w < 70.0 {
                [0.25, 0.0, 0.0, 0.05, 0.3, 0.0, 0.1, 0.2, 0.1]
            } else {
                [0.45, 0.14, 0.06, 0.08, 0.09, 0.06, 0.04, 0.05, 0.03]
            };
            let mut use_ = [
                LotUse::OldResidential,
                LotUse::NewResidential,
                LotUse::Government,
                LotUse::Institution,
                LotUse::Commercial,
                LotUse::Factory,
                LotUse::Park,
                LotUse::Idle,
                LotUse::Parking,
            ][self.rng.weighted(&weights)];
            let mut ring = ring;
            // Open uses take only part of a wide lot; the rest becomes an old compound.
            let part = self.rng.range(60.0, 100.0);
            if matches!(use_, LotUse::Park | LotUse::Idle | LotUse::Parking) && w - part > 110.0 {
                let west = self.rng.chance(0.5);
                let cut = if west { bbox[0] + part } else { bbox[2] - part };
                let (a, b) = split_ring(&ring, self.frame.world(cut, 0.0), self.frame.u);
                let (open, rest) = if west { (a, b) } else { (b, a) };
                let rest_lot = Lot {
                    bbox: self.frame.bbox(&rest),
                    ring: rest,
                };
                if west {
                    self.fill_lot(LotUse::OldResidential, rest_lot, false);
                    ring = open;
                } else {
                    let open_lot = Lot {
                        bbox: self.frame.bbox(&open),
                        ring: open,
                    };
                    self.fill_lot(use_, open_lot, false);
                    ring = rest_lot.ring;
                    use_ = LotUse::OldResidential;
                }
            }
            let bbox = self.frame.bbox(&ring);
            let w = bbox[2] - bbox[0];
            let lot = Lot { ring, bbox };
            self.fill_lot(use_, lot, w >= 90.0);
        }
    }

    /// Fills one lot, after optionally cutting a small corner parcel off it.
    fn fill_lot(&mut self, use_: LotUse, mut lot: Lot, may_carve: bool) {
        let carvable = matches!(
            use_,
            LotUse::OldResidential | LotUse::NewResidential | LotUse::Commercial | LotUse::Factory
        );
        if carvable && may_carve && self.rng.chance(0.3) {
            self.carve_lot_corner(&mut lot);
        }
        match use_ {
            LotUse::OldResidential => self.old_residential(&lot),
            LotUse::NewResidential => self.new_residential(&lot),
            LotUse::Government => self.government(&lot),
            LotUse::Institution => self.institution(&lot),
            LotUse::Commercial => self.commercial(&lot),
            LotUse::Factory => self.factory(&lot),
            LotUse::Park => self.park(&lot),
            LotUse::Idle => self.idle_lot(&lot),
            LotUse::Parking => self.parking(&lot),
        }
    }

    fn tenure_owner(&mut self, p_collective: f64, owner: String) -> (Tenure, String) {
        if self.rng.chance(p_collective) {
            (Tenure::Collective, collective(&self.office, &mut self.rng))
        } else {
            (Tenure::State, owner)
        }
    }

    fn strip_parcel(&mut self, strip: &[Coord], w: f64) {
        let first = self.out.buildings.len();
        let note = format!("合成;碎片:狭长地块(宽{w:.1}米)");
        if self.rng.chance(0.45) {
            let owner = format!("{CITY}土地储备中心");
            let name = format!("{}路边狭长地块", self.street);
            let (tenure, owner) = self.tenure_owner(0.05, owner);
            let p = self.add_parcel(
                strip,
                LandUse::Vacant,
                tenure,
                owner.clone(),
                name.clone(),
                note,
                first,
            );
            let ot = if tenure == Tenure::Collective {
                OwnerType::Collective
            } else {
                OwnerType::PublicInstitution
            };
            self.add_idle_land(strip, p, name, owner, ot);
        } else {
            self.add_parcel(
                strip,
                LandUse::ParkGreen,
                Tenure::State,
                format!("{DISTRICT}园林绿化局"),
                format!("{}沿街绿带", self.street),
                note,
                first,
            );
        }
    }

    /// Cuts a small parcel off the lot's south-west or south-east corner.
    fn carve_lot_corner(&mut self, lot: &mut Lot) {
        let east = self.rng.chance(0.5);
        let f = self.frame;
        let score = |p: &Coord| {
            let (a, b) = f.local(*p);
            if east {
                a - b
            } else {
                -a - b
            }
        };
        let Some(k) = (0..lot.ring.len())
            .max_by(|x, y| score(&lot.ring[*x]).total_cmp(&score(&lot.ring[*y])))
        else {
            return;
        };
        let triangle = self.rng.chance(0.4);
        let (a, b) = if triangle {
            (self.rng.range(18.0, 30.0), self.rng.range(18.0, 30.0))
        } else {
            (self.rng.range(14.0, 22.0), self.rng.range(14.0, 22.0))
        };
        if let Some((piece, rest)) = carve_corner(&lot.ring, k, a, b, !triangle) {
            lot.ring = rest;
            lot.bbox = self.frame.bbox(&lot.ring);
            self.corner_piece(&piece, triangle);
        }
    }

    fn corner_piece(&mut self, piece: &[Coord], triangle: bool) {
        let first = self.out.buildings.len();
        let area = ring_area(piece);
        let note = if triangle {
            format!("合成;碎片:不规则地块(三角形,{area:.0}平方米)")
        } else {
            format!("合成;碎片:小地块({area:.0}平方米)")
        };
        let w = if triangle {
            [0.2, 0.45, 0.35]
        } else {
            [0.45, 0.35, 0.2]
        };
        match self.rng.weighted(&w) {
            0 => {
                let company = private_company(&mut self.rng);
                let mut placer = Placer::new(piece, 1.5);
                let bb = self.frame.bbox(piece);
                let mut placed = None;
                'sizes: for (sw, sh) in [(14.0, 10.0), (11.0, 8.0), (8.0, 6.0)] {
                    for (fu, fv) in [(0.0, 0.0), (1.0, 0.0), (0.0, 1.0), (0.5, 0.5), (1.0, 1.0)] {
                        let u0 = bb[0] + 1.6 + fu * (bb[2] - bb[0] - sw - 3.2).max(0.0);
                        let v0 = bb[1] + 1.6 + fv * (bb[3] - bb[1] - sh - 3.2).max(0.0);
                        let r = [u0, v0, u0 + sw, v0 + sh];
                        if placer.try_take(&self.frame, r, 1.0) {
                            placed = Some(r);
                            break 'sizes;
                        }
                    }
                }
                let name = format!("{}临街商铺", self.street);
                if let Some(r) = placed {
                    let floors = self.rng.int(1, 2);
                    let vacant = self.rng.chance(0.15);
                    let year = self.rng.int(1985, 2012);
                    let idx = self.add_building(BuildingDraft {
                        shape: Shape::Rect(r),
                        floors,
                        year,
                        use_: BuildingUse::Commercial,
                        owner_type: OwnerType::Private,
                        vacant,
                        name: name.clone(),
                        note: "临街商铺",
                        owner: company.clone(),
                    });
                    if !vacant && self.rng.chance(0.35) {
                        let cap = idx.map_or(60.0, |i| self.out.buildings[i].floor_area_m2);
                        let brand = two_syllables(&mut self.rng);
                        self.add_facility(
                            FacilityKind::ConvenienceStore,
                            format!("{brand}便利店"),
                            cap as u32,
                            self.centre(r),
                        );
                    }
                }
                let (tenure, owner) = self.tenure_owner(0.04, company);
                self.add_parcel(piece, LandUse::Commercial, tenure, owner, name, note, first);
            }
            1 => {
                let name = format!("{}边角地", self.street);
                let (owner, ot) = if self.rng.chance(0.6) {
                    (format!("{CITY}土地储备中心"), OwnerType::PublicInstitution)
                } else {
                    (state_company(&mut self.rng), OwnerType::StateEnterprise)
                };
                let p = self.add_parcel(
                    piece,
                    LandUse::Vacant,
                    Tenure::State,
                    owner.clone(),
                    name.clone(),
                    note,
                    first,
                );
                self.add_idle_land(piece, p, name, owner, ot);
            }
            _ => {
                self.add_parcel(
                    piece,
                    LandUse::ParkGreen,
                    Tenure::State,
                    format!("{DISTRICT}园林绿化局"),
                    format!("{}街头绿地", self.street),
                    note,
                    first,
                );
            }
        }
    }

    // ----- row layouts --------------------------------------------------------------------------

    fn layout_rows(
        &mut self,
        placer: &mut Placer,
        lot: &Lot,
        plan: RowPlan,
        style: &mut dyn FnMut(&mut SplitMix64, usize) -> RowStyle,
    ) -> Layout {
        let bb = lot.bbox;
        // Off-centre lanes give long slabs on one side; 34 m keeps clear of corner pieces.
        let lane_u = (bb[0] + (bb[2] - bb[0]) * self.rng.range(0.25, 0.75))
            .clamp(bb[0] + 34.0, (bb[2] - 34.0).max(bb[0] + 34.0));
        placer.reserve([
            lane_u - LANE_HALF,
            f64::MIN / 4.0,
            lane_u + LANE_HALF,
            f64::MAX / 4.0,
        ]);
        let mut rows = Vec::new();
        let mut slabs = Vec::new();
        let mut v = bb[1] + plan.front;
        for k in 0..plan.max_rows {
            let st = style(&mut self.rng, k);
            if v + st.depth > bb[3] {
                break;
            }
            let shortest = st.lengths.last().copied().unwrap_or(20.0);
            let row = rows.len();
            // East of the lane, outward.
            let mut u = lane_u + LANE_HALF + 1.0;
            while u + shortest <= bb[2] {
                let mut advanced = false;
                for &len in &st.lengths {
                    let r = [u, v, u + len, v + st.depth];
                    if placer.try_take(&self.frame, r, 2.0) {
                        slabs.push(Slab {
                            r,
                            floors: st.floors,
                            row,
                            courtyard: st.courtyard,
                        });
                        u += len + st.end_gap;
                        advanced = true;
                        break;
                    }
                }
                if !advanced {
                    u += 5.0;
                }
            }
            // West of the lane, outward.
            let mut u = lane_u - LANE_HALF - 1.0;
            while u - shortest >= bb[0] {
                let mut advanced = false;
                for &len in &st.lengths {
                    let r = [u - len, v, u, v + st.depth];
                    if placer.try_take(&self.frame, r, 2.0) {
                        slabs.push(Slab {
                            r,
                            floors: st.floors,
                            row,
                            courtyard: st.courtyard,
                        });
                        u -= len + st.end_gap;
                        advanced = true;
                        break;
                    }
                }
                if !advanced {
                    u -= 5.0;
                }
            }
            rows.push(Row {
                v0: v,
                v1: v + st.depth,
            });
            let height = f64::from(st.floors) * 3.0;
            v += st.depth + (plan.spacing * height).max(plan.min_gap);
        }
        Layout {
            lane_u,
            rows,
            slabs,
        }
    }

    /// The compound lane from the southern street up between the rows, and footpaths along the
    /// gaps between rows. Returns the lane's inner vertices (local `v`) for placing facilities.
    fn lanes_and_paths(&mut self, lay: &Layout, kept: &[Slab], lane_name: String) -> Vec<Coord> {
        let mut used: Vec<usize> = kept.iter().map(|s| s.row).collect();
        used.sort_unstable();
        used.dedup();
        if used.is_empty() {
            return Vec::new();
        }
        let mut gaps = Vec::new();
        for w in used.windows(2) {
            let (a, b) = (lay.rows[w[0]], lay.rows[w[1]]);
            gaps.push(((a.v1 + b.v0) / 2.0, w[0], w[1]));
        }
        let f = self.frame;
        let lane_u = lay.lane_u;
        let Some(att) = self
            .grid
            .attach(self.block, false, f.world(lane_u, 0.0), f.v)
        else {
            return Vec::new();
        };
        let mut inner: Vec<Coord> = gaps.iter().map(|g| f.world(lane_u, g.0)).collect();
        if inner.is_empty() {
            inner.push(f.world(lane_u, lay.rows[used[0]].v1));
        }
        let mut pts = vec![att.at];
        pts.extend(inner.iter().copied());
        self.out.attaches.push(att);
        self.out.paths.push(PathLine {
            name: lane_name,
            class: RoadClass::Lane,
            width: 5.0,
            points: pts,
        });
        for (k, (vm, ra, rb)) in gaps.iter().enumerate() {
            let in_rows = kept.iter().filter(|s| s.row == *ra || s.row == *rb);
            let (mut east, mut west) = (lane_u, lane_u);
            for s in in_rows {
                if s.r[0] > lane_u {
                    east = east.max(s.r[2]);
                } else {
                    west = west.min(s.r[0]);
                }
            }
            for end in [east, west] {
                if (end - lane_u).abs() > 8.0 {
                    self.out.paths.push(PathLine {
                        name: String::new(),
                        class: RoadClass::Footpath,
                        width: 2.5,
                        points: vec![inner[k], f.world(end, *vm)],
                    });
                }
            }
        }
        inner
    }

    /// A 1-storey structure of `w × h` near the lane entrance (guard room) or by a slab.
    fn place_small(&mut self, placer: &mut Placer, spots: &[[f64; 4]]) -> Option<[f64; 4]> {
        spots
            .iter()
            .copied()
            .find(|r| placer.try_take(&self.frame, *r, 1.5))
    }

    fn guard_room(&mut self, placer: &mut Placer, lay: &Layout, lot: &Lot, keeper: Keeper) {
        let gw = self.rng.range(4.5, 7.0);
        let gh = self.rng.range(4.5, 6.0);
        let v0 = lot.bbox[1] + 3.6;
        let u = lay.lane_u;
        let spots = [
            [u + LANE_HALF + 1.6, v0, u + LANE_HALF + 1.6 + gw, v0 + gh],
            [u - LANE_HALF - 1.6 - gw, v0, u - LANE_HALF - 1.6, v0 + gh],
            [
                u + LANE_HALF + 1.6,
                v0 + 3.0,
                u + LANE_HALF + 1.6 + gw,
                v0 + 3.0 + gh,
            ],
        ];
        if let Some(r) = self.place_small(placer, &spots) {
            let vacant = self.rng.chance(keeper.p_vacant);
            self.add_building(BuildingDraft {
                shape: Shape::Rect(r),
                floors: 1,
                year: keeper.year,
                use_: BuildingUse::Other,
                owner_type: keeper.owner_type,
                vacant,
                name: keeper.name,
                note: "门卫室",
                owner: keeper.owner,
            });
        }
    }

    /// Spots above the last row, either side of the lane, for a `w × h` building.
    fn top_spots(&self, lay: &Layout, w: f64, h: f64) -> Vec<[f64; 4]> {
        let top = lay.rows.last().map_or(0.0, |r| r.v1) + 8.0;
        let u = lay.lane_u;
        vec![
            [u + LANE_HALF + 2.0, top, u + LANE_HALF + 2.0 + w, top + h],
            [u - LANE_HALF - 2.0 - w, top, u - LANE_HALF - 2.0, top + h],
            [
                u + LANE_HALF + 2.0,
                top + 6.0,
                u + LANE_HALF + 2.0 + w,
                top + 6.0 + h,
            ],
        ]
    }

    fn host_point(&mut self, first: usize, kept: &[Slab]) -> Option<Coord> {
        if kept.is_empty() || self.out.buildings.len() <= first {
            return None;
        }
        let s = *self.rng.pick(kept);
        Some(self.centre(s.r))
    }

    // ----- lot fillers ----------------------------------------------------------------------

    fn old_residential(&mut self, lot: &Lot) {
        let base = 1978 + (27.0 * self.rng.f64().powf(0.85)) as u32;
        let street = self.any_street();
        let raw = match self.rng.weighted(&[0.45, 0.3, 0.15, 0.1]) {
            0 => format!("{street}小区"),
            1 => format!("{street}新村"),
            2 => format!("{}宿舍", factory(&mut self.rng)),
            _ => format!("{}里", two_syllables(&mut self.rng)),
        };
        let xq = self.state.names.unique(raw);
        let mut placer = Placer::new(&lot.ring, 3.0);
        let start = self.rng.int(0, 2) as usize;
        let lay = self.layout_rows(
            &mut placer,
            lot,
            RowPlan {
                front: 12.0,
                spacing: 1.0,
                min_gap: 14.0,
                max_rows: 14,
            },
            &mut |rng, _| RowStyle {
                depth: rng.range(10.5, 12.5),
                lengths: [72.0, 66.0, 60.0, 54.0, 48.0, 42.0, 36.0, 30.0][start..].to_vec(),
                floors: if base < 1990 {
                    [4, 5, 6][rng.weighted(&[0.2, 0.4, 0.4])]
                } else {
                    rng.int(5, 7)
                },
                end_gap: rng.range(10.0, 14.0),
                courtyard: false,
            },
        );
        if lay.slabs.is_empty() {
            // Too narrow for a row of slabs: leave it as idle land rather than an empty 小区.
            self.idle_lot(lot);
            return;
        }
        let first = self.out.buildings.len();
        let kept = lay.slabs.clone();
        for (n, s) in kept.iter().enumerate() {
            let year = (base + self.rng.int(0, 4))
                .saturating_sub(2)
                .clamp(1978, 2005);
            let ot = [
                OwnerType::OwnersCommon,
                OwnerType::Individual,
                OwnerType::PublicInstitution,
                OwnerType::StateEnterprise,
            ][self.rng.weighted(&[0.78, 0.08, 0.07, 0.07])];
            let institutional = matches!(
                ot,
                OwnerType::PublicInstitution | OwnerType::StateEnterprise
            );
            let vacant = institutional && self.rng.chance(0.12);
            let owner = match ot {
                OwnerType::StateEnterprise => state_company(&mut self.rng),
                OwnerType::PublicInstitution => format!("{DISTRICT}机关事务服务中心"),
                OwnerType::Individual => "个人".to_string(),
                _ => format!("{xq}全体业主"),
            };
            self.add_building(BuildingDraft {
                shape: Shape::Rect(s.r),
                floors: s.floors,
                year,
                use_: BuildingUse::Residential,
                owner_type: ot,
                vacant,
                name: format!("{xq}{}号楼", n + 1),
                note: "板式住宅",
                owner,
            });
        }
        let lane_name = if self.rng.chance(0.35) {
            format!("{}{}巷", self.street, cn_num(self.rng.int(1, 12)))
        } else {
            String::new()
        };
        let inner = self.lanes_and_paths(&lay, &kept, lane_name);

        // Owner-shared structures: bike sheds by the row ends, a guard room, a property office.
        let common = format!("{xq}全体业主");
        let rows_used: Vec<usize> = {
            let mut r: Vec<usize> = kept.iter().map(|s| s.row).collect();
            r.dedup();
            r
        };
        for (idx, row) in rows_used.iter().enumerate() {
            if idx + 1 == rows_used.len() || !self.rng.chance(0.45) {
                continue;
            }
            let ends: Vec<Slab> = kept.iter().filter(|s| s.row == *row).copied().collect();
            let Some(west) = ends.iter().min_by(|a, b| a.r[0].total_cmp(&b.r[0])) else {
                continue;
            };
            let len = self.rng.range(6.0, 12.0);
            let dep = self.rng.range(3.5, 5.0);
            let r = [
                west.r[0],
                west.r[3] + 1.5,
                west.r[0] + len,
                west.r[3] + 1.5 + dep,
            ];
            if placer.try_take(&self.frame, r, 1.0) {
                let vacant = self.rng.chance(0.25);
                let year = (base + self.rng.int(0, 5)).min(2005);
                self.add_building(BuildingDraft {
                    shape: Shape::Rect(r),
                    floors: 1,
                    year,
                    use_: BuildingUse::Other,
                    owner_type: OwnerType::OwnersCommon,
                    vacant,
                    name: format!("{xq}自行车棚"),
                    note: "自行车棚",
                    owner: common.clone(),
                });
            }
        }
        if !kept.is_empty() && self.rng.chance(0.8) {
            self.guard_room(
                &mut placer,
                &lay,
                lot,
                Keeper {
                    owner_type: OwnerType::OwnersCommon,
                    name: format!("{xq}门卫室"),
                    owner: common.clone(),
                    p_vacant: 0.2,
                    year: base.min(2005),
                },
            );
        }
        if !kept.is_empty() && self.rng.chance(0.5) {
            let w = self.rng.range(9.0, 12.0);
            let h = self.rng.range(7.0, 9.0);
            let spots = self.top_spots(&lay, w, h);
            if let Some(r) = self.place_small(&mut placer, &spots) {
                let vacant = self.rng.chance(0.2);
                let floors = self.rng.int(1, 2);
                self.add_building(BuildingDraft {
                    shape: Shape::Rect(r),
                    floors,
                    year: base,
                    use_: BuildingUse::Other,
                    owner_type: OwnerType::OwnersCommon,
                    vacant,
                    name: format!("{xq}物业用房"),
                    note: "物业用房",
                    owner: common,
                });
            }
        }

        let owner = format!("{}{}办事处", DISTRICT, self.office);
        let (tenure, owner) = self.tenure_owner(0.03, owner);
        self.add_parcel(
            &lot.ring,
            LandUse::UrbanResidential,
            tenure,
            owner,
            xq.clone(),
            "合成;老旧小区".to_string(),
            first,
        );
        self.add_neighbourhood(&lot.ring, xq.clone(), base, first, "合成;老旧小区");

        // Community services, scarcer towards the north-east.
        let s = self.service;
        let offers: [(FacilityKind, f64, &str, (u32, u32)); 9] = [
            (FacilityKind::ElderlyCare, 0.08, "养老服务站", (10, 40)),
            (FacilityKind::DayCare, 0.25, "日间照料中心", (200, 600)),
            (FacilityKind::MealPoint, 0.25, "助餐点", (60, 200)),
            (FacilityKind::CultureStation, 0.2, "文化活动站", (100, 400)),
            (FacilityKind::Childcare, 0.1, "托育园", (20, 80)),
            (
                FacilityKind::CommunityHealth,
                0.12,
                "社区卫生服务站",
                (150, 500),
            ),
            (FacilityKind::ConvenienceStore, 0.3, "便利店", (60, 300)),
            (FacilityKind::Parking, 0.1, "停车场", (20, 80)),
            (FacilityKind::Fitness, 0.25, "健身场地", (200, 1200)),
        ];
        for (kind, p, suffix, (lo, hi)) in offers {
            if !self.rng.chance(p * s) {
                continue;
            }
            let at = match kind {
                FacilityKind::Fitness | FacilityKind::Parking => inner.last().copied(),
                _ => self.host_point(first, &kept),
            };
            if let Some(at) = at {
                let cap = self.rng.int(lo, hi);
                self.add_facility(kind, format!("{xq}{suffix}"), cap, at);
            }
        }
    }

    fn new_residential(&mut self, lot: &Lot) {
        let base = self.rng.int(2006, 2022);
        let high = self.rng.chance(0.55);
        let suffix = *self
            .rng
            .pick(&["花园", "苑", "家园", "华府", "雅居", "名邸"]);
        let raw = format!("{}{suffix}", two_syllables(&mut self.rng));
        let xq = self.state.names.unique(raw);
        let mut placer = Placer::new(&lot.ring, 3.0);
        let plan = if high {
            RowPlan {
                front: 14.0,
                spacing: 0.8,
                min_gap: 30.0,
                max_rows: 8,
            }
        } else {
            RowPlan {
                front: 12.0,
                spacing: 1.3,
                min_gap: 20.0,
                max_rows: 10,
            }
        };
        let lay = self.layout_rows(&mut placer, lot, plan, &mut |rng, _| {
            if high {
                RowStyle {
                    depth: rng.range(16.0, 18.0),
                    lengths: vec![46.0, 38.0, 30.0, 24.0],
                    floors: rng.int(11, 18),
                    end_gap: rng.range(14.0, 20.0),
                    courtyard: false,
                }
            } else {
                RowStyle {
                    depth: rng.range(12.0, 14.0),
                    lengths: vec![42.0, 36.0, 30.0],
                    floors: rng.int(6, 7),
                    end_gap: rng.range(10.0, 14.0),
                    courtyard: false,
                }
            }
        });
        if lay.slabs.is_empty() {
            self.idle_lot(lot);
            return;
        }
        let first = self.out.buildings.len();
        let kept = lay.slabs.clone();
        let common = format!("{xq}全体业主");
        for (n, s) in kept.iter().enumerate() {
            let ot = if self.rng.chance(0.85) {
                OwnerType::OwnersCommon
            } else {
                OwnerType::Individual
            };
            let year = (base + self.rng.int(0, 2)).min(2024);
            self.add_building(BuildingDraft {
                shape: Shape::Rect(s.r),
                floors: s.floors,
                year,
                use_: BuildingUse::Residential,
                owner_type: ot,
                vacant: false,
                name: format!("{xq}{}号楼", n + 1),
                note: if high { "高层住宅" } else { "多层住宅" },
                owner: common.clone(),
            });
        }
        let inner = self.lanes_and_paths(&lay, &kept, String::new());
        if !kept.is_empty() {
            self.guard_room(
                &mut placer,
                &lay,
                lot,
                Keeper {
                    owner_type: OwnerType::OwnersCommon,
                    name: format!("{xq}门卫室"),
                    owner: common,
                    p_vacant: 0.0,
                    year: base,
                },
            );
        }
        if !kept.is_empty() && self.rng.chance(0.45 * self.service) {
            let spots = self.top_spots(&lay, 36.0, 20.0);
            if let Some(r) = self.place_small(&mut placer, &spots) {
                let floors = self.rng.int(2, 3);
                let private = self.rng.chance(0.4);
                let name = format!("{xq}幼儿园");
                self.add_building(BuildingDraft {
                    shape: Shape::Rect(r),
                    floors,
                    year: base,
                    use_: BuildingUse::Education,
                    owner_type: if private {
                        OwnerType::Private
                    } else {
                        OwnerType::PublicInstitution
                    },
                    vacant: false,
                    name: name.clone(),
                    note: "配套幼儿园",
                    owner: name.clone(),
                });
                let seats = self.rng.int(3, 9) * 30;
                self.add_facility(FacilityKind::Kindergarten, name, seats, self.centre(r));
            }
        }
        let owner = format!("{}{}办事处", DISTRICT, self.office);
        self.add_parcel(
            &lot.ring,
            LandUse::UrbanResidential,
            Tenure::State,
            owner,
            xq.clone(),
            "合成;新建小区".to_string(),
            first,
        );
        self.add_neighbourhood(&lot.ring, xq.clone(), base, first, "合成;2005年后建成");
        let s = self.service;
        if self.rng.chance(0.25 * s) {
            if let Some(at) = self.host_point(first, &kept) {
                let cap = self.rng.int(20, 80);
                self.add_facility(FacilityKind::Childcare, format!("{xq}托育中心"), cap, at);
            }
        }
        if self.rng.chance(0.4) {
            if let Some(at) = self.host_point(first, &kept) {
                let cap = self.rng.int(80, 300);
                let brand = two_syllables(&mut self.rng);
                self.add_facility(
                    FacilityKind::ConvenienceStore,
                    format!("{brand}便利店"),
                    cap,
                    at,
                );
            }
        }
        if self.rng.chance(0.3) {
            if let Some(at) = inner.last().copied() {
                let cap = self.rng.int(30, 200);
                self.add_facility(FacilityKind::Parking, format!("{xq}地面停车场"), cap, at);
            }
        }
    }

    fn government(&mut self, lot: &Lot) {
        let (agency, ot) = if self.rng.chance(0.7) {
            if self.rng.chance(0.15) {
                (
                    format!("{}{}办事处", DISTRICT, self.office),
                    OwnerType::Government,
                )
            } else {
                (self.rng.pick(&AGENCIES).to_string(), OwnerType::Government)
            }
        } else {
            (
                self.rng.pick(&INSTITUTES).to_string(),
                OwnerType::PublicInstitution,
            )
        };
        let base = self.rng.int(1982, 2012);
        let court = self.rng.chance(0.45);
        let mut placer = Placer::new(&lot.ring, 4.0);
        let lay = self.layout_rows(
            &mut placer,
            lot,
            RowPlan {
                front: 16.0,
                spacing: 1.0,
                min_gap: 15.0,
                max_rows: 3,
            },
            &mut |rng, k| {
                if k == 0 && court {
                    let side = rng.range(44.0, 54.0);
                    RowStyle {
                        depth: side,
                        lengths: vec![side, side - 6.0],
                        floors: rng.int(4, 6),
                        end_gap: 12.0,
                        courtyard: true,
                    }
                } else if k == 0 {
                    RowStyle {
                        depth: rng.range(16.0, 18.0),
                        lengths: vec![64.0, 56.0, 48.0, 40.0],
                        floors: rng.int(5, 9),
                        end_gap: 12.0,
                        courtyard: false,
                    }
                } else {
                    RowStyle {
                        depth: rng.range(12.0, 14.0),
                        lengths: vec![40.0, 32.0, 24.0],
                        floors: rng.int(2, 4),
                        end_gap: 10.0,
                        courtyard: false,
                    }
                }
            },
        );
        let first = self.out.buildings.len();
        let kept = lay.slabs.clone();
        for (n, s) in kept.iter().enumerate() {
            let main = s.row == 0;
            let vacant = self.rng.chance(if main { 0.12 } else { 0.25 });
            let year = if main {
                base
            } else {
                (base + self.rng.int(0, 12)).saturating_sub(6)
            };
            let shape = if s.courtyard && s.r[2] - s.r[0] >= 36.0 && s.r[3] - s.r[1] >= 36.0 {
                Shape::Courtyard(s.r, self.rng.range(12.0, 14.0))
            } else {
                Shape::Rect(s.r)
            };
            let name = if main && n == 0 {
                format!("{agency}办公楼")
            } else {
                format!("{agency}{}号楼", n + 1)
            };
            self.add_building(BuildingDraft {
                shape,
                floors: s.floors,
                year,
                use_: BuildingUse::Office,
                owner_type: ot,
                vacant,
                name,
                note: if main { "办公楼" } else { "附属楼" },
                owner: agency.clone(),
            });
        }
        self.lanes_and_paths(&lay, &kept, String::new());
        if !kept.is_empty() {
            self.guard_room(
                &mut placer,
                &lay,
                lot,
                Keeper {
                    owner_type: ot,
                    name: format!("{agency}门卫室"),
                    owner: agency.clone(),
                    p_vacant: 0.0,
                    year: base,
                },
            );
        }
        self.add_parcel(
            &lot.ring,
            LandUse::Government,
            Tenure::State,
            agency.clone(),
            agency.clone(),
            "合成;机关团体用地".to_string(),
            first,
        );
        if self.rng.chance(0.3 * self.service) {
            if let Some(at) = self.host_point(first, &kept) {
                let cap = self.rng.int(100, 400);
                self.add_facility(
                    FacilityKind::CultureStation,
                    format!("{}社区文化活动站", self.street_base()),
                    cap,
                    at,
                );
            }
        }
    }

    fn institution(&mut self, lot: &Lot) {
        let s = self.service;
        let kind = self
            .rng
            .weighted(&[0.4, 0.2, 0.05 + 0.15 * s, 0.05 + 0.15 * s]);
        let sb = self.street_base();
        let (raw, use_, note) = match kind {
            0 => (
                match self.rng.weighted(&[0.5, 0.3, 0.2]) {
                    0 => format!("{sb}路小学"),
                    1 => format!("{CITY}第{}中学", cn_num(self.rng.int(2, 60))),
                    _ => format!("{DISTRICT}实验小学"),
                },
                BuildingUse::Education,
                "教学楼",
            ),
            1 => (
                match self.rng.weighted(&[0.6, 0.2, 0.2]) {
                    0 => format!("{CITY}第{}人民医院", cn_num(self.rng.int(2, 9))),
                    1 => format!("{DISTRICT}中医医院"),
                    _ => format!("{DISTRICT}妇幼保健院"),
                },
                BuildingUse::Medical,
                "医疗楼",
            ),
            2 => (
                format!("{sb}社区卫生服务中心"),
                BuildingUse::Medical,
                "医疗楼",
            ),
            _ => (
                if self.rng.chance(0.3) {
                    format!("{DISTRICT}社会福利院")
                } else {
                    format!("{}颐养院", two_syllables(&mut self.rng))
                },
                BuildingUse::Medical,
                "养老院",
            ),
        };
        let name = self.state.names.unique(raw);
        let private = match kind {
            0 => self.rng.chance(0.1),
            3 => self.rng.chance(0.4),
            _ => false,
        };
        let ot = if private {
            OwnerType::Private
        } else {
            OwnerType::PublicInstitution
        };
        let base = self.rng.int(1980, 2015);
        let mut placer = Placer::new(&lot.ring, 4.0);
        let plan = RowPlan {
            front: 14.0,
            spacing: if kind == 0 { 1.2 } else { 0.9 },
            min_gap: 16.0,
            max_rows: match kind {
                2 => 1,
                3 => 2,
                _ => 3,
            },
        };
        let court = kind == 0 && self.rng.chance(0.4);
        let lay = self.layout_rows(&mut placer, lot, plan, &mut |rng, k| match (kind, k) {
            (0, 0) if court => {
                let side = rng.range(40.0, 50.0);
                RowStyle {
                    depth: side,
                    lengths: vec![side, side - 4.0],
                    floors: rng.int(4, 5),
                    end_gap: 14.0,
                    courtyard: true,
                }
            }
            (0, _) => RowStyle {
                depth: rng.range(15.0, 17.0),
                lengths: vec![66.0, 54.0, 42.0, 36.0],
                floors: rng.int(4, 5),
                end_gap: 14.0,
                courtyard: false,
            },
            (1, 0) => RowStyle {
                depth: rng.range(20.0, 24.0),
                lengths: vec![60.0, 50.0, 40.0],
                floors: rng.int(8, 16),
                end_gap: 14.0,
                courtyard: false,
            },
            (2, _) => RowStyle {
                depth: 14.0,
                lengths: vec![42.0, 36.0, 30.0],
                floors: rng.int(3, 4),
                end_gap: 12.0,
                courtyard: false,
            },
            (3, _) => RowStyle {
                depth: 14.0,
                lengths: vec![48.0, 40.0, 32.0],
                floors: rng.int(3, 5),
                end_gap: 12.0,
                courtyard: false,
            },
            _ => RowStyle {
                depth: 14.0,
                lengths: vec![44.0, 36.0, 28.0],
                floors: rng.int(3, 6),
                end_gap: 12.0,
                courtyard: false,
            },
        });
        let first = self.out.buildings.len();
        let kept = lay.slabs.clone();
        for (n, s) in kept.iter().enumerate() {
            let vacant = self.rng.chance(0.07);
            let year = (base + self.rng.int(0, 10)).saturating_sub(3);
            let shape = if s.courtyard && s.r[2] - s.r[0] >= 36.0 && s.r[3] - s.r[1] >= 36.0 {
                Shape::Courtyard(s.r, self.rng.range(12.0, 14.0))
            } else {
                Shape::Rect(s.r)
            };
            self.add_building(BuildingDraft {
                shape,
                floors: s.floors,
                year,
                use_,
                owner_type: ot,
                vacant,
                name: format!("{name}{}号楼", n + 1),
                note,
                owner: name.clone(),
            });
        }
        self.lanes_and_paths(&lay, &kept, String::new());
        if !kept.is_empty() {
            self.guard_room(
                &mut placer,
                &lay,
                lot,
                Keeper {
                    owner_type: ot,
                    name: format!("{name}门卫室"),
                    owner: name.clone(),
                    p_vacant: 0.0,
                    year: base,
                },
            );
        }
        let main_at = kept.first().map(|s| self.centre(s.r));
        match kind {
            0 => {
                let spots = self.top_spots(&lay, 36.0, 24.0);
                if let Some(r) = self.place_small(&mut placer, &spots) {
                    self.add_building(BuildingDraft {
                        shape: Shape::Rect(r),
                        floors: 2,
                        year: base,
                        use_: BuildingUse::Education,
                        owner_type: ot,
                        vacant: false,
                        name: format!("{name}体育馆"),
                        note: "体育馆",
                        owner: name.clone(),
                    });
                }
                if self.rng.chance(0.5 * s) {
                    let spots = self.top_spots(&lay, 34.0, 18.0);
                    let spots: Vec<[f64; 4]> = spots
                        .iter()
                        .map(|r| [r[0], r[1] + 30.0, r[2], r[3] + 30.0])
                        .collect();
                    if let Some(r) = self.place_small(&mut placer, &spots) {
                        let kname = format!("{name}附属幼儿园");
                        self.add_building(BuildingDraft {
                            shape: Shape::Rect(r),
                            floors: 3,
                            year: base,
                            use_: BuildingUse::Education,
                            owner_type: ot,
                            vacant: false,
                            name: kname.clone(),
                            note: "幼儿园",
                            owner: name.clone(),
                        });
                        let seats = self.rng.int(3, 12) * 30;
                        self.add_facility(FacilityKind::Kindergarten, kname, seats, self.centre(r));
                    }
                }
            }
            1 => {
                if let Some(at) = main_at {
                    let beds = self.rng.int(15, 80) * 10;
                    self.add_facility(FacilityKind::Medical, name.clone(), beds, at);
                }
            }
            2 => {
                if let Some(at) = main_at {
                    let area = self.rng.int(300, 1500);
                    self.add_facility(FacilityKind::CommunityHealth, name.clone(), area, at);
                }
            }
            _ => {
                if let Some(at) = main_at {
                    let beds = self.rng.int(6, 30) * 10;
                    self.add_facility(FacilityKind::ElderlyCare, name.clone(), beds, at);
                }
            }
        }
        self.add_parcel(
            &lot.ring,
            LandUse::PublicService,
            Tenure::State,
            name.clone(),
            name,
            "合成;科教文卫用地".to_string(),
            first,
        );
    }

    /// Drops slabs from the end until the floor-area ratio is at most `cap`.
    fn cap_far(&self, lot: &Lot, slabs: &mut Vec<Slab>, cap: f64) {
        let area = ring_area(&lot.ring);
        loop {
            let floor: f64 = slabs
                .iter()
                .map(|s| (s.r[2] - s.r[0]) * (s.r[3] - s.r[1]) * f64::from(s.floors))
                .sum();
            if floor <= cap * area || slabs.len() <= 1 {
                break;
            }
            slabs.pop();
        }
    }

    fn commercial(&mut self, lot: &Lot) {
        let low = self.rng.chance(0.45);
        let state_owned = self.rng.chance(0.3);
        let (company, ot) = if state_owned {
            (state_company(&mut self.rng), OwnerType::StateEnterprise)
        } else {
            (private_company(&mut self.rng), OwnerType::Private)
        };
        let sb = self.street_base();
        let title = if low {
            let kind = *self
                .rng
                .pick(&["建材市场", "农贸市场", "汽配城", "家具城", "小商品市场"]);
            self.state.names.unique(format!("{sb}{kind}"))
        } else {
            let kind = *self
                .rng
                .pick(&["大厦", "商厦", "广场", "商业中心", "国际中心"]);
            self.state
                .names
                .unique(format!("{}{kind}", two_syllables(&mut self.rng)))
        };
        let base = self.rng.int(1985, 2020);
        let mut placer = Placer::new(&lot.ring, 3.0);
        let plan = if low {
            RowPlan {
                front: 20.0,
                spacing: 0.0,
                min_gap: 20.0,
                max_rows: 2,
            }
        } else {
            RowPlan {
                front: 14.0,
                spacing: 0.6,
                min_gap: 16.0,
                max_rows: 3,
            }
        };
        let lay = self.layout_rows(&mut placer, lot, plan, &mut |rng, _| {
            if low {
                RowStyle {
                    depth: rng.range(16.0, 26.0),
                    lengths: vec![40.0, 32.0, 24.0],
                    floors: rng.int(1, 2),
                    end_gap: rng.range(14.0, 24.0),
                    courtyard: false,
                }
            } else {
                RowStyle {
                    depth: rng.range(18.0, 26.0),
                    lengths: vec![60.0, 48.0, 36.0],
                    floors: [rng.int(3, 6), rng.int(7, 12), rng.int(13, 24)]
                        [rng.weighted(&[0.5, 0.3, 0.2])],
                    end_gap: rng.range(12.0, 20.0),
                    courtyard: false,
                }
            }
        });
        let mut kept = lay.slabs.clone();
        if low {
            self.cap_far(lot, &mut kept, 0.45);
        }
        let first = self.out.buildings.len();
        let p_vacant = match (low, state_owned) {
            (true, true) => 0.25,
            (true, false) => 0.1,
            (false, true) => 0.12,
            (false, false) => 0.04,
        };
        for (n, s) in kept.iter().enumerate() {
            let vacant = self.rng.chance(p_vacant);
            let office = !low && self.rng.chance(0.3);
            let shape = if !low && s.r[2] - s.r[0] >= 48.0 && self.rng.chance(0.25) {
                Shape::Ell(s.r)
            } else {
                Shape::Rect(s.r)
            };
            let year = (base + self.rng.int(0, 6)).saturating_sub(3);
            self.add_building(BuildingDraft {
                shape,
                floors: s.floors,
                year,
                use_: if office {
                    BuildingUse::Office
                } else {
                    BuildingUse::Commercial
                },
                owner_type: ot,
                vacant,
                name: if kept.len() == 1 {
                    title.clone()
                } else {
                    format!("{title}{}号楼", n + 1)
                },
                note: if low { "低效商业" } else { "商业楼" },
                owner: company.clone(),
            });
        }
        let inner = self.lanes_and_paths(&lay, &kept, String::new());
        let (tenure, owner) = self.tenure_owner(0.04, company);
        let (_, area) = self.add_parcel(
            &lot.ring,
            LandUse::Commercial,
            tenure,
            owner,
            title.clone(),
            String::new(),
            first,
        );
        if let Some(p) = self.out.parcels.last_mut() {
            p.note = if p.far < 0.5 {
                "合成;低效用地(容积率<0.5)".to_string()
            } else {
                "合成".to_string()
            };
        }
        if self.rng.chance(0.5) {
            if let Some(at) = self.host_point(first, &kept) {
                let cap = self.rng.int(100, 600);
                let brand = two_syllables(&mut self.rng);
                self.add_facility(
                    FacilityKind::ConvenienceStore,
                    format!("{brand}便利店"),
                    cap,
                    at,
                );
            }
        }
        if self.rng.chance(if low { 0.5 } else { 0.3 }) {
            if let Some(at) = inner.first().copied() {
                let cap = ((area * 0.15 / 30.0) as u32).max(20);
                self.add_facility(FacilityKind::Parking, format!("{title}停车场"), cap, at);
            }
        }
        if self.rng.chance(0.12 * self.service) {
            if let Some(at) = self.host_point(first, &kept) {
                let cap = self.rng.int(60, 200);
                self.add_facility(FacilityKind::MealPoint, format!("{title}长者食堂"), cap, at);
            }
        }
        if self.rng.chance(0.15 * self.service) {
            if let Some(at) = self.host_point(first, &kept) {
                let beds = self.rng.int(3, 12) * 10;
                self.add_facility(
                    FacilityKind::ElderlyCare,
                    format!("{title}养老公寓"),
                    beds,
                    at,
                );
            }
        }
    }

    fn factory(&mut self, lot: &Lot) {
        let name = self.state.names.unique(factory(&mut self.rng));
        let ot = [
            OwnerType::StateEnterprise,
            OwnerType::Collective,
            OwnerType::Private,
        ][self.rng.weighted(&[0.6, 0.25, 0.15])];
        let base = self.rng.int(1975, 1998);
        let mut placer = Placer::new(&lot.ring, 4.0);
        let lay = self.layout_rows(
            &mut placer,
            lot,
            RowPlan {
                front: 14.0,
                spacing: 0.0,
                min_gap: 14.0,
                max_rows: 4,
            },
            &mut |rng, _| RowStyle {
                depth: rng.range(22.0, 30.0),
                lengths: vec![80.0, 64.0, 48.0, 36.0],
                floors: [1, 2, 3][rng.weighted(&[0.5, 0.3, 0.2])],
                end_gap: rng.range(12.0, 18.0),
                courtyard: false,
            },
        );
        let mut kept = lay.slabs.clone();
        self.cap_far(lot, &mut kept, 0.45);
        let first = self.out.buildings.len();
        for (n, s) in kept.iter().enumerate() {
            let vacant = self.rng.chance(0.35);
            let year = base + self.rng.int(0, 8);
            self.add_building(BuildingDraft {
                shape: Shape::Rect(s.r),
                floors: s.floors,
                year,
                use_: BuildingUse::Industrial,
                owner_type: ot,
                vacant,
                name: format!("{name}{}号厂房", n + 1),
                note: "厂房",
                owner: name.clone(),
            });
        }
        self.lanes_and_paths(&lay, &kept, String::new());
        if !kept.is_empty() {
            self.guard_room(
                &mut placer,
                &lay,
                lot,
                Keeper {
                    owner_type: ot,
                    name: format!("{name}门卫室"),
                    owner: name.clone(),
                    p_vacant: 0.3,
                    year: base,
                },
            );
        }
        let tenure = if ot == OwnerType::Collective {
            Tenure::Collective
        } else {
            Tenure::State
        };
        self.add_parcel(
            &lot.ring,
            LandUse::Industrial,
            tenure,
            name.clone(),
            name,
            "合成;低效用地(老厂区,容积率<0.5)".to_string(),
            first,
        );
    }

    fn park(&mut self, lot: &Lot) {
        let sb = self.street_base();
        let raw = if self.rng.chance(0.5) {
            format!("{}公园", two_syllables(&mut self.rng))
        } else {
            format!("{sb}街心公园")
        };
        let name = self.state.names.unique(raw);
        let f = self.frame;
        let bb = lot.bbox;
        let up = bb[0] + (bb[2] - bb[0]) * self.rng.range(0.4, 0.6);
        let vm = (bb[1] + bb[3]) / 2.0;
        let mut placer = Placer::new(&lot.ring, 2.0);
        placer.reserve([up - 2.5, f64::MIN / 4.0, up + 2.5, f64::MAX / 4.0]);
        placer.reserve([f64::MIN / 4.0, vm - 2.5, f64::MAX / 4.0, vm + 2.5]);
        let mid = f.world(up, vm);
        let bottom = self.grid.attach(self.block, false, f.world(up, 0.0), f.v);
        let top = self.grid.attach(self.block, true, f.world(up, 0.0), f.v);
        let mut pts = Vec::new();
        if let Some(a) = bottom {
            pts.push(a.at);
            self.out.attaches.push(a);
        }
        pts.push(mid);
        if let Some(a) = top {
            pts.push(a.at);
            self.out.attaches.push(a);
        }
        if pts.len() >= 2 {
            self.out.paths.push(PathLine {
                name: String::new(),
                class: RoadClass::Footpath,
                width: 3.0,
                points: pts,
            });
        }
        if let Some((lo, hi)) = u_span_at(&f, &lot.ring, vm) {
            for end in [lo + 6.0, hi - 6.0] {
                if (end - up).abs() > 12.0 {
                    self.out.paths.push(PathLine {
                        name: String::new(),
                        class: RoadClass::Footpath,
                        width: 2.5,
                        points: vec![mid, f.world(end, vm)],
                    });
                }
            }
        }
        let first = self.out.buildings.len();
        let owner = format!("{DISTRICT}园林绿化局");
        for (label, w, h, floors, p_vacant) in [
            ("公厕", 8.0, 6.0, 1, 0.0),
            ("管理用房", 12.0, 8.0, self.rng.int(1, 2), 0.25),
        ] {
            for _ in 0..12 {
                let u0 = self.rng.range(bb[0], bb[2] - w);
                let v0 = self.rng.range(bb[1], bb[3] - h);
                let r = [u0, v0, u0 + w, v0 + h];
                if placer.try_take(&f, r, 3.0) {
                    let vacant = self.rng.chance(p_vacant);
                    let year = self.rng.int(1990, 2018);
                    self.add_building(BuildingDraft {
                        shape: Shape::Rect(r),
                        floors,
                        year,
                        use_: BuildingUse::Other,
                        owner_type: OwnerType::PublicInstitution,
                        vacant,
                        name: format!("{name}{label}"),
                        note: label,
                        owner: owner.clone(),
                    });
                    break;
                }
            }
        }
        let (_, area) = self.add_parcel(
            &lot.ring,
            LandUse::ParkGreen,
            Tenure::State,
            owner,
            name.clone(),
            "合成;公园绿地".to_string(),
            first,
        );
        let cap = ((area * 0.05) as u32).clamp(200, 2000);
        self.add_facility(FacilityKind::Fitness, format!("{name}健身场地"), cap, mid);
        if self.rng.chance(0.3 * self.service) {
            self.add_facility(
                FacilityKind::CultureStation,
                format!("{name}文化活动站"),
                120,
                mid,
            );
        }
    }

    fn idle_lot(&mut self, lot: &Lot) {
        let name = if self.rng.chance(0.6) {
            format!("{}闲置地块", self.street)
        } else {
            format!("原{}地块", factory(&mut self.rng))
        };
        let (owner, ot) = match self.rng.weighted(&[0.5, 0.3, 0.2]) {
            0 => (format!("{CITY}土地储备中心"), OwnerType::PublicInstitution),
            1 => (state_company(&mut self.rng), OwnerType::StateEnterprise),
            _ => (private_company(&mut self.rng), OwnerType::Private),
        };
        let (tenure, owner) = self.tenure_owner(0.06, owner);
        let ot = if tenure == Tenure::Collective {
            OwnerType::Collective
        } else {
            ot
        };
        let first = self.out.buildings.len();
        let p = self.add_parcel(
            &lot.ring,
            LandUse::Vacant,
            tenure,
            owner.clone(),
            name.clone(),
            "合成;闲置土地".to_string(),
            first,
        );
        self.add_idle_land(&lot.ring, p, name, owner, ot);
    }

    fn parking(&mut self, lot: &Lot) {
        let sb = self.street_base();
        let (name, owner) = if self.rng.chance(0.4) {
            (
                format!("{CITY}公交集团{sb}场站"),
                format!("{CITY}公交集团有限公司"),
            )
        } else {
            (
                self.state.names.unique(format!("{}停车场", self.street)),
                format!("{CITY}静态交通集团有限公司"),
            )
        };
        let f = self.frame;
        let bb = lot.bbox;
        let uc = (bb[0] + bb[2]) / 2.0;
        let vc = (bb[1] + bb[3]) / 2.0;
        let mut placer = Placer::new(&lot.ring, 2.0);
        placer.reserve([uc - LANE_HALF, f64::MIN / 4.0, uc + LANE_HALF, vc]);
        let first = self.out.buildings.len();
        let spots = [
            [uc + 6.0, bb[1] + 3.0, uc + 10.5, bb[1] + 8.0],
            [uc - 10.5, bb[1] + 3.0, uc - 6.0, bb[1] + 8.0],
        ];
        if let Some(r) = self.place_small(&mut placer, &spots) {
            let year = self.rng.int(1995, 2018);
            self.add_building(BuildingDraft {
                shape: Shape::Rect(r),
                floors: 1,
                year,
                use_: BuildingUse::Other,
                owner_type: OwnerType::StateEnterprise,
                vacant: false,
                name: format!("{name}收费亭"),
                note: "收费亭",
                owner: owner.clone(),
            });
        }
        let centre = f.world(uc, vc);
        if let Some(a) = self.grid.attach(self.block, false, f.world(uc, 0.0), f.v) {
            self.out.paths.push(PathLine {
                name: String::new(),
                class: RoadClass::Lane,
                width: 6.0,
                points: vec![a.at, centre],
            });
            self.out.attaches.push(a);
        }
        let (_, area) = self.add_parcel(
            &lot.ring,
            LandUse::TransportStation,
            Tenure::State,
            owner,
            name.clone(),
            "合成;交通场站".to_string(),
            first,
        );
        let spaces = ((area * 0.8 / 30.0) as u32).max(10);
        self.add_facility(FacilityKind::Parking, name, spaces, centre);
    }
}

/// A ring in local `(u, v)` coordinates.
type LocalRing = Vec<(f64, f64)>;

fn rect_local(r: [f64; 4]) -> LocalRing {
    vec![(r[0], r[1]), (r[2], r[1]), (r[2], r[3]), (r[0], r[3])]
}

/// Vertex average of a ring (inside for the convex rings it is used on).
fn ring_centroid(ring: &[Coord]) -> Coord {
    let n = ring.len().max(1) as f64;
    let s = ring
        .iter()
        .fold(Coord { x: 0.0, y: 0.0 }, |a, p| add(a, *p));
    scale(s, 1.0 / n)
}

/// Index of the ring edge most parallel (`top == false`) or anti-parallel to `u`.
fn edge_along(ring: &[Coord], u: Coord, top: bool) -> usize {
    let n = ring.len();
    let score = |k: usize| {
        let d = dot(unit(sub(ring[(k + 1) % n], ring[k])), u);
        if top {
            -d
        } else {
            d
        }
    };
    (0..n)
        .max_by(|a, b| score(*a).total_cmp(&score(*b)))
        .unwrap_or(0)
}

/// The local `u` range where the line `v = const` crosses the ring.
fn u_span_at(frame: &Frame, ring: &[Coord], v: f64) -> Option<(f64, f64)> {
    let n = ring.len();
    let mut lo = f64::MAX;
    let mut hi = f64::MIN;
    for k in 0..n {
        let (a, b) = (frame.local(ring[k]), frame.local(ring[(k + 1) % n]));
        if (a.1 <= v) != (b.1 <= v) {
            let u = a.0 + (v - a.1) * (b.0 - a.0) / (b.1 - a.1);
            lo = lo.min(u);
            hi = hi.max(u);
        }
    }
    (lo < hi).then_some((lo, hi))
}
