-- clv 0.3.0 -> 0.4.0: nothing resolved through search_path, pipelines run as
-- their owner, one calendar per pipeline.
--
-- This script, like every clv script, runs as the bootstrap superuser for the
-- role that installs or updates clv (clv is trusted).  It computes nothing:
-- no DO block, no query; every object it names is schema-qualified.  Every
-- SQL and PL/pgSQL function below pins search_path to pg_catalog, pg_temp and
-- still names each function and operator with its schema
-- (pg_catalog.format(...), a OPERATOR(pg_catalog.=) b), including in the SQL
-- it builds at run time; scripts/lint_sql.py checks both, and the test
-- suite lints every body that an install actually holds.
\echo Use "ALTER EXTENSION clv UPDATE TO '0.4.0'" to load this file. \quit

------------------------------------------------------------------------------
-- clv's names in its schema stay clv's (src/extension_guard.c).  First in
-- this script: the event trigger checks the schema after each function
-- created below, so that one planted under 0.3.0 makes the update fail.
------------------------------------------------------------------------------

-- The schema may be its installer's, who can add functions to it: one named
-- like clv's, with parameters closer to a call's arguments than clv's, would
-- be called in its place, with the caller's rights.  A function named clv_...
-- there that is not clv's (a member of the extension owned by a superuser)
-- is refused whenever a command creates one or moves one in, and while this
-- script runs, so that one planted beforehand makes it fail.
CREATE FUNCTION @extschema@.clv_guard_extension_functions()
RETURNS event_trigger AS 'MODULE_PATHNAME', 'clv_guard_extension_functions'
LANGUAGE C;

CREATE EVENT TRIGGER clv_guard_extension_functions ON ddl_command_end
    WHEN TAG IN ('CREATE FUNCTION', 'ALTER FUNCTION', 'CREATE AGGREGATE', 'ALTER AGGREGATE',
                 'CREATE PROCEDURE', 'ALTER PROCEDURE', 'ALTER ROUTINE', 'CREATE TYPE', 'ALTER TYPE',
                 'CREATE EXTENSION', 'ALTER EXTENSION')
    EXECUTE FUNCTION @extschema@.clv_guard_extension_functions();

COMMENT ON FUNCTION @extschema@.clv_guard_extension_functions() IS
'internal: refuses a function in clv''s schema named clv_... that is not clv''s (a member of the extension owned by a superuser)';

-- The same check over the whole schema, for a pipeline to make before it
-- reads anything: the event trigger cannot see a function made in a
-- transaction open during the install and committed after.  Both refuse a
-- schema whose name has a % sign, which the SQL clv's bodies build with
-- format() from text naming the schema would read as a format specifier.
CREATE FUNCTION @extschema@.clv_check_extension_functions()
RETURNS void AS 'MODULE_PATHNAME', 'clv_check_extension_functions'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION @extschema@.clv_check_extension_functions() IS
'internal: refuses, whenever called, a function in clv''s schema named clv_... that is not clv''s, and a schema name with a % sign';

------------------------------------------------------------------------------
-- The calendar, explicit: a timestamp's calendar day in a named time zone
------------------------------------------------------------------------------

-- The signatures without a time zone take the calendar day in the session's
-- TimeZone, which differs between sessions, pg_cron, pg_restore and the
-- nodes of a Citus cluster (workers do not inherit the coordinator's
-- TimeZone).  These take it in the zone given.  There is no 4-argument
-- (..., time_zone) form: '7 days' would then be read as a time zone name
-- in existing calls of the 4-argument (..., time_unit) form.
CREATE FUNCTION @extschema@.clv_summary_transfn(
    state bigint[], ordered_at timestamptz, amount float8,
    observation_end timestamptz, time_unit interval, time_zone text)
RETURNS bigint[]
AS 'MODULE_PATHNAME', 'clv_summary_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE AGGREGATE @extschema@.clv_summary(
    ordered_at timestamptz, amount float8, observation_end timestamptz,
    time_unit interval, time_zone text) (
    SFUNC = @extschema@.clv_summary_transfn,
    STYPE = bigint[],
    FINALFUNC = @extschema@.clv_summary_final,
    COMBINEFUNC = @extschema@.clv_summary_combine,
    PARALLEL = SAFE
);

COMMENT ON AGGREGATE @extschema@.clv_summary(timestamptz, float8, timestamptz, interval, text) IS
'per-customer summary of orders up to observation_end, calendar days taken in time_zone (the same on every session and node); time in time_unit';

CREATE AGGREGATE @extschema@.clv_summary_state(
    ordered_at timestamptz, amount float8, observation_end timestamptz,
    time_unit interval, time_zone text) (
    SFUNC = @extschema@.clv_summary_transfn, STYPE = bigint[],
    FINALFUNC = @extschema@.clv_summary_state_final,
    COMBINEFUNC = @extschema@.clv_summary_combine, PARALLEL = SAFE);

COMMENT ON AGGREGATE @extschema@.clv_summary_state(timestamptz, float8, timestamptz, interval, text) IS
'the state of clv_summary, compacted, with calendar days taken in time_zone; clv_summary_advance(state, later, time_zone) moves it on';

CREATE AGGREGATE @extschema@.clv_summary_state(
    order_date date, amount float8, observation_end date) (
    SFUNC = @extschema@.clv_summary_transfn, STYPE = bigint[],
    FINALFUNC = @extschema@.clv_summary_state_final,
    COMBINEFUNC = @extschema@.clv_summary_combine, PARALLEL = SAFE);

COMMENT ON AGGREGATE @extschema@.clv_summary_state(date, float8, date) IS
'the state of clv_summary over order dates, compacted; clv_summary_advance(state, later_date) moves it on';

CREATE FUNCTION @extschema@.clv_summary_advance(state bigint[], observation_end timestamptz, time_zone text)
RETURNS bigint[] AS 'MODULE_PATHNAME', 'clv_summary_advance'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.clv_summary_advance(bigint[], timestamptz, text) IS
'a clv_summary_state observed up to a later observation_end, its calendar day taken in time_zone';

CREATE FUNCTION @extschema@.clv_summary_advance(state bigint[], observation_end date)
RETURNS bigint[] AS 'MODULE_PATHNAME', 'clv_summary_advance_date'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.clv_summary_advance(bigint[], date) IS
'a clv_summary_state of order dates observed up to a later day';

CREATE FUNCTION @extschema@.clv_summary_advances_to(state bigint[], later bigint[])
RETURNS boolean AS 'MODULE_PATHNAME', 'clv_summary_advances_to'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.clv_summary_advances_to(bigint[], bigint[]) IS
'whether a clv_summary_state moved on to the observation end of a later one is that one: the same orders, observed up to the same or an earlier end';

CREATE AGGREGATE @extschema@.clv_summary_state(
    order_date date, amount float8, observation_end date, time_unit interval) (
    SFUNC = @extschema@.clv_summary_transfn, STYPE = bigint[],
    FINALFUNC = @extschema@.clv_summary_state_final,
    COMBINEFUNC = @extschema@.clv_summary_combine, PARALLEL = SAFE);

COMMENT ON AGGREGATE @extschema@.clv_summary_state(date, float8, date, interval) IS
'the state of clv_summary over order dates, time in time_unit, compacted; clv_summary_advance(state, later_date) moves it on';

-- What the regularity models take beside the summary, from the purchase
-- days the state keeps (clv_summary itself cannot grow a field: a table
-- column of type clv_summary forbids ALTER TYPE ... ADD ATTRIBUTE).
CREATE FUNCTION @extschema@.clv_summary_log_gap_sum(state bigint[])
RETURNS float8 AS 'MODULE_PATHNAME', 'clv_summary_log_gap_sum'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.clv_summary_log_gap_sum(bigint[]) IS
'the sum of ln(gap) over the gaps between consecutive purchase days of a clv_summary_state, in its time unit: the log_gap_sum of clv_fit_mbgcnbd and clv_fit_bgcnbd (0 for one purchase day, NULL for none)';

------------------------------------------------------------------------------
-- Activity by calendar month (src/activity.c), kept beside a customer's
-- summary state by a pipeline so that its monthly and cohort tables follow
-- the changed customers without reading every order again
------------------------------------------------------------------------------

CREATE FUNCTION @extschema@.clv_activity_transfn(
    state bigint[], ordered_at timestamptz, amount float8, time_zone text)
RETURNS bigint[] AS 'MODULE_PATHNAME', 'clv_activity_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.clv_activity_transfn(state bigint[], order_date date, amount float8)
RETURNS bigint[] AS 'MODULE_PATHNAME', 'clv_activity_date_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.clv_activity_combine(a bigint[], b bigint[])
RETURNS bigint[] AS 'MODULE_PATHNAME', 'clv_activity_combine'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.clv_activity_final(state bigint[])
RETURNS bigint[] AS 'MODULE_PATHNAME', 'clv_activity_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE AGGREGATE @extschema@.clv_activity_state(ordered_at timestamptz, amount float8, time_zone text) (
    SFUNC = @extschema@.clv_activity_transfn, STYPE = bigint[], FINALFUNC = @extschema@.clv_activity_final,
    COMBINEFUNC = @extschema@.clv_activity_combine, PARALLEL = SAFE);

COMMENT ON AGGREGATE @extschema@.clv_activity_state(timestamptz, float8, text) IS
'one customer''s order rows and amounts per calendar month, days taken in time_zone; read with clv_activity_months';

CREATE AGGREGATE @extschema@.clv_activity_state(order_date date, amount float8) (
    SFUNC = @extschema@.clv_activity_transfn, STYPE = bigint[], FINALFUNC = @extschema@.clv_activity_final,
    COMBINEFUNC = @extschema@.clv_activity_combine, PARALLEL = SAFE);

COMMENT ON AGGREGATE @extschema@.clv_activity_state(date, float8) IS
'one customer''s order rows and amounts per calendar month of the order dates; read with clv_activity_months';

CREATE FUNCTION @extschema@.clv_activity_total_transfn(total bigint[], activity bigint[], by_cohort boolean)
RETURNS bigint[] AS 'MODULE_PATHNAME', 'clv_activity_total_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE AGGREGATE @extschema@.clv_activity_total(activity bigint[], by_cohort boolean) (
    SFUNC = @extschema@.clv_activity_total_transfn, STYPE = bigint[], FINALFUNC = @extschema@.clv_activity_final,
    COMBINEFUNC = @extschema@.clv_activity_combine, PARALLEL = SAFE);

COMMENT ON AGGREGATE @extschema@.clv_activity_total(bigint[], boolean) IS
'customers'' clv_activity_state added up by month, or by cohort (first month) and month: customers, order rows and amounts, exactly';

CREATE FUNCTION @extschema@.clv_activity_difference(total bigint[], part bigint[])
RETURNS bigint[] AS 'MODULE_PATHNAME', 'clv_activity_difference'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.clv_activity_difference(bigint[], bigint[]) IS
'a clv_activity_total without the customers of part (their total as it was added); clv_activity_combine adds totals';

CREATE FUNCTION @extschema@.clv_activity_months(
    state bigint[], OUT cohort date, OUT month date, OUT customers bigint, OUT orders bigint, OUT amount float8)
RETURNS SETOF record AS 'MODULE_PATHNAME', 'clv_activity_months'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 24;

COMMENT ON FUNCTION @extschema@.clv_activity_months(bigint[]) IS
'the months of a clv_activity_state or clv_activity_total: customers, order rows and their amount (summed exactly, rounded once); the cohort in a total by cohort';

------------------------------------------------------------------------------
-- A sum of float8 that does not depend on the order of the rows
-- (src/exact_sum.c): what a pipeline's tables add up, so that a refresh gives
-- the same figures whatever order it read the rows in
------------------------------------------------------------------------------

CREATE FUNCTION @extschema@.clv_exact_sum_transfn(state bigint[], value float8)
RETURNS bigint[] AS 'MODULE_PATHNAME', 'clv_exact_sum_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.clv_exact_sum_combine(a bigint[], b bigint[])
RETURNS bigint[] AS 'MODULE_PATHNAME', 'clv_exact_sum_combine'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.clv_exact_sum_final(state bigint[])
RETURNS float8 AS 'MODULE_PATHNAME', 'clv_exact_sum_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE AGGREGATE @extschema@.clv_exact_sum(value float8) (
    SFUNC = @extschema@.clv_exact_sum_transfn, STYPE = bigint[],
    FINALFUNC = @extschema@.clv_exact_sum_final,
    COMBINEFUNC = @extschema@.clv_exact_sum_combine, PARALLEL = SAFE);

COMMENT ON AGGREGATE @extschema@.clv_exact_sum(float8) IS
'the sum of float8 values (each at most 4e18 in size) added exactly and rounded once: the same whatever the order of the rows';

------------------------------------------------------------------------------
-- A customer's touches by channel (src/attribution.c), kept by a pipeline so
-- that each refresh splits the customer's predicted value over its channels
-- without reading the orders again
------------------------------------------------------------------------------

CREATE FUNCTION @extschema@.clv_channel_state_transfn(
    state internal, channel text, touched_at timestamptz, amount float8)
RETURNS internal AS 'MODULE_PATHNAME', 'clv_channel_state_transfn'
LANGUAGE C PARALLEL SAFE;

CREATE FUNCTION @extschema@.clv_channel_state_final(state internal)
RETURNS bytea AS 'MODULE_PATHNAME', 'clv_channel_state_final'
LANGUAGE C PARALLEL SAFE;

CREATE AGGREGATE @extschema@.clv_channel_state(channel text, touched_at timestamptz, amount float8) (
    SFUNC = @extschema@.clv_channel_state_transfn, STYPE = internal,
    FINALFUNC = @extschema@.clv_channel_state_final,
    COMBINEFUNC = @extschema@.clv_attribution_combine,
    SERIALFUNC = @extschema@.clv_attribution_serialize,
    DESERIALFUNC = @extschema@.clv_attribution_deserialize,
    PARALLEL = SAFE);

COMMENT ON AGGREGATE @extschema@.clv_channel_state(text, timestamptz, float8) IS
'one customer''s touches (rows with a channel and a time) and each channel''s amount, for clv_channel_credits';

CREATE FUNCTION @extschema@.clv_channel_credits(
    state bytea, value numeric,
    OUT channel text, OUT touches bigint, OUT amount float8, OUT first_touch numeric,
    OUT last_touch numeric, OUT linear numeric, OUT position_based numeric)
RETURNS SETOF record AS 'MODULE_PATHNAME', 'clv_channel_credits'
LANGUAGE C IMMUTABLE PARALLEL SAFE ROWS 4;

COMMENT ON FUNCTION @extschema@.clv_channel_credits(bytea, numeric) IS
'for each channel of a clv_channel_state: its touches, its amount, and its credit of value under first touch, last touch, linear and position-based attribution, as clv_attribution splits it';

------------------------------------------------------------------------------
-- SQL and PL/pgSQL functions, every function and operator schema-qualified
------------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION @extschema@.clv_change_drivers(
    before @extschema@.clv_business_kpis, after @extschema@.clv_business_kpis)
RETURNS TABLE (driver text, before_value float8, after_value float8,
               contribution float8, share_of_change float8)
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    b float8[] := ARRAY[before.avg_order_value, before.purchase_frequency_per_year,
                        before.lifespan_years, before.gross_margin];
    a float8[] := ARRAY[after.avg_order_value, after.purchase_frequency_per_year,
                        after.lifespan_years, after.gross_margin];
BEGIN
    IF pg_catalog.array_position(b, NULL) IS NOT NULL
       OR pg_catalog.array_position(a, NULL) IS NOT NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value',
            MESSAGE = 'both periods need avg_order_value, purchase_frequency_per_year, lifespan_years and gross_margin',
            DETAIL = 'lifespan_years is NULL when no customer was lost in the retention window.',
            HINT = 'Measure retention over a window in which some customers lapsed.';
    END IF;
    RETURN QUERY
    SELECT d.driver, d.before_value, d.after_value, d.contribution,
           CASE WHEN d.total OPERATOR(pg_catalog.=) 0 THEN NULL
                -- + 0 turns a -0 share into 0
                ELSE (d.contribution OPERATOR(pg_catalog./) d.total) OPERATOR(pg_catalog.+) 0 END
      FROM (SELECT r.*, pg_catalog.sum(r.contribution) OVER () AS total
              FROM ROWS FROM (
                       pg_catalog.unnest(ARRAY['average order value', 'orders per customer per year',
                                               'customer lifespan (retention)', 'gross margin']),
                       pg_catalog.unnest(b), pg_catalog.unnest(a),
                       pg_catalog.unnest(@extschema@.clv_shapley_change(b, a)))
                   AS r(driver, before_value, after_value, contribution)) AS d;
END
$$;

CREATE OR REPLACE FUNCTION @extschema@.clv_value_tier(
    top_share float8, cutoffs float8[] DEFAULT '{0.01,0.05,0.2}')
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN top_share IS NULL THEN NULL
                ELSE coalesce((SELECT pg_catalog.format('top %s%%', c OPERATOR(pg_catalog.*) 100)
                                 FROM pg_catalog.unnest(cutoffs) AS c
                                WHERE top_share OPERATOR(pg_catalog.<=) c
                                ORDER BY c LIMIT 1), 'rest') END
$$;

-- clv_credibility_prior's state: {groups, customers, sum (n-1) s^2, sum (n-1),
-- sum n mean, sum n mean^2, sum n^2}, all exact (numeric)
CREATE OR REPLACE FUNCTION @extschema@.clv_credibility_transfn(
    state numeric[], group_size bigint, group_mean float8, group_variance float8)
