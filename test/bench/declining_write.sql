-- test/bench/declining_write.sh: the declining list written two ways.
-- psql variable: rows.  Makes the tables; test/bench/declining_write_round.sql times.
\set ON_ERROR_STOP on
SET jit = off;
SELECT setseed(0.42);

-- a refresh's scores of the declining customers: the columns of
-- declining_customers, in no order, and an alert of a typical length
CREATE UNLOGGED TABLE scores AS
SELECT (i::bigint * 7919 % 1000003) AS customer_id,
       (ARRAY['at risk', 'hibernating', 'lost', 'cannot lose them'])[1 + i % 4] AS rfm_segment,
       (ARRAY['rest', 'top 20%'])[1 + i % 2] AS value_tier,
       round((random() * 500)::numeric, 2) AS predicted_clv, random() AS p_alive,
       round((random() * 300)::numeric, 2) AS value_at_risk, 1 + i % 3 AS decline_severity,
       'silent, p_alive'::text AS decline_reasons,
       'ordered every ~3 weeks for 1 year 2 months, silent for 5 months; P(alive) 0.08 (was 0.12); value at risk 123'::text AS decline_alert,
       date '2025-01-01' + i % 500 AS last_order
FROM generate_series(1, :rows) i;
-- the two ways' tables, declining_customers' definition
CREATE TABLE replaced (rank bigint PRIMARY KEY, customer_id bigint NOT NULL, rfm_segment text, value_tier text,
                       predicted_clv numeric, p_alive float8, value_at_risk numeric, decline_severity integer,
                       decline_reasons text, decline_alert text, last_order date);
CREATE TABLE merged (LIKE replaced INCLUDING ALL) WITH (fillfactor = 45);
CREATE VIEW ranked AS
SELECT row_number() OVER (ORDER BY value_at_risk DESC, customer_id) AS rank, * FROM scores;
INSERT INTO replaced SELECT * FROM ranked;
INSERT INTO merged SELECT * FROM ranked;
VACUUM ANALYZE scores, replaced, merged;
CREATE TABLE runs (round int, how text, ms float8, wal_bytes numeric);

