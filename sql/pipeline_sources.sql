-- Pipelines over orders that are not a plain table: a foreign table
-- (file_fdw, over a file this test writes into the data directory) and a
-- materialized view.  Neither takes change capture's triggers, nor LOCK
-- TABLE (so they are not locked): their incremental refreshes find the
-- changed customers by digests of every customer's orders.  Each gives
-- dashboards the same rows as the same orders in a table, when made, after
-- new orders, a correction and a deletion (incremental refreshes), and at a
-- full refresh.  Every pipeline is observed up to a fixed as_of.
\set VERBOSITY terse
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS file_fdw;

CREATE TABLE source_orders (customer integer, at timestamptz, amount numeric(10,2));
INSERT INTO source_orders
SELECT c, '2024-01-01 09:00+00'::timestamptz + ((c * 7919) % 300 + k * (11 + (c * 31) % 50)) * interval '1 day',
       5 + (c * 13 + k * 7) % 80
  FROM generate_series(1, 300) c, generate_series(0, c % 7) k;
SELECT pg_catalog.current_setting('data_directory') || '/clv_pipeline_sources.csv' AS orders_file \gset
COPY source_orders TO :'orders_file' (FORMAT csv);
CREATE SERVER source_files FOREIGN DATA WRAPPER file_fdw;
CREATE FOREIGN TABLE source_far (customer integer, at timestamptz, amount numeric(10,2))
    SERVER source_files OPTIONS (filename :'orders_file', format 'csv');
CREATE MATERIALIZED VIEW source_kept AS SELECT o.customer, o.at, o.amount FROM source_orders o;

SELECT s.name, pg_catalog.count(*) > 0 AS made
  FROM (VALUES ('source_orders', 'from_table'), ('source_far', 'from_foreign'), ('source_kept', 'from_matview')) s(source, name)
 CROSS JOIN LATERAL clv_create_pipeline(s.source::regclass, 'customer', 'at', 'amount', s.name,
                                        as_of => '2025-06-30 23:59:59+00', time_zone => 'UTC')
 GROUP BY s.name ORDER BY s.name;
SELECT source, change_capture, change_capture_note FROM from_table.clv_pipeline
UNION ALL SELECT source, change_capture, change_capture_note FROM from_foreign.clv_pipeline
UNION ALL SELECT source, change_capture, change_capture_note FROM from_matview.clv_pipeline
 ORDER BY 1;

-- the rows of every dashboard table and view of pipeline b that pipeline a
-- does not have, and the other way round (the models without the time they
-- were fitted at)
CREATE FUNCTION pg_temp.differences(a name, b name) RETURNS TABLE (object text, rows bigint) LANGUAGE plpgsql AS $$
DECLARE
    t text;
    c text;
BEGIN
    FOR t, c IN VALUES ('customer_scores', '*'), ('segments', '*'), ('value_tiers', '*'), ('declining_customers', '*'),
                       ('monthly', '*'), ('cohorts', '*'), ('models', 'model, kind, status, error, parameters')
    LOOP
        object := t;
        EXECUTE format('SELECT count(*) FROM ((SELECT %4$s FROM %1$I.%3$I EXCEPT ALL SELECT %4$s FROM %2$I.%3$I)'
                       ' UNION ALL (SELECT %4$s FROM %2$I.%3$I EXCEPT ALL SELECT %4$s FROM %1$I.%3$I)) d',
                       a, b, t, c) INTO rows;
        RETURN NEXT;
    END LOOP;
END $$;
CREATE FUNCTION pg_temp.same_as_table() RETURNS TABLE (pipeline name, objects_differing bigint, rows_differing numeric)
LANGUAGE sql AS $$
    SELECT p.p, count(*) FILTER (WHERE d.rows > 0), sum(d.rows)
      FROM (VALUES ('from_foreign'::name), ('from_matview')) p(p)
     CROSS JOIN LATERAL pg_temp.differences('from_table', p.p) d
     GROUP BY p.p ORDER BY p.p
$$;
SELECT * FROM pg_temp.same_as_table();
SELECT count(*) AS customers, count(*) FILTER (WHERE declining) AS declining FROM from_foreign.customer_scores;

-- a day's changes: new orders, a corrected amount, a deleted order; the
-- file written again and the materialized view refreshed, as their owners
-- would
INSERT INTO source_orders VALUES (7, '2025-06-20 10:00+00', 40), (301, '2025-06-21 11:00+00', 25),
                                 (302, '2025-06-22 12:00+00', 15);
UPDATE source_orders SET amount = amount + 1 WHERE customer = 12;
DELETE FROM source_orders WHERE customer = 13 AND at = (SELECT max(at) FROM source_orders WHERE customer = 13);
COPY source_orders TO :'orders_file' (FORMAT csv);
REFRESH MATERIALIZED VIEW source_kept;
SELECT s.name, regexp_replace(l.line, ' in [0-9]+ ms', '') AS summarised
  FROM (VALUES ('from_table'), ('from_foreign'), ('from_matview')) s(name)
 CROSS JOIN LATERAL clv_refresh_pipeline(s.name, incremental => true) l(line)
 WHERE l.line LIKE '%summary_state%'
 ORDER BY s.name;
SELECT * FROM pg_temp.same_as_table();
SELECT count(*) AS customers FROM from_foreign.customer_scores;

-- a full refresh of each changes nothing a dashboard reads
SELECT s.name, regexp_replace(l.line, ' in [0-9]+ ms', '') AS summarised
  FROM (VALUES ('from_table'), ('from_foreign'), ('from_matview')) s(name)
 CROSS JOIN LATERAL clv_refresh_pipeline(s.name) l(line)
 WHERE l.line LIKE '%summary_state%'
 ORDER BY s.name;
SELECT * FROM pg_temp.same_as_table();

SELECT pg_catalog.count(*) > 0 AS dropped FROM clv_drop_pipeline('from_table');
SELECT pg_catalog.count(*) > 0 AS dropped FROM clv_drop_pipeline('from_foreign');
SELECT pg_catalog.count(*) > 0 AS dropped FROM clv_drop_pipeline('from_matview');
-- (the file emptied: a throwaway cluster's, but not left holding orders)
COPY (SELECT * FROM source_orders WHERE false) TO :'orders_file' (FORMAT csv);
DROP FOREIGN TABLE source_far;
DROP SERVER source_files;
DROP MATERIALIZED VIEW source_kept;
DROP TABLE source_orders;
DROP EXTENSION file_fdw;
