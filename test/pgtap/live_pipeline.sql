-- A pipeline observed up to the clock (as_of NULL) keeps one calendar: its
-- own time zone, fixed when it is made.  Refreshed from sessions in
-- Pacific/Kiritimati (+14), UTC, America/Los_Angeles and Pacific/Pago_Pago
-- (-11), incrementally or in full, it gives the same tables, for
-- timestamptz, timestamp and date columns, with orders dated today, an hour
-- ago and tomorrow.  (0.3.0 failed such an incremental refresh whenever the
-- two sessions' dates differed, and lost orders dated today on date
-- columns.)  No assertion depends on the hour the test runs at: a
-- comparison that straddles a midnight of the pipeline's zone is made
-- again.  test/system/time_zones.sh runs this file under fake clocks at chosen
-- instants, in several server time zones.
\ir ../include/prologue.psql
BEGIN;
SELECT plan(17);
SET LOCAL client_min_messages = error;

CREATE SCHEMA tap;
CREATE TABLE tap.orders_tz (customer int, at timestamptz, amount numeric);
INSERT INTO tap.orders_tz
SELECT c, now() - ((c * 37 + k * 101) % 400) * interval '1 day' - (c % 24) * interval '1 hour', 10 + (c * k) % 40
FROM generate_series(1, 300) c, generate_series(0, c % 6) k;
INSERT INTO tap.orders_tz VALUES (301, now(), 20), (302, now() - interval '1 hour', 30), (303, now() + interval '1 day', 40);
CREATE TABLE tap.orders_ts AS SELECT customer, at AT TIME ZONE 'Asia/Kolkata' AS at, amount FROM tap.orders_tz;
CREATE TABLE tap.orders_d AS SELECT customer, (at AT TIME ZONE 'America/New_York')::date AS at, amount FROM tap.orders_tz;

\ir ../include/pipeline_digest.psql
CREATE FUNCTION tap.observation_end(s name) RETURNS date LANGUAGE plpgsql AS $$
DECLARE
    e date;
BEGIN
    EXECUTE format('SELECT observation_end FROM %I.clv_pipeline', s) INTO e;
    RETURN e;
END $$;
-- an incremental refresh, then a full one, from this session: the same
-- tables, unless a midnight of the pipeline's zone fell between the two, in
-- which case they are compared again (at most three times)
CREATE FUNCTION tap.incremental_equals_full(s name) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
    after_incremental text;
    day_incremental date;
BEGIN
    FOR attempt IN 1 .. 3 LOOP
        PERFORM clv_refresh_pipeline(s, incremental => true);
        after_incremental := pg_temp.pipeline_digest(s);
        day_incremental := tap.observation_end(s);
        PERFORM clv_refresh_pipeline(s);
        IF tap.observation_end(s) = day_incremental THEN
            RETURN after_incremental = pg_temp.pipeline_digest(s);
        END IF;
    END LOOP;
    RETURN NULL;
END $$;
-- refreshed again (in full), the same tables as before; not comparable
-- (true) if a midnight of the pipeline's zone has passed since
CREATE FUNCTION tap.unchanged_after_refresh(s name, before text, day date) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    PERFORM clv_refresh_pipeline(s);
    RETURN tap.observation_end(s) <> day OR pg_temp.pipeline_digest(s) = before;
END $$;
-- the changes a day brings: an order now, one back-dated a week, a new
-- customer, a correction, a deletion
CREATE FUNCTION tap.a_day_of_changes(c int) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO tap.orders_tz VALUES (c, now(), 15), (c + 1, now() - interval '7 days', 25), (1000 + c, now(), 5);
    UPDATE tap.orders_tz SET amount = amount + 1 WHERE customer = c + 2;
    DELETE FROM tap.orders_tz WHERE customer = c + 3;
    INSERT INTO tap.orders_ts VALUES (c, now() AT TIME ZONE 'Asia/Kolkata', 15), (1000 + c, now() AT TIME ZONE 'Asia/Kolkata', 5);
    UPDATE tap.orders_ts SET amount = amount + 1 WHERE customer = c + 2;
    DELETE FROM tap.orders_ts WHERE customer = c + 3;
    INSERT INTO tap.orders_d VALUES (c, (now() AT TIME ZONE 'America/New_York')::date, 15),
                                    (1000 + c, (now() AT TIME ZONE 'America/New_York')::date, 5);
    UPDATE tap.orders_d SET amount = amount + 1 WHERE customer = c + 2;
    DELETE FROM tap.orders_d WHERE customer = c + 3;
END $$;

