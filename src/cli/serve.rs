//! `infill serve`: load the project, run the analysis (its `[analysis]` settings over the
//! defaults), compute what the service holds, and serve it over HTTP.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{anyhow, Context};

use crate::analysis::AnalysisConfig;
use crate::config::Config;
use crate::io::load::load_workspace;
use crate::server::{serve, AppState};

/// Default listening address.
pub const DEFAULT_ADDR: &str = "127.0.0.1:8080";

/// Loads `path`, binds `addr` (port 0 picks a free one), prints the URL on stdout and serves
/// until Ctrl-C or SIGTERM. Logs go to stderr (`RUST_LOG` sets the level; default `info`).
pub fn run_serve(path: &Path, addr: SocketAddr) -> anyhow::Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // A second call (tests running the CLI twice in one process) keeps the first subscriber.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr}"))?;
        let bound = listener.local_addr()?;
        let started = Instant::now();
        let config = Config::load(path)?;
        let settings = AnalysisConfig::with_overrides(config.analysis.as_ref())
            .map_err(|e| anyhow!("{}: {e}", config.source.display()))?;
        let workspace = load_workspace(&config)?;
        let loaded_ms = started.elapsed().as_millis() as u64;
        let state = AppState::new(workspace, &settings, format!("http://{bound}"))?;
        tracing::info!(
            project = %path.display(),
            load_ms = loaded_ms,
            startup_ms = started.elapsed().as_millis() as u64,
            collections = state.collections.iter().count(),
            working_crs = state.workspace.crs().epsg(),
            "ready"
        );
        println!("infill: serving {} at http://{bound}/", path.display());
        serve(Arc::new(state), listener)
            .await
            .context("the server stopped with an error")
    })
}
