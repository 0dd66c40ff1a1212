//! The command line: argument parsing and the commands, each a thin call into the library.

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
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
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
}

/// Run the command line; the binary's `main` calls this.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
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
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print!("{}", report.render_text());
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
