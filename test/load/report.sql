-- test/load/report.sql: the figures of a load run, from the pgbench
-- transaction logs (load.txlog, loaded by scripts/load.sh), the refreshes'
-- own step timings (load.refresh_log) and the ledger.  -v seconds=N
\set ON_ERROR_STOP 1
\pset footer off

\echo '== transactions per script (pgbench; latency includes lock waits)'
SELECT t.role, s.script, count(*) FILTER (WHERE t.latency_us IS NOT NULL) AS transactions,
       round(count(*) FILTER (WHERE t.latency_us IS NOT NULL) / :seconds::numeric, 1) AS tps,
       count(*) FILTER (WHERE t.latency_us IS NULL) AS failed,
       sum(t.retries) AS retries,
       round(avg(t.latency_us) / 1000, 1) AS avg_ms,
       round((percentile_cont(0.95) WITHIN GROUP (ORDER BY t.latency_us) / 1000)::numeric, 1) AS p95_ms,
       round(max(t.latency_us) / 1000.0, 1) AS max_ms
FROM load.txlog t JOIN load.scripts s USING (role, script_no)
GROUP BY t.role, s.script, s.ord ORDER BY s.ord;

\echo '== refreshes (clv_refresh_pipeline''s own timings, ms; load: during the run, final: after it)'
SELECT kind, phase, count(*) AS refreshes,
       round(avg(total)) AS avg_ms, round(percentile_cont(0.95) WITHIN GROUP (ORDER BY total)) AS p95_ms,
       max(total) AS max_ms, round(avg(summary_state)) AS avg_summary_state_ms,
       round(avg(customers)) AS avg_customers_summarised
FROM (SELECT refresh, kind, phase, sum(ms) AS total,
             sum(ms) FILTER (WHERE step = 'summary_state') AS summary_state,
             max(substring(line FROM ': (\d+) customers')::bigint) AS customers
      FROM load.refresh_log GROUP BY refresh, kind, phase) r
GROUP BY kind, phase ORDER BY phase DESC, kind;

\echo '== refresh steps during the run (avg ms)'
SELECT step, round(avg(ms) FILTER (WHERE kind = 'incremental')) AS incremental,
       round(avg(ms) FILTER (WHERE kind = 'full')) AS full
FROM load.refresh_log WHERE phase = 'load'
GROUP BY step
ORDER BY array_position(ARRAY['summary_state', 'customer_summary', 'models', 'customer_scores', 'segments',
                            'value_tiers', 'declining_customers', 'monthly', 'channels', 'cohorts'], step);

\echo '== rows written (ledger)'
SELECT kind, count(*) AS rows, round(sum(amount), 2) AS amount, count(DISTINCT customer_id) AS customers
FROM load.ledger GROUP BY kind
UNION ALL
SELECT 'all', count(*), round(sum(amount), 2), count(DISTINCT customer_id) FROM load.ledger
ORDER BY rows;

\echo '== lock waits of a second or more (log_lock_waits), by lock and relation'
SELECT substring(line FROM 'still waiting for (\w+)') AS mode,
       coalesce(substring(line FROM 'relation (\d+)')::oid::regclass::text,
                substring(line FROM 'on (\w+)')) AS waiting_on,
       count(*) AS waits,
       max(substring(line FROM 'after ([0-9.]+) ms')::numeric) AS longest_ms_when_logged
FROM load.lock_waits GROUP BY 1, 2 ORDER BY 3 DESC;
