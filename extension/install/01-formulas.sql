------------------------------------------------------------------------------
-- The CLV a business computes by hand (src/formulas.c)
------------------------------------------------------------------------------

CREATE FUNCTION @extschema@.clv_simple(
    avg_order_value float8,
    purchases_per_year float8,
    lifespan_years float8,
    gross_margin float8 DEFAULT 1)
RETURNS float8
AS 'MODULE_PATHNAME', 'clv_simple'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.clv_simple(float8, float8, float8, float8) IS
'CLV = average order value x purchases per year x lifespan in years x gross margin (a fraction, default 1)';

CREATE FUNCTION @extschema@.clv_one_off_plus_recurring(
    one_off_value float8,
    recurring_per_year float8,
    years float8,
    gross_margin float8 DEFAULT 1)
RETURNS float8
AS 'MODULE_PATHNAME', 'clv_one_off_plus_recurring'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.clv_one_off_plus_recurring(float8, float8, float8, float8) IS
'CLV of a one-off purchase followed by recurring revenue: (one_off_value + recurring_per_year x years) x gross margin';

CREATE FUNCTION @extschema@.clv_retention(
    margin_per_period float8,
    retention_rate float8,
    discount_rate float8)
RETURNS float8
AS 'MODULE_PATHNAME', 'clv_retention_infinite'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.clv_retention(float8, float8, float8) IS
'Gupta & Lehmann CLV over an infinite horizon: m x r / (1 + d - r); margin earned at the end of each period survived';

CREATE FUNCTION @extschema@.clv_retention(
    margin_per_period float8,
    retention_rate float8,
    discount_rate float8,
    periods integer)
RETURNS float8
AS 'MODULE_PATHNAME', 'clv_retention_finite'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.clv_retention(float8, float8, float8, integer) IS
'CLV over a finite horizon: sum for t = 1..periods of m x r^t / (1 + d)^t';

CREATE FUNCTION @extschema@.clv_cac_ratio(clv float8, acquisition_cost float8)
RETURNS float8
AS 'MODULE_PATHNAME', 'clv_cac_ratio'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.clv_cac_ratio(float8, float8) IS
'CLV divided by customer acquisition cost; NULL when the cost is 0; 3 or more is the usual rule of thumb';

CREATE FUNCTION @extschema@.clv_cac_ok(
    clv float8,
    acquisition_cost float8,
    min_ratio float8 DEFAULT 3)
RETURNS boolean
AS 'MODULE_PATHNAME', 'clv_cac_ok'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.clv_cac_ok(float8, float8, float8) IS
'true when CLV is at least min_ratio (default 3) times the acquisition cost';
