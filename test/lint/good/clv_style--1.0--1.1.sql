-- An upgrade script: CREATE OR REPLACE is allowed here.
\echo Use "ALTER EXTENSION clv_style UPDATE TO '1.1'" to load this file. \quit

CREATE OR REPLACE FUNCTION @extschema@.half(x float8) RETURNS float8
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS 'SELECT x OPERATOR(pg_catalog./) 2.0';

ALTER FUNCTION @extschema@.ratio(float8, float8) COST 100;
DROP FUNCTION IF EXISTS @extschema@.counter_final(bigint[]) CASCADE;

ALTER TABLE @extschema@.segments
    ADD COLUMN weight float8 DEFAULT 1 CHECK (weight OPERATOR(pg_catalog.>) 0),
    ALTER COLUMN segment TYPE varchar(80) USING pg_catalog.btrim(segment);

UPDATE @extschema@.segments SET weight = 2, parent = NULL WHERE priority OPERATOR(pg_catalog.=) 1;
DELETE FROM @extschema@.segments s USING @extschema@.segments t
 WHERE s.parent OPERATOR(pg_catalog.=) t.priority AND t.low IS NULL;

CREATE INDEX ON @extschema@.segments USING btree (pg_catalog.lower(segment) text_pattern_ops, low DESC);
CREATE VIEW @extschema@.top_segments (segment, weight) WITH (security_barrier = true) AS
    SELECT s.segment, s.weight FROM @extschema@.segments s
     WHERE s.weight OPERATOR(pg_catalog.>) 1
     ORDER BY s.weight USING OPERATOR(pg_catalog.>);

-- an event trigger's tag filter is grammar, not the operator =
CREATE FUNCTION @extschema@.guard() RETURNS event_trigger AS 'MODULE_PATHNAME', 'guard' LANGUAGE C;
CREATE EVENT TRIGGER clv_style_guard ON ddl_command_start
    WHEN TAG IN ('ALTER SCHEMA', 'DROP SCHEMA')
    EXECUTE FUNCTION @extschema@.guard();
