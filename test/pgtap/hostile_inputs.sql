-- Hostile inputs: every SQL-callable function and aggregate of the extension
-- (found in the catalog, so that one added later is covered without editing
-- this file) called with NULLs, NaN, +/-Infinity, huge and tiny values,
-- negative amounts, timestamps at +/-infinity and at the edges of their
-- range, garbage states and impossible summaries and models, and as
-- aggregates over empty, single-row and hostile groups.
--
-- Each call runs alone in a top-level statement inside an exception block
-- (so an error is recorded, and whatever a successful call changed is
-- rolled back).  The outcome must be a clear error with a proper SQLSTATE
-- or a valid value:
--   * no internal error (class XX: elog without an errcode), no P0001 (a
--     RAISE without ERRCODE), no assertion failure, no out-of-memory;
--   * bounded work, asserted as counts, not seconds: every model a fit
--     returns took at most the optimizer's 500 iterations, and the series
--     and loops inside are capped in C by terms (a statement_timeout of ten
--     minutes only keeps a hang from stalling CI: no call may reach it, and
--     nothing here depends on how fast or loaded the machine is);
--   * no NaN in a float result (a float field or element of one) unless
--     some input carried a NaN.  NaN in, NaN out is tolerated (float8
--     arithmetic does that, and the invariants are not asked of it); a NaN
--     out of finite or infinite input is a wrong value nobody asked for:
--     Infinity - Infinity is not an answer, the infinite input should have
--     been refused (clv_check_finite);
--   * no +/-Infinity in a result unless some input was infinite or NaN:
--     finite input whose result overflows is an error (clv_check_result);
--   * per function, the invariants its result must keep (probabilities in
--     [0, 1], intervals that hold their estimate, models that read back
--     from their text, a seasonal index averaging 1...);
--   * every aggregate over no rows is NULL;
--   * a few hostile inputs whose answer is known give it;
-- and a crash of the backend fails the run by itself.
--
-- The calls: for every function, each hostile value of each argument with
-- the other arguments sane; for every aggregate, the empty group, sane
-- groups, each hostile value alone and among sane rows; then random
-- combinations from a fixed seed, 25 a function (a function that hit the
-- hang guard three times is not called again).  Transition
-- functions are called directly too, and, for each combine function of a
-- bigint[] state, an aggregate of ours combines hostile states as values
-- (the path of partial states shipped between nodes).  Values are pools
-- per argument type, refined per argument name (and function) where a sane
-- value depends on the meaning.  A function whose argument type has no
-- pool fails the test; functions taking an internal argument cannot be
-- called from SQL and are reached through their aggregates.
\ir ../include/prologue.psql
BEGIN;
SELECT plan(37);
SELECT setseed(0.4242);
SET LOCAL client_min_messages = error;   -- clv_seasonality warns on short data
SET LOCAL TimeZone = 'UTC';
SET LOCAL DateStyle = 'ISO, YMD';
SET LOCAL IntervalStyle = 'postgres';
SET LOCAL extra_float_digits = 1;
-- nothing here may run in parallel workers: the sanity of plans is not the subject
SET LOCAL max_parallel_workers_per_gather = 0;
\o /dev/null

CREATE SCHEMA hx;

------------------------------------------------------------------------------
-- Fixtures: orders, fitted models, real summaries and states
------------------------------------------------------------------------------

-- 60 customers over 2023-2024, each buying at their own rhythm for a while,
-- some refunds; fixed by the seed
CREATE TABLE hx.orders AS
SELECT c AS customer_id,
       timestamptz '2023-01-01 00:00:00+00'
           + make_interval(days => ((c * 37) % 400 + k * (5 + (c * 13) % 60) + floor(random() * 6))::int,
                           hours => floor(random() * 24)::int) AS ordered_at,
       round((CASE WHEN random() < 0.08 THEN -1 ELSE 1 END * (5 + random() * 120))::numeric, 2)::float8 AS amount,
       (ARRAY['web', 'email', 'store', 'ads'])[1 + floor(random() * 4)::int] AS channel
FROM generate_series(1, 60) c, LATERAL generate_series(0, (c * 7919) % 8) k;
DELETE FROM hx.orders WHERE ordered_at >= '2025-01-01 00:00:00+00';

CREATE TABLE hx.summaries (name text PRIMARY KEY, s clv_summary);
INSERT INTO hx.summaries
SELECT 'customer ' || customer_id, clv_summary(ordered_at, amount, timestamptz '2025-01-01 00:00:00+00')
FROM hx.orders GROUP BY customer_id;
INSERT INTO hx.summaries
SELECT 'weekly ' || customer_id, clv_summary(ordered_at::date, amount, date '2025-01-01', '7 days')
FROM hx.orders WHERE customer_id <= 5 GROUP BY customer_id;

-- discrete-time histories for BG/BB: (x, t_x, n) and the customers who share them
CREATE TABLE hx.period_histories (x float8, t_x float8, n float8, c bigint);
INSERT INTO hx.period_histories VALUES
    (0, 0, 6, 346), (1, 1, 6, 109), (1, 3, 6, 13), (1, 6, 6, 13), (2, 2, 6, 61), (2, 5, 6, 17),
    (3, 4, 6, 18), (3, 6, 6, 36), (4, 6, 6, 51), (5, 6, 6, 73), (6, 6, 6, 120), (0, 0, 2, 40), (2, 2, 2, 25);

-- the models, fitted on the fixture
CREATE TABLE hx.models (name text PRIMARY KEY, m clv_model);
INSERT INTO hx.models
SELECT 'bgnbd', clv_fit_bgnbd(s, 0.001) FROM hx.summaries WHERE name LIKE 'customer %'
UNION ALL SELECT 'mbgnbd', clv_fit_mbgnbd(s, 0.001) FROM hx.summaries WHERE name LIKE 'customer %'
UNION ALL SELECT 'paretonbd', clv_fit_paretonbd(s, 0.001) FROM hx.summaries WHERE name LIKE 'customer %'
UNION ALL SELECT 'gammagamma', clv_fit_gammagamma(s, 0.001) FROM hx.summaries WHERE name LIKE 'customer %'
UNION ALL SELECT 'bgbb', clv_fit_bgbb(x, t_x, n, c) FROM hx.period_histories
UNION ALL SELECT 'sbg', clv_fit_sbg('{1000,869,743,653,593,551,517,491}'::bigint[])
UNION ALL SELECT 'bgnbd_covariates', clv_fit_bgnbd((s).frequency, (s).recency, (s).age, ARRAY[length(name) % 2]::float8[],
                                                   0.001, 0.01, 0.01)
          FROM hx.summaries WHERE name LIKE 'customer %'
UNION ALL SELECT 'gammagamma_covariates', clv_fit_gammagamma((s).frequency, (s).monetary, ARRAY[length(name) % 2]::float8[],
                                                             0.001, 0.01)
          FROM hx.summaries WHERE name LIKE 'customer %';

-- the raw bigint[] states of the aggregates (their transition function without the final one)
CREATE AGGREGATE hx.fit_state(float8, float8, float8) (SFUNC = clv_fit_bgnbd_transfn, STYPE = bigint[]);
CREATE AGGREGATE hx.gg_state(float8, float8) (SFUNC = clv_fit_gammagamma_transfn, STYPE = bigint[]);
CREATE AGGREGATE hx.bgbb_state(float8, float8, float8, bigint) (SFUNC = clv_fit_bgbb_transfn, STYPE = bigint[]);
CREATE AGGREGATE hx.sbg_state(bigint[]) (SFUNC = clv_fit_sbg_transfn, STYPE = bigint[]);
CREATE AGGREGATE hx.rfm_state(float8, float8, float8) (SFUNC = clv_rfm_breakpoints_transfn, STYPE = bigint[]);
CREATE AGGREGATE hx.season_state(date, float8) (SFUNC = clv_seasonality_transfn, STYPE = bigint[]);
CREATE AGGREGATE hx.business_state(clv_summary, date) (SFUNC = clv_business_transfn, STYPE = bigint[]);
CREATE TABLE hx.states (name text PRIMARY KEY, v bigint[]);
INSERT INTO hx.states
SELECT 'summary', clv_summary_state(ordered_at, amount, timestamptz '2025-01-01 00:00:00+00')
FROM hx.orders WHERE customer_id = 7
UNION ALL
SELECT 'fit', hx.fit_state((s).frequency, (s).recency, (s).age) FROM hx.summaries WHERE name LIKE 'customer %'
UNION ALL
SELECT 'gammagamma', hx.gg_state((s).frequency, (s).monetary) FROM hx.summaries WHERE name LIKE 'customer %'
UNION ALL
SELECT 'bgbb', hx.bgbb_state(x, t_x, n, c) FROM hx.period_histories
UNION ALL
SELECT 'sbg', hx.sbg_state('{1000,631,468,382,326,289,262,241}'::bigint[])
UNION ALL
SELECT 'rfm', hx.rfm_state((s).recency, (s).orders, (s).total_amount) FROM hx.summaries WHERE name LIKE 'customer %'
UNION ALL
SELECT 'seasonality', hx.season_state(ordered_at::date, amount) FROM hx.orders
UNION ALL
SELECT 'business', hx.business_state(s, date '2024-01-01') FROM hx.summaries WHERE name LIKE 'customer %';
-- each state mangled: cut short, one element too many, a count off by one,
-- a huge or negative count, its last element at the extremes
INSERT INTO hx.states
SELECT st.name || ' ' || mut.label, mut.v
FROM hx.states st, LATERAL (VALUES
    ('cut', st.v[1:cardinality(st.v) - 1]),
    ('header only', st.v[1:3]),
    ('extra', st.v || 0::bigint),
    ('count+1', st.v[1:1] || (st.v[2] + 1) || st.v[3:]),
    ('count huge', st.v[1:1] || 9223372036854775807::bigint || st.v[3:]),
    ('count negative', st.v[1:1] || (-1)::bigint || st.v[3:]),
    ('third huge', st.v[1:2] || 4611686018427387904::bigint || st.v[4:]),
    ('last max', st.v[1:cardinality(st.v) - 1] || 9223372036854775807::bigint),
    ('last min', st.v[1:cardinality(st.v) - 1] || (-9223372036854775807 - 1)::bigint),
    ('lower bound 0', ('[0:' || cardinality(st.v) - 1 || ']=' || st.v::text)::bigint[]),
    ('two-dimensional', ARRAY[st.v, st.v]),
    ('with a NULL', st.v[1:2] || NULL::bigint || st.v[4:])) AS mut(label, v);

-- a table with the columns of a segment map but the wrong types, one with a
-- name that needs quoting, an empty one, a view
CREATE TABLE hx.bad_segments (priority text, segment integer, recency_min text, recency_max text,
                              frequency_min text, frequency_max text, monetary_min text, monetary_max text);
INSERT INTO hx.bad_segments VALUES ('first', 1, 'a', 'b', 'c', 'd', 'e', 'f');
CREATE TABLE hx."we""ird 'segments" AS SELECT * FROM clv_rfm_standard_segments;
CREATE TABLE hx.no_segments (LIKE clv_rfm_standard_segments);
CREATE TABLE hx.overlapping_segments AS SELECT * FROM clv_rfm_standard_segments;
UPDATE hx.overlapping_segments SET recency_min = 9, recency_max = -9, segment = '';
CREATE VIEW hx.segment_view AS SELECT * FROM clv_rfm_standard_segments;
CREATE TABLE hx.wide_orders (customer_id text, ordered_at text, amount text, channel integer);
INSERT INTO hx.wide_orders VALUES ('a', 'yesterday', 'ten', 1);
CREATE TABLE hx."we""ird ""orders" ("cust ""id" bigint, "at" date, "amt" numeric);
INSERT INTO hx."we""ird ""orders" VALUES (1, '2024-01-01', 10), (1, '2024-02-01', -3), (2, 'infinity', 1e300), (NULL, NULL, NULL);
CREATE TABLE hx.empty_orders (LIKE hx.orders);
-- the pipeline's orders: 25 customers are enough for its fits, and quick
CREATE TABLE hx.small_orders AS SELECT * FROM hx.orders WHERE customer_id <= 25;
-- their customers' covariates, for clv_evaluate
CREATE TABLE hx.small_traits AS
SELECT DISTINCT customer_id, ARRAY[customer_id % 2]::float8[] AS covariates FROM hx.small_orders;
CREATE TABLE hx.pairs AS
SELECT customer_id::bigint AS record_id, 'channel:' || channel AS identifier FROM hx.orders
UNION ALL SELECT g, 'shared' FROM generate_series(1, 30) g
UNION ALL SELECT 5, NULL;

