-- demo/generate.sql: a realistic, deterministic CRM data set for the clv demo.
--
--   psql -v ON_ERROR_STOP=1 [-v customers=50000] -f demo/generate.sql
--
-- (Re)creates three tables in the current schema:
--   customers(customer_id, signup_channel, segment, country, acquisition_cost, created_at)
--   orders(order_id, customer_id, channel, ordered_at, amount)   -- amount < 0: a refund
--   contacts(record_id, source, customer_id, email, phone, loyalty_card, created_at)
-- with three years of history, 2023-07-01 to 2026-06-30.  The default 50,000
-- customers make about 240,000 orders and 9,000 refunds; it takes some ten
-- seconds.
--
-- The buying behaviour follows the story the Buy-Till-You-Die models tell
-- (Pareto/NBD, gamma-gamma), so that their summaries have something to find:
--   * each customer buys at their own Poisson rate while "alive"; the rates are
--     gamma distributed across customers, so most buy rarely and a few weekly;
--   * each customer stays alive for an exponential time whose rate is itself
--     gamma distributed, so many never come back after the first order;
--   * each customer has their own typical order value (lognormal across
--     customers) and individual orders scatter around it (gamma noise).
-- On top of that: growth (more customers acquired every year), seasonality
-- (November/December peak with Black Friday, a summer dip, a weekly rhythm),
-- a channel mix that depends on the segment, extra orders on the same day,
-- and refunds (about 4% of orders, some partial) a few days after the order.
--
-- Everything comes from one random() stream seeded with setseed(), consumed
-- in a fixed row order, so every run produces exactly the same data.

\if :{?customers}
\else
\set customers 50000
\endif
\set history_start '2023-07-01'
\set history_end   '2026-06-30'

SET client_min_messages = warning;
-- Timestamps are generated in UTC, so calendar days do not depend on the client.
SET TimeZone = 'UTC';
-- Determinism: random() values are handed out in row order, so that order must
-- not change between runs.  Parallel workers and synchronized scans could
-- change it, so switch both off; every query that draws random numbers reads
-- generate_series, a single table, or rows sorted on a unique key.
SET max_parallel_workers_per_gather = 0;
SET synchronize_seqscans = off;
SELECT setseed(0.42) \gset

DROP TABLE IF EXISTS contacts, orders, customers;

------------------------------------------------------------------------------
-- Random draws (PostgreSQL 15 has only the uniform random())
------------------------------------------------------------------------------

-- Standard normal, by Box-Muller.
CREATE FUNCTION pg_temp.random_normal() RETURNS float8
LANGUAGE sql VOLATILE AS $$
    SELECT sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random())
$$;

-- Gamma(shape, scale), mean shape * scale.  The cube root of a gamma variate is
-- nearly normal (Wilson-Hilferty), close enough for shape >= 1; a smaller
-- shape a uses Gamma(a) = Gamma(a + 1) * U^(1/a).
CREATE FUNCTION pg_temp.random_gamma_wh(shape float8) RETURNS float8
LANGUAGE sql VOLATILE AS $$
    SELECT shape * greatest(1 - 1 / (9 * shape)
                            + pg_temp.random_normal() / sqrt(9 * shape), 0) ^ 3
$$;

CREATE FUNCTION pg_temp.random_gamma(shape float8, scale float8) RETURNS float8
LANGUAGE sql VOLATILE AS $$
    SELECT scale * CASE WHEN shape >= 1 THEN pg_temp.random_gamma_wh(shape)
                        ELSE pg_temp.random_gamma_wh(shape + 1) * random() ^ (1 / shape)
                   END
$$;

-- Clock time of an order: shops and phone lines keep office hours, online
-- orders come in from early morning to late evening, more of them later on.
-- Ends by 22:00, leaving room for a same-day follow-up order before midnight.
CREATE FUNCTION pg_temp.time_of_day(channel text) RETURNS interval
LANGUAGE sql VOLATILE AS $$
    SELECT CASE WHEN channel IN ('store', 'phone')
                THEN interval '9 hours' + random() * interval '9 hours'
                ELSE interval '7 hours' + random() ^ 0.7 * interval '15 hours'
           END
