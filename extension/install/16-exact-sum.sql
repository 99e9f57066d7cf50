------------------------------------------------------------------------------
-- A sum of float8 that does not depend on the order of the rows
-- (src/exact_sum.c): what a pipeline's tables add up, so that a refresh gives
-- the same figures whatever order it read the rows in
------------------------------------------------------------------------------

CREATE FUNCTION @extschema@.clv_exact_sum_transfn(state bigint[], value float8)
RETURNS bigint[] AS 'MODULE_PATHNAME', 'clv_exact_sum_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.clv_exact_sum_combine(a bigint[], b bigint[])
RETURNS bigint[] AS 'MODULE_PATHNAME', 'clv_exact_sum_combine'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.clv_exact_sum_final(state bigint[])
RETURNS float8 AS 'MODULE_PATHNAME', 'clv_exact_sum_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE AGGREGATE @extschema@.clv_exact_sum(value float8) (
    SFUNC = @extschema@.clv_exact_sum_transfn, STYPE = bigint[],
    FINALFUNC = @extschema@.clv_exact_sum_final,
    COMBINEFUNC = @extschema@.clv_exact_sum_combine, PARALLEL = SAFE);

COMMENT ON AGGREGATE @extschema@.clv_exact_sum(float8) IS
'the sum of float8 values (each at most 4e18 in size) added exactly and rounded once: the same whatever the order of the rows';
