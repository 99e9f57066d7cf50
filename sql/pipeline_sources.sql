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

-- Inheritance.  A statement fires the statement triggers of the table it
-- names alone, so the triggers of a table with inheritance children miss
-- what is written to a child directly, and those of a partition or an
-- inheritance child what is written to it through its parent: none of them
-- gets change capture, and a table that gains a child after its pipeline
-- was made loses it at the next incremental refresh, which is then a full
-- one.  Each gives the same rows as the same orders in one table.
CREATE TABLE inherited_orders (LIKE source_orders);
CREATE TABLE inherited_child () INHERITS (inherited_orders);
CREATE TABLE partitioned_orders (LIKE source_orders) PARTITION BY RANGE (customer);
CREATE TABLE partition_low PARTITION OF partitioned_orders FOR VALUES FROM (MINVALUE) TO (1000);
CREATE TABLE partition_high PARTITION OF partitioned_orders FOR VALUES FROM (1000) TO (MAXVALUE);
CREATE TABLE later_parent (LIKE source_orders);
INSERT INTO inherited_orders SELECT * FROM source_orders WHERE customer % 2 = 0;
INSERT INTO inherited_child SELECT * FROM source_orders WHERE customer % 2 = 1;
INSERT INTO partitioned_orders SELECT * FROM source_orders;
INSERT INTO later_parent SELECT * FROM source_orders;
SELECT s.name, pg_catalog.count(*) > 0 AS made
  FROM (VALUES ('inherited_orders', 'from_parent'), ('partition_low', 'from_partition'),
               ('inherited_child', 'from_child'), ('later_parent', 'from_later_parent')) s(source, name)
 CROSS JOIN LATERAL clv_create_pipeline(s.source::regclass, 'customer', 'at', 'amount', s.name,
                                        as_of => '2025-06-30 23:59:59+00', time_zone => 'UTC')
 GROUP BY s.name ORDER BY s.name;
SELECT source, change_capture, change_capture_note FROM from_parent.clv_pipeline
UNION ALL SELECT source, change_capture, change_capture_note FROM from_partition.clv_pipeline
UNION ALL SELECT source, change_capture, change_capture_note FROM from_child.clv_pipeline
UNION ALL SELECT source, change_capture, change_capture_note FROM from_later_parent.clv_pipeline
 ORDER BY 1;
CREATE TABLE later_child () INHERITS (later_parent);
-- the same changes everywhere: new orders of an even and an odd customer
-- (in the child of inherited_orders, written there directly) and a
-- correction made through each parent
INSERT INTO source_orders VALUES (20, '2025-06-25 10:00+00', 33), (21, '2025-06-26 10:00+00', 44);
UPDATE source_orders SET amount = amount + 2 WHERE customer = 31;
INSERT INTO inherited_orders VALUES (20, '2025-06-25 10:00+00', 33);
INSERT INTO inherited_child VALUES (21, '2025-06-26 10:00+00', 44);
UPDATE inherited_orders SET amount = amount + 2 WHERE customer = 31;
INSERT INTO partitioned_orders VALUES (20, '2025-06-25 10:00+00', 33), (21, '2025-06-26 10:00+00', 44);
UPDATE partitioned_orders SET amount = amount + 2 WHERE customer = 31;
INSERT INTO later_child VALUES (20, '2025-06-25 10:00+00', 33), (21, '2025-06-26 10:00+00', 44);
UPDATE later_parent SET amount = amount + 2 WHERE customer = 31;
SELECT s.name, regexp_replace(l.line, ' in [0-9]+ ms', '') AS summarised
  FROM (VALUES ('from_table'), ('from_parent'), ('from_partition'), ('from_later_parent')) s(name)
 CROSS JOIN LATERAL clv_refresh_pipeline(s.name, incremental => true) l(line)
 WHERE l.line LIKE '%summary_state%'
 ORDER BY s.name;
SELECT change_capture, change_capture_note FROM from_later_parent.clv_pipeline;
SELECT p.p AS pipeline, count(*) FILTER (WHERE d.rows > 0) AS objects_differing
  FROM (VALUES ('from_parent'::name), ('from_partition'), ('from_later_parent')) p(p)
 CROSS JOIN LATERAL pg_temp.differences('from_table', p.p) d
 GROUP BY p.p ORDER BY p.p;
-- the next incremental refresh of the table that gained a child finds the
-- changed customers by digests (a new order in the child, a correction
-- through the parent), and still gives what the one table gives
INSERT INTO source_orders VALUES (22, '2025-06-27 10:00+00', 12);
UPDATE source_orders SET amount = amount + 3 WHERE customer = 33;
INSERT INTO later_child VALUES (22, '2025-06-27 10:00+00', 12);
UPDATE later_parent SET amount = amount + 3 WHERE customer = 33;
SELECT s.name, regexp_replace(l.line, ' in [0-9]+ ms', '') AS summarised
  FROM (VALUES ('from_table'), ('from_later_parent')) s(name)
 CROSS JOIN LATERAL clv_refresh_pipeline(s.name, incremental => true) l(line)
 WHERE l.line LIKE '%summary_state%'
 ORDER BY s.name;
SELECT count(*) FILTER (WHERE d.rows > 0) AS objects_differing FROM pg_temp.differences('from_table', 'from_later_parent') d;
-- a table that becomes a child after its pipeline was made loses capture too
CREATE TABLE later_orphan (LIKE source_orders);
INSERT INTO later_orphan VALUES (1, '2025-01-01 10:00+00', 10), (1, '2025-02-01 10:00+00', 20);
SELECT pg_catalog.count(*) > 0 AS made
  FROM clv_create_pipeline('later_orphan', 'customer', 'at', 'amount', 'from_later_orphan',
                           as_of => '2025-06-30 23:59:59+00', time_zone => 'UTC');
