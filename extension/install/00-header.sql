-- clv install script, current version: assembled by make from the files of
-- extension/install/, one per concern, in the order of their names.
--
-- Schema safety: clv is trusted, so this script runs as the bootstrap
-- superuser for whoever runs CREATE EXTENSION.  Every object is created in
-- clv's schema, every reference to another object is schema-qualified
-- (pg_catalog or clv's schema), and every SQL and PL/pgSQL body pins its
-- search_path, so the caller's search_path cannot redirect anything.
--
-- Scoring functions in C declare COST 100: scoring costs microseconds a
-- customer (Gamma ratios, hypergeometric series, discounted sums), not the
-- one operator that PostgreSQL assumes for a C function.  Told so, the
-- planner scores a large table with parallel workers.

\echo Use "CREATE EXTENSION clv" to load this file. \quit
