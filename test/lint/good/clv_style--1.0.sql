-- A base install script in the house style: every function, operator and
-- relation named with its schema, search_path pinned, nothing replaced.
-- (This comment's = and || and IN (...) are not code.)
\echo Use "CREATE EXTENSION clv_style" to load this file. \quit

/* A block comment /* nested, as PostgreSQL allows: a = b || c */ still
   a comment: format(x) IN (1) */

-- C functions have no body to check.
CREATE FUNCTION @extschema@.ratio(a float8, b float8 DEFAULT 1)
RETURNS float8
AS 'MODULE_PATHNAME', 'ratio'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.ratio(float8, float8) IS
'a / b; it''s NULL when b = 0 (data: = and || here are not operators)';

CREATE TYPE @extschema@.pair AS (
    low   numeric(10,2),
    high  timestamp(0) with time zone,
    note  character varying(40),
    ratio double precision
);

CREATE TYPE @extschema@.blob;
CREATE FUNCTION @extschema@.blob_in(cstring) RETURNS @extschema@.blob
AS 'MODULE_PATHNAME', 'blob_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.blob_out(@extschema@.blob) RETURNS cstring
AS 'MODULE_PATHNAME', 'blob_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE @extschema@.blob (
    INPUT = @extschema@.blob_in,
    OUTPUT = @extschema@.blob_out,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = double,
    STORAGE = main
);

CREATE FUNCTION @extschema@.counter_transfn(state bigint[], x float8)
RETURNS bigint[] AS 'MODULE_PATHNAME', 'counter_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.counter_final(bigint[])
RETURNS bigint AS 'MODULE_PATHNAME', 'counter_final'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE AGGREGATE @extschema@.counter(x float8) (
    SFUNC = @extschema@.counter_transfn,
    STYPE = bigint[],
    FINALFUNC = @extschema@.counter_final,
    INITCOND = '{0}',
    PARALLEL = SAFE
);

CREATE AGGREGATE @extschema@.largest(float8) (
    SFUNC = pg_catalog.float8larger, STYPE = float8,
    SORTOP = OPERATOR(pg_catalog.>), PARALLEL = SAFE);

COMMENT ON AGGREGATE @extschema@.counter(float8) IS 'how many';

CREATE TABLE @extschema@.segments (
    priority integer PRIMARY KEY,
    segment  text NOT NULL UNIQUE,
    low      numeric(10,2) CHECK (low OPERATOR(pg_catalog.>=) -100),
    parent   integer REFERENCES @extschema@.segments (priority),
    UNIQUE (segment, low)
) WITH (fillfactor = 90);

INSERT INTO @extschema@.segments (priority, segment, low, parent) VALUES
    (1, 'Champions', 4.5, NULL),
    (2, 'At Risk', -1, 1),
    (3, 'Lost', -.5e-3, NULL);

GRANT SELECT ON @extschema@.segments TO PUBLIC;

SELECT pg_catalog.pg_extension_config_dump('@extschema@.segments', '');

-- A PL/pgSQL function using every construct the house style allows.
CREATE FUNCTION @extschema@.refresh(
    target_schema name, objects text[] DEFAULT '{}', width integer = 3,
    OUT done bigint, INOUT note text DEFAULT NULL)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
<<main>>
DECLARE
    n bigint;
    total numeric(12,2) := 0;
    stamp timestamp(0) without time zone = LOCALTIMESTAMP(0);
    o text;
    r record;
    rows_seen integer DEFAULT -1;
    seg @extschema@.segments.segment%TYPE;
    row_value @extschema@.segments%ROWTYPE;
    cur CURSOR (p integer) FOR
        SELECT s.segment FROM @extschema@.segments s WHERE s.priority OPERATOR(pg_catalog.=) p;
