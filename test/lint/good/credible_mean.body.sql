-- An SQL function's prosrc.
    SELECT e, z, se,
           e OPERATOR(pg_catalog.-) 1.959963984540054 OPERATOR(pg_catalog.*) se,
           e OPERATOR(pg_catalog.+) 1.959963984540054 OPERATOR(pg_catalog.*) se
      FROM (SELECT CASE WHEN between_variance OPERATOR(pg_catalog.>) 0
                        THEN n OPERATOR(pg_catalog./) (n OPERATOR(pg_catalog.+) within_variance OPERATOR(pg_catalog./) between_variance)
                        ELSE 0 END AS z,
                   n
              FROM (SELECT coalesce(greatest(group_size, 0), 0)::float8 AS n) AS g) AS w,
           LATERAL (SELECT CASE WHEN z OPERATOR(pg_catalog.>) 0
                                THEN z OPERATOR(pg_catalog.*) group_mean
                                ELSE prior_mean END AS e,
                           pg_catalog.sqrt(OPERATOR(pg_catalog.-) z OPERATOR(pg_catalog.+) 1) AS se) AS est
