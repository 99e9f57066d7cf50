-- Identity resolution: normalisation rules, transitive links, stable
-- profile ids across re-runs, the glue-identifier cap, bad input.
\set VERBOSITY default

-- e-mail: trimmed and lower-cased; NULL when it cannot be an address
SELECT e AS input, clv_normalize_email(e) AS plain,
       clv_normalize_email(e, drop_plus_tag => true) AS without_tag,
       clv_normalize_email(e, true, true) AS gmail_rules
FROM unnest(ARRAY[
    '  John.Doe+Shop@Example.COM ', E'\tjane@example.org\n', 'j.o.h.n+news@GoogleMail.com',
    'J.O.H.N@gmail.com', 'ÄNNE@Example.de', 'no-at-sign', 'a@b', '@x.com', 'a@@x.com',
    'a b@x.com', '+tag@x.com', 'x@.com', 'x@com.', '', '   ']) e;
SELECT clv_normalize_email(NULL) IS NULL AS null_in_null_out;

-- phone: + country code and digits
SELECT p AS input, clv_normalize_phone(p) AS no_default,
       clv_normalize_phone(p, '49') AS germany, clv_normalize_phone(p, '+39') AS italy
FROM unnest(ARRAY[
    '030 1234567', '+49 (0)30 1234567', '0049 30 1234567', '(030) 123-4567 ext. 12',
    '030 1234567 x99', '030 1234567 #2', '+1 212-555-1234', '0000000000', '+0 1234567',
    '12345', '+123456789012345', '+1234567890123456', '06 1234 5678', '']) p;
SELECT clv_normalize_phone('030 1234567', 'DE');
SELECT clv_normalize_phone('030 1234567', '1234');
SELECT clv_normalize_phone('030 1234567', '039');
-- letters before the number are not an extension marker
SELECT clv_normalize_phone('Fax +49 30 1234567'), clv_normalize_phone('Tel. 030 1234567 ext 5', '49');
SELECT clv_normalize_phone(NULL, '49') IS NULL AS null_in_null_out;

-- linking: A shares an e-mail with B, B a phone with C: one profile
CREATE TABLE contacts (id bigint, source text, email text, phone text, card text);
INSERT INTO contacts VALUES
    (10, 'web',     'Ann@Example.com',  NULL,             NULL),
    (11, 'store',   ' ann@example.com', '0301111111',     'L-1001'),
    (12, 'service', NULL,               '+49 30 1111111', NULL),
    (20, 'web',     'bob@example.com',  NULL,             NULL),
    (21, 'store',   NULL,               NULL,             'L-2002'),
    (22, 'service', 'bob@example.com',  NULL,             NULL),
    (30, 'web',     'cy@example.com',   NULL,             NULL),
    (40, 'store',   'shop@ourshop.com', '0000000000',     NULL),
    (41, 'store',   'shop@ourshop.com', '0000000000',     NULL),
    (42, 'store',   'shop@ourshop.com', NULL,             NULL),
    (43, 'store',   'dee@example.com',  NULL,             'L-2002');
CREATE VIEW pairs AS
    SELECT id, 'email:' || clv_normalize_email(email) AS identifier FROM contacts
    UNION ALL SELECT id, 'phone:' || clv_normalize_phone(phone, '49') FROM contacts
    UNION ALL SELECT id, 'card:' || card FROM contacts;
SELECT * FROM clv_link_identities('SELECT * FROM pairs', 3) ORDER BY record_id;
-- the shop's own address glues 3 records: with a cap of 2 it links nothing
SELECT * FROM clv_identity_glue('SELECT * FROM pairs', 2) ORDER BY records DESC, identifier;
SELECT record_id, profile_id FROM clv_link_identities('SELECT * FROM pairs', 2)
WHERE record_id BETWEEN 40 AND 43 ORDER BY record_id;