$$;

------------------------------------------------------------------------------
-- The business's assumptions, all in one place
------------------------------------------------------------------------------

-- Per segment:  share of new customers; mean purchases per year while alive
-- and the gamma shape of that rate across customers (below 1: most buy rarely,
-- a few very often); mean lifetime as a customer; typical order value (median
-- across customers, lognormal spread); how likely an order gets a follow-up
-- order on the same day or a refund; how much more acquisition costs.
CREATE TEMP TABLE segment_model (
    segment text, share float8,
    purchases_per_year float8, rate_shape float8, lifetime_years float8,
    median_order_value float8, order_value_sigma float8,
    follow_up_rate float8, refund_rate float8, cac_multiplier float8);
INSERT INTO segment_model VALUES
    ('consumer',       82, 4.0, 0.60, 1.5,  45, 0.45, 0.04, 0.045, 1.0),
    ('small business', 15, 8.0, 0.80, 2.5, 160, 0.50, 0.08, 0.030, 2.0),
    ('enterprise',      3, 12,  1.50, 4.0, 400, 0.50, 0.12, 0.015, 6.0);

-- Categorical mixes, as relative weights; segment '*' means every segment.
CREATE TEMP TABLE mix (dimension text, segment text, label text, weight float8);
INSERT INTO mix VALUES
    ('country', '*', 'DE', 30), ('country', '*', 'FR', 17), ('country', '*', 'GB', 15),
    ('country', '*', 'NL',  9), ('country', '*', 'ES',  8), ('country', '*', 'IT',  8),
    ('country', '*', 'AT',  5), ('country', '*', 'BE',  4), ('country', '*', 'CH',  4),
    -- how customers of each segment find the business
    ('signup_channel', 'consumer', 'organic search', 28),
    ('signup_channel', 'consumer', 'paid search',    24),
    ('signup_channel', 'consumer', 'social media',   18),
    ('signup_channel', 'consumer', 'referral',       10),
    ('signup_channel', 'consumer', 'marketplace',    10),
    ('signup_channel', 'consumer', 'retail store',   10),
    ('signup_channel', 'small business', 'organic search', 25),
    ('signup_channel', 'small business', 'paid search',    30),
    ('signup_channel', 'small business', 'referral',       20),
    ('signup_channel', 'small business', 'direct sales',   15),
    ('signup_channel', 'small business', 'marketplace',    10),
    ('signup_channel', 'enterprise', 'direct sales',   65),
    ('signup_channel', 'enterprise', 'referral',       20),
    ('signup_channel', 'enterprise', 'paid search',    10),
    ('signup_channel', 'enterprise', 'organic search',  5),
    -- where each segment places its orders
    ('order_channel', 'consumer', 'web',         55),
    ('order_channel', 'consumer', 'store',       25),
    ('order_channel', 'consumer', 'marketplace', 15),
    ('order_channel', 'consumer', 'phone',        5),
    ('order_channel', 'small business', 'web',         55),
    ('order_channel', 'small business', 'phone',       25),
    ('order_channel', 'small business', 'store',       10),
    ('order_channel', 'small business', 'marketplace', 10),
    ('order_channel', 'enterprise', 'phone', 50),
    ('order_channel', 'enterprise', 'web',   45),
    ('order_channel', 'enterprise', 'store',  5);

-- Typical cost of acquiring a consumer through each channel (EUR); other
-- segments pay segment_model.cac_multiplier times as much.
CREATE TEMP TABLE channel_cost (signup_channel text, cost float8);
INSERT INTO channel_cost VALUES
    ('organic search', 4), ('paid search', 38), ('social media', 30),
    ('referral', 20), ('marketplace', 14), ('retail store', 9),
    ('direct sales', 150);

