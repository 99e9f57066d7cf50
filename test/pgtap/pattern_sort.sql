-- How a model fit's state sorts and merges its histories (src/patterns.c).
-- Compaction sorts the entries (frequency, then the two times' float8 bits
-- read as int64) and merges equal ones, adding their counts.  Given 4,096
-- entries or more whose frequencies fit 32 bits and whose distinct times
-- number at most an eighth of them (and 65,536), it sorts keys of the
-- times' ranks by their bytes; else, when it sorts new entries after a
-- state's compacted run and their keys differ in at most 12 bytes, it sorts
-- the entries by those bytes; else it compares the entries.  All must
-- give the same entries in the same order: here each result is checked
-- against the same histories grouped and ordered in SQL, on states made by
-- hand, at and next to both thresholds, with all keys equal, with a sorted
-- run before the new entries, and on full states handed to the transition
-- function with times of any bits, negative ones included, and frequencies
-- at and past 2^32 - 1.  The results do not show which sort ran; that the
-- cases meant for the sort by ranks reach it was checked by breaking it
-- twice (2026-12-06, and again once the combine function appended rather
-- than merged): with its radix passes cut to the lowest two bytes, tests 1,
-- 2, 4, 7, 8 and 9 failed; with the sorted keys not moved to the second
-- half after an even number of passes, 4 and 6 failed (and 9 the second
-- time); 3, 5, 10 and 11, meant for the comparison sort, passed each time.
-- Tests 12 and 13 merge a sorted run with sorted new entries (the run at
-- least a quarter of them; test 7's is not, and is sorted again whole): with
-- that merge made to drop the run's count of a history both hold
-- (2026-12-06), they failed and every other test passed.  The sort by ranks
-- replaces each entry's times by the order they were first met in, and puts
-- them back when it gives up: with the second time not put back
-- (2026-12-07), tests 3, 10, 11 and 14 to 17, whose entries it gives up on
-- part way, failed.
\ir ../include/prologue.psql
BEGIN;
SELECT plan(17);

CREATE SCHEMA tap;
-- a float8's bits as a bigint, as the state keeps them
CREATE FUNCTION tap.bits(f float8) RETURNS bigint LANGUAGE sql IMMUTABLE STRICT
AS $$ SELECT ('x' || encode(float8send(f), 'hex'))::bit(64)::bigint $$;
-- a state's entries (frequency, the two times' bits, count) in its order:
-- 9 header slots, the third the number of entries, then 4 slots each
CREATE FUNCTION tap.entries(s bigint[]) RETURNS text LANGUAGE sql IMMUTABLE STRICT
AS $$ SELECT string_agg(format('(%s,%s,%s,%s)', s[10 + 4 * i], s[11 + 4 * i], s[12 + 4 * i], s[13 + 4 * i]),
                        ',' ORDER BY i)
        FROM generate_series(0, s[3] - 1) i $$;
-- the header of a BG/NBD fit's state with a penalizer of 0.01
CREATE AGGREGATE tap.patterns_raw(float8, float8, float8, float8) (
    SFUNC = clv_fit_bgnbd_transfn, STYPE = bigint[]);
CREATE TABLE tap.header AS SELECT (tap.patterns_raw(1, 1, 2, 0.01))[1:9] AS h;

-- histories: n entries, each of the first n / 2 twice, with times
-- (t_x, T) drawn from `times` distinct values on a day grid in weeks
CREATE FUNCTION tap.histories(n int, times int)
RETURNS TABLE (id int, x bigint, t_x float8, T float8) LANGUAGE sql IMMUTABLE
AS $$ SELECT g, (k % 5 + 1)::bigint, ((k * 7) % (times / 2) + 1) / 7.0, ((k * 11) % (times / 2) + 1 + times / 2) / 7.0
        FROM generate_series(1, n) g, LATERAL (SELECT (g - 1) % (n / 2) AS k) q $$;
-- a state holding them one customer each, in descending order
CREATE FUNCTION tap.state_of(n int, times int) RETURNS bigint[] LANGUAGE sql
AS $$ SELECT (SELECT h[1:2] || n::bigint || h[4:9] FROM tap.header)
             || array_agg(e ORDER BY x DESC, tap.bits(t_x) DESC, tap.bits(T) DESC, id, o)
        FROM tap.histories(n, times) h,
             LATERAL unnest(ARRAY[x, tap.bits(t_x), tap.bits(T), 1]) WITH ORDINALITY AS u(e, o)
       GROUP BY () $$;
