------------------------------------------------------------------------------
-- Is the model any good?  Every model fitted on a calibration window, and
-- its predictions compared with what each customer did in the holdout window
-- after it (Fader, Hardie & Lee 2005, "Counting your customers the easy
-- way", the conditional-expectations figure and the holdout totals)
------------------------------------------------------------------------------

CREATE FUNCTION @extschema@.clv_evaluate(
    orders          regclass,
    customer        name,
    ordered_at      name,
    amount          name,
    calibration_end date,
    holdout_end     date,
    time_unit       interval DEFAULT '1 day',
    time_zone       text     DEFAULT pg_catalog.current_setting('TimeZone'),
    penalizer       float8   DEFAULT 0,
    max_frequency   integer  DEFAULT 7,
    covariates      regclass DEFAULT NULL,
    covariate_column name    DEFAULT 'covariates')
RETURNS TABLE (model text, calibration_frequency integer, customers bigint,
               actual_total float8, predicted_total float8, actual_mean float8, predicted_mean float8,
               mean_absolute_error float8, root_mean_squared_error float8, correlation float8,
               log_likelihood float8, bic float8, error text, fitted @extschema@.clv_model)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    day_of text;
    amount_type regtype;
    amount_value text;
    -- the holdout's length in time units, as the summaries count them
    horizon float8;
    kind text;
    -- the model's kind without "+covariates", and whether it takes them
    base text;
    with_covariates boolean;
    fitted @extschema@.clv_model;
    failure text;
    left_out bigint;
    duplicates bigint;
    kinds text[] := ARRAY['bgnbd', 'mbgnbd', 'paretonbd', 'mbgcnbd', 'bgcnbd', 'gammagamma'];
BEGIN
    IF orders IS NULL OR customer IS NULL OR ordered_at IS NULL OR amount IS NULL
       OR calibration_end IS NULL OR holdout_end IS NULL OR time_zone IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'null_value_not_allowed',
            MESSAGE = 'clv_evaluate: orders, customer, ordered_at, amount, calibration_end, holdout_end and time_zone must not be NULL';
    END IF;
    -- clv's names in its schema clv's, and a schema name that the SQL built
    -- below reads as it is (src/extension_guard.c)
    PERFORM @extschema@.clv_check_extension_functions();
    -- an option given as NULL takes the signature's default (the NULL rule)
    time_unit := coalesce(time_unit, '1 day');
    penalizer := coalesce(penalizer, 0);
    max_frequency := coalesce(max_frequency, 7);
    covariate_column := coalesce(covariate_column, 'covariates');
    IF NOT (pg_catalog.isfinite(calibration_end) AND pg_catalog.isfinite(holdout_end))
       OR holdout_end OPERATOR(pg_catalog.<=) calibration_end THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = pg_catalog.format('the holdout must end after the calibration: %s is not after %s',
                                        holdout_end, calibration_end);
    END IF;
    IF NOT (penalizer OPERATOR(pg_catalog.>=) 0 AND penalizer OPERATOR(pg_catalog.<) 'infinity'::pg_catalog.float8) THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = pg_catalog.format('penalizer must be a finite number of 0 or more, not %s', penalizer);
    END IF;
    IF max_frequency OPERATOR(pg_catalog.<) 1 THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = pg_catalog.format('max_frequency must be 1 or more, not %s', max_frequency);
    END IF;
    IF NOT (EXTRACT(epoch FROM time_unit) OPERATOR(pg_catalog.>) 0) THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = pg_catalog.format('time_unit must be a positive interval, not %s', time_unit);
    END IF;
    PERFORM @extschema@.clv_time_zone_checked(time_zone);
    day_of := @extschema@.clv_orders_day_sql(orders, customer, ordered_at, time_zone);
    SELECT @extschema@.clv_base_type(a.atttypid::pg_catalog.regtype) INTO amount_type
      FROM pg_catalog.pg_attribute a
     WHERE a.attrelid OPERATOR(pg_catalog.=) orders AND a.attname OPERATOR(pg_catalog.=) amount
       AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped;
    IF amount_type IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'undefined_column',
            MESSAGE = pg_catalog.format('column %I does not exist in %s', amount, orders);
    END IF;
    amount_value := @extschema@.clv_amount_sql(amount_type, pg_catalog.format('%I', amount));
    IF amount_value IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'datatype_mismatch',
            MESSAGE = pg_catalog.format('column %I of %s must be a number, not %s', amount, orders, amount_type);
    END IF;
    horizon := (holdout_end OPERATOR(pg_catalog.-) calibration_end)::float8 OPERATOR(pg_catalog.*) 86400
               OPERATOR(pg_catalog./) EXTRACT(epoch FROM time_unit)::float8;

    -- each customer acquired by the calibration end (an order of 0 or more:
    -- a refund alone acquires no one): the calibration summary,
    -- and the purchase days (orders of 0 or more) and their amount after it,
    -- up to the holdout end; the rows a pipeline would reject are left out
    -- (one that exists is the caller's own: this one lives only during a call)
    IF pg_catalog.to_regclass('pg_temp.clv_evaluation_split') IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'duplicate_table',
            MESSAGE = 'a temporary relation clv_evaluation_split exists, and clv_evaluate needs the name',
            HINT = 'Rename or drop it.';
    END IF;
    EXECUTE pg_catalog.format($q$
        CREATE TEMP TABLE clv_evaluation_split ON COMMIT DROP AS
        SELECT o.customer,
               @extschema@.clv_summary(o.day, o.amount::pg_catalog.float8, $1, $3)
                   FILTER (WHERE o.day OPERATOR(pg_catalog.<=) $1) AS calibration,
               -- (the same aggregate's state, which PostgreSQL computes once)
               @extschema@.clv_summary_log_gap_sum(
                   @extschema@.clv_summary_state(o.day, o.amount::pg_catalog.float8, $1, $3)
                       FILTER (WHERE o.day OPERATOR(pg_catalog.<=) $1)) AS calibration_log_gap_sum,
               pg_catalog.count(DISTINCT o.day)
                   FILTER (WHERE o.day OPERATOR(pg_catalog.>) $1 AND o.amount OPERATOR(pg_catalog.>=) 0) AS holdout_days,
               pg_catalog.sum(o.amount::pg_catalog.float8)
                   FILTER (WHERE o.day OPERATOR(pg_catalog.>) $1 AND o.amount OPERATOR(pg_catalog.>=) 0) AS holdout_amount
          FROM (SELECT %1$I AS customer, %2$s AS day, %3$s AS amount FROM %4$s) o
         WHERE o.customer IS NOT NULL AND o.day IS NOT NULL AND o.amount IS NOT NULL
           AND pg_catalog.isfinite(o.day) AND o.day OPERATOR(pg_catalog.>=) '1900-01-01'::pg_catalog.date
           AND pg_catalog.abs(o.amount) OPERATOR(pg_catalog.<=) 1e15
           AND o.day OPERATOR(pg_catalog.<=) $2
         GROUP BY o.customer
        HAVING pg_catalog.min(o.day) FILTER (WHERE o.amount OPERATOR(pg_catalog.>=) 0) OPERATOR(pg_catalog.<=) $1$q$,
        customer, day_of, amount_value, orders)
        USING calibration_end, holdout_end, time_unit;
    EXECUTE pg_catalog.format($q$
        SELECT pg_catalog.count(*) FROM (SELECT %1$I AS customer, %2$s AS day, %3$s AS amount FROM %4$s) o
         WHERE NOT (o.customer IS NOT NULL AND o.day IS NOT NULL AND o.amount IS NOT NULL
                    AND pg_catalog.isfinite(o.day) AND o.day OPERATOR(pg_catalog.>=) '1900-01-01'::pg_catalog.date
                    AND pg_catalog.abs(o.amount) OPERATOR(pg_catalog.<=) 1e15)$q$,
        customer, day_of, amount_value, orders) INTO left_out;
    IF left_out OPERATOR(pg_catalog.>) 0 THEN
        RAISE NOTICE USING
            MESSAGE = pg_catalog.format('%s order rows of %s were left out', left_out, orders),
            DETAIL = 'Rows without a customer, date or amount, with a date that is not finite or before 1900, or an amount that is not a number within +/-1e15.';
    END IF;

    -- each customer's covariates (a relation with the customer column and a
    -- float8[] one, a row per customer): the models that take them are
    -- fitted and compared a second time with them
    IF covariates IS NOT NULL THEN
        IF NOT EXISTS (SELECT FROM pg_catalog.pg_attribute a
                        WHERE a.attrelid OPERATOR(pg_catalog.=) covariates
                          AND a.attname OPERATOR(pg_catalog.=) covariate_column
                          AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped
                          AND a.atttypid OPERATOR(pg_catalog.=) 'pg_catalog.float8[]'::pg_catalog.regtype) THEN
            RAISE EXCEPTION USING ERRCODE = 'undefined_column',
                MESSAGE = pg_catalog.format('%s has no float8[] column %I', covariates, covariate_column),
                HINT = 'Name the column of the customers'' covariates with covariate_column.';
        END IF;
        IF NOT EXISTS (SELECT FROM pg_catalog.pg_attribute a
                        WHERE a.attrelid OPERATOR(pg_catalog.=) covariates
                          AND a.attname OPERATOR(pg_catalog.=) customer
                          AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped) THEN
            RAISE EXCEPTION USING ERRCODE = 'undefined_column',
                MESSAGE = pg_catalog.format('%s has no column %I: the covariates are found by the orders'' customer column',
                                            covariates, customer);
        END IF;
        -- a customer the join below would find more than once (by the orders'
        -- customers, as the join matches them: a NULL key matches no one)
        EXECUTE pg_catalog.format(
            'SELECT pg_catalog.count(*) FROM (SELECT FROM pg_temp.clv_evaluation_split s JOIN %2$s c'
            ' ON c.%1$I OPERATOR(pg_catalog.=) s.customer GROUP BY s.customer'
            ' HAVING pg_catalog.count(*) OPERATOR(pg_catalog.>) 1) d',
            customer, covariates) INTO duplicates;
        IF duplicates OPERATOR(pg_catalog.<>) 0 THEN
            RAISE EXCEPTION USING ERRCODE = 'cardinality_violation',
                MESSAGE = pg_catalog.format('%s has more than one row for a customer', covariates);
        END IF;
        ALTER TABLE pg_temp.clv_evaluation_split ADD COLUMN customer_covariates pg_catalog.float8[];
        EXECUTE pg_catalog.format(
            'UPDATE pg_temp.clv_evaluation_split s SET customer_covariates = c.%1$I FROM %2$s c'
            ' WHERE c.%3$I OPERATOR(pg_catalog.=) s.customer', covariate_column, covariates, customer);
        kinds := kinds OPERATOR(pg_catalog.||)
                 ARRAY['bgnbd+covariates', 'mbgnbd+covariates', 'paretonbd+covariates', 'gammagamma+covariates'];
    END IF;

    FOREACH kind IN ARRAY kinds LOOP
        base := pg_catalog.split_part(kind, '+', 1);
        with_covariates := kind OPERATOR(pg_catalog.<>) base;
        -- a model that cannot be fitted is a row with its error, not the end;
        -- the regularity models take the log gaps too, and choose k; a
        -- customer without covariates makes a fit with them an error
        BEGIN
            EXECUTE pg_catalog.format('SELECT %s FROM pg_temp.clv_evaluation_split s',
                                      CASE WHEN base OPERATOR(pg_catalog.=) ANY (ARRAY['mbgcnbd', 'bgcnbd'])
                                           THEN pg_catalog.format('@extschema@.clv_fit_%s((s.calibration).frequency,'
                                                                  ' (s.calibration).recency, (s.calibration).age,'
                                                                  ' s.calibration_log_gap_sum, NULL::pg_catalog.int4, $1)', base)
                                           WHEN with_covariates AND base OPERATOR(pg_catalog.=) 'gammagamma'
                                           THEN '@extschema@.clv_fit_gammagamma((s.calibration).frequency,'
                                                ' (s.calibration).monetary, s.customer_covariates, $1, 0)'
                                           WHEN with_covariates
                                           THEN pg_catalog.format('@extschema@.clv_fit_%s((s.calibration).frequency,'
                                                                  ' (s.calibration).recency, (s.calibration).age,'
                                                                  ' s.customer_covariates, $1, 0, 0)', base)
                                           ELSE pg_catalog.format('@extschema@.clv_fit_%s(s.calibration, $1)', base) END)
                INTO fitted USING penalizer;
            -- an aggregate over no customer it can use gives no model
            failure := CASE WHEN fitted IS NULL THEN 'no model: no customer to fit it on' END;
        -- (class 22, data exceptions, holds every error a fit raises)
        EXCEPTION WHEN data_exception THEN
            fitted := NULL;
            GET STACKED DIAGNOSTICS failure = MESSAGE_TEXT;
        END;
        -- one row for all customers, then one per calibration frequency
        -- (the last bucket: max_frequency or more); the spend model is
        -- compared, per customer with repeat purchases in both windows, with
        -- the mean amount of the holdout's purchase days.  A customer the
        -- model cannot score (class 22) makes the model's row an error too:
        -- the rows come out only once every customer is scored (the groups
        -- are sorted), so none of them is left behind
        BEGIN
            RETURN QUERY EXECUTE pg_catalog.format($q$
                WITH scored AS (
                    SELECT LEAST((s.calibration).frequency, $3) AS x, %1$s AS actual, %2$s AS predicted
                      FROM pg_temp.clv_evaluation_split s %3$s)
                SELECT %4$L::pg_catalog.text, sc.x, pg_catalog.count(*),
                       %5$s, %6$s, pg_catalog.avg(sc.actual), pg_catalog.avg(sc.predicted),
                       pg_catalog.avg(pg_catalog.abs(sc.predicted OPERATOR(pg_catalog.-) sc.actual)),
                       pg_catalog.sqrt(pg_catalog.avg((sc.predicted OPERATOR(pg_catalog.-) sc.actual)
                                                      OPERATOR(pg_catalog.*) (sc.predicted OPERATOR(pg_catalog.-) sc.actual))),
                       pg_catalog.corr(sc.predicted, sc.actual),
                       CASE WHEN GROUPING(sc.x) OPERATOR(pg_catalog.=) 1
                            THEN (@extschema@.clv_model_params($1) OPERATOR(pg_catalog.->>) 'log_likelihood')::pg_catalog.float8 END,
                       CASE WHEN GROUPING(sc.x) OPERATOR(pg_catalog.=) 1
                            THEN (@extschema@.clv_model_params($1) OPERATOR(pg_catalog.->>) 'bic')::pg_catalog.float8 END,
                       $4,
                       CASE WHEN GROUPING(sc.x) OPERATOR(pg_catalog.=) 1 THEN $1 END
                  FROM scored sc
                 GROUP BY ROLLUP (sc.x)
                HAVING $1 IS NOT NULL OR GROUPING(sc.x) OPERATOR(pg_catalog.=) 1
                 ORDER BY sc.x NULLS FIRST$q$,
                CASE WHEN base OPERATOR(pg_catalog.=) 'gammagamma'
                     THEN 's.holdout_amount OPERATOR(pg_catalog./) s.holdout_days' ELSE 's.holdout_days::pg_catalog.float8' END,
                CASE WHEN base OPERATOR(pg_catalog.=) 'gammagamma' AND with_covariates
                     THEN '@extschema@.clv_expected_spend($1, (s.calibration).frequency, (s.calibration).monetary, s.customer_covariates)'
                     WHEN base OPERATOR(pg_catalog.=) 'gammagamma'
                     THEN '@extschema@.clv_expected_spend($1, s.calibration)'
                     WHEN with_covariates
                     THEN '@extschema@.clv_expected_purchases($1, $2, (s.calibration).frequency, (s.calibration).recency,'
                          ' (s.calibration).age, s.customer_covariates)'
                     ELSE '@extschema@.clv_expected_purchases($1, $2, s.calibration)' END,
                CASE WHEN base OPERATOR(pg_catalog.=) 'gammagamma'
                     THEN 'WHERE (s.calibration).frequency OPERATOR(pg_catalog.>) 0 AND s.holdout_days OPERATOR(pg_catalog.>) 0'
                     ELSE '' END,
                kind,
                CASE WHEN base OPERATOR(pg_catalog.=) 'gammagamma' THEN 'NULL::pg_catalog.float8' ELSE 'pg_catalog.sum(sc.actual)' END,
                CASE WHEN base OPERATOR(pg_catalog.=) 'gammagamma' THEN 'NULL::pg_catalog.float8' ELSE 'pg_catalog.sum(sc.predicted)' END)
                USING fitted, horizon, max_frequency, failure;
        EXCEPTION WHEN data_exception THEN
            GET STACKED DIAGNOSTICS failure = MESSAGE_TEXT;
            RETURN QUERY SELECT kind, NULL::integer, NULL::bigint, NULL::float8, NULL::float8, NULL::float8,
                                NULL::float8, NULL::float8, NULL::float8, NULL::float8, NULL::float8, NULL::float8,
                                failure, NULL::@extschema@.clv_model;
        END;
    END LOOP;
    DROP TABLE pg_temp.clv_evaluation_split;
END
$$;

COMMENT ON FUNCTION @extschema@.clv_evaluate(regclass, name, name, name, date, date, interval, text, float8, integer, regclass, name) IS
'fits BG/NBD, MBG/NBD, Pareto/NBD, MBG/CNBD-k, BG/CNBD-k (k chosen by likelihood) and Gamma-Gamma on the orders up to calibration_end and compares their predictions with each customer''s purchase days (and mean spend) after it, up to holdout_end: per model one row for all customers (with log-likelihood, BIC and the fitted model, whose text gives the k chosen) and one per calibration frequency (the last: max_frequency or more); a model that cannot be fitted is a row with its error; with covariates (a relation with the customer column and covariate_column, a float8[]), BG/NBD, MBG/NBD, Pareto/NBD and Gamma-Gamma again with them (models bgnbd+covariates and so on)';
