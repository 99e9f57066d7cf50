-- clv 0.1.0 install script.
--
-- Schema safety: every object is created in @extschema@ and every reference
-- to another object is schema-qualified (pg_catalog or @extschema@), so the
-- caller's search_path cannot redirect anything.  No CREATE OR REPLACE.

\echo Use "CREATE EXTENSION clv" to load this file. \quit

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
'CLV divided by customer acquisition cost; 3 or more is the usual rule of thumb';

CREATE FUNCTION @extschema@.clv_cac_ok(
    clv float8,
    acquisition_cost float8,
    min_ratio float8 DEFAULT 3)
RETURNS boolean
AS 'MODULE_PATHNAME', 'clv_cac_ok'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.clv_cac_ok(float8, float8, float8) IS
'true when CLV is at least min_ratio (default 3) times the acquisition cost';

------------------------------------------------------------------------------
-- Per-customer summary from raw orders (src/summary.c)
------------------------------------------------------------------------------

CREATE TYPE @extschema@.clv_summary AS (
    first_order      date,
    last_order       date,
    observation_end  date,
    orders           bigint,
    refunds          bigint,
    purchase_days    integer,
    total_amount     float8,
    refunded_amount  float8,
    avg_order_value  float8,
    frequency        integer,
    recency          float8,
    age              float8,
    monetary         float8,
    mean_gap         float8,
    gap_stddev       float8,
    time_unit        interval
);

COMMENT ON TYPE @extschema@.clv_summary IS
'one customer''s orders summarised: totals, the Buy-Till-You-Die (frequency, recency, age, monetary) and the rhythm of purchase gaps';

-- The transition state is a bigint[] rather than internal so that Citus can
-- ship partial states between nodes as text; see src/summary_state.h for its
-- layout.  The combine and final functions validate any array they are given.
CREATE FUNCTION @extschema@.clv_summary_transfn(
    state bigint[], ordered_at timestamptz, amount float8,
    observation_end timestamptz)
RETURNS bigint[]
AS 'MODULE_PATHNAME', 'clv_summary_transfn'
LANGUAGE C STABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.clv_summary_transfn(
    state bigint[], ordered_at timestamptz, amount float8,
    observation_end timestamptz, time_unit interval)
RETURNS bigint[]
AS 'MODULE_PATHNAME', 'clv_summary_transfn'
LANGUAGE C STABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.clv_summary_transfn(
    state bigint[], order_date date, amount float8, observation_end date)
RETURNS bigint[]
AS 'MODULE_PATHNAME', 'clv_summary_date_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.clv_summary_transfn(
    state bigint[], order_date date, amount float8, observation_end date,
    time_unit interval)
RETURNS bigint[]
AS 'MODULE_PATHNAME', 'clv_summary_date_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.clv_summary_combine(bigint[], bigint[])
RETURNS bigint[]
AS 'MODULE_PATHNAME', 'clv_summary_combine'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.clv_summary_final(bigint[])
RETURNS @extschema@.clv_summary
AS 'MODULE_PATHNAME', 'clv_summary_final'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE AGGREGATE @extschema@.clv_summary(
    ordered_at timestamptz, amount float8, observation_end timestamptz) (
    SFUNC = @extschema@.clv_summary_transfn,
    STYPE = bigint[],
    FINALFUNC = @extschema@.clv_summary_final,
    COMBINEFUNC = @extschema@.clv_summary_combine,
    PARALLEL = SAFE
);

CREATE AGGREGATE @extschema@.clv_summary(
    ordered_at timestamptz, amount float8, observation_end timestamptz,
    time_unit interval) (
    SFUNC = @extschema@.clv_summary_transfn,
    STYPE = bigint[],
    FINALFUNC = @extschema@.clv_summary_final,
    COMBINEFUNC = @extschema@.clv_summary_combine,
    PARALLEL = SAFE
);

CREATE AGGREGATE @extschema@.clv_summary(
    order_date date, amount float8, observation_end date) (
    SFUNC = @extschema@.clv_summary_transfn,
    STYPE = bigint[],
    FINALFUNC = @extschema@.clv_summary_final,
    COMBINEFUNC = @extschema@.clv_summary_combine,
    PARALLEL = SAFE
);

CREATE AGGREGATE @extschema@.clv_summary(
    order_date date, amount float8, observation_end date,
    time_unit interval) (
    SFUNC = @extschema@.clv_summary_transfn,
    STYPE = bigint[],
    FINALFUNC = @extschema@.clv_summary_final,
    COMBINEFUNC = @extschema@.clv_summary_combine,
    PARALLEL = SAFE
);

COMMENT ON AGGREGATE @extschema@.clv_summary(timestamptz, float8, timestamptz) IS
'per-customer summary of orders up to observation_end; the calendar day of a timestamptz is taken in the session TimeZone; time in days';
COMMENT ON AGGREGATE @extschema@.clv_summary(timestamptz, float8, timestamptz, interval) IS
'per-customer summary of orders up to observation_end; the calendar day of a timestamptz is taken in the session TimeZone; time in time_unit';
COMMENT ON AGGREGATE @extschema@.clv_summary(date, float8, date) IS
'per-customer summary of orders up to and including the observation_end day; time in days';
COMMENT ON AGGREGATE @extschema@.clv_summary(date, float8, date, interval) IS
'per-customer summary of orders up to and including the observation_end day; time in time_unit';

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

------------------------------------------------------------------------------
-- Fitted models (src/model.c) and BG/NBD (src/bgnbd.c)
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
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.clv_p_alive(model @extschema@.clv_model, summary @extschema@.clv_summary)
RETURNS float8 AS 'MODULE_PATHNAME', 'clv_bgnbd_p_alive_summary'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.clv_expected_purchases(
    model @extschema@.clv_model, t float8, frequency float8, recency float8, age float8)
RETURNS float8 AS 'MODULE_PATHNAME', 'clv_bgnbd_expected_purchases'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.clv_expected_purchases(
    model @extschema@.clv_model, t float8, summary @extschema@.clv_summary)
RETURNS float8 AS 'MODULE_PATHNAME', 'clv_bgnbd_expected_purchases_summary'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.clv_expected_purchases_new(model @extschema@.clv_model, t float8)
RETURNS float8 AS 'MODULE_PATHNAME', 'clv_bgnbd_expected_purchases_new'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.clv_p_alive(@extschema@.clv_model, float8, float8, float8) IS
'probability that the customer is still active, given frequency, recency and age (BG/NBD or MBG/NBD)';
COMMENT ON FUNCTION @extschema@.clv_p_alive(@extschema@.clv_model, @extschema@.clv_summary) IS
'probability that the customer is still active, from a clv_summary';
COMMENT ON FUNCTION @extschema@.clv_expected_purchases(@extschema@.clv_model, float8, float8, float8, float8) IS
'expected purchases in the next t time units, given frequency, recency and age';
COMMENT ON FUNCTION @extschema@.clv_expected_purchases(@extschema@.clv_model, float8, @extschema@.clv_summary) IS
'expected purchases in the next t time units (the summary''s unit), from a clv_summary';
COMMENT ON FUNCTION @extschema@.clv_expected_purchases_new(@extschema@.clv_model, float8) IS
'expected purchases of a newly acquired customer in its first t time units';

------------------------------------------------------------------------------
-- Gamma-Gamma spend model (src/gammagamma.c)
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
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.clv_expected_spend(model @extschema@.clv_model, summary @extschema@.clv_summary)
RETURNS float8 AS 'MODULE_PATHNAME', 'clv_gammagamma_expected_spend_summary'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.clv_expected_spend(@extschema@.clv_model, float8, float8) IS
'conditional expected spend per transaction, given frequency and mean repeat spend (Gamma-Gamma)';
COMMENT ON FUNCTION @extschema@.clv_expected_spend(@extschema@.clv_model, @extschema@.clv_summary) IS
'conditional expected spend per transaction, from a clv_summary (Gamma-Gamma)';

------------------------------------------------------------------------------
-- Predicted customer lifetime value (src/value.c)
------------------------------------------------------------------------------

CREATE FUNCTION @extschema@.clv_predicted_value(
    purchase_model @extschema@.clv_model, spend_model @extschema@.clv_model,
    frequency float8, recency float8, age float8, monetary float8,
    periods integer, discount_rate float8, units_per_period float8,
    margin float8 DEFAULT 1)
RETURNS float8 AS 'MODULE_PATHNAME', 'clv_predicted_value'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.clv_predicted_value(
    purchase_model @extschema@.clv_model, spend_model @extschema@.clv_model,
    summary @extschema@.clv_summary, periods integer, discount_rate float8,
    period interval, margin float8 DEFAULT 1)
RETURNS float8 AS 'MODULE_PATHNAME', 'clv_predicted_value_summary'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.clv_predicted_value(@extschema@.clv_model, @extschema@.clv_model, float8, float8, float8, float8, integer, float8, float8, float8) IS
'discounted CLV over periods of units_per_period time units: BG/NBD purchases x Gamma-Gamma spend x margin, as lifetimes'' customer_lifetime_value';
COMMENT ON FUNCTION @extschema@.clv_predicted_value(@extschema@.clv_model, @extschema@.clv_model, @extschema@.clv_summary, integer, float8, interval, float8) IS
'discounted CLV over periods of the given length (an interval, converted with the summary''s time_unit)';

