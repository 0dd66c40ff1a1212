//! The command line: argument parsing and the commands, each a thin call into the library.
//!
//! - [`analyze`]: `analyze` (stock, gaps, candidates, allocation as GeoJSON and a summary).
//! - [`catchment`]: `catchment`, `graph-export` and `catchment-bench`.
//! - [`serve`]: `serve`, the HTTP service (also what `infill` with no command runs).

pub mod analyze;
pub mod catchment;
pub mod serve;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use crate::check::check;
use crate::config::Config;
use crate::io::load::LoadEvent;

/// infill: stock resources and 15-minute life circles for old-neighbourhood renovation.
#[derive(Parser, Debug)]
#[command(name = "infill", version, about, long_about = None)]
pub struct Cli {
    /// What to do; without a command, `serve data/`.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve a project over HTTP: OGC API – Features for every layer and the derived catchments,
    /// and the planner API under /api. Prints the URL; Ctrl-C stops it.
    Serve {
        /// An infill.toml, a folder of layers, or an .osm.pbf extract.
        #[arg(default_value = "data")]
        path: PathBuf,
        /// Address to listen on (port 0 picks a free port).
        #[arg(long, default_value = serve::DEFAULT_ADDR)]
        addr: std::net::SocketAddr,
    },
    /// Load a project (infill.toml, a data folder, or an .osm.pbf) and report what was found:
    /// files, encodings, CRS, counts, extents, field bindings and problems. Exit code 0 when
    /// every layer is usable, 1 when not, 2 when the arguments or config are wrong.
    Check {
        /// An infill.toml, a folder of layers, or an .osm.pbf extract.
        path: PathBuf,
        /// Print the report as JSON (stable; see the README).
        #[arg(long)]
        json: bool,
    },
    /// Write the synthetic demo district as GBK shapefiles in EPSG:4549.
    Demo {
        /// Output folder (created if needed).
        dir: PathBuf,
        /// Write only a buildings layer with about this many footprints (benchmark input).
        #[arg(long)]
        buildings: Option<usize>,
    },
    /// Walking catchments (5/10/15-minute life circles, GB 50180-2018) on the road network,
    /// printed as a GeoJSON FeatureCollection in WGS84: one feature per band with `minutes`,
    /// `reached_length_m` and `reached_nodes`.
    Catchment {
        /// An infill.toml, a folder of layers, or an .osm.pbf extract.
        path: PathBuf,
        /// Start at this WGS84 point, `LON,LAT`.
        #[arg(long, value_name = "LON,LAT", allow_hyphen_values = true,
              conflicts_with_all = ["neighbourhood", "all_neighbourhoods"],
              required_unless_present_any = ["neighbourhood", "all_neighbourhoods"])]
        at: Option<String>,
        /// Start from a neighbourhood (by id, else by name): where the network enters or lies
        /// inside it, and its centroid.
        #[arg(long, value_name = "ID", conflicts_with = "all_neighbourhoods")]
        neighbourhood: Option<String>,
        /// Every neighbourhood's catchments (each feature carries `neighbourhood`).
        #[arg(long)]
        all_neighbourhoods: bool,
        /// Band limits in minutes, increasing. Default 5,10,15.
        #[arg(long, value_name = "5,10,15")]
        minutes: Option<String>,
        /// Walking profile: `default` (1.0 m/s) or `elderly` (0.8 m/s).
        #[arg(long)]
        profile: Option<String>,
        /// Walking speed in m/s (overrides the profile).
        #[arg(long, value_name = "M_PER_S")]
        speed: Option<f64>,
        /// Snapping cap in metres (default 250).
        #[arg(long, value_name = "M")]
        snap_cap: Option<f64>,
    },
    /// Find the stock resources near old neighbourhoods, each neighbourhood's service gaps by
    /// the facility standards, ranked and explained candidate sites per facility type, and an
    /// allocation; print a summary table and write GeoJSON (WGS84) with `--out`.
    Analyze {
        /// An infill.toml (its `[analysis]` table overrides the defaults), a folder of layers,
        /// or an .osm.pbf extract.
        path: PathBuf,
        /// Facility types to analyse (repeatable; default: every type in the standards).
        #[arg(long = "facility", value_name = "TYPE")]
        facilities: Vec<String>,
        /// Write `stock.geojson`, `gaps.geojson`, `patches.geojson`, `candidates_<type>.geojson`,
        /// `allocation.geojson` and `summary.json` here.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Print the summary as JSON.
        #[arg(long)]
        json: bool,
        /// Sites to allocate per facility type (maximal covering).
        #[arg(long, default_value_t = 3)]
        k: usize,
        /// Allocate all types together, each stock resource hosting at most one facility.
        #[arg(long)]
        together: bool,
        /// Total sites over all types when allocating together.
        #[arg(long, requires = "together")]
        total: Option<usize>,
        /// Set covering instead: the fewest sites that reach every household in gap.
        #[arg(long)]
        cover_all: bool,
    },
    /// Write the walk graph as `DIR/edges.csv` (`id,source,target,length_m`), `DIR/nodes.csv`
    /// (`node,x,y`, metres in the working CRS) and `DIR/sources.csv` (`node`: random source
    /// nodes, deterministic by seed), for comparisons with other routing tools.
    GraphExport {
        /// An infill.toml, a folder of layers, or an .osm.pbf extract.
        path: PathBuf,
        /// Output folder (created if needed).
        #[arg(long)]
        out: PathBuf,
        /// Number of source nodes.
        #[arg(long, default_value_t = 200)]
        sources: usize,
        /// Seed for picking them.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Time the bounded search alone (or with `--polygon`, search + polygon) from each node of a
    /// sources.csv; prints `sources=N runs=R p50_us=… p99_us=… median_reached_nodes=…`.
    CatchmentBench {
        /// An infill.toml, a folder of layers, or an .osm.pbf extract.
        path: PathBuf,
        /// A sources.csv from `graph-export`.
        #[arg(long)]
        sources: PathBuf,
        /// Time limit in minutes.
        #[arg(long, default_value_t = 15.0)]
        minutes: f64,
        /// Walking speed, m/s.
        #[arg(long, default_value_t = 1.0)]
        speed: f64,
        /// Include the catchment's reached parts and band polygon.
        #[arg(long)]
        polygon: bool,
    },
}

