-- what a scheduler runs every few minutes; each step's time goes to the log
INSERT INTO load.refresh_log (refresh, kind, step, ms, line)
SELECT txid_current(), 'incremental', substring(line FROM '^[^.]+\.([a-z_]+)'),
       substring(line FROM '(\d+) ms$')::bigint, line
FROM clv_refresh_pipeline('clv_report', concurrent => true, incremental => true) AS line;