------------------------------------------------------------------------------
-- Prediction intervals from the parameters' uncertainty (src/interval.c)
------------------------------------------------------------------------------

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
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.clv_predicted_value_interval(
    purchase_model @extschema@.clv_model, spend_model @extschema@.clv_model,
    frequency float8, recency float8, age float8, monetary float8,
    periods integer, discount_rate float8, units_per_period float8,
    margin float8 DEFAULT 1, level float8 DEFAULT 0.95)
RETURNS @extschema@.clv_interval AS 'MODULE_PATHNAME', 'clv_predicted_value_interval'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.clv_expected_purchases_interval(@extschema@.clv_model, float8, float8, float8, float8, float8) IS
'expected purchases in the next t with a delta-method interval from the parameters'' covariance';
COMMENT ON FUNCTION @extschema@.clv_predicted_value_interval(@extschema@.clv_model, @extschema@.clv_model, float8, float8, float8, float8, integer, float8, float8, float8, float8) IS
'predicted CLV with a delta-method interval from both models'' parameter covariances';

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
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.clv_next_purchase(model @extschema@.clv_model, summary @extschema@.clv_summary)
RETURNS @extschema@.clv_next_purchase AS 'MODULE_PATHNAME', 'clv_next_purchase_summary'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.clv_next_purchase(@extschema@.clv_model, float8, float8, float8) IS
'probability of a next purchase and the median wait for it after age, given frequency, recency and age';
COMMENT ON FUNCTION @extschema@.clv_next_purchase(@extschema@.clv_model, @extschema@.clv_summary) IS
'probability of a next purchase and the median wait for it, from a clv_summary; add median_wait x time_unit to observation_end for a date';

CREATE FUNCTION @extschema@.clv_p_no_purchase(
    model @extschema@.clv_model, t float8, frequency float8, recency float8, age float8)
RETURNS float8 AS 'MODULE_PATHNAME', 'clv_p_no_purchase'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.clv_p_no_purchase(@extschema@.clv_model, float8, float8, float8, float8) IS
'probability that the customer makes no purchase in the next t time units (any purchase model)';

CREATE FUNCTION @extschema@.clv_p_purchases(
    model @extschema@.clv_model, purchases integer, t float8,
    frequency float8, recency float8, age float8)
RETURNS float8 AS 'MODULE_PATHNAME', 'clv_p_purchases'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.clv_p_purchases(@extschema@.clv_model, integer, float8, float8, float8, float8) IS
'probability of exactly that many purchases in the next t time units (any purchase model)';

------------------------------------------------------------------------------
-- RFM scores and named segments (src/rfm.c)
------------------------------------------------------------------------------

CREATE TYPE @extschema@.clv_rfm AS (
    recency_days    float8,
    frequency       float8,
    monetary        float8,
    recency_score   integer,
    frequency_score integer,
    monetary_score  integer,
    rfm_cell        integer,
    segment         text
);

COMMENT ON TYPE @extschema@.clv_rfm IS
'one customer''s RFM measures, scores (1 = worst, bins = best), the cell 100 r + 10 f + m, and the named segment';

-- The standard segment map.  It belongs to the extension and is recreated by
-- CREATE EXTENSION, so it is not for editing: copy it into a table of your
-- own (same column names) and pass that table to clv_rfm.
CREATE TABLE @extschema@.clv_rfm_standard_segments (
    priority      integer PRIMARY KEY,
    segment       text NOT NULL,
    recency_min   integer,
    recency_max   integer,
    frequency_min integer,
    frequency_max integer,
    monetary_min  integer,
    monetary_max  integer
);

INSERT INTO @extschema@.clv_rfm_standard_segments VALUES
    ( 1, 'Champions',          4, 5, 4, 5, 4, 5),
    ( 2, 'Loyal Customers',    2, 5, 3, 5, 3, 5),
    ( 3, 'New Customers',      4, 5, 1, 1, 1, 1),
    ( 4, 'Promising',          3, 4, 1, 1, 1, 1),
    ( 5, 'Potential Loyalist', 3, 5, 1, 3, 1, 3),
    ( 6, 'Need Attention',     2, 3, 2, 3, 2, 3),
    ( 7, 'About To Sleep',     2, 3, 1, 2, 1, 2),
    ( 8, 'Cannot Lose Them',   1, 1, 4, 5, 4, 5),
    ( 9, 'At Risk',            1, 2, 2, 5, 2, 5),
    (10, 'Lost',               1, 1, 1, 1, 1, 1),
    (11, 'Hibernating',        1, 2, 1, 2, 1, 2),
    (12, 'Others',             NULL, NULL, NULL, NULL, NULL, NULL);

GRANT SELECT ON @extschema@.clv_rfm_standard_segments TO PUBLIC;

COMMENT ON TABLE @extschema@.clv_rfm_standard_segments IS
'the standard RFM segment map for 5 bins: the first row in priority order whose ranges (NULL: no bound) hold the scores names the segment';

CREATE FUNCTION @extschema@.clv_rfm_breakpoints_transfn(
    state bigint[], recency_days float8, frequency float8, monetary float8)
RETURNS bigint[] AS 'MODULE_PATHNAME', 'clv_rfm_breakpoints_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.clv_rfm_breakpoints_transfn(
    state bigint[], recency_days float8, frequency float8, monetary float8, bins integer)
RETURNS bigint[] AS 'MODULE_PATHNAME', 'clv_rfm_breakpoints_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.clv_rfm_breakpoints_transfn(
    state bigint[], summary @extschema@.clv_summary)
RETURNS bigint[] AS 'MODULE_PATHNAME', 'clv_rfm_breakpoints_summary_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.clv_rfm_breakpoints_transfn(
    state bigint[], summary @extschema@.clv_summary, bins integer)
RETURNS bigint[] AS 'MODULE_PATHNAME', 'clv_rfm_breakpoints_summary_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.clv_rfm_breakpoints_combine(bigint[], bigint[])
RETURNS bigint[] AS 'MODULE_PATHNAME', 'clv_rfm_breakpoints_combine'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.clv_rfm_breakpoints_final(bigint[])
RETURNS float8[] AS 'MODULE_PATHNAME', 'clv_rfm_breakpoints_final'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE AGGREGATE @extschema@.clv_rfm_breakpoints(
    recency_days float8, frequency float8, monetary float8) (
    SFUNC = @extschema@.clv_rfm_breakpoints_transfn, STYPE = bigint[],
    FINALFUNC = @extschema@.clv_rfm_breakpoints_final,
    COMBINEFUNC = @extschema@.clv_rfm_breakpoints_combine, PARALLEL = SAFE);
CREATE AGGREGATE @extschema@.clv_rfm_breakpoints(
    recency_days float8, frequency float8, monetary float8, bins integer) (
    SFUNC = @extschema@.clv_rfm_breakpoints_transfn, STYPE = bigint[],
    FINALFUNC = @extschema@.clv_rfm_breakpoints_final,
    COMBINEFUNC = @extschema@.clv_rfm_breakpoints_combine, PARALLEL = SAFE);
CREATE AGGREGATE @extschema@.clv_rfm_breakpoints(summary @extschema@.clv_summary) (
    SFUNC = @extschema@.clv_rfm_breakpoints_transfn, STYPE = bigint[],
    FINALFUNC = @extschema@.clv_rfm_breakpoints_final,
    COMBINEFUNC = @extschema@.clv_rfm_breakpoints_combine, PARALLEL = SAFE);
CREATE AGGREGATE @extschema@.clv_rfm_breakpoints(summary @extschema@.clv_summary, bins integer) (
    SFUNC = @extschema@.clv_rfm_breakpoints_transfn, STYPE = bigint[],
    FINALFUNC = @extschema@.clv_rfm_breakpoints_final,
    COMBINEFUNC = @extschema@.clv_rfm_breakpoints_combine, PARALLEL = SAFE);

COMMENT ON AGGREGATE @extschema@.clv_rfm_breakpoints(float8, float8, float8) IS
'quintile breakpoints (float8[3][4]: recency_days, frequency, monetary) of the customer base; rows with a NULL measure are skipped';
COMMENT ON AGGREGATE @extschema@.clv_rfm_breakpoints(float8, float8, float8, integer) IS
'breakpoints (float8[3][bins-1]) cutting each RFM measure into bins equally populated bins';
COMMENT ON AGGREGATE @extschema@.clv_rfm_breakpoints(@extschema@.clv_summary) IS
'quintile breakpoints of days since the last order, orders and net revenue over customer summaries';
COMMENT ON AGGREGATE @extschema@.clv_rfm_breakpoints(@extschema@.clv_summary, integer) IS
'breakpoints of days since the last order, orders and net revenue in bins equally populated bins';

CREATE FUNCTION @extschema@.clv_rfm(
    recency_days float8, frequency float8, monetary float8, breakpoints float8[],
    segment_map regclass DEFAULT '@extschema@.clv_rfm_standard_segments')
