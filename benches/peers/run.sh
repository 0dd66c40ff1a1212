#!/usr/bin/env bash
# 15-minute walking catchments: infill beside pgRouting (+PostGIS) and networkx (+shapely 2),
# on the same walk graph and the same sources, in one run. Prints the ratios and writes
# target/peers/results.md. For measurement only, not part of CI. See benches/README.md.
#
# Usage: benches/peers/run.sh              Porto walk graph exported by infill (builds infill)
#        benches/peers/run.sh --synthetic  a synthetic grid graph of Porto's size; peers only
#        benches/peers/run.sh --graph DIR  an existing export (edges.csv, sources.csv[, nodes.csv]); peers only
# Settings (environment): SOURCES=200 SEED=1 MINUTES=15 SPEED=1.0 PG_BUFFER_M=50 NX_BUFFER_M=25 WARMUP=10
# Needs: cargo, python3, and either root (apt-get installs PostgreSQL 15 + pgRouting + PostGIS if
# missing; the cluster runs as the `postgres` user) or those packages already installed.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
HERE=benches/peers
OUT=$ROOT/target/peers
TIMES=$OUT/times
PGDATA=$OUT/pg
VENV=$OUT/venv

SOURCES=${SOURCES:-200}
SEED=${SEED:-1}
MINUTES=${MINUTES:-15}
SPEED=${SPEED:-1.0}
PG_BUFFER_M=${PG_BUFFER_M:-50}
NX_BUFFER_M=${NX_BUFFER_M:-25}
WARMUP=${WARMUP:-10}
CUTOFF_S=$(python3 -c "print(float($MINUTES) * 60)")
CUTOFF_M=$(python3 -c "print(float($MINUTES) * 60 * float($SPEED))")

MODE=porto
GIVEN_GRAPH=
case "${1:-}" in
  --synthetic) MODE=synthetic ;;
  --graph) MODE=given; GIVEN_GRAPH=$(cd "${2:?--graph needs a folder}" && pwd) ;;
  "") ;;
  *) echo "usage: $0 [--synthetic | --graph DIR]" >&2; exit 2 ;;
esac

say() { printf '\n=== %s\n' "$*"; }
warn() { printf '!!! %s\n' "$*" >&2; }

PG_STARTED=
PGBIN=/usr/lib/postgresql/15/bin
AS_PG=()
cleanup() {
  local rc=$?
  if [ "$rc" -ne 0 ] && [ -f "$PGDATA/server.log" ]; then
    warn "failed (exit $rc); last lines of the PostgreSQL log:"
    tail -n 20 "$PGDATA/server.log" >&2 || true
  fi
  if [ -n "$PG_STARTED" ]; then
    "${AS_PG[@]}" "$PGBIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$PGDATA"
  if [ "$rc" -eq 0 ]; then rm -f "$OUT/initdb.log"; fi
}
trap cleanup EXIT
# Make Ctrl-C and kill run the EXIT trap too, so the private server never outlives the script.
trap 'exit 130' INT TERM

mkdir -p "$OUT"
rm -rf "$TIMES"
mkdir -p "$TIMES"

# ---------------------------------------------------------------- 1. infill and the walk graph
INFILL=$ROOT/target/release/infill
has_subcommand() { [ -x "$INFILL" ] && "$INFILL" help "$1" >/dev/null 2>&1; }
if [ "$MODE" = porto ]; then
  say "infill: cargo build --release"
  cargo build --release
fi

PBF=
for candidate in "$ROOT/../shared/data/osm/porto.osm.pbf" /work/shared/data/osm/porto.osm.pbf; do
  if [ -f "$candidate" ]; then PBF=$candidate; break; fi
done

if [ "$MODE" = porto ]; then
  if [ -z "$PBF" ]; then
    warn "porto.osm.pbf not found under ../shared/data/osm or /work/shared/data/osm"; exit 1
  fi
  if ! has_subcommand graph-export; then
    warn "this infill build has no 'graph-export' subcommand: cannot export the Porto walk graph."
    warn "Falling back to the SYNTHETIC graph; figures below are NOT Porto figures."
    MODE=synthetic
  fi
fi

if [ "$MODE" = given ]; then
  GRAPH=$GIVEN_GRAPH
  say "given graph: $GRAPH"
elif [ "$MODE" = porto ]; then
  GRAPH=$OUT
  say "infill graph-export $PBF --out $GRAPH --sources $SOURCES --seed $SEED"
  rm -f "$GRAPH/edges.csv" "$GRAPH/sources.csv" "$GRAPH/nodes.csv"
  "$INFILL" graph-export "$PBF" --out "$GRAPH" --sources "$SOURCES" --seed "$SEED"