-- a pipeline to refresh, report on and drop (each call is rolled back)
SELECT count(*) FROM clv_create_pipeline('hx.small_orders', 'customer_id', 'ordered_at', 'amount', 'hx_pipe',
                                         as_of => '2025-01-01 00:00:00+00', channel => 'channel');

------------------------------------------------------------------------------
-- The value pools
------------------------------------------------------------------------------

-- typ: the argument type; arg / fn: for arguments of that name (of that
-- function) only, NULL for any; sane: the sane value(s) of the argument,
-- ranked (the groups of an aggregate cycle through the ranks);
-- nan / inf: the value carries a NaN / an infinity.
CREATE TABLE hx.pool (
    id serial PRIMARY KEY,
    typ regtype NOT NULL,
    arg text,
    fn text,
    expr text NOT NULL,
    sane integer,
    nan boolean NOT NULL DEFAULT false,
    inf boolean NOT NULL DEFAULT false);

CREATE FUNCTION hx.add(t regtype, args text, fns text, exprs text[], sane_from integer DEFAULT NULL,
                       nan boolean DEFAULT false, inf boolean DEFAULT false)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO hx.pool (typ, arg, fn, expr, sane, nan, inf)
    SELECT t, a, f, e, CASE WHEN sane_from IS NOT NULL THEN i END, nan, inf
    FROM unnest(coalesce(string_to_array(args, ','), '{NULL}')) a,
         unnest(coalesce(string_to_array(fns, ','), '{NULL}')) f,
         unnest(exprs) WITH ORDINALITY AS x(e, i)
$$;

