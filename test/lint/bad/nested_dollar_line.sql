-- expect: unqualified-function 10
-- Dollar quotes nested three deep; the line is still the file's.
DO $outer$
BEGIN
    EXECUTE pg_catalog.format($q$
        DO $inner$
        BEGIN
            PERFORM pg_catalog.pg_sleep(0);

            PERFORM pg_sleep(0);  -- <- planted
        END
        $inner$$q$);
END
$outer$;
