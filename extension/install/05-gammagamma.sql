------------------------------------------------------------------------------
-- The Gamma-Gamma spend model (src/gammagamma.c)
------------------------------------------------------------------------------

CREATE FUNCTION @extschema@.clv_fit_gammagamma_transfn(state bigint[], frequency float8, monetary float8)
RETURNS bigint[] AS 'MODULE_PATHNAME', 'clv_fit_gammagamma_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.clv_fit_gammagamma_transfn(
    state bigint[], frequency float8, monetary float8, penalizer float8)
RETURNS bigint[] AS 'MODULE_PATHNAME', 'clv_fit_gammagamma_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.clv_fit_gammagamma_transfn(state bigint[], summary @extschema@.clv_summary)
RETURNS bigint[] AS 'MODULE_PATHNAME', 'clv_fit_gammagamma_summary_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.clv_fit_gammagamma_transfn(
    state bigint[], summary @extschema@.clv_summary, penalizer float8)
RETURNS bigint[] AS 'MODULE_PATHNAME', 'clv_fit_gammagamma_summary_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.clv_fit_gammagamma_final(bigint[])
RETURNS @extschema@.clv_model AS 'MODULE_PATHNAME', 'clv_fit_gammagamma_final'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE AGGREGATE @extschema@.clv_fit_gammagamma(frequency float8, monetary float8) (
    SFUNC = @extschema@.clv_fit_gammagamma_transfn, STYPE = bigint[],
    FINALFUNC = @extschema@.clv_fit_gammagamma_final,
    COMBINEFUNC = @extschema@.clv_fit_patterns_combine, PARALLEL = SAFE);

CREATE AGGREGATE @extschema@.clv_fit_gammagamma(frequency float8, monetary float8, penalizer float8) (
    SFUNC = @extschema@.clv_fit_gammagamma_transfn, STYPE = bigint[],
    FINALFUNC = @extschema@.clv_fit_gammagamma_final,
    COMBINEFUNC = @extschema@.clv_fit_patterns_combine, PARALLEL = SAFE);

CREATE AGGREGATE @extschema@.clv_fit_gammagamma(summary @extschema@.clv_summary) (
    SFUNC = @extschema@.clv_fit_gammagamma_transfn, STYPE = bigint[],
    FINALFUNC = @extschema@.clv_fit_gammagamma_final,
    COMBINEFUNC = @extschema@.clv_fit_patterns_combine, PARALLEL = SAFE);

CREATE AGGREGATE @extschema@.clv_fit_gammagamma(summary @extschema@.clv_summary, penalizer float8) (
    SFUNC = @extschema@.clv_fit_gammagamma_transfn, STYPE = bigint[],
    FINALFUNC = @extschema@.clv_fit_gammagamma_final,
    COMBINEFUNC = @extschema@.clv_fit_patterns_combine, PARALLEL = SAFE);

COMMENT ON AGGREGATE @extschema@.clv_fit_gammagamma(float8, float8) IS
'Gamma-Gamma spend model (Fader, Hardie & Lee 2005) fitted on customers with repeat purchases';

COMMENT ON AGGREGATE @extschema@.clv_fit_gammagamma(float8, float8, float8) IS
'Gamma-Gamma spend model with an L2 penalizer';

COMMENT ON AGGREGATE @extschema@.clv_fit_gammagamma(@extschema@.clv_summary) IS
'Gamma-Gamma spend model over customer summaries (repeat buyers with a positive mean spend)';

COMMENT ON AGGREGATE @extschema@.clv_fit_gammagamma(@extschema@.clv_summary, float8) IS
'Gamma-Gamma spend model over customer summaries, with an L2 penalizer';

CREATE FUNCTION @extschema@.clv_expected_spend(model @extschema@.clv_model, frequency float8, monetary float8)
RETURNS float8 AS 'MODULE_PATHNAME', 'clv_gammagamma_expected_spend'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 100;

CREATE FUNCTION @extschema@.clv_expected_spend(model @extschema@.clv_model, summary @extschema@.clv_summary)
RETURNS float8 AS 'MODULE_PATHNAME', 'clv_gammagamma_expected_spend_summary'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 100;

COMMENT ON FUNCTION @extschema@.clv_expected_spend(@extschema@.clv_model, float8, float8) IS
'conditional expected spend per transaction, given frequency and mean repeat spend (Gamma-Gamma)';

COMMENT ON FUNCTION @extschema@.clv_expected_spend(@extschema@.clv_model, @extschema@.clv_summary) IS
'conditional expected spend per transaction, from a clv_summary (Gamma-Gamma)';