RETURNS @extschema@.clv_rfm AS 'MODULE_PATHNAME', 'clv_rfm_score'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.clv_rfm(
    summary @extschema@.clv_summary, breakpoints float8[],
    segment_map regclass DEFAULT '@extschema@.clv_rfm_standard_segments')
RETURNS @extschema@.clv_rfm AS 'MODULE_PATHNAME', 'clv_rfm_score_summary'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.clv_rfm_segment(
    recency_score integer, frequency_score integer, monetary_score integer,
    segment_map regclass DEFAULT '@extschema@.clv_rfm_standard_segments')
RETURNS text AS 'MODULE_PATHNAME', 'clv_rfm_segment'
LANGUAGE C STABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.clv_rfm(float8, float8, float8, float8[], regclass) IS
'RFM scores of one customer against breakpoints, and the segment named by segment_map (a table with the columns of clv_rfm_standard_segments)';
COMMENT ON FUNCTION @extschema@.clv_rfm(@extschema@.clv_summary, float8[], regclass) IS
'RFM scores of a summary (days since the last order, orders, net revenue) and its named segment; NULL without purchases';
COMMENT ON FUNCTION @extschema@.clv_rfm_segment(integer, integer, integer, regclass) IS
'the segment that segment_map gives to these scores: first matching row in priority order; NULL if none';

------------------------------------------------------------------------------
-- Declining customers (src/decline.c)
------------------------------------------------------------------------------

CREATE TYPE @extschema@.clv_decline AS (
    declining        boolean,
    severity         integer,
    reasons          text[],
    alert            text,
    days_silent      integer,
    typical_gap_days float8,
    p_gap            float8,
    p_alive          float8,
    p_alive_change   float8,
    orders_change    float8,
    spend_change     float8,
    value_at_risk    float8
);

COMMENT ON TYPE @extschema@.clv_decline IS
'a verdict on one customer: declining when any signal fires; severity counts the reasons; value_at_risk = value x (1 - p_alive)';

CREATE FUNCTION @extschema@.clv_decline(
    summary           @extschema@.clv_summary,
    model             @extschema@.clv_model DEFAULT NULL,
    value             float8  DEFAULT NULL,
    previous_p_alive  float8  DEFAULT NULL,
    recent_orders     bigint  DEFAULT NULL,
    previous_orders   bigint  DEFAULT NULL,
    year_ago_orders   bigint  DEFAULT NULL,
    recent_spend      float8  DEFAULT NULL,
    previous_spend    float8  DEFAULT NULL,
    year_ago_spend    float8  DEFAULT NULL,
    quiet_probability float8  DEFAULT 0.05,
    min_gaps          integer DEFAULT 3,
    p_alive_threshold float8  DEFAULT 0.5,
    p_alive_drop      float8  DEFAULT 0.2,
    orders_drop       float8  DEFAULT 0.5,
    spend_drop        float8  DEFAULT 0.5)
RETURNS @extschema@.clv_decline AS 'MODULE_PATHNAME', 'clv_decline'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.clv_decline(@extschema@.clv_summary, @extschema@.clv_model, float8, float8, bigint, bigint, bigint, float8, float8, float8, float8, integer, float8, float8, float8, float8) IS
'is this customer slipping away? signals gone_quiet, p_alive_low, p_alive_dropped, ordering_less, spending_less; a NULL threshold switches its signal off';

------------------------------------------------------------------------------
-- Why CLV moved: Shapley decomposition of a product's change (src/decompose.c)
------------------------------------------------------------------------------

CREATE FUNCTION @extschema@.clv_shapley_change(before float8[], after float8[])
RETURNS float8[] AS 'MODULE_PATHNAME', 'clv_shapley_change'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.clv_shapley_change(float8[], float8[]) IS
'each driver''s Shapley share of the change from the product of before to the product of after; the shares add up to the change';

CREATE FUNCTION @extschema@.clv_change_drivers(
    before @extschema@.clv_business_kpis, after @extschema@.clv_business_kpis)
RETURNS TABLE (driver text, before_value float8, after_value float8,
               contribution float8, share_of_change float8)
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    b float8[] := ARRAY[before.avg_order_value, before.purchase_frequency_per_year,
                        before.lifespan_years, before.gross_margin];
    a float8[] := ARRAY[after.avg_order_value, after.purchase_frequency_per_year,
                        after.lifespan_years, after.gross_margin];
BEGIN
    IF pg_catalog.array_position(b, NULL) IS NOT NULL
       OR pg_catalog.array_position(a, NULL) IS NOT NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value',
            MESSAGE = 'both periods need avg_order_value, purchase_frequency_per_year, lifespan_years and gross_margin',
            DETAIL = 'lifespan_years is NULL when no customer was lost in the retention window.',
            HINT = 'Measure retention over a window in which some customers lapsed.';
    END IF;
    RETURN QUERY
    SELECT d.driver, d.before_value, d.after_value, d.contribution,
           -- + 0 turns a -0 share into 0
           d.contribution / NULLIF(pg_catalog.sum(d.contribution) OVER (), 0) + 0
      FROM ROWS FROM (
               pg_catalog.unnest(ARRAY['average order value', 'orders per customer per year',
                                       'customer lifespan (retention)', 'gross margin']),
               pg_catalog.unnest(b), pg_catalog.unnest(a),
               pg_catalog.unnest(@extschema@.clv_shapley_change(b, a)))
           AS d(driver, before_value, after_value, contribution);
END
$$;

COMMENT ON FUNCTION @extschema@.clv_change_drivers(@extschema@.clv_business_kpis, @extschema@.clv_business_kpis) IS
'the change in simple CLV between two periods split into order value, order frequency, lifespan (retention) and margin; the contributions add up to after.clv - before.clv';

------------------------------------------------------------------------------
-- Seasonality: month-of-year index (src/seasonality.c)
------------------------------------------------------------------------------

CREATE FUNCTION @extschema@.clv_seasonality_transfn(state bigint[], day date, value float8)
RETURNS bigint[] AS 'MODULE_PATHNAME', 'clv_seasonality_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.clv_seasonality_combine(bigint[], bigint[])
RETURNS bigint[] AS 'MODULE_PATHNAME', 'clv_seasonality_combine'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.clv_seasonality_final(bigint[])
RETURNS float8[] AS 'MODULE_PATHNAME', 'clv_seasonality_final'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE AGGREGATE @extschema@.clv_seasonality(day date, value float8) (
    SFUNC = @extschema@.clv_seasonality_transfn, STYPE = bigint[],
    FINALFUNC = @extschema@.clv_seasonality_final,
    COMBINEFUNC = @extschema@.clv_seasonality_combine, PARALLEL = SAFE);

COMMENT ON AGGREGATE @extschema@.clv_seasonality(date, float8) IS
'month-of-year index (float8[12], January first, averaging 1) of a measure summed per calendar month, by ratio to the centred 12-month moving average; NULL with a warning under 12 months';

------------------------------------------------------------------------------
-- Value tiers, profile groups and the expected CLV of a new customer
------------------------------------------------------------------------------

CREATE FUNCTION @extschema@.clv_value_tier(
    top_share float8, cutoffs float8[] DEFAULT '{0.01,0.05,0.2}')
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN top_share IS NULL THEN NULL
                ELSE coalesce((SELECT 'top ' || (c * 100)::text || '%'
                                 FROM unnest(cutoffs) AS c
                                WHERE top_share <= c
                                ORDER BY c LIMIT 1), 'rest') END
$$;

COMMENT ON FUNCTION @extschema@.clv_value_tier(float8, float8[]) IS
'tier label (''top 1%'', ''top 5%'', ''top 20%'', ''rest'') of a customer whose value is in the top top_share of customers, e.g. cume_dist() OVER (ORDER BY clv DESC)';

-- Buhlmann-Straub credibility: state = {groups, customers, sum (n-1) s^2,
-- sum (n-1), sum n mean, sum n mean^2, sum n^2}
CREATE FUNCTION @extschema@.clv_credibility_transfn(
    state float8[], group_size bigint, group_mean float8, group_variance float8)