-- made in a UTC session: the timestamptz pipeline counts days in
-- Kiritimati, the others in the zone of their creating session
SET LOCAL TimeZone = 'UTC';
SELECT clv_create_pipeline('tap.orders_tz', 'customer', 'at', 'amount', 'live_tz', time_zone => 'Pacific/Kiritimati');
SELECT clv_create_pipeline('tap.orders_ts', 'customer', 'at', 'amount', 'live_ts');
SELECT clv_create_pipeline('tap.orders_d', 'customer', 'at', 'amount', 'live_d', time_zone => 'America/New_York');
SELECT is((SELECT time_zone FROM live_ts.clv_pipeline), 'UTC',
          'a pipeline made without time_zone keeps the creating session''s TimeZone');

SET LOCAL TimeZone = 'Pacific/Kiritimati';
SELECT tap.a_day_of_changes(10);
SELECT ok(tap.incremental_equals_full('live_tz'), 'timestamptz, session in Pacific/Kiritimati: incremental = full');
SELECT ok(tap.incremental_equals_full('live_ts'), 'timestamp, session in Pacific/Kiritimati: incremental = full');
SELECT ok(tap.incremental_equals_full('live_d'), 'date, session in Pacific/Kiritimati: incremental = full');
CREATE TABLE tap.seen_from_kiritimati AS
SELECT s, pg_temp.pipeline_digest(s) AS digest, tap.observation_end(s) AS day FROM unnest('{live_tz,live_ts,live_d}'::name[]) s;

SET LOCAL TimeZone = 'America/Los_Angeles';
-- the same data refreshed from 25 hours west: the same tables (again if a
-- midnight of the pipeline's zone passed meanwhile)
SELECT is((SELECT count(*) FROM tap.seen_from_kiritimati k WHERE tap.unchanged_after_refresh(k.s, k.digest, k.day)),
          3::bigint, 'the same orders give the same tables refreshed from Los Angeles as from Kiritimati');
SELECT tap.a_day_of_changes(20);
SELECT ok(tap.incremental_equals_full('live_tz'), 'timestamptz, session in America/Los_Angeles: incremental = full');
SELECT ok(tap.incremental_equals_full('live_ts'), 'timestamp, session in America/Los_Angeles: incremental = full');
SELECT ok(tap.incremental_equals_full('live_d'), 'date, session in America/Los_Angeles: incremental = full');

SET LOCAL TimeZone = 'UTC';
SELECT tap.a_day_of_changes(30);
SELECT ok(tap.incremental_equals_full('live_tz'), 'timestamptz, session in UTC: incremental = full');
SELECT ok(tap.incremental_equals_full('live_ts'), 'timestamp, session in UTC: incremental = full');
SELECT ok(tap.incremental_equals_full('live_d'), 'date, session in UTC: incremental = full');

SET LOCAL TimeZone = 'Pacific/Pago_Pago';
SELECT tap.a_day_of_changes(40);
SELECT ok(tap.incremental_equals_full('live_tz'), 'timestamptz, session in Pacific/Pago_Pago: incremental = full');
SELECT ok(tap.incremental_equals_full('live_ts'), 'timestamp, session in Pacific/Pago_Pago: incremental = full');
SELECT ok(tap.incremental_equals_full('live_d'), 'date, session in Pacific/Pago_Pago: incremental = full');

-- an order dated now, entered after a refresh from a session 25 hours away
-- from the pipeline's zone, is counted by the next incremental refresh
SET LOCAL TimeZone = 'Pacific/Kiritimati';
SELECT clv_refresh_pipeline('live_tz');
SET LOCAL TimeZone = 'Pacific/Pago_Pago';
INSERT INTO tap.orders_tz VALUES (5000, now(), 77);
SELECT clv_refresh_pipeline('live_tz', incremental => true);
SELECT is((SELECT total_amount FROM live_tz.customer_summary WHERE customer_id = 5000), 77.00::numeric,
          'an order entered after a refresh made in another zone is counted incrementally');
-- the end of observation is the clock's day in the pipeline's zone
SELECT ok((SELECT observation_end FROM live_tz.clv_pipeline)
              BETWEEN (now() AT TIME ZONE 'Pacific/Kiritimati')::date
                  AND (clock_timestamp() AT TIME ZONE 'Pacific/Kiritimati')::date,
          'the observation end is today in Pacific/Kiritimati, whatever the session''s zone');
-- tomorrow's order waits in rejected_orders until its day comes
SELECT is((SELECT reason FROM live_tz.rejected_orders WHERE customer_id = 303),
          'dated after the observation end', 'an order dated tomorrow is listed, not counted');

SELECT * FROM finish();
ROLLBACK;
