-- the periodic full refresh that picks up late entries
INSERT INTO load.refresh_log (refresh, kind, step, ms, line)
SELECT txid_current(), 'full', substring(line FROM '^[^.]+\.([a-z_]+)'),
       substring(line FROM '(\d+) ms$')::bigint, line
FROM clv_refresh_pipeline('clv_report', concurrent => true, incremental => false) AS line;