RETURNS numeric[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    n numeric := group_size;
    m numeric;
BEGIN
    -- a state given as INITCOND is checked like one shipped from another
    -- node, also when this row adds nothing to it
    state := @extschema@.clv_credibility_checked(state);
    IF group_size IS NULL OR group_mean IS NULL OR group_size OPERATOR(pg_catalog.<) 1 THEN
        RETURN state;
    END IF;
    IF group_mean OPERATOR(pg_catalog.=) ANY ('{NaN,Infinity,-Infinity}'::float8[]) THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = pg_catalog.format('clv_credibility_prior: group mean must be finite, not %s', group_mean);
    END IF;
    IF group_size OPERATOR(pg_catalog.>) 1
       AND (group_variance IS NULL OR group_variance OPERATOR(pg_catalog.<) 0
            OR group_variance OPERATOR(pg_catalog.=) ANY ('{NaN,Infinity}'::float8[])) THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = pg_catalog.format('clv_credibility_prior: the variance of a group of %s must be finite and not negative, not %s',
                                        group_size, coalesce(group_variance::text, 'NULL')),
            HINT = 'Pass the sample variance of the group''s values, e.g. var_samp().';
    END IF;
    m := group_mean::numeric;
    RETURN ARRAY[coalesce(state[1], 0) OPERATOR(pg_catalog.+) 1,
                 coalesce(state[2], 0) OPERATOR(pg_catalog.+) n,
                 coalesce(state[3], 0) OPERATOR(pg_catalog.+)
                     CASE WHEN n OPERATOR(pg_catalog.>) 1
                          THEN (n OPERATOR(pg_catalog.-) 1) OPERATOR(pg_catalog.*) group_variance::numeric
                          ELSE 0 END,
                 coalesce(state[4], 0) OPERATOR(pg_catalog.+) (n OPERATOR(pg_catalog.-) 1),
                 coalesce(state[5], 0) OPERATOR(pg_catalog.+) (n OPERATOR(pg_catalog.*) m),
                 coalesce(state[6], 0) OPERATOR(pg_catalog.+) (n OPERATOR(pg_catalog.*) m OPERATOR(pg_catalog.*) m),
                 coalesce(state[7], 0) OPERATOR(pg_catalog.+) (n OPERATOR(pg_catalog.*) n)];
END
$$;

-- A state typed in, or shipped as text from another node, is checked before
-- it is used: the sums must be finite, the counts whole and consistent, and
-- the sums of squares no smaller than the squares of the sums allow.
CREATE OR REPLACE FUNCTION @extschema@.clv_credibility_checked(state numeric[])
RETURNS numeric[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF state IS NOT NULL AND NOT (
           pg_catalog.array_ndims(state) OPERATOR(pg_catalog.=) 1
           AND pg_catalog.array_lower(state, 1) OPERATOR(pg_catalog.=) 1
           AND pg_catalog.cardinality(state) OPERATOR(pg_catalog.=) 7
           AND NOT EXISTS (SELECT FROM pg_catalog.unnest(state) v
                           WHERE v IS NULL
                              OR v OPERATOR(pg_catalog.=) ANY ('{NaN,Infinity,-Infinity}'::numeric[]))
           -- groups
           AND state[1] OPERATOR(pg_catalog.>=) 1 AND state[1] OPERATOR(pg_catalog.=) pg_catalog.trunc(state[1])
           -- customers
           AND state[2] OPERATOR(pg_catalog.>=) state[1] AND state[2] OPERATOR(pg_catalog.=) pg_catalog.trunc(state[2])
           -- sum (n-1) s^2, sum (n-1)
           AND state[3] OPERATOR(pg_catalog.>=) 0
           AND state[4] OPERATOR(pg_catalog.=) (state[2] OPERATOR(pg_catalog.-) state[1])
           -- sum n^2
           AND state[7] OPERATOR(pg_catalog.>=) state[2] AND state[7] OPERATOR(pg_catalog.=) pg_catalog.trunc(state[7])
           AND state[7] OPERATOR(pg_catalog.<=) (state[2] OPERATOR(pg_catalog.*) state[2])
           -- sum n mean^2 against (sum n mean)^2
           AND (state[6] OPERATOR(pg_catalog.*) state[2]) OPERATOR(pg_catalog.>=) (state[5] OPERATOR(pg_catalog.*) state[5])) THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = 'invalid clv_credibility_prior state',
            DETAIL = pg_catalog.format('A state is 7 exact sums: groups, customers, sum (n-1) variance, sum (n-1), sum n mean, sum n mean^2, sum n^2; found %s.', state);
    END IF;
    RETURN state;
END
$$;

CREATE OR REPLACE FUNCTION @extschema@.clv_credibility_combine(a numeric[], b numeric[])
RETURNS numeric[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    a := @extschema@.clv_credibility_checked(a);
    b := @extschema@.clv_credibility_checked(b);
    IF a IS NULL THEN
        RETURN b;
    ELSIF b IS NULL THEN
        RETURN a;
    END IF;
    RETURN ARRAY(SELECT x OPERATOR(pg_catalog.+) y FROM ROWS FROM (pg_catalog.unnest(a), pg_catalog.unnest(b)) AS u(x, y));
END
$$;

-- The structure is computed in numeric from the exact sums and rounded to
-- float8 once, at the end.
CREATE OR REPLACE FUNCTION @extschema@.clv_credibility_final(state numeric[])
RETURNS @extschema@.clv_credibility_prior
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    WITH checked AS (SELECT @extschema@.clv_credibility_checked(state) AS state),
    s AS (
        SELECT state[1] AS g, state[2] AS n,
               CASE WHEN state[4] OPERATOR(pg_catalog.>) 0
                    THEN state[3] OPERATOR(pg_catalog./) state[4] END AS within,
               state[5] OPERATOR(pg_catalog./) state[2] AS grand,
               state[6] OPERATOR(pg_catalog.-) (state[5] OPERATOR(pg_catalog.*) state[5] OPERATOR(pg_catalog./) state[2])
                   AS between_ss,
               state[2] OPERATOR(pg_catalog.-) (state[7] OPERATOR(pg_catalog./) state[2]) AS spread
        FROM checked)
    SELECT g::bigint, n::bigint, grand::float8, within::float8, b::float8,
           CASE WHEN b OPERATOR(pg_catalog.=) 0 THEN NULL
                ELSE (within OPERATOR(pg_catalog./) b)::float8 END
      FROM s, LATERAL (SELECT CASE WHEN g OPERATOR(pg_catalog.>) 1 AND within IS NOT NULL
                                        AND spread OPERATOR(pg_catalog.>) 0
                                   THEN greatest(0, (between_ss OPERATOR(pg_catalog.-)
                                                     ((g OPERATOR(pg_catalog.-) 1) OPERATOR(pg_catalog.*) within))
                                                    OPERATOR(pg_catalog./) spread) END AS b) AS v
     WHERE g IS NOT NULL
$$;

-- A group of no customers gets the prior, as documented (0.3.0 divided 0 by
-- 0 when the within-group variance was 0 too).
CREATE OR REPLACE FUNCTION @extschema@.clv_credible_mean(
    group_size bigint, group_mean float8, prior_mean float8,
    within_variance float8, between_variance float8)
RETURNS @extschema@.clv_credible_mean
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    n float8 := coalesce(greatest(group_size, 0), 0);
    z float8;
    result @extschema@.clv_credible_mean;
BEGIN
    IF within_variance OPERATOR(pg_catalog.<) 0 OR within_variance OPERATOR(pg_catalog.=) ANY ('{NaN,Infinity}'::float8[])
       OR between_variance OPERATOR(pg_catalog.<) 0 OR between_variance OPERATOR(pg_catalog.=) ANY ('{NaN,Infinity}'::float8[]) THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = pg_catalog.format('clv_credible_mean: variances must be finite and not negative (within %s, between %s)',
                                        within_variance, between_variance);
    END IF;
    IF group_mean OPERATOR(pg_catalog.=) ANY ('{NaN,Infinity,-Infinity}'::float8[])
       OR prior_mean OPERATOR(pg_catalog.=) ANY ('{NaN,Infinity,-Infinity}'::float8[]) THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = pg_catalog.format('clv_credible_mean: means must be finite (group %s, prior %s)', group_mean, prior_mean);
    END IF;
    z := CASE WHEN between_variance OPERATOR(pg_catalog.>) 0 AND n OPERATOR(pg_catalog.>) 0
              THEN n OPERATOR(pg_catalog./) (n OPERATOR(pg_catalog.+) (within_variance OPERATOR(pg_catalog./) between_variance))
              ELSE 0 END;
    result.weight := z;
    result.estimate := CASE WHEN z OPERATOR(pg_catalog.>) 0
                            THEN (z OPERATOR(pg_catalog.*) group_mean)
                                 OPERATOR(pg_catalog.+) ((1 OPERATOR(pg_catalog.-) z) OPERATOR(pg_catalog.*) prior_mean)
                            ELSE prior_mean END;
    result.std_error := CASE WHEN between_variance OPERATOR(pg_catalog.>) 0
                             THEN pg_catalog.sqrt((1 OPERATOR(pg_catalog.-) z) OPERATOR(pg_catalog.*) between_variance)
                             ELSE 0 END;
    result.lower_95 := result.estimate OPERATOR(pg_catalog.-) (1.959963984540054 OPERATOR(pg_catalog.*) result.std_error);
    result.upper_95 := result.estimate OPERATOR(pg_catalog.+) (1.959963984540054 OPERATOR(pg_catalog.*) result.std_error);
    RETURN result;
END
$$;

-- Cohort retention with its calendar named: a timestamptz column's days are
-- taken in time_zone.  The 4-argument form keeps the session's TimeZone.
-- A calendar period of cohorts, as a word (week, month, quarter, year) or
-- as the interval it spans ('1 week', '1 month', '3 months', '1 year'):
-- the word.  Cohorts start on calendar boundaries, so other lengths, such
-- as '30 days', have none and are refused.
CREATE FUNCTION @extschema@.clv_calendar_period(period text)
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    span interval;
BEGIN
    IF period OPERATOR(pg_catalog.=) ANY (ARRAY['week', 'month', 'quarter', 'year']) THEN
        RETURN period;
    END IF;
    BEGIN
        span := period::interval;
    EXCEPTION WHEN invalid_datetime_format OR datetime_field_overflow OR interval_field_overflow THEN
        span := NULL;
    END;
    -- compared field by field: '4 weeks' is not a month
    RETURN CASE WHEN span IS NULL THEN NULL
                WHEN EXTRACT(epoch FROM span) OPERATOR(pg_catalog.=) 604800
                     AND EXTRACT(month FROM span) OPERATOR(pg_catalog.=) 0
                     AND EXTRACT(year FROM span) OPERATOR(pg_catalog.=) 0 THEN 'week'
                WHEN span OPERATOR(pg_catalog.=) '1 month'::interval
                     AND EXTRACT(day FROM span) OPERATOR(pg_catalog.=) 0 THEN 'month'
                WHEN span OPERATOR(pg_catalog.=) '3 months'::interval
                     AND EXTRACT(day FROM span) OPERATOR(pg_catalog.=) 0 THEN 'quarter'
                WHEN span OPERATOR(pg_catalog.=) '1 year'::interval
                     AND EXTRACT(day FROM span) OPERATOR(pg_catalog.=) 0 THEN 'year' END;
END
$$;

-- The calendar day of an orders table's date column, as SQL over the table's
-- row: a timestamptz's day in time_zone, a timestamp's or a date's own.  It
-- checks that the customer and date columns exist and that the date column
-- is a date or timestamp.  One place for the functions that read a user's
-- orders by column names (clv_cohort_retention, clv_evaluate).
CREATE FUNCTION @extschema@.clv_orders_day_sql(orders regclass, customer name, ordered_at name, time_zone text)
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    date_type regtype;
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_attribute a
                    WHERE a.attrelid OPERATOR(pg_catalog.=) orders
                      AND a.attname OPERATOR(pg_catalog.=) customer
                      AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped) THEN
        RAISE EXCEPTION USING ERRCODE = 'undefined_column',
            MESSAGE = pg_catalog.format('column %I does not exist in %s', customer, orders);
    END IF;
    SELECT @extschema@.clv_base_type(a.atttypid::pg_catalog.regtype) INTO date_type
      FROM pg_catalog.pg_attribute a
     WHERE a.attrelid OPERATOR(pg_catalog.=) orders AND a.attname OPERATOR(pg_catalog.=) ordered_at
       AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped;
    IF date_type IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'undefined_column',
            MESSAGE = pg_catalog.format('column %I does not exist in %s', ordered_at, orders);
    END IF;
    IF date_type OPERATOR(pg_catalog.=) 'timestamptz'::regtype THEN
        RETURN pg_catalog.format('(%I AT TIME ZONE %L)::pg_catalog.date', ordered_at, time_zone);
    ELSIF date_type OPERATOR(pg_catalog.=) ANY (ARRAY['timestamp'::regtype, 'date'::regtype]) THEN
        RETURN pg_catalog.format('%I::pg_catalog.date', ordered_at);
    END IF;
    RAISE EXCEPTION USING ERRCODE = 'datatype_mismatch',
        MESSAGE = pg_catalog.format('column %I of %s must be a date or timestamp, not %s', ordered_at, orders, date_type);
END
$$;

COMMENT ON FUNCTION @extschema@.clv_orders_day_sql(regclass, name, name, text) IS
'internal: the calendar day of an orders table''s date column as SQL, the columns checked';

CREATE FUNCTION @extschema@.clv_cohort_retention(
    orders regclass, customer name, ordered_at name,
    period text, time_zone text)
RETURNS TABLE (cohort date, period_number integer, cohort_customers bigint,
               active_customers bigint, retention float8)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    day_of text;
    -- the period as a word
    calendar_period text := @extschema@.clv_calendar_period(period);
BEGIN
    IF orders IS NULL OR customer IS NULL OR ordered_at IS NULL OR period IS NULL
       OR time_zone IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'null_value_not_allowed',
            MESSAGE = 'clv_cohort_retention arguments must not be NULL';
    END IF;
    IF calendar_period IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = pg_catalog.format('period must be a calendar period, not %L', period),
            DETAIL = 'Cohorts start on calendar boundaries: week, month, quarter or year.',
            HINT = 'Give the word, or the interval it spans: ''1 week'', ''1 month'', ''3 months'' or ''1 year''.';
    END IF;
    PERFORM @extschema@.clv_time_zone_checked(time_zone);
    day_of := @extschema@.clv_orders_day_sql(orders, customer, ordered_at, time_zone);
    RETURN QUERY EXECUTE
        @extschema@.clv_cohort_sql(pg_catalog.format('SELECT %1$I AS customer, %2$s AS day FROM %3$s WHERE %1$I IS NOT NULL AND %4$I IS NOT NULL',
                                                     customer, day_of, orders, ordered_at), calendar_period)
        OPERATOR(pg_catalog.||) ' ORDER BY cohort, period_number';
END
$$;

COMMENT ON FUNCTION @extschema@.clv_cohort_retention(regclass, name, name, text, text) IS
'customers grouped by the period of their first order, with the number and share who ordered in each later period (0 = the first), a timestamptz column''s days taken in time_zone';

CREATE OR REPLACE FUNCTION @extschema@.clv_cohort_retention(
    orders regclass, customer_column name, date_column name,
    period text DEFAULT 'month')
RETURNS TABLE (cohort date, period_number integer, cohort_customers bigint,
               active_customers bigint, retention float8)
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT * FROM @extschema@.clv_cohort_retention(orders, customer_column, date_column, period,
                                                   pg_catalog.current_setting('TimeZone'))
$$;

COMMENT ON FUNCTION @extschema@.clv_cohort_retention(regclass, name, name, text) IS
'customers grouped by the period of their first order, with the number and share who ordered in each later period (0 = the first); days in the session TimeZone; one row per cohort and period, ready for a heat map';

-- The type under any domains: the type whose own operators a column's values
-- are compared with, and what clv's tables copy values into (a domain's
-- CHECK would otherwise run, as whoever writes, on every copy).
CREATE FUNCTION @extschema@.clv_base_type(t regtype)
RETURNS regtype
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    WITH RECURSIVE chain AS (
        SELECT y.oid, y.typbasetype, 1 AS depth FROM pg_catalog.pg_type y WHERE y.oid OPERATOR(pg_catalog.=) t
        UNION ALL
        SELECT y.oid, y.typbasetype, c.depth OPERATOR(pg_catalog.+) 1
          FROM chain c JOIN pg_catalog.pg_type y ON y.oid OPERATOR(pg_catalog.=) c.typbasetype
         WHERE c.typbasetype OPERATOR(pg_catalog.<>) 0)
    SELECT c.oid::regtype FROM chain c ORDER BY c.depth DESC LIMIT 1
$$;

-- An orders table's amount column as SQL for the aggregates: float8 and
-- float4 as float8, the exact types (numeric, the integers, money) as numeric;
-- NULL for any other type, which the caller refuses.  One list of the
-- amount types the pipeline and clv_evaluate accept.
CREATE FUNCTION @extschema@.clv_amount_sql(amount_type regtype, amount_column text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN amount_type OPERATOR(pg_catalog.=) ANY (ARRAY['float8'::regtype, 'float4'::regtype])
                THEN pg_catalog.format('(%s)::pg_catalog.float8', amount_column)
                WHEN amount_type OPERATOR(pg_catalog.=) ANY (ARRAY['numeric'::regtype, 'integer'::regtype,
                                                                   'bigint'::regtype, 'smallint'::regtype,
                                                                   'money'::regtype])
                THEN pg_catalog.format('(%s)::pg_catalog.numeric', amount_column) END
$$;

-- A time zone name that the calendar-explicit functions accept, or an error
-- that says so (the same parser as theirs).
CREATE FUNCTION @extschema@.clv_time_zone_checked(time_zone text)
RETURNS text AS 'MODULE_PATHNAME', 'clv_time_zone_checked'
LANGUAGE C STABLE PARALLEL SAFE;

CREATE OR REPLACE FUNCTION @extschema@.clv_html_escape(t text)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT pg_catalog.replace(pg_catalog.replace(pg_catalog.replace(pg_catalog.replace(pg_catalog.replace(
               t, '&', '&amp;'), '<', '&lt;'), '>', '&gt;'), '"', '&quot;'), '''', '&#39;')
$$;

-- An amount for a page: rounded to a whole unit, thousands separated, after
-- the currency the reader asked for ('' when NULL).
CREATE FUNCTION @extschema@.clv_html_amount(amount float8, currency text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN amount IS NULL THEN ''
                ELSE @extschema@.clv_html_escape(currency)
                     OPERATOR(pg_catalog.||) pg_catalog.to_char(pg_catalog.round(amount::pg_catalog.numeric),
                                                                'FM999,999,999,999,990') END
$$;

-- A bound on a chart's axis: as an amount from 100 up, else to three
-- significant digits (a log axis's first bound can be a fraction of a cent)
CREATE FUNCTION @extschema@.clv_html_bound(amount float8, currency text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN amount IS NULL OR amount OPERATOR(pg_catalog.>=) 100 THEN @extschema@.clv_html_amount(amount, currency)
                WHEN amount OPERATOR(pg_catalog.<=) 0 THEN @extschema@.clv_html_escape(currency) OPERATOR(pg_catalog.||) '0'
                ELSE @extschema@.clv_html_escape(currency)
                     OPERATOR(pg_catalog.||) pg_catalog.round(amount::pg_catalog.numeric,
                                                              greatest(2, 2 OPERATOR(pg_catalog.-)
                                                                          pg_catalog.floor(pg_catalog.log(amount))::integer))::text END
$$;

------------------------------------------------------------------------------
-- The refreshable pipeline
--
-- 0.4.0 keeps a pipeline in plain tables, not materialized views: a refresh
-- rewrites their rows in one transaction, so readers see the previous
-- contents until it commits and are never blocked (a refresh takes no lock
-- that conflicts with SELECT).  Every step runs as the pipeline's owner in a
-- security-restricted operation (src/pipeline_owner.c), which rules out
-- REFRESH MATERIALIZED VIEW CONCURRENTLY (its temporary diff table).
--
-- One calendar: the time zone named at creation (default: the creating
-- session's TimeZone) decides every calendar day, in every refresh, whatever
-- the session, pg_cron's or a Citus worker's zone.
--
-- Change capture: statement triggers on the orders table record which
-- customers' orders were inserted, updated or deleted (or that the table was
-- truncated).  An incremental refresh summarises exactly those customers
-- again from all their orders, so it equals a full refresh whatever changed:
-- back-dated orders, corrections, deletions.
------------------------------------------------------------------------------

DROP FUNCTION @extschema@.clv_pipeline_summarise(name, boolean);
DROP FUNCTION @extschema@.clv_pipeline_wait_for_writers(regclass, timestamptz);
DROP FUNCTION @extschema@.clv_pipeline_objects(name);
DROP FUNCTION @extschema@.clv_create_pipeline(regclass, name, name, name, name, float8, interval, integer,
                                              float8, float8, timestamptz, name);

CREATE OR REPLACE FUNCTION @extschema@.clv_check_pipeline_arguments(
    gross_margin float8, period interval, periods integer, discount_rate float8, penalizer float8)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- NaN compares greater than every number in PostgreSQL, so each range
    -- check also names NaN
    IF gross_margin IS NULL OR gross_margin OPERATOR(pg_catalog.=) 'NaN'
       OR NOT (gross_margin OPERATOR(pg_catalog.>) 0 AND gross_margin OPERATOR(pg_catalog.<=) 1) THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = 'gross_margin must be a fraction above 0 and at most 1';
    END IF;
    -- its length as clv_predicted_value and EXTRACT(epoch) count it: a month
    -- 30 days, a year 365.25
    IF period IS NULL OR NOT EXTRACT(epoch FROM period) OPERATOR(pg_catalog.>) 0 THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = 'period must be a positive interval, such as ''30 days'' or ''1 month''';
    END IF;
    IF periods IS NULL OR periods OPERATOR(pg_catalog.<) 1 OR periods OPERATOR(pg_catalog.>) 1200 THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = 'periods must be between 1 and 1200';
    END IF;
    IF discount_rate IS NULL OR discount_rate OPERATOR(pg_catalog.=) 'NaN'
       OR NOT (discount_rate OPERATOR(pg_catalog.>=) 0 AND discount_rate OPERATOR(pg_catalog.<) 1) THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = 'discount_rate must be a fraction from 0 to below 1';
    END IF;
    IF penalizer IS NULL OR penalizer OPERATOR(pg_catalog.=) ANY ('{NaN,Infinity}'::float8[])
       OR penalizer OPERATOR(pg_catalog.<) 0 THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = 'penalizer must be a finite number, not negative';
    END IF;
END
$$;

-- The equality operator of an operator class (btree strategy 3, hash
-- strategy 1), as OPERATOR(schema.name); NULL for a class without one.
CREATE FUNCTION @extschema@.clv_opclass_equality(opclass oid)
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT pg_catalog.format('OPERATOR(%I.%s)', n.nspname, o.oprname)
      FROM pg_catalog.pg_opclass c
      JOIN pg_catalog.pg_am a ON a.oid OPERATOR(pg_catalog.=) c.opcmethod
      JOIN pg_catalog.pg_amop ao ON ao.amopfamily OPERATOR(pg_catalog.=) c.opcfamily
                                AND ao.amoplefttype OPERATOR(pg_catalog.=) c.opcintype
                                AND ao.amoprighttype OPERATOR(pg_catalog.=) c.opcintype
                                AND ao.amopstrategy OPERATOR(pg_catalog.=)
                                    CASE WHEN a.amname OPERATOR(pg_catalog.=) 'hash' THEN 1 ELSE 3 END
      JOIN pg_catalog.pg_operator o ON o.oid OPERATOR(pg_catalog.=) ao.amopopr
      JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) o.oprnamespace
     WHERE c.oid OPERATOR(pg_catalog.=) opclass
       AND a.amname OPERATOR(pg_catalog.=) ANY (ARRAY['btree', 'hash'])
$$;

-- The equality operator of a type's default btree operator class, as
-- OPERATOR(schema.name): the equality GROUP BY and a primary key use, so
-- that the pipeline compares customers exactly as it groups them (citext
-- customers compare as citext, not as text).
CREATE FUNCTION @extschema@.clv_equality_operator(t regtype)
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce(
        (SELECT e.equality
           FROM pg_catalog.pg_opclass c
           JOIN pg_catalog.pg_am a ON a.oid OPERATOR(pg_catalog.=) c.opcmethod
          CROSS JOIN LATERAL (SELECT @extschema@.clv_opclass_equality(c.oid) AS equality) e
          WHERE a.amname OPERATOR(pg_catalog.=) 'btree' AND c.opcdefault AND e.equality IS NOT NULL
            AND (c.opcintype OPERATOR(pg_catalog.=) t
                 OR EXISTS (SELECT FROM pg_catalog.pg_cast k
                             WHERE k.castsource OPERATOR(pg_catalog.=) t
                               AND k.casttarget OPERATOR(pg_catalog.=) c.opcintype
                               AND k.castmethod OPERATOR(pg_catalog.=) 'b'))
          ORDER BY c.opcintype OPERATOR(pg_catalog.=) t DESC
          LIMIT 1),
        -- polymorphic classes (enums, arrays, ranges): pg_catalog's
        'OPERATOR(pg_catalog.=)')
$$;

-- The cohort table of rows (customer, day date) given as a query: customers
-- grouped by the period (week, month, quarter or year) of their first
-- order, and the share of each cohort active in each later period.  One
-- place for clv_cohort_retention and the pipeline's cohorts table.
CREATE FUNCTION @extschema@.clv_cohort_sql(customer_days text, period text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT pg_catalog.format($q$
        WITH active AS (
            SELECT DISTINCT d.customer,
                   pg_catalog.date_trunc(%2$L, d.day::pg_catalog.timestamp)::pg_catalog.date AS period_start
              FROM (%1$s) d),
        dated AS (
            SELECT a.customer, a.period_start,
                   pg_catalog.min(a.period_start) OVER (PARTITION BY a.customer) AS cohort
              FROM active a),
        numbered AS (
            SELECT d.cohort, %3$s AS period_number FROM dated d)
        SELECT n.cohort, n.period_number,
               (pg_catalog.max(pg_catalog.count(*)) OVER (PARTITION BY n.cohort))::bigint AS cohort_customers,
               pg_catalog.count(*)::bigint AS active_customers,
               pg_catalog.count(*)::float8 OPERATOR(pg_catalog./) pg_catalog.max(pg_catalog.count(*)) OVER (PARTITION BY n.cohort)
                   AS retention
          FROM numbered n
         GROUP BY n.cohort, n.period_number$q$,
        customer_days, period,
        -- periods since the cohort's: whole weeks, or calendar months over 1, 3 or 12
        CASE WHEN period OPERATOR(pg_catalog.=) 'week'
             THEN '(d.period_start OPERATOR(pg_catalog.-) d.cohort) OPERATOR(pg_catalog./) 7'
             ELSE pg_catalog.format(
                 '(((EXTRACT(year FROM d.period_start) OPERATOR(pg_catalog.*) 12 OPERATOR(pg_catalog.+) EXTRACT(month FROM d.period_start))'
                 ' OPERATOR(pg_catalog.-) (EXTRACT(year FROM d.cohort) OPERATOR(pg_catalog.*) 12 OPERATOR(pg_catalog.+) EXTRACT(month FROM d.cohort)))'
                 '::integer OPERATOR(pg_catalog./) %s)',
                 CASE WHEN period OPERATOR(pg_catalog.=) 'quarter' THEN 3
                      WHEN period OPERATOR(pg_catalog.=) 'year' THEN 12 ELSE 1 END) END)
$$;

-- An optimisation fence for a subquery: it is planned on its own, so what
-- it computes is computed once a row however often the level above uses it.
-- OFFSET NULL where parallel workers may run the levels above it (see
-- clv_pipeline_summaries_sql); OFFSET 0 where a plan must stay serial.
CREATE FUNCTION @extschema@.clv_pipeline_fence(parallel_ok boolean)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN parallel_ok THEN 'OFFSET NULL' ELSE 'OFFSET 0' END
$$;

-- The SQL of a pipeline's per-customer objects, one definition each for the
-- views dashboards read and for the refresh that aggregates them: every
-- customer's summary state moved on to the registry's observation end
-- (src/summary.c), and the scores of the registry's models.  As a FROM
-- clause with the summary as c.s and the registry as r: for_view, each
-- summary a LATERAL subquery over its row, so that a reader's WHERE on
-- customer_id reaches summary_state's index; else a subquery over all the
-- rows, the customer as c.customer_id, with the registry's values either as
-- scalar subqueries (each read once) or, with registry_params, as the
-- parameters $1 to $10 in the order listed below, which the caller passes
-- with USING.  Only the latter can be computed by parallel workers on
-- PostgreSQL 15: a query level with initplans (the scalar subqueries) offers
-- no partial paths to the level above, and a fence written OFFSET 0 (a cast,
-- not a constant, when planned from outside) forbids them too, where OFFSET
-- NULL does not.
CREATE FUNCTION @extschema@.clv_pipeline_summaries_sql(target_schema name, ordered_at_type regtype, for_view boolean,
                                                        registry_params boolean DEFAULT false)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT pg_catalog.format(
        CASE WHEN for_view
             THEN '%1$I.summary_state st CROSS JOIN %1$I.clv_pipeline r,'
                  ' LATERAL (SELECT @extschema@.clv_summary_final(%2$s) AS s OFFSET 0) c'
             ELSE '(SELECT st.customer_id, @extschema@.clv_summary_final(%2$s) AS s,'
                  '        @extschema@.clv_summary_log_gap_sum(st.state) AS log_gap_sum'
                  '   FROM %1$I.summary_state st CROSS JOIN (SELECT %3$s) r'
                  '  WHERE st.state IS NOT NULL %4$s) c'
                  ' CROSS JOIN (SELECT %3$s) r' END,
        target_schema,
        CASE WHEN ordered_at_type OPERATOR(pg_catalog.=) 'timestamptz'::pg_catalog.regtype
             THEN '@extschema@.clv_summary_advance(st.state, r.observed_until, r.time_zone)'
             ELSE '@extschema@.clv_summary_advance(st.state, r.observation_end)' END,
        -- for a pass over every customer, the registry's values rather than
        -- a join with it: cheaper per row, and no join to plan around
        pg_catalog.string_agg(CASE WHEN registry_params THEN pg_catalog.format('$%s AS %I', c.n, c.name)
                                   ELSE pg_catalog.format('(SELECT p.%1$I FROM %2$I.clv_pipeline p) AS %1$I',
                                                          c.name, target_schema) END, ', ' ORDER BY c.n),
        @extschema@.clv_pipeline_fence(registry_params))
      FROM pg_catalog.unnest(ARRAY['observed_until', 'observation_end', 'time_zone', 'purchase_model', 'spend_model',
                                   'rfm_breakpoints', 'periods', 'discount_rate', 'period', 'gross_margin'])
           WITH ORDINALITY AS c(name, n)
$$;

-- The type of money in a pipeline's tables and views: numeric rounded to
-- the cent on the way in (a float8 sum shows as 144.10999999999999 in a BI
-- tool), with room for any finite float8.
CREATE FUNCTION @extschema@.clv_pipeline_money()
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT 'pg_catalog.numeric(1000,2)'::pg_catalog.text
$$;

-- x::numeric(1000,2), without formatting x as text on the way
-- (src/money.c): what a refresh writes as money for every declining
-- customer, and the views for every customer read
CREATE FUNCTION @extschema@.clv_round_to_cents(value float8)
RETURNS numeric AS 'MODULE_PATHNAME', 'clv_round_to_cents'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.clv_round_to_cents(float8) IS
'value::numeric(1000,2), the money of a pipeline''s tables and views, computed without formatting value as text';

-- A float8 expression as the pipeline's money
CREATE FUNCTION @extschema@.clv_pipeline_money_sql(value text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT pg_catalog.format('@extschema@.clv_round_to_cents(%s)::%s', value, @extschema@.clv_pipeline_money())
$$;

-- The fit of a pipeline's purchase model over its summaries c.s, penalized
-- by the query's parameter $penalizer_param.  The regularity models take
-- each customer's log gaps too (c.log_gap_sum, from the stored state) and
-- choose k at each refresh.
CREATE FUNCTION @extschema@.clv_pipeline_fit_sql(kind text, penalizer_param integer)
RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- the kind becomes part of a function name: only the five
    IF kind OPERATOR(pg_catalog.=) ANY (ARRAY['mbgcnbd', 'bgcnbd']) THEN
        RETURN pg_catalog.format('@extschema@.clv_fit_%s((c.s).frequency, (c.s).recency, (c.s).age,'
                                 ' c.log_gap_sum, NULL::pg_catalog.int4, $%s)', kind, penalizer_param);
    ELSIF kind OPERATOR(pg_catalog.=) ANY (ARRAY['bgnbd', 'mbgnbd', 'paretonbd']) THEN
        RETURN pg_catalog.format('@extschema@.clv_fit_%s(c.s, $%s)', kind, penalizer_param);
    END IF;
    RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
        MESSAGE = pg_catalog.format('unknown purchase model %L', kind);
END
$$;

CREATE FUNCTION @extschema@.clv_pipeline_summary_sql(target_schema name, ordered_at_type regtype)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT pg_catalog.format(
        'SELECT st.customer_id, (c.s).first_order, (c.s).last_order, (c.s).observation_end, (c.s).orders,'
        ' (c.s).refunds, (c.s).purchase_days, %2$s AS total_amount,'
        ' %3$s AS refunded_amount, %4$s AS avg_order_value,'
        ' (c.s).frequency, (c.s).recency, (c.s).age, %5$s AS monetary, (c.s).mean_gap,'
        ' (c.s).gap_stddev,'
        -- 0.3.0's names of the same fields, for dashboards written for it
        ' %2$s AS net_revenue, (c.s).frequency AS repeat_purchase_days,'
        ' (c.s).recency AS recency_days, (c.s).age AS age_days, %5$s AS repeat_order_value,'
        ' (c.s).mean_gap AS mean_gap_days, (c.s).gap_stddev AS gap_stddev_days'
        ' FROM %1$s WHERE st.state IS NOT NULL',
        @extschema@.clv_pipeline_summaries_sql(target_schema, ordered_at_type, true),
        @extschema@.clv_pipeline_money_sql('(c.s).total_amount'), @extschema@.clv_pipeline_money_sql('(c.s).refunded_amount'),
        @extschema@.clv_pipeline_money_sql('(c.s).avg_order_value'), @extschema@.clv_pipeline_money_sql('(c.s).monetary'))
$$;

-- The bounds of the value tiers (src/tiers.c): the lowest value in each.
CREATE FUNCTION @extschema@.clv_value_tier_bounds(predicted_values float8[], cutoffs float8[] DEFAULT '{0.01,0.05,0.2}')
RETURNS float8[] AS 'MODULE_PATHNAME', 'clv_value_tier_bounds'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.clv_value_tier_bounds(float8[], float8[]) IS
'for each cutoff, the lowest value whose cume_dist over all values (best first, NULLs last) is within it: a value is in the tier clv_value_tier gives its cume_dist if it is at least the bound';

-- A customer's value tier from its predicted CLV and the bounds a refresh
-- stored in the registry (clv_pipeline_refresh_steps): exactly what
-- clv_value_tier gives for its cume_dist() OVER (ORDER BY predicted_clv
-- DESC NULLS LAST), without ranking every customer again when read.
CREATE FUNCTION @extschema@.clv_pipeline_tier_sql(predicted_clv text, bounds text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT pg_catalog.format(
        'CASE WHEN %1$s OPERATOR(pg_catalog.>=) %2$s[1] THEN ''top 1%%'''
        ' WHEN %1$s OPERATOR(pg_catalog.>=) %2$s[2] THEN ''top 5%%'''
        ' WHEN %1$s OPERATOR(pg_catalog.>=) %2$s[3] THEN ''top 20%%'' ELSE ''rest'' END',
        predicted_clv, bounds)
$$;

-- for_view: the columns of customer_scores, with the value tier and the
-- note on NULL scores from the registry, written so that a reader's WHERE on
-- customer_id reaches summary_state's index (each score a LATERAL subquery
-- over the summary's row); else what a refresh aggregates (the RFM
-- segment without its scores, which nothing aggregates), with the day of
-- the first order, written for a pass over every customer (each score
-- computed once in a subquery's projection, which costs less per row, and
-- the registry's values the parameters $1 to $10 of clv_pipeline_summaries_sql,
-- so that parallel workers may score).  The scores themselves are the same
-- expressions either way.
CREATE FUNCTION @extschema@.clv_pipeline_scores_sql(target_schema name, ordered_at_type regtype, for_view boolean)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    WITH e AS (
        SELECT '@extschema@.clv_p_alive(r.purchase_model, c.s)' AS p_alive,
               '@extschema@.clv_predicted_value(r.purchase_model, r.spend_model, c.s, r.periods, r.discount_rate,'
               ' r.period, r.gross_margin)' AS predicted_clv,
               '@extschema@.clv_rfm(c.s, r.rfm_breakpoints)' AS rfm,
               -- the summary, the purchase model and the predicted CLV
               '@extschema@.clv_decline(%1$s, %2$s, %3$s)' AS decline,
               -- the RFM scores, which the view shows and nothing aggregates
               '(%1$s.rfm).recency_score, (%1$s.rfm).frequency_score, (%1$s.rfm).monetary_score, (%1$s.rfm).rfm_cell, '
               AS rfm_scores,
               -- the rows holding the RFM segment and the decline verdict;
               -- the reasons and the alert between %4$s and %5$s
               '(%1$s.rfm).segment AS rfm_segment, (%2$s.decline).declining, (%2$s.decline).severity AS decline_severity,'
               ' %4$s pg_catalog.array_to_string((%2$s.decline).reasons, '', '') %5$s AS decline_reasons,'
               ' %4$s (%2$s.decline).alert %5$s AS decline_alert, %3$s AS value_at_risk' AS score_columns)
    SELECT CASE WHEN for_view THEN pg_catalog.format(
        'SELECT st.customer_id, %8$s AS total_amount, (c.s).orders, (c.s).last_order,'
        ' %2$s AS p_alive, @extschema@.clv_expected_purchases(r.purchase_model, (EXTRACT(epoch FROM r.period)'
        ' OPERATOR(pg_catalog./) 86400)::pg_catalog.float8, c.s) AS expected_purchases_next_period, %9$s AS predicted_clv, %5$s,'
        ' %6$s AS value_tier, r.score_note,'
        -- 0.3.0's name of total_amount, for dashboards written for it
        ' %8$s AS net_revenue'
        ' FROM %1$s,'
        ' LATERAL (SELECT %3$s AS predicted_clv OFFSET 0) v,'
        ' LATERAL (SELECT %4$s AS rfm OFFSET 0) q,'
        ' LATERAL (SELECT %7$s AS decline OFFSET 0) d'
        ' WHERE st.state IS NOT NULL',
        @extschema@.clv_pipeline_summaries_sql(target_schema, ordered_at_type, true), e.p_alive, e.predicted_clv, e.rfm,
        pg_catalog.format(e.rfm_scores, 'q') OPERATOR(pg_catalog.||)
        pg_catalog.format(e.score_columns, 'q', 'd', @extschema@.clv_pipeline_money_sql('(d.decline).value_at_risk'), '', ''),
        @extschema@.clv_pipeline_tier_sql('v.predicted_clv', 'r.tier_bounds'),
        pg_catalog.format(e.decline, 'c.s', 'r.purchase_model', 'v.predicted_clv'),
        @extschema@.clv_pipeline_money_sql('(c.s).total_amount'), @extschema@.clv_pipeline_money_sql('v.predicted_clv'))
    ELSE pg_catalog.format(
        'SELECT x.customer_id, (x.s).total_amount, (x.s).first_order, (x.s).last_order,'
        ' x.p_alive, x.predicted_clv, %5$s'
        ' FROM (SELECT y.*, %6$s AS decline'
        '         FROM (SELECT c.customer_id, c.s, r.purchase_model, %2$s AS p_alive, %3$s AS predicted_clv,'
        '                      %4$s AS rfm'
        '                 FROM %1$s %7$s) y %7$s) x',
        @extschema@.clv_pipeline_summaries_sql(target_schema, ordered_at_type, false, true), e.p_alive, e.predicted_clv,
        -- the refresh's table keeps the reasons and the alert of the declining
        -- customers only, the one list that shows them: an alert is half a
        -- row, and the table is written once and read by every step after
        e.rfm, pg_catalog.format(e.score_columns, 'x', 'x', '(x.decline).value_at_risk',
                                 'CASE WHEN (x.decline).declining THEN', 'END'),
        pg_catalog.format(e.decline, 'y.s', 'y.purchase_model', 'y.predicted_clv'),
        @extschema@.clv_pipeline_fence(true))
    END
      FROM e
$$;

CREATE FUNCTION @extschema@.clv_create_pipeline(
    orders          regclass,
    customer        name,
    ordered_at      name,
    amount          name,
    target_schema   name    DEFAULT 'clv_report',
    gross_margin    float8  DEFAULT 1.0,
    period          interval DEFAULT '30 days',
    periods         integer DEFAULT NULL,
    discount_rate   float8  DEFAULT 0.01,
    penalizer       float8  DEFAULT 0.001,
    as_of           timestamptz DEFAULT NULL,
    channel         name    DEFAULT NULL,
    time_zone       text    DEFAULT NULL,
    horizon         interval DEFAULT NULL,
    model           text    DEFAULT 'bgnbd')
RETURNS SETOF text
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    col name;
    col_type regtype;
    customer_type text;
    date_type regtype;
    amount_type regtype;
    channel_type regtype;
    schema_owner oid;
    me oid := (SELECT r.oid FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) CURRENT_USER);
    created_schema boolean := false;
    zone text := coalesce(time_zone, pg_catalog.current_setting('TimeZone'));
    capture boolean := false;
    capture_note text;
    inheritance_note text := @extschema@.clv_pipeline_inheritance_note(orders);
    schema_oid oid;
    event text;
    objects text[] := ARRAY['customer_summary', 'models', 'customer_scores', 'segments', 'value_tiers',
                            'declining_customers', 'monthly', 'cohorts', 'rejected_orders'];
    -- the purchase model's kind, and with model 'auto' the comparison that chose it
    purchase_kind text;
    evaluation_end date;
BEGIN
    IF orders IS NULL OR customer IS NULL OR ordered_at IS NULL OR amount IS NULL
       OR target_schema IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'null_value_not_allowed',
            MESSAGE = 'clv_create_pipeline: orders, customer, ordered_at, amount and target_schema must not be NULL';
    END IF;
    FOREACH col IN ARRAY ARRAY[customer, ordered_at, amount]
                         OPERATOR(pg_catalog.||) CASE WHEN channel IS NULL THEN '{}'::name[] ELSE ARRAY[channel] END LOOP
        SELECT @extschema@.clv_base_type(a.atttypid::pg_catalog.regtype) INTO col_type
          FROM pg_catalog.pg_attribute a
         WHERE a.attrelid OPERATOR(pg_catalog.=) orders AND a.attname OPERATOR(pg_catalog.=) col
           AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped;
        IF col_type IS NULL THEN
            RAISE EXCEPTION USING ERRCODE = 'undefined_column',
                MESSAGE = pg_catalog.format('column %I does not exist in %s', col, orders);
        END IF;
        IF col OPERATOR(pg_catalog.=) ordered_at THEN
            date_type := col_type;
            IF NOT col_type OPERATOR(pg_catalog.=) ANY (ARRAY['timestamptz'::regtype, 'timestamp'::regtype, 'date'::regtype]) THEN
                RAISE EXCEPTION USING ERRCODE = 'datatype_mismatch',
                    MESSAGE = pg_catalog.format('column %I of %s must be a date or timestamp, not %s', col, orders, col_type);
            END IF;
        ELSIF col OPERATOR(pg_catalog.=) amount THEN
            amount_type := col_type;
            IF @extschema@.clv_amount_sql(col_type, '') IS NULL THEN
                RAISE EXCEPTION USING ERRCODE = 'datatype_mismatch',
                    MESSAGE = pg_catalog.format('column %I of %s must be a number, not %s', col, orders, col_type);
            END IF;
        ELSIF col OPERATOR(pg_catalog.=) customer THEN
            -- (a typmod given, -1: without one, bpchar is character(1)), in
            -- the column's collation: a nondeterministic one makes 'Bob' and
            -- 'bob' one customer, as the pipeline's tables must too
            customer_type := pg_catalog.format_type(col_type, -1)
                             OPERATOR(pg_catalog.||) @extschema@.clv_pipeline_collate_clause(orders, col);
        ELSE
            -- a channel is text, an integer or an enum: types whose cast to
            -- text is PostgreSQL's own, so that reading it runs nobody's code
            channel_type := col_type;
            IF NOT (col_type OPERATOR(pg_catalog.=) ANY (ARRAY['text'::regtype, 'varchar'::regtype, 'bpchar'::regtype,
                                                               'name'::regtype, 'smallint'::regtype, 'integer'::regtype,
                                                               'bigint'::regtype])
                    OR (SELECT t.typtype OPERATOR(pg_catalog.=) 'e' FROM pg_catalog.pg_type t
                         WHERE t.oid OPERATOR(pg_catalog.=) col_type)) THEN
                RAISE EXCEPTION USING ERRCODE = 'datatype_mismatch',
                    MESSAGE = pg_catalog.format('column %I of %s must be text, an integer or an enum, not %s', col, orders, col_type);
            END IF;
        END IF;
    END LOOP;
    -- an option given as NULL takes the signature's default (the NULL rule)
    gross_margin := coalesce(gross_margin, 1.0);
    period := coalesce(period, '30 days');
    -- the horizon in periods: given as either, the same when given as both
    IF horizon IS NOT NULL THEN
        IF periods OPERATOR(pg_catalog.<>) @extschema@.clv_horizon_periods(horizon, period) THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                MESSAGE = pg_catalog.format('a horizon of %s is %s periods of %s, not %s', horizon,
                                            @extschema@.clv_horizon_periods(horizon, period), period, periods),
                HINT = 'Give the horizon or the number of periods, not both.';
        END IF;
        periods := @extschema@.clv_horizon_periods(horizon, period);
    END IF;
    periods := coalesce(periods, 12);
    model := pg_catalog.lower(coalesce(model, 'bgnbd'));
    IF NOT model OPERATOR(pg_catalog.=) ANY (ARRAY['bgnbd', 'mbgnbd', 'paretonbd', 'mbgcnbd', 'bgcnbd', 'auto']) THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = pg_catalog.format('model must be bgnbd, mbgnbd, paretonbd, mbgcnbd, bgcnbd or auto, not %L', model);
    END IF;
    discount_rate := coalesce(discount_rate, 0.01);
    penalizer := coalesce(penalizer, 0.001);
    PERFORM @extschema@.clv_check_pipeline_arguments(gross_margin, period, periods, discount_rate, penalizer);
    PERFORM @extschema@.clv_time_zone_checked(zone);
    IF as_of OPERATOR(pg_catalog.=) ANY ('{infinity,-infinity}'::timestamptz[]) THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = 'as_of must be a finite time, or NULL for the time of each refresh';
    END IF;

    -- a schema of another role is never written into: its owner could replace
    -- the pipeline's tables and run code as the pipeline's owner
    SELECT n.nspowner INTO schema_owner FROM pg_catalog.pg_namespace n
     WHERE n.nspname OPERATOR(pg_catalog.=) target_schema;
    IF schema_owner OPERATOR(pg_catalog.<>) me THEN
        RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege',
            MESSAGE = pg_catalog.format('schema %I belongs to role %s, not to %s', target_schema,
                                        schema_owner::regrole, CURRENT_USER),
            DETAIL = 'A pipeline is built only in a new schema or in one its owner owns.',
            HINT = 'Choose another target_schema; clv_create_pipeline creates it.';
    END IF;
    IF pg_catalog.to_regclass(pg_catalog.format('%I.clv_pipeline', target_schema)) IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'duplicate_object',
            MESSAGE = pg_catalog.format('schema %I already holds a clv pipeline', target_schema),
            HINT = pg_catalog.format('Drop it first with SELECT clv_drop_pipeline(%L).', target_schema);
    END IF;
    -- the orders are read as the caller now and as the pipeline's owner at
    -- each refresh: never through another role's code
    PERFORM @extschema@.clv_check_foreign_code(orders);

    IF schema_owner IS NULL THEN
        EXECUTE pg_catalog.format('CREATE SCHEMA %I', target_schema);
        created_schema := true;
    END IF;
    schema_oid := (SELECT n.oid FROM pg_catalog.pg_namespace n WHERE n.nspname OPERATOR(pg_catalog.=) target_schema);
    IF channel IS NOT NULL THEN
        objects := pg_catalog.array_append(objects, 'channels');
    END IF;
    IF model OPERATOR(pg_catalog.=) 'auto' THEN
        objects := pg_catalog.array_append(objects, 'model_evaluation');
    END IF;

    -- the registry: what was made, with what settings, and the fitted models
    EXECUTE pg_catalog.format($v$
        CREATE TABLE %1$I.clv_pipeline (
            format          integer NOT NULL,
            source          regclass NOT NULL,
            customer        name NOT NULL,
            ordered_at      name NOT NULL,
            amount          name NOT NULL,
            channel         name,
            ordered_at_type regtype NOT NULL,
            amount_type     regtype NOT NULL,
            money_locale    text,
            summarised_money_locale text,
            channel_type    regtype,
            time_zone       text NOT NULL,
            gross_margin    float8 NOT NULL,
            period          interval NOT NULL,
            periods         integer NOT NULL,
            discount_rate   float8 NOT NULL,
            penalizer       float8 NOT NULL,
            purchase_kind   text NOT NULL,
            as_of           timestamptz,
            change_capture  boolean NOT NULL,
            change_capture_note text,
            source_relfilenode oid,
            objects         text[] NOT NULL,
            created_schema  boolean NOT NULL,
            observed_until  timestamptz,
            observation_end date,
            purchase_model  %2$s.clv_model,
            spend_model     %2$s.clv_model,
            rfm_breakpoints float8[],
            tier_bounds     float8[],
            score_note      text,
            created_at      timestamptz NOT NULL,
            refreshed_at    timestamptz,
            last_refresh    text,
            customers_summarised bigint,
            rejected_orders bigint)$v$,
        target_schema, '@extschema@');
    EXECUTE pg_catalog.format('COMMENT ON TABLE %I.clv_pipeline IS %L', target_schema,
                              'what clv_create_pipeline made here, its settings and fitted models; clv_refresh_pipeline and clv_drop_pipeline read it');

    -- the working tables: each customer's summary state, activity by month
    -- (src/activity.c; their totals in activity_totals, apart from the
    -- registry, whose row every score reads: kept small, nothing in it is
    -- compressed), touches by channel
    -- (with a channel) and how many of its order rows were not counted, the
    -- customers whose orders changed since
    -- the last refresh, and a refresh's list of them
    EXECUTE pg_catalog.format($v$
        CREATE TABLE %1$I.summary_state (
            customer_id %2$s, state bigint[], activity bigint[], channels bytea, rejected bigint NOT NULL,
            order_rows bigint, order_digest numeric);
        CREATE UNIQUE INDEX summary_state_customer ON %1$I.summary_state (customer_id);
        CREATE TABLE %1$I.activity_totals (by_cohort boolean PRIMARY KEY, total bigint[]);
        INSERT INTO %1$I.activity_totals VALUES (false, NULL), (true, NULL);
        CREATE TABLE %1$I.order_changes (customer_id %2$s, everything boolean NOT NULL DEFAULT false);
        CREATE TABLE %1$I.changed_customers (customer_id %2$s, everything boolean NOT NULL);
        COMMENT ON TABLE %1$I.summary_state IS
            'internal: each customer''s summary, activity and channel states, which customer_summary and customer_scores read';
        COMMENT ON TABLE %1$I.activity_totals IS 'internal: the activity of all customers by month, which monthly and cohorts are made from';
        COMMENT ON TABLE %1$I.order_changes IS 'internal: the customers whose orders changed since the last refresh (change capture)';
        COMMENT ON TABLE %1$I.changed_customers IS 'internal: the customers a refresh summarises again'$v$,
        target_schema, customer_type);

    -- what dashboards read: each customer's summary and scores, computed when
    -- read from the stored states and the registry's models (a refresh
    -- rewrites no row per customer), and tables of the rest
    EXECUTE pg_catalog.format('CREATE VIEW %I.customer_summary AS %s', target_schema,
                              @extschema@.clv_pipeline_summary_sql(target_schema, date_type));
    EXECUTE pg_catalog.format($v$
        CREATE TABLE %1$I.models (
            model text PRIMARY KEY, kind text NOT NULL, status text NOT NULL, error text,
            parameters jsonb, fitted_at timestamptz NOT NULL)$v$, target_schema);
    EXECUTE pg_catalog.format('CREATE VIEW %I.customer_scores AS %s', target_schema,
                              @extschema@.clv_pipeline_scores_sql(target_schema, date_type, true));
    EXECUTE pg_catalog.format($v$
        CREATE TABLE %1$I.segments (
            rfm_segment text PRIMARY KEY, customers bigint, total_amount %4$s, predicted_clv %4$s,
            predicted_clv_per_customer %4$s, share_of_predicted_clv float8,
            declining_customers bigint, value_at_risk %4$s,
            net_revenue %4$s);  -- 0.3.0's name of total_amount, for dashboards written for it
        CREATE TABLE %1$I.value_tiers (
            value_tier text PRIMARY KEY, customers bigint, min_predicted_clv %4$s,
            predicted_clv %4$s, share_of_predicted_clv float8);
        CREATE TABLE %1$I.declining_customers (
            rank bigint PRIMARY KEY, customer_id %2$s NOT NULL, rfm_segment text, value_tier text,
            predicted_clv %4$s, p_alive float8, value_at_risk %4$s, decline_severity integer,
            decline_reasons text, decline_alert text, last_order date)
            -- room on each page for a row's next version: a refresh rewrites
            -- every row in place (clv_pipeline_refresh_steps)
            WITH (fillfactor = 45);
        CREATE TABLE %1$I.monthly (
            month date PRIMARY KEY, active_customers bigint, new_customers bigint, orders bigint,
            revenue %4$s, avg_order_value %4$s, seasonal_index float8,
            revenue_seasonally_adjusted %4$s, new_customers_revenue_so_far %4$s,
            new_customers_predicted_clv %4$s, partial_month boolean NOT NULL);
        CREATE TABLE %1$I.cohorts (
            cohort date, period_number integer, cohort_customers bigint, active_customers bigint,
            retention float8, PRIMARY KEY (cohort, period_number));
        CREATE TABLE %1$I.rejected_orders (
            customer_id %2$s, ordered_at %3$s, amount text, reason text NOT NULL);
        CREATE INDEX ON %1$I.rejected_orders (customer_id)$v$,
        target_schema, customer_type, date_type, @extschema@.clv_pipeline_money());
    IF channel IS NOT NULL THEN
        EXECUTE pg_catalog.format($v$
            CREATE TABLE %1$I.channels (
                channel text PRIMARY KEY, customers bigint, orders bigint, revenue %2$s,
                predicted_clv_first_touch %2$s, predicted_clv_last_touch %2$s,
                predicted_clv_linear %2$s, predicted_clv_position_based %2$s)$v$,
            target_schema, @extschema@.clv_pipeline_money());
    END IF;

    -- model 'auto': every purchase model fitted on the orders up to 90 days
    -- before the end of observation and compared with the last 90 days
    -- (clv_evaluate); the one with the least mean absolute error of the
    -- customers' holdout purchases is the pipeline's, for good.  A lead
    -- of 1e-6 purchase days a customer is no evidence (the regularity
    -- models with k = 1 are MBG/NBD and BG/NBD, fitted by another route):
    -- of the models within it of the least error, the simplest (earliest
    -- in the list) is kept
    purchase_kind := model;
    IF model OPERATOR(pg_catalog.=) 'auto' THEN
        evaluation_end := (coalesce(as_of, pg_catalog.now()) AT TIME ZONE zone)::date;
        EXECUTE pg_catalog.format($v$
            CREATE TABLE %1$I.model_evaluation AS
            SELECT e.*, false AS chosen, $1::pg_catalog.date AS calibration_end, $2::pg_catalog.date AS holdout_end
              FROM @extschema@.clv_evaluate($3, $4, $5, $6, $1, $2, '1 day', $7, $8) e
             WHERE e.model OPERATOR(pg_catalog.<>) 'gammagamma'$v$, target_schema)
            USING evaluation_end OPERATOR(pg_catalog.-) 90, evaluation_end, orders, customer, ordered_at, amount,
                  zone, penalizer;
        EXECUTE pg_catalog.format($v$
            SELECT coalesce((SELECT e.model FROM %1$I.model_evaluation e
                              WHERE e.calibration_frequency IS NULL
                                AND e.mean_absolute_error OPERATOR(pg_catalog.<=)
                                    ((SELECT pg_catalog.min(l.mean_absolute_error) FROM %1$I.model_evaluation l
                                       WHERE l.calibration_frequency IS NULL) OPERATOR(pg_catalog.+) 1e-6)
                              ORDER BY pg_catalog.array_position(ARRAY['bgnbd', 'mbgnbd', 'paretonbd', 'mbgcnbd', 'bgcnbd'], e.model)
                              LIMIT 1), 'bgnbd')$v$, target_schema)
            INTO purchase_kind;
        EXECUTE pg_catalog.format('UPDATE %1$I.model_evaluation SET chosen = model OPERATOR(pg_catalog.=) $1', target_schema)
            USING purchase_kind;
    END IF;

    PERFORM @extschema@.clv_pipeline_describe(target_schema, orders, customer, zone, gross_margin, period, periods,
                                              discount_rate, purchase_kind);

    -- change capture, where the caller may put triggers on the orders table
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_class c
                    WHERE c.oid OPERATOR(pg_catalog.=) orders AND c.relkind OPERATOR(pg_catalog.=) 'r') THEN
        -- a view or a foreign table takes no such triggers, and a partitioned
        -- table's triggers miss the writes made to a partition directly and
        -- partitions attached, detached or dropped
        capture_note := pg_catalog.format('%s is not a plain table', orders);
    ELSIF @extschema@.clv_is_citus_table(orders) THEN
        -- Citus refuses triggers on its distributed and reference tables
        -- (with an error of no particular SQLSTATE), and a trigger on their
        -- shards would run on the workers, where the pipeline's tables are not
        capture_note := pg_catalog.format('%s is a Citus table', orders);
    ELSIF inheritance_note IS NOT NULL THEN
        capture_note := inheritance_note;
    ELSIF NOT pg_catalog.pg_has_role((SELECT c.relowner FROM pg_catalog.pg_class c
                                       WHERE c.oid OPERATOR(pg_catalog.=) orders), 'USAGE') THEN
        capture_note := pg_catalog.format('only the owner of %s can add the triggers that record its changes', orders);
    ELSE
        -- the triggers call clv's own function, which runs as the pipeline's
        -- owner in a security-restricted operation (src/pipeline_capture.c);
        -- ENABLE ALWAYS: they fire for logical replication's apply workers
        -- too, where orders arrive from another database
        BEGIN
            FOREACH event IN ARRAY ARRAY['insert', 'update', 'delete', 'truncate'] LOOP
                EXECUTE pg_catalog.format('CREATE TRIGGER %I AFTER %s ON %s %s FOR EACH STATEMENT EXECUTE FUNCTION %s.clv_capture_order_changes(%L)',
                                          pg_catalog.format('clv_%s_%s', schema_oid, event), pg_catalog.upper(event), orders,
                                          CASE WHEN event OPERATOR(pg_catalog.=) 'insert' THEN 'REFERENCING NEW TABLE AS new_rows'
                                               WHEN event OPERATOR(pg_catalog.=) 'update' THEN 'REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows'
                                               WHEN event OPERATOR(pg_catalog.=) 'delete' THEN 'REFERENCING OLD TABLE AS old_rows'
                                               ELSE '' END,
                                          '@extschema@', target_schema);
                EXECUTE pg_catalog.format('ALTER TABLE %s ENABLE ALWAYS TRIGGER %I', orders,
                                          pg_catalog.format('clv_%s_%s', schema_oid, event));
            END LOOP;
            capture := true;
        EXCEPTION WHEN feature_not_supported OR wrong_object_type OR insufficient_privilege
                       OR object_not_in_prerequisite_state OR invalid_object_definition THEN
            capture_note := SQLERRM;
        END;
    END IF;
    IF NOT capture THEN
        RAISE NOTICE USING
            MESSAGE = pg_catalog.format('no change capture on %s: an incremental refresh of %I reads every order to find the customers whose orders changed',
                                        orders, target_schema),
            DETAIL = capture_note,
            HINT = 'With the pipeline''s triggers, on a plain table its creator owns, it reads only those customers'' orders.';
    END IF;

    EXECUTE pg_catalog.format($v$
        INSERT INTO %1$I.clv_pipeline (format, source, customer, ordered_at, amount, channel, ordered_at_type,
                                      amount_type, channel_type, time_zone, gross_margin, period, periods,
                                      discount_rate, penalizer, purchase_kind, as_of, change_capture,
                                      change_capture_note, objects, created_schema, money_locale, created_at)
        VALUES (2, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21,
                pg_catalog.clock_timestamp())$v$, target_schema)
    USING orders, customer, ordered_at, amount, channel, date_type, amount_type, channel_type, zone, gross_margin,
          period, periods, discount_rate, penalizer, purchase_kind, as_of, capture, capture_note, objects,
          created_schema,
          -- money's value depends on lc_monetary (its number of decimals):
          -- every refresh reads the amounts under the setting they were
          -- read under now, whatever the session or schedule that runs it
          CASE WHEN amount_type OPERATOR(pg_catalog.=) 'money'::regtype
               THEN pg_catalog.current_setting('lc_monetary') END;
    -- one row, which every score reads: without statistics the planner would
    -- count on more, and keep scoring away from parallel workers
    EXECUTE pg_catalog.format('ANALYZE %I.clv_pipeline', target_schema);

    RETURN QUERY SELECT * FROM @extschema@.clv_refresh_pipeline(target_schema, true, false);
END
$$;

COMMENT ON FUNCTION @extschema@.clv_create_pipeline(regclass, name, name, name, name, float8, interval, integer, float8, float8, timestamptz, name, text, interval, text) IS
'creates in target_schema (new, or owned by the caller) the tables a dashboard reads over the orders table and fills them; predicted CLV over horizon (or periods periods, 12 by default) of period; calendar days in time_zone (default: this session''s TimeZone); as_of NULL: observed up to each refresh; model: the purchase model, bgnbd, mbgnbd, paretonbd, mbgcnbd, bgcnbd (the regularity models, k chosen at each refresh) or auto (the first of these whose holdout error over the last 90 days is within 1e-6 of the least)';

-- The name of a purchase model's kind, as the papers write it.
CREATE FUNCTION @extschema@.clv_purchase_model_label(kind text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN kind OPERATOR(pg_catalog.=) 'bgnbd' THEN 'BG/NBD'
                WHEN kind OPERATOR(pg_catalog.=) 'mbgnbd' THEN 'MBG/NBD'
                WHEN kind OPERATOR(pg_catalog.=) 'paretonbd' THEN 'Pareto/NBD'
                WHEN kind OPERATOR(pg_catalog.=) 'mbgcnbd' THEN 'MBG/CNBD-k'
                WHEN kind OPERATOR(pg_catalog.=) 'bgcnbd' THEN 'BG/CNBD-k' END
$$;

-- A description of every table and column a dashboard reads, with its units
-- and the pipeline's settings (horizon, margin, discount, calendar), for the
-- BI tools that show comments (and psql's \d+), and of the registry's and
-- the internal tables' columns (a role granted every table sees them too).
-- Called once, by clv_create_pipeline, on the objects it has just made.
CREATE FUNCTION @extschema@.clv_pipeline_describe(target_schema name, orders regclass, customer name, zone text,
                                                  gross_margin float8, period interval, periods integer,
                                                  discount_rate float8, purchase_kind text)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    money text := pg_catalog.format('in the currency of %s''s amounts, to the cent', orders);
    day text := pg_catalog.format('a calendar day in %s', zone);
    -- the period in days (a month counted as 30, a year as 365.25, as
    -- EXTRACT(epoch) counts them), not in the session's IntervalStyle
    period_days text := pg_catalog.format('%s days', (EXTRACT(epoch FROM period) OPERATOR(pg_catalog./) 86400)::float8);
    purchases text := @extschema@.clv_purchase_model_label(purchase_kind);
    clv text := pg_catalog.format('predicted gross margin over the next %s periods of %s (%s purchases, Gamma-Gamma spend),'
                                  ' discounted at %s a period, times the gross margin %s, %s',
                                  periods, period_days, purchases, discount_rate, gross_margin, money);
    -- every table's figures are of one day, the registry's
    as_of text := '; as of the latest refresh''s end of observation (observation_end in clv_pipeline)';
    d record;
BEGIN
    FOR d IN
        SELECT x.object, x.col, x.note
          FROM (VALUES
            ('customer_summary', NULL, 'one row per customer: its counted orders summarised (clv_summary), computed when read from the stored states, up to the latest refresh''s end of observation'),
            ('customer_summary', 'customer_id', pg_catalog.format('the customer (%s.%I)', orders, customer)),
            ('customer_summary', 'first_order', 'the first purchase day, ' OPERATOR(pg_catalog.||) day),
            ('customer_summary', 'last_order', 'the last purchase day, ' OPERATOR(pg_catalog.||) day),
            ('customer_summary', 'observation_end', 'the last day observed, ' OPERATOR(pg_catalog.||) day),
            ('customer_summary', 'orders', 'order rows counted with an amount of 0 or more'),
            ('customer_summary', 'refunds', 'rows with a negative amount (refunds)'),
            ('customer_summary', 'purchase_days', 'distinct days with an order'),
            ('customer_summary', 'total_amount', 'net revenue: orders minus refunds, ' OPERATOR(pg_catalog.||) money),
            ('customer_summary', 'refunded_amount', 'value refunded, as a positive number, ' OPERATOR(pg_catalog.||) money),
            ('customer_summary', 'avg_order_value', 'net revenue per order, ' OPERATOR(pg_catalog.||) money),
            ('customer_summary', 'frequency', 'repeat purchase days: purchase days after the first (the BTYD x)'),
            ('customer_summary', 'recency', 'days from the first to the last purchase day (the BTYD t_x; not RFM''s recency, the days since the last order)'),
            ('customer_summary', 'age', 'days from the first purchase day to the observation end (the BTYD T)'),
            ('customer_summary', 'monetary', 'mean net value of the repeat purchase days, 0 without any, ' OPERATOR(pg_catalog.||) money),
            ('customer_summary', 'mean_gap', 'mean days between purchase days; NULL without a repeat purchase'),
            ('customer_summary', 'gap_stddev', 'standard deviation of the days between purchase days; NULL with fewer than 2 gaps'),
            ('customer_summary', 'net_revenue', 'net revenue: orders minus refunds, ' OPERATOR(pg_catalog.||) money OPERATOR(pg_catalog.||) ' (total_amount under its 0.3.0 name, kept for dashboards written for 0.3.0; deprecated: a later version drops it)'),
            ('customer_summary', 'repeat_purchase_days', 'purchase days after the first (frequency under its 0.3.0 name, kept for dashboards written for 0.3.0; deprecated: a later version drops it)'),
            ('customer_summary', 'recency_days', 'days from the first to the last purchase day, not the days since the last order that clv_rfm''s recency_days is (recency under its 0.3.0 name, kept for dashboards written for 0.3.0; deprecated: a later version drops it)'),
            ('customer_summary', 'age_days', 'days from the first purchase day to the observation end (age under its 0.3.0 name, kept for dashboards written for 0.3.0; deprecated: a later version drops it)'),
            ('customer_summary', 'repeat_order_value', 'mean net value of the repeat purchase days, 0 without any, ' OPERATOR(pg_catalog.||) money OPERATOR(pg_catalog.||) ' (monetary under its 0.3.0 name, kept for dashboards written for 0.3.0; deprecated: a later version drops it)'),
            ('customer_summary', 'mean_gap_days', 'mean days between purchase days; NULL without a repeat purchase (mean_gap under its 0.3.0 name, kept for dashboards written for 0.3.0; deprecated: a later version drops it)'),
            ('customer_summary', 'gap_stddev_days', 'standard deviation of the days between purchase days; NULL with fewer than 2 gaps (gap_stddev under its 0.3.0 name, kept for dashboards written for 0.3.0; deprecated: a later version drops it)'),
            ('customer_scores', NULL, 'one row per customer: scores from the models of the latest refresh, computed when read' OPERATOR(pg_catalog.||) as_of),
            ('customer_scores', 'customer_id', pg_catalog.format('the customer (%s.%I)', orders, customer)),
            ('customer_scores', 'total_amount', 'net revenue: orders minus refunds so far, ' OPERATOR(pg_catalog.||) money),
            ('customer_scores', 'net_revenue', 'net revenue: orders minus refunds so far, ' OPERATOR(pg_catalog.||) money OPERATOR(pg_catalog.||) ' (total_amount under its 0.3.0 name, kept for dashboards written for 0.3.0; deprecated: a later version drops it)'),
            ('customer_scores', 'orders', 'order rows counted'),
            ('customer_scores', 'last_order', 'the last purchase day, ' OPERATOR(pg_catalog.||) day),
            ('customer_scores', 'p_alive', pg_catalog.format('probability that the customer still buys (%s), 0 to 1', purchases)),
            ('customer_scores', 'expected_purchases_next_period', pg_catalog.format('expected purchase days in the next %s (%s)', period_days, purchases)),
            ('customer_scores', 'predicted_clv', clv),
            ('customer_scores', 'recency_score', 'RFM recency score, 1 (longest silence) to 5 (most recent), quintiles of all customers'),
            ('customer_scores', 'frequency_score', 'RFM frequency score, 1 (fewest orders) to 5 (most)'),
            ('customer_scores', 'monetary_score', 'RFM monetary score, 1 (least net revenue) to 5 (most)'),
            ('customer_scores', 'rfm_cell', 'the three RFM scores as one number: 100 R + 10 F + M'),
            ('customer_scores', 'rfm_segment', 'the named RFM segment (clv_rfm_standard_segments)'),
            ('customer_scores', 'declining', 'true when at least one decline signal fired (clv_decline)'),
            ('customer_scores', 'decline_severity', 'how many decline signals fired'),
            ('customer_scores', 'decline_reasons', 'the signals that fired, comma-separated'),
            ('customer_scores', 'decline_alert', 'the decline verdict in words'),
            ('customer_scores', 'value_at_risk', 'predicted_clv x (1 - p_alive), ' OPERATOR(pg_catalog.||) money),
            ('customer_scores', 'value_tier', 'top 1%, top 5%, top 20% or rest of all customers by predicted_clv'),
            ('customer_scores', 'score_note', 'why scores are NULL when a model could not be fitted; NULL otherwise'),
            ('models', NULL, pg_catalog.format('the models the latest refresh fitted: purchases (%s), spend (Gamma-Gamma), rfm (quintile breakpoints)', purchases)),
            ('models', 'model', 'purchases, spend or rfm'),
            ('models', 'kind', 'the model''s name'),
            ('models', 'status', 'fitted, failed (see error) or no data'),
            ('models', 'error', 'why the fit failed'),
            ('models', 'parameters', 'the fitted parameters, standard errors and diagnostics (clv_model_params), time in days'),
            ('models', 'fitted_at', 'when the fit ended'),
            ('segments', NULL, 'one row per RFM segment' OPERATOR(pg_catalog.||) as_of),
            ('segments', 'rfm_segment', 'the named RFM segment; ''no purchases'' for customers with refunds only'),
            ('segments', 'customers', 'customers in the segment'),
            ('segments', 'total_amount', 'their net revenue (orders minus refunds) so far, ' OPERATOR(pg_catalog.||) money),
            ('segments', 'net_revenue', 'their net revenue so far, ' OPERATOR(pg_catalog.||) money OPERATOR(pg_catalog.||) ' (total_amount under its 0.3.0 name, kept for dashboards written for 0.3.0; deprecated: a later version drops it)'),
            ('segments', 'predicted_clv', 'their total ' OPERATOR(pg_catalog.||) clv),
            ('segments', 'predicted_clv_per_customer', 'the mean over the segment''s customers of their ' OPERATOR(pg_catalog.||) clv),
            ('segments', 'share_of_predicted_clv', 'the segment''s share of all predicted_clv, 0 to 1'),
            ('segments', 'declining_customers', 'customers flagged as declining'),
            ('segments', 'value_at_risk', 'their total predicted_clv x (1 - p_alive), ' OPERATOR(pg_catalog.||) money),
            ('value_tiers', NULL, 'customers by predicted_clv rank: top 1%, top 5%, top 20%, rest (sort by min_predicted_clv descending)' OPERATOR(pg_catalog.||) as_of),
            ('value_tiers', 'value_tier', 'top 1%, top 5%, top 20% or rest'),
            ('value_tiers', 'customers', 'customers in the tier'),
            ('value_tiers', 'min_predicted_clv', 'the lowest predicted_clv in the tier (sorts the tiers, best first, descending): ' OPERATOR(pg_catalog.||) clv),
            ('value_tiers', 'predicted_clv', 'the tier''s total ' OPERATOR(pg_catalog.||) clv),
            ('value_tiers', 'share_of_predicted_clv', 'the tier''s share of all predicted_clv, 0 to 1'),
            ('declining_customers', NULL, 'the customers flagged as declining, most value at risk first' OPERATOR(pg_catalog.||) as_of),
            ('declining_customers', 'rank', '1 for the most value at risk'),
            ('declining_customers', 'customer_id', pg_catalog.format('the customer (%s.%I)', orders, customer)),
            ('declining_customers', 'rfm_segment', 'the named RFM segment'),
            ('declining_customers', 'value_tier', 'top 1%, top 5%, top 20% or rest'),
            ('declining_customers', 'predicted_clv', clv),
            ('declining_customers', 'p_alive', pg_catalog.format('probability that the customer still buys (%s), 0 to 1', purchases)),
            ('declining_customers', 'value_at_risk', 'predicted_clv x (1 - p_alive), ' OPERATOR(pg_catalog.||) money),
            ('declining_customers', 'decline_severity', 'how many decline signals fired'),
            ('declining_customers', 'decline_reasons', 'the signals that fired, comma-separated'),
            ('declining_customers', 'decline_alert', 'the decline verdict in words'),
            ('declining_customers', 'last_order', 'the last purchase day, ' OPERATOR(pg_catalog.||) day),
            ('monthly', NULL, pg_catalog.format('one row per calendar month (of the calendar of %s) from the first order''s to the observation end''s, months without orders included', zone)),
            ('monthly', 'month', 'the first day of the month'),
            ('monthly', 'active_customers', 'customers with an order in the month'),
            ('monthly', 'new_customers', 'customers whose first order was in the month'),
            ('monthly', 'orders', 'order rows in the month'),
            ('monthly', 'revenue', 'net revenue of the month, ' OPERATOR(pg_catalog.||) money),
            ('monthly', 'avg_order_value', 'revenue per order, ' OPERATOR(pg_catalog.||) money),
            ('monthly', 'seasonal_index', 'the month-of-year index of revenue (clv_seasonality) over the whole months, averaging 1'),
            ('monthly', 'revenue_seasonally_adjusted', 'revenue divided by the seasonal index, ' OPERATOR(pg_catalog.||) money),
            ('monthly', 'new_customers_revenue_so_far', 'mean net revenue so far of the customers acquired in the month, ' OPERATOR(pg_catalog.||) money),
            ('monthly', 'new_customers_predicted_clv', 'the mean over the customers acquired in the month of their ' OPERATOR(pg_catalog.||) clv),
            ('monthly', 'partial_month', 'true for the month of the observation end when it ends before the month does: its figures are not a whole month''s'),
            ('cohorts', NULL, 'retention of each cohort of customers, by month of their first order' OPERATOR(pg_catalog.||) as_of),
            ('cohorts', 'cohort', 'the first day of the month of the cohort''s first orders'),
            ('cohorts', 'period_number', 'months since the cohort''s first month (0: that month)'),
            ('cohorts', 'cohort_customers', 'customers in the cohort'),
            ('cohorts', 'active_customers', 'of them, customers with an order in that month'),
            ('cohorts', 'retention', 'active_customers / cohort_customers, 0 to 1'),
            ('rejected_orders', NULL, 'order rows not counted, with the reason' OPERATOR(pg_catalog.||) as_of),
            ('rejected_orders', 'customer_id', pg_catalog.format('the customer (%s.%I), as in the row', orders, customer)),
            ('rejected_orders', 'ordered_at', 'the order date, as in the row'),
            ('rejected_orders', 'amount', 'the amount, as text'),
            ('rejected_orders', 'reason', 'why the row is not counted'),
            ('channels', NULL, 'one row per order channel: customers'' predicted CLV split over the channels of their orders' OPERATOR(pg_catalog.||) as_of),
            ('channels', 'channel', 'the order channel'),
            ('channels', 'customers', 'customers with an order through the channel'),
            ('channels', 'orders', 'order rows through the channel'),
            ('channels', 'revenue', 'their net revenue, ' OPERATOR(pg_catalog.||) money),
            ('channels', 'predicted_clv_first_touch', 'credited to the channel of each customer''s first order, its ' OPERATOR(pg_catalog.||) clv),
            ('channels', 'predicted_clv_last_touch', 'credited to the channel of each customer''s last order, its ' OPERATOR(pg_catalog.||) clv),
            ('channels', 'predicted_clv_linear', 'split equally over each customer''s orders, its ' OPERATOR(pg_catalog.||) clv),
            ('channels', 'predicted_clv_position_based', 'split 40/20/40 over each customer''s first, middle and last orders, its ' OPERATOR(pg_catalog.||) clv),
            ('model_evaluation', NULL, 'how the purchase model was chosen when the pipeline was created (model auto): each model fitted on the orders up to calibration_end and compared with every customer''s purchase days up to holdout_end (clv_evaluate); the chosen one is the first of bgnbd, mbgnbd, paretonbd, mbgcnbd, bgcnbd whose mean absolute error is within 1e-6 of the least'),
            ('model_evaluation', 'model', 'bgnbd, mbgnbd, paretonbd, mbgcnbd or bgcnbd'),
            ('model_evaluation', 'calibration_frequency', 'the customers'' repeat purchase days in the calibration window (the last: 7 or more); NULL: all customers'),
            ('model_evaluation', 'customers', 'customers acquired by calibration_end'),
            ('model_evaluation', 'actual_total', 'their purchase days in the holdout'),
            ('model_evaluation', 'predicted_total', 'their expected purchase days in the holdout'),
            ('model_evaluation', 'actual_mean', 'actual_total per customer'),
            ('model_evaluation', 'predicted_mean', 'predicted_total per customer'),
            ('model_evaluation', 'mean_absolute_error', 'mean of |predicted - actual| purchase days per customer'),
            ('model_evaluation', 'root_mean_squared_error', 'square root of the mean of (predicted - actual)^2'),
            ('model_evaluation', 'correlation', 'correlation of predicted with actual purchase days'),
            ('model_evaluation', 'log_likelihood', 'of the calibration fit (all customers'' row only)'),
            ('model_evaluation', 'bic', 'Bayesian information criterion of the calibration fit (all customers'' row only)'),
            ('model_evaluation', 'error', 'why the model could not be fitted'),
            ('model_evaluation', 'fitted', 'the model fitted on the calibration window, its parameters and, for mbgcnbd and bgcnbd, the k chosen (all customers'' row only)'),
            ('model_evaluation', 'chosen', 'true for the model the pipeline uses'),
            ('model_evaluation', 'calibration_end', pg_catalog.format('the last calibration day, %s', day)),
            ('model_evaluation', 'holdout_end', pg_catalog.format('the last holdout day, %s', day)),
            ('clv_pipeline', 'format', 'the layout of the pipeline: 2 since clv 0.4.0 (a refresh refuses an older one)'),
            ('clv_pipeline', 'source', 'the orders table or view'),
            ('clv_pipeline', 'customer', 'the column of source naming the customer'),
            ('clv_pipeline', 'ordered_at', 'the column of source with the order''s date or time'),
            ('clv_pipeline', 'amount', 'the column of source with the order''s amount (negative: a refund)'),
            ('clv_pipeline', 'channel', 'the column of source naming the order''s channel; NULL: none'),
            ('clv_pipeline', 'ordered_at_type', 'the type of ordered_at when the pipeline was made (a refresh refuses another)'),
            ('clv_pipeline', 'amount_type', 'the type of amount when the pipeline was made (a refresh refuses another)'),
            ('clv_pipeline', 'money_locale', 'for money amounts, the lc_monetary every refresh reads them under (change it, and the next refresh is full); NULL for other types'),
            ('clv_pipeline', 'summarised_money_locale', 'the lc_monetary the stored states'' amounts were read under'),
            ('clv_pipeline', 'channel_type', 'the type of channel when the pipeline was made'),
            ('clv_pipeline', 'time_zone', 'the calendar of every day in the pipeline'),
            ('clv_pipeline', 'gross_margin', 'the gross margin, a fraction, predicted_clv is multiplied by'),
            ('clv_pipeline', 'period', 'the length of a period of the horizon and of the discount rate'),
            ('clv_pipeline', 'periods', 'how many periods predicted_clv covers'),
            ('clv_pipeline', 'discount_rate', 'the discount rate per period, a fraction'),
            ('clv_pipeline', 'penalizer', 'the L2 penalizer of the fits'),
            ('clv_pipeline', 'purchase_kind', 'the purchase model: bgnbd, mbgnbd, paretonbd, mbgcnbd or bgcnbd'),
            ('clv_pipeline', 'as_of', 'the fixed end of observation; NULL: the clock at each refresh'),
            ('clv_pipeline', 'change_capture', 'whether the orders'' changes are captured, so that a refresh may be incremental'),
            ('clv_pipeline', 'change_capture_note', 'why they are not, when they are not'),
            ('clv_pipeline', 'source_relfilenode', 'the file of the orders table at the latest refresh (a new one, a rewrite, makes the next refresh full)'),
            ('clv_pipeline', 'objects', 'the tables and views made here, which clv_drop_pipeline drops'),
            ('clv_pipeline', 'created_schema', 'whether clv_create_pipeline made the schema (clv_drop_pipeline then drops it, if empty)'),
            ('clv_pipeline', 'observed_until', 'the moment up to which the latest refresh read the orders'),
            ('clv_pipeline', 'observation_end', 'the last day the latest refresh observed, ' OPERATOR(pg_catalog.||) day OPERATOR(pg_catalog.||) ': the date every table here is as of'),
            ('clv_pipeline', 'purchase_model', 'the purchase model the latest refresh fitted'),
            ('clv_pipeline', 'spend_model', 'the spend model (Gamma-Gamma) the latest refresh fitted'),
            ('clv_pipeline', 'rfm_breakpoints', 'the RFM quintile breakpoints of the latest refresh (clv_rfm_breakpoints)'),
            ('clv_pipeline', 'tier_bounds', 'the lowest predicted_clv of the top 1%, top 5% and top 20% at the latest refresh'),
            ('clv_pipeline', 'score_note', 'why scores are NULL, when a model could not be fitted'),
            ('clv_pipeline', 'created_at', 'when the pipeline was made'),
            ('clv_pipeline', 'refreshed_at', 'when the latest refresh ended'),
            ('clv_pipeline', 'last_refresh', 'full or incremental: what the latest refresh was'),
            ('clv_pipeline', 'customers_summarised', 'customers the latest refresh summarised again'),
            ('clv_pipeline', 'rejected_orders', 'order rows the latest refresh did not count (see the table rejected_orders)'),
            ('summary_state', 'customer_id', pg_catalog.format('the customer (%s.%I)', orders, customer)),
            ('summary_state', 'state', 'the customer''s summary state (clv_summary''s), moved on to the observation end when read'),
            ('summary_state', 'activity', 'the customer''s orders and amounts by month'),
            ('summary_state', 'channels', 'the customer''s orders by channel'),
            ('summary_state', 'rejected', 'the customer''s order rows not counted'),
            ('summary_state', 'order_rows', 'without change capture: the customer''s order rows, counted or not'),
            ('summary_state', 'order_digest', 'without change capture: the sum of a 64-bit hash of each of those rows, to see a change by'),
            ('activity_totals', 'by_cohort', 'false: by month of the orders; true: by month of the first order'),
            ('activity_totals', 'total', 'all customers'' activity states added up'),
            ('order_changes', 'customer_id', 'a customer whose orders changed'),
            ('order_changes', 'everything', 'true when the orders were truncated: every customer changed'),
            ('changed_customers', 'customer_id', 'a customer the refresh summarises again'),
            ('changed_customers', 'everything', 'true when every customer is summarised again')
          ) AS x(object, col, note)
         -- channels and model_evaluation are made only with a channel and
         -- with model auto
         WHERE pg_catalog.to_regclass(pg_catalog.format('%I.%I', target_schema, x.object)) IS NOT NULL
    LOOP
        IF d.col IS NULL THEN
            EXECUTE pg_catalog.format('COMMENT ON %s %I.%I IS %L',
                                      CASE WHEN (SELECT c.relkind FROM pg_catalog.pg_class c
                                                  WHERE c.oid OPERATOR(pg_catalog.=) pg_catalog.format('%I.%I', target_schema, d.object)::regclass)
                                                OPERATOR(pg_catalog.=) 'v' THEN 'VIEW' ELSE 'TABLE' END,
                                      target_schema, d.object, d.note);
        ELSE
            EXECUTE pg_catalog.format('COMMENT ON COLUMN %I.%I.%I IS %L', target_schema, d.object, d.col, d.note);
        END IF;
    END LOOP;
END
$$;

-- Milliseconds since a moment, for a refresh's report lines.
CREATE FUNCTION @extschema@.clv_ms_since(since timestamptz)
RETURNS numeric
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT pg_catalog.round(EXTRACT(epoch FROM pg_catalog.clock_timestamp() OPERATOR(pg_catalog.-) since)
                            OPERATOR(pg_catalog.*) 1000)
$$;

-- Why statement triggers on a table would miss some of its changes through
-- inheritance, or NULL: a statement fires the statement triggers of the
-- table it names alone, so those of a table with inheritance children miss
-- the rows written to a child directly, and those of a child or a partition
-- miss the rows written to it through its parent.  Checked when a pipeline
-- is made and by every incremental refresh that has capture (a table can
-- gain a parent or a child at any time)
CREATE FUNCTION @extschema@.clv_pipeline_inheritance_note(relation regclass)
RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE
        WHEN EXISTS (SELECT FROM pg_catalog.pg_inherits i WHERE i.inhparent OPERATOR(pg_catalog.=) relation)
        THEN pg_catalog.format('%s has inheritance children, whose own writes its triggers do not see', relation)
        ELSE (SELECT pg_catalog.format('%s is a partition or inheritance child of %s, whose writes to it its triggers do not see',
                                       relation, i.inhparent::pg_catalog.regclass)
                FROM pg_catalog.pg_inherits i
               WHERE i.inhrelid OPERATOR(pg_catalog.=) relation
               ORDER BY i.inhseqno LIMIT 1) END
$$;

-- Whether a table is known to Citus's metadata (a distributed, reference
-- or Citus-local table: pg_dist_partition, which Citus keeps in
-- pg_catalog); false where Citus is not installed.  Read dynamically: the
-- catalog exists only with Citus.
CREATE FUNCTION @extschema@.clv_is_citus_table(relation regclass)
RETURNS boolean
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    known boolean;
BEGIN
    IF pg_catalog.to_regclass('pg_catalog.pg_dist_partition') IS NULL THEN
        RETURN false;
    END IF;
    EXECUTE 'SELECT EXISTS (SELECT FROM pg_catalog.pg_dist_partition d WHERE d.logicalrelid OPERATOR(pg_catalog.=) $1)'
        INTO known USING relation;
    RETURN known;
END
$$;

-- Whether the registry in target_schema has the layout of clv 0.4.0; a
-- pipeline made by an earlier version has materialized views and no format.
CREATE FUNCTION @extschema@.clv_pipeline_format(target_schema name)
RETURNS integer
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN EXISTS (SELECT FROM pg_catalog.pg_attribute a
                              WHERE a.attrelid OPERATOR(pg_catalog.=)
                                        pg_catalog.to_regclass(pg_catalog.format('%I.clv_pipeline', target_schema))
                                AND a.attname OPERATOR(pg_catalog.=) 'format' AND NOT a.attisdropped)
                THEN 2 ELSE 1 END
$$;

-- A pipeline's digest of an order row when it has no change capture
-- (src/pipeline_digest.c): a 64-bit hash of the values' bytes, in order.
CREATE FUNCTION @extschema@.clv_order_row_hash(VARIADIC "any")
RETURNS bigint AS 'MODULE_PATHNAME', 'clv_order_row_hash'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.clv_order_row_hash("any") IS
'internal: a 64-bit hash of the values'' bytes, in order, NULLs included; summed over a customer''s order rows, the digest by which a pipeline without change capture sees which customers changed';

-- The change capture trigger function (src/pipeline_capture.c): clv's own,
-- so that nobody can replace what runs on other roles' writes; it runs as
-- the pipeline's owner, in a security-restricted operation.
CREATE FUNCTION @extschema@.clv_capture_order_changes()
RETURNS trigger AS 'MODULE_PATHNAME', 'clv_capture_order_changes'
LANGUAGE C;

COMMENT ON FUNCTION @extschema@.clv_capture_order_changes() IS
'internal: the trigger function of a pipeline''s change capture on its orders table; its argument is the pipeline''s schema';

-- The capture triggers of the pipeline in target_schema, on whatever table:
-- those that call clv_capture_order_changes with that schema's name.
CREATE FUNCTION @extschema@.clv_pipeline_capture_triggers(target_schema name)
RETURNS SETOF pg_catalog.pg_trigger
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT t.* FROM pg_catalog.pg_trigger t
     WHERE t.tgfoid OPERATOR(pg_catalog.=) '@extschema@.clv_capture_order_changes()'::pg_catalog.regprocedure
       AND t.tgnargs OPERATOR(pg_catalog.=) 1
       AND t.tgargs OPERATOR(pg_catalog.=)
               (pg_catalog.convert_to(target_schema::pg_catalog.text, pg_catalog.current_setting('server_encoding'))
                OPERATOR(pg_catalog.||) '\x00'::pg_catalog.bytea)
$$;

-- The COLLATE clause giving a pipeline's customer columns the collation of
-- column col of relation when it is nondeterministic, else ''.  Which
-- customers are one is the orders' equality in that collation: stored
-- states in another one were matched and kept apart differently from the
-- orders' GROUP BY.  A deterministic collation's equality is the bytes',
-- the same in every collation, so its columns keep their type's default
-- (no dependency on the collation, nor a right on its schema, needed).
CREATE FUNCTION @extschema@.clv_pipeline_collate_clause(relation regclass, col name)
RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce((SELECT pg_catalog.format(' COLLATE %I.%I', n.nspname, c.collname)
                       FROM pg_catalog.pg_attribute a
                       JOIN pg_catalog.pg_collation c ON c.oid OPERATOR(pg_catalog.=) a.attcollation
                       JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.collnamespace
                      WHERE a.attrelid OPERATOR(pg_catalog.=) relation AND a.attname OPERATOR(pg_catalog.=) col
                        AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped
                        AND NOT c.collisdeterministic), '')
$$;

-- How the columns of source differ from the types they had (under any
-- domain), as text; NULL when none does.
CREATE FUNCTION @extschema@.clv_pipeline_source_changes(source regclass, columns name[], types regtype[])
RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT pg_catalog.string_agg(pg_catalog.format('%I is %s, not %s', c.name,
                                                   coalesce(t.actual::text, 'gone'), c.expected), ', ')
      FROM ROWS FROM (pg_catalog.unnest(columns), pg_catalog.unnest(types)) AS c(name, expected)
      LEFT JOIN pg_catalog.pg_attribute a
             ON a.attrelid OPERATOR(pg_catalog.=) source AND a.attname OPERATOR(pg_catalog.=) c.name
            AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped
      CROSS JOIN LATERAL (SELECT @extschema@.clv_base_type(a.atttypid::pg_catalog.regtype) AS actual) t
     WHERE t.actual IS NULL OR NOT t.actual OPERATOR(pg_catalog.=) c.expected
$$;

-- The first thing reading source would run of a role that cannot act as
-- reader (no row when nothing).  Reading runs more than the rows: a view's
-- query with the functions, operators, casts and types it uses, the row
-- security policies and what they call, and, when a query is planned, the
-- expressions of each relation's indexes, statistics, constraints and
-- partition key (an immutable function of constants there is evaluated).
-- Their owners can change all that at any time (CREATE INDEX and CREATE
-- STATISTICS wait for no reader; PostgreSQL 15 turns an emptied table into
-- a view keeping its oid), so every relation read (the source, what views
-- and policies read, inheritance children and partitions) must belong to a
-- role that can act as reader, and so must the source's schema, whose
-- owner could give its name to another relation; so must what their views,
-- policies, indexes, statistics, constraints and partition keys call (a
-- partition's constraint is made of the keys of the tables it is part of)
-- and what the operator classes of those indexes and keys are made of, and
-- a foreign table's server.
CREATE FUNCTION @extschema@.clv_foreign_code(source regclass, reader oid)
RETURNS TABLE (object text, owner regrole)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    WITH RECURSIVE edges(parent, child) AS (
        -- a view reads what its query names (a materialized view's rows are stored)
        SELECT w.ev_class, d.refobjid
          FROM pg_catalog.pg_rewrite w
          JOIN pg_catalog.pg_class v ON v.oid OPERATOR(pg_catalog.=) w.ev_class AND v.relkind OPERATOR(pg_catalog.=) 'v'
          JOIN pg_catalog.pg_depend d ON d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_rewrite'::pg_catalog.regclass
                                     AND d.objid OPERATOR(pg_catalog.=) w.oid
                                     AND d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass
         WHERE w.ev_type OPERATOR(pg_catalog.=) '1'
        UNION ALL
        -- a policy reads what its expressions name
        SELECT y.polrelid, d.refobjid
          FROM pg_catalog.pg_policy y
          JOIN pg_catalog.pg_depend d ON d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_policy'::pg_catalog.regclass
                                     AND d.objid OPERATOR(pg_catalog.=) y.oid
                                     AND d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass
        UNION ALL
        SELECT i.inhparent, i.inhrelid FROM pg_catalog.pg_inherits i),
    reached(rel) AS (
        SELECT source::pg_catalog.oid
        UNION
        SELECT e.child FROM reached r JOIN edges e ON e.parent OPERATOR(pg_catalog.=) r.rel),
    -- the tables a partition read is part of: their partition keys make its
    -- partition constraint, which the planner may evaluate
    ancestors(rel) AS (
        SELECT i.inhparent FROM reached r JOIN pg_catalog.pg_inherits i ON i.inhrelid OPERATOR(pg_catalog.=) r.rel
        UNION
        SELECT i.inhparent FROM ancestors a JOIN pg_catalog.pg_inherits i ON i.inhrelid OPERATOR(pg_catalog.=) a.rel),
    -- the relations whose own expressions and types count: those read and
    -- the tables they are partitions of
    relations(rel) AS (
        SELECT r.rel FROM reached r
        UNION ALL
        SELECT a.rel FROM ancestors a),
    -- the objects whose expressions run: views' rules, policies, the
    -- relations themselves and the tables they are partitions of (partition
    -- keys; a foreign table's server) and their indexes, statistics and
    -- constraints
    holders(classid, objid) AS (
        SELECT 'pg_catalog.pg_rewrite'::pg_catalog.regclass, w.oid
          FROM reached r JOIN pg_catalog.pg_rewrite w ON w.ev_class OPERATOR(pg_catalog.=) r.rel
          JOIN pg_catalog.pg_class v ON v.oid OPERATOR(pg_catalog.=) r.rel AND v.relkind OPERATOR(pg_catalog.=) 'v'
        UNION ALL
        SELECT 'pg_catalog.pg_policy'::pg_catalog.regclass, y.oid
          FROM reached r JOIN pg_catalog.pg_policy y ON y.polrelid OPERATOR(pg_catalog.=) r.rel
        UNION ALL
        SELECT 'pg_catalog.pg_class'::pg_catalog.regclass, x.rel FROM relations x
        UNION ALL
        SELECT 'pg_catalog.pg_class'::pg_catalog.regclass, i.indexrelid
          FROM reached r JOIN pg_catalog.pg_index i ON i.indrelid OPERATOR(pg_catalog.=) r.rel
        UNION ALL
        SELECT 'pg_catalog.pg_statistic_ext'::pg_catalog.regclass, s.oid
          FROM reached r JOIN pg_catalog.pg_statistic_ext s ON s.stxrelid OPERATOR(pg_catalog.=) r.rel
        UNION ALL
        SELECT 'pg_catalog.pg_constraint'::pg_catalog.regclass, k.oid
          FROM reached r JOIN pg_catalog.pg_constraint k ON k.conrelid OPERATOR(pg_catalog.=) r.rel
         -- the planner's constraint exclusion evaluates checks; a foreign key
         -- runs nothing as rows are read
         WHERE k.contype OPERATOR(pg_catalog.=) 'c'),
    -- what a function or type uses in turn: a SQL-standard body's functions
    -- and relations, a domain's base type and its constraints' functions
    -- (other bodies are text, which nothing here can follow); and what an
    -- operator class of an index or a partition key brings: its family's
    -- support functions and operators, which the planner calls (partition
    -- bounds are compared, and pruned, by them)
    code_edges(classid, objid, refclassid, refobjid) AS (
        SELECT d.classid, d.objid, d.refclassid, d.refobjid
          FROM pg_catalog.pg_depend d
         WHERE d.classid OPERATOR(pg_catalog.=) ANY (ARRAY['pg_catalog.pg_proc'::pg_catalog.regclass,
                                                         'pg_catalog.pg_type'::pg_catalog.regclass,
                                                         'pg_catalog.pg_operator'::pg_catalog.regclass]::pg_catalog.oid[])
        UNION ALL
        SELECT 'pg_catalog.pg_type'::pg_catalog.regclass, k.contypid, d.refclassid, d.refobjid
          FROM pg_catalog.pg_constraint k
          JOIN pg_catalog.pg_depend d ON d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_constraint'::pg_catalog.regclass
                                     AND d.objid OPERATOR(pg_catalog.=) k.oid
         WHERE k.contypid OPERATOR(pg_catalog.<>) 0
        UNION ALL
        SELECT 'pg_catalog.pg_opclass'::pg_catalog.regclass, c.oid, 'pg_catalog.pg_proc'::pg_catalog.regclass, f.amproc
          FROM pg_catalog.pg_opclass c
          JOIN pg_catalog.pg_amproc f ON f.amprocfamily OPERATOR(pg_catalog.=) c.opcfamily
        UNION ALL
        SELECT 'pg_catalog.pg_opclass'::pg_catalog.regclass, c.oid, 'pg_catalog.pg_operator'::pg_catalog.regclass, o.amopopr
          FROM pg_catalog.pg_opclass c
          JOIN pg_catalog.pg_amop o ON o.amopfamily OPERATOR(pg_catalog.=) c.opcfamily),
    used(classid, objid) AS (
        SELECT d.refclassid, d.refobjid
          FROM holders h
          JOIN pg_catalog.pg_depend d ON d.classid OPERATOR(pg_catalog.=) h.classid
                                     AND d.objid OPERATOR(pg_catalog.=) h.objid
         -- a relation's column types, and the composite type a typed table
         -- is of, run nothing as its rows are read (the types in its
         -- partition key's expressions, and in an index's, count)
         WHERE NOT (h.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass
                    AND d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_type'::pg_catalog.regclass
                    AND h.objid OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT x.rel FROM relations x))
                    AND (d.objsubid OPERATOR(pg_catalog.>) 0
                         OR d.refobjid OPERATOR(pg_catalog.=) (SELECT c.reloftype FROM pg_catalog.pg_class c
                                                                WHERE c.oid OPERATOR(pg_catalog.=) h.objid)))
        UNION
        SELECT e.refclassid, e.refobjid
          FROM used u JOIN code_edges e ON e.classid OPERATOR(pg_catalog.=) u.classid
                                       AND e.objid OPERATOR(pg_catalog.=) u.objid),
    -- the source and its schema first, then what is reached through it
    owned(rank, object, owner) AS (
        SELECT CASE WHEN r.rel OPERATOR(pg_catalog.=) source THEN 0 ELSE 1 END,
               pg_catalog.pg_describe_object('pg_catalog.pg_class'::pg_catalog.regclass, r.rel, 0), c.relowner
          FROM reached r JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) r.rel
        UNION ALL
        -- (a schema of pg_database_owner, public's, is the database owner's)
        SELECT 0, pg_catalog.pg_describe_object('pg_catalog.pg_namespace'::pg_catalog.regclass, n.oid, 0),
               CASE WHEN n.nspowner OPERATOR(pg_catalog.=) 'pg_database_owner'::pg_catalog.regrole
                    THEN (SELECT b.datdba FROM pg_catalog.pg_database b
                           WHERE b.datname OPERATOR(pg_catalog.=) pg_catalog.current_database())
                    ELSE n.nspowner END
          FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
         WHERE c.oid OPERATOR(pg_catalog.=) source
        UNION ALL
        SELECT 2, pg_catalog.pg_describe_object(u.classid, u.objid, 0), c.relowner
          FROM used u JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) u.objid
         WHERE u.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass
        UNION ALL
        SELECT 2, pg_catalog.pg_describe_object(u.classid, u.objid, 0), p.proowner
          FROM used u JOIN pg_catalog.pg_proc p ON p.oid OPERATOR(pg_catalog.=) u.objid
         WHERE u.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::pg_catalog.regclass
        UNION ALL
        SELECT 2, pg_catalog.pg_describe_object(u.classid, u.objid, 0), x.owner
          FROM used u JOIN pg_catalog.pg_operator o ON o.oid OPERATOR(pg_catalog.=) u.objid
          CROSS JOIN LATERAL (SELECT o.oprowner UNION ALL
                              SELECT p.proowner FROM pg_catalog.pg_proc p
                               WHERE p.oid OPERATOR(pg_catalog.=) o.oprcode) x(owner)
         WHERE u.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_operator'::pg_catalog.regclass
        UNION ALL
        SELECT 2, pg_catalog.pg_describe_object(u.classid, u.objid, 0), p.proowner
          FROM used u JOIN pg_catalog.pg_cast k ON k.oid OPERATOR(pg_catalog.=) u.objid
          JOIN pg_catalog.pg_proc p ON p.oid OPERATOR(pg_catalog.=) k.castfunc
         WHERE u.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_cast'::pg_catalog.regclass
        UNION ALL
        SELECT 2, pg_catalog.pg_describe_object(u.classid, u.objid, 0), t.typowner
          FROM used u JOIN pg_catalog.pg_type t ON t.oid OPERATOR(pg_catalog.=) u.objid
         WHERE u.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_type'::pg_catalog.regclass
        UNION ALL
        -- a foreign table's server: its owner sets where the rows come from,
        -- and where the reader's user mapping is sent
        SELECT 2, pg_catalog.pg_describe_object(u.classid, u.objid, 0), v.srvowner
          FROM used u JOIN pg_catalog.pg_foreign_server v ON v.oid OPERATOR(pg_catalog.=) u.objid
         WHERE u.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_foreign_server'::pg_catalog.regclass)
    SELECT o.object, o.owner::pg_catalog.regrole
      FROM owned o
     WHERE NOT pg_catalog.pg_has_role(o.owner, reader, 'USAGE')
     ORDER BY o.rank, o.object
     LIMIT 1
$$;

-- Refuses to read source when that would run code of a role that cannot act
-- as the current user (clv_foreign_code), or when it no longer exists.
-- Locked first (a view with what its query reads; LOCK TABLE takes neither
-- a materialized view nor a foreign table, which cannot become views), so
-- that nothing is made a view, replaced or renamed between this check and
-- the read; the lock also makes a rewrite of the orders wait.
CREATE FUNCTION @extschema@.clv_check_foreign_code(source regclass)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    kind "char" := (SELECT c.relkind FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) source);
    offender record;
BEGIN
    IF kind IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'undefined_table',
            MESSAGE = pg_catalog.format('relation with oid %s does not exist',
                                        coalesce(source::pg_catalog.oid::pg_catalog.text, 'NULL'));
    END IF;
    IF NOT kind OPERATOR(pg_catalog.=) ANY (ARRAY['r', 'p', 'v', 'm', 'f']::pg_catalog."char"[]) THEN
        RAISE EXCEPTION USING ERRCODE = 'wrong_object_type',
            MESSAGE = pg_catalog.format('%s is not a table, view, materialized view or foreign table', source);
    END IF;
    -- clv's own calls name clv's schema: a function there named clv_...
    -- that is not clv's would be called where it matches a call better.  The
    -- schema guard refuses one as it is made, but cannot see one made in a
    -- transaction open during clv's install and committed after; a
    -- pipeline, which a superuser may run, looks again (src/extension_guard.c)
    PERFORM @extschema@.clv_check_extension_functions();
    IF kind OPERATOR(pg_catalog.=) ANY (ARRAY['r', 'p', 'v']::pg_catalog."char"[]) THEN
        EXECUTE pg_catalog.format('LOCK TABLE %s IN ACCESS SHARE MODE', source);
    END IF;
    SELECT * INTO offender
      FROM @extschema@.clv_foreign_code(source, (SELECT r.oid FROM pg_catalog.pg_roles r
                                                  WHERE r.rolname OPERATOR(pg_catalog.=) CURRENT_USER));
    IF offender.owner IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege',
            MESSAGE = pg_catalog.format('reading %s would run code of another role as %s', source, CURRENT_USER),
            DETAIL = pg_catalog.format('Role %s, which cannot act as %s, owns %s. A view''s query, row security policies, and the expressions and operator classes of indexes, statistics, constraints and partition keys run with the rights of whoever reads or plans a query, a foreign table''s server says where its rows come from and where the reader''s user mapping goes, and their owners can change them.',
                                       offender.owner, CURRENT_USER, offender.object),
            HINT = 'A pipeline reads only what its creator, or a role that can act as its creator, owns and calls: create it as the role that owns all of it (a superuser may SET ROLE to it), or leave out what belongs to another.';
    END IF;
END;
$$;

-- Whether a valid, whole-table btree or hash index on source starts with the
-- customer column, in the column's collation, with an operator class whose
-- equality is the pipeline's (equality, from clv_equality_operator): then
-- "customer = value" is found through it.
CREATE FUNCTION @extschema@.clv_customer_index_exists(source regclass, customer name, equality text)
RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT EXISTS (
        SELECT FROM pg_catalog.pg_index i
          JOIN pg_catalog.pg_attribute att ON att.attrelid OPERATOR(pg_catalog.=) i.indrelid
                                          AND att.attnum OPERATOR(pg_catalog.=) i.indkey[0]
         WHERE i.indrelid OPERATOR(pg_catalog.=) source AND i.indisvalid AND i.indpred IS NULL
           AND att.attname OPERATOR(pg_catalog.=) customer
           AND i.indcollation[0] OPERATOR(pg_catalog.=) att.attcollation
           -- NULL (neither btree nor hash) is not equal
           AND @extschema@.clv_opclass_equality(i.indclass[0]) OPERATOR(pg_catalog.=) equality)
$$;

-- The condition that a customer (an SQL expression) is one whose orders
-- changed: true for all when changed_set is NULL (a full refresh).
CREATE FUNCTION @extschema@.clv_pipeline_changed(customer_expr text, equality text, changed_set text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN changed_set IS NULL THEN 'true'
                ELSE pg_catalog.format('%s %s ANY %s', customer_expr, equality, changed_set) END
$$;

-- The refresh, as the pipeline's owner (called by clv_refresh_pipeline only).
CREATE FUNCTION @extschema@.clv_pipeline_refresh_steps(target_schema name, concurrent boolean, incremental boolean)
RETURNS SETOF text
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    future_reason CONSTANT text := 'dated after the observation end';
    p record;
    step_started timestamptz := pg_catalog.clock_timestamp();
    why_full text;
    cutoff timestamptz;
    end_day date;
    -- SQL over the orders, each row as o
    src text;
    cust text;
    dcol text;
    amount_value text;
    customer_type regtype;
    eq text;
    cutoff_value text;
    floor_value text;
    valid text;
    counted text;
    reason text;
    day_of text;
    touched_at text;
    state_of text;
    activity_of text;
    -- which customers this refresh summarises again: their stored rows (st)
    -- and their orders (o); all of them in a full refresh
    changed_set text;
    nulls_changed boolean;
    stored_changed text;
    rejected_changed text;
    changed_orders text;
    changed_count bigint;
    stored_count float8;
    has_rejected boolean;
    summarise text;
    -- without change capture: whether the refresh finds the changed
    -- customers by the digests of their orders, and a row's hash
    capture boolean;
    by_digest boolean;
    digests_stored boolean;
    row_hash text;
    plan json;
    inheritance_note text;
    staged boolean := false;
    -- a full refresh over stored states: those that differ are replaced
    replacing boolean := false;
    stale text;
    parallel_setting text;
    nestloop_setting text;
    inserted bigint;
    summaries text;
    source_file oid;
    source_is_citus boolean;
    source_changes text;
    truncated boolean;
    customers bigint;
    rejected bigint;
    declining bigint;
    purchase_model @extschema@.clv_model;
    spend_model @extschema@.clv_model;
    breakpoints float8[];
    -- the activity totals of the customers summarised again, before and after
    old_monthly bigint[];
    old_cohorts bigint[];
    new_monthly bigint[];
    new_cohorts bigint[];
    purchase_error text;
    spend_error text;
    rfm_error text;
BEGIN
    PERFORM @extschema@.clv_pipeline_owner_check(target_schema);
    -- an option given as NULL takes clv_refresh_pipeline's default (the NULL rule)
    incremental := coalesce(incremental, false);
    IF @extschema@.clv_pipeline_format(target_schema) OPERATOR(pg_catalog.<) 2 THEN
        RAISE EXCEPTION USING ERRCODE = 'object_not_in_prerequisite_state',
            MESSAGE = pg_catalog.format('pipeline %I was made by clv 0.3.0 or earlier and cannot be refreshed by this version', target_schema),
            DETAIL = 'Since 0.4.0 a pipeline keeps tables, refreshed as its owner, with one calendar and change capture.',
            HINT = pg_catalog.format('Drop it with SELECT clv_drop_pipeline(%L) and create it again with clv_create_pipeline().', target_schema);
    END IF;
    -- refreshes of one pipeline queue up here, and its end never moves back
    EXECUTE pg_catalog.format('SELECT * FROM %I.clv_pipeline FOR UPDATE', target_schema) INTO p;
    -- one calendar: every conversion below happens in the pipeline's zone, and
    -- the times written into SQL read back the same on any node
    PERFORM pg_catalog.set_config('TimeZone', p.time_zone, true);
    PERFORM pg_catalog.set_config('DateStyle', 'ISO, YMD', true);
    PERFORM pg_catalog.set_config('IntervalStyle', 'postgres', true);
    -- floats as text (the list of rows not counted) in their shortest exact
    -- form, whatever the session's setting
    PERFORM pg_catalog.set_config('extra_float_digits', '1', true);
    -- money amounts are read as they were when the pipeline was made (a
    -- money value is a count of the lc_monetary's smallest units)
    IF p.money_locale IS NOT NULL THEN
        BEGIN
            PERFORM pg_catalog.set_config('lc_monetary', p.money_locale, true);
        EXCEPTION WHEN invalid_parameter_value THEN
            -- a restore onto a server without that locale, or a typing
            -- error in the registry: say where the name comes from
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                MESSAGE = pg_catalog.format('pipeline %I reads its money amounts under lc_monetary %L, which this server does not accept',
                                            target_schema, p.money_locale),
                DETAIL = SQLERRM,
                HINT = pg_catalog.format('Install that locale on this server, or set the pipeline''s: UPDATE %I.clv_pipeline SET money_locale = ''...''; the next refresh is then a full one.',
                                         target_schema);
        END;
    END IF;
    -- its queries spend their time in clv's C functions, which JIT compiling
    -- the plan does not speed up
    PERFORM pg_catalog.set_config('jit', 'off', true);
    -- a live pipeline's end is the clock, never before the last refresh's;
    -- a fixed one's is as_of, which its owner may move in the registry
    cutoff := coalesce(p.as_of, greatest(pg_catalog.clock_timestamp(), p.observed_until));
    end_day := (cutoff AT TIME ZONE p.time_zone)::date;

    src := p.source::text;
    source_is_citus := @extschema@.clv_is_citus_table(p.source);
    -- locked to the end: a rewrite of the orders (ALTER TABLE ... USING) waits
    -- for this refresh, and one made before it shows in the file node; and
    -- read through no code of a role that cannot act as the owner (a table
    -- its owner turned into a view since, a view replaced)
    PERFORM @extschema@.clv_check_foreign_code(p.source);
    source_file := (SELECT c.relfilenode FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) p.source);
    -- the orders' columns as the pipeline was made for them: a column whose
    -- type changed since could bring its type owner's casts into this refresh
    customer_type := (SELECT a.atttypid::regtype FROM pg_catalog.pg_attribute a
                       WHERE a.attrelid OPERATOR(pg_catalog.=) pg_catalog.format('%I.summary_state', target_schema)::regclass
                         AND a.attname OPERATOR(pg_catalog.=) 'customer_id');
    source_changes := @extschema@.clv_pipeline_source_changes(
        p.source,
        ARRAY[p.customer, p.ordered_at, p.amount] OPERATOR(pg_catalog.||) CASE WHEN p.channel IS NULL THEN '{}'::name[] ELSE ARRAY[p.channel] END,
        ARRAY[customer_type,
              p.ordered_at_type, p.amount_type] OPERATOR(pg_catalog.||)
            CASE WHEN p.channel IS NULL THEN '{}'::regtype[] ELSE ARRAY[p.channel_type] END);
    IF source_changes IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'object_not_in_prerequisite_state',
            MESSAGE = pg_catalog.format('the columns of %s changed since pipeline %I was made: %s', src, target_schema, source_changes),
            HINT = pg_catalog.format('Drop the pipeline with clv_drop_pipeline(%L) and create it again.', target_schema);
    END IF;
    -- the customers' collation: the stored states were matched in the
    -- collation of summary_state's column, the orders are grouped in their
    -- column's, and where either is nondeterministic the two can disagree on
    -- which customers are one (a pipeline made before clv kept the column's
    -- collation, or the column's changed since)
    IF EXISTS (SELECT FROM pg_catalog.pg_attribute a
                 JOIN pg_catalog.pg_attribute s
                   ON s.attrelid OPERATOR(pg_catalog.=) pg_catalog.format('%I.summary_state', target_schema)::regclass
                  AND s.attname OPERATOR(pg_catalog.=) 'customer_id'
                 JOIN pg_catalog.pg_collation c
                   ON c.oid OPERATOR(pg_catalog.=) ANY (ARRAY[a.attcollation, s.attcollation])
                WHERE a.attrelid OPERATOR(pg_catalog.=) p.source AND a.attname OPERATOR(pg_catalog.=) p.customer
                  AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped
                  AND a.attcollation OPERATOR(pg_catalog.<>) s.attcollation AND NOT c.collisdeterministic) THEN
        RAISE EXCEPTION USING ERRCODE = 'object_not_in_prerequisite_state',
            MESSAGE = pg_catalog.format('column %I of %s and pipeline %I compare customers in different collations',
                                        p.customer, src, target_schema),
            DETAIL = 'One of them is nondeterministic, so they can disagree on which customers are one.',
            HINT = pg_catalog.format('Drop the pipeline with clv_drop_pipeline(%L) and create it again.', target_schema);
    END IF;
    cust := pg_catalog.format('o.%I', p.customer);
    dcol := pg_catalog.format('o.%I', p.ordered_at);
    amount_value := @extschema@.clv_amount_sql(p.amount_type, pg_catalog.format('o.%I', p.amount));
    eq := @extschema@.clv_equality_operator(customer_type);
    IF p.ordered_at_type OPERATOR(pg_catalog.=) 'timestamptz'::regtype THEN
        cutoff_value := pg_catalog.format('%L::pg_catalog.timestamptz', cutoff);
        floor_value := pg_catalog.format('%L::pg_catalog.timestamptz', '1900-01-01'::timestamp AT TIME ZONE p.time_zone);
        day_of := pg_catalog.format('(%s AT TIME ZONE %L)::pg_catalog.date', dcol, p.time_zone);
        touched_at := dcol;
        state_of := pg_catalog.format('@extschema@.clv_summary_state(%s, %s::pg_catalog.float8, %s, ''1 day''::pg_catalog.interval, %L)',
                                      dcol, amount_value, cutoff_value, p.time_zone);
        activity_of := pg_catalog.format('@extschema@.clv_activity_state(%s, %s::pg_catalog.float8, %L)',
                                         dcol, amount_value, p.time_zone);
    ELSE
        IF p.ordered_at_type OPERATOR(pg_catalog.=) 'timestamp'::regtype THEN
            cutoff_value := pg_catalog.format('%L::pg_catalog.timestamp', cutoff AT TIME ZONE p.time_zone);
            floor_value := '''1900-01-01''::pg_catalog.timestamp';
        ELSE
            cutoff_value := pg_catalog.format('%L::pg_catalog.date', end_day);
            floor_value := '''1900-01-01''::pg_catalog.date';
        END IF;
        day_of := pg_catalog.format('(%s)::pg_catalog.date', dcol);
        -- only their order matters to attribution: a fixed zone keeps it
        touched_at := pg_catalog.format('((%s)::pg_catalog.timestamp AT TIME ZONE ''UTC'')', dcol);
        state_of := pg_catalog.format('@extschema@.clv_summary_state((%s)::pg_catalog.date, %s::pg_catalog.float8, %L::pg_catalog.date)',
                                      dcol, amount_value, end_day);
        activity_of := pg_catalog.format('@extschema@.clv_activity_state((%s)::pg_catalog.date, %s::pg_catalog.float8)',
                                         dcol, amount_value);
    END IF;
    -- an amount beyond +/-1e15 is taken for a typo and listed, not counted:
    -- clv adds amounts exactly up to about 4e18 (src/clv.h), so a sum (a
    -- customer's, a month's, a segment's) goes out of range, which stops the
    -- refresh, only when thousands of rows near that bound add up in it (two
    -- rows of 3e18 did)
    valid := pg_catalog.format(
        '%1$s IS NOT NULL AND %2$s IS NOT NULL AND %3$s IS NOT NULL AND pg_catalog.isfinite(%2$s)'
        ' AND %2$s OPERATOR(pg_catalog.>=) %4$s AND pg_catalog.abs(%3$s) OPERATOR(pg_catalog.<=) 1e15',
        cust, dcol, amount_value, floor_value);
    counted := pg_catalog.format('(%s AND %s OPERATOR(pg_catalog.<=) %s)', valid, dcol, cutoff_value);
    reason := pg_catalog.format($r$CASE WHEN %1$s IS NULL THEN 'customer is NULL'
                                        WHEN %2$s IS NULL THEN 'order date is NULL'
                                        WHEN NOT pg_catalog.isfinite(%2$s) THEN 'order date is not finite'
                                        WHEN %2$s OPERATOR(pg_catalog.<) %4$s THEN 'dated before 1900'
                                        WHEN %3$s IS NULL THEN 'amount is NULL'
                                        WHEN NOT (pg_catalog.abs(%3$s) OPERATOR(pg_catalog.<=) 1e15)
                                            THEN 'amount is not a number from -1e15 to 1e15'
                                        WHEN %2$s OPERATOR(pg_catalog.>) %5$s THEN %6$L END$r$,
                                cust, dcol, amount_value, floor_value, cutoff_value, future_reason);

    -- Without change capture (a view, a partitioned or foreign table, a
    -- Citus table, orders owned by another role) each customer's orders leave
    -- a digest: how many rows, and the sum of a 64-bit hash of each row's
    -- customer, date, amount and channel (src/pipeline_digest.c; the
    -- customer as written, since a customer equal to the stored one may be
    -- written otherwise, citext 'Bob' for 'BOB').  A change to the rows
    -- changes the sum but for a collision of about 2^-64 per customer
    -- changed (not for rows chosen to collide: the hash is not a
    -- cryptographic one).
    capture := p.change_capture;
    row_hash := pg_catalog.format('@extschema@.clv_order_row_hash(%s, o.%I, o.%I%s)', cust, p.ordered_at, p.amount,
                                  CASE WHEN p.channel IS NULL THEN ''
                                       ELSE pg_catalog.format(', o.%I', p.channel) END);
    IF NOT capture THEN
        -- whether the last refresh left them: a refresh with capture does
        -- not (NULL for an empty table: no customer to compare)
        EXECUTE pg_catalog.format('SELECT st.order_rows IS NOT NULL FROM %I.summary_state st LIMIT 1', target_schema)
            INTO digests_stored;
        digests_stored := coalesce(digests_stored, true);
    END IF;

    -- the customers whose orders changed since the last refresh; all of them
    -- when they cannot be told, or the orders were truncated
    inheritance_note := @extschema@.clv_pipeline_inheritance_note(p.source);
    IF incremental AND cutoff OPERATOR(pg_catalog.<) p.observed_until THEN
        -- the owner moved as_of back: the stored states are observed too far
        why_full := pg_catalog.format('the observation end moved back from %s to %s', p.observed_until, cutoff);
    ELSIF incremental AND ((p.money_locale IS NULL) OPERATOR(pg_catalog.<>) (p.summarised_money_locale IS NULL)
                           OR p.money_locale OPERATOR(pg_catalog.<>) p.summarised_money_locale) THEN
        -- the stored states hold amounts read under another lc_monetary
        why_full := pg_catalog.format('money_locale changed from %L to %L since the amounts were last read',
                                      p.summarised_money_locale, p.money_locale);
    ELSIF incremental AND NOT capture AND NOT digests_stored THEN
        why_full := pg_catalog.format('no change capture on %s (%s), and the last refresh left no digests of its orders',
                                      src, p.change_capture_note);
    ELSIF incremental AND NOT capture THEN
        -- the changed customers are found by their orders' digests, below
        NULL;
    ELSIF incremental AND source_is_citus THEN
        -- distributed since the pipeline was made (Citus takes a table with
        -- triggers only under citus.enable_unsafe_triggers): its writes go
        -- to the workers' shards, where the capture records nothing
        why_full := pg_catalog.format('%s became a Citus table, whose changes are not captured', src);
        capture := false;
        EXECUTE pg_catalog.format('UPDATE %I.clv_pipeline SET change_capture = false, change_capture_note = $1',
                                  target_schema)
            USING pg_catalog.format('%s became a Citus table', src);
    ELSIF incremental AND inheritance_note IS NOT NULL THEN
        -- a parent, a child or a partition since the pipeline was made: what
        -- was written through the inheritance was not captured, and will not be
        why_full := pg_catalog.format('%s, so its changes are no longer captured', inheritance_note);
        capture := false;
        EXECUTE pg_catalog.format('UPDATE %I.clv_pipeline SET change_capture = false, change_capture_note = $1',
                                  target_schema)
            USING inheritance_note;
    ELSIF incremental AND NOT pg_catalog.pg_has_role((SELECT c.relowner FROM pg_catalog.pg_class c
                                                      WHERE c.oid OPERATOR(pg_catalog.=) p.source), 'USAGE') THEN
        -- the capture triggers record nothing once the owner no longer acts
        -- for the orders' owner; a right given back later would not bring
        -- back what was missed, so capture stays off
        why_full := pg_catalog.format('the owner no longer acts for the owner of %s, so its changes are not captured', src);
        capture := false;
        EXECUTE pg_catalog.format('UPDATE %I.clv_pipeline SET change_capture = false, change_capture_note = $1',
                                  target_schema)
            USING 'the owner stopped acting for the orders'' owner; drop and recreate the pipeline to capture again';
    ELSIF incremental AND (SELECT pg_catalog.count(*) FROM @extschema@.clv_pipeline_capture_triggers(target_schema) t
                            WHERE t.tgrelid OPERATOR(pg_catalog.=) p.source
                              AND t.tgenabled OPERATOR(pg_catalog.=) 'A') OPERATOR(pg_catalog.<) 4 THEN
        why_full := pg_catalog.format('the change capture triggers on %s are missing or not enabled ALWAYS', src);
    END IF;
    -- this refresh leaves digests whenever there is no capture, so that the
    -- next one can compare (a full refresh after capture stopped included)
    by_digest := NOT capture;
    IF incremental AND why_full IS NULL AND by_digest THEN
        -- every customer's digest now, against the stored ones: a customer
        -- is changed when the two differ or one is missing.  The digests are
        -- made into a table first: over a Citus table they are computed
        -- where the orders are and only they come back (a few dozen bytes a
        -- customer), and the comparison is then the coordinator's alone; on
        -- one node too this was faster than comparing in the same statement
        -- (docs/pipeline.md).  The customers with orders dated after the
        -- last end (listed by that refresh in order_changes) are summarised
        -- again too
        EXECUTE pg_catalog.format($q$
            CREATE UNLOGGED TABLE %1$I.clv_refresh_digests AS
            SELECT %2$s AS customer_id, pg_catalog.count(*) AS order_rows, pg_catalog.sum(%3$s) AS order_digest
              FROM %4$s o GROUP BY %2$s$q$,
            target_schema, cust, row_hash, src);
        -- (a FULL JOIN needs an equality that can merge or hash, which
        -- every built-in type's has: a customer type whose default btree
        -- equality can neither is refreshed in full, and says why)
        BEGIN
            EXECUTE pg_catalog.format($q$
                DELETE FROM %1$I.changed_customers;
                WITH consumed AS (DELETE FROM %1$I.order_changes c RETURNING c.customer_id)
                INSERT INTO %1$I.changed_customers
                SELECT c.customer_id, false FROM consumed c
                UNION
                SELECT COALESCE(n.customer_id, st.customer_id), false
                  FROM (SELECT d.customer_id, d.order_rows, d.order_digest FROM %1$I.clv_refresh_digests d
                         WHERE d.customer_id IS NOT NULL) n
                  FULL JOIN (SELECT st.customer_id, st.order_rows, st.order_digest FROM %1$I.summary_state st
                              WHERE st.customer_id IS NOT NULL) st ON n.customer_id %2$s st.customer_id
                 WHERE n.customer_id IS NULL OR st.customer_id IS NULL OR st.order_digest IS NULL
                    OR n.order_rows OPERATOR(pg_catalog.<>) st.order_rows
                    OR n.order_digest OPERATOR(pg_catalog.<>) st.order_digest
                UNION
                -- the rows without a customer, all rejected, as one more customer
                SELECT NULL, false
                  FROM (SELECT pg_catalog.count(*) AS k, pg_catalog.max(d.order_rows) AS order_rows,
                               pg_catalog.max(d.order_digest) AS order_digest
                          FROM %1$I.clv_refresh_digests d WHERE d.customer_id IS NULL) n,
                       (SELECT pg_catalog.count(*) AS k, pg_catalog.max(st.order_rows) AS order_rows,
                               pg_catalog.max(st.order_digest) AS order_digest
                          FROM %1$I.summary_state st WHERE st.customer_id IS NULL) st
                 WHERE n.k OPERATOR(pg_catalog.<>) st.k OR n.order_rows OPERATOR(pg_catalog.<>) st.order_rows
                    OR n.order_digest OPERATOR(pg_catalog.<>) st.order_digest
                    OR (st.k OPERATOR(pg_catalog.>) 0 AND st.order_digest IS NULL)$q$,
                target_schema, eq);
        EXCEPTION WHEN feature_not_supported THEN
            why_full := pg_catalog.format('the digests of %s cannot be compared: %s', src, SQLERRM);
        END;
        EXECUTE pg_catalog.format('DROP TABLE %I.clv_refresh_digests', target_schema);
    ELSIF incremental AND why_full IS NULL THEN
        -- taken before the orders are read: a change committed after this
        -- stays recorded for the next refresh, whatever this one saw of it
        EXECUTE pg_catalog.format($q$
            DELETE FROM %1$I.changed_customers;
            WITH consumed AS (DELETE FROM %1$I.order_changes c RETURNING c.customer_id, c.everything)
            INSERT INTO %1$I.changed_customers SELECT DISTINCT c.customer_id, c.everything FROM consumed c$q$,
            target_schema);
        EXECUTE pg_catalog.format('SELECT EXISTS (SELECT FROM %I.changed_customers c WHERE c.everything)', target_schema)
            INTO truncated;
        IF truncated THEN
            why_full := pg_catalog.format('%s was truncated', src);
        ELSIF source_file OPERATOR(pg_catalog.<>) p.source_relfilenode THEN
            -- ALTER TABLE ... USING rewrites every row without a trigger firing
            why_full := pg_catalog.format('%s was rewritten since the last refresh (ALTER TABLE, VACUUM FULL or CLUSTER)', src);
        END IF;
    END IF;
    IF why_full IS NOT NULL THEN
        RAISE NOTICE USING MESSAGE = pg_catalog.format('refreshing %I in full: %s', target_schema, why_full);
    END IF;
    incremental := incremental AND why_full IS NULL;


    -- the customers summarised again: all of them, or those whose orders
    -- changed (NULL customers, whose rows are all rejected, when theirs did).
    -- Each condition is written so that an index on the customer column
    -- finds their rows
    IF incremental THEN
        changed_set := pg_catalog.format('(SELECT c.customer_id FROM %I.changed_customers c)', target_schema);
        EXECUTE pg_catalog.format('SELECT EXISTS (SELECT FROM %I.changed_customers c WHERE c.customer_id IS NULL)',
                                  target_schema) INTO nulls_changed;
        stored_changed := pg_catalog.format('(%s%s)', @extschema@.clv_pipeline_changed('st.customer_id', eq, changed_set),
                                            CASE WHEN nulls_changed THEN ' OR st.customer_id IS NULL' ELSE '' END);
        rejected_changed := pg_catalog.format('(%s%s)', @extschema@.clv_pipeline_changed('r.customer_id', eq, changed_set),
                                              CASE WHEN nulls_changed THEN ' OR r.customer_id IS NULL' ELSE '' END);
        -- When few customers changed (at most 1% of those stored) and an
        -- index leads with the customer column, their orders are fetched
        -- customer by customer through it: a lateral subquery behind a fence,
        -- which the planner cannot turn into a scan of every order.  Left to
        -- itself it scans them all whenever the orders of one customer lie on
        -- scattered pages (orders kept in the order they came), as its
        -- default page costs assume a disk, not the cache the orders are in.
        EXECUTE pg_catalog.format('SELECT pg_catalog.count(*) FROM %I.changed_customers', target_schema)
            INTO changed_count;
        -- (the customers stored: as last counted by VACUUM or ANALYZE)
        stored_count := (SELECT c.reltuples FROM pg_catalog.pg_class c
                          WHERE c.oid OPERATOR(pg_catalog.=) pg_catalog.format('%I.summary_state', target_schema)::regclass);
        -- (not over a Citus table, which a lateral subquery cannot reach)
        IF changed_count OPERATOR(pg_catalog.<=) (stored_count OPERATOR(pg_catalog./) 100) AND NOT source_is_citus
           AND @extschema@.clv_customer_index_exists(p.source, p.customer, eq) THEN
            changed_orders := pg_catalog.format(
                '(SELECT o.* FROM %1$I.changed_customers c CROSS JOIN LATERAL'
                ' (SELECT o.* FROM %2$s o WHERE %3$s %4$s c.customer_id %5$s) o',
                target_schema, src, cust, eq, @extschema@.clv_pipeline_fence(true));
        ELSE
            changed_orders := pg_catalog.format('(SELECT o.* FROM %1$s o WHERE %2$s', src,
                                                @extschema@.clv_pipeline_changed(cust, eq, changed_set));
        END IF;
        changed_orders := changed_orders OPERATOR(pg_catalog.||)
                          CASE WHEN nulls_changed
                               THEN pg_catalog.format(' UNION ALL SELECT o.* FROM %s o WHERE %s IS NULL', src, cust)
                               ELSE '' END OPERATOR(pg_catalog.||) ') o';
    ELSE
        stored_changed := 'true';
        rejected_changed := 'true';
        changed_orders := src OPERATOR(pg_catalog.||) ' o';
    END IF;

    -- their old states and rejected rows go (their activity comes off the
    -- totals below); then their orders are summarised again, in one pass:
    -- the summary state, the activity by month, and how many rows are not
    -- counted
    IF incremental THEN
        EXECUTE pg_catalog.format('SELECT @extschema@.clv_activity_total(st.activity, false),'
                                  ' @extschema@.clv_activity_total(st.activity, true) FROM %I.summary_state st WHERE %s',
                                  target_schema, stored_changed)
            INTO old_monthly, old_cohorts;
    ELSE
        EXECUTE pg_catalog.format('DELETE FROM %I.order_changes', target_schema);
    END IF;
    -- A full refresh over stored states replaces only those that differ
    -- (below); every other refresh deletes the old states first
    IF NOT incremental THEN
        EXECUTE pg_catalog.format('SELECT EXISTS (SELECT FROM %I.summary_state st)', target_schema) INTO replacing;
    END IF;
    IF NOT replacing THEN
        EXECUTE pg_catalog.format('DELETE FROM %I.summary_state st WHERE %s', target_schema, stored_changed);
    END IF;
    EXECUTE pg_catalog.format('DELETE FROM %I.rejected_orders r WHERE %s', target_schema, rejected_changed);
    -- (the fence: whether a row counts is worked out once, not per aggregate;
    -- but not over a Citus table, where a subquery with an OFFSET is planned
    -- apart: every order would be pulled to the coordinator and summarised
    -- there, where without it each worker summarises its own shards' customers)
    summarise := pg_catalog.format($q$
        SELECT %1$s AS customer_id, %2$s FILTER (WHERE o."clv counted") AS state,
               %3$s FILTER (WHERE o."clv counted") AS activity, %6$s AS channels,
               pg_catalog.count(*) FILTER (WHERE NOT o."clv counted") AS rejected, %8$s
          FROM (SELECT o.*, %4$s AS "clv counted" FROM %5$s %7$s) o GROUP BY %1$s$q$,
        cust, state_of, activity_of, counted, changed_orders,
        CASE WHEN p.channel IS NULL THEN 'NULL::pg_catalog.bytea'
             -- an enum's text by its output function: a cast to text would
             -- be its owner's to define
             WHEN (SELECT t.typtype FROM pg_catalog.pg_type t WHERE t.oid OPERATOR(pg_catalog.=) p.channel_type) OPERATOR(pg_catalog.=) 'e'
             THEN pg_catalog.format('@extschema@.clv_channel_state(CASE WHEN o.%1$I IS NOT NULL THEN pg_catalog.format(''%%s'', o.%1$I) END,'
                                    ' %2$s, %3$s::pg_catalog.float8) FILTER (WHERE o."clv counted")', p.channel, touched_at, amount_value)
             ELSE pg_catalog.format('@extschema@.clv_channel_state((o.%I)::pg_catalog.text, %s, %s::pg_catalog.float8)'
                                    ' FILTER (WHERE o."clv counted")', p.channel, touched_at, amount_value) END,
        CASE WHEN source_is_citus THEN '' ELSE @extschema@.clv_pipeline_fence(true) END,
        CASE WHEN by_digest
             THEN pg_catalog.format('pg_catalog.count(*) AS order_rows, pg_catalog.sum(%s) AS order_digest', row_hash)
             ELSE 'NULL::pg_catalog.int8 AS order_rows, NULL::pg_catalog.numeric AS order_digest' END);
    -- PostgreSQL never runs INSERT ... SELECT in parallel: when the planner
    -- would have parallel workers summarise whole customers (orders
    -- partitioned by customer, aggregated partition by partition), the states
    -- are made by a CREATE TABLE AS, which may, and then copied.  Not when
    -- workers would only scan, or aggregate partially for the leader to
    -- merge: each worker meets nearly every customer then, and the merge
    -- costs more than the second core saves (docs/scale.md); a CREATE TABLE
    -- AS made only to replace the states that differ is then planned serial.
    IF NOT incremental THEN
        PERFORM pg_catalog.set_config('enable_partitionwise_aggregate', 'on', true);
        EXECUTE 'EXPLAIN (FORMAT JSON) ' OPERATOR(pg_catalog.||) summarise INTO plan;
        staged := pg_catalog.jsonb_path_exists(plan::pg_catalog.jsonb,
                                               'lax $.** ? (@."Node Type" starts with "Gather").**'
                                               ' ? (@."Node Type" == "Aggregate" && @."Partial Mode" == "Simple")');
        IF staged OR replacing THEN
            parallel_setting := pg_catalog.current_setting('max_parallel_workers_per_gather');
            IF NOT staged THEN
                PERFORM pg_catalog.set_config('max_parallel_workers_per_gather', '0', true);
            END IF;
            EXECUTE pg_catalog.format('CREATE UNLOGGED TABLE %I.clv_refresh_states AS %s', target_schema, summarise);
            PERFORM pg_catalog.set_config('max_parallel_workers_per_gather', parallel_setting, true);
            summarise := pg_catalog.format('SELECT * FROM %I.clv_refresh_states', target_schema);
            staged := true;
        END IF;
    END IF;
    -- Replacing every state, by deleting them all and inserting them again,
    -- left summary_state at twice its pages until VACUUM freed the dead
    -- half, which it then kept; the models and scoring steps scan it
    -- (docs/performance.md).  So a full refresh deletes the stored states
    -- that no new state equals (customers gone, orders changed; a customer
    -- without one, whose rows are all rejected, always) and inserts the new
    -- states not stored.  A customer is the same when written the same way
    -- too (citext's 'Bob' for 'BOB', numeric's 1.00 for 1.0 come as they are
    -- now written).  A stored summary state equals the new one when,
    -- moved on to the new end of observation, it is the new one: the states
    -- of the customers whose orders did not change are kept when the end
    -- moves on too, as an incremental refresh keeps them.  The two sets are
    -- matched by hashing or merging: a customer type whose equality can do
    -- neither would compare every pair, and its states are replaced whole as
    -- before (planned without nested loops, a plan that still has one is
    -- that case).
    IF replacing THEN
        stale := pg_catalog.format($q$
            DELETE FROM %1$I.summary_state st
             WHERE NOT EXISTS (SELECT FROM %1$I.clv_refresh_states n
                                WHERE n.customer_id %2$s st.customer_id%4$s AND %3$s)$q$,
            target_schema, eq,
            (SELECT pg_catalog.string_agg(pg_catalog.format(CASE WHEN c OPERATOR(pg_catalog.=) 'state'
                                                                 THEN '(@extschema@.clv_summary_advances_to(st.%1$I, n.%1$I)'
                                                                 ELSE '(n.%1$I OPERATOR(pg_catalog.=) st.%1$I' END
                                                            OPERATOR(pg_catalog.||) ' OR (n.%1$I IS NULL AND st.%1$I IS NULL))', c),
                                          ' AND ')
               FROM pg_catalog.unnest(ARRAY['state', 'activity', 'channels', 'rejected', 'order_rows', 'order_digest']) c),
            -- (written the same way: record_image_eq, over a second a million
            -- customers, so left out for the types whose equal values are
            -- always the same bytes.  The new states' customer is the
            -- orders' column, perhaps of a domain: it is cast to
            -- summary_state's type, the domain's base, named with no typmod,
            -- which bpchar's plain name, character(1), would cut to one
            -- character)
            CASE WHEN customer_type OPERATOR(pg_catalog.=) ANY (ARRAY['int2', 'int4', 'int8', 'uuid']::regtype[]) THEN ''
                 ELSE pg_catalog.format(' AND pg_catalog.record_image_eq(ROW((n.customer_id)::%s), ROW(st.customer_id))',
                                        pg_catalog.format_type(customer_type, -1)) END);
        nestloop_setting := pg_catalog.current_setting('enable_nestloop');
        PERFORM pg_catalog.set_config('enable_nestloop', 'off', true);
        EXECUTE 'EXPLAIN (FORMAT JSON) ' OPERATOR(pg_catalog.||) stale INTO plan;
        IF pg_catalog.jsonb_path_exists(plan::pg_catalog.jsonb, 'lax $.** ? (@."Node Type" == "Nested Loop")') THEN
            EXECUTE pg_catalog.format('DELETE FROM %I.summary_state st', target_schema);
        ELSE
            EXECUTE stale;
            summarise := pg_catalog.format(
                'SELECT * FROM %1$I.clv_refresh_states n'
                ' WHERE NOT EXISTS (SELECT FROM %1$I.summary_state st WHERE st.customer_id %2$s n.customer_id)',
                target_schema, eq);
        END IF;
        PERFORM pg_catalog.set_config('enable_nestloop', nestloop_setting, true);
        EXECUTE pg_catalog.format('SELECT pg_catalog.count(*) FROM %I.clv_refresh_states n WHERE n.state IS NOT NULL',
                                  target_schema) INTO customers;
    END IF;
    EXECUTE pg_catalog.format($q$
        WITH summarised AS (
            INSERT INTO %1$I.summary_state (customer_id, state, activity, channels, rejected, order_rows, order_digest) %2$s
            RETURNING state IS NOT NULL AS counted)
        SELECT pg_catalog.count(*) FILTER (WHERE s.counted) FROM summarised s$q$,
        target_schema, summarise) INTO inserted;
    IF NOT replacing THEN
        customers := inserted;
    END IF;
    IF staged THEN
        EXECUTE pg_catalog.format('DROP TABLE %I.clv_refresh_states', target_schema);
    END IF;
    EXECUTE pg_catalog.format('SELECT @extschema@.clv_activity_total(st.activity, false),'
                              ' @extschema@.clv_activity_total(st.activity, true) FROM %I.summary_state st WHERE %s',
                              target_schema, stored_changed)
        INTO new_monthly, new_cohorts;
    IF incremental THEN
        EXECUTE pg_catalog.format($q$
            UPDATE %I.activity_totals t
               SET total = @extschema@.clv_activity_combine(
                               CASE WHEN t.total IS NULL OR d.old IS NULL THEN t.total
                                    ELSE @extschema@.clv_activity_difference(t.total, d.old) END, d.new)
              FROM (VALUES (false, $1, $2), (true, $3, $4)) d(by_cohort, old, new)
             WHERE t.by_cohort OPERATOR(pg_catalog.=) d.by_cohort$q$, target_schema)
            USING old_monthly, new_monthly, old_cohorts, new_cohorts;
    ELSE
        EXECUTE pg_catalog.format($q$
            UPDATE %I.activity_totals t SET total = CASE WHEN t.by_cohort THEN $2 ELSE $1 END$q$, target_schema)
            USING new_monthly, new_cohorts;
    END IF;
    -- the rows not counted, listed with their reason: read again only when
    -- the customers summarised have some
    EXECUTE pg_catalog.format('SELECT EXISTS (SELECT FROM %I.summary_state st WHERE st.rejected OPERATOR(pg_catalog.>) 0 AND %s)',
                              target_schema, stored_changed) INTO has_rejected;
    IF has_rejected THEN
        EXECUTE pg_catalog.format($q$
            INSERT INTO %1$I.rejected_orders (customer_id, ordered_at, amount, reason)
            SELECT %2$s, %3$s, (o.%4$I)::pg_catalog.text, %5$s FROM %6$s WHERE NOT %7$s$q$,
            target_schema, cust, dcol, p.amount, reason, changed_orders, counted);
    END IF;
    -- a customer with orders dated after the end is summarised again at the
    -- next refresh, when some of them may have come due
    EXECUTE pg_catalog.format($q$
        INSERT INTO %1$I.order_changes (customer_id)
        SELECT DISTINCT r.customer_id FROM %1$I.rejected_orders r
         WHERE r.reason OPERATOR(pg_catalog.=) %2$L AND %3$s$q$,
        target_schema, future_reason, rejected_changed);
    EXECUTE pg_catalog.format('SELECT pg_catalog.count(*) FROM %I.rejected_orders', target_schema) INTO rejected;
    RETURN NEXT pg_catalog.format('%I.summary_state: %s customers summarised (%s refresh) in %s ms', target_schema,
                                  customers, CASE WHEN incremental THEN 'incremental' ELSE 'full' END,
                                  @extschema@.clv_ms_since(step_started));
    IF rejected OPERATOR(pg_catalog.>) 0 THEN
        RAISE NOTICE USING
            MESSAGE = pg_catalog.format('%s orders of %s are not counted: see %I.rejected_orders', rejected, src, target_schema),
            DETAIL = 'Rows without a customer, date or amount, with a date that is not finite or before 1900, an amount that is not a number within +/-1e15, or dated after the observation end.';
    END IF;

    -- the new end of observation: from here on, every customer's summary
    -- (clv_pipeline_summaries_sql) is its stored state moved on to it
    EXECUTE pg_catalog.format('UPDATE %I.clv_pipeline SET observed_until = $1, observation_end = $2', target_schema)
        USING cutoff, end_day;

    -- the models, in one pass over the summaries: the registry's values are
    -- its parameters $1 to $10 (the summaries read only the end of
    -- observation from them) and the penalizer $11.  Serially: parallel
    -- workers would each make partial states of every fit for the leader to
    -- merge (the RFM breakpoints' holds every customer's measures), and
    -- carrying and merging them cost more than the second core saved, as in
    -- summarising above (docs/performance.md).  When one model cannot be
    -- fitted, each again on its own (the registry read as scalar subqueries:
    -- a rare path), so that the others are kept, the scores that need it are
    -- NULL, and the registry says why
    step_started := pg_catalog.clock_timestamp();
    parallel_setting := pg_catalog.current_setting('max_parallel_workers_per_gather');
    PERFORM pg_catalog.set_config('max_parallel_workers_per_gather', '0', true);
    BEGIN
        EXECUTE pg_catalog.format('SELECT %s, @extschema@.clv_fit_gammagamma(c.s, $11),'
                                  ' @extschema@.clv_rfm_breakpoints(c.s) FROM %s',
                                  @extschema@.clv_pipeline_fit_sql(p.purchase_kind, 11),
                                  @extschema@.clv_pipeline_summaries_sql(target_schema, p.ordered_at_type, false, true))
            INTO purchase_model, spend_model, breakpoints
            USING cutoff, end_day, p.time_zone, NULL::@extschema@.clv_model, NULL::@extschema@.clv_model,
                  NULL::pg_catalog.float8[], p.periods, p.discount_rate, p.period, p.gross_margin, p.penalizer;
    EXCEPTION WHEN data_exception OR invalid_parameter_value THEN
        summaries := @extschema@.clv_pipeline_summaries_sql(target_schema, p.ordered_at_type, false);
        BEGIN
            EXECUTE pg_catalog.format('SELECT %s FROM %s', @extschema@.clv_pipeline_fit_sql(p.purchase_kind, 1), summaries)
                INTO purchase_model USING p.penalizer;
        EXCEPTION WHEN data_exception OR invalid_parameter_value THEN
            purchase_error := SQLERRM;
        END;
        BEGIN
            EXECUTE pg_catalog.format('SELECT @extschema@.clv_fit_gammagamma(c.s, $1) FROM %s', summaries)
                INTO spend_model USING p.penalizer;
        EXCEPTION WHEN data_exception OR invalid_parameter_value THEN
            spend_error := SQLERRM;
        END;
        BEGIN
            EXECUTE pg_catalog.format('SELECT @extschema@.clv_rfm_breakpoints(c.s) FROM %s', summaries)
                INTO breakpoints;
        EXCEPTION WHEN data_exception OR invalid_parameter_value THEN
            rfm_error := SQLERRM;
        END;
    END;
    PERFORM pg_catalog.set_config('max_parallel_workers_per_gather', parallel_setting, true);
    EXECUTE pg_catalog.format($q$
        UPDATE %1$I.clv_pipeline SET purchase_model = $1, spend_model = $2, rfm_breakpoints = $3, score_note = $4;
        DELETE FROM %1$I.models;
        INSERT INTO %1$I.models (model, kind, status, error, parameters, fitted_at)
        VALUES ('purchases', $11, $5, $6, @extschema@.clv_model_params($1), pg_catalog.clock_timestamp()),
               ('spend', 'Gamma-Gamma', $7, $8, @extschema@.clv_model_params($2), pg_catalog.clock_timestamp()),
               ('rfm', 'quintile breakpoints', $9, $10, pg_catalog.to_jsonb($3), pg_catalog.clock_timestamp())$q$,
        target_schema)
    USING purchase_model, spend_model, breakpoints,
          CASE WHEN purchase_model IS NULL OR spend_model IS NULL OR breakpoints IS NULL
               THEN pg_catalog.concat_ws('; ',
                        CASE WHEN purchase_model IS NULL
                             THEN 'no purchase model (' OPERATOR(pg_catalog.||) coalesce(purchase_error, 'no repeat purchases')
                                  OPERATOR(pg_catalog.||) '): p_alive, expected purchases and predicted CLV are NULL' END,
                        CASE WHEN spend_model IS NULL
                             THEN 'no spend model (' OPERATOR(pg_catalog.||) coalesce(spend_error, 'no repeat purchases')
                                  OPERATOR(pg_catalog.||) '): predicted CLV is NULL' END,
                        CASE WHEN breakpoints IS NULL
                             THEN 'no RFM breakpoints (' OPERATOR(pg_catalog.||) coalesce(rfm_error, 'no customers')
                                  OPERATOR(pg_catalog.||) '): RFM scores are NULL' END) END,
          CASE WHEN purchase_model IS NOT NULL THEN 'fitted' WHEN purchase_error IS NOT NULL THEN 'failed' ELSE 'no data' END,
          purchase_error,
          CASE WHEN spend_model IS NOT NULL THEN 'fitted' WHEN spend_error IS NOT NULL THEN 'failed' ELSE 'no data' END,
          spend_error,
          CASE WHEN breakpoints IS NOT NULL THEN 'fitted' WHEN rfm_error IS NOT NULL THEN 'failed' ELSE 'no data' END,
          rfm_error, @extschema@.clv_purchase_model_label(p.purchase_kind);
    RETURN NEXT pg_catalog.format('%I.models refreshed in %s ms', target_schema, @extschema@.clv_ms_since(step_started));

    -- every customer's scores, once, into a table of this refresh's own (a
    -- CREATE TABLE AS, which parallel workers may compute), from which the
    -- tables below are aggregated; customer_scores computes the same when read.
    -- Unlogged, like the staged states above: made and dropped within this
    -- transaction, so a crash can lose nothing of it that a replay would need,
    -- and writing no WAL saves about a seventh of the step
    step_started := pg_catalog.clock_timestamp();
    EXECUTE pg_catalog.format('CREATE UNLOGGED TABLE %I.clv_refresh_scores AS %s', target_schema,
                              @extschema@.clv_pipeline_scores_sql(target_schema, p.ordered_at_type, false))
        USING cutoff, end_day, p.time_zone, purchase_model, spend_model, breakpoints, p.periods, p.discount_rate,
              p.period, p.gross_margin;
    -- the value tiers' bounds: the lowest predicted CLV whose cume_dist() over
    -- all customers, best first, is within each tier
    EXECUTE pg_catalog.format('UPDATE %1$I.clv_pipeline SET tier_bounds = (SELECT @extschema@.clv_value_tier_bounds('
                              'pg_catalog.array_agg(w.predicted_clv)) FROM %1$I.clv_refresh_scores w)', target_schema);
    RETURN NEXT pg_catalog.format('%I.customer_scores computed in %s ms', target_schema, @extschema@.clv_ms_since(step_started));

    -- per RFM segment, per value tier (the 80/20 view), and the declining
    -- customers, most value at risk first.  Sums are exact (clv_exact_sum): a
    -- float8 sum depends on the order of the rows, which a refresh changes.
    -- The declining list, the one large table here, is rewritten in place,
    -- rank by rank (MERGE): only rank is indexed, so each row's new version
    -- goes on its page (a HOT update, room kept by the table's fillfactor)
    -- with no index entry: for a list of 590,000 that took 0.9 of the time
    -- and 0.8 of the WAL of deleting every row and inserting the list again
    -- (test/bench/declining_write.sh)
    step_started := pg_catalog.clock_timestamp();
    EXECUTE pg_catalog.format($q$
        DELETE FROM %1$I.segments;
        INSERT INTO %1$I.segments (rfm_segment, customers, total_amount, predicted_clv, predicted_clv_per_customer,
                                   share_of_predicted_clv, declining_customers, value_at_risk, net_revenue)
        SELECT coalesce(x.rfm_segment, 'no purchases'), pg_catalog.count(*), @extschema@.clv_exact_sum(x.total_amount),
               @extschema@.clv_exact_sum(x.predicted_clv),
               @extschema@.clv_exact_sum(x.predicted_clv) OPERATOR(pg_catalog./) pg_catalog.count(x.predicted_clv),
               CASE WHEN @extschema@.clv_exact_sum(@extschema@.clv_exact_sum(x.predicted_clv)) OVER () OPERATOR(pg_catalog.=) 0
                    THEN NULL
                    ELSE @extschema@.clv_exact_sum(x.predicted_clv)
                         OPERATOR(pg_catalog./) @extschema@.clv_exact_sum(@extschema@.clv_exact_sum(x.predicted_clv)) OVER () END,
               pg_catalog.count(*) FILTER (WHERE x.declining), @extschema@.clv_exact_sum(x.value_at_risk),
               @extschema@.clv_exact_sum(x.total_amount)
          FROM %1$I.clv_refresh_scores x GROUP BY 1;
        DELETE FROM %1$I.value_tiers;
        INSERT INTO %1$I.value_tiers (value_tier, customers, min_predicted_clv, predicted_clv, share_of_predicted_clv)
        SELECT x.value_tier, pg_catalog.count(*), pg_catalog.min(x.predicted_clv),
               @extschema@.clv_exact_sum(x.predicted_clv),
               CASE WHEN @extschema@.clv_exact_sum(@extschema@.clv_exact_sum(x.predicted_clv)) OVER () OPERATOR(pg_catalog.=) 0
                    THEN NULL
                    ELSE @extschema@.clv_exact_sum(x.predicted_clv)
                         OPERATOR(pg_catalog./) @extschema@.clv_exact_sum(@extschema@.clv_exact_sum(x.predicted_clv)) OVER () END
          FROM (SELECT w.predicted_clv, %2$s AS value_tier
                  FROM %1$I.clv_refresh_scores w CROSS JOIN %1$I.clv_pipeline r) x
         GROUP BY x.value_tier;
        MERGE INTO %1$I.declining_customers d
        USING (SELECT pg_catalog.row_number() OVER (ORDER BY w.value_at_risk DESC NULLS LAST, w.customer_id) AS rank,
                      w.customer_id, w.rfm_segment, %2$s AS value_tier, %3$s AS predicted_clv, w.p_alive,
                      %4$s AS value_at_risk, w.decline_severity, w.decline_reasons, w.decline_alert, w.last_order
                 FROM %1$I.clv_refresh_scores w CROSS JOIN %1$I.clv_pipeline r WHERE w.declining) f
           ON d.rank OPERATOR(pg_catalog.=) f.rank
         WHEN MATCHED THEN UPDATE
              SET customer_id = f.customer_id, rfm_segment = f.rfm_segment, value_tier = f.value_tier,
                  predicted_clv = f.predicted_clv, p_alive = f.p_alive, value_at_risk = f.value_at_risk,
                  decline_severity = f.decline_severity, decline_reasons = f.decline_reasons,
                  decline_alert = f.decline_alert, last_order = f.last_order
         WHEN NOT MATCHED THEN INSERT (rank, customer_id, rfm_segment, value_tier, predicted_clv, p_alive,
                                       value_at_risk, decline_severity, decline_reasons, decline_alert, last_order)
              VALUES (f.rank, f.customer_id, f.rfm_segment, f.value_tier, f.predicted_clv, f.p_alive,
                      f.value_at_risk, f.decline_severity, f.decline_reasons, f.decline_alert, f.last_order)$q$,
        target_schema, @extschema@.clv_pipeline_tier_sql('w.predicted_clv', 'r.tier_bounds'),
        @extschema@.clv_pipeline_money_sql('w.predicted_clv'), @extschema@.clv_pipeline_money_sql('w.value_at_risk'));
    -- the MERGE (the last statement) matched or inserted one row per
    -- declining customer: ranks past their count are the old list's tail
    GET DIAGNOSTICS declining = ROW_COUNT;
    EXECUTE pg_catalog.format('DELETE FROM %I.declining_customers d WHERE d.rank OPERATOR(pg_catalog.>) $1', target_schema)
    USING declining;
    RETURN NEXT pg_catalog.format('%I.segments, value_tiers and declining_customers refreshed in %s ms', target_schema,
                                  @extschema@.clv_ms_since(step_started));

    -- per calendar month of the pipeline's calendar: activity (kept up to
    -- date with the summary states), the seasonal index, and the customers
    -- acquired that month; cohort retention by month of the first order
    step_started := pg_catalog.clock_timestamp();
    EXECUTE pg_catalog.format($q$
        DELETE FROM %1$I.monthly;
        WITH activity AS (
            SELECT a.month, a.customers AS active_customers, a.orders, a.amount AS revenue
              FROM %1$I.activity_totals t, @extschema@.clv_activity_months(t.total) a WHERE NOT t.by_cohort),
        -- every month from the first with orders to the end of observation's,
        -- the last of them partial unless observation ends on its last day
        months AS (
            SELECT m.m::pg_catalog.date AS month,
                   m.m::pg_catalog.date OPERATOR(pg_catalog.=) pg_catalog.date_trunc('month', %2$L::pg_catalog.timestamp)::pg_catalog.date
                   AND (%2$L::pg_catalog.date OPERATOR(pg_catalog.+) 1) OPERATOR(pg_catalog.<>)
                       (m.m OPERATOR(pg_catalog.+) '1 month'::pg_catalog.interval)::pg_catalog.date AS partial_month
              FROM (SELECT pg_catalog.min(a.month) AS first, pg_catalog.max(a.month) AS last FROM activity a) f,
                   pg_catalog.generate_series(f.first::pg_catalog.timestamp,
                                              greatest(f.last::pg_catalog.timestamp,
                                                      pg_catalog.date_trunc('month', %2$L::pg_catalog.timestamp)),
                                              '1 month'::pg_catalog.interval) m(m)),
        acquired AS (
            SELECT pg_catalog.date_trunc('month', w.first_order::pg_catalog.timestamp)::pg_catalog.date AS month,
                   pg_catalog.count(*) AS new_customers,
                   @extschema@.clv_exact_sum(w.total_amount) OPERATOR(pg_catalog./) pg_catalog.count(w.total_amount) AS revenue_so_far,
                   @extschema@.clv_exact_sum(w.predicted_clv) OPERATOR(pg_catalog./) pg_catalog.count(w.predicted_clv) AS predicted_clv
              FROM %1$I.clv_refresh_scores w
             WHERE w.first_order IS NOT NULL GROUP BY 1),
        -- the seasonal index over whole months only, those without orders
        -- counted as 0: a partial month would read as a seasonal low
        season AS (
            SELECT @extschema@.clv_seasonality(mo.month, coalesce(a.revenue, 0)) AS idx
              FROM months mo LEFT JOIN activity a ON a.month OPERATOR(pg_catalog.=) mo.month
             WHERE NOT mo.partial_month)
        INSERT INTO %1$I.monthly
        SELECT mo.month, coalesce(a.active_customers, 0), coalesce(n.new_customers, 0), coalesce(a.orders, 0),
               coalesce(a.revenue, 0),
               CASE WHEN coalesce(a.orders, 0) OPERATOR(pg_catalog.=) 0 THEN NULL
                    ELSE a.revenue OPERATOR(pg_catalog./) a.orders END,
               i.seasonal_index,
               CASE WHEN i.seasonal_index OPERATOR(pg_catalog.=) 0 THEN NULL
                    ELSE coalesce(a.revenue, 0) OPERATOR(pg_catalog./) i.seasonal_index END,
               n.revenue_so_far, n.predicted_clv, mo.partial_month
          FROM months mo
          LEFT JOIN activity a ON a.month OPERATOR(pg_catalog.=) mo.month
          LEFT JOIN acquired n ON n.month OPERATOR(pg_catalog.=) mo.month
          CROSS JOIN season
          CROSS JOIN LATERAL (SELECT season.idx[EXTRACT(month FROM mo.month)::integer] AS seasonal_index) i;
        DELETE FROM %1$I.cohorts;
        WITH activity AS (
            SELECT a.cohort, a.month, a.customers
              FROM %1$I.activity_totals t, @extschema@.clv_activity_months(t.total) a WHERE t.by_cohort)
        INSERT INTO %1$I.cohorts
        SELECT a.cohort,
               ((EXTRACT(year FROM a.month) OPERATOR(pg_catalog.*) 12 OPERATOR(pg_catalog.+) EXTRACT(month FROM a.month))
                OPERATOR(pg_catalog.-)
                (EXTRACT(year FROM a.cohort) OPERATOR(pg_catalog.*) 12 OPERATOR(pg_catalog.+) EXTRACT(month FROM a.cohort)))::integer,
               s.customers, a.customers, a.customers::pg_catalog.float8 OPERATOR(pg_catalog./) s.customers
          FROM activity a
          JOIN activity s ON s.cohort OPERATOR(pg_catalog.=) a.cohort AND s.month OPERATOR(pg_catalog.=) a.cohort$q$,
        target_schema, end_day);
    RETURN NEXT pg_catalog.format('%I.monthly and cohorts refreshed in %s ms', target_schema, @extschema@.clv_ms_since(step_started));

    -- per channel, when the orders name one: the customers, orders and
    -- revenue, and each customer's predicted CLV (to the cent) split over the
    -- channels of its orders, from the touches kept with its state
    IF p.channel IS NOT NULL THEN
        step_started := pg_catalog.clock_timestamp();
        EXECUTE pg_catalog.format($q$
            DELETE FROM %1$I.channels;
            INSERT INTO %1$I.channels
            SELECT c.channel, pg_catalog.count(*), pg_catalog.sum(c.touches), @extschema@.clv_exact_sum(c.amount),
                   pg_catalog.sum(c.first_touch), pg_catalog.sum(c.last_touch), pg_catalog.sum(c.linear),
                   pg_catalog.sum(c.position_based)
              FROM %1$I.summary_state st
              LEFT JOIN %1$I.clv_refresh_scores w ON w.customer_id %2$s st.customer_id
             CROSS JOIN LATERAL @extschema@.clv_channel_credits(
                       st.channels, @extschema@.clv_round_to_cents(w.predicted_clv)) c
             WHERE st.channels IS NOT NULL
             GROUP BY c.channel$q$,
            target_schema, eq);
        RETURN NEXT pg_catalog.format('%I.channels refreshed in %s ms', target_schema, @extschema@.clv_ms_since(step_started));
    END IF;

    EXECUTE pg_catalog.format($q$
        DROP TABLE %1$I.clv_refresh_scores;
        UPDATE %1$I.clv_pipeline
           SET refreshed_at = pg_catalog.clock_timestamp(), last_refresh = $1, customers_summarised = $2,
               rejected_orders = $3, source_relfilenode = $4, summarised_money_locale = $5$q$,
        target_schema)
    -- the setting this refresh read the amounts under, whatever the row
    -- holds by now
    USING CASE WHEN incremental THEN 'incremental' ELSE 'full' END, customers, rejected, source_file, p.money_locale;
END
$$;

-- The drop, as the pipeline's owner (called by clv_drop_pipeline only):
-- exactly what was created, in reverse order and without CASCADE, so that a
-- view of the user's on top of the pipeline's tables stops it; the schema
-- too, if the pipeline created it and it is empty.
CREATE FUNCTION @extschema@.clv_pipeline_drop_steps(target_schema name)
RETURNS SETOF text
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    objects text[];
    created_schema boolean;
    legacy boolean;
    schema_oid oid;
    trigger_name name;
    trigger_table regclass;
    kind "char";
BEGIN
    PERFORM @extschema@.clv_pipeline_owner_check(target_schema);
    legacy := @extschema@.clv_pipeline_format(target_schema) OPERATOR(pg_catalog.<) 2;
    schema_oid := (SELECT n.oid FROM pg_catalog.pg_namespace n WHERE n.nspname OPERATOR(pg_catalog.=) target_schema);
    EXECUTE pg_catalog.format('SELECT objects, created_schema FROM %I.clv_pipeline FOR UPDATE', target_schema)
        INTO objects, created_schema;
    -- the capture triggers, wherever they are (the registry's source may have
    -- changed since); a trigger on a table whose owner the pipeline's owner
    -- no longer acts for stays, harmless (it records nothing for a pipeline
    -- that is gone), and is named for that table's owner to drop
    FOR trigger_name, trigger_table IN
        SELECT t.tgname, t.tgrelid::regclass FROM @extschema@.clv_pipeline_capture_triggers(target_schema) t
         ORDER BY t.oid LOOP
        IF pg_catalog.pg_has_role((SELECT c.relowner FROM pg_catalog.pg_class c
                                    WHERE c.oid OPERATOR(pg_catalog.=) trigger_table), 'USAGE') THEN
            EXECUTE pg_catalog.format('DROP TRIGGER %I ON %s', trigger_name, trigger_table);
            RETURN NEXT pg_catalog.format('trigger %I on %s', trigger_name, trigger_table);
        ELSE
            RAISE NOTICE USING
                MESSAGE = pg_catalog.format('trigger %I on %s is left for its owner to drop', trigger_name, trigger_table),
                DETAIL = 'It records nothing once the pipeline is dropped.';
        END IF;
    END LOOP;
    -- what dashboards read, in reverse order of creation (views, tables, and
    -- before 0.4.0 materialized views), then the working tables
    FOR i IN REVERSE pg_catalog.array_length(objects, 1) .. 1 LOOP
        kind := (SELECT c.relkind FROM pg_catalog.pg_class c
                  WHERE c.relnamespace OPERATOR(pg_catalog.=) schema_oid AND c.relname OPERATOR(pg_catalog.=) objects[i]);
        EXECUTE pg_catalog.format('DROP %s %I.%I',
                                  CASE WHEN kind OPERATOR(pg_catalog.=) 'v' THEN 'VIEW'
                                       WHEN kind OPERATOR(pg_catalog.=) 'm' THEN 'MATERIALIZED VIEW' ELSE 'TABLE' END,
                                  target_schema, objects[i]);
        RETURN NEXT pg_catalog.format('%I.%I', target_schema, objects[i]);
    END LOOP;
    EXECUTE pg_catalog.format('DROP TABLE %I.summary_state', target_schema);
    RETURN NEXT pg_catalog.format('%I.summary_state', target_schema);
    IF NOT legacy THEN
        EXECUTE pg_catalog.format('DROP TABLE %1$I.activity_totals, %1$I.order_changes, %1$I.changed_customers',
                                  target_schema);
        RETURN NEXT pg_catalog.format('%1$I.activity_totals, %1$I.order_changes, %1$I.changed_customers', target_schema);
    END IF;
    EXECUTE pg_catalog.format('DROP TABLE %I.clv_pipeline', target_schema);
    RETURN NEXT pg_catalog.format('%I.clv_pipeline', target_schema);
    IF created_schema
       AND NOT EXISTS (SELECT FROM pg_catalog.pg_class c WHERE c.relnamespace OPERATOR(pg_catalog.=) schema_oid)
       AND NOT EXISTS (SELECT FROM pg_catalog.pg_proc f WHERE f.pronamespace OPERATOR(pg_catalog.=) schema_oid)
       AND NOT EXISTS (SELECT FROM pg_catalog.pg_type t WHERE t.typnamespace OPERATOR(pg_catalog.=) schema_oid) THEN
        EXECUTE pg_catalog.format('DROP SCHEMA %I', target_schema);
        RETURN NEXT pg_catalog.format('schema %I', target_schema);
    END IF;
END
$$;

-- Refresh and drop run as the pipeline's owner, in a security-restricted
-- operation (src/pipeline_owner.c); concurrent is kept for existing calls:
-- since 0.4.0 no refresh blocks readers.
CREATE OR REPLACE FUNCTION @extschema@.clv_refresh_pipeline(
    target_schema name DEFAULT 'clv_report', concurrent boolean DEFAULT true,
    incremental boolean DEFAULT false)
RETURNS SETOF text
AS 'MODULE_PATHNAME', 'clv_refresh_pipeline'
LANGUAGE C VOLATILE;

CREATE OR REPLACE FUNCTION @extschema@.clv_drop_pipeline(target_schema name DEFAULT 'clv_report')
RETURNS SETOF text
AS 'MODULE_PATHNAME', 'clv_drop_pipeline'
LANGUAGE C VOLATILE;

CREATE FUNCTION @extschema@.clv_pipeline_owner_check(target_schema name)
RETURNS void
AS 'MODULE_PATHNAME', 'clv_pipeline_owner_check'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION @extschema@.clv_refresh_pipeline(name, boolean, boolean) IS
'summarises the orders again (in full, or incremental: only the customers whose orders changed since the last refresh) and rewrites the pipeline''s tables in one transaction, as the pipeline''s owner; readers are never blocked';
COMMENT ON FUNCTION @extschema@.clv_drop_pipeline(name) IS
'drops exactly what clv_create_pipeline created (and the schema, if it made it and it is empty), as the pipeline''s owner';
COMMENT ON FUNCTION @extschema@.clv_pipeline_owner_check(name) IS
'internal: refuses to let a pipeline step run anywhere but inside clv_refresh_pipeline or clv_drop_pipeline';

------------------------------------------------------------------------------
-- The HTML report
------------------------------------------------------------------------------

-- The report, as the pipeline's owner (called by clv_report_html only, which
-- first checks that the caller may read the tables it reads).  Every value
-- taken from the pipeline's tables is cast to the type the page expects, and
-- every text escaped, so that nothing stored there becomes markup.
CREATE FUNCTION @extschema@.clv_pipeline_report_steps(target_schema name, title text, currency text)
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    kpis record;
    registry record;
    histogram text;
    segments text;
    nsegments integer;
    heatmap text;
    heatmap_height integer;
    declining text;
    monthly text;
    tiers text;
    channels text;
    -- with model auto: how the purchase model was chosen
    model_choice text := '';
    top_bin float8;
    low_bin float8;
BEGIN
    PERFORM @extschema@.clv_pipeline_owner_check(target_schema);
    -- clv's names in its schema clv's, and a schema name that the SQL built
    -- below reads as it is (src/extension_guard.c)
    PERFORM @extschema@.clv_check_extension_functions();
    -- an option given as NULL takes clv_report_html's default (the NULL rule)
    title := coalesce(title, 'Customer lifetime value');
    currency := coalesce(currency, '');
    EXECUTE pg_catalog.format('SELECT r.observation_end::date AS observation_end, r.refreshed_at::timestamptz AS refreshed_at,
                                      r.time_zone::text AS time_zone, r.periods::integer AS periods,
                                      (EXTRACT(epoch FROM r.period::interval) OPERATOR(pg_catalog./) 86400)::float8 AS period_days,
                                      r.discount_rate::float8 AS discount_rate, r.gross_margin::float8 AS gross_margin,
                                      pg_catalog.format(''%%s.%%I'', r.source, r.amount) AS amounts,
                                      r.channel IS NOT NULL AS has_channels,
                                      @extschema@.clv_purchase_model_label(r.purchase_kind)
                                          OPERATOR(pg_catalog.||) coalesce('' with k = '' OPERATOR(pg_catalog.||)
                                              (@extschema@.clv_model_params(r.purchase_model) OPERATOR(pg_catalog.->>) ''k''), '''') AS purchases
                                 FROM %I.clv_pipeline r', target_schema)
        INTO registry;
    IF pg_catalog.to_regclass(pg_catalog.format('%I.model_evaluation', target_schema)) IS NOT NULL THEN
        EXECUTE pg_catalog.format($q$
            SELECT pg_catalog.format(', chosen by the mean absolute error of the customers'' purchase days from %%s to %%s (the first within 1e-6 of the least): %%s',
                                     pg_catalog.to_char(pg_catalog.min(e.calibration_end) OPERATOR(pg_catalog.+) 1, 'YYYY-MM-DD'),
                                     pg_catalog.to_char(pg_catalog.max(e.holdout_end), 'YYYY-MM-DD'),
                                     pg_catalog.string_agg(@extschema@.clv_purchase_model_label(e.model) OPERATOR(pg_catalog.||) ' '
                                                           OPERATOR(pg_catalog.||) coalesce(pg_catalog.round(e.mean_absolute_error::numeric, 3)::text, 'not fitted'),
                                                           ', ' ORDER BY e.model))
              FROM %I.model_evaluation e WHERE e.calibration_frequency IS NULL$q$, target_schema)
            INTO model_choice;
    END IF;
    EXECUTE pg_catalog.format($q$
        SELECT pg_catalog.count(*) AS customers, pg_catalog.sum(s.total_amount::float8) AS revenue,
               pg_catalog.sum(s.predicted_clv::float8) AS predicted, pg_catalog.avg(s.p_alive::float8) AS p_alive,
               pg_catalog.count(*) FILTER (WHERE s.declining::boolean) AS declining,
               pg_catalog.sum(s.value_at_risk::float8) AS at_risk,
               pg_catalog.percentile_cont(0.99) WITHIN GROUP (ORDER BY s.predicted_clv::float8) AS p99,
               pg_catalog.percentile_cont(0.01) WITHIN GROUP (ORDER BY s.predicted_clv::float8)
                   FILTER (WHERE s.predicted_clv::float8 OPERATOR(pg_catalog.>) 0) AS p01_positive,
               pg_catalog.array_agg(s.predicted_clv::float8) AS predicted_values
          FROM %I.customer_scores s$q$, target_schema) INTO kpis;

    -- 1. predicted CLV distribution: 20 bins of equal width on a log scale,
    -- from the 1st to the 99th percentile of the positive values (CLV is
    -- skewed: equal widths put most customers in the first bar), those
    -- below in the first, those above in the last; the tallest bar's count
    -- labels the y axis
    -- (no positive predicted CLV, a failed fit say: a scale of 1 cent to 1)
    top_bin := CASE WHEN kpis.p99 OPERATOR(pg_catalog.>) 0 THEN kpis.p99 ELSE 1 END;
    low_bin := least(greatest(coalesce(kpis.p01_positive, top_bin OPERATOR(pg_catalog./) 1000), 1e-9),
                     top_bin OPERATOR(pg_catalog./) 10);
    EXECUTE pg_catalog.format($q$
        WITH bins AS (
            SELECT b, pg_catalog.count(c.i) AS n
              FROM pg_catalog.generate_series(0, 19) b
              LEFT JOIN pg_catalog.unnest($2::float8[]) WITH ORDINALITY AS c(predicted_clv, i)
                     ON c.predicted_clv IS NOT NULL  -- not scored: in no bar (greatest() would skip the NULL)
                    AND least(greatest(pg_catalog.floor(pg_catalog.ln(greatest(c.predicted_clv::float8, $3) OPERATOR(pg_catalog./) $3)
                                                        OPERATOR(pg_catalog./) pg_catalog.ln($1 OPERATOR(pg_catalog./) $3)
                                                        OPERATOR(pg_catalog.*) 20), 0), 19)
                        OPERATOR(pg_catalog.=) b
             GROUP BY b),
        scaled AS (
            SELECT b, n, pg_catalog.max(n) OVER () AS tallest,
                   n::float8 OPERATOR(pg_catalog./) greatest(pg_catalog.max(n) OVER (), 1) AS h FROM bins)
        SELECT pg_catalog.string_agg(
                   pg_catalog.format('<rect class="bar" x="%%s" y="%%s" width="26" height="%%s"><title>%%s to %%s: %%s customers</title></rect>',
                                     40 OPERATOR(pg_catalog.+) (b OPERATOR(pg_catalog.*) 30),
                                     20 OPERATOR(pg_catalog.+) pg_catalog.round(200 OPERATOR(pg_catalog.*) (1 OPERATOR(pg_catalog.-) h)),
                                     greatest(pg_catalog.round(200 OPERATOR(pg_catalog.*) h), 1),
                                     @extschema@.clv_html_bound($3 OPERATOR(pg_catalog.*) pg_catalog.power($1 OPERATOR(pg_catalog./) $3,
                                                                b::float8 OPERATOR(pg_catalog./) 20), $4),
                                     @extschema@.clv_html_bound($3 OPERATOR(pg_catalog.*) pg_catalog.power($1 OPERATOR(pg_catalog./) $3,
                                                                (b OPERATOR(pg_catalog.+) 1)::float8 OPERATOR(pg_catalog./) 20), $4),
                                     n),
                   '' ORDER BY b)
               OPERATOR(pg_catalog.||)
               pg_catalog.format('<text x="2" y="28" class="axis">%%s</text><text x="2" y="222" class="axis">0</text>',
                                 pg_catalog.to_char(pg_catalog.max(tallest), 'FM999,999,990'))
               OPERATOR(pg_catalog.||)
               -- the x axis: the bounds of every fifth bar, the first and last
               -- below (a log scale: each tick the same ratio further)
               (SELECT pg_catalog.string_agg(
                           pg_catalog.format('<line class="tick" x1="%%s" y1="220" x2="%%s" y2="226"/><text x="%%s" y="240" class="axis tickl">%%s</text>',
                                             40 OPERATOR(pg_catalog.+) (t OPERATOR(pg_catalog.*) 30), 40 OPERATOR(pg_catalog.+) (t OPERATOR(pg_catalog.*) 30),
                                             40 OPERATOR(pg_catalog.+) (t OPERATOR(pg_catalog.*) 30),
                                             @extschema@.clv_html_bound($3 OPERATOR(pg_catalog.*) pg_catalog.power($1 OPERATOR(pg_catalog./) $3,
                                                                        t::float8 OPERATOR(pg_catalog./) 20), $4)),
                           '' ORDER BY t)
                  FROM pg_catalog.generate_series(5, 15, 5) t)
          FROM scaled$q$) INTO histogram USING top_bin, kpis.predicted_values, low_bin, currency;

    -- 2. predicted CLV by RFM segment
    EXECUTE pg_catalog.format($q$
        WITH g AS (SELECT r.rfm_segment::text AS rfm_segment, r.customers::bigint AS customers,
                          r.predicted_clv::float8 AS predicted_clv FROM %I.segments r),
             s AS (SELECT g.rfm_segment, g.customers, coalesce(g.predicted_clv, 0) AS v,
                          pg_catalog.row_number() OVER (ORDER BY g.predicted_clv DESC NULLS LAST, g.rfm_segment)
                              OPERATOR(pg_catalog.-) 1 AS i,
                          coalesce(g.predicted_clv, 0)
                              OPERATOR(pg_catalog./) greatest(pg_catalog.max(coalesce(g.predicted_clv, 0)) OVER (), 1e-9) AS w
                     FROM g)
        SELECT pg_catalog.string_agg(
                   pg_catalog.format('<text x="0" y="%%s" class="label">%%s</text><rect class="bar" x="170" y="%%s" width="%%s" height="18"><title>%%s customers, predicted CLV %%s</title></rect><text x="%%s" y="%%s" class="value">%%s</text>',
                                     34 OPERATOR(pg_catalog.+) (s.i OPERATOR(pg_catalog.*) 24),
                                     @extschema@.clv_html_escape(s.rfm_segment),
                                     20 OPERATOR(pg_catalog.+) (s.i OPERATOR(pg_catalog.*) 24),
                                     greatest(pg_catalog.round(400 OPERATOR(pg_catalog.*) s.w), 1), s.customers,
                                     @extschema@.clv_html_amount(s.v, $1),
                                     176 OPERATOR(pg_catalog.+) pg_catalog.round(400 OPERATOR(pg_catalog.*) s.w),
                                     34 OPERATOR(pg_catalog.+) (s.i OPERATOR(pg_catalog.*) 24),
                                     @extschema@.clv_html_amount(s.v, $1)),
                   '' ORDER BY s.i),
               pg_catalog.max(s.i) OPERATOR(pg_catalog.+) 1
          FROM s$q$, target_schema) INTO segments, nsegments USING currency;

    -- 3. cohort retention heat map: every monthly cohort, 12 months on, and
    -- a legend of its shades
    EXECUTE pg_catalog.format($q$
        WITH c AS (SELECT h.cohort::date AS cohort, h.period_number::integer AS period_number,
                          h.retention::float8 AS retention, h.cohort_customers::bigint AS cohort_customers
                     FROM %I.cohorts h),
             r AS (SELECT c.*, pg_catalog.dense_rank() OVER (ORDER BY c.cohort) OPERATOR(pg_catalog.-) 1 AS row,
                          -- shade against the best month-1+ retention, so the pattern shows
                          pg_catalog.max(c.retention) FILTER (WHERE c.period_number OPERATOR(pg_catalog.>=) 1) OVER () AS best
                     FROM c)
        SELECT coalesce(pg_catalog.string_agg(
                            pg_catalog.format('<rect class="cell" x="%%s" y="%%s" width="34" height="20" style="fill-opacity:%%s"><title>%%s, month %%s: %%s%%%%</title></rect><text class="cellnum" x="%%s" y="%%s">%%s</text>',
                                              130 OPERATOR(pg_catalog.+) (r.period_number OPERATOR(pg_catalog.*) 36),
                                              20 OPERATOR(pg_catalog.+) (r.row OPERATOR(pg_catalog.*) 22),
                                              pg_catalog.round(greatest(CASE WHEN r.best OPERATOR(pg_catalog.=) 0 THEN NULL
                                                                             ELSE r.retention OPERATOR(pg_catalog./) r.best END,
                                                                        0.05)::numeric, 3),
                                              pg_catalog.to_char(r.cohort, 'YYYY-MM'), r.period_number,
                                              pg_catalog.round((100 OPERATOR(pg_catalog.*) r.retention)::numeric, 1),
                                              147 OPERATOR(pg_catalog.+) (r.period_number OPERATOR(pg_catalog.*) 36),
                                              34 OPERATOR(pg_catalog.+) (r.row OPERATOR(pg_catalog.*) 22),
                                              pg_catalog.round((100 OPERATOR(pg_catalog.*) r.retention)::numeric)),
                            '' ORDER BY r.row, r.period_number)
                            FILTER (WHERE r.period_number OPERATOR(pg_catalog.>=) 1 AND r.period_number OPERATOR(pg_catalog.<=) 12), '')
               OPERATOR(pg_catalog.||)
               coalesce(pg_catalog.string_agg(DISTINCT pg_catalog.format('<text x="0" y="%%s" class="label">%%s (%%s)</text>',
                                                                         34 OPERATOR(pg_catalog.+) (r.row OPERATOR(pg_catalog.*) 22),
                                                                         pg_catalog.to_char(r.cohort, 'YYYY-MM'),
                                                                         pg_catalog.to_char(r.cohort_customers, 'FM999,999,990')), ''), '')
               OPERATOR(pg_catalog.||)
               (SELECT pg_catalog.string_agg(pg_catalog.format('<text x="%%s" y="14" class="axis">%%s</text>',
                                                               140 OPERATOR(pg_catalog.+) (m OPERATOR(pg_catalog.*) 36), m), '')
                  FROM pg_catalog.generate_series(1, 12) m)
               OPERATOR(pg_catalog.||)
               -- the legend, under the last row: five shades and the
               -- retention each stands for
               CASE WHEN pg_catalog.max(r.best) OPERATOR(pg_catalog.>) 0 THEN
               coalesce((SELECT pg_catalog.string_agg(
                                    pg_catalog.format('<rect class="cell" x="%%s" y="%%s" width="34" height="14" style="fill-opacity:%%s"/><text class="cellnum" x="%%s" y="%%s">%%s%%%%</text>',
                                                      130 OPERATOR(pg_catalog.+) (k OPERATOR(pg_catalog.*) 60),
                                                      pg_catalog.max(r.row) OPERATOR(pg_catalog.*) 22 OPERATOR(pg_catalog.+) 52,
                                                      k::float8 OPERATOR(pg_catalog./) 5, 147 OPERATOR(pg_catalog.+) (k OPERATOR(pg_catalog.*) 60),
                                                      pg_catalog.max(r.row) OPERATOR(pg_catalog.*) 22 OPERATOR(pg_catalog.+) 78,
                                                      pg_catalog.round((100 OPERATOR(pg_catalog.*) pg_catalog.max(r.best)
                                                                        OPERATOR(pg_catalog.*) k OPERATOR(pg_catalog./) 5)::numeric, 1)),
                                    '' ORDER BY k)
                           FROM pg_catalog.generate_series(1, 5) k)
                        OPERATOR(pg_catalog.||)
                        pg_catalog.format('<text x="0" y="%%s" class="label">shade: retention</text>',
                                          pg_catalog.max(r.row) OPERATOR(pg_catalog.*) 22 OPERATOR(pg_catalog.+) 63), '')
               ELSE '' END,
               -- rows, legend and month labels
               coalesce(pg_catalog.max(r.row) OPERATOR(pg_catalog.+) 1, 0) OPERATOR(pg_catalog.*) 22 OPERATOR(pg_catalog.+) 90
          FROM r$q$, target_schema) INTO heatmap, heatmap_height;

    -- 4. the declining customers with the most value at risk
    EXECUTE pg_catalog.format($q$
        SELECT coalesce(pg_catalog.string_agg(
                            pg_catalog.format('<tr><td>%%s</td><td>%%s</td><td class="num">%%s</td><td>%%s</td></tr>',
                                              @extschema@.clv_html_escape(pg_catalog.format('%%s', d.customer_id)),
                                              @extschema@.clv_html_escape(coalesce(d.rfm_segment::text, '')),
                                              @extschema@.clv_html_amount(d.value_at_risk::float8, $1),
                                              @extschema@.clv_html_escape(d.decline_alert::text)),
                            '' ORDER BY d.value_at_risk DESC), '')
          FROM (SELECT s.* FROM %I.declining_customers s
                 WHERE s.value_at_risk IS NOT NULL ORDER BY s.rank::bigint LIMIT 10) d$q$, target_schema)
        INTO declining USING currency;

    -- 5. monthly revenue of the last 24 months as bars (the partial month
    -- paler), the seasonally adjusted revenue as a line, a legend, the
    -- y axis labelled with the highest value and every third month named
    EXECUTE pg_catalog.format($q$
        WITH m AS (SELECT x.month::date AS month, x.revenue::float8 AS revenue, x.seasonal_index::float8 AS seasonal_index,
                          x.revenue_seasonally_adjusted::float8 AS adjusted, x.partial_month::boolean AS partial_month
                     FROM %I.monthly x ORDER BY x.month DESC LIMIT 24),
             s AS (SELECT m.*, pg_catalog.row_number() OVER (ORDER BY m.month) OPERATOR(pg_catalog.-) 1 AS i,
                          greatest(pg_catalog.max(greatest(m.revenue, coalesce(m.adjusted, 0))) OVER (), 1e-9) AS top
                     FROM m)
        SELECT pg_catalog.string_agg(
                   pg_catalog.format('<rect class="%%s" x="%%s" y="%%s" width="20" height="%%s"><title>%%s: revenue %%s, seasonal index %%s%%s</title></rect>',
                                     CASE WHEN s.partial_month THEN 'bar partial' ELSE 'bar' END,
                                     70 OPERATOR(pg_catalog.+) (s.i OPERATOR(pg_catalog.*) 26),
                                     30 OPERATOR(pg_catalog.+) pg_catalog.round(200 OPERATOR(pg_catalog.*)
                                         (1 OPERATOR(pg_catalog.-) (greatest(s.revenue, 0) OPERATOR(pg_catalog./) s.top))),
                                     greatest(pg_catalog.round(200 OPERATOR(pg_catalog.*) greatest(s.revenue, 0) OPERATOR(pg_catalog./) s.top), 1),
                                     pg_catalog.to_char(s.month, 'YYYY-MM'), @extschema@.clv_html_amount(s.revenue, $1),
                                     coalesce(pg_catalog.to_char(s.seasonal_index, 'FM990.00'), 'none'),
                                     CASE WHEN s.partial_month THEN ' (partial month)' ELSE '' END)
                   OPERATOR(pg_catalog.||)
                   CASE WHEN s.i OPERATOR(pg_catalog.%%) 3 OPERATOR(pg_catalog.=) 0
                        THEN pg_catalog.format('<text x="%%s" y="246" class="axis">%%s</text>',
                                               66 OPERATOR(pg_catalog.+) (s.i OPERATOR(pg_catalog.*) 26), pg_catalog.to_char(s.month, 'YYYY-MM'))
                        ELSE '' END,
                   '' ORDER BY s.i)
               OPERATOR(pg_catalog.||)
               coalesce(pg_catalog.format('<polyline class="line" points="%%s"/>',
                                          pg_catalog.string_agg(pg_catalog.format('%%s,%%s', 80 OPERATOR(pg_catalog.+) (s.i OPERATOR(pg_catalog.*) 26),
                                                                                  30 OPERATOR(pg_catalog.+) pg_catalog.round(200 OPERATOR(pg_catalog.*)
                                                                                      (1 OPERATOR(pg_catalog.-) (greatest(s.adjusted, 0) OPERATOR(pg_catalog./) s.top)))),
                                                                ' ' ORDER BY s.i) FILTER (WHERE s.adjusted IS NOT NULL)), '')
               OPERATOR(pg_catalog.||)
               pg_catalog.format('<text x="2" y="38" class="axis">%%s</text><text x="2" y="232" class="axis">0</text>',
                                 @extschema@.clv_html_amount(pg_catalog.max(s.top), $1))
          FROM s$q$, target_schema) INTO monthly USING currency;

    -- 6. the value tiers, best first
    EXECUTE pg_catalog.format($q$
        SELECT pg_catalog.string_agg(
                   pg_catalog.format('<tr><td>%%s</td><td class="num">%%s</td><td class="num">%%s</td><td class="num">%%s</td><td class="num">%%s</td></tr>',
                                     @extschema@.clv_html_escape(t.value_tier::text),
                                     pg_catalog.to_char(t.customers::bigint, 'FM999,999,999,990'),
                                     @extschema@.clv_html_amount(t.min_predicted_clv::float8, $1),
                                     @extschema@.clv_html_amount(t.predicted_clv::float8, $1),
                                     coalesce(pg_catalog.to_char(100 OPERATOR(pg_catalog.*) t.share_of_predicted_clv::float8, 'FM990.0') OPERATOR(pg_catalog.||) '%%', '')),
                   '' ORDER BY t.min_predicted_clv::float8 DESC NULLS LAST, t.value_tier::text)
          FROM %I.value_tiers t$q$, target_schema) INTO tiers USING currency;

    -- 7. the channels, when the orders name them: predicted CLV credited to
    -- each by four rules
    IF registry.has_channels THEN
        EXECUTE pg_catalog.format($q$
            SELECT '<table id="channels"><tr><th>channel</th><th>customers</th><th>orders</th><th>revenue</th>'
                   '<th>predicted CLV, first touch</th><th>last touch</th><th>linear</th><th>position based</th></tr>'
                   OPERATOR(pg_catalog.||)
                   coalesce(pg_catalog.string_agg(
                       pg_catalog.format('<tr><td>%%s</td><td class="num">%%s</td><td class="num">%%s</td><td class="num">%%s</td><td class="num">%%s</td><td class="num">%%s</td><td class="num">%%s</td><td class="num">%%s</td></tr>',
                                         @extschema@.clv_html_escape(c.channel::text),
                                         pg_catalog.to_char(c.customers::bigint, 'FM999,999,999,990'),
                                         pg_catalog.to_char(c.orders::bigint, 'FM999,999,999,990'),
                                         @extschema@.clv_html_amount(c.revenue::float8, $1),
                                         @extschema@.clv_html_amount(c.predicted_clv_first_touch::float8, $1),
                                         @extschema@.clv_html_amount(c.predicted_clv_last_touch::float8, $1),
                                         @extschema@.clv_html_amount(c.predicted_clv_linear::float8, $1),
                                         @extschema@.clv_html_amount(c.predicted_clv_position_based::float8, $1)),
                       '' ORDER BY c.predicted_clv_linear::float8 DESC NULLS LAST, c.channel::text), '')
                   OPERATOR(pg_catalog.||) '</table>'
              FROM %I.channels c$q$, target_schema) INTO channels USING currency;
    ELSE
        channels := '<p class="note" id="channels">The orders name no channel: give channel to clv_create_pipeline to see predicted CLV by channel.</p>';
    END IF;

    -- lint: allow non-sql-string (an HTML page template, not SQL)
    RETURN pg_catalog.format($html$<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>%1$s</title>
<style>
body { font-family: sans-serif; margin: 24px; color: #222; max-width: 1100px; }
h1 { font-size: 22px; } h2 { font-size: 17px; margin-top: 28px; }
.kpis { display: flex; gap: 28px; } .kpi b { display: block; font-size: 20px; }
svg { background: #fafafa; border: 1px solid #ddd; }
.bar { fill: #2f6f9f; } .bar.partial { fill: #9dbfd8; } .line { fill: none; stroke: #c0392b; stroke-width: 2; } .cell { fill: #1a7f4b; } .label, .value, .axis { font-size: 12px; fill: #333; }
.cellnum { font-size: 10px; fill: #111; text-anchor: middle; } .tick { stroke: #333; } .tickl { text-anchor: middle; } .note { font-size: 13px; color: #555; }
table { border-collapse: collapse; font-size: 13px; } td, th { border-bottom: 1px solid #ddd; padding: 4px 8px; text-align: left; }
.num { text-align: right; }
</style></head>
<body>
<h1>%1$s</h1>
<p>Pipeline <code>%2$s</code>: data up to %3$s (%16$s), refreshed %17$s.</p>
<p id="clv-basis">Predicted CLV: %18$s.</p>
<div class="kpis">
<div class="kpi"><b>%4$s</b>customers</div>
<div class="kpi"><b>%5$s</b>net revenue so far</div>
<div class="kpi"><b>%6$s</b>predicted CLV, all customers</div>
<div class="kpi"><b>%7$s</b>mean P(alive)</div>
<div class="kpi"><b>%8$s</b>declining, with %9$s at risk</div>
</div>
<h2>Predicted CLV per customer</h2>
<svg id="chart-distribution" class="chart" width="680" height="262" role="img" aria-label="histogram of predicted CLV, log scale">
%10$s
<text x="40" y="256" class="axis">%19$s or less</text><text x="640" y="256" class="axis" text-anchor="end">%11$s and more</text>
</svg>
<p class="note">Customers (y axis) by predicted CLV (x axis, log scale: each bar spans the same ratio of values).</p>
<h2>Predicted CLV by RFM segment</h2>
<svg id="chart-segments" class="chart" width="660" height="%12$s" role="img" aria-label="predicted CLV by segment">
%13$s
</svg>
<h2>Cohort retention: share of each month's new customers buying 1 to 12 months later</h2>
<svg id="chart-cohorts" class="chart" width="620" height="%23$s" role="img" aria-label="cohort retention heat map, darker is higher">
%14$s
</svg>
<p class="note">Rows: the month of the first order, with the cohort's size in brackets. Columns: months since. Cells: the percentage of the cohort that bought that month; darker is higher, as the legend under the map shows.</p>
<h2>Monthly revenue, and seasonally adjusted</h2>
<svg id="chart-monthly" class="chart" width="720" height="260" role="img" aria-label="monthly revenue, last 24 months">
<rect class="bar" x="420" y="6" width="10" height="10"/><text x="434" y="15" class="axis">revenue</text>
<rect class="bar partial" x="490" y="6" width="10" height="10"/><text x="504" y="15" class="axis">partial month</text>
<line class="line" x1="590" y1="11" x2="606" y2="11"/><text x="610" y="15" class="axis">seasonally adjusted</text>
%20$s
</svg>
<p class="note">Net revenue of each calendar month (y axis) for the last 24 months; the line divides it by the month's seasonal index, so that a month that is low only for the time of year does not look like a decline.</p>
<h2>Value tiers</h2>
<table id="value-tiers"><tr><th>tier</th><th>customers</th><th>lowest predicted CLV</th><th>predicted CLV</th><th>share</th></tr>
%21$s
</table>
<h2>Predicted CLV by channel</h2>
%22$s
<h2>Declining customers with the most value at risk</h2>
<table><tr><th>customer</th><th>segment</th><th>at risk</th><th>why</th></tr>
%15$s
</table>
<script>
// The test suite opens this page in headless Chromium: count the charts that drew something.
var ok = 0;
document.querySelectorAll("svg.chart").forEach(function (svg) {
  var drawn = Array.prototype.filter.call(svg.querySelectorAll("rect"), function (r) {
    var b = r.getBBox(); return b.width > 0 && b.height > 0;
  });
  if (drawn.length > 0) ok++;
});
document.body.setAttribute("data-charts-drawn", ok);
</script>
</body></html>
$html$,
        @extschema@.clv_html_escape(title), @extschema@.clv_html_escape(target_schema::pg_catalog.text),
        coalesce(pg_catalog.to_char(registry.observation_end, 'YYYY-MM-DD'), 'never'),
        pg_catalog.to_char(kpis.customers, 'FM999,999,999,990'), @extschema@.clv_html_amount(kpis.revenue, currency),
        @extschema@.clv_html_amount(kpis.predicted, currency), pg_catalog.to_char(kpis.p_alive, 'FM0.00'),
        pg_catalog.to_char(kpis.declining, 'FM999,999,990'), @extschema@.clv_html_amount(kpis.at_risk, currency),
        coalesce(histogram, ''), @extschema@.clv_html_bound(top_bin, currency),
        30 OPERATOR(pg_catalog.+) (24 OPERATOR(pg_catalog.*) coalesce(nsegments, 1)),
        coalesce(segments, ''), coalesce(heatmap, ''), coalesce(declining, ''),
        @extschema@.clv_html_escape(registry.time_zone),
        coalesce(pg_catalog.to_char(registry.refreshed_at AT TIME ZONE registry.time_zone, 'YYYY-MM-DD HH24:MI'), 'never'),
        @extschema@.clv_html_escape(
            pg_catalog.format('the gross margin of the next %s periods of %s days, discounted at %s%% a period, at a gross margin of %s%s; purchases from %s%s, spend from Gamma-Gamma',
                              registry.periods, registry.period_days, registry.discount_rate OPERATOR(pg_catalog.*) 100,
                              registry.gross_margin,
                              CASE WHEN registry.gross_margin OPERATOR(pg_catalog.=) 1
                                   THEN ' (so it is revenue: give gross_margin when the pipeline is made)' ELSE '' END,
                              registry.purchases, model_choice)
            OPERATOR(pg_catalog.||)
            CASE WHEN currency OPERATOR(pg_catalog.=) ''
                 THEN pg_catalog.format('. Amounts are in the currency of %s (give clv_report_html a currency to show it)',
                                        registry.amounts)
                 ELSE pg_catalog.format('. Amounts (%s) are shown in %s', registry.amounts, pg_catalog.btrim(currency)) END),
        @extschema@.clv_html_bound(low_bin, currency),
        coalesce(monthly, ''), coalesce(tiers, ''), coalesce(channels, ''), coalesce(heatmap_height, 90));
END
$$;

-- The entry point: for whoever may SELECT the tables the report reads, which
-- it reads as the pipeline's owner (src/pipeline_owner.c).
-- 0.3.0's took no currency
DROP FUNCTION @extschema@.clv_report_html(pg_catalog.name, pg_catalog.text);
CREATE FUNCTION @extschema@.clv_report_html(
    target_schema name DEFAULT 'clv_report', title text DEFAULT 'Customer lifetime value', currency text DEFAULT '')
RETURNS text AS 'MODULE_PATHNAME', 'clv_report_html'
LANGUAGE C STABLE;

COMMENT ON FUNCTION @extschema@.clv_report_html(name, text, text) IS
'a self-contained HTML page with SVG charts of a pipeline, for whoever may read its tables (read as the pipeline''s owner): what predicted CLV is (horizon, discount, margin, currency), KPIs, the predicted CLV distribution, value by RFM segment, a cohort retention heat map, monthly revenue with its seasonal adjustment, the value tiers, CLV by channel and the top declining customers; currency is written before every amount, such as ''$'' or ''EUR ''';

COMMENT ON FUNCTION @extschema@.clv_cac_ratio(float8, float8) IS
'CLV divided by customer acquisition cost; NULL when the cost is 0; 3 or more is the usual rule of thumb';

------------------------------------------------------------------------------
-- The schema clv lives in keeps its name (src/extension_guard.c)
------------------------------------------------------------------------------

-- clv's bodies name each other with this schema's name: renamed, it could be
-- replaced by a schema of someone else's holding functions of the same
-- names, which clv's bodies would call with their callers' rights.
CREATE FUNCTION @extschema@.clv_guard_extension_schema()
RETURNS event_trigger AS 'MODULE_PATHNAME', 'clv_guard_extension_schema'
LANGUAGE C;

CREATE EVENT TRIGGER clv_guard_extension_schema ON ddl_command_start
    WHEN TAG IN ('ALTER SCHEMA')
    EXECUTE FUNCTION @extschema@.clv_guard_extension_schema();

COMMENT ON FUNCTION @extschema@.clv_guard_extension_schema() IS
'internal: refuses to rename the schema that holds clv, whose functions name each other with it';

------------------------------------------------------------------------------
-- BG/BB, purchases at discrete opportunities (src/bgbb.c); scored by
-- clv_p_alive, clv_expected_purchases and clv_expected_purchases_new
------------------------------------------------------------------------------

-- The fit state is the bigint[] of patterns above, of (frequency, recency,
-- periods) with the customers who share each.
CREATE FUNCTION @extschema@.clv_fit_bgbb_transfn(
    state bigint[], frequency float8, recency float8, periods float8)
RETURNS bigint[] AS 'MODULE_PATHNAME', 'clv_fit_bgbb_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.clv_fit_bgbb_transfn(
    state bigint[], frequency float8, recency float8, periods float8, customers bigint)
RETURNS bigint[] AS 'MODULE_PATHNAME', 'clv_fit_bgbb_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.clv_fit_bgbb_transfn(
    state bigint[], frequency float8, recency float8, periods float8, customers bigint, penalizer float8)
RETURNS bigint[] AS 'MODULE_PATHNAME', 'clv_fit_bgbb_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.clv_fit_bgbb_final(bigint[])
RETURNS @extschema@.clv_model AS 'MODULE_PATHNAME', 'clv_fit_bgbb_final'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE AGGREGATE @extschema@.clv_fit_bgbb(frequency float8, recency float8, periods float8) (
    SFUNC = @extschema@.clv_fit_bgbb_transfn, STYPE = bigint[],
    FINALFUNC = @extschema@.clv_fit_bgbb_final,
    COMBINEFUNC = @extschema@.clv_fit_patterns_combine, PARALLEL = SAFE);

CREATE AGGREGATE @extschema@.clv_fit_bgbb(frequency float8, recency float8, periods float8, customers bigint) (
    SFUNC = @extschema@.clv_fit_bgbb_transfn, STYPE = bigint[],
    FINALFUNC = @extschema@.clv_fit_bgbb_final,
    COMBINEFUNC = @extschema@.clv_fit_patterns_combine, PARALLEL = SAFE);

CREATE AGGREGATE @extschema@.clv_fit_bgbb(
    frequency float8, recency float8, periods float8, customers bigint, penalizer float8) (
    SFUNC = @extschema@.clv_fit_bgbb_transfn, STYPE = bigint[],
    FINALFUNC = @extschema@.clv_fit_bgbb_final,
    COMBINEFUNC = @extschema@.clv_fit_patterns_combine, PARALLEL = SAFE);

COMMENT ON AGGREGATE @extschema@.clv_fit_bgbb(float8, float8, float8) IS
'BG/BB (Fader, Hardie & Shang 2010) fitted by maximum likelihood over customers'' discrete-time histories: transactions after the first opportunity (frequency), the last opportunity with one (recency) and the opportunities since the first (periods)';

COMMENT ON AGGREGATE @extschema@.clv_fit_bgbb(float8, float8, float8, bigint) IS
'BG/BB over a table of histories, each with the number of customers who share it; rows with 0 customers are left out';

COMMENT ON AGGREGATE @extschema@.clv_fit_bgbb(float8, float8, float8, bigint, float8) IS
'BG/BB over a table of histories with their customers, with an L2 penalizer';

CREATE FUNCTION @extschema@.clv_bgbb_pmf(model @extschema@.clv_model, frequency float8, periods float8)
RETURNS float8 AS 'MODULE_PATHNAME', 'clv_bgbb_pmf'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 100;

COMMENT ON FUNCTION @extschema@.clv_bgbb_pmf(@extschema@.clv_model, float8, float8) IS
'BG/BB: the probability that a new customer transacts at exactly frequency of its first periods opportunities after the first';

COMMENT ON FUNCTION @extschema@.clv_p_alive(@extschema@.clv_model, float8, float8, float8) IS
'probability that the customer is still active, given frequency, recency and age (BG/NBD, MBG/NBD, Pareto/NBD); for BG/BB age is the periods, and the probability is of being active at the next opportunity';

COMMENT ON FUNCTION @extschema@.clv_expected_purchases(@extschema@.clv_model, float8, float8, float8, float8) IS
'expected purchases in the next t time units, given frequency, recency and age; for BG/BB, in the next t opportunities, age being the periods';

COMMENT ON FUNCTION @extschema@.clv_expected_purchases_new(@extschema@.clv_model, float8) IS
'expected purchases of a newly acquired customer in its first t time units (BG/BB: opportunities after the first)';

------------------------------------------------------------------------------
-- sBG, the subscription model (src/sbg.c)
------------------------------------------------------------------------------

-- The fit state is the bigint[] of patterns above, of (churned, periods)
-- with the subscribers who share each.
CREATE FUNCTION @extschema@.clv_fit_sbg_transfn(state bigint[], periods float8, churned boolean)
RETURNS bigint[] AS 'MODULE_PATHNAME', 'clv_fit_sbg_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.clv_fit_sbg_transfn(state bigint[], periods float8, churned boolean, customers bigint)
RETURNS bigint[] AS 'MODULE_PATHNAME', 'clv_fit_sbg_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.clv_fit_sbg_transfn(
    state bigint[], periods float8, churned boolean, customers bigint, penalizer float8)
RETURNS bigint[] AS 'MODULE_PATHNAME', 'clv_fit_sbg_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.clv_fit_sbg_transfn(state bigint[], survivors bigint[])
RETURNS bigint[] AS 'MODULE_PATHNAME', 'clv_fit_sbg_survivors_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.clv_fit_sbg_transfn(state bigint[], survivors bigint[], penalizer float8)
RETURNS bigint[] AS 'MODULE_PATHNAME', 'clv_fit_sbg_survivors_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.clv_fit_sbg_final(bigint[])
RETURNS @extschema@.clv_model AS 'MODULE_PATHNAME', 'clv_fit_sbg_final'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE AGGREGATE @extschema@.clv_fit_sbg(periods float8, churned boolean) (
    SFUNC = @extschema@.clv_fit_sbg_transfn, STYPE = bigint[],
    FINALFUNC = @extschema@.clv_fit_sbg_final,
    COMBINEFUNC = @extschema@.clv_fit_patterns_combine, PARALLEL = SAFE);

CREATE AGGREGATE @extschema@.clv_fit_sbg(periods float8, churned boolean, customers bigint) (
    SFUNC = @extschema@.clv_fit_sbg_transfn, STYPE = bigint[],
    FINALFUNC = @extschema@.clv_fit_sbg_final,
    COMBINEFUNC = @extschema@.clv_fit_patterns_combine, PARALLEL = SAFE);

CREATE AGGREGATE @extschema@.clv_fit_sbg(periods float8, churned boolean, customers bigint, penalizer float8) (
    SFUNC = @extschema@.clv_fit_sbg_transfn, STYPE = bigint[],
    FINALFUNC = @extschema@.clv_fit_sbg_final,
    COMBINEFUNC = @extschema@.clv_fit_patterns_combine, PARALLEL = SAFE);

CREATE AGGREGATE @extschema@.clv_fit_sbg(survivors bigint[]) (
    SFUNC = @extschema@.clv_fit_sbg_transfn, STYPE = bigint[],
    FINALFUNC = @extschema@.clv_fit_sbg_final,
    COMBINEFUNC = @extschema@.clv_fit_patterns_combine, PARALLEL = SAFE);

CREATE AGGREGATE @extschema@.clv_fit_sbg(survivors bigint[], penalizer float8) (
    SFUNC = @extschema@.clv_fit_sbg_transfn, STYPE = bigint[],
    FINALFUNC = @extschema@.clv_fit_sbg_final,
    COMBINEFUNC = @extschema@.clv_fit_patterns_combine, PARALLEL = SAFE);

COMMENT ON AGGREGATE @extschema@.clv_fit_sbg(float8, boolean) IS
'sBG (Fader & Hardie 2007) fitted by maximum likelihood over subscribers: for one that left, the periods it paid for; for one still there, the periods it has completed (its renewals); and whether it left';

COMMENT ON AGGREGATE @extschema@.clv_fit_sbg(float8, boolean, bigint) IS
'sBG over a table of (periods, churned) with the subscribers who share each; rows with 0 subscribers are left out';

COMMENT ON AGGREGATE @extschema@.clv_fit_sbg(float8, boolean, bigint, float8) IS
'sBG over a table of (periods, churned) with their subscribers, with an L2 penalizer';

COMMENT ON AGGREGATE @extschema@.clv_fit_sbg(bigint[]) IS
'sBG over cohorts'' survival counts, one row per cohort: its size at acquisition, then how many are still subscribed after 1, 2, ... periods';

COMMENT ON AGGREGATE @extschema@.clv_fit_sbg(bigint[], float8) IS
'sBG over cohorts'' survival counts, with an L2 penalizer';

CREATE FUNCTION @extschema@.clv_sbg_survival(model @extschema@.clv_model, periods float8)
RETURNS float8 AS 'MODULE_PATHNAME', 'clv_sbg_survival'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.clv_sbg_retention(model @extschema@.clv_model, period float8)
RETURNS float8 AS 'MODULE_PATHNAME', 'clv_sbg_retention'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.clv_sbg_expected_payments(model @extschema@.clv_model, discount_rate float8)
RETURNS float8 AS 'MODULE_PATHNAME', 'clv_sbg_expected_payments'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 100;

CREATE FUNCTION @extschema@.clv_sbg_expected_payments(
    model @extschema@.clv_model, discount_rate float8, renewals float8)
RETURNS float8 AS 'MODULE_PATHNAME', 'clv_sbg_expected_payments'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 100;

COMMENT ON FUNCTION @extschema@.clv_sbg_survival(@extschema@.clv_model, float8) IS
'sBG: the share of a new cohort still subscribed after periods periods';

COMMENT ON FUNCTION @extschema@.clv_sbg_retention(@extschema@.clv_model, float8) IS
'sBG: the share of those subscribed for period - 1 periods who renew for period period; it rises with tenure';

COMMENT ON FUNCTION @extschema@.clv_sbg_expected_payments(@extschema@.clv_model, float8) IS
'sBG: a new subscriber''s expected number of payments, the first included, each discounted by (1 + discount_rate) per period (DEL; times the margin per payment, its expected CLV); at discount_rate 0 its expected lifetime';

COMMENT ON FUNCTION @extschema@.clv_sbg_expected_payments(@extschema@.clv_model, float8, float8) IS
'sBG: the expected discounted number of further payments of a subscriber that has renewed renewals times, from its next renewal on (DERL; times the margin per payment, its expected residual value)';

------------------------------------------------------------------------------
-- One convention for horizons and the margin: the horizon forms of the
-- predicted value (src/value.c, src/interval.c)
------------------------------------------------------------------------------

-- The convention's forms (docs/reference.md#conventions): the horizon an
-- interval, the margin a fraction named gross_margin as everywhere else.
-- The forms above keep the names that calls written for 0.3.0 use.
CREATE FUNCTION @extschema@.clv_horizon_periods(horizon interval, period interval)
RETURNS integer AS 'MODULE_PATHNAME', 'clv_horizon_periods_sql'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.clv_horizon_periods(interval, interval) IS
'how many periods a horizon holds: months by months when both are whole months (''1 year'' holds 12 of ''1 month''), else lengths by lengths; an error unless it is a whole number';

CREATE FUNCTION @extschema@.clv_predicted_value(
    purchase_model @extschema@.clv_model, spend_model @extschema@.clv_model,
    summary @extschema@.clv_summary, horizon interval, period interval,
    discount_rate float8, gross_margin float8 DEFAULT 1)
RETURNS float8 AS 'MODULE_PATHNAME', 'clv_predicted_value_horizon'
LANGUAGE C IMMUTABLE PARALLEL SAFE COST 100;

COMMENT ON FUNCTION @extschema@.clv_predicted_value(@extschema@.clv_model, @extschema@.clv_model, @extschema@.clv_summary, interval, interval, float8, float8) IS
'discounted CLV over the horizon, in periods of the given length, discounted at discount_rate a period, times gross_margin (a fraction; NULL is 1); NULL for a NULL model or summary';

CREATE FUNCTION @extschema@.clv_predicted_value_interval(
    purchase_model @extschema@.clv_model, spend_model @extschema@.clv_model,
    summary @extschema@.clv_summary, horizon interval, period interval,
    discount_rate float8, gross_margin float8 DEFAULT 1, level float8 DEFAULT 0.95)
RETURNS @extschema@.clv_interval AS 'MODULE_PATHNAME', 'clv_predicted_value_interval_horizon'
LANGUAGE C IMMUTABLE PARALLEL SAFE COST 100;

COMMENT ON FUNCTION @extschema@.clv_predicted_value_interval(@extschema@.clv_model, @extschema@.clv_model, @extschema@.clv_summary, interval, interval, float8, float8, float8) IS
'clv_predicted_value over a horizon with a delta-method interval from both models'' parameter covariances';

------------------------------------------------------------------------------
-- Is the model any good?  Every model fitted on a calibration window, and
-- its predictions compared with what each customer did in the holdout window
-- after it (Fader, Hardie & Lee 2005, "Counting your customers the easy
-- way", the conditional-expectations figure and the holdout totals)
------------------------------------------------------------------------------

CREATE FUNCTION @extschema@.clv_evaluate(
    orders          regclass,
    customer        name,
    ordered_at      name,
    amount          name,
    calibration_end date,
    holdout_end     date,
    time_unit       interval DEFAULT '1 day',
    time_zone       text     DEFAULT pg_catalog.current_setting('TimeZone'),
    penalizer       float8   DEFAULT 0,
    max_frequency   integer  DEFAULT 7,
    covariates      regclass DEFAULT NULL,
    covariate_column name    DEFAULT 'covariates')
RETURNS TABLE (model text, calibration_frequency integer, customers bigint,
               actual_total float8, predicted_total float8, actual_mean float8, predicted_mean float8,
               mean_absolute_error float8, root_mean_squared_error float8, correlation float8,
               log_likelihood float8, bic float8, error text, fitted @extschema@.clv_model)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    day_of text;
    amount_type regtype;
    amount_value text;
    -- the holdout's length in time units, as the summaries count them
    horizon float8;
    kind text;
    -- the model's kind without "+covariates", and whether it takes them
    base text;
    with_covariates boolean;
    fitted @extschema@.clv_model;
    failure text;
    left_out bigint;
    duplicates bigint;
    kinds text[] := ARRAY['bgnbd', 'mbgnbd', 'paretonbd', 'mbgcnbd', 'bgcnbd', 'gammagamma'];
BEGIN
    IF orders IS NULL OR customer IS NULL OR ordered_at IS NULL OR amount IS NULL
       OR calibration_end IS NULL OR holdout_end IS NULL OR time_zone IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'null_value_not_allowed',
            MESSAGE = 'clv_evaluate: orders, customer, ordered_at, amount, calibration_end, holdout_end and time_zone must not be NULL';
    END IF;
    -- clv's names in its schema clv's, and a schema name that the SQL built
    -- below reads as it is (src/extension_guard.c)
    PERFORM @extschema@.clv_check_extension_functions();
    -- an option given as NULL takes the signature's default (the NULL rule)
    time_unit := coalesce(time_unit, '1 day');
    penalizer := coalesce(penalizer, 0);
    max_frequency := coalesce(max_frequency, 7);
    covariate_column := coalesce(covariate_column, 'covariates');
    IF NOT (pg_catalog.isfinite(calibration_end) AND pg_catalog.isfinite(holdout_end))
       OR holdout_end OPERATOR(pg_catalog.<=) calibration_end THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = pg_catalog.format('the holdout must end after the calibration: %s is not after %s',
                                        holdout_end, calibration_end);
    END IF;
    IF NOT (penalizer OPERATOR(pg_catalog.>=) 0 AND penalizer OPERATOR(pg_catalog.<) 'infinity'::pg_catalog.float8) THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = pg_catalog.format('penalizer must be a finite number of 0 or more, not %s', penalizer);
    END IF;
    IF max_frequency OPERATOR(pg_catalog.<) 1 THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = pg_catalog.format('max_frequency must be 1 or more, not %s', max_frequency);
    END IF;
    IF NOT (EXTRACT(epoch FROM time_unit) OPERATOR(pg_catalog.>) 0) THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = pg_catalog.format('time_unit must be a positive interval, not %s', time_unit);
    END IF;
    PERFORM @extschema@.clv_time_zone_checked(time_zone);
    day_of := @extschema@.clv_orders_day_sql(orders, customer, ordered_at, time_zone);
    SELECT @extschema@.clv_base_type(a.atttypid::pg_catalog.regtype) INTO amount_type
      FROM pg_catalog.pg_attribute a
     WHERE a.attrelid OPERATOR(pg_catalog.=) orders AND a.attname OPERATOR(pg_catalog.=) amount
       AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped;
    IF amount_type IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'undefined_column',
            MESSAGE = pg_catalog.format('column %I does not exist in %s', amount, orders);
    END IF;
    amount_value := @extschema@.clv_amount_sql(amount_type, pg_catalog.format('%I', amount));
    IF amount_value IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'datatype_mismatch',
            MESSAGE = pg_catalog.format('column %I of %s must be a number, not %s', amount, orders, amount_type);
    END IF;
    horizon := (holdout_end OPERATOR(pg_catalog.-) calibration_end)::float8 OPERATOR(pg_catalog.*) 86400
               OPERATOR(pg_catalog./) EXTRACT(epoch FROM time_unit)::float8;

    -- each customer acquired by the calibration end (an order of 0 or more:
    -- a refund alone acquires no one): the calibration summary,
    -- and the purchase days (orders of 0 or more) and their amount after it,
    -- up to the holdout end; the rows a pipeline would reject are left out
    -- (one that exists is the caller's own: this one lives only during a call)
    IF pg_catalog.to_regclass('pg_temp.clv_evaluation_split') IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'duplicate_table',
            MESSAGE = 'a temporary relation clv_evaluation_split exists, and clv_evaluate needs the name',
            HINT = 'Rename or drop it.';
    END IF;
    EXECUTE pg_catalog.format($q$
        CREATE TEMP TABLE clv_evaluation_split ON COMMIT DROP AS
        SELECT o.customer,
               @extschema@.clv_summary(o.day, o.amount::pg_catalog.float8, $1, $3)
                   FILTER (WHERE o.day OPERATOR(pg_catalog.<=) $1) AS calibration,
               -- (the same aggregate's state, which PostgreSQL computes once)
               @extschema@.clv_summary_log_gap_sum(
                   @extschema@.clv_summary_state(o.day, o.amount::pg_catalog.float8, $1, $3)
                       FILTER (WHERE o.day OPERATOR(pg_catalog.<=) $1)) AS calibration_log_gap_sum,
               pg_catalog.count(DISTINCT o.day)
                   FILTER (WHERE o.day OPERATOR(pg_catalog.>) $1 AND o.amount OPERATOR(pg_catalog.>=) 0) AS holdout_days,
               pg_catalog.sum(o.amount::pg_catalog.float8)
                   FILTER (WHERE o.day OPERATOR(pg_catalog.>) $1 AND o.amount OPERATOR(pg_catalog.>=) 0) AS holdout_amount
          FROM (SELECT %1$I AS customer, %2$s AS day, %3$s AS amount FROM %4$s) o
         WHERE o.customer IS NOT NULL AND o.day IS NOT NULL AND o.amount IS NOT NULL
           AND pg_catalog.isfinite(o.day) AND o.day OPERATOR(pg_catalog.>=) '1900-01-01'::pg_catalog.date
           AND pg_catalog.abs(o.amount) OPERATOR(pg_catalog.<=) 1e15
           AND o.day OPERATOR(pg_catalog.<=) $2
         GROUP BY o.customer
        HAVING pg_catalog.min(o.day) FILTER (WHERE o.amount OPERATOR(pg_catalog.>=) 0) OPERATOR(pg_catalog.<=) $1$q$,
        customer, day_of, amount_value, orders)
        USING calibration_end, holdout_end, time_unit;
    EXECUTE pg_catalog.format($q$
        SELECT pg_catalog.count(*) FROM (SELECT %1$I AS customer, %2$s AS day, %3$s AS amount FROM %4$s) o
         WHERE NOT (o.customer IS NOT NULL AND o.day IS NOT NULL AND o.amount IS NOT NULL
                    AND pg_catalog.isfinite(o.day) AND o.day OPERATOR(pg_catalog.>=) '1900-01-01'::pg_catalog.date
                    AND pg_catalog.abs(o.amount) OPERATOR(pg_catalog.<=) 1e15)$q$,
        customer, day_of, amount_value, orders) INTO left_out;
    IF left_out OPERATOR(pg_catalog.>) 0 THEN
        RAISE NOTICE USING
            MESSAGE = pg_catalog.format('%s order rows of %s were left out', left_out, orders),
            DETAIL = 'Rows without a customer, date or amount, with a date that is not finite or before 1900, or an amount that is not a number within +/-1e15.';
    END IF;

    -- each customer's covariates (a relation with the customer column and a
    -- float8[] one, a row per customer): the models that take them are
    -- fitted and compared a second time with them
    IF covariates IS NOT NULL THEN
        IF NOT EXISTS (SELECT FROM pg_catalog.pg_attribute a
                        WHERE a.attrelid OPERATOR(pg_catalog.=) covariates
                          AND a.attname OPERATOR(pg_catalog.=) covariate_column
                          AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped
                          AND a.atttypid OPERATOR(pg_catalog.=) 'pg_catalog.float8[]'::pg_catalog.regtype) THEN
            RAISE EXCEPTION USING ERRCODE = 'undefined_column',
                MESSAGE = pg_catalog.format('%s has no float8[] column %I', covariates, covariate_column),
                HINT = 'Name the column of the customers'' covariates with covariate_column.';
        END IF;
        IF NOT EXISTS (SELECT FROM pg_catalog.pg_attribute a
                        WHERE a.attrelid OPERATOR(pg_catalog.=) covariates
                          AND a.attname OPERATOR(pg_catalog.=) customer
                          AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped) THEN
            RAISE EXCEPTION USING ERRCODE = 'undefined_column',
                MESSAGE = pg_catalog.format('%s has no column %I: the covariates are found by the orders'' customer column',
                                            covariates, customer);
        END IF;
        -- a customer the join below would find more than once (by the orders'
        -- customers, as the join matches them: a NULL key matches no one)
        EXECUTE pg_catalog.format(
            'SELECT pg_catalog.count(*) FROM (SELECT FROM pg_temp.clv_evaluation_split s JOIN %2$s c'
            ' ON c.%1$I OPERATOR(pg_catalog.=) s.customer GROUP BY s.customer'
            ' HAVING pg_catalog.count(*) OPERATOR(pg_catalog.>) 1) d',
            customer, covariates) INTO duplicates;
        IF duplicates OPERATOR(pg_catalog.<>) 0 THEN
            RAISE EXCEPTION USING ERRCODE = 'cardinality_violation',
                MESSAGE = pg_catalog.format('%s has more than one row for a customer', covariates);
        END IF;
        ALTER TABLE pg_temp.clv_evaluation_split ADD COLUMN customer_covariates pg_catalog.float8[];
        EXECUTE pg_catalog.format(
            'UPDATE pg_temp.clv_evaluation_split s SET customer_covariates = c.%1$I FROM %2$s c'
            ' WHERE c.%3$I OPERATOR(pg_catalog.=) s.customer', covariate_column, covariates, customer);
        kinds := kinds OPERATOR(pg_catalog.||)
                 ARRAY['bgnbd+covariates', 'mbgnbd+covariates', 'paretonbd+covariates', 'gammagamma+covariates'];
    END IF;

    FOREACH kind IN ARRAY kinds LOOP
        base := pg_catalog.split_part(kind, '+', 1);
        with_covariates := kind OPERATOR(pg_catalog.<>) base;
        -- a model that cannot be fitted is a row with its error, not the end;
        -- the regularity models take the log gaps too, and choose k; a
        -- customer without covariates makes a fit with them an error
        BEGIN
            EXECUTE pg_catalog.format('SELECT %s FROM pg_temp.clv_evaluation_split s',
                                      CASE WHEN base OPERATOR(pg_catalog.=) ANY (ARRAY['mbgcnbd', 'bgcnbd'])
                                           THEN pg_catalog.format('@extschema@.clv_fit_%s((s.calibration).frequency,'
                                                                  ' (s.calibration).recency, (s.calibration).age,'
                                                                  ' s.calibration_log_gap_sum, NULL::pg_catalog.int4, $1)', base)
                                           WHEN with_covariates AND base OPERATOR(pg_catalog.=) 'gammagamma'
                                           THEN '@extschema@.clv_fit_gammagamma((s.calibration).frequency,'
                                                ' (s.calibration).monetary, s.customer_covariates, $1, 0)'
                                           WHEN with_covariates
                                           THEN pg_catalog.format('@extschema@.clv_fit_%s((s.calibration).frequency,'
                                                                  ' (s.calibration).recency, (s.calibration).age,'
                                                                  ' s.customer_covariates, $1, 0, 0)', base)
                                           ELSE pg_catalog.format('@extschema@.clv_fit_%s(s.calibration, $1)', base) END)
                INTO fitted USING penalizer;
            -- an aggregate over no customer it can use gives no model
            failure := CASE WHEN fitted IS NULL THEN 'no model: no customer to fit it on' END;
        -- (class 22, data exceptions, holds every error a fit raises)
        EXCEPTION WHEN data_exception THEN
            fitted := NULL;
            GET STACKED DIAGNOSTICS failure = MESSAGE_TEXT;
        END;
        -- one row for all customers, then one per calibration frequency
        -- (the last bucket: max_frequency or more); the spend model is
        -- compared, per customer with repeat purchases in both windows, with
        -- the mean amount of the holdout's purchase days.  A customer the
        -- model cannot score (class 22) makes the model's row an error too:
        -- the rows come out only once every customer is scored (the groups
        -- are sorted), so none of them is left behind
        BEGIN
            RETURN QUERY EXECUTE pg_catalog.format($q$
                WITH scored AS (
                    SELECT LEAST((s.calibration).frequency, $3) AS x, %1$s AS actual, %2$s AS predicted
                      FROM pg_temp.clv_evaluation_split s %3$s)
                SELECT %4$L::pg_catalog.text, sc.x, pg_catalog.count(*),
                       %5$s, %6$s, pg_catalog.avg(sc.actual), pg_catalog.avg(sc.predicted),
                       pg_catalog.avg(pg_catalog.abs(sc.predicted OPERATOR(pg_catalog.-) sc.actual)),
                       pg_catalog.sqrt(pg_catalog.avg((sc.predicted OPERATOR(pg_catalog.-) sc.actual)
                                                      OPERATOR(pg_catalog.*) (sc.predicted OPERATOR(pg_catalog.-) sc.actual))),
                       pg_catalog.corr(sc.predicted, sc.actual),
                       CASE WHEN GROUPING(sc.x) OPERATOR(pg_catalog.=) 1
                            THEN (@extschema@.clv_model_params($1) OPERATOR(pg_catalog.->>) 'log_likelihood')::pg_catalog.float8 END,
                       CASE WHEN GROUPING(sc.x) OPERATOR(pg_catalog.=) 1
                            THEN (@extschema@.clv_model_params($1) OPERATOR(pg_catalog.->>) 'bic')::pg_catalog.float8 END,
                       $4,
                       CASE WHEN GROUPING(sc.x) OPERATOR(pg_catalog.=) 1 THEN $1 END
                  FROM scored sc
                 GROUP BY ROLLUP (sc.x)
                HAVING $1 IS NOT NULL OR GROUPING(sc.x) OPERATOR(pg_catalog.=) 1
                 ORDER BY sc.x NULLS FIRST$q$,
                CASE WHEN base OPERATOR(pg_catalog.=) 'gammagamma'
                     THEN 's.holdout_amount OPERATOR(pg_catalog./) s.holdout_days' ELSE 's.holdout_days::pg_catalog.float8' END,
                CASE WHEN base OPERATOR(pg_catalog.=) 'gammagamma' AND with_covariates
                     THEN '@extschema@.clv_expected_spend($1, (s.calibration).frequency, (s.calibration).monetary, s.customer_covariates)'
                     WHEN base OPERATOR(pg_catalog.=) 'gammagamma'
                     THEN '@extschema@.clv_expected_spend($1, s.calibration)'
                     WHEN with_covariates
                     THEN '@extschema@.clv_expected_purchases($1, $2, (s.calibration).frequency, (s.calibration).recency,'
                          ' (s.calibration).age, s.customer_covariates)'
                     ELSE '@extschema@.clv_expected_purchases($1, $2, s.calibration)' END,
                CASE WHEN base OPERATOR(pg_catalog.=) 'gammagamma'
                     THEN 'WHERE (s.calibration).frequency OPERATOR(pg_catalog.>) 0 AND s.holdout_days OPERATOR(pg_catalog.>) 0'
                     ELSE '' END,
                kind,
                CASE WHEN base OPERATOR(pg_catalog.=) 'gammagamma' THEN 'NULL::pg_catalog.float8' ELSE 'pg_catalog.sum(sc.actual)' END,
                CASE WHEN base OPERATOR(pg_catalog.=) 'gammagamma' THEN 'NULL::pg_catalog.float8' ELSE 'pg_catalog.sum(sc.predicted)' END)
                USING fitted, horizon, max_frequency, failure;
        EXCEPTION WHEN data_exception THEN
            GET STACKED DIAGNOSTICS failure = MESSAGE_TEXT;
            RETURN QUERY SELECT kind, NULL::integer, NULL::bigint, NULL::float8, NULL::float8, NULL::float8,
                                NULL::float8, NULL::float8, NULL::float8, NULL::float8, NULL::float8, NULL::float8,
                                failure, NULL::@extschema@.clv_model;
        END;
    END LOOP;
    DROP TABLE pg_temp.clv_evaluation_split;
END
$$;

COMMENT ON FUNCTION @extschema@.clv_evaluate(regclass, name, name, name, date, date, interval, text, float8, integer, regclass, name) IS
'fits BG/NBD, MBG/NBD, Pareto/NBD, MBG/CNBD-k, BG/CNBD-k (k chosen by likelihood) and Gamma-Gamma on the orders up to calibration_end and compares their predictions with each customer''s purchase days (and mean spend) after it, up to holdout_end: per model one row for all customers (with log-likelihood, BIC and the fitted model, whose text gives the k chosen) and one per calibration frequency (the last: max_frequency or more); a model that cannot be fitted is a row with its error; with covariates (a relation with the customer column and covariate_column, a float8[]), BG/NBD, MBG/NBD, Pareto/NBD and Gamma-Gamma again with them (models bgnbd+covariates and so on)';

-- MBG/CNBD-k and BG/CNBD-k (purchase regularity; see src/cnbd.c): the
-- histories as numbers with each customer's sum of ln(gap) over the gaps
-- between consecutive purchase days; k chosen by likelihood unless given.
-- The state is the purchase models' pattern set, with k and the total of
-- the log gaps in its header.
CREATE FUNCTION @extschema@.clv_fit_cnbd_transfn(
    state bigint[], frequency float8, recency float8, age float8, log_gap_sum float8)
RETURNS bigint[] AS 'MODULE_PATHNAME', 'clv_fit_cnbd_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.clv_fit_cnbd_transfn(
    state bigint[], frequency float8, recency float8, age float8, log_gap_sum float8, k integer)
RETURNS bigint[] AS 'MODULE_PATHNAME', 'clv_fit_cnbd_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.clv_fit_cnbd_transfn(
    state bigint[], frequency float8, recency float8, age float8, log_gap_sum float8, k integer,
    penalizer float8)
RETURNS bigint[] AS 'MODULE_PATHNAME', 'clv_fit_cnbd_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.clv_fit_mbgcnbd_final(bigint[])
RETURNS @extschema@.clv_model AS 'MODULE_PATHNAME', 'clv_fit_mbgcnbd_final'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.clv_fit_bgcnbd_final(bigint[])
RETURNS @extschema@.clv_model AS 'MODULE_PATHNAME', 'clv_fit_bgcnbd_final'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE AGGREGATE @extschema@.clv_fit_mbgcnbd(frequency float8, recency float8, age float8, log_gap_sum float8) (
    SFUNC = @extschema@.clv_fit_cnbd_transfn, STYPE = bigint[],
    FINALFUNC = @extschema@.clv_fit_mbgcnbd_final,
    COMBINEFUNC = @extschema@.clv_fit_patterns_combine, PARALLEL = SAFE);

CREATE AGGREGATE @extschema@.clv_fit_mbgcnbd(frequency float8, recency float8, age float8, log_gap_sum float8,
                                             k integer) (
    SFUNC = @extschema@.clv_fit_cnbd_transfn, STYPE = bigint[],
    FINALFUNC = @extschema@.clv_fit_mbgcnbd_final,
    COMBINEFUNC = @extschema@.clv_fit_patterns_combine, PARALLEL = SAFE);

CREATE AGGREGATE @extschema@.clv_fit_mbgcnbd(frequency float8, recency float8, age float8, log_gap_sum float8,
                                             k integer, penalizer float8) (
    SFUNC = @extschema@.clv_fit_cnbd_transfn, STYPE = bigint[],
    FINALFUNC = @extschema@.clv_fit_mbgcnbd_final,
    COMBINEFUNC = @extschema@.clv_fit_patterns_combine, PARALLEL = SAFE);

CREATE AGGREGATE @extschema@.clv_fit_bgcnbd(frequency float8, recency float8, age float8, log_gap_sum float8) (
    SFUNC = @extschema@.clv_fit_cnbd_transfn, STYPE = bigint[],
    FINALFUNC = @extschema@.clv_fit_bgcnbd_final,
    COMBINEFUNC = @extschema@.clv_fit_patterns_combine, PARALLEL = SAFE);

CREATE AGGREGATE @extschema@.clv_fit_bgcnbd(frequency float8, recency float8, age float8, log_gap_sum float8,
                                            k integer) (
    SFUNC = @extschema@.clv_fit_cnbd_transfn, STYPE = bigint[],
    FINALFUNC = @extschema@.clv_fit_bgcnbd_final,
    COMBINEFUNC = @extschema@.clv_fit_patterns_combine, PARALLEL = SAFE);

CREATE AGGREGATE @extschema@.clv_fit_bgcnbd(frequency float8, recency float8, age float8, log_gap_sum float8,
                                            k integer, penalizer float8) (
    SFUNC = @extschema@.clv_fit_cnbd_transfn, STYPE = bigint[],
    FINALFUNC = @extschema@.clv_fit_bgcnbd_final,
    COMBINEFUNC = @extschema@.clv_fit_patterns_combine, PARALLEL = SAFE);

COMMENT ON AGGREGATE @extschema@.clv_fit_mbgcnbd(float8, float8, float8, float8) IS
'MBG/CNBD-k (Platzer & Reutterer 2016): MBG/NBD with Erlang-k times between purchases, k = 1, 2, ... chosen by likelihood; log_gap_sum is the sum of ln(gap) over the gaps between consecutive purchase days, in the time unit of recency and age';

COMMENT ON AGGREGATE @extschema@.clv_fit_mbgcnbd(float8, float8, float8, float8, integer) IS
'MBG/CNBD-k with k given (1 to 12; NULL: chosen by likelihood); k = 1 is MBG/NBD';

COMMENT ON AGGREGATE @extschema@.clv_fit_mbgcnbd(float8, float8, float8, float8, integer, float8) IS
'MBG/CNBD-k with k given or NULL, and an L2 penalizer';

COMMENT ON AGGREGATE @extschema@.clv_fit_bgcnbd(float8, float8, float8, float8) IS
'BG/CNBD-k (Reutterer, Platzer & Schröder 2021): BG/NBD with Erlang-k times between purchases, k chosen by likelihood; log_gap_sum as for clv_fit_mbgcnbd';

COMMENT ON AGGREGATE @extschema@.clv_fit_bgcnbd(float8, float8, float8, float8, integer) IS
'BG/CNBD-k with k given (1 to 12; NULL: chosen by likelihood); k = 1 is BG/NBD';

COMMENT ON AGGREGATE @extschema@.clv_fit_bgcnbd(float8, float8, float8, float8, integer, float8) IS
'BG/CNBD-k with k given or NULL, and an L2 penalizer';

------------------------------------------------------------------------------
-- BG/NBD, MBG/NBD, Pareto/NBD and Gamma-Gamma with static covariates
-- (src/covariates.c): customer characteristics that move the purchase rate
-- (alpha), the drop-out process (a and b; Pareto/NBD's beta) and the spend
-- (Gamma-Gamma's gamma); the model is a clv_model with coefficients
------------------------------------------------------------------------------

-- The fit state is a bigint[] of distinct (frequency, recency, age,
-- covariates), or (frequency, monetary, covariates), with the customers who
-- share each.
CREATE FUNCTION @extschema@.clv_fit_covariates_transfn(
    state bigint[], frequency float8, recency float8, age float8, covariates float8[])
RETURNS bigint[] AS 'MODULE_PATHNAME', 'clv_fit_covariates_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.clv_fit_covariates_transfn(
    state bigint[], frequency float8, recency float8, age float8, covariates float8[],
    penalizer float8, purchase_penalizer float8, dropout_penalizer float8)
RETURNS bigint[] AS 'MODULE_PATHNAME', 'clv_fit_covariates_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.clv_fit_spend_covariates_transfn(
    state bigint[], frequency float8, monetary float8, covariates float8[])
RETURNS bigint[] AS 'MODULE_PATHNAME', 'clv_fit_spend_covariates_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.clv_fit_spend_covariates_transfn(
    state bigint[], frequency float8, monetary float8, covariates float8[], penalizer float8, spend_penalizer float8)
RETURNS bigint[] AS 'MODULE_PATHNAME', 'clv_fit_spend_covariates_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.clv_fit_covariates_transfn(
    state bigint[], summary @extschema@.clv_summary, covariates float8[])
RETURNS bigint[] AS 'MODULE_PATHNAME', 'clv_fit_covariates_summary_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.clv_fit_covariates_transfn(
    state bigint[], summary @extschema@.clv_summary, covariates float8[],
    penalizer float8, purchase_penalizer float8, dropout_penalizer float8)
