-- CREATE AGGREGATE ... INITCOND lets any user hand a clv transition function
-- an arbitrary first state.  Every transition function checks what keeps its
-- writes inside the array, so a forged state is an error, never a crash;
-- the server must still answer afterwards.
\ir ../include/prologue.psql
BEGIN;
SELECT plan(21);

CREATE SCHEMA hostile;
CREATE FUNCTION hostile.try(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE q;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLERRM;
END $$;

-- summary: layout tag 0x434c565303; a state claiming more days than slots
CREATE AGGREGATE hostile.summary_days(date, float8, date) (
    SFUNC = clv_summary_transfn, STYPE = bigint[],
    INITCOND = '{289043534595,1000000,0,0,0,86400000000,100,0,0,0,0,0,0}');
-- summary: the right length, but slots pointing past the end
CREATE AGGREGATE hostile.summary_slots(date, float8, date) (
    SFUNC = clv_summary_transfn, STYPE = bigint[],
    INITCOND = '{289043534595,0,0,100000,0,86400000000,100,0,0,0,0,0,0}');
-- a state of another aggregate
CREATE AGGREGATE hostile.summary_tag(date, float8, date) (
    SFUNC = clv_summary_transfn, STYPE = bigint[], INITCOND = '{1,2,3}');
-- RFM: a count beyond the array, and an array with no room at all
CREATE AGGREGATE hostile.rfm_count(float8, float8, float8) (
    SFUNC = clv_rfm_breakpoints_transfn, STYPE = bigint[], INITCOND = '{289043534337,5,100000000}');
CREATE AGGREGATE hostile.rfm_empty(float8, float8, float8) (
    SFUNC = clv_rfm_breakpoints_transfn, STYPE = bigint[], INITCOND = '{289043534337,5,0}');
-- seasonality: a month count beyond the array, a negative one
CREATE AGGREGATE hostile.season_months(date, float8) (
    SFUNC = clv_seasonality_transfn, STYPE = bigint[], INITCOND = '{289043533057,24000,1000000000}');
CREATE AGGREGATE hostile.season_negative(date, float8) (
    SFUNC = clv_seasonality_transfn, STYPE = bigint[], INITCOND = '{289043533057,24000,-5}');
-- seasonality: a well-formed month holding an out-of-range sum
CREATE AGGREGATE hostile.season_money(date, float8) (
    SFUNC = clv_seasonality_transfn, STYPE = bigint[],
    INITCOND = '{289043533057,24252,1,9223372036854775807,0}');
-- model fits: a pattern count beyond the array, and no room at all
CREATE AGGREGATE hostile.fit_count(float8, float8, float8) (
    SFUNC = clv_fit_bgnbd_transfn, STYPE = bigint[], FINALFUNC = clv_fit_bgnbd_final,
    INITCOND = '{0,1,0,0,0,100000,0}');
-- covariate model fits (layout tag 0x434c56435a03): a bare header with no
-- room at all, purchase and spend histories, and a count beyond the array
CREATE AGGREGATE hostile.covariates_empty(float8, float8, float8, float8[]) (
    SFUNC = clv_fit_covariates_transfn, STYPE = bigint[], INITCOND = '{73995143830019,1,0,1,0,0,0,0,0}');
CREATE AGGREGATE hostile.spend_covariates_empty(float8, float8, float8[]) (
    SFUNC = clv_fit_spend_covariates_transfn, STYPE = bigint[], INITCOND = '{73995143830019,2,0,1,0,0,0,0,0}');
CREATE AGGREGATE hostile.covariates_count(float8, float8, float8, float8[]) (
    SFUNC = clv_fit_covariates_transfn, STYPE = bigint[], FINALFUNC = clv_fit_bgnbd_covariates_final,
    INITCOND = '{73995143830019,1,100000,1,0,0,0,0,0}');
-- business KPIs: too short for its fixed layout
CREATE AGGREGATE hostile.business_short(clv_summary, date) (
    SFUNC = clv_business_transfn, STYPE = bigint[], INITCOND = '{289043530241,0}');

SELECT matches(hostile.try($$SELECT hostile.summary_days(d::date, 1::float8, '2025-01-01'::date) FROM generate_series('2024-01-01'::date, '2024-01-10', '1 day') d$$),
               'invalid clv_summary state', 'summary: more days than slots is refused');
SELECT matches(hostile.try($$SELECT hostile.summary_slots(d::date, 1::float8, '2025-01-01'::date) FROM generate_series('2024-01-01'::date, '2024-01-10', '1 day') d$$),
               'invalid clv_summary state', 'summary: slots beyond the array are refused');
SELECT matches(hostile.try($$SELECT hostile.summary_tag(d::date, 1::float8, '2025-01-01'::date) FROM generate_series('2024-01-01'::date, '2024-01-10', '1 day') d$$),
               'invalid clv_summary state', 'summary: a foreign state is refused');
SELECT matches(hostile.try($$SELECT hostile.rfm_count(g, g, g) FROM generate_series(1, 10) g$$),
               'invalid clv_rfm_breakpoints state', 'RFM: a count beyond the array is refused');
SELECT is(hostile.try($$SELECT hostile.rfm_empty(g, g, g) FROM generate_series(1, 100) g$$),
          'no error', 'RFM: a state with no room grows instead of writing past its end');
SELECT is(hostile.try($$SELECT hostile.covariates_empty(g % 5, g % 5, 10, ARRAY[g::float8 * 1e300]) FROM generate_series(1, 100) g$$),
          'no error', 'covariate fit: a state with no room grows instead of writing past its end');
SELECT is(hostile.try($$SELECT hostile.spend_covariates_empty(1 + g % 5, g, ARRAY[g::float8 * 1e300]) FROM generate_series(1, 100) g$$),
          'no error', 'covariate spend fit: a state with no room grows instead of writing past its end');
SELECT matches(hostile.try($$SELECT hostile.covariates_count(g % 5, g % 5, 10, ARRAY[g::float8]) FROM generate_series(1, 10) g$$),
               'invalid covariate model fit state', 'covariate fit: a count beyond the array is refused');
SELECT matches(hostile.try($$SELECT hostile.season_months('2024-01-01'::date + g, 1) FROM generate_series(1, 10) g$$),
               'invalid clv_seasonality state', 'seasonality: a month count beyond the array is refused');
SELECT matches(hostile.try($$SELECT hostile.season_negative('2024-01-01'::date + g, 1) FROM generate_series(1, 10) g$$),
               'invalid clv_seasonality state', 'seasonality: a negative month count is refused');
SELECT matches(hostile.try($$SELECT hostile.season_money('2021-01-15'::date, 1)$$),
               'invalid clv_seasonality state', 'seasonality: an out-of-range monthly sum is refused');
SELECT matches(hostile.try($$SELECT hostile.fit_count(1, 1, 2) FROM generate_series(1, 10) g$$),
               'invalid model fit state', 'model fit: a pattern count beyond the array is refused');
SELECT matches(hostile.try($$SELECT hostile.business_short(s, '2024-06-01') FROM (SELECT clv_summary(d::date, 1::float8, '2025-01-01'::date) AS s FROM generate_series('2024-01-01'::date, '2024-01-10', '1 day') d) q$$),
               'invalid clv_business_kpis state', 'business KPIs: a short state is refused');

-- typed-in summaries that tell an impossible story
SELECT matches(hostile.try($$SELECT clv_decline(ROW('2024-05-01','2024-01-01','2025-01-01',3,0,3,30,0,10,2,-120,245,10,-60,1,'1 day')::clv_summary)$$),
               'inconsistent', 'decline: last order before the first is refused');
SELECT matches(hostile.try($$SELECT clv_decline(ROW('2024-01-01','2025-05-01','2025-01-01',3,0,3,30,0,10,2,486,366,10,243,1,'1 day')::clv_summary)$$),
               'inconsistent', 'decline: last order after the observation end is refused');
SELECT matches(hostile.try($$SELECT clv_decline(ROW('2024-01-01','2024-01-01','2025-01-01',3,0,3,30,0,10,2,0,366,10,0,0,'1 day')::clv_summary)$$),
               'inconsistent', 'decline: repeat purchases on the first day only are refused');
SELECT matches(hostile.try($$SELECT clv_decline(ROW('2024-01-01','2024-03-01','2025-01-01',3,0,3,30,0,10,2,60,366,10,30,'NaN','1 day')::clv_summary)$$),
               'gap_stddev', 'decline: a NaN gap spread is refused');

-- a segment map edited inside a transaction is read again by the next statement
CREATE TABLE hostile.segmap AS SELECT * FROM clv_rfm_standard_segments;
CREATE FUNCTION hostile.names_over_updates() RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    seen text := '';
BEGIN
    FOR i IN 1..3 LOOP
        seen := seen || clv_rfm_segment(5, 5, 5, 'hostile.segmap') || ' ';
        UPDATE hostile.segmap SET segment = 'Champions ' || i WHERE priority = 1;
    END LOOP;
    RETURN seen;
END $$;
SELECT is(hostile.names_over_updates(), 'Champions Champions 1 Champions 2 ',
          'PL/pgSQL sees each update of the segment map');

-- summaries are read with a descriptor kept for the backend (src/summary.c):
-- a summary type given another field in this session is read with it, and
-- refused, not read with the old one
SELECT is(hostile.try($$SELECT clv_decline(ROW('2024-01-01','2024-03-01','2025-01-01',3,0,3,30,0,10,2,60,366,10,30,1,'1 day')::clv_summary)$$),
          'no error', 'a summary read before its type changes');
ALTER TYPE clv_summary ADD ATTRIBUTE hostile_extra integer;
SELECT matches(hostile.try($$SELECT clv_decline(ROW('2024-01-01','2024-03-01','2025-01-01',3,0,3,30,0,10,2,60,366,10,30,1,'1 day',7)::clv_summary)$$),
               'clv_summary has 17 fields', 'a summary of the changed type is read with its new descriptor, and refused');

SELECT is((SELECT count(*) FROM pg_stat_activity WHERE pid = pg_backend_pid()), 1::bigint,
          'the backend is still alive');

SELECT * FROM finish();
ROLLBACK;
