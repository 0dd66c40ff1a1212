#!/usr/bin/env python3
"""Summarise the per-source timings of run.sh into one table: p50, p99, median reach and the
ratio of each peer to infill (search peers against `infill catchment-bench`, polygon peers against
`infill catchment-bench --polygon`). Prints the table and writes it as Markdown.

Percentiles use linear interpolation between order statistics (numpy's default).
Standard library only.
"""
import argparse
import csv
import os
import re
import statistics

# (file stem, label, infill counterpart)
PEERS = [
    ("pg_plain", "pgRouting pgr_drivingDistance, plain", "search"),
    ("pg_tuned", "pgRouting, edge SQL limited to a ±box around the source (tuned)", "search"),
    ("pg_plain_buffer", "pgRouting plain + PostGIS ST_Union(ST_Buffer(reached edges, {pg_buffer} m))", "polygon"),
    ("pg_tuned_buffer", "pgRouting tuned + PostGIS ST_Union(ST_Buffer(reached edges, {pg_buffer} m))", "polygon"),
    ("nx_search", "networkx single_source_dijkstra_path_length(cutoff)", "search"),
    ("nx_buffer", "networkx + shapely 2 buffer {nx_buffer} m + unary_union (OSMnx recipe)", "polygon"),
]


def percentile(sorted_values, q):
    pos = (len(sorted_values) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def fmt_us(us):
    if us is None:
        return "n/a"
    if us >= 1000:
        return f"{us / 1000:.3g} ms" if us < 100_000 else f"{us / 1000:.0f} ms"
    return f"{us:.3g} µs"


def fmt_ratio(peer, base):
    if peer is None or base is None or base <= 0:
        return "n/a"
    r = peer / base
    return f"{r:,.0f}×" if r >= 10 else f"{r:.2g}×"


def read_infill(path):
    """p50_us / p99_us from `infill catchment-bench` output (last line that has both)."""
    if not os.path.exists(path):
        return None
    found = None
    for line in open(path):
        p50 = re.search(r"p50_us=([0-9.eE+-]+)", line)
        p99 = re.search(r"p99_us=([0-9.eE+-]+)", line)
        if p50 and p99:
            found = (float(p50.group(1)), float(p99.group(1)))
    return found


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--times", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--header", default="", help="Markdown put above the table")
    ap.add_argument("--pg-buffer", default="50")
    ap.add_argument("--nx-buffer", default="25")
    a = ap.parse_args()

    infill = {
        "search": read_infill(os.path.join(a.times, "infill_search.txt")),
        "polygon": read_infill(os.path.join(a.times, "infill_polygon.txt")),
    }
    rows = []
    for kind, label in (("search", "infill catchment-bench (search alone)"),
                        ("polygon", "infill catchment-bench --polygon")):
        v = infill[kind]
        rows.append([label, fmt_us(v and v[0]), fmt_us(v and v[1]), "", "1×" if v else "n/a (not run)", "1×" if v else "n/a"])

    reaches = {}
    notes = []
    for stem, label, kind in PEERS:
        path = os.path.join(a.times, stem + ".csv")
        label = label.format(pg_buffer=a.pg_buffer, nx_buffer=a.nx_buffer)
        if not os.path.exists(path):
            rows.append([label, "skipped", "", "", "", ""])
            continue
        recs = list(csv.DictReader(open(path)))
        us = sorted(float(r["us"]) for r in recs)
        reaches[stem] = {r["src"]: int(r["reach"]) for r in recs}
        p50, p99 = percentile(us, 0.5), percentile(us, 0.99)
        base = infill[kind]
        rows.append([label, fmt_us(p50), fmt_us(p99), f"{statistics.median(reaches[stem].values()):g}",
                     fmt_ratio(p50, base and base[0]), fmt_ratio(p99, base and base[1])])

    # Every peer searches the same graph from the same sources: their reached-vertex counts must agree.
    if reaches:
        ref_stem, ref = next(iter(reaches.items()))
        for stem, r in reaches.items():
            bad = [s for s in ref if r.get(s) != ref[s]]
            if bad:
                notes.append(f"WARNING: {stem} reach differs from {ref_stem} for {len(bad)} of {len(ref)} sources "
                             f"(first: source {bad[0]}: {r.get(bad[0])} vs {ref[bad[0]]})")
        if not notes:
            notes.append(f"Reached-vertex counts agree across all peers for all {len(ref)} sources.")

    head = ["peer", "p50", "p99", "median reach (vertices)", "p50 / infill", "p99 / infill"]
    md = [a.header.rstrip(), "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    md += ["| " + " | ".join(r) + " |" for r in rows]
    md += [""] + notes + [""]
    text = "\n".join(md)
    with open(a.out, "w") as f:
        f.write(text.lstrip("\n"))
    print(text)


if __name__ == "__main__":
    main()