RETURNS bigint[] AS 'MODULE_PATHNAME', 'clv_fit_covariates_summary_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.clv_fit_spend_covariates_transfn(
    state bigint[], summary @extschema@.clv_summary, covariates float8[])
RETURNS bigint[] AS 'MODULE_PATHNAME', 'clv_fit_spend_covariates_summary_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.clv_fit_spend_covariates_transfn(
    state bigint[], summary @extschema@.clv_summary, covariates float8[], penalizer float8, spend_penalizer float8)
RETURNS bigint[] AS 'MODULE_PATHNAME', 'clv_fit_spend_covariates_summary_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.clv_fit_covariates_combine(bigint[], bigint[])
RETURNS bigint[] AS 'MODULE_PATHNAME', 'clv_fit_covariates_combine'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.clv_fit_bgnbd_covariates_final(bigint[])
RETURNS @extschema@.clv_model AS 'MODULE_PATHNAME', 'clv_fit_bgnbd_covariates_final'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.clv_fit_mbgnbd_covariates_final(bigint[])
RETURNS @extschema@.clv_model AS 'MODULE_PATHNAME', 'clv_fit_mbgnbd_covariates_final'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.clv_fit_paretonbd_covariates_final(bigint[])
RETURNS @extschema@.clv_model AS 'MODULE_PATHNAME', 'clv_fit_paretonbd_covariates_final'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.clv_fit_gammagamma_covariates_final(bigint[])
RETURNS @extschema@.clv_model AS 'MODULE_PATHNAME', 'clv_fit_gammagamma_covariates_final'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE AGGREGATE @extschema@.clv_fit_bgnbd(frequency float8, recency float8, age float8, covariates float8[]) (
    SFUNC = @extschema@.clv_fit_covariates_transfn, STYPE = bigint[],
    FINALFUNC = @extschema@.clv_fit_bgnbd_covariates_final,
    COMBINEFUNC = @extschema@.clv_fit_covariates_combine, PARALLEL = SAFE);