-- a state that begins with a compacted run (the distinct histories of
-- tap.histories(2 n, times), ascending, with their counts) and then holds
-- tap.histories(n, times) in descending order, as a state does between
-- compactions
CREATE FUNCTION tap.run_and_tail(n int, times int) RETURNS bigint[] LANGUAGE sql
AS $$ WITH run AS (SELECT x, tap.bits(t_x) AS a, tap.bits(T) AS b, count(*) AS c
                     FROM tap.histories(2 * n, times) GROUP BY 1, 2, 3),
           tail AS (SELECT id, x, tap.bits(t_x) AS a, tap.bits(T) AS b FROM tap.histories(n, times)),
           entries AS (SELECT 1 AS part, row_number() OVER (ORDER BY x, a, b) AS pos, ARRAY[x, a, b, c] AS e FROM run
                       UNION ALL
                       SELECT 2, row_number() OVER (ORDER BY x DESC, a DESC, b DESC, id), ARRAY[x, a, b, 1] FROM tail)
      SELECT (SELECT h[1:2] || (SELECT count(*) FROM entries) || h[4:9] FROM tap.header)
             || array_agg(v ORDER BY part, pos, o)
        FROM entries, LATERAL unnest(e) WITH ORDINALITY AS u(v, o) $$;
-- the history the combine function adds below, as the state keeps it
CREATE FUNCTION tap.added() RETURNS text LANGUAGE sql IMMUTABLE
AS $$ SELECT format(',(%s,%s,%s,%s)', 1, tap.bits(1), tap.bits(2), 1) $$;
-- what compaction must give: the same histories, grouped and ordered, and
-- after them the history added
CREATE FUNCTION tap.expected(n int, times int) RETURNS text LANGUAGE sql
AS $$ SELECT string_agg(format('(%s,%s,%s,%s)', x, a, b, c), ',' ORDER BY x, a, b) || tap.added()
        FROM (SELECT x, tap.bits(t_x) AS a, tap.bits(T) AS b, count(*) AS c
                FROM tap.histories(n, times) GROUP BY 1, 2, 3) g $$;
-- the combine function, called directly, given one more history for a
-- state without room: it compacts the state to make room, then appends
CREATE FUNCTION tap.compacted(n int, times int) RETURNS text LANGUAGE sql
AS $$ SELECT tap.entries(clv_fit_patterns_combine(tap.state_of(n, times), (SELECT tap.patterns_raw(1, 1, 2, 0.01)))) $$;

-- times on a day grid: t_x from the first half of the values, T from the
-- second; compaction sees the n entries made by hand, the one added comes after
SELECT is(tap.compacted(5001, 600), tap.expected(5001, 600),
          '5,001 entries, 600 distinct times (at most an eighth): sorted and merged');
SELECT is(tap.compacted(4800, 600), tap.expected(4800, 600),
          '4,800 entries, 600 distinct times, exactly an eighth: the same');
SELECT is(tap.compacted(4799, 600), tap.expected(4799, 600),
          '4,799 entries, 600 distinct times, one more than an eighth: the same');
SELECT is(tap.compacted(4096, 500), tap.expected(4096, 500),
          '4,096 entries, 500 distinct times: the same');
SELECT is(tap.compacted(4095, 500), tap.expected(4095, 500),
          '4,095 entries, one under 4,096: the same');
SELECT is(tap.entries(clv_fit_patterns_combine(
              (SELECT h[1:2] || 4096::bigint || h[4:9] FROM tap.header)
              || (SELECT array_agg(v ORDER BY g, o)
                                                      FROM generate_series(1, 4096) g,
                                                           unnest(ARRAY[1, tap.bits(1), tap.bits(2), 1]) WITH ORDINALITY u(v, o)),
              (SELECT tap.patterns_raw(1, 1, 2, 0.01)))),
          format('(1,%s,%s,4096)', tap.bits(1), tap.bits(2)) || tap.added(),
          '4,096 entries of one history, all keys equal: one entry of 4,096 customers');
SELECT is(tap.entries(clv_fit_patterns_combine(tap.run_and_tail(5000, 600), (SELECT tap.patterns_raw(1, 1, 2, 0.01)))),
          (SELECT string_agg(format('(%s,%s,%s,%s)', x, a, b, c), ',' ORDER BY x, a, b)
             FROM (SELECT x, tap.bits(t_x) AS a, tap.bits(T) AS b, count(*) AS c
                     FROM (SELECT x, t_x, T FROM tap.histories(10000, 600) UNION ALL
                           SELECT x, t_x, T FROM tap.histories(5000, 600)) h
                    GROUP BY 1, 2, 3) g) || tap.added(),
          'a compacted run of 300 entries, then 5,000 new ones: all sorted again (the run is under a quarter of them)');

