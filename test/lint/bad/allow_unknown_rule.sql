-- expect: allow-unknown-rule 3
SELECT pg_catalog.set_config('clv.x', 'y', true);
-- lint: allow unqualified-functions (a typo in the rule name)  <- planted
