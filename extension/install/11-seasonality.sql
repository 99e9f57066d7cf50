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