RETURNS float8[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE
        WHEN group_size IS NULL OR group_mean IS NULL OR group_size < 1 THEN state
        ELSE ARRAY[coalesce(state[1], 0) + 1,
                   coalesce(state[2], 0) + group_size,
                   coalesce(state[3], 0) + CASE WHEN group_size > 1 THEN (group_size - 1) * group_variance ELSE 0 END,
                   coalesce(state[4], 0) + (group_size - 1),
                   coalesce(state[5], 0) + group_size * group_mean,
                   coalesce(state[6], 0) + group_size * group_mean * group_mean,
                   coalesce(state[7], 0) + group_size::float8 * group_size]
    END
$$;

CREATE FUNCTION @extschema@.clv_credibility_combine(a float8[], b float8[])
RETURNS float8[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN a IS NULL THEN b WHEN b IS NULL THEN a
                ELSE ARRAY(SELECT x + y FROM unnest(a, b) AS u(x, y)) END
$$;

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

CREATE FUNCTION @extschema@.clv_credibility_final(state float8[])
RETURNS @extschema@.clv_credibility_prior
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    WITH s AS (
        SELECT state[1] AS g, state[2] AS n, state[4] AS dof,
               CASE WHEN state[4] > 0 THEN state[3] / state[4] END AS within,
               state[5] / state[2] AS grand,
               state[6] - state[5] * state[5] / state[2] AS between_ss,
               state[2] - state[7] / state[2] AS spread)
    SELECT g::bigint, n::bigint, grand, within, b, within / nullif(b, 0)
      FROM s, LATERAL (SELECT CASE WHEN g > 1 AND within IS NOT NULL
                                   THEN greatest(0, (between_ss - (g - 1) * within) / spread) END AS b) AS v
     WHERE state IS NOT NULL
$$;

CREATE AGGREGATE @extschema@.clv_credibility_prior(
    group_size bigint, group_mean float8, group_variance float8) (
    SFUNC = @extschema@.clv_credibility_transfn, STYPE = float8[],
    FINALFUNC = @extschema@.clv_credibility_final,
    COMBINEFUNC = @extschema@.clv_credibility_combine, PARALLEL = SAFE);

COMMENT ON AGGREGATE @extschema@.clv_credibility_prior(bigint, float8, float8) IS
'over one row per group (customers, mean and sample variance of their CLV), the structure that clv_credible_mean shrinks each group with';

CREATE TYPE @extschema@.clv_credible_mean AS (
    estimate  float8,
    weight    float8,
    std_error float8,
    lower_95  float8,
    upper_95  float8
);

CREATE FUNCTION @extschema@.clv_credible_mean(
    group_size bigint, group_mean float8, prior_mean float8,
    within_variance float8, between_variance float8)
RETURNS @extschema@.clv_credible_mean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT e, z, se, e - 1.959963984540054 * se, e + 1.959963984540054 * se
      FROM (SELECT CASE WHEN between_variance > 0
                        THEN n / (n + within_variance / between_variance) ELSE 0 END AS z,
                   n
              FROM (SELECT coalesce(greatest(group_size, 0), 0)::float8 AS n) AS g) AS w,
           LATERAL (SELECT CASE WHEN z > 0 THEN z * group_mean + (1 - z) * prior_mean
                                ELSE prior_mean END AS e,
                           CASE WHEN between_variance > 0
                                THEN sqrt((1 - z) * between_variance) ELSE 0 END AS se) AS est
$$;

COMMENT ON FUNCTION @extschema@.clv_credible_mean(bigint, float8, float8, float8, float8) IS
'a group''s mean shrunk toward prior_mean with Buhlmann credibility weight n / (n + within/between), its standard error sqrt((1 - weight) between) and a normal 95% interval; a group with no customers gets the prior';

------------------------------------------------------------------------------
-- Cohort retention
------------------------------------------------------------------------------

CREATE FUNCTION @extschema@.clv_cohort_retention(
    orders regclass, customer_column name, date_column name,
    period text DEFAULT 'month')
RETURNS TABLE (cohort date, period_number integer, cohort_customers bigint,
               active_customers bigint, retention float8)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    months_per integer;
BEGIN
    IF orders IS NULL OR customer_column IS NULL OR date_column IS NULL OR period IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'null_value_not_allowed',
            MESSAGE = 'clv_cohort_retention arguments must not be NULL';
    END IF;
    IF period NOT IN ('week', 'month', 'quarter', 'year') THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('period must be week, month, quarter or year, not %L', period);
    END IF;
    IF NOT EXISTS (SELECT FROM pg_attribute WHERE attrelid = orders AND attname = customer_column
                      AND attnum > 0 AND NOT attisdropped) THEN
        RAISE EXCEPTION USING ERRCODE = 'undefined_column',
            MESSAGE = format('column %I does not exist in %s', customer_column, orders);
    END IF;
    IF NOT EXISTS (SELECT FROM pg_attribute WHERE attrelid = orders AND attname = date_column
                      AND attnum > 0 AND NOT attisdropped) THEN
        RAISE EXCEPTION USING ERRCODE = 'undefined_column',
            MESSAGE = format('column %I does not exist in %s', date_column, orders);
    END IF;
    months_per := CASE period WHEN 'quarter' THEN 3 WHEN 'year' THEN 12 ELSE 1 END;
    RETURN QUERY EXECUTE format($q$
        WITH active AS (
            SELECT DISTINCT %1$I AS customer, date_trunc(%4$L, %2$I::date)::date AS period_start
              FROM %3$s
             WHERE %1$I IS NOT NULL AND %2$I IS NOT NULL),
        dated AS (
            SELECT customer, period_start,
                   min(period_start) OVER (PARTITION BY customer) AS cohort
              FROM active),
        numbered AS (
            SELECT cohort,
                   CASE WHEN %4$L = 'week' THEN (period_start - cohort) / 7
                        ELSE ((extract(year FROM period_start) - extract(year FROM cohort)) * 12
                              + extract(month FROM period_start) - extract(month FROM cohort))::integer / %5$s
                   END AS period_number
              FROM dated)
        SELECT cohort, period_number,
               (max(count(*)) OVER (PARTITION BY cohort))::bigint AS cohort_customers,
               count(*)::bigint AS active_customers,
               count(*)::float8 / max(count(*)) OVER (PARTITION BY cohort) AS retention
          FROM numbered
         GROUP BY cohort, period_number
         ORDER BY cohort, period_number$q$,
        customer_column, date_column, orders, period, months_per);
END
$$;

COMMENT ON FUNCTION @extschema@.clv_cohort_retention(regclass, name, name, text) IS
'customers grouped by the period of their first order, with the number and share who ordered in each later period (0 = the first); one row per cohort and period, ready for a heat map';

------------------------------------------------------------------------------
-- Identity resolution (src/identity.c)
------------------------------------------------------------------------------

CREATE FUNCTION @extschema@.clv_normalize_email(
    email text, drop_plus_tag boolean DEFAULT false, gmail_dots boolean DEFAULT false)
RETURNS text AS 'MODULE_PATHNAME', 'clv_normalize_email'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.clv_normalize_email(text, boolean, boolean) IS
'an e-mail address trimmed and lower-cased, optionally without a +tag and without Gmail''s ignored dots; NULL when it cannot be an address';

CREATE FUNCTION @extschema@.clv_normalize_phone(phone text, default_country_code text DEFAULT NULL)
RETURNS text AS 'MODULE_PATHNAME', 'clv_normalize_phone'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.clv_normalize_phone(text, text) IS
'a phone number as + country code and digits (national numbers take default_country_code, trunk 0 dropped); NULL unless 7 to 15 digits';

CREATE FUNCTION @extschema@.clv_link_identities(
    pairs text, max_records_per_identifier integer DEFAULT 20)
RETURNS TABLE (record_id bigint, profile_id bigint, profile_records bigint)
AS 'MODULE_PATHNAME', 'clv_link_identities'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION @extschema@.clv_link_identities(text, integer) IS
'runs pairs, a query returning (record_id, identifier), and links records sharing an identifier, transitively; profile_id is the smallest record id of the profile; identifiers on more than max_records_per_identifier records are not used';

CREATE FUNCTION @extschema@.clv_identity_glue(
    pairs text, max_records_per_identifier integer DEFAULT 20)
RETURNS TABLE (identifier text, records bigint)
AS 'MODULE_PATHNAME', 'clv_identity_glue'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION @extschema@.clv_identity_glue(text, integer) IS
'the identifiers that clv_link_identities leaves out because more than max_records_per_identifier records share them, with their record counts';

------------------------------------------------------------------------------
-- Channel attribution (src/attribution.c)
------------------------------------------------------------------------------

CREATE TYPE @extschema@.clv_channel_credit AS (
    channel text,
    touches integer,
    weight  float8,
    credit  numeric
);

COMMENT ON TYPE @extschema@.clv_channel_credit IS
'one channel''s share of a value: its touches, its weight (the shares add up to 1) and its credit (the credits add up to the value exactly)';

CREATE FUNCTION @extschema@.clv_attribution_transfn(
    state internal, channel text, touched_at timestamptz, value numeric, model text)
RETURNS internal AS 'MODULE_PATHNAME', 'clv_attribution_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.clv_attribution_transfn(
    state internal, channel text, touched_at timestamptz, value numeric, model text,
    conversion_at timestamptz, half_life interval)
RETURNS internal AS 'MODULE_PATHNAME', 'clv_attribution_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.clv_attribution_combine(internal, internal)
RETURNS internal AS 'MODULE_PATHNAME', 'clv_attribution_combine'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.clv_attribution_serialize(internal)
RETURNS bytea AS 'MODULE_PATHNAME', 'clv_attribution_serialize'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.clv_attribution_deserialize(bytea, internal)
RETURNS internal AS 'MODULE_PATHNAME', 'clv_attribution_deserialize'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.clv_attribution_final(internal)
RETURNS @extschema@.clv_channel_credit[] AS 'MODULE_PATHNAME', 'clv_attribution_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE AGGREGATE @extschema@.clv_attribution(
    channel text, touched_at timestamptz, value numeric, model text) (
    SFUNC = @extschema@.clv_attribution_transfn, STYPE = internal,
    FINALFUNC = @extschema@.clv_attribution_final,
    COMBINEFUNC = @extschema@.clv_attribution_combine,
    SERIALFUNC = @extschema@.clv_attribution_serialize,
    DESERIALFUNC = @extschema@.clv_attribution_deserialize,
    PARALLEL = SAFE);
