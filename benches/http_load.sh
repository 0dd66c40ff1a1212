#!/usr/bin/env bash
# HTTP load on the release server: wrk, 64 connections for 30 s per query (an OGC items page and
# the candidate query), reporting p50/p99 latency, requests/s, errors and the server's RSS before
# and after. Not part of CI.
#
#   bash benches/http_load.sh [project]          # default: data/
#   CONNECTIONS=64 DURATION=30s THREADS=2 TYPE=elderly_day_care bash benches/http_load.sh
#
# Needs wrk (Debian: apt-get install wrk).
set -euo pipefail
cd "$(dirname "$0")/.."
project=${1:-data}
connections=${CONNECTIONS:-64}
duration=${DURATION:-30s}
threads=${THREADS:-2}
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 2; }

cargo build --release --quiet
work=$(mktemp -d)
RUST_LOG=warn ./target/release/infill serve "$project" --addr 127.0.0.1:0 >"$work/out" 2>"$work/err" &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 600); do
  grep -q serving "$work/out" 2>/dev/null && break
  kill -0 "$pid" 2>/dev/null || { cat "$work/err" >&2; exit 1; }
  sleep 0.1
done
url=$(awk '/serving/ {print $NF}' "$work/out")
url=${url%/}
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$pid/status"; }

cat >"$work/report.lua" <<'LUA'
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT p50_ms=%.3f p99_ms=%.3f max_ms=%.3f requests=%d rps=%.0f errors=%d (connect %d, read %d, write %d, status %d, timeout %d)\n",
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    summary.requests, summary.requests / (summary.duration / 1e6),
    e.connect + e.read + e.write + e.status + e.timeout,
    e.connect, e.read, e.write, e.status, e.timeout))
end
LUA

type=${TYPE:-elderly_day_care}
declare -a names=("items page" "candidate query")
declare -a paths=(
  "/collections/buildings/items?limit=10&offset=100"
  "/api/candidates?type=$type&limit=10&crs=gcj02"
)
echo "server: $url ($project), pid $pid; wrk -t$threads -c$connections -d$duration"
echo "rss_before_kb=$(rss_kb)"
for i in "${!paths[@]}"; do
  target="$url${paths[$i]}"
  code=$(curl -s -o /dev/null -w '%{http_code}' "$target")
  [ "$code" = 200 ] || { echo "${names[$i]}: $target answered $code" >&2; exit 1; }
  echo "== ${names[$i]}: ${paths[$i]}"
  wrk -t"$threads" -c"$connections" -d"$duration" --latency -s "$work/report.lua" "$target" | grep -E 'RESULT|Non-2xx|Socket errors' || true
  echo "rss_after_kb=$(rss_kb)"
done
