------------------------------------------------------------------------------
-- Predicted customer lifetime value (src/value.c), and its interval from the
-- parameters' uncertainty (src/interval.c)
------------------------------------------------------------------------------

CREATE FUNCTION @extschema@.clv_predicted_value(
    purchase_model @extschema@.clv_model, spend_model @extschema@.clv_model,
    frequency float8, recency float8, age float8, monetary float8,
    periods integer, discount_rate float8, units_per_period float8,
    margin float8 DEFAULT 1)
RETURNS float8 AS 'MODULE_PATHNAME', 'clv_predicted_value'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 100;

CREATE FUNCTION @extschema@.clv_predicted_value(
    purchase_model @extschema@.clv_model, spend_model @extschema@.clv_model,
    summary @extschema@.clv_summary, periods integer, discount_rate float8,
    period interval, margin float8 DEFAULT 1)
RETURNS float8 AS 'MODULE_PATHNAME', 'clv_predicted_value_summary'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 100;

COMMENT ON FUNCTION @extschema@.clv_predicted_value(@extschema@.clv_model, @extschema@.clv_model, float8, float8, float8, float8, integer, float8, float8, float8) IS
'discounted CLV over periods of units_per_period time units: BG/NBD purchases x Gamma-Gamma spend x margin, as lifetimes'' customer_lifetime_value';

COMMENT ON FUNCTION @extschema@.clv_predicted_value(@extschema@.clv_model, @extschema@.clv_model, @extschema@.clv_summary, integer, float8, interval, float8) IS
'discounted CLV over periods of the given length (an interval, converted with the summary''s time_unit)';

CREATE TYPE @extschema@.clv_interval AS (
    estimate  float8,
    std_error float8,
    low       float8,
    high      float8
);

COMMENT ON TYPE @extschema@.clv_interval IS
'a prediction with the standard error and interval that the uncertainty of the fitted parameters gives (delta method)';

CREATE FUNCTION @extschema@.clv_expected_purchases_interval(
    model @extschema@.clv_model, t float8, frequency float8, recency float8, age float8,
    level float8 DEFAULT 0.95)
RETURNS @extschema@.clv_interval AS 'MODULE_PATHNAME', 'clv_expected_purchases_interval'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 100;

CREATE FUNCTION @extschema@.clv_predicted_value_interval(
    purchase_model @extschema@.clv_model, spend_model @extschema@.clv_model,
    frequency float8, recency float8, age float8, monetary float8,
    periods integer, discount_rate float8, units_per_period float8,
    margin float8 DEFAULT 1, level float8 DEFAULT 0.95)
RETURNS @extschema@.clv_interval AS 'MODULE_PATHNAME', 'clv_predicted_value_interval'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 100;

COMMENT ON FUNCTION @extschema@.clv_expected_purchases_interval(@extschema@.clv_model, float8, float8, float8, float8, float8) IS
'expected purchases in the next t with a delta-method interval from the parameters'' covariance';

COMMENT ON FUNCTION @extschema@.clv_predicted_value_interval(@extschema@.clv_model, @extschema@.clv_model, float8, float8, float8, float8, integer, float8, float8, float8, float8) IS
'predicted CLV with a delta-method interval from both models'' parameter covariances';

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