CREATE AGGREGATE @extschema@.clv_attribution(
    channel text, touched_at timestamptz, value numeric, model text,
    conversion_at timestamptz, half_life interval) (
    SFUNC = @extschema@.clv_attribution_transfn, STYPE = internal,
    FINALFUNC = @extschema@.clv_attribution_final,
    COMBINEFUNC = @extschema@.clv_attribution_combine,
    SERIALFUNC = @extschema@.clv_attribution_serialize,
    DESERIALFUNC = @extschema@.clv_attribution_deserialize,
    PARALLEL = SAFE);

COMMENT ON AGGREGATE @extschema@.clv_attribution(text, timestamptz, numeric, text) IS
'each channel''s credit for value over the touchpoints of a group: model first_touch, last_touch, linear or position_based (40/20/40); credits add up to value exactly';
COMMENT ON AGGREGATE @extschema@.clv_attribution(text, timestamptz, numeric, text, timestamptz, interval) IS
'the same with the conversion time (later touches do not count; NULL: the last touch) and the half_life of time_decay';

------------------------------------------------------------------------------
-- Summary states kept in a table, for incremental refreshes (src/summary.c)
------------------------------------------------------------------------------

CREATE FUNCTION @extschema@.clv_summary_state_final(bigint[])
RETURNS bigint[] AS 'MODULE_PATHNAME', 'clv_summary_state_final'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE AGGREGATE @extschema@.clv_summary_state(
    ordered_at timestamptz, amount float8, observation_end timestamptz) (
    SFUNC = @extschema@.clv_summary_transfn, STYPE = bigint[],
    FINALFUNC = @extschema@.clv_summary_state_final,
    COMBINEFUNC = @extschema@.clv_summary_combine, PARALLEL = SAFE);

COMMENT ON AGGREGATE @extschema@.clv_summary_state(timestamptz, float8, timestamptz) IS
'the state of clv_summary, compacted, to store in a table: clv_summary_final turns it into the summary, clv_summary_combine adds the state of more orders, clv_summary_advance moves its observation end';

CREATE FUNCTION @extschema@.clv_summary_advance(state bigint[], observation_end timestamptz)
RETURNS bigint[] AS 'MODULE_PATHNAME', 'clv_summary_advance'
LANGUAGE C STABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.clv_summary_advance(bigint[], timestamptz) IS
'a clv_summary_state observed up to a later observation_end (the calendar day in the session TimeZone)';

------------------------------------------------------------------------------
-- The refreshable pipeline: materialized views over the user's orders
------------------------------------------------------------------------------

CREATE FUNCTION @extschema@.clv_create_pipeline(
    orders          regclass,
    customer        name,
    ordered_at      name,
    amount          name,
    target_schema   name    DEFAULT 'clv_report',
    gross_margin    float8  DEFAULT 1.0,
    period          interval DEFAULT '30 days',
    periods         integer DEFAULT 12,
    discount_rate   float8  DEFAULT 0.01,
    penalizer       float8  DEFAULT 0.001,
    as_of           timestamptz DEFAULT NULL,
    channel         name    DEFAULT NULL)
RETURNS SETOF text
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    ext name := (SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
                 WHERE e.extname = 'clv');
    col name;
    col_type regtype;
    created_schema boolean := false;
    objects text[] := '{}';
    src text := orders::text;
    q text;