CREATE AGGREGATE @extschema@.clv_fit_bgnbd(frequency float8, recency float8, age float8, covariates float8[],
                                           penalizer float8, purchase_penalizer float8, dropout_penalizer float8) (
    SFUNC = @extschema@.clv_fit_covariates_transfn, STYPE = bigint[],
    FINALFUNC = @extschema@.clv_fit_bgnbd_covariates_final,
    COMBINEFUNC = @extschema@.clv_fit_covariates_combine, PARALLEL = SAFE);

CREATE AGGREGATE @extschema@.clv_fit_mbgnbd(frequency float8, recency float8, age float8, covariates float8[]) (
    SFUNC = @extschema@.clv_fit_covariates_transfn, STYPE = bigint[],
    FINALFUNC = @extschema@.clv_fit_mbgnbd_covariates_final,
    COMBINEFUNC = @extschema@.clv_fit_covariates_combine, PARALLEL = SAFE);

CREATE AGGREGATE @extschema@.clv_fit_mbgnbd(frequency float8, recency float8, age float8, covariates float8[],
                                            penalizer float8, purchase_penalizer float8, dropout_penalizer float8) (
    SFUNC = @extschema@.clv_fit_covariates_transfn, STYPE = bigint[],
    FINALFUNC = @extschema@.clv_fit_mbgnbd_covariates_final,
    COMBINEFUNC = @extschema@.clv_fit_covariates_combine, PARALLEL = SAFE);

