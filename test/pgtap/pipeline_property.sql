-- Incremental equals full, always: random sequences (from a fixed seed) of
-- what happens to an orders table -- orders today, back-dated ones, new
-- customers, refunds, rows without an amount or a customer, NaN amounts,
-- orders dated after the end of observation, single orders and whole
-- customers deleted, amounts, dates and customers corrected, the end of
-- observation moved on (days passing) -- each followed by an incremental
-- refresh whose tables must equal, row for row, those of a full refresh
-- made right after it.  For a timestamptz, a timestamp and a date order
-- column, each pipeline in a zone of its own, and with a purchase model of
-- its own (BG/NBD; MBG/CNBD-k and BG/CNBD-k, whose fits read the log gaps
-- of the stored states); and for a partitioned table with a channel, which
-- takes no change capture, so that its incremental refreshes find the
-- changed customers by the digests of their orders (where two orders
-- swapping their amounts, or one order its channel, must still be seen).
\ir ../include/prologue.psql
BEGIN;
SELECT plan(12);
SELECT setseed(0.2718);
SET LOCAL client_min_messages = error;
SET LOCAL TimeZone = 'UTC';

CREATE SCHEMA prop;
-- 120 customers over two years up to 2025-06-30, as timestamptz, timestamp and date
CREATE TABLE prop.seed AS
SELECT c AS customer, timestamptz '2023-07-01 00:00+00'
           + ((c * 37) % 500 + k * (9 + (c * 13) % 50) + floor(random() * 4)) * interval '1 day'
           + floor(random() * 86400) * interval '1 second' AS at,
       round((CASE WHEN random() < 0.06 THEN -1 ELSE 1 END * (5 + random() * 90))::numeric, 2) AS amount
FROM generate_series(1, 120) c, generate_series(0, c % 8) k;
DELETE FROM prop.seed WHERE at > '2025-06-30 12:00+00';
CREATE TABLE prop.orders_tz (customer int, at timestamptz, amount numeric);
CREATE TABLE prop.orders_ts (customer int, at timestamp, amount numeric);
CREATE TABLE prop.orders_d (customer int, at date, amount numeric);
INSERT INTO prop.orders_tz SELECT customer, at, amount FROM prop.seed;
INSERT INTO prop.orders_ts SELECT customer, at AT TIME ZONE 'UTC', amount FROM prop.seed;
INSERT INTO prop.orders_d SELECT customer, (at AT TIME ZONE 'UTC')::date, amount FROM prop.seed;
CREATE TABLE prop.orders_p (customer int, at timestamptz, amount numeric, channel text) PARTITION BY RANGE (at);
CREATE TABLE prop.orders_p_old PARTITION OF prop.orders_p FOR VALUES FROM ('2020-01-01') TO ('2025-01-01');
CREATE TABLE prop.orders_p_new PARTITION OF prop.orders_p DEFAULT;
CREATE FUNCTION prop.channel_of(customer int, amount numeric) RETURNS text LANGUAGE sql IMMUTABLE
RETURN CASE WHEN amount <> 'NaN' AND (customer + floor(amount)::int) % 3 = 0 THEN 'store' ELSE 'web' END;
INSERT INTO prop.orders_p SELECT customer, at, amount, prop.channel_of(customer, amount) FROM prop.seed;

DO $$
BEGIN
    PERFORM clv_create_pipeline('prop.orders_tz', 'customer', 'at', 'amount', 'prop_tz',
                                as_of => '2025-06-30 18:00+00', time_zone => 'Asia/Tokyo');
    PERFORM clv_create_pipeline('prop.orders_ts', 'customer', 'at', 'amount', 'prop_ts',
                                as_of => '2025-06-30 18:00+00', time_zone => 'America/Sao_Paulo', model => 'mbgcnbd');
    PERFORM clv_create_pipeline('prop.orders_d', 'customer', 'at', 'amount', 'prop_d',
                                as_of => '2025-06-30 18:00+00', time_zone => 'UTC', model => 'bgcnbd');
    PERFORM clv_create_pipeline('prop.orders_p', 'customer', 'at', 'amount', 'prop_p',
                                as_of => '2025-06-30 18:00+00', time_zone => 'Pacific/Kiritimati', channel => 'channel');
END $$;

\ir ../include/pipeline_digest.psql

-- the same change to all three tables: the timestamp column holds the UTC
-- wall time, the date column the UTC date
CREATE FUNCTION prop.apply(change text, t timestamptz, customer int, amount numeric) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF change = 'insert' THEN
        INSERT INTO prop.orders_tz VALUES (customer, t, amount);
        INSERT INTO prop.orders_ts VALUES (customer, t AT TIME ZONE 'UTC', amount);
        INSERT INTO prop.orders_d VALUES (customer, (t AT TIME ZONE 'UTC')::date, amount);
        INSERT INTO prop.orders_p VALUES (customer, t, amount, prop.channel_of(customer, amount));
    END IF;
END $$;