BEGIN
    IF width OPERATOR(pg_catalog.<=) 0 THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = pg_catalog.format('width must be positive, not %s', width),
            HINT := 'Pass 1 or more.';
    ELSIF width IS NULL OR NOT EXISTS (SELECT FROM pg_catalog.pg_namespace ns
                                        WHERE ns.nspname OPERATOR(pg_catalog.=) target_schema) THEN
        RAISE NOTICE 'schema % is missing: %', target_schema, pg_catalog.clock_timestamp();
    END IF;
    FOR i IN 1 .. 3 LOOP
        total := total OPERATOR(pg_catalog.+) i;
    END LOOP;
    FOR i IN REVERSE pg_catalog.array_length(objects, 1) .. 1 BY 2 LOOP
        RETURN NEXT objects[i];
    END LOOP;
    FOREACH o IN ARRAY objects LOOP
        EXECUTE pg_catalog.format($q$ SELECT %1$I.f(a) FROM %2$s WHERE b OPERATOR(pg_catalog.=) %3$L $q$,
                                  target_schema, o, -1);
    END LOOP;
    EXECUTE pg_catalog.format($q$
        UPDATE %1$I.registry SET refreshed_at = pg_catalog.now(), width = $1, (lo, hi) = (1, 2),
               tags[1] = 'x'
         WHERE id OPERATOR(pg_catalog.=) 1
        RETURNING *$q$, target_schema) USING width;
    GET DIAGNOSTICS n = ROW_COUNT;
    GET CURRENT DIAGNOSTICS rows_seen := ROW_COUNT;
    total = total OPERATOR(pg_catalog.*) -1;
    total := CASE WHEN n OPERATOR(pg_catalog.>) 0 THEN total::numeric(10,2) ELSE -1 END;
    CASE
        WHEN n OPERATOR(pg_catalog.>) 100 THEN o := 'many';
        WHEN n OPERATOR(pg_catalog.>) 0 THEN o := 'some';
        ELSE o := 'none';
    END CASE;
    BEGIN
        n := 1 OPERATOR(pg_catalog./) 0;
    EXCEPTION WHEN division_by_zero OR SQLSTATE '22003' THEN
        n := 0;
    END;
    WHILE n OPERATOR(pg_catalog.<) 3 LOOP
        n := n OPERATOR(pg_catalog.+) 1;
        EXIT main WHEN n OPERATOR(pg_catalog.>) 10;
        CONTINUE WHEN n OPERATOR(pg_catalog.=) 2;
    END LOOP;
    ASSERT n OPERATOR(pg_catalog.>=) 0, 'n is negative';
    PERFORM pg_catalog.pg_advisory_xact_lock(6515830, 1);
    OPEN cur(1);
    FETCH cur INTO seg;
    CLOSE cur;
    SELECT s.segment INTO STRICT o FROM @extschema@.segments s WHERE s.priority OPERATOR(pg_catalog.=) 1;
    INSERT INTO @extschema@.segments AS s (priority, segment) VALUES (4, 'New')
        ON CONFLICT (priority) DO UPDATE SET segment = excluded.segment, low = -2
        RETURNING s.priority INTO n;
    FOR r IN SELECT * FROM @extschema@.segments s WHERE s.low OPERATOR(pg_catalog.>=) 0
                ORDER BY s.priority DESC NULLS LAST LOOP
        RETURN NEXT r.segment;
    END LOOP;
    SELECT pg_catalog.count(*), pg_catalog.count(DISTINCT s.segment),
           pg_catalog.count(*) FILTER (WHERE s.low IS NOT NULL),
           pg_catalog.percentile_cont(0.5) WITHIN GROUP (ORDER BY s.low),
           coalesce(pg_catalog.max(s.low), 0), greatest(1, 2), least(-1, 2),
           extract(epoch FROM stamp), substring(o FROM 2 FOR 3), trim(BOTH ' ' FROM o),
           position('a' IN o), CAST(total AS numeric(10,2)), ARRAY[-1, 2],
           pg_catalog.row_number() OVER (PARTITION BY s.parent ORDER BY s.low
                                         ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
      INTO r
      FROM @extschema@.segments s
     GROUP BY s.parent, s.low;
    done := n;
    RETURN;
END main
$body$;

-- A set-returning SQL function: CTEs, ROWS FROM, window frames.
CREATE FUNCTION @extschema@.shares(v float8[])
RETURNS TABLE (i integer, share float8, running float8)
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    WITH RECURSIVE numbered(i, x) AS (
        SELECT u.ord::integer, u.x
          FROM ROWS FROM (pg_catalog.unnest(v)) WITH ORDINALITY AS u(x, ord)
    ),
    totals AS MATERIALIZED (
        SELECT pg_catalog.sum(n.x) AS total FROM numbered n
    )
    SELECT n.i,
           CASE WHEN t.total OPERATOR(pg_catalog.=) 0 THEN NULL
                ELSE n.x OPERATOR(pg_catalog./) t.total END,
           pg_catalog.sum(n.x) OVER (ORDER BY n.i ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
      FROM numbered n CROSS JOIN totals t
     WHERE n.x IS NOT NULL
       AND NOT EXISTS (SELECT FROM totals z WHERE z.total IS NULL)
       AND n.x OPERATOR(pg_catalog.=) ANY (v)
     ORDER BY n.i
$$;

-- SQL-standard bodies are parsed at CREATE time.
CREATE FUNCTION @extschema@.half(x float8) RETURNS float8
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
RETURN x OPERATOR(pg_catalog./) 2;

CREATE FUNCTION @extschema@.segment_count() RETURNS bigint
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path TO pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT CASE WHEN true THEN 1 ELSE 0 END;
    SELECT pg_catalog.count(*) FROM @extschema@.segments s WHERE s.low OPERATOR(pg_catalog.>=) 0;
END;

-- Install-time work, everything qualified (relations too: pg_temp comes
-- first for relations).
DO $$
DECLARE
    f regprocedure;
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_extension e WHERE e.extname OPERATOR(pg_catalog.=) 'clv_style') THEN
        RETURN;
    END IF;
    FOR f IN
        SELECT p.oid::pg_catalog.regprocedure
          FROM pg_catalog.pg_depend d
          JOIN pg_catalog.pg_proc p ON p.oid OPERATOR(pg_catalog.=) d.objid
         WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::pg_catalog.regclass
           AND d.refobjid OPERATOR(pg_catalog.=) (SELECT e.oid FROM pg_catalog.pg_extension e
                                                  WHERE e.extname OPERATOR(pg_catalog.=) 'clv_style')
           AND p.proname OPERATOR(pg_catalog.=) ANY (ARRAY['ratio', 'half'])
    LOOP
        EXECUTE pg_catalog.format('ALTER FUNCTION %s COST 100', f);
    END LOOP;
    UPDATE @extschema@.segments SET low = 0 WHERE priority OPERATOR(pg_catalog.=) 3;
END
$$;