-- Each mix as ranges [lo, hi) of a uniform draw; the last range is open
-- ended so that float rounding can never leave a draw without a label.
CREATE TEMP TABLE pick AS
SELECT dimension, segment, label, lo,
       coalesce(lead(lo) OVER (PARTITION BY dimension, segment ORDER BY label), 2) AS hi
FROM (SELECT dimension, segment, label,
             (sum(weight) OVER (PARTITION BY dimension, segment ORDER BY label) - weight)
             / sum(weight) OVER (PARTITION BY dimension, segment) AS lo
      FROM (SELECT * FROM mix
            UNION ALL
            SELECT 'segment', '*', segment, share FROM segment_model) m) r;

------------------------------------------------------------------------------
-- The calendar: seasonality and growth
------------------------------------------------------------------------------

-- Relative sales intensity of each day: a month profile (summer dip, autumn
-- build-up, the December rush that stops at Christmas Eve), Black Friday to
-- Cyber Monday at more than double, and a mild weekly rhythm.
CREATE TEMP TABLE calendar AS
SELECT day, day - :'history_start'::date + 1 AS day_no,
       (ARRAY[0.90, 0.85, 0.95, 0.95, 0.95, 0.85,
              0.75, 0.75, 0.95, 1.00, 1.30, 1.60])[extract(month FROM day)]
       * CASE WHEN extract(month FROM day) = 12 AND extract(day FROM day) BETWEEN 24 AND 26 THEN 0.4
              WHEN extract(month FROM day) = 12 AND extract(day FROM day) > 26 THEN 0.6
              WHEN day BETWEEN black_friday AND black_friday + 3 THEN 2.2
              ELSE 1 END
       -- Sunday .. Saturday
       * (ARRAY[0.85, 1.10, 1.05, 1.00, 1.00, 0.95, 1.05])[extract(dow FROM day) + 1]
       ::float8 AS intensity,
       -- acquisition grows by 45% a year
       power(1.45, (day - :'history_start'::date) / 365.25)::float8 AS growth
FROM (SELECT d::date AS day FROM generate_series(:'history_start'::date, :'history_end'::date, '1 day') d) c,
     -- Black Friday: the day after the fourth Thursday of November
     LATERAL (SELECT n1 + (4 - extract(dow FROM n1)::int + 7) % 7 + 22 AS black_friday
              FROM make_date(extract(year FROM day)::int, 11, 1) n1) bf;

-- Seasonality works by time warping: customers buy at a steady rate on a
-- "business clock" that runs faster on busy days.  warp.clock[i] is the
-- business-clock time at the start of day i (normalised so that it averages
-- one unit per day; clock[days + 1] is the end of history); a business-clock
-- time maps back to its calendar day with width_bucket(), a binary search.
-- warp.signups is the same for acquisitions, which also grow.
CREATE TEMP TABLE warp AS
SELECT :'history_start'::date AS first_day, count(*)::int AS days,
       array_append(array_agg(clock_start ORDER BY day_no), total) AS clock,
       array_append(array_agg(signup_start ORDER BY day_no), signup_total) AS signups
FROM (SELECT day_no,
             coalesce(sum(intensity) OVER prior, 0) / avg(intensity) OVER () AS clock_start,
             sum(intensity) OVER () / avg(intensity) OVER () AS total,
             coalesce(sum(intensity * growth) OVER prior, 0) AS signup_start,
             sum(intensity * growth) OVER () AS signup_total
      FROM calendar
      WINDOW prior AS (ORDER BY day_no ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)) c
GROUP BY total, signup_total;

-- Calendar time -> business clock.
CREATE FUNCTION pg_temp.clock(t timestamptz) RETURNS float8
LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN i > w.days THEN w.clock[w.days + 1]
                ELSE w.clock[i] + (w.clock[i + 1] - w.clock[i])
                                  * extract(epoch FROM t - t::date) / 86400 END
    FROM warp w, LATERAL (SELECT t::date - w.first_day + 1 AS i) d
