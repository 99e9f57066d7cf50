------------------------------------------------------------------------------
-- Business-level figures over the per-customer summaries (src/business.c)
------------------------------------------------------------------------------

CREATE TYPE @extschema@.clv_business_kpis AS (
    customers                   bigint,
    orders                      bigint,
    revenue                     float8,
    avg_order_value             float8,
    purchase_frequency_per_year float8,
    observed_years              float8,
    retention_start             date,
    retention_end               date,
    customers_at_start          bigint,
    customers_retained          bigint,
    retention_rate              float8,
    annual_retention_rate       float8,
    lifespan_years              float8,
    observed_lifespan_years     float8,
    gross_margin                float8,
    clv                         float8
);

COMMENT ON TYPE @extschema@.clv_business_kpis IS
'a business''s own CLV inputs (average order value, purchase frequency, retention, lifespan) and the simple CLV computed from them';

CREATE FUNCTION @extschema@.clv_business_transfn(
    state bigint[], summary @extschema@.clv_summary, retention_start date)
RETURNS bigint[]
AS 'MODULE_PATHNAME', 'clv_business_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.clv_business_transfn(
    state bigint[], summary @extschema@.clv_summary, retention_start date,
    gross_margin float8)
RETURNS bigint[]
AS 'MODULE_PATHNAME', 'clv_business_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.clv_business_combine(bigint[], bigint[])
RETURNS bigint[]
AS 'MODULE_PATHNAME', 'clv_business_combine'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.clv_business_final(bigint[])
RETURNS @extschema@.clv_business_kpis
AS 'MODULE_PATHNAME', 'clv_business_final'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE AGGREGATE @extschema@.clv_business_kpis(
    summary @extschema@.clv_summary, retention_start date) (
    SFUNC = @extschema@.clv_business_transfn,
    STYPE = bigint[],
    FINALFUNC = @extschema@.clv_business_final,
    COMBINEFUNC = @extschema@.clv_business_combine,
    PARALLEL = SAFE
);

CREATE AGGREGATE @extschema@.clv_business_kpis(
    summary @extschema@.clv_summary, retention_start date,
    gross_margin float8) (
    SFUNC = @extschema@.clv_business_transfn,
    STYPE = bigint[],
    FINALFUNC = @extschema@.clv_business_final,
    COMBINEFUNC = @extschema@.clv_business_combine,
    PARALLEL = SAFE
);

COMMENT ON AGGREGATE @extschema@.clv_business_kpis(@extschema@.clv_summary, date) IS
'business KPIs over customer summaries that share one observation_end; retention is measured from retention_start to that end';

COMMENT ON AGGREGATE @extschema@.clv_business_kpis(@extschema@.clv_summary, date, float8) IS
'business KPIs over customer summaries, with the simple CLV multiplied by gross_margin (a fraction)';
