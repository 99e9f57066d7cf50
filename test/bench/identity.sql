-- The identity-linking benchmark (test/bench/identity.sh): generates
-- contact records of people seen in three systems and their identifier
-- pairs, then times clv_link_identities in this one session against the
-- cheapest scan of the same pairs and a plain-SQL label propagation, checks
-- that the plain SQL gives what clv gives, reports how well the linking
-- finds the true people, and adds its figures to bench_summary.
--
-- psql variables: pairs_millions (the size: about that many million pairs),
-- seed (a float8 in [-1, 1]), runs (timed rounds after one warm-up round),
-- cap (max_records_per_identifier), run_plain (on/off: time the plain SQL).
-- Run from the repository root in a database with the clv and pg_prewarm
-- extensions and a bench_summary table; test/bench/identity.sh sets everything up.
-- The peak memory is measured by test/bench/identity.sh, in a fresh session.
--
-- The data (setup, not timed), per million pairs 250,000 people:
--   * people: an e-mail address (first name, a number unique to the
--     person, one of eight domains), 30% a second one; a mobile number, 35%
--     a landline; a loyalty card.  Households: 2% share the e-mail of the
--     person before them, 4% the mobile, 30% of landlines and 3% of cards
--     are shared the same way, so some true people really do link;
--   * records: 1 + geometric (mean 1.6) per person, each in one system:
--     web shop 45% (e-mail; the second e-mail too for those who have one,
--     80%; mobile 85%, landline 30%, card 50%), store 35% (card 95%, mobile
--     70%, landline 15%, e-mail 70%), service desk 20% (mobile 90%, landline
--     30%, e-mail 90%, card 40%); at least the system's main identifier;
--     2% of e-mails typed with a typo (an identifier of their own); glue:
--     0.5% of store e-mails are the shop's own 'info@shop.example', 1% of
--     service-desk phones '0000000000', 0.2% of web e-mails
--     'test@test.com';
--   * record ids: 1e10 * system (1, 2, 3) + a random order within the
--     system; records(record_id, person_id, system) keeps the truth;
--     pairs(record_id bigint, identifier text), 'email:', 'phone:', 'card:'
--     prefixes, inserted in record_id order.
--
-- Each timed run is EXPLAIN (ANALYZE, TIMING OFF, SUMMARY ON) of the bare
-- query and its "Execution Time", as in segments.sql.  Rounds are
-- interleaved; round 0 is a warm-up; the median is reported.  The linking
-- results are consumed by count(*) and sum(profile_id), so every row is
-- formed and read.

\o /dev/null
SELECT setseed(:seed);
\o
DROP TABLE IF EXISTS people, records, pairs;

SELECT clock_timestamp() AS gen_start \gset
CREATE TABLE people AS
SELECT person_id,
       'email:' || (ARRAY['anna', 'ben', 'clara', 'david', 'emma', 'felix', 'greta', 'hans', 'ida', 'jonas',
                          'lena', 'max', 'nora', 'oskar', 'paula', 'rainer'])[1 + e1_owner % 16]
           || '.' || to_hex(e1_owner * 48271 % 999999937) || '@'
           || (ARRAY['gmail.com', 'gmx.de', 'web.de', 'outlook.com', 'yahoo.com', 't-online.de',
                     'icloud.com', 'posteo.de'])[1 + (e1_owner / 16) % 8] AS email1,
       CASE WHEN u_e2 < 0.3 THEN
           'email:' || to_hex(person_id * 69621 % 999999937) || '.work@'
           || (ARRAY['firma.de', 'company.com', 'uni-example.de', 'amt.example'])[1 + person_id % 4]
       END AS email2,
       'phone:+4915' || lpad((mob_owner * 16807 % 999999937)::text, 9, '0') AS mobile,
       CASE WHEN u_land < 0.35 THEN
           'phone:+49' || (30 + land_owner % 60)::text || lpad((land_owner * 40692 % 99999989)::text, 8, '0')
       END AS landline,
       'card:' || lpad((card_owner * 39373 % 999999999937)::text, 12, '0') AS card,
       1 + floor(ln(1 - random()) / ln(0.375))::int AS n_records
FROM (
    SELECT person_id,
           person_id - (random() < 0.02 AND person_id > 1)::int AS e1_owner,
           person_id - (random() < 0.04 AND person_id > 1)::int AS mob_owner,
           person_id - (random() < 0.30 AND person_id > 1)::int AS land_owner,
           person_id - (random() < 0.03 AND person_id > 1)::int AS card_owner,
           random() AS u_e2, random() AS u_land
    FROM generate_series(1, round(250000 * :pairs_millions)::bigint) AS person_id
) s;