$$;

-- Business clock -> calendar day.
CREATE FUNCTION pg_temp.calendar_day(business_time float8) RETURNS date
LANGUAGE sql STABLE AS $$
    SELECT w.first_day + width_bucket(business_time, w.clock) - 1 FROM warp w
$$;

------------------------------------------------------------------------------
-- Customers
------------------------------------------------------------------------------

-- Who they are and when they arrived.  Customer records are created at the
-- first order, so customer_id follows the signup time.
CREATE TEMP TABLE customer_draws AS
SELECT g AS draw, random() AS u_signup, random() AS u_segment,
       random() AS u_signup_channel, random() AS u_country, random() AS u_channel
FROM generate_series(1, :customers) g;

CREATE TEMP TABLE new_customers AS
SELECT d.draw,
       :'history_start'::date
       + width_bucket(d.u_signup * w.signups[w.days + 1], w.signups) - 1 AS signup_day,
       s.label AS segment, sc.label AS signup_channel, c.label AS country,
       -- the first order's channel follows from how they found us; later
       -- orders mostly go through a preferred channel
       CASE sc.label WHEN 'retail store' THEN 'store' WHEN 'marketplace' THEN 'marketplace'
                     WHEN 'direct sales' THEN 'phone' ELSE 'web' END AS first_channel,
       CASE sc.label WHEN 'retail store' THEN 'store' WHEN 'marketplace' THEN 'marketplace'
                     WHEN 'direct sales' THEN 'phone' ELSE oc.label END AS preferred_channel
FROM customer_draws d
CROSS JOIN warp w
JOIN pick s  ON s.dimension = 'segment' AND d.u_segment >= s.lo AND d.u_segment < s.hi
JOIN pick sc ON sc.dimension = 'signup_channel' AND sc.segment = s.label
            AND d.u_signup_channel >= sc.lo AND d.u_signup_channel < sc.hi
JOIN pick c  ON c.dimension = 'country' AND d.u_country >= c.lo AND d.u_country < c.hi
JOIN pick oc ON oc.dimension = 'order_channel' AND oc.segment = s.label
            AND d.u_channel >= oc.lo AND d.u_channel < oc.hi;

-- Their hidden traits, drawn in draw order (volatile expressions in the
-- select list are evaluated after ORDER BY).
CREATE TEMP TABLE traits AS
SELECT n.*, m.follow_up_rate,
       n.signup_day::timestamptz + pg_temp.time_of_day(n.first_channel) AS first_order_at,
       -- acquisition cost: channel x segment, +-35% noise around it
       round((cc.cost * m.cac_multiplier
              * exp(0.35 * pg_temp.random_normal() - 0.35 ^ 2 / 2))::numeric, 2) AS acquisition_cost,
       -- Pareto/NBD: purchase rate ~ gamma, lifetime ~ exponential with a
       -- gamma-distributed rate whose mean lifetime is the segment's
       greatest(pg_temp.random_gamma(m.rate_shape, m.purchases_per_year / m.rate_shape), 0.01)
           AS purchases_per_year,
       least(-ln(1 - random())
             / greatest(pg_temp.random_gamma(3, 1 / (2 * m.lifetime_years)), 0.001), 100)
           AS lifetime_years,
       -- gamma-gamma-ish: the customer's typical order value ...
       m.median_order_value * exp(m.order_value_sigma * pg_temp.random_normal()) AS order_value,
       -- ... and refund habit: most rarely return anything, a few often
       least(pg_temp.random_gamma(0.5, 2 * m.refund_rate), 0.6) AS refund_rate
FROM new_customers n
JOIN segment_model m USING (segment)
JOIN channel_cost cc USING (signup_channel)
ORDER BY n.draw;