CREATE FUNCTION prop.swap_amounts(orders regclass, c int) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    a record;
    b record;
BEGIN
    -- (a row is its ctid within its partition: tableoid names the partition)
    EXECUTE format('SELECT tableoid, ctid, amount FROM %s WHERE customer = $1 AND amount IS NOT NULL ORDER BY at DESC, amount LIMIT 1', orders)
        INTO a USING c;
    EXECUTE format('SELECT tableoid, ctid, amount FROM %s WHERE customer = $1 AND amount <> $2 ORDER BY at DESC, amount LIMIT 1', orders)
        INTO b USING c, a.amount;
    IF b.ctid IS NOT NULL THEN
        EXECUTE format('UPDATE %s SET amount = $3 WHERE tableoid = $1 AND ctid = $2', orders) USING a.tableoid, a.ctid, b.amount;
        EXECUTE format('UPDATE %s SET amount = $3 WHERE tableoid = $1 AND ctid = $2', orders) USING b.tableoid, b.ctid, a.amount;
    END IF;
END $$;

CREATE TABLE prop.steps (n int, change text, pipeline name, incremental text, same boolean);
CREATE FUNCTION prop.run(steps int) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    day_end timestamptz := '2025-06-30 18:00+00';
    change text;
    c int;
    k int;
    s name;
    line text;
    after_incremental text;
BEGIN
    FOR n IN 1 .. steps LOOP
        change := (ARRAY['today', 'back-dated', 'new customer', 'refund', 'no amount', 'no customer',
                         'not a number', 'after the end', 'delete an order', 'delete a customer',
                         'correct an amount', 'move a date', 'move to another customer', 'a day passes',
                         'swap two amounts', 'change a channel'])
                  [1 + floor(random() * 16)::int];
        c := 1 + floor(random() * 120)::int;
        k := 1 + floor(random() * 3)::int;
        CASE change
        WHEN 'today' THEN
            FOR i IN 1 .. k LOOP
                PERFORM prop.apply('insert', day_end - random() * interval '20 hours', 1 + floor(random() * 120)::int,
                                   round((5 + random() * 90)::numeric, 2));
            END LOOP;
        WHEN 'back-dated' THEN
            PERFORM prop.apply('insert', day_end - (1 + floor(random() * 400)) * interval '1 day', c,
                               round((5 + random() * 90)::numeric, 2));
        WHEN 'new customer' THEN
            PERFORM prop.apply('insert', day_end - floor(random() * 60) * interval '1 day', 1000 + n, 42.50);
        WHEN 'refund' THEN
            PERFORM prop.apply('insert', day_end - floor(random() * 30) * interval '1 day', c, -12.25);
        WHEN 'no amount' THEN
            PERFORM prop.apply('insert', day_end - interval '3 days', c, NULL);
        WHEN 'no customer' THEN
            PERFORM prop.apply('insert', day_end - interval '2 days', NULL, 7);
        WHEN 'not a number' THEN
            PERFORM prop.apply('insert', day_end - interval '5 days', c, 'NaN');
        WHEN 'after the end' THEN
            PERFORM prop.apply('insert', day_end + (1 + floor(random() * 5)) * interval '1 day', c, 30);
        WHEN 'delete an order' THEN
            DELETE FROM prop.orders_tz o WHERE o.customer = c
               AND o.at = (SELECT max(at) FROM prop.orders_tz WHERE customer = c);
            DELETE FROM prop.orders_ts o WHERE o.customer = c
               AND o.at = (SELECT max(at) FROM prop.orders_ts WHERE customer = c);
            DELETE FROM prop.orders_d o WHERE o.ctid = (SELECT ctid FROM prop.orders_d WHERE customer = c ORDER BY at DESC LIMIT 1);
            DELETE FROM prop.orders_p o WHERE o.customer = c
               AND o.at = (SELECT max(at) FROM prop.orders_p WHERE customer = c);
        WHEN 'delete a customer' THEN
            DELETE FROM prop.orders_tz WHERE customer = c;
            DELETE FROM prop.orders_ts WHERE customer = c;
            DELETE FROM prop.orders_d WHERE customer = c;
            DELETE FROM prop.orders_p WHERE customer = c;
        WHEN 'correct an amount' THEN
            UPDATE prop.orders_tz SET amount = amount + 1 WHERE customer = c;
            UPDATE prop.orders_ts SET amount = amount + 1 WHERE customer = c;
            UPDATE prop.orders_d SET amount = amount + 1 WHERE customer = c;
            UPDATE prop.orders_p SET amount = amount + 1 WHERE customer = c;
        WHEN 'move a date' THEN
            UPDATE prop.orders_tz SET at = at - interval '10 days' WHERE customer = c;
            UPDATE prop.orders_ts SET at = at - interval '10 days' WHERE customer = c;
            UPDATE prop.orders_d SET at = at - 10 WHERE customer = c;
            UPDATE prop.orders_p SET at = at - interval '10 days' WHERE customer = c;
        WHEN 'move to another customer' THEN
            UPDATE prop.orders_tz SET customer = c % 120 + 1 WHERE customer = c;
            UPDATE prop.orders_ts SET customer = c % 120 + 1 WHERE customer = c;
            UPDATE prop.orders_d SET customer = c % 120 + 1 WHERE customer = c;
            UPDATE prop.orders_p SET customer = c % 120 + 1 WHERE customer = c;
        WHEN 'a day passes' THEN
            day_end := day_end + k * interval '1 day';
            UPDATE prop_tz.clv_pipeline SET as_of = day_end;
            UPDATE prop_ts.clv_pipeline SET as_of = day_end;
            UPDATE prop_d.clv_pipeline SET as_of = day_end;
            UPDATE prop_p.clv_pipeline SET as_of = day_end;
        WHEN 'swap two amounts' THEN
            -- the customer's two latest orders of different amounts trade
            -- them: the same amounts, the same days, another history
            PERFORM prop.swap_amounts(t, c) FROM unnest('{prop.orders_tz,prop.orders_ts,prop.orders_d,prop.orders_p}'::regclass[]) t;
        WHEN 'change a channel' THEN
            -- the partitioned table's alone: the others have no channel
            UPDATE prop.orders_p o SET channel = CASE WHEN channel = 'web' THEN 'store' ELSE 'web' END
             WHERE o.customer = c AND o.at = (SELECT max(at) FROM prop.orders_p WHERE customer = c);
        END CASE;
        FOREACH s IN ARRAY '{prop_tz,prop_ts,prop_d,prop_p}'::name[] LOOP
            SELECT r INTO line FROM clv_refresh_pipeline(s, incremental => true) r LIMIT 1;
            after_incremental := pg_temp.pipeline_digest(s);
            PERFORM clv_refresh_pipeline(s);
            INSERT INTO prop.steps VALUES (n, change, s, line, after_incremental = pg_temp.pipeline_digest(s));
        END LOOP;
    END LOOP;