/// Run the command line; the binary's `main` calls this.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let command = cli.command.unwrap_or(Command::Serve {
        path: PathBuf::from("data"),
        addr: serve::DEFAULT_ADDR
            .parse()
            .context("the default address does not parse")?,
    });
    match command {
        Command::Serve { path, addr } => {
            serve::run_serve(&path, addr)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Check { path, json } => {
            let config = Config::load(&path)?;
            let bar = progress_bar(config.layers.len() as u64 * 2);
            let report = check(&config, &|e| {
                if let Some(bar) = &bar {
                    match e {
                        LoadEvent::Reading { role, path } => {
                            bar.set_message(format!("reading {role} {}", path.display()))
                        }
                        LoadEvent::Finishing { role } => {
                            bar.set_message(format!("checking {role}"))
                        }
                        LoadEvent::Done => bar.inc(1),
                    }
                }
            });
            if let Some(bar) = bar {
                bar.finish_and_clear();
            }
            if json {
                emit(&format!("{}\n", serde_json::to_string_pretty(&report)?))?;
            } else {
                emit(&report.render_text())?;
            }
            Ok(if report.usable {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Command::Demo { dir, buildings } => {
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            let summary = match buildings {
                Some(n) => {
                    crate::demo::write_buildings_only(&crate::demo::DemoSpec::scaled(n), &dir)?
                }
                None => {
                    let district =
                        crate::demo::generate(&crate::demo::DemoSpec::default_district());
                    crate::demo::write_shapefiles(&district, &dir)?
                }
            };
            for (layer, n) in &summary.counts {
                println!("{layer:<16}{n}");
            }
            println!("written to {}", dir.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Catchment {
            path,
            at,
            neighbourhood,
            all_neighbourhoods,
            minutes,
            profile,
            speed,
            snap_cap,
        } => {
            let mut spec =
                catchment::spec_from_args(minutes.as_deref(), profile.as_deref(), speed)?;
            if let Some(cap) = snap_cap {
                spec.snap_cap_m = cap;
            }
            let from = match (at, neighbourhood) {
                (Some(at), _) => {
                    let (lon, lat) = catchment::parse_lon_lat(&at)?;
                    catchment::CatchmentFrom::At(lon, lat)
                }
                (None, Some(id)) => catchment::CatchmentFrom::Neighbourhood(id),
                (None, None) if all_neighbourhoods => catchment::CatchmentFrom::AllNeighbourhoods,
                (None, None) => {
                    anyhow::bail!("give --at LON,LAT, --neighbourhood ID or --all-neighbourhoods")
                }
            };
            catchment::run_catchment(&path, from, &spec)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Analyze {
            path,
            facilities,
            out,
            json,
            k,
            together,
            total,
            cover_all,
        } => {
            analyze::run_analyze(
                &path,
                &analyze::AnalyzeOptions {
                    facilities,
                    out,
                    json,
                    allocation: crate::analysis::AllocationRequest {
                        types: Vec::new(),
                        k,
                        total,
                        together,
                        cover_all,
                    },
                },
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Command::GraphExport {
            path,
            out,
            sources,
            seed,
        } => {
            catchment::run_graph_export(&path, &out, sources, seed)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::CatchmentBench {
            path,
            sources,
            minutes,
            speed,
            polygon,
        } => {
            catchment::run_catchment_bench(&path, &sources, minutes, speed, polygon)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Write to standard output; a reader that stops early (`| head`) ends the output quietly
/// instead of failing the command.
pub fn emit(text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}

/// A progress bar on stderr when it is a terminal; nothing when piped.
fn progress_bar(steps: u64) -> Option<ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::new(steps);
    if let Ok(style) =
        ProgressStyle::with_template("{spinner} [{bar:30}] {pos}/{len} {msg} ({elapsed})")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    Some(bar)
}
