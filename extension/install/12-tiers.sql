------------------------------------------------------------------------------
-- Value tiers, profile groups and the expected CLV of a new customer
-- (src/tiers.c; the credibility-weighted prior and mean in SQL)
------------------------------------------------------------------------------

CREATE FUNCTION @extschema@.clv_value_tier(
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

COMMENT ON FUNCTION @extschema@.clv_value_tier(float8, float8[]) IS
'tier label (''top 1%'', ''top 5%'', ''top 20%'', ''rest'') of a customer whose value is in the top top_share of customers, e.g. cume_dist() OVER (ORDER BY clv DESC)';

CREATE TYPE @extschema@.clv_credibility_prior AS (
    groups           bigint,
    customers        bigint,
    grand_mean       float8,
    within_variance  float8,
    between_variance float8,
    k                float8
);

COMMENT ON TYPE @extschema@.clv_credibility_prior IS
'Buhlmann-Straub structure of a measure over groups: the customer-weighted grand mean, the variance within groups, the variance of true group means between groups, and k = within / between';

CREATE TYPE @extschema@.clv_credible_mean AS (
    estimate  float8,
    weight    float8,
    std_error float8,
    lower_95  float8,
    upper_95  float8
);

-- A group of no customers gets the prior, also when the within-group
-- variance is 0 (the weight would otherwise be 0 / 0).
CREATE FUNCTION @extschema@.clv_credible_mean(
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

COMMENT ON FUNCTION @extschema@.clv_credible_mean(bigint, float8, float8, float8, float8) IS
'a group''s mean shrunk toward prior_mean with Buhlmann credibility weight n / (n + within/between), its standard error sqrt((1 - weight) between) and a normal 95% interval; a group with no customers gets the prior';

-- clv_credibility_prior's state: {groups, customers, sum (n-1) s^2, sum (n-1),
-- sum n mean, sum n mean^2, sum n^2}, all exact (numeric)
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
CREATE FUNCTION @extschema@.clv_credibility_checked(state numeric[])
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
    RETURN ARRAY(SELECT x OPERATOR(pg_catalog.+) y FROM ROWS FROM (pg_catalog.unnest(a), pg_catalog.unnest(b)) AS u(x, y));
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

CREATE AGGREGATE @extschema@.clv_credibility_prior(
    group_size bigint, group_mean float8, group_variance float8) (
    SFUNC = @extschema@.clv_credibility_transfn, STYPE = numeric[],
    FINALFUNC = @extschema@.clv_credibility_final,
    COMBINEFUNC = @extschema@.clv_credibility_combine, PARALLEL = SAFE);

COMMENT ON AGGREGATE @extschema@.clv_credibility_prior(bigint, float8, float8) IS
'over one row per group (customers, mean and sample variance of their CLV), the structure that clv_credible_mean shrinks each group with; sums are exact, so the prior does not depend on row order, parallel workers or shards';

-- The bounds of the value tiers (src/tiers.c): the lowest value in each.
CREATE FUNCTION @extschema@.clv_value_tier_bounds(predicted_values float8[], cutoffs float8[] DEFAULT '{0.01,0.05,0.2}')
RETURNS float8[] AS 'MODULE_PATHNAME', 'clv_value_tier_bounds'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.clv_value_tier_bounds(float8[], float8[]) IS
'for each cutoff, the lowest value whose cume_dist over all values (best first, NULLs last) is within it: a value is in the tier clv_value_tier gives its cume_dist if it is at least the bound';
