-- Load an exported walk graph into pgRouting's edge table shape. Run by run.sh with psql, which
-- sets :speed (m/s) and :has_nodes ('on'/'off'); the \copy lines are issued by run.sh itself.
-- pgRouting ids are shifted by +1 (export ids are 0-based; keep clear of 0 as a vertex id).
\set ON_ERROR_STOP on
CREATE EXTENSION IF NOT EXISTS postgis;
CREATE EXTENSION IF NOT EXISTS pgrouting;

CREATE TABLE edges AS
SELECT id + 1 AS id, source + 1 AS source, target + 1 AS target,
       length_m / :speed AS cost, length_m / :speed AS reverse_cost,
       NULL::geometry(LineString) AS geom
FROM edges_raw;

\if :has_nodes
-- Straight segments between the end nodes: enough for the ±box filter and the buffer.
UPDATE edges e SET geom = ST_MakeLine(ST_MakePoint(a.x, a.y), ST_MakePoint(b.x, b.y))
FROM nodes_raw a, nodes_raw b WHERE a.node + 1 = e.source AND b.node + 1 = e.target;
CREATE TABLE nodes AS SELECT node + 1 AS id, x, y FROM nodes_raw;
ALTER TABLE nodes ADD PRIMARY KEY (id);
CREATE INDEX edges_geom_idx ON edges USING gist (geom);
\else
-- No coordinates: only the plain variant can run; peers_bench still needs the table.
CREATE TABLE nodes (id bigint PRIMARY KEY, x float8, y float8);
\endif

ALTER TABLE edges ADD PRIMARY KEY (id);
CREATE INDEX edges_source_idx ON edges (source);
CREATE INDEX edges_target_idx ON edges (target);
CREATE TABLE sources AS SELECT row_number() OVER () AS ord, node + 1 AS node FROM sources_raw;
DROP TABLE edges_raw, sources_raw;
VACUUM ANALYZE;
SELECT format('pgRouting edges: %s, sources: %s', (SELECT count(*) FROM edges), (SELECT count(*) FROM sources));
