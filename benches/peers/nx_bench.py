#!/usr/bin/env python3
"""networkx and networkx + shapely 2 (the OSMnx isochrone recipe) on an exported walk graph.

Times each source client-side with time.perf_counter() in this process, after a warm-up, and
writes one CSV per peer (src,us,reach) into --times:
  nx_search.csv  single_source_dijkstra_path_length(G, s, cutoff, weight='length')
  nx_buffer.csv  the same search, then every edge with both ends reached (G.subgraph(reached), as
                 OSMnx's isochrone example does) buffered by --buffer metres and unary_union'ed.
The buffer peer needs node coordinates (nodes.csv); without it only nx_search runs.
"""
import argparse
import csv
import os
import sys
import time

import networkx as nx
import shapely


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--graph", required=True, help="folder with edges.csv, sources.csv, nodes.csv")
    ap.add_argument("--cutoff-m", type=float, default=900.0)
    ap.add_argument("--buffer", type=float, default=25.0)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--times", required=True)
    a = ap.parse_args()

    edges = [(int(r["source"]), int(r["target"]), float(r["length_m"])) for r in read_csv(os.path.join(a.graph, "edges.csv"))]
    sources = [int(r["node"]) for r in read_csv(os.path.join(a.graph, "sources.csv"))]
    G = nx.Graph()
    for u, v, length in edges:
        # A simple Graph keeps one edge per node pair: keep the shortest, as a MultiGraph search would.
        if not G.has_edge(u, v) or G[u][v]["length"] > length:
            G.add_edge(u, v, length=length)
    print(f"networkx graph: {G.number_of_nodes()} nodes, {G.number_of_edges()} edges "
          f"({len(edges)} in edges.csv), {len(sources)} sources", file=sys.stderr)
    os.makedirs(a.times, exist_ok=True)

    def search(s):
        return nx.single_source_dijkstra_path_length(G, s, cutoff=a.cutoff_m, weight="length")

    def run(name, fn):
        for s in sources[: a.warmup]:
            fn(s)
        with open(os.path.join(a.times, name + ".csv"), "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["src", "us", "reach"])
            for s in sources:
                t0 = time.perf_counter()
                reach = fn(s)
                w.writerow([s, f"{(time.perf_counter() - t0) * 1e6:.1f}", reach])

    run("nx_search", lambda s: len(search(s)))

    nodes_csv = os.path.join(a.graph, "nodes.csv")
    if not os.path.exists(nodes_csv):
        print("nodes.csv missing: skipping networkx + shapely buffer", file=sys.stderr)
        return
    xy = {int(r["node"]): (float(r["x"]), float(r["y"])) for r in read_csv(nodes_csv)}
    # Edge geometries are built once up front, as OSMnx holds them in its GeoDataFrame already.
    # Every edge of edges.csv (parallel ones too) keeps its own straight-segment geometry.
    incident = {}
    for u, v, _ in edges:
        line = shapely.LineString([xy[u], xy[v]])
        incident.setdefault(u, []).append((v, line))
        if v != u:
            incident.setdefault(v, []).append((u, line))

    def search_and_polygon(s):
        reached = search(s)
        lines = [line for u in reached for v, line in incident.get(u, ()) if v in reached and u <= v]
        poly = shapely.unary_union(shapely.buffer(lines, a.buffer))
        assert not poly.is_empty
        return len(reached)

    run("nx_buffer", search_and_polygon)


if __name__ == "__main__":
    main()
