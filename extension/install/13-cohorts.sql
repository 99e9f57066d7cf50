------------------------------------------------------------------------------
-- Cohort retention, and activity by calendar month kept beside a customer's
-- summary state so that a pipeline's monthly and cohort tables follow the
-- changed customers without reading every order again (src/activity.c)
------------------------------------------------------------------------------

CREATE FUNCTION @extschema@.clv_cohort_retention(
    orders regclass, customer_column name, date_column name,
    period text DEFAULT 'month')
RETURNS TABLE (cohort date, period_number integer, cohort_customers bigint,
               active_customers bigint, retention float8)
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT * FROM @extschema@.clv_cohort_retention(orders, customer_column, date_column, period,
                                                   pg_catalog.current_setting('TimeZone'))
$$;

COMMENT ON FUNCTION @extschema@.clv_cohort_retention(regclass, name, name, text) IS
'customers grouped by the period of their first order, with the number and share who ordered in each later period (0 = the first); days in the session TimeZone; one row per cohort and period, ready for a heat map';

CREATE FUNCTION @extschema@.clv_activity_transfn(
    state bigint[], ordered_at timestamptz, amount float8, time_zone text)
RETURNS bigint[] AS 'MODULE_PATHNAME', 'clv_activity_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.clv_activity_transfn(state bigint[], order_date date, amount float8)
RETURNS bigint[] AS 'MODULE_PATHNAME', 'clv_activity_date_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.clv_activity_combine(a bigint[], b bigint[])
RETURNS bigint[] AS 'MODULE_PATHNAME', 'clv_activity_combine'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.clv_activity_final(state bigint[])
RETURNS bigint[] AS 'MODULE_PATHNAME', 'clv_activity_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE AGGREGATE @extschema@.clv_activity_state(ordered_at timestamptz, amount float8, time_zone text) (
    SFUNC = @extschema@.clv_activity_transfn, STYPE = bigint[], FINALFUNC = @extschema@.clv_activity_final,
    COMBINEFUNC = @extschema@.clv_activity_combine, PARALLEL = SAFE);

COMMENT ON AGGREGATE @extschema@.clv_activity_state(timestamptz, float8, text) IS
'one customer''s order rows and amounts per calendar month, days taken in time_zone; read with clv_activity_months';

CREATE AGGREGATE @extschema@.clv_activity_state(order_date date, amount float8) (
    SFUNC = @extschema@.clv_activity_transfn, STYPE = bigint[], FINALFUNC = @extschema@.clv_activity_final,
    COMBINEFUNC = @extschema@.clv_activity_combine, PARALLEL = SAFE);

COMMENT ON AGGREGATE @extschema@.clv_activity_state(date, float8) IS
'one customer''s order rows and amounts per calendar month of the order dates; read with clv_activity_months';

CREATE FUNCTION @extschema@.clv_activity_total_transfn(total bigint[], activity bigint[], by_cohort boolean)
RETURNS bigint[] AS 'MODULE_PATHNAME', 'clv_activity_total_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE AGGREGATE @extschema@.clv_activity_total(activity bigint[], by_cohort boolean) (
    SFUNC = @extschema@.clv_activity_total_transfn, STYPE = bigint[], FINALFUNC = @extschema@.clv_activity_final,
    COMBINEFUNC = @extschema@.clv_activity_combine, PARALLEL = SAFE);

COMMENT ON AGGREGATE @extschema@.clv_activity_total(bigint[], boolean) IS
'customers'' clv_activity_state added up by month, or by cohort (first month) and month: customers, order rows and amounts, exactly';

CREATE FUNCTION @extschema@.clv_activity_difference(total bigint[], part bigint[])
RETURNS bigint[] AS 'MODULE_PATHNAME', 'clv_activity_difference'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.clv_activity_difference(bigint[], bigint[]) IS
'a clv_activity_total without the customers of part (their total as it was added); clv_activity_combine adds totals';

CREATE FUNCTION @extschema@.clv_activity_months(
    state bigint[], OUT cohort date, OUT month date, OUT customers bigint, OUT orders bigint, OUT amount float8)
RETURNS SETOF record AS 'MODULE_PATHNAME', 'clv_activity_months'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 24;

