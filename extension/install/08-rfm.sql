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
LANGUAGE C STABLE STRICT PARALLEL SAFE COST 100;

CREATE FUNCTION @extschema@.clv_rfm(
    summary @extschema@.clv_summary, breakpoints float8[],
    segment_map regclass DEFAULT '@extschema@.clv_rfm_standard_segments')
RETURNS @extschema@.clv_rfm AS 'MODULE_PATHNAME', 'clv_rfm_score_summary'
LANGUAGE C STABLE STRICT PARALLEL SAFE COST 100;

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
