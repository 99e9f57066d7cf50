-- clv 0.2.0 -> 0.3.0.  As with every upgrade script, CREATE EXTENSION runs the
-- released scripts in turn (0.1.0, then each upgrade), so a fresh install and
-- an updated one build exactly the same objects.
\echo Use "ALTER EXTENSION clv UPDATE TO '0.3.0'" to load this file. \quit

-- clv_credibility_prior: exact sums.  Its state used to be seven float8 sums,
-- so the prior depended, in the last bits, on the order in which groups were
-- added: partial states from parallel workers or from Citus nodes did not
-- combine to the single-table answer exactly, unlike every other aggregate's.
-- The state is now numeric[]: each group's size, mean and variance are taken
-- as numeric (float8's 15 significant decimal digits, the float8 -> numeric
-- cast) and summed exactly, so any split and any order give the same state,
-- and the state survives the trip through text unchanged.  The state type of
-- an aggregate cannot be altered, hence DROP and CREATE: a view that uses
-- clv_credibility_prior has to be dropped before ALTER EXTENSION clv UPDATE
-- and created again after it.
DROP AGGREGATE @extschema@.clv_credibility_prior(bigint, float8, float8);
DROP FUNCTION @extschema@.clv_credibility_transfn(float8[], bigint, float8, float8);
DROP FUNCTION @extschema@.clv_credibility_combine(float8[], float8[]);
DROP FUNCTION @extschema@.clv_credibility_final(float8[]);
DROP FUNCTION @extschema@.clv_credibility_checked(float8[]);

-- state = {groups, customers, sum (n-1) s^2, sum (n-1), sum n mean,
--          sum n mean^2, sum n^2}, all exact
CREATE FUNCTION @extschema@.clv_credibility_transfn(
    state numeric[], group_size bigint, group_mean float8, group_variance float8)
