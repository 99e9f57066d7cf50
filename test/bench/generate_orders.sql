-- Orders drawn from the Buy-Till-You-Die processes the pipeline fits
-- (included by test/bench/pipeline.sql): the table orders(customer_id int,
-- ordered_at timestamptz, amount numeric(12,2)), indexed on customer_id.
--
-- psql variables: n_customers; history_days (customers are acquired
-- uniformly over that many days before 2026-06-30); rate_scale (a factor on
-- the purchase rate: 1 gives CDNOW's, about 2.1 orders a customer over 546
-- days, 10 about 6.5 over 1095 days, 40 about 10); seed.
--
-- Per customer (Fader, Hardie and Lee 2005, with CDNOW's parameters, per
-- week: r = 0.243, alpha = 4.414, a = 0.793, b = 2.426; Gamma-Gamma p = 6.25,
-- q = 3.74, gamma = 15.44): a first order at 12:00 on the day of acquisition,
-- T days before the end; purchase rate lambda ~ Gamma(r, alpha) (times
-- rate_scale); drop-out probability p ~ Beta(a, b), the customer leaving
-- after the d-th repeat purchase, d geometric in p; n ~ Poisson(lambda T)
-- repeat purchases at uniform times in (0, T], of which the first k = min(n,
-- d) are kept (a Poisson process stopped at drop-out); each order's amount
-- Gamma(p, nu) with nu ~ Gamma(q, gamma) per customer, in cents.  Exact
-- draws: Marsaglia and Tsang's method for gammas, multiplication for small
-- Poisson means (a normal approximation above 30).  Only the k kept times
-- are drawn: the first k of n uniform order statistics are S_j / (S_k + G),
-- with S_j the sums of j standard exponentials and G ~ Gamma(n + 1 - k, 1)
-- (Devroye 1986, "Non-Uniform Random Variate Generation", ch. V.2), so the
-- work grows with the orders kept, not with the purchases drop-out cut off.

\ir ../include/rgamma.psql

CREATE FUNCTION pg_temp.bench_poisson(mu float8) RETURNS integer LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    limit_ float8;
    k integer := 0;
    product float8 := 1;
BEGIN
    IF mu > 30 THEN
        RETURN greatest(0, round(mu + sqrt(mu) * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random())))::integer;
    END IF;
    limit_ := exp(-mu);
    LOOP
        product := product * random();
        EXIT WHEN product <= limit_;
        k := k + 1;
    END LOOP;
    RETURN k;
END $$;

\o /dev/null
SELECT setseed(:seed);
\o
DROP TABLE IF EXISTS people, orders;
CREATE TABLE people AS
SELECT x.customer_id, x.t_days, x.nu, x.n, x.k,
       -- the rest of the n + 1 exponential gaps, past the k-th time kept
       CASE WHEN x.k > 0 THEN pg_temp.rgamma(x.n + 1 - x.k, 1) END AS rest
FROM (SELECT c AS customer_id, t_days, nu, n, least(n, d) AS k
      FROM (SELECT c, t_days, nu, pg_temp.bench_poisson(lambda * t_days) AS n,
                   1 + floor(ln(1 - random()) / ln(1 - least(greatest(ga / (ga + gb), 1e-12), 1 - 1e-12)))::bigint AS d
            FROM (SELECT c, 1 + floor(random() * :history_days)::int AS t_days,
                         :rate_scale * pg_temp.rgamma(0.243, 1) / (4.414 * 7) AS lambda,
                         -- p = ga / (ga + gb) ~ Beta(a, b), drawn per customer (a
                         -- scalar subquery here would be an initplan: one p for all)
                         pg_temp.rgamma(0.793, 1) AS ga, pg_temp.rgamma(2.426, 1) AS gb,
                         pg_temp.rgamma(3.74, 1) / 15.44 AS nu
                  FROM generate_series(1, :n_customers) c) y) z) x;

CREATE TABLE orders (customer_id int, ordered_at timestamptz, amount numeric(12, 2));
INSERT INTO orders
SELECT customer_id, at, round((pg_temp.rgamma(6.25, 1) / nu)::numeric, 2)
FROM (SELECT p.customer_id, p.nu,
             timestamptz '2026-06-30 12:00:00+00' - make_interval(days => p.t_days) AS at
        FROM people p
      UNION ALL
      SELECT g.customer_id, g.nu,
             timestamptz '2026-06-30 12:00:00+00' - make_interval(days => g.t_days)
                 + g.t_days * (g.s_j / (g.s_k + g.rest)) * interval '1 day'
        FROM (SELECT e.*, sum(e.gap) OVER (PARTITION BY e.customer_id ORDER BY e.j) AS s_j,
                     sum(e.gap) OVER (PARTITION BY e.customer_id) AS s_k
                FROM (SELECT p.customer_id, p.nu, p.t_days, p.rest, j, -ln(1 - random()) AS gap
                        FROM people p, generate_series(1, p.k) j
                       WHERE p.k > 0) e) g) o
ORDER BY at;
CREATE INDEX ON orders (customer_id);