CREATE TEMP TABLE records_raw AS
SELECT p.person_id, r.system,
       -- what this record holds; NULL: not given
       CASE r.system
           WHEN 1 THEN CASE WHEN random() < 0.002 THEN 'email:test@test.com' ELSE p.email1 END
           WHEN 2 THEN CASE WHEN random() < 0.7 THEN
                           CASE WHEN random() < 0.005 THEN 'email:info@shop.example' ELSE p.email1 END END
           ELSE CASE WHEN random() < 0.9 THEN p.email1 END
       END AS e1,
       CASE WHEN r.system = 1 AND random() < 0.8 THEN p.email2 END AS e2,
       CASE r.system
           WHEN 1 THEN CASE WHEN random() < 0.85 THEN p.mobile END
           WHEN 2 THEN CASE WHEN random() < 0.7 THEN p.mobile END
           ELSE CASE WHEN random() < 0.9 THEN
                   CASE WHEN random() < 0.01 THEN 'phone:0000000000' ELSE p.mobile END END
       END AS mob,
       CASE WHEN random() < (ARRAY[0.3, 0.15, 0.3])[r.system] THEN p.landline END AS land,
       CASE WHEN random() < (ARRAY[0.5, 0.95, 0.4])[r.system] THEN p.card END AS c_card,
       random() < 0.02 AS typo,
       random() AS u_order
FROM people p
CROSS JOIN LATERAL (
    SELECT CASE WHEN u < 0.45 THEN 1 WHEN u < 0.8 THEN 2 ELSE 3 END AS system
    FROM (SELECT random() AS u FROM generate_series(1, p.n_records) AS k) g
) r;

CREATE TABLE records AS
SELECT 10000000000 * system + row_number() OVER (PARTITION BY system ORDER BY u_order) AS record_id,
       person_id, system,
       -- the system's main identifier when the record would hold none; a typo in the e-mail
       ARRAY[CASE WHEN typo AND e1 IS NOT NULL THEN replace(e1, '@', 'x@') ELSE e1 END, e2, mob, land,
             CASE WHEN e1 IS NULL AND e2 IS NULL AND mob IS NULL AND land IS NULL AND c_card IS NULL THEN
                  CASE system WHEN 1 THEN p.email1 WHEN 2 THEN p.card ELSE p.mobile END
             ELSE c_card END] AS identifiers
FROM records_raw JOIN people p USING (person_id);
DROP TABLE records_raw;

CREATE TABLE pairs (record_id bigint, identifier text);
INSERT INTO pairs
SELECT r.record_id, i FROM records r CROSS JOIN LATERAL unnest(r.identifiers) AS i
WHERE i IS NOT NULL
ORDER BY r.record_id;
ALTER TABLE records DROP COLUMN identifiers;
VACUUM ANALYZE people, records, pairs;
SELECT round(extract(epoch FROM clock_timestamp() - :'gen_start'::timestamptz)::numeric, 1) AS gen_s \gset
\o /dev/null
SELECT pg_prewarm('pairs');
\o
\echo 'generated people, records and pairs in' :gen_s 's'

\pset footer off
SELECT (SELECT count(*) FROM people) AS people,
       (SELECT count(*) FROM records) AS records,
       count(*) AS pairs,
       count(DISTINCT identifier) AS identifiers,
       round(avg(octet_length(identifier)), 1) AS "mean bytes",
       round(count(*)::numeric / (SELECT count(*) FROM records), 2) AS "pairs/record",
       pg_size_pretty(pg_table_size('pairs')) AS "pairs size"
FROM pairs;
SELECT CASE system WHEN 1 THEN 'web shop' WHEN 2 THEN 'store' ELSE 'service desk' END AS system,
       count(*) AS records
FROM records GROUP BY system ORDER BY system;

\echo
\echo 'identifiers over the cap (clv_identity_glue):'
SELECT * FROM clv_identity_glue('SELECT record_id, identifier FROM pairs', :cap) ORDER BY records DESC LIMIT 8;

