------------------------------------------------------------------------------
-- The fitted model type (src/model.c) and the purchase models: BG/NBD,
-- MBG/NBD and Pareto/NBD (src/bgnbd.c, src/paretonbd.c, src/purchases.c)
------------------------------------------------------------------------------

CREATE TYPE @extschema@.clv_model;

CREATE FUNCTION @extschema@.clv_model_in(cstring) RETURNS @extschema@.clv_model
AS 'MODULE_PATHNAME', 'clv_model_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.clv_model_out(@extschema@.clv_model) RETURNS cstring
AS 'MODULE_PATHNAME', 'clv_model_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.clv_model_recv(internal) RETURNS @extschema@.clv_model
AS 'MODULE_PATHNAME', 'clv_model_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.clv_model_send(@extschema@.clv_model) RETURNS bytea
AS 'MODULE_PATHNAME', 'clv_model_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE @extschema@.clv_model (
    INPUT = @extschema@.clv_model_in,
    OUTPUT = @extschema@.clv_model_out,
    RECEIVE = @extschema@.clv_model_recv,
    SEND = @extschema@.clv_model_send,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = double,
    STORAGE = main
);

COMMENT ON TYPE @extschema@.clv_model IS
'a fitted customer-base model: its kind, parameters, log-likelihood, customers, iterations, convergence, penalizer and the covariance of the log-parameters';

CREATE FUNCTION @extschema@.clv_model_params(model @extschema@.clv_model) RETURNS jsonb
AS 'MODULE_PATHNAME', 'clv_model_jsonb' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.clv_model_params(@extschema@.clv_model) IS
'the model as jsonb: kind, parameters, standard errors, log-likelihood and fit diagnostics';

-- The fit state is a bigint[] of distinct (frequency, recency, age) patterns
-- with their counts; see src/bgnbd.c.
CREATE FUNCTION @extschema@.clv_fit_bgnbd_transfn(
    state bigint[], frequency float8, recency float8, age float8)
RETURNS bigint[] AS 'MODULE_PATHNAME', 'clv_fit_bgnbd_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.clv_fit_bgnbd_transfn(
    state bigint[], frequency float8, recency float8, age float8, penalizer float8)
RETURNS bigint[] AS 'MODULE_PATHNAME', 'clv_fit_bgnbd_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.clv_fit_bgnbd_transfn(state bigint[], summary @extschema@.clv_summary)
RETURNS bigint[] AS 'MODULE_PATHNAME', 'clv_fit_bgnbd_summary_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.clv_fit_bgnbd_transfn(
    state bigint[], summary @extschema@.clv_summary, penalizer float8)
RETURNS bigint[] AS 'MODULE_PATHNAME', 'clv_fit_bgnbd_summary_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.clv_fit_patterns_combine(bigint[], bigint[])
RETURNS bigint[] AS 'MODULE_PATHNAME', 'clv_fit_patterns_combine'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.clv_fit_bgnbd_final(bigint[])
RETURNS @extschema@.clv_model AS 'MODULE_PATHNAME', 'clv_fit_bgnbd_final'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE AGGREGATE @extschema@.clv_fit_bgnbd(frequency float8, recency float8, age float8) (
    SFUNC = @extschema@.clv_fit_bgnbd_transfn, STYPE = bigint[],
    FINALFUNC = @extschema@.clv_fit_bgnbd_final,
    COMBINEFUNC = @extschema@.clv_fit_patterns_combine, PARALLEL = SAFE);

CREATE AGGREGATE @extschema@.clv_fit_bgnbd(frequency float8, recency float8, age float8, penalizer float8) (
    SFUNC = @extschema@.clv_fit_bgnbd_transfn, STYPE = bigint[],
    FINALFUNC = @extschema@.clv_fit_bgnbd_final,
    COMBINEFUNC = @extschema@.clv_fit_patterns_combine, PARALLEL = SAFE);

CREATE AGGREGATE @extschema@.clv_fit_bgnbd(summary @extschema@.clv_summary) (
    SFUNC = @extschema@.clv_fit_bgnbd_transfn, STYPE = bigint[],
    FINALFUNC = @extschema@.clv_fit_bgnbd_final,
    COMBINEFUNC = @extschema@.clv_fit_patterns_combine, PARALLEL = SAFE);

