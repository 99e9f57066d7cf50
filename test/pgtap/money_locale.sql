-- A money amount is a count of the smallest units of the currency of the
-- lc_monetary it is read under: 12.50 entered under C reads as 1250 under a
-- locale without decimals (ja_JP).  A pipeline over a money column records
-- its creator's lc_monetary and every refresh, full or incremental, reads
-- the amounts under it, whatever the session running it has set, and a
-- change of the recorded setting makes the next refresh a full one.  The
-- always-run tests check what is recorded, applied and pinned; those that need a
-- locale without decimals skip where none is installed (localedef -i ja_JP
-- -f UTF-8 ja_JP.UTF-8 makes one on Debian; the server needs a restart to
-- see it).
\ir ../include/prologue.psql
BEGIN;
SELECT plan(14);
SET LOCAL client_min_messages = error;

CREATE SCHEMA tap;
CREATE TABLE tap.till (customer text, day date, paid money);
SET LOCAL lc_monetary = 'C';
INSERT INTO tap.till VALUES ('ann', '2025-01-05', '12.50'), ('ann', '2025-02-05', '7.50'),
                            ('bob', '2025-02-01', '3.00'), ('dan', '2025-03-01', '7.25');

-- the first installed locale of these whose currency has no decimals, or NULL
CREATE FUNCTION tap.locale_without_decimals() RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    found text;
BEGIN
    FOREACH found IN ARRAY ARRAY['ja_JP.utf8', 'ja_JP.UTF-8', 'ko_KR.utf8', 'ko_KR.UTF-8'] LOOP
        BEGIN
            PERFORM set_config('lc_monetary', found, true);
            IF position('.' IN (1::money)::text) = 0 THEN
                PERFORM set_config('lc_monetary', 'C', true);
                RETURN found;
            END IF;
        EXCEPTION WHEN invalid_parameter_value THEN
            NULL;
        END;
    END LOOP;
    PERFORM set_config('lc_monetary', 'C', true);
    RETURN NULL;
END $$;
-- '' when none (a NULL would unset the variable)
SELECT coalesce(tap.locale_without_decimals(), '') AS no_decimals \gset

SELECT count(*) FROM clv_create_pipeline('tap.till', 'customer', 'day', 'paid', 'tap_money',
                                         as_of => '2025-03-31 12:00+00', time_zone => 'UTC') \g /dev/null
SELECT is((SELECT money_locale FROM tap_money.clv_pipeline), 'C',
          'a pipeline over money records the lc_monetary it was made under');
SELECT is((SELECT total_amount FROM tap_money.customer_summary WHERE customer_id = 'ann'), 20.00,
          'amounts in cents under C');

-- the recorded setting is in force only within the refresh: the session's
-- own is as it was after it
SET LOCAL lc_monetary = 'POSIX';
SELECT count(*) FROM clv_refresh_pipeline('tap_money') \g /dev/null
SELECT is(current_setting('lc_monetary'), 'POSIX', 'a refresh leaves the session''s lc_monetary as it was');

-- the refresh applies the registry's setting, not the session's: one the
-- server does not accept (a restore onto a server without the locale) stops
-- it, with the registry named in the hint
UPDATE tap_money.clv_pipeline SET money_locale = 'xx_NO.such-locale';
SELECT throws_ok($$SELECT count(*) FROM clv_refresh_pipeline('tap_money')$$, '22023',
                 'pipeline tap_money reads its money amounts under lc_monetary ''xx_NO.such-locale'', which this server does not accept',
                 'a refresh reads the amounts under the registry''s money_locale, and says so when the server lacks it');
CREATE FUNCTION tap.refresh_hint(target name) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    hint text;
BEGIN
    PERFORM clv_refresh_pipeline(target);
    RETURN NULL;
EXCEPTION WHEN invalid_parameter_value THEN
    GET STACKED DIAGNOSTICS hint = PG_EXCEPTION_HINT;
    RETURN hint;
