-- Large transition states held in place (src/state.c): once a model fit's,
-- a covariate fit's or the RFM breakpoints' state passes 64 kB, it is kept
-- in PostgreSQL's expanded form of its bigint[] (flat, in a memory context
-- under the aggregate's) and grown there, rather than copied by the
-- executor at every doubling, its room past the array's end.  Whatever
-- reads it must see the same bigint[] as before, without the room: the
-- final function, the text a raw state prints (what Citus ships), a hash
-- or sorted aggregate with large and small groups, grouping sets, parallel
-- workers, and partitionwise aggregation, where (on
-- PostgreSQL 16 and later) one partition's partial state goes to the
-- combine function without being flattened into a tuple.  Window
-- aggregates keep their states flat: a running fit, and a moving frame
-- whose inverse transition function is PL/pgSQL.  Each result is compared with the
-- same work done through small, flat states (the histories counted in SQL
-- first, one row each) or through the text of the state.
\ir ../include/prologue.psql
\ir ../include/plan_of.psql
BEGIN;
SELECT plan(44);

CREATE SCHEMA tap;
CREATE AGGREGATE tap.patterns_raw(float8, float8, float8, float8) (
    SFUNC = clv_fit_bgnbd_transfn, STYPE = bigint[]);
CREATE AGGREGATE tap.spend_raw(float8, float8) (
    SFUNC = clv_fit_gammagamma_transfn, STYPE = bigint[]);
CREATE AGGREGATE tap.rfm_raw(float8, float8, float8) (
    SFUNC = clv_rfm_breakpoints_transfn, STYPE = bigint[]);
CREATE AGGREGATE tap.covariates_raw(float8, float8, float8, float8[], float8, float8, float8) (
    SFUNC = clv_fit_covariates_transfn, STYPE = bigint[]);

-- 30,000 customers on a day grid in weeks, 6,000 or so distinct histories:
-- the fit's state passes 64 kB after about 2,000 of them.  Nobody drops
-- out here, so the purchase fits take a penalizer (0.01) to stay finite.
CREATE TABLE tap.customers AS
SELECT c, x::float8 AS x,
       CASE WHEN x = 0 THEN 0 ELSE round((T * (1 + c % 13) / 14)::numeric, 6)::float8 END AS t_x,
       T, round((10 * exp(((c * 7919) % 1000) / 400.0))::numeric, 2)::float8 AS m, (c % 4) AS g, ARRAY[((c % 11) - 5) / 5.0]::float8[] AS z
FROM generate_series(1, 30000) c,
     LATERAL (SELECT (c * 31) % 9 AS x, round(((1 + (c * 17) % 700) / 7.0)::numeric, 6)::float8 AS T) h;
ANALYZE tap.customers;

SELECT cmp_ok((SELECT 8 * array_length(tap.patterns_raw(x, t_x, T, 0.01), 1) FROM tap.customers), '>', 4 * 65536,
              'the fit''s state of 30,000 customers is large enough to be held (over 256 kB)');
SELECT cmp_ok((SELECT 8 * array_length(tap.rfm_raw(T - t_x, x, m), 1) FROM tap.customers), '>', 4 * 65536,
              'and the RFM breakpoints'' state');

-- the reference: each distinct history once, with its count (a small state)
CREATE TABLE tap.fits AS
SELECT (SELECT clv_fit_bgnbd(x, t_x, T, 0.01)::text FROM tap.customers) AS held,
       (SELECT clv_fit_bgnbd(x, t_x, T, 0.01)::text FROM (SELECT * FROM tap.customers ORDER BY c DESC) r) AS held_reversed,
       (SELECT clv_fit_bgnbd_final(tap.patterns_raw(x, t_x, T, 0.01)::text::bigint[])::text FROM tap.customers) AS from_text,
       (SELECT clv_fit_gammagamma(x, m)::text FROM tap.customers WHERE x > 0) AS spend_held,
       (SELECT clv_fit_gammagamma_final(tap.spend_raw(x, m)::text::bigint[])::text FROM tap.customers WHERE x > 0) AS spend_from_text,
       (SELECT clv_rfm_breakpoints(T - t_x, x, m)::text FROM tap.customers) AS rfm_held,
       (SELECT clv_rfm_breakpoints_final(tap.rfm_raw(T - t_x, x, m)::text::bigint[])::text FROM tap.customers) AS rfm_from_text;

