-- Writers wait for this migration: the backfill below and the triggers after it see the same rows.
LOCK TABLE "inspections", "reviews", "cost_ledger" IN SHARE ROW EXCLUSIVE MODE;--> statement-breakpoint
CREATE TABLE "line_hour_rollups" (
	"line_id" text NOT NULL,
	"hour" timestamp with time zone NOT NULL,
	"key" text NOT NULL,
	"n" bigint DEFAULT 0 NOT NULL,
	"cost" double precision DEFAULT 0 NOT NULL,
	CONSTRAINT "line_hour_rollups_line_id_hour_key_pk" PRIMARY KEY("line_id","hour","key")
);
--> statement-breakpoint
CREATE TABLE "line_slot_rollups" (
	"line_id" text NOT NULL,
	"slot" timestamp with time zone NOT NULL,
	"key" text NOT NULL,
	"n" bigint DEFAULT 0 NOT NULL,
	"cost" double precision DEFAULT 0 NOT NULL,
	CONSTRAINT "line_slot_rollups_line_id_slot_key_pk" PRIMARY KEY("line_id","slot","key")
);
--> statement-breakpoint
ALTER TABLE "inspections" ADD COLUMN "review_label" text;--> statement-breakpoint
ALTER TABLE "inspections" ADD COLUMN "review_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "inspections" ADD COLUMN "review_id" uuid;--> statement-breakpoint
-- Histogram bucket of a latency (ms): 0 = [0, 1), b >= 1 = [2^((b-1)/8), 2^(b/8)), 288 from 2^35.875 up (NaN too).
CREATE FUNCTION tokenline_latency_bucket(ms double precision) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN ms IS NULL THEN NULL
              WHEN ms < 1 THEN 0
              WHEN NOT (ms < 68719476736) THEN 288
              ELSE least(288, 1 + floor(ln(ms) / ln(2) * 8)::integer) END
$$;--> statement-breakpoint
-- The rollup keys an inspection counts under (see lineHourRollups in lib/db/schema.ts); the
-- conditions are those of InspectionStatsRepository.lineWindowDirect, one key per count.
CREATE FUNCTION tokenline_rollup_keys(
  verdict text, disposition text, decided_by text, escalated boolean, escalation_reason text,
  edge_label text, cloud_label text, review_label text,
  latency_ms double precision, edge_latency_ms double precision, cloud_latency_ms double precision
) RETURNS SETOF text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT k FROM (
    SELECT coalesce(cloud_label, CASE WHEN NOT escalated AND disposition IS DISTINCT FROM 'held' THEN edge_label END) AS prior
  ) p, unnest(ARRAY[
    'inspections',
    CASE WHEN verdict IS NULL AND disposition IS DISTINCT FROM 'held' THEN 'pending' END,
    CASE WHEN verdict IS NULL AND disposition = 'held' THEN 'held' END,
    CASE WHEN escalated THEN 'escalated' END,
    CASE WHEN escalation_reason = 'audit' THEN 'audited' END,
    CASE WHEN escalated AND cloud_label IS NOT NULL AND edge_label IS NOT NULL THEN 'esc_total' END,
    CASE WHEN escalated AND edge_label = cloud_label THEN 'esc_agree' END,
    CASE WHEN escalation_reason = 'audit' AND cloud_label IS NOT NULL AND edge_label IS NOT NULL THEN 'audit_total' END,
    CASE WHEN escalation_reason = 'audit' AND edge_label = cloud_label THEN 'audit_agree' END,
    CASE WHEN edge_label IS NOT NULL AND (review_label IS NOT NULL OR (escalation_reason = 'audit' AND cloud_label IS NOT NULL)) THEN 'est_total' END,
    CASE WHEN edge_label = coalesce(review_label, CASE WHEN escalation_reason = 'audit' THEN cloud_label END) THEN 'est_correct' END,
    CASE WHEN review_label IS NOT NULL AND p.prior IS NOT NULL THEN 'rev_total' END,
    CASE WHEN review_label = p.prior THEN 'rev_correct' END,
    'verdict:' || verdict,
    'decided:' || decided_by,
    CASE WHEN verdict IS NOT NULL THEN 'lat:' || tokenline_latency_bucket(latency_ms) END,
    'edge_lat:' || tokenline_latency_bucket(edge_latency_ms),
    'cloud_lat:' || tokenline_latency_bucket(cloud_latency_ms)
  ]) k WHERE k IS NOT NULL
