#!/usr/bin/env python3
"""Synthetic walk graph in the `infill graph-export` format, for testing the peer benchmarks
without infill: a jittered grid with about a third of its links removed, largest component kept.

Writes OUT/edges.csv (id,source,target,length_m), OUT/nodes.csv (node,x,y in metres) and
OUT/sources.csv (node). Defaults give ~73k nodes and ~100k edges, the size of the Porto walk graph.
Standard library only, deterministic for a given seed.
"""
import argparse
import csv
import math
import os
import random


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--side", type=int, default=272, help="grid nodes per side")
    ap.add_argument("--spacing", type=float, default=93.0, help="grid spacing in metres")
    ap.add_argument("--keep", type=float, default=0.69, help="fraction of grid links kept")
    ap.add_argument("--sources", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    n = a.side
    jitter = 0.3 * a.spacing
    xy = [(i % n * a.spacing + rng.uniform(-jitter, jitter), i // n * a.spacing + rng.uniform(-jitter, jitter))
          for i in range(n * n)]
    links = []
    for i in range(n * n):
        r, c = divmod(i, n)
        if c + 1 < n and rng.random() < a.keep:
            links.append((i, i + 1))
        if r + 1 < n and rng.random() < a.keep:
            links.append((i, i + n))

    # Keep the largest connected component (union-find), renumber its nodes 0..k-1.
    parent = list(range(n * n))

    def find(u):
        while parent[u] != u:
            parent[u] = parent[parent[u]]
            u = parent[u]
        return u

    for u, v in links:
        ru, rv = find(u), find(v)
        if ru != rv:
            parent[ru] = rv
    sizes = {}
    for u in range(n * n):
        r = find(u)
        sizes[r] = sizes.get(r, 0) + 1
    big = max(sizes, key=sizes.get)
    new_id = {}
    for u in range(n * n):
        if find(u) == big:
            new_id[u] = len(new_id)

    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "nodes.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["node", "x", "y"])
        for u, k in new_id.items():
            w.writerow([k, f"{xy[u][0]:.2f}", f"{xy[u][1]:.2f}"])
    m = 0
    with open(os.path.join(a.out, "edges.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "source", "target", "length_m"])
        for u, v in links:
            if u in new_id and v in new_id:
                # Streets are a little longer than the straight line between their ends.
                length = math.dist(xy[u], xy[v]) * rng.uniform(1.0, 1.15)
                w.writerow([m, new_id[u], new_id[v], f"{length:.3f}"])
                m += 1
    with open(os.path.join(a.out, "sources.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["node"])
        for k in rng.sample(range(len(new_id)), a.sources):
            w.writerow([k])
    print(f"synthetic graph: {len(new_id)} nodes, {m} edges, {a.sources} sources -> {a.out}")


if __name__ == "__main__":
    main()