-- float8: the hostile ones for every argument
SELECT hx.add('float8', NULL, NULL, ARRAY['NULL', '''NaN''::float8'], NULL, true);
SELECT hx.add('float8', NULL, NULL, ARRAY['''Infinity''::float8', '''-Infinity''::float8'], NULL, false, true);
SELECT hx.add('float8', NULL, NULL, ARRAY['0', '''-0''::float8', '-1', '1e-308', '5e-324', '-5e-324',
    '1e308', '-1e308', '1.7976931348623157e308', '1', '0.5', '0.999999999999', '1.000000000001',
    '1e6', '-1e6', '2', '1e15', '2.5', '100', '1e-12', '-0.5']);
-- float8: sane values per argument name; several where an aggregate needs a spread
SELECT hx.add('float8', NULL, NULL, ARRAY['1'], 1);
SELECT hx.add('float8', 'frequency', NULL, ARRAY['2', '0', '1', '5', '3', '8', '1'], 1);
SELECT hx.add('float8', 'recency', NULL, ARRAY['30', '0', '12', '38', '20', '39', '2'], 1);
SELECT hx.add('float8', 'age', NULL, ARRAY['40', '40', '35', '40', '30', '40', '20'], 1);
SELECT hx.add('float8', 'monetary', NULL, ARRAY['50', '0', '20', '35', '80', '12', '200'], 1);
SELECT hx.add('float8', 'recency_days', NULL, ARRAY['30', '400', '2', '90', '180', '10', '700'], 1);
SELECT hx.add('float8', 'amount', NULL, ARRAY['25', '40', '-10', '12.5', '80', '0', '33'], 1);
SELECT hx.add('float8', 'value', 'clv_seasonality', ARRAY['100', '120', '80', '95', '130', '90', '110'], 1);
SELECT hx.add('float8', 't', NULL, ARRAY['10'], 1);
SELECT hx.add('float8', 'penalizer', NULL, ARRAY['0.001'], 1);
SELECT hx.add('float8', 'penalizer', NULL, ARRAY['0.1', '1e-300']);
SELECT hx.add('float8', 'margin,gross_margin', NULL, ARRAY['0.3'], 1);
SELECT hx.add('float8', 'discount_rate', NULL, ARRAY['0.01'], 1);
SELECT hx.add('float8', 'discount_rate', NULL, ARRAY['0.1', '-0.999999']);
SELECT hx.add('float8', 'retention_rate', NULL, ARRAY['0.8'], 1);
SELECT hx.add('float8', 'level', NULL, ARRAY['0.95'], 1);
SELECT hx.add('float8', 'units_per_period', NULL, ARRAY['7'], 1);
SELECT hx.add('float8', 'avg_order_value,margin_per_period,one_off_value,clv,acquisition_cost', NULL, ARRAY['100', '40'], 1);
SELECT hx.add('float8', 'purchases_per_year,lifespan_years,recurring_per_year,years', NULL, ARRAY['3'], 1);
SELECT hx.add('float8', 'min_ratio', NULL, ARRAY['3'], 1);
SELECT hx.add('float8', 'value,previous_spend,year_ago_spend', 'clv_decline', ARRAY['200'], 1);
SELECT hx.add('float8', 'recent_spend', NULL, ARRAY['50'], 1);
SELECT hx.add('float8', 'previous_p_alive', NULL, ARRAY['0.9'], 1);
SELECT hx.add('float8', 'quiet_probability', NULL, ARRAY['0.05'], 1);
SELECT hx.add('float8', 'p_alive_threshold,orders_drop,spend_drop', NULL, ARRAY['0.5'], 1);
SELECT hx.add('float8', 'p_alive_drop', NULL, ARRAY['0.2'], 1);
SELECT hx.add('float8', 'top_share', NULL, ARRAY['0.03', '0.5', '0'], 1);
SELECT hx.add('float8', 'group_mean', NULL, ARRAY['120', '80', '100', '150', '95'], 1);
SELECT hx.add('float8', 'group_variance,within_variance', NULL, ARRAY['400', '900', '100', '2500', '0'], 1);
SELECT hx.add('float8', 'between_variance', NULL, ARRAY['200'], 1);
SELECT hx.add('float8', 'prior_mean', NULL, ARRAY['100'], 1);

-- integers
SELECT hx.add('integer', NULL, NULL, ARRAY['NULL', '0', '-1', '1', '2', '3', '7', '1000', '100000',
    '2147483647', '(-2147483647 - 1)']);
SELECT hx.add('integer', NULL, NULL, ARRAY['2'], 1);
SELECT hx.add('integer', 'bins', NULL, ARRAY['5'], 1);
SELECT hx.add('integer', 'bins', NULL, ARRAY['4', '10']);
SELECT hx.add('integer', 'periods', NULL, ARRAY['12'], 1);
SELECT hx.add('integer', 'purchases', NULL, ARRAY['2'], 1);
SELECT hx.add('integer', 'min_gaps', NULL, ARRAY['3'], 1);
SELECT hx.add('integer', 'max_records_per_identifier', NULL, ARRAY['20'], 1);
SELECT hx.add('integer', 'recency_score,frequency_score,monetary_score', NULL, ARRAY['4', '1', '5'], 1);
SELECT hx.add('bigint', NULL, NULL, ARRAY['NULL', '0::bigint', '(-1)::bigint', '1::bigint',
    '9223372036854775807::bigint', '(-9223372036854775807 - 1)::bigint', '4294967296::bigint']);
SELECT hx.add('bigint', NULL, NULL, ARRAY['3::bigint'], 1);
SELECT hx.add('bigint', 'group_size', NULL, ARRAY['12::bigint', '3::bigint', '40::bigint', '1::bigint', '7::bigint'], 1);
SELECT hx.add('bigint', 'recent_orders', NULL, ARRAY['1::bigint'], 1);
SELECT hx.add('bigint', 'previous_orders,year_ago_orders', NULL, ARRAY['4::bigint'], 1);

-- numeric (attribution values), with NaN and the infinities numeric has since PostgreSQL 14
SELECT hx.add('numeric', NULL, NULL, ARRAY['NULL', '''NaN''::numeric'], NULL, true);
SELECT hx.add('numeric', NULL, NULL, ARRAY['''Infinity''::numeric', '''-Infinity''::numeric'], NULL, false, true);
SELECT hx.add('numeric', NULL, NULL, ARRAY['0::numeric', '(-1)::numeric', '(-100.005)::numeric',
    '0.000000000000000000000000000001::numeric', '1e300::numeric', '(10::numeric ^ 1000)',
    '(-(10::numeric ^ 1000))', '1.23456789012345678901234567890123456789::numeric',
    '9223372036854775807.99::numeric', '92233720368547758.07::numeric', '0.01::numeric']);
SELECT hx.add('numeric', NULL, NULL, ARRAY['100::numeric', '250.50::numeric', '19.99::numeric'], 1);

-- dates and timestamps: the infinities, the ends of the range, the epochs
SELECT hx.add('date', NULL, NULL, ARRAY['NULL', '''4714-11-24 BC''::date', '''5874897-12-31''::date',
    '''1970-01-01''::date', '''2000-01-01''::date', '''2000-02-29''::date', '''2025-01-01''::date',
    '''2024-12-31''::date', '''2023-01-01''::date', '''0001-01-01 BC''::date']);
SELECT hx.add('date', NULL, NULL, ARRAY['''infinity''::date', '''-infinity''::date'], NULL, false, true);
SELECT hx.add('date', NULL, NULL, ARRAY['''2024-06-01''::date'], 1);
SELECT hx.add('date', 'order_date,day', NULL, ARRAY['''2024-03-05''::date', '''2023-02-10''::date',
    '''2024-11-30''::date', '''2023-07-04''::date', '''2024-03-05''::date', '''2024-08-15''::date',
    '''2023-12-24''::date'], 1);
SELECT hx.add('date', 'observation_end', NULL, ARRAY['''2025-01-01''::date'], 1);
SELECT hx.add('date', 'retention_start', NULL, ARRAY['''2024-06-01''::date'], 1);
SELECT hx.add('date', 'calibration_end', NULL, ARRAY['''2024-06-30''::date'], 1);
SELECT hx.add('date', 'holdout_end', NULL, ARRAY['''2024-12-31''::date'], 1);
SELECT hx.add('timestamptz', NULL, NULL, ARRAY['NULL', '''4714-11-24 00:00:00+00 BC''::timestamptz',
    '''294276-12-31 23:59:59.999999+00''::timestamptz', '''1970-01-01 00:00:00+00''::timestamptz',
    '''2000-01-01 00:00:00+00''::timestamptz', '''2000-01-01 00:00:00.000001+14''::timestamptz',
    'now()', '''2025-01-01 00:00:00+00''::timestamptz', '''2024-12-31 23:59:59.999999+00''::timestamptz']);
SELECT hx.add('timestamptz', NULL, NULL, ARRAY['''infinity''::timestamptz', '''-infinity''::timestamptz'],
              NULL, false, true);
SELECT hx.add('timestamptz', NULL, NULL, ARRAY['''2024-06-01 12:00:00+00''::timestamptz'], 1);
SELECT hx.add('timestamptz', 'ordered_at,touched_at', NULL, ARRAY[
    '''2024-03-05 10:00:00+00''::timestamptz', '''2023-02-10 23:30:00+00''::timestamptz',
    '''2024-11-30 00:00:00+00''::timestamptz', '''2023-07-04 08:15:00+00''::timestamptz',
    '''2024-03-05 18:00:00+00''::timestamptz', '''2024-08-15 12:00:00+00''::timestamptz',
    '''2023-12-24 06:00:00+00''::timestamptz'], 1);
SELECT hx.add('timestamptz', 'observation_end,conversion_at', NULL, ARRAY['''2025-01-01 00:00:00+00''::timestamptz'], 1);
SELECT hx.add('timestamptz', 'as_of', NULL, ARRAY['''2025-01-01 00:00:00+00''::timestamptz'], 1);

-- intervals: zero, negative, tiny, huge, months against days
SELECT hx.add('interval', NULL, NULL, ARRAY['NULL', '''0''::interval', '''-1 day''::interval',
    '''1 microsecond''::interval', '''1 day''::interval', '''1 month''::interval', '''1 year''::interval',
    '''1 mon -30 days''::interval', '''1 day -24 hours''::interval', '''-7 days''::interval',
    '''178000000 years''::interval', '''-178000000 years''::interval', '''2147483647 days''::interval',
    '''2562047788:00:54.775807''::interval', '''3 days 4 hours''::interval']);
SELECT hx.add('interval', NULL, NULL, ARRAY['''7 days''::interval'], 1);
SELECT hx.add('interval', 'time_unit', NULL, ARRAY['''1 day''::interval'], 1);
SELECT hx.add('interval', 'period', NULL, ARRAY['''30 days''::interval'], 1);
SELECT hx.add('interval', 'horizon', NULL, ARRAY['''360 days''::interval'], 1);
SELECT hx.add('interval', 'half_life', NULL, ARRAY['''14 days''::interval'], 1);

-- text: empty, long, unicode, control characters, SQL-looking, number-looking
-- "any" (clv_order_row_hash, which hashes whatever bytes it is given):
-- NULLs, each kind of value (by value, fixed length by reference, varlena,
-- a record, an array, an unknown literal), toasted ones, the special floats
SELECT hx.add('"any"', NULL, 'clv_order_row_hash', ARRAY['NULL', 'NULL::numeric', '''NaN''::float8',
    '''-0''::float8', '''Infinity''::float8', '1.00::numeric', '12.5::money', '''-infinity''::timestamptz',
    '''2026-01-02''::date', 'true', '''a''::"char"', '''00000000-0000-0000-0000-000000000000''::uuid',
    '''1 day''::interval', 'repeat(''x'', 100000)', 'ARRAY[1, NULL]', '''{}''::int[]', 'ROW(1, ''a'')',
    '''unknown literal''', '''\x00''::bytea']);
SELECT hx.add('"any"', NULL, 'clv_order_row_hash', ARRAY['''2026-01-02''::date', '25.5::numeric', '''web''::text'], 1);
SELECT hx.add('text', NULL, NULL, ARRAY['NULL', '''''', ''' ''', '''a''', 'repeat(''x'', 100000)',
    'repeat(''é'', 5000)', '''ünïcødé 🎉 日本''', 'E''\\0''', 'chr(1) || chr(127)', 'E''a\tb\nc\r''',
    '''''''; DROP TABLE hx.orders; --''', '''NaN''', '''-1''', '''%s %n %x''', '''\''', 'repeat(''@'', 3)',
    '''linear''', '''month''']);
SELECT hx.add('text', NULL, NULL, ARRAY['''web'''], 1);
SELECT hx.add('text', 'channel', NULL, ARRAY['''web''', '''email''', '''store''', '''ads''', '''web'''], 1);
SELECT hx.add('text', 'model', NULL, ARRAY['''linear''', '''first_touch''', '''last_touch''',
    '''position_based''', '''time_decay''', '''LINEAR''', ''' linear''', '''weibull''']);
SELECT hx.add('text', 'model', NULL, ARRAY['''position_based'''], 1);
SELECT hx.add('text', 'model', 'clv_attribution', ARRAY['''time_decay'''], 1);
SELECT hx.add('text', 'model', 'clv_create_pipeline', ARRAY['''bgnbd''', '''auto''', '''paretonbd'''], 1);
SELECT hx.add('text', 'kind', 'clv_pipeline_fit_sql', ARRAY['''mbgcnbd''', '''bgnbd'''], 1);
SELECT hx.add('text', 'period', NULL, ARRAY['''week''', '''quarter''', '''year''', '''day''', '''Month''']);
SELECT hx.add('text', 'period', NULL, ARRAY['''month'''], 1);
SELECT hx.add('text', 'email', NULL, ARRAY['''@''', '''a@''', '''@b''', '''a@@b''', ''' A.B+Tag@GMail.COM ''',
    '''+@gmail.com''', '''.@gmail.com''', '''a@b@c''', 'repeat(''a'', 300) || ''@x.org''', '''ä@ö.de''']);
SELECT hx.add('text', 'email', NULL, ARRAY['''Jane.Doe+news@Example.com'''], 1);
SELECT hx.add('text', 'phone', NULL, ARRAY['''0''', '''+''', '''++1''', '''(555)''', '''+1 (555) 010-9999''',
    '''0049 30 1234567''', 'repeat(''9'', 40)', '''٣٣٣٣٣٣٣٣''', '''+000000000000000''']);
SELECT hx.add('text', 'phone', NULL, ARRAY['''030 1234567'''], 1);
SELECT hx.add('text', 'default_country_code', NULL, ARRAY['''+49''', '''0''', '''abc''', '''12345678''']);
SELECT hx.add('text', 'default_country_code', NULL, ARRAY['''49'''], 1);
SELECT hx.add('text', 'pairs', NULL, ARRAY['''SELECT 1''', '''SELECT 1::bigint, 2::bigint''',
    '''SELECT ''''a''''::text, ''''b''''::text''', '''SELECT record_id, identifier, 1 FROM hx.pairs''',
    '''not a query''', '''SELECT 1::bigint, ''''a''''; SELECT 2''', '''SELECT NULL::bigint, NULL::text''',
    '''SELECT record_id, identifier FROM hx.pairs WHERE false''',
    '''SELECT g::bigint, (g % 7)::text FROM generate_series(1, 20000) g''',
    '''SELECT 9223372036854775807::bigint, ''''x'''' UNION ALL SELECT -9223372036854775808::bigint, ''''x''''''',
    '''INSERT INTO hx.pairs VALUES (1, ''''x'''') RETURNING record_id, identifier''',
    '''SELECT record_id::int, identifier::varchar FROM hx.pairs''',
    '''SELECT record_id, identifier FROM hx.pairs FOR UPDATE''']);
SELECT hx.add('text', 'pairs', NULL, ARRAY['''SELECT record_id, identifier FROM hx.pairs'''], 1);
SELECT hx.add('text', 'title', NULL, ARRAY['''<script>alert(1)</script>''', '''&amp;"''''<>'''], NULL);
SELECT hx.add('text', 'title', NULL, ARRAY['''CLV'''], 1);
SELECT hx.add('text', 't', NULL, ARRAY['''<a href="x">&''''</a>'''], 1);
SELECT hx.add('text', 'time_zone', NULL, ARRAY['''Mars/Olympus_Mons''', '''UTC+3''', '''EST5EDT''',
    '''Pacific/Kiritimati''', '''posixrules''', '''Europe/../../etc/passwd''', 'repeat(''Z'', 1000)']);
SELECT hx.add('text', 'time_zone', NULL, ARRAY['''UTC'''], 1);
SELECT hx.add('text', 'customer_days', NULL, ARRAY['''SELECT 1 AS customer, date ''''2024-01-01'''' AS day'''], 1);
SELECT hx.add('text', 'equality', NULL, ARRAY['''OPERATOR(pg_catalog.=)'''], 1);

-- names: of columns, of schemas
SELECT hx.add('name', NULL, NULL, ARRAY['NULL', '''''::name', '''x''::name', 'repeat(''n'', 100)::name',
    '''we"ird''''name''::name', '''pg_catalog''::name', '''public''::name', '''hx''::name']);
SELECT hx.add('name', NULL, NULL, ARRAY['''customer_id''::name'], 1);
SELECT hx.add('name', 'customer,ordered_at,amount,channel,customer_column,date_column', NULL,
    ARRAY['''customer_id''::name', '''ordered_at''::name', '''amount''::name', '''channel''::name',
          '''cust "id''::name', '''at''::name', '''amt''::name']);
SELECT hx.add('name', 'customer,customer_column', NULL, ARRAY['''customer_id''::name'], 1);
SELECT hx.add('name', 'ordered_at,date_column', NULL, ARRAY['''ordered_at''::name'], 1);
SELECT hx.add('name', 'amount', NULL, ARRAY['''amount''::name'], 1);
SELECT hx.add('name', 'covariate_column', NULL, ARRAY['''covariates''::name'], 1);
SELECT hx.add('name', 'channel', NULL, ARRAY['''channel''::name'], 1);
SELECT hx.add('name', 'target_schema', NULL, ARRAY['''hx_nopipe''::name', '''hx_pipe''::name']);
SELECT hx.add('name', 'target_schema', NULL, ARRAY['''hx_pipe''::name'], 1);
SELECT hx.add('name', 'target_schema', 'clv_create_pipeline', ARRAY['''hx_new''::name'], 1);

-- types (of a column): missing, polymorphic, composite, a domain's
SELECT hx.add('regtype', NULL, NULL, ARRAY['NULL', '''text''::regtype', '''anyelement''::regtype',
    '''clv_summary''::regtype', '''hx.orders''::regtype', '''int4range''::regtype',
    '0::oid::regtype', '4000000000::oid::regtype', '''information_schema.cardinal_number''::regtype']);
SELECT hx.add('regtype', NULL, NULL, ARRAY['''integer''::regtype'], 1);
-- oid: an operator class, or nothing that exists
SELECT hx.add('oid', NULL, NULL, ARRAY['NULL', '0::oid', '4000000000::oid', '''pg_class''::regclass::oid']);
SELECT hx.add('oid', NULL, NULL,
    ARRAY['(SELECT c.oid FROM pg_opclass c JOIN pg_am a ON a.oid = c.opcmethod WHERE c.opcname = ''int4_ops'' AND a.amname = ''btree'')'], 1);
-- text[]: lists of relation names
SELECT hx.add('text[]', NULL, NULL, ARRAY['NULL', '''{}''::text[]', '''{NULL}''::text[]', '''{pg_class}''::text[]',
    '''{"a; DROP TABLE hx.orders; --"}''::text[]', 'array_fill(''x''::text, ARRAY[10000])']);
SELECT hx.add('text[]', NULL, NULL, ARRAY['''{customer_scores,segments}''::text[]'], 1);
-- a category's levels, the sane text among them
SELECT hx.add('text[]', 'levels', NULL, ARRAY['''{store,web,email}''::text[]'], 1);
-- bytea: a customer's touches by channel (clv_channel_state), real, cut,
-- damaged, and not one at all
SELECT hx.add('bytea', NULL, NULL, ARRAY['NULL', '''\x''::bytea', '''\x00''::bytea', '''\x434c4133''::bytea',
    'decode(repeat(''ff'', 200), ''hex'')',
    '(SELECT substr(clv_channel_state(channel, ordered_at, amount), 1, 40) FROM hx.orders WHERE customer_id = 7)',
    '(SELECT overlay(clv_channel_state(channel, ordered_at, amount) PLACING ''\xffffffff''::bytea FROM 30)
        FROM hx.orders WHERE customer_id = 7)',
    '(SELECT clv_channel_state(channel, ordered_at, amount) || ''\x00''::bytea FROM hx.orders WHERE customer_id = 7)']);
SELECT hx.add('bytea', NULL, NULL, ARRAY[
    '(SELECT clv_channel_state(channel, ordered_at, amount) FROM hx.orders WHERE customer_id = 7)',
    '(SELECT clv_channel_state(channel, ordered_at, amount) FROM hx.orders WHERE customer_id = 12)'], 1);
-- name[] and regtype[]: the columns a pipeline reads and the types it stored
SELECT hx.add('name[]', NULL, NULL, ARRAY['NULL', '''{}''::name[]', '''{NULL}''::name[]',
    '''{no_such_column,ordered_at}''::name[]', '''{"a; DROP TABLE hx.orders; --"}''::name[]',
    'array_fill(''amount''::name, ARRAY[10000])', '''{customer_id,ordered_at,amount,channel,customer_id}''::name[]']);
SELECT hx.add('name[]', NULL, NULL, ARRAY['''{customer_id,ordered_at,amount}''::name[]'], 1);
SELECT hx.add('regtype[]', NULL, NULL, ARRAY['NULL', '''{}''::regtype[]', '''{NULL}''::regtype[]',
    'ARRAY[0::oid::regtype, 4000000000::oid::regtype]', '''{anyelement,clv_summary,text}''::regtype[]',
    'array_fill(''text''::regtype, ARRAY[10000])']);
SELECT hx.add('regtype[]', NULL, NULL, ARRAY['''{integer,timestamptz,float8}''::regtype[]'], 1);

SELECT hx.add('boolean', NULL, NULL, ARRAY['NULL', 'true', 'false']);
SELECT hx.add('boolean', NULL, NULL, ARRAY['true'], 1);
SELECT hx.add('boolean', 'drop_plus_tag,gmail_dots,concurrent', NULL, ARRAY['false'], 1);

-- tables: missing, of the wrong shape, with names that need quoting
SELECT hx.add('regclass', NULL, NULL, ARRAY['NULL', '''hx.bad_segments''::regclass',
    '''hx."we""ird ''''segments"''::regclass', '''hx.no_segments''::regclass',
    '''hx.overlapping_segments''::regclass', '''hx.segment_view''::regclass', '''pg_class''::regclass',
    '''hx.wide_orders''::regclass', '''hx."we""ird ""orders"''::regclass', '''hx.empty_orders''::regclass',
    '0::oid::regclass', '4000000000::oid::regclass', '''hx.orders''::regclass',
    '''hx_pipe.customer_scores''::regclass']);
SELECT hx.add('regclass', NULL, NULL, ARRAY['''clv_rfm_standard_segments''::regclass'], 1);
SELECT hx.add('regclass', 'orders', NULL, ARRAY['''hx.small_orders''::regclass'], 1);
SELECT hx.add('regclass', 'covariates', NULL, ARRAY['''hx.small_traits''::regclass'], 1);

-- float8[]: breakpoints, cutoffs, Shapley factors
SELECT hx.add('float8[]', NULL, NULL, ARRAY['NULL', '''{}''::float8[]', '''{NULL}''::float8[]',
    '''{1,2,3}''::float8[]', '''{{1,2},{3,4}}''::float8[]', '''[0:2]={1,2,3}''::float8[]',
    'array_fill(1::float8, ARRAY[3, 4])', 'array_fill(0::float8, ARRAY[3, 4])',
    '''{{4,3,2,1},{1,2,3,4},{1,2,3,4}}''::float8[]', 'array_fill(1.5::float8, ARRAY[1000])',
    'array_fill(2::float8, ARRAY[3, 100])', '''{0.01,0.05,0.2}''::float8[]', '''{2,-1,0.5,-0}''::float8[]',
    '''{1e308,1e308,1e308,1e308}''::float8[]', '''{5e-324,5e-324,1e308,1e308}''::float8[]',
    '''{{{1}}}''::float8[]', '''{1,NULL,3,4}''::float8[]']);
SELECT hx.add('float8[]', NULL, NULL, ARRAY['''{NaN}''::float8[]', '''{1,2,NaN,4}''::float8[]',
    'array_fill(''NaN''::float8, ARRAY[3, 4])'], NULL, true);
SELECT hx.add('float8[]', NULL, NULL, ARRAY['''{Infinity,-Infinity,1,2}''::float8[]',
    'array_fill(''Infinity''::float8, ARRAY[3, 4])'], NULL, false, true);
SELECT hx.add('float8[]', NULL, NULL, ARRAY['''{2,3,4,0.5}''::float8[]'], 1);
-- a customer's covariates: one, as the covariate model has
SELECT hx.add('float8[]', 'covariates', NULL, ARRAY['''{0.5}''::float8[]', '''{1}''::float8[]'], 1);
SELECT hx.add('float8[]', 'breakpoints', NULL, ARRAY['(SELECT rfm_breakpoints FROM hx_pipe.clv_pipeline)'], 1);
SELECT hx.add('float8[]', 'after', NULL, ARRAY['''{2.5,3,5,0.5}''::float8[]'], 1);
SELECT hx.add('float8[]', 'cutoffs', NULL, ARRAY['''{0.01,0.05,0.2}''::float8[]'], 1);
SELECT hx.add('float8[]', 'state', NULL, ARRAY['''{2,10,5,8,300,48000,68}''::float8[]',
    '''{1,1,0,0,100,10000,1}''::float8[]', '''{-1,-1,-1,-1,-1,-1,-1}''::float8[]',
    '''{0,0,0,0,0,0,0}''::float8[]']);
SELECT hx.add('float8[]', 'state', NULL, ARRAY['NULL'], 1);

-- numeric[]: the credibility prior's exact state
SELECT hx.add('numeric[]', NULL, NULL, ARRAY['NULL', '''{}''::numeric[]', '''{NULL}''::numeric[]',
    '''{1,2,3}''::numeric[]', '''{{1,2},{3,4}}''::numeric[]', '''[0:6]={2,10,5,8,300,48000,68}''::numeric[]',
    '''{2,10,5,8,300,48000,68,1}''::numeric[]', '''{NaN,10,5,8,300,48000,68}''::numeric[]',
    '''{2,10,5,8,300,Infinity,68}''::numeric[]', '''{-1,-1,-1,-1,-1,-1,-1}''::numeric[]',
    '''{0,0,0,0,0,0,0}''::numeric[]', '''{2,10,5,8,100,90,60}''::numeric[]', '''{1.5,10,5,8.5,300,48000,68}''::numeric[]',
    '''{2,10,5,8,1e300,1e1000,68}''::numeric[]', '''{1,1,0,0,1e-300,1e-600,1}''::numeric[]',
    '''{2,10,5,8,300,48000,101}''::numeric[]']);
SELECT hx.add('numeric[]', NULL, NULL, ARRAY['''{2,10,5,8,300,48000,68}''::numeric[]'], 1);

-- bigint[] (aggregate states): garbage, and the real states of every aggregate, whole and mangled
SELECT hx.add('bigint[]', NULL, NULL, ARRAY['NULL', '''{}''::bigint[]', '''{NULL}''::bigint[]',
    '''{0}''::bigint[]', '''{1,2,3}''::bigint[]', '''{{1,2},{3,4}}''::bigint[]',
    'array_fill(9223372036854775807::bigint, ARRAY[40])', 'array_fill(0::bigint, ARRAY[40])',
    'array_fill((-1)::bigint, ARRAY[40])']);
SELECT hx.add('bigint[]', NULL, NULL, array_agg(format('(SELECT v FROM hx.states WHERE name = %L)', name)))
FROM hx.states;
SELECT hx.add('bigint[]', NULL, NULL, ARRAY['NULL'], 1);

-- clv_model: real fits, and typed-in models at the edges of what input accepts
SELECT hx.add('clv_model', NULL, NULL, array_agg(format('(SELECT m FROM hx.models WHERE name = %L)', name)))
FROM hx.models;
SELECT hx.add('clv_model', NULL, NULL, ARRAY['NULL'] || array_agg(quote_literal(m) || '::clv_model'))
FROM (VALUES
    ('kind=bgnbd r=1e300 alpha=1e-300 a=1e-300 b=1e300 log_likelihood=-1 customers=1 iterations=0 converged=true penalizer=0'),
    ('kind=bgnbd r=5e-324 alpha=5e-324 a=5e-324 b=5e-324 log_likelihood=-1 customers=1 iterations=0 converged=true penalizer=0'),
    ('kind=bgnbd r=1e-300 alpha=1e300 a=1e300 b=1e-300 log_likelihood=-1e308 customers=0 iterations=0 converged=false penalizer=1e308'),
    ('kind=mbgnbd r=1.7976931348623157e308 alpha=1.7976931348623157e308 a=1.7976931348623157e308 b=1.7976931348623157e308 log_likelihood=-1 customers=9223372036854775807 iterations=2147483647 converged=true penalizer=0'),
    ('kind=paretonbd r=1e300 alpha=1e-300 s=1e300 beta=1e-300 log_likelihood=-1 customers=1 iterations=0 converged=true penalizer=0'),
    ('kind=paretonbd r=5e-324 alpha=1e308 s=5e-324 beta=1e308 log_likelihood=-1 customers=1 iterations=0 converged=true penalizer=0'),
    ('kind=bgbb alpha=1e300 beta=5e-324 gamma=1e300 delta=5e-324 log_likelihood=-1 customers=1 iterations=0 converged=true penalizer=0'),
    ('kind=sbg alpha=1e300 beta=5e-324 log_likelihood=-1 customers=1 iterations=0 converged=true penalizer=0'),
    ('kind=sbg alpha=5e-324 beta=1e300 log_likelihood=-1 customers=1 iterations=0 converged=true penalizer=0'),
    ('kind=sbg alpha=1.7976931348623157e308 beta=1.7976931348623157e308 log_likelihood=-1 customers=1 iterations=0 converged=true penalizer=0'),
    ('kind=bgbb alpha=5e-324 beta=1e308 gamma=5e-324 delta=1e308 log_likelihood=-1 customers=1 iterations=0 converged=true penalizer=0'),
    ('kind=bgbb alpha=1.7976931348623157e308 beta=1.7976931348623157e308 gamma=1.7976931348623157e308 delta=1.7976931348623157e308 log_likelihood=-1 customers=1 iterations=0 converged=true penalizer=0'),
    ('kind=gammagamma p=1e300 q=5e-324 gamma=1e300 log_likelihood=-1 customers=1 iterations=0 converged=true penalizer=0'),
    ('kind=gammagamma p=5e-324 q=1e-300 gamma=5e-324 log_likelihood=1e300 customers=1 iterations=0 converged=true penalizer=0'),
    ('kind=gammagamma p=6 q=1 gamma=15 log_likelihood=-100 customers=10 iterations=5 converged=true penalizer=0'),
    ('kind=bgnbd r=0.25 alpha=4 a=0.8 b=2.5 log_likelihood=-1 customers=10 iterations=7 converged=false penalizer=0.001 covariance=1e300,0,0,0,0,1e300,0,0,0,0,1e300,0,0,0,0,1e300'),
    ('kind=bgnbd r=0.25 alpha=4 a=0.8 b=2.5 log_likelihood=-1 customers=10 iterations=7 converged=false penalizer=0.001 covariance=5e-324,0,0,0,0,5e-324,0,0,0,0,5e-324,0,0,0,0,5e-324'),
    ('kind=bgnbd r=0.25 alpha=4 a=0.8 b=2.5 log_likelihood=-1 customers=10 iterations=7 converged=false penalizer=0.001 covariance=1,1e300,1e300,1e300,1e300,1,1e300,1e300,1e300,1e300,1,1e300,1e300,1e300,1e300,1'),
    ('kind=gammagamma p=6 q=4 gamma=15 log_likelihood=-100 customers=10 iterations=5 converged=true penalizer=0 covariance=1e300,1e300,1e300,1e300,1e300,1e300,1e300,1e300,1e300')) AS t(m);
SELECT hx.add('clv_model', NULL, NULL, ARRAY['(SELECT m FROM hx.models WHERE name = ''bgnbd'')'], 1);
-- the functions that take a customer's covariates: the model fitted with one (by signature: their names have plain overloads)
INSERT INTO hx.pool (typ, arg, fn, expr, sane)
SELECT 'clv_model', 'model', sig, '(SELECT m FROM hx.models WHERE name = ''bgnbd_covariates'')', 1
FROM unnest(ARRAY['clv_model_individual(clv_model,double precision[])',
                  'clv_p_alive(clv_model,double precision,double precision,double precision,double precision[])',
                  'clv_expected_purchases(clv_model,double precision,double precision,double precision,double precision,double precision[])',
                  'clv_expected_purchases_new(clv_model,double precision,double precision[])']) sig;
INSERT INTO hx.pool (typ, arg, fn, expr, sane)
VALUES ('clv_model', 'model', 'clv_expected_spend(clv_model,double precision,double precision,double precision[])',
        '(SELECT m FROM hx.models WHERE name = ''gammagamma_covariates'')', 1);
SELECT hx.add('clv_model', 'spend_model', NULL, ARRAY['(SELECT m FROM hx.models WHERE name = ''gammagamma'')'], 1);
SELECT hx.add('clv_model', 'model', 'clv_expected_spend', ARRAY['(SELECT m FROM hx.models WHERE name = ''gammagamma'')'], 1);
SELECT hx.add('clv_model', 'model', 'clv_p_no_purchase,clv_p_purchases', ARRAY['(SELECT m FROM hx.models WHERE name = ''paretonbd'')'], 1);
SELECT hx.add('clv_model', 'model', 'clv_bgbb_pmf', ARRAY['(SELECT m FROM hx.models WHERE name = ''bgbb'')'], 1);
SELECT hx.add('clv_model', 'model', 'clv_sbg_survival,clv_sbg_retention,clv_sbg_expected_payments',
              ARRAY['(SELECT m FROM hx.models WHERE name = ''sbg'')'], 1);

-- cstring: what clv_model_in reads
SELECT hx.add('cstring', NULL, NULL, ARRAY['NULL'] || array_agg(quote_literal(m) || '::cstring'))
FROM (VALUES (''), (' '), ('kind='), ('kind=bgnbd'), ('kind=bgnbd r='), ('kind=bgnbd r=1 r=1'),
    ('kind=bgnbd r=1 alpha=1 a=1 b=1 log_likelihood=-1 customers=1 iterations=0 converged=true penalizer=0 covariance='),
    ('kind=bgnbd r=1 alpha=1 a=1 b=1 log_likelihood=-1 customers=1 iterations=0 converged=true penalizer=0 covariance=,,,,,,,,,,,,,,,'),
    ('kind=bgnbd r=1 alpha=1 a=1 b=1 log_likelihood=-1 customers=1 iterations=0 converged=true penalizer=0 covariance=1,0,0,0,0,1,0,0,0,0,1,0,0,0,0,NaN'),
    ('kind=bgnbd r=1 alpha=1 a=1 b=1 log_likelihood=-1 customers=1 iterations=0 converged=true penalizer=0 covariance=1,0,0,0,0,1,0,0,0,0,1,0,0,0,0,1,0'),
    ('kind=bgnbd r=1 alpha=1 a=1 b=1 log_likelihood=-1 customers=99999999999999999999 iterations=0 converged=true penalizer=0'),
    ('kind=bgnbd r=1 alpha=1 a=1 b=1 log_likelihood=-1 customers=1 iterations=-1 converged=true penalizer=0'),
    ('kind=bgnbd r=1 alpha=1 a=1 b=1 log_likelihood=-1 customers=1 iterations=0 converged=true penalizer=Infinity'),
    ('kind=bgnbd r=0x10 alpha=1 a=1 b=1 log_likelihood=-1 customers=1 iterations=0 converged=true penalizer=0'),
    ('kind=bgnbd r=1 alpha=1 a=1 b=1 log_likelihood=-1 customers=1 iterations=0 converged=true penalizer=0 weak=true'),
    ('kind=bgnbd	r=1  alpha=1 a=1 b=1 log_likelihood=-1 customers=1 iterations=0 converged=true penalizer=0 '),
    ('kind=bgnbd r=1 alpha=1 a=1 b=1 log_likelihood=-0 customers=0 iterations=0 converged=true penalizer=-0'),
    ('kind=bgnbd r=1 alpha=1 a=1 b=1 log_likelihood=-1 customers=1 iterations=0 converged=true penalizer=0' || repeat(' ', 10000)),
    ('kind=gammagamma p=1 q=1 gamma=1 log_likelihood=1e308 customers=1 iterations=0 converged=true penalizer=0'),
    ('kind=paretonbd r=1 alpha=1 s=1 beta=1 log_likelihood=-1 customers=1 iterations=0 converged=true penalizer=0 covariance=1,0,0,0,0,1,0,0,0,0,1,0,0,0,0,1'),
    ('kind=bgnbd r=1' || repeat('0', 400) || ' alpha=1 a=1 b=1 log_likelihood=-1 customers=1 iterations=0 converged=true penalizer=0'),
    (repeat('kind=bgnbd ', 1000))) AS t(m);
SELECT hx.add('cstring', NULL, NULL, ARRAY['''kind=bgnbd r=1 alpha=1 a=1 b=1 log_likelihood=-1 customers=1 iterations=0 converged=true penalizer=0''::cstring'], 1);

-- clv_summary: real ones, and typed-in ones that tell an impossible story
SELECT hx.add('clv_summary', NULL, NULL, array_agg(format('(SELECT s FROM hx.summaries WHERE name = %L)', name)))
FROM hx.summaries WHERE name IN ('customer 1', 'customer 2', 'customer 8', 'customer 13', 'weekly 3');
SELECT hx.add('clv_summary', NULL, NULL, ARRAY['NULL'] || array_agg(format('ROW(%s)::clv_summary', f)))
FROM (VALUES
    ('NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL'),
    ('NULL,NULL,''2025-01-01'',0,1,0,-5,5,NULL,NULL,NULL,NULL,NULL,NULL,NULL,''7 days'''),
    ('''2024-01-01'',''2024-03-01'',''2025-01-01'',3,0,3,30,0,10,-2,60,366,10,30,1,''1 day'''),
    ('''2024-01-01'',''2024-03-01'',''2025-01-01'',3,0,3,30,0,10,2,500,366,10,30,1,''1 day'''),
    ('''2024-01-01'',''2024-03-01'',''2025-01-01'',3,0,3,30,0,10,2,60,-366,10,30,1,''1 day'''),
    ('''2024-01-01'',''2024-03-01'',''2025-01-01'',3,0,3,30,0,10,0,60,366,10,30,1,''1 day'''),
    ('''2024-01-01'',''2024-03-01'',''2025-01-01'',3,0,3,30,0,10,2,0,366,10,30,1,''1 day'''),
    ('''2024-01-01'',''2024-03-01'',''2025-01-01'',3,0,3,30,0,10,2147483647,60,366,10,30,1,''1 day'''),
    ('''2024-01-01'',''2024-03-01'',''2025-01-01'',3,0,3,30,0,10,2,1e308,1e308,1e308,1e308,1e308,''1 day'''),
    ('''2024-01-01'',''2024-03-01'',''2025-01-01'',3,0,3,30,0,10,2,5e-324,5e-324,5e-324,5e-324,0,''1 day'''),
    ('''2024-01-01'',''2024-03-01'',''2025-01-01'',3,0,3,-30,0,-10,2,60,366,-10,30,1,''1 day'''),
    ('''2024-01-01'',''2024-03-01'',''2025-01-01'',3,0,3,30,0,10,2,60,366,0,30,1,''1 day'''),
    ('''2024-03-01'',''2024-01-01'',''2025-01-01'',3,0,3,30,0,10,2,-60,366,10,-30,1,''1 day'''),
    ('''2024-01-01'',''2024-03-01'',''2023-01-01'',3,0,3,30,0,10,2,60,-366,10,30,1,''1 day'''),
    ('''-infinity'',''infinity'',''infinity'',3,0,3,30,0,10,2,60,366,10,30,1,''1 day'''),
    ('''4714-11-24 BC'',''4714-11-24 BC'',''5874897-12-31'',1,0,1,30,0,30,0,0,1e9,NULL,NULL,NULL,''1 day'''),
    ('''2024-01-01'',''2024-03-01'',''2025-01-01'',3,0,3,30,0,10,2,60,366,10,30,1,''0'''),
    ('''2024-01-01'',''2024-03-01'',''2025-01-01'',3,0,3,30,0,10,2,60,366,10,30,1,''-7 days'''),
    ('''2024-01-01'',''2024-03-01'',''2025-01-01'',3,0,3,30,0,10,2,60,366,10,30,1,''1 month'''),
    ('''2024-01-01'',''2024-03-01'',''2025-01-01'',3,0,3,30,0,10,2,60,366,10,30,1,NULL'),
    ('''2024-01-01'',''2024-03-01'',''2025-01-01'',-3,-1,-3,30,0,10,2,60,366,10,30,1,''1 day'''),
    ('''2024-01-01'',''2024-03-01'',''2025-01-01'',9223372036854775807,9223372036854775807,2147483647,1e308,1e308,1e308,2,60,366,1e308,30,1,''1 day'''),
    ('''2024-01-01'',''2024-03-01'',''2025-01-01'',3,0,3,30,0,10,2,60,366,10,NULL,NULL,''1 day''')) AS t(f);
SELECT hx.add('clv_summary', NULL, NULL, ARRAY[
    'ROW(''2024-01-01'',''2024-03-01'',''2025-01-01'',3,0,3,30,0,10,2,''NaN'',366,10,30,1,''1 day'')::clv_summary',
    'ROW(''2024-01-01'',''2024-03-01'',''2025-01-01'',3,0,3,''NaN'',''NaN'',''NaN'',2,60,''NaN'',''NaN'',''NaN'',''NaN'',''1 day'')::clv_summary'],
    NULL, true);
SELECT hx.add('clv_summary', NULL, NULL, ARRAY[
    'ROW(''2024-01-01'',''2024-03-01'',''2025-01-01'',3,0,3,30,0,10,2,60,''Infinity'',10,30,1,''1 day'')::clv_summary',
    'ROW(''2024-01-01'',''2024-03-01'',''2025-01-01'',3,0,3,''Infinity'',''-Infinity'',''Infinity'',2,''-Infinity'',366,''Infinity'',30,''Infinity'',''1 day'')::clv_summary'],
    NULL, false, true);
SELECT hx.add('clv_summary', NULL, NULL, array_agg(format('(SELECT s FROM hx.summaries WHERE name = %L)', name) ORDER BY name), 1)
FROM hx.summaries WHERE name IN ('customer 3', 'customer 4', 'customer 5', 'customer 6', 'customer 9', 'customer 10', 'customer 11');

-- clv_business_kpis: real ones, and impossible ones
SELECT hx.add('clv_business_kpis', NULL, NULL, ARRAY['NULL',
    'ROW(NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL)::clv_business_kpis',
    'ROW(0,0,0,0,0,0,''2024-01-01'',''2025-01-01'',0,0,0,0,0,0,0,0)::clv_business_kpis',
    'ROW(-1,-1,-100,-5,-2,-1,''2025-01-01'',''2024-01-01'',-1,-2,2,2,-3,-3,-1,1e308)::clv_business_kpis',
    'ROW(1,1,1,1e308,1e308,1,''2024-01-01'',''2025-01-01'',1,1,0.5,0.5,1e308,1,1,1e308)::clv_business_kpis',
    'ROW(1,1,1,5e-324,5e-324,1,''2024-01-01'',''2025-01-01'',1,1,0.5,0.5,5e-324,1,5e-324,0)::clv_business_kpis',
    'ROW(1,1,1,0,0,1,''2024-01-01'',''2025-01-01'',1,1,0.5,0.5,0,1,0,0)::clv_business_kpis',
    '(SELECT clv_business_kpis(s, date ''2024-01-01'', 0.4) FROM hx.summaries WHERE name LIKE ''customer %'')']);
SELECT hx.add('clv_business_kpis', NULL, NULL, ARRAY[
    'ROW(1,1,1,''NaN'',2,1,''2024-01-01'',''2025-01-01'',1,1,0.5,0.5,3,1,1,6)::clv_business_kpis'], NULL, true);
SELECT hx.add('clv_business_kpis', NULL, NULL, ARRAY[
    'ROW(1,1,1,''Infinity'',2,1,''2024-01-01'',''2025-01-01'',1,1,0.5,0.5,3,1,1,''Infinity'')::clv_business_kpis'], NULL, false, true);
SELECT hx.add('clv_business_kpis', NULL, NULL, ARRAY[
    '(SELECT clv_business_kpis(s, date ''2024-06-01'', 0.5) FROM hx.summaries WHERE name LIKE ''customer %'')'], 1);
SELECT hx.add('clv_business_kpis', 'after', NULL, ARRAY[
    '(SELECT clv_business_kpis(s, date ''2024-03-01'', 0.6) FROM hx.summaries WHERE name LIKE ''customer %'' AND name <> ''customer 1'')'], 1);

------------------------------------------------------------------------------
-- The functions, from the catalog
------------------------------------------------------------------------------

-- Every function and aggregate of the extension, and, for each combine
-- function of a bigint[] state, an aggregate of ours that combines states
-- given as values and finishes them with the extension's final function:
-- the path of partial states shipped between nodes, with hostile states.
DO $$
DECLARE
    c record;
BEGIN
    FOR c IN SELECT DISTINCT a.aggcombinefn, a.aggfinalfn, a.aggcombinefn::oid AS cid
             FROM pg_aggregate a JOIN pg_depend d ON d.objid = a.aggfnoid AND d.classid = 'pg_proc'::regclass
                                 JOIN pg_extension e ON e.oid = d.refobjid AND d.refclassid = 'pg_extension'::regclass
             WHERE e.extname = 'clv' AND d.deptype = 'e' AND a.aggtranstype = 'bigint[]'::regtype
               AND a.aggcombinefn <> 0 AND a.aggfinalfn <> 0 LOOP
        EXECUTE format('CREATE AGGREGATE hx.%I(bigint[]) (SFUNC = %s, STYPE = bigint[], FINALFUNC = %s)',
                       'combined_' || (SELECT proname FROM pg_proc WHERE oid = c.aggfinalfn), c.aggcombinefn, c.aggfinalfn);
    END LOOP;
END $$;

CREATE TABLE hx.fn AS
SELECT p.oid, p.oid::regprocedure AS sig, p.proname::text AS name, p.prokind = 'a' AS agg, p.proretset AS srf,
       p.prorettype::regtype AS rettype,
       quote_ident(n.nspname) || '.' || quote_ident(p.proname) AS qname,
       ((p.proargtypes::oid[])[:])::regtype[] AS argtypes,
       coalesce((SELECT array_agg(nm ORDER BY i) FROM unnest(p.proargnames, coalesce(p.proargmodes, array_fill('i'::"char", ARRAY[coalesce(cardinality(p.proargnames), 0)]))) WITH ORDINALITY AS x(nm, md, i)
                 WHERE md IN ('i', 'b', 'v')), array_fill(NULL::text, ARRAY[p.pronargs])) AS argnames,
       n.nspname = 'hx' AS ours
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE p.prokind IN ('f', 'a')
  AND (p.oid IN (SELECT d.objid FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
                 WHERE d.classid = 'pg_proc'::regclass AND d.refclassid = 'pg_extension'::regclass
                   AND d.deptype = 'e' AND e.extname = 'clv')
       OR (n.nspname = 'hx' AND p.proname LIKE 'combined\_%'));
ALTER TABLE hx.fn ADD PRIMARY KEY (oid);
-- An argument of type internal cannot be given from SQL (the functions
-- taking one are reached through their aggregates), and a function that
-- needs one cannot be called: no pool, and not an oversight.
-- Trigger and event trigger functions are called by the server only; their
-- own checks are tested below.
CREATE TABLE hx.not_callable AS
SELECT oid FROM hx.fn
WHERE 'internal'::regtype = ANY (argtypes) OR rettype IN ('trigger'::regtype, 'event_trigger'::regtype);

-- the arguments with their candidate values, most specific first
CREATE TABLE hx.fn_arg AS
SELECT f.oid, a.pos::int, a.typ, a.nm
FROM hx.fn f, unnest(f.argtypes, f.argnames) WITH ORDINALITY AS a(typ, nm, pos)
WHERE f.oid NOT IN (SELECT oid FROM hx.not_callable);

CREATE TABLE hx.candidate AS
SELECT fa.oid, fa.pos, p.id, p.sane,
       (p.fn IS NOT NULL)::int * 2 + coalesce(p.fn = f.sig::text, false)::int * 4 + (p.arg IS NOT NULL)::int AS specificity
FROM hx.fn_arg fa JOIN hx.fn f USING (oid)
JOIN hx.pool p ON p.typ = fa.typ AND (p.arg IS NULL OR p.arg = fa.nm) AND (p.fn IS NULL OR p.fn = f.name OR p.fn = f.sig::text);

-- the sane values of each argument: those of the most specific rows that have any
CREATE TABLE hx.sane AS
SELECT oid, pos, array_agg(id ORDER BY sane) AS ids
FROM (SELECT c.*, max(specificity) FILTER (WHERE sane IS NOT NULL) OVER (PARTITION BY oid, pos) AS best
      FROM hx.candidate c) c
WHERE sane IS NOT NULL AND specificity = best
GROUP BY oid, pos;

------------------------------------------------------------------------------
-- The calls
------------------------------------------------------------------------------

CREATE TABLE hx.calls (
    id serial PRIMARY KEY,
    oid oid NOT NULL,
    kind text NOT NULL,
    rows_ integer[] NOT NULL,     -- pool ids, nargs per row; an aggregate's rows one after the other
    empty boolean NOT NULL DEFAULT false,
    sql text,
    nan_in boolean,
    inf_in boolean,
    sqlstate text,
    message text,
    result text,
    nan_out boolean,
    inf_out boolean,
    invariant boolean,
    ms float8,
    skipped text);

-- the expressions that find a NaN or an infinity in a value of a type
CREATE FUNCTION hx.float_test(t regtype, v text, what text) RETURNS text LANGUAGE plpgsql STABLE AS $$
DECLARE
    elem regtype := (SELECT typelem FROM pg_type WHERE oid = t AND typlen = -1 AND typelem <> 0);
    rel oid := (SELECT typrelid FROM pg_type WHERE oid = t);
    parts text[];
    special text := CASE what WHEN 'nan' THEN '(%s = ''NaN'')' ELSE '(%s IN (''Infinity'', ''-Infinity''))' END;
BEGIN
    IF t IN ('float8'::regtype, 'float4'::regtype, 'numeric'::regtype) THEN
        RETURN format(special, v);
    ELSIF elem IS NOT NULL THEN
        parts := ARRAY[hx.float_test(elem, 'u.e', what)];
        IF parts[1] = 'false' THEN RETURN 'false'; END IF;
        RETURN format('EXISTS (SELECT FROM (SELECT unnest(%s) AS e) AS u WHERE %s)', v, parts[1]);
    ELSIF rel <> 0 THEN
        SELECT array_agg(hx.float_test(atttypid, format('(%s).%I', v, attname), what)) INTO parts
        FROM pg_attribute WHERE attrelid = rel AND attnum > 0 AND NOT attisdropped;
        parts := array_remove(parts, 'false');
        IF coalesce(cardinality(parts), 0) = 0 THEN RETURN 'false'; END IF;
        RETURN '(' || array_to_string(parts, ' OR ') || ')';
    END IF;
    RETURN 'false';
END $$;

-- what each function's result must keep, over r (NULL counts as kept)
CREATE TABLE hx.invariant (name text, test text);
INSERT INTO hx.invariant VALUES
    ('clv_p_alive', 'r BETWEEN 0 AND 1'),
    ('clv_p_no_purchase', 'r BETWEEN 0 AND 1'),
    ('clv_p_purchases', 'r BETWEEN 0 AND 1'),
    ('clv_expected_purchases', 'r >= 0'),
    ('clv_expected_purchases_new', 'r >= 0'),
    ('clv_bgbb_pmf', 'r BETWEEN 0 AND 1'),
    ('clv_sbg_survival', 'r BETWEEN 0 AND 1'),
    ('clv_sbg_retention', 'r BETWEEN 0 AND 1'),
    ('clv_sbg_expected_payments', 'r >= 0'),
    ('clv_expected_spend', 'r >= 0'),
    ('clv_predicted_value', 'r >= 0'),
    ('clv_cac_ratio', 'true'),
    ('clv_next_purchase', '(r).probability BETWEEN 0 AND 1 AND (r).median_wait >= 0'),
    ('clv_expected_purchases_interval', '(r).low <= (r).estimate AND (r).estimate <= (r).high AND (r).std_error >= 0 AND (r).low >= 0'),
    ('clv_predicted_value_interval', '(r).low <= (r).estimate AND (r).estimate <= (r).high AND (r).std_error >= 0'),
    ('clv_rfm', '(r).recency_score >= 1 AND (r).frequency_score >= 1 AND (r).monetary_score >= 1 AND (r).rfm_cell = 100 * (r).recency_score + 10 * (r).frequency_score + (r).monetary_score'),
    ('clv_decline', '(r).p_alive BETWEEN 0 AND 1 AND (r).severity = coalesce(cardinality((r).reasons), 0) AND (r).declining = ((r).severity > 0) AND (r).p_gap BETWEEN 0 AND 1 AND (r).days_silent >= 0'),
    ('clv_summary', '(r).orders >= 0 AND (r).refunds >= 0 AND (r).frequency >= 0 AND (r).recency >= 0 AND (r).recency <= (r).age AND (r).first_order <= (r).last_order AND (r).last_order <= (r).observation_end AND (r).purchase_days = (r).frequency + 1 AND (r).refunded_amount >= 0 AND (r).gap_stddev >= 0'),
    ('clv_summary_final', '(r).orders >= 0 AND (r).refunds >= 0 AND (r).frequency >= 0 AND (r).recency >= 0 AND (r).recency <= (r).age AND (r).first_order <= (r).last_order AND (r).last_order <= (r).observation_end AND (r).purchase_days = (r).frequency + 1 AND (r).refunded_amount >= 0 AND (r).gap_stddev >= 0'),
    ('combined_clv_summary_final', '(r).orders >= 0 AND (r).refunds >= 0 AND (r).frequency >= 0 AND (r).recency >= 0 AND (r).recency <= (r).age AND (r).first_order <= (r).last_order AND (r).last_order <= (r).observation_end AND (r).purchase_days = (r).frequency + 1 AND (r).refunded_amount >= 0 AND (r).gap_stddev >= 0'),
    ('clv_business_kpis', '(r).customers >= 0 AND (r).orders >= 0 AND (r).retention_rate BETWEEN 0 AND 1 AND (r).annual_retention_rate BETWEEN 0 AND 1 AND (r).customers_retained <= (r).customers_at_start'),
    ('clv_business_final', '(r).customers >= 0 AND (r).orders >= 0 AND (r).retention_rate BETWEEN 0 AND 1 AND (r).annual_retention_rate BETWEEN 0 AND 1 AND (r).customers_retained <= (r).customers_at_start'),
    ('combined_clv_business_final', '(r).customers >= 0 AND (r).orders >= 0 AND (r).retention_rate BETWEEN 0 AND 1 AND (r).annual_retention_rate BETWEEN 0 AND 1 AND (r).customers_retained <= (r).customers_at_start'),
    ('clv_credible_mean', '(r).weight BETWEEN 0 AND 1 AND (r).std_error >= 0 AND (r).lower_95 <= (r).upper_95'),
    ('clv_credibility_prior', '(r).within_variance >= 0 AND (r).between_variance >= 0 AND (r).groups >= 0 AND (r).customers >= 0'),
    ('clv_credibility_final', '(r).within_variance >= 0 AND (r).between_variance >= 0 AND (r).groups >= 0 AND (r).customers >= 0'),
    ('clv_value_tier', 'r = ''rest'' OR r LIKE ''top %'''),
    ('clv_normalize_email', 'r = lower(r) AND r LIKE ''%_@_%'' AND r = btrim(r)'),
    ('clv_normalize_phone', 'r ~ ''^\+?[0-9]{7,15}$'''),
    ('clv_html_escape', 'r !~ ''[<>"'''']'''),
    ('clv_link_identities', '(r).profile_id <= (r).record_id AND (r).profile_records >= 1'),
    ('clv_identity_glue', '(r).records >= 1'),
    ('clv_cohort_retention', '(r).retention > 0 AND (r).retention <= 1 AND (r).active_customers <= (r).cohort_customers'),
    ('clv_attribution', 'NOT EXISTS (SELECT FROM unnest(r) u WHERE NOT (u.weight BETWEEN 0 AND 1 AND u.touches >= 1)) AND abs((SELECT sum(weight) FROM unnest(r)) - 1) < 1e-9'),
    ('clv_rfm_breakpoints', 'NOT EXISTS (SELECT FROM generate_subscripts(r, 1) i, generate_subscripts(r, 2) j WHERE j > 1 AND r[i][j] < r[i][j - 1])'),
    -- an index averaging 1 over the twelve months
    ('clv_seasonality', 'cardinality(r) = 12 AND abs((SELECT sum(u) FROM unnest(r) u) - 12) <= 1e-9 * (SELECT sum(abs(u)) FROM unnest(r) u)');
-- a model read back from its text is the same model (dump and restore)
INSERT INTO hx.invariant
SELECT name, 'r::text::clv_model::text = r::text' FROM hx.fn WHERE rettype = 'clv_model'::regtype;

-- the text of a call: SELECT the result as text, its NaN and infinity tests and its invariant
CREATE FUNCTION hx.call_sql(c hx.calls) RETURNS text LANGUAGE plpgsql STABLE AS $$
DECLARE
    f hx.fn := (SELECT f FROM hx.fn f WHERE oid = c.oid);
    n integer := cardinality(f.argtypes);
    args text[];
    rows_ text[];
    expr text;
    inv text := coalesce((SELECT '(' || string_agg(test, ') AND (') || ')' FROM hx.invariant WHERE name = f.name), 'true');
    nan text := hx.float_test(f.rettype, 'r', 'nan');
    -- clv_next_purchase's median wait is +Infinity by design where it lies
    -- beyond double range (r + x near 0: e^(ln 2 / (r+x)) time units); an
    -- overflow on the way to a finite median has its own test
    -- (purchase_probabilities_extremes.sql)
    inf text := CASE WHEN f.name = 'clv_next_purchase'
                     THEN '((r).probability IN (''Infinity'', ''-Infinity'') OR (r).median_wait = ''-Infinity'')'
                     ELSE hx.float_test(f.rettype, 'r', 'inf') END;
BEGIN
    -- a function without arguments is called once, with none
    IF n = 0 THEN
        rows_ := ARRAY['()'];
    END IF;
    FOR i IN 0 .. CASE WHEN n = 0 THEN -1 ELSE cardinality(c.rows_) / n - 1 END LOOP
        args := '{}';
        FOR j IN 1 .. n LOOP
            args := args || format('CAST(%s AS %s)', (SELECT p.expr FROM hx.pool p WHERE p.id = c.rows_[i * n + j]),
                                   f.argtypes[j]);
        END LOOP;
        rows_ := rows_ || ('(' || array_to_string(args, ', ') || ')');
    END LOOP;
    IF f.agg THEN
        expr := format('SELECT %s(%s) AS r FROM (VALUES %s) AS v(%s)%s',
                       f.qname, (SELECT string_agg('c' || i, ', ') FROM generate_series(1, n) i),
                       array_to_string(rows_, ', '),
                       (SELECT string_agg('c' || i, ', ') FROM generate_series(1, n) i),
                       CASE WHEN c.empty THEN ' WHERE false' ELSE '' END);
    ELSE
        expr := format('SELECT %s%s AS r', f.qname, rows_[1]);
    END IF;
    IF f.srf THEN
        RETURN format('SELECT left(string_agg(r::text, '';''), 500), coalesce(bool_or(%s), false), coalesce(bool_or(%s), false), coalesce(bool_and(%s), true) FROM %s%s AS r',
                      nan, inf, inv, f.qname, rows_[1]);
    END IF;
    RETURN format('SELECT left(r::text, 500), coalesce(%s, false), coalesce(%s, false), coalesce(%s, true) FROM (%s OFFSET 0) AS q',
                  nan, inf, inv, expr);
END $$;

-- 1. every hostile value of each argument, the others sane
INSERT INTO hx.calls (oid, kind, rows_)
SELECT f.oid, 'single', (SELECT array_agg(CASE WHEN fa.pos = c.pos THEN c.id ELSE s.ids[1] END ORDER BY fa.pos)
                         FROM hx.fn_arg fa JOIN hx.sane s USING (oid, pos) WHERE fa.oid = f.oid)
FROM hx.fn f JOIN hx.candidate c USING (oid)
WHERE c.id <> (SELECT ids[1] FROM hx.sane s WHERE s.oid = c.oid AND s.pos = c.pos);
-- and all sane
INSERT INTO hx.calls (oid, kind, rows_)
SELECT f.oid, 'sane', coalesce((SELECT array_agg(s.ids[1] ORDER BY s.pos) FROM hx.sane s WHERE s.oid = f.oid), '{}')
FROM hx.fn f WHERE f.oid NOT IN (SELECT oid FROM hx.not_callable);

-- 2. aggregates: a sane group (row k takes each argument's k-th sane value,
-- cycling), the same group empty, then each hostile value alone and as the
-- last row of the sane group
CREATE FUNCTION hx.sane_rows(f oid, nrows integer) RETURNS integer[] LANGUAGE sql STABLE AS $$
    SELECT array_agg(s.ids[1 + (k - 1) % cardinality(s.ids)] ORDER BY k, s.pos)
    FROM hx.sane s, generate_series(1, nrows) k WHERE s.oid = f
$$;
INSERT INTO hx.calls (oid, kind, rows_, empty)
SELECT f.oid, g.kind, hx.sane_rows(f.oid, g.n), g.empty
FROM hx.fn f, (VALUES ('empty group', 1, true), ('sane group', 7, false), ('sane pair', 2, false)) AS g(kind, n, empty)
WHERE f.agg;
INSERT INTO hx.calls (oid, kind, rows_)
SELECT c.oid, 'hostile row in a sane group', hx.sane_rows(c.oid, 6) || c.rows_
FROM hx.calls c JOIN hx.fn f USING (oid) WHERE f.agg AND c.kind = 'single';
UPDATE hx.calls c SET kind = 'single row' FROM hx.fn f WHERE f.oid = c.oid AND f.agg AND c.kind = 'single';

-- 3. random combinations: each argument hostile with probability 1/2;
-- aggregates over 1 to 8 such rows
INSERT INTO hx.calls (oid, kind, rows_)
SELECT f.oid, 'random',
       (SELECT array_agg(CASE WHEN random() < 0.5 THEN s.ids[1 + floor(random() * cardinality(s.ids))::int]
                              ELSE (SELECT c.id FROM hx.candidate c WHERE c.oid = s.oid AND c.pos = s.pos
                                    ORDER BY random() + 0 * k LIMIT 1) END ORDER BY k, s.pos)
        FROM hx.sane s, generate_series(1, CASE WHEN f.agg THEN 1 + (r * 7) % 8 ELSE 1 END) k
        WHERE s.oid = f.oid AND r > 0)
FROM hx.fn f, generate_series(1, 25) r
WHERE f.oid NOT IN (SELECT oid FROM hx.not_callable) AND cardinality(f.argtypes) > 0;

UPDATE hx.calls c SET sql = hx.call_sql(c),
       nan_in = (SELECT bool_or(p.nan) FROM hx.pool p WHERE p.id = ANY (c.rows_) AND NOT c.empty),
       inf_in = (SELECT bool_or(p.inf OR p.nan) FROM hx.pool p WHERE p.id = ANY (c.rows_) AND NOT c.empty);

-- A function that hit the hang guard three times is not called again (the
-- first hit fails the test all the same).
CREATE FUNCTION hx.run(call_id integer) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    c hx.calls := (SELECT c FROM hx.calls c WHERE id = call_id);
    q text := c.sql;
    t0 timestamptz := clock_timestamp();
    res text;
    nan boolean;
    inf boolean;
    inv boolean;
    st text;
    msg text;
BEGIN
    IF (SELECT timeouts FROM hx.fn_stats WHERE oid = c.oid) >= 3 THEN
        UPDATE hx.calls SET skipped = 'after three timeouts' WHERE id = call_id;
        RETURN;
    END IF;
    BEGIN
        EXECUTE q INTO res, nan, inf, inv;
        -- undo whatever the call did (a pipeline created, refreshed or dropped)
        RAISE EXCEPTION USING ERRCODE = 'HX000';
    EXCEPTION
        WHEN query_canceled THEN
            st := '57014'; msg := SQLERRM;
        WHEN OTHERS THEN
            st := SQLSTATE; msg := SQLERRM;
    END;
    UPDATE hx.calls
    SET sqlstate = nullif(st, 'HX000'), message = CASE WHEN st <> 'HX000' THEN msg END,
        result = res, nan_out = nan, inf_out = inf, invariant = inv,
        ms = extract(epoch FROM clock_timestamp() - t0) * 1000
    WHERE id = call_id;
    UPDATE hx.fn_stats SET timeouts = timeouts + (st = '57014')::int WHERE oid = c.oid;
END $$;
CREATE TABLE hx.fn_stats AS SELECT oid, 0 AS timeouts FROM hx.fn;
ALTER TABLE hx.fn_stats ADD PRIMARY KEY (oid);

------------------------------------------------------------------------------
-- Run them, one statement each, under the hang guard
------------------------------------------------------------------------------

SET LOCAL statement_timeout = '10min';
SELECT format('SELECT hx.run(%s)', id) FROM hx.calls ORDER BY id \gexec
RESET statement_timeout;

------------------------------------------------------------------------------
-- What must hold
------------------------------------------------------------------------------

-- every pool value is a value of its type (a typo there would test nothing)
CREATE TABLE hx.bad_pool AS SELECT id, expr, ''::text AS error FROM hx.pool WHERE false;
DO $$
DECLARE
    p record;
BEGIN
    FOR p IN SELECT * FROM hx.pool LOOP
        BEGIN
            EXECUTE format('SELECT CAST(%s AS %s)', p.expr, p.typ);
        EXCEPTION WHEN OTHERS THEN
            INSERT INTO hx.bad_pool VALUES (p.id, p.expr, SQLERRM);
        END;
    END LOOP;
END $$;

\o
-- diagnostics list one line a call: function, kind, arguments, outcome
CREATE FUNCTION hx.show(c hx.calls) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT format('%s [%s] %s -> %s', f.sig, c.kind,
                  left(regexp_replace(substring(c.sql FROM position(f.qname IN c.sql)), '\s+', ' ', 'g'), 400),
                  coalesce(c.sqlstate || ' ' || c.message, left(c.result, 200), 'NULL'))
    FROM hx.fn f WHERE f.oid = c.oid
$$;
CREATE FUNCTION hx.list(ids integer[]) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT coalesce(string_agg(hx.show(c), E'\n' ORDER BY c.id), '') ||
           CASE WHEN cardinality(ids) > 30 THEN format(E'\n... and %s more', cardinality(ids) - 30) ELSE '' END
    FROM hx.calls c WHERE c.id = ANY (ids[1:30])
$$;

SELECT is(array_to_string(ARRAY(
              SELECT DISTINCT f.sig || ': argument ' || fa.pos || coalesce(' (' || fa.nm || ')', '') || ' of type ' || fa.typ
                              || CASE WHEN NOT EXISTS (SELECT FROM hx.candidate c WHERE c.oid = fa.oid AND c.pos = fa.pos)
                                      THEN ' has no value pool' ELSE ' has no sane value' END
              FROM hx.fn f JOIN hx.fn_arg fa USING (oid)
              WHERE NOT EXISTS (SELECT FROM hx.sane s WHERE s.oid = fa.oid AND s.pos = fa.pos) ORDER BY 1), E'\n'), '',
          'every argument type of every function has a pool of values and a sane value');

SELECT is(array_to_string(ARRAY(SELECT sig::text FROM hx.fn WHERE oid IN (SELECT oid FROM hx.not_callable) ORDER BY 1), E'\n'),
          array_to_string(ARRAY['clv_attribution_combine(internal,internal)', 'clv_attribution_deserialize(bytea,internal)',
                                'clv_attribution_final(internal)', 'clv_attribution_serialize(internal)',
                                'clv_attribution_transfn(internal,text,timestamp with time zone,numeric,text)',
                                'clv_attribution_transfn(internal,text,timestamp with time zone,numeric,text,timestamp with time zone,interval)',
                                'clv_capture_order_changes()', 'clv_channel_state_final(internal)',
                                'clv_channel_state_transfn(internal,text,timestamp with time zone,double precision)',
                                'clv_guard_extension_functions()', 'clv_guard_extension_schema()',
                                'clv_model_recv(internal)'], E'\n'),
          'only the functions that take an internal argument and the trigger functions are left out');


SELECT is((SELECT string_agg(id || ': ' || expr || ': ' || error, E'\n') FROM hx.bad_pool), NULL,
          'every pool value is a value of its type');

SELECT is((SELECT count(*) FROM hx.calls WHERE sqlstate IS NULL AND result IS NULL AND ms IS NULL AND skipped IS NULL),
          0::bigint, 'every call ran');

CREATE TABLE hx.owner_steps (name) AS
VALUES ('clv_pipeline_refresh_steps'), ('clv_pipeline_drop_steps'), ('clv_pipeline_report_steps'),
       ('clv_pipeline_owner_check');
-- the sane arguments must be sane, or the hostile variants around them test nothing
SELECT is(hx.list(ARRAY(SELECT c.id FROM hx.calls c JOIN hx.fn f USING (oid)
                        WHERE c.kind = 'sane' AND NOT f.agg AND c.sqlstate IS NOT NULL
                          AND c.oid NOT IN (SELECT aggtransfn FROM pg_aggregate UNION SELECT aggcombinefn FROM pg_aggregate)
                          AND f.name NOT IN (SELECT name FROM hx.owner_steps)
                        ORDER BY c.id)), '',
          'every function gives a value for its sane arguments');
-- but a pipeline's steps, which run only inside clv_refresh_pipeline,
-- clv_drop_pipeline and clv_report_html, as the pipeline's owner: called directly, with any
-- arguments, they refuse
SELECT is(hx.list(ARRAY(SELECT c.id FROM hx.calls c JOIN hx.fn f USING (oid)
                        WHERE f.name IN (SELECT name FROM hx.owner_steps)
                          AND c.sqlstate IS DISTINCT FROM '42501' ORDER BY c.id)), '',
          'a pipeline''s steps called directly refuse, whatever their arguments');

SELECT is(hx.list(ARRAY(SELECT id FROM hx.calls c
                        WHERE sqlstate IN ('42883', '42725', '42P18')
                          AND c.oid NOT IN (SELECT oid FROM hx.fn WHERE name IN ('clv_link_identities', 'clv_identity_glue'))
                        ORDER BY id)), '',
          'every call reached its function');

SELECT is(hx.list(ARRAY(SELECT id FROM hx.calls WHERE sqlstate ~ '^(XX|P0001|P0004|53|58)' ORDER BY id)), '',
          'no internal error: every error carries a proper SQLSTATE');

SELECT is(hx.list(ARRAY(SELECT id FROM hx.calls WHERE sqlstate = '57014' OR skipped IS NOT NULL ORDER BY id)), '',
          'no call hung (none reached the ten-minute guard, none was skipped)');

-- the work of a fit is bounded by iterations, whatever the state it is given
CREATE TABLE hx.fits AS
SELECT c.id, c.result, substring(c.result FROM 'iterations=([0-9]+)')::int AS iterations
FROM hx.calls c JOIN hx.fn f USING (oid)
WHERE f.name LIKE '%fit%' AND c.result ~ 'iterations=[0-9]+';   -- fit aggregates, their final functions, merged states
SELECT is(hx.list(ARRAY(SELECT id FROM hx.fits WHERE iterations > 500 ORDER BY id)), '',
          'every model a fit returned took at most 500 iterations (the optimizer''s bound)');
SELECT ok((SELECT count(*) FROM hx.fits WHERE result ~ '^kind=paretonbd') > 0,
          'Pareto/NBD fits over forged and hostile states were among them');

SELECT is(hx.list(ARRAY(SELECT id FROM hx.calls WHERE nan_out AND NOT nan_in ORDER BY id)), '',
          'no NaN in a result unless an input had one');

SELECT is(hx.list(ARRAY(SELECT id FROM hx.calls WHERE inf_out AND NOT inf_in ORDER BY id)), '',
          'no infinity in a result unless an input was infinite or NaN');

SELECT is(hx.list(ARRAY(SELECT id FROM hx.calls WHERE NOT invariant AND NOT (nan_in AND nan_out) ORDER BY id)), '',
          'every result keeps its function''s invariants');

SELECT is(hx.list(ARRAY(SELECT id FROM hx.calls WHERE kind = 'empty group' AND (sqlstate IS NOT NULL OR result IS NOT NULL) ORDER BY id)), '',
          'every aggregate over no rows is NULL');

------------------------------------------------------------------------------
-- Hostile inputs whose answer is known
------------------------------------------------------------------------------

CREATE FUNCTION hx.outcome(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    r text;
BEGIN
    EXECUTE q INTO r;
    RETURN coalesce(r, 'NULL');
EXCEPTION
    WHEN query_canceled THEN
        RETURN '57014: ' || SQLERRM;
    WHEN OTHERS THEN
        RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
SET LOCAL statement_timeout = '10min';   -- a hang guard only

SELECT is(hx.outcome($$SELECT clv_summary(t, 10, '2025-01-01 00:00:00+00') FROM (VALUES ('infinity'::timestamptz)) v(t)$$),
          '22023: order timestamp must be finite', 'an order at infinity is refused');
SELECT is(hx.outcome($$SELECT (clv_summary(t, a, '2025-01-01 00:00:00+00'))::text FROM (VALUES ('2024-06-01 00:00:00+00'::timestamptz, 10::float8)) v(t, a)$$),
          '(2024-06-01,2024-06-01,2025-01-01,1,0,1,10,0,10,0,0,214,0,,,"1 day")',
          'one order: no repeat purchase, recency 0, age up to the end, no gaps');
SELECT is(hx.outcome($$SELECT (clv_summary(t, a, '2025-01-01 00:00:00+00'))::text FROM (VALUES ('2024-06-01 00:00:00+00'::timestamptz, -10::float8)) v(t, a)$$),
          '(,,2025-01-01,0,1,0,-10,10,,,,,,,,"1 day")',
          'a refund alone: no purchase, no BTYD history, the net revenue negative');
SELECT is(hx.outcome($$SELECT clv_summary(t, a, '2025-01-01 00:00:00+00') FROM (VALUES ('2024-06-01 00:00:00+00'::timestamptz, 'NaN'::float8)) v(t, a)$$),
          '22023: amount must be a finite number', 'a NaN amount is refused');
SELECT is(hx.outcome($$SELECT clv_p_alive(m, 0, 0, 40) FROM hx.models WHERE name = 'bgnbd'$$), '1',
          'BG/NBD: a customer without repeat purchases is alive');
SELECT is(hx.outcome($$SELECT clv_expected_purchases(m, 0, 2, 30, 40) FROM hx.models WHERE name = 'bgnbd'$$), '0',
          'nothing is bought in no time');
SELECT is(hx.outcome($$SELECT clv_predicted_value(p.m, s.m, 2, 30, 40, 50, 0, 0.01, 7, 1) FROM hx.models p, hx.models s WHERE p.name = 'bgnbd' AND s.name = 'gammagamma'$$),
          '0', 'no periods, no value');
SELECT is(hx.outcome($$SELECT clv_rfm_breakpoints(1, 2, 3)::text$$), '{{1,1,1,1},{2,2,2,2},{3,3,3,3}}',
          'RFM breakpoints of one customer are that customer');
SELECT is(hx.outcome($$SELECT clv_html_escape('<a href="x">''&''</a>')$$), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;',
          'HTML escape of every special character');
SELECT is(hx.outcome($$SELECT clv_normalize_email('')$$), 'NULL', 'an empty e-mail address is no address');
SELECT is(hx.outcome($$SELECT clv_attribution(c, t, v, 'linear')::text FROM (VALUES ('web', '2024-01-01 00:00:00+00'::timestamptz, 0.01::numeric), ('ads', '2024-01-02 00:00:00+00', 0.01)) x(c, t, v)$$),
          '{"(ads,1,0.5,0.01)","(web,1,0.5,0.00)"}', 'one cent split two ways still adds up to one cent');
SELECT matches(hx.outcome($$SELECT clv_attribution(c, t, v, 'linear') FROM (VALUES ('web', '2024-01-01 00:00:00+00'::timestamptz, 'NaN'::numeric)) x(c, t, v)$$),
               '^22', 'a NaN value to attribute is refused');
SELECT is(hx.outcome($$SELECT (clv_credibility_prior(n, m, v))::text FROM (VALUES (12::bigint, 120::float8, 400::float8), (3, 80, 900), (40, 100, NULL), (5, 90, 100)) t(n, m, v)$$),
          hx.outcome($$SELECT (clv_credibility_prior(n, m, v))::text FROM (VALUES (12::bigint, 120::float8, 400::float8), (3, 80, 900), (5, 90, 100), (40, 100, NULL)) t(n, m, v)$$),
          'credibility: a group without a variance does not wipe out the groups before it');
SELECT matches(hx.outcome($$SELECT (clv_credibility_prior(n, m, v))::text FROM (VALUES (12::bigint, 120::float8, 400::float8), (3, 80, -900)) t(n, m, v)$$),
               '^22', 'credibility: a negative variance is refused');
SELECT matches(hx.outcome($$SELECT (clv_credible_mean(12, 120, 100, -1e6, 200))::text$$),
               '^22', 'credible mean: a negative variance is refused');
SELECT matches(hx.outcome($$SELECT clv_predicted_value(p.m, s.m, 2, 30, 40, 50, 2147483647, 0.01, 7, 1) FROM hx.models p, hx.models s WHERE p.name = 'bgnbd' AND s.name = 'gammagamma'$$),
               '^22', 'two billion periods: refused, not computed for hours');
SELECT matches(hx.outcome($$SELECT clv_p_purchases(m, 2147483647, 1e15, 2, 30, 40) FROM hx.models WHERE name = 'bgnbd'$$),
               '^(22|[0-9.e-]+$)', 'two billion purchases over a long horizon: an answer or an error, not hours of terms');
RESET statement_timeout;
SELECT is((SELECT count(*) FROM pg_stat_activity WHERE pid = pg_backend_pid()), 1::bigint, 'the backend is still alive');

-- the change-capture trigger function put on a table by hand: refused when
-- it is not an AFTER ... FOR EACH STATEMENT trigger with one argument, and
-- a no-op for a schema that holds no pipeline
CREATE TABLE hx.orders_by_hand (customer int, at timestamptz, amount numeric);
CREATE TRIGGER by_hand_row AFTER INSERT ON hx.orders_by_hand
    FOR EACH ROW EXECUTE FUNCTION clv_capture_order_changes('hx');
SELECT matches(hx.outcome($$INSERT INTO hx.orders_by_hand VALUES (1, now(), 1)$$),
               '^39P01', 'change capture as a row trigger: refused');
DROP TRIGGER by_hand_row ON hx.orders_by_hand;
CREATE TRIGGER by_hand_no_argument AFTER INSERT ON hx.orders_by_hand
    FOR EACH STATEMENT EXECUTE FUNCTION clv_capture_order_changes();
SELECT matches(hx.outcome($$INSERT INTO hx.orders_by_hand VALUES (1, now(), 1)$$),
               '^39P01', 'change capture without the pipeline''s schema: refused');
DROP TRIGGER by_hand_no_argument ON hx.orders_by_hand;
CREATE TRIGGER by_hand_no_pipeline AFTER INSERT ON hx.orders_by_hand
    REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION clv_capture_order_changes('hx');
SELECT is(hx.outcome($$INSERT INTO hx.orders_by_hand VALUES (1, now(), 1) RETURNING 'inserted'$$), 'inserted',
          'change capture naming a schema without a pipeline: records nothing, stops nothing');
SELECT matches(hx.outcome($$SELECT clv_capture_order_changes()$$), '^39P01',
               'change capture called as a function: refused');

-- a summary of the run
SELECT diag(format('%s functions and aggregates (%s not callable from SQL), %s pool values, %s calls: %s errors, %s values, %s skipped; %s s',
                   (SELECT count(*) FROM hx.fn), (SELECT count(*) FROM hx.not_callable), (SELECT count(*) FROM hx.pool),
                   (SELECT count(*) FROM hx.calls), (SELECT count(*) FROM hx.calls WHERE sqlstate IS NOT NULL),
                   (SELECT count(*) FROM hx.calls WHERE sqlstate IS NULL AND skipped IS NULL),
                   (SELECT count(*) FROM hx.calls WHERE skipped IS NOT NULL),
                   (SELECT round(sum(ms) / 1000) FROM hx.calls)));

SELECT * FROM finish();
ROLLBACK;
