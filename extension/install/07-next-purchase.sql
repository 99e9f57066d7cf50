------------------------------------------------------------------------------
-- The next purchase (src/nextpurchase.c)
------------------------------------------------------------------------------

CREATE TYPE @extschema@.clv_next_purchase AS (
    probability  float8,
    median_wait  float8
);

COMMENT ON TYPE @extschema@.clv_next_purchase IS
'the probability that the customer buys again at all, and the median wait for it given that they do (time units of the model)';

CREATE FUNCTION @extschema@.clv_next_purchase(
    model @extschema@.clv_model, frequency float8, recency float8, age float8)
RETURNS @extschema@.clv_next_purchase AS 'MODULE_PATHNAME', 'clv_next_purchase'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 100;

CREATE FUNCTION @extschema@.clv_next_purchase(model @extschema@.clv_model, summary @extschema@.clv_summary)
RETURNS @extschema@.clv_next_purchase AS 'MODULE_PATHNAME', 'clv_next_purchase_summary'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 100;

COMMENT ON FUNCTION @extschema@.clv_next_purchase(@extschema@.clv_model, float8, float8, float8) IS
'probability of a next purchase and the median wait for it after age, given frequency, recency and age';

COMMENT ON FUNCTION @extschema@.clv_next_purchase(@extschema@.clv_model, @extschema@.clv_summary) IS
'probability of a next purchase and the median wait for it, from a clv_summary; add median_wait x time_unit to observation_end for a date';

CREATE FUNCTION @extschema@.clv_p_no_purchase(
    model @extschema@.clv_model, t float8, frequency float8, recency float8, age float8)
RETURNS float8 AS 'MODULE_PATHNAME', 'clv_p_no_purchase'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 100;

COMMENT ON FUNCTION @extschema@.clv_p_no_purchase(@extschema@.clv_model, float8, float8, float8, float8) IS
'probability that the customer makes no purchase in the next t time units (any purchase model)';

CREATE FUNCTION @extschema@.clv_p_purchases(
    model @extschema@.clv_model, purchases integer, t float8,
    frequency float8, recency float8, age float8)
RETURNS float8 AS 'MODULE_PATHNAME', 'clv_p_purchases'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 100;

COMMENT ON FUNCTION @extschema@.clv_p_purchases(@extschema@.clv_model, integer, float8, float8, float8, float8) IS
'probability of exactly that many purchases in the next t time units (any purchase model)';
