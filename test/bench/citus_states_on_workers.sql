-- A design measurement, not the pipeline's code: what a full refresh over
-- Citus would cost if each customer's states stayed on the worker that holds
-- the customer's orders, and every step after the summarising ran there.
-- Run by hand after test/bench/citus_pipeline.sh, on the same coordinator
-- and database: it reads orders_dist and the on_citus pipeline's models,
-- compares with that pipeline's summary_state and channels, and refreshes
-- the on_one_node pipeline as its baseline:
--
--   psql -X -v runs=3 -v cached=16 -f test/bench/citus_states_on_workers.sql
--
-- psql variables: runs (timed rounds after a warm-up round), cached
-- (citus.max_cached_conns_per_worker for this session: Citus's default, 1,
-- or as many as a statement opens, so that later statements reuse them).
--
-- The steps, written by hand as a distributed pipeline would run them, each
-- its own transaction, timed with clock_timestamp() around it:
--   summarising: INSERT ... SELECT from the orders into a summary_state
--     distributed by customer and colocated with them (pushed down whole:
--     the states never leave the worker), as clv_pipeline_refresh_steps
--     summarises;
--   models: BG/NBD, Gamma-Gamma and the RFM breakpoints over the summaries
--     (partial aggregates on the workers, merged on the coordinator);
--   scores: every customer's P(alive), predicted value, RFM segment and
--     decline verdict into a scores table colocated with the states (the
--     pipeline's CREATE TABLE AS, pushed down), with the models as literals;
--   tiers, segments, declining: the tier bounds (array_agg: every predicted
--     value to the coordinator), the segments grouped on the workers, the
--     declining customers' rows to the coordinator;
--   channels: each customer's value split over its channels, summed by
--     channel on the workers (a colocated join of states and scores).
-- The baseline, in the same rounds: a full refresh of the on_one_node
-- pipeline (over the local copy of the same orders), the pipeline's code.
-- The fits are timed but not used: the scores read the on_citus pipeline's
-- stored models, as literals, so that they and the channels can be checked
-- against that pipeline's.  Left out, against a real refresh: the activity totals and monthly and
-- cohorts (about 0.1 s in the pipeline), the rejected orders, the value
-- tiers' grouping, the declining list's MERGE, the registry's updates.
-- The check (not timed), after the rounds: the states (summary, activity,
-- digest) are the on_citus pipeline's, and so are the channels; it stops
-- with an error otherwise.  Then the medians and rounds of each step, of
-- the five together and of their ratio to the baseline, and a footer: the
-- date, clv's and Citus's versions, the settings, the checkout psql runs in
-- and the load.  Leaves the schema on_workers behind.

\set ON_ERROR_STOP on
SET client_min_messages = warning;
SET jit = off;
SELECT set_config('citus.max_cached_conns_per_worker', :'cached', false) \g /dev/null
DROP SCHEMA IF EXISTS on_workers CASCADE;
CREATE SCHEMA on_workers;
CREATE TABLE on_workers.summary_state (LIKE on_citus.summary_state);
SELECT create_distributed_table('on_workers.summary_state', 'customer_id', colocate_with => 'orders_dist') \g /dev/null
SELECT purchase_model AS pm, spend_model AS sm, rfm_breakpoints AS bp FROM on_citus.clv_pipeline \gset
\set S 'clv_summary_final(clv_summary_advance(st.state, timestamptz ''2026-06-30 23:59:59+00'', ''UTC''))'
CREATE TABLE on_workers.scores (customer_id int, total_amount float8, predicted_clv float8, p_alive float8,
                                rfm_segment text, declining boolean, value_at_risk float8);
SELECT create_distributed_table('on_workers.scores', 'customer_id', colocate_with => 'orders_dist') \g /dev/null
CREATE TABLE on_workers.runs (round int, step text, ms numeric);

CREATE FUNCTION pg_temp.timed(r int, step text, statements text[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    t timestamptz := clock_timestamp();
    statement text;
BEGIN
    FOREACH statement IN ARRAY statements LOOP
        EXECUTE statement;
    END LOOP;
    INSERT INTO on_workers.runs VALUES (r, step, extract(epoch FROM clock_timestamp() - t) * 1000);
END $$;

\set summarise 'INSERT INTO on_workers.summary_state (customer_id, state, activity, channels, rejected, order_rows, order_digest) SELECT o.customer_id, clv_summary_state(o.ordered_at, o.amount::float8, timestamptz ''2026-06-30 23:59:59+00'', ''1 day'', ''UTC'') FILTER (WHERE o.counted), clv_activity_state(o.ordered_at, o.amount::float8, ''UTC'') FILTER (WHERE o.counted), clv_channel_state(o.channel, o.ordered_at, o.amount::float8) FILTER (WHERE o.counted), count(*) FILTER (WHERE NOT o.counted), count(*), sum(clv_order_row_hash(o.customer_id, o.ordered_at, o.amount, o.channel)) FROM (SELECT o.*, (o.customer_id IS NOT NULL AND o.ordered_at IS NOT NULL AND o.amount IS NOT NULL AND isfinite(o.ordered_at) AND o.ordered_at >= ''1900-01-01 00:00+00'' AND abs(o.amount) <= 1e15 AND o.ordered_at <= ''2026-06-30 23:59:59+00'') AS counted FROM orders_dist o) o GROUP BY o.customer_id'
\set models 'SELECT clv_fit_bgnbd(s, 0.001), clv_fit_gammagamma(s, 0.001), clv_rfm_breakpoints(s) FROM (SELECT ' :S ' AS s FROM on_workers.summary_state st WHERE st.state IS NOT NULL) c'
\set scores 'INSERT INTO on_workers.scores SELECT y.customer_id, (y.s).total_amount, y.predicted_clv, y.p_alive, (y.rfm).segment, (y.decline).declining, (y.decline).value_at_risk FROM (SELECT x.*, clv_decline(x.s, ' :'pm' '::clv_model, x.predicted_clv) AS decline FROM (SELECT st.customer_id, ' :S ' AS s, clv_p_alive(' :'pm' '::clv_model, ' :S ') AS p_alive, clv_predicted_value(' :'pm' '::clv_model, ' :'sm' '::clv_model, ' :S ', 12, 0.01, ''30 days'', 0.3) AS predicted_clv, clv_rfm(' :S ', ' :'bp' '::float8[]) AS rfm FROM on_workers.summary_state st WHERE st.state IS NOT NULL) x) y'
\set segments 'CREATE TEMP TABLE t_segments AS SELECT rfm_segment, count(*) AS customers, clv_exact_sum(total_amount) AS total_amount, clv_exact_sum(predicted_clv) AS predicted_clv, count(*) FILTER (WHERE declining) AS declining, clv_exact_sum(value_at_risk) AS value_at_risk FROM on_workers.scores GROUP BY 1'
\set declining 'CREATE TEMP TABLE t_declining AS SELECT * FROM on_workers.scores WHERE declining'
\set channels 'CREATE TEMP TABLE t_channels AS SELECT c.channel, count(*) AS customers, sum(c.touches) AS orders, clv_exact_sum(c.amount) AS revenue, sum(c.first_touch) AS first_touch, sum(c.last_touch) AS last_touch, sum(c.linear) AS linear, sum(c.position_based) AS position_based FROM on_workers.summary_state st JOIN on_workers.scores w ON w.customer_id = st.customer_id CROSS JOIN LATERAL clv_channel_credits(st.channels, round(w.predicted_clv::numeric, 2)) c WHERE st.channels IS NOT NULL GROUP BY c.channel'

\o /dev/null
SELECT format('SELECT pg_temp.timed(%s, %L, %L)', r, s.step, s.statement)
FROM generate_series(0, :runs) r,
     (VALUES (1, 'summary_state', ARRAY['DELETE FROM on_workers.summary_state', :'summarise']),
             (2, 'models', ARRAY[:'models']),
             (3, 'scores', ARRAY['DELETE FROM on_workers.scores', :'scores']),
             (4, 'tier bounds, segments, declining',
              ARRAY['DROP TABLE IF EXISTS t_segments, t_declining',
                    'SELECT clv_value_tier_bounds(array_agg(w.predicted_clv)) FROM on_workers.scores w',
                    :'segments', :'declining']),
             (5, 'channels', ARRAY['DROP TABLE IF EXISTS t_channels', :'channels']),
             (6, 'baseline: the pipeline over the local orders, full refresh',
              ARRAY['SELECT count(*) FROM clv_refresh_pipeline(''on_one_node'')'])) AS s(n, step, statement)
ORDER BY r, s.n \gexec
\o

-- the check: the states and the channels are the pipeline's
SELECT (SELECT count(*) FROM on_workers.summary_state) AS customers \gset
SELECT (SELECT md5(string_agg(format('%s %s %s %s', customer_id, state, activity, order_digest), ',' ORDER BY customer_id))
          FROM on_workers.summary_state)
       = (SELECT md5(string_agg(format('%s %s %s %s', customer_id, state, activity, order_digest), ',' ORDER BY customer_id))
            FROM on_citus.summary_state)
       AND (SELECT md5(string_agg(t::text, ',' ORDER BY channel)) FROM t_channels t)
           = (SELECT md5(string_agg((channel, customers, orders, revenue, predicted_clv_first_touch, predicted_clv_last_touch,
                                     predicted_clv_linear, predicted_clv_position_based)::text, ',' ORDER BY channel))
                FROM on_citus.channels) AS same \gset
\if :same
\echo 'check: the states of' :customers 'customers and the channels are the on_citus pipeline''s'
\else
\echo 'check FAILED: the states or the channels differ from the on_citus pipeline''s'
DO $$ BEGIN RAISE EXCEPTION 'citus_states_on_workers.sql: the check failed'; END $$;
\endif

\pset footer off
SELECT step, round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)) AS "median ms",
       string_agg(round(ms)::text, ' ' ORDER BY round) AS rounds
FROM on_workers.runs WHERE round > 0 GROUP BY step
UNION ALL
SELECT 'all five', round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)), string_agg(round(ms)::text, ' ' ORDER BY round)
FROM (SELECT round, sum(ms) AS ms FROM on_workers.runs WHERE round > 0 AND step NOT LIKE 'baseline%' GROUP BY round) t
UNION ALL
SELECT 'all five / baseline', round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ratio)::numeric, 2),
       string_agg(round(ratio::numeric, 2)::text, ' ' ORDER BY round)
FROM (SELECT round, sum(ms) FILTER (WHERE step NOT LIKE 'baseline%') / sum(ms) FILTER (WHERE step LIKE 'baseline%') AS ratio
        FROM on_workers.runs WHERE round > 0 GROUP BY round) t
ORDER BY 1;
\pset tuples_only on
SELECT 'date:        ' || to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI "UTC"');
SELECT 'clv:         ' || extversion || ', Citus ' || (SELECT c.extversion FROM pg_extension c WHERE c.extname = 'citus')
  FROM pg_extension WHERE extname = 'clv';
SELECT 'settings:    ' || string_agg(name || '=' || current_setting(name), ', ' ORDER BY name)
  FROM pg_settings WHERE name IN ('citus.max_cached_conns_per_worker', 'citus.max_adaptive_executor_pool_size',
                                  'citus.shard_count', 'max_parallel_workers_per_gather', 'work_mem', 'shared_buffers');
\pset tuples_only off
\! echo "checkout:    $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- src sql extension Makefile clv.control 2>/dev/null || echo ' plus uncommitted changes') (where psql runs; the installed build is yours to match)"
\! echo "load avg:    $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min, where psql runs)"