END $$;
SELECT is(tap.refresh_hint('tap_money'),
          'Install that locale on this server, or set the pipeline''s: UPDATE tap_money.clv_pipeline SET money_locale = ''...''; the next refresh is then a full one.',
          'its hint says how to set the registry''s');

-- a changed money_locale: the stored states hold amounts read under the old
-- one, so the next refresh asked to be incremental is a full one (C.utf8 is
-- on every Debian; its amounts read as C's, but the refresh cannot know)
UPDATE tap_money.clv_pipeline SET money_locale = 'C.utf8';
SELECT count(*) FROM clv_refresh_pipeline('tap_money', incremental => true) \g /dev/null
SELECT is((SELECT last_refresh FROM tap_money.clv_pipeline), 'full',
          'after money_locale changed, the next refresh is full');
SELECT is((SELECT summarised_money_locale FROM tap_money.clv_pipeline), 'C.utf8',
          'and the registry records the setting the stored amounts were read under');
SELECT count(*) FROM clv_refresh_pipeline('tap_money', incremental => true) \g /dev/null
SELECT is((SELECT last_refresh FROM tap_money.clv_pipeline), 'incremental', 'the one after it is incremental again');
UPDATE tap_money.clv_pipeline SET money_locale = 'C';

-- a pipeline over another type records nothing
CREATE TABLE tap.plain (customer text, day date, paid numeric);
INSERT INTO tap.plain SELECT customer, day, paid::numeric FROM tap.till;
SELECT count(*) FROM clv_create_pipeline('tap.plain', 'customer', 'day', 'paid', 'tap_plain',
                                         as_of => '2025-03-31 12:00+00', time_zone => 'UTC') \g /dev/null
SELECT is((SELECT money_locale FROM tap_plain.clv_pipeline), NULL, 'a pipeline over numeric records no lc_monetary');

-- with a locale without decimals: sessions under it refresh the pipeline
-- made under C, in full and incrementally, and read the same cents; a
-- pipeline made under it reads whole yen, whichever session refreshes it
SELECT :'no_decimals' <> '' AS have_locale \gset
\if :have_locale
SELECT set_config('lc_monetary', :'no_decimals', true) \g /dev/null
SELECT count(*) FROM clv_refresh_pipeline('tap_money') \g /dev/null
SELECT is((SELECT total_amount FROM tap_money.customer_summary WHERE customer_id = 'ann'), 20.00,
          'a full refresh from a session without decimals reads the amounts as made: cents');
SELECT set_config('lc_monetary', 'C', true) \g /dev/null
INSERT INTO tap.till VALUES ('eve', '2025-03-30', '1.00');
SELECT set_config('lc_monetary', :'no_decimals', true) \g /dev/null
SELECT count(*) FROM clv_refresh_pipeline('tap_money', incremental => true) \g /dev/null
SELECT is((SELECT array_agg(total_amount ORDER BY customer_id) FROM tap_money.customer_summary),
          '{20.00,3.00,7.25,1.00}'::numeric[], 'an incremental refresh from that session too');
SELECT set_config('lc_monetary', :'no_decimals', true) \g /dev/null
SELECT count(*) FROM clv_create_pipeline('tap.till', 'customer', 'day', 'paid', 'tap_yen',
                                         as_of => '2025-03-31 12:00+00', time_zone => 'UTC') \g /dev/null
SELECT is((SELECT money_locale FROM tap_yen.clv_pipeline), :'no_decimals', 'made under it, it records it');
SELECT set_config('lc_monetary', 'C', true) \g /dev/null
SELECT count(*) FROM clv_refresh_pipeline('tap_yen') \g /dev/null
SELECT is((SELECT total_amount FROM tap_yen.customer_summary WHERE customer_id = 'ann'), 2000.00,
          'and a session under C refreshing it reads whole units of that currency');
SELECT is((SELECT sum(revenue) FROM tap_yen.monthly), 3125.00, 'its monthly revenue too');
\else
SELECT skip('no locale without decimals is installed (ja_JP, ko_KR)', 5);
\endif

SELECT * FROM finish();
ROLLBACK;
