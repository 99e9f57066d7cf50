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
           CASE WHEN d.total OPERATOR(pg_catalog.=) 0 THEN NULL
                -- + 0 turns a -0 share into 0
                ELSE (d.contribution OPERATOR(pg_catalog./) d.total) OPERATOR(pg_catalog.+) 0 END
      FROM (SELECT r.*, pg_catalog.sum(r.contribution) OVER () AS total
              FROM ROWS FROM (
                       pg_catalog.unnest(ARRAY['average order value', 'orders per customer per year',
                                               'customer lifespan (retention)', 'gross margin']),
                       pg_catalog.unnest(b), pg_catalog.unnest(a),
                       pg_catalog.unnest(@extschema@.clv_shapley_change(b, a)))
                   AS r(driver, before_value, after_value, contribution)) AS d;
END
$$;

COMMENT ON FUNCTION @extschema@.clv_change_drivers(@extschema@.clv_business_kpis, @extschema@.clv_business_kpis) IS
'the change in simple CLV between two periods split into order value, order frequency, lifespan (retention) and margin; the contributions add up to after.clv - before.clv';
