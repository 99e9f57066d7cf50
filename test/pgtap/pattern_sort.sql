-- How a model fit's state sorts and merges its histories (src/patterns.c).
-- Compaction sorts the entries (frequency, then the two times' float8 bits
-- read as int64) and merges equal ones, adding their counts.  Given 4,096
-- entries or more whose frequencies fit 32 bits and whose distinct times
-- number at most an eighth of them (and 65,536), it sorts keys of the
-- times' ranks by their bytes; else it compares the entries.  Both must
-- give the same entries in the same order: here each is checked against
-- the same histories grouped and ordered in SQL, on states made by hand
-- whose entries are in descending order (so that every entry is sorted),
-- on each side of both thresholds, and on a state handed to the transition
-- function with times of any bits, negative ones included.
\ir ../include/prologue.psql
BEGIN;
SELECT plan(7);

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
-- what compaction must give: the same histories, grouped and ordered
CREATE FUNCTION tap.expected(n int, times int) RETURNS text LANGUAGE sql
AS $$ SELECT string_agg(format('(%s,%s,%s,%s)', x, a, b, c), ',' ORDER BY x, a, b)
        FROM (SELECT x, tap.bits(t_x) AS a, tap.bits(T) AS b, count(*) AS c
                FROM (SELECT x, t_x, T FROM tap.histories(n, times) UNION ALL SELECT 1, 1, 2) h
               GROUP BY 1, 2, 3) g $$;
-- compacted by the combine function, called directly, with one more history
CREATE FUNCTION tap.compacted(n int, times int) RETURNS text LANGUAGE sql
AS $$ SELECT tap.entries(clv_fit_patterns_combine(tap.state_of(n, times), (SELECT tap.patterns_raw(1, 1, 2, 0.01)))) $$;

-- times on a day grid: t_x from the first half of the values, T from the
-- second; compaction sees the n entries made by hand and the one added
SELECT is(tap.compacted(5000, 600), tap.expected(5000, 600),
          '5,001 entries, 600 distinct times (at most an eighth): sorted and merged');
SELECT is(tap.compacted(5000, 624), tap.expected(5000, 624),
          '5,001 entries, 624 distinct times, one under an eighth of them: the same');
SELECT is(tap.compacted(5000, 626), tap.expected(5000, 626),
          '5,001 entries, 626 distinct times, one over an eighth of them: the same');
SELECT is(tap.compacted(4095, 500), tap.expected(4095, 500),
          '4,096 entries, 500 distinct times: the same');
SELECT is(tap.compacted(4000, 400), tap.expected(4000, 400),
          '4,001 entries, under 4,096: the same');

-- A full state handed to the transition function by hand, its times any
-- bits (negative ones too, which a fit would refuse): adding a history
-- compacts it first, in the order of the bits read as int64, then appends.
CREATE TABLE tap.raw AS
SELECT g AS id, (g % 3)::bigint AS x,
       ((g % 600) * 7919 % 211 - 100)::bigint * 43046721 * 1000 AS a,
       ((g % 600) * 104729 % 197 - 90)::bigint * 387420489 * 100000 AS b
  FROM generate_series(1, 5000) g;
CREATE TABLE tap.full_state AS
SELECT (SELECT h[1:2] || 5000::bigint || h[4:9] FROM tap.header)
       || array_agg(e ORDER BY r.id DESC, o) AS s
  FROM tap.raw r, LATERAL unnest(ARRAY[r.x, r.a, r.b, 1]) WITH ORDINALITY AS u(e, o);
-- what it must hold after one more history: tap.raw grouped and ordered,
-- then that history
CREATE FUNCTION tap.raw_expected() RETURNS text LANGUAGE sql STABLE
AS $$ SELECT string_agg(format('(%s,%s,%s,%s)', x, a, b, c), ',' ORDER BY x, a, b)
             || format(',(%s,%s,%s,%s)', 1, tap.bits(1), tap.bits(2), 1)
        FROM (SELECT x, a, b, count(*) AS c FROM tap.raw GROUP BY 1, 2, 3) g $$;
-- the aggregate that starts from that state
DO $$ BEGIN
    EXECUTE format('CREATE AGGREGATE tap.from_full(float8, float8, float8, float8) (
                        SFUNC = clv_fit_bgnbd_transfn, STYPE = bigint[], INITCOND = %L)',
                   (SELECT s FROM tap.full_state));
END $$;
SELECT is((SELECT tap.entries(tap.from_full(1, 1, 2, 0.01))),
          tap.raw_expected(),
          'a full state of 5,000 entries, some 400 distinct times of any bits: sorted as int64, merged, then the new history');
-- the same with one entry's frequency -1, which the sort by ranks leaves
-- to the comparison
UPDATE tap.raw SET x = -1 WHERE id = 5000;
DO $$ BEGIN
    EXECUTE format('CREATE AGGREGATE tap.from_full_negative(float8, float8, float8, float8) (
                        SFUNC = clv_fit_bgnbd_transfn, STYPE = bigint[], INITCOND = %L)',
                   (SELECT s[1:9] || ARRAY[-1::bigint] || s[11:] FROM tap.full_state));
END $$;
SELECT is((SELECT tap.entries(tap.from_full_negative(1, 1, 2, 0.01))),
          tap.raw_expected(),
          'the same with a frequency of -1: sorted and merged the same way');

SELECT * FROM finish();
ROLLBACK;