$$;--> statement-breakpoint
-- One line's figures over [p_from, p_to), cut by the caller at p_from <= p_s0 <= p_h0 <= p_h1 <= p_s1 <= p_to
-- (5-minute and hour boundaries; empty ranges where two are equal): whole hours from the hourly
-- rollups, whole slots from the 5-minute ones, the rest from the rows. A plpgsql function so each
-- connection plans it once. total = 1: the window's sum per key; 0: per hour (hourly's keys only).
CREATE FUNCTION tokenline_line_window(
  p_line text, p_from timestamptz, p_s0 timestamptz, p_h0 timestamptz, p_h1 timestamptz,
  p_s1 timestamptz, p_to timestamptz
) RETURNS TABLE (total integer, hour timestamptz, key text, n double precision, cost double precision)
LANGUAGE plpgsql STABLE AS $$
#variable_conflict use_column
BEGIN
  RETURN QUERY
  WITH parts (hour, key, n, cost) AS (
    SELECT r.hour, r.key, r.n::float8, r.cost
    FROM line_hour_rollups r
    WHERE r.line_id = p_line AND r.hour >= p_h0 AND r.hour < p_h1
    UNION ALL
    SELECT date_trunc('hour', s.slot, 'UTC'), s.key, s.n::float8, s.cost
    FROM line_slot_rollups s
    WHERE s.line_id = p_line AND s.slot >= p_s0 AND s.slot < p_h0
    UNION ALL
    SELECT date_trunc('hour', s.slot, 'UTC'), s.key, s.n::float8, s.cost
    FROM line_slot_rollups s
    WHERE s.line_id = p_line AND s.slot >= p_h1 AND s.slot < p_s1
    UNION ALL
    SELECT date_trunc('hour', i.received_at, 'UTC'), k.key, count(*)::float8, 0::float8
    FROM inspections i, LATERAL tokenline_rollup_keys(i.verdict, i.disposition, i.decided_by, i.escalated, i.escalation_reason, i.edge_label,
        i.cloud_label, i.review_label, i.latency_ms, i.edge_latency_ms, i.cloud_latency_ms) k(key)
    WHERE i.line_id = p_line AND i.received_at >= p_from AND i.received_at < p_s0
    GROUP BY 1, 2
    UNION ALL
    SELECT date_trunc('hour', i.received_at, 'UTC'), k.key, count(*)::float8, 0::float8
    FROM inspections i, LATERAL tokenline_rollup_keys(i.verdict, i.disposition, i.decided_by, i.escalated, i.escalation_reason, i.edge_label,
        i.cloud_label, i.review_label, i.latency_ms, i.edge_latency_ms, i.cloud_latency_ms) k(key)
    WHERE i.line_id = p_line AND i.received_at >= p_s1 AND i.received_at < p_to
    GROUP BY 1, 2
    UNION ALL
    SELECT date_trunc('hour', c.at, 'UTC'), 'ledger:' || c.tier, sum(c.tokens)::float8, sum(c.cost)::float8
    FROM cost_ledger c
    WHERE c.line_id = p_line AND c.at >= p_from AND c.at < p_s0
    GROUP BY 1, 2
    UNION ALL
    SELECT date_trunc('hour', c.at, 'UTC'), 'ledger:' || c.tier, sum(c.tokens)::float8, sum(c.cost)::float8
    FROM cost_ledger c
    WHERE c.line_id = p_line AND c.at >= p_s1 AND c.at < p_to
    GROUP BY 1, 2
  )
  SELECT grouping(parts.hour)::integer, parts.hour, parts.key, sum(parts.n)::float8, sum(parts.cost)::float8
  FROM parts
  GROUP BY GROUPING SETS ((parts.key), (parts.hour, parts.key))
  HAVING grouping(parts.hour) = 1 OR parts.key IN ('inspections', 'escalated', 'ledger:edge', 'ledger:cloud');
