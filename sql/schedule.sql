-- Scheduling the pipeline's refresh with pg_cron (loaded by scripts/test.sh
-- through shared_preload_libraries, jobs in background workers): a job is
-- scheduled, runs within a minute, refreshes the views, and is removed.
-- Skipped, with a note, where pg_cron is not preloaded.
\set VERBOSITY terse
SET client_min_messages = error;
SELECT current_setting('shared_preload_libraries') ~ 'pg_cron' AS have_cron \gset
\if :have_cron
CREATE EXTENSION pg_cron;
CREATE TABLE cron_orders (customer int, at timestamptz, amount numeric);
INSERT INTO cron_orders
SELECT c, now() - ((c * 37 + k * 101) % 700) * interval '1 day', 10 + c % 40
FROM generate_series(1, 300) c, generate_series(1, 1 + c % 5) k;
SELECT count(*) FROM clv_create_pipeline('cron_orders', 'customer', 'at', 'amount', 'cron_report');
-- a new customer that only a refresh will show
INSERT INTO cron_orders VALUES (301, now() - interval '1 hour', 25);
SELECT count(*) AS before_refresh FROM cron_report.customer_summary;

SELECT cron.schedule('clv refresh', '* * * * *', $$SELECT clv_refresh_pipeline('cron_report')$$) > 0
    AS scheduled;
SELECT jobname, schedule, command FROM cron.job;
-- pg_cron starts jobs at the top of a minute: wait for the first to finish
DO $$
DECLARE
    deadline timestamptz := clock_timestamp() + interval '150 seconds';
BEGIN
    WHILE NOT EXISTS (SELECT FROM cron.job_run_details WHERE status IN ('succeeded', 'failed')) LOOP
        IF clock_timestamp() > deadline THEN
            RAISE EXCEPTION 'the scheduled refresh did not finish within 150 seconds';
        END IF;
        PERFORM pg_sleep(0.5);
    END LOOP;
END $$;
SELECT status, return_message FROM cron.job_run_details ORDER BY runid LIMIT 1;
SELECT count(*) AS after_refresh FROM cron_report.customer_summary;
SELECT cron.unschedule('clv refresh');
SELECT count(*) AS jobs_left FROM cron.job;
SELECT count(*) FROM clv_drop_pipeline('cron_report');
DROP TABLE cron_orders;
DROP EXTENSION pg_cron;
\else
\echo pg_cron is not in shared_preload_libraries: scheduling not tested
\endif