COMMENT ON FUNCTION @extschema@.clv_activity_months(bigint[]) IS
'the months of a clv_activity_state or clv_activity_total: customers, order rows and their amount (summed exactly, rounded once); the cohort in a total by cohort';

-- Cohort retention with its calendar named: a timestamptz column's days are
-- taken in time_zone.  The 4-argument form keeps the session's TimeZone.
-- A calendar period of cohorts, as a word (week, month, quarter, year) or
-- as the interval it spans ('1 week', '1 month', '3 months', '1 year'):
-- the word.  Cohorts start on calendar boundaries, so other lengths, such
-- as '30 days', have none and are refused.
CREATE FUNCTION @extschema@.clv_calendar_period(period text)
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    span interval;
BEGIN
    IF period OPERATOR(pg_catalog.=) ANY (ARRAY['week', 'month', 'quarter', 'year']) THEN
        RETURN period;
    END IF;
    BEGIN
        span := period::interval;
    EXCEPTION WHEN invalid_datetime_format OR datetime_field_overflow OR interval_field_overflow THEN
        span := NULL;
    END;
    -- compared field by field: '4 weeks' is not a month
    RETURN CASE WHEN span IS NULL THEN NULL
                WHEN EXTRACT(epoch FROM span) OPERATOR(pg_catalog.=) 604800
                     AND EXTRACT(month FROM span) OPERATOR(pg_catalog.=) 0
                     AND EXTRACT(year FROM span) OPERATOR(pg_catalog.=) 0 THEN 'week'
                WHEN span OPERATOR(pg_catalog.=) '1 month'::interval
                     AND EXTRACT(day FROM span) OPERATOR(pg_catalog.=) 0 THEN 'month'
                WHEN span OPERATOR(pg_catalog.=) '3 months'::interval
                     AND EXTRACT(day FROM span) OPERATOR(pg_catalog.=) 0 THEN 'quarter'
                WHEN span OPERATOR(pg_catalog.=) '1 year'::interval
                     AND EXTRACT(day FROM span) OPERATOR(pg_catalog.=) 0 THEN 'year' END;
END
$$;

-- The calendar day of an orders table's date column, as SQL over the table's
-- row: a timestamptz's day in time_zone, a timestamp's or a date's own.  It
-- checks that the customer and date columns exist and that the date column
-- is a date or timestamp.  One place for the functions that read a user's
-- orders by column names (clv_cohort_retention, clv_evaluate).
CREATE FUNCTION @extschema@.clv_orders_day_sql(orders regclass, customer name, ordered_at name, time_zone text)
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    date_type regtype;
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_attribute a
                    WHERE a.attrelid OPERATOR(pg_catalog.=) orders
                      AND a.attname OPERATOR(pg_catalog.=) customer
                      AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped) THEN
        RAISE EXCEPTION USING ERRCODE = 'undefined_column',
            MESSAGE = pg_catalog.format('column %I does not exist in %s', customer, orders);
    END IF;
    SELECT @extschema@.clv_base_type(a.atttypid::pg_catalog.regtype) INTO date_type
      FROM pg_catalog.pg_attribute a
     WHERE a.attrelid OPERATOR(pg_catalog.=) orders AND a.attname OPERATOR(pg_catalog.=) ordered_at
       AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped;
    IF date_type IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'undefined_column',
            MESSAGE = pg_catalog.format('column %I does not exist in %s', ordered_at, orders);
    END IF;
    IF date_type OPERATOR(pg_catalog.=) 'timestamptz'::regtype THEN
        RETURN pg_catalog.format('(%I AT TIME ZONE %L)::pg_catalog.date', ordered_at, time_zone);
    ELSIF date_type OPERATOR(pg_catalog.=) ANY (ARRAY['timestamp'::regtype, 'date'::regtype]) THEN
        RETURN pg_catalog.format('%I::pg_catalog.date', ordered_at);
    END IF;
    RAISE EXCEPTION USING ERRCODE = 'datatype_mismatch',
        MESSAGE = pg_catalog.format('column %I of %s must be a date or timestamp, not %s', ordered_at, orders, date_type);
END
$$;

COMMENT ON FUNCTION @extschema@.clv_orders_day_sql(regclass, name, name, text) IS
'internal: the calendar day of an orders table''s date column as SQL, the columns checked';