-- The plain-SQL equivalent: identifiers on at most cap distinct records,
-- numbered; then min-label propagation (each record starts with its own id,
-- takes the smallest label over its identifiers' records) until no label
-- changes.  Unlogged tables (in shared_buffers), one new label table per
-- round.
CREATE FUNCTION pg_temp.link_identities_sql(cap int)
RETURNS TABLE (rec bigint, profile bigint) LANGUAGE plpgsql AS $f$
DECLARE
    changed bigint;
BEGIN
    DROP TABLE IF EXISTS lp_ident, lp_edge, lp_label, lp_next;
    CREATE UNLOGGED TABLE lp_ident AS
    SELECT identifier, row_number() OVER () AS ident_no
    FROM (SELECT DISTINCT record_id, identifier FROM pairs WHERE identifier IS NOT NULL) d
    GROUP BY identifier HAVING count(*) <= cap;
    CREATE UNLOGGED TABLE lp_edge AS
    SELECT p.record_id, i.ident_no FROM pairs p JOIN lp_ident i USING (identifier);
    CREATE UNLOGGED TABLE lp_label AS
    SELECT record_id, record_id AS label FROM pairs GROUP BY record_id;
    ANALYZE lp_edge, lp_label;
    LOOP
        CREATE UNLOGGED TABLE lp_next AS
        SELECT l.record_id, least(l.label, m.label) AS label
        FROM lp_label l
        LEFT JOIN (
            SELECT e.record_id, min(il.label) AS label
            FROM lp_edge e
            JOIN (SELECT e2.ident_no, min(l2.label) AS label
                  FROM lp_edge e2 JOIN lp_label l2 USING (record_id)
                  GROUP BY e2.ident_no) il USING (ident_no)
            GROUP BY e.record_id
        ) m USING (record_id);
        SELECT count(*) INTO changed
        FROM lp_next n JOIN lp_label l USING (record_id) WHERE n.label <> l.label;
        DROP TABLE lp_label;
        ALTER TABLE lp_next RENAME TO lp_label;
        EXIT WHEN changed = 0;
    END LOOP;
    RETURN QUERY SELECT l.record_id, l.label FROM lp_label l;
    DROP TABLE lp_ident, lp_edge, lp_label;
END $f$;

-- The linking once, kept for the checks and the quality figures (not timed).
\o /dev/null
SET client_min_messages = warning;
\o
CREATE TEMP TABLE link_clv AS
SELECT * FROM clv_link_identities('SELECT record_id, identifier FROM pairs', :cap);
\echo
\if :run_plain
\echo 'check (plain SQL against clv):'
SELECT clock_timestamp() AS plain_start \gset
CREATE TEMP TABLE link_sql AS SELECT * FROM pg_temp.link_identities_sql(:cap);
SELECT round(extract(epoch FROM clock_timestamp() - :'plain_start'::timestamptz)::numeric, 1) AS plain_s \gset
SELECT count(*) AS records,
       count(*) FILTER (WHERE c.record_id IS NULL OR s.rec IS NULL) AS "missing on one side",
       count(*) FILTER (WHERE c.profile_id IS DISTINCT FROM s.profile) AS "profile differs",
       :plain_s AS "plain SQL s (once)"
FROM link_clv c FULL JOIN link_sql s ON s.rec = c.record_id;
DROP TABLE link_sql;
\else
\echo 'plain SQL not run at this size (PLAIN_MAX_MILLIONS)'
\endif

\echo
\echo 'linking quality (cap' :cap 'records an identifier; not timed):'
CREATE TEMP TABLE link_truth AS
SELECT c.record_id, c.profile_id, c.profile_records, r.person_id
FROM link_clv c JOIN records r USING (record_id);
ANALYZE link_truth;
WITH per_profile AS (
    SELECT profile_id, count(DISTINCT person_id) AS persons, count(*) AS records
    FROM link_truth GROUP BY profile_id
), per_person AS (
    SELECT person_id, count(DISTINCT profile_id) AS profiles FROM link_truth GROUP BY person_id
)
SELECT (SELECT count(*) FROM per_person) AS "true people",
       (SELECT count(*) FROM per_profile) AS profiles,
       (SELECT count(*) FROM per_profile WHERE persons > 1) AS "profiles mixing people",
       (SELECT coalesce(sum(records), 0) FROM per_profile WHERE persons > 1) AS "their records",
       (SELECT max(persons) FROM per_profile) AS "most people in a profile",
       (SELECT count(*) FROM per_person WHERE profiles > 1) AS "people split",
       (SELECT max(profiles) FROM per_person) AS "most profiles a person",
       (SELECT max(records) FROM per_profile) AS "largest profile",
       (SELECT count(*) FROM link_truth WHERE profile_records = 1) AS "single-record profiles";
WITH split AS (
    SELECT person_id FROM link_truth GROUP BY person_id HAVING count(DISTINCT profile_id) > 1
)
SELECT count(*) AS "people split",
       count(*) FILTER (WHERE has_glue) AS "... with a glue identifier",
       count(*) FILTER (WHERE has_typo) AS "... with a mistyped e-mail"
FROM (
    SELECT s.person_id,
           bool_or(p.identifier IN ('email:test@test.com', 'email:info@shop.example', 'phone:0000000000')) AS has_glue,
           bool_or(p.identifier LIKE '%x@%') AS has_typo
    FROM split s JOIN link_truth t USING (person_id) JOIN pairs p USING (record_id)
    GROUP BY s.person_id
) q;

-- the memory estimate of identity.c's header comment: 32 bytes a pair, the
-- identifiers' bytes, 12 bytes a distinct record (before the doubling slack)
SELECT count(*) AS n_pairs, sum(octet_length(identifier)) AS ident_bytes,
       (SELECT count(*) FROM link_clv) AS n_records, (SELECT count(*) FROM records) AS n_recs_truth
FROM pairs \gset
SELECT count(*) AS n_profiles FROM (SELECT DISTINCT profile_id FROM link_clv) q \gset
SELECT count(*) AS n_people FROM people \gset
SELECT count(*) AS n_mixed FROM (SELECT profile_id FROM link_truth GROUP BY profile_id
                                 HAVING count(DISTINCT person_id) > 1) q \gset
SELECT count(*) AS n_split FROM (SELECT person_id FROM link_truth GROUP BY person_id
                                 HAVING count(DISTINCT profile_id) > 1) q \gset
DROP TABLE link_truth, link_clv;

\ir bench_runs.psql

CREATE TEMP TABLE bench_queries (ord int PRIMARY KEY, label text UNIQUE, query text);
INSERT INTO bench_queries VALUES
    (1, 'scan pairs', 'SELECT count(*), sum(length(identifier)) FROM pairs'),
    (2, 'clv_link_identities',
     format('SELECT count(*), sum(profile_id) FROM clv_link_identities(%L, %s)',
            'SELECT record_id, identifier FROM pairs', :cap));
INSERT INTO bench_queries
SELECT 3, 'plain SQL: label propagation',
       format('SELECT count(*), sum(profile) FROM pg_temp.link_identities_sql(%s)', :cap)
WHERE :'run_plain'::bool;

\ir bench_rounds.psql

CREATE TEMP TABLE bench_result AS
SELECT q.ord, q.label,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FILTER (WHERE round > 0) AS median_ms,
       string_agg(round(ms)::text, ' ' ORDER BY round) FILTER (WHERE round > 0) AS runs_ms,
       round(min(ms) FILTER (WHERE round = 0)) AS warmup_ms,
       string_agg(DISTINCT jit, ',') AS jit
FROM bench_runs JOIN bench_queries q USING (label)
GROUP BY q.ord, q.label;

\echo
\echo 'median of' :runs 'runs (ms; EXPLAIN ANALYZE Execution Time), single core; ratio = ms / scan pairs ms'
SELECT q.label AS operation, :n_pairs AS pairs,
       round(q.median_ms::numeric) AS ms,
       round((q.median_ms / b.median_ms)::numeric, 2) AS "x scan",
       to_char(:n_pairs / (q.median_ms / 1000), 'FM999,999,999,990') AS "pairs/s",
       q.runs_ms AS "runs (ms)", q.warmup_ms AS "warm-up", q.jit
FROM bench_result q CROSS JOIN (SELECT median_ms FROM bench_result WHERE ord = 1) b
ORDER BY q.ord;

INSERT INTO bench_summary (pairs_millions, n_pairs, n_records, n_people, n_profiles, n_mixed, n_split,
                           ident_bytes, scan_ms, clv_ms, plain_ms)
SELECT :pairs_millions, :n_pairs, :n_records, :n_people, :n_profiles, :n_mixed, :n_split, :ident_bytes,
       (SELECT median_ms FROM bench_result WHERE ord = 1),
       (SELECT median_ms FROM bench_result WHERE ord = 2),
       (SELECT median_ms FROM bench_result WHERE ord = 3);