CREATE AGGREGATE @extschema@.clv_fit_paretonbd(frequency float8, recency float8, age float8, covariates float8[]) (
    SFUNC = @extschema@.clv_fit_covariates_transfn, STYPE = bigint[],
    FINALFUNC = @extschema@.clv_fit_paretonbd_covariates_final,
    COMBINEFUNC = @extschema@.clv_fit_covariates_combine, PARALLEL = SAFE);

CREATE AGGREGATE @extschema@.clv_fit_paretonbd(frequency float8, recency float8, age float8, covariates float8[],
                                               penalizer float8, purchase_penalizer float8, dropout_penalizer float8) (
    SFUNC = @extschema@.clv_fit_covariates_transfn, STYPE = bigint[],
    FINALFUNC = @extschema@.clv_fit_paretonbd_covariates_final,
    COMBINEFUNC = @extschema@.clv_fit_covariates_combine, PARALLEL = SAFE);

CREATE AGGREGATE @extschema@.clv_fit_gammagamma(frequency float8, monetary float8, covariates float8[]) (
    SFUNC = @extschema@.clv_fit_spend_covariates_transfn, STYPE = bigint[],
    FINALFUNC = @extschema@.clv_fit_gammagamma_covariates_final,
    COMBINEFUNC = @extschema@.clv_fit_covariates_combine, PARALLEL = SAFE);