-- A full state handed to the transition function by hand, its times any
-- bits (negative ones too, which a fit would refuse): adding a history
-- compacts it first, in the order of the bits read as int64, then appends.
CREATE TABLE tap.raw AS
SELECT g AS id, (g % 3)::bigint AS x,
       ((g % 600) * 7919 % 211 - 100)::bigint * 43046721 * 1000 AS a,
       ((g % 600) * 104729 % 197 - 90)::bigint * 387420489 * 100000 AS b
  FROM generate_series(1, 5000) g;
-- tap.raw as a full state, the entry of id 1 the last one read
CREATE FUNCTION tap.raw_state() RETURNS bigint[] LANGUAGE sql STABLE
AS $$ SELECT (SELECT h[1:2] || 5000::bigint || h[4:9] FROM tap.header)
             || array_agg(e ORDER BY r.id DESC, o)
        FROM tap.raw r, LATERAL unnest(ARRAY[r.x, r.a, r.b, 1]) WITH ORDINALITY AS u(e, o) $$;
-- what it must hold after one more history: tap.raw grouped and ordered,
-- then that history
CREATE FUNCTION tap.raw_expected() RETURNS text LANGUAGE sql STABLE
AS $$ SELECT string_agg(format('(%s,%s,%s,%s)', x, a, b, c), ',' ORDER BY x, a, b)
             || format(',(%s,%s,%s,%s)', 1, tap.bits(1), tap.bits(2), 1)
        FROM (SELECT x, a, b, count(*) AS c FROM tap.raw GROUP BY 1, 2, 3) g $$;
-- what it holds: an aggregate that starts from the state adds the history
CREATE FUNCTION tap.raw_after_adding() RETURNS text LANGUAGE plpgsql
AS $$
DECLARE
    result text;
BEGIN
    EXECUTE format('CREATE AGGREGATE tap.from_raw(float8, float8, float8, float8) (
                        SFUNC = clv_fit_bgnbd_transfn, STYPE = bigint[], INITCOND = %L)', tap.raw_state());
    SELECT tap.entries(tap.from_raw(1, 1, 2, 0.01)) INTO result;
    DROP AGGREGATE tap.from_raw(float8, float8, float8, float8);
    RETURN result;
END $$;
SELECT is(tap.raw_after_adding(), tap.raw_expected(),
          'a full state of 5,000 entries, some 400 distinct times of any bits: sorted as int64, merged, then the new history');
UPDATE tap.raw SET x = 4294967295 WHERE id = 1;
SELECT is(tap.raw_after_adding(), tap.raw_expected(), 'the same with a frequency of 2^32 - 1 in the last entry read');
UPDATE tap.raw SET x = 4294967296 WHERE id = 1;
SELECT is(tap.raw_after_adding(), tap.raw_expected(), 'the same with a frequency of 2^32 there, which the sort by ranks leaves to the comparison');
UPDATE tap.raw SET x = -1 WHERE id = 1;
SELECT is(tap.raw_after_adding(), tap.raw_expected(), 'the same with a frequency of -1 there');

-- A run long enough to be merged rather than sorted again (at least a
-- quarter of the entries): the distinct histories of tap.histories(10000,
-- 600) with their counts, and 3,000 more of two customers each whose ages
-- no tail entry has, in order, then tap.histories(5000, 600) in descending
-- order.  The tail's 300 distinct histories are all in the run, so the
-- merge adds counts.  The combine function's compaction merges the run with
-- the sorted tail in the state; the final function merges it in its copy.
CREATE TABLE tap.long_run AS
SELECT x, tap.bits(t_x) AS a, tap.bits(T) AS b, count(*) AS c
  FROM tap.histories(10000, 600) GROUP BY 1, 2, 3
UNION ALL
SELECT (j % 5 + 1)::bigint, tap.bits((j % 100 + 1) / 7.0), tap.bits((1000 + j) / 7.0), 2
  FROM generate_series(0, 2999) j;