SELECT is(held, from_text, 'BG/NBD: the held state, printed as text and read back, fits the same model')
FROM tap.fits;
SELECT is(held, held_reversed, 'BG/NBD: the rows in the other order fit the same model') FROM tap.fits;
SELECT is(spend_held, spend_from_text, 'Gamma-Gamma: the held state through its text fits the same model') FROM tap.fits;
SELECT is(rfm_held, rfm_from_text, 'RFM breakpoints: the held state through its text gives the same breakpoints') FROM tap.fits;
SELECT is((SELECT array_length(tap.patterns_raw(x, t_x, T, 0.01), 1) FROM tap.customers),
          (SELECT array_length(tap.patterns_raw(x, t_x, T, 0.01)::text::bigint[], 1) FROM tap.customers),
          'array functions read a held state as the bigint[] it is');

-- A held state's array ends after the slots it uses; its room to grow lies
-- past that end, so that no reader sees it and a copy (a tuple's, here a
-- materialized CTE's; a parallel worker's partial state on its way to the
-- leader is another; an aggregate's result is copied too) carries none:
-- a fit's state is 9 header slots, then 4 per history (a covariate fit's,
-- with one covariate, 9 and 5), the RFM breakpoints' 3, then 3 per customer.
CREATE TABLE tap.flattened AS
WITH raw AS MATERIALIZED (
    SELECT tap.patterns_raw(x, t_x, T, 0.01) AS patterns, tap.spend_raw(x, m) FILTER (WHERE x > 0) AS spend,
           tap.rfm_raw(T - t_x, x, m) AS rfm, tap.covariates_raw(x, t_x, T, z, 0.01, 0.01, 0.01) AS covariates
      FROM tap.customers)
SELECT * FROM raw;
SELECT is((SELECT array[array_length(patterns, 1) - 9 - 4 * patterns[3], array_length(spend, 1) - 9 - 4 * spend[3],
                        array_length(covariates, 1) - 9 - 5 * covariates[3]] FROM tap.flattened),
          array[0, 0, 0]::bigint[],
          'held fit states (BG/NBD, Gamma-Gamma, with a covariate) copied: their histories and no room after them');
SELECT is((SELECT sum(patterns[9 + 4 * i + 4]) FROM tap.flattened, generate_series(0, patterns[3] - 1) i), 30000::numeric,
          'and the BG/NBD state''s histories count every customer');
SELECT is((SELECT array[array_length(rfm, 1), rfm[3]] FROM tap.flattened), array[3 + 3 * 30000, 30000]::bigint[],
          'the RFM breakpoints'' held state copied: its 30,000 customers'' measures and no room');
SELECT is((SELECT array[clv_fit_bgnbd_final(patterns)::text, clv_fit_gammagamma_final(spend)::text,
                        clv_rfm_breakpoints_final(rfm)::text] FROM tap.flattened),
          (SELECT array[held, spend_held, rfm_held] FROM tap.fits),
          'the copies give the same BG/NBD and Gamma-Gamma fits and RFM breakpoints');
SELECT is((SELECT clv_fit_bgnbd_covariates_final(covariates)::text FROM tap.flattened),
          (SELECT clv_fit_bgnbd(x, t_x, T, z, 0.01, 0.01, 0.01)::text FROM tap.customers),
          'and the same fit with a covariate');