CREATE TABLE customers (
    customer_id      bigint PRIMARY KEY,
    signup_channel   text NOT NULL,
    segment          text NOT NULL,
    country          text NOT NULL,
    acquisition_cost numeric(12,2) NOT NULL,
    created_at       timestamptz NOT NULL
);

-- customer_id in order of arrival; the record is created a few minutes
-- before the first order completes
CREATE TEMP TABLE customer_ids AS
SELECT draw, row_number() OVER (ORDER BY first_order_at, draw) AS customer_id
FROM traits;

INSERT INTO customers
SELECT i.customer_id, t.signup_channel, t.segment, t.country, t.acquisition_cost,
       date_trunc('second', t.first_order_at - random() * interval '20 minutes')
FROM traits t JOIN customer_ids i USING (draw)
ORDER BY i.customer_id;

------------------------------------------------------------------------------
-- Orders
------------------------------------------------------------------------------

-- Repeat purchases: a Poisson process on the business clock from the day
-- after the first order until the customer's (hidden) end of life or the end
-- of history, whichever comes first: that is the customer's window.
CREATE TEMP TABLE windows AS
SELECT i.customer_id, t.purchases_per_year, t.order_value, t.preferred_channel,
       t.segment, t.follow_up_rate, t.refund_rate, t.first_channel, t.first_order_at,
       pg_temp.clock(t.first_order_at::date + 1) AS clock_from,
       pg_temp.clock(t.first_order_at + t.lifetime_years * interval '365.25 days') AS clock_to
FROM traits t JOIN customer_ids i USING (draw);

-- Each customer gets enough exponential gaps to cover the window with room
-- to spare (mean + 5 standard deviations); the running sum of the gaps gives
-- the purchase times, and those past the window are dropped.
CREATE TEMP TABLE repeat_purchases AS
SELECT customer_id, k, pg_temp.calendar_day(at_clock) AS day,
       -- drawn now for the channel choice below
       random() AS u_stick, random() AS u_channel
FROM (SELECT customer_id, k, clock_to,
             clock_from + sum(gap) OVER (PARTITION BY customer_id ORDER BY k) AS at_clock
      FROM (SELECT w.customer_id, k, w.clock_from, w.clock_to,
                   -ln(1 - random()) * 365.25 / w.purchases_per_year AS gap
            FROM windows w,
                 LATERAL (SELECT greatest(clock_to - clock_from, 0) * purchases_per_year / 365.25
                                 AS expected) e,
                 generate_series(1, ceil(e.expected + 5 * sqrt(e.expected) + 3)::int) k
            ORDER BY w.customer_id, k) g) s
WHERE at_clock < clock_to
ORDER BY customer_id, k;

-- All purchases (positive order lines): the first order, then the repeats.
-- Repeat orders use the preferred channel 80% of the time, else one from the
-- segment's mix; order values scatter around the customer's typical value
-- (gamma with shape 4: about +-50%).
CREATE TEMP TABLE purchases AS
SELECT customer_id, k, channel,
       date_trunc('second', coalesce(at, day::timestamptz + pg_temp.time_of_day(channel))) AS ordered_at,
       order_value * pg_temp.random_gamma(4, 0.25) AS amount
FROM (SELECT customer_id, 0::numeric AS k, first_order_at::date AS day,
             first_order_at AS at, first_channel AS channel, order_value
      FROM windows
      UNION ALL
      SELECT r.customer_id, r.k, r.day, NULL,
             CASE WHEN r.u_stick < 0.8 THEN w.preferred_channel ELSE p.label END,
             w.order_value
      FROM repeat_purchases r
      JOIN windows w USING (customer_id)
      JOIN pick p ON p.dimension = 'order_channel' AND p.segment = w.segment
                 AND r.u_channel >= p.lo AND r.u_channel < p.hi) o
ORDER BY customer_id, k;