CREATE FUNCTION tap.long_run_and_tail() RETURNS bigint[] LANGUAGE sql STABLE
AS $$ WITH tail AS (SELECT id, x, tap.bits(t_x) AS a, tap.bits(T) AS b FROM tap.histories(5000, 600)),
           entries AS (SELECT 1 AS part, row_number() OVER (ORDER BY x, a, b) AS pos, ARRAY[x, a, b, c] AS e
                         FROM tap.long_run
                       UNION ALL
                       SELECT 2, row_number() OVER (ORDER BY x DESC, a DESC, b DESC, id), ARRAY[x, a, b, 1] FROM tail)
      SELECT (SELECT h[1:2] || (SELECT count(*) FROM entries) || h[4:9] FROM tap.header)
             || array_agg(v ORDER BY part, pos, o)
        FROM entries, LATERAL unnest(e) WITH ORDINALITY AS u(v, o) $$;
-- the same customers as one compacted run, which needs no sorting
CREATE TABLE tap.long_run_merged AS
SELECT x, a, b, sum(c)::bigint AS c
  FROM (SELECT x, a, b, c FROM tap.long_run
        UNION ALL
        SELECT x, tap.bits(t_x), tap.bits(T), 1 FROM tap.histories(5000, 600)) e
 GROUP BY 1, 2, 3;
SELECT is(tap.entries(clv_fit_patterns_combine(tap.long_run_and_tail(), (SELECT tap.patterns_raw(1, 1, 2, 0.01)))),
          (SELECT string_agg(format('(%s,%s,%s,%s)', x, a, b, c), ',' ORDER BY x, a, b) FROM tap.long_run_merged)
          || tap.added(),
          'a run of 3,300 entries, then 5,000 new ones: these sorted, then merged with the run, counts added');
SELECT is(clv_fit_bgnbd_final(tap.long_run_and_tail())::text,
          clv_fit_bgnbd_final((SELECT h[1:2] || (SELECT count(*) FROM tap.long_run_merged) || h[4:9] FROM tap.header)
                              || (SELECT array_agg(v ORDER BY x, a, b, o)
                                    FROM tap.long_run_merged, LATERAL unnest(ARRAY[x, a, b, c]) WITH ORDINALITY AS u(v, o)))::text,
          'the final function, given that state, fits what it fits from the same customers compacted');

-- A sorted run, then new entries that the sort by ranks leaves (more
-- distinct times than an eighth of them) and whose keys differ in at most
-- 12 bytes, as a Gamma-Gamma fit's (frequency, mean spend, 0) do: a full
-- state made of them, handed to the transition function, is compacted
-- before the new history is added, the new entries sorted by their bytes
-- with the state's own room as scratch and merged with the run.
-- tap.run_tail(run, tail) is such a state, from a table of the run's
-- distinct entries and one of the new ones (put in descending order), and
-- tap.run_tail_expected what it must hold after one more history.  With
-- the radix sort's sign flip removed (2026-12-07) tests 15 to 17 failed,
-- with its passes over the frequency skipped 14 to 16 (17's frequency is
-- one), and with the copy back after an odd number of passes left out 14 to
-- 16 (17 sorts in two); every other test passed each time.
CREATE FUNCTION tap.run_tail(run regclass, tail regclass) RETURNS bigint[] LANGUAGE plpgsql
AS $$
DECLARE
    result bigint[];
BEGIN
    EXECUTE format($q$
        WITH entries AS (SELECT 1 AS part, row_number() OVER (ORDER BY x, a, b) AS pos, ARRAY[x, a, b, c] AS e FROM %s
                         UNION ALL
                         SELECT 2, row_number() OVER (ORDER BY x DESC, a DESC, b DESC, id), ARRAY[x, a, b, 1] FROM %s)
        SELECT (SELECT h[1:2] || (SELECT count(*) FROM entries) || h[4:9] FROM tap.header)
               || array_agg(v ORDER BY part, pos, o)
          FROM entries, LATERAL unnest(e) WITH ORDINALITY AS u(v, o) $q$, run, tail) INTO result;
    RETURN result;
END $$;
CREATE FUNCTION tap.run_tail_expected(run regclass, tail regclass) RETURNS text LANGUAGE plpgsql
AS $$
DECLARE
    result text;
BEGIN
    EXECUTE format($q$
        SELECT string_agg(format('(%%s,%%s,%%s,%%s)', x, a, b, c), ',' ORDER BY x, a, b)
          FROM (SELECT x, a, b, sum(c)::bigint AS c
                  FROM (SELECT x, a, b, c FROM %s UNION ALL SELECT x, a, b, 1 FROM %s) e
                 GROUP BY 1, 2, 3) g $q$, run, tail) INTO result;
    RETURN result || tap.added();