BEGIN
    IF orders IS NULL OR customer IS NULL OR ordered_at IS NULL OR amount IS NULL
       OR target_schema IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'null_value_not_allowed',
            MESSAGE = 'clv_create_pipeline: orders, customer, ordered_at, amount and target_schema must not be NULL';
    END IF;
    FOREACH col IN ARRAY ARRAY[customer, ordered_at, amount] || CASE WHEN channel IS NULL THEN '{}'::name[] ELSE ARRAY[channel] END LOOP
        SELECT a.atttypid::regtype INTO col_type FROM pg_attribute a
        WHERE a.attrelid = orders AND a.attname = col AND a.attnum > 0 AND NOT a.attisdropped;
        IF col_type IS NULL THEN
            RAISE EXCEPTION USING ERRCODE = 'undefined_column',
                MESSAGE = format('column %I does not exist in %s', col, orders);
        END IF;
        IF col = ordered_at AND col_type NOT IN ('timestamptz'::regtype, 'timestamp'::regtype, 'date'::regtype) THEN
            RAISE EXCEPTION USING ERRCODE = 'datatype_mismatch',
                MESSAGE = format('column %I of %s must be a date or timestamp, not %s', col, orders, col_type);
        END IF;
        IF col = amount AND col_type NOT IN ('numeric'::regtype, 'float8'::regtype, 'float4'::regtype,
                                             'integer'::regtype, 'bigint'::regtype, 'smallint'::regtype,
                                             'money'::regtype) THEN
            RAISE EXCEPTION USING ERRCODE = 'datatype_mismatch',
                MESSAGE = format('column %I of %s must be a number, not %s', col, orders, col_type);
        END IF;
    END LOOP;
    PERFORM @extschema@.clv_check_pipeline_arguments(gross_margin, period, periods, discount_rate, penalizer);
    IF to_regclass(format('%I.clv_pipeline', target_schema)) IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'duplicate_object',
            MESSAGE = format('schema %I already holds a clv pipeline', target_schema),
            HINT = format('Drop it first with SELECT clv_drop_pipeline(%L).', target_schema);
    END IF;
    IF NOT EXISTS (SELECT FROM pg_namespace WHERE nspname = target_schema) THEN
        EXECUTE format('CREATE SCHEMA %I', target_schema);
        created_schema := true;
    END IF;

    -- the registry first: the views read the observation end from it
    EXECUTE format($v$
        CREATE TABLE %1$I.clv_pipeline AS
        SELECT %2$L::regclass AS source, %3$L::name AS customer, %4$L::name AS ordered_at,
               %5$L::name AS amount, NULL::text[] AS objects, %6$L::boolean AS created_schema,
               %7$L::timestamptz AS as_of, coalesce(%7$L::timestamptz, pg_catalog.now()) AS observed_until,
               pg_catalog.now() AS created_at, NULL::timestamptz AS refreshed_at$v$,
        target_schema, src, customer, ordered_at, amount, created_schema, as_of);
    EXECUTE format('COMMENT ON TABLE %I.clv_pipeline IS %L', target_schema,
                   'what clv_create_pipeline made here; clv_refresh_pipeline and clv_drop_pipeline read it');

    -- each customer's summary state: an incremental refresh adds new orders to it
    EXECUTE format($v$
        CREATE TABLE %1$I.summary_state (customer_id %2$s PRIMARY KEY, state bigint[] NOT NULL)$v$,
        target_schema, (SELECT format_type(a.atttypid, a.atttypmod) FROM pg_attribute a
                        WHERE a.attrelid = orders AND a.attname = customer));
    PERFORM @extschema@.clv_pipeline_summarise(target_schema, false);

    -- one row per customer: the summary, flat for BI tools, and whole for scoring
    EXECUTE format($v$
        CREATE MATERIALIZED VIEW %1$I.customer_summary AS
        SELECT customer_id, (s).first_order, (s).last_order, (s).observation_end, (s).orders,
               (s).refunds, (s).purchase_days, (s).total_amount AS net_revenue,
               (s).refunded_amount, (s).avg_order_value, (s).frequency AS repeat_purchase_days,
               (s).recency AS recency_days, (s).age AS age_days, (s).monetary AS repeat_order_value,
               (s).mean_gap AS mean_gap_days, (s).gap_stddev AS gap_stddev_days
        FROM (SELECT st.customer_id,
                     %2$I.clv_summary_final(%2$I.clv_summary_advance(st.state, p.observed_until)) AS s
              FROM %1$I.summary_state st CROSS JOIN %1$I.clv_pipeline p
              OFFSET 0) q$v$,  -- OFFSET 0: one summary a customer, not one a field
        target_schema, ext);
    EXECUTE format('CREATE UNIQUE INDEX ON %I.customer_summary (customer_id)', target_schema);
    objects := array_append(objects, 'customer_summary');

    -- the fitted models, one row
    EXECUTE format($v$
        CREATE MATERIALIZED VIEW %1$I.models AS
        SELECT 1 AS id, %2$I.clv_fit_bgnbd(summary, %3$s) AS purchases,
               %2$I.clv_fit_gammagamma(summary, %3$s) AS spend,
               %2$I.clv_rfm_breakpoints(summary) AS rfm_breakpoints,
               pg_catalog.now() AS fitted_at
        FROM (SELECT %2$I.clv_summary_final(%2$I.clv_summary_advance(st.state, p.observed_until)) AS summary
              FROM %1$I.summary_state st CROSS JOIN %1$I.clv_pipeline p
              OFFSET 0) q$v$,  -- OFFSET 0: one summary a customer, not one a field
        target_schema, ext, penalizer);
    EXECUTE format('CREATE UNIQUE INDEX ON %I.models (id)', target_schema);
    objects := array_append(objects, 'models');

    -- per customer: P(alive), predicted CLV, RFM segment, decline verdict
    EXECUTE format($v$
        CREATE MATERIALIZED VIEW %1$I.customer_scores AS
        SELECT *, %2$I.clv_value_tier(pg_catalog.cume_dist() OVER (ORDER BY predicted_clv DESC NULLS LAST))
                      AS value_tier
        FROM (
        SELECT c.customer_id, (c.summary).total_amount AS net_revenue, (c.summary).orders,
               (c.summary).last_order,
               %2$I.clv_p_alive(m.purchases, c.summary) AS p_alive,
               %2$I.clv_expected_purchases(m.purchases, %6$s, c.summary) AS expected_purchases_next_period,
               v.predicted_clv,
               (r).recency_score, (r).frequency_score, (r).monetary_score, (r).rfm_cell, (r).segment AS rfm_segment,
               (d).declining, (d).severity AS decline_severity,
               pg_catalog.array_to_string((d).reasons, ', ') AS decline_reasons,
               (d).alert AS decline_alert, (d).value_at_risk
        FROM (SELECT st.customer_id,
                     %2$I.clv_summary_final(%2$I.clv_summary_advance(st.state, p.observed_until)) AS summary
              FROM %1$I.summary_state st CROSS JOIN %1$I.clv_pipeline p
              OFFSET 0) c  -- one summary a customer, not one a use
             CROSS JOIN %1$I.models m,
             -- once: the score itself, and the value at risk of the decline verdict
             LATERAL (SELECT %2$I.clv_predicted_value(m.purchases, m.spend, c.summary, %7$s, %4$s,
                                                       %5$L::interval, %3$s) AS predicted_clv
                      OFFSET 0) v,  -- OFFSET 0: not pulled up into two copies of the call
             LATERAL %2$I.clv_rfm(c.summary, m.rfm_breakpoints) r,
             LATERAL %2$I.clv_decline(c.summary, m.purchases, v.predicted_clv) d
        ) scored$v$,
        target_schema, ext, gross_margin, discount_rate, period,
        extract(epoch FROM period) / 86400, periods);
    EXECUTE format('CREATE UNIQUE INDEX ON %I.customer_scores (customer_id)', target_schema);
    objects := array_append(objects, 'customer_scores');

    -- per RFM segment, and per value tier
    EXECUTE format($v$
        CREATE MATERIALIZED VIEW %1$I.segments AS
        SELECT coalesce(rfm_segment, 'no purchases') AS rfm_segment, pg_catalog.count(*) AS customers,
               pg_catalog.sum(net_revenue) AS net_revenue,
               pg_catalog.sum(predicted_clv) AS predicted_clv,
               pg_catalog.avg(predicted_clv) AS predicted_clv_per_customer,
               pg_catalog.sum(predicted_clv) / nullif(pg_catalog.sum(pg_catalog.sum(predicted_clv)) OVER (), 0)
                   AS share_of_predicted_clv,
               pg_catalog.count(*) FILTER (WHERE declining) AS declining_customers,
               pg_catalog.sum(value_at_risk) AS value_at_risk
        FROM %1$I.customer_scores GROUP BY 1$v$, target_schema);
    EXECUTE format('CREATE UNIQUE INDEX ON %I.segments (rfm_segment)', target_schema);
    objects := array_append(objects, 'segments');

    -- per value tier: the 80/20 view
    EXECUTE format($v$
        CREATE MATERIALIZED VIEW %1$I.value_tiers AS
        SELECT value_tier, pg_catalog.count(*) AS customers, pg_catalog.min(predicted_clv) AS min_predicted_clv,
               pg_catalog.sum(predicted_clv) AS predicted_clv,
               pg_catalog.sum(predicted_clv) / nullif(pg_catalog.sum(pg_catalog.sum(predicted_clv)) OVER (), 0)
                   AS share_of_predicted_clv
        FROM %1$I.customer_scores GROUP BY value_tier$v$, target_schema);
    EXECUTE format('CREATE UNIQUE INDEX ON %I.value_tiers (value_tier)', target_schema);
    objects := array_append(objects, 'value_tiers');

    -- the declining customers, most value at risk first
    EXECUTE format($v$
        CREATE MATERIALIZED VIEW %1$I.declining_customers AS
        SELECT pg_catalog.row_number() OVER (ORDER BY value_at_risk DESC NULLS LAST, customer_id) AS rank,
               customer_id, rfm_segment, value_tier, predicted_clv, p_alive, value_at_risk,
               decline_severity, decline_reasons, decline_alert, last_order
        FROM %1$I.customer_scores WHERE declining$v$, target_schema);
    EXECUTE format('CREATE UNIQUE INDEX ON %I.declining_customers (customer_id)', target_schema);
    objects := array_append(objects, 'declining_customers');

    -- per calendar month: activity, the seasonal index, and the customers
    -- acquired that month with their revenue so far and predicted CLV
    EXECUTE format($v$
        CREATE MATERIALIZED VIEW %1$I.monthly AS
        WITH activity AS (
            SELECT pg_catalog.date_trunc('month', o.%4$I::timestamptz)::date AS month,
                   pg_catalog.count(DISTINCT o.%3$I) AS active_customers, pg_catalog.count(*) AS orders,
                   pg_catalog.sum(o.%5$I::float8) AS revenue
            FROM %2$s o CROSS JOIN %1$I.clv_pipeline p
            WHERE o.%3$I IS NOT NULL AND o.%4$I::timestamptz <= p.observed_until
            GROUP BY 1),
        acquired AS (
            SELECT pg_catalog.date_trunc('month', s.first_order)::date AS month, pg_catalog.count(*) AS new_customers,
                   pg_catalog.avg(s.net_revenue) AS new_customers_revenue_so_far,
                   pg_catalog.avg(c.predicted_clv) AS new_customers_predicted_clv
            FROM %1$I.customer_summary s JOIN %1$I.customer_scores c USING (customer_id)
            WHERE s.first_order IS NOT NULL GROUP BY 1),
        season AS (
            SELECT %6$I.clv_seasonality(month, revenue) AS idx FROM activity)
        SELECT a.month, a.active_customers, coalesce(n.new_customers, 0) AS new_customers, a.orders,
               a.revenue, a.revenue / nullif(a.orders, 0) AS avg_order_value,
               season.idx[pg_catalog.date_part('month', a.month)::int] AS seasonal_index,
               a.revenue / season.idx[pg_catalog.date_part('month', a.month)::int] AS revenue_seasonally_adjusted,
               n.new_customers_revenue_so_far, n.new_customers_predicted_clv
        FROM activity a LEFT JOIN acquired n USING (month) CROSS JOIN season$v$,
        target_schema, src, customer, ordered_at, amount, ext);
    EXECUTE format('CREATE UNIQUE INDEX ON %I.monthly (month)', target_schema);
    objects := array_append(objects, 'monthly');

    -- per channel, when the orders name one: activity, and each customer's
    -- predicted CLV split over the channels of their orders
    IF channel IS NOT NULL THEN
        EXECUTE format($v$
            CREATE MATERIALIZED VIEW %1$I.channels AS
            WITH per_customer AS (
                SELECT o.%3$I AS customer_id,
                       %7$I.clv_attribution(o.%6$I::text, o.%4$I::timestamptz, pg_catalog.round(s.predicted_clv::numeric, 2), 'first_touch') AS first_touch,
                       %7$I.clv_attribution(o.%6$I::text, o.%4$I::timestamptz, pg_catalog.round(s.predicted_clv::numeric, 2), 'last_touch') AS last_touch,
                       %7$I.clv_attribution(o.%6$I::text, o.%4$I::timestamptz, pg_catalog.round(s.predicted_clv::numeric, 2), 'linear') AS linear,
                       %7$I.clv_attribution(o.%6$I::text, o.%4$I::timestamptz, pg_catalog.round(s.predicted_clv::numeric, 2), 'position_based') AS position_based
                FROM %2$s o CROSS JOIN %1$I.clv_pipeline p
                JOIN %1$I.customer_scores s ON s.customer_id = o.%3$I
                WHERE o.%4$I::timestamptz <= p.observed_until AND o.%6$I IS NOT NULL AND s.predicted_clv IS NOT NULL
                GROUP BY o.%3$I, s.predicted_clv),
            credits AS (
                SELECT c.channel, 'first_touch' AS model, c.credit FROM per_customer, pg_catalog.unnest(first_touch) c
                UNION ALL SELECT c.channel, 'last_touch', c.credit FROM per_customer, pg_catalog.unnest(last_touch) c
                UNION ALL SELECT c.channel, 'linear', c.credit FROM per_customer, pg_catalog.unnest(linear) c
                UNION ALL SELECT c.channel, 'position_based', c.credit FROM per_customer, pg_catalog.unnest(position_based) c),
            activity AS (
                SELECT o.%6$I::text AS channel, pg_catalog.count(DISTINCT o.%3$I) AS customers,
                       pg_catalog.count(*) AS orders, pg_catalog.sum(o.%5$I::float8) AS revenue
                FROM %2$s o CROSS JOIN %1$I.clv_pipeline p
                WHERE o.%3$I IS NOT NULL AND o.%6$I IS NOT NULL AND o.%4$I::timestamptz <= p.observed_until
                GROUP BY 1)
            SELECT a.channel, a.customers, a.orders, a.revenue,
                   pg_catalog.sum(c.credit) FILTER (WHERE c.model = 'first_touch') AS predicted_clv_first_touch,
                   pg_catalog.sum(c.credit) FILTER (WHERE c.model = 'last_touch') AS predicted_clv_last_touch,
                   pg_catalog.sum(c.credit) FILTER (WHERE c.model = 'linear') AS predicted_clv_linear,
                   pg_catalog.sum(c.credit) FILTER (WHERE c.model = 'position_based') AS predicted_clv_position_based
            FROM activity a LEFT JOIN credits c USING (channel)
            GROUP BY a.channel, a.customers, a.orders, a.revenue$v$,
            target_schema, src, customer, ordered_at, amount, channel, ext);
        EXECUTE format('CREATE UNIQUE INDEX ON %I.channels (channel)', target_schema);
        objects := array_append(objects, 'channels');
    END IF;

    -- cohort retention by month of the first order
    EXECUTE format($v$
        CREATE MATERIALIZED VIEW %1$I.cohorts AS
        SELECT * FROM %2$I.clv_cohort_retention(%3$L::regclass, %4$L, %5$L, 'month')$v$,
        target_schema, ext, src, customer, ordered_at);
    EXECUTE format('CREATE UNIQUE INDEX ON %I.cohorts (cohort, period_number)', target_schema);
    objects := array_append(objects, 'cohorts');

    EXECUTE format('UPDATE %I.clv_pipeline SET objects = %L, refreshed_at = pg_catalog.now()',
                   target_schema, objects);

    RETURN QUERY SELECT format('%I.%I', target_schema, o) FROM unnest(objects) o;