else
  GRAPH=$OUT/synthetic
  say "synthetic graph (jittered grid, Porto-sized) -> $GRAPH"
  python3 "$HERE/synth_graph.py" --out "$GRAPH" --sources "$SOURCES" --seed "$SEED"
fi
for f in edges.csv sources.csv; do
  [ -f "$GRAPH/$f" ] || { warn "$GRAPH/$f missing"; exit 1; }
done
HAS_NODES=off
if [ -f "$GRAPH/nodes.csv" ]; then
  HAS_NODES=on
else
  warn "$GRAPH/nodes.csv (node,x,y in metres) missing: skipping pgRouting tuned and every buffer peer"
fi
EDGES_N=$(($(wc -l <"$GRAPH/edges.csv") - 1))
NODES_N="?"
if [ "$HAS_NODES" = on ]; then NODES_N=$(($(wc -l <"$GRAPH/nodes.csv") - 1)); fi
SOURCES_N=$(($(wc -l <"$GRAPH/sources.csv") - 1))

# ---------------------------------------------------------------- 2. pgRouting (+ PostGIS)
# Everything below is timed: other work on the machine (a build, another benchmark) skews it.
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
if python3 -c "import os, sys; sys.exit(os.getloadavg()[0] < 0.5 * os.cpu_count())"; then
  warn "load average $LOAD_BEFORE on $(nproc) cores: the machine is busy, timings will be inflated"
fi
say "pgRouting: private PostgreSQL 15 cluster in $PGDATA"
if [ ! -x "$PGBIN/initdb" ] || [ ! -f /usr/share/postgresql/15/extension/pgrouting.control ] \
   || [ ! -f /usr/share/postgresql/15/extension/postgis.control ]; then
  if [ "$(id -u)" -ne 0 ]; then
    warn "PostgreSQL 15 with pgRouting and PostGIS is not installed and this is not root:"
    warn "  apt-get install postgresql-15 postgresql-15-pgrouting postgresql-15-postgis-3"
    exit 1
  fi
  # --no-upgrade: install what is missing, leave an installed server's version alone.
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-upgrade \
    postgresql-15 postgresql-15-pgrouting postgresql-15-postgis-3
fi

# A stale cluster from an interrupted run: stop it (if its server still runs) and start afresh.
if [ -f "$PGDATA/postmaster.pid" ]; then
  if [ "$(id -u)" -eq 0 ]; then AS_PG=(runuser -u postgres --); fi
  "${AS_PG[@]}" "$PGBIN/pg_ctl" -D "$PGDATA" -m immediate -w stop >/dev/null 2>&1 || true
fi
rm -rf "$PGDATA"
mkdir -p "$PGDATA"
if [ "$(id -u)" -eq 0 ]; then
  # PostgreSQL refuses to run as root: the cluster belongs to the Debian `postgres` user.
  AS_PG=(runuser -u postgres --)
  chown postgres: "$PGDATA"
fi
chmod 700 "$PGDATA"
"${AS_PG[@]}" "$PGBIN/initdb" -D "$PGDATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$OUT/initdb.log"
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# Durability off only speeds up the load; the measured queries only read.
"${AS_PG[@]}" tee -a "$PGDATA/postgresql.conf" >/dev/null <<EOF
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$PGDATA'
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
"${AS_PG[@]}" "$PGBIN/pg_ctl" -D "$PGDATA" -l "$PGDATA/server.log" -w start >/dev/null
PG_STARTED=1
PSQL=("$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PGDATA" -p "$PORT" -U postgres -d postgres)
echo "server on 127.0.0.1:$PORT (socket in $PGDATA)"

"${PSQL[@]}" \
  -c "CREATE TABLE edges_raw (id bigint, source bigint, target bigint, length_m float8)" \
  -c "\\copy edges_raw FROM '$GRAPH/edges.csv' WITH (FORMAT csv, HEADER true)" \
  -c "CREATE TABLE sources_raw (node bigint)" \
  -c "\\copy sources_raw FROM '$GRAPH/sources.csv' WITH (FORMAT csv, HEADER true)" \
  -c "CREATE TABLE nodes_raw (node bigint, x float8, y float8)"
if [ "$HAS_NODES" = on ]; then
  "${PSQL[@]}" -c "\\copy nodes_raw FROM '$GRAPH/nodes.csv' WITH (FORMAT csv, HEADER true)"