END $$;
-- what the state holds after one more history (as tap.raw_after_adding)
CREATE FUNCTION tap.run_tail_after_adding(run regclass, tail regclass) RETURNS text LANGUAGE plpgsql
AS $$
DECLARE
    result text;
BEGIN
    EXECUTE format('CREATE AGGREGATE tap.from_run_tail(float8, float8, float8, float8) (
                        SFUNC = clv_fit_bgnbd_transfn, STYPE = bigint[], INITCOND = %L)', tap.run_tail(run, tail));
    SELECT tap.entries(tap.from_run_tail(1, 1, 2, 0.01)) INTO result;
    DROP AGGREGATE tap.from_run_tail(float8, float8, float8, float8);
    RETURN result;
END $$;

-- mean spends in cents: 6,000 new entries, 4,999 distinct spends (and the
-- 0), 9 bytes that differ; a run of 2,000 histories (a quarter of all
-- entries, so it is merged, not sorted again), some in the tail too
CREATE TABLE tap.spend_tail AS
SELECT g AS id, (g % 4 + 1)::bigint AS x, tap.bits(((g * 7919) % 4999 + 1) / 100.0) AS a, 0::bigint AS b
  FROM generate_series(1, 6000) g;
CREATE TABLE tap.spend_run AS
SELECT x, a, b, count(*) * 3 AS c
  FROM (SELECT (g % 4 + 1)::bigint AS x, tap.bits(((g * 31) % 2999 + 1) / 100.0) AS a, 0::bigint AS b
          FROM generate_series(1, 2000) g) r
 GROUP BY 1, 2, 3;
SELECT is(tap.run_tail_after_adding('tap.spend_run', 'tap.spend_tail'), tap.run_tail_expected('tap.spend_run', 'tap.spend_tail'),
          'a run of spend histories, then 6,000 new ones with 4,999 distinct spends: sorted by their bytes, merged');
-- any bits, negative ones among them, in the second slot (the sort flips
-- the sign bit so that the bytes order as int64 do)
CREATE TABLE tap.any_tail AS
SELECT g AS id, (g % 3)::bigint AS x, ((g * 7919) % 4001 - 2000)::bigint * 2305843009213 AS a, -5::bigint AS b
  FROM generate_series(1, 6000) g;
CREATE TABLE tap.any_run AS
SELECT x, a, b, count(*) AS c
  FROM (SELECT (g % 3)::bigint AS x, ((g * 613) % 3001 - 1500)::bigint * 2305843009213 AS a, -5::bigint AS b
          FROM generate_series(1, 3000) g) r
 GROUP BY 1, 2, 3;
SELECT is(tap.run_tail_after_adding('tap.any_run', 'tap.any_tail'), tap.run_tail_expected('tap.any_run', 'tap.any_tail'),
          'the same with times of any bits, negative ones among them: in the order of the bits read as int64');
-- second slots that differ only in their two highest bytes, either sign, and
-- third slots of -1 and 0, whose flipped bits differ in all eight: 11 passes
UPDATE tap.any_tail SET a = ((id * 7919) % 4001 - 2000)::bigint << 48, b = -(id % 2);
CREATE TABLE tap.top_run AS
SELECT x, a, b, count(*) AS c
  FROM (SELECT (g % 3)::bigint AS x, ((g * 613) % 3001 - 1500)::bigint << 48 AS a, -(g % 2)::bigint AS b
          FROM generate_series(1, 3000) g) r
 GROUP BY 1, 2, 3;
SELECT is(tap.run_tail_after_adding('tap.top_run', 'tap.any_tail'), tap.run_tail_expected('tap.top_run', 'tap.any_tail'),
          'the same with second slots that differ in their two highest bytes only, and third slots of -1 and 0');
-- an even number of passes (two: one frequency, one third slot, second
-- slots of 1,000 values in their two highest bytes), so that the sorted
-- entries end where they began, and new entries that repeat (six each)
UPDATE tap.any_tail SET x = 2, a = ((id * 7) % 1000 - 500)::bigint << 48, b = 0;
CREATE TABLE tap.even_run AS
SELECT 2::bigint AS x, (g - 1500)::bigint << 48 AS a, 0::bigint AS b, 2::bigint AS c
  FROM generate_series(0, 2999) g;
SELECT is(tap.run_tail_after_adding('tap.even_run', 'tap.any_tail'), tap.run_tail_expected('tap.even_run', 'tap.any_tail'),
          'the same in two passes, new entries repeating one another: merged among themselves and with the run');

SELECT * FROM finish();
ROLLBACK;
