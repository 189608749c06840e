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
ALTER TABLE "inspections" ADD COLUMN "review_label" text;--> statement-breakpoint
ALTER TABLE "inspections" ADD COLUMN "review_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "inspections" ADD COLUMN "review_id" uuid;;--> statement-breakpoint
-- Histogram bucket of a latency (ms): 0 = [0, 1), b >= 1 = [2^((b-1)/8), 2^(b/8)), 288 = from 2^35.875 up (NaN too).
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
-- Statement-level, with transition tables: one grouped upsert per statement whatever its row
-- count, rows locked in key order (concurrent writers of one line-hour queue on its rows).
CREATE FUNCTION tokenline_inspections_rollup() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  -- One statement per operation: each names only the transition tables its trigger has.
  IF TG_OP = 'INSERT' THEN
    INSERT INTO line_hour_rollups AS r (line_id, hour, key, n)
    SELECT d.line_id, d.hour, d.key, sum(d.w)
    FROM (
      SELECT i.line_id, date_trunc('hour', i.received_at, 'UTC') AS hour, k.key, 1 AS w
      FROM rollup_new i, LATERAL tokenline_rollup_keys(i.verdict, i.disposition, i.decided_by, i.escalated,
        i.escalation_reason, i.edge_label, i.cloud_label, i.review_label, i.latency_ms, i.edge_latency_ms,
        i.cloud_latency_ms) k(key)
    ) d
    GROUP BY 1, 2, 3 HAVING sum(d.w) <> 0 ORDER BY 1, 2, 3
    ON CONFLICT (line_id, hour, key) DO UPDATE SET n = r.n + excluded.n;
  ELSIF TG_OP = 'UPDATE' THEN
    INSERT INTO line_hour_rollups AS r (line_id, hour, key, n)
    SELECT d.line_id, d.hour, d.key, sum(d.w)
    FROM (
      SELECT i.line_id, date_trunc('hour', i.received_at, 'UTC') AS hour, k.key, -1 AS w
      FROM rollup_old i, LATERAL tokenline_rollup_keys(i.verdict, i.disposition, i.decided_by, i.escalated,
        i.escalation_reason, i.edge_label, i.cloud_label, i.review_label, i.latency_ms, i.edge_latency_ms,
        i.cloud_latency_ms) k(key)
      UNION ALL
      SELECT i.line_id, date_trunc('hour', i.received_at, 'UTC') AS hour, k.key, 1 AS w
      FROM rollup_new i, LATERAL tokenline_rollup_keys(i.verdict, i.disposition, i.decided_by, i.escalated,
        i.escalation_reason, i.edge_label, i.cloud_label, i.review_label, i.latency_ms, i.edge_latency_ms,
        i.cloud_latency_ms) k(key)
    ) d
    GROUP BY 1, 2, 3 HAVING sum(d.w) <> 0 ORDER BY 1, 2, 3
    ON CONFLICT (line_id, hour, key) DO UPDATE SET n = r.n + excluded.n;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO line_hour_rollups AS r (line_id, hour, key, n)
    SELECT d.line_id, d.hour, d.key, sum(d.w)
    FROM (
      SELECT i.line_id, date_trunc('hour', i.received_at, 'UTC') AS hour, k.key, -1 AS w
      FROM rollup_old i, LATERAL tokenline_rollup_keys(i.verdict, i.disposition, i.decided_by, i.escalated,
        i.escalation_reason, i.edge_label, i.cloud_label, i.review_label, i.latency_ms, i.edge_latency_ms,
        i.cloud_latency_ms) k(key)
    ) d
    GROUP BY 1, 2, 3 HAVING sum(d.w) <> 0 ORDER BY 1, 2, 3
    ON CONFLICT (line_id, hour, key) DO UPDATE SET n = r.n + excluded.n;
  ELSE
    DELETE FROM line_hour_rollups WHERE key NOT LIKE 'ledger:%';
  END IF;
  RETURN NULL;
END
$$;--> statement-breakpoint
CREATE FUNCTION tokenline_cost_ledger_rollup() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  -- One statement per operation: each names only the transition tables its trigger has.
  IF TG_OP = 'INSERT' THEN
    INSERT INTO line_hour_rollups AS r (line_id, hour, key, n, cost)
    SELECT d.line_id, d.hour, d.key, sum(d.tokens), sum(d.cost)
    FROM (
      SELECT c.line_id, date_trunc('hour', c.at, 'UTC') AS hour, 'ledger:' || c.tier AS key,
        c.tokens::bigint AS tokens, c.cost AS cost
      FROM rollup_new c
    ) d
    GROUP BY 1, 2, 3 HAVING sum(d.tokens) <> 0 OR sum(d.cost) <> 0 ORDER BY 1, 2, 3
    ON CONFLICT (line_id, hour, key) DO UPDATE SET n = r.n + excluded.n, cost = r.cost + excluded.cost;
  ELSIF TG_OP = 'UPDATE' THEN
    INSERT INTO line_hour_rollups AS r (line_id, hour, key, n, cost)
    SELECT d.line_id, d.hour, d.key, sum(d.tokens), sum(d.cost)
    FROM (
      SELECT c.line_id, date_trunc('hour', c.at, 'UTC') AS hour, 'ledger:' || c.tier AS key,
        -c.tokens::bigint AS tokens, -c.cost AS cost
      FROM rollup_old c
      UNION ALL
      SELECT c.line_id, date_trunc('hour', c.at, 'UTC') AS hour, 'ledger:' || c.tier AS key,
        c.tokens::bigint AS tokens, c.cost AS cost
      FROM rollup_new c
    ) d
    GROUP BY 1, 2, 3 HAVING sum(d.tokens) <> 0 OR sum(d.cost) <> 0 ORDER BY 1, 2, 3
    ON CONFLICT (line_id, hour, key) DO UPDATE SET n = r.n + excluded.n, cost = r.cost + excluded.cost;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO line_hour_rollups AS r (line_id, hour, key, n, cost)
    SELECT d.line_id, d.hour, d.key, sum(d.tokens), sum(d.cost)
    FROM (
      SELECT c.line_id, date_trunc('hour', c.at, 'UTC') AS hour, 'ledger:' || c.tier AS key,
        -c.tokens::bigint AS tokens, -c.cost AS cost
      FROM rollup_old c
    ) d
    GROUP BY 1, 2, 3 HAVING sum(d.tokens) <> 0 OR sum(d.cost) <> 0 ORDER BY 1, 2, 3
    ON CONFLICT (line_id, hour, key) DO UPDATE SET n = r.n + excluded.n, cost = r.cost + excluded.cost;
  ELSE
    DELETE FROM line_hour_rollups WHERE key LIKE 'ledger:%';
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
INSERT INTO line_hour_rollups (line_id, hour, key, n)
SELECT i.line_id, date_trunc('hour', i.received_at, 'UTC'), k.key, count(*)
FROM inspections i, LATERAL tokenline_rollup_keys(i.verdict, i.disposition, i.decided_by, i.escalated,
  i.escalation_reason, i.edge_label, i.cloud_label, i.review_label, i.latency_ms, i.edge_latency_ms,
  i.cloud_latency_ms) k(key)
GROUP BY 1, 2, 3;--> statement-breakpoint
INSERT INTO line_hour_rollups (line_id, hour, key, n, cost)
SELECT line_id, date_trunc('hour', at, 'UTC'), 'ledger:' || tier, sum(tokens), sum(cost)
FROM cost_ledger GROUP BY 1, 2, 3;--> statement-breakpoint
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