------------------------------------------------------------------------------
-- Per-customer summaries from raw orders, and the compacted states a
-- pipeline keeps to summarise again only the customers whose orders changed
-- (src/summary.c, src/calendar.c)
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

-- The signatures without a time zone take the calendar day in the session's
-- TimeZone, which differs between sessions, pg_cron, pg_restore and the
-- nodes of a Citus cluster (workers do not inherit the coordinator's
-- TimeZone).  These take it in the zone given.  There is no 4-argument
-- (..., time_zone) form: '7 days' would then be read as a time zone name
-- in existing calls of the 4-argument (..., time_unit) form.
CREATE FUNCTION @extschema@.clv_summary_transfn(
    state bigint[], ordered_at timestamptz, amount float8,
    observation_end timestamptz, time_unit interval, time_zone text)
RETURNS bigint[]
AS 'MODULE_PATHNAME', 'clv_summary_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE AGGREGATE @extschema@.clv_summary(
    ordered_at timestamptz, amount float8, observation_end timestamptz,
    time_unit interval, time_zone text) (
    SFUNC = @extschema@.clv_summary_transfn,
    STYPE = bigint[],
    FINALFUNC = @extschema@.clv_summary_final,
    COMBINEFUNC = @extschema@.clv_summary_combine,
    PARALLEL = SAFE
);

COMMENT ON AGGREGATE @extschema@.clv_summary(timestamptz, float8, timestamptz, interval, text) IS
'per-customer summary of orders up to observation_end, calendar days taken in time_zone (the same on every session and node); time in time_unit';

CREATE AGGREGATE @extschema@.clv_summary_state(
    ordered_at timestamptz, amount float8, observation_end timestamptz,
    time_unit interval, time_zone text) (
    SFUNC = @extschema@.clv_summary_transfn, STYPE = bigint[],
    FINALFUNC = @extschema@.clv_summary_state_final,
    COMBINEFUNC = @extschema@.clv_summary_combine, PARALLEL = SAFE);

COMMENT ON AGGREGATE @extschema@.clv_summary_state(timestamptz, float8, timestamptz, interval, text) IS
'the state of clv_summary, compacted, with calendar days taken in time_zone; clv_summary_advance(state, later, time_zone) moves it on';

CREATE AGGREGATE @extschema@.clv_summary_state(
    order_date date, amount float8, observation_end date) (
    SFUNC = @extschema@.clv_summary_transfn, STYPE = bigint[],
    FINALFUNC = @extschema@.clv_summary_state_final,
    COMBINEFUNC = @extschema@.clv_summary_combine, PARALLEL = SAFE);

COMMENT ON AGGREGATE @extschema@.clv_summary_state(date, float8, date) IS
'the state of clv_summary over order dates, compacted; clv_summary_advance(state, later_date) moves it on';

CREATE FUNCTION @extschema@.clv_summary_advance(state bigint[], observation_end timestamptz, time_zone text)
RETURNS bigint[] AS 'MODULE_PATHNAME', 'clv_summary_advance'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.clv_summary_advance(bigint[], timestamptz, text) IS
'a clv_summary_state observed up to a later observation_end, its calendar day taken in time_zone';

CREATE FUNCTION @extschema@.clv_summary_advance(state bigint[], observation_end date)
RETURNS bigint[] AS 'MODULE_PATHNAME', 'clv_summary_advance_date'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.clv_summary_advance(bigint[], date) IS
'a clv_summary_state of order dates observed up to a later day';

CREATE FUNCTION @extschema@.clv_summary_advances_to(state bigint[], later bigint[])
RETURNS boolean AS 'MODULE_PATHNAME', 'clv_summary_advances_to'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.clv_summary_advances_to(bigint[], bigint[]) IS
'whether a clv_summary_state moved on to the observation end of a later one is that one: the same orders, observed up to the same or an earlier end';

CREATE AGGREGATE @extschema@.clv_summary_state(
    order_date date, amount float8, observation_end date, time_unit interval) (
    SFUNC = @extschema@.clv_summary_transfn, STYPE = bigint[],
    FINALFUNC = @extschema@.clv_summary_state_final,
    COMBINEFUNC = @extschema@.clv_summary_combine, PARALLEL = SAFE);

COMMENT ON AGGREGATE @extschema@.clv_summary_state(date, float8, date, interval) IS
'the state of clv_summary over order dates, time in time_unit, compacted; clv_summary_advance(state, later_date) moves it on';

-- What the regularity models take beside the summary, from the purchase
-- days the state keeps (clv_summary itself cannot grow a field: a table
-- column of type clv_summary forbids ALTER TYPE ... ADD ATTRIBUTE).
CREATE FUNCTION @extschema@.clv_summary_log_gap_sum(state bigint[])
RETURNS float8 AS 'MODULE_PATHNAME', 'clv_summary_log_gap_sum'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.clv_summary_log_gap_sum(bigint[]) IS
'the sum of ln(gap) over the gaps between consecutive purchase days of a clv_summary_state, in its time unit: the log_gap_sum of clv_fit_mbgcnbd and clv_fit_bgcnbd (0 for one purchase day, NULL for none)';