-- Several orders on one day: some orders are followed, 5 to 90 minutes later,
-- by a smaller one (something forgotten, a second delivery address).
INSERT INTO purchases
SELECT customer_id, k + 0.5, channel,
       date_trunc('second', ordered_at + interval '5 minutes' + u_gap * interval '85 minutes'),
       amount * (0.15 + 0.5 * u_size)
FROM (SELECT p.*, w.follow_up_rate, random() AS u, random() AS u_gap, random() AS u_size
      FROM purchases p JOIN windows w USING (customer_id)
      ORDER BY p.customer_id, p.k) f
WHERE u < follow_up_rate;

-- Refunds: a negative row 2 days to a few weeks after some orders, usually
-- for the whole amount, sometimes for part of it; refunds that would fall
-- after the end of history have not happened yet.
CREATE TEMP TABLE refunds AS
SELECT customer_id, k, channel,
       date_trunc('second', (ordered_at + (2 + least(floor(-ln(1 - u_days) * 7), 40)) * interval '1 day')::date::timestamptz
                            + interval '9 hours' + u_time * interval '9 hours') AS ordered_at,
       CASE WHEN u_partial < 0.7 THEN amount ELSE amount * (0.2 + 0.6 * u_share) END AS amount
FROM (SELECT p.*, w.refund_rate, random() AS u, random() AS u_days, random() AS u_time,
             random() AS u_partial, random() AS u_share
      FROM purchases p JOIN windows w USING (customer_id)
      ORDER BY p.customer_id, p.k) r
WHERE u < refund_rate;

CREATE TABLE orders (
    order_id    bigserial PRIMARY KEY,
    customer_id bigint NOT NULL,
    channel     text NOT NULL CHECK (channel IN ('web', 'store', 'phone', 'marketplace')),
    ordered_at  timestamptz NOT NULL,
    amount      numeric(12,2) NOT NULL
);

-- order_id follows time, as it would in the source system
INSERT INTO orders (customer_id, channel, ordered_at, amount)
SELECT customer_id, channel, ordered_at, amount
FROM (SELECT customer_id, k, channel, ordered_at,
             greatest(round(amount::numeric, 2), 1.00) AS amount, 0 AS kind
      FROM purchases
      UNION ALL
      SELECT customer_id, k, channel, ordered_at,
             -greatest(round(amount::numeric, 2), 1.00), 1
      FROM refunds
      WHERE ordered_at < (:'history_end'::date + 1)::timestamptz) o
ORDER BY ordered_at, customer_id, kind, k;

ALTER TABLE orders ADD FOREIGN KEY (customer_id) REFERENCES customers;
CREATE INDEX ON orders (customer_id);

ANALYZE customers, orders;

------------------------------------------------------------------------------
-- Contacts: the same people as seen by three systems
------------------------------------------------------------------------------

-- The web shop (web and marketplace buyers) keeps an account, the store a
-- loyalty card, the service desk a ticket contact; each system types e-mail
-- addresses and phone numbers its own way, and people give other details
-- in different places.  customer_id is the truth, for checking the linking
-- only: a real CRM does not have it.  Drawn after the orders, so the
-- orders above do not change.  Glue: some store records carry the till's
-- own address, and the service desk writes 0000000000 when nobody gave a
-- number.
CREATE TEMP TABLE people AS
SELECT c.customer_id,
       (ARRAY['anna', 'ben', 'clara', 'david', 'emma', 'felix', 'greta', 'hugo', 'ida', 'jonas',
              'karla', 'leon', 'mia', 'noah', 'olga', 'paul'])[1 + floor(random() * 16)::int] AS first_name,
       (ARRAY['mueller', 'schmidt', 'schneider', 'fischer', 'weber', 'meyer', 'wagner', 'becker',
              'schulz', 'hoffmann', 'koch', 'richter'])[1 + floor(random() * 12)::int] AS last_name,
       (ARRAY['mail.example', 'post.example', 'gmail.com', 'web.example'])[1 + floor(random() * 4)::int] AS provider,
       lpad((1000000 + floor(random() * 8999999))::text, 7, '0') AS phone_local,
       (ARRAY['30', '40', '89', '221', '69'])[1 + floor(random() * 5)::int] AS area,
       random() AS u_service, random() AS u_second_address,
       bool_or(o.channel IN ('web', 'marketplace')) AS uses_web,
       bool_or(o.channel = 'store') AS uses_store,
       bool_or(o.channel = 'phone') AS uses_phone,
       min(o.ordered_at) AS first_order_at
