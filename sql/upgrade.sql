-- Upgrades keep data: summaries, models and a pipeline stored under the
-- oldest released version (0.1.0) read and score the same after
-- ALTER EXTENSION clv UPDATE, and the updated extension has exactly the
-- objects of a fresh CREATE EXTENSION.  Runs in databases of its own, so that
-- the old version never meets the other tests.
\set VERBOSITY terse
SET client_min_messages = warning;
DROP DATABASE IF EXISTS clv_upgrade;
DROP DATABASE IF EXISTS clv_fresh;
CREATE DATABASE clv_upgrade;
CREATE DATABASE clv_fresh;
DROP DATABASE IF EXISTS clv_steps;
CREATE DATABASE clv_steps;

-- the objects of an extension, each with its full definition, as one digest
\set members_digest 'SELECT md5(string_agg(d, E''\n'' ORDER BY d)) AS digest FROM (SELECT pg_describe_object(dep.classid, dep.objid, 0) || coalesce('' '' || CASE WHEN p.prokind = ''a'' THEN (SELECT a::text FROM pg_aggregate a WHERE a.aggfnoid = p.oid) ELSE pg_get_functiondef(p.oid) END, '''') || coalesce('' '' || t.typinput::text || t.typoutput::text || t.typreceive::text || t.typsend::text || t.typlen || t.typalign::text || t.typstorage::text, '''') || coalesce('' '' || (SELECT string_agg(a.attname || '' '' || format_type(a.atttypid, a.atttypmod), '', '' ORDER BY a.attnum) FROM pg_attribute a WHERE a.attrelid = coalesce(t.typrelid, c.oid) AND a.attnum > 0 AND NOT a.attisdropped), '''') || coalesce('' '' || obj_description(dep.objid, dep.classid::regclass::name), '''') AS d FROM pg_depend dep JOIN pg_extension e ON e.oid = dep.refobjid AND e.extname = ''clv'' LEFT JOIN pg_proc p ON dep.classid = ''pg_proc''::regclass AND p.oid = dep.objid LEFT JOIN pg_type t ON dep.classid = ''pg_type''::regclass AND t.oid = dep.objid LEFT JOIN pg_class c ON dep.classid = ''pg_class''::regclass AND c.oid = dep.objid WHERE dep.deptype = ''e'') m'

\c clv_fresh
SET client_min_messages = warning;
CREATE EXTENSION clv;
SELECT extversion FROM pg_extension WHERE extname = 'clv';
:members_digest \gset fresh_

\c clv_upgrade
SET client_min_messages = warning;
\set VERBOSITY terse
CREATE EXTENSION clv VERSION '0.1.0';
SELECT extversion FROM pg_extension WHERE extname = 'clv';

-- orders, their summaries and the four models fitted to them
\set with_models
\set ECHO none
\i test/include/btyd_orders.psql
\set ECHO all
SELECT count(*) AS pipeline_objects
FROM clv_create_pipeline('orders', 'customer', 'at', 'amount', 'report', as_of => '2025-07-01 00:00+00');

-- what 0.1.0 says of them
CREATE VIEW scores AS
SELECT s.customer, m.name,
       clv_p_alive(m.model, s.summary) AS p_alive,
       clv_expected_purchases(m.model, 90, s.summary) AS expected_90,
       clv_next_purchase(m.model, s.summary) AS next_purchase,
       clv_predicted_value(m.model, (SELECT model FROM models WHERE name = 'gammagamma'), s.summary,
                           12, 0.01, '30 days') AS predicted_value,
       clv_decline(s.summary, m.model) AS decline,
       clv_rfm(s.summary, (SELECT clv_rfm_breakpoints(summary, 5) FROM summaries)) AS rfm
FROM summaries s, models m WHERE m.name <> 'gammagamma';
CREATE TABLE scores_0_1_0 AS SELECT * FROM scores;
CREATE TABLE models_0_1_0 AS SELECT name, model::text AS text, clv_model_send(model) AS binary FROM models;
CREATE TABLE pipeline_0_1_0 AS SELECT * FROM report.customer_scores;
SELECT count(*) AS scores, count(DISTINCT customer) AS customers FROM scores_0_1_0;

ALTER EXTENSION clv UPDATE;
SELECT extversion FROM pg_extension WHERE extname = 'clv';

-- stored values read back the same, in text and binary
SELECT count(*) AS models_changed
FROM models m JOIN models_0_1_0 o USING (name)
WHERE m.model::text <> o.text OR clv_model_send(m.model) <> o.binary
   OR o.text::clv_model::text <> o.text;
-- and score the same, to the last bit
SELECT (SELECT count(*) FROM (SELECT * FROM scores EXCEPT SELECT * FROM scores_0_1_0) d) AS new_rows,
       (SELECT count(*) FROM (SELECT * FROM scores_0_1_0 EXCEPT SELECT * FROM scores) d) AS lost_rows;
-- a pipeline made before 0.4.0 (materialized views, refreshed with the
-- caller's rights) is not refreshed by 0.4.0, which says what to do; it
-- drops, and made again it gives the same figures
SELECT count(*) AS refreshed FROM clv_refresh_pipeline('report', incremental => true);
SELECT count(*) AS dropped FROM clv_drop_pipeline('report');
SELECT count(*) AS made FROM clv_create_pipeline('orders', 'customer', 'at', 'amount', 'report',
                                                 as_of => '2025-07-01 00:00+00');
-- (money to the cent: 0.4.0's pipeline rounds it, 0.1.0's did not; the
-- columns as a dashboard written for 0.1.0 to 0.3.0 names them, net_revenue
-- included: 0.4.0 keeps those names beside total_amount)
\set scored_columns 'customer_id, net_revenue::numeric(1000,2), orders, last_order, p_alive, expected_purchases_next_period, predicted_clv::numeric(1000,2), recency_score, frequency_score, monetary_score, rfm_cell, rfm_segment, declining, decline_severity, decline_reasons, decline_alert, value_at_risk::numeric(1000,2), value_tier'
SELECT (SELECT count(*) FROM (SELECT :scored_columns FROM report.customer_scores
                              EXCEPT SELECT :scored_columns FROM pipeline_0_1_0) d) AS new_rows,
       (SELECT count(*) FROM (SELECT :scored_columns FROM pipeline_0_1_0
                              EXCEPT SELECT :scored_columns FROM report.customer_scores) d) AS lost_rows;
-- the current version refuses what 0.1.0 let through
SELECT clv_credible_mean(10, 5, 6, -1, 1);

:members_digest \gset upgraded_
SELECT :'fresh_digest' = :'upgraded_digest' AS same_objects_as_fresh_install;

-- ALTER EXTENSION clv UPDATE from 0.1.0 took the one-step update make joins
-- (clv--0.1.0--0.4.0.sql, the shortest path); the steps one by one make
-- the same objects
SELECT count(*) AS one_step_from_0_1_0 FROM pg_extension_update_paths('clv')
WHERE source = '0.1.0' AND target = '0.4.0' AND path = '0.1.0--0.4.0';
\c clv_steps
SET client_min_messages = warning;
\set VERBOSITY terse
CREATE EXTENSION clv VERSION '0.1.0';
ALTER EXTENSION clv UPDATE TO '0.2.0';
ALTER EXTENSION clv UPDATE TO '0.3.0';
ALTER EXTENSION clv UPDATE TO '0.4.0';
:members_digest \gset steps_
SELECT :'fresh_digest' = :'steps_digest' AS steps_make_the_objects_of_a_fresh_install;

\c contrib_regression
DROP DATABASE clv_upgrade;
DROP DATABASE clv_fresh;
DROP DATABASE clv_steps;