-- States of megabytes.  With clv.transparent_huge_pages on, a held state
-- grows by copying its used slots into chunks whose whole 2 MB pages are
-- marked for transparent huge pages (src/large_alloc.c; the marking is the
-- kernel's and not visible here), whatever the kernel's setting (on Linux); off, by
-- repalloc.  160,000 distinct histories and about 137,000 distinct spends,
-- off any day grid, both ways against the same fits from a window
-- aggregate, whose states stay flat and grow by the plain path.  (All share
-- the final functions' copies.)  One process: parallel workers would merge
-- partial states instead.
SET LOCAL max_parallel_workers_per_gather = 0;
CREATE TABLE tap.large AS
SELECT c, x::float8 AS x, CASE WHEN x = 0 THEN 0 ELSE T * (1 + c % 13) / 14 END AS t_x, T,
       10 + c / 997.0 AS m
FROM generate_series(1, 160000) c,
     LATERAL (SELECT c % 7 AS x, 100 + c / 1000.0 AS T) h;
CREATE FUNCTION tap.large_fits() RETURNS text[] LANGUAGE sql AS $$
    SELECT array[clv_fit_bgnbd(x, t_x, T, 0.01)::text, clv_fit_gammagamma(x, m) FILTER (WHERE x > 0)::text,
                 clv_rfm_breakpoints(T - t_x, x, m)::text] FROM tap.large $$;
SET LOCAL clv.transparent_huge_pages = on;
SELECT cmp_ok((SELECT least(8 * array_length(tap.patterns_raw(x, t_x, T, 0.01), 1),
                             8 * array_length(tap.spend_raw(x, m) FILTER (WHERE x > 0), 1)) FROM tap.large),
              '>', 4 * 1024 * 1024, 'the BG/NBD and Gamma-Gamma states of 160,000 customers both pass 4 MB');
CREATE TEMP TABLE large_fits AS SELECT 'on' AS setting, tap.large_fits() AS fits;
SET LOCAL clv.transparent_huge_pages = off;
INSERT INTO large_fits SELECT 'off', tap.large_fits();
RESET clv.transparent_huge_pages;
SELECT is((SELECT array_agg(f.fits::text ORDER BY f.setting) FROM large_fits f),
          (SELECT array_fill(array[w.bgnbd::text, w.spend::text, w.rfm::text]::text, array[2])
             FROM (SELECT clv_fit_bgnbd(x, t_x, T, 0.01) OVER () AS bgnbd,
                          clv_fit_gammagamma(x, m) FILTER (WHERE x > 0) OVER () AS spend,
                          clv_rfm_breakpoints(T - t_x, x, m) OVER () AS rfm FROM tap.large LIMIT 1) w),
          'held states of megabytes, on huge pages or not, give the BG/NBD and Gamma-Gamma fits and RFM breakpoints of flat ones');
RESET max_parallel_workers_per_gather;

-- A window aggregate finalizes the state at each peer group and then adds
-- the next rows to it: each running fit equals the fit of the rows so far.
SELECT is((SELECT count(*)
           FROM (SELECT DISTINCT c / 10000 AS k, clv_fit_bgnbd(x, t_x, T, 0.01) OVER (ORDER BY c / 10000)::text AS fit
                 FROM tap.customers) w
           WHERE w.fit = (SELECT clv_fit_bgnbd(x, t_x, T, 0.01)::text FROM tap.customers o WHERE o.c / 10000 <= w.k)),
          4::bigint, 'a running fit (window aggregate over 4 peer groups) equals each prefix fitted alone');

-- A moving frame calls the inverse transition function, which CREATE
-- AGGREGATE lets a user write; PL/pgSQL takes over a read-write argument
-- and frees it with its call.  States stay flat in window aggregates, so
-- such an inverse (here one that keeps the state as it is) is safe.
CREATE FUNCTION tap.keep_state(s bigint[], float8, float8, float8, float8) RETURNS bigint[]
LANGUAGE plpgsql AS $$ BEGIN RETURN s; END $$;
CREATE FUNCTION tap.state_length(s bigint[]) RETURNS int LANGUAGE sql AS 'SELECT array_length(s, 1)';
CREATE AGGREGATE tap.moving_state(float8, float8, float8, float8) (
    SFUNC = clv_fit_bgnbd_transfn, STYPE = bigint[], FINALFUNC = tap.state_length,
    MSFUNC = clv_fit_bgnbd_transfn, MSTYPE = bigint[], MINVFUNC = tap.keep_state, MFINALFUNC = tap.state_length);
SELECT is((SELECT count(*) FILTER (WHERE n > 4 * 8192)
           FROM (SELECT tap.moving_state(x, t_x, T, 0.01) OVER (ORDER BY c ROWS BETWEEN 1 PRECEDING AND 20000 FOLLOWING) AS n
                 FROM tap.customers ORDER BY c LIMIT 6) w),
          6::bigint, 'a moving frame over large states with a PL/pgSQL inverse transition function');

-- Several held groups one after another (a sorted aggregate), and grouping
-- sets, each set with its own memory.
SET LOCAL enable_hashagg = off;
SELECT is((SELECT count(*) FROM (SELECT g, clv_fit_bgnbd(x, t_x, T, 0.01)::text AS fit FROM tap.customers GROUP BY g) h
           WHERE fit = (SELECT clv_fit_bgnbd(x, t_x, T, 0.01)::text FROM tap.customers o WHERE o.g = h.g)),
          4::bigint, 'four held groups in a sorted aggregate: each fit equals its group alone');
RESET enable_hashagg;
SELECT is((SELECT count(*) FROM (SELECT g, clv_fit_bgnbd(x, t_x, T, 0.01)::text AS fit, clv_rfm_breakpoints(T - t_x, x, m)::text AS rfm
                                  FROM tap.customers GROUP BY GROUPING SETS ((g), ())) h
           WHERE fit = (SELECT clv_fit_bgnbd(x, t_x, T, 0.01)::text FROM tap.customers o WHERE h.g IS NULL OR o.g = h.g)
             AND rfm = (SELECT clv_rfm_breakpoints(T - t_x, x, m)::text FROM tap.customers o WHERE h.g IS NULL OR o.g = h.g)),
          5::bigint, 'grouping sets: the four groups and the whole table, held, each equal to its rows alone');

-- Parallel workers hold their partial states and send them flattened.
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 2;
SELECT alike(pg_temp.plan_of('SELECT clv_fit_bgnbd(x, t_x, T, 0.01) FROM tap.customers', 'COSTS OFF'),
             '%Partial Aggregate%', 'the fit runs as partial aggregates under a Gather');
SELECT alike(pg_temp.plan_of('SELECT clv_fit_bgnbd(x, t_x, T, 0.01), clv_rfm_breakpoints(T - t_x, x, m) FROM tap.customers'),
             '%Workers Launched: 2%', 'and two workers run, each sending its partial states');
SELECT is((SELECT clv_fit_bgnbd(x, t_x, T, 0.01)::text FROM tap.customers), held,
          'BG/NBD: partial states of parallel workers fit the same model') FROM tap.fits;
SELECT is((SELECT clv_fit_gammagamma(x, m)::text FROM tap.customers WHERE x > 0), spend_held,
          'Gamma-Gamma: the same through parallel workers') FROM tap.fits;
SELECT is((SELECT clv_rfm_breakpoints(T - t_x, x, m)::text FROM tap.customers), rfm_held,
          'RFM breakpoints: the same through parallel workers') FROM tap.fits;
SELECT is((SELECT clv_fit_bgnbd(x, t_x, T, z, 0.01, 0.01, 0.01)::text FROM tap.customers),
          (SELECT clv_fit_bgnbd_covariates_final(tap.covariates_raw(x, t_x, T, z, 0.01, 0.01, 0.01)::text::bigint[])::text
             FROM tap.customers),
          'BG/NBD with a covariate: the same through parallel workers');
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;

-- Large and small groups in one hash aggregate, against each group alone.
SET LOCAL enable_sort = off;
SET LOCAL max_parallel_workers_per_gather = 0;
SELECT alike(pg_temp.plan_of('SELECT g, clv_fit_bgnbd(x, t_x, T, 0.01) FROM tap.customers WHERE g > 0 OR c % 50 = 0 GROUP BY g'),
            '%HashAggregate%', 'the grouped fits run as a hash aggregate');
SELECT is((SELECT count(*) FROM (SELECT g, clv_fit_bgnbd(x, t_x, T, 0.01)::text AS fit FROM tap.customers
                                  WHERE g > 0 OR c % 50 = 0 GROUP BY g) h
           WHERE fit = (SELECT clv_fit_bgnbd(x, t_x, T, 0.01)::text FROM tap.customers o WHERE o.g = h.g AND (o.g > 0 OR o.c % 50 = 0))),
          4::bigint, 'three held groups and a small one in one hash aggregate: each fit equals its group alone');
RESET enable_sort;

-- Partitionwise aggregation: one partial state per partition, combined in
-- the same process (a large held one, a small flat one, and an empty
-- partition's NULL), against the fit of the whole table.
CREATE TABLE tap.parted (LIKE tap.customers, part int) PARTITION BY LIST (part);
CREATE TABLE tap.parted_0 PARTITION OF tap.parted FOR VALUES IN (0);
CREATE TABLE tap.parted_1 PARTITION OF tap.parted FOR VALUES IN (1);
CREATE TABLE tap.parted_2 PARTITION OF tap.parted FOR VALUES IN (2);
INSERT INTO tap.parted SELECT c.*, CASE WHEN c.c % 100 = 0 THEN 1 ELSE 0 END FROM tap.customers c;
ANALYZE tap.parted;
SET LOCAL enable_partitionwise_aggregate = on;
SET LOCAL cpu_tuple_cost = 1;
SELECT ok(pg_temp.plan_of('SELECT clv_fit_bgnbd(x, t_x, T, 0.01), clv_rfm_breakpoints(T - t_x, x, m) FROM tap.parted', 'COSTS OFF')
          ~ 'Finalize Aggregate.*Append.*Partial Aggregate.*Partial Aggregate.*Partial Aggregate',
          'the partitioned fit is a partial aggregate per partition, combined over an Append');
SELECT is((SELECT clv_fit_bgnbd(x, t_x, T, 0.01)::text FROM tap.parted), held,
          'BG/NBD: partial states combined in one process (held, flat and NULL) fit the same model as the whole table')
FROM tap.fits;
SELECT is((SELECT clv_rfm_breakpoints(T - t_x, x, m)::text FROM tap.parted), rfm_held,
          'RFM breakpoints: the same through partial states combined in one process')
FROM tap.fits;
RESET enable_partitionwise_aggregate;
RESET cpu_tuple_cost;

-- A combine function merges into its first state, the aggregate's own, and
-- holds it in place once it is large, as a transition does: here as the
-- transition of an aggregate over eight stored partial states, which the
-- merged state outgrows.
CREATE TABLE tap.partials AS
SELECT c % 8 AS part, tap.patterns_raw(x, t_x, T, 0.01) AS patterns, tap.rfm_raw(T - t_x, x, m) AS rfm
FROM tap.customers GROUP BY c % 8;
CREATE AGGREGATE tap.patterns_merged(bigint[]) (SFUNC = clv_fit_patterns_combine, STYPE = bigint[]);
CREATE AGGREGATE tap.rfm_merged(bigint[]) (SFUNC = clv_rfm_breakpoints_combine, STYPE = bigint[]);
SELECT cmp_ok((SELECT 8 * array_length(tap.patterns_merged(patterns ORDER BY part), 1) FROM tap.partials), '>', 4 * 65536,
              'eight partial states merged come to over 256 kB, past the size at which a state is held');
SELECT is((SELECT clv_fit_bgnbd_final(tap.patterns_merged(patterns ORDER BY part))::text FROM tap.partials), held,
          'BG/NBD: eight partial states merged by the combine function, held, fit the same model')
FROM tap.fits;
SELECT is((SELECT clv_fit_bgnbd_final(tap.patterns_merged(patterns ORDER BY part)::text::bigint[])::text FROM tap.partials), held,
          'BG/NBD: the merged state printed as text and read back fits the same model')
FROM tap.fits;
SELECT is((SELECT clv_rfm_breakpoints_final(tap.rfm_merged(rfm ORDER BY part DESC))::text FROM tap.partials), rfm_held,
          'RFM breakpoints: eight partial states merged in place give the same breakpoints')
FROM tap.fits;
-- The combine function appends the second state's histories, and sorts and
-- merges them with the first's only once the state fills up (and the final
-- function at the end): the merged state holds fewer histories than the
-- eight together, so it was compacted on the way, and fits as above.
SELECT cmp_ok((SELECT (tap.patterns_merged(patterns ORDER BY part))[3] FROM tap.partials), '<',
              (SELECT sum(patterns[3])::bigint FROM tap.partials),
              'merging eight partial states compacts the merged state when it fills up');
-- Two partial states that share histories: the first has no room beyond its
-- own, so the combine function compacts it (its histories added since its
-- last compaction) and appends the second's histories as they are, without
-- merging them with the first's until it must: it holds the first's
-- distinct histories and all of the second's entries (a merge at every call
-- would leave only the histories distinct among both: 7,017 here, not 7,206)
SELECT is((SELECT (tap.patterns_merged(patterns ORDER BY part))[3] FROM tap.partials WHERE part < 2),
          (SELECT count(*) FROM (SELECT DISTINCT x, t_x, T FROM tap.customers WHERE c % 8 = 0) d)
          + (SELECT patterns[3] FROM tap.partials WHERE part = 1),
          'two partial states merged: the first compacted, the second''s histories appended, not merged with the first''s yet');
SELECT is((SELECT clv_fit_bgnbd_final(tap.patterns_merged(patterns ORDER BY part))::text FROM tap.partials WHERE part < 2),
          (SELECT clv_fit_bgnbd(x, t_x, T, 0.01)::text FROM tap.customers WHERE c % 8 < 2),
          'and the final function fits the model of their customers from them');
-- A held first state is not checked again at each merge (src/state.c):
-- what reaches the combine function from outside still is, first or later.
-- Here one partial state forged: its first history counted 0 customers.
CREATE TABLE tap.forged AS
SELECT p[1:12] || 0::bigint || p[14:] AS patterns FROM (SELECT patterns AS p FROM tap.partials WHERE part = 0) f;
SELECT throws_ok($$SELECT tap.patterns_merged(s ORDER BY part)
                     FROM (SELECT part, patterns AS s FROM tap.partials
                           UNION ALL SELECT 8, patterns FROM tap.forged) merged$$,
                 '22023', 'invalid model fit state',
                 'a forged partial state merged after the merged state is held is refused');
DO $$ BEGIN
    EXECUTE format('CREATE AGGREGATE tap.patterns_onto_forged(bigint[]) (SFUNC = clv_fit_patterns_combine,'
                   ' STYPE = bigint[], INITCOND = %L)', (SELECT patterns FROM tap.forged));
END $$;
SELECT throws_ok($$SELECT tap.patterns_onto_forged(patterns ORDER BY part) FROM tap.partials$$,
                 '22023', 'invalid model fit state',
                 'a forged first state (INITCOND) is refused at the first merge');

-- Called directly, a combine function must leave its first argument as it
-- was: here a value stored in the table's page, uncompressed (storage
-- plain), which writing into it would change for every later reader.
CREATE TABLE tap.two_states (a bigint[], b bigint[]);
ALTER TABLE tap.two_states ALTER COLUMN a SET STORAGE PLAIN, ALTER COLUMN b SET STORAGE PLAIN;
-- the first given room for the second's histories, which could be written
-- there (a fit's state: 9 header slots, the third counting the histories,
-- then 4 per history; a stored state keeps none of its own)
INSERT INTO tap.two_states
SELECT (SELECT tap.patterns_raw(x, t_x, T, 0.01) FROM tap.customers WHERE c <= 100) || array_fill(0::bigint, ARRAY[4 * 20]),
       (SELECT tap.patterns_raw(x, t_x, T, 0.01) FROM tap.customers WHERE c > 100 AND c <= 120);