END
$$;

CREATE FUNCTION @extschema@.clv_check_pipeline_arguments(
    gross_margin float8, period interval, periods integer, discount_rate float8, penalizer float8)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF gross_margin IS NULL OR NOT (gross_margin > 0 AND gross_margin <= 1) THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = 'gross_margin must be a fraction above 0 and at most 1';
    END IF;
    IF period IS NULL OR extract(month FROM period) <> 0 OR extract(year FROM period) <> 0
       OR period <= interval '0' THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = 'period must be a positive number of days, such as ''30 days''';
    END IF;
    IF periods IS NULL OR periods < 1 OR periods > 1200 THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = 'periods must be between 1 and 1200';
    END IF;
    IF discount_rate IS NULL OR NOT (discount_rate >= 0 AND discount_rate < 1) THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = 'discount_rate must be a fraction from 0 to below 1';
    END IF;
    IF penalizer IS NULL OR NOT (penalizer >= 0) THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = 'penalizer must not be negative';
    END IF;
END
$$;

-- Fill the pipeline's summary_state from the orders: all of them, or (incremental)
-- only those dated after the last observation end, added to the stored states.
CREATE FUNCTION @extschema@.clv_pipeline_summarise(target_schema name, incremental boolean)
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
    EXECUTE format('SELECT * FROM %I.clv_pipeline', target_schema) INTO p;
    new_end := coalesce(p.as_of, now());
    IF NOT incremental THEN
        EXECUTE format('TRUNCATE %I.summary_state', target_schema);
        EXECUTE format($q$
            INSERT INTO %1$I.summary_state
            SELECT %2$I, %3$I.clv_summary_state(%4$I::timestamptz, %5$I::float8, %6$L::timestamptz)
            FROM %7$s WHERE %2$I IS NOT NULL AND %4$I::timestamptz <= %6$L::timestamptz
            GROUP BY %2$I$q$,
            target_schema, p.customer, ext, p.ordered_at, p.amount, new_end, p.source::text);
    ELSE
        IF new_end < p.observed_until THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                MESSAGE = 'the clock went back since the last refresh: refresh in full';
        END IF;
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

-- The pipeline's registry row, checked.
CREATE FUNCTION @extschema@.clv_pipeline_objects(target_schema name)
RETURNS text[]
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    objects text[];
BEGIN
    IF to_regclass(format('%I.clv_pipeline', target_schema)) IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'undefined_object',
            MESSAGE = format('schema %I holds no clv pipeline', target_schema),
            HINT = 'Create one with clv_create_pipeline().';
    END IF;
    EXECUTE format('SELECT objects FROM %I.clv_pipeline', target_schema) INTO objects;
    RETURN objects;
END
$$;

CREATE FUNCTION @extschema@.clv_refresh_pipeline(
    target_schema name DEFAULT 'clv_report', concurrent boolean DEFAULT true,
    incremental boolean DEFAULT false)
RETURNS SETOF text
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    objects text[] := @extschema@.clv_pipeline_objects(target_schema);
    o text;
    started timestamptz := clock_timestamp();
    customers bigint;
BEGIN
    IF concurrent IS NULL OR incremental IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'null_value_not_allowed',
            MESSAGE = 'concurrent and incremental must not be NULL';
    END IF;
    customers := @extschema@.clv_pipeline_summarise(target_schema, incremental);
    RETURN NEXT format('%I.summary_state: %s customers %s in %s ms', target_schema, customers,
                       CASE WHEN incremental THEN 'with new orders updated' ELSE 'summarised' END,
                       round(extract(epoch FROM clock_timestamp() - started) * 1000));
    -- the registry lists the views in dependency order
    FOREACH o IN ARRAY objects LOOP
        started := clock_timestamp();
        EXECUTE format('REFRESH MATERIALIZED VIEW %s %I.%I',
                       CASE WHEN concurrent THEN 'CONCURRENTLY' ELSE '' END, target_schema, o);
        RETURN NEXT format('%I.%I refreshed in %s ms', target_schema, o,
                           round(extract(epoch FROM clock_timestamp() - started) * 1000));
    END LOOP;
    EXECUTE format('UPDATE %I.clv_pipeline SET refreshed_at = pg_catalog.now()', target_schema);
END
$$;

CREATE FUNCTION @extschema@.clv_drop_pipeline(target_schema name DEFAULT 'clv_report')
RETURNS SETOF text
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    objects text[] := @extschema@.clv_pipeline_objects(target_schema);
    created_schema boolean;
    o text;
BEGIN
    EXECUTE format('SELECT created_schema FROM %I.clv_pipeline', target_schema) INTO created_schema;
    -- in reverse dependency order, and without CASCADE: a view of the
    -- user's on top of ours stops the drop rather than vanishing with it
    FOR i IN REVERSE array_length(objects, 1) .. 1 LOOP
        EXECUTE format('DROP MATERIALIZED VIEW %I.%I', target_schema, objects[i]);
        RETURN NEXT format('%I.%I', target_schema, objects[i]);
    END LOOP;
    EXECUTE format('DROP TABLE %I.summary_state', target_schema);
    RETURN NEXT format('%I.summary_state', target_schema);
    EXECUTE format('DROP TABLE %I.clv_pipeline', target_schema);
    RETURN NEXT format('%I.clv_pipeline', target_schema);
    IF created_schema AND NOT EXISTS (SELECT FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                                      WHERE n.nspname = target_schema)
                      AND NOT EXISTS (SELECT FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                                      WHERE n.nspname = target_schema)
                      AND NOT EXISTS (SELECT FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
                                      WHERE n.nspname = target_schema) THEN
        EXECUTE format('DROP SCHEMA %I', target_schema);
        RETURN NEXT format('schema %I', target_schema);
    END IF;
END
$$;

COMMENT ON FUNCTION @extschema@.clv_create_pipeline(regclass, name, name, name, name, float8, interval, integer, float8, float8, timestamptz, name) IS
'creates in target_schema the materialized views customer_summary, models, customer_scores, segments and cohorts over the orders table, each with the unique index that REFRESH ... CONCURRENTLY needs; as_of NULL: the observation ends at each refresh''s now()';
COMMENT ON FUNCTION @extschema@.clv_refresh_pipeline(name, boolean, boolean) IS
'summarises the orders again (in full, or incremental: only the orders dated after the last refresh, added to the stored states) and refreshes the materialized views in dependency order, concurrently by default so that readers are never blocked';
COMMENT ON FUNCTION @extschema@.clv_drop_pipeline(name) IS
'drops exactly what clv_create_pipeline created (and the schema, if it made it and it is empty)';

------------------------------------------------------------------------------
-- An HTML report of a pipeline, with SVG charts
------------------------------------------------------------------------------