fi
"${PSQL[@]}" -At -v speed="$SPEED" -v has_nodes="$HAS_NODES" -f "$HERE/pg_load.sql"
"${PSQL[@]}" -f "$HERE/pg_bench.sql"
PG_VERSIONS=$("${PSQL[@]}" -At -c "SELECT 'PostgreSQL ' || current_setting('server_version') || ', pgRouting ' || pgr_version() || ', PostGIS ' || postgis_lib_version()")
echo "$PG_VERSIONS"

pg_variant() {
  local variant=$1
  say "pgRouting $variant ($SOURCES_N sources, cutoff ${CUTOFF_S} s)"
  {
    echo "src,us,reach"
    "${PSQL[@]}" -At -F, -c "SELECT src, round(us::numeric, 1), reach FROM peers_bench('$variant', $CUTOFF_S, $CUTOFF_M, $PG_BUFFER_M, $WARMUP)"
  } >"$TIMES/pg_$variant.csv.part" &
  wait $!  # in the background so that Ctrl-C/kill reaches the cleanup at once, not after 200 sources
  mv "$TIMES/pg_$variant.csv.part" "$TIMES/pg_$variant.csv"
}
pg_variant plain
if [ "$HAS_NODES" = on ]; then
  pg_variant tuned
  pg_variant plain_buffer
  pg_variant tuned_buffer
fi
"${AS_PG[@]}" "$PGBIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null
PG_STARTED=
rm -rf "$PGDATA"

# ---------------------------------------------------------------- 3. networkx (+ shapely 2)
say "networkx: venv in $VENV"
if ! "$VENV/bin/python" -c 'import networkx, shapely; assert int(shapely.__version__.split(".")[0]) >= 2' 2>/dev/null; then
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q networkx 'shapely>=2'
fi
NX_VERSIONS=$("$VENV/bin/python" -c 'import sys, networkx, shapely; print(f"Python {sys.version.split()[0]}, networkx {networkx.__version__}, shapely {shapely.__version__} (GEOS {shapely.geos_version_string})")')
echo "$NX_VERSIONS"
"$VENV/bin/python" "$HERE/nx_bench.py" --graph "$GRAPH" --cutoff-m "$CUTOFF_M" --buffer "$NX_BUFFER_M" \
  --warmup "$WARMUP" --times "$TIMES"

# ---------------------------------------------------------------- 4. infill
if [ "$MODE" != porto ]; then
  say "infill: skipped ($MODE graph; infill catchment-bench reads the PBF, so it would not be the same graph)"
elif ! has_subcommand catchment-bench; then
  say "infill: skipped (this build has no 'catchment-bench' subcommand)"
else
  # A failing infill run must not lose the peers' figures: warn and leave its rows empty.
  for kind in search polygon; do
    flag=()
    if [ "$kind" = polygon ]; then flag=(--polygon); fi
    say "infill catchment-bench ${flag[*]:-(search alone)}"
    if ! "$INFILL" catchment-bench "$PBF" --sources "$GRAPH/sources.csv" --minutes "$MINUTES" --speed "$SPEED" \
         "${flag[@]}" | tee "$TIMES/infill_$kind.txt"; then
      warn "infill catchment-bench ${flag[*]:-} failed"
      rm -f "$TIMES/infill_$kind.txt"
    fi
  done
fi

# ---------------------------------------------------------------- 5. table
say "results"
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
if [ "$MODE" = porto ]; then
  GRAPH_LABEL="Porto walk graph exported by \`infill graph-export\` from $(basename "$PBF")"
elif [ "$MODE" = given ]; then
  GRAPH_LABEL="graph from $GRAPH (infill not run)"
else
  GRAPH_LABEL="SYNTHETIC jittered-grid graph (benches/peers/synth_graph.py), NOT Porto"
fi
HEADER="# Catchment peers: $GRAPH_LABEL

$(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(nproc) cores, load average (1/5/15 min) $LOAD_BEFORE before the measurements, $LOAD_AFTER after.
Graph: $NODES_N nodes, $EDGES_N edges, $SOURCES_N sources$([ "$MODE" = given ] || echo " (seed $SEED)"); $MINUTES min at $SPEED m/s = ${CUTOFF_M} m; warm-up $WARMUP sources.
$PG_VERSIONS. $NX_VERSIONS.
pgRouting: server-side time per source (clock_timestamp() in a PL/pgSQL loop); networkx: time.perf_counter() in-process;
infill: as printed by \`infill catchment-bench\`. Ratios: peer / infill (search peers vs search, polygon peers vs --polygon)."
python3 "$HERE/report.py" --times "$TIMES" --out "$OUT/results.md" --header "$HEADER" \
  --pg-buffer "$PG_BUFFER_M" --nx-buffer "$NX_BUFFER_M"
echo
echo "written: $OUT/results.md (per-source timings in $TIMES)"