CREATE AGGREGATE @extschema@.clv_fit_gammagamma(frequency float8, monetary float8, covariates float8[],
                                                penalizer float8, spend_penalizer float8) (
    SFUNC = @extschema@.clv_fit_spend_covariates_transfn, STYPE = bigint[],
    FINALFUNC = @extschema@.clv_fit_gammagamma_covariates_final,
    COMBINEFUNC = @extschema@.clv_fit_covariates_combine, PARALLEL = SAFE);

CREATE AGGREGATE @extschema@.clv_fit_bgnbd(summary @extschema@.clv_summary, covariates float8[]) (
    SFUNC = @extschema@.clv_fit_covariates_transfn, STYPE = bigint[],
    FINALFUNC = @extschema@.clv_fit_bgnbd_covariates_final,
    COMBINEFUNC = @extschema@.clv_fit_covariates_combine, PARALLEL = SAFE);

CREATE AGGREGATE @extschema@.clv_fit_bgnbd(summary @extschema@.clv_summary, covariates float8[],
    penalizer float8, purchase_penalizer float8, dropout_penalizer float8) (
    SFUNC = @extschema@.clv_fit_covariates_transfn, STYPE = bigint[],
    FINALFUNC = @extschema@.clv_fit_bgnbd_covariates_final,
    COMBINEFUNC = @extschema@.clv_fit_covariates_combine, PARALLEL = SAFE);

