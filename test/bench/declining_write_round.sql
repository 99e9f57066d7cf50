-- One round of test/bench/declining_write.sh (psql variable: round):
-- tomorrow's scores (every row's values and rank move; not timed), then
-- each way after a CHECKPOINT, timed in its own transaction with the WAL it
-- wrote, then VACUUM of both tables.
\set ON_ERROR_STOP on
SET jit = off;
UPDATE scores SET p_alive = random(), value_at_risk = round((random() * 300)::numeric, 2);
VACUUM ANALYZE scores;

CHECKPOINT;
SELECT clock_timestamp() AS t0, pg_current_wal_lsn() AS l0 \gset
BEGIN;
DELETE FROM replaced;
INSERT INTO replaced SELECT * FROM ranked;
COMMIT;
INSERT INTO runs SELECT :round, 'delete every row, insert the list',
       extract(epoch FROM clock_timestamp() - :'t0') * 1000, pg_current_wal_lsn() - :'l0';

CHECKPOINT;
SELECT clock_timestamp() AS t0, pg_current_wal_lsn() AS l0 \gset
BEGIN;
MERGE INTO merged d USING ranked f ON d.rank = f.rank
 WHEN MATCHED THEN UPDATE
      SET customer_id = f.customer_id, rfm_segment = f.rfm_segment, value_tier = f.value_tier,
          predicted_clv = f.predicted_clv, p_alive = f.p_alive, value_at_risk = f.value_at_risk,
          decline_severity = f.decline_severity, decline_reasons = f.decline_reasons,
          decline_alert = f.decline_alert, last_order = f.last_order
 WHEN NOT MATCHED THEN INSERT
      VALUES (f.rank, f.customer_id, f.rfm_segment, f.value_tier, f.predicted_clv, f.p_alive,
              f.value_at_risk, f.decline_severity, f.decline_reasons, f.decline_alert, f.last_order);
DELETE FROM merged WHERE rank > (SELECT count(*) FROM scores);
COMMIT;
INSERT INTO runs SELECT :round, 'MERGE in place (fillfactor 45)',
       extract(epoch FROM clock_timestamp() - :'t0') * 1000, pg_current_wal_lsn() - :'l0';
VACUUM replaced;
VACUUM merged;