CREATE TABLE later_adopter (LIKE source_orders);
ALTER TABLE later_orphan INHERIT later_adopter;
UPDATE later_adopter SET amount = 15 WHERE customer = 1 AND at = '2025-01-01 10:00+00';
SELECT regexp_replace(l.line, ' in [0-9]+ ms', '') AS summarised
  FROM clv_refresh_pipeline('from_later_orphan', incremental => true) l(line) WHERE l.line LIKE '%summary_state%';
SELECT c.change_capture, c.change_capture_note, s.total_amount
  FROM from_later_orphan.clv_pipeline c, from_later_orphan.customer_summary s;
-- the child's own pipeline sees the correction made through its parent
SELECT count(*) FILTER (WHERE l.line LIKE '%summary_state%') AS refreshed
  FROM clv_refresh_pipeline('from_child', incremental => true) l(line);
SELECT c.total_amount OPERATOR(pg_catalog.=) t.total_amount AS corrected
  FROM from_child.customer_summary c JOIN from_table.customer_summary t USING (customer_id)
 WHERE c.customer_id = 31;
SELECT pg_catalog.count(*) > 0 AS dropped
  FROM (VALUES ('from_parent'), ('from_partition'), ('from_child'), ('from_later_parent'), ('from_later_orphan')) s(name)
 CROSS JOIN LATERAL clv_drop_pipeline(s.name);
DROP TABLE inherited_orders, partitioned_orders, later_parent, later_adopter CASCADE;

-- A customer column in a nondeterministic collation: 'Bob' and 'bob' are
-- one customer, in the pipeline's tables as in the orders' GROUP BY, and an
-- incremental refresh gives what a full one gives.  A pipeline whose tables
-- compare customers in another collation than the column's (the column's
-- changed since) refuses to refresh.
CREATE COLLATION caseless (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
CREATE TABLE named_orders (customer text COLLATE caseless, at timestamptz, amount numeric(10,2));
INSERT INTO named_orders VALUES ('Bob', '2025-01-01 10:00+00', 10), ('bob', '2025-02-01 10:00+00', 20),
                                ('BOB', '2025-03-01 10:00+00', 30), ('alice', '2025-01-01 10:00+00', 5),
                                ('Alice', '2025-02-01 10:00+00', 20), ('carol', '2025-03-01 10:00+00', 9);
SELECT s.name, pg_catalog.count(*) > 0 AS made
  FROM (VALUES ('named_incremental'), ('named_full')) s(name)
 CROSS JOIN LATERAL clv_create_pipeline('named_orders', 'customer', 'at', 'amount', s.name,
                                        as_of => '2025-06-30 23:59:59+00', time_zone => 'UTC')
 GROUP BY s.name ORDER BY s.name;
SELECT count(*) AS customers FROM named_incremental.customer_summary;
UPDATE named_orders SET amount = 31 WHERE customer = 'BOB' COLLATE "C";
INSERT INTO named_orders VALUES ('ALICE', '2025-04-01 10:00+00', 7), ('Dave', '2025-04-02 10:00+00', 8);
SELECT count(*) FILTER (WHERE l.line LIKE '%summary_state%') AS refreshed
  FROM clv_refresh_pipeline('named_incremental', incremental => true) l(line);
SELECT count(*) FILTER (WHERE l.line LIKE '%summary_state%') AS refreshed
  FROM clv_refresh_pipeline('named_full') l(line);
SELECT object, rows FROM pg_temp.differences('named_incremental', 'named_full') WHERE rows > 0;
SELECT lower(customer_id) AS customer, orders, total_amount FROM named_incremental.customer_summary ORDER BY 1;
ALTER TABLE named_orders ALTER COLUMN customer TYPE text COLLATE "C";
SELECT count(*) FROM clv_refresh_pipeline('named_incremental', incremental => true);
SELECT pg_catalog.count(*) > 0 AS dropped
  FROM (VALUES ('named_incremental'), ('named_full')) s(name)
 CROSS JOIN LATERAL clv_drop_pipeline(s.name);
DROP TABLE named_orders;
DROP COLLATION caseless;

-- Typos of amounts: two rows of 3e18 in one month went beyond what clv adds
-- exactly (2^62, about 4.6e18) and stopped every refresh.  A row beyond
-- +/-1e15 is listed as rejected, and the rest goes on; 1e15 itself counts.
CREATE TABLE typo_orders (customer integer, at timestamptz, amount numeric);
INSERT INTO typo_orders VALUES (1, '2025-01-01 10:00+00', 10), (1, '2025-02-01 10:00+00', 20),
                               (2, '2025-01-05 10:00+00', 3e18), (3, '2025-01-06 10:00+00', -3e18),
                               (3, '2025-01-07 10:00+00', -3e18), (4, '2025-01-08 10:00+00', 1e15);
SELECT pg_catalog.count(*) > 0 AS made
  FROM clv_create_pipeline('typo_orders', 'customer', 'at', 'amount', 'typos',
                           as_of => '2025-06-30 23:59:59+00', time_zone => 'UTC');
SELECT customer_id, amount, reason FROM typos.rejected_orders ORDER BY customer_id, amount;
SELECT month, revenue FROM typos.monthly WHERE revenue <> 0 ORDER BY month;
SELECT pg_catalog.count(*) > 0 AS dropped FROM clv_drop_pipeline('typos');
DROP TABLE typo_orders;

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
