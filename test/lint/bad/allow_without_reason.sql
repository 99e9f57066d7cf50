-- expect: allow-without-reason 5
-- expect: unqualified-function 6
-- An allow comment must say why; without a reason it silences nothing.
SELECT pg_catalog.set_config('clv.x', 'y', true);
-- lint: allow unqualified-function  <- planted
SELECT set_config('clv.x', 'z', true);