SELECT ok((SELECT a[3] + b[3] <= (array_length(a, 1) - 9) / 4 FROM tap.two_states),
          'the first of two states has room for the second''s histories');
CREATE TABLE tap.two_states_before AS SELECT a::text AS a FROM tap.two_states;
SELECT is((SELECT clv_fit_bgnbd_final(clv_fit_patterns_combine(a, b))::text FROM tap.two_states),
          (SELECT clv_fit_bgnbd(x, t_x, T, 0.01)::text FROM tap.customers WHERE c <= 120),
          'called directly, the combine function merges the two states: the fit of their customers');
SELECT is((SELECT a::text FROM tap.two_states), (SELECT a FROM tap.two_states_before),
          'and leaves its first argument, stored in the table, as it was');

-- Covariate fits keep their histories with the covariates: held as well.
SELECT cmp_ok((SELECT 8 * array_length(tap.covariates_raw(x, t_x, T, z, 0.01, 0.01, 0.01), 1) FROM tap.customers), '>', 4 * 65536,
              'a covariate fit''s state of 30,000 customers is held too');
SELECT is((SELECT clv_fit_bgnbd(x, t_x, T, z, 0.01, 0.01, 0.01)::text FROM tap.customers),
          (SELECT clv_fit_bgnbd_covariates_final(tap.covariates_raw(x, t_x, T, z, 0.01, 0.01, 0.01)::text::bigint[])::text FROM tap.customers),
          'BG/NBD with a covariate: the held state through its text fits the same model');
CREATE AGGREGATE tap.covariates_merged(bigint[]) (SFUNC = clv_fit_covariates_combine, STYPE = bigint[]);
SELECT is((SELECT clv_fit_bgnbd_covariates_final(tap.covariates_merged(s ORDER BY part))::text
           FROM (SELECT c % 8 AS part, tap.covariates_raw(x, t_x, T, z, 0.01, 0.01, 0.01) AS s
                 FROM tap.customers GROUP BY c % 8) partials),
          (SELECT clv_fit_bgnbd(x, t_x, T, z, 0.01, 0.01, 0.01)::text FROM tap.customers),
          'BG/NBD with a covariate: eight partial states merged in place by the combine function fit the same model');
RESET max_parallel_workers_per_gather;

SELECT * FROM finish();
ROLLBACK;
