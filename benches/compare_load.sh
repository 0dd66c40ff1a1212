#!/usr/bin/env bash
# Load + index of ~1M footprints from one GBK shapefile: infill beside GeoPandas/pyogrio.
# Usage: bash benches/compare_load.sh   (not part of CI; needs PyPI for the venv)
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=target/bench-data/buildings-1m
if [ ! -f "$DATA/buildings.shp" ]; then
  cargo run --release -- demo "$DATA" --buildings 1000000
fi
ls -l "$DATA"
cargo build --release --example load_timing
VENV=target/bench-venv
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q geopandas pyogrio shapely
fi
echo "--- infill (3 runs)"
for _ in 1 2 3; do target/release/examples/load_timing "$DATA"; done
echo "--- pyogrio.read_dataframe + sindex (3 runs)"
for _ in 1 2 3; do
  "$VENV/bin/python" - "$DATA/buildings.shp" <<'PY'
import resource, sys, time
import pyogrio
t = time.perf_counter()
df = pyogrio.read_dataframe(sys.argv[1], encoding="GBK")
idx = df.sindex
idx.query(df.geometry.iloc[0])
dt = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"pyogrio read_dataframe + sindex: {len(df)} features in {dt:.2f} s; peak RSS {peak:.0f} MB")
PY
done
