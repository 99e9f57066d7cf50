-- Times test/bench/{baseline,clv_summary,plain_sql}.sql on the table
-- `orders`, all in this one session, and prints the results table.
-- psql variables: runs (timed runs per query, after one warm-up run each).
-- Run from the repository root; test/bench/summary.sh sets everything up.
--
-- Each run is EXPLAIN (ANALYZE, TIMING OFF, SUMMARY ON) of the bare query,
-- and its "Execution Time" is taken: the executor computes every aggregate
-- and forms every result row (clv_summary's composite included), but no
-- row is converted to text or sent to the client, for any of the three
-- queries.  (A wrapper such as SELECT count(*) FROM (query) q would not do:
-- the planner drops an unreferenced aggregate from the subquery.)
-- Rounds are interleaved (baseline, clv_summary, plain SQL, baseline, ...)
-- so that drift on the machine affects the three alike; the median is
-- reported.
\set q_baseline `cat test/bench/baseline.sql`
\set q_clv `cat test/bench/clv_summary.sql`
\set q_plain `cat test/bench/plain_sql.sql`

\ir bench_runs.psql

CREATE TEMP TABLE bench_queries (ord int, label text, query text);
INSERT INTO bench_queries VALUES
    (1, '1. baseline: count, sum, min, max', :'q_baseline'),
    (2, '2. clv_summary', :'q_clv'),
    (3, '3. plain SQL equivalent', :'q_plain');

\ir bench_rounds.psql

SELECT count(DISTINCT result_rows) = 1 AS same_row_count FROM bench_runs \gset
\if :same_row_count
\else
    \echo 'bench: the three queries returned different numbers of rows'
    SELECT label, round, result_rows FROM bench_runs ORDER BY label, round;
    \quit 3
\endif

\echo 'Plans of the last round:'
\pset format unaligned
\pset tuples_only on
SELECT label || E':\n' || plan FROM bench_runs JOIN bench_queries USING (label)
WHERE round = :runs ORDER BY ord;
\pset format aligned
\pset tuples_only off

CREATE TEMP TABLE bench_result AS
SELECT ord, label,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FILTER (WHERE round > 0) AS median_ms,
       string_agg(round(ms)::text, ' ' ORDER BY round) FILTER (WHERE round > 0) AS runs_ms,
       round(min(ms) FILTER (WHERE round = 0)) AS warmup_ms
FROM bench_runs JOIN bench_queries USING (label)
GROUP BY ord, label;

\pset footer off
SELECT label AS query,
       round(median_ms::numeric) AS "median ms",
       round((median_ms / (SELECT median_ms FROM bench_result WHERE ord = 1))::numeric, 2)
           AS "x baseline",
       runs_ms AS "runs (ms)",
       warmup_ms AS "warm-up (ms)"
FROM bench_result ORDER BY ord;

SELECT round((c.median_ms / b.median_ms)::numeric, 2) AS clv_vs_baseline,
       round((p.median_ms / c.median_ms)::numeric, 2) AS speedup_vs_plain
FROM bench_result b, bench_result c, bench_result p
WHERE b.ord = 1 AND c.ord = 2 AND p.ord = 3 \gset
\echo
\echo 'clv_summary / baseline:   ' :clv_vs_baseline 'x   (target: at most 1.5x)'
\echo 'plain SQL / clv_summary:  ' :speedup_vs_plain 'x   (target: at least 3x)'
