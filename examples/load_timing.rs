//! Load a project once and print wall time and peak resident memory (VmHWM), for
//! `benches/compare_load.sh`: `cargo run --release --example load_timing -- DIR`.

use std::time::Instant;

fn main() -> anyhow::Result<()> {
    let path = std::env::args()
        .nth(1)
        .ok_or_else(|| anyhow::anyhow!("usage: load_timing DIR"))?;
    let start = Instant::now();
    let config = infill::config::Config::load(std::path::Path::new(&path))?;
    let ws = infill::io::load::load_workspace(&config)?;
    let elapsed = start.elapsed();
    let features: usize = ws.layers().map(|l| l.len()).sum();
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let peak = status
        .lines()
        .find(|l| l.starts_with("VmHWM"))
        .unwrap_or("VmHWM: ?")
        .trim()
        .to_string();
    println!(
        "infill load+index: {features} features in {:.2} s; {peak}",
        elapsed.as_secs_f64()
    );
    Ok(())
}
