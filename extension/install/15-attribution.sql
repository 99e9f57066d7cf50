------------------------------------------------------------------------------
-- Channel attribution (src/attribution.c), and a customer's touches by
-- channel, kept by a pipeline so that each refresh splits the customer's
-- predicted value over its channels without reading the orders again
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

CREATE FUNCTION @extschema@.clv_channel_state_transfn(
    state internal, channel text, touched_at timestamptz, amount float8)
RETURNS internal AS 'MODULE_PATHNAME', 'clv_channel_state_transfn'
LANGUAGE C PARALLEL SAFE;

CREATE FUNCTION @extschema@.clv_channel_state_final(state internal)
RETURNS bytea AS 'MODULE_PATHNAME', 'clv_channel_state_final'
LANGUAGE C PARALLEL SAFE;

CREATE AGGREGATE @extschema@.clv_channel_state(channel text, touched_at timestamptz, amount float8) (
    SFUNC = @extschema@.clv_channel_state_transfn, STYPE = internal,
    FINALFUNC = @extschema@.clv_channel_state_final,
    COMBINEFUNC = @extschema@.clv_attribution_combine,
    SERIALFUNC = @extschema@.clv_attribution_serialize,
    DESERIALFUNC = @extschema@.clv_attribution_deserialize,
    PARALLEL = SAFE);

COMMENT ON AGGREGATE @extschema@.clv_channel_state(text, timestamptz, float8) IS
'one customer''s touches (rows with a channel and a time) and each channel''s amount, for clv_channel_credits';

CREATE FUNCTION @extschema@.clv_channel_credits(
    state bytea, value numeric,
    OUT channel text, OUT touches bigint, OUT amount float8, OUT first_touch numeric,
    OUT last_touch numeric, OUT linear numeric, OUT position_based numeric)
RETURNS SETOF record AS 'MODULE_PATHNAME', 'clv_channel_credits'
LANGUAGE C IMMUTABLE PARALLEL SAFE ROWS 4;

COMMENT ON FUNCTION @extschema@.clv_channel_credits(bytea, numeric) IS
'for each channel of a clv_channel_state: its touches, its amount, and its credit of value under first touch, last touch, linear and position-based attribution, as clv_attribution splits it';