CREATE AGGREGATE @extschema@.clv_fit_mbgnbd(summary @extschema@.clv_summary, covariates float8[]) (
    SFUNC = @extschema@.clv_fit_covariates_transfn, STYPE = bigint[],
    FINALFUNC = @extschema@.clv_fit_mbgnbd_covariates_final,
    COMBINEFUNC = @extschema@.clv_fit_covariates_combine, PARALLEL = SAFE);

CREATE AGGREGATE @extschema@.clv_fit_mbgnbd(summary @extschema@.clv_summary, covariates float8[],
    penalizer float8, purchase_penalizer float8, dropout_penalizer float8) (
    SFUNC = @extschema@.clv_fit_covariates_transfn, STYPE = bigint[],
    FINALFUNC = @extschema@.clv_fit_mbgnbd_covariates_final,
    COMBINEFUNC = @extschema@.clv_fit_covariates_combine, PARALLEL = SAFE);

CREATE AGGREGATE @extschema@.clv_fit_paretonbd(summary @extschema@.clv_summary, covariates float8[]) (
    SFUNC = @extschema@.clv_fit_covariates_transfn, STYPE = bigint[],
    FINALFUNC = @extschema@.clv_fit_paretonbd_covariates_final,
    COMBINEFUNC = @extschema@.clv_fit_covariates_combine, PARALLEL = SAFE);

