-- Customers of a BG/NBD purchase process and Gamma-Gamma spend, drawn
-- directly as summaries (frequency, recency, age, monetary) rather than
-- aggregated from orders, so that millions take seconds (models.sql,
-- scoring.sql).  Day granularity: ages of 7 to 7 + age_span_days - 1 whole
-- days, CDNOW's parameters read per week (r = 0.24, alpha = 4.4, a = 0.79,
-- b = 2.43; p = 6.25, q = 3.74, gamma = 15.44), gammas by Wilson-Hilferty,
-- normals by Box-Muller, Poisson by inversion below a mean of 2.
--
-- psql variables: generated_table (with those four float8 columns),
-- n_customers, age_span_days, time_unit_days (7.0 for recency and age in
-- weeks, 1 for days).  The caller sets the seed.
INSERT INTO :generated_table (frequency, recency, age, monetary)
SELECT x, tx_days / :time_unit_days, t_days / :time_unit_days,
       CASE WHEN x = 0 THEN 0
            -- mean of x spends Gamma(p, nu), nu ~ Gamma(q, gamma):
            -- Gamma(p x) / (x nu), in cents
            ELSE greatest(0.01, round((100 * 15.44 / x)
                 * (6.25 * x) * greatest(1 - 1 / (9 * 6.25 * x) + z7 / (3 * sqrt(6.25 * x)), 0.1) ^ 3
                 / (3.74 * greatest(1 - 1 / (9 * 3.74) + z8 / (3 * sqrt(3.74)), 0.1) ^ 3)) / 100)
       END
FROM (
    -- at most one repeat purchase a day
    SELECT least(x, tx_days) AS x, tx_days, t_days, z7, z8
    FROM (
        -- recency in whole days, 1 to T for repeat buyers
        SELECT x, t_days, z7, z8,
               CASE WHEN x = 0 THEN 0
                    ELSE least(greatest(ceil(tx_weeks * 7 - 1e-9), 1), t_days) END AS tx_days
        FROM (
            SELECT least(n, d) AS x, t_days, z7, z8,
                   CASE WHEN least(n, d) = 0 THEN 0
                        -- alive at T: the last of n uniform purchase times
                        WHEN n < d THEN t_days / 7.0 * u_tx ^ (1.0 / n)
                        -- dropped out after the d-th repeat purchase: the
                        -- d-th of n uniform times, Beta(d, n - d + 1)
                        WHEN n = d THEN t_days / 7.0 * u_tx ^ (1.0 / d)
                        ELSE t_days / 7.0 * g1 / (g1 + g2)
                   END AS tx_weeks
            FROM (
                SELECT n, d, t_days, u_tx, z7, z8,
                       d * greatest(1 - 1 / (9 * d) + z5 / (3 * sqrt(d)), 0.05) ^ 3 AS g1,
                       greatest(n - d + 1, 1)
                         * greatest(1 - 1 / (9 * greatest(n - d + 1, 1))
                                    + z6 / (3 * sqrt(greatest(n - d + 1, 1))), 0.05) ^ 3 AS g2
                FROM (
                    -- n ~ Poisson(mu): inversion (v = u e^mu against the
                    -- partial sums of mu^k / k!, k <= 8) below mu = 2
                    SELECT d, t_days, u_tx, z5, z6, z7, z8,
                           CASE WHEN mu >= 2 THEN greatest(floor((sqrt(mu) + z4 / 2) ^ 2 + 0.25), 0)
                                ELSE (v >= 1)::int + (v >= 1 + mu)::int
                                     + (v >= 1 + mu * (1 + mu / 2))::int
                                     + (v >= 1 + mu * (1 + mu / 2 * (1 + mu / 3)))::int
                                     + (v >= 1 + mu * (1 + mu / 2 * (1 + mu / 3 * (1 + mu / 4))))::int
                                     + (v >= 1 + mu * (1 + mu / 2 * (1 + mu / 3 * (1 + mu / 4 * (1 + mu / 5)))))::int
                                     + (v >= 1 + mu * (1 + mu / 2 * (1 + mu / 3 * (1 + mu / 4 * (1 + mu / 5 * (1 + mu / 6))))))::int
                                     + (v >= 1 + mu * (1 + mu / 2 * (1 + mu / 3 * (1 + mu / 4 * (1 + mu / 5 * (1 + mu / 6 * (1 + mu / 7)))))))::int
                                     + (v >= 1 + mu * (1 + mu / 2 * (1 + mu / 3 * (1 + mu / 4 * (1 + mu / 5 * (1 + mu / 6 * (1 + mu / 7 * (1 + mu / 8))))))))::int
                           END AS n
                    FROM (
                        SELECT t_days, u_tx, z4, z5, z6, z7, z8,
                               lambda * t_days / 7.0 AS mu,
                               u_n * exp(lambda * t_days / 7.0) AS v,
                               -- repeat purchases until dropout: geometric in p
                               least(1 + floor(ln(1 - u_d) / ln(1 - least(greatest(ga / (ga + gb), 1e-12), 1 - 1e-12))),
                                     1e9) AS d
                        FROM (
                            -- lambda ~ Gamma(0.24, 4.4); p = ga / (ga + gb),
                            -- ga ~ Gamma(0.79), gb ~ Gamma(2.43)
                            SELECT t_days, u_n, u_d, u_tx,
                                   1.24 * greatest(1 - 1 / (9 * 1.24) + r1 * cos(th1) / (3 * sqrt(1.24)), 0) ^ 3
                                       * u_lam ^ (1 / 0.24) / 4.4 AS lambda,
                                   1.79 * greatest(1 - 1 / (9 * 1.79) + r1 * sin(th1) / (3 * sqrt(1.79)), 0.01) ^ 3
                                       * u_pa ^ (1 / 0.79) AS ga,
                                   2.43 * greatest(1 - 1 / (9 * 2.43) + r2 * cos(th2) / (3 * sqrt(2.43)), 0.01) ^ 3 AS gb,
                                   r2 * sin(th2) AS z4, r3 * cos(th3) AS z5, r3 * sin(th3) AS z6,
                                   r4 * cos(th4) AS z7, r4 * sin(th4) AS z8
                            FROM (
                                -- uniforms, and four Box-Muller pairs of normals
                                SELECT 7 + floor(:age_span_days * random()) AS t_days,
                                       random() AS u_lam, random() AS u_pa, random() AS u_d,
                                       random() AS u_n, random() AS u_tx,
                                       sqrt(-2 * ln(1 - random())) AS r1, 2 * pi() * random() AS th1,
                                       sqrt(-2 * ln(1 - random())) AS r2, 2 * pi() * random() AS th2,
                                       sqrt(-2 * ln(1 - random())) AS r3, 2 * pi() * random() AS th3,
                                       sqrt(-2 * ln(1 - random())) AS r4, 2 * pi() * random() AS th4
                                FROM generate_series(1, :n_customers)
                            ) u
                        -- OFFSET 0: keep each level a subquery, so that no
                        -- expression is computed twice
                        ) l OFFSET 0
                    ) m OFFSET 0
                ) nd OFFSET 0
            ) b OFFSET 0
        ) t OFFSET 0
    ) c OFFSET 0
) f;