CREATE FUNCTION @extschema@.clv_cohort_retention(
    orders regclass, customer name, ordered_at name,
    period text, time_zone text)
RETURNS TABLE (cohort date, period_number integer, cohort_customers bigint,
               active_customers bigint, retention float8)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    day_of text;
    -- the period as a word
    calendar_period text := @extschema@.clv_calendar_period(period);
BEGIN
    IF orders IS NULL OR customer IS NULL OR ordered_at IS NULL OR period IS NULL
       OR time_zone IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'null_value_not_allowed',
            MESSAGE = 'clv_cohort_retention arguments must not be NULL';
    END IF;
    IF calendar_period IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = pg_catalog.format('period must be a calendar period, not %L', period),
            DETAIL = 'Cohorts start on calendar boundaries: week, month, quarter or year.',
            HINT = 'Give the word, or the interval it spans: ''1 week'', ''1 month'', ''3 months'' or ''1 year''.';
    END IF;
    PERFORM @extschema@.clv_time_zone_checked(time_zone);
    day_of := @extschema@.clv_orders_day_sql(orders, customer, ordered_at, time_zone);
    RETURN QUERY EXECUTE
        @extschema@.clv_cohort_sql(pg_catalog.format('SELECT %1$I AS customer, %2$s AS day FROM %3$s WHERE %1$I IS NOT NULL AND %4$I IS NOT NULL',
                                                     customer, day_of, orders, ordered_at), calendar_period)
        OPERATOR(pg_catalog.||) ' ORDER BY cohort, period_number';
END
$$;

COMMENT ON FUNCTION @extschema@.clv_cohort_retention(regclass, name, name, text, text) IS
'customers grouped by the period of their first order, with the number and share who ordered in each later period (0 = the first), a timestamptz column''s days taken in time_zone';

-- The cohort table of rows (customer, day date) given as a query: customers
-- grouped by the period (week, month, quarter or year) of their first
-- order, and the share of each cohort active in each later period.  One
-- place for clv_cohort_retention and the pipeline's cohorts table.
CREATE FUNCTION @extschema@.clv_cohort_sql(customer_days text, period text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT pg_catalog.format($q$
        WITH active AS (
            SELECT DISTINCT d.customer,
                   pg_catalog.date_trunc(%2$L, d.day::pg_catalog.timestamp)::pg_catalog.date AS period_start
              FROM (%1$s) d),
        dated AS (
            SELECT a.customer, a.period_start,
                   pg_catalog.min(a.period_start) OVER (PARTITION BY a.customer) AS cohort
              FROM active a),
        numbered AS (
            SELECT d.cohort, %3$s AS period_number FROM dated d)
        SELECT n.cohort, n.period_number,
               (pg_catalog.max(pg_catalog.count(*)) OVER (PARTITION BY n.cohort))::bigint AS cohort_customers,
               pg_catalog.count(*)::bigint AS active_customers,
               pg_catalog.count(*)::float8 OPERATOR(pg_catalog./) pg_catalog.max(pg_catalog.count(*)) OVER (PARTITION BY n.cohort)
                   AS retention
          FROM numbered n
         GROUP BY n.cohort, n.period_number$q$,
        customer_days, period,
        -- periods since the cohort's: whole weeks, or calendar months over 1, 3 or 12
        CASE WHEN period OPERATOR(pg_catalog.=) 'week'
             THEN '(d.period_start OPERATOR(pg_catalog.-) d.cohort) OPERATOR(pg_catalog./) 7'
             ELSE pg_catalog.format(
                 '(((EXTRACT(year FROM d.period_start) OPERATOR(pg_catalog.*) 12 OPERATOR(pg_catalog.+) EXTRACT(month FROM d.period_start))'
                 ' OPERATOR(pg_catalog.-) (EXTRACT(year FROM d.cohort) OPERATOR(pg_catalog.*) 12 OPERATOR(pg_catalog.+) EXTRACT(month FROM d.cohort)))'
                 '::integer OPERATOR(pg_catalog./) %s)',
                 CASE WHEN period OPERATOR(pg_catalog.=) 'quarter' THEN 3
                      WHEN period OPERATOR(pg_catalog.=) 'year' THEN 12 ELSE 1 END) END)
$$;
