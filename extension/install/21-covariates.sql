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
