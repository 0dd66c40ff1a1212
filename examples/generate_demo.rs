//! Regenerates the committed demo district, or writes a large buildings layer for benchmarks.
//!
//! ```text
//! cargo run --release --example generate_demo -- data/
//! cargo run --release --example generate_demo -- --buildings 1000000 /tmp/bench
//! ```

use infill::demo::{generate, write_buildings_only, write_shapefiles, DemoSpec};
use std::path::PathBuf;
use std::time::Instant;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: generate_demo DIR | generate_demo --buildings N DIR";
    let start = Instant::now();
    let summary = match args.as_slice() {
        [flag, n, dir] if flag == "--buildings" => {
            let n: usize = n.parse().map_err(|e| anyhow::anyhow!("{usage}: N: {e}"))?;
            let spec = DemoSpec::scaled(n);
            eprintln!(
                "writing up to {n} buildings ({} x {} blocks) to {dir}",
                spec.blocks_x, spec.blocks_y
            );
            write_buildings_only(&spec, &PathBuf::from(dir))?
        }
        [dir] if !dir.starts_with("--") => {
            let district = generate(&DemoSpec::default_district());
            write_shapefiles(&district, &PathBuf::from(dir))?
        }
        _ => anyhow::bail!("{usage}"),
    };
    let elapsed = start.elapsed();
    for (layer, count) in &summary.counts {
        println!("{layer:<15} {count:>9}");
    }
    let mut bytes = 0;
    for f in &summary.files {
        let len = std::fs::metadata(f)?.len();
        bytes += len;
        println!("{:<40} {:>12} bytes", f.display(), len);
    }
    println!("total {bytes} bytes in {:.2} s", elapsed.as_secs_f64());
    Ok(())
}