CREATE AGGREGATE @extschema@.clv_fit_paretonbd(summary @extschema@.clv_summary, covariates float8[],
    penalizer float8, purchase_penalizer float8, dropout_penalizer float8) (
    SFUNC = @extschema@.clv_fit_covariates_transfn, STYPE = bigint[],
    FINALFUNC = @extschema@.clv_fit_paretonbd_covariates_final,
    COMBINEFUNC = @extschema@.clv_fit_covariates_combine, PARALLEL = SAFE);

CREATE AGGREGATE @extschema@.clv_fit_gammagamma(summary @extschema@.clv_summary, covariates float8[]) (
    SFUNC = @extschema@.clv_fit_spend_covariates_transfn, STYPE = bigint[],
    FINALFUNC = @extschema@.clv_fit_gammagamma_covariates_final,
    COMBINEFUNC = @extschema@.clv_fit_covariates_combine, PARALLEL = SAFE);

CREATE AGGREGATE @extschema@.clv_fit_gammagamma(summary @extschema@.clv_summary, covariates float8[],
    penalizer float8, spend_penalizer float8) (
    SFUNC = @extschema@.clv_fit_spend_covariates_transfn, STYPE = bigint[],
    FINALFUNC = @extschema@.clv_fit_gammagamma_covariates_final,
    COMBINEFUNC = @extschema@.clv_fit_covariates_combine, PARALLEL = SAFE);

COMMENT ON AGGREGATE @extschema@.clv_fit_bgnbd(@extschema@.clv_summary, float8[]) IS
'BG/NBD with static covariates over customer summaries; customers without purchases are skipped';

COMMENT ON AGGREGATE @extschema@.clv_fit_bgnbd(@extschema@.clv_summary, float8[], float8, float8, float8) IS
'BG/NBD with static covariates over customer summaries, with penalizers';

COMMENT ON AGGREGATE @extschema@.clv_fit_mbgnbd(@extschema@.clv_summary, float8[]) IS
'MBG/NBD with static covariates over customer summaries';

COMMENT ON AGGREGATE @extschema@.clv_fit_mbgnbd(@extschema@.clv_summary, float8[], float8, float8, float8) IS
'MBG/NBD with static covariates over customer summaries, with penalizers';

COMMENT ON AGGREGATE @extschema@.clv_fit_paretonbd(@extschema@.clv_summary, float8[]) IS
'Pareto/NBD with static covariates over customer summaries';

COMMENT ON AGGREGATE @extschema@.clv_fit_paretonbd(@extschema@.clv_summary, float8[], float8, float8, float8) IS
'Pareto/NBD with static covariates over customer summaries, with penalizers';

COMMENT ON AGGREGATE @extschema@.clv_fit_gammagamma(@extschema@.clv_summary, float8[]) IS
'Gamma-Gamma with static covariates over customer summaries; customers without repeat purchases are skipped';

COMMENT ON AGGREGATE @extschema@.clv_fit_gammagamma(@extschema@.clv_summary, float8[], float8, float8) IS
'Gamma-Gamma with static covariates over customer summaries, with penalizers';

COMMENT ON AGGREGATE @extschema@.clv_fit_bgnbd(float8, float8, float8, float8[]) IS
'BG/NBD with static covariates (float8[], the same length for every customer): alpha_i = alpha exp(-purchase''z), a_i = a exp(dropout_a''z), b_i = b exp(dropout_b''z); the model''s jsonb gives the coefficients with standard errors and the likelihood-ratio test against the fit without covariates';

COMMENT ON AGGREGATE @extschema@.clv_fit_bgnbd(float8, float8, float8, float8[], float8, float8, float8) IS
'BG/NBD with static covariates, an L2 penalizer on the baseline parameters and one on each group of coefficients (purchase, dropout)';

COMMENT ON AGGREGATE @extschema@.clv_fit_mbgnbd(float8, float8, float8, float8[]) IS
'MBG/NBD with static covariates, parameterised as BG/NBD''s';

COMMENT ON AGGREGATE @extschema@.clv_fit_mbgnbd(float8, float8, float8, float8[], float8, float8, float8) IS
'MBG/NBD with static covariates, an L2 penalizer on the baseline parameters and one on each group of coefficients (purchase, dropout)';

COMMENT ON AGGREGATE @extschema@.clv_fit_paretonbd(float8, float8, float8, float8[]) IS
'Pareto/NBD with static covariates: alpha_i = alpha exp(-purchase''z), beta_i = beta exp(-dropout''z)';

COMMENT ON AGGREGATE @extschema@.clv_fit_paretonbd(float8, float8, float8, float8[], float8, float8, float8) IS
'Pareto/NBD with static covariates, an L2 penalizer on the baseline parameters and one on each group of coefficients (purchase, dropout)';

COMMENT ON AGGREGATE @extschema@.clv_fit_gammagamma(float8, float8, float8[]) IS
'Gamma-Gamma with static covariates: gamma_i = gamma exp(spend''z), so a positive coefficient means a higher expected spend';

COMMENT ON AGGREGATE @extschema@.clv_fit_gammagamma(float8, float8, float8[], float8, float8) IS
'Gamma-Gamma with static covariates, an L2 penalizer on the baseline parameters and one on the coefficients';

CREATE FUNCTION @extschema@.clv_model_individual(model @extschema@.clv_model, covariates float8[])
RETURNS @extschema@.clv_model AS 'MODULE_PATHNAME', 'clv_model_individual'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 10;

CREATE FUNCTION @extschema@.clv_p_alive(
    model @extschema@.clv_model, frequency float8, recency float8, age float8, covariates float8[])
RETURNS float8 AS 'MODULE_PATHNAME', 'clv_covariates_p_alive'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 100;

CREATE FUNCTION @extschema@.clv_expected_purchases(
    model @extschema@.clv_model, t float8, frequency float8, recency float8, age float8, covariates float8[])
RETURNS float8 AS 'MODULE_PATHNAME', 'clv_covariates_expected_purchases'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 100;

CREATE FUNCTION @extschema@.clv_expected_purchases_new(model @extschema@.clv_model, t float8, covariates float8[])
RETURNS float8 AS 'MODULE_PATHNAME', 'clv_covariates_expected_purchases_new'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 100;

CREATE FUNCTION @extschema@.clv_expected_spend(
    model @extschema@.clv_model, frequency float8, monetary float8, covariates float8[])
RETURNS float8 AS 'MODULE_PATHNAME', 'clv_covariates_expected_spend'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 100;

COMMENT ON FUNCTION @extschema@.clv_expected_spend(@extschema@.clv_model, float8, float8, float8[]) IS
'expected spend per purchase given frequency, mean repeat spend and the customer''s covariates (a Gamma-Gamma model fitted with covariates)';

COMMENT ON FUNCTION @extschema@.clv_model_individual(@extschema@.clv_model, float8[]) IS
'the plain model (without covariates) of a customer with these covariates, for any function that takes a model: the baseline with the parameters the covariates move moved by the coefficients';

COMMENT ON FUNCTION @extschema@.clv_p_alive(@extschema@.clv_model, float8, float8, float8, float8[]) IS
'probability that the customer is still active, given frequency, recency, age and the customer''s covariates (a model fitted with covariates)';

COMMENT ON FUNCTION @extschema@.clv_expected_purchases(@extschema@.clv_model, float8, float8, float8, float8, float8[]) IS
'expected purchases in the next t time units, given frequency, recency, age and the customer''s covariates (a model fitted with covariates)';

COMMENT ON FUNCTION @extschema@.clv_expected_purchases_new(@extschema@.clv_model, float8, float8[]) IS
'expected purchases in its first t time units of a newly acquired customer with these covariates (a model fitted with covariates)';

-- A categorical column as covariates: levels lists every level, the first
-- the baseline; the result has one 0/1 indicator per other level, in their
-- order.  A value that is not a level, or is one twice, is an error (it
-- would otherwise pass for the baseline); a NULL value gives NULL, which
-- the fits refuse.  The levels are counted from their first element,
-- whatever the array's lower bound.
CREATE FUNCTION @extschema@.clv_indicators(value text, levels text[])
RETURNS float8[]
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    position integer;
    n integer := pg_catalog.cardinality(levels);
BEGIN
    IF n OPERATOR(pg_catalog.<) 2 OR pg_catalog.array_ndims(levels) OPERATOR(pg_catalog.<>) 1
       OR pg_catalog.array_position(levels, NULL) IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = 'levels must list two or more levels, the first the baseline, none of them NULL';
    END IF;
    -- a slice starts at 1
    levels := levels[pg_catalog.array_lower(levels, 1):pg_catalog.array_upper(levels, 1)];
    position := pg_catalog.array_position(levels, value);
    IF pg_catalog.array_position(levels, value, coalesce(position, n) OPERATOR(pg_catalog.+) 1) IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = pg_catalog.format('%L is among the levels %s more than once', value, levels);
    END IF;
    IF position IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = pg_catalog.format('%L is not one of the levels %s', value, levels),
            HINT = 'List every level the column takes; the first is the baseline, with every indicator 0.';
    END IF;
    RETURN ARRAY(SELECT (i OPERATOR(pg_catalog.=) position)::pg_catalog.int4::pg_catalog.float8
                   FROM pg_catalog.generate_series(2, n) i ORDER BY i);
END
$$;

COMMENT ON FUNCTION @extschema@.clv_indicators(text, text[]) IS
'a categorical value as covariates: one 0/1 indicator for each level after the first (the baseline), in the order of levels; a value not among the levels is an error';