END $$;
SELECT prop.run(75) \g /dev/null

SELECT is((SELECT count(*) FROM prop.steps WHERE pipeline = 'prop_tz' AND NOT same), 0::bigint,
          'timestamptz orders: every incremental refresh equals a full one');
SELECT is((SELECT count(*) FROM prop.steps WHERE pipeline = 'prop_ts' AND NOT same), 0::bigint,
          'timestamp orders: every incremental refresh equals a full one');
SELECT is((SELECT count(*) FROM prop.steps WHERE pipeline = 'prop_d' AND NOT same), 0::bigint,
          'date orders: every incremental refresh equals a full one');
SELECT is((SELECT count(*) FROM prop.steps WHERE pipeline = 'prop_p' AND NOT same), 0::bigint,
          'partitioned orders, found by digests: every incremental refresh equals a full one');
SELECT is((SELECT count(*) FROM prop.steps), 300::bigint, '75 steps, each refreshed in four pipelines');
SELECT is((SELECT change_capture FROM prop_p.clv_pipeline), false, 'the partitioned table has no change capture');
SELECT is((SELECT array_agg(m.kind || ' ' || m.status || CASE WHEN (m.parameters ->> 'k')::int > 1 THEN ', k > 1' ELSE '' END
                            ORDER BY m.kind)
           FROM (SELECT * FROM prop_tz.models UNION ALL SELECT * FROM prop_ts.models UNION ALL SELECT * FROM prop_d.models) m
           WHERE m.model = 'purchases'),
          ARRAY['BG/CNBD-k fitted, k > 1', 'BG/NBD fitted', 'MBG/CNBD-k fitted, k > 1'],
          'the three purchase models were fitted at the last refresh; the regularity models find the seed''s evenly spaced orders regular');
SELECT is((SELECT count(DISTINCT change) FROM prop.steps), 16::bigint, 'every kind of change was drawn');
-- the incremental refreshes did stay incremental: a few customers each, not all
SELECT ok((SELECT bool_and(incremental ~ '\(incremental refresh\)') FROM prop.steps),
          'every refresh after a change was an incremental one');
SELECT ok((SELECT max(substring(incremental FROM ': ([0-9]+) customers')::int) FROM prop.steps
           WHERE change <> 'a day passes') < 20,
          'an incremental refresh summarised only the few customers that changed');
-- bad rows are listed, not counted, and do not stop a refresh
SELECT ok((SELECT count(*) FROM prop_tz.rejected_orders WHERE reason = 'amount is NULL') > 0
          OR NOT EXISTS (SELECT FROM prop.steps WHERE change = 'no amount'),
          'orders without an amount are listed in rejected_orders');
SELECT ok((SELECT count(*) FROM prop_d.rejected_orders WHERE reason LIKE 'amount is not a number%') > 0
          OR NOT EXISTS (SELECT FROM prop.steps WHERE change = 'not a number'),
          'NaN amounts are listed in rejected_orders');

SELECT * FROM finish();
ROLLBACK;