FROM customers c JOIN orders o USING (customer_id)
GROUP BY c.customer_id
ORDER BY c.customer_id;

CREATE TEMP TABLE contact_draws AS
SELECT p.*, s.source,
       random() AS u_email, random() AS u_phone, random() AS u_format, random() AS u_case,
       random() AS u_glue, random() AS u_days
FROM people p
CROSS JOIN (VALUES (1, 'web shop'), (2, 'store'), (3, 'service desk')) s(k, source)
WHERE (s.source = 'web shop' AND (p.uses_web OR p.uses_phone))
   OR (s.source = 'store' AND p.uses_store)
   OR (s.source = 'service desk' AND p.u_service < 0.3)
ORDER BY p.customer_id, s.k;

CREATE TABLE contacts (
    record_id    bigint PRIMARY KEY,
    source       text NOT NULL,
    customer_id  bigint NOT NULL,   -- the truth, for checking the linking only
    email        text,
    phone        text,
    loyalty_card text,
    created_at   timestamptz NOT NULL
);

INSERT INTO contacts
SELECT row_number() OVER (ORDER BY created_at, customer_id, source) AS record_id,
       source, customer_id, email, phone, loyalty_card, created_at
FROM (
    SELECT d.customer_id, d.source,
           d.first_order_at + d.u_days * interval '400 days' AS created_at,
           CASE
               WHEN d.source = 'store' AND d.u_glue < 0.03 THEN 'kasse@demo-shop.example'
               WHEN d.source = 'store' AND d.u_email > 0.5 THEN NULL
               WHEN d.source = 'service desk' AND d.u_email > 0.7 THEN NULL
               ELSE
                   -- the same address, typed differently; some give a second one
                   (CASE WHEN d.u_case < 0.2 THEN ' ' || initcap(d.first_name) || '.' || initcap(d.last_name)
                         ELSE d.first_name || '.' || d.last_name END)
                   || CASE WHEN d.source = 'service desk' AND d.u_second_address < 0.15 THEN '.work' ELSE '' END
                   || d.customer_id
                   || CASE WHEN d.source = 'web shop' AND d.u_case > 0.9 THEN '+shop' ELSE '' END
                   || '@' || CASE WHEN d.u_case < 0.1 THEN upper(d.provider) ELSE d.provider END
           END AS email,
           CASE
               WHEN d.source = 'service desk' AND d.u_glue < 0.02 THEN '0000000000'
               WHEN d.source = 'web shop' AND d.u_phone > 0.4 THEN NULL
               WHEN d.source = 'store' AND d.u_phone > 0.6 THEN NULL
               WHEN d.source = 'service desk' AND d.u_phone > 0.5 THEN NULL
               WHEN d.u_format < 0.4 THEN '0' || d.area || ' ' || d.phone_local
               WHEN d.u_format < 0.7 THEN '+49 ' || d.area || ' ' || d.phone_local
               WHEN d.u_format < 0.85 THEN '0049' || d.area || d.phone_local
               ELSE '(0' || d.area || ') ' || substr(d.phone_local, 1, 3) || '-' || substr(d.phone_local, 4)
           END AS phone,
           CASE WHEN d.source = 'store' THEN 'L-' || (700000 + d.customer_id) END AS loyalty_card
    FROM contact_draws d
) c;

CREATE INDEX ON contacts (customer_id);
ANALYZE contacts;
