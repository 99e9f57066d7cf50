-- clv 0.1.0 -> 0.2.0.  clv--0.1.0.sql is frozen as released: every change to
-- the SQL objects from here on is made in an upgrade script, so that
-- CREATE EXTENSION (which runs 0.1.0 and then this file) and
-- ALTER EXTENSION clv UPDATE build exactly the same objects.
\echo Use "ALTER EXTENSION clv UPDATE TO '0.2.0'" to load this file. \quit

-- Credibility: a negative, NaN or infinite variance used to come out as a
-- weight above 1, a NaN estimate or a square root error far from its cause.
-- Both functions now say which argument is wrong.
CREATE OR REPLACE FUNCTION @extschema@.clv_credibility_transfn(
    state float8[], group_size bigint, group_mean float8, group_variance float8)
RETURNS float8[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
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
    RETURN ARRAY[coalesce(state[1], 0) + 1,
                 coalesce(state[2], 0) + group_size,
                 coalesce(state[3], 0) + CASE WHEN group_size > 1 THEN (group_size - 1) * group_variance ELSE 0 END,
                 coalesce(state[4], 0) + (group_size - 1),
                 coalesce(state[5], 0) + group_size * group_mean,
                 coalesce(state[6], 0) + group_size * group_mean * group_mean,
                 coalesce(state[7], 0) + group_size::float8 * group_size];
END
$$;

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
    IF within_variance < 0 OR within_variance IN ('NaN', 'Infinity')
       OR between_variance < 0 OR between_variance IN ('NaN', 'Infinity') THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('clv_credible_mean: variances must be finite and not negative (within %s, between %s)',
                             within_variance, between_variance);
    END IF;
    IF group_mean IN ('NaN', 'Infinity', '-Infinity') OR prior_mean IN ('NaN', 'Infinity', '-Infinity') THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('clv_credible_mean: means must be finite (group %s, prior %s)', group_mean, prior_mean);
    END IF;
    z := CASE WHEN between_variance > 0 THEN n / (n + within_variance / between_variance) ELSE 0 END;
    result.weight := z;
    result.estimate := CASE WHEN z > 0 THEN z * group_mean + (1 - z) * prior_mean ELSE prior_mean END;
    result.std_error := CASE WHEN between_variance > 0 THEN sqrt((1 - z) * between_variance) ELSE 0 END;
    result.lower_95 := result.estimate - 1.959963984540054 * result.std_error;
    result.upper_95 := result.estimate + 1.959963984540054 * result.std_error;
    RETURN result;
END
$$;

-- Refreshing a pipeline while orders come in.
--
-- Two refreshes of one pipeline used to run side by side: both read the
-- same observation end, both added the same new orders to the stored states
-- (counted twice), and the later commit could move the end backwards.  The
-- registry row is now locked for the rest of the refresh, so refreshes of
-- one pipeline queue up, and the end never goes back.
--
-- An order dated now() by a transaction that was still open when a refresh
-- took its snapshot used to be lost by incremental refreshes: dated before
-- the new end, it was not visible yet, and the next refresh looked only after
-- that end.  A refresh now first reads the clock, then waits (as CREATE INDEX
-- CONCURRENTLY waits for older snapshots) for the transactions open at that
-- moment that may add orders: those holding a write lock on the orders
-- table, and those that have written anything, unless they are refreshes
-- themselves (a shared advisory lock marks them) that have not written to
-- the orders.  It waits before it locks the registry, so a writer that goes
-- on to refresh the same pipeline cannot be stuck behind it; it stops
-- waiting for a transaction that waits for it.  It waits at most
-- clv.refresh_wait (default 60s) and then warns.  What it cannot see is a
-- transaction that has written nothing yet and will later insert an order
-- dated at its own start; orders dated when they are inserted are safe.

CREATE FUNCTION @extschema@.clv_pipeline_wait_for_writers(orders regclass, observation_end timestamptz)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    limit_text text := coalesce(nullif(current_setting('clv.refresh_wait', true), ''), '60s');
    wait_limit interval;
    deadline timestamptz;
    open_before text[];
    nap float8 := 0.005;
BEGIN
    BEGIN
        wait_limit := limit_text::interval;
    EXCEPTION WHEN invalid_datetime_format OR datetime_field_overflow THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('clv.refresh_wait must be an interval such as ''60s'', not %L', limit_text);
    END;
    deadline := clock_timestamp() + wait_limit;
    -- every transaction holds a lock on its own virtual transaction id, and
    -- one on its transaction id once it writes; pg_locks shows them to every
    -- role (pg_stat_activity hides other roles' transaction starts)
    SELECT array_agg(l.virtualtransaction) INTO open_before
      FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
     WHERE l.locktype = 'virtualxid' AND l.granted
       AND a.datid = (SELECT oid FROM pg_database WHERE datname = current_database())
       AND a.backend_type IN ('client backend', 'background worker')  -- not autovacuum
       AND l.pid <> pg_backend_pid()
       AND (EXISTS (SELECT FROM pg_locks w
                     WHERE w.virtualtransaction = l.virtualtransaction AND w.granted
                       AND w.locktype = 'relation' AND w.relation = orders
                       AND w.mode IN ('RowExclusiveLock', 'ShareRowExclusiveLock',
                                      'ExclusiveLock', 'AccessExclusiveLock'))
            OR (EXISTS (SELECT FROM pg_locks w
                         WHERE w.virtualtransaction = l.virtualtransaction AND w.granted
                           AND w.locktype = 'transactionid')
                AND NOT EXISTS (SELECT FROM pg_locks r
                                 WHERE r.pid = l.pid AND r.locktype = 'advisory' AND r.granted
                                   AND r.classid = 6515830 AND r.objid = 1 AND r.objsubid = 2)));
    WHILE open_before IS NOT NULL LOOP
        -- still open, and not waiting for this transaction (which would
        -- wait for it in turn, unseen by the deadlock detector)
        SELECT array_agg(l.virtualtransaction) INTO open_before
          FROM pg_locks l
         WHERE l.locktype = 'virtualxid' AND l.granted AND l.virtualtransaction = ANY (open_before)
           AND NOT pg_backend_pid() = ANY (pg_blocking_pids(l.pid));
        EXIT WHEN open_before IS NULL;
        IF clock_timestamp() > deadline THEN
            RAISE WARNING USING ERRCODE = '01000',
                MESSAGE = format('%s transactions that began before %s are still open after %s',
                                 cardinality(open_before), observation_end, wait_limit),
                DETAIL = 'Orders they add dated before that time are counted only by the next full refresh.',
                HINT = 'Raise clv.refresh_wait, or end long or idle transactions before refreshing.';
            EXIT;
        END IF;
        PERFORM pg_sleep(nap);
        nap := least(nap * 2, 0.1);
    END LOOP;
END
$$;

CREATE OR REPLACE FUNCTION @extschema@.clv_pipeline_summarise(target_schema name, incremental boolean)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    ext name := (SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
                 WHERE e.extname = 'clv');
    p record;
    new_end timestamptz;
    customers bigint;
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
        EXECUTE format($q$
            INSERT INTO %1$I.summary_state
            SELECT %2$I, %3$I.clv_summary_state(%4$I::timestamptz, %5$I::float8, %6$L::timestamptz)
            FROM %7$s WHERE %2$I IS NOT NULL AND %4$I::timestamptz <= %6$L::timestamptz
            GROUP BY %2$I$q$,
            target_schema, p.customer, ext, p.ordered_at, p.amount, new_end, p.source::text);
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
    END IF;
    GET DIAGNOSTICS customers = ROW_COUNT;
    EXECUTE format('UPDATE %I.clv_pipeline SET observed_until = %L', target_schema, new_end);
    RETURN customers;
END
$$;

-- Credibility states are float8[7] sums; a state typed in (or shipped from
-- another node) with the wrong length or impossible sums used to come out as
-- a prior of -1 groups.  Combine and final now check it.
CREATE FUNCTION @extschema@.clv_credibility_checked(state float8[])
RETURNS float8[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF state IS NOT NULL AND NOT (
           array_ndims(state) = 1 AND cardinality(state) = 7
           AND NOT EXISTS (SELECT FROM unnest(state) v WHERE v IS NULL OR v IN ('NaN', 'Infinity', '-Infinity'))
           AND state[1] >= 1 AND state[1] = trunc(state[1])      -- groups
           AND state[2] >= state[1] AND state[2] = trunc(state[2])  -- customers
           AND state[3] >= 0 AND state[4] = state[2] - state[1]    -- sum (n-1) s^2, sum (n-1)
           AND state[6] >= 0 AND state[7] >= state[2]) THEN          -- sum n mean^2, sum n^2
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = 'invalid clv_credibility_prior state',
            DETAIL = format('A state is 7 finite sums: groups, customers, sum (n-1) variance, sum (n-1), sum n mean, sum n mean^2, sum n^2; found %s.', state);
    END IF;
    RETURN state;
END
$$;

CREATE OR REPLACE FUNCTION @extschema@.clv_credibility_combine(a float8[], b float8[])
RETURNS float8[]
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

CREATE OR REPLACE FUNCTION @extschema@.clv_credibility_final(state float8[])
RETURNS @extschema@.clv_credibility_prior
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    WITH checked AS (SELECT @extschema@.clv_credibility_checked(state) AS state),
    s AS (
        SELECT state[1] AS g, state[2] AS n, state[4] AS dof,
               CASE WHEN state[4] > 0 THEN state[3] / state[4] END AS within,
               state[5] / state[2] AS grand,
               state[6] - state[5] * state[5] / state[2] AS between_ss,
               state[2] - state[7] / state[2] AS spread
        FROM checked)
    SELECT g::bigint, n::bigint, grand, within, b, within / nullif(b, 0)
      FROM s, LATERAL (SELECT CASE WHEN g > 1 AND within IS NOT NULL
                                   THEN greatest(0, (between_ss - (g - 1) * within) / spread) END AS b) AS v
     WHERE g IS NOT NULL
$$;