END
$$;--> statement-breakpoint
-- Statement-level triggers with transition tables: one grouped upsert per table and statement,
-- whatever its row count, rows locked in key order (concurrent writers of one line-hour queue
-- on its rows; a deadlock between multi-statement transactions is possible and retriable).
CREATE FUNCTION tokenline_inspections_rollup() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  -- One statement per operation: each names only the transition tables its trigger has.
  IF TG_OP = 'INSERT' THEN
    WITH d AS (
      SELECT i.line_id, i.received_at AS at, k.key, 1 AS w
      FROM rollup_new i, LATERAL tokenline_rollup_keys(i.verdict, i.disposition, i.decided_by, i.escalated, i.escalation_reason, i.edge_label,
        i.cloud_label, i.review_label, i.latency_ms, i.edge_latency_ms, i.cloud_latency_ms) k(key)
    ), hours AS (
      INSERT INTO line_hour_rollups AS r (line_id, hour, key, n)
      SELECT line_id, date_trunc('hour', at, 'UTC'), key, sum(w) FROM d
      GROUP BY 1, 2, 3 HAVING sum(w) <> 0 ORDER BY 1, 2, 3
      ON CONFLICT (line_id, hour, key) DO UPDATE SET n = r.n + excluded.n
    )
    INSERT INTO line_slot_rollups AS r (line_id, slot, key, n)
    SELECT line_id, date_bin('5 minutes', at, timestamptz '1970-01-01 00:00:00+00'), key, sum(w) FROM d
    GROUP BY 1, 2, 3 HAVING sum(w) <> 0 ORDER BY 1, 2, 3
    ON CONFLICT (line_id, slot, key) DO UPDATE SET n = r.n + excluded.n;
  ELSIF TG_OP = 'UPDATE' THEN
    WITH d AS (
      SELECT i.line_id, i.received_at AS at, k.key, -1 AS w
      FROM rollup_old i, LATERAL tokenline_rollup_keys(i.verdict, i.disposition, i.decided_by, i.escalated, i.escalation_reason, i.edge_label,
        i.cloud_label, i.review_label, i.latency_ms, i.edge_latency_ms, i.cloud_latency_ms) k(key)
      UNION ALL
      SELECT i.line_id, i.received_at AS at, k.key, 1 AS w
      FROM rollup_new i, LATERAL tokenline_rollup_keys(i.verdict, i.disposition, i.decided_by, i.escalated, i.escalation_reason, i.edge_label,
        i.cloud_label, i.review_label, i.latency_ms, i.edge_latency_ms, i.cloud_latency_ms) k(key)
    ), hours AS (
      INSERT INTO line_hour_rollups AS r (line_id, hour, key, n)
      SELECT line_id, date_trunc('hour', at, 'UTC'), key, sum(w) FROM d
      GROUP BY 1, 2, 3 HAVING sum(w) <> 0 ORDER BY 1, 2, 3
      ON CONFLICT (line_id, hour, key) DO UPDATE SET n = r.n + excluded.n
    )
    INSERT INTO line_slot_rollups AS r (line_id, slot, key, n)
    SELECT line_id, date_bin('5 minutes', at, timestamptz '1970-01-01 00:00:00+00'), key, sum(w) FROM d
    GROUP BY 1, 2, 3 HAVING sum(w) <> 0 ORDER BY 1, 2, 3
    ON CONFLICT (line_id, slot, key) DO UPDATE SET n = r.n + excluded.n;
  ELSIF TG_OP = 'DELETE' THEN
    WITH d AS (
      SELECT i.line_id, i.received_at AS at, k.key, -1 AS w
      FROM rollup_old i, LATERAL tokenline_rollup_keys(i.verdict, i.disposition, i.decided_by, i.escalated, i.escalation_reason, i.edge_label,
        i.cloud_label, i.review_label, i.latency_ms, i.edge_latency_ms, i.cloud_latency_ms) k(key)
    ), hours AS (
      INSERT INTO line_hour_rollups AS r (line_id, hour, key, n)
      SELECT line_id, date_trunc('hour', at, 'UTC'), key, sum(w) FROM d
      GROUP BY 1, 2, 3 HAVING sum(w) <> 0 ORDER BY 1, 2, 3
      ON CONFLICT (line_id, hour, key) DO UPDATE SET n = r.n + excluded.n
    )
    INSERT INTO line_slot_rollups AS r (line_id, slot, key, n)
    SELECT line_id, date_bin('5 minutes', at, timestamptz '1970-01-01 00:00:00+00'), key, sum(w) FROM d
    GROUP BY 1, 2, 3 HAVING sum(w) <> 0 ORDER BY 1, 2, 3
    ON CONFLICT (line_id, slot, key) DO UPDATE SET n = r.n + excluded.n;
  ELSE
    DELETE FROM line_hour_rollups WHERE key NOT LIKE 'ledger:%';
    DELETE FROM line_slot_rollups WHERE key NOT LIKE 'ledger:%';
  END IF;
  RETURN NULL;