RETURNS numeric[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    n numeric := group_size;
    m numeric;
BEGIN
    IF group_size IS NULL OR group_mean IS NULL OR group_size < 1 THEN
        RETURN state;
    END IF;
    IF group_mean IN ('NaN', 'Infinity', '-Infinity') THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('clv_credibility_prior: group mean must be finite, not %s', group_mean);
    END IF;
    IF group_size > 1 AND (group_variance IS NULL OR group_variance < 0
                           OR group_variance IN ('NaN', 'Infinity')) THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('clv_credibility_prior: the variance of a group of %s must be finite and not negative, not %s',
                             group_size, coalesce(group_variance::text, 'NULL')),
            HINT = 'Pass the sample variance of the group''s values, e.g. var_samp().';
    END IF;
    -- a state given as INITCOND is checked like one shipped from another node
    state := @extschema@.clv_credibility_checked(state);
    m := group_mean::numeric;
    RETURN ARRAY[coalesce(state[1], 0) + 1,
                 coalesce(state[2], 0) + n,
                 coalesce(state[3], 0) + CASE WHEN n > 1 THEN (n - 1) * group_variance::numeric ELSE 0 END,
                 coalesce(state[4], 0) + (n - 1),
                 coalesce(state[5], 0) + n * m,
                 coalesce(state[6], 0) + n * m * m,
                 coalesce(state[7], 0) + n * n];
END
$$;

-- A state typed in, or shipped as text from another node, is checked before
-- it is used: the sums must be finite, the counts whole and consistent, and
-- the sums of squares no smaller than the squares of the sums allow.
CREATE FUNCTION @extschema@.clv_credibility_checked(state numeric[])
RETURNS numeric[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF state IS NOT NULL AND NOT (
           array_ndims(state) = 1 AND array_lower(state, 1) = 1 AND cardinality(state) = 7
           AND NOT EXISTS (SELECT FROM unnest(state) v
                           WHERE v IS NULL OR v IN ('NaN'::numeric, 'Infinity'::numeric, '-Infinity'::numeric))
           AND state[1] >= 1 AND state[1] = trunc(state[1])           -- groups
           AND state[2] >= state[1] AND state[2] = trunc(state[2])    -- customers
           AND state[3] >= 0 AND state[4] = state[2] - state[1]       -- sum (n-1) s^2, sum (n-1)
           AND state[7] >= state[2] AND state[7] = trunc(state[7])    -- sum n^2
           AND state[7] <= state[2] * state[2]
           AND state[6] * state[2] >= state[5] * state[5]) THEN       -- sum n mean^2 vs (sum n mean)^2
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = 'invalid clv_credibility_prior state',
            DETAIL = format('A state is 7 exact sums: groups, customers, sum (n-1) variance, sum (n-1), sum n mean, sum n mean^2, sum n^2; found %s.', state);
    END IF;
    RETURN state;
END
$$;

CREATE FUNCTION @extschema@.clv_credibility_combine(a numeric[], b numeric[])
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
    RETURN ARRAY(SELECT x + y FROM unnest(a, b) AS u(x, y));
END
$$;

-- The structure is computed in numeric from the exact sums and rounded to
-- float8 once, at the end.
CREATE FUNCTION @extschema@.clv_credibility_final(state numeric[])
RETURNS @extschema@.clv_credibility_prior
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    WITH checked AS (SELECT @extschema@.clv_credibility_checked(state) AS state),
    s AS (
        SELECT state[1] AS g, state[2] AS n,
               CASE WHEN state[4] > 0 THEN state[3] / state[4] END AS within,
               state[5] / state[2] AS grand,
               state[6] - state[5] * state[5] / state[2] AS between_ss,
               state[2] - state[7] / state[2] AS spread
        FROM checked)
    SELECT g::bigint, n::bigint, grand::float8, within::float8, b::float8, (within / nullif(b, 0))::float8
      FROM s, LATERAL (SELECT CASE WHEN g > 1 AND within IS NOT NULL AND spread > 0
                                   THEN greatest(0, (between_ss - (g - 1) * within) / spread) END AS b) AS v
     WHERE g IS NOT NULL
$$;

CREATE AGGREGATE @extschema@.clv_credibility_prior(
    group_size bigint, group_mean float8, group_variance float8) (
    SFUNC = @extschema@.clv_credibility_transfn, STYPE = numeric[],
    FINALFUNC = @extschema@.clv_credibility_final,
    COMBINEFUNC = @extschema@.clv_credibility_combine, PARALLEL = SAFE);

COMMENT ON AGGREGATE @extschema@.clv_credibility_prior(bigint, float8, float8) IS
'over one row per group (customers, mean and sample variance of their CLV), the structure that clv_credible_mean shrinks each group with; sums are exact, so the prior does not depend on row order, parallel workers or shards';

-- The full refresh of a pipeline's summary states uses parallel workers.
CREATE OR REPLACE FUNCTION @extschema@.clv_pipeline_summarise(target_schema name, incremental boolean)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
-- orders partitioned by customer are summarised partition by partition
SET enable_partitionwise_aggregate = on
AS $$
DECLARE
    ext name := (SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
                 WHERE e.extname = 'clv');
    p record;
    new_end timestamptz;
    customers bigint;
    summarise text;
    plan jsonb;
BEGIN
    -- held to the end of the transaction: marks this backend as a refresh,
    -- which other refreshes do not wait for (key 6515830 is 'clv' in ASCII)
    PERFORM pg_advisory_xact_lock_shared(6515830, 1);
    EXECUTE format('SELECT as_of, source FROM %I.clv_pipeline', target_schema) INTO p;
    IF p.as_of IS NULL THEN
        IF current_setting('transaction_isolation') <> 'read committed' THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_transaction_state',
                MESSAGE = format('a pipeline observed until now() is refreshed in a READ COMMITTED transaction, not %s',
                                 upper(current_setting('transaction_isolation'))),
                DETAIL = 'Orders committed while the refresh waits would stay invisible to its snapshot.';
        END IF;
        -- the clock, not the transaction's start, and before the wait
        new_end := clock_timestamp();
        PERFORM @extschema@.clv_pipeline_wait_for_writers(p.source, new_end);
    END IF;
    EXECUTE format('SELECT * FROM %I.clv_pipeline FOR UPDATE', target_schema) INTO p;
    -- a refresh that queued behind another ends no earlier than it
    new_end := coalesce(p.as_of, greatest(new_end, p.observed_until));
    IF NOT incremental THEN
        EXECUTE format('TRUNCATE %I.summary_state', target_schema);
        summarise := format($q$
            SELECT %1$I AS customer_id, %2$I.clv_summary_state(%3$I::timestamptz, %4$I::float8, %5$L::timestamptz) AS state
            FROM %6$s WHERE %1$I IS NOT NULL AND %3$I::timestamptz <= %5$L::timestamptz
            GROUP BY %1$I$q$,
            p.customer, ext, p.ordered_at, p.amount, new_end, p.source::text);
        -- INSERT ... SELECT never runs in parallel (PostgreSQL 13 to 17);
        -- CREATE TABLE AS does.  So when the planner would summarise in
        -- parallel (it does for orders partitioned by customer, where each
        -- worker aggregates whole partitions; on one big table the partial
        -- states of a million customers cost more than they save), the
        -- states go through a temporary table, which costs a copy of the
        -- customers and saves most of the pass over the orders.
        IF current_setting('max_parallel_workers_per_gather')::int > 0
           AND has_database_privilege(current_database(), 'TEMPORARY') THEN
            EXECUTE 'EXPLAIN (FORMAT JSON) ' || summarise INTO plan;
        END IF;
        IF plan IS NOT NULL AND jsonb_path_exists(plan, 'strict $.** ? (@."Node Type" starts with "Gather")') THEN
            EXECUTE 'CREATE TEMPORARY TABLE pg_temp.clv_pipeline_summarised ON COMMIT DROP AS ' || summarise;
            EXECUTE format('INSERT INTO %I.summary_state SELECT customer_id, state FROM pg_temp.clv_pipeline_summarised',
                           target_schema);
            GET DIAGNOSTICS customers = ROW_COUNT;
            DROP TABLE pg_temp.clv_pipeline_summarised;
        ELSE
            EXECUTE format('INSERT INTO %I.summary_state ', target_schema) || summarise;
            GET DIAGNOSTICS customers = ROW_COUNT;
        END IF;
    ELSE
        -- the customers with orders since the last refresh: their stored state,
        -- moved to the new end, combined with the state of the new orders
        EXECUTE format($q$
            INSERT INTO %1$I.summary_state AS old
            SELECT %2$I, %3$I.clv_summary_state(%4$I::timestamptz, %5$I::float8, %6$L::timestamptz)
            FROM %7$s
            WHERE %2$I IS NOT NULL AND %4$I::timestamptz > %8$L::timestamptz
              AND %4$I::timestamptz <= %6$L::timestamptz
            GROUP BY %2$I
            ON CONFLICT (customer_id) DO UPDATE
            SET state = %3$I.clv_summary_combine(%3$I.clv_summary_advance(old.state, %6$L::timestamptz),
                                                  excluded.state)$q$,
            target_schema, p.customer, ext, p.ordered_at, p.amount, new_end, p.source::text,
            p.observed_until);
        GET DIAGNOSTICS customers = ROW_COUNT;
    END IF;
    EXECUTE format('UPDATE %I.clv_pipeline SET observed_until = %L', target_schema, new_end);
    RETURN customers;
END
$$;

-- Scoring costs microseconds a customer (Gamma ratios, hypergeometric series,
-- discounted sums), not the cost of one operator that PostgreSQL assumes for
-- a C function.  Told so, the planner scores a large table with parallel
-- workers, in queries and in a pipeline's REFRESH MATERIALIZED VIEW alike.
--
-- One statement per function, each naming its exact signature: this script
-- runs as the bootstrap superuser, so it computes nothing (as released,
-- 0.3.0 did this in a DO block that found the functions through the
-- catalog with operators and format() resolved through search_path, which
-- an object planted in the target schema could take over).
ALTER FUNCTION @extschema@.clv_decline(@extschema@.clv_summary, @extschema@.clv_model, float8, float8, bigint, bigint, bigint, float8, float8, float8, float8, integer, float8, float8, float8, float8) COST 100;
ALTER FUNCTION @extschema@.clv_expected_purchases(@extschema@.clv_model, float8, float8, float8, float8) COST 100;
ALTER FUNCTION @extschema@.clv_expected_purchases(@extschema@.clv_model, float8, @extschema@.clv_summary) COST 100;
ALTER FUNCTION @extschema@.clv_expected_purchases_interval(@extschema@.clv_model, float8, float8, float8, float8, float8) COST 100;
ALTER FUNCTION @extschema@.clv_expected_purchases_new(@extschema@.clv_model, float8) COST 100;
ALTER FUNCTION @extschema@.clv_expected_spend(@extschema@.clv_model, float8, float8) COST 100;
ALTER FUNCTION @extschema@.clv_expected_spend(@extschema@.clv_model, @extschema@.clv_summary) COST 100;
ALTER FUNCTION @extschema@.clv_next_purchase(@extschema@.clv_model, float8, float8, float8) COST 100;
ALTER FUNCTION @extschema@.clv_next_purchase(@extschema@.clv_model, @extschema@.clv_summary) COST 100;
ALTER FUNCTION @extschema@.clv_p_alive(@extschema@.clv_model, float8, float8, float8) COST 100;
ALTER FUNCTION @extschema@.clv_p_alive(@extschema@.clv_model, @extschema@.clv_summary) COST 100;
ALTER FUNCTION @extschema@.clv_p_no_purchase(@extschema@.clv_model, float8, float8, float8, float8) COST 100;
ALTER FUNCTION @extschema@.clv_p_purchases(@extschema@.clv_model, integer, float8, float8, float8, float8) COST 100;
ALTER FUNCTION @extschema@.clv_predicted_value(@extschema@.clv_model, @extschema@.clv_model, float8, float8, float8, float8, integer, float8, float8, float8) COST 100;
ALTER FUNCTION @extschema@.clv_predicted_value(@extschema@.clv_model, @extschema@.clv_model, @extschema@.clv_summary, integer, float8, interval, float8) COST 100;
ALTER FUNCTION @extschema@.clv_predicted_value_interval(@extschema@.clv_model, @extschema@.clv_model, float8, float8, float8, float8, integer, float8, float8, float8, float8) COST 100;
ALTER FUNCTION @extschema@.clv_rfm(float8, float8, float8, float8[], regclass) COST 100;
ALTER FUNCTION @extschema@.clv_rfm(@extschema@.clv_summary, float8[], regclass) COST 100;
