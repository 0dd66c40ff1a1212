-- peers_bench(variant, cutoff_s, box_m, buffer_m, warmup): one row per source (src, us, reach).
--
-- Timing is server-side: clock_timestamp() around each query inside this PL/pgSQL loop, so it
-- counts pgRouting's own SPI run of the edge SQL, the graph build and the search (and, for the
-- buffer variants, PostGIS), but no client round trip and no result transfer. The first `warmup`
-- sources are run once, untimed, first.
--   plain         pgr_drivingDistance('SELECT id, source, target, cost, reverse_cost FROM edges', src, cutoff)
--   tuned         the same, edge SQL limited to edges whose bbox meets a ±box_m square around the
--                 source (exact when box_m >= cutoff x speed: nothing farther is reachable)
--   plain_buffer  plain, then ST_Union(ST_Buffer(geom, buffer_m)) of the edges with both ends reached
--   tuned_buffer  tuned, then the same buffer and union
CREATE OR REPLACE FUNCTION peers_bench(variant text, cutoff_s float8, box_m float8, buffer_m float8, warmup int)
RETURNS TABLE (src bigint, us float8, reach bigint) LANGUAGE plpgsql AS $fn$
DECLARE
  s record;
  q text;
  t0 timestamptz;
  n bigint;
  poly geometry;
  pass int;
BEGIN
  FOR pass IN 0..1 LOOP
    FOR s IN SELECT so.ord, so.node, nd.x, nd.y
             FROM sources so LEFT JOIN nodes nd ON nd.id = so.node
             WHERE pass = 1 OR so.ord <= warmup ORDER BY so.ord LOOP
      IF variant LIKE 'tuned%' THEN
        q := format('SELECT id, source, target, cost, reverse_cost FROM edges '
                    'WHERE geom && ST_MakeEnvelope(%s, %s, %s, %s)',
                    s.x - box_m, s.y - box_m, s.x + box_m, s.y + box_m);
      ELSE
        q := 'SELECT id, source, target, cost, reverse_cost FROM edges';
      END IF;
      t0 := clock_timestamp();
      IF variant LIKE '%buffer' THEN
        WITH dd AS (SELECT node FROM pgr_drivingDistance(q, s.node, cutoff_s))
        SELECT (SELECT count(*) FROM dd),
               (SELECT ST_Union(ST_Buffer(e.geom, buffer_m))
                FROM edges e JOIN dd a ON a.node = e.source JOIN dd b ON b.node = e.target)
        INTO n, poly;
      ELSE
        SELECT count(*) INTO n FROM pgr_drivingDistance(q, s.node, cutoff_s);
      END IF;
      IF pass = 1 THEN
        src := s.node - 1;  -- back to the export's 0-based id
        us := extract(epoch FROM clock_timestamp() - t0) * 1e6;
        reach := n;
        RETURN NEXT;
      END IF;
    END LOOP;
  END LOOP;
END
$fn$;