CREATE FUNCTION @extschema@.clv_html_escape(t text)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT replace(replace(replace(replace(replace(t, '&', '&amp;'), '<', '&lt;'), '>', '&gt;'),
                           '"', '&quot;'), '''', '&#39;')
$$;

COMMENT ON FUNCTION @extschema@.clv_html_escape(text) IS
'text made safe to put inside HTML elements and attribute values';

CREATE FUNCTION @extschema@.clv_report_html(
    target_schema name DEFAULT 'clv_report', title text DEFAULT 'Customer lifetime value')
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    objects text[] := @extschema@.clv_pipeline_objects(target_schema);
    kpis record;
    histogram text;
    segments text;
    nsegments integer;
    heatmap text;
    declining text;
    top_bin float8;
BEGIN
    EXECUTE format($q$
        SELECT count(*) AS customers, sum(net_revenue) AS revenue, sum(predicted_clv) AS predicted,
               avg(p_alive) AS p_alive, count(*) FILTER (WHERE declining) AS declining,
               sum(value_at_risk) AS at_risk,
               percentile_cont(0.99) WITHIN GROUP (ORDER BY predicted_clv) AS p99
        FROM %I.customer_scores$q$, target_schema) INTO kpis;

    -- 1. predicted CLV distribution: 20 bins up to the 99th percentile, the rest in the last
    top_bin := greatest(coalesce(kpis.p99, 0), 1e-9);
    EXECUTE format($q$
        WITH bins AS (
            SELECT b, count(c.customer_id) AS n
            FROM generate_series(0, 19) b
            LEFT JOIN %I.customer_scores c
                   ON least(floor(greatest(c.predicted_clv, 0) / %s * 20), 19) = b
            GROUP BY b),
        scaled AS (SELECT b, n, n::float8 / greatest(max(n) OVER (), 1) AS h FROM bins)
        SELECT string_agg(format('<rect class="bar" x="%%s" y="%%s" width="26" height="%%s"><title>%%s to %%s: %%s customers</title></rect>',
                                 40 + b * 30, 20 + round(200 * (1 - h)), greatest(round(200 * h), 1),
                                 round((b * %s / 20)::numeric, 2), round(((b + 1) * %s / 20)::numeric, 2), n),
                          '' ORDER BY b)
        FROM scaled$q$, target_schema, top_bin, top_bin, top_bin) INTO histogram;

    -- 2. predicted CLV by RFM segment
    EXECUTE format($q$
        WITH s AS (SELECT rfm_segment, customers, coalesce(predicted_clv, 0) AS v,
                          row_number() OVER (ORDER BY predicted_clv DESC NULLS LAST, rfm_segment) - 1 AS i,
                          coalesce(predicted_clv, 0) / greatest(max(coalesce(predicted_clv, 0)) OVER (), 1e-9) AS w
                   FROM %I.segments)
        SELECT string_agg(format('<text x="0" y="%%s" class="label">%%s</text><rect class="bar" x="170" y="%%s" width="%%s" height="18"><title>%%s customers, predicted CLV %%s</title></rect><text x="%%s" y="%%s" class="value">%%s</text>',
                                 34 + i * 24, @extschema@.clv_html_escape(rfm_segment), 20 + i * 24,
                                 greatest(round(400 * w), 1), customers, round(v::numeric),
                                 176 + round(400 * w), 34 + i * 24, round(v::numeric)),
                          '' ORDER BY i),
               max(i) + 1
        FROM s$q$, target_schema) INTO segments, nsegments;

    -- 3. cohort retention heat map: the last 12 monthly cohorts, 12 months on
    EXECUTE format($q$
        WITH c AS (SELECT cohort, period_number, retention, cohort_customers,
                          dense_rank() OVER (ORDER BY cohort DESC) AS newest
                   FROM %I.cohorts),
             r AS (SELECT *, dense_rank() OVER (ORDER BY cohort) - 1 AS row,
                          -- shade against the best month-1+ retention, so the pattern shows
                          max(retention) FILTER (WHERE period_number >= 1) OVER () AS best
                   FROM c WHERE newest <= 12)
        SELECT coalesce(string_agg(format('<rect class="cell" x="%%s" y="%%s" width="34" height="20" style="fill-opacity:%%s"><title>%%s, month %%s: %%s%%%%</title></rect>',
                                          90 + period_number * 36, 20 + row * 22,
                                          round(greatest(retention / nullif(best, 0), 0.05)::numeric, 3),
                                          to_char(cohort, 'YYYY-MM'), period_number,
                                          round((100 * retention)::numeric, 1)),
                                   '' ORDER BY row, period_number) FILTER (WHERE period_number BETWEEN 1 AND 12), '')
               || coalesce(string_agg(DISTINCT format('<text x="0" y="%%s" class="label">%%s</text>',
                                                      34 + row * 22, to_char(cohort, 'YYYY-MM')), ''), '')
               || (SELECT string_agg(format('<text x="%%s" y="14" class="axis">%%s</text>', 100 + m * 36, m), '')
                   FROM generate_series(1, 12) m)
        FROM r$q$, target_schema) INTO heatmap;

    -- 4. the declining customers with the most value at risk
    EXECUTE format($q$
        SELECT coalesce(string_agg(format('<tr><td>%%s</td><td>%%s</td><td class="num">%%s</td><td>%%s</td></tr>',
                                          @extschema@.clv_html_escape(customer_id::text),
                                          @extschema@.clv_html_escape(coalesce(rfm_segment, '')),
                                          round(value_at_risk::numeric),
                                          @extschema@.clv_html_escape(decline_alert)), '' ORDER BY value_at_risk DESC), '')
        FROM (SELECT * FROM %I.customer_scores WHERE declining AND value_at_risk IS NOT NULL
              ORDER BY value_at_risk DESC, customer_id LIMIT 10) d$q$, target_schema) INTO declining;

    RETURN format($html$<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>%1$s</title>
<style>
body { font-family: sans-serif; margin: 24px; color: #222; max-width: 1100px; }
h1 { font-size: 22px; } h2 { font-size: 17px; margin-top: 28px; }
.kpis { display: flex; gap: 28px; } .kpi b { display: block; font-size: 20px; }
svg { background: #fafafa; border: 1px solid #ddd; }
.bar { fill: #2f6f9f; } .cell { fill: #1a7f4b; } .label, .value, .axis { font-size: 12px; fill: #333; }
table { border-collapse: collapse; font-size: 13px; } td, th { border-bottom: 1px solid #ddd; padding: 4px 8px; text-align: left; }
.num { text-align: right; }
</style></head>
<body>
<h1>%1$s</h1>
<p>Pipeline <code>%2$s</code>, refreshed %3$s.</p>
<div class="kpis">
<div class="kpi"><b>%4$s</b>customers</div>
<div class="kpi"><b>%5$s</b>net revenue so far</div>
<div class="kpi"><b>%6$s</b>predicted CLV, all customers</div>
<div class="kpi"><b>%7$s</b>mean P(alive)</div>
<div class="kpi"><b>%8$s</b>declining, with %9$s at risk</div>
</div>
<h2>Predicted CLV per customer</h2>
<svg id="chart-distribution" class="chart" width="660" height="250" role="img" aria-label="histogram of predicted CLV">
%10$s
<text x="40" y="242" class="axis">0</text><text x="560" y="242" class="axis">%11$s and more</text>
</svg>
<h2>Predicted CLV by RFM segment</h2>
<svg id="chart-segments" class="chart" width="660" height="%12$s" role="img" aria-label="predicted CLV by segment">
%13$s
</svg>
<h2>Cohort retention: share of each month's new customers buying 1 to 12 months later</h2>
<svg id="chart-cohorts" class="chart" width="580" height="300" role="img" aria-label="cohort retention heat map, darker is higher">
%14$s
</svg>
<h2>Declining customers with the most value at risk</h2>
<table><tr><th>customer</th><th>segment</th><th>at risk</th><th>why</th></tr>
%15$s
</table>
<script>
// The test suite opens this page in headless Chromium: count the charts that drew something.
var ok = 0;
document.querySelectorAll("svg.chart").forEach(function (svg) {
  var drawn = Array.prototype.filter.call(svg.querySelectorAll("rect"), function (r) {
    var b = r.getBBox(); return b.width > 0 && b.height > 0;
  });
  if (drawn.length > 0) ok++;
});
document.body.setAttribute("data-charts-drawn", ok);
</script>
</body></html>
$html$,
        @extschema@.clv_html_escape(title), @extschema@.clv_html_escape(target_schema),
        to_char(now(), 'YYYY-MM-DD HH24:MI'),
        to_char(kpis.customers, 'FM999,999,999,990'), to_char(kpis.revenue, 'FM999,999,999,990'),
        to_char(kpis.predicted, 'FM999,999,999,990'), to_char(kpis.p_alive, 'FM0.00'),
        to_char(kpis.declining, 'FM999,999,990'), to_char(kpis.at_risk, 'FM999,999,999,990'),
        coalesce(histogram, ''), round(top_bin::numeric, 2),
        30 + 24 * coalesce(nsegments, 1),
        coalesce(segments, ''), coalesce(heatmap, ''), coalesce(declining, ''));
END
$$;

COMMENT ON FUNCTION @extschema@.clv_report_html(name, text) IS
'a self-contained HTML page with SVG charts of a pipeline: KPIs, the predicted CLV distribution, value by RFM segment, a cohort retention heat map and the top declining customers';