END
$$;--> statement-breakpoint
CREATE FUNCTION tokenline_cost_ledger_rollup() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  -- One statement per operation: each names only the transition tables its trigger has.
  IF TG_OP = 'INSERT' THEN
    WITH d AS (
      SELECT c.line_id, c.at, 'ledger:' || c.tier AS key, c.tokens::bigint AS tokens, c.cost AS cost
      FROM rollup_new c
    ), hours AS (
      INSERT INTO line_hour_rollups AS r (line_id, hour, key, n, cost)
      SELECT line_id, date_trunc('hour', at, 'UTC'), key, sum(tokens), sum(cost) FROM d
      GROUP BY 1, 2, 3 HAVING sum(tokens) <> 0 OR sum(cost) <> 0 ORDER BY 1, 2, 3
      ON CONFLICT (line_id, hour, key) DO UPDATE SET n = r.n + excluded.n, cost = r.cost + excluded.cost
    )
    INSERT INTO line_slot_rollups AS r (line_id, slot, key, n, cost)
    SELECT line_id, date_bin('5 minutes', at, timestamptz '1970-01-01 00:00:00+00'), key, sum(tokens), sum(cost) FROM d
    GROUP BY 1, 2, 3 HAVING sum(tokens) <> 0 OR sum(cost) <> 0 ORDER BY 1, 2, 3
    ON CONFLICT (line_id, slot, key) DO UPDATE SET n = r.n + excluded.n, cost = r.cost + excluded.cost;
  ELSIF TG_OP = 'UPDATE' THEN
    WITH d AS (
      SELECT c.line_id, c.at, 'ledger:' || c.tier AS key, -c.tokens::bigint AS tokens, -c.cost AS cost
      FROM rollup_old c
      UNION ALL
      SELECT c.line_id, c.at, 'ledger:' || c.tier AS key, c.tokens::bigint AS tokens, c.cost AS cost
      FROM rollup_new c
    ), hours AS (
      INSERT INTO line_hour_rollups AS r (line_id, hour, key, n, cost)
      SELECT line_id, date_trunc('hour', at, 'UTC'), key, sum(tokens), sum(cost) FROM d
      GROUP BY 1, 2, 3 HAVING sum(tokens) <> 0 OR sum(cost) <> 0 ORDER BY 1, 2, 3
      ON CONFLICT (line_id, hour, key) DO UPDATE SET n = r.n + excluded.n, cost = r.cost + excluded.cost
    )
    INSERT INTO line_slot_rollups AS r (line_id, slot, key, n, cost)
    SELECT line_id, date_bin('5 minutes', at, timestamptz '1970-01-01 00:00:00+00'), key, sum(tokens), sum(cost) FROM d
    GROUP BY 1, 2, 3 HAVING sum(tokens) <> 0 OR sum(cost) <> 0 ORDER BY 1, 2, 3
    ON CONFLICT (line_id, slot, key) DO UPDATE SET n = r.n + excluded.n, cost = r.cost + excluded.cost;
  ELSIF TG_OP = 'DELETE' THEN
    WITH d AS (
      SELECT c.line_id, c.at, 'ledger:' || c.tier AS key, -c.tokens::bigint AS tokens, -c.cost AS cost
      FROM rollup_old c
    ), hours AS (
      INSERT INTO line_hour_rollups AS r (line_id, hour, key, n, cost)
      SELECT line_id, date_trunc('hour', at, 'UTC'), key, sum(tokens), sum(cost) FROM d
      GROUP BY 1, 2, 3 HAVING sum(tokens) <> 0 OR sum(cost) <> 0 ORDER BY 1, 2, 3
      ON CONFLICT (line_id, hour, key) DO UPDATE SET n = r.n + excluded.n, cost = r.cost + excluded.cost
    )
    INSERT INTO line_slot_rollups AS r (line_id, slot, key, n, cost)
    SELECT line_id, date_bin('5 minutes', at, timestamptz '1970-01-01 00:00:00+00'), key, sum(tokens), sum(cost) FROM d
    GROUP BY 1, 2, 3 HAVING sum(tokens) <> 0 OR sum(cost) <> 0 ORDER BY 1, 2, 3
    ON CONFLICT (line_id, slot, key) DO UPDATE SET n = r.n + excluded.n, cost = r.cost + excluded.cost;
  ELSE
    DELETE FROM line_hour_rollups WHERE key LIKE 'ledger:%';
    DELETE FROM line_slot_rollups WHERE key LIKE 'ledger:%';
  END IF;
  RETURN NULL;
