-- clv installs into any schema and works with an empty search_path; every
-- object carries the clv_ prefix and none is SECURITY DEFINER.
\set ON_ERROR_STOP 1
\set QUIET 1
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
RESET client_min_messages;
BEGIN;
SELECT plan(14);
SET LOCAL client_min_messages = warning;
DROP EXTENSION IF EXISTS clv;
CREATE SCHEMA analytics;
-- a hostile object in the caller's schema that an unqualified reference
-- inside clv would pick up
CREATE FUNCTION public.clv_summary_final(bigint[]) RETURNS int LANGUAGE sql AS 'SELECT 1/0';
SET LOCAL search_path = public, analytics;
CREATE EXTENSION clv SCHEMA analytics;
SET LOCAL search_path = '';

CREATE TEMP TABLE observed AS
SELECT analytics.clv_simple(100, 10, 5) AS simple,
       (SELECT (analytics.clv_summary(t, 1, '2025-02-01')).frequency
        FROM (VALUES ('2025-01-01'::timestamptz), ('2025-01-05')) v(t)) AS frequency,
       (SELECT (analytics.clv_business_kpis(s, '2025-01-03')).customers
        FROM (SELECT analytics.clv_summary(t, 1, '2025-02-01') AS s
              FROM (VALUES ('2025-01-01'::timestamptz), ('2025-01-05')) v(t)) q) AS customers,
       analytics.clv_rfm_segment(5, 5, 5) AS segment,
       (analytics.clv_rfm(10, 3, 100, '{{5,20},{2,4},{50,200}}')).rfm_cell AS rfm_cell,
       analytics.clv_value_tier(0.03) AS tier,
       (SELECT (analytics.clv_credibility_prior(n, m, v)).groups
        FROM (VALUES (10::bigint, 5::float8, 1::float8), (20, 7, 2)) g(n, m, v)) AS groups,
       (analytics.clv_credible_mean(10, 5, 6, 1, 1)).weight AS weight,
       (SELECT sum(contribution) FROM analytics.clv_change_drivers(
            ROW(1,1,1,50,4,1,NULL,NULL,1,1,1,1,2,2,0.4,160)::analytics.clv_business_kpis,
            ROW(1,1,1,45,3,1,NULL,NULL,1,1,1,1,2,2,0.4,108)::analytics.clv_business_kpis)) AS change;
CREATE TEMP TABLE observed_channels AS
SELECT analytics.clv_normalize_email(' A@B.example ') AS email,
       (SELECT (c).credit FROM (SELECT pg_catalog.unnest(analytics.clv_attribution(ch, t, 10.00, 'linear')) AS c
                                FROM (VALUES ('web', '2025-01-01'::timestamptz), ('store', '2025-01-02')) v(ch, t)) q
        WHERE (c).channel = 'web') AS web_credit,
       (SELECT pg_catalog.count(*) FROM analytics.clv_link_identities(
            'SELECT r, i FROM (VALUES (1::bigint, ''x''), (2, ''x'')) v(r, i)')) AS linked;
CREATE TEMP TABLE cohort_orders (customer int, day date);
INSERT INTO cohort_orders VALUES (1, '2025-01-01'), (1, '2025-02-01');
CREATE TEMP TABLE observed_cohorts AS
SELECT * FROM analytics.clv_cohort_retention('cohort_orders', 'customer', 'day');
-- pgTAP itself needs public on the path
SET LOCAL search_path = public;

SELECT is((SELECT simple FROM observed), 5000::float8, 'scalar functions work with an empty search_path');
SELECT is((SELECT frequency FROM observed), 1,
          'the summary aggregate works with an empty search_path and ignores public.clv_summary_final');
SELECT is((SELECT customers FROM observed), 1::bigint, 'the business aggregate works with an empty search_path');
SELECT is((SELECT email || ' ' || web_credit || ' ' || linked FROM observed_channels), 'a@b.example 5.00 2',
          'normalisation, attribution and linking work with an empty search_path');
SELECT is((SELECT count(*) FROM observed_cohorts), 2::bigint, 'cohort retention works with an empty search_path');
SELECT is((SELECT segment FROM observed), 'Champions',
          'the default segment map is found in the extension''s schema');
SELECT is((SELECT rfm_cell FROM observed), 222, 'clv_rfm works with an empty search_path');
SELECT is((SELECT tier FROM observed), 'top 5%', 'SQL-language functions work with an empty search_path');
SELECT is((SELECT groups FROM observed), 2::bigint, 'the SQL-language credibility aggregate works with an empty search_path');
SELECT is((SELECT change FROM observed), -52::float8, 'the PL/pgSQL drivers function works with an empty search_path');
SELECT is((SELECT count(*) FROM pg_depend d
           JOIN pg_proc p ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid
           WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'clv')
             AND p.prokind <> 'a' AND p.prolang <> (SELECT oid FROM pg_language WHERE lanname = 'c')
             AND NOT coalesce('search_path=pg_catalog, pg_temp' = ANY (p.proconfig), false)),
          0::bigint, 'every SQL and PL/pgSQL function pins its search_path');
SELECT is((SELECT count(*) FROM pg_depend d
           JOIN pg_proc p ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid
           WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'clv')
             AND p.pronamespace <> 'analytics'::regnamespace),
          0::bigint, 'every function is in the chosen schema');
SELECT is((SELECT count(*) FROM pg_depend d
           JOIN pg_proc p ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid
           WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'clv')
             AND (p.prosecdef OR p.proname NOT LIKE 'clv\_%')),
          0::bigint, 'no function is SECURITY DEFINER, and every one is named clv_*');
SELECT is((SELECT count(*) FROM pg_depend d
           JOIN pg_type t ON d.classid = 'pg_type'::regclass AND d.objid = t.oid
           WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'clv')
             AND t.typname NOT LIKE 'clv\_%'
             -- an array type is named after its element, _clv_*: PostgreSQL
             -- 17 records it as a member of the extension too, 15 does not
             AND NOT EXISTS (SELECT FROM pg_type e WHERE e.typarray = t.oid)),
          0::bigint, 'every type is named clv_* (its array type _clv_*)');
SELECT * FROM finish();
ROLLBACK;
