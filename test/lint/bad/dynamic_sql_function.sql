-- expect: unqualified-function 17
-- An unqualified function in SQL built at run time, deep inside $q$...$q$:
-- the finding must carry the line of the original file.
CREATE FUNCTION @extschema@.summarise(target_schema name)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    EXECUTE pg_catalog.format($q$
        INSERT INTO %1$I.summary_state
        SELECT %2$I,
               pg_catalog.count(*),
               pg_catalog.max(%3$I::timestamptz)
          FROM %4$s
         WHERE %2$I IS NOT NULL
           AND lower(%5$I) OPERATOR(pg_catalog.<>) ''  -- <- planted
         GROUP BY %2$I$q$,
        target_schema, 'customer', 'ordered_at', 'orders', 'email');
END
$$;