END
$$;--> statement-breakpoint
-- The latest review wins by (created_at, id), as lineWindowDirect orders them; the condition is
-- checked again on the newest row version when two reviews of one inspection race.
CREATE FUNCTION tokenline_review_latest() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  UPDATE inspections SET review_label = NEW.label, review_at = NEW.created_at, review_id = NEW.id
  WHERE id = NEW.inspection_id
    AND (review_at IS NULL OR (review_at, review_id) < (NEW.created_at, NEW.id));
  RETURN NULL;
END
$$;--> statement-breakpoint
UPDATE inspections i SET review_label = r.label, review_at = r.created_at, review_id = r.id
FROM (
  SELECT DISTINCT ON (inspection_id) inspection_id, label, created_at, id
  FROM reviews ORDER BY inspection_id, created_at DESC, id DESC
) r
WHERE r.inspection_id = i.id;--> statement-breakpoint
CREATE TEMPORARY TABLE rollup_backfill ON COMMIT DROP AS
SELECT i.line_id, date_bin('5 minutes', i.received_at, timestamptz '1970-01-01 00:00:00+00') AS slot, k.key, count(*)::bigint AS n, 0::float8 AS cost
FROM inspections i, LATERAL tokenline_rollup_keys(i.verdict, i.disposition, i.decided_by, i.escalated, i.escalation_reason, i.edge_label,
        i.cloud_label, i.review_label, i.latency_ms, i.edge_latency_ms, i.cloud_latency_ms) k(key)
GROUP BY 1, 2, 3
UNION ALL
SELECT line_id, date_bin('5 minutes', at, timestamptz '1970-01-01 00:00:00+00'), 'ledger:' || tier, sum(tokens)::bigint, sum(cost)::float8
FROM cost_ledger GROUP BY 1, 2, 3;--> statement-breakpoint
INSERT INTO line_slot_rollups (line_id, slot, key, n, cost) SELECT line_id, slot, key, n, cost FROM rollup_backfill;--> statement-breakpoint
INSERT INTO line_hour_rollups (line_id, hour, key, n, cost)
SELECT line_id, date_trunc('hour', slot, 'UTC'), key, sum(n), sum(cost) FROM rollup_backfill GROUP BY 1, 2, 3;--> statement-breakpoint
DROP TABLE rollup_backfill;--> statement-breakpoint
CREATE TRIGGER inspections_rollup_insert AFTER INSERT ON inspections
  REFERENCING NEW TABLE AS rollup_new FOR EACH STATEMENT EXECUTE FUNCTION tokenline_inspections_rollup();--> statement-breakpoint
CREATE TRIGGER inspections_rollup_update AFTER UPDATE ON inspections
  REFERENCING OLD TABLE AS rollup_old NEW TABLE AS rollup_new FOR EACH STATEMENT EXECUTE FUNCTION tokenline_inspections_rollup();--> statement-breakpoint
CREATE TRIGGER inspections_rollup_delete AFTER DELETE ON inspections
  REFERENCING OLD TABLE AS rollup_old FOR EACH STATEMENT EXECUTE FUNCTION tokenline_inspections_rollup();--> statement-breakpoint
CREATE TRIGGER inspections_rollup_truncate AFTER TRUNCATE ON inspections
  FOR EACH STATEMENT EXECUTE FUNCTION tokenline_inspections_rollup();--> statement-breakpoint
CREATE TRIGGER cost_ledger_rollup_insert AFTER INSERT ON cost_ledger
  REFERENCING NEW TABLE AS rollup_new FOR EACH STATEMENT EXECUTE FUNCTION tokenline_cost_ledger_rollup();--> statement-breakpoint
CREATE TRIGGER cost_ledger_rollup_update AFTER UPDATE ON cost_ledger
  REFERENCING OLD TABLE AS rollup_old NEW TABLE AS rollup_new FOR EACH STATEMENT EXECUTE FUNCTION tokenline_cost_ledger_rollup();--> statement-breakpoint
CREATE TRIGGER cost_ledger_rollup_delete AFTER DELETE ON cost_ledger
  REFERENCING OLD TABLE AS rollup_old FOR EACH STATEMENT EXECUTE FUNCTION tokenline_cost_ledger_rollup();--> statement-breakpoint
CREATE TRIGGER cost_ledger_rollup_truncate AFTER TRUNCATE ON cost_ledger
  FOR EACH STATEMENT EXECUTE FUNCTION tokenline_cost_ledger_rollup();--> statement-breakpoint
CREATE TRIGGER reviews_latest AFTER INSERT ON reviews
  FOR EACH ROW EXECUTE FUNCTION tokenline_review_latest();