-- re-running after new records arrive changes no existing profile id,
-- unless two profiles really merge: record 51 shares 30's e-mail and the
-- card of 21 and 43, so 30 joins their profile, 21
CREATE TABLE run1 AS SELECT * FROM clv_link_identities('SELECT * FROM pairs', 3);
INSERT INTO contacts VALUES (50, 'web', 'eve@example.com', NULL, NULL),
                            (51, 'service', 'cy@example.com', NULL, 'L-2002');
CREATE TABLE run2 AS SELECT * FROM clv_link_identities('SELECT * FROM pairs', 3);
SELECT r1.record_id, r1.profile_id AS before, r2.profile_id AS after
FROM run1 r1 JOIN run2 r2 USING (record_id)
WHERE r1.profile_id <> r2.profile_id ORDER BY 1;
SELECT record_id, profile_id FROM run2 WHERE record_id NOT IN (SELECT record_id FROM run1) ORDER BY 1;
-- an identifier that crosses the cap stops linking, and can split a profile:
-- with a cap of 2 the card, now on 3 records, links nothing
SELECT record_id, profile_id FROM clv_link_identities('SELECT * FROM pairs', 2)
WHERE record_id IN (21, 30, 43, 51) ORDER BY 1;
-- the result does not depend on the order of the pairs
SELECT count(*) AS differences
FROM run2 FULL JOIN clv_link_identities('SELECT * FROM pairs ORDER BY md5(id::text || coalesce(identifier, ''''))', 3) x
     USING (record_id)
WHERE run2.profile_id IS DISTINCT FROM x.profile_id;

-- a long chain links transitively, whatever the order of its links
SELECT count(DISTINCT profile_id) AS profiles, min(profile_id), max(profile_records)
FROM clv_link_identities($$SELECT * FROM (
                               SELECT g::bigint, 'k' || (g / 2) FROM generate_series(1, 10000) g
                               UNION ALL SELECT g::bigint, 'k' || ((g + 1) / 2) FROM generate_series(1, 10000) g) q
                           ORDER BY md5(random()::text)$$);
-- records with only NULL identifiers stay, alone; char(n) padding is not part of the value
SELECT * FROM clv_link_identities($$VALUES (1::bigint, NULL::text), (2, 'x'), (3, 'x ')$$) ORDER BY 1;
SELECT * FROM clv_link_identities($$VALUES (1, 'x'::char(5)), (2, 'x'::char(3))$$) ORDER BY 1;
SELECT count(*) FROM clv_link_identities('SELECT 1::bigint, ''x'' WHERE false');

-- bad input
SELECT * FROM clv_link_identities(NULL);
SELECT * FROM clv_link_identities('SELECT id FROM contacts');
SELECT * FROM clv_link_identities('SELECT id::numeric, email FROM contacts');
SELECT * FROM clv_link_identities('SELECT NULL::bigint, email FROM contacts');
SELECT * FROM clv_link_identities('DELETE FROM contacts RETURNING id, email');
SELECT * FROM clv_link_identities('SELECT id, email FROM contacts; SELECT 1, ''x''');
SELECT * FROM clv_link_identities('SELECT id, email FROM no_such_table');
SELECT * FROM clv_link_identities('SELECT id, email FROM contacts FOR UPDATE');
SELECT * FROM clv_link_identities('WITH d AS (DELETE FROM contacts RETURNING id, email) SELECT * FROM d');
SELECT * FROM clv_link_identities('SELECT 1.5::numeric, ''x'' WHERE false');
SELECT * FROM clv_link_identities('SELECT id, email FROM contacts', 1);
-- an option given as NULL takes its default
SELECT (SELECT array_agg(l ORDER BY l.record_id) FROM clv_link_identities('SELECT id, email FROM contacts', NULL) l)
     = (SELECT array_agg(l ORDER BY l.record_id) FROM clv_link_identities('SELECT id, email FROM contacts') l)
       AS null_cap_is_default;
SELECT count(*) FROM contacts;  -- nothing was deleted

DROP VIEW pairs;
DROP TABLE contacts, run1, run2;