CREATE AGGREGATE @extschema@.clv_fit_bgnbd(summary @extschema@.clv_summary, penalizer float8) (
    SFUNC = @extschema@.clv_fit_bgnbd_transfn, STYPE = bigint[],
    FINALFUNC = @extschema@.clv_fit_bgnbd_final,
    COMBINEFUNC = @extschema@.clv_fit_patterns_combine, PARALLEL = SAFE);

COMMENT ON AGGREGATE @extschema@.clv_fit_bgnbd(float8, float8, float8) IS
'BG/NBD (Fader, Hardie & Lee 2005) fitted by maximum likelihood over customers'' (frequency, recency, age)';

COMMENT ON AGGREGATE @extschema@.clv_fit_bgnbd(float8, float8, float8, float8) IS
'BG/NBD with an L2 penalizer on the parameters, as lifetimes'' penalizer_coef';

COMMENT ON AGGREGATE @extschema@.clv_fit_bgnbd(@extschema@.clv_summary) IS
'BG/NBD fitted over customer summaries; customers without purchases are skipped';

COMMENT ON AGGREGATE @extschema@.clv_fit_bgnbd(@extschema@.clv_summary, float8) IS
'BG/NBD over customer summaries, with an L2 penalizer';

CREATE FUNCTION @extschema@.clv_fit_mbgnbd_final(bigint[])
RETURNS @extschema@.clv_model AS 'MODULE_PATHNAME', 'clv_fit_mbgnbd_final'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE AGGREGATE @extschema@.clv_fit_mbgnbd(frequency float8, recency float8, age float8) (
    SFUNC = @extschema@.clv_fit_bgnbd_transfn, STYPE = bigint[],
    FINALFUNC = @extschema@.clv_fit_mbgnbd_final,
    COMBINEFUNC = @extschema@.clv_fit_patterns_combine, PARALLEL = SAFE);

CREATE AGGREGATE @extschema@.clv_fit_mbgnbd(frequency float8, recency float8, age float8, penalizer float8) (
    SFUNC = @extschema@.clv_fit_bgnbd_transfn, STYPE = bigint[],
    FINALFUNC = @extschema@.clv_fit_mbgnbd_final,
    COMBINEFUNC = @extschema@.clv_fit_patterns_combine, PARALLEL = SAFE);

CREATE AGGREGATE @extschema@.clv_fit_mbgnbd(summary @extschema@.clv_summary) (
    SFUNC = @extschema@.clv_fit_bgnbd_transfn, STYPE = bigint[],
    FINALFUNC = @extschema@.clv_fit_mbgnbd_final,
    COMBINEFUNC = @extschema@.clv_fit_patterns_combine, PARALLEL = SAFE);

CREATE AGGREGATE @extschema@.clv_fit_mbgnbd(summary @extschema@.clv_summary, penalizer float8) (
    SFUNC = @extschema@.clv_fit_bgnbd_transfn, STYPE = bigint[],
    FINALFUNC = @extschema@.clv_fit_mbgnbd_final,
    COMBINEFUNC = @extschema@.clv_fit_patterns_combine, PARALLEL = SAFE);

COMMENT ON AGGREGATE @extschema@.clv_fit_mbgnbd(float8, float8, float8) IS
'MBG/NBD (Batislam, Denizel & Filiztekin 2007): BG/NBD where a customer can also drop out right after the first purchase';

COMMENT ON AGGREGATE @extschema@.clv_fit_mbgnbd(float8, float8, float8, float8) IS
'MBG/NBD with an L2 penalizer';

COMMENT ON AGGREGATE @extschema@.clv_fit_mbgnbd(@extschema@.clv_summary) IS
'MBG/NBD fitted over customer summaries';

COMMENT ON AGGREGATE @extschema@.clv_fit_mbgnbd(@extschema@.clv_summary, float8) IS
'MBG/NBD over customer summaries, with an L2 penalizer';

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

CREATE FUNCTION @extschema@.clv_fit_paretonbd_final(bigint[])
RETURNS @extschema@.clv_model AS 'MODULE_PATHNAME', 'clv_fit_paretonbd_final'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE AGGREGATE @extschema@.clv_fit_paretonbd(frequency float8, recency float8, age float8) (
    SFUNC = @extschema@.clv_fit_bgnbd_transfn, STYPE = bigint[],
    FINALFUNC = @extschema@.clv_fit_paretonbd_final,
    COMBINEFUNC = @extschema@.clv_fit_patterns_combine, PARALLEL = SAFE);

CREATE AGGREGATE @extschema@.clv_fit_paretonbd(frequency float8, recency float8, age float8, penalizer float8) (
    SFUNC = @extschema@.clv_fit_bgnbd_transfn, STYPE = bigint[],
    FINALFUNC = @extschema@.clv_fit_paretonbd_final,
    COMBINEFUNC = @extschema@.clv_fit_patterns_combine, PARALLEL = SAFE);

CREATE AGGREGATE @extschema@.clv_fit_paretonbd(summary @extschema@.clv_summary) (
    SFUNC = @extschema@.clv_fit_bgnbd_transfn, STYPE = bigint[],
    FINALFUNC = @extschema@.clv_fit_paretonbd_final,
    COMBINEFUNC = @extschema@.clv_fit_patterns_combine, PARALLEL = SAFE);

CREATE AGGREGATE @extschema@.clv_fit_paretonbd(summary @extschema@.clv_summary, penalizer float8) (
    SFUNC = @extschema@.clv_fit_bgnbd_transfn, STYPE = bigint[],
    FINALFUNC = @extschema@.clv_fit_paretonbd_final,
    COMBINEFUNC = @extschema@.clv_fit_patterns_combine, PARALLEL = SAFE);

COMMENT ON AGGREGATE @extschema@.clv_fit_paretonbd(float8, float8, float8) IS
'Pareto/NBD (Schmittlein, Morrison & Colombo 1987) fitted by maximum likelihood over customers'' (frequency, recency, age)';

COMMENT ON AGGREGATE @extschema@.clv_fit_paretonbd(float8, float8, float8, float8) IS
'Pareto/NBD with an L2 penalizer';

COMMENT ON AGGREGATE @extschema@.clv_fit_paretonbd(@extschema@.clv_summary) IS
'Pareto/NBD fitted over customer summaries';

COMMENT ON AGGREGATE @extschema@.clv_fit_paretonbd(@extschema@.clv_summary, float8) IS
'Pareto/NBD over customer summaries, with an L2 penalizer';

CREATE FUNCTION @extschema@.clv_p_alive(
    model @extschema@.clv_model, frequency float8, recency float8, age float8)
RETURNS float8 AS 'MODULE_PATHNAME', 'clv_bgnbd_p_alive'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 100;

CREATE FUNCTION @extschema@.clv_p_alive(model @extschema@.clv_model, summary @extschema@.clv_summary)
RETURNS float8 AS 'MODULE_PATHNAME', 'clv_bgnbd_p_alive_summary'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 100;

CREATE FUNCTION @extschema@.clv_expected_purchases(
    model @extschema@.clv_model, t float8, frequency float8, recency float8, age float8)
RETURNS float8 AS 'MODULE_PATHNAME', 'clv_bgnbd_expected_purchases'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 100;

CREATE FUNCTION @extschema@.clv_expected_purchases(
    model @extschema@.clv_model, t float8, summary @extschema@.clv_summary)
RETURNS float8 AS 'MODULE_PATHNAME', 'clv_bgnbd_expected_purchases_summary'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 100;

CREATE FUNCTION @extschema@.clv_expected_purchases_new(model @extschema@.clv_model, t float8)
RETURNS float8 AS 'MODULE_PATHNAME', 'clv_bgnbd_expected_purchases_new'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 100;

COMMENT ON FUNCTION @extschema@.clv_p_alive(@extschema@.clv_model, float8, float8, float8) IS
'probability that the customer is still active, given frequency, recency and age (BG/NBD, MBG/NBD, Pareto/NBD); for BG/BB age is the periods, and the probability is of being active at the next opportunity';

COMMENT ON FUNCTION @extschema@.clv_p_alive(@extschema@.clv_model, @extschema@.clv_summary) IS
'probability that the customer is still active, from a clv_summary';

COMMENT ON FUNCTION @extschema@.clv_expected_purchases(@extschema@.clv_model, float8, float8, float8, float8) IS
'expected purchases in the next t time units, given frequency, recency and age; for BG/BB, in the next t opportunities, age being the periods';

COMMENT ON FUNCTION @extschema@.clv_expected_purchases(@extschema@.clv_model, float8, @extschema@.clv_summary) IS
'expected purchases in the next t time units (the summary''s unit), from a clv_summary';

COMMENT ON FUNCTION @extschema@.clv_expected_purchases_new(@extschema@.clv_model, float8) IS
'expected purchases of a newly acquired customer in its first t time units (BG/BB: opportunities after the first)';

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